/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for virtio-net TX/RX over the split virtqueue
 * (vhost/virtio_net.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>
#include "vhost/virtio_net.h"
#include "vq_fixture.h"

#define BUF_A (FIX_GPA_A + 0x4000)
#define BUF_C (FIX_GPA_C + 0x100)
#define HDR12 12u

static int
setup8(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || fix_setup(f, 8, false)) {
        return -1;
    }
    *state = f;
    return 0;
}

/* Flushes and expects exactly one used element (id, len). */
static void
expect_used(struct fixture *f, int id, uint32_t len)
{
    uint32_t i, l;
    virtq_flush_used(f->q);
    assert_int_equal(virtq_driver_get_used(&f->drv, &i, &l), 1);
    assert_int_equal(i, id);
    assert_int_equal(l, len);
}

static void
expect_no_used(struct fixture *f)
{
    uint32_t i, l;
    virtq_flush_used(f->q);
    assert_int_equal(virtq_driver_get_used(&f->drv, &i, &l), 0);
}

static void
fill(struct fixture *f, uint64_t gpa, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t v = (uint8_t) (seed + i);
        assert_int_equal(guest_mem_write(f->mem, gpa + i, &v, 1), 0);
    }
}

static void
test_hdr_len(void **state)
{
    (void) state;
    assert_int_equal(virtio_net_hdr_len(0), 10);
    assert_int_equal(virtio_net_hdr_len(1ull << 32), 12);
    assert_int_equal(virtio_net_hdr_len(1ull << 15), 12);
    assert_int_equal(virtio_net_hdr_len(~((1ull << 32) | (1ull << 15))), 10);
    assert_int_equal(sizeof(struct virtio_net_hdr), 12);
    assert_string_equal(virtio_net_xfer_error_name(VIRTIO_NET_ERR_NO_BUFS),
                        "no-bufs");
    assert_string_equal(virtio_net_xfer_error_name(99), "unknown");
}

static void
test_tx_split_header(void **state)
{
    struct fixture *f = *state;
    /* Header split 5 + 7 over two descriptors; the frame then crosses the
     * A/B region border. */
    struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
                                .gso_type = 0, .hdr_len = 0x1234,
                                .csum_start = 14, .csum_offset = 16,
                                .num_buffers = 0x7777 };
    assert_int_equal(guest_mem_write(f->mem, BUF_C, &h, 5), 0);
    assert_int_equal(guest_mem_write(f->mem, BUF_C + 0x100,
                                     (uint8_t *) &h + 5, 7), 0);
    fill(f, FIX_GPA_B - 30, 100, 40);
    struct virtq_driver_buf b[3] = {
        { .gpa = BUF_C, .len = 5 },
        { .gpa = BUF_C + 0x100, .len = 7 },
        { .gpa = FIX_GPA_B - 30, .len = 100 },
    };
    int head = fix_add(f, b, 3);
    uint8_t frame[200];
    size_t flen = 0;
    struct virtio_net_hdr got;
    assert_int_equal(virtio_net_tx_pop(f->q, HDR12, frame, sizeof frame,
                                       &flen, &got), VIRTIO_NET_OK);
    assert_int_equal(flen, 100);
    for (size_t i = 0; i < flen; i++) {
        assert_int_equal(frame[i], (uint8_t) (40 + i));
    }
    assert_memory_equal(&got, &h, sizeof h);
    expect_used(f, head, 0);            /* §5.1.6.2: TX used length 0 */

    /* A 10-byte header: fields beyond it are zeroed. */
    fill(f, BUF_C, 30, 1);
    b[0].len = 30;
    head = fix_add(f, b, 1);
    assert_int_equal(virtio_net_tx_pop(f->q, 10, frame, sizeof frame, &flen,
                                       &got), VIRTIO_NET_OK);
    assert_int_equal(flen, 20);
    assert_int_equal(frame[0], 11);
    assert_int_equal(got.num_buffers, 0);
    assert_int_equal(got.flags, 1);
    expect_used(f, head, 0);
    assert_int_equal(virtio_net_tx_pop(f->q, HDR12, frame, sizeof frame,
                                       &flen, &got), VIRTIO_NET_ERR_EMPTY);
}

static void
test_tx_errors(void **state)
{
    struct fixture *f = *state;
    uint8_t frame[64];
    size_t flen;
    struct virtio_net_hdr got;

    /* Writable descriptor in a TX chain. */
    struct virtq_driver_buf b[2] = {
        { .gpa = BUF_C, .len = 40 },
        { .gpa = BUF_A, .len = 40, .write = true },
    };
    int head = fix_add(f, b, 2);
    assert_int_equal(virtio_net_tx_pop(f->q, HDR12, frame, sizeof frame,
                                       &flen, &got), VIRTIO_NET_ERR_WRONG_DIR);
    expect_used(f, head, 0);
    /* Shorter than the header. */
    b[0].len = 11;
    head = fix_add(f, b, 1);
    assert_int_equal(virtio_net_tx_pop(f->q, HDR12, frame, sizeof frame,
                                       &flen, &got), VIRTIO_NET_ERR_SHORT_HDR);
    expect_used(f, head, 0);
    /* Frame larger than the caller's buffer. */
    b[0].len = 12 + 65;
    head = fix_add(f, b, 1);
    assert_int_equal(virtio_net_tx_pop(f->q, HDR12, frame, sizeof frame,
                                       &flen, &got), VIRTIO_NET_ERR_TOO_BIG);
    expect_used(f, head, 0);
    b[0].len = 12 + 64;                 /* exactly fits */
    head = fix_add(f, b, 1);
    assert_int_equal(virtio_net_tx_pop(f->q, HDR12, frame, sizeof frame,
                                       &flen, &got), VIRTIO_NET_OK);
    assert_int_equal(flen, 64);
    expect_used(f, head, 0);
    /* Chain refused by the ring. */
    b[0].gpa = 0x30000;
    head = fix_add(f, b, 1);
    assert_int_equal(virtio_net_tx_pop(f->q, HDR12, frame, sizeof frame,
                                       &flen, &got), VIRTIO_NET_ERR_BAD_DESC);
    expect_used(f, head, 0);
    /* Broken queue. */
    virtq_driver_raw_avail_idx(&f->drv, (uint16_t) (f->drv.avail_idx + 9));
    assert_int_equal(virtio_net_tx_pop(f->q, HDR12, frame, sizeof frame,
                                       &flen, &got), VIRTIO_NET_ERR_BROKEN);
    expect_no_used(f);
}

/* A frame of 'len' bytes given as three pieces. */
static unsigned
frame_iov(struct iovec *iov, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t) (i * 3 + 1);
    }
    size_t a = len / 3, b = len / 3;
    iov[0] = (struct iovec) { buf, a };
    iov[1] = (struct iovec) { buf + a, b };
    iov[2] = (struct iovec) { buf + a + b, len - a - b };
    return 3;
}

static void
check_frame(struct fixture *f, uint64_t gpa, size_t off, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t v;
        assert_int_equal(guest_mem_read(f->mem, gpa + i, &v, 1), 0);
        assert_int_equal(v, (uint8_t) ((off + i) * 3 + 1));
    }
}

static void
test_rx_single(void **state)
{
    struct fixture *f = *state;
    struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_DATA_VALID };
    struct iovec iov[3];
    uint8_t buf[300];
    unsigned n = frame_iov(iov, buf, 100);

    /* Writable space split 20 + 200, crossing regions in the second. */
    struct virtq_driver_buf b[2] = {
        { .gpa = BUF_C, .len = 20, .write = true },
        { .gpa = FIX_GPA_B - 50, .len = 200, .write = true },
    };
    int head = fix_add(f, b, 2);
    assert_int_equal(virtio_net_rx_push(f->q, HDR12, false, &h, iov, n),
                     VIRTIO_NET_OK);
    expect_used(f, head, 112);
    struct virtio_net_hdr got;
    assert_int_equal(guest_mem_read(f->mem, BUF_C, &got, sizeof got), 0);
    assert_int_equal(got.flags, VIRTIO_NET_HDR_F_DATA_VALID);
    assert_int_equal(got.num_buffers, 1);   /* §5.1.6.4 without MRG_RXBUF */
    check_frame(f, BUF_C + 12, 0, 8);
    check_frame(f, FIX_GPA_B - 50, 8, 92);

    /* Too small for hdr + frame: refused, nothing consumed. */
    b[0].len = 100;
    head = fix_add(f, b, 1);
    assert_int_equal(virtio_net_rx_push(f->q, HDR12, false, &h, iov, n),
                     VIRTIO_NET_ERR_TOO_BIG);
    expect_no_used(f);
    assert_int_equal(virtq_avail_count(f->q), 1);
    /* ... but a smaller packet then uses that chain. */
    n = frame_iov(iov, buf, 88);
    assert_int_equal(virtio_net_rx_push(f->q, HDR12, false, &h, iov, n),
                     VIRTIO_NET_OK);
    expect_used(f, head, 100);
    /* Nothing left. */
    assert_int_equal(virtio_net_rx_push(f->q, HDR12, false, &h, iov, n),
                     VIRTIO_NET_ERR_NO_BUFS);
}

static void
test_rx_bad_chains(void **state)
{
    struct fixture *f = *state;
    struct virtio_net_hdr h = { 0 };
    struct iovec iov[3];
    uint8_t buf[64];
    unsigned n = frame_iov(iov, buf, 60);

    for (int mrg = 0; mrg < 2; mrg++) {
        /* RX buffer shorter than the virtio-net header. */
        struct virtq_driver_buf b[2] = {
            { .gpa = BUF_C, .len = 11, .write = true },
        };
        int head = fix_add(f, b, 1);
        assert_int_equal(virtio_net_rx_push(f->q, HDR12, mrg, &h, iov, n),
                         VIRTIO_NET_ERR_SHORT_HDR);
        expect_used(f, head, 0);
        /* Readable descriptor in an RX chain. */
        b[0] = (struct virtq_driver_buf) { .gpa = BUF_C, .len = 10 };
        b[1] = (struct virtq_driver_buf) { .gpa = BUF_A, .len = 100,
                                           .write = true };
        head = fix_add(f, b, 2);
        assert_int_equal(virtio_net_rx_push(f->q, HDR12, mrg, &h, iov, n),
                         VIRTIO_NET_ERR_WRONG_DIR);
        expect_used(f, head, 0);
        /* Chain refused by the ring. */
        b[0] = (struct virtq_driver_buf) { .gpa = 0x30000, .len = 100,
                                           .write = true };
        head = fix_add(f, b, 1);
        assert_int_equal(virtio_net_rx_push(f->q, HDR12, mrg, &h, iov, n),
                         VIRTIO_NET_ERR_BAD_DESC);
        expect_used(f, head, 0);
    }
}

static void
test_rx_mergeable(void **state)
{
    struct fixture *f = *state;
    struct virtio_net_hdr h = { .gso_type = VIRTIO_NET_HDR_GSO_NONE,
                                .num_buffers = 0 };
    struct iovec iov[3];
    uint8_t buf[300];
    unsigned n = frame_iov(iov, buf, 250);
    int heads[3];
    for (int i = 0; i < 3; i++) {
        struct virtq_driver_buf b = { .gpa = BUF_C + 0x1000 * i, .len = 100,
                                      .write = true };
        heads[i] = fix_add(f, &b, 1);
    }
    assert_int_equal(virtio_net_rx_push(f->q, HDR12, true, &h, iov, n),
                     VIRTIO_NET_OK);
    /* 12 + 250 = 262 bytes: 100 + 100 + 62. */
    expect_used(f, heads[0], 100);
    expect_used(f, heads[1], 100);
    expect_used(f, heads[2], 62);
    struct virtio_net_hdr got;
    assert_int_equal(guest_mem_read(f->mem, BUF_C, &got, sizeof got), 0);
    assert_int_equal(got.num_buffers, 3);   /* §5.1.6.4 */
    check_frame(f, BUF_C + 12, 0, 88);
    check_frame(f, BUF_C + 0x1000, 88, 100);
    check_frame(f, BUF_C + 0x2000, 188, 62);

    /* A frame that fits in one buffer: num_buffers 1. */
    struct virtq_driver_buf b = { .gpa = BUF_A, .len = 1500, .write = true };
    int head = fix_add(f, &b, 1);
    assert_int_equal(virtio_net_rx_push(f->q, HDR12, true, &h, iov, n),
                     VIRTIO_NET_OK);
    expect_used(f, head, 262);
    assert_int_equal(guest_mem_read(f->mem, BUF_A, &got, sizeof got), 0);
    assert_int_equal(got.num_buffers, 1);
}

static void
test_rx_mergeable_no_bufs(void **state)
{
    struct fixture *f = *state;
    struct virtio_net_hdr h = { 0 };
    struct iovec iov[3];
    uint8_t buf[300];
    unsigned n = frame_iov(iov, buf, 300);
    int heads[4];
    for (int i = 0; i < 2; i++) {
        struct virtq_driver_buf b = { .gpa = BUF_C + 0x1000 * i, .len = 100,
                                      .write = true };
        heads[i] = fix_add(f, &b, 1);
    }
    /* Snapshot of the whole ring area: NO_BUFS must leave it untouched. */
    static uint8_t before[0x1000];
    memcpy(before, f->host[0], sizeof before);
    uint16_t last = virtq_last_avail_idx(f->q);
    assert_int_equal(virtio_net_rx_push(f->q, HDR12, true, &h, iov, n),
                     VIRTIO_NET_ERR_NO_BUFS);
    assert_int_equal(virtq_last_avail_idx(f->q), last);
    assert_int_equal(virtq_avail_count(f->q), 2);
    virtq_flush_and_notify(f->q);
    assert_memory_equal(before, f->host[0], sizeof before);
    assert_int_equal(virtq_get_stats(f->q)->notifies, 0);
    expect_no_used(f);

    /* More buffers arrive: the same packet now goes through. */
    for (int i = 2; i < 4; i++) {
        struct virtq_driver_buf b = { .gpa = BUF_C + 0x1000 * i, .len = 100,
                                      .write = true };
        heads[i] = fix_add(f, &b, 1);
    }
    assert_int_equal(virtio_net_rx_push(f->q, HDR12, true, &h, iov, n),
                     VIRTIO_NET_OK);
    expect_used(f, heads[0], 100);
    expect_used(f, heads[1], 100);
    expect_used(f, heads[2], 100);
    expect_used(f, heads[3], 12);
    struct virtio_net_hdr got;
    assert_int_equal(guest_mem_read(f->mem, BUF_C, &got, sizeof got), 0);
    assert_int_equal(got.num_buffers, 4);
}

static void
test_rx_mergeable_bad_second_chain(void **state)
{
    struct fixture *f = *state;
    struct virtio_net_hdr h = { 0 };
    struct iovec iov[3];
    uint8_t buf[300];
    unsigned n = frame_iov(iov, buf, 150);
    struct virtq_driver_buf b = { .gpa = BUF_C, .len = 100, .write = true };
    int h0 = fix_add(f, &b, 1);
    b.len = 4;                          /* shorter than the header */
    int h1 = fix_add(f, &b, 1);
    b.len = 100;
    int h2 = fix_add(f, &b, 1);
    assert_int_equal(virtio_net_rx_push(f->q, HDR12, true, &h, iov, n),
                     VIRTIO_NET_ERR_SHORT_HDR);
    /* The avail ring rewinds only in order: both chains come back empty,
     * the third is untouched. */
    expect_used(f, h0, 0);
    expect_used(f, h1, 0);
    expect_no_used(f);
    assert_int_equal(virtq_avail_count(f->q), 1);
    n = frame_iov(iov, buf, 50);
    assert_int_equal(virtio_net_rx_push(f->q, HDR12, true, &h, iov, n),
                     VIRTIO_NET_OK);
    expect_used(f, h2, 62);
}

static void
test_rx_mergeable_split_header(void **state)
{
    struct fixture *f = *state;
    struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
                                .csum_start = 34, .csum_offset = 6 };
    uint8_t buf[40];
    for (size_t i = 0; i < sizeof buf; i++) {
        buf[i] = (uint8_t) (i * 3 + 1);
    }
    /* An empty piece (NULL base) in the middle of the frame. */
    struct iovec iov[3] = { { buf, 10 }, { NULL, 0 }, { buf + 10, 30 } };
    /* First chain: header split 5 + 7 + frame; second chain gets the
     * rest. */
    struct virtq_driver_buf b[2] = {
        { .gpa = BUF_C, .len = 5, .write = true },
        { .gpa = BUF_C + 0x100, .len = 27, .write = true },
    };
    int h0 = fix_add(f, b, 2);
    b[0] = (struct virtq_driver_buf) { .gpa = BUF_A, .len = 100,
                                       .write = true };
    int h1 = fix_add(f, b, 1);
    assert_int_equal(virtio_net_rx_push(f->q, HDR12, true, &h, iov, 3),
                     VIRTIO_NET_OK);
    expect_used(f, h0, 32);
    expect_used(f, h1, 20);
    uint8_t raw[12];
    assert_int_equal(guest_mem_read(f->mem, BUF_C, raw, 5), 0);
    assert_int_equal(guest_mem_read(f->mem, BUF_C + 0x100, raw + 5, 7), 0);
    struct virtio_net_hdr got;
    memcpy(&got, raw, sizeof got);
    assert_int_equal(got.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
    assert_int_equal(got.csum_start, 34);
    assert_int_equal(got.csum_offset, 6);
    assert_int_equal(got.num_buffers, 2);
    check_frame(f, BUF_C + 0x100 + 7, 0, 20);
    check_frame(f, BUF_A, 20, 20);
}

static int
setup512(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || fix_setup(f, 512, false)) {
        return -1;
    }
    *state = f;
    return 0;
}

/* More than 256 chains for one packet: refused, nothing consumed. */
static void
test_rx_mergeable_too_many_chains(void **state)
{
    struct fixture *f = *state;
    static uint8_t buf[256 * 12 + 1];
    struct iovec iov = { buf, sizeof buf };
    struct virtio_net_hdr h = { 0 };
    for (int i = 0; i < 300; i++) {
        struct virtq_driver_buf b = { .gpa = BUF_C + 12 * i, .len = 12,
                                      .write = true };
        fix_add(f, &b, 1);
    }
    assert_int_equal(virtio_net_rx_push(f->q, HDR12, true, &h, &iov, 1),
                     VIRTIO_NET_ERR_TOO_BIG);
    assert_int_equal(virtq_avail_count(f->q), 300);
    expect_no_used(f);
    iov.iov_len = 255 * 12;             /* 256 chains: the limit */
    assert_int_equal(virtio_net_rx_push(f->q, HDR12, true, &h, &iov, 1),
                     VIRTIO_NET_OK);
    assert_int_equal(virtq_avail_count(f->q), 300 - 256);
}

static void
test_rx_broken(void **state)
{
    struct fixture *f = *state;
    struct virtio_net_hdr h = { 0 };
    struct iovec iov[3];
    uint8_t buf[30];
    unsigned n = frame_iov(iov, buf, 30);
    virtq_driver_raw_publish(&f->drv, 200);     /* head out of range */
    assert_int_equal(virtio_net_rx_push(f->q, HDR12, true, &h, iov, n),
                     VIRTIO_NET_ERR_BROKEN);
    assert_int_equal(virtio_net_rx_push(f->q, HDR12, false, &h, iov, n),
                     VIRTIO_NET_ERR_BROKEN);
    expect_no_used(f);
}

/* The header is stored only where it differs from what the buffer holds
 * (a recycled buffer usually holds the same header: its line then stays
 * shared with the driver).  A read-only page proves "no store"; a
 * PROT_NONE page right after a 10-byte header proves nothing past it is
 * read. */
static void
test_hdr_store_only_differences(void **state RSW_UNUSED)
{
    long pg = sysconf(_SC_PAGESIZE);
    uint8_t *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const struct virtio_net_hdr zero = {0};
    const struct virtio_net_hdr h = {
        .flags = 1, .gso_type = 3, .hdr_len = 54, .gso_size = 1448,
        .csum_start = 34, .csum_offset = 16,
    };
    struct virtio_net_hdr want = h;

    assert_true(p != MAP_FAILED);
    virtio_net_hdr_store(p, 12, &zero, 1);
    assert_int_equal(p[10], 1);
    assert_int_equal(p[11], 0);
    assert_true(mprotect(p, pg, PROT_READ) == 0);
    virtio_net_hdr_store(p, 12, &zero, 1);      /* same: no store */
    virtio_net_hdr_store(p, 10, &zero, 7);      /* num_buffers not in 10 */
    assert_true(mprotect(p, pg, PROT_READ | PROT_WRITE) == 0);
    virtio_net_hdr_store(p, 12, &h, 3);
    want.num_buffers = 3;
    assert_memory_equal(p, &want, sizeof want);
    /* Only the word that differs changes. */
    virtio_net_hdr_store(p, 12, &h, 4);
    want.num_buffers = 4;
    assert_memory_equal(p, &want, sizeof want);

    /* 10 bytes at the end of the page, nothing mapped after it. */
    uint8_t *end = p + pg - 10;
    assert_true(mprotect(p + pg, pg, PROT_NONE) == 0);
    virtio_net_hdr_store(end, 10, &h, 9);
    assert_memory_equal(end, &h, 10);
    virtio_net_hdr_store(end, 10, &zero, 9);
    assert_memory_equal(end, &zero, 10);
    munmap(p, 2 * pg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hdr_len),
        cmocka_unit_test(test_hdr_store_only_differences),
        cmocka_unit_test_setup_teardown(test_tx_split_header, setup8,
                                        fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_tx_errors, setup8, fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_rx_single, setup8, fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_rx_bad_chains, setup8, fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_rx_mergeable, setup8, fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_rx_mergeable_no_bufs, setup8,
                                        fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_rx_mergeable_bad_second_chain,
                                        setup8, fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_rx_mergeable_split_header,
                                        setup8, fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_rx_mergeable_too_many_chains,
                                        setup512, fix_state_teardown),
        cmocka_unit_test_setup_teardown(test_rx_broken, setup8, fix_state_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
