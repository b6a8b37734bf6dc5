/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_DP_PACKET_H
#define RSW_DP_PACKET_H 1

/* The datapath's packet: a reference to a frame still sitting in its
 * source's memory, plus a private copy of its first bytes.
 *
 * Why: guest-to-guest traffic should be copied once, straight from the
 * source guest's TX buffer into the destination guest's RX buffer.  So a
 * vhost rx keeps the popped descriptor chain (translated host iovecs) and
 * copies only the first DP_PACKET_HDR_COPY bytes of the frame into 'hdr'.
 * Classification (flow_extract) runs on 'hdr' alone: guest memory is never
 * re-read for it, so a guest rewriting its buffer after the pop cannot make
 * us forward headers we did not classify.  Output sends 'hdr' (the
 * classified bytes) followed by 'tail', the rest of the frame, read from
 * the source buffers during the copy into the destination.  The source
 * chain is returned to its guest only after every output of the burst.
 *
 * Copies per byte: header bytes 2 (source -> hdr -> destination), payload
 * bytes 1 (source -> destination).
 *
 * A packet lives for one rx burst; 'tail' points into storage of the rx
 * queue that produced it (valid until that queue's rx_release).
 *
 * Actions (dp_actions.h) modify only the private copy: the frame starts at
 * buf + data_ofs (DP_PACKET_HEADROOM as received), a pushed VLAN tag moves
 * the start 4 bytes into the headroom, a popped one 4 bytes out; the end of
 * the copy (where 'tail' continues) never moves, and frame_len / copy_len
 * follow.  'tail' (source memory) is never written. */

#include <stdint.h>
#include <sys/uio.h>
#include "vhost/compiler.h"
#include "vhost/virtq.h"

#define DP_PACKET_HDR_COPY 128
/* Room in front of the header copy for two pushed VLAN tags (802.1Q), so
 * push_vlan moves only the 12 address bytes, never the copy or the tail. */
#define DP_PACKET_HEADROOM 8
#define DP_PACKET_BATCH_MAX 32
/* hdr + every source piece. */
#define DP_PACKET_MAX_IOV (VIRTQ_CHAIN_MAX_IOV + 1)

struct dp_packet {
    union {
        uint8_t buf[DP_PACKET_HEADROOM + DP_PACKET_HDR_COPY];
        struct {
            uint8_t headroom[DP_PACKET_HEADROOM];
            uint8_t hdr[DP_PACKET_HDR_COPY]; /* rx: frame[0, copy_len) */
        };
    };
    uint32_t frame_len;              /* whole frame, bytes */
    uint32_t copy_len;               /* frame bytes held in buf */
    const struct iovec *tail;        /* frame[copy_len, frame_len) */
    uint16_t n_tail;
    uint16_t slot;                   /* provider-private (chain index) */
    uint16_t data_ofs;               /* frame start in buf */
} __attribute__((aligned(64)));

struct dp_packet_batch {
    unsigned n;
    struct dp_packet pkts[DP_PACKET_BATCH_MAX];
};

/* Puts the frame start back at 'hdr'.  An rx provider fills only hdr,
 * copy_len, frame_len, tail, n_tail and slot: the owner of the packet
 * storage keeps data_ofs at 'hdr' between bursts (the PMD does for its
 * batch, after the outputs of a burst that moved it are sent). */
static inline void
dp_packet_reset_head(struct dp_packet *p)
{
    p->data_ofs = DP_PACKET_HEADROOM;
}

/* The frame's first copy_len bytes: the private copy, possibly modified by
 * actions (VLAN push/pop move its start into or out of the headroom).
 * Whatever reads a packet's headers after classification (output,
 * capture) must use this, not 'hdr'. */
static inline const uint8_t *
dp_packet_data(const struct dp_packet *p)
{
    return p->buf + p->data_ofs;
}

static inline uint8_t *
dp_packet_data_rw(struct dp_packet *p)
{
    return p->buf + p->data_ofs;
}

/* The whole frame as iovecs (header copy first); returns how many. */
static inline unsigned
dp_packet_iov(const struct dp_packet *p, struct iovec iov[DP_PACKET_MAX_IOV])
{
    unsigned n = 0;

    iov[n].iov_base = (void *) dp_packet_data(p);
    iov[n++].iov_len = p->copy_len;
    for (unsigned i = 0; i < p->n_tail && n < DP_PACKET_MAX_IOV; i++) {
        iov[n++] = p->tail[i];
    }
    return n;
}

#endif
