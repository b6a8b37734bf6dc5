/* SPDX-License-Identifier: Apache-2.0 */
/* Intel MultiProcessor Specification 1.4 tables; see mptable.h.  Section
 * numbers below are the MP spec's. */
#include "mptable.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define MP_SPEC_REV 4            /* 1.4 */
#define MP_APIC_VERSION 0x14     /* integrated local APIC */
#define MP_IOAPIC_VERSION 0x11
#define MP_BUS_PCI 0
#define MP_BUS_ISA 1
#define MP_ISA_IRQS 16

enum mp_entry_type { MP_PROCESSOR = 0, MP_BUS = 1, MP_IOAPIC = 2,
                     MP_IOINTR = 3, MP_LINTR = 4 };
enum mp_irq_type { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };
/* §4.3.4 table 4-10: polarity bits 0-1, trigger mode bits 2-3. */
#define MP_IRQ_CONFORMS 0x0
#define MP_IRQ_LEVEL_HIGH 0x0d   /* active high (01), level (11) */

/* §4.1 MP floating pointer structure. */
struct mpf {
    char signature[4];           /* "_MP_" */
    uint32_t physptr;
    uint8_t length;              /* in 16-byte units: 1 */
    uint8_t spec_rev, checksum;
    uint8_t feature[5];          /* 0: a configuration table is present */
} __attribute__((packed));

/* §4.2 MP configuration table header. */
struct mpc_header {
    char signature[4];           /* "PCMP" */
    uint16_t length;
    uint8_t spec_rev, checksum;
    char oem[8], product[12];
    uint32_t oem_ptr;
    uint16_t oem_size, count;
    uint32_t lapic;
    uint16_t ext_length;
    uint8_t ext_checksum, reserved;
} __attribute__((packed));

struct mpc_cpu {                 /* §4.3.1 */
    uint8_t type, apic_id, apic_ver, flags;
    uint32_t signature, features;
    uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {                 /* §4.3.2 */
    uint8_t type, bus_id;
    char bus_type[6];
} __attribute__((packed));

struct mpc_ioapic {              /* §4.3.3 */
    uint8_t type, apic_id, apic_ver, flags;
    uint32_t addr;
} __attribute__((packed));

struct mpc_intr {                /* §4.3.4 and §4.3.5 */
    uint8_t type, irq_type;
    uint16_t irq_flags;
    uint8_t src_bus, src_irq, dst_apic, dst_pin;
} __attribute__((packed));

#define CPU_ENABLED 1
#define CPU_BSP 2
#define CPU_SIGNATURE 0x600      /* family 6 */
#define CPU_FEATURES 0x201       /* FPU, APIC */
#define ALL_APICS 0xff

struct mp_writer {
    uint8_t *buf;
    size_t len, off;
    uint16_t count;
};

static void *
mp_put(struct mp_writer *w, const void *e, size_t size)
{
    void *dst;

    if (w->off + size > w->len) {
        w->off = w->len + 1;     /* remembered as overflow */
        return NULL;
    }
    dst = w->buf + w->off;
    memcpy(dst, e, size);
    w->off += size;
    return dst;
}

static uint8_t
mp_checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++) {
        sum = (uint8_t) (sum + p[i]);
    }
    return (uint8_t) -sum;
}

static void
mp_intr(struct mp_writer *w, uint8_t type, uint8_t irq_type, uint16_t flags,
        uint8_t bus, uint8_t src, uint8_t apic, uint8_t pin)
{
    struct mpc_intr e = { .type = type, .irq_type = irq_type,
                          .irq_flags = flags, .src_bus = bus,
                          .src_irq = src, .dst_apic = apic, .dst_pin = pin };

    if (mp_put(w, &e, sizeof e)) {
        w->count++;
    }
}

static bool
pin_is_pci(const struct mptable_pci_irq *pci, unsigned n, unsigned pin)
{
    for (unsigned i = 0; i < n; i++) {
        if (pci[i].irq == pin) {
            return true;
        }
    }
    return false;
}

/* §4.3.4: ISA IRQs on the IOAPIC pin of the same number (KVM's default
 * GSI routes), but the cascade (2) and the pins PCI devices own; then
 * each PCI INTA# (source irq = slot << 2 | INTA). */
static void
mp_io_interrupts(struct mp_writer *w, uint8_t ioapic,
                 const struct mptable_pci_irq *pci, unsigned n_pci)
{
    for (unsigned irq = 0; irq < MP_ISA_IRQS; irq++) {
        if (irq != 2 && !pin_is_pci(pci, n_pci, irq)) {
            mp_intr(w, MP_IOINTR, MP_INT, MP_IRQ_CONFORMS, MP_BUS_ISA,
                    (uint8_t) irq, ioapic, (uint8_t) irq);
        }
    }
    for (unsigned i = 0; i < n_pci; i++) {
        mp_intr(w, MP_IOINTR, MP_INT, MP_IRQ_LEVEL_HIGH, MP_BUS_PCI,
                (uint8_t) (pci[i].slot << 2), ioapic, pci[i].irq);
    }
}

static void
mp_processors(struct mp_writer *w, unsigned n_cpus)
{
    for (unsigned i = 0; i < n_cpus; i++) {
        struct mpc_cpu c = {
            .type = MP_PROCESSOR, .apic_id = (uint8_t) i,
            .apic_ver = MP_APIC_VERSION,
            .flags = CPU_ENABLED | (i == 0 ? CPU_BSP : 0),
            .signature = CPU_SIGNATURE, .features = CPU_FEATURES,
        };
        if (mp_put(w, &c, sizeof c)) {
            w->count++;
        }
    }
}

static void
mp_buses_ioapic(struct mp_writer *w, uint8_t ioapic)
{
    struct mpc_bus pci = { .type = MP_BUS, .bus_id = MP_BUS_PCI };
    struct mpc_bus isa = { .type = MP_BUS, .bus_id = MP_BUS_ISA };
    struct mpc_ioapic io = { .type = MP_IOAPIC, .apic_id = ioapic,
                             .apic_ver = MP_IOAPIC_VERSION, .flags = 1,
                             .addr = MPTABLE_IOAPIC_ADDR };

    memcpy(pci.bus_type, "PCI   ", 6);
    memcpy(isa.bus_type, "ISA   ", 6);
    w->count += mp_put(w, &pci, sizeof pci) != NULL;
    w->count += mp_put(w, &isa, sizeof isa) != NULL;
    w->count += mp_put(w, &io, sizeof io) != NULL;
}

int
mptable_build(uint8_t *buf, size_t len, uint64_t gpa, unsigned n_cpus,
              const struct mptable_pci_irq *pci, unsigned n_pci)
{
    struct mp_writer w = { .buf = buf, .len = len };
    struct mpf mpf = { .signature = "_MP_", .length = 1,
                       .spec_rev = MP_SPEC_REV };
    struct mpc_header h = { .signature = "PCMP", .spec_rev = MP_SPEC_REV,
                            .oem = "RSWVMM  ", .product = "RINGSWITCH  ",
                            .lapic = MPTABLE_LAPIC_ADDR };
    uint8_t ioapic = (uint8_t) n_cpus;   /* after the LAPIC ids */
    struct mpc_header *hp;
    struct mpf *fp;

    if (!n_cpus || n_cpus > MPTABLE_MAX_CPUS || n_pci > MPTABLE_MAX_PCI
        || gpa + len > 0x100000000ull) {
        return -EINVAL;
    }
    for (unsigned i = 0; i < n_pci; i++) {
        if (pci[i].irq >= 24 || pci[i].slot >= 32) {
            return -EINVAL;
        }
    }
    fp = mp_put(&w, &mpf, sizeof mpf);
    hp = mp_put(&w, &h, sizeof h);
    mp_processors(&w, n_cpus);
    mp_buses_ioapic(&w, ioapic);
    mp_io_interrupts(&w, ioapic, pci, n_pci);
    mp_intr(&w, MP_LINTR, MP_EXTINT, MP_IRQ_CONFORMS, MP_BUS_ISA, 0,
            ALL_APICS, 0);
    mp_intr(&w, MP_LINTR, MP_NMI, MP_IRQ_CONFORMS, MP_BUS_ISA, 0,
            ALL_APICS, 1);
    if (!fp || !hp || w.off > w.len) {
        return -ENOSPC;
    }
    /* §4.2: length and checksum cover the header and the base entries. */
    hp->length = (uint16_t) (w.off - sizeof *fp);
    hp->count = w.count;
    hp->checksum = mp_checksum((const uint8_t *) hp, hp->length);
    fp->physptr = (uint32_t) (gpa + sizeof *fp);
    fp->checksum = mp_checksum((const uint8_t *) fp, sizeof *fp);
    return (int) w.off;
}
