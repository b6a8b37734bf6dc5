/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VHOST_PROBE_H
#define RSW_VHOST_PROBE_H 1

/* rsw-vhost-probe: a vhost-user test peer built on the vhost/ library.
 *
 * Backend role: listens on (or connects to) one or two vhost-user sockets
 * and, once the frontend has set up the rings, writes sequence-numbered,
 * checksummed frames into each port's RX queue and verifies every frame the
 * frontend sends back on TX.  With two ports, stream p is written into port
 * p and expected on the other port (a forwarding frontend such as testpmd
 * io-forwarding between two virtio-user ports); with one port it is expected
 * back on the same port.
 *
 * Frontend role: owns a shared-memory "guest", sets a vhost-user backend
 * up (features, memory table, vrings), and sends and verifies frames the
 * same way through a backend that reflects them (testpmd net_vhost in io
 * mode with --port-topology=loop).
 *
 * Warm-up: a forwarding peer may legitimately drop what it finds queued
 * before it starts forwarding (testpmd flushes its RX queues then).  So each
 * stream first sends marked warm-up frames, one every 50 ms, until one comes
 * back; only then do the counted frames start.  Warm-ups that come back are
 * reported (warmup=N) so a test can match the peer's own counters exactly.
 *
 * A window bounds the frames in flight per stream so that a correct peer
 * never has to drop: every count must come out exact.  One machine-readable
 * line "RESULT ..." is printed at the end; exit status 0 means every frame
 * arrived intact and in order. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "frame_pattern.h"

#define PROBE_MAX_PORTS 2

struct probe_opts {
    bool frontend;         /* role */
    bool client;           /* backend role: connect instead of listening */
    bool server;           /* frontend role: listen instead of connecting */
    uint64_t frames;       /* per stream and round; 0 = until duration */
    double duration;       /* seconds; 0 = until frames done */
    double timeout;        /* give up if a round makes no progress */
    unsigned window;       /* frames in flight per stream */
    unsigned min_len, max_len;
    unsigned rounds;       /* reconnections to serve (backend role) */
    bool progress;         /* one live progress line on stderr */
    unsigned n_ports;
    const char *paths[PROBE_MAX_PORTS];
};

/* What one stream did; printed in the RESULT line. */
struct probe_stream {
    uint64_t sent;
    uint64_t no_room;      /* times the peer had no RX buffer */
    struct frame_rx_stats rx;
    uint64_t foreign;      /* frames that failed the pattern check */
    uint64_t bad_ring;     /* chains refused by the ring validation */
    uint64_t warmup_sent, warmup_rx;
    double warmup_last;    /* when the last warm-up frame was sent */
};

/* Warm-up frames carry stream id PROBE_WARMUP | stream. */
#define PROBE_WARMUP 0x80

/* Is the stream warmed up; is a warm-up frame due now? */
static inline bool
probe_warm(const struct probe_stream *s)
{
    return s->warmup_rx > 0;
}
bool probe_warmup_due(struct probe_stream *, double now);
/* Accounts a received, intact frame to its stream (or warm-up); returns
 * false if the stream id is not one of ours. */
bool probe_account(struct probe_stream *, unsigned n, uint8_t sid, uint32_t seq);

/* Pacing of one round, the same for both roles: a progress line, stop
 * sending (drain) after --duration or Ctrl-C and give frames in flight 2 s
 * to arrive, give up after --timeout without a frame. */
struct probe_pace {
    double start, last_rx, last_progress, drain_start;
    uint64_t seen;  /* frames received at the last step */
    bool draining;  /* no new frames may be sent */
};
void probe_pace_start(struct probe_pace *);
/* Call once per loop iteration: true when the round is over. */
bool probe_pace_step(struct probe_pace *, const struct probe_opts *,
                     const struct probe_stream *, unsigned n);
/* Ends the progress line; returns the round's duration in seconds. */
double probe_pace_finish(const struct probe_pace *, const struct probe_opts *);

int probe_run_backend(const struct probe_opts *);
int probe_run_frontend(const struct probe_opts *);

/* Shared helpers (vhost_probe_main.c). */
double probe_now(void);
extern volatile int probe_stop;
void probe_print_result(const char *role, const struct probe_opts *,
                        const struct probe_stream *, unsigned n,
                        unsigned round, double secs);
void probe_progress(const struct probe_stream *, unsigned n, double secs);
bool probe_stream_done(const struct probe_opts *, const struct probe_stream *);
bool probe_stream_ok(const struct probe_opts *, const struct probe_stream *);

#endif
