/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OVSDB_H
#define OVSDB_H 1

/* ovsdb-lite: a durable, transactional configuration database modelled on
 * OVSDB (RFC 7047).  This is the handle the switch and the JSON-RPC
 * server use: a database file (log.h) plus its in-memory image (db.h),
 * changed only through RFC 7047 transactions (txn.h).
 *
 * Single-threaded: one thread owns a handle.  Reads go straight to the
 * in-memory rows (ovsdb_get_db() and the db.h accessors). */

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include "data.h"
#include "db.h"
#include "error.h"
#include "log.h"
#include "schema.h"
#include "txn.h"
#include "vhost/compiler.h"

struct ovsdb;

/* Opens the database in 'path', which must hold 'schema' (compared as a
 * document; the handle keeps its own copy).  With 'create_if_missing' a
 * missing file is created holding one fresh row in every root table with
 * "maxRows": 1 (for rsw.ovsschema: the Ringswitch row).  'report' (may be
 * NULL) says what recovery did or why opening failed.
 *
 * Errors (the file is never modified on error): -ENOENT, -EBUSY (another
 * opener holds the lock), -ENODATA (empty file), -EPROTO (not an
 * ovsdb-lite file, or damaged at its start), -EUCLEAN (damage in the
 * middle), -EMEDIUMTYPE (the file holds another schema), -EINVAL (a
 * record does not fit the schema). */
int ovsdb_open(const char *path, const struct ovsdb_schema *schema,
               bool create_if_missing, struct ovsdb **,
               struct ovsdb_log_report *report) RSW_MUST_CHECK;
void ovsdb_close(struct ovsdb *);

/* RFC 7047 §4.1.3 transact: executes 'params' ([db-name, op, ...]),
 * appends the commit record to the log (fsynced when 'durable' or when
 * the transaction has a durable "commit" operation), and only then makes
 * the change visible.  '*result' gets the RFC result array.  Returns 0 if
 * the transaction committed, else the negative errno of the first error
 * (-EIO when the log write failed: then nothing is committed and the
 * result array carries an "I/O error").  Waits are evaluated now
 * (OVSDB_WAIT_NOW). */
int ovsdb_transact(struct ovsdb *, json_object *params, bool durable,
                   json_object **result) RSW_MUST_CHECK;
/* Same, for a server re-running a request with blocking "wait"s: returns
 * -EAGAIN (no result) while a wait is unsatisfied within its timeout. */
int ovsdb_transact_ex(struct ovsdb *, json_object *params, bool durable,
                      int64_t wait_elapsed_ms, json_object **result)
    RSW_MUST_CHECK;

/* Group commit: the same, except that a durable transaction's record is
 * written but not yet synced.  The commit is visible in memory at once
 * (later transactions build on it), and '*sync_owed' is set to true when
 * a sync is needed: the caller must then call ovsdb_sync() and see it
 * succeed before it tells anyone about the commit (its reply, monitor
 * updates), so an acknowledged commit is still on disk.  One
 * ovsdb_sync() covers every commit before it.  '*sync_owed' is left
 * alone otherwise. */
int ovsdb_transact_deferred(struct ovsdb *, json_object *params,
                            bool durable, int64_t wait_elapsed_ms,
                            bool *sync_owed, json_object **result)
    RSW_MUST_CHECK;
/* Makes every commit so far durable (one fdatasync, none if nothing is
 * pending).  On failure (-EIO) the log refuses further writes, and the
 * commits made since the previous sync are in memory but maybe not on
 * disk: they must be reported as failed, and the host should restart
 * (reopening reloads what the disk holds). */
int ovsdb_sync(struct ovsdb *) RSW_MUST_CHECK;

/* Rewrites the file as schema + snapshot (log.h: ovsdb_log_replace). */
int ovsdb_compact(struct ovsdb *) RSW_MUST_CHECK;
/* Automatic compaction after a commit once the log holds at least
 * 'min_records' records and 'min_bytes' bytes; 0/0 disables.  Default:
 * 1000 records and 10 MiB. */
void ovsdb_set_compaction(struct ovsdb *, size_t min_records,
                          uint64_t min_bytes);

/* Called for every row change of every commit (for monitors). */
void ovsdb_set_change_cb(struct ovsdb *, ovsdb_txn_change_cb *, void *aux);

/* Read access. */
const struct ovsdb_db *ovsdb_get_db(const struct ovsdb *);
const struct ovsdb_schema *ovsdb_get_schema(const struct ovsdb *);
const struct ovsdb_table *ovsdb_get_table(const struct ovsdb *,
                                          const char *name);
/* The log, for statistics (size, record count). */
const struct ovsdb_log *ovsdb_get_log(const struct ovsdb *);

#endif
