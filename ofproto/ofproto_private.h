/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_OFPROTO_PRIVATE_H
#define RSW_OFPROTO_PRIVATE_H 1

/* Structures shared by ofproto.c / ofproto_flows.c (bridges, ports, flow
 * mods, timeouts, counters), xlate.c / normal.c (translation) and trace.c.
 * Everything here is guarded by ofproto->mutex. */

#include <pthread.h>
#include <stdarg.h>
#include "datapath/mac_learning.h"
#include "ofp_cls.h"
#include "ofproto.h"

struct ofproto_rule {
    struct ofp_cls_rule cr;          /* match + priority (first member) */
    uint64_t id;                     /* credit id (upcall_refs), never 0 */
    struct ofproto_rule *id_next;    /* ofproto's id hash chain */
    struct ofproto_bridge *bridge;
    uint8_t table_id;
    uint64_t cookie;
    uint16_t idle_timeout, hard_timeout;
    uint64_t created_ms, used_ms;    /* CLOCK_MONOTONIC milliseconds */
    uint64_t n_packets, n_bytes;
    unsigned n_actions;
    struct ofp_action *actions;      /* malloc'd, n_actions entries */
    /* ofproto_flows.c's bookkeeping: the bridge's list of rules with a
     * timeout (ofproto_run() scans only those), and a mark used while one
     * batch is planned and applied (0 outside a batch). */
    struct ofproto_rule *exp_prev, *exp_next;
    uint8_t batch_mark;
};

struct ofproto_table {
    struct ofp_cls *cls;
    uint64_t n_lookups, n_matched;
};

struct ofproto_port {
    char name[OFPROTO_NAME_MAX];
    uint32_t dp_port;
    uint32_t ofport;
    enum ofproto_vlan_mode vlan_mode;
    int tag;                         /* -1: none (always -1 for TRUNK) */
    bool all_vlans;                  /* trunk modes without a list */
    uint64_t trunks[4096 / 64];      /* bitmap of allowed VIDs: empty for
                                        ACCESS; NATIVE_* include 'tag' (as
                                        OVS's bundle_set) */
};

struct ofproto_bridge {
    char name[OFPROTO_NAME_MAX];
    struct ofproto_bridge *next;
    struct ofproto_port *ports;      /* array, n_ports used */
    unsigned n_ports, allocated;
    struct ofproto_table tables[OFP_N_TABLES];  /* every cls non-NULL */
    unsigned n_rules;
    struct mac_learning *ml;         /* NORMAL's table (keyed by MAC+VLAN) */
    unsigned mac_idle_time, mac_max_entries;   /* ml's limits */
    struct ofproto_rule *expirable;  /* rules with idle or hard timeout */
};

/* Where datapath port N lives: translate's first lookup. */
struct ofproto_slot {
    struct ofproto_bridge *br;
    uint32_t ofport;
};

struct ofproto {
    pthread_mutex_t mutex;
    /* PMD threads waiting for 'mutex' (ofproto_lock_for_pmd()): a long
     * control-thread operation that drops the lock between chunks lets
     * them in before taking it again (glibc's mutex is not fair). */
    unsigned pmd_waiting;
    struct ofproto_bridge *bridges;
    struct ofproto_slot by_dp[DP_MAX_PORTS];
    ofproto_invalidate_fn *invalidate;
    void *aux;
    bool learned_new;                /* NORMAL learned an address it did
                                        not invalidate for (rate limit) */
    uint64_t new_flush_window_ms;    /* NORMAL's rate limit (normal.c) */
    unsigned new_flushes;
    bool moved_pending;              /* a move past the limit, not yet
                                        flushed for (normal.c) */
    uint64_t move_flush_ms;          /* the last such flush */
    uint64_t next_rule_id;
    struct ofproto_rule **by_id;     /* hash buckets, by_id_mask + 1 */
    size_t by_id_mask, n_by_id;
    unsigned max_rules;              /* per bridge; OFPROTO_MAX_RULES */
};

/* Flow mods that would take a bridge past this many rules fail with
 * -ENOSPC (a bound on the memory a batch from the CLI can take). */
#define OFPROTO_MAX_RULES 1000000u

/* ofproto.c */
/* CLOCK_MONOTONIC in milliseconds, or the test clock when one is set.
 * Rule times (created_ms, used_ms) use it; MAC learning uses
 * ofproto_now_ms() / 1000 (seconds). */
uint64_t ofproto_now_ms(void);
/* Unit tests only: replaces the clock of every ofproto (NULL restores
 * CLOCK_MONOTONIC).  Set it before any thread runs. */
typedef uint64_t ofproto_clock_fn(void);
void ofproto_set_clock_for_testing(ofproto_clock_fn *);
void ofproto_invalidate(struct ofproto *);
void ofproto_invalidate_dl_dst(struct ofproto *, const struct flow_eth_addr *);
struct ofproto_bridge *ofproto_bridge_find(struct ofproto *, const char *br);
struct ofproto_port *ofproto_port_by_ofport(const struct ofproto_bridge *,
                                            uint32_t ofport);
struct ofproto_rule *ofproto_rule_by_id(const struct ofproto *, uint64_t id);

/* The PMD side of the lock (an upcall, a blocking credit): announced, so
 * that ofproto_yield_to_pmds() hands the lock over. */
static inline void
ofproto_lock_for_pmd(struct ofproto *o)
{
    __atomic_fetch_add(&o->pmd_waiting, 1, __ATOMIC_RELAXED);
    pthread_mutex_lock(&o->mutex);
    __atomic_fetch_sub(&o->pmd_waiting, 1, __ATOMIC_RELAXED);
}

/* Called with the lock released between two chunks of a long operation:
 * waits (briefly, bounded) until the PMDs that wait for the lock got it. */
void ofproto_yield_to_pmds(struct ofproto *);
/* Megaflow refs (upcall.h) are rule ids, or, with this bit, the id of the
 * MAC-learning entry of the packet's source (mac_learning_entry_id):
 * crediting such a megaflow refreshes that entry.  Rule ids count up from
 * 1 and never reach the bit. */
#define OFPROTO_REF_MAC (UINT64_C(1) << 63)

/* Between ofproto.c and ofproto_flows.c.  The id hash never fails to
 * insert: ofproto_rule_ids_reserve() grows it beforehand. */
int ofproto_rule_ids_reserve(struct ofproto *, size_t n_more) RSW_MUST_CHECK;
void ofproto_rule_id_insert(struct ofproto *, struct ofproto_rule *);
void ofproto_rule_id_remove(struct ofproto *, struct ofproto_rule *);
/* ofproto_flows.c */
int ofproto_bridge_add_default_rule(struct ofproto *, struct ofproto_bridge *)
    RSW_MUST_CHECK;
void ofproto_bridge_remove_rules(struct ofproto *, struct ofproto_bridge *);
unsigned ofproto_bridge_expire_rules(struct ofproto *, struct ofproto_bridge *,
                                     uint64_t now_ms);

/* Growable text for trace (never fails: on ENOMEM text is dropped and
 * 'truncated' set). */
struct ofp_text {
    char *buf;
    size_t len, cap;
    bool truncated;
};
void ofp_text_printf(struct ofp_text *, const char *fmt, ...)
    RSW_PRINTF(2, 3);
void ofp_text_free(struct ofp_text *);

/* xlate.c: one packet's walk through 'br''s tables.
 *
 * 'dp_flow' is the datapath key (flow.h view; in_port the datapath port
 * number); xlate converts it to the pipeline view (ofp_flow_from_dp, the
 * in_port's OpenFlow number) and walks from table 0.  Output: datapath
 * actions, the datapath mask (ofp_wc_to_dp of everything looked at, plus
 * in_port exact), and the ids of the rules matched.  With 'may_learn'
 * NORMAL learns source MACs (translate); trace passes false.  With 'trace'
 * non-NULL every step is described there.  Returns 0 or -errno (the
 * packet is then dropped). */
struct xlate_out {
    struct dp_actions actions;
    struct flow_wc wc;               /* datapath view */
    struct upcall_refs refs;
};
int xlate_packet(struct ofproto *, struct ofproto_bridge *,
                 const struct flow *dp_flow, uint32_t in_ofport,
                 bool may_learn, struct ofp_text *trace,
                 struct xlate_out *) RSW_MUST_CHECK;

#endif
