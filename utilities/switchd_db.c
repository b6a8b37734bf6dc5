/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-switchd's database: opening it, serving it (with the runtime
 * methods) on the control socket, and writing the switch's state back
 * (see switchd_db.h). */
#include "switchd_db_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datapath/dpif.h"
#include "datapath/port.h"
#include "ovsdb-lite/util.h"
#include "switchd.h"
#include "vhost/vlog.h"

/* Root columns the running switch cannot apply (read at start only). */
static const char *const restart_columns[] = {
    "pmd_cores", "eal_args", "socket_mem", "hugepage_size", "hugepage_count",
    "other_config",
};

static const struct ovsdb_row *
root_row(const struct switchd_db *db)
{
    return ovsdb_table_first(ovsdb_get_table(db->db, "Ringswitch"));
}

static char *
root_opt_string(const struct switchd_db *db, const char *column)
{
    const struct ovsdb_row *root = root_row(db);
    const char *s = root ? switchd_db_str(root, column) : "";
    return s[0] ? ovsdb_xstrdup(s) : NULL;
}

/* The restart-only root settings as one comparable string. */
static char *
restart_settings(const struct switchd_db *db)
{
    const struct ovsdb_row *root = root_row(db);
    json_object *o = ovsdb_json_obj();

    for (size_t i = 0; root && i < RSW_ARRAY_SIZE(restart_columns); i++) {
        const struct ovsdb_column_schema *c = ovsdb_schema_find_column(
            root->table->schema, restart_columns[i]);
        ovsdb_json_add(o, c->name, ovsdb_datum_to_json(&root->fields[c->index],
                                                       &c->type));
    }
    char *s = ovsdb_xstrdup(ovsdb_json_plain(o, NULL));
    json_object_put(o);
    return s;
}

static int
mkdir_for(const char *path)
{
    char *dir = ovsdb_xstrdup(path), *slash = strrchr(dir, '/');
    int err = 0;

    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0755) && errno != EEXIST) {
            err = -errno;
        }
    }
    free(dir);
    return err;
}

static int
open_error(int err, const char *path, const struct ovsdb_log_report *rep,
           char *msg, size_t msg_size)
{
    if (err == -EBUSY) {
        snprintf(msg, msg_size, "database %s is in use by another process "
                 "(locked)", path);
    } else {
        snprintf(msg, msg_size, "cannot use database %s (left untouched): %s",
                 path, rep->error[0] ? rep->error : strerror(-err));
    }
    return err;
}

static int
open_db(const char *path, struct ovsdb **odb, char *msg, size_t msg_size)
{
    struct ovsdb_schema *schema;
    struct ovsdb_error serr = {0};
    struct ovsdb_log_report rep;
    int err = ovsdb_schema_rsw(&schema, &serr);

    if (err) {
        snprintf(msg, msg_size, "built-in schema: %s", serr.details);
        return err;
    }
    err = mkdir_for(path);
    if (err) {
        snprintf(msg, msg_size, "cannot create the directory of %s: %s",
                 path, strerror(-err));
    } else if ((err = ovsdb_open(path, schema, true, odb, &rep))) {
        open_error(err, path, &rep, msg, msg_size);
    } else if (rep.bytes_truncated) {
        RSW_LOG(RSW_LOG_WARN, "database %s: recovered from an interrupted "
                "write: removed %llu bytes at the end (%s)", path,
                (unsigned long long) rep.bytes_truncated, rep.reason);
    }
    ovsdb_schema_destroy(schema);
    return err;
}

int
switchd_db_open(const char *path, struct switchd_db **out, char *msg,
                size_t msg_size)
{
    struct switchd_db *db = ovsdb_xzalloc(sizeof *db);
    int err = open_db(path, &db->db, msg, msg_size);

    if (err) {
        free(db);
        return err;
    }
    db->pmd_cores = root_opt_string(db, "pmd_cores");
    db->eal_args = root_opt_string(db, "eal_args");
    db->socket_mem = root_opt_string(db, "socket_mem");
    db->boot_settings = restart_settings(db);
    RSW_LOG(RSW_LOG_INFO, "database %s: %zu bridges, %zu interfaces", path,
            ovsdb_table_count(ovsdb_get_table(db->db, "Bridge")),
            ovsdb_table_count(ovsdb_get_table(db->db, "Interface")));
    *out = db;
    return 0;
}

void
switchd_db_destroy(struct switchd_db *db)
{
    if (!db) {
        return;
    }
    ovsdb_server_destroy(db->server);
    ovsdb_close(db->db);
    while (db->ports) {
        struct switchd_db_port *p = db->ports;
        db->ports = p->next;
        switchd_db_port_free(p);
    }
    free(db->pmd_cores);
    free(db->eal_args);
    free(db->socket_mem);
    free(db->boot_settings);
    free(db->warned_settings);
    free(db->mac_limits);
    free(db);
}

const char *
switchd_db_pmd_cores(const struct switchd_db *db)
{
    return db->pmd_cores;
}

const char *
switchd_db_eal_args(const struct switchd_db *db)
{
    return db->eal_args;
}

const char *
switchd_db_socket_mem(const struct switchd_db *db)
{
    return db->socket_mem;
}

/* ---- Write-back ---------------------------------------------------- */

/* ["set", []] or ["map", []] */
static json_object *
empty(const char *kind)
{
    json_object *a = ovsdb_json_arr();

    ovsdb_json_push(a, ovsdb_json_str(kind));
    ovsdb_json_push(a, ovsdb_json_arr());
    return a;
}

/* ["map", [[k, v]]] */
static json_object *
one_pair_map(const char *key, json_object *value)
{
    json_object *m = ovsdb_json_arr(), *pairs = ovsdb_json_arr();
    json_object *pair = ovsdb_json_arr();

    ovsdb_json_push(pair, ovsdb_json_str(key));
    ovsdb_json_push(pair, value);
    ovsdb_json_push(pairs, pair);
    ovsdb_json_push(m, ovsdb_json_str("map"));
    ovsdb_json_push(m, pairs);
    return m;
}

/* Adds 'value' to the update 'row' unless the column already holds it. */
static void
set_if_changed(json_object *row, const struct ovsdb_row *cur,
               const char *column, json_object *value)
{
    const struct ovsdb_column_schema *c =
        ovsdb_schema_find_column(cur->table->schema, column);
    json_object *now = ovsdb_datum_to_json(&cur->fields[c->index], &c->type);

    if (json_object_equal(now, value)) {
        json_object_put(value);
    } else {
        ovsdb_json_add(row, column, value);
    }
    json_object_put(now);
}

static json_object *
update_op(const char *table, const struct ovsdb_row *row, json_object *cols)
{
    json_object *op = ovsdb_json_obj(), *where = ovsdb_json_arr();
    json_object *cond = ovsdb_json_arr(), *uuid = ovsdb_json_arr();
    char buf[OVSDB_UUID_LEN + 1];

    ovsdb_uuid_format(ovsdb_row_uuid(row), buf);
    ovsdb_json_push(uuid, ovsdb_json_str("uuid"));
    ovsdb_json_push(uuid, ovsdb_json_str(buf));
    ovsdb_json_push(cond, ovsdb_json_str("_uuid"));
    ovsdb_json_push(cond, ovsdb_json_str("=="));
    ovsdb_json_push(cond, uuid);
    ovsdb_json_push(where, cond);
    ovsdb_json_add(op, "op", ovsdb_json_str("update"));
    ovsdb_json_add(op, "table", ovsdb_json_str(table));
    ovsdb_json_add(op, "where", where);
    ovsdb_json_add(op, "row", cols);
    return op;
}

/* The port classes have no link-state operation yet: a vhost-user port
 * is up once the frontend made its rings ready (virtio-net has no other
 * link signal here), an ethdev port when its status says "link up". */
static const char *
link_state_of(const char *status)
{
    return strstr(status, "rings ready") || strstr(status, "link up")
           ? "up" : "down";
}

static json_object *
stats_map(const struct port *port)
{
    json_object *m = ovsdb_json_arr(), *pairs = ovsdb_json_arr();
    struct port_stats s;
    char key[64];

    port_get_stats(port, &s);
    const struct { const char *k; uint64_t v; } base[] = {
        {"rx_bytes", s.rx_bytes}, {"rx_packets", s.rx_packets},
        {"tx_bytes", s.tx_bytes}, {"tx_packets", s.tx_packets},
    };
    for (size_t i = 0; i < RSW_ARRAY_SIZE(base) + PORT_DROP_N; i++) {
        json_object *pair = ovsdb_json_arr();
        bool is_base = i < RSW_ARRAY_SIZE(base);
        size_t r = i - RSW_ARRAY_SIZE(base);
        snprintf(key, sizeof key, "%s%s", is_base ? "" : "drop_",
                 is_base ? base[i].k : port_drop_reason_name((int) r));
        ovsdb_json_push(pair, ovsdb_json_str(key));
        ovsdb_json_push(pair, ovsdb_json_int((int64_t) (is_base ? base[i].v
                                                        : s.drops[r])));
        ovsdb_json_push(pairs, pair);
    }
    ovsdb_json_push(m, ovsdb_json_str("map"));
    ovsdb_json_push(m, pairs);
    return m;
}

/* The columns of one Interface row the switch owns. */
static void
iface_writeback(struct switchd_db *db, const struct ovsdb_row *iface,
                bool with_stats, json_object *ops)
{
    struct switchd_db_port *p =
        switchd_db_find_port(db, switchd_db_str(iface, "name"));
    struct port *port = p && p->attached
                        ? dpif_port_get(db->sd->dp, p->dp_port) : NULL;
    json_object *row = ovsdb_json_obj();
    char status[256] = "";

    if (port) {
        port->class->get_status(port, status, sizeof status);
        set_if_changed(row, iface, "ofport", ovsdb_json_int(p->ofport));
        set_if_changed(row, iface, "status",
                       one_pair_map("state", ovsdb_json_str(status)));
        set_if_changed(row, iface, "link_state",
                       ovsdb_json_str(link_state_of(status)));
        if (with_stats) {
            ovsdb_json_add(row, "statistics", stats_map(port));
        }
    } else {
        set_if_changed(row, iface, "status", empty("map"));
        set_if_changed(row, iface, "link_state", empty("set"));
    }
    set_if_changed(row, iface, "error", p && p->error
                   ? ovsdb_json_str(p->error) : empty("set"));
    if (json_object_object_length(row)) {
        ovsdb_json_push(ops, update_op("Interface", iface, row));
    } else {
        json_object_put(row);
    }
}

/* Commits 'params' as the switch's own, non-durable change: all of it
 * is rewritten after a restart anyway.  0 or the transaction's error. */
static int
commit_own(struct switchd_db *db, json_object *params)
{
    json_object *commit = ovsdb_json_obj(), *result = NULL;
    int err;

    ovsdb_json_add(commit, "op", ovsdb_json_str("commit"));
    ovsdb_json_add(commit, "durable", json_object_new_boolean(0));
    ovsdb_json_push(params, commit);
    db->writing = true;
    err = ovsdb_server_transact(db->server, params, false, &result);
    db->writing = false;
    if (err) {
        RSW_LOG_RL(RSW_LOG_ERR, "database write-back failed: %s",
                   ovsdb_json_plain(result, NULL));
    }
    json_object_put(result);
    return err;
}

/* cur_cfg = next_cfg, so clients waiting for this change go on. */
static json_object *
cur_cfg_op(const struct switchd_db *db)
{
    const struct ovsdb_row *root = root_row(db);
    json_object *row = ovsdb_json_obj();

    if (root) {
        set_if_changed(row, root, "cur_cfg", ovsdb_json_int(
                           switchd_db_int(root, "next_cfg", 0)));
    }
    if (!json_object_object_length(row)) {
        json_object_put(row);
        return NULL;
    }
    return update_op("Ringswitch", root, row);
}

static json_object *
new_params(const struct switchd_db *db)
{
    json_object *params = ovsdb_json_arr();

    ovsdb_json_push(params, ovsdb_json_str(ovsdb_get_schema(db->db)->name));
    return params;
}

/* Writes ofport/status/error (and statistics) of every Interface and,
 * after applying a change, cur_cfg = next_cfg, in one transaction.  Were
 * that refused, cur_cfg alone still goes out: a client must not wait
 * forever because of one bad status value. */
static void
write_back(struct switchd_db *db, bool with_stats, bool applied)
{
    const struct ovsdb_table *it = ovsdb_get_table(db->db, "Interface");
    const struct ovsdb_row *iface;
    json_object *params = new_params(db), *cfg = NULL;

    OVSDB_TABLE_FOR_EACH (iface, it) {
        iface_writeback(db, iface, with_stats, params);
    }
    if (applied && (cfg = cur_cfg_op(db))) {
        ovsdb_json_push(params, json_object_get(cfg));
    }
    if (ovsdb_json_len(params) > 1 && commit_own(db, params) && cfg) {
        json_object_put(params);
        params = new_params(db);
        ovsdb_json_push(params, json_object_get(cfg));
        (void) !commit_own(db, params);
    }
    json_object_put(cfg);
    json_object_put(params);
}

/* ---- Serving and reconciling --------------------------------------- */

static void
check_restart_settings(struct switchd_db *db)
{
    char *now = restart_settings(db);

    if (!strcmp(now, db->boot_settings)) {
        free(db->warned_settings);
        db->warned_settings = NULL;
    } else if (!db->warned_settings || strcmp(now, db->warned_settings)) {
        RSW_LOG(RSW_LOG_WARN, "root settings changed to %s: restart "
                "rsw-switchd to apply them (running with %s)", now,
                db->boot_settings);
        free(db->warned_settings);
        db->warned_settings = now;
        now = NULL;
    }
    free(now);
}

static void
apply_config(struct switchd_db *db)
{
    db->dirty = false;
    check_restart_settings(db);
    switchd_db_reconcile(db);
    write_back(db, false, true);
}

static void
change_cb(const struct ovsdb_table *table RSW_UNUSED,
          const struct ovsdb_row *old RSW_UNUSED,
          const struct ovsdb_row *new RSW_UNUSED, void *db_)
{
    struct switchd_db *db = db_;

    if (!db->writing) {
        db->dirty = true;
    }
}

/* Requests for methods RFC 7047 does not define: the switch's own. */
static bool
host_method(void *db_, const char *method, json_object *params,
            json_object **result, json_object **error)
{
    struct switchd_db *db = db_;
    json_object *res = NULL;
    char *msg = NULL;

    if (ctl_server_call(db->methods, db->n_methods, db->sd, method, params,
                        &res, &msg)) {
        if (error) {
            *error = ovsdb_json_str(msg ? msg : "failed");
        }
        json_object_put(res);
    } else if (result) {
        *result = res;
    } else {
        json_object_put(res);
    }
    free(msg);
    return true;
}

int
switchd_db_serve(struct switchd_db *db, struct switchd *sd,
                 const char *ctl_path, const struct ctl_method *methods,
                 unsigned n_methods)
{
    int err = ovsdb_server_create(db->db, NULL, &db->server);

    if (err) {
        return err;
    }
    db->sd = sd;
    db->methods = methods;
    db->n_methods = n_methods;
    ovsdb_server_set_change_cb(db->server, change_cb, db);
    ovsdb_server_set_host_methods(db->server, host_method, db);
    err = mkdir_for(ctl_path);
    err = err ? err : ovsdb_server_listen(db->server, ctl_path);
    if (err) {
        ovsdb_server_destroy(db->server);
        db->server = NULL;
        return err;
    }
    apply_config(db);
    return 0;
}

int
switchd_db_fd(const struct switchd_db *db)
{
    return ovsdb_server_get_fd(db->server);
}

void
switchd_db_run(struct switchd_db *db)
{
    int err = ovsdb_server_process(db->server, 0);

    if (err) {
        RSW_LOG_RL(RSW_LOG_ERR, "control socket: %s", strerror(-err));
    }
    if (db->dirty) {
        apply_config(db);
    }
}

void
switchd_db_tick(struct switchd_db *db)
{
    bool stats = ++db->ticks % SWITCHD_DB_STATS_INTERVAL == 0;

    write_back(db, stats, false);
}
