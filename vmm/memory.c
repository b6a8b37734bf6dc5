/* SPDX-License-Identifier: Apache-2.0 */
/* Guest RAM: always one fd mapped MAP_SHARED, so a vhost-user backend
 * can map the very same pages from the fd we send it (vhost-user spec,
 * "Memory regions description").  Anonymous private memory would leave the
 * backend writing into its own copy, so it is never used.  RAM is split in
 * two guest-physical regions around the 32-bit PCI hole: [0, 3 GiB) and
 * [4 GiB, ...), both backed by the same fd at different offsets.
 * The fd is a memfd; with --hugepages[=2M|1G] a hugetlbfs memfd
 * (MFD_HUGETLB + MFD_HUGE_2MB/1GB), with --hugepages=DIR an unlinked file
 * in that hugetlbfs mount (pages of the mount's size).  Hugepages are
 * counted before anything is allocated, then all reserved up front;
 * --numa-node binds the RAM to one node. */
#include "vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/memfd.h>
#include <mntent.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#define PAGE_2M (2ull << 20)
#define PAGE_1G (1ull << 30)

int
vm_hugepages_parse(const char *arg, struct vm_hugepages *hp, char *err,
                   size_t errlen)
{
    memset(hp, 0, sizeof *hp);
    if (!arg || !*arg || !strcasecmp(arg, "2M") || !strcasecmp(arg, "2MB")) {
        hp->page_size = PAGE_2M;
    } else if (!strcasecmp(arg, "1G") || !strcasecmp(arg, "1GB")) {
        hp->page_size = PAGE_1G;
    } else if (arg[0] == '/') {
        hp->dir = arg;          /* page size: the mount's, when created */
    } else {
        snprintf(err, errlen, "--hugepages: want 2M, 1G or the path of a "
                 "hugetlbfs mount, got '%s'", arg);
        return -EINVAL;
    }
    return 0;
}

static const char *
page_name(uint64_t page_size)
{
    return page_size == PAGE_1G ? "1 GiB" : page_size == PAGE_2M ? "2 MiB"
                                                                 : "4 KiB";
}

/* The option as the user gave it, for error messages. */
static void
hugepages_option(const struct vm_hugepages *hp, char *buf, size_t len)
{
    if (hp->dir) {
        snprintf(buf, len, "--hugepages=%s", hp->dir);
    } else {
        snprintf(buf, len, "--hugepages%s",
                 hp->page_size == PAGE_1G ? "=1G" : "");
    }
}

/* The hugetlbfs mount points of this host, for an error message. */
static void
hugetlbfs_mounts(char *buf, size_t len)
{
    FILE *f = setmntent("/proc/self/mounts", "r");
    struct mntent *e;
    size_t used = 0;

    snprintf(buf, len, "none");
    while (f && (e = getmntent(f)) && used < len) {
        if (!strcmp(e->mnt_type, "hugetlbfs")) {
            used += (size_t) snprintf(buf + used, len - used, "%s%s",
                                      used ? ", " : "", e->mnt_dir);
        }
    }
    if (f) {
        endmntent(f);
    }
}

/* --hugepages=DIR: DIR must be on hugetlbfs; its page size is the mount's
 * (statfs f_bsize, the "pagesize=" mount option). */
static int
hugepages_resolve_dir(struct vm_hugepages *hp, char *err, size_t errlen)
{
    char mounts[256];
    struct statfs fs;
    int rc;

    if (statfs(hp->dir, &fs) < 0) {
        rc = -errno;
        snprintf(err, errlen, "--hugepages=%s: %s", hp->dir, strerror(-rc));
        return rc;
    }
    if ((unsigned long) fs.f_type != (unsigned long) HUGETLBFS_MAGIC) {
        hugetlbfs_mounts(mounts, sizeof mounts);
        snprintf(err, errlen, "--hugepages=%s: not on a hugetlbfs mount "
                 "(hugetlbfs here: %s; to add one, as root: mkdir -p "
                 "/dev/hugepages1G && mount -t hugetlbfs -o pagesize=1G "
                 "none /dev/hugepages1G)", hp->dir, mounts);
        return -EINVAL;
    }
    if ((uint64_t) fs.f_bsize != PAGE_2M && (uint64_t) fs.f_bsize != PAGE_1G) {
        snprintf(err, errlen, "--hugepages=%s: hugetlbfs page size %ld kB "
                 "is not supported (2 MiB or 1 GiB)", hp->dir,
                 (long) fs.f_bsize >> 10);
        return -ENOTSUP;
    }
    hp->page_size = (uint64_t) fs.f_bsize;
    return 0;
}

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
memory_check_size(uint64_t size, const struct vm_hugepages *hp, char *err,
                  size_t errlen)
{
    uint64_t align = hp->page_size ? hp->page_size : 4096;
    char opt[300];

    if (size < (4ull << 20)) {
        snprintf(err, errlen, "--mem must be at least 4M");
        return -EINVAL;
    }
    if (size > (1ull << 40)) {
        snprintf(err, errlen, "--mem larger than 1T is not supported");
        return -EINVAL;
    }
    if (size % align) {
        hugepages_option(hp, opt, sizeof opt);
        snprintf(err, errlen, "--mem must be a multiple of %s%s%s",
                 align == PAGE_1G ? "1G" : align == PAGE_2M ? "2M" : "4K",
                 hp->page_size ? " with " : "", hp->page_size ? opt : "");
        return -EINVAL;
    }
    return 0;
}

/* sysfs counter NAME (free_hugepages, nr_hugepages) of the pool of
 * 'page_size' pages, on 'node' or (-1) the whole host; -1 if there is no
 * such pool (no such node, or a page size the CPU lacks: 1 GiB pages need
 * the pdpe1gb CPU flag). */
static long
hugepages_count(uint64_t page_size, int node, const char *name)
{
    char path[160];
    long n = -1;
    FILE *f;

    if (node < 0) {
        snprintf(path, sizeof path, "/sys/kernel/mm/hugepages/"
                 "hugepages-%llukB/%s",
                 (unsigned long long) (page_size >> 10), name);
    } else {
        snprintf(path, sizeof path, "/sys/devices/system/node/node%d/"
                 "hugepages/hugepages-%llukB/%s", node,
                 (unsigned long long) (page_size >> 10), name);
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

/* How to get more pages: the default size (2 MiB on x86) through
 * /proc/sys/vm/nr_hugepages, others through their sysfs pool or at boot
 * (1 GiB pages are rarely obtainable once memory is fragmented). */
static void
hugepages_hint(uint64_t page_size, char *buf, size_t len)
{
    if (page_size == PAGE_2M) {
        snprintf(buf, len, "as root: echo N > /proc/sys/vm/nr_hugepages");
    } else {
        snprintf(buf, len, "reserve them as root: echo N > "
                 "/sys/kernel/mm/hugepages/hugepages-%llukB/nr_hugepages, "
                 "or boot with hugepagesz=1G hugepages=N",
                 (unsigned long long) (page_size >> 10));
    }
}

static int
hugepages_shortfall(uint64_t size, const struct vm_hugepages *hp, int node,
                    int rc, char *err, size_t errlen)
{
    long free_pages = hugepages_count(hp->page_size, node, "free_hugepages");
    char where[32] = "", opt[300], hint[160];

    if (node >= 0) {
        snprintf(where, sizeof where, " on node %d", node);
    }
    hugepages_option(hp, opt, sizeof opt);
    hugepages_hint(hp->page_size, hint, sizeof hint);
    snprintf(err, errlen, "%s: %llu MiB needs %llu free %s "
             "hugepages%s, %ld %s free (%s)", opt,
             (unsigned long long) (size >> 20),
             (unsigned long long) (size / hp->page_size),
             page_name(hp->page_size), where, free_pages,
             free_pages == 1 ? "is" : "are", hint);
    return rc;
}

/* Before anything is allocated: the page size exists here and enough
 * pages of it are free (a shortfall then allocates nothing at all). */
static int
hugepages_precheck(uint64_t size, const struct vm_hugepages *hp, int node,
                   char *err, size_t errlen)
{
    long free_pages = hugepages_count(hp->page_size, node, "free_hugepages");
    char opt[300];

    if (free_pages < 0 && hugepages_count(hp->page_size, -1,
                                          "free_hugepages") < 0) {
        hugepages_option(hp, opt, sizeof opt);
        snprintf(err, errlen, "%s: this host has no %s hugepages (no "
                 "/sys/kernel/mm/hugepages/hugepages-%llukB%s)", opt,
                 page_name(hp->page_size),
                 (unsigned long long) (hp->page_size >> 10),
                 hp->page_size == PAGE_1G ? ": the CPU lacks pdpe1gb" : "");
        return -ENOTSUP;
    }
    if (free_pages >= 0 && (uint64_t) free_pages < size / hp->page_size) {
        return hugepages_shortfall(size, hp, node, -ENOMEM, err, errlen);
    }
    return 0;
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

/* The RAM fd: a memfd (MFD_HUGETLB of the chosen size with hugepages),
 * or an unlinked file in the --hugepages=DIR mount. */
static int
memory_open(const struct vm_hugepages *hp, char *err, size_t errlen)
{
    unsigned flags = MFD_CLOEXEC;
    char path[4096];
    int fd, rc;

    if (hp->dir) {
        snprintf(path, sizeof path, "%s/rsw-vmm-ram.XXXXXX", hp->dir);
        fd = mkostemp(path, O_CLOEXEC);
        if (fd < 0) {
            rc = -errno;
            snprintf(err, errlen, "--hugepages=%s: creating the RAM file: "
                     "%s", hp->dir, strerror(-rc));
            return rc;
        }
        unlink(path);           /* the fds (ours, the backend's) keep it */
        return fd;
    }
    if (hp->page_size) {
        flags |= MFD_HUGETLB | (hp->page_size == PAGE_1G ? MFD_HUGE_1GB
                                                         : MFD_HUGE_2MB);
    }
    fd = memfd_create("rsw-vmm-ram", flags);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "memfd_create%s: %s",
                 hp->page_size ? " (MFD_HUGETLB)" : "", strerror(-rc));
        return rc;
    }
    return fd;
}

/* Sizes the fd and maps it; with hugepages reserves every page now: a
 * shortfall (another process took them since the check, or the mount's
 * size= limit) is a clear error here rather than a SIGBUS inside a vCPU
 * or the backend later. */
static int
memory_populate(struct vm_memory *m, uint64_t size,
                const struct vm_hugepages *hp, int numa_node, char *err,
                size_t errlen)
{
    int rc;

    if (ftruncate(m->fd, (off_t) size) < 0) {
        rc = -errno;
        snprintf(err, errlen, "sizing guest memory: %s", strerror(-rc));
        return rc;
    }
    /* hugetlbfs reserves a shared mapping's pages at mmap (ENOMEM). */
    rc = memory_map(m, size, numa_node, err, errlen);
    if (rc == -ENOMEM && hp->page_size) {
        return hugepages_shortfall(size, hp, numa_node, rc, err, errlen);
    }
    if (rc) {
        return rc;
    }
    if (hp->page_size && fallocate(m->fd, 0, 0, (off_t) size) < 0) {
        rc = hugepages_shortfall(size, hp, numa_node, -errno, err, errlen);
        munmap(m->host, size);
        m->host = NULL;
        return rc;
    }
    return 0;
}

int
vm_memory_create(struct vm_memory *m, uint64_t size,
                 const struct vm_hugepages *hugepages, int numa_node,
                 char *err, size_t errlen)
{
    struct vm_hugepages hp = { 0 };
    int rc = 0;

    m->fd = -1;
    m->host = NULL;
    if (hugepages) {
        hp = *hugepages;
    }
    if (hp.dir) {
        rc = hugepages_resolve_dir(&hp, err, errlen);
    }
    if (!rc) {
        rc = memory_check_size(size, &hp, err, errlen);
    }
    if (!rc && hp.page_size) {
        rc = hugepages_precheck(size, &hp, numa_node, err, errlen);
    }
    if (rc) {
        return rc;
    }
    m->fd = memory_open(&hp, err, errlen);
    if (m->fd < 0) {
        rc = m->fd;
        m->fd = -1;
        return rc;
    }
    rc = memory_populate(m, size, &hp, numa_node, err, errlen);
    if (rc) {
        close(m->fd);
        m->fd = -1;
        return rc;
    }
    madvise(m->host, size, MADV_DONTDUMP);
    m->hugepages = hp.page_size != 0;
    m->page_size = hp.page_size ? hp.page_size : 4096;
    memory_layout(m);
    return 0;
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
