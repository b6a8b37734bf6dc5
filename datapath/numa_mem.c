/* SPDX-License-Identifier: Apache-2.0 */
#include "numa_mem.h"

#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vhost/vlog.h"

int
numa_mem_node(const void *addr)
{
    long page = sysconf(_SC_PAGESIZE);
    void *pages[1];
    int status = -ENOENT;

    if (!addr || page <= 0) {
        return -EFAULT;
    }
    pages[0] = (void *) ((uintptr_t) addr & ~((uintptr_t) page - 1));
    /* move_pages(2): with nodes == NULL, status[i] gets the node of page i
     * or a negative errno (-ENOENT: not present, -EFAULT: not mapped). */
    if (syscall(SYS_move_pages, 0, 1ul, pages, NULL, &status, 0) < 0) {
        return -errno;
    }
    return status;
}

bool
numa_mem_check_queue(struct numa_mem_warn *w, const char *port,
                     unsigned qid, int mem_node, int pmd_node)
{
    if (mem_node < 0 || pmd_node < 0 || mem_node == pmd_node) {
        return false;
    }
    if (w->mem_node != mem_node || w->pmd_node != pmd_node) {
        w->mem_node = mem_node;
        w->pmd_node = pmd_node;
        RSW_LOG_RL(RSW_LOG_WARN, "%s: rx queue %u: guest memory on NUMA node "
                   "%d but polled by a PMD on node %d (every packet crosses "
                   "nodes; pin the guest's memory or add a PMD on node %d)",
                   port, qid, mem_node, pmd_node, mem_node);
    }
    return true;
}
