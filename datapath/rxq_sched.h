/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_RXQ_SCHED_H
#define RSW_RXQ_SCHED_H 1

/* Assignment of rx queues to PMD threads, and the core-list syntax.
 *
 * Round-robin, NUMA-aware: an rx queue whose NUMA node is known goes to the
 * PMDs of that node in turn (polling across nodes costs every packet a
 * remote memory access); a queue of unknown node, or of a node without
 * PMDs, goes round-robin over all PMDs and is flagged cross-NUMA so the
 * user can see it (pmd-rxq-show).  Pure function of its inputs: the same
 * port list always gives the same assignment.
 *
 * By measured cycles (pmd-rxq-rebalance): heaviest queue first, each to
 * the least-loaded PMD of its node (ties: fewer queues, then lower index,
 * so unmeasured queues still spread), or of all nodes, flagged cross-NUMA,
 * when its node has none.  Greedy "longest processing time first": within
 * 4/3 of the best possible maximum load, and deterministic. */

#include <stdbool.h>
#include <stdint.h>
#include "vhost/compiler.h"

#define RXQ_SCHED_MAX_CORES 1024
#define RXQ_SCHED_NUMA_ANY (-1)

struct rxq_sched_pmd {
    unsigned core;
    int numa;          /* node, or RXQ_SCHED_NUMA_ANY if unknown */
};

struct rxq_sched_rxq {
    int numa;          /* node, or RXQ_SCHED_NUMA_ANY */
    uint64_t cycles;   /* measured busy cycles (rxq_sched_assign_cycles) */
};

/* Sets assign[i] to the PMD index for rxqs[i] and cross_numa[i] (may be
 * NULL) when it is not on the queue's node.  -EINVAL if n_pmds == 0 with
 * queues to place. */
int rxq_sched_assign(const struct rxq_sched_pmd *pmds, unsigned n_pmds,
                     const struct rxq_sched_rxq *rxqs, unsigned n_rxqs,
                     unsigned *assign, bool *cross_numa) RSW_MUST_CHECK;

/* Same contract, placing by 'cycles' (see above).  -ENOMEM. */
int rxq_sched_assign_cycles(const struct rxq_sched_pmd *pmds, unsigned n_pmds,
                            const struct rxq_sched_rxq *rxqs, unsigned n_rxqs,
                            unsigned *assign, bool *cross_numa) RSW_MUST_CHECK;

/* Variance of the PMDs' loads under 'assign', each load in percent of all
 * queues' cycles (0 when nothing was measured): 0 is perfectly even; two
 * PMDs at 75/25 give 625. */
double rxq_sched_load_variance(unsigned n_pmds,
                               const struct rxq_sched_rxq *rxqs,
                               unsigned n_rxqs, const unsigned *assign);

/* Parses a Linux-style CPU list ("1", "0,2-3"), ascending and without
 * duplicates, into cores[0..*n).  -EINVAL on bad syntax or a core >=
 * RXQ_SCHED_MAX_CORES, -E2BIG if more than 'max'. */
int rxq_sched_parse_cores(const char *list, unsigned *cores, unsigned max,
                          unsigned *n) RSW_MUST_CHECK;

#endif
