/* SPDX-License-Identifier: Apache-2.0 */
/* Reconciliation: the running bridges and ports follow the Bridge, Port
 * and Interface rows (see switchd_db.h).  Control thread only. */
#include "switchd_db_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/dpif.h"
#include "datapath/l2br.h"
#include "datapath/port.h"
#include "ovsdb-lite/util.h"
#include "switchd.h"
#include "vhost/vlog.h"

/* One Interface the rows ask for. */
struct want {
    const struct ovsdb_row *iface;
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
want_add(struct want_list *l, const struct ovsdb_row *iface,
         const char *bridge)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->w = ovsdb_xrealloc(l->w, l->cap * sizeof *l->w);
    }
    l->w[l->n++] = (struct want) {
        .iface = iface,
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
                    want_add(l, iface, switchd_db_str(br, "name"));
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
    if (l2br_del_port(sd->l2, p->name, &dp_port)) {
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
        err = l2br_add_port(sd->l2, p->bridge, p->name, port_no,
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
    return old > 0 && old <= PORT_RULES_MAX_OFPORT ? (uint32_t) old : 0;
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
    char (*names)[L2BR_NAME_MAX];
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
    snprintf(b->names[b->n++], L2BR_NAME_MAX, "%s", br);
}

static void
sync_bridges(struct switchd_db *db)
{
    const struct ovsdb_table *bt = ovsdb_get_table(db->db, "Bridge");
    struct bridge_names running = {0};
    const struct ovsdb_row *row;
    struct l2br *l2 = db->sd->l2;

    /* Collected first: l2br's visitors run under its lock. */
    l2br_for_each_bridge(l2, collect_bridge, &running);
    for (size_t i = 0; i < running.n; i++) {
        bool keep = false;
        OVSDB_TABLE_FOR_EACH (row, bt) {
            keep |= !strcmp(switchd_db_str(row, "name"), running.names[i]);
        }
        int err = keep ? 0 : l2br_del_bridge(l2, running.names[i]);
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
        if (!l2br_has_bridge(l2, name)) {
            int err = l2br_add_bridge(l2, name);
            if (err) {
                RSW_LOG(RSW_LOG_ERR, "adding bridge %s: %s", name,
                        strerror(-err));
            } else {
                RSW_LOG(RSW_LOG_INFO, "added bridge %s", name);
            }
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
    sync_bridges(db);
    add_missing_ports(db, &wants);
    want_list_destroy(&wants);
}
