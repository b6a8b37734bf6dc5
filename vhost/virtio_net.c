/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-net packet transfer over a device-side split virtqueue (virtio 1.1
 * §5.1.6).  All guest buffers come from virtq_pop() or, for the usual
 * one-descriptor chain, virtq_pop_one_buf(), which have already validated
 * and translated them; this file only copies. */
#include "virtio_net.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/uio.h>
#include "virtq.h"

#define VIRTIO_F_VERSION_1_BIT 32
#define VIRTIO_NET_F_MRG_RXBUF_BIT 15

/* With mergeable buffers one packet may take several chains; like DPDK's
 * vhost (BUF_VECTOR_MAX) we bound that, so the bookkeeping fits on the
 * stack.  A packet needing more is refused without consuming anything. */
#define VIRTIO_NET_RX_MAX_CHAINS 256

size_t
virtio_net_hdr_len(uint64_t features)
{
    /* §5.1.6: num_buffers is present with VERSION_1 or MRG_RXBUF. */
    if (features & ((1ull << VIRTIO_F_VERSION_1_BIT)
                    | (1ull << VIRTIO_NET_F_MRG_RXBUF_BIT))) {
        return sizeof(struct virtio_net_hdr);
    }
    return sizeof(struct virtio_net_hdr) - sizeof(uint16_t);
}

static const char *const xfer_error_names[] = {
    [VIRTIO_NET_OK] = "ok",
    [VIRTIO_NET_ERR_EMPTY] = "empty",
    [VIRTIO_NET_ERR_BROKEN] = "broken",
    [VIRTIO_NET_ERR_BAD_DESC] = "bad-desc",
    [VIRTIO_NET_ERR_SHORT_HDR] = "short-hdr",
    [VIRTIO_NET_ERR_TOO_BIG] = "too-big",
    [VIRTIO_NET_ERR_NO_BUFS] = "no-bufs",
    [VIRTIO_NET_ERR_WRONG_DIR] = "wrong-dir",
};

const char *
virtio_net_xfer_error_name(enum virtio_net_xfer_error e)
{
    return (unsigned) e < RSW_ARRAY_SIZE(xfer_error_names)
           ? xfer_error_names[e] : "unknown";
}

/* The header length the caller passes is 10 or 12; anything longer than
 * our struct would overrun it, so clamp (a caller bug, not guest input). */
static size_t
clamp_hdr_len(size_t hdr_len)
{
    return hdr_len < sizeof(struct virtio_net_hdr)
           ? hdr_len : sizeof(struct virtio_net_hdr);
}

enum virtio_net_xfer_error
virtio_net_tx_pop(struct virtq *q, size_t hdr_len, void *buf, size_t buf_len,
                  size_t *frame_len, struct virtio_net_hdr *hdr)
{
    struct virtq_chain c;
    enum virtio_net_xfer_error err = VIRTIO_NET_OK;

    hdr_len = clamp_hdr_len(hdr_len);
    *frame_len = 0;
    int r = virtq_pop(q, &c);
    if (r < 0) {
        return VIRTIO_NET_ERR_BROKEN;
    } else if (r == 0) {
        return VIRTIO_NET_ERR_EMPTY;
    }
    if (c.error != VIRTQ_CHAIN_OK) {
        err = VIRTIO_NET_ERR_BAD_DESC;
    } else if (c.n_in) {
        /* §5.1.6.2: a transmit chain is device-readable only. */
        err = VIRTIO_NET_ERR_WRONG_DIR;
    } else if (c.out_len < hdr_len) {
        /* §5.1.6.2: every packet is preceded by a virtio_net_hdr. */
        err = VIRTIO_NET_ERR_SHORT_HDR;
    } else if (c.out_len - hdr_len > buf_len) {
        err = VIRTIO_NET_ERR_TOO_BIG;
    } else {
        /* One copy of everything: the guest may rewrite its buffers, but
         * what we classify and forward is this private copy. */
        memset(hdr, 0, sizeof *hdr);
        virtq_iov_read(c.iov, c.n_out, 0, hdr, hdr_len);
        *frame_len = c.out_len - hdr_len;
        virtq_iov_read(c.iov, c.n_out, hdr_len, buf, *frame_len);
    }
    /* §5.1.6.2: the device writes nothing for TX: used length 0. */
    virtq_push_used(q, c.head, 0);
    return err;
}

/* Cursor over the device-writable part of a chain. */
struct rx_cursor {
    const struct iovec *iov;
    unsigned n, i;
    size_t off;     /* into iov[i] */
};

static void
cursor_init(struct rx_cursor *cur, const struct virtq_chain *c)
{
    cur->iov = &c->iov[c->n_out];
    cur->n = c->n_in;
    cur->i = 0;
    cur->off = 0;
}

/* Writes up to 'len' bytes from 'src' at the cursor; returns bytes written
 * (less than 'len' only when the chain is full). */
static size_t
cursor_write(struct rx_cursor *cur, const void *src_, size_t len)
{
    const uint8_t *src = src_;
    size_t done = 0;
    while (done < len && cur->i < cur->n) {
        size_t room = cur->iov[cur->i].iov_len - cur->off;
        size_t c = len - done < room ? len - done : room;
        memcpy((uint8_t *) cur->iov[cur->i].iov_base + cur->off, src + done, c);
        done += c;
        cur->off += c;
        if (cur->off == cur->iov[cur->i].iov_len) {
            cur->i++;
            cur->off = 0;
        }
    }
    return done;
}

/* Moves a fresh cursor past the 'hdr_len' header bytes written last. */
static void
cursor_skip_hdr(struct rx_cursor *cur, size_t hdr_len)
{
    cur->off = hdr_len;
    while (cur->i < cur->n && cur->off >= cur->iov[cur->i].iov_len) {
        cur->off -= cur->iov[cur->i].iov_len;
        cur->i++;
    }
}

/* Writes the header at the start of chain 'c' (at least 'hdr_len'
 * writable bytes: rx_check_chain); split across buffers only if the
 * driver split it. */
static void
rx_write_hdr(const struct virtq_chain *c, size_t hdr_len,
             const struct virtio_net_hdr *hdr, uint16_t num_buffers)
{
    const struct iovec *iov = &c->iov[c->n_out];

    if (RSW_LIKELY(iov[0].iov_len >= hdr_len)) {
        virtio_net_hdr_store(iov[0].iov_base, hdr_len, hdr, num_buffers);
        return;
    }
    struct virtio_net_hdr h = *hdr;
    struct rx_cursor cur;
    h.num_buffers = num_buffers;
    cursor_init(&cur, c);
    cursor_write(&cur, &h, hdr_len);
}

/* Frame source: iov pieces consumed in order across destination chains. */
struct frame_src {
    const struct iovec *iov;
    unsigned n, i;
    size_t off;
    size_t left;    /* bytes of frame not yet written */
};

/* Copies as much of the remaining frame as fits at 'cur'; returns bytes. */
static size_t
copy_frame(struct frame_src *f, struct rx_cursor *cur)
{
    size_t total = 0;
    while (f->i < f->n) {
        size_t l = f->iov[f->i].iov_len - f->off;
        if (!l) {
            f->i++;     /* empty piece (its base may be NULL) */
            f->off = 0;
            continue;
        }
        size_t w = cursor_write(cur,
                                (const uint8_t *) f->iov[f->i].iov_base + f->off,
                                l);
        total += w;
        f->off += w;
        f->left -= w;
        if (w < l) {
            break;      /* destination full */
        }
        f->i++;
        f->off = 0;
    }
    return total;
}

/* Common checks for a chain about to receive (part of) a packet. */
static enum virtio_net_xfer_error
rx_check_chain(const struct virtq_chain *c, size_t hdr_len)
{
    if (c->error != VIRTQ_CHAIN_OK) {
        return VIRTIO_NET_ERR_BAD_DESC;
    }
    /* §5.1.6.3: receive buffers are device-writable only. */
    if (c->n_out) {
        return VIRTIO_NET_ERR_WRONG_DIR;
    }
    /* §5.1.6.3.1: each buffer must at least hold the header. */
    if (c->in_len < hdr_len) {
        return VIRTIO_NET_ERR_SHORT_HDR;
    }
    return VIRTIO_NET_OK;
}

static enum virtio_net_xfer_error
rx_push_one(struct virtq *q, size_t hdr_len, const struct virtio_net_hdr *hdr,
            struct frame_src *f)
{
    struct virtq_chain c;
    int r = virtq_pop(q, &c);
    if (r <= 0) {
        return r < 0 ? VIRTIO_NET_ERR_BROKEN : VIRTIO_NET_ERR_NO_BUFS;
    }
    enum virtio_net_xfer_error err = rx_check_chain(&c, hdr_len);
    if (err != VIRTIO_NET_OK) {
        virtq_push_used(q, c.head, 0);
        return err;
    }
    if (c.in_len - hdr_len < f->left) {
        /* Without MRG_RXBUF one chain holds the whole packet (§5.1.6.3.1);
         * this one is too small, but may serve a smaller packet later. */
        virtq_unpop(q, 1);
        return VIRTIO_NET_ERR_TOO_BIG;
    }
    struct rx_cursor cur;
    cursor_init(&cur, &c);
    cursor_skip_hdr(&cur, hdr_len);
    size_t n = copy_frame(f, &cur);
    /* §5.1.6.4: without MRG_RXBUF num_buffers (when present) is 1. */
    rx_write_hdr(&c, hdr_len, hdr, 1);
    virtq_push_used(q, c.head, (uint32_t) (hdr_len + n));
    return VIRTIO_NET_OK;
}

struct rx_used {
    uint16_t head;
    uint32_t len;
};

/* Mergeable RX failed after 'n' chains were popped: give them back.  A bad
 * chain (the last one) must be consumed; since the avail ring can only be
 * rewound in order, the chains before it are returned unused as well. */
static void
rx_mrg_abort(struct virtq *q, const struct rx_used *u, uint16_t n,
             bool consume)
{
    if (!consume) {
        virtq_unpop(q, n);
        return;
    }
    for (uint16_t i = 0; i < n; i++) {
        virtq_push_used(q, u[i].head, 0);
    }
}

static enum virtio_net_xfer_error
rx_push_mrg(struct virtq *q, size_t hdr_len, const struct virtio_net_hdr *hdr,
            struct frame_src *f)
{
    struct rx_used used[VIRTIO_NET_RX_MAX_CHAINS];
    struct virtq_chain first, c;
    uint16_t n = 0;

    do {
        if (n == VIRTIO_NET_RX_MAX_CHAINS) {
            rx_mrg_abort(q, used, n, false);
            return VIRTIO_NET_ERR_TOO_BIG;
        }
        struct virtq_chain *cp = n ? &c : &first;
        int r = virtq_pop(q, cp);
        if (r <= 0) {
            /* Out of buffers: nothing is published (§5.1.6.4.1 lets the
             * device wait for more); a broken queue is not touched. */
            rx_mrg_abort(q, used, n, false);
            return r < 0 ? VIRTIO_NET_ERR_BROKEN : VIRTIO_NET_ERR_NO_BUFS;
        }
        used[n].head = cp->head;
        used[n].len = 0;
        n++;
        enum virtio_net_xfer_error err = rx_check_chain(cp, hdr_len);
        if (err != VIRTIO_NET_OK) {
            rx_mrg_abort(q, used, n, true);
            return err;
        }
        struct rx_cursor cur;
        cursor_init(&cur, cp);
        if (n == 1) {
            cursor_skip_hdr(&cur, hdr_len);  /* header written last */
            used[0].len = (uint32_t) hdr_len;
        }
        used[n - 1].len += (uint32_t) copy_frame(f, &cur);
    } while (f->left);

    /* §5.1.6.4: num_buffers tells the driver how many chains it used. */
    rx_write_hdr(&first, hdr_len, hdr, n);
    for (uint16_t i = 0; i < n; i++) {
        virtq_push_used(q, used[i].head, used[i].len);
    }
    return VIRTIO_NET_OK;
}

/* The usual case in one step: the next chain is a single buffer that holds
 * the header and the whole frame, so no iovec list is built (§5.1.6.3.1:
 * one buffer, num_buffers 1).  false if it is not: nothing was consumed
 * and the general path takes the chain. */
static bool
rx_push_one_buf(struct virtq *q, size_t hdr_len,
                const struct virtio_net_hdr *hdr, const struct frame_src *f,
                enum virtio_net_xfer_error *err)
{
    struct virtq_buf b;
    int r = virtq_pop_one_buf(q, true, &b);

    if (r == -EAGAIN) {
        return false;
    }
    if (r <= 0) {
        *err = r < 0 ? VIRTIO_NET_ERR_BROKEN : VIRTIO_NET_ERR_NO_BUFS;
        return true;
    }
    /* A short buffer: rx_check_chain's refusal and counters apply. */
    uint32_t used = virtio_net_rx_fill_one(&b, hdr_len, hdr, f->iov, f->n);
    if (!used) {
        virtq_unpop(q, 1);
        return false;
    }
    virtq_push_used(q, b.head, used);
    *err = VIRTIO_NET_OK;
    return true;
}

enum virtio_net_xfer_error
virtio_net_rx_push(struct virtq *q, size_t hdr_len, bool mergeable,
                   const struct virtio_net_hdr *hdr, const struct iovec *iov,
                   unsigned n)
{
    struct frame_src f = { .iov = iov, .n = n, .i = 0, .off = 0, .left = 0 };
    for (unsigned i = 0; i < n; i++) {
        if (f.left + iov[i].iov_len < f.left) {
            return VIRTIO_NET_ERR_TOO_BIG;
        }
        f.left += iov[i].iov_len;
    }
    hdr_len = clamp_hdr_len(hdr_len);
    /* Used lengths are 32-bit (§2.6.8). */
    if (f.left > UINT32_MAX - hdr_len) {
        return VIRTIO_NET_ERR_TOO_BIG;
    }
    enum virtio_net_xfer_error err;
    if (RSW_LIKELY(rx_push_one_buf(q, hdr_len, hdr, &f, &err))) {
        return err;
    }
    if (mergeable) {
        return rx_push_mrg(q, hdr_len, hdr, &f);
    }
    return rx_push_one(q, hdr_len, hdr, &f);
}
