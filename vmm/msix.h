/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VMM_MSIX_H
#define RSW_VMM_MSIX_H 1

/* MSI-X for one PCI function (PCI Local Bus 3.0 §6.8.2): the capability
 * (Message Control: enable, function mask), the vector table and the
 * pending bit array, which live in a BAR the owner dispatches to us.
 *
 * Each vector owns one KVM GSI whose MSI route follows the table entry.
 * Eventfds bound to a vector (a vhost-user backend's call fds) are
 * attached with KVM_IRQFD while the vector can be delivered, so those
 * interrupts never pass through the VMM; while it is masked the irqfd is
 * detached, the owner polls the fd and msix_notify() sets the pending bit,
 * delivered when the guest unmasks (§6.8.2.9).  All calls with vmm->lock
 * held. */

#include <stdbool.h>
#include <stdint.h>
#include "pci.h"

#define MSIX_MAX_VECTORS 16
#define MSIX_MAX_BINDINGS 16
#define MSIX_NO_VECTOR 0xffff
#define MSIX_ENTRY_SIZE 16
#define PCI_CAP_ID_MSIX 0x11

struct msix;

struct msix_stats {
    uint64_t delivered;       /* messages sent by the VMM (KVM_SIGNAL_MSI) */
    uint64_t pended;          /* notifications while masked: PBA bit set */
    uint64_t bad_address;     /* notifications to a non-MSI address */
    uint64_t route_commits;   /* KVM_SET_GSI_ROUTING calls */
    uint64_t irqfd_changes;   /* irqfd attach + detach */
    uint64_t errors;          /* KVM refused a routing/irqfd change */
};

/* Adds the capability to 'pci' with the table at 'table_off' and the PBA
 * at 'pba_off' of BAR 'bar', and allocates n_vectors GSIs. */
int msix_create(struct vmm *, struct pci_device *, unsigned n_vectors,
                unsigned bar, uint32_t table_off, uint32_t pba_off,
                struct msix **) RSW_MUST_CHECK;
void msix_destroy(struct msix *);

/* BAR accesses, 'off' relative to the table / PBA start. */
void msix_table_read(struct msix *, uint64_t off, void *data, unsigned len);
void msix_table_write(struct msix *, uint64_t off, const void *data,
                      unsigned len);
void msix_pba_read(struct msix *, uint64_t off, void *data, unsigned len);
/* The guest wrote Message Control (config offset msix_cap_offset() + 2):
 * takes its enable and function-mask bits.  The owner keeps the rest of
 * the capability read-only (§6.8.2.4-5: table and PBA locations). */
void msix_control_write(struct msix *, uint16_t ctl);
/* Config offset of the capability (to tell it from the owner's). */
unsigned msix_cap_offset(const struct msix *);

bool msix_enabled(const struct msix *);
/* Interrupt 'vector' now (or set its pending bit while masked).  Vectors
 * out of range (MSIX_NO_VECTOR) send nothing (§6.8.2). */
void msix_notify(struct msix *, unsigned vector);
/* Binds eventfd 'fd' (-1: none) as slot 'slot' to 'vector'. */
void msix_bind(struct msix *, unsigned slot, int fd, unsigned vector);
/* True while 'slot' is delivered by KVM (irqfd): the owner must not read
 * the fd then. */
bool msix_slot_in_kernel(const struct msix *, unsigned slot);
const struct msix_stats *msix_get_stats(const struct msix *);

#endif
