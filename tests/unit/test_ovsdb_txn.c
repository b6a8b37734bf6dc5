/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for RFC 7047 transactions (ovsdb-lite/txn.c, txn_commit.c,
 * cond.c, mutation.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include "ovsdb_fixture.h"

struct fx {
    struct ovsdb_schema *schema;
    struct ovsdb_db *db;
    char root[OVSDB_UUID_LEN + 1];
};

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    json_object *res;
    fx->schema = fx_rsw_schema();
    fx->db = ovsdb_db_create(fx->schema);
    assert_int_equal(fx_run(fx->db, &res, "[\"Ringswitch\",{\"op\":\"insert\","
                            "\"table\":\"Ringswitch\",\"row\":{}}]"), 0);
    snprintf(fx->root, sizeof fx->root, "%s", fx_uuid(res, 0));
    json_object_put(res);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;
    ovsdb_db_destroy(fx->db);
    ovsdb_schema_destroy(fx->schema);
    free(fx);
    return 0;
}

/* Adds bridge 'br' with port+interface 'p' (type vhostuser), referenced
 * from the root row. */
static void
add_bridge(struct fx *fx, const char *br, const char *p)
{
    json_object *res;
    int error = fx_run(fx->db, &res,
        "[\"Ringswitch\","
        "{\"op\":\"insert\",\"table\":\"Interface\",\"uuid-name\":\"i\","
        " \"row\":{\"name\":\"%s\",\"type\":\"vhostuser\","
        "  \"options\":[\"map\",[[\"path\",\"/tmp/%s.sock\"]]]}},"
        "{\"op\":\"insert\",\"table\":\"Port\",\"uuid-name\":\"p\","
        " \"row\":{\"name\":\"%s\",\"interfaces\":[\"named-uuid\",\"i\"]}},"
        "{\"op\":\"insert\",\"table\":\"Bridge\",\"uuid-name\":\"b\","
        " \"row\":{\"name\":\"%s\",\"ports\":[\"named-uuid\",\"p\"]}},"
        "{\"op\":\"mutate\",\"table\":\"Ringswitch\",\"where\":[],"
        " \"mutations\":[[\"bridges\",\"insert\",[\"named-uuid\",\"b\"]]]}]",
        p, p, p, br);
    if (error) {
        fail_msg("add_bridge: %s", json_object_to_json_string(res));
    }
    assert_int_equal(json_object_array_length(res), 4);
    assert_int_equal(json_object_get_int(json_object_object_get(
        json_object_array_get_idx(res, 3), "count")), 1);
    json_object_put(res);
}

/* Runs a one-op transaction expected to fail at op 0 with 'tag'. */
static void
expect_op_error(struct fx *fx, const char *tag, const char *detail,
                const char *ops)
{
    json_object *res;
    int error = fx_run(fx->db, &res, "[\"Ringswitch\",%s]", ops);
    if (!error || strcmp(fx_member(res, json_object_array_length(res) - 1,
                                   "error"), tag)) {
        fail_msg("%s -> %d %s (want %s)", ops, error,
                 json_object_to_json_string(res), tag);
    }
    if (!strstr(fx_member(res, json_object_array_length(res) - 1, "details"),
                detail)) {
        fail_msg("%s: details lack \"%s\": %s", ops, detail,
                 json_object_to_json_string(res));
    }
    json_object_put(res);
}

static size_t
select_count(struct fx *fx, const char *table, const char *where)
{
    json_object *res, *rows;
    if (fx_run(fx->db, &res, "[\"Ringswitch\",{\"op\":\"select\","
               "\"table\":\"%s\",\"where\":%s}]", table, where)) {
        fail_msg("select %s: %s", where, json_object_to_json_string(res));
    }
    rows = json_object_object_get(json_object_array_get_idx(res, 0), "rows");
    size_t n = json_object_array_length(rows);
    json_object_put(res);
    return n;
}

static void
test_insert_select(void **state)
{
    struct fx *fx = *state;
    add_bridge(fx, "br0", "vhu0");
    assert_int_equal(fx_count(fx->db, "Bridge"), 1);
    assert_int_equal(fx_count(fx->db, "Port"), 1);
    assert_int_equal(fx_count(fx->db, "Interface"), 1);

    json_object *res;
    assert_int_equal(fx_run(fx->db, &res, "[\"Ringswitch\",{\"op\":\"select\","
                            "\"table\":\"Interface\",\"where\":[[\"name\","
                            "\"==\",\"vhu0\"]],\"columns\":[\"type\","
                            "\"options\"]}]"), 0);
    assert_string_equal(json_object_to_json_string_ext(
        json_object_array_get_idx(res, 0),
        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
        "{\"rows\":[{\"type\":\"vhostuser\",\"options\":[\"map\",[[\"path\","
        "\"/tmp/vhu0.sock\"]]]}]}");
    json_object_put(res);

    /* Reading through the db API, as the switch does. */
    const struct ovsdb_table *t = ovsdb_db_get_table(fx->db, "Port");
    const struct ovsdb_row *row = ovsdb_table_first(t);
    assert_int_equal(ovsdb_row_get(row, "interfaces")->n, 1);
    assert_int_equal(row->n_refs, 1);
}

static void
test_conditions(void **state)
{
    struct fx *fx = *state;
    json_object *res;
    for (int i = 0; i < 5; i++) {
        char br[8], p[8];
        snprintf(br, sizeof br, "br%d", i);
        snprintf(p, sizeof p, "p%d", i);
        add_bridge(fx, br, p);
        assert_int_equal(fx_run(fx->db, &res, "[\"Ringswitch\",{\"op\":"
            "\"update\",\"table\":\"Port\",\"where\":[[\"name\",\"==\","
            "\"%s\"]],\"row\":{\"tag\":%d,\"trunks\":[\"set\",[%d,%d]]}}]",
            p, i * 10, i, i + 100), 0);
        json_object_put(res);
    }
    assert_int_equal(select_count(fx, "Port", "[]"), 5);
    assert_int_equal(select_count(fx, "Port", "[[\"tag\",\"==\",20]]"), 1);
    assert_int_equal(select_count(fx, "Port", "[[\"tag\",\"!=\",20]]"), 4);
    assert_int_equal(select_count(fx, "Port", "[[\"tag\",\"<\",20]]"), 2);
    assert_int_equal(select_count(fx, "Port", "[[\"tag\",\"<=\",20]]"), 3);
    assert_int_equal(select_count(fx, "Port", "[[\"tag\",\">\",20]]"), 2);
    assert_int_equal(select_count(fx, "Port", "[[\"tag\",\">=\",20]]"), 3);
    assert_int_equal(select_count(fx, "Port",
                                  "[[\"tag\",\">=\",10],[\"tag\",\"<\",40]]"),
                     3);
    assert_int_equal(select_count(fx, "Port",
                                  "[[\"trunks\",\"includes\",101]]"), 1);
    assert_int_equal(select_count(fx, "Port", "[[\"trunks\",\"includes\","
                                  "[\"set\",[1,101]]]]"), 1);
    assert_int_equal(select_count(fx, "Port", "[[\"trunks\",\"includes\","
                                  "[\"set\",[1,102]]]]"), 0);
    assert_int_equal(select_count(fx, "Port", "[[\"trunks\",\"excludes\","
                                  "[\"set\",[1,102]]]]"), 3);
    assert_int_equal(select_count(fx, "Interface", "[[\"options\","
                                  "\"includes\",[\"map\",[[\"path\","
                                  "\"/tmp/p3.sock\"]]]]]"), 1);
    assert_int_equal(select_count(fx, "Port", "[[\"vlan_mode\",\"==\","
                                  "[\"set\",[]]]]"), 5);

    /* _uuid conditions use a direct lookup. */
    char where[128];
    snprintf(where, sizeof where, "[[\"_uuid\",\"==\",[\"uuid\",\"%s\"]]]",
             fx->root);
    assert_int_equal(select_count(fx, "Ringswitch", where), 1);
    snprintf(where, sizeof where, "[[\"_uuid\",\"!=\",[\"uuid\",\"%s\"]]]",
             fx->root);
    assert_int_equal(select_count(fx, "Ringswitch", where), 0);

    expect_op_error(fx, "syntax error", "needs an integer or real",
                    "{\"op\":\"select\",\"table\":\"Port\",\"where\":"
                    "[[\"name\",\"<\",\"a\"]]}");
    expect_op_error(fx, "syntax error", "no column \"nope\"",
                    "{\"op\":\"select\",\"table\":\"Port\",\"where\":"
                    "[[\"nope\",\"==\",1]]}");
    expect_op_error(fx, "syntax error", "condition must be",
                    "{\"op\":\"select\",\"table\":\"Port\",\"where\":"
                    "[[\"tag\",\"~\",1]]}");
}

static void
test_update(void **state)
{
    struct fx *fx = *state;
    json_object *res;
    add_bridge(fx, "br0", "p0");
    assert_int_equal(fx_run(fx->db, &res, "[\"Ringswitch\",{\"op\":\"update\","
        "\"table\":\"Port\",\"where\":[],\"row\":{\"vlan_mode\":\"trunk\"}}]"),
        0);
    assert_string_equal(fx_member(res, 0, "count"), "1");
    json_object_put(res);
    assert_int_equal(select_count(fx, "Port", "[[\"vlan_mode\",\"==\","
                                  "\"trunk\"]]"), 1);
    expect_op_error(fx, "constraint violation", "column name cannot be "
                    "updated", "{\"op\":\"update\",\"table\":\"Port\","
                    "\"where\":[],\"row\":{\"name\":\"x\"}}");
    expect_op_error(fx, "constraint violation", "allowed values",
                    "{\"op\":\"update\",\"table\":\"Port\",\"where\":[],"
                    "\"row\":{\"vlan_mode\":\"sideways\"}}");
    expect_op_error(fx, "constraint violation", "0 to 4095",
                    "{\"op\":\"update\",\"table\":\"Port\",\"where\":[],"
                    "\"row\":{\"tag\":5000}}");
    expect_op_error(fx, "constraint violation", "_uuid cannot be",
                    "{\"op\":\"update\",\"table\":\"Port\",\"where\":[],"
                    "\"row\":{\"_uuid\":[\"uuid\",\"%s\"]}}");
}

static void
mutate_ok(struct fx *fx, const char *table, const char *mutations)
{
    json_object *res;
    if (fx_run(fx->db, &res, "[\"Ringswitch\",{\"op\":\"mutate\",\"table\":"
               "\"%s\",\"where\":[],\"mutations\":%s}]", table, mutations)) {
        fail_msg("%s: %s", mutations, json_object_to_json_string(res));
    }
    json_object_put(res);
}

static const char *
column_json(struct fx *fx, const char *table, const char *column)
{
    static char buf[512];
    const struct ovsdb_table *t = ovsdb_db_get_table(fx->db, table);
    const struct ovsdb_row *row = ovsdb_table_first(t);
    const struct ovsdb_column_schema *c =
        ovsdb_schema_find_column(t->schema, column);
    json_object *j = ovsdb_datum_to_json(&row->fields[c->index], &c->type);
    snprintf(buf, sizeof buf, "%s",
             json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
    json_object_put(j);
    return buf;
}

static void
test_mutate_numbers(void **state)
{
    struct fx *fx = *state;
    mutate_ok(fx, "Ringswitch", "[[\"next_cfg\",\"+=\",10]]");
    assert_string_equal(column_json(fx, "Ringswitch", "next_cfg"), "10");
    mutate_ok(fx, "Ringswitch", "[[\"next_cfg\",\"-=\",3]]");
    assert_string_equal(column_json(fx, "Ringswitch", "next_cfg"), "7");
    mutate_ok(fx, "Ringswitch", "[[\"next_cfg\",\"*=\",6]]");
    assert_string_equal(column_json(fx, "Ringswitch", "next_cfg"), "42");
    mutate_ok(fx, "Ringswitch", "[[\"next_cfg\",\"/=\",4]]");
    assert_string_equal(column_json(fx, "Ringswitch", "next_cfg"), "10");
    mutate_ok(fx, "Ringswitch", "[[\"next_cfg\",\"%=\",4]]");
    assert_string_equal(column_json(fx, "Ringswitch", "next_cfg"), "2");
    /* Several mutations apply in order. */
    mutate_ok(fx, "Ringswitch", "[[\"next_cfg\",\"+=\",1],[\"cur_cfg\","
              "\"+=\",5],[\"next_cfg\",\"*=\",2]]");
    assert_string_equal(column_json(fx, "Ringswitch", "next_cfg"), "6");
    assert_string_equal(column_json(fx, "Ringswitch", "cur_cfg"), "5");

    expect_op_error(fx, "domain error", "by zero", "{\"op\":\"mutate\","
                    "\"table\":\"Ringswitch\",\"where\":[],\"mutations\":"
                    "[[\"next_cfg\",\"/=\",0]]}");
    expect_op_error(fx, "domain error", "by zero", "{\"op\":\"mutate\","
                    "\"table\":\"Ringswitch\",\"where\":[],\"mutations\":"
                    "[[\"next_cfg\",\"%=\",0]]}");
    expect_op_error(fx, "range error", "out of range", "{\"op\":\"mutate\","
                    "\"table\":\"Ringswitch\",\"where\":[],\"mutations\":"
                    "[[\"next_cfg\",\"+=\",9223372036854775807]]}");
    expect_op_error(fx, "syntax error", "does not apply",
                    "{\"op\":\"mutate\",\"table\":\"Ringswitch\",\"where\":"
                    "[],\"mutations\":[[\"pmd_cores\",\"+=\",1]]}");
    expect_op_error(fx, "syntax error", "does not apply",
                    "{\"op\":\"mutate\",\"table\":\"Ringswitch\",\"where\":"
                    "[],\"mutations\":[[\"next_cfg\",\"insert\",1]]}");
    /* Failed mutations left the value alone. */
    assert_string_equal(column_json(fx, "Ringswitch", "next_cfg"), "6");

    /* Sets: each element changes; results must still fit the type. */
    add_bridge(fx, "br0", "p0");
    mutate_ok(fx, "Port", "[[\"trunks\",\"insert\",[\"set\",[1,2,3]]]]");
    mutate_ok(fx, "Port", "[[\"trunks\",\"+=\",10]]");
    assert_string_equal(column_json(fx, "Port", "trunks"),
                        "[\"set\",[11,12,13]]");
    expect_op_error(fx, "constraint violation", "duplicate",
                    "{\"op\":\"mutate\",\"table\":\"Port\",\"where\":[],"
                    "\"mutations\":[[\"trunks\",\"*=\",0]]}");
    expect_op_error(fx, "constraint violation", "0 to 4095",
                    "{\"op\":\"mutate\",\"table\":\"Port\",\"where\":[],"
                    "\"mutations\":[[\"trunks\",\"+=\",4090]]}");
    mutate_ok(fx, "Port", "[[\"tag\",\"insert\",7]]");
    expect_op_error(fx, "constraint violation", "2 value(s)",
                    "{\"op\":\"mutate\",\"table\":\"Port\",\"where\":[],"
                    "\"mutations\":[[\"tag\",\"insert\",8]]}");
    expect_op_error(fx, "constraint violation", "not mutable",
                    "{\"op\":\"mutate\",\"table\":\"Port\",\"where\":[],"
                    "\"mutations\":[[\"name\",\"insert\",\"x\"]]}");
}

static void
test_mutate_sets_maps(void **state)
{
    struct fx *fx = *state;
    add_bridge(fx, "br0", "p0");
    mutate_ok(fx, "Bridge", "[[\"other_config\",\"insert\",[\"map\",[[\"a\","
              "\"1\"],[\"b\",\"2\"]]]]]");
    /* insert does not overwrite an existing key (RFC 7047 §5.1). */
    mutate_ok(fx, "Bridge", "[[\"other_config\",\"insert\",[\"map\",[[\"a\","
              "\"9\"],[\"c\",\"3\"]]]]]");
    assert_string_equal(column_json(fx, "Bridge", "other_config"),
                        "[\"map\",[[\"a\",\"1\"],[\"b\",\"2\"],[\"c\","
                        "\"3\"]]]");
    /* delete by key set, and by key-value pairs (only matching pairs). */
    mutate_ok(fx, "Bridge", "[[\"other_config\",\"delete\",[\"set\","
              "[\"a\"]]]]");
    mutate_ok(fx, "Bridge", "[[\"other_config\",\"delete\",[\"map\",[[\"b\","
              "\"2\"],[\"c\",\"9\"]]]]]");
    assert_string_equal(column_json(fx, "Bridge", "other_config"),
                        "[\"map\",[[\"c\",\"3\"]]]");
    mutate_ok(fx, "Port", "[[\"trunks\",\"insert\",[\"set\",[5,6,7]]],"
              "[\"trunks\",\"delete\",6]]");
    assert_string_equal(column_json(fx, "Port", "trunks"),
                        "[\"set\",[5,7]]");
    /* Port.interfaces has min 1: deleting the last one is refused. */
    const struct ovsdb_row *port = ovsdb_table_first(
        ovsdb_db_get_table(fx->db, "Port"));
    char uuid[OVSDB_UUID_LEN + 1], ops[512];
    ovsdb_uuid_format(&ovsdb_row_get(port, "interfaces")->keys[0].uuid, uuid);
    snprintf(ops, sizeof ops, "{\"op\":\"mutate\",\"table\":\"Port\","
             "\"where\":[],\"mutations\":[[\"interfaces\",\"delete\","
             "[\"uuid\",\"%s\"]]]}", uuid);
    expect_op_error(fx, "constraint violation", "0 value(s)", ops);
}

static void
test_delete_refint_gc(void **state)
{
    struct fx *fx = *state;
    json_object *res;
    add_bridge(fx, "br0", "p0");
    add_bridge(fx, "br1", "p1");
    /* Still referenced by the root row: refused at commit. */
    assert_int_equal(fx_run(fx->db, &res, "[\"Ringswitch\",{\"op\":\"delete\","
        "\"table\":\"Bridge\",\"where\":[[\"name\",\"==\",\"br0\"]]}]"),
        -EINVAL);
    assert_int_equal(json_object_array_length(res), 2);   /* §4.1.3 extra */
    assert_string_equal(fx_member(res, 0, "count"), "1");
    assert_string_equal(fx_member(res, 1, "error"),
                        "referential integrity violation");
    assert_non_null(strstr(fx_member(res, 1, "details"), "remaining"));
    json_object_put(res);
    assert_int_equal(fx_count(fx->db, "Bridge"), 2);

    /* Dropping the reference garbage-collects bridge, port, interface. */
    const struct ovsdb_row *br = NULL;
    OVSDB_TABLE_FOR_EACH (br, ovsdb_db_get_table(fx->db, "Bridge")) {
        if (!strcmp(ovsdb_row_get(br, "name")->keys[0].string, "br0")) {
            break;
        }
    }
    char uuid[OVSDB_UUID_LEN + 1];
    ovsdb_uuid_format(ovsdb_row_uuid(br), uuid);
    assert_int_equal(fx_run(fx->db, &res, "[\"Ringswitch\",{\"op\":\"mutate\","
        "\"table\":\"Ringswitch\",\"where\":[],\"mutations\":[[\"bridges\","
        "\"delete\",[\"uuid\",\"%s\"]]]}]", uuid), 0);
    json_object_put(res);
    assert_int_equal(fx_count(fx->db, "Bridge"), 1);
    assert_int_equal(fx_count(fx->db, "Port"), 1);
    assert_int_equal(fx_count(fx->db, "Interface"), 1);

    /* An unreferenced insert into a non-root table is collected too. */
    assert_int_equal(fx_run(fx->db, &res, "[\"Ringswitch\",{\"op\":\"insert\","
        "\"table\":\"Interface\",\"row\":{\"name\":\"orphan\"}}]"), 0);
    json_object_put(res);
    assert_int_equal(fx_count(fx->db, "Interface"), 1);
    /* Root tables keep unreferenced rows. */
    assert_int_equal(fx_run(fx->db, &res, "[\"Ringswitch\",{\"op\":\"insert\","
        "\"table\":\"VM\",\"row\":{\"name\":\"vm1\"}}]"), 0);
    json_object_put(res);
    assert_int_equal(fx_count(fx->db, "VM"), 1);
    /* delete op on a root-table row. */
    assert_int_equal(fx_run(fx->db, &res, "[\"Ringswitch\",{\"op\":\"delete\","
        "\"table\":\"VM\",\"where\":[]}]"), 0);
    assert_string_equal(fx_member(res, 0, "count"), "1");
    json_object_put(res);
    assert_int_equal(fx_count(fx->db, "VM"), 0);

    /* A strong reference to a row that does not exist. */
    expect_op_error(fx, "referential integrity violation", "nonexistent",
        "{\"op\":\"mutate\",\"table\":\"Ringswitch\",\"where\":[],"
        "\"mutations\":[[\"bridges\",\"insert\",[\"uuid\","
        "\"01234567-89ab-cdef-0123-456789abcdef\"]]]}");
    /* Reference counts are right after all that. */
    const struct ovsdb_row *port = ovsdb_table_first(
        ovsdb_db_get_table(fx->db, "Port"));
    assert_int_equal(port->n_refs, 1);
}

static void
test_unique_index(void **state)
{
    struct fx *fx = *state;
    json_object *res;
    add_bridge(fx, "br0", "p0");
    /* Against a committed row. */
    assert_int_equal(fx_run(fx->db, &res, "[\"Ringswitch\","
        "{\"op\":\"insert\",\"table\":\"VM\",\"row\":{\"name\":\"a\"}}]"), 0);
    json_object_put(res);
    expect_op_error(fx, "constraint violation", "identical values (\"a\")",
                    "{\"op\":\"insert\",\"table\":\"VM\",\"row\":"
                    "{\"name\":\"a\"}}");
    /* Within one transaction. */
    expect_op_error(fx, "constraint violation", "index on column(s) \"name\"",
                    "{\"op\":\"insert\",\"table\":\"VM\",\"row\":"
                    "{\"name\":\"b\"}},{\"op\":\"insert\",\"table\":\"VM\","
                    "\"row\":{\"name\":\"b\"}}");
    /* Deleting the holder in the same transaction frees the name. */
    assert_int_equal(fx_run(fx->db, &res, "[\"Ringswitch\","
        "{\"op\":\"delete\",\"table\":\"VM\",\"where\":[]},"
        "{\"op\":\"insert\",\"table\":\"VM\",\"row\":{\"name\":\"a\"}}]"), 0);
    json_object_put(res);
    assert_int_equal(fx_count(fx->db, "VM"), 1);
}

static void
test_all_or_nothing(void **state)
{
    struct fx *fx = *state;
    json_object *res;
    int error = fx_run(fx->db, &res, "[\"Ringswitch\","
        "{\"op\":\"insert\",\"table\":\"VM\",\"row\":{\"name\":\"x\"}},"
        "{\"op\":\"mutate\",\"table\":\"Ringswitch\",\"where\":[],"
        " \"mutations\":[[\"next_cfg\",\"+=\",1]]},"
        "{\"op\":\"insert\",\"table\":\"VM\",\"row\":{\"nme\":\"y\"}},"
        "{\"op\":\"insert\",\"table\":\"VM\",\"row\":{\"name\":\"z\"}}]");
    assert_int_equal(error, -EINVAL);
    assert_int_equal(json_object_array_length(res), 4);
    assert_non_null(json_object_object_get(json_object_array_get_idx(res, 0),
                                           "uuid"));
    assert_string_equal(fx_member(res, 1, "count"), "1");
    assert_string_equal(fx_member(res, 2, "error"), "syntax error");
    assert_null(json_object_array_get_idx(res, 3));
    json_object_put(res);
    assert_int_equal(fx_count(fx->db, "VM"), 0);
    assert_string_equal(column_json(fx, "Ringswitch", "next_cfg"), "0");

    /* abort: error at its position, nothing committed. */
    error = fx_run(fx->db, &res, "[\"Ringswitch\","
        "{\"op\":\"insert\",\"table\":\"VM\",\"row\":{\"name\":\"x\"}},"
        "{\"op\":\"abort\"}]");
    assert_int_equal(error, -ECANCELED);
    assert_string_equal(fx_member(res, 1, "error"), "aborted");
    json_object_put(res);
    assert_int_equal(fx_count(fx->db, "VM"), 0);

    /* maxRows: a second root row. */
    expect_op_error(fx, "constraint violation", "limit of 1",
                    "{\"op\":\"insert\",\"table\":\"Ringswitch\"}");
    assert_int_equal(fx_count(fx->db, "Ringswitch"), 1);
}

static void
test_named_uuid(void **state)
{
    struct fx *fx = *state;
    json_object *res;
    expect_op_error(fx, "duplicate uuid-name", "\"v\"",
                    "{\"op\":\"insert\",\"table\":\"VM\",\"uuid-name\":\"v\","
                    "\"row\":{\"name\":\"a\"}},{\"op\":\"insert\",\"table\":"
                    "\"VM\",\"uuid-name\":\"v\",\"row\":{\"name\":\"b\"}}");
    expect_op_error(fx, "syntax error", "no insert",
                    "{\"op\":\"select\",\"table\":\"VM\",\"where\":[["
                    "\"_uuid\",\"==\",[\"named-uuid\",\"ghost\"]]]}");
    /* Forward reference: used before the insert that defines it. */
    assert_int_equal(fx_run(fx->db, &res, "[\"Ringswitch\","
        "{\"op\":\"insert\",\"table\":\"Port\",\"uuid-name\":\"p\","
        " \"row\":{\"name\":\"p\",\"interfaces\":[\"named-uuid\",\"i\"]}},"
        "{\"op\":\"insert\",\"table\":\"Bridge\",\"uuid-name\":\"b\","
        " \"row\":{\"name\":\"b\",\"ports\":[\"named-uuid\",\"p\"]}},"
        "{\"op\":\"insert\",\"table\":\"Interface\",\"uuid-name\":\"i\","
        " \"row\":{\"name\":\"i\"}},"
        "{\"op\":\"mutate\",\"table\":\"Ringswitch\",\"where\":[],"
        " \"mutations\":[[\"bridges\",\"insert\",[\"named-uuid\",\"b\"]]]},"
        "{\"op\":\"select\",\"table\":\"Port\",\"where\":[[\"_uuid\",\"==\","
        " [\"named-uuid\",\"p\"]]],\"columns\":[\"name\"]}]"), 0);
    assert_string_equal(json_object_to_json_string_ext(
        json_object_array_get_idx(res, 4), JSON_C_TO_STRING_PLAIN),
        "{\"rows\":[{\"name\":\"p\"}]}");
    json_object_put(res);
    assert_int_equal(fx_count(fx->db, "Interface"), 1);
}

static void
test_wait_comment_commit(void **state)
{
    struct fx *fx = *state;
    json_object *res;
    assert_int_equal(fx_run(fx->db, &res, "[\"Ringswitch\","
        "{\"op\":\"wait\",\"table\":\"Ringswitch\",\"where\":[],"
        " \"columns\":[\"next_cfg\"],\"until\":\"==\","
        " \"rows\":[{\"next_cfg\":0}],\"timeout\":0},"
        "{\"op\":\"wait\",\"table\":\"VM\",\"where\":[],\"columns\":[],"
        " \"until\":\"==\",\"rows\":[]},"
        "{\"op\":\"comment\",\"comment\":\"hello\"},"
        "{\"op\":\"commit\",\"durable\":false}]"), 0);
    json_object_put(res);
    expect_op_error(fx, "timed out", "not met",
                    "{\"op\":\"wait\",\"table\":\"Ringswitch\",\"where\":[],"
                    "\"columns\":[\"next_cfg\"],\"until\":\"!=\","
                    "\"rows\":[{\"next_cfg\":0}],\"timeout\":0}");

    /* With time left, a server is told to retry (nothing done). */
    json_object *params = fx_json("[\"Ringswitch\",{\"op\":\"insert\","
        "\"table\":\"VM\",\"row\":{\"name\":\"w\"}},{\"op\":\"wait\","
        "\"table\":\"Ringswitch\",\"where\":[],\"columns\":[\"cur_cfg\"],"
        "\"until\":\"==\",\"rows\":[{\"cur_cfg\":1}],\"timeout\":1000}]");
    struct ovsdb_txn *txn = ovsdb_txn_create(fx->db);
    assert_int_equal(ovsdb_txn_execute(txn, params, 10, &res), -EAGAIN);
    assert_null(res);
    ovsdb_txn_destroy(txn);
    txn = ovsdb_txn_create(fx->db);
    assert_int_equal(ovsdb_txn_execute(txn, params, 1000, &res), -ETIMEDOUT);
    assert_string_equal(fx_member(res, 1, "error"), "timed out");
    json_object_put(res);
    ovsdb_txn_destroy(txn);
    json_object_put(params);
    assert_int_equal(fx_count(fx->db, "VM"), 0);

    /* The commit record carries the comment and the durable flag. */
    params = fx_json("[\"Ringswitch\",{\"op\":\"insert\",\"table\":\"VM\","
                     "\"row\":{\"name\":\"c\"}},{\"op\":\"comment\","
                     "\"comment\":\"why\"},{\"op\":\"commit\","
                     "\"durable\":true}]");
    txn = ovsdb_txn_create(fx->db);
    assert_int_equal(ovsdb_txn_execute(txn, params, OVSDB_WAIT_NOW, &res), 0);
    assert_true(ovsdb_txn_wants_durable(txn));
    json_object *rec = ovsdb_txn_record(txn);
    assert_string_equal(json_object_get_string(
        json_object_object_get(rec, "_comment")), "why");
    json_object *vm = json_object_object_get(rec, "VM");
    assert_int_equal(json_object_object_length(vm), 1);
    json_object_put(rec);
    ovsdb_txn_commit(txn, NULL, NULL);
    ovsdb_txn_destroy(txn);
    json_object_put(res);
    json_object_put(params);
    assert_int_equal(fx_count(fx->db, "VM"), 1);
}

struct changes {
    int inserts, deletes, updates;
};

static void
count_change(const struct ovsdb_table *t, const struct ovsdb_row *old,
             const struct ovsdb_row *new, void *aux)
{
    struct changes *c = aux;
    (void) t;
    c->inserts += !old;
    c->deletes += !new;
    c->updates += old && new;
}

static void
test_commit_record(void **state)
{
    struct fx *fx = *state;
    json_object *res, *rec;
    add_bridge(fx, "br0", "p0");
    /* Only an ephemeral column changes: nothing to log. */
    json_object *params = fx_json("[\"Ringswitch\",{\"op\":\"update\","
        "\"table\":\"Interface\",\"where\":[],\"row\":{\"statistics\":"
        "[\"map\",[[\"rx_packets\",5]]],\"link_state\":\"up\"}}]");
    struct ovsdb_txn *txn = ovsdb_txn_create(fx->db);
    assert_int_equal(ovsdb_txn_execute(txn, params, OVSDB_WAIT_NOW, &res), 0);
    assert_null(ovsdb_txn_record(txn));
    ovsdb_txn_commit(txn, NULL, NULL);
    ovsdb_txn_destroy(txn);
    json_object_put(res);
    json_object_put(params);
    assert_string_equal(column_json(fx, "Interface", "link_state"), "\"up\"");

    /* A modification logs only the changed columns; deletes log null. */
    params = fx_json("[\"Ringswitch\",{\"op\":\"update\",\"table\":"
        "\"Interface\",\"where\":[],\"row\":{\"mtu_request\":9000}},"
        "{\"op\":\"mutate\",\"table\":\"Ringswitch\",\"where\":[],"
        "\"mutations\":[[\"bridges\",\"delete\",[\"set\",[]]]]}]");
    txn = ovsdb_txn_create(fx->db);
    assert_int_equal(ovsdb_txn_execute(txn, params, OVSDB_WAIT_NOW, &res), 0);
    rec = ovsdb_txn_record(txn);
    json_object *it = json_object_object_get(rec, "Interface");
    assert_int_equal(json_object_object_length(it), 1);
    json_object_object_foreach(it, k, v) {
        (void) k;
        assert_string_equal(json_object_to_json_string_ext(
            v, JSON_C_TO_STRING_PLAIN), "{\"mtu_request\":9000}");
    }
    assert_null(json_object_object_get(rec, "Bridge"));
    assert_non_null(json_object_object_get(rec, "_date"));
    json_object_put(rec);
    struct changes ch = { 0 };
    ovsdb_txn_commit(txn, count_change, &ch);
    assert_int_equal(ch.updates, 1);
    ovsdb_txn_destroy(txn);
    json_object_put(res);
    json_object_put(params);
}

static void
test_bad_requests(void **state)
{
    struct fx *fx = *state;
    json_object *res;
    json_object *params = fx_json("{\"op\":\"select\"}");
    assert_int_equal(ovsdb_txn_run(fx->db, params, &res), -EINVAL);
    assert_string_equal(fx_member(res, 0, "error"), "syntax error");
    json_object_put(res);
    json_object_put(params);
    params = fx_json("[\"Open_vSwitch\"]");
    assert_int_equal(ovsdb_txn_run(fx->db, params, &res), -ENOENT);
    assert_string_equal(fx_member(res, 0, "error"), "unknown database");
    json_object_put(res);
    json_object_put(params);
    params = fx_json("[\"Ringswitch\"]");          /* no operations: fine */
    assert_int_equal(ovsdb_txn_run(fx->db, params, &res), 0);
    assert_int_equal(json_object_array_length(res), 0);
    json_object_put(res);
    json_object_put(params);
    expect_op_error(fx, "syntax error", "unknown operation", "{\"op\":\"x\"}");
    expect_op_error(fx, "syntax error", "\"op\"", "[1,2]");
    expect_op_error(fx, "syntax error", "unknown table",
                    "{\"op\":\"select\",\"table\":\"Nope\",\"where\":[]}");
    expect_op_error(fx, "syntax error", "\"where\"",
                    "{\"op\":\"select\",\"table\":\"VM\"}");
    expect_op_error(fx, "syntax error", "unknown member",
                    "{\"op\":\"select\",\"table\":\"VM\",\"where\":[],"
                    "\"x\":1}");
    expect_op_error(fx, "syntax error", "\"columns\"",
                    "{\"op\":\"select\",\"table\":\"VM\",\"where\":[],"
                    "\"columns\":[\"nope\"]}");
    expect_op_error(fx, "syntax error", "\"until\"",
                    "{\"op\":\"wait\",\"table\":\"VM\",\"where\":[],"
                    "\"columns\":[],\"until\":\"<\",\"rows\":[]}");
    expect_op_error(fx, "syntax error", "\"durable\"", "{\"op\":\"commit\"}");
    expect_op_error(fx, "syntax error", "\"comment\"",
                    "{\"op\":\"comment\",\"comment\":1}");
    expect_op_error(fx, "syntax error", "mutation must be",
                    "{\"op\":\"mutate\",\"table\":\"VM\",\"where\":[],"
                    "\"mutations\":[[\"name\",\"^=\",1]]}");
}

/* Weak references need a schema with them (rsw.ovsschema has none). */
static void
test_weak_refs(void **state)
{
    (void) state;
    struct ovsdb_schema *s;
    struct ovsdb_error err = { 0 };
    json_object *res;
    assert_int_equal(ovsdb_schema_from_string(
        "{\"name\":\"W\",\"version\":\"1.0.0\",\"tables\":{"
        "\"A\":{\"isRoot\":true,\"columns\":{\"w\":{\"type\":{\"key\":{"
        "\"type\":\"uuid\",\"refTable\":\"B\",\"refType\":\"weak\"},"
        "\"min\":0,\"max\":\"unlimited\"}},\"must\":{\"type\":{\"key\":{"
        "\"type\":\"uuid\",\"refTable\":\"B\",\"refType\":\"weak\"},"
        "\"min\":0,\"max\":1}},\"r\":{\"type\":{\"key\":\"real\","
        "\"min\":0,\"max\":1}}}},"
        "\"B\":{\"isRoot\":true,\"columns\":{\"n\":{\"type\":\"integer\"}}}}}",
        &s, &err), 0);
    struct ovsdb_db *db = ovsdb_db_create(s);
    assert_int_equal(fx_run(db, &res, "[\"W\","
        "{\"op\":\"insert\",\"table\":\"B\",\"uuid-name\":\"b1\",\"row\":{\"n\":1}},"
        "{\"op\":\"insert\",\"table\":\"B\",\"uuid-name\":\"b2\",\"row\":{\"n\":2}},"
        "{\"op\":\"insert\",\"table\":\"A\",\"row\":{\"w\":[\"set\",[[\"named-uuid\","
        "\"b1\"],[\"named-uuid\",\"b2\"],[\"uuid\","
        "\"01234567-89ab-cdef-0123-456789abcdef\"]]],\"r\":1.5}}]"), 0);
    json_object_put(res);
    /* The dangling weak reference was dropped at commit. */
    const struct ovsdb_row *a = ovsdb_table_first(ovsdb_db_get_table(db, "A"));
    assert_int_equal(ovsdb_row_get(a, "w")->n, 2);
    /* Deleting a target removes it from the untouched referrer. */
    assert_int_equal(fx_run(db, &res, "[\"W\",{\"op\":\"delete\",\"table\":"
                            "\"B\",\"where\":[[\"n\",\"==\",1]]}]"), 0);
    json_object_put(res);
    a = ovsdb_table_first(ovsdb_db_get_table(db, "A"));
    assert_int_equal(ovsdb_row_get(a, "w")->n, 1);
    /* Real mutations. */
    assert_int_equal(fx_run(db, &res, "[\"W\",{\"op\":\"mutate\",\"table\":"
                            "\"A\",\"where\":[],\"mutations\":[[\"r\","
                            "\"*=\",3],[\"r\",\"/=\",0.5],[\"r\",\"-=\",1]]}]"),
                     0);
    json_object_put(res);
    a = ovsdb_table_first(ovsdb_db_get_table(db, "A"));
    assert_true(ovsdb_row_get(a, "r")->keys[0].real == 8.0);
    assert_int_equal(fx_run(db, &res, "[\"W\",{\"op\":\"mutate\",\"table\":"
                            "\"A\",\"where\":[],\"mutations\":[[\"r\","
                            "\"%%=\",3]]}]"), -EINVAL);
    json_object_put(res);
    assert_int_equal(fx_run(db, &res, "[\"W\",{\"op\":\"mutate\",\"table\":"
                            "\"A\",\"where\":[],\"mutations\":[[\"r\","
                            "\"*=\",1e308],[\"r\",\"*=\",1e308]]}]"),
                     -ERANGE);
    json_object_put(res);
    ovsdb_db_destroy(db);
    ovsdb_schema_destroy(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_insert_select, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conditions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutate_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutate_sets_maps, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_delete_refint_gc, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unique_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_named_uuid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_comment_commit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_commit_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
        cmocka_unit_test(test_weak_refs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
