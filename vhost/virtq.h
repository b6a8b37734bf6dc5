/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VIRTQ_H
#define RSW_VIRTQ_H 1

/* Split virtqueue, device side (virtio 1.1 §2.6), hardened against the
 * driver.
 *
 * The driver (a guest, or a DPDK virtio-user frontend) owns the descriptor
 * table and the available ring and may rewrite them at any moment, including
 * while we read them.  The rules this module keeps:
 *
 *  - Every shared field is read once into a local copy (RSW_READ_ONCE or a
 *    memcpy of a whole descriptor), and only the copy is validated and used.
 *  - avail->idx may not run ahead of our last_avail_idx by more than the
 *    queue size (§2.6.6), and a head index must be < queue size (§2.6.6);
 *    either violation means the driver is broken or hostile: the queue is
 *    marked broken and never touched again until it is re-initialised.  Other
 *    queues of the same device are unaffected.
 *  - A chain walk counts hops: at most 'size' descriptors in the table, at
 *    most the indirect table's own length inside it (§2.6.5.3), so a loop or
 *    an over-long chain ends with an error instead of spinning.
 *  - Indirect tables: length a non-zero multiple of 16 bytes, at most 'size'
 *    entries, INDIRECT not combined with NEXT and never nested (§2.6.5.3.1);
 *    each entry read once.
 *  - Device-readable descriptors come before device-writable ones
 *    (§2.6.4.2); a readable descriptor after a writable one is an error.
 *  - Buffer addresses are translated with their length; a buffer that crosses
 *    into another region is split into several iovecs.
 *
 * A chain that breaks a per-chain rule (bad address, loop, bad indirect
 * table...) is not fatal for the queue: virtq_pop() reports the head so the
 * caller can return it to the driver with length 0 and count the drop.
 *
 * Ring memory itself is translated once, when the queue is set up, from
 * frontend virtual addresses (vhost-user SET_VRING_ADDR) and with its full
 * length checked, including the event-index words.
 *
 * Threading: one thread uses a queue at a time.  Barriers: acquire after
 * reading avail->idx (before reading ring entries and descriptors), release
 * before publishing used->idx, full barrier between publishing used->idx and
 * reading used_event/flags for notification suppression (§2.6.7, §2.6.8).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "compiler.h"

struct guest_mem;

/* virtio 1.1 §2.6.5 */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
/* §2.6.7, §2.6.8 */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

#define VIRTQ_MAX_SIZE 32768 /* §2.6: queue size is a power of 2, <= 32768 */

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[]; /* size entries, then used_event */
};
struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};
struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[]; /* size entries, then avail_event */
};

/* Bytes each part of a split ring occupies for queue size n (§2.6). */
static inline uint64_t virtq_desc_bytes(uint32_t n) { return 16ull * n; }
static inline uint64_t virtq_avail_bytes(uint32_t n) { return 6ull + 2ull * n; }
static inline uint64_t virtq_used_bytes(uint32_t n) { return 6ull + 8ull * n; }

/* Maximum iovecs one chain may produce (after splitting at region borders).
 * Linux virtio-net uses at most MAX_SKB_FRAGS + 2 descriptors per packet. */
#define VIRTQ_CHAIN_MAX_IOV 64

/* Why a chain was refused; the caller maps these to its drop counters. */
enum virtq_chain_error {
    VIRTQ_CHAIN_OK = 0,
    VIRTQ_CHAIN_BAD_ADDR,     /* buffer (or indirect table) outside memory */
    VIRTQ_CHAIN_BAD_NEXT,     /* next index >= size */
    VIRTQ_CHAIN_TOO_LONG,     /* hop limit hit: loop or chain > size */
    VIRTQ_CHAIN_BAD_INDIRECT, /* bad length, nested, INDIRECT|NEXT */
    VIRTQ_CHAIN_BAD_ORDER,    /* readable after writable */
    VIRTQ_CHAIN_TOO_MANY_IOV, /* more than VIRTQ_CHAIN_MAX_IOV pieces */
    VIRTQ_CHAIN_N_ERRORS
};
const char *virtq_chain_error_name(enum virtq_chain_error);

/* One popped descriptor chain, translated into host iovecs: iov[0..n_out)
 * are device-readable, iov[n_out..n_out+n_in) device-writable. */
struct virtq_chain {
    uint16_t head;
    uint16_t n_out, n_in;
    uint32_t out_len, in_len; /* total bytes, each <= UINT32_MAX */
    enum virtq_chain_error error;
    struct iovec iov[VIRTQ_CHAIN_MAX_IOV];
};

/* Device-side per-queue counters. */
struct virtq_stats {
    uint64_t chains;                              /* popped OK */
    uint64_t chain_errors[VIRTQ_CHAIN_N_ERRORS];  /* popped, refused */
    uint64_t broken;                              /* times marked broken */
    uint64_t notifies, notifies_suppressed;
};

struct virtq_config {
    uint16_t size;       /* power of two, 1..32768 */
    uint64_t desc_uva, avail_uva, used_uva; /* frontend virtual addresses */
    uint16_t last_avail_idx; /* SET_VRING_BASE */
    uint16_t used_idx;       /* normally == last_avail_idx at start */
    bool event_idx;          /* VIRTIO_RING_F_EVENT_IDX negotiated */
    bool indirect;           /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
    int call_fd;             /* eventfd to signal the driver, or -1; not owned */
    /* Start at the ring's own used->idx instead of the two indices above
     * when those are inconsistent with the ring (see virtq_create). */
    bool resume_at_used;
};

struct virtq;

/* Translates and validates the ring addresses against 'mem' (full lengths,
 * alignment 16/2/4 per §2.6 table), size a power of two.  -EINVAL / -EFAULT.
 *
 * With 'resume_at_used', a configured position other than the ring's
 * used->idx is replaced by used->idx, if used->idx <= avail->idx (modulo
 * 2^16, at most 'size' apart, §2.6.6).  Without
 * inflight tracking every avail entry below used->idx was consumed, so that
 * is where the previous device stopped.  DPDK virtio-user in server mode
 * needs it: when the backend restarts, it replays a ring in use with
 * SET_VRING_BASE 0 (rte_vhost and libvhost-user resynchronise from used->idx
 * too).  The driver controls all three indices anyway: nothing new is
 * trusted. */
int virtq_create(const struct virtq_config *, const struct guest_mem *mem,
                 struct virtq **out) RSW_MUST_CHECK;
void virtq_destroy(struct virtq *);

/* Rebinds to a new memory table after SET_MEM_TABLE (same uva addresses,
 * re-translated).  On error the queue is left broken. */
int virtq_remap(struct virtq *, const struct guest_mem *mem) RSW_MUST_CHECK;

/* Prefetches the descriptors of up to 'n' of the next available heads, so
 * the pops that follow do not each wait for a cache line the driver's core
 * wrote.  Reads avail->idx only if fewer than 'n' chains are known to be
 * pending; the pops that follow use the value read (a bad index marks the
 * queue broken, as virtq_pop would).  Heads out of range are skipped
 * (virtq_pop refuses them). */
void virtq_prefetch_avail(struct virtq *, unsigned n);
/* One step further: reads the next 'n' head descriptors and prefetches
 * the lines holding bytes [skip, skip + 64) of each head buffer, for
 * writing if 'for_write' (the device fills it: virtio-net RX; then the
 * line of byte 0, the header, if another, is prefetched for reading).  Both functions also prefetch for
 * writing the used slots the next pushes fill.  Descriptors that are bad,
 * indirect or outside guest memory are skipped here and refused by
 * virtq_pop. */
void virtq_prefetch_bufs(struct virtq *, unsigned n, uint32_t skip,
                         bool for_write);

/* Pops the next available chain.  Returns 1 with *chain filled (check
 * chain->error: non-OK means "return chain->head used with len 0 and count a
 * drop"), 0 if nothing is available, -EIO if the queue is (now) broken. */
int virtq_pop(struct virtq *, struct virtq_chain *chain) RSW_MUST_CHECK;
/* One buffer: the common chain, a single direct descriptor. */
struct virtq_buf {
    void *hva;
    uint32_t len;
    uint16_t head;
};
/* Pops the next chain if it is exactly one direct descriptor of the given
 * direction (device-writable if 'writable'), non-empty and inside one
 * guest region: 1 with *b filled.  0 if nothing is available, -EIO if the
 * queue is (now) broken, -EAGAIN if the chain has any other shape: nothing
 * is consumed and virtq_pop() must take it (and refuse it if bad).  The
 * fast path for the one-descriptor packets DPDK and Linux post. */
int virtq_pop_one_buf(struct virtq *, bool writable, struct virtq_buf *b)
    RSW_MUST_CHECK;
/* Pops up to 'n' such one-buffer chains into b[], stopping at the first
 * that is not one (or at a broken or empty queue, which virtq_pop() then
 * reports); returns how many.  One call per burst for the usual case. */
unsigned virtq_pop_bufs(struct virtq *, bool writable, struct virtq_buf *b,
                        unsigned n) RSW_MUST_CHECK;
/* Number of chains the driver has made available (0 if broken/hostile). */
uint16_t virtq_avail_count(struct virtq *);
/* Un-pops the last 'n' chains (they will be returned again by virtq_pop);
 * used by mergeable RX when a packet doesn't fit in what is available. */
void virtq_unpop(struct virtq *, uint16_t n);

/* Stages a used element; becomes visible at virtq_flush_used(). */
void virtq_push_used(struct virtq *, uint16_t head, uint32_t len);
/* Publishes staged used elements (release barrier before used->idx). */
void virtq_flush_used(struct virtq *);
/* After a flush: does the driver want an interrupt (EVENT_IDX or
 * NO_INTERRUPT rules, §2.6.7.2)?  Full barrier inside. */
bool virtq_should_notify(struct virtq *);
/* Flush, then signal call_fd if the driver asked for it. */
void virtq_flush_and_notify(struct virtq *);
/* Asks the driver not to kick us (poll mode) or to kick again.  With
 * EVENT_IDX "again" means once avail->idx passes the current last_avail_idx;
 * after enabling, re-check virtq_avail_count() before sleeping (a buffer
 * made available just before the write would not be kicked). */
void virtq_set_kick_wanted(struct virtq *, bool wanted);

/* Copies 'len' bytes, starting 'skip' bytes into iov[0..n), to 'dst' (a
 * chain's iovecs are not contiguous).  The caller has checked that the
 * iovecs hold skip + len bytes; fewer bytes are copied if they don't. */
void virtq_iov_read(const struct iovec *iov, unsigned n, size_t skip,
                    void *dst, size_t len);

bool virtq_is_broken(const struct virtq *);
uint16_t virtq_last_avail_idx(const struct virtq *); /* for GET_VRING_BASE */
uint16_t virtq_size(const struct virtq *);
/* Host address of the mapped descriptor table (for NUMA placement). */
const void *virtq_desc_hva(const struct virtq *);
const struct virtq_stats *virtq_get_stats(const struct virtq *);

#endif
