/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_DPIF_PRIVATE_H
#define RSW_DPIF_PRIVATE_H 1

/* Shared between dpif.c (control side) and dpif_pmd.c (PMD threads) only. */

#include <pthread.h>
#include "dpif.h"
#include "numa_mem.h"

struct emc;
struct dpcls;
struct dp_flow;
struct pmd_scratch;

struct dpif_rxq {
    struct port *port;
    unsigned qid;
    unsigned pmd;          /* index into dpif->pmds */
    int numa;
    bool cross_numa;
    uint64_t cycles_base;  /* measured under earlier snapshots */
    struct numa_mem_warn warned;   /* control thread only */
};

/* Busy cycles of one rx queue, written by its PMD alone (relaxed), read
 * by the control thread; a cache line each so PMDs never share one. */
struct dpif_rxq_ctr {
    uint64_t cycles;
} __attribute__((aligned(64)));

static inline void
dpif_rxq_cycles_add(struct dpif_rxq_ctr *c, uint64_t v)
{
    __atomic_store_n(&c->cycles, c->cycles + v, __ATOMIC_RELAXED);
}

/* Immutable once published (but for 'ctrs' and each rxq's 'warned'). */
struct dpif_snapshot {
    struct port *ports[DP_MAX_PORTS];
    struct dpif_rxq_ctr *ctrs;         /* [n_rxqs] */
    unsigned n_rxqs;
    struct dpif_rxq rxqs[];
};

/* A megaflow dump request, answered by the PMD at its quiescent point. */
struct dpif_dump_req {
    struct dpif_flow_info *out;
    unsigned max;
    unsigned n_total;
    int done;
};

struct dpif_pmd {
    struct dpif *dp;
    unsigned index, core;
    int numa;
    pthread_t thread;
    bool started;

    /* Shared with the control thread. */
    uint64_t seq;                      /* quiescent points passed */
    uint64_t flow_gen_done;            /* generation flushed (and credited)
                                          for, release */
    int exit;                          /* asked to stop */
    int running;                       /* in its loop */
    struct dpif_dump_req *dump_req;
    struct dpif_pmd_stats stats;       /* PMD writes, others read */
    /* Longest iteration since the last pmd-stats-clear (a max cannot be
     * cleared by a subtracted base): the PMD zeroes it when it sees
     * max_iter_clear move, so only the PMD writes it. */
    uint64_t max_iter_cycles;
    uint64_t max_iter_clear;           /* control thread bumps */
    uint32_t n_flows_pub;              /* for pmd-stats-show */

    /* Private to the PMD thread. */
    struct emc *emc;
    struct dpcls *cls;
    struct dp_flow *flows;
    uint32_t n_flows;
    uint64_t flow_gen;
    uint64_t inval_done;               /* dl_dst requests handled */
    uint64_t last_tsc;                 /* end of the last iteration */
    uint64_t max_iter_clear_seen;
    struct pmd_scratch *scratch;
    /* EMC bypass (pmd_emc_wanted() in dpif_pmd.c). */
    uint32_t emc_bursts_left;          /* of the current probe or skip */
    uint32_t emc_probe_lookups, emc_probe_hits;
    uint64_t emc_probe_insertions, emc_probe_evictions;  /* at its start */
    bool emc_skipping;
    /* Periodic credit walk (upcall.h statistics attribution). */
    bool credit_walking;
    struct dp_flow *credit_pos;        /* next megaflow of the walk */
    uint64_t credit_next_tsc;          /* when the next walk starts */
};

/* dpif_flows_changed_dl_dst()'s ring: request i lives in slot
 * i % DPIF_INVAL_RING as the MAC (low 48 bits) tagged with
 * (i + 1) mod 2^16 (high 16), so a PMD can tell a slot not written yet
 * (an older tag) from one already reused (a newer tag). */
#define DPIF_INVAL_MAC_MASK ((1ull << 48) - 1)

/* A MAC as the ring's 48-bit value. */
static inline uint64_t
dpif_mac48(const struct flow_eth_addr *mac)
{
    uint64_t v = 0;

    for (int i = 0; i < FLOW_ETH_ALEN; i++) {
        v = v << 8 | mac->ea[i];
    }
    return v;
}

struct dpif {
    struct dpif_snapshot *snap;        /* published, acquire/release */
    uint64_t inval_claimed;            /* requests claimed, atomic */
    uint64_t inval_slots[DPIF_INVAL_RING]; /* atomic */
    struct capture *captures[DP_MAX_PORTS]; /* per port, NULL = off */
    uint64_t flow_gen;                 /* atomic */
    struct upcall_handler upcall;
    uint32_t emc_insert_inv_prob;
    uint32_t max_flows;
    uint64_t credit_interval_tsc;      /* between credit walks */
    uint64_t tsc_hz;
    bool membarrier;                   /* PMDs' quiescent points need no
                                          fence: dpif_synchronize() makes
                                          one on their cores (dpif.c) */

    /* Control thread only. */
    struct port *ports[DP_MAX_PORTS];
    struct dpif_pmd pmds[DPIF_MAX_PMDS];
    unsigned n_pmds;
    bool sched_by_cycles;              /* since pmd-rxq-rebalance */
    struct dpif_pmd_stats base[DPIF_MAX_PMDS]; /* pmd-stats-clear */
};

int dpif_pmd_start(struct dpif_pmd *) RSW_MUST_CHECK;
void dpif_pmd_stop(struct dpif_pmd *);

#endif
