/* SPDX-License-Identifier: Apache-2.0 */
/* vhost-user framing, message table and central validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#include "vhost/vhost_user.h"
#include "vhost/vlog.h"
#include "vhost_test_util.h"

static void
quiet_sink(enum rsw_log_level l RSW_UNUSED, const char *s RSW_UNUSED,
           void *aux)
{
    (*(unsigned *) aux)++;
}

static unsigned log_lines;

static int
setup(void **state RSW_UNUSED)
{
    rsw_log_set_sink(quiet_sink, &log_lines);
    return 0;
}

/* ---- Framing ----------------------------------------------------------- */

static void
test_roundtrip_with_fds(void **state RSW_UNUSED)
{
    struct vhost_user_msg tx, rx;
    int sv[2], fds[VHOST_USER_MAX_FDS], out[2];
    unsigned nfds;
    struct stat a, b;

    assert_int_equal(tu_socketpair(sv), 0);
    out[0] = tu_memfd(4096);
    out[1] = tu_memfd(8192);
    tu_msg(&tx, VHOST_USER_SET_MEM_TABLE, 8 + 2 * 32);
    tx.payload.mem.nregions = 2;
    tx.payload.mem.regions[1].mmap_offset = 0x1234;
    assert_int_equal(vhost_user_send(sv[0], &tx, out, 2, 100), 0);
    assert_int_equal(vhost_user_recv(sv[1], &rx, fds, &nfds, 100), 0);
    assert_int_equal(rx.hdr.request, VHOST_USER_SET_MEM_TABLE);
    assert_int_equal(rx.hdr.size, 8 + 2 * 32);
    assert_int_equal(rx.payload.mem.regions[1].mmap_offset, 0x1234);
    assert_int_equal(nfds, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(fstat(out[i], &a), 0);
        assert_int_equal(fstat(fds[i], &b), 0);
        assert_true(a.st_ino == b.st_ino);
        /* MSG_CMSG_CLOEXEC */
        assert_true(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
    }
    vhost_user_close_fds(fds, nfds);
    close(out[0]);
    close(out[1]);
    /* Nothing more: -EAGAIN, then EOF: -ECONNRESET. */
    assert_int_equal(vhost_user_recv(sv[1], &rx, fds, &nfds, 10), -EAGAIN);
    close(sv[0]);
    assert_int_equal(vhost_user_recv(sv[1], &rx, fds, &nfds, 10),
                     -ECONNRESET);
    close(sv[1]);
}

struct delayed_write {
    int fd;
    const uint8_t *buf;
    size_t len;
};

static void *
delayed_writer(void *arg)
{
    struct delayed_write *w = arg;
    struct timespec ts = { 0, 20 * 1000 * 1000 };

    nanosleep(&ts, NULL);
    assert_true(write(w->fd, w->buf, w->len) == (ssize_t) w->len);
    return NULL;
}

static void
test_partial_message(void **state RSW_UNUSED)
{
    uint8_t wire[12 + 8];
    struct vhost_user_hdr h = { VHOST_USER_SET_FEATURES, 1, 8 };
    uint64_t v = 0xabcdef;
    struct vhost_user_msg rx;
    int sv[2], fds[VHOST_USER_MAX_FDS];
    unsigned nfds;
    pthread_t t;

    memcpy(wire, &h, 12);
    memcpy(wire + 12, &v, 8);
    assert_int_equal(tu_socketpair(sv), 0);
    /* 5 bytes now, the rest 20 ms later: the receiver must wait for it. */
    assert_int_equal(write(sv[0], wire, 5), 5);
    struct delayed_write w = { sv[0], wire + 5, sizeof wire - 5 };
    assert_int_equal(pthread_create(&t, NULL, delayed_writer, &w), 0);
    assert_int_equal(vhost_user_recv(sv[1], &rx, fds, &nfds, 1000), 0);
    pthread_join(t, NULL);
    assert_int_equal(rx.payload.u64, 0xabcdef);
    /* A message that never completes times out (fatal). */
    assert_int_equal(write(sv[0], wire, 14), 14);
    assert_int_equal(vhost_user_recv(sv[1], &rx, fds, &nfds, 30),
                     -ETIMEDOUT);
    close(sv[0]);
    close(sv[1]);
}

static void
test_oversized_closes_fds(void **state RSW_UNUSED)
{
    struct vhost_user_msg rx;
    int sv[2], fds[VHOST_USER_MAX_FDS], mfd;
    unsigned nfds, before;

    assert_int_equal(tu_socketpair(sv), 0);
    mfd = tu_memfd(4096);
    before = tu_count_fds();
    /* Header claims more than any message: unrecoverable, fds closed. */
    struct vhost_user_hdr bad = { VHOST_USER_SET_MEM_TABLE, 1,
                                  VHOST_USER_MAX_PAYLOAD + 1 };
    assert_int_equal(tu_send_raw(sv[0], &bad, sizeof bad, &mfd, 1),
                     (ssize_t) sizeof bad);
    assert_int_equal(vhost_user_recv(sv[1], &rx, fds, &nfds, 100),
                     -EMSGSIZE);
    assert_int_equal(nfds, 0);
    assert_int_equal(tu_count_fds(), before);
    close(mfd);
    close(sv[0]);
    close(sv[1]);
}

static void
test_too_many_fds(void **state RSW_UNUSED)
{
    struct vhost_user_msg tx, rx;
    int sv[2], fds[VHOST_USER_MAX_FDS], out[12];
    unsigned nfds, before;

    assert_int_equal(tu_socketpair(sv), 0);
    for (int i = 0; i < 12; i++) {
        out[i] = tu_memfd(4096);
    }
    before = tu_count_fds();
    tu_msg(&tx, VHOST_USER_SET_FEATURES, 8);
    assert_int_equal(vhost_user_send(sv[0], &tx, out, 12, 100), 0);
    tu_msg(&tx, VHOST_USER_GET_FEATURES, 0);
    assert_int_equal(vhost_user_send(sv[0], &tx, NULL, 0, 100), 0);
    /* All 12 closed, stream still in sync: the next message reads fine. */
    assert_int_equal(vhost_user_recv(sv[1], &rx, fds, &nfds, 100), -E2BIG);
    assert_int_equal(rx.hdr.request, VHOST_USER_SET_FEATURES);
    assert_int_equal(tu_count_fds(), before);
    assert_int_equal(vhost_user_recv(sv[1], &rx, fds, &nfds, 100), 0);
    assert_int_equal(rx.hdr.request, VHOST_USER_GET_FEATURES);
    for (int i = 0; i < 12; i++) {
        close(out[i]);
    }
    close(sv[0]);
    close(sv[1]);
}

/* ---- The table --------------------------------------------------------- */

#define ALL_PF (~0ull)

static enum vhost_user_refusal
check(const struct vhost_user_msg *m, unsigned nfds)
{
    return vhost_user_check(m, nfds, ALL_PF, 4);
}

static void
test_check_basic(void **state RSW_UNUSED)
{
    struct vhost_user_msg m;

    tu_msg(&m, VHOST_USER_GET_FEATURES, 0);
    assert_int_equal(check(&m, 0), VHOST_USER_OK);
    tu_msg(&m, 99, 0);
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_UNKNOWN);
    tu_msg(&m, VHOST_USER_NONE, 0);
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_UNKNOWN);
    tu_msg(&m, VHOST_USER_SET_LOG_BASE, 16);
    assert_int_equal(check(&m, 1), VHOST_USER_REFUSED_UNSUPPORTED);
    tu_msg(&m, VHOST_USER_VRING_KICK, 8);
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_UNSUPPORTED);
    /* flags: version 2, REPLY set */
    tu_msg(&m, VHOST_USER_GET_FEATURES, 0);
    m.hdr.flags = 2;
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_BAD_FLAGS);
    m.hdr.flags = 1 | VHOST_USER_REPLY_MASK;
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_BAD_FLAGS);
    /* sizes */
    tu_msg(&m, VHOST_USER_SET_FEATURES, 4);
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_BAD_SIZE);
    tu_msg(&m, VHOST_USER_GET_FEATURES, 8);
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_BAD_SIZE);
    tu_msg(&m, VHOST_USER_SET_VRING_ADDR, 32);
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_BAD_SIZE);
    /* fds */
    tu_msg(&m, VHOST_USER_SET_FEATURES, 8);
    assert_int_equal(check(&m, 1), VHOST_USER_REFUSED_BAD_FDS);
    /* protocol features */
    tu_msg(&m, VHOST_USER_GET_QUEUE_NUM, 0);
    assert_int_equal(vhost_user_check(&m, 0, 0, 4),
                     VHOST_USER_REFUSED_NO_FEATURE);
    assert_int_equal(vhost_user_check(&m, 0,
                                      VHOST_BIT(VHOST_USER_PROTOCOL_F_MQ), 4),
                     VHOST_USER_OK);
    tu_msg(&m, VHOST_USER_NET_SET_MTU, 8);
    assert_int_equal(vhost_user_check(&m, 0, 0, 4),
                     VHOST_USER_REFUSED_NO_FEATURE);
}

static void
test_check_vrings(void **state RSW_UNUSED)
{
    struct vhost_user_msg m;

    tu_msg(&m, VHOST_USER_SET_VRING_NUM, 8);
    m.payload.state = (struct vhost_user_vring_state) { 3, 256 };
    assert_int_equal(check(&m, 0), VHOST_USER_OK);
    m.payload.state.index = 4;
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_BAD_VRING);
    m.payload.state = (struct vhost_user_vring_state) { 0, 3 };
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_INVALID);
    m.payload.state.num = 65536;
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_INVALID);
    m.payload.state.num = 32768;
    assert_int_equal(check(&m, 0), VHOST_USER_OK);
    m.payload.state.num = 0;
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_INVALID);

    tu_msg(&m, VHOST_USER_SET_VRING_BASE, 8);
    m.payload.state.num = 0x10000;
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_INVALID);
    tu_msg(&m, VHOST_USER_SET_VRING_ENABLE, 8);
    m.payload.state.num = 2;
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_INVALID);
    tu_msg(&m, VHOST_USER_SET_VRING_ADDR, 40);
    m.payload.addr.flags = 2;
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_INVALID);
    tu_msg(&m, VHOST_USER_GET_VRING_BASE, 8);
    m.payload.state.index = 200;
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_BAD_VRING);

    /* KICK/CALL/ERR: NOFD <=> no fd; index in bits 0-7 */
    tu_msg(&m, VHOST_USER_SET_VRING_KICK, 8);
    m.payload.u64 = 1;
    assert_int_equal(check(&m, 1), VHOST_USER_OK);
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_BAD_FDS);
    m.payload.u64 = 1 | VHOST_USER_VRING_NOFD_MASK;
    assert_int_equal(check(&m, 0), VHOST_USER_OK);
    assert_int_equal(check(&m, 1), VHOST_USER_REFUSED_BAD_FDS);
    assert_int_equal(check(&m, 2), VHOST_USER_REFUSED_BAD_FDS);
    m.payload.u64 = 7;
    assert_int_equal(check(&m, 1), VHOST_USER_REFUSED_BAD_VRING);
    m.payload.u64 = 1 | (1ull << 9);
    assert_int_equal(check(&m, 1), VHOST_USER_REFUSED_INVALID);
    assert_int_equal(vhost_user_msg_vring(&m), 1);
}

static void
mem_msg(struct vhost_user_msg *m, unsigned n)
{
    tu_msg(m, VHOST_USER_SET_MEM_TABLE, 8 + 32 * n);
    m->payload.mem.nregions = n;
    for (unsigned i = 0; i < n; i++) {
        m->payload.mem.regions[i] = (struct vhost_user_mem_region) {
            .gpa = i * 0x100000ull, .size = 0x100000,
            .uva = 0x7f0000000000ull + i * 0x100000ull,
        };
    }
}

static void
test_check_mem_table(void **state RSW_UNUSED)
{
    struct vhost_user_msg m;

    mem_msg(&m, 2);
    assert_int_equal(check(&m, 2), VHOST_USER_OK);
    assert_int_equal(check(&m, 1), VHOST_USER_REFUSED_BAD_FDS);
    assert_int_equal(check(&m, 3), VHOST_USER_REFUSED_BAD_FDS);
    m.hdr.size = 8 + 32 * 3;     /* size disagrees with nregions */
    assert_int_equal(check(&m, 2), VHOST_USER_REFUSED_BAD_SIZE);
    mem_msg(&m, 0);
    m.hdr.size = 8;
    assert_int_equal(check(&m, 1), VHOST_USER_REFUSED_INVALID);
    mem_msg(&m, 8);
    assert_int_equal(check(&m, 8), VHOST_USER_OK);
    m.payload.mem.nregions = 9;
    assert_int_equal(check(&m, 8), VHOST_USER_REFUSED_INVALID);
    m.hdr.size = 4;              /* too short for nregions */
    assert_int_equal(check(&m, 1), VHOST_USER_REFUSED_BAD_SIZE);
    /* overlapping gpa, overlapping uva, zero size, wrapping */
    mem_msg(&m, 2);
    m.payload.mem.regions[1].gpa = 0x80000;
    assert_int_equal(check(&m, 2), VHOST_USER_REFUSED_INVALID);
    mem_msg(&m, 2);
    m.payload.mem.regions[1].uva = m.payload.mem.regions[0].uva + 0xfffff;
    assert_int_equal(check(&m, 2), VHOST_USER_REFUSED_INVALID);
    mem_msg(&m, 2);
    m.payload.mem.regions[0].size = 0;
    assert_int_equal(check(&m, 2), VHOST_USER_REFUSED_INVALID);
    mem_msg(&m, 1);
    m.payload.mem.regions[0].gpa = UINT64_MAX - 10;
    assert_int_equal(check(&m, 1), VHOST_USER_REFUSED_INVALID);
    /* ADD_MEM_REG: exactly one fd, needs CONFIGURE_MEM_SLOTS */
    tu_msg(&m, VHOST_USER_ADD_MEM_REG, 40);
    m.payload.mem_reg.region.size = 4096;
    assert_int_equal(check(&m, 1), VHOST_USER_OK);
    assert_int_equal(check(&m, 0), VHOST_USER_REFUSED_BAD_FDS);
    assert_int_equal(vhost_user_check(&m, 1, 0, 4),
                     VHOST_USER_REFUSED_NO_FEATURE);
    tu_msg(&m, VHOST_USER_REM_MEM_REG, 40);
    assert_int_equal(check(&m, 0), VHOST_USER_OK);
    assert_int_equal(check(&m, 1), VHOST_USER_OK);
    assert_int_equal(check(&m, 2), VHOST_USER_REFUSED_BAD_FDS);
}

static void
test_names_and_table(void **state RSW_UNUSED)
{
    assert_string_equal(vhost_user_msg_name(VHOST_USER_SET_MEM_TABLE),
                        "VHOST_USER_SET_MEM_TABLE");
    assert_string_equal(vhost_user_msg_name(VHOST_USER_REM_MEM_REG),
                        "VHOST_USER_REM_MEM_REG");
    assert_string_equal(vhost_user_msg_name(1000), "VHOST_USER_UNKNOWN");
    assert_null(vhost_user_msg_lookup(0));
    assert_null(vhost_user_msg_lookup(VHOST_USER_MAX));
    /* Every spec request 1..40 has an entry; replies are sized. */
    for (uint32_t r = 1; r < VHOST_USER_MAX; r++) {
        const struct vhost_user_msg_info *i = vhost_user_msg_lookup(r);

        assert_non_null(i);
        assert_true(i->min_size <= i->max_size);
        assert_true(i->max_size <= VHOST_USER_MAX_PAYLOAD);
        assert_true(!i->has_reply || i->reply_size == 8);
    }
    for (int r = 0; r < VHOST_USER_REFUSED_N; r++) {
        assert_string_not_equal(vhost_user_refusal_name(r), "?");
    }
}

static void
test_check_reply(void **state RSW_UNUSED)
{
    struct vhost_user_msg req, rep;

    tu_msg(&req, VHOST_USER_GET_FEATURES, 0);
    vhost_user_reply_init(&rep, &req, 8);
    assert_int_equal(vhost_user_check_reply(&rep, 1, 8, 0), 0);
    assert_int_equal(vhost_user_check_reply(&rep, 1, 8, 1), -EPROTO);
    assert_int_equal(vhost_user_check_reply(&rep, 2, 8, 0), -EPROTO);
    assert_int_equal(vhost_user_check_reply(&rep, 1, 0, 0), -EPROTO);
    rep.hdr.flags = VHOST_USER_VERSION;
    assert_int_equal(vhost_user_check_reply(&rep, 1, 8, 0), -EPROTO);
}

/* ---- Logging ----------------------------------------------------------- */

static void
test_log_rate_limit(void **state RSW_UNUSED)
{
    unsigned before = log_lines;

    for (int i = 0; i < 1000; i++) {
        RSW_LOG_RL(RSW_LOG_WARN, "flood %d", i);
    }
    /* One call site: at most RSW_LOG_RL_PER_SEC per second (the loop may
     * straddle a second boundary). */
    assert_true(log_lines - before >= 1);
    assert_true(log_lines - before <= 2 * RSW_LOG_RL_PER_SEC);
    before = log_lines;
    rsw_log(RSW_LOG_ERR, "plain %d", 1);
    assert_int_equal(log_lines, before + 1);
    rsw_log_set_level(RSW_LOG_ERR);
    rsw_log(RSW_LOG_INFO, "dropped");
    assert_int_equal(log_lines, before + 1);
    rsw_log_set_level(RSW_LOG_INFO);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_with_fds),
        cmocka_unit_test(test_partial_message),
        cmocka_unit_test(test_oversized_closes_fds),
        cmocka_unit_test(test_too_many_fds),
        cmocka_unit_test(test_check_basic),
        cmocka_unit_test(test_check_vrings),
        cmocka_unit_test(test_check_mem_table),
        cmocka_unit_test(test_names_and_table),
        cmocka_unit_test(test_check_reply),
        cmocka_unit_test(test_log_rate_limit),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
