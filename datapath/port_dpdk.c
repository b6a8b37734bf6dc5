/* SPDX-License-Identifier: Apache-2.0 */
/* DPDK ethdev port provider, type "dpdk" (options: port_dpdk.h).
 *
 * Rx.  rte_eth_rx_burst fills the rx queue's own mbuf array.  Each frame's
 * first DP_PACKET_HDR_COPY bytes are copied into its dp_packet (the
 * classifier's private copy, dp_packet.h, read across segments), and
 * 'tail' points at the rest, one iovec per segment, stored with the rx
 * queue.  rx_release frees the burst's mbufs once every output has copied
 * from them.
 *
 * Tx.  Each frame is copied into fresh mbufs of the port's node pool
 * (dp_mempool.h), chained when it is longer than one mbuf and the device
 * takes chains, and handed to rte_eth_tx_burst, retried a bounded number
 * of times.  Several PMDs may send to one port at once: a PMD uses tx queue
 * (its lcore id mod n_txq); PMDs get the lowest free lcore ids, so with
 * at least as many tx queues as PMDs each PMD normally has a queue of its
 * own.  A spinlock per queue keeps sharing safe whenever two PMDs do meet
 * on one (uncontended otherwise: one atomic per batch).
 *
 * Lifetime.  The datapath stops using a port before destroying it
 * (dpif_port_del publishes a snapshot without it and synchronizes);
 * destruct synchronizes once more through the hooks before the device
 * stops, so the provider does not depend on its caller for that. */
#include "port_dpdk.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dp_mempool.h"
#include "vhost/vlog.h"

#define BATCH DP_PACKET_BATCH_MAX
#define DPDK_DEFAULT_DESC 1024u
#define DPDK_MAX_DESC 32768u
#define DPDK_MAX_QUEUES 64u
#define DPDK_DEFAULT_MTU 1500u
#define DPDK_MIN_MTU 68u          /* RFC 791: every IPv4 link takes 68 */
#define DPDK_MAX_MTU 65535u
#define DPDK_TX_RETRIES 8
#define DPDK_RX_MAX_SEGS 16       /* 16 x 2 KiB mbufs: jumbo frames fit */
#define ETH_HDR_LEN 14u
#define VLAN_HDR_LEN 4u

/* Touched only by the PMD polling the queue. */
struct dpdk_rxq {
    struct rte_mbuf *mbufs[BATCH];
    unsigned n_mbufs;
    struct iovec iov[BATCH][DPDK_RX_MAX_SEGS];
} __attribute__((aligned(64)));

struct dpdk_txq {
    int lock;
} __attribute__((aligned(64)));

/* What the options ask for. */
struct dpdk_config {
    const char *devargs;
    unsigned n_rxq, n_txq, n_rxd, n_txd, mtu;
};

struct port_dpdk {
    struct port up;
    struct port_hooks hooks;
    uint16_t port_id;
    bool started;
    int numa;                   /* device's node, -1 unknown */
    struct rte_mempool *pool;
    unsigned pool_reserved;     /* mbufs reserved in 'pool' */
    unsigned n_rxq, n_txq;      /* in use (after clamping) */
    uint16_t n_rxd, n_txd;      /* descriptors per queue */
    unsigned mtu;
    uint32_t max_frame;         /* longest frame tx accepts */
    char driver[32];
    struct dpdk_txq txqs[DPDK_MAX_QUEUES];
    struct dpdk_rxq rxqs[];     /* n_rxq */
};

/* Ethdevs attached to a port (control thread only). */
static bool ethdev_in_use[RTE_MAX_ETHPORTS];

static struct port_dpdk *
port_dpdk_cast(const struct port *p)
{
    return (struct port_dpdk *) p;
}

/* ---- Options --------------------------------------------------------- */

static int
parse_options(const struct port_args *args, struct dpdk_config *cfg,
              char *err, size_t esz)
{
    static const char *const known[] = {"devargs", "n_rxq", "n_txq",
                                        "n_rxq_desc", "n_txq_desc",
                                        "mtu_request"};
    static const struct port_uint_option n_rxq = {
        "n_rxq", NULL, 1, 1, DPDK_MAX_QUEUES};
    static const struct port_uint_option n_txq = {
        "n_txq", NULL, 1, 1, DPDK_MAX_QUEUES};
    static const struct port_uint_option n_rxd = {
        "n_rxq_desc", NULL, DPDK_DEFAULT_DESC, 1, DPDK_MAX_DESC};
    static const struct port_uint_option n_txd = {
        "n_txq_desc", NULL, DPDK_DEFAULT_DESC, 1, DPDK_MAX_DESC};
    static const struct port_uint_option mtu = {
        "mtu_request", NULL, DPDK_DEFAULT_MTU, DPDK_MIN_MTU, DPDK_MAX_MTU};
    int e;

    for (unsigned i = 0; i < args->n; i++) {
        bool ok = false;
        for (size_t k = 0; k < RSW_ARRAY_SIZE(known); k++) {
            ok |= !strcmp(args->args[i].key, known[k]);
        }
        if (!ok) {
            snprintf(err, esz, "dpdk: unknown option '%s' (supported: "
                     "devargs, n_rxq, n_txq, n_rxq_desc, n_txq_desc, "
                     "mtu_request)", args->args[i].key);
            return -EINVAL;
        }
    }
    cfg->devargs = port_args_get(args, "devargs");
    if (!cfg->devargs || !*cfg->devargs) {
        snprintf(err, esz, "dpdk port needs options:devargs=PCI address or "
                 "vdev string (e.g. net_tap0,iface=tap0)");
        return -EINVAL;
    }
    e = port_args_get_uint(args, "dpdk", &n_rxq, &cfg->n_rxq, err, esz);
    e = e ? e : port_args_get_uint(args, "dpdk", &n_txq, &cfg->n_txq, err,
                                   esz);
    e = e ? e : port_args_get_uint(args, "dpdk", &n_rxd, &cfg->n_rxd, err,
                                   esz);
    e = e ? e : port_args_get_uint(args, "dpdk", &n_txd, &cfg->n_txd, err,
                                   esz);
    e = e ? e : port_args_get_uint(args, "dpdk", &mtu, &cfg->mtu, err, esz);
    return e;
}

/* ---- Attach / detach ------------------------------------------------- */

/* The first ethdev matching 'devargs'; *n_match counts them all (a PF
 * probed with representors has several). */
static int
find_ethdev(const char *devargs, uint16_t *port_id, unsigned *n_match)
{
    struct rte_dev_iterator it;
    unsigned n = 0;
    uint16_t id;

    /* Iterating to the end releases the iterator. */
    RTE_ETH_FOREACH_MATCHING_DEV(id, devargs, &it) {
        if (!n++) {
            *port_id = id;
        }
    }
    *n_match = n;
    return n ? 0 : -ENODEV;
}

/* Finds the ethdev of 'devargs', probing the device if the EAL has not
 * (hot-plug: rte_dev_probe handles PCI addresses and vdev strings). */
static int
attach_ethdev(const char *devargs, uint16_t *port_id, char *err, size_t esz)
{
    unsigned n_match;
    int e;

    if (find_ethdev(devargs, port_id, &n_match)) {
        e = rte_dev_probe(devargs);
        if (e < 0) {
            snprintf(err, esz, "dpdk: cannot probe '%s': %s (a PCI device "
                     "must be bound to vfio-pci, a vdev needs a known "
                     "driver name)", devargs, rte_strerror(-e));
            return e;
        }
        if (find_ethdev(devargs, port_id, &n_match)) {
            snprintf(err, esz, "dpdk: '%s' was probed but gave no ethdev",
                     devargs);
            return -ENODEV;
        }
    }
    if (n_match > 1) {
        RSW_LOG(RSW_LOG_INFO, "dpdk: '%s' matches %u ethdevs, using ethdev "
                "%u (name one representor to pick another)", devargs,
                n_match, *port_id);
    }
    if (ethdev_in_use[*port_id]) {
        snprintf(err, esz, "dpdk: the ethdev of '%s' belongs to another "
                 "port", devargs);
        return -EBUSY;
    }
    return 0;
}

/* Closes the ethdev, and unplugs its device when no other ethdev of it
 * (representors, other ports of a multi-port NIC) remains. */
static void
detach_ethdev(uint16_t port_id, bool started)
{
    struct rte_device *dev = NULL;
    struct rte_eth_dev_info info;
    bool siblings = false;
    uint16_t id;
    int e;

    if (!rte_eth_dev_info_get(port_id, &info)) {
        dev = info.device;
    }
    if (started && (e = rte_eth_dev_stop(port_id))) {
        RSW_LOG(RSW_LOG_WARN, "dpdk: ethdev %u: stop: %s", port_id,
                rte_strerror(-e));
    }
    rte_eth_dev_close(port_id);
    if (!dev) {
        return;
    }
    RTE_ETH_FOREACH_DEV_OF(id, dev) {
        siblings |= id != port_id;
    }
    if (!siblings && (e = rte_dev_remove(dev)) < 0) {
        RSW_LOG(RSW_LOG_WARN, "dpdk: ethdev %u: cannot detach its device: "
                "%s", port_id, rte_strerror(-e));
    }
}

/* ---- Configuration --------------------------------------------------- */

static unsigned
clamp_queues(const char *name, const char *what, unsigned want,
             unsigned max)
{
    if (want <= max) {
        return want;
    }
    RSW_LOG(RSW_LOG_WARN, "%s: options:%s=%u exceeds the device's %u "
            "queues: using %u", name, what, want, max, max);
    return max;
}

/* Queue counts and MTU against what the device offers. */
static int
check_limits(struct port_dpdk *pd, const struct dpdk_config *cfg,
             const struct rte_eth_dev_info *info, char *err, size_t esz)
{
    pd->n_rxq = clamp_queues(pd->up.name, "n_rxq", cfg->n_rxq,
                             info->max_rx_queues);
    pd->n_txq = clamp_queues(pd->up.name, "n_txq", cfg->n_txq,
                             info->max_tx_queues);
    if (!pd->n_rxq || !pd->n_txq) {
        snprintf(err, esz, "dpdk: %s has no rx or no tx queue", pd->driver);
        return -ENOTSUP;
    }
    if (cfg->mtu < info->min_mtu || cfg->mtu > info->max_mtu) {
        snprintf(err, esz, "dpdk: mtu_request=%u is outside %s's %u..%u",
                 cfg->mtu, pd->driver, info->min_mtu, info->max_mtu);
        return -EINVAL;
    }
    pd->mtu = cfg->mtu;
    return 0;
}

/* Device-level setup: queue counts, MTU, offloads. */
static int
configure_device(struct port_dpdk *pd, const struct dpdk_config *cfg,
                 const struct rte_eth_dev_info *info, char *err, size_t esz)
{
    struct rte_eth_conf conf;
    uint32_t frame = cfg->mtu + ETH_HDR_LEN + VLAN_HDR_LEN;
    bool chains = info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
    int e = check_limits(pd, cfg, info, err, esz);

    if (e) {
        return e;
    }
    memset(&conf, 0, sizeof conf);
    conf.rxmode.mtu = cfg->mtu;
    if (frame > DP_MEMPOOL_DATA_ROOM) {
        if (!(info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)) {
            snprintf(err, esz, "dpdk: mtu_request=%u needs frames over %u "
                     "bytes split across mbufs, which %s cannot receive",
                     cfg->mtu, DP_MEMPOOL_DATA_ROOM, pd->driver);
            return -EINVAL;
        }
        conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
    }
    if (chains) {
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
    }
    pd->max_frame = chains || frame <= DP_MEMPOOL_DATA_ROOM
                    ? frame : DP_MEMPOOL_DATA_ROOM;
    if (pd->n_rxq > 1) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf = info->flow_type_rss_offloads
            & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
    }
    e = rte_eth_dev_configure(pd->port_id, (uint16_t) pd->n_rxq,
                              (uint16_t) pd->n_txq, &conf);
    if (e) {
        snprintf(err, esz, "dpdk: configuring %s: %s", pd->driver,
                 rte_strerror(-e));
        return e;
    }
    /* Some PMDs apply rxmode.mtu only through this call (net_tap and
     * net_af_packet set the kernel interface's MTU here). */
    e = rte_eth_dev_set_mtu(pd->port_id, (uint16_t) cfg->mtu);
    if (e && e != -ENOTSUP) {
        snprintf(err, esz, "dpdk: mtu_request=%u on %s: %s", cfg->mtu,
                 pd->driver, rte_strerror(-e));
        return e;
    }
    return 0;
}

/* Rings: descriptor counts, the mbufs they need, queue setup. */
static int
setup_queues(struct port_dpdk *pd, const struct dpdk_config *cfg,
             char *err, size_t esz)
{
    int socket = pd->numa >= 0 ? pd->numa : SOCKET_ID_ANY;
    uint16_t n_rxd = (uint16_t) cfg->n_rxd, n_txd = (uint16_t) cfg->n_txd;
    unsigned need;
    int e = rte_eth_dev_adjust_nb_rx_tx_desc(pd->port_id, &n_rxd, &n_txd);

    if (e) {
        snprintf(err, esz, "dpdk: ring sizes: %s", rte_strerror(-e));
        return e;
    }
    pd->n_rxd = n_rxd;
    pd->n_txd = n_txd;
    need = pd->n_rxq * (n_rxd + BATCH) + pd->n_txq * (n_txd + BATCH);
    e = dp_mempool_get(pd->numa, need, &pd->pool);
    if (e) {
        snprintf(err, esz, "dpdk: rings need %u mbufs, %u left in the pool "
                 "of NUMA node %d: use fewer queues or descriptors", need,
                 dp_mempool_available(pd->numa), pd->numa);
        return e;
    }
    pd->pool_reserved = need;
    for (unsigned q = 0; q < pd->n_rxq && !e; q++) {
        e = rte_eth_rx_queue_setup(pd->port_id, (uint16_t) q, n_rxd,
                                   (unsigned) socket, NULL, pd->pool);
    }
    for (unsigned q = 0; q < pd->n_txq && !e; q++) {
        e = rte_eth_tx_queue_setup(pd->port_id, (uint16_t) q, n_txd,
                                   (unsigned) socket, NULL);
    }
    if (e) {
        snprintf(err, esz, "dpdk: queue setup on %s: %s", pd->driver,
                 rte_strerror(-e));
    }
    return e;
}

static int
start_device(struct port_dpdk *pd, char *err, size_t esz)
{
    int e = rte_eth_dev_start(pd->port_id);

    if (e) {
        snprintf(err, esz, "dpdk: starting %s: %s", pd->driver,
                 rte_strerror(-e));
        return e;
    }
    pd->started = true;
    /* A switch port takes frames for every destination address. */
    e = rte_eth_promiscuous_enable(pd->port_id);
    if (e && e != -ENOTSUP) {
        RSW_LOG(RSW_LOG_WARN, "%s: promiscuous mode: %s", pd->up.name,
                rte_strerror(-e));
    }
    return 0;
}

static int
port_dpdk_open(struct port_dpdk *pd, const struct dpdk_config *cfg,
               char *err, size_t esz)
{
    struct rte_eth_dev_info info;
    int e = rte_eth_dev_info_get(pd->port_id, &info);

    if (e) {
        snprintf(err, esz, "dpdk: device info: %s", rte_strerror(-e));
        return e;
    }
    snprintf(pd->driver, sizeof pd->driver, "%s",
             info.driver_name ? info.driver_name : "?");
    pd->numa = rte_eth_dev_socket_id(pd->port_id);
    e = configure_device(pd, cfg, &info, err, esz);
    e = e ? e : setup_queues(pd, cfg, err, esz);
    return e ? e : start_device(pd, err, esz);
}

static int
port_dpdk_construct(const char *type, const char *name,
                    const struct port_args *args,
                    const struct port_hooks *hooks, struct port **out,
                    char *err, size_t esz)
{
    struct dpdk_config cfg;
    struct port_dpdk *pd;
    uint16_t port_id;
    int e = parse_options(args, &cfg, err, esz);

    e = e ? e : attach_ethdev(cfg.devargs, &port_id, err, esz);
    if (e) {
        return e;
    }
    pd = rte_zmalloc_socket("port_dpdk", sizeof *pd
                            + cfg.n_rxq * sizeof pd->rxqs[0], 64,
                            rte_eth_dev_socket_id(port_id));
    if (!pd) {
        snprintf(err, esz, "out of memory");
        e = -ENOMEM;
        goto err_detach;
    }
    pd->up.class = &port_dpdk_class;
    snprintf(pd->up.name, sizeof pd->up.name, "%s", name);
    snprintf(pd->up.type, sizeof pd->up.type, "%s", type);
    pd->hooks = *hooks;
    pd->port_id = port_id;
    e = port_dpdk_open(pd, &cfg, err, esz);
    if (e) {
        goto err_free;
    }
    ethdev_in_use[port_id] = true;
    RSW_LOG(RSW_LOG_INFO, "%s: %s ethdev %u ('%s'), NUMA %d, %u rxq x %u, "
            "%u txq x %u, mtu %u", name, pd->driver, port_id, cfg.devargs,
            pd->numa, pd->n_rxq, pd->n_rxd, pd->n_txq, pd->n_txd, pd->mtu);
    *out = &pd->up;
    return 0;

err_free:
    detach_ethdev(port_id, pd->started);
    dp_mempool_put(pd->pool, pd->pool_reserved);
    rte_free(pd);
    return e;
err_detach:
    detach_ethdev(port_id, false);
    return e;
}

static void
port_dpdk_destruct(struct port *p)
{
    struct port_dpdk *pd = port_dpdk_cast(p);

    /* No PMD may be inside rx_burst/tx_batch of this port any more. */
    pd->hooks.synchronize(pd->hooks.aux);
    /* Closing gives every mbuf held by the rings back to the pool. */
    detach_ethdev(pd->port_id, pd->started);
    ethdev_in_use[pd->port_id] = false;
    dp_mempool_put(pd->pool, pd->pool_reserved);
    rte_free(pd);
}

static unsigned
port_dpdk_n_rxq(const struct port *p)
{
    return port_dpdk_cast(p)->n_rxq;
}

static int
port_dpdk_rxq_numa(const struct port *p, unsigned qid RSW_UNUSED)
{
    return port_dpdk_cast(p)->numa;
}

/* ---- Rx ---------------------------------------------------------------- */

/* Header copy plus one tail iovec per remaining (part of a) segment;
 * false if the frame has more segments than the tail storage. */
static bool
rx_make_packet(struct rte_mbuf *m, struct iovec *iov, struct dp_packet *pkt,
               unsigned slot)
{
    uint32_t off;
    const void *h;
    unsigned n = 0;

    pkt->frame_len = m->pkt_len;
    pkt->copy_len = m->pkt_len < DP_PACKET_HDR_COPY ? m->pkt_len
                                                    : DP_PACKET_HDR_COPY;
    /* Contiguous: a pointer into the mbuf; else copied into hdr. */
    h = rte_pktmbuf_read(m, 0, pkt->copy_len, pkt->hdr);
    if (h != pkt->hdr) {
        memcpy(pkt->hdr, h, pkt->copy_len);
    }
    off = pkt->copy_len;
    for (struct rte_mbuf *seg = m; seg; seg = seg->next) {
        if (off >= seg->data_len) {
            off -= seg->data_len;
            continue;
        }
        if (n == DPDK_RX_MAX_SEGS) {
            return false;
        }
        iov[n].iov_base = rte_pktmbuf_mtod_offset(seg, uint8_t *, off);
        iov[n++].iov_len = seg->data_len - off;
        off = 0;
    }
    pkt->tail = iov;
    pkt->n_tail = (uint16_t) n;
    pkt->slot = (uint16_t) slot;
    return true;
}

static unsigned
port_dpdk_rx_burst(struct port *p, unsigned qid,
                   struct dp_packet_batch *batch)
{
    struct port_dpdk *pd = port_dpdk_cast(p);
    struct dpdk_rxq *rxq = &pd->rxqs[qid];
    uint64_t bytes = 0, runts = 0, too_big = 0;
    unsigned got = 0, n;

    n = rte_eth_rx_burst(pd->port_id, (uint16_t) qid, rxq->mbufs,
                         (uint16_t) (BATCH - batch->n));
    rxq->n_mbufs = n;
    for (unsigned i = 0; i < n; i++) {
        struct rte_mbuf *m = rxq->mbufs[i];
        struct dp_packet *pkt = &batch->pkts[batch->n];

        if (m->pkt_len < ETH_HDR_LEN) {
            runts++;
        } else if (!rx_make_packet(m, rxq->iov[i], pkt, i)) {
            too_big++;
            RSW_LOG_RL(RSW_LOG_WARN, "%s: dropped a frame of %u segments "
                       "(at most %d)", p->name, m->nb_segs,
                       DPDK_RX_MAX_SEGS);
        } else {
            batch->n++;
            got++;
            bytes += m->pkt_len;
        }
    }
    port_stat_add(&p->stats.rx_packets, got);
    port_stat_add(&p->stats.rx_bytes, bytes);
    port_stat_add(&p->stats.drops[PORT_DROP_RUNT], runts);
    port_stat_add(&p->stats.drops[PORT_DROP_TOO_BIG], too_big);
    return got;
}

static void
port_dpdk_rx_release(struct port *p, unsigned qid)
{
    struct dpdk_rxq *rxq = &port_dpdk_cast(p)->rxqs[qid];

    if (rxq->n_mbufs) {
        rte_pktmbuf_free_bulk(rxq->mbufs, rxq->n_mbufs);
        rxq->n_mbufs = 0;
    }
}

/* ---- Tx ---------------------------------------------------------------- */

/* Appends 'len' bytes to the chain ending in *tail, adding segments as
 * needed; -ENOMEM when the pool is empty. */
static int
tx_append(struct rte_mempool *mp, struct rte_mbuf *head,
          struct rte_mbuf **tail, const uint8_t *src, size_t len)
{
    struct rte_mbuf *seg = *tail;

    while (len) {
        uint16_t room = rte_pktmbuf_tailroom(seg);
        if (!room) {
            struct rte_mbuf *next = rte_pktmbuf_alloc(mp);
            if (!next) {
                return -ENOMEM;
            }
            seg->next = next;
            head->nb_segs++;
            seg = *tail = next;
            room = rte_pktmbuf_tailroom(seg);
        }
        uint16_t c = len < room ? (uint16_t) len : room;
        memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, seg->data_len), src,
               c);
        seg->data_len += c;
        head->pkt_len += c;
        src += c;
        len -= c;
    }
    return 0;
}

/* A copy of 'pkt' in mbufs of 'mp', or NULL when the pool is empty. */
static struct rte_mbuf *
tx_copy(struct rte_mempool *mp, const struct dp_packet *pkt)
{
    struct iovec iov[DP_PACKET_MAX_IOV];
    unsigned n_iov = dp_packet_iov(pkt, iov);
    struct rte_mbuf *head = rte_pktmbuf_alloc(mp), *tail = head;

    for (unsigned i = 0; head && i < n_iov; i++) {
        if (tx_append(mp, head, &tail, iov[i].iov_base, iov[i].iov_len)) {
            rte_pktmbuf_free(head);
            return NULL;
        }
    }
    return head;
}

/* Sends out[0..n) on tx queue 'qid'; returns how many the device took. */
static unsigned
tx_send(struct port_dpdk *pd, unsigned qid, struct rte_mbuf **out,
        unsigned n)
{
    struct dpdk_txq *txq = &pd->txqs[qid];
    unsigned sent = 0;

    port_spin_lock(&txq->lock);
    for (int try = 0; sent < n && try < DPDK_TX_RETRIES; try++) {
        sent += rte_eth_tx_burst(pd->port_id, (uint16_t) qid, out + sent,
                                 (uint16_t) (n - sent));
    }
    port_spin_unlock(&txq->lock);
    return sent;
}

/* Up to one burst: copy, send, count. */
static void
tx_chunk(struct port_dpdk *pd, unsigned qid, struct dp_packet *const pkts[],
         unsigned n)
{
    uint64_t drops[PORT_DROP_N] = {0}, bytes = 0;
    struct rte_mbuf *out[BATCH];
    uint32_t len[BATCH];
    unsigned n_out = 0, sent;

    for (unsigned i = 0; i < n; i++) {
        if (pkts[i]->frame_len > pd->max_frame) {
            drops[PORT_DROP_TOO_BIG]++;
            RSW_LOG_RL(RSW_LOG_WARN, "%s: dropped a %u-byte frame (mtu %u)",
                       pd->up.name, pkts[i]->frame_len, pd->mtu);
        } else if (!(out[n_out] = tx_copy(pd->pool, pkts[i]))) {
            drops[PORT_DROP_NO_MBUF]++;
        } else {
            len[n_out++] = pkts[i]->frame_len;
        }
    }
    sent = n_out ? tx_send(pd, qid, out, n_out) : 0;
    /* Sent mbufs belong to the device now (another PMD's burst on a
     * shared queue may free them): count from our own lengths. */
    for (unsigned i = 0; i < sent; i++) {
        bytes += len[i];
    }
    if (sent < n_out) {
        rte_pktmbuf_free_bulk(out + sent, n_out - sent);
        drops[PORT_DROP_TX_NO_ROOM] = n_out - sent;
    }
    port_stat_add(&pd->up.stats.tx_packets, sent);
    port_stat_add(&pd->up.stats.tx_bytes, bytes);
    for (int r = 0; r < PORT_DROP_N; r++) {
        port_stat_add(&pd->up.stats.drops[r], drops[r]);
    }
}

static void
port_dpdk_tx_batch(struct port *p, struct dp_packet *const pkts[],
                   unsigned n)
{
    struct port_dpdk *pd = port_dpdk_cast(p);
    unsigned lcore = rte_lcore_id();
    unsigned qid = lcore == LCORE_ID_ANY ? 0 : lcore % pd->n_txq;

    for (unsigned i = 0; i < n; i += BATCH) {
        tx_chunk(pd, qid, pkts + i, n - i < BATCH ? n - i : BATCH);
    }
}

/* ---- Control ----------------------------------------------------------- */

static int
port_dpdk_control_fd(const struct port *p RSW_UNUSED)
{
    return -1;  /* link state is read when asked (get_status) */
}

static void
port_dpdk_run(struct port *p RSW_UNUSED)
{
}

static void
port_dpdk_get_status(const struct port *p, char *buf, size_t size)
{
    struct port_dpdk *pd = port_dpdk_cast(p);
    char link_str[64] = "link unknown";
    struct rte_eth_stats st;
    struct rte_eth_link link;

    /* (rte_eth_link_to_str is still experimental in DPDK 22.11.) */
    if (!rte_eth_link_get_nowait(pd->port_id, &link)) {
        if (!link.link_status) {
            snprintf(link_str, sizeof link_str, "link down");
        } else if (link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN
                   || link.link_speed == RTE_ETH_SPEED_NUM_NONE) {
            snprintf(link_str, sizeof link_str, "link up");
        } else {
            snprintf(link_str, sizeof link_str, "link up %u Mbps %s",
                     link.link_speed, link.link_duplex
                     == RTE_ETH_LINK_FULL_DUPLEX ? "full-duplex"
                                                 : "half-duplex");
        }
    }
    if (rte_eth_stats_get(pd->port_id, &st)) {
        memset(&st, 0, sizeof st);
    }
    snprintf(buf, size, "%s ethdev %u NUMA %d: %s, mtu %u, rxq %ux%u, "
             "txq %ux%u, nic rx_missed=%" PRIu64 " rx_errors=%" PRIu64
             " tx_errors=%" PRIu64, pd->driver, pd->port_id, pd->numa,
             link_str, pd->mtu, pd->n_rxq, pd->n_rxd, pd->n_txq, pd->n_txd,
             st.imissed, st.ierrors, st.oerrors);
}

const struct port_class port_dpdk_class = {
    .type = "dpdk",
    .construct = port_dpdk_construct,
    .destruct = port_dpdk_destruct,
    .n_rxq = port_dpdk_n_rxq,
    .rxq_numa = port_dpdk_rxq_numa,
    .rx_burst = port_dpdk_rx_burst,
    .rx_release = port_dpdk_rx_release,
    .tx_batch = port_dpdk_tx_batch,
    .control_fd = port_dpdk_control_fd,
    .run = port_dpdk_run,
    .get_status = port_dpdk_get_status,
};
