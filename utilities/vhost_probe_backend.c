/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-vhost-probe, backend role: see vhost_probe.h. */
#include "vhost_probe.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "vhost/vhost_backend.h"
#include "vhost/vhost_socket.h"
#include "vhost/virtio_net.h"
#include "vhost/virtq.h"
#include "vhost/vlog.h"

#define RX_VRING 0 /* virtio-net: even vrings are guest RX, odd guest TX */
#define TX_VRING 1
#define BURST 32

struct probe_port {
    struct vhost_backend *be;
    struct vhost_endpoint *ep;
    struct virtq *rxq, *txq;  /* set while ready (vring_state) */
    unsigned index;
};

static void
port_vring_state(void *ctx, unsigned qidx, struct virtq *vq, bool ready)
{
    struct probe_port *p = ctx;
    if (getenv("RSW_PROBE_DEBUG")) {
        fprintf(stderr, "port %u vring %u %s (avail idx %u)\n", p->index, qidx,
                ready ? "ready" : "stopped", vq ? virtq_last_avail_idx(vq) : 0);
    }
    /* Single-threaded: the rings are only used between calls to
     * vhost_endpoint_process(), so forgetting the pointer is enough. */
    if (qidx == RX_VRING) {
        p->rxq = ready ? vq : NULL;
    } else if (qidx == TX_VRING) {
        p->txq = ready ? vq : NULL;
    }
}

static const struct vhost_backend_ops probe_backend_ops = {
    .vring_state = port_vring_state,
};

static int
port_open(struct probe_port *p, unsigned index, const struct probe_opts *o)
{
    char name[32];
    snprintf(name, sizeof name, "probe%u", index);
    struct vhost_backend_config cfg = {
        .name = name,
        .max_queue_pairs = 1,
    };
    memset(p, 0, sizeof *p);
    p->index = index;
    int err = vhost_backend_create(&cfg, &probe_backend_ops, p, &p->be);
    if (err) {
        fprintf(stderr, "rsw-vhost-probe: backend: %s\n", strerror(-err));
        return err;
    }
    err = vhost_endpoint_create_backend(o->paths[index], !o->client, p->be, &p->ep);
    if (err) {
        fprintf(stderr, "rsw-vhost-probe: %s: %s\n", o->paths[index], strerror(-err));
        vhost_backend_destroy(p->be);
        return err;
    }
    return 0;
}

static void
port_close(struct probe_port *p)
{
    vhost_endpoint_destroy(p->ep);
    vhost_backend_destroy(p->be);
}

/* Writes frames of stream 'sid' into the port's RX ring, within the window. */
static void
port_send(struct probe_port *p, const struct probe_opts *o, struct probe_stream *s,
          uint8_t sid)
{
    static uint8_t frame[FRAME_PATTERN_MAX_LEN];
    bool mrg = vhost_backend_features(p->be) & VHOST_BIT(VIRTIO_NET_F_MRG_RXBUF);
    size_t hdr_len = vhost_backend_hdr_len(p->be);
    unsigned n = 0;

    if (!probe_warm(s)) {
        if (probe_warmup_due(s, probe_now())) {
            size_t len = FRAME_PATTERN_MIN_LEN;
            frame_pattern_build(frame, len, sid | PROBE_WARMUP, s->warmup_sent);
            struct iovec iov = {.iov_base = frame, .iov_len = len};
            struct virtio_net_hdr hdr = {.gso_type = VIRTIO_NET_HDR_GSO_NONE};
            if (virtio_net_rx_push(p->rxq, hdr_len, mrg, &hdr, &iov, 1) == VIRTIO_NET_OK) {
                s->warmup_sent++;
            }
            virtq_flush_and_notify(p->rxq);
        }
        return;
    }
    while (n < BURST && s->sent - s->rx.received < o->window
           && (!o->frames || s->sent < o->frames)) {
        size_t len = frame_pattern_len(s->sent, o->min_len, o->max_len);
        frame_pattern_build(frame, len, sid, s->sent);
        struct iovec iov = {.iov_base = frame, .iov_len = len};
        struct virtio_net_hdr hdr = {.gso_type = VIRTIO_NET_HDR_GSO_NONE};
        enum virtio_net_xfer_error e =
            virtio_net_rx_push(p->rxq, hdr_len, mrg, &hdr, &iov, 1);
        if (e == VIRTIO_NET_ERR_NO_BUFS || e == VIRTIO_NET_ERR_EMPTY) {
            s->no_room++;
            break;
        } else if (e != VIRTIO_NET_OK) {
            s->bad_ring++;
            if (e == VIRTIO_NET_ERR_BROKEN) {
                break;
            }
            continue;
        }
        s->sent++;
        n++;
    }
    virtq_flush_and_notify(p->rxq);
}

/* Takes frames from the port's TX ring and accounts them to their stream. */
static void
port_receive(struct probe_port *p, struct probe_stream *streams, unsigned n_streams)
{
    static uint8_t frame[FRAME_PATTERN_MAX_LEN + 64];
    size_t hdr_len = vhost_backend_hdr_len(p->be);

    for (unsigned i = 0; i < BURST; i++) {
        struct virtio_net_hdr hdr;
        size_t len;
        enum virtio_net_xfer_error e =
            virtio_net_tx_pop(p->txq, hdr_len, frame, sizeof frame, &len, &hdr);
        if (e == VIRTIO_NET_ERR_EMPTY || e == VIRTIO_NET_ERR_BROKEN) {
            if (e == VIRTIO_NET_ERR_BROKEN) {
                streams[p->index % n_streams].bad_ring++;
            }
            break;
        }
        uint8_t sid;
        uint32_t seq;
        if (e != VIRTIO_NET_OK) {
            streams[p->index % n_streams].bad_ring++;
        } else if (frame_pattern_check(frame, len, &sid, &seq)
                   || !probe_account(streams, n_streams, sid, seq)) {
            streams[p->index % n_streams].foreign++;
        }
    }
    virtq_flush_and_notify(p->txq);
}

static bool
ports_ready(const struct probe_port *ports, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (!ports[i].rxq || !ports[i].txq) {
            return false;
        }
    }
    return true;
}

static bool
ports_connected(const struct probe_port *ports, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (vhost_endpoint_is_connected(ports[i].ep)) {
            return true;
        }
    }
    return false;
}

static int
ports_process(struct probe_port *ports, unsigned n, int timeout_ms)
{
    for (unsigned i = 0; i < n; i++) {
        int err = vhost_endpoint_process(ports[i].ep, timeout_ms);
        if (err < 0 && err != -EAGAIN) {
            fprintf(stderr, "rsw-vhost-probe: %s: %s\n", vhost_backend_name(ports[i].be),
                    strerror(-err));
            return err;
        }
    }
    return 0;
}

/* One round: wait for every ring, exchange frames, report.  Returns 0 if
 * every stream came out exact. */
static int
run_round(const struct probe_opts *o, struct probe_port *ports, unsigned round)
{
    unsigned n = o->n_ports;
    struct probe_stream streams[PROBE_MAX_PORTS];
    memset(streams, 0, sizeof streams);

    while (!probe_stop && !ports_ready(ports, n)) {
        if (ports_process(ports, n, 10)) {
            return -EIO;
        }
    }
    struct probe_pace pace;
    probe_pace_start(&pace);
    for (;;) {
        if (ports_process(ports, n, 0)) {
            return -EIO;
        }
        if (!ports_ready(ports, n)) {
            fprintf(stderr, "rsw-vhost-probe: the frontend stopped its rings mid-round\n");
            break;
        }
        for (unsigned i = 0; i < n && !pace.draining; i++) {
            port_send(&ports[i], o, &streams[i], i);
        }
        for (unsigned i = 0; i < n; i++) {
            port_receive(&ports[i], streams, n);
        }
        if (probe_pace_step(&pace, o, streams, n)) {
            break;
        }
    }
    double secs = probe_pace_finish(&pace, o);
    probe_print_result("backend", o, streams, n, round, secs);
    for (unsigned i = 0; i < n; i++) {
        if (!probe_stream_ok(o, &streams[i])) {
            return -EIO;
        }
    }
    return 0;
}

static unsigned
count_fds(void)
{
    unsigned n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        while (readdir(d)) {
            n++;
        }
        closedir(d);
    }
    return n;
}

/* Mappings of a frontend's memory: hugetlbfs files or memfds. */
static unsigned
count_guest_mappings(void)
{
    char line[512];
    unsigned n = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    if (f) {
        while (fgets(line, sizeof line, f)) {
            n += strstr(line, "/dev/hugepages") || strstr(line, "memfd:");
        }
        fclose(f);
    }
    return n;
}

/* After a connection ends nothing of it may survive (vhost-user "the
 * back-end must drop all state"): no fd, no mapping. */
static int
check_no_leftovers(const struct probe_port *ports, unsigned n, unsigned round,
                   unsigned baseline_fds)
{
    unsigned held = 0;
    for (unsigned i = 0; i < n; i++) {
        held += vhost_backend_n_fds(ports[i].be);
    }
    unsigned fds = count_fds(), maps = count_guest_mappings();
    /* A client endpoint may hold one socket of its next connect attempt. */
    bool ok = held == 0 && maps == 0 && fds <= baseline_fds + n;
    printf("LEFTOVERS round=%u backend_fds=%u process_fds=%u baseline_fds=%u "
           "guest_mappings=%u status=%s\n", round, held, fds, baseline_fds, maps,
           ok ? "ok" : "FAIL");
    fflush(stdout);
    return ok ? 0 : -EMFILE;
}

int
probe_run_backend(const struct probe_opts *o)
{
    struct probe_port ports[PROBE_MAX_PORTS];
    unsigned n = 0;
    int err = 0;

    for (; n < o->n_ports; n++) {
        err = port_open(&ports[n], n, o);
        if (err) {
            goto out;
        }
    }
    unsigned baseline_fds = count_fds();
    for (unsigned round = 1; round <= o->rounds && !probe_stop && !err; round++) {
        err = run_round(o, ports, round);
        if (o->rounds > 1) {
            /* Serve the next connection from scratch: wait until the
             * frontend went away (state dropped), check that nothing of
             * it survived, then go again. */
            while (!probe_stop && !err && ports_connected(ports, o->n_ports)) {
                err = ports_process(ports, o->n_ports, 10);
            }
            if (!err && !probe_stop) {
                err = check_no_leftovers(ports, o->n_ports, round, baseline_fds);
            }
        }
    }
out:
    while (n > 0) {
        port_close(&ports[--n]);
    }
    return err;
}
