/* SPDX-License-Identifier: Apache-2.0 */
/* Translation (ofproto/xlate.c, normal.c, trace.c) through the public API:
 * outputs and reserved ports, set fields, VLAN operations, resubmit /
 * goto_table / metadata / registers, dec_ttl, bounded loops, NORMAL
 * (learning, moves, aging, size limit, VLAN access/trunk isolation,
 * flooding), trace, and the megaflow property: the datapath flow made
 * for packet P gives every packet agreeing with P under its mask exactly
 * the datapath actions a full translation of that packet gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "ofproto_fixture.h"

#define N_PORTS 5
#define DP_BASE 10          /* OpenFlow port N is datapath port 10 + N */
#define VLAN_CFI 0x1000


static int
setup(void **state)
{
    struct ofproto *o = ofproto_fixture_create();
    uint32_t of;

    for (uint32_t i = 1; i <= N_PORTS; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%u", i);
        assert_int_equal(ofproto_add_port(o, "br0", name, DP_BASE + i, i,
                                          &of), 0);
        assert_int_equal(of, i);
    }
    ofproto_fixture_reset_counts();
    *state = o;
    return 0;
}


/* ---- Helpers ---------------------------------------------------------- */

struct fm_list {
    struct ofp_flow_mod *fms;
    size_t n, cap;
};

static int
collect_fm(void *aux, const struct ofp_flow_mod *fm)
{
    struct fm_list *l = aux;

    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->fms = realloc(l->fms, l->cap * sizeof *l->fms);
        assert_non_null(l->fms);
    }
    l->fms[l->n++] = *fm;
    return 0;
}

/* The bridge's tables become exactly 'text' (one flow per line). */
static void
set_flows(struct ofproto *o, const char *text)
{
    struct ofproto_resolver res = {.ofproto = o, .br = "br0"};
    struct fm_list l = {0};
    char err[256] = "";
    int e;

    e = ofp_flow_mods_parse_text(text, OFP_PARSE_ADD, ofproto_resolve_port,
                                 &res, collect_fm, &l, err, sizeof err);
    if (e) {
        fail_msg("parse: %s", err);
    }
    e = ofproto_replace_flows(o, "br0", l.fms, l.n, err, sizeof err);
    if (e) {
        fail_msg("replace-flows: %s", err);
    }
    free(l.fms);
}

/* A datapath key from a flow description ("in_port=1,tcp,tp_dst=80"). */
static void
packet(const char *text, struct flow *dp)
{
    struct ofp_flow_mod fm;
    char err[256];
    uint16_t tci;

    if (ofp_flow_mod_parse(text, OFP_PARSE_MATCH, NULL, NULL, &fm, err,
                           sizeof err)) {
        fail_msg("packet %s: %s", text, err);
    }
    *dp = fm.match.flow;
    dp->in_port = DP_BASE + fm.match.flow.in_port;
    tci = ntohs(dp->vlans[0].tci);
    memset(dp->vlans, 0, sizeof dp->vlans);
    if (tci & VLAN_CFI) {
        dp->vlans[0].tpid = htons(0x8100);
        dp->vlans[0].tci = htons(tci & ~VLAN_CFI);
    }
}

struct result {
    char actions[DP_ACTIONS_FORMAT_SIZE];
    struct flow_wc wc;
    struct upcall_refs refs;
};

static const char *
translate_flow(struct ofproto *o, const struct flow *dp, struct result *r)
{
    struct dp_actions a;

    flow_wc_init_catchall(&r->wc);
    assert_int_equal(ofproto_translate(o, dp, &r->wc, &a, &r->refs), 0);
    assert_true(r->wc.masks.in_port == UINT32_MAX);
    return dp_actions_format(&a, r->actions, sizeof r->actions);
}

static const char *
xl(struct ofproto *o, const char *text, struct result *r)
{
    struct flow dp;

    packet(text, &dp);
    return translate_flow(o, &dp, r);
}

#define assert_xlate(O, PKT, EXPECTED)                                    \
    do {                                                                  \
        struct result r_;                                                 \
        assert_string_equal(xl(O, PKT, &r_), EXPECTED);                   \
    } while (0)

static bool
mac_is_wild(const struct flow_eth_addr *m)
{
    static const struct flow_eth_addr zero;
    return !memcmp(m, &zero, sizeof zero);
}

/* ---- Outputs and reserved ports --------------------------------------- */

static void
test_output(void **state)
{
    struct ofproto *o = *state;

    set_flows(o, "in_port=1,actions=output:2\n"
                 "in_port=2,actions=output:2\n"
                 "in_port=3,actions=in_port\n"
                 "in_port=4,actions=output:9,output:3,output:3,output:5\n");
    assert_xlate(o, "in_port=1", "12");
    assert_xlate(o, "in_port=2", "drop");       /* output to input: no */
    assert_xlate(o, "in_port=3", "13");         /* unless IN_PORT */
    assert_xlate(o, "in_port=4", "13,15");      /* no port 9, no dup */
    assert_xlate(o, "in_port=5", "drop");       /* table miss */
}

static void
test_reserved_ports(void **state)
{
    struct ofproto *o = *state;

    set_flows(o, "in_port=1,actions=flood\n"
                 "in_port=2,actions=all\n"
                 "in_port=3,actions=local\n");
    assert_xlate(o, "in_port=1", "12,13,14,15");
    assert_xlate(o, "in_port=2", "11,13,14,15");
    assert_xlate(o, "in_port=3", "drop");
}

static void
test_unknown_port(void **state)
{
    struct ofproto *o = *state;
    struct flow_wc wc;
    struct dp_actions a;
    struct upcall_refs refs;
    struct flow dp;

    char buf[DP_ACTIONS_FORMAT_SIZE];

    packet("in_port=1", &dp);
    dp.in_port = 200;           /* not attached to a bridge: no route */
    flow_wc_init_catchall(&wc);
    assert_int_equal(ofproto_translate(o, &dp, &wc, &a, &refs), 0);
    assert_string_equal(dp_actions_format(&a, buf, sizeof buf), "drop");
    assert_int_equal(refs.n, 0);
    assert_int_equal(wc.masks.in_port, UINT32_MAX);
    wc.masks.in_port = 0;
    assert_true(flow_wc_is_catchall(&wc));      /* nothing else matters */
    dp.in_port = 100000;        /* out of range */
    assert_int_equal(ofproto_translate(o, &dp, &wc, &a, &refs), -ENOENT);
}

/* ---- Set fields ------------------------------------------------------- */

static void
test_set_fields(void **state)
{
    struct ofproto *o = *state;
    struct result r;

    set_flows(o, "in_port=1,actions=mod_dl_src:02:00:00:00:00:aa,output:2\n"
                 "in_port=2,dl_src=02:00:00:00:00:bb,"
                 "actions=mod_dl_src:02:00:00:00:00:bb,output:1\n"
                 "in_port=3,ip,actions=mod_nw_src:10.1.1.1,mod_nw_dst:10.2.2.2,"
                 "mod_nw_tos:32,output:1,mod_nw_src:10.1.1.9,output:2\n"
                 "in_port=4,tcp,actions=mod_tp_dst:8080,output:1\n"
                 "in_port=5,arp,actions=set_field:10.0.0.1->nw_src,output:1\n");
    /* A write needs no un-wildcarding of the field it writes. */
    assert_string_equal(xl(o, "in_port=1,dl_src=02:00:00:00:00:01", &r),
                        "set(eth(src=02:00:00:00:00:aa)),12");
    assert_true(mac_is_wild(&r.wc.masks.dl_src));
    /* Writing what the rule matched changes nothing: no action. */
    assert_xlate(o, "in_port=2,dl_src=02:00:00:00:00:bb", "11");
    assert_xlate(o, "in_port=3,tcp,nw_src=1.1.1.1,nw_dst=2.2.2.2",
                 "set(ipv4(src=10.1.1.1)),set(ipv4(dst=10.2.2.2)),"
                 "set(ipv4(tos=0x20/0xfc)),11,set(ipv4(src=10.1.1.9)),12");
    assert_string_equal(xl(o, "in_port=4,tcp,tp_dst=80", &r),
                        "set(tcp(dst=8080)),11");
    assert_true(r.wc.masks.tp_dst == 0);
    assert_xlate(o, "in_port=4,udp,tp_dst=80", "drop");   /* rule is tcp */
    /* set_field/mod_nw_src rewrite IPv4 only (OVS's SET_IPV4_SRC): an
     * ARP packet goes on unchanged rather than being dropped. */
    assert_xlate(o, "in_port=5,arp,arp_spa=1.2.3.4", "11");
}

static void
test_set_field_tcp6_drops(void **state)
{
    struct ofproto *o = *state;

    set_flows(o, "tcp6,actions=output:3,set_field:99->tp_dst,output:2\n");
    /* The earlier output stands; the rewrite the datapath cannot do ends
     * the walk. */
    assert_xlate(o, "in_port=1,tcp6,tp_dst=80", "13");
}

/* ---- VLANs ------------------------------------------------------------ */

static void
test_vlan_ops(void **state)
{
    struct ofproto *o = *state;

    set_flows(o, "in_port=1,actions=mod_vlan_vid:10,output:2\n"
                 "in_port=2,actions=strip_vlan,output:1\n"
                 "in_port=3,actions=push_vlan:0x88a8,output:1\n"
                 "in_port=4,actions=mod_vlan_pcp:5,output:1,strip_vlan,"
                 "output:2\n"
                 "in_port=5,actions=set_field:0x1007->vlan_tci,output:1,"
                 "set_field:0->vlan_tci,output:2\n");
    assert_xlate(o, "in_port=1", "push_vlan(vid=10,pcp=0),12");
    assert_xlate(o, "in_port=1,dl_vlan=5", "set(vlan(vid=10)),12");
    assert_xlate(o, "in_port=1,dl_vlan=10", "12");
    assert_xlate(o, "in_port=2,dl_vlan=5", "pop_vlan,11");
    assert_xlate(o, "in_port=2", "11");
    assert_xlate(o, "in_port=3,dl_vlan=5",
                 "push_vlan(tpid=0x88a8,vid=5,pcp=0),11");
    assert_xlate(o, "in_port=3", "push_vlan(tpid=0x88a8,vid=0,pcp=0),11");
    assert_xlate(o, "in_port=4", "push_vlan(vid=0,pcp=5),11,pop_vlan,12");
    assert_xlate(o, "in_port=4,dl_vlan=3,dl_vlan_pcp=1",
                 "set(vlan(pcp=5)),11,pop_vlan,12");
    assert_xlate(o, "in_port=5", "push_vlan(vid=7,pcp=0),11,pop_vlan,12");
}

/* OXM vlan_vid (ovs-fields(7)): 0 matches untagged packets only,
 * 0x1000/0x1000 any tag, 0x1064 VID 100; set_field:4196->vlan_vid sets
 * VID 100, pushing a tag onto an untagged packet as OVS does. */
static void
test_vlan_oxm(void **state)
{
    struct ofproto *o = *state;

    set_flows(o, "in_port=1,vlan_vid=0,actions=set_field:4196->vlan_vid,"
                 "output:2\n"
                 "in_port=1,vlan_vid=0x1000/0x1000,actions=set_field:4196"
                 "->vlan_vid,set_field:3->vlan_pcp,output:2\n"
                 "in_port=2,vlan_vid=0x1064,actions=strip_vlan,output:1\n");
    assert_xlate(o, "in_port=1", "push_vlan(vid=100,pcp=0),12");
    assert_xlate(o, "in_port=1,dl_vlan=5,dl_vlan_pcp=1",
                 "set(vlan(vid=100)),set(vlan(pcp=3)),12");
    assert_xlate(o, "in_port=2,dl_vlan=100", "pop_vlan,11");
    assert_xlate(o, "in_port=2,dl_vlan=101", "drop");
    assert_xlate(o, "in_port=2", "drop");
}

static void
test_vlan_third_tag_drops(void **state)
{
    struct ofproto *o = *state;

    set_flows(o, "actions=push_vlan:0x8100,push_vlan:0x8100,output:2\n");
    assert_xlate(o, "in_port=1", "push_vlan(vid=0,pcp=0),"
                 "push_vlan(vid=0,pcp=0),12");
    assert_xlate(o, "in_port=1,dl_vlan=4", "drop");
}

/* ---- Pipeline: resubmit, goto_table, metadata, registers -------------- */

static void
test_resubmit_goto(void **state)
{
    struct ofproto *o = *state;
    struct result r;

    set_flows(o, "table=0,in_port=1,actions=load:0x5->NXM_NX_REG0[],"
                 "resubmit(,1),output:3\n"
                 "table=1,reg0=5,actions=output:2\n"
                 "table=0,in_port=2,actions=write_metadata:0x7/0xff,"
                 "goto_table:2\n"
                 "table=2,metadata=0x7/0xff,actions=output:4\n"
                 "table=0,in_port=3,actions=mod_dl_dst:02:00:00:00:00:09,"
                 "resubmit(,3)\n"
                 "table=3,dl_dst=02:00:00:00:00:09,actions=output:5\n"
                 "table=0,in_port=4,actions=resubmit(1,4)\n"
                 "table=4,in_port=1,actions=output:2,in_port\n");
    assert_string_equal(xl(o, "in_port=1", &r), "12,13");
    assert_int_equal(r.refs.n, 2);
    assert_xlate(o, "in_port=2", "14");
    /* The lookup after the rewrite sees the new dl_dst. */
    assert_string_equal(xl(o, "in_port=3,dl_dst=02:00:00:00:00:01", &r),
                        "set(eth(dst=02:00:00:00:00:09)),15");
    /* resubmit(1,4) looks up as if from port 1: its output:2 and
     * in_port then go to ports 2 and 1. */
    assert_xlate(o, "in_port=4", "12,11");
}

static void
test_move_unwildcards_source(void **state)
{
    struct ofproto *o = *state;
    struct result r;

    set_flows(o, "table=0,actions=move:NXM_OF_ETH_SRC[0..7]->NXM_NX_REG1[0..7],"
                 "resubmit(,1)\n"
                 "table=1,reg1=0x22,actions=output:2\n"
                 "table=1,priority=0,actions=output:3\n");
    assert_string_equal(xl(o, "in_port=1,dl_src=02:00:00:00:00:22", &r),
                        "12");
    assert_int_equal(r.wc.masks.dl_src.ea[5], 0xff);
    assert_int_equal(r.wc.masks.dl_src.ea[4], 0);
    assert_true(r.wc.masks.regs[1] == 0);   /* pipeline-only: not in dp */
    assert_xlate(o, "in_port=1,dl_src=02:00:00:00:00:23", "13");
}

static void
test_dec_ttl(void **state)
{
    struct ofproto *o = *state;

    set_flows(o, "actions=dec_ttl,output:2\n");
    assert_xlate(o, "in_port=1,ip,nw_ttl=64", "set(ipv4(ttl=63)),12");
    assert_xlate(o, "in_port=1,ip,nw_ttl=1", "drop");
    assert_xlate(o, "in_port=1,ip,nw_ttl=0", "drop");
    assert_xlate(o, "in_port=1,ipv6,nw_ttl=64", "drop");
    assert_xlate(o, "in_port=1,arp", "12");     /* not IP: untouched */
}

static void
test_loops_bounded(void **state)
{
    struct ofproto *o = *state;
    char text[8192];
    size_t len = 0;

    set_flows(o, "actions=output:2,resubmit(,0)\n");
    assert_xlate(o, "in_port=1", "drop");       /* depth limit: all drop */

    /* 2^40 paths: the resubmit budget ends it. */
    for (int t = 0; t < 40; t++) {
        len += (size_t) snprintf(text + len, sizeof text - len,
                                 "table=%d,actions=resubmit(,%d),"
                                 "resubmit(,%d)\n", t, t + 1, t + 1);
    }
    snprintf(text + len, sizeof text - len, "table=40,actions=output:2\n");
    set_flows(o, text);
    assert_xlate(o, "in_port=1", "drop");
}

/* ---- NORMAL ----------------------------------------------------------- */

#define MAC_A "02:00:00:00:00:0a"
#define MAC_B "02:00:00:00:00:0b"
#define MAC_C "02:00:00:00:00:0c"
#define BCAST "ff:ff:ff:ff:ff:ff"

static void
test_normal_learning(void **state)
{
    struct ofproto *o = *state;
    struct result r;

    /* A new bridge's table is "priority=0,actions=NORMAL". */
    assert_string_equal(xl(o, "in_port=1,dl_src=" MAC_A ",dl_dst=" MAC_B, &r),
                        "12,13,14,15");
    assert_int_equal(n_invalidations, 1);       /* learned A */
    /* Only megaflows for destination A can have changed (normal.c). */
    assert_int_equal(n_dl_dst_invalidations, 1);
    assert_int_equal(last_dl_dst.ea[5], 0x0a);
    assert_true(r.wc.masks.dl_src.ea[0] == 0xff);
    assert_true(r.wc.masks.dl_dst.ea[5] == 0xff);
    assert_xlate(o, "in_port=2,dl_src=" MAC_B ",dl_dst=" MAC_A, "11");
    assert_int_equal(n_invalidations, 2);       /* learned B */
    assert_int_equal(last_dl_dst.ea[5], 0x0b);
    assert_xlate(o, "in_port=1,dl_src=" MAC_A ",dl_dst=" MAC_B, "12");
    assert_int_equal(n_invalidations, 2);       /* nothing new */
    /* A moves to port 3: at once, for destination A only. */
    assert_xlate(o, "in_port=3,dl_src=" MAC_A ",dl_dst=" BCAST, "11,12,14,15");
    assert_int_equal(n_invalidations, 3);
    assert_int_equal(n_dl_dst_invalidations, 3);
    assert_int_equal(last_dl_dst.ea[5], 0x0a);
    assert_xlate(o, "in_port=2,dl_src=" MAC_B ",dl_dst=" MAC_A, "13");
    /* Destination behind the input port: dropped. */
    assert_xlate(o, "in_port=3,dl_src=" MAC_C ",dl_dst=" MAC_A, "drop");
    /* Multicast sources are not learned; link-local multicast is not
     * forwarded. */
    assert_xlate(o, "in_port=4,dl_src=01:00:5e:00:00:01,"
                 "dl_dst=02:00:00:00:00:0d", "11,12,13,15");
    assert_xlate(o, "in_port=5,dl_src=" MAC_C ",dl_dst=01:00:5e:00:00:01",
                 "11,12,13,14");
    assert_xlate(o, "in_port=4,dl_src=" MAC_C ",dl_dst=01:80:c2:00:00:00",
                 "drop");
}

static void
test_normal_aging_and_limit(void **state)
{
    struct ofproto *o = *state;

    assert_int_equal(ofproto_set_mac_limits(o, "br0", 10, 2), 0);
    assert_xlate(o, "in_port=1,dl_src=" MAC_A ",dl_dst=" MAC_B, "12,13,14,15");
    assert_xlate(o, "in_port=5,dl_src=" MAC_C ",dl_dst=" MAC_A, "11");
    fake_now_ms += 11000;                       /* A ages out */
    ofproto_run(o);
    assert_xlate(o, "in_port=5,dl_src=" MAC_C ",dl_dst=" MAC_A, "11,12,13,14");
    /* Size limit 2: learning A, B and C forgets the oldest. */
    assert_xlate(o, "in_port=1,dl_src=" MAC_A ",dl_dst=" BCAST, "12,13,14,15");
    assert_xlate(o, "in_port=2,dl_src=" MAC_B ",dl_dst=" BCAST, "11,13,14,15");
    assert_xlate(o, "in_port=3,dl_src=" MAC_C ",dl_dst=" BCAST, "11,12,14,15");
    assert_xlate(o, "in_port=4,dl_src=02:00:00:00:00:44,dl_dst=" MAC_C, "13");
    assert_xlate(o, "in_port=4,dl_src=02:00:00:00:00:44,dl_dst=" MAC_A,
                 "11,12,13,15");
}

/* A megaflow carrying a learned source names the address's entry among
 * its refs; crediting it (the PMDs do, about twice a second, for every
 * megaflow hit) keeps the address from aging out while its packets are
 * forwarded from the cache without an upcall.  No packets: no refresh. */
static void
test_normal_refresh_by_traffic(void **state)
{
    struct ofproto *o = *state;
    struct result r;

    assert_int_equal(ofproto_set_mac_limits(o, "br0", 10, 0), 0);
    assert_string_equal(xl(o, "in_port=1,dl_src=" MAC_A ",dl_dst=" MAC_B, &r),
                        "12,13,14,15");
    assert_int_equal(r.refs.n, 2);      /* the NORMAL rule, A's entry */
    assert_true(r.refs.ids[1] & OFPROTO_REF_MAC);
    struct upcall_credit c = {.refs = &r.refs, .packets = 10, .bytes = 640};
    fake_now_ms += 8000;
    assert_int_equal(ofproto_credit(o, &c, 1, false), 0);
    fake_now_ms += 8000;                /* 16 s since learned, 8 since seen */
    ofproto_run(o);
    assert_xlate(o, "in_port=5,dl_src=" MAC_C ",dl_dst=" MAC_A, "11");
    fake_now_ms += 3000;                /* 11 s since seen */
    c.packets = c.bytes = 0;
    assert_int_equal(ofproto_credit(o, &c, 1, false), 0);
    ofproto_run(o);
    assert_xlate(o, "in_port=5,dl_src=" MAC_C ",dl_dst=" MAC_A, "11,12,13,14");
    /* Another source: its own entry. */
    uint64_t a_ref = r.refs.ids[1];
    assert_string_equal(xl(o, "in_port=2,dl_src=" MAC_B ",dl_dst=" MAC_C, &r),
                        "15");
    assert_int_equal(r.refs.n, 2);
    assert_true(r.refs.ids[1] & OFPROTO_REF_MAC);
    assert_true(r.refs.ids[1] != a_ref);
}

static void
set_vlan(struct ofproto *o, const char *port, enum ofproto_vlan_mode mode,
         int tag, const uint16_t *trunks, unsigned n_trunks)
{
    struct ofproto_port_vlan v = {.mode = mode, .tag = tag,
                                  .trunks = trunks, .n_trunks = n_trunks};

    assert_int_equal(ofproto_set_port_vlan(o, port, &v), 0);
}

/* p1 access 10, p2 access 20, p3 trunk (all), p4 trunk [10],
 * p5 native-untagged 20 with trunks [10]. */
static void
setup_vlans(struct ofproto *o)
{
    static const uint16_t t10[] = {10};

    set_vlan(o, "p1", OFPROTO_VLAN_ACCESS, 10, NULL, 0);
    set_vlan(o, "p2", OFPROTO_VLAN_ACCESS, 20, NULL, 0);
    set_vlan(o, "p3", OFPROTO_VLAN_TRUNK, -1, NULL, 0);
    set_vlan(o, "p4", OFPROTO_VLAN_TRUNK, -1, t10, 1);
    set_vlan(o, "p5", OFPROTO_VLAN_NATIVE_UNTAGGED, 20, t10, 1);
}

/* Past NORMAL's 100 targeted invalidations a second, a MAC move flushes
 * everything, but at most once per 10 ms (normal.c): a burst of spoofed
 * moves does not flush once per frame, and none is forgotten (the next
 * learning event or ofproto_run() covers those in between). */
static void
test_normal_move_storm(void **state)
{
    struct ofproto *o = *state;
    struct result r;
    char flow[128];
    int i;

    ofproto_fixture_reset_counts();
    for (i = 0; i < 120; i++) {         /* spends the budget; 20 pend */
        snprintf(flow, sizeof flow, "in_port=1,dl_src=02:00:00:00:01:%02x,"
                 "dl_dst=" BCAST, i);
        (void) xl(o, flow, &r);
    }
    assert_int_equal(n_dl_dst_invalidations, 100);
    assert_int_equal(n_invalidations, 100);
    /* A flaps between ports 2 and 3, one move a millisecond for 400 ms:
     * flushed at once, then every 10 ms. */
    for (i = 0; i < 400; i++) {
        fake_now_ms++;
        snprintf(flow, sizeof flow, "in_port=%d,dl_src=" MAC_A ",dl_dst="
                 BCAST, 2 + i % 2);
        (void) xl(o, flow, &r);
    }
    assert_int_equal(n_dl_dst_invalidations, 100);
    assert_int_equal(n_invalidations - n_dl_dst_invalidations, 40);
    /* The moves after the last flush, and the 20 new addresses, are
     * flushed by the periodic run, once. */
    ofproto_run(o);
    assert_int_equal(n_invalidations - n_dl_dst_invalidations, 41);
    ofproto_run(o);
    assert_int_equal(n_invalidations - n_dl_dst_invalidations, 41);
}

/* A full learning table evicts its oldest address, which is not named:
 * that invalidates everything, not one destination. */
static void
test_normal_eviction(void **state)
{
    struct ofproto *o = *state;

    assert_int_equal(ofproto_set_mac_limits(o, "br0", 0, 2), 0);
    ofproto_fixture_reset_counts();
    assert_xlate(o, "in_port=1,dl_src=" MAC_A ",dl_dst=" BCAST, "12,13,14,15");
    assert_xlate(o, "in_port=2,dl_src=" MAC_B ",dl_dst=" BCAST, "11,13,14,15");
    assert_int_equal(n_invalidations, 2);
    assert_int_equal(n_dl_dst_invalidations, 2);
    /* C evicts A: megaflows unicasting to A must flood again. */
    assert_xlate(o, "in_port=3,dl_src=" MAC_C ",dl_dst=" BCAST, "11,12,14,15");
    assert_int_equal(n_invalidations, 3);
    assert_int_equal(n_dl_dst_invalidations, 2);
    assert_xlate(o, "in_port=2,dl_src=" MAC_B ",dl_dst=" MAC_A, "11,13,14,15");
}

static void
test_normal_vlans(void **state)
{
    struct ofproto *o = *state;

    setup_vlans(o);
    /* Untagged on access 10: trunks get it tagged 10, p5 (trunks 10)
     * too; never p2 (VLAN 20). */
    assert_xlate(o, "in_port=1,dl_src=" MAC_A ",dl_dst=" BCAST,
                 "push_vlan(vid=10,pcp=0),13,14,15");
    /* VLAN 20 from the trunk: p2 untagged, p5 untagged (native). */
    assert_xlate(o, "in_port=3,dl_vlan=20,dl_src=" MAC_B ",dl_dst=" BCAST,
                 "pop_vlan,12,15");
    /* Tagged frames on an access port, untrunked VLANs: dropped. */
    assert_xlate(o, "in_port=1,dl_vlan=10,dl_src=" MAC_A ",dl_dst=" BCAST,
                 "drop");
    assert_xlate(o, "in_port=4,dl_vlan=20,dl_src=" MAC_A ",dl_dst=" BCAST,
                 "drop");
    /* Priority-tagged (VID 0) on access: VLAN 10, sent untagged. */
    assert_xlate(o, "in_port=1,dl_vlan=0,dl_vlan_pcp=3,dl_src=" MAC_A
                 ",dl_dst=" MAC_C, "set(vlan(vid=10)),13,14,15");
    /* Isolation: A is known in VLAN 10 only. */
    assert_xlate(o, "in_port=3,dl_vlan=10,dl_src=" MAC_C ",dl_dst=" MAC_A,
                 "pop_vlan,11");
    assert_xlate(o, "in_port=2,dl_src=" MAC_C ",dl_dst=" MAC_A,
                 "15,push_vlan(vid=20,pcp=0),13");
    /* Native-untagged: untagged in is VLAN 20. */
    assert_xlate(o, "in_port=5,dl_src=02:00:00:00:00:55,dl_dst=" MAC_B,
                 "push_vlan(vid=20,pcp=0),13");
    /* A port with invalid settings carries nothing (fails closed): its
     * frames are dropped, floods skip it. */
    set_vlan(o, "p3", OFPROTO_VLAN_DISABLED, -1, NULL, 0);
    assert_xlate(o, "in_port=3,dl_vlan=10,dl_src=" MAC_C ",dl_dst=" BCAST,
                 "drop");
    assert_xlate(o, "in_port=3,dl_src=" MAC_C ",dl_dst=" BCAST, "drop");
    assert_xlate(o, "in_port=1,dl_src=" MAC_A ",dl_dst=" BCAST,
                 "push_vlan(vid=10,pcp=0),14,15");
}

static void
test_normal_after_actions(void **state)
{
    struct ofproto *o = *state;

    /* NORMAL sees the modified packet; outputs before it keep theirs. */
    set_flows(o, "in_port=1,actions=mod_dl_dst:" MAC_B ",output:5,normal\n"
                 "in_port=2,actions=normal\n");
    assert_xlate(o, "in_port=2,dl_src=" MAC_B ",dl_dst=" BCAST,
                 "11,13,14,15");
    assert_xlate(o, "in_port=1,dl_src=" MAC_A ",dl_dst=" MAC_C,
                 "set(eth(dst=02:00:00:00:00:0b)),15,12");
}

/* ---- trace ------------------------------------------------------------ */

static void
assert_contains(const char *report, const char *what)
{
    if (!strstr(report, what)) {
        fail_msg("\"%s\" not in the report:\n%s", what, report);
    }
}

static uint64_t table0_lookups;

static void
table_visit(void *aux, const struct ofproto_table_info *t)
{
    (void) aux;
    if (t->table_id == 0) {
        table0_lookups = t->n_lookups;
    }
}

static void
mac_count(void *aux, const uint8_t mac[6], uint16_t vlan, uint32_t ofport,
          uint64_t age)
{
    (void) mac, (void) vlan, (void) ofport, (void) age;
    (*(unsigned *) aux)++;
}

static void
test_trace(void **state)
{
    struct ofproto *o = *state;
    char err[256], *report;
    unsigned n_macs = 0;

    set_flows(o, "table=0,priority=100,cookie=0x5,in_port=1,tcp,"
                 "actions=mod_tp_dst:8080,resubmit(,1)\n"
                 "table=1,tcp,tp_dst=8080,actions=output:p2,normal\n");
    assert_int_equal(ofproto_trace(o, "br0", "in_port=p1,tcp,tp_dst=80,"
                                   "dl_src=" MAC_A ",dl_dst=" BCAST, &report,
                                   err, sizeof err), 0);
    assert_contains(report, "Flow: ");
    assert_contains(report, " 0. tcp,in_port=1, priority 100, cookie 0x5");
    assert_contains(report, "set_field:8080->tp_dst");
    assert_contains(report, " 1. tcp,tp_dst=8080, priority 32768");
    assert_contains(report, "-> output to port 2 (dp 12)");
    assert_contains(report, "-> NORMAL: flooding VLAN 0");
    assert_contains(report, "would learn");
    assert_contains(report, "Final flow: ");
    assert_contains(report, "Megaflow: ");
    assert_contains(report, "Datapath actions: set(tcp(dst=8080)),12,13,14,"
                    "15");
    free(report);

    /* No state changed: no learning, no table counters. */
    assert_int_equal(ofproto_for_each_mac(o, "br0", mac_count, &n_macs), 0);
    assert_int_equal(n_macs, 0);
    assert_int_equal(ofproto_dump_tables(o, "br0", table_visit, NULL), 0);
    assert_int_equal(table0_lookups, 0);

    assert_int_equal(ofproto_trace(o, "br0", "in_port=2,udp", &report, err,
                                   sizeof err), 0);
    assert_contains(report, "no match: drop");
    assert_contains(report, "Datapath actions: drop");
    free(report);

    assert_int_equal(ofproto_trace(o, "br0", "in_port=9", &report, err,
                                   sizeof err), -EINVAL);
    assert_null(report);
    assert_int_equal(ofproto_trace(o, "br0", "tcp", &report, err, sizeof err),
                     -EINVAL);
    assert_int_equal(ofproto_trace(o, "br0", "in_port=1,bogus=1", &report,
                                   err, sizeof err), -EINVAL);
    assert_int_equal(ofproto_trace(o, "br0", "in_port=1,table=3", &report,
                                   err, sizeof err), -EINVAL);
    assert_int_equal(ofproto_trace(o, "nobr", "in_port=1", &report, err,
                                   sizeof err), -ENOENT);
}

static void
test_counters_and_refs(void **state)
{
    struct ofproto *o = *state;
    struct result r;

    set_flows(o, "table=0,actions=resubmit(,1),resubmit(,1),goto_table:2\n"
                 "table=1,actions=output:2\n"
                 "table=2,actions=output:3\n");
    assert_string_equal(xl(o, "in_port=1", &r), "12,13");
    assert_int_equal(r.refs.n, 3);              /* each rule once */
    assert_int_equal(ofproto_dump_tables(o, "br0", table_visit, NULL), 0);
    assert_int_equal(table0_lookups, 1);
}

/* ---- The megaflow property -------------------------------------------- */

static uint32_t rng_state = 12345;

static uint32_t
rnd(uint32_t n)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) % n;
}

static const char *
pick(const char *const *list, size_t n)
{
    return list[rnd((uint32_t) n)];
}

#define PICK(LIST) pick(LIST, sizeof LIST / sizeof LIST[0])

static const char *const match_words[] = {
    "in_port=1", "in_port=2", "in_port=3", "dl_src=" MAC_A,
    "dl_dst=" MAC_B, "dl_dst=" BCAST, "dl_vlan=10", "dl_vlan=20",
    "vlan_tci=0", "vlan_tci=0x1000/0x1000", "reg0=1", "reg0=0x2/0x2",
    "metadata=0x1", "dl_dst=02:00:00:00:00:00/01:00:00:00:00:00",
};
static const char *const proto_words[] = {
    "", "", "ip", "tcp", "udp", "arp", "tcp,tp_dst=80", "udp,tp_src=53",
    "ip,nw_src=10.0.0.0/24", "ip,nw_dst=10.0.0.2", "tcp,nw_ttl=1",
    "ipv6", "tcp6", "tcp,tp_dst=0x50/0xf0",
};
static const char *const action_words[] = {
    "output:1", "output:2", "output:3", "output:4", "in_port", "normal",
    "flood", "all", "mod_dl_src:" MAC_C, "mod_dl_dst:" MAC_A,
    "mod_vlan_vid:10", "mod_vlan_vid:20", "mod_vlan_pcp:3", "strip_vlan",
    "push_vlan:0x8100", "dec_ttl", "load:0x1->NXM_NX_REG0[]",
    "load:0x2->NXM_NX_REG0[0..1]", "write_metadata:0x1/0x1",
    "move:NXM_OF_ETH_SRC[0..3]->NXM_NX_REG0[0..3]",
    "move:NXM_NX_REG0[0..11]->OXM_OF_VLAN_VID[]",
    "set_field:10.0.0.1->nw_src", "set_field:80->tp_dst",
    "mod_nw_tos:16", "resubmit(,1)", "resubmit(,2)", "resubmit(2,0)",
    "resubmit(,3)", "set_field:0x1005->vlan_tci",
};

static void
random_flow(char *buf, size_t size, int table)
{
    size_t len = (size_t) snprintf(buf, size, "table=%d,priority=%u", table,
                                   rnd(4) * 10);
    const char *proto = PICK(proto_words);
    unsigned n_match = rnd(3), n_act = 1 + rnd(4);

    if (*proto) {
        len += (size_t) snprintf(buf + len, size - len, ",%s", proto);
    }
    for (unsigned i = 0; i < n_match; i++) {
        len += (size_t) snprintf(buf + len, size - len, ",%s",
                                 PICK(match_words));
    }
    len += (size_t) snprintf(buf + len, size - len, ",actions=");
    for (unsigned i = 0; i < n_act; i++) {
        len += (size_t) snprintf(buf + len, size - len, "%s%s", i ? "," : "",
                                 PICK(action_words));
    }
    if (table < 3 && rnd(4) == 0) {
        snprintf(buf + len, size - len, ",goto_table:%u", table + 1 + rnd(1));
    }
}

/* Adds random flows one by one; those the parser or ofproto refuse (a
 * duplicate word, a prerequisite the match lacks...) are skipped. */
static unsigned
random_tables(struct ofproto *o, unsigned n)
{
    unsigned added = 0;

    set_flows(o, "table=0,priority=0,actions=normal\n");
    for (unsigned i = 0; i < n; i++) {
        struct ofp_flow_mod fm;
        char text[1024], err[256];

        random_flow(text, sizeof text, (int) rnd(4));
        if (ofp_flow_mod_parse(text, OFP_PARSE_ADD, NULL, NULL, &fm, err,
                               sizeof err)
            || ofproto_flow_mods(o, "br0", OFPROTO_FM_ADD, &fm, 1, err,
                                 sizeof err)) {
            continue;
        }
        added++;
    }
    return added;
}

static void
random_mac(struct flow_eth_addr *m)
{
    static const uint8_t macs[][6] = {
        {2, 0, 0, 0, 0, 0x0a}, {2, 0, 0, 0, 0, 0x0b}, {2, 0, 0, 0, 0, 0x0c},
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, {1, 0, 0x5e, 0, 0, 1},
        {2, 0, 0, 0, 0, 0x1b},
    };
    memcpy(m->ea, macs[rnd(6)], 6);
}

static void
random_packet(struct flow *f)
{
    static const uint16_t types[] = {0x0800, 0x0800, 0x0806, 0x86dd, 0x88cc};
    static const uint8_t protos[] = {6, 17, 1, 132};

    memset(f, 0, sizeof *f);
    f->in_port = DP_BASE + 1 + rnd(N_PORTS);
    random_mac(&f->dl_src);
    random_mac(&f->dl_dst);
    unsigned n_tags = rnd(3);

    for (unsigned i = 0; i < n_tags; i++) {
        f->vlans[i].tpid = htons(rnd(4) ? 0x8100 : 0x88a8);
        f->vlans[i].tci = htons((uint16_t) ((rnd(3) * 10) | (rnd(2) << 13)
                                            | (rnd(4) ? 0 : 0x1000)));
    }
    f->dl_type = htons(types[rnd(5)]);
    if (f->dl_type == htons(0x0800) || f->dl_type == htons(0x86dd)) {
        f->nw_proto = protos[rnd(4)];
        f->nw_ttl = (uint8_t) (rnd(3) ? 64 : rnd(3));
        f->nw_tos = (uint8_t) (rnd(3) << 5 | rnd(4));
        f->tp_src = htons((uint16_t) (53 + rnd(2)));
        f->tp_dst = htons((uint16_t) (80 + rnd(3) * 8));
        f->ipv6_src.s6[15] = (uint8_t) rnd(3);
    }
    f->nw_src = htonl(0x0a000000u | rnd(3));
    f->nw_dst = htonl(0x0a000000u | (rnd(3) << 8) | rnd(3));
}

/* q = p under the mask, q's own bits elsewhere. */
static void
agree_under_mask(const struct flow *p, const struct flow_wc *wc,
                 struct flow *q)
{
    const flow_u64 *pw = flow_u64s(p), *mw = flow_u64s(&wc->masks);
    flow_u64 *qw = flow_u64s_rw(q);

    for (size_t i = 0; i < FLOW_U64S; i++) {
        qw[i] = (qw[i] & ~mw[i]) | (pw[i] & mw[i]);
    }
}

/* How many P's were forwarded, and with modifications: the property must
 * not hold vacuously (everything dropped). */
static unsigned n_forwarded, n_modified;

static void
check_megaflow(struct ofproto *o, const struct flow *p)
{
    struct result first, r;
    char fp[FLOW_FORMAT_SIZE], fq[FLOW_FORMAT_SIZE];

    translate_flow(o, p, &first);   /* learning settles */
    translate_flow(o, p, &first);
    n_forwarded += strcmp(first.actions, "drop") != 0;
    n_modified += strchr(first.actions, '(') != NULL;
    for (int k = 0; k < 24; k++) {
        struct flow q;

        random_packet(&q);
        agree_under_mask(p, &first.wc, &q);
        translate_flow(o, &q, &r);
        if (strcmp(r.actions, first.actions)) {
            fail_msg("P %s -> %s\nQ %s -> %s", flow_format(p, fp, sizeof fp),
                     first.actions, flow_format(&q, fq, sizeof fq),
                     r.actions);
        }
    }
}

static void
test_megaflow_property(void **state)
{
    struct ofproto *o = *state;
    unsigned total = 0;

    /* RSW_TEST_SEED=N explores other tables and packets. */
    if (getenv("RSW_TEST_SEED")) {
        rng_state = (uint32_t) strtoul(getenv("RSW_TEST_SEED"), NULL, 0);
    }
    setup_vlans(o);
    for (int round = 0; round < 60; round++) {
        total += random_tables(o, 40);
        for (int i = 0; i < 40; i++) {
            struct flow p;

            random_packet(&p);
            check_megaflow(o, &p);
        }
    }
    assert_true(total > 60 * 10);   /* the generator makes usable flows */
    print_message("%u flows, %u of %u packets forwarded, %u modified\n",
                  total, n_forwarded, 60 * 40, n_modified);
    assert_true(n_forwarded > 60 * 40 / 4);
    assert_true(n_modified > 60 * 40 / 20);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserved_ports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_field_tcp6_drops, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_vlan_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vlan_oxm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vlan_third_tag_drops, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_resubmit_goto, setup, teardown),
        cmocka_unit_test_setup_teardown(test_move_unwildcards_source, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dec_ttl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loops_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normal_move_storm, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_normal_eviction, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_normal_learning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normal_aging_and_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_normal_vlans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normal_after_actions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_trace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normal_refresh_by_traffic,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_counters_and_refs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_megaflow_property, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
