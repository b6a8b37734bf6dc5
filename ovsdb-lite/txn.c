/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 7047 §4.1.3 "transact" and the §5.2 operations, executed against a
 * private overlay of the committed database. */
#include "txn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cond.h"
#include "txn_private.h"
#include "util.h"

/* ---- The overlay ---- */

struct ovsdb_txn *
ovsdb_txn_create(struct ovsdb_db *db)
{
    struct ovsdb_txn *txn = ovsdb_xzalloc(sizeof *txn);
    txn->db = db;
    ovsdb_hmap_init(&txn->rows);
    txn->tail = &txn->head;
    txn->symtab = ovsdb_symtab_create();
    return txn;
}

void
ovsdb_txn_destroy(struct ovsdb_txn *txn)
{
    if (!txn) {
        return;
    }
    struct txn_row *r, *next;
    for (r = txn->head; r; r = next) {
        next = r->next;
        if (txn_row_changed(r)) {
            ovsdb_row_destroy(r->new);  /* private copy, never published */
        }
        free(r);
    }
    ovsdb_hmap_destroy(&txn->rows);
    ovsdb_symtab_destroy(txn->symtab);
    free(txn->comment);
    free(txn);
}

static uint32_t
txn_row_hash(const struct ovsdb_table *t, const struct ovsdb_uuid *uuid)
{
    return ovsdb_hash_add(ovsdb_uuid_hash(uuid), t->schema->index);
}

struct txn_row *
txn_row_find(const struct ovsdb_txn *txn, const struct ovsdb_table *t,
             const struct ovsdb_uuid *uuid)
{
    struct ovsdb_hmap_node *n;
    for (n = ovsdb_hmap_first_with_hash(&txn->rows, txn_row_hash(t, uuid));
         n; n = ovsdb_hmap_next_with_hash(n)) {
        struct txn_row *r = OVSDB_CONTAINER_OF(n, struct txn_row, node);
        if (r->table == t && ovsdb_uuid_equals(&r->uuid, uuid)) {
            return r;
        }
    }
    return NULL;
}

static struct txn_row *
txn_row_add(struct ovsdb_txn *txn, struct ovsdb_table *t,
            const struct ovsdb_uuid *uuid, struct ovsdb_row *old,
            struct ovsdb_row *new)
{
    struct txn_row *r = ovsdb_xzalloc(sizeof *r);
    r->table = t;
    r->uuid = *uuid;
    r->old = old;
    r->new = new;
    ovsdb_hmap_insert(&txn->rows, &r->node, txn_row_hash(t, uuid));
    *txn->tail = r;
    txn->tail = &r->next;
    return r;
}

const struct ovsdb_row *
txn_visible_row(const struct ovsdb_txn *txn, const struct ovsdb_table *t,
                const struct ovsdb_uuid *uuid)
{
    struct txn_row *r = txn_row_find(txn, t, uuid);
    return r ? r->new : ovsdb_table_find(t, uuid);
}

struct txn_row *
txn_row_track(struct ovsdb_txn *txn, struct ovsdb_table *t,
              struct ovsdb_row *committed)
{
    struct txn_row *r = txn_row_find(txn, t, ovsdb_row_uuid(committed));
    return r ? r : txn_row_add(txn, t, ovsdb_row_uuid(committed), committed,
                               committed);
}

struct ovsdb_row *
txn_row_for_write(struct ovsdb_txn *txn, struct ovsdb_table *t,
                  const struct ovsdb_uuid *uuid)
{
    struct txn_row *r = txn_row_find(txn, t, uuid);
    if (!r) {
        struct ovsdb_row *c = (struct ovsdb_row *) ovsdb_table_find(t, uuid);
        if (!c) {
            return NULL;
        }
        r = txn_row_add(txn, t, uuid, c, c);
    }
    if (r->new && r->new == r->old) {
        r->new = ovsdb_row_clone(r->old);
    }
    return r->new;
}

void
txn_row_delete(struct ovsdb_txn *txn, struct txn_row *r)
{
    (void) txn;
    if (txn_row_changed(r)) {
        ovsdb_row_destroy(r->new);
    }
    r->new = NULL;
}

/* UUIDs of the rows of 't' that satisfy 'cond', as this transaction sees
 * them.  Collected first because the caller then modifies the overlay. */
static size_t
txn_select(struct ovsdb_txn *txn, struct ovsdb_table *t,
           const struct ovsdb_condition *cond, struct ovsdb_uuid **uuidsp)
{
    const struct ovsdb_uuid *pin = ovsdb_condition_pinned_uuid(cond);
    struct ovsdb_uuid *uuids = NULL;
    size_t n = 0, cap = 0;
    const struct ovsdb_row *row;

    if (pin) {
        /* RFC 7047 §5.1 "_uuid": one lookup instead of a scan. */
        row = txn_visible_row(txn, t, pin);
        if (row && ovsdb_condition_evaluate(cond, row)) {
            uuids = ovsdb_xmemdup(pin, sizeof *pin);
            n = 1;
        }
        *uuidsp = uuids;
        return n;
    }
    OVSDB_TABLE_FOR_EACH (row, t) {
        if (txn_row_find(txn, t, ovsdb_row_uuid(row))) {
            continue;           /* seen below, in its transaction form */
        }
        if (ovsdb_condition_evaluate(cond, row)) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                uuids = ovsdb_xrealloc(uuids, cap * sizeof *uuids);
            }
            uuids[n++] = *ovsdb_row_uuid(row);
        }
    }
    for (struct txn_row *r = txn->head; r; r = r->next) {
        if (r->table == t && r->new && ovsdb_condition_evaluate(cond, r->new)) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                uuids = ovsdb_xrealloc(uuids, cap * sizeof *uuids);
            }
            uuids[n++] = r->uuid;
        }
    }
    *uuidsp = uuids;
    return n;
}

/* ---- Operation parsing helpers ---- */

static int
op_check_members(json_object *op, const char *const *allowed,
                 struct ovsdb_error *err)
{
    json_object_object_foreach(op, key, val) {
        const char *const *a = allowed;
        (void) val;
        while (*a && strcmp(*a, key)) {
            a++;
        }
        if (!*a && strcmp(key, "op")) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                                   "unknown member \"%.64s\" in operation",
                                   key);
        }
    }
    return 0;
}

static json_object *
op_member(json_object *op, const char *key, enum json_type type)
{
    json_object *v;
    if (!json_object_object_get_ex(op, key, &v)
        || !json_object_is_type(v, type)) {
        return NULL;
    }
    return v;
}

static int
op_missing(struct ovsdb_error *err, const char *key, const char *what)
{
    return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                           "operation needs \"%s\" (%s)", key, what);
}

static int
op_table(struct ovsdb_txn *txn, json_object *op, struct ovsdb_table **tp,
         struct ovsdb_error *err)
{
    json_object *tj = op_member(op, "table", json_type_string);
    if (!tj) {
        return op_missing(err, "table", "a table name");
    }
    *tp = ovsdb_db_get_table(txn->db, json_object_get_string(tj));
    if (!*tp) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "unknown table \"%.64s\"",
                               json_object_get_string(tj));
    }
    return 0;
}

static int
op_where(struct ovsdb_txn *txn, json_object *op, struct ovsdb_table *t,
         struct ovsdb_condition **condp, struct ovsdb_error *err)
{
    json_object *wj = op_member(op, "where", json_type_array);
    *condp = NULL;
    if (!wj) {
        return op_missing(err, "where", "an array of conditions");
    }
    return ovsdb_condition_from_json(t->schema, wj, txn->symtab, condp, err);
}

enum row_mode {
    ROW_INSERT,     /* any column but _uuid and _version */
    ROW_UPDATE,     /* mutable columns only (RFC 7047 §5.2.3) */
    ROW_WAIT,       /* any column: a pattern to compare (§5.2.6) */
};

/* Parses an RFC 7047 §5.1 <row> into 'row'. */
static int
row_set_from_json(struct ovsdb_txn *txn, struct ovsdb_row *row,
                  json_object *rj, enum row_mode mode,
                  struct ovsdb_error *err)
{
    bool updating = mode == ROW_UPDATE;
    const struct ovsdb_table_schema *ts = row->table->schema;
    json_object_object_foreach(rj, name, vj) {
        const struct ovsdb_column_schema *c =
            ovsdb_schema_find_column(ts, name);
        struct ovsdb_datum d;
        struct ovsdb_error sub = { 0 };
        if (!c) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX, "table %s "
                                   "has no column \"%.64s\"", ts->name,
                                   name);
        }
        if (mode != ROW_WAIT
            && (c->index <= OVSDB_COL_VERSION || (updating && !c->mutable_))) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_CONSTRAINT,
                                   "table %s column %s cannot be %s",
                                   ts->name, name, updating ? "updated"
                                   : "set");
        }
        if (ovsdb_datum_from_json(&d, &c->type, vj, txn->symtab, false,
                                  &sub)) {
            return ovsdb_error_set(err, -EINVAL, sub.tag, "table %s column "
                                   "%s: %s", ts->name, name, sub.details);
        }
        ovsdb_datum_swap(&d, &row->fields[c->index]);
        ovsdb_datum_destroy(&d, &c->type);
    }
    return 0;
}

static json_object *
count_result(size_t n)
{
    json_object *res = ovsdb_json_obj();
    ovsdb_json_add(res, "count", ovsdb_json_int(n));
    return res;
}

/* ---- Operations (RFC 7047 §5.2) ---- */

/* §5.2.1 insert: "table", "row", optional "uuid-name". */
static int
op_insert(struct ovsdb_txn *txn, json_object *op, json_object **resp,
          struct ovsdb_error *err)
{
    static const char *const allowed[] = { "table", "row", "uuid-name",
                                           NULL };
    json_object *rj, *nj, *res;
    struct ovsdb_table *t;
    struct ovsdb_row *row;
    struct ovsdb_uuid uuid;
    char buf[OVSDB_UUID_LEN + 1];
    int error = op_check_members(op, allowed, err);

    error = error ? error : op_table(txn, op, &t, err);
    if (error) {
        return error;
    }
    rj = op_member(op, "row", json_type_object);
    nj = op_member(op, "uuid-name", json_type_string);
    if (json_object_object_get_ex(op, "row", NULL) && !rj) {
        return op_missing(err, "row", "an object");
    }
    if (json_object_object_get_ex(op, "uuid-name", NULL) && !nj) {
        return op_missing(err, "uuid-name", "a string");
    }
    ovsdb_uuid_generate(&uuid);
    if (nj && ovsdb_symtab_define(txn->symtab, json_object_get_string(nj),
                                  &uuid)) {
        return ovsdb_error_set(err, -EEXIST, OVSDB_E_DUP_NAME,
                               "uuid-name \"%.64s\" is already used in this "
                               "transaction", json_object_get_string(nj));
    }
    row = ovsdb_row_create(t);
    ovsdb_row_set_uuid(row, &uuid);
    error = rj ? row_set_from_json(txn, row, rj, ROW_INSERT, err) : 0;
    if (error || txn_visible_row(txn, t, &uuid)) {
        ovsdb_row_destroy(row);
        return error ? error : ovsdb_error_set(err, -EEXIST,
                                               OVSDB_E_DUP_NAME,
                                               "UUID already exists");
    }
    txn_row_add(txn, t, &uuid, NULL, row);
    res = ovsdb_json_obj();
    ovsdb_uuid_format(&uuid, buf);
    json_object *uj = ovsdb_json_arr();
    ovsdb_json_push(uj, ovsdb_json_str("uuid"));
    ovsdb_json_push(uj, ovsdb_json_str(buf));
    ovsdb_json_add(res, "uuid", uj);
    *resp = res;
    return 0;
}

/* Optional "columns" member: which columns to report or compare. */
static int
op_columns(json_object *op, const struct ovsdb_table_schema *ts,
           bool required, bool **colsp, struct ovsdb_error *err)
{
    json_object *cj = op_member(op, "columns", json_type_array);
    *colsp = NULL;
    if (!cj) {
        bool present = json_object_object_get_ex(op, "columns", NULL);
        return present || required
               ? op_missing(err, "columns", "an array of column names") : 0;
    }
    bool *cols = ovsdb_xcalloc(ts->n_columns, sizeof *cols);
    for (size_t i = 0; i < ovsdb_json_len(cj); i++) {
        json_object *nj = ovsdb_json_idx(cj, i);
        const struct ovsdb_column_schema *c = NULL;
        if (json_object_is_type(nj, json_type_string)) {
            c = ovsdb_schema_find_column(ts, json_object_get_string(nj));
        }
        if (!c) {
            free(cols);
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX, "table %s: "
                                   "\"columns\" names an unknown column",
                                   ts->name);
        }
        cols[c->index] = true;
    }
    *colsp = cols;
    return 0;
}

/* §5.2.2 select: "table", "where", optional "columns". */
static int
op_select(struct ovsdb_txn *txn, json_object *op, json_object **resp,
          struct ovsdb_error *err)
{
    static const char *const allowed[] = { "table", "where", "columns",
                                           NULL };
    struct ovsdb_condition *cond = NULL;
    struct ovsdb_table *t = NULL;
    struct ovsdb_uuid *uuids = NULL;
    bool *cols = NULL;
    int error = op_check_members(op, allowed, err);

    error = error ? error : op_table(txn, op, &t, err);
    error = error ? error : op_where(txn, op, t, &cond, err);
    error = error ? error : op_columns(op, t->schema, false, &cols, err);
    if (!error) {
        size_t n = txn_select(txn, t, cond, &uuids);
        json_object *rows = ovsdb_json_arr();
        for (size_t i = 0; i < n; i++) {
            ovsdb_json_push(rows, ovsdb_row_to_json(
                                txn_visible_row(txn, t, &uuids[i]), cols));
        }
        *resp = ovsdb_json_obj();
        ovsdb_json_add(*resp, "rows", rows);
    }
    free(uuids);
    free(cols);
    ovsdb_condition_destroy(cond);
    return error;
}

/* §5.2.3 update: "table", "where", "row". */
static int
op_update(struct ovsdb_txn *txn, json_object *op, json_object **resp,
          struct ovsdb_error *err)
{
    static const char *const allowed[] = { "table", "where", "row", NULL };
    struct ovsdb_condition *cond = NULL;
    struct ovsdb_table *t = NULL;
    struct ovsdb_uuid *uuids = NULL;
    struct ovsdb_row *scratch = NULL;
    json_object *rj = op_member(op, "row", json_type_object);
    size_t n = 0;
    int error = op_check_members(op, allowed, err);

    error = error ? error : op_table(txn, op, &t, err);
    error = error ? error : (rj ? 0 : op_missing(err, "row", "an object"));
    if (!error) {
        /* Parse once against a scratch row so a bad value fails the
         * operation even when no row matches. */
        scratch = ovsdb_row_create(t);
        error = row_set_from_json(txn, scratch, rj, ROW_UPDATE, err);
    }
    error = error ? error : op_where(txn, op, t, &cond, err);
    if (!error) {
        n = txn_select(txn, t, cond, &uuids);
    }
    for (size_t i = 0; !error && i < n; i++) {
        struct ovsdb_row *row = txn_row_for_write(txn, t, &uuids[i]);
        error = row_set_from_json(txn, row, rj, ROW_UPDATE, err);
    }
    if (!error) {
        *resp = count_result(n);
    }
    ovsdb_row_destroy(scratch);
    free(uuids);
    ovsdb_condition_destroy(cond);
    return error;
}

/* §5.2.4 mutate: "table", "where", "mutations". */
static int
op_mutate(struct ovsdb_txn *txn, json_object *op, json_object **resp,
          struct ovsdb_error *err)
{
    static const char *const allowed[] = { "table", "where", "mutations",
                                           NULL };
    struct ovsdb_mutation_set *ms = NULL;
    struct ovsdb_condition *cond = NULL;
    struct ovsdb_table *t = NULL;
    struct ovsdb_uuid *uuids = NULL;
    json_object *mj = op_member(op, "mutations", json_type_array);
    size_t n = 0;
    int error = op_check_members(op, allowed, err);

    error = error ? error : op_table(txn, op, &t, err);
    error = error ? error : (mj ? 0 : op_missing(err, "mutations",
                                                 "an array"));
    error = error ? error : ovsdb_mutation_set_from_json(t->schema, mj,
                                                         txn->symtab, &ms,
                                                         err);
    error = error ? error : op_where(txn, op, t, &cond, err);
    if (!error) {
        n = txn_select(txn, t, cond, &uuids);
    }
    for (size_t i = 0; !error && i < n; i++) {
        struct ovsdb_row *row = txn_row_for_write(txn, t, &uuids[i]);
        error = ovsdb_mutation_set_apply(ms, row, err);
    }
    if (!error) {
        *resp = count_result(n);
    }
    free(uuids);
    ovsdb_condition_destroy(cond);
    ovsdb_mutation_set_destroy(ms);
    return error;
}

/* §5.2.5 delete: "table", "where". */
static int
op_delete(struct ovsdb_txn *txn, json_object *op, json_object **resp,
          struct ovsdb_error *err)
{
    static const char *const allowed[] = { "table", "where", NULL };
    struct ovsdb_condition *cond = NULL;
    struct ovsdb_table *t = NULL;
    struct ovsdb_uuid *uuids = NULL;
    size_t n = 0;
    int error = op_check_members(op, allowed, err);

    error = error ? error : op_table(txn, op, &t, err);
    error = error ? error : op_where(txn, op, t, &cond, err);
    if (!error) {
        n = txn_select(txn, t, cond, &uuids);
        for (size_t i = 0; i < n; i++) {
            struct txn_row *r = txn_row_find(txn, t, &uuids[i]);
            if (!r) {
                r = txn_row_track(txn, t, (struct ovsdb_row *)
                                  ovsdb_table_find(t, &uuids[i]));
            }
            txn_row_delete(txn, r);
        }
        *resp = count_result(n);
    }
    free(uuids);
    ovsdb_condition_destroy(cond);
    return error;
}

struct wait_args {
    struct ovsdb_table *t;
    struct ovsdb_condition *cond;
    bool *cols;
    struct ovsdb_row **rows;        /* expected rows (patterns) */
    size_t n_rows;
    bool until_eq;
    int64_t timeout;                /* INT64_MAX: none given (forever) */
};

static void
wait_args_destroy(struct wait_args *w)
{
    for (size_t i = 0; i < w->n_rows; i++) {
        ovsdb_row_destroy(w->rows[i]);
    }
    free(w->rows);
    free(w->cols);
    ovsdb_condition_destroy(w->cond);
}

static int
wait_parse_rows(struct ovsdb_txn *txn, struct wait_args *w, json_object *rj,
                struct ovsdb_error *err)
{
    size_t n = ovsdb_json_len(rj);
    w->rows = ovsdb_xcalloc(n, sizeof *w->rows);
    for (size_t i = 0; i < n; i++) {
        json_object *row = ovsdb_json_idx(rj, i);
        if (!json_object_is_type(row, json_type_object)) {
            return op_missing(err, "rows", "an array of row objects");
        }
        w->rows[w->n_rows] = ovsdb_row_create(w->t);
        w->n_rows++;
        int error = row_set_from_json(txn, w->rows[i], row, ROW_WAIT, err);
        if (error) {
            return error;
        }
    }
    return 0;
}

static int
wait_parse(struct ovsdb_txn *txn, json_object *op, struct wait_args *w,
           struct ovsdb_error *err)
{
    static const char *const allowed[] = { "timeout", "table", "where",
                                           "columns", "until", "rows", NULL };
    json_object *uj = op_member(op, "until", json_type_string);
    json_object *rj = op_member(op, "rows", json_type_array);
    json_object *tj = op_member(op, "timeout", json_type_int);
    int error = op_check_members(op, allowed, err);

    error = error ? error : op_table(txn, op, &w->t, err);
    error = error ? error : op_where(txn, op, w->t, &w->cond, err);
    error = error ? error : op_columns(op, w->t->schema, true, &w->cols, err);
    if (error) {
        return error;
    }
    if (!uj || (strcmp(json_object_get_string(uj), "==")
                && strcmp(json_object_get_string(uj), "!="))) {
        return op_missing(err, "until", "\"==\" or \"!=\"");
    }
    w->until_eq = !strcmp(json_object_get_string(uj), "==");
    if (json_object_object_get_ex(op, "timeout", NULL)
        && (!tj || json_object_get_int64(tj) < 0)) {
        return op_missing(err, "timeout", "a non-negative integer");
    }
    w->timeout = tj ? json_object_get_int64(tj) : INT64_MAX;
    return rj ? wait_parse_rows(txn, w, rj, err)
              : op_missing(err, "rows", "an array of rows");
}

static bool
row_matches_pattern(const struct ovsdb_row *row, const struct ovsdb_row *pat,
                    const bool *cols)
{
    const struct ovsdb_table_schema *ts = row->table->schema;
    for (unsigned c = 0; c < ts->n_columns; c++) {
        if (cols[c] && !ovsdb_datum_equals(&row->fields[c], &pat->fields[c],
                                           &ts->columns[c].type)) {
            return false;
        }
    }
    return true;
}

/* RFC 7047 §5.2.6: the selected rows, projected on "columns", equal
 * "rows" as a multiset. */
static bool
wait_rows_equal(struct ovsdb_txn *txn, const struct wait_args *w)
{
    struct ovsdb_uuid *uuids = NULL;
    size_t n = txn_select(txn, w->t, w->cond, &uuids);
    bool equal = n == w->n_rows;
    bool *used = ovsdb_xcalloc(n, sizeof *used);

    for (size_t i = 0; equal && i < w->n_rows; i++) {
        bool found = false;
        for (size_t k = 0; !found && k < n; k++) {
            const struct ovsdb_row *row = txn_visible_row(txn, w->t,
                                                          &uuids[k]);
            if (!used[k] && row_matches_pattern(row, w->rows[i], w->cols)) {
                used[k] = found = true;
            }
        }
        equal = found;
    }
    free(used);
    free(uuids);
    return equal;
}

/* §5.2.6 wait.  A library cannot block, so an unsatisfied wait whose
 * timeout has not passed returns -EAGAIN for the server to retry. */
static int
op_wait(struct ovsdb_txn *txn, json_object *op, json_object **resp,
        int64_t elapsed, struct ovsdb_error *err)
{
    struct wait_args w = { 0 };
    int error = wait_parse(txn, op, &w, err);
    if (!error && wait_rows_equal(txn, &w) != w.until_eq) {
        error = elapsed >= w.timeout
            ? ovsdb_error_set(err, -ETIMEDOUT, OVSDB_E_TIMEDOUT, "\"wait\" "
                              "condition on table %s not met",
                              w.t->schema->name)
            : -EAGAIN;
    }
    if (!error) {
        *resp = ovsdb_json_obj();
    }
    wait_args_destroy(&w);
    return error;
}

/* §5.2.7 commit: "durable" asks for the commit to reach stable storage
 * before the reply (which the log provides). */
static int
op_commit(struct ovsdb_txn *txn, json_object *op, json_object **resp,
          struct ovsdb_error *err)
{
    static const char *const allowed[] = { "durable", NULL };
    json_object *dj = op_member(op, "durable", json_type_boolean);
    int error = op_check_members(op, allowed, err);
    if (!error && !dj) {
        error = op_missing(err, "durable", "a boolean");
    }
    if (!error) {
        txn->durable |= json_object_get_boolean(dj);
        *resp = ovsdb_json_obj();
    }
    return error;
}

/* §5.2.8 abort: always fails, so nothing commits. */
static int
op_abort(struct ovsdb_txn *txn, json_object *op, json_object **resp,
         struct ovsdb_error *err)
{
    static const char *const none[] = { NULL };
    (void) txn;
    (void) resp;
    int error = op_check_members(op, none, err);
    return error ? error : ovsdb_error_set(err, -ECANCELED, OVSDB_E_ABORTED,
                                           "aborted by request");
}

/* §5.2.9 comment: kept in the commit record's "_comment". */
static int
op_comment(struct ovsdb_txn *txn, json_object *op, json_object **resp,
           struct ovsdb_error *err)
{
    static const char *const allowed[] = { "comment", NULL };
    json_object *cj = op_member(op, "comment", json_type_string);
    int error = op_check_members(op, allowed, err);
    if (!error && !cj) {
        error = op_missing(err, "comment", "a string");
    }
    if (error) {
        return error;
    }
    const char *c = json_object_get_string(cj);
    size_t old = txn->comment ? strlen(txn->comment) : 0;
    txn->comment = ovsdb_xrealloc(txn->comment, old + strlen(c) + 2);
    sprintf(txn->comment + old, "%s%s", old ? "\n" : "", c);
    *resp = ovsdb_json_obj();
    return 0;
}

static int
run_op(struct ovsdb_txn *txn, json_object *op, int64_t elapsed,
       json_object **resp, struct ovsdb_error *err)
{
    json_object *oj = op_member(op, "op", json_type_string);
    const char *name = oj ? json_object_get_string(oj) : "";

    if (!json_object_is_type(op, json_type_object) || !oj) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX, "operation "
                               "must be an object with an \"op\" member");
    } else if (!strcmp(name, "insert")) {
        return op_insert(txn, op, resp, err);
    } else if (!strcmp(name, "select")) {
        return op_select(txn, op, resp, err);
    } else if (!strcmp(name, "update")) {
        return op_update(txn, op, resp, err);
    } else if (!strcmp(name, "mutate")) {
        return op_mutate(txn, op, resp, err);
    } else if (!strcmp(name, "delete")) {
        return op_delete(txn, op, resp, err);
    } else if (!strcmp(name, "wait")) {
        return op_wait(txn, op, resp, elapsed, err);
    } else if (!strcmp(name, "commit")) {
        return op_commit(txn, op, resp, err);
    } else if (!strcmp(name, "abort")) {
        return op_abort(txn, op, resp, err);
    } else if (!strcmp(name, "comment")) {
        return op_comment(txn, op, resp, err);
    }
    return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                           "unknown operation \"%.64s\"", name);
}

static int
check_params(const struct ovsdb_txn *txn, json_object *params,
             struct ovsdb_error *err)
{
    json_object *nj = ovsdb_json_idx(params, 0);
    if (!json_object_is_type(params, json_type_array)
        || !json_object_is_type(nj, json_type_string)) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX, "transact "
                               "params must be [<db-name>, <operation>*]");
    }
    if (strcmp(json_object_get_string(nj), txn->db->schema->name)) {
        return ovsdb_error_set(err, -ENOENT, OVSDB_E_UNKNOWN_DB,
                               "no database \"%.64s\"",
                               json_object_get_string(nj));
    }
    return 0;
}

/* RFC 7047 §4.1.3: an error object at the failing position, then nulls
 * so the array matches the operations one to one. */
static void
results_fail(json_object *results, const struct ovsdb_error *err,
             size_t n_ops)
{
    ovsdb_json_push(results, ovsdb_error_to_json(err));
    while (ovsdb_json_len(results) < n_ops) {
        ovsdb_json_push(results, NULL);
    }
}

static int
execute_ops(struct ovsdb_txn *txn, json_object *params, int64_t elapsed,
            json_object *results, struct ovsdb_error *err)
{
    size_t n_ops = ovsdb_json_len(params) - 1;
    for (size_t i = 0; i < n_ops; i++) {
        json_object *res = NULL;
        int error = run_op(txn, ovsdb_json_idx(params, i + 1),
                           elapsed, &res, err);
        if (error == -EAGAIN) {
            return error;
        } else if (error) {
            results_fail(results, err, n_ops);
            return error;
        }
        ovsdb_json_push(results, res);
    }
    return 0;
}

int
ovsdb_txn_execute(struct ovsdb_txn *txn, json_object *params,
                  int64_t elapsed, json_object **resultsp)
{
    struct ovsdb_error err = { 0 };
    json_object *results = ovsdb_json_arr();
    const char *undef;
    int error = check_params(txn, params, &err);

    if (error) {
        results_fail(results, &err, 1);
        goto out;
    }
    error = execute_ops(txn, params, elapsed, results, &err);
    if (error == -EAGAIN) {
        json_object_put(results);
        *resultsp = NULL;
        return error;
    } else if (error) {
        goto out;
    }
    undef = ovsdb_symtab_first_undefined(txn->symtab);
    if (undef) {
        error = ovsdb_error_set(&err, -EINVAL, OVSDB_E_SYNTAX, "named-uuid "
                                "\"%.64s\" is used but no insert in this "
                                "transaction defines it", undef);
    }
    error = error ? error : txn_precommit(txn, &err);
    if (error) {
        /* §4.1.3: every operation succeeded but the commit failed. */
        ovsdb_json_push(results, ovsdb_error_to_json(&err));
    }
out:
    txn->executed = !error;
    *resultsp = results;
    return error;
}

bool
ovsdb_txn_wants_durable(const struct ovsdb_txn *txn)
{
    return txn->durable;
}

int
ovsdb_txn_run(struct ovsdb_db *db, json_object *params, json_object **results)
{
    struct ovsdb_txn *txn = ovsdb_txn_create(db);
    int error = ovsdb_txn_execute(txn, params, OVSDB_WAIT_NOW, results);
    if (!error) {
        ovsdb_txn_commit(txn, NULL, NULL);
    }
    ovsdb_txn_destroy(txn);
    return error;
}
