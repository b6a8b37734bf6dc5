/* SPDX-License-Identifier: Apache-2.0 */
/* The field table and its access to 'struct flow' (see ofp_field.h).  The
 * text of values (parse/format) is in ofp_field_text.c. */
#include "ofp_field.h"

#include <string.h>

#define FLOW_OFS(member) ((uint16_t) offsetof(struct flow, member))
#define FLOW_SZ(member) ((uint8_t) sizeof(((struct flow *) 0)->member))

/* One row: ID, names, storage, bits, flags, prerequisite, format. */
#define FIELD(ID, NAME, OXM, MEMBER, BYTES, SHIFT, BITS, HOST, MASK, WR,  \
              PRE, FMT)                                                  \
    [ID] = { .id = ID, .name = NAME, .oxm_name = OXM,                    \
             .flow_ofs = FLOW_OFS(MEMBER), .flow_bytes = BYTES,          \
             .shift = SHIFT, .n_bits = BITS, .host_order = HOST,         \
             .maskable = MASK, .writable = WR, .prereq = PRE,            \
             .format = FMT }

#define REG(N) FIELD(OFPF_REG##N, "reg" #N, NULL, regs[N], 4, 0, 32,      \
                     true, true, true, OFPP_NONE, OFPFMT_HEX)

static const struct ofp_field fields[OFPF_N_FIELDS] = {
    FIELD(OFPF_IN_PORT, "in_port", NULL, in_port, 4, 0, 16,
          true, false, true, OFPP_NONE, OFPFMT_OFPORT),
    FIELD(OFPF_METADATA, "metadata", NULL, metadata, 8, 0, 64,
          true, true, true, OFPP_NONE, OFPFMT_HEX),
    REG(0), REG(1), REG(2), REG(3), REG(4), REG(5), REG(6), REG(7),
    FIELD(OFPF_DL_SRC, "dl_src", "eth_src", dl_src, 6, 0, 48,
          false, true, true, OFPP_NONE, OFPFMT_MAC),
    FIELD(OFPF_DL_DST, "dl_dst", "eth_dst", dl_dst, 6, 0, 48,
          false, true, true, OFPP_NONE, OFPFMT_MAC),
    FIELD(OFPF_DL_TYPE, "dl_type", "eth_type", dl_type, 2, 0, 16,
          false, false, false, OFPP_NONE, OFPFMT_HEX),
    FIELD(OFPF_VLAN_TCI, "vlan_tci", NULL, vlans[0].tci, 2, 0, 16,
          false, true, true, OFPP_NONE, OFPFMT_HEX),
    FIELD(OFPF_DL_VLAN, "dl_vlan", NULL, vlans[0].tci, 2, 0, 12,
          false, false, true, OFPP_VLAN, OFPFMT_DECIMAL),
    FIELD(OFPF_DL_VLAN_PCP, "dl_vlan_pcp", "vlan_pcp", vlans[0].tci, 2,
          13, 3, false, false, true, OFPP_VLAN, OFPFMT_DECIMAL),
    /* OpenFlow 1.2+ VLAN_VID (ovs-fields(7)): the VID and, as bit 12,
     * OFPVID_PRESENT, which is the pipeline's CFI bit; 0 = no tag. */
    FIELD(OFPF_VLAN_VID, "vlan_vid", NULL, vlans[0].tci, 2, 0, 13,
          false, true, true, OFPP_NONE, OFPFMT_DECIMAL),
    FIELD(OFPF_NW_SRC, "nw_src", "ip_src", nw_src, 4, 0, 32,
          false, true, true, OFPP_IPV4_ARP, OFPFMT_IPV4),
    FIELD(OFPF_NW_DST, "nw_dst", "ip_dst", nw_dst, 4, 0, 32,
          false, true, true, OFPP_IPV4_ARP, OFPFMT_IPV4),
    FIELD(OFPF_IPV6_SRC, "ipv6_src", NULL, ipv6_src, 16, 0, 128,
          false, true, false, OFPP_IPV6, OFPFMT_IPV6),
    FIELD(OFPF_IPV6_DST, "ipv6_dst", NULL, ipv6_dst, 16, 0, 128,
          false, true, false, OFPP_IPV6, OFPFMT_IPV6),
    FIELD(OFPF_IPV6_LABEL, "ipv6_label", NULL, ipv6_label, 4, 0, 20,
          false, true, false, OFPP_IPV6, OFPFMT_HEX),
    FIELD(OFPF_NW_PROTO, "nw_proto", "ip_proto", nw_proto, 1, 0, 8,
          false, false, false, OFPP_IP_ANY, OFPFMT_DECIMAL),
    /* nw_tos is the DSCP bits in place: 8 bits wide, ECN bits always 0
     * (field_value_mask()). */
    FIELD(OFPF_NW_TOS, "nw_tos", NULL, nw_tos, 1, 0, 8,
          false, false, true, OFPP_IP_ANY, OFPFMT_DECIMAL),
    FIELD(OFPF_IP_DSCP, "ip_dscp", NULL, nw_tos, 1, 2, 6,
          false, false, true, OFPP_IP_ANY, OFPFMT_DECIMAL),
    FIELD(OFPF_NW_ECN, "nw_ecn", "ip_ecn", nw_tos, 1, 0, 2,
          false, false, false, OFPP_IP_ANY, OFPFMT_DECIMAL),
    FIELD(OFPF_NW_TTL, "nw_ttl", NULL, nw_ttl, 1, 0, 8,
          false, false, true, OFPP_IP_ANY, OFPFMT_DECIMAL),
    FIELD(OFPF_IP_FRAG, "ip_frag", "nw_frag", nw_frag, 1, 0, 2,
          false, true, false, OFPP_IP_ANY, OFPFMT_FRAG),
    FIELD(OFPF_TP_SRC, "tp_src", NULL, tp_src, 2, 0, 16,
          false, true, true, OFPP_TCP_UDP_SCTP, OFPFMT_DECIMAL),
    FIELD(OFPF_TP_DST, "tp_dst", NULL, tp_dst, 2, 0, 16,
          false, true, true, OFPP_TCP_UDP_SCTP, OFPFMT_DECIMAL),
    FIELD(OFPF_TCP_FLAGS, "tcp_flags", NULL, tcp_flags, 2, 0, 12,
          false, true, false, OFPP_TCP, OFPFMT_TCP_FLAGS),
    /* ICMP type and code: the low byte of big-endian tp_src / tp_dst. */
    FIELD(OFPF_ICMP_TYPE, "icmp_type", "icmpv4_type", tp_src, 2, 0, 8,
          false, false, false, OFPP_ICMPV4, OFPFMT_DECIMAL),
    FIELD(OFPF_ICMP_CODE, "icmp_code", "icmpv4_code", tp_dst, 2, 0, 8,
          false, false, false, OFPP_ICMPV4, OFPFMT_DECIMAL),
    FIELD(OFPF_ICMPV6_TYPE, "icmpv6_type", NULL, tp_src, 2, 0, 8,
          false, false, false, OFPP_ICMPV6, OFPFMT_DECIMAL),
    FIELD(OFPF_ICMPV6_CODE, "icmpv6_code", NULL, tp_dst, 2, 0, 8,
          false, false, false, OFPP_ICMPV6, OFPFMT_DECIMAL),
    FIELD(OFPF_ARP_OP, "arp_op", NULL, arp_op, 2, 0, 16,
          false, false, false, OFPP_ARP, OFPFMT_DECIMAL),
    FIELD(OFPF_ARP_SPA, "arp_spa", NULL, nw_src, 4, 0, 32,
          false, true, false, OFPP_ARP, OFPFMT_IPV4),
    FIELD(OFPF_ARP_TPA, "arp_tpa", NULL, nw_dst, 4, 0, 32,
          false, true, false, OFPP_ARP, OFPFMT_IPV4),
    FIELD(OFPF_ARP_SHA, "arp_sha", NULL, arp_sha, 6, 0, 48,
          false, true, false, OFPP_ARP, OFPFMT_MAC),
    FIELD(OFPF_ARP_THA, "arp_tha", NULL, arp_tha, 6, 0, 48,
          false, true, false, OFPP_ARP, OFPFMT_MAC),
    FIELD(OFPF_ND_TARGET, "nd_target", NULL, nd_target, 16, 0, 128,
          false, true, false, OFPP_ND, OFPFMT_IPV6),
    FIELD(OFPF_ND_SLL, "nd_sll", NULL, arp_sha, 6, 0, 48,
          false, true, false, OFPP_ND_NS, OFPFMT_MAC),
    FIELD(OFPF_ND_TLL, "nd_tll", NULL, arp_tha, 6, 0, 48,
          false, true, false, OFPP_ND_NA, OFPFMT_MAC),
};

_Static_assert(FLOW_SZ(in_port) == 4 && FLOW_SZ(metadata) == 8
               && FLOW_SZ(dl_src) == 6 && FLOW_SZ(ipv6_src) == 16
               && FLOW_SZ(ipv6_label) == 4 && FLOW_SZ(tcp_flags) == 2,
               "struct flow member sizes differ from the field table");

/* NXM/OXM names for load/move (ovs-fields(7), "NXM and OXM names"). */
struct nxm_name {
    const char *name;
    enum ofp_field_id id;
};

static const struct nxm_name nxm_names[] = {
    { "NXM_OF_IN_PORT", OFPF_IN_PORT },
    { "OXM_OF_IN_PORT", OFPF_IN_PORT },
    { "OXM_OF_METADATA", OFPF_METADATA },
    { "NXM_NX_REG0", OFPF_REG0 }, { "NXM_NX_REG1", OFPF_REG1 },
    { "NXM_NX_REG2", OFPF_REG2 }, { "NXM_NX_REG3", OFPF_REG3 },
    { "NXM_NX_REG4", OFPF_REG4 }, { "NXM_NX_REG5", OFPF_REG5 },
    { "NXM_NX_REG6", OFPF_REG6 }, { "NXM_NX_REG7", OFPF_REG7 },
    { "NXM_OF_ETH_SRC", OFPF_DL_SRC }, { "OXM_OF_ETH_SRC", OFPF_DL_SRC },
    { "NXM_OF_ETH_DST", OFPF_DL_DST }, { "OXM_OF_ETH_DST", OFPF_DL_DST },
    { "NXM_OF_ETH_TYPE", OFPF_DL_TYPE }, { "OXM_OF_ETH_TYPE", OFPF_DL_TYPE },
    { "NXM_OF_VLAN_TCI", OFPF_VLAN_TCI },
    { "OXM_OF_VLAN_PCP", OFPF_DL_VLAN_PCP },
    { "NXM_OF_IP_SRC", OFPF_NW_SRC }, { "OXM_OF_IPV4_SRC", OFPF_NW_SRC },
    { "NXM_OF_IP_DST", OFPF_NW_DST }, { "OXM_OF_IPV4_DST", OFPF_NW_DST },
    { "NXM_NX_IPV6_SRC", OFPF_IPV6_SRC }, { "OXM_OF_IPV6_SRC", OFPF_IPV6_SRC },
    { "NXM_NX_IPV6_DST", OFPF_IPV6_DST }, { "OXM_OF_IPV6_DST", OFPF_IPV6_DST },
    { "NXM_NX_IPV6_LABEL", OFPF_IPV6_LABEL },
    { "OXM_OF_IPV6_FLABEL", OFPF_IPV6_LABEL },
    { "NXM_OF_IP_PROTO", OFPF_NW_PROTO }, { "OXM_OF_IP_PROTO", OFPF_NW_PROTO },
    { "NXM_OF_IP_TOS", OFPF_NW_TOS }, { "OXM_OF_IP_DSCP", OFPF_IP_DSCP },
    { "NXM_NX_IP_ECN", OFPF_NW_ECN }, { "OXM_OF_IP_ECN", OFPF_NW_ECN },
    { "NXM_NX_IP_TTL", OFPF_NW_TTL },
    { "NXM_NX_IP_FRAG", OFPF_IP_FRAG },
    { "NXM_OF_TCP_SRC", OFPF_TP_SRC }, { "OXM_OF_TCP_SRC", OFPF_TP_SRC },
    { "NXM_OF_TCP_DST", OFPF_TP_DST }, { "OXM_OF_TCP_DST", OFPF_TP_DST },
    { "NXM_OF_UDP_SRC", OFPF_TP_SRC }, { "OXM_OF_UDP_SRC", OFPF_TP_SRC },
    { "NXM_OF_UDP_DST", OFPF_TP_DST }, { "OXM_OF_UDP_DST", OFPF_TP_DST },
    { "OXM_OF_SCTP_SRC", OFPF_TP_SRC }, { "OXM_OF_SCTP_DST", OFPF_TP_DST },
    { "NXM_NX_TCP_FLAGS", OFPF_TCP_FLAGS },
    { "NXM_OF_ICMP_TYPE", OFPF_ICMP_TYPE },
    { "OXM_OF_ICMPV4_TYPE", OFPF_ICMP_TYPE },
    { "NXM_OF_ICMP_CODE", OFPF_ICMP_CODE },
    { "OXM_OF_ICMPV4_CODE", OFPF_ICMP_CODE },
    { "NXM_NX_ICMPV6_TYPE", OFPF_ICMPV6_TYPE },
    { "OXM_OF_ICMPV6_TYPE", OFPF_ICMPV6_TYPE },
    { "NXM_NX_ICMPV6_CODE", OFPF_ICMPV6_CODE },
    { "OXM_OF_ICMPV6_CODE", OFPF_ICMPV6_CODE },
    { "NXM_OF_ARP_OP", OFPF_ARP_OP }, { "OXM_OF_ARP_OP", OFPF_ARP_OP },
    { "NXM_OF_ARP_SPA", OFPF_ARP_SPA }, { "OXM_OF_ARP_SPA", OFPF_ARP_SPA },
    { "NXM_OF_ARP_TPA", OFPF_ARP_TPA }, { "OXM_OF_ARP_TPA", OFPF_ARP_TPA },
    { "NXM_NX_ARP_SHA", OFPF_ARP_SHA }, { "OXM_OF_ARP_SHA", OFPF_ARP_SHA },
    { "NXM_NX_ARP_THA", OFPF_ARP_THA }, { "OXM_OF_ARP_THA", OFPF_ARP_THA },
    { "NXM_NX_ND_TARGET", OFPF_ND_TARGET },
    { "OXM_OF_IPV6_ND_TARGET", OFPF_ND_TARGET },
    { "NXM_NX_ND_SLL", OFPF_ND_SLL }, { "OXM_OF_IPV6_ND_SLL", OFPF_ND_SLL },
    { "NXM_NX_ND_TLL", OFPF_ND_TLL }, { "OXM_OF_IPV6_ND_TLL", OFPF_ND_TLL },
};

/* OXM names that OVS maps onto a shared field: tcp_src and udp_src are
 * tp_src (ovs-fields(7) gives each a protocol prerequisite; ovs-ofctl
 * accepts either under any of TCP, UDP, SCTP, and so do we). */
struct alias_name {
    const char *name;
    enum ofp_field_id id;
};

static const struct alias_name alias_names[] = {
    { "tcp_src", OFPF_TP_SRC }, { "tcp_dst", OFPF_TP_DST },
    { "udp_src", OFPF_TP_SRC }, { "udp_dst", OFPF_TP_DST },
    { "sctp_src", OFPF_TP_SRC }, { "sctp_dst", OFPF_TP_DST },
};

const struct ofp_field *
ofp_field_by_id(enum ofp_field_id id)
{
    return (unsigned) id < OFPF_N_FIELDS ? &fields[id] : NULL;
}

static bool
name_is(const char *name, const char *s, size_t len)
{
    return name && strlen(name) == len && !memcmp(name, s, len);
}

const struct ofp_field *
ofp_field_by_name_len(const char *s, size_t len)
{
    /* "NXM_OF_IP_SRC[]" is the whole-field spelling of "NXM_OF_IP_SRC". */
    if (len > 2 && s[len - 2] == '[' && s[len - 1] == ']') {
        len -= 2;
    }
    for (size_t i = 0; i < OFPF_N_FIELDS; i++) {
        if (name_is(fields[i].name, s, len)
            || name_is(fields[i].oxm_name, s, len)) {
            return &fields[i];
        }
    }
    for (size_t i = 0; i < RSW_ARRAY_SIZE(alias_names); i++) {
        if (name_is(alias_names[i].name, s, len)) {
            return &fields[alias_names[i].id];
        }
    }
    for (size_t i = 0; i < RSW_ARRAY_SIZE(nxm_names); i++) {
        if (name_is(nxm_names[i].name, s, len)) {
            return &fields[nxm_names[i].id];
        }
    }
    return NULL;
}

const struct ofp_field *
ofp_field_by_name(const char *name)
{
    return ofp_field_by_name_len(name, strlen(name));
}

const char *
ofp_field_nxm_name(const struct ofp_field *f)
{
    for (size_t i = 0; i < RSW_ARRAY_SIZE(nxm_names); i++) {
        if (nxm_names[i].id == f->id) {
            return nxm_names[i].name;
        }
    }
    return NULL;
}

/* ---- Access ------------------------------------------------------------ */

static bool
field_is_wide(const struct ofp_field *f)
{
    return f->flow_bytes == 16;
}

/* The field's bits, right-aligned (before 'shift'). */
static uint64_t
field_value_mask(const struct ofp_field *f)
{
    if (f->id == OFPF_NW_TOS) {
        return 0xfc;            /* DSCP in place; the ECN bits are nw_ecn */
    }
    return f->n_bits >= 64 ? UINT64_MAX : (UINT64_C(1) << f->n_bits) - 1;
}

static uint64_t
load_word(const struct ofp_field *f, const struct flow *flow)
{
    const uint8_t *p = (const uint8_t *) flow + f->flow_ofs;
    uint64_t w = 0;

    if (f->host_order && f->flow_bytes == 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    } else if (f->host_order) {
        memcpy(&w, p, 8);
        return w;
    }
    for (unsigned i = 0; i < f->flow_bytes; i++) {
        w = (w << 8) | p[i];
    }
    return w;
}

static void
store_word(const struct ofp_field *f, struct flow *flow, uint64_t w)
{
    uint8_t *p = (uint8_t *) flow + f->flow_ofs;

    if (f->host_order && f->flow_bytes == 4) {
        uint32_t v = (uint32_t) w;
        memcpy(p, &v, 4);
        return;
    } else if (f->host_order) {
        memcpy(p, &w, 8);
        return;
    }
    for (unsigned i = f->flow_bytes; i-- > 0; w >>= 8) {
        p[i] = (uint8_t) w;
    }
}

uint64_t
ofp_value_to_u64(const union ofp_value *v)
{
    uint64_t x = 0;

    for (unsigned i = 8; i < 16; i++) {
        x = (x << 8) | v->u8[i];
    }
    return x;
}

void
ofp_value_from_u64(union ofp_value *v, uint64_t x)
{
    memset(v, 0, sizeof *v);
    for (unsigned i = 16; i-- > 8; x >>= 8) {
        v->u8[i] = (uint8_t) x;
    }
}

void
ofp_field_get(const struct ofp_field *f, const struct flow *flow,
              union ofp_value *value)
{
    if (field_is_wide(f)) {
        memcpy(value->u8, (const uint8_t *) flow + f->flow_ofs, 16);
        return;
    }
    ofp_value_from_u64(value, (load_word(f, flow) >> f->shift)
                              & field_value_mask(f));
}

void
ofp_field_set(const struct ofp_field *f, struct flow *flow,
              const union ofp_value *value, const union ofp_value *mask)
{
    if (field_is_wide(f)) {
        uint8_t *p = (uint8_t *) flow + f->flow_ofs;
        for (unsigned i = 0; i < 16; i++) {
            uint8_t m = mask ? mask->u8[i] : 0xff;
            p[i] = (uint8_t) ((p[i] & ~m) | (value->u8[i] & m));
        }
        return;
    }
    uint64_t fm = field_value_mask(f);
    uint64_t m = (mask ? ofp_value_to_u64(mask) & fm : fm) << f->shift;
    uint64_t v = (ofp_value_to_u64(value) << f->shift) & m;
    uint64_t w = load_word(f, flow);

    store_word(f, flow, (w & ~m) | v);
}

void
ofp_field_unwildcard(const struct ofp_field *f, struct flow_wc *wc,
                     const union ofp_value *mask)
{
    union ofp_value cur, merged;

    ofp_field_get(f, &wc->masks, &cur);
    for (unsigned i = 0; i < 16; i++) {
        merged.u8[i] = cur.u8[i] | (mask ? mask->u8[i] : 0xff);
    }
    ofp_field_set(f, &wc->masks, &merged, NULL);
}

/* 'v' compared with the field's all-ones value. */
static bool
value_is_all_ones(const struct ofp_field *f, const union ofp_value *v)
{
    if (field_is_wide(f)) {
        for (unsigned i = 0; i < 16; i++) {
            if (v->u8[i] != 0xff) {
                return false;
            }
        }
        return true;
    }
    return ofp_value_to_u64(v) == field_value_mask(f);
}

bool
ofp_field_is_exact(const struct ofp_field *f, const struct flow_wc *wc)
{
    union ofp_value m;

    ofp_field_get(f, &wc->masks, &m);
    return value_is_all_ones(f, &m);
}

bool
ofp_field_is_wild(const struct ofp_field *f, const struct flow_wc *wc)
{
    union ofp_value m;

    ofp_field_get(f, &wc->masks, &m);
    for (unsigned i = 0; i < 16; i++) {
        if (m.u8[i]) {
            return false;
        }
    }
    return true;
}

bool
ofp_value_is_all_ones(const struct ofp_field *f, const union ofp_value *v)
{
    return value_is_all_ones(f, v);
}

void
ofp_value_all_ones(const struct ofp_field *f, union ofp_value *v)
{
    if (field_is_wide(f)) {
        memset(v->u8, 0xff, sizeof v->u8);
    } else {
        ofp_value_from_u64(v, field_value_mask(f));
    }
}

/* ---- Pipeline view <-> datapath key ----------------------------------- */

void
ofp_flow_from_dp(const struct flow *dp, struct flow *of)
{
    uint8_t *tci;

    *of = *dp;
    tci = (uint8_t *) &of->vlans[0].tci;
    if (dp->vlans[0].tpid) {
        tci[0] |= OFP_VLAN_CFI >> 8;     /* network byte order: high byte first */
    } else {
        of->vlans[0].tci = 0;
    }
}

void
ofp_wc_to_dp(const struct flow_wc *of, struct flow_wc *dp)
{
    flow_u64 *d = flow_u64s_rw(&dp->masks);
    const flow_u64 *o = flow_u64s(&of->masks);
    uint8_t dp_tci_hi = ((const uint8_t *) &dp->masks.vlans[0].tci)[0];

    for (size_t i = 0; i < FLOW_U64S; i++) {
        d[i] |= o[i];
    }
    if (of->masks.vlans[0].tci) {
        /* Presence (the pipeline's CFI) came from the tag's TPID; the
         * packet's own DEI bit (same position) was not looked at, unless
         * 'dp' already said so. */
        uint8_t *m = (uint8_t *) &dp->masks.vlans[0].tci;

        dp->masks.vlans[0].tpid = 0xffff;
        m[0] = (uint8_t) ((m[0] & ~(OFP_VLAN_CFI >> 8))
                          | (dp_tci_hi & (OFP_VLAN_CFI >> 8)));
    }
}

/* ---- Prerequisites (OpenFlow 1.3 §7.2.3.6) ----------------------------- */

#define ETH_TYPE_IP   0x0800
#define ETH_TYPE_ARP  0x0806
#define ETH_TYPE_IPV6 0x86dd

/* Reads a field for a prerequisite test.  With 'need' (a match's mask) the
 * field must be exact there; with 'unwc' the test is recorded as looked
 * at.  Returns false if 'need' leaves the field (partly) wild. */
static bool
pre_read(enum ofp_field_id id, const struct flow *flow,
         const struct flow_wc *need, struct flow_wc *unwc, uint64_t *out)
{
    const struct ofp_field *f = &fields[id];
    union ofp_value v;

    if (need && !ofp_field_is_exact(f, need)) {
        return false;
    }
    if (unwc) {
        ofp_field_unwildcard(f, unwc, NULL);
    }
    ofp_field_get(f, flow, &v);
    *out = ofp_value_to_u64(&v);
    return true;
}

static bool
pre_dl_type(const struct flow *flow, const struct flow_wc *need,
            struct flow_wc *unwc, uint64_t *type)
{
    return pre_read(OFPF_DL_TYPE, flow, need, unwc, type);
}

static bool
pre_ip_proto(const struct flow *flow, const struct flow_wc *need,
             struct flow_wc *unwc, uint64_t want_type, uint64_t *proto)
{
    uint64_t type;

    if (!pre_dl_type(flow, need, unwc, &type)) {
        return false;
    }
    if (want_type ? type != want_type
        : type != ETH_TYPE_IP && type != ETH_TYPE_IPV6) {
        return false;
    }
    return pre_read(OFPF_NW_PROTO, flow, need, unwc, proto);
}

static bool
pre_icmpv6_type(const struct flow *flow, const struct flow_wc *need,
                struct flow_wc *unwc, uint64_t *type)
{
    uint64_t proto;

    return pre_ip_proto(flow, need, unwc, ETH_TYPE_IPV6, &proto)
           && proto == 58
           && pre_read(OFPF_ICMPV6_TYPE, flow, need, unwc, type);
}

/* A tag is present: the CFI bit of the pipeline's vlan_tci. */
static bool
pre_vlan(const struct flow *flow, const struct flow_wc *need,
         struct flow_wc *unwc)
{
    const struct ofp_field *tci = &fields[OFPF_VLAN_TCI];
    union ofp_value cfi, v;

    ofp_value_from_u64(&cfi, OFP_VLAN_CFI);
    if (need) {
        ofp_field_get(tci, &need->masks, &v);
        if (!(ofp_value_to_u64(&v) & OFP_VLAN_CFI)) {
            return false;
        }
    }
    if (unwc) {
        ofp_field_unwildcard(tci, unwc, &cfi);
    }
    ofp_field_get(tci, flow, &v);
    return (ofp_value_to_u64(&v) & OFP_VLAN_CFI) != 0;
}

static bool
prereq_eval(enum ofp_prereq pre, const struct flow *flow,
            const struct flow_wc *need, struct flow_wc *unwc)
{
    uint64_t x;

    switch (pre) {
    case OFPP_NONE:
        return true;
    case OFPP_VLAN:
        return pre_vlan(flow, need, unwc);
    case OFPP_IP_ANY:
        return pre_dl_type(flow, need, unwc, &x)
               && (x == ETH_TYPE_IP || x == ETH_TYPE_IPV6);
    case OFPP_IPV4:
        return pre_dl_type(flow, need, unwc, &x) && x == ETH_TYPE_IP;
    case OFPP_IPV6:
        return pre_dl_type(flow, need, unwc, &x) && x == ETH_TYPE_IPV6;
    case OFPP_ARP:
        return pre_dl_type(flow, need, unwc, &x) && x == ETH_TYPE_ARP;
    case OFPP_IPV4_ARP:
        return pre_dl_type(flow, need, unwc, &x)
               && (x == ETH_TYPE_IP || x == ETH_TYPE_ARP);
    case OFPP_TCP_UDP_SCTP:
        return pre_ip_proto(flow, need, unwc, 0, &x)
               && (x == 6 || x == 17 || x == 132);
    case OFPP_TCP:
        return pre_ip_proto(flow, need, unwc, 0, &x) && x == 6;
    case OFPP_ICMPV4:
        return pre_ip_proto(flow, need, unwc, ETH_TYPE_IP, &x) && x == 1;
    case OFPP_ICMPV6:
        return pre_ip_proto(flow, need, unwc, ETH_TYPE_IPV6, &x) && x == 58;
    case OFPP_ND:
        return pre_icmpv6_type(flow, need, unwc, &x)
               && (x == 135 || x == 136);
    case OFPP_ND_NS:
        return pre_icmpv6_type(flow, need, unwc, &x) && x == 135;
    case OFPP_ND_NA:
        return pre_icmpv6_type(flow, need, unwc, &x) && x == 136;
    }
    return false;
}

bool
ofp_field_prereqs_ok(const struct ofp_field *f, const struct flow *flow,
                     const struct flow_wc *wc)
{
    return prereq_eval(f->prereq, flow, wc, NULL);
}

bool
ofp_field_prereqs_hold(const struct ofp_field *f, const struct flow *flow,
                       struct flow_wc *wc)
{
    return prereq_eval(f->prereq, flow, NULL, wc);
}
