/* SPDX-License-Identifier: Apache-2.0 */
/* ofproto's bridges and ports, flow programming (add, modify, delete,
 * strict and not, cookie and out_port filters, all-or-nothing batches,
 * replace-flows), counters credited by rule id, timeouts on a test clock,
 * and ovs-ofctl's dump-flows text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <cmocka.h>

#include "ofproto_fixture.h"

#define DP1 5   /* datapath numbers of OpenFlow ports 1..3 */
#define DP2 9
#define DP3 12


static int
setup(void **state)
{
    struct ofproto *o = ofproto_fixture_create();
    uint32_t of;

    assert_int_equal(ofproto_add_port(o, "br0", "p1", DP1, 1, &of), 0);
    assert_int_equal(ofproto_add_port(o, "br0", "p2", DP2, 2, &of), 0);
    assert_int_equal(ofproto_add_port(o, "br0", "p3", DP3, 3, &of), 0);
    ofproto_fixture_reset_counts();
    *state = o;
    return 0;
}


/* ---- Helpers ---------------------------------------------------------- */

static enum ofp_parse_mode
parse_mode(enum ofproto_fm_command cmd)
{
    switch (cmd) {
    case OFPROTO_FM_ADD:
        return OFP_PARSE_ADD;
    case OFPROTO_FM_MODIFY:
    case OFPROTO_FM_MODIFY_STRICT:
        return OFP_PARSE_MODIFY;
    default:
        return OFP_PARSE_MATCH;
    }
}

/* Applies 'n' flow lines as one batch; returns the error, message in
 * 'err'. */
static int
try_mods(struct ofproto *o, enum ofproto_fm_command cmd,
         const char *const *lines, size_t n, char *err, size_t err_size)
{
    struct ofp_flow_mod *fms = calloc(n ? n : 1, sizeof *fms);
    int e;

    assert_non_null(fms);
    for (size_t i = 0; i < n; i++) {
        if (ofp_flow_mod_parse(lines[i], parse_mode(cmd), NULL, NULL,
                               &fms[i], err, err_size)) {
            fail_msg("%s: %s", lines[i], err);
        }
    }
    e = ofproto_flow_mods(o, "br0", cmd, fms, n, err, err_size);
    free(fms);
    return e;
}

static void
mod1(struct ofproto *o, enum ofproto_fm_command cmd, const char *line)
{
    char err[256];

    if (try_mods(o, cmd, &line, 1, err, sizeof err)) {
        fail_msg("%s: %s", line, err);
    }
}

struct dump {
    char text[16384];
    size_t len;
    bool full;          /* whole ovs-ofctl lines, else "table,prio,match
                           actions,n_packets" */
};

static void
dump_visit(void *aux, const struct ofproto_flow_info *fi)
{
    struct dump *d = aux;
    char line[OFPROTO_FLOW_FORMAT_SIZE];
    char m[OFP_MATCH_FORMAT_SIZE], a[OFP_ACTIONS_FORMAT_SIZE];

    if (d->full) {
        ofproto_flow_info_format(fi, line, sizeof line);
    } else {
        snprintf(line, sizeof line, "%u,%u,%s %s,%llu", fi->table_id,
                 fi->priority, ofp_match_format(fi->match, m, sizeof m),
                 ofp_actions_format(fi->actions, fi->n_actions, a, sizeof a),
                 (unsigned long long) fi->n_packets);
    }
    d->len += (size_t) snprintf(d->text + d->len, sizeof d->text - d->len,
                                "%s\n", line);
}

/* The rules of br0 (or those 'filter' selects), one line each. */
static const char *
dump(struct ofproto *o, const char *filter, bool full)
{
    static struct dump d;
    struct ofp_flow_mod fm;
    char err[256];

    d.len = 0;
    d.text[0] = '\0';
    d.full = full;
    if (filter && ofp_flow_mod_parse(filter, OFP_PARSE_MATCH, NULL, NULL,
                                     &fm, err, sizeof err)) {
        fail_msg("%s: %s", filter, err);
    }
    assert_int_equal(ofproto_dump_flows(o, "br0", filter ? &fm : NULL,
                                        dump_visit, &d), 0);
    return d.text;
}

static struct ofproto_rule *
find_rule(struct ofproto *o, unsigned table, const char *match_line)
{
    struct ofproto_bridge *b = ofproto_bridge_find(o, "br0");
    struct ofp_flow_mod fm;
    struct ofp_cls_rule *cr;
    char err[256];

    if (ofp_flow_mod_parse(match_line, OFP_PARSE_MATCH, NULL, NULL, &fm, err,
                           sizeof err)) {
        fail_msg("%s: %s", match_line, err);
    }
    cr = ofp_cls_find_exact(b->tables[table].cls, &fm.match, fm.priority);
    assert_non_null(cr);
    return (struct ofproto_rule *) cr;
}

/* Credits one packet of 'bytes' to 'n' rule ids, as a PMD would. */
static void
credit(struct ofproto *o, const uint64_t *ids, unsigned n, uint64_t packets,
       uint64_t bytes)
{
    struct upcall_refs refs = {.n = (uint16_t) n};
    struct upcall_credit c = {.refs = &refs, .packets = packets,
                              .bytes = bytes};

    memcpy(refs.ids, ids, n * sizeof *ids);
    assert_int_equal(ofproto_credit(o, &c, 1, true), 0);
}

static void
credit_rule(struct ofproto *o, unsigned table, const char *match,
            uint64_t packets)
{
    uint64_t id = find_rule(o, table, match)->id;

    credit(o, &id, 1, packets, packets * 100);
}

/* ---- Bridges and ports ------------------------------------------------ */

static void
test_bridge_errors(void **state)
{
    struct ofproto *o = *state;
    char long_name[OFPROTO_NAME_MAX + 1];

    memset(long_name, 'b', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_int_equal(ofproto_add_bridge(o, "br0"), -EEXIST);
    assert_int_equal(ofproto_add_bridge(o, ""), -EINVAL);
    assert_int_equal(ofproto_add_bridge(o, "a b"), -EINVAL);
    assert_int_equal(ofproto_add_bridge(o, "a,b"), -EINVAL);
    assert_int_equal(ofproto_add_bridge(o, long_name), -EINVAL);
    assert_int_equal(ofproto_del_bridge(o, "nope"), -ENOENT);
    assert_int_equal(ofproto_del_bridge(o, "br0"), -EBUSY);
    assert_true(ofproto_has_bridge(o, "br0"));
    assert_false(ofproto_has_bridge(o, "br1"));
    assert_int_equal(ofproto_add_bridge(o, "br1"), 0);
    assert_true(ofproto_has_bridge(o, "br1"));
    assert_int_equal(ofproto_del_bridge(o, "br1"), 0);
    assert_false(ofproto_has_bridge(o, "br1"));
}

static void
test_port_errors(void **state)
{
    struct ofproto *o = *state;
    uint32_t of = 0, dp = 0;
    char br[OFPROTO_NAME_MAX];

    assert_int_equal(ofproto_add_port(o, "nope", "q", 20, 0, &of), -ENOENT);
    assert_int_equal(ofproto_add_port(o, "br0", "p1", 20, 0, &of), -EEXIST);
    assert_int_equal(ofproto_add_port(o, "br0", "q", DP1, 0, &of), -EEXIST);
    assert_int_equal(ofproto_add_port(o, "br0", "q", 20, 2, &of), -EBUSY);
    assert_int_equal(ofproto_add_port(o, "br0", "q", 20, 65280, &of),
                     -EINVAL);
    assert_int_equal(ofproto_add_port(o, "br0", "q", DP_MAX_PORTS, 0, &of),
                     -EINVAL);
    assert_int_equal(ofproto_add_port(o, "br0", "bad name", 20, 0, &of),
                     -EINVAL);
    assert_int_equal(n_invalidations, 0);

    /* Lowest free number; 65279 is the last one allowed. */
    assert_int_equal(ofproto_add_port(o, "br0", "q", 20, 0, &of), 0);
    assert_int_equal(of, 4);
    assert_int_equal(ofproto_add_port(o, "br0", "r", 21, 65279, &of), 0);
    assert_int_equal(n_invalidations, 2);

    assert_int_equal(ofproto_find_port(o, "q", br, &dp, &of), 0);
    assert_string_equal(br, "br0");
    assert_int_equal(dp, 20);
    assert_int_equal(of, 4);
    assert_int_equal(ofproto_find_port(o, "zz", NULL, &dp, &of), -ENOENT);

    struct ofproto_resolver res = {.ofproto = o, .br = "br0"};
    assert_int_equal(ofproto_resolve_port(&res, "p3", &of), 0);
    assert_int_equal(of, 3);
    assert_int_equal(ofproto_resolve_port(&res, "zz", &of), -ENOENT);

    assert_int_equal(ofproto_del_port(o, "q", &dp), 0);
    assert_int_equal(dp, 20);
    assert_int_equal(ofproto_del_port(o, "q", &dp), -ENOENT);
    assert_int_equal(n_invalidations, 3);
    assert_null(o->by_dp[20].br);
    assert_non_null(o->by_dp[21].br);
    assert_int_equal(o->by_dp[21].ofport, 65279);
}

static void
port_count(void *aux, const char *name, uint32_t dp_port, uint32_t ofport)
{
    (void) name;
    (void) dp_port;
    (void) ofport;
    (*(unsigned *) aux)++;
}

static void
test_visitors_and_mac_limits(void **state)
{
    struct ofproto *o = *state;
    unsigned n = 0;
    uint32_t dp;

    assert_int_equal(ofproto_for_each_port(o, "br0", port_count, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(ofproto_for_each_port(o, "x", port_count, &n), -ENOENT);
    assert_int_equal(ofproto_set_mac_limits(o, "x", 10, 10), -ENOENT);
    assert_int_equal(ofproto_set_mac_limits(o, "br0", 10, 100), 0);
    assert_int_equal(n_invalidations, 1);
    assert_int_equal(ofproto_set_mac_limits(o, "br0", 10, 100), 0);
    assert_int_equal(n_invalidations, 1);       /* unchanged: no flush */
    assert_int_equal(ofproto_del_port(o, "p1", &dp), 0);
    assert_int_equal(ofproto_del_port(o, "p2", &dp), 0);
    assert_int_equal(ofproto_del_port(o, "p3", &dp), 0);
    assert_int_equal(ofproto_del_bridge(o, "br0"), 0);
}

static bool
trunk_has(const struct ofproto_port *p, unsigned vid)
{
    return p->trunks[vid / 64] >> (vid % 64) & 1;
}

static void
test_port_vlan(void **state)
{
    struct ofproto *o = *state;
    struct ofproto_bridge *b = ofproto_bridge_find(o, "br0");
    static const uint16_t trunks[] = {10, 20, 4095};
    static const uint16_t bad[] = {10, 4096};
    struct ofproto_port_vlan access = {.mode = OFPROTO_VLAN_ACCESS,
                                       .tag = 5};
    struct ofproto_port_vlan v;
    const struct ofproto_port *p;

    v = (struct ofproto_port_vlan) {.mode = OFPROTO_VLAN_ACCESS, .tag = -1};
    assert_int_equal(ofproto_set_port_vlan(o, "p1", &v), -EINVAL);
    v = (struct ofproto_port_vlan) {.mode = OFPROTO_VLAN_NATIVE_TAGGED,
                                    .tag = -1};
    assert_int_equal(ofproto_set_port_vlan(o, "p1", &v), -EINVAL);
    v = (struct ofproto_port_vlan) {.mode = OFPROTO_VLAN_ACCESS, .tag = 4096};
    assert_int_equal(ofproto_set_port_vlan(o, "p1", &v), -EINVAL);
    v = (struct ofproto_port_vlan) {.mode = OFPROTO_VLAN_TRUNK, .tag = -1,
                                    .n_trunks = 2, .trunks = bad};
    assert_int_equal(ofproto_set_port_vlan(o, "p1", &v), -EINVAL);
    assert_int_equal(ofproto_set_port_vlan(o, "zz", &access), -ENOENT);
    assert_int_equal(n_invalidations, 0);

    p = ofproto_port_by_ofport(b, 1);
    assert_true(p->all_vlans);
    assert_int_equal(p->vlan_mode, OFPROTO_VLAN_TRUNK);
    assert_int_equal(ofproto_set_port_vlan(o, "p1", &access), 0);
    assert_int_equal(p->tag, 5);
    assert_false(p->all_vlans);
    assert_false(trunk_has(p, 5));

    v = (struct ofproto_port_vlan) {.mode = OFPROTO_VLAN_NATIVE_UNTAGGED,
                                    .tag = 7, .n_trunks = 3,
                                    .trunks = trunks};
    assert_int_equal(ofproto_set_port_vlan(o, "p1", &v), 0);
    assert_true(trunk_has(p, 7));       /* the native VLAN is carried */
    assert_true(trunk_has(p, 10) && trunk_has(p, 20) && trunk_has(p, 4095));
    assert_false(trunk_has(p, 11));

    v = (struct ofproto_port_vlan) {.mode = OFPROTO_VLAN_TRUNK, .tag = 9};
    assert_int_equal(ofproto_set_port_vlan(o, "p1", &v), 0);
    assert_true(p->all_vlans);
    assert_int_equal(p->tag, -1);
    assert_int_equal(n_invalidations, 3);
}

/* ---- Flow mods -------------------------------------------------------- */

static void
test_default_rule_and_format(void **state)
{
    struct ofproto *o = *state;

    assert_string_equal(dump(o, NULL, true),
                        " cookie=0x0, duration=0s, table=0, n_packets=0, "
                        "n_bytes=0, idle_age=0, priority=0 actions=NORMAL\n");
    mod1(o, OFPROTO_FM_ADD, "table=3,cookie=0x1f,idle_timeout=10,"
         "hard_timeout=20,priority=100,in_port=1,actions=output:2");
    mod1(o, OFPROTO_FM_ADD, "table=3,in_port=2,actions=drop");
    fake_now_ms += 1234;
    credit_rule(o, 3, "priority=100,in_port=1", 2);
    fake_now_ms += 2000;
    assert_string_equal(dump(o, "table=3", true),
                        " cookie=0x0, duration=3.234s, table=3, n_packets=0,"
                        " n_bytes=0, idle_age=3, in_port=2 actions=drop\n"
                        " cookie=0x1f, duration=3.234s, table=3, n_packets=2,"
                        " n_bytes=200, idle_timeout=10, hard_timeout=20, "
                        "idle_age=2, priority=100,in_port=1 "
                        "actions=output:2\n");
}

static void
test_add_replaces_and_resets(void **state)
{
    struct ofproto *o = *state;

    mod1(o, OFPROTO_FM_ADD, "priority=100,in_port=1,actions=output:2");
    assert_int_equal(n_invalidations, 1);
    credit_rule(o, 0, "priority=100,in_port=1", 3);
    assert_string_equal(dump(o, "in_port=1", false),
                        "0,100,in_port=1 output:2,3\n");
    /* Identical match and priority: replaced, counters reset. */
    mod1(o, OFPROTO_FM_ADD, "priority=100,in_port=1,actions=output:3");
    assert_int_equal(n_invalidations, 2);
    assert_string_equal(dump(o, "in_port=1", false),
                        "0,100,in_port=1 output:3,0\n");
    /* Another priority is another rule. */
    mod1(o, OFPROTO_FM_ADD, "priority=90,in_port=1,actions=output:2");
    assert_string_equal(dump(o, NULL, false),
                        "0,100,in_port=1 output:3,0\n"
                        "0,90,in_port=1 output:2,0\n"
                        "0,0, NORMAL,0\n");
    assert_int_equal(ofproto_bridge_find(o, "br0")->n_rules, 3);
}

static void
test_modify(void **state)
{
    struct ofproto *o = *state;

    mod1(o, OFPROTO_FM_ADD, "cookie=0x1,priority=100,in_port=1,"
         "actions=output:2");
    mod1(o, OFPROTO_FM_ADD, "cookie=0x2,priority=50,in_port=1,tcp,"
         "actions=output:2");
    mod1(o, OFPROTO_FM_ADD, "cookie=0x3,priority=60,in_port=2,"
         "actions=output:1");
    credit_rule(o, 0, "priority=100,in_port=1", 5);
    ofproto_fixture_reset_counts();

    /* Strict: only the exact match and priority. */
    mod1(o, OFPROTO_FM_MODIFY_STRICT, "priority=100,in_port=1,"
         "actions=output:3");
    assert_int_equal(n_invalidations, 1);
    assert_string_equal(dump(o, "in_port=1", false),
                        "0,100,in_port=1 output:3,5\n"
                        "0,50,tcp,in_port=1 output:2,0\n");
    /* Loose: every rule in_port=1 covers, counters kept; cookie filter. */
    mod1(o, OFPROTO_FM_MODIFY, "cookie=0x2/0xff,in_port=1,actions=drop");
    assert_string_equal(dump(o, "in_port=1", false),
                        "0,100,in_port=1 output:3,5\n"
                        "0,50,tcp,in_port=1 drop,0\n");
    mod1(o, OFPROTO_FM_MODIFY, "in_port=1,actions=output:2");
    assert_string_equal(dump(o, "in_port=1", false),
                        "0,100,in_port=1 output:2,5\n"
                        "0,50,tcp,in_port=1 output:2,0\n");
    /* Matching nothing does not add (OF 1.3 §6.4) nor invalidate. */
    ofproto_fixture_reset_counts();
    mod1(o, OFPROTO_FM_MODIFY, "in_port=3,actions=output:2");
    mod1(o, OFPROTO_FM_MODIFY_STRICT, "priority=99,in_port=1,"
         "actions=output:3");
    assert_int_equal(n_invalidations, 0);
    assert_int_equal(ofproto_bridge_find(o, "br0")->n_rules, 4);
    /* The cookie stays what it was. */
    assert_int_equal(find_rule(o, 0, "priority=100,in_port=1")->cookie, 1);
    /* ... unless mod-flows names a new one (cookie=C without a mask,
     * ovs-ofctl(8)): here for the rules the masked cookie selects. */
    mod1(o, OFPROTO_FM_MODIFY, "cookie=0x2/0xff,cookie=0x42,in_port=1,"
         "actions=output:4");
    assert_int_equal(find_rule(o, 0, "priority=50,in_port=1,tcp")->cookie,
                     0x42);
    assert_int_equal(find_rule(o, 0, "priority=100,in_port=1")->cookie, 1);
    assert_string_equal(dump(o, "cookie=0x42/-1", false),
                        "0,50,tcp,in_port=1 output:4,0\n");
    /* Without a filter: every rule the match covers. */
    mod1(o, OFPROTO_FM_MODIFY, "cookie=0x9,in_port=1,actions=output:2");
    assert_int_equal(find_rule(o, 0, "priority=50,in_port=1,tcp")->cookie, 9);
    assert_int_equal(find_rule(o, 0, "priority=100,in_port=1")->cookie, 9);
    assert_int_equal(find_rule(o, 0, "priority=60,in_port=2")->cookie, 3);
}

static void
test_delete(void **state)
{
    struct ofproto *o = *state;

    mod1(o, OFPROTO_FM_ADD, "cookie=0x11,priority=100,in_port=1,"
         "actions=output:2");
    mod1(o, OFPROTO_FM_ADD, "cookie=0x12,priority=50,in_port=1,tcp,"
         "actions=output:3");
    mod1(o, OFPROTO_FM_ADD, "cookie=0x21,table=1,priority=50,in_port=1,"
         "actions=output:3");
    mod1(o, OFPROTO_FM_ADD, "cookie=0x22,table=1,in_port=2,"
         "actions=output:1");
    ofproto_fixture_reset_counts();

    /* Strict needs the exact priority. */
    mod1(o, OFPROTO_FM_DELETE_STRICT, "table=0,priority=99,in_port=1");
    assert_int_equal(n_invalidations, 0);
    /* out_port filter: only rules that output to 3, in every table. */
    mod1(o, OFPROTO_FM_DELETE, "in_port=1,out_port=3");
    assert_int_equal(n_invalidations, 1);
    assert_string_equal(dump(o, NULL, false),
                        "0,100,in_port=1 output:2,0\n"
                        "0,0, NORMAL,0\n"
                        "1,32768,in_port=2 output:1,0\n");
    /* Cookie mask selects 0x2X only. */
    mod1(o, OFPROTO_FM_DELETE, "cookie=0x20/0xf0");
    assert_string_equal(dump(o, NULL, false),
                        "0,100,in_port=1 output:2,0\n"
                        "0,0, NORMAL,0\n");
    mod1(o, OFPROTO_FM_DELETE_STRICT, "table=0,priority=100,in_port=1");
    assert_string_equal(dump(o, NULL, false), "0,0, NORMAL,0\n");
    /* Everything. */
    mod1(o, OFPROTO_FM_DELETE, "");
    assert_string_equal(dump(o, NULL, false), "");
    assert_int_equal(ofproto_bridge_find(o, "br0")->n_rules, 0);
    assert_int_equal(o->n_by_id, 0);
}

static void
test_batch_all_or_nothing(void **state)
{
    struct ofproto *o = *state;
    static const char *const two[] = {
        "priority=10,in_port=1,actions=output:2",
        "table=2,priority=10,in_port=1,actions=goto_table:3",
    };
    struct ofp_flow_mod fms[2];
    static const char *const three[] = {
        "priority=10,in_port=1,actions=output:2",
        "priority=10,in_port=2,actions=output:1",
        "priority=10,in_port=3,actions=output:1",
    };
    const char *before;
    char err[256];

    before = strdup(dump(o, NULL, false));
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(ofp_flow_mod_parse(two[i], OFP_PARSE_ADD, NULL,
                                            NULL, &fms[i], err, sizeof err),
                         0);
    }
    fms[1].actions[0].table = 1;        /* backwards (OF 1.3 §5.1) */
    assert_int_equal(ofproto_flow_mods(o, "br0", OFPROTO_FM_ADD, fms, 2, err,
                                       sizeof err), -EINVAL);
    assert_memory_equal(err, "flow 2: ", 8);
    assert_string_equal(dump(o, NULL, false), before);
    fms[1] = fms[0];
    fms[1].table_id = OFP_TABLE_ALL;    /* "all tables" is not for adds */
    assert_int_equal(ofproto_flow_mods(o, "br0", OFPROTO_FM_ADD, fms, 2, err,
                                       sizeof err), -EINVAL);
    assert_string_equal(err, "flow 2: table 255 is not a table (0..254)");
    assert_string_equal(dump(o, NULL, false), before);
    free((void *) before);

    /* The rule limit: 1 rule now, room for 2 more. */
    o->max_rules = 3;
    assert_int_equal(try_mods(o, OFPROTO_FM_ADD, three, 3, err, sizeof err),
                     -ENOSPC);
    assert_memory_equal(err, "flow 3: ", 8);
    assert_int_equal(ofproto_bridge_find(o, "br0")->n_rules, 1);
    assert_int_equal(n_invalidations, 0);
    assert_int_equal(try_mods(o, OFPROTO_FM_ADD, three, 2, err, sizeof err),
                     0);
    /* Replacing does not need room. */
    assert_int_equal(try_mods(o, OFPROTO_FM_ADD, three, 2, err, sizeof err),
                     0);
    assert_int_equal(ofproto_bridge_find(o, "br0")->n_rules, 3);
    assert_int_equal(ofproto_flow_mods(o, "nope", OFPROTO_FM_ADD, NULL, 0,
                                       err, sizeof err), -ENOENT);
}

/* A modify across all tables to a table-dependent action is checked
 * against each selected rule's table, before anything changes. */
static void
test_modify_checked_per_table(void **state)
{
    struct ofproto *o = *state;
    struct ofp_flow_mod fm;
    char err[256];

    mod1(o, OFPROTO_FM_ADD, "priority=10,in_port=1,actions=output:2");
    mod1(o, OFPROTO_FM_ADD, "table=5,priority=10,in_port=1,actions=drop");
    ofproto_fixture_reset_counts();
    assert_int_equal(ofp_flow_mod_parse("in_port=1,actions=goto_table:3",
                                        OFP_PARSE_MODIFY, NULL, NULL, &fm,
                                        err, sizeof err), 0);
    fm.table_id = OFP_TABLE_ALL;
    assert_int_equal(ofproto_flow_mods(o, "br0", OFPROTO_FM_MODIFY, &fm, 1,
                                       err, sizeof err), -EINVAL);
    assert_memory_equal(err, "flow 1: table 5", 15);
    assert_int_equal(n_invalidations, 0);
    assert_string_equal(dump(o, "in_port=1", false),
                        "0,10,in_port=1 output:2,0\n"
                        "5,10,in_port=1 drop,0\n");
}

static void
test_replace_flows(void **state)
{
    struct ofproto *o = *state;
    static const char *const flows[] = {
        "priority=10,in_port=1,actions=output:2",
        "priority=10,in_port=2,actions=output:1",
        "table=1,priority=10,in_port=3,actions=output:1",
    };
    static const char *const next[] = {
        "priority=10,in_port=1,actions=output:2",       /* unchanged */
        "priority=10,in_port=2,actions=output:3",       /* changed */
        "table=2,in_port=3,actions=drop",               /* new */
    };
    struct ofp_flow_mod fms[3];
    char err[256];

    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(ofp_flow_mod_parse(flows[i], OFP_PARSE_ADD, NULL,
                                            NULL, &fms[i], err, sizeof err),
                         0);
    }
    assert_int_equal(ofproto_replace_flows(o, "br0", fms, 3, err, sizeof err),
                     0);
    assert_int_equal(n_invalidations, 1);
    assert_string_equal(dump(o, NULL, false),
                        "0,10,in_port=1 output:2,0\n"
                        "0,10,in_port=2 output:1,0\n"
                        "1,10,in_port=3 output:1,0\n");
    credit_rule(o, 0, "priority=10,in_port=1", 7);
    credit_rule(o, 0, "priority=10,in_port=2", 8);
    uint64_t kept_id = find_rule(o, 0, "priority=10,in_port=1")->id;

    /* The same set again changes nothing. */
    assert_int_equal(ofproto_replace_flows(o, "br0", fms, 3, err, sizeof err),
                     0);
    assert_int_equal(n_invalidations, 1);

    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(ofp_flow_mod_parse(next[i], OFP_PARSE_ADD, NULL,
                                            NULL, &fms[i], err, sizeof err),
                         0);
    }
    assert_int_equal(ofproto_replace_flows(o, "br0", fms, 3, err, sizeof err),
                     0);
    assert_int_equal(n_invalidations, 2);
    assert_string_equal(dump(o, NULL, false),
                        "0,10,in_port=1 output:2,7\n"
                        "0,10,in_port=2 output:3,0\n"
                        "2,32768,in_port=3 drop,0\n");
    assert_int_equal(find_rule(o, 0, "priority=10,in_port=1")->id, kept_id);
    assert_int_equal(ofproto_bridge_find(o, "br0")->n_rules, 3);
    assert_int_equal(o->n_by_id, 3);
}

static void
test_replace_flows_errors(void **state)
{
    struct ofproto *o = *state;
    struct ofp_flow_mod fms[3];
    char err[256];

    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(ofp_flow_mod_parse("table=1,in_port=3,actions=drop",
                                            OFP_PARSE_ADD, NULL, NULL,
                                            &fms[i], err, sizeof err), 0);
        fms[i].priority = (uint16_t) i;
    }
    /* A bad flow anywhere: nothing changes. */
    fms[2].table_id = 1;
    fms[2].n_actions = 1;
    fms[2].actions[0].type = OFPACT_GOTO_TABLE;
    fms[2].actions[0].table = 0;
    assert_int_equal(ofproto_replace_flows(o, "br0", fms, 3, err, sizeof err),
                     -EINVAL);
    assert_memory_equal(err, "flow 3: ", 8);
    assert_int_equal(ofproto_bridge_find(o, "br0")->n_rules, 1);
    o->max_rules = 2;
    assert_int_equal(ofproto_replace_flows(o, "br0", fms, 3, err, sizeof err),
                     -EINVAL);
    fms[2].n_actions = 0;
    assert_int_equal(ofproto_replace_flows(o, "br0", fms, 3, err, sizeof err),
                     -ENOSPC);
    assert_int_equal(ofproto_bridge_find(o, "br0")->n_rules, 1);
    assert_int_equal(n_invalidations, 0);
    o->max_rules = 3;
    assert_int_equal(ofproto_replace_flows(o, "br0", fms, 3, err, sizeof err),
                     0);
    assert_int_equal(ofproto_replace_flows(o, "br0", fms, 0, err, sizeof err),
                     0);
    assert_int_equal(ofproto_bridge_find(o, "br0")->n_rules, 0);
    assert_int_equal(n_invalidations, 2);
    assert_int_equal(ofproto_replace_flows(o, "x", fms, 0, err, sizeof err),
                     -ENOENT);
}

/* ---- Counters and timeouts -------------------------------------------- */

static void
test_credit_by_id(void **state)
{
    struct ofproto *o = *state;
    uint64_t ids[3];

    mod1(o, OFPROTO_FM_ADD, "priority=10,in_port=1,actions=resubmit(,1)");
    mod1(o, OFPROTO_FM_ADD, "table=1,priority=10,in_port=1,"
         "actions=output:2");
    ids[0] = find_rule(o, 0, "priority=10,in_port=1")->id;
    ids[1] = find_rule(o, 1, "priority=10,in_port=1")->id;
    assert_true(ids[0] != 0 && ids[1] != 0 && ids[0] != ids[1]);
    assert_ptr_equal(ofproto_rule_by_id(o, ids[1]),
                     find_rule(o, 1, "priority=10,in_port=1"));
    fake_now_ms += 5000;
    credit(o, ids, 2, 3, 300);
    assert_string_equal(dump(o, "in_port=1", false),
                        "0,10,in_port=1 resubmit(,1),3\n"
                        "1,10,in_port=1 output:2,3\n");
    assert_int_equal(find_rule(o, 1, "priority=10,in_port=1")->n_bytes, 300);
    assert_int_equal(find_rule(o, 1, "priority=10,in_port=1")->used_ms,
                     fake_now_ms);

    /* A deleted rule's id is ignored, the others still count. */
    mod1(o, OFPROTO_FM_DELETE_STRICT, "table=1,priority=10,in_port=1");
    assert_null(ofproto_rule_by_id(o, ids[1]));
    ids[2] = 0;
    credit(o, ids, 3, 1, 100);
    assert_string_equal(dump(o, "in_port=1", false),
                        "0,10,in_port=1 resubmit(,1),4\n");
    assert_int_equal(ofproto_credit(o, NULL, 0, false), 0);
}

static void
test_many_ids(void **state)
{
    struct ofproto *o = *state;
    enum { N = 3000 };
    struct ofp_flow_mod *fms = calloc(N, sizeof *fms);
    char line[128], err[256];

    assert_non_null(fms);
    for (unsigned i = 0; i < N; i++) {
        snprintf(line, sizeof line, "priority=%u,in_port=1,actions=drop",
                 i + 1);
        assert_int_equal(ofp_flow_mod_parse(line, OFP_PARSE_ADD, NULL, NULL,
                                            &fms[i], err, sizeof err), 0);
    }
    assert_int_equal(ofproto_flow_mods(o, "br0", OFPROTO_FM_ADD, fms, N, err,
                                       sizeof err), 0);
    assert_int_equal(o->n_by_id, N + 1);
    assert_true(o->by_id_mask + 1 >= N + 1);
    for (uint64_t id = 1; id <= N + 1; id++) {
        struct ofproto_rule *r = ofproto_rule_by_id(o, id);
        assert_non_null(r);
        assert_int_equal(r->id, id);
    }
    free(fms);
}

static void
test_timeouts(void **state)
{
    struct ofproto *o = *state;

    mod1(o, OFPROTO_FM_ADD, "priority=10,idle_timeout=5,in_port=1,"
         "actions=output:2");
    mod1(o, OFPROTO_FM_ADD, "priority=10,hard_timeout=8,in_port=2,"
         "actions=output:1");
    mod1(o, OFPROTO_FM_ADD, "priority=10,idle_timeout=5,hard_timeout=20,"
         "in_port=3,actions=output:1");
    ofproto_fixture_reset_counts();

    fake_now_ms += 4000;
    credit_rule(o, 0, "priority=10,in_port=1", 1);     /* idle restarts */
    ofproto_run(o);
    assert_int_equal(n_invalidations, 0);
    fake_now_ms += 1499;           /* t = 5.499 s: idle 5 s + 0.5 s slack */
    ofproto_run(o);
    assert_int_equal(n_invalidations, 0);
    fake_now_ms += 1;                                   /* t = 5.5 s */
    ofproto_run(o);
    assert_int_equal(n_invalidations, 1);               /* in_port=3 idle */
    assert_string_equal(dump(o, NULL, false),
                        "0,10,in_port=1 output:2,1\n"
                        "0,10,in_port=2 output:1,0\n"
                        "0,0, NORMAL,0\n");
    fake_now_ms += 2499;                                /* t = 7.999 s */
    ofproto_run(o);
    assert_int_equal(n_invalidations, 1);
    fake_now_ms += 1;                                   /* t = 8 s */
    ofproto_run(o);
    assert_int_equal(n_invalidations, 2);               /* in_port=2 hard */
    assert_string_equal(dump(o, NULL, false),
                        "0,10,in_port=1 output:2,1\n"
                        "0,0, NORMAL,0\n");
    fake_now_ms += 1500;                        /* 5 s since 4, + slack */
    ofproto_run(o);
    assert_int_equal(n_invalidations, 3);
    assert_string_equal(dump(o, NULL, false), "0,0, NORMAL,0\n");
    assert_null(ofproto_bridge_find(o, "br0")->expirable);
    assert_int_equal(o->n_by_id, 1);

    /* A modify keeps the timeouts and the age. */
    mod1(o, OFPROTO_FM_ADD, "priority=10,hard_timeout=3,in_port=1,"
         "actions=output:2");
    fake_now_ms += 2000;
    mod1(o, OFPROTO_FM_MODIFY, "in_port=1,actions=output:3");
    fake_now_ms += 1000;
    ofproto_run(o);
    assert_string_equal(dump(o, NULL, false), "0,0, NORMAL,0\n");
}

static void
mac_visit(void *aux, const uint8_t mac[6], uint16_t vlan, uint32_t ofport,
          uint64_t age)
{
    char *s = aux;

    snprintf(s + strlen(s), 64 - strlen(s), "%02x/%u/%u/%llu ", mac[5],
             vlan, ofport, (unsigned long long) age);
}

static void
test_mac_aging(void **state)
{
    struct ofproto *o = *state;
    struct ofproto_bridge *b = ofproto_bridge_find(o, "br0");
    static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x0a};
    char seen[64] = "";
    uint32_t dp;

    assert_int_equal(ofproto_set_mac_limits(o, "br0", 10, 0), 0);
    ofproto_fixture_reset_counts();
    mac_learning_learn(b->ml, mac, 7, 2, fake_now_ms / 1000);
    fake_now_ms += 3000;
    assert_int_equal(ofproto_for_each_mac(o, "br0", mac_visit, seen), 0);
    assert_string_equal(seen, "0a/7/2/3 ");
    assert_int_equal(ofproto_for_each_mac(o, "x", mac_visit, seen), -ENOENT);
    ofproto_run(o);
    assert_int_equal(n_invalidations, 0);
    fake_now_ms += 8000;                        /* idle 11 s > 10 s */
    ofproto_run(o);
    assert_int_equal(n_invalidations, 1);
    assert_int_equal(mac_learning_count(b->ml), 0);

    /* Deleting a port forgets what was learned on it. */
    mac_learning_learn(b->ml, mac, 0, 2, fake_now_ms / 1000);
    assert_int_equal(ofproto_del_port(o, "p2", &dp), 0);
    assert_int_equal(mac_learning_count(b->ml), 0);
}

/* ---- Dumps ------------------------------------------------------------ */

static void
table_visit(void *aux, const struct ofproto_table_info *ti)
{
    char *s = aux;

    snprintf(s + strlen(s), 256 - strlen(s), "%u:%u ", ti->table_id,
             ti->n_rules);
}

static void
test_dump_filters_and_tables(void **state)
{
    struct ofproto *o = *state;
    char tables[256] = "";

    mod1(o, OFPROTO_FM_ADD, "table=7,cookie=0x5,priority=10,in_port=1,tcp,"
         "actions=output:2");
    mod1(o, OFPROTO_FM_ADD, "table=2,cookie=0x6,priority=10,in_port=1,"
         "actions=output:3");
    assert_string_equal(dump(o, "in_port=1", false),
                        "2,10,in_port=1 output:3,0\n"
                        "7,10,tcp,in_port=1 output:2,0\n");
    assert_string_equal(dump(o, "table=7", false),
                        "7,10,tcp,in_port=1 output:2,0\n");
    assert_string_equal(dump(o, "out_port=3", false),
                        "2,10,in_port=1 output:3,0\n");
    assert_string_equal(dump(o, "cookie=0x5/0xffffffffffffffff", false),
                        "7,10,tcp,in_port=1 output:2,0\n");
    assert_string_equal(dump(o, "tcp", false),
                        "7,10,tcp,in_port=1 output:2,0\n");
    assert_int_equal(ofproto_dump_tables(o, "br0", table_visit, tables), 0);
    assert_string_equal(tables, "0:1 2:1 7:1 ");
    assert_int_equal(ofproto_dump_tables(o, "x", table_visit, tables),
                     -ENOENT);
    assert_int_equal(ofproto_dump_flows(o, "x", NULL, dump_visit, NULL),
                     -ENOENT);
}

/* ---- A long dump lets upcalls in (ofproto.h) ------------------------ */

struct slow_dump {
    struct ofproto *o;
    unsigned visited;           /* atomic */
    int go;                     /* atomic: the translator may start */
    unsigned seen_at;           /* 'visited' when its translation returned */
    int err;
};

static void
slow_dump_visit(void *aux, const struct ofproto_flow_info *fi)
{
    struct slow_dump *sd = aux;
    struct timespec ts = {.tv_nsec = 100 * 1000};       /* 100 us a rule */

    (void) fi;
    if (__atomic_add_fetch(&sd->visited, 1, __ATOMIC_RELAXED) == 10) {
        __atomic_store_n(&sd->go, 1, __ATOMIC_RELEASE);
    }
    nanosleep(&ts, NULL);
}

/* A PMD's upcall, issued while the dump is under way. */
static void *
slow_dump_translator(void *aux)
{
    struct slow_dump *sd = aux;
    struct flow f;
    struct flow_wc wc;
    struct dp_actions a;
    struct upcall_refs refs;

    while (!__atomic_load_n(&sd->go, __ATOMIC_ACQUIRE)) {
        sched_yield();
    }
    memset(&f, 0, sizeof f);
    f.in_port = DP1;
    flow_wc_init_catchall(&wc);
    sd->err = ofproto_translate(sd->o, &f, &wc, &a, &refs);
    sd->seen_at = __atomic_load_n(&sd->visited, __ATOMIC_RELAXED);
    return NULL;
}

/* A dump of 2,001 rules that takes 0.2 s: an upcall made during it gets
 * the lock at the next chunk boundary, not at the end. */
static void
test_dump_lets_upcalls_in(void **state)
{
    enum { N = 2000 };
    struct ofproto *o = *state;
    const char **lines = calloc(N, sizeof *lines);
    char (*text)[96] = calloc(N, sizeof *text);
    struct slow_dump sd = {.o = o};
    char err[256];
    pthread_t t;

    assert_non_null(lines);
    assert_non_null(text);
    for (unsigned i = 0; i < N; i++) {
        snprintf(text[i], sizeof text[i], "priority=10,tcp,in_port=1,"
                 "tp_dst=%u,actions=output:2", i + 1);
        lines[i] = text[i];
    }
    assert_int_equal(try_mods(o, OFPROTO_FM_ADD, lines, N, err, sizeof err),
                     0);
    assert_int_equal(pthread_create(&t, NULL, slow_dump_translator, &sd), 0);
    assert_int_equal(ofproto_dump_flows(o, "br0", NULL, slow_dump_visit,
                                        &sd), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(sd.visited, N + 1);        /* and priority=0 NORMAL */
    assert_int_equal(sd.err, 0);
    assert_in_range(sd.seen_at, 10, 10 + 3 * OFPROTO_DUMP_CHUNK);
    free(lines);
    free(text);
}

static void
test_text(void **state)
{
    struct ofp_text t = {0};

    (void) state;
    for (unsigned i = 0; i < 1000; i++) {
        ofp_text_printf(&t, "%u,", i % 10);
    }
    assert_int_equal(t.len, 2000);
    assert_int_equal(strlen(t.buf), 2000);
    assert_false(t.truncated);
    assert_memory_equal(t.buf, "0,1,2,", 6);
    ofp_text_free(&t);
    assert_null(t.buf);
    assert_int_equal(t.len, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bridge_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_visitors_and_mac_limits, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_port_vlan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_rule_and_format, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_add_replaces_and_resets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_modify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_all_or_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_modify_checked_per_table, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_replace_flows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_flows_errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_credit_by_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mac_aging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump_filters_and_tables, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dump_lets_upcalls_in, setup,
                                        teardown),
        cmocka_unit_test(test_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
