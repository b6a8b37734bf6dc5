/* SPDX-License-Identifier: Apache-2.0 */
/* Prefix tries; see ofp_trie.h for what they are for and their shape. */
#include "ofp_trie.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ofp_trie_node {
    uint8_t prefix[OFP_TRIE_MAX_BITS / 8];   /* bits past plen are zero */
    uint8_t plen;
    uint32_t n_rules;                        /* rules with this prefix */
    struct ofp_trie_node *child[2];
};

/* Bit 'i' of a big-endian bit string. */
static inline unsigned
bit_at(const uint8_t *v, unsigned i)
{
    return (v[i / 8] >> (7 - i % 8)) & 1;
}

/* The first index in [from, to) where 'a' and 'b' differ, or 'to'. */
static unsigned
first_diff(const uint8_t *a, const uint8_t *b, unsigned from, unsigned to)
{
    for (unsigned i = from; i < to; i = (i / 8 + 1) * 8) {
        unsigned byte = i / 8;
        unsigned x = (a[byte] ^ b[byte]) & (0xffu >> (i % 8));

        if (x) {
            unsigned d = byte * 8 + (unsigned) __builtin_clz(x) - 24;
            return d < to ? d : to;
        }
    }
    return to;
}

static struct ofp_trie_node *
node_create(const uint8_t *value, unsigned plen, uint32_t n_rules)
{
    struct ofp_trie_node *n = calloc(1, sizeof *n);

    if (n) {
        memcpy(n->prefix, value, (plen + 7) / 8);
        if (plen % 8) {
            n->prefix[plen / 8] &= (uint8_t) (0xff00u >> (plen % 8));
        }
        n->plen = (uint8_t) plen;
        n->n_rules = n_rules;
    }
    return n;
}

static void
node_destroy_tree(struct ofp_trie_node *n)
{
    /* Depth is at most 129 (one node per prefix length on a path). */
    if (n) {
        node_destroy_tree(n->child[0]);
        node_destroy_tree(n->child[1]);
        free(n);
    }
}

void
ofp_trie_init(struct ofp_trie *t, unsigned n_bits)
{
    t->root = NULL;
    t->n_bits = n_bits;
}

void
ofp_trie_destroy(struct ofp_trie *t)
{
    node_destroy_tree(t->root);
    t->root = NULL;
}

/* Puts a node for 'value'/'plen' between 'parent' and its child 'c',
 * which share the first 'common' bits with the value (common < c->plen,
 * common <= plen).  The new prefix is the split node itself when
 * common == plen, else a new leaf beside 'c'. */
static int
trie_split(struct ofp_trie_node **link, struct ofp_trie_node *c,
           const uint8_t *value, unsigned plen, unsigned common)
{
    struct ofp_trie_node *mid = node_create(value, common, common == plen);

    if (!mid) {
        return -ENOMEM;
    }
    if (common < plen) {
        struct ofp_trie_node *leaf = node_create(value, plen, 1);

        if (!leaf) {
            free(mid);
            return -ENOMEM;
        }
        mid->child[bit_at(value, common)] = leaf;
    }
    mid->child[bit_at(c->prefix, common)] = c;
    *link = mid;
    return 0;
}

int
ofp_trie_insert(struct ofp_trie *t, const uint8_t *value, unsigned plen)
{
    if (plen > t->n_bits) {
        return -EINVAL;
    }
    if (!t->root) {
        t->root = node_create(value, 0, 0);
        if (!t->root) {
            return -ENOMEM;
        }
    }
    /* Each step goes at least one bit deeper: at most plen + 1 steps. */
    for (struct ofp_trie_node *n = t->root;;) {
        if (n->plen == plen) {
            n->n_rules++;
            return 0;
        }
        unsigned b = bit_at(value, n->plen);
        struct ofp_trie_node *c = n->child[b];
        if (!c) {
            n->child[b] = node_create(value, plen, 1);
            return n->child[b] ? 0 : -ENOMEM;
        }
        unsigned limit = plen < c->plen ? plen : c->plen;
        unsigned common = first_diff(value, c->prefix, n->plen + 1, limit);
        if (common < c->plen) {
            return trie_split(&n->child[b], c, value, plen, common);
        }
        n = c;
    }
}

/* After 'n' (reached through '*link') lost its last rule: a node without
 * rules stays only while it parts two branches. */
static void
trie_prune(struct ofp_trie_node **link, struct ofp_trie_node *n,
           struct ofp_trie_node **parent_link)
{
    struct ofp_trie_node *parent = parent_link ? *parent_link : NULL;

    if (n->child[0] && n->child[1]) {
        return;
    }
    *link = n->child[0] ? n->child[0] : n->child[1];
    free(n);
    /* A parent (not the root) that now has one child and no rules of its
     * own has nothing left to part. */
    if (parent && !parent->n_rules && !*link) {
        struct ofp_trie_node *only = parent->child[0] ? parent->child[0]
                                                      : parent->child[1];
        *parent_link = only;
        free(parent);
    }
}

void
ofp_trie_remove(struct ofp_trie *t, const uint8_t *value, unsigned plen)
{
    struct ofp_trie_node **link = NULL, **parent_link = NULL;
    struct ofp_trie_node *n = t->root;

    if (!n || plen > t->n_bits) {
        return;
    }
    while (n->plen < plen) {
        unsigned b = bit_at(value, n->plen);
        struct ofp_trie_node *c = n->child[b];

        if (!c || c->plen > plen
            || first_diff(value, c->prefix, n->plen, c->plen) < c->plen) {
            return;
        }
        parent_link = link;
        link = &n->child[b];
        n = c;
    }
    if (!n->n_rules || --n->n_rules || !link) {
        return;                 /* absent, still counted, or the root */
    }
    trie_prune(link, n, parent_link);
}

void
ofp_trie_lookup(const struct ofp_trie *t, const uint8_t *value,
                struct ofp_trie_result *r)
{
    const struct ofp_trie_node *n = t->root;

    memset(r, 0, sizeof *r);
    /* Each step goes at least one bit deeper: at most n_bits + 1 steps. */
    while (n) {
        if (n->n_rules) {
            r->plens[n->plen / 64] |= 1ull << (n->plen % 64);
        }
        if (n->plen >= t->n_bits) {
            r->checkbits = t->n_bits;
            return;
        }
        unsigned b = bit_at(value, n->plen);
        const struct ofp_trie_node *c = n->child[b];
        if (!c) {
            /* Nothing longer this way; if something is the other way,
             * the bit that chose between them was read too. */
            r->checkbits = n->plen + (n->child[!b] ? 1 : 0);
            return;
        }
        unsigned d = first_diff(value, c->prefix, n->plen + 1, c->plen);
        if (d < c->plen) {
            r->checkbits = d + 1;
            return;
        }
        n = c;
    }
}

static void
node_count(const struct ofp_trie_node *n, unsigned *n_prefixes,
           unsigned *n_nodes)
{
    if (n) {
        *n_prefixes += n->n_rules > 0;
        (*n_nodes)++;
        node_count(n->child[0], n_prefixes, n_nodes);
        node_count(n->child[1], n_prefixes, n_nodes);
    }
}

void
ofp_trie_stats(const struct ofp_trie *t, unsigned *n_prefixes,
               unsigned *n_nodes)
{
    *n_prefixes = 0;
    *n_nodes = 0;
    node_count(t->root, n_prefixes, n_nodes);
}
