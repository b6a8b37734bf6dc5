/* SPDX-License-Identifier: Apache-2.0 */
/* The VM: /dev/kvm, in-kernel irqchip and PIT, memory slots, the I/O bus
 * (PIO and MMIO ranges dispatched through io_dev_ops tables), ioeventfds,
 * interrupt lines and the run state shared by the vCPU threads. */
#include "vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vhost/vlog.h"

#define KVM_TSS_ADDR 0xfffbd000ul
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ull

uint64_t
vmm_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

/* Interrupt controllers: the in-kernel PIC/IOAPIC/LAPIC and the PIT, as a
 * PC needs them for Linux (and so HLT waits inside KVM). */
static int
kvm_create_irqchip(struct vmm *vmm)
{
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
    uint64_t ident = KVM_IDENTITY_MAP_ADDR;

    if (ioctl(vmm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0
        || ioctl(vmm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0
        || ioctl(vmm->vm_fd, KVM_CREATE_IRQCHIP) < 0
        || ioctl(vmm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
        return -errno;
    }
    vmm->irqchip = true;
    vmm->msi = ioctl(vmm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) > 0
               && ioctl(vmm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) > 0
               && ioctl(vmm->kvm_fd, KVM_CHECK_EXTENSION,
                        KVM_CAP_SIGNAL_MSI) > 0;
    return 0;
}

int
vmm_kvm_open(struct vmm *vmm)
{
    int err;

    vmm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (vmm->kvm_fd < 0) {
        return -errno;
    }
    if (ioctl(vmm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        err = -ENOTSUP;
        goto err_close;
    }
    vmm->vm_fd = ioctl(vmm->kvm_fd, KVM_CREATE_VM, 0);
    if (vmm->vm_fd < 0) {
        err = -errno;
        goto err_close;
    }
    vmm->vcpu_mmap_size = ioctl(vmm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (vmm->vcpu_mmap_size <= 0) {
        err = -errno;
        goto err_vm;
    }
    if (ioctl(vmm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) <= 0) {
        err = -ENOTSUP;
        goto err_vm;
    }
    err = kvm_create_irqchip(vmm);
    if (err) {
        goto err_vm;
    }
    vmm->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (vmm->wake_fd < 0) {
        err = -errno;
        goto err_vm;
    }
    return 0;

err_vm:
    close(vmm->vm_fd);
    vmm->vm_fd = -1;
err_close:
    close(vmm->kvm_fd);
    vmm->kvm_fd = -1;
    return err;
}

void
vmm_kvm_close(struct vmm *vmm)
{
    if (vmm->wake_fd >= 0) {
        close(vmm->wake_fd);
        vmm->wake_fd = -1;
    }
    if (vmm->vm_fd >= 0) {
        close(vmm->vm_fd);
        vmm->vm_fd = -1;
    }
    if (vmm->kvm_fd >= 0) {
        close(vmm->kvm_fd);
        vmm->kvm_fd = -1;
    }
}

int
vmm_kvm_add_memory(struct vmm *vmm)
{
    for (unsigned i = 0; i < vmm->mem.n_regions; i++) {
        const struct vm_mem_region *r = &vmm->mem.regions[i];
        struct kvm_userspace_memory_region kr = {
            .slot = i,
            .guest_phys_addr = r->gpa,
            .memory_size = r->size,
            .userspace_addr = (uintptr_t) (vmm->mem.host + r->offset),
        };
        if (ioctl(vmm->vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0) {
            return -errno;
        }
    }
    return 0;
}

int
vmm_irq_line(struct vmm *vmm, unsigned irq, int level)
{
    struct kvm_irq_level l = { .irq = irq, .level = level };

    if (!vmm->irqchip) {
        return -ENOTSUP;
    }
    return ioctl(vmm->vm_fd, KVM_IRQ_LINE, &l) < 0 ? -errno : 0;
}

int
vmm_io_register(struct vmm *vmm, enum io_space space, uint64_t base,
                uint64_t len, const struct io_dev_ops *ops, void *dev,
                const char *name)
{
    if (!len || base + len < base || vmm->n_ranges >= VMM_MAX_IO_RANGES) {
        return -EINVAL;
    }
    for (unsigned i = 0; i < vmm->n_ranges; i++) {
        const struct io_range *r = &vmm->ranges[i];
        if (r->space == space && base < r->base + r->len
            && r->base < base + len) {
            return -EEXIST;
        }
    }
    vmm->ranges[vmm->n_ranges++] = (struct io_range) {
        .space = space, .base = base, .len = len, .ops = ops, .dev = dev,
        .name = name,
    };
    return 0;
}

static const struct io_range *
io_find(const struct vmm *vmm, enum io_space space, uint64_t addr,
        unsigned len)
{
    for (unsigned i = 0; i < vmm->n_ranges; i++) {
        const struct io_range *r = &vmm->ranges[i];
        if (r->space == space && addr >= r->base
            && addr - r->base + len <= r->len) {
            return r;
        }
    }
    return NULL;
}

void
vmm_io_dispatch(struct vmm *vmm, enum io_space space, uint64_t addr,
                void *data, unsigned len, bool is_write)
{
    const struct io_range *r;

    if (!len || len > 8) {
        return;
    }
    pthread_mutex_lock(&vmm->lock);
    r = io_find(vmm, space, addr, len);
    if (!r) {
        if (!is_write) {
            memset(data, 0xff, len);   /* nothing decodes it: floating bus */
        }
    } else if (is_write) {
        if (r->ops->write) {
            r->ops->write(r->dev, addr - r->base, data, len);
        }
    } else if (r->ops->read) {
        r->ops->read(r->dev, addr - r->base, data, len);
    } else {
        memset(data, 0xff, len);
    }
    pthread_mutex_unlock(&vmm->lock);
}

int
vmm_ioeventfd(struct vmm *vmm, uint64_t addr, unsigned len, int fd,
              bool assign)
{
    struct kvm_ioeventfd ev = {
        .addr = addr, .len = len, .fd = fd,
        .flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
    };

    return ioctl(vmm->vm_fd, KVM_IOEVENTFD, &ev) < 0 ? -errno : 0;
}

/* ---- MSI routing ---------------------------------------------------------- */

int
vmm_msi_alloc(struct vmm *vmm, unsigned n, unsigned *gsi)
{
    if (!n || n > VMM_MAX_MSI_ROUTES - vmm->n_msi_routes) {
        return -ENOSPC;
    }
    *gsi = VMM_GSI_MSI_BASE + vmm->n_msi_routes;
    vmm->n_msi_routes += n;
    return 0;
}

void
vmm_msi_set(struct vmm *vmm, unsigned gsi, uint64_t addr, uint32_t data,
            bool valid)
{
    unsigned i = gsi - VMM_GSI_MSI_BASE;

    if (gsi >= VMM_GSI_MSI_BASE && i < vmm->n_msi_routes) {
        vmm->msi_routes[i] = (struct vmm_msi_route) {
            .addr = addr, .data = data, .valid = valid,
        };
    }
}

/* KVM's default table (virt/kvm/irqchip.c, x86 irq_comm.c): GSI 0-15 on
 * both the PIC and the IOAPIC pin of the same number, 16-23 IOAPIC only. */
static unsigned
msi_default_routes(struct kvm_irq_routing_entry *e)
{
    unsigned n = 0;

    for (unsigned gsi = 0; gsi < VMM_GSI_MSI_BASE; gsi++) {
        e[n++] = (struct kvm_irq_routing_entry) {
            .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
            .u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi },
        };
        if (gsi < 16) {
            e[n++] = (struct kvm_irq_routing_entry) {
                .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
                .u.irqchip = { .irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
                                                  : KVM_IRQCHIP_PIC_SLAVE,
                               .pin = gsi % 8 },
            };
        }
    }
    return n;
}

int
vmm_msi_commit(struct vmm *vmm)
{
    enum { MAX = VMM_GSI_MSI_BASE + 16 + VMM_MAX_MSI_ROUTES };
    struct kvm_irq_routing *t;
    int rc = 0;

    t = calloc(1, sizeof *t + MAX * sizeof t->entries[0]);
    if (!t) {
        return -ENOMEM;
    }
    t->nr = msi_default_routes(t->entries);
    for (unsigned i = 0; i < vmm->n_msi_routes; i++) {
        const struct vmm_msi_route *r = &vmm->msi_routes[i];
        if (r->valid) {
            t->entries[t->nr++] = (struct kvm_irq_routing_entry) {
                .gsi = VMM_GSI_MSI_BASE + i, .type = KVM_IRQ_ROUTING_MSI,
                .u.msi = { .address_lo = (uint32_t) r->addr,
                           .address_hi = (uint32_t) (r->addr >> 32),
                           .data = r->data },
            };
        }
    }
    if (ioctl(vmm->vm_fd, KVM_SET_GSI_ROUTING, t) < 0) {
        rc = -errno;
    }
    free(t);
    return rc;
}

int
vmm_irqfd(struct vmm *vmm, int fd, unsigned gsi, bool assign)
{
    struct kvm_irqfd f = {
        .fd = (uint32_t) fd, .gsi = gsi,
        .flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
    };

    return ioctl(vmm->vm_fd, KVM_IRQFD, &f) < 0 ? -errno : 0;
}

int
vmm_signal_msi(struct vmm *vmm, uint64_t addr, uint32_t data)
{
    struct kvm_msi m = {
        .address_lo = (uint32_t) addr, .address_hi = (uint32_t) (addr >> 32),
        .data = data,
    };
    int rc = ioctl(vmm->vm_fd, KVM_SIGNAL_MSI, &m);

    return rc < 0 ? -errno : rc > 0;
}

void
vmm_wake_main(struct vmm *vmm)
{
    uint64_t one = 1;

    if (write(vmm->wake_fd, &one, sizeof one) < 0) {
        /* Only fails when the counter would overflow: already awake. */
    }
}

static void
vmm_kick_all(struct vmm *vmm)
{
    for (unsigned i = 0; i < vmm->n_vcpus; i++) {
        vcpu_kick(vmm->vcpus[i]);
    }
}

void
vmm_request_exit(struct vmm *vmm, int code, const char *fmt, ...)
{
    va_list args;

    pthread_mutex_lock(&vmm->run_lock);
    if (!atomic_load(&vmm->stop)) {
        vmm->exit_code = code;
        va_start(args, fmt);
        vsnprintf(vmm->exit_reason, sizeof vmm->exit_reason, fmt, args);
        va_end(args);
        atomic_store(&vmm->stop, true);
    }
    vmm->paused = false;
    pthread_cond_broadcast(&vmm->run_cond);
    pthread_mutex_unlock(&vmm->run_lock);
    vmm_kick_all(vmm);
    vmm_wake_main(vmm);
}

/* Pausing: set the flag, kick every vCPU out of KVM_RUN and wait until all
 * of them are parked in vcpu_park(). */
void
vmm_pause(struct vmm *vmm)
{
    pthread_mutex_lock(&vmm->run_lock);
    if (vmm->paused || atomic_load(&vmm->stop)) {
        pthread_mutex_unlock(&vmm->run_lock);
        return;
    }
    vmm->paused = true;
    pthread_mutex_unlock(&vmm->run_lock);
    vmm_kick_all(vmm);
    pthread_mutex_lock(&vmm->run_lock);
    while (vmm->paused && vmm->n_parked < vmm->n_vcpus
           && !atomic_load(&vmm->stop)) {
        pthread_cond_wait(&vmm->run_cond, &vmm->run_lock);
    }
    pthread_mutex_unlock(&vmm->run_lock);
}

void
vmm_resume(struct vmm *vmm)
{
    pthread_mutex_lock(&vmm->run_lock);
    vmm->paused = false;
    pthread_cond_broadcast(&vmm->run_cond);
    pthread_mutex_unlock(&vmm->run_lock);
}
