/* SPDX-License-Identifier: Apache-2.0 */
/* Modern virtio-pci transport; see virtio_pci.h.  Everything the guest
 * writes is untrusted: out-of-range selectors read as zero and ignore
 * writes, queue configuration is frozen once DRIVER_OK is set (§4.1.4.3.2:
 * the driver MUST NOT change it then), a status write that clears bits is
 * ignored (§2.1.1), and a failed activation sets DEVICE_NEEDS_RESET. */
#include "virtio_pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "msix.h"
#include "vhost/vlog.h"

/* virtio 1.1 §4.1.4: capability cfg_type values. */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

#define VIRTIO_MSI_NO_VECTOR 0xffff
#define VPCI_CAPS_START 0x40     /* pci_add_cap() places them from here */

struct virtio_pci_cap {
    uint8_t cap_vndr, cap_next, cap_len, cfg_type, bar, padding[3];
    uint32_t offset, length;
} __attribute__((packed));

struct virtio_pci_notify_cap {
    struct virtio_pci_cap cap;
    uint32_t notify_off_multiplier;
} __attribute__((packed));

/* §4.1.4.3: struct virtio_pci_common_cfg field offsets. */
enum {
    CC_DFSELECT = 0x00, CC_DF = 0x04, CC_GFSELECT = 0x08, CC_GF = 0x0c,
    CC_MSIX = 0x10, CC_NUMQ = 0x12, CC_STATUS = 0x14, CC_CFGGEN = 0x15,
    CC_Q_SELECT = 0x16, CC_Q_SIZE = 0x18, CC_Q_MSIX = 0x1a,
    CC_Q_ENABLE = 0x1c, CC_Q_NOFF = 0x1e, CC_Q_DESCLO = 0x20,
    CC_Q_DESCHI = 0x24, CC_Q_AVAILLO = 0x28, CC_Q_AVAILHI = 0x2c,
    CC_Q_USEDLO = 0x30, CC_Q_USEDHI = 0x34,
};

struct virtio_pci {
    struct vmm *vmm;
    struct pci_device pci;
    const struct virtio_dev_ops *ops;
    void *ctx;
    unsigned n_queues;
    uint32_t dfselect, gfselect;
    uint64_t driver_features;
    uint8_t status, config_generation, isr;
    uint16_t queue_select;
    struct virtio_pci_queue q[VIRTIO_PCI_MAX_QUEUES];
    int kick_fd[VIRTIO_PCI_MAX_QUEUES];
    bool ioeventfd[VIRTIO_PCI_MAX_QUEUES];
    struct msix *msix;               /* NULL: INTx only */
    unsigned n_vectors;              /* one per queue + configuration */
    uint16_t config_vector;
    uint16_t q_vector[VIRTIO_PCI_MAX_QUEUES];
    int call_fd[VIRTIO_PCI_MAX_QUEUES];
    uint8_t cfg_caps[PCI_CFG_SIZE];  /* capabilities as created (RO) */
    struct virtio_pci_stats stats;
};

static void
put_le(uint8_t *p, uint64_t v, unsigned len)
{
    for (unsigned i = 0; i < len; i++) {
        p[i] = (uint8_t) (v >> (8 * i));
    }
}

/* ---- Interrupts ----------------------------------------------------------- */

/* INTx is not asserted while MSI-X is enabled (PCI 3.0 §6.8.2). */
static void
vp_update_intx(struct virtio_pci *vp)
{
    int level = vp->isr && !msix_enabled(vp->msix);

    vp->stats.intx += level;
    vmm_irq_line(vp->vmm, vp->pci.irq, level);
}

void
virtio_pci_signal_queue(struct virtio_pci *vp, unsigned q)
{
    if (msix_enabled(vp->msix)) {
        msix_notify(vp->msix, q < vp->n_queues ? vp->q_vector[q]
                                               : VIRTIO_MSI_NO_VECTOR);
        return;
    }
    vp->isr |= 1;
    vp_update_intx(vp);
}

void
virtio_pci_config_changed(struct virtio_pci *vp)
{
    vp->config_generation++;
    if (!(vp->status & VIRTIO_STATUS_DRIVER_OK)) {
        return;
    }
    if (msix_enabled(vp->msix)) {
        msix_notify(vp->msix, vp->config_vector);
        return;
    }
    vp->isr |= 2;
    vp_update_intx(vp);
}

void
virtio_pci_set_call_fd(struct virtio_pci *vp, unsigned q, int fd)
{
    if (q < vp->n_queues) {
        vp->call_fd[q] = fd;
        if (vp->msix) {
            msix_bind(vp->msix, q, fd, vp->q_vector[q]);
        }
    }
}

bool
virtio_pci_call_in_kernel(const struct virtio_pci *vp, unsigned q)
{
    return msix_slot_in_kernel(vp->msix, q);
}

/* §4.1.5.1.2: a vector the device cannot use reads back as NO_VECTOR. */
static uint16_t
vp_vector(const struct virtio_pci *vp, uint32_t v)
{
    return vp->msix && v < vp->n_vectors ? (uint16_t) v
                                         : VIRTIO_MSI_NO_VECTOR;
}

static void
vp_set_queue_vector(struct virtio_pci *vp, unsigned q, uint16_t v)
{
    vp->q_vector[q] = v;
    if (vp->msix) {
        msix_bind(vp->msix, q, vp->call_fd[q], v);
    }
}

/* ---- Common configuration (§4.1.4.3) -------------------------------------- */

static struct virtio_pci_queue *
vp_selected(struct virtio_pci *vp)
{
    return vp->queue_select < vp->n_queues ? &vp->q[vp->queue_select] : NULL;
}

static void
common_snapshot(struct virtio_pci *vp, uint8_t *c)
{
    const struct virtio_pci_queue *q = vp_selected(vp);
    uint64_t f = vp->ops->features(vp->ctx);

    memset(c, 0, VPCI_COMMON_LEN);
    put_le(c + CC_DFSELECT, vp->dfselect, 4);
    put_le(c + CC_DF, vp->dfselect < 2 ? f >> (32 * vp->dfselect) : 0, 4);
    put_le(c + CC_GFSELECT, vp->gfselect, 4);
    put_le(c + CC_GF, vp->gfselect < 2
           ? vp->driver_features >> (32 * vp->gfselect) : 0, 4);
    put_le(c + CC_MSIX, vp->config_vector, 2);
    put_le(c + CC_NUMQ, vp->n_queues, 2);
    c[CC_STATUS] = vp->status;
    c[CC_CFGGEN] = vp->config_generation;
    put_le(c + CC_Q_SELECT, vp->queue_select, 2);
    put_le(c + CC_Q_MSIX, VIRTIO_MSI_NO_VECTOR, 2);
    if (q) {
        put_le(c + CC_Q_MSIX, vp->q_vector[vp->queue_select], 2);
        put_le(c + CC_Q_SIZE, q->size, 2);
        put_le(c + CC_Q_ENABLE, q->enabled, 2);
        put_le(c + CC_Q_NOFF, vp->queue_select, 2);
        put_le(c + CC_Q_DESCLO, q->desc, 8);
        put_le(c + CC_Q_AVAILLO, q->driver, 8);
        put_le(c + CC_Q_USEDLO, q->device, 8);
    }
}

static void
common_read(struct virtio_pci *vp, unsigned off, void *data, unsigned len)
{
    uint8_t c[VPCI_COMMON_LEN];

    common_snapshot(vp, c);
    memcpy(data, c + off, len);
}

static void
vp_reset(struct virtio_pci *vp)
{
    vp->ops->reset(vp->ctx);
    vp->stats.resets++;
    vp->status = 0;
    vp->driver_features = 0;
    vp->dfselect = vp->gfselect = 0;
    vp->queue_select = 0;
    vp->isr = 0;
    vp_update_intx(vp);
    vp->config_vector = VIRTIO_MSI_NO_VECTOR;
    for (unsigned i = 0; i < vp->n_queues; i++) {
        struct virtio_pci_queue *q = &vp->q[i];
        *q = (struct virtio_pci_queue) { .size = q->max_size,
                                         .max_size = q->max_size };
        vp_set_queue_vector(vp, i, VIRTIO_MSI_NO_VECTOR);
    }
}

static void
vp_needs_reset(struct virtio_pci *vp, const char *why)
{
    RSW_LOG_RL(RSW_LOG_WARN, "virtio-pci %02x.0: %s: device needs reset",
               vp->pci.slot, why);
    vp->stats.needs_reset++;
    vp->status |= VIRTIO_STATUS_NEEDS_RESET;
    virtio_pci_config_changed(vp);
}

/* §3.1.1 device initialization, as seen from the device. */
static void
status_write(struct virtio_pci *vp, uint8_t v)
{
    uint8_t old = vp->status, added = v & ~old;

    if (!v) {
        vp_reset(vp);
        return;
    }
    if ((old & ~v & ~VIRTIO_STATUS_NEEDS_RESET)
        || (old & VIRTIO_STATUS_NEEDS_RESET)) {
        vp->stats.bad_accesses++;        /* only a reset may clear bits */
        return;
    }
    if (added & VIRTIO_STATUS_FEATURES_OK
        && !vp->ops->features_ok(vp->ctx, vp->driver_features)) {
        v &= ~VIRTIO_STATUS_FEATURES_OK; /* driver re-reads and gives up */
    }
    if (added & VIRTIO_STATUS_DRIVER_OK && !(v & VIRTIO_STATUS_FEATURES_OK)) {
        vp->status = v & ~VIRTIO_STATUS_DRIVER_OK;
        vp_needs_reset(vp, "DRIVER_OK without FEATURES_OK");
        return;
    }
    vp->status = v;
    if (added & VIRTIO_STATUS_DRIVER_OK) {
        vp->stats.activations++;
        if (vp->ops->activate(vp->ctx, vp->q, vp->n_queues,
                              vp->driver_features)) {
            vp_needs_reset(vp, "activation failed");
        }
    }
}

static void
set_half(uint64_t *field, bool high, uint32_t v)
{
    *field = high ? (*field & 0xffffffffull) | ((uint64_t) v << 32)
                  : (*field & ~0xffffffffull) | v;
}

/* Queue registers: writable only before DRIVER_OK and while the queue is
 * not enabled (§4.1.4.3.2). */
static void
queue_write(struct virtio_pci *vp, unsigned off, uint32_t v)
{
    struct virtio_pci_queue *q = vp_selected(vp);

    if (!q || (vp->status & VIRTIO_STATUS_DRIVER_OK) || q->enabled) {
        vp->stats.bad_accesses++;
        return;
    }
    switch (off) {
    case CC_Q_SIZE:
        q->size = (uint16_t) v;      /* validated at activation */
        break;
    case CC_Q_ENABLE:
        q->enabled = v == 1;
        break;
    case CC_Q_MSIX:
        vp_set_queue_vector(vp, vp->queue_select, vp_vector(vp, v));
        break;
    case CC_Q_DESCLO: case CC_Q_DESCHI:
        set_half(&q->desc, off == CC_Q_DESCHI, v);
        break;
    case CC_Q_AVAILLO: case CC_Q_AVAILHI:
        set_half(&q->driver, off == CC_Q_AVAILHI, v);
        break;
    case CC_Q_USEDLO: case CC_Q_USEDHI:
        set_half(&q->device, off == CC_Q_USEDHI, v);
        break;
    default:
        break;
    }
}

static void
common_write(struct virtio_pci *vp, unsigned off, uint32_t v)
{
    switch (off) {
    case CC_DFSELECT: vp->dfselect = v; break;
    case CC_GFSELECT: vp->gfselect = v; break;
    case CC_GF:
        if (vp->gfselect < 2 && !(vp->status & VIRTIO_STATUS_FEATURES_OK)) {
            set_half(&vp->driver_features, vp->gfselect == 1, v);
        } else {
            vp->stats.bad_accesses++;
        }
        break;
    case CC_STATUS: status_write(vp, (uint8_t) v); break;
    case CC_Q_SELECT: vp->queue_select = (uint16_t) v; break;
    case CC_MSIX: vp->config_vector = vp_vector(vp, v); break;
    default:
        queue_write(vp, off, v);
        break;
    }
}

/* ---- BAR0 dispatch ---------------------------------------------------------- */

static void
vp_bar_read(void *dev, uint64_t off, void *data, unsigned len)
{
    struct virtio_pci *vp = dev;

    memset(data, 0, len);
    if (off + len <= VPCI_COMMON_LEN) {
        common_read(vp, (unsigned) off, data, len);
    } else if (off == VPCI_ISR_OFF) {
        *(uint8_t *) data = vp->isr;         /* reading clears (§4.1.4.5) */
        vp->isr = 0;
        vp->stats.isr_reads++;
        vp_update_intx(vp);
    } else if (off >= VPCI_DEVCFG_OFF
               && off + len <= VPCI_DEVCFG_OFF + VPCI_DEVCFG_LEN) {
        vp->ops->config_read(vp->ctx, (unsigned) (off - VPCI_DEVCFG_OFF),
                             data, len);
    } else if (vp->msix && off >= VPCI_MSIX_TABLE_OFF
               && off < VPCI_MSIX_PBA_OFF) {
        msix_table_read(vp->msix, off - VPCI_MSIX_TABLE_OFF, data, len);
    } else if (vp->msix && off >= VPCI_MSIX_PBA_OFF) {
        msix_pba_read(vp->msix, off - VPCI_MSIX_PBA_OFF, data, len);
    } else {
        vp->stats.bad_accesses++;
    }
}

static void
vp_notify_exit(struct virtio_pci *vp, uint64_t off)
{
    uint64_t q = (off - VPCI_NOTIFY_OFF) / VPCI_NOTIFY_MULT, one = 1;

    /* A notification KVM did not catch (another width): forward it. */
    vp->stats.notify_exits++;
    if (q < vp->n_queues && write(vp->kick_fd[q], &one, sizeof one) < 0) {
        vp->stats.bad_accesses++;
    }
}

static void
vp_bar_write(void *dev, uint64_t off, const void *data, unsigned len)
{
    struct virtio_pci *vp = dev;
    uint32_t v = 0;

    memcpy(&v, data, len > 4 ? 4 : len);
    if (off + len <= VPCI_COMMON_LEN && len <= 4) {
        common_write(vp, (unsigned) off, v);
    } else if (off >= VPCI_DEVCFG_OFF
               && off + len <= VPCI_DEVCFG_OFF + VPCI_DEVCFG_LEN) {
        vp->ops->config_write(vp->ctx, (unsigned) (off - VPCI_DEVCFG_OFF),
                              data, len);
    } else if (off >= VPCI_NOTIFY_OFF
               && off < VPCI_NOTIFY_OFF + VPCI_NOTIFY_LEN) {
        vp_notify_exit(vp, off);
    } else if (vp->msix && off >= VPCI_MSIX_TABLE_OFF
               && off < VPCI_MSIX_PBA_OFF) {
        msix_table_write(vp->msix, off - VPCI_MSIX_TABLE_OFF, data, len);
    } else {
        vp->stats.bad_accesses++;
    }
}

static const struct io_dev_ops vp_bar_ops = {
    .read = vp_bar_read,
    .write = vp_bar_write,
};

/* ---- Configuration space ------------------------------------------------------ */

/* The virtio capabilities are read-only (§4.1.4: no VIRTIO_PCI_CAP_PCI_CFG
 * window is offered); of MSI-X only Message Control is writable. */
static void
vp_cap_write(struct pci_device *d, unsigned off RSW_UNUSED,
             unsigned len RSW_UNUSED)
{
    struct virtio_pci *vp = d->ctx;
    unsigned ctl_off = vp->msix ? msix_cap_offset(vp->msix) + 2 : 0;
    uint16_t ctl = ctl_off ? (uint16_t) (d->cfg[ctl_off]
                                         | d->cfg[ctl_off + 1] << 8) : 0;
    bool was = msix_enabled(vp->msix);

    memcpy(&d->cfg[VPCI_CAPS_START], &vp->cfg_caps[VPCI_CAPS_START],
           PCI_CFG_SIZE - VPCI_CAPS_START);
    if (vp->msix) {
        msix_control_write(vp->msix, ctl);
        if (was != msix_enabled(vp->msix)) {
            vp_update_intx(vp);
        }
    }
}

static const struct pci_dev_ops vp_pci_ops = {
    .cap_write = vp_cap_write,
};

/* ---- Creation --------------------------------------------------------------- */

static int
vp_add_caps(struct virtio_pci *vp)
{
    struct virtio_pci_cap c = { .cap_len = sizeof c, .bar = 0 };
    struct virtio_pci_notify_cap n = {
        .cap = { .cap_len = sizeof n, .cfg_type = VIRTIO_PCI_CAP_NOTIFY_CFG,
                 .offset = VPCI_NOTIFY_OFF,
                 .length = VPCI_NOTIFY_MULT * vp->n_queues },
        .notify_off_multiplier = VPCI_NOTIFY_MULT,
    };
    int err = 0;

    c.cfg_type = VIRTIO_PCI_CAP_COMMON_CFG;
    c.offset = VPCI_COMMON_OFF;
    c.length = VPCI_COMMON_LEN;
    err |= pci_add_cap(&vp->pci, PCI_CAP_ID_VNDR, &c, sizeof c) < 0;
    c.cfg_type = VIRTIO_PCI_CAP_ISR_CFG;
    c.offset = VPCI_ISR_OFF;
    c.length = 1;
    err |= pci_add_cap(&vp->pci, PCI_CAP_ID_VNDR, &c, sizeof c) < 0;
    c.cfg_type = VIRTIO_PCI_CAP_DEVICE_CFG;
    c.offset = VPCI_DEVCFG_OFF;
    c.length = VPCI_DEVCFG_LEN;
    err |= pci_add_cap(&vp->pci, PCI_CAP_ID_VNDR, &c, sizeof c) < 0;
    err |= pci_add_cap(&vp->pci, PCI_CAP_ID_VNDR, &n, sizeof n) < 0;
    return err ? -ENOSPC : 0;
}

/* One eventfd per queue, attached with KVM_IOEVENTFD to the queue's 16-bit
 * notify address (§4.1.4.4: cap.offset + queue_notify_off * multiplier). */
static int
vp_setup_kicks(struct virtio_pci *vp)
{
    uint64_t base = vp->pci.bar_addr[0] + VPCI_NOTIFY_OFF;

    for (unsigned i = 0; i < vp->n_queues; i++) {
        vp->kick_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (vp->kick_fd[i] < 0) {
            return -errno;
        }
        int err = vmm_ioeventfd(vp->vmm, base + i * VPCI_NOTIFY_MULT, 2,
                                vp->kick_fd[i], true);
        if (err) {
            return err;
        }
        vp->ioeventfd[i] = true;
    }
    return 0;
}

static int
vp_setup_pci(struct virtio_pci *vp, struct pci_bus *bus, uint16_t device_id,
             uint32_t class_code)
{
    int err = pci_device_add(bus, &vp->pci, VIRTIO_PCI_VENDOR,
                             VIRTIO_PCI_DEVICE_BASE + device_id, class_code, 1);
    if (err) {
        return err;
    }
    /* §4.1.2.1: modern devices have revision >= 1; subsystem ids free. */
    put_le(&vp->pci.cfg[PCI_SUBSYS_VENDOR], VIRTIO_PCI_VENDOR, 2);
    put_le(&vp->pci.cfg[PCI_SUBSYS_ID], device_id, 2);
    err = pci_bar_alloc(bus, &vp->pci, 0, VPCI_BAR_SIZE);
    if (!err) {
        err = vp_add_caps(vp);
    }
    if (!err && vp->vmm->msi) {
        vp->n_vectors = vp->n_queues + 1;
        err = msix_create(vp->vmm, &vp->pci, vp->n_vectors, 0,
                          VPCI_MSIX_TABLE_OFF, VPCI_MSIX_PBA_OFF, &vp->msix);
    }
    if (!err) {
        memcpy(vp->cfg_caps, vp->pci.cfg, sizeof vp->cfg_caps);
        vp->pci.ops = &vp_pci_ops;
        vp->pci.ctx = vp;
    }
    return err;
}

int
virtio_pci_create(struct vmm *vmm, struct pci_bus *bus, uint16_t device_id,
                  uint32_t class_code, unsigned n_queues, uint16_t queue_max,
                  const struct virtio_dev_ops *ops, void *ctx,
                  struct virtio_pci **out)
{
    struct virtio_pci *vp;
    int err;

    if (!n_queues || n_queues > VIRTIO_PCI_MAX_QUEUES) {
        return -EINVAL;
    }
    vp = calloc(1, sizeof *vp);
    if (!vp) {
        return -ENOMEM;
    }
    vp->vmm = vmm;
    vp->ops = ops;
    vp->ctx = ctx;
    vp->n_queues = n_queues;
    vp->config_vector = VIRTIO_MSI_NO_VECTOR;
    for (unsigned i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++) {
        vp->kick_fd[i] = -1;
        vp->call_fd[i] = -1;
        vp->q_vector[i] = VIRTIO_MSI_NO_VECTOR;
        vp->q[i].size = vp->q[i].max_size = queue_max;
    }
    err = vp_setup_pci(vp, bus, device_id, class_code);
    if (!err) {
        err = vmm_io_register(vmm, IO_MMIO, vp->pci.bar_addr[0],
                              VPCI_BAR_SIZE, &vp_bar_ops, vp, "virtio-pci");
    }
    if (!err) {
        err = vp_setup_kicks(vp);
    }
    if (err) {
        virtio_pci_destroy(vp);
        return err;
    }
    *out = vp;
    return 0;
}

void
virtio_pci_destroy(struct virtio_pci *vp)
{
    if (!vp) {
        return;
    }
    msix_destroy(vp->msix);
    for (unsigned i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++) {
        if (vp->ioeventfd[i]) {
            uint64_t a = vp->pci.bar_addr[0] + VPCI_NOTIFY_OFF
                         + i * VPCI_NOTIFY_MULT;
            if (vmm_ioeventfd(vp->vmm, a, 2, vp->kick_fd[i], false)) {
                /* The VM is going away with it. */
            }
        }
        if (vp->kick_fd[i] >= 0) {
            close(vp->kick_fd[i]);
        }
    }
    free(vp);
}

int
virtio_pci_kick_fd(const struct virtio_pci *vp, unsigned q)
{
    return q < vp->n_queues ? vp->kick_fd[q] : -1;
}

uint8_t
virtio_pci_status(const struct virtio_pci *vp)
{
    return vp->status;
}

uint64_t
virtio_pci_driver_features(const struct virtio_pci *vp)
{
    return vp->driver_features;
}

uint64_t
virtio_pci_bar_addr(const struct virtio_pci *vp)
{
    return vp->pci.bar_addr[0];
}

const struct virtio_pci_stats *
virtio_pci_get_stats(const struct virtio_pci *vp)
{
    return &vp->stats;
}

bool
virtio_pci_msix_enabled(const struct virtio_pci *vp)
{
    return msix_enabled(vp->msix);
}

const struct msix_stats *
virtio_pci_msix_stats(const struct virtio_pci *vp)
{
    return vp->msix ? msix_get_stats(vp->msix) : NULL;
}

const struct pci_device *
virtio_pci_dev(const struct virtio_pci *vp)
{
    return &vp->pci;
}
