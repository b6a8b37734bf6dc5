/* SPDX-License-Identifier: Apache-2.0 */
/* port_vhost.c with several queue pairs, against our own vhost-user
 * frontend over a real unix socket: one rx queue per pair, frames received
 * on the pair they were sent on, tx spread over pairs by sending thread,
 * pairs disabled and re-enabled at run time (never touched while off), a
 * vring beyond the offered pairs refused and counted, bad options. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/un.h>
#include <time.h>

#include "datapath/port.h"
#include "vhost/vhost_frontend.h"
#include "vhost/virtq_driver.h"
#include "vhost/vlog.h"
#include "vhost_test_util.h"

#define MEM_SIZE (1u << 20)
#define RING_SIZE 64
#define RING_STRIDE 0x10000u    /* vring i at gpa i * RING_STRIDE */
#define BUF_BASE 0x80000u       /* frame buffers, 2 KiB each */
#define HDR_LEN 12              /* VERSION_1: virtio_net_hdr_mrg_rxbuf */
#define FRAME_LEN 60
#define N_PAIRS 2
#define N_VRINGS (2 * N_PAIRS)

struct fx {
    char path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
    int mfd;
    uint8_t *mem;
    struct virtq_driver drv[N_VRINGS];
    unsigned next_buf;
    struct port *port;
    struct vhost_frontend *fe;
    pthread_t thr;
    int stop;
    unsigned fds_before;
};

static void
null_sink(enum rsw_log_level l RSW_UNUSED, const char *s RSW_UNUSED,
          void *aux RSW_UNUSED)
{
}

static void
no_sync(void *aux RSW_UNUSED)
{
}

/* The switch's control thread: serves the port's vhost-user socket. */
static void *
control_main(void *arg)
{
    struct fx *f = arg;
    struct pollfd pfd = {.fd = f->port->class->control_fd(f->port),
                         .events = POLLIN};

    while (!__atomic_load_n(&f->stop, __ATOMIC_SEQ_CST)) {
        (void) poll(&pfd, 1, 5);
        f->port->class->run(f->port);
        pfd.fd = f->port->class->control_fd(f->port);
    }
    return NULL;
}

static struct port *
make_port(const char *path, const char *n_rxq, char *err, size_t esz,
          int *ret)
{
    const struct port_arg kv[] = {{"path", path}, {"n_rxq", n_rxq}};
    const struct port_args args = {kv, n_rxq ? 2 : 1};
    const struct port_hooks hooks = {.synchronize = no_sync};
    struct port *p = NULL;

    *ret = port_create("vhostuser", "mq0", &args, &hooks, &p, err, esz);
    return p;
}

static void
status(struct fx *f, char *buf, size_t size)
{
    /* get_status belongs to the control thread: the frontend's calls
     * have all returned when we look, and the status reads atomics. */
    f->port->class->get_status(f->port, buf, size);
}

static bool
status_has(struct fx *f, const char *what)
{
    char buf[256];

    status(f, buf, sizeof buf);
    return strstr(buf, what) != NULL;
}

#define WAIT_STATUS(f, what)                                            \
    do {                                                                \
        double deadline__ = tu_now_sec() + 3;                           \
        while (!status_has(f, what) && tu_now_sec() < deadline__) {     \
            usleep(1000);                                               \
        }                                                               \
        assert_true(status_has(f, what));                               \
    } while (0)

static int
fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    char err[256];
    int ret;

    rsw_log_set_sink(null_sink, NULL);
    f->fds_before = tu_count_fds();
    snprintf(f->path, sizeof f->path, "/tmp/rsw-pv-test-%d.sock", getpid());
    unlink(f->path);
    f->mfd = tu_memfd(MEM_SIZE);
    f->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->mfd,
                  0);
    assert_true(f->mem != MAP_FAILED);
    f->port = make_port(f->path, "2", err, sizeof err, &ret);
    assert_int_equal(ret, 0);
    assert_int_equal(pthread_create(&f->thr, NULL, control_main, f), 0);
    *state = f;
    return 0;
}

static int
fx_teardown(void **state)
{
    struct fx *f = *state;

    vhost_frontend_destroy(f->fe);
    __atomic_store_n(&f->stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(f->thr, NULL);
    port_destroy(f->port);
    for (unsigned i = 0; i < N_VRINGS; i++) {
        virtq_driver_uninit(&f->drv[i]);
    }
    munmap(f->mem, MEM_SIZE);
    close(f->mfd);
    unlink(f->path);
    assert_int_equal(tu_count_fds(), f->fds_before);
    free(f);
    return 0;
}

/* Frontend with N_PAIRS pairs: memory, every vring (polled, no
 * interrupts), all enabled; VERSION_1 and 'features'. */
static void
fe_setup_features(struct fx *f, uint64_t features)
{
    const struct vhost_frontend_config cfg = {
        .path = f->path,
        .features = VHOST_BIT(VIRTIO_F_VERSION_1) | features,
        .protocol_features = VHOST_BIT(VHOST_USER_PROTOCOL_F_MQ)
                             | VHOST_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK),
        .n_queue_pairs = N_PAIRS,
        .reply_timeout_ms = 2000,
    };
    const struct vhost_frontend_region reg = {
        .gpa = 0, .size = MEM_SIZE, .uva = (uintptr_t) f->mem, .fd = f->mfd,
    };

    assert_int_equal(vhost_frontend_create(&cfg, NULL, NULL, &f->fe), 0);
    assert_int_equal(vhost_frontend_wait_ready(f->fe, 3000), 0);
    assert_int_equal(vhost_frontend_queue_num(f->fe), N_PAIRS);
    assert_int_equal(vhost_frontend_set_mem_table(f->fe, &reg, 1), 0);
    for (unsigned i = 0; i < N_VRINGS; i++) {
        struct virtq_driver *d = &f->drv[i];
        struct vhost_frontend_vring v = {.num = RING_SIZE, .kick_fd = -1,
                                         .call_fd = -1};

        assert_int_equal(virtq_driver_init(d, RING_SIZE,
                                           f->mem + i * RING_STRIDE,
                                           i * RING_STRIDE, false), 0);
        v.desc_uva = (uintptr_t) f->mem + d->desc_gpa;
        v.avail_uva = (uintptr_t) f->mem + d->avail_gpa;
        v.used_uva = (uintptr_t) f->mem + d->used_gpa;
        assert_int_equal(vhost_frontend_set_vring(f->fe, i, &v), 0);
        assert_int_equal(vhost_frontend_set_vring_enable(f->fe, i, true), 0);
    }
    WAIT_STATUS(f, "connected, rings ready, 2/2 queue pairs ready");
}

static void
fe_setup(struct fx *f)
{
    fe_setup_features(f, 0);
}

/* A guest TX frame (header + FRAME_LEN bytes of 'mark') on vring 'i';
 * returns its head. */
static int
guest_send(struct fx *f, unsigned i, uint8_t mark)
{
    uint64_t gpa = BUF_BASE + 2048u * f->next_buf++;
    struct virtq_driver_buf b = {.gpa = gpa, .len = HDR_LEN + FRAME_LEN};
    int head;

    memset(f->mem + gpa, 0, HDR_LEN);
    memset(f->mem + gpa + HDR_LEN, mark, FRAME_LEN);
    head = virtq_driver_add(&f->drv[i], &b, 1);
    assert_true(head >= 0);
    return head;
}

/* A guest RX buffer on vring 'i'. */
static void
guest_post_rx(struct fx *f, unsigned i)
{
    uint64_t gpa = BUF_BASE + 2048u * f->next_buf++;
    struct virtq_driver_buf b = {.gpa = gpa, .len = 2048, .write = true};

    assert_true(virtq_driver_add(&f->drv[i], &b, 1) >= 0);
}

/* Used entries the device returned on vring 'i' since the last look. */
static unsigned
guest_used(struct fx *f, unsigned i)
{
    uint32_t id, len;
    unsigned n = 0;
    int r;

    while ((r = virtq_driver_get_used(&f->drv[i], &id, &len)) == 1) {
        n++;
    }
    assert_int_equal(r, 0);
    return n;
}

/* One rx burst of queue 'qid'; returns the frames, checks their bytes. */
static unsigned
port_rx(struct fx *f, unsigned qid, uint8_t mark)
{
    static struct dp_packet_batch batch;
    unsigned n;

    batch.n = 0;
    for (unsigned i = 0; i < DP_PACKET_BATCH_MAX; i++) {
        dp_packet_reset_head(&batch.pkts[i]);
    }
    n = f->port->class->rx_burst(f->port, qid, &batch);
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(batch.pkts[i].frame_len, FRAME_LEN);
        assert_int_equal(batch.pkts[i].hdr[0], mark);
    }
    f->port->class->rx_release(f->port, qid);
    return n;
}

struct sender {
    struct port *port;
};

/* Sends one frame from a thread of its own (a PMD of its own). */
static void *
send_one(void *arg)
{
    struct sender *s = arg;
    static _Thread_local struct dp_packet pkt;
    struct dp_packet *pp = &pkt;

    dp_packet_reset_head(&pkt);
    memset(pkt.hdr, 0x5a, FRAME_LEN);
    pkt.frame_len = pkt.copy_len = FRAME_LEN;
    s->port->class->tx_batch(s->port, &pp, 1);
    return NULL;
}

static void
send_from_new_thread(struct fx *f)
{
    struct sender s = {.port = f->port};
    pthread_t t;

    assert_int_equal(pthread_create(&t, NULL, send_one, &s), 0);
    pthread_join(t, NULL);
}

static void
test_queue_pairs(void **state)
{
    struct fx *f = *state;

    fe_setup(f);
    assert_int_equal(f->port->class->n_rxq(f->port), N_PAIRS);

    /* Rx queue q is the guest's TX vring 2q+1, and only that. */
    guest_send(f, 3, 0xb1);
    assert_int_equal(port_rx(f, 0, 0), 0);
    assert_int_equal(port_rx(f, 1, 0xb1), 1);
    assert_int_equal(guest_used(f, 3), 1);
    guest_send(f, 1, 0xa1);
    guest_send(f, 1, 0xa1);
    assert_int_equal(port_rx(f, 1, 0), 0);
    assert_int_equal(port_rx(f, 0, 0xa1), 2);
    assert_int_equal(guest_used(f, 1), 2);
    assert_int_equal(port_rx(f, 7, 0), 0);     /* no such queue */

    /* Tx: two sending threads in a row draw consecutive numbers, so they
     * land on different pairs (guest RX vrings 0 and 2). */
    for (unsigned i = 0; i < 4; i++) {
        guest_post_rx(f, 0);
        guest_post_rx(f, 2);
    }
    send_from_new_thread(f);
    send_from_new_thread(f);
    assert_int_equal(guest_used(f, 0), 1);
    assert_int_equal(guest_used(f, 2), 1);
}

static void
test_pairs_at_run_time(void **state)
{
    struct fx *f = *state;
    struct port_stats st;
    char buf[256];

    fe_setup(f);
    for (unsigned i = 0; i < 4; i++) {
        guest_post_rx(f, 0);
        guest_post_rx(f, 2);
    }

    /* Pair 1 disabled at run time: its rx queue is not polled (the
     * frame stays available), tx goes to pair 0 only. */
    assert_int_equal(vhost_frontend_set_vring_enable(f->fe, 2, false), 0);
    assert_int_equal(vhost_frontend_set_vring_enable(f->fe, 3, false), 0);
    WAIT_STATUS(f, "1/2 queue pairs ready");
    guest_send(f, 3, 0xb2);
    assert_int_equal(port_rx(f, 1, 0), 0);
    assert_int_equal(guest_used(f, 3), 0);
    send_from_new_thread(f);
    send_from_new_thread(f);
    assert_int_equal(guest_used(f, 0), 2);
    assert_int_equal(guest_used(f, 2), 0);

    /* Re-enabled: the waiting frame arrives on queue 1. */
    assert_int_equal(vhost_frontend_set_vring_enable(f->fe, 2, true), 0);
    assert_int_equal(vhost_frontend_set_vring_enable(f->fe, 3, true), 0);
    WAIT_STATUS(f, "2/2 queue pairs ready");
    assert_int_equal(port_rx(f, 1, 0xb2), 1);
    assert_int_equal(guest_used(f, 3), 1);

    /* A vring beyond the two pairs offered: nacked, counted, shown. */
    assert_int_equal(vhost_frontend_set_vring_enable(f->fe, 5, true), -EIO);
    WAIT_STATUS(f, "refused 1 requests for vring indices >= 4");
    assert_true(status_has(f, "2/2 queue pairs ready"));

    port_get_stats(f->port, &st);
    assert_int_equal(st.rx_packets, 1);
    assert_int_equal(st.tx_packets, 2);
    for (int r = 0; r < PORT_DROP_N; r++) {
        assert_int_equal(st.drops[r], 0);
    }

    /* Every pair disabled: tx counts not_ready. */
    for (unsigned i = 0; i < N_VRINGS; i++) {
        assert_int_equal(vhost_frontend_set_vring_enable(f->fe, i, false), 0);
    }
    WAIT_STATUS(f, "rings down, 0/2 queue pairs ready");
    send_from_new_thread(f);
    port_get_stats(f->port, &st);
    assert_int_equal(st.drops[PORT_DROP_TX_NOT_READY], 1);
    status(f, buf, sizeof buf);
    assert_non_null(strstr(buf, "server on /tmp/rsw-pv-test-"));
}

/* VIRTIO_F_IN_ORDER (virtio 1.1 §2.6.9): chains refused in the middle of a
 * burst (a runt, one outside memory) come back in the order the guest made
 * them available, with the accepted ones around them -- the DPDK in-order
 * driver frees its tx mbufs by position.  Each refusal is counted. */
static void
test_in_order_with_refused(void **state)
{
    struct fx *f = *state;
    const unsigned txv = 1;             /* pair 0's guest TX vring */
    int heads[5];
    struct port_stats st;
    uint32_t id, len;

    fe_setup_features(f, VHOST_BIT(VIRTIO_F_IN_ORDER));
    heads[0] = guest_send(f, txv, 0x11);
    struct virtq_driver_buf runt = {.gpa = BUF_BASE, .len = HDR_LEN + 5};
    heads[1] = virtq_driver_add(&f->drv[txv], &runt, 1);
    heads[2] = guest_send(f, txv, 0x11);
    struct virtq_driver_buf outside = {.gpa = MEM_SIZE, .len = 100};
    heads[3] = virtq_driver_add(&f->drv[txv], &outside, 1);
    heads[4] = guest_send(f, txv, 0x11);

    assert_int_equal(port_rx(f, 0, 0x11), 3);
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(virtq_driver_get_used(&f->drv[txv], &id, &len), 1);
        assert_int_equal(id, (uint32_t) heads[i]);
        assert_int_equal(len, 0);
    }
    assert_int_equal(virtq_driver_get_used(&f->drv[txv], &id, &len), 0);
    port_get_stats(f->port, &st);
    assert_int_equal(st.rx_packets, 3);
    assert_int_equal(st.drops[PORT_DROP_RUNT], 1);
    assert_int_equal(st.drops[PORT_DROP_BAD_DESC], 1);
}

/* Posts, on guest RX vring 'v': a 2 KiB buffer, a 30-byte one, a 2 KiB
 * one, then a chain of two (12 + 100 bytes).  b[] gets each buffer's gpa. */
static void
post_mixed_rx(struct fx *f, unsigned v, uint64_t b[5])
{
    for (unsigned i = 0; i < 5; i++) {
        b[i] = BUF_BASE + 2048u * f->next_buf++;
    }
    struct virtq_driver_buf one = {.gpa = b[0], .len = 2048, .write = true};
    struct virtq_driver_buf small = {.gpa = b[1], .len = 30, .write = true};
    struct virtq_driver_buf next = {.gpa = b[2], .len = 2048, .write = true};
    struct virtq_driver_buf two[2] = {
        {.gpa = b[3], .len = HDR_LEN, .write = true},
        {.gpa = b[4], .len = 100, .write = true},
    };
    assert_true(virtq_driver_add(&f->drv[v], &one, 1) >= 0);
    assert_true(virtq_driver_add(&f->drv[v], &small, 1) >= 0);
    assert_true(virtq_driver_add(&f->drv[v], &next, 1) >= 0);
    assert_true(virtq_driver_add(&f->drv[v], two, 2) >= 0);
}

/* The used length and num_buffers of the next used element on 'v'. */
static void
expect_used(struct fx *f, unsigned v, uint64_t gpa, uint32_t want_len,
            uint16_t want_nb, uint8_t mark)
{
    uint32_t id, len;
    uint16_t nb;

    assert_int_equal(virtq_driver_get_used(&f->drv[v], &id, &len), 1);
    assert_int_equal(len, want_len);
    if (want_nb) {
        memcpy(&nb, f->mem + gpa + 10, sizeof nb);
        assert_int_equal(nb, want_nb);
        assert_int_equal(f->mem[gpa + HDR_LEN], mark);
    }
}

/* A burst meets every shape of guest RX buffer (§5.1.6.3-4): one buffer
 * takes a frame whole; a buffer too small is merged with the next
 * (MRG_RXBUF, num_buffers 2); a chain of two; then no buffer at all.  The
 * one-buffer fast path must give back what it popped and cannot use, and
 * hand every other shape to the general path, in order, frames intact. */
static void
test_tx_mixed_rx_buffers(void **state)
{
    struct fx *f = *state;
    static struct dp_packet pkt[4];
    struct dp_packet *pp[4];
    uint64_t b[2][5];
    struct port_stats st;
    unsigned v;

    fe_setup_features(f, VHOST_BIT(VIRTIO_NET_F_MRG_RXBUF));
    post_mixed_rx(f, 0, b[0]);          /* whichever pair this thread */
    post_mixed_rx(f, 2, b[1]);          /* sends on */
    for (unsigned i = 0; i < 4; i++) {
        dp_packet_reset_head(&pkt[i]);
        memset(pkt[i].hdr, 0xa0 + i, FRAME_LEN);
        pkt[i].frame_len = pkt[i].copy_len = FRAME_LEN;
        pp[i] = &pkt[i];
    }
    f->port->class->tx_batch(f->port, pp, 4);
    v = virtq_driver_used_idx(&f->drv[0]) ? 0 : 2;
    uint64_t *g = b[v / 2];
    assert_int_equal(virtq_driver_used_idx(&f->drv[v]), 4);
    assert_int_equal(virtq_driver_used_idx(&f->drv[2 - v]), 0);
    expect_used(f, v, g[0], HDR_LEN + FRAME_LEN, 1, 0xa0);
    expect_used(f, v, g[1], 30, 2, 0xa1);
    expect_used(f, v, g[2], HDR_LEN + FRAME_LEN - 30, 0, 0);
    assert_int_equal(f->mem[g[2]], 0xa1);
    assert_int_equal(f->mem[g[2] + HDR_LEN + FRAME_LEN - 31], 0xa1);
    expect_used(f, v, g[3], HDR_LEN + FRAME_LEN, 1, 0);
    assert_int_equal(f->mem[g[4]], 0xa2);
    assert_int_equal(f->mem[g[4] + FRAME_LEN - 1], 0xa2);
    port_get_stats(f->port, &st);
    assert_int_equal(st.tx_packets, 3);
    assert_int_equal(st.tx_bytes, 3 * FRAME_LEN);
    assert_int_equal(st.drops[PORT_DROP_TX_NO_ROOM], 1);
}

static void
test_bad_n_rxq(void **state RSW_UNUSED)
{
    static const char *const bad[] = {"0", "65", "", "abc", "2x", "-1",
                                      "99999999999999999999"};
    char path[64], err[256];
    struct port *p;
    int ret;

    rsw_log_set_sink(null_sink, NULL);
    snprintf(path, sizeof path, "/tmp/rsw-pv-bad-%d.sock", getpid());
    for (size_t i = 0; i < RSW_ARRAY_SIZE(bad); i++) {
        err[0] = 0;
        p = make_port(path, bad[i], err, sizeof err, &ret);
        assert_int_equal(ret, -EINVAL);
        assert_null(p);
        assert_non_null(strstr(err, "options:n_rxq (queue pairs) must be "
                                    "1..64"));
    }
    /* Default: one pair, one rx queue; the upper bound is accepted. */
    p = make_port(path, NULL, err, sizeof err, &ret);
    assert_int_equal(ret, 0);
    assert_int_equal(p->class->n_rxq(p), 1);
    char st[256];
    p->class->get_status(p, st, sizeof st);
    assert_null(strstr(st, "queue pairs"));
    port_destroy(p);
    p = make_port(path, "64", err, sizeof err, &ret);
    assert_int_equal(ret, 0);
    assert_int_equal(p->class->n_rxq(p), 64);
    assert_int_equal(p->class->rxq_numa(p, 63), -1);
    assert_int_equal(p->class->rxq_numa(p, 64), -1);
    port_destroy(p);
    unlink(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_queue_pairs, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_pairs_at_run_time, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_in_order_with_refused, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_tx_mixed_rx_buffers, fx_setup,
                                        fx_teardown),
        cmocka_unit_test(test_bad_n_rxq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
