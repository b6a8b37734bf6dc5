/* SPDX-License-Identifier: Apache-2.0 */
/* Matches as key + mask: the comparisons the classifier and flow mods use.
 * (ofp_match_set and the text form live in ofp_match_format.c.)  All of
 * them are word loops over struct flow's FLOW_U64S words (flow.h). */
#include "ofp_match.h"

#include <string.h>

void
ofp_match_init_catchall(struct ofp_match *match)
{
    memset(match, 0, sizeof *match);
}

bool
ofp_match_equal(const struct ofp_match *a, const struct ofp_match *b)
{
    /* The key is stored masked (ofp_match.h), so bytes decide. */
    return flow_equal(&a->wc.masks, &b->wc.masks)
           && flow_equal(&a->flow, &b->flow);
}

bool
ofp_match_matches(const struct ofp_match *match, const struct flow *flow)
{
    const flow_u64 *key = flow_u64s(&match->flow);
    const flow_u64 *mask = flow_u64s(&match->wc.masks);
    const flow_u64 *pkt = flow_u64s(flow);
    uint64_t diff = 0;

    for (size_t i = 0; i < FLOW_U64S; i++) {
        diff |= (pkt[i] ^ key[i]) & mask[i];
    }
    return !diff;
}

/* OF 1.3 §6.4: a non-strict filter applies to every flow it "covers". */
bool
ofp_match_covers(const struct ofp_match *filter, const struct ofp_match *rule)
{
    const flow_u64 *fk = flow_u64s(&filter->flow);
    const flow_u64 *fm = flow_u64s(&filter->wc.masks);
    const flow_u64 *rk = flow_u64s(&rule->flow);
    const flow_u64 *rm = flow_u64s(&rule->wc.masks);
    uint64_t bad = 0;

    for (size_t i = 0; i < FLOW_U64S; i++) {
        /* A bit the filter looks at but the rule ignores: the rule matches
         * packets with either value there, the filter only one of them. */
        bad |= fm[i] & ~rm[i];
        bad |= (fk[i] ^ rk[i]) & fm[i];
    }
    return !bad;
}
