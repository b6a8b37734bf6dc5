/* SPDX-License-Identifier: Apache-2.0 */
/* The built-in slow path's translation of rule actions into datapath
 * actions, and the megaflow masks it reports (what it looked at). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "datapath/l2br.h"

#define DP1 5   /* datapath numbers of OpenFlow ports 1 and 2 */
#define DP2 9

static struct l2br *
bridge_with(const char *const rules[], unsigned n)
{
    struct l2br *l;
    uint32_t of;
    char err[128];

    assert_int_equal(l2br_create(NULL, NULL, &l), 0);
    assert_int_equal(l2br_add_bridge(l, "br0"), 0);
    assert_int_equal(l2br_add_port(l, "br0", "p1", DP1, 1, &of), 0);
    assert_int_equal(l2br_add_port(l, "br0", "p2", DP2, 2, &of), 0);
    assert_int_equal(l2br_del_rules(l, "br0"), 0);
    for (unsigned i = 0; i < n; i++) {
        if (l2br_add_rule(l, "br0", rules[i], err, sizeof err)) {
            fail_msg("%s: %s", rules[i], err);
        }
    }
    return l;
}

/* A key from port 1: 'tags' outer VIDs (0..2 tags), Ethertype, proto. */
static struct flow
key(unsigned tags, uint16_t dl_type, uint8_t proto, uint8_t frag)
{
    struct flow f;

    memset(&f, 0, sizeof f);
    f.in_port = DP1;
    for (unsigned i = 0; i < tags; i++) {
        f.vlans[i].tpid = htons(i ? 0x8100 : 0x88a8);
        f.vlans[i].tci = htons((uint16_t) (20 + i));
    }
    f.dl_type = htons(dl_type);
    f.nw_proto = proto;
    f.nw_frag = frag;
    return f;
}

static void
expect(struct l2br *l, const struct flow *f, const char *actions,
       struct flow_wc *wc)
{
    struct dp_actions a;
    char buf[DP_ACTIONS_FORMAT_SIZE];

    flow_wc_init_catchall(wc);
    assert_int_equal(l2br_translate(l, f, wc, &a), 0);
    assert_string_equal(dp_actions_format(&a, buf, sizeof buf), actions);
    assert_int_equal(wc->masks.in_port, UINT32_MAX);
}

static void
test_vlan_actions(void **state)
{
    static const char *const rules[] = {
        "in_port=1,actions=mod_vlan_vid:10,mod_vlan_pcp:3,output:2",
    };
    static const char *const strip[] = {
        "in_port=1,actions=strip_vlan,output:2,strip_vlan,output:2",
    };
    static const char *const push[] = {
        "in_port=1,actions=push_vlan:0x88a8,mod_vlan_vid:7,output:2",
    };
    struct flow_wc wc;
    struct flow f;
    struct l2br *l;
    (void) state;

    l = bridge_with(rules, 1);
    f = key(0, 0x0800, 6, 0);
    /* Untagged: mod_vlan_vid pushes, mod_vlan_pcp then rewrites it. */
    expect(l, &f, "push_vlan(vid=10,pcp=0),set(vlan(pcp=3)),9", &wc);
    assert_int_equal(wc.masks.vlans[0].tpid, 0xffff);
    assert_int_equal(wc.masks.dl_type, 0);      /* not looked at */
    assert_int_equal(wc.masks.vlans[0].tci, 0); /* no dl_vlan rule */
    f = key(1, 0x0800, 6, 0);
    expect(l, &f, "set(vlan(vid=10)),set(vlan(pcp=3)),9", &wc);
    l2br_destroy(l);

    /* strip_vlan pops only what is there: the second one too on QinQ. */
    l = bridge_with(strip, 1);
    f = key(0, 0x0800, 6, 0);
    expect(l, &f, "9", &wc);
    assert_int_equal(wc.masks.vlans[0].tpid, 0xffff);
    f = key(1, 0x0800, 6, 0);
    expect(l, &f, "pop_vlan,9", &wc);
    assert_int_equal(wc.masks.vlans[1].tpid, 0xffff);
    f = key(2, 0x0800, 6, 0);
    expect(l, &f, "pop_vlan,9,pop_vlan,9", &wc);
    l2br_destroy(l);

    /* push_vlan then mod_vlan_vid rewrites the new tag; a third tag is
     * refused (drop), with the tags still in the mask. */
    l = bridge_with(push, 1);
    f = key(1, 0x0800, 6, 0);
    expect(l, &f, "push_vlan(tpid=0x88a8,vid=0,pcp=0),set(vlan(vid=7)),9",
           &wc);
    f = key(2, 0x0800, 6, 0);
    expect(l, &f, "drop", &wc);
    assert_int_equal(wc.masks.vlans[1].tpid, 0xffff);
    l2br_destroy(l);
}

static void
test_l3_l4_actions(void **state)
{
    static const char *const rules[] = {
        "in_port=1,actions=mod_dl_src:02:00:00:00:00:aa,mod_nw_src:10.0.0.9,"
        "mod_nw_tos:184,mod_nw_ttl:5,mod_tp_dst:53,output:2",
    };
    struct l2br *l = bridge_with(rules, 1);
    struct flow_wc wc;
    struct flow f;
    (void) state;

    f = key(0, 0x0800, 17, 0);
    expect(l, &f, "set(eth(src=02:00:00:00:00:aa)),set(ipv4(src=10.0.0.9)),"
           "set(ipv4(tos=0xb8/0xfc)),set(ipv4(ttl=5)),set(udp(dst=53)),9",
           &wc);
    assert_int_equal(wc.masks.dl_type, 0xffff);
    assert_int_equal(wc.masks.nw_proto, 0xff);
    assert_int_equal(wc.masks.nw_frag, 0xff);
    assert_int_equal(wc.masks.nw_src, 0);       /* set, not matched */
    f = key(0, 0x0800, 6, 0);
    expect(l, &f, "set(eth(src=02:00:00:00:00:aa)),set(ipv4(src=10.0.0.9)),"
           "set(ipv4(tos=0xb8/0xfc)),set(ipv4(ttl=5)),set(tcp(dst=53)),9",
           &wc);
    /* No L4 header in a later fragment, nor in ICMP. */
    f = key(0, 0x0800, 6, FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER);
    expect(l, &f, "set(eth(src=02:00:00:00:00:aa)),set(ipv4(src=10.0.0.9)),"
           "set(ipv4(tos=0xb8/0xfc)),set(ipv4(ttl=5)),9", &wc);
    f = key(0, 0x0800, 1, 0);
    expect(l, &f, "set(eth(src=02:00:00:00:00:aa)),set(ipv4(src=10.0.0.9)),"
           "set(ipv4(tos=0xb8/0xfc)),set(ipv4(ttl=5)),9", &wc);
    /* ARP: no IPv4 header to rewrite. */
    f = key(0, 0x0806, 0, 0);
    expect(l, &f, "set(eth(src=02:00:00:00:00:aa)),9", &wc);
    assert_int_equal(wc.masks.dl_type, 0xffff);
    assert_int_equal(wc.masks.nw_proto, 0);
    l2br_destroy(l);
}

static void
test_dl_vlan_match(void **state)
{
    static const char *const rules[] = {
        "in_port=1,actions=output:2",
        "in_port=1,dl_vlan=20,actions=strip_vlan,output:2",
        "in_port=1,dl_vlan=0xffff,actions=drop",
    };
    struct l2br *l = bridge_with(rules, 3);
    struct flow_wc wc;
    struct flow f;
    (void) state;

    f = key(1, 0x0800, 6, 0);           /* VID 20 */
    expect(l, &f, "pop_vlan,9", &wc);
    assert_int_equal(wc.masks.vlans[0].tpid, 0xffff);
    assert_int_equal(ntohs(wc.masks.vlans[0].tci) & 0x0fff, 0x0fff);
    f.vlans[0].tci = htons(21);
    expect(l, &f, "9", &wc);
    assert_int_equal(ntohs(wc.masks.vlans[0].tci) & 0x0fff, 0x0fff);
    f = key(0, 0x0800, 6, 0);
    expect(l, &f, "drop", &wc);
    assert_int_equal(wc.masks.vlans[0].tpid, 0xffff);
    l2br_destroy(l);
}

/* Output-only rules keep the one-megaflow-per-port mask. */
static void
test_outputs_only_mask(void **state)
{
    static const char *const rules[] = {"in_port=1,actions=output:2"};
    struct l2br *l = bridge_with(rules, 1);
    struct flow_wc wc, want;
    struct flow f = key(2, 0x0800, 6, 0);
    (void) state;

    expect(l, &f, "9", &wc);
    flow_wc_init_catchall(&want);
    want.masks.in_port = UINT32_MAX;
    assert_memory_equal(&wc, &want, sizeof wc);
    l2br_destroy(l);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vlan_actions),
        cmocka_unit_test(test_l3_l4_actions),
        cmocka_unit_test(test_dl_vlan_match),
        cmocka_unit_test(test_outputs_only_mask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
