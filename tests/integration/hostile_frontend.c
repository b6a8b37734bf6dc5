/* SPDX-License-Identifier: Apache-2.0 */
/* hostile_frontend: a vhost-user frontend that attacks one rsw-switchd
 * "vhostuser" port (test_switchd_hostile.sh).
 *
 * It is VMM and guest at once, on the vhost/ library's frontend role: a
 * memfd is the guest memory (guest-physical 0 is its first byte), two split
 * rings of 256 live at its start (RX = vring 0, the switch's tx; TX = vring
 * 1, the switch's rx), buffers after them.  Features: VERSION_1 and
 * INDIRECT_DESC, no mergeable buffers, no event index; no kick or call fds
 * (the switch polls; we poll).  The test's rules drop what we send
 * (in_port=N,actions=drop: no_route) and copy a testpmd stream to us, so
 * our RX ring is in use all the time.
 *
 * The rings are written raw (virtq_driver_raw_*), one attack at a time,
 * each waited for, so the switch's counters can be predicted exactly:
 *
 *   tx-chains  bad chains on TX, each returned with used length 0 and
 *              counted as bad_descriptor (or runt): addresses outside
 *              memory, loops, bad next, bad indirect tables (length, nested,
 *              with NEXT, outside memory, too long, looping), zero-length
 *              and header-only chains, too many pieces, readable after
 *              writable, device-writable TX buffers; then a valid frame
 *              through an indirect table and a valid 60 KiB frame;
 *   tx-flood   N x 256 bad chains as fast as the switch takes them (its log
 *              must stay rate-limited);
 *   tx-fatal   a head index >= queue size, then an avail index jumping more
 *              than the queue size ahead (virtio 1.1 §2.6.6): the switch
 *              marks the queue broken (queue_broken), stops touching it, and
 *              we re-initialise the ring (GET_VRING_BASE, then the ring set
 *              up afresh) -- and once by reconnecting instead;
 *   rx-garbage RX buffers outside memory, device-readable, shorter than the
 *              header, looping, bad indirect: each is hit by the next frame
 *              for us and returned refused (bad_descriptor); one too small
 *              for a frame stays (too_big, once per frame); then a bad head
 *              and an avail jump on RX (queue_broken, once per frame).
 *
 * Between phases valid frames are sent and the frames the switch sends us
 * must keep arriving, well formed.  The last line is "EXPECT name=value
 * ..." with the port counters the switch must show ("_min" ones are lower
 * bounds: they count frames of the testpmd stream); exit status 0 means
 * every check on our side passed. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vhost/vhost_frontend.h"
#include "vhost/virtio_net.h"
#include "vhost/virtq_driver.h"

#define RING_SIZE 256
#define RX_VRING 0
#define TX_VRING 1
#define RING_AREA 0x10000ull
#define IND_GPA (2 * RING_AREA)             /* indirect tables */
#define IND_AREA 0x10000ull
#define BUF_SIZE 2048ull
#define RXBUF_GPA (IND_GPA + IND_AREA)
#define TXBUF_GPA (RXBUF_GPA + RING_SIZE * BUF_SIZE)
#define BIG_GPA (TXBUF_GPA + RING_SIZE * BUF_SIZE)
#define BIG_LEN (60u * 1024)                /* > any RX buffer here */
#define MEM_SIZE (2ull << 20)
#define FRAME_LEN 64u
#define WAIT_MS 5000
#define BROKEN_WAIT_MS 300                  /* a polling switch notices */

#define F_NEXT VIRTQ_DESC_F_NEXT
#define F_WRITE VIRTQ_DESC_F_WRITE
#define F_IND VIRTQ_DESC_F_INDIRECT

/* Counters of our port the switch must end up with: "rx" ones for what we
 * send (the switch's rx), "tx" ones for our RX ring. */
struct expect {
    uint64_t rx_packets, rx_bytes, no_route, runt;
    uint64_t bad_descriptor_rx, queue_broken_rx;
    uint64_t chain_errors;     /* of bad_descriptor_rx: refused by the walk */
    uint64_t bad_descriptor_tx;
    uint64_t too_big_min, queue_broken_tx_min;
};

struct hf {
    const char *path;
    uint8_t *mem;
    int mem_fd;
    struct virtq_driver vq[2];
    uint16_t used_seen[2];     /* used->idx already looked at */
    struct vhost_frontend *fe;
    size_t hdr_len;
    bool rx_normal;            /* RX holds good buffers, reposted */
    uint64_t rx_frames;        /* well-formed frames received */
    uint64_t rx_mark;          /* rx_frames when a wait began */
    uint32_t seq;              /* of the next frame we send */
    unsigned failures;
    struct expect exp;
};

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void RSW_PRINTF(3, 4)
check(struct hf *h, bool ok, const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        return;
    }
    h->failures++;
    va_start(ap, fmt);
    fputs("hostile_frontend: FAILED: ", stdout);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
}

static uint16_t
used_idx(const struct hf *h, unsigned q)
{
    return virtq_driver_used_idx(&h->vq[q]);
}

/* ---- Connection ------------------------------------------------------- */

static int
ring_record(struct hf *h, unsigned q)
{
    struct virtq_config c;
    struct vhost_frontend_vring v;
    int err;

    virtq_driver_device_config(&h->vq[q], (uintptr_t) h->mem, &c);
    v = (struct vhost_frontend_vring) {
        .num = RING_SIZE, .base = 0, .desc_uva = c.desc_uva,
        .avail_uva = c.avail_uva, .used_uva = c.used_uva,
        .kick_fd = -1, .call_fd = -1,
    };
    err = vhost_frontend_set_vring(h->fe, q, &v);
    if (!err || err == -ENOTCONN) {
        err = vhost_frontend_set_vring_enable(h->fe, q, true);
    }
    return err == -ENOTCONN ? 0 : err;
}

/* A zeroed ring at index 0 (the switch starts it there: base 0). */
static int
ring_init(struct hf *h, unsigned q)
{
    virtq_driver_uninit(&h->vq[q]);
    h->used_seen[q] = 0;
    return virtq_driver_init(&h->vq[q], RING_SIZE, h->mem + q * RING_AREA,
                             q * RING_AREA, false);
}

static int
hf_connect(struct hf *h)
{
    struct vhost_frontend_config cfg = {
        .path = h->path,
        .features = VHOST_BIT(VIRTIO_F_VERSION_1)
                    | VHOST_BIT(VIRTIO_RING_F_INDIRECT_DESC)
                    | VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES),
        .protocol_features = VHOST_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK)
                             | VHOST_BIT(VHOST_USER_PROTOCOL_F_MQ),
        .n_queue_pairs = 1,
    };
    struct vhost_frontend_region r = {
        .gpa = 0, .size = MEM_SIZE, .uva = (uintptr_t) h->mem,
        .mmap_offset = 0, .fd = h->mem_fd,
    };
    int err = vhost_frontend_create(&cfg, NULL, NULL, &h->fe);

    for (unsigned q = 0; q < 2 && !err; q++) {
        err = ring_init(h, q);
    }
    if (!err) {
        err = vhost_frontend_set_mem_table(h->fe, &r, 1);
        err = err == -ENOTCONN ? 0 : err;
    }
    for (unsigned q = 0; q < 2 && !err; q++) {
        err = ring_record(h, q);
    }
    if (!err) {
        err = vhost_frontend_wait_ready(h->fe, WAIT_MS);
    }
    if (!err) {
        h->hdr_len = virtio_net_hdr_len(vhost_frontend_features(h->fe));
        check(h, vhost_frontend_features(h->fe)
                 & VHOST_BIT(VIRTIO_RING_F_INDIRECT_DESC),
              "INDIRECT_DESC not negotiated");
    }
    h->rx_normal = false;
    return err;
}

/* Stops ring q at the switch and sets it up afresh (vhost-user "Starting
 * and stopping rings"): how a driver recovers a queue the device gave up
 * on without resetting the whole device. */
static int
ring_restart(struct hf *h, unsigned q)
{
    uint16_t base;
    int err = vhost_frontend_get_vring_base(h->fe, q, &base);

    if (!err) {
        err = ring_init(h, q);
    }
    if (!err) {
        err = ring_record(h, q);
    }
    if (q == RX_VRING) {
        h->rx_normal = false;
    }
    return err;
}

/* ---- Traffic ----------------------------------------------------------- */

static void
frame_build(uint8_t *f, uint32_t len, uint32_t seq)
{
    static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x33};

    memcpy(f, mac, 6);
    memcpy(f + 6, mac, 6);
    f[12] = 0x88;           /* local experimental ethertype */
    f[13] = 0xb5;
    for (uint32_t i = 14; i < len; i++) {
        f[i] = (uint8_t) (seq * 7 + i);
    }
    memcpy(f + 14, &seq, sizeof seq);
}

static uint64_t
rxbuf(uint16_t slot)
{
    return RXBUF_GPA + slot * BUF_SIZE;
}

static uint64_t
txbuf(uint16_t slot)
{
    return TXBUF_GPA + slot * BUF_SIZE;
}

/* Gives the switch RX buffers in every slot. */
static void
rx_fill(struct hf *h)
{
    for (uint16_t s = 0; s < RING_SIZE; s++) {
        virtq_driver_raw_desc(&h->vq[RX_VRING], s, rxbuf(s), BUF_SIZE,
                              F_WRITE, 0);
        virtq_driver_raw_publish(&h->vq[RX_VRING], s);
    }
    h->rx_normal = true;
}

/* Takes new RX used elements: checks the frame, reposts the buffer. */
static void
rx_harvest(struct hf *h)
{
    struct virtq_driver *d = &h->vq[RX_VRING];
    uint16_t end = used_idx(h, RX_VRING);

    rsw_smp_rmb();
    for (; h->used_seen[RX_VRING] != end; h->used_seen[RX_VRING]++) {
        const struct virtq_used_elem *e =
            &d->used->ring[h->used_seen[RX_VRING] & (RING_SIZE - 1)];
        uint32_t id = RSW_READ_ONCE(e->id), len = RSW_READ_ONCE(e->len);

        /* testpmd's frames are 64 bytes; the header says "no offloads". */
        if (id >= RING_SIZE || len != h->hdr_len + FRAME_LEN
            || h->mem[rxbuf((uint16_t) id)] != 0) {
            check(h, false, "rx used id %u len %u", id, len);
            continue;
        }
        h->rx_frames++;
        virtq_driver_raw_publish(d, (uint16_t) id);
    }
}

static int
pump(struct hf *h)
{
    int err = vhost_frontend_process(h->fe, 0);

    if (!err && !vhost_frontend_is_ready(h->fe)) {
        err = -ECONNRESET;
    }
    if (h->rx_normal) {
        rx_harvest(h);
    }
    return err;
}

static bool
tx_idle(struct hf *h)
{
    return used_idx(h, TX_VRING) == h->vq[TX_VRING].avail_idx;
}

static int
wait_for(struct hf *h, bool (*cond)(struct hf *), const char *what)
{
    double end = now_ms() + WAIT_MS;

    while (!cond(h)) {
        int err = pump(h);
        if (err) {
            return err;
        }
        if (now_ms() > end) {
            check(h, false, "timed out waiting for %s", what);
            return -ETIMEDOUT;
        }
        usleep(100);
    }
    return 0;
}

/* Queues one valid frame on TX (slot: the next avail index). */
static void
tx_frame_post(struct hf *h)
{
    struct virtq_driver *d = &h->vq[TX_VRING];
    uint16_t slot = d->avail_idx & (RING_SIZE - 1);
    uint8_t *buf = h->mem + txbuf(slot);

    memset(buf, 0, h->hdr_len);
    frame_build(buf + h->hdr_len, FRAME_LEN, h->seq++);
    virtq_driver_raw_desc(d, slot, txbuf(slot), h->hdr_len + FRAME_LEN, 0, 0);
    virtq_driver_raw_publish(d, slot);
}

/* A valid frame the switch takes (and drops by rule: no_route). */
static void
expect_valid(struct hf *h, uint32_t len)
{
    h->exp.rx_packets++;
    h->exp.rx_bytes += len;
    h->exp.no_route++;
}

static void
tx_frame(struct hf *h)
{
    tx_frame_post(h);
    expect_valid(h, FRAME_LEN);
}

static bool
rx_progress(struct hf *h)
{
    return h->rx_frames >= h->rx_mark + 32;
}

/* n valid frames taken; the switch's frames keep coming. */
static int
tx_frames(struct hf *h, unsigned n, const char *when)
{
    int err = 0;

    for (unsigned done = 0; done < n && !err; done += 32) {
        for (unsigned i = done; i < n && i < done + 32; i++) {
            tx_frame(h);
        }
        err = wait_for(h, tx_idle, "TX buffers back");
    }
    h->rx_mark = h->rx_frames;
    if (!err) {
        err = wait_for(h, rx_progress, "frames from the switch");
    }
    printf("  %u valid frames %s: %s; %" PRIu64 " frames received so far\n",
           n, when, err ? "FAILED" : "taken", h->rx_frames);
    return err;
}

/* ---- TX attacks (the switch's rx) --------------------------------------- */

struct rawd {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

/* BAD_CHAIN: the ring walk refuses it ("bad tx descriptor chain" in the
 * switch's log); BAD_DESC: a well-formed chain no TX packet can be. */
enum outcome { BAD_CHAIN, BAD_DESC, RUNT, ACCEPTED, ACCEPTED_BIG };

struct tx_attack {
    const char *name;
    struct rawd d[4];       /* main table, slots 0.. */
    unsigned n;
    struct rawd ind[4];     /* indirect table at IND_GPA, if any */
    enum outcome outcome;
};

/* Fills in buffer addresses that depend on the header length: a frame
 * buffer is "hdr + 64 bytes of frame" at txbuf(0). */
#define FRAME_BUF (~0ull)
#define HDR_ONLY (~0u - 1)
#define HDR_PLUS_10 (~0u - 2)
#define HDR_PLUS_FRAME (~0u - 3)

static const struct tx_attack tx_attacks[] = {
    {"address past the end of memory", {{MEM_SIZE + 4096, 64, 0, 0}}, 1, {{0}},
     BAD_CHAIN},
    {"address 2^62", {{1ull << 62, 64, 0, 0}}, 1, {{0}}, BAD_CHAIN},
    {"address + length wraps", {{UINT64_MAX - 15, 64, 0, 0}}, 1, {{0}},
     BAD_CHAIN},
    {"buffer runs past the end", {{MEM_SIZE - 32, 64, 0, 0}}, 1, {{0}},
     BAD_CHAIN},
    {"chain loops 0->1->0", {{TXBUF_GPA, 8, F_NEXT, 1}, {TXBUF_GPA, 8, F_NEXT,
     0}},
     2, {{0}}, BAD_CHAIN},
    {"zero-length self loop", {{TXBUF_GPA, 0, F_NEXT, 0}}, 1, {{0}},
     BAD_CHAIN},
    {"next >= queue size", {{TXBUF_GPA, 32, F_NEXT, 300}}, 1, {{0}},
     BAD_CHAIN},
    {"indirect length 17", {{IND_GPA, 17, F_IND, 0}}, 1, {{0}}, BAD_CHAIN},
    {"indirect length 0", {{IND_GPA, 0, F_IND, 0}}, 1, {{0}}, BAD_CHAIN},
    {"indirect table outside memory", {{MEM_SIZE - 16, 64, F_IND, 0}}, 1,
     {{0}},
     BAD_CHAIN},
    {"indirect table longer than the queue", {{IND_GPA, 16 * 2 * RING_SIZE, F_IND,
     0}},
     1, {{0}}, BAD_CHAIN},
    {"nested indirect", {{IND_GPA, 32, F_IND, 0}}, 1,
     {{IND_GPA + 1024, 32, F_IND, 0}}, BAD_CHAIN},
    {"INDIRECT with NEXT", {{IND_GPA, 32, F_IND | F_NEXT, 1}, {TXBUF_GPA, 64, 0, 0}}, 2,
     {{FRAME_BUF, HDR_PLUS_FRAME, 0, 0}}, BAD_CHAIN},
    {"loop inside the indirect table", {{IND_GPA, 32, F_IND, 0}}, 1,
     {{TXBUF_GPA, 8, F_NEXT, 1}, {TXBUF_GPA, 8, F_NEXT, 0}}, BAD_CHAIN},
    {"zero-length chain", {{TXBUF_GPA, 0, 0, 0}}, 1, {{0}}, BAD_DESC},
    {"header only", {{FRAME_BUF, HDR_ONLY, 0, 0}}, 1, {{0}}, RUNT},
    {"header + 10 bytes", {{FRAME_BUF, HDR_PLUS_10, 0, 0}}, 1, {{0}}, RUNT},
    {"readable after writable", {{TXBUF_GPA, 32, F_NEXT | F_WRITE, 1},
                                 {TXBUF_GPA + 64, 32, 0, 0}}, 2, {{0}}, BAD_CHAIN},
    {"device-writable TX buffer", {{FRAME_BUF, HDR_PLUS_FRAME, F_WRITE, 0}}, 1,
     {{0}},
     BAD_DESC},
    {"valid frame through an indirect table", {{IND_GPA, 16, F_IND, 0}}, 1,
     {{FRAME_BUF, HDR_PLUS_FRAME, 0, 0}}, ACCEPTED},
    {"valid 60 KiB frame", {{FRAME_BUF, HDR_PLUS_FRAME, 0, 0}}, 1, {{0}},
     ACCEPTED_BIG},
};

static struct rawd
resolve(const struct hf *h, struct rawd d, uint64_t frame_gpa,
        uint32_t frame_len)
{
    if (d.addr == FRAME_BUF) {
        d.addr = frame_gpa;
    }
    if (d.len == HDR_ONLY) {
        d.len = (uint32_t) h->hdr_len;
    } else if (d.len == HDR_PLUS_10) {
        d.len = (uint32_t) h->hdr_len + 10;
    } else if (d.len == HDR_PLUS_FRAME) {
        d.len = (uint32_t) h->hdr_len + frame_len;
    }
    return d;
}

/* What the switch counts for one attack. */
static void
expect_outcome(struct hf *h, enum outcome o, uint32_t frame_len)
{
    switch (o) {
    case BAD_CHAIN:
        h->exp.chain_errors++;
        h->exp.bad_descriptor_rx++;
        break;
    case BAD_DESC:
        h->exp.bad_descriptor_rx++;
        break;
    case RUNT:
        h->exp.runt++;
        break;
    case ACCEPTED:
    case ACCEPTED_BIG:
        expect_valid(h, frame_len);
        break;
    }
}

static void
tx_attack_write(struct hf *h, const struct tx_attack *a, uint32_t frame_len)
{
    struct virtq_driver *d = &h->vq[TX_VRING];
    struct virtq_desc *ind = (struct virtq_desc *) (h->mem + IND_GPA);
    uint64_t frame_gpa = a->outcome == ACCEPTED_BIG ? BIG_GPA : TXBUF_GPA;
    uint8_t *frame = h->mem + frame_gpa;

    memset(frame, 0, h->hdr_len);
    frame_build(frame + h->hdr_len, frame_len, h->seq++);
    for (unsigned i = 0; i < RSW_ARRAY_SIZE(a->ind); i++) {
        struct rawd r = resolve(h, a->ind[i], frame_gpa, frame_len);
        ind[i] = (struct virtq_desc) {r.addr, r.len, r.flags, r.next};
    }
    for (unsigned i = 0; i < a->n; i++) {
        struct rawd r = resolve(h, a->d[i], frame_gpa, frame_len);
        virtq_driver_raw_desc(d, (uint16_t) i, r.addr, r.len, r.flags, r.next);
    }
    virtq_driver_raw_publish(d, 0);
}

/* Each chain must come back as head 0 with used length 0. */
static int
phase_tx_one(struct hf *h, const struct tx_attack *a)
{
    uint32_t flen = a->outcome == ACCEPTED_BIG ? BIG_LEN : FRAME_LEN;
    const struct virtq_used_elem *e;
    int err;

    tx_attack_write(h, a, flen);
    expect_outcome(h, a->outcome, flen);
    err = wait_for(h, tx_idle, a->name);
    if (err) {
        return err;
    }
    e = &h->vq[TX_VRING].used->ring[(used_idx(h, TX_VRING) - 1)
                                    & (RING_SIZE - 1)];
    check(h, e->id == 0 && e->len == 0, "%s: used id %u len %u", a->name,
          e->id, e->len);
    printf("  %-40s returned, len 0\n", a->name);
    return 0;
}

static int
phase_tx_chains(struct hf *h)
{
    int err = 0;

    printf("phase tx-chains: %zu chains on TX, one at a time\n",
           RSW_ARRAY_SIZE(tx_attacks));
    for (unsigned i = 0; i < RSW_ARRAY_SIZE(tx_attacks) && !err; i++) {
        err = phase_tx_one(h, &tx_attacks[i]);
    }
    return err ? err : tx_frames(h, 64, "after the bad chains");
}

/* Many bad chains at once: counted one by one, logged rate-limited. */
static int
phase_tx_flood(struct hf *h, unsigned rounds)
{
    struct virtq_driver *d = &h->vq[TX_VRING];
    double t0 = now_ms();

    for (unsigned r = 0; r < rounds; r++) {
        for (uint16_t s = 0; s < RING_SIZE; s++) {
            virtq_driver_raw_desc(d, s, MEM_SIZE + 4096 * s, 64, 0, 0);
            virtq_driver_raw_publish(d, s);
        }
        h->exp.bad_descriptor_rx += RING_SIZE;
        h->exp.chain_errors += RING_SIZE;
        int err = wait_for(h, tx_idle, "the flood");
        if (err) {
            return err;
        }
    }
    printf("phase tx-flood: %u bad chains in %.0f ms\n", rounds * RING_SIZE,
           now_ms() - t0);
    /* One more a second later: the switch's log reports what it
     * suppressed with the next line it lets through. */
    while (now_ms() < t0 + 1100) {
        int err = pump(h);
        if (err) {
            return err;
        }
        usleep(1000);
    }
    int err = phase_tx_one(h, &tx_attacks[0]);
    return err ? err : tx_frames(h, 64, "after the flood");
}

/* ---- Fatal ring errors -------------------------------------------------- */

/* After a §2.6.6 violation the switch must not touch the ring again: a
 * valid frame queued behind it stays unanswered. */
static int
expect_broken(struct hf *h, unsigned q, const char *what)
{
    uint16_t used = used_idx(h, q);
    double end = now_ms() + BROKEN_WAIT_MS;
    int err = 0;

    while (!err && now_ms() < end) {
        err = pump(h);
        usleep(1000);
    }
    check(h, used_idx(h, q) == used, "%s: the switch still used the ring",
          what);
    return err;
}

static int
phase_tx_fatal(struct hf *h)
{
    struct virtq_driver *d = &h->vq[TX_VRING];
    int err;

    printf("phase tx-fatal\n");
    /* Head index >= queue size, then a valid frame behind it. */
    virtq_driver_raw_publish(d, RING_SIZE + 44);
    tx_frame_post(h);           /* never taken */
    h->exp.queue_broken_rx++;
    err = expect_broken(h, TX_VRING, "head >= size");
    err = err ? err : ring_restart(h, TX_VRING);
    err = err ? err : tx_frames(h, 64, "after re-initialising TX");
    /* avail->idx more than the queue size ahead of the device. */
    if (!err) {
        virtq_driver_raw_avail_idx(d, (uint16_t) (d->avail_idx + RING_SIZE + 1));
        h->exp.queue_broken_rx++;
        err = expect_broken(h, TX_VRING, "avail index jump");
    }
    err = err ? err : ring_restart(h, TX_VRING);
    err = err ? err : tx_frames(h, 64, "after re-initialising TX");
    /* Same again, recovered by a new connection instead. */
    if (!err) {
        virtq_driver_raw_publish(d, UINT16_MAX);
        h->exp.queue_broken_rx++;
        err = expect_broken(h, TX_VRING, "head 65535");
    }
    if (!err) {
        vhost_frontend_destroy(h->fe);
        h->fe = NULL;
        err = hf_connect(h);
    }
    if (!err) {
        rx_fill(h);
        err = tx_frames(h, 64, "after reconnecting");
    }
    return err;
}

/* ---- RX garbage (the switch's tx) -------------------------------------- */

struct rx_attack {
    const char *name;
    struct rawd d[2];
    unsigned n;
    bool consumed;          /* returned as refused (else left in place) */
};

static const struct rx_attack rx_attacks[] = {
    {"rx buffer outside memory", {{MEM_SIZE + 4096, 2048, F_WRITE, 0}}, 1,
     true},
    {"rx buffer device-readable", {{RXBUF_GPA, 2048, 0, 0}}, 1, true},
    {"rx buffer shorter than the header", {{RXBUF_GPA, 8, F_WRITE, 0}}, 1,
     true},
    {"rx chain loops", {{RXBUF_GPA, 8, F_WRITE | F_NEXT, 1},
                        {RXBUF_GPA, 8, F_WRITE | F_NEXT, 0}}, 2, true},
    {"rx nested indirect", {{IND_GPA, 32, F_IND, 0}}, 1, true},
    /* Last: too small for the frame, left for a smaller one (too_big). */
    {"rx buffer too small for the frame", {{RXBUF_GPA, 40, F_WRITE, 0}}, 1,
     false},
};

static bool
rx_consumed(struct hf *h)
{
    return used_idx(h, RX_VRING) == h->vq[RX_VRING].avail_idx;
}

/* Posts one bad chain alone on RX; the next frame of the stream for us
 * hits it. */
static int
rx_attack_one(struct hf *h, const struct rx_attack *a)
{
    struct virtq_driver *d = &h->vq[RX_VRING];
    struct virtq_desc *ind = (struct virtq_desc *) (h->mem + IND_GPA);
    uint16_t used = used_idx(h, RX_VRING);
    int err;

    ind[0] = (struct virtq_desc) {IND_GPA + 1024, 16, F_IND, 0};
    for (unsigned i = 0; i < a->n; i++) {
        virtq_driver_raw_desc(d, (uint16_t) i, a->d[i].addr, a->d[i].len,
                              a->d[i].flags, a->d[i].next);
    }
    virtq_driver_raw_publish(d, 0);
    if (a->consumed) {
        h->exp.bad_descriptor_tx++;
        err = wait_for(h, rx_consumed, a->name);
    } else {
        h->exp.too_big_min++;
        err = expect_broken(h, RX_VRING, a->name);  /* i.e. left alone */
    }
    check(h, (uint16_t) (used_idx(h, RX_VRING) - used) == a->consumed,
          "%s: used index moved by %u", a->name,
          (uint16_t) (used_idx(h, RX_VRING) - used));
    if (a->consumed) {
        const struct virtq_used_elem *e = &d->used->ring[used & (RING_SIZE - 1)];
        check(h, e->id == 0 && e->len == 0, "%s: used id %u len %u",
              a->name, e->id, e->len);
    }
    printf("  %-40s %s\n", a->name, a->consumed ? "returned, len 0"
                                                : "left in place");
    return err;
}

static int
rx_fatal(struct hf *h, const char *what, bool jump)
{
    struct virtq_driver *d = &h->vq[RX_VRING];
    int err = ring_restart(h, RX_VRING);

    if (!err) {
        if (jump) {
            virtq_driver_raw_avail_idx(d, RING_SIZE + 1);
        } else {
            virtq_driver_raw_publish(d, RING_SIZE);
        }
        h->exp.queue_broken_tx_min++;   /* once per frame, at least one */
        err = expect_broken(h, RX_VRING, what);
        printf("  %-40s queue broken\n", what);
    }
    return err;
}

static int
phase_rx_garbage(struct hf *h)
{
    int err = ring_restart(h, RX_VRING);

    printf("phase rx-garbage: bad RX buffers under the switch's stream\n");
    for (unsigned i = 0; !err && i < RSW_ARRAY_SIZE(rx_attacks); i++) {
        err = rx_attack_one(h, &rx_attacks[i]);
    }
    err = err ? err : rx_fatal(h, "rx head >= queue size", false);
    err = err ? err : rx_fatal(h, "rx avail index jump", true);
    err = err ? err : ring_restart(h, RX_VRING);
    if (!err) {
        rx_fill(h);
        err = tx_frames(h, 256, "after re-initialising RX");
    }
    return err;
}

/* ---- Main --------------------------------------------------------------- */

static int
hf_map(struct hf *h)
{
    h->mem_fd = memfd_create("hostile-guest", MFD_CLOEXEC);
    if (h->mem_fd < 0 || ftruncate(h->mem_fd, MEM_SIZE)) {
        return -errno;
    }
    h->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                  h->mem_fd, 0);
    if (h->mem == MAP_FAILED) {
        h->mem = NULL;
        return -errno;
    }
    return 0;
}

static void
print_expect(const struct hf *h)
{
    const struct expect *e = &h->exp;

    printf("EXPECT rx_packets=%" PRIu64 " rx_bytes=%" PRIu64
           " no_route=%" PRIu64 " runt=%" PRIu64
           " bad_descriptor_rx=%" PRIu64 " chain_errors=%" PRIu64
           " queue_broken_rx=%" PRIu64
           " bad_descriptor_tx=%" PRIu64 " too_big_min=%" PRIu64
           " queue_broken_tx_min=%" PRIu64 " frames_received=%" PRIu64 "\n",
           e->rx_packets, e->rx_bytes, e->no_route, e->runt,
           e->bad_descriptor_rx, e->chain_errors, e->queue_broken_rx,
           e->bad_descriptor_tx,
           e->too_big_min, e->queue_broken_tx_min, h->rx_frames);
}

int
main(int argc, char **argv)
{
    struct hf h = {.mem_fd = -1};
    unsigned flood = argc > 2 ? (unsigned) atoi(argv[2]) : 40;
    int err;

    if (argc < 2 || argc > 3 || !strcmp(argv[1], "--help")) {
        fprintf(stderr, "usage: hostile_frontend SOCKET [FLOOD_ROUNDS]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    h.path = argv[1];
    err = hf_map(&h);
    err = err ? err : hf_connect(&h);
    if (!err) {
        rx_fill(&h);
        err = tx_frames(&h, 64, "at the start");
    }
    err = err ? err : phase_tx_chains(&h);
    err = err ? err : phase_tx_flood(&h, flood);
    err = err ? err : phase_tx_fatal(&h);
    err = err ? err : phase_rx_garbage(&h);
    print_expect(&h);
    if (err) {
        printf("hostile_frontend: stopped: %s\n", strerror(-err));
    }
    vhost_frontend_destroy(h.fe);
    for (unsigned q = 0; q < 2; q++) {
        virtq_driver_uninit(&h.vq[q]);
    }
    if (h.mem) {
        munmap(h.mem, MEM_SIZE);
    }
    if (h.mem_fd >= 0) {
        close(h.mem_fd);
    }
    printf("RESULT %s (%u failed checks)\n", err || h.failures ? "FAIL" : "ok",
           h.failures);
    return err || h.failures ? 1 : 0;
}
