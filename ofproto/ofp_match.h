/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_OFP_MATCH_H
#define RSW_OFP_MATCH_H 1

/* An OpenFlow match: a key and a mask over the pipeline view of the flow
 * (ofp_field.h: OpenFlow port numbers in in_port, vlan_tci with CFI as
 * "tag present").  Invariant: 'flow' is zero wherever 'wc' is (the key is
 * stored masked), so two matches are equal iff their bytes are. */

#include <stdbool.h>
#include <stddef.h>
#include "datapath/flow.h"
#include "ofp_field.h"
#include "vhost/compiler.h"

struct ofp_match {
    struct flow flow;
    struct flow_wc wc;
};

/* Matches every packet. */
void ofp_match_init_catchall(struct ofp_match *);

/* Adds "field = value/mask" (NULL mask: exact) to the match, keeping the
 * invariant.  A later call on the same field replaces its earlier value
 * and mask. */
void ofp_match_set(struct ofp_match *, const struct ofp_field *,
                   const union ofp_value *value, const union ofp_value *mask);

bool ofp_match_equal(const struct ofp_match *, const struct ofp_match *);
/* True if 'flow' (pipeline view) matches. */
bool ofp_match_matches(const struct ofp_match *, const struct flow *);
/* OpenFlow's non-strict "covers" (OF 1.3 §6.4, delete/modify without
 * _STRICT): every packet 'rule' matches is also matched by 'filter', i.e.
 * filter's mask is a subset of rule's and they agree under filter's mask. */
bool ofp_match_covers(const struct ofp_match *filter,
                      const struct ofp_match *rule);

/* ovs-ofctl's text of a match, e.g. "tcp,in_port=1,nw_src=10.0.0.0/8,
 * tp_dst=80": protocol shorthand first (ip, tcp, arp, ...) when dl_type /
 * nw_proto are exact, then the remaining fields in table order, masks as
 * CIDR where they are prefixes.  The catch-all formats as "" (empty).
 * Returns buf (always NUL-terminated). */
char *ofp_match_format(const struct ofp_match *, char *buf, size_t size);
#define OFP_MATCH_FORMAT_SIZE 1536

#endif
