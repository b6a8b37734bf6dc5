/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-vhost-probe, frontend role: see vhost_probe.h.
 *
 * The probe is VMM and guest at once: a memfd is the guest's memory (shared,
 * so the backend can map it), guest-physical address 0 is its first byte,
 * and the frontend virtual address of each byte is simply where we mapped
 * it.  Two split rings live at the start (RX = vring 0, TX = vring 1),
 * packet buffers after them.  No mergeable RX buffers are negotiated, so
 * each RX buffer holds a whole frame behind its virtio_net_hdr. */
#include "vhost_probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vhost/vhost_frontend.h"
#include "vhost/virtio_net.h"
#include "vhost/virtq_driver.h"

#define RING_SIZE 256
#define RING_AREA (64 * 1024)     /* per ring, >= virtq_driver_ring_bytes */
#define RX_VRING 0
#define TX_VRING 1

struct probe_guest {
    uint8_t *mem;
    size_t mem_size;
    int mem_fd;
    size_t buf_size, hdr_len;
    struct virtq_driver rx, tx;
    int kick_fd[2], call_fd[2];
    uint8_t *rx_bufs, *tx_bufs;       /* RING_SIZE buffers each */
    uint64_t rx_bufs_gpa, tx_bufs_gpa;
    uint16_t tx_free[RING_SIZE];      /* free TX buffer slots (stack) */
    unsigned n_tx_free;
    uint16_t tx_slot[RING_SIZE];      /* head -> slot */
    uint16_t rx_slot[RING_SIZE];
    struct vhost_frontend *fe;
};

static int
guest_map(struct probe_guest *g, const struct probe_opts *o)
{
    g->buf_size = (o->max_len + sizeof(struct virtio_net_hdr) + 63) & ~63ul;
    g->mem_size = 2 * RING_AREA + 2ul * RING_SIZE * g->buf_size;
    g->mem_size = (g->mem_size + (2 << 20) - 1) & ~((2ul << 20) - 1);
    g->mem_fd = memfd_create("rsw-probe-guest", MFD_CLOEXEC);
    if (g->mem_fd < 0 || ftruncate(g->mem_fd, g->mem_size)) {
        return -errno;
    }
    g->mem = mmap(NULL, g->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, g->mem_fd, 0);
    if (g->mem == MAP_FAILED) {
        g->mem = NULL;
        return -errno;
    }
    g->rx_bufs_gpa = 2 * RING_AREA;
    g->tx_bufs_gpa = g->rx_bufs_gpa + (uint64_t) RING_SIZE * g->buf_size;
    g->rx_bufs = g->mem + g->rx_bufs_gpa;
    g->tx_bufs = g->mem + g->tx_bufs_gpa;
    return 0;
}

static int
guest_rings(struct probe_guest *g)
{
    int err = virtq_driver_init(&g->rx, RING_SIZE, g->mem, 0, false);
    if (!err) {
        err = virtq_driver_init(&g->tx, RING_SIZE, g->mem + RING_AREA, RING_AREA, false);
    }
    for (int i = 0; i < 2 && !err; i++) {
        g->kick_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        g->call_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (g->kick_fd[i] < 0 || g->call_fd[i] < 0) {
            err = -errno;
        }
    }
    for (unsigned i = 0; i < RING_SIZE; i++) {
        g->tx_free[i] = i;
    }
    g->n_tx_free = RING_SIZE;
    return err;
}

/* Hands RX buffer 'slot' to the device. */
static int
guest_post_rx(struct probe_guest *g, uint16_t slot)
{
    struct virtq_driver_buf b = {
        .gpa = g->rx_bufs_gpa + (uint64_t) slot * g->buf_size,
        .len = g->buf_size, .write = true,
    };
    int head = virtq_driver_add(&g->rx, &b, 1);
    if (head < 0) {
        return head;
    }
    g->rx_slot[head] = slot;
    return 0;
}

static void
kick(struct probe_guest *g, struct virtq_driver *vq, int idx)
{
    uint64_t one = 1;
    if (virtq_driver_kick_needed(vq) && write(g->kick_fd[idx], &one, sizeof one) < 0) {
        /* eventfd writes fail only on counter overflow: harmless */
    }
}

static int
guest_connect(struct probe_guest *g, const struct probe_opts *o)
{
    struct vhost_frontend_config cfg = {
        .path = o->paths[0], .server = o->server,
        .features = VHOST_BIT(VIRTIO_F_VERSION_1) | VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES),
        .protocol_features = VHOST_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK)
                             | VHOST_BIT(VHOST_USER_PROTOCOL_F_MQ),
        .n_queue_pairs = 1,
    };
    int err = vhost_frontend_create(&cfg, NULL, NULL, &g->fe);
    if (err) {
        return err;
    }
    struct vhost_frontend_region r = {
        .gpa = 0, .size = g->mem_size, .uva = (uintptr_t) g->mem,
        .mmap_offset = 0, .fd = g->mem_fd,
    };
    /* Recorded now, sent by the handshake/replay once connected. */
    err = vhost_frontend_set_mem_table(g->fe, &r, 1);
    for (int i = 0; i < 2 && (!err || err == -ENOTCONN); i++) {
        struct virtq_driver *vq = i == RX_VRING ? &g->rx : &g->tx;
        struct virtq_config vc;
        virtq_driver_device_config(vq, (uintptr_t) g->mem, &vc);
        struct vhost_frontend_vring v = {
            .num = RING_SIZE, .base = 0, .desc_uva = vc.desc_uva,
            .avail_uva = vc.avail_uva, .used_uva = vc.used_uva,
            .kick_fd = g->kick_fd[i], .call_fd = g->call_fd[i],
        };
        err = vhost_frontend_set_vring(g->fe, i, &v);
        if (!err || err == -ENOTCONN) {
            err = vhost_frontend_set_vring_enable(g->fe, i, true);
        }
    }
    if (err && err != -ENOTCONN) {
        return err;
    }
    return vhost_frontend_wait_ready(g->fe, (int) (o->timeout * 1000));
}

static void
guest_close(struct probe_guest *g)
{
    vhost_frontend_destroy(g->fe);
    virtq_driver_uninit(&g->rx);
    virtq_driver_uninit(&g->tx);
    for (int i = 0; i < 2; i++) {
        if (g->kick_fd[i] >= 0) close(g->kick_fd[i]);
        if (g->call_fd[i] >= 0) close(g->call_fd[i]);
    }
    if (g->mem) {
        munmap(g->mem, g->mem_size);
    }
    if (g->mem_fd >= 0) {
        close(g->mem_fd);
    }
}

/* Sends frames within the window; reclaims finished TX buffers. */
static int
guest_send(struct probe_guest *g, const struct probe_opts *o, struct probe_stream *s)
{
    uint32_t id, len;
    int r;
    while ((r = virtq_driver_get_used(&g->tx, &id, &len)) == 1) {
        g->tx_free[g->n_tx_free++] = g->tx_slot[id];
    }
    if (r < 0) {
        s->bad_ring++;
        return r;
    }
    bool added = false;
    if (!probe_warm(s)) {
        if (g->n_tx_free && probe_warmup_due(s, probe_now())) {
            uint16_t slot = g->tx_free[--g->n_tx_free];
            uint8_t *buf = g->tx_bufs + (size_t) slot * g->buf_size;
            memset(buf, 0, g->hdr_len);
            frame_pattern_build(buf + g->hdr_len, FRAME_PATTERN_MIN_LEN, PROBE_WARMUP,
                                s->warmup_sent);
            struct virtq_driver_buf b = {
                .gpa = g->tx_bufs_gpa + (uint64_t) slot * g->buf_size,
                .len = g->hdr_len + FRAME_PATTERN_MIN_LEN, .write = false,
            };
            int head = virtq_driver_add(&g->tx, &b, 1);
            if (head < 0) {
                g->n_tx_free++;
                return 0;
            }
            g->tx_slot[head] = slot;
            s->warmup_sent++;
            kick(g, &g->tx, TX_VRING);
        }
        return 0;
    }
    while (g->n_tx_free && s->sent - s->rx.received < o->window
           && (!o->frames || s->sent < o->frames)) {
        uint16_t slot = g->tx_free[g->n_tx_free - 1];
        uint8_t *buf = g->tx_bufs + (size_t) slot * g->buf_size;
        size_t flen = frame_pattern_len(s->sent, o->min_len, o->max_len);
        memset(buf, 0, g->hdr_len); /* no offloads: flags 0, GSO_NONE */
        frame_pattern_build(buf + g->hdr_len, flen, 0, s->sent);
        struct virtq_driver_buf b = {
            .gpa = g->tx_bufs_gpa + (uint64_t) slot * g->buf_size,
            .len = g->hdr_len + flen, .write = false,
        };
        int head = virtq_driver_add(&g->tx, &b, 1);
        if (head < 0) {
            s->no_room++;
            break;
        }
        g->tx_slot[head] = slot;
        g->n_tx_free--;
        s->sent++;
        added = true;
    }
    if (added) {
        kick(g, &g->tx, TX_VRING);
    }
    return 0;
}

/* Verifies received frames and gives their buffers back. */
static int
guest_receive(struct probe_guest *g, struct probe_stream *s)
{
    uint32_t id, len;
    int r;
    bool posted = false;
    while ((r = virtq_driver_get_used(&g->rx, &id, &len)) == 1) {
        uint16_t slot = g->rx_slot[id];
        const uint8_t *buf = g->rx_bufs + (size_t) slot * g->buf_size;
        uint8_t sid;
        uint32_t seq;
        if (len < g->hdr_len || len > g->buf_size
            || frame_pattern_check(buf + g->hdr_len, len - g->hdr_len, &sid, &seq)
            || !probe_account(s, 1, sid, seq)) {
            s->foreign++;
        }
        if (guest_post_rx(g, slot)) {
            return -EIO;
        }
        posted = true;
    }
    if (posted) {
        kick(g, &g->rx, RX_VRING);
    }
    if (r < 0) {
        s->bad_ring++;
    }
    return r < 0 ? r : 0;
}

static void
drain_calls(struct probe_guest *g)
{
    uint64_t v;
    for (int i = 0; i < 2; i++) {
        while (read(g->call_fd[i], &v, sizeof v) == sizeof v) {
        }
    }
}

static int
exchange(struct probe_guest *g, const struct probe_opts *o, struct probe_stream *s)
{
    struct probe_pace pace;
    int err = 0;
    probe_pace_start(&pace);
    while (!err) {
        err = vhost_frontend_process(g->fe, 0);
        if (!err && !vhost_frontend_is_ready(g->fe)) {
            fprintf(stderr, "rsw-vhost-probe: the backend went away\n");
            err = -ECONNRESET;
        }
        if (!err && !pace.draining) {
            err = guest_send(g, o, s);
        }
        if (!err) {
            err = guest_receive(g, s);
        }
        drain_calls(g);
        if (probe_pace_step(&pace, o, s, 1)) {
            break;
        }
    }
    probe_print_result("frontend", o, s, 1, 1, probe_pace_finish(&pace, o));
    return err ? err : probe_stream_ok(o, s) ? 0 : -EIO;
}

int
probe_run_frontend(const struct probe_opts *o)
{
    struct probe_guest g = {.mem_fd = -1, .kick_fd = {-1, -1}, .call_fd = {-1, -1}};
    struct probe_stream s;
    memset(&s, 0, sizeof s);

    int err = guest_map(&g, o);
    if (!err) {
        err = guest_rings(&g);
    }
    for (uint16_t i = 0; i < RING_SIZE && !err; i++) {
        err = guest_post_rx(&g, i);
    }
    if (err) {
        fprintf(stderr, "rsw-vhost-probe: guest memory: %s\n", strerror(-err));
        goto out;
    }
    err = guest_connect(&g, o);
    if (err) {
        fprintf(stderr, "rsw-vhost-probe: %s: vhost-user setup failed: %s\n",
                o->paths[0], strerror(-err));
        goto out;
    }
    g.hdr_len = virtio_net_hdr_len(vhost_frontend_features(g.fe));
    err = exchange(&g, o, &s);
out:
    guest_close(&g);
    return err;
}
