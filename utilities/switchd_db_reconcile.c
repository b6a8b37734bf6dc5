/* SPDX-License-Identifier: Apache-2.0 */
/* Reconciliation: the running bridges and ports follow the Bridge, Port
 * and Interface rows (see switchd_db.h), and so do NORMAL's settings: each
 * Port's tag / trunks / vlan_mode and each Bridge's other_config
 * mac-aging-time / mac-table-size (ovs-vswitchd.conf.db(5)), applied live.
 * Control thread only. */
#include "switchd_db_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/dpif.h"
#include "datapath/port.h"
#include "ofproto/ofproto.h"
#include "ovsdb-lite/util.h"
#include "switchd.h"
#include "vhost/vlog.h"

/* One Interface the rows ask for. */
struct want {
    const struct ovsdb_row *iface;
    const struct ovsdb_row *port;   /* its Port row (VLAN settings) */
    const char *name, *bridge;
    char *config;
    bool done;                  /* already running as asked */
};

struct want_list {
    struct want *w;
    size_t n, cap;
};

const char *
switchd_db_str(const struct ovsdb_row *row, const char *column)
{
    const struct ovsdb_datum *d = ovsdb_row_get(row, column);
    return d && d->n ? d->keys[0].string : "";
}

int64_t
switchd_db_int(const struct ovsdb_row *row, const char *column, int64_t dflt)
{
    const struct ovsdb_datum *d = ovsdb_row_get(row, column);
    return d && d->n ? d->keys[0].integer : dflt;
}

struct switchd_db_port *
switchd_db_find_port(struct switchd_db *db, const char *name)
{
    for (struct switchd_db_port *p = db->ports; p; p = p->next) {
        if (!strcmp(p->name, name)) {
            return p;
        }
    }
    return NULL;
}

/* What a port is built from, as one comparable string. */
static char *
iface_config(const struct ovsdb_row *iface)
{
    const struct ovsdb_table_schema *ts = iface->table->schema;
    const char *cols[] = {"type", "options", "ofport_request"};
    json_object *a = ovsdb_json_arr();

    for (size_t i = 0; i < RSW_ARRAY_SIZE(cols); i++) {
        const struct ovsdb_column_schema *c =
            ovsdb_schema_find_column(ts, cols[i]);
        ovsdb_json_push(a, ovsdb_datum_to_json(&iface->fields[c->index],
                                               &c->type));
    }
    char *s = ovsdb_xstrdup(ovsdb_json_plain(a, NULL));
    json_object_put(a);
    return s;
}

static void
want_add(struct want_list *l, const struct ovsdb_row *port,
         const struct ovsdb_row *iface, const char *bridge)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->w = ovsdb_xrealloc(l->w, l->cap * sizeof *l->w);
    }
    l->w[l->n++] = (struct want) {
        .iface = iface,
        .port = port,
        .name = switchd_db_str(iface, "name"),
        .bridge = bridge,
        .config = iface_config(iface),
    };
}

/* Every Interface reachable from a Bridge, with its bridge's name. */
static void
collect_wants(const struct ovsdb *odb, struct want_list *l)
{
    const struct ovsdb_table *bt = ovsdb_get_table(odb, "Bridge");
    const struct ovsdb_table *pt = ovsdb_get_table(odb, "Port");
    const struct ovsdb_table *it = ovsdb_get_table(odb, "Interface");
    const struct ovsdb_row *br;

    OVSDB_TABLE_FOR_EACH (br, bt) {
        const struct ovsdb_datum *ports = ovsdb_row_get(br, "ports");
        for (size_t i = 0; i < ports->n; i++) {
            const struct ovsdb_row *port =
                ovsdb_table_find(pt, &ports->keys[i].uuid);
            const struct ovsdb_datum *ifs = port
                ? ovsdb_row_get(port, "interfaces") : NULL;
            for (size_t k = 0; ifs && k < ifs->n; k++) {
                const struct ovsdb_row *iface =
                    ovsdb_table_find(it, &ifs->keys[k].uuid);
                if (iface) {
                    want_add(l, port, iface, switchd_db_str(br, "name"));
                }
            }
        }
    }
}

static int
compare_wants(const void *a_, const void *b_)
{
    const struct want *a = a_, *b = b_;

    return strcmp(a->name, b->name);
}

static void
want_list_destroy(struct want_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->w[i].config);
    }
    free(l->w);
}

void
switchd_db_port_free(struct switchd_db_port *p)
{
    if (p) {
        free(p->name);
        free(p->bridge);
        free(p->config);
        free(p->error);
        free(p->vlan);
        free(p);
    }
}

/* Detaches a port from the slow path, the main loop and the datapath, in
 * that order (so nothing forwards to it while it goes). */
static void
port_detach(struct switchd *sd, struct switchd_db_port *p)
{
    uint32_t dp_port;

    if (!p->attached) {
        return;
    }
    p->attached = false;
    if (ofproto_del_port(sd->ofp, p->name, &dp_port)) {
        dp_port = p->dp_port;
    }
    struct port *port = dpif_port_get(sd->dp, dp_port);
    if (port) {
        switchd_unwatch_port(sd, port);
    }
    int err = dpif_port_del(sd->dp, dp_port);
    if (err) {
        RSW_LOG(RSW_LOG_ERR, "removing port %s: %s", p->name, strerror(-err));
    } else {
        RSW_LOG(RSW_LOG_INFO, "removed port %s from %s", p->name, p->bridge);
    }
}

static void
set_error(struct switchd_db_port *p, const char *msg)
{
    free(p->error);
    p->error = msg ? ovsdb_xstrdup(msg) : NULL;
    if (msg) {
        RSW_LOG(RSW_LOG_WARN, "port %s: %s", p->name, msg);
    }
}

/* The options map as port arguments (pointing into the row). */
static struct port_arg *
port_args_of(const struct ovsdb_row *iface, unsigned *n)
{
    const struct ovsdb_datum *o = ovsdb_row_get(iface, "options");
    struct port_arg *args = ovsdb_xcalloc(o->n + 1, sizeof *args);

    for (size_t i = 0; i < o->n; i++) {
        args[i].key = o->keys[i].string;
        args[i].value = o->values[i].string;
    }
    *n = (unsigned) o->n;
    return args;
}

/* Adds the constructed 'port' to the datapath, the main loop and the
 * bridge.  On failure the port is gone and 'msg' says why. */
static int
port_plug(struct switchd *sd, struct switchd_db_port *p, struct port *port,
          uint32_t ofport_request, char *msg, size_t msg_size)
{
    uint32_t port_no;
    int err = dpif_port_add(sd->dp, port, &port_no);

    if (err) {
        port_destroy(port);
        snprintf(msg, msg_size, "datapath: %s", strerror(-err));
        return err;
    }
    err = switchd_watch_port(sd, port);
    if (!err) {
        err = ofproto_add_port(sd->ofp, p->bridge, p->name, port_no,
                            ofport_request, &p->ofport);
        if (err) {
            switchd_unwatch_port(sd, port);
        }
    }
    if (err) {
        snprintf(msg, msg_size, "%s", err == -EBUSY
                 ? "ofport_request already in use by another port"
                 : err == -EEXIST ? "a port of that name already exists"
                 : strerror(-err));
        /* -ENOMEM for the new snapshot at worst: the port then stays in
         * the datapath, unreachable (on no bridge). */
        (void) !dpif_port_del(sd->dp, port_no);
        return err;
    }
    p->dp_port = port_no;
    return 0;
}

/* The OpenFlow number to ask for: ofport_request, else the one the port
 * had before (sticky across restarts), else 0 (the lowest free one). */
static uint32_t
pick_ofport(const struct ovsdb_row *iface)
{
    int64_t req = switchd_db_int(iface, "ofport_request", 0);
    int64_t old = switchd_db_int(iface, "ofport", 0);

    if (req > 0) {
        return (uint32_t) req;
    }
    return old > 0 && old < OFPP_MAX ? (uint32_t) old : 0;
}

static void
port_attach(struct switchd_db *db, struct switchd_db_port *p,
            const struct ovsdb_row *iface)
{
    struct switchd *sd = db->sd;
    struct port_hooks hooks = dpif_port_hooks(sd->dp);
    unsigned n_args;
    struct port_arg *args = port_args_of(iface, &n_args);
    struct port_args pa = {.args = args, .n = n_args};
    uint32_t ofport = pick_ofport(iface);
    struct port *port;
    char msg[256] = "";
    int err;

    err = port_create(switchd_db_str(iface, "type"), p->name, &pa, &hooks,
                      &port, msg, sizeof msg);
    if (!err) {
        err = port_plug(sd, p, port, ofport, msg, sizeof msg);
        if (err == -EBUSY && switchd_db_int(iface, "ofport_request", 0) <= 0) {
            /* Its old number was taken meanwhile: any free one will do. */
            err = port_create(switchd_db_str(iface, "type"), p->name, &pa,
                              &hooks, &port, msg, sizeof msg);
            err = err ? err : port_plug(sd, p, port, 0, msg, sizeof msg);
        }
    }
    free(args);
    if (err) {
        set_error(p, msg[0] ? msg : strerror(-err));
        return;
    }
    set_error(p, NULL);
    p->attached = true;
    RSW_LOG(RSW_LOG_INFO, "added port %s (%s) to %s as ofport %u", p->name,
            switchd_db_str(iface, "type"), p->bridge, p->ofport);
}

static struct want *
find_want(struct want_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++) {
        if (!strcmp(l->w[i].name, name)) {
            return &l->w[i];
        }
    }
    return NULL;
}

/* Drops running ports the rows no longer ask for, or ask for otherwise;
 * marks the ones that stay as they are. */
static void
remove_stale_ports(struct switchd_db *db, struct want_list *wants)
{
    struct switchd_db_port **pp = &db->ports;

    while (*pp) {
        struct switchd_db_port *p = *pp;
        struct want *w = find_want(wants, p->name);
        if (w && p->attached && !strcmp(w->bridge, p->bridge)
            && !strcmp(w->config, p->config)) {
            w->done = true;
            p->uuid = *ovsdb_row_uuid(w->iface);
            pp = &p->next;
            continue;
        }
        port_detach(db->sd, p);
        *pp = p->next;
        switchd_db_port_free(p);
    }
}

struct bridge_names {
    char (*names)[OFPROTO_NAME_MAX];
    size_t n, cap;
};

static void
collect_bridge(void *aux, const char *br)
{
    struct bridge_names *b = aux;

    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 8;
        b->names = ovsdb_xrealloc(b->names, b->cap * sizeof *b->names);
    }
    snprintf(b->names[b->n++], OFPROTO_NAME_MAX, "%s", br);
}

/* Returns true if a bridge was added (it then has default MAC limits). */
static bool
sync_bridges(struct switchd_db *db)
{
    const struct ovsdb_table *bt = ovsdb_get_table(db->db, "Bridge");
    struct bridge_names running = {0};
    const struct ovsdb_row *row;
    struct ofproto *ofp = db->sd->ofp;
    bool added = false;

    /* Collected first: ofproto's visitors run under its lock. */
    ofproto_for_each_bridge(ofp, collect_bridge, &running);
    for (size_t i = 0; i < running.n; i++) {
        bool keep = false;
        OVSDB_TABLE_FOR_EACH (row, bt) {
            keep |= !strcmp(switchd_db_str(row, "name"), running.names[i]);
        }
        int err = keep ? 0 : ofproto_del_bridge(ofp, running.names[i]);
        if (err) {
            RSW_LOG(RSW_LOG_ERR, "removing bridge %s: %s", running.names[i],
                    strerror(-err));
        } else if (!keep) {
            RSW_LOG(RSW_LOG_INFO, "removed bridge %s", running.names[i]);
        }
    }
    free(running.names);
    OVSDB_TABLE_FOR_EACH (row, bt) {
        const char *name = switchd_db_str(row, "name");
        if (!ofproto_has_bridge(ofp, name)) {
            int err = ofproto_add_bridge(ofp, name);
            if (err) {
                RSW_LOG(RSW_LOG_ERR, "adding bridge %s: %s", name,
                        strerror(-err));
            } else {
                RSW_LOG(RSW_LOG_INFO, "added bridge %s", name);
                added = true;
            }
        }
    }
    return added;
}

/* ---- NORMAL's settings ---------------------------------------------- */

/* other_config:'key' of 'row' as a whole number in [1, max], 0 if absent;
 * a bad value is logged and ignored (the default applies). */
static unsigned
other_config_uint(const struct ovsdb_row *row, const char *key,
                  unsigned max)
{
    const struct ovsdb_datum *d = ovsdb_row_get(row, "other_config");

    for (size_t i = 0; d && i < d->n; i++) {
        if (strcmp(d->keys[i].string, key)) {
            continue;
        }
        const char *v = d->values[i].string;
        char *end;
        errno = 0;
        unsigned long n = strtoul(v, &end, 10);
        if (v[0] < '0' || v[0] > '9' || *end || errno || !n || n > max) {
            RSW_LOG_RL(RSW_LOG_WARN, "bridge %s: other_config:%s=\"%s\" "
                       "is not a whole number in 1..%u: using the default",
                       switchd_db_str(row, "name"), key, v, max);
            return 0;
        }
        return (unsigned) n;
    }
    return 0;
}

/* Bridge other_config mac-aging-time (seconds) and mac-table-size, as in
 * OVS; applied to every bridge when any of them changed or a bridge was
 * (re)created, so an unchanged configuration costs nothing. */
#define MAC_AGING_MAX 86400u
#define MAC_TABLE_SIZE_MAX (1u << 24)
struct mac_limits {
    const char *br;
    unsigned aging, size;
};

static void
apply_mac_limits(struct switchd_db *db, bool new_bridges)
{
    const struct ovsdb_table *bt = ovsdb_get_table(db->db, "Bridge");
    struct mac_limits *l = ovsdb_xcalloc(ovsdb_table_count(bt) + 1,
                                         sizeof *l);
    json_object *all = ovsdb_json_arr();
    const struct ovsdb_row *row;
    size_t n = 0;

    OVSDB_TABLE_FOR_EACH (row, bt) {
        json_object *one = ovsdb_json_arr();
        l[n] = (struct mac_limits) {
            .br = switchd_db_str(row, "name"),
            .aging = other_config_uint(row, "mac-aging-time", MAC_AGING_MAX),
            .size = other_config_uint(row, "mac-table-size",
                                      MAC_TABLE_SIZE_MAX),
        };
        ovsdb_json_push(one, ovsdb_json_str(l[n].br));
        ovsdb_json_push(one, ovsdb_json_int(l[n].aging));
        ovsdb_json_push(one, ovsdb_json_int(l[n].size));
        ovsdb_json_push(all, one);
        n++;
    }
    const char *now = ovsdb_json_plain(all, NULL);
    if (new_bridges || !db->mac_limits || strcmp(now, db->mac_limits)) {
        free(db->mac_limits);
        db->mac_limits = ovsdb_xstrdup(now);
        for (size_t i = 0; i < n; i++) {
            int err = ofproto_set_mac_limits(db->sd->ofp, l[i].br,
                                             l[i].aging, l[i].size);
            if (err) {
                RSW_LOG(RSW_LOG_ERR, "bridge %s: MAC limits: %s", l[i].br,
                        strerror(-err));
            }
        }
    }
    json_object_put(all);
    free(l);
}

/* The Port row's VLAN settings as one comparable string. */
static char *
port_vlan_config(const struct ovsdb_row *port)
{
    const char *cols[] = {"tag", "trunks", "vlan_mode"};
    const struct ovsdb_table_schema *ts = port->table->schema;
    json_object *a = ovsdb_json_arr();

    for (size_t i = 0; i < RSW_ARRAY_SIZE(cols); i++) {
        const struct ovsdb_column_schema *c =
            ovsdb_schema_find_column(ts, cols[i]);
        ovsdb_json_push(a, ovsdb_datum_to_json(&port->fields[c->index],
                                               &c->type));
    }
    char *s = ovsdb_xstrdup(ovsdb_json_plain(a, NULL));
    json_object_put(a);
    return s;
}

/* OVS's defaults (ovs-vswitchd.conf.db(5), Port vlan_mode): access when
 * a tag is set, else trunk; the schema bounds tag and trunks to 0..4095. */
static void
port_vlan_of(const struct ovsdb_row *port, struct ofproto_port_vlan *v,
             uint16_t *trunks)
{
    const struct ovsdb_datum *t = ovsdb_row_get(port, "trunks");
    const char *mode = switchd_db_str(port, "vlan_mode");

    v->tag = (int) switchd_db_int(port, "tag", -1);
    v->mode = v->tag >= 0 ? OFPROTO_VLAN_ACCESS : OFPROTO_VLAN_TRUNK;
    if (!strcmp(mode, "access")) {
        v->mode = OFPROTO_VLAN_ACCESS;
    } else if (!strcmp(mode, "trunk")) {
        v->mode = OFPROTO_VLAN_TRUNK;
    } else if (!strcmp(mode, "native-tagged")) {
        v->mode = OFPROTO_VLAN_NATIVE_TAGGED;
    } else if (!strcmp(mode, "native-untagged")) {
        v->mode = OFPROTO_VLAN_NATIVE_UNTAGGED;
    }
    v->n_trunks = 0;
    for (size_t i = 0; t && i < t->n && i < OFPROTO_MAX_VLAN_TRUNKS; i++) {
        trunks[v->n_trunks++] = (uint16_t) t->keys[i].integer;
    }
    v->trunks = trunks;
}

static void
apply_port_vlan(struct switchd_db *db, struct switchd_db_port *p,
                const struct ovsdb_row *port)
{
    uint16_t trunks[OFPROTO_MAX_VLAN_TRUNKS];
    struct ofproto_port_vlan v;
    char *now = port_vlan_config(port);
    int err;

    if (p->vlan && !strcmp(p->vlan, now)) {
        free(now);
        return;
    }
    free(p->vlan);
    p->vlan = now;
    port_vlan_of(port, &v, trunks);
    err = ofproto_set_port_vlan(db->sd->ofp, p->name, &v);
    if (err == -EINVAL) {
        /* Fail closed: the port keeps forwarding nothing through NORMAL
         * (rather than its old settings, or a trunk of every VLAN) until
         * the settings are fixed. */
        static const struct ofproto_port_vlan none = {
            .mode = OFPROTO_VLAN_DISABLED, .tag = -1,
        };
        set_error(p, v.mode != OFPROTO_VLAN_TRUNK && v.tag < 0
                  ? "vlan_mode access/native-* needs a tag; the port "
                    "carries no VLAN until it is fixed"
                  : "invalid VLAN settings (tag, trunks, vlan_mode); the "
                    "port carries no VLAN until they are fixed");
        err = ofproto_set_port_vlan(db->sd->ofp, p->name, &none);
        if (err) {
            RSW_LOG_RL(RSW_LOG_WARN, "port %s: cannot disable VLANs: %s",
                       p->name, strerror(-err));
        }
    } else if (err) {
        set_error(p, strerror(-err));
    } else {
        set_error(p, NULL);
    }
}

/* Every running port gets its Port row's VLAN settings (a port re-created
 * or new starts without: its 'vlan' is NULL). */
static void
apply_port_vlans(struct switchd_db *db, struct want_list *wants)
{
    for (size_t i = 0; i < wants->n; i++) {
        struct want *w = &wants->w[i];
        struct switchd_db_port *p = switchd_db_find_port(db, w->name);
        if (p && p->attached && !strcmp(p->bridge, w->bridge)) {
            apply_port_vlan(db, p, w->port);
        }
    }
}

/* Order of creation: requested numbers, then remembered ones, then the
 * rest, so an automatic number never takes one that is asked for. */
static int
ofport_rank(const struct ovsdb_row *iface)
{
    return switchd_db_int(iface, "ofport_request", 0) > 0 ? 0
           : switchd_db_int(iface, "ofport", 0) > 0 ? 1 : 2;
}

/* Creates the ports still missing. */
static void
add_missing_ports(struct switchd_db *db, struct want_list *wants)
{
    for (int rank = 0; rank < 3; rank++) {
        for (size_t i = 0; i < wants->n; i++) {
            struct want *w = &wants->w[i];
            if (w->done || ofport_rank(w->iface) != rank
                || switchd_db_find_port(db, w->name)) {
                continue;       /* running, other rank, or a duplicate */
            }
            struct switchd_db_port *p = ovsdb_xzalloc(sizeof *p);
            p->uuid = *ovsdb_row_uuid(w->iface);
            p->name = ovsdb_xstrdup(w->name);
            p->bridge = ovsdb_xstrdup(w->bridge);
            p->config = ovsdb_xstrdup(w->config);
            p->next = db->ports;
            db->ports = p;
            port_attach(db, p, w->iface);
        }
    }
}

void
switchd_db_reconcile(struct switchd_db *db)
{
    struct want_list wants = {0};

    collect_wants(db->db, &wants);
    /* Rows come in hash order: by name, automatic numbers are stable
     * ("add-port br0 a -- add-port br0 b" gives a 1 and b 2). */
    if (wants.n) {
        qsort(wants.w, wants.n, sizeof *wants.w, compare_wants);
    }
    remove_stale_ports(db, &wants);
    bool new_bridges = sync_bridges(db);
    apply_mac_limits(db, new_bridges);
    add_missing_ports(db, &wants);
    apply_port_vlans(db, &wants);
    want_list_destroy(&wants);
    /* The changes above invalidated the PMDs' megaflows (ofproto's
     * callback); once every PMD has passed a quiescent point no packet is
     * forwarded by the old configuration, and only then does write-back
     * tell waiting clients (cur_cfg) that it applies. */
    switchd_flows_sync(db->sd);
}
