/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the OpenFlow field table (ofproto/ofp_field*.c) and
 * ofp_match_set/ofp_match_format (ofproto/ofp_match_format.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "ofproto/ofp_field.h"
#include "ofproto/ofp_match.h"

static const struct ofp_field *
F(enum ofp_field_id id)
{
    return ofp_field_by_id(id);
}

static union ofp_value
U(uint64_t x)
{
    union ofp_value v;

    ofp_value_from_u64(&v, x);
    return v;
}

static uint64_t
get_u64(enum ofp_field_id id, const struct flow *flow)
{
    union ofp_value v;

    ofp_field_get(F(id), flow, &v);
    return ofp_value_to_u64(&v);
}

static void
set_u64(enum ofp_field_id id, struct flow *flow, uint64_t x)
{
    union ofp_value v = U(x);

    ofp_field_set(F(id), flow, &v, NULL);
}

static void
test_table_complete(void **state)
{
    (void) state;
    for (int id = 0; id < OFPF_N_FIELDS; id++) {
        const struct ofp_field *f = ofp_field_by_id((enum ofp_field_id) id);
        assert_non_null(f);
        assert_int_equal(f->id, id);
        assert_non_null(f->name);
        assert_ptr_equal(ofp_field_by_name(f->name), f);
        if (f->oxm_name) {
            assert_ptr_equal(ofp_field_by_name(f->oxm_name), f);
        }
        assert_true(f->flow_ofs + f->flow_bytes <= sizeof(struct flow));
        assert_true(f->shift + f->n_bits <= f->flow_bytes * 8u);
        assert_true(ofp_field_n_bytes(f) <= 16);
    }
    assert_null(ofp_field_by_id(OFPF_N_FIELDS));
}

static void
test_names(void **state)
{
    static const struct { const char *name; enum ofp_field_id id; } n[] = {
        { "nw_src", OFPF_NW_SRC }, { "ip_src", OFPF_NW_SRC },
        { "dl_src", OFPF_DL_SRC }, { "eth_src", OFPF_DL_SRC },
        { "eth_dst", OFPF_DL_DST }, { "eth_type", OFPF_DL_TYPE },
        { "tcp_src", OFPF_TP_SRC }, { "tcp_dst", OFPF_TP_DST },
        { "udp_src", OFPF_TP_SRC }, { "sctp_dst", OFPF_TP_DST },
        { "ip_proto", OFPF_NW_PROTO }, { "nw_frag", OFPF_IP_FRAG },
        { "vlan_vid", OFPF_VLAN_VID }, { "dl_vlan", OFPF_DL_VLAN }, { "vlan_pcp", OFPF_DL_VLAN_PCP },
        { "icmpv4_type", OFPF_ICMP_TYPE }, { "reg5", OFPF_REG5 },
        { "NXM_OF_IN_PORT", OFPF_IN_PORT }, { "NXM_OF_ETH_SRC", OFPF_DL_SRC },
        { "NXM_OF_ETH_DST", OFPF_DL_DST }, { "NXM_OF_ETH_TYPE", OFPF_DL_TYPE },
        { "NXM_OF_VLAN_TCI", OFPF_VLAN_TCI }, { "NXM_OF_IP_SRC", OFPF_NW_SRC },
        { "NXM_OF_IP_DST", OFPF_NW_DST }, { "NXM_OF_IP_PROTO", OFPF_NW_PROTO },
        { "NXM_OF_IP_TOS", OFPF_NW_TOS }, { "NXM_NX_IP_TTL", OFPF_NW_TTL },
        { "NXM_OF_TCP_SRC", OFPF_TP_SRC }, { "NXM_OF_UDP_DST", OFPF_TP_DST },
        { "NXM_NX_REG0", OFPF_REG0 }, { "NXM_NX_REG7", OFPF_REG7 },
        { "OXM_OF_METADATA", OFPF_METADATA }, { "NXM_OF_ARP_OP", OFPF_ARP_OP },
        { "NXM_OF_ARP_SPA", OFPF_ARP_SPA }, { "NXM_OF_ARP_TPA", OFPF_ARP_TPA },
        { "NXM_NX_ARP_SHA", OFPF_ARP_SHA }, { "NXM_OF_IP_SRC[]", OFPF_NW_SRC },
    };

    (void) state;
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
        const struct ofp_field *f = ofp_field_by_name(n[i].name);
        assert_non_null(f);
        assert_int_equal(f->id, n[i].id);
    }
    assert_null(ofp_field_by_name("nw_srcx"));
    assert_null(ofp_field_by_name("NW_SRC"));
    assert_null(ofp_field_by_name(""));
    assert_null(ofp_field_by_name("[]"));
    assert_ptr_equal(ofp_field_by_name_len("nw_src=1", 6), F(OFPF_NW_SRC));
    assert_string_equal(ofp_field_nxm_name(F(OFPF_REG3)), "NXM_NX_REG3");
    assert_string_equal(ofp_field_nxm_name(F(OFPF_IN_PORT)), "NXM_OF_IN_PORT");
    assert_string_equal(ofp_field_nxm_name(F(OFPF_METADATA)),
                        "OXM_OF_METADATA");
    /* Every NXM name maps back to its field. */
    for (int id = 0; id < OFPF_N_FIELDS; id++) {
        const char *nxm = ofp_field_nxm_name(F((enum ofp_field_id) id));
        if (nxm) {
            assert_int_equal(ofp_field_by_name(nxm)->id, id);
        }
    }
}

static void
test_host_order_fields(void **state)
{
    struct flow flow;

    (void) state;
    memset(&flow, 0, sizeof flow);
    set_u64(OFPF_IN_PORT, &flow, 5);
    assert_int_equal(flow.in_port, 5);
    set_u64(OFPF_REG2, &flow, 0x01020304);
    assert_int_equal(flow.regs[2], 0x01020304);
    set_u64(OFPF_METADATA, &flow, 0x1122334455667788ull);
    assert_true(flow.metadata == 0x1122334455667788ull);
    assert_true(get_u64(OFPF_METADATA, &flow) == 0x1122334455667788ull);
    assert_int_equal(get_u64(OFPF_REG2, &flow), 0x01020304);

    /* Value bytes are network order, right-aligned. */
    union ofp_value v;
    ofp_field_get(F(OFPF_IN_PORT), &flow, &v);
    assert_int_equal(v.u8[14], 0);
    assert_int_equal(v.u8[15], 5);
    ofp_field_get(F(OFPF_REG2), &flow, &v);
    assert_int_equal(v.be32[3], htonl(0x01020304));
}

static void
test_sub_byte_fields(void **state)
{
    struct flow flow;
    union ofp_value v, m;

    (void) state;
    memset(&flow, 0, sizeof flow);
    flow.vlans[0].tci = htons(0x1000);
    set_u64(OFPF_DL_VLAN, &flow, 0x123);
    set_u64(OFPF_DL_VLAN_PCP, &flow, 5);
    assert_int_equal(ntohs(flow.vlans[0].tci), 0xb123);
    assert_int_equal(get_u64(OFPF_DL_VLAN, &flow), 0x123);
    assert_int_equal(get_u64(OFPF_DL_VLAN_PCP, &flow), 5);
    set_u64(OFPF_DL_VLAN, &flow, 0xfff5);          /* extra bits ignored */
    assert_int_equal(ntohs(flow.vlans[0].tci), 0xbff5);

    flow.nw_tos = 0x03;
    set_u64(OFPF_IP_DSCP, &flow, 10);
    assert_int_equal(flow.nw_tos, (10 << 2) | 3);
    assert_int_equal(get_u64(OFPF_NW_TOS, &flow), 40);
    set_u64(OFPF_NW_TOS, &flow, 0xff);           /* ECN untouched */
    assert_int_equal(flow.nw_tos, 0xff);
    set_u64(OFPF_NW_ECN, &flow, 1);
    assert_int_equal(flow.nw_tos, 0xfd);
    assert_int_equal(get_u64(OFPF_NW_ECN, &flow), 1);

    set_u64(OFPF_ICMP_TYPE, &flow, 3);
    set_u64(OFPF_ICMP_CODE, &flow, 4);
    assert_int_equal(flow.tp_src, htons(3));
    assert_int_equal(flow.tp_dst, htons(4));
    set_u64(OFPF_IPV6_LABEL, &flow, 0xfffffff);
    assert_int_equal(flow.ipv6_label, htonl(0xfffff));

    /* A masked set changes only the mask's bits. */
    flow.tp_dst = htons(0x1234);
    v = U(0xabcd);
    m = U(0x00f0);
    ofp_field_set(F(OFPF_TP_DST), &flow, &v, &m);
    assert_int_equal(ntohs(flow.tp_dst), 0x12c4);

    /* 128-bit fields, bytewise. */
    memset(&v, 0xaa, sizeof v);
    memset(&m, 0, sizeof m);
    m.u8[15] = 0x0f;
    ofp_field_set(F(OFPF_IPV6_SRC), &flow, &v, &m);
    assert_int_equal(flow.ipv6_src.s6[15], 0x0a);
    assert_int_equal(flow.ipv6_src.s6[0], 0);
}

static void
test_wildcards(void **state)
{
    struct flow_wc wc;
    union ofp_value m = U(0xff00);

    (void) state;
    memset(&wc, 0, sizeof wc);
    assert_true(ofp_field_is_wild(F(OFPF_TP_SRC), &wc));
    ofp_field_unwildcard(F(OFPF_TP_SRC), &wc, &m);
    assert_false(ofp_field_is_wild(F(OFPF_TP_SRC), &wc));
    assert_false(ofp_field_is_exact(F(OFPF_TP_SRC), &wc));
    ofp_field_unwildcard(F(OFPF_TP_SRC), &wc, NULL);
    assert_true(ofp_field_is_exact(F(OFPF_TP_SRC), &wc));

    ofp_field_unwildcard(F(OFPF_DL_VLAN_PCP), &wc, NULL);
    assert_int_equal(ntohs(wc.masks.vlans[0].tci), 0xe000);
    assert_true(ofp_field_is_exact(F(OFPF_DL_VLAN_PCP), &wc));
    assert_true(ofp_field_is_wild(F(OFPF_DL_VLAN), &wc));
    assert_false(ofp_field_is_exact(F(OFPF_VLAN_TCI), &wc));

    ofp_field_unwildcard(F(OFPF_NW_TOS), &wc, NULL);
    assert_int_equal(wc.masks.nw_tos, 0xfc);
    assert_true(ofp_field_is_exact(F(OFPF_IP_DSCP), &wc));
    assert_true(ofp_field_is_wild(F(OFPF_NW_ECN), &wc));
    ofp_field_unwildcard(F(OFPF_IN_PORT), &wc, NULL);
    assert_int_equal(wc.masks.in_port, 0xffff);
}

struct text_case {
    enum ofp_field_id id;
    const char *in, *out;       /* out NULL: same as in */
};

static const struct text_case text_cases[] = {
    { OFPF_TP_DST, "80", NULL },
    { OFPF_TP_DST, "0x50", "80" },
    { OFPF_TP_DST, "0x50/0xfff0", NULL },
    { OFPF_TP_DST, "80/0xffff", "80" },
    { OFPF_DL_TYPE, "0x800", "0x0800" },
    { OFPF_DL_TYPE, "2048", "0x0800" },
    { OFPF_VLAN_TCI, "0x1000/0x1000", NULL },
    { OFPF_METADATA, "0x7/0xf", NULL },
    { OFPF_METADATA, "18446744073709551615", "0xffffffffffffffff" },
    { OFPF_REG0, "5", "0x5" },
    { OFPF_DL_SRC, "00:11:22:33:44:55", NULL },
    { OFPF_DL_SRC, "0:1:2:3:4:A", "00:01:02:03:04:0a" },
    { OFPF_DL_DST, "01:00:00:00:00:00/01:00:00:00:00:00", NULL },
    { OFPF_DL_DST, "01:00:00:00:00:00/ff:ff:ff:ff:ff:ff",
      "01:00:00:00:00:00" },
    { OFPF_NW_SRC, "10.0.0.1", NULL },
    { OFPF_NW_SRC, "10.0.0.0/8", NULL },
    { OFPF_NW_SRC, "10.0.0.0/255.0.0.0", "10.0.0.0/8" },
    { OFPF_NW_SRC, "1.0.3.0/255.0.255.0", NULL },
    { OFPF_NW_SRC, "10.0.0.1/32", "10.0.0.1" },
    { OFPF_NW_SRC, "0.0.0.0/0", NULL },
    { OFPF_IPV6_SRC, "2001:db8::1", NULL },
    { OFPF_IPV6_SRC, "2001:db8::/32", NULL },
    { OFPF_IPV6_SRC, "2001:db8::/ffff:ffff::", "2001:db8::/32" },
    { OFPF_IPV6_SRC, "::1/::ffff", NULL },
    { OFPF_IPV6_LABEL, "0x12345", NULL },
    { OFPF_IN_PORT, "1", NULL },
    { OFPF_IN_PORT, "LOCAL", NULL },
    { OFPF_IN_PORT, "local", "LOCAL" },
    { OFPF_IN_PORT, "65534", "LOCAL" },
    { OFPF_IN_PORT, "65280", NULL },
    { OFPF_IP_FRAG, "no", NULL },
    { OFPF_IP_FRAG, "yes", NULL },
    { OFPF_IP_FRAG, "first", NULL },
    { OFPF_IP_FRAG, "later", NULL },
    { OFPF_IP_FRAG, "not_later", NULL },
    { OFPF_IP_FRAG, "0x2/0x2", NULL },
    { OFPF_TCP_FLAGS, "+syn-ack", NULL },
    { OFPF_TCP_FLAGS, "-ack+syn", "+syn-ack" },
    { OFPF_TCP_FLAGS, "+fin+syn+rst+psh+ack+urg+ece+cwr+ns", NULL },
    { OFPF_TCP_FLAGS, "0x012", NULL },
    { OFPF_TCP_FLAGS, "0x012/0x0fff", "0x012" },
    { OFPF_TCP_FLAGS, "0x002/0x0002", "+syn" },
    { OFPF_TCP_FLAGS, "0x200/0x200", "0x200/0x200" },
    { OFPF_NW_TOS, "5", "4" },
    { OFPF_NW_TOS, "252", NULL },
    { OFPF_IP_DSCP, "63", NULL },
    { OFPF_NW_ECN, "3", NULL },
    { OFPF_DL_VLAN_PCP, "7", NULL },
    { OFPF_ICMP_TYPE, "255", NULL },
    { OFPF_ARP_OP, "2", NULL },
};

static void
test_value_text(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof text_cases / sizeof text_cases[0]; i++) {
        const struct text_case *c = &text_cases[i];
        const struct ofp_field *f = F(c->id);
        union ofp_value v, m, v2, m2;
        char err[128] = "", buf[OFP_FIELD_FORMAT_SIZE];

        if (ofp_field_parse(f, c->in, &v, &m, err, sizeof err)) {
            fail_msg("%s=%s: %s", f->name, c->in, err);
        }
        ofp_field_format(f, &v, &m, buf, sizeof buf);
        if (strcmp(buf, c->out ? c->out : c->in)) {
            fail_msg("%s=%s formats as %s", f->name, c->in, buf);
        }
        assert_int_equal(ofp_field_parse(f, buf, &v2, &m2, err, sizeof err),
                         0);
        for (unsigned b = 0; b < 16; b++) {
            assert_int_equal(v.u8[b] & m.u8[b], v2.u8[b] & m2.u8[b]);
            assert_int_equal(m.u8[b], m2.u8[b]);
        }
    }
}

struct bad_case {
    enum ofp_field_id id;
    const char *in, *needle;
};

static const struct bad_case bad_cases[] = {
    { OFPF_NW_SRC, "10.0.0.300", "10.0.0.300" },
    { OFPF_NW_SRC, "10.0.0.1/33", "33" },
    { OFPF_NW_SRC, "10.0.0.1/", "nw_src" },
    { OFPF_NW_SRC, "", "nw_src" },
    { OFPF_NW_SRC, "10.0.0", "10.0.0" },
    { OFPF_NW_SRC, "10.0.0.1/255.0.0.256", "255.0.0.256" },
    { OFPF_IPV6_SRC, "2001:db8::g", "2001:db8::g" },
    { OFPF_IPV6_SRC, "::/129", "129" },
    { OFPF_DL_SRC, "00:11:22:33:44", "00:11:22:33:44" },
    { OFPF_DL_SRC, "00:11:22:33:44:55:66", "00:11:22:33:44:55:66" },
    { OFPF_DL_SRC, "00:11:22:33:44:555", "00:11:22:33:44:555" },
    { OFPF_DL_SRC, "00-11-22-33-44-55", "00-11-22-33-44-55" },
    { OFPF_DL_SRC, "00:11:22:33:44:55/zz", "zz" },
    { OFPF_TP_DST, "65536", "65536" },
    { OFPF_TP_DST, "-1", "-1" },
    { OFPF_TP_DST, "8o", "8o" },
    { OFPF_TP_DST, "0x", "0x" },
    { OFPF_TP_DST, " 80", " 80" },
    { OFPF_TP_DST, "80/0x10000", "0x10000" },
    { OFPF_NW_PROTO, "6/0xff", "mask" },
    { OFPF_NW_PROTO, "256", "256" },
    { OFPF_DL_VLAN_PCP, "8", "8" },
    { OFPF_IP_DSCP, "64", "64" },
    { OFPF_METADATA, "0x1ffffffffffffffff", "0x1ffffffffffffffff" },
    { OFPF_IN_PORT, "vm1", "vm1" },
    { OFPF_IN_PORT, "65536", "65536" },
    { OFPF_IP_FRAG, "maybe", "maybe" },
    { OFPF_TCP_FLAGS, "+syn-bogus", "+syn-bogus" },
    { OFPF_TCP_FLAGS, "+syn+syn", "+syn+syn" },
    { OFPF_TCP_FLAGS, "+", "+" },
    { OFPF_TCP_FLAGS, "0x1000", "0x1000" },
    { OFPF_IPV6_LABEL, "0x100000", "0x100000" },
};

static void
test_value_errors(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        union ofp_value v, m;
        char err[160] = "";

        if (!ofp_field_parse(F(c->id), c->in, &v, &m, err, sizeof err)) {
            fail_msg("%s=%s accepted", F(c->id)->name, c->in);
        }
        if (!strstr(err, c->needle) || !strstr(err, F(c->id)->name)) {
            fail_msg("%s=%s: message \"%s\" lacks \"%s\"", F(c->id)->name,
                     c->in, err, c->needle);
        }
    }
}

static void
test_flow_from_dp(void **state)
{
    struct flow dp, of;
    struct flow_wc ofwc, dpwc;

    (void) state;
    memset(&dp, 0, sizeof dp);
    dp.vlans[0].tpid = htons(0x8100);
    dp.vlans[0].tci = htons(0x2005);         /* PCP 1, VID 5, DEI 0 */
    ofp_flow_from_dp(&dp, &of);
    assert_int_equal(ntohs(of.vlans[0].tci), 0x3005);
    dp.vlans[0].tci = htons(0x3005);         /* DEI set: same view */
    ofp_flow_from_dp(&dp, &of);
    assert_int_equal(ntohs(of.vlans[0].tci), 0x3005);
    dp.vlans[0].tpid = 0;
    dp.vlans[0].tci = 0;
    ofp_flow_from_dp(&dp, &of);
    assert_int_equal(of.vlans[0].tci, 0);

    memset(&ofwc, 0, sizeof ofwc);
    memset(&dpwc, 0, sizeof dpwc);
    ofwc.masks.vlans[0].tci = htons(0x1fff);
    ofwc.masks.nw_src = htonl(0xff000000);
    ofp_wc_to_dp(&ofwc, &dpwc);
    assert_int_equal(dpwc.masks.vlans[0].tpid, 0xffff);
    assert_int_equal(ntohs(dpwc.masks.vlans[0].tci), 0x0fff);
    assert_int_equal(dpwc.masks.nw_src, htonl(0xff000000));

    /* No VLAN bits: TPID stays wild. */
    memset(&ofwc, 0, sizeof ofwc);
    memset(&dpwc, 0, sizeof dpwc);
    ofwc.masks.tp_dst = 0xffff;
    ofp_wc_to_dp(&ofwc, &dpwc);
    assert_int_equal(dpwc.masks.vlans[0].tpid, 0);
    assert_int_equal(dpwc.masks.tp_dst, 0xffff);
}

static void
test_prereqs(void **state)
{
    struct flow flow;
    struct flow_wc wc;

    (void) state;
    memset(&flow, 0, sizeof flow);
    memset(&wc, 0, sizeof wc);
    flow.dl_type = htons(0x0800);
    flow.nw_proto = 6;
    /* A match that leaves dl_type wild does not state the prerequisite. */
    assert_false(ofp_field_prereqs_ok(F(OFPF_TP_DST), &flow, &wc));
    wc.masks.dl_type = 0xffff;
    assert_false(ofp_field_prereqs_ok(F(OFPF_TP_DST), &flow, &wc));
    assert_true(ofp_field_prereqs_ok(F(OFPF_NW_SRC), &flow, &wc));
    wc.masks.nw_proto = 0xff;
    assert_true(ofp_field_prereqs_ok(F(OFPF_TP_DST), &flow, &wc));
    assert_true(ofp_field_prereqs_ok(F(OFPF_TCP_FLAGS), &flow, &wc));
    assert_false(ofp_field_prereqs_ok(F(OFPF_ICMP_TYPE), &flow, &wc));
    assert_false(ofp_field_prereqs_ok(F(OFPF_IPV6_SRC), &flow, &wc));
    assert_false(ofp_field_prereqs_ok(F(OFPF_ARP_OP), &flow, &wc));
    assert_true(ofp_field_prereqs_ok(F(OFPF_DL_SRC), &flow, &wc));
    assert_false(ofp_field_prereqs_ok(F(OFPF_DL_VLAN), &flow, &wc));

    /* Per packet, recording what was looked at. */
    memset(&wc, 0, sizeof wc);
    flow.nw_proto = 17;
    assert_true(ofp_field_prereqs_hold(F(OFPF_TP_DST), &flow, &wc));
    assert_int_equal(wc.masks.dl_type, 0xffff);
    assert_int_equal(wc.masks.nw_proto, 0xff);
    assert_false(ofp_field_prereqs_hold(F(OFPF_TCP_FLAGS), &flow, NULL));
    memset(&wc, 0, sizeof wc);
    assert_false(ofp_field_prereqs_hold(F(OFPF_DL_VLAN), &flow, &wc));
    assert_int_equal(ntohs(wc.masks.vlans[0].tci), 0x1000);
    flow.vlans[0].tci = htons(0x1005);
    assert_true(ofp_field_prereqs_hold(F(OFPF_DL_VLAN_PCP), &flow, &wc));

    /* IPv6 ND. */
    memset(&flow, 0, sizeof flow);
    flow.dl_type = htons(0x86dd);
    flow.nw_proto = 58;
    flow.tp_src = htons(135);
    assert_true(ofp_field_prereqs_hold(F(OFPF_ND_SLL), &flow, NULL));
    assert_false(ofp_field_prereqs_hold(F(OFPF_ND_TLL), &flow, NULL));
    assert_true(ofp_field_prereqs_hold(F(OFPF_ND_TARGET), &flow, NULL));
    flow.tp_src = htons(128);
    assert_false(ofp_field_prereqs_hold(F(OFPF_ND_TARGET), &flow, NULL));
    assert_true(ofp_field_prereqs_hold(F(OFPF_ICMPV6_CODE), &flow, NULL));
    assert_false(ofp_field_prereqs_hold(F(OFPF_ICMP_CODE), &flow, NULL));
}

static void
match_add(struct ofp_match *m, enum ofp_field_id id, const char *text)
{
    union ofp_value v, mask;
    char err[128];

    assert_int_equal(ofp_field_parse(F(id), text, &v, &mask, err, sizeof err),
                     0);
    ofp_match_set(m, F(id), &v, &mask);
}

static void
test_match_set_and_format(void **state)
{
    struct ofp_match m;
    char buf[OFP_MATCH_FORMAT_SIZE];

    (void) state;
    ofp_match_init_catchall(&m);
    assert_string_equal(ofp_match_format(&m, buf, sizeof buf), "");
    match_add(&m, OFPF_NW_SRC, "10.1.2.3/8");
    assert_int_equal(m.flow.nw_src, htonl(0x0a000000));   /* stored masked */
    match_add(&m, OFPF_DL_TYPE, "0x0800");
    match_add(&m, OFPF_NW_PROTO, "6");
    match_add(&m, OFPF_TP_DST, "80");
    match_add(&m, OFPF_IN_PORT, "1");
    assert_string_equal(ofp_match_format(&m, buf, sizeof buf),
                        "tcp,in_port=1,nw_src=10.0.0.0/8,tp_dst=80");
    /* A later set replaces value and mask. */
    match_add(&m, OFPF_NW_SRC, "192.168.0.1");
    assert_string_equal(ofp_match_format(&m, buf, sizeof buf),
                        "tcp,in_port=1,nw_src=192.168.0.1,tp_dst=80");
    match_add(&m, OFPF_NW_PROTO, "47");
    assert_string_equal(ofp_match_format(&m, buf, sizeof buf),
                        "ip,in_port=1,nw_src=192.168.0.1,nw_proto=47,"
                        "tp_dst=80");
    /* Truncation keeps a terminated string. */
    ofp_match_format(&m, buf, 10);
    assert_int_equal(strlen(buf), 9);
    assert_string_equal(ofp_match_format(&m, buf, 1), "");

    ofp_match_init_catchall(&m);
    match_add(&m, OFPF_DL_TYPE, "0x0806");
    match_add(&m, OFPF_NW_SRC, "1.2.3.4");
    match_add(&m, OFPF_ARP_OP, "1");
    assert_string_equal(ofp_match_format(&m, buf, sizeof buf),
                        "arp,arp_spa=1.2.3.4,arp_op=1");
    ofp_match_init_catchall(&m);
    match_add(&m, OFPF_VLAN_TCI, "0x1005/0x1fff");
    match_add(&m, OFPF_DL_TYPE, "0x88cc");
    assert_string_equal(ofp_match_format(&m, buf, sizeof buf),
                        "dl_vlan=5,dl_type=0x88cc");
    match_add(&m, OFPF_VLAN_TCI, "0xb005");
    assert_string_equal(ofp_match_format(&m, buf, sizeof buf),
                        "dl_vlan=5,dl_vlan_pcp=5,dl_type=0x88cc");
    match_add(&m, OFPF_VLAN_TCI, "0x0000");
    assert_string_equal(ofp_match_format(&m, buf, sizeof buf),
                        "vlan_tci=0x0000,dl_type=0x88cc");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_complete),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_host_order_fields),
        cmocka_unit_test(test_sub_byte_fields),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_value_text),
        cmocka_unit_test(test_value_errors),
        cmocka_unit_test(test_flow_from_dp),
        cmocka_unit_test(test_prereqs),
        cmocka_unit_test(test_match_set_and_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
