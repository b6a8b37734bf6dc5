/* SPDX-License-Identifier: Apache-2.0 */
/* ofp_match_set() and ofp_match_format(): building a match field by field
 * and printing it as ovs-ofctl dump-flows does (ofp_match.h).  The rest of
 * the match module (equal, matches, covers) is ofp_match.c. */
#include "ofp_match.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "datapath/dp_fmt.h"

void
ofp_match_set(struct ofp_match *m, const struct ofp_field *f,
              const union ofp_value *value, const union ofp_value *mask)
{
    union ofp_value mm, vv;

    if (mask) {
        mm = *mask;
    } else {
        ofp_value_all_ones(f, &mm);
    }
    for (unsigned i = 0; i < sizeof vv.u8; i++) {
        vv.u8[i] = value->u8[i] & mm.u8[i];
    }
    /* ofp_field_set() without a mask writes every bit of the field, so
     * the earlier value and mask are replaced, and the key stays zero
     * wherever the mask is. */
    ofp_field_set(f, &m->wc.masks, &mm, NULL);
    ofp_field_set(f, &m->flow, &vv, NULL);
}

/* ---- Formatting --------------------------------------------------------- */

/* Appends one comma-separated element. */
static void RSW_PRINTF(2, 3)
out_add(struct dp_fmt *o, const char *fmt, ...)
{
    va_list args;

    if (o->len) {
        dp_fmt_put(o, ",");
    }
    va_start(args, fmt);
    dp_fmt_vput(o, fmt, args);
    va_end(args);
}

static uint64_t
field_u64(const struct ofp_field *f, const struct flow *flow)
{
    union ofp_value v;

    ofp_field_get(f, flow, &v);
    return ofp_value_to_u64(&v);
}

/* What the match says dl_type / nw_proto are, -1 if wild. */
struct match_proto {
    long dl_type, nw_proto;
};

static struct match_proto
match_proto(const struct ofp_match *m)
{
    const struct ofp_field *t = ofp_field_by_id(OFPF_DL_TYPE);
    const struct ofp_field *p = ofp_field_by_id(OFPF_NW_PROTO);
    struct match_proto mp = { -1, -1 };

    if (ofp_field_is_exact(t, &m->wc)) {
        mp.dl_type = (long) field_u64(t, &m->flow);
    }
    if (ofp_field_is_exact(p, &m->wc)) {
        mp.nw_proto = (long) field_u64(p, &m->flow);
    }
    return mp;
}

struct shorthand {
    const char *name;
    long dl_type, nw_proto;
};

static const struct shorthand shorthands[] = {
    { "icmp", 0x0800, 1 }, { "tcp", 0x0800, 6 }, { "udp", 0x0800, 17 },
    { "sctp", 0x0800, 132 }, { "icmp6", 0x86dd, 58 }, { "tcp6", 0x86dd, 6 },
    { "udp6", 0x86dd, 17 }, { "sctp6", 0x86dd, 132 },
    { "ip", 0x0800, -1 }, { "ipv6", 0x86dd, -1 }, { "arp", 0x0806, -1 },
    { "rarp", 0x8035, -1 },
};

/* The shorthand that states dl_type (and nw_proto, if it matched one):
 * sets *used_proto when it covers nw_proto too.  NULL if none. */
static const struct shorthand *
pick_shorthand(struct match_proto mp, bool *used_proto)
{
    *used_proto = false;
    for (size_t i = 0; i < RSW_ARRAY_SIZE(shorthands); i++) {
        const struct shorthand *s = &shorthands[i];
        if (s->dl_type != mp.dl_type) {
            continue;
        }
        if (s->nw_proto < 0 || s->nw_proto == mp.nw_proto) {
            *used_proto = s->nw_proto >= 0;
            return s;
        }
    }
    return NULL;
}

static void
format_field(struct dp_fmt *o, const struct ofp_match *m, enum ofp_field_id id,
             const char *name)
{
    const struct ofp_field *f = ofp_field_by_id(id);
    union ofp_value v, mask;
    char text[OFP_FIELD_FORMAT_SIZE];

    if (ofp_field_is_wild(f, &m->wc)) {
        return;
    }
    ofp_field_get(f, &m->flow, &v);
    ofp_field_get(f, &m->wc.masks, &mask);
    ofp_field_format(f, &v, &mask, text, sizeof text);
    out_add(o, "%s=%s", name ? name : f->name, text);
}

#define VLAN_VID 0x0fffu
#define VLAN_PCP 0xe000u

/* As ovs-ofctl: dl_vlan / dl_vlan_pcp when the match is the OpenFlow 1.0
 * kind (a tag present, whole VID and/or whole PCP), else vlan_tci. */
static void
format_vlan(struct dp_fmt *o, const struct ofp_match *m)
{
    const struct ofp_field *f = ofp_field_by_id(OFPF_VLAN_TCI);
    unsigned tci = (unsigned) field_u64(f, &m->flow);
    unsigned mask = (unsigned) field_u64(f, &m->wc.masks);
    unsigned vid_mask = mask & VLAN_VID, pcp_mask = mask & VLAN_PCP;

    if (!mask) {
        return;
    }
    if ((mask & OFP_VLAN_CFI) && (tci & OFP_VLAN_CFI)
        && (!vid_mask || vid_mask == VLAN_VID)
        && (!pcp_mask || pcp_mask == VLAN_PCP) && (vid_mask || pcp_mask)) {
        if (vid_mask) {
            out_add(o, "dl_vlan=%u", tci & VLAN_VID);
        }
        if (pcp_mask) {
            out_add(o, "dl_vlan_pcp=%u", (tci & VLAN_PCP) >> 13);
        }
    } else if (mask == 0xffff) {
        out_add(o, "vlan_tci=0x%04x", tci);
    } else {
        out_add(o, "vlan_tci=0x%04x/0x%04x", tci, mask);
    }
}

static void
format_l2(struct dp_fmt *o, const struct ofp_match *m, bool shorthand)
{
    format_field(o, m, OFPF_IN_PORT, NULL);
    format_field(o, m, OFPF_METADATA, NULL);
    for (int r = OFPF_REG0; r <= OFPF_REG7; r++) {
        format_field(o, m, (enum ofp_field_id) r, NULL);
    }
    format_vlan(o, m);
    format_field(o, m, OFPF_DL_SRC, NULL);
    format_field(o, m, OFPF_DL_DST, NULL);
    if (!shorthand) {
        format_field(o, m, OFPF_DL_TYPE, NULL);
    }
}

/* Fields that share storage print under the name their protocol gives
 * them: nw_src is arp_spa under ARP, tp_src is icmp_type under ICMP. */
static void
format_l3_l4(struct dp_fmt *o, const struct ofp_match *m, struct match_proto mp,
             bool proto_done)
{
    bool arp = mp.dl_type == 0x0806 || mp.dl_type == 0x8035;
    bool icmp4 = mp.dl_type == 0x0800 && mp.nw_proto == 1;
    bool icmp6 = mp.dl_type == 0x86dd && mp.nw_proto == 58;

    format_field(o, m, arp ? OFPF_ARP_SPA : OFPF_NW_SRC, NULL);
    format_field(o, m, arp ? OFPF_ARP_TPA : OFPF_NW_DST, NULL);
    format_field(o, m, OFPF_IPV6_SRC, NULL);
    format_field(o, m, OFPF_IPV6_DST, NULL);
    format_field(o, m, OFPF_IPV6_LABEL, NULL);
    if (!proto_done) {
        format_field(o, m, OFPF_NW_PROTO, NULL);
    }
    format_field(o, m, OFPF_NW_TOS, NULL);
    format_field(o, m, OFPF_NW_ECN, NULL);
    format_field(o, m, OFPF_NW_TTL, NULL);
    format_field(o, m, OFPF_IP_FRAG, "nw_frag");
    format_field(o, m, icmp4 ? OFPF_ICMP_TYPE
                 : icmp6 ? OFPF_ICMPV6_TYPE : OFPF_TP_SRC, NULL);
    format_field(o, m, icmp4 ? OFPF_ICMP_CODE
                 : icmp6 ? OFPF_ICMPV6_CODE : OFPF_TP_DST, NULL);
    format_field(o, m, OFPF_TCP_FLAGS, NULL);
    format_field(o, m, OFPF_ARP_OP, NULL);
    format_field(o, m, OFPF_ND_TARGET, NULL);
    format_field(o, m, icmp6 ? OFPF_ND_SLL : OFPF_ARP_SHA, NULL);
    format_field(o, m, icmp6 ? OFPF_ND_TLL : OFPF_ARP_THA, NULL);
}

char *
ofp_match_format(const struct ofp_match *m, char *buf, size_t size)
{
    struct dp_fmt o = dp_fmt_init(buf, size);
    struct match_proto mp = match_proto(m);
    const struct shorthand *sh;
    bool proto_done;

    sh = pick_shorthand(mp, &proto_done);
    if (sh) {
        out_add(&o, "%s", sh->name);
    }
    format_l2(&o, m, sh != NULL);
    format_l3_l4(&o, m, mp, proto_done);
    return buf;
}
