/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_OFP_PARSE_H
#define RSW_OFP_PARSE_H 1

/* ovs-ofctl's flow syntax: one flow per line, as add-flow, mod-flows,
 * del-flows, dump-flows and add-flows/replace-flows files take it.
 *
 *   [table=T,][priority=P,][cookie=C[/MASK],][idle_timeout=S,]
 *   [hard_timeout=S,][out_port=N,][MATCH...,]actions=ACTIONS
 *
 * MATCH is comma- (or space-) separated: protocol shorthands (eth, ip,
 * ipv6, icmp, icmp6, tcp, tcp6, udp, udp6, sctp, sctp6, arp),
 * FIELD=VALUE[/MASK] for every field of ofp_field.h by either name,
 * "dl_vlan=0xffff" for untagged, "vlan_tci=0x1000/0x1000" for tagged.
 * The grammar follows ovs-fields(7) and ovs-ofctl(8), section "Flow
 * Syntax"; a flow ovs-ofctl accepts and this subset supports parses to the
 * same meaning.  Anything else -- an unknown word, a bad value, a field
 * whose prerequisites the flow does not state (tp_dst without tcp/udp),
 * a duplicate key word, actions= not last, a missing actions= where one
 * is required -- is refused with a one-line message that quotes the word.
 *
 * Ports in in_port/output: numbers 1..65279 or OpenFlow names (LOCAL,
 * IN_PORT, NORMAL, FLOOD, ALL, ANY/NONE for out_port).  Port NAMES
 * ("in_port=vm1") are resolved by the caller: the parser accepts a name
 * when given a resolver, and refuses it otherwise. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ofp_actions.h"
#include "ofp_match.h"
#include "vhost/compiler.h"

#define OFP_DEFAULT_PRIORITY 32768
#define OFP_MAX_PRIORITY 65535
#define OFP_N_TABLES 255        /* tables 0..254 */
#define OFP_TABLE_ALL 255       /* del-flows/dump-flows without table= */

enum ofp_parse_mode {
    OFP_PARSE_ADD,      /* actions= required; no cookie mask */
    OFP_PARSE_MODIFY,   /* actions= required; cookie mask allowed */
    OFP_PARSE_MATCH,    /* del-flows / dump-flows: no actions=, no timeouts */
};

struct ofp_flow_mod {
    uint8_t table_id;            /* OFP_TABLE_ALL in MATCH and MODIFY
                                    modes if unset */
    uint16_t priority;
    bool has_priority;           /* priority= given (strict ops need it) */
    uint64_t cookie, cookie_mask;  /* add: the cookie; otherwise the
                                      filter C/M (cookie_mask all ones
                                      unless given) */
    bool has_cookie;
    uint64_t new_cookie;         /* mod-flows: cookie=C without a mask sets
                                    the cookie of the rules it modifies
                                    (ovs-ofctl(8)); with C/M it filters */
    bool modify_cookie;
    uint16_t idle_timeout, hard_timeout;   /* seconds, 0 = none */
    uint32_t out_port;           /* OFPP_ANY unless out_port= */
    struct ofp_match match;
    bool match_only;             /* parsed in OFP_PARSE_MATCH mode: the
                                    formatter prints no actions= */
    bool modify_mode;            /* parsed in OFP_PARSE_MODIFY mode: no
                                    table= means every table */
    unsigned n_actions;
    struct ofp_action actions[OFP_ACTIONS_MAX];
};

/* Parses one flow.  0, or -EINVAL with a one-line reason in 'err'.
 * 'resolve' may be NULL (names are then refused). */
int ofp_flow_mod_parse(const char *text, enum ofp_parse_mode,
                       ofp_port_resolve_fn *resolve, void *aux,
                       struct ofp_flow_mod *, char *err, size_t err_size)
    RSW_MUST_CHECK;

/* Parses a file's worth of flows, one per line ('#' comments and blank
 * lines skipped), calling 'cb' for each; stops at the first error with
 * "line N: reason".  Returns 0, the parse error, or cb's error. */
typedef int ofp_flow_mod_cb(void *aux, const struct ofp_flow_mod *);
int ofp_flow_mods_parse_text(const char *text, enum ofp_parse_mode,
                             ofp_port_resolve_fn *resolve, void *resolve_aux,
                             ofp_flow_mod_cb *cb, void *cb_aux,
                             char *err, size_t err_size) RSW_MUST_CHECK;

/* The flow-mod's own text ("table=1,priority=10,tcp,...,actions=...")
 * into buf; parse(format(fm)) == fm.  Returns buf. */
char *ofp_flow_mod_format(const struct ofp_flow_mod *, char *buf,
                          size_t size);
/* Every member equal (the match byte for byte, actions by
 * ofp_actions_equal()). */
bool ofp_flow_mod_equal(const struct ofp_flow_mod *,
                        const struct ofp_flow_mod *);

#define OFP_FLOW_MOD_FORMAT_SIZE (OFP_MATCH_FORMAT_SIZE \
                                  + OFP_ACTIONS_FORMAT_SIZE + 128)

#endif
