/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VMM_H
#define RSW_VMM_H 1

/* rsw-vmm: a small KVM VMM in the kvmtool style.  This header holds the
 * pieces every concern file shares: the VM object, the I/O bus with its
 * device ops table, the guest-physical memory layout and the exit codes. */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vhost/compiler.h"

/* ---- Exit codes (documented in --help) ---------------------------------- */
enum vmm_exit {
    VMM_EXIT_POWEROFF = 0,       /* guest powered off (status 0) or API */
    VMM_EXIT_SETUP = 1,          /* bad options or VM setup failed */
    VMM_EXIT_RESET = 2,          /* guest asked for a reset (i8042 0xFE) */
    VMM_EXIT_TRIPLE_FAULT = 3,   /* KVM_EXIT_SHUTDOWN */
    VMM_EXIT_INTERNAL = 4,       /* KVM internal error / failed entry */
    VMM_EXIT_GUEST_FAILURE = 5,  /* poweroff register written non-zero */
};

/* ---- Guest-physical layout ---------------------------------------------- */
#define BOOT_GDT_ADDR      0x1000ull
#define BOOT_PML4_ADDR     0x2000ull
#define BOOT_PDPT_ADDR     0x3000ull
#define BOOT_PD_ADDR       0x4000ull   /* 4 tables: identity map 4 GiB */
#define BOOT_INFO_ADDR     0x8000ull   /* test guest: struct rsw_boot_info */
#define BOOT_PARAMS_ADDR   0x10000ull  /* Linux zero page */
#define BOOT_CMDLINE_ADDR  0x20000ull
#define BOOT_CMDLINE_MAX   0x10000ull
#define BOOT_STACK_TOP     0x9f000ull
#define EBDA_START         0x9fc00ull
#define HIGH_MEM_START     0x100000ull  /* 1 MiB: kernel / test guest */
#define LOW_MEM_MAX        0xc0000000ull /* RAM below the 32-bit hole */
#define HIGH_RAM_START     0x100000000ull
#define PCI_MMIO_START     0xe0000000ull /* BARs are pre-assigned here */
#define PCI_MMIO_SIZE      0x10000000ull

/* Legacy I/O ports. */
#define PORT_POST          0x80   /* POST code / io_delay: first-exit marker */
#define PORT_POWEROFF      0xf4   /* write status byte: power off */
#define PORT_COM1          0x3f8
#define PORT_I8042_DATA    0x60
#define PORT_I8042_CMD     0x64
#define PORT_PCI_ADDR      0xcf8
#define PORT_PCI_DATA      0xcfc

#define IRQ_COM1 4

/* ---- I/O bus ------------------------------------------------------------ */
enum io_space { IO_PIO, IO_MMIO };

/* A device's handlers for one PIO or MMIO range.  'offset' is relative to
 * the range base; 'len' is 1, 2, 4 or 8.  Handlers run with vmm->lock held
 * and must tolerate any value a guest writes. */
struct io_dev_ops {
    void (*read)(void *dev, uint64_t offset, void *data, unsigned len);
    void (*write)(void *dev, uint64_t offset, const void *data, unsigned len);
};

struct io_range {
    enum io_space space;
    uint64_t base, len;
    const struct io_dev_ops *ops;
    void *dev;
    const char *name;
};

#define VMM_MAX_IO_RANGES 32
#define VMM_MAX_VCPUS 64

/* ---- Interrupt routing ---------------------------------------------------
 * GSIs 0-23 keep KVM's default routes (PIC + IOAPIC pins); MSI routes get
 * the GSIs from VMM_GSI_MSI_BASE up.  KVM_SET_GSI_ROUTING replaces the
 * whole table, so every commit re-sends the defaults too. */
#define VMM_GSI_MSI_BASE 24
#define VMM_MAX_MSI_ROUTES 64

struct vmm_msi_route {
    uint64_t addr;
    uint32_t data;
    bool valid;                  /* in the table KVM has */
};

/* ---- Guest memory ------------------------------------------------------- */
struct vm_mem_region {
    uint64_t gpa, size, offset;  /* offset inside the memfd / mapping */
};

struct vm_memory {
    int fd;                      /* memfd (MFD_HUGETLB with hugepages) or
                                  * an unlinked file on hugetlbfs */
    uint8_t *host;               /* MAP_SHARED mapping of the whole fd */
    uint64_t size;
    bool hugepages;
    uint64_t page_size;          /* 4 KiB, 2 MiB or 1 GiB */
    struct vm_mem_region regions[2]; /* below the hole, above 4 GiB */
    unsigned n_regions;
};

struct vcpu;
struct serial;
struct pci_bus;
struct virtio_net;
struct vmm_api;

struct vmm_timing {
    uint64_t start_ns;           /* process start (main) */
    uint64_t ready_cpu_ns;       /* process CPU time when the vCPUs start */
    _Atomic uint64_t first_entry_ns;  /* first KVM_RUN issued */
    _Atomic uint64_t first_exit_ns;   /* first exit from the guest */
    _Atomic uint64_t first_post_ns;   /* first write to port 0x80 */
};

struct vmm {
    int kvm_fd, vm_fd;
    int vcpu_mmap_size;
    bool irqchip;
    bool msi;                    /* GSI routing + irqfd + KVM_SIGNAL_MSI */
    uint64_t tsc_khz;
    struct vm_memory mem;

    pthread_mutex_t lock;        /* device state: held by I/O handlers */
    struct io_range ranges[VMM_MAX_IO_RANGES];
    unsigned n_ranges;

    struct vmm_msi_route msi_routes[VMM_MAX_MSI_ROUTES];
    unsigned n_msi_routes;       /* allocated, from VMM_GSI_MSI_BASE */

    struct vcpu *vcpus[VMM_MAX_VCPUS];
    unsigned n_vcpus;

    /* Run state: vCPU threads stop when 'stop' is set; they park while
     * 'paused'.  'exit_code' is the first reason recorded. */
    pthread_mutex_t run_lock;
    pthread_cond_t run_cond;
    bool paused;
    unsigned n_parked;
    atomic_bool stop;
    int exit_code;
    char exit_reason[128];
    int wake_fd;                 /* eventfd: wakes the main loop */

    struct serial *serial;
    struct pci_bus *pci;
    struct virtio_net *net;
    struct vmm_api *api;
    struct vmm_timing timing;
    _Atomic uint64_t exits_pio, exits_mmio, exits_other;
};

uint64_t vmm_now_ns(void);

/* kvm.c */
int vmm_kvm_open(struct vmm *) RSW_MUST_CHECK;
void vmm_kvm_close(struct vmm *);
int vmm_kvm_add_memory(struct vmm *) RSW_MUST_CHECK;
int vmm_irq_line(struct vmm *, unsigned irq, int level);
int vmm_io_register(struct vmm *, enum io_space, uint64_t base, uint64_t len,
                    const struct io_dev_ops *, void *dev, const char *name)
    RSW_MUST_CHECK;
/* Dispatches one access; unclaimed reads return all-ones. */
void vmm_io_dispatch(struct vmm *, enum io_space, uint64_t addr, void *data,
                     unsigned len, bool is_write);
int vmm_ioeventfd(struct vmm *, uint64_t addr, unsigned len, int fd,
                  bool assign) RSW_MUST_CHECK;
/* MSI routing: 'n' consecutive GSIs (first in *gsi); set or clear the
 * message of one; commit the table to KVM (KVM_SET_GSI_ROUTING). */
int vmm_msi_alloc(struct vmm *, unsigned n, unsigned *gsi) RSW_MUST_CHECK;
void vmm_msi_set(struct vmm *, unsigned gsi, uint64_t addr, uint32_t data,
                 bool valid);
int vmm_msi_commit(struct vmm *) RSW_MUST_CHECK;
/* KVM_IRQFD: signalling 'fd' injects 'gsi' without leaving the kernel. */
int vmm_irqfd(struct vmm *, int fd, unsigned gsi, bool assign)
    RSW_MUST_CHECK;
/* One MSI now (KVM_SIGNAL_MSI): 1 delivered, 0 blocked, negative errno. */
int vmm_signal_msi(struct vmm *, uint64_t addr, uint32_t data);
/* Wakes the main loop (e.g. the set of fds it must poll changed). */
void vmm_wake_main(struct vmm *);
/* Records why the VM stops (first caller wins) and stops the vCPUs. */
void vmm_request_exit(struct vmm *, int code, const char *fmt, ...)
    RSW_PRINTF(3, 4);
void vmm_pause(struct vmm *);
void vmm_resume(struct vmm *);

/* memory.c */
/* 'numa_node' >= 0 binds the memory to that node (libnuma, MPOL_BIND). */
/* --hugepages[=2M|1G|DIR]: the page size, or a hugetlbfs mount to create
 * the RAM file in (page size: the mount's). */
struct vm_hugepages {
    uint64_t page_size;          /* 2 MiB or 1 GiB (0: from 'dir') */
    const char *dir;             /* hugetlbfs mount, or NULL: a memfd */
};
/* Parses the --hugepages value (NULL or "": 2 MiB pages). */
int vm_hugepages_parse(const char *arg, struct vm_hugepages *, char *err,
                       size_t errlen) RSW_MUST_CHECK;
/* 'hugepages' NULL: ordinary 4 KiB pages (still a shared memfd). */
int vm_memory_create(struct vm_memory *, uint64_t size,
                     const struct vm_hugepages *hugepages, int numa_node,
                     char *err, size_t errlen) RSW_MUST_CHECK;
void vm_memory_destroy(struct vm_memory *);
/* Host pointer for [gpa, gpa+len) inside one RAM region, or NULL. */
void *vm_gpa_to_hva(const struct vm_memory *, uint64_t gpa, uint64_t len);
/* Frontend (our) virtual address of a guest-physical range, or 0. */
uint64_t vm_gpa_to_uva(const struct vm_memory *, uint64_t gpa, uint64_t len);

/* cpu.c */
struct vcpu_boot {
    uint64_t rip, rsp, rsi, rdi;
};
int vcpu_create(struct vmm *, unsigned id, struct vcpu **) RSW_MUST_CHECK;
void vcpu_destroy(struct vcpu *);
int vcpu_fd(const struct vcpu *);
int vcpu_setup_long_mode(struct vmm *, struct vcpu *,
                         const struct vcpu_boot *) RSW_MUST_CHECK;
int vcpu_start(struct vcpu *) RSW_MUST_CHECK;
void vcpu_kick(struct vcpu *);
void vcpu_join(struct vcpu *);
/* Writes the GDT and identity-mapped page tables (4 GiB, 2 MiB pages). */
int boot_write_tables(struct vm_memory *) RSW_MUST_CHECK;

/* serial.c */
int serial_create(struct vmm *, const char *spec, struct serial **)
    RSW_MUST_CHECK;
void serial_destroy(struct serial *);
void serial_flush(struct serial *);
/* Input received on COM1: bytes read from 'fd' (a terminal, 'tty', is put
 * in raw mode and restored by serial_destroy). */
int serial_attach_input(struct serial *, int fd, bool tty) RSW_MUST_CHECK;
/* stdin when it is our foreground terminal, a pipe or a socket; 0 when
 * there is nothing to attach. */
int serial_attach_stdin(struct serial *) RSW_MUST_CHECK;
/* The fd to poll for input, or -1 (none, or the receive FIFO is full). */
int serial_input_fd(struct serial *);
/* After POLLIN on that fd: reads what fits into the FIFO (vmm->lock is
 * taken inside). */
void serial_input_ready(struct serial *);

/* legacy.c: i8042 reset, poweroff register, POST port. */
int legacy_devices_create(struct vmm *) RSW_MUST_CHECK;

#endif
