/* SPDX-License-Identifier: Apache-2.0 */
/* The NORMAL action: a VLAN-aware learning switch (ofproto.h).
 *
 * VLAN semantics are those of OVS's Port table (ovs-vswitchd.conf.db(5),
 * "VLAN Configuration"), as OVS's xlate_normal() implements them:
 *  - access port (tag T): an untagged (or priority-tagged, VID 0) frame
 *    belongs to VLAN T; a frame tagged with any other VID is dropped;
 *    frames leave it untagged;
 *  - trunk port: a frame tagged VID v belongs to VLAN v, an untagged one
 *    to VLAN 0, and is dropped unless v is trunked (no trunks list = all);
 *    frames leave it tagged, except VLAN 0 which leaves untagged;
 *  - native-tagged / native-untagged (tag N plus trunks): untagged frames
 *    belong to VLAN N, tagged ones as on a trunk; VLAN N leaves
 *    native-untagged ports untagged, everything else leaves tagged.
 * A frame is forwarded only to ports that carry its VLAN.  Learning is per
 * (MAC, VLAN) (mac_learning.h).  Unknown unicast, multicast and broadcast
 * flood the VLAN.  Nothing goes back out of the input port.
 *
 * Invalidation.  The learning table is read in one place: the lookup of
 * the destination (to unicast, to flood when unknown, to drop when it is
 * behind the input port), and that lookup un-wildcards all of dl_dst.  So
 * when address A moves or is newly learned, the megaflows a new
 * translation could answer differently are exactly those that match
 * dl_dst=A: ofproto_invalidate_dl_dst(A) has the PMDs drop those and keep
 * the rest.  Learning the source changes nothing in the megaflow that
 * learned it, so a source that keeps moving between two ports (the same
 * MAC behind both, or a guest migrating) no longer drops every megaflow.
 *
 * An address evicted to make room (a full table) is not named, so that
 * invalidates everything.
 *
 * Each such invalidation makes each PMD walk its megaflows once, so they
 * are rate-limited to NORMAL_INVALIDATIONS_PER_SEC.  Past that (a guest
 * sending from random source MACs), a new or evicted address only sets
 * ofproto->learned_new: ofproto_run() invalidates once a second.
 * Megaflows that flooded to a new address still deliver (flooding reaches
 * its port too); they only waste copies until then.  A move past the
 * limit must invalidate everything (megaflows sending to the old port are
 * wrong), but at most once per NORMAL_MOVE_FLUSH_MS: a guest spoofing
 * other ports' source MACs in a burst would otherwise flush every
 * megaflow of every port once per frame.  The moves in between are
 * covered by the next flush, which the next learning event or
 * ofproto_run() makes; until then their old megaflows still deliver to
 * the old port. */
#include "xlate.h"

#include <inttypes.h>
#include <string.h>

#define VLAN_VID_MASK 0x0fffu
#define VLAN_PCP_MASK 0xe000u
#define NORMAL_NO_VLAN (-1)

static bool
port_trunks_vlan(const struct ofproto_port *p, uint16_t vlan)
{
    return p->vlan_mode != OFPROTO_VLAN_ACCESS
           && (p->all_vlans || (p->trunks[vlan / 64] >> (vlan % 64)) & 1);
}

static bool
port_includes_vlan(const struct ofproto_port *p, uint16_t vlan)
{
    return (p->tag >= 0 && p->vlan_mode != OFPROTO_VLAN_TRUNK
            && vlan == p->tag)
           || port_trunks_vlan(p, vlan);
}

/* Does 'vlan' leave 'p' tagged? */
static bool
port_tags_vlan(const struct ofproto_port *p, uint16_t vlan)
{
    if (p->vlan_mode == OFPROTO_VLAN_ACCESS || !vlan) {
        return false;
    }
    return !(p->vlan_mode == OFPROTO_VLAN_NATIVE_UNTAGGED && vlan == p->tag);
}

/* The VLAN a frame with outer VID 'vid' (0: untagged or priority tag)
 * belongs to on input port 'p', or NORMAL_NO_VLAN if 'p' must drop it. */
static int
input_vlan(struct xlate_ctx *x, const struct ofproto_port *p, uint16_t vid)
{
    switch (p->vlan_mode) {
    case OFPROTO_VLAN_DISABLED:
        xlate_report(x, "-> NORMAL: port %" PRIu32 " carries no VLAN (its "
                     "VLAN settings are invalid): drop", p->ofport);
        return NORMAL_NO_VLAN;
    case OFPROTO_VLAN_ACCESS:
        if (vid) {
            xlate_report(x, "-> NORMAL: VLAN %u tagged frame on access port "
                         "%" PRIu32 " (VLAN %d): drop", vid, p->ofport,
                         p->tag);
            return NORMAL_NO_VLAN;
        }
        return p->tag;
    case OFPROTO_VLAN_NATIVE_TAGGED:
    case OFPROTO_VLAN_NATIVE_UNTAGGED:
        if (!vid) {
            return p->tag;
        }
        /* fall through */
    case OFPROTO_VLAN_TRUNK:
    default:
        if (!port_trunks_vlan(p, vid)) {
            xlate_report(x, "-> NORMAL: port %" PRIu32 " does not trunk "
                         "VLAN %u: drop", p->ofport, vid);
            return NORMAL_NO_VLAN;
        }
        return vid;
    }
}

/* The stack 'p' gets: the working one with its outer (VLAN-giving) tag
 * replaced by the egress tagging of 'vlan'. */
static void
egress_vlans(const struct xlate_ctx *x, const struct ofproto_port *p,
             uint16_t vlan, struct xlate_vlans *out)
{
    uint16_t pcp = 0, tpid = DP_ETH_TYPE_VLAN;

    *out = x->vlans;
    if (out->n) {
        pcp = out->tag[0].tci & VLAN_PCP_MASK;
        tpid = out->tag[0].tpid;
        out->tag[0] = out->tag[1];
        memset(&out->tag[1], 0, sizeof out->tag[1]);
        out->n--;
    }
    if (port_tags_vlan(p, vlan)) {
        out->tag[1] = out->tag[0];
        out->tag[0].tpid = tpid;
        out->tag[0].tci = (uint16_t) (pcp | vlan);
        out->n++;
    }
}

static void
normal_output(struct xlate_ctx *x, const struct ofproto_port *p,
              uint16_t vlan)
{
    struct xlate_vlans v;

    egress_vlans(x, p, vlan, &v);
    xlate_output_port(x, p, &v);
}

/* Every port of the VLAN but the input one.  Ports that want the frame
 * as the datapath has it now go first, so that the tag is pushed or
 * popped at most once. */
static void
normal_flood(struct xlate_ctx *x, uint16_t vlan)
{
    const struct xlate_vlans now = x->base_vlans;

    xlate_report(x, "-> NORMAL: flooding VLAN %u", vlan);
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < x->br->n_ports && !x->exit; i++) {
            const struct ofproto_port *p = &x->br->ports[i];
            struct xlate_vlans v;

            if (p->ofport == x->flow.in_port || !port_includes_vlan(p, vlan)) {
                continue;
            }
            egress_vlans(x, p, vlan, &v);
            if (!memcmp(&v, &now, sizeof v) == (pass == 0)) {
                xlate_output_port(x, p, &v);
            }
        }
    }
}

static void normal_learned(struct ofproto *, const uint8_t *mac, bool moved);

static void
normal_learn(struct xlate_ctx *x, const struct ofproto_port *in,
             uint16_t vlan, uint64_t now)
{
    const uint8_t *src = x->flow.dl_src.ea;
    enum mac_learning_result r;

    if (mac_learning_is_multicast(src)) {
        return;
    }
    if (!x->may_learn) {
        if (mac_learning_lookup(x->br->ml, src, vlan, now) != in->ofport) {
            xlate_report(x, "-> NORMAL: would learn the source on port "
                         "%" PRIu32 " VLAN %u (not while tracing)",
                         in->ofport, vlan);
        }
        return;
    }
    uint64_t evictions = mac_learning_evictions(x->br->ml);
    r = mac_learning_learn(x->br->ml, src, vlan, in->ofport, now);
    /* The megaflow matches dl_src, so its traffic is this address's:
     * credited, it keeps the entry alive while no packet is upcalled. */
    uint64_t id = mac_learning_entry_id(x->br->ml, src, vlan);
    if (id) {
        xlate_add_ref_id(x, OFPROTO_REF_MAC | id);
    }
    if (mac_learning_evictions(x->br->ml) != evictions) {
        /* A full table forgot its oldest address to learn this one:
         * megaflows unicasting to that one should flood again, and which
         * address it was is not reported: all of them. */
        normal_learned(x->ofproto, NULL, false);
    } else if (r == MAC_LEARNING_MOVED || r == MAC_LEARNING_NEW) {
        normal_learned(x->ofproto, src, r == MAC_LEARNING_MOVED);
    }
}

#define NORMAL_INVALIDATIONS_PER_SEC 100
#define NORMAL_MOVE_FLUSH_MS 10

/* A full invalidation for the moves past the rate limit, if one is
 * pending and the last is NORMAL_MOVE_FLUSH_MS old. */
static void
normal_flush_moves(struct ofproto *o, uint64_t now)
{
    if (o->moved_pending && now - o->move_flush_ms >= NORMAL_MOVE_FLUSH_MS) {
        o->moved_pending = false;
        o->move_flush_ms = now;
        ofproto_invalidate(o);
    }
}

/* 'mac' learned or moved ('moved'), or NULL: an address was evicted. */
static void
normal_learned(struct ofproto *o, const uint8_t *mac, bool moved)
{
    uint64_t now = ofproto_now_ms();

    if (now - o->new_flush_window_ms >= 1000) {
        o->new_flush_window_ms = now;
        o->new_flushes = 0;
    }
    if (o->new_flushes < NORMAL_INVALIDATIONS_PER_SEC) {
        struct flow_eth_addr a;

        o->new_flushes++;
        if (!mac) {
            o->moved_pending = false;   /* covered by this flush */
            ofproto_invalidate(o);
            return;
        }
        memcpy(a.ea, mac, sizeof a.ea);
        ofproto_invalidate_dl_dst(o, &a);
    } else if (moved) {
        o->moved_pending = true;
    } else {
        o->learned_new = true;      /* ofproto_run() invalidates */
    }
    normal_flush_moves(o, now);
}

/* IEEE 802.1D 7.12.6: 01:80:c2:00:00:00..0f are link-local (STP, LACP,
 * pause...); a bridge does not forward them. */
static bool
is_reserved_multicast(const uint8_t mac[6])
{
    return mac[0] == 0x01 && mac[1] == 0x80 && mac[2] == 0xc2 && !mac[3]
           && !mac[4] && mac[5] <= 0x0f;
}

static void
normal_forward(struct xlate_ctx *x, const struct ofproto_port *in,
               uint16_t vlan, uint64_t now)
{
    const uint8_t *dst = x->flow.dl_dst.ea;
    const struct ofproto_port *out;
    uint32_t ofport;

    if (mac_learning_is_multicast(dst)) {
        normal_flood(x, vlan);
        return;
    }
    ofport = mac_learning_lookup(x->br->ml, dst, vlan, now);
    if (ofport == in->ofport) {
        xlate_report(x, "-> NORMAL: destination is on the input port: drop");
        return;
    }
    out = ofport == MAC_LEARNING_NO_PORT ? NULL
                                         : ofproto_port_by_ofport(x->br, ofport);
    if (!out || !port_includes_vlan(out, vlan)) {
        normal_flood(x, vlan);
        return;
    }
    xlate_report(x, "-> NORMAL: learned destination on port %" PRIu32,
                 out->ofport);
    normal_output(x, out, vlan);
}

void
xlate_normal(struct xlate_ctx *x)
{
    const struct ofproto_port *in;
    uint64_t now = ofproto_now_ms() / 1000u;
    uint16_t vid;
    int vlan;

    /* What NORMAL reads: the addresses, the VLAN, the input port (always
     * exact in the megaflow). */
    memset(&x->wc.masks.dl_src, 0xff, sizeof x->wc.masks.dl_src);
    memset(&x->wc.masks.dl_dst, 0xff, sizeof x->wc.masks.dl_dst);
    xlate_vlan_dep(x);
    in = ofproto_port_by_ofport(x->br, x->flow.in_port);
    if (!in) {
        xlate_report(x, "-> NORMAL: input port %" PRIu32 " is not a port "
                     "of the bridge: drop", x->flow.in_port);
        return;
    }
    if (is_reserved_multicast(x->flow.dl_dst.ea)) {
        xlate_report(x, "-> NORMAL: reserved multicast destination: drop");
        return;
    }
    vid = x->vlans.n ? x->vlans.tag[0].tci & VLAN_VID_MASK : 0;
    vlan = input_vlan(x, in, vid);
    if (vlan == NORMAL_NO_VLAN) {
        return;
    }
    normal_learn(x, in, (uint16_t) vlan, now);
    normal_forward(x, in, (uint16_t) vlan, now);
}
