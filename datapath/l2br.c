/* SPDX-License-Identifier: Apache-2.0 */
/* Built-in slow path: bridges, port rules, MAC learning (see l2br.h). */
#include "l2br.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mac_learning.h"

struct l2br_port {
    char name[L2BR_NAME_MAX];
    uint32_t dp_port;
    uint32_t ofport;
};

struct l2br_bridge {
    char name[L2BR_NAME_MAX];
    struct l2br_bridge *next;
    struct l2br_port *ports;
    unsigned n_ports, allocated;
    struct port_rules *rules;
    struct mac_learning *ml;
};

/* Where datapath port N lives: translate's first lookup. */
struct l2br_slot {
    struct l2br_bridge *br;
    uint32_t ofport;
};

struct l2br {
    pthread_mutex_t mutex;
    struct l2br_bridge *bridges;
    struct l2br_slot by_dp[DP_MAX_PORTS];
    l2br_invalidate_fn *invalidate;
    void *aux;
};

static uint64_t
now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec;
}

int
l2br_create(l2br_invalidate_fn *invalidate, void *aux, struct l2br **out)
{
    struct l2br *l = calloc(1, sizeof *l);

    if (!l) {
        return -ENOMEM;
    }
    pthread_mutex_init(&l->mutex, NULL);
    l->invalidate = invalidate;
    l->aux = aux;
    *out = l;
    return 0;
}

static void
bridge_free(struct l2br_bridge *b)
{
    if (b) {
        port_rules_destroy(b->rules);
        mac_learning_destroy(b->ml);
        free(b->ports);
        free(b);
    }
}

void
l2br_destroy(struct l2br *l)
{
    if (!l) {
        return;
    }
    while (l->bridges) {
        struct l2br_bridge *b = l->bridges;
        l->bridges = b->next;
        bridge_free(b);
    }
    pthread_mutex_destroy(&l->mutex);
    free(l);
}

static void
invalidate(struct l2br *l)
{
    if (l->invalidate) {
        l->invalidate(l->aux);
    }
}

static struct l2br_bridge *
find_bridge(struct l2br *l, const char *name)
{
    struct l2br_bridge *b = l->bridges;

    while (b && strcmp(b->name, name)) {
        b = b->next;
    }
    return b;
}

static bool
name_ok(const char *name)
{
    size_t len = strlen(name);

    return len && len < L2BR_NAME_MAX && !strpbrk(name, " \t\n,=/");
}

static int
bridge_new(const char *name, struct l2br_bridge **out)
{
    struct l2br_bridge *b = calloc(1, sizeof *b);
    struct port_rule normal = {.any_in_port = true,
                               .action = PORT_RULE_NORMAL};
    int err = -ENOMEM;

    if (!b) {
        return err;
    }
    snprintf(b->name, sizeof b->name, "%s", name);
    err = port_rules_create(&b->rules);
    if (err) {
        goto err_free;
    }
    err = mac_learning_create(0, 0, &b->ml);
    if (err) {
        goto err_free;
    }
    err = port_rules_add(b->rules, &normal);
    if (err) {
        goto err_free;
    }
    *out = b;
    return 0;

err_free:
    bridge_free(b);
    return err;
}

int
l2br_add_bridge(struct l2br *l, const char *name)
{
    struct l2br_bridge *b;
    int err = -EINVAL;

    if (!name_ok(name)) {
        return err;
    }
    pthread_mutex_lock(&l->mutex);
    if (find_bridge(l, name)) {
        err = -EEXIST;
    } else {
        err = bridge_new(name, &b);
        if (!err) {
            b->next = l->bridges;
            l->bridges = b;
        }
    }
    pthread_mutex_unlock(&l->mutex);
    return err;
}

int
l2br_del_bridge(struct l2br *l, const char *name)
{
    struct l2br_bridge **pp;
    int err = -ENOENT;

    pthread_mutex_lock(&l->mutex);
    for (pp = &l->bridges; *pp; pp = &(*pp)->next) {
        if (!strcmp((*pp)->name, name)) {
            break;
        }
    }
    if (*pp && (*pp)->n_ports) {
        err = -EBUSY;
    } else if (*pp) {
        struct l2br_bridge *b = *pp;
        *pp = b->next;
        bridge_free(b);
        err = 0;
    }
    pthread_mutex_unlock(&l->mutex);
    return err;
}

bool
l2br_has_bridge(struct l2br *l, const char *name)
{
    pthread_mutex_lock(&l->mutex);
    bool found = find_bridge(l, name) != NULL;
    pthread_mutex_unlock(&l->mutex);
    return found;
}

/* Port 'name' anywhere, with its bridge. */
static struct l2br_port *
find_port(struct l2br *l, const char *name, struct l2br_bridge **brp)
{
    for (struct l2br_bridge *b = l->bridges; b; b = b->next) {
        for (unsigned i = 0; i < b->n_ports; i++) {
            if (!strcmp(b->ports[i].name, name)) {
                *brp = b;
                return &b->ports[i];
            }
        }
    }
    return NULL;
}

static bool
ofport_used(const struct l2br_bridge *b, uint32_t ofport)
{
    for (unsigned i = 0; i < b->n_ports; i++) {
        if (b->ports[i].ofport == ofport) {
            return true;
        }
    }
    return false;
}

static int
pick_ofport(const struct l2br_bridge *b, uint32_t request, uint32_t *ofport)
{
    if (request) {
        if (request > PORT_RULES_MAX_OFPORT) {
            return -EINVAL;
        }
        if (ofport_used(b, request)) {
            return -EBUSY;
        }
        *ofport = request;
        return 0;
    }
    for (uint32_t p = 1; p <= PORT_RULES_MAX_OFPORT; p++) {
        if (!ofport_used(b, p)) {
            *ofport = p;
            return 0;
        }
    }
    return -ENOSPC;
}

static int
bridge_append_port(struct l2br_bridge *b, const struct l2br_port *p)
{
    if (b->n_ports == b->allocated) {
        unsigned n = b->allocated ? b->allocated * 2 : 8;
        struct l2br_port *np = realloc(b->ports, n * sizeof *np);
        if (!np) {
            return -ENOMEM;
        }
        b->ports = np;
        b->allocated = n;
    }
    b->ports[b->n_ports++] = *p;
    return 0;
}

static int
add_port_locked(struct l2br *l, const char *br, const char *name,
                uint32_t dp_port, uint32_t request, uint32_t *ofport)
{
    struct l2br_bridge *b = find_bridge(l, br), *other;
    struct l2br_port p = {.dp_port = dp_port};
    int err;

    if (!b) {
        return -ENOENT;
    }
    if (find_port(l, name, &other) || l->by_dp[dp_port].br) {
        return -EEXIST;
    }
    err = pick_ofport(b, request, &p.ofport);
    if (err) {
        return err;
    }
    snprintf(p.name, sizeof p.name, "%s", name);
    err = bridge_append_port(b, &p);
    if (err) {
        return err;
    }
    l->by_dp[dp_port].br = b;
    l->by_dp[dp_port].ofport = p.ofport;
    *ofport = p.ofport;
    return 0;
}

int
l2br_add_port(struct l2br *l, const char *br, const char *name,
              uint32_t dp_port, uint32_t request, uint32_t *ofport)
{
    int err;

    if (!name_ok(name) || dp_port >= DP_MAX_PORTS) {
        return -EINVAL;
    }
    pthread_mutex_lock(&l->mutex);
    err = add_port_locked(l, br, name, dp_port, request, ofport);
    if (!err) {
        invalidate(l);
    }
    pthread_mutex_unlock(&l->mutex);
    return err;
}

int
l2br_del_port(struct l2br *l, const char *name, uint32_t *dp_port)
{
    struct l2br_bridge *b;
    struct l2br_port *p;
    int err = -ENOENT;

    pthread_mutex_lock(&l->mutex);
    p = find_port(l, name, &b);
    if (p) {
        *dp_port = p->dp_port;
        l->by_dp[p->dp_port].br = NULL;
        mac_learning_flush_port(b->ml, p->ofport);
        *p = b->ports[--b->n_ports];
        invalidate(l);
        err = 0;
    }
    pthread_mutex_unlock(&l->mutex);
    return err;
}

int
l2br_find_port(struct l2br *l, const char *name, char *br, uint32_t *dp_port,
               uint32_t *ofport)
{
    struct l2br_bridge *b;
    struct l2br_port *p;
    int err = -ENOENT;

    pthread_mutex_lock(&l->mutex);
    p = find_port(l, name, &b);
    if (p) {
        snprintf(br, L2BR_NAME_MAX, "%s", b->name);
        *dp_port = p->dp_port;
        *ofport = p->ofport;
        err = 0;
    }
    pthread_mutex_unlock(&l->mutex);
    return err;
}

int
l2br_add_rule(struct l2br *l, const char *br, const char *text, char *err,
              size_t esz)
{
    struct port_rule rule;
    struct l2br_bridge *b;
    int e = port_rule_parse(text, &rule, err, esz);

    if (e) {
        return e;
    }
    pthread_mutex_lock(&l->mutex);
    b = find_bridge(l, br);
    if (!b) {
        snprintf(err, esz, "no bridge named %s", br);
        e = -ENOENT;
    } else {
        e = port_rules_add(b->rules, &rule);
        if (e) {
            snprintf(err, esz, "cannot add rule: %s", strerror(-e));
        } else {
            invalidate(l);
        }
    }
    pthread_mutex_unlock(&l->mutex);
    return e;
}

int
l2br_del_rules(struct l2br *l, const char *br)
{
    struct l2br_bridge *b;
    int err = -ENOENT;

    pthread_mutex_lock(&l->mutex);
    b = find_bridge(l, br);
    if (b) {
        port_rules_clear(b->rules);
        invalidate(l);
        err = 0;
    }
    pthread_mutex_unlock(&l->mutex);
    return err;
}

void
l2br_for_each_bridge(struct l2br *l, l2br_bridge_visit_fn *cb, void *aux)
{
    pthread_mutex_lock(&l->mutex);
    for (struct l2br_bridge *b = l->bridges; b; b = b->next) {
        cb(aux, b->name);
    }
    pthread_mutex_unlock(&l->mutex);
}

int
l2br_for_each_port(struct l2br *l, const char *br, l2br_port_visit_fn *cb,
                   void *aux)
{
    struct l2br_bridge *b;

    pthread_mutex_lock(&l->mutex);
    b = find_bridge(l, br);
    for (unsigned i = 0; b && i < b->n_ports; i++) {
        cb(aux, b->ports[i].name, b->ports[i].dp_port, b->ports[i].ofport);
    }
    pthread_mutex_unlock(&l->mutex);
    return b ? 0 : -ENOENT;
}

int
l2br_for_each_rule(struct l2br *l, const char *br, l2br_rule_visit_fn *cb,
                   void *aux)
{
    struct l2br_bridge *b;
    const struct port_rule *r;

    pthread_mutex_lock(&l->mutex);
    b = find_bridge(l, br);
    for (unsigned i = 0; b && (r = port_rules_at(b->rules, i)); i++) {
        cb(aux, r);
    }
    pthread_mutex_unlock(&l->mutex);
    return b ? 0 : -ENOENT;
}

struct mac_visit {
    l2br_mac_visit_fn *cb;
    void *aux;
};

static int
mac_visit(void *aux_, const uint8_t mac[6], uint32_t port, uint64_t age)
{
    struct mac_visit *v = aux_;

    v->cb(v->aux, mac, port, age);
    return 0;
}

int
l2br_for_each_mac(struct l2br *l, const char *br, l2br_mac_visit_fn *cb,
                  void *aux)
{
    struct mac_visit v = {.cb = cb, .aux = aux};
    struct l2br_bridge *b;

    pthread_mutex_lock(&l->mutex);
    b = find_bridge(l, br);
    if (b) {
        mac_learning_for_each(b->ml, now_sec(), mac_visit, &v);
    }
    pthread_mutex_unlock(&l->mutex);
    return b ? 0 : -ENOENT;
}

void
l2br_run(struct l2br *l)
{
    uint64_t now = now_sec();
    unsigned expired = 0;

    pthread_mutex_lock(&l->mutex);
    for (struct l2br_bridge *b = l->bridges; b; b = b->next) {
        expired += mac_learning_expire(b->ml, now);
    }
    if (expired) {
        /* Megaflows forwarding to an expired address must flood again. */
        invalidate(l);
    }
    pthread_mutex_unlock(&l->mutex);
}

/* ---- Translation ------------------------------------------------------ */

static const struct l2br_port *
port_by_ofport(const struct l2br_bridge *b, uint32_t ofport)
{
    for (unsigned i = 0; i < b->n_ports; i++) {
        if (b->ports[i].ofport == ofport) {
            return &b->ports[i];
        }
    }
    return NULL;
}

/* Output to every port of the bridge but the input one. */
static int
xlate_flood(const struct l2br_bridge *b, uint32_t in_ofport,
            struct dp_actions *a)
{
    for (unsigned i = 0; i < b->n_ports; i++) {
        if (b->ports[i].ofport != in_ofport) {
            int err = dp_actions_add_output(a, b->ports[i].dp_port);
            if (err) {
                return err;
            }
        }
    }
    return 0;
}

static int
xlate_normal(struct l2br *l, struct l2br_bridge *b, uint32_t in_ofport,
             const struct flow *flow, struct flow_wc *wc,
             struct dp_actions *a)
{
    uint64_t now = now_sec();
    const uint8_t *dst = flow->dl_dst.ea;
    enum mac_learning_result r;
    uint32_t out;

    memset(&wc->masks.dl_src, 0xff, sizeof wc->masks.dl_src);
    memset(&wc->masks.dl_dst, 0xff, sizeof wc->masks.dl_dst);
    r = mac_learning_learn(b->ml, flow->dl_src.ea, in_ofport, now);
    if (r == MAC_LEARNING_NEW || r == MAC_LEARNING_MOVED) {
        /* Flows flooding to this address, or sending it to its old port,
         * are stale now. */
        invalidate(l);
    }
    if (mac_learning_is_multicast(dst)) {
        return xlate_flood(b, in_ofport, a);
    }
    out = mac_learning_lookup(b->ml, dst, now);
    if (out == MAC_LEARNING_NO_PORT) {
        return xlate_flood(b, in_ofport, a);
    }
    if (out != in_ofport) {
        const struct l2br_port *p = port_by_ofport(b, out);
        if (p) {
            return dp_actions_add_output(a, p->dp_port);
        }
    }
    return 0;   /* destination behind the input port: drop (as a switch) */
}

/* What the rule's actions so far made of the packet. */
struct xlate_ctx {
    const struct l2br_bridge *b;
    uint32_t in_ofport;
    const struct flow *flow;
    struct flow_wc *wc;
    struct dp_actions *a;
    unsigned n_tags;           /* VLAN tags the packet has now */
};

/* A decision that depends on how many tags the packet has. */
static void
xlate_vlan_dep(struct xlate_ctx *x)
{
    for (int i = 0; i < FLOW_MAX_VLANS; i++) {
        x->wc->masks.vlans[i].tpid = UINT16_MAX;
    }
}

static bool
xlate_is_ipv4(struct xlate_ctx *x)
{
    x->wc->masks.dl_type = UINT16_MAX;
    return x->flow->dl_type == htons(DP_ETH_TYPE_IPV4);
}

static int
xlate_output(struct xlate_ctx *x, uint32_t ofport)
{
    const struct l2br_port *p = port_by_ofport(x->b, ofport);

    /* A rule may name a port that does not exist (yet); output to the
     * input port needs an explicit in_port action in OpenFlow. */
    if (!p || ofport == x->in_ofport) {
        return 0;
    }
    return dp_actions_add_output(x->a, p->dp_port);
}

/* mod_vlan_vid / mod_vlan_pcp: rewrite the outer tag, or push one. */
static int
xlate_mod_vlan(struct xlate_ctx *x, bool vid, uint32_t v)
{
    struct dp_action d = {.type = vid ? DP_ACTION_SET_VLAN_VID
                                      : DP_ACTION_SET_VLAN_PCP};

    xlate_vlan_dep(x);
    if (!x->n_tags) {
        d.type = DP_ACTION_PUSH_VLAN;
        d.vlan.tpid = DP_ETH_TYPE_VLAN;
        d.vlan.tci = (uint16_t) (vid ? v : v << 13);
        x->n_tags++;
    } else if (vid) {
        d.u16 = (uint16_t) v;
    } else {
        d.u8 = (uint8_t) v;
    }
    return dp_actions_add(x->a, &d);
}

static int
xlate_vlan(struct xlate_ctx *x, const struct port_rule_act *r)
{
    struct dp_action d = {.type = DP_ACTION_POP_VLAN};

    switch (r->type) {
    case PORT_RULE_ACT_MOD_VLAN_VID:
    case PORT_RULE_ACT_MOD_VLAN_PCP:
        return xlate_mod_vlan(x, r->type == PORT_RULE_ACT_MOD_VLAN_VID,
                              r->u32);
    case PORT_RULE_ACT_STRIP_VLAN:
        xlate_vlan_dep(x);
        if (!x->n_tags) {
            return 0;
        }
        x->n_tags--;
        return dp_actions_add(x->a, &d);
    default:    /* PORT_RULE_ACT_PUSH_VLAN */
        xlate_vlan_dep(x);
        if (x->n_tags >= FLOW_MAX_VLANS) {
            return -E2BIG;  /* no third tag (as OVS): the packet drops */
        }
        x->n_tags++;
        d.type = DP_ACTION_PUSH_VLAN;
        d.vlan.tpid = (uint16_t) r->u32;
        return dp_actions_add(x->a, &d);
    }
}

/* mod_nw_* and mod_tp_*: only for IPv4 (and TCP/UDP) packets. */
static int
xlate_l3l4(struct xlate_ctx *x, const struct port_rule_act *r)
{
    static const uint8_t types[] = {
        [PORT_RULE_ACT_MOD_NW_SRC] = DP_ACTION_SET_IPV4_SRC,
        [PORT_RULE_ACT_MOD_NW_DST] = DP_ACTION_SET_IPV4_DST,
        [PORT_RULE_ACT_MOD_NW_TOS] = DP_ACTION_SET_IPV4_DSCP,
        [PORT_RULE_ACT_MOD_NW_TTL] = DP_ACTION_SET_IPV4_TTL,
        [PORT_RULE_ACT_MOD_TP_SRC] = DP_ACTION_SET_TP_SRC,
        [PORT_RULE_ACT_MOD_TP_DST] = DP_ACTION_SET_TP_DST,
    };
    struct dp_action d = {.type = types[r->type]};
    const struct flow *f = x->flow;

    if (!xlate_is_ipv4(x)) {
        return 0;
    }
    if (d.type == DP_ACTION_SET_TP_SRC || d.type == DP_ACTION_SET_TP_DST) {
        x->wc->masks.nw_proto = UINT8_MAX;
        x->wc->masks.nw_frag = UINT8_MAX;
        if ((f->nw_proto != DP_IPPROTO_TCP && f->nw_proto != DP_IPPROTO_UDP)
            || (f->nw_frag & FLOW_NW_FRAG_LATER)) {
            return 0;
        }
        d.proto = f->nw_proto;
        d.u16 = (uint16_t) r->u32;
    } else if (d.type == DP_ACTION_SET_IPV4_SRC
               || d.type == DP_ACTION_SET_IPV4_DST) {
        d.ipv4 = r->u32;
    } else {
        d.u8 = (uint8_t) r->u32;
    }
    return dp_actions_add(x->a, &d);
}

static int
xlate_act(struct xlate_ctx *x, const struct port_rule_act *r)
{
    struct dp_action d = {.type = DP_ACTION_SET_ETH_SRC};

    switch ((enum port_rule_act_type) r->type) {
    case PORT_RULE_ACT_OUTPUT:
        return xlate_output(x, r->u32);
    case PORT_RULE_ACT_MOD_DL_DST:
        d.type = DP_ACTION_SET_ETH_DST;
        /* fall through */
    case PORT_RULE_ACT_MOD_DL_SRC:
        memcpy(d.mac, r->mac, sizeof d.mac);
        return dp_actions_add(x->a, &d);
    case PORT_RULE_ACT_MOD_VLAN_VID:
    case PORT_RULE_ACT_MOD_VLAN_PCP:
    case PORT_RULE_ACT_STRIP_VLAN:
    case PORT_RULE_ACT_PUSH_VLAN:
        return xlate_vlan(x, r);
    case PORT_RULE_ACT_MOD_NW_SRC:
    case PORT_RULE_ACT_MOD_NW_DST:
    case PORT_RULE_ACT_MOD_NW_TOS:
    case PORT_RULE_ACT_MOD_NW_TTL:
    case PORT_RULE_ACT_MOD_TP_SRC:
    case PORT_RULE_ACT_MOD_TP_DST:
        return xlate_l3l4(x, r);
    default:
        return -EINVAL;
    }
}

/* The rule's actions, in order, into datapath actions. */
static int
xlate_rule(const struct l2br_bridge *b, uint32_t in_ofport,
           const struct port_rule *rule, const struct flow *flow,
           struct flow_wc *wc, struct dp_actions *a)
{
    struct xlate_ctx x = {
        .b = b, .in_ofport = in_ofport, .flow = flow, .wc = wc, .a = a,
        .n_tags = (flow->vlans[0].tpid != 0) + (flow->vlans[1].tpid != 0),
    };

    for (uint32_t i = 0; i < rule->n_acts; i++) {
        int err = xlate_act(&x, &rule->acts[i]);
        if (err == -E2BIG) {
            /* More tags than a packet may carry: drop it (megaflow and
             * all, so it does not come back to the slow path). */
            dp_actions_init(a);
            return 0;
        }
        if (err) {
            return err;
        }
    }
    return 0;
}

/* The outer VID the rule lookup sees; un-wildcards it if rules use it. */
static uint16_t
xlate_lookup_vlan(const struct l2br_bridge *b, const struct flow *flow,
                  struct flow_wc *wc)
{
    if (!port_rules_match_vlan(b->rules)) {
        return PORT_RULE_VLAN_NONE;     /* not looked at */
    }
    wc->masks.vlans[0].tpid = UINT16_MAX;
    wc->masks.vlans[0].tci |= htons(0x0fff);
    return flow->vlans[0].tpid ? ntohs(flow->vlans[0].tci) & 0x0fff
                               : PORT_RULE_VLAN_NONE;
}

int
l2br_translate(void *ctx, const struct flow *flow, struct flow_wc *wc,
               struct dp_actions *a)
{
    struct l2br *l = ctx;
    struct port_rule *rule;
    struct l2br_slot slot;
    int err = 0;

    dp_actions_init(a);
    wc->masks.in_port = UINT32_MAX;
    if (flow->in_port >= DP_MAX_PORTS) {
        return 0;
    }
    pthread_mutex_lock(&l->mutex);
    slot = l->by_dp[flow->in_port];
    if (!slot.br) {
        goto out;       /* port not (or no longer) on a bridge: drop */
    }
    rule = port_rules_lookup(slot.br->rules, slot.ofport,
                             xlate_lookup_vlan(slot.br, flow, wc));
    if (!rule) {
        goto out;       /* table miss: drop, like an empty OpenFlow table */
    }
    rule->n_packets++;
    if (rule->action == PORT_RULE_NORMAL) {
        err = xlate_normal(l, slot.br, slot.ofport, flow, wc, a);
    } else if (rule->action == PORT_RULE_OUTPUT) {
        err = xlate_rule(slot.br, slot.ofport, rule, flow, wc, a);
    }
out:
    pthread_mutex_unlock(&l->mutex);
    return err;
}
