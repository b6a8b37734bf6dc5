/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-vsctl without a switch: the command line parser, value parsing and
 * formatting against the real schema's column types, and commands run
 * against a local replica whose transaction is then replayed on a second
 * database, as the switch would run it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include "ovsdb_fixture.h"
#include "utilities/vsctl.h"

#define ROOT_UUID "11111111-2222-4333-8444-555555555555"
#define BASE_ROWS "{\"Ringswitch\": {\"" ROOT_UUID "\": {}}}"

static struct ovsdb_schema *schema;

static int
setup(void **state)
{
    (void) state;
    schema = fx_rsw_schema();
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    ovsdb_schema_destroy(schema);
    return 0;
}

static const struct ovsdb_type *
col_type(const char *table, const char *column)
{
    const struct ovsdb_table_schema *ts = ovsdb_schema_find_table(schema,
                                                                  table);
    assert_non_null(ts);
    const struct ovsdb_column_schema *c = ovsdb_schema_find_column(ts, column);
    assert_non_null(c);
    return &c->type;
}

/* Parses a command line given as one string split at spaces.  The
 * options point into argv (as into main's): it stays until the next
 * call. */
static int
parse(const char *line, struct vsctl_options *o, char *err, char **buf)
{
    static char *argv[VSCTL_MAX_ARGS];
    int argc = 0;

    *buf = strdup(line);
    for (char *save = NULL, *t = strtok_r(*buf, " ", &save); t;
         t = strtok_r(NULL, " ", &save)) {
        argv[argc++] = t;
    }
    argv[argc] = NULL;
    return vsctl_parse_args(argc, argv, o, err, VSCTL_ERR_SIZE);
}

static void
test_args(void **state)
{
    struct vsctl_options o;
    char err[VSCTL_ERR_SIZE], *buf;
    (void) state;

    assert_int_equal(parse("rsw-vsctl --ctl /s --format=table -t 5 "
                           "--no-wait add-br br0 -- --may-exist add-port br0 "
                           "p1 type=vhostuser -- list Bridge", &o, err, &buf),
                     0);
    assert_string_equal(o.ctl, "/s");
    assert_int_equal(o.format, VSCTL_FORMAT_TABLE);
    assert_int_equal(o.timeout_s, 5);
    assert_true(o.no_wait);
    assert_int_equal(o.n_cmds, 3);
    assert_string_equal(o.cmds[0].syntax->name, "add-br");
    assert_int_equal(o.cmds[0].argc, 1);
    assert_string_equal(o.cmds[1].syntax->name, "add-port");
    assert_true(o.cmds[1].may_exist);
    assert_int_equal(o.cmds[1].argc, 3);
    assert_string_equal(o.cmds[1].argv[2], "type=vhostuser");
    assert_string_equal(o.cmds[2].syntax->name, "list");
    vsctl_options_destroy(&o);
    free(buf);

    /* Leading command options belong to the first command. */
    assert_int_equal(parse("rsw-vsctl --if-exists del-br x", &o, err, &buf),
                     0);
    assert_true(o.cmds[0].if_exists);
    vsctl_options_destroy(&o);
    free(buf);
}

static void
expect_args_error(const char *line, const char *needle)
{
    struct vsctl_options o;
    char err[VSCTL_ERR_SIZE] = "", *buf;

    assert_int_equal(parse(line, &o, err, &buf), -EINVAL);
    if (!strstr(err, needle)) {
        fail_msg("'%s': error '%s' lacks '%s'", line, err, needle);
    }
    vsctl_options_destroy(&o);
    free(buf);
}

static void
test_args_errors(void **state)
{
    (void) state;
    expect_args_error("rsw-vsctl", "missing command");
    expect_args_error("rsw-vsctl --", "missing command");
    expect_args_error("rsw-vsctl frobnicate", "unknown command 'frobnicate'");
    expect_args_error("rsw-vsctl add-br", "takes more arguments");
    expect_args_error("rsw-vsctl add-br a b", "takes fewer arguments");
    expect_args_error("rsw-vsctl --may-exist del-br a", "does not accept");
    expect_args_error("rsw-vsctl --bogus show", "unknown option '--bogus'");
    expect_args_error("rsw-vsctl --ctl", "needs a value");
    expect_args_error("rsw-vsctl --format xml show", "--format");
    expect_args_error("rsw-vsctl --timeout -1 show", "--timeout");
    expect_args_error("rsw-vsctl show -- --may-exist", "missing command");
}

static void
test_column_args(void **state)
{
    struct vsctl_column_arg ca;
    char err[VSCTL_ERR_SIZE];
    (void) state;

    assert_int_equal(vsctl_parse_column_arg("options:path=/a=b", 1, &ca, err,
                                            sizeof err), 0);
    assert_string_equal(ca.column, "options");
    assert_string_equal(ca.key, "path");
    assert_string_equal(ca.value, "/a=b");
    vsctl_column_arg_destroy(&ca);

    assert_int_equal(vsctl_parse_column_arg("external_ids:\"k=1\"=v", 1, &ca,
                                            err, sizeof err), 0);
    assert_string_equal(ca.key, "\"k=1\"");
    assert_string_equal(ca.value, "v");
    vsctl_column_arg_destroy(&ca);

    assert_int_equal(vsctl_parse_column_arg("tag", 0, &ca, err, sizeof err),
                     0);
    assert_null(ca.key);
    assert_null(ca.value);
    vsctl_column_arg_destroy(&ca);

    assert_int_equal(vsctl_parse_column_arg("tag", 1, &ca, err, sizeof err),
                     -EINVAL);
    assert_int_equal(vsctl_parse_column_arg("tag=1", 0, &ca, err, sizeof err),
                     -EINVAL);
    assert_int_equal(vsctl_parse_column_arg("=1", -1, &ca, err, sizeof err),
                     -EINVAL);
    assert_int_equal(vsctl_parse_column_arg("options:=1", 1, &ca, err,
                                            sizeof err), -EINVAL);
}

/* Parses 'text' for TABLE.COLUMN; returns compact JSON or the error. */
static const char *
datum(const char *table, const char *column, const char *text)
{
    static char out[VSCTL_ERR_SIZE];
    json_object *j = NULL;

    if (vsctl_parse_datum(col_type(table, column), text, &j, out,
                          sizeof out)) {
        return out;
    }
    snprintf(out, sizeof out, "%s", json_object_to_json_string_ext(
                 j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(j);
    return out;
}

static void
test_values(void **state)
{
    (void) state;
    assert_string_equal(datum("Interface", "ofport_request", "5"), "5");
    assert_string_equal(datum("Interface", "ofport_request", "[]"),
                        "[\"set\",[]]");
    assert_string_equal(datum("Interface", "ofport_request", " 7 "), "7");
    assert_string_equal(datum("Interface", "ofport_request", "abc"),
                        "\"abc\" is not an integer");
    assert_non_null(strstr(datum("Interface", "ofport_request", "0"),
                           "range"));
    assert_string_equal(datum("Interface", "type", "vhostuser"),
                        "\"vhostuser\"");
    assert_non_null(strstr(datum("Interface", "type", "tap"),
                           "allowed values"));
    assert_string_equal(datum("Interface", "options",
                              "{path=\"/tmp/a,b\", n=1}"),
                        "[\"map\",[[\"path\",\"/tmp/a,b\"],[\"n\",\"1\"]]]");
    assert_string_equal(datum("Interface", "options", "k=v"),
                        "[\"map\",[[\"k\",\"v\"]]]");
    assert_string_equal(datum("Interface", "options", "{}"),
                        "[\"map\",[]]");
    assert_string_equal(datum("Interface", "options", "{novalue}"),
                        "\"novalue\" is not a KEY=VALUE pair");
    assert_string_equal(datum("Port", "trunks", "1,2, 3"),
                        "[\"set\",[1,2,3]]");
    assert_string_equal(datum("Port", "trunks", "[10]"), "[\"set\",[10]]");
    assert_non_null(strstr(datum("Port", "trunks", "[1, 5000]"), "range"));
    assert_string_equal(datum("Interface", "name", "\"a b\""), "\"a b\"");
    assert_string_equal(datum("Interface", "name", "\"unterminated"),
                        "\"\"unterminated\" is not a valid string "
                        "(bad quoting)");
    assert_string_equal(datum("Bridge", "ports", "not-a-uuid"),
                        "\"not-a-uuid\" is not a UUID");
    /* A scalar string keeps its commas. */
    assert_string_equal(datum("Interface", "error", "a,b"), "\"a,b\"");
}

static void
test_elements(void **state)
{
    const struct ovsdb_type *opts = col_type("Interface", "options");
    char err[VSCTL_ERR_SIZE];
    json_object *j = NULL;
    (void) state;

    assert_int_equal(vsctl_parse_elements(opts, "a b", true, &j, err,
                                          sizeof err), 0);
    assert_string_equal(json_object_to_json_string_ext(
                            j, JSON_C_TO_STRING_PLAIN), "[\"set\",[\"a b\"]]");
    json_object_put(j);
    assert_int_equal(vsctl_parse_elements(opts, "a=1", true, &j, err,
                                          sizeof err), 0);
    assert_string_equal(json_object_to_json_string_ext(
                            j, JSON_C_TO_STRING_PLAIN),
                        "[\"map\",[[\"a\",\"1\"]]]");
    json_object_put(j);
    assert_int_equal(vsctl_parse_elements(opts, "a,b=1", true, &j, err,
                                          sizeof err), -EINVAL);
    /* add's elements are checked per atom, not for the column's size. */
    assert_int_equal(vsctl_parse_elements(col_type("Port", "trunks"), "4096",
                                          false, &j, err, sizeof err),
                     -EINVAL);
}

static void
test_format(void **state)
{
    const struct ovsdb_type *opts = col_type("Interface", "options");
    const struct ovsdb_type *req = col_type("Interface", "ofport_request");
    struct ovsdb_error oerr = {0};
    struct ovsdb_datum d;
    char err[VSCTL_ERR_SIZE];
    json_object *j = NULL;
    (void) state;

    assert_int_equal(vsctl_parse_datum(opts, "{path=\"/tmp/x\", mode=client,"
                                       " e=\"\", t=true, q=\"a\\\"b\"}",
                                       &j, err, sizeof err), 0);
    assert_int_equal(ovsdb_datum_from_json(&d, opts, j, NULL, false, &oerr),
                     0);
    char *s = vsctl_format_datum(&d, opts);
    assert_string_equal(s, "{e=\"\", mode=client, path=\"/tmp/x\", "
                        "q=\"a\\\"b\", t=\"true\"}");
    /* It reads back as the same value. */
    json_object *j2 = NULL;
    assert_int_equal(vsctl_parse_datum(opts, s, &j2, err, sizeof err), 0);
    struct ovsdb_datum d2;
    assert_int_equal(ovsdb_datum_from_json(&d2, opts, j2, NULL, false, &oerr),
                     0);
    assert_true(ovsdb_datum_equals(&d, &d2, opts));
    free(s);
    ovsdb_datum_destroy(&d, opts);
    ovsdb_datum_destroy(&d2, opts);
    json_object_put(j);
    json_object_put(j2);

    ovsdb_datum_init_empty(&d);
    s = vsctl_format_datum(&d, req);
    assert_string_equal(s, "[]");
    free(s);
}

/* Runs a command line against a replica of BASE_ROWS; returns rc and
 * leaves the context for inspection. */
static int
run_line(const char *line, struct vsctl_options *o, struct vsctl_ctx *ctx,
         char **buf)
{
    char err[VSCTL_ERR_SIZE];
    json_object *rows = fx_json(BASE_ROWS);

    assert_int_equal(parse(line, o, err, buf), 0);
    assert_int_equal(vsctl_ctx_init(ctx, o, schema, rows), 0);
    json_object_put(rows);
    return vsctl_run_commands(ctx);
}

/* Replays the context's transaction on a fresh copy of BASE_ROWS, as the
 * switch would; returns that database. */
static struct ovsdb_db *
replay(struct vsctl_ctx *ctx)
{
    struct ovsdb_db *db = ovsdb_db_create(schema);
    struct ovsdb_error oerr = {0};
    json_object *rows = fx_json(BASE_ROWS), *results = NULL;

    assert_int_equal(ovsdb_db_load_rows(db, rows, &oerr), 0);
    int rc = ovsdb_txn_run(db, ctx->ops, &results);
    if (rc) {
        fail_msg("replay failed: %s", json_object_to_json_string(results));
    }
    json_object_put(results);
    json_object_put(rows);
    return db;
}

static const struct ovsdb_row *
find_named(struct ovsdb_db *db, const char *table, const char *name)
{
    const struct ovsdb_row *row;

    OVSDB_TABLE_FOR_EACH (row, ovsdb_db_get_table(db, table)) {
        const struct ovsdb_datum *d = ovsdb_row_get(row, "name");
        if (d->n && !strcmp(d->keys[0].string, name)) {
            return row;
        }
    }
    return NULL;
}

static void
test_commands_replay(void **state)
{
    struct vsctl_options o;
    struct vsctl_ctx ctx;
    char *buf;
    (void) state;

    assert_int_equal(run_line(
        "rsw-vsctl add-br br0 -- add-port br0 p1 type=vhostuser "
        "options:path=/s -- set Interface p1 ofport_request=3 "
        "options:mode=x -- add-br b2 -- del-br b2 -- list-ports br0 "
        "-- get Interface p1 options:path ofport_request -- list-br "
        "-- add-port br0 d1 type=dpdk options:devargs=net_tap0,iface=t0 "
        "-- get Interface d1 options:devargs",
        &o, &ctx, &buf), 0);
    assert_true(ctx.changed);
    /* KEY=VALUE keeps commas in VALUE, as ovs-vsctl does. */
    assert_string_equal(ctx.out,
                        "p1\n\"/s\"\n3\nbr0\n\"net_tap0,iface=t0\"\n");
    struct ovsdb_db *db = replay(&ctx);
    const struct ovsdb_row *br = find_named(db, "Bridge", "br0");
    const struct ovsdb_row *p1 = find_named(db, "Interface", "p1");
    assert_non_null(br);
    assert_non_null(p1);
    assert_null(find_named(db, "Bridge", "b2"));
    assert_int_equal(ovsdb_row_get(br, "ports")->n, 2);
    assert_int_equal(ovsdb_row_get(p1, "ofport_request")->keys[0].integer, 3);
    assert_int_equal(ovsdb_row_get(p1, "options")->n, 2);
    assert_string_equal(ovsdb_row_get(p1, "type")->keys[0].string,
                        "vhostuser");
    ovsdb_db_destroy(db);
    vsctl_ctx_destroy(&ctx);
    vsctl_options_destroy(&o);
    free(buf);
}

static void
expect_command_error(const char *line, const char *needle)
{
    struct vsctl_options o;
    struct vsctl_ctx ctx;
    char *buf;

    assert_int_not_equal(run_line(line, &o, &ctx, &buf), 0);
    if (!strstr(ctx.err, needle)) {
        fail_msg("'%s': error '%s' lacks '%s'", line, ctx.err, needle);
    }
    vsctl_ctx_destroy(&ctx);
    vsctl_options_destroy(&o);
    free(buf);
}

static void
test_command_errors(void **state)
{
    (void) state;
    expect_command_error("rsw-vsctl add-port nobr p", "no bridge named nobr");
    expect_command_error("rsw-vsctl add-br b -- add-br b",
                         "already exists");
    expect_command_error("rsw-vsctl del-br b", "no bridge named b");
    expect_command_error("rsw-vsctl del-port p", "no port named p");
    expect_command_error("rsw-vsctl add-br b -- add-port b p -- add-br c "
                         "-- del-port c p", "bridge c does not have a port p");
    expect_command_error("rsw-vsctl list Nope", "unknown table \"Nope\"");
    expect_command_error("rsw-vsctl get Bridge nope name",
                         "no row \"nope\" in table Bridge");
    expect_command_error("rsw-vsctl add-br b -- get Bridge b nope",
                         "table Bridge has no column \"nope\"");
    expect_command_error("rsw-vsctl add-br b -- set Bridge b name=c",
                         "cannot be updated");
    expect_command_error("rsw-vsctl add-br b -- add-port b p -- set "
                         "Interface p ofport_request=x", "not an integer");
    expect_command_error("rsw-vsctl add-br b -- add-port b p -- clear Port p "
                         "interfaces", "cannot be cleared");
    expect_command_error("rsw-vsctl add-br b -- add-port b p nocol=1",
                         "neither Port nor Interface");
    expect_command_error("rsw-vsctl add-br b -- get Bridge b name:k",
                         "not a map");
}

static void
test_may_exist_if_exists(void **state)
{
    struct vsctl_options o;
    struct vsctl_ctx ctx;
    char *buf;
    (void) state;

    assert_int_equal(run_line("rsw-vsctl add-br b -- --may-exist add-br b "
                              "-- add-port b p -- --may-exist add-port b p "
                              "-- --if-exists del-br zz -- --if-exists "
                              "del-port zz -- --if-exists get Interface p "
                              "options:none", &o, &ctx, &buf), 0);
    assert_null(ctx.out);
    struct ovsdb_db *db = replay(&ctx);
    assert_int_equal(ovsdb_table_count(ovsdb_db_get_table(db, "Port")), 1);
    ovsdb_db_destroy(db);
    vsctl_ctx_destroy(&ctx);
    vsctl_options_destroy(&o);
    free(buf);

    /* Read-only commands change nothing (no transaction is sent). */
    assert_int_equal(run_line("rsw-vsctl show -- list-br -- list Bridge",
                              &o, &ctx, &buf), 0);
    assert_false(ctx.changed);
    vsctl_ctx_destroy(&ctx);
    vsctl_options_destroy(&o);
    free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_args_errors),
        cmocka_unit_test(test_column_args),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_elements),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_commands_replay),
        cmocka_unit_test(test_command_errors),
        cmocka_unit_test(test_may_exist_if_exists),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
