/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 7047 §3.2 schema parsing and validation. */
#include "schema.h"

#include <errno.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data.h"
#include "util.h"

#define SCHEMA_MAX_DEPTH 64

const char *
ovsdb_atomic_type_name(enum ovsdb_atomic_type t)
{
    switch (t) {
    case OVSDB_TYPE_VOID: return "void";
    case OVSDB_TYPE_INTEGER: return "integer";
    case OVSDB_TYPE_REAL: return "real";
    case OVSDB_TYPE_BOOLEAN: return "boolean";
    case OVSDB_TYPE_STRING: return "string";
    case OVSDB_TYPE_UUID: return "uuid";
    }
    return "<invalid>";
}

static int
atomic_type_from_string(const char *s, enum ovsdb_atomic_type *t)
{
    static const enum ovsdb_atomic_type all[] = {
        OVSDB_TYPE_INTEGER, OVSDB_TYPE_REAL, OVSDB_TYPE_BOOLEAN,
        OVSDB_TYPE_STRING, OVSDB_TYPE_UUID,
    };
    for (size_t i = 0; i < RSW_ARRAY_SIZE(all); i++) {
        if (!strcmp(s, ovsdb_atomic_type_name(all[i]))) {
            *t = all[i];
            return 0;
        }
    }
    return -EINVAL;
}

void
ovsdb_base_type_init(struct ovsdb_base_type *b, enum ovsdb_atomic_type t)
{
    memset(b, 0, sizeof *b);
    b->type = t;
    b->min_int = INT64_MIN;
    b->max_int = INT64_MAX;
    b->min_real = -DBL_MAX;
    b->max_real = DBL_MAX;
    b->min_len = 0;
    b->max_len = UINT32_MAX;
    b->ref_type = OVSDB_REF_STRONG;
}

/* The set type used to parse and free a base type's "enum" datum. */
static void
enum_type_init(struct ovsdb_type *t, const struct ovsdb_base_type *base)
{
    ovsdb_base_type_init(&t->key, base->type);
    ovsdb_base_type_init(&t->value, OVSDB_TYPE_VOID);
    t->n_min = 0;
    t->n_max = OVSDB_N_MAX_UNLIMITED;
}

static void
base_type_destroy(struct ovsdb_base_type *b)
{
    if (b->enum_) {
        struct ovsdb_type t;
        enum_type_init(&t, b);
        ovsdb_datum_destroy(b->enum_, &t);
        free(b->enum_);
        b->enum_ = NULL;
    }
    free(b->ref_table_name);
    b->ref_table_name = NULL;
}

/* RFC 7047 §3.2 <id>: [a-zA-Z_][a-zA-Z0-9_]*; a leading '_' is reserved
 * to the implementation. */
static bool
is_valid_id(const char *s)
{
    if (!s[0] || s[0] == '_' || (s[0] >= '0' && s[0] <= '9')) {
        return false;
    }
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_')) {
            return false;
        }
    }
    return true;
}

/* RFC 7047 §3.2: <version> matches [0-9]+\.[0-9]+\.[0-9]+. */
static bool
is_valid_version(const char *s)
{
    for (int part = 0; part < 3; part++) {
        if (!(*s >= '0' && *s <= '9')) {
            return false;
        }
        while (*s >= '0' && *s <= '9') {
            s++;
        }
        if (part < 2 && *s++ != '.') {
            return false;
        }
    }
    return *s == '\0';
}

/* Refuses members other than 'allowed' (NULL-terminated): a misspelt
 * "maxrows" must not be silently ignored. */
static int
check_members(json_object *obj, const char *const *allowed,
              const char *where, struct ovsdb_error *err)
{
    json_object_object_foreach(obj, key, val) {
        (void) val;
        const char *const *a = allowed;
        while (*a && strcmp(*a, key)) {
            a++;
        }
        if (!*a) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                                   "%s: unknown member \"%s\"", where, key);
        }
    }
    return 0;
}

static json_object *
get_member(json_object *obj, const char *key, enum json_type type)
{
    json_object *val;
    if (!json_object_object_get_ex(obj, key, &val)
        || !json_object_is_type(val, type)) {
        return NULL;
    }
    return val;
}

static bool
has_member(json_object *obj, const char *key)
{
    return json_object_object_get_ex(obj, key, NULL);
}

static int
bad(struct ovsdb_error *err, const char *where, const char *what)
{
    return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX, "%s: %s",
                           where, what);
}

static int
get_int_member(json_object *obj, const char *key, int64_t *out,
               const char *where, struct ovsdb_error *err)
{
    if (!has_member(obj, key)) {
        return 0;
    }
    json_object *v = get_member(obj, key, json_type_int);
    if (!v) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "%s: \"%s\" must be an integer", where, key);
    }
    *out = json_object_get_int64(v);
    return 0;
}

static int
get_real_member(json_object *obj, const char *key, double *out,
                const char *where, struct ovsdb_error *err)
{
    if (!has_member(obj, key)) {
        return 0;
    }
    json_object *v = get_member(obj, key, json_type_double);
    if (!v) {
        v = get_member(obj, key, json_type_int);
    }
    if (!v) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "%s: \"%s\" must be a number", where, key);
    }
    *out = json_object_get_double(v);
    return 0;
}

static int
get_bool_member(json_object *obj, const char *key, bool *out,
                const char *where, struct ovsdb_error *err)
{
    if (!has_member(obj, key)) {
        return 0;
    }
    json_object *v = get_member(obj, key, json_type_boolean);
    if (!v) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "%s: \"%s\" must be a boolean", where, key);
    }
    *out = json_object_get_boolean(v);
    return 0;
}

/* RFC 7047 §3.2: minInteger/maxInteger only for integers, and so on. */
static int
base_check_member_types(json_object *obj, enum ovsdb_atomic_type t,
                        const char *where, struct ovsdb_error *err)
{
    static const struct {
        const char *key;
        enum ovsdb_atomic_type type;
    } only[] = {
        { "minInteger", OVSDB_TYPE_INTEGER }, { "maxInteger", OVSDB_TYPE_INTEGER },
        { "minReal", OVSDB_TYPE_REAL }, { "maxReal", OVSDB_TYPE_REAL },
        { "minLength", OVSDB_TYPE_STRING }, { "maxLength", OVSDB_TYPE_STRING },
        { "refTable", OVSDB_TYPE_UUID }, { "refType", OVSDB_TYPE_UUID },
    };
    for (size_t i = 0; i < RSW_ARRAY_SIZE(only); i++) {
        if (has_member(obj, only[i].key) && t != only[i].type) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                                   "%s: \"%s\" is not allowed for type %s",
                                   where, only[i].key,
                                   ovsdb_atomic_type_name(t));
        }
    }
    return 0;
}

static int
base_parse_ranges(struct ovsdb_base_type *b, json_object *obj,
                  const char *where, struct ovsdb_error *err)
{
    int64_t min_len = 0, max_len = UINT32_MAX;
    int error = get_int_member(obj, "minInteger", &b->min_int, where, err);
    error = error ? error : get_int_member(obj, "maxInteger", &b->max_int,
                                           where, err);
    error = error ? error : get_real_member(obj, "minReal", &b->min_real,
                                            where, err);
    error = error ? error : get_real_member(obj, "maxReal", &b->max_real,
                                            where, err);
    error = error ? error : get_int_member(obj, "minLength", &min_len,
                                           where, err);
    error = error ? error : get_int_member(obj, "maxLength", &max_len,
                                           where, err);
    if (error) {
        return error;
    }
    if (b->min_int > b->max_int || b->min_real > b->max_real) {
        return bad(err, where, "minimum is greater than maximum");
    }
    if (min_len < 0 || max_len < 0 || min_len > UINT32_MAX
        || max_len > UINT32_MAX || min_len > max_len) {
        return bad(err, where, "minLength/maxLength out of range");
    }
    b->min_len = min_len;
    b->max_len = max_len;
    return 0;
}

static int
base_parse_ref(struct ovsdb_base_type *b, json_object *obj,
               const char *where, struct ovsdb_error *err)
{
    json_object *rt = NULL;
    if (has_member(obj, "refTable")) {
        rt = get_member(obj, "refTable", json_type_string);
        if (!rt || !is_valid_id(json_object_get_string(rt))) {
            return bad(err, where, "\"refTable\" must be a table name");
        }
        b->ref_table_name = ovsdb_xstrdup(json_object_get_string(rt));
    }
    if (has_member(obj, "refType")) {
        json_object *ty = get_member(obj, "refType", json_type_string);
        const char *s = ty ? json_object_get_string(ty) : "";
        if (!rt) {
            return bad(err, where, "\"refType\" requires \"refTable\"");
        } else if (!strcmp(s, "strong")) {
            b->ref_type = OVSDB_REF_STRONG;
        } else if (!strcmp(s, "weak")) {
            b->ref_type = OVSDB_REF_WEAK;
        } else {
            return bad(err, where, "\"refType\" must be \"strong\" or \"weak\"");
        }
    }
    return 0;
}

static int
base_parse_enum(struct ovsdb_base_type *b, json_object *obj,
                const char *where, struct ovsdb_error *err)
{
    json_object *ej;
    if (!json_object_object_get_ex(obj, "enum", &ej)) {
        return 0;
    }
    struct ovsdb_type t;
    struct ovsdb_error sub = { 0 };
    enum_type_init(&t, b);
    b->enum_ = ovsdb_xzalloc(sizeof *b->enum_);
    if (ovsdb_datum_from_json(b->enum_, &t, ej, NULL, false, &sub)) {
        free(b->enum_);
        b->enum_ = NULL;
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "%s: bad \"enum\": %s", where, sub.details);
    }
    if (!b->enum_->n) {
        return bad(err, where, "\"enum\" must not be empty");
    }
    /* Enum members must themselves satisfy the other constraints. */
    struct ovsdb_base_type plain = *b;
    plain.enum_ = NULL;
    for (size_t i = 0; i < b->enum_->n; i++) {
        if (ovsdb_atom_check_constraints(&b->enum_->keys[i], &plain, &sub)) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                                   "%s: \"enum\" member: %s", where,
                                   sub.details);
        }
    }
    return 0;
}

static int
base_type_from_json(struct ovsdb_base_type *b, json_object *j,
                    const char *where, struct ovsdb_error *err)
{
    static const char *const allowed[] = {
        "type", "enum", "minInteger", "maxInteger", "minReal", "maxReal",
        "minLength", "maxLength", "refTable", "refType", NULL,
    };
    enum ovsdb_atomic_type t;
    json_object *tj = j;

    ovsdb_base_type_init(b, OVSDB_TYPE_VOID);
    if (json_object_is_type(j, json_type_object)) {
        int error = check_members(j, allowed, where, err);
        if (error) {
            return error;
        }
        tj = get_member(j, "type", json_type_string);
    }
    if (!tj || !json_object_is_type(tj, json_type_string)
        || atomic_type_from_string(json_object_get_string(tj), &t)) {
        return bad(err, where, "type must be one of integer, real, "
                   "boolean, string, uuid");
    }
    b->type = t;
    if (j == tj) {
        return 0;
    }
    int error = base_check_member_types(j, t, where, err);
    error = error ? error : base_parse_ranges(b, j, where, err);
    error = error ? error : base_parse_ref(b, j, where, err);
    error = error ? error : base_parse_enum(b, j, where, err);
    return error;
}

static int
type_parse_max(struct ovsdb_type *t, json_object *j, const char *where,
               struct ovsdb_error *err)
{
    json_object *mx;
    if (!json_object_object_get_ex(j, "max", &mx)) {
        return 0;
    }
    if (json_object_is_type(mx, json_type_string)
        && !strcmp(json_object_get_string(mx), "unlimited")) {
        t->n_max = OVSDB_N_MAX_UNLIMITED;
        return 0;
    }
    int64_t v = json_object_get_int64(mx);
    if (!json_object_is_type(mx, json_type_int) || v < 1 || v > INT32_MAX) {
        return bad(err, where, "\"max\" must be a positive integer or "
                   "\"unlimited\"");
    }
    t->n_max = v;
    return 0;
}

/* RFC 7047 §3.2 <type>. */
static int
type_from_json(struct ovsdb_type *t, json_object *j, const char *where,
               struct ovsdb_error *err)
{
    static const char *const allowed[] = { "key", "value", "min", "max",
                                           NULL };
    json_object *kj, *vj, *mn;
    int error;

    ovsdb_base_type_init(&t->key, OVSDB_TYPE_VOID);
    ovsdb_base_type_init(&t->value, OVSDB_TYPE_VOID);
    t->n_min = t->n_max = 1;
    if (json_object_is_type(j, json_type_string)) {
        return base_type_from_json(&t->key, j, where, err);
    } else if (!json_object_is_type(j, json_type_object)) {
        return bad(err, where, "type must be a string or an object");
    }
    error = check_members(j, allowed, where, err);
    if (error) {
        return error;
    }
    if (!json_object_object_get_ex(j, "key", &kj)) {
        return bad(err, where, "type object needs \"key\"");
    }
    error = base_type_from_json(&t->key, kj, where, err);
    if (!error && json_object_object_get_ex(j, "value", &vj)) {
        error = base_type_from_json(&t->value, vj, where, err);
    }
    if (!error && json_object_object_get_ex(j, "min", &mn)) {
        int64_t v = json_object_get_int64(mn);
        if (!json_object_is_type(mn, json_type_int) || v < 0 || v > 1) {
            return bad(err, where, "\"min\" must be 0 or 1");
        }
        t->n_min = v;
    }
    error = error ? error : type_parse_max(t, j, where, err);
    if (!error && t->n_min > t->n_max) {
        return bad(err, where, "\"min\" is greater than \"max\"");
    }
    return error;
}

static void
type_destroy(struct ovsdb_type *t)
{
    base_type_destroy(&t->key);
    base_type_destroy(&t->value);
}

/* The implicit RFC 7047 §3.2 columns: _uuid and _version, both read-only
 * scalar UUIDs. */
static void
column_init_implicit(struct ovsdb_column_schema *c, const char *name,
                     unsigned index)
{
    memset(c, 0, sizeof *c);
    c->name = ovsdb_xstrdup(name);
    c->index = index;
    ovsdb_base_type_init(&c->type.key, OVSDB_TYPE_UUID);
    ovsdb_base_type_init(&c->type.value, OVSDB_TYPE_VOID);
    c->type.n_min = c->type.n_max = 1;
    c->mutable_ = false;
}

static int
column_from_json(struct ovsdb_column_schema *c, const char *table,
                 const char *name, json_object *j, struct ovsdb_error *err)
{
    static const char *const allowed[] = { "type", "ephemeral", "mutable",
                                           NULL };
    char where[256];
    json_object *tj;

    snprintf(where, sizeof where, "table %s column %s", table, name);
    c->name = ovsdb_xstrdup(name);
    c->mutable_ = true;
    ovsdb_base_type_init(&c->type.key, OVSDB_TYPE_VOID);
    ovsdb_base_type_init(&c->type.value, OVSDB_TYPE_VOID);
    if (!is_valid_id(name)) {
        return bad(err, where, "invalid column name (RFC 7047 <id>, no "
                   "leading underscore)");
    }
    if (!json_object_is_type(j, json_type_object)) {
        return bad(err, where, "column schema must be an object");
    }
    int error = check_members(j, allowed, where, err);
    if (error) {
        return error;
    }
    if (!json_object_object_get_ex(j, "type", &tj)) {
        return bad(err, where, "missing \"type\"");
    }
    error = type_from_json(&c->type, tj, where, err);
    error = error ? error : get_bool_member(j, "ephemeral", &c->ephemeral,
                                            where, err);
    error = error ? error : get_bool_member(j, "mutable", &c->mutable_,
                                            where, err);
    return error;
}

static void
table_destroy(struct ovsdb_table_schema *t)
{
    for (unsigned i = 0; i < t->n_columns; i++) {
        free(t->columns[i].name);
        type_destroy(&t->columns[i].type);
    }
    free(t->columns);
    for (unsigned i = 0; i < t->n_indexes; i++) {
        free(t->indexes[i].columns);
    }
    free(t->indexes);
    free(t->name);
}

static int
table_parse_columns(struct ovsdb_table_schema *t, json_object *cols,
                    struct ovsdb_error *err)
{
    size_t n = json_object_object_length(cols);
    if (!n) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "table %s: \"columns\" must not be empty",
                               t->name);
    }
    t->columns = ovsdb_xcalloc(n + 2, sizeof *t->columns);
    column_init_implicit(&t->columns[0], "_uuid", OVSDB_COL_UUID);
    column_init_implicit(&t->columns[1], "_version", OVSDB_COL_VERSION);
    t->n_columns = 2;
    json_object_object_foreach(cols, name, cj) {
        struct ovsdb_column_schema *c = &t->columns[t->n_columns];
        c->index = t->n_columns++;
        int error = column_from_json(c, t->name, name, cj, err);
        if (error) {
            return error;
        }
    }
    return 0;
}

/* RFC 7047 §3.2 "indexes": each a non-empty set of distinct, existing,
 * non-ephemeral columns whose combined value must be unique. */
static int
table_parse_index(struct ovsdb_table_schema *t, json_object *ij,
                  struct ovsdb_index_schema *idx, struct ovsdb_error *err)
{
    size_t n = json_object_is_type(ij, json_type_array)
               ? ovsdb_json_len(ij) : 0;
    if (!n) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX, "table %s: "
                               "an index must be a non-empty array of "
                               "column names", t->name);
    }
    idx->columns = ovsdb_xcalloc(n, sizeof *idx->columns);
    for (size_t i = 0; i < n; i++) {
        json_object *cj = ovsdb_json_idx(ij, i);
        const char *cn = json_object_is_type(cj, json_type_string)
                         ? json_object_get_string(cj) : "";
        const struct ovsdb_column_schema *c = ovsdb_schema_find_column(t, cn);
        if (!c || c->ephemeral) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                                   "table %s: index column \"%s\" %s",
                                   t->name, cn, c ? "is ephemeral"
                                   : "does not exist");
        }
        for (unsigned k = 0; k < idx->n_columns; k++) {
            if (idx->columns[k] == c->index) {
                return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                                       "table %s: column %s appears twice "
                                       "in one index", t->name, cn);
            }
        }
        idx->columns[idx->n_columns++] = c->index;
    }
    return 0;
}

static int
table_parse_indexes(struct ovsdb_table_schema *t, json_object *j,
                    struct ovsdb_error *err)
{
    json_object *ij;
    if (!json_object_object_get_ex(j, "indexes", &ij)) {
        return 0;
    }
    if (!json_object_is_type(ij, json_type_array)) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "table %s: \"indexes\" must be an array",
                               t->name);
    }
    size_t n = ovsdb_json_len(ij);
    t->indexes = ovsdb_xcalloc(n, sizeof *t->indexes);
    for (size_t i = 0; i < n; i++) {
        t->n_indexes++;
        int error = table_parse_index(t, ovsdb_json_idx(ij, i),
                                      &t->indexes[i], err);
        if (error) {
            return error;
        }
    }
    return 0;
}

static int
table_from_json(struct ovsdb_table_schema *t, const char *name,
                json_object *j, bool *explicit_root, struct ovsdb_error *err)
{
    static const char *const allowed[] = { "columns", "maxRows", "isRoot",
                                           "indexes", NULL };
    char where[160];
    int64_t max_rows = INT64_MAX;
    json_object *cols;

    snprintf(where, sizeof where, "table %s", name);
    t->name = ovsdb_xstrdup(name);
    t->max_rows = UINT64_MAX;
    if (!is_valid_id(name)) {
        return bad(err, where, "invalid table name (RFC 7047 <id>, no "
                   "leading underscore)");
    }
    if (!json_object_is_type(j, json_type_object)) {
        return bad(err, where, "table schema must be an object");
    }
    int error = check_members(j, allowed, where, err);
    cols = get_member(j, "columns", json_type_object);
    if (!error && !cols) {
        return bad(err, where, "\"columns\" object is required");
    }
    error = error ? error : table_parse_columns(t, cols, err);
    error = error ? error : get_int_member(j, "maxRows", &max_rows, where,
                                           err);
    if (!error && max_rows < 1) {
        return bad(err, where, "\"maxRows\" must be positive");
    }
    t->max_rows = max_rows == INT64_MAX ? UINT64_MAX : (uint64_t) max_rows;
    *explicit_root = has_member(j, "isRoot");
    error = error ? error : get_bool_member(j, "isRoot", &t->is_root,
                                            where, err);
    error = error ? error : table_parse_indexes(t, j, err);
    return error;
}

static int
resolve_ref(struct ovsdb_schema *s, struct ovsdb_table_schema *t,
            struct ovsdb_column_schema *c, struct ovsdb_base_type *b,
            struct ovsdb_error *err)
{
    if (!b->ref_table_name) {
        return 0;
    }
    b->ref_table = (struct ovsdb_table_schema *)
        ovsdb_schema_find_table(s, b->ref_table_name);
    if (!b->ref_table) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "table %s column %s: refTable \"%s\" does "
                               "not exist", t->name, c->name,
                               b->ref_table_name);
    }
    return 0;
}

static int
schema_resolve_refs(struct ovsdb_schema *s, struct ovsdb_error *err)
{
    for (unsigned i = 0; i < s->n_tables; i++) {
        struct ovsdb_table_schema *t = &s->tables[i];
        for (unsigned k = 0; k < t->n_columns; k++) {
            struct ovsdb_column_schema *c = &t->columns[k];
            int error = resolve_ref(s, t, c, &c->type.key, err);
            error = error ? error : resolve_ref(s, t, c, &c->type.value, err);
            if (error) {
                return error;
            }
        }
    }
    return 0;
}

static int
schema_parse_header(struct ovsdb_schema *s, json_object *j,
                    struct ovsdb_error *err)
{
    static const char *const allowed[] = { "name", "version", "cksum",
                                           "tables", NULL };
    json_object *v;
    int error = check_members(j, allowed, "schema", err);
    if (error) {
        return error;
    }
    v = get_member(j, "name", json_type_string);
    if (!v || !is_valid_id(json_object_get_string(v))) {
        return bad(err, "schema", "\"name\" must be an <id>");
    }
    s->name = ovsdb_xstrdup(json_object_get_string(v));
    v = get_member(j, "version", json_type_string);
    if (!v || !is_valid_version(json_object_get_string(v))) {
        return bad(err, "schema", "\"version\" must be like \"1.2.3\"");
    }
    s->version = ovsdb_xstrdup(json_object_get_string(v));
    if (has_member(j, "cksum")) {
        v = get_member(j, "cksum", json_type_string);
        if (!v) {
            return bad(err, "schema", "\"cksum\" must be a string");
        }
        s->cksum = ovsdb_xstrdup(json_object_get_string(v));
    }
    return 0;
}

static int
schema_parse_tables(struct ovsdb_schema *s, json_object *j,
                    struct ovsdb_error *err)
{
    json_object *tables = get_member(j, "tables", json_type_object);
    bool any_root = false;

    if (!tables || !json_object_object_length(tables)) {
        return bad(err, "schema", "\"tables\" must be a non-empty object");
    }
    s->tables = ovsdb_xcalloc(json_object_object_length(tables),
                              sizeof *s->tables);
    json_object_object_foreach(tables, name, tj) {
        struct ovsdb_table_schema *t = &s->tables[s->n_tables];
        bool explicit_root;
        t->index = s->n_tables++;
        int error = table_from_json(t, name, tj, &explicit_root, err);
        if (error) {
            return error;
        }
        any_root |= t->is_root;
    }
    /* RFC 7047 §3.2: a schema where no table says isRoot (an old-style
     * schema) treats every table as a root table, so nothing is
     * garbage-collected behind the user's back. */
    if (!any_root) {
        for (unsigned i = 0; i < s->n_tables; i++) {
            s->tables[i].is_root = true;
        }
    }
    return schema_resolve_refs(s, err);
}

int
ovsdb_schema_from_json(json_object *j, struct ovsdb_schema **sp,
                       struct ovsdb_error *err)
{
    struct ovsdb_schema *s = ovsdb_xzalloc(sizeof *s);
    int error;

    *sp = NULL;
    if (!json_object_is_type(j, json_type_object)) {
        error = bad(err, "schema", "must be a JSON object");
        goto err_free;
    }
    error = schema_parse_header(s, j, err);
    error = error ? error : schema_parse_tables(s, j, err);
    if (error) {
        goto err_free;
    }
    s->json = json_object_get(j);
    *sp = s;
    return 0;

err_free:
    ovsdb_schema_destroy(s);
    return error;
}

int
ovsdb_schema_from_string(const char *text, struct ovsdb_schema **sp,
                         struct ovsdb_error *err)
{
    json_object *j = ovsdb_json_parse(text, strlen(text), SCHEMA_MAX_DEPTH);
    *sp = NULL;
    if (!j) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "schema: not valid JSON");
    }
    int error = ovsdb_schema_from_json(j, sp, err);
    json_object_put(j);
    return error;
}

int
ovsdb_schema_from_file(const char *path, struct ovsdb_schema **sp,
                       struct ovsdb_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;
    int error;

    *sp = NULL;
    if (!f) {
        error = -errno;
        return ovsdb_error_set(err, error, OVSDB_E_IO, "%s: %s", path,
                               strerror(-error));
    }
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) {
        ovsdb_oom();
    }
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        fwrite(chunk, 1, n, mem);
    }
    error = ferror(f) ? -EIO : 0;
    fclose(f);
    fclose(mem);
    if (error) {
        ovsdb_error_set(err, error, OVSDB_E_IO, "%s: read error", path);
    } else if (strlen(buf) != len) {
        error = ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                                "%s: NUL byte in schema", path);
    } else {
        error = ovsdb_schema_from_string(buf, sp, err);
    }
    free(buf);
    return error;
}

void
ovsdb_schema_destroy(struct ovsdb_schema *s)
{
    if (!s) {
        return;
    }
    for (unsigned i = 0; i < s->n_tables; i++) {
        table_destroy(&s->tables[i]);
    }
    free(s->tables);
    free(s->name);
    free(s->version);
    free(s->cksum);
    json_object_put(s->json);
    free(s);
}

json_object *
ovsdb_schema_to_json(const struct ovsdb_schema *s)
{
    return json_object_get(s->json);
}

bool
ovsdb_schema_equal(const struct ovsdb_schema *a, const struct ovsdb_schema *b)
{
    return json_object_equal(a->json, b->json) != 0;
}

const struct ovsdb_table_schema *
ovsdb_schema_find_table(const struct ovsdb_schema *s, const char *name)
{
    for (unsigned i = 0; i < s->n_tables; i++) {
        if (!strcmp(s->tables[i].name, name)) {
            return &s->tables[i];
        }
    }
    return NULL;
}

const struct ovsdb_column_schema *
ovsdb_schema_find_column(const struct ovsdb_table_schema *t, const char *name)
{
    for (unsigned i = 0; i < t->n_columns; i++) {
        if (!strcmp(t->columns[i].name, name)) {
            return &t->columns[i];
        }
    }
    return NULL;
}

int
ovsdb_schema_rsw(struct ovsdb_schema **sp, struct ovsdb_error *err)
{
    return ovsdb_schema_from_string(ovsdb_rsw_schema_text, sp, err);
}
