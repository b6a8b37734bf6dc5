/* SPDX-License-Identifier: Apache-2.0 */
/* Guest RAM: always one memfd mapped MAP_SHARED, so a vhost-user backend
 * can map the very same pages from the fd we send it (vhost-user spec,
 * "Memory regions description").  Anonymous private memory would leave the
 * backend writing into its own copy, so it is never used.  RAM is split in
 * two guest-physical regions around the 32-bit PCI hole: [0, 3 GiB) and
 * [4 GiB, ...), both backed by the same fd at different offsets. */
#include "vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <stdio.h>
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

int
vm_memory_create(struct vm_memory *m, uint64_t size, bool hugepages,
                 char *err, size_t errlen)
{
    unsigned flags = MFD_CLOEXEC | (hugepages ? MFD_HUGETLB : 0);
    int rc = memory_check_size(size, hugepages, err, errlen);

    m->fd = -1;
    m->host = NULL;
    if (rc) {
        return rc;
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
    /* Reserve every hugepage now: a shortfall is a clear error here rather
     * than a SIGBUS inside a vCPU or the backend later. */
    if (hugepages && fallocate(m->fd, 0, 0, (off_t) size) < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot reserve %llu MiB of 2 MiB hugepages "
                 "(free ones in /proc/meminfo HugePages_Free): %s",
                 (unsigned long long) (size >> 20), strerror(-rc));
        goto err_close;
    }
    m->host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
    if (m->host == MAP_FAILED) {
        rc = -errno;
        m->host = NULL;
        snprintf(err, errlen, "mapping guest memory: %s", strerror(-rc));
        goto err_close;
    }
    madvise(m->host, size, MADV_DONTDUMP);
    m->size = size;
    m->hugepages = hugepages;
    memory_layout(m);
    return 0;

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
