/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 7047 §5.1 <mutation>: parsing and application. */
#include "cond.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

enum mutator {
    MUT_ADD, MUT_SUB, MUT_MUL, MUT_DIV, MUT_MOD, MUT_INSERT, MUT_DELETE,
};

static const char *const mutator_names[] = {
    [MUT_ADD] = "+=", [MUT_SUB] = "-=", [MUT_MUL] = "*=", [MUT_DIV] = "/=",
    [MUT_MOD] = "%=", [MUT_INSERT] = "insert", [MUT_DELETE] = "delete",
};

struct mutation {
    enum mutator mutator;
    const struct ovsdb_column_schema *column;
    struct ovsdb_type arg_type;
    struct ovsdb_datum arg;
};

struct ovsdb_mutation_set {
    struct mutation *muts;
    size_t n;
};

static int
mutator_from_string(const char *s, enum mutator *m)
{
    for (size_t i = 0; i < RSW_ARRAY_SIZE(mutator_names); i++) {
        if (!strcmp(s, mutator_names[i])) {
            *m = i;
            return 0;
        }
    }
    return -EINVAL;
}

/* RFC 7047 §5.1: arithmetic mutators need an integer or real column (a
 * scalar or a set, whose every element is changed; "%=" integer only);
 * "insert" and "delete" need a set or map column. */
static bool
mutator_allowed(enum mutator m, const struct ovsdb_type *t)
{
    if (m == MUT_INSERT || m == MUT_DELETE) {
        return !ovsdb_type_is_scalar(t);
    }
    if (ovsdb_type_is_map(t)) {
        return false;
    }
    return t->key.type == OVSDB_TYPE_INTEGER
           || (t->key.type == OVSDB_TYPE_REAL && m != MUT_MOD);
}

/* Argument types (constraints ignored, RFC 7047 §5.1): a single atom for
 * arithmetic, any-size set or map for insert, and for "delete" on a map
 * either a map or a set of keys. */
static int
mutation_parse_arg(struct mutation *m, json_object *vj,
                   struct ovsdb_symtab *st, struct ovsdb_error *err)
{
    const struct ovsdb_type *ct = &m->column->type;
    m->arg_type = *ct;
    m->arg_type.n_min = 0;
    m->arg_type.n_max = OVSDB_N_MAX_UNLIMITED;
    if (m->mutator < MUT_INSERT) {
        m->arg_type.n_min = m->arg_type.n_max = 1;
        ovsdb_base_type_init(&m->arg_type.key, ct->key.type);
        return ovsdb_datum_from_json(&m->arg, &m->arg_type, vj, st, true,
                                     err);
    }
    if (m->mutator == MUT_DELETE && ovsdb_type_is_map(ct)) {
        if (!ovsdb_datum_from_json(&m->arg, &m->arg_type, vj, st, true,
                                   NULL)) {
            return 0;
        }
        ovsdb_base_type_init(&m->arg_type.value, OVSDB_TYPE_VOID);
    }
    return ovsdb_datum_from_json(&m->arg, &m->arg_type, vj, st, true, err);
}

static int
mutation_from_json(struct mutation *m, const struct ovsdb_table_schema *ts,
                   json_object *j, struct ovsdb_symtab *st,
                   struct ovsdb_error *err)
{
    json_object *cj = ovsdb_json_idx(j, 0);
    json_object *mj = ovsdb_json_idx(j, 1);
    const char *cn = json_object_get_string(cj);
    struct ovsdb_error sub = { 0 };

    if (!json_object_is_type(j, json_type_array)
        || ovsdb_json_len(j) != 3
        || !json_object_is_type(cj, json_type_string)
        || !json_object_is_type(mj, json_type_string)
        || mutator_from_string(json_object_get_string(mj), &m->mutator)) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX, "mutation must "
                               "be [column, mutator, value] with mutator one "
                               "of += -= *= /= %%= insert delete");
    }
    m->column = ovsdb_schema_find_column(ts, cn);
    if (!m->column) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX, "table %s has "
                               "no column \"%.64s\"", ts->name, cn);
    }
    if (!m->column->mutable_) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_CONSTRAINT, "table %s "
                               "column %s is not mutable", ts->name, cn);
    }
    if (!mutator_allowed(m->mutator, &m->column->type)) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX, "table %s "
                               "column %s: mutator \"%s\" does not apply to "
                               "this column's type", ts->name, cn,
                               mutator_names[m->mutator]);
    }
    if (mutation_parse_arg(m, ovsdb_json_idx(j, 2), st, &sub)) {
        return ovsdb_error_set(err, -EINVAL, sub.tag, "table %s column %s "
                               "mutation value: %s", ts->name, cn,
                               sub.details);
    }
    return 0;
}

int
ovsdb_mutation_set_from_json(const struct ovsdb_table_schema *ts,
                             json_object *mj, struct ovsdb_symtab *st,
                             struct ovsdb_mutation_set **msp,
                             struct ovsdb_error *err)
{
    struct ovsdb_mutation_set *ms = ovsdb_xzalloc(sizeof *ms);
    size_t n;

    *msp = NULL;
    if (!json_object_is_type(mj, json_type_array)) {
        ovsdb_mutation_set_destroy(ms);
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "\"mutations\" must be an array");
    }
    n = ovsdb_json_len(mj);
    ms->muts = ovsdb_xcalloc(n, sizeof *ms->muts);
    for (size_t i = 0; i < n; i++) {
        int error = mutation_from_json(&ms->muts[i], ts,
                                       ovsdb_json_idx(mj, i),
                                       st, err);
        if (error) {
            ovsdb_mutation_set_destroy(ms);
            return error;
        }
        ms->n++;
    }
    *msp = ms;
    return 0;
}

void
ovsdb_mutation_set_destroy(struct ovsdb_mutation_set *ms)
{
    if (!ms) {
        return;
    }
    for (size_t i = 0; i < ms->n; i++) {
        ovsdb_datum_destroy(&ms->muts[i].arg, &ms->muts[i].arg_type);
    }
    free(ms->muts);
    free(ms);
}

/* RFC 7047 §5.1: overflow is a "range error", division by zero a "domain
 * error". */
static int
mutate_integer(int64_t *x, int64_t y, enum mutator m)
{
    int64_t r = 0;
    switch (m) {
    case MUT_ADD:
        return __builtin_add_overflow(*x, y, x) ? -ERANGE : 0;
    case MUT_SUB:
        return __builtin_sub_overflow(*x, y, x) ? -ERANGE : 0;
    case MUT_MUL:
        return __builtin_mul_overflow(*x, y, x) ? -ERANGE : 0;
    case MUT_DIV:
    case MUT_MOD:
        if (!y) {
            return -EDOM;
        }
        if (*x == INT64_MIN && y == -1) {
            if (m == MUT_DIV) {
                return -ERANGE;
            }
        } else {
            r = m == MUT_DIV ? *x / y : *x % y;
        }
        *x = r;
        return 0;
    default:
        return -EINVAL;
    }
}

static int
mutate_real(double *x, double y, enum mutator m)
{
    double r;
    switch (m) {
    case MUT_ADD: r = *x + y; break;
    case MUT_SUB: r = *x - y; break;
    case MUT_MUL: r = *x * y; break;
    case MUT_DIV:
        if (y == 0) {
            return -EDOM;
        }
        r = *x / y;
        break;
    default:
        return -EINVAL;
    }
    if (!isfinite(r)) {
        return -ERANGE;
    }
    *x = r;
    return 0;
}

static int
mutation_arith(const struct mutation *m, struct ovsdb_datum *d,
               const struct ovsdb_table_schema *ts, struct ovsdb_error *err)
{
    const struct ovsdb_type *t = &m->column->type;
    const char *name = mutator_names[m->mutator];
    for (size_t i = 0; i < d->n; i++) {
        int error = t->key.type == OVSDB_TYPE_INTEGER
            ? mutate_integer(&d->keys[i].integer, m->arg.keys[0].integer,
                             m->mutator)
            : mutate_real(&d->keys[i].real, m->arg.keys[0].real, m->mutator);
        if (error == -EDOM) {
            return ovsdb_error_set(err, error, OVSDB_E_DOMAIN, "table %s "
                                   "column %s: \"%s\" by zero", ts->name,
                                   m->column->name, name);
        } else if (error) {
            return ovsdb_error_set(err, error, OVSDB_E_RANGE, "table %s "
                                   "column %s: result of \"%s\" is out of "
                                   "range", ts->name, m->column->name, name);
        }
    }
    if (ovsdb_datum_sort(d, t, false)) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_CONSTRAINT, "table %s "
                               "column %s: result of \"%s\" contains "
                               "duplicate values", ts->name, m->column->name,
                               name);
    }
    return 0;
}

static int
mutation_apply(const struct mutation *m, struct ovsdb_row *row,
               struct ovsdb_error *err)
{
    const struct ovsdb_table_schema *ts = row->table->schema;
    struct ovsdb_datum *d = &row->fields[m->column->index];
    char what[160];
    int error = 0;

    if (m->mutator == MUT_INSERT) {
        ovsdb_datum_union(d, &m->arg, &m->column->type);
    } else if (m->mutator == MUT_DELETE) {
        ovsdb_datum_subtract(d, &m->column->type, &m->arg, &m->arg_type);
    } else {
        error = mutation_arith(m, d, ts, err);
    }
    if (error) {
        return error;
    }
    /* RFC 7047 §5.2.4: a result the column cannot hold (too many or too
     * few elements, out of range, not in the enum) is a constraint
     * violation. */
    snprintf(what, sizeof what, "table %s column %s after \"%s\"", ts->name,
             m->column->name, mutator_names[m->mutator]);
    return ovsdb_datum_check_constraints(d, &m->column->type, what, err);
}

int
ovsdb_mutation_set_apply(const struct ovsdb_mutation_set *ms,
                         struct ovsdb_row *row, struct ovsdb_error *err)
{
    for (size_t i = 0; i < ms->n; i++) {
        int error = mutation_apply(&ms->muts[i], row, err);
        if (error) {
            return error;
        }
    }
    return 0;
}
