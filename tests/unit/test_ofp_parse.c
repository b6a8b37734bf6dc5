/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for ovs-ofctl flow lines (ofproto/ofp_parse.c): a round-trip
 * corpus (parse, format, parse: equal), expected canonical text, and
 * malformed lines each refused with a message that quotes the bad word. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ofproto/ofp_parse.h"

static int
resolve(void *aux, const char *name, uint32_t *port)
{
    (void) aux;
    if (!strcmp(name, "vm1")) {
        *port = 7;
        return 0;
    } else if (!strcmp(name, "vm2")) {
        *port = 8;
        return 0;
    }
    return -ENOENT;
}

static struct ofp_flow_mod *
parse_ok(const char *text, enum ofp_parse_mode mode)
{
    struct ofp_flow_mod *fm = malloc(sizeof *fm);
    char err[256] = "";

    assert_non_null(fm);
    if (ofp_flow_mod_parse(text, mode, resolve, NULL, fm, err, sizeof err)) {
        fail_msg("\"%s\" refused: %s", text, err);
    }
    return fm;
}

/* parse -> format -> parse, equal; returns the formatted text. */
static void
round_trip(const char *text, enum ofp_parse_mode mode, char *out,
           size_t out_size)
{
    struct ofp_flow_mod *a = parse_ok(text, mode), *b;
    char *buf = malloc(OFP_FLOW_MOD_FORMAT_SIZE);

    assert_non_null(buf);
    ofp_flow_mod_format(a, buf, OFP_FLOW_MOD_FORMAT_SIZE);
    b = parse_ok(buf, mode);
    if (!ofp_flow_mod_equal(a, b)) {
        fail_msg("\"%s\" -> \"%s\" parses differently", text, buf);
    }
    if (out) {
        snprintf(out, out_size, "%s", buf);
    }
    free(buf);
    free(a);
    free(b);
}

/* Match-only lines (del-flows / dump-flows) and, as "expected", the text
 * the formatter must print (NULL: not checked).  Several are the match
 * part of flows from ovs-ofctl(8), ovs-fields(7) and the OVS tutorials. */
struct rt_case {
    const char *in, *expected;
};

static const struct rt_case match_cases[] = {
    { "", "" },
    { "in_port=1", "in_port=1" },
    { "tcp,in_port=1,nw_src=10.0.0.0/8,tp_dst=80",
      "tcp,in_port=1,nw_src=10.0.0.0/8,tp_dst=80" },
    { "priority=5,tcp,in_port=1,nw_src=10.0.0.0/255.0.0.0,tp_dst=80,"
      "dl_vlan=5", "priority=5,tcp,in_port=1,dl_vlan=5,nw_src=10.0.0.0/8,"
      "tp_dst=80" },
    { "dl_vlan=0xffff,tcp_flags=+syn-ack,tcp,ip_frag=first",
      "tcp,vlan_tci=0x0000,nw_frag=first,tcp_flags=+syn-ack" },
    { "icmp,icmp_type=3,nw_tos=4,vlan_tci=0x1000/0x1000,"
      "dl_src=01:00:00:00:00:00/01:00:00:00:00:00",
      "icmp,vlan_tci=0x1000/0x1000,dl_src=01:00:00:00:00:00/"
      "01:00:00:00:00:00,nw_tos=4,icmp_type=3" },
    { "ip,nw_tos=5", "ip,nw_tos=4" },
    { "ip,ip_dscp=3,nw_ecn=1", "ip,nw_tos=12,nw_ecn=1" },
    { "reg0=5,metadata=0x7/0xf", "metadata=0x7/0xf,reg0=0x5" },
    { "arp,nw_src=1.2.3.4,arp_op=1", "arp,arp_spa=1.2.3.4,arp_op=1" },
    { "tcp,tp_dst=0x50/0xfff0", "tcp,tp_dst=0x50/0xfff0" },
    { "dl_vlan_pcp=3", "dl_vlan_pcp=3" },
    { "dl_vlan=3,dl_vlan_pcp=3", "dl_vlan=3,dl_vlan_pcp=3" },
    { "ipv6,ipv6_src=2001:db8::/32", "ipv6,ipv6_src=2001:db8::/32" },
    { "icmp6,icmp_type=135,nd_target=::1",
      "icmp6,icmpv6_type=135,nd_target=::1" },
    { "icmp6,icmpv6_type=135,nd_target=::1,nd_sll=00:11:22:33:44:55",
      "icmp6,icmpv6_type=135,nd_target=::1,nd_sll=00:11:22:33:44:55" },
    { "icmp6,icmpv6_type=136,nd_tll=00:11:22:33:44:55/ff:ff:ff:00:00:00",
      NULL },
    { "tp_dst=80,tcp", "tcp,tp_dst=80" },
    { "tcp,nw_proto=6", "tcp" },
    { "ip,dl_type=0x0800", "ip" },
    { "ip,tcp", "tcp" },
    { "ip,nw_src=1.2.3.4/255.0.255.0", "ip,nw_src=1.0.3.0/255.0.255.0" },
    { "tcp,tcp_flags=+syn-ack+urg", "tcp,tcp_flags=+syn-ack+urg" },
    { "ip,nw_ttl=5", "ip,nw_ttl=5" },
    { "ipv6,ipv6_label=0x12345", "ipv6,ipv6_label=0x12345" },
    { "ip,ip_frag=not_later", "ip,nw_frag=not_later" },
    { "udp,tcp_src=5", "udp,tp_src=5" },
    { "tcp6,tcp_dst=443", "tcp6,tp_dst=443" },
    { "sctp6,sctp_src=9", "sctp6,tp_src=9" },
    { "udp6,ipv6_dst=fe80::/10,tp_src=546", "udp6,ipv6_dst=fe80::/10,"
      "tp_src=546" },
    { "sctp,tp_dst=2905", "sctp,tp_dst=2905" },
    { "igmp", "ip,nw_proto=2" },
    { "rarp", "rarp" },
    { "eth", "" },
    { "dl_type=0x88cc", "dl_type=0x88cc" },
    { "dl_type=0x0800", "ip" },
    { "dl_type=0x0800,nw_proto=1", "icmp" },
    { "table=0", "table=0" },
    { "table=255", "" },
    { "table=3,cookie=0x10/0xff", "table=3,cookie=0x10/0xff" },
    { "cookie=0x10/-1", "cookie=0x10/-1" },
    { "cookie=0x10/0xffffffffffffffff", "cookie=0x10/-1" },
    { "out_port=2", "out_port=2" },
    { "out_port=LOCAL", "out_port=LOCAL" },
    { "out_port=vm2", "out_port=8" },
    { "in_port=vm1", "in_port=7" },
    { "in_port=LOCAL", "in_port=LOCAL" },
    { "in_port=65534", "in_port=LOCAL" },
    { "dl_dst=01:80:c2:00:00:00/ff:ff:ff:ff:ff:f0",
      "dl_dst=01:80:c2:00:00:00/ff:ff:ff:ff:ff:f0" },
    { "dl_src=01:00:00:00:00:00/01:00:00:00:00:00", NULL },
    { "eth_src=00:11:22:33:44:55,eth_dst=66:77:88:99:aa:bb,eth_type=0x0806",
      "arp,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb" },
    { "arp,arp_spa=10.0.0.0/24,arp_tpa=10.0.0.1,arp_op=2,"
      "arp_sha=00:11:22:33:44:55,arp_tha=00:00:00:00:00:00",
      "arp,arp_spa=10.0.0.0/24,arp_tpa=10.0.0.1,arp_op=2,"
      "arp_sha=00:11:22:33:44:55,arp_tha=00:00:00:00:00:00" },
    { "ip,ip_src=192.168.1.1,ip_dst=192.168.1.2",
      "ip,nw_src=192.168.1.1,nw_dst=192.168.1.2" },
    { "vlan_tci=0x1005/0x1fff", "dl_vlan=5" },
    { "vlan_tci=0x0000", "vlan_tci=0x0000" },
    { "vlan_tci=0x0005/0x0fff", "vlan_tci=0x0005/0x0fff" },
    { "vlan_tci=0x3005", "dl_vlan=5,dl_vlan_pcp=1" },
    /* OXM vlan_vid / vlan_pcp (ovs-fields(7)): 0x1000 is OFPVID_PRESENT. */
    { "vlan_vid=0x1005", "dl_vlan=5" },
    { "vlan_vid=4196", "dl_vlan=100" },
    { "vlan_vid=0", "vlan_tci=0x0000/0x1fff" },
    { "vlan_vid=0x1000/0x1000", "vlan_tci=0x1000/0x1000" },
    { "vlan_vid=0x1005,vlan_pcp=3", "dl_vlan=5,dl_vlan_pcp=3" },
    { "vlan_vid=5/0xfff", "vlan_tci=0x0005/0x0fff" },
    { "vlan_pcp=7", "dl_vlan_pcp=7" },
    { "icmp,icmp_type=8,icmp_code=0", "icmp,icmp_type=8,icmp_code=0" },
    { "metadata=0x1,reg7=0xffffffff", "metadata=0x1,reg7=0xffffffff" },
    { "reg3=0x10/0xf0", "reg3=0x10/0xf0" },
    { "tcp,tcp_flags=0x012", "tcp,tcp_flags=0x012" },
    { "tcp,tcp_flags=0x002/0x002", "tcp,tcp_flags=+syn" },
    { "ip,ip_frag=no", "ip,nw_frag=no" },
    { "ip,nw_frag=later", "ip,nw_frag=later" },
    { "ipv6,nw_tos=252,nw_ttl=64,nw_proto=47",
      "ipv6,nw_proto=47,nw_tos=252,nw_ttl=64" },
    { "ipv6,ipv6_src=::1/::ffff", "ipv6,ipv6_src=::1/::ffff" },
    { "  tcp ,  tp_dst=80 , ", "tcp,tp_dst=80" },
    { "tcp\ttp_dst=80", "tcp,tp_dst=80" },
    { "priority=0", "priority=0" },
    { "priority=65535,ip", "priority=65535,ip" },
};

static void
test_match_round_trip(void **state)
{
    char out[OFP_FLOW_MOD_FORMAT_SIZE];

    (void) state;
    for (size_t i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
        const struct rt_case *c = &match_cases[i];
        round_trip(c->in, OFP_PARSE_MATCH, out, sizeof out);
        if (c->expected && strcmp(out, c->expected)) {
            fail_msg("\"%s\" formats as \"%s\", want \"%s\"", c->in, out,
                     c->expected);
        }
    }
}

static void
test_match_defaults(void **state)
{
    struct ofp_flow_mod *fm;

    (void) state;
    fm = parse_ok("tcp", OFP_PARSE_MATCH);
    assert_int_equal(fm->table_id, OFP_TABLE_ALL);
    assert_int_equal(fm->priority, OFP_DEFAULT_PRIORITY);
    assert_false(fm->has_priority);
    assert_false(fm->has_cookie);
    assert_true(fm->cookie_mask == UINT64_MAX);
    assert_int_equal(fm->out_port, OFPP_ANY);
    assert_int_equal(fm->n_actions, 0);
    assert_int_equal(fm->match.flow.dl_type, htons(0x0800));
    assert_int_equal(fm->match.flow.nw_proto, 6);
    free(fm);

    fm = parse_ok("cookie=0x1f/0xf0,table=7,priority=9,dl_vlan=10",
                  OFP_PARSE_MATCH);
    assert_true(fm->cookie == 0x10 && fm->cookie_mask == 0xf0);
    assert_true(fm->has_cookie && fm->has_priority);
    assert_int_equal(fm->table_id, 7);
    assert_int_equal(fm->priority, 9);
    assert_int_equal(fm->match.flow.vlans[0].tci, htons(0x100a));
    assert_int_equal(fm->match.wc.masks.vlans[0].tci, htons(0x1fff));
    free(fm);
}

struct bad_case {
    enum ofp_parse_mode mode;
    const char *in, *needle;
};

static const struct bad_case bad_cases[] = {
    { OFP_PARSE_MATCH, "tp_dst=80", "tp_dst" },
    { OFP_PARSE_MATCH, "ip,tp_dst=80", "tcp, udp or sctp" },
    { OFP_PARSE_MATCH, "nw_src=10.0.0.1", "nw_src" },
    { OFP_PARSE_MATCH, "ipv6,nw_src=10.0.0.1", "ip or arp" },
    { OFP_PARSE_MATCH, "ip,ipv6_src=::1", "ipv6_src" },
    { OFP_PARSE_MATCH, "udp,tcp_flags=+syn", "tcp_flags" },
    { OFP_PARSE_MATCH, "tcp,icmp_type=3", "icmp_type" },
    { OFP_PARSE_MATCH, "ip,arp_op=1", "arp_op" },
    { OFP_PARSE_MATCH, "icmp6,nd_target=::1", "nd_target" },
    { OFP_PARSE_MATCH, "icmp6,icmp_type=135,nd_tll=00:11:22:33:44:55",
      "nd_tll" },
    { OFP_PARSE_MATCH, "nw_proto=6", "nw_proto" },
    { OFP_PARSE_MATCH, "tcp_dst=80", "tcp_dst" },
    { OFP_PARSE_MATCH, "bogus", "bogus" },
    { OFP_PARSE_MATCH, "bogus=1", "bogus" },
    { OFP_PARSE_MATCH, "in_port=vm3", "vm3" },
    { OFP_PARSE_MATCH, "in_port=", "in_port" },
    { OFP_PARSE_MATCH, "in_port", "in_port" },
    { OFP_PARSE_MATCH, "tcp=1", "tcp" },
    { OFP_PARSE_MATCH, "ip,nw_src=10.0.0.300", "10.0.0.300" },
    { OFP_PARSE_MATCH, "ip,nw_src=10.0.0.1/33", "33" },
    { OFP_PARSE_MATCH, "dl_src=00:11:22:33:44", "00:11:22:33:44" },
    { OFP_PARSE_MATCH, "tcp,tp_dst=65536", "65536" },
    { OFP_PARSE_MATCH, "tcp,tp_dst=80,tp_dst=81", "tp_dst" },
    { OFP_PARSE_MATCH, "tcp,tp_dst=80,tcp_dst=81", "tcp_dst" },
    { OFP_PARSE_MATCH, "ip,nw_src=1.1.1.1,ip_src=2.2.2.2", "ip_src" },
    { OFP_PARSE_MATCH, "ip,nw_tos=4,ip_dscp=1", "ip_dscp" },
    { OFP_PARSE_MATCH, "dl_vlan=5,dl_vlan=6", "dl_vlan" },
    { OFP_PARSE_MATCH, "dl_vlan=5,vlan_tci=0x1000/0x1000", "vlan_tci" },
    { OFP_PARSE_MATCH, "dl_vlan=0xffff,dl_vlan_pcp=1", "dl_vlan_pcp" },
    { OFP_PARSE_MATCH, "dl_vlan=4096", "4096" },
    { OFP_PARSE_MATCH, "dl_vlan_pcp=8", "8" },
    { OFP_PARSE_MATCH, "vlan_vid=5", "vlan_vid=4101 or dl_vlan=5" },
    { OFP_PARSE_MATCH, "vlan_vid=0x2000", "0x2000" },
    { OFP_PARSE_MATCH, "dl_vlan=5,vlan_vid=0x1005", "vlan_vid" },
    { OFP_PARSE_MATCH, "vlan_vid=0,vlan_tci=0", "vlan_tci" },
    { OFP_PARSE_MATCH, "vlan_pcp=8", "8" },
    { OFP_PARSE_MATCH, "tcp,udp", "udp" },
    { OFP_PARSE_MATCH, "tcp,nw_proto=17", "nw_proto=17" },
    { OFP_PARSE_MATCH, "ip,dl_type=0x86dd", "dl_type=0x86dd" },
    { OFP_PARSE_MATCH, "arp,ipv6", "ipv6" },
    { OFP_PARSE_MATCH, "priority=1,priority=2", "priority" },
    { OFP_PARSE_MATCH, "priority=65536", "65536" },
    { OFP_PARSE_MATCH, "priority=-1", "-1" },
    { OFP_PARSE_MATCH, "table=256", "256" },
    { OFP_PARSE_MATCH, "table=x", "table" },
    { OFP_PARSE_MATCH, "cookie=0xg", "0xg" },
    { OFP_PARSE_MATCH, "cookie=1/", "cookie" },
    /* ovs-ofctl(8): "cannot set cookie" outside add and mod-flows. */
    { OFP_PARSE_MATCH, "cookie=0x10", "without a mask sets a cookie" },
    { OFP_PARSE_MATCH, "cookie=1/-1,cookie=2/-1", "given twice" },
    { OFP_PARSE_MODIFY, "cookie=1,cookie=2,actions=drop",
      "new cookie given twice" },
    { OFP_PARSE_ADD, "cookie=1,cookie=2,actions=drop", "given twice" },
    { OFP_PARSE_MATCH, "idle_timeout=5", "idle_timeout" },
    { OFP_PARSE_MATCH, "hard_timeout=5", "hard_timeout" },
    { OFP_PARSE_MATCH, "actions=drop", "actions" },
    { OFP_PARSE_MATCH, "out_port=vm9", "vm9" },
    { OFP_PARSE_MATCH, "NXM_OF_IN_PORT=1", "NXM_OF_IN_PORT" },
    { OFP_PARSE_MATCH, "nw_proto=6/0xff", "nw_proto" },
    { OFP_PARSE_MATCH, "ip,ip_frag=maybe", "maybe" },
    { OFP_PARSE_MATCH, "reg8=1", "reg8" },
    { OFP_PARSE_MATCH, "in_port=1 actions", "actions" },
    { OFP_PARSE_ADD, "in_port=1", "actions=" },
    { OFP_PARSE_ADD, "cookie=0x5/0xff,actions=drop", "cookie mask" },
    { OFP_PARSE_ADD, "out_port=1,actions=drop", "out_port" },
    { OFP_PARSE_ADD, "table=255,actions=drop", "255" },
    { OFP_PARSE_ADD, "idle_timeout=65536,actions=drop", "65536" },
    { OFP_PARSE_ADD, "tp_dst=80,actions=drop", "tp_dst" },
    { OFP_PARSE_ADD, "tcp,actions=drop,priority=3", "priority" },
    { OFP_PARSE_ADD, "actions=frobnicate", "frobnicate" },
    { OFP_PARSE_MODIFY, "tcp", "actions=" },
    /* Control characters quoted back show as '?': one line (fuzz find). */
    { OFP_PARSE_ADD, "actions=mod_vlan_vid:5x(,\n\x01)", "'mod_vlan_vid:5x(,?" "?)'" },
    { OFP_PARSE_ADD, "dl_src=00:11\x7f,actions=drop", "00:11?" },
};

static void
test_malformed(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        struct ofp_flow_mod *fm = malloc(sizeof *fm);
        char err[256] = "";

        assert_non_null(fm);
        if (!ofp_flow_mod_parse(c->in, c->mode, resolve, NULL, fm, err,
                                sizeof err)) {
            fail_msg("\"%s\" accepted", c->in);
        }
        if (!err[0] || strchr(err, '\n') || !strstr(err, c->needle)) {
            fail_msg("\"%s\": message \"%s\" lacks \"%s\"", c->in, err,
                     c->needle);
        }
        free(fm);
    }
}

static void
test_port_names_need_resolver(void **state)
{
    struct ofp_flow_mod fm;
    char err[256];

    (void) state;
    assert_int_equal(ofp_flow_mod_parse("in_port=vm1", OFP_PARSE_MATCH,
                                        NULL, NULL, &fm, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "vm1"));
    assert_int_equal(ofp_flow_mod_parse("in_port=vm1", OFP_PARSE_MATCH,
                                        resolve, NULL, &fm, err, sizeof err),
                     0);
    assert_int_equal(fm.match.flow.in_port, 7);
    /* Tiny and zero-size error buffers are safe. */
    assert_int_equal(ofp_flow_mod_parse("bogus", OFP_PARSE_MATCH, NULL, NULL,
                                        &fm, err, 4), -EINVAL);
    assert_int_equal(strlen(err), 3);
    assert_int_equal(ofp_flow_mod_parse("bogus", OFP_PARSE_MATCH, NULL, NULL,
                                        &fm, NULL, 0), -EINVAL);
}

/* ---- Files -------------------------------------------------------------- */

struct collect {
    unsigned n;
    int fail_at;                /* cb error on the n-th flow (1-based) */
    char first[256];
};

static int
collect_cb(void *aux, const struct ofp_flow_mod *fm)
{
    struct collect *c = aux;

    if (++c->n == 1) {
        ofp_flow_mod_format(fm, c->first, sizeof c->first);
    }
    return (int) c->n == c->fail_at ? -ENOSPC : 0;
}

static void
test_parse_text(void **state)
{
    const char *text = "# a comment\n"
                       "\n"
                       "tcp,tp_dst=80\r\n"
                       "   \n"
                       "  # indented comment\n"
                       "ip,nw_src=10.0.0.0/8\n"
                       "udp";
    struct collect c = { 0, 0, "" };
    char err[256] = "";

    (void) state;
    assert_int_equal(ofp_flow_mods_parse_text(text, OFP_PARSE_MATCH, resolve,
                                              NULL, collect_cb, &c, err,
                                              sizeof err), 0);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.first, "tcp,tp_dst=80");

    memset(&c, 0, sizeof c);
    assert_int_equal(ofp_flow_mods_parse_text("tcp\nip\nip,tp_dst=1\nudp\n",
                                              OFP_PARSE_MATCH, resolve, NULL,
                                              collect_cb, &c, err,
                                              sizeof err), -EINVAL);
    assert_int_equal(c.n, 2);
    assert_non_null(strstr(err, "line 3: "));
    assert_non_null(strstr(err, "tp_dst"));

    memset(&c, 0, sizeof c);
    c.fail_at = 2;
    assert_int_equal(ofp_flow_mods_parse_text("tcp\n\nip\nudp\n",
                                              OFP_PARSE_MATCH, resolve, NULL,
                                              collect_cb, &c, err,
                                              sizeof err), -ENOSPC);
    assert_non_null(strstr(err, "line 3: "));
    assert_int_equal(c.n, 2);

    memset(&c, 0, sizeof c);
    assert_int_equal(ofp_flow_mods_parse_text("", OFP_PARSE_ADD, NULL, NULL,
                                              collect_cb, &c, err,
                                              sizeof err), 0);
    assert_int_equal(c.n, 0);
}

/* ---- With actions (ofp_actions.c) --------------------------------------- */

/* Whole flows; several are from ovs-ofctl(8) and the OVS tutorials. */
static const struct rt_case add_cases[] = {
    { "in_port=1,actions=output:2", "in_port=1,actions=output:2" },
    { "actions=drop", "actions=drop" },
    { "priority=0,actions=NORMAL", NULL },
    { "table=0, dl_dst=01:80:c2:00:00:00/ff:ff:ff:ff:ff:f0, actions=drop",
      "dl_dst=01:80:c2:00:00:00/ff:ff:ff:ff:ff:f0,actions=drop" },
    { "table=0,dl_src=01:00:00:00:00:00/01:00:00:00:00:00,actions=drop",
      NULL },
    { "table=0, priority=0, actions=resubmit(,1)", NULL },
    { "table=1, priority=99, in_port=1, actions=resubmit(,2)", NULL },
    { "table=1, priority=99, in_port=2, vlan_tci=0, "
      "actions=mod_vlan_vid:20, resubmit(,2)", NULL },
    { "table=4 reg0=0 priority=99 dl_vlan=20 actions=strip_vlan,2", NULL },
    { "priority=3,in_port=100,dl_vlan=0xffff,actions=mod_vlan_vid:101,normal",
      NULL },
    { "in_port=3,dl_vlan=101,actions=strip_vlan,output:1", NULL },
    { "priority=1 idle_timeout=0,in_port=100,"
      "actions=mod_nw_src:9.181.137.1,normal", NULL },
    { "idle_timeout=0,dl_type=0x0800,nw_proto=1,actions=output:102", NULL },
    { "priority=65535,ip,nw_src=192.168.0.0/24,actions=drop", NULL },
    { "table=2 actions=load:0x1->NXM_NX_REG0[0..15],"
      "move:NXM_OF_IN_PORT[]->NXM_NX_REG1[0..15],goto_table:3", NULL },
    { "udp6,ipv6_dst=fe80::/10,tp_src=546,"
      "actions=set_field:00:11:22:33:44:55->eth_src,output:1", NULL },
    { "cookie=0x123,idle_timeout=10,hard_timeout=60,priority=100,"
      "tcp,nw_dst=10.1.1.1,tp_dst=22,actions=output:LOCAL",
      NULL },
    { "arp,actions=FLOOD", NULL },
    { "in_port=vm1,actions=output:vm2", NULL },
    { "ip,actions=dec_ttl,mod_dl_src:02:00:00:00:00:01,"
      "mod_dl_dst:02:00:00:00:00:02,output:3", NULL },
    { "tcp,actions=mod_tp_dst:8080,mod_nw_dst:10.0.0.9,in_port", NULL },
    { "dl_vlan=10,actions=mod_vlan_pcp:3,push_vlan:0x88a8,all", NULL },
    { "table=5,priority=10,metadata=0x1/0x1,"
      "actions=write_metadata:0x2/0x2,goto_table:6", NULL },
};

static void
test_add_round_trip(void **state)
{
    char out[OFP_FLOW_MOD_FORMAT_SIZE];

    (void) state;
    for (size_t i = 0; i < sizeof add_cases / sizeof add_cases[0]; i++) {
        const struct rt_case *c = &add_cases[i];
        round_trip(c->in, OFP_PARSE_ADD, out, sizeof out);
        round_trip(c->in, OFP_PARSE_MODIFY, NULL, 0);
        if (c->expected && strcmp(out, c->expected)) {
            fail_msg("\"%s\" formats as \"%s\", want \"%s\"", c->in, out,
                     c->expected);
        }
    }
    /* Every match-only flow with an action list added. */
    for (size_t i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
        const char *in = match_cases[i].in;
        char line[512];

        if (strstr(in, "out_port") || strstr(in, "table=255")
            || strstr(in, "cookie=0x10/")) {
            continue;          /* filters of del-flows/dump-flows only */
        }
        snprintf(line, sizeof line, "%s,actions=output:1", in);
        round_trip(line, OFP_PARSE_ADD, NULL, 0);
    }
}

static void
test_add_fields(void **state)
{
    struct ofp_flow_mod *fm;

    (void) state;
    fm = parse_ok("cookie=0x123,idle_timeout=10,hard_timeout=60,"
                  "priority=100,tcp,actions=output:2", OFP_PARSE_ADD);
    assert_int_equal(fm->table_id, 0);
    assert_true(fm->cookie == 0x123 && fm->cookie_mask == UINT64_MAX);
    assert_int_equal(fm->idle_timeout, 10);
    assert_int_equal(fm->hard_timeout, 60);
    assert_int_equal(fm->priority, 100);
    assert_int_equal(fm->n_actions, 1);
    assert_int_equal(fm->actions[0].type, OFPACT_OUTPUT);
    assert_int_equal(fm->actions[0].port, 2);
    free(fm);
    fm = parse_ok("cookie=0x1/0xff,actions=drop", OFP_PARSE_MODIFY);
    assert_true(fm->cookie_mask == 0xff);
    assert_false(fm->modify_cookie);
    free(fm);
    /* mod-flows: the masked cookie selects, the bare one is the new
     * value (ovs-ofctl(8): "specifying the cookie field twice"). */
    fm = parse_ok("cookie=0x7,cookie=0x1/0xff,actions=drop",
                  OFP_PARSE_MODIFY);
    assert_true(fm->has_cookie && fm->cookie == 1 && fm->cookie_mask == 0xff);
    assert_true(fm->modify_cookie && fm->new_cookie == 7);
    free(fm);
    char out[256];
    round_trip("cookie=0x1/0xff,cookie=0x7,actions=drop", OFP_PARSE_MODIFY,
               out, sizeof out);
    assert_string_equal(out, "cookie=0x1/0xff,cookie=0x7,actions=drop");
    round_trip("cookie=0x7,actions=drop", OFP_PARSE_MODIFY, out, sizeof out);
    assert_string_equal(out, "cookie=0x7,actions=drop");
    round_trip("cookie=0x7/-1,actions=drop", OFP_PARSE_MODIFY, out,
               sizeof out);
    assert_string_equal(out, "cookie=0x7/-1,actions=drop");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_round_trip),
        cmocka_unit_test(test_match_defaults),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_port_names_need_resolver),
        cmocka_unit_test(test_parse_text),
        cmocka_unit_test(test_add_round_trip),
        cmocka_unit_test(test_add_fields),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
