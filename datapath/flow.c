/* SPDX-License-Identifier: Apache-2.0 */
/* Flow key helpers: hashing, comparison, masking, formatting. */
#include "flow.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dp_fmt.h"

/* 64x64->128-bit multiply, folded: every output bit depends on every
 * input bit of both operands. */
static inline uint64_t
flow_hash_mum(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t) a * b;

    return (uint64_t) r ^ (uint64_t) (r >> 64);
}

/* The full-key hash the EMC computes for every packet, so it is built for
 * speed: a wyhash-style multiply-fold that consumes two words per
 * multiplication, in three independent lanes, so the cost is about six
 * multiplies of latency instead of a 19-step dependency chain.  Each step
 * adds the lane's previous state back in: if a word happens to cancel its
 * constant (a zero product), that block is lost but the state is not. */
uint32_t
flow_hash(const struct flow *flow, uint32_t basis)
{
    static const uint64_t k0 = 0xa0761d6478bd642fULL;
    static const uint64_t k1 = 0xe7037ed1a0b428dbULL;
    static const uint64_t k2 = 0x8ebc6af09c88c6e3ULL;
    static const uint64_t k3 = 0x589965cc75374cc3ULL;
    const flow_u64 *w = flow_u64s(flow);
    uint64_t s0 = basis ^ k0, s1 = s0 ^ k2, s2 = s0 ^ k3;
    size_t i;

    for (i = 0; i + 6 <= FLOW_U64S; i += 6) {
        s0 += flow_hash_mum(w[i] ^ k1, w[i + 1] ^ s0);
        s1 += flow_hash_mum(w[i + 2] ^ k2, w[i + 3] ^ s1);
        s2 += flow_hash_mum(w[i + 4] ^ k3, w[i + 5] ^ s2);
    }
    s0 ^= flow_hash_rotl64(s1, 21) ^ flow_hash_rotl64(s2, 42);
    for (; i < FLOW_U64S; i++) {
        s0 += flow_hash_mum(w[i] ^ k1, s0 ^ k2);
    }
    return (uint32_t) flow_hash_mum(s0 ^ k0, FLOW_U64S ^ k1);
}

uint32_t
flow_hash_masked(const struct flow *flow, const struct flow_wc *mask,
                 uint32_t basis)
{
    const flow_u64 *w = flow_u64s(flow);
    const flow_u64 *m = flow_u64s(&mask->masks);
    uint64_t hash = basis;
    uint32_t n = 0;

    for (size_t i = 0; i < FLOW_U64S; i++) {
        if (m[i]) {
            hash = flow_hash_add64(hash, w[i] & m[i]);
            n++;
        }
    }
    return flow_hash_finish(hash, n);
}

bool
flow_equal_masked(const struct flow *a, const struct flow *b,
                  const struct flow_wc *mask)
{
    const flow_u64 *wa = flow_u64s(a);
    const flow_u64 *wb = flow_u64s(b);
    const flow_u64 *m = flow_u64s(&mask->masks);
    uint64_t diff = 0;

    for (size_t i = 0; i < FLOW_U64S; i++) {
        diff |= (wa[i] ^ wb[i]) & m[i];
    }
    return !diff;
}

void
flow_zero_wildcards(struct flow *flow, const struct flow_wc *mask)
{
    flow_u64 *w = flow_u64s_rw(flow);
    const flow_u64 *m = flow_u64s(&mask->masks);

    for (size_t i = 0; i < FLOW_U64S; i++) {
        w[i] &= m[i];
    }
}

void
flow_wc_init_catchall(struct flow_wc *wc)
{
    memset(wc, 0, sizeof *wc);
}

void
flow_wc_init_exact(struct flow_wc *wc)
{
    memset(wc, 0xff, sizeof *wc);
    memset(wc->masks.pad, 0, sizeof wc->masks.pad);
}

bool
flow_wc_is_catchall(const struct flow_wc *wc)
{
    const flow_u64 *m = flow_u64s(&wc->masks);
    uint64_t any = 0;

    for (size_t i = 0; i < FLOW_U64S; i++) {
        any |= m[i];
    }
    return !any;
}

/* ----------------------------------------------------------------------
 * Formatting. */

static void
fmt_mac(struct dp_fmt *fb, const char *name, const struct flow_eth_addr *a)
{
    const uint8_t *e = a->ea;

    dp_fmt_put(fb, ",%s=%02x:%02x:%02x:%02x:%02x:%02x",
            name, e[0], e[1], e[2], e[3], e[4], e[5]);
}

static void
fmt_ip4(struct dp_fmt *fb, const char *name, rsw_be32 addr)
{
    const uint8_t *b = (const uint8_t *) &addr;

    dp_fmt_put(fb, ",%s=%u.%u.%u.%u", name, b[0], b[1], b[2], b[3]);
}

static void
fmt_ip6(struct dp_fmt *fb, const char *name, const struct flow_in6_addr *a)
{
    char s[INET6_ADDRSTRLEN];

    if (!inet_ntop(AF_INET6, a->s6, s, sizeof s)) {
        snprintf(s, sizeof s, "?");
    }
    dp_fmt_put(fb, ",%s=%s", name, s);
}

static void
fmt_metadata(struct dp_fmt *fb, const struct flow *flow)
{
    dp_fmt_put(fb, "in_port=%" PRIu32, flow->in_port);
    if (flow->metadata) {
        dp_fmt_put(fb, ",metadata=%#" PRIx64, flow->metadata);
    }
    for (size_t i = 0; i < RSW_ARRAY_SIZE(flow->regs); i++) {
        if (flow->regs[i]) {
            dp_fmt_put(fb, ",reg%zu=%#" PRIx32, i, flow->regs[i]);
        }
    }
}

static void
fmt_l2(struct dp_fmt *fb, const struct flow *flow)
{
    fmt_mac(fb, "dl_src", &flow->dl_src);
    fmt_mac(fb, "dl_dst", &flow->dl_dst);
    for (size_t i = 0; i < FLOW_MAX_VLANS && flow->vlans[i].tpid; i++) {
        uint16_t tci = ntohs(flow->vlans[i].tci);

        dp_fmt_put(fb, ",vlan%zu(tpid=0x%04x,vid=%u,pcp=%u%s)", i,
                ntohs(flow->vlans[i].tpid), tci & 0xfff, tci >> 13,
                tci & 0x1000 ? ",dei" : "");
    }
    dp_fmt_put(fb, ",dl_type=0x%04x", ntohs(flow->dl_type));
}

static void
fmt_ip_common(struct dp_fmt *fb, const struct flow *flow)
{
    static const char *const frag[] = { "no", "first", "?", "later" };

    dp_fmt_put(fb, ",nw_proto=%u,nw_tos=%u,nw_ecn=%u,nw_ttl=%u,nw_frag=%s",
            flow->nw_proto, flow->nw_tos & 0xfc, flow->nw_tos & 0x03,
            flow->nw_ttl, frag[flow->nw_frag & FLOW_NW_FRAG_MASK]);
}

static void
fmt_l4(struct dp_fmt *fb, const struct flow *flow, bool is_ipv6)
{
    uint8_t icmp = is_ipv6 ? 58 : 1;

    if (flow->nw_frag & FLOW_NW_FRAG_LATER) {
        return;
    }
    if (flow->nw_proto == icmp) {
        dp_fmt_put(fb, ",icmp_type=%u,icmp_code=%u",
                ntohs(flow->tp_src), ntohs(flow->tp_dst));
        if (is_ipv6 && (ntohs(flow->tp_src) == 135
                        || ntohs(flow->tp_src) == 136)) {
            fmt_ip6(fb, "nd_target", &flow->nd_target);
            fmt_mac(fb, "nd_sll", &flow->arp_sha);
            fmt_mac(fb, "nd_tll", &flow->arp_tha);
        }
        return;
    }
    if (flow->nw_proto == 6 || flow->nw_proto == 17
        || flow->nw_proto == 132) {
        dp_fmt_put(fb, ",tp_src=%u,tp_dst=%u",
                ntohs(flow->tp_src), ntohs(flow->tp_dst));
    }
    if (flow->nw_proto == 6) {
        dp_fmt_put(fb, ",tcp_flags=0x%03x", ntohs(flow->tcp_flags));
    }
}

char *
flow_format(const struct flow *flow, char *buf, size_t size)
{
    struct dp_fmt fb = dp_fmt_init(buf, size);
    uint16_t dl_type = ntohs(flow->dl_type);

    fmt_metadata(&fb, flow);
    fmt_l2(&fb, flow);
    if (dl_type == 0x0800) {
        fmt_ip4(&fb, "nw_src", flow->nw_src);
        fmt_ip4(&fb, "nw_dst", flow->nw_dst);
        fmt_ip_common(&fb, flow);
        fmt_l4(&fb, flow, false);
    } else if (dl_type == 0x86dd) {
        fmt_ip6(&fb, "ipv6_src", &flow->ipv6_src);
        fmt_ip6(&fb, "ipv6_dst", &flow->ipv6_dst);
        dp_fmt_put(&fb, ",ipv6_label=0x%05x",
                ntohl(flow->ipv6_label));
        fmt_ip_common(&fb, flow);
        fmt_l4(&fb, flow, true);
    } else if (dl_type == 0x0806) {
        dp_fmt_put(&fb, ",arp_op=%u", ntohs(flow->arp_op));
        fmt_ip4(&fb, "arp_spa", flow->nw_src);
        fmt_ip4(&fb, "arp_tpa", flow->nw_dst);
        fmt_mac(&fb, "arp_sha", &flow->arp_sha);
        fmt_mac(&fb, "arp_tha", &flow->arp_tha);
    }
    return buf;
}
