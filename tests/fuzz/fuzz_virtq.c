/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: a hostile driver against the device-side split ring
 * and the virtio-net TX/RX paths.
 *
 * Fake guest memory, each region its own heap block (so ASan sees any
 * access that strays out of a region, even into an adjacent one):
 *
 *   R0 gpa 0x0000..0x4000   rings at 0 (descriptors, avail, used)
 *   R1 gpa 0x4000..0x6000   adjacent to R0
 *   (gap 0x6000..0x8000)
 *   R2 gpa 0x8000..0xa000   filled from the input (tables and payload)
 *
 * Input: [0] log2 queue size, [1] flags, [2..3] last_avail_idx, [4..5]
 * avail->idx, [6] RX frame length / 4, then the descriptor table, avail
 * ring (+ used_event), then R2.  With the "rebase" flag descriptor addresses
 * and lengths are folded into the interesting range so the fuzzer reaches
 * region borders quickly.
 *
 * Oracle: ASan/UBSan, plus abort() if virtq_pop returns an iovec outside
 * the fake memory, a head >= size, inconsistent lengths, or a broken queue
 * that comes back to life. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "vhost/guest_mem.h"
#include "vhost/virtio_net.h"
#include "vhost/virtq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_REGIONS 3
#define UVA_DELTA 0x100000000ull
#define HDR_BYTES 7

enum {
    F_EVENT_IDX = 1 << 0,
    F_INDIRECT = 1 << 1,
    F_MERGEABLE = 1 << 2,
    F_HDR12 = 1 << 3,
    F_REBASE = 1 << 4,
    F_KICK_OFF = 1 << 5,
    F_UNPOP = 1 << 6,
    F_RESUME = 1 << 7,      /* resume_at_used: start from the fuzzed used->idx */
};

static const uint64_t region_gpa[N_REGIONS] = { 0x0000, 0x4000, 0x8000 };
static const uint64_t region_size[N_REGIONS] = { 0x4000, 0x2000, 0x2000 };

struct fuzz_ctx {
    uint8_t *host[N_REGIONS];
    struct guest_mem *mem;
    struct virtq_config cfg;
    uint8_t flags;
    uint8_t rx_len;
};

static bool
inside_memory(const struct fuzz_ctx *x, const void *p, size_t len)
{
    uintptr_t a = (uintptr_t) p;
    for (int i = 0; i < N_REGIONS; i++) {
        uintptr_t b = (uintptr_t) x->host[i];
        if (a >= b && a - b <= region_size[i] && len <= region_size[i] - (a - b)) {
            return true;
        }
    }
    return false;
}

/* The oracle for one popped chain. */
static void
check_chain(const struct fuzz_ctx *x, const struct virtq_chain *c)
{
    uint64_t out = 0, in = 0;
    if (c->head >= x->cfg.size || c->n_out + c->n_in > VIRTQ_CHAIN_MAX_IOV) {
        abort();
    }
    if (c->error != VIRTQ_CHAIN_OK) {
        if (c->n_out || c->n_in || c->error >= VIRTQ_CHAIN_N_ERRORS) {
            abort();
        }
        return;
    }
    for (unsigned i = 0; i < (unsigned) c->n_out + c->n_in; i++) {
        if (!c->iov[i].iov_len || !inside_memory(x, c->iov[i].iov_base,
                                                 c->iov[i].iov_len)) {
            abort();
        }
        *(i < c->n_out ? &out : &in) += c->iov[i].iov_len;
    }
    if (out != c->out_len || in != c->in_len) {
        abort();
    }
}

/* Folds an address into 0..0xb000 (regions, gap, and beyond the end) and
 * a length into 0..0x2fff. */
static void
rebase_desc(uint8_t *p)
{
    struct virtq_desc d;
    memcpy(&d, p, sizeof d);
    d.addr %= 0xb000;
    d.len %= 0x3000;
    memcpy(p, &d, sizeof d);
}

static void
fill_rings(struct fuzz_ctx *x, const uint8_t *data, size_t size)
{
    uint16_t n = x->cfg.size;
    uint8_t *ring = x->host[0];
    size_t desc_len = virtq_desc_bytes(n);
    size_t avail_len = virtq_avail_bytes(n) - 4;   /* ring + used_event */
    size_t take = size < desc_len ? size : desc_len;

    memcpy(ring, data, take);
    data += take;
    size -= take;
    uint8_t *avail = ring + x->cfg.avail_uva - UVA_DELTA;
    take = size < avail_len ? size : avail_len;
    memcpy(avail + 4, data, take);
    data += take;
    size -= take;
    take = size < region_size[2] ? size : region_size[2];
    memcpy(x->host[2], data, take);
    if (x->flags & F_REBASE) {
        for (size_t off = 0; off < desc_len; off += 16) {
            rebase_desc(ring + off);
        }
        for (size_t off = 0; off < region_size[2]; off += 16) {
            rebase_desc(x->host[2] + off);
        }
    }
}

static int
setup(struct fuzz_ctx *x, const uint8_t *data, size_t size)
{
    struct guest_mem_region_desc d[N_REGIONS];
    for (int i = 0; i < N_REGIONS; i++) {
        x->host[i] = calloc(1, region_size[i]);
        if (!x->host[i]) {
            return -1;
        }
        d[i] = (struct guest_mem_region_desc) {
            .gpa = region_gpa[i], .size = region_size[i],
            .uva = region_gpa[i] + UVA_DELTA, .fd = -1, .host = x->host[i],
        };
    }
    if (guest_mem_create(d, N_REGIONS, N_REGIONS, &x->mem)) {
        return -1;
    }
    x->flags = data[1];
    x->rx_len = data[6];
    uint16_t n = (uint16_t) (1u << (data[0] % 9));   /* 1..256 */
    x->cfg = (struct virtq_config) {
        .size = n,
        .desc_uva = UVA_DELTA,
        .avail_uva = UVA_DELTA + virtq_desc_bytes(n),
        .used_uva = UVA_DELTA + ((virtq_desc_bytes(n) + virtq_avail_bytes(n)
                                  + 3) & ~3ull),
        .last_avail_idx = (uint16_t) (data[2] | data[3] << 8),
        .event_idx = x->flags & F_EVENT_IDX,
        .indirect = x->flags & F_INDIRECT,
        .call_fd = -1,
        .resume_at_used = x->flags & F_RESUME,
    };
    x->cfg.used_idx = x->cfg.last_avail_idx;
    uint8_t *avail = x->host[0] + virtq_desc_bytes(n);
    memcpy(avail + 2, &data[4], 2);                 /* avail->idx */
    fill_rings(x, data + HDR_BYTES, size - HDR_BYTES);
    return 0;
}

static void
run_pop(struct fuzz_ctx *x, struct virtq *q)
{
    struct virtq_chain c;
    bool unpopped = false;
    for (unsigned i = 0; i < 2u * x->cfg.size + 2; i++) {
        int r = virtq_pop(q, &c);
        if (r < 0) {
            /* Broken is sticky until re-initialised. */
            if (!virtq_is_broken(q) || virtq_pop(q, &c) != -EIO
                || virtq_avail_count(q)) {
                abort();
            }
            return;
        }
        if (r == 0) {
            break;
        }
        check_chain(x, &c);
        if ((x->flags & F_UNPOP) && !unpopped && c.error == VIRTQ_CHAIN_OK) {
            virtq_unpop(q, 1);
            unpopped = true;
            continue;
        }
        virtq_push_used(q, c.head, c.in_len);
        if (i % 4 == 3) {
            virtq_flush_and_notify(q);
        }
    }
    virtq_set_kick_wanted(q, !(x->flags & F_KICK_OFF));
    virtq_flush_and_notify(q);
}

static void
run_tx(struct fuzz_ctx *x, struct virtq *q)
{
    static uint8_t buf[1514];
    size_t hdr_len = x->flags & F_HDR12 ? 12 : 10;
    for (unsigned i = 0; i < 2u * x->cfg.size + 2; i++) {
        size_t len;
        struct virtio_net_hdr h;
        enum virtio_net_xfer_error e =
            virtio_net_tx_pop(q, hdr_len, buf, sizeof buf, &len, &h);
        if (e == VIRTIO_NET_ERR_EMPTY || e == VIRTIO_NET_ERR_BROKEN) {
            break;
        }
        if (e == VIRTIO_NET_OK && len > sizeof buf) {
            abort();
        }
    }
    virtq_flush_and_notify(q);
}

static void
run_rx(struct fuzz_ctx *x, struct virtq *q)
{
    static uint8_t frame[1024];
    size_t hdr_len = x->flags & F_HDR12 ? 12 : 10;
    size_t len = (size_t) x->rx_len * 4;
    struct iovec iov[2] = {
        { frame, len / 2 }, { frame + len / 2, len - len / 2 },
    };
    struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_DATA_VALID };
    for (unsigned i = 0; i < 2u * x->cfg.size + 2; i++) {
        uint16_t before = virtq_last_avail_idx(q);
        enum virtio_net_xfer_error e =
            virtio_net_rx_push(q, hdr_len, x->flags & F_MERGEABLE, &h, iov, 2);
        if (e == VIRTIO_NET_ERR_NO_BUFS && virtq_last_avail_idx(q) != before) {
            abort();    /* NO_BUFS must consume nothing */
        }
        if (e == VIRTIO_NET_ERR_NO_BUFS || e == VIRTIO_NET_ERR_BROKEN
            || e == VIRTIO_NET_ERR_TOO_BIG) {
            break;
        }
    }
    virtq_flush_and_notify(q);
}

static void
run_one(struct fuzz_ctx *x, void (*fn)(struct fuzz_ctx *, struct virtq *))
{
    struct virtq *q;
    if (virtq_create(&x->cfg, x->mem, &q)) {
        return;
    }
    fn(x, q);
    virtq_destroy(q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_ctx x;
    memset(&x, 0, sizeof x);
    if (size >= HDR_BYTES && !setup(&x, data, size)) {
        /* Three fresh queues over the same hostile ring. */
        run_one(&x, run_pop);
        run_one(&x, run_tx);
        run_one(&x, run_rx);
    }
    guest_mem_destroy(x.mem);
    for (int i = 0; i < N_REGIONS; i++) {
        free(x.host[i]);
    }
    return 0;
}
