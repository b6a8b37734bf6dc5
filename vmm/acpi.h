/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VMM_ACPI_H
#define RSW_VMM_ACPI_H 1

/* The ACPI description of the machine (ACPI 6.4), for kernels built
 * without MP-table support (the Debian cloud kernel has no
 * CONFIG_X86_MPPARSE) and for everything an MP table cannot say:
 *
 *   RSDP (rev 2) at the start of the BIOS area 0xE0000, where the
 *   kernel's scan of 0xE0000-0xFFFFF finds it (§5.2.5.1); it is also
 *   handed over in boot_params.acpi_rsdp_addr (boot protocol 2.14);
 *   XSDT and RSDT -> FADT, MADT;
 *   FADT (rev 6.4) with HW_REDUCED_ACPI: no PM timer, PM1/GPE blocks or
 *   SCI; the reset register is port 0x92 (bit 0) and the sleep
 *   control/status registers are one I/O port (S5 = power off);
 *   DSDT: \_SB.PCI0 (PNP0A03, bus 0, config ports, I/O and MMIO windows,
 *   _PRT with every device's INTA#) and \_S5;
 *   MADT: one enabled local APIC per vCPU (id = index), the IOAPIC at
 *   0xFEC00000 (id N, GSI base 0), interrupt source overrides for the
 *   PCI INTx lines (level, active low) and LINT1 = NMI.
 *
 * ISA IRQs need no other override: rsw-vmm keeps KVM's default GSI
 * routes, in which ISA IRQ n (the PIT's included, IRQ 0) drives IOAPIC
 * pin n, and identity is what ACPI means when no override is given
 * (§5.2.12.5).  A "IRQ0 -> GSI 2" override, as PC firmware has, would
 * send the kernel looking for the timer on a pin KVM never raises. */

#include <stddef.h>
#include <stdint.h>
#include "mptable.h"             /* struct mptable_pci_irq */
#include "vhost/compiler.h"

#define ACPI_RSDP_ADDR 0xe0000ull
#define ACPI_AREA_SIZE 0x10000ull    /* up to the MP table at 0xF0000 */
#define ACPI_MAX_CPUS 64
#define ACPI_MAX_PCI 32
#define ACPI_SLEEP_PORT 0x600        /* FADT sleep control + status */
#define ACPI_RESET_PORT 0x92         /* FADT reset register, value 1 */

/* Sleep control register (§4.8.3.7): SLP_EN with SLP_TYP from \_S5. */
#define ACPI_SLP_EN 0x20
#define ACPI_SLP_TYP_SHIFT 2
#define ACPI_SLP_TYP_MASK 0x1c
#define ACPI_S5_SLP_TYP 5

struct acpi_config {
    unsigned n_cpus;
    const struct mptable_pci_irq *pci;   /* INTA# of each PCI device */
    unsigned n_pci;
};

/* Writes the tables into 'buf', which the guest sees at 'gpa' (the RSDP
 * first, so 'gpa' is its address).  Returns the bytes used, -EINVAL for a
 * bad CPU count, PCI slot or irq, -ENOSPC if 'len' is too small. */
int acpi_build(uint8_t *buf, size_t len, uint64_t gpa,
               const struct acpi_config *) RSW_MUST_CHECK;

/* The 32-bit EISA id encoding of a PNP id such as "PNP0A03" (ACPI 6.4
 * §19.6.35 EISAID); 0 if 'id' is not three capitals and four hex digits. */
uint32_t acpi_eisaid(const char *id);

#endif
