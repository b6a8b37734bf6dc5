/* SPDX-License-Identifier: Apache-2.0 */
#include "frame_pattern.h"

#include <string.h>

/* Layout: dst mac(6) src mac(6) ethertype(2) stream(1) pad(1) seq(4)
 * len(2) csum(4) payload... */
#define HDR_LEN 26

static uint8_t
payload_byte(uint8_t stream, uint32_t seq, size_t i)
{
    return (uint8_t) (seq * 31u + i * 7u + stream * 101u + (i >> 8));
}

static uint32_t
fold_sum(const uint8_t *p, size_t n)
{
    uint32_t a = 1, b = 0; /* Adler-32: position-sensitive */
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    return (b << 16) | a;
}

size_t
frame_pattern_len(uint32_t seq, size_t min_len, size_t max_len)
{
    if (max_len <= min_len) {
        return min_len;
    }
    uint32_t h = seq * 2654435761u;
    return min_len + (h >> 8) % (max_len - min_len + 1);
}

static void
put32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | p[2] << 8 | p[3];
}

void
frame_pattern_build(uint8_t *buf, size_t len, uint8_t stream, uint32_t seq)
{
    static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02};
    memcpy(buf, dst, 6);
    buf[6] = 0x02; buf[7] = 0; buf[8] = 0; buf[9] = 0; buf[10] = stream; buf[11] = 1;
    buf[12] = FRAME_PATTERN_ETHERTYPE >> 8;
    buf[13] = FRAME_PATTERN_ETHERTYPE & 0xff;
    buf[14] = stream;
    buf[15] = 0;
    put32(buf + 16, seq);
    buf[20] = len >> 8;
    buf[21] = len & 0xff;
    for (size_t i = HDR_LEN; i < len; i++) {
        buf[i] = payload_byte(stream, seq, i);
    }
    put32(buf + 22, fold_sum(buf + HDR_LEN, len - HDR_LEN));
}

int
frame_pattern_check(const uint8_t *buf, size_t len, uint8_t *stream, uint32_t *seq)
{
    if (len < FRAME_PATTERN_MIN_LEN || len > FRAME_PATTERN_MAX_LEN
        || buf[12] != FRAME_PATTERN_ETHERTYPE >> 8
        || buf[13] != (FRAME_PATTERN_ETHERTYPE & 0xff)
        || (size_t) (buf[20] << 8 | buf[21]) != len) {
        return -1;
    }
    uint8_t s = buf[14];
    uint32_t q = get32(buf + 16);
    for (size_t i = HDR_LEN; i < len; i++) {
        if (buf[i] != payload_byte(s, q, i)) {
            return -1;
        }
    }
    if (get32(buf + 22) != fold_sum(buf + HDR_LEN, len - HDR_LEN)) {
        return -1;
    }
    *stream = s;
    *seq = q;
    return 0;
}

void
frame_rx_account(struct frame_rx_stats *st, uint32_t seq)
{
    st->received++;
    if (seq == st->next_seq) {
        st->next_seq++;
    } else if (seq > st->next_seq) {
        st->reordered++; /* a gap: earlier frames lost or late */
        st->next_seq = seq + 1;
    } else {
        st->duplicate++;
    }
}
