/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_DPIF_H
#define RSW_DPIF_H 1

/* The datapath: ports, PMD threads and the fast path between them.
 *
 * Threads
 * =======
 *
 * One control thread (rsw-switchd's main loop) owns all configuration: it
 * adds and removes ports, serves their control sockets (vhost-user
 * messages), answers the control socket.  N PMD threads, each pinned to one
 * core of --pmd-cores, busy-poll the rx queues assigned to them
 * (rxq_sched.h: round robin, NUMA-aware; by measured cycles once
 * dpif_rxq_rebalance() was asked for) and run the fast path.  Each PMD
 * measures the busy TSC cycles of each of its queues (the rdtsc taken
 * after one queue's poll starts the next one's interval) into a counter
 * of the snapshot's slot; a new snapshot carries them over per port and
 * queue.  PMDs never
 * take a lock that the control thread holds for long, and the control
 * thread never touches a PMD's private structures.
 *
 * Publish / quiesce (RCU without a library)
 * =========================================
 *
 * What PMDs read from shared state is an immutable snapshot: the port table
 * (datapath number -> port, for output) and the rx queue list with each
 * queue's PMD.  The control thread builds a new snapshot, publishes it with
 * one atomic pointer store, then calls dpif_synchronize(): every PMD bumps
 * a private sequence counter at its quiescent point (the top of its poll
 * loop, when it holds no snapshot, port or ring pointer from the previous
 * iteration), so once each running PMD's counter has moved no PMD can
 * still use the old snapshot, which is then freed.  The same wait protects
 * rings that a provider withdraws (a vhost frontend stopping a ring): the
 * provider clears the pointer PMDs load once per burst and synchronizes
 * before the ring is destroyed (port.h, port_hooks).
 *
 * Flow caches
 * ===========
 *
 * Each PMD owns an exact-match cache (emc.h) and a megaflow classifier
 * (dpcls.h), used by it alone.  Per rx burst (up to 32 packets):
 *
 *   rx_burst -> flow_extract on each packet's private header copy
 *   -> EMC batch lookup -> dpcls batch lookup for the misses
 *   -> for what is left, an upcall on the PMD's own thread: the slow path
 *      (upcall.h) translates the key into actions plus a wildcard mask,
 *      the PMD installs that megaflow in its dpcls and EMC
 *   -> actions: each output appends the packet to that port's batch
 *   -> each port's batch is sent with one tx_batch call (one used-ring
 *      update, one interrupt if the guest wants it)
 *   -> rx_release returns the source buffers.
 *
 * Invalidation: any change that can alter a translation (rules, ports, MAC
 * learning) bumps the datapath's flow generation (dpif_flows_changed(),
 * callable from any thread, also from within translate).  A PMD compares it
 * once per iteration, right after its quiescent point, and, when it moved,
 * empties its EMC and dpcls and frees its megaflows; the next packets
 * upcall again.  Coarse but simple and always correct.
 *
 * Guarantee: once dpif_flows_changed() followed by dpif_synchronize() has
 * returned on the control thread, no PMD uses a megaflow translated before
 * the change.  (A PMD that was mid-burst still finishes that burst with
 * old megaflows, but dpif_synchronize() waits for its next quiescent
 * point, and the generation read that follows it -- seq_cst, paired with
 * the seq_cst bump and sequence reads -- sees the change, so the PMD
 * flushes before its next packet.)  dpif_synchronize() also waits for
 * that flush, so the deleted megaflows' counts have been credited (see
 * Statistics) when it returns.  The slow path must make its change
 * visible to translate before calling dpif_flows_changed(): a translation
 * that ran before the change then belongs to a megaflow the flush
 * deletes.
 *
 * Statistics (upcall.h): each megaflow keeps the ids translate named and
 * counts packets and bytes (frame length as received; EMC, dpcls and
 * upcalled packets; a plain add on the PMD's own flow, no atomics).  The
 * PMD hands the increments to the handler's credit callback, in batches:
 * right after the burst for megaflows an upcall made; every
 * credit_interval_ms for megaflows hit since, walked at most 1,024 per
 * poll-loop iteration so a big table never stalls a PMD; and before a
 * flush frees them (also when the PMD stops, so the handler must outlive
 * dpif_destroy()'s return).
 *
 * Packets and copies: see dp_packet.h (one copy guest to guest).
 *
 * Counters: per PMD (packets, EMC/dpcls hits, upcalls, lost, busy/idle TSC
 * cycles), written by the PMD alone with relaxed atomics and read by the
 * control thread; clearing keeps a baseline on the control side so PMDs
 * are never written by another thread.  Per port (port.h), drops by reason.
 * Megaflow dumps are requests a PMD answers at its quiescent point. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow.h"
#include "port.h"
#include "upcall.h"
#include "vhost/compiler.h"

#define DPIF_MAX_PMDS 64

struct dpif;

struct dpif_config {
    const unsigned *pmd_cores;
    unsigned n_pmds;
    struct upcall_handler upcall;
    uint32_t emc_insert_inv_prob;  /* 0: EMC_DEFAULT_INSERT_INV_PROB */
    uint32_t max_flows_per_pmd;    /* 0: default (65536) */
    uint32_t credit_interval_ms;   /* 0: default (1000); see Statistics */
};

/* Starts the PMD threads.  DPDK's EAL must be initialised (PMD threads
 * register with it). */
int dpif_create(const struct dpif_config *, struct dpif **) RSW_MUST_CHECK;
/* Stops PMDs, then destroys every port still attached.  NULL is a no-op. */
void dpif_destroy(struct dpif *);

/* Hooks to pass to port_create() for ports of this datapath. */
struct port_hooks dpif_port_hooks(struct dpif *);

/* Attaches 'port' (ownership passes on success) and gives it a datapath
 * number; PMDs start polling it.  -ENOSPC when full. */
int dpif_port_add(struct dpif *, struct port *, uint32_t *port_no)
    RSW_MUST_CHECK;
/* Detaches and destroys port 'port_no'.  -ENOENT. */
int dpif_port_del(struct dpif *, uint32_t port_no) RSW_MUST_CHECK;
struct port *dpif_port_get(struct dpif *, uint32_t port_no);
/* Calls 'cb' for every attached port, in number order. */
void dpif_port_for_each(struct dpif *, void (*cb)(void *aux, struct port *),
                        void *aux);

/* Packet capture (capture.h), one per port: PMDs hand the port's received
 * and sent packets to it.  attach: ownership passes; -ENOENT (no port),
 * -EBUSY (already capturing).  detach: stops PMDs from using it (waits for
 * them) and gives it back, or NULL.  A deleted port's capture is
 * destroyed with it. */
struct capture;
int dpif_capture_attach(struct dpif *, uint32_t port_no, struct capture *)
    RSW_MUST_CHECK;
struct capture *dpif_capture_detach(struct dpif *, uint32_t port_no);
struct capture *dpif_capture_get(const struct dpif *, uint32_t port_no);

void dpif_flows_changed(struct dpif *);
/* A narrower dpif_flows_changed(), for the learning switch: only the
 * megaflows that match exactly on destination MAC 'dl_dst' may be stale.
 * Each PMD drops those at its next quiescent point and keeps the rest.
 * Callable from any thread, also from within translate; lock-free.  The
 * requests go through a ring of DPIF_INVAL_RING entries per datapath; a
 * PMD that fell further behind (or a request overwritten before the PMD
 * read it) flushes everything instead, so none is ever lost.
 * dpif_synchronize() does not wait for these: the caller is a PMD. */
#define DPIF_INVAL_RING 64
void dpif_flows_changed_dl_dst(struct dpif *, const struct flow_eth_addr *);
/* Waits until every PMD has passed a quiescent point and flushed for every
 * dpif_flows_changed() made before the call (see Invalidation above).
 * Never call it holding a lock that translate or credit take. */
void dpif_synchronize(struct dpif *);

/* ---- Introspection (control thread) ----------------------------------- */

struct dpif_pmd_stats {
    uint64_t packets;      /* received */
    uint64_t emc_hits;
    uint64_t emc_bypassed; /* classified without the EMC (dpif_pmd.c) */
    uint64_t dpcls_hits;   /* megaflow hits */
    uint64_t upcalls;      /* misses sent to the slow path */
    uint64_t lost;         /* upcalls that failed (packet dropped) */
    uint64_t flow_flushes; /* cache flushes after invalidation */
    uint64_t flows_invalidated; /* megaflows dropped for one dl_dst */
    uint64_t busy_cycles, idle_cycles;
    uint64_t iterations;
    uint64_t rx_batches;   /* rx bursts that brought packets */
};

struct dpif_pmd_info {
    unsigned core;
    int numa;
    unsigned n_flows;
    unsigned emc_entries;  /* live EMC entries (approximate, racy read) */
    /* The longest loop iteration since pmd-stats-clear, in TSC cycles:
     * the PMD's worst stall (a cache flush after a flow change, an upcall
     * waiting for the slow path, or the host preempting the core). */
    uint64_t max_iter_cycles, max_iter_us;
    struct dpif_pmd_stats stats;
};

unsigned dpif_n_pmds(const struct dpif *);
void dpif_pmd_info(struct dpif *, unsigned pmd, struct dpif_pmd_info *);
void dpif_pmd_stats_clear(struct dpif *);

struct dpif_rxq_info {
    const char *port;      /* valid during the callback */
    unsigned qid;
    unsigned pmd_core;
    int pmd_numa, rxq_numa;  /* rxq_numa: as the port reports it now */
    bool cross_numa;
    uint64_t cycles;       /* measured busy cycles */
    unsigned pmd_pct;      /* share of its PMD's measured queue cycles */
};
void dpif_rxq_for_each(struct dpif *,
                       void (*cb)(void *aux, const struct dpif_rxq_info *),
                       void *aux);

/* Reassigns rx queues to PMDs by measured cycles (rxq_sched.h), and keeps
 * doing so on later port changes; publishes like a port change.  Calls
 * 'moved' (may be NULL) for each queue whose PMD changed ('info' has the
 * new PMD, 'from_core' the old), and gives the variance of the PMDs'
 * loads before and after (rxq_sched_load_variance).  -ENOMEM. */
int dpif_rxq_rebalance(struct dpif *,
                       void (*moved)(void *aux, const struct dpif_rxq_info *,
                                     unsigned from_core),
                       void *aux, double *var_before, double *var_after)
    RSW_MUST_CHECK;

struct dpif_flow_info {
    struct flow key;       /* masked */
    struct flow_wc mask;
    struct dp_actions actions;
    uint64_t hits;         /* packets that used it (EMC, dpcls, upcall) */
    uint64_t bytes;        /* their frame lengths, as received */
};
/* Copies up to 'max' megaflows of PMD 'pmd' into 'out'; returns how many
 * it has in all (may exceed 'max').  Waits for the PMD. */
unsigned dpif_pmd_dump_flows(struct dpif *, unsigned pmd,
                             struct dpif_flow_info *out, unsigned max);

#endif
