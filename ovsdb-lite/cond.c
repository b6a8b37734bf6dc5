/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 7047 §5.1 <condition>: parsing and evaluation. */
#include "cond.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

enum cond_function {
    COND_LT, COND_LE, COND_EQ, COND_NE, COND_GE, COND_GT,
    COND_INCLUDES, COND_EXCLUDES,
};

static const char *const cond_names[] = {
    [COND_LT] = "<", [COND_LE] = "<=", [COND_EQ] = "==", [COND_NE] = "!=",
    [COND_GE] = ">=", [COND_GT] = ">", [COND_INCLUDES] = "includes",
    [COND_EXCLUDES] = "excludes",
};

struct clause {
    enum cond_function function;
    const struct ovsdb_column_schema *column;
    struct ovsdb_type arg_type;     /* column type, any size */
    struct ovsdb_datum arg;
};

struct ovsdb_condition {
    struct clause *clauses;
    size_t n;
};

static int
function_from_string(const char *s, enum cond_function *f)
{
    for (size_t i = 0; i < RSW_ARRAY_SIZE(cond_names); i++) {
        if (!strcmp(s, cond_names[i])) {
            *f = i;
            return 0;
        }
    }
    return -EINVAL;
}

/* RFC 7047 §5.1: the ordering functions apply only to integer and real
 * columns holding at most one value. */
static bool
function_allowed(enum cond_function f, const struct ovsdb_type *t)
{
    bool ordering = f == COND_LT || f == COND_LE || f == COND_GE
                    || f == COND_GT;
    if (!ordering) {
        return true;
    }
    return (ovsdb_type_is_scalar(t) || ovsdb_type_is_optional_scalar(t))
           && (t->key.type == OVSDB_TYPE_INTEGER
               || t->key.type == OVSDB_TYPE_REAL);
}

static int
clause_from_json(struct clause *c, const struct ovsdb_table_schema *ts,
                 json_object *j, struct ovsdb_symtab *st,
                 struct ovsdb_error *err)
{
    json_object *cj = ovsdb_json_idx(j, 0);
    json_object *fj = ovsdb_json_idx(j, 1);
    const char *cn = json_object_get_string(cj);
    struct ovsdb_error sub = { 0 };

    if (!json_object_is_type(j, json_type_array)
        || ovsdb_json_len(j) != 3
        || !json_object_is_type(cj, json_type_string)
        || !json_object_is_type(fj, json_type_string)
        || function_from_string(json_object_get_string(fj), &c->function)) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX, "condition "
                               "must be [column, function, value] with "
                               "function one of < <= == != >= > includes "
                               "excludes");
    }
    c->column = ovsdb_schema_find_column(ts, cn);
    if (!c->column) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX, "table %s has "
                               "no column \"%.64s\"", ts->name, cn);
    }
    if (!function_allowed(c->function, &c->column->type)) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX, "table %s "
                               "column %s: \"%s\" needs an integer or real "
                               "column with at most one value", ts->name, cn,
                               cond_names[c->function]);
    }
    /* Constraints on the column are ignored when parsing the value: a
     * value the column could never hold simply never matches. */
    c->arg_type = c->column->type;
    c->arg_type.n_min = 0;
    c->arg_type.n_max = OVSDB_N_MAX_UNLIMITED;
    if (ovsdb_datum_from_json(&c->arg, &c->arg_type,
                              ovsdb_json_idx(j, 2), st, true,
                              &sub)) {
        return ovsdb_error_set(err, -EINVAL, sub.tag, "table %s column %s "
                               "condition value: %s", ts->name, cn,
                               sub.details);
    }
    if (c->function <= COND_GT && c->function != COND_EQ
        && c->function != COND_NE && c->arg.n != 1) {
        ovsdb_datum_destroy(&c->arg, &c->arg_type);
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX, "table %s "
                               "column %s: \"%s\" needs a single value",
                               ts->name, cn, cond_names[c->function]);
    }
    return 0;
}

int
ovsdb_condition_from_json(const struct ovsdb_table_schema *ts,
                          json_object *where, struct ovsdb_symtab *st,
                          struct ovsdb_condition **condp,
                          struct ovsdb_error *err)
{
    struct ovsdb_condition *cond = ovsdb_xzalloc(sizeof *cond);
    size_t n;

    *condp = NULL;
    if (!json_object_is_type(where, json_type_array)) {
        ovsdb_condition_destroy(cond);
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "\"where\" must be an array of conditions");
    }
    n = ovsdb_json_len(where);
    cond->clauses = ovsdb_xcalloc(n, sizeof *cond->clauses);
    for (size_t i = 0; i < n; i++) {
        int error = clause_from_json(&cond->clauses[i], ts,
                                     ovsdb_json_idx(where, i),
                                     st, err);
        if (error) {
            ovsdb_condition_destroy(cond);
            return error;
        }
        cond->n++;
    }
    *condp = cond;
    return 0;
}

void
ovsdb_condition_destroy(struct ovsdb_condition *cond)
{
    if (!cond) {
        return;
    }
    for (size_t i = 0; i < cond->n; i++) {
        ovsdb_datum_destroy(&cond->clauses[i].arg, &cond->clauses[i].arg_type);
    }
    free(cond->clauses);
    free(cond);
}

static bool
clause_evaluate(const struct clause *c, const struct ovsdb_row *row)
{
    const struct ovsdb_datum *d = &row->fields[c->column->index];
    const struct ovsdb_type *t = &c->arg_type;
    int cmp;

    switch (c->function) {
    case COND_EQ:
        return ovsdb_datum_equals(d, &c->arg, t);
    case COND_NE:
        return !ovsdb_datum_equals(d, &c->arg, t);
    case COND_INCLUDES:
        return ovsdb_datum_includes_all(&c->arg, d, t);
    case COND_EXCLUDES:
        return ovsdb_datum_excludes_all(&c->arg, d, t);
    default:
        break;
    }
    /* An optional scalar that is empty satisfies no ordering. */
    if (d->n != 1) {
        return false;
    }
    cmp = ovsdb_atom_compare(&d->keys[0], &c->arg.keys[0], t->key.type);
    switch (c->function) {
    case COND_LT: return cmp < 0;
    case COND_LE: return cmp <= 0;
    case COND_GE: return cmp >= 0;
    case COND_GT: return cmp > 0;
    default: return false;
    }
}

bool
ovsdb_condition_evaluate(const struct ovsdb_condition *cond,
                         const struct ovsdb_row *row)
{
    for (size_t i = 0; i < cond->n; i++) {
        if (!clause_evaluate(&cond->clauses[i], row)) {
            return false;
        }
    }
    return true;
}

const struct ovsdb_uuid *
ovsdb_condition_pinned_uuid(const struct ovsdb_condition *cond)
{
    for (size_t i = 0; i < cond->n; i++) {
        const struct clause *c = &cond->clauses[i];
        if (c->function == COND_EQ && c->column->index == OVSDB_COL_UUID
            && c->arg.n == 1) {
            return &c->arg.keys[0].uuid;
        }
    }
    return NULL;
}
