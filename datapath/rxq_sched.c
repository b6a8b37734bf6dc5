/* SPDX-License-Identifier: Apache-2.0 */
#include "rxq_sched.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NODES 64

/* How many PMDs sit on 'numa', and the k-th of them. */
static unsigned
pmds_on_node(const struct rxq_sched_pmd *pmds, unsigned n, int numa,
             unsigned k, unsigned *idx)
{
    unsigned count = 0;

    for (unsigned i = 0; i < n; i++) {
        if (pmds[i].numa == numa && numa != RXQ_SCHED_NUMA_ANY) {
            if (count == k) {
                *idx = i;
            }
            count++;
        }
    }
    return count;
}

int
rxq_sched_assign(const struct rxq_sched_pmd *pmds, unsigned n_pmds,
                 const struct rxq_sched_rxq *rxqs, unsigned n_rxqs,
                 unsigned *assign, bool *cross_numa)
{
    unsigned next_on_node[MAX_NODES] = {0};
    unsigned next_any = 0;

    if (n_rxqs && !n_pmds) {
        return -EINVAL;
    }
    for (unsigned i = 0; i < n_rxqs; i++) {
        int node = rxqs[i].numa;
        unsigned idx = 0, n_local = 0;

        if (node >= 0 && node < MAX_NODES) {
            /* First pass counts, second picks the k-th. */
            n_local = pmds_on_node(pmds, n_pmds, node, 0, &idx);
            if (n_local) {
                unsigned k = next_on_node[node]++ % n_local;
                pmds_on_node(pmds, n_pmds, node, k, &idx);
            }
        }
        if (!n_local) {
            idx = next_any++ % n_pmds;
        }
        assign[i] = idx;
        if (cross_numa) {
            cross_numa[i] = !n_local;
        }
    }
    return 0;
}

struct by_cycles {
    uint64_t cycles;
    unsigned idx;
};

/* Heaviest first; equal loads in queue order (deterministic). */
static int
cmp_by_cycles(const void *a_, const void *b_)
{
    const struct by_cycles *a = a_, *b = b_;

    if (a->cycles != b->cycles) {
        return a->cycles > b->cycles ? -1 : 1;
    }
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Least-loaded PMD on 'node' (any node if 'node' is RXQ_SCHED_NUMA_ANY);
 * n_pmds when there is none. */
static unsigned
least_loaded(const struct rxq_sched_pmd *pmds, unsigned n_pmds, int node,
             const uint64_t *load, const unsigned *n_queues)
{
    unsigned best = n_pmds;

    for (unsigned i = 0; i < n_pmds; i++) {
        if (node != RXQ_SCHED_NUMA_ANY && pmds[i].numa != node) {
            continue;
        }
        if (best == n_pmds || load[i] < load[best]
            || (load[i] == load[best] && n_queues[i] < n_queues[best])) {
            best = i;
        }
    }
    return best;
}

int
rxq_sched_assign_cycles(const struct rxq_sched_pmd *pmds, unsigned n_pmds,
                        const struct rxq_sched_rxq *rxqs, unsigned n_rxqs,
                        unsigned *assign, bool *cross_numa)
{
    struct by_cycles *order;
    uint64_t *load;
    unsigned *n_queues;

    if (n_rxqs && !n_pmds) {
        return -EINVAL;
    }
    order = calloc(n_rxqs + 1, sizeof *order);
    load = calloc(n_pmds + 1, sizeof *load);
    n_queues = calloc(n_pmds + 1, sizeof *n_queues);
    if (!order || !load || !n_queues) {
        free(order);
        free(load);
        free(n_queues);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < n_rxqs; i++) {
        order[i] = (struct by_cycles) {rxqs[i].cycles, i};
    }
    qsort(order, n_rxqs, sizeof *order, cmp_by_cycles);
    for (unsigned k = 0; k < n_rxqs; k++) {
        unsigned q = order[k].idx, pmd = n_pmds;
        int node = rxqs[q].numa;

        if (node != RXQ_SCHED_NUMA_ANY) {
            pmd = least_loaded(pmds, n_pmds, node, load, n_queues);
        }
        if (cross_numa) {
            cross_numa[q] = pmd == n_pmds;
        }
        if (pmd == n_pmds) {
            pmd = least_loaded(pmds, n_pmds, RXQ_SCHED_NUMA_ANY, load,
                               n_queues);
        }
        assign[q] = pmd;
        load[pmd] += order[k].cycles;
        n_queues[pmd]++;
    }
    free(order);
    free(load);
    free(n_queues);
    return 0;
}

double
rxq_sched_load_variance(unsigned n_pmds, const struct rxq_sched_rxq *rxqs,
                        unsigned n_rxqs, const unsigned *assign)
{
    double total = 0, mean, var = 0;

    if (!n_pmds) {
        return 0;
    }
    for (unsigned i = 0; i < n_rxqs; i++) {
        total += (double) rxqs[i].cycles;
    }
    if (total <= 0) {
        return 0;
    }
    mean = 100.0 / n_pmds;
    for (unsigned p = 0; p < n_pmds; p++) {
        double pct = 0;
        for (unsigned i = 0; i < n_rxqs; i++) {
            if (assign[i] == p) {
                pct += (double) rxqs[i].cycles * 100.0 / total;
            }
        }
        var += (pct - mean) * (pct - mean);
    }
    return var / n_pmds;
}

static int
parse_uint(const char **s, unsigned *v)
{
    char *end;
    unsigned long x;

    if (**s < '0' || **s > '9') {
        return -EINVAL;
    }
    errno = 0;
    x = strtoul(*s, &end, 10);
    if (errno || x >= RXQ_SCHED_MAX_CORES) {
        return -EINVAL;
    }
    *s = end;
    *v = (unsigned) x;
    return 0;
}

int
rxq_sched_parse_cores(const char *list, unsigned *cores, unsigned max,
                      unsigned *n)
{
    const char *s = list;
    unsigned count = 0;
    int have_last = 0;
    unsigned last = 0;

    if (!*s) {
        return -EINVAL;
    }
    while (*s) {
        unsigned lo, hi;
        if (parse_uint(&s, &lo)) {
            return -EINVAL;
        }
        hi = lo;
        if (*s == '-') {
            s++;
            if (parse_uint(&s, &hi) || hi < lo) {
                return -EINVAL;
            }
        }
        if (*s == ',') {
            if (!*++s) {
                return -EINVAL;
            }
        } else if (*s) {
            return -EINVAL;
        }
        if (have_last && lo <= last) {
            return -EINVAL;     /* unsorted or duplicate */
        }
        for (unsigned c = lo; c <= hi; c++) {
            if (count >= max) {
                return -E2BIG;
            }
            cores[count++] = c;
        }
        last = hi;
        have_last = 1;
    }
    *n = count;
    return 0;
}
