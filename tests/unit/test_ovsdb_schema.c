/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for RFC 7047 §3.2 schema parsing (ovsdb-lite/schema.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include "ovsdb_fixture.h"

static char *
read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;
    assert_non_null(f);
    FILE *mem = open_memstream(&buf, &len);
    int c;
    while ((c = fgetc(f)) != EOF) {
        fputc(c, mem);
    }
    fclose(f);
    fclose(mem);
    return buf;
}

static char *
schema_file_path(void)
{
    /* __FILE__ is .../tests/unit/test_ovsdb_schema.c */
    const char *me = __FILE__;
    const char *cut = strstr(me, "tests/unit/");
    assert_non_null(cut);
    char *path = NULL;
    assert_true(asprintf(&path, "%.*sovsdb-lite/rsw.ovsschema",
                         (int) (cut - me), me) > 0);
    return path;
}

static void
test_embedded_equals_file(void **state)
{
    (void) state;
    char *path = schema_file_path();
    char *text = read_text(path);
    assert_string_equal(text, ovsdb_rsw_schema_text);
    struct ovsdb_schema *a = NULL, *b = NULL;
    struct ovsdb_error err = { 0 };
    assert_int_equal(ovsdb_schema_from_file(path, &a, &err), 0);
    b = fx_rsw_schema();
    assert_true(ovsdb_schema_equal(a, b));
    ovsdb_schema_destroy(a);
    ovsdb_schema_destroy(b);
    free(text);
    free(path);
}

static void
test_rsw_schema_shape(void **state)
{
    (void) state;
    struct ovsdb_schema *s = fx_rsw_schema();
    assert_string_equal(s->name, "Ringswitch");
    assert_int_equal(s->n_tables, 5);

    const struct ovsdb_table_schema *root =
        ovsdb_schema_find_table(s, "Ringswitch");
    assert_true(root->is_root);
    assert_int_equal(root->max_rows, 1);
    const struct ovsdb_column_schema *c =
        ovsdb_schema_find_column(root, "bridges");
    assert_int_equal(c->type.key.type, OVSDB_TYPE_UUID);
    assert_ptr_equal(c->type.key.ref_table,
                     ovsdb_schema_find_table(s, "Bridge"));
    assert_int_equal(c->type.key.ref_type, OVSDB_REF_STRONG);
    assert_int_equal(c->type.n_max, OVSDB_N_MAX_UNLIMITED);

    const struct ovsdb_table_schema *port = ovsdb_schema_find_table(s, "Port");
    assert_false(port->is_root);
    assert_int_equal(port->n_indexes, 1);
    c = ovsdb_schema_find_column(port, "tag");
    assert_true(ovsdb_type_is_optional_scalar(&c->type));
    assert_int_equal(c->type.key.min_int, 0);
    assert_int_equal(c->type.key.max_int, 4095);
    c = ovsdb_schema_find_column(port, "vlan_mode");
    assert_int_equal(c->type.key.enum_->n, 4);
    c = ovsdb_schema_find_column(port, "name");
    assert_false(c->mutable_);

    const struct ovsdb_table_schema *iface =
        ovsdb_schema_find_table(s, "Interface");
    c = ovsdb_schema_find_column(iface, "statistics");
    assert_true(ovsdb_type_is_map(&c->type));
    assert_int_equal(c->type.value.type, OVSDB_TYPE_INTEGER);
    assert_true(c->ephemeral);
    c = ovsdb_schema_find_column(iface, "type");
    assert_int_equal(c->type.key.enum_->n, 5);
    assert_non_null(ovsdb_schema_find_column(iface, "_uuid"));
    assert_non_null(ovsdb_schema_find_column(iface, "_version"));
    assert_true(ovsdb_schema_find_table(s, "VM")->is_root);
    ovsdb_schema_destroy(s);
}

struct bad_case {
    const char *json;
    const char *expect;     /* substring of the details */
};

#define T(name, body) "{\"name\":\"D\",\"version\":\"1.0.0\",\"tables\":" \
                      "{\"" name "\":" body "}}"
#define C(col, type) T("T", "{\"columns\":{\"" col "\":{\"type\":" type "}}}")

static const struct bad_case bad_cases[] = {
    { "[]", "must be a JSON object" },
    { "{\"version\":\"1.0.0\",\"tables\":{}}", "\"name\"" },
    { "{\"name\":\"D\",\"version\":\"1.0\",\"tables\":{}}", "version" },
    { "{\"name\":\"D\",\"version\":\"1.0.0\",\"tables\":{}}", "tables" },
    { "{\"name\":\"D\",\"version\":\"1.0.0\",\"tables\":{},\"x\":1}",
      "unknown member \"x\"" },
    { T("_T", "{\"columns\":{\"a\":{\"type\":\"integer\"}}}"),
      "table _T" },
    { T("T", "{\"columns\":{}}"), "table T" },
    { T("T", "{\"columns\":{\"a\":{\"type\":\"integer\"}},\"maxRows\":0}"),
      "maxRows" },
    { T("T", "{\"columns\":{\"a\":{\"type\":\"integer\"}},\"colums\":1}"),
      "unknown member \"colums\"" },
    { C("_a", "\"integer\""), "table T column _a" },
    { C("a", "\"int\""), "table T column a" },
    { C("a", "{\"key\":\"integer\",\"min\":2}"), "table T column a: \"min\"" },
    { C("a", "{\"key\":\"integer\",\"max\":0}"), "table T column a: \"max\"" },
    { C("a", "{\"key\":\"integer\",\"max\":\"lots\"}"), "\"max\"" },
    { C("a", "{\"key\":{\"type\":\"string\",\"minInteger\":1}}"),
      "table T column a: \"minInteger\" is not allowed for type string" },
    { C("a", "{\"key\":{\"type\":\"integer\",\"minInteger\":5,"
             "\"maxInteger\":1}}"), "minimum is greater" },
    { C("a", "{\"key\":{\"type\":\"uuid\",\"refTable\":\"Nope\"}}"),
      "table T column a: refTable \"Nope\" does not exist" },
    { C("a", "{\"key\":{\"type\":\"uuid\",\"refType\":\"weak\"}}"),
      "requires \"refTable\"" },
    { C("a", "{\"key\":{\"type\":\"uuid\",\"refTable\":\"T\","
             "\"refType\":\"soft\"}}"), "refType" },
    { C("a", "{\"key\":{\"type\":\"string\",\"enum\":[\"set\",[1,2]]}}"),
      "table T column a: bad \"enum\"" },
    { C("a", "{\"key\":{\"type\":\"integer\",\"enum\":[\"set\",[1,9]],"
             "\"maxInteger\":5}}"), "\"enum\" member" },
    { C("a", "{\"value\":\"integer\"}"), "needs \"key\"" },
    { T("T", "{\"columns\":{\"a\":{\"type\":\"integer\"}},"
             "\"indexes\":[[\"b\"]]}"), "index column \"b\" does not exist" },
    { T("T", "{\"columns\":{\"a\":{\"type\":\"integer\"}},"
             "\"indexes\":[[\"a\",\"a\"]]}"), "appears twice" },
    { T("T", "{\"columns\":{\"a\":{\"type\":\"integer\","
             "\"ephemeral\":true}},\"indexes\":[[\"a\"]]}"), "ephemeral" },
    { T("T", "{\"columns\":{\"a\":{\"type\":\"integer\",\"mutable\":1}}}"),
      "\"mutable\" must be a boolean" },
};

static void
test_bad_schemas(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        struct ovsdb_schema *s = (void *) 1;
        struct ovsdb_error err = { 0 };
        int error = ovsdb_schema_from_string(bad_cases[i].json, &s, &err);
        if (error != -EINVAL || s
            || !strstr(err.details, bad_cases[i].expect)) {
            fail_msg("case %zu: %s -> %d \"%s\" (want \"%s\")", i,
                     bad_cases[i].json, error, err.details,
                     bad_cases[i].expect);
        }
    }
}

static void
test_not_json(void **state)
{
    (void) state;
    struct ovsdb_schema *s;
    struct ovsdb_error err = { 0 };
    assert_int_equal(ovsdb_schema_from_string("{\"name\":", &s, &err),
                     -EINVAL);
    assert_null(s);
    assert_int_equal(ovsdb_schema_from_file("/nonexistent/x", &s, &err),
                     -ENOENT);
}

static void
test_implicit_root_and_refs(void **state)
{
    (void) state;
    struct ovsdb_schema *s;
    struct ovsdb_error err = { 0 };
    /* RFC 7047 §3.2: no isRoot anywhere -> every table is a root. */
    assert_int_equal(ovsdb_schema_from_string(
        "{\"name\":\"D\",\"version\":\"0.0.1\",\"cksum\":\"1 2\",\"tables\":{"
        "\"A\":{\"columns\":{\"b\":{\"type\":{\"key\":{\"type\":\"uuid\","
        "\"refTable\":\"B\",\"refType\":\"weak\"},\"min\":0,\"max\":3}}}},"
        "\"B\":{\"columns\":{\"m\":{\"type\":{\"key\":\"string\","
        "\"value\":{\"type\":\"real\",\"minReal\":-1.5,\"maxReal\":2}}}}}}}",
        &s, &err), 0);
    assert_true(ovsdb_schema_find_table(s, "A")->is_root);
    assert_true(ovsdb_schema_find_table(s, "B")->is_root);
    const struct ovsdb_column_schema *c =
        ovsdb_schema_find_column(ovsdb_schema_find_table(s, "A"), "b");
    assert_int_equal(c->type.key.ref_type, OVSDB_REF_WEAK);
    assert_int_equal(c->type.n_max, 3);
    c = ovsdb_schema_find_column(ovsdb_schema_find_table(s, "B"), "m");
    assert_true(c->type.value.min_real == -1.5);
    assert_string_equal(s->cksum, "1 2");
    json_object *j = ovsdb_schema_to_json(s);
    assert_true(json_object_is_type(j, json_type_object));
    json_object_put(j);
    ovsdb_schema_destroy(s);
    ovsdb_schema_destroy(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedded_equals_file),
        cmocka_unit_test(test_rsw_schema_shape),
        cmocka_unit_test(test_bad_schemas),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_implicit_root_and_refs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
