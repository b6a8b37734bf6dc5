/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VMM_VIRTIO_PCI_H
#define RSW_VMM_VIRTIO_PCI_H 1

/* Modern virtio-pci transport (virtio 1.1 §4.1): common, notify, ISR and
 * device-specific configuration structures in BAR0, located through vendor
 * capabilities.  Queue notifications are KVM ioeventfds on the notify
 * addresses, so a guest kick never exits to the VMM.  Interrupts: MSI-X
 * (§4.1.4.8, table and PBA in BAR0, one vector per queue plus one for
 * configuration changes, see msix.h) when KVM has GSI routing and the
 * driver enables it, each queue's call eventfd then wired to its vector's
 * GSI with KVM_IRQFD; otherwise INTx with the ISR status (§4.1.4.5). */

#include <stdbool.h>
#include <stdint.h>
#include "pci.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040 /* + device id (§4.1.2.1) */
/* 7 virtio-net queue pairs + its control queue; with the configuration
 * vector that is MSIX_MAX_VECTORS (16) vectors. */
#define VIRTIO_PCI_MAX_QUEUES 15

/* Device status bits (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* BAR0 layout. */
#define VPCI_COMMON_OFF 0x0000
#define VPCI_COMMON_LEN 0x38
#define VPCI_ISR_OFF 0x1000
#define VPCI_DEVCFG_OFF 0x2000
#define VPCI_DEVCFG_LEN 0x100
#define VPCI_NOTIFY_OFF 0x3000
#define VPCI_NOTIFY_MULT 4
#define VPCI_NOTIFY_LEN 0x1000
#define VPCI_MSIX_TABLE_OFF 0x4000
#define VPCI_MSIX_PBA_OFF 0x5000
#define VPCI_BAR_SIZE 0x8000

struct virtio_pci_queue {
    uint16_t size, max_size;
    bool enabled;
    uint64_t desc, driver, device; /* guest-physical (§4.1.4.3) */
};

struct virtio_pci;

/* What a device type plugs into the transport.  Called with vmm->lock. */
struct virtio_dev_ops {
    uint64_t (*features)(void *ctx);          /* offered to the driver */
    void (*config_read)(void *ctx, unsigned off, void *data, unsigned len);
    void (*config_write)(void *ctx, unsigned off, const void *data,
                         unsigned len);
    /* FEATURES_OK: true if the device accepts 'features' (§3.1.1 step 5). */
    bool (*features_ok)(void *ctx, uint64_t features);
    /* DRIVER_OK: start the queues.  Non-zero sets DEVICE_NEEDS_RESET. */
    int (*activate)(void *ctx, const struct virtio_pci_queue *, unsigned n,
                    uint64_t features);
    /* Device reset (status 0) while or after being active. */
    void (*reset)(void *ctx);
};

struct virtio_pci_stats {
    uint64_t resets, activations, needs_reset, bad_accesses, isr_reads;
    uint64_t notify_exits;   /* kicks that exited (ioeventfd missed) */
    uint64_t intx;           /* interrupts raised on the INTx line */
};

struct msix_stats;

int virtio_pci_create(struct vmm *, struct pci_bus *, uint16_t device_id,
                      uint32_t class_code, unsigned n_queues,
                      uint16_t queue_max, const struct virtio_dev_ops *,
                      void *ctx, struct virtio_pci **) RSW_MUST_CHECK;
void virtio_pci_destroy(struct virtio_pci *);

/* The eventfd KVM signals when the driver notifies queue 'q'. */
int virtio_pci_kick_fd(const struct virtio_pci *, unsigned q);
/* The eventfd the device signals for queue 'q' (a vhost-user call fd).
 * While its MSI-X vector is open KVM delivers it (irqfd); otherwise the
 * owner polls it and calls virtio_pci_signal_queue(). */
void virtio_pci_set_call_fd(struct virtio_pci *, unsigned q, int fd);
bool virtio_pci_call_in_kernel(const struct virtio_pci *, unsigned q);
/* Used-buffer notification for queue 'q' (§4.1.5.2: its MSI-X vector, or
 * ISR bit 0 + INTx) and configuration change (§4.1.5.3: the config
 * vector, or ISR bit 1 + INTx; bumps config_generation).  Take vmm->lock
 * first. */
void virtio_pci_signal_queue(struct virtio_pci *, unsigned q);
void virtio_pci_config_changed(struct virtio_pci *);

uint8_t virtio_pci_status(const struct virtio_pci *);
uint64_t virtio_pci_driver_features(const struct virtio_pci *);
uint64_t virtio_pci_bar_addr(const struct virtio_pci *);
const struct virtio_pci_stats *virtio_pci_get_stats(const struct virtio_pci *);
bool virtio_pci_msix_enabled(const struct virtio_pci *);
/* NULL without an MSI-X capability (KVM without GSI routing). */
const struct msix_stats *virtio_pci_msix_stats(const struct virtio_pci *);
const struct pci_device *virtio_pci_dev(const struct virtio_pci *);

#endif
