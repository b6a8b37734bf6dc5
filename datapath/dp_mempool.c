/* SPDX-License-Identifier: Apache-2.0 */
/* Per-NUMA-node mbuf pools for the ethdev ports (see dp_mempool.h). */
#include "dp_mempool.h"

#include <errno.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vhost/vlog.h"

/* Per-lcore cache size, and what the caches of up to 16 lcores (PMDs and
 * the control thread) may hold out of the budget. */
#define DP_MEMPOOL_CACHE 256u
#define DP_MEMPOOL_SLACK (16u * DP_MEMPOOL_CACHE)
#define DP_MEMPOOL_BUDGET (DP_MEMPOOL_N_MBUFS - DP_MEMPOOL_SLACK)

struct dp_node_pool {
    struct rte_mempool *mp;
    unsigned reserved;      /* mbufs promised to ports */
    unsigned users;         /* reservations held */
};

static struct dp_node_pool node_pools[RTE_MAX_NUMA_NODES];

static unsigned
pick_node(int numa)
{
    unsigned node = numa >= 0 ? (unsigned) numa : rte_socket_id();

    /* A thread DPDK does not know reports SOCKET_ID_ANY. */
    return node < RTE_MAX_NUMA_NODES ? node : 0;
}

static int
pool_create(unsigned node, struct dp_node_pool *np)
{
    char name[RTE_MEMPOOL_NAMESIZE];

    snprintf(name, sizeof name, "rsw_mbuf_n%u", node);
    np->mp = rte_pktmbuf_pool_create(name, DP_MEMPOOL_N_MBUFS,
                                     DP_MEMPOOL_CACHE, 0,
                                     RTE_PKTMBUF_HEADROOM
                                     + DP_MEMPOOL_DATA_ROOM, (int) node);
    if (!np->mp) {
        /* --no-huge memory, or a node without free hugepages: remote
         * buffers beat no port at all. */
        RSW_LOG(RSW_LOG_WARN, "mbuf pool on NUMA node %u: %s; trying any "
                "node", node, rte_strerror(rte_errno));
        np->mp = rte_pktmbuf_pool_create(name, DP_MEMPOOL_N_MBUFS,
                                         DP_MEMPOOL_CACHE, 0,
                                         RTE_PKTMBUF_HEADROOM
                                         + DP_MEMPOOL_DATA_ROOM,
                                         SOCKET_ID_ANY);
    }
    if (!np->mp) {
        RSW_LOG(RSW_LOG_ERR, "cannot create mbuf pool %s (%u mbufs): %s",
                name, DP_MEMPOOL_N_MBUFS, rte_strerror(rte_errno));
        return -ENOMEM;
    }
    RSW_LOG(RSW_LOG_INFO, "mbuf pool %s: %u mbufs of %u bytes", name,
            DP_MEMPOOL_N_MBUFS, DP_MEMPOOL_DATA_ROOM);
    return 0;
}

int
dp_mempool_get(int numa, unsigned n_mbufs, struct rte_mempool **mp)
{
    unsigned node = pick_node(numa);
    struct dp_node_pool *np = &node_pools[node];

    if (n_mbufs > DP_MEMPOOL_BUDGET - np->reserved) {
        return -ENOSPC;
    }
    if (!np->mp) {
        int err = pool_create(node, np);
        if (err) {
            return err;
        }
    }
    np->reserved += n_mbufs;
    np->users++;
    *mp = np->mp;
    return 0;
}

static struct dp_node_pool *
find_pool(const struct rte_mempool *mp)
{
    for (unsigned i = 0; i < RTE_MAX_NUMA_NODES; i++) {
        if (node_pools[i].mp == mp) {
            return &node_pools[i];
        }
    }
    return NULL;
}

void
dp_mempool_put(struct rte_mempool *mp, unsigned n_mbufs)
{
    struct dp_node_pool *np = mp ? find_pool(mp) : NULL;

    if (!np) {
        return;
    }
    np->reserved -= n_mbufs;
    if (!--np->users) {
        rte_mempool_free(np->mp);
        np->mp = NULL;
        np->reserved = 0;
    }
}

unsigned
dp_mempool_available(int numa)
{
    return DP_MEMPOOL_BUDGET - node_pools[pick_node(numa)].reserved;
}
