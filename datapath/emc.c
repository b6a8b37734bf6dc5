/* SPDX-License-Identifier: Apache-2.0 */
/* Exact-match cache; see emc.h for the design. */
#include "emc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* 24 bytes of tag and 152 of key, padded to three whole cache lines so that
 * a lookup's prefetches cover exactly the entry (emc_prefetch_entry). */
#define EMC_LINE 64
struct emc_entry {
    uint32_t hash;
    uint32_t gen;               /* even generation seen at insert */
    void *dp_flow;              /* NULL: empty slot */
    const uint32_t *live_gen;   /* dp_flow's generation word */
    struct flow key;
} __attribute__((aligned(EMC_LINE)));

struct emc {
    struct emc_entry *entries;
    uint32_t mask;              /* n_entries - 1 */
    uint32_t inv_prob;          /* 0: never insert */
    uint32_t insert_threshold;  /* insert if prng() <= this */
    uint32_t prng;              /* xorshift32 state, never 0 */
    uint32_t sweep_pos;
    uint64_t sweep_passes;
    uint64_t insertions, evictions;
};

/* Marsaglia's xorshift32: a few cycles, and the insertion decision needs
 * no better randomness. */
static inline uint32_t
emc_prng(struct emc *emc)
{
    uint32_t x = emc->prng;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    emc->prng = x;
    return x;
}

int
emc_create(uint32_t n_entries, struct emc **emcp)
{
    struct emc *emc;

    *emcp = NULL;
    if (!n_entries) {
        n_entries = EMC_DEFAULT_ENTRIES;
    }
    if (n_entries < 2 || n_entries > EMC_MAX_ENTRIES
        || (n_entries & (n_entries - 1))) {
        return -EINVAL;
    }
    emc = calloc(1, sizeof *emc);
    if (!emc) {
        return -ENOMEM;
    }
    size_t bytes = (size_t) n_entries * sizeof *emc->entries;
    emc->entries = aligned_alloc(64, (bytes + 63) & ~(size_t) 63);
    if (!emc->entries) {
        free(emc);
        return -ENOMEM;
    }
    memset(emc->entries, 0, bytes);
    emc->mask = n_entries - 1;
    emc->prng = 0x9e3779b9u ^ (uint32_t) (uintptr_t) emc;
    if (!emc->prng) {
        emc->prng = 1;
    }
    emc_set_insert_inv_prob(emc, EMC_DEFAULT_INSERT_INV_PROB);
    *emcp = emc;
    return 0;
}

void
emc_destroy(struct emc *emc)
{
    if (emc) {
        free(emc->entries);
        free(emc);
    }
}

void
emc_set_insert_inv_prob(struct emc *emc, uint32_t inv_prob)
{
    emc->inv_prob = inv_prob;
    emc->insert_threshold = inv_prob ? UINT32_MAX / inv_prob : 0;
}

uint32_t
emc_get_insert_inv_prob(const struct emc *emc)
{
    return emc->inv_prob;
}

/* The second candidate uses the hash's other half, so keys colliding in
 * their first slot usually differ in their second. */
static inline uint32_t
emc_slot2(const struct emc *emc, uint32_t hash)
{
    return ((hash >> 16) | (hash << 16)) & emc->mask;
}

static inline bool
emc_entry_live(const struct emc_entry *e)
{
    return e->dp_flow
           && __atomic_load_n(e->live_gen, __ATOMIC_RELAXED) == e->gen;
}

static inline bool
emc_entry_matches(const struct emc_entry *e, const struct flow *key,
                  uint32_t hash)
{
    return e->hash == hash && e->dp_flow && flow_equal(&e->key, key);
}

void *
emc_lookup(const struct emc *emc, const struct flow *key, uint32_t hash)
{
    const struct emc_entry *e = &emc->entries[hash & emc->mask];

    if (emc_entry_matches(e, key, hash)) {
        return emc_entry_live(e) ? e->dp_flow : NULL;
    }
    e = &emc->entries[emc_slot2(emc, hash)];
    if (emc_entry_matches(e, key, hash) && emc_entry_live(e)) {
        return e->dp_flow;
    }
    return NULL;
}

static inline void
emc_prefetch_entry(const struct emc_entry *e)
{
    for (size_t off = 0; off < sizeof *e; off += EMC_LINE) {
        __builtin_prefetch((const char *) e + off);
    }
}

/* A lookup waits on up to three lines: the entry's, its key's, and the
 * flow's generation word, which only the entry names.  Asked for one at a
 * time they were two serial misses per packet once the entries outgrow
 * L2 (a thousand flows), so the batch asks in rounds: every first slot;
 * then, where the first slot's tag agrees, its flow's generation word
 * (the line the datapath reads the actions from next), else the second
 * slot; then the checks themselves. */
uint32_t
emc_lookup_batch(const struct emc *emc, const struct flow *const keys[],
                 const uint32_t hashes[], size_t n, void *results[])
{
    uint32_t hits = 0;

    n = n < 32 ? n : 32;
    for (size_t i = 0; i < n; i++) {
        if (keys[i]) {
            emc_prefetch_entry(&emc->entries[hashes[i] & emc->mask]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!keys[i]) {
            continue;
        }
        const struct emc_entry *e = &emc->entries[hashes[i] & emc->mask];
        if (e->hash == hashes[i] && e->dp_flow) {
            __builtin_prefetch(e->live_gen);
        } else {
            emc_prefetch_entry(&emc->entries[emc_slot2(emc, hashes[i])]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        results[i] = keys[i] ? emc_lookup(emc, keys[i], hashes[i]) : NULL;
        hits |= (uint32_t) (results[i] != NULL) << i;
    }
    return hits;
}

static void
emc_entry_set(struct emc_entry *e, const struct flow *key, uint32_t hash,
              void *dp_flow, const uint32_t *live_gen, uint32_t gen)
{
    if (!e->dp_flow || !flow_equal(&e->key, key)) {
        e->key = *key;
    }
    e->hash = hash;
    e->dp_flow = dp_flow;
    e->live_gen = live_gen;
    e->gen = gen;
}

void
emc_insert(struct emc *emc, const struct flow *key, uint32_t hash,
           void *dp_flow, const uint32_t *live_gen)
{
    struct emc_entry *e1 = &emc->entries[hash & emc->mask];
    struct emc_entry *e2 = &emc->entries[emc_slot2(emc, hash)];
    uint32_t gen = __atomic_load_n(live_gen, __ATOMIC_ACQUIRE);
    struct emc_entry *victim;

    if (!dp_flow || !emc_gen_is_live(gen)) {
        return;
    }
    if (emc_entry_matches(e1, key, hash)) {
        victim = e1;
    } else if (emc_entry_matches(e2, key, hash)) {
        victim = e2;
    } else if (!emc_entry_live(e1)) {
        victim = e1;
    } else if (!emc_entry_live(e2)) {
        victim = e2;
    } else {
        victim = emc_prng(emc) & 1 ? e1 : e2;
        emc->evictions++;
    }
    emc->insertions++;
    emc_entry_set(victim, key, hash, dp_flow, live_gen, gen);
}

uint64_t
emc_evictions(const struct emc *emc)
{
    return emc->evictions;
}

uint64_t
emc_insertions(const struct emc *emc)
{
    return emc->insertions;
}

bool
emc_maybe_insert(struct emc *emc, const struct flow *key, uint32_t hash,
                 void *dp_flow, const uint32_t *live_gen)
{
    if (!emc->inv_prob
        || (emc->inv_prob > 1 && emc_prng(emc) > emc->insert_threshold)) {
        return false;
    }
    emc_insert(emc, key, hash, dp_flow, live_gen);
    return true;
}

void
emc_flush(struct emc *emc)
{
    for (uint32_t i = 0; i <= emc->mask; i++) {
        emc->entries[i].dp_flow = NULL;
        emc->entries[i].live_gen = NULL;
    }
}

size_t
emc_sweep(struct emc *emc, size_t n)
{
    size_t cleared = 0;

    for (size_t i = 0; i < n; i++) {
        struct emc_entry *e = &emc->entries[emc->sweep_pos];

        if (e->dp_flow && !emc_entry_live(e)) {
            e->dp_flow = NULL;
            e->live_gen = NULL;
            cleared++;
        }
        emc->sweep_pos = (emc->sweep_pos + 1) & emc->mask;
        if (!emc->sweep_pos) {
            emc->sweep_passes++;
        }
    }
    return cleared;
}

uint64_t
emc_sweep_passes(const struct emc *emc)
{
    return emc->sweep_passes;
}

uint32_t
emc_n_entries(const struct emc *emc)
{
    return emc->mask + 1;
}

uint32_t
emc_count(const struct emc *emc)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i <= emc->mask; i++) {
        n += emc_entry_live(&emc->entries[i]);
    }
    return n;
}
