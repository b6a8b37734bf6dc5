/* SPDX-License-Identifier: Apache-2.0 */
/* vhost-user port provider ("vhostuser": we listen on options:path;
 * "vhostuserclient": we connect to options:server-path and reconnect
 * forever), on the vhost/ library.  One queue pair per port.
 *
 * Ring handover.  The library announces ready rings from the control
 * thread (vring_state).  We publish the virtq pointer with a release store
 * after everything PMDs read with it (header length, mergeable flag); a
 * PMD loads it once per burst with acquire.  When a ring stops we clear the
 * pointer and synchronize with the PMDs before returning, as the library
 * requires (the virtq is destroyed right after the callback).
 *
 * Zero-copy rx: see dp_packet.h.  The popped chains live in this port's
 * per-rx-queue storage until rx_release returns them. */
#include "port.h"
#include "numa_mem.h"

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

#define GUEST_RX_VRING 0   /* virtio-net: our tx */
#define GUEST_TX_VRING 1   /* virtio-net: our rx */
#define ETH_HDR_LEN 14

/* What a PMD needs to use one ring; replaced, never modified in place. */
struct vhost_ring {
    struct virtq *vq;
    size_t hdr_len;
    bool mergeable;
};

struct port_vhost {
    struct port up;
    struct port_hooks hooks;
    struct vhost_backend *be;
    struct vhost_endpoint *ep;
    bool client;

    /* Published to PMDs (acquire/release pointers); the storage for each
     * is the 'rings' slot of the same index. */
    struct vhost_ring *rx_ring, *tx_ring;
    struct vhost_ring rings[2];
    /* NUMA node of the rx ring's memory (numa_mem.h), -1 unknown; control
     * thread only. */
    int rx_numa;

    /* Rx queue state, touched only by the PMD polling it. */
    struct vhost_ring *rx_burst_ring;   /* ring of the chains below */
    unsigned n_chains;
    bool rx_broken_seen;
    struct virtq_chain chains[DP_PACKET_BATCH_MAX];

    /* Tx: several PMDs may send here. */
    int tx_lock;
    bool tx_broken_seen;
};

static struct port_vhost *
port_vhost_cast(const struct port *p)
{
    return (struct port_vhost *) p;
}

static void
tx_lock(struct port_vhost *pv)
{
    while (__atomic_exchange_n(&pv->tx_lock, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&pv->tx_lock, __ATOMIC_RELAXED)) {
            __builtin_ia32_pause();
        }
    }
}

static void
tx_unlock(struct port_vhost *pv)
{
    __atomic_store_n(&pv->tx_lock, 0, __ATOMIC_RELEASE);
}

/* Where the guest put the ring we poll: the node of its descriptor table's
 * page, as the kernel reports it (the frontend placed the memory). */
static void
rx_ring_locate(struct port_vhost *pv, const struct virtq *vq)
{
    int node = numa_mem_node(virtq_desc_hva(vq));

    if (node < 0) {
        RSW_LOG(RSW_LOG_INFO, "%s: NUMA node of the rx ring unknown (%s)",
                pv->up.name, strerror(-node));
    }
    pv->rx_numa = node < 0 ? -1 : node;
}

static void
vring_state(void *ctx, unsigned qidx, struct virtq *vq, bool ready)
{
    struct port_vhost *pv = ctx;
    struct vhost_ring **slot;
    struct vhost_ring *ring;

    if (qidx == GUEST_TX_VRING) {
        slot = &pv->rx_ring;
        ring = &pv->rings[0];
    } else if (qidx == GUEST_RX_VRING) {
        slot = &pv->tx_ring;
        ring = &pv->rings[1];
    } else {
        return;     /* more queue pairs are not offered */
    }
    if (!ready) {
        __atomic_store_n(slot, NULL, __ATOMIC_RELEASE);
        /* No PMD may touch the virtq once we return. */
        pv->hooks.synchronize(pv->hooks.aux);
        /* A broken queue is counted once per break: the next ring starts
         * clean.  Reset here, not when a PMD sees no ring, since a ring
         * stopped and restarted between two bursts is never seen absent.
         * No PMD reads these flags while the slot is empty. */
        if (qidx == GUEST_TX_VRING) {
            pv->rx_broken_seen = false;
        } else {
            tx_lock(pv);
            pv->tx_broken_seen = false;
            tx_unlock(pv);
        }
        if (qidx == GUEST_TX_VRING) {
            pv->rx_numa = -1;
        }
        RSW_LOG(RSW_LOG_INFO, "%s: vring %u stopped", pv->up.name, qidx);
        return;
    }
    ring->vq = vq;
    ring->hdr_len = vhost_backend_hdr_len(pv->be);
    ring->mergeable = vhost_backend_features(pv->be)
                      & VHOST_BIT(VIRTIO_NET_F_MRG_RXBUF);
    /* Poll mode: ask the driver not to kick us. */
    virtq_set_kick_wanted(vq, false);
    __atomic_store_n(slot, ring, __ATOMIC_RELEASE);
    if (qidx == GUEST_TX_VRING) {
        rx_ring_locate(pv, vq);
    }
    RSW_LOG(RSW_LOG_INFO, "%s: vring %u ready (size %u)", pv->up.name, qidx,
            virtq_size(vq));
}

/* (Connections are logged by the library, under the port's name.) */
static const struct vhost_backend_ops port_vhost_backend_ops = {
    .vring_state = vring_state,
};

static int
check_args(const char *type, const struct port_args *args, bool client,
           const char **path, char *err, size_t esz)
{
    const char *want = client ? "server-path" : "path";

    for (unsigned i = 0; i < args->n; i++) {
        if (strcmp(args->args[i].key, want)) {
            snprintf(err, esz, "%s: unknown option '%s' (supported: %s)",
                     type, args->args[i].key, want);
            return -EINVAL;
        }
    }
    *path = port_args_get(args, want);
    if (!*path || !**path) {
        snprintf(err, esz, "%s port needs options:%s=SOCKET", type, want);
        return -EINVAL;
    }
    return 0;
}

static int
port_vhost_construct(const char *type, const char *name,
                     const struct port_args *args,
                     const struct port_hooks *hooks, struct port **out,
                     char *err, size_t esz)
{
    struct vhost_backend_config cfg = {.name = name, .max_queue_pairs = 1};
    bool client = !strcmp(type, "vhostuserclient");
    struct port_vhost *pv;
    const char *path;
    int e;

    if (strcmp(type, "vhostuser") && !client) {
        snprintf(err, esz, "unknown interface type '%s'", type);
        return -EINVAL;
    }
    e = check_args(type, args, client, &path, err, esz);
    if (e) {
        return e;
    }
    pv = calloc(1, sizeof *pv);
    if (!pv) {
        snprintf(err, esz, "out of memory");
        return -ENOMEM;
    }
    pv->up.class = &port_vhost_class;
    snprintf(pv->up.name, sizeof pv->up.name, "%s", name);
    snprintf(pv->up.type, sizeof pv->up.type, "%s", type);
    pv->hooks = *hooks;
    pv->client = client;
    pv->rx_numa = -1;
    e = vhost_backend_create(&cfg, &port_vhost_backend_ops, pv, &pv->be);
    if (e) {
        snprintf(err, esz, "vhost backend: %s", strerror(-e));
        goto err_free;
    }
    e = vhost_endpoint_create_backend(path, !client, pv->be, &pv->ep);
    if (e) {
        snprintf(err, esz, "%s: %s", path, strerror(-e));
        goto err_backend;
    }
    *out = &pv->up;
    return 0;

err_backend:
    vhost_backend_destroy(pv->be);
err_free:
    free(pv);
    return e;
}

static void
port_vhost_destruct(struct port *p)
{
    struct port_vhost *pv = port_vhost_cast(p);

    /* The endpoint's teardown resets the backend, which stops the rings
     * through vring_state(false) (synchronized) before unmapping. */
    vhost_endpoint_destroy(pv->ep);
    vhost_backend_destroy(pv->be);
    free(pv);
}

static unsigned
port_vhost_n_rxq(const struct port *p RSW_UNUSED)
{
    return 1;
}

static int
port_vhost_rxq_numa(const struct port *p, unsigned qid RSW_UNUSED)
{
    /* Unknown (-1) until the ring is ready. */
    return port_vhost_cast(p)->rx_numa;
}

/* Advances 'iov' past 'skip' bytes; returns the first remaining index. */
static unsigned
iov_skip(struct iovec *iov, unsigned n, size_t skip)
{
    unsigned i = 0;

    while (i < n && skip >= iov[i].iov_len) {
        skip -= iov[i++].iov_len;
    }
    if (i < n && skip) {
        iov[i].iov_base = (uint8_t *) iov[i].iov_base + skip;
        iov[i].iov_len -= skip;
    }
    return i;
}

/* Checks one popped TX chain; a refused one is returned with length 0. */
static bool
rx_chain_ok(struct port_vhost *pv, const struct vhost_ring *ring,
            struct virtq_chain *c)
{
    enum port_drop_reason why;

    if (c->error != VIRTQ_CHAIN_OK) {
        why = PORT_DROP_BAD_DESC;
        RSW_LOG_RL(RSW_LOG_WARN, "%s: bad tx descriptor chain: %s",
                   pv->up.name, virtq_chain_error_name(c->error));
    } else if (c->n_in || c->out_len < ring->hdr_len) {
        why = PORT_DROP_BAD_DESC;
        RSW_LOG_RL(RSW_LOG_WARN, "%s: tx chain %s", pv->up.name,
                   c->n_in ? "has device-writable buffers"
                           : "shorter than the virtio-net header");
    } else if (c->out_len - ring->hdr_len < ETH_HDR_LEN) {
        why = PORT_DROP_RUNT;
    } else {
        return true;
    }
    port_stat_add(&pv->up.stats.drops[why], 1);
    virtq_push_used(ring->vq, c->head, 0);
    return false;
}

static void
rx_make_packet(const struct vhost_ring *ring, struct virtq_chain *c,
               struct dp_packet *pkt, unsigned slot)
{
    uint32_t frame_len = c->out_len - (uint32_t) ring->hdr_len;
    unsigned first;

    pkt->frame_len = frame_len;
    pkt->copy_len = frame_len < DP_PACKET_HDR_COPY ? frame_len
                                                   : DP_PACKET_HDR_COPY;
    virtq_iov_read(c->iov, c->n_out, ring->hdr_len, pkt->hdr, pkt->copy_len);
    first = iov_skip(c->iov, c->n_out, ring->hdr_len + pkt->copy_len);
    pkt->tail = &c->iov[first];
    pkt->n_tail = (uint16_t) (c->n_out - first);
    pkt->slot = (uint16_t) slot;
}

static void
rx_broken(struct port_vhost *pv)
{
    if (!pv->rx_broken_seen) {
        pv->rx_broken_seen = true;
        port_stat_add(&pv->up.stats.drops[PORT_DROP_QUEUE_BROKEN], 1);
        RSW_LOG_RL(RSW_LOG_ERR, "%s: frontend broke its tx queue: port stops "
                   "receiving until the ring is set up again", pv->up.name);
    }
}

/* The first frame byte of an accepted chain: prefetched while the rest of
 * the burst is popped, so the header copies do not each wait for a line
 * the guest's core wrote. */
static void
rx_prefetch_frame(const struct vhost_ring *ring, const struct virtq_chain *c)
{
    size_t skip = ring->hdr_len;

    for (unsigned i = 0; i < c->n_out; i++) {
        if (skip < c->iov[i].iov_len) {
            __builtin_prefetch((const uint8_t *) c->iov[i].iov_base + skip);
            return;
        }
        skip -= c->iov[i].iov_len;
    }
}

static unsigned
port_vhost_rx_burst(struct port *p, unsigned qid RSW_UNUSED,
                    struct dp_packet_batch *batch)
{
    struct port_vhost *pv = port_vhost_cast(p);
    struct vhost_ring *ring = __atomic_load_n(&pv->rx_ring, __ATOMIC_ACQUIRE);
    unsigned got = 0, bytes = 0, room = DP_PACKET_BATCH_MAX - batch->n;

    pv->rx_burst_ring = ring;
    pv->n_chains = 0;
    if (!ring) {
        return 0;
    }
    virtq_prefetch_avail(ring->vq, room);
    /* Pass 1: pop and check every chain of the burst. */
    while (pv->n_chains < room) {
        struct virtq_chain *c = &pv->chains[pv->n_chains];
        int r = virtq_pop(ring->vq, c);
        if (r <= 0) {
            if (r < 0) {
                rx_broken(pv);
            }
            break;
        }
        if (!rx_chain_ok(pv, ring, c)) {
            continue;           /* already returned to the guest */
        }
        rx_prefetch_frame(ring, c);
        pv->n_chains++;
    }
    /* Pass 2: the header copies. */
    for (unsigned i = 0; i < pv->n_chains; i++) {
        struct virtq_chain *c = &pv->chains[i];
        rx_make_packet(ring, c, &batch->pkts[batch->n++], i);
        bytes += c->out_len - (uint32_t) ring->hdr_len;
        got++;
    }
    port_stat_add(&p->stats.rx_packets, got);
    port_stat_add(&p->stats.rx_bytes, bytes);
    return got;
}

static void
port_vhost_rx_release(struct port *p, unsigned qid RSW_UNUSED)
{
    struct port_vhost *pv = port_vhost_cast(p);
    struct vhost_ring *ring = pv->rx_burst_ring;

    if (!ring) {
        return;
    }
    /* TX buffers: the device writes nothing, used length 0 (§5.1.6.2). */
    for (unsigned i = 0; i < pv->n_chains; i++) {
        virtq_push_used(ring->vq, pv->chains[i].head, 0);
    }
    virtq_flush_and_notify(ring->vq);
    pv->n_chains = 0;
    pv->rx_burst_ring = NULL;
}

/* Maps a push failure to a drop reason; true if the queue is unusable for
 * the rest of the batch. */
static bool
tx_error(struct port_vhost *pv, enum virtio_net_xfer_error e,
         enum port_drop_reason *why)
{
    switch (e) {
    case VIRTIO_NET_ERR_NO_BUFS:
    case VIRTIO_NET_ERR_EMPTY:
        *why = PORT_DROP_TX_NO_ROOM;
        return true;
    case VIRTIO_NET_ERR_TOO_BIG:
        *why = PORT_DROP_TOO_BIG;
        return false;
    case VIRTIO_NET_ERR_BROKEN:
        *why = PORT_DROP_QUEUE_BROKEN;
        if (!pv->tx_broken_seen) {
            pv->tx_broken_seen = true;
            RSW_LOG_RL(RSW_LOG_ERR, "%s: frontend broke its rx queue",
                       pv->up.name);
        }
        return true;
    case VIRTIO_NET_OK:
    case VIRTIO_NET_ERR_BAD_DESC:
    case VIRTIO_NET_ERR_SHORT_HDR:
    case VIRTIO_NET_ERR_WRONG_DIR:
    default:
        *why = PORT_DROP_BAD_DESC;
        RSW_LOG_RL(RSW_LOG_WARN, "%s: rx buffer refused: %s", pv->up.name,
                   virtio_net_xfer_error_name(e));
        return false;
    }
}

static void
port_vhost_tx_batch(struct port *p, struct dp_packet *const pkts[],
                    unsigned n)
{
    static const struct virtio_net_hdr hdr = {
        .gso_type = VIRTIO_NET_HDR_GSO_NONE,
    };
    struct port_vhost *pv = port_vhost_cast(p);
    uint64_t drops[PORT_DROP_N] = {0};
    uint64_t sent = 0, bytes = 0;
    struct vhost_ring *ring;
    unsigned i = 0;

    tx_lock(pv);
    ring = __atomic_load_n(&pv->tx_ring, __ATOMIC_ACQUIRE);
    if (!ring) {
        drops[PORT_DROP_TX_NOT_READY] = n;
        i = n;
    }
    if (ring) {
        /* The guest's RX descriptors, written by its core. */
        virtq_prefetch_avail(ring->vq, n);
    }
    for (; i < n; i++) {
        struct iovec iov[DP_PACKET_MAX_IOV];
        unsigned n_iov = dp_packet_iov(pkts[i], iov);
        enum virtio_net_xfer_error e = virtio_net_rx_push(
            ring->vq, ring->hdr_len, ring->mergeable, &hdr, iov, n_iov);
        enum port_drop_reason why;

        if (RSW_LIKELY(e == VIRTIO_NET_OK)) {
            sent++;
            bytes += pkts[i]->frame_len;
        } else if (tx_error(pv, e, &why)) {
            drops[why] += n - i;
            break;
        } else {
            drops[why]++;
        }
    }
    if (ring) {
        /* One used-index update and at most one interrupt per batch. */
        virtq_flush_and_notify(ring->vq);
    }
    tx_unlock(pv);
    port_stat_add(&p->stats.tx_packets, sent);
    port_stat_add(&p->stats.tx_bytes, bytes);
    for (int r = 0; r < PORT_DROP_N; r++) {
        port_stat_add(&p->stats.drops[r], drops[r]);
    }
}

static int
port_vhost_control_fd(const struct port *p)
{
    return vhost_endpoint_fd(port_vhost_cast(p)->ep);
}

static void
port_vhost_run(struct port *p)
{
    struct port_vhost *pv = port_vhost_cast(p);
    int err = vhost_endpoint_process(pv->ep, 0);

    if (err < 0 && err != -EAGAIN) {
        RSW_LOG_RL(RSW_LOG_ERR, "%s: vhost-user endpoint: %s", p->name,
                   strerror(-err));
    }
}

static void
port_vhost_get_status(const struct port *p, char *buf, size_t size)
{
    struct port_vhost *pv = port_vhost_cast(p);
    bool conn = vhost_endpoint_is_connected(pv->ep);
    bool rx = __atomic_load_n(&pv->rx_ring, __ATOMIC_ACQUIRE) != NULL;
    bool tx = __atomic_load_n(&pv->tx_ring, __ATOMIC_ACQUIRE) != NULL;

    snprintf(buf, size, "%s %s, %s", pv->client ? "client of" : "server on",
             vhost_endpoint_path(pv->ep),
             !conn ? "not connected"
             : rx && tx ? "connected, rings ready" : "connected, rings down");
}

const struct port_class port_vhost_class = {
    .type = "vhostuser",
    .construct = port_vhost_construct,
    .destruct = port_vhost_destruct,
    .n_rxq = port_vhost_n_rxq,
    .rxq_numa = port_vhost_rxq_numa,
    .rx_burst = port_vhost_rx_burst,
    .rx_release = port_vhost_rx_release,
    .tx_batch = port_vhost_tx_batch,
    .control_fd = port_vhost_control_fd,
    .run = port_vhost_run,
    .get_status = port_vhost_get_status,
};
