/* SPDX-License-Identifier: Apache-2.0 */
/* Translation of one packet's walk through a bridge's OpenFlow tables into
 * one datapath flow: datapath actions plus the megaflow mask (see
 * ofproto_private.h for the contract, xlate.h for the method). */
#include "xlate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ofp_actions.h"
#include "ofp_field.h"
#include "vhost/vlog.h"

#define VLAN_VID_MASK 0x0fffu
#define VLAN_PCP_SHIFT 13
#define VLAN_PCP_MASK 0xe000u
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_IPV6 0x86dd
#define ETH_TYPE_ARP 0x0806

/* ---- Reporting -------------------------------------------------------- */

void
xlate_report(struct xlate_ctx *x, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (!x->trace) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    ofp_text_printf(x->trace, "%*s%s\n", (int) (4 + 4 * x->depth), "", line);
}

const char *
xlate_strerror(int error)
{
    switch (error) {
    case -ELOOP:
        return "resubmits nested too deep";
    case -E2BIG:
        return "too many resubmits or actions";
    case -ENOSPC:
        return "datapath action list full";
    default:
        return strerror(-error);
    }
}

void
xlate_fail(struct xlate_ctx *x, int error, const char *what)
{
    if (!x->error) {
        x->error = error;
        xlate_report(x, "-> error: %s: the packet is dropped", what);
    }
    x->exit = true;
}

static void
xlate_dp_add(struct xlate_ctx *x, const struct dp_action *a)
{
    int err = dp_actions_add(&x->out->actions, a);

    if (err) {
        xlate_fail(x, err, "datapath action list full");
    }
}

/* ---- VLAN stack ------------------------------------------------------- */

static void
vlans_from_dp(const struct flow *dp, struct xlate_vlans *v)
{
    memset(v, 0, sizeof *v);
    for (unsigned i = 0; i < FLOW_MAX_VLANS && dp->vlans[i].tpid; i++) {
        v->tag[i].tpid = ntohs(dp->vlans[i].tpid);
        v->tag[i].tci = ntohs(dp->vlans[i].tci);
        v->n++;
    }
}

/* The working flow's tags after the stack changed (pipeline view: CFI in
 * the outer TCI says "tagged"). */
static void
vlans_to_flow(const struct xlate_vlans *v, struct flow *f)
{
    memset(f->vlans, 0, sizeof f->vlans);
    for (unsigned i = 0; i < v->n; i++) {
        f->vlans[i].tpid = htons(v->tag[i].tpid);
        f->vlans[i].tci = htons(v->tag[i].tci);
    }
    if (v->n) {
        f->vlans[0].tci |= htons(OFP_VLAN_CFI);
    }
}

void
xlate_vlan_dep(struct xlate_ctx *x)
{
    for (unsigned i = 0; i < FLOW_MAX_VLANS; i++) {
        x->dp_wc.masks.vlans[i].tpid = UINT16_MAX;
        x->dp_wc.masks.vlans[i].tci = UINT16_MAX;
    }
}

static bool
vlan_push(struct xlate_ctx *x, uint16_t tpid, uint16_t tci)
{
    struct xlate_vlans *v = &x->vlans;

    if (v->n == FLOW_MAX_VLANS) {
        /* The key holds two tags (flow.h); a third could not be matched
         * or committed.  OVS drops such packets too. */
        xlate_report(x, "-> a third VLAN tag is not supported: drop");
        x->exit = true;
        return false;
    }
    v->tag[1] = v->tag[0];
    v->tag[0].tpid = tpid;
    v->tag[0].tci = tci;
    v->n++;
    return true;
}

static void
vlan_pop(struct xlate_vlans *v)
{
    if (v->n) {
        v->tag[0] = v->tag[1];
        memset(&v->tag[1], 0, sizeof v->tag[1]);
        v->n--;
    }
}

/* mod_vlan_vid / mod_vlan_pcp (OpenFlow 1.0 §5.2.4: rewrite the tag, or
 * push one with the other part 0 on an untagged packet). */
static void
xlate_mod_vlan(struct xlate_ctx *x, uint16_t bits, uint16_t mask)
{
    struct xlate_vlans *v = &x->vlans;

    xlate_vlan_dep(x);
    if (!v->n) {
        if (!vlan_push(x, DP_ETH_TYPE_VLAN, bits)) {
            return;
        }
    } else {
        v->tag[0].tci = (uint16_t) ((v->tag[0].tci & ~mask) | bits);
    }
    vlans_to_flow(v, &x->flow);
}

/* push_vlan: the new tag copies the outer tag's VID and PCP, or is 0
 * (OpenFlow 1.3 §7.2.5, "Push-Tag"). */
static void
xlate_push_vlan(struct xlate_ctx *x, uint16_t tpid)
{
    struct xlate_vlans *v = &x->vlans;
    uint16_t tci = v->n ? v->tag[0].tci & (VLAN_VID_MASK | VLAN_PCP_MASK) : 0;

    xlate_vlan_dep(x);
    if (vlan_push(x, tpid, tci)) {
        vlans_to_flow(v, &x->flow);
    }
}

static void
xlate_strip_vlan(struct xlate_ctx *x)
{
    xlate_vlan_dep(x);
    vlan_pop(&x->vlans);
    vlans_to_flow(&x->vlans, &x->flow);
}

/* A set_field/load/move wrote the pipeline's vlan_tci: CFI clear means
 * no tag (pop), CFI set on an untagged packet pushes an 802.1Q tag, else
 * VID and PCP are rewritten and the tag's own DEI bit kept. */
static void
xlate_vlan_tci_written(struct xlate_ctx *x)
{
    struct xlate_vlans *v = &x->vlans;
    uint16_t tci = ntohs(x->flow.vlans[0].tci);

    if (!(tci & OFP_VLAN_CFI)) {
        vlan_pop(v);
    } else if (!v->n) {
        (void) vlan_push(x, DP_ETH_TYPE_VLAN, (uint16_t) (tci & ~OFP_VLAN_CFI));
    } else {
        v->tag[0].tci = (uint16_t) ((tci & ~OFP_VLAN_CFI)
                                    | (v->tag[0].tci & OFP_VLAN_CFI));
    }
    vlans_to_flow(v, &x->flow);
}

/* ---- Committing modifications into datapath actions ------------------- */

static bool
vlan_tag_equal(const struct xlate_vlans *a, unsigned i,
               const struct xlate_vlans *b, unsigned j)
{
    return a->tag[i].tpid == b->tag[j].tpid && a->tag[i].tci == b->tag[j].tci;
}

/* How many inner tags 'base' and 'want' share (kept by the commit). */
static unsigned
vlans_common_inner(const struct xlate_vlans *base,
                   const struct xlate_vlans *want)
{
    unsigned k = base->n < want->n ? base->n : want->n;

    for (; k > 0; k--) {
        bool same = true;
        for (unsigned i = 0; i < k; i++) {
            same &= vlan_tag_equal(base, base->n - k + i, want,
                                   want->n - k + i);
        }
        if (same) {
            break;
        }
    }
    return k;
}

/* Only the outer tag's VID/PCP differ: set them in place. */
static bool
vlans_commit_in_place(struct xlate_ctx *x, const struct xlate_vlans *b,
                      const struct xlate_vlans *w)
{
    uint16_t diff = b->tag[0].tci ^ w->tag[0].tci;
    struct dp_action d;

    if (b->n != w->n || !b->n || (b->n == 2 && !vlan_tag_equal(b, 1, w, 1))
        || b->tag[0].tpid != w->tag[0].tpid || (diff & OFP_VLAN_CFI)) {
        return false;
    }
    if (diff & VLAN_VID_MASK) {
        d = (struct dp_action) {.type = DP_ACTION_SET_VLAN_VID,
                                .u16 = w->tag[0].tci & VLAN_VID_MASK};
        xlate_dp_add(x, &d);
    }
    if (diff & VLAN_PCP_MASK) {
        d = (struct dp_action) {.type = DP_ACTION_SET_VLAN_PCP,
                                .u8 = (uint8_t) (w->tag[0].tci
                                                 >> VLAN_PCP_SHIFT)};
        xlate_dp_add(x, &d);
    }
    return true;
}

static void
xlate_commit_vlans(struct xlate_ctx *x, const struct xlate_vlans *want)
{
    struct xlate_vlans *b = &x->base_vlans;
    unsigned keep;

    if (!memcmp(b, want, sizeof *b)) {
        return;
    }
    xlate_vlan_dep(x);   /* already so: stacks only diverge by VLAN ops */
    if (!vlans_commit_in_place(x, b, want)) {
        keep = vlans_common_inner(b, want);
        for (unsigned i = keep; i < b->n; i++) {
            xlate_dp_add(x, &(struct dp_action) {.type = DP_ACTION_POP_VLAN});
        }
        for (unsigned i = want->n - keep; i-- > 0;) {
            struct dp_action d = {.type = DP_ACTION_PUSH_VLAN};
            d.vlan.tpid = want->tag[i].tpid;
            d.vlan.tci = want->tag[i].tci;
            xlate_dp_add(x, &d);
        }
    }
    *b = *want;
}

/* The datapath-settable fields (dp_actions.h), in struct flow. */
struct commit_field {
    uint16_t ofs;
    uint8_t len;
    uint8_t last_mask;   /* bits of the last byte the set action writes */
    uint8_t type;        /* enum dp_action_type */
};

#define COMMIT_FIELD(MEMBER, LAST_MASK, TYPE)                             \
    { (uint16_t) offsetof(struct flow, MEMBER),                           \
      (uint8_t) sizeof(((struct flow *) 0)->MEMBER), LAST_MASK, TYPE }

static const struct commit_field commit_fields[] = {
    COMMIT_FIELD(dl_src, 0xff, DP_ACTION_SET_ETH_SRC),
    COMMIT_FIELD(dl_dst, 0xff, DP_ACTION_SET_ETH_DST),
    COMMIT_FIELD(nw_src, 0xff, DP_ACTION_SET_IPV4_SRC),
    COMMIT_FIELD(nw_dst, 0xff, DP_ACTION_SET_IPV4_DST),
    COMMIT_FIELD(nw_tos, 0xfc, DP_ACTION_SET_IPV4_DSCP),  /* ECN kept */
    COMMIT_FIELD(nw_ttl, 0xff, DP_ACTION_SET_IPV4_TTL),
    COMMIT_FIELD(tp_src, 0xff, DP_ACTION_SET_TP_SRC),
    COMMIT_FIELD(tp_dst, 0xff, DP_ACTION_SET_TP_DST),
};

static void
commit_field_emit(struct xlate_ctx *x, const struct commit_field *cf)
{
    const struct flow *f = &x->flow;
    struct dp_action d = {.type = cf->type};

    switch ((enum dp_action_type) cf->type) {
    case DP_ACTION_SET_ETH_SRC:
        memcpy(d.mac, f->dl_src.ea, sizeof d.mac);
        break;
    case DP_ACTION_SET_ETH_DST:
        memcpy(d.mac, f->dl_dst.ea, sizeof d.mac);
        break;
    case DP_ACTION_SET_IPV4_SRC:
    case DP_ACTION_SET_IPV4_DST:
        d.ipv4 = cf->type == DP_ACTION_SET_IPV4_SRC ? f->nw_src : f->nw_dst;
        break;
    case DP_ACTION_SET_IPV4_DSCP:
        d.u8 = f->nw_tos & 0xfc;
        break;
    case DP_ACTION_SET_IPV4_TTL:
        d.u8 = f->nw_ttl;
        break;
    default:    /* SET_TP_*: written only for TCP/UDP (xlate_dp_can_write) */
        d.proto = f->nw_proto;
        d.u16 = ntohs(cf->type == DP_ACTION_SET_TP_SRC ? f->tp_src
                                                       : f->tp_dst);
        break;
    }
    xlate_dp_add(x, &d);
}

/* Emits a set for the field if actions wrote it and the packet would
 * change.  "Would change" is decided without looking at more of the
 * original packet than already looked at: when that cannot tell, the set
 * is emitted (a harmless rewrite to the same value). */
static void
commit_field(struct xlate_ctx *x, const struct commit_field *cf)
{
    const uint8_t *w = (const uint8_t *) &x->written + cf->ofs;
    const uint8_t *cur = (const uint8_t *) &x->flow + cf->ofs;
    uint8_t *wc = (uint8_t *) &x->wc.masks + cf->ofs;
    uint8_t *known = (uint8_t *) &x->base_known + cf->ofs;
    uint8_t *base = (uint8_t *) &x->base + cf->ofs;
    bool any = false, stable = true, equal = true;

    for (unsigned i = 0; i < cf->len; i++) {
        any |= w[i] != 0;
    }
    if (!any) {
        return;
    }
    for (unsigned i = 0; i < cf->len; i++) {
        uint8_t am = i == cf->len - 1u ? cf->last_mask : 0xff;
        /* The set carries the whole field: its unwritten bits are the
         * packet's own, so they become part of the megaflow. */
        wc[i] |= (uint8_t) (am & ~w[i]);
        stable &= !(am & ~(known[i] | wc[i]));
        equal &= !((cur[i] ^ base[i]) & am);
    }
    if (stable && equal) {
        return;
    }
    commit_field_emit(x, cf);
    memcpy(base, cur, cf->len);
    memset(known, 0xff, cf->len);
}

static void
xlate_commit(struct xlate_ctx *x, const struct xlate_vlans *vlans)
{
    xlate_commit_vlans(x, vlans);
    for (size_t i = 0; i < RSW_ARRAY_SIZE(commit_fields) && !x->exit; i++) {
        commit_field(x, &commit_fields[i]);
    }
}

/* ---- Outputs ---------------------------------------------------------- */

void
xlate_output_port(struct xlate_ctx *x, const struct ofproto_port *p,
                  const struct xlate_vlans *vlans)
{
    int err;

    if (x->exit) {
        return;
    }
    xlate_commit(x, vlans ? vlans : &x->vlans);
    if (x->exit) {
        return;
    }
    err = dp_actions_add_output(&x->out->actions, p->dp_port);
    if (err) {
        xlate_fail(x, err, "datapath action list full");
        return;
    }
    xlate_report(x, "-> output to port %" PRIu32 " (dp %" PRIu32 ")",
                 p->ofport, p->dp_port);
}

static void
xlate_output_ofport(struct xlate_ctx *x, uint32_t ofport, bool to_in_port)
{
    const struct ofproto_port *p;

    /* OpenFlow 1.3 §4.5: sending a packet back out of its input port
     * takes the reserved port IN_PORT; output:N to it does nothing. */
    if (ofport == x->flow.in_port && !to_in_port) {
        xlate_report(x, "-> port %" PRIu32 " is the input port: skipped "
                     "(use in_port)", ofport);
        return;
    }
    p = ofproto_port_by_ofport(x->br, ofport);
    if (!p) {
        xlate_report(x, "-> no port %" PRIu32 " on this bridge: nothing sent",
                     ofport);
        return;
    }
    xlate_output_port(x, p, NULL);
}

/* FLOOD and ALL: every port but the input one (OpenFlow 1.3 §4.5; no
 * port here has flooding disabled, so the two are the same). */
static void
xlate_flood(struct xlate_ctx *x)
{
    for (unsigned i = 0; i < x->br->n_ports && !x->exit; i++) {
        if (x->br->ports[i].ofport != x->flow.in_port) {
            xlate_output_port(x, &x->br->ports[i], NULL);
        }
    }
}

static void
xlate_output(struct xlate_ctx *x, uint32_t port)
{
    switch (port) {
    case OFPP_IN_PORT:
        xlate_output_ofport(x, x->flow.in_port, true);
        break;
    case OFPP_NORMAL:
        xlate_normal(x);
        break;
    case OFPP_FLOOD:
    case OFPP_ALL:
        xlate_flood(x);
        break;
    case OFPP_LOCAL:
        xlate_report(x, "-> LOCAL: this switch has no local port, "
                     "nothing sent");
        break;
    default:
        if (port < OFPP_MAX) {
            xlate_output_ofport(x, port, false);
        } else {
            xlate_report(x, "-> reserved port 0x%" PRIx32 " is not "
                         "supported: nothing sent", port);
        }
        break;
    }
}

/* ---- Field writes ----------------------------------------------------- */

enum write_kind {
    WRITE_PIPELINE,   /* in_port, metadata, regs: the working flow only */
    WRITE_L2,         /* Ethernet addresses */
    WRITE_VLAN,       /* vlan_tci, dl_vlan, dl_vlan_pcp, vlan_vid */
    WRITE_IPV4,       /* nw_src/dst, DSCP, TTL of IPv4 */
    WRITE_L4,         /* TCP/UDP ports of IPv4 */
    WRITE_NONE,       /* the datapath has no action for it */
};

static enum write_kind
field_write_kind(const struct ofp_field *f)
{
    switch (f->id) {
    case OFPF_IN_PORT: case OFPF_METADATA:
    case OFPF_REG0: case OFPF_REG1: case OFPF_REG2: case OFPF_REG3:
    case OFPF_REG4: case OFPF_REG5: case OFPF_REG6: case OFPF_REG7:
        return WRITE_PIPELINE;
    case OFPF_DL_SRC: case OFPF_DL_DST:
        return WRITE_L2;
    case OFPF_VLAN_TCI: case OFPF_DL_VLAN: case OFPF_DL_VLAN_PCP:
    case OFPF_VLAN_VID:
        return WRITE_VLAN;
    case OFPF_NW_SRC: case OFPF_NW_DST: case OFPF_NW_TOS: case OFPF_IP_DSCP:
    case OFPF_NW_TTL:
        return WRITE_IPV4;
    case OFPF_TP_SRC: case OFPF_TP_DST:
        return WRITE_L4;
    default:
        return WRITE_NONE;
    }
}

/* Can the datapath rewrite this kind of field in this packet?  Its set
 * actions cover IPv4 and TCP/UDP over IPv4 only (dp_actions.h): not ARP's
 * addresses, IPv6's traffic class or hop limit, SCTP's ports. */
static bool
xlate_dp_can_write(struct xlate_ctx *x, enum write_kind kind)
{
    if (kind == WRITE_IPV4 || kind == WRITE_L4) {
        x->wc.masks.dl_type = UINT16_MAX;
        if (x->flow.dl_type != htons(ETH_TYPE_IPV4)) {
            return false;
        }
    }
    if (kind == WRITE_L4) {
        x->wc.masks.nw_proto = UINT8_MAX;
        return x->flow.nw_proto == DP_IPPROTO_TCP
               || x->flow.nw_proto == DP_IPPROTO_UDP;
    }
    return kind != WRITE_NONE;
}

static void
flow_or(struct flow *dst, const struct flow *src)
{
    flow_u64 *d = flow_u64s_rw(dst);
    const flow_u64 *s = flow_u64s(src);

    for (size_t i = 0; i < FLOW_U64S; i++) {
        d[i] |= s[i];
    }
}

/* field = (field & ~mask) | (value & mask) in the working flow, if the
 * packet has the field (OpenFlow 1.3 §7.2.3.6 prerequisites) and the
 * datapath can rewrite it; a write it cannot carry out ends the walk:
 * forwarding the packet unmodified would break what the rule promised. */
static void
xlate_write(struct xlate_ctx *x, const struct ofp_field *f,
            const union ofp_value *value, const union ofp_value *mask)
{
    enum write_kind kind = field_write_kind(f);
    struct flow_wc w;

    if (!ofp_field_prereqs_hold(f, &x->flow, &x->wc)) {
        xlate_report(x, "-> packet has no %s: skipped", f->name);
        return;
    }
    /* nw_src/nw_dst also name ARP's SPA/TPA in matches, but mod_nw_src and
     * set_field:...->nw_src rewrite IPv4 only (OVS's SET_IPV4_SRC): on an
     * ARP packet they do nothing, they must not end the walk. */
    if ((f->id == OFPF_NW_SRC || f->id == OFPF_NW_DST)
        && x->flow.dl_type == htons(ETH_TYPE_ARP)) {
        xlate_report(x, "-> %s on an ARP packet: skipped (IPv4 only)",
                     f->name);
        return;
    }
    if (!xlate_dp_can_write(x, kind)) {
        xlate_report(x, "-> the datapath cannot rewrite %s of this packet: "
                     "drop", f->name);
        x->exit = true;
        return;
    }
    if (kind == WRITE_VLAN) {
        xlate_vlan_dep(x);
        ofp_field_set(f, &x->flow, value, mask);
        xlate_vlan_tci_written(x);
        return;
    }
    ofp_field_set(f, &x->flow, value, mask);
    if (kind != WRITE_PIPELINE) {
        memset(&w, 0, sizeof w);
        ofp_field_unwildcard(f, &w, mask);
        flow_or(&x->written, &w.masks);
    }
}

/* Bit 'i' (0 = least significant) of a right-aligned value. */
static bool
value_bit(const union ofp_value *v, unsigned i)
{
    return (v->u8[15 - i / 8] >> (i % 8)) & 1;
}

static void
value_set_bit(union ofp_value *v, unsigned i)
{
    v->u8[15 - i / 8] |= (uint8_t) (1u << (i % 8));
}

static void
xlate_load(struct xlate_ctx *x, const struct ofp_action *a)
{
    const struct ofp_subfield *dst = &a->load.dst;
    union ofp_value value, mask;

    memset(&value, 0, sizeof value);
    memset(&mask, 0, sizeof mask);
    for (unsigned i = 0; i < dst->n_bits && dst->ofs + i < 128; i++) {
        if (value_bit(&a->load.value, i)) {
            value_set_bit(&value, dst->ofs + i);
        }
        value_set_bit(&mask, dst->ofs + i);
    }
    xlate_write(x, dst->field, &value, &mask);
}

/* move: the source bits are read (un-wildcarded), the destination's
 * written; both fields' prerequisites must hold. */
static void
xlate_move(struct xlate_ctx *x, const struct ofp_action *a)
{
    const struct ofp_subfield *src = &a->move.src, *dst = &a->move.dst;
    union ofp_value sval, smask, value, mask;

    if (!ofp_field_prereqs_hold(src->field, &x->flow, &x->wc)) {
        xlate_report(x, "-> packet has no %s: skipped", src->field->name);
        return;
    }
    ofp_field_get(src->field, &x->flow, &sval);
    memset(&smask, 0, sizeof smask);
    memset(&value, 0, sizeof value);
    memset(&mask, 0, sizeof mask);
    for (unsigned i = 0; i < src->n_bits && i < dst->n_bits; i++) {
        if (src->ofs + i >= 128 || dst->ofs + i >= 128) {
            break;
        }
        value_set_bit(&smask, src->ofs + i);
        if (value_bit(&sval, src->ofs + i)) {
            value_set_bit(&value, dst->ofs + i);
        }
        value_set_bit(&mask, dst->ofs + i);
    }
    ofp_field_unwildcard(src->field, &x->wc, &smask);
    if (field_write_kind(src->field) == WRITE_VLAN) {
        xlate_vlan_dep(x);
    }
    xlate_write(x, dst->field, &value, &mask);
}

/* dec_ttl (OpenFlow 1.3 §5.12, "Decrement IP TTL"): a TTL that would
 * reach 0 ends the walk; there is no controller to send it to. */
static void
xlate_dec_ttl(struct xlate_ctx *x)
{
    bool v4;

    x->wc.masks.dl_type = UINT16_MAX;
    v4 = x->flow.dl_type == htons(ETH_TYPE_IPV4);
    if (!v4 && x->flow.dl_type != htons(ETH_TYPE_IPV6)) {
        xlate_report(x, "-> not an IP packet: nothing to decrement");
        return;
    }
    x->wc.masks.nw_ttl = UINT8_MAX;   /* the new value depends on it */
    if (x->flow.nw_ttl <= 1) {
        xlate_report(x, "-> %s %u expires: drop", v4 ? "TTL" : "hop limit",
                     x->flow.nw_ttl);
        x->exit = true;
        return;
    }
    if (!v4) {
        /* dp_actions.h has no IPv6 set: decrementing is impossible, and
         * forwarding with the old hop limit could loop forever. */
        xlate_report(x, "-> the datapath cannot rewrite the IPv6 hop limit: "
                     "drop");
        x->exit = true;
        return;
    }
    x->flow.nw_ttl--;
    x->written.nw_ttl = UINT8_MAX;
}

/* ---- The walk --------------------------------------------------------- */

static void xlate_table(struct xlate_ctx *, uint8_t table_id);

/* resubmit([port],[table]): a nested lookup, with in_port replaced for
 * it; the actions after it continue with what it did to the packet. */
static void
xlate_resubmit(struct xlate_ctx *x, const struct ofp_action *a,
               uint8_t table_id)
{
    uint8_t table = a->resubmit.table == OFP_TABLE_CURRENT
                    ? table_id : a->resubmit.table;
    uint32_t old_in_port = x->flow.in_port;

    if (x->depth >= XLATE_MAX_DEPTH) {
        xlate_fail(x, -ELOOP, "resubmits nested more than 64 deep");
        return;
    }
    if (++x->n_resubmits > XLATE_MAX_RESUBMITS) {
        xlate_fail(x, -E2BIG, "more than 4096 resubmits");
        return;
    }
    if (table >= OFP_N_TABLES) {
        xlate_report(x, "-> no table %u: nothing to do", table);
        return;
    }
    if (a->resubmit.port != OFPP_IN_PORT) {
        x->flow.in_port = a->resubmit.port;
    }
    x->depth++;
    xlate_table(x, table);
    x->depth--;
    x->flow.in_port = old_in_port;
}

static void
xlate_action(struct xlate_ctx *x, const struct ofp_action *a,
             uint8_t table_id)
{
    uint64_t md = x->flow.metadata;

    switch ((enum ofp_action_type) a->type) {
    case OFPACT_OUTPUT:
        xlate_output(x, a->port);
        break;
    case OFPACT_SET_FIELD:
        xlate_write(x, a->set.field, &a->set.value, &a->set.mask);
        break;
    case OFPACT_SET_VLAN_VID:
        xlate_mod_vlan(x, a->vid & VLAN_VID_MASK, VLAN_VID_MASK);
        break;
    case OFPACT_SET_VLAN_PCP:
        xlate_mod_vlan(x, (uint16_t) ((a->pcp & 7u) << VLAN_PCP_SHIFT),
                       VLAN_PCP_MASK);
        break;
    case OFPACT_STRIP_VLAN:
        xlate_strip_vlan(x);
        break;
    case OFPACT_PUSH_VLAN:
        xlate_push_vlan(x, a->tpid);
        break;
    case OFPACT_DEC_TTL:
        xlate_dec_ttl(x);
        break;
    case OFPACT_LOAD:
        xlate_load(x, a);
        break;
    case OFPACT_MOVE:
        xlate_move(x, a);
        break;
    case OFPACT_RESUBMIT:
        xlate_resubmit(x, a, table_id);
        break;
    case OFPACT_WRITE_METADATA:
        x->flow.metadata = (md & ~a->metadata.mask)
                           | (a->metadata.value & a->metadata.mask);
        break;
    case OFPACT_GOTO_TABLE:     /* handled by xlate_actions() */
    case OFPACT_N_TYPES:
    default:
        break;
    }
}

static void
xlate_report_action(struct xlate_ctx *x, const struct ofp_action *a)
{
    char buf[OFP_ACTIONS_FORMAT_SIZE];

    if (x->trace) {
        xlate_report(x, "%s", ofp_actions_format(a, 1, buf, sizeof buf));
    }
}

/* Runs a rule's actions; returns the goto_table target, or -1. */
static int
xlate_actions(struct xlate_ctx *x, const struct ofp_action *acts,
              unsigned n, uint8_t table_id)
{
    for (unsigned i = 0; i < n && !x->exit; i++) {
        if (++x->n_actions > XLATE_MAX_ACTIONS) {
            xlate_fail(x, -E2BIG, "more than 32768 actions");
            break;
        }
        xlate_report_action(x, &acts[i]);
        if (acts[i].type == OFPACT_GOTO_TABLE) {
            return acts[i].table;   /* last of the list (ofp_actions.h) */
        }
        xlate_action(x, &acts[i], table_id);
    }
    return -1;
}

static void
xlate_report_rule(struct xlate_ctx *x, uint8_t table_id,
                  const struct ofproto_rule *rule)
{
    char match[OFP_MATCH_FORMAT_SIZE];
    int indent = (int) (4 * x->depth);

    if (!x->trace) {
        return;
    }
    if (!rule) {
        ofp_text_printf(x->trace, "%*s%2u. no match: drop\n", indent, "",
                        table_id);
        return;
    }
    ofp_match_format(&rule->cr.match, match, sizeof match);
    ofp_text_printf(x->trace, "%*s%2u. %s%spriority %" PRIu32
                    ", cookie 0x%" PRIx64 "\n", indent, "", table_id, match,
                    match[0] ? ", " : "", rule->cr.priority, rule->cookie);
}

static const struct ofproto_rule *
xlate_lookup(struct xlate_ctx *x, uint8_t table_id)
{
    struct ofproto_table *t = &x->br->tables[table_id];
    const struct ofp_cls_rule *cr = NULL;

    if (t->cls) {
        cr = ofp_cls_lookup(t->cls, &x->flow, &x->wc);
    }
    if (x->may_learn) {
        t->n_lookups++;
        t->n_matched += cr != NULL;
    }
    /* 'cr' is the first member of struct ofproto_rule. */
    return (const struct ofproto_rule *) cr;
}

void
xlate_add_ref_id(struct xlate_ctx *x, uint64_t id)
{
    struct upcall_refs *refs = &x->out->refs;

    for (unsigned i = 0; i < refs->n; i++) {
        if (refs->ids[i] == id) {
            return;
        }
    }
    if (refs->n < UPCALL_MAX_REFS) {
        refs->ids[refs->n++] = id;
    }
}

static void
xlate_add_ref(struct xlate_ctx *x, const struct ofproto_rule *rule)
{
    xlate_add_ref_id(x, rule->id);
}

/* One table and, through goto_table, the tables after it.  A miss drops
 * (OpenFlow 1.3 §5.4 table-miss without a table-miss flow entry): the
 * walk of this table ends; a resubmit's caller continues. */
static void
xlate_table(struct xlate_ctx *x, uint8_t table_id)
{
    for (;;) {
        const struct ofproto_rule *rule = xlate_lookup(x, table_id);
        int next;

        xlate_report_rule(x, table_id, rule);
        if (!rule) {
            return;
        }
        xlate_add_ref(x, rule);
        next = xlate_actions(x, rule->actions, rule->n_actions, table_id);
        if (next < 0 || x->exit) {
            return;
        }
        if (next <= table_id || next >= OFP_N_TABLES) {
            /* ofp_actions_check() refuses these at flow-mod time. */
            xlate_fail(x, -EINVAL, "goto_table does not go forward");
            return;
        }
        table_id = (uint8_t) next;
    }
}

/* ---- Entry points ----------------------------------------------------- */

static void
xlate_report_final(struct xlate_ctx *x)
{
    char buf[FLOW_FORMAT_SIZE];
    struct flow f = x->flow;

    if (!x->trace) {
        return;
    }
    /* flow_format() reads a datapath key: raw tags, presence by TPID. */
    for (unsigned i = 0; i < FLOW_MAX_VLANS; i++) {
        f.vlans[i].tpid = htons(x->vlans.tag[i].tpid);
        f.vlans[i].tci = htons(x->vlans.tag[i].tci);
    }
    ofp_text_printf(x->trace, "\nFinal flow: %s\n",
                    flow_format(&f, buf, sizeof buf));
}

static void
xlate_finish_wc(const struct xlate_ctx *x, struct flow_wc *wc)
{
    flow_wc_init_catchall(wc);
    ofp_wc_to_dp(&x->wc, wc);
    flow_or(&wc->masks, &x->dp_wc.masks);
    wc->masks.in_port = UINT32_MAX;
    /* The datapath's keys always carry metadata and registers 0 (flow.h):
     * matching them costs dpcls words and tells nothing. */
    wc->masks.metadata = 0;
    memset(wc->masks.regs, 0, sizeof wc->masks.regs);
}

int
xlate_packet(struct ofproto *ofproto, struct ofproto_bridge *br,
             const struct flow *dp_flow, uint32_t in_ofport, bool may_learn,
             struct ofp_text *trace, struct xlate_out *out)
{
    struct xlate_ctx x;

    memset(&x, 0, sizeof x);
    x.ofproto = ofproto;
    x.br = br;
    x.may_learn = may_learn;
    x.trace = trace;
    x.out = out;
    dp_actions_init(&out->actions);
    out->refs.n = 0;
    ofp_flow_from_dp(dp_flow, &x.flow);
    x.flow.in_port = in_ofport;
    x.base = x.flow;
    vlans_from_dp(dp_flow, &x.vlans);
    x.base_vlans = x.vlans;

    xlate_table(&x, 0);
    if (x.error) {
        dp_actions_init(&out->actions);   /* all or nothing */
    }
    xlate_report_final(&x);
    xlate_finish_wc(&x, &out->wc);
    return x.error;
}

/* upcall_translate_fn.  Counters: the PMD counts the upcalled packet in
 * the megaflow it installs from this answer (dpif_pmd.c executes it
 * through that megaflow) and hands packets and bytes to ofproto_credit(),
 * so the rules are credited there, not here, where the packet's length
 * is unknown anyway; here the rules only become "used" for idle_timeout.
 * A walk that fails by its own limits (loops, too many actions) installs
 * a drop: the same packets would fail the same way.  So does a packet
 * from a datapath port that is on no bridge: a port is polled from
 * dpif_port_add() on, a moment before ofproto_add_port() gives it its
 * bridge (a kernel tap has packets queued by then); like any packet
 * without a route it is dropped (the datapath counts no_route), and the
 * drop megaflow goes with the invalidation ofproto_add_port() makes.
 * Only an in_port outside the datapath's range is an error. */
int
ofproto_translate(void *ctx, const struct flow *flow, struct flow_wc *wc,
                  struct dp_actions *actions, struct upcall_refs *refs)
{
    struct ofproto *ofproto = ctx;
    struct ofproto_slot slot;
    struct xlate_out out;
    int err = -ENOENT;

    dp_actions_init(actions);
    refs->n = 0;
    wc->masks.in_port = UINT32_MAX;
    if (flow->in_port >= DP_MAX_PORTS) {
        return err;
    }
    ofproto_lock_for_pmd(ofproto);
    slot = ofproto->by_dp[flow->in_port];
    if (!slot.br) {
        err = 0;                /* no bridge: the empty actions drop */
        out.refs.n = 0;
        dp_actions_init(&out.actions);
        flow_wc_init_catchall(&out.wc);
    } else {
        err = xlate_packet(ofproto, slot.br, flow, slot.ofport, true, NULL,
                           &out);
        if (err == -ELOOP || err == -E2BIG || err == -ENOSPC) {
            RSW_LOG_RL(RSW_LOG_WARN, "ofproto: bridge %s: a packet from port "
                       "%" PRIu32 " hit a translation limit (%s): "
                       "installing a drop", slot.br->name, slot.ofport,
                       xlate_strerror(err));
            err = 0;
        }
    }
    if (!err) {
        uint64_t now = ofproto_now_ms();
        for (unsigned i = 0; i < out.refs.n; i++) {
            struct ofproto_rule *rule = ofproto_rule_by_id(ofproto,
                                                           out.refs.ids[i]);
            if (rule) {
                rule->used_ms = now;
            }
        }
        *actions = out.actions;
        flow_or(&wc->masks, &out.wc.masks);
        *refs = out.refs;
    }
    pthread_mutex_unlock(&ofproto->mutex);
    return err;
}
