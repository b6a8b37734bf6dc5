/* SPDX-License-Identifier: Apache-2.0 */
/* vhost-user backend: negotiation, ring lifecycle, memory tables, hostile
 * frontends, resource hygiene. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>

#include "vhost/guest_mem.h"
#include "vhost/vhost_backend.h"
#include "vhost/virtq.h"
#include "vhost/virtq_driver.h"
#include "vhost/vlog.h"
#include "vhost_test_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define TB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TB_ASAN 1
#endif
#endif

#define MEM_SIZE (1u << 20)
#define NQ 4
#define PF(f) VHOST_BIT(VHOST_USER_PROTOCOL_F_##f)

struct tb {
    struct vhost_backend *b;
    int sv[2];          /* [0] frontend side, [1] backend side */
    int mfd;
    uint8_t *mem;
    struct virtq_driver drv[NQ];
    bool drv_init[NQ];
    struct virtq *vq[NQ];
    bool ready[NQ];
    unsigned ready_events, unready_events;
    unsigned connected, disconnected;
    int mtu_ret;
    uint16_t mtu;
    unsigned fds_before, maps_before;
    int64_t ok; /* what a successful NEED_REPLY request returns: 0 with
                   REPLY_ACK negotiated, -1 (no reply) without */
};

static void
vring_state_cb(void *ctx, unsigned qidx, struct virtq *vq, bool ready)
{
    struct tb *t = ctx;

    assert_true(qidx < NQ);
    assert_true(t->ready[qidx] != ready); /* transitions only */
    assert_non_null(vq);
    t->ready[qidx] = ready;
    t->vq[qidx] = ready ? vq : NULL;
    ready ? t->ready_events++ : t->unready_events++;
}

static void
connected_cb(void *ctx)
{
    ((struct tb *) ctx)->connected++;
}

static void
disconnected_cb(void *ctx)
{
    ((struct tb *) ctx)->disconnected++;
}

static int
set_mtu_cb(void *ctx, uint16_t mtu)
{
    struct tb *t = ctx;

    t->mtu = mtu;
    return t->mtu_ret;
}

static const struct vhost_backend_ops tb_ops = {
    .connected = connected_cb,
    .disconnected = disconnected_cb,
    .vring_state = vring_state_cb,
    .set_mtu = set_mtu_cb,
};

static void
null_sink(enum rsw_log_level l RSW_UNUSED, const char *s RSW_UNUSED,
          void *aux RSW_UNUSED)
{
}

static int
tb_setup(void **state)
{
    struct tb *t = calloc(1, sizeof *t);
    struct vhost_backend_config cfg = {
        .name = "tb",
        .max_queue_pairs = NQ / 2,
    };

    rsw_log_set_sink(null_sink, NULL);
    t->fds_before = tu_count_fds();
    t->maps_before = tu_count_memfd_maps();
    assert_int_equal(vhost_backend_create(&cfg, &tb_ops, t, &t->b), 0);
    assert_int_equal(tu_socketpair(t->sv), 0);
    t->mfd = tu_memfd(MEM_SIZE);
    assert_true(t->mfd >= 0);
    t->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                  t->mfd, 0);
    assert_true(t->mem != MAP_FAILED);
    vhost_backend_connected(t->b);
    *state = t;
    return 0;
}

static int
tb_teardown(void **state)
{
    struct tb *t = *state;

    vhost_backend_destroy(t->b);
    for (int i = 0; i < NQ; i++) {
        if (t->drv_init[i]) {
            virtq_driver_uninit(&t->drv[i]);
        }
    }
    munmap(t->mem, MEM_SIZE);
    close(t->mfd);
    close(t->sv[0]);
    close(t->sv[1]);
    /* Nothing may outlive the backend. */
    assert_int_equal(tu_count_fds(), t->fds_before);
    assert_int_equal(tu_count_memfd_maps(), t->maps_before);
    free(t);
    return 0;
}

/* Sends 'm' (+fds) from the frontend side, lets the backend process it and
 * collects a reply if one was sent.  Returns 1 with *reply, or 0. */
static int
tb_xfer(struct tb *t, struct vhost_user_msg *m, const int *fds,
        unsigned nfds, struct vhost_user_msg *reply)
{
    struct vhost_user_msg local;
    int rfds[VHOST_USER_MAX_FDS];
    unsigned rnfds;
    int err;

    assert_int_equal(vhost_user_send(t->sv[0], m, fds, nfds, 100), 0);
    assert_int_equal(vhost_backend_process_socket(t->b, t->sv[1], 16), 1);
    err = vhost_user_recv(t->sv[0], reply ? reply : &local, rfds, &rnfds, 100);
    if (err == -EAGAIN) {
        return 0;
    }
    assert_int_equal(err, 0);
    assert_int_equal(rnfds, 0);
    return 1;
}

static uint64_t
tb_get_u64(struct tb *t, uint32_t req)
{
    struct vhost_user_msg m, r;

    tu_msg(&m, req, 0);
    assert_int_equal(tb_xfer(t, &m, NULL, 0, &r), 1);
    assert_int_equal(vhost_user_check_reply(&r, req, 8, 0), 0);
    return r.payload.u64;
}

/* Sends a u64 request; returns -1 if no reply came, else the ack value. */
static int64_t
tb_set_u64(struct tb *t, uint32_t req, uint64_t v, bool need_reply)
{
    struct vhost_user_msg m, r;

    tu_msg(&m, req, 8);
    vhost_user_msg_init(&m, req, 8, need_reply);
    m.payload.u64 = v;
    if (!tb_xfer(t, &m, NULL, 0, &r)) {
        return -1;
    }
    assert_int_equal(vhost_user_check_reply(&r, req, 8, 0), 0);
    return r.payload.u64;
}

static int64_t
tb_state(struct tb *t, uint32_t req, uint32_t idx, uint32_t num)
{
    struct vhost_user_msg m, r;

    vhost_user_msg_init(&m, req, 8, true);
    m.payload.state = (struct vhost_user_vring_state) { idx, num };
    if (!tb_xfer(t, &m, NULL, 0, &r)) {
        return -1;
    }
    return r.payload.u64;
}

/* GET_FEATURES, GET/SET_PROTOCOL_FEATURES, SET_FEATURES (all offered
 * features, VHOST_USER_F_PROTOCOL_FEATURES only if 'f_protocol'). */
static void
tb_negotiate(struct tb *t, uint64_t proto, bool f_protocol)
{
    uint64_t f = tb_get_u64(t, VHOST_USER_GET_FEATURES);

    assert_int_equal(f, VHOST_BACKEND_DEFAULT_FEATURES);
    assert_int_equal(tb_get_u64(t, VHOST_USER_GET_PROTOCOL_FEATURES),
                     VHOST_BACKEND_DEFAULT_PROTOCOL_FEATURES);
    assert_int_equal(tb_set_u64(t, VHOST_USER_SET_PROTOCOL_FEATURES, proto,
                                false), -1);
    assert_int_equal(vhost_backend_protocol_features(t->b), proto);
    if (!f_protocol) {
        f &= ~VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES);
    }
    t->ok = proto & PF(REPLY_ACK) ? 0 : -1;
    assert_int_equal(tb_set_u64(t, VHOST_USER_SET_FEATURES, f, true), t->ok);
    assert_int_equal(vhost_backend_features(t->b), f);
}

static int64_t
tb_mem_table(struct tb *t, int fd)
{
    struct vhost_user_msg m, r;

    vhost_user_msg_init(&m, VHOST_USER_SET_MEM_TABLE, 8 + 32, true);
    m.payload.mem.nregions = 1;
    m.payload.mem.regions[0] = (struct vhost_user_mem_region) {
        .gpa = 0, .size = MEM_SIZE, .uva = (uintptr_t) t->mem,
    };
    if (!tb_xfer(t, &m, &fd, 1, &r)) {
        return -1;
    }
    return r.payload.u64;
}

static int64_t
tb_vring_fd(struct tb *t, uint32_t req, unsigned idx, int fd)
{
    struct vhost_user_msg m, r;

    vhost_user_msg_init(&m, req, 8, true);
    m.payload.u64 = idx | (fd < 0 ? VHOST_USER_VRING_NOFD_MASK : 0);
    if (!tb_xfer(t, &m, fd < 0 ? NULL : &fd, fd >= 0, &r)) {
        return -1;
    }
    return r.payload.u64;
}

/* Lays a driver ring out in guest memory and configures vring 'idx' with
 * it (num, base, addr, call, kick). */
static void
tb_vring_setup(struct tb *t, unsigned idx, uint16_t base)
{
    struct virtq_driver *d = &t->drv[idx];
    struct virtq_config c;
    struct vhost_user_msg m;
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

    if (!t->drv_init[idx]) {
        assert_int_equal(virtq_driver_init(d, 256, t->mem + idx * 0x10000,
                                           idx * 0x10000, true), 0);
        t->drv_init[idx] = true;
    }
    virtq_driver_device_config(d, (uintptr_t) t->mem, &c);
    assert_int_equal(tb_state(t, VHOST_USER_SET_VRING_NUM, idx, 256), t->ok);
    assert_int_equal(tb_state(t, VHOST_USER_SET_VRING_BASE, idx, base),
                     t->ok);
    vhost_user_msg_init(&m, VHOST_USER_SET_VRING_ADDR, 40, false);
    m.payload.addr = (struct vhost_user_vring_addr) {
        .index = idx, .desc = c.desc_uva, .used = c.used_uva,
        .avail = c.avail_uva,
    };
    assert_int_equal(tb_xfer(t, &m, NULL, 0, NULL), 0);
    assert_int_equal(tb_vring_fd(t, VHOST_USER_SET_VRING_CALL, idx, efd),
                     t->ok);
    assert_int_equal(tb_vring_fd(t, VHOST_USER_SET_VRING_KICK, idx, efd),
                     t->ok);
    close(efd);
}

#define ALL_PF VHOST_BACKEND_DEFAULT_PROTOCOL_FEATURES

/* ---- Negotiation and REPLY_ACK ---------------------------------------- */

static void
test_negotiation(void **state)
{
    struct tb *t = *state;
    const struct vhost_backend_stats *st = vhost_backend_get_stats(t->b);

    /* Features not offered are refused, and so are protocol features. */
    assert_int_equal(tb_set_u64(t, VHOST_USER_SET_FEATURES,
                                VHOST_BIT(VHOST_F_LOG_ALL), false), -1);
    assert_int_equal(st->failed[VHOST_USER_SET_FEATURES], 1);
    assert_int_equal(vhost_backend_features(t->b), 0);
    assert_int_equal(tb_set_u64(t, VHOST_USER_SET_PROTOCOL_FEATURES,
                                PF(LOG_SHMFD), false), -1);
    assert_int_equal(st->failed[VHOST_USER_SET_PROTOCOL_FEATURES], 1);
    tb_negotiate(t, ALL_PF, true);
    assert_int_equal(vhost_backend_hdr_len(t->b), 12);
    assert_int_equal(tb_get_u64(t, VHOST_USER_GET_QUEUE_NUM), NQ / 2);
    assert_int_equal(tb_get_u64(t, VHOST_USER_GET_MAX_MEM_SLOTS),
                     GUEST_MEM_MAX_REGIONS);
    assert_int_equal(tb_set_u64(t, VHOST_USER_SET_OWNER, 0, false), -1);
    assert_int_equal(st->refused[VHOST_USER_REFUSED_BAD_SIZE], 1);
    assert_int_equal(st->refused[VHOST_USER_REFUSED_HANDLER], 2);
}

static void
test_reply_ack(void **state)
{
    struct tb *t = *state;
    struct vhost_user_msg m, r;

    /* Before REPLY_ACK is negotiated NEED_REPLY gets no answer. */
    assert_int_equal(tb_set_u64(t, VHOST_USER_SET_FEATURES, 0, true), -1);
    tb_negotiate(t, ALL_PF, true);
    uint64_t f = vhost_backend_features(t->b);
    /* ack 0 on success, non-zero on failure, nothing without NEED_REPLY */
    assert_int_equal(tb_set_u64(t, VHOST_USER_SET_FEATURES, f, true), 0);
    assert_true(tb_set_u64(t, VHOST_USER_SET_FEATURES, 1ull << 60, true) > 0);
    assert_int_equal(tb_set_u64(t, VHOST_USER_SET_FEATURES, f, false), -1);
    assert_true(tb_set_u64(t, VHOST_USER_NET_SET_MTU, 10, true) > 0);
    /* A table refusal is nacked too (wrong size) ... */
    vhost_user_msg_init(&m, VHOST_USER_SET_FEATURES, 4, true);
    assert_int_equal(tb_xfer(t, &m, NULL, 0, &r), 1);
    assert_int_equal(vhost_user_check_reply(&r, VHOST_USER_SET_FEATURES, 8,
                                            0), 0);
    assert_true(r.payload.u64 != 0);
    /* ... and an unknown request. */
    vhost_user_msg_init(&m, 77, 0, true);
    assert_int_equal(tb_xfer(t, &m, NULL, 0, &r), 1);
    assert_int_equal(r.hdr.request, 77);
    assert_true(r.payload.u64 != 0);
    /* A refused request that has its own reply gets none (GET_VRING_BASE
     * out of range): never a made-up answer. */
    assert_int_equal(tb_state(t, VHOST_USER_GET_VRING_BASE, NQ, 0), -1);
    const struct vhost_backend_stats *st = vhost_backend_get_stats(t->b);
    assert_int_equal(st->acks, 2);  /* SET_FEATURES in negotiate + here */
    assert_int_equal(st->nacks, 4);
}

/* ---- Ring lifecycle ---------------------------------------------------- */

static void
push_one(struct tb *t, unsigned idx)
{
    struct virtq_driver_buf buf = { .gpa = 0x80000, .len = 64 };

    assert_true(virtq_driver_add(&t->drv[idx], &buf, 1) >= 0);
}

static void
test_ring_lifecycle(void **state)
{
    struct tb *t = *state;
    struct virtq_chain chain;
    struct vhost_user_msg m, r;

    tb_negotiate(t, ALL_PF, true);
    assert_int_equal(tb_mem_table(t, t->mfd), 0);
    /* A ring in use at index 5: base 5 is consistent with it. */
    assert_int_equal(virtq_driver_init(&t->drv[1], 256, t->mem + 0x10000,
                                       0x10000, true), 0);
    t->drv_init[1] = true;
    virtq_driver_raw_avail_idx(&t->drv[1], 5);
    t->drv[1].used->idx = 5;
    tb_vring_setup(t, 1, 5);
    assert_int_equal(vhost_backend_get_stats(t->b)->ring_resumed_at_used, 0);
    /* Started but disabled: PROTOCOL_FEATURES was negotiated. */
    assert_false(t->ready[1]);
    assert_null(vhost_backend_virtq(t->b, 1));
    assert_int_equal(tb_state(t, VHOST_USER_SET_VRING_ENABLE, 1, 1), 0);
    assert_true(t->ready[1]);
    assert_ptr_equal(vhost_backend_virtq(t->b, 1), t->vq[1]);
    /* The datapath can use it: the driver starts at avail index 5 too. */
    t->drv[1].avail_idx = 5;
    t->drv[1].last_used_idx = 5;
    push_one(t, 1);
    push_one(t, 1);
    assert_int_equal(virtq_pop(t->vq[1], &chain), 1);
    assert_int_equal(chain.error, VIRTQ_CHAIN_OK);
    virtq_push_used(t->vq[1], chain.head, 0);
    virtq_flush_used(t->vq[1]);
    /* Disable / enable keep the ring and its position. */
    assert_int_equal(tb_state(t, VHOST_USER_SET_VRING_ENABLE, 1, 0), 0);
    assert_false(t->ready[1]);
    assert_int_equal(tb_state(t, VHOST_USER_SET_VRING_ENABLE, 1, 1), 0);
    assert_true(t->ready[1]);
    assert_int_equal(virtq_pop(t->vq[1], &chain), 1);
    /* GET_VRING_BASE stops the ring (callback before the reply) and
     * answers its last_avail_idx. */
    vhost_user_msg_init(&m, VHOST_USER_GET_VRING_BASE, 8, false);
    m.payload.state.index = 1;
    assert_int_equal(tb_xfer(t, &m, NULL, 0, &r), 1);
    assert_int_equal(vhost_user_check_reply(&r, VHOST_USER_GET_VRING_BASE,
                                            8, 0), 0);
    assert_int_equal(r.payload.state.index, 1);
    assert_int_equal(r.payload.state.num, 7);
    assert_false(t->ready[1]);
    assert_null(vhost_backend_virtq(t->b, 1));
    /* Stays stopped until a new kick fd arrives, then resumes at the used
     * index, 6, not at 7: the chain popped and never completed comes
     * again instead of being lost to the driver (rte_vhost does the
     * same; virtq_create's resume_at_used). */
    assert_int_equal(tb_state(t, VHOST_USER_SET_VRING_ENABLE, 1, 1), 0);
    assert_false(t->ready[1]);
    assert_int_equal(tb_vring_fd(t, VHOST_USER_SET_VRING_KICK, 1, -1), 0);
    assert_true(t->ready[1]);
    assert_int_equal(virtq_last_avail_idx(t->vq[1]), 6);
    assert_int_equal(virtq_pop(t->vq[1], &chain), 1);
    assert_int_equal(chain.error, VIRTQ_CHAIN_OK);
}

static void
test_ring_without_protocol_features(void **state)
{
    struct tb *t = *state;

    tb_negotiate(t, 0, false);
    assert_int_equal(tb_mem_table(t, t->mfd), -1);
    tb_vring_setup(t, 0, 0);
    /* Without VHOST_USER_F_PROTOCOL_FEATURES a started ring is enabled. */
    assert_true(t->ready[0]);
    assert_int_equal(vhost_backend_hdr_len(t->b), 12);
}

/* Regression: DPDK virtio-user in server mode replays a ring in use with
 * SET_VRING_BASE 0 after the switch restarts (kill -9).  The ring resumes at
 * used->idx instead of being broken by the avail index jump. */
static void
test_ring_resume_at_used(void **state)
{
    struct tb *t = *state;
    struct virtq_chain chain;

    tb_negotiate(t, ALL_PF, true);
    assert_int_equal(tb_mem_table(t, t->mfd), 0);
    assert_int_equal(virtq_driver_init(&t->drv[1], 256, t->mem + 0x10000,
                                       0x10000, true), 0);
    t->drv_init[1] = true;
    t->drv[1].used->idx = 40000;        /* the old device's position */
    t->drv[1].last_used_idx = 40000;
    virtq_driver_raw_avail_idx(&t->drv[1], 40000);
    push_one(t, 1);                     /* in flight when it died */
    tb_vring_setup(t, 1, 0);
    assert_int_equal(tb_state(t, VHOST_USER_SET_VRING_ENABLE, 1, 1), 0);
    assert_true(t->ready[1]);
    assert_int_equal(vhost_backend_get_stats(t->b)->ring_resumed_at_used, 1);
    assert_int_equal(virtq_last_avail_idx(t->vq[1]), 40000);
    assert_int_equal(virtq_pop(t->vq[1], &chain), 1);
    assert_int_equal(chain.error, VIRTQ_CHAIN_OK);
    assert_false(virtq_is_broken(t->vq[1]));
}

static void
test_ring_bad_addresses(void **state)
{
    struct tb *t = *state;
    struct vhost_user_msg m;

    tb_negotiate(t, ALL_PF, true);
    assert_int_equal(tb_mem_table(t, t->mfd), 0);
    assert_int_equal(tb_state(t, VHOST_USER_SET_VRING_NUM, 0, 256), 0);
    vhost_user_msg_init(&m, VHOST_USER_SET_VRING_ADDR, 40, false);
    m.payload.addr = (struct vhost_user_vring_addr) {
        .index = 0, .desc = 0x1000, .used = 0x2000, .avail = 0x3000,
    };  /* not frontend addresses of our region */
    assert_int_equal(tb_xfer(t, &m, NULL, 0, NULL), 0);
    assert_int_equal(tb_vring_fd(t, VHOST_USER_SET_VRING_KICK, 0, -1), 0);
    assert_int_equal(tb_state(t, VHOST_USER_SET_VRING_ENABLE, 0, 1), 0);
    assert_false(t->ready[0]);
    assert_true(vhost_backend_get_stats(t->b)->ring_start_failed >= 1);
}

/* ---- Hostile frontends ------------------------------------------------- */

static void
test_hostile_messages(void **state)
{
    struct tb *t = *state;
    const struct vhost_backend_stats *st = vhost_backend_get_stats(t->b);
    struct vhost_user_msg m;
    int extra[3];
    unsigned fds0;

    tb_negotiate(t, ALL_PF, true);
    for (int i = 0; i < 3; i++) {
        extra[i] = tu_memfd(4096);
    }
    fds0 = tu_count_fds();
    /* Wrong payload size. */
    vhost_user_msg_init(&m, VHOST_USER_SET_VRING_NUM, 4, true);
    assert_int_equal(tb_xfer(t, &m, NULL, 0, NULL), 1);
    assert_true(tb_set_u64(t, VHOST_USER_SET_OWNER, 0, true) > 0);
    assert_int_equal(st->refused[VHOST_USER_REFUSED_BAD_SIZE], 2);
    /* Wrong fd count: SET_FEATURES with 3 fds; they are closed. */
    vhost_user_msg_init(&m, VHOST_USER_SET_FEATURES, 8, true);
    m.payload.u64 = vhost_backend_features(t->b);
    assert_int_equal(tb_xfer(t, &m, extra, 3, NULL), 1);
    assert_int_equal(st->refused[VHOST_USER_REFUSED_BAD_FDS], 1);
    /* Kick with an fd but the NOFD flag set. */
    vhost_user_msg_init(&m, VHOST_USER_SET_VRING_KICK, 8, true);
    m.payload.u64 = VHOST_USER_VRING_NOFD_MASK;
    assert_int_equal(tb_xfer(t, &m, extra, 1, NULL), 1);
    assert_int_equal(st->refused[VHOST_USER_REFUSED_BAD_FDS], 2);
    /* Unknown request with fds. */
    vhost_user_msg_init(&m, 1234, 16, true);
    assert_int_equal(tb_xfer(t, &m, extra, 2, NULL), 1);
    assert_int_equal(st->refused[VHOST_USER_REFUSED_UNKNOWN], 1);
    /* Unsupported requests with fds (SET_LOG_FD, POSTCOPY_ADVISE, ...). */
    uint32_t unsupported[] = {
        VHOST_USER_SET_LOG_BASE, VHOST_USER_SET_LOG_FD,
        VHOST_USER_SET_VRING_ENDIAN, VHOST_USER_IOTLB_MSG,
        VHOST_USER_POSTCOPY_ADVISE, VHOST_USER_SET_INFLIGHT_FD,
        VHOST_USER_GPU_SET_SOCKET, VHOST_USER_GET_CONFIG,
        VHOST_USER_SET_BACKEND_REQ_FD, VHOST_USER_VRING_KICK,
    };
    for (unsigned i = 0; i < RSW_ARRAY_SIZE(unsupported); i++) {
        vhost_user_msg_init(&m, unsupported[i], 16, true);
        assert_int_equal(tb_xfer(t, &m, extra, 1, NULL), 1);
    }
    assert_int_equal(st->refused[VHOST_USER_REFUSED_UNSUPPORTED],
                     RSW_ARRAY_SIZE(unsupported));
    /* Vring index out of range, for each index-carrying request. */
    assert_true(tb_state(t, VHOST_USER_SET_VRING_NUM, NQ, 256) > 0);
    assert_true(tb_state(t, VHOST_USER_SET_VRING_ENABLE, 255, 1) > 0);
    assert_true(tb_vring_fd(t, VHOST_USER_SET_VRING_CALL, NQ, extra[0]) > 0);
    assert_int_equal(st->refused[VHOST_USER_REFUSED_BAD_VRING], 3);
    /* Wrong version in flags. */
    vhost_user_msg_init(&m, VHOST_USER_SET_OWNER, 0, false);
    m.hdr.flags = 2;
    assert_int_equal(tb_xfer(t, &m, NULL, 0, NULL), 0);
    assert_int_equal(st->refused[VHOST_USER_REFUSED_BAD_FLAGS], 1);
    /* Every fd that came in was closed. */
    assert_int_equal(tu_count_fds(), fds0);
    assert_int_equal(vhost_backend_n_fds(t->b), 0);
    for (int i = 0; i < 3; i++) {
        close(extra[i]);
    }
}

static void
test_too_many_fds_refused(void **state)
{
    struct tb *t = *state;
    struct vhost_user_msg m, r;
    int extra[10];
    unsigned fds0;

    tb_negotiate(t, ALL_PF, true);
    for (int i = 0; i < 10; i++) {
        extra[i] = tu_memfd(4096);
    }
    fds0 = tu_count_fds();
    vhost_user_msg_init(&m, VHOST_USER_SET_OWNER, 0, true);
    assert_int_equal(tb_xfer(t, &m, extra, 10, &r), 1);
    assert_true(r.payload.u64 != 0);
    assert_int_equal(tu_count_fds(), fds0);
    for (int i = 0; i < 10; i++) {
        close(extra[i]);
    }
}

static void
test_mem_table_refusals(void **state)
{
    struct tb *t = *state;
    struct vhost_user_msg m;
    int fds[2] = { tu_memfd(MEM_SIZE), tu_memfd(MEM_SIZE) };
    unsigned fds0 = tu_count_fds();

    tb_negotiate(t, ALL_PF, true);
    /* Overlapping guest ranges. */
    vhost_user_msg_init(&m, VHOST_USER_SET_MEM_TABLE, 8 + 64, true);
    m.payload.mem.nregions = 2;
    m.payload.mem.regions[0] = (struct vhost_user_mem_region) {
        0, MEM_SIZE, 0x10000000, 0 };
    m.payload.mem.regions[1] = (struct vhost_user_mem_region) {
        MEM_SIZE / 2, MEM_SIZE, 0x20000000, 0 };
    assert_int_equal(tb_xfer(t, &m, fds, 2, NULL), 1);
    /* Zero-sized region. */
    m.payload.mem.regions[1] = (struct vhost_user_mem_region) {
        MEM_SIZE, 0, 0x20000000, 0 };
    assert_int_equal(tb_xfer(t, &m, fds, 2, NULL), 1);
    /* Region larger than its file (would SIGBUS): refused by guest_mem. */
    m.payload.mem.regions[1] = (struct vhost_user_mem_region) {
        MEM_SIZE, 2 * MEM_SIZE, 0x20000000, 0 };
    assert_int_equal(tb_xfer(t, &m, fds, 2, NULL), 1);
    const struct vhost_backend_stats *st = vhost_backend_get_stats(t->b);
    assert_int_equal(st->refused[VHOST_USER_REFUSED_INVALID], 2);
    assert_int_equal(st->failed[VHOST_USER_SET_MEM_TABLE], 1);
    assert_null(vhost_backend_mem(t->b));
    assert_int_equal(tu_count_fds(), fds0);
    assert_int_equal(tu_count_memfd_maps(), t->maps_before + 1);
    close(fds[0]);
    close(fds[1]);
}

static int64_t
tb_mem_reg(struct tb *t, uint32_t req, uint64_t gpa, int fd)
{
    struct vhost_user_msg m, r;

    vhost_user_msg_init(&m, req, 40, true);
    m.payload.mem_reg.region = (struct vhost_user_mem_region) {
        .gpa = gpa, .size = 0x10000, .uva = 0x40000000 + gpa,
    };
    assert_int_equal(tb_xfer(t, &m, fd >= 0 ? &fd : NULL, fd >= 0, &r), 1);
    return r.payload.u64;
}

static void
test_add_rem_mem_reg(void **state)
{
    struct tb *t = *state;
    int fd = tu_memfd(0x10000);
    unsigned maps0 = tu_count_memfd_maps();

    /* Needs CONFIGURE_MEM_SLOTS. */
    tb_negotiate(t, PF(REPLY_ACK), true);
    assert_true(tb_mem_reg(t, VHOST_USER_ADD_MEM_REG, 0, fd) > 0);
    vhost_backend_reset(t->b);
    vhost_backend_connected(t->b);
    tb_negotiate(t, ALL_PF, true);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(tb_mem_reg(t, VHOST_USER_ADD_MEM_REG, i * 0x10000,
                                    fd), 0);
    }
    assert_int_equal(guest_mem_n_regions(vhost_backend_mem(t->b)), 4);
    assert_int_equal(tu_count_memfd_maps(), maps0 + 4);
    /* Overlap with an existing region. */
    assert_true(tb_mem_reg(t, VHOST_USER_ADD_MEM_REG, 0x8000, fd) > 0);
    /* Remove one (an fd passed along is closed), then a missing one. */
    assert_int_equal(tb_mem_reg(t, VHOST_USER_REM_MEM_REG, 0x10000, fd), 0);
    assert_true(tb_mem_reg(t, VHOST_USER_REM_MEM_REG, 0x10000, -1) > 0);
    assert_int_equal(guest_mem_n_regions(vhost_backend_mem(t->b)), 3);
    assert_non_null(guest_mem_gpa_to_hva(vhost_backend_mem(t->b), 0x30000, 8));
    assert_null(guest_mem_gpa_to_hva(vhost_backend_mem(t->b), 0x10000, 8));
    assert_int_equal(vhost_backend_n_fds(t->b), 3);
    for (unsigned i = 0; i < 4; i++) {
        (void) tb_mem_reg(t, VHOST_USER_REM_MEM_REG, i * 0x10000, -1);
    }
    assert_null(vhost_backend_mem(t->b));
    assert_int_equal(vhost_backend_n_fds(t->b), 0);
    assert_int_equal(tu_count_memfd_maps(), maps0);
    close(fd);
}

/* ---- Resource hygiene -------------------------------------------------- */

static void
test_repeated_mem_table_and_num(void **state)
{
    struct tb *t = *state;
    struct vhost_user_msg mem, num;
    unsigned fds0, maps0;
    long rss0;
    double t0 = tu_now_sec();

    tb_negotiate(t, ALL_PF, true);
    assert_int_equal(tb_mem_table(t, t->mfd), 0);
    tb_vring_setup(t, 0, 0);
    assert_int_equal(tb_state(t, VHOST_USER_SET_VRING_ENABLE, 0, 1), 0);
    assert_true(t->ready[0]);
    /* Warm up, then measure: 50,000 SET_MEM_TABLE + 50,000 SET_VRING_NUM,
     * each swapping memory / restarting the live ring. */
    vhost_user_msg_init(&mem, VHOST_USER_SET_MEM_TABLE, 8 + 32, false);
    mem.payload.mem.nregions = 1;
    mem.payload.mem.regions[0] = (struct vhost_user_mem_region) {
        .gpa = 0, .size = MEM_SIZE, .uva = (uintptr_t) t->mem,
    };
    vhost_user_msg_init(&num, VHOST_USER_SET_VRING_NUM, 8, false);
    num.payload.state.index = 0;
    fds0 = maps0 = 0;
    rss0 = 0;
    for (int i = 0; i < 50000 + 100; i++) {
        if (i == 100) {
            fds0 = tu_count_fds();
            maps0 = tu_count_memfd_maps();
            rss0 = tu_rss_kb();
        }
        num.payload.state.num = i & 1 ? 256 : 128;
        assert_int_equal(vhost_user_send(t->sv[0], &mem, &t->mfd, 1, 100), 0);
        assert_int_equal(vhost_user_send(t->sv[0], &num, NULL, 0, 100), 0);
        assert_int_equal(vhost_backend_process_socket(t->b, t->sv[1], 4), 2);
    }
    assert_int_equal(tu_count_fds(), fds0);
    assert_int_equal(tu_count_memfd_maps(), maps0);
    print_message("RSS growth %ld kB\n", tu_rss_kb() - rss0);
#ifndef TB_ASAN
    /* (ASan's quarantine holds freed memory; LeakSanitizer covers leaks
     * there.) */
    assert_true(tu_rss_kb() - rss0 < 2048);
#endif
    assert_true(t->ready[0]);
    assert_int_equal(vhost_backend_get_stats(t->b)->refused
                     [VHOST_USER_REFUSED_HANDLER], 0);
    print_message("100k messages in %.2f s\n", tu_now_sec() - t0);
}

static void
test_reset_drops_everything(void **state)
{
    struct tb *t = *state;
    unsigned fds_mid;

    tb_negotiate(t, ALL_PF, true);
    assert_int_equal(tb_mem_table(t, t->mfd), 0);
    for (unsigned i = 0; i < NQ; i++) {
        tb_vring_setup(t, i, 0);
        assert_int_equal(tb_state(t, VHOST_USER_SET_VRING_ENABLE, i, 1), 0);
        assert_true(t->ready[i]);
    }
    assert_int_equal(tb_set_u64(t, VHOST_USER_NET_SET_MTU, 9000, true), 0);
    /* kick + call per ring, one region */
    assert_int_equal(vhost_backend_n_fds(t->b), 2 * NQ + 1);
    fds_mid = tu_count_fds();
    assert_true(fds_mid >= t->fds_before + 2 * NQ + 1);

    vhost_backend_reset(t->b);
    assert_int_equal(t->disconnected, 1);
    assert_int_equal(t->unready_events, NQ);
    for (unsigned i = 0; i < NQ; i++) {
        assert_false(t->ready[i]);
        assert_null(vhost_backend_virtq(t->b, i));
        assert_int_equal(vhost_backend_call_fd(t->b, i), -1);
    }
    assert_int_equal(vhost_backend_n_fds(t->b), 0);
    assert_null(vhost_backend_mem(t->b));
    assert_int_equal(vhost_backend_features(t->b), 0);
    assert_int_equal(vhost_backend_protocol_features(t->b), 0);
    assert_int_equal(vhost_backend_mtu(t->b), 0);
    /* Only the test's own fds and mapping remain. */
    assert_int_equal(tu_count_fds(), fds_mid - (2 * NQ + 1));
    assert_int_equal(tu_count_memfd_maps(), t->maps_before + 1);
    /* A new connection starts from scratch and works again. */
    vhost_backend_connected(t->b);
    assert_int_equal(t->connected, 2);
    tb_negotiate(t, ALL_PF, true);
    assert_int_equal(tb_mem_table(t, t->mfd), 0);
    tb_vring_setup(t, 0, 0);
    assert_int_equal(tb_state(t, VHOST_USER_SET_VRING_ENABLE, 0, 1), 0);
    assert_true(t->ready[0]);
}

static void
test_call_fd_replacement(void **state)
{
    struct tb *t = *state;
    unsigned fds0;

    tb_negotiate(t, ALL_PF, true);
    assert_int_equal(tb_mem_table(t, t->mfd), 0);
    tb_vring_setup(t, 0, 0);
    assert_int_equal(tb_state(t, VHOST_USER_SET_VRING_ENABLE, 0, 1), 0);
    fds0 = tu_count_fds();
    for (int i = 0; i < 50; i++) {
        int efd = eventfd(0, EFD_CLOEXEC);

        assert_int_equal(tb_vring_fd(t, VHOST_USER_SET_VRING_CALL, 0, efd),
                         0);
        assert_int_equal(tb_vring_fd(t, VHOST_USER_SET_VRING_ERR, 0, efd),
                         0);
        assert_int_equal(tb_vring_fd(t, VHOST_USER_SET_VRING_KICK, 0, efd),
                         0);
        close(efd);
        assert_true(t->ready[0]); /* restarted with the new call fd */
    }
    assert_int_equal(tu_count_fds(), fds0 + 1); /* the ERR fd is extra */
    assert_int_equal(tb_vring_fd(t, VHOST_USER_SET_VRING_CALL, 0, -1), 0);
    assert_int_equal(vhost_backend_call_fd(t->b, 0), -1);
    assert_true(t->ready[0]);
}

static void
test_mtu_and_reset_device(void **state)
{
    struct tb *t = *state;

    /* Without the protocol features: refused by the table. */
    tb_negotiate(t, PF(REPLY_ACK), true);
    assert_true(tb_set_u64(t, VHOST_USER_NET_SET_MTU, 1500, true) > 0);
    struct vhost_user_msg m, r;
    vhost_user_msg_init(&m, VHOST_USER_RESET_DEVICE, 0, true);
    assert_int_equal(tb_xfer(t, &m, NULL, 0, &r), 1);
    assert_true(r.payload.u64 != 0);
    assert_int_equal(vhost_backend_get_stats(t->b)->refused
                     [VHOST_USER_REFUSED_NO_FEATURE], 2);

    tb_negotiate(t, ALL_PF, true);
    assert_int_equal(tb_set_u64(t, VHOST_USER_NET_SET_MTU, 1500, true), 0);
    assert_int_equal(t->mtu, 1500);
    assert_int_equal(vhost_backend_mtu(t->b), 1500);
    t->mtu_ret = -EINVAL; /* the switch refuses it */
    assert_true(tb_set_u64(t, VHOST_USER_NET_SET_MTU, 9000, true) > 0);
    assert_int_equal(vhost_backend_mtu(t->b), 1500);
    assert_true(tb_set_u64(t, VHOST_USER_NET_SET_MTU, 70000, true) > 0);
    /* RESET_DEVICE: rings stopped, memory gone, protocol features kept. */
    assert_int_equal(tb_mem_table(t, t->mfd), 0);
    tb_vring_setup(t, 0, 0);
    assert_int_equal(tb_state(t, VHOST_USER_SET_VRING_ENABLE, 0, 1), 0);
    assert_true(t->ready[0]);
    assert_int_equal(tb_xfer(t, &m, NULL, 0, &r), 1);
    assert_int_equal(r.payload.u64, 0);
    assert_false(t->ready[0]);
    assert_null(vhost_backend_mem(t->b));
    assert_int_equal(vhost_backend_n_fds(t->b), 0);
    assert_int_equal(vhost_backend_features(t->b), 0);
    assert_int_equal(vhost_backend_protocol_features(t->b), ALL_PF);
    assert_int_equal(t->disconnected, 0);
    /* SEND_RARP needs the RARP protocol feature we do not offer. */
    assert_true(tb_set_u64(t, VHOST_USER_SEND_RARP, 0x010203040506, true) > 0);
}

static void
test_oversized_drops_connection(void **state)
{
    struct tb *t = *state;
    struct vhost_user_hdr h = { VHOST_USER_SET_MEM_TABLE, 1, 1u << 20 };
    int fd = tu_memfd(4096);
    unsigned fds0 = tu_count_fds();

    assert_int_equal(tu_send_raw(t->sv[0], &h, sizeof h, &fd, 1),
                     (ssize_t) sizeof h);
    assert_int_equal(vhost_backend_process_socket(t->b, t->sv[1], 4),
                     -EMSGSIZE);
    assert_int_equal(tu_count_fds(), fds0);
    /* Peer closing is fatal too. */
    close(t->sv[0]);
    t->sv[0] = -1;
    assert_int_equal(vhost_backend_process_socket(t->b, t->sv[1], 4),
                     -ECONNRESET);
    close(fd);
}

static void
test_create_args(void **state RSW_UNUSED)
{
    struct vhost_backend *b;
    struct vhost_backend_config cfg = { .max_queue_pairs = 0 };

    assert_int_equal(vhost_backend_create(&cfg, NULL, NULL, &b), -EINVAL);
    assert_null(b);
    cfg.max_queue_pairs = VHOST_BACKEND_MAX_QUEUE_PAIRS + 1;
    assert_int_equal(vhost_backend_create(&cfg, NULL, NULL, &b), -EINVAL);
    cfg.max_queue_pairs = 1;
    cfg.features = VHOST_BIT(VHOST_F_LOG_ALL);
    assert_int_equal(vhost_backend_create(&cfg, NULL, NULL, &b), -EINVAL);
    cfg.features = 0;
    cfg.protocol_features = PF(PAGEFAULT);
    assert_int_equal(vhost_backend_create(&cfg, NULL, NULL, &b), -EINVAL);
    cfg.protocol_features = 0;
    assert_int_equal(vhost_backend_create(&cfg, NULL, NULL, &b), 0);
    assert_string_equal(vhost_backend_name(b), "vhost");
    assert_int_equal(vhost_backend_max_vrings(b), 2);
    vhost_backend_destroy(b);
    vhost_backend_destroy(NULL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, tb_setup, tb_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_negotiation),
        T(test_reply_ack),
        T(test_ring_lifecycle),
        T(test_ring_resume_at_used),
        T(test_ring_without_protocol_features),
        T(test_ring_bad_addresses),
        T(test_hostile_messages),
        T(test_too_many_fds_refused),
        T(test_mem_table_refusals),
        T(test_add_rem_mem_reg),
        T(test_repeated_mem_table_and_num),
        T(test_reset_drops_everything),
        T(test_call_fd_replacement),
        T(test_mtu_and_reset_device),
        T(test_oversized_drops_connection),
        cmocka_unit_test(test_create_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
