/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VIRTIO_NET_H
#define RSW_VIRTIO_NET_H 1

/* virtio-net packet transfer over a device-side split virtqueue (virtio 1.1
 * §5.1.6).
 *
 * TX (driver -> device): a chain holds the virtio_net_hdr then the frame, in
 * device-readable buffers, split anywhere.  virtio_net_tx_pop() copies the
 * header and the frame into private host memory once; nothing is read from
 * guest memory after that, so a guest that rewrites its buffer cannot change
 * what was classified.
 *
 * RX (device -> driver): virtio_net_rx_push() writes header + frame into
 * device-writable buffers.  Without VIRTIO_NET_F_MRG_RXBUF one chain must
 * hold the whole packet; with it the packet may spread over several chains
 * and num_buffers says how many (§5.1.6.4).  A chain whose writable space is
 * shorter than the header is refused and returned with length 0.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "compiler.h"
#include "virtq.h"

/* §5.1.6 */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0

struct virtio_net_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers; /* present only with VERSION_1 or MRG_RXBUF */
} __attribute__((packed));

/* Writes the header of a packet spread over 'num_buffers' buffers at 'dst'
 * ('hdr_len' bytes, 10 or 12, writable), storing only the words that
 * differ from what the buffer holds.  A driver recycles its buffers, and
 * without offloads every header is the same, so usually nothing is
 * stored: the line stays shared and the driver's read of num_buffers
 * hits its own cache instead of fetching a line our core dirtied (as
 * DPDK's vhost does with ASSIGN_UNLESS_EQUAL).  The stores are fixed-size
 * words built in registers, never a copy of a stack header just written:
 * a load that a narrower pending store cannot forward to waits for every
 * older store, and those are frame bytes bound for the driver's lines. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "virtio 1.x fields are little-endian; so is this host");
static inline void
virtio_net_hdr_store(void *dst, size_t hdr_len,
                     const struct virtio_net_hdr *hdr, uint16_t num_buffers)
{
    uint8_t *d = dst;
    uint64_t want_lo, have_lo;

    __builtin_memcpy(&want_lo, hdr, sizeof want_lo);
    __builtin_memcpy(&have_lo, d, sizeof have_lo);
    if (have_lo != want_lo) {
        __builtin_memcpy(d, &want_lo, sizeof want_lo);
    }
    if (hdr_len == sizeof *hdr) {
        /* csum_offset, num_buffers: two le16 as one le32 (x86). */
        uint32_t want = hdr->csum_offset | (uint32_t) num_buffers << 16;
        uint32_t have;
        __builtin_memcpy(&have, d + 8, sizeof have);
        if (have != want) {
            __builtin_memcpy(d + 8, &want, sizeof want);
        }
    } else {
        uint16_t want = hdr->csum_offset, have;
        __builtin_memcpy(&have, d + 8, sizeof have);
        if (have != want) {
            __builtin_memcpy(d + 8, &want, sizeof want);
        }
    }
}

/* Writes a packet -- the frame iov[0..n) and its header -- into the one
 * driver buffer 'b' if it holds both (§5.1.6.3.1: one buffer, num_buffers
 * 1): frame first, header last.  Returns the used length, or 0 if the
 * buffer is too small (nothing written).  Inline: the burst fast path
 * calls it per packet. */
static inline uint32_t
virtio_net_rx_fill_one(const struct virtq_buf *b, size_t hdr_len,
                       const struct virtio_net_hdr *hdr,
                       const struct iovec *iov, unsigned n)
{
    if (b->len < hdr_len) {
        return 0;
    }
    size_t room = b->len - hdr_len;
    for (unsigned i = 0; i < n; i++) {
        if (iov[i].iov_len > room) {
            return 0;
        }
        room -= iov[i].iov_len;
    }
    uint8_t *dst = (uint8_t *) b->hva + hdr_len;
    for (unsigned i = 0; i < n; i++) {
        if (iov[i].iov_len) {
            __builtin_memcpy(dst, iov[i].iov_base, iov[i].iov_len);
            dst += iov[i].iov_len;
        }
    }
    virtio_net_hdr_store(b->hva, hdr_len, hdr, 1);
    return (uint32_t) (b->len - room);
}

/* 12 with VIRTIO_F_VERSION_1 or VIRTIO_NET_F_MRG_RXBUF, else 10 (§5.1.6). */
size_t virtio_net_hdr_len(uint64_t features);

/* Drop reasons for the caller's per-port counters. */
enum virtio_net_xfer_error {
    VIRTIO_NET_OK = 0,
    VIRTIO_NET_ERR_EMPTY,      /* nothing available */
    VIRTIO_NET_ERR_BROKEN,     /* queue broken */
    VIRTIO_NET_ERR_BAD_DESC,   /* chain refused by virtq (see its stats) */
    VIRTIO_NET_ERR_SHORT_HDR,  /* buffer shorter than virtio_net_hdr */
    VIRTIO_NET_ERR_TOO_BIG,    /* frame larger than caller's buffer */
    VIRTIO_NET_ERR_NO_BUFS,    /* RX: not enough guest buffers */
    VIRTIO_NET_ERR_WRONG_DIR,  /* TX chain with writable / RX with readable */
};
const char *virtio_net_xfer_error_name(enum virtio_net_xfer_error);

/* Pops one TX chain, copies its frame (without the header) into buf (up to
 * buf_len bytes) and the header into *hdr (zeroed fields beyond hdr_len),
 * returns the chain to the used ring (length 0, per §5.1.6.2 the device
 * writes nothing) -- not flushed: call virtq_flush_and_notify() per burst.
 * Returns VIRTIO_NET_OK with *frame_len set, or an error; on every error but
 * EMPTY and BROKEN the chain has been consumed and returned. */
enum virtio_net_xfer_error
virtio_net_tx_pop(struct virtq *, size_t hdr_len, void *buf, size_t buf_len,
                  size_t *frame_len, struct virtio_net_hdr *hdr) RSW_MUST_CHECK;

/* Writes one frame given as 'n' pieces (iov) behind 'hdr' into RX buffers.
 * 'mergeable' = VIRTIO_NET_F_MRG_RXBUF negotiated.  On NO_BUFS nothing was
 * consumed.  Used elements are staged; flush per burst.
 *
 * Details: hdr->num_buffers is ignored (the device sets it: 1 without
 * MRG_RXBUF, the chain count with it).  TOO_BIG consumes nothing either: the
 * frame does not fit in the one chain available (non-mergeable), would need
 * more than 256 chains (mergeable), or exceeds 32-bit used lengths.  A chain
 * refused with BAD_DESC / WRONG_DIR / SHORT_HDR is returned with length 0;
 * with mergeable buffers the chains already taken for the same packet are
 * returned with length 0 too (the avail ring can only be rewound in order).
 * With NO_BUFS under MRG_RXBUF, frame bytes may already have been written
 * into buffers the device owns; nothing in the rings changes. */
struct iovec;
enum virtio_net_xfer_error
virtio_net_rx_push(struct virtq *, size_t hdr_len, bool mergeable,
                   const struct virtio_net_hdr *hdr, const struct iovec *iov,
                   unsigned n) RSW_MUST_CHECK;

#endif
