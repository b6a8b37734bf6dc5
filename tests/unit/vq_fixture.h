/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_TEST_VQ_FIXTURE_H
#define RSW_TEST_VQ_FIXTURE_H 1

/* Fake guest memory shared by the virtq and virtio-net unit tests:
 *
 *   region A  gpa 0x10000..0x20000   (rings live at its start)
 *   region B  gpa 0x20000..0x30000   adjacent to A
 *   (gap)     gpa 0x30000..0x40000
 *   region C  gpa 0x40000..0x50000
 *
 * Each region is its own heap block, so bytes adjacent in gpa are NOT
 * adjacent in host memory: a translation that forgot to split would be
 * caught by ASan or by the content checks.  uva = gpa + FIX_UVA_DELTA. */

#include <stdlib.h>
#include <string.h>
#include "vhost/guest_mem.h"
#include "vhost/virtq.h"
#include "vhost/virtq_driver.h"

#define FIX_REGION_SIZE 0x10000ull
#define FIX_GPA_A 0x10000ull
#define FIX_GPA_B 0x20000ull
#define FIX_GPA_C 0x40000ull
#define FIX_UVA_DELTA 0x7f0000000000ull

struct fixture {
    uint8_t *host[3];
    struct guest_mem *mem;
    struct virtq_driver drv;
    struct virtq *q;
};

static inline uint64_t
fix_gpa(unsigned i)
{
    static const uint64_t gpas[3] = { FIX_GPA_A, FIX_GPA_B, FIX_GPA_C };
    return gpas[i];
}

/* Host pointer of a gpa inside the fixture (test-side helper). */
static inline void *
fix_ptr(struct fixture *f, uint64_t gpa)
{
    for (unsigned i = 0; i < 3; i++) {
        if (gpa >= fix_gpa(i) && gpa - fix_gpa(i) < FIX_REGION_SIZE) {
            return f->host[i] + (gpa - fix_gpa(i));
        }
    }
    return NULL;
}

static inline int
fix_mem_create(struct fixture *f)
{
    struct guest_mem_region_desc d[3];
    memset(f, 0, sizeof *f);
    for (unsigned i = 0; i < 3; i++) {
        f->host[i] = aligned_alloc(4096, FIX_REGION_SIZE);
        if (!f->host[i]) {
            return -1;
        }
        memset(f->host[i], 0, FIX_REGION_SIZE);
        d[i] = (struct guest_mem_region_desc) {
            .gpa = fix_gpa(i), .size = FIX_REGION_SIZE,
            .uva = fix_gpa(i) + FIX_UVA_DELTA, .fd = -1, .host = f->host[i],
        };
    }
    return guest_mem_create(d, 3, GUEST_MEM_MAX_REGIONS, &f->mem);
}

/* Memory plus a driver ring of 'size' at region A's start and the device
 * queue bound to it. */
static inline int
fix_setup(struct fixture *f, uint16_t size, bool event_idx)
{
    if (fix_mem_create(f)) {
        return -1;
    }
    if (virtq_driver_init(&f->drv, size, f->host[0], FIX_GPA_A, event_idx)) {
        return -1;
    }
    struct virtq_config cfg;
    virtq_driver_device_config(&f->drv, FIX_UVA_DELTA, &cfg);
    return virtq_create(&cfg, f->mem, &f->q);
}

static inline void
fix_teardown(struct fixture *f)
{
    virtq_destroy(f->q);
    virtq_driver_uninit(&f->drv);
    guest_mem_destroy(f->mem);
    for (unsigned i = 0; i < 3; i++) {
        free(f->host[i]);
    }
}

/* cmocka helpers: include <cmocka.h> before this header. */

/* Teardown for a fixture allocated by a cmocka setup function. */
static inline int
fix_state_teardown(void **state)
{
    fix_teardown(*state);
    free(*state);
    return 0;
}

/* Adds a chain that must fit; returns its head. */
static inline int
fix_add(struct fixture *f, const struct virtq_driver_buf *b, unsigned n)
{
    int head = virtq_driver_add(&f->drv, b, n);
    assert_true(head >= 0);
    return head;
}

#endif
