/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OVSDB_DB_H
#define OVSDB_DB_H 1

/* The in-memory database: one table per schema table, rows keyed by UUID
 * (RFC 7047 §3.2 "_uuid"), one hash map per unique index.
 *
 * Rows and tables are read-only outside ovsdb-lite: all changes go through
 * a transaction (txn.h) so that referential integrity, unique indexes and
 * the log stay consistent.  The structures are public so that the switch
 * (reconciliation) and a future monitor can read them without copies. */

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "data.h"
#include "error.h"
#include "hmap.h"
#include "schema.h"
#include "vhost/compiler.h"

struct ovsdb_table;
struct ovsdb_row;

/* A row's membership in one unique-index map. */
struct ovsdb_index_node {
    struct ovsdb_hmap_node node;
    struct ovsdb_row *row;
};

struct ovsdb_row {
    struct ovsdb_hmap_node node;        /* in table->rows, by UUID */
    struct ovsdb_table *table;
    struct ovsdb_index_node *index_nodes; /* one per schema index */
    unsigned n_refs;                    /* strong references to this row */
    struct ovsdb_datum fields[];        /* one per schema column */
};

struct ovsdb_table {
    const struct ovsdb_table_schema *schema;
    struct ovsdb_hmap rows;
    struct ovsdb_hmap *indexes;         /* one per schema index */
};

struct ovsdb_db {
    const struct ovsdb_schema *schema;  /* not owned */
    struct ovsdb_table *tables;         /* one per schema table */
};

/* An empty database for 'schema', which must outlive it. */
struct ovsdb_db *ovsdb_db_create(const struct ovsdb_schema *);
void ovsdb_db_destroy(struct ovsdb_db *);
struct ovsdb_table *ovsdb_db_get_table(const struct ovsdb_db *,
                                       const char *name);
/* Same content: every table has the same rows (by UUID) with equal
 * durable (non-ephemeral) columns.  _version is ignored. */
bool ovsdb_db_equals(const struct ovsdb_db *, const struct ovsdb_db *);
/* Recomputes every row's strong reference count (after loading). */
void ovsdb_db_count_refs(struct ovsdb_db *);

/* Snapshot as a log record: {"T": {"uuid": {durable non-default
 * columns}}, ...}. */
json_object *ovsdb_db_to_json(const struct ovsdb_db *);
/* Applies a snapshot or commit record (same format; a null row deletes;
 * OVSDB_RECORD_DIFF members are applied to the row's previous values)
 * without transaction checks: the log only holds committed transactions.
 * Values are still type-checked so a damaged file cannot corrupt memory.
 * Returns -EINVAL with 'err' naming the table/row at fault. */
int ovsdb_db_apply_record(struct ovsdb_db *, json_object *,
                          struct ovsdb_error *) RSW_MUST_CHECK;
/* Same format, for a client mirroring a server's rows (rsw-vsctl): every
 * column but _uuid/_version may be given, ephemeral ones included; then
 * recounts references. */
int ovsdb_db_load_rows(struct ovsdb_db *, json_object *rows,
                       struct ovsdb_error *) RSW_MUST_CHECK;

/* Tables. */
size_t ovsdb_table_count(const struct ovsdb_table *);
const struct ovsdb_row *ovsdb_table_find(const struct ovsdb_table *,
                                         const struct ovsdb_uuid *);
/* Iteration in unspecified order; don't modify the table meanwhile. */
const struct ovsdb_row *ovsdb_table_first(const struct ovsdb_table *);
const struct ovsdb_row *ovsdb_table_next(const struct ovsdb_table *,
                                         const struct ovsdb_row *);
#define OVSDB_TABLE_FOR_EACH(ROW, TABLE) \
    for ((ROW) = ovsdb_table_first(TABLE); (ROW); \
         (ROW) = ovsdb_table_next(TABLE, ROW))
/* Committed row with the same values as 'row' in index 'idx' other than
 * 'row' itself, or NULL. */
const struct ovsdb_row *ovsdb_table_index_find(const struct ovsdb_table *,
                                               unsigned idx,
                                               const struct ovsdb_row *);
uint32_t ovsdb_row_index_hash(const struct ovsdb_row *, unsigned idx);
bool ovsdb_row_index_equals(const struct ovsdb_row *,
                            const struct ovsdb_row *, unsigned idx);
/* Takes ownership of 'row'; its UUID must be new to the table. */
void ovsdb_table_insert_row(struct ovsdb_table *, struct ovsdb_row *);
void ovsdb_table_remove_row(struct ovsdb_table *, struct ovsdb_row *);

/* Rows. */
/* Row with every column at its default and a zero UUID. */
struct ovsdb_row *ovsdb_row_create(struct ovsdb_table *);
struct ovsdb_row *ovsdb_row_clone(const struct ovsdb_row *);
void ovsdb_row_destroy(struct ovsdb_row *);
const struct ovsdb_uuid *ovsdb_row_uuid(const struct ovsdb_row *);
void ovsdb_row_set_uuid(struct ovsdb_row *, const struct ovsdb_uuid *);
/* Column value by name, or NULL if the table has no such column. */
const struct ovsdb_datum *ovsdb_row_get(const struct ovsdb_row *,
                                        const char *column);
/* JSON object of the columns selected by 'cols' (NULL: all columns,
 * _uuid and _version included), RFC 7047 §5.1 <row>. */
json_object *ovsdb_row_to_json(const struct ovsdb_row *, const bool *cols);



/* Log form of a row change (RFC 7047-style row object of durable
 * columns): with 'old' NULL, the non-default columns of 'new' (possibly
 * {}); else the columns that differ, or NULL when no durable column
 * changed.  A changed set or map column whose difference is shorter than
 * its value is written as that difference (ovsdb_datum_diff()) inside
 * the member OVSDB_RECORD_DIFF: {"col": value, "_diff": {"ports": [...]}}
 * (RFC 7047 §3.1 reserves names starting with "_", so no column has that
 * name). */
#define OVSDB_RECORD_DIFF "_diff"
json_object *ovsdb_row_diff_json(const struct ovsdb_row *old,
                                 const struct ovsdb_row *new);
#endif
