/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_PORT_RULES_H
#define RSW_PORT_RULES_H 1

/* The built-in rule table of one bridge: port-to-port rules, the stand-in
 * for the OpenFlow pipeline until it exists.
 *
 * Syntax (a strict subset of ovs-ofctl's, so users' habits carry over):
 *
 *     [in_port=N,][dl_vlan=V,]actions=ACTIONS
 *     ACTIONS := drop | normal | ACTION[,ACTION...]
 *     ACTION  := output:M[,M2...] | mod_dl_src:MAC | mod_dl_dst:MAC
 *              | mod_vlan_vid:0..4095 | mod_vlan_pcp:0..7 | strip_vlan
 *              | pop_vlan | push_vlan:0x8100|0x88a8 | mod_nw_src:A.B.C.D
 *              | mod_nw_dst:A.B.C.D | mod_nw_tos:0..252 (multiple of 4)
 *              | mod_nw_ttl:0..255 | mod_tp_src:N | mod_tp_dst:N
 *
 * Actions run in order, with ovs-ofctl's (OpenFlow 1.0) meaning:
 * mod_vlan_vid / mod_vlan_pcp rewrite the outer tag, or push an 802.1Q tag
 * (PCP 0 / VID 0) when the packet has none; strip_vlan (= pop_vlan) removes
 * the outer tag if there is one; push_vlan adds a tag with VID 0, PCP 0
 * (a third tag is refused: the packet is dropped); mod_nw_* apply to IPv4
 * packets only, mod_tp_* to TCP/UDP only, and are ignored otherwise.
 * Outputs see the packet as the actions before them left it.
 *
 * Ports are OpenFlow port numbers (1..65279) of the bridge.  dl_vlan=V
 * matches packets whose outer tag has VID V; dl_vlan=0xffff matches
 * untagged packets.  Precedence (like priorities): in_port+dl_vlan, then
 * in_port, then dl_vlan, then the catch-all.  Adding a rule whose match
 * equals an existing rule's replaces it.  Anything else -- unknown words,
 * bad values, empty actions, normal mixed with other actions -- is refused
 * with a message naming the word. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vhost/compiler.h"

#define PORT_RULES_MAX_ACTIONS 32
#define PORT_RULES_MAX_RULES 4096
#define PORT_RULES_MAX_OFPORT 65279u  /* OFPP_MAX */
#define PORT_RULE_VLAN_NONE 0xffff    /* dl_vlan=0xffff: no tag */
#define PORT_RULE_FORMAT_SIZE 2048    /* enough for any rule */

enum port_rule_action {
    PORT_RULE_OUTPUT,          /* the action list (may be only outputs) */
    PORT_RULE_DROP,
    PORT_RULE_NORMAL,
};

enum port_rule_act_type {
    PORT_RULE_ACT_OUTPUT,      /* u32: OpenFlow port */
    PORT_RULE_ACT_MOD_DL_SRC,  /* mac */
    PORT_RULE_ACT_MOD_DL_DST,
    PORT_RULE_ACT_MOD_VLAN_VID, /* u32 */
    PORT_RULE_ACT_MOD_VLAN_PCP,
    PORT_RULE_ACT_STRIP_VLAN,
    PORT_RULE_ACT_PUSH_VLAN,   /* u32: TPID */
    PORT_RULE_ACT_MOD_NW_SRC,  /* u32: address, network byte order */
    PORT_RULE_ACT_MOD_NW_DST,
    PORT_RULE_ACT_MOD_NW_TOS,  /* u32: DSCP << 2 */
    PORT_RULE_ACT_MOD_NW_TTL,
    PORT_RULE_ACT_MOD_TP_SRC,  /* u32: port */
    PORT_RULE_ACT_MOD_TP_DST,
};

struct port_rule_act {
    uint8_t type;              /* enum port_rule_act_type */
    union {
        uint32_t u32;
        uint8_t mac[6];
    };
};

struct port_rule {
    bool any_in_port;
    uint32_t in_port;
    bool match_vlan;           /* false (zero): any VLAN or none */
    uint16_t dl_vlan;          /* VID, or PORT_RULE_VLAN_NONE */
    enum port_rule_action action;
    uint32_t n_acts;
    struct port_rule_act acts[PORT_RULES_MAX_ACTIONS];
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
/* The rule for packets from 'in_port' whose outer VID is 'vlan'
 * (PORT_RULE_VLAN_NONE: untagged), by the precedence above, or NULL.  The
 * pointer is valid until the table changes. */
struct port_rule *port_rules_lookup(struct port_rules *, uint32_t in_port,
                                    uint16_t vlan);
/* True if some rule matches on dl_vlan (lookups then depend on the VLAN). */
bool port_rules_match_vlan(const struct port_rules *);
/* Rules in insertion order; NULL past the end. */
const struct port_rule *port_rules_at(const struct port_rules *, unsigned i);

#endif
