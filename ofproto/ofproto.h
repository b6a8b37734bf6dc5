/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_OFPROTO_H
#define RSW_OFPROTO_H 1

/* ofproto: the OpenFlow-style slow path of rsw-switchd.
 *
 * Bridges, each with OpenFlow ports (numbers 1..65279 mapped to datapath
 * ports), 255 flow tables (ofp_cls.h), a MAC learning table for NORMAL,
 * and the translation of a packet's walk through the tables into one
 * datapath flow (upcall.h's translate contract): the datapath actions,
 * plus a mask that un-wildcards every bit any examined rule looked at.
 *
 * Flow programming follows OpenFlow 1.3 §6.4 with ovs-ofctl's conventions:
 * add (an identical match+priority replaces the old rule, counters reset),
 * modify and delete, strict (exact match and priority) or not (every rule
 * the given match covers, optionally filtered by cookie/mask and
 * out_port), replace-flows (the table becomes the given set; unchanged
 * rules keep their counters).  A batch (add-flows FILE) is all or
 * nothing: it is parsed and checked completely before any rule changes.
 * Rules expire by idle_timeout (no packet for that long) and
 * hard_timeout (that long after being added), checked by ofproto_run().
 *
 * New tables: a bridge starts with one rule, "table=0,priority=0,
 * actions=NORMAL", as ovs-vsctl add-br gives.  A packet that matches no
 * rule in a table is dropped (OpenFlow 1.3's default table-miss).
 *
 * NORMAL: MAC learning per bridge and VLAN (aging, size limit), VLAN aware
 * by port mode -- access ports (tag=N: untagged in and out, in VLAN N),
 * trunk ports (trunks=[...] or all VLANs, tagged frames), native-tagged /
 * native-untagged (a tag plus trunks) -- as OVS's Port table defines
 * them; unknown unicast and broadcast flood the VLAN; never back out the
 * input port.
 *
 * Counters: every rule a packet's walk matched is credited with its
 * packets and bytes by the PMDs' credit callback (upcall.h): the megaflow
 * counts every packet it handles, the upcalled one included (the PMD runs
 * it through the megaflow it just installed), so translation itself only
 * refreshes the rules' idle time and counts table lookups.
 *
 * Invalidation: any change that can alter a translation (flow mods, port
 * changes, MAC learning, expiry) calls the invalidate callback.  The
 * switch then makes every PMD drop its megaflows before the reply to the
 * change is sent, so the very next packet sees the new tables.  NORMAL's
 * learning (on PMD threads) names the address that was learned or moved:
 * only megaflows for that destination are dropped (normal.c).
 *
 * Threading: one mutex guards everything; translate and credit run on PMD
 * threads, the rest on the control thread.  Callbacks run with the mutex
 * held: they must not call into ofproto or wait for the PMDs. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "datapath/upcall.h"
#include "ofp_parse.h"
#include "vhost/compiler.h"

#define OFPROTO_NAME_MAX 64
#define OFPROTO_MAX_VLAN_TRUNKS 4096

struct ofproto;

/* 'dl_dst' NULL: every megaflow may be stale.  Otherwise only megaflows
 * that match exactly on that destination MAC (the ones whose NORMAL
 * translation looked the address up: it moved or was just learned). */
typedef void ofproto_invalidate_fn(void *aux,
                                   const struct flow_eth_addr *dl_dst);

int ofproto_create(ofproto_invalidate_fn *, void *aux, struct ofproto **)
    RSW_MUST_CHECK;
void ofproto_destroy(struct ofproto *);

/* ---- Bridges and ports (same contract as the l2br it replaces) -------- */

/* -EEXIST, -EINVAL (bad name), -ENOMEM. */
int ofproto_add_bridge(struct ofproto *, const char *br) RSW_MUST_CHECK;
/* -ENOENT, -EBUSY if it still has ports. */
int ofproto_del_bridge(struct ofproto *, const char *br) RSW_MUST_CHECK;
bool ofproto_has_bridge(struct ofproto *, const char *br);

/* Attaches datapath port 'dp_port' named 'name' to 'br' with OpenFlow
 * number 'ofport_request' (0: lowest free).  -ENOENT (no bridge), -EEXIST
 * (name or dp_port known), -EBUSY (ofport taken), -EINVAL. */
int ofproto_add_port(struct ofproto *, const char *br, const char *name,
                     uint32_t dp_port, uint32_t ofport_request,
                     uint32_t *ofport) RSW_MUST_CHECK;
/* Detaches port 'name' (forgetting MACs learned on it); -ENOENT. */
int ofproto_del_port(struct ofproto *, const char *name, uint32_t *dp_port)
    RSW_MUST_CHECK;
/* Bridge name (OFPROTO_NAME_MAX buffer, may be NULL) and numbers. */
int ofproto_find_port(struct ofproto *, const char *name, char *br,
                      uint32_t *dp_port, uint32_t *ofport) RSW_MUST_CHECK;

/* NORMAL's view of a port (the OVSDB Port table's vlan_mode, tag, trunks).
 * TRUNK with n_trunks 0 carries every VLAN.  DISABLED carries none
 * (NORMAL drops what arrives on it and sends it nothing): what a port
 * whose VLAN settings are invalid gets, so that a typo in a tag fails
 * closed instead of making an access port a trunk of every VLAN. */
enum ofproto_vlan_mode {
    OFPROTO_VLAN_TRUNK,            /* default when no tag */
    OFPROTO_VLAN_ACCESS,           /* default when tag is set */
    OFPROTO_VLAN_NATIVE_TAGGED,
    OFPROTO_VLAN_NATIVE_UNTAGGED,
    OFPROTO_VLAN_DISABLED,
};
struct ofproto_port_vlan {
    enum ofproto_vlan_mode mode;
    int tag;                       /* -1: none; 0..4095 */
    unsigned n_trunks;
    const uint16_t *trunks;        /* VIDs, any order */
};
/* -ENOENT, -EINVAL (mode needs a tag it lacks, VID > 4095). */
int ofproto_set_port_vlan(struct ofproto *, const char *name,
                          const struct ofproto_port_vlan *) RSW_MUST_CHECK;

/* MAC learning limits of 'br' (Bridge other_config mac-aging-time,
 * mac-table-size); 0 keeps the default. */
int ofproto_set_mac_limits(struct ofproto *, const char *br,
                           unsigned idle_time, unsigned max_entries)
    RSW_MUST_CHECK;

/* ---- Flow programming ------------------------------------------------- */

enum ofproto_fm_command {
    OFPROTO_FM_ADD,
    OFPROTO_FM_MODIFY,             /* mod-flows: actions of covered rules */
    OFPROTO_FM_MODIFY_STRICT,
    OFPROTO_FM_DELETE,             /* del-flows */
    OFPROTO_FM_DELETE_STRICT,
};

/* Applies 'n' flow mods to 'br' as one all-or-nothing batch: every mod is
 * checked first (table ranges, goto_table, resources), then applied.
 * 0, or -ENOENT (no bridge), -EINVAL / -ENOSPC with "flow N: reason" in
 * 'err' and nothing changed. */
int ofproto_flow_mods(struct ofproto *, const char *br,
                      enum ofproto_fm_command, const struct ofp_flow_mod *,
                      size_t n, char *err, size_t err_size) RSW_MUST_CHECK;
/* replace-flows: afterwards the bridge holds exactly these flows; rules
 * whose match, priority, table and actions are unchanged keep their
 * counters and age.  Same errors. */
int ofproto_replace_flows(struct ofproto *, const char *br,
                          const struct ofp_flow_mod *, size_t n,
                          char *err, size_t err_size) RSW_MUST_CHECK;

/* One rule, for dump-flows. */
struct ofproto_flow_info {
    uint8_t table_id;
    uint16_t priority;
    uint64_t cookie;
    uint16_t idle_timeout, hard_timeout;
    uint64_t n_packets, n_bytes;
    uint64_t duration_ms;          /* since added */
    uint64_t idle_ms;              /* since last packet (or added) */
    const struct ofp_match *match;
    const struct ofp_action *actions;
    unsigned n_actions;
};
/* ovs-ofctl dump-flows' line: " cookie=0x0, duration=1.234s, table=0,
 * n_packets=0, n_bytes=0, idle_age=1, priority=100,in_port=1
 * actions=output:2" (idle/hard_timeout= shown when set, priority= omitted
 * when it is the default, as ovs-ofctl does).  Returns buf. */
char *ofproto_flow_info_format(const struct ofproto_flow_info *, char *buf,
                               size_t size);
/* A buffer this large always holds the whole line. */
#define OFPROTO_FLOW_FORMAT_SIZE (OFP_MATCH_FORMAT_SIZE \
                                  + OFP_ACTIONS_FORMAT_SIZE + 256)

typedef void ofproto_flow_visit_fn(void *aux,
                                   const struct ofproto_flow_info *);
/* Rules covered by 'filter' (a MATCH-mode flow mod: table, cookie/mask,
 * out_port, match; NULL: all), in table order then priority (highest
 * first).  -ENOENT, -ENOMEM.  The callback runs under the ofproto lock,
 * but the lock is dropped every OFPROTO_DUMP_CHUNK rules, so that PMD
 * upcalls wait for one chunk, not for a whole dump of a million rules: a
 * rule deleted meanwhile is left out, one added meanwhile is not shown. */
#define OFPROTO_DUMP_CHUNK 128
int ofproto_dump_flows(struct ofproto *, const char *br,
                       const struct ofp_flow_mod *filter,
                       ofproto_flow_visit_fn *, void *aux) RSW_MUST_CHECK;

struct ofproto_table_info {
    uint8_t table_id;
    unsigned n_rules;
    uint64_t n_lookups, n_matched;
};
typedef void ofproto_table_visit_fn(void *aux,
                                    const struct ofproto_table_info *);
/* Tables that have rules or were looked up.  -ENOENT. */
int ofproto_dump_tables(struct ofproto *, const char *br,
                        ofproto_table_visit_fn *, void *aux) RSW_MUST_CHECK;

typedef void ofproto_port_visit_fn(void *aux, const char *name,
                                   uint32_t dp_port, uint32_t ofport);
typedef void ofproto_bridge_visit_fn(void *aux, const char *br);
typedef void ofproto_mac_visit_fn(void *aux, const uint8_t mac[6],
                                  uint16_t vlan, uint32_t ofport,
                                  uint64_t age);
void ofproto_for_each_bridge(struct ofproto *, ofproto_bridge_visit_fn *,
                             void *aux);
int ofproto_for_each_port(struct ofproto *, const char *br,
                          ofproto_port_visit_fn *, void *aux) RSW_MUST_CHECK;
int ofproto_for_each_mac(struct ofproto *, const char *br,
                         ofproto_mac_visit_fn *, void *aux) RSW_MUST_CHECK;

/* Resolves a port name of 'br' to its OpenFlow number (for the parser's
 * ofp_port_resolve_fn; 'aux' is a struct ofproto_resolver). */
struct ofproto_resolver {
    struct ofproto *ofproto;
    const char *br;
};
int ofproto_resolve_port(void *aux, const char *name, uint32_t *ofport);

/* Periodic work: MAC aging, rule timeouts.  Call about once a second. */
void ofproto_run(struct ofproto *);

/* ---- The datapath's slow path (upcall.h) ------------------------------ */

/* upcall_translate_fn / upcall_credit_fn; 'ctx' is the struct ofproto. */
int ofproto_translate(void *ctx, const struct flow *, struct flow_wc *,
                      struct dp_actions *, struct upcall_refs *);
int ofproto_credit(void *ctx, const struct upcall_credit *, unsigned n,
                   bool may_block);

/* ---- trace ------------------------------------------------------------ */

/* Walks 'packet' (a flow description, e.g. "in_port=1,dl_dst=...,tcp,
 * tp_dst=80": fields not given are zero) through 'br''s tables without
 * changing any state (no learning, no counters), and writes into a
 * malloc'd '*report' each table visited, the rule matched (or the miss),
 * each action and what it did, the resulting datapath actions, and the
 * megaflow (key and mask) translation would install.  0, -ENOENT (no
 * bridge), -EINVAL with a reason in 'err' (bad packet text). */
int ofproto_trace(struct ofproto *, const char *br, const char *packet,
                  char **report, char *err, size_t err_size) RSW_MUST_CHECK;

#endif
