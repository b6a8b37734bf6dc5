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
    parse_bad("actions=normal,output:1", "'output:1' cannot follow");
    parse_bad("actions=output:1,drop", "only action");
    parse_bad("actions=output:70000", "bad output port");
    parse_bad("in_port=1,in_port=2,actions=drop", "twice");
    parse_bad("actions=output:1,", "trailing comma");
}

/* The modification actions and dl_vlan (ovs-ofctl spellings). */
static void
test_parse_mods(void **state)
{
    (void) state;
    parse_ok("in_port=1,actions=mod_vlan_vid:10,output:2",
             "in_port=1,actions=mod_vlan_vid:10,output:2");
    parse_ok("in_port=2,actions=strip_vlan,1", "in_port=2,actions=strip_vlan,"
             "output:1");
    parse_ok("actions=pop_vlan,output:1", "actions=strip_vlan,output:1");
    parse_ok("in_port=1,dl_vlan=0xffff,actions=push_vlan:0x88a8,"
             "mod_vlan_pcp:5,output:2",
             "in_port=1,dl_vlan=0xffff,actions=push_vlan:0x88a8,"
             "mod_vlan_pcp:5,output:2");
    parse_ok("dl_vlan=4095,actions=mod_dl_src:02:00:00:00:00:AA,"
             "mod_dl_dst:ff:ff:ff:ff:ff:ff,output:3",
             "dl_vlan=4095,actions=mod_dl_src:02:00:00:00:00:aa,"
             "mod_dl_dst:ff:ff:ff:ff:ff:ff,output:3");
    parse_ok("actions=output:1,mod_nw_src:10.0.0.1,mod_nw_dst:192.168.1.255,"
             "mod_nw_tos:0x28,mod_nw_ttl:9,mod_tp_src:80,mod_tp_dst:0x35,2",
             "actions=output:1,mod_nw_src:10.0.0.1,mod_nw_dst:192.168.1.255,"
             "mod_nw_tos:40,mod_nw_ttl:9,mod_tp_src:80,mod_tp_dst:53,"
             "output:2");
    parse_bad("actions=mod_vlan_vid:4096,output:1", "bad value in "
              "'mod_vlan_vid:4096' (want 0..4095)");
    parse_bad("actions=mod_vlan_vid:,output:1", "bad value");
    parse_bad("actions=mod_vlan_vid", "bad value");
    parse_bad("actions=mod_vlan_pcp:8", "want 0..7");
    parse_bad("actions=push_vlan:0x0800", "0x8100 or 0x88a8");
    parse_bad("actions=mod_dl_src:02:00:00:00:00", "want a MAC address");
    parse_bad("actions=mod_dl_dst:02:00:00:00:00:0g", "MAC address");
    parse_bad("actions=mod_nw_src:10.0.0.256", "IPv4 address");
    parse_bad("actions=mod_nw_tos:3", "multiple of 4");
    parse_bad("actions=mod_nw_tos:256", "multiple of 4");
    parse_bad("actions=mod_tp_dst:65536", "0..65535");
    parse_bad("actions=mod_nw_ttl:-1", "0..255");
    parse_bad("actions=strip_vlan:1", "takes no value");
    parse_bad("actions=mod_vlan_vid:10,drop", "only action");
    parse_bad("actions=normal,mod_vlan_vid:10", "cannot follow");
    parse_bad("actions=set_field:1->vlan_vid", "unknown action 'set_field");
    parse_bad("dl_vlan=4096,actions=drop", "bad dl_vlan");
    parse_bad("dl_vlan=1,dl_vlan=2,actions=drop", "twice");
}

static void
test_table(void **state)
{
    struct port_rules *t;
    struct port_rule r;
    char err[128];
    (void) state;

    assert_int_equal(port_rules_create(&t), 0);
    assert_null(port_rules_lookup(t, 1, PORT_RULE_VLAN_NONE));
    assert_int_equal(port_rule_parse("actions=normal", &r, err, sizeof err), 0);
    assert_int_equal(port_rules_add(t, &r), 0);
    assert_int_equal(port_rule_parse("in_port=1,actions=output:2", &r, err,
                                     sizeof err), 0);
    assert_int_equal(port_rules_add(t, &r), 0);
    /* Exact in_port wins over the catch-all. */
    assert_int_equal(port_rules_lookup(t, 1, PORT_RULE_VLAN_NONE)->action, PORT_RULE_OUTPUT);
    assert_int_equal(port_rules_lookup(t, 2, PORT_RULE_VLAN_NONE)->action, PORT_RULE_NORMAL);
    /* Same match replaces. */
    assert_int_equal(port_rule_parse("in_port=1,actions=drop", &r, err,
                                     sizeof err), 0);
    assert_int_equal(port_rules_add(t, &r), 0);
    assert_int_equal(port_rules_count(t), 2);
    assert_int_equal(port_rules_lookup(t, 1, PORT_RULE_VLAN_NONE)->action, PORT_RULE_DROP);
    port_rules_clear(t);
    assert_null(port_rules_lookup(t, 2, PORT_RULE_VLAN_NONE));
    port_rules_destroy(t);
    port_rules_destroy(NULL);
}

static void
add_rule(struct port_rules *t, const char *s)
{
    struct port_rule r;
    char err[128];

    assert_int_equal(port_rule_parse(s, &r, err, sizeof err), 0);
    assert_int_equal(port_rules_add(t, &r), 0);
}

static int
looked_up_port(struct port_rules *t, uint32_t in_port, uint16_t vlan)
{
    struct port_rule *r = port_rules_lookup(t, in_port, vlan);

    return r && r->n_acts ? (int) r->acts[r->n_acts - 1].u32 : -1;
}

/* in_port+dl_vlan > in_port > dl_vlan > catch-all. */
static void
test_vlan_precedence(void **state)
{
    struct port_rules *t;
    (void) state;

    assert_int_equal(port_rules_create(&t), 0);
    add_rule(t, "actions=output:9");
    assert_false(port_rules_match_vlan(t));
    add_rule(t, "dl_vlan=10,actions=output:8");
    add_rule(t, "in_port=1,actions=output:7");
    add_rule(t, "in_port=1,dl_vlan=10,actions=output:6");
    add_rule(t, "in_port=1,dl_vlan=0xffff,actions=output:5");
    assert_true(port_rules_match_vlan(t));
    assert_int_equal(looked_up_port(t, 1, 10), 6);
    assert_int_equal(looked_up_port(t, 1, PORT_RULE_VLAN_NONE), 5);
    assert_int_equal(looked_up_port(t, 1, 11), 7);
    assert_int_equal(looked_up_port(t, 2, 10), 8);
    assert_int_equal(looked_up_port(t, 2, PORT_RULE_VLAN_NONE), 9);
    /* Same match (in_port and dl_vlan) replaces. */
    add_rule(t, "in_port=1,dl_vlan=10,actions=output:4");
    assert_int_equal(port_rules_count(t), 5);
    assert_int_equal(looked_up_port(t, 1, 10), 4);
    port_rules_destroy(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_mods),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_vlan_precedence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
