/* SPDX-License-Identifier: Apache-2.0 */
/* vhost-user frontend (VMM role).  Section names refer to QEMU
 * docs/interop/vhost-user.rst. */
#include "vhost_frontend.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vhost_socket.h"
#include "vlog.h"

#define PF(f) VHOST_BIT(VHOST_USER_PROTOCOL_F_##f)

struct fe_vring {
    bool configured;             /* set_vring() done, not stopped since */
    bool started;                /* sent to a backend since set_vring() */
    struct vhost_frontend_vring v; /* kick_fd / call_fd are our dups */
    bool enable_set, enabled;
};

struct vhost_frontend {
    struct vhost_frontend_config cfg;
    struct vhost_frontend_ops ops;
    void *ctx;
    struct vhost_endpoint *ep;
    bool ready;      /* handshake + replay done on this connection */
    bool dropped;    /* a drop was requested for this connection */

    uint64_t backend_features, backend_proto;
    uint64_t proto;  /* negotiated protocol features */
    uint64_t acked;  /* features sent with SET_FEATURES */
    bool features_set; /* acked chosen by vhost_frontend_set_features() */
    uint64_t queue_num;
    uint16_t mtu;

    struct vhost_frontend_region regions[VHOST_USER_MEM_NREGIONS];
    unsigned n_regions;
    struct fe_vring vrings[VHOST_FRONTEND_MAX_VRINGS];
    struct vhost_frontend_stats stats;
};

static void
close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static int
dup_fd(int fd, int *out)
{
    *out = -1;
    if (fd < 0) {
        return 0;
    }
    *out = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    return *out < 0 ? -errno : 0;
}

/* ---- Transport ---------------------------------------------------------- */

static void
fe_drop(struct vhost_frontend *fe, const char *why, uint32_t request)
{
    RSW_LOG_RL(RSW_LOG_WARN, "%s: %s for %s: dropping the connection",
               fe->cfg.path, why, vhost_user_msg_name(request));
    fe->dropped = true;
    fe->ready = false;
    vhost_endpoint_disconnect(fe->ep);
}

/* Waits for and validates the reply to 'request' ("Message types": same
 * request number, REPLY flag, version 1, expected size, no fds). */
static int
fe_wait_reply(struct vhost_frontend *fe, int fd, uint32_t request,
              uint32_t size, struct vhost_user_msg *reply)
{
    int fds[VHOST_USER_MAX_FDS];
    unsigned nfds;
    int err;

    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int n = poll(&pfd, 1, fe->cfg.reply_timeout_ms);

        if (n == 0) {
            fe->stats.timeouts++;
            return -ETIMEDOUT;
        }
        if (n < 0 && errno != EINTR) {
            return -errno;
        }
        if (n < 0) {
            continue;
        }
        err = vhost_user_recv(fd, reply, fds, &nfds, fe->cfg.reply_timeout_ms);
        if (err != -EAGAIN) {
            break;
        }
    }
    if (err == -E2BIG) {
        nfds = 1; /* fds already closed; still a malformed reply */
    } else if (err) {
        return err;
    } else {
        vhost_user_close_fds(fds, nfds);
    }
    err = vhost_user_check_reply(reply, request, size, nfds);
    if (err) {
        fe->stats.bad_replies++;
        return err;
    }
    fe->stats.replies++;
    return 0;
}

/* Sends 'msg' and waits for its explicit reply or REPLY_ACK ack. */
static int
fe_transact(struct vhost_frontend *fe, struct vhost_user_msg *msg,
            const int *fds, unsigned nfds, struct vhost_user_msg *reply)
{
    const struct vhost_user_msg_info *info =
        vhost_user_msg_lookup(msg->hdr.request);
    bool explicit = info && info->has_reply;
    bool ack = !explicit && (fe->proto & PF(REPLY_ACK));
    int fd = vhost_endpoint_conn_fd(fe->ep);
    struct vhost_user_msg local;
    int err;

    if (fd < 0 || fe->dropped) {
        return -ENOTCONN;
    }
    if (!reply) {
        reply = &local;
    }
    if (ack) {
        msg->hdr.flags |= VHOST_USER_NEED_REPLY_MASK;
    }
    fe->stats.requests++;
    err = vhost_user_send(fd, msg, fds, nfds, fe->cfg.reply_timeout_ms);
    if (err) {
        fe_drop(fe, "send failed", msg->hdr.request);
        return err;
    }
    if (!explicit && !ack) {
        return 0;
    }
    err = fe_wait_reply(fe, fd, msg->hdr.request,
                        explicit ? info->reply_size : sizeof(uint64_t), reply);
    if (err) {
        fe_drop(fe, err == -ETIMEDOUT ? "no reply" : "bad reply",
                msg->hdr.request);
        return err;
    }
    if (ack && reply->payload.u64) {
        fe->stats.nacks++;
        return -EIO;
    }
    return 0;
}

static int
fe_get_u64(struct vhost_frontend *fe, enum vhost_user_request req,
           uint64_t *v)
{
    struct vhost_user_msg msg, reply;
    int err;

    vhost_user_msg_init(&msg, req, 0, false);
    err = fe_transact(fe, &msg, NULL, 0, &reply);
    if (!err) {
        *v = reply.payload.u64;
    }
    return err;
}

static int
fe_set_u64(struct vhost_frontend *fe, enum vhost_user_request req,
           uint64_t v, uint32_t size)
{
    struct vhost_user_msg msg;

    vhost_user_msg_init(&msg, req, size, false);
    msg.payload.u64 = v;
    return fe_transact(fe, &msg, NULL, 0, NULL);
}

static int
fe_set_state(struct vhost_frontend *fe, enum vhost_user_request req,
             unsigned idx, uint32_t num)
{
    struct vhost_user_msg msg;

    vhost_user_msg_init(&msg, req, sizeof msg.payload.state, false);
    msg.payload.state.index = idx;
    msg.payload.state.num = num;
    return fe_transact(fe, &msg, NULL, 0, NULL);
}

/* ---- Sending recorded state --------------------------------------------- */

static int
send_mem_table(struct vhost_frontend *fe)
{
    struct vhost_user_msg msg;
    int fds[VHOST_USER_MEM_NREGIONS];
    unsigned n = fe->n_regions;

    vhost_user_msg_init(&msg, VHOST_USER_SET_MEM_TABLE,
                        8 + n * sizeof(struct vhost_user_mem_region), false);
    msg.payload.mem.nregions = n;
    msg.payload.mem.padding = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct vhost_frontend_region *r = &fe->regions[i];

        msg.payload.mem.regions[i] = (struct vhost_user_mem_region) {
            .gpa = r->gpa, .size = r->size, .uva = r->uva,
            .mmap_offset = r->mmap_offset,
        };
        fds[i] = r->fd;
    }
    return fe_transact(fe, &msg, fds, n, NULL);
}

static int
send_vring_fd(struct vhost_frontend *fe, enum vhost_user_request req,
              unsigned idx, int fd)
{
    struct vhost_user_msg msg;

    /* SET_VRING_KICK/CALL: index in bits 0-7, bit 8 set when no fd. */
    vhost_user_msg_init(&msg, req, sizeof msg.payload.u64, false);
    msg.payload.u64 = idx | (fd < 0 ? VHOST_USER_VRING_NOFD_MASK : 0);
    return fe_transact(fe, &msg, fd < 0 ? NULL : &fd, fd >= 0, NULL);
}

static int
send_vring(struct vhost_frontend *fe, unsigned idx)
{
    const struct vhost_frontend_vring *v = &fe->vrings[idx].v;
    struct vhost_user_msg msg;
    int err;

    /* "Starting and stopping rings": size, base and addresses first, the
     * kick last (it starts the ring). */
    err = fe_set_state(fe, VHOST_USER_SET_VRING_NUM, idx, v->num);
    if (!err) {
        err = fe_set_state(fe, VHOST_USER_SET_VRING_BASE, idx, v->base);
    }
    if (err) {
        return err;
    }
    vhost_user_msg_init(&msg, VHOST_USER_SET_VRING_ADDR,
                        sizeof msg.payload.addr, false);
    msg.payload.addr = (struct vhost_user_vring_addr) {
        .index = idx, .desc = v->desc_uva, .used = v->used_uva,
        .avail = v->avail_uva,
    };
    err = fe_transact(fe, &msg, NULL, 0, NULL);
    if (!err) {
        err = send_vring_fd(fe, VHOST_USER_SET_VRING_CALL, idx, v->call_fd);
    }
    if (!err) {
        err = send_vring_fd(fe, VHOST_USER_SET_VRING_KICK, idx, v->kick_fd);
    }
    return err;
}

static bool
enable_msgs(const struct vhost_frontend *fe)
{
    /* SET_VRING_ENABLE "should be sent only when
     * VHOST_USER_F_PROTOCOL_FEATURES has been negotiated"; without it rings
     * are enabled as soon as they start. */
    return fe->acked & VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES);
}

/* The used index of a ring, read from the driver's memory: vring
 * addresses are the frontend's own ("Vring address description"), and
 * set_vring() checked the used ring's alignment (virtio 1.1 §2.6). */
static uint16_t
ring_used_idx(const struct vhost_frontend_vring *v)
{
    const volatile uint16_t *used = (const volatile uint16_t *)
                                    (uintptr_t) v->used_uva;

    return used[1];                  /* flags, idx, ring[] */
}

/* "Starting and stopping rings": a ring restarts at the base that
 * GET_VRING_BASE returned when it was stopped.  A backend that went away
 * while the ring ran never answered that, so the base recorded at
 * set_vring() is stale.  On a split ring without inflight tracking every
 * avail entry below used->idx was consumed and completed, so used->idx is
 * where the next backend must start (QEMU does the same when
 * GET_VRING_BASE fails: virtio_queue_restore_last_avail_idx()); entries
 * the old backend took but never completed are served again. */
static int
replay_vrings(struct vhost_frontend *fe)
{
    for (unsigned i = 0; i < VHOST_FRONTEND_MAX_VRINGS; i++) {
        struct fe_vring *vr = &fe->vrings[i];
        int err;

        if (!vr->configured) {
            continue;
        }
        if (vr->started) {
            vr->v.base = ring_used_idx(&vr->v);
        }
        err = send_vring(fe, i);
        vr->started |= !err;
        if (!err && vr->enable_set && enable_msgs(fe)) {
            err = fe_set_state(fe, VHOST_USER_SET_VRING_ENABLE, i,
                               vr->enabled);
        }
        if (err) {
            return err;
        }
    }
    return 0;
}

int
vhost_frontend_replay(struct vhost_frontend *fe)
{
    int err;

    if (vhost_endpoint_conn_fd(fe->ep) < 0 || fe->dropped) {
        return -ENOTCONN;
    }
    fe->stats.replays++;
    err = fe_set_u64(fe, VHOST_USER_SET_FEATURES, fe->acked, 8);
    if (!err && fe->mtu && (fe->proto & PF(NET_MTU))) {
        err = fe_set_u64(fe, VHOST_USER_NET_SET_MTU, fe->mtu, 8);
    }
    if (!err && fe->n_regions) {
        err = send_mem_table(fe);
    }
    if (!err) {
        err = replay_vrings(fe);
    }
    if (err) {
        fe->stats.replay_failures++;
    }
    return err;
}

/* ---- Handshake ---------------------------------------------------------- */

static uint64_t
features_to_ack(const struct vhost_frontend *fe, uint64_t wanted)
{
    uint64_t f = wanted & ~VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES);

    /* Like QEMU, ack VHOST_USER_F_PROTOCOL_FEATURES whenever the backend
     * offers it and protocol features are in use: it selects the
     * SET_VRING_ENABLE ring semantics we rely on. */
    if ((fe->backend_features & VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES))
        && fe->cfg.protocol_features) {
        f |= VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES);
    }
    return f;
}

static int
negotiate_protocol(struct vhost_frontend *fe)
{
    uint64_t want = fe->cfg.protocol_features;
    int err;

    fe->proto = 0;
    /* GET_PROTOCOL_FEATURES is "only legal if feature bit
     * VHOST_USER_F_PROTOCOL_FEATURES is present in GET_FEATURES". */
    if (!want || !(fe->backend_features
                   & VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES))) {
        return 0;
    }
    err = fe_get_u64(fe, VHOST_USER_GET_PROTOCOL_FEATURES,
                     &fe->backend_proto);
    if (!err) {
        err = fe_set_u64(fe, VHOST_USER_SET_PROTOCOL_FEATURES,
                         want & fe->backend_proto, 8);
    }
    if (!err) {
        fe->proto = want & fe->backend_proto;
    }
    return err;
}

static int
fe_handshake(struct vhost_frontend *fe)
{
    int err;

    fe->stats.handshakes++;
    err = fe_get_u64(fe, VHOST_USER_GET_FEATURES, &fe->backend_features);
    if (!err) {
        err = negotiate_protocol(fe);
    }
    if (!err) {
        err = fe_set_u64(fe, VHOST_USER_SET_OWNER, 0, 0);
    }
    if (err) {
        return err;
    }
    fe->queue_num = 1;
    if ((fe->proto & PF(MQ))
        && (err = fe_get_u64(fe, VHOST_USER_GET_QUEUE_NUM, &fe->queue_num))) {
        return err;
    }
    if (fe->queue_num < fe->cfg.n_queue_pairs) {
        RSW_LOG_RL(RSW_LOG_ERR, "%s: backend has %"PRIu64" queue pairs, "
                   "%u needed", fe->cfg.path, fe->queue_num,
                   fe->cfg.n_queue_pairs);
        return -ENOTSUP;
    }
    fe->acked = features_to_ack(fe, fe->features_set ? fe->acked
                                                     : fe->cfg.features
                                                       & fe->backend_features);
    /* After a reconnect the new backend must still offer what the driver
     * already acked: features cannot be taken back from a running guest. */
    if (fe->acked & ~fe->backend_features) {
        RSW_LOG_RL(RSW_LOG_ERR, "%s: backend lacks acked features %#"PRIx64,
                   fe->cfg.path, fe->acked & ~fe->backend_features);
        return -ENOTSUP;
    }
    return 0;
}

/* ---- Endpoint role ------------------------------------------------------ */

static int
fe_connected(void *ctx, int fd RSW_UNUSED)
{
    struct vhost_frontend *fe = ctx;
    int err;

    fe->dropped = false;
    err = fe_handshake(fe);
    if (!err) {
        err = vhost_frontend_replay(fe);
    }
    if (err) {
        RSW_LOG_RL(RSW_LOG_WARN, "%s: vhost-user setup failed: %s",
                   fe->cfg.path, strerror(-err));
        return err;
    }
    fe->ready = true;
    if (fe->ops.connected) {
        fe->ops.connected(fe->ctx);
    }
    return 0;
}

static int
fe_readable(void *ctx, int fd)
{
    struct vhost_frontend *fe = ctx;
    struct vhost_user_msg msg;
    int fds[VHOST_USER_MAX_FDS];
    unsigned nfds;
    int err = vhost_user_recv(fd, &msg, fds, &nfds, fe->cfg.reply_timeout_ms);

    /* Between requests the backend has nothing to say (we never open the
     * backend request channel): anything but "nothing yet" ends it. */
    if (err == -EAGAIN) {
        return 0;
    }
    if (!err) {
        vhost_user_close_fds(fds, nfds);
        fe->stats.bad_replies++;
        err = -EPROTO;
    }
    return err;
}

static void
fe_disconnected(void *ctx)
{
    struct vhost_frontend *fe = ctx;
    bool was_ready = fe->ready;

    fe->ready = false;
    fe->proto = 0;
    if (was_ready && fe->ops.disconnected) {
        fe->ops.disconnected(fe->ctx);
    }
}

static const struct vhost_endpoint_role frontend_role = {
    .connected = fe_connected,
    .readable = fe_readable,
    .disconnected = fe_disconnected,
};

int
vhost_frontend_create(const struct vhost_frontend_config *cfg,
                      const struct vhost_frontend_ops *ops, void *ctx,
                      struct vhost_frontend **out)
{
    struct vhost_frontend *fe;
    int err;

    *out = NULL;
    if (!cfg->path || cfg->n_queue_pairs > VHOST_FRONTEND_MAX_VRINGS / 2) {
        return -EINVAL;
    }
    fe = calloc(1, sizeof *fe);
    if (!fe) {
        return -ENOMEM;
    }
    fe->cfg = *cfg;
    fe->cfg.path = strdup(cfg->path);
    if (!fe->cfg.reply_timeout_ms) {
        fe->cfg.reply_timeout_ms = 2000;
    }
    if (ops) {
        fe->ops = *ops;
    }
    fe->ctx = ctx;
    for (unsigned i = 0; i < VHOST_FRONTEND_MAX_VRINGS; i++) {
        fe->vrings[i].v.kick_fd = fe->vrings[i].v.call_fd = -1;
    }
    err = fe->cfg.path ? vhost_endpoint_create(cfg->path, cfg->server,
                                               &frontend_role, fe, &fe->ep)
                       : -ENOMEM;
    if (err) {
        free((char *) fe->cfg.path);
        free(fe);
        return err;
    }
    *out = fe;
    return 0;
}

static void
forget_regions(struct vhost_frontend *fe)
{
    for (unsigned i = 0; i < fe->n_regions; i++) {
        close_fd(&fe->regions[i].fd);
    }
    fe->n_regions = 0;
}

static void
forget_vring(struct fe_vring *vr)
{
    close_fd(&vr->v.kick_fd);
    close_fd(&vr->v.call_fd);
    vr->configured = false;
    vr->started = false;
    vr->enable_set = false;
}

void
vhost_frontend_destroy(struct vhost_frontend *fe)
{
    if (!fe) {
        return;
    }
    vhost_endpoint_destroy(fe->ep);
    forget_regions(fe);
    for (unsigned i = 0; i < VHOST_FRONTEND_MAX_VRINGS; i++) {
        forget_vring(&fe->vrings[i]);
    }
    free((char *) fe->cfg.path);
    free(fe);
}

int
vhost_frontend_fd(const struct vhost_frontend *fe)
{
    return vhost_endpoint_fd(fe->ep);
}

int
vhost_frontend_process(struct vhost_frontend *fe, int timeout_ms)
{
    return vhost_endpoint_process(fe->ep, timeout_ms);
}

bool
vhost_frontend_is_ready(const struct vhost_frontend *fe)
{
    return fe->ready && vhost_endpoint_is_connected(fe->ep);
}

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
vhost_frontend_wait_ready(struct vhost_frontend *fe, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;

    while (!vhost_frontend_is_ready(fe)) {
        int64_t left = deadline - now_ms();
        int err;

        if (left <= 0) {
            return -ETIMEDOUT;
        }
        err = vhost_endpoint_process(fe->ep, left > 100 ? 100 : (int) left);
        if (err) {
            return err;
        }
    }
    return 0;
}

uint64_t
vhost_frontend_backend_features(const struct vhost_frontend *fe)
{
    return fe->backend_features;
}

uint64_t
vhost_frontend_features(const struct vhost_frontend *fe)
{
    return fe->acked;
}

uint64_t
vhost_frontend_protocol_features(const struct vhost_frontend *fe)
{
    return fe->proto;
}

uint64_t
vhost_frontend_queue_num(const struct vhost_frontend *fe)
{
    return fe->queue_num;
}

const struct vhost_frontend_stats *
vhost_frontend_get_stats(const struct vhost_frontend *fe)
{
    return &fe->stats;
}

/* ---- Device setup -------------------------------------------------------- */

/* Whether a recorded change can be sent now. */
static bool
fe_live(const struct vhost_frontend *fe)
{
    return fe->ready && !fe->dropped && vhost_endpoint_is_connected(fe->ep);
}

int
vhost_frontend_set_features(struct vhost_frontend *fe, uint64_t features)
{
    uint64_t acked = features_to_ack(fe, features);

    /* SET_FEATURES may only ack what GET_FEATURES offered. */
    if (fe->backend_features && (acked & ~fe->backend_features)) {
        return -EINVAL;
    }
    fe->acked = acked;
    fe->features_set = true;
    return fe_live(fe) ? fe_set_u64(fe, VHOST_USER_SET_FEATURES, acked, 8)
                       : -ENOTCONN;
}

int
vhost_frontend_set_mtu(struct vhost_frontend *fe, uint16_t mtu)
{
    /* NET_SET_MTU needs VHOST_USER_PROTOCOL_F_NET_MTU; virtio 1.1 §5.1.4.1
     * puts the minimum at 68. */
    if (mtu < 68) {
        return -EINVAL;
    }
    fe->mtu = mtu;
    if (!fe_live(fe)) {
        return -ENOTCONN;
    }
    if (!(fe->proto & PF(NET_MTU))) {
        return -ENOTSUP;
    }
    return fe_set_u64(fe, VHOST_USER_NET_SET_MTU, mtu, 8);
}

int
vhost_frontend_set_mem_table(struct vhost_frontend *fe,
                             const struct vhost_frontend_region *regions,
                             unsigned n)
{
    struct vhost_frontend_region copy[VHOST_USER_MEM_NREGIONS];
    struct vhost_user_mem_region r[VHOST_USER_MEM_NREGIONS];
    unsigned i;
    int err = 0;

    if (!n || n > VHOST_USER_MEM_NREGIONS) {
        return -EINVAL;
    }
    for (i = 0; i < n; i++) {
        r[i] = (struct vhost_user_mem_region) {
            .gpa = regions[i].gpa, .size = regions[i].size,
            .uva = regions[i].uva, .mmap_offset = regions[i].mmap_offset,
        };
    }
    if (!vhost_user_regions_valid(r, n)) {
        return -EINVAL;
    }
    for (i = 0; i < n && !err; i++) {
        copy[i] = regions[i];
        err = regions[i].fd < 0 ? -EBADF : dup_fd(regions[i].fd, &copy[i].fd);
    }
    if (err) {
        while (i-- > 0) {
            close_fd(&copy[i].fd);
        }
        return err;
    }
    forget_regions(fe);
    memcpy(fe->regions, copy, n * sizeof *copy);
    fe->n_regions = n;
    return fe_live(fe) ? send_mem_table(fe) : -ENOTCONN;
}

int
vhost_frontend_set_vring(struct vhost_frontend *fe, unsigned idx,
                         const struct vhost_frontend_vring *v)
{
    struct fe_vring *vr;
    int kick, call, err;

    /* Size: a power of two <= 32768; descriptor table, available and
     * used rings aligned to 16, 2 and 4 bytes (virtio 1.1 §2.6).  The used
     * ring is read at replay time (replay_vrings()): it must be there. */
    if (idx >= VHOST_FRONTEND_MAX_VRINGS || !v->num || v->num > 32768
        || (v->num & (v->num - 1)) || (v->desc_uva & 15)
        || (v->avail_uva & 1) || !v->used_uva || (v->used_uva & 3)) {
        return -EINVAL;
    }
    err = dup_fd(v->kick_fd, &kick);
    if (!err && (err = dup_fd(v->call_fd, &call))) {
        close_fd(&kick);
    }
    if (err) {
        return err;
    }
    vr = &fe->vrings[idx];
    forget_vring(vr);
    vr->v = *v;
    vr->v.kick_fd = kick;
    vr->v.call_fd = call;
    vr->configured = true;
    vr->started = false;             /* starts at v->base */
    if (!fe_live(fe)) {
        return -ENOTCONN;
    }
    err = send_vring(fe, idx);
    vr->started = !err;
    return err;
}

int
vhost_frontend_set_vring_enable(struct vhost_frontend *fe, unsigned idx,
                                bool enable)
{
    if (idx >= VHOST_FRONTEND_MAX_VRINGS) {
        return -EINVAL;
    }
    fe->vrings[idx].enable_set = true;
    fe->vrings[idx].enabled = enable;
    if (!fe_live(fe)) {
        return -ENOTCONN;
    }
    return enable_msgs(fe) ? fe_set_state(fe, VHOST_USER_SET_VRING_ENABLE,
                                          idx, enable)
                           : 0;
}

int
vhost_frontend_get_vring_base(struct vhost_frontend *fe, unsigned idx,
                              uint16_t *base)
{
    struct vhost_user_msg msg, reply;
    int err;

    if (idx >= VHOST_FRONTEND_MAX_VRINGS) {
        return -EINVAL;
    }
    if (!fe_live(fe)) {
        return -ENOTCONN;
    }
    vhost_user_msg_init(&msg, VHOST_USER_GET_VRING_BASE,
                        sizeof msg.payload.state, false);
    msg.payload.state.index = idx;
    msg.payload.state.num = 0;
    err = fe_transact(fe, &msg, NULL, 0, &reply);
    if (err) {
        return err;
    }
    /* The reply names the ring it answers for; a split ring's base is 16
     * bits. */
    if (reply.payload.state.index != idx || reply.payload.state.num > 0xffff) {
        fe->stats.bad_replies++;
        fe_drop(fe, "bad reply", VHOST_USER_GET_VRING_BASE);
        return -EPROTO;
    }
    *base = reply.payload.state.num;
    fe->vrings[idx].v.base = *base;
    fe->vrings[idx].configured = false; /* stopped: not replayed */
    fe->vrings[idx].started = false;
    return 0;
}

int
vhost_frontend_get_queue_num(struct vhost_frontend *fe, uint64_t *n)
{
    if (!fe_live(fe)) {
        return -ENOTCONN;
    }
    if (!(fe->proto & PF(MQ))) {
        return -ENOTSUP;
    }
    return fe_get_u64(fe, VHOST_USER_GET_QUEUE_NUM, n);
}

int
vhost_frontend_reset_device(struct vhost_frontend *fe)
{
    int err;

    forget_regions(fe);
    fe->mtu = 0;
    for (unsigned i = 0; i < VHOST_FRONTEND_MAX_VRINGS; i++) {
        forget_vring(&fe->vrings[i]);
    }
    if (!fe_live(fe)) {
        return -ENOTCONN;
    }
    if (!(fe->proto & PF(RESET_DEVICE))) {
        return -ENOTSUP;
    }
    err = fe_set_u64(fe, VHOST_USER_RESET_DEVICE, 0, 0);
    /* RESET_DEVICE returns the device to its initial state, features
     * included: ack them again so it can be set up. */
    return err ? err : fe_set_u64(fe, VHOST_USER_SET_FEATURES, fe->acked, 8);
}
