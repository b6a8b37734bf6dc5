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
 * port list always gives the same assignment. */

#include <stdbool.h>
#include "vhost/compiler.h"

#define RXQ_SCHED_MAX_CORES 1024
#define RXQ_SCHED_NUMA_ANY (-1)

struct rxq_sched_pmd {
    unsigned core;
    int numa;          /* node, or RXQ_SCHED_NUMA_ANY if unknown */
};

struct rxq_sched_rxq {
    int numa;          /* node, or RXQ_SCHED_NUMA_ANY */
};

/* Sets assign[i] to the PMD index for rxqs[i] and cross_numa[i] (may be
 * NULL) when it is not on the queue's node.  -EINVAL if n_pmds == 0 with
 * queues to place. */
int rxq_sched_assign(const struct rxq_sched_pmd *pmds, unsigned n_pmds,
                     const struct rxq_sched_rxq *rxqs, unsigned n_rxqs,
                     unsigned *assign, bool *cross_numa) RSW_MUST_CHECK;

/* Parses a Linux-style CPU list ("1", "0,2-3"), ascending and without
 * duplicates, into cores[0..*n).  -EINVAL on bad syntax or a core >=
 * RXQ_SCHED_MAX_CORES, -E2BIG if more than 'max'. */
int rxq_sched_parse_cores(const char *list, unsigned *cores, unsigned max,
                          unsigned *n) RSW_MUST_CHECK;

#endif
