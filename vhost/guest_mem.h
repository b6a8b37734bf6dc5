/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_GUEST_MEM_H
#define RSW_GUEST_MEM_H 1

/* Guest memory as seen by a vhost-user backend.
 *
 * The frontend (QEMU, rsw-vmm, DPDK virtio-user) describes its memory as a
 * table of regions (vhost-user spec, "Memory regions description"): each has
 * a guest-physical address, a size, the frontend's own virtual address for
 * it, and an fd plus mmap offset that let us map the same pages.  Every
 * address a guest hands us -- a descriptor's buffer, an indirect table, a
 * ring -- is untrusted.  Translation therefore always takes a length and
 * succeeds only if the whole range [addr, addr + len) lies inside mapped
 * memory, with overflow-safe arithmetic.  A range that is valid but crosses
 * from one region into the next is legal (regions may be adjacent); callers
 * that need it walk it piece by piece with guest_mem_gpa_span() or use the
 * copy helpers, never assume one contiguous host pointer.
 *
 * Lifetime: a guest_mem owns its mappings and (for fd-backed regions) the
 * fds it was given, from the moment guest_mem_create() is called, whether it
 * succeeds or fails.  It is immutable after creation, so data-path threads
 * may read it without locks; replacing it is the owner's job (publish the new
 * table, wait until readers quiesce, then destroy the old one).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "compiler.h"

/* VHOST_MEMORY_BASELINE_NREGIONS in the vhost-user spec is 8 for
 * SET_MEM_TABLE; with CONFIGURE_MEM_SLOTS the backend announces its own limit
 * through GET_MAX_MEM_SLOTS. */
#define GUEST_MEM_MAX_REGIONS 32

struct guest_mem_region_desc {
    uint64_t gpa;         /* guest physical address */
    uint64_t size;        /* bytes */
    uint64_t uva;         /* frontend (userspace) virtual address */
    uint64_t mmap_offset; /* offset of gpa's first byte inside fd */
    int fd;               /* fd to mmap, or -1 with 'host' set */
    void *host;           /* with fd == -1: memory already mapped here (not
                             owned); used by tests, fuzzers and the VMM */
};

struct guest_mem;

/* Validates and maps 'n' regions.  Refuses (-EINVAL) zero-sized regions,
 * regions whose gpa/uva/offset ranges overflow, overlapping gpa or uva
 * ranges, n == 0 or n > max_regions (-E2BIG), and fds that cannot be mapped
 * (-errno from mmap/fstat).  Takes ownership of every fd >= 0 in 'regions'
 * whatever the outcome. */
int guest_mem_create(const struct guest_mem_region_desc *regions, unsigned n,
                     unsigned max_regions, struct guest_mem **out) RSW_MUST_CHECK;
void guest_mem_destroy(struct guest_mem *);

unsigned guest_mem_n_regions(const struct guest_mem *);
/* Fills 'desc' with region i's description (fd is -1: fds are not lent). */
void guest_mem_region(const struct guest_mem *, unsigned i,
                      struct guest_mem_region_desc *desc);

/* Host pointer for [gpa, gpa+len) when it lies inside ONE region, else NULL.
 * len == 0 is treated as 1 (the address itself must be valid). */
void *guest_mem_gpa_to_hva(const struct guest_mem *, uint64_t gpa, uint64_t len);
/* Same for a frontend virtual address (vring addresses arrive as these). */
void *guest_mem_uva_to_hva(const struct guest_mem *, uint64_t uva, uint64_t len);
/* Frontend virtual address -> guest physical address for a range that lies in
 * one region; 0 on success or -EFAULT. */
int guest_mem_uva_to_gpa(const struct guest_mem *, uint64_t uva, uint64_t len,
                         uint64_t *gpa) RSW_MUST_CHECK;

/* Piecewise walk: returns how many bytes starting at 'gpa' (at most 'len')
 * are contiguous in host memory and stores their address in '*hva'; returns
 * 0 if 'gpa' is not mapped.  Loop until 'len' is consumed to handle ranges
 * that span regions. */
uint64_t guest_mem_gpa_span(const struct guest_mem *, uint64_t gpa, uint64_t len,
                            void **hva);

/* The region holding 'gpa': its first guest address, size and host
 * mapping (for callers that cache the last region they used); false if
 * 'gpa' is not mapped. */
bool guest_mem_gpa_region(const struct guest_mem *, uint64_t gpa,
                          uint64_t *base, uint64_t *size, uint8_t **host);

/* Copies between guest memory and a private host buffer, walking regions.
 * Return 0, or -EFAULT if any byte of the range is unmapped or the range
 * overflows (nothing is guaranteed about partially copied bytes then). */
int guest_mem_read(const struct guest_mem *, uint64_t gpa, void *dst,
                   uint64_t len) RSW_MUST_CHECK;
int guest_mem_write(const struct guest_mem *, uint64_t gpa, const void *src,
                    uint64_t len) RSW_MUST_CHECK;

/* true if [a, a+len) does not overflow 64 bits (len may be 0). */
static inline bool
guest_range_ok(uint64_t a, uint64_t len)
{
    return a + len >= a;
}

#endif
