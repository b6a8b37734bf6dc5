/* SPDX-License-Identifier: Apache-2.0 */
/* The in-memory database: tables of rows keyed by UUID, unique-index maps
 * (RFC 7047 §3.2 "indexes") and the log-record form of rows. */
#include "db.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

/* ---- Rows ---- */

static size_t
row_size(const struct ovsdb_table_schema *ts)
{
    return sizeof(struct ovsdb_row)
           + ts->n_columns * sizeof(struct ovsdb_datum)
           + ts->n_indexes * sizeof(struct ovsdb_index_node);
}

static struct ovsdb_row *
row_alloc(struct ovsdb_table *table)
{
    const struct ovsdb_table_schema *ts = table->schema;
    struct ovsdb_row *row = ovsdb_xzalloc(row_size(ts));
    row->table = table;
    row->index_nodes = (struct ovsdb_index_node *) &row->fields[ts->n_columns];
    return row;
}

struct ovsdb_row *
ovsdb_row_create(struct ovsdb_table *table)
{
    const struct ovsdb_table_schema *ts = table->schema;
    struct ovsdb_row *row = row_alloc(table);
    for (unsigned i = 0; i < ts->n_columns; i++) {
        ovsdb_datum_init_default(&row->fields[i], &ts->columns[i].type);
    }
    return row;
}

struct ovsdb_row *
ovsdb_row_clone(const struct ovsdb_row *src)
{
    const struct ovsdb_table_schema *ts = src->table->schema;
    struct ovsdb_row *row = row_alloc(src->table);
    for (unsigned i = 0; i < ts->n_columns; i++) {
        ovsdb_datum_clone(&row->fields[i], &src->fields[i],
                          &ts->columns[i].type);
    }
    return row;
}

void
ovsdb_row_destroy(struct ovsdb_row *row)
{
    if (!row) {
        return;
    }
    const struct ovsdb_table_schema *ts = row->table->schema;
    for (unsigned i = 0; i < ts->n_columns; i++) {
        ovsdb_datum_destroy(&row->fields[i], &ts->columns[i].type);
    }
    free(row);
}

const struct ovsdb_uuid *
ovsdb_row_uuid(const struct ovsdb_row *row)
{
    return &row->fields[OVSDB_COL_UUID].keys[0].uuid;
}

void
ovsdb_row_set_uuid(struct ovsdb_row *row, const struct ovsdb_uuid *uuid)
{
    row->fields[OVSDB_COL_UUID].keys[0].uuid = *uuid;
}

const struct ovsdb_datum *
ovsdb_row_get(const struct ovsdb_row *row, const char *column)
{
    const struct ovsdb_column_schema *c =
        ovsdb_schema_find_column(row->table->schema, column);
    return c ? &row->fields[c->index] : NULL;
}

json_object *
ovsdb_row_to_json(const struct ovsdb_row *row, const bool *cols)
{
    const struct ovsdb_table_schema *ts = row->table->schema;
    json_object *obj = ovsdb_json_obj();
    for (unsigned i = 0; i < ts->n_columns; i++) {
        if (!cols || cols[i]) {
            ovsdb_json_add(obj, ts->columns[i].name,
                           ovsdb_datum_to_json(&row->fields[i],
                                               &ts->columns[i].type));
        }
    }
    return obj;
}

static bool
atom_is_default(const union ovsdb_atom *a, const struct ovsdb_base_type *b)
{
    union ovsdb_atom def;
    bool eq;
    if (b->enum_ && b->enum_->n) {
        return !ovsdb_atom_compare(a, &b->enum_->keys[0], b->type);
    }
    ovsdb_atom_init_default(&def, b->type);
    eq = !ovsdb_atom_compare(a, &def, b->type);
    ovsdb_atom_destroy(&def, b->type);
    return eq;
}

static bool
datum_is_default(const struct ovsdb_datum *d, const struct ovsdb_type *t)
{
    if (!t->n_min) {
        return d->n == 0;
    }
    return d->n == 1 && atom_is_default(&d->keys[0], &t->key)
           && (!d->values || atom_is_default(&d->values[0], &t->value));
}

/* Columns that go to the log: not the implicit ones (the UUID is the
 * record key; _version is regenerated) and not ephemeral ones (RFC 7047
 * §3.2 "ephemeral": no durability promise). */
static bool
column_is_durable(const struct ovsdb_column_schema *c)
{
    return c->index > OVSDB_COL_VERSION && !c->ephemeral;
}

/* Sets and maps that may hold many elements are logged as a difference
 * when that is shorter (ovsdb_datum_diff()), under the row's "_diff"
 * member: adding one port to a bridge with 500 then logs one UUID, not
 * 501. */
static bool
column_diff_json(json_object **diffs, const struct ovsdb_column_schema *c,
                 const struct ovsdb_datum *old, const struct ovsdb_datum *new)
{
    struct ovsdb_datum diff;
    bool shorter;
    if (!ovsdb_type_is_map(&c->type) && c->type.n_max <= 1) {
        return false;
    }
    ovsdb_datum_diff(&diff, old, new, &c->type);
    shorter = diff.n < new->n;
    if (shorter) {
        if (!*diffs) {
            *diffs = ovsdb_json_obj();
        }
        ovsdb_json_add(*diffs, c->name, ovsdb_datum_to_json(&diff, &c->type));
    }
    ovsdb_datum_destroy(&diff, &c->type);
    return shorter;
}

json_object *
ovsdb_row_diff_json(const struct ovsdb_row *old, const struct ovsdb_row *new)
{
    const struct ovsdb_table_schema *ts = new->table->schema;
    json_object *obj = NULL, *diffs = NULL;
    for (unsigned i = 0; i < ts->n_columns; i++) {
        const struct ovsdb_column_schema *c = &ts->columns[i];
        if (!column_is_durable(c)
            || (old ? ovsdb_datum_equals(&old->fields[i], &new->fields[i],
                                         &c->type)
                    : datum_is_default(&new->fields[i], &c->type))) {
            continue;
        }
        if (!obj) {
            obj = ovsdb_json_obj();
        }
        if (!old || !column_diff_json(&diffs, c, &old->fields[i],
                                      &new->fields[i])) {
            ovsdb_json_add(obj, c->name,
                           ovsdb_datum_to_json(&new->fields[i], &c->type));
        }
    }
    if (diffs) {
        ovsdb_json_add(obj, OVSDB_RECORD_DIFF, diffs);
    }
    return !obj && !old ? ovsdb_json_obj() : obj;
}

/* ---- Tables and indexes ---- */

uint32_t
ovsdb_row_index_hash(const struct ovsdb_row *row, unsigned idx)
{
    const struct ovsdb_table_schema *ts = row->table->schema;
    const struct ovsdb_index_schema *is = &ts->indexes[idx];
    uint32_t h = idx;
    for (unsigned i = 0; i < is->n_columns; i++) {
        unsigned c = is->columns[i];
        h = ovsdb_datum_hash(&row->fields[c], &ts->columns[c].type, h);
    }
    return h;
}

bool
ovsdb_row_index_equals(const struct ovsdb_row *a, const struct ovsdb_row *b,
                       unsigned idx)
{
    const struct ovsdb_table_schema *ts = a->table->schema;
    const struct ovsdb_index_schema *is = &ts->indexes[idx];
    for (unsigned i = 0; i < is->n_columns; i++) {
        unsigned c = is->columns[i];
        if (!ovsdb_datum_equals(&a->fields[c], &b->fields[c],
                                &ts->columns[c].type)) {
            return false;
        }
    }
    return true;
}

const struct ovsdb_row *
ovsdb_table_index_find(const struct ovsdb_table *table, unsigned idx,
                       const struct ovsdb_row *row)
{
    uint32_t h = ovsdb_row_index_hash(row, idx);
    struct ovsdb_hmap_node *n;
    for (n = ovsdb_hmap_first_with_hash(&table->indexes[idx], h); n;
         n = ovsdb_hmap_next_with_hash(n)) {
        struct ovsdb_index_node *in =
            OVSDB_CONTAINER_OF(n, struct ovsdb_index_node, node);
        if (in->row != row && ovsdb_row_index_equals(in->row, row, idx)) {
            return in->row;
        }
    }
    return NULL;
}

void
ovsdb_table_insert_row(struct ovsdb_table *table, struct ovsdb_row *row)
{
    row->table = table;
    ovsdb_hmap_insert(&table->rows, &row->node,
                      ovsdb_uuid_hash(ovsdb_row_uuid(row)));
    for (unsigned i = 0; i < table->schema->n_indexes; i++) {
        row->index_nodes[i].row = row;
        ovsdb_hmap_insert(&table->indexes[i], &row->index_nodes[i].node,
                          ovsdb_row_index_hash(row, i));
    }
}

void
ovsdb_table_remove_row(struct ovsdb_table *table, struct ovsdb_row *row)
{
    ovsdb_hmap_remove(&table->rows, &row->node);
    for (unsigned i = 0; i < table->schema->n_indexes; i++) {
        ovsdb_hmap_remove(&table->indexes[i], &row->index_nodes[i].node);
    }
}

size_t
ovsdb_table_count(const struct ovsdb_table *table)
{
    return ovsdb_hmap_count(&table->rows);
}

const struct ovsdb_row *
ovsdb_table_find(const struct ovsdb_table *table,
                 const struct ovsdb_uuid *uuid)
{
    struct ovsdb_hmap_node *n;
    for (n = ovsdb_hmap_first_with_hash(&table->rows, ovsdb_uuid_hash(uuid));
         n; n = ovsdb_hmap_next_with_hash(n)) {
        const struct ovsdb_row *row =
            OVSDB_CONTAINER_OF(n, struct ovsdb_row, node);
        if (ovsdb_uuid_equals(ovsdb_row_uuid(row), uuid)) {
            return row;
        }
    }
    return NULL;
}

const struct ovsdb_row *
ovsdb_table_first(const struct ovsdb_table *table)
{
    struct ovsdb_hmap_node *n = ovsdb_hmap_first(&table->rows);
    return n ? OVSDB_CONTAINER_OF(n, struct ovsdb_row, node) : NULL;
}

const struct ovsdb_row *
ovsdb_table_next(const struct ovsdb_table *table, const struct ovsdb_row *row)
{
    struct ovsdb_hmap_node *n = ovsdb_hmap_next(&table->rows, &row->node);
    return n ? OVSDB_CONTAINER_OF(n, struct ovsdb_row, node) : NULL;
}

/* ---- Databases ---- */

struct ovsdb_db *
ovsdb_db_create(const struct ovsdb_schema *schema)
{
    struct ovsdb_db *db = ovsdb_xzalloc(sizeof *db);
    db->schema = schema;
    db->tables = ovsdb_xcalloc(schema->n_tables, sizeof *db->tables);
    for (unsigned i = 0; i < schema->n_tables; i++) {
        struct ovsdb_table *t = &db->tables[i];
        t->schema = &schema->tables[i];
        ovsdb_hmap_init(&t->rows);
        t->indexes = ovsdb_xcalloc(t->schema->n_indexes, sizeof *t->indexes);
        for (unsigned k = 0; k < t->schema->n_indexes; k++) {
            ovsdb_hmap_init(&t->indexes[k]);
        }
    }
    return db;
}

void
ovsdb_db_destroy(struct ovsdb_db *db)
{
    if (!db) {
        return;
    }
    for (unsigned i = 0; i < db->schema->n_tables; i++) {
        struct ovsdb_table *t = &db->tables[i];
        struct ovsdb_hmap_node *n, *next;
        for (n = ovsdb_hmap_first(&t->rows); n; n = next) {
            next = ovsdb_hmap_next(&t->rows, n);
            ovsdb_row_destroy(OVSDB_CONTAINER_OF(n, struct ovsdb_row, node));
        }
        ovsdb_hmap_destroy(&t->rows);
        for (unsigned k = 0; k < t->schema->n_indexes; k++) {
            ovsdb_hmap_destroy(&t->indexes[k]);
        }
        free(t->indexes);
    }
    free(db->tables);
    free(db);
}

struct ovsdb_table *
ovsdb_db_get_table(const struct ovsdb_db *db, const char *name)
{
    const struct ovsdb_table_schema *ts =
        ovsdb_schema_find_table(db->schema, name);
    return ts ? &db->tables[ts->index] : NULL;
}

static bool
row_equals_durable(const struct ovsdb_row *a, const struct ovsdb_row *b)
{
    const struct ovsdb_table_schema *ts = a->table->schema;
    for (unsigned i = 0; i < ts->n_columns; i++) {
        const struct ovsdb_column_schema *c = &ts->columns[i];
        if (c->index != OVSDB_COL_VERSION && !c->ephemeral
            && !ovsdb_datum_equals(&a->fields[i], &b->fields[i], &c->type)) {
            return false;
        }
    }
    return true;
}

bool
ovsdb_db_equals(const struct ovsdb_db *a, const struct ovsdb_db *b)
{
    if (a->schema->n_tables != b->schema->n_tables) {
        return false;
    }
    for (unsigned i = 0; i < a->schema->n_tables; i++) {
        const struct ovsdb_table *ta = &a->tables[i], *tb = &b->tables[i];
        const struct ovsdb_row *ra;
        if (ovsdb_table_count(ta) != ovsdb_table_count(tb)) {
            return false;
        }
        OVSDB_TABLE_FOR_EACH (ra, ta) {
            const struct ovsdb_row *rb = ovsdb_table_find(tb,
                                                          ovsdb_row_uuid(ra));
            if (!rb || !row_equals_durable(ra, rb)) {
                return false;
            }
        }
    }
    return true;
}

static void
count_refs_in(struct ovsdb_db *db, const struct ovsdb_datum *d,
              const struct ovsdb_base_type *b, bool keys)
{
    if (!ovsdb_base_type_is_ref(b) || b->ref_type != OVSDB_REF_STRONG) {
        return;
    }
    struct ovsdb_table *dst = &db->tables[b->ref_table->index];
    for (size_t i = 0; i < d->n; i++) {
        const union ovsdb_atom *a = keys ? &d->keys[i] : &d->values[i];
        struct ovsdb_row *r = (struct ovsdb_row *) ovsdb_table_find(dst,
                                                                    &a->uuid);
        if (r) {
            r->n_refs++;
        }
    }
}

void
ovsdb_db_count_refs(struct ovsdb_db *db)
{
    const struct ovsdb_row *row;
    for (unsigned i = 0; i < db->schema->n_tables; i++) {
        OVSDB_TABLE_FOR_EACH (row, &db->tables[i]) {
            ((struct ovsdb_row *) row)->n_refs = 0;
        }
    }
    for (unsigned i = 0; i < db->schema->n_tables; i++) {
        const struct ovsdb_table_schema *ts = &db->schema->tables[i];
        OVSDB_TABLE_FOR_EACH (row, &db->tables[i]) {
            for (unsigned c = 0; c < ts->n_columns; c++) {
                const struct ovsdb_type *t = &ts->columns[c].type;
                count_refs_in(db, &row->fields[c], &t->key, true);
                count_refs_in(db, &row->fields[c], &t->value, false);
            }
        }
    }
}

json_object *
ovsdb_db_to_json(const struct ovsdb_db *db)
{
    json_object *obj = ovsdb_json_obj();
    for (unsigned i = 0; i < db->schema->n_tables; i++) {
        const struct ovsdb_table *t = &db->tables[i];
        const struct ovsdb_row *row;
        json_object *tj;
        if (!ovsdb_table_count(t)) {
            continue;
        }
        tj = ovsdb_json_obj();
        OVSDB_TABLE_FOR_EACH (row, t) {
            char buf[OVSDB_UUID_LEN + 1];
            ovsdb_uuid_format(ovsdb_row_uuid(row), buf);
            ovsdb_json_add(tj, buf, ovsdb_row_diff_json(NULL, row));
        }
        ovsdb_json_add(obj, t->schema->name, tj);
    }
    return obj;
}

/* ---- Replaying log records ---- */

static int
record_set_column(struct ovsdb_row *row, const char *name, json_object *vj,
                  bool is_diff, bool ephemeral_ok, struct ovsdb_error *err)
{
    const struct ovsdb_table_schema *ts = row->table->schema;
    const struct ovsdb_column_schema *c = ovsdb_schema_find_column(ts, name);
    struct ovsdb_datum d;
    struct ovsdb_error sub = { 0 };
    if (!c || c->index <= OVSDB_COL_VERSION
        || (!ephemeral_ok && !column_is_durable(c))) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "table %s has no %scolumn \"%s\"",
                               ts->name, ephemeral_ok ? "" : "durable ",
                               name);
    }
    /* A diff's size says nothing; the result is checked in full, so a
     * damaged file cannot put an out-of-range value in memory. */
    if (ovsdb_datum_from_json(&d, &c->type, vj, NULL, is_diff, &sub)) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "table %s column %s: %s", ts->name, name,
                               sub.details);
    }
    if (is_diff) {
        ovsdb_datum_apply_diff(&row->fields[c->index], &d, &c->type);
        ovsdb_datum_destroy(&d, &c->type);
        if (ovsdb_datum_check_constraints(&row->fields[c->index], &c->type,
                                          "value", &sub)) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                                   "table %s column %s after its diff: %s",
                                   ts->name, name, sub.details);
        }
        return 0;
    }
    ovsdb_datum_destroy(&row->fields[c->index], &c->type);
    row->fields[c->index] = d;
    return 0;
}

static int
record_set_columns(struct ovsdb_row *row, json_object *rj, bool ephemeral_ok,
                   struct ovsdb_error *err)
{
    json_object_object_foreach(rj, name, vj) {
        bool is_diff = !strcmp(name, OVSDB_RECORD_DIFF);
        if (is_diff && !json_object_is_type(vj, json_type_object)) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                                   "\"%s\" must be an object",
                                   OVSDB_RECORD_DIFF);
        }
        if (is_diff) {
            json_object_object_foreach(vj, dname, dj) {
                int error = record_set_column(row, dname, dj, true,
                                              ephemeral_ok, err);
                if (error) {
                    return error;
                }
            }
            continue;
        }
        int error = record_set_column(row, name, vj, false, ephemeral_ok,
                                      err);
        if (error) {
            return error;
        }
    }
    return 0;
}

static int
record_apply_row(struct ovsdb_table *t, const char *key, json_object *rj,
                 bool ephemeral_ok, struct ovsdb_error *err)
{
    struct ovsdb_uuid uuid;
    struct ovsdb_row *old, *row;

    if (ovsdb_uuid_from_string(&uuid, key)
        || !(json_object_is_type(rj, json_type_null)
             || json_object_is_type(rj, json_type_object))) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "table %s: bad row entry \"%.40s\"",
                               t->schema->name, key);
    }
    old = (struct ovsdb_row *) ovsdb_table_find(t, &uuid);
    if (!rj && !old) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX, "table %s: "
                               "deletes missing row %s", t->schema->name,
                               key);
    }
    row = !rj ? NULL : old ? ovsdb_row_clone(old) : ovsdb_row_create(t);
    if (row) {
        int error = record_set_columns(row, rj, ephemeral_ok, err);
        if (error) {
            ovsdb_row_destroy(row);
            return error;
        }
        ovsdb_row_set_uuid(row, &uuid);
        ovsdb_uuid_generate(&row->fields[OVSDB_COL_VERSION].keys[0].uuid);
    }
    if (old) {
        ovsdb_table_remove_row(t, old);
        ovsdb_row_destroy(old);
    }
    if (row) {
        ovsdb_table_insert_row(t, row);
    }
    return 0;
}

static int
apply_record(struct ovsdb_db *db, json_object *rec, bool ephemeral_ok,
             struct ovsdb_error *err)
{
    if (!json_object_is_type(rec, json_type_object)) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "record is not a JSON object");
    }
    json_object_object_foreach(rec, tname, tj) {
        struct ovsdb_table *t;
        if (tname[0] == '_') {
            continue;           /* _date, _comment, _snapshot */
        }
        t = ovsdb_db_get_table(db, tname);
        if (!t || !json_object_is_type(tj, json_type_object)) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                                   "record names unknown table \"%.64s\"",
                                   tname);
        }
        json_object_object_foreach(tj, key, rj) {
            int error = record_apply_row(t, key, rj, ephemeral_ok, err);
            if (error) {
                return error;
            }
        }
    }
    return 0;
}

int
ovsdb_db_apply_record(struct ovsdb_db *db, json_object *rec,
                      struct ovsdb_error *err)
{
    return apply_record(db, rec, false, err);
}

int
ovsdb_db_load_rows(struct ovsdb_db *db, json_object *rows,
                   struct ovsdb_error *err)
{
    int error = apply_record(db, rows, true, err);
    if (!error) {
        ovsdb_db_count_refs(db);
    }
    return error;
}
