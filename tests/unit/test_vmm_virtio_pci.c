/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the virtio-pci transport and its MSI-X function
 * (vmm/virtio_pci.c, vmm/msix.c) on a real KVM VM without vCPUs: the
 * guest's side is played through the VMM's I/O bus (config mechanism #1
 * and BAR0 MMIO), as a vCPU exit would.  Checked: the MSI-X capability,
 * vector registers, irqfd attach/detach as the table is (un)masked, PBA
 * pending bits delivered on unmask, INTx + ISR without MSI-X, and garbage
 * written to every register after DRIVER_OK (ignored, never a crash). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/msix.h"
#include "vmm/pci.h"
#include "vmm/virtio_pci.h"
#include "vmm/vmm.h"

enum { CC_MSIX = 0x10, CC_STATUS = 0x14, CC_Q_SELECT = 0x16,
       CC_Q_SIZE = 0x18, CC_Q_MSIX = 0x1a, CC_Q_ENABLE = 0x1c,
       CC_Q_DESC = 0x20, CC_Q_DRIVER = 0x28, CC_Q_DEVICE = 0x30,
       CC_GFSELECT = 0x08, CC_GF = 0x0c };

struct fixture {
    struct vmm vmm;
    struct pci_bus *bus;
    struct virtio_pci *vp;
    unsigned activations, resets;
    int efd;
};

/* ---- A fake device type --------------------------------------------------- */

static uint64_t
fake_features(void *ctx)
{
    (void) ctx;
    return 1ull << 32;                          /* VIRTIO_F_VERSION_1 */
}

static void
fake_config_read(void *ctx, unsigned off, void *data, unsigned len)
{
    (void) ctx;
    (void) off;
    memset(data, 0x5a, len);
}

static void
fake_config_write(void *ctx, unsigned off, const void *data, unsigned len)
{
    (void) ctx;
    (void) off;
    (void) data;
    (void) len;
}

static bool
fake_features_ok(void *ctx, uint64_t f)
{
    (void) ctx;
    return f == (1ull << 32);
}

static int
fake_activate(void *ctx, const struct virtio_pci_queue *q, unsigned n,
              uint64_t f)
{
    struct fixture *fx = ctx;

    (void) q;
    (void) n;
    (void) f;
    fx->activations++;
    return 0;
}

static void
fake_reset(void *ctx)
{
    ((struct fixture *) ctx)->resets++;
}

static const struct virtio_dev_ops fake_ops = {
    .features = fake_features,
    .config_read = fake_config_read,
    .config_write = fake_config_write,
    .features_ok = fake_features_ok,
    .activate = fake_activate,
    .reset = fake_reset,
};

/* ---- Guest-side helpers ------------------------------------------------------ */

static uint64_t
bar_rd(struct fixture *fx, uint64_t off, unsigned len)
{
    uint64_t v = 0;

    vmm_io_dispatch(&fx->vmm, IO_MMIO, virtio_pci_bar_addr(fx->vp) + off, &v,
                    len, false);
    return v;
}

static void
bar_wr(struct fixture *fx, uint64_t off, uint64_t v, unsigned len)
{
    vmm_io_dispatch(&fx->vmm, IO_MMIO, virtio_pci_bar_addr(fx->vp) + off, &v,
                    len, true);
}

static void
cfg_select(struct fixture *fx, unsigned reg)
{
    uint32_t a = 0x80000000u | virtio_pci_dev(fx->vp)->slot << 11
                 | (reg & 0xfc);

    vmm_io_dispatch(&fx->vmm, IO_PIO, PORT_PCI_ADDR, &a, 4, true);
}

static uint32_t
cfg_rd32(struct fixture *fx, unsigned reg)
{
    uint32_t v = 0;

    cfg_select(fx, reg);
    vmm_io_dispatch(&fx->vmm, IO_PIO, PORT_PCI_DATA, &v, 4, false);
    return v;
}

static void
cfg_wr32(struct fixture *fx, unsigned reg, uint32_t v)
{
    cfg_select(fx, reg);
    vmm_io_dispatch(&fx->vmm, IO_PIO, PORT_PCI_DATA, &v, 4, true);
}

/* Walks the capability list for the MSI-X capability (PCI 3.0 §6.7). */
static unsigned
find_msix(struct fixture *fx)
{
    for (unsigned p = cfg_rd32(fx, 0x34) & 0xfc, guard = 0; p && guard < 48;
         p = (cfg_rd32(fx, p) >> 8) & 0xfc, guard++) {
        if ((cfg_rd32(fx, p) & 0xff) == PCI_CAP_ID_MSIX) {
            return p;
        }
    }
    return 0;
}

static void
msix_enable(struct fixture *fx, bool enable, bool mask_all)
{
    unsigned cap = find_msix(fx);
    uint32_t w = cfg_rd32(fx, cap) & 0x0000ffffu;

    w |= (enable ? 0x80000000u : 0) | (mask_all ? 0x40000000u : 0);
    cfg_wr32(fx, cap, w);
}

static void
table_entry(struct fixture *fx, unsigned v, uint32_t addr, uint32_t data,
            bool masked)
{
    uint64_t e = VPCI_MSIX_TABLE_OFF + 16ull * v;

    bar_wr(fx, e, addr, 4);
    bar_wr(fx, e + 4, 0, 4);
    bar_wr(fx, e + 8, data, 4);
    bar_wr(fx, e + 12, masked, 4);
}

/* §3.1.1 up to DRIVER_OK with two queues at fixed addresses. */
static void
driver_ok(struct fixture *fx)
{
    unsigned before = fx->activations;

    bar_wr(fx, CC_STATUS, 0, 1);
    bar_wr(fx, CC_STATUS, 3, 1);
    bar_wr(fx, CC_GFSELECT, 1, 4);
    bar_wr(fx, CC_GF, 1, 4);
    bar_wr(fx, CC_STATUS, 11, 1);
    assert_int_equal(bar_rd(fx, CC_STATUS, 1), 11);
    for (unsigned q = 0; q < 2; q++) {
        bar_wr(fx, CC_Q_SELECT, q, 2);
        bar_wr(fx, CC_Q_SIZE, 64, 2);
        /* 64-bit fields as two 32-bit writes (§4.1.3.1). */
        bar_wr(fx, CC_Q_DESC, 0x100000 + q * 0x10000, 4);
        bar_wr(fx, CC_Q_DESC + 4, 0, 4);
        bar_wr(fx, CC_Q_DRIVER, 0x101000 + q * 0x10000, 4);
        bar_wr(fx, CC_Q_DRIVER + 4, 0, 4);
        bar_wr(fx, CC_Q_DEVICE, 0x102000 + q * 0x10000, 4);
        bar_wr(fx, CC_Q_DEVICE + 4, 0, 4);
        bar_wr(fx, CC_Q_ENABLE, 1, 2);
    }
    bar_wr(fx, CC_STATUS, 15, 1);
    assert_int_equal(bar_rd(fx, CC_STATUS, 1), 15);
    assert_int_equal(fx->activations, before + 1);
}

/* ---- Setup ------------------------------------------------------------------- */

static int
setup(void **state)
{
    static struct fixture fx;

    if (access("/dev/kvm", R_OK | W_OK)) {
        skip();
    }
    memset(&fx, 0, sizeof fx);
    fx.vmm.kvm_fd = fx.vmm.vm_fd = fx.vmm.wake_fd = -1;
    pthread_mutex_init(&fx.vmm.lock, NULL);
    pthread_mutex_init(&fx.vmm.run_lock, NULL);
    pthread_cond_init(&fx.vmm.run_cond, NULL);
    assert_int_equal(vmm_kvm_open(&fx.vmm), 0);
    if (!fx.vmm.msi) {
        skip();
    }
    /* One (never run) vCPU, so MSIs have a LAPIC to go to. */
    assert_int_equal(vcpu_create(&fx.vmm, 0, &fx.vmm.vcpus[0]), 0);
    fx.vmm.n_vcpus = 1;
    assert_int_equal(pci_bus_create(&fx.vmm, &fx.bus), 0);
    assert_int_equal(virtio_pci_create(&fx.vmm, fx.bus, 1, 0x020000, 2, 256,
                                       &fake_ops, &fx, &fx.vp), 0);
    fx.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    assert_true(fx.efd >= 0);
    *state = &fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;

    virtio_pci_destroy(fx->vp);
    close(fx->efd);
    pci_bus_destroy(fx->bus);
    vcpu_destroy(fx->vmm.vcpus[0]);
    vmm_kvm_close(&fx->vmm);
    return 0;
}

/* ---- Tests ------------------------------------------------------------------- */

static void
test_msix_capability(void **state)
{
    struct fixture *fx = *state;
    unsigned cap = find_msix(fx);

    assert_true(cap >= 0x40);
    /* Table size N-1 = 2 (two queues + config), disabled, unmasked. */
    assert_int_equal(cfg_rd32(fx, cap) >> 16, 2);
    assert_int_equal(cfg_rd32(fx, cap + 4), VPCI_MSIX_TABLE_OFF | 0);
    assert_int_equal(cfg_rd32(fx, cap + 8), VPCI_MSIX_PBA_OFF | 0);
    /* Read-only fields stay (§6.8.2.4-5), the enable bit sticks. */
    cfg_wr32(fx, cap + 4, 0xdeadbeef);
    cfg_wr32(fx, cap + 8, 0xdeadbeef);
    cfg_wr32(fx, cap, 0xffffffffu);
    assert_int_equal(cfg_rd32(fx, cap + 4), VPCI_MSIX_TABLE_OFF);
    assert_int_equal(cfg_rd32(fx, cap + 8), VPCI_MSIX_PBA_OFF);
    assert_int_equal(cfg_rd32(fx, cap) & 0xff, PCI_CAP_ID_MSIX);
    assert_int_equal(cfg_rd32(fx, cap) >> 16, 0xc002);
    assert_true(virtio_pci_msix_enabled(fx->vp));
    /* The vendor capabilities are read-only too. */
    unsigned first = cfg_rd32(fx, 0x34) & 0xfc;
    uint32_t before = cfg_rd32(fx, first + 8);
    cfg_wr32(fx, first + 8, 0x12345678);
    assert_int_equal(cfg_rd32(fx, first + 8), before);
    /* Every vector starts masked (§6.8.2.9). */
    for (unsigned v = 0; v < 3; v++) {
        assert_int_equal(bar_rd(fx, VPCI_MSIX_TABLE_OFF + 16 * v + 12, 4), 1);
    }
}

static void
test_vector_registers(void **state)
{
    struct fixture *fx = *state;

    bar_wr(fx, CC_MSIX, 0, 2);
    assert_int_equal(bar_rd(fx, CC_MSIX, 2), 0);
    bar_wr(fx, CC_MSIX, 3, 2);                 /* out of range */
    assert_int_equal(bar_rd(fx, CC_MSIX, 2), 0xffff);
    bar_wr(fx, CC_Q_SELECT, 1, 2);
    bar_wr(fx, CC_Q_MSIX, 2, 2);
    assert_int_equal(bar_rd(fx, CC_Q_MSIX, 2), 2);
    bar_wr(fx, CC_Q_MSIX, 0x1234, 2);
    assert_int_equal(bar_rd(fx, CC_Q_MSIX, 2), 0xffff);
    bar_wr(fx, CC_Q_SELECT, 7, 2);             /* no such queue */
    bar_wr(fx, CC_Q_MSIX, 1, 2);
    assert_int_equal(bar_rd(fx, CC_Q_MSIX, 2), 0xffff);
}

static void
test_irqfd_follows_mask(void **state)
{
    struct fixture *fx = *state;
    const struct msix_stats *ms = virtio_pci_msix_stats(fx->vp);
    uint64_t one = 1, v;

    assert_non_null(ms);
    virtio_pci_set_call_fd(fx->vp, 0, fx->efd);
    bar_wr(fx, CC_Q_SELECT, 0, 2);
    bar_wr(fx, CC_Q_MSIX, 1, 2);
    assert_false(virtio_pci_call_in_kernel(fx->vp, 0));   /* disabled */
    msix_enable(fx, true, false);
    assert_false(virtio_pci_call_in_kernel(fx->vp, 0));   /* masked */
    table_entry(fx, 1, 0xfee00000u, 0x40, false);
    assert_true(virtio_pci_call_in_kernel(fx->vp, 0));
    /* KVM consumes the eventfd now. */
    assert_int_equal(write(fx->efd, &one, sizeof one), sizeof one);
    assert_int_equal(read(fx->efd, &v, sizeof v), -1);
    /* Function mask, then the vector's own mask: back to userspace. */
    msix_enable(fx, true, true);
    assert_false(virtio_pci_call_in_kernel(fx->vp, 0));
    msix_enable(fx, true, false);
    assert_true(virtio_pci_call_in_kernel(fx->vp, 0));
    bar_wr(fx, VPCI_MSIX_TABLE_OFF + 16 + 12, 1, 4);
    assert_false(virtio_pci_call_in_kernel(fx->vp, 0));
    /* Masked: the notification is pending in the PBA, sent on unmask. */
    virtio_pci_signal_queue(fx->vp, 0);
    assert_int_equal(ms->pended, 1);
    assert_int_equal(bar_rd(fx, VPCI_MSIX_PBA_OFF, 8), 1u << 1);
    assert_int_equal(ms->delivered, 0);
    bar_wr(fx, VPCI_MSIX_TABLE_OFF + 16 + 12, 0, 4);
    assert_int_equal(bar_rd(fx, VPCI_MSIX_PBA_OFF, 8), 0);
    assert_int_equal(ms->delivered, 1);
    assert_true(virtio_pci_call_in_kernel(fx->vp, 0));
    /* The PBA is read-only. */
    bar_wr(fx, VPCI_MSIX_PBA_OFF, ~0ull, 8);
    assert_int_equal(bar_rd(fx, VPCI_MSIX_PBA_OFF, 8), 0);
    /* Disabling MSI-X detaches too; a device reset unmaps the queue. */
    msix_enable(fx, false, false);
    assert_false(virtio_pci_call_in_kernel(fx->vp, 0));
    msix_enable(fx, true, false);
    assert_true(virtio_pci_call_in_kernel(fx->vp, 0));
    bar_wr(fx, CC_STATUS, 0, 1);
    assert_false(virtio_pci_call_in_kernel(fx->vp, 0));
    assert_int_equal(ms->errors, 0);
}

static void
test_bad_table_writes(void **state)
{
    struct fixture *fx = *state;
    const struct msix_stats *ms = virtio_pci_msix_stats(fx->vp);

    msix_enable(fx, true, false);
    virtio_pci_set_call_fd(fx->vp, 0, fx->efd);
    bar_wr(fx, CC_Q_SELECT, 0, 2);
    bar_wr(fx, CC_Q_MSIX, 0, 2);
    /* Not an interrupt address: never routed, never sent. */
    table_entry(fx, 0, 0x1234000u, 0x40, false);
    assert_false(virtio_pci_call_in_kernel(fx->vp, 0));
    virtio_pci_signal_queue(fx->vp, 0);
    assert_int_equal(ms->bad_address, 1);
    assert_int_equal(ms->delivered, 0);
    /* Sub-dword, misaligned and out-of-table writes are ignored. */
    bar_wr(fx, VPCI_MSIX_TABLE_OFF + 0, 0xfee0, 2);
    bar_wr(fx, VPCI_MSIX_TABLE_OFF + 2, 0xfee00000u, 4);
    bar_wr(fx, VPCI_MSIX_TABLE_OFF + 4, ~0ull, 8);
    bar_wr(fx, VPCI_MSIX_TABLE_OFF + 3 * 16, 0xfee00000u, 4);
    assert_int_equal(bar_rd(fx, VPCI_MSIX_TABLE_OFF, 4), 0x1234000u);
    assert_int_equal(bar_rd(fx, VPCI_MSIX_TABLE_OFF + 4, 4), 0);
    assert_int_equal(bar_rd(fx, VPCI_MSIX_TABLE_OFF + 3 * 16, 4), 0);
    /* Reserved vector-control bits read as zero. */
    bar_wr(fx, VPCI_MSIX_TABLE_OFF + 12, 0xfffffffeu, 4);
    assert_int_equal(bar_rd(fx, VPCI_MSIX_TABLE_OFF + 12, 4), 0);
}

static void
test_intx_without_msix(void **state)
{
    struct fixture *fx = *state;
    const struct virtio_pci_stats *st = virtio_pci_get_stats(fx->vp);

    driver_ok(fx);
    virtio_pci_signal_queue(fx->vp, 1);
    assert_int_equal(st->intx, 1);
    assert_int_equal(bar_rd(fx, VPCI_ISR_OFF, 1), 1);
    assert_int_equal(bar_rd(fx, VPCI_ISR_OFF, 1), 0);   /* read clears */
    virtio_pci_config_changed(fx->vp);
    assert_int_equal(bar_rd(fx, VPCI_ISR_OFF, 1), 2);
    /* With MSI-X on, the line stays low and ISR unused. */
    msix_enable(fx, true, false);
    virtio_pci_signal_queue(fx->vp, 1);
    assert_int_equal(bar_rd(fx, VPCI_ISR_OFF, 1), 0);
}

static uint32_t
lcg(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8 | *s << 24;
}

/* §4.1.4.3.2: after DRIVER_OK the queue configuration is frozen; a guest
 * writing garbage anywhere (but the status byte) changes nothing of it,
 * and the device keeps working or asks for a reset, never crashes. */
static void
test_garbage_after_driver_ok(void **state)
{
    struct fixture *fx = *state;
    const struct virtio_pci_stats *st = virtio_pci_get_stats(fx->vp);
    static const unsigned lens[] = { 1, 2, 4, 8 };
    uint32_t seed = 42;

    msix_enable(fx, true, false);
    driver_ok(fx);
    for (unsigned i = 0; i < 200000; i++) {
        uint64_t off = lcg(&seed) % VPCI_BAR_SIZE;
        unsigned len = lens[lcg(&seed) % 4];
        uint64_t v = (uint64_t) lcg(&seed) << 32 | lcg(&seed);

        if (off <= CC_STATUS && off + len > CC_STATUS) {
            continue;                         /* a 0 here is a reset */
        }
        if (off + len > VPCI_BAR_SIZE) {
            continue;
        }
        if (i & 1) {
            bar_wr(fx, off, v, len);
        } else {
            (void) bar_rd(fx, off, len);
        }
        if (i % 1000 == 0) {                  /* and config space */
            cfg_wr32(fx, lcg(&seed) & 0xfc, lcg(&seed));
        }
    }
    assert_true(st->bad_accesses > 0);
    assert_int_equal(fx->activations, 1);
    assert_int_equal(fx->resets, 1);          /* driver_ok()'s own reset */
    assert_int_equal(bar_rd(fx, CC_STATUS, 1) & 15, 15);
    for (unsigned q = 0; q < 2; q++) {
        bar_wr(fx, CC_Q_SELECT, q, 2);
        assert_int_equal(bar_rd(fx, CC_Q_SIZE, 2), 64);
        assert_int_equal(bar_rd(fx, CC_Q_ENABLE, 2), 1);
        assert_int_equal(bar_rd(fx, CC_Q_DESC, 8), 0x100000 + q * 0x10000);
        assert_int_equal(bar_rd(fx, CC_Q_DRIVER, 8), 0x101000 + q * 0x10000);
        assert_int_equal(bar_rd(fx, CC_Q_DEVICE, 8), 0x102000 + q * 0x10000);
    }
    /* Status writes that clear bits are ignored (§2.1.1); a reset works. */
    bar_wr(fx, CC_STATUS, 0x03, 1);
    assert_int_equal(bar_rd(fx, CC_STATUS, 1) & 15, 15);
    bar_wr(fx, CC_STATUS, 0, 1);
    assert_int_equal(bar_rd(fx, CC_STATUS, 1), 0);
    driver_ok(fx);
}

static void
test_driver_ok_without_features_ok(void **state)
{
    struct fixture *fx = *state;
    const struct virtio_pci_stats *st = virtio_pci_get_stats(fx->vp);

    bar_wr(fx, CC_STATUS, 0, 1);
    bar_wr(fx, CC_STATUS, 3, 1);
    bar_wr(fx, CC_STATUS, 7, 1);              /* DRIVER_OK, no FEATURES_OK */
    assert_true(bar_rd(fx, CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(st->needs_reset, 1);
    assert_int_equal(fx->activations, 0);
    bar_wr(fx, CC_STATUS, 0x4f, 1);           /* ignored until a reset */
    assert_int_equal(fx->activations, 0);
    driver_ok(fx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_msix_capability, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_vector_registers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_irqfd_follows_mask, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_table_writes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_intx_without_msix, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_garbage_after_driver_ok, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_driver_ok_without_features_ok,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
