/* SPDX-License-Identifier: Apache-2.0 */
/* L2 MAC learning table: chained hash for lookup, a doubly linked list in
 * learn order for LRU eviction and cheap expiry (the oldest entries sit at
 * the tail, so expiry stops at the first young one). */
#include "mac_learning.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ml_entry {
    uint8_t mac[6];
    uint16_t vlan;
    uint32_t port;
    uint64_t learned;           /* time of the last learn */
    uint64_t id;                /* mac_learning_entry_id() */
    struct ml_entry *hnext;     /* hash chain */
    struct ml_entry *inext;     /* chain in the id index */
    struct ml_entry *prev, *next; /* LRU list, head = most recent */
};

struct mac_learning {
    struct ml_entry **buckets;
    struct ml_entry **id_buckets;   /* same size as 'buckets' */
    uint32_t mask;              /* n_buckets - 1 */
    unsigned n, max;
    unsigned idle_time;
    uint64_t evictions;
    struct ml_entry *head, *tail;
};

/* Entry ids of every table in the process: never reused, so an id a
 * cache kept names its entry or nothing. */
static uint64_t ml_next_id = 1;

static uint32_t
id_hash(uint64_t id)
{
    return (uint32_t) ((id * 0x9e3779b97f4a7c15ULL) >> 32);
}

static uint32_t
ml_hash(const uint8_t mac[6], uint16_t vlan)
{
    uint64_t x = 0;

    memcpy(&x, mac, 6);
    x ^= (uint64_t) vlan << 48;
    x *= 0x9e3779b97f4a7c15ULL;
    return (uint32_t) (x >> 32);
}

int
mac_learning_create(unsigned max_entries, unsigned idle_time,
                    struct mac_learning **out)
{
    struct mac_learning *ml = calloc(1, sizeof *ml);
    uint32_t n_buckets = 64;

    if (!ml) {
        return -ENOMEM;
    }
    ml->max = max_entries ? max_entries : MAC_LEARNING_DEFAULT_MAX;
    ml->idle_time = idle_time ? idle_time : MAC_LEARNING_DEFAULT_IDLE_TIME;
    /* Load factor at most 1 when full: buckets never need to grow. */
    while (n_buckets < ml->max && n_buckets < (1u << 24)) {
        n_buckets <<= 1;
    }
    ml->buckets = calloc(n_buckets, sizeof *ml->buckets);
    ml->id_buckets = calloc(n_buckets, sizeof *ml->id_buckets);
    if (!ml->buckets || !ml->id_buckets) {
        free(ml->buckets);
        free(ml->id_buckets);
        free(ml);
        return -ENOMEM;
    }
    ml->mask = n_buckets - 1;
    *out = ml;
    return 0;
}

void
mac_learning_destroy(struct mac_learning *ml)
{
    if (!ml) {
        return;
    }
    mac_learning_flush(ml);
    free(ml->buckets);
    free(ml->id_buckets);
    free(ml);
}

static struct ml_entry *
ml_find(const struct mac_learning *ml, const uint8_t mac[6], uint16_t vlan)
{
    struct ml_entry *e = ml->buckets[ml_hash(mac, vlan) & ml->mask];

    while (e && (e->vlan != vlan || memcmp(e->mac, mac, 6))) {
        e = e->hnext;
    }
    return e;
}

static void
lru_unlink(struct mac_learning *ml, struct ml_entry *e)
{
    if (e->prev) {
        e->prev->next = e->next;
    } else {
        ml->head = e->next;
    }
    if (e->next) {
        e->next->prev = e->prev;
    } else {
        ml->tail = e->prev;
    }
    e->prev = e->next = NULL;
}

static void
lru_push_head(struct mac_learning *ml, struct ml_entry *e)
{
    e->prev = NULL;
    e->next = ml->head;
    if (ml->head) {
        ml->head->prev = e;
    } else {
        ml->tail = e;
    }
    ml->head = e;
}

static void
ml_remove(struct mac_learning *ml, struct ml_entry *e)
{
    struct ml_entry **pp = &ml->buckets[ml_hash(e->mac, e->vlan) & ml->mask];

    while (*pp != e) {
        pp = &(*pp)->hnext;
    }
    *pp = e->hnext;
    pp = &ml->id_buckets[id_hash(e->id) & ml->mask];
    while (*pp != e) {
        pp = &(*pp)->inext;
    }
    *pp = e->inext;
    lru_unlink(ml, e);
    ml->n--;
    free(e);
}

void
mac_learning_set_limits(struct mac_learning *ml, unsigned max_entries,
                        unsigned idle_time)
{
    if (idle_time) {
        ml->idle_time = idle_time;
    }
    if (max_entries) {
        /* The buckets were sized for the old limit: a larger table only
         * lengthens the chains, which is fine for an occasional change. */
        ml->max = max_entries;
        while (ml->n > ml->max) {
            ml_remove(ml, ml->tail);
            ml->evictions++;
        }
    }
}

enum mac_learning_result
mac_learning_learn(struct mac_learning *ml, const uint8_t mac[6],
                   uint16_t vlan, uint32_t port, uint64_t now)
{
    struct ml_entry *e;

    if (mac_learning_is_multicast(mac)) {
        return MAC_LEARNING_IGNORED;
    }
    vlan &= MAC_LEARNING_MAX_VLAN;
    e = ml_find(ml, mac, vlan);
    if (e) {
        enum mac_learning_result r = e->port == port ? MAC_LEARNING_UNCHANGED
                                                     : MAC_LEARNING_MOVED;
        e->port = port;
        e->learned = now;
        lru_unlink(ml, e);
        lru_push_head(ml, e);
        return r;
    }
    if (ml->n >= ml->max) {
        ml_remove(ml, ml->tail);
        ml->evictions++;
    }
    e = calloc(1, sizeof *e);
    if (!e) {
        /* Not learning only costs flooding; nothing to report upward. */
        return MAC_LEARNING_IGNORED;
    }
    memcpy(e->mac, mac, 6);
    e->vlan = vlan;
    e->port = port;
    e->learned = now;
    e->id = __atomic_fetch_add(&ml_next_id, 1, __ATOMIC_RELAXED);
    uint32_t b = ml_hash(mac, vlan) & ml->mask;
    e->hnext = ml->buckets[b];
    ml->buckets[b] = e;
    b = id_hash(e->id) & ml->mask;
    e->inext = ml->id_buckets[b];
    ml->id_buckets[b] = e;
    lru_push_head(ml, e);
    ml->n++;
    return MAC_LEARNING_NEW;
}

static bool
ml_expired(const struct mac_learning *ml, const struct ml_entry *e,
           uint64_t now)
{
    return now > e->learned && now - e->learned > ml->idle_time;
}

uint32_t
mac_learning_lookup(const struct mac_learning *ml, const uint8_t mac[6],
                    uint16_t vlan, uint64_t now)
{
    const struct ml_entry *e = ml_find(ml, mac, vlan & MAC_LEARNING_MAX_VLAN);

    return e && !ml_expired(ml, e, now) ? e->port : MAC_LEARNING_NO_PORT;
}

uint64_t
mac_learning_entry_id(const struct mac_learning *ml, const uint8_t mac[6],
                      uint16_t vlan)
{
    const struct ml_entry *e = ml_find(ml, mac, vlan & MAC_LEARNING_MAX_VLAN);

    return e ? e->id : 0;
}

bool
mac_learning_touch(struct mac_learning *ml, uint64_t id, uint64_t now)
{
    struct ml_entry *e = ml->id_buckets[id_hash(id) & ml->mask];

    while (e && e->id != id) {
        e = e->inext;
    }
    if (!e) {
        return false;
    }
    if (now > e->learned) {
        e->learned = now;
    }
    lru_unlink(ml, e);
    lru_push_head(ml, e);
    return true;
}

unsigned
mac_learning_expire(struct mac_learning *ml, uint64_t now)
{
    unsigned n = 0;

    while (ml->tail && ml_expired(ml, ml->tail, now)) {
        ml_remove(ml, ml->tail);
        n++;
    }
    return n;
}

unsigned
mac_learning_flush_port(struct mac_learning *ml, uint32_t port)
{
    struct ml_entry *e = ml->head, *next;
    unsigned n = 0;

    for (; e; e = next) {
        next = e->next;
        if (e->port == port) {
            ml_remove(ml, e);
            n++;
        }
    }
    return n;
}

void
mac_learning_flush(struct mac_learning *ml)
{
    while (ml->head) {
        ml_remove(ml, ml->head);
    }
}

unsigned
mac_learning_count(const struct mac_learning *ml)
{
    return ml->n;
}

uint64_t
mac_learning_evictions(const struct mac_learning *ml)
{
    return ml->evictions;
}

void
mac_learning_for_each(const struct mac_learning *ml, uint64_t now,
                      mac_learning_visit_fn *cb, void *aux)
{
    for (const struct ml_entry *e = ml->head; e; e = e->next) {
        if (cb(aux, e->mac, e->vlan, e->port,
               now > e->learned ? now - e->learned : 0)) {
            break;
        }
    }
}
