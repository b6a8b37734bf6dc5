/* SPDX-License-Identifier: Apache-2.0 */
/* vhost-user port provider ("vhostuser": we listen on options:path;
 * "vhostuserclient": we connect to options:server-path and reconnect
 * forever), on the vhost/ library.
 *
 * Multiqueue (virtio 1.1 §5.1.6.5.5, vhost-user "Multiple queue support").
 * options:n_rxq=N (1..64, default 1) queue pairs are offered: GET_QUEUE_NUM
 * answers N and VIRTIO_NET_F_MQ is offered.  Pair q is vring 2q (the
 * guest's RX: our tx) and vring 2q+1 (the guest's TX: our rx).  The port
 * reports N rx queues to the PMD scheduler, one per pair.  The datapath
 * builds its rx queue list when a port is added, so N is fixed: where
 * OVS-DPDK re-configures a vhost port to the number of queues the frontend
 * enables, here N is the ceiling the user sets and the frontend enables
 * any subset of it at any time (SET_VRING_ENABLE).  A pair that is not
 * enabled costs its PMD one pointer load per poll; its ring is never
 * touched.  A frontend naming a vring at or beyond 2N is refused by the
 * library (vhost_user_check, counted as refused "bad vring") and the count
 * appears in the port's status.
 *
 * Ring handover.  The library announces ready rings from the control
 * thread (vring_state).  We publish the ring's pointer with a release
 * store after everything PMDs read with it (header length, mergeable
 * flag); a PMD loads it once per burst with acquire.  When a ring stops we
 * clear the pointer and synchronize with the PMDs before returning, as the
 * library requires (the virtq is destroyed right after the callback).
 *
 * Tx queue choice.  Several PMDs may send to one port.  Each sending
 * thread draws a small number on its first send and uses pair (number mod
 * N), or the next enabled pair when that one is not.  PMDs draw the first
 * numbers, so with at least as many enabled pairs as PMDs each PMD has a
 * virtqueue of its own, as with OVS's per-PMD tx queues.  When two do meet
 * on one (fewer pairs than PMDs, or pairs disabled) a spinlock per tx
 * queue serialises them: a virtqueue has one writer at a time, and an
 * uncontended lock costs one atomic exchange per batch.
 *
 * Zero-copy rx: see dp_packet.h.  The popped chains live in the rx queue's
 * storage until rx_release returns them. */
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

#define ETH_HDR_LEN 14
#define CACHE_LINE 64

/* What a PMD needs to use one ring; replaced, never modified in place. */
struct vhost_ring {
    struct virtq *vq;
    size_t hdr_len;
    bool mergeable;
};

/* Rx queue 'q': the guest's TX vring 2q+1. */
struct vhost_rxq {
    struct vhost_ring *ring;     /* published to PMDs; NULL: not ready */
    struct vhost_ring storage;   /* what 'ring' points at */
    int numa;                    /* node of the ring's memory, -1 unknown;
                                  * control thread only */
    /* Touched only by the PMD polling this queue. */
    struct vhost_ring *burst_ring;      /* ring of the chains below */
    unsigned n_chains;
    uint32_t refused;            /* bit i: chains[i] was dropped, no packet */
    bool broken_seen;
    struct virtq_chain chains[DP_PACKET_BATCH_MAX];
} __attribute__((aligned(CACHE_LINE)));
_Static_assert(DP_PACKET_BATCH_MAX <= 32, "vhost_rxq.refused is 32 bits");

/* Tx queue 'q': the guest's RX vring 2q. */
struct vhost_txq {
    struct vhost_ring *ring;     /* published to PMDs; NULL: not ready */
    struct vhost_ring storage;
    int lock;                    /* one sender at a time */
    bool broken_seen;            /* under 'lock' */
} __attribute__((aligned(CACHE_LINE)));

struct port_vhost {
    struct port up;
    struct port_hooks hooks;
    struct vhost_backend *be;
    struct vhost_endpoint *ep;
    bool client;
    unsigned n_qp;               /* queue pairs offered (options:n_rxq) */
    struct vhost_rxq *rxqs;      /* [n_qp] */
    struct vhost_txq *txqs;      /* [n_qp] */
};

static struct port_vhost *
port_vhost_cast(const struct port *p)
{
    return (struct port_vhost *) p;
}

/* Where the guest put the ring we poll: the node of its descriptor table's
 * page, as the kernel reports it (the frontend placed the memory). */
static void
rx_ring_locate(struct port_vhost *pv, struct vhost_rxq *rxq,
               const struct virtq *vq)
{
    int node = numa_mem_node(virtq_desc_hva(vq));

    if (node < 0) {
        RSW_LOG(RSW_LOG_INFO, "%s: NUMA node of an rx ring unknown (%s)",
                pv->up.name, strerror(-node));
    }
    rxq->numa = node < 0 ? -1 : node;
}

/* Ring 'qidx' stops: no PMD may touch its virtq once we return. */
static void
vring_stop(struct port_vhost *pv, unsigned qidx)
{
    unsigned q = qidx / 2;

    if (qidx & 1) {
        struct vhost_rxq *rxq = &pv->rxqs[q];
        __atomic_store_n(&rxq->ring, NULL, __ATOMIC_RELEASE);
        pv->hooks.synchronize(pv->hooks.aux);
        /* A broken queue is counted once per break: the next ring starts
         * clean.  Reset here, not when a PMD sees no ring, since a ring
         * stopped and restarted between two bursts is never seen absent.
         * No PMD reads the flag while the slot is empty. */
        rxq->broken_seen = false;
        rxq->numa = -1;
    } else {
        struct vhost_txq *txq = &pv->txqs[q];
        __atomic_store_n(&txq->ring, NULL, __ATOMIC_RELEASE);
        pv->hooks.synchronize(pv->hooks.aux);
        port_spin_lock(&txq->lock);
        txq->broken_seen = false;
        port_spin_unlock(&txq->lock);
    }
    RSW_LOG(RSW_LOG_INFO, "%s: vring %u stopped", pv->up.name, qidx);
}

static void
vring_state(void *ctx, unsigned qidx, struct virtq *vq, bool ready)
{
    struct port_vhost *pv = ctx;
    struct vhost_ring **slot, *ring;
    unsigned q = qidx / 2;

    if (q >= pv->n_qp) {
        /* Cannot happen: the library refuses vring indices beyond
         * 2 * max_queue_pairs before any handler runs. */
        RSW_LOG(RSW_LOG_ERR, "%s: vring %u beyond %u queue pairs ignored",
                pv->up.name, qidx, pv->n_qp);
        return;
    }
    if (!ready) {
        vring_stop(pv, qidx);
        return;
    }
    slot = qidx & 1 ? &pv->rxqs[q].ring : &pv->txqs[q].ring;
    ring = qidx & 1 ? &pv->rxqs[q].storage : &pv->txqs[q].storage;
    ring->vq = vq;
    ring->hdr_len = vhost_backend_hdr_len(pv->be);
    ring->mergeable = vhost_backend_features(pv->be)
                      & VHOST_BIT(VIRTIO_NET_F_MRG_RXBUF);
    /* Poll mode: ask the driver not to kick us. */
    virtq_set_kick_wanted(vq, false);
    if (qidx & 1) {
        rx_ring_locate(pv, &pv->rxqs[q], vq);
    }
    __atomic_store_n(slot, ring, __ATOMIC_RELEASE);
    RSW_LOG(RSW_LOG_INFO, "%s: vring %u ready (size %u)", pv->up.name, qidx,
            virtq_size(vq));
}

/* (Connections are logged by the library, under the port's name.) */
static const struct vhost_backend_ops port_vhost_backend_ops = {
    .vring_state = vring_state,
};

static int
check_args(const char *type, const struct port_args *args, bool client,
           const char **path, unsigned *n_qp, char *err, size_t esz)
{
    const char *want = client ? "server-path" : "path";

    for (unsigned i = 0; i < args->n; i++) {
        if (strcmp(args->args[i].key, want)
            && strcmp(args->args[i].key, "n_rxq")) {
            snprintf(err, esz, "%s: unknown option '%s' (supported: %s, "
                     "n_rxq)", type, args->args[i].key, want);
            return -EINVAL;
        }
    }
    *path = port_args_get(args, want);
    if (!*path || !**path) {
        snprintf(err, esz, "%s port needs options:%s=SOCKET", type, want);
        return -EINVAL;
    }
    /* Queue pairs offered: 1..VHOST_BACKEND_MAX_QUEUE_PAIRS. */
    static const struct port_uint_option n_rxq = {
        "n_rxq", "queue pairs", 1, 1, VHOST_BACKEND_MAX_QUEUE_PAIRS};
    return port_args_get_uint(args, type, &n_rxq, n_qp, err, esz);
}

/* Zeroed, cache-line aligned queue arrays (a PMD's queue shares no line
 * with another PMD's). */
static void *
queues_alloc(unsigned n, size_t size)
{
    void *p = aligned_alloc(CACHE_LINE, n * size);

    if (p) {
        memset(p, 0, n * size);
    }
    return p;
}

static struct port_vhost *
port_vhost_alloc(unsigned n_qp)
{
    struct port_vhost *pv = calloc(1, sizeof *pv);

    if (!pv) {
        return NULL;
    }
    pv->n_qp = n_qp;
    pv->rxqs = queues_alloc(n_qp, sizeof *pv->rxqs);
    pv->txqs = queues_alloc(n_qp, sizeof *pv->txqs);
    if (!pv->rxqs || !pv->txqs) {
        free(pv->rxqs);
        free(pv->txqs);
        free(pv);
        return NULL;
    }
    for (unsigned q = 0; q < n_qp; q++) {
        pv->rxqs[q].numa = -1;
    }
    return pv;
}

static void
port_vhost_free(struct port_vhost *pv)
{
    free(pv->rxqs);
    free(pv->txqs);
    free(pv);
}

static int
port_vhost_construct(const char *type, const char *name,
                     const struct port_args *args,
                     const struct port_hooks *hooks, struct port **out,
                     char *err, size_t esz)
{
    struct vhost_backend_config cfg = {.name = name};
    bool client = !strcmp(type, "vhostuserclient");
    struct port_vhost *pv;
    const char *path;
    unsigned n_qp;
    int e;

    if (strcmp(type, "vhostuser") && !client) {
        snprintf(err, esz, "unknown interface type '%s'", type);
        return -EINVAL;
    }
    e = check_args(type, args, client, &path, &n_qp, err, esz);
    if (e) {
        return e;
    }
    pv = port_vhost_alloc(n_qp);
    if (!pv) {
        snprintf(err, esz, "out of memory");
        return -ENOMEM;
    }
    pv->up.class = &port_vhost_class;
    snprintf(pv->up.name, sizeof pv->up.name, "%s", name);
    snprintf(pv->up.type, sizeof pv->up.type, "%s", type);
    pv->hooks = *hooks;
    pv->client = client;
    cfg.max_queue_pairs = n_qp;
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
    port_vhost_free(pv);
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
    port_vhost_free(pv);
}

static unsigned
port_vhost_n_rxq(const struct port *p)
{
    return port_vhost_cast(p)->n_qp;
}

static int
port_vhost_rxq_numa(const struct port *p, unsigned qid)
{
    const struct port_vhost *pv = port_vhost_cast(p);

    /* Unknown (-1) until the ring is ready. */
    return qid < pv->n_qp ? pv->rxqs[qid].numa : -1;
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

/* Checks one popped TX chain; a refused one is counted and logged here and
 * returned with the rest of the burst, in order (VIRTIO_F_IN_ORDER, §2.6.9:
 * buffers are used in the order they were made available). */
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
rx_broken(struct port_vhost *pv, struct vhost_rxq *rxq)
{
    if (!rxq->broken_seen) {
        rxq->broken_seen = true;
        port_stat_add(&pv->up.stats.drops[PORT_DROP_QUEUE_BROKEN], 1);
        RSW_LOG_RL(RSW_LOG_ERR, "%s: frontend broke its tx queue %u: it is "
                   "not received from until the ring is set up again",
                   pv->up.name, (unsigned) (rxq - pv->rxqs));
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
port_vhost_rx_burst(struct port *p, unsigned qid,
                    struct dp_packet_batch *batch)
{
    struct port_vhost *pv = port_vhost_cast(p);
    struct vhost_rxq *rxq;
    struct vhost_ring *ring;
    unsigned got = 0, bytes = 0, room = DP_PACKET_BATCH_MAX - batch->n;

    if (RSW_UNLIKELY(qid >= pv->n_qp)) {
        return 0;               /* the datapath asks only for n_rxq queues */
    }
    rxq = &pv->rxqs[qid];
    /* A pair the frontend has not enabled: this load is all it costs. */
    ring = __atomic_load_n(&rxq->ring, __ATOMIC_ACQUIRE);
    rxq->burst_ring = ring;
    rxq->n_chains = 0;
    rxq->refused = 0;
    if (!ring) {
        return 0;
    }
    virtq_prefetch_avail(ring->vq, room);
    /* Pass 1: pop and check every chain of the burst. */
    while (rxq->n_chains < room) {
        struct virtq_chain *c = &rxq->chains[rxq->n_chains];
        int r = virtq_pop(ring->vq, c);
        if (r <= 0) {
            if (r < 0) {
                rx_broken(pv, rxq);
            }
            break;
        }
        if (RSW_UNLIKELY(!rx_chain_ok(pv, ring, c))) {
            rxq->refused |= UINT32_C(1) << rxq->n_chains;
        } else {
            rx_prefetch_frame(ring, c);
        }
        rxq->n_chains++;
    }
    /* Pass 2: the header copies. */
    for (unsigned i = 0; i < rxq->n_chains; i++) {
        struct virtq_chain *c = &rxq->chains[i];
        if (RSW_UNLIKELY(rxq->refused & (UINT32_C(1) << i))) {
            continue;
        }
        rx_make_packet(ring, c, &batch->pkts[batch->n++], i);
        bytes += c->out_len - (uint32_t) ring->hdr_len;
        got++;
    }
    port_stat_add(&p->stats.rx_packets, got);
    port_stat_add(&p->stats.rx_bytes, bytes);
    return got;
}

static void
port_vhost_rx_release(struct port *p, unsigned qid)
{
    struct port_vhost *pv = port_vhost_cast(p);
    struct vhost_rxq *rxq;
    struct vhost_ring *ring;

    if (RSW_UNLIKELY(qid >= pv->n_qp)) {
        return;
    }
    rxq = &pv->rxqs[qid];
    ring = rxq->burst_ring;
    if (!ring) {
        return;
    }
    /* TX buffers: the device writes nothing, used length 0 (§5.1.6.2). */
    for (unsigned i = 0; i < rxq->n_chains; i++) {
        virtq_push_used(ring->vq, rxq->chains[i].head, 0);
    }
    virtq_flush_and_notify(ring->vq);
    /* The next burst's frames, if the guest has queued them already. */
    virtq_prefetch_bufs(ring->vq, DP_PACKET_BATCH_MAX,
                        (uint32_t) ring->hdr_len, false);
    rxq->n_chains = 0;
    rxq->refused = 0;
    rxq->burst_ring = NULL;
}

/* Maps a push failure to a drop reason; true if the queue is unusable for
 * the rest of the batch. */
static bool
tx_error(struct port_vhost *pv, struct vhost_txq *txq,
         enum virtio_net_xfer_error e, enum port_drop_reason *why)
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
        if (!txq->broken_seen) {
            txq->broken_seen = true;
            RSW_LOG_RL(RSW_LOG_ERR, "%s: frontend broke its rx queue %u",
                       pv->up.name, (unsigned) (txq - pv->txqs));
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

/* This thread's number for tx queue choice, drawn on its first send. */
static unsigned
tx_thread_number(void)
{
    static unsigned next;
    static _Thread_local unsigned mine;     /* number + 1; 0: none yet */

    if (RSW_UNLIKELY(!mine)) {
        mine = __atomic_add_fetch(&next, 1, __ATOMIC_RELAXED);
    }
    return mine - 1;
}

/* The tx queue this thread sends on now: its own pair if enabled, else
 * the next enabled one; NULL if none is.  *ring is its ring, loaded once:
 * it stays valid until this PMD's next quiescent point (vring_stop). */
static struct vhost_txq *
tx_pick(struct port_vhost *pv, struct vhost_ring **ring)
{
    unsigned q = pv->n_qp > 1 ? tx_thread_number() % pv->n_qp : 0;

    for (unsigned i = 0; i < pv->n_qp; i++) {
        *ring = __atomic_load_n(&pv->txqs[q].ring, __ATOMIC_ACQUIRE);
        if (RSW_LIKELY(*ring != NULL)) {
            return &pv->txqs[q];
        }
        q = q + 1 < pv->n_qp ? q + 1 : 0;
    }
    return NULL;
}

/* The usual case for a burst: each packet fits one guest buffer made of
 * one descriptor.  Those are popped in one call and filled directly
 * (virtio_net_rx_fill_one), with no chain walk or cursor; at the first
 * packet that needs more (a chain, merged buffers, a buffer too small)
 * the rest is given back for tx_push's general path.  Returns how many
 * packets were sent. */
static unsigned
tx_push_one_bufs(const struct vhost_ring *ring,
                 const struct virtio_net_hdr *hdr,
                 struct dp_packet *const pkts[], unsigned n, uint64_t *bytes)
{
    struct virtq_buf bufs[DP_PACKET_BATCH_MAX];
    unsigned got = virtq_pop_bufs(ring->vq, true, bufs, n), i;

    for (i = 0; i < got; i++) {
        struct iovec iov[DP_PACKET_MAX_IOV];
        unsigned n_iov = dp_packet_iov(pkts[i], iov);
        uint32_t used = virtio_net_rx_fill_one(&bufs[i], ring->hdr_len, hdr,
                                               iov, n_iov);

        if (!used) {
            break;
        }
        virtq_push_used(ring->vq, bufs[i].head, used);
        *bytes += pkts[i]->frame_len;
    }
    if (i < got) {
        virtq_unpop(ring->vq, (uint16_t) (got - i));
    }
    return i;
}

/* Pushes pkts[0..n) into 'ring' (its queue locked); counts into 'drops';
 * returns the frames sent and their bytes. */
static uint64_t
tx_push(struct port_vhost *pv, struct vhost_txq *txq,
        const struct vhost_ring *ring, struct dp_packet *const pkts[],
        unsigned n, uint64_t *bytes, uint64_t drops[PORT_DROP_N])
{
    static const struct virtio_net_hdr hdr = {
        .gso_type = VIRTIO_NET_HDR_GSO_NONE,
    };
    uint64_t sent = 0;

    /* The guest's RX descriptors and buffers, last touched by its core:
     * asked for all at once, before the first store waits for one. */
    virtq_prefetch_bufs(ring->vq, n, (uint32_t) ring->hdr_len, true);
    sent = tx_push_one_bufs(ring, &hdr, pkts, n, bytes);
    for (unsigned i = (unsigned) sent; i < n; i++) {
        struct iovec iov[DP_PACKET_MAX_IOV];
        unsigned n_iov = dp_packet_iov(pkts[i], iov);
        enum virtio_net_xfer_error e = virtio_net_rx_push(
            ring->vq, ring->hdr_len, ring->mergeable, &hdr, iov, n_iov);
        enum port_drop_reason why;

        if (RSW_LIKELY(e == VIRTIO_NET_OK)) {
            sent++;
            *bytes += pkts[i]->frame_len;
        } else if (tx_error(pv, txq, e, &why)) {
            drops[why] += n - i;
            break;
        } else {
            drops[why]++;
        }
    }
    /* One used-index update and at most one interrupt per batch. */
    virtq_flush_and_notify(ring->vq);
    /* The buffers the next batch will likely fill: their lines travel
     * while this core serves other queues. */
    virtq_prefetch_bufs(ring->vq, DP_PACKET_BATCH_MAX,
                        (uint32_t) ring->hdr_len, true);
    return sent;
}

static void
port_vhost_tx_batch(struct port *p, struct dp_packet *const pkts[],
                    unsigned n)
{
    struct port_vhost *pv = port_vhost_cast(p);
    uint64_t drops[PORT_DROP_N] = {0};
    uint64_t sent = 0, bytes = 0;
    struct vhost_ring *ring = NULL;
    struct vhost_txq *txq = tx_pick(pv, &ring);

    if (!txq) {
        drops[PORT_DROP_TX_NOT_READY] = n;
    } else {
        port_spin_lock(&txq->lock);
        sent = tx_push(pv, txq, ring, pkts, n, &bytes, drops);
        port_spin_unlock(&txq->lock);
    }
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

/* Queue pairs with both rings ready. */
static unsigned
n_pairs_ready(const struct port_vhost *pv)
{
    unsigned n = 0;

    for (unsigned q = 0; q < pv->n_qp; q++) {
        n += __atomic_load_n(&pv->rxqs[q].ring, __ATOMIC_ACQUIRE) != NULL
             && __atomic_load_n(&pv->txqs[q].ring, __ATOMIC_ACQUIRE) != NULL;
    }
    return n;
}

static void
port_vhost_get_status(const struct port *p, char *buf, size_t size)
{
    struct port_vhost *pv = port_vhost_cast(p);
    const struct vhost_backend_stats *st = vhost_backend_get_stats(pv->be);
    uint64_t bad_vring = st->refused[VHOST_USER_REFUSED_BAD_VRING];
    bool conn = vhost_endpoint_is_connected(pv->ep);
    unsigned ready = n_pairs_ready(pv);
    bool pair0 = __atomic_load_n(&pv->rxqs[0].ring, __ATOMIC_ACQUIRE)
                 && __atomic_load_n(&pv->txqs[0].ring, __ATOMIC_ACQUIRE);
    char mq[64] = "", refused[96] = "";

    if (pv->n_qp > 1) {
        snprintf(mq, sizeof mq, ", %u/%u queue pairs ready", ready, pv->n_qp);
    }
    if (bad_vring) {
        /* vhost-user "Multiple queue support": indices at or beyond
         * 2 * GET_QUEUE_NUM were refused (vhost_user_check). */
        snprintf(refused, sizeof refused, ", refused %llu requests for "
                 "vring indices >= %u", (unsigned long long) bad_vring,
                 2 * pv->n_qp);
    }
    snprintf(buf, size, "%s %s, %s%s%s",
             pv->client ? "client of" : "server on",
             vhost_endpoint_path(pv->ep),
             !conn ? "not connected"
             : pair0 ? "connected, rings ready" : "connected, rings down",
             conn ? mq : "", refused);
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
