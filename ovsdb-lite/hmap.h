/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OVSDB_HMAP_H
#define OVSDB_HMAP_H 1

/* Intrusive chained hash map (the OVS hmap idea, reduced).  Callers embed
 * a node, compute the hash themselves and compare keys themselves, so one
 * map type serves UUID lookups, unique indexes and name tables.  Insertion
 * never fails: when growing the bucket array is impossible the chains just
 * get longer. */

#include <stddef.h>
#include <stdint.h>

struct ovsdb_hmap_node {
    struct ovsdb_hmap_node *next;
    uint32_t hash;
};

struct ovsdb_hmap {
    struct ovsdb_hmap_node **buckets;
    struct ovsdb_hmap_node *one;   /* bucket storage while mask == 0 */
    size_t mask;
    size_t n;
};

void ovsdb_hmap_init(struct ovsdb_hmap *);
/* Frees the bucket array; the nodes belong to the caller. */
void ovsdb_hmap_destroy(struct ovsdb_hmap *);
void ovsdb_hmap_insert(struct ovsdb_hmap *, struct ovsdb_hmap_node *,
                       uint32_t hash);
void ovsdb_hmap_remove(struct ovsdb_hmap *, struct ovsdb_hmap_node *);
struct ovsdb_hmap_node *ovsdb_hmap_first_with_hash(const struct ovsdb_hmap *,
                                                   uint32_t hash);
struct ovsdb_hmap_node *ovsdb_hmap_next_with_hash(
    const struct ovsdb_hmap_node *);
/* Full iteration; safe against removal of the current node if the caller
 * fetched the next one first. */
struct ovsdb_hmap_node *ovsdb_hmap_first(const struct ovsdb_hmap *);
struct ovsdb_hmap_node *ovsdb_hmap_next(const struct ovsdb_hmap *,
                                        const struct ovsdb_hmap_node *);

static inline size_t
ovsdb_hmap_count(const struct ovsdb_hmap *map)
{
    return map->n;
}

#endif
