/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_PORT_RULES_H
#define RSW_PORT_RULES_H 1

/* The built-in rule table of one bridge: port-to-port rules, the stand-in
 * for the OpenFlow pipeline until it exists.
 *
 * Syntax (a strict subset of ovs-ofctl's, so users' habits carry over):
 *
 *     [in_port=N,]actions=ACTIONS
 *     ACTIONS := output:M[,M2...][,output:M3...] | drop | normal
 *
 * Ports are OpenFlow port numbers (1..65279) of the bridge.  A rule with
 * in_port matches that port exactly; a rule without it matches any port
 * and is used only when no exact rule exists (so exact rules take
 * precedence, like a higher priority).  Adding a rule whose match equals an
 * existing rule's replaces it.  Anything else -- unknown words, empty
 * actions, normal mixed with outputs -- is refused with a message. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vhost/compiler.h"

#define PORT_RULES_MAX_OUTPUTS 32
#define PORT_RULES_MAX_RULES 4096
#define PORT_RULES_MAX_OFPORT 65279u  /* OFPP_MAX */

enum port_rule_action {
    PORT_RULE_OUTPUT,
    PORT_RULE_DROP,
    PORT_RULE_NORMAL,
};

struct port_rule {
    bool any_in_port;
    uint32_t in_port;
    enum port_rule_action action;
    uint32_t n_outputs;
    uint32_t outputs[PORT_RULES_MAX_OUTPUTS];
    uint64_t n_packets;        /* upcalls it decided (slow-path hits) */
};

/* Parses 's' into '*rule'.  0, or -EINVAL with a one-line reason in 'err'. */
int port_rule_parse(const char *s, struct port_rule *rule, char *err,
                    size_t err_size) RSW_MUST_CHECK;
/* "in_port=1,actions=output:2" into buf; returns buf. */
char *port_rule_format(const struct port_rule *, char *buf, size_t size);

struct port_rules;

int port_rules_create(struct port_rules **) RSW_MUST_CHECK;
void port_rules_destroy(struct port_rules *);
/* Adds or replaces; -ENOSPC when PORT_RULES_MAX_RULES are present. */
int port_rules_add(struct port_rules *, const struct port_rule *)
    RSW_MUST_CHECK;
void port_rules_clear(struct port_rules *);
unsigned port_rules_count(const struct port_rules *);
/* The rule for packets from 'in_port': exact match, else catch-all, else
 * NULL.  The pointer is valid until the table changes. */
struct port_rule *port_rules_lookup(struct port_rules *, uint32_t in_port);
/* Rules in insertion order; NULL past the end. */
const struct port_rule *port_rules_at(const struct port_rules *, unsigned i);

#endif
