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
