/* SPDX-License-Identifier: Apache-2.0 */
/* Split virtqueue, device side, hardened against the driver.  The rules are
 * in virtq.h; each check below cites the virtio 1.1 section it enforces. */
#include "virtq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "guest_mem.h"

struct virtq {
    struct virtq_config cfg;
    const struct guest_mem *mem;
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    uint16_t mask;             /* size - 1 */
    uint16_t last_avail_idx;   /* next avail ring slot to read */
    uint16_t avail_idx_seen;   /* avail->idx as last read and checked:
                                  popping reads the driver's line again
                                  only once this is used up */
    uint16_t prefetched_idx;   /* virtq_prefetch_bufs() covered the heads
                                  before this one; meaningful only while
                                  in [last_avail_idx, avail_idx_seen] */
    uint16_t used_idx;         /* shadow: staged used elements */
    uint16_t used_published;   /* value last stored in used->idx */
    uint16_t signalled_used;   /* used->idx at the last notify decision */
    bool signalled_valid;      /* false until the first decision: then
                                  'signalled_used' says nothing about what
                                  the driver saw, so notify */
    bool broken;
    /* The guest region the last translation hit: descriptors of one
     * queue almost always point into the same region, so the lookup in
     * guest_mem's table is skipped.  Reset whenever 'mem' changes. */
    uint64_t tlb_gpa, tlb_size;
    uint8_t *tlb_host;
    struct virtq_stats stats;
};

static const char *const chain_error_names[VIRTQ_CHAIN_N_ERRORS] = {
    [VIRTQ_CHAIN_OK] = "ok",
    [VIRTQ_CHAIN_BAD_ADDR] = "bad-addr",
    [VIRTQ_CHAIN_BAD_NEXT] = "bad-next",
    [VIRTQ_CHAIN_TOO_LONG] = "too-long",
    [VIRTQ_CHAIN_BAD_INDIRECT] = "bad-indirect",
    [VIRTQ_CHAIN_BAD_ORDER] = "bad-order",
    [VIRTQ_CHAIN_TOO_MANY_IOV] = "too-many-iov",
};

const char *
virtq_chain_error_name(enum virtq_chain_error e)
{
    return (unsigned) e < VIRTQ_CHAIN_N_ERRORS ? chain_error_names[e]
                                               : "unknown";
}

/* The event-index words live right after each ring (§2.6.7, §2.6.8). */
static inline uint16_t *
used_event_ptr(struct virtq *q)
{
    return &q->avail->ring[q->cfg.size];
}

static inline uint16_t *
avail_event_ptr(struct virtq *q)
{
    return (uint16_t *) &q->used->ring[q->cfg.size];
}

/* Translates one ring part from a frontend virtual address, with its full
 * length and required alignment (§2.6 "Virtqueue Part" table).  The host
 * pointer is checked too: atomics on a misaligned pointer are undefined. */
static void *
map_ring_part(const struct guest_mem *mem, uint64_t uva, uint64_t len,
              uint64_t align)
{
    if (uva & (align - 1)) {
        return NULL;
    }
    void *p = guest_mem_uva_to_hva(mem, uva, len);
    if (p && ((uintptr_t) p & (align - 1))) {
        return NULL;
    }
    return p;
}

static int
map_rings(struct virtq *q, const struct guest_mem *mem)
{
    uint16_t n = q->cfg.size;
    struct virtq_desc *desc = map_ring_part(mem, q->cfg.desc_uva,
                                            virtq_desc_bytes(n), 16);
    struct virtq_avail *avail = map_ring_part(mem, q->cfg.avail_uva,
                                              virtq_avail_bytes(n), 2);
    struct virtq_used *used = map_ring_part(mem, q->cfg.used_uva,
                                            virtq_used_bytes(n), 4);
    if (!desc || !avail || !used) {
        return -EFAULT;
    }
    q->mem = mem;
    q->tlb_size = 0;
    q->desc = desc;
    q->avail = avail;
    q->used = used;
    return 0;
}

/* Without inflight tracking, every avail entry below used->idx was
 * consumed and none above it completed: a base other than used->idx (a
 * frontend replaying base 0 for a ring in use) is replaced by used->idx
 * when that one is consistent, used->idx <= avail->idx at most 'size'
 * apart (§2.6.6), as rte_vhost does.  Each shared index is read once. */
static void
resume_at_used(struct virtq *q)
{
    uint16_t used = RSW_READ_ONCE(q->used->idx);
    uint16_t avail = RSW_READ_ONCE(q->avail->idx);
    uint16_t base = q->last_avail_idx, size = q->cfg.size;

    /* A base that merely lies between used->idx and avail->idx is not
     * trusted either: a replayed 0 does whenever the ring's indices are
     * within a ring of a multiple of 2^16, and taken literally it skips
     * the chains in between, which are never completed (a full ring then
     * hangs the driver for good). */
    if (base == used || (uint16_t) (avail - used) > size) {
        return;     /* as configured; a hopeless ring breaks at first use */
    }
    q->last_avail_idx = q->avail_idx_seen = q->used_idx = used;
    q->used_published = q->signalled_used = used;
}

int
virtq_create(const struct virtq_config *cfg, const struct guest_mem *mem,
             struct virtq **out)
{
    *out = NULL;
    /* §2.6: Queue Size is a power of 2 no larger than 32768 (the uint16_t
     * type already bounds it; 0 is not a power of two). */
    if (!cfg->size || (cfg->size & (cfg->size - 1)) || !mem) {
        return -EINVAL;
    }
    struct virtq *q = calloc(1, sizeof *q);
    if (!q) {
        return -ENOMEM;
    }
    q->cfg = *cfg;
    q->mask = cfg->size - 1;
    q->last_avail_idx = cfg->last_avail_idx;
    q->avail_idx_seen = cfg->last_avail_idx;
    q->used_idx = cfg->used_idx;
    q->used_published = cfg->used_idx;
    q->signalled_used = cfg->used_idx;
    int err = map_rings(q, mem);
    if (err) {
        free(q);
        return err;
    }
    if (cfg->resume_at_used) {
        resume_at_used(q);
    }
    *out = q;
    return 0;
}

void
virtq_destroy(struct virtq *q)
{
    free(q);
}

static void
mark_broken(struct virtq *q)
{
    if (!q->broken) {
        q->broken = true;
        q->stats.broken++;
    }
}

int
virtq_remap(struct virtq *q, const struct guest_mem *mem)
{
    int err = mem ? map_rings(q, mem) : -EINVAL;
    if (err) {
        /* The old pointers may refer to memory about to be unmapped. */
        mark_broken(q);
    }
    return err;
}

/* guest_mem_gpa_span() through the one-entry cache above. */
static inline uint64_t
virtq_gpa_span(struct virtq *q, uint64_t gpa, uint64_t len, void **hva)
{
    uint64_t off = gpa - q->tlb_gpa;

    if (RSW_UNLIKELY(off >= q->tlb_size)) {
        if (!guest_mem_gpa_region(q->mem, gpa, &q->tlb_gpa, &q->tlb_size,
                                  &q->tlb_host)) {
            q->tlb_size = 0;
            *hva = NULL;
            return 0;
        }
        off = gpa - q->tlb_gpa;
    }
    uint64_t avail = q->tlb_size - off;
    *hva = q->tlb_host + off;
    return len < avail ? len : avail;
}

/* State of one chain walk. */
struct chain_walk {
    struct virtq *q;
    struct virtq_chain *c;
    bool seen_write;    /* a writable descriptor was seen, even empty */
};

/* Appends the buffer [addr, addr+len) to the chain, split at region
 * borders. */
static enum virtq_chain_error
chain_add_buf(struct chain_walk *w, uint64_t addr, uint32_t len,
              bool writable)
{
    struct virtq_chain *c = w->c;
    /* §2.6.4.2: the driver MUST place device-writable descriptors after
     * device-readable ones. */
    if (!writable && w->seen_write) {
        return VIRTQ_CHAIN_BAD_ORDER;
    }
    w->seen_write |= writable;
    if (!len) {
        return VIRTQ_CHAIN_OK;  /* legal, but nothing to transfer */
    }
    /* §2.6.5: addr is a guest physical address; all of it must be memory. */
    if (!guest_range_ok(addr, len)) {
        return VIRTQ_CHAIN_BAD_ADDR;
    }
    uint32_t *total = writable ? &c->in_len : &c->out_len;
    /* Totals are reported as uint32_t; a longer chain cannot be real. */
    if (*total + len < *total) {
        return VIRTQ_CHAIN_TOO_LONG;
    }
    uint64_t left = len;
    while (left) {
        void *hva;
        uint64_t n = virtq_gpa_span(w->q, addr, left, &hva);
        if (!n) {
            return VIRTQ_CHAIN_BAD_ADDR;
        }
        unsigned i = c->n_out + c->n_in;
        if (i >= VIRTQ_CHAIN_MAX_IOV) {
            return VIRTQ_CHAIN_TOO_MANY_IOV;
        }
        c->iov[i].iov_base = hva;
        c->iov[i].iov_len = (size_t) n;
        if (writable) {
            c->n_in++;
        } else {
            c->n_out++;
        }
        addr += n;
        left -= n;
    }
    *total += len;
    return VIRTQ_CHAIN_OK;
}

/* true if every byte of [addr, addr+len) is guest memory. */
static bool
range_mapped(const struct guest_mem *mem, uint64_t addr, uint64_t len)
{
    if (!guest_range_ok(addr, len)) {
        return false;
    }
    while (len) {
        void *hva;
        uint64_t n = guest_mem_gpa_span(mem, addr, len, &hva);
        if (!n) {
            return false;
        }
        addr += n;
        len -= n;
    }
    return true;
}

/* Walks an indirect table (§2.6.5.3).  'ind' is the descriptor in the main
 * table that points at it. */
static enum virtq_chain_error
walk_indirect(struct chain_walk *w, const struct virtq_desc *ind)
{
    struct virtq *q = w->q;
    /* §2.6.5.3.1: the driver MUST NOT set INDIRECT unless the feature was
     * negotiated, nor INDIRECT together with NEXT. */
    if (!q->cfg.indirect || (ind->flags & VIRTQ_DESC_F_NEXT)) {
        return VIRTQ_CHAIN_BAD_INDIRECT;
    }
    /* §2.6.5.3: the table is len / 16 descriptors; a table longer than the
     * queue is refused (as Linux and QEMU do) to bound the walk. */
    if (!ind->len || ind->len % sizeof(struct virtq_desc)
        || ind->len / sizeof(struct virtq_desc) > q->cfg.size) {
        return VIRTQ_CHAIN_BAD_INDIRECT;
    }
    /* The whole table must be memory, not just the entries we reach (as
     * Linux and QEMU map it whole). */
    if (!range_mapped(q->mem, ind->addr, ind->len)) {
        return VIRTQ_CHAIN_BAD_ADDR;
    }
    uint32_t count = ind->len / sizeof(struct virtq_desc);
    uint32_t idx = 0;
    for (uint32_t hops = 0; ; hops++) {
        /* §2.6.5.3.2: a chain inside the table cannot be longer than it. */
        if (hops >= count) {
            return VIRTQ_CHAIN_TOO_LONG;
        }
        /* One copy per entry: the table may cross regions and the driver
         * may rewrite it while we look. */
        struct virtq_desc d;
        if (guest_mem_read(q->mem, ind->addr + 16ull * idx, &d, sizeof d)) {
            return VIRTQ_CHAIN_BAD_ADDR;
        }
        /* §2.6.5.3.1: the driver MUST NOT set INDIRECT inside a table. */
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            return VIRTQ_CHAIN_BAD_INDIRECT;
        }
        enum virtq_chain_error e =
            chain_add_buf(w, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE);
        if (e != VIRTQ_CHAIN_OK || !(d.flags & VIRTQ_DESC_F_NEXT)) {
            return e;
        }
        /* §2.6.5.3: next indexes the table itself. */
        if (d.next >= count) {
            return VIRTQ_CHAIN_BAD_NEXT;
        }
        idx = d.next;
    }
}

/* One read of each field of a table descriptor: the copy is what we check
 * and use.  The table is 16-byte aligned (checked at setup), so each field
 * is naturally aligned for the atomic loads. */
static RSW_ALWAYS_INLINE void
read_desc(const struct virtq_desc *src, struct virtq_desc *d)
{
    d->addr = RSW_READ_ONCE(src->addr);
    d->len = RSW_READ_ONCE(src->len);
    d->flags = RSW_READ_ONCE(src->flags);
    d->next = RSW_READ_ONCE(src->next);
}

static enum virtq_chain_error
walk_chain(struct virtq *q, struct virtq_chain *c)
{
    struct chain_walk w = { .q = q, .c = c, .seen_write = false };
    uint16_t idx = c->head;
    for (uint32_t hops = 0; ; hops++) {
        /* §2.6.5: a chain has at most Queue Size descriptors; more means a
         * loop. */
        if (hops >= q->cfg.size) {
            return VIRTQ_CHAIN_TOO_LONG;
        }
        struct virtq_desc d;
        read_desc(&q->desc[idx], &d);
        enum virtq_chain_error e;
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            /* §2.6.5.3.2: the device ignores WRITE on the table pointer;
             * an indirect descriptor without NEXT ends the chain. */
            return walk_indirect(&w, &d);
        }
        e = chain_add_buf(&w, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE);
        if (e != VIRTQ_CHAIN_OK || !(d.flags & VIRTQ_DESC_F_NEXT)) {
            return e;
        }
        /* §2.6.5: next must index the descriptor table. */
        if (d.next >= q->cfg.size) {
            return VIRTQ_CHAIN_BAD_NEXT;
        }
        idx = d.next;
    }
}

/* Reads avail->idx -- a line the driver's core writes -- and returns how
 * many chains are pending, or -EIO (queue marked broken) if the driver
 * claims more than it can have.  Every later pop up to that index uses the
 * remembered value: one read of the contended line per burst, not one per
 * chain. */
static int
avail_refresh(struct virtq *q)
{
    uint16_t avail_idx = RSW_READ_ONCE(q->avail->idx);
    uint16_t pending = (uint16_t) (avail_idx - q->last_avail_idx);

    /* §2.6.6: the driver can only have made 'size' buffers available ahead
     * of us; a bigger jump is a broken or hostile driver. */
    if (pending > q->cfg.size) {
        mark_broken(q);
        return -EIO;
    }
    /* The ring entries and descriptors were written before avail->idx. */
    rsw_smp_rmb();
    q->avail_idx_seen = avail_idx;
    return pending;
}

/* PREFETCHW: asks for the line in a writable state now, so the store that
 * follows finds it owned instead of waiting in the store buffer for the
 * other core to give it up (a NOP on x86 CPUs without it). */
static inline void
prefetch_for_write(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("prefetchw %0" : : "m"(*(const char *) p));
#else
    __builtin_prefetch(p, 1, 3);
#endif
}

/* The used-ring slots the next 'n' pushes will write: 8 per line. */
static void
prefetch_used_slots(const struct virtq *q, unsigned n)
{
    if (!n) {
        return;
    }
    for (unsigned i = 0; i < n; i += 8) {
        prefetch_for_write(&q->used->ring[(uint16_t) (q->used_idx + i)
                                          & q->mask]);
    }
    prefetch_for_write(&q->used->ring[(uint16_t) (q->used_idx + n - 1)
                                      & q->mask]);
}

/* How many of the next 'n' chains are known to be pending, reading
 * avail->idx only if fewer than 'n' are; 0 on a broken queue. */
static uint16_t
avail_pending_upto(struct virtq *q, unsigned n)
{
    if (q->broken) {
        return 0;
    }
    uint16_t pending = (uint16_t) (q->avail_idx_seen - q->last_avail_idx);
    if (pending < n) {
        int r = avail_refresh(q);
        pending = r > 0 ? (uint16_t) r : 0;
    }
    return n < pending ? (uint16_t) n : pending;
}

void
virtq_prefetch_avail(struct virtq *q, unsigned n)
{
    n = avail_pending_upto(q, n);
    for (uint16_t i = 0; i < n; i++) {
        uint16_t slot = (uint16_t) (q->last_avail_idx + i) & q->mask;
        uint16_t head = RSW_READ_ONCE(q->avail->ring[slot]);
        if (head < q->cfg.size) {
            __builtin_prefetch(&q->desc[head]);
        }
    }
    prefetch_used_slots(q, n);
}

void
virtq_prefetch_bufs(struct virtq *q, unsigned n, uint32_t skip,
                    bool for_write)
{
    n = avail_pending_upto(q, n);
    /* Heads an earlier call covered (the look-ahead after the last batch)
     * are not read again; a stale mark (the queue was reset, or it is
     * past what is pending) covers nothing. */
    uint16_t done = (uint16_t) (q->prefetched_idx - q->last_avail_idx);
    if (done > (uint16_t) (q->avail_idx_seen - q->last_avail_idx)) {
        done = 0;
    }
    if (done < n) {
        q->prefetched_idx = (uint16_t) (q->last_avail_idx + n);
    }
    /* Independent loads: the descriptor misses overlap one another. */
    for (uint16_t i = done; i < n; i++) {
        uint16_t slot = (uint16_t) (q->last_avail_idx + i) & q->mask;
        uint16_t head = RSW_READ_ONCE(q->avail->ring[slot]);
        if (head >= q->cfg.size) {
            continue;           /* virtq_pop refuses it */
        }
        uint64_t addr = RSW_READ_ONCE(q->desc[head].addr);
        uint32_t len = RSW_READ_ONCE(q->desc[head].len);
        uint16_t flags = RSW_READ_ONCE(q->desc[head].flags);
        void *hva;
        if ((flags & VIRTQ_DESC_F_INDIRECT) || !guest_range_ok(addr, len)) {
            continue;
        }
        if (len <= skip) {
            continue;
        }
        len -= skip;
        uint64_t span = virtq_gpa_span(q, addr + skip, len < 64 ? len : 64,
                                       &hva);
        if (!span) {
            continue;
        }
        bool two = ((uintptr_t) hva & 63) + span > 64;
        void *first;
        if (for_write && skip && virtq_gpa_span(q, addr, 1, &first)
            && ((uintptr_t) first >> 6) != ((uintptr_t) hva >> 6)) {
            /* The header's own line is read first and usually not
             * written (virtio_net_hdr_store): asking for it writable
             * would take it from the driver for nothing. */
            __builtin_prefetch(first);
        }
        if (for_write) {
            prefetch_for_write(hva);
            if (two) {
                prefetch_for_write((const uint8_t *) hva + 64);
            }
        } else {
            __builtin_prefetch(hva);
            if (two) {
                __builtin_prefetch((const uint8_t *) hva + 64);
            }
        }
    }
    prefetch_used_slots(q, n);
}

/* The next head, checked (§2.6.6), reading avail->idx only when the
 * known pending chains are used up; 1 with *head set (not consumed), 0 if
 * none is pending, -EIO if the queue is (now) broken. */
static RSW_ALWAYS_INLINE int
peek_head(struct virtq *q, uint16_t *head)
{
    if (q->broken) {
        return -EIO;
    }
    uint16_t pending = (uint16_t) (q->avail_idx_seen - q->last_avail_idx);
    if (!pending) {
        int r = avail_refresh(q);
        if (r <= 0) {
            return r;
        }
    } else if (pending > q->cfg.size) {
        /* Only after virtq_unpop() of chains popped before the last
         * refresh: the same §2.6.6 bound as avail_refresh(). */
        mark_broken(q);
        return -EIO;
    }
    *head = RSW_READ_ONCE(q->avail->ring[q->last_avail_idx & q->mask]);
    /* §2.6.6: ring entries are descriptor heads, < Queue Size. */
    if (*head >= q->cfg.size) {
        mark_broken(q);
        return -EIO;
    }
    return 1;
}

/* One direct descriptor with bytes, all inside one guest region: the
 * shape DPDK and Linux post for most packets, taken without the chain
 * walk (§2.6.5: a chain of one; the same address checks as
 * chain_add_buf).  false: walk it. */
static bool
desc_one_buf(struct virtq *q, const struct virtq_desc *d, void **hva)
{
    if ((d->flags & (VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_INDIRECT)) || !d->len
        || !guest_range_ok(d->addr, d->len)) {
        return false;
    }
    return virtq_gpa_span(q, d->addr, d->len, hva) == d->len;
}

int
virtq_pop_one_buf(struct virtq *q, bool writable, struct virtq_buf *b)
{
    uint16_t head;
    int r = peek_head(q, &head);
    if (r <= 0) {
        return r;
    }
    struct virtq_desc d;
    void *hva;
    read_desc(&q->desc[head], &d);
    /* Another shape or direction goes to virtq_pop(), which owns every
     * refusal and its counter. */
    if (!!(d.flags & VIRTQ_DESC_F_WRITE) != writable
        || !desc_one_buf(q, &d, &hva)) {
        return -EAGAIN;
    }
    q->last_avail_idx++;
    q->stats.chains++;
    b->head = head;
    b->len = d.len;
    b->hva = hva;
    return 1;
}

unsigned
virtq_pop_bufs(struct virtq *q, bool writable, struct virtq_buf *b,
               unsigned n)
{
    unsigned got = 0;

    while (got < n && virtq_pop_one_buf(q, writable, &b[got]) > 0) {
        got++;
    }
    return got;
}

int
virtq_pop(struct virtq *q, struct virtq_chain *chain)
{
    uint16_t head;
    int r = peek_head(q, &head);
    if (r <= 0) {
        return r;
    }
    q->last_avail_idx++;
    chain->head = head;
    struct virtq_desc d;
    void *hva;
    read_desc(&q->desc[head], &d);
    if (RSW_LIKELY(desc_one_buf(q, &d, &hva))) {
        bool in = d.flags & VIRTQ_DESC_F_WRITE;
        chain->n_out = !in;
        chain->n_in = in;
        chain->out_len = in ? 0 : d.len;
        chain->in_len = in ? d.len : 0;
        chain->iov[0].iov_base = hva;
        chain->iov[0].iov_len = d.len;
        chain->error = VIRTQ_CHAIN_OK;
        q->stats.chains++;
        return 1;
    }
    chain->n_out = chain->n_in = 0;
    chain->out_len = chain->in_len = 0;
    chain->error = walk_chain(q, chain);
    if (chain->error == VIRTQ_CHAIN_OK) {
        q->stats.chains++;
    } else {
        q->stats.chain_errors[chain->error]++;
        chain->n_out = chain->n_in = 0;
        chain->out_len = chain->in_len = 0;
    }
    return 1;
}

uint16_t
virtq_avail_count(struct virtq *q)
{
    if (q->broken) {
        return 0;
    }
    /* Always the driver's current index: callers use this to re-check
     * after enabling kicks (§2.6.8.2), which a remembered value would
     * defeat. */
    uint16_t avail_idx = RSW_READ_ONCE(q->avail->idx);
    uint16_t n = (uint16_t) (avail_idx - q->last_avail_idx);
    if (n > q->cfg.size) {
        return 0;
    }
    rsw_smp_rmb();
    q->avail_idx_seen = avail_idx;
    return n;
}

void
virtq_unpop(struct virtq *q, uint16_t n)
{
    q->last_avail_idx -= n;
    q->stats.chains -= n <= q->stats.chains ? n : q->stats.chains;
}

void
virtq_push_used(struct virtq *q, uint16_t head, uint32_t len)
{
    /* A broken queue is never written again (virtq.h). */
    if (q->broken) {
        return;
    }
    struct virtq_used_elem *e = &q->used->ring[q->used_idx & q->mask];
    /* One 8-byte store for id and len (§2.6.8: le32 id, then le32 len):
     * half the store-buffer entries for a line the driver reads.  The
     * ring is only 4-byte aligned (§2.6), hence memcpy.  The driver reads
     * the element only after the used->idx store that publishes it. */
    uint64_t elem = (uint64_t) head | ((uint64_t) len << 32);
    memcpy(e, &elem, sizeof elem);
    q->used_idx++;
}

void
virtq_flush_used(struct virtq *q)
{
    if (q->broken || q->used_idx == q->used_published) {
        return;
    }
    /* §2.6.8.2: the used elements must be visible before the index that
     * publishes them. */
    rsw_smp_wmb();
    RSW_WRITE_ONCE(q->used->idx, q->used_idx);
    q->used_published = q->used_idx;
}

/* virtio 1.1 §2.6.7.2 (same formula as Linux's vring_need_event): notify if
 * 'event' lies in the window (old, new_idx]. */
static inline bool
vring_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t) (new_idx - event - 1) < (uint16_t) (new_idx - old);
}

bool
virtq_should_notify(struct virtq *q)
{
    if (q->broken) {
        return false;
    }
    /* §2.6.7.2: used->idx must be visible before we read the driver's
     * suppression state, or we could miss the interrupt it wants. */
    rsw_smp_mb();
    uint16_t old = q->signalled_used, new_idx = q->used_published;
    bool valid = q->signalled_valid;
    q->signalled_used = new_idx;
    q->signalled_valid = true;
    if (old == new_idx) {
        return false;   /* nothing published since the last decision */
    }
    if (q->cfg.event_idx) {
        uint16_t event = RSW_READ_ONCE(*used_event_ptr(q));
        return !valid || vring_need_event(event, new_idx, old);
    }
    /* §2.6.7.2 without EVENT_IDX: flags is only a hint, honoured. */
    return !(RSW_READ_ONCE(q->avail->flags) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

void
virtq_flush_and_notify(struct virtq *q)
{
    virtq_flush_used(q);
    if (q->broken || q->signalled_used == q->used_published) {
        return;     /* nothing new for the driver: neither sent nor saved */
    }
    if (!virtq_should_notify(q)) {
        q->stats.notifies_suppressed++;
        return;
    }
    q->stats.notifies++;
    if (q->cfg.call_fd >= 0) {
        uint64_t one = 1;
        /* EAGAIN means the counter is saturated: the driver will be woken
         * anyway, so a failed write loses nothing. */
        if (write(q->cfg.call_fd, &one, sizeof one) < 0) {
            return;
        }
    }
}

void
virtq_set_kick_wanted(struct virtq *q, bool wanted)
{
    if (q->broken) {
        return;
    }
    if (q->cfg.event_idx) {
        /* §2.6.8.2 with EVENT_IDX: the driver kicks once avail->idx passes
         * avail_event; flags are ignored.  Disabling needs no write: the
         * stale index is simply never reached again soon. */
        if (wanted) {
            RSW_WRITE_ONCE(*avail_event_ptr(q), q->last_avail_idx);
        }
    } else {
        uint16_t flags = RSW_READ_ONCE(q->used->flags);
        flags = wanted ? flags & ~VIRTQ_USED_F_NO_NOTIFY
                       : flags | VIRTQ_USED_F_NO_NOTIFY;
        RSW_WRITE_ONCE(q->used->flags, flags);
    }
    /* The caller re-checks avail after enabling kicks: order the store
     * above before that load (§2.6.8.2). */
    rsw_smp_mb();
}

bool
virtq_is_broken(const struct virtq *q)
{
    return q->broken;
}

uint16_t
virtq_last_avail_idx(const struct virtq *q)
{
    return q->last_avail_idx;
}

uint16_t
virtq_size(const struct virtq *q)
{
    return q->cfg.size;
}

const void *
virtq_desc_hva(const struct virtq *q)
{
    return q->desc;
}

const struct virtq_stats *
virtq_get_stats(const struct virtq *q)
{
    return &q->stats;
}

void
virtq_iov_read(const struct iovec *iov, unsigned n, size_t skip, void *dst_,
           size_t len)
{
    uint8_t *dst = dst_;
    for (unsigned i = 0; i < n && len; i++) {
        size_t l = iov[i].iov_len;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        size_t c = l - skip < len ? l - skip : len;
        memcpy(dst, (const uint8_t *) iov[i].iov_base + skip, c);
        dst += c;
        len -= c;
        skip = 0;
    }
}
