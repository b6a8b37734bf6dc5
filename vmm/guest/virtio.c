/* SPDX-License-Identifier: Apache-2.0 */
/* The test guest's virtio-pci modern net driver: PCI scan through
 * configuration mechanism #1, vendor-capability walk (virtio 1.1 §4.1.4),
 * device initialization (§3.1.1) and split virtqueues (§2.6), polled. */
#include "guest.h"

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc
#define VIRTIO_NET_ID 0x10411af4u     /* device 0x1041, vendor 0x1af4 */

#define ST_ACK 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FEATURES_OK 8
#define ST_FAILED 0x80

#define F_MAC 5                        /* VIRTIO_NET_F_MAC, word 0 */
#define F_CTRL_VQ 17                   /* VIRTIO_NET_F_CTRL_VQ, word 0 */
#define F_MQ 22                        /* VIRTIO_NET_F_MQ, word 0 */
#define F_VERSION_1_HI 0               /* bit 32 = word 1 bit 0 */

#define DESC_F_NEXT 1
#define DESC_F_WRITE 2
#define AVAIL_F_NO_INTERRUPT 1
#define USED_F_NO_NOTIFY 1

/* Ring and buffer memory (guest-physical = virtual, identity mapped). */
#define RXQ_GPA 0x400000ull
#define TXQ_GPA 0x410000ull
#define RXBUF_GPA 0x500000ull
#define TXBUF_GPA 0x600000ull
/* Two pairs: pair 1's rings and RX buffers, the control queue and its
 * command buffer (class, command, le16 pairs, then the ack byte). */
#define RX1Q_GPA 0x420000ull
#define TX1Q_GPA 0x430000ull
#define CTRLQ_GPA 0x440000ull
#define CTRL_CMD_GPA 0x450000ull
#define RX1BUF_GPA 0x700000ull
#define NET_CTRL_MQ 4
#define NET_CTRL_MQ_VQ_PAIRS_SET 0

#define MSIX_CAP_ID 0x11
#define MSIX_ENABLE (1u << 31)         /* Message Control bit 15, as dword */
#define MSIX_VECTOR_RX 1
#define MSI_ADDR 0xfee00000u           /* LAPIC 0, physical, fixed */
#define NO_VECTOR 0xffff

struct caps {
    volatile uint8_t *common, *isr, *device, *notify;
    uint32_t notify_mult;
    unsigned msix_cap;                 /* config offset, 0: none */
    volatile uint32_t *msix_table;
};

static uint32_t
pci_read(unsigned dev, unsigned off)
{
    outl(PCI_ADDR, 0x80000000u | (dev << 11) | (off & 0xfc));
    return inl(PCI_DATA) >> (8 * (off & 3));
}

static void
pci_write32(unsigned dev, unsigned off, uint32_t v)
{
    outl(PCI_ADDR, 0x80000000u | (dev << 11) | (off & 0xfc));
    outl(PCI_DATA, v);
}

static int
pci_find(void)
{
    for (unsigned dev = 0; dev < 32; dev++) {
        if (pci_read(dev, 0) == VIRTIO_NET_ID) {
            return (int) dev;
        }
    }
    return -1;
}

static uint64_t
pci_bar(unsigned dev, unsigned bar)
{
    uint32_t lo = pci_read(dev, 0x10 + 4 * bar);
    uint64_t a = lo & ~0xfu;

    if ((lo & 6) == 4 && bar < 5) {              /* 64-bit memory BAR */
        a |= (uint64_t) pci_read(dev, 0x14 + 4 * bar) << 32;
    }
    return a;
}

/* Walks the capability list for the virtio structures (§4.1.4). */
static int
find_caps(unsigned dev, struct caps *c)
{
    unsigned ptr, guard = 0;

    if (!(pci_read(dev, 0x06) & 0x10)) {
        return -1;
    }
    for (ptr = pci_read(dev, 0x34) & 0xfc; ptr && guard < 48;
         ptr = pci_read(dev, ptr + 1) & 0xfc, guard++) {
        uint32_t w0 = pci_read(dev, ptr);
        unsigned type = (w0 >> 24) & 0xff, bar = pci_read(dev, ptr + 4) & 0xff;
        volatile uint8_t *p;

        if ((w0 & 0xff) == MSIX_CAP_ID) {
            uint32_t t = pci_read(dev, ptr + 4);
            c->msix_cap = ptr;
            c->msix_table = (volatile uint32_t *) (uintptr_t)
                (pci_bar(dev, t & 7) + (t & ~7u));
            continue;
        }
        if ((w0 & 0xff) != 0x09 || bar > 5) {
            continue;
        }
        p = (volatile uint8_t *) (uintptr_t) (pci_bar(dev, bar)
                                              + pci_read(dev, ptr + 8));
        switch (type) {
        case 1: c->common = p; break;
        case 2: c->notify = p; c->notify_mult = pci_read(dev, ptr + 16); break;
        case 3: c->isr = p; break;
        case 4: c->device = p; break;
        default: break;
        }
    }
    return c->common && c->notify && c->device ? 0 : -1;
}

#define CC8(c, off) (*(volatile uint8_t *) ((c) + (off)))
#define CC16(c, off) (*(volatile uint16_t *) ((c) + (off)))
#define CC32(c, off) (*(volatile uint32_t *) ((c) + (off)))

/* §4.1.4.3 common configuration offsets. */
enum { DFSEL = 0, DF = 4, GFSEL = 8, GF = 12, MSIXCFG = 0x10,
       STATUS = 0x14, QSEL = 0x16, QSIZE = 0x18, QMSIX = 0x1a,
       QENABLE = 0x1c, QNOFF = 0x1e, QDESC = 0x20, QDRIVER = 0x28,
       QDEVICE = 0x30 };

static void
cc_write64(volatile uint8_t *c, unsigned off, uint64_t v)
{
    CC32(c, off) = (uint32_t) v;
    CC32(c, off + 4) = (uint32_t) (v >> 32);
}

/* PCI 3.0 §6.8.2: enable MSI-X, program entry MSIX_VECTOR_RX (others
 * stay masked), no configuration-change vector (§4.1.4.3). */
static int
msix_setup(unsigned dev, const struct caps *c)
{
    volatile uint32_t *e = c->msix_table + 4 * MSIX_VECTOR_RX;

    if (!c->msix_cap) {
        return -1;
    }
    pci_write32(dev, c->msix_cap, pci_read(dev, c->msix_cap) | MSIX_ENABLE);
    e[0] = MSI_ADDR;
    e[1] = 0;
    e[2] = IRQ_VECTOR_MSI;                      /* fixed, edge */
    e[3] = 0;                                   /* unmask */
    CC16(c->common, MSIXCFG) = NO_VECTOR;
    return 0;
}

static int
setup_vq(const struct caps *c, struct vq *q, uint16_t index, uint64_t gpa,
         uint64_t buf_gpa, uint16_t vector)
{
    uint16_t size;

    CC16(c->common, QSEL) = index;
    size = CC16(c->common, QSIZE);
    if (!size || (size & (size - 1))) {
        return -1;
    }
    if (size > QSZ_MAX) {
        size = QSZ_MAX;
        CC16(c->common, QSIZE) = size;
    }
    q->index = index;
    q->size = size;
    q->mask = (uint16_t) (size - 1);
    q->desc = (void *) (uintptr_t) gpa;
    q->avail = (void *) (uintptr_t) (gpa + 0x1000);
    q->used = (void *) (uintptr_t) (gpa + 0x2000);
    q->buf_gpa = buf_gpa;
    /* Polled queues ask for no interrupts (§2.6.7). */
    q->avail->flags = vector == NO_VECTOR ? AVAIL_F_NO_INTERRUPT : 0;
    if (vector != NO_VECTOR) {
        CC16(c->common, QMSIX) = vector;
        if (CC16(c->common, QMSIX) != vector) {
            return -1;                          /* §4.1.5.1.2: refused */
        }
    }
    q->avail->idx = 0;
    q->used->flags = 0;
    q->used->idx = 0;
    cc_write64(c->common, QDESC, gpa);
    cc_write64(c->common, QDRIVER, gpa + 0x1000);
    cc_write64(c->common, QDEVICE, gpa + 0x2000);
    q->notify = (volatile uint16_t *) (c->notify
                                       + CC16(c->common, QNOFF) * c->notify_mult);
    CC16(c->common, QENABLE) = 1;
    return 0;
}

/* §3.1.1 steps 1-6: reset, ACK, DRIVER, features, FEATURES_OK. */
static int
negotiate(const struct caps *c, struct net *n, unsigned pairs,
          const char **why)
{
    uint32_t f_lo, f_hi, mq = (1u << F_MQ) | (1u << F_CTRL_VQ);

    CC8(c->common, STATUS) = 0;
    while (CC8(c->common, STATUS)) {
    }
    CC8(c->common, STATUS) = ST_ACK;
    CC8(c->common, STATUS) = ST_ACK | ST_DRIVER;
    CC32(c->common, DFSEL) = 0;
    f_lo = CC32(c->common, DF);
    CC32(c->common, DFSEL) = 1;
    f_hi = CC32(c->common, DF);
    if (!(f_hi & (1u << F_VERSION_1_HI))) {
        *why = "no_version_1";
        return -1;
    }
    if (pairs > 1 && ((f_lo & mq) != mq || c->device[8] < pairs)) {
        *why = "no_multiqueue";               /* §5.1.4 max_virtqueue_pairs */
        return -1;
    }
    CC32(c->common, GFSEL) = 0;
    CC32(c->common, GF) = (f_lo & (1u << F_MAC)) | (pairs > 1 ? mq : 0);
    CC32(c->common, GFSEL) = 1;
    CC32(c->common, GF) = 1u << F_VERSION_1_HI;
    CC8(c->common, STATUS) = ST_ACK | ST_DRIVER | ST_FEATURES_OK;
    if (!(CC8(c->common, STATUS) & ST_FEATURES_OK)) {
        *why = "features_refused";
        return -1;
    }
    for (int i = 0; i < 6; i++) {
        n->mac[i] = (f_lo & (1u << F_MAC)) ? c->device[i] : (uint8_t) (i + 2);
    }
    return 0;
}

/* VQ_PAIRS_SET on the control queue (one 3-descriptor chain), then
 * polls for the device's answer (the VMM serves it; ~1 s at most). */
static int
ctrl_set_pairs(struct net *n, unsigned pairs, const char **why)
{
    volatile uint8_t *cmd = (volatile uint8_t *) (uintptr_t) CTRL_CMD_GPA;
    uint64_t deadline = rdtsc() + 1000 * tsc_per_ms();
    struct vq *q = &n->ctrl;
    uint16_t id;
    uint32_t len;

    cmd[0] = NET_CTRL_MQ;
    cmd[1] = NET_CTRL_MQ_VQ_PAIRS_SET;
    cmd[2] = (uint8_t) pairs;
    cmd[3] = 0;
    cmd[16] = 0xff;                            /* the ack, written back */
    q->desc[0].addr = CTRL_CMD_GPA;
    q->desc[0].len = 2;
    q->desc[0].flags = DESC_F_NEXT;
    q->desc[0].next = 1;
    q->desc[1].addr = CTRL_CMD_GPA + 2;
    q->desc[1].len = 2;
    q->desc[1].flags = DESC_F_NEXT;
    q->desc[1].next = 2;
    q->desc[2].addr = CTRL_CMD_GPA + 16;
    q->desc[2].len = 1;
    q->desc[2].flags = DESC_F_WRITE;
    q->desc[2].next = 0;
    q->avail->ring[q->avail_idx & q->mask] = 0;
    q->avail_idx++;
    vq_publish(q);
    while (!vq_get_used(q, &id, &len)) {
        if (rdtsc() > deadline) {
            *why = "ctrl_no_answer";
            return -1;
        }
    }
    if (len != 1 || cmd[16] != 0) {
        *why = "ctrl_refused";
        return -1;
    }
    return 0;
}

/* Pair 1 and the control queue, then pair 2 as the one in use. */
static int
setup_two_pairs(const struct caps *c, struct net *n)
{
    if (setup_vq(c, &n->rx1, 0, RX1Q_GPA, RX1BUF_GPA, NO_VECTOR)
        || setup_vq(c, &n->tx1, 1, TX1Q_GPA, TXBUF_GPA, NO_VECTOR)
        || setup_vq(c, &n->rx, 2, RXQ_GPA, RXBUF_GPA, NO_VECTOR)
        || setup_vq(c, &n->tx, 3, TXQ_GPA, TXBUF_GPA, NO_VECTOR)
        || setup_vq(c, &n->ctrl, 4, CTRLQ_GPA, CTRL_CMD_GPA, NO_VECTOR)) {
        return -1;
    }
    for (uint16_t i = 0; i < n->rx1.size; i++) {
        vq_post(&n->rx1, i, RX1BUF_GPA + (uint64_t) i * BUF_SIZE, BUF_SIZE,
                true);
    }
    n->rx1.avail->idx = n->rx1.avail_idx;
    return 0;
}

int
net_init(struct net *n, bool msix, unsigned pairs, const char **why)
{
    struct caps c = { 0 };
    int dev = pci_find();

    if (dev < 0) {
        *why = "no_virtio_net_device";
        return -1;
    }
    pci_write32((unsigned) dev, 0x04, 0x6);      /* memory + bus master */
    if (find_caps((unsigned) dev, &c)) {
        *why = "virtio_caps_missing";
        return -1;
    }
    if (negotiate(&c, n, pairs, why)) {
        return -1;
    }
    if (msix && msix_setup((unsigned) dev, &c)) {
        *why = "no_msix";
        return -1;
    }
    n->msix = msix;
    if (pairs > 1 ? setup_two_pairs(&c, n)
        : setup_vq(&c, &n->rx, 0, RXQ_GPA, RXBUF_GPA,
                   msix ? MSIX_VECTOR_RX : NO_VECTOR)
          || setup_vq(&c, &n->tx, 1, TXQ_GPA, TXBUF_GPA, NO_VECTOR)) {
        *why = "bad_queue";
        CC8(c.common, STATUS) = ST_FAILED;
        return -1;
    }
    /* Fill the RX ring before DRIVER_OK so the device starts with it. */
    for (uint16_t i = 0; i < n->rx.size; i++) {
        vq_post(&n->rx, i, RXBUF_GPA + (uint64_t) i * BUF_SIZE, BUF_SIZE,
                true);
    }
    n->rx.avail->idx = n->rx.avail_idx;
    for (uint16_t i = 0; i < n->tx.size; i++) {
        n->tx_free[i] = i;
    }
    n->n_tx_free = n->tx.size;
    CC8(c.common, STATUS) = ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK;
    if (pairs > 1) {
        vq_publish(&n->rx1);
        if (ctrl_set_pairs(n, pairs, why)) {
            return -1;
        }
    }
    vq_publish(&n->rx);
    return 0;
}

void
vq_post(struct vq *q, uint16_t id, uint64_t addr, uint32_t len, bool write)
{
    q->desc[id].addr = addr;
    q->desc[id].len = len;
    q->desc[id].flags = write ? DESC_F_WRITE : 0;
    q->desc[id].next = 0;
    q->avail->ring[q->avail_idx & q->mask] = id;
    q->avail_idx++;
}

/* §2.6.13: publish avail->idx after the ring entries; read used->flags
 * after that store (full barrier) to decide whether to notify. */
void
vq_publish(struct vq *q)
{
    barrier();
    q->avail->idx = q->avail_idx;
    mb();
    if (!(q->used->flags & USED_F_NO_NOTIFY)) {
        *q->notify = q->index;
    }
}

int
vq_get_used(struct vq *q, uint16_t *id, uint32_t *len)
{
    uint32_t raw;

    if (q->used_seen == q->used->idx) {
        return 0;
    }
    barrier();
    raw = q->used->ring[q->used_seen & q->mask].id;
    *len = q->used->ring[q->used_seen & q->mask].len;
    q->used_seen++;
    *id = raw < q->size ? (uint16_t) raw : 0;
    return raw < q->size ? 1 : 0;
}

void
net_tx_reclaim(struct net *n)
{
    uint16_t id;
    uint32_t len;

    while (vq_get_used(&n->tx, &id, &len)) {
        if (n->n_tx_free < n->tx.size) {
            n->tx_free[n->n_tx_free++] = id;
        }
    }
}
