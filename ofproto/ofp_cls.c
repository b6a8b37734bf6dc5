/* SPDX-License-Identifier: Apache-2.0 */
/* The classifier of one OpenFlow table; see ofp_cls.h for the design.
 *
 * Layout
 * ======
 *
 * A subtable (one per distinct mask) is a hash table of "keys": one slot
 * (full hash + pointer) per distinct masked key, pointing to the head of
 * that key's list (rule->next_same) of rules with the same match, by
 * priority, highest first.  Within one key priorities are unique (an
 * equal one replaces), so a key's head is its best rule.  Rules are the
 * caller's memory: insert allocates only when a table grows or a new mask
 * needs a subtable, lookup never allocates.  A probe compares stored
 * hashes first, so a miss touches no rule.
 *
 * The classifier keeps its subtables in a vector sorted by the best rule
 * each may hold: (max_priority desc, min_order asc), where min_order is
 * the earliest insertion among rules of max_priority.  A lookup walks the
 * vector and stops at the first subtable that cannot beat the best rule
 * found, comparing (priority, -order) so that among equal priorities the
 * earlier inserted rule wins across subtables too.  After a removal
 * max_priority is recomputed only when no rule of that priority is left
 * (a scan of the subtable's keys) and min_order stays a lower bound: a
 * stale bound only makes a lookup probe a subtable it could have skipped
 * (more probing, more un-wildcarded bits), never gives a wrong answer.
 *
 * Stages
 * ======
 *
 * Each field of struct flow belongs to one stage (stage_bits()):
 *   0  metadata, regs, in_port               (pipeline metadata)
 *   1  dl_dst, dl_src, vlans, dl_type        (L2)
 *   2  nw_src, nw_dst, ipv6_src/dst/label, nw_proto, nw_tos, nw_ttl,
 *      nw_frag, arp_op                      (L3)
 *   3  tp_src, tp_dst (ICMP type/code), tcp_flags, nd_target,
 *      arp_sha/arp_tha (= ND sll/tll), pad   (L4; "everything else")
 * nw_frag is L3 as in OVS: it is a property of the IP header (ip_frag
 * needs an IP dl_type), and a miss on "ip,nw_src=..." then does not
 * un-wildcard whether the packet is a fragment.  arp_op is L3 with the
 * ARP addresses in nw_src/nw_dst (OVS keeps it in nw_proto).  arp_sha and
 * arp_tha share storage with the ND link-layer options, which are ICMPv6
 * payload, hence L4.  tcp_flags is L4 (it comes from the TCP header).
 *
 * A subtable's mask is cut into "segments": (word index, the mask bits of
 * that word in one stage), ordered by stage.  The hash of a key is one
 * running hash over its masked segments; after each stage that adds bits
 * (but the last) the running hash so far is looked up in that stage's
 * counted set of prefix hashes.  A miss after stage k means no rule agrees
 * with the packet on the stage 0..k bits, so only those bits go into the
 * wildcards.  The sets hold hashes, not keys: a collision makes a probe go
 * on to the next stage, which is harmless (it un-wildcards more). */
#include "ofp_cls.h"

#include <assert.h>
#include <stddef.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ofp_trie.h"

#define CLS_N_STAGES 4
#define CLS_N_CHECKS (CLS_N_STAGES - 1)
/* Segments: every word once per stage it has bits of.  struct flow's
 * layout splits 4 words across stages (words 5, 7, 14, 18), so 25 at most
 * today; twice the words is a safe bound (checked when building). */
#define CLS_MAX_SEGS (2 * FLOW_U64S)
#define CLS_MIN_SLOTS 8u

/* Prefix tracking (ofp_trie.h) on the address fields, as OVS's default
 * "prefixes" plus IPv6.  All of them are stage-2 (L3) fields: the tries
 * are consulted when a probe reaches that stage. */
#define CLS_TRIE_STAGE 2
static const struct {
    uint16_t ofs;                    /* in struct flow */
    uint16_t n_bytes;
} cls_trie_fields[] = {
    { offsetof(struct flow, nw_dst), 4 },
    { offsetof(struct flow, nw_src), 4 },
    { offsetof(struct flow, ipv6_dst), 16 },
    { offsetof(struct flow, ipv6_src), 16 },
};
#define CLS_N_TRIES RSW_ARRAY_SIZE(cls_trie_fields)

/* A slot of a hash table (see htab_*() below). */
struct cls_slot {
    uint32_t hash;
    uint32_t count;                  /* 0: empty */
    struct ofp_cls_rule *head;       /* key table: the key's best rule */
};

struct cls_htab {
    struct cls_slot *slots;
    uint32_t mask;                   /* n_slots - 1 */
    uint32_t n;                      /* occupied slots */
};

struct ofp_cls_subtable {
    /* Read by every lookup. */
    uint32_t n_segs;
    uint32_t n_checks;
    uint8_t check_end[CLS_N_CHECKS]; /* segments before check i */
    uint8_t seg_word[CLS_MAX_SEGS];
    uint64_t seg_mask[CLS_MAX_SEGS];
    struct cls_htab keys;            /* n: distinct keys */
    struct cls_htab checks[CLS_N_CHECKS];
    uint8_t trie_seg;                /* segments before the trie stage */
    bool has_tries;                  /* some trie_plen[] is nonzero */
    uint8_t trie_plen[CLS_N_TRIES];  /* the mask's prefix length, 0: none */

    /* Maintenance. */
    uint32_t n_rules;
    uint32_t max_priority;
    uint32_t max_count;              /* rules of max_priority */
    uint64_t min_order;              /* lower bound, see above */
    uint32_t mask_hash;
    struct flow_wc mask;
};

/* The vector entry: the sort key next to the pointer, so the stop test of
 * a lookup does not touch the subtable. */
struct cls_entry {
    uint64_t min_order;
    uint32_t max_priority;
    struct ofp_cls_subtable *st;
};

struct ofp_cls {
    struct cls_entry *vec;           /* best rule first (see above) */
    uint32_t n_subtables;
    uint32_t alloc_subtables;
    uint32_t n_rules;
    uint64_t next_order;
    struct ofp_trie tries[CLS_N_TRIES];
};

/* (pa, oa) beats (pb, ob): higher priority, then earlier insertion. */
static inline bool
rank_before(uint32_t pa, uint64_t oa, uint32_t pb, uint64_t ob)
{
    return pa > pb || (pa == pb && oa < ob);
}

static inline bool
rule_before(const struct ofp_cls_rule *a, const struct ofp_cls_rule *b)
{
    return rank_before(a->priority, a->order, b->priority, b->order);
}

/* ----------------------------------------------------------------------
 * Hash tables: open addressing with linear probing, at most half full,
 * backward-shift deletion (no tombstones).  A slot holds the full hash,
 * so a probe touches a rule only when the hashes agree.  Used twice: as a
 * subtable's table of keys (head set, count 1) and as the counted sets of
 * stage-prefix hashes (head NULL, count = keys with that prefix hash). */

static int
htab_init(struct cls_htab *t, uint32_t n_slots)
{
    t->slots = calloc(n_slots, sizeof *t->slots);
    t->mask = n_slots - 1;
    t->n = 0;
    return t->slots ? 0 : -ENOMEM;
}

/* Puts a new entry in the first free slot of its probe sequence; the
 * caller knows 'hash' (sets) or 'head' (keys) is not present yet. */
static void
htab_place(struct cls_htab *t, uint32_t hash, uint32_t count,
           struct ofp_cls_rule *head)
{
    uint32_t i = hash & t->mask;

    while (t->slots[i].count) {
        i = (i + 1) & t->mask;
    }
    t->slots[i] = (struct cls_slot) {
        .hash = hash, .count = count, .head = head,
    };
    t->n++;
}

static int
htab_resize(struct cls_htab *t, uint32_t n_slots)
{
    struct cls_htab grown;
    int error = htab_init(&grown, n_slots);

    if (error) {
        return error;
    }
    for (uint32_t i = 0; i <= t->mask; i++) {
        const struct cls_slot *s = &t->slots[i];

        if (s->count) {
            htab_place(&grown, s->hash, s->count, s->head);
        }
    }
    free(t->slots);
    *t = grown;
    return 0;
}

/* Makes room for one more entry (nothing is added). */
static int
htab_reserve(struct cls_htab *t)
{
    uint64_t n_slots = (uint64_t) t->mask + 1;

    if (((uint64_t) t->n + 1) * 2 <= n_slots) {
        return 0;
    }
    return n_slots * 2 > UINT32_MAX ? -ENOMEM
                                    : htab_resize(t, (uint32_t) n_slots * 2);
}

/* Empties slot 'i': later entries that may sit in the hole move back, so
 * probe sequences stay unbroken. */
static void
htab_delete_slot(struct cls_htab *t, uint32_t i)
{
    uint32_t mask = t->mask;

    for (uint32_t j = i;;) {
        j = (j + 1) & mask;
        if (!t->slots[j].count) {
            break;
        }
        uint32_t home = t->slots[j].hash & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i].count = 0;
    t->slots[i].head = NULL;
    t->n--;
    /* Shrinking is best effort: a failed allocation keeps the big table. */
    if (mask + 1 > CLS_MIN_SLOTS && (uint64_t) t->n * 8 < mask + 1) {
        (void) !htab_resize(t, (mask + 1) / 2);
    }
}

static inline bool
hset_contains(const struct cls_htab *set, uint32_t hash)
{
    /* Terminates: the table is at most half full. */
    for (uint32_t i = hash & set->mask;; i = (i + 1) & set->mask) {
        const struct cls_slot *s = &set->slots[i];

        if (!s->count) {
            return false;
        }
        if (s->hash == hash) {
            return true;
        }
    }
}

/* Adds a reference to 'hash'; the set must have room (htab_reserve). */
static void
hset_add(struct cls_htab *set, uint32_t hash)
{
    for (uint32_t i = hash & set->mask; set->slots[i].count;
         i = (i + 1) & set->mask) {
        if (set->slots[i].hash == hash) {
            set->slots[i].count++;
            return;
        }
    }
    htab_place(set, hash, 1, NULL);
}

/* Drops a reference to 'hash', which must be present. */
static void
hset_remove(struct cls_htab *set, uint32_t hash)
{
    uint32_t i = hash & set->mask;

    while (set->slots[i].hash != hash || !set->slots[i].count) {
        i = (i + 1) & set->mask;
    }
    if (!--set->slots[i].count) {
        htab_delete_slot(set, i);
    }
}


/* ----------------------------------------------------------------------
 * Stages and segments. */

/* Sets to all-ones the fields of 'stage' (table at the top of the file). */
static void
stage_bits(unsigned stage, struct flow *bits)
{
    memset(bits, 0, sizeof *bits);
    switch (stage) {
    case 0:
        bits->metadata = UINT64_MAX;
        memset(bits->regs, 0xff, sizeof bits->regs);
        bits->in_port = UINT32_MAX;
        break;
    case 1:
        memset(&bits->dl_dst, 0xff, sizeof bits->dl_dst);
        memset(&bits->dl_src, 0xff, sizeof bits->dl_src);
        memset(bits->vlans, 0xff, sizeof bits->vlans);
        bits->dl_type = UINT16_MAX;
        break;
    case 2:
        bits->nw_frag = UINT8_MAX;
        bits->nw_proto = UINT8_MAX;
        bits->nw_tos = UINT8_MAX;
        bits->nw_ttl = UINT8_MAX;
        bits->nw_src = UINT32_MAX;
        bits->nw_dst = UINT32_MAX;
        memset(&bits->ipv6_src, 0xff, sizeof bits->ipv6_src);
        memset(&bits->ipv6_dst, 0xff, sizeof bits->ipv6_dst);
        bits->ipv6_label = UINT32_MAX;
        bits->arp_op = UINT16_MAX;
        break;
    default: {
        /* L4: every bit no earlier stage claims, so the stages always
         * partition the key. */
        flow_u64 *w = flow_u64s_rw(bits);
        struct flow lower;

        memset(bits, 0xff, sizeof *bits);
        for (unsigned s = 0; s < CLS_N_STAGES - 1; s++) {
            stage_bits(s, &lower);
            for (size_t i = 0; i < FLOW_U64S; i++) {
                w[i] &= ~flow_u64s(&lower)[i];
            }
        }
        break;
    }
    }
}

/* Cuts the subtable's mask into segments by stage and places a check
 * after every stage that adds bits, except the last one: the hash table
 * of full keys is the final check. */
static void
subtable_init_segments(struct ofp_cls_subtable *st)
{
    const flow_u64 *m = flow_u64s(&st->mask.masks);
    uint32_t stage_end[CLS_N_STAGES];
    uint32_t n = 0;

    for (unsigned s = 0; s < CLS_N_STAGES; s++) {
        struct flow bits;

        stage_bits(s, &bits);
        for (size_t i = 0; i < FLOW_U64S; i++) {
            uint64_t w = m[i] & flow_u64s(&bits)[i];

            if (w) {
                assert(n < CLS_MAX_SEGS);
                st->seg_word[n] = (uint8_t) i;
                st->seg_mask[n] = w;
                n++;
            }
        }
        stage_end[s] = n;
    }
    st->n_segs = n;
    st->trie_seg = (uint8_t) stage_end[CLS_TRIE_STAGE - 1];
    st->n_checks = 0;
    for (unsigned s = 0, prev = 0; s < CLS_N_STAGES; s++) {
        if (stage_end[s] > prev && stage_end[s] < n) {
            st->check_end[st->n_checks++] = (uint8_t) stage_end[s];
        }
        prev = stage_end[s];
    }
}

static void
subtable_init_tries(struct ofp_cls_subtable *st)
{
    const uint8_t *m = (const uint8_t *) &st->mask.masks;

    st->has_tries = false;
    for (size_t i = 0; i < CLS_N_TRIES; i++) {
        /* An all-zero or non-CIDR mask: not prefix-tracked here. */
        int plen = ofp_mask_prefix_len(m + cls_trie_fields[i].ofs,
                                       cls_trie_fields[i].n_bytes);
        st->trie_plen[i] = (uint8_t) (plen > 0 ? plen : 0);
        st->has_tries |= st->trie_plen[i] != 0;
    }
}

/* Sets the first 'n_bits' mask bits of trie field 'i' in 'wc'. */
static void
wc_set_prefix(struct flow_wc *wc, size_t i, unsigned n_bits)
{
    uint8_t *m = (uint8_t *) &wc->masks + cls_trie_fields[i].ofs;

    memset(m, 0xff, n_bits / 8);
    if (n_bits % 8) {
        m[n_bits / 8] |= (uint8_t) (0xff00u >> (n_bits % 8));
    }
}

/* ORs the mask bits of segments [0, n_segs) into 'wc'. */
static inline void
subtable_unwildcard(const struct ofp_cls_subtable *st, uint32_t n_segs,
                    struct flow_wc *wc)
{
    if (wc) {
        flow_u64 *w = flow_u64s_rw(&wc->masks);

        for (uint32_t j = 0; j < n_segs; j++) {
            w[st->seg_word[j]] |= st->seg_mask[j];
        }
    }
}

/* Masks 'flow' into segment words 'mw', stores the prefix hash of each
 * check in 'check_hashes', returns the full hash. */
static uint32_t
subtable_hash_key(const struct ofp_cls_subtable *st, const struct flow *flow,
                  uint64_t mw[], uint32_t check_hashes[])
{
    const flow_u64 *w = flow_u64s(flow);
    uint64_t hash = 0;
    uint32_t j = 0;

    for (uint32_t c = 0; c <= st->n_checks; c++) {
        uint32_t end = c < st->n_checks ? st->check_end[c] : st->n_segs;

        for (; j < end; j++) {
            mw[j] = w[st->seg_word[j]] & st->seg_mask[j];
            hash = flow_hash_add64(hash, mw[j]);
        }
        if (c < st->n_checks) {
            check_hashes[c] = flow_hash_finish(hash, j);
        }
    }
    return flow_hash_finish(hash, j);
}

/* ----------------------------------------------------------------------
 * A subtable's table of keys. */

static inline bool
rule_key_equal(const struct ofp_cls_subtable *st,
               const struct ofp_cls_rule *rule, const uint64_t mw[])
{
    const flow_u64 *rk = flow_u64s(&rule->match.flow);
    uint64_t diff = 0;

    for (uint32_t j = 0; j < st->n_segs; j++) {
        diff |= (rk[st->seg_word[j]] & st->seg_mask[j]) ^ mw[j];
    }
    return !diff;
}

/* The head of the key whose masked segment words are 'mw', or NULL. */
static inline struct ofp_cls_rule *
subtable_find_key(const struct ofp_cls_subtable *st, uint32_t hash,
                  const uint64_t mw[])
{
    const struct cls_htab *t = &st->keys;

    for (uint32_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        const struct cls_slot *s = &t->slots[i];

        if (!s->count) {
            return NULL;
        }
        if (s->hash == hash && rule_key_equal(st, s->head, mw)) {
            return s->head;
        }
    }
}

/* The slot of key head 'head'. */
static struct cls_slot *
subtable_head_slot(struct ofp_cls_subtable *st,
                   const struct ofp_cls_rule *head)
{
    struct cls_htab *t = &st->keys;
    uint32_t i = head->hash & t->mask;

    while (t->slots[i].head != head) {
        i = (i + 1) & t->mask;
    }
    return &t->slots[i];
}

/* Makes room for one more key: tables may grow, nothing is added, so a
 * failure leaves the subtable as it was. */
static int
subtable_reserve_key(struct ofp_cls_subtable *st)
{
    int error = htab_reserve(&st->keys);

    for (uint32_t c = 0; !error && c < st->n_checks; c++) {
        error = htab_reserve(&st->checks[c]);
    }
    return error;
}

static void
subtable_add_key(struct ofp_cls_subtable *st, struct ofp_cls_rule *head,
                 const uint32_t check_hashes[])
{
    htab_place(&st->keys, head->hash, 1, head);
    for (uint32_t c = 0; c < st->n_checks; c++) {
        hset_add(&st->checks[c], check_hashes[c]);
    }
}

static void
subtable_del_key(struct ofp_cls_subtable *st, struct ofp_cls_rule *head)
{
    uint64_t mw[CLS_MAX_SEGS];
    uint32_t check_hashes[CLS_N_CHECKS];
    struct cls_slot *s = subtable_head_slot(st, head);

    htab_delete_slot(&st->keys, (uint32_t) (s - st->keys.slots));
    (void) subtable_hash_key(st, &head->match.flow, mw, check_hashes);
    for (uint32_t c = 0; c < st->n_checks; c++) {
        hset_remove(&st->checks[c], check_hashes[c]);
    }
}

/* ----------------------------------------------------------------------
 * Subtable lifetime and ranking. */

static void
subtable_destroy(struct ofp_cls_subtable *st)
{
    if (st) {
        for (uint32_t c = 0; c < st->n_checks; c++) {
            free(st->checks[c].slots);
        }
        free(st->keys.slots);
        free(st);
    }
}

static struct ofp_cls_subtable *
subtable_create(const struct flow_wc *mask, uint32_t mask_hash)
{
    struct ofp_cls_subtable *st = calloc(1, sizeof *st);

    if (!st) {
        return NULL;
    }
    st->mask = *mask;
    st->mask_hash = mask_hash;
    st->min_order = UINT64_MAX;
    subtable_init_segments(st);
    subtable_init_tries(st);
    if (htab_init(&st->keys, CLS_MIN_SLOTS)) {
        goto err;
    }
    for (uint32_t c = 0; c < st->n_checks; c++) {
        if (htab_init(&st->checks[c], CLS_MIN_SLOTS)) {
            goto err;
        }
    }
    return st;

err:
    subtable_destroy(st);
    return NULL;
}

/* Folds a rule (or key head) into the subtable's best-rule rank. */
static void
subtable_rank_add(struct ofp_cls_subtable *st, const struct ofp_cls_rule *r)
{
    if (!st->max_count || r->priority > st->max_priority) {
        st->max_priority = r->priority;
        st->max_count = 1;
        st->min_order = r->order;
    } else if (r->priority == st->max_priority) {
        st->max_count++;
        if (r->order < st->min_order) {
            st->min_order = r->order;
        }
    }
}

/* After 'r' left: recomputes the rank from the key heads when no rule of
 * max_priority is left (only heads can have it: priorities are unique
 * within a key and the head has the highest). */
static void
subtable_rank_remove(struct ofp_cls_subtable *st, const struct ofp_cls_rule *r)
{
    if (r->priority != st->max_priority || --st->max_count) {
        return;
    }
    st->min_order = UINT64_MAX;
    for (uint32_t i = 0; i <= st->keys.mask; i++) {
        if (st->keys.slots[i].count) {
            subtable_rank_add(st, st->keys.slots[i].head);
        }
    }
}

static bool
entry_before(const struct cls_entry *a, const struct cls_entry *b)
{
    return rank_before(a->max_priority, a->min_order,
                       b->max_priority, b->min_order);
}

static uint32_t
cls_entry_index(const struct ofp_cls *cls, const struct ofp_cls_subtable *st)
{
    uint32_t i = 0;

    while (cls->vec[i].st != st) {
        i++;
    }
    return i;
}

/* Moves 'st' to its place in the vector after its rank changed. */
static void
cls_rerank(struct ofp_cls *cls, struct ofp_cls_subtable *st)
{
    struct cls_entry e = {
        .min_order = st->min_order,
        .max_priority = st->max_priority,
        .st = st,
    };
    uint32_t i = cls_entry_index(cls, st);

    while (i > 0 && entry_before(&e, &cls->vec[i - 1])) {
        cls->vec[i] = cls->vec[i - 1];
        i--;
    }
    while (i + 1 < cls->n_subtables && entry_before(&cls->vec[i + 1], &e)) {
        cls->vec[i] = cls->vec[i + 1];
        i++;
    }
    cls->vec[i] = e;
}

static struct ofp_cls_subtable *
cls_find_subtable(const struct ofp_cls *cls, const struct flow_wc *mask,
                  uint32_t mask_hash)
{
    for (uint32_t i = 0; i < cls->n_subtables; i++) {
        struct ofp_cls_subtable *st = cls->vec[i].st;

        if (st->mask_hash == mask_hash
            && flow_equal(&st->mask.masks, &mask->masks)) {
            return st;
        }
    }
    return NULL;
}

/* A new, empty subtable goes last; its first rule reranks it. */
static int
cls_add_subtable(struct ofp_cls *cls, const struct flow_wc *mask,
                 uint32_t mask_hash, struct ofp_cls_subtable **stp)
{
    if (cls->n_subtables == cls->alloc_subtables) {
        uint32_t n = cls->alloc_subtables ? cls->alloc_subtables * 2 : 8;
        struct cls_entry *v = realloc(cls->vec, n * sizeof *v);

        if (!v) {
            return -ENOMEM;
        }
        cls->vec = v;
        cls->alloc_subtables = n;
    }
    struct ofp_cls_subtable *st = subtable_create(mask, mask_hash);
    if (!st) {
        return -ENOMEM;
    }
    cls->vec[cls->n_subtables++] = (struct cls_entry) {
        .min_order = UINT64_MAX,
        .max_priority = 0,
        .st = st,
    };
    *stp = st;
    return 0;
}

static void
cls_del_subtable(struct ofp_cls *cls, struct ofp_cls_subtable *st)
{
    uint32_t i = cls_entry_index(cls, st);

    memmove(&cls->vec[i], &cls->vec[i + 1],
            (cls->n_subtables - i - 1) * sizeof *cls->vec);
    cls->n_subtables--;
    subtable_destroy(st);
}

/* ----------------------------------------------------------------------
 * Classifier. */

int
ofp_cls_create(struct ofp_cls **clsp)
{
    struct ofp_cls *cls = calloc(1, sizeof *cls);

    *clsp = cls;
    if (!cls) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < CLS_N_TRIES; i++) {
        ofp_trie_init(&cls->tries[i], cls_trie_fields[i].n_bytes * 8);
    }
    return 0;
}

void
ofp_cls_destroy(struct ofp_cls *cls)
{
    if (cls) {
        for (size_t i = 0; i < CLS_N_TRIES; i++) {
            ofp_trie_destroy(&cls->tries[i]);
        }
        for (uint32_t i = 0; i < cls->n_subtables; i++) {
            subtable_destroy(cls->vec[i].st);
        }
        free(cls->vec);
        free(cls);
    }
}

void
ofp_cls_rule_init(struct ofp_cls_rule *rule, const struct ofp_match *match,
                  uint32_t priority)
{
    memset(rule, 0, sizeof *rule);
    rule->match = *match;
    flow_zero_wildcards(&rule->match.flow, &rule->match.wc);
    rule->priority = priority;
}

/* Links 'rule' into the list of key 'head' by priority.  A rule of equal
 * priority is replaced: 'rule' takes its place and its insertion order
 * (an OFPFC_ADD over an identical flow is the same flow to OpenFlow, so
 * it keeps its standing among equal-priority overlaps).  Returns the
 * replaced rule or NULL. */
static struct ofp_cls_rule *
subtable_link_rule(struct ofp_cls_subtable *st, struct ofp_cls_rule *head,
                   struct ofp_cls_rule *rule)
{
    struct ofp_cls_rule *prev = NULL, *cur = head;

    while (cur && cur->priority > rule->priority) {
        prev = cur;
        cur = cur->next_same;
    }
    bool replace = cur && cur->priority == rule->priority;
    if (replace) {
        rule->order = cur->order;
        rule->next_same = cur->next_same;
    } else {
        rule->next_same = cur;
    }
    if (prev) {
        prev->next_same = rule;
    } else {
        subtable_head_slot(st, head)->head = rule;
    }
    return replace ? cur : NULL;
}

static void
rule_unlinked(struct ofp_cls_rule *rule)
{
    rule->subtable = NULL;
    rule->next_same = NULL;
}

static const uint8_t *
rule_trie_value(const struct ofp_cls_rule *rule, size_t i)
{
    return (const uint8_t *) &rule->match.flow + cls_trie_fields[i].ofs;
}

/* Drops 'rule's prefixes from the tries of the fields 'st' tracks, the
 * first 'n' of them. */
static void
cls_trie_remove_rule(struct ofp_cls *cls, const struct ofp_cls_subtable *st,
                     const struct ofp_cls_rule *rule, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (st->trie_plen[i]) {
            ofp_trie_remove(&cls->tries[i], rule_trie_value(rule, i),
                            st->trie_plen[i]);
        }
    }
}

/* Counts 'rule's prefixes in the tries; on -ENOMEM none is counted. */
static int
cls_trie_add_rule(struct ofp_cls *cls, const struct ofp_cls_subtable *st,
                  const struct ofp_cls_rule *rule)
{
    for (size_t i = 0; st->has_tries && i < CLS_N_TRIES; i++) {
        if (st->trie_plen[i]) {
            int error = ofp_trie_insert(&cls->tries[i],
                                        rule_trie_value(rule, i),
                                        st->trie_plen[i]);
            if (error) {
                cls_trie_remove_rule(cls, st, rule, i);
                return error;
            }
        }
    }
    return 0;
}

/* Inserts 'rule' into 'st' (which may be brand new and empty). */
static int
subtable_insert(struct ofp_cls *cls, struct ofp_cls_subtable *st,
                struct ofp_cls_rule *rule, struct ofp_cls_rule **replaced)
{
    uint64_t mw[CLS_MAX_SEGS];
    uint32_t check_hashes[CLS_N_CHECKS];
    uint32_t hash = subtable_hash_key(st, &rule->match.flow, mw,
                                      check_hashes);
    struct ofp_cls_rule *head = subtable_find_key(st, hash, mw);

    /* The tries count the rule first: that may fail, and it is the one
     * step that cannot be undone by what follows. */
    int error = cls_trie_add_rule(cls, st, rule);
    if (error) {
        return error;
    }
    rule->hash = hash;
    rule->order = cls->next_order;
    if (head) {
        *replaced = subtable_link_rule(st, head, rule);
    } else {
        error = subtable_reserve_key(st);
        if (error) {
            cls_trie_remove_rule(cls, st, rule, CLS_N_TRIES);
            return error;
        }
        rule->next_same = NULL;
        subtable_add_key(st, rule, check_hashes);
    }
    rule->subtable = st;
    cls->next_order++;
    if (*replaced) {
        /* Same match: its prefixes were counted twice. */
        cls_trie_remove_rule(cls, st, *replaced, CLS_N_TRIES);
        rule_unlinked(*replaced);
        return 0;               /* same priority and order: same rank */
    }
    st->n_rules++;
    cls->n_rules++;
    subtable_rank_add(st, rule);
    cls_rerank(cls, st);
    return 0;
}

int
ofp_cls_insert(struct ofp_cls *cls, struct ofp_cls_rule *rule,
               struct ofp_cls_rule **replaced)
{
    const struct flow_wc *mask = &rule->match.wc;
    uint32_t mask_hash = flow_hash(&mask->masks, 0);
    struct ofp_cls_rule *old = NULL;
    struct ofp_cls_subtable *st;
    int error;

    if (replaced) {
        *replaced = NULL;
    }
    flow_zero_wildcards(&rule->match.flow, mask);
    st = cls_find_subtable(cls, mask, mask_hash);
    if (!st) {
        error = cls_add_subtable(cls, mask, mask_hash, &st);
        if (error) {
            return error;
        }
    }
    error = subtable_insert(cls, st, rule, &old);
    if (error) {
        if (!st->n_rules) {
            cls_del_subtable(cls, st);
        }
        return error;
    }
    if (replaced) {
        *replaced = old;
    }
    return 0;
}

/* The head of the key 'rule' belongs to, and the rule before it in that
 * key's list (NULL if 'rule' is the head). */
static struct ofp_cls_rule *
subtable_find_rule(const struct ofp_cls_subtable *st,
                   const struct ofp_cls_rule *rule,
                   struct ofp_cls_rule **prevp)
{
    const struct cls_htab *t = &st->keys;

    for (uint32_t i = rule->hash & t->mask; t->slots[i].count;
         i = (i + 1) & t->mask) {
        struct ofp_cls_rule *prev = NULL;

        for (struct ofp_cls_rule *r = t->slots[i].head; r;
             prev = r, r = r->next_same) {
            if (r == rule) {
                *prevp = prev;
                return t->slots[i].head;
            }
        }
    }
    return NULL;
}

void
ofp_cls_remove(struct ofp_cls *cls, struct ofp_cls_rule *rule)
{
    struct ofp_cls_subtable *st = rule->subtable;
    struct ofp_cls_rule *prev = NULL;

    if (!st || !subtable_find_rule(st, rule, &prev)) {
        return;                 /* not inserted */
    }
    if (prev) {
        prev->next_same = rule->next_same;
    } else if (rule->next_same) {
        subtable_head_slot(st, rule)->head = rule->next_same;
    } else {
        subtable_del_key(st, rule);
    }
    cls_trie_remove_rule(cls, st, rule, CLS_N_TRIES);
    st->n_rules--;
    cls->n_rules--;
    if (!st->n_rules) {
        cls_del_subtable(cls, st);
    } else {
        subtable_rank_remove(st, rule);
        cls_rerank(cls, st);
    }
    rule_unlinked(rule);
}

struct ofp_cls_rule *
ofp_cls_find_exact(const struct ofp_cls *cls, const struct ofp_match *match,
                   uint32_t priority)
{
    uint32_t mask_hash = flow_hash(&match->wc.masks, 0);
    const struct ofp_cls_subtable *st;
    uint64_t mw[CLS_MAX_SEGS];
    uint32_t check_hashes[CLS_N_CHECKS];

    st = cls_find_subtable(cls, &match->wc, mask_hash);
    if (!st) {
        return NULL;
    }
    uint32_t hash = subtable_hash_key(st, &match->flow, mw, check_hashes);
    struct ofp_cls_rule *r = subtable_find_key(st, hash, mw);
    while (r && r->priority > priority) {
        r = r->next_same;
    }
    return r && r->priority == priority ? r : NULL;
}

/* ----------------------------------------------------------------------
 * Lookup. */

/* A probe of one subtable in progress: the masked words and running hash
 * of segments [0, j), and the next stage check 'c'. */
struct cls_probe {
    uint64_t mw[CLS_MAX_SEGS];
    uint64_t hash;
    uint32_t j;
    uint32_t c;
};

/* Hashes the segments up to 'end', passing each stage check on the way;
 * false (the bits read so far un-wildcarded) when one misses. */
static inline bool
subtable_probe_to(const struct ofp_cls_subtable *st, const flow_u64 *w,
                  struct cls_probe *p, uint32_t end, struct flow_wc *wc)
{
    for (; p->c < st->n_checks && st->check_end[p->c] <= end; p->c++) {
        for (; p->j < st->check_end[p->c]; p->j++) {
            p->mw[p->j] = w[st->seg_word[p->j]] & st->seg_mask[p->j];
            p->hash = flow_hash_add64(p->hash, p->mw[p->j]);
        }
        if (!hset_contains(&st->checks[p->c],
                           flow_hash_finish(p->hash, p->j))) {
            subtable_unwildcard(st, p->j, wc);
            return false;
        }
    }
    for (; p->j < end; p->j++) {
        p->mw[p->j] = w[st->seg_word[p->j]] & st->seg_mask[p->j];
        p->hash = flow_hash_add64(p->hash, p->mw[p->j]);
    }
    return true;
}

/* The tries' answers for one packet, looked up on first use. */
struct cls_trie_ctx {
    bool done[CLS_N_TRIES];
    struct ofp_trie_result res[CLS_N_TRIES];
};

/* Can any rule of 'st' match 'flow' on the prefix-tracked fields?  When
 * a trie says no rule anywhere in the table has a prefix of the
 * subtable's length that matches the packet, no rule of 'st' can; the
 * answer rests only on the bits the trie read (at most the prefix length
 * itself: any value with the same first plen bits lacks the same
 * prefixes), so only those and the stages before go into 'wc'. */
static bool
subtable_tries_allow(const struct ofp_cls *cls,
                     const struct ofp_cls_subtable *st,
                     const struct flow *flow, struct cls_trie_ctx *ctx,
                     uint32_t n_segs_read, struct flow_wc *wc)
{
    for (size_t i = 0; i < CLS_N_TRIES; i++) {
        unsigned plen = st->trie_plen[i];

        if (!plen) {
            continue;
        }
        if (!ctx->done[i]) {
            ofp_trie_lookup(&cls->tries[i], (const uint8_t *) flow
                            + cls_trie_fields[i].ofs, &ctx->res[i]);
            ctx->done[i] = true;
        }
        if (!ofp_trie_result_has(&ctx->res[i], plen)) {
            if (wc) {
                unsigned checkbits = ctx->res[i].checkbits;

                subtable_unwildcard(st, n_segs_read, wc);
                wc_set_prefix(wc, i, checkbits < plen ? checkbits : plen);
            }
            return false;
        }
    }
    return true;
}

/* The best rule of 'st' matching 'flow', or NULL; un-wildcards what it
 * looked at: the stages up to a failed check, the stages before the
 * trie stage plus the trie's bits when a trie rules 'st' out, all of the
 * mask on a hit or a full-key miss. */
static inline const struct ofp_cls_rule *
subtable_lookup(const struct ofp_cls *cls, const struct ofp_cls_subtable *st,
                const struct flow *flow, struct cls_trie_ctx *ctx,
                struct flow_wc *wc)
{
    const flow_u64 *w = flow_u64s(flow);
    struct cls_probe p;

    p.hash = 0;
    p.j = 0;
    p.c = 0;
    if (st->has_tries
        && (!subtable_probe_to(st, w, &p, st->trie_seg, wc)
            || !subtable_tries_allow(cls, st, flow, ctx, p.j, wc))) {
        return NULL;
    }
    if (!subtable_probe_to(st, w, &p, st->n_segs, wc)) {
        return NULL;
    }
    subtable_unwildcard(st, p.j, wc);
    return subtable_find_key(st, flow_hash_finish(p.hash, p.j), p.mw);
}

const struct ofp_cls_rule *
ofp_cls_lookup(const struct ofp_cls *cls, const struct flow *flow,
               struct flow_wc *wc)
{
    const struct ofp_cls_rule *best = NULL;
    struct cls_trie_ctx ctx;

    memset(ctx.done, 0, sizeof ctx.done);
    for (uint32_t i = 0; i < cls->n_subtables; i++) {
        const struct cls_entry *e = &cls->vec[i];

        /* Sorted: if this subtable cannot beat 'best', no later one can.
         * Skipped subtables add nothing to 'wc'. */
        if (best && !rank_before(e->max_priority, e->min_order,
                                 best->priority, best->order)) {
            break;
        }
        const struct ofp_cls_rule *r = subtable_lookup(cls, e->st, flow,
                                                       &ctx, wc);
        if (r && (!best || rule_before(r, best))) {
            best = r;
        }
    }
    return best;
}

unsigned
ofp_cls_count(const struct ofp_cls *cls)
{
    return cls->n_rules;
}

unsigned
ofp_cls_n_subtables(const struct ofp_cls *cls)
{
    return cls->n_subtables;
}

/* ----------------------------------------------------------------------
 * Collect. */

static int
rule_cmp(const void *a_, const void *b_)
{
    const struct ofp_cls_rule *a = *(const struct ofp_cls_rule *const *) a_;
    const struct ofp_cls_rule *b = *(const struct ofp_cls_rule *const *) b_;

    return rule_before(a, b) ? -1 : rule_before(b, a) ? 1 : 0;
}

/* Could 'filter' cover rules with mask 'mask': its mask must be a subset
 * (ofp_match_covers), which holds for all rules of a subtable or none. */
static bool
mask_subset(const struct flow_wc *filter, const struct flow_wc *mask)
{
    const flow_u64 *f = flow_u64s(&filter->masks);
    const flow_u64 *m = flow_u64s(&mask->masks);
    uint64_t extra = 0;

    for (size_t i = 0; i < FLOW_U64S; i++) {
        extra |= f[i] & ~m[i];
    }
    return !extra;
}

int
ofp_cls_collect(const struct ofp_cls *cls, const struct ofp_match *filter,
                struct ofp_cls_rule ***rulesp, size_t *np)
{
    /* At least one slot: success always returns a freeable array. */
    struct ofp_cls_rule **v = malloc((cls->n_rules ? cls->n_rules : 1)
                                     * sizeof *v);
    size_t n = 0;

    *rulesp = NULL;
    *np = 0;
    if (!v) {
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < cls->n_subtables; i++) {
        const struct ofp_cls_subtable *st = cls->vec[i].st;

        if (filter && !mask_subset(&filter->wc, &st->mask)) {
            continue;
        }
        for (uint32_t k = 0; k <= st->keys.mask; k++) {
            for (struct ofp_cls_rule *r = st->keys.slots[k].head; r;
                 r = r->next_same) {
                if (!filter || ofp_match_covers(filter, &r->match)) {
                    v[n++] = r;
                }
            }
        }
    }
    qsort(v, n, sizeof *v, rule_cmp);
    *rulesp = v;
    *np = n;
    return 0;
}
