/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the ACPI tables of rsw-vmm (vmm/acpi.c): found and
 * checked the way a kernel does (RSDP scan on 16-byte boundaries, both
 * checksums, XSDT/RSDT entries, every table's length and checksum), then
 * the contents: FADT flags and registers, MADT entries, DSDT AML. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "vmm/acpi.h"
#include "vmm/vmm.h"

#define GPA ACPI_RSDP_ADDR

static uint8_t buf[ACPI_AREA_SIZE];

static uint8_t
sum8(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--) {
        s = (uint8_t) (s + *p++);
    }
    return s;
}

static uint64_t
get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t) p[i] << (8 * i);
    }
    return v;
}

/* A guest-physical address inside the tables, as a pointer into 'buf'. */
static const uint8_t *
at(uint64_t gpa, size_t len)
{
    assert_true(gpa >= GPA && gpa + len <= GPA + sizeof buf);
    return buf + (gpa - GPA);
}

/* Table header (ACPI 6.4 §5.2.6): signature, length, checksum. */
static const uint8_t *
table(uint64_t gpa, const char *sig)
{
    const uint8_t *t = at(gpa, 36);
    uint32_t len = (uint32_t) get_le(t + 4, 4);

    assert_memory_equal(t, sig, 4);
    assert_true(len >= 36);
    at(gpa, len);
    assert_int_equal(sum8(t, len), 0);
    assert_memory_equal(t + 10, "RSWVMM", 6);
    return t;
}

/* Like acpi_find_root_pointer(): the first 16-byte aligned "RSD PTR "
 * with a valid checksum, and for revision 2 a valid extended one. */
static const uint8_t *
find_rsdp(size_t used)
{
    for (size_t off = 0; off + 36 <= used; off += 16) {
        const uint8_t *r = buf + off;
        if (!memcmp(r, "RSD PTR ", 8) && !sum8(r, 20)) {
            assert_int_equal(r[15], 2);
            assert_int_equal(get_le(r + 20, 4), 36);
            assert_int_equal(sum8(r, 36), 0);
            return r;
        }
    }
    fail_msg("no RSDP");
    return NULL;
}

struct found {
    const uint8_t *fadt, *madt, *dsdt;
};

/* XSDT and RSDT list the same tables: FADT and MADT. */
static void
walk_sdts(const uint8_t *rsdp, struct found *f)
{
    const uint8_t *x = table(get_le(rsdp + 24, 8), "XSDT");
    const uint8_t *r = table(get_le(rsdp + 16, 4), "RSDT");
    uint32_t nx = ((uint32_t) get_le(x + 4, 4) - 36) / 8;
    uint32_t nr = ((uint32_t) get_le(r + 4, 4) - 36) / 4;

    assert_int_equal(nx, 2);
    assert_int_equal(nr, 2);
    memset(f, 0, sizeof *f);
    for (uint32_t i = 0; i < nx; i++) {
        uint64_t a = get_le(x + 36 + 8 * i, 8);
        assert_int_equal(a, get_le(r + 36 + 4 * i, 4));
        if (!memcmp(at(a, 4), "FACP", 4)) {
            f->fadt = table(a, "FACP");
        } else {
            f->madt = table(a, "APIC");
        }
    }
    assert_non_null(f->fadt);
    assert_non_null(f->madt);
    f->dsdt = table(get_le(f->fadt + 140, 8), "DSDT");
    assert_int_equal(get_le(f->fadt + 40, 4), get_le(f->fadt + 140, 8));
}

static void
check_fadt(const uint8_t *f)
{
    uint32_t flags = (uint32_t) get_le(f + 112, 4);

    assert_int_equal(get_le(f + 4, 4), 276);            /* revision 6 */
    assert_int_equal(f[8], 6);
    assert_true(flags & (1u << 20));                     /* HW_REDUCED */
    assert_true(flags & (1u << 10));                     /* RESET_REG_SUP */
    /* No FACS, PM timer, PM1 or GPE blocks (HW-reduced, §4.1). */
    assert_int_equal(get_le(f + 36, 4), 0);
    assert_int_equal(get_le(f + 76, 4), 0);
    assert_int_equal(get_le(f + 208 + 4, 8), 0);         /* X_PM_TMR_BLK */
    /* Reset register: I/O port 0x92, 8 bits, value 1. */
    assert_int_equal(f[116], 1);
    assert_int_equal(f[117], 8);
    assert_int_equal(get_le(f + 120, 8), ACPI_RESET_PORT);
    assert_int_equal(f[128], 1);
    /* Sleep control and status: both the 8-bit I/O port. */
    assert_int_equal(f[244], 1);
    assert_int_equal(get_le(f + 248, 8), ACPI_SLEEP_PORT);
    assert_int_equal(f[256], 1);
    assert_int_equal(get_le(f + 260, 8), ACPI_SLEEP_PORT);
    assert_true(get_le(f + 109, 2) & (1u << 5));         /* no CMOS RTC */
}

struct madt_counts {
    unsigned lapics, ioapics, isos, nmis;
    uint8_t ioapic_id, lapic_ids[ACPI_MAX_CPUS];
    uint32_t iso_gsi[24];
    uint16_t iso_flags[24];
    bool iso[24];
};

static void
walk_madt(const uint8_t *m, struct madt_counts *c)
{
    uint32_t len = (uint32_t) get_le(m + 4, 4), off = 44;

    memset(c, 0, sizeof *c);
    assert_int_equal(get_le(m + 36, 4), 0xfee00000u);
    while (off < len) {
        const uint8_t *e = m + off;
        assert_true(e[1] >= 2 && off + e[1] <= len);
        switch (e[0]) {
        case 0:
            assert_int_equal(e[1], 8);
            assert_int_equal(e[2], e[3]);                /* uid = id */
            assert_int_equal(get_le(e + 4, 4), 1);       /* enabled */
            c->lapic_ids[c->lapics++] = e[3];
            break;
        case 1:
            assert_int_equal(e[1], 12);
            c->ioapics++;
            c->ioapic_id = e[2];
            assert_int_equal(get_le(e + 4, 4), 0xfec00000u);
            assert_int_equal(get_le(e + 8, 4), 0);       /* GSI base */
            break;
        case 2:
            assert_int_equal(e[1], 10);
            assert_int_equal(e[2], 0);                   /* ISA bus */
            assert_true(e[3] < 24 && !c->iso[e[3]]);
            c->iso[e[3]] = true;
            c->iso_gsi[e[3]] = (uint32_t) get_le(e + 4, 4);
            c->iso_flags[e[3]] = (uint16_t) get_le(e + 8, 2);
            c->isos++;
            break;
        case 4:
            assert_int_equal(e[1], 6);
            assert_int_equal(e[2], 0xff);
            assert_int_equal(e[5], 1);                   /* LINT1 */
            c->nmis++;
            break;
        default:
            fail_msg("unexpected MADT entry type %u", e[0]);
        }
        off += e[1];
    }
    assert_int_equal(off, len);
}

/* AML PkgLength (§20.2.4); returns the encoded length, sets *n. */
static uint32_t
pkg_len(const uint8_t *p, unsigned *n)
{
    unsigned follow = p[0] >> 6;
    uint32_t v;

    if (!follow) {
        *n = 1;
        return p[0] & 0x3f;
    }
    assert_int_equal(p[0] & 0x30, 0);
    v = p[0] & 0xf;
    for (unsigned i = 1; i <= follow; i++) {
        v |= (uint32_t) p[i] << (4 + 8 * (i - 1));
    }
    *n = follow + 1;
    return v;
}

static const uint8_t *
find(const uint8_t *hay, size_t len, const void *needle, size_t n)
{
    for (size_t i = 0; i + n <= len; i++) {
        if (!memcmp(hay + i, needle, n)) {
            return hay + i;
        }
    }
    return NULL;
}

/* Scope(\_SB_) { Device(PCI0) { _HID PNP0A03, _UID, _CRS, _PRT } },
 * Name(_S5_, Package(4) { 5, 0, 0, 0 }), lengths nesting exactly. */
static void
check_dsdt(const uint8_t *d, unsigned n_pci)
{
    uint32_t len = (uint32_t) get_le(d + 4, 4), scope_len, dev_len, prt_len;
    const uint8_t *p = d + 36, *dev, *prt, *s5;
    unsigned n;
    static const uint8_t hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c,
                                   0x41, 0xd0, 0x0a, 0x03 };
    static const uint8_t s5_pkg[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x07,
                                      0x04, 0x0a, 0x05, 0, 0, 0 };

    assert_int_equal(d[8], 2);
    assert_int_equal(p[0], 0x10);                        /* ScopeOp */
    scope_len = pkg_len(p + 1, &n);
    assert_memory_equal(p + 1 + n, "\\_SB_", 5);
    dev = p + 1 + n + 5;
    assert_int_equal(dev[0], 0x5b);
    assert_int_equal(dev[1], 0x82);
    dev_len = pkg_len(dev + 2, &n);
    assert_memory_equal(dev + 2 + n, "PCI0", 4);
    /* The device ends where the scope ends, then \_S5 to the end. */
    assert_ptr_equal(dev + 2 + dev_len, p + 1 + scope_len);
    s5 = p + 1 + scope_len;
    assert_int_equal(s5 + sizeof s5_pkg - d, len);
    assert_memory_equal(s5, s5_pkg, sizeof s5_pkg);
    assert_non_null(find(dev, dev_len, hid, sizeof hid));
    assert_non_null(find(dev, dev_len, "_CRS", 4));
    prt = find(dev, dev_len, "_PRT", 4);
    assert_non_null(prt);
    assert_int_equal(prt[4], 0x12);                      /* PackageOp */
    prt_len = pkg_len(prt + 5, &n);
    assert_int_equal(prt[5 + n], n_pci);
    assert_true(prt + 5 + prt_len <= dev + 2 + dev_len);
}

static void
test_tables(void **state)
{
    struct mptable_pci_irq pci[] = { { 1, 10 }, { 2, 11 } };
    struct acpi_config cfg = { .n_cpus = 2, .pci = pci, .n_pci = 2 };
    struct madt_counts c;
    struct found f;
    int n;

    (void) state;
    memset(buf, 0xee, sizeof buf);
    n = acpi_build(buf, sizeof buf, GPA, &cfg);
    assert_true(n > 36 && n < 4096);
    walk_sdts(find_rsdp((size_t) n), &f);
    assert_ptr_equal(find_rsdp((size_t) n), buf);        /* at 0xE0000 */
    check_fadt(f.fadt);
    check_dsdt(f.dsdt, 2);
    walk_madt(f.madt, &c);
    assert_int_equal(c.lapics, 2);
    assert_int_equal(c.lapic_ids[0], 0);
    assert_int_equal(c.lapic_ids[1], 1);
    assert_int_equal(c.ioapics, 1);
    assert_int_equal(c.ioapic_id, 2);
    assert_int_equal(c.nmis, 1);
    /* PCI INTx: level, active low, same GSI; IRQ 0 (PIT) keeps KVM's
     * default identity route: no override moves it to GSI 2. */
    assert_int_equal(c.isos, 2);
    assert_true(c.iso[10] && c.iso[11] && !c.iso[0]);
    assert_int_equal(c.iso_gsi[10], 10);
    assert_int_equal(c.iso_flags[11], 0x000f);
}

static void
test_cpu_counts(void **state)
{
    struct madt_counts c;
    struct found f;

    (void) state;
    for (unsigned cpus = 1; cpus <= ACPI_MAX_CPUS; cpus++) {
        struct acpi_config cfg = { .n_cpus = cpus };
        int n = acpi_build(buf, sizeof buf, GPA, &cfg);

        assert_true(n > 0);
        walk_sdts(find_rsdp((size_t) n), &f);
        check_dsdt(f.dsdt, 0);
        walk_madt(f.madt, &c);
        assert_int_equal(c.lapics, cpus);
        for (unsigned i = 0; i < cpus; i++) {
            assert_int_equal(c.lapic_ids[i], i);
        }
        assert_int_equal(c.ioapic_id, cpus);
        assert_int_equal(c.isos, 0);
        /* MADT length: header + LAPICs + IOAPIC + NMI. */
        assert_int_equal(get_le(f.madt + 4, 4), 44 + 8 * cpus + 12 + 6);
    }
}

/* Many PCI devices: the _PRT outgrows a one-byte PkgLength. */
static void
test_long_prt(void **state)
{
    struct mptable_pci_irq pci[ACPI_MAX_PCI];
    struct acpi_config cfg = { .n_cpus = 4, .pci = pci,
                               .n_pci = ACPI_MAX_PCI - 1 };
    struct found f;
    int n;

    (void) state;
    for (unsigned i = 0; i < ACPI_MAX_PCI - 1; i++) {
        pci[i] = (struct mptable_pci_irq) { (uint8_t) (i + 1),
                                            (uint8_t) (16 + i % 8) };
    }
    n = acpi_build(buf, sizeof buf, GPA, &cfg);
    assert_true(n > 0);
    walk_sdts(find_rsdp((size_t) n), &f);
    check_dsdt(f.dsdt, ACPI_MAX_PCI - 1);
}

static void
test_bad_inputs(void **state)
{
    struct mptable_pci_irq bad_irq[] = { { 1, 24 } }, bad_slot[] = {
        { 32, 10 } };
    struct acpi_config cfg = { .n_cpus = 0 };
    int n;

    (void) state;
    assert_int_equal(acpi_build(buf, sizeof buf, GPA, &cfg), -EINVAL);
    cfg.n_cpus = ACPI_MAX_CPUS + 1;
    assert_int_equal(acpi_build(buf, sizeof buf, GPA, &cfg), -EINVAL);
    cfg = (struct acpi_config) { .n_cpus = 1, .pci = bad_irq, .n_pci = 1 };
    assert_int_equal(acpi_build(buf, sizeof buf, GPA, &cfg), -EINVAL);
    cfg.pci = bad_slot;
    assert_int_equal(acpi_build(buf, sizeof buf, GPA, &cfg), -EINVAL);
    cfg = (struct acpi_config) { .n_cpus = 1 };
    assert_int_equal(acpi_build(buf, sizeof buf, GPA + 8, &cfg), -EINVAL);
    assert_int_equal(acpi_build(buf, sizeof buf, 0xffff8000ull, &cfg),
                     -EINVAL);
    /* Every length short of the whole is -ENOSPC, never an overrun. */
    cfg.n_cpus = 8;
    n = acpi_build(buf, sizeof buf, GPA, &cfg);
    assert_true(n > 0);
    for (int len = 0; len < n; len++) {
        memset(buf, 0x5a, sizeof buf);
        assert_int_equal(acpi_build(buf, (size_t) len, GPA, &cfg), -ENOSPC);
        assert_int_equal(buf[len], 0x5a);
    }
    assert_int_equal(acpi_build(buf, (size_t) n, GPA, &cfg), n);
}

static void
test_eisaid(void **state)
{
    (void) state;
    assert_int_equal(acpi_eisaid("PNP0A03"), 0x030ad041u);
    assert_int_equal(acpi_eisaid("PNP0A08"), 0x080ad041u);
    assert_int_equal(acpi_eisaid("PNP0501"), 0x0105d041u);
    assert_int_equal(acpi_eisaid("pnp0A03"), 0);
    assert_int_equal(acpi_eisaid("PNP0A0"), 0);
    assert_int_equal(acpi_eisaid("PNP0A0G"), 0);
}

/* The registers the FADT points at, through the VMM's I/O bus: the
 * sleep control port powers off on SLP_EN with \_S5's SLP_TYP only; the
 * reset register (port 0x92, value 1) resets. */
static void
write_port(struct vmm *vmm, uint16_t port, uint8_t v)
{
    vmm_io_dispatch(vmm, IO_PIO, port, &v, 1, true);
}

static void
init_vmm(struct vmm *vmm)
{
    memset(vmm, 0, sizeof *vmm);
    vmm->kvm_fd = vmm->vm_fd = vmm->wake_fd = -1;
    pthread_mutex_init(&vmm->lock, NULL);
    pthread_mutex_init(&vmm->run_lock, NULL);
    pthread_cond_init(&vmm->run_cond, NULL);
    assert_int_equal(legacy_devices_create(vmm), 0);
}

static void
test_fadt_registers(void **state)
{
    static struct vmm vmm;
    uint8_t status = 0xaa;

    (void) state;
    init_vmm(&vmm);
    write_port(&vmm, ACPI_SLEEP_PORT, 0x80);             /* clear WAK_STS */
    write_port(&vmm, ACPI_SLEEP_PORT, 3 << ACPI_SLP_TYP_SHIFT | ACPI_SLP_EN);
    write_port(&vmm, ACPI_SLEEP_PORT, ACPI_S5_SLP_TYP << ACPI_SLP_TYP_SHIFT);
    assert_false(atomic_load(&vmm.stop));
    vmm_io_dispatch(&vmm, IO_PIO, ACPI_SLEEP_PORT, &status, 1, false);
    assert_int_equal(status, 0);                         /* no wake event */
    write_port(&vmm, ACPI_SLEEP_PORT,
               ACPI_S5_SLP_TYP << ACPI_SLP_TYP_SHIFT | ACPI_SLP_EN);
    assert_true(atomic_load(&vmm.stop));
    assert_int_equal(vmm.exit_code, VMM_EXIT_POWEROFF);
    init_vmm(&vmm);
    write_port(&vmm, ACPI_RESET_PORT, 1);
    assert_true(atomic_load(&vmm.stop));
    assert_int_equal(vmm.exit_code, VMM_EXIT_RESET);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_cpu_counts),
        cmocka_unit_test(test_long_prt),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_eisaid),
        cmocka_unit_test(test_fadt_registers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
