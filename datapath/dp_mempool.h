/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_DP_MEMPOOL_H
#define RSW_DP_MEMPOOL_H 1

/* mbuf pools for the DPDK ethdev ports, one per NUMA node.
 *
 * Why shared per node: an ethdev's rx queues hold mbufs permanently (one
 * per descriptor), so a pool per port would pin memory for every port
 * whether it carries traffic or not; one pool per node, created when the
 * first port of that node needs it and freed when the last one leaves,
 * keeps buffers local to the device and the PMDs polling it.
 *
 * Budget: each port reserves the mbufs its queues can hold (descriptors
 * plus one burst per queue).  A reservation that would leave less than the
 * per-lcore caches' worth free fails with -ENOSPC, so a port that cannot
 * be fed is refused at add-port time instead of starving at run time.
 *
 * Control thread only (the pools themselves are thread-safe DPDK
 * mempools, used by the PMDs through their per-lcore caches). */

#include "vhost/compiler.h"

struct rte_mempool;

/* mbufs per node pool, and the data room of each (frames beyond it are
 * chained). */
#define DP_MEMPOOL_N_MBUFS 32768u
#define DP_MEMPOOL_DATA_ROOM 2048u

/* Reserves 'n_mbufs' in the pool of NUMA node 'numa' (negative: the
 * calling thread's node), creating the pool if needed.  -ENOSPC when the
 * budget is exhausted, -ENOMEM when DPDK has no memory for the pool. */
int dp_mempool_get(int numa, unsigned n_mbufs, struct rte_mempool **)
    RSW_MUST_CHECK;
/* Gives back a reservation; the pool is freed with its last one.  All of
 * the caller's mbufs must be back in the pool (ethdev closed).  NULL is a
 * no-op. */
void dp_mempool_put(struct rte_mempool *, unsigned n_mbufs);
/* mbufs still free for reservations on node 'numa' (as for get). */
unsigned dp_mempool_available(int numa);

#endif
