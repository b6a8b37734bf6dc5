/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "datapath/port_rules.h"

static void
parse_ok(const char *s, const char *canonical)
{
    struct port_rule r;
    char err[128] = "", buf[256];

    assert_int_equal(port_rule_parse(s, &r, err, sizeof err), 0);
    assert_string_equal(port_rule_format(&r, buf, sizeof buf), canonical);
}

static void
parse_bad(const char *s, const char *why)
{
    struct port_rule r;
    char err[128] = "";

    assert_int_equal(port_rule_parse(s, &r, err, sizeof err), -22);
    assert_non_null(strstr(err, why));
}

static void
test_parse(void **state)
{
    (void) state;
    parse_ok("in_port=1,actions=output:2", "in_port=1,actions=output:2");
    parse_ok("in_port=1,actions=output:2,3,output:4",
             "in_port=1,actions=output:2,output:3,output:4");
    parse_ok("actions=normal", "actions=NORMAL");
    parse_ok("actions=NORMAL", "actions=NORMAL");
    parse_ok("in_port=7,actions=drop", "in_port=7,actions=drop");
    parse_bad("in_port=1,actions=bogus", "unknown action");
    parse_bad("in_port=0,actions=drop", "bad in_port");
    parse_bad("in_port=1", "missing actions");
    parse_bad("dl_type=0x800,actions=drop", "unknown field");
    parse_bad("in_port=1,actions=", "empty");
    parse_bad("actions=normal,output:1", "output cannot follow");
    parse_bad("actions=output:1,drop", "only action");
    parse_bad("actions=output:70000", "bad output port");
    parse_bad("in_port=1,in_port=2,actions=drop", "twice");
    parse_bad("actions=output:1,", "trailing comma");
}

static void
test_table(void **state)
{
    struct port_rules *t;
    struct port_rule r;
    char err[128];
    (void) state;

    assert_int_equal(port_rules_create(&t), 0);
    assert_null(port_rules_lookup(t, 1));
    assert_int_equal(port_rule_parse("actions=normal", &r, err, sizeof err), 0);
    assert_int_equal(port_rules_add(t, &r), 0);
    assert_int_equal(port_rule_parse("in_port=1,actions=output:2", &r, err,
                                     sizeof err), 0);
    assert_int_equal(port_rules_add(t, &r), 0);
    /* Exact in_port wins over the catch-all. */
    assert_int_equal(port_rules_lookup(t, 1)->action, PORT_RULE_OUTPUT);
    assert_int_equal(port_rules_lookup(t, 2)->action, PORT_RULE_NORMAL);
    /* Same match replaces. */
    assert_int_equal(port_rule_parse("in_port=1,actions=drop", &r, err,
                                     sizeof err), 0);
    assert_int_equal(port_rules_add(t, &r), 0);
    assert_int_equal(port_rules_count(t), 2);
    assert_int_equal(port_rules_lookup(t, 1)->action, PORT_RULE_DROP);
    port_rules_clear(t);
    assert_null(port_rules_lookup(t, 2));
    port_rules_destroy(t);
    port_rules_destroy(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
