/* SPDX-License-Identifier: Apache-2.0 */
/* Packet capture to pcap files (design in capture.h). */
#include "capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vhost/vlog.h"

struct capture_slot {
    struct timespec ts;
    uint32_t caplen, len;
    uint8_t *data;                 /* snaplen bytes of capture->buf */
};

struct capture {
    char *file;
    pcap_t *dead;                  /* for compiling and dumping only */
    pcap_dumper_t *dumper;
    struct bpf_program prog;
    bool has_filter;
    uint32_t snaplen;
    bool rx, tx;
    uint64_t max_packets;
    double max_seconds;
    struct timespec started;

    /* The ring: producers (PMDs) advance 'tail' under 'lock'; the writer
     * advances 'head'.  Both only grow; slot = index % CAPTURE_RING_SLOTS. */
    int lock;
    uint64_t tail, head;
    uint64_t accepted;             /* under 'lock': for --count */
    struct capture_slot slots[CAPTURE_RING_SLOTS];
    uint8_t *buf;

    /* Relaxed counters (several writers). */
    uint64_t matched, dropped, filtered, written;
    int stop;                      /* control -> writer */
    int done;                      /* writer finished */
    pthread_t writer;
    bool writer_started;
};

static double
seconds_since(const struct timespec *t0)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double) (now.tv_sec - t0->tv_sec)
           + (double) (now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
capture_lock(struct capture *c)
{
    while (__atomic_exchange_n(&c->lock, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&c->lock, __ATOMIC_RELAXED)) {
            __builtin_ia32_pause();
        }
    }
}

static void
capture_unlock(struct capture *c)
{
    __atomic_store_n(&c->lock, 0, __ATOMIC_RELEASE);
}

/* Header copy first, then the source buffers, up to 'max' bytes. */
static uint32_t
copy_frame(const struct dp_packet *p, uint8_t *dst, uint32_t max)
{
    uint32_t n = p->copy_len < max ? p->copy_len : max;

    memcpy(dst, dp_packet_data(p), n);
    for (unsigned i = 0; i < p->n_tail && n < max; i++) {
        size_t len = p->tail[i].iov_len;
        if (len > max - n) {
            len = max - n;
        }
        memcpy(dst + n, p->tail[i].iov_base, len);
        n += (uint32_t) len;
    }
    return n;
}

void
capture_packet(struct capture *c, const struct dp_packet *p,
               enum capture_dir dir)
{
    struct capture_slot *slot;
    uint64_t tail;

    if ((dir == CAPTURE_DIR_RX ? !c->rx : !c->tx)
        || __atomic_load_n(&c->done, __ATOMIC_RELAXED)) {
        return;
    }
    /* Only the header copy is filtered, as the actions left it (capture.h). */
    if (c->has_filter
        && !bpf_filter(c->prog.bf_insns, dp_packet_data(p), p->frame_len,
                       p->copy_len)) {
        __atomic_fetch_add(&c->filtered, 1, __ATOMIC_RELAXED);
        return;
    }
    capture_lock(c);
    /* 'done' again under the lock: the writer's final drain takes it. */
    if ((c->max_packets && c->accepted >= c->max_packets)
        || __atomic_load_n(&c->done, __ATOMIC_RELAXED)) {
        capture_unlock(c);
        return;
    }
    tail = c->tail;
    if (tail - __atomic_load_n(&c->head, __ATOMIC_ACQUIRE)
        >= CAPTURE_RING_SLOTS) {
        capture_unlock(c);
        __atomic_fetch_add(&c->dropped, 1, __ATOMIC_RELAXED);
        return;
    }
    slot = &c->slots[tail % CAPTURE_RING_SLOTS];
    clock_gettime(CLOCK_REALTIME, &slot->ts);   /* vDSO: no syscall */
    slot->len = p->frame_len;
    slot->caplen = copy_frame(p, slot->data, c->snaplen);
    c->accepted++;
    __atomic_store_n(&c->tail, tail + 1, __ATOMIC_RELEASE);
    capture_unlock(c);
    __atomic_fetch_add(&c->matched, 1, __ATOMIC_RELAXED);
}

/* Writes every queued slot; returns how many. */
static unsigned
writer_drain(struct capture *c)
{
    uint64_t tail = __atomic_load_n(&c->tail, __ATOMIC_ACQUIRE);
    uint64_t head = c->head;
    unsigned n = 0;

    for (; head < tail; head++, n++) {
        const struct capture_slot *s = &c->slots[head % CAPTURE_RING_SLOTS];
        struct pcap_pkthdr h = {
            .ts = {.tv_sec = s->ts.tv_sec,
                   .tv_usec = s->ts.tv_nsec},  /* nanosecond file */
            .caplen = s->caplen,
            .len = s->len,
        };
        pcap_dump((u_char *) c->dumper, &h, s->data);
        __atomic_store_n(&c->head, head + 1, __ATOMIC_RELEASE);
        __atomic_fetch_add(&c->written, 1, __ATOMIC_RELAXED);
    }
    return n;
}

static bool
writer_should_end(struct capture *c)
{
    if (c->max_packets
        && __atomic_load_n(&c->written, __ATOMIC_RELAXED) >= c->max_packets) {
        return true;
    }
    return c->max_seconds > 0 && seconds_since(&c->started) >= c->max_seconds;
}

static void *
capture_writer_main(void *c_)
{
    static const struct timespec idle = {.tv_nsec = 1000 * 1000};
    struct capture *c = c_;
    struct timespec last_flush = c->started;

    pthread_setname_np(pthread_self(), "capture");
    for (;;) {
        bool stopping = __atomic_load_n(&c->stop, __ATOMIC_ACQUIRE);
        unsigned n = writer_drain(c);

        if (writer_should_end(c) || (stopping && !n)) {
            break;
        }
        if (!n) {
            nanosleep(&idle, NULL);
        }
        if (seconds_since(&last_flush) > 0.2) {
            /* Readable while it runs (tcpdump -r on a growing file). */
            pcap_dump_flush(c->dumper);
            clock_gettime(CLOCK_MONOTONIC, &last_flush);
        }
    }
    /* Stop producers first, then write what they queued meanwhile. */
    __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
    capture_lock(c);
    capture_unlock(c);
    writer_drain(c);
    if (pcap_dump_flush(c->dumper)) {
        RSW_LOG(RSW_LOG_ERR, "capture %s: write error", c->file);
    }
    return NULL;
}

static int
capture_compile(struct capture *c, const char *filter, char *err,
                size_t err_size)
{
    if (!filter || !*filter) {
        return 0;
    }
    if (pcap_compile(c->dead, &c->prog, filter, 1, PCAP_NETMASK_UNKNOWN)) {
        snprintf(err, err_size, "bad filter '%s': %s", filter,
                 pcap_geterr(c->dead));
        return -EINVAL;
    }
    c->has_filter = true;
    return 0;
}

static int
capture_check_options(const struct capture_options *o, char *err,
                      size_t err_size)
{
    if (!o->file || o->file[0] != '/') {
        snprintf(err, err_size, "capture file must be an absolute path "
                 "(the switch writes it), got '%s'", o->file ? o->file : "");
        return -EINVAL;
    }
    if (o->snaplen > CAPTURE_SNAPLEN_MAX || (o->snaplen && o->snaplen < 64)) {
        snprintf(err, err_size, "snap length %u out of range 64..%u",
                 o->snaplen, CAPTURE_SNAPLEN_MAX);
        return -EINVAL;
    }
    if (o->max_seconds < 0) {
        snprintf(err, err_size, "duration must be positive");
        return -EINVAL;
    }
    return 0;
}

static int
capture_alloc(const struct capture_options *o, struct capture **out)
{
    struct capture *c = calloc(1, sizeof *c);

    if (!c) {
        return -ENOMEM;
    }
    *out = c;
    c->snaplen = o->snaplen ? o->snaplen : CAPTURE_SNAPLEN_DEFAULT;
    c->rx = o->rx || !o->tx;
    c->tx = o->tx || !o->rx;
    c->max_packets = o->max_packets;
    c->max_seconds = o->max_seconds;
    c->file = strdup(o->file);
    c->buf = malloc((size_t) CAPTURE_RING_SLOTS * c->snaplen);
    c->dead = pcap_open_dead_with_tstamp_precision(
        DLT_EN10MB, (int) c->snaplen, PCAP_TSTAMP_PRECISION_NANO);
    if (!c->file || !c->buf || !c->dead) {
        return -ENOMEM;
    }
    for (unsigned i = 0; i < CAPTURE_RING_SLOTS; i++) {
        c->slots[i].data = c->buf + (size_t) i * c->snaplen;
    }
    return 0;
}

int
capture_create(const struct capture_options *o, struct capture **out,
               char *err, size_t err_size)
{
    struct capture *c = NULL;
    int e = capture_check_options(o, err, err_size);

    *out = NULL;
    if (e) {
        return e;
    }
    e = capture_alloc(o, &c);
    if (e) {
        snprintf(err, err_size, "out of memory");
        goto err_free;
    }
    e = capture_compile(c, o->filter, err, err_size);
    if (e) {
        goto err_free;
    }
    c->dumper = pcap_dump_open(c->dead, c->file);
    if (!c->dumper) {
        snprintf(err, err_size, "cannot create %s: %s", c->file,
                 pcap_geterr(c->dead));
        e = -EIO;
        goto err_free;
    }
    clock_gettime(CLOCK_MONOTONIC, &c->started);
    e = -pthread_create(&c->writer, NULL, capture_writer_main, c);
    if (e) {
        snprintf(err, err_size, "cannot start the writer thread: %s",
                 strerror(-e));
        goto err_free;
    }
    c->writer_started = true;
    *out = c;
    return 0;

err_free:
    capture_destroy(c);
    return e;
}

bool
capture_is_done(const struct capture *c)
{
    return __atomic_load_n(&c->done, __ATOMIC_ACQUIRE);
}

void
capture_get_stats(const struct capture *c, struct capture_stats *s)
{
    s->matched = __atomic_load_n(&c->matched, __ATOMIC_RELAXED);
    s->written = __atomic_load_n(&c->written, __ATOMIC_RELAXED);
    s->dropped = __atomic_load_n(&c->dropped, __ATOMIC_RELAXED);
    s->filtered = __atomic_load_n(&c->filtered, __ATOMIC_RELAXED);
    s->done = capture_is_done(c);
}

const char *
capture_file(const struct capture *c)
{
    return c->file;
}

void
capture_finish(struct capture *c)
{
    if (c->writer_started) {
        __atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
        pthread_join(c->writer, NULL);
        c->writer_started = false;
    }
}

void
capture_destroy(struct capture *c)
{
    if (!c) {
        return;
    }
    capture_finish(c);
    if (c->dumper) {
        pcap_dump_close(c->dumper);
    }
    if (c->has_filter) {
        pcap_freecode(&c->prog);
    }
    if (c->dead) {
        pcap_close(c->dead);
    }
    free(c->buf);
    free(c->file);
    free(c);
}
