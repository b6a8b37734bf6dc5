/* SPDX-License-Identifier: Apache-2.0 */
/* vCPUs: creation, CPUID (KVM_GET_SUPPORTED_CPUID plus hypervisor and
 * topology leaves), MSRs, FPU, LAPIC LINT pins, 64-bit entry state (GDT,
 * identity-mapped page tables, segments through KVM_SET_SREGS) and the run
 * loop thread that turns exits into I/O bus accesses. */
#include "vmm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vhost/vlog.h"

struct vcpu {
    struct vmm *vmm;
    unsigned id;
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    bool started;
};

#define KICK_SIGNAL SIGUSR1

/* ---- Creation and CPUID ------------------------------------------------- */

static unsigned
order_of(unsigned n)
{
    unsigned o = 0;

    while ((1u << o) < n) {
        o++;
    }
    return o;
}

/* Topology (Intel SDM vol. 2A, CPUID leaves 0BH and 1FH): one thread per
 * core, 'n' cores in one package; EDX is the x2APIC id. */
static void
cpuid_topology(struct kvm_cpuid_entry2 *e, unsigned id, unsigned n)
{
    e->edx = id;
    switch (e->index) {
    case 0:
        e->eax = 0;
        e->ebx = 1;
        e->ecx = 0x100;
        break;
    case 1:
        e->eax = order_of(n);
        e->ebx = n;
        e->ecx = 0x201;
        break;
    default:
        e->eax = e->ebx = 0;
        e->ecx = e->index;
        break;
    }
}

static void
cpuid_fixup(struct kvm_cpuid_entry2 *e, unsigned id, unsigned n)
{
    switch (e->function) {
    case 1:
        e->ebx = (e->ebx & 0x0000ffff) | (id << 24) | (n << 16);
        e->ecx |= 1u << 31;              /* hypervisor present */
        if (n > 1) {
            e->edx |= 1u << 28;          /* HTT: ebx[23:16] valid */
        }
        break;
    case 4:
        e->eax = (e->eax & 0x3ff) | ((n - 1) << 26);
        break;
    case 6:                              /* no thermal/power management */
    case 0xa:                            /* no architectural PMU */
        e->eax = e->ebx = e->ecx = e->edx = 0;
        break;
    case 0xb:
    case 0x1f:
        cpuid_topology(e, id, n);
        break;
    default:
        break;
    }
}

/* Adds the KVM signature leaf (Linux Documentation/virt/kvm/x86/cpuid.rst)
 * when the kernel did not report it. */
static void
cpuid_add_signature(struct kvm_cpuid2 *c, unsigned max)
{
    for (unsigned i = 0; i < c->nent; i++) {
        if (c->entries[i].function == 0x40000000) {
            return;
        }
    }
    if (c->nent < max) {
        c->entries[c->nent++] = (struct kvm_cpuid_entry2) {
            .function = 0x40000000, .eax = 0x40000001,
            .ebx = 0x4b4d564b, .ecx = 0x564b4d56, .edx = 0x4d,
        };
    }
}

static int
vcpu_set_cpuid(struct vcpu *v)
{
    unsigned max = 256;
    struct kvm_cpuid2 *c = calloc(1, sizeof *c + max * sizeof c->entries[0]);
    int err = 0;

    if (!c) {
        return -ENOMEM;
    }
    c->nent = max - 1;
    if (ioctl(v->vmm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
        err = -errno;
        goto out;
    }
    for (unsigned i = 0; i < c->nent; i++) {
        cpuid_fixup(&c->entries[i], v->id, v->vmm->n_vcpus);
    }
    cpuid_add_signature(c, max);
    if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0) {
        err = -errno;
    }
out:
    free(c);
    return err;
}

static int
vcpu_set_msrs(struct vcpu *v)
{
    static const struct { uint32_t index; uint64_t data; } init[] = {
        { 0x174, 0 }, { 0x175, 0 }, { 0x176, 0 },   /* SYSENTER_CS/ESP/EIP */
        { 0xc0000081, 0 }, { 0xc0000082, 0 },       /* STAR, LSTAR */
        { 0xc0000083, 0 }, { 0xc0000084, 0 },       /* CSTAR, SFMASK */
        { 0xc0000102, 0 },                          /* KERNEL_GS_BASE */
        { 0x10, 0 },                                /* TSC */
        { 0x1a0, 1 },                               /* MISC_ENABLE: fast strings */
        { 0x2ff, 0x806 },                           /* MTRR_DEF_TYPE: on, WB */
    };
    /* kvm_msrs ends in a flexible array: allocated, not nested in a
     * struct (ISO C forbids that; clang refuses it). */
    struct kvm_msrs *m = calloc(1, sizeof *m + sizeof init / sizeof init[0]
                                               * sizeof m->entries[0]);
    int n, err;

    if (!m) {
        return -ENOMEM;
    }
    m->nmsrs = RSW_ARRAY_SIZE(init);
    for (size_t i = 0; i < RSW_ARRAY_SIZE(init); i++) {
        m->entries[i].index = init[i].index;
        m->entries[i].data = init[i].data;
    }
    n = ioctl(v->fd, KVM_SET_MSRS, m);
    err = n < 0 ? -errno : n == (int) RSW_ARRAY_SIZE(init) ? 0 : -EINVAL;
    free(m);
    return err;
}

/* FPU at its reset state (x87 FCW 0x37f, MXCSR 0x1f80) and the LAPIC's
 * LINT0 as ExtINT, LINT1 as NMI: the virtual-wire mode a PC BIOS leaves. */
static int
vcpu_set_fpu_lapic(struct vcpu *v)
{
    struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
    struct kvm_lapic_state la;
    uint32_t *lvt0 = (uint32_t *) &la.regs[0x350];
    uint32_t *lvt1 = (uint32_t *) &la.regs[0x360];

    if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0) {
        return -errno;
    }
    if (!v->vmm->irqchip) {
        return 0;
    }
    if (ioctl(v->fd, KVM_GET_LAPIC, &la) < 0) {
        return -errno;
    }
    *lvt0 = (*lvt0 & ~0x700u & ~0x10000u) | 0x700;  /* ExtINT, unmasked */
    *lvt1 = (*lvt1 & ~0x700u & ~0x10000u) | 0x400;  /* NMI, unmasked */
    return ioctl(v->fd, KVM_SET_LAPIC, &la) < 0 ? -errno : 0;
}

int
vcpu_create(struct vmm *vmm, unsigned id, struct vcpu **out)
{
    struct vcpu *v = calloc(1, sizeof *v);
    int err;

    if (!v) {
        return -ENOMEM;
    }
    v->vmm = vmm;
    v->id = id;
    v->fd = ioctl(vmm->vm_fd, KVM_CREATE_VCPU, (unsigned long) id);
    if (v->fd < 0) {
        err = -errno;
        goto err_free;
    }
    v->run = mmap(NULL, vmm->vcpu_mmap_size, PROT_READ | PROT_WRITE,
                  MAP_SHARED, v->fd, 0);
    if (v->run == MAP_FAILED) {
        v->run = NULL;
        err = -errno;
        goto err_close;
    }
    err = vcpu_set_cpuid(v);
    if (!err) {
        err = vcpu_set_msrs(v);
    }
    if (!err) {
        err = vcpu_set_fpu_lapic(v);
    }
    if (err) {
        goto err_unmap;
    }
    *out = v;
    return 0;

err_unmap:
    munmap(v->run, vmm->vcpu_mmap_size);
err_close:
    close(v->fd);
err_free:
    free(v);
    return err;
}

int
vcpu_fd(const struct vcpu *v)
{
    return v->fd;
}

void
vcpu_destroy(struct vcpu *v)
{
    if (!v) {
        return;
    }
    if (v->run) {
        munmap(v->run, v->vmm->vcpu_mmap_size);
    }
    close(v->fd);
    free(v);
}

/* ---- 64-bit entry -------------------------------------------------------- */

/* A GDT descriptor from access flags, base and limit (Intel SDM vol. 3A
 * §3.4.5). */
static uint64_t
gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
    return (((uint64_t) base & 0xff000000u) << 32)
           | (((uint64_t) flags & 0xf0ffu) << 40)
           | (((uint64_t) limit & 0xf0000u) << 32)
           | (((uint64_t) base & 0x00ffffffu) << 16)
           | ((uint64_t) limit & 0xffffu);
}

/* Linux boot protocol §"64-bit BOOT PROTOCOL": __BOOT_CS is 0x10 and
 * __BOOT_DS is 0x18; both flat.  The TSS at 0x20 only gives TR a value. */
static const uint16_t gdt_flags[] = { 0, 0, 0xa09b, 0xc093, 0x808b };

int
boot_write_tables(struct vm_memory *m)
{
    uint64_t *gdt = vm_gpa_to_hva(m, BOOT_GDT_ADDR, sizeof gdt_flags * 4);
    uint64_t *pml4 = vm_gpa_to_hva(m, BOOT_PML4_ADDR, 4096);
    uint64_t *pdpt = vm_gpa_to_hva(m, BOOT_PDPT_ADDR, 4096);
    uint64_t *pd = vm_gpa_to_hva(m, BOOT_PD_ADDR, 4 * 4096);

    if (!gdt || !pml4 || !pdpt || !pd) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < RSW_ARRAY_SIZE(gdt_flags); i++) {
        gdt[i] = gdt_flags[i] ? gdt_entry(gdt_flags[i], 0, 0xfffff) : 0;
    }
    memset(pml4, 0, 4096);
    memset(pdpt, 0, 4096);
    pml4[0] = BOOT_PDPT_ADDR | 0x3;                   /* present, writable */
    for (unsigned i = 0; i < 4; i++) {
        pdpt[i] = (BOOT_PD_ADDR + i * 4096ull) | 0x3;
    }
    for (unsigned i = 0; i < 4 * 512; i++) {
        pd[i] = ((uint64_t) i << 21) | 0x83;          /* 2 MiB page */
    }
    return 0;
}

static struct kvm_segment
segment_from_gdt(unsigned index)
{
    uint64_t d = gdt_entry(gdt_flags[index], 0, 0xfffff);

    return (struct kvm_segment) {
        .base = 0, .limit = 0xffffffff, .selector = index * 8,
        .type = (d >> 40) & 0xf, .present = (d >> 47) & 1,
        .dpl = (d >> 45) & 3, .db = (d >> 54) & 1, .s = (d >> 44) & 1,
        .l = (d >> 53) & 1, .g = (d >> 55) & 1,
    };
}

int
vcpu_setup_long_mode(struct vmm *vmm RSW_UNUSED, struct vcpu *v,
                     const struct vcpu_boot *b)
{
    struct kvm_sregs s;
    struct kvm_regs r = {
        .rip = b->rip, .rsp = b->rsp, .rbp = b->rsp, .rsi = b->rsi,
        .rdi = b->rdi, .rflags = 2,
    };
    struct kvm_segment data = segment_from_gdt(3);

    if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
        return -errno;
    }
    s.gdt.base = BOOT_GDT_ADDR;
    s.gdt.limit = sizeof gdt_flags * 8 - 1;
    s.idt.base = 0;
    s.idt.limit = 0;
    s.cs = segment_from_gdt(2);
    s.ds = s.es = s.fs = s.gs = s.ss = data;
    s.tr = segment_from_gdt(4);
    s.tr.limit = 0xfff;
    s.tr.g = 0;
    s.cr3 = BOOT_PML4_ADDR;
    s.cr4 = 0x20 | 0x200 | 0x400;        /* PAE, OSFXSR, OSXMMEXCPT */
    s.cr0 = 0x80000000u | 0x20 | 0x10 | 0x2 | 0x1; /* PG NE ET MP PE */
    s.efer = 0x500;                      /* LME | LMA */
    if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0
        || ioctl(v->fd, KVM_SET_REGS, &r) < 0) {
        return -errno;
    }
    return 0;
}

/* ---- Run loop ------------------------------------------------------------ */

static void
first_time(_Atomic uint64_t *slot)
{
    uint64_t zero = 0;

    if (!atomic_load_explicit(slot, memory_order_relaxed)) {
        atomic_compare_exchange_strong(slot, &zero, vmm_now_ns());
    }
}

static void
vcpu_exit_io(struct vcpu *v)
{
    struct kvm_run *run = v->run;
    uint8_t *data = (uint8_t *) run + run->io.data_offset;
    bool w = run->io.direction == KVM_EXIT_IO_OUT;

    atomic_fetch_add(&v->vmm->exits_pio, 1);
    if (run->io.port == PORT_POST && w) {
        first_time(&v->vmm->timing.first_post_ns);
    }
    for (uint32_t i = 0; i < run->io.count; i++) {
        vmm_io_dispatch(v->vmm, IO_PIO, run->io.port, data, run->io.size, w);
        data += run->io.size;
    }
}

static void
vcpu_system_event(struct vcpu *v)
{
    if (v->run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
        vmm_request_exit(v->vmm, VMM_EXIT_RESET, "guest reset (system event)");
    } else {
        vmm_request_exit(v->vmm, VMM_EXIT_POWEROFF,
                         "guest shutdown (system event %u)",
                         v->run->system_event.type);
    }
}

static void
vcpu_handle_exit(struct vcpu *v)
{
    struct kvm_run *run = v->run;
    struct vmm *vmm = v->vmm;

    first_time(&vmm->timing.first_exit_ns);
    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        vcpu_exit_io(v);
        break;
    case KVM_EXIT_MMIO:
        atomic_fetch_add(&vmm->exits_mmio, 1);
        vmm_io_dispatch(vmm, IO_MMIO, run->mmio.phys_addr, run->mmio.data,
                        run->mmio.len, run->mmio.is_write);
        break;
    case KVM_EXIT_INTR:
        break;
    case KVM_EXIT_SHUTDOWN:
        vmm_request_exit(vmm, VMM_EXIT_TRIPLE_FAULT,
                         "vcpu%u: triple fault (KVM_EXIT_SHUTDOWN)", v->id);
        break;
    case KVM_EXIT_SYSTEM_EVENT:
        vcpu_system_event(v);
        break;
    case KVM_EXIT_HLT:
        vmm_request_exit(vmm, VMM_EXIT_INTERNAL, "vcpu%u: halted without "
                         "an interrupt controller", v->id);
        break;
    case KVM_EXIT_INTERNAL_ERROR:
        vmm_request_exit(vmm, VMM_EXIT_INTERNAL, "vcpu%u: KVM internal error "
                         "(suberror %u)", v->id, run->internal.suberror);
        break;
    case KVM_EXIT_FAIL_ENTRY:
        vmm_request_exit(vmm, VMM_EXIT_INTERNAL, "vcpu%u: VM entry failed "
                         "(reason %#llx)", v->id, (unsigned long long)
                         run->fail_entry.hardware_entry_failure_reason);
        break;
    default:
        atomic_fetch_add(&vmm->exits_other, 1);
        vmm_request_exit(vmm, VMM_EXIT_INTERNAL, "vcpu%u: unhandled exit %u",
                         v->id, run->exit_reason);
        break;
    }
}

/* Parks the thread while the VM is paused; false once it must stop. */
static bool
vcpu_park(struct vcpu *v)
{
    struct vmm *vmm = v->vmm;

    pthread_mutex_lock(&vmm->run_lock);
    if (vmm->paused) {
        vmm->n_parked++;
        pthread_cond_broadcast(&vmm->run_cond);
        while (vmm->paused && !atomic_load(&vmm->stop)) {
            pthread_cond_wait(&vmm->run_cond, &vmm->run_lock);
        }
        vmm->n_parked--;
    }
    pthread_mutex_unlock(&vmm->run_lock);
    return !atomic_load(&vmm->stop);
}

static void *
vcpu_thread(void *arg)
{
    struct vcpu *v = arg;
    struct vmm *vmm = v->vmm;
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    while (vcpu_park(v)) {
        first_time(&vmm->timing.first_entry_ns);
        if (ioctl(v->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                v->run->immediate_exit = 0;
                continue;
            }
            vmm_request_exit(vmm, VMM_EXIT_INTERNAL, "vcpu%u: KVM_RUN: %s",
                             v->id, strerror(errno));
            break;
        }
        vcpu_handle_exit(v);
    }
    return NULL;
}

static void
kick_handler(int sig RSW_UNUSED)
{
}

int
vcpu_start(struct vcpu *v)
{
    struct sigaction sa = { .sa_handler = kick_handler };
    int err;

    sigemptyset(&sa.sa_mask);
    if (sigaction(KICK_SIGNAL, &sa, NULL) < 0) {
        return -errno;
    }
    err = pthread_create(&v->thread, NULL, vcpu_thread, v);
    if (err) {
        return -err;
    }
    v->started = true;
    return 0;
}

/* Makes the vCPU leave KVM_RUN: immediate_exit covers the window before
 * the ioctl, the signal the time inside it. */
void
vcpu_kick(struct vcpu *v)
{
    if (v && v->started) {
        v->run->immediate_exit = 1;
        pthread_kill(v->thread, KICK_SIGNAL);
    }
}

void
vcpu_join(struct vcpu *v)
{
    if (v && v->started) {
        pthread_join(v->thread, NULL);
        v->started = false;
    }
}
