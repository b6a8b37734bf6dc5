/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the device-side split virtqueue (vhost/virtq.c), driven
 * by the driver-side helper (vhost/virtq_driver.c) and raw hostile writes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include "vq_fixture.h"

/* Data buffers live past the rings. */
#define BUF_A (FIX_GPA_A + 0x4000)
#define BUF_C (FIX_GPA_C + 0x100)

static int
setup_q(void **state, uint16_t size, bool event_idx)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || fix_setup(f, size, event_idx)) {
        return -1;
    }
    *state = f;
    return 0;
}

static int setup8(void **state) { return setup_q(state, 8, false); }
static int setup8_ev(void **state) { return setup_q(state, 8, true); }
static int setup128(void **state) { return setup_q(state, 128, false); }

/* Pops one chain and checks it came back with 'err'. */
static void
pop_expect(struct fixture *f, struct virtq_chain *c, enum virtq_chain_error err)
{
    assert_int_equal(virtq_pop(f->q, c), 1);
    assert_int_equal(c->error, err);
    if (err != VIRTQ_CHAIN_OK) {
        assert_int_equal(c->n_out + c->n_in, 0);
    }
}

/* Publishes a single raw descriptor 0 and expects 'err'. */
static void
raw_one(struct fixture *f, uint64_t addr, uint32_t len, uint16_t flags,
        enum virtq_chain_error err)
{
    struct virtq_chain c;
    virtq_driver_raw_desc(&f->drv, 0, addr, len, flags, 0);
    virtq_driver_raw_publish(&f->drv, 0);
    pop_expect(f, &c, err);
    assert_int_equal(c.head, 0);
}

static void
test_create_invalid(void **state)
{
    struct fixture *f = *state;
    struct virtq_config cfg;
    struct virtq *q;

    virtq_driver_device_config(&f->drv, FIX_UVA_DELTA, &cfg);
    cfg.size = 0;
    assert_int_equal(virtq_create(&cfg, f->mem, &q), -EINVAL);
    assert_null(q);
    cfg.size = 6;
    assert_int_equal(virtq_create(&cfg, f->mem, &q), -EINVAL);
    /* Misaligned parts (§2.6: 16 / 2 / 4). */
    virtq_driver_device_config(&f->drv, FIX_UVA_DELTA, &cfg);
    cfg.desc_uva += 8;
    assert_int_equal(virtq_create(&cfg, f->mem, &q), -EFAULT);
    virtq_driver_device_config(&f->drv, FIX_UVA_DELTA, &cfg);
    cfg.avail_uva += 1;
    assert_int_equal(virtq_create(&cfg, f->mem, &q), -EFAULT);
    virtq_driver_device_config(&f->drv, FIX_UVA_DELTA, &cfg);
    cfg.used_uva += 2;
    assert_int_equal(virtq_create(&cfg, f->mem, &q), -EFAULT);
    /* A ring in the gap. */
    virtq_driver_device_config(&f->drv, FIX_UVA_DELTA, &cfg);
    cfg.desc_uva = 0x30000 + FIX_UVA_DELTA;
    assert_int_equal(virtq_create(&cfg, f->mem, &q), -EFAULT);
    /* Used ring whose trailing avail_event word would cross region C's end
     * into nothing: the full 6 + 8n bytes are required. */
    uint64_t c_end = FIX_GPA_C + FIX_REGION_SIZE + FIX_UVA_DELTA;
    virtq_driver_device_config(&f->drv, FIX_UVA_DELTA, &cfg);
    cfg.used_uva = c_end - virtq_used_bytes(8) + 2;   /* 4-aligned */
    assert_int_equal(virtq_create(&cfg, f->mem, &q), -EFAULT);
    cfg.used_uva = c_end - virtq_used_bytes(8) - 2;   /* fits */
    assert_int_equal(virtq_create(&cfg, f->mem, &q), 0);
    virtq_destroy(q);
    /* Same for avail and its used_event word. */
    virtq_driver_device_config(&f->drv, FIX_UVA_DELTA, &cfg);
    cfg.avail_uva = c_end - virtq_avail_bytes(8) + 2;
    assert_int_equal(virtq_create(&cfg, f->mem, &q), -EFAULT);
    cfg.avail_uva = c_end - virtq_avail_bytes(8);
    assert_int_equal(virtq_create(&cfg, f->mem, &q), 0);
    virtq_destroy(q);
    virtq_destroy(NULL);
}

static void
test_basic_chain(void **state)
{
    struct fixture *f = *state;
    struct virtq_driver_buf b[2] = {
        { .gpa = BUF_A, .len = 100 },
        { .gpa = BUF_C, .len = 200, .write = true },
    };
    struct virtq_chain c;

    assert_int_equal(virtq_pop(f->q, &c), 0);
    int head = fix_add(f, b, 2);
    assert_int_equal(virtq_avail_count(f->q), 1);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.head, head);
    assert_int_equal(c.n_out, 1);
    assert_int_equal(c.n_in, 1);
    assert_int_equal(c.out_len, 100);
    assert_int_equal(c.in_len, 200);
    assert_ptr_equal(c.iov[0].iov_base, fix_ptr(f, BUF_A));
    assert_int_equal(c.iov[0].iov_len, 100);
    assert_ptr_equal(c.iov[1].iov_base, fix_ptr(f, BUF_C));
    assert_int_equal(c.iov[1].iov_len, 200);
    assert_int_equal(virtq_pop(f->q, &c), 0);
    assert_int_equal(virtq_last_avail_idx(f->q), 1);

    virtq_push_used(f->q, c.head, 50);
    assert_int_equal(virtq_driver_used_idx(&f->drv), 0);   /* staged only */
    virtq_flush_used(f->q);
    assert_int_equal(virtq_driver_used_idx(&f->drv), 1);
    uint32_t id, len;
    assert_int_equal(virtq_driver_get_used(&f->drv, &id, &len), 1);
    assert_int_equal(id, head);
    assert_int_equal(len, 50);
    assert_int_equal(virtq_get_stats(f->q)->chains, 1);
    assert_int_equal(virtq_size(f->q), 8);
    assert_false(virtq_is_broken(f->q));
}

static void
test_bad_addresses(void **state)
{
    struct fixture *f = *state;
    /* Outside every region: in the gap, below all, far above. */
    raw_one(f, 0x30000, 16, 0, VIRTQ_CHAIN_BAD_ADDR);
    raw_one(f, 0x0, 16, 0, VIRTQ_CHAIN_BAD_ADDR);
    raw_one(f, 0x100000000ull, 16, VIRTQ_DESC_F_WRITE, VIRTQ_CHAIN_BAD_ADDR);
    /* Crossing B's end into the gap. */
    raw_one(f, FIX_GPA_B + FIX_REGION_SIZE - 16, 32, 0, VIRTQ_CHAIN_BAD_ADDR);
    /* Crossing C's end (last region). */
    raw_one(f, FIX_GPA_C + FIX_REGION_SIZE - 1, 2, 0, VIRTQ_CHAIN_BAD_ADDR);
    /* addr + len overflows 64 bits. */
    raw_one(f, UINT64_MAX - 8, 100, 0, VIRTQ_CHAIN_BAD_ADDR);
    raw_one(f, UINT64_MAX, 1, VIRTQ_DESC_F_WRITE, VIRTQ_CHAIN_BAD_ADDR);
    assert_int_equal(virtq_get_stats(f->q)->chain_errors[VIRTQ_CHAIN_BAD_ADDR],
                     7);
    assert_int_equal(virtq_get_stats(f->q)->chains, 0);
    /* Per-chain errors do not break the queue. */
    raw_one(f, BUF_C, 16, 0, VIRTQ_CHAIN_OK);
    assert_false(virtq_is_broken(f->q));
}

static void
test_cross_adjacent_regions(void **state)
{
    struct fixture *f = *state;
    struct virtq_chain c;
    /* A and B are adjacent in gpa but not in host memory: two iovecs. */
    struct virtq_driver_buf b = { .gpa = FIX_GPA_B - 16, .len = 48 };
    fix_add(f, &b, 1);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.n_out, 2);
    assert_int_equal(c.out_len, 48);
    assert_ptr_equal(c.iov[0].iov_base, f->host[0] + FIX_REGION_SIZE - 16);
    assert_int_equal(c.iov[0].iov_len, 16);
    assert_ptr_equal(c.iov[1].iov_base, f->host[1]);
    assert_int_equal(c.iov[1].iov_len, 32);
}

static void
test_loop_and_bad_next(void **state)
{
    struct fixture *f = *state;
    struct virtq_chain c;
    /* 0 -> 1 -> 0 ... */
    virtq_driver_raw_desc(&f->drv, 0, BUF_A, 8, VIRTQ_DESC_F_NEXT, 1);
    virtq_driver_raw_desc(&f->drv, 1, BUF_A, 8, VIRTQ_DESC_F_NEXT, 0);
    virtq_driver_raw_publish(&f->drv, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_TOO_LONG);
    /* Self loop with zero-length descriptors (no iov to run out of). */
    virtq_driver_raw_desc(&f->drv, 2, BUF_A, 0, VIRTQ_DESC_F_NEXT, 2);
    virtq_driver_raw_publish(&f->drv, 2);
    pop_expect(f, &c, VIRTQ_CHAIN_TOO_LONG);
    assert_int_equal(c.head, 2);
    /* next outside the table. */
    virtq_driver_raw_desc(&f->drv, 3, BUF_A, 8, VIRTQ_DESC_F_NEXT, 8);
    virtq_driver_raw_publish(&f->drv, 3);
    pop_expect(f, &c, VIRTQ_CHAIN_BAD_NEXT);
    /* A chain using all 8 descriptors is fine (limit is exact). */
    for (uint16_t i = 0; i < 8; i++) {
        virtq_driver_raw_desc(&f->drv, i, BUF_A + i, 1,
                              i < 7 ? VIRTQ_DESC_F_NEXT : 0, (uint16_t) (i + 1));
    }
    virtq_driver_raw_publish(&f->drv, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.n_out, 8);
    /* ... and the 9th hop of the same chain closed into a loop is not. */
    virtq_driver_raw_desc(&f->drv, 7, BUF_A, 1, VIRTQ_DESC_F_NEXT, 0);
    virtq_driver_raw_publish(&f->drv, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_TOO_LONG);
    const struct virtq_stats *s = virtq_get_stats(f->q);
    assert_int_equal(s->chain_errors[VIRTQ_CHAIN_TOO_LONG], 3);
    assert_int_equal(s->chain_errors[VIRTQ_CHAIN_BAD_NEXT], 1);
}

/* Writes an indirect table at 'gpa' through guest_mem (it may cross
 * regions) and publishes a main descriptor 5 pointing at it. */
static void
publish_indirect(struct fixture *f, uint64_t gpa, const struct virtq_desc *t,
                 unsigned n, uint32_t len, uint16_t flags)
{
    if (n) {
        assert_int_equal(guest_mem_write(f->mem, gpa, t, 16ull * n), 0);
    }
    virtq_driver_raw_desc(&f->drv, 5, gpa, len,
                          (uint16_t) (VIRTQ_DESC_F_INDIRECT | flags), 0);
    virtq_driver_raw_publish(&f->drv, 5);
}

static void
test_indirect_ok(void **state)
{
    struct fixture *f = *state;
    struct virtq_chain c;
    /* Table straddles the A/B border; entries chained out of order. */
    struct virtq_desc t[3] = {
        { .addr = BUF_A, .len = 10, .flags = VIRTQ_DESC_F_NEXT, .next = 2 },
        { .addr = BUF_C, .len = 30, .flags = VIRTQ_DESC_F_WRITE },
        { .addr = FIX_GPA_B - 4, .len = 20, .flags = VIRTQ_DESC_F_NEXT,
          .next = 1 },
    };
    /* WRITE on the table pointer is ignored (§2.6.5.3.2). */
    publish_indirect(f, FIX_GPA_B - 24, t, 3, 48, VIRTQ_DESC_F_WRITE);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.head, 5);
    assert_int_equal(c.n_out, 3);
    assert_int_equal(c.n_in, 1);
    assert_int_equal(c.out_len, 30);
    assert_int_equal(c.in_len, 30);
    assert_ptr_equal(c.iov[1].iov_base, f->host[0] + FIX_REGION_SIZE - 4);
    assert_int_equal(c.iov[1].iov_len, 4);
    assert_ptr_equal(c.iov[2].iov_base, f->host[1]);
    assert_int_equal(c.iov[2].iov_len, 16);
    assert_ptr_equal(c.iov[3].iov_base, fix_ptr(f, BUF_C));

    /* The helper's own indirect path. */
    struct virtq_driver_buf b[2] = {
        { .gpa = BUF_A, .len = 7 }, { .gpa = BUF_C, .len = 9, .write = true },
    };
    int head = virtq_driver_add_indirect(&f->drv, b, 2,
                                         fix_ptr(f, FIX_GPA_C + 0x8000),
                                         FIX_GPA_C + 0x8000);
    assert_true(head >= 0);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.head, head);
    assert_int_equal(c.out_len, 7);
    assert_int_equal(c.in_len, 9);
}

static void
test_indirect_bad(void **state)
{
    struct fixture *f = *state;
    struct virtq_chain c;
    uint64_t tg = FIX_GPA_C + 0x1000;
    struct virtq_desc t[9];
    memset(t, 0, sizeof t);
    for (unsigned i = 0; i < 9; i++) {
        t[i].addr = BUF_A;
        t[i].len = 4;
    }

    /* Bad lengths: 0, not a multiple of 16, more entries than the queue. */
    publish_indirect(f, tg, t, 1, 0, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_BAD_INDIRECT);
    publish_indirect(f, tg, t, 1, 17, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_BAD_INDIRECT);
    publish_indirect(f, tg, t, 9, 9 * 16, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_BAD_INDIRECT);
    publish_indirect(f, tg, t, 8, 8 * 16, 0);     /* exactly size: fine */
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    /* INDIRECT | NEXT. */
    publish_indirect(f, tg, t, 1, 16, VIRTQ_DESC_F_NEXT);
    pop_expect(f, &c, VIRTQ_CHAIN_BAD_INDIRECT);
    /* Nested indirect. */
    t[0].flags = VIRTQ_DESC_F_INDIRECT;
    publish_indirect(f, tg, t, 1, 16, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_BAD_INDIRECT);
    /* Loop inside the table: 0 -> 1 -> 0. */
    t[0] = (struct virtq_desc) { BUF_A, 4, VIRTQ_DESC_F_NEXT, 1 };
    t[1] = (struct virtq_desc) { BUF_A, 4, VIRTQ_DESC_F_NEXT, 0 };
    publish_indirect(f, tg, t, 2, 32, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_TOO_LONG);
    /* next beyond the table (but < queue size). */
    t[1].next = 2;
    publish_indirect(f, tg, t, 2, 32, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_BAD_NEXT);
    /* Table itself outside memory / crossing into the gap / overflowing. */
    publish_indirect(f, 0x30000, t, 0, 32, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_BAD_ADDR);
    publish_indirect(f, FIX_GPA_B + FIX_REGION_SIZE - 16, t, 0, 32, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_BAD_ADDR);
    publish_indirect(f, UINT64_MAX - 15, t, 0, 32, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_BAD_ADDR);
    /* An indirect descriptor reached through NEXT from a direct one. */
    t[0] = (struct virtq_desc) { BUF_A, 4, 0, 0 };
    assert_int_equal(guest_mem_write(f->mem, tg, t, 16), 0);
    virtq_driver_raw_desc(&f->drv, 1, BUF_A, 4, VIRTQ_DESC_F_NEXT, 5);
    virtq_driver_raw_desc(&f->drv, 5, tg, 16, VIRTQ_DESC_F_INDIRECT, 0);
    virtq_driver_raw_publish(&f->drv, 1);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.n_out, 2);
    assert_int_equal(virtq_get_stats(f->q)->chain_errors[VIRTQ_CHAIN_BAD_INDIRECT],
                     5);
}

static void
test_indirect_not_negotiated(void **state)
{
    struct fixture *f = *state;
    struct virtq_config cfg;
    struct virtq *q;
    struct virtq_chain c;
    virtq_driver_device_config(&f->drv, FIX_UVA_DELTA, &cfg);
    cfg.indirect = false;
    assert_int_equal(virtq_create(&cfg, f->mem, &q), 0);
    struct virtq_desc t = { BUF_A, 4, 0, 0 };
    publish_indirect(f, FIX_GPA_C, &t, 1, 16, 0);
    assert_int_equal(virtq_pop(q, &c), 1);
    assert_int_equal(c.error, VIRTQ_CHAIN_BAD_INDIRECT);
    virtq_destroy(q);
}

static void
test_order_and_zero_len(void **state)
{
    struct fixture *f = *state;
    struct virtq_chain c;
    /* Writable then readable (§2.6.4.2). */
    virtq_driver_raw_desc(&f->drv, 0, BUF_A, 8,
                          VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    virtq_driver_raw_desc(&f->drv, 1, BUF_C, 8, 0, 0);
    virtq_driver_raw_publish(&f->drv, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_BAD_ORDER);
    /* Even when the writable one is empty. */
    virtq_driver_raw_desc(&f->drv, 0, BUF_A, 0,
                          VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    virtq_driver_raw_publish(&f->drv, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_BAD_ORDER);
    /* Inside an indirect table. */
    struct virtq_desc t[2] = {
        { BUF_A, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1 },
        { BUF_A, 4, 0, 0 },
    };
    publish_indirect(f, FIX_GPA_C, t, 2, 32, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_BAD_ORDER);
    /* Zero-length descriptors are legal and produce no iovec, wherever
     * their address points. */
    virtq_driver_raw_desc(&f->drv, 0, 0x30000, 0, VIRTQ_DESC_F_NEXT, 1);
    virtq_driver_raw_desc(&f->drv, 1, BUF_C, 10, VIRTQ_DESC_F_WRITE, 0);
    virtq_driver_raw_publish(&f->drv, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.n_out, 0);
    assert_int_equal(c.n_in, 1);
    assert_int_equal(c.in_len, 10);
    assert_int_equal(virtq_get_stats(f->q)->chain_errors[VIRTQ_CHAIN_BAD_ORDER],
                     3);
}

/* Returns a popped chain to the driver so its descriptors are free again. */
static void
recycle(struct fixture *f, const struct virtq_chain *c)
{
    uint32_t id, len;
    virtq_push_used(f->q, c->head, 0);
    virtq_flush_used(f->q);
    assert_int_equal(virtq_driver_get_used(&f->drv, &id, &len), 1);
    assert_int_equal(id, c->head);
}

static void
test_too_many_iov(void **state)
{
    struct fixture *f = *state;
    struct virtq_driver_buf b[VIRTQ_CHAIN_MAX_IOV + 1];
    struct virtq_chain c;
    for (unsigned i = 0; i < RSW_ARRAY_SIZE(b); i++) {
        b[i] = (struct virtq_driver_buf) { .gpa = BUF_A + 2 * i, .len = 1 };
    }
    fix_add(f, b, VIRTQ_CHAIN_MAX_IOV);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.n_out, VIRTQ_CHAIN_MAX_IOV);
    recycle(f, &c);
    fix_add(f, b, VIRTQ_CHAIN_MAX_IOV + 1);
    pop_expect(f, &c, VIRTQ_CHAIN_TOO_MANY_IOV);
    recycle(f, &c);
    /* One buffer that crosses A/B as the 64th piece needs a 65th iovec. */
    b[VIRTQ_CHAIN_MAX_IOV - 1].gpa = FIX_GPA_B - 1;
    b[VIRTQ_CHAIN_MAX_IOV - 1].len = 2;
    fix_add(f, b, VIRTQ_CHAIN_MAX_IOV);
    pop_expect(f, &c, VIRTQ_CHAIN_TOO_MANY_IOV);
}

/* Total lengths are uint32_t: a chain adding up to more is refused.  Needs
 * more than 4 GiB of "guest memory": reserve address space only. */
static void
test_total_len_overflow(void **state)
{
    struct fixture *f = *state;
    const uint64_t big = 5ull << 30, big_gpa = 1ull << 40;
    void *p = mmap(NULL, big, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(p != MAP_FAILED);
    struct guest_mem_region_desc d[2] = {
        { .gpa = FIX_GPA_A, .size = FIX_REGION_SIZE,
          .uva = FIX_GPA_A + FIX_UVA_DELTA, .fd = -1, .host = f->host[0] },
        { .gpa = big_gpa, .size = big, .uva = big_gpa, .fd = -1, .host = p },
    };
    struct guest_mem *m;
    assert_int_equal(guest_mem_create(d, 2, 8, &m), 0);
    assert_int_equal(virtq_remap(f->q, m), 0);
    struct virtq_driver_buf b[2] = {
        { .gpa = big_gpa, .len = 0xf0000000u },
        { .gpa = big_gpa + 0xf0000000u, .len = 0x20000000u },
    };
    struct virtq_chain c;
    fix_add(f, b, 1);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.out_len, 0xf0000000u);
    fix_add(f, b, 2);
    pop_expect(f, &c, VIRTQ_CHAIN_TOO_LONG);
    /* Readable and writable totals are separate. */
    b[1].write = true;
    fix_add(f, b, 2);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.in_len, 0x20000000u);
    assert_int_equal(virtq_remap(f->q, f->mem), 0);
    guest_mem_destroy(m);
    munmap(p, big);
}

static void
test_avail_jump_breaks_one_queue(void **state)
{
    struct fixture *f = *state;
    struct virtq_chain c;
    /* A second queue on the same memory, ring in region C. */
    struct virtq_driver d2;
    struct virtq_config cfg;
    struct virtq *q2;
    assert_int_equal(virtq_driver_init(&d2, 8, f->host[2] + 0x4000,
                                       FIX_GPA_C + 0x4000, false), 0);
    virtq_driver_device_config(&d2, FIX_UVA_DELTA, &cfg);
    assert_int_equal(virtq_create(&cfg, f->mem, &q2), 0);

    struct virtq_driver_buf b = { .gpa = BUF_A, .len = 4 };
    int head = fix_add(f, &b, 1);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    virtq_push_used(f->q, (uint16_t) head, 0);
    /* §2.6.6: avail->idx runs 9 ahead of a queue of 8. */
    virtq_driver_raw_avail_idx(&f->drv, (uint16_t) (1 + 9));
    assert_int_equal(virtq_avail_count(f->q), 0);
    assert_int_equal(virtq_pop(f->q, &c), -EIO);
    assert_true(virtq_is_broken(f->q));
    assert_int_equal(virtq_pop(f->q, &c), -EIO);
    assert_int_equal(virtq_get_stats(f->q)->broken, 1);
    /* Never touched again: the staged element is not published. */
    virtq_flush_and_notify(f->q);
    virtq_push_used(f->q, 0, 0);
    virtq_flush_used(f->q);
    assert_int_equal(virtq_driver_used_idx(&f->drv), 0);
    assert_false(virtq_should_notify(f->q));

    /* The other queue on the same memory keeps working. */
    head = virtq_driver_add(&d2, &b, 1);
    assert_true(head >= 0);
    assert_int_equal(virtq_pop(q2, &c), 1);
    assert_int_equal(c.error, VIRTQ_CHAIN_OK);
    virtq_push_used(q2, c.head, 4);
    virtq_flush_used(q2);
    uint32_t id, len;
    assert_int_equal(virtq_driver_get_used(&d2, &id, &len), 1);
    assert_int_equal(id, head);
    assert_false(virtq_is_broken(q2));
    virtq_destroy(q2);
    virtq_driver_uninit(&d2);
}

static void
test_head_out_of_range(void **state)
{
    struct fixture *f = *state;
    struct virtq_chain c;
    virtq_driver_raw_publish(&f->drv, 8);   /* §2.6.6: head < size */
    assert_int_equal(virtq_pop(f->q, &c), -EIO);
    assert_true(virtq_is_broken(f->q));
    assert_int_equal(virtq_get_stats(f->q)->broken, 1);
    /* A re-created queue (re-initialised) works again. */
    struct virtq_config cfg;
    struct virtq *q;
    virtq_driver_device_config(&f->drv, FIX_UVA_DELTA, &cfg);
    cfg.last_avail_idx = 1;
    cfg.used_idx = 1;
    assert_int_equal(virtq_create(&cfg, f->mem, &q), 0);
    assert_int_equal(virtq_pop(q, &c), 0);
    virtq_destroy(q);
}

/* 'n' one-buffer chains through the ring: added, popped, completed and
 * taken back by the driver, so both indices advance by 'n'. */
static void
run_chains(struct fixture *f, unsigned n)
{
    struct virtq_driver_buf b = { .gpa = BUF_A, .len = 4 };
    struct virtq_chain c;
    uint32_t id, len;

    for (unsigned i = 0; i < n; i++) {
        fix_add(f, &b, 1);
        pop_expect(f, &c, VIRTQ_CHAIN_OK);
        virtq_push_used(f->q, c.head, 0);
        virtq_flush_used(f->q);
        assert_int_equal(virtq_driver_get_used(&f->drv, &id, &len), 1);
    }
}

/* Regression: rsw-switchd restarted under a DPDK virtio-user frontend in
 * server mode.  The frontend replays a ring in use with SET_VRING_BASE 0;
 * taken literally, avail->idx is far ahead and the queue is marked broken
 * for good.  With resume_at_used the new device continues at used->idx:
 * the chain the old device popped but never completed comes again, then
 * the one it never saw, and the driver accepts both used elements. */
static void
test_resume_at_used(void **state)
{
    struct fixture *f = *state;
    struct virtq_driver_buf b = { .gpa = BUF_A, .len = 4 };
    struct virtq_chain c;
    struct virtq_config cfg;
    struct virtq *q;
    uint32_t id, len;

    run_chains(f, 20);                      /* used->idx ends at 20 */
    int lost = fix_add(f, &b, 1);           /* popped, never completed */
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    int unseen = fix_add(f, &b, 1);         /* never popped */
    virtq_destroy(f->q);                    /* the old device dies */
    f->q = NULL;

    virtq_driver_device_config(&f->drv, FIX_UVA_DELTA, &cfg);  /* base 0 */
    assert_int_equal(virtq_create(&cfg, f->mem, &q), 0);
    assert_int_equal(virtq_pop(q, &c), -EIO);   /* literal base: broken */
    virtq_destroy(q);

    cfg.resume_at_used = true;
    assert_int_equal(virtq_create(&cfg, f->mem, &f->q), 0);
    assert_int_equal(virtq_last_avail_idx(f->q), 20);
    assert_int_equal(virtq_avail_count(f->q), 2);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.head, lost);
    virtq_push_used(f->q, c.head, 0);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.head, unseen);
    virtq_push_used(f->q, c.head, 0);
    virtq_flush_used(f->q);
    assert_int_equal(virtq_driver_get_used(&f->drv, &id, &len), 1);
    assert_int_equal(id, lost);
    assert_int_equal(virtq_driver_get_used(&f->drv, &id, &len), 1);
    assert_int_equal(id, unseen);
    assert_false(virtq_is_broken(f->q));
}

/* The one-buffer fast path takes only one direct, non-empty descriptor of
 * the asked direction inside one region; anything else stays, unconsumed,
 * for virtq_pop to walk or refuse (§2.6.5). */
static void
test_pop_one_buf(void **state)
{
    struct fixture *f = *state;
    struct virtq_driver_buf rd = { .gpa = BUF_A, .len = 100 };
    struct virtq_driver_buf wr = { .gpa = BUF_C, .len = 200, .write = true };
    struct virtq_driver_buf two[2] = { rd, wr };
    struct virtq_driver_buf cross = { .gpa = FIX_GPA_B - 16, .len = 48 };
    struct virtq_buf b;
    struct virtq_chain c;

    assert_int_equal(virtq_pop_one_buf(f->q, false, &b), 0);
    int h = fix_add(f, &rd, 1);
    assert_int_equal(virtq_pop_one_buf(f->q, true, &b), -EAGAIN);
    assert_int_equal(virtq_last_avail_idx(f->q), 0);
    assert_int_equal(virtq_pop_one_buf(f->q, false, &b), 1);
    assert_int_equal(b.head, h);
    assert_int_equal(b.len, 100);
    assert_ptr_equal(b.hva, fix_ptr(f, BUF_A));
    h = fix_add(f, &wr, 1);
    assert_int_equal(virtq_pop_one_buf(f->q, false, &b), -EAGAIN);
    assert_int_equal(virtq_pop_one_buf(f->q, true, &b), 1);
    assert_int_equal(b.head, h);
    assert_ptr_equal(b.hva, fix_ptr(f, BUF_C));
    /* A chain of two; one buffer over two host blocks. */
    fix_add(f, two, 2);
    assert_int_equal(virtq_pop_one_buf(f->q, true, &b), -EAGAIN);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.n_out + c.n_in, 2);
    fix_add(f, &cross, 1);
    assert_int_equal(virtq_pop_one_buf(f->q, false, &b), -EAGAIN);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.n_out, 2);
    assert_int_equal(virtq_get_stats(f->q)->chains, 4);
}

/* Hostile single descriptors are never taken by the fast path: virtq_pop
 * refuses them with its counters; a bad head breaks the queue either way. */
static void
test_pop_one_buf_refusals(void **state)
{
    struct fixture *f = *state;
    static const struct {
        uint64_t addr;
        uint32_t len;
        uint16_t flags, next;
        enum virtq_chain_error err;
    } bad[] = {
        { 0x30000, 16, 0, 0, VIRTQ_CHAIN_BAD_ADDR },
        { FIX_GPA_C + FIX_REGION_SIZE - 1, 2, 0, 0, VIRTQ_CHAIN_BAD_ADDR },
        { UINT64_MAX, 1, VIRTQ_DESC_F_WRITE, 0, VIRTQ_CHAIN_BAD_ADDR },
        { BUF_A, 16, VIRTQ_DESC_F_NEXT, 9, VIRTQ_CHAIN_BAD_NEXT },
        { BUF_A, 15, VIRTQ_DESC_F_INDIRECT, 0, VIRTQ_CHAIN_BAD_INDIRECT },
    };
    struct virtq_buf b;
    struct virtq_chain c;

    for (size_t i = 0; i < RSW_ARRAY_SIZE(bad); i++) {
        virtq_driver_raw_desc(&f->drv, 0, bad[i].addr, bad[i].len,
                              bad[i].flags, bad[i].next);
        virtq_driver_raw_publish(&f->drv, 0);
        bool w = bad[i].flags & VIRTQ_DESC_F_WRITE;
        assert_int_equal(virtq_pop_one_buf(f->q, w, &b), -EAGAIN);
        assert_int_equal(virtq_pop_bufs(f->q, w, &b, 1), 0);
        pop_expect(f, &c, bad[i].err);
    }
    /* Empty: nothing to take, valid for virtq_pop. */
    virtq_driver_raw_desc(&f->drv, 0, BUF_A, 0, 0, 0);
    virtq_driver_raw_publish(&f->drv, 0);
    assert_int_equal(virtq_pop_one_buf(f->q, false, &b), -EAGAIN);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.out_len, 0);
    assert_int_equal(virtq_get_stats(f->q)->chains, 1);
    virtq_driver_raw_publish(&f->drv, 8);   /* §2.6.6: head < size */
    assert_int_equal(virtq_pop_one_buf(f->q, false, &b), -EIO);
    assert_true(virtq_is_broken(f->q));
    assert_int_equal(virtq_pop_bufs(f->q, false, &b, 1), 0);
}

/* virtq_pop_bufs stops at the first chain that is not one buffer and
 * leaves it for virtq_pop; then goes on. */
static void
test_pop_bufs(void **state)
{
    struct fixture *f = *state;
    struct virtq_driver_buf one = { .gpa = BUF_A, .len = 64 };
    struct virtq_driver_buf two[2] = { one, { .gpa = BUF_C, .len = 8 } };
    struct virtq_buf b[8];
    struct virtq_chain c;
    int h[3], chain, last;

    for (int i = 0; i < 3; i++) {
        h[i] = fix_add(f, &one, 1);
    }
    chain = fix_add(f, two, 2);
    last = fix_add(f, &one, 1);
    assert_int_equal(virtq_pop_bufs(f->q, false, b, 8), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(b[i].head, h[i]);
        assert_int_equal(b[i].len, 64);
    }
    assert_int_equal(virtq_pop_bufs(f->q, false, b, 8), 0);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.head, chain);
    assert_int_equal(virtq_pop_bufs(f->q, false, b, 8), 1);
    assert_int_equal(b[0].head, last);
    assert_int_equal(virtq_pop_bufs(f->q, false, b, 8), 0);
    assert_int_equal(virtq_get_stats(f->q)->chains, 5);
}

/* Regression (it_switchd_kill9_client, rarely): the switch killed while
 * a full ring's indices sat just below a multiple of 2^16.  The frontend
 * replays base 0, which then lies between used->idx (65528) and
 * avail->idx (0): taken literally, the 8 pending chains were skipped, the
 * ring stayed full and the driver stopped sending for good. */
static void
test_resume_at_used_near_wrap(void **state)
{
    struct fixture *f = *state;
    struct virtq_driver_buf b = { .gpa = BUF_A, .len = 4 };
    struct virtq_chain c;
    struct virtq_config cfg;
    uint32_t id, len;
    int heads[8];

    run_chains(f, 65528);
    for (unsigned i = 0; i < 8; i++) {      /* full: avail->idx is 0 */
        heads[i] = fix_add(f, &b, 1);
    }
    pop_expect(f, &c, VIRTQ_CHAIN_OK);      /* one taken, not completed */
    virtq_destroy(f->q);
    f->q = NULL;

    virtq_driver_device_config(&f->drv, FIX_UVA_DELTA, &cfg);  /* base 0 */
    cfg.resume_at_used = true;
    assert_int_equal(virtq_create(&cfg, f->mem, &f->q), 0);
    assert_int_equal(virtq_last_avail_idx(f->q), 65528);
    assert_int_equal(virtq_avail_count(f->q), 8);
    for (unsigned i = 0; i < 8; i++) {
        pop_expect(f, &c, VIRTQ_CHAIN_OK);
        assert_int_equal(c.head, heads[i]);
        virtq_push_used(f->q, c.head, 0);
    }
    virtq_flush_used(f->q);
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(virtq_driver_get_used(&f->drv, &id, &len), 1);
        assert_int_equal(id, heads[i]);
    }
    assert_false(virtq_is_broken(f->q));
}

static void
test_unpop(void **state)
{
    struct fixture *f = *state;
    struct virtq_driver_buf b = { .gpa = BUF_A, .len = 4 };
    struct virtq_chain c;
    int h[3];
    for (int i = 0; i < 3; i++) {
        h[i] = fix_add(f, &b, 1);
    }
    assert_int_equal(virtq_avail_count(f->q), 3);
    for (int i = 0; i < 3; i++) {
        pop_expect(f, &c, VIRTQ_CHAIN_OK);
        assert_int_equal(c.head, h[i]);
    }
    assert_int_equal(virtq_avail_count(f->q), 0);
    virtq_unpop(f->q, 2);
    assert_int_equal(virtq_avail_count(f->q), 2);
    assert_int_equal(virtq_last_avail_idx(f->q), 1);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_int_equal(c.head, h[1]);
    assert_int_equal(virtq_get_stats(f->q)->chains, 2);
}

static uint64_t
read_eventfd(int fd)
{
    uint64_t v = 0;
    if (read(fd, &v, sizeof v) != sizeof v) {
        return 0;
    }
    return v;
}

/* Queue like the fixture's but with an eventfd as call_fd. */
static struct virtq *
make_call_queue(struct fixture *f, int *efd)
{
    struct virtq_config cfg;
    struct virtq *q;
    *efd = eventfd(0, EFD_NONBLOCK);
    assert_true(*efd >= 0);
    virtq_driver_device_config(&f->drv, FIX_UVA_DELTA, &cfg);
    cfg.call_fd = *efd;
    assert_int_equal(virtq_create(&cfg, f->mem, &q), 0);
    return q;
}

static void
push_n(struct fixture *f, struct virtq *q, unsigned n)
{
    struct virtq_driver_buf b = { .gpa = BUF_A, .len = 4 };
    struct virtq_chain c;
    for (unsigned i = 0; i < n; i++) {
        fix_add(f, &b, 1);
        assert_int_equal(virtq_pop(q, &c), 1);
        virtq_push_used(q, c.head, 0);
    }
    virtq_flush_and_notify(q);
    uint32_t id, len;
    while (virtq_driver_get_used(&f->drv, &id, &len) == 1) {
        continue;
    }
}

static void
test_notify_no_interrupt_flag(void **state)
{
    struct fixture *f = *state;
    int efd;
    struct virtq *q = make_call_queue(f, &efd);

    push_n(f, q, 1);
    assert_int_equal(read_eventfd(efd), 1);
    assert_int_equal(virtq_get_stats(q)->notifies, 1);
    /* §2.6.7.2: NO_INTERRUPT set by the driver suppresses. */
    virtq_driver_set_interrupt_wanted(&f->drv, false);
    push_n(f, q, 2);
    assert_int_equal(read_eventfd(efd), 0);
    assert_int_equal(virtq_get_stats(q)->notifies_suppressed, 1);
    /* Nothing new: neither sent nor counted. */
    virtq_flush_and_notify(q);
    assert_int_equal(virtq_get_stats(q)->notifies_suppressed, 1);
    virtq_driver_set_interrupt_wanted(&f->drv, true);
    push_n(f, q, 1);
    assert_int_equal(read_eventfd(efd), 1);
    assert_int_equal(virtq_get_stats(q)->notifies, 2);
    virtq_destroy(q);
    close(efd);
}

static void
test_event_idx_suppression(void **state)
{
    struct fixture *f = *state;
    int efd;
    struct virtq *q = make_call_queue(f, &efd);
    const struct virtq_stats *s = virtq_get_stats(q);

    /* First decision: nothing known about what the driver saw: notify. */
    push_n(f, q, 1);                       /* used idx 0 -> 1 */
    assert_int_equal(read_eventfd(efd), 1);
    /* Driver wants an interrupt only once used idx passes 5. */
    virtq_driver_raw_used_event(&f->drv, 5);
    push_n(f, q, 2);                       /* 1 -> 3: window (1,3] */
    assert_int_equal(read_eventfd(efd), 0);
    assert_int_equal(s->notifies_suppressed, 1);
    push_n(f, q, 2);                       /* 3 -> 5: 5 not yet passed */
    assert_int_equal(read_eventfd(efd), 0);
    push_n(f, q, 1);                       /* 5 -> 6: crosses used_event */
    assert_int_equal(read_eventfd(efd), 1);
    assert_int_equal(s->notifies, 2);
    assert_int_equal(s->notifies_suppressed, 2);
    /* The driver's own "ask at next" helper: used_event = last_used. */
    virtq_driver_set_interrupt_wanted(&f->drv, true);
    push_n(f, q, 1);
    assert_int_equal(read_eventfd(efd), 1);
    /* The avail flags are ignored under EVENT_IDX. */
    virtq_driver_raw_avail_flags(&f->drv, VIRTQ_AVAIL_F_NO_INTERRUPT);
    virtq_driver_set_interrupt_wanted(&f->drv, true);
    push_n(f, q, 1);
    assert_int_equal(read_eventfd(efd), 1);
    assert_int_equal(s->notifies, 4);
    virtq_destroy(q);
    close(efd);
}

static void
test_kick_wanted(void **state)
{
    struct fixture *f = *state;
    struct virtq_driver_buf b = { .gpa = BUF_A, .len = 4 };
    virtq_set_kick_wanted(f->q, false);
    assert_int_equal(virtq_driver_used_flags(&f->drv), VIRTQ_USED_F_NO_NOTIFY);
    fix_add(f, &b, 1);
    assert_false(virtq_driver_kick_needed(&f->drv));
    virtq_set_kick_wanted(f->q, true);
    assert_int_equal(virtq_driver_used_flags(&f->drv), 0);
    fix_add(f, &b, 1);
    assert_true(virtq_driver_kick_needed(&f->drv));
    assert_false(virtq_driver_kick_needed(&f->drv));    /* nothing new */
}

static void
test_kick_wanted_event_idx(void **state)
{
    struct fixture *f = *state;
    struct virtq_driver_buf b = { .gpa = BUF_A, .len = 4 };
    struct virtq_chain c;
    fix_add(f, &b, 1);
    fix_add(f, &b, 1);
    (void) virtq_driver_kick_needed(&f->drv);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    virtq_set_kick_wanted(f->q, true);
    assert_int_equal(virtq_driver_avail_event(&f->drv), 2);
    fix_add(f, &b, 1);                             /* avail 2 -> 3 */
    assert_true(virtq_driver_kick_needed(&f->drv));
    fix_add(f, &b, 1);                             /* 3 -> 4: already kicked */
    assert_false(virtq_driver_kick_needed(&f->drv));
    /* Disabling under EVENT_IDX writes nothing. */
    virtq_set_kick_wanted(f->q, false);
    assert_int_equal(virtq_driver_avail_event(&f->drv), 2);
    assert_int_equal(virtq_driver_used_flags(&f->drv), 0);
}

static void
test_remap(void **state)
{
    struct fixture *f = *state;
    struct virtq_driver_buf b = { .gpa = BUF_A, .len = 4 };
    struct virtq_chain c;
    fix_add(f, &b, 1);

    /* Same layout, new host copy of region A. */
    uint8_t *copy = aligned_alloc(4096, FIX_REGION_SIZE);
    assert_non_null(copy);
    memcpy(copy, f->host[0], FIX_REGION_SIZE);
    struct guest_mem_region_desc d = {
        .gpa = FIX_GPA_A, .size = FIX_REGION_SIZE,
        .uva = FIX_GPA_A + FIX_UVA_DELTA, .fd = -1, .host = copy,
    };
    struct guest_mem *m;
    assert_int_equal(guest_mem_create(&d, 1, 8, &m), 0);
    assert_int_equal(virtq_remap(f->q, m), 0);
    pop_expect(f, &c, VIRTQ_CHAIN_OK);
    assert_ptr_equal(c.iov[0].iov_base, copy + 0x4000);
    /* A table without the rings: the queue is left broken. */
    d.gpa = FIX_GPA_C;
    d.uva = FIX_GPA_C + FIX_UVA_DELTA;
    struct guest_mem *m2;
    assert_int_equal(guest_mem_create(&d, 1, 8, &m2), 0);
    assert_int_equal(virtq_remap(f->q, m2), -EFAULT);
    assert_true(virtq_is_broken(f->q));
    assert_int_equal(virtq_pop(f->q, &c), -EIO);
    guest_mem_destroy(m2);
    guest_mem_destroy(m);
    free(copy);
}

static void
test_names(void **state)
{
    (void) state;
    assert_string_equal(virtq_chain_error_name(VIRTQ_CHAIN_OK), "ok");
    assert_string_equal(virtq_chain_error_name(VIRTQ_CHAIN_TOO_LONG),
                        "too-long");
    assert_string_equal(virtq_chain_error_name(VIRTQ_CHAIN_N_ERRORS),
                        "unknown");
    for (int e = 0; e < VIRTQ_CHAIN_N_ERRORS; e++) {
        assert_non_null(virtq_chain_error_name(e));
    }
}

/* The driver helper refuses a device that returns ids it never gave. */
static void
test_driver_validates_used(void **state)
{
    struct fixture *f = *state;
    uint32_t id, len;
    virtq_push_used(f->q, 3, 0);        /* head 3 was never made available */
    virtq_flush_used(f->q);
    assert_int_equal(virtq_driver_get_used(&f->drv, &id, &len), -EIO);
    struct virtq_driver_buf b[9];
    memset(b, 0, sizeof b);
    assert_int_equal(virtq_driver_add(&f->drv, b, 9), -ENOSPC);
    assert_int_equal(virtq_driver_add(&f->drv, b, 0), -EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_invalid, setup8, fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_basic_chain, setup8, fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_bad_addresses, setup8, fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_cross_adjacent_regions, setup8,
                                        fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_loop_and_bad_next, setup8,
                                        fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_indirect_ok, setup8, fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_indirect_bad, setup8, fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_indirect_not_negotiated, setup8,
                                        fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_order_and_zero_len, setup8,
                                        fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_too_many_iov, setup128, fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_total_len_overflow, setup8,
                                        fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_avail_jump_breaks_one_queue,
                                        setup8, fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_head_out_of_range, setup8,
                                        fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_resume_at_used, setup8,
                                        fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_resume_at_used_near_wrap, setup8,
                                        fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_unpop, setup8, fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_pop_one_buf, setup8,
                                        fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_pop_one_buf_refusals, setup8,
                                        fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_pop_bufs, setup8,
                                        fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_notify_no_interrupt_flag, setup8,
                                        fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_event_idx_suppression, setup8_ev,
                                        fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_kick_wanted, setup8, fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_kick_wanted_event_idx, setup8_ev,
                                        fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_remap, setup8, fix_state_teardown),
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup_teardown(test_driver_validates_used, setup8,
                                        fix_state_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
