/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_DPCLS_H
#define RSW_DPCLS_H 1

/* Megaflow classifier (dpcls): the second lookup stage of a PMD thread.
 *
 * What it stores
 * ==============
 *
 * A rule ("megaflow") is a masked flow key plus a mask (struct flow_wc)
 * and an opaque data pointer (the datapath flow with its actions).  A
 * packet's key matches a rule when (key & mask) == rule key.  Megaflows are
 * produced by ofproto translation, which un-wildcards every field it looked
 * at, so in correct use they never overlap: a packet matches at most one
 * rule and there are no priorities.  If rules do overlap, a lookup returns
 * one of the matching rules (the first found in subtable order).
 *
 * How it searches: tuple space search
 * ===================================
 *
 * Rules are grouped by mask into "subtables".  Within a subtable every rule
 * has the same mask, so matching a packet there is an exact lookup of
 * (key & mask) in a hash table.  A lookup probes the subtables one after
 * another until one hits; its cost is proportional to the number of
 * distinct masks, not the number of rules.  Real traffic has a handful of
 * masks (OVS sees 1-20 per PMD), and usually a few of them take most hits.
 *
 * Three things keep a probe cheap:
 *
 *  - Sparse masks.  A subtable precomputes the list of 64-bit words of
 *    struct flow that its mask touches (the idea behind OVS's miniflows)
 *    and stores each rule's key packed as just those words.  Hashing and
 *    comparing a packet against a subtable touches only those words: a
 *    typical in_port + dl_dst mask is 2 words out of 19.  The hash equals
 *    flow_hash_masked(key, mask, 0).
 *
 *  - Ranking.  Subtables sit in a vector ordered by hit count, so the hot
 *    ones are probed first and most packets stop after one probe.  The
 *    vector is re-sorted every 'sort_interval' looked-up keys (default
 *    DPCLS_SORT_INTERVAL) or on demand with dpcls_sort_subtables(); hit
 *    counts are halved at each sort so the ranking follows recent traffic.
 *
 *  - Batches.  dpcls_lookup_batch() takes up to 32 keys and walks the
 *    subtables in order, looking up in each subtable all keys still
 *    missing: one subtable's mask, word list and bucket array stay in cache
 *    for the whole batch, hashes are computed for the batch first and their
 *    buckets prefetched before any is probed.
 *
 * Each subtable's hash table uses open addressing with linear probing
 * (16-byte buckets holding the full hash and a rule pointer, at most half
 * full, backward-shift deletion so there are no tombstones) and grows and
 * shrinks by powers of two.
 *
 * Threading
 * =========
 *
 * A dpcls is owned by one PMD thread and is not thread-safe; the datapath
 * arranges for inserts and removals to run on that thread (or while it is
 * quiescent).  Insert and remove may be called freely between lookups: a
 * removal frees the rule at once (and its subtable when it becomes empty),
 * so the caller must not use the rule handle afterwards.  The data pointers
 * are never dereferenced or freed by the classifier.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow.h"
#include "vhost/compiler.h"

#define DPCLS_MAX_BATCH 32
#define DPCLS_SORT_INTERVAL 1024

struct dpcls;
struct dpcls_rule;

struct dpcls_stats {
    uint64_t n_lookups;         /* keys looked up */
    uint64_t n_hits;            /* keys that matched a rule */
    uint64_t n_subtable_probes; /* (key, subtable) probes: / n_hits gives
                                   OVS's "avg. subtable lookups per hit" */
};

/* Returns 0 or -ENOMEM. */
int dpcls_create(struct dpcls **clsp) RSW_MUST_CHECK;

/* Frees the classifier and all its rules (not their data). */
void dpcls_destroy(struct dpcls *);

/* Adds a rule matching 'key' under 'mask' ('key' need not be masked
 * already).  'data' must not be NULL: it is what lookups return.  On success
 * stores the rule handle in '*rulep' (if non-NULL) and returns 0; returns
 * -EINVAL for NULL data, -EEXIST if a rule with the same mask and masked
 * key exists, -ENOMEM. */
int dpcls_insert(struct dpcls *, const struct flow *key,
                 const struct flow_wc *mask, void *data,
                 struct dpcls_rule **rulep) RSW_MUST_CHECK;

/* Removes and frees 'rule'.  NULL is a no-op. */
void dpcls_remove(struct dpcls *, struct dpcls_rule *rule);

uint32_t dpcls_count(const struct dpcls *);
uint32_t dpcls_n_subtables(const struct dpcls *);

/* Returns the data of a rule matching 'key', or NULL. */
void *dpcls_lookup(struct dpcls *, const struct flow *key);

/* Looks up keys[0..n-1] (n <= DPCLS_MAX_BATCH; NULL keys are skipped, e.g.
 * packets that hit the EMC).  Sets results[i] to the matching rule's data
 * or NULL, and returns a bitmap with bit i set for each hit. */
uint32_t dpcls_lookup_batch(struct dpcls *, const struct flow *const keys[],
                            size_t n, void *results[]);

/* Orders subtables by hits since the previous sort (most first). */
void dpcls_sort_subtables(struct dpcls *);

/* Re-sort automatically every 'n_keys' looked-up keys (0: only on
 * demand). */
void dpcls_set_sort_interval(struct dpcls *, uint32_t n_keys);

void dpcls_get_stats(const struct dpcls *, struct dpcls_stats *);
void dpcls_clear_stats(struct dpcls *);

/* Iteration over all rules, e.g. for dumping.  The order is insertion
 * order.  Removing the current rule is allowed when the next one was
 * fetched first (DPCLS_FOR_EACH_SAFE). */
struct dpcls_rule *dpcls_first(const struct dpcls *);
struct dpcls_rule *dpcls_next(const struct dpcls_rule *);

#define DPCLS_FOR_EACH(RULE, CLS)                                       \
    for ((RULE) = dpcls_first(CLS); (RULE); (RULE) = dpcls_next(RULE))
#define DPCLS_FOR_EACH_SAFE(RULE, NEXT, CLS)                            \
    for ((RULE) = dpcls_first(CLS);                                     \
         (RULE) && ((NEXT) = dpcls_next(RULE), true);                   \
         (RULE) = (NEXT))

void *dpcls_rule_data(const struct dpcls_rule *);
const struct flow_wc *dpcls_rule_mask(const struct dpcls_rule *);
/* The rule's (masked) key. */
void dpcls_rule_get_key(const struct dpcls_rule *, struct flow *);

#endif
