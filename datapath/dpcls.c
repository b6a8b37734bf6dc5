/* SPDX-License-Identifier: Apache-2.0 */
/* Megaflow classifier; see dpcls.h for the design. */
#include "dpcls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SUBTABLE_MIN_BUCKETS 16

struct dpcls_rule {
    struct dpcls_rule *prev, *next;   /* dpcls's list of all rules */
    struct dpcls_subtable *subtable;
    void *data;
    uint32_t hash;
    uint64_t words[];                 /* masked key: subtable's words only */
};

struct dpcls_bucket {
    uint32_t hash;
    struct dpcls_rule *rule;          /* NULL: empty */
};

struct dpcls_subtable {
    uint64_t hits;                    /* since the last sort, decayed */
    uint32_t n_words;                 /* words of the mask that are != 0 */
    uint32_t n_rules;
    uint32_t bucket_mask;             /* n_buckets - 1 */
    struct dpcls_bucket *buckets;
    uint8_t idx[FLOW_U64S];           /* their indexes in struct flow */
    uint64_t mwords[FLOW_U64S];       /* their mask values */
    struct flow_wc mask;
};

struct dpcls {
    struct dpcls_subtable **subtables; /* probe order */
    uint32_t n_subtables;
    uint32_t alloc_subtables;
    uint32_t n_rules;
    uint32_t sort_interval;
    uint64_t keys_since_sort;
    struct dpcls_rule *head, *tail;
    struct dpcls_stats stats;
};

/* Population count without a libgcc call on baseline x86-64 (no POPCNT
 * guaranteed). */
static inline uint32_t
popcount32(uint32_t x)
{
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0fu;
    return (x * 0x01010101u) >> 24;
}

/* ----------------------------------------------------------------------
 * Subtable hashing and matching over the mask's non-zero words. */

static inline void
subtable_mask_key(const struct dpcls_subtable *st, const struct flow *key,
                  uint64_t *out)
{
    const flow_u64 *w = flow_u64s(key);

    for (uint32_t j = 0; j < st->n_words; j++) {
        out[j] = w[st->idx[j]] & st->mwords[j];
    }
}

static inline uint32_t
subtable_hash_words(const struct dpcls_subtable *st, const uint64_t *mw)
{
    uint64_t hash = 0;

    for (uint32_t j = 0; j < st->n_words; j++) {
        hash = flow_hash_add64(hash, mw[j]);
    }
    return flow_hash_finish(hash, st->n_words);
}

static inline bool
rule_words_equal(const struct dpcls_subtable *st,
                 const struct dpcls_rule *rule, const uint64_t *mw)
{
    uint64_t diff = 0;

    for (uint32_t j = 0; j < st->n_words; j++) {
        diff |= rule->words[j] ^ mw[j];
    }
    return !diff;
}

static inline struct dpcls_rule *
subtable_find(const struct dpcls_subtable *st, uint32_t hash,
              const uint64_t *mw)
{
    /* Terminates: the table is at most half full. */
    for (uint32_t i = hash & st->bucket_mask;; i = (i + 1) & st->bucket_mask) {
        const struct dpcls_bucket *b = &st->buckets[i];

        if (!b->rule) {
            return NULL;
        }
        if (b->hash == hash && rule_words_equal(st, b->rule, mw)) {
            return b->rule;
        }
    }
}

/* ----------------------------------------------------------------------
 * Subtable hash table maintenance. */

static void
buckets_place(struct dpcls_bucket *buckets, uint32_t bucket_mask,
              struct dpcls_rule *rule)
{
    uint32_t i = rule->hash & bucket_mask;

    while (buckets[i].rule) {
        i = (i + 1) & bucket_mask;
    }
    buckets[i].hash = rule->hash;
    buckets[i].rule = rule;
}

static int
subtable_resize(struct dpcls_subtable *st, uint32_t n_buckets)
{
    struct dpcls_bucket *nb = calloc(n_buckets, sizeof *nb);

    if (!nb) {
        return -ENOMEM;
    }
    for (uint32_t i = 0; st->buckets && i <= st->bucket_mask; i++) {
        if (st->buckets[i].rule) {
            buckets_place(nb, n_buckets - 1, st->buckets[i].rule);
        }
    }
    free(st->buckets);
    st->buckets = nb;
    st->bucket_mask = n_buckets - 1;
    return 0;
}

/* Keeps the load factor at or below 1/2. */
static int
subtable_add_rule(struct dpcls_subtable *st, struct dpcls_rule *rule)
{
    uint64_t n_buckets = (uint64_t) st->bucket_mask + 1;

    if (((uint64_t) st->n_rules + 1) * 2 > n_buckets) {
        if (n_buckets * 2 > UINT32_MAX) {
            return -ENOMEM;
        }
        int error = subtable_resize(st, (uint32_t) n_buckets * 2);
        if (error) {
            return error;
        }
    }
    buckets_place(st->buckets, st->bucket_mask, rule);
    st->n_rules++;
    return 0;
}

/* Backward-shift deletion: entries after the hole that may legally sit in
 * it move back, so probe sequences stay unbroken without tombstones. */
static void
subtable_del_rule(struct dpcls_subtable *st, const struct dpcls_rule *rule)
{
    uint32_t mask = st->bucket_mask;
    uint32_t i = rule->hash & mask;

    while (st->buckets[i].rule != rule) {
        i = (i + 1) & mask;
    }
    for (uint32_t j = i;;) {
        j = (j + 1) & mask;
        if (!st->buckets[j].rule) {
            break;
        }
        uint32_t home = st->buckets[j].hash & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            st->buckets[i] = st->buckets[j];
            i = j;
        }
    }
    st->buckets[i].rule = NULL;
    st->n_rules--;
    /* Shrinking is best effort: a failed allocation keeps the big table. */
    if (st->bucket_mask + 1 > SUBTABLE_MIN_BUCKETS
        && (uint64_t) st->n_rules * 8 < (uint64_t) st->bucket_mask + 1) {
        (void) !subtable_resize(st, (st->bucket_mask + 1) / 2);
    }
}

static struct dpcls_subtable *
subtable_create(const struct flow_wc *mask)
{
    struct dpcls_subtable *st = calloc(1, sizeof *st);
    const flow_u64 *m = flow_u64s(&mask->masks);

    if (!st) {
        return NULL;
    }
    st->mask = *mask;
    for (uint32_t i = 0; i < FLOW_U64S; i++) {
        if (m[i]) {
            st->idx[st->n_words] = (uint8_t) i;
            st->mwords[st->n_words] = m[i];
            st->n_words++;
        }
    }
    if (subtable_resize(st, SUBTABLE_MIN_BUCKETS)) {
        free(st);
        return NULL;
    }
    return st;
}

static void
subtable_destroy(struct dpcls_subtable *st)
{
    if (st) {
        free(st->buckets);
        free(st);
    }
}

/* ----------------------------------------------------------------------
 * Classifier. */

int
dpcls_create(struct dpcls **clsp)
{
    struct dpcls *cls = calloc(1, sizeof *cls);

    *clsp = cls;
    if (!cls) {
        return -ENOMEM;
    }
    cls->sort_interval = DPCLS_SORT_INTERVAL;
    return 0;
}

void
dpcls_destroy(struct dpcls *cls)
{
    if (!cls) {
        return;
    }
    for (struct dpcls_rule *r = cls->head, *next; r; r = next) {
        next = r->next;
        free(r);
    }
    for (uint32_t i = 0; i < cls->n_subtables; i++) {
        subtable_destroy(cls->subtables[i]);
    }
    free(cls->subtables);
    free(cls);
}

static struct dpcls_subtable *
dpcls_find_subtable(const struct dpcls *cls, const struct flow_wc *mask)
{
    for (uint32_t i = 0; i < cls->n_subtables; i++) {
        struct dpcls_subtable *st = cls->subtables[i];

        if (flow_equal(&st->mask.masks, &mask->masks)) {
            return st;
        }
    }
    return NULL;
}

/* New subtables go last: they have no hits yet. */
static int
dpcls_add_subtable(struct dpcls *cls, const struct flow_wc *mask,
                   struct dpcls_subtable **stp)
{
    if (cls->n_subtables == cls->alloc_subtables) {
        uint32_t n = cls->alloc_subtables ? cls->alloc_subtables * 2 : 8;
        struct dpcls_subtable **v = realloc(cls->subtables, n * sizeof *v);

        if (!v) {
            return -ENOMEM;
        }
        cls->subtables = v;
        cls->alloc_subtables = n;
    }
    struct dpcls_subtable *st = subtable_create(mask);
    if (!st) {
        return -ENOMEM;
    }
    cls->subtables[cls->n_subtables++] = st;
    *stp = st;
    return 0;
}

static void
dpcls_del_subtable(struct dpcls *cls, struct dpcls_subtable *st)
{
    for (uint32_t i = 0; i < cls->n_subtables; i++) {
        if (cls->subtables[i] == st) {
            memmove(&cls->subtables[i], &cls->subtables[i + 1],
                    (cls->n_subtables - i - 1) * sizeof *cls->subtables);
            cls->n_subtables--;
            break;
        }
    }
    subtable_destroy(st);
}

static struct dpcls_rule *
rule_create(struct dpcls_subtable *st, const struct flow *key, void *data)
{
    struct dpcls_rule *rule;

    rule = malloc(sizeof *rule + st->n_words * sizeof rule->words[0]);
    if (rule) {
        subtable_mask_key(st, key, rule->words);
        rule->hash = subtable_hash_words(st, rule->words);
        rule->subtable = st;
        rule->data = data;
    }
    return rule;
}

static void
dpcls_link_rule(struct dpcls *cls, struct dpcls_rule *rule)
{
    rule->next = NULL;
    rule->prev = cls->tail;
    if (cls->tail) {
        cls->tail->next = rule;
    } else {
        cls->head = rule;
    }
    cls->tail = rule;
    cls->n_rules++;
}

int
dpcls_insert(struct dpcls *cls, const struct flow *key,
             const struct flow_wc *mask, void *data,
             struct dpcls_rule **rulep)
{
    struct dpcls_subtable *st = dpcls_find_subtable(cls, mask);
    bool new_st = !st;
    struct dpcls_rule *rule;
    int error;

    if (!data) {
        return -EINVAL;
    }
    if (new_st) {
        error = dpcls_add_subtable(cls, mask, &st);
        if (error) {
            return error;
        }
    }
    rule = rule_create(st, key, data);
    if (!rule) {
        error = -ENOMEM;
    } else if (subtable_find(st, rule->hash, rule->words)) {
        error = -EEXIST;
    } else {
        error = subtable_add_rule(st, rule);
    }
    if (error) {
        free(rule);
        if (new_st) {
            dpcls_del_subtable(cls, st);
        }
        return error;
    }
    dpcls_link_rule(cls, rule);
    if (rulep) {
        *rulep = rule;
    }
    return 0;
}

void
dpcls_remove(struct dpcls *cls, struct dpcls_rule *rule)
{
    struct dpcls_subtable *st;

    if (!rule) {
        return;
    }
    st = rule->subtable;
    subtable_del_rule(st, rule);
    if (!st->n_rules) {
        dpcls_del_subtable(cls, st);
    }
    if (rule->prev) {
        rule->prev->next = rule->next;
    } else {
        cls->head = rule->next;
    }
    if (rule->next) {
        rule->next->prev = rule->prev;
    } else {
        cls->tail = rule->prev;
    }
    cls->n_rules--;
    free(rule);
}

uint32_t
dpcls_count(const struct dpcls *cls)
{
    return cls->n_rules;
}

uint32_t
dpcls_n_subtables(const struct dpcls *cls)
{
    return cls->n_subtables;
}

/* ----------------------------------------------------------------------
 * Lookup. */

/* Insertion sort: the vector is short and usually nearly sorted already. */
void
dpcls_sort_subtables(struct dpcls *cls)
{
    struct dpcls_subtable **v = cls->subtables;

    for (uint32_t i = 1; i < cls->n_subtables; i++) {
        struct dpcls_subtable *st = v[i];
        uint32_t j = i;

        while (j > 0 && v[j - 1]->hits < st->hits) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = st;
    }
    for (uint32_t i = 0; i < cls->n_subtables; i++) {
        v[i]->hits >>= 1;
    }
    cls->keys_since_sort = 0;
}

void
dpcls_set_sort_interval(struct dpcls *cls, uint32_t n_keys)
{
    cls->sort_interval = n_keys;
}

static inline void
dpcls_count_keys(struct dpcls *cls, uint32_t n_keys)
{
    cls->stats.n_lookups += n_keys;
    cls->keys_since_sort += n_keys;
    if (cls->sort_interval && cls->keys_since_sort >= cls->sort_interval) {
        dpcls_sort_subtables(cls);
    }
}

void *
dpcls_lookup(struct dpcls *cls, const struct flow *key)
{
    uint64_t mw[FLOW_U64S];
    void *data = NULL;

    for (uint32_t i = 0; i < cls->n_subtables; i++) {
        struct dpcls_subtable *st = cls->subtables[i];

        subtable_mask_key(st, key, mw);
        struct dpcls_rule *rule = subtable_find(st, subtable_hash_words(st,
                                                                        mw),
                                                mw);
        cls->stats.n_subtable_probes++;
        if (rule) {
            st->hits++;
            cls->stats.n_hits++;
            data = rule->data;
            break;
        }
    }
    dpcls_count_keys(cls, 1);
    return data;
}

/* Looks up every key of 'pending' in one subtable: first masks and hashes all
 * of them and prefetches their buckets, then probes.  Returns the hits. */
static uint32_t
subtable_lookup_batch(struct dpcls_subtable *st,
                      const struct flow *const keys[], uint32_t pending,
                      void *results[])
{
    uint64_t mw[DPCLS_MAX_BATCH][FLOW_U64S];
    uint32_t hashes[DPCLS_MAX_BATCH];
    uint32_t hits = 0;

    for (uint32_t map = pending; map; map &= map - 1) {
        int i = __builtin_ctz(map);

        subtable_mask_key(st, keys[i], mw[i]);
        hashes[i] = subtable_hash_words(st, mw[i]);
        __builtin_prefetch(&st->buckets[hashes[i] & st->bucket_mask]);
    }
    for (uint32_t map = pending; map; map &= map - 1) {
        int i = __builtin_ctz(map);
        struct dpcls_rule *rule = subtable_find(st, hashes[i], mw[i]);

        if (rule) {
            results[i] = rule->data;
            hits |= 1u << i;
        }
    }
    st->hits += popcount32(hits);
    return hits;
}

uint32_t
dpcls_lookup_batch(struct dpcls *cls, const struct flow *const keys[],
                   size_t n, void *results[])
{
    uint32_t pending = 0, found = 0;

    if (n > DPCLS_MAX_BATCH) {
        n = DPCLS_MAX_BATCH;
    }
    for (size_t i = 0; i < n; i++) {
        results[i] = NULL;
        if (keys[i]) {
            pending |= 1u << i;
        }
    }
    uint32_t n_keys = popcount32(pending);
    for (uint32_t i = 0; pending && i < cls->n_subtables; i++) {
        uint32_t hits = subtable_lookup_batch(cls->subtables[i], keys, pending,
                                              results);

        cls->stats.n_subtable_probes += popcount32(pending);
        found |= hits;
        pending &= ~hits;
    }
    cls->stats.n_hits += popcount32(found);
    dpcls_count_keys(cls, n_keys);
    return found;
}

void
dpcls_get_stats(const struct dpcls *cls, struct dpcls_stats *stats)
{
    *stats = cls->stats;
}

void
dpcls_clear_stats(struct dpcls *cls)
{
    memset(&cls->stats, 0, sizeof cls->stats);
}

/* ----------------------------------------------------------------------
 * Iteration and rule accessors. */

struct dpcls_rule *
dpcls_first(const struct dpcls *cls)
{
    return cls->head;
}

struct dpcls_rule *
dpcls_next(const struct dpcls_rule *rule)
{
    return rule->next;
}

void *
dpcls_rule_data(const struct dpcls_rule *rule)
{
    return rule->data;
}

const struct flow_wc *
dpcls_rule_mask(const struct dpcls_rule *rule)
{
    return &rule->subtable->mask;
}

void
dpcls_rule_get_key(const struct dpcls_rule *rule, struct flow *key)
{
    const struct dpcls_subtable *st = rule->subtable;
    flow_u64 *w = flow_u64s_rw(key);

    memset(key, 0, sizeof *key);
    for (uint32_t j = 0; j < st->n_words; j++) {
        w[st->idx[j]] = rule->words[j];
    }
}
