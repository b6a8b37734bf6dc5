/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_L2BR_H
#define RSW_L2BR_H 1

/* The built-in slow path: bridges, their ports' OpenFlow numbers, each
 * bridge's port-to-port rule table (port_rules.h) and MAC learning table
 * (mac_learning.h), and the translation of a packet into datapath actions
 * (upcall.h's translate contract).  The OpenFlow pipeline (ofproto/) will
 * replace it behind the same interface.
 *
 * Numbering: a port has a datapath port number (global, chosen by the
 * datapath) and an OpenFlow port number (per bridge, 1..65279, chosen by the
 * user with ofport_request or the lowest free one).  Rules and MAC tables
 * speak OpenFlow numbers; translate outputs datapath numbers.
 *
 * Megaflow masks: translate always un-wildcards in_port (the rule lookup
 * depends on it); with NORMAL also dl_src (learning) and dl_dst
 * (forwarding); when some rule of the bridge matches dl_vlan, the outer
 * tag's presence and VID; for a rule's actions what they depended on:
 * mod_vlan_vid/pcp, strip_vlan and push_vlan the tags' presence (rewrite or
 * push?), mod_nw_* dl_type (IPv4?), mod_tp_* also nw_proto and nw_frag.
 * Nothing else, so a port-to-port rule yields one megaflow per input port
 * (and tag layout, for VLAN actions) whatever the traffic.
 *
 * Invalidation: every change that can alter a translation (rules, ports,
 * a MAC learned, moved or expired) calls the invalidate callback, which
 * makes every PMD drop its cached flows.  That is coarse (a learning storm
 * flushes caches often) but always correct; finer revalidation comes with
 * ofproto.
 *
 * Threading: every function locks an internal mutex, so translate may run
 * on any number of PMD threads while the control thread edits.  Callbacks
 * (invalidate, the dump visitors) run with it held: they must not call back
 * into l2br or wait for PMDs. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow.h"
#include "port_rules.h"
#include "upcall.h"
#include "vhost/compiler.h"

#define L2BR_NAME_MAX 64

struct l2br;

typedef void l2br_invalidate_fn(void *aux);

int l2br_create(l2br_invalidate_fn *, void *aux, struct l2br **)
    RSW_MUST_CHECK;
void l2br_destroy(struct l2br *);

/* add-br installs the catch-all "actions=NORMAL" rule, like ovs-vsctl.
 * -EEXIST, -EINVAL (bad name), -ENOMEM. */
int l2br_add_bridge(struct l2br *, const char *br) RSW_MUST_CHECK;
/* -ENOENT, -EBUSY if it still has ports (the caller removes them first:
 * they belong to the datapath). */
int l2br_del_bridge(struct l2br *, const char *br) RSW_MUST_CHECK;
bool l2br_has_bridge(struct l2br *, const char *br);

/* Attaches datapath port 'dp_port' named 'name' to 'br' with OpenFlow
 * number 'ofport_request' (0: lowest free).  -ENOENT (no bridge), -EEXIST
 * (name or dp_port known), -EBUSY (ofport taken), -EINVAL. */
int l2br_add_port(struct l2br *, const char *br, const char *name,
                  uint32_t dp_port, uint32_t ofport_request,
                  uint32_t *ofport) RSW_MUST_CHECK;
/* Detaches port 'name' (forgetting MACs learned on it); its datapath
 * number goes to '*dp_port'.  -ENOENT. */
int l2br_del_port(struct l2br *, const char *name, uint32_t *dp_port)
    RSW_MUST_CHECK;
/* Looks up port 'name': bridge name (L2BR_NAME_MAX buffer), numbers. */
int l2br_find_port(struct l2br *, const char *name, char *br,
                   uint32_t *dp_port, uint32_t *ofport) RSW_MUST_CHECK;

/* Parses and adds one rule to 'br'; err gets a one-line reason. */
int l2br_add_rule(struct l2br *, const char *br, const char *rule,
                  char *err, size_t err_size) RSW_MUST_CHECK;
int l2br_del_rules(struct l2br *, const char *br) RSW_MUST_CHECK;

/* Visitors (called with the lock held, see above). */
typedef void l2br_bridge_visit_fn(void *aux, const char *br);
typedef void l2br_port_visit_fn(void *aux, const char *name,
                                uint32_t dp_port, uint32_t ofport);
typedef void l2br_rule_visit_fn(void *aux, const struct port_rule *);
typedef void l2br_mac_visit_fn(void *aux, const uint8_t mac[6],
                               uint32_t ofport, uint64_t age);
void l2br_for_each_bridge(struct l2br *, l2br_bridge_visit_fn *, void *aux);
int l2br_for_each_port(struct l2br *, const char *br, l2br_port_visit_fn *,
                       void *aux) RSW_MUST_CHECK;
int l2br_for_each_rule(struct l2br *, const char *br, l2br_rule_visit_fn *,
                       void *aux) RSW_MUST_CHECK;
int l2br_for_each_mac(struct l2br *, const char *br, l2br_mac_visit_fn *,
                      void *aux) RSW_MUST_CHECK;

/* Periodic work (MAC aging); call about once a second. */
void l2br_run(struct l2br *);

/* upcall_translate_fn; 'ctx' is the struct l2br. */
int l2br_translate(void *ctx, const struct flow *, struct flow_wc *,
                   struct dp_actions *);

#endif
