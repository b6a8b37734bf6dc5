/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the durable log and the database handle
 * (ovsdb-lite/log.c, ovsdb.c): recovery, locking, compaction crashes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ovsdb_fixture.h"

struct lfx {
    char dir[64];
    char path[128];
    struct ovsdb_schema *schema;
};

static int
setup(void **state)
{
    struct lfx *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/ovsdb-log-test-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof fx->path, "%s/conf.db", fx->dir);
    fx->schema = fx_rsw_schema();
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct lfx *fx = *state;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
    ovsdb_schema_destroy(fx->schema);
    free(fx);
    return 0;
}

static struct ovsdb *
open_ok(struct lfx *fx, bool create, struct ovsdb_log_report *rep)
{
    struct ovsdb *h = NULL;
    struct ovsdb_log_report scratch;
    rep = rep ? rep : &scratch;
    int error = ovsdb_open(fx->path, fx->schema, create, &h, rep);
    if (error) {
        fail_msg("open: %d %s", error, rep->error);
    }
    return h;
}

static void
transact_ok(struct ovsdb *h, bool durable, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
transact_ok(struct ovsdb *h, bool durable, const char *fmt, ...)
{
    char *text;
    va_list args;
    va_start(args, fmt);
    assert_true(vasprintf(&text, fmt, args) > 0);
    va_end(args);
    json_object *params = fx_json(text), *res;
    int error = ovsdb_transact(h, params, durable, &res);
    if (error) {
        fail_msg("%s -> %s", text, json_object_to_json_string(res));
    }
    json_object_put(res);
    json_object_put(params);
    free(text);
}

static void
add_vm(struct ovsdb *h, int i, bool durable)
{
    transact_ok(h, durable, "[\"Ringswitch\",{\"op\":\"insert\",\"table\":"
                "\"VM\",\"row\":{\"name\":\"vm%d\",\"external_ids\":[\"map\","
                "[[\"i\",\"%d\"]]]}},{\"op\":\"mutate\",\"table\":"
                "\"Ringswitch\",\"where\":[],\"mutations\":[[\"next_cfg\","
                "\"+=\",1]]}]", i, i);
}

static void
add_bridge(struct ovsdb *h, const char *br)
{
    transact_ok(h, true, "[\"Ringswitch\","
        "{\"op\":\"insert\",\"table\":\"Interface\",\"uuid-name\":\"i\","
        " \"row\":{\"name\":\"%s-p\",\"type\":\"dpdk\",\"options\":[\"map\","
        " [[\"devargs\",\"net_null0\"]]]}},"
        "{\"op\":\"insert\",\"table\":\"Port\",\"uuid-name\":\"p\","
        " \"row\":{\"name\":\"%s-p\",\"interfaces\":[\"named-uuid\",\"i\"],"
        " \"tag\":7}},"
        "{\"op\":\"insert\",\"table\":\"Bridge\",\"uuid-name\":\"b\","
        " \"row\":{\"name\":\"%s\",\"ports\":[\"named-uuid\",\"p\"]}},"
        "{\"op\":\"mutate\",\"table\":\"Ringswitch\",\"where\":[],"
        " \"mutations\":[[\"bridges\",\"insert\",[\"named-uuid\",\"b\"]]]}]",
        br, br, br);
}

/* The durable content of a handle's db, for comparing across reopens. */
static json_object *
state_of(struct ovsdb *h)
{
    return ovsdb_db_to_json(ovsdb_get_db(h));
}

static void
assert_state(struct lfx *fx, json_object *expect,
             struct ovsdb_log_report *rep)
{
    struct ovsdb *h = open_ok(fx, false, rep);
    json_object *got = state_of(h);
    if (!json_object_equal(got, expect)) {
        fail_msg("state differs:\n%s\n%s", json_object_to_json_string(got),
                 json_object_to_json_string(expect));
    }
    json_object_put(got);
    ovsdb_close(h);
}

static off_t
file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

static char *
slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    size_t size = file_size(path);
    char *buf = malloc(size + 1);
    assert_int_equal(read(fd, buf, size), (ssize_t) size);
    close(fd);
    *len = size;
    return buf;
}

static void
spit(const char *path, const char *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t) len);
    close(fd);
}

static void
test_round_trip(void **state)
{
    struct lfx *fx = *state;
    struct ovsdb_log_report rep;
    struct ovsdb *h = open_ok(fx, true, &rep);
    assert_int_equal(ovsdb_table_count(ovsdb_get_table(h, "Ringswitch")), 1);
    add_bridge(h, "br0");
    add_bridge(h, "br1");
    add_vm(h, 1, false);
    transact_ok(h, true, "[\"Ringswitch\",{\"op\":\"update\",\"table\":"
                "\"Interface\",\"where\":[],\"row\":{\"statistics\":[\"map\","
                "[[\"rx\",1]]]}}]");     /* ephemeral only: not logged */
    json_object *expect = state_of(h);
    size_t n_records = ovsdb_log_n_records(ovsdb_get_log(h));
    assert_int_equal(n_records, 5);
    ovsdb_close(h);
    assert_state(fx, expect, &rep);
    assert_int_equal(rep.n_records, 5);
    assert_int_equal(rep.bytes_truncated, 0);
    json_object_put(expect);

    /* Reopen keeps references counted: GC still works. */
    h = open_ok(fx, false, NULL);
    transact_ok(h, true, "[\"Ringswitch\",{\"op\":\"update\",\"table\":"
                "\"Ringswitch\",\"where\":[],\"row\":{\"bridges\":[\"set\","
                "[]]}}]");
    assert_int_equal(ovsdb_table_count(ovsdb_get_table(h, "Port")), 0);
    assert_int_equal(ovsdb_table_count(ovsdb_get_table(h, "Interface")), 0);
    ovsdb_close(h);
    ovsdb_close(NULL);
}

static void
test_torn_tail_every_offset(void **state)
{
    struct lfx *fx = *state;
    struct ovsdb *h = open_ok(fx, true, NULL);
    add_bridge(h, "br0");
    json_object *expect = state_of(h);
    off_t good = ovsdb_log_size(ovsdb_get_log(h));
    add_bridge(h, "br1");
    ovsdb_close(h);

    size_t len;
    char *full = slurp(fx->path, &len);
    assert_true((off_t) len > good);
    for (size_t cut = good; cut < len; cut++) {
        struct ovsdb_log_report rep;
        spit(fx->path, full, cut);
        assert_state(fx, expect, &rep);
        assert_int_equal(rep.bytes_truncated, cut - good);
        assert_int_equal(file_size(fx->path), good);
        if (cut > (size_t) good && !strstr(rep.reason, "short")) {
            fail_msg("cut %zu: reason \"%s\"", cut, rep.reason);
        }
    }
    free(full);
    json_object_put(expect);
}

static void
test_bad_checksum_and_garbage(void **state)
{
    struct lfx *fx = *state;
    struct ovsdb_log_report rep;
    struct ovsdb *h = open_ok(fx, true, NULL);
    add_bridge(h, "br0");
    json_object *expect = state_of(h);
    off_t good = ovsdb_log_size(ovsdb_get_log(h));
    add_vm(h, 1, true);
    ovsdb_close(h);

    size_t len;
    char *full = slurp(fx->path, &len);
    full[len - 3] ^= 0x20;                  /* inside the last payload */
    spit(fx->path, full, len);
    assert_state(fx, expect, &rep);
    assert_string_equal(rep.reason, "bad checksum after record 2");
    assert_int_equal(rep.bytes_truncated, len - good);

    /* Garbage after the last good record. */
    full[len - 3] ^= 0x20;
    spit(fx->path, full, good);
    int fd = open(fx->path, O_WRONLY | O_APPEND);
    assert_int_equal(write(fd, "hello world\n", 12), 12);
    close(fd);
    assert_state(fx, expect, &rep);
    assert_int_equal(rep.bytes_truncated, 12);
    assert_non_null(strstr(rep.reason, "garbage"));
    json_object_put(expect);

    /* Damage followed by valid records is not a torn tail: refuse. */
    spit(fx->path, full, len);
    size_t mid = good - 5;                  /* inside record 2 */
    full[mid] ^= 0x01;
    spit(fx->path, full, len);
    struct ovsdb *h2 = NULL;
    assert_int_equal(ovsdb_open(fx->path, fx->schema, false, &h2, &rep),
                     -EUCLEAN);
    assert_null(h2);
    assert_non_null(strstr(rep.error, "refusing to truncate"));
    assert_int_equal(file_size(fx->path), len);
    free(full);
}

static void
expect_open_error(struct lfx *fx, int expect, const char *detail)
{
    struct ovsdb_log_report rep;
    struct ovsdb *h = NULL;
    size_t before_len = 0;
    char *before = slurp(fx->path, &before_len);
    int error = ovsdb_open(fx->path, fx->schema, true, &h, &rep);
    if (error != expect || h || !strstr(rep.error, detail)) {
        fail_msg("open -> %d (want %d) \"%s\" (want \"%s\")", error, expect,
                 rep.error, detail);
    }
    size_t after_len;
    char *after = slurp(fx->path, &after_len);
    assert_int_equal(before_len, after_len);     /* file not modified */
    assert_memory_equal(before, after, before_len);
    free(before);
    free(after);
}

static void
test_bad_files(void **state)
{
    struct lfx *fx = *state;
    spit(fx->path, "", 0);
    expect_open_error(fx, -ENODATA, "empty file");
    spit(fx->path, "hello, world\n", 13);
    expect_open_error(fx, -EPROTO, "not an ovsdb-lite database");
    spit(fx->path, "RSWDB1 5 00000000\nabc", 21);
    expect_open_error(fx, -EPROTO, "schema or snapshot");

    /* A file holding another schema. */
    struct ovsdb_schema *other;
    assert_int_equal(ovsdb_schema_from_string(
        "{\"name\":\"Other\",\"version\":\"2.0.0\",\"tables\":{\"T\":{"
        "\"columns\":{\"a\":{\"type\":\"integer\"}}}}}", &other, NULL), 0);
    unlink(fx->path);
    struct ovsdb *h = NULL;
    assert_int_equal(ovsdb_open(fx->path, other, true, &h, NULL), 0);
    ovsdb_close(h);
    ovsdb_schema_destroy(other);
    expect_open_error(fx, -EMEDIUMTYPE, "schema Other 2.0.0, expected "
                      "Ringswitch 1.0.0");

    /* Missing file without create: no stray FILE.lock either. */
    unlink(fx->path);
    char lock[sizeof fx->path + 8];
    snprintf(lock, sizeof lock, "%s.lock", fx->path);
    unlink(lock);
    assert_int_equal(ovsdb_open(fx->path, fx->schema, false, &h, NULL),
                     -ENOENT);
    assert_int_equal(access(lock, F_OK), -1);
}

static void
test_lock(void **state)
{
    struct lfx *fx = *state;
    struct ovsdb_log_report rep;
    struct ovsdb *h = open_ok(fx, true, NULL), *h2 = NULL;
    assert_int_equal(ovsdb_open(fx->path, fx->schema, false, &h2, &rep),
                     -EBUSY);
    assert_null(h2);
    assert_non_null(strstr(rep.error, "locked"));
    /* Another process too. */
    pid_t pid = fork();
    if (!pid) {
        int e = ovsdb_open(fx->path, fx->schema, false, &h2, &rep);
        _exit(e == -EBUSY ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ovsdb_close(h);
    h = open_ok(fx, false, NULL);
    ovsdb_close(h);
}

/* Runs 'fn' in a child armed to crash at 'point'; the child must die
 * there. */
static void
crash_child(struct lfx *fx, enum ovsdb_log_crash_point point,
            void (*fn)(struct ovsdb *))
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (!pid) {
        struct ovsdb *h = NULL;
        if (ovsdb_open(fx->path, fx->schema, false, &h, NULL)) {
            _exit(1);
        }
        ovsdb_log_set_crash_point(point);
        fn(h);
        _exit(2);                           /* should not get here */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), OVSDB_CRASH_EXIT_CODE);
}

static void
do_compact(struct ovsdb *h)
{
    if (ovsdb_compact(h)) {
        _exit(3);
    }
}

static void
do_append(struct ovsdb *h)
{
    add_vm(h, 999, true);
}

static void
test_compaction_crash_points(void **state)
{
    static const enum ovsdb_log_crash_point points[] = {
        OVSDB_CRASH_TMP_PARTIAL, OVSDB_CRASH_BEFORE_RENAME,
        OVSDB_CRASH_AFTER_RENAME, OVSDB_CRASH_BEFORE_DIR_FSYNC,
    };
    struct lfx *fx = *state;
    struct ovsdb *h = open_ok(fx, true, NULL);
    add_bridge(h, "br0");
    for (int i = 0; i < 20; i++) {
        add_vm(h, i, false);
    }
    json_object *expect = state_of(h);
    ovsdb_close(h);

    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        struct ovsdb_log_report rep;
        crash_child(fx, points[i], do_compact);
        assert_state(fx, expect, &rep);
        assert_int_equal(rep.bytes_truncated, 0);
        /* After the rename the file is the compacted one (and stays so
         * for the later points). */
        assert_int_equal(rep.n_records,
                         points[i] >= OVSDB_CRASH_AFTER_RENAME ? 2 : 23);
    }
    /* A crash in the middle of an append leaves a torn tail. */
    crash_child(fx, OVSDB_CRASH_MID_APPEND, do_append);
    struct ovsdb_log_report rep;
    assert_state(fx, expect, &rep);
    assert_true(rep.bytes_truncated > 0);
    json_object_put(expect);
}

/* A crash: the child appends a durable record and dies without closing,
 * leaving the preallocated zeros after it. */
static void
append_and_die(struct lfx *fx, int i)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (!pid) {
        struct ovsdb *h = NULL;
        if (ovsdb_open(fx->path, fx->schema, false, &h, NULL)) {
            _exit(1);
        }
        add_vm(h, i, true);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
poke(const char *path, off_t off, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, buf, len, off), (ssize_t) len);
    close(fd);
}

static void
test_preallocated_space(void **state)
{
    struct lfx *fx = *state;
    struct ovsdb_log_report rep;
    struct ovsdb *h = open_ok(fx, true, NULL);
    add_bridge(h, "br0");
    const struct ovsdb_log *log = ovsdb_get_log(h);
    off_t good = ovsdb_log_size(log);
    /* Zeros ahead of the last record, on disk; trimmed on close. */
    assert_true(ovsdb_log_allocated(log) > ovsdb_log_size(log));
    assert_int_equal(file_size(fx->path), ovsdb_log_allocated(log));
    ovsdb_close(h);
    assert_int_equal(file_size(fx->path), good);

    /* After a crash they are still there: not damage, nothing cut. */
    append_and_die(fx, 1);
    off_t alloc = file_size(fx->path);
    assert_true(alloc > good);
    h = open_ok(fx, false, &rep);
    assert_int_equal(rep.bytes_truncated, 0);
    assert_string_equal(rep.reason, "");
    assert_int_equal(rep.n_records, 4);
    assert_int_equal(ovsdb_log_allocated(ovsdb_get_log(h)), alloc);
    good = ovsdb_log_size(ovsdb_get_log(h));
    json_object *expect = state_of(h);
    ovsdb_close(h);

    /* A record torn inside the zeros: its first half, then zeros. */
    append_and_die(fx, 2);
    size_t len;
    char *full = slurp(fx->path, &len);
    size_t rec_len = strlen(full + good);       /* up to the zeros */
    assert_true(rec_len > 20);
    memset(full + good + rec_len / 2, 0, rec_len - rec_len / 2);
    spit(fx->path, full, len);
    assert_state(fx, expect, &rep);
    assert_int_equal(rep.bytes_truncated, len - good);
    assert_int_equal(file_size(fx->path), good);
    assert_non_null(strstr(rep.reason, "checksum"));

    /* A header torn inside the zeros. */
    append_and_die(fx, 3);
    free(full);
    full = slurp(fx->path, &len);
    memset(full + good + 10, 0, len - good - 10);
    spit(fx->path, full, len);
    assert_state(fx, expect, &rep);
    assert_true(rep.bytes_truncated > 0);
    assert_int_equal(file_size(fx->path), good);

    /* Any non-zero byte in the space is garbage: the tail is cut. */
    append_and_die(fx, 4);
    h = open_ok(fx, false, NULL);       /* keeps the zeros after vm4 */
    good = ovsdb_log_size(ovsdb_get_log(h));
    json_object_put(expect);
    expect = state_of(h);
    alloc = ovsdb_log_allocated(ovsdb_get_log(h));
    ovsdb_log_set_crash_point(OVSDB_CRASH_NONE);
    free(full);
    full = slurp(fx->path, &len);
    ovsdb_close(h);
    spit(fx->path, full, len);          /* as the crash left it */
    poke(fx->path, alloc - 1, "x", 1);
    assert_state(fx, expect, &rep);
    assert_int_equal(rep.bytes_truncated, alloc - good);
    assert_non_null(strstr(rep.reason, "garbage"));
    free(full);
    json_object_put(expect);
}

static void
add_port(struct ovsdb *h, int i)
{
    transact_ok(h, true, "[\"Ringswitch\","
        "{\"op\":\"insert\",\"table\":\"Interface\",\"uuid-name\":\"i\","
        " \"row\":{\"name\":\"p%d\"}},"
        "{\"op\":\"insert\",\"table\":\"Port\",\"uuid-name\":\"p\","
        " \"row\":{\"name\":\"p%d\",\"interfaces\":[\"named-uuid\",\"i\"]}},"
        "{\"op\":\"mutate\",\"table\":\"Bridge\",\"where\":[],"
        " \"mutations\":[[\"ports\",\"insert\",[\"named-uuid\",\"p\"]],"
        "  [\"external_ids\",\"insert\",[\"map\",[[\"k%d\",\"v\"]]]]]}]",
        i, i, i);
}

/* Changes to big sets and maps are logged as differences: records do
 * not grow with the column, and replay rebuilds the same values. */
static void
test_diff_records(void **state)
{
    struct lfx *fx = *state;
    struct ovsdb *h = open_ok(fx, true, NULL);
    transact_ok(h, true, "[\"Ringswitch\",{\"op\":\"insert\",\"table\":"
                "\"Bridge\",\"uuid-name\":\"b\",\"row\":{\"name\":\"br0\"}},"
                "{\"op\":\"mutate\",\"table\":\"Ringswitch\",\"where\":[],"
                "\"mutations\":[[\"bridges\",\"insert\",[\"named-uuid\","
                "\"b\"]]]}]");
    uint64_t first = 0, last = 0;
    for (int i = 0; i < 60; i++) {
        uint64_t before = ovsdb_log_size(ovsdb_get_log(h));
        add_port(h, i);
        uint64_t size = ovsdb_log_size(ovsdb_get_log(h)) - before;
        first = i == 1 ? size : first;
        last = size;
    }
    /* 60 port UUIDs alone would be over 2 KB. */
    assert_true(last < first + 40);
    /* A value changed, a key and a port removed (garbage collection
     * deletes the port and its interface). */
    const struct ovsdb_row *port;
    OVSDB_TABLE_FOR_EACH (port, ovsdb_get_table(h, "Port")) {
        if (!strcmp(ovsdb_row_get(port, "name")->keys[0].string, "p7")) {
            break;
        }
    }
    assert_non_null(port);
    char uuid[OVSDB_UUID_LEN + 1];
    ovsdb_uuid_format(ovsdb_row_uuid(port), uuid);
    transact_ok(h, true, "[\"Ringswitch\",{\"op\":\"mutate\",\"table\":"
                "\"Bridge\",\"where\":[],\"mutations\":[[\"external_ids\","
                "\"delete\",[\"set\",[\"k3\",\"k4\"]]],[\"external_ids\","
                "\"insert\",[\"map\",[[\"k4\",\"new\"]]]],[\"ports\","
                "\"delete\",[\"uuid\",\"%s\"]]]}]", uuid);
    assert_int_equal(ovsdb_table_count(ovsdb_get_table(h, "Port")), 59);
    assert_int_equal(ovsdb_table_count(ovsdb_get_table(h, "Interface")), 59);
    json_object *expect = state_of(h);
    ovsdb_close(h);
    size_t len;
    char *full = slurp(fx->path, &len);
    assert_non_null(strstr(full, "\"" OVSDB_RECORD_DIFF "\""));
    free(full);
    struct ovsdb_log_report rep;
    assert_state(fx, expect, &rep);
    assert_int_equal(rep.n_records, 2 + 1 + 60 + 1);
    json_object_put(expect);
}

static void
test_compaction_and_many(void **state)
{
    struct lfx *fx = *state;
    struct timespec t0, t1, t2;
    struct ovsdb *h = open_ok(fx, true, NULL);
    ovsdb_set_compaction(h, 0, 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 1000; i++) {
        add_vm(h, i, false);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (int i = 1000; i < 1200; i++) {
        add_vm(h, i, true);
    }
    clock_gettime(CLOCK_MONOTONIC, &t2);
    double nd = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    double du = (t2.tv_sec - t1.tv_sec) + (t2.tv_nsec - t1.tv_nsec) / 1e9;
    print_message("ovsdb-lite: %.0f non-durable txn/s, %.0f durable txn/s "
                  "(log %llu bytes)\n", 1000 / nd, 200 / du,
                  (unsigned long long) ovsdb_log_size(ovsdb_get_log(h)));
    json_object *expect = state_of(h);
    ovsdb_close(h);
    assert_state(fx, expect, NULL);

    h = open_ok(fx, false, NULL);
    uint64_t before = ovsdb_log_size(ovsdb_get_log(h));
    assert_int_equal(ovsdb_compact(h), 0);
    assert_true(ovsdb_log_size(ovsdb_get_log(h)) < before);
    assert_int_equal(ovsdb_log_n_records(ovsdb_get_log(h)), 2);
    add_vm(h, 5000, true);                  /* appends after compaction */
    json_object_put(expect);
    expect = state_of(h);
    ovsdb_close(h);
    struct ovsdb_log_report rep;
    assert_state(fx, expect, &rep);
    assert_int_equal(rep.n_records, 3);

    /* Automatic compaction. */
    h = open_ok(fx, false, NULL);
    ovsdb_set_compaction(h, 10, 1);
    for (int i = 0; i < 10; i++) {
        add_vm(h, 6000 + i, false);
    }
    assert_true(ovsdb_log_n_records(ovsdb_get_log(h)) < 10);
    json_object_put(expect);
    expect = state_of(h);
    ovsdb_close(h);
    assert_state(fx, expect, NULL);
    json_object_put(expect);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_every_offset, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_checksum_and_garbage, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compaction_crash_points, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_compaction_and_many, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_preallocated_space, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_diff_records, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
