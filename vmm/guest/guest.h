/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_GUEST_H
#define RSW_GUEST_H 1

/* The freestanding test guest: port I/O, serial output, timing, and its
 * own virtio-pci modern net driver (virtio.c).  No libc; everything polls
 * except the *-irq modes, which sleep in HLT until an MSI-X interrupt
 * (irq.c).  Under nested KVM here a guest runs at roughly one
 * instruction per microsecond, so hot paths avoid per-byte loops. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "boot_info.h"

static inline void outb(uint16_t p, uint8_t v)
{ __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p)
{ uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline void outl(uint16_t p, uint32_t v)
{ __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(p)); }
static inline uint32_t inl(uint16_t p)
{ uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t) hi << 32) | lo;
}
#define barrier() __asm__ volatile("" : : : "memory")
#define mb() __asm__ volatile("mfence" : : : "memory")

typedef uint32_t u32_unaligned __attribute__((aligned(1), may_alias));
typedef uint16_t u16_unaligned __attribute__((aligned(1), may_alias));

/* lib.c */
void print(const char *s);
void print_u64(uint64_t v);
void print_kv(const char *key, uint64_t v);   /* " key=v" */
void print_mac(const uint8_t mac[6]);
void poweroff(uint8_t status) __attribute__((noreturn));
uint64_t tsc_per_ms(void);
uint64_t cycles_to_us(uint64_t cycles);
bool parse_mode(const char *mode, const char *name, uint64_t *n,
                bool *has_n);
extern const struct rsw_boot_info *boot_info;

/* virtio.c: split virtqueues (virtio 1.1 §2.6) on a modern virtio-pci
 * net device (§4.1, §5.1).  RX = queue 0, TX = queue 1.  Each descriptor
 * i owns buffer i of BUF_SIZE bytes; frames carry the 12-byte
 * virtio_net_hdr of a VERSION_1 device (§5.1.6). */
#define NET_HDR_LEN 12
#define BUF_SIZE 2048
#define QSZ_MAX 256

struct vq {
    volatile struct { uint64_t addr; uint32_t len; uint16_t flags, next; } *desc;
    volatile struct { uint16_t flags, idx, ring[QSZ_MAX]; } *avail;
    volatile struct { uint16_t flags, idx;
                      struct { uint32_t id, len; } ring[QSZ_MAX]; } *used;
    volatile uint16_t *notify;
    uint16_t index, size, mask, avail_idx, used_seen;
    uint64_t buf_gpa;
};

struct net {
    struct vq rx, tx;            /* the pair in use */
    struct vq rx1, tx1, ctrl;    /* with 2 pairs: pair 1 (rx1 filled, not
                                  * read) and the control queue */
    uint8_t mac[6];
    uint16_t tx_free[QSZ_MAX];
    unsigned n_tx_free;
    bool msix;                   /* RX interrupts on MSI-X vector 1 */
};

/* With 'msix', RX used-buffer interrupts arrive as IRQ_VECTOR_MSI through
 * MSI-X (§4.1.5.1.2: queue 0 -> table entry 1; no config interrupt).
 * With pairs == 2 the driver negotiates VIRTIO_NET_F_MQ + CTRL_VQ, sets
 * up both pairs and the control queue, enables 2 pairs with
 * VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET (§5.1.6.5.5) and runs on pair 2 (queues
 * 2 and 3): 'rx' and 'tx' are pair 2's. */
int net_init(struct net *, bool msix, unsigned pairs, const char **why);
/* 1 with the id and length of a used buffer, else 0. */
int vq_get_used(struct vq *, uint16_t *id, uint32_t *len);
void vq_post(struct vq *, uint16_t id, uint64_t addr, uint32_t len,
             bool write);
void vq_publish(struct vq *);        /* avail->idx, then kick if wanted */
static inline uint8_t *buf_ptr(const struct vq *q, uint16_t i)
{ return (uint8_t *) (uintptr_t) (q->buf_gpa + (uint64_t) i * BUF_SIZE); }
/* Reclaims finished TX buffers into the free stack. */
void net_tx_reclaim(struct net *);

/* irq.c */
#define IRQ_VECTOR_MSI 0x40
#define IRQ_VECTOR_TICK 0x41
extern volatile uint64_t irq_msi_count, irq_tick_count, irq_other_count;
void irq_init(void);
void irq_wait(bool (*ready)(void));

#endif
