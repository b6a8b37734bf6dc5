/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the MP table builder (vmm/mptable.c): structure, sizes
 * and checksums as the MultiProcessor Specification 1.4 defines them and
 * as Linux's mpparse.c checks them (smp_check_mpc, smp_read_mpc). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "vmm/mptable.h"

#define GPA MPTABLE_ADDR

static uint8_t buf[0x10000];

static uint8_t
sum8(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--) {
        s = (uint8_t) (s + *p++);
    }
    return s;
}

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
           | (uint32_t) p[3] << 24;
}

static uint16_t
get16(const uint8_t *p)
{
    return (uint16_t) (p[0] | p[1] << 8);
}

struct counts {
    unsigned cpus, bsp, buses, ioapics, iointr, lintr, pci_level;
    uint8_t ioapic_id, cpu_ids[MPTABLE_MAX_CPUS];
    bool pin_used[24];
};

/* Walks the configuration table the way Linux's smp_read_mpc() does. */
static void
walk(const uint8_t *mpc, struct counts *c)
{
    unsigned len = get16(mpc + 4), count = get16(mpc + 34), off = 44;

    memset(c, 0, sizeof *c);
    for (unsigned i = 0; i < count; i++) {
        const uint8_t *e = mpc + off;
        assert_true(off < len);
        switch (e[0]) {
        case 0:
            c->cpu_ids[c->cpus++] = e[1];
            assert_true(e[3] & 1);
            c->bsp += (e[3] & 2) != 0;
            off += 20;
            break;
        case 1:
            c->buses++;
            assert_true(!memcmp(e + 2, "PCI   ", 6)
                        || !memcmp(e + 2, "ISA   ", 6));
            off += 8;
            break;
        case 2:
            c->ioapics++;
            c->ioapic_id = e[1];
            assert_int_equal(get32(e + 4), MPTABLE_IOAPIC_ADDR);
            off += 8;
            break;
        case 3:
            c->iointr++;
            assert_int_equal(e[6], c->ioapic_id);
            assert_false(c->pin_used[e[7]]);      /* one source per pin */
            c->pin_used[e[7]] = true;
            c->pci_level += e[4] == 0 && get16(e + 2) == 0x0d;
            off += 8;
            break;
        case 4:
            c->lintr++;
            off += 8;
            break;
        default:
            fail_msg("unknown entry type %u", e[0]);
        }
    }
    assert_int_equal(off, len);
}

static const uint8_t *
check_headers(int n)
{
    const uint8_t *mpf = buf, *mpc;

    assert_true(n > 16 + 44);
    /* Floating pointer: signature, 16 bytes, checksum, table right after. */
    assert_memory_equal(mpf, "_MP_", 4);
    assert_int_equal(mpf[8], 1);
    assert_int_equal(mpf[9], 4);
    assert_int_equal(sum8(mpf, 16), 0);
    assert_int_equal(mpf[11], 0);                 /* config table present */
    assert_int_equal(get32(mpf + 4), GPA + 16);
    mpc = buf + 16;
    assert_memory_equal(mpc, "PCMP", 4);
    assert_int_equal(get16(mpc + 4), n - 16);
    assert_int_equal(sum8(mpc, get16(mpc + 4)), 0);
    assert_int_equal(get32(mpc + 36), MPTABLE_LAPIC_ADDR);
    return mpc;
}

static void
test_one_cpu(void **state)
{
    struct mptable_pci_irq pci[] = { { 1, 10 } };
    struct counts c;
    int n;

    (void) state;
    n = mptable_build(buf, sizeof buf, GPA, 1, pci, 1);
    walk(check_headers(n), &c);
    assert_int_equal(c.cpus, 1);
    assert_int_equal(c.bsp, 1);
    assert_int_equal(c.cpu_ids[0], 0);
    assert_int_equal(c.buses, 2);
    assert_int_equal(c.ioapics, 1);
    assert_int_equal(c.ioapic_id, 1);            /* after the LAPIC ids */
    /* ISA 0-15 but the cascade and the PCI pin, + the PCI device. */
    assert_int_equal(c.iointr, 14 + 1);
    assert_int_equal(c.pci_level, 1);
    assert_true(c.pin_used[10] && c.pin_used[0] && !c.pin_used[2]);
    assert_int_equal(c.lintr, 2);
}

static void
test_many_cpus(void **state)
{
    struct counts c;

    (void) state;
    for (unsigned cpus = 2; cpus <= MPTABLE_MAX_CPUS; cpus *= 2) {
        int n = mptable_build(buf, sizeof buf, GPA, cpus, NULL, 0);
        walk(check_headers(n), &c);
        assert_int_equal(c.cpus, cpus);
        assert_int_equal(c.bsp, 1);
        for (unsigned i = 0; i < cpus; i++) {
            assert_int_equal(c.cpu_ids[i], i);
        }
        assert_int_equal(c.ioapic_id, cpus);
        assert_int_equal(c.iointr, 15);
    }
}

static void
test_bad_inputs(void **state)
{
    struct mptable_pci_irq bad_irq[] = { { 1, 24 } };
    struct mptable_pci_irq bad_slot[] = { { 32, 10 } };

    (void) state;
    assert_int_equal(mptable_build(buf, sizeof buf, GPA, 0, NULL, 0),
                     -EINVAL);
    assert_int_equal(mptable_build(buf, sizeof buf, GPA, 65, NULL, 0),
                     -EINVAL);
    assert_int_equal(mptable_build(buf, sizeof buf, GPA, 1, bad_irq, 1),
                     -EINVAL);
    assert_int_equal(mptable_build(buf, sizeof buf, GPA, 1, bad_slot, 1),
                     -EINVAL);
    /* Too small anywhere: the floating pointer, the header, an entry. */
    for (size_t len = 0; len < 200; len += 7) {
        assert_int_equal(mptable_build(buf, len, GPA, 4, NULL, 0), -ENOSPC);
    }
    int n = mptable_build(buf, sizeof buf, GPA, 4, NULL, 0);
    assert_true(n > 0);
    assert_int_equal(mptable_build(buf, (size_t) n, GPA, 4, NULL, 0), n);
    assert_int_equal(mptable_build(buf, (size_t) n - 1, GPA, 4, NULL, 0),
                     -ENOSPC);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_cpu),
        cmocka_unit_test(test_many_cpus),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
