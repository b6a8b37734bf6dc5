/* SPDX-License-Identifier: Apache-2.0 */
/* Packet parser: Ethernet frame -> struct flow.
 *
 * The input is untrusted: a guest or a wire can hand us any bytes, truncated
 * anywhere.  Every read goes through a bounds check against the readable
 * length first, and every length field from the packet (IHL, total length,
 * payload length, extension header lengths, TCP data offset, ND option
 * lengths) is validated before it moves the parse position.  A layer's
 * fields are stored only once its header is known to be complete and sane;
 * parsing stops at the first bad layer and says why in flow_parse_info.
 *
 * Two limits apply while parsing:
 *  - 'rd_end': bytes we may read (the copied prefix, and never beyond the
 *    L3 payload once the L3 header told us where it ends);
 *  - 'pl_end': where the frame (or the L3 payload) logically ends, used for
 *    the length checks.  With flow_extract() both come from 'len'. */
#include "flow.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#define ETH_HDR_LEN   14
#define VLAN_HDR_LEN  4
#define ETH_TYPE_MIN  0x0600  /* IEEE 802.3: smaller values are lengths */
#define ETH_TYPE_IP   0x0800
#define ETH_TYPE_ARP  0x0806
#define ETH_TYPE_VLAN 0x8100  /* IEEE 802.1Q C-tag */
#define ETH_TYPE_QINQ 0x88a8  /* IEEE 802.1ad S-tag */
#define ETH_TYPE_IPV6 0x86dd

#define ARP_HDR_LEN      8
#define ARP_ETH_IP_LEN   28
#define IPV4_HDR_LEN     20
#define IPV6_HDR_LEN     40
#define TCP_HDR_LEN      20
#define UDP_HDR_LEN      8
#define SCTP_HDR_LEN     12
#define ICMP_HDR_LEN     8
#define ICMP6_HDR_LEN    4
#define ND_MSG_LEN       24  /* ICMPv6 header + reserved/flags + target */

#define IPPROTO_HOPOPTS_  0
#define IPPROTO_ICMP_     1
#define IPPROTO_TCP_      6
#define IPPROTO_UDP_      17
#define IPPROTO_ROUTING_  43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_AH_       51
#define IPPROTO_ICMPV6_   58
#define IPPROTO_DSTOPTS_  60
#define IPPROTO_SCTP_     132

#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT  136
#define ND_OPT_SLL 1
#define ND_OPT_TLL 2

struct parse_ctx {
    const uint8_t *pkt;
    size_t ofs;          /* current position */
    size_t rd_end;       /* first byte we may not read */
    size_t pl_end;       /* logical end of the frame / L3 payload */
    struct flow *flow;
    struct flow_parse_info *info;
};

static inline uint16_t
get_16(const uint8_t *p)
{
    uint16_t v;

    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint32_t
get_32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint16_t
get_be16_host(const uint8_t *p)
{
    return (uint16_t) (p[0] << 8 | p[1]);
}

static inline size_t
readable(const struct parse_ctx *ctx)
{
    return ctx->rd_end > ctx->ofs ? ctx->rd_end - ctx->ofs : 0;
}

static inline size_t
logical(const struct parse_ctx *ctx)
{
    return ctx->pl_end > ctx->ofs ? ctx->pl_end - ctx->ofs : 0;
}

static inline const uint8_t *
cur(const struct parse_ctx *ctx)
{
    return ctx->pkt + ctx->ofs;
}

static inline enum flow_parse_status
fail(struct parse_ctx *ctx, enum flow_parse_status status)
{
    ctx->info->status = status;
    return status;
}

/* ----------------------------------------------------------------------
 * L4. */

/* TCP, RFC 9293 §3.1 (was RFC 793): data offset counts 32-bit words, and a
 * header shorter than 5 words or longer than the segment is invalid. */
static enum flow_parse_status
parse_tcp(struct parse_ctx *ctx)
{
    const uint8_t *p = cur(ctx);

    if (readable(ctx) < TCP_HDR_LEN) {
        return fail(ctx, FLOW_PARSE_TRUNCATED_L4);
    }
    size_t hlen = (size_t) (p[12] >> 4) * 4;
    if (hlen < TCP_HDR_LEN || hlen > logical(ctx)) {
        return fail(ctx, FLOW_PARSE_BAD_TCP_OFF);
    }
    if (hlen > readable(ctx)) {
        return fail(ctx, FLOW_PARSE_TRUNCATED_L4);
    }
    ctx->flow->tp_src = get_16(p);
    ctx->flow->tp_dst = get_16(p + 2);
    /* Word 6 is offset(4) | reserved(3) | NS | CWR ... FIN (RFC 3540, 3168):
     * the low 12 bits are the flags. */
    ctx->flow->tcp_flags = get_16(p + 12) & htons(FLOW_TCP_FLAGS_MASK);
    ctx->info->l7_ofs = (uint32_t) (ctx->ofs + hlen);
    return FLOW_PARSE_OK;
}

/* UDP (RFC 768) and SCTP (RFC 9260 §3.1): ports in the first 4 bytes of a
 * fixed-size header. */
static enum flow_parse_status
parse_ports(struct parse_ctx *ctx, size_t hlen)
{
    const uint8_t *p = cur(ctx);

    if (readable(ctx) < hlen) {
        return fail(ctx, FLOW_PARSE_TRUNCATED_L4);
    }
    ctx->flow->tp_src = get_16(p);
    ctx->flow->tp_dst = get_16(p + 2);
    ctx->info->l7_ofs = (uint32_t) (ctx->ofs + hlen);
    return FLOW_PARSE_OK;
}

/* ICMP (RFC 792: every message starts with an 8-byte header) and ICMPv6
 * (RFC 4443 §2.1: type, code, checksum). */
static enum flow_parse_status
parse_icmp(struct parse_ctx *ctx, size_t hlen)
{
    const uint8_t *p = cur(ctx);

    if (readable(ctx) < hlen) {
        return fail(ctx, FLOW_PARSE_TRUNCATED_L4);
    }
    ctx->flow->tp_src = htons(p[0]);
    ctx->flow->tp_dst = htons(p[1]);
    ctx->info->l7_ofs = (uint32_t) (ctx->ofs + hlen);
    return FLOW_PARSE_OK;
}

static void
nd_clear(struct flow *flow)
{
    memset(&flow->nd_target, 0, sizeof flow->nd_target);
    memset(&flow->arp_sha, 0, sizeof flow->arp_sha);
    memset(&flow->arp_tha, 0, sizeof flow->arp_tha);
}

/* One ND option at 'p' with 'left' readable bytes: RFC 4861 §4.6 says the
 * length is in units of 8 octets and a zero length must be discarded.  The
 * link-layer address options are taken only where §4.3/§4.4 allow them (SLL
 * in a solicitation, TLL in an advertisement) and only once. */
static int
nd_option(struct flow *flow, const uint8_t *p, size_t left, uint8_t type,
          bool *seen)
{
    if (left < 2 || p[1] == 0 || (size_t) p[1] * 8 > left) {
        return -1;
    }
    if (p[1] == 1) {
        bool sll = p[0] == ND_OPT_SLL && type == ND_NEIGHBOR_SOLICIT;
        bool tll = p[0] == ND_OPT_TLL && type == ND_NEIGHBOR_ADVERT;

        if (sll || tll) {
            if (*seen) {
                return -1;
            }
            *seen = true;
            memcpy(sll ? flow->arp_sha.ea : flow->arp_tha.ea, p + 2,
                   FLOW_ETH_ALEN);
        }
    }
    return p[1] * 8;
}

/* Neighbor Solicitation / Advertisement, RFC 4861 §4.3-4.4. */
static enum flow_parse_status
parse_nd(struct parse_ctx *ctx, uint8_t type)
{
    const uint8_t *p = cur(ctx);
    bool seen = false;

    if (readable(ctx) < ND_MSG_LEN) {
        return fail(ctx, FLOW_PARSE_TRUNCATED_L4);
    }
    memcpy(ctx->flow->nd_target.s6, p + 8, sizeof ctx->flow->nd_target);
    for (size_t ofs = ND_MSG_LEN; ofs < readable(ctx);) {
        int n = nd_option(ctx->flow, p + ofs, readable(ctx) - ofs, type,
                          &seen);
        if (n < 0) {
            nd_clear(ctx->flow);
            return fail(ctx, FLOW_PARSE_BAD_ND_OPTION);
        }
        ofs += (size_t) n;
    }
    return FLOW_PARSE_OK;
}

static enum flow_parse_status
parse_l4(struct parse_ctx *ctx, bool ipv6)
{
    uint8_t proto = ctx->flow->nw_proto;

    ctx->info->l4_ofs = (uint32_t) ctx->ofs;
    switch (proto) {
    case IPPROTO_TCP_:
        return parse_tcp(ctx);
    case IPPROTO_UDP_:
        return parse_ports(ctx, UDP_HDR_LEN);
    case IPPROTO_SCTP_:
        return parse_ports(ctx, SCTP_HDR_LEN);
    case IPPROTO_ICMP_:
        return ipv6 ? FLOW_PARSE_OK : parse_icmp(ctx, ICMP_HDR_LEN);
    case IPPROTO_ICMPV6_: {
        if (!ipv6) {
            return FLOW_PARSE_OK;
        }
        enum flow_parse_status s = parse_icmp(ctx, ICMP6_HDR_LEN);
        if (s != FLOW_PARSE_OK) {
            return s;
        }
        uint8_t type = cur(ctx)[0];
        if (cur(ctx)[1] == 0
            && (type == ND_NEIGHBOR_SOLICIT || type == ND_NEIGHBOR_ADVERT)) {
            s = parse_nd(ctx, type);
        }
        return s;
    }
    default:
        return FLOW_PARSE_OK;
    }
}

/* ----------------------------------------------------------------------
 * L3. */

/* ARP, RFC 826; only Ethernet/IPv4 ARP has fields in the key (others parse
 * fine but leave them zero, as in OVS). */
static enum flow_parse_status
parse_arp(struct parse_ctx *ctx)
{
    const uint8_t *p = cur(ctx);
    struct flow *flow = ctx->flow;

    if (readable(ctx) < ARP_HDR_LEN) {
        return fail(ctx, FLOW_PARSE_TRUNCATED_L3);
    }
    if (get_be16_host(p) != 1 || get_be16_host(p + 2) != ETH_TYPE_IP
        || p[4] != FLOW_ETH_ALEN || p[5] != 4) {
        return FLOW_PARSE_OK;
    }
    if (readable(ctx) < ARP_ETH_IP_LEN) {
        return fail(ctx, FLOW_PARSE_TRUNCATED_L3);
    }
    flow->arp_op = get_16(p + 6);
    memcpy(flow->arp_sha.ea, p + 8, FLOW_ETH_ALEN);
    flow->nw_src = get_32(p + 14);
    memcpy(flow->arp_tha.ea, p + 18, FLOW_ETH_ALEN);
    flow->nw_dst = get_32(p + 24);
    return FLOW_PARSE_OK;
}

/* IPv4 header checks, RFC 791 §3.1: version 4, IHL (32-bit words) at least
 * 5, total length covering the header and not exceeding the frame (Ethernet
 * padding may follow it). */
static enum flow_parse_status
ipv4_check(struct parse_ctx *ctx, size_t *hlenp, size_t *tot_lenp)
{
    const uint8_t *p = cur(ctx);

    if (readable(ctx) < IPV4_HDR_LEN) {
        return fail(ctx, FLOW_PARSE_TRUNCATED_L3);
    }
    if (p[0] >> 4 != 4) {
        return fail(ctx, FLOW_PARSE_BAD_IP_VERSION);
    }
    size_t hlen = (size_t) (p[0] & 0x0f) * 4;
    if (hlen < IPV4_HDR_LEN || hlen > logical(ctx)) {
        return fail(ctx, FLOW_PARSE_BAD_IPV4_IHL);
    }
    if (hlen > readable(ctx)) {
        return fail(ctx, FLOW_PARSE_TRUNCATED_L3);
    }
    size_t tot_len = get_be16_host(p + 2);
    if (tot_len < hlen || tot_len > logical(ctx)) {
        return fail(ctx, FLOW_PARSE_BAD_IPV4_LEN);
    }
    *hlenp = hlen;
    *tot_lenp = tot_len;
    return FLOW_PARSE_OK;
}

static enum flow_parse_status
parse_ipv4(struct parse_ctx *ctx)
{
    struct flow *flow = ctx->flow;
    size_t hlen, tot_len;
    enum flow_parse_status s = ipv4_check(ctx, &hlen, &tot_len);

    if (s != FLOW_PARSE_OK) {
        return s;
    }
    const uint8_t *p = cur(ctx);
    flow->nw_tos = p[1];
    flow->nw_ttl = p[8];
    flow->nw_proto = p[9];
    flow->nw_src = get_32(p + 12);
    flow->nw_dst = get_32(p + 16);

    /* RFC 791: flags (3 bits: reserved, DF, MF) and a 13-bit offset. */
    uint16_t frag = get_be16_host(p + 6);
    if (frag & 0x3fff) {
        flow->nw_frag = FLOW_NW_FRAG_ANY;
        if (frag & 0x1fff) {
            flow->nw_frag |= FLOW_NW_FRAG_LATER;
        }
    }
    /* From here on, L4 lives inside the IPv4 payload only. */
    ctx->pl_end = ctx->ofs + tot_len;
    if (ctx->rd_end > ctx->pl_end) {
        ctx->rd_end = ctx->pl_end;
    }
    ctx->ofs += hlen;
    if (flow->nw_frag & FLOW_NW_FRAG_LATER) {
        return FLOW_PARSE_OK;
    }
    return parse_l4(ctx, false);
}

static bool
ipv6_is_ext_hdr(uint8_t nh)
{
    return nh == IPPROTO_HOPOPTS_ || nh == IPPROTO_ROUTING_
           || nh == IPPROTO_DSTOPTS_ || nh == IPPROTO_FRAGMENT_
           || nh == IPPROTO_AH_;
}

/* Length of the extension header at the current position, or 0 if it does
 * not fit.  RFC 8200 §4.3-4.6: Hdr Ext Len counts 8-octet units beyond the
 * first 8; §4.5: the fragment header is 8 octets; RFC 4302 §2.2: the AH
 * Payload Len counts 4-octet units minus 2. */
static size_t
ipv6_ext_len(const struct parse_ctx *ctx, uint8_t nh)
{
    const uint8_t *p = cur(ctx);
    size_t len;

    if (readable(ctx) < 8) {
        return 0;
    }
    if (nh == IPPROTO_FRAGMENT_) {
        len = 8;
    } else if (nh == IPPROTO_AH_) {
        len = ((size_t) p[1] + 2) * 4;
    } else {
        len = ((size_t) p[1] + 1) * 8;
    }
    return len <= readable(ctx) ? len : 0;
}

/* Walks at most FLOW_MAX_IPV6_EXT_HDRS extension headers, leaving the
 * position at the upper-layer header and its protocol in *nhp.  A later
 * fragment stops the walk: what follows is fragment payload. */
static enum flow_parse_status
ipv6_walk_ext(struct parse_ctx *ctx, uint8_t *nhp)
{
    uint8_t nh = *nhp;
    unsigned n;

    for (n = 0; ipv6_is_ext_hdr(nh); n++) {
        if (n == FLOW_MAX_IPV6_EXT_HDRS) {
            return fail(ctx, FLOW_PARSE_TOO_MANY_EXT_HDRS);
        }
        /* RFC 8200 §4.1: hop-by-hop options only right after the IPv6
         * header. */
        if (nh == IPPROTO_HOPOPTS_ && n) {
            return fail(ctx, FLOW_PARSE_BAD_IPV6_EXT_HDR);
        }
        size_t len = ipv6_ext_len(ctx, nh);
        if (!len) {
            return fail(ctx, FLOW_PARSE_TRUNCATED_L3);
        }
        const uint8_t *p = cur(ctx);
        if (nh == IPPROTO_FRAGMENT_) {
            /* RFC 8200 §4.5: offset (13 bits, 8-octet units) and M flag.
             * Offset 0 without M is an atomic fragment: not a fragment. */
            uint16_t off_m = get_be16_host(p + 2);
            if (off_m & 0xfff9) {
                ctx->flow->nw_frag = FLOW_NW_FRAG_ANY;
            }
            if (off_m & 0xfff8) {
                ctx->flow->nw_frag |= FLOW_NW_FRAG_LATER;
            }
        }
        nh = p[0];
        ctx->ofs += len;
        ctx->info->n_ext_hdrs = (uint8_t) (n + 1);
        if (ctx->flow->nw_frag & FLOW_NW_FRAG_LATER) {
            break;
        }
    }
    *nhp = nh;
    return FLOW_PARSE_OK;
}

/* IPv6, RFC 8200 §3: version 6, a 40-byte header, and a payload length
 * that fits the frame.  A zero payload length with a hop-by-hop header may
 * be a jumbogram (RFC 2675): the frame then bounds the payload. */
static enum flow_parse_status
parse_ipv6(struct parse_ctx *ctx)
{
    const uint8_t *p = cur(ctx);
    struct flow *flow = ctx->flow;

    if (readable(ctx) < IPV6_HDR_LEN) {
        return fail(ctx, FLOW_PARSE_TRUNCATED_L3);
    }
    if (p[0] >> 4 != 6) {
        return fail(ctx, FLOW_PARSE_BAD_IP_VERSION);
    }
    size_t plen = get_be16_host(p + 4);
    uint8_t nh = p[6];
    if (plen > logical(ctx) - IPV6_HDR_LEN) {
        return fail(ctx, FLOW_PARSE_BAD_IPV6_LEN);
    }
    if (plen || nh != IPPROTO_HOPOPTS_) {
        ctx->pl_end = ctx->ofs + IPV6_HDR_LEN + plen;
        if (ctx->rd_end > ctx->pl_end) {
            ctx->rd_end = ctx->pl_end;
        }
    }
    uint32_t vtcfl = get_32(p);
    flow->ipv6_label = vtcfl & htonl(0x000fffff);
    flow->nw_tos = (uint8_t) (get_be16_host(p) >> 4);
    flow->nw_ttl = p[7];
    memcpy(flow->ipv6_src.s6, p + 8, 16);
    memcpy(flow->ipv6_dst.s6, p + 24, 16);
    ctx->ofs += IPV6_HDR_LEN;

    enum flow_parse_status s = ipv6_walk_ext(ctx, &nh);
    if (s != FLOW_PARSE_OK) {
        flow->nw_frag = 0;
        return s;
    }
    flow->nw_proto = nh;
    if (flow->nw_frag & FLOW_NW_FRAG_LATER) {
        return FLOW_PARSE_OK;
    }
    return parse_l4(ctx, true);
}

/* ----------------------------------------------------------------------
 * L2. */

/* Ethernet II / IEEE 802.3, then up to FLOW_MAX_VLANS 802.1Q/802.1ad tags
 * in either order; a further tag stays payload with dl_type = its TPID. */
static enum flow_parse_status
parse_l2(struct parse_ctx *ctx)
{
    const uint8_t *p = ctx->pkt;
    struct flow *flow = ctx->flow;

    if (readable(ctx) < ETH_HDR_LEN) {
        return fail(ctx, FLOW_PARSE_TRUNCATED_L2);
    }
    memcpy(flow->dl_dst.ea, p, FLOW_ETH_ALEN);
    memcpy(flow->dl_src.ea, p + FLOW_ETH_ALEN, FLOW_ETH_ALEN);
    rsw_be16 type = get_16(p + 12);
    ctx->ofs = ETH_HDR_LEN;
    for (int i = 0; i < FLOW_MAX_VLANS; i++) {
        if (type != htons(ETH_TYPE_VLAN)
            && type != htons(ETH_TYPE_QINQ)) {
            break;
        }
        if (readable(ctx) < VLAN_HDR_LEN) {
            flow->dl_type = type;
            return fail(ctx, FLOW_PARSE_TRUNCATED_L2);
        }
        flow->vlans[i].tpid = type;
        flow->vlans[i].tci = get_16(cur(ctx));
        type = get_16(cur(ctx) + 2);
        ctx->ofs += VLAN_HDR_LEN;
    }
    if (htons(type) < ETH_TYPE_MIN) {
        type = htons(FLOW_DL_TYPE_NONE);
    }
    flow->dl_type = type;
    ctx->info->l3_ofs = (uint32_t) ctx->ofs;
    return FLOW_PARSE_OK;
}

int
flow_extract_prefix(const void *pkt, size_t len, size_t frame_len,
                    uint32_t in_port, struct flow *flow,
                    struct flow_parse_info *info)
{
    struct flow_parse_info dummy;
    struct parse_ctx ctx = {
        .pkt = pkt,
        .ofs = 0,
        .rd_end = len < frame_len ? len : frame_len,
        .pl_end = frame_len,
        .flow = flow,
        .info = info ? info : &dummy,
    };

    flow_zero(flow);
    flow->in_port = in_port;
    *ctx.info = (struct flow_parse_info) {
        .status = FLOW_PARSE_OK,
        .l3_ofs = FLOW_OFS_NONE,
        .l4_ofs = FLOW_OFS_NONE,
        .l7_ofs = FLOW_OFS_NONE,
    };
    if (parse_l2(&ctx) != FLOW_PARSE_OK) {
        return -EINVAL;
    }

    enum flow_parse_status s;
    switch (htons(flow->dl_type)) {
    case ETH_TYPE_IP:
        s = parse_ipv4(&ctx);
        break;
    case ETH_TYPE_IPV6:
        s = parse_ipv6(&ctx);
        break;
    case ETH_TYPE_ARP:
        s = parse_arp(&ctx);
        break;
    default:
        s = FLOW_PARSE_OK;
        break;
    }
    return s == FLOW_PARSE_OK ? 0 : -EINVAL;
}

int
flow_extract(const void *pkt, size_t len, uint32_t in_port,
             struct flow *flow, struct flow_parse_info *info)
{
    return flow_extract_prefix(pkt, len, len, in_port, flow, info);
}

const char *
flow_parse_status_name(enum flow_parse_status status)
{
    static const char *const names[FLOW_PARSE_N_STATUS] = {
        [FLOW_PARSE_OK] = "ok",
        [FLOW_PARSE_TRUNCATED_L2] = "truncated-l2",
        [FLOW_PARSE_TRUNCATED_L3] = "truncated-l3",
        [FLOW_PARSE_BAD_IP_VERSION] = "bad-ip-version",
        [FLOW_PARSE_BAD_IPV4_IHL] = "bad-ipv4-ihl",
        [FLOW_PARSE_BAD_IPV4_LEN] = "bad-ipv4-len",
        [FLOW_PARSE_BAD_IPV6_LEN] = "bad-ipv6-len",
        [FLOW_PARSE_BAD_IPV6_EXT_HDR] = "bad-ipv6-ext-hdr",
        [FLOW_PARSE_TOO_MANY_EXT_HDRS] = "too-many-ext-hdrs",
        [FLOW_PARSE_TRUNCATED_L4] = "truncated-l4",
        [FLOW_PARSE_BAD_TCP_OFF] = "bad-tcp-off",
        [FLOW_PARSE_BAD_ND_OPTION] = "bad-nd-option",
    };

    return (unsigned) status < FLOW_PARSE_N_STATUS ? names[status] : "?";
}
