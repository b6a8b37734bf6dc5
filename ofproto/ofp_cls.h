/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_OFP_CLS_H
#define RSW_OFP_CLS_H 1

/* The classifier of one OpenFlow table: rules with a match (ofp_match.h)
 * and a priority; a lookup finds the highest-priority rule matching a
 * packet and records which bits of the packet it had to look at.
 *
 * Tuple space search
 * ==================
 *
 * Rules with the same mask share a subtable: a hash table keyed by the
 * masked key.  A lookup probes subtables in order of their highest
 * priority and stops once no remaining subtable can hold a rule better
 * than the best found -- so a table of many rules with few distinct masks
 * costs a few hash probes, whatever its size.
 *
 * Un-wildcarding (what the megaflow must match on)
 * ================================================
 *
 * The answer for a packet depends on every bit any probed subtable looked
 * at, whether it hit or not: a miss in the "tcp,tp_dst=80" subtable says
 * "this packet's tp_dst is not 80", which is only true of packets with
 * the same tp_dst.  So the lookup ORs the mask of each probed subtable
 * into 'wc'.  Staged lookup (as in OVS's classifier) makes misses cheaper
 * in bits: each subtable's mask is split into stages -- metadata and
 * in_port, then L2, then L3, then L4 -- each with its own index of the key
 * prefixes present; a probe that fails at stage k un-wildcards only the
 * bits of stages 1..k.  E.g. with 5-tuple rules for 10.0.0.0/24 sources,
 * a packet from elsewhere gets a megaflow on the L2 and L3 bits only, not
 * one per L4 port pair.  Subtables skipped because of priority add
 * nothing.
 *
 * Prefix tracking (ofp_trie.h) goes further for the address fields
 * (nw_src, nw_dst, ipv6_src, ipv6_dst): when a probe reaches the L3 stage
 * of a subtable whose mask on such a field is a prefix of length P, a
 * trie of every rule's prefix on that field says whether any /P prefix
 * matches the packet at all; if none does, the subtable is skipped and
 * only the leading bits the trie read (at most P) are un-wildcarded.
 * 5-tuple rules for addresses in 10.253.0.0/18 then give a packet for
 * 10.254.1.1 a megaflow on nw_dst=10.254.0.0/15, not one per address.
 *
 * Equal priorities: when two rules of the same priority both match a
 * packet, the one inserted first wins (OpenFlow leaves this undefined;
 * we make it deterministic so tests and trace can rely on it).  An insert
 * with the same match and priority as an existing rule replaces it
 * (OF 1.3 §6.4, OFPFC_ADD with an identical flow).
 *
 * Threading: none.  The owner (ofproto) serialises every call. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ofp_match.h"
#include "vhost/compiler.h"

struct ofp_cls;
struct ofp_cls_subtable;

/* Embedded in the owner's rule; 'match' and 'priority' are read-only once
 * inserted. */
struct ofp_cls_rule {
    struct ofp_match match;
    uint32_t priority;
    /* Private to ofp_cls.c. */
    uint64_t order;                  /* insertion sequence number */
    uint32_t hash;
    struct ofp_cls_rule *next_same;  /* same key, lower priority */
    struct ofp_cls_subtable *subtable;
};

int ofp_cls_create(struct ofp_cls **) RSW_MUST_CHECK;
/* Frees the classifier, not its rules.  NULL is a no-op. */
void ofp_cls_destroy(struct ofp_cls *);

void ofp_cls_rule_init(struct ofp_cls_rule *, const struct ofp_match *,
                       uint32_t priority);

/* Inserts 'rule' (initialised with ofp_cls_rule_init, in no classifier).
 * If a rule with an equal match and priority is present it is removed and
 * returned in '*replaced' (else NULL; 'replaced' may be NULL), and 'rule'
 * inherits its insertion order for the equal-priority rule.  On -ENOMEM
 * nothing changed. */
int ofp_cls_insert(struct ofp_cls *, struct ofp_cls_rule *,
                   struct ofp_cls_rule **replaced) RSW_MUST_CHECK;
void ofp_cls_remove(struct ofp_cls *, struct ofp_cls_rule *);

/* The rule with exactly this match and priority (strict ops), or NULL. */
struct ofp_cls_rule *ofp_cls_find_exact(const struct ofp_cls *,
                                        const struct ofp_match *,
                                        uint32_t priority);

/* The highest-priority rule matching 'flow' (pipeline view), or NULL; ORs
 * into 'wc' (may be NULL) the bits the answer depended on (above). */
const struct ofp_cls_rule *ofp_cls_lookup(const struct ofp_cls *,
                                          const struct flow *flow,
                                          struct flow_wc *wc);

unsigned ofp_cls_count(const struct ofp_cls *);
unsigned ofp_cls_n_subtables(const struct ofp_cls *);

/* Rules covered by 'filter' (ofp_match_covers; NULL: all), sorted by
 * priority (highest first) then insertion order, into a malloc'd array
 * the caller frees.  The rules may then be removed.  -ENOMEM. */
int ofp_cls_collect(const struct ofp_cls *, const struct ofp_match *filter,
                    struct ofp_cls_rule ***rules, size_t *n) RSW_MUST_CHECK;

#endif
