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
 * queue that produced it (valid until that queue's rx_release). */

#include <stdint.h>
#include <sys/uio.h>
#include "vhost/compiler.h"
#include "vhost/virtq.h"

#define DP_PACKET_HDR_COPY 128
#define DP_PACKET_BATCH_MAX 32
/* hdr + every source piece. */
#define DP_PACKET_MAX_IOV (VIRTQ_CHAIN_MAX_IOV + 1)

struct dp_packet {
    uint8_t hdr[DP_PACKET_HDR_COPY]; /* frame[0, copy_len) */
    uint32_t frame_len;              /* whole frame, bytes */
    uint32_t copy_len;               /* min(frame_len, HDR_COPY) */
    const struct iovec *tail;        /* frame[copy_len, frame_len) */
    uint16_t n_tail;
    uint16_t slot;                   /* provider-private (chain index) */
} __attribute__((aligned(64)));

struct dp_packet_batch {
    unsigned n;
    struct dp_packet pkts[DP_PACKET_BATCH_MAX];
};

/* The whole frame as iovecs (hdr copy first); returns how many. */
static inline unsigned
dp_packet_iov(const struct dp_packet *p, struct iovec iov[DP_PACKET_MAX_IOV])
{
    unsigned n = 0;

    iov[n].iov_base = (void *) p->hdr;
    iov[n++].iov_len = p->copy_len;
    for (unsigned i = 0; i < p->n_tail && n < DP_PACKET_MAX_IOV; i++) {
        iov[n++] = p->tail[i];
    }
    return n;
}

#endif
