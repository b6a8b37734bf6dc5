/* SPDX-License-Identifier: Apache-2.0 */
/* Bridges, ports, VLAN and MAC settings, rule ids, periodic work (see
 * ofproto.h).  Flow programming is in ofproto_flows.c, translation in
 * xlate.c. */
#include "ofproto_private.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The highest OpenFlow number a port may have (OpenFlow 1.0 §5.2.1:
 * 0xff00 and above are reserved). */
#define OFPROTO_MAX_OFPORT (OFPP_MAX - 1u)
#define BY_ID_MIN_BUCKETS 64u

static ofproto_clock_fn *test_clock;

void
ofproto_set_clock_for_testing(ofproto_clock_fn *clock)
{
    test_clock = clock;
}

/* The real clock, whatever test clock is set. */
static uint64_t
monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

uint64_t
ofproto_now_ms(void)
{
    return test_clock ? test_clock() : monotonic_ns() / 1000000u;
}

int
ofproto_create(ofproto_invalidate_fn *invalidate, void *aux,
               struct ofproto **out)
{
    struct ofproto *o = calloc(1, sizeof *o);

    if (!o) {
        return -ENOMEM;
    }
    o->by_id = calloc(BY_ID_MIN_BUCKETS, sizeof *o->by_id);
    if (!o->by_id) {
        free(o);
        return -ENOMEM;
    }
    o->by_id_mask = BY_ID_MIN_BUCKETS - 1;
    o->next_rule_id = 1;            /* 0 is never an id */
    o->max_rules = OFPROTO_MAX_RULES;
    pthread_mutex_init(&o->mutex, NULL);
    o->invalidate = invalidate;
    o->aux = aux;
    *out = o;
    return 0;
}

static void
bridge_free(struct ofproto *o, struct ofproto_bridge *b)
{
    if (!b) {
        return;
    }
    ofproto_bridge_remove_rules(o, b);
    for (unsigned t = 0; t < OFP_N_TABLES; t++) {
        ofp_cls_destroy(b->tables[t].cls);
    }
    mac_learning_destroy(b->ml);
    free(b->ports);
    free(b);
}

void
ofproto_destroy(struct ofproto *o)
{
    if (!o) {
        return;
    }
    while (o->bridges) {
        struct ofproto_bridge *b = o->bridges;
        o->bridges = b->next;
        bridge_free(o, b);
    }
    free(o->by_id);
    pthread_mutex_destroy(&o->mutex);
    free(o);
}

void
ofproto_invalidate(struct ofproto *o)
{
    if (o->invalidate) {
        o->invalidate(o->aux, NULL);
    }
}

void
ofproto_invalidate_dl_dst(struct ofproto *o, const struct flow_eth_addr *mac)
{
    if (o->invalidate) {
        o->invalidate(o->aux, mac);
    }
}

/* ---- Rule ids --------------------------------------------------------- */

static size_t
id_bucket(uint64_t id, size_t mask)
{
    /* Fibonacci hashing: ids are sequential, but deletions leave gaps. */
    return (size_t) ((id * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & mask;
}

int
ofproto_rule_ids_reserve(struct ofproto *o, size_t n_more)
{
    size_t n_buckets = o->by_id_mask + 1, want = o->n_by_id + n_more;
    struct ofproto_rule **nb;

    if (want <= n_buckets) {
        return 0;
    }
    while (n_buckets < want) {
        if (n_buckets > SIZE_MAX / 2 / sizeof *nb) {
            return -ENOMEM;
        }
        n_buckets *= 2;
    }
    nb = calloc(n_buckets, sizeof *nb);
    if (!nb) {
        return -ENOMEM;
    }
    for (size_t i = 0; i <= o->by_id_mask; i++) {
        struct ofproto_rule *r = o->by_id[i], *next;
        for (; r; r = next) {
            size_t h = id_bucket(r->id, n_buckets - 1);
            next = r->id_next;
            r->id_next = nb[h];
            nb[h] = r;
        }
    }
    free(o->by_id);
    o->by_id = nb;
    o->by_id_mask = n_buckets - 1;
    return 0;
}

/* Gives 'r' an id if it has none (a rule put back after a failed batch
 * keeps its own). */
void
ofproto_rule_id_insert(struct ofproto *o, struct ofproto_rule *r)
{
    size_t h;

    if (!r->id) {
        r->id = o->next_rule_id++;
    }
    h = id_bucket(r->id, o->by_id_mask);
    r->id_next = o->by_id[h];
    o->by_id[h] = r;
    o->n_by_id++;
}

void
ofproto_rule_id_remove(struct ofproto *o, struct ofproto_rule *r)
{
    struct ofproto_rule **pp = &o->by_id[id_bucket(r->id, o->by_id_mask)];

    for (; *pp; pp = &(*pp)->id_next) {
        if (*pp == r) {
            *pp = r->id_next;
            r->id_next = NULL;
            o->n_by_id--;
            return;
        }
    }
}

struct ofproto_rule *
ofproto_rule_by_id(const struct ofproto *o, uint64_t id)
{
    struct ofproto_rule *r = o->by_id[id_bucket(id, o->by_id_mask)];

    while (r && r->id != id) {
        r = r->id_next;
    }
    return r;
}

/* ---- Bridges ---------------------------------------------------------- */

struct ofproto_bridge *
ofproto_bridge_find(struct ofproto *o, const char *name)
{
    struct ofproto_bridge *b = o->bridges;

    while (b && strcmp(b->name, name)) {
        b = b->next;
    }
    return b;
}

static bool
name_ok(const char *name)
{
    size_t len = strlen(name);

    return len && len < OFPROTO_NAME_MAX && !strpbrk(name, " \t\n,=/");
}

static int
bridge_new(struct ofproto *o, const char *name, struct ofproto_bridge **out)
{
    struct ofproto_bridge *b = calloc(1, sizeof *b);
    int err = -ENOMEM;

    if (!b) {
        return err;
    }
    snprintf(b->name, sizeof b->name, "%s", name);
    b->mac_idle_time = MAC_LEARNING_DEFAULT_IDLE_TIME;
    b->mac_max_entries = MAC_LEARNING_DEFAULT_MAX;
    err = mac_learning_create(b->mac_max_entries, b->mac_idle_time, &b->ml);
    for (unsigned t = 0; !err && t < OFP_N_TABLES; t++) {
        err = ofp_cls_create(&b->tables[t].cls);
    }
    if (!err) {
        err = ofproto_bridge_add_default_rule(o, b);
    }
    if (err) {
        bridge_free(o, b);
        return err;
    }
    *out = b;
    return 0;
}

int
ofproto_add_bridge(struct ofproto *o, const char *name)
{
    struct ofproto_bridge *b;
    int err;

    if (!name_ok(name)) {
        return -EINVAL;
    }
    pthread_mutex_lock(&o->mutex);
    if (ofproto_bridge_find(o, name)) {
        err = -EEXIST;
    } else {
        err = bridge_new(o, name, &b);
        if (!err) {
            b->next = o->bridges;
            o->bridges = b;
        }
    }
    pthread_mutex_unlock(&o->mutex);
    return err;
}

int
ofproto_del_bridge(struct ofproto *o, const char *name)
{
    struct ofproto_bridge **pp;
    int err = -ENOENT;

    pthread_mutex_lock(&o->mutex);
    for (pp = &o->bridges; *pp; pp = &(*pp)->next) {
        if (!strcmp((*pp)->name, name)) {
            break;
        }
    }
    if (*pp && (*pp)->n_ports) {
        err = -EBUSY;           /* the caller removes the ports first */
    } else if (*pp) {
        struct ofproto_bridge *b = *pp;
        *pp = b->next;
        bridge_free(o, b);
        err = 0;
    }
    pthread_mutex_unlock(&o->mutex);
    return err;
}

bool
ofproto_has_bridge(struct ofproto *o, const char *name)
{
    pthread_mutex_lock(&o->mutex);
    bool found = ofproto_bridge_find(o, name) != NULL;
    pthread_mutex_unlock(&o->mutex);
    return found;
}

/* ---- Ports ------------------------------------------------------------ */

/* Port 'name' on any bridge, with its bridge. */
static struct ofproto_port *
find_port(struct ofproto *o, const char *name, struct ofproto_bridge **brp)
{
    for (struct ofproto_bridge *b = o->bridges; b; b = b->next) {
        for (unsigned i = 0; i < b->n_ports; i++) {
            if (!strcmp(b->ports[i].name, name)) {
                *brp = b;
                return &b->ports[i];
            }
        }
    }
    return NULL;
}

struct ofproto_port *
ofproto_port_by_ofport(const struct ofproto_bridge *b, uint32_t ofport)
{
    for (unsigned i = 0; i < b->n_ports; i++) {
        if (b->ports[i].ofport == ofport) {
            return &b->ports[i];
        }
    }
    return NULL;
}

static int
pick_ofport(const struct ofproto_bridge *b, uint32_t request,
            uint32_t *ofport)
{
    if (request) {
        if (request > OFPROTO_MAX_OFPORT) {
            return -EINVAL;
        }
        if (ofproto_port_by_ofport(b, request)) {
            return -EBUSY;
        }
        *ofport = request;
        return 0;
    }
    for (uint32_t p = 1; p <= OFPROTO_MAX_OFPORT; p++) {
        if (!ofproto_port_by_ofport(b, p)) {
            *ofport = p;
            return 0;
        }
    }
    return -ENOSPC;
}

static int
bridge_append_port(struct ofproto_bridge *b, const struct ofproto_port *p)
{
    if (b->n_ports == b->allocated) {
        unsigned n = b->allocated ? b->allocated * 2 : 8;
        struct ofproto_port *np = realloc(b->ports, n * sizeof *np);
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
add_port_locked(struct ofproto *o, const char *br, const char *name,
                uint32_t dp_port, uint32_t request, uint32_t *ofport)
{
    struct ofproto_bridge *b = ofproto_bridge_find(o, br), *other;
    /* A new port is a trunk of every VLAN, as an OVS port without tag or
     * trunks. */
    struct ofproto_port p = {.dp_port = dp_port, .tag = -1,
                             .vlan_mode = OFPROTO_VLAN_TRUNK,
                             .all_vlans = true};
    int err;

    if (!b) {
        return -ENOENT;
    }
    if (find_port(o, name, &other) || o->by_dp[dp_port].br) {
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
    o->by_dp[dp_port].br = b;
    o->by_dp[dp_port].ofport = p.ofport;
    *ofport = p.ofport;
    return 0;
}

int
ofproto_add_port(struct ofproto *o, const char *br, const char *name,
                 uint32_t dp_port, uint32_t request, uint32_t *ofport)
{
    int err;

    if (!name_ok(name) || dp_port >= DP_MAX_PORTS) {
        return -EINVAL;
    }
    pthread_mutex_lock(&o->mutex);
    err = add_port_locked(o, br, name, dp_port, request, ofport);
    if (!err) {
        ofproto_invalidate(o);
    }
    pthread_mutex_unlock(&o->mutex);
    return err;
}

int
ofproto_del_port(struct ofproto *o, const char *name, uint32_t *dp_port)
{
    struct ofproto_bridge *b;
    struct ofproto_port *p;
    int err = -ENOENT;

    pthread_mutex_lock(&o->mutex);
    p = find_port(o, name, &b);
    if (p) {
        *dp_port = p->dp_port;
        o->by_dp[p->dp_port].br = NULL;
        mac_learning_flush_port(b->ml, p->ofport);
        *p = b->ports[--b->n_ports];
        ofproto_invalidate(o);
        err = 0;
    }
    pthread_mutex_unlock(&o->mutex);
    return err;
}

int
ofproto_find_port(struct ofproto *o, const char *name, char *br,
                  uint32_t *dp_port, uint32_t *ofport)
{
    struct ofproto_bridge *b;
    struct ofproto_port *p;
    int err = -ENOENT;

    pthread_mutex_lock(&o->mutex);
    p = find_port(o, name, &b);
    if (p) {
        if (br) {
            snprintf(br, OFPROTO_NAME_MAX, "%s", b->name);
        }
        *dp_port = p->dp_port;
        *ofport = p->ofport;
        err = 0;
    }
    pthread_mutex_unlock(&o->mutex);
    return err;
}

int
ofproto_resolve_port(void *aux, const char *name, uint32_t *ofport)
{
    const struct ofproto_resolver *res = aux;
    struct ofproto *o = res->ofproto;
    struct ofproto_bridge *b;
    int err = -ENOENT;

    pthread_mutex_lock(&o->mutex);
    b = ofproto_bridge_find(o, res->br);
    for (unsigned i = 0; b && i < b->n_ports; i++) {
        if (!strcmp(b->ports[i].name, name)) {
            *ofport = b->ports[i].ofport;
            err = 0;
            break;
        }
    }
    pthread_mutex_unlock(&o->mutex);
    return err;
}

/* ---- VLANs and MAC learning ------------------------------------------- */

/* The OVSDB Port table's constraints (ovs-vswitchd.conf.db(5), "VLAN
 * Configuration"): tag and trunks are 12-bit VIDs; access and the native
 * modes need a tag. */
static int
port_vlan_check(const struct ofproto_port_vlan *v)
{
    if ((unsigned) v->mode > OFPROTO_VLAN_DISABLED
        || v->tag < -1 || v->tag > 4095) {
        return -EINVAL;
    }
    if (v->mode != OFPROTO_VLAN_TRUNK && v->mode != OFPROTO_VLAN_DISABLED
        && v->tag < 0) {
        return -EINVAL;
    }
    if (v->n_trunks > OFPROTO_MAX_VLAN_TRUNKS || (v->n_trunks && !v->trunks)) {
        return -EINVAL;
    }
    for (unsigned i = 0; i < v->n_trunks; i++) {
        if (v->trunks[i] > 4095) {
            return -EINVAL;
        }
    }
    return 0;
}

static void
trunk_set(struct ofproto_port *p, unsigned vid)
{
    p->trunks[vid / 64] |= UINT64_C(1) << (vid % 64);
}

static void
port_vlan_apply(struct ofproto_port *p, const struct ofproto_port_vlan *v)
{
    bool access = v->mode == OFPROTO_VLAN_ACCESS;
    bool none = v->mode == OFPROTO_VLAN_DISABLED;

    p->vlan_mode = v->mode;
    /* A trunk ignores a tag, as OVS does. */
    p->tag = v->mode == OFPROTO_VLAN_TRUNK || none ? -1 : v->tag;
    memset(p->trunks, 0, sizeof p->trunks);
    p->all_vlans = !access && !none && !v->n_trunks;
    if (access || none || p->all_vlans) {
        return;                 /* an access port ignores trunks */
    }
    for (unsigned i = 0; i < v->n_trunks; i++) {
        trunk_set(p, v->trunks[i]);
    }
    if (p->tag >= 0) {
        trunk_set(p, (unsigned) p->tag);    /* native VLAN always carried */
    }
}

int
ofproto_set_port_vlan(struct ofproto *o, const char *name,
                      const struct ofproto_port_vlan *v)
{
    struct ofproto_bridge *b;
    struct ofproto_port *p;
    int err = port_vlan_check(v);

    if (err) {
        return err;
    }
    pthread_mutex_lock(&o->mutex);
    p = find_port(o, name, &b);
    if (!p) {
        err = -ENOENT;
    } else {
        port_vlan_apply(p, v);
        /* What was learned on the port may belong to a VLAN it no longer
         * carries. */
        mac_learning_flush_port(b->ml, p->ofport);
        ofproto_invalidate(o);
    }
    pthread_mutex_unlock(&o->mutex);
    return err;
}

int
ofproto_set_mac_limits(struct ofproto *o, const char *br, unsigned idle_time,
                       unsigned max_entries)
{
    struct ofproto_bridge *b;
    int err = 0;

    idle_time = idle_time ? idle_time : MAC_LEARNING_DEFAULT_IDLE_TIME;
    max_entries = max_entries ? max_entries : MAC_LEARNING_DEFAULT_MAX;
    pthread_mutex_lock(&o->mutex);
    b = ofproto_bridge_find(o, br);
    if (!b) {
        err = -ENOENT;
    } else if (b->mac_idle_time != idle_time
               || b->mac_max_entries != max_entries) {
        mac_learning_set_limits(b->ml, max_entries, idle_time);
        b->mac_idle_time = idle_time;
        b->mac_max_entries = max_entries;
        /* Evicted entries may be what a megaflow forwards on. */
        ofproto_invalidate(o);
    }
    pthread_mutex_unlock(&o->mutex);
    return err;
}

/* ---- Visitors --------------------------------------------------------- */

void
ofproto_for_each_bridge(struct ofproto *o, ofproto_bridge_visit_fn *cb,
                        void *aux)
{
    pthread_mutex_lock(&o->mutex);
    for (struct ofproto_bridge *b = o->bridges; b; b = b->next) {
        cb(aux, b->name);
    }
    pthread_mutex_unlock(&o->mutex);
}

int
ofproto_for_each_port(struct ofproto *o, const char *br,
                      ofproto_port_visit_fn *cb, void *aux)
{
    struct ofproto_bridge *b;

    pthread_mutex_lock(&o->mutex);
    b = ofproto_bridge_find(o, br);
    for (unsigned i = 0; b && i < b->n_ports; i++) {
        cb(aux, b->ports[i].name, b->ports[i].dp_port, b->ports[i].ofport);
    }
    pthread_mutex_unlock(&o->mutex);
    return b ? 0 : -ENOENT;
}

struct mac_visit {
    ofproto_mac_visit_fn *cb;
    void *aux;
};

static int
mac_visit(void *aux_, const uint8_t mac[6], uint16_t vlan, uint32_t port,
          uint64_t age)
{
    struct mac_visit *v = aux_;

    v->cb(v->aux, mac, vlan, port, age);
    return 0;
}

int
ofproto_for_each_mac(struct ofproto *o, const char *br,
                     ofproto_mac_visit_fn *cb, void *aux)
{
    struct mac_visit v = {.cb = cb, .aux = aux};
    struct ofproto_bridge *b;

    pthread_mutex_lock(&o->mutex);
    b = ofproto_bridge_find(o, br);
    if (b) {
        mac_learning_for_each(b->ml, ofproto_now_ms() / 1000u, mac_visit, &v);
    }
    pthread_mutex_unlock(&o->mutex);
    return b ? 0 : -ENOENT;
}

/* ---- Periodic work ---------------------------------------------------- */

void
ofproto_yield_to_pmds(struct ofproto *o)
{
    /* A woken waiter needs a few microseconds to take the lock; 1 ms
     * bounds the wait for one that never comes (it cannot block: it only
     * takes the lock).  The real clock: tests stop ofproto_now_ms(). */
    uint64_t t0;

    if (!__atomic_load_n(&o->pmd_waiting, __ATOMIC_RELAXED)) {
        return;
    }
    t0 = monotonic_ns();
    do {
        sched_yield();
    } while (__atomic_load_n(&o->pmd_waiting, __ATOMIC_RELAXED)
             && monotonic_ns() - t0 < 1000000u);
}

void
ofproto_run(struct ofproto *o)
{
    uint64_t now = ofproto_now_ms();
    unsigned changed = 0;

    pthread_mutex_lock(&o->mutex);
    for (struct ofproto_bridge *b = o->bridges; b; b = b->next) {
        changed += mac_learning_expire(b->ml, now / 1000u);
        changed += ofproto_bridge_expire_rules(o, b, now);
    }
    if (changed || o->learned_new || o->moved_pending) {
        /* Megaflows forwarding to an expired address must flood again;
         * those of an expired rule must see the tables without it; those
         * flooding to a newly learned address should now unicast. */
        o->learned_new = false;
        o->moved_pending = false;
        ofproto_invalidate(o);
    }
    pthread_mutex_unlock(&o->mutex);
}

/* ---- Text for trace --------------------------------------------------- */

void
ofp_text_printf(struct ofp_text *t, const char *fmt, ...)
{
    va_list ap;
    size_t need;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->truncated = true;
        return;
    }
    need = t->len + (size_t) n + 1;
    if (need > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        char *nb;
        while (cap < need) {
            cap *= 2;
        }
        nb = realloc(t->buf, cap);
        if (!nb) {
            t->truncated = true;
            return;
        }
        t->buf = nb;
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t) n;
}

void
ofp_text_free(struct ofp_text *t)
{
    free(t->buf);
    memset(t, 0, sizeof *t);
}
