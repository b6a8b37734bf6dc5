/* SPDX-License-Identifier: Apache-2.0 */
/* Guest RAM: always one memfd mapped MAP_SHARED, so a vhost-user backend
 * can map the very same pages from the fd we send it (vhost-user spec,
 * "Memory regions description").  Anonymous private memory would leave the
 * backend writing into its own copy, so it is never used.  RAM is split in
 * two guest-physical regions around the 32-bit PCI hole: [0, 3 GiB) and
 * [4 GiB, ...), both backed by the same fd at different offsets.
 * --hugepages makes it a hugetlbfs memfd (MFD_HUGETLB, 2 MiB pages, all
 * reserved up front); --numa-node binds it to one node. */
#include "vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGEPAGE_SIZE (2ull << 20)

static void
memory_layout(struct vm_memory *m)
{
    uint64_t low = m->size < LOW_MEM_MAX ? m->size : LOW_MEM_MAX;

    m->regions[0] = (struct vm_mem_region) { .gpa = 0, .size = low,
                                             .offset = 0 };
    m->n_regions = 1;
    if (m->size > low) {
        m->regions[1] = (struct vm_mem_region) {
            .gpa = HIGH_RAM_START, .size = m->size - low, .offset = low,
        };
        m->n_regions = 2;
    }
}

static int
memory_check_size(uint64_t size, bool hugepages, char *err, size_t errlen)
{
    uint64_t align = hugepages ? HUGEPAGE_SIZE : 4096;

    if (size < (4ull << 20)) {
        snprintf(err, errlen, "--mem must be at least 4M");
        return -EINVAL;
    }
    if (size > (1ull << 40)) {
        snprintf(err, errlen, "--mem larger than 1T is not supported");
        return -EINVAL;
    }
    if (size % align) {
        snprintf(err, errlen, "--mem must be a multiple of %s%s",
                 hugepages ? "2M" : "4K",
                 hugepages ? " with --hugepages" : "");
        return -EINVAL;
    }
    return 0;
}

/* Free 2 MiB hugepages, on 'node' or (-1) the whole host; -1 unknown. */
static long
hugepages_free(int node)
{
    char path[128];
    long n = -1;
    FILE *f;

    if (node < 0) {
        snprintf(path, sizeof path,
                 "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
    } else {
        snprintf(path, sizeof path, "/sys/devices/system/node/node%d/"
                 "hugepages/hugepages-2048kB/free_hugepages", node);
    }
    f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%ld", &n) != 1) {
            n = -1;
        }
        fclose(f);
    }
    return n;
}

static int
hugepages_shortfall(uint64_t size, int node, int rc, char *err,
                    size_t errlen)
{
    long free_pages = hugepages_free(node);
    char where[32] = "";

    if (node >= 0) {
        snprintf(where, sizeof where, " on node %d", node);
    }
    snprintf(err, errlen, "--hugepages: %llu MiB needs %llu free 2 MiB "
             "hugepages%s, %ld %s free (as root: echo N > "
             "/proc/sys/vm/nr_hugepages)",
             (unsigned long long) (size >> 20),
             (unsigned long long) (size / HUGEPAGE_SIZE), where, free_pages,
             free_pages == 1 ? "is" : "are");
    return rc;
}

/* --numa-node: MPOL_BIND on the mapping sets the memfd's shared policy
 * before any page exists, so every page (faulted in by KVM, by us, or
 * reserved by fallocate on hugetlbfs) comes from that node, and so does
 * what the vhost-user backend maps of it. */
static int
memory_bind_node(struct vm_memory *m, uint64_t size, int node, char *err,
                 size_t errlen)
{
    struct bitmask *mask;
    int rc = 0;

    if (numa_available() < 0) {
        snprintf(err, errlen, "--numa-node %d: this host has no NUMA "
                 "support (numa_available() failed)", node);
        return -ENOTSUP;
    }
    if (node > numa_max_node()
        || !numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned) node)) {
        snprintf(err, errlen, "--numa-node %d: no such node with memory "
                 "here (nodes 0-%d; see /sys/devices/system/node)", node,
                 numa_max_node());
        return -ENODEV;
    }
    mask = numa_allocate_nodemask();
    if (!mask) {
        return -ENOMEM;
    }
    numa_bitmask_setbit(mask, (unsigned) node);
    if (mbind(m->host, size, MPOL_BIND, mask->maskp, mask->size + 1, 0)) {
        rc = -errno;
        snprintf(err, errlen, "--numa-node %d: mbind: %s", node,
                 strerror(-rc));
    }
    numa_free_nodemask(mask);
    return rc;
}

/* The shared mapping of the whole fd, bound to 'numa_node' (>= 0). */
static int
memory_map(struct vm_memory *m, uint64_t size, int numa_node, char *err,
           size_t errlen)
{
    int rc;

    m->host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
    if (m->host == MAP_FAILED) {
        rc = -errno;
        m->host = NULL;
        snprintf(err, errlen, "mapping guest memory: %s", strerror(-rc));
        return rc;
    }
    m->size = size;
    if (numa_node >= 0
        && (rc = memory_bind_node(m, size, numa_node, err, errlen))) {
        munmap(m->host, size);
        m->host = NULL;
        return rc;
    }
    return 0;
}

int
vm_memory_create(struct vm_memory *m, uint64_t size, bool hugepages,
                 int numa_node, char *err, size_t errlen)
{
    unsigned flags = MFD_CLOEXEC | (hugepages ? MFD_HUGETLB : 0);
    int rc = memory_check_size(size, hugepages, err, errlen);
    long free_pages;

    m->fd = -1;
    m->host = NULL;
    if (rc) {
        return rc;
    }
    /* Checked first so that a shortfall allocates nothing at all. */
    free_pages = hugepages ? hugepages_free(numa_node) : -1;
    if (free_pages >= 0 && (uint64_t) free_pages < size / HUGEPAGE_SIZE) {
        return hugepages_shortfall(size, numa_node, -ENOMEM, err, errlen);
    }
    m->fd = memfd_create("rsw-vmm-ram", flags);
    if (m->fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "memfd_create%s: %s",
                 hugepages ? " (MFD_HUGETLB)" : "", strerror(-rc));
        return rc;
    }
    if (ftruncate(m->fd, (off_t) size) < 0) {
        rc = -errno;
        snprintf(err, errlen, "sizing guest memory: %s", strerror(-rc));
        goto err_close;
    }
    rc = memory_map(m, size, numa_node, err, errlen);
    if (rc) {
        goto err_close;
    }
    /* Reserve every hugepage now: a shortfall (another process took them
     * since the check) is a clear error here rather than a SIGBUS inside
     * a vCPU or the backend later. */
    if (hugepages && fallocate(m->fd, 0, 0, (off_t) size) < 0) {
        rc = hugepages_shortfall(size, numa_node, -errno, err, errlen);
        goto err_unmap;
    }
    madvise(m->host, size, MADV_DONTDUMP);
    m->hugepages = hugepages;
    memory_layout(m);
    return 0;

err_unmap:
    munmap(m->host, size);
    m->host = NULL;
err_close:
    close(m->fd);
    m->fd = -1;
    return rc;
}

void
vm_memory_destroy(struct vm_memory *m)
{
    if (!m) {
        return;
    }
    if (m->host) {
        munmap(m->host, m->size);
        m->host = NULL;
    }
    if (m->fd >= 0) {
        close(m->fd);
        m->fd = -1;
    }
}

static const struct vm_mem_region *
memory_find(const struct vm_memory *m, uint64_t gpa, uint64_t len)
{
    if (!len) {
        len = 1;
    }
    if (gpa + len < gpa) {
        return NULL;
    }
    for (unsigned i = 0; i < m->n_regions; i++) {
        const struct vm_mem_region *r = &m->regions[i];
        if (gpa >= r->gpa && gpa - r->gpa <= r->size
            && len <= r->size - (gpa - r->gpa)) {
            return r;
        }
    }
    return NULL;
}

void *
vm_gpa_to_hva(const struct vm_memory *m, uint64_t gpa, uint64_t len)
{
    const struct vm_mem_region *r = memory_find(m, gpa, len);

    return r ? m->host + r->offset + (gpa - r->gpa) : NULL;
}

uint64_t
vm_gpa_to_uva(const struct vm_memory *m, uint64_t gpa, uint64_t len)
{
    void *hva = vm_gpa_to_hva(m, gpa, len);

    return hva ? (uint64_t) (uintptr_t) hva : 0;
}
