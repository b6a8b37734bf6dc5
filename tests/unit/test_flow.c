/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for flow keys and the packet parser (datapath/flow*.c). */
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
#include "datapath/flow.h"

/* ----------------------------------------------------------------------
 * Packet builder. */

struct pkt {
    uint8_t b[2048];
    size_t len;
    size_t l3;      /* offset of the IP header, for length fix-ups */
};

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x0b };

static void
put(struct pkt *p, const void *data, size_t n)
{
    assert_true(p->len + n <= sizeof p->b);
    memcpy(p->b + p->len, data, n);
    p->len += n;
}

static void
put8(struct pkt *p, uint8_t v)
{
    put(p, &v, 1);
}

static void
put16(struct pkt *p, uint16_t v)
{
    uint16_t be = htons(v);
    put(p, &be, 2);
}

static void
put32(struct pkt *p, uint32_t v)
{
    uint32_t be = htonl(v);
    put(p, &be, 4);
}

static void
put_zeros(struct pkt *p, size_t n)
{
    assert_true(p->len + n <= sizeof p->b);
    memset(p->b + p->len, 0, n);
    p->len += n;
}

static void
put_eth(struct pkt *p, uint16_t type)
{
    p->len = 0;
    put(p, MAC_B, 6);
    put(p, MAC_A, 6);
    put16(p, type);
}

static void
put_vlan(struct pkt *p, uint16_t tci, uint16_t next_type)
{
    put16(p, tci);
    put16(p, next_type);
}

/* IPv4 header with 'opt_len' bytes of options; the total length is fixed
 * later by fix_ipv4(). */
static void
put_ipv4(struct pkt *p, uint8_t proto, uint16_t frag, size_t opt_len)
{
    p->l3 = p->len;
    put8(p, (uint8_t) (0x40 | (5 + opt_len / 4)));
    put8(p, 0xb9);                      /* DSCP 46, ECN 1 */
    put16(p, 0);                        /* total length: fixed later */
    put16(p, 0x1234);
    put16(p, frag);
    put8(p, 64);
    put8(p, proto);
    put16(p, 0);
    put32(p, 0x0a000001);               /* 10.0.0.1 */
    put32(p, 0xc0a80102);               /* 192.168.1.2 */
    for (size_t i = 0; i < opt_len; i++) {
        put8(p, 1);                     /* NOP options (RFC 791) */
    }
}

static void
fix_ipv4(struct pkt *p)
{
    uint16_t tot = htons((uint16_t) (p->len - p->l3));
    memcpy(p->b + p->l3 + 2, &tot, 2);
}

static const uint8_t IP6_SRC[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t IP6_DST[16] = { 0xfe, 0x80, [15] = 2 };

static void
put_ipv6(struct pkt *p, uint8_t next)
{
    p->l3 = p->len;
    put32(p, 0x6a912345);               /* TC 0xa9, label 0x12345 */
    put16(p, 0);                        /* payload length: fixed later */
    put8(p, next);
    put8(p, 255);
    put(p, IP6_SRC, 16);
    put(p, IP6_DST, 16);
}

static void
fix_ipv6(struct pkt *p)
{
    uint16_t plen = htons((uint16_t) (p->len - p->l3 - 40));
    memcpy(p->b + p->l3 + 4, &plen, 2);
}

/* Generic options-style extension header of (units + 1) * 8 bytes. */
static void
put_ext(struct pkt *p, uint8_t next, uint8_t units)
{
    put8(p, next);
    put8(p, units);
    put_zeros(p, (size_t) units * 8 + 6);
}

static void
put_frag6(struct pkt *p, uint8_t next, uint16_t off_m)
{
    put8(p, next);
    put8(p, 0);
    put16(p, off_m);
    put32(p, 0xabcdef01);
}

static void
put_tcp(struct pkt *p, uint16_t flags, uint8_t doff)
{
    put16(p, 12345);
    put16(p, 80);
    put32(p, 1);
    put32(p, 2);
    put16(p, (uint16_t) (doff << 12 | flags));
    put16(p, 8192);
    put32(p, 0);
    for (int i = 5; i < doff; i++) {
        put32(p, 0x01010101);           /* NOP options */
    }
}

static void
put_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
    put16(p, sport);
    put16(p, dport);
    put16(p, 8);
    put16(p, 0);
}

static struct flow
parse_ok(const struct pkt *p, struct flow_parse_info *info)
{
    struct flow flow;
    uint8_t *copy = malloc(p->len ? p->len : 1);

    assert_non_null(copy);
    memcpy(copy, p->b, p->len);
    assert_int_equal(flow_extract(copy, p->len, 7, &flow, info), 0);
    assert_int_equal(info->status, FLOW_PARSE_OK);
    free(copy);
    return flow;
}

static enum flow_parse_status
parse_status(const struct pkt *p, size_t len, struct flow *flow,
             struct flow_parse_info *info)
{
    uint8_t *copy = malloc(len ? len : 1);  /* exact size: ASan guards it */

    assert_non_null(copy);
    memcpy(copy, p->b, len);
    int rc = flow_extract(copy, len, 7, flow, info);
    free(copy);
    assert_int_equal(rc, info->status == FLOW_PARSE_OK ? 0 : -EINVAL);
    return info->status;
}

static void
assert_fmt(const struct flow *flow, const char *expected)
{
    char buf[FLOW_FORMAT_SIZE];

    flow_format(flow, buf, sizeof buf);
    if (strcmp(buf, expected)) {
        print_error("got      %s\nexpected %s\n", buf, expected);
        fail();
    }
}

/* ----------------------------------------------------------------------
 * Layout and helpers. */

static void
test_layout(void **state)
{
    (void) state;
    assert_int_equal(sizeof(struct flow) % 8, 0);
    assert_int_equal(sizeof(struct flow_wc), sizeof(struct flow));
    assert_int_equal(FLOW_U64S, 19);
}

static void
test_hash_equal_mask(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow a, b;
    struct flow_wc wc;

    (void) state;
    put_eth(&p, 0x0800);
    put_ipv4(&p, 17, 0, 0);
    put_udp(&p, 1000, 53);
    fix_ipv4(&p);
    a = parse_ok(&p, &info);
    b = a;
    assert_true(flow_equal(&a, &b));
    assert_int_equal(flow_hash(&a, 0), flow_hash(&b, 0));
    assert_int_not_equal(flow_hash(&a, 0), flow_hash(&a, 1));
    b.tp_src = htons(1001);
    assert_false(flow_equal(&a, &b));
    assert_int_not_equal(flow_hash(&a, 0), flow_hash(&b, 0));

    /* Mask only nw_dst and tp_dst: a and b are equal under it. */
    flow_wc_init_catchall(&wc);
    assert_true(flow_wc_is_catchall(&wc));
    wc.masks.nw_dst = htonl(0xffffff00);
    wc.masks.tp_dst = 0xffff;
    assert_false(flow_wc_is_catchall(&wc));
    assert_true(flow_equal_masked(&a, &b, &wc));
    assert_int_equal(flow_hash_masked(&a, &wc, 5),
                     flow_hash_masked(&b, &wc, 5));
    b.nw_dst ^= htonl(0xff);            /* outside the /24: still equal */
    assert_true(flow_equal_masked(&a, &b, &wc));
    assert_int_equal(flow_hash_masked(&a, &wc, 5),
                     flow_hash_masked(&b, &wc, 5));
    b.nw_dst ^= htonl(0x100);
    assert_false(flow_equal_masked(&a, &b, &wc));

    flow_zero_wildcards(&b, &wc);
    assert_int_equal(b.tp_src, 0);
    assert_int_equal(b.in_port, 0);
    assert_int_equal(b.nw_dst, htonl(0xc0a80000)); /* 192.168.0.253/24 */
    assert_int_equal(b.tp_dst, htons(53));

    flow_wc_init_exact(&wc);
    assert_true(flow_equal_masked(&a, &a, &wc));
    assert_int_equal(wc.masks.pad[0], 0);
}

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return x < y ? -1 : x > y;
}

/* Every single-bit change of a key must change both hashes (1217 keys:
 * a collision among them would be a 1-in-7000 accident for a good 32-bit
 * hash, and the inputs are fixed), and sequential keys must spread evenly
 * over the low bits that the caches index with. */
static void
test_hash_quality(void **state)
{
    enum { NBITS = sizeof(struct flow) * 8, NKEYS = 65536, NB = 1024 };
    static uint32_t h[2][NBITS + 1];
    static uint32_t buckets[2][NB];
    struct flow_wc exact;
    struct flow base, f;

    (void) state;
    memset(&base, 0, sizeof base);
    base.dl_type = htons(0x0800);
    base.nw_proto = 6;
    flow_wc_init_exact(&exact);
    memset(exact.masks.pad, 0xff, sizeof exact.masks.pad);
    for (int bit = 0; bit <= NBITS; bit++) {
        f = base;
        if (bit < NBITS) {
            ((uint8_t *) &f)[bit / 8] ^= (uint8_t) (1u << (bit % 8));
        }
        h[0][bit] = flow_hash(&f, 0);
        h[1][bit] = flow_hash_masked(&f, &exact, 0);
    }
    for (int k = 0; k < 2; k++) {
        qsort(h[k], NBITS + 1, sizeof h[k][0], cmp_u32);
        for (int i = 0; i < NBITS; i++) {
            assert_int_not_equal(h[k][i], h[k][i + 1]);
        }
    }
    for (uint32_t i = 0; i < NKEYS; i++) {
        f = base;
        f.nw_src = htonl(0x0a000000 + (i >> 8));
        f.tp_src = htons((uint16_t) (i & 0xff));
        buckets[0][flow_hash(&f, 0) % NB]++;
        buckets[1][flow_hash_masked(&f, &exact, 0) % NB]++;
    }
    for (int k = 0; k < 2; k++) {
        for (int b = 0; b < NB; b++) {
            /* Mean 64, sd 8: outside 30..100 is beyond 4 sd. */
            assert_in_range(buckets[k][b], 30, 100);
        }
    }
}

static void
test_status_names(void **state)
{
    struct flow_parse_stats stats = { { 0 } };
    struct flow_parse_info info = { .status = FLOW_PARSE_BAD_TCP_OFF };

    (void) state;
    for (int i = 0; i < FLOW_PARSE_N_STATUS; i++) {
        const char *name = flow_parse_status_name(i);
        assert_non_null(name);
        assert_string_not_equal(name, "?");
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(name, flow_parse_status_name(j));
        }
    }
    assert_string_equal(flow_parse_status_name(FLOW_PARSE_N_STATUS), "?");
    flow_parse_stats_count(&stats, &info);
    flow_parse_stats_count(&stats, &info);
    assert_int_equal(stats.n[FLOW_PARSE_BAD_TCP_OFF], 2);
    assert_int_equal(stats.n[FLOW_PARSE_OK], 0);
}

/* ----------------------------------------------------------------------
 * L2. */

static void
test_eth_plain(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow f;

    (void) state;
    put_eth(&p, 0x88cc);                /* LLDP: not parsed further */
    put_zeros(&p, 46);
    f = parse_ok(&p, &info);
    assert_int_equal(f.in_port, 7);
    assert_memory_equal(f.dl_src.ea, MAC_A, 6);
    assert_memory_equal(f.dl_dst.ea, MAC_B, 6);
    assert_int_equal(f.dl_type, htons(0x88cc));
    assert_int_equal(f.vlans[0].tpid, 0);
    assert_int_equal(info.l3_ofs, 14);
    assert_int_equal(info.l4_ofs, FLOW_OFS_NONE);
    assert_fmt(&f, "in_port=7,dl_src=02:00:00:00:00:0a,"
               "dl_dst=02:00:00:00:00:0b,dl_type=0x88cc");

    put_eth(&p, 46);                    /* IEEE 802.3 length */
    put_zeros(&p, 46);
    f = parse_ok(&p, &info);
    assert_int_equal(f.dl_type, htons(FLOW_DL_TYPE_NONE));
}

static void
test_vlan_qinq(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow f;

    (void) state;
    /* Single 802.1Q tag, PCP 5, DEI, VID 100. */
    put_eth(&p, 0x8100);
    put_vlan(&p, 5 << 13 | 0x1000 | 100, 0x0800);
    put_ipv4(&p, 17, 0, 0);
    put_udp(&p, 68, 67);
    fix_ipv4(&p);
    f = parse_ok(&p, &info);
    assert_int_equal(f.vlans[0].tpid, htons(0x8100));
    assert_int_equal(f.vlans[0].tci, htons(5 << 13 | 0x1000 | 100));
    assert_int_equal(f.vlans[1].tpid, 0);
    assert_int_equal(f.dl_type, htons(0x0800));
    assert_int_equal(info.l3_ofs, 18);
    assert_int_equal(f.tp_dst, htons(67));

    /* QinQ: 802.1ad S-tag then 802.1Q C-tag, then TCP/IPv4. */
    put_eth(&p, 0x88a8);
    put_vlan(&p, 10, 0x8100);
    put_vlan(&p, 20, 0x0800);
    put_ipv4(&p, 6, 0, 0);
    put_tcp(&p, FLOW_TCP_SYN, 5);
    fix_ipv4(&p);
    f = parse_ok(&p, &info);
    assert_int_equal(f.vlans[0].tpid, htons(0x88a8));
    assert_int_equal(f.vlans[0].tci, htons(10));
    assert_int_equal(f.vlans[1].tpid, htons(0x8100));
    assert_int_equal(f.vlans[1].tci, htons(20));
    assert_int_equal(info.l3_ofs, 22);
    assert_int_equal(info.l4_ofs, 42);
    assert_int_equal(f.tcp_flags, htons(FLOW_TCP_SYN));
    assert_fmt(&f, "in_port=7,dl_src=02:00:00:00:00:0a,"
               "dl_dst=02:00:00:00:00:0b,vlan0(tpid=0x88a8,vid=10,pcp=0),"
               "vlan1(tpid=0x8100,vid=20,pcp=0),dl_type=0x0800,"
               "nw_src=10.0.0.1,nw_dst=192.168.1.2,nw_proto=6,nw_tos=184,"
               "nw_ecn=1,nw_ttl=64,nw_frag=no,tp_src=12345,tp_dst=80,"
               "tcp_flags=0x002");

}

static void
test_vlan_third_and_truncated(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow f;

    (void) state;
    /* A third tag is payload: dl_type is its TPID. */
    put_eth(&p, 0x88a8);
    put_vlan(&p, 1, 0x8100);
    put_vlan(&p, 2, 0x8100);
    put_vlan(&p, 3, 0x0800);
    put_ipv4(&p, 17, 0, 0);
    put_udp(&p, 1, 2);
    fix_ipv4(&p);
    f = parse_ok(&p, &info);
    assert_int_equal(f.dl_type, htons(0x8100));
    assert_int_equal(f.vlans[1].tci, htons(2));
    assert_int_equal(f.nw_src, 0);
    assert_int_equal(info.l3_ofs, 22);

    /* A tag cut off after the Ethernet header. */
    put_eth(&p, 0x8100);
    put16(&p, 7);
    assert_int_equal(parse_status(&p, p.len, &f, &info),
                     FLOW_PARSE_TRUNCATED_L2);
    assert_int_equal(f.dl_type, htons(0x8100));
    assert_int_equal(f.vlans[0].tpid, 0);
    assert_memory_equal(f.dl_src.ea, MAC_A, 6);
}

static void
test_arp(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow f;

    (void) state;
    put_eth(&p, 0x0806);
    put16(&p, 1);                       /* Ethernet */
    put16(&p, 0x0800);
    put8(&p, 6);
    put8(&p, 4);
    put16(&p, 2);                       /* reply */
    put(&p, MAC_A, 6);
    put32(&p, 0x0a000001);
    put(&p, MAC_B, 6);
    put32(&p, 0x0a000002);
    size_t full = p.len;
    put_zeros(&p, 18);                  /* padding to 60 bytes */
    f = parse_ok(&p, &info);
    assert_int_equal(f.arp_op, htons(2));
    assert_int_equal(f.nw_src, htonl(0x0a000001));
    assert_int_equal(f.nw_dst, htonl(0x0a000002));
    assert_memory_equal(f.arp_sha.ea, MAC_A, 6);
    assert_memory_equal(f.arp_tha.ea, MAC_B, 6);
    assert_int_equal(f.nw_proto, 0);
    assert_fmt(&f, "in_port=7,dl_src=02:00:00:00:00:0a,"
               "dl_dst=02:00:00:00:00:0b,dl_type=0x0806,arp_op=2,"
               "arp_spa=10.0.0.1,arp_tpa=10.0.0.2,"
               "arp_sha=02:00:00:00:00:0a,arp_tha=02:00:00:00:00:0b");

    assert_int_equal(parse_status(&p, full - 1, &f, &info),
                     FLOW_PARSE_TRUNCATED_L3);
    assert_int_equal(f.arp_op, 0);
    assert_int_equal(parse_status(&p, 14 + 7, &f, &info),
                     FLOW_PARSE_TRUNCATED_L3);

    /* Not Ethernet/IPv4 ARP: valid, no fields. */
    p.b[15] = 6;                        /* htype 6 (IEEE 802) */
    f = parse_ok(&p, &info);
    assert_int_equal(f.arp_op, 0);
    assert_int_equal(f.nw_src, 0);
}

/* ----------------------------------------------------------------------
 * IPv4. */

static void
test_ipv4_options_and_bad_headers(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow f;

    (void) state;
    put_eth(&p, 0x0800);
    put_ipv4(&p, 6, 0x4000, 8);         /* DF, 8 bytes of options */
    put_tcp(&p, FLOW_TCP_ACK | FLOW_TCP_PSH, 8);
    put(&p, "data", 4);
    fix_ipv4(&p);
    f = parse_ok(&p, &info);
    assert_int_equal(info.l3_ofs, 14);
    assert_int_equal(info.l4_ofs, 14 + 28);
    assert_int_equal(info.l7_ofs, 14 + 28 + 32);
    assert_int_equal(f.nw_frag, 0);
    assert_int_equal(f.nw_tos, 0xb9);
    assert_int_equal(f.nw_ttl, 64);
    assert_int_equal(f.nw_proto, 6);
    assert_int_equal(f.tp_src, htons(12345));
    assert_int_equal(f.tcp_flags, htons(FLOW_TCP_ACK | FLOW_TCP_PSH));

    struct pkt bad = p;
    bad.b[14] = 0x44;                   /* IHL 4 */
    assert_int_equal(parse_status(&bad, bad.len, &f, &info),
                     FLOW_PARSE_BAD_IPV4_IHL);
    assert_int_equal(f.nw_src, 0);
    assert_int_equal(f.dl_type, htons(0x0800));
    bad.b[14] = 0x4f;                   /* 60 bytes, beyond the packet */
    assert_int_equal(parse_status(&bad, 14 + 40, &f, &info),
                     FLOW_PARSE_BAD_IPV4_IHL);
    bad.b[14] = 0x67;                   /* version 6 in an IPv4 frame */
    assert_int_equal(parse_status(&bad, bad.len, &f, &info),
                     FLOW_PARSE_BAD_IP_VERSION);
    bad = p;
    bad.b[16] = 0;
    bad.b[17] = 24;                     /* total length < IHL */
    assert_int_equal(parse_status(&bad, bad.len, &f, &info),
                     FLOW_PARSE_BAD_IPV4_LEN);
    bad.b[16] = 0x10;                   /* total length > frame */
    assert_int_equal(parse_status(&bad, bad.len, &f, &info),
                     FLOW_PARSE_BAD_IPV4_LEN);
    assert_int_equal(info.l4_ofs, FLOW_OFS_NONE);
}

static void
test_ipv4_padding_bounds_l4(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow f;

    (void) state;
    /* UDP in a minimum-size frame: Ethernet padding after the datagram. */
    put_eth(&p, 0x0800);
    put_ipv4(&p, 17, 0, 0);
    put_udp(&p, 5000, 6000);
    fix_ipv4(&p);
    put_zeros(&p, 60 - p.len);
    f = parse_ok(&p, &info);
    assert_int_equal(f.tp_src, htons(5000));

    /* TCP whose IP total length covers only 10 of its 20 header bytes:
     * the padding must not be taken for the rest of the header. */
    put_eth(&p, 0x0800);
    put_ipv4(&p, 6, 0, 0);
    put_tcp(&p, FLOW_TCP_SYN, 5);
    p.len -= 10;
    fix_ipv4(&p);
    put_zeros(&p, 30);
    assert_int_equal(parse_status(&p, p.len, &f, &info),
                     FLOW_PARSE_TRUNCATED_L4);
    assert_int_equal(f.nw_proto, 6);
    assert_int_equal(f.tp_src, 0);
    assert_int_equal(info.l4_ofs, 34);
}

static void
test_ipv4_fragments(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow f;

    (void) state;
    /* First fragment: MF set, offset 0: L4 parsed. */
    put_eth(&p, 0x0800);
    put_ipv4(&p, 17, 0x2000, 0);
    put_udp(&p, 1111, 2222);
    put_zeros(&p, 16);
    fix_ipv4(&p);
    f = parse_ok(&p, &info);
    assert_int_equal(f.nw_frag, FLOW_NW_FRAG_ANY);
    assert_int_equal(f.tp_src, htons(1111));

    /* Later fragment: offset 185 (x8 bytes), no L4. */
    put_eth(&p, 0x0800);
    put_ipv4(&p, 17, 185, 0);
    put_udp(&p, 1111, 2222);
    fix_ipv4(&p);
    f = parse_ok(&p, &info);
    assert_int_equal(f.nw_frag, FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER);
    assert_int_equal(f.nw_proto, 17);
    assert_int_equal(f.tp_src, 0);
    assert_int_equal(info.l4_ofs, FLOW_OFS_NONE);
    assert_fmt(&f, "in_port=7,dl_src=02:00:00:00:00:0a,"
               "dl_dst=02:00:00:00:00:0b,dl_type=0x0800,nw_src=10.0.0.1,"
               "nw_dst=192.168.1.2,nw_proto=17,nw_tos=184,nw_ecn=1,"
               "nw_ttl=64,nw_frag=later");

    /* Last fragment (offset, no MF) is later too; a truncated later
     * fragment is fine since nothing past IP is read. */
    put_eth(&p, 0x0800);
    put_ipv4(&p, 6, 3, 0);
    put8(&p, 0xaa);
    fix_ipv4(&p);
    f = parse_ok(&p, &info);
    assert_int_equal(f.nw_frag, FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER);
}

static void
test_l4_tcp(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow f;

    (void) state;
    /* TCP: every flag, NS included. */
    put_eth(&p, 0x0800);
    put_ipv4(&p, 6, 0, 0);
    put_tcp(&p, 0x1ff, 5);
    fix_ipv4(&p);
    f = parse_ok(&p, &info);
    assert_int_equal(ntohs(f.tcp_flags), 0x1ff);
    assert_int_equal(info.l7_ofs, 54);

    /* TCP data offset < 5, and past the segment. */
    struct pkt bad = p;
    bad.b[46] = 0x40 | (bad.b[46] & 0x0f);
    assert_int_equal(parse_status(&bad, bad.len, &f, &info),
                     FLOW_PARSE_BAD_TCP_OFF);
    assert_int_equal(f.tp_src, 0);
    assert_int_equal(f.nw_proto, 6);
    bad.b[46] = 0x60 | (bad.b[46] & 0x0f);
    assert_int_equal(parse_status(&bad, bad.len, &f, &info),
                     FLOW_PARSE_BAD_TCP_OFF);

}

static void
test_l4_sctp_icmp_udp(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow f;

    (void) state;
    /* SCTP: 12-byte common header. */
    put_eth(&p, 0x0800);
    put_ipv4(&p, 132, 0, 0);
    put16(&p, 2905);
    put16(&p, 2906);
    put32(&p, 0xdeadbeef);
    put32(&p, 0);
    fix_ipv4(&p);
    f = parse_ok(&p, &info);
    assert_int_equal(f.tp_src, htons(2905));
    assert_int_equal(f.tp_dst, htons(2906));
    p.len -= 1;
    fix_ipv4(&p);
    assert_int_equal(parse_status(&p, p.len, &f, &info),
                     FLOW_PARSE_TRUNCATED_L4);

    /* ICMP echo request: type 8 code 0 in tp_src / tp_dst. */
    put_eth(&p, 0x0800);
    put_ipv4(&p, 1, 0, 0);
    put8(&p, 8);
    put8(&p, 0);
    put16(&p, 0);
    put32(&p, 0x00010001);
    fix_ipv4(&p);
    f = parse_ok(&p, &info);
    assert_int_equal(f.tp_src, htons(8));
    assert_int_equal(f.tp_dst, htons(0));
    assert_fmt(&f, "in_port=7,dl_src=02:00:00:00:00:0a,"
               "dl_dst=02:00:00:00:00:0b,dl_type=0x0800,nw_src=10.0.0.1,"
               "nw_dst=192.168.1.2,nw_proto=1,nw_tos=184,nw_ecn=1,"
               "nw_ttl=64,nw_frag=no,icmp_type=8,icmp_code=0");

    /* UDP cut short by the IP total length. */
    put_eth(&p, 0x0800);
    put_ipv4(&p, 17, 0, 0);
    put_udp(&p, 1, 2);
    p.len -= 1;
    fix_ipv4(&p);
    assert_int_equal(parse_status(&p, p.len, &f, &info),
                     FLOW_PARSE_TRUNCATED_L4);
}

/* ----------------------------------------------------------------------
 * IPv6. */

static void
test_ipv6_ext_headers(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow f;

    (void) state;
    /* Hop-by-hop, routing, destination options, AH, then UDP. */
    put_eth(&p, 0x86dd);
    put_ipv6(&p, 0);
    put_ext(&p, 43, 0);                 /* HBH, 8 bytes */
    put_ext(&p, 60, 1);                 /* routing, 16 bytes */
    put_ext(&p, 51, 0);                 /* dst opts, 8 bytes */
    put8(&p, 17);                       /* AH: (2 + 2) * 4 = 16 bytes */
    put8(&p, 2);
    put_zeros(&p, 14);
    put_udp(&p, 546, 547);
    fix_ipv6(&p);
    f = parse_ok(&p, &info);
    assert_int_equal(f.dl_type, htons(0x86dd));
    assert_memory_equal(f.ipv6_src.s6, IP6_SRC, 16);
    assert_memory_equal(f.ipv6_dst.s6, IP6_DST, 16);
    assert_int_equal(f.ipv6_label, htonl(0x12345));
    assert_int_equal(f.nw_tos, 0xa9);
    assert_int_equal(f.nw_ttl, 255);
    assert_int_equal(f.nw_proto, 17);
    assert_int_equal(info.n_ext_hdrs, 4);
    assert_int_equal(info.l4_ofs, 14 + 40 + 48);
    assert_int_equal(f.tp_src, htons(546));
    assert_fmt(&f, "in_port=7,dl_src=02:00:00:00:00:0a,"
               "dl_dst=02:00:00:00:00:0b,dl_type=0x86dd,"
               "ipv6_src=2001:db8::1,ipv6_dst=fe80::2,ipv6_label=0x12345,"
               "nw_proto=17,nw_tos=168,nw_ecn=1,nw_ttl=255,nw_frag=no,"
               "tp_src=546,tp_dst=547");

    /* Cut inside the routing header. */
    struct pkt cut = p;
    cut.len = 14 + 40 + 8 + 10;
    fix_ipv6(&cut);
    assert_int_equal(parse_status(&cut, cut.len, &f, &info),
                     FLOW_PARSE_TRUNCATED_L3);
    assert_int_equal(f.nw_proto, 0);
    assert_memory_equal(f.ipv6_src.s6, IP6_SRC, 16);

}

static void
test_ipv6_ext_header_errors(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow f;

    (void) state;
    /* Hop-by-hop after another extension header (RFC 8200 4.1). */
    put_eth(&p, 0x86dd);
    put_ipv6(&p, 60);
    put_ext(&p, 0, 0);
    put_ext(&p, 17, 0);
    put_udp(&p, 1, 2);
    fix_ipv6(&p);
    assert_int_equal(parse_status(&p, p.len, &f, &info),
                     FLOW_PARSE_BAD_IPV6_EXT_HDR);

    /* Eight extension headers are fine, nine are too many. */
    for (int n = 8; n <= 9; n++) {
        put_eth(&p, 0x86dd);
        put_ipv6(&p, 60);
        for (int i = 0; i < n; i++) {
            put_ext(&p, i == n - 1 ? 17 : 60, 0);
        }
        put_udp(&p, 1, 2);
        fix_ipv6(&p);
        enum flow_parse_status s = parse_status(&p, p.len, &f, &info);
        assert_int_equal(s, n == 8 ? FLOW_PARSE_OK
                                   : FLOW_PARSE_TOO_MANY_EXT_HDRS);
        assert_int_equal(f.tp_src, n == 8 ? htons(1) : 0);
    }

    /* Payload length beyond the frame. */
    put_eth(&p, 0x86dd);
    put_ipv6(&p, 59);
    fix_ipv6(&p);
    p.b[14 + 5] = 1;
    assert_int_equal(parse_status(&p, p.len, &f, &info),
                     FLOW_PARSE_BAD_IPV6_LEN);
    assert_int_equal(f.ipv6_label, 0);
    p.b[14] = 0x4a;
    assert_int_equal(parse_status(&p, p.len, &f, &info),
                     FLOW_PARSE_BAD_IP_VERSION);
}

static void
test_ipv6_fragments(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow f;

    (void) state;
    /* First fragment (offset 0, M): TCP parsed. */
    put_eth(&p, 0x86dd);
    put_ipv6(&p, 44);
    put_frag6(&p, 6, 0x0001);
    put_tcp(&p, FLOW_TCP_FIN | FLOW_TCP_ACK, 5);
    fix_ipv6(&p);
    f = parse_ok(&p, &info);
    assert_int_equal(f.nw_frag, FLOW_NW_FRAG_ANY);
    assert_int_equal(f.nw_proto, 6);
    assert_int_equal(f.tcp_flags, htons(FLOW_TCP_FIN | FLOW_TCP_ACK));

    /* Later fragment: offset 1 (8 bytes). */
    put_eth(&p, 0x86dd);
    put_ipv6(&p, 44);
    put_frag6(&p, 6, 1 << 3);
    put_zeros(&p, 8);
    fix_ipv6(&p);
    f = parse_ok(&p, &info);
    assert_int_equal(f.nw_frag, FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER);
    assert_int_equal(f.nw_proto, 6);
    assert_int_equal(f.tp_src, 0);
    assert_int_equal(info.l4_ofs, FLOW_OFS_NONE);

    /* Atomic fragment (RFC 8200 4.5: offset 0, M clear): not a fragment. */
    put_eth(&p, 0x86dd);
    put_ipv6(&p, 44);
    put_frag6(&p, 17, 0);
    put_udp(&p, 9, 10);
    fix_ipv6(&p);
    f = parse_ok(&p, &info);
    assert_int_equal(f.nw_frag, 0);
    assert_int_equal(f.tp_dst, htons(10));
}

static void
put_nd(struct pkt *p, uint8_t type)
{
    put_eth(p, 0x86dd);
    put_ipv6(p, 58);
    put8(p, type);
    put8(p, 0);
    put16(p, 0);
    put32(p, type == 136 ? 0x60000000 : 0);
    put(p, IP6_DST, 16);
}

static void
test_icmpv6_nd(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow f;

    (void) state;
    /* Echo request. */
    put_eth(&p, 0x86dd);
    put_ipv6(&p, 58);
    put8(&p, 128);
    put8(&p, 0);
    put16(&p, 0);
    put32(&p, 0x00010002);
    fix_ipv6(&p);
    f = parse_ok(&p, &info);
    assert_int_equal(f.nw_proto, 58);
    assert_int_equal(f.tp_src, htons(128));

    /* Neighbor solicitation with a source link-layer address option. */
    put_nd(&p, 135);
    put8(&p, 1);
    put8(&p, 1);
    put(&p, MAC_A, 6);
    fix_ipv6(&p);
    f = parse_ok(&p, &info);
    assert_int_equal(f.tp_src, htons(135));
    assert_memory_equal(f.nd_target.s6, IP6_DST, 16);
    assert_memory_equal(f.arp_sha.ea, MAC_A, 6);
    assert_fmt(&f, "in_port=7,dl_src=02:00:00:00:00:0a,"
               "dl_dst=02:00:00:00:00:0b,dl_type=0x86dd,"
               "ipv6_src=2001:db8::1,ipv6_dst=fe80::2,ipv6_label=0x12345,"
               "nw_proto=58,nw_tos=168,nw_ecn=1,nw_ttl=255,nw_frag=no,"
               "icmp_type=135,icmp_code=0,nd_target=fe80::2,"
               "nd_sll=02:00:00:00:00:0a,nd_tll=00:00:00:00:00:00");

    /* A second SLL option is invalid. */
    put8(&p, 1);
    put8(&p, 1);
    put(&p, MAC_B, 6);
    fix_ipv6(&p);
    assert_int_equal(parse_status(&p, p.len, &f, &info),
                     FLOW_PARSE_BAD_ND_OPTION);
    assert_int_equal(f.tp_src, htons(135));
    assert_int_equal(f.arp_sha.ea[5], 0);

}

static void
test_icmpv6_nd_na(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow f;

    (void) state;
    /* Advertisement with a target link-layer address option. */
    put_nd(&p, 136);
    put8(&p, 2);
    put8(&p, 1);
    put(&p, MAC_B, 6);
    fix_ipv6(&p);
    f = parse_ok(&p, &info);
    assert_memory_equal(f.arp_tha.ea, MAC_B, 6);

    /* Option length 0 (RFC 4861 4.6: must be discarded). */
    put_nd(&p, 136);
    put8(&p, 2);
    put8(&p, 0);
    put_zeros(&p, 6);
    fix_ipv6(&p);
    assert_int_equal(parse_status(&p, p.len, &f, &info),
                     FLOW_PARSE_BAD_ND_OPTION);
    assert_int_equal(f.nd_target.s6[0], 0);

    /* Target cut off. */
    put_nd(&p, 135);
    p.len -= 4;
    fix_ipv6(&p);
    assert_int_equal(parse_status(&p, p.len, &f, &info),
                     FLOW_PARSE_TRUNCATED_L4);
    assert_int_equal(f.tp_src, htons(135));
}

/* ----------------------------------------------------------------------
 * Truncation at every length. */

static void
test_truncate_tcp_ipv6(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow f;

    (void) state;
    put_eth(&p, 0x8100);
    put_vlan(&p, 42, 0x86dd);
    put_ipv6(&p, 0);
    put_ext(&p, 44, 0);                 /* HBH */
    put_frag6(&p, 6, 0x0001);           /* first fragment */
    put_tcp(&p, FLOW_TCP_SYN, 7);
    put(&p, "payload", 7);
    fix_ipv6(&p);
    size_t full = p.len;
    const size_t l3 = 18, l4 = 18 + 40 + 16;

    for (size_t len = 0; len <= full; len++) {
        enum flow_parse_status s = parse_status(&p, len, &f, &info);
        enum flow_parse_status want;

        if (len < 18) {
            want = FLOW_PARSE_TRUNCATED_L2;
        } else if (len < l3 + 40) {
            want = FLOW_PARSE_TRUNCATED_L3;
        } else if (len < full) {
            want = FLOW_PARSE_BAD_IPV6_LEN;
        } else {
            want = FLOW_PARSE_OK;
        }
        if (s != want) {
            print_error("len %zu: status %s, expected %s\n", len,
                        flow_parse_status_name(s),
                        flow_parse_status_name(want));
            fail();
        }
        assert_int_equal(f.in_port, 7);
        if (len >= 14) {
            assert_memory_equal(f.dl_src.ea, MAC_A, 6);
        }
    }
    assert_int_equal(info.l4_ofs, l4);
    assert_int_equal(f.tp_dst, htons(80));

    /* The same cuts with the frame length intact but only a prefix
     * copied: the truncations land in each layer. */
    for (size_t len = l3 + 40; len < full; len++) {
        uint8_t *copy = malloc(len);
        assert_non_null(copy);
        memcpy(copy, p.b, len);
        int rc = flow_extract_prefix(copy, len, full, 3, &f, &info);
        free(copy);
        enum flow_parse_status want = len < l4 ? FLOW_PARSE_TRUNCATED_L3
                                    : len < l4 + 28 ? FLOW_PARSE_TRUNCATED_L4
                                    : FLOW_PARSE_OK;
        assert_int_equal(info.status, want);
        assert_int_equal(rc, want == FLOW_PARSE_OK ? 0 : -EINVAL);
        assert_memory_equal(f.ipv6_dst.s6, IP6_DST, 16);
    }
}

static void
test_truncate_tcp_ipv4(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    struct flow f;

    (void) state;
    put_eth(&p, 0x0800);
    put_ipv4(&p, 6, 0, 4);
    put_tcp(&p, FLOW_TCP_RST, 6);
    fix_ipv4(&p);
    size_t full = p.len;

    for (size_t len = 0; len <= full; len++) {
        enum flow_parse_status s = parse_status(&p, len, &f, &info);
        enum flow_parse_status want =
            len < 14 ? FLOW_PARSE_TRUNCATED_L2
            : len < 34 ? FLOW_PARSE_TRUNCATED_L3
            : len < 38 ? FLOW_PARSE_BAD_IPV4_IHL
            : len < full ? FLOW_PARSE_BAD_IPV4_LEN : FLOW_PARSE_OK;
        assert_int_equal(s, want);
        assert_int_equal(f.nw_src, s == FLOW_PARSE_OK ? htonl(0x0a000001)
                                                      : 0);
    }
}

/* Random corruption of valid packets in exact-size buffers: under ASan
 * this is a cheap in-tree fuzzer; always, the result must be a key. */
static void
test_random_corruption(void **state)
{
    struct pkt seeds[3];
    struct flow_parse_info info;
    struct flow f;
    uint32_t x = 12345;

    (void) state;
    put_eth(&seeds[0], 0x88a8);
    put_vlan(&seeds[0], 1, 0x8100);
    put_vlan(&seeds[0], 2, 0x0800);
    put_ipv4(&seeds[0], 6, 0, 8);
    put_tcp(&seeds[0], 2, 6);
    fix_ipv4(&seeds[0]);
    put_eth(&seeds[1], 0x86dd);
    put_ipv6(&seeds[1], 0);
    put_ext(&seeds[1], 44, 1);
    put_frag6(&seeds[1], 58, 1);
    put8(&seeds[1], 135);
    put_zeros(&seeds[1], 23);
    put8(&seeds[1], 1);
    put8(&seeds[1], 1);
    put(&seeds[1], MAC_A, 6);
    fix_ipv6(&seeds[1]);
    put_nd(&seeds[2], 136);
    fix_ipv6(&seeds[2]);

    for (int iter = 0; iter < 200000; iter++) {
        struct pkt p = seeds[iter % 3];
        for (int k = 0; k < 1 + (iter & 3); k++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            p.b[x % p.len] ^= (uint8_t) (x >> 24);
        }
        size_t len = (x >> 8) % (p.len + 1);
        enum flow_parse_status s = parse_status(&p, len, &f, &info);
        assert_true((unsigned) s < FLOW_PARSE_N_STATUS);
        assert_true(info.l3_ofs == FLOW_OFS_NONE || info.l3_ofs <= len);
        assert_true(info.l4_ofs == FLOW_OFS_NONE || info.l4_ofs <= len);
        assert_true(info.l7_ofs == FLOW_OFS_NONE || info.l7_ofs <= len);
    }
}

static void
test_format_truncation(void **state)
{
    struct pkt p;
    struct flow_parse_info info;
    char buf[20];
    struct flow f;

    (void) state;
    put_eth(&p, 0x0800);
    put_ipv4(&p, 17, 0, 0);
    put_udp(&p, 1, 2);
    fix_ipv4(&p);
    f = parse_ok(&p, &info);
    memset(buf, 'x', sizeof buf);
    flow_format(&f, buf, sizeof buf);
    assert_int_equal(strlen(buf), sizeof buf - 1);
    assert_memory_equal(buf, "in_port=7,dl_src=02", 19);
    f.regs[3] = 0x10;
    f.metadata = 0xabc;
    char big[FLOW_FORMAT_SIZE];
    assert_non_null(strstr(flow_format(&f, big, sizeof big),
                           "in_port=7,metadata=0xabc,reg3=0x10,"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_hash_equal_mask),
        cmocka_unit_test(test_hash_quality),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_eth_plain),
        cmocka_unit_test(test_vlan_qinq),
        cmocka_unit_test(test_vlan_third_and_truncated),
        cmocka_unit_test(test_arp),
        cmocka_unit_test(test_ipv4_options_and_bad_headers),
        cmocka_unit_test(test_ipv4_padding_bounds_l4),
        cmocka_unit_test(test_ipv4_fragments),
        cmocka_unit_test(test_l4_tcp),
        cmocka_unit_test(test_l4_sctp_icmp_udp),
        cmocka_unit_test(test_ipv6_ext_headers),
        cmocka_unit_test(test_ipv6_ext_header_errors),
        cmocka_unit_test(test_ipv6_fragments),
        cmocka_unit_test(test_icmpv6_nd),
        cmocka_unit_test(test_icmpv6_nd_na),
        cmocka_unit_test(test_truncate_tcp_ipv6),
        cmocka_unit_test(test_truncate_tcp_ipv4),
        cmocka_unit_test(test_random_corruption),
        cmocka_unit_test(test_format_truncation),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
