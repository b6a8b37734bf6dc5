/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OVSDB_LOG_H
#define OVSDB_LOG_H 1

/* Append-only, checksummed database log.
 *
 * On-disk format: a sequence of records, each
 *
 *     "RSWDB1 <length> <crc32c>\n" <payload>
 *
 * where <length> is the payload size in decimal bytes, <crc32c> the
 * CRC-32C (Castagnoli) of the payload as 8 lowercase hex digits, and the
 * payload one compact JSON text followed by "\n" (so the file reads as
 * text).  Record 0 is the RFC 7047 §3.2 schema, record 1 a snapshot of
 * every row (flagged "_snapshot": true), the rest commit records.  Files
 * are born whole (written to FILE.tmp, fsynced, renamed), so only the
 * tail can be torn by a crash.
 *
 * While a log is open for writing, zero bytes are kept ahead of the last
 * record (preallocated space, trimmed on close): appends then overwrite
 * blocks that exist, so their fdatasync has no allocation metadata to
 * write.  On open, zeros alone after the last record are not damage;
 * anything else there (a torn record, inside the zeros or not) is a tail
 * to cut.
 *
 * Opening takes an exclusive OFD lock on FILE.lock, so a second opener in
 * any process gets -EBUSY. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "error.h"
#include "vhost/compiler.h"

#define OVSDB_LOG_MAGIC "RSWDB1 "
#define OVSDB_LOG_MAX_RECORD (1u << 30)

struct ovsdb_log;

/* What opening found and did. */
struct ovsdb_log_report {
    size_t n_records;           /* whole, valid records read */
    uint64_t good_bytes;        /* file size after recovery */
    uint64_t bytes_truncated;   /* torn/corrupt tail removed, or 0 */
    char reason[160];           /* why it was removed ("" if nothing) */
    char error[512];            /* on failure: what is wrong */
};

/* Receives each record in order; returning non-zero (a negative errno,
 * explained in 'err') stops the open with that error and nothing in the
 * file is changed. */
typedef int ovsdb_log_record_cb(size_t index, json_object *record,
                                void *aux, struct ovsdb_error *err);

/* Opens an existing log, verifying every record.  A torn or corrupt tail
 * after the last whole record is truncated away (and reported) only after
 * every good record was accepted by 'cb'.  Errors, with the file left
 * untouched: -ENOENT (missing), -EBUSY (locked), -ENODATA (empty file),
 * -EPROTO (not an ovsdb-lite log, or its schema/snapshot record is
 * damaged), -EUCLEAN (a damaged record followed by valid ones: not a torn
 * tail, so nothing is cut), or what 'cb' returned. */
int ovsdb_log_open(const char *path, ovsdb_log_record_cb *cb, void *aux,
                   struct ovsdb_log **, struct ovsdb_log_report *)
    RSW_MUST_CHECK;
/* Creates a new log holding 'schema' and 'snapshot', atomically: -EEXIST
 * if 'path' exists. */
int ovsdb_log_create(const char *path, json_object *schema,
                     json_object *snapshot, struct ovsdb_log **,
                     struct ovsdb_error *) RSW_MUST_CHECK;
/* Appends one record; with 'durable', fsyncs it (and every earlier
 * non-durable record) before returning.  On failure nothing partial stays
 * in the file; a failed fsync makes the log refuse further writes
 * (-EIO), since what reached the disk is then unknown. */
int ovsdb_log_append(struct ovsdb_log *, json_object *record, bool durable)
    RSW_MUST_CHECK;
/* The two halves of a durable append, for group commit: write several
 * records, then make them all durable with one fdatasync.  A record is
 * durable only once ovsdb_log_sync() returned 0 after its write. */
int ovsdb_log_write(struct ovsdb_log *, json_object *record) RSW_MUST_CHECK;
int ovsdb_log_sync(struct ovsdb_log *) RSW_MUST_CHECK;
/* Whether records were written since the last sync. */
bool ovsdb_log_needs_sync(const struct ovsdb_log *);
/* Compaction: replaces the file with [schema, snapshot] via FILE.tmp,
 * fsync, rename and a directory fsync. */
int ovsdb_log_replace(struct ovsdb_log *, json_object *schema,
                      json_object *snapshot) RSW_MUST_CHECK;
/* Flushes pending non-durable records, releases the lock. */
void ovsdb_log_close(struct ovsdb_log *);

uint64_t ovsdb_log_size(const struct ovsdb_log *);
/* The file's size: ovsdb_log_size() plus the zeros preallocated ahead. */
uint64_t ovsdb_log_allocated(const struct ovsdb_log *);
size_t ovsdb_log_n_records(const struct ovsdb_log *);

/* CRC-32C of 'data' (software table). */
uint32_t ovsdb_crc32c(const void *data, size_t len);

/* Fault injection for crash-recovery tests: when the armed point is
 * reached the process calls _exit(OVSDB_CRASH_EXIT_CODE) at once, as a
 * crash would.  Armed by ovsdb_log_set_crash_point() or by the
 * environment variable RSW_OVSDB_CRASH_POINT (the names below). */
enum ovsdb_log_crash_point {
    OVSDB_CRASH_NONE,
    OVSDB_CRASH_MID_APPEND,         /* "mid-append": half a record out */
    OVSDB_CRASH_TMP_PARTIAL,        /* "tmp-partial": FILE.tmp half done */
    OVSDB_CRASH_BEFORE_RENAME,      /* "before-rename": FILE.tmp synced */
    OVSDB_CRASH_AFTER_RENAME,       /* "after-rename" */
    OVSDB_CRASH_BEFORE_DIR_FSYNC,   /* "before-dir-fsync" */
};
#define OVSDB_CRASH_EXIT_CODE 86
void ovsdb_log_set_crash_point(enum ovsdb_log_crash_point);

#endif
