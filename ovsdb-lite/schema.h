/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OVSDB_SCHEMA_H
#define OVSDB_SCHEMA_H 1

/* RFC 7047 §3.2 database schemas.
 *
 * A schema is parsed and validated once and is immutable afterwards; the
 * in-memory database, transactions and the log all refer to it.  The
 * structures are public (read-only for callers) because a JSON-RPC server
 * and monitors need the column types to render updates. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "error.h"
#include "vhost/compiler.h"

struct ovsdb_datum;
struct ovsdb_table_schema;

/* RFC 7047 §3.2 <atomic-type>; VOID marks an absent map value type. */
enum ovsdb_atomic_type {
    OVSDB_TYPE_VOID,
    OVSDB_TYPE_INTEGER,
    OVSDB_TYPE_REAL,
    OVSDB_TYPE_BOOLEAN,
    OVSDB_TYPE_STRING,
    OVSDB_TYPE_UUID,
};

enum ovsdb_ref_type {
    OVSDB_REF_STRONG,
    OVSDB_REF_WEAK,
};

/* RFC 7047 §3.2 <base-type>: an atomic type plus optional constraints. */
struct ovsdb_base_type {
    enum ovsdb_atomic_type type;
    struct ovsdb_datum *enum_;      /* allowed atoms (a set), or NULL */
    int64_t min_int, max_int;       /* INTEGER: inclusive bounds */
    double min_real, max_real;      /* REAL: inclusive bounds */
    unsigned min_len, max_len;      /* STRING: bounds in UTF-8 characters */
    char *ref_table_name;           /* UUID: "refTable", or NULL */
    struct ovsdb_table_schema *ref_table;
    enum ovsdb_ref_type ref_type;   /* UUID with refTable: "refType" */
};

#define OVSDB_N_MAX_UNLIMITED UINT32_MAX

/* RFC 7047 §3.2 <type>: key (and value, for maps) with a size range. */
struct ovsdb_type {
    struct ovsdb_base_type key;
    struct ovsdb_base_type value;   /* type == VOID unless a map */
    unsigned n_min;                 /* 0 or 1 */
    unsigned n_max;                 /* >= 1, or OVSDB_N_MAX_UNLIMITED */
};

struct ovsdb_column_schema {
    char *name;
    unsigned index;                 /* position in the table's columns */
    struct ovsdb_type type;
    bool mutable_;                  /* RFC 7047 §3.2 "mutable" */
    bool ephemeral;                 /* not written to the log */
};

/* Every table has the RFC 7047 §3.2 implicit columns at these indexes. */
#define OVSDB_COL_UUID 0
#define OVSDB_COL_VERSION 1

struct ovsdb_index_schema {
    unsigned n_columns;
    unsigned *columns;              /* column indexes, in schema order */
};

struct ovsdb_table_schema {
    char *name;
    unsigned index;                 /* position in the schema's tables */
    struct ovsdb_column_schema *columns;
    unsigned n_columns;             /* including _uuid and _version */
    bool is_root;
    uint64_t max_rows;              /* UINT64_MAX if unlimited */
    struct ovsdb_index_schema *indexes;
    unsigned n_indexes;
};

struct ovsdb_schema {
    char *name;
    char *version;
    char *cksum;                    /* may be NULL */
    struct ovsdb_table_schema *tables;
    unsigned n_tables;
    json_object *json;              /* the source document (owned ref) */
};

/* Parses and validates an RFC 7047 §3.2 schema.  On error returns -EINVAL
 * and fills 'err' with a message naming the offending table and column. */
int ovsdb_schema_from_json(json_object *, struct ovsdb_schema **,
                           struct ovsdb_error *err) RSW_MUST_CHECK;
int ovsdb_schema_from_string(const char *, struct ovsdb_schema **,
                             struct ovsdb_error *err) RSW_MUST_CHECK;
int ovsdb_schema_from_file(const char *path, struct ovsdb_schema **,
                           struct ovsdb_error *err) RSW_MUST_CHECK;
void ovsdb_schema_destroy(struct ovsdb_schema *);
/* New reference to the schema document (as given, for get_schema). */
json_object *ovsdb_schema_to_json(const struct ovsdb_schema *);
/* Whether two schemas are the same document (semantically equal JSON). */
bool ovsdb_schema_equal(const struct ovsdb_schema *,
                        const struct ovsdb_schema *);

const struct ovsdb_table_schema *ovsdb_schema_find_table(
    const struct ovsdb_schema *, const char *name);
const struct ovsdb_column_schema *ovsdb_schema_find_column(
    const struct ovsdb_table_schema *, const char *name);

/* The switch's own schema (rsw_schema.c, identical to rsw.ovsschema). */
extern const char ovsdb_rsw_schema_text[];
int ovsdb_schema_rsw(struct ovsdb_schema **, struct ovsdb_error *err)
    RSW_MUST_CHECK;

/* Type helpers. */
const char *ovsdb_atomic_type_name(enum ovsdb_atomic_type);
static inline bool
ovsdb_type_is_map(const struct ovsdb_type *t)
{
    return t->value.type != OVSDB_TYPE_VOID;
}
static inline bool
ovsdb_type_is_scalar(const struct ovsdb_type *t)
{
    return t->n_min == 1 && t->n_max == 1 && !ovsdb_type_is_map(t);
}
static inline bool
ovsdb_type_is_optional_scalar(const struct ovsdb_type *t)
{
    return t->n_min == 0 && t->n_max == 1 && !ovsdb_type_is_map(t);
}
static inline bool
ovsdb_base_type_is_ref(const struct ovsdb_base_type *b)
{
    return b->type == OVSDB_TYPE_UUID && b->ref_table != NULL;
}
/* Base type with every constraint removed (enum, ranges, refs). */
void ovsdb_base_type_init(struct ovsdb_base_type *, enum ovsdb_atomic_type);

#endif
