/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VMM_PCI_H
#define RSW_VMM_PCI_H 1

/* PCI bus 0 behind configuration mechanism #1 (PCI Local Bus spec 3.0
 * §3.2.2.3.2: address at 0xCF8, data at 0xCFC-0xCFF), with a host bridge at
 * 00:00.0.  BARs are pre-assigned by the VMM (there is no firmware); the
 * guest may size them (write all-ones, read the mask) and write the same
 * address back, but moving a BAR is not supported and is ignored. */

#include <stdint.h>
#include "vmm.h"

#define PCI_CFG_SIZE 256
#define PCI_MAX_SLOTS 32
#define PCI_NUM_BARS 6

#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYS_VENDOR 0x2c
#define PCI_SUBSYS_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INT_LINE 0x3c
#define PCI_INT_PIN 0x3d
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_ID_VNDR 0x09
#define PCI_BAR_MEM64 0x04

struct pci_device;

struct pci_dev_ops {
    /* Called after the guest wrote [off, off+len) of config space inside
     * a capability (the byte copy is already stored). Optional. */
    void (*cap_write)(struct pci_device *, unsigned off, unsigned len);
};

struct pci_device {
    uint8_t cfg[PCI_CFG_SIZE];
    uint64_t bar_addr[PCI_NUM_BARS], bar_size[PCI_NUM_BARS];
    const struct pci_dev_ops *ops;
    void *ctx;
    unsigned slot, irq;
    uint8_t cap_end;             /* next free config byte for a capability */
    uint8_t last_cap;            /* offset of the last capability, 0: none */
};

struct pci_bus;

int pci_bus_create(struct vmm *, struct pci_bus **) RSW_MUST_CHECK;
void pci_bus_destroy(struct pci_bus *);

/* Fills the header of 'dev' (type 0) and plugs it in the next slot with an
 * INTx line. */
int pci_device_add(struct pci_bus *, struct pci_device *, uint16_t vendor,
                   uint16_t device, uint32_t class_code, uint8_t revision)
    RSW_MUST_CHECK;
/* Pre-assigns a 64-bit memory BAR of 'size' (a power of two, >= 4 KiB)
 * from the PCI MMIO window; its address is in dev->bar_addr[bar]. */
int pci_bar_alloc(struct pci_bus *, struct pci_device *, unsigned bar,
                  uint64_t size) RSW_MUST_CHECK;
/* The INTx line of each device but the host bridge, for the MP table:
 * fills up to 'max' (slot, irq) pairs and returns how many. */
struct mptable_pci_irq;
unsigned pci_bus_intx(const struct pci_bus *, struct mptable_pci_irq *,
                      unsigned max);
/* Appends a capability (its first two bytes are overwritten with the id
 * and next pointer); returns its config offset or -ENOSPC. */
int pci_add_cap(struct pci_device *, uint8_t id, const void *cap,
                unsigned len);

#endif
