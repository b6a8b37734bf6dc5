/* SPDX-License-Identifier: Apache-2.0 */
/* The database handle: log + in-memory image + transactions. */
#include "ovsdb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"
#include "vhost/vlog.h"

struct ovsdb {
    struct ovsdb_schema *schema;
    struct ovsdb_db *db;
    struct ovsdb_log *log;
    size_t compact_min_records;
    uint64_t compact_min_bytes;
    ovsdb_txn_change_cb *change_cb;
    void *change_aux;
};

static struct ovsdb *
handle_new(struct ovsdb_schema *schema)
{
    struct ovsdb *h = ovsdb_xzalloc(sizeof *h);
    h->schema = schema;
    h->db = ovsdb_db_create(schema);
    h->compact_min_records = 1000;
    h->compact_min_bytes = 10 << 20;
    return h;
}

/* Log replay: record 0 must be our schema, record 1 the snapshot, the
 * rest commit records. */
static int
replay_record(size_t index, json_object *rec, void *h_,
              struct ovsdb_error *err)
{
    struct ovsdb *h = h_;
    if (index == 0) {
        struct ovsdb_schema *s;
        int error = ovsdb_schema_from_json(rec, &s, err);
        if (error) {
            return error;
        }
        if (!ovsdb_schema_equal(s, h->schema)) {
            ovsdb_error_set(err, -EMEDIUMTYPE, OVSDB_E_SYNTAX, "file holds "
                            "schema %s %s, expected %s %s%s", s->name,
                            s->version, h->schema->name, h->schema->version,
                            strcmp(s->version, h->schema->version)
                            ? "" : " (same version, different content)");
            ovsdb_schema_destroy(s);
            return -EMEDIUMTYPE;
        }
        ovsdb_schema_destroy(s);
        return 0;
    }
    json_object *flag;
    if (index == 1 && (!json_object_object_get_ex(rec, "_snapshot", &flag)
                       || !json_object_get_boolean(flag))) {
        return ovsdb_error_set(err, -EPROTO, OVSDB_E_SYNTAX, "second record "
                               "is not a snapshot");
    }
    return ovsdb_db_apply_record(h->db, rec, err);
}

static json_object *
snapshot_json(const struct ovsdb_db *db)
{
    json_object *snap = ovsdb_db_to_json(db);
    ovsdb_json_add(snap, "_snapshot", json_object_new_boolean(1));
    return snap;
}

/* A new database holds one row in each singleton root table. */
static int
create_initial_rows(struct ovsdb *h)
{
    json_object *params = ovsdb_json_arr(), *results = NULL;
    ovsdb_json_push(params, ovsdb_json_str(h->schema->name));
    for (unsigned i = 0; i < h->schema->n_tables; i++) {
        const struct ovsdb_table_schema *ts = &h->schema->tables[i];
        if (ts->is_root && ts->max_rows == 1) {
            json_object *op = ovsdb_json_obj();
            ovsdb_json_add(op, "op", ovsdb_json_str("insert"));
            ovsdb_json_add(op, "table", ovsdb_json_str(ts->name));
            ovsdb_json_push(params, op);
        }
    }
    int error = ovsdb_txn_run(h->db, params, &results);
    if (error) {
        rsw_log(RSW_LOG_ERR, "ovsdb-lite: initial rows: %s",
                ovsdb_json_plain(results, NULL));
    }
    json_object_put(results);
    json_object_put(params);
    return error;
}

static int
create_db(const char *path, struct ovsdb *h, struct ovsdb_log_report *rep)
{
    struct ovsdb_error err = { 0 };
    int error = create_initial_rows(h);
    if (!error) {
        json_object *snap = snapshot_json(h->db);
        error = ovsdb_log_create(path, h->schema->json, snap, &h->log, &err);
        json_object_put(snap);
        if (error) {
            snprintf(rep->error, sizeof rep->error, "%s", err.details);
        }
    }
    return error;
}

int
ovsdb_open(const char *path, const struct ovsdb_schema *schema,
           bool create, struct ovsdb **hp, struct ovsdb_log_report *rep_)
{
    struct ovsdb_log_report scratch, *rep = rep_ ? rep_ : &scratch;
    struct ovsdb_schema *copy;
    struct ovsdb_error err = { 0 };
    struct ovsdb *h;
    int error;

    *hp = NULL;
    memset(rep, 0, sizeof *rep);
    error = ovsdb_schema_from_json(schema->json, &copy, &err);
    if (error) {
        snprintf(rep->error, sizeof rep->error, "%s", err.details);
        return error;
    }
    h = handle_new(copy);
    error = ovsdb_log_open(path, replay_record, h, &h->log, rep);
    if (error == -ENOENT && create) {
        ovsdb_db_destroy(h->db);
        h->db = ovsdb_db_create(h->schema);
        memset(rep, 0, sizeof *rep);
        error = create_db(path, h, rep);
    }
    if (error) {
        rsw_log(RSW_LOG_ERR, "ovsdb-lite: %s", rep->error);
        ovsdb_close(h);
        return error;
    }
    ovsdb_db_count_refs(h->db);
    *hp = h;
    return 0;
}

void
ovsdb_close(struct ovsdb *h)
{
    if (!h) {
        return;
    }
    ovsdb_log_close(h->log);
    ovsdb_db_destroy(h->db);
    ovsdb_schema_destroy(h->schema);
    free(h);
}

static void
maybe_compact(struct ovsdb *h)
{
    if ((!h->compact_min_records && !h->compact_min_bytes)
        || ovsdb_log_n_records(h->log) < h->compact_min_records
        || ovsdb_log_size(h->log) < h->compact_min_bytes) {
        return;
    }
    int error = ovsdb_compact(h);
    if (error) {
        rsw_log(RSW_LOG_WARN, "ovsdb-lite: automatic compaction failed: %s",
                strerror(-error));
    }
}

/* Appends the commit record, then publishes: the change becomes visible
 * only once it is in the log (RFC 7047 §4.1.3 durability).  With
 * '*sync_owed' non-NULL a durable record is only written, and the caller
 * owes an ovsdb_sync() before telling anyone of the commit. */
static int
commit_to_log(struct ovsdb *h, struct ovsdb_txn *txn, bool durable,
              bool *sync_owed, json_object *results)
{
    json_object *rec = ovsdb_txn_record(txn);
    int error = 0;
    durable = durable || ovsdb_txn_wants_durable(txn);
    if (rec) {
        error = sync_owed ? ovsdb_log_write(h->log, rec)
                          : ovsdb_log_append(h->log, rec, durable);
        json_object_put(rec);
    }
    if (error) {
        struct ovsdb_error err = { 0 };
        ovsdb_error_set(&err, error, OVSDB_E_IO, "writing the log: %s",
                        strerror(-error));
        ovsdb_json_push(results, ovsdb_error_to_json(&err));
        return error;
    }
    if (sync_owed && durable && ovsdb_log_needs_sync(h->log)) {
        *sync_owed = true;
    }
    ovsdb_txn_commit(txn, h->change_cb, h->change_aux);
    if (rec) {
        maybe_compact(h);
    }
    return 0;
}

static int
transact(struct ovsdb *h, json_object *params, bool durable, int64_t elapsed,
         bool *sync_owed, json_object **resultp)
{
    struct ovsdb_txn *txn = ovsdb_txn_create(h->db);
    json_object *results = NULL;
    int error = ovsdb_txn_execute(txn, params, elapsed, &results);
    if (!error) {
        error = commit_to_log(h, txn, durable, sync_owed, results);
    }
    ovsdb_txn_destroy(txn);
    *resultp = results;
    return error;
}

int
ovsdb_transact_ex(struct ovsdb *h, json_object *params, bool durable,
                  int64_t elapsed, json_object **resultp)
{
    return transact(h, params, durable, elapsed, NULL, resultp);
}

int
ovsdb_transact(struct ovsdb *h, json_object *params, bool durable,
               json_object **resultp)
{
    return transact(h, params, durable, OVSDB_WAIT_NOW, NULL, resultp);
}

int
ovsdb_transact_deferred(struct ovsdb *h, json_object *params, bool durable,
                        int64_t elapsed, bool *sync_owed,
                        json_object **resultp)
{
    return transact(h, params, durable, elapsed, sync_owed, resultp);
}

int
ovsdb_sync(struct ovsdb *h)
{
    int error = ovsdb_log_sync(h->log);
    if (error) {
        rsw_log(RSW_LOG_ERR, "ovsdb-lite: fdatasync of the log failed: %s; "
                "the database refuses further writes", strerror(-error));
    }
    return error;
}

int
ovsdb_compact(struct ovsdb *h)
{
    json_object *snap = snapshot_json(h->db);
    int error = ovsdb_log_replace(h->log, h->schema->json, snap);
    json_object_put(snap);
    if (error) {
        rsw_log(RSW_LOG_WARN, "ovsdb-lite: compaction: %s",
                strerror(-error));
    }
    return error;
}

void
ovsdb_set_compaction(struct ovsdb *h, size_t min_records, uint64_t min_bytes)
{
    h->compact_min_records = min_records;
    h->compact_min_bytes = min_bytes;
}

void
ovsdb_set_change_cb(struct ovsdb *h, ovsdb_txn_change_cb *cb, void *aux)
{
    h->change_cb = cb;
    h->change_aux = aux;
}

const struct ovsdb_db *
ovsdb_get_db(const struct ovsdb *h)
{
    return h->db;
}

const struct ovsdb_schema *
ovsdb_get_schema(const struct ovsdb *h)
{
    return h->schema;
}

const struct ovsdb_table *
ovsdb_get_table(const struct ovsdb *h, const char *name)
{
    return ovsdb_db_get_table(h->db, name);
}

const struct ovsdb_log *
ovsdb_get_log(const struct ovsdb *h)
{
    return h->log;
}
