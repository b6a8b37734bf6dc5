/* SPDX-License-Identifier: Apache-2.0 */
/* PCI host bridge and configuration mechanism #1; see pci.h. */
#include "pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mptable.h"
#include "vhost/vlog.h"

#define PCI_CONFIG_ENABLE 0x80000000u
#define PCI_CAP_START 0x40

static const uint8_t pci_irqs[] = { 10, 11, 5, 9 };

struct pci_bus {
    struct vmm *vmm;
    uint32_t addr;               /* last value written to 0xCF8 */
    struct pci_device host_bridge;
    struct pci_device *slots[PCI_MAX_SLOTS];
    unsigned n_slots;
    uint64_t mmio_next;
};

static void
cfg_put(uint8_t *cfg, unsigned off, uint32_t v, unsigned len)
{
    for (unsigned i = 0; i < len; i++) {
        cfg[off + i] = (uint8_t) (v >> (8 * i));
    }
}

static uint32_t
cfg_get(const uint8_t *cfg, unsigned off, unsigned len)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < len; i++) {
        v |= (uint32_t) cfg[off + i] << (8 * i);
    }
    return v;
}

/* ---- BARs ---------------------------------------------------------------- */

/* One dword of a (64-bit memory) BAR pair: 'bar' is the low half's index. */
static void
bar_write_dword(struct pci_device *d, unsigned bar, bool high, uint32_t v)
{
    uint64_t mask = ~(d->bar_size[bar] - 1);
    uint32_t dmask = high ? (uint32_t) (mask >> 32) : (uint32_t) mask & ~0xfu;
    uint32_t assigned = high ? (uint32_t) (d->bar_addr[bar] >> 32)
                             : (uint32_t) d->bar_addr[bar];
    unsigned off = PCI_BAR0 + 4 * (bar + high);
    uint32_t flags = high ? 0 : PCI_BAR_MEM64;

    v &= dmask;
    if (v != dmask && v != assigned) {
        RSW_LOG_RL(RSW_LOG_WARN, "pci %02x.0: moving BAR%u is not supported; "
                   "write ignored", d->slot, bar);
        return;
    }
    cfg_put(d->cfg, off, v | flags, 4);
}

static void
bar_write(struct pci_device *d, unsigned off, uint32_t v, unsigned len)
{
    unsigned idx = (off - PCI_BAR0) / 4;

    if (len != 4 || (off & 3)) {
        return;                  /* BARs are written as dwords */
    }
    if (d->bar_size[idx]) {
        bar_write_dword(d, idx, false, v);
    } else if (idx > 0 && d->bar_size[idx - 1]) {
        bar_write_dword(d, idx - 1, true, v);
    }
}

int
pci_bar_alloc(struct pci_bus *bus, struct pci_device *d, unsigned bar,
              uint64_t size)
{
    uint64_t addr;

    if (bar + 1 >= PCI_NUM_BARS || size < 4096 || (size & (size - 1))) {
        return -EINVAL;
    }
    addr = (bus->mmio_next + size - 1) & ~(size - 1);
    if (addr + size > PCI_MMIO_START + PCI_MMIO_SIZE) {
        return -ENOSPC;
    }
    bus->mmio_next = addr + size;
    d->bar_addr[bar] = addr;
    d->bar_size[bar] = size;
    cfg_put(d->cfg, PCI_BAR0 + 4 * bar, (uint32_t) addr | PCI_BAR_MEM64, 4);
    cfg_put(d->cfg, PCI_BAR0 + 4 * (bar + 1), (uint32_t) (addr >> 32), 4);
    return 0;
}

/* ---- Config space -------------------------------------------------------- */

static void
cfg_write(struct pci_device *d, unsigned off, uint32_t v, unsigned len)
{
    if (off + len > PCI_CFG_SIZE) {
        return;
    }
    if (off == PCI_COMMAND && len >= 2) {
        /* I/O, memory, bus master, parity, SERR, INTx disable. */
        cfg_put(d->cfg, off, v & 0x0547, 2);
    } else if (off >= PCI_BAR0 && off < PCI_BAR0 + 4 * PCI_NUM_BARS) {
        bar_write(d, off, v, len);
    } else if (off == PCI_INT_LINE && len == 1) {
        d->cfg[off] = (uint8_t) v;
    } else if (off >= PCI_CAP_START && off < d->cap_end) {
        /* Capabilities: the device decides what is writable. */
        if (d->ops && d->ops->cap_write) {
            cfg_put(d->cfg, off, v, len);
            d->ops->cap_write(d, off, len);
        }
    }
    /* Everything else is read-only (IDs, class, status, ROM BAR...). */
}

static struct pci_device *
cfg_target(struct pci_bus *bus, unsigned *reg)
{
    uint32_t a = bus->addr;
    unsigned bus_nr = (a >> 16) & 0xff, dev = (a >> 11) & 0x1f;
    unsigned fn = (a >> 8) & 7;

    if (!(a & PCI_CONFIG_ENABLE) || bus_nr || fn || dev >= PCI_MAX_SLOTS) {
        return NULL;
    }
    *reg = a & 0xfc;
    return bus->slots[dev];
}

static void
pci_data_read(void *dev, uint64_t off, void *data, unsigned len)
{
    struct pci_bus *bus = dev;
    unsigned reg;
    struct pci_device *d = cfg_target(bus, &reg);
    uint32_t v = 0xffffffffu;

    if (d && reg + off + len <= PCI_CFG_SIZE) {
        v = cfg_get(d->cfg, reg + (unsigned) off, len);
    }
    memcpy(data, &v, len > 4 ? 4 : len);
}

static void
pci_data_write(void *dev, uint64_t off, const void *data, unsigned len)
{
    struct pci_bus *bus = dev;
    unsigned reg;
    struct pci_device *d = cfg_target(bus, &reg);
    uint32_t v = 0;

    if (d && len <= 4) {
        memcpy(&v, data, len);
        cfg_write(d, reg + (unsigned) off, v, len);
    }
}

static const struct io_dev_ops pci_data_ops = {
    .read = pci_data_read,
    .write = pci_data_write,
};

/* Only dword accesses hit the address register (like a PIIX); narrower
 * ones are how Linux's pci_check_type1() probes and are ignored. */
static void
pci_addr_read(void *dev, uint64_t off, void *data, unsigned len)
{
    struct pci_bus *bus = dev;
    uint32_t v = bus->addr >> (8 * off);

    memcpy(data, &v, len > 4 ? 4 : len);
}

static void
pci_addr_write(void *dev, uint64_t off, const void *data, unsigned len)
{
    struct pci_bus *bus = dev;

    if (off == 0 && len == 4) {
        memcpy(&bus->addr, data, 4);
    }
}

static const struct io_dev_ops pci_addr_ops = {
    .read = pci_addr_read,
    .write = pci_addr_write,
};

/* ---- Devices ------------------------------------------------------------- */

static void
header_init(struct pci_device *d, uint16_t vendor, uint16_t device,
            uint32_t class_code, uint8_t revision)
{
    cfg_put(d->cfg, PCI_VENDOR_ID, vendor, 2);
    cfg_put(d->cfg, PCI_VENDOR_ID + 2, device, 2);
    d->cfg[PCI_REVISION] = revision;
    cfg_put(d->cfg, PCI_CLASS_PROG, class_code, 3);
    d->cfg[PCI_HEADER_TYPE] = 0;
    d->cap_end = PCI_CAP_START;
}

int
pci_device_add(struct pci_bus *bus, struct pci_device *d, uint16_t vendor,
               uint16_t device, uint32_t class_code, uint8_t revision)
{
    if (bus->n_slots >= PCI_MAX_SLOTS) {
        return -ENOSPC;
    }
    header_init(d, vendor, device, class_code, revision);
    d->slot = bus->n_slots;
    d->irq = pci_irqs[(d->slot - 1) % RSW_ARRAY_SIZE(pci_irqs)];
    d->cfg[PCI_INT_PIN] = 1;                     /* INTA# */
    d->cfg[PCI_INT_LINE] = (uint8_t) d->irq;
    bus->slots[bus->n_slots++] = d;
    return 0;
}

unsigned
pci_bus_intx(const struct pci_bus *bus, struct mptable_pci_irq *out,
             unsigned max)
{
    unsigned n = 0;

    for (unsigned i = 1; i < bus->n_slots && n < max; i++) {
        out[n++] = (struct mptable_pci_irq) {
            .slot = (uint8_t) bus->slots[i]->slot,
            .irq = (uint8_t) bus->slots[i]->irq,
        };
    }
    return n;
}

int
pci_add_cap(struct pci_device *d, uint8_t id, const void *cap, unsigned len)
{
    unsigned off = (d->cap_end + 3u) & ~3u;

    if (len < 2 || off + len > PCI_CFG_SIZE) {
        return -ENOSPC;
    }
    memcpy(&d->cfg[off], cap, len);
    d->cfg[off] = id;
    d->cfg[off + 1] = 0;
    if (d->last_cap) {
        d->cfg[d->last_cap + 1] = (uint8_t) off;
    } else {
        d->cfg[PCI_CAP_PTR] = (uint8_t) off;
        cfg_put(d->cfg, PCI_STATUS, cfg_get(d->cfg, PCI_STATUS, 2)
                | PCI_STATUS_CAP_LIST, 2);
    }
    d->last_cap = (uint8_t) off;
    d->cap_end = (uint8_t) (off + len);
    return (int) off;
}

int
pci_bus_create(struct vmm *vmm, struct pci_bus **out)
{
    struct pci_bus *bus = calloc(1, sizeof *bus);
    int err;

    if (!bus) {
        return -ENOMEM;
    }
    bus->vmm = vmm;
    bus->mmio_next = PCI_MMIO_START;
    /* 00:00.0: an i440FX-like host bridge, so pci_sanity_check() in Linux
     * finds a bridge class on bus 0. */
    header_init(&bus->host_bridge, 0x8086, 0x1237, 0x060000, 2);
    bus->slots[bus->n_slots++] = &bus->host_bridge;
    err = vmm_io_register(vmm, IO_PIO, PORT_PCI_ADDR, 4, &pci_addr_ops, bus,
                          "pci-addr");
    if (!err) {
        err = vmm_io_register(vmm, IO_PIO, PORT_PCI_DATA, 4, &pci_data_ops,
                              bus, "pci-data");
    }
    if (err) {
        free(bus);
        return err;
    }
    *out = bus;
    return 0;
}

void
pci_bus_destroy(struct pci_bus *bus)
{
    free(bus);
}
