/* SPDX-License-Identifier: Apache-2.0 */
/* The append-only, checksummed log (format in log.h). */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "util.h"
#include "vhost/vlog.h"

#define LOG_MAX_DEPTH 128
#define HEADER_MAX 32
/* Zeros written ahead of the end of the log, so that the fdatasync of an
 * append finds its blocks allocated and the file size unchanged: it then
 * writes the data alone, not block bitmaps, extent trees and the inode
 * (a journal-less ext4 writes those synchronously, several ms).  Real
 * zeros, not fallocate(): ext4 keeps fallocated blocks "unwritten" and
 * converting them on the first write is metadata again. */
#define LOG_PREALLOC_CHUNK (1u << 20)

struct ovsdb_log {
    char *path;
    int fd;
    int lock_fd;
    uint64_t size;          /* end of the last whole record */
    uint64_t alloc_end;     /* file size: [size, alloc_end) is zeros */
    size_t n_records;
    bool unsynced;          /* non-durable records not yet fsynced */
    bool broken;            /* an fsync failed: refuse further writes */
};

/* ---- CRC-32C (Castagnoli, reflected polynomial 0x82f63b78) ---- */

static uint32_t crc_table[256];

static void
crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        }
        crc_table[i] = c;
    }
}

uint32_t
ovsdb_crc32c(const void *data, size_t len)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    const uint8_t *p = data;
    uint32_t crc = 0xffffffffu;
    pthread_once(&once, crc_init);
    for (size_t i = 0; i < len; i++) {
        crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    }
    return crc ^ 0xffffffffu;
}

/* ---- Fault injection ---- */

static enum ovsdb_log_crash_point crash_armed;

void
ovsdb_log_set_crash_point(enum ovsdb_log_crash_point p)
{
    crash_armed = p;
}

static bool
crash_is_armed(enum ovsdb_log_crash_point p)
{
    static const char *const names[] = {
        [OVSDB_CRASH_MID_APPEND] = "mid-append",
        [OVSDB_CRASH_TMP_PARTIAL] = "tmp-partial",
        [OVSDB_CRASH_BEFORE_RENAME] = "before-rename",
        [OVSDB_CRASH_AFTER_RENAME] = "after-rename",
        [OVSDB_CRASH_BEFORE_DIR_FSYNC] = "before-dir-fsync",
    };
    const char *env = getenv("RSW_OVSDB_CRASH_POINT");
    return crash_armed == p || (env && names[p] && !strcmp(env, names[p]));
}

static void
crash_point(enum ovsdb_log_crash_point p)
{
    if (crash_is_armed(p)) {
        _exit(OVSDB_CRASH_EXIT_CODE);
    }
}

/* ---- Framing ---- */

static void
frame_header(char *buf, size_t size, const char *payload, size_t len)
{
    snprintf(buf, size, OVSDB_LOG_MAGIC "%zu %08"PRIx32"\n", len,
             ovsdb_crc32c(payload, len));
}

enum frame_status {
    FRAME_OK,
    FRAME_SHORT_HEADER,     /* file ends inside a header */
    FRAME_SHORT_PAYLOAD,    /* file ends inside a payload */
    FRAME_BAD_HEADER,       /* bytes that are not a record header */
    FRAME_BAD_CHECKSUM,
};

static const char *
frame_status_name(enum frame_status s)
{
    switch (s) {
    case FRAME_OK: return "ok";
    case FRAME_SHORT_HEADER: return "short header";
    case FRAME_SHORT_PAYLOAD: return "short payload";
    case FRAME_BAD_HEADER: return "garbage instead of a record header";
    case FRAME_BAD_CHECKSUM: return "bad checksum";
    }
    return "?";
}

/* Parses "<digits> <8 hex>\n" after the magic. */
static enum frame_status
parse_header_fields(const char *p, size_t avail, size_t *lenp, uint32_t *crcp,
                    size_t *hlenp)
{
    size_t i = 0, digits = 0;
    uint64_t len = 0;
    for (; i < avail && p[i] >= '0' && p[i] <= '9' && digits < 11; i++) {
        len = len * 10 + (p[i] - '0');
        digits++;
    }
    if (i == avail) {
        return FRAME_SHORT_HEADER;
    }
    if (!digits || p[i++] != ' ' || len > OVSDB_LOG_MAX_RECORD
        || (digits > 1 && p[0] == '0')) {
        return FRAME_BAD_HEADER;
    }
    uint32_t crc = 0;
    for (int k = 0; k < 8; k++, i++) {
        if (i == avail) {
            return FRAME_SHORT_HEADER;
        }
        char c = p[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f'
                ? c - 'a' + 10 : -1;
        if (v < 0) {
            return FRAME_BAD_HEADER;
        }
        crc = crc << 4 | v;
    }
    if (i == avail) {
        return FRAME_SHORT_HEADER;
    }
    if (p[i++] != '\n') {
        return FRAME_BAD_HEADER;
    }
    *lenp = len;
    *crcp = crc;
    *hlenp = i;
    return FRAME_OK;
}

/* One record at 'buf' (of 'avail' bytes): its payload and total size. */
static enum frame_status
parse_frame(const char *buf, size_t avail, const char **payload,
            size_t *plen, size_t *total)
{
    size_t mlen = strlen(OVSDB_LOG_MAGIC), hlen, len;
    uint32_t crc;
    if (avail < mlen) {
        return memcmp(buf, OVSDB_LOG_MAGIC, avail) ? FRAME_BAD_HEADER
                                                   : FRAME_SHORT_HEADER;
    }
    if (memcmp(buf, OVSDB_LOG_MAGIC, mlen)) {
        return FRAME_BAD_HEADER;
    }
    enum frame_status st = parse_header_fields(buf + mlen, avail - mlen,
                                               &len, &crc, &hlen);
    if (st != FRAME_OK) {
        return st;
    }
    hlen += mlen;
    if (avail - hlen < len) {
        return FRAME_SHORT_PAYLOAD;
    }
    if (ovsdb_crc32c(buf + hlen, len) != crc) {
        return FRAME_BAD_CHECKSUM;
    }
    *payload = buf + hlen;
    *plen = len;
    *total = hlen + len;
    return FRAME_OK;
}

/* Whether a whole, valid record starts anywhere after 'off': then the
 * damage at 'off' is not a torn tail but corruption in the middle. */
static bool
valid_record_follows(const char *buf, size_t size, size_t off)
{
    const char *p = buf + off + 1;
    const char *end = buf + size;
    size_t mlen = strlen(OVSDB_LOG_MAGIC);
    while (p < end) {
        const char *m = memmem(p, end - p, OVSDB_LOG_MAGIC, mlen);
        const char *payload;
        size_t plen, total;
        if (!m) {
            return false;
        }
        if (parse_frame(m, end - m, &payload, &plen, &total) == FRAME_OK) {
            return true;
        }
        p = m + 1;
    }
    return false;
}

/* ---- Files ---- */

static char *
path_with_suffix(const char *path, const char *suffix)
{
    char *s = ovsdb_xmalloc(strlen(path) + strlen(suffix) + 1);
    strcpy(s, path);
    strcat(s, suffix);
    return s;
}

/* An OFD lock on FILE.lock: held per open file description, so even a
 * second opener in the same process conflicts, and it survives the
 * rename that compaction does to FILE itself. */
static int
take_lock(const char *path, int *lock_fdp, char *msg, size_t msg_size)
{
    char *lpath = path_with_suffix(path, ".lock");
    int fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    int error = 0;
    if (fd < 0) {
        error = -errno;
        snprintf(msg, msg_size, "%s: cannot open lock file: %s", lpath,
                 strerror(errno));
    } else {
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
        if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
            error = errno == EAGAIN || errno == EACCES ? -EBUSY : -errno;
            snprintf(msg, msg_size, "%s: database is locked by another "
                     "opener (%s holds the lock)", path, lpath);
            close(fd);
        }
    }
    free(lpath);
    *lock_fdp = error ? -1 : fd;
    return error;
}

static int
write_all(int fd, const char *buf, size_t len, uint64_t off)
{
    while (len) {
        ssize_t n = pwrite(fd, buf, len, off);
        if (n < 0 && errno == EINTR) {
            continue;
        } else if (n <= 0) {
            return n < 0 ? -errno : -EIO;
        }
        buf += n;
        len -= n;
        off += n;
    }
    return 0;
}

/* Header plus payload ("<json>\n") of one record, in one buffer. */
static char *
frame_record(json_object *rec, size_t *lenp)
{
    size_t jlen;
    const char *json = ovsdb_json_plain(rec, &jlen);
    char header[HEADER_MAX];
    char *payload = ovsdb_xmalloc(jlen + 1);
    memcpy(payload, json, jlen);
    payload[jlen] = '\n';
    frame_header(header, sizeof header, payload, jlen + 1);
    size_t hlen = strlen(header);
    char *buf = ovsdb_xmalloc(hlen + jlen + 1);
    memcpy(buf, header, hlen);
    memcpy(buf + hlen, payload, jlen + 1);
    free(payload);
    *lenp = hlen + jlen + 1;
    return buf;
}

static int
read_whole(int fd, char **bufp, size_t *sizep)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        return -errno;
    }
    size_t size = st.st_size, got = 0;
    char *buf = ovsdb_xmalloc(size + 1);
    while (got < size) {
        ssize_t n = pread(fd, buf + got, size - got, got);
        if (n < 0 && errno == EINTR) {
            continue;
        } else if (n <= 0) {
            free(buf);
            return n < 0 ? -errno : -EIO;
        }
        got += n;
    }
    buf[size] = '\0';
    *bufp = buf;
    *sizep = size;
    return 0;
}

static int
fsync_dir(const char *path)
{
    char *copy = ovsdb_xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int error = 0;
    if (fd < 0 || fsync(fd) < 0) {
        error = -errno;
    }
    if (fd >= 0) {
        close(fd);
    }
    free(copy);
    return error;
}

static struct ovsdb_log *
log_new(const char *path, int fd, int lock_fd, uint64_t size, size_t n)
{
    struct ovsdb_log *log = ovsdb_xzalloc(sizeof *log);
    log->path = ovsdb_xstrdup(path);
    log->fd = fd;
    log->lock_fd = lock_fd;
    log->size = size;
    log->alloc_end = size;
    log->n_records = n;
    return log;
}

/* ---- Reading ---- */

struct log_scan {
    const char *buf;
    size_t size;
    size_t off;                 /* end of the last whole record */
    size_t n;                   /* records accepted */
    enum frame_status tail;     /* why scanning stopped early */
};

static int scan_fail(struct ovsdb_log_report *, int error, const char *fmt,
                     ...) RSW_PRINTF(3, 4);

static int
scan_fail(struct ovsdb_log_report *rep, int error, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(rep->error, sizeof rep->error, fmt, args);
    va_end(args);
    return error;
}

/* Feeds each record to 'cb'.  Damage in the schema or snapshot record, or
 * followed by valid records, is an error; damage after them is a tail to
 * cut (s->tail). */
static int
scan_records(struct log_scan *s, const char *path, ovsdb_log_record_cb *cb,
             void *aux, struct ovsdb_log_report *rep)
{
    while (s->off < s->size) {
        const char *payload;
        size_t plen, total;
        enum frame_status st = parse_frame(s->buf + s->off, s->size - s->off,
                                           &payload, &plen, &total);
        if (st != FRAME_OK) {
            if (s->n < 2) {
                return scan_fail(rep, -EPROTO, "%s: record %zu (schema or "
                                 "snapshot) is damaged: %s", path, s->n,
                                 frame_status_name(st));
            }
            if (valid_record_follows(s->buf, s->size, s->off)) {
                return scan_fail(rep, -EUCLEAN, "%s: damaged record at "
                                 "offset %zu (%s) is followed by valid "
                                 "records: refusing to truncate", path,
                                 s->off, frame_status_name(st));
            }
            s->tail = st;
            return 0;
        }
        json_object *rec = ovsdb_json_parse(payload, plen, LOG_MAX_DEPTH);
        struct ovsdb_error err = { 0 };
        int error = rec ? cb(s->n, rec, aux, &err) : -EPROTO;
        json_object_put(rec);
        if (error) {
            return scan_fail(rep, error, "%s: record at offset %zu: %s",
                             path, s->off, rec ? err.details
                             : "not valid JSON despite a good checksum");
        }
        s->off += total;
        s->n++;
    }
    return s->n < 2 ? scan_fail(rep, -EPROTO, "%s: only %zu record(s); a "
                                "log starts with schema and snapshot", path,
                                s->n) : 0;
}

static bool
all_zero(const char *p, size_t n)
{
    return !n || (!p[0] && !memcmp(p, p + 1, n - 1));
}

/* Cuts the torn tail found by the scan back to the last whole record.
 * Zeros alone after it are preallocated space (LOG_PREALLOC_CHUNK), not
 * damage: no record starts with a zero byte, and a record torn inside
 * that space leaves non-zero bytes, so it is still cut. */
static int
truncate_tail(int fd, const struct log_scan *s, const char *path,
              struct ovsdb_log_report *rep)
{
    if (all_zero(s->buf + s->off, s->size - s->off)) {
        return 0;
    }
    rep->bytes_truncated = s->size - s->off;
    snprintf(rep->reason, sizeof rep->reason, "%s after record %zu",
             frame_status_name(s->tail), s->n - 1);
    if (ftruncate(fd, s->off) < 0 || fsync(fd) < 0) {
        return scan_fail(rep, -errno, "%s: cannot truncate torn tail at "
                         "offset %zu: %s", path, s->off, strerror(errno));
    }
    rsw_log(RSW_LOG_WARN, "ovsdb-lite: %s: truncated %"PRIu64" byte(s) at "
            "offset %zu: %s", path, rep->bytes_truncated, s->off,
            rep->reason);
    return 0;
}

static int
check_start(const char *buf, size_t size, const char *path,
            struct ovsdb_log_report *rep)
{
    size_t mlen = strlen(OVSDB_LOG_MAGIC);
    if (!size) {
        return scan_fail(rep, -ENODATA, "%s: empty file", path);
    }
    if (memcmp(buf, OVSDB_LOG_MAGIC, size < mlen ? size : mlen)) {
        return scan_fail(rep, -EPROTO, "%s: not an ovsdb-lite database "
                         "(no \"RSWDB1\" record header at offset 0)",
                         path);
    }
    return 0;
}

int
ovsdb_log_open(const char *path, ovsdb_log_record_cb *cb, void *aux,
               struct ovsdb_log **logp, struct ovsdb_log_report *rep)
{
    struct log_scan s = { 0 };
    char *buf = NULL;
    int fd = -1, lock_fd = -1;
    int error;

    memset(rep, 0, sizeof *rep);
    *logp = NULL;
    /* A missing file is reported before the lock is taken, so probing
     * for a database leaves no stray FILE.lock behind. */
    if (access(path, F_OK) && errno == ENOENT) {
        return scan_fail(rep, -ENOENT, "%s: %s", path, strerror(ENOENT));
    }
    error = take_lock(path, &lock_fd, rep->error, sizeof rep->error);
    if (error) {
        return error;
    }
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        error = scan_fail(rep, -errno, "%s: %s", path, strerror(errno));
        goto err_unlock;
    }
    error = read_whole(fd, &buf, &s.size);
    if (error) {
        scan_fail(rep, error, "%s: read error: %s", path, strerror(-error));
        goto err_close;
    }
    s.buf = buf;
    error = check_start(buf, s.size, path, rep);
    error = error ? error : scan_records(&s, path, cb, aux, rep);
    error = error ? error : truncate_tail(fd, &s, path, rep);
    if (error) {
        goto err_close;
    }
    free(buf);
    rep->n_records = s.n;
    rep->good_bytes = s.off;
    char *tmp = path_with_suffix(path, ".tmp");
    unlink(tmp);                /* an interrupted compaction's leftovers */
    free(tmp);
    *logp = log_new(path, fd, lock_fd, s.off, s.n);
    if (!rep->bytes_truncated) {
        (*logp)->alloc_end = s.size;    /* zeros only */
    }
    return 0;

err_close:
    free(buf);
    close(fd);
err_unlock:
    close(lock_fd);
    return error;
}

/* ---- Writing ---- */

/* Writes [schema, snapshot] to a fresh FILE.tmp and fsyncs it; returns
 * its descriptor in '*fdp' and its size in '*sizep'. */
static int
write_tmp(const char *tmp, json_object *schema, json_object *snapshot,
          int *fdp, uint64_t *sizep)
{
    json_object *recs[2] = { schema, snapshot };
    uint64_t off = 0;
    int error = 0;
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return -errno;
    }
    for (int i = 0; i < 2 && !error; i++) {
        size_t len;
        char *buf = frame_record(recs[i], &len);
        error = write_all(fd, buf, len, off);
        off += len;
        free(buf);
        if (!error && i == 0) {
            crash_point(OVSDB_CRASH_TMP_PARTIAL);
        }
    }
    if (!error && fsync(fd) < 0) {
        error = -errno;
    }
    if (error) {
        close(fd);
        unlink(tmp);
        return error;
    }
    *fdp = fd;
    *sizep = off;
    return 0;
}

int
ovsdb_log_create(const char *path, json_object *schema,
                 json_object *snapshot, struct ovsdb_log **logp,
                 struct ovsdb_error *err)
{
    char msg[512];
    char *tmp = path_with_suffix(path, ".tmp");
    int lock_fd = -1, fd = -1;
    uint64_t size = 0;
    struct stat st;
    int error;

    *logp = NULL;
    error = take_lock(path, &lock_fd, msg, sizeof msg);
    if (error) {
        ovsdb_error_set(err, error, OVSDB_E_IO, "%s", msg);
        goto out;
    }
    if (!lstat(path, &st)) {
        error = ovsdb_error_set(err, -EEXIST, OVSDB_E_IO, "%s: already "
                                "exists", path);
        goto err_unlock;
    }
    error = write_tmp(tmp, schema, snapshot, &fd, &size);
    if (!error && rename(tmp, path) < 0) {
        error = -errno;
        close(fd);
        unlink(tmp);
    }
    error = error ? error : fsync_dir(path);
    if (error) {
        ovsdb_error_set(err, error, OVSDB_E_IO, "%s: cannot create: %s",
                        path, strerror(-error));
        goto err_unlock;
    }
    *logp = log_new(path, fd, lock_fd, size, 2);
    goto out;

err_unlock:
    close(lock_fd);
out:
    free(tmp);
    return error;
}

/* Extends the zeros ahead of the log so that 'len' more bytes fit.
 * Best effort (a full disk only costs speed): on failure the file is cut
 * back and the record extends it as a plain append would. */
static void
preallocate(struct ovsdb_log *log, size_t len)
{
    static const char zeros[65536];
    uint64_t end = (log->size + len + LOG_PREALLOC_CHUNK)
                   / LOG_PREALLOC_CHUNK * LOG_PREALLOC_CHUNK;
    uint64_t off = log->alloc_end;
    if (log->size + len <= log->alloc_end) {
        return;
    }
    while (off < end) {
        size_t n = end - off < sizeof zeros ? end - off : sizeof zeros;
        if (write_all(log->fd, zeros, n, off)) {
            if (ftruncate(log->fd, log->alloc_end) < 0) {
                log->broken = true;
            }
            return;
        }
        off += n;
    }
    log->alloc_end = end;
}

int
ovsdb_log_write(struct ovsdb_log *log, json_object *rec)
{
    size_t len;
    char *buf;
    int error;

    if (log->broken) {
        return -EIO;
    }
    buf = frame_record(rec, &len);
    preallocate(log, len);
    if (crash_is_armed(OVSDB_CRASH_MID_APPEND)
        && !write_all(log->fd, buf, len / 2, log->size)) {
        crash_point(OVSDB_CRASH_MID_APPEND);
    }
    error = log->broken ? -EIO : write_all(log->fd, buf, len, log->size);
    free(buf);
    if (error) {
        /* Leave no partial record behind: the next append must start at
         * a record boundary (the zeros ahead go too). */
        if (ftruncate(log->fd, log->size) < 0) {
            log->broken = true;
        }
        log->alloc_end = log->size;
        return error;
    }
    log->size += len;
    if (log->size > log->alloc_end) {
        log->alloc_end = log->size;
    }
    log->n_records++;
    log->unsynced = true;
    return 0;
}

int
ovsdb_log_sync(struct ovsdb_log *log)
{
    if (log->broken) {
        return -EIO;
    }
    /* One fdatasync covers every record written since the last one: they
     * are all in the same file. */
    if (log->unsynced && fdatasync(log->fd) < 0) {
        log->broken = true;
        return -EIO;
    }
    log->unsynced = false;
    return 0;
}

bool
ovsdb_log_needs_sync(const struct ovsdb_log *log)
{
    return log->unsynced && !log->broken;
}

int
ovsdb_log_append(struct ovsdb_log *log, json_object *rec, bool durable)
{
    int error = ovsdb_log_write(log, rec);
    return error || !durable ? error : ovsdb_log_sync(log);
}

int
ovsdb_log_replace(struct ovsdb_log *log, json_object *schema,
                  json_object *snapshot)
{
    char *tmp = path_with_suffix(log->path, ".tmp");
    uint64_t size;
    int fd, error;

    error = write_tmp(tmp, schema, snapshot, &fd, &size);
    if (error) {
        goto out;
    }
    crash_point(OVSDB_CRASH_BEFORE_RENAME);
    if (rename(tmp, log->path) < 0) {
        error = -errno;
        close(fd);
        unlink(tmp);
        goto out;
    }
    crash_point(OVSDB_CRASH_AFTER_RENAME);
    close(log->fd);
    log->fd = fd;
    log->size = size;
    log->alloc_end = size;
    log->n_records = 2;
    log->unsynced = false;
    log->broken = false;
    crash_point(OVSDB_CRASH_BEFORE_DIR_FSYNC);
    /* Without this the rename itself may not survive a power loss; the
     * old file is still a complete log then, so this only costs the
     * compaction, not data. */
    error = fsync_dir(log->path);
out:
    free(tmp);
    return error;
}

void
ovsdb_log_close(struct ovsdb_log *log)
{
    if (!log) {
        return;
    }
    if (log->unsynced && !log->broken && fdatasync(log->fd) < 0) {
        rsw_log(RSW_LOG_ERR, "ovsdb-lite: %s: fdatasync on close: %s",
                log->path, strerror(errno));
    }
    /* A closed log keeps no preallocated zeros (harmless if this is
     * lost: recovery skips them). */
    if (log->alloc_end > log->size && !log->broken
        && ftruncate(log->fd, log->size) < 0) {
        rsw_log(RSW_LOG_WARN, "ovsdb-lite: %s: trimming preallocated "
                "space: %s", log->path, strerror(errno));
    }
    close(log->fd);
    close(log->lock_fd);
    free(log->path);
    free(log);
}

uint64_t
ovsdb_log_size(const struct ovsdb_log *log)
{
    return log->size;
}

uint64_t
ovsdb_log_allocated(const struct ovsdb_log *log)
{
    return log->alloc_end;
}

size_t
ovsdb_log_n_records(const struct ovsdb_log *log)
{
    return log->n_records;
}
