/* SPDX-License-Identifier: Apache-2.0 */
/* Guest memory region table: validation, mapping and overflow-safe
 * translation.  See guest_mem.h for the rules. */
#include "guest_mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct gm_region {
    uint64_t gpa, size, uva, mmap_offset;
    uint8_t *host;      /* first byte of gpa */
    void *map_base;     /* our mapping, or NULL when not owned */
    size_t map_len;
};

struct guest_mem {
    unsigned n;
    struct gm_region r[GUEST_MEM_MAX_REGIONS]; /* sorted by gpa */
};

static void
close_fds(const struct guest_mem_region_desc *regions, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        bool dup = false;
        for (unsigned j = 0; j < i && !dup; j++) {
            dup = regions[j].fd == regions[i].fd;
        }
        /* The same fd may back several regions: close it once, or a second
         * close could hit an fd another thread just opened. */
        if (regions[i].fd >= 0 && !dup) {
            close(regions[i].fd);
        }
    }
}

/* Per-region checks that need no other region. */
static int
check_region(const struct guest_mem_region_desc *d)
{
    /* A zero-sized region would make every "inside" test degenerate. */
    if (d->size == 0) {
        return -EINVAL;
    }
    /* The exclusive end of each range must be representable: otherwise
     * range arithmetic below would wrap (hostile frontend). */
    if (!guest_range_ok(d->gpa, d->size) || !guest_range_ok(d->uva, d->size)) {
        return -EINVAL;
    }
    if (d->fd >= 0) {
        if (!guest_range_ok(d->mmap_offset, d->size)
            || d->mmap_offset + d->size > SIZE_MAX) {
            return -EINVAL;
        }
    } else if (!d->host || d->size > SIZE_MAX
               || (uintptr_t) d->host + d->size < (uintptr_t) d->host) {
        return -EINVAL;
    }
    return 0;
}

static bool
ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    /* Both ranges are known not to overflow. */
    return a < b + blen && b < a + alen;
}

/* n <= 32, so an O(n^2) pairwise check is cheaper than sorting twice. */
static int
check_overlaps(const struct guest_mem_region_desc *r, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        for (unsigned j = i + 1; j < n; j++) {
            if (ranges_overlap(r[i].gpa, r[i].size, r[j].gpa, r[j].size)
                || ranges_overlap(r[i].uva, r[i].size, r[j].uva, r[j].size)) {
                return -EINVAL;
            }
        }
    }
    return 0;
}

/* Maps one fd-backed region.  The length covers mmap_offset + size rounded
 * up to st_blksize, because hugetlbfs only maps whole huge pages and reports
 * their size there. */
static int
map_region(const struct guest_mem_region_desc *d, struct gm_region *out)
{
    struct stat st;
    if (fstat(d->fd, &st) < 0) {
        return -errno;
    }
    uint64_t len = d->mmap_offset + d->size;    /* checked by check_region */
    uint64_t blk = st.st_blksize > 0 ? (uint64_t) st.st_blksize : 4096;
    uint64_t rem = len % blk;
    if (rem && len + (blk - rem) < len) {
        return -EINVAL;
    }
    len += rem ? blk - rem : 0;
    if (len > SIZE_MAX) {
        return -EINVAL;
    }
    /* Touching a shared mapping beyond the end of a regular file raises
     * SIGBUS: refuse a table that claims more than the file holds. */
    if (S_ISREG(st.st_mode)
        && (uint64_t) st.st_size < d->mmap_offset + d->size) {
        return -EINVAL;
    }
    void *p = mmap(NULL, (size_t) len, PROT_READ | PROT_WRITE, MAP_SHARED,
                   d->fd, 0);
    if (p == MAP_FAILED) {
        return -errno;
    }
    out->map_base = p;
    out->map_len = (size_t) len;
    out->host = (uint8_t *) p + d->mmap_offset;
    return 0;
}

static void
unmap_all(struct guest_mem *m)
{
    for (unsigned i = 0; i < m->n; i++) {
        if (m->r[i].map_base) {
            munmap(m->r[i].map_base, m->r[i].map_len);
        }
    }
}

static int
cmp_region_gpa(const void *a_, const void *b_)
{
    const struct gm_region *a = a_, *b = b_;
    return a->gpa < b->gpa ? -1 : a->gpa > b->gpa;
}

static int
validate_table(const struct guest_mem_region_desc *regions, unsigned n,
               unsigned max_regions)
{
    if (n == 0 || !regions) {
        return -EINVAL;
    }
    if (n > max_regions || n > GUEST_MEM_MAX_REGIONS) {
        return -E2BIG;
    }
    for (unsigned i = 0; i < n; i++) {
        int err = check_region(&regions[i]);
        if (err) {
            return err;
        }
    }
    return check_overlaps(regions, n);
}

int
guest_mem_create(const struct guest_mem_region_desc *regions, unsigned n,
                 unsigned max_regions, struct guest_mem **out)
{
    *out = NULL;
    int err = validate_table(regions, n, max_regions);
    if (err) {
        /* Ownership of the fds was ours the moment we were called. */
        if (regions) {
            close_fds(regions, n);
        }
        return err;
    }
    struct guest_mem *m = calloc(1, sizeof *m);
    if (!m) {
        close_fds(regions, n);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < n && !err; i++) {
        const struct guest_mem_region_desc *d = &regions[i];
        struct gm_region *r = &m->r[i];
        r->gpa = d->gpa;
        r->size = d->size;
        r->uva = d->uva;
        r->mmap_offset = d->mmap_offset;
        if (d->fd >= 0) {
            err = map_region(d, r);
        } else {
            r->host = d->host;
        }
        m->n = i + 1;
    }
    /* The mappings keep the files alive; the fds are no longer needed. */
    close_fds(regions, n);
    if (err) {
        guest_mem_destroy(m);
        return err;
    }
    qsort(m->r, m->n, sizeof m->r[0], cmp_region_gpa);
    *out = m;
    return 0;
}

void
guest_mem_destroy(struct guest_mem *m)
{
    if (!m) {
        return;
    }
    unmap_all(m);
    free(m);
}

unsigned
guest_mem_n_regions(const struct guest_mem *m)
{
    return m->n;
}

void
guest_mem_region(const struct guest_mem *m, unsigned i,
                 struct guest_mem_region_desc *desc)
{
    memset(desc, 0, sizeof *desc);
    desc->fd = -1;
    if (i >= m->n) {
        return;
    }
    const struct gm_region *r = &m->r[i];
    desc->gpa = r->gpa;
    desc->size = r->size;
    desc->uva = r->uva;
    desc->mmap_offset = r->mmap_offset;
    desc->host = r->host;
}

/* Region containing 'gpa', or NULL.  Binary search: regions are sorted by
 * gpa and do not overlap. */
static const struct gm_region *
find_gpa(const struct guest_mem *m, uint64_t gpa)
{
    unsigned lo = 0, hi = m->n;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const struct gm_region *r = &m->r[mid];
        if (gpa < r->gpa) {
            hi = mid;
        } else if (gpa - r->gpa >= r->size) {
            lo = mid + 1;
        } else {
            return r;
        }
    }
    return NULL;
}

/* Offset of [addr, addr+len) inside [base, base+size), or -1 if the range
 * is not entirely inside.  Written so that nothing can overflow. */
static int64_t
range_offset(uint64_t base, uint64_t size, uint64_t addr, uint64_t len)
{
    if (addr < base || addr - base >= size) {
        return -1;
    }
    uint64_t off = addr - base;
    return len <= size - off ? (int64_t) off : -1;
}

void *
guest_mem_gpa_to_hva(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
    const struct gm_region *r = find_gpa(m, gpa);
    if (!r) {
        return NULL;
    }
    int64_t off = range_offset(r->gpa, r->size, gpa, len ? len : 1);
    return off < 0 ? NULL : r->host + off;
}

static const struct gm_region *
find_uva(const struct guest_mem *m, uint64_t uva, uint64_t len, int64_t *off)
{
    for (unsigned i = 0; i < m->n; i++) {
        const struct gm_region *r = &m->r[i];
        *off = range_offset(r->uva, r->size, uva, len ? len : 1);
        if (*off >= 0) {
            return r;
        }
    }
    return NULL;
}

void *
guest_mem_uva_to_hva(const struct guest_mem *m, uint64_t uva, uint64_t len)
{
    int64_t off;
    const struct gm_region *r = find_uva(m, uva, len, &off);
    return r ? r->host + off : NULL;
}

int
guest_mem_uva_to_gpa(const struct guest_mem *m, uint64_t uva, uint64_t len,
                     uint64_t *gpa)
{
    int64_t off;
    const struct gm_region *r = find_uva(m, uva, len, &off);
    if (!r) {
        return -EFAULT;
    }
    *gpa = r->gpa + (uint64_t) off;
    return 0;
}

uint64_t
guest_mem_gpa_span(const struct guest_mem *m, uint64_t gpa, uint64_t len,
                   void **hva)
{
    const struct gm_region *r = find_gpa(m, gpa);
    if (!r) {
        *hva = NULL;
        return 0;
    }
    uint64_t off = gpa - r->gpa;
    uint64_t avail = r->size - off;
    *hva = r->host + off;
    return len < avail ? len : avail;
}

bool
guest_mem_gpa_region(const struct guest_mem *m, uint64_t gpa, uint64_t *base,
                     uint64_t *size, uint8_t **host)
{
    const struct gm_region *r = find_gpa(m, gpa);
    if (!r) {
        return false;
    }
    *base = r->gpa;
    *size = r->size;
    *host = r->host;
    return true;
}

/* Walks [gpa, gpa+len) region by region, copying to or from 'buf'. */
static int
copy_guest(const struct guest_mem *m, uint64_t gpa, uint8_t *buf,
           uint64_t len, bool to_guest)
{
    if (!guest_range_ok(gpa, len)) {
        return -EFAULT;
    }
    while (len) {
        void *hva;
        uint64_t n = guest_mem_gpa_span(m, gpa, len, &hva);
        if (!n) {
            return -EFAULT;
        }
        if (to_guest) {
            memcpy(hva, buf, n);
        } else {
            memcpy(buf, hva, n);
        }
        buf += n;
        gpa += n;
        len -= n;
    }
    return 0;
}

int
guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *dst,
               uint64_t len)
{
    return copy_guest(m, gpa, dst, len, false);
}

int
guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *src,
                uint64_t len)
{
    return copy_guest(m, gpa, (uint8_t *) src, len, true);
}
