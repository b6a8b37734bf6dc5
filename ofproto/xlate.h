/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_XLATE_H
#define RSW_XLATE_H 1

/* Internal to the translation: xlate.c (the walk, actions, committing
 * the packet's changes into datapath actions) and normal.c (NORMAL).
 * Everything runs with ofproto->mutex held.
 *
 * Three views of one packet are kept while walking:
 *  - 'flow': the working flow (pipeline view, ofp_field.h), which the
 *    actions modify so that later lookups see the modified packet;
 *  - 'base': the packet as the datapath actions emitted so far leave it;
 *  - 'wc': every bit of the ORIGINAL packet the decisions depended on.
 * On each output the differences between 'flow' and 'base' are committed
 * as datapath set/push/pop actions (as OVS's commit_odp_actions), so a
 * modification costs a datapath action only if a packet leaves with it,
 * and at most once.
 *
 * Written fields need no un-wildcarding: a value the actions set is the
 * same for every packet of the megaflow.  What is un-wildcarded is what
 * a decision read: the lookups' masks, prerequisites, move sources, the
 * old value of a partial write or of dec_ttl, NORMAL's addresses and
 * VLAN.  VLAN tags are tracked as a small stack ('vlans', raw TCIs with
 * DEI, unlike the pipeline's CFI view); any VLAN operation makes every
 * tag bit exact, which keeps the stack's commit simple and always right. */

#include <stdbool.h>
#include <stdint.h>
#include "ofproto_private.h"
#include "vhost/compiler.h"

#define XLATE_MAX_DEPTH 64          /* nested resubmits (as OVS) */
#define XLATE_MAX_RESUBMITS 4096    /* per packet (OVS: 64 * 64) */
#define XLATE_MAX_ACTIONS 32768     /* actions run per packet */

struct xlate_vlans {
    unsigned n;                     /* tags, outermost first */
    struct {
        uint16_t tpid, tci;         /* host order, raw TCI (DEI kept) */
    } tag[FLOW_MAX_VLANS];
};

struct xlate_ctx {
    struct ofproto *ofproto;
    struct ofproto_bridge *br;
    bool may_learn;                 /* a real packet: learn and count */
    struct ofp_text *trace;         /* NULL unless tracing */
    struct xlate_out *out;

    struct flow flow;               /* working flow, pipeline view */
    struct flow_wc wc;              /* looked at, pipeline view */
    struct flow_wc dp_wc;           /* looked at, datapath view (VLANs) */
    struct flow written;            /* bits of 'flow' set by actions */
    struct flow base;               /* the packet after emitted actions */
    struct flow base_known;         /* bits of 'base' set by them */
    struct xlate_vlans vlans;       /* working VLAN stack */
    struct xlate_vlans base_vlans;  /* committed VLAN stack */

    unsigned depth;                 /* resubmit nesting */
    unsigned n_resubmits, n_actions;
    int error;                      /* first error, ends the walk */
    bool exit;                      /* stop translating (dec_ttl...) */
};

/* Trace line at the current nesting ("" when not tracing). */
void xlate_report(struct xlate_ctx *, const char *fmt, ...) RSW_PRINTF(2, 3);

/* Text for xlate_packet()'s errors (the limits above). */
const char *xlate_strerror(int error);

/* Names 'id' (a rule's id, or OFPROTO_REF_MAC | a MAC entry's id) among
 * the megaflow's refs, once; beyond UPCALL_MAX_REFS it is dropped. */
void xlate_add_ref_id(struct xlate_ctx *, uint64_t id);

/* Records a failure that ends the walk (the packet is dropped). */
void xlate_fail(struct xlate_ctx *, int error, const char *what);

/* Marks every VLAN bit as looked at (see above). */
void xlate_vlan_dep(struct xlate_ctx *);

/* Emits the pending modifications, then an output to 'port' with the
 * VLAN stack 'vlans' (NULL: the working one).  Errors go to the ctx. */
void xlate_output_port(struct xlate_ctx *, const struct ofproto_port *,
                       const struct xlate_vlans *vlans);

/* normal.c: the NORMAL action. */
void xlate_normal(struct xlate_ctx *);

#endif
