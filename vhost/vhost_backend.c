/* SPDX-License-Identifier: Apache-2.0 */
/* vhost-user backend (device role) for virtio-net.  Section names refer to
 * QEMU docs/interop/vhost-user.rst. */
#include "vhost_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest_mem.h"
#include "vhost_user_handlers.h"
#include "virtio_net.h"
#include "virtq.h"
#include "vlog.h"

#define MAX_VRINGS (2 * VHOST_BACKEND_MAX_QUEUE_PAIRS)
#define RECV_TIMEOUT_MS 1000 /* to complete a message already started */
#define SEND_TIMEOUT_MS 1000

struct backend_vring {
    uint32_t num;          /* SET_VRING_NUM, 0 = not yet */
    bool addr_set;
    struct vhost_user_vring_addr addr;
    uint16_t base;         /* next avail index to use when (re)started */
    bool kick_set;         /* SET_VRING_KICK seen (fd or polling) */
    int kick_fd, call_fd, err_fd;
    bool enabled;          /* SET_VRING_ENABLE value */
    struct virtq *vq;      /* non-NULL = started */
    bool ready;            /* vring_state(true) announced */
};

struct backend_region {
    struct vhost_user_mem_region r;
    int fd; /* our own fd, kept to rebuild the table on ADD/REM_MEM_REG */
};

struct vhost_backend {
    char *name;
    struct vhost_backend_config cfg;
    struct vhost_backend_ops ops;
    void *ctx;
    unsigned max_vrings;

    bool connected;
    bool owner;
    uint64_t features;
    uint64_t proto_features;
    uint16_t mtu;

    struct guest_mem *mem;
    struct backend_region regions[GUEST_MEM_MAX_REGIONS];
    unsigned n_regions;

    struct backend_vring vrings[MAX_VRINGS];
    struct vhost_backend_stats stats;
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
fcntl_dupfd(int fd)
{
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);

    return nfd < 0 ? -errno : nfd;
}

static bool
has_feature(const struct vhost_backend *b, unsigned bit)
{
    return b->features & VHOST_BIT(bit);
}

/* ---- Ring lifecycle --------------------------------------------------- */

static void
vring_announce(struct vhost_backend *b, unsigned idx, bool ready)
{
    struct backend_vring *vr = &b->vrings[idx];

    if (vr->ready == ready) {
        return;
    }
    vr->ready = ready;
    if (b->ops.vring_state) {
        b->ops.vring_state(b->ctx, idx, vr->vq, ready);
    }
}

/* Stops ring 'idx': the datapath lets go of it, its position is kept in
 * 'base' so a later start continues where it stopped. */
static void
vring_stop(struct vhost_backend *b, unsigned idx)
{
    struct backend_vring *vr = &b->vrings[idx];

    vring_announce(b, idx, false);
    if (vr->vq) {
        vr->base = virtq_last_avail_idx(vr->vq);
        virtq_destroy(vr->vq);
        vr->vq = NULL;
    }
}

static int
vring_start(struct vhost_backend *b, unsigned idx)
{
    struct backend_vring *vr = &b->vrings[idx];
    struct virtq_config cfg = {
        .size = vr->num,
        .desc_uva = vr->addr.desc,
        .avail_uva = vr->addr.avail,
        .used_uva = vr->addr.used,
        .last_avail_idx = vr->base,
        .used_idx = vr->base,
        .event_idx = has_feature(b, VIRTIO_RING_F_EVENT_IDX),
        .indirect = has_feature(b, VIRTIO_RING_F_INDIRECT_DESC),
        .call_fd = vr->call_fd,
        .resume_at_used = true,
    };
    int err = virtq_create(&cfg, b->mem, &vr->vq);

    if (err) {
        vr->vq = NULL;
        b->stats.ring_start_failed++;
        RSW_LOG_RL(RSW_LOG_WARN, "%s: vring %u: cannot start (size %u): %s",
                   b->name, idx, vr->num, strerror(-err));
    } else if (virtq_last_avail_idx(vr->vq) != vr->base) {
        /* SET_VRING_BASE disagrees with the ring's used index: resumed at
         * the used index (virtq_create explains why). */
        b->stats.ring_resumed_at_used++;
        RSW_LOG_RL(RSW_LOG_WARN, "%s: vring %u: base %u but used index %u: "
                   "resuming at the used index", b->name, idx, vr->base,
                   virtq_last_avail_idx(vr->vq));
    }
    return err;
}

/* Brings ring 'idx' to the state its configuration calls for
 * ("Starting and stopping rings", "Ring states"). */
static void
vring_update(struct vhost_backend *b, unsigned idx)
{
    struct backend_vring *vr = &b->vrings[idx];
    bool startable = vr->num && vr->addr_set && vr->kick_set && b->mem;
    /* Without VHOST_USER_F_PROTOCOL_FEATURES rings are enabled at once;
     * with it they start disabled until SET_VRING_ENABLE. */
    bool enabled = !has_feature(b, VHOST_USER_F_PROTOCOL_FEATURES)
                   || vr->enabled;

    if (!startable) {
        vring_stop(b, idx);
        return;
    }
    if (!vr->vq && vring_start(b, idx)) {
        return;
    }
    vring_announce(b, idx, enabled);
}

static void
vring_clear(struct vhost_backend *b, unsigned idx)
{
    struct backend_vring *vr = &b->vrings[idx];

    vring_stop(b, idx);
    close_fd(&vr->kick_fd);
    close_fd(&vr->call_fd);
    close_fd(&vr->err_fd);
    memset(vr, 0, sizeof *vr);
    vr->kick_fd = vr->call_fd = vr->err_fd = -1;
}

/* ---- Memory ----------------------------------------------------------- */

static void
regions_close(struct backend_region *regs, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        close_fd(&regs[i].fd);
    }
}

/* Maps 'regs' as a new guest_mem.  guest_mem_create() takes ownership of
 * the fds it gets, so it gets duplicates: ours stay for later rebuilds. */
static int
mem_build(const struct backend_region *regs, unsigned n, unsigned max,
          struct guest_mem **out)
{
    struct guest_mem_region_desc d[GUEST_MEM_MAX_REGIONS];
    unsigned i;
    int err;

    for (i = 0; i < n; i++) {
        d[i] = (struct guest_mem_region_desc) {
            .gpa = regs[i].r.gpa,
            .size = regs[i].r.size,
            .uva = regs[i].r.uva,
            .mmap_offset = regs[i].r.mmap_offset,
            .fd = fcntl_dupfd(regs[i].fd),
        };
        if (d[i].fd < 0) {
            err = d[i].fd;
            goto err_close;
        }
    }
    return guest_mem_create(d, n, max, out);

err_close:
    while (i-- > 0) {
        close(d[i].fd);
    }
    return err;
}

/* Switches to 'mem' (may be NULL): the datapath lets go of every ready
 * ring, started rings are rebound to the new table (a ring whose addresses
 * no longer translate is stopped), then rings are restarted and the old
 * table unmapped. */
static void
mem_install(struct vhost_backend *b, struct guest_mem *mem)
{
    struct guest_mem *old = b->mem;

    for (unsigned i = 0; i < b->max_vrings; i++) {
        vring_announce(b, i, false);
    }
    b->mem = mem;
    for (unsigned i = 0; i < b->max_vrings; i++) {
        struct backend_vring *vr = &b->vrings[i];

        if (vr->vq && (!mem || virtq_remap(vr->vq, mem))) {
            if (mem) {
                b->stats.ring_remap_failed++;
                RSW_LOG_RL(RSW_LOG_WARN, "%s: vring %u: rings outside the "
                           "new memory table, stopped", b->name, i);
            }
            vring_stop(b, i);
        }
    }
    for (unsigned i = 0; i < b->max_vrings; i++) {
        vring_update(b, i);
    }
    guest_mem_destroy(old);
}

static bool
fd_listed(const struct backend_region *regs, unsigned n, int fd)
{
    for (unsigned i = 0; i < n; i++) {
        if (regs[i].fd == fd) {
            return true;
        }
    }
    return false;
}

/* Replaces the region list with regs[0..n).  On success the backend owns
 * every fd in 'regs' and has closed the old fds not carried over; on
 * failure nothing changed and the caller still owns the new fds. */
static int
mem_replace(struct vhost_backend *b, const struct backend_region *regs,
            unsigned n)
{
    struct guest_mem *mem = NULL;

    if (n) {
        int err = mem_build(regs, n, b->cfg.max_mem_slots, &mem);
        if (err) {
            RSW_LOG_RL(RSW_LOG_WARN, "%s: memory table refused: %s",
                       b->name, strerror(-err));
            return err;
        }
    }
    mem_install(b, mem);
    for (unsigned i = 0; i < b->n_regions; i++) {
        if (!fd_listed(regs, n, b->regions[i].fd)) {
            close_fd(&b->regions[i].fd);
        }
    }
    memmove(b->regions, regs, n * sizeof *regs);
    b->n_regions = n;
    return 0;
}

static bool
regions_disjoint(const struct backend_region *regs, unsigned n)
{
    struct vhost_user_mem_region r[GUEST_MEM_MAX_REGIONS];

    for (unsigned i = 0; i < n; i++) {
        r[i] = regs[i].r;
    }
    return vhost_user_regions_valid(r, n);
}

static void
mem_clear(struct vhost_backend *b)
{
    mem_install(b, NULL);
    regions_close(b->regions, b->n_regions);
    b->n_regions = 0;
}

/* ---- Device-level state ------------------------------------------------ */

static void
device_reset(struct vhost_backend *b, bool keep_protocol)
{
    for (unsigned i = 0; i < b->max_vrings; i++) {
        vring_clear(b, i);
    }
    mem_clear(b);
    b->features = 0;
    b->mtu = 0;
    if (!keep_protocol) {
        b->proto_features = 0;
        b->owner = false;
    }
}

int
vhost_backend_create(const struct vhost_backend_config *cfg,
                     const struct vhost_backend_ops *ops, void *ctx,
                     struct vhost_backend **out)
{
    struct vhost_backend *b;

    *out = NULL;
    if (!cfg->max_queue_pairs
        || cfg->max_queue_pairs > VHOST_BACKEND_MAX_QUEUE_PAIRS
        || cfg->max_mem_slots > GUEST_MEM_MAX_REGIONS
        || (cfg->features & ~VHOST_BACKEND_SUPPORTED_FEATURES)
        || (cfg->protocol_features
            & ~VHOST_BACKEND_SUPPORTED_PROTOCOL_FEATURES)) {
        return -EINVAL;
    }
    b = calloc(1, sizeof *b);
    if (!b) {
        return -ENOMEM;
    }
    b->name = strdup(cfg->name ? cfg->name : "vhost");
    if (!b->name) {
        free(b);
        return -ENOMEM;
    }
    b->cfg = *cfg;
    b->cfg.name = b->name;
    if (!b->cfg.features) {
        b->cfg.features = VHOST_BACKEND_DEFAULT_FEATURES;
    }
    if (!b->cfg.protocol_features) {
        b->cfg.protocol_features = VHOST_BACKEND_DEFAULT_PROTOCOL_FEATURES;
    }
    if (!b->cfg.max_mem_slots) {
        b->cfg.max_mem_slots = GUEST_MEM_MAX_REGIONS;
    }
    if (ops) {
        b->ops = *ops;
    }
    b->ctx = ctx;
    b->max_vrings = 2 * cfg->max_queue_pairs;
    for (unsigned i = 0; i < MAX_VRINGS; i++) {
        b->vrings[i].kick_fd = b->vrings[i].call_fd = -1;
        b->vrings[i].err_fd = -1;
    }
    *out = b;
    return 0;
}

void
vhost_backend_destroy(struct vhost_backend *b)
{
    if (!b) {
        return;
    }
    vhost_backend_reset(b);
    free(b->name);
    free(b);
}

void
vhost_backend_connected(struct vhost_backend *b)
{
    b->connected = true;
    RSW_LOG(RSW_LOG_INFO, "%s: vhost-user frontend connected", b->name);
    if (b->ops.connected) {
        b->ops.connected(b->ctx);
    }
}

void
vhost_backend_reset(struct vhost_backend *b)
{
    /* Nothing negotiated on one connection may leak into the next: the
     * next frontend starts again from GET_FEATURES. */
    device_reset(b, false);
    b->stats.resets++;
    if (b->connected) {
        b->connected = false;
        RSW_LOG(RSW_LOG_INFO, "%s: vhost-user frontend disconnected",
                b->name);
        if (b->ops.disconnected) {
            b->ops.disconnected(b->ctx);
        }
    }
}

/* ---- Handlers ----------------------------------------------------------
 * Each runs after vhost_user_check() accepted the request, so sizes, fd
 * counts, protocol features and vring indexes are already valid. */

static struct backend_vring *
req_vring(struct vhost_backend *b, const struct vhost_user_req *req,
          unsigned *idx)
{
    *idx = vhost_user_msg_vring(req->msg);
    return &b->vrings[*idx];
}

int
vhost_backend_get_features(struct vhost_backend *b, struct vhost_user_req *req)
{
    req->reply->payload.u64 = b->cfg.features;
    return 0;
}

int
vhost_backend_set_features(struct vhost_backend *b, struct vhost_user_req *req)
{
    uint64_t f = req->msg->payload.u64;

    /* SET_FEATURES: only features offered by GET_FEATURES may be acked. */
    if (f & ~b->cfg.features) {
        RSW_LOG_RL(RSW_LOG_WARN, "%s: SET_FEATURES %#"PRIx64" has "
                   "features not offered (%#"PRIx64")", b->name, f,
                   f & ~b->cfg.features);
        return -EINVAL;
    }
    /* The ring layout (event index, indirect) depends on the features:
     * changing them under started rings is refused. */
    for (unsigned i = 0; i < b->max_vrings; i++) {
        if (b->vrings[i].vq && f != b->features) {
            return -EBUSY;
        }
    }
    b->features = f;
    for (unsigned i = 0; i < b->max_vrings; i++) {
        vring_update(b, i);
    }
    return 0;
}

int
vhost_backend_set_owner(struct vhost_backend *b,
                        struct vhost_user_req *req RSW_UNUSED)
{
    b->owner = true;
    return 0;
}

int
vhost_backend_reset_owner(struct vhost_backend *b,
                          struct vhost_user_req *req RSW_UNUSED)
{
    /* RESET_OWNER is deprecated; like other backends we treat it as a
     * device reset that keeps the negotiated protocol features. */
    device_reset(b, true);
    return 0;
}

int
vhost_backend_reset_device(struct vhost_backend *b,
                           struct vhost_user_req *req RSW_UNUSED)
{
    /* RESET_DEVICE: "disable all rings and reset all internal device state
     * to the initial state"; the back-end keeps its ownership. */
    device_reset(b, true);
    return 0;
}

int
vhost_backend_set_mem_table(struct vhost_backend *b,
                            struct vhost_user_req *req)
{
    const struct vhost_user_mem_table *t = &req->msg->payload.mem;
    struct backend_region regs[VHOST_USER_MEM_NREGIONS];
    int err;

    /* The validator checked nregions == nfds and the region ranges. */
    for (unsigned i = 0; i < t->nregions; i++) {
        regs[i].r = t->regions[i];
        regs[i].fd = req->fds[i];
    }
    err = mem_replace(b, regs, t->nregions);
    if (!err) {
        for (unsigned i = 0; i < t->nregions; i++) {
            req->fds[i] = -1; /* now ours */
        }
    }
    return err;
}

int
vhost_backend_add_mem_reg(struct vhost_backend *b, struct vhost_user_req *req)
{
    struct backend_region regs[GUEST_MEM_MAX_REGIONS];
    unsigned n = b->n_regions;
    int err;

    /* ADD_MEM_REG: at most GET_MAX_MEM_SLOTS regions in total, and the new
     * one may not overlap an existing one ("Memory regions description"). */
    if (n >= b->cfg.max_mem_slots) {
        return -ENOSPC;
    }
    memcpy(regs, b->regions, n * sizeof *regs);
    regs[n].r = req->msg->payload.mem_reg.region;
    regs[n].fd = req->fds[0];
    if (!regions_disjoint(regs, n + 1)) {
        return -EINVAL;
    }
    err = mem_replace(b, regs, n + 1);
    if (!err) {
        req->fds[0] = -1;
    }
    return err;
}

int
vhost_backend_rem_mem_reg(struct vhost_backend *b, struct vhost_user_req *req)
{
    const struct vhost_user_mem_region *rm = &req->msg->payload.mem_reg.region;
    struct backend_region regs[GUEST_MEM_MAX_REGIONS];
    unsigned n = 0;
    bool found = false;

    /* REM_MEM_REG: the region is identified by guest address, user address
     * and size; "the mmap offset is ignored".  A passed fd is closed by the
     * dispatcher unused. */
    for (unsigned i = 0; i < b->n_regions; i++) {
        const struct vhost_user_mem_region *r = &b->regions[i].r;

        if (!found && r->gpa == rm->gpa && r->uva == rm->uva
            && r->size == rm->size) {
            found = true;
            continue;
        }
        regs[n++] = b->regions[i];
    }
    if (!found) {
        return -ENOENT;
    }
    return mem_replace(b, regs, n);
}

int
vhost_backend_get_max_mem_slots(struct vhost_backend *b,
                                struct vhost_user_req *req)
{
    req->reply->payload.u64 = b->cfg.max_mem_slots;
    return 0;
}

int
vhost_backend_set_vring_num(struct vhost_backend *b,
                            struct vhost_user_req *req)
{
    unsigned idx;
    struct backend_vring *vr = req_vring(b, req, &idx);

    /* The validator checked: power of two, <= 32768 (virtio 1.1 §2.6).
     * A started ring is stopped first: its layout depends on the size. */
    vring_stop(b, idx);
    vr->num = req->msg->payload.state.num;
    vring_update(b, idx);
    return 0;
}

int
vhost_backend_set_vring_addr(struct vhost_backend *b,
                             struct vhost_user_req *req)
{
    unsigned idx;
    struct backend_vring *vr = req_vring(b, req, &idx);

    /* Addresses are frontend virtual addresses ("Vring address
     * description"); virtq_create() translates and range-checks them. */
    vring_stop(b, idx);
    vr->addr = req->msg->payload.addr;
    vr->addr_set = true;
    vring_update(b, idx);
    return 0;
}

int
vhost_backend_set_vring_base(struct vhost_backend *b,
                             struct vhost_user_req *req)
{
    unsigned idx;
    struct backend_vring *vr = req_vring(b, req, &idx);

    vring_stop(b, idx);
    vr->base = req->msg->payload.state.num;
    vring_update(b, idx);
    return 0;
}

int
vhost_backend_get_vring_base(struct vhost_backend *b,
                             struct vhost_user_req *req)
{
    unsigned idx;
    struct backend_vring *vr = req_vring(b, req, &idx);

    /* GET_VRING_BASE: "stop the vring and return the current
     * last_avail_idx".  It restarts only after a new SET_VRING_KICK. */
    vring_stop(b, idx);
    vr->kick_set = false;
    close_fd(&vr->kick_fd);
    req->reply->payload.state.index = idx;
    req->reply->payload.state.num = vr->base;
    return 0;
}

int
vhost_backend_set_vring_fd(struct vhost_backend *b, struct vhost_user_req *req)
{
    unsigned idx;
    struct backend_vring *vr = req_vring(b, req, &idx);
    int fd = req->nfds ? req->fds[0] : -1;

    req->fds[0] = -1;
    switch (req->msg->hdr.request) {
    case VHOST_USER_SET_VRING_KICK:
        /* NOFD: the ring is polled, which is what a PMD does anyway. */
        close_fd(&vr->kick_fd);
        vr->kick_fd = fd;
        vr->kick_set = true;
        break;
    case VHOST_USER_SET_VRING_CALL:
        /* The virtq signals this fd: a started ring is restarted so it
         * uses the new one (NOFD: the driver polls, no interrupts). */
        vring_stop(b, idx);
        close_fd(&vr->call_fd);
        vr->call_fd = fd;
        break;
    default: /* SET_VRING_ERR: kept, we never report ring errors */
        close_fd(&vr->err_fd);
        vr->err_fd = fd;
        break;
    }
    vring_update(b, idx);
    return 0;
}

int
vhost_backend_get_protocol_features(struct vhost_backend *b,
                                    struct vhost_user_req *req)
{
    /* "Only legal if feature bit VHOST_USER_F_PROTOCOL_FEATURES is present
     * in VHOST_USER_GET_FEATURES". */
    if (!(b->cfg.features & VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES))) {
        return -ENOTSUP;
    }
    req->reply->payload.u64 = b->cfg.protocol_features;
    return 0;
}

int
vhost_backend_set_protocol_features(struct vhost_backend *b,
                                    struct vhost_user_req *req)
{
    uint64_t f = req->msg->payload.u64;

    if (!(b->cfg.features & VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES))) {
        return -ENOTSUP;
    }
    /* Only offered protocol features may be enabled. */
    if (f & ~b->cfg.protocol_features) {
        RSW_LOG_RL(RSW_LOG_WARN, "%s: SET_PROTOCOL_FEATURES %#"PRIx64
                   " not offered", b->name, f & ~b->cfg.protocol_features);
        return -EINVAL;
    }
    b->proto_features = f;
    return 0;
}

int
vhost_backend_get_queue_num(struct vhost_backend *b,
                            struct vhost_user_req *req)
{
    /* GET_QUEUE_NUM: "the number of queues supported"; frontends compare it
     * with the queue pairs they want (QEMU net, DPDK virtio-user). */
    req->reply->payload.u64 = b->cfg.max_queue_pairs;
    return 0;
}

int
vhost_backend_set_vring_enable(struct vhost_backend *b,
                               struct vhost_user_req *req)
{
    unsigned idx;
    struct backend_vring *vr = req_vring(b, req, &idx);

    vr->enabled = req->msg->payload.state.num;
    vring_update(b, idx);
    return 0;
}

int
vhost_backend_send_rarp(struct vhost_backend *b, struct vhost_user_req *req)
{
    const uint8_t *mac = req->msg->payload.raw;

    /* SEND_RARP: the first 6 bytes are the guest MAC to announce after
     * migration.  The switch learns MACs from traffic; we only log. */
    RSW_LOG_RL(RSW_LOG_INFO, "%s: SEND_RARP for "
               "%02x:%02x:%02x:%02x:%02x:%02x", b->name, mac[0], mac[1],
               mac[2], mac[3], mac[4], mac[5]);
    return 0;
}

int
vhost_backend_net_set_mtu(struct vhost_backend *b, struct vhost_user_req *req)
{
    uint64_t mtu = req->msg->payload.u64;

    /* NET_SET_MTU: virtio-net's mtu is 16 bits, at least 68 (virtio 1.1
     * §5.1.4.1). */
    if (mtu < 68 || mtu > UINT16_MAX) {
        return -EINVAL;
    }
    if (b->ops.set_mtu) {
        int err = b->ops.set_mtu(b->ctx, mtu);
        if (err) {
            return err < 0 ? err : -EINVAL;
        }
    }
    b->mtu = mtu;
    return 0;
}

/* ---- Dispatch ---------------------------------------------------------- */

static bool
reply_ack_wanted(const struct vhost_backend *b,
                 const struct vhost_user_msg *msg)
{
    /* "REPLY_ACK": with the feature negotiated and NEED_REPLY set, a request
     * without an explicit reply gets a u64 reply: 0 success, else failure. */
    return (msg->hdr.flags & VHOST_USER_NEED_REPLY_MASK)
           && (b->proto_features
               & VHOST_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK));
}

static void
finish_reply(struct vhost_backend *b, const struct vhost_user_msg *msg,
             const struct vhost_user_msg_info *info, int err,
             struct vhost_user_msg *reply, bool *send_reply)
{
    if (info && info->has_reply) {
        /* A refused request with an explicit reply gets none: any payload
         * we made up could be mistaken for a valid answer. */
        if (!err) {
            vhost_user_reply_init(reply, msg, info->reply_size);
            *send_reply = true;
            b->stats.replies++;
        }
    } else if (reply_ack_wanted(b, msg)) {
        vhost_user_reply_init(reply, msg, sizeof(uint64_t));
        reply->payload.u64 = err ? (uint64_t) -err : 0;
        *send_reply = true;
        err ? b->stats.nacks++ : b->stats.acks++;
    }
}

static int
refuse(struct vhost_backend *b, const struct vhost_user_msg *msg,
       enum vhost_user_refusal why, struct vhost_user_msg *reply,
       bool *send_reply)
{
    int err = why == VHOST_USER_REFUSED_UNKNOWN
              || why == VHOST_USER_REFUSED_UNSUPPORTED ? -ENOTSUP : -EINVAL;

    b->stats.refused[why]++;
    RSW_LOG_RL(RSW_LOG_WARN, "%s: refused %s (request %"PRIu32", size %"
               PRIu32"): %s", b->name, vhost_user_msg_name(msg->hdr.request),
               msg->hdr.request, msg->hdr.size, vhost_user_refusal_name(why));
    finish_reply(b, msg, vhost_user_msg_lookup(msg->hdr.request), err, reply,
                 send_reply);
    return err;
}

int
vhost_backend_handle_msg(struct vhost_backend *b,
                         const struct vhost_user_msg *msg, int *fds,
                         unsigned nfds, struct vhost_user_msg *reply,
                         bool *send_reply)
{
    const struct vhost_user_msg_info *info;
    enum vhost_user_refusal why;
    int err;

    *send_reply = false;
    b->stats.msgs++;
    why = vhost_user_check(msg, nfds, b->proto_features, b->max_vrings);
    if (why != VHOST_USER_OK) {
        vhost_user_close_fds(fds, nfds);
        return refuse(b, msg, why, reply, send_reply);
    }
    info = vhost_user_msg_lookup(msg->hdr.request);
    struct vhost_user_req req = {
        .msg = msg, .fds = fds, .nfds = nfds, .reply = reply,
    };
    err = info->handler(b, &req);
    vhost_user_close_fds(fds, nfds);
    if (err) {
        b->stats.refused[VHOST_USER_REFUSED_HANDLER]++;
        b->stats.failed[msg->hdr.request]++;
        RSW_LOG_RL(RSW_LOG_WARN, "%s: %s failed: %s", b->name, info->name,
                   strerror(-err));
    } else {
        b->stats.msgs_ok++;
    }
    finish_reply(b, msg, info, err, reply, send_reply);
    return err;
}

int
vhost_backend_process_socket(struct vhost_backend *b, int sock,
                             unsigned budget)
{
    struct vhost_user_msg msgs[2], *msg = &msgs[0], *reply = &msgs[1];
    int fds[VHOST_USER_MAX_FDS], n = 0, err = 0;
    unsigned nfds;
    bool send_reply;

    while ((unsigned) n < budget) {
        send_reply = false;
        err = vhost_user_recv(sock, msg, fds, &nfds, RECV_TIMEOUT_MS);
        if (err == -EAGAIN) {
            err = 0;
            break;
        }
        if (err == -E2BIG) {
            /* More fds than any request carries; they are closed and the
             * stream is intact, so refuse just this request. */
            b->stats.msgs++;
            (void) refuse(b, msg, VHOST_USER_REFUSED_BAD_FDS, reply,
                          &send_reply);
        } else if (err) {
            break;
        } else {
            (void) vhost_backend_handle_msg(b, msg, fds, nfds, reply,
                                            &send_reply);
        }
        n++;
        if (send_reply) {
            err = vhost_user_send(sock, reply, NULL, 0, SEND_TIMEOUT_MS);
            if (err) {
                break;
            }
        }
        err = 0;
    }
    if (err == -EMSGSIZE) {
        RSW_LOG_RL(RSW_LOG_WARN, "%s: message size %"PRIu32" > %u: "
                   "dropping the connection", b->name, msg->hdr.size,
                   VHOST_USER_MAX_PAYLOAD);
    }
    return err ? err : n;
}

/* ---- Accessors --------------------------------------------------------- */

const char *
vhost_backend_name(const struct vhost_backend *b)
{
    return b->name;
}

uint64_t
vhost_backend_features(const struct vhost_backend *b)
{
    return b->features;
}

uint64_t
vhost_backend_protocol_features(const struct vhost_backend *b)
{
    return b->proto_features;
}

size_t
vhost_backend_hdr_len(const struct vhost_backend *b)
{
    return virtio_net_hdr_len(b->features);
}

unsigned
vhost_backend_max_vrings(const struct vhost_backend *b)
{
    return b->max_vrings;
}

struct virtq *
vhost_backend_virtq(const struct vhost_backend *b, unsigned qidx)
{
    if (qidx >= b->max_vrings || !b->vrings[qidx].ready) {
        return NULL;
    }
    return b->vrings[qidx].vq;
}

bool
vhost_backend_vring_ready(const struct vhost_backend *b, unsigned qidx)
{
    return qidx < b->max_vrings && b->vrings[qidx].ready;
}

const struct guest_mem *
vhost_backend_mem(const struct vhost_backend *b)
{
    return b->mem;
}

uint16_t
vhost_backend_mtu(const struct vhost_backend *b)
{
    return b->mtu;
}

int
vhost_backend_call_fd(const struct vhost_backend *b, unsigned qidx)
{
    return qidx < b->max_vrings ? b->vrings[qidx].call_fd : -1;
}

unsigned
vhost_backend_n_fds(const struct vhost_backend *b)
{
    unsigned n = b->n_regions;

    for (unsigned i = 0; i < b->max_vrings; i++) {
        const struct backend_vring *vr = &b->vrings[i];

        n += (vr->kick_fd >= 0) + (vr->call_fd >= 0) + (vr->err_fd >= 0);
    }
    return n;
}

const struct vhost_backend_stats *
vhost_backend_get_stats(const struct vhost_backend *b)
{
    return &b->stats;
}
