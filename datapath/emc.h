/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_EMC_H
#define RSW_EMC_H 1

/* Exact-match cache (EMC): the first lookup stage of a PMD thread.
 *
 * One EMC belongs to one PMD thread and is used by it alone (no locks, no
 * atomics on the cache itself).  It maps a complete flow key to the
 * datapath flow ("megaflow") that the classifier found for it last time, so
 * a packet of a known microflow costs one hash, one or two cache lines and
 * one key compare instead of a classifier search.
 *
 * Layout: a power-of-two array of entries {hash, key, dp_flow, generation}.
 * A key has two candidate slots, taken from different bits of its hash
 * (2-way set associative), so two hot flows whose first slot collides can
 * both stay cached.
 *
 * Insertion is probabilistic (like OVS's emc-insert-inv-prob, default one
 * insert per 100 misses): with many short flows, inserting every miss
 * thrashes the cache and costs a 152-byte copy per packet; a flow that
 * matters sends enough packets to get in soon.
 *
 * Invalidation without scanning.  Every datapath flow owns a 32-bit
 * generation word, which the EMC reads through a pointer given at insert
 * time.  The protocol (helpers below):
 *   - even value: the flow is live; odd value: it is dead;
 *   - killing a flow sets the low bit (emc_gen_kill());
 *   - memory that is recycled for a new flow (type-stable pools) advances
 *     the word to the next even value (emc_gen_revive()).
 * An entry remembers the (even) value seen at insert and hits only while
 * the word still holds it, so killing a megaflow makes every entry of every
 * PMD's EMC that points to it miss at once, and an insert that races with
 * the kill stores nothing (an odd value is never cached).
 *
 * Lifetime: an entry keeps a pointer to the generation word, so that memory
 * must stay readable while an EMC may hold it.  Either keep dp flows in
 * type-stable memory (never returned to the allocator while PMDs run), or
 * free a killed flow only after every PMD has finished one full pass of
 * emc_sweep() that began after the kill (emc_sweep_passes() advanced by 2
 * since the kill was published) or has called emc_flush().  The sweep also
 * recovers the slots of dead flows. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow.h"
#include "vhost/compiler.h"

#define EMC_DEFAULT_ENTRIES 8192
#define EMC_MAX_ENTRIES (1u << 24)
#define EMC_DEFAULT_INSERT_INV_PROB 100

struct emc;

/* Generation word helpers (see the protocol above).  The word may be read
 * by other threads' EMCs, hence the atomic accesses. */
static inline bool
emc_gen_is_live(uint32_t gen)
{
    return !(gen & 1);
}

static inline void
emc_gen_kill(uint32_t *gen)
{
    uint32_t g = __atomic_load_n(gen, __ATOMIC_RELAXED);

    __atomic_store_n(gen, g | 1, __ATOMIC_RELEASE);
}

static inline void
emc_gen_revive(uint32_t *gen)
{
    uint32_t g = __atomic_load_n(gen, __ATOMIC_RELAXED);

    __atomic_store_n(gen, (g | 1) + 1, __ATOMIC_RELEASE);
}

/* Creates an EMC with 'n_entries' slots (a power of two from 2 to
 * EMC_MAX_ENTRIES; 0 means EMC_DEFAULT_ENTRIES).  Returns 0, -EINVAL for a
 * bad size or -ENOMEM. */
int emc_create(uint32_t n_entries, struct emc **emcp) RSW_MUST_CHECK;
void emc_destroy(struct emc *);

/* Insertion happens on average once per 'inv_prob' calls of
 * emc_maybe_insert(); 1 inserts always, 0 disables insertion. */
void emc_set_insert_inv_prob(struct emc *, uint32_t inv_prob);
uint32_t emc_get_insert_inv_prob(const struct emc *);

/* Returns the dp flow cached for 'key' (whose flow_hash() is 'hash'), or
 * NULL if none or if that flow has been killed since. */
void *emc_lookup(const struct emc *, const struct flow *key, uint32_t hash);

/* Looks up keys[0..n-1] (n <= 32; NULL keys are skipped) whose
 * flow_hash() values are hashes[0..n-1]: prefetches every candidate slot
 * before comparing any, so the cache misses of a batch overlap.  Sets
 * results[i] to the dp flow or NULL; returns a bitmap of the hits. */
uint32_t emc_lookup_batch(const struct emc *, const struct flow *const keys[],
                          const uint32_t hashes[], size_t n, void *results[]);

/* Caches key -> dp_flow, where 'live_gen' points to dp_flow's generation
 * word.  Replaces the key's existing entry if any, else an empty or dead
 * slot, else one of the two candidates.  Does nothing if the flow is
 * already dead. */
void emc_insert(struct emc *, const struct flow *key, uint32_t hash,
                void *dp_flow, const uint32_t *live_gen);

/* emc_insert() with the configured probability; true if it inserted. */
bool emc_maybe_insert(struct emc *, const struct flow *key, uint32_t hash,
                      void *dp_flow, const uint32_t *live_gen);

/* Live entries emc_insert() replaced with another key since creation: an
 * EMC that evicts on most insertions is smaller than the traffic's
 * microflow set (a warming one fills empty slots instead). */
uint64_t emc_evictions(const struct emc *);
/* Entries emc_insert() wrote since creation. */
uint64_t emc_insertions(const struct emc *);

/* Empties every slot. */
void emc_flush(struct emc *);

/* Examines the next 'n' slots round-robin and empties those whose flow is
 * dead; returns how many it emptied.  Meant to run a few slots per PMD poll
 * iteration. */
size_t emc_sweep(struct emc *, size_t n);

/* Number of completed sweep passes over the whole cache. */
uint64_t emc_sweep_passes(const struct emc *);

uint32_t emc_n_entries(const struct emc *);

/* Slots holding a live flow (walks the whole cache: for stats, not for the
 * fast path). */
uint32_t emc_count(const struct emc *);

#endif
