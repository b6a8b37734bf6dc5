/* SPDX-License-Identifier: Apache-2.0 */
/* ACPI tables for rsw-vmm; see acpi.h.  Section numbers are the ACPI 6.4
 * specification's (chapter 5: tables, chapter 6: resource descriptors,
 * chapter 20: AML encoding). */
#include "acpi.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "vmm.h"

#define ACPI_OEM_ID "RSWVMM"
#define ACPI_OEM_TABLE_ID "RINGSWCH"
#define ACPI_CREATOR_ID "RSWV"
#define ACPI_IOAPIC_ADDR 0xfec00000u
#define ACPI_LAPIC_ADDR 0xfee00000u

/* ---- Table layouts ---------------------------------------------------------- */

struct acpi_rsdp {               /* §5.2.5.3 */
    char signature[8];           /* "RSD PTR " */
    uint8_t checksum;            /* over the first 20 bytes (ACPI 1.0) */
    char oem_id[6];
    uint8_t revision;            /* 2: ACPI 2.0+ layout with the XSDT */
    uint32_t rsdt_addr;
    uint32_t length;
    uint64_t xsdt_addr;
    uint8_t ext_checksum;        /* over the whole structure */
    uint8_t reserved[3];
} __attribute__((packed));

struct acpi_header {             /* §5.2.6 */
    char signature[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem_id[6], oem_table_id[8];
    uint32_t oem_revision;
    char creator_id[4];
    uint32_t creator_revision;
} __attribute__((packed));

struct acpi_gas {                /* §5.2.3.2 Generic Address Structure */
    uint8_t space_id, bit_width, bit_offset, access_size;
    uint64_t address;
} __attribute__((packed));

#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1

struct acpi_fadt {               /* §5.2.9, table 5.9 (revision 6) */
    struct acpi_header h;
    uint32_t firmware_ctrl, dsdt;
    uint8_t reserved0, pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
    uint32_t pm1a_evt, pm1b_evt, pm1a_cnt, pm1b_cnt, pm2_cnt, pm_tmr;
    uint32_t gpe0, gpe1;
    uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
    uint8_t gpe0_len, gpe1_len, gpe1_base, cst_cnt;
    uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
    uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
    uint16_t iapc_boot_arch;
    uint8_t reserved1;
    uint32_t flags;
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t minor_version;
    uint64_t x_firmware_ctrl, x_dsdt;
    struct acpi_gas x_pm1a_evt, x_pm1b_evt, x_pm1a_cnt, x_pm1b_cnt;
    struct acpi_gas x_pm2_cnt, x_pm_tmr, x_gpe0, x_gpe1;
    struct acpi_gas sleep_control, sleep_status;
    char hypervisor_id[8];
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP is 36 bytes");
_Static_assert(sizeof(struct acpi_header) == 36, "table header");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, sleep_control) == 244,
               "FADT SLEEP_CONTROL_REG");

/* FADT flags (table 5.10) and IA-PC boot architecture flags (5.11). */
#define FADT_WBINVD (1u << 0)
#define FADT_PWR_BUTTON (1u << 4)      /* no fixed-feature power button */
#define FADT_SLP_BUTTON (1u << 5)
#define FADT_RESET_REG_SUP (1u << 10)
#define FADT_HW_REDUCED_ACPI (1u << 20)
#define IAPC_LEGACY_DEVICES (1u << 0)  /* COM1 */
#define IAPC_VGA_NOT_PRESENT (1u << 2)
#define IAPC_PCIE_ASPM_CONTROLS (1u << 4)
#define IAPC_CMOS_RTC_NOT_PRESENT (1u << 5)

struct acpi_madt {               /* §5.2.12 */
    struct acpi_header h;
    uint32_t lapic_addr, flags;
} __attribute__((packed));

#define MADT_PCAT_COMPAT 1       /* the (KVM) 8259s exist */

enum madt_type { MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2,
                 MADT_LAPIC_NMI = 4 };

struct madt_lapic {              /* §5.2.12.2 */
    uint8_t type, length, uid, apic_id;
    uint32_t flags;              /* bit 0: enabled */
} __attribute__((packed));

struct madt_ioapic {             /* §5.2.12.3 */
    uint8_t type, length, id, reserved;
    uint32_t addr, gsi_base;
} __attribute__((packed));

struct madt_iso {                /* §5.2.12.5 */
    uint8_t type, length, bus, source;
    uint32_t gsi;
    uint16_t flags;              /* MPS INTI flags, table 5.26 */
} __attribute__((packed));

struct madt_lapic_nmi {          /* §5.2.12.7 */
    uint8_t type, length, uid;
    uint16_t flags;
    uint8_t lint;
} __attribute__((packed));

#define MPS_INTI_LEVEL_LOW 0x000f     /* level (11), active low (11) */
#define MADT_ALL_CPUS 0xff

/* ---- Writer -------------------------------------------------------------------- */

struct acpi_writer {
    uint8_t *buf;
    size_t len, off;
    bool overflow;
};

/* Reserves 'size' zeroed bytes at the next 'align'-aligned offset;
 * NULL (and remembered) when they do not fit. */
static void *
acpi_reserve(struct acpi_writer *w, size_t size, size_t align)
{
    size_t start = (w->off + align - 1) & ~(align - 1);

    if (w->overflow || start > w->len || size > w->len - start) {
        w->overflow = true;
        return NULL;
    }
    memset(w->buf + w->off, 0, start - w->off + size);
    w->off = start + size;
    return w->buf + start;
}

static void
acpi_put(struct acpi_writer *w, const void *p, size_t size)
{
    void *dst = acpi_reserve(w, size, 1);

    if (dst) {
        memcpy(dst, p, size);
    }
}

static uint8_t
acpi_checksum(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++) {
        sum = (uint8_t) (sum + b[i]);
    }
    return (uint8_t) -sum;
}

static struct acpi_header *
acpi_table_begin(struct acpi_writer *w, const char sig[4], uint8_t revision,
                 size_t size)
{
    struct acpi_header *h = acpi_reserve(w, size, 16);

    if (h) {
        memcpy(h->signature, sig, 4);
        h->revision = revision;
        memcpy(h->oem_id, ACPI_OEM_ID, 6);
        memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
        h->oem_revision = 1;
        memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
        h->creator_revision = 1;
    }
    return h;
}

/* §5.2.6: Length covers the whole table, and all its bytes sum to 0. */
static void
acpi_table_end(struct acpi_writer *w, struct acpi_header *h)
{
    if (h && !w->overflow) {
        h->length = (uint32_t) (w->buf + w->off - (uint8_t *) h);
        h->checksum = 0;
        h->checksum = acpi_checksum(h, h->length);
    }
}

/* ---- AML (chapter 20) ------------------------------------------------------------ */

#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE 0x0a
#define AML_WORD 0x0b
#define AML_DWORD 0x0c
#define AML_QWORD 0x0e
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_PACKAGE 0x12
#define AML_EXT 0x5b
#define AML_DEVICE 0x82          /* after AML_EXT */

static void
aml_byte(struct acpi_writer *w, uint8_t b)
{
    acpi_put(w, &b, 1);
}

/* §20.2.3 ComputationalData: the shortest integer encoding. */
static void
aml_int(struct acpi_writer *w, uint64_t v)
{
    uint8_t le[8];
    size_t n;

    if (v <= 1) {
        aml_byte(w, v ? AML_ONE : AML_ZERO);
        return;
    }
    n = v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffu ? 4 : 8;
    aml_byte(w, n == 1 ? AML_BYTE : n == 2 ? AML_WORD
                : n == 4 ? AML_DWORD : AML_QWORD);
    for (size_t i = 0; i < n; i++) {
        le[i] = (uint8_t) (v >> (8 * i));
    }
    acpi_put(w, le, n);
}

/* Name(SEG, ...): the value follows. */
static void
aml_name(struct acpi_writer *w, const char seg[4])
{
    aml_byte(w, AML_NAME);
    acpi_put(w, seg, 4);
}

/* A PkgLength is written once its contents are known: begin returns the
 * offset the contents start at, end inserts the encoding there. */
static size_t
aml_pkg_begin(const struct acpi_writer *w)
{
    return w->off;
}

/* §20.2.4 PkgLength: counts its own bytes; one byte up to 63, else the
 * low nibble in byte 0 (bits 7-6 = number of following bytes) and 8 more
 * bits in each following byte. */
static void
aml_pkg_end(struct acpi_writer *w, size_t start)
{
    size_t body = w->off - start, n, total;

    if (w->overflow) {
        return;
    }
    n = body + 1 <= 0x3f ? 1 : body + 2 <= 0xfff ? 2
        : body + 3 <= 0xfffff ? 3 : 4;
    total = body + n;
    if (!acpi_reserve(w, n, 1)) {
        return;
    }
    memmove(w->buf + start + n, w->buf + start, body);
    if (n == 1) {
        w->buf[start] = (uint8_t) total;
        return;
    }
    w->buf[start] = (uint8_t) (((n - 1) << 6) | (total & 0xf));
    for (size_t i = 1; i < n; i++) {
        w->buf[start + i] = (uint8_t) (total >> (4 + 8 * (i - 1)));
    }
}

static void
aml_buffer(struct acpi_writer *w, const uint8_t *data, size_t n)
{
    size_t pkg;

    aml_byte(w, AML_BUFFER);
    pkg = aml_pkg_begin(w);
    aml_int(w, n);
    acpi_put(w, data, n);
    aml_pkg_end(w, pkg);
}

static unsigned
hex_digit(char c)
{
    return c >= '0' && c <= '9' ? (unsigned) (c - '0')
           : c >= 'A' && c <= 'F' ? (unsigned) (c - 'A' + 10) : 16;
}

uint32_t
acpi_eisaid(const char *id)
{
    uint32_t v = 0;

    if (strlen(id) != 7) {
        return 0;
    }
    for (int i = 0; i < 3; i++) {
        if (id[i] < 'A' || id[i] > 'Z') {
            return 0;
        }
        v |= (uint32_t) (id[i] - '@') << (26 - 5 * i);
    }
    for (int i = 3; i < 7; i++) {
        unsigned d = hex_digit(id[i]);
        if (d > 15) {
            return 0;
        }
        v |= d << (4 * (6 - i));
    }
    /* Stored big-endian: the compressed vendor letters come first. */
    return __builtin_bswap32(v);
}

/* ---- DSDT ---------------------------------------------------------------------- */

/* §6.4.3.5.3 Word / §6.4.3.5.2 DWord Address Space Descriptors for the
 * root bridge's windows: producer, fixed min and max, positive decode. */
#define RES_WORD_ADDR 0x88
#define RES_DWORD_ADDR 0x87
#define RES_TYPE_MEM 0
#define RES_TYPE_IO 1
#define RES_TYPE_BUS 2
#define RES_FLAGS_FIXED 0x0c     /* _MAF | _MIF, producer */
#define RES_IO_ENTIRE 0x03       /* _RNG: ISA and non-ISA ranges */
#define RES_MEM_RW 0x01          /* _RW, non-cacheable */
#define RES_IO_PORT 0x47         /* §6.4.2.5, 16-bit decode */
#define RES_END 0x79             /* §6.4.2.9 */

struct res_writer {
    uint8_t b[128];
    size_t n;
};

static void
res_le(struct res_writer *r, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        r->b[r->n++] = (uint8_t) (v >> (8 * i));
    }
}

/* 'size' is 2 (Word) or 4 (DWord): granularity, min, max, translation,
 * length follow the three flag bytes. */
static void
res_window(struct res_writer *r, unsigned size, uint8_t type,
           uint8_t type_flags, uint64_t min, uint64_t len)
{
    r->b[r->n++] = size == 2 ? RES_WORD_ADDR : RES_DWORD_ADDR;
    res_le(r, 3 + 5 * size, 2);
    r->b[r->n++] = type;
    r->b[r->n++] = RES_FLAGS_FIXED;
    r->b[r->n++] = type_flags;
    res_le(r, 0, size);
    res_le(r, min, size);
    res_le(r, min + len - 1, size);
    res_le(r, 0, size);
    res_le(r, len, size);
}

static void
pci0_crs(struct acpi_writer *w)
{
    struct res_writer r = { .n = 0 };

    res_window(&r, 2, RES_TYPE_BUS, 0, 0, 1);            /* bus 0 only */
    r.b[r.n++] = RES_IO_PORT;                            /* 0xcf8-0xcff */
    r.b[r.n++] = 1;
    res_le(&r, PORT_PCI_ADDR, 2);
    res_le(&r, PORT_PCI_ADDR, 2);
    r.b[r.n++] = 1;
    r.b[r.n++] = 8;
    res_window(&r, 2, RES_TYPE_IO, RES_IO_ENTIRE, 0, PORT_PCI_ADDR);
    res_window(&r, 2, RES_TYPE_IO, RES_IO_ENTIRE, 0xd00, 0x10000 - 0xd00);
    res_window(&r, 4, RES_TYPE_MEM, RES_MEM_RW, PCI_MMIO_START,
               PCI_MMIO_SIZE);
    r.b[r.n++] = RES_END;
    r.b[r.n++] = 0;                  /* checksum 0: "treated as correct" */
    aml_name(w, "_CRS");
    aml_buffer(w, r.b, r.n);
}

/* §6.2.13 _PRT: Package { address (slot << 16 | 0xFFFF: any function),
 * pin (0 = INTA#), source (0: the next field is a GSI), GSI }. */
static void
pci0_prt(struct acpi_writer *w, const struct acpi_config *c)
{
    size_t prt, entry;

    aml_name(w, "_PRT");
    aml_byte(w, AML_PACKAGE);
    prt = aml_pkg_begin(w);
    aml_byte(w, (uint8_t) c->n_pci);
    for (unsigned i = 0; i < c->n_pci; i++) {
        aml_byte(w, AML_PACKAGE);
        entry = aml_pkg_begin(w);
        aml_byte(w, 4);
        aml_int(w, (uint64_t) c->pci[i].slot << 16 | 0xffff);
        aml_int(w, 0);
        aml_int(w, 0);
        aml_int(w, c->pci[i].irq);
        aml_pkg_end(w, entry);
    }
    aml_pkg_end(w, prt);
}

/* \_S5: Package { SLP_TYP for the sleep control register, 0, 0, 0 }
 * (§7.4.2; HW-reduced platforms use only the first value, §7.4.2.5). */
static void
dsdt_s5(struct acpi_writer *w)
{
    size_t pkg;

    aml_name(w, "_S5_");
    aml_byte(w, AML_PACKAGE);
    pkg = aml_pkg_begin(w);
    aml_byte(w, 4);
    aml_int(w, ACPI_S5_SLP_TYP);
    for (int i = 0; i < 3; i++) {
        aml_int(w, 0);
    }
    aml_pkg_end(w, pkg);
}

static size_t
build_dsdt(struct acpi_writer *w, const struct acpi_config *c)
{
    struct acpi_header *h;
    size_t scope, dev;

    /* Revision 2: integers are 64-bit (§5.2.11.1). */
    h = acpi_table_begin(w, "DSDT", 2, sizeof *h);
    aml_byte(w, AML_SCOPE);
    scope = aml_pkg_begin(w);
    acpi_put(w, "\\_SB_", 5);
    aml_byte(w, AML_EXT);
    aml_byte(w, AML_DEVICE);
    dev = aml_pkg_begin(w);
    acpi_put(w, "PCI0", 4);
    aml_name(w, "_HID");
    aml_int(w, acpi_eisaid("PNP0A03"));
    aml_name(w, "_UID");
    aml_int(w, 0);
    pci0_crs(w);
    pci0_prt(w, c);
    aml_pkg_end(w, dev);
    aml_pkg_end(w, scope);
    dsdt_s5(w);
    acpi_table_end(w, h);
    return h ? (size_t) ((uint8_t *) h - w->buf) : 0;
}

/* ---- FADT, MADT, XSDT, RSDT ---------------------------------------------------- */

static struct acpi_gas
gas_io8(uint16_t port)
{
    return (struct acpi_gas) { .space_id = GAS_SYSTEM_IO, .bit_width = 8,
                               .access_size = GAS_ACCESS_BYTE,
                               .address = port };
}

static size_t
build_fadt(struct acpi_writer *w, uint64_t dsdt_gpa)
{
    struct acpi_fadt *f = (struct acpi_fadt *)
        acpi_table_begin(w, "FACP", 6, sizeof(struct acpi_fadt));

    if (!f) {
        return 0;
    }
    /* HW_REDUCED_ACPI: no FACS, SCI, PM1, PM timer or GPE blocks
     * (§4.1); power off and reset go through the registers below. */
    f->dsdt = (uint32_t) dsdt_gpa;
    f->x_dsdt = dsdt_gpa;
    f->flags = FADT_WBINVD | FADT_PWR_BUTTON | FADT_SLP_BUTTON
               | FADT_RESET_REG_SUP | FADT_HW_REDUCED_ACPI;
    f->iapc_boot_arch = IAPC_LEGACY_DEVICES | IAPC_VGA_NOT_PRESENT
                        | IAPC_PCIE_ASPM_CONTROLS | IAPC_CMOS_RTC_NOT_PRESENT;
    f->reset_reg = gas_io8(ACPI_RESET_PORT);
    f->reset_value = 1;
    f->minor_version = 4;                        /* ACPI 6.4 */
    f->sleep_control = gas_io8(ACPI_SLEEP_PORT);
    f->sleep_status = gas_io8(ACPI_SLEEP_PORT);
    memcpy(f->hypervisor_id, "RSWVMM\0\0", 8);
    acpi_table_end(w, &f->h);
    return (size_t) ((uint8_t *) f - w->buf);
}

static void
madt_entries(struct acpi_writer *w, const struct acpi_config *c)
{
    struct madt_ioapic io = { .type = MADT_IOAPIC, .length = sizeof io,
                              .id = (uint8_t) c->n_cpus,
                              .addr = ACPI_IOAPIC_ADDR };
    struct madt_lapic_nmi nmi = { .type = MADT_LAPIC_NMI,
                                  .length = sizeof nmi,
                                  .uid = MADT_ALL_CPUS, .lint = 1 };

    for (unsigned i = 0; i < c->n_cpus; i++) {
        struct madt_lapic l = { .type = MADT_LAPIC, .length = sizeof l,
                                .uid = (uint8_t) i, .apic_id = (uint8_t) i,
                                .flags = 1 };
        acpi_put(w, &l, sizeof l);
    }
    /* The IOAPIC id follows the LAPIC ids, as in the MP table. */
    acpi_put(w, &io, sizeof io);
    /* PCI INTA# lines are level-triggered, active low (PCI 3.0 §2.2.6);
     * every other ISA IRQ keeps the identity mapping (see acpi.h). */
    for (unsigned i = 0; i < c->n_pci; i++) {
        struct madt_iso iso = { .type = MADT_ISO, .length = sizeof iso,
                                .source = c->pci[i].irq,
                                .gsi = c->pci[i].irq,
                                .flags = MPS_INTI_LEVEL_LOW };
        acpi_put(w, &iso, sizeof iso);
    }
    acpi_put(w, &nmi, sizeof nmi);
}

static size_t
build_madt(struct acpi_writer *w, const struct acpi_config *c)
{
    struct acpi_madt *m = (struct acpi_madt *)
        acpi_table_begin(w, "APIC", 5, sizeof(struct acpi_madt));

    if (!m) {
        return 0;
    }
    m->lapic_addr = ACPI_LAPIC_ADDR;
    m->flags = MADT_PCAT_COMPAT;
    madt_entries(w, c);
    acpi_table_end(w, &m->h);
    return (size_t) ((uint8_t *) m - w->buf);
}

/* XSDT (§5.2.8, 64-bit entries) or RSDT (§5.2.7, 32-bit entries). */
static size_t
build_sdt(struct acpi_writer *w, bool xsdt, uint64_t gpa,
          const size_t *tables, unsigned n)
{
    struct acpi_header *h = acpi_table_begin(w, xsdt ? "XSDT" : "RSDT", 1,
                                             sizeof *h);

    if (!h) {
        return 0;
    }
    for (unsigned i = 0; i < n; i++) {
        uint64_t addr = gpa + tables[i];
        acpi_put(w, &addr, xsdt ? 8 : 4);       /* little-endian host */
    }
    acpi_table_end(w, h);
    return (size_t) ((uint8_t *) h - w->buf);
}

static bool
acpi_config_valid(const struct acpi_config *c, size_t len, uint64_t gpa)
{
    if (!c->n_cpus || c->n_cpus > ACPI_MAX_CPUS || c->n_pci > ACPI_MAX_PCI
        || (c->n_pci && !c->pci) || gpa + len > 0x100000000ull
        || (gpa & 0xf)) {
        return false;
    }
    for (unsigned i = 0; i < c->n_pci; i++) {
        if (c->pci[i].irq >= 24 || c->pci[i].slot >= 32) {
            return false;
        }
    }
    return true;
}

int
acpi_build(uint8_t *buf, size_t len, uint64_t gpa,
           const struct acpi_config *c)
{
    struct acpi_writer w = { .buf = buf, .len = len };
    struct acpi_rsdp *rsdp;
    size_t tables[2], xsdt, rsdt, dsdt;

    if (!acpi_config_valid(c, len, gpa)) {
        return -EINVAL;
    }
    /* The kernel's scan looks at 16-byte boundaries (§5.2.5.1). */
    rsdp = acpi_reserve(&w, sizeof *rsdp, 16);
    dsdt = build_dsdt(&w, c);
    tables[0] = build_fadt(&w, gpa + dsdt);
    tables[1] = build_madt(&w, c);
    xsdt = build_sdt(&w, true, gpa, tables, 2);
    rsdt = build_sdt(&w, false, gpa, tables, 2);
    if (w.overflow) {
        return -ENOSPC;
    }
    memcpy(rsdp->signature, "RSD PTR ", 8);
    memcpy(rsdp->oem_id, ACPI_OEM_ID, 6);
    rsdp->revision = 2;
    rsdp->rsdt_addr = (uint32_t) (gpa + rsdt);
    rsdp->length = sizeof *rsdp;
    rsdp->xsdt_addr = gpa + xsdt;
    rsdp->checksum = acpi_checksum(rsdp, 20);
    rsdp->ext_checksum = acpi_checksum(rsdp, sizeof *rsdp);
    return (int) w.off;
}
