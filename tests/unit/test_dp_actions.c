/* SPDX-License-Identifier: Apache-2.0 */
/* Datapath actions: text round trips, building rules, and execution on
 * crafted frames (VLAN push/pop, set fields with checksums checked against
 * a from-scratch computation, outputs vs modifications, too big for the
 * destination's buffer). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "datapath/dp_actions.h"
#include "vhost/virtio_net.h"
#include "vq_fixture.h"

/* ---- Text form -------------------------------------------------------- */

static void
round_trip(const char *s)
{
    struct dp_actions a, b;
    char err[128] = "", buf[DP_ACTIONS_FORMAT_SIZE], buf2[sizeof buf];

    if (dp_actions_parse(s, &a, err, sizeof err)) {
        fail_msg("'%s' refused: %s", s, err);
    }
    assert_string_equal(dp_actions_format(&a, buf, sizeof buf), s);
    assert_int_equal(dp_actions_parse(buf, &b, err, sizeof err), 0);
    assert_string_equal(dp_actions_format(&b, buf2, sizeof buf2), s);
    assert_int_equal(a.n, b.n);
    assert_int_equal(a.last_mod, b.last_mod);
}

static void
parse_bad(const char *s, const char *why)
{
    struct dp_actions a;
    char err[128] = "";

    assert_int_equal(dp_actions_parse(s, &a, err, sizeof err), -EINVAL);
    if (!strstr(err, why)) {
        fail_msg("'%s': error '%s' lacks '%s'", s, err, why);
    }
}

static void
test_text(void **state)
{
    (void) state;
    round_trip("drop");
    round_trip("2");
    round_trip("1,2,3");
    round_trip("push_vlan(vid=10,pcp=0),2");
    round_trip("push_vlan(tpid=0x88a8,vid=4095,pcp=7),push_vlan(vid=1,pcp=3)"
               ",1");
    round_trip("1,pop_vlan,set(eth(src=02:00:00:00:00:aa)),"
               "set(eth(dst=ff:ff:ff:ff:ff:ff)),2");
    round_trip("set(vlan(vid=100)),set(vlan(pcp=5)),7");
    round_trip("set(ipv4(src=10.0.0.1)),set(ipv4(dst=192.168.255.254)),"
               "set(ipv4(tos=0xb8/0xfc)),set(ipv4(ttl=1)),3");
    round_trip("set(tcp(src=80)),set(tcp(dst=65535)),set(udp(src=0)),"
               "set(udp(dst=53)),4");
    round_trip("pop_vlan");       /* modifies, then drops: no output */
    parse_bad("", "empty");
    parse_bad("1,", "trailing comma");
    parse_bad("push_vlan(vid=4096,pcp=0)", "bad datapath action");
    parse_bad("push_vlan(tpid=0x0800,vid=1,pcp=0)", "bad value");
    parse_bad("push_vlan(vid=1,pcp=0),push_vlan(vid=1,pcp=0),"
              "push_vlan(vid=1,pcp=0)", "too many push_vlan");
    parse_bad("set(eth(src=02:00:00:00:00))", "bad datapath action");
    parse_bad("set(ipv4(tos=0x28))", "bad datapath action");
    parse_bad("set(ipv4(tos=0x29/0xfc))", "bad value");
    parse_bad("set(ipv4(ttl=256))", "bad datapath action");
    parse_bad("set(sctp(src=1))", "bad datapath action");
    parse_bad("output:1", "bad datapath action");
    parse_bad("-1", "bad datapath action");
}

static void
test_build(void **state)
{
    struct dp_actions a;
    struct dp_action push = {.type = DP_ACTION_PUSH_VLAN,
                             .vlan = {.tpid = DP_ETH_TYPE_VLAN, .tci = 5}};
    struct dp_action pop = {.type = DP_ACTION_POP_VLAN};
    struct dp_action bad = {.type = DP_ACTION_SET_VLAN_VID, .u16 = 4096};
    char buf[256];
    (void) state;

    dp_actions_init(&a);
    assert_true(dp_actions_outputs_only(&a));
    assert_int_equal(dp_actions_add_output(&a, 1), 0);
    assert_int_equal(dp_actions_add_output(&a, 2), 0);
    assert_int_equal(dp_actions_add_output(&a, 1), 0);   /* same frame */
    assert_int_equal(a.n, 2);
    assert_true(dp_actions_outputs_only(&a));
    assert_int_equal(dp_actions_add(&a, &push), 0);
    assert_false(dp_actions_outputs_only(&a));
    /* After a modification port 1 gets a different frame: kept. */
    assert_int_equal(dp_actions_add_output(&a, 1), 0);
    assert_int_equal(a.n_outputs, 3);
    assert_string_equal(dp_actions_format(&a, buf, sizeof buf),
                        "1,2,push_vlan(vid=5,pcp=0),1");
    assert_int_equal(dp_actions_add(&a, &pop), 0);
    assert_int_equal(dp_actions_add(&a, &push), 0);
    assert_int_equal(dp_actions_add(&a, &push), -E2BIG);
    assert_int_equal(dp_actions_add(&a, &bad), -EINVAL);
    bad = (struct dp_action) {.type = DP_ACTION_N_TYPES};
    assert_int_equal(dp_actions_add(&a, &bad), -EINVAL);
    while (a.n < DP_ACTIONS_MAX) {
        assert_int_equal(dp_actions_add(&a, &pop), 0);
    }
    assert_int_equal(dp_actions_add(&a, &pop), -ENOSPC);
    assert_int_equal(dp_actions_add_output(&a, 9), -ENOSPC);
    /* A tiny buffer truncates, NUL-terminated. */
    assert_string_equal(dp_actions_format(&a, buf, 4), "1,2");
}

/* ---- Crafted frames --------------------------------------------------- */

#define MAC_DST 0x02, 0x00, 0x00, 0x00, 0x00, 0x02
#define MAC_SRC 0x02, 0x00, 0x00, 0x00, 0x00, 0x01

static const uint8_t macs[12] = {MAC_DST, MAC_SRC};

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t) (v >> 8);
    p[1] = (uint8_t) v;
}

static uint16_t
get16(const uint8_t *p)
{
    return (uint16_t) (p[0] << 8 | p[1]);
}

/* One's complement sum of 'len' bytes (RFC 1071), not inverted. */
static uint32_t
sum_bytes(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += get16(p + i);
    }
    if (len & 1) {
        sum += (uint32_t) p[len - 1] << 8;
    }
    return sum;
}

static uint16_t
fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t) sum;
}

/* Offset of the IPv4 header after the tags. */
static size_t
l3_ofs(const uint8_t *f)
{
    size_t ofs = 12;

    while (get16(f + ofs) == 0x8100 || get16(f + ofs) == 0x88a8) {
        ofs += 4;
    }
    return ofs + 2;
}

/* From scratch: the IPv4 header checksum and the TCP/UDP checksum. */
static uint16_t
ip_csum(const uint8_t *ip)
{
    size_t ihl = (ip[0] & 15) * 4u;
    uint8_t h[60];

    memcpy(h, ip, ihl);
    put16(h + 10, 0);
    return (uint16_t) ~fold(sum_bytes(0, h, ihl));
}

static uint16_t
l4_csum(const uint8_t *ip)
{
    size_t ihl = (ip[0] & 15) * 4u, len = get16(ip + 2) - ihl;
    unsigned csum_ofs = ip[9] == 6 ? 16 : 6;
    uint8_t seg[2048];
    uint32_t sum;

    memcpy(seg, ip + ihl, len);
    put16(seg + csum_ofs, 0);
    sum = sum_bytes(0, ip + 12, 8);          /* addresses */
    sum += ip[9] + (uint32_t) len;           /* zero, protocol, length */
    uint16_t c = (uint16_t) ~fold(sum_bytes(sum, seg, len));
    return ip[9] == 17 && !c ? 0xffff : c;
}

struct frame_opts {
    uint16_t tags[2];      /* TPIDs of up to two tags, 0 = none */
    uint8_t proto;         /* 6, 17, 1 */
    unsigned ihl_words;    /* 5.. */
    uint16_t frag;         /* flags + offset word */
    unsigned payload;      /* L4 payload bytes */
    bool udp_no_csum;
};

/* Builds an Ethernet/IPv4/(TCP|UDP|ICMP) frame with correct checksums;
 * returns its length. */
static size_t
make_ipv4(uint8_t *f, const struct frame_opts *o)
{
    size_t ofs = 12, ihl = o->ihl_words * 4u, l4len;
    uint8_t *ip, *l4;

    memcpy(f, macs, 12);
    for (int i = 0; i < 2 && o->tags[i]; i++, ofs += 4) {
        put16(f + ofs, o->tags[i]);
        put16(f + ofs + 2, (uint16_t) (0x2000 | (100 + i)));  /* pcp 1 */
    }
    put16(f + ofs, 0x0800);
    ip = f + ofs + 2;
    l4len = (o->proto == 6 ? 20 : 8) + o->payload;
    memset(ip, 0, ihl);
    ip[0] = (uint8_t) (0x40 | o->ihl_words);
    ip[1] = 0x2a;                           /* DSCP 10, ECN 2 */
    put16(ip + 2, (uint16_t) (ihl + l4len));
    put16(ip + 6, o->frag);
    ip[8] = 64;
    ip[9] = o->proto;
    memcpy(ip + 12, (uint8_t[]) {10, 1, 2, 3, 172, 16, 0, 9}, 8);
    for (size_t i = 20; i < ihl; i++) {
        ip[i] = 1;                          /* NOP options */
    }
    l4 = ip + ihl;
    memset(l4, 0, l4len);
    put16(l4, 1234);
    put16(l4 + 2, 80);
    if (o->proto == 6) {
        l4[12] = 0x50;
    } else if (o->proto == 17) {
        put16(l4 + 4, (uint16_t) l4len);
    }
    for (unsigned i = 0; i < o->payload; i++) {
        l4[l4len - o->payload + i] = (uint8_t) (i * 7 + 3);
    }
    put16(ip + 10, ip_csum(ip));
    if (o->proto == 6 || (o->proto == 17 && !o->udp_no_csum)) {
        put16(l4 + (o->proto == 6 ? 16 : 6), l4_csum(ip));
    }
    return (size_t) (l4 + l4len - f);
}

/* A received packet: the first 128 bytes copied, the rest left in 'src'
 * (the source's memory, which must never be written). */
static void
pkt_from(struct dp_packet *p, struct iovec *tail, const uint8_t *src,
         size_t len)
{
    memset(p, 0, sizeof *p);
    p->frame_len = (uint32_t) len;
    p->copy_len = len < DP_PACKET_HDR_COPY ? (uint32_t) len
                                           : DP_PACKET_HDR_COPY;
    memcpy(p->hdr, src, p->copy_len);
    tail->iov_base = (void *) (src + p->copy_len);
    tail->iov_len = len - p->copy_len;
    p->tail = tail;
    p->n_tail = len > p->copy_len;
    dp_packet_reset_head(p);
}

/* The frame as output would send it; returns its length. */
static size_t
flatten(const struct dp_packet *p, uint8_t *out)
{
    struct iovec iov[DP_PACKET_MAX_IOV];
    unsigned n = dp_packet_iov(p, iov);
    size_t len = 0;

    for (unsigned i = 0; i < n; i++) {
        memcpy(out + len, iov[i].iov_base, iov[i].iov_len);
        len += iov[i].iov_len;
    }
    assert_int_equal(len, p->frame_len);
    return len;
}

/* A sink that records outputs, with a small clone pool. */
struct rec {
    unsigned n, n_clones;
    uint32_t ports[16];
    struct dp_packet *pkts[16];
    struct dp_packet pool[8];
};

static void
rec_output(void *r_, uint32_t port, struct dp_packet *p)
{
    struct rec *r = r_;

    assert_true(r->n < 16);
    r->ports[r->n] = port;
    r->pkts[r->n++] = p;
}

static struct dp_packet *
rec_clone(void *r_)
{
    struct rec *r = r_;

    assert_true(r->n_clones < 8);
    return &r->pool[r->n_clones++];
}

/* Parses 'acts', runs them on a copy of frame 'src', returns the frame
 * of output 'which' in 'out' (length returned). */
static size_t
run(const char *acts, const uint8_t *src, size_t len, unsigned which,
    uint8_t *out, struct rec *r)
{
    struct dp_actions a;
    struct dp_actions_sink sink = {.output = rec_output, .clone = rec_clone,
                                   .aux = r};
    static struct dp_packet p;
    static struct iovec tail;
    char err[128];

    memset(r, 0, sizeof *r);
    if (dp_actions_parse(acts, &a, err, sizeof err)) {
        fail_msg("%s: %s", acts, err);
    }
    pkt_from(&p, &tail, src, len);
    assert_int_equal(dp_actions_execute(&a, &p, &sink), a.n_outputs);
    assert_true(which < r->n);
    return flatten(r->pkts[which], out);
}

static void
test_vlan_push_pop(void **state)
{
    uint8_t src[200], keep[200], out[300], want[300];
    struct rec r;
    size_t len;
    (void) state;

    memcpy(src, macs, 12);
    put16(src + 12, 0x0800);
    for (int i = 14; i < 200; i++) {
        src[i] = (uint8_t) i;
    }
    memcpy(keep, src, sizeof src);

    /* Single push on an untagged frame; the payload (tail) stays put. */
    len = run("push_vlan(vid=10,pcp=3),1", src, 200, 0, out, &r);
    assert_int_equal(len, 204);
    memcpy(want, macs, 12);
    put16(want + 12, 0x8100);
    put16(want + 14, (3 << 13) | 10);
    memcpy(want + 16, src + 12, 188);
    assert_memory_equal(out, want, 204);
    assert_int_equal(r.pkts[0]->copy_len, DP_PACKET_HDR_COPY + 4);

    /* Double push: the second is the outer (QinQ). */
    len = run("push_vlan(vid=10,pcp=0),push_vlan(tpid=0x88a8,vid=20,pcp=1),"
              "1", src, 200, 0, out, &r);
    assert_int_equal(len, 208);
    assert_int_equal(get16(out + 12), 0x88a8);
    assert_int_equal(get16(out + 14), (1 << 13) | 20);
    assert_int_equal(get16(out + 16), 0x8100);
    assert_int_equal(get16(out + 18), 10);
    assert_memory_equal(out + 20, src + 12, 188);

    /* Push, push, pop, pop gives back the original frame. */
    len = run("push_vlan(vid=10,pcp=0),push_vlan(vid=20,pcp=0),pop_vlan,"
              "pop_vlan,1", src, 200, 0, out, &r);
    assert_int_equal(len, 200);
    assert_memory_equal(out, src, 200);

    /* Pop on an untagged frame, set(vlan) on an untagged frame: nothing. */
    len = run("pop_vlan,set(vlan(vid=5)),set(vlan(pcp=7)),1", src, 200, 0,
              out, &r);
    assert_int_equal(len, 200);
    assert_memory_equal(out, src, 200);

    /* A double-tagged frame: rewrite the outer tag, pop both. */
    put16(src + 12, 0x88a8);
    put16(src + 14, 0x0064);
    put16(src + 16, 0x8100);
    put16(src + 18, 0xa065);
    put16(src + 20, 0x0800);
    len = run("set(vlan(vid=4095)),set(vlan(pcp=6)),1,pop_vlan,2,pop_vlan,3",
              src, 200, 0, out, &r);
    assert_int_equal(len, 200);
    assert_int_equal(get16(out + 14), (6 << 13) | 4095);
    assert_int_equal(get16(out + 18), 0xa065);  /* inner untouched */
    assert_int_equal(flatten(r.pkts[1], out), 196);
    assert_int_equal(get16(out + 12), 0x8100);
    assert_int_equal(get16(out + 14), 0xa065);
    assert_int_equal(flatten(r.pkts[2], out), 192);
    assert_memory_equal(out, macs, 12);
    assert_int_equal(get16(out + 12), 0x0800);
    assert_memory_equal(out + 14, src + 22, 178);

    /* The source's memory was never written (only the tail is read). */
    memcpy(keep + 12, src + 12, 10);
    assert_memory_equal(src, keep, 200);
}

/* Checks both checksums of the IPv4 frame in 'f' from scratch. */
static void
check_csums(const uint8_t *f, bool l4)
{
    const uint8_t *ip = f + l3_ofs(f);
    size_t ihl = (ip[0] & 15) * 4u;

    assert_int_equal(get16(ip + 10), ip_csum(ip));
    if (l4) {
        unsigned c = ip[9] == 6 ? 16 : 6;
        assert_int_equal(get16(ip + ihl + c), l4_csum(ip));
    }
}

static void
test_set_fields(void **state)
{
    static const struct frame_opts cases[] = {
        {.proto = 6, .ihl_words = 5, .payload = 10},
        {.proto = 6, .ihl_words = 8, .payload = 1000, .tags = {0x8100}},
        {.proto = 17, .ihl_words = 5, .payload = 33},
        {.proto = 17, .ihl_words = 6, .payload = 1400,
         .tags = {0x88a8, 0x8100}},
        {.proto = 6, .ihl_words = 5, .payload = 500, .frag = 0x2000},
    };
    const char *acts = "set(ipv4(src=192.168.1.1)),set(ipv4(dst=8.8.4.4)),"
                       "set(ipv4(tos=0xb8/0xfc)),set(ipv4(ttl=3)),"
                       "set(eth(src=0a:0b:0c:0d:0e:0f))";
    uint8_t src[1600], out[1700];
    char buf[256];
    struct rec r;
    (void) state;

    for (size_t i = 0; i < RSW_ARRAY_SIZE(cases); i++) {
        const struct frame_opts *o = &cases[i];
        size_t len = make_ipv4(src, o), n;
        const uint8_t *ip;

        check_csums(src, true);
        snprintf(buf, sizeof buf, "%s,%s,1", acts, o->proto == 6
                 ? "set(tcp(src=65535)),set(tcp(dst=443))"
                 : "set(udp(src=5353)),set(udp(dst=53))");
        n = run(buf, src, len, 0, out, &r);
        assert_int_equal(n, len);
        ip = out + l3_ofs(out);
        assert_memory_equal(ip + 12, ((uint8_t[]) {192, 168, 1, 1, 8, 8, 4,
                                                   4}), 8);
        assert_int_equal(ip[1], 0xba);      /* DSCP 46, ECN 2 kept */
        assert_int_equal(ip[8], 3);
        assert_int_equal(out[6], 0x0a);
        assert_int_equal(get16(ip + (ip[0] & 15) * 4), o->proto == 6 ? 65535
                                                                     : 5353);
        assert_int_equal(get16(ip + (ip[0] & 15) * 4 + 2),
                         o->proto == 6 ? 443 : 53);
        check_csums(out, true);
        assert_memory_equal(out + n - o->payload, src + len - o->payload,
                            o->payload);
    }
}

static void
test_set_fields_edge(void **state)
{
    struct frame_opts o = {.proto = 17, .ihl_words = 5, .payload = 20,
                        .udp_no_csum = true};
    uint8_t src[1600], out[1700], before[1600];
    struct rec r;
    size_t len, n;
    const uint8_t *ip;
    (void) state;

    /* UDP without a checksum keeps none (RFC 768). */
    len = make_ipv4(src, &o);
    n = run("set(ipv4(src=1.1.1.1)),set(udp(dst=9)),1", src, len, 0, out,
            &r);
    ip = out + l3_ofs(out);
    assert_int_equal(get16(ip + 20 + 6), 0);
    assert_int_equal(get16(ip + 20 + 2), 9);
    check_csums(out, false);

    /* A non-first fragment has no L4 header: the IP part only. */
    o = (struct frame_opts) {.proto = 6, .ihl_words = 5, .payload = 60,
                          .frag = 0x0010};
    len = make_ipv4(src, &o);
    memcpy(before, src, len);
    n = run("set(ipv4(dst=9.9.9.9)),set(tcp(src=1)),1", src, len, 0, out,
            &r);
    ip = out + l3_ofs(out);
    check_csums(out, false);
    assert_memory_equal(ip + 20, before + l3_ofs(before) + 20, n - 34);

    /* Protocol mismatch: set(udp(..)) on TCP does nothing. */
    o = (struct frame_opts) {.proto = 6, .ihl_words = 5, .payload = 4};
    len = make_ipv4(src, &o);
    n = run("set(udp(src=7)),1", src, len, 0, out, &r);
    assert_memory_equal(out, src, len);

    /* IPv4 sets on a non-IP frame (ARP) do nothing. */
    memset(src, 0x5a, 60);
    memcpy(src, macs, 12);
    put16(src + 12, 0x0806);
    n = run("set(ipv4(src=1.2.3.4)),set(ipv4(ttl=1)),set(tcp(src=1)),1", src,
            60, 0, out, &r);
    assert_int_equal(n, 60);
    assert_memory_equal(out, src, 60);

    /* A runt (Ethernet header only): tags and sets stay inside it. */
    n = run("push_vlan(vid=1,pcp=0),pop_vlan,pop_vlan,set(ipv4(ttl=1)),"
            "set(eth(dst=00:00:00:00:00:01)),1", src, 14, 0, out, &r);
    assert_int_equal(n, 14);
    assert_int_equal(out[5], 1);
    assert_int_equal(get16(out + 12), 0x0806);
}

/* Each output sees the packet as the actions before it left it. */
static void
test_output_order(void **state)
{
    uint8_t src[100], out[200];
    struct rec r;
    (void) state;

    memset(src, 0x11, sizeof src);
    memcpy(src, macs, 12);
    put16(src + 12, 0x0800);
    assert_int_equal(run("1,push_vlan(vid=10,pcp=0),2,set(vlan(vid=20)),3,"
                         "pop_vlan,set(eth(dst=00:00:00:00:00:09)),4,5",
                         src, 100, 0, out, &r), 100);
    assert_memory_equal(out, src, 100);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.n_clones, 3);     /* outputs 1, 2, 3 */
    assert_int_equal(flatten(r.pkts[1], out), 104);
    assert_int_equal(get16(out + 14), 10);
    assert_int_equal(flatten(r.pkts[2], out), 104);
    assert_int_equal(get16(out + 14), 20);
    assert_int_equal(flatten(r.pkts[3], out), 100);
    assert_int_equal(out[5], 9);
    assert_int_equal(get16(out + 12), 0x0800);
    /* The last outputs share the packet itself (no copy needed). */
    assert_ptr_equal(r.pkts[3], r.pkts[4]);
    assert_int_equal(r.ports[0], 1);
    assert_int_equal(r.ports[4], 5);

    /* Modifications after the last output are pointless but harmless. */
    assert_int_equal(run("1,pop_vlan", src, 100, 0, out, &r), 100);
    assert_int_equal(r.n_clones, 1);
}

/* A frame that push_vlan makes bigger than the destination's buffer is
 * refused by it as TOO_BIG (counted PORT_DROP_TOO_BIG by port_vhost). */
static void
test_too_big(void **state)
{
    struct virtio_net_hdr h = {.gso_type = VIRTIO_NET_HDR_GSO_NONE};
    struct virtq_driver_buf b = {.gpa = FIX_GPA_C, .len = 12 + 1518,
                                 .write = true};
    struct iovec iov[DP_PACKET_MAX_IOV];
    static uint8_t src[1518];
    struct fixture f;
    uint8_t out[1600];
    struct rec r;
    (void) state;

    memcpy(src, macs, 12);
    put16(src + 12, 0x0800);
    assert_int_equal(fix_setup(&f, 8, false), 0);
    (void) fix_add(&f, &b, 1);
    assert_int_equal(run("push_vlan(vid=7,pcp=0),1", src, sizeof src, 0, out,
                         &r), 1522);
    assert_int_equal(virtio_net_rx_push(f.q, 12, false, &h, iov,
                                        dp_packet_iov(r.pkts[0], iov)),
                     VIRTIO_NET_ERR_TOO_BIG);
    /* The untagged original fits the same buffer. */
    assert_int_equal(run("1", src, sizeof src, 0, out, &r), 1518);
    assert_int_equal(virtio_net_rx_push(f.q, 12, false, &h, iov,
                                        dp_packet_iov(r.pkts[0], iov)),
                     VIRTIO_NET_OK);
    fix_teardown(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_vlan_push_pop),
        cmocka_unit_test(test_set_fields),
        cmocka_unit_test(test_set_fields_edge),
        cmocka_unit_test(test_output_order),
        cmocka_unit_test(test_too_big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
