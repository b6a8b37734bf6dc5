/* SPDX-License-Identifier: Apache-2.0 */
#include "hmap.h"

#include <stdlib.h>

void
ovsdb_hmap_init(struct ovsdb_hmap *map)
{
    map->buckets = &map->one;
    map->one = NULL;
    map->mask = 0;
    map->n = 0;
}

void
ovsdb_hmap_destroy(struct ovsdb_hmap *map)
{
    if (map && map->buckets != &map->one) {
        free(map->buckets);
        ovsdb_hmap_init(map);
    }
}

static void
hmap_resize(struct ovsdb_hmap *map, size_t new_mask)
{
    struct ovsdb_hmap_node **nb = calloc(new_mask + 1, sizeof *nb);
    if (!nb) {
        return;                 /* keep the old table: lookups still work */
    }
    for (size_t i = 0; i <= map->mask; i++) {
        struct ovsdb_hmap_node *node = map->buckets[i], *next;
        for (; node; node = next) {
            next = node->next;
            node->next = nb[node->hash & new_mask];
            nb[node->hash & new_mask] = node;
        }
    }
    if (map->buckets != &map->one) {
        free(map->buckets);
    }
    map->buckets = nb;
    map->mask = new_mask;
}

void
ovsdb_hmap_insert(struct ovsdb_hmap *map, struct ovsdb_hmap_node *node,
                  uint32_t hash)
{
    node->hash = hash;
    node->next = map->buckets[hash & map->mask];
    map->buckets[hash & map->mask] = node;
    map->n++;
    if (map->n / 2 > map->mask) {
        hmap_resize(map, map->mask * 2 + 1);
    }
}

void
ovsdb_hmap_remove(struct ovsdb_hmap *map, struct ovsdb_hmap_node *node)
{
    struct ovsdb_hmap_node **p = &map->buckets[node->hash & map->mask];
    while (*p && *p != node) {
        p = &(*p)->next;
    }
    if (*p) {
        *p = node->next;
        map->n--;
    }
}

struct ovsdb_hmap_node *
ovsdb_hmap_first_with_hash(const struct ovsdb_hmap *map, uint32_t hash)
{
    struct ovsdb_hmap_node *node = map->buckets[hash & map->mask];
    while (node && node->hash != hash) {
        node = node->next;
    }
    return node;
}

struct ovsdb_hmap_node *
ovsdb_hmap_next_with_hash(const struct ovsdb_hmap_node *node)
{
    uint32_t hash = node->hash;
    for (node = node->next; node && node->hash != hash; node = node->next) {
        continue;
    }
    return (struct ovsdb_hmap_node *) node;
}

static struct ovsdb_hmap_node *
hmap_next_bucket(const struct ovsdb_hmap *map, size_t start)
{
    for (size_t i = start; i <= map->mask; i++) {
        if (map->buckets[i]) {
            return map->buckets[i];
        }
    }
    return NULL;
}

struct ovsdb_hmap_node *
ovsdb_hmap_first(const struct ovsdb_hmap *map)
{
    return hmap_next_bucket(map, 0);
}

struct ovsdb_hmap_node *
ovsdb_hmap_next(const struct ovsdb_hmap *map,
                const struct ovsdb_hmap_node *node)
{
    if (node->next) {
        return node->next;
    }
    return hmap_next_bucket(map, (node->hash & map->mask) + 1);
}
