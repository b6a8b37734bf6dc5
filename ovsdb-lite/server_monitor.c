/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 7047 §4.1.5 monitor, §4.1.6 update, §4.1.7 monitor_cancel. */
#include "server_private.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

/* RFC 7047 §4.1.5 <monitor-select>. */
enum {
    SEL_INITIAL = 1 << 0,
    SEL_INSERT = 1 << 1,
    SEL_DELETE = 1 << 2,
    SEL_MODIFY = 1 << 3,
    SEL_ALL = 0xf,
};

/* One <monitor-request>. */
struct mon_entry {
    bool *cols;                 /* per column of the table */
    unsigned select;            /* SEL_* */
};

struct mon_table {
    const struct ovsdb_table_schema *ts;
    struct mon_entry *entries;
    unsigned n_entries;
};

struct server_monitor {
    struct server_monitor *prev, *next;
    struct server_client *client;
    json_object *id;            /* <json-value> chosen by the client */
    struct mon_table *tables;
    unsigned n_tables;
};

void
server_monitors_init(struct server_monitor_set *set, struct ovsdb *db)
{
    const struct ovsdb_schema *schema = ovsdb_get_schema(db);
    memset(set, 0, sizeof *set);
    set->db = db;
    set->n_watch = ovsdb_xcalloc(schema->n_tables, sizeof *set->n_watch);
    set->all_cols = ovsdb_xcalloc(schema->n_tables, sizeof *set->all_cols);
    for (unsigned t = 0; t < schema->n_tables; t++) {
        unsigned n = schema->tables[t].n_columns;
        set->all_cols[t] = ovsdb_xcalloc(n, sizeof **set->all_cols);
        for (unsigned c = 0; c < n; c++) {
            /* §4.1.5: omitted "columns" means all but "_uuid". */
            set->all_cols[t][c] = c != OVSDB_COL_UUID;
        }
    }
    set->pending = ovsdb_json_obj();
}

static void
monitor_free(struct server_monitor *m)
{
    for (unsigned t = 0; t < m->n_tables; t++) {
        for (unsigned e = 0; e < m->tables[t].n_entries; e++) {
            free(m->tables[t].entries[e].cols);
        }
        free(m->tables[t].entries);
    }
    free(m->tables);
    json_object_put(m->id);
    free(m);
}

static void
monitor_unlink(struct server_monitor_set *set, struct server_monitor *m)
{
    *(m->prev ? &m->prev->next : &set->head) = m->next;
    *(m->next ? &m->next->prev : &set->tail) = m->prev;
    for (unsigned t = 0; t < m->n_tables; t++) {
        set->n_watch[m->tables[t].ts->index]--;
    }
    monitor_free(m);
}

void
server_monitors_destroy(struct server_monitor_set *set)
{
    const struct ovsdb_schema *schema = ovsdb_get_schema(set->db);
    while (set->head) {
        monitor_unlink(set, set->head);
    }
    for (unsigned t = 0; t < schema->n_tables; t++) {
        free(set->all_cols[t]);
    }
    free(set->all_cols);
    free(set->n_watch);
    json_object_put(set->pending);
}

void
server_monitors_note_change(struct server_monitor_set *set,
                            const struct ovsdb_table *table,
                            const struct ovsdb_row *old,
                            const struct ovsdb_row *new)
{
    const struct ovsdb_table_schema *ts = table->schema;
    const struct ovsdb_row *any = new ? new : old;
    char uuid[OVSDB_UUID_LEN + 1];
    json_object *tbl, *chg;

    if (!set->n_watch[ts->index]) {
        return;
    }
    if (!json_object_object_get_ex(set->pending, ts->name, &tbl)) {
        tbl = ovsdb_json_obj();
        ovsdb_json_add(set->pending, ts->name, tbl);
    }
    ovsdb_uuid_format(ovsdb_row_uuid(any), uuid);
    if (!json_object_object_get_ex(tbl, uuid, &chg)) {
        /* First change of this row since the last notification. */
        chg = ovsdb_json_obj();
        if (old) {
            ovsdb_json_add(chg, "old",
                           ovsdb_row_to_json(old, set->all_cols[ts->index]));
        }
        ovsdb_json_add(tbl, uuid, chg);
    }
    /* Several commits merged (host commits outside the server): keep the
     * first "old", take the latest "new". */
    json_object_object_del(chg, "new");
    if (new) {
        ovsdb_json_add(chg, "new",
                       ovsdb_row_to_json(new, set->all_cols[ts->index]));
    }
}

/* Columns of 'mt' selected for change kind 'sel', or false if none. */
static bool
union_cols(const struct mon_table *mt, unsigned sel, bool *cols)
{
    bool any = false;
    memset(cols, 0, mt->ts->n_columns * sizeof *cols);
    for (unsigned e = 0; e < mt->n_entries; e++) {
        if (mt->entries[e].select & sel) {
            for (unsigned c = 0; c < mt->ts->n_columns; c++) {
                cols[c] |= mt->entries[e].cols[c];
            }
            any = true;
        }
    }
    return any;
}

/* Columns of full row 'row' selected by 'cols'; with 'unless' non-NULL
 * only those whose value differs from it.  NULL if that is none. */
static json_object *
project(const struct ovsdb_table_schema *ts, json_object *row,
        const bool *cols, json_object *unless)
{
    json_object *out = ovsdb_json_obj(), *v, *u;
    size_t n = 0;
    for (unsigned c = 0; c < ts->n_columns; c++) {
        const char *name = ts->columns[c].name;
        if (!cols[c] || !json_object_object_get_ex(row, name, &v)
            || (unless && json_object_object_get_ex(unless, name, &u)
                && json_object_equal(u, v))) {
            continue;
        }
        ovsdb_json_add(out, name, json_object_get(v));
        n++;
    }
    if (!n && unless) {
        json_object_put(out);
        return NULL;
    }
    return out;
}

/* RFC 7047 §4.1.6 <row-update> for one pending change, or NULL when the
 * monitor does not want it. */
static json_object *
row_update(const struct mon_table *mt, json_object *chg, bool *cols)
{
    json_object *old = NULL, *new = NULL, *upd, *o, *n;
    json_object_object_get_ex(chg, "old", &old);
    json_object_object_get_ex(chg, "new", &new);
    if (!old && !new) {
        return NULL;            /* inserted and deleted in between */
    }
    unsigned sel = !old ? SEL_INSERT : !new ? SEL_DELETE : SEL_MODIFY;
    if (!union_cols(mt, sel, cols)) {
        return NULL;
    }
    upd = ovsdb_json_obj();
    if (sel == SEL_MODIFY) {
        /* "old": only the monitored columns that changed. */
        o = project(mt->ts, old, cols, new);
        if (!o) {
            json_object_put(upd);
            return NULL;
        }
        ovsdb_json_add(upd, "old", o);
        n = project(mt->ts, new, cols, NULL);
        ovsdb_json_add(upd, "new", n);
    } else {
        ovsdb_json_add(upd, sel == SEL_INSERT ? "new" : "old",
                       project(mt->ts, sel == SEL_INSERT ? new : old, cols,
                               NULL));
    }
    return upd;
}

static json_object *
monitor_updates(struct server_monitor_set *set, struct server_monitor *m)
{
    json_object *updates = NULL;
    for (unsigned t = 0; t < m->n_tables; t++) {
        const struct mon_table *mt = &m->tables[t];
        json_object *tbl, *out = NULL;
        if (!json_object_object_get_ex(set->pending, mt->ts->name, &tbl)) {
            continue;
        }
        bool *cols = ovsdb_xcalloc(mt->ts->n_columns, sizeof *cols);
        json_object_object_foreach (tbl, uuid, chg) {
            json_object *upd = row_update(mt, chg, cols);
            if (upd) {
                out = out ? out : ovsdb_json_obj();
                ovsdb_json_add(out, uuid, upd);
            }
        }
        free(cols);
        if (out) {
            updates = updates ? updates : ovsdb_json_obj();
            ovsdb_json_add(updates, mt->ts->name, out);
        }
    }
    return updates;
}

void
server_monitors_flush(struct server_monitor_set *set, server_send_fn *send,
                      uint64_t *n_sent)
{
    if (!json_object_object_length(set->pending)) {
        return;
    }
    for (struct server_monitor *m = set->head; m; m = m->next) {
        if (!server_client_alive(m->client)) {
            continue;
        }
        json_object *updates = monitor_updates(set, m);
        if (updates) {
            json_object *params = ovsdb_json_arr();
            ovsdb_json_push(params, json_object_get(m->id));
            ovsdb_json_push(params, updates);
            send(m->client, jsonrpc_create_notify("update", params));
            (*n_sent)++;
        }
    }
    json_object_put(set->pending);
    set->pending = ovsdb_json_obj();
}

/* ---- Creating monitors. ---- */

static int mon_error(json_object **result, const char *fmt, ...)
    RSW_PRINTF(2, 3);

static int
mon_error(json_object **result, const char *fmt, ...)
{
    char details[512];
    va_list args;
    va_start(args, fmt);
    vsnprintf(details, sizeof details, fmt, args);
    va_end(args);
    *result = jsonrpc_error_obj(OVSDB_E_SYNTAX, "%s", details);
    return -EINVAL;
}

static int
parse_columns(const struct ovsdb_table_schema *ts, json_object *cj,
              bool *cols, json_object **result)
{
    if (!cj) {
        for (unsigned c = 0; c < ts->n_columns; c++) {
            cols[c] = c != OVSDB_COL_UUID;
        }
        return 0;
    }
    if (!json_object_is_type(cj, json_type_array)) {
        return mon_error(result, "monitor of table %s: \"columns\" must be "
                         "an array of column names", ts->name);
    }
    for (size_t i = 0; i < ovsdb_json_len(cj); i++) {
        json_object *nj = ovsdb_json_idx(cj, i);
        const struct ovsdb_column_schema *col = NULL;
        if (json_object_is_type(nj, json_type_string)) {
            col = ovsdb_schema_find_column(ts, json_object_get_string(nj));
        }
        if (!col) {
            return mon_error(result, "unknown column %s in table %s",
                             nj ? ovsdb_json_plain(nj, NULL) : "null",
                             ts->name);
        }
        cols[col->index] = true;
    }
    return 0;
}

static int
parse_select(const struct ovsdb_table_schema *ts, json_object *sj,
             unsigned *select, json_object **result)
{
    static const char *const names[] = { "initial", "insert", "delete",
                                         "modify" };
    *select = SEL_ALL;
    if (!sj) {
        return 0;
    }
    if (!json_object_is_type(sj, json_type_object)) {
        return mon_error(result, "monitor of table %s: \"select\" must be "
                         "an object", ts->name);
    }
    json_object_object_foreach (sj, key, val) {
        unsigned bit = 0;
        for (unsigned i = 0; i < RSW_ARRAY_SIZE(names); i++) {
            bit = strcmp(key, names[i]) ? bit : 1u << i;
        }
        if (!bit || !json_object_is_type(val, json_type_boolean)) {
            return mon_error(result, "bad \"select\" member %s (want "
                             "initial/insert/delete/modify: boolean)", key);
        }
        *select = json_object_get_boolean(val) ? *select | bit
                                               : *select & ~bit;
    }
    return 0;
}

static int
parse_entry(const struct ovsdb_table_schema *ts, json_object *rj,
            struct mon_entry *e, json_object **result)
{
    json_object *cj = NULL, *sj = NULL;
    if (!json_object_is_type(rj, json_type_object)) {
        return mon_error(result, "monitor request for table %s is not an "
                         "object", ts->name);
    }
    json_object_object_foreach (rj, key, val) {
        (void) val;
        if (strcmp(key, "columns") && strcmp(key, "select")) {
            return mon_error(result, "unknown monitor request member %s",
                             key);
        }
    }
    json_object_object_get_ex(rj, "columns", &cj);
    json_object_object_get_ex(rj, "select", &sj);
    e->cols = ovsdb_xcalloc(ts->n_columns, sizeof *e->cols);
    int error = parse_columns(ts, cj, e->cols, result);
    return error ? error : parse_select(ts, sj, &e->select, result);
}

/* One table's <monitor-request> or array of them; a column may appear in
 * only one of them (as in OVS). */
static int
parse_table(struct mon_table *mt, json_object *rj, json_object **result)
{
    bool is_arr = json_object_is_type(rj, json_type_array);
    size_t n = is_arr ? ovsdb_json_len(rj) : 1;
    bool *seen = ovsdb_xcalloc(mt->ts->n_columns, sizeof *seen);
    int error = 0;

    mt->entries = ovsdb_xcalloc(n ? n : 1, sizeof *mt->entries);
    for (size_t i = 0; !error && i < n; i++) {
        struct mon_entry *e = &mt->entries[mt->n_entries++];
        error = parse_entry(mt->ts, is_arr ? ovsdb_json_idx(rj, i) : rj, e,
                            result);
        for (unsigned c = 0; !error && c < mt->ts->n_columns; c++) {
            if (e->cols[c] && seen[c]) {
                error = mon_error(result, "column %s mentioned in more than "
                                  "one monitor request",
                                  mt->ts->columns[c].name);
            }
            seen[c] |= e->cols[c];
        }
    }
    free(seen);
    return error;
}

static int
parse_requests(struct server_monitor *m, const struct ovsdb_schema *schema,
               json_object *reqs, json_object **result)
{
    if (!json_object_is_type(reqs, json_type_object)) {
        return mon_error(result, "<monitor-requests> must be an object "
                         "mapping table names to requests");
    }
    m->tables = ovsdb_xcalloc(json_object_object_length(reqs) + 1,
                              sizeof *m->tables);
    json_object_object_foreach (reqs, name, rj) {
        const struct ovsdb_table_schema *ts = ovsdb_schema_find_table(schema,
                                                                      name);
        if (!ts) {
            return mon_error(result, "unknown table %s", name);
        }
        struct mon_table *mt = &m->tables[m->n_tables++];
        mt->ts = ts;
        int error = parse_table(mt, rj, result);
        if (error) {
            return error;
        }
    }
    return 0;
}

/* §4.1.5 reply: the rows with "initial" in their select, as "new". */
static json_object *
initial_contents(struct server_monitor_set *set, struct server_monitor *m)
{
    json_object *updates = ovsdb_json_obj();
    for (unsigned t = 0; t < m->n_tables; t++) {
        const struct mon_table *mt = &m->tables[t];
        const struct ovsdb_table *table = ovsdb_get_table(set->db,
                                                          mt->ts->name);
        const struct ovsdb_row *row;
        bool *cols = ovsdb_xcalloc(mt->ts->n_columns, sizeof *cols);
        json_object *out = NULL;
        if (union_cols(mt, SEL_INITIAL, cols)) {
            OVSDB_TABLE_FOR_EACH (row, table) {
                char uuid[OVSDB_UUID_LEN + 1];
                json_object *upd = ovsdb_json_obj();
                ovsdb_json_add(upd, "new", ovsdb_row_to_json(row, cols));
                ovsdb_uuid_format(ovsdb_row_uuid(row), uuid);
                out = out ? out : ovsdb_json_obj();
                ovsdb_json_add(out, uuid, upd);
            }
        }
        free(cols);
        if (out) {
            ovsdb_json_add(updates, mt->ts->name, out);
        }
    }
    return updates;
}

static struct server_monitor *
find_monitor(struct server_monitor_set *set, struct server_client *client,
             json_object *id)
{
    for (struct server_monitor *m = set->head; m; m = m->next) {
        if (m->client == client && json_object_equal(m->id, id)) {
            return m;
        }
    }
    return NULL;
}

int
server_monitor_create(struct server_monitor_set *set,
                      struct server_client *client, json_object *params,
                      json_object **result)
{
    const struct ovsdb_schema *schema = ovsdb_get_schema(set->db);
    json_object *db = ovsdb_json_idx(params, 0);
    json_object *id = ovsdb_json_idx(params, 1);

    if (ovsdb_json_len(params) != 3) {
        return mon_error(result, "monitor params must be [<db-name>, "
                         "<json-value>, <monitor-requests>]");
    }
    if (!json_object_is_type(db, json_type_string)
        || strcmp(json_object_get_string(db), schema->name)) {
        *result = jsonrpc_error_obj(OVSDB_E_UNKNOWN_DB, "%s",
                                    ovsdb_json_plain(db, NULL));
        return -EINVAL;
    }
    if (find_monitor(set, client, id)) {
        return mon_error(result, "duplicate monitor ID %s",
                         ovsdb_json_plain(id, NULL));
    }
    struct server_monitor *m = ovsdb_xzalloc(sizeof *m);
    m->client = client;
    m->id = json_object_get(id);
    int error = parse_requests(m, schema, ovsdb_json_idx(params, 2), result);
    if (error) {
        monitor_free(m);
        return error;
    }
    m->prev = set->tail;
    *(set->tail ? &set->tail->next : &set->head) = m;
    set->tail = m;
    for (unsigned t = 0; t < m->n_tables; t++) {
        set->n_watch[m->tables[t].ts->index]++;
    }
    *result = initial_contents(set, m);
    return 0;
}

int
server_monitor_cancel(struct server_monitor_set *set,
                      struct server_client *client, json_object *id)
{
    struct server_monitor *m = find_monitor(set, client, id);
    if (!m) {
        return -ENOENT;
    }
    monitor_unlink(set, m);
    return 0;
}

void
server_monitors_drop_client(struct server_monitor_set *set,
                            struct server_client *client)
{
    struct server_monitor *m = set->head;
    while (m) {
        struct server_monitor *next = m->next;
        if (m->client == client) {
            monitor_unlink(set, m);
        }
        m = next;
    }
}
