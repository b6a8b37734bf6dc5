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
 *   translate(ctx, flow, wc, actions) -> 0 or -errno
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
 * Today's actions are output (to one or many ports) and drop (no output);
 * VLAN push/pop and set-field come with the OpenFlow pipeline. */

#include <stddef.h>
#include <stdint.h>
#include "flow.h"
#include "vhost/compiler.h"

/* Datapath port numbers are 0..DP_MAX_PORTS-1. */
#define DP_MAX_PORTS 256
#define DP_ACTIONS_MAX_OUTPUTS 64

struct dp_actions {
    uint32_t n_outputs;                       /* 0: drop */
    uint32_t outputs[DP_ACTIONS_MAX_OUTPUTS]; /* datapath port numbers */
};

typedef int upcall_translate_fn(void *ctx, const struct flow *,
                                struct flow_wc *wc_out,
                                struct dp_actions *actions_out);

struct upcall_handler {
    upcall_translate_fn *translate;
    void *ctx;
};

static inline void
dp_actions_init(struct dp_actions *a)
{
    a->n_outputs = 0;
}

/* Appends an output unless it is already there; -ENOSPC when full. */
int dp_actions_add_output(struct dp_actions *, uint32_t port_no)
    RSW_MUST_CHECK;

/* "output:1,output:2" / "drop" (datapath port numbers) into buf. */
char *dp_actions_format(const struct dp_actions *, char *buf, size_t size);

#endif
