/* SPDX-License-Identifier: Apache-2.0 */
/* Our frontend against our backend over real unix socket paths: full
 * setup, replay after reconnect in client and server modes, peer refusal,
 * malformed replies, REPLY_ACK nacks, no leaks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/un.h>
#include <time.h>

#include "vhost/guest_mem.h"
#include "vhost/vhost_backend.h"
#include "vhost/vhost_frontend.h"
#include "vhost/vhost_socket.h"
#include "vhost/vlog.h"
#include "vhost_test_util.h"

#define MEM_SIZE (1u << 20)
#define PF(f) VHOST_BIT(VHOST_USER_PROTOCOL_F_##f)

/* A backend served by its own thread (the frontend's calls block). */
struct runner {
    struct vhost_backend *b;
    struct vhost_endpoint *ep;
    pthread_t thr;
    int stop;
    unsigned ready_mask;   /* atomics: written by the runner thread */
    unsigned connects, disconnects;
    int mtu_ret;
};

static void
r_vring_state(void *ctx, unsigned qidx, struct virtq *vq RSW_UNUSED,
              bool ready)
{
    struct runner *r = ctx;

    if (ready) {
        __atomic_or_fetch(&r->ready_mask, 1u << qidx, __ATOMIC_SEQ_CST);
    } else {
        __atomic_and_fetch(&r->ready_mask, ~(1u << qidx), __ATOMIC_SEQ_CST);
    }
}

static void
r_connected(void *ctx)
{
    __atomic_add_fetch(&((struct runner *) ctx)->connects, 1,
                       __ATOMIC_SEQ_CST);
}

static void
r_disconnected(void *ctx)
{
    __atomic_add_fetch(&((struct runner *) ctx)->disconnects, 1,
                       __ATOMIC_SEQ_CST);
}

static int
r_set_mtu(void *ctx, uint16_t mtu RSW_UNUSED)
{
    return ((struct runner *) ctx)->mtu_ret;
}

static const struct vhost_backend_ops r_ops = {
    .connected = r_connected,
    .disconnected = r_disconnected,
    .vring_state = r_vring_state,
    .set_mtu = r_set_mtu,
};

static void *
r_main(void *arg)
{
    struct runner *r = arg;

    while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST)) {
        assert_int_equal(vhost_endpoint_process(r->ep, 5), 0);
    }
    return NULL;
}

static void
r_resume(struct runner *r)
{
    __atomic_store_n(&r->stop, 0, __ATOMIC_SEQ_CST);
    assert_int_equal(pthread_create(&r->thr, NULL, r_main, r), 0);
}

static void
r_pause(struct runner *r)
{
    __atomic_store_n(&r->stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(r->thr, NULL);
}

static struct runner *
r_start(const char *path, bool server)
{
    struct runner *r = calloc(1, sizeof *r);
    struct vhost_backend_config cfg = { .name = "rb", .max_queue_pairs = 2 };

    assert_int_equal(vhost_backend_create(&cfg, &r_ops, r, &r->b), 0);
    assert_int_equal(vhost_endpoint_create_backend(path, server, r->b,
                                                   &r->ep), 0);
    r_resume(r);
    return r;
}

static void
r_destroy(struct runner *r)
{
    r_pause(r);
    vhost_endpoint_destroy(r->ep);
    vhost_backend_destroy(r->b);
    free(r);
}

static unsigned
r_ready(struct runner *r)
{
    return __atomic_load_n(&r->ready_mask, __ATOMIC_SEQ_CST);
}

/* ---- Fixture ------------------------------------------------------------ */

struct fx {
    char path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
    int mfd;
    uint8_t *mem;
    int kick[4], call[4];
    unsigned fds_before;
};

static void
null_sink(enum rsw_log_level l RSW_UNUSED, const char *s RSW_UNUSED,
          void *aux RSW_UNUSED)
{
}

static int
fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);

    rsw_log_set_sink(null_sink, NULL);
    f->fds_before = tu_count_fds();
    snprintf(f->path, sizeof f->path, "/tmp/rsw-fe-test-%d.sock", getpid());
    unlink(f->path);
    f->mfd = tu_memfd(MEM_SIZE);
    f->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->mfd,
                  0);
    assert_true(f->mem != MAP_FAILED);
    for (int i = 0; i < 4; i++) {
        f->kick[i] = eventfd(0, EFD_CLOEXEC);
        f->call[i] = eventfd(0, EFD_CLOEXEC);
    }
    *state = f;
    return 0;
}

static int
fx_teardown(void **state)
{
    struct fx *f = *state;

    for (int i = 0; i < 4; i++) {
        close(f->kick[i]);
        close(f->call[i]);
    }
    munmap(f->mem, MEM_SIZE);
    close(f->mfd);
    unlink(f->path);
    assert_int_equal(tu_count_fds(), f->fds_before);
    free(f);
    return 0;
}

/* Runs the frontend's loop until 'cond' or 3 s. */
#define WAIT_FOR(fe, cond)                                              \
    do {                                                                \
        double deadline__ = tu_now_sec() + 3;                           \
        while (!(cond) && tu_now_sec() < deadline__) {                  \
            assert_int_equal(vhost_frontend_process(fe, 5), 0);         \
        }                                                               \
        assert_true(cond);                                              \
    } while (0)

static struct vhost_frontend *
fe_create(struct fx *f, bool server)
{
    struct vhost_frontend *fe;
    struct vhost_frontend_config cfg = {
        .path = f->path,
        .server = server,
        .features = VHOST_BIT(VIRTIO_F_VERSION_1)
                    | VHOST_BIT(VIRTIO_NET_F_MRG_RXBUF)
                    | VHOST_BIT(VIRTIO_RING_F_EVENT_IDX),
        .protocol_features = PF(MQ) | PF(REPLY_ACK) | PF(NET_MTU)
                             | PF(RESET_DEVICE),
        .n_queue_pairs = 2,
        .reply_timeout_ms = 1000,
    };

    assert_int_equal(vhost_frontend_create(&cfg, NULL, NULL, &fe), 0);
    return fe;
}

/* Memory table + 4 rings + enable; each call sends at once if ready. */
static void
fe_configure(struct fx *f, struct vhost_frontend *fe, int expect)
{
    struct vhost_frontend_region reg = {
        .gpa = 0, .size = MEM_SIZE, .uva = (uintptr_t) f->mem, .fd = f->mfd,
    };

    assert_int_equal(vhost_frontend_set_mem_table(fe, &reg, 1), expect);
    assert_int_equal(vhost_frontend_set_mtu(fe, 1500), expect);
    for (unsigned i = 0; i < 4; i++) {
        uint64_t base = (uintptr_t) f->mem + i * 0x10000;
        struct vhost_frontend_vring v = {
            .num = 256, .base = 0,
            .desc_uva = base, .avail_uva = base + 0x1000,
            .used_uva = base + 0x2000,
            .kick_fd = f->kick[i], .call_fd = i == 3 ? -1 : f->call[i],
        };

        assert_int_equal(vhost_frontend_set_vring(fe, i, &v), expect);
        assert_int_equal(vhost_frontend_set_vring_enable(fe, i, true),
                         expect);
    }
}

/* ---- Tests ---------------------------------------------------------------- */

static void
test_client_setup_and_replay(void **state)
{
    struct fx *f = *state;
    struct runner *r = r_start(f->path, true);
    struct vhost_frontend *fe = fe_create(f, false);
    uint64_t qn;
    uint16_t base;

    assert_int_equal(vhost_frontend_wait_ready(fe, 3000), 0);
    assert_int_equal(vhost_frontend_protocol_features(fe),
                     PF(MQ) | PF(REPLY_ACK) | PF(NET_MTU) | PF(RESET_DEVICE));
    assert_true(vhost_frontend_features(fe)
                & VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES));
    assert_int_equal(vhost_frontend_queue_num(fe), 2);
    fe_configure(f, fe, 0);
    WAIT_FOR(fe, r_ready(r) == 0xf);
    assert_int_equal(vhost_frontend_get_queue_num(fe, &qn), 0);
    assert_int_equal(qn, 2);

    /* The backend goes away and comes back: the frontend reconnects and
     * replays everything. */
    r_destroy(r);
    WAIT_FOR(fe, !vhost_frontend_is_ready(fe));
    r = r_start(f->path, true);
    WAIT_FOR(fe, vhost_frontend_is_ready(fe) && r_ready(r) == 0xf);
    r_pause(r);
    assert_int_equal(vhost_backend_features(r->b),
                     vhost_frontend_features(fe));
    assert_int_equal(vhost_backend_mtu(r->b), 1500);
    assert_int_equal(guest_mem_n_regions(vhost_backend_mem(r->b)), 1);
    assert_int_equal(vhost_backend_call_fd(r->b, 3), -1);
    assert_true(vhost_backend_call_fd(r->b, 2) >= 0);
    r_resume(r);
    assert_true(vhost_frontend_get_stats(fe)->replays >= 2);

    /* GET_VRING_BASE stops ring 0 and is not replayed afterwards. */
    assert_int_equal(vhost_frontend_get_vring_base(fe, 0, &base), 0);
    assert_int_equal(base, 0);
    WAIT_FOR(fe, r_ready(r) == 0xe);
    assert_int_equal(vhost_frontend_replay(fe), 0);
    WAIT_FOR(fe, r_ready(r) == 0xe);

    /* RESET_DEVICE: the backend drops rings and memory. */
    assert_int_equal(vhost_frontend_reset_device(fe), 0);
    WAIT_FOR(fe, r_ready(r) == 0);
    r_pause(r);
    assert_int_equal(vhost_backend_n_fds(r->b), 0);
    assert_null(vhost_backend_mem(r->b));
    assert_int_equal(vhost_backend_features(r->b),
                     vhost_frontend_features(fe));
    r_resume(r);

    /* The frontend leaving resets the backend: no fds left. */
    fe_configure(f, fe, 0);
    WAIT_FOR(fe, r_ready(r) == 0xf);
    vhost_frontend_destroy(fe);
    double deadline = tu_now_sec() + 3;
    while (__atomic_load_n(&r->disconnects, __ATOMIC_SEQ_CST) < 1
           && tu_now_sec() < deadline) {
        usleep(1000);
    }
    r_pause(r);
    assert_int_equal(r->disconnects, 1);
    assert_int_equal(r->connects, 1);
    assert_int_equal(vhost_backend_n_fds(r->b), 0);
    assert_int_equal(r_ready(r), 0);
    r_resume(r);
    r_destroy(r);
}

static void
test_state_recorded_before_connect(void **state)
{
    struct fx *f = *state;
    struct vhost_frontend *fe = fe_create(f, false);
    struct runner *r;

    /* No backend yet: the client keeps retrying with backoff while the
     * setup is recorded; it is all sent once the backend appears. */
    fe_configure(f, fe, -ENOTCONN);
    double t0 = tu_now_sec();
    while (tu_now_sec() - t0 < 0.2) {
        assert_int_equal(vhost_frontend_process(fe, 10), 0);
    }
    assert_false(vhost_frontend_is_ready(fe));
    r = r_start(f->path, true);
    WAIT_FOR(fe, vhost_frontend_is_ready(fe) && r_ready(r) == 0xf);
    vhost_frontend_destroy(fe);
    r_destroy(r);
}

static void
test_server_mode_reconnect(void **state)
{
    struct fx *f = *state;
    struct vhost_frontend *fe = fe_create(f, true);
    struct runner *r = r_start(f->path, false);

    WAIT_FOR(fe, vhost_frontend_is_ready(fe));
    fe_configure(f, fe, 0);
    WAIT_FOR(fe, r_ready(r) == 0xf);
    /* The backend (client) closes; a new one connects and gets it all. */
    r_destroy(r);
    WAIT_FOR(fe, !vhost_frontend_is_ready(fe));
    r = r_start(f->path, false);
    WAIT_FOR(fe, vhost_frontend_is_ready(fe) && r_ready(r) == 0xf);
    /* Now the frontend (server) goes away: the client backend resets and
     * reconnects by itself when a server reappears. */
    vhost_frontend_destroy(fe);
    double deadline = tu_now_sec() + 3;
    while (r_ready(r) && tu_now_sec() < deadline) {
        usleep(1000);
    }
    assert_int_equal(r_ready(r), 0);
    fe = fe_create(f, true);
    fe_configure(f, fe, -ENOTCONN);
    WAIT_FOR(fe, vhost_frontend_is_ready(fe) && r_ready(r) == 0xf);
    r_pause(r);
    assert_true(vhost_endpoint_get_stats(r->ep)->connections >= 2);
    r_resume(r);
    vhost_frontend_destroy(fe);
    r_destroy(r);
}

static int
raw_connect(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    strcpy(sun.sun_path, path);
    assert_int_equal(connect(fd, (struct sockaddr *) &sun, sizeof sun), 0);
    return fd;
}

static void
test_second_peer_refused(void **state)
{
    struct fx *f = *state;
    struct vhost_backend *b;
    struct vhost_endpoint *ep;
    struct vhost_backend_config cfg = { .max_queue_pairs = 1 };
    char c;

    assert_int_equal(vhost_backend_create(&cfg, NULL, NULL, &b), 0);
    assert_int_equal(vhost_endpoint_create_backend(f->path, true, b, &ep), 0);
    int a = raw_connect(f->path);
    assert_int_equal(vhost_endpoint_process(ep, 100), 0);
    assert_true(vhost_endpoint_is_connected(ep));
    int s = raw_connect(f->path);
    assert_int_equal(vhost_endpoint_process(ep, 100), 0);
    assert_int_equal(read(s, &c, 1), 0);        /* closed by the server */
    assert_int_equal(vhost_endpoint_get_stats(ep)->refused_peers, 1);
    assert_true(vhost_endpoint_is_connected(ep));
    /* The first peer leaves; the next one is accepted. */
    close(a);
    assert_int_equal(vhost_endpoint_process(ep, 100), 0);
    assert_false(vhost_endpoint_is_connected(ep));
    close(s);
    s = raw_connect(f->path);
    assert_int_equal(vhost_endpoint_process(ep, 100), 0);
    assert_true(vhost_endpoint_is_connected(ep));
    close(s);
    /* A second server on a live path is refused. */
    struct vhost_endpoint *ep2;
    assert_int_equal(vhost_endpoint_create_backend(f->path, true, b, &ep2),
                     -EADDRINUSE);
    vhost_endpoint_destroy(ep);
    assert_int_equal(access(f->path, F_OK), -1); /* unlinked */
    vhost_backend_destroy(b);
}

/* A fake backend that answers GET_FEATURES with a 4-byte payload. */
static void *
fake_backend(void *arg)
{
    int lfd = *(int *) arg, fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    struct vhost_user_msg m;
    int fds[VHOST_USER_MAX_FDS];
    unsigned nfds;

    assert_true(fd >= 0);
    assert_int_equal(vhost_user_recv(fd, &m, fds, &nfds, 2000), 0);
    assert_int_equal(m.hdr.request, VHOST_USER_GET_FEATURES);
    vhost_user_reply_init(&m, &m, 4);
    assert_int_equal(vhost_user_send(fd, &m, NULL, 0, 1000), 0);
    /* The frontend must drop us. */
    assert_int_equal(vhost_user_recv(fd, &m, fds, &nfds, 2000), -ECONNRESET);
    close(fd);
    return NULL;
}

static void
test_bad_reply_drops(void **state)
{
    struct fx *f = *state;
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    pthread_t t;

    strcpy(sun.sun_path, f->path);
    assert_int_equal(bind(lfd, (struct sockaddr *) &sun, sizeof sun), 0);
    assert_int_equal(listen(lfd, 1), 0);
    assert_int_equal(pthread_create(&t, NULL, fake_backend, &lfd), 0);
    struct vhost_frontend *fe = fe_create(f, false);
    WAIT_FOR(fe, vhost_frontend_get_stats(fe)->bad_replies == 1);
    pthread_join(t, NULL);
    assert_false(vhost_frontend_is_ready(fe));
    vhost_frontend_destroy(fe);
    close(lfd);
}

static void
test_nack_keeps_connection(void **state)
{
    struct fx *f = *state;
    struct runner *r = r_start(f->path, true);
    struct vhost_frontend *fe = fe_create(f, false);
    uint64_t ring = (uintptr_t) f->mem + 0x40000;
    struct vhost_frontend_vring v = {
        .num = 256, .desc_uva = ring, .avail_uva = ring + 0x1000,
        .used_uva = ring + 0x2000, .kick_fd = -1, .call_fd = -1,
    };

    assert_int_equal(vhost_frontend_wait_ready(fe, 3000), 0);
    r->mtu_ret = -EINVAL;
    assert_int_equal(vhost_frontend_set_mtu(fe, 1500), -EIO);
    assert_true(vhost_frontend_is_ready(fe));
    assert_int_equal(vhost_frontend_get_stats(fe)->nacks, 1);
    /* Locally refused: bad sizes, bad regions. */
    v.num = 100;
    assert_int_equal(vhost_frontend_set_vring(fe, 0, &v), -EINVAL);
    v.num = 256;
    v.used_uva = ring + 0x2002;                  /* §2.6: 4-aligned */
    assert_int_equal(vhost_frontend_set_vring(fe, 0, &v), -EINVAL);
    v.used_uva = 0;
    assert_int_equal(vhost_frontend_set_vring(fe, 0, &v), -EINVAL);
    v.used_uva = ring + 0x2000;
    v.desc_uva = ring + 8;                       /* 16-aligned */
    assert_int_equal(vhost_frontend_set_vring(fe, 0, &v), -EINVAL);
    v.desc_uva = ring;
    struct vhost_frontend_region reg = { .size = 0, .fd = f->mfd };
    assert_int_equal(vhost_frontend_set_mem_table(fe, &reg, 1), -EINVAL);
    /* Vring index beyond the backend's queues: nacked. */
    v.num = 256;
    assert_int_equal(vhost_frontend_set_vring(fe, 6, &v), -EIO);
    assert_true(vhost_frontend_is_ready(fe));
    vhost_frontend_destroy(fe);
    r_destroy(r);
}

/* The driver's progress on ring 'i' of fe_configure(): 'n' buffers made
 * available and all of them used. */
static void
ring_progress(struct fx *f, unsigned i, uint16_t n)
{
    uint16_t *avail = (uint16_t *) (f->mem + i * 0x10000 + 0x1000);
    uint16_t *used = (uint16_t *) (f->mem + i * 0x10000 + 0x2000);

    __atomic_store_n(&avail[1], n, __ATOMIC_RELEASE);
    __atomic_store_n(&used[1], n, __ATOMIC_RELEASE);
}

/* A backend that dies under running rings cannot answer GET_VRING_BASE:
 * the replay to the next one starts each ring at the used index in the
 * driver's memory, not at the stale base recorded by set_vring() (0), so
 * the new backend does not resume anywhere else (vhost-user "Starting and
 * stopping rings").  A ring set again afterwards starts at its new base. */
static void
test_reconnect_resumes_at_used_idx(void **state)
{
    struct fx *f = *state;
    struct runner *r = r_start(f->path, true);
    struct vhost_frontend *fe = fe_create(f, false);
    const uint16_t progress[4] = { 37, 5, 0, 65535 };
    uint16_t base;

    assert_int_equal(vhost_frontend_wait_ready(fe, 3000), 0);
    fe_configure(f, fe, 0);
    WAIT_FOR(fe, r_ready(r) == 0xf);
    for (unsigned i = 0; i < 4; i++) {
        ring_progress(f, i, progress[i]);
    }
    r_destroy(r);
    WAIT_FOR(fe, !vhost_frontend_is_ready(fe));
    r = r_start(f->path, true);
    WAIT_FOR(fe, vhost_frontend_is_ready(fe) && r_ready(r) == 0xf);
    r_pause(r);
    /* Our backend would resume at the used index by itself; it had no
     * reason to: every SET_VRING_BASE already agreed. */
    assert_int_equal(vhost_backend_get_stats(r->b)->ring_resumed_at_used, 0);
    r_resume(r);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(vhost_frontend_get_vring_base(fe, i, &base), 0);
        assert_int_equal(base, progress[i]);
    }
    WAIT_FOR(fe, r_ready(r) == 0);

    /* Re-set (as after a device reset): its own base, whatever used says. */
    ring_progress(f, 0, 0);
    fe_configure(f, fe, 0);
    WAIT_FOR(fe, r_ready(r) == 0xf);
    assert_int_equal(vhost_frontend_get_vring_base(fe, 0, &base), 0);
    assert_int_equal(base, 0);
    vhost_frontend_destroy(fe);
    r_destroy(r);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_client_setup_and_replay),
        T(test_reconnect_resumes_at_used_idx),
        T(test_state_recorded_before_connect),
        T(test_server_mode_reconnect),
        T(test_second_peer_refused),
        T(test_bad_reply_drops),
        T(test_nack_keeps_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
