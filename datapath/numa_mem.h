/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_NUMA_MEM_H
#define RSW_NUMA_MEM_H 1

/* Where memory actually lives, asked of the kernel, and the warning when
 * a queue's memory is on another node than the PMD polling it.
 *
 * A guest's memory is mapped from the frontend's fd; its pages were placed
 * by the frontend (QEMU's memory backend, numactl, first touch), so only
 * the kernel knows their node: move_pages(2) with nodes == NULL reports the
 * node of each page without moving anything.  No libnuma here, so the
 * DPDK-free core library (and its unit tests) can use it. */

#include <stdbool.h>
#include "vhost/compiler.h"

/* Node of the page holding 'addr' (>= 0), or negative errno: -ENOENT if
 * the page is not present (never touched), -EFAULT if unmapped, -ENOSYS
 * without NUMA support in the kernel. */
int numa_mem_node(const void *addr) RSW_MUST_CHECK;

/* Warn-once state of one queue: the (memory, PMD) node pair last warned
 * about.  NUMA_MEM_WARN_INIT before first use. */
struct numa_mem_warn {
    int mem_node, pmd_node;
};
#define NUMA_MEM_WARN_INIT ((struct numa_mem_warn) {-1, -1})

/* Logs a (rate-limited) warning naming port, queue and both nodes when
 * both nodes are known and differ, once per distinct pair for this 'w'.
 * Returns true if the queue is cross-node (warned now or before). */
bool numa_mem_check_queue(struct numa_mem_warn *w, const char *port,
                          unsigned qid, int mem_node, int pmd_node);

#endif
