/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for RFC 7047 §5.1 values (ovsdb-lite/data.c, datum.c, db.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include "ovsdb_fixture.h"

static struct ovsdb_type
mk_type(enum ovsdb_atomic_type k, enum ovsdb_atomic_type v, unsigned min,
        unsigned max)
{
    struct ovsdb_type t;
    ovsdb_base_type_init(&t.key, k);
    ovsdb_base_type_init(&t.value, v);
    t.n_min = min;
    t.n_max = max;
    return t;
}

static int
parse(struct ovsdb_datum *d, const struct ovsdb_type *t, const char *text,
      struct ovsdb_error *err)
{
    json_object *j = fx_json(text);
    int error = ovsdb_datum_from_json(d, t, j, NULL, false, err);
    json_object_put(j);
    return error;
}

static void
expect_roundtrip(const struct ovsdb_type *t, const char *in, const char *out)
{
    struct ovsdb_datum d;
    struct ovsdb_error err = { 0 };
    if (parse(&d, t, in, &err)) {
        fail_msg("%s: %s", in, err.details);
    }
    json_object *j = ovsdb_datum_to_json(&d, t);
    assert_string_equal(json_object_to_json_string_ext(
                            j, JSON_C_TO_STRING_PLAIN), out);
    json_object_put(j);
    ovsdb_datum_destroy(&d, t);
}

static void
expect_error(const struct ovsdb_type *t, const char *in, const char *tag,
             const char *detail)
{
    struct ovsdb_datum d;
    struct ovsdb_error err = { 0 };
    if (!parse(&d, t, in, &err)) {
        ovsdb_datum_destroy(&d, t);
        fail_msg("%s parsed", in);
    }
    assert_string_equal(err.tag, tag);
    if (!strstr(err.details, detail)) {
        fail_msg("%s: \"%s\" lacks \"%s\"", in, err.details, detail);
    }
}

static void
test_uuid(void **state)
{
    (void) state;
    struct ovsdb_uuid a, b;
    char buf[OVSDB_UUID_LEN + 1];
    ovsdb_uuid_generate(&a);
    ovsdb_uuid_generate(&b);
    assert_false(ovsdb_uuid_equals(&a, &b));
    assert_int_equal(a.b[6] >> 4, 4);
    assert_int_equal(a.b[8] & 0xc0, 0x80);
    ovsdb_uuid_format(&a, buf);
    assert_int_equal(strlen(buf), 36);
    assert_int_equal(ovsdb_uuid_from_string(&b, buf), 0);
    assert_true(ovsdb_uuid_equals(&a, &b));
    assert_int_equal(ovsdb_uuid_from_string(
        &b, "01234567-89AB-cdef-0123-456789abcdef"), 0);
    ovsdb_uuid_format(&b, buf);
    assert_string_equal(buf, "01234567-89ab-cdef-0123-456789abcdef");
    static const char *const bad[] = {
        "", "01234567-89ab-cdef-0123-456789abcde",
        "01234567-89ab-cdef-0123-456789abcdef0",
        "01234567x89ab-cdef-0123-456789abcdef",
        "0123456g-89ab-cdef-0123-456789abcdef",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ovsdb_uuid_from_string(&b, bad[i]), -EINVAL);
    }
    ovsdb_uuid_zero(&b);
    assert_true(ovsdb_uuid_is_zero(&b));
}

static void
test_atoms_and_sets(void **state)
{
    (void) state;
    struct ovsdb_type t = mk_type(OVSDB_TYPE_INTEGER, OVSDB_TYPE_VOID, 0,
                                  OVSDB_N_MAX_UNLIMITED);
    expect_roundtrip(&t, "5", "5");
    expect_roundtrip(&t, "[\"set\",[3,1,2]]", "[\"set\",[1,2,3]]");
    expect_roundtrip(&t, "[\"set\",[7]]", "7");
    expect_roundtrip(&t, "[\"set\",[]]", "[\"set\",[]]");
    expect_error(&t, "[\"set\",[1,1]]", OVSDB_E_CONSTRAINT, "duplicate");
    expect_error(&t, "1.5", OVSDB_E_SYNTAX, "integer");
    expect_error(&t, "9223372036854775808", OVSDB_E_SYNTAX, "range");
    expect_error(&t, "\"1\"", OVSDB_E_SYNTAX, "integer");

    t = mk_type(OVSDB_TYPE_REAL, OVSDB_TYPE_VOID, 1, 1);
    expect_roundtrip(&t, "2", "2.0");
    expect_roundtrip(&t, "-0.5", "-0.5");
    t = mk_type(OVSDB_TYPE_BOOLEAN, OVSDB_TYPE_VOID, 1, 1);
    expect_roundtrip(&t, "true", "true");
    expect_error(&t, "1", OVSDB_E_SYNTAX, "boolean");

    t = mk_type(OVSDB_TYPE_STRING, OVSDB_TYPE_VOID, 0, 2);
    expect_roundtrip(&t, "[\"set\",[\"b\",\"a\"]]", "[\"set\",[\"a\",\"b\"]]");
    expect_error(&t, "[\"set\",[\"a\",\"b\",\"c\"]]", OVSDB_E_CONSTRAINT,
                 "3 value(s)");
    t.n_min = 1;
    expect_error(&t, "[\"set\",[]]", OVSDB_E_CONSTRAINT, "0 value(s)");
    t.key.min_len = 2;
    t.key.max_len = 3;
    expect_roundtrip(&t, "\"\xc3\xa9\xc3\xa9\"", "\"\xc3\xa9\xc3\xa9\"");
    expect_error(&t, "\"a\"", OVSDB_E_CONSTRAINT, "length 1");
    expect_error(&t, "\"abcd\"", OVSDB_E_CONSTRAINT, "length 4");

    t = mk_type(OVSDB_TYPE_UUID, OVSDB_TYPE_VOID, 1, 1);
    expect_roundtrip(&t, "[\"uuid\",\"01234567-89ab-cdef-0123-456789abcdef\"]",
                     "[\"uuid\",\"01234567-89ab-cdef-0123-456789abcdef\"]");
    expect_error(&t, "[\"uuid\",\"nope\"]", OVSDB_E_SYNTAX, "valid UUID");
    expect_error(&t, "[\"named-uuid\",\"x\"]", OVSDB_E_SYNTAX,
                 "not allowed here");
}

static void
test_maps(void **state)
{
    (void) state;
    struct ovsdb_type t = mk_type(OVSDB_TYPE_STRING, OVSDB_TYPE_INTEGER, 0,
                                  OVSDB_N_MAX_UNLIMITED);
    expect_roundtrip(&t, "[\"map\",[[\"b\",2],[\"a\",1]]]",
                     "[\"map\",[[\"a\",1],[\"b\",2]]]");
    expect_roundtrip(&t, "[\"map\",[]]", "[\"map\",[]]");
    expect_error(&t, "[\"map\",[[\"a\",1],[\"a\",2]]]", OVSDB_E_CONSTRAINT,
                 "duplicate key");
    expect_error(&t, "[\"map\",[[\"a\"]]]", OVSDB_E_SYNTAX, "[key, value]");
    expect_error(&t, "[\"set\",[]]", OVSDB_E_SYNTAX, "map");
    expect_error(&t, "[\"map\",[[\"a\",\"x\"]]]", OVSDB_E_SYNTAX, "integer");
}

static void
test_enum_and_range(void **state)
{
    (void) state;
    struct ovsdb_schema *s = fx_rsw_schema();
    const struct ovsdb_table_schema *port = ovsdb_schema_find_table(s, "Port");
    const struct ovsdb_type *mode =
        &ovsdb_schema_find_column(port, "vlan_mode")->type;
    const struct ovsdb_type *tag = &ovsdb_schema_find_column(port, "tag")->type;
    expect_roundtrip(mode, "\"trunk\"", "\"trunk\"");
    expect_error(mode, "\"bogus\"", OVSDB_E_CONSTRAINT, "allowed values");
    expect_roundtrip(tag, "4095", "4095");
    expect_roundtrip(tag, "[\"set\",[]]", "[\"set\",[]]");
    expect_error(tag, "4096", OVSDB_E_CONSTRAINT, "0 to 4095");
    expect_error(tag, "-1", OVSDB_E_CONSTRAINT, "0 to 4095");
    expect_error(tag, "[\"set\",[1,2]]", OVSDB_E_CONSTRAINT, "2 value(s)");
    /* A default of a required enum column is its smallest member. */
    const struct ovsdb_type *itype = &ovsdb_schema_find_column(
        ovsdb_schema_find_table(s, "Interface"), "type")->type;
    struct ovsdb_datum d;
    ovsdb_datum_init_default(&d, itype);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.keys[0].string, "");
    ovsdb_datum_destroy(&d, itype);
    ovsdb_schema_destroy(s);
}

static void
test_utf8(void **state)
{
    (void) state;
    struct ovsdb_type t = mk_type(OVSDB_TYPE_STRING, OVSDB_TYPE_VOID, 1, 1);
    json_object *j = json_object_new_string_len("a\xff", 2);
    struct ovsdb_datum d;
    struct ovsdb_error err = { 0 };
    assert_int_equal(ovsdb_datum_from_json(&d, &t, j, NULL, false, &err),
                     -EINVAL);
    json_object_put(j);
    j = json_object_new_string_len("a\0b", 3);
    assert_int_equal(ovsdb_datum_from_json(&d, &t, j, NULL, false, &err),
                     -EINVAL);
    json_object_put(j);
}

static void
test_named_uuid_symtab(void **state)
{
    (void) state;
    struct ovsdb_symtab *st = ovsdb_symtab_create();
    struct ovsdb_type t = mk_type(OVSDB_TYPE_UUID, OVSDB_TYPE_VOID, 1, 1);
    json_object *j = fx_json("[\"named-uuid\",\"x\"]");
    struct ovsdb_datum d;
    struct ovsdb_uuid defined;
    assert_int_equal(ovsdb_datum_from_json(&d, &t, j, st, false, NULL), 0);
    assert_string_equal(ovsdb_symtab_first_undefined(st), "x");
    assert_int_equal(ovsdb_symtab_define(st, "x", &defined), 0);
    assert_true(ovsdb_uuid_equals(&defined, &d.keys[0].uuid));
    assert_null(ovsdb_symtab_first_undefined(st));
    assert_int_equal(ovsdb_symtab_define(st, "x", &defined), -EEXIST);
    ovsdb_datum_destroy(&d, &t);
    json_object_put(j);
    ovsdb_symtab_destroy(st);
    ovsdb_symtab_destroy(NULL);
}

static void
test_set_algebra(void **state)
{
    (void) state;
    struct ovsdb_type t = mk_type(OVSDB_TYPE_STRING, OVSDB_TYPE_STRING, 0,
                                  OVSDB_N_MAX_UNLIMITED);
    struct ovsdb_type keys = mk_type(OVSDB_TYPE_STRING, OVSDB_TYPE_VOID, 0,
                                     OVSDB_N_MAX_UNLIMITED);
    struct ovsdb_datum a, b, k;
    assert_int_equal(parse(&a, &t, "[\"map\",[[\"x\",\"1\"],[\"y\",\"2\"]]]",
                           NULL), 0);
    assert_int_equal(parse(&b, &t, "[\"map\",[[\"x\",\"9\"],[\"z\",\"3\"]]]",
                           NULL), 0);
    assert_false(ovsdb_datum_includes_all(&b, &a, &t));
    ovsdb_datum_union(&a, &b, &t);          /* x keeps "1" */
    assert_int_equal(a.n, 3);
    assert_string_equal(a.values[0].string, "1");
    assert_false(ovsdb_datum_excludes_all(&b, &a, &t)); /* z:3 now in a */
    ovsdb_datum_subtract(&a, &t, &b, &t);   /* removes z:3, not x:1 */
    assert_int_equal(a.n, 2);
    assert_int_equal(parse(&k, &keys, "[\"set\",[\"x\",\"q\"]]", NULL), 0);
    ovsdb_datum_subtract(&a, &t, &k, &keys); /* removes key x */
    assert_int_equal(a.n, 1);
    assert_string_equal(a.keys[0].string, "y");
    assert_true(ovsdb_datum_excludes_all(&b, &a, &t));
    ovsdb_datum_destroy(&a, &t);
    ovsdb_datum_destroy(&b, &t);
    ovsdb_datum_destroy(&k, &keys);
    ovsdb_datum_destroy(NULL, &t);
}

/* diff(old, new) applied to old gives new; the diff is 'expect'. */
static void
expect_diff(const struct ovsdb_type *t, const char *old_text,
            const char *new_text, const char *expect)
{
    struct ovsdb_datum old, new, diff;
    assert_int_equal(parse(&old, t, old_text, NULL), 0);
    assert_int_equal(parse(&new, t, new_text, NULL), 0);
    ovsdb_datum_diff(&diff, &old, &new, t);
    json_object *j = ovsdb_datum_to_json(&diff, t);
    assert_string_equal(json_object_to_json_string_ext(
                            j, JSON_C_TO_STRING_PLAIN), expect);
    json_object_put(j);
    ovsdb_datum_apply_diff(&old, &diff, t);
    assert_true(ovsdb_datum_equals(&old, &new, t));
    ovsdb_datum_destroy(&old, t);
    ovsdb_datum_destroy(&new, t);
    ovsdb_datum_destroy(&diff, t);
}

static void
test_datum_diff(void **state)
{
    (void) state;
    struct ovsdb_type set = mk_type(OVSDB_TYPE_INTEGER, OVSDB_TYPE_VOID, 0,
                                    OVSDB_N_MAX_UNLIMITED);
    struct ovsdb_type map = mk_type(OVSDB_TYPE_STRING, OVSDB_TYPE_STRING, 0,
                                    OVSDB_N_MAX_UNLIMITED);
    expect_diff(&set, "[\"set\",[1,2,3]]", "[\"set\",[1,2,3,4]]", "4");
    expect_diff(&set, "[\"set\",[1,2,3]]", "[\"set\",[1,3]]", "2");
    expect_diff(&set, "[\"set\",[1,2,3]]", "[\"set\",[0,2,9]]",
                "[\"set\",[0,1,3,9]]");
    expect_diff(&set, "[\"set\",[]]", "[\"set\",[5,6]]",
                "[\"set\",[5,6]]");
    expect_diff(&set, "[\"set\",[5,6]]", "[\"set\",[]]",
                "[\"set\",[5,6]]");
    expect_diff(&set, "[\"set\",[7]]", "[\"set\",[7]]", "[\"set\",[]]");
    /* Maps: removed (old value), added, changed (new value), kept. */
    expect_diff(&map, "[\"map\",[[\"a\",\"1\"],[\"b\",\"2\"],"
                "[\"c\",\"3\"]]]", "[\"map\",[[\"b\",\"20\"],"
                "[\"c\",\"3\"],[\"d\",\"4\"]]]",
                "[\"map\",[[\"a\",\"1\"],[\"b\",\"20\"],"
                "[\"d\",\"4\"]]]");
    expect_diff(&map, "[\"map\",[]]", "[\"map\",[[\"k\",\"v\"]]]",
                "[\"map\",[[\"k\",\"v\"]]]");
}

static void
test_rows_and_tables(void **state)
{
    (void) state;
    struct ovsdb_schema *s = fx_rsw_schema();
    struct ovsdb_db *db = ovsdb_db_create(s);
    struct ovsdb_table *t = ovsdb_db_get_table(db, "Bridge");
    struct ovsdb_uuid u;
    for (int i = 0; i < 100; i++) {
        struct ovsdb_row *r = ovsdb_row_create(t);
        ovsdb_uuid_generate(&u);
        ovsdb_row_set_uuid(r, &u);
        ovsdb_table_insert_row(t, r);
    }
    assert_int_equal(ovsdb_table_count(t), 100);
    assert_non_null(ovsdb_table_find(t, &u));
    const struct ovsdb_row *row;
    size_t n = 0;
    OVSDB_TABLE_FOR_EACH (row, t) {
        n++;
    }
    assert_int_equal(n, 100);
    row = ovsdb_table_find(t, &u);
    assert_non_null(ovsdb_row_get(row, "name"));
    assert_null(ovsdb_row_get(row, "nope"));
    json_object *snap = ovsdb_db_to_json(db);
    struct ovsdb_db *db2 = ovsdb_db_create(s);
    assert_int_equal(ovsdb_db_apply_record(db2, snap, NULL), 0);
    assert_true(ovsdb_db_equals(db, db2));
    json_object_put(snap);
    ovsdb_db_destroy(db2);
    ovsdb_db_destroy(db);
    ovsdb_db_destroy(NULL);
    ovsdb_schema_destroy(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid),
        cmocka_unit_test(test_atoms_and_sets),
        cmocka_unit_test(test_maps),
        cmocka_unit_test(test_enum_and_range),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_named_uuid_symtab),
        cmocka_unit_test(test_set_algebra),
        cmocka_unit_test(test_datum_diff),
        cmocka_unit_test(test_rows_and_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
