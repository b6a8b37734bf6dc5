/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-net over vhost-user; see virtio_net.h. */
#include "virtio_net.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "msix.h"
#include "pci.h"
#include "virtio_pci.h"
#include "vhost/guest_mem.h"
#include "vhost/vhost_frontend.h"
#include "vhost/vhost_user.h"
#include "vhost/virtq.h"
#include "vhost/vlog.h"

#define VIRTIO_ID_NET 1
/* receiveq1..N, transmitq1..N, controlq (§5.1.2) */
#define NET_MAX_QUEUES (2 * VIRTIO_NET_MAX_PAIRS + 1)
#define NET_QUEUE_MAX 256
/* §5.1.6.5: the control queue's command classes and acks. */
#define NET_CTRL_MQ 4
#define NET_CTRL_MQ_VQ_PAIRS_SET 0
#define NET_CTRL_ACK_OK 0
#define NET_CTRL_ACK_ERR 1
#define VIRTIO_NET_S_LINK_UP 1       /* §5.1.4 */
#define B(f) VHOST_BIT(f)

/* Features the backend implements and the guest may see: ring layout and
 * data-path offloads.  Control-queue, multiqueue, packed rings and
 * ACCESS_PLATFORM are not offered. */
#define NET_BACKEND_FEATURES                                            \
    (B(VIRTIO_F_VERSION_1) | B(VIRTIO_NET_F_MRG_RXBUF)                  \
     | B(VIRTIO_RING_F_EVENT_IDX) | B(VIRTIO_RING_F_INDIRECT_DESC)      \
     | B(VIRTIO_NET_F_CSUM) | B(VIRTIO_NET_F_GUEST_CSUM)                \
     | B(7) | B(8) | B(11) | B(12))  /* GUEST_TSO4/6, HOST_TSO4/6 */
/* Features the VMM itself implements (device configuration space). */
#define NET_VMM_FEATURES (B(VIRTIO_NET_F_MAC) | B(VIRTIO_NET_F_STATUS))
/* ... and, with more than one queue pair, the control queue (here) and
 * multiqueue (the backend serves the pairs, we enable them). */
#define NET_MQ_FEATURES (B(VIRTIO_NET_F_MQ) | B(VIRTIO_NET_F_CTRL_VQ))

struct virtio_net {
    struct vmm *vmm;
    struct virtio_net_config cfg;
    char path[108];
    struct virtio_pci *vp;
    struct vhost_frontend *fe;
    unsigned n_pairs;                /* max_virtqueue_pairs */
    unsigned n_queues;               /* on the transport */
    int call_fd[NET_MAX_QUEUES];     /* -1 for the control queue */
    int polled_q[NET_MAX_QUEUES];    /* queue of each polled call fd */
    unsigned n_polled;
    bool ctrl_polled;                /* the control kick fd is in the set */
    uint64_t backend_features;       /* offered by the backend */
    uint64_t offered;                /* offered to the guest */
    bool link_up, active, destroying;
    struct virtio_pci_queue q[NET_MAX_QUEUES];
    /* While active: pairs the driver may use (1, or max_virtqueue_pairs
     * with MQ), pairs enabled (VQ_PAIRS_SET), ring state at the backend. */
    unsigned data_pairs, active_pairs;
    bool ring_started[NET_MAX_QUEUES], ring_enabled[NET_MAX_QUEUES];
    /* The control queue, served here (device side, hardened virtq). */
    struct guest_mem *ram;           /* our RAM as the virtq code sees it */
    struct virtq *ctrl_vq;           /* while active with CTRL_VQ */
    unsigned ctrl_index;
    uint64_t calls, disconnects, connects, activate_errors;
    uint64_t ctrl_commands, ctrl_refused, ctrl_bad_chains;
};

/* ---- Device configuration (§5.1.4) ---------------------------------------- */

static uint64_t
net_features(void *ctx)
{
    return ((struct virtio_net *) ctx)->offered;
}

static void
net_config_read(void *ctx, unsigned off, void *data, unsigned len)
{
    struct virtio_net *n = ctx;
    uint8_t c[12] = { 0 };

    memcpy(c, n->cfg.mac, 6);
    c[6] = n->link_up ? VIRTIO_NET_S_LINK_UP : 0;   /* status */
    c[8] = (uint8_t) n->n_pairs;                      /* max_vq_pairs */
    c[10] = (uint8_t) n->cfg.mtu;
    c[11] = (uint8_t) (n->cfg.mtu >> 8);
    memset(data, 0, len);
    if (off < sizeof c) {
        memcpy(data, c + off, len < sizeof c - off ? len : sizeof c - off);
    }
}

static void
net_config_write(void *ctx RSW_UNUSED, unsigned off RSW_UNUSED,
                 const void *data RSW_UNUSED, unsigned len RSW_UNUSED)
{
    /* With VERSION_1 the MAC is read-only (§5.1.4.1); nothing else is
     * writable. */
}

static bool
net_features_ok(void *ctx, uint64_t f)
{
    struct virtio_net *n = ctx;

    /* Only what was offered, and a modern driver (§6.1: VERSION_1);
     * VIRTIO_NET_F_MQ requires VIRTIO_NET_F_CTRL_VQ (§5.1.3.1). */
    return !(f & ~n->offered) && (f & B(VIRTIO_F_VERSION_1))
           && (!(f & B(VIRTIO_NET_F_MQ)) || (f & B(VIRTIO_NET_F_CTRL_VQ)));
}

/* ---- Queues to the backend ----------------------------------------------- */

/* Guest-physical ring parts -> our virtual addresses, with full lengths
 * and the §2.6 alignments (16, 2, 4); the size a power of two. */
static int
net_vring(struct virtio_net *n, unsigned i, uint16_t base,
          struct vhost_frontend_vring *v)
{
    const struct virtio_pci_queue *q = &n->q[i];
    uint32_t s = q->size;

    if (!s || s > NET_QUEUE_MAX || (s & (s - 1)) || (q->desc & 15)
        || (q->driver & 1) || (q->device & 3)) {
        return -EINVAL;
    }
    *v = (struct vhost_frontend_vring) {
        .num = (uint16_t) s, .base = base,
        .desc_uva = vm_gpa_to_uva(&n->vmm->mem, q->desc, 16ull * s),
        .avail_uva = vm_gpa_to_uva(&n->vmm->mem, q->driver, 6ull + 2 * s),
        .used_uva = vm_gpa_to_uva(&n->vmm->mem, q->device, 6ull + 8 * s),
        .kick_fd = virtio_pci_kick_fd(n->vp, i),
        .call_fd = n->call_fd[i],
    };
    return v->desc_uva && v->avail_uva && v->used_uva ? 0 : -EFAULT;
}

static int
net_accept(int err)
{
    /* Recorded while the backend is away: replayed when it comes back. */
    return err == -ENOTCONN ? 0 : err;
}

/* Ring 'i' to the backend; enabled only if its pair is in use. */
static int
net_start_queue(struct virtio_net *n, unsigned i, bool enable)
{
    struct vhost_frontend_vring v;
    int err = net_vring(n, i, 0, &v);

    if (!err) {
        err = net_accept(vhost_frontend_set_vring(n->fe, i, &v));
    }
    if (!err) {
        n->ring_started[i] = true;
        err = net_accept(vhost_frontend_set_vring_enable(n->fe, i, enable));
    }
    if (!err) {
        n->ring_enabled[i] = enable;
    }
    return err;
}

/* VQ_PAIRS_SET: SET_VRING_ENABLE for each started ring whose pair goes
 * in or out of use (vhost-user "Multiple queue support"). */
static int
net_set_active_pairs(struct virtio_net *n, unsigned pairs)
{
    int err = 0;

    for (unsigned i = 0; i < 2 * n->data_pairs && !err; i++) {
        bool want = i / 2 < pairs;
        if (n->ring_started[i] && n->ring_enabled[i] != want) {
            err = net_accept(vhost_frontend_set_vring_enable(n->fe, i, want));
            n->ring_enabled[i] = want;
        }
    }
    if (!err) {
        n->active_pairs = pairs;
    }
    return err;
}

/* The control queue, device side: its rings are checked like any guest
 * ring (virtq.h), in our own RAM mapping. */
static int
net_ctrl_start(struct virtio_net *n, uint64_t features)
{
    const struct virtio_pci_queue *q = &n->q[n->ctrl_index];
    struct virtq_config c = {
        .size = q->size,
        .desc_uva = vm_gpa_to_uva(&n->vmm->mem, q->desc, 16ull * q->size),
        .avail_uva = vm_gpa_to_uva(&n->vmm->mem, q->driver,
                                   6ull + 2ull * q->size),
        .used_uva = vm_gpa_to_uva(&n->vmm->mem, q->device,
                                  6ull + 8ull * q->size),
        .event_idx = features & B(VIRTIO_RING_F_EVENT_IDX),
        .indirect = features & B(VIRTIO_RING_F_INDIRECT_DESC),
        .call_fd = -1,            /* we signal through the transport */
    };

    if (!q->size || q->size > NET_QUEUE_MAX || !c.desc_uva
        || !c.avail_uva || !c.used_uva) {
        return -EINVAL;
    }
    return virtq_create(&c, n->ram, &n->ctrl_vq);
}

/* DRIVER_OK (§3.1.1 step 8): the backend gets the acked features that are
 * its business, then each enabled ring; pair 1 only is in use until the
 * driver sets more (§5.1.6.5.5). */
static int
net_activate(void *ctx, const struct virtio_pci_queue *q, unsigned nq,
             uint64_t features)
{
    struct virtio_net *n = ctx;
    uint64_t be = features & n->backend_features
                  & (NET_BACKEND_FEATURES | B(VIRTIO_NET_F_MQ));
    int err;

    if (nq != n->n_queues) {
        return -EINVAL;
    }
    memcpy(n->q, q, nq * sizeof *q);
    memset(n->ring_started, 0, sizeof n->ring_started);
    memset(n->ring_enabled, 0, sizeof n->ring_enabled);
    /* §5.1.2: N = max_virtqueue_pairs with MQ, else 1; controlq is 2N. */
    n->data_pairs = features & B(VIRTIO_NET_F_MQ) ? n->n_pairs : 1;
    n->ctrl_index = 2 * n->data_pairs;
    n->active_pairs = 1;
    err = net_accept(vhost_frontend_set_features(n->fe, be));
    if (!err && n->cfg.mtu) {
        err = vhost_frontend_set_mtu(n->fe, n->cfg.mtu);
        err = err == -ENOTSUP ? 0 : net_accept(err);
    }
    for (unsigned i = 0; i < 2 * n->data_pairs && !err; i++) {
        if (n->q[i].enabled) {
            err = net_start_queue(n, i, i / 2 < n->active_pairs);
        }
    }
    if (!err && (features & B(VIRTIO_NET_F_CTRL_VQ))
        && n->ctrl_index < nq && n->q[n->ctrl_index].enabled) {
        err = net_ctrl_start(n, features);
    }
    if (err) {
        n->activate_errors++;
        RSW_LOG_RL(RSW_LOG_WARN, "virtio-net: starting the queues failed: %s",
                   strerror(-err));
        return err;
    }
    n->active = true;
    return 0;
}

static void
net_reset(void *ctx)
{
    struct virtio_net *n = ctx;
    uint16_t base;

    virtq_destroy(n->ctrl_vq);
    n->ctrl_vq = NULL;
    if (!n->active) {
        return;
    }
    for (unsigned i = 0; i < 2 * n->data_pairs; i++) {
        if (n->ring_started[i]
            && vhost_frontend_get_vring_base(n->fe, i, &base)) {
            /* Backend gone: the ring is forgotten (not replayed) anyway. */
        }
        n->ring_started[i] = n->ring_enabled[i] = false;
    }
    n->active = false;
}

static const struct virtio_dev_ops net_dev_ops = {
    .features = net_features,
    .config_read = net_config_read,
    .config_write = net_config_write,
    .features_ok = net_features_ok,
    .activate = net_activate,
    .reset = net_reset,
};

/* ---- Backend connection ---------------------------------------------------- */

static void
net_connected(void *ctx)
{
    struct virtio_net *n = ctx;

    n->connects++;
    n->link_up = true;
    if (n->vp) {
        virtio_pci_config_changed(n->vp);
    }
}

static void
net_disconnected(void *ctx)
{
    struct virtio_net *n = ctx;

    n->link_up = false;
    if (n->destroying) {
        return;
    }
    n->disconnects++;
    if (n->vp) {
        virtio_pci_config_changed(n->vp);
    }
    RSW_LOG(RSW_LOG_WARN, "virtio-net: vhost-user backend %s went away: "
            "link down until it is back", n->path);
}

static const struct vhost_frontend_ops net_fe_ops = {
    .connected = net_connected,
    .disconnected = net_disconnected,
};

static int
net_mem_table(struct virtio_net *n)
{
    const struct vm_memory *m = &n->vmm->mem;
    struct vhost_frontend_region r[2];

    for (unsigned i = 0; i < m->n_regions; i++) {
        r[i] = (struct vhost_frontend_region) {
            .gpa = m->regions[i].gpa, .size = m->regions[i].size,
            .uva = (uintptr_t) (m->host + m->regions[i].offset),
            .mmap_offset = m->regions[i].offset, .fd = m->fd,
        };
    }
    return net_accept(vhost_frontend_set_mem_table(n->fe, r, m->n_regions));
}

static int
net_connect(struct virtio_net *n, char *err, size_t errlen)
{
    struct vhost_frontend_config fc = {
        .path = n->path, .server = n->cfg.server,
        .features = NET_BACKEND_FEATURES | B(VHOST_USER_F_PROTOCOL_FEATURES),
        .protocol_features = B(VHOST_USER_PROTOCOL_F_REPLY_ACK)
                             | B(VHOST_USER_PROTOCOL_F_MQ)
                             | (n->cfg.mtu ? B(VHOST_USER_PROTOCOL_F_NET_MTU)
                                           : 0),
        .n_queue_pairs = n->n_pairs,   /* checked with GET_QUEUE_NUM */
    };
    int rc = vhost_frontend_create(&fc, &net_fe_ops, n, &n->fe);

    if (rc) {
        snprintf(err, errlen, "vhost-user %s: %s", n->path, strerror(-rc));
        return rc;
    }
    rc = net_mem_table(n);
    if (!rc) {
        rc = vhost_frontend_wait_ready(n->fe, n->cfg.connect_timeout_ms);
    }
    if (rc) {
        snprintf(err, errlen, "vhost-user %s: no usable backend within %d s "
                 "(%s)", n->path, n->cfg.connect_timeout_ms / 1000,
                 strerror(-rc));
        return rc;
    }
    n->backend_features = vhost_frontend_backend_features(n->fe);
    if (!(n->backend_features & B(VIRTIO_F_VERSION_1))) {
        snprintf(err, errlen, "vhost-user %s: the backend does not offer "
                 "VIRTIO_F_VERSION_1 (modern virtio is required)", n->path);
        return -ENOTSUP;
    }
    n->offered = (n->backend_features & NET_BACKEND_FEATURES)
                 | NET_VMM_FEATURES | (n->cfg.mtu ? B(VIRTIO_NET_F_MTU) : 0)
                 | (n->n_pairs > 1 ? NET_MQ_FEATURES : 0);
    return 0;
}

/* Our RAM for the control queue's virtq: mapped already (host regions). */
static int
net_ram_create(struct virtio_net *n)
{
    const struct vm_memory *m = &n->vmm->mem;
    struct guest_mem_region_desc r[2];

    for (unsigned i = 0; i < m->n_regions; i++) {
        r[i] = (struct guest_mem_region_desc) {
            .gpa = m->regions[i].gpa, .size = m->regions[i].size,
            .uva = (uintptr_t) (m->host + m->regions[i].offset),
            .fd = -1, .host = m->host + m->regions[i].offset,
        };
    }
    return guest_mem_create(r, m->n_regions, 2, &n->ram);
}

int
virtio_net_create(struct vmm *vmm, struct pci_bus *bus,
                  const struct virtio_net_config *cfg, struct virtio_net **out,
                  char *err, size_t errlen)
{
    struct virtio_net *n = calloc(1, sizeof *n);
    int rc;

    if (!n) {
        return -ENOMEM;
    }
    n->vmm = vmm;
    n->cfg = *cfg;
    snprintf(n->path, sizeof n->path, "%s", cfg->path);
    n->cfg.path = n->path;
    n->n_pairs = cfg->queues ? cfg->queues : 1;
    /* The control queue exists only with more than one pair. */
    n->n_queues = 2 * n->n_pairs + (n->n_pairs > 1);
    for (unsigned i = 0; i < NET_MAX_QUEUES; i++) {
        n->call_fd[i] = -1;
    }
    if (n->n_pairs > VIRTIO_NET_MAX_PAIRS) {
        snprintf(err, errlen, "queues=%u: at most %u queue pairs", n->n_pairs,
                 VIRTIO_NET_MAX_PAIRS);
        rc = -EINVAL;
        goto err_destroy;
    }
    rc = net_ram_create(n);
    if (rc) {
        snprintf(err, errlen, "guest memory map: %s", strerror(-rc));
        goto err_destroy;
    }
    for (unsigned i = 0; i < 2 * n->n_pairs; i++) {
        n->call_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (n->call_fd[i] < 0) {
            rc = -errno;
            snprintf(err, errlen, "eventfd: %s", strerror(-rc));
            goto err_destroy;
        }
    }
    rc = net_connect(n, err, errlen);
    if (rc) {
        goto err_destroy;
    }
    rc = virtio_pci_create(vmm, bus, VIRTIO_ID_NET, 0x020000, n->n_queues,
                           NET_QUEUE_MAX, &net_dev_ops, n, &n->vp);
    if (rc) {
        snprintf(err, errlen, "virtio-pci device: %s", strerror(-rc));
        goto err_destroy;
    }
    for (unsigned i = 0; i < 2 * n->n_pairs; i++) {
        virtio_pci_set_call_fd(n->vp, i, n->call_fd[i]);
    }
    *out = n;
    return 0;

err_destroy:
    virtio_net_destroy(n);
    return rc;
}

void
virtio_net_destroy(struct virtio_net *n)
{
    if (!n) {
        return;
    }
    n->destroying = true;
    vhost_frontend_destroy(n->fe);
    virtio_pci_destroy(n->vp);
    virtq_destroy(n->ctrl_vq);
    guest_mem_destroy(n->ram);
    for (unsigned i = 0; i < NET_MAX_QUEUES; i++) {
        if (n->call_fd[i] >= 0) {
            close(n->call_fd[i]);
        }
    }
    free(n);
}

/* ---- Main loop --------------------------------------------------------------- */

/* Call fds that KVM delivers itself (irqfd on an open MSI-X vector) are
 * not polled: reading them would steal the interrupt.  If that changes
 * between fill and done, the transport wakes the main loop.  The control
 * queue's kick (an ioeventfd) comes last. */
unsigned
virtio_net_poll_fill(struct virtio_net *n, struct pollfd *p, unsigned max)
{
    unsigned k = 0;

    if (max < 2 + 2 * n->n_pairs) {
        return 0;
    }
    pthread_mutex_lock(&n->vmm->lock);
    p[k++] = (struct pollfd) { .fd = vhost_frontend_fd(n->fe),
                               .events = POLLIN };
    n->n_polled = 0;
    for (unsigned i = 0; i < 2 * n->n_pairs; i++) {
        if (!virtio_pci_call_in_kernel(n->vp, i)) {
            n->polled_q[n->n_polled++] = (int) i;
            p[k++] = (struct pollfd) { .fd = n->call_fd[i],
                                       .events = POLLIN };
        }
    }
    n->ctrl_polled = n->ctrl_vq != NULL;
    if (n->ctrl_polled) {
        p[k++] = (struct pollfd) {
            .fd = virtio_pci_kick_fd(n->vp, n->ctrl_index), .events = POLLIN };
    }
    pthread_mutex_unlock(&n->vmm->lock);
    return k;
}

/* VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET (§5.1.6.5.5): 'data' holds le16
 * virtqueue_pairs, 1..max_virtqueue_pairs, valid only with MQ. */
static uint8_t
net_ctrl_mq(struct virtio_net *n, uint8_t cmd, const uint8_t *data,
            size_t len)
{
    unsigned pairs = len >= 2 ? (unsigned) (data[0] | data[1] << 8) : 0;

    if (cmd != NET_CTRL_MQ_VQ_PAIRS_SET || len < 2 || n->data_pairs < 2
        || pairs < 1 || pairs > n->data_pairs) {
        RSW_LOG_RL(RSW_LOG_WARN, "virtio-net: refused control command mq/%u "
                   "(%u pairs; %u available)", cmd, pairs, n->data_pairs);
        return NET_CTRL_ACK_ERR;
    }
    return net_set_active_pairs(n, pairs) ? NET_CTRL_ACK_ERR
                                          : NET_CTRL_ACK_OK;
}

/* One control command (§5.1.6.5): class, command, data (device-readable),
 * then the ack byte (device-writable).  Returns the used length. */
static uint32_t
net_ctrl_command(struct virtio_net *n, struct virtq_chain *c)
{
    uint8_t req[2 + 2] = { 0 }, ack = NET_CTRL_ACK_ERR;
    size_t len = c->out_len < sizeof req ? c->out_len : sizeof req;

    if (c->error != VIRTQ_CHAIN_OK || c->out_len < 2 || !c->n_in
        || !c->iov[c->n_out].iov_len) {
        n->ctrl_bad_chains++;
        RSW_LOG_RL(RSW_LOG_WARN, "virtio-net: malformed control chain (%s)",
                   c->error != VIRTQ_CHAIN_OK
                   ? virtq_chain_error_name(c->error)
                   : "no command header or no ack byte");
        return 0;
    }
    virtq_iov_read(c->iov, c->n_out, 0, req, len);
    n->ctrl_commands++;
    if (req[0] == NET_CTRL_MQ) {
        ack = net_ctrl_mq(n, req[1], req + 2, len - 2);
    } else {
        RSW_LOG_RL(RSW_LOG_INFO, "virtio-net: control class %u command %u "
                   "not supported", req[0], req[1]);
    }
    n->ctrl_refused += ack != NET_CTRL_ACK_OK;
    *(uint8_t *) c->iov[c->n_out].iov_base = ack;
    return 1;
}

static void
net_ctrl_run(struct virtio_net *n)
{
    struct virtq_chain c;
    bool any = false;
    int r;

    while (n->ctrl_vq && (r = virtq_pop(n->ctrl_vq, &c)) > 0) {
        virtq_push_used(n->ctrl_vq, c.head, net_ctrl_command(n, &c));
        any = true;
    }
    if (n->ctrl_vq && virtq_is_broken(n->ctrl_vq)) {
        RSW_LOG_RL(RSW_LOG_WARN, "virtio-net: the driver broke the control "
                   "queue: ignored until the device is reset");
    }
    if (any) {
        virtq_flush_used(n->ctrl_vq);
        if (virtq_should_notify(n->ctrl_vq)) {
            virtio_pci_signal_queue(n->vp, n->ctrl_index);
        }
    }
}

void
virtio_net_poll_done(struct virtio_net *n, const struct pollfd *p,
                     unsigned cnt)
{
    uint64_t v;
    bool call[NET_MAX_QUEUES] = { false }, ctrl = false;
    unsigned i;

    for (i = 1; i < cnt && i <= n->n_polled; i++) {
        unsigned q = (unsigned) n->polled_q[i - 1];
        if ((p[i].revents & POLLIN)
            && read(n->call_fd[q], &v, sizeof v) == sizeof v) {
            call[q] = true;
        }
    }
    if (n->ctrl_polled && i < cnt && (p[i].revents & POLLIN)
        && read(p[i].fd, &v, sizeof v) == sizeof v) {
        ctrl = true;
    }
    pthread_mutex_lock(&n->vmm->lock);
    for (unsigned q = 0; q < 2 * n->n_pairs; q++) {
        if (call[q]) {
            n->calls++;
            virtio_pci_signal_queue(n->vp, q);
        }
    }
    if (ctrl) {
        net_ctrl_run(n);
    }
    if (vhost_frontend_process(n->fe, 0)) {
        /* Errors end the connection; the frontend reconnects by itself. */
    }
    pthread_mutex_unlock(&n->vmm->lock);
}

/* ---- Stats ---------------------------------------------------------------------- */

static struct json_object *
net_u64(uint64_t v)
{
    return json_object_new_int64((int64_t) v);
}

static void
net_msix_json(struct json_object *o, const struct virtio_pci *vp,
              unsigned n_data_queues)
{
    const struct msix_stats *ms = virtio_pci_msix_stats(vp);
    struct json_object *m;

    if (!ms) {
        return;
    }
    m = json_object_new_object();
    json_object_object_add(m, "enabled", json_object_new_boolean(
        virtio_pci_msix_enabled(vp)));
    for (unsigned q = 0; q < n_data_queues; q++) {
        char key[24];
        snprintf(key, sizeof key, "queue%u_irqfd", q);
        json_object_object_add(m, key, json_object_new_boolean(
            virtio_pci_call_in_kernel(vp, q)));
    }
    json_object_object_add(m, "delivered", net_u64(ms->delivered));
    json_object_object_add(m, "pended", net_u64(ms->pended));
    json_object_object_add(m, "bad_address", net_u64(ms->bad_address));
    json_object_object_add(m, "route_commits", net_u64(ms->route_commits));
    json_object_object_add(m, "irqfd_changes", net_u64(ms->irqfd_changes));
    json_object_object_add(m, "errors", net_u64(ms->errors));
    json_object_object_add(o, "msix", m);
}

struct json_object *
virtio_net_stats_json(struct virtio_net *n)
{
    struct json_object *o = json_object_new_object();
    const struct vhost_frontend_stats *fs;
    const struct virtio_pci_stats *ps;
    char mac[18];

    pthread_mutex_lock(&n->vmm->lock);
    fs = vhost_frontend_get_stats(n->fe);
    ps = virtio_pci_get_stats(n->vp);
    snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", n->cfg.mac[0],
             n->cfg.mac[1], n->cfg.mac[2], n->cfg.mac[3], n->cfg.mac[4],
             n->cfg.mac[5]);
    json_object_object_add(o, "path", json_object_new_string(n->path));
    json_object_object_add(o, "mac", json_object_new_string(mac));
    json_object_object_add(o, "link_up", json_object_new_boolean(n->link_up));
    json_object_object_add(o, "driver_ok", json_object_new_boolean(
        virtio_pci_status(n->vp) & VIRTIO_STATUS_DRIVER_OK));
    json_object_object_add(o, "status", net_u64(virtio_pci_status(n->vp)));
    json_object_object_add(o, "driver_features",
                           net_u64(virtio_pci_driver_features(n->vp)));
    json_object_object_add(o, "backend_features",
                           net_u64(n->backend_features));
    json_object_object_add(o, "queue_pairs", net_u64(n->n_pairs));
    json_object_object_add(o, "active_pairs", net_u64(n->active
                                                      ? n->active_pairs : 0));
    json_object_object_add(o, "ctrl_commands", net_u64(n->ctrl_commands));
    json_object_object_add(o, "ctrl_refused", net_u64(n->ctrl_refused));
    json_object_object_add(o, "ctrl_bad_chains", net_u64(n->ctrl_bad_chains));
    json_object_object_add(o, "calls", net_u64(n->calls));
    json_object_object_add(o, "connects", net_u64(n->connects));
    json_object_object_add(o, "disconnects", net_u64(n->disconnects));
    json_object_object_add(o, "replays", net_u64(fs->replays));
    json_object_object_add(o, "vhost_requests", net_u64(fs->requests));
    json_object_object_add(o, "resets", net_u64(ps->resets));
    json_object_object_add(o, "needs_reset", net_u64(ps->needs_reset));
    json_object_object_add(o, "bad_accesses", net_u64(ps->bad_accesses));
    json_object_object_add(o, "notify_exits", net_u64(ps->notify_exits));
    json_object_object_add(o, "intx", net_u64(ps->intx));
    net_msix_json(o, n->vp, 2 * n->n_pairs);
    pthread_mutex_unlock(&n->vmm->lock);
    return o;
}
