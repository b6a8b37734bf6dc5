/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VMM_MPTABLE_H
#define RSW_VMM_MPTABLE_H 1

/* The SMP description a guest kernel finds without ACPI: an Intel
 * MultiProcessor Specification 1.4 table (chapter 4).  The MP floating
 * pointer sits at the start of the BIOS area (0xF0000, where Linux's
 * smp_scan_config() looks) and points at the configuration table right
 * after it: one processor entry per vCPU (LAPIC id = vCPU index, vCPU 0
 * the BSP), a PCI and an ISA bus, the IOAPIC at 0xFEC00000 (id N), ISA
 * IRQs identity-mapped to IOAPIC pins as KVM's default GSI routes do,
 * the PCI devices' INTA# lines (level, active high: KVM_IRQ_LINE level 1
 * means asserted) and LINT0 = ExtINT, LINT1 = NMI. */

#include <stddef.h>
#include <stdint.h>
#include "vhost/compiler.h"

#define MPTABLE_ADDR 0xf0000ull
#define MPTABLE_IOAPIC_ADDR 0xfec00000u
#define MPTABLE_LAPIC_ADDR 0xfee00000u
#define MPTABLE_MAX_CPUS 64
#define MPTABLE_MAX_PCI 32

/* A PCI device's INTA# and the IOAPIC pin (= GSI) it drives. */
struct mptable_pci_irq {
    uint8_t slot, irq;
};

/* Writes the floating pointer and configuration table into 'buf', which
 * the guest sees at 'gpa'.  Returns the bytes used, -EINVAL for a bad CPU
 * count or irq, -ENOSPC if 'len' is too small. */
int mptable_build(uint8_t *buf, size_t len, uint64_t gpa, unsigned n_cpus,
                  const struct mptable_pci_irq *, unsigned n_pci)
    RSW_MUST_CHECK;

#endif
