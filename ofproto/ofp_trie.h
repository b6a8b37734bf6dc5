/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_OFP_TRIE_H
#define RSW_OFP_TRIE_H 1

/* Prefix tracking for one address field of one OpenFlow table.
 *
 * Why
 * ===
 *
 * A miss in a subtable whose rules match nw_dst exactly says "this
 * packet's nw_dst is none of those", and without more knowledge the
 * megaflow must then match the packet's whole nw_dst: with a million
 * destinations that is a million megaflows, even when every rule's
 * address lies in 10.253.0.0/18 and the packet's in 10.254.0.0/16.  A
 * binary trie of the prefixes the table's rules match on tells, from the
 * first few bits of the address, that no rule with a /32 (or /24, ...)
 * on this field can match -- and how many leading bits that answer needed.
 * The classifier then skips the subtable and un-wildcards only those
 * bits, so all of 10.254.0.0/15 shares one megaflow.  Open vSwitch's
 * classifier does the same (its "prefix tries", lib/classifier.c).
 *
 * Shape
 * =====
 *
 * A path-compressed binary trie over big-endian bit strings (network
 * order: bit 0 is the most significant bit of byte 0) of up to 128 bits.
 * Every node holds its whole prefix and its length; a node's children
 * continue it with a 0 or a 1 bit.  A node exists where a prefix was
 * inserted (n_rules > 0) or where two branches part, so a trie of n
 * prefixes has fewer than 2n nodes.  The root is the empty prefix.
 *
 * Lookup of a value walks the one path of nodes that are prefixes of it
 * and reports (a) the lengths of the inserted prefixes found on the way
 * and (b) 'checkbits': how many leading bits of the value the walk read
 * before it ended.  Every value with the same first 'checkbits' bits
 * walks the same path and gets the same answer -- that is what makes
 * un-wildcarding only those bits sound.
 *
 * Threading: none; the owner (ofp_cls) serialises every call. */

#include <stdbool.h>
#include <stdint.h>
#include "vhost/compiler.h"

#define OFP_TRIE_MAX_BITS 128

struct ofp_trie_node;

struct ofp_trie {
    struct ofp_trie_node *root;      /* NULL until the first insert */
    unsigned n_bits;                 /* the field's width: 32 or 128 */
};

/* What a lookup found: bit p of 'plens' (p = 0..128, word p / 64) is set
 * when an inserted prefix of length p matches the value. */
struct ofp_trie_result {
    uint64_t plens[3];
    unsigned checkbits;
};

void ofp_trie_init(struct ofp_trie *, unsigned n_bits);
/* Frees every node.  A trie never initialised (zeroed) is fine. */
void ofp_trie_destroy(struct ofp_trie *);

/* Counts one more rule with the first 'plen' bits of 'value'
 * (plen <= n_bits).  -ENOMEM leaves the trie as it was. */
int ofp_trie_insert(struct ofp_trie *, const uint8_t *value, unsigned plen)
    RSW_MUST_CHECK;
/* Drops one rule counted by ofp_trie_insert with the same prefix; a prefix
 * that is not present is ignored. */
void ofp_trie_remove(struct ofp_trie *, const uint8_t *value, unsigned plen);

void ofp_trie_lookup(const struct ofp_trie *, const uint8_t *value,
                     struct ofp_trie_result *);

static inline bool
ofp_trie_result_has(const struct ofp_trie_result *r, unsigned plen)
{
    return (r->plens[plen / 64] >> (plen % 64)) & 1;
}

/* The number of prefixes (distinct values) and of nodes, for tests. */
void ofp_trie_stats(const struct ofp_trie *, unsigned *n_prefixes,
                    unsigned *n_nodes);

#endif
