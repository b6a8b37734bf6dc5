/* SPDX-License-Identifier: Apache-2.0 */
/* Commit-time rules of RFC 7047 §4.1.3 and §3.2: referential integrity,
 * garbage collection of unreferenced non-root rows, weak references,
 * column constraints, unique indexes and maxRows; then the commit record
 * and publication of the changes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "txn_private.h"
#include "util.h"

static long
final_refs(const struct txn_row *r)
{
    return (r->old ? (long) r->old->n_refs : 0) + r->ref_delta;
}

static void
fmt_uuid(const struct ovsdb_uuid *u, char buf[OVSDB_UUID_LEN + 1])
{
    ovsdb_uuid_format(u, buf);
}

static bool
base_is_strong_ref(const struct ovsdb_base_type *base)
{
    return ovsdb_base_type_is_ref(base) && base->ref_type == OVSDB_REF_STRONG;
}

/* Adds 'delta' to the reference count of the row of 'base''s table that
 * 'row' references as 'u' in column 'c'.  New references must point at
 * rows that exist when the transaction commits (RFC 7047 §3.2 refType
 * "strong"). */
static int
ref_adjust_one(struct ovsdb_txn *txn, const struct ovsdb_row *row,
               const struct ovsdb_column_schema *c,
               const struct ovsdb_base_type *base,
               const struct ovsdb_uuid *u, long delta,
               struct ovsdb_error *err)
{
    struct ovsdb_table *dst = &txn->db->tables[base->ref_table->index];
    struct txn_row *tr = txn_row_find(txn, dst, u);
    if (delta > 0 && !txn_visible_row(txn, dst, u)) {
        char a[OVSDB_UUID_LEN + 1], b[OVSDB_UUID_LEN + 1];
        fmt_uuid(ovsdb_row_uuid(row), a);
        fmt_uuid(u, b);
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_REFINT, "table %s "
                               "column %s row %s references nonexistent "
                               "row %s in table %s",
                               row->table->schema->name, c->name, a, b,
                               dst->schema->name);
    }
    if (!tr) {
        struct ovsdb_row *cr = (struct ovsdb_row *) ovsdb_table_find(dst, u);
        if (!cr) {
            return 0;           /* an old dangling reference going away */
        }
        tr = txn_row_track(txn, dst, cr);
    }
    tr->ref_delta += delta;
    return 0;
}

/* Every strong reference of column 'c' of 'row', through 'base' (its
 * keys or its values). */
static int
refs_adjust_base(struct ovsdb_txn *txn, const struct ovsdb_row *row,
                 const struct ovsdb_column_schema *c,
                 const struct ovsdb_base_type *base, bool keys, long delta,
                 struct ovsdb_error *err)
{
    const struct ovsdb_datum *d = &row->fields[c->index];
    if (!base_is_strong_ref(base)) {
        return 0;
    }
    for (size_t i = 0; i < d->n; i++) {
        int error = ref_adjust_one(txn, row, c, base,
                                   keys ? &d->keys[i].uuid
                                        : &d->values[i].uuid, delta, err);
        if (error) {
            return error;
        }
    }
    return 0;
}

static int
refs_adjust_column(struct ovsdb_txn *txn, const struct ovsdb_row *row,
                   const struct ovsdb_column_schema *c, long delta,
                   struct ovsdb_error *err)
{
    int error = refs_adjust_base(txn, row, c, &c->type.key, true, delta,
                                 err);
    return error ? error : refs_adjust_base(txn, row, c, &c->type.value,
                                            false, delta, err);
}

static int
refs_adjust(struct ovsdb_txn *txn, const struct ovsdb_row *row, long delta,
            struct ovsdb_error *err)
{
    const struct ovsdb_table_schema *ts = row->table->schema;
    for (unsigned i = 0; i < ts->n_columns; i++) {
        int error = refs_adjust_column(txn, row, &ts->columns[i], delta,
                                       err);
        if (error) {
            return error;
        }
    }
    return 0;
}

/* A set of references that changed: only the UUIDs added or removed
 * change a count (both datums are sorted), so adding one port to a
 * bridge with many touches one Port row, not all of them. */
static int
refs_adjust_set_diff(struct ovsdb_txn *txn, const struct ovsdb_row *old,
                     const struct ovsdb_row *new,
                     const struct ovsdb_column_schema *c,
                     struct ovsdb_error *err)
{
    const struct ovsdb_datum *a = &old->fields[c->index];
    const struct ovsdb_datum *b = &new->fields[c->index];
    size_t i = 0, k = 0;
    int error = 0;
    while (!error && (i < a->n || k < b->n)) {
        int cmp = i == a->n ? 1 : k == b->n ? -1
                  : ovsdb_uuid_compare(&a->keys[i].uuid, &b->keys[k].uuid);
        if (cmp < 0) {
            error = ref_adjust_one(txn, old, c, &c->type.key,
                                   &a->keys[i++].uuid, -1, err);
        } else if (cmp > 0) {
            error = ref_adjust_one(txn, new, c, &c->type.key,
                                   &b->keys[k++].uuid, +1, err);
        } else {
            i++;
            k++;
        }
    }
    return error;
}

/* A row both before and after the transaction: only changed columns
 * matter (a reference kept is a count kept). */
static int
refs_adjust_changed(struct ovsdb_txn *txn, const struct ovsdb_row *old,
                    const struct ovsdb_row *new, struct ovsdb_error *err)
{
    const struct ovsdb_table_schema *ts = new->table->schema;
    for (unsigned i = 0; i < ts->n_columns; i++) {
        const struct ovsdb_column_schema *c = &ts->columns[i];
        int error = 0;
        if ((!base_is_strong_ref(&c->type.key)
             && !base_is_strong_ref(&c->type.value))
            || ovsdb_datum_equals(&old->fields[i], &new->fields[i],
                                  &c->type)) {
            continue;
        }
        if (!ovsdb_type_is_map(&c->type)) {
            error = refs_adjust_set_diff(txn, old, new, c, err);
        } else {
            error = refs_adjust_column(txn, old, c, -1, err);
            error = error ? error : refs_adjust_column(txn, new, c, +1, err);
        }
        if (error) {
            return error;
        }
    }
    return 0;
}

/* Recomputes every reference-count delta from the old and new versions
 * of the changed rows.  Rows appended to the list meanwhile are tracked,
 * unchanged rows, which contribute nothing. */
static int
compute_ref_deltas(struct ovsdb_txn *txn, struct ovsdb_error *err)
{
    struct txn_row *r;
    for (r = txn->head; r; r = r->next) {
        r->ref_delta = 0;
    }
    for (r = txn->head; r; r = r->next) {
        int error = 0;
        if (!txn_row_changed(r)) {
            continue;
        }
        if (r->old && r->new) {
            error = refs_adjust_changed(txn, r->old, r->new, err);
        } else if (r->old) {
            error = refs_adjust(txn, r->old, -1, err);
        } else if (r->new) {
            error = refs_adjust(txn, r->new, +1, err);
        }
        if (error) {
            return error;
        }
    }
    return 0;
}

/* RFC 7047 §3.2 "isRoot": a row of a non-root table that no strong
 * reference reaches is deleted when the transaction commits; deleting it
 * may orphan more rows, hence the loop. */
static int
collect_garbage(struct ovsdb_txn *txn, struct ovsdb_error *err)
{
    for (;;) {
        bool any = false;
        int error = compute_ref_deltas(txn, err);
        if (error) {
            return error;
        }
        for (struct txn_row *r = txn->head; r; r = r->next) {
            if (r->new && !r->table->schema->is_root && final_refs(r) <= 0) {
                txn_row_delete(txn, r);
                any = true;
            }
        }
        if (!any) {
            return 0;
        }
    }
}

/* RFC 7047 §3.2: a row that strong references still point at cannot be
 * deleted. */
static int
check_deleted_unreferenced(struct ovsdb_txn *txn, struct ovsdb_error *err)
{
    for (struct txn_row *r = txn->head; r; r = r->next) {
        if (r->old && !r->new && final_refs(r) > 0) {
            char u[OVSDB_UUID_LEN + 1];
            fmt_uuid(&r->uuid, u);
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_REFINT, "cannot "
                                   "delete %s row %s because of %ld "
                                   "remaining strong reference(s)",
                                   r->table->schema->name, u, final_refs(r));
        }
    }
    return 0;
}

static bool
weak_base_is_dangling(const struct ovsdb_txn *txn,
                      const struct ovsdb_base_type *b,
                      const union ovsdb_atom *a)
{
    if (!ovsdb_base_type_is_ref(b) || b->ref_type != OVSDB_REF_WEAK) {
        return false;
    }
    return !txn_visible_row(txn, &txn->db->tables[b->ref_table->index],
                            &a->uuid);
}

/* Elements of 'row' whose weak reference (key or value) has no target:
 * removed when 'fix', else just reported. */
static bool
weak_scan_row(const struct ovsdb_txn *txn, struct ovsdb_row *row, bool fix)
{
    const struct ovsdb_table_schema *ts = row->table->schema;
    bool found = false;
    for (unsigned c = 0; c < ts->n_columns; c++) {
        const struct ovsdb_type *t = &ts->columns[c].type;
        struct ovsdb_datum *d = &row->fields[c];
        for (size_t i = d->n; i-- > 0;) {
            if (weak_base_is_dangling(txn, &t->key, &d->keys[i])
                || (d->values
                    && weak_base_is_dangling(txn, &t->value,
                                             &d->values[i]))) {
                found = true;
                if (!fix) {
                    return true;
                }
                ovsdb_datum_remove_at(d, i, t);
            }
        }
    }
    return found;
}

static bool
table_has_weak_refs(const struct ovsdb_table_schema *ts)
{
    for (unsigned c = 0; c < ts->n_columns; c++) {
        const struct ovsdb_type *t = &ts->columns[c].type;
        if ((ovsdb_base_type_is_ref(&t->key)
             && t->key.ref_type == OVSDB_REF_WEAK)
            || (ovsdb_base_type_is_ref(&t->value)
                && t->value.ref_type == OVSDB_REF_WEAK)) {
            return true;
        }
    }
    return false;
}

/* RFC 7047 §3.2 refType "weak": references to rows that do not exist at
 * commit are silently removed, both from rows this transaction wrote and
 * from untouched rows pointing at rows it deleted. */
static void
clean_weak_refs(struct ovsdb_txn *txn)
{
    bool any_delete = false;
    for (struct txn_row *r = txn->head; r; r = r->next) {
        if (txn_row_changed(r) && r->new) {
            weak_scan_row(txn, r->new, true);
        }
        any_delete |= r->old && !r->new;
    }
    if (!any_delete) {
        return;
    }
    for (unsigned i = 0; i < txn->db->schema->n_tables; i++) {
        struct ovsdb_table *t = &txn->db->tables[i];
        const struct ovsdb_row *row;
        if (!table_has_weak_refs(t->schema)) {
            continue;
        }
        OVSDB_TABLE_FOR_EACH (row, t) {
            struct txn_row *tr = txn_row_find(txn, t, ovsdb_row_uuid(row));
            if ((!tr || !txn_row_changed(tr))
                && weak_scan_row(txn, (struct ovsdb_row *) row, false)) {
                weak_scan_row(txn, txn_row_for_write(txn, t,
                                                     ovsdb_row_uuid(row)),
                              true);
            }
        }
    }
}

/* Every column of every written row must fit its type: this catches
 * defaults that violate a constraint and weak-reference removals that
 * leave a set below its "min". */
static int
check_constraints(struct ovsdb_txn *txn, struct ovsdb_error *err)
{
    for (struct txn_row *r = txn->head; r; r = r->next) {
        const struct ovsdb_table_schema *ts = r->table->schema;
        if (!txn_row_changed(r) || !r->new) {
            continue;
        }
        for (unsigned c = OVSDB_COL_VERSION + 1; c < ts->n_columns; c++) {
            char what[160];
            snprintf(what, sizeof what, "table %s column %s", ts->name,
                     ts->columns[c].name);
            int error = ovsdb_datum_check_constraints(&r->new->fields[c],
                                                      &ts->columns[c].type,
                                                      what, err);
            if (error) {
                return error;
            }
        }
    }
    return 0;
}

struct idx_entry {
    struct ovsdb_hmap_node node;
    const struct ovsdb_row *row;
};

static int
index_conflict(const struct ovsdb_table *t, unsigned idx,
               const struct ovsdb_row *a, const struct ovsdb_row *b,
               struct ovsdb_error *err)
{
    const struct ovsdb_index_schema *is = &t->schema->indexes[idx];
    char cols[256] = "", vals[256] = "", ua[OVSDB_UUID_LEN + 1],
         ub[OVSDB_UUID_LEN + 1];
    for (unsigned i = 0; i < is->n_columns; i++) {
        const struct ovsdb_column_schema *c = &t->schema->columns[
            is->columns[i]];
        json_object *j = ovsdb_datum_to_json(&a->fields[c->index], &c->type);
        size_t lc = strlen(cols), lv = strlen(vals);
        snprintf(cols + lc, sizeof cols - lc, "%s%s", i ? ", " : "",
                 c->name);
        snprintf(vals + lv, sizeof vals - lv, "%s%s", i ? ", " : "",
                 ovsdb_json_plain(j, NULL));
        json_object_put(j);
    }
    fmt_uuid(ovsdb_row_uuid(a), ua);
    fmt_uuid(ovsdb_row_uuid(b), ub);
    return ovsdb_error_set(err, -EINVAL, OVSDB_E_CONSTRAINT, "Transaction "
                           "causes multiple rows in \"%s\" table to have "
                           "identical values (%s) for index on column(s) "
                           "\"%s\": rows %s and %s", t->schema->name, vals,
                           cols, ua, ub);
}

/* One index of one table: written rows against each other (via a
 * scratch map) and against committed rows the transaction left alone. */
static int
check_one_index(struct ovsdb_txn *txn, struct ovsdb_table *t, unsigned idx,
                struct ovsdb_error *err)
{
    struct ovsdb_hmap seen;
    int error = 0;

    ovsdb_hmap_init(&seen);
    for (struct txn_row *r = txn->head; r && !error; r = r->next) {
        if (r->table != t || !txn_row_changed(r) || !r->new) {
            continue;
        }
        uint32_t h = ovsdb_row_index_hash(r->new, idx);
        struct ovsdb_hmap_node *node;
        for (node = ovsdb_hmap_first_with_hash(&seen, h); node && !error;
             node = ovsdb_hmap_next_with_hash(node)) {
            struct idx_entry *e = OVSDB_CONTAINER_OF(node, struct idx_entry,
                                                     node);
            if (ovsdb_row_index_equals(e->row, r->new, idx)) {
                error = index_conflict(t, idx, e->row, r->new, err);
            }
        }
        const struct ovsdb_row *c = ovsdb_table_index_find(t, idx, r->new);
        struct txn_row *cr = c ? txn_row_find(txn, t, ovsdb_row_uuid(c))
                               : NULL;
        if (!error && c && (!cr || !txn_row_changed(cr))) {
            error = index_conflict(t, idx, r->new, c, err);
        }
        struct idx_entry *e = ovsdb_xzalloc(sizeof *e);
        e->row = r->new;
        ovsdb_hmap_insert(&seen, &e->node, h);
    }
    struct ovsdb_hmap_node *node, *next;
    for (node = ovsdb_hmap_first(&seen); node; node = next) {
        next = ovsdb_hmap_next(&seen, node);
        free(OVSDB_CONTAINER_OF(node, struct idx_entry, node));
    }
    ovsdb_hmap_destroy(&seen);
    return error;
}

/* RFC 7047 §3.2 "indexes". */
static int
check_indexes(struct ovsdb_txn *txn, struct ovsdb_error *err)
{
    for (unsigned i = 0; i < txn->db->schema->n_tables; i++) {
        struct ovsdb_table *t = &txn->db->tables[i];
        for (unsigned k = 0; k < t->schema->n_indexes; k++) {
            int error = check_one_index(txn, t, k, err);
            if (error) {
                return error;
            }
        }
    }
    return 0;
}

/* RFC 7047 §3.2 "maxRows". */
static int
check_max_rows(struct ovsdb_txn *txn, struct ovsdb_error *err)
{
    unsigned n_tables = txn->db->schema->n_tables;
    long *delta = ovsdb_xcalloc(n_tables, sizeof *delta);
    int error = 0;

    for (struct txn_row *r = txn->head; r; r = r->next) {
        delta[r->table->schema->index] += (r->new != NULL) - (r->old != NULL);
    }
    for (unsigned i = 0; i < n_tables && !error; i++) {
        const struct ovsdb_table *t = &txn->db->tables[i];
        uint64_t n = ovsdb_table_count(t) + delta[i];
        if (t->schema->max_rows != UINT64_MAX && n > t->schema->max_rows) {
            error = ovsdb_error_set(err, -EINVAL, OVSDB_E_CONSTRAINT,
                                    "Transaction causes \"%s\" table to "
                                    "contain %"PRIu64" rows, greater than "
                                    "the schema-defined limit of %"PRIu64
                                    " row(s)", t->schema->name, n,
                                    t->schema->max_rows);
        }
    }
    free(delta);
    return error;
}

static bool
row_content_equals(const struct ovsdb_row *a, const struct ovsdb_row *b)
{
    const struct ovsdb_table_schema *ts = a->table->schema;
    for (unsigned c = OVSDB_COL_VERSION + 1; c < ts->n_columns; c++) {
        if (!ovsdb_datum_equals(&a->fields[c], &b->fields[c],
                                &ts->columns[c].type)) {
            return false;
        }
    }
    return true;
}

/* A row written back to its old content is not a change: no _version
 * bump, no log entry, no monitor update. */
static void
drop_noop_writes(struct ovsdb_txn *txn)
{
    for (struct txn_row *r = txn->head; r; r = r->next) {
        if (r->old && r->new && txn_row_changed(r)
            && row_content_equals(r->old, r->new)) {
            ovsdb_row_destroy(r->new);
            r->new = r->old;
        }
    }
}

int
txn_precommit(struct ovsdb_txn *txn, struct ovsdb_error *err)
{
    int error;

    drop_noop_writes(txn);
    error = collect_garbage(txn, err);
    error = error ? error : check_deleted_unreferenced(txn, err);
    if (!error) {
        clean_weak_refs(txn);
    }
    if (!error) {
        drop_noop_writes(txn);
    }
    error = error ? error : check_constraints(txn, err);
    error = error ? error : check_indexes(txn, err);
    error = error ? error : check_max_rows(txn, err);
    return error;
}

/* ---- Commit record and publication ---- */

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

json_object *
ovsdb_txn_record(struct ovsdb_txn *txn)
{
    json_object *rec = ovsdb_json_obj();
    bool any = false;

    for (struct txn_row *r = txn->executed ? txn->head : NULL; r;
         r = r->next) {
        json_object *tj, *row = NULL;
        char u[OVSDB_UUID_LEN + 1];
        if (!txn_row_changed(r) || (!r->old && !r->new)) {
            continue;
        }
        if (r->new) {
            row = ovsdb_row_diff_json(r->old, r->new);
            if (!row) {
                continue;       /* only ephemeral columns changed */
            }
        }
        if (!json_object_object_get_ex(rec, r->table->schema->name, &tj)) {
            tj = ovsdb_json_obj();
            ovsdb_json_add(rec, r->table->schema->name, tj);
        }
        fmt_uuid(&r->uuid, u);
        ovsdb_json_add(tj, u, row);
        any = true;
    }
    if (!any) {
        json_object_put(rec);
        return NULL;
    }
    ovsdb_json_add(rec, "_date", ovsdb_json_int(now_ms()));
    if (txn->comment) {
        ovsdb_json_add(rec, "_comment", ovsdb_json_str(txn->comment));
    }
    return rec;
}

static void
commit_publish(struct ovsdb_txn *txn)
{
    struct txn_row *r;
    for (r = txn->head; r; r = r->next) {
        if (txn_row_changed(r) && r->old) {
            ovsdb_table_remove_row(r->table, r->old);
        }
    }
    for (r = txn->head; r; r = r->next) {
        if (!txn_row_changed(r)) {
            if (r->old) {
                r->old->n_refs = final_refs(r);
            }
        } else if (r->new) {
            r->new->n_refs = final_refs(r);
            /* RFC 7047 §3.2 "_version": changes with every update. */
            ovsdb_uuid_generate(
                &r->new->fields[OVSDB_COL_VERSION].keys[0].uuid);
            ovsdb_table_insert_row(r->table, r->new);
        }
    }
}

void
ovsdb_txn_commit(struct ovsdb_txn *txn, ovsdb_txn_change_cb *cb, void *aux)
{
    struct txn_row *r, *next;
    if (!txn->executed) {
        return;
    }
    commit_publish(txn);
    for (r = txn->head; r; r = r->next) {
        if (cb && txn_row_changed(r) && (r->old || r->new)) {
            cb(r->table, r->old, r->new, aux);
        }
    }
    /* The new rows now belong to their tables; the old ones are gone. */
    for (r = txn->head; r; r = next) {
        next = r->next;
        if (txn_row_changed(r)) {
            ovsdb_row_destroy(r->old);
        }
        free(r);
    }
    txn->head = NULL;
    txn->tail = &txn->head;
    ovsdb_hmap_destroy(&txn->rows);
    ovsdb_hmap_init(&txn->rows);
    txn->executed = false;
}
