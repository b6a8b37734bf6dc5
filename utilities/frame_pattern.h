/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_FRAME_PATTERN_H
#define RSW_FRAME_PATTERN_H 1

/* Test frames whose content proves their integrity: an Ethernet header with
 * a private ethertype, a stream id, a sequence number, a length and a
 * payload derived from (stream, seq) with a checksum.  A receiver detects
 * loss, reordering, duplication and any corrupted byte. */

#include <stddef.h>
#include <stdint.h>

#define FRAME_PATTERN_ETHERTYPE 0x88b5 /* IEEE local experimental */
#define FRAME_PATTERN_MIN_LEN 60
#define FRAME_PATTERN_MAX_LEN 9000

/* Length of frame 'seq' of a stream: varies across [min_len, max_len]. */
size_t frame_pattern_len(uint32_t seq, size_t min_len, size_t max_len);
/* Writes frame (stream, seq) of 'len' bytes into buf. */
void frame_pattern_build(uint8_t *buf, size_t len, uint8_t stream, uint32_t seq);
/* Checks a received frame: 0 if intact (stream and seq set), else -1. */
int frame_pattern_check(const uint8_t *buf, size_t len, uint8_t *stream,
                        uint32_t *seq);

/* Per-stream receive bookkeeping. */
struct frame_rx_stats {
    uint64_t received, corrupt, reordered, duplicate;
    uint32_t next_seq;
};
void frame_rx_account(struct frame_rx_stats *, uint32_t seq);

#endif
