/* SPDX-License-Identifier: Apache-2.0 */
/* capture: BPF filtering on the header copy, both directions, limits, and
 * the pcap file read back with libpcap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datapath/capture.h"

struct tc_state {
    char path[64];
};

/* Ethernet + IPv4 + UDP or TCP, 'len' bytes; the first 'split' bytes in
 * the header copy, the rest in two tail pieces (as a vhost rx makes). */
static uint8_t frame_store[8][1600];
static struct iovec tails[8][2];

static void
make_packet(struct dp_packet *p, unsigned k, uint8_t proto, uint32_t len,
            uint32_t split)
{
    uint8_t *f = frame_store[k];

    memset(f, 0, sizeof frame_store[k]);
    memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
    f[14] = 0x45;
    f[16] = (uint8_t) ((len - 14) >> 8);
    f[17] = (uint8_t) (len - 14);
    f[22] = 64;
    f[23] = proto;
    memcpy(f + 26, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
    f[34] = 0x30; f[35] = 0x39;           /* sport 12345 */
    f[36] = 0x00; f[37] = 0x35;           /* dport 53 */
    for (uint32_t i = 42; i < len; i++) {
        f[i] = (uint8_t) (i * 7 + k);
    }
    memset(p, 0, sizeof *p);
    dp_packet_reset_head(p);
    p->frame_len = len;
    p->copy_len = split < len ? split : len;
    memcpy(p->hdr, f, p->copy_len);
    uint32_t rest = len - p->copy_len, half = rest / 2;
    tails[k][0] = (struct iovec) {f + p->copy_len, half};
    tails[k][1] = (struct iovec) {f + p->copy_len + half, rest - half};
    p->tail = tails[k];
    p->n_tail = rest ? 2 : 0;
}

static int
setup(void **state)
{
    struct tc_state *s = calloc(1, sizeof *s);

    snprintf(s->path, sizeof s->path, "/tmp/rsw-test-capture-%d.pcap",
             (int) getpid());
    *state = s;
    return 0;
}

static int
teardown(void **state)
{
    struct tc_state *s = *state;

    unlink(s->path);
    free(s);
    return 0;
}

/* Reads the file back: number of packets; checks each against frame k. */
static unsigned
read_back(const char *path, const unsigned *expect_k, unsigned n_expect,
          uint32_t snaplen)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(
        path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    struct pcap_pkthdr *h;
    const u_char *data;
    unsigned n = 0;

    assert_non_null(p);
    assert_int_equal(pcap_datalink(p), DLT_EN10MB);
    while (pcap_next_ex(p, &h, &data) == 1) {
        assert_true(n < n_expect);
        const uint8_t *f = frame_store[expect_k[n]];
        uint32_t want = h->len < snaplen ? h->len : snaplen;
        assert_int_equal(h->caplen, want);
        assert_memory_equal(data, f, h->caplen);
        assert_true(h->ts.tv_sec > 1700000000);
        n++;
    }
    pcap_close(p);
    return n;
}

static void
test_filter_and_directions(void **state)
{
    struct tc_state *s = *state;
    struct capture_options o = {.file = s->path, .filter = "udp and dst port 53"};
    struct dp_packet udp, tcp, big;
    struct capture_stats st;
    struct capture *c;
    char err[256];

    make_packet(&udp, 0, 17, 60, 128);
    make_packet(&tcp, 1, 6, 60, 128);
    make_packet(&big, 2, 17, 1500, 128);     /* payload from the tail */
    assert_int_equal(capture_create(&o, &c, err, sizeof err), 0);
    capture_packet(c, &udp, CAPTURE_DIR_RX);
    capture_packet(c, &tcp, CAPTURE_DIR_RX);
    capture_packet(c, &big, CAPTURE_DIR_TX);
    capture_packet(c, &tcp, CAPTURE_DIR_TX);
    capture_get_stats(c, &st);
    assert_int_equal(st.matched, 2);
    assert_int_equal(st.filtered, 2);
    assert_int_equal(st.dropped, 0);
    assert_string_equal(capture_file(c), s->path);
    capture_destroy(c);
    unsigned order[] = {0, 2};
    assert_int_equal(read_back(s->path, order, 2, 2048), 2);
}

static void
test_rx_only_snaplen_count(void **state)
{
    struct tc_state *s = *state;
    struct capture_options o = {.file = s->path, .rx = true, .snaplen = 100,
                                .max_packets = 3};
    struct dp_packet big;
    struct capture *c;
    char err[256];

    make_packet(&big, 3, 17, 1000, 64);
    assert_int_equal(capture_create(&o, &c, err, sizeof err), 0);
    for (int i = 0; i < 10; i++) {
        capture_packet(c, &big, CAPTURE_DIR_TX);   /* not captured: rx only */
        capture_packet(c, &big, CAPTURE_DIR_RX);
    }
    for (int i = 0; i < 2000 && !capture_is_done(c); i++) {
        usleep(1000);
    }
    assert_true(capture_is_done(c));       /* --count reached */
    capture_packet(c, &big, CAPTURE_DIR_RX);   /* ignored once done */
    capture_destroy(c);
    unsigned order[] = {3, 3, 3};
    assert_int_equal(read_back(s->path, order, 3, 100), 3);
}

static void
test_duration_ends_capture(void **state)
{
    struct tc_state *s = *state;
    struct capture_options o = {.file = s->path, .max_seconds = 0.05};
    struct capture *c;
    char err[256];

    assert_int_equal(capture_create(&o, &c, err, sizeof err), 0);
    for (int i = 0; i < 2000 && !capture_is_done(c); i++) {
        usleep(1000);
    }
    assert_true(capture_is_done(c));
    capture_destroy(c);
    assert_int_equal(read_back(s->path, NULL, 0, 2048), 0);
}

static void
test_bad_options(void **state)
{
    struct tc_state *s = *state;
    struct capture *c = (struct capture *) 1;
    char err[256];
    struct capture_options bad_filter = {.file = s->path, .filter = "udp and"};
    struct capture_options relative = {.file = "x.pcap"};
    struct capture_options no_dir = {.file = "/nonexistent-dir/x.pcap"};
    struct capture_options snap = {.file = s->path, .snaplen = 10};

    assert_int_equal(capture_create(&bad_filter, &c, err, sizeof err), -EINVAL);
    assert_null(c);
    assert_non_null(strstr(err, "bad filter 'udp and'"));
    assert_int_equal(capture_create(&relative, &c, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "absolute path"));
    assert_int_equal(capture_create(&no_dir, &c, err, sizeof err), -EIO);
    assert_non_null(strstr(err, "cannot create /nonexistent-dir/x.pcap"));
    assert_int_equal(capture_create(&snap, &c, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "snap length"));
    capture_destroy(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_filter_and_directions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_only_snaplen_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duration_ends_capture, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
