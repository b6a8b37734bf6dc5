/* SPDX-License-Identifier: Apache-2.0 */
/* Split virtqueue, driver side: the guest's half, used by tests, fuzzers
 * and frontend integration programs (see virtq_driver.h). */
#include "virtq_driver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t
align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* Offsets of the avail and used rings inside the block (§2.6 alignments). */
static uint64_t
avail_off(uint16_t size)
{
    return virtq_desc_bytes(size);
}

static uint64_t
used_off(uint16_t size)
{
    return align_up(avail_off(size) + virtq_avail_bytes(size), 4);
}

uint64_t
virtq_driver_ring_bytes(uint16_t size)
{
    return used_off(size) + virtq_used_bytes(size);
}

int
virtq_driver_init(struct virtq_driver *d, uint16_t size, void *host,
                  uint64_t gpa, bool event_idx)
{
    memset(d, 0, sizeof *d);
    if (!size || (size & (size - 1)) || !host || ((uintptr_t) host & 15)
        || (gpa & 15)) {
        return -EINVAL;
    }
    d->free_next = calloc(size, sizeof *d->free_next);
    d->chain_n = calloc(size, sizeof *d->chain_n);
    if (!d->free_next || !d->chain_n) {
        virtq_driver_uninit(d);
        return -ENOMEM;
    }
    memset(host, 0, virtq_driver_ring_bytes(size));
    d->size = size;
    d->event_idx = event_idx;
    d->desc = host;
    d->avail = (struct virtq_avail *) ((uint8_t *) host + avail_off(size));
    d->used = (struct virtq_used *) ((uint8_t *) host + used_off(size));
    d->desc_gpa = gpa;
    d->avail_gpa = gpa + avail_off(size);
    d->used_gpa = gpa + used_off(size);
    for (uint16_t i = 0; i < size; i++) {
        d->free_next[i] = (uint16_t) (i + 1);
    }
    d->num_free = size;
    return 0;
}

void
virtq_driver_uninit(struct virtq_driver *d)
{
    if (!d) {
        return;
    }
    free(d->free_next);
    free(d->chain_n);
    d->free_next = NULL;
    d->chain_n = NULL;
}

void
virtq_driver_device_config(const struct virtq_driver *d,
                           uint64_t uva_minus_gpa, struct virtq_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->size = d->size;
    cfg->desc_uva = d->desc_gpa + uva_minus_gpa;
    cfg->avail_uva = d->avail_gpa + uva_minus_gpa;
    cfg->used_uva = d->used_gpa + uva_minus_gpa;
    cfg->event_idx = d->event_idx;
    cfg->indirect = true;
    cfg->call_fd = -1;
}

void
virtq_driver_raw_desc(struct virtq_driver *d, uint16_t i, uint64_t addr,
                      uint32_t len, uint16_t flags, uint16_t next)
{
    struct virtq_desc *p = &d->desc[i & (d->size - 1)];
    RSW_WRITE_ONCE(p->addr, addr);
    RSW_WRITE_ONCE(p->len, len);
    RSW_WRITE_ONCE(p->flags, flags);
    RSW_WRITE_ONCE(p->next, next);
}

void
virtq_driver_raw_avail_ring(struct virtq_driver *d, uint16_t slot,
                            uint16_t head)
{
    RSW_WRITE_ONCE(d->avail->ring[slot & (d->size - 1)], head);
}

void
virtq_driver_raw_avail_idx(struct virtq_driver *d, uint16_t idx)
{
    /* §2.6.13.3: ring entries before the index that publishes them. */
    rsw_smp_wmb();
    d->avail_idx = idx;
    RSW_WRITE_ONCE(d->avail->idx, idx);
}

void
virtq_driver_raw_publish(struct virtq_driver *d, uint16_t head)
{
    virtq_driver_raw_avail_ring(d, d->avail_idx, head);
    virtq_driver_raw_avail_idx(d, (uint16_t) (d->avail_idx + 1));
}

void
virtq_driver_raw_used_event(struct virtq_driver *d, uint16_t v)
{
    RSW_WRITE_ONCE(d->avail->ring[d->size], v);
}

void
virtq_driver_raw_avail_flags(struct virtq_driver *d, uint16_t flags)
{
    RSW_WRITE_ONCE(d->avail->flags, flags);
}

/* Takes 'n' descriptors off the private free list and returns the first;
 * they stay linked through free_next, which is the chain order. */
static int
alloc_descs(struct virtq_driver *d, unsigned n)
{
    if (!n || n > d->num_free) {
        return n ? -ENOSPC : -EINVAL;
    }
    uint16_t head = d->free_head;
    for (unsigned i = 0; i < n; i++) {
        d->free_head = d->free_next[d->free_head];
    }
    d->num_free -= n;
    d->chain_n[head] = (uint16_t) n;
    return head;
}

static int
add_descs(struct virtq_driver *d, const struct virtq_driver_buf *bufs,
          unsigned n)
{
    int head = alloc_descs(d, n);
    if (head < 0) {
        return head;
    }
    uint16_t id = (uint16_t) head;
    for (unsigned i = 0; i < n; i++) {
        bool more = i + 1 < n;
        uint16_t flags = (uint16_t) ((bufs[i].write ? VIRTQ_DESC_F_WRITE : 0)
                                     | (more ? VIRTQ_DESC_F_NEXT : 0));
        uint16_t next = more ? d->free_next[id] : 0;
        virtq_driver_raw_desc(d, id, bufs[i].gpa, bufs[i].len, flags, next);
        id = next;
    }
    virtq_driver_raw_publish(d, (uint16_t) head);
    return head;
}

int
virtq_driver_add(struct virtq_driver *d, const struct virtq_driver_buf *bufs,
                 unsigned n)
{
    return add_descs(d, bufs, n);
}

int
virtq_driver_add_indirect(struct virtq_driver *d,
                          const struct virtq_driver_buf *bufs, unsigned n,
                          void *table_host, uint64_t table_gpa)
{
    if (!n || n > d->size) {
        return -EINVAL;
    }
    int head = alloc_descs(d, 1);
    if (head < 0) {
        return head;
    }
    struct virtq_desc *t = table_host;
    for (unsigned i = 0; i < n; i++) {
        struct virtq_desc e = {
            .addr = bufs[i].gpa,
            .len = bufs[i].len,
            .flags = (uint16_t) ((bufs[i].write ? VIRTQ_DESC_F_WRITE : 0)
                                 | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
            .next = (uint16_t) (i + 1 < n ? i + 1 : 0),
        };
        memcpy(&t[i], &e, sizeof e);
    }
    virtq_driver_raw_desc(d, (uint16_t) head, table_gpa, (uint32_t) (16 * n),
                          VIRTQ_DESC_F_INDIRECT, 0);
    virtq_driver_raw_publish(d, (uint16_t) head);
    return head;
}

/* §2.6.7.2 / §2.6.13.4 event window test (Linux vring_need_event). */
static bool
need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t) (new_idx - event - 1) < (uint16_t) (new_idx - old);
}

bool
virtq_driver_kick_needed(struct virtq_driver *d)
{
    /* avail->idx must be visible before we read the device's wish. */
    rsw_smp_mb();
    uint16_t old = d->kicked_avail, new_idx = d->avail_idx;
    d->kicked_avail = new_idx;
    if (old == new_idx) {
        return false;
    }
    if (d->event_idx) {
        return need_event(virtq_driver_avail_event(d), new_idx, old);
    }
    return !(virtq_driver_used_flags(d) & VIRTQ_USED_F_NO_NOTIFY);
}

static void
free_chain(struct virtq_driver *d, uint16_t head)
{
    uint16_t n = d->chain_n[head];
    uint16_t last = head;
    /* Descriptors were taken from the free list in list order: walk our
     * private links (never the shared table the device could see). */
    for (uint16_t i = 1; i < n; i++) {
        last = d->free_next[last];
    }
    d->free_next[last] = d->free_head;
    d->free_head = head;
    d->num_free += n;
    d->chain_n[head] = 0;
}

int
virtq_driver_get_used(struct virtq_driver *d, uint32_t *id, uint32_t *len)
{
    uint16_t used_idx = RSW_READ_ONCE(d->used->idx);
    uint16_t pending = (uint16_t) (used_idx - d->last_used_idx);
    if (!pending) {
        return 0;
    }
    if (pending > d->size) {
        return -EIO;
    }
    /* Elements were written before used->idx (§2.6.8.2). */
    rsw_smp_rmb();
    struct virtq_used_elem *e = &d->used->ring[d->last_used_idx & (d->size - 1)];
    uint32_t i = RSW_READ_ONCE(e->id);
    uint32_t l = RSW_READ_ONCE(e->len);
    if (i >= d->size || !d->chain_n[i]) {
        return -EIO;
    }
    d->last_used_idx++;
    free_chain(d, (uint16_t) i);
    *id = i;
    *len = l;
    return 1;
}

void
virtq_driver_set_interrupt_wanted(struct virtq_driver *d, bool wanted)
{
    if (d->event_idx) {
        if (wanted) {
            virtq_driver_raw_used_event(d, d->last_used_idx);
        }
    } else {
        uint16_t f = RSW_READ_ONCE(d->avail->flags);
        f = wanted ? f & ~VIRTQ_AVAIL_F_NO_INTERRUPT
                   : f | VIRTQ_AVAIL_F_NO_INTERRUPT;
        virtq_driver_raw_avail_flags(d, f);
    }
    rsw_smp_mb();
}

uint16_t
virtq_driver_used_idx(const struct virtq_driver *d)
{
    return RSW_READ_ONCE(d->used->idx);
}

uint16_t
virtq_driver_used_flags(const struct virtq_driver *d)
{
    return RSW_READ_ONCE(d->used->flags);
}

uint16_t
virtq_driver_avail_event(const struct virtq_driver *d)
{
    return RSW_READ_ONCE(*(const uint16_t *) &d->used->ring[d->size]);
}
