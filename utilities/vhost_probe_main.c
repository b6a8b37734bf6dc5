/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-vhost-probe: command line and reporting; see vhost_probe.h. */
#include "vhost_probe.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

volatile int probe_stop;

static void
usage(FILE *f)
{
    fprintf(f,
"usage: rsw-vhost-probe backend [OPTIONS] SOCKET [SOCKET2]\n"
"       rsw-vhost-probe frontend [OPTIONS] SOCKET\n"
"Exchanges verified, sequence-numbered frames with a vhost-user peer.\n"
"  backend: be the vhost-user backend (device); the frontend (e.g. DPDK\n"
"           virtio-user, QEMU) must forward or reflect frames.\n"
"  frontend: be the vhost-user frontend (VMM + guest driver); the backend\n"
"           (e.g. DPDK net_vhost) must reflect frames.\n"
"Options:\n"
"  --client          backend role: connect to SOCKET (reconnects forever)\n"
"  --server          frontend role: listen on SOCKET\n"
"  --frames N        frames per stream and round (default 10000; 0 = no limit)\n"
"  --duration S      stop after S seconds (default: when frames are done)\n"
"  --timeout S       fail if no frame arrives for S seconds (default 30)\n"
"  --window N        frames in flight per stream (default 64)\n"
"  --min-len N --max-len N   frame lengths (default 60..1514)\n"
"  --rounds N        backend role: serve N successive connections (default 1)\n"
"  --progress        live progress line on stderr\n");
}

static int
parse_uint(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > max) {
        fprintf(stderr, "rsw-vhost-probe: %s: '%s' is not a number in 0..%" PRIu64 "\n",
                opt, s, max);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

static int
parse_secs(const char *opt, const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= 0) || v > 1e7) {
        fprintf(stderr, "rsw-vhost-probe: %s: '%s' is not a duration in seconds\n", opt, s);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

static int
parse_option(struct probe_opts *o, int opt, const char *name, const char *arg)
{
    uint64_t v;
    switch (opt) {
    case 'c': o->client = true; return 0;
    case 's': o->server = true; return 0;
    case 'p': o->progress = true; return 0;
    case 'f': return parse_uint(name, arg, UINT32_MAX, &o->frames);
    case 'd': return parse_secs(name, arg, &o->duration);
    case 't': return parse_secs(name, arg, &o->timeout);
    case 'w':
        if (parse_uint(name, arg, 4096, &v) || v == 0) {
            return v == 0 ? (fprintf(stderr, "rsw-vhost-probe: --window must be >= 1\n"), -EINVAL) : -EINVAL;
        }
        o->window = v;
        return 0;
    case 'm':
    case 'M':
        if (parse_uint(name, arg, FRAME_PATTERN_MAX_LEN, &v)) {
            return -EINVAL;
        }
        *(opt == 'm' ? &o->min_len : &o->max_len) = v;
        return 0;
    case 'r':
        if (parse_uint(name, arg, 1000000, &v) || v == 0) {
            return v == 0 ? (fprintf(stderr, "rsw-vhost-probe: --rounds must be >= 1\n"), -EINVAL) : -EINVAL;
        }
        o->rounds = v;
        return 0;
    }
    return -EINVAL;
}

static int
check_opts(struct probe_opts *o)
{
    if (o->min_len < FRAME_PATTERN_MIN_LEN || o->max_len < o->min_len) {
        fprintf(stderr, "rsw-vhost-probe: frame lengths must satisfy %d <= min-len <= max-len\n",
                FRAME_PATTERN_MIN_LEN);
        return -EINVAL;
    }
    if (o->frontend && (o->client || o->rounds != 1 || o->n_ports != 1)) {
        fprintf(stderr, "rsw-vhost-probe: frontend role takes one SOCKET and no --client/--rounds\n");
        return -EINVAL;
    }
    if (!o->frontend && o->server) {
        fprintf(stderr, "rsw-vhost-probe: --server is for the frontend role (the backend listens by default)\n");
        return -EINVAL;
    }
    if (o->frames == 0 && o->duration == 0) {
        fprintf(stderr, "rsw-vhost-probe: --frames 0 needs --duration\n");
        return -EINVAL;
    }
    return 0;
}

static int
parse_args(int argc, char **argv, struct probe_opts *o)
{
    static const struct option longopts[] = {
        {"client", no_argument, NULL, 'c'},   {"server", no_argument, NULL, 's'},
        {"frames", required_argument, NULL, 'f'},
        {"duration", required_argument, NULL, 'd'},
        {"timeout", required_argument, NULL, 't'},
        {"window", required_argument, NULL, 'w'},
        {"min-len", required_argument, NULL, 'm'},
        {"max-len", required_argument, NULL, 'M'},
        {"rounds", required_argument, NULL, 'r'},
        {"progress", no_argument, NULL, 'p'},   {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct probe_opts) {
        .frames = 10000, .timeout = 30, .window = 64, .min_len = 60,
        .max_len = 1514, .rounds = 1,
    };
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        exit(0);
    }
    if (argc < 2 || (strcmp(argv[1], "backend") && strcmp(argv[1], "frontend"))) {
        fprintf(stderr, "rsw-vhost-probe: first argument must be 'backend' or 'frontend' (try --help)\n");
        return -EINVAL;
    }
    o->frontend = !strcmp(argv[1], "frontend");
    argc--;
    argv++;
    int opt, idx;
    while ((opt = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            exit(0);
        }
        if (opt == '?' || parse_option(o, opt, longopts[idx].name, optarg)) {
            fprintf(stderr, "rsw-vhost-probe: try --help\n");
            return -EINVAL;
        }
    }
    for (; optind < argc; optind++) {
        if (o->n_ports == PROBE_MAX_PORTS) {
            fprintf(stderr, "rsw-vhost-probe: at most %d sockets\n", PROBE_MAX_PORTS);
            return -EINVAL;
        }
        o->paths[o->n_ports++] = argv[optind];
    }
    if (o->n_ports == 0) {
        fprintf(stderr, "rsw-vhost-probe: missing SOCKET (try --help)\n");
        return -EINVAL;
    }
    return check_opts(o);
}

double
probe_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

bool
probe_stream_done(const struct probe_opts *o, const struct probe_stream *s)
{
    return o->frames && s->rx.received >= o->frames;
}

bool
probe_stream_ok(const struct probe_opts *o, const struct probe_stream *s)
{
    return s->foreign == 0 && s->rx.reordered == 0 && s->rx.duplicate == 0
           && s->bad_ring == 0 && s->rx.received == s->sent
           && (!o->frames || s->rx.received == o->frames);
}

bool
probe_warmup_due(struct probe_stream *s, double now)
{
    if (probe_warm(s) || now - s->warmup_last < 0.05) {
        return false;
    }
    s->warmup_last = now;
    return true;
}

bool
probe_account(struct probe_stream *st, unsigned n, uint8_t sid, uint32_t seq)
{
    if (sid & PROBE_WARMUP) {
        sid &= ~PROBE_WARMUP;
        if (sid >= n) {
            return false;
        }
        st[sid].warmup_rx++;
        return true;
    }
    if (sid >= n) {
        return false;
    }
    frame_rx_account(&st[sid].rx, seq);
    return true;
}

void
probe_pace_start(struct probe_pace *p)
{
    double now = probe_now();
    *p = (struct probe_pace) {
        .start = now, .last_rx = now, .last_progress = now,
    };
}

bool
probe_pace_step(struct probe_pace *p, const struct probe_opts *o,
                const struct probe_stream *st, unsigned n)
{
    uint64_t total = 0, in_flight = 0;
    bool done = true;
    for (unsigned i = 0; i < n; i++) {
        total += st[i].rx.received;
        in_flight += st[i].sent - st[i].rx.received;
        done = done && probe_stream_done(o, &st[i]);
    }
    double now = probe_now();
    if (total != p->seen) {
        p->seen = total;
        p->last_rx = now;
    }
    if (o->progress && now - p->last_progress >= 0.5) {
        probe_progress(st, n, now - p->start);
        p->last_progress = now;
    }
    if (done || (p->draining && (in_flight == 0 || now - p->drain_start > 2))) {
        return true;
    }
    if (!p->draining && (probe_stop || (o->duration && now - p->start >= o->duration))) {
        p->draining = true;
        p->drain_start = now;
    }
    if (now - p->last_rx > o->timeout) {
        fprintf(stderr, "rsw-vhost-probe: no frame for %.0f s, giving up\n", o->timeout);
        return true;
    }
    return false;
}

double
probe_pace_finish(const struct probe_pace *p, const struct probe_opts *o)
{
    if (o->progress) {
        fprintf(stderr, "\n");
    }
    return probe_now() - p->start;
}

void
probe_print_result(const char *role, const struct probe_opts *o,
                   const struct probe_stream *st, unsigned n, unsigned round,
                   double secs)
{
    for (unsigned i = 0; i < n; i++) {
        const struct probe_stream *s = &st[i];
        printf("RESULT role=%s round=%u stream=%u sent=%" PRIu64 " received=%" PRIu64
               " lost=%" PRIu64 " corrupt=%" PRIu64 " reordered=%" PRIu64
               " duplicate=%" PRIu64 " bad_ring=%" PRIu64 " no_room=%" PRIu64
               " warmup=%" PRIu64 " secs=%.3f status=%s\n",
               role, round, i, s->sent, s->rx.received,
               s->sent > s->rx.received ? s->sent - s->rx.received : 0,
               s->foreign, s->rx.reordered, s->rx.duplicate, s->bad_ring,
               s->no_room, s->warmup_rx, secs, probe_stream_ok(o, s) ? "ok" : "FAIL");
    }
    fflush(stdout);
}

void
probe_progress(const struct probe_stream *st, unsigned n, double secs)
{
    uint64_t sent = 0, rcvd = 0, bad = 0;
    for (unsigned i = 0; i < n; i++) {
        sent += st[i].sent;
        rcvd += st[i].rx.received;
        bad += st[i].foreign + st[i].rx.reordered + st[i].rx.duplicate;
    }
    fprintf(stderr, "\r%7.1fs  sent %10" PRIu64 "  received %10" PRIu64
            "  errors %" PRIu64 "  %8.0f frames/s   ", secs, sent, rcvd, bad,
            secs > 0 ? rcvd / secs : 0.0);
}

static void
on_signal(int sig)
{
    (void) sig;
    probe_stop = 1;
}

int
main(int argc, char **argv)
{
    struct probe_opts o;
    if (parse_args(argc, argv, &o)) {
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    int rc = o.frontend ? probe_run_frontend(&o) : probe_run_backend(&o);
    return rc ? 1 : 0;
}
