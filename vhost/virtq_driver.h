/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VIRTQ_DRIVER_H
#define RSW_VIRTQ_DRIVER_H 1

/* Split virtqueue, DRIVER side (the guest's role, virtio 1.1 §2.6.13), for
 * tests, fuzzers and frontend integration programs.
 *
 * The caller provides one block of memory that is both host-addressable
 * ('host') and guest memory at guest physical address 'gpa' (for example a
 * region registered in a guest_mem); the ring is laid out there: descriptor
 * table at offset 0, available ring right after it, used ring after that
 * aligned to 4 (the §2.6 alignments: 16, 2, 4).  Buffers are given as guest
 * physical addresses; the driver never touches buffer contents.
 *
 * Bookkeeping (free descriptors, chain lengths) is private, so a device
 * cannot corrupt it; what the device writes (used ring) is validated.  The
 * raw accessors write arbitrary values into the shared ring so tests can
 * play a hostile driver; mixing them with virtq_driver_add() is the test's
 * own business.
 */

#include <stdbool.h>
#include <stdint.h>
#include "compiler.h"
#include "virtq.h"

struct virtq_driver {
    uint16_t size;
    bool event_idx;
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    uint64_t desc_gpa, avail_gpa, used_gpa;
    uint16_t avail_idx;       /* our shadow of avail->idx */
    uint16_t kicked_avail;    /* avail_idx at the last kick decision */
    uint16_t last_used_idx;   /* next used ring slot to read */
    uint16_t free_head, num_free;
    uint16_t *free_next;      /* private free list, 'size' entries */
    uint16_t *chain_n;        /* descriptors per in-flight head; 0 = free */
};

/* One buffer of a chain: device-readable unless 'write'. */
struct virtq_driver_buf {
    uint64_t gpa;
    uint32_t len;
    bool write;
};

/* Bytes the ring needs for queue size n (all three parts, aligned). */
uint64_t virtq_driver_ring_bytes(uint16_t size);

/* Lays out and zeroes a ring of 'size' (power of two) at host/gpa ('host'
 * must be 16-byte aligned and hold virtq_driver_ring_bytes(size)).
 * -EINVAL / -ENOMEM. */
int virtq_driver_init(struct virtq_driver *, uint16_t size, void *host,
                      uint64_t gpa, bool event_idx) RSW_MUST_CHECK;
/* Frees the private bookkeeping; the ring memory is the caller's. */
void virtq_driver_uninit(struct virtq_driver *);

/* Fills a device-side config for this ring; frontend virtual addresses are
 * gpa + uva_minus_gpa (two's complement, so negative deltas work).  Sets
 * indirect = true, event_idx as initialised, indices 0, call_fd = -1. */
void virtq_driver_device_config(const struct virtq_driver *,
                                uint64_t uva_minus_gpa, struct virtq_config *);

/* Adds a chain of 'n' buffers (readable ones first, §2.6.4.2) and makes it
 * available.  Returns the head (>= 0), -ENOSPC if there are not enough free
 * descriptors, -EINVAL for n == 0. */
int virtq_driver_add(struct virtq_driver *, const struct virtq_driver_buf *bufs,
                     unsigned n) RSW_MUST_CHECK;
/* Same with an indirect table (§2.6.5.3) of 'n' entries written at
 * table_host / table_gpa (16-byte entries; the caller provides the room);
 * uses one descriptor of the main table.  Returns the head or -errno. */
int virtq_driver_add_indirect(struct virtq_driver *,
                              const struct virtq_driver_buf *bufs, unsigned n,
                              void *table_host, uint64_t table_gpa) RSW_MUST_CHECK;

/* Should the driver kick the device now (§2.6.13.4: EVENT_IDX avail_event
 * window, else used->flags NO_NOTIFY)?  Full barrier inside. */
bool virtq_driver_kick_needed(struct virtq_driver *);

/* Takes one used element: 1 with *id and *len set and the chain's descriptors
 * freed, 0 if none, -EIO if the device returned an id that is out of range
 * or not in flight, or advanced used->idx by more than the queue size. */
int virtq_driver_get_used(struct virtq_driver *, uint32_t *id,
                          uint32_t *len) RSW_MUST_CHECK;
/* Asks for interrupts (EVENT_IDX: used_event = last_used_idx; else clears
 * avail->flags NO_INTERRUPT) or asks not to be interrupted. */
void virtq_driver_set_interrupt_wanted(struct virtq_driver *, bool wanted);

/* Raw, unchecked writes into the shared ring (hostile-driver tests). */
void virtq_driver_raw_desc(struct virtq_driver *, uint16_t i, uint64_t addr,
                           uint32_t len, uint16_t flags, uint16_t next);
void virtq_driver_raw_avail_ring(struct virtq_driver *, uint16_t slot,
                                 uint16_t head);
void virtq_driver_raw_avail_idx(struct virtq_driver *, uint16_t idx);
/* Puts 'head' in the next avail slot and publishes it, no checks. */
void virtq_driver_raw_publish(struct virtq_driver *, uint16_t head);
void virtq_driver_raw_used_event(struct virtq_driver *, uint16_t v);
void virtq_driver_raw_avail_flags(struct virtq_driver *, uint16_t flags);

/* Reads of device-written fields. */
uint16_t virtq_driver_used_idx(const struct virtq_driver *);
uint16_t virtq_driver_used_flags(const struct virtq_driver *);
uint16_t virtq_driver_avail_event(const struct virtq_driver *);

#endif
