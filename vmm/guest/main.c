/* SPDX-License-Identifier: Apache-2.0 */
/* Test guest modes.  Each prints exactly one "RESULT mode=..." line on
 * COM1 and powers off (status 0 when the run met its goal). */
#include "guest.h"

#define ETHERTYPE_TEST 0x88b5          /* IEEE local experimental */
#define FRAME_MAGIC 0x54575352u        /* "RSWT" */
#define FRAME_LEN 64                   /* without the virtio-net header */
#define N_WORDS 9
#define OFF_MAGIC 14
#define OFF_SEQ 18
#define OFF_SUM 22
#define OFF_DATA 26

static struct net net;

/* ---- Frames: dst, src, type, magic, seq, sum, 9 data words ------------- */

static uint32_t
data_word(uint32_t seq, unsigned k)
{
    return seq * 0x9e3779b1u + k * 0x85ebca6bu + 1;
}

static void
frame_build(uint8_t *f, uint32_t seq)
{
    uint32_t sum = seq;

    for (int i = 0; i < NET_HDR_LEN; i += 4) {
        *(u32_unaligned *) (f + i) = 0;            /* no offloads */
    }
    f += NET_HDR_LEN;
    *(u32_unaligned *) f = 0xffffffffu;            /* broadcast dst */
    *(u16_unaligned *) (f + 4) = 0xffff;
    for (int i = 0; i < 6; i++) {
        f[6 + i] = net.mac[i];
    }
    f[12] = ETHERTYPE_TEST >> 8;
    f[13] = ETHERTYPE_TEST & 0xff;
    *(u32_unaligned *) (f + OFF_MAGIC) = FRAME_MAGIC;
    *(u32_unaligned *) (f + OFF_SEQ) = seq;
    for (unsigned k = 0; k < N_WORDS; k++) {
        uint32_t w = data_word(seq, k);
        *(u32_unaligned *) (f + OFF_DATA + 4 * k) = w;
        sum += w;
    }
    *(u32_unaligned *) (f + OFF_SUM) = sum;
}

/* 0 ok (seq in *seq), 1 not ours (foreign), 2 corrupt. */
static int
frame_check(const uint8_t *buf, uint32_t len, uint32_t *seq)
{
    const uint8_t *f = buf + NET_HDR_LEN;
    uint32_t sum;

    if (len < NET_HDR_LEN + FRAME_LEN
        || *(const u32_unaligned *) (f + OFF_MAGIC) != FRAME_MAGIC) {
        return 1;
    }
    if (len != NET_HDR_LEN + FRAME_LEN) {
        return 2;
    }
    *seq = *(const u32_unaligned *) (f + OFF_SEQ);
    sum = *seq;
    for (unsigned k = 0; k < N_WORDS; k++) {
        uint32_t w = *(const u32_unaligned *) (f + OFF_DATA + 4 * k);
        if (w != data_word(*seq, k)) {
            return 2;
        }
        sum += w;
    }
    return sum == *(const u32_unaligned *) (f + OFF_SUM) ? 0 : 2;
}

/* Sends frame 'seq' from a free TX buffer; false if the ring is full. */
static bool
send_one(uint32_t seq)
{
    uint16_t id;

    if (!net.n_tx_free) {
        net_tx_reclaim(&net);
        if (!net.n_tx_free) {
            return false;
        }
    }
    id = net.tx_free[--net.n_tx_free];
    frame_build(buf_ptr(&net.tx, id), seq);
    vq_post(&net.tx, id, net.tx.buf_gpa + (uint64_t) id * BUF_SIZE,
            NET_HDR_LEN + FRAME_LEN, false);
    return true;
}

static void
rx_repost(uint16_t id)
{
    vq_post(&net.rx, id, net.rx.buf_gpa + (uint64_t) id * BUF_SIZE, BUF_SIZE,
            true);
}

static void
result_start(const char *mode, uint64_t n)
{
    print("RESULT mode=");
    print(mode);
    print_kv("n", n);
}

/* ---- Modes ------------------------------------------------------------------ */

static int
mode_speed(uint64_t n)
{
    uint64_t t0 = rdtsc(), t1;
    uint64_t c = n;

    /* Two instructions per iteration. */
    __asm__ volatile("1: dec %0\n jnz 1b" : "+r"(c));
    t1 = rdtsc();
    result_start("speed", n);
    print_kv("instructions", 2 * n);
    print_kv("cycles", t1 - t0);
    print_kv("usec", cycles_to_us(t1 - t0));
    print_kv("tsc_khz", boot_info->tsc_khz);
    print(" status=ok\n");
    return 0;
}

static int
mode_send(uint64_t n)
{
    uint64_t t0 = rdtsc(), sent = 0, deadline;

    while (sent < n) {
        bool added = false;
        while (sent < n && send_one((uint32_t) sent)) {
            sent++;
            added = true;
        }
        if (added) {
            vq_publish(&net.tx);
        }
    }
    deadline = rdtsc() + 5000 * tsc_per_ms();
    while (net.n_tx_free < net.tx.size && rdtsc() < deadline) {
        net_tx_reclaim(&net);            /* wait for the backend */
    }
    result_start("send", n);
    print_kv("sent", sent);
    print_kv("completed", net.n_tx_free == net.tx.size);
    print_kv("usec", cycles_to_us(rdtsc() - t0));
    print(net.n_tx_free == net.tx.size ? " status=ok\n" : " status=stuck\n");
    return net.n_tx_free == net.tx.size ? 0 : 1;
}

struct recv_stats {
    uint64_t ok, lost, reordered, corrupt, foreign, dup;
    uint32_t expect;
};

static void
recv_account(struct recv_stats *s, int r, uint32_t seq)
{
    if (r == 1) {
        s->foreign++;
    } else if (r == 2) {
        s->corrupt++;
    } else if (seq == s->expect) {
        s->ok++;
        s->expect++;
    } else if (seq > s->expect) {
        s->lost += seq - s->expect;      /* gap: may be filled later */
        s->ok++;
        s->expect = seq + 1;
    } else {
        s->reordered++;
        s->ok++;
        if (s->lost) {
            s->lost--;
        }
    }
}

static bool
rx_ready(void)
{
    return net.rx.used_seen != net.rx.used->idx;
}

/* recv:N polls; recv-irq:N sleeps in HLT until the MSI-X interrupt. */
static int
mode_recv(uint64_t n, bool irq)
{
    struct recv_stats s = { 0 };
    uint64_t last = rdtsc(), start = last, idle = 5000 * tsc_per_ms();
    uint16_t id;
    uint32_t len, seq = 0;

    while (s.ok + s.corrupt < n) {
        bool got = false;
        while (vq_get_used(&net.rx, &id, &len)) {
            int r = frame_check(buf_ptr(&net.rx, id), len, &seq);
            recv_account(&s, r, seq);
            rx_repost(id);
            got = true;
        }
        if (got) {
            vq_publish(&net.rx);
            last = rdtsc();
        } else if (rdtsc() - last > (s.ok ? idle : 12 * idle)) {
            break;
        } else if (irq) {
            irq_wait(rx_ready);
        }
    }
    s.lost = s.ok < n ? n - s.ok : 0;
    result_start(irq ? "recv-irq" : "recv", n);
    print_kv("received", s.ok);
    print_kv("lost", s.lost);
    print_kv("reordered", s.reordered);
    print_kv("corrupt", s.corrupt);
    print_kv("foreign", s.foreign);
    print_kv("usec", cycles_to_us(last - start));
    if (irq) {
        print_kv("interrupts", irq_msi_count);
        print_kv("ticks", irq_tick_count);
        print_kv("other_irqs", irq_other_count);
    }
    bool good = !s.lost && !s.reordered && !s.corrupt
                && (!irq || irq_msi_count);
    print(good ? " status=ok\n" : " status=fail\n");
    return good ? 0 : 1;
}

/* Echo: each received frame goes back out of the same buffer with the
 * MACs swapped; the RX buffer is reposted once TX is done with it. */
static uint16_t echo_rx_of_tx[QSZ_MAX];

static void
echo_swap(uint8_t *buf)
{
    uint8_t *f = buf + NET_HDR_LEN;

    for (int i = 0; i < 3; i++) {
        uint16_t a = ((u16_unaligned *) f)[i];
        ((u16_unaligned *) f)[i] = ((u16_unaligned *) (f + 6))[i];
        ((u16_unaligned *) (f + 6))[i] = a;
    }
    for (int i = 0; i < NET_HDR_LEN; i += 4) {
        *(u32_unaligned *) (buf + i) = 0;
    }
}

static bool
echo_reclaim(void)
{
    uint16_t id;
    uint32_t len;
    bool any = false;

    while (vq_get_used(&net.tx, &id, &len)) {
        rx_repost(echo_rx_of_tx[id]);
        net.tx_free[net.n_tx_free++] = id;
        any = true;
    }
    return any;
}

static int
mode_echo(uint64_t n, bool has_n)
{
    uint64_t echoed = 0, dropped = 0, last = rdtsc(), start = last;
    uint64_t idle = 10000 * tsc_per_ms();
    uint16_t id;
    uint32_t len;

    while (!has_n || echoed < n) {
        bool tx = false;
        if (echo_reclaim()) {
            vq_publish(&net.rx);
        }
        while (net.n_tx_free && vq_get_used(&net.rx, &id, &len)) {
            uint16_t t = net.tx_free[--net.n_tx_free];
            if (len < NET_HDR_LEN + 14 || len > BUF_SIZE) {
                net.tx_free[net.n_tx_free++] = t;
                rx_repost(id);
                dropped++;
                continue;
            }
            echo_swap(buf_ptr(&net.rx, id));
            echo_rx_of_tx[t] = id;
            vq_post(&net.tx, t, net.rx.buf_gpa + (uint64_t) id * BUF_SIZE,
                    len, false);
            echoed++;
            tx = true;
        }
        if (tx) {
            vq_publish(&net.tx);
            last = rdtsc();
        } else if (has_n && echoed && rdtsc() - last > idle) {
            break;
        }
    }
    result_start("echo", has_n ? n : echoed);
    print_kv("echoed", echoed);
    print_kv("dropped", dropped);
    print_kv("usec", cycles_to_us(last - start));
    print(!has_n || echoed >= n ? " status=ok\n" : " status=short\n");
    return !has_n || echoed >= n ? 0 : 1;
}

struct rtt {
    uint64_t min, max, sum, ok, lost, corrupt, foreign;
};

/* Waits for frame 'seq' to come back; its round trip goes into 'r'. */
static void
pingpong_wait(struct rtt *r, uint32_t seq, uint64_t t0, uint64_t timeout)
{
    uint16_t id;
    uint32_t len, got = 0;

    for (;;) {
        if (vq_get_used(&net.rx, &id, &len)) {
            int c = frame_check(buf_ptr(&net.rx, id), len, &got);
            uint64_t dt = rdtsc() - t0;
            rx_repost(id);
            vq_publish(&net.rx);
            if (c == 1 || (c == 0 && got != seq)) {
                r->foreign++;
                continue;
            }
            if (c == 2) {
                r->corrupt++;
                return;
            }
            r->ok++;
            r->sum += dt;
            r->min = dt < r->min ? dt : r->min;
            r->max = dt > r->max ? dt : r->max;
            return;
        }
        if (rdtsc() - t0 > timeout) {
            r->lost++;
            return;
        }
    }
}

static int
mode_pingpong(uint64_t n)
{
    struct rtt r = { .min = ~0ull };
    uint64_t timeout = 2000 * tsc_per_ms();

    for (uint64_t i = 0; i < n; i++) {
        uint64_t t0;
        net_tx_reclaim(&net);
        if (!send_one((uint32_t) i)) {
            r.lost++;
            continue;
        }
        t0 = rdtsc();
        vq_publish(&net.tx);
        pingpong_wait(&r, (uint32_t) i, t0, timeout);
    }
    result_start("pingpong", n);
    print_kv("ok", r.ok);
    print_kv("lost", r.lost);
    print_kv("corrupt", r.corrupt);
    print_kv("foreign", r.foreign);
    print_kv("rtt_min_us", r.ok ? cycles_to_us(r.min) : 0);
    print_kv("rtt_avg_us", r.ok ? cycles_to_us(r.sum / r.ok) : 0);
    print_kv("rtt_max_us", r.ok ? cycles_to_us(r.max) : 0);
    bool good = r.ok == n;
    print(good ? " status=ok\n" : " status=fail\n");
    return good ? 0 : 1;
}

static int
run_net_mode(const char *mode)
{
    const char *why = "";
    uint64_t n;
    bool has_n, irq = parse_mode(mode, "recv-irq", &n, &has_n);
    bool mq = parse_mode(mode, "mq-pingpong", &n, &has_n);

    if (irq) {
        irq_init();
    }
    if (net_init(&net, irq, mq ? 2 : 1, &why)) {
        print("RESULT mode=");
        print(mode);
        print(" status=error reason=");
        print(why);
        print("\n");
        return 2;
    }
    print("READY mac=");
    print_mac(net.mac);
    print(" mode=");
    print(mode);
    print("\n");
    if (parse_mode(mode, "send", &n, &has_n) && has_n) {
        return mode_send(n);
    }
    if (parse_mode(mode, "recv", &n, &has_n) && has_n) {
        return mode_recv(n, false);
    }
    if (irq && has_n) {
        return mode_recv(n, true);
    }
    if (parse_mode(mode, "echo", &n, &has_n)) {
        return mode_echo(n, has_n);
    }
    if ((mq || parse_mode(mode, "pingpong", &n, &has_n)) && has_n) {
        return mode_pingpong(n);      /* mq: on queue pair 2 */
    }
    print("RESULT status=error reason=unknown_mode\n");
    return 2;
}

int
guest_main(const struct rsw_boot_info *bi)
{
    uint64_t n;
    bool has_n;

    boot_info = bi;
    if (bi->magic != RSW_BOOT_INFO_MAGIC) {
        print("RESULT status=error reason=bad_boot_info\n");
        poweroff(2);
    }
    if (parse_mode(bi->mode, "hello", &n, &has_n)) {
        print("RESULT mode=hello status=ok\n");
        poweroff(0);
    }
    if (parse_mode(bi->mode, "speed", &n, &has_n) && has_n) {
        poweroff((uint8_t) mode_speed(n));
    }
    poweroff((uint8_t) run_net_mode(bi->mode));
}
