/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_UPCALL_H
#define RSW_UPCALL_H 1

/* The slow-path interface of the datapath.
 *
 * When a packet misses both of a PMD's caches (EMC, dpcls) the PMD calls
 * the slow path inline, on its own thread (like OVS's PMD upcalls): the
 * slow path decides what to do with the packet and says which fields it
 * looked at, and the PMD installs the result as a megaflow in its dpcls.
 *
 *   translate(ctx, flow, wc, actions, refs) -> 0 or -errno
 *
 *  - 'flow' is the packet's full key (in_port is the datapath port number).
 *  - 'wc' arrives all-wildcarded (flow_wc_init_catchall()); translate sets
 *    the mask bits of every field its decision depended on, and only those:
 *    the megaflow then covers every packet that agrees on them.  A field
 *    un-wildcarded needlessly only costs cache efficiency; one forgotten is
 *    a correctness bug (packets that should be treated differently would
 *    share the megaflow).
 *  - 'actions' receives the datapath actions (datapath port numbers).
 *  - translate may be called from several PMD threads at once: the
 *    implementation serialises itself.  It may also change its own state
 *    (MAC learning) and then must invalidate the caches it made stale, with
 *    the invalidation callback the datapath gave it.
 *
 * A non-zero return drops the packet (counted as an upcall failure) and
 * installs nothing.
 *
 * Actions (dp_actions.h) are an ordered list: outputs, push/pop VLAN,
 * and sets of Ethernet, VLAN, IPv4 and TCP/UDP fields, run after
 * classification on the packet's private header copy (the key is not
 * re-extracted, OVS semantics).  A translation that emits an action whose
 * effect depends on the packet (mod_vlan_vid pushes a tag on an untagged
 * packet but rewrites it on a tagged one; IPv4 sets only on IPv4) must
 * un-wildcard what it looked at (vlans[].tpid, dl_type, nw_proto...). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dp_actions.h"
#include "flow.h"
#include "vhost/compiler.h"

/* Datapath port numbers are 0..DP_MAX_PORTS-1. */
#define DP_MAX_PORTS 256

/* Statistics attribution.  Translation may name up to UPCALL_MAX_REFS
 * opaque 64-bit ids (ofproto: the OpenFlow rules the packet's walk went
 * through) in 'refs_out'; the PMD keeps them with the megaflow, counts the
 * megaflow's packets and bytes, and gives the slow path the increments
 * through 'credit': about twice a second for every megaflow that was hit,
 * and once more when a megaflow is deleted (flush, eviction), so no packet
 * is lost from the rules' counters.  Ids the slow path no longer knows
 * (a rule deleted since) are ignored by it.  'credit' runs on the PMD's
 * thread, serialised by the slow path like translate; it may be NULL. */
#define UPCALL_MAX_REFS 16

struct upcall_refs {
    uint16_t n;                     /* ids used; more are dropped (the
                                       slow path then under-counts) */
    uint64_t ids[UPCALL_MAX_REFS];
};

struct upcall_credit {
    const struct upcall_refs *refs;
    uint64_t packets, bytes;        /* since the last credit */
};

typedef int upcall_translate_fn(void *ctx, const struct flow *,
                                struct flow_wc *wc_out,
                                struct dp_actions *actions_out,
                                struct upcall_refs *refs_out);
/* With 'may_block' false (the periodic walk) the slow path must not wait
 * for its lock: it returns -EBUSY and the PMD keeps the increments and
 * tries again later, so a long control-thread operation never stops a
 * PMD's forwarding.  With 'may_block' true (before megaflows are freed,
 * after bursts with upcalls, which waited for translate anyway) it
 * returns 0. */
typedef int upcall_credit_fn(void *ctx, const struct upcall_credit *,
                             unsigned n, bool may_block);

struct upcall_handler {
    upcall_translate_fn *translate;
    upcall_credit_fn *credit;       /* may be NULL */
    void *ctx;
};

#endif
