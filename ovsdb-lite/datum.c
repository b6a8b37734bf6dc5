/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 7047 §5.1 datums: sorted sets and maps, their JSON notation and the
 * set algebra behind conditions and mutations. */
#include "data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

void
ovsdb_datum_init_empty(struct ovsdb_datum *d)
{
    d->n = 0;
    d->keys = NULL;
    d->values = NULL;
}

static void
datum_alloc(struct ovsdb_datum *d, size_t n, const struct ovsdb_type *t)
{
    d->n = 0;
    d->keys = ovsdb_xcalloc(n, sizeof *d->keys);
    d->values = ovsdb_type_is_map(t) ? ovsdb_xcalloc(n, sizeof *d->values)
                                     : NULL;
}

static void
base_default(union ovsdb_atom *a, const struct ovsdb_base_type *b)
{
    if (b->enum_ && b->enum_->n) {
        ovsdb_atom_clone(a, &b->enum_->keys[0], b->type);
    } else {
        ovsdb_atom_init_default(a, b->type);
    }
}

void
ovsdb_datum_init_default(struct ovsdb_datum *d, const struct ovsdb_type *t)
{
    if (!t->n_min) {
        ovsdb_datum_init_empty(d);
        return;
    }
    datum_alloc(d, 1, t);
    d->n = 1;
    base_default(&d->keys[0], &t->key);
    if (d->values) {
        base_default(&d->values[0], &t->value);
    }
}

void
ovsdb_datum_clone(struct ovsdb_datum *dst, const struct ovsdb_datum *src,
                  const struct ovsdb_type *t)
{
    if (!src->n) {
        ovsdb_datum_init_empty(dst);
        return;
    }
    datum_alloc(dst, src->n, t);
    for (size_t i = 0; i < src->n; i++) {
        ovsdb_atom_clone(&dst->keys[i], &src->keys[i], t->key.type);
        if (dst->values) {
            ovsdb_atom_clone(&dst->values[i], &src->values[i], t->value.type);
        }
    }
    dst->n = src->n;
}

void
ovsdb_datum_destroy(struct ovsdb_datum *d, const struct ovsdb_type *t)
{
    if (!d) {
        return;
    }
    for (size_t i = 0; i < d->n; i++) {
        ovsdb_atom_destroy(&d->keys[i], t->key.type);
        if (d->values) {
            ovsdb_atom_destroy(&d->values[i], t->value.type);
        }
    }
    free(d->keys);
    free(d->values);
    ovsdb_datum_init_empty(d);
}

void
ovsdb_datum_swap(struct ovsdb_datum *a, struct ovsdb_datum *b)
{
    struct ovsdb_datum tmp = *a;
    *a = *b;
    *b = tmp;
}

static int
elem_compare(const struct ovsdb_datum *a, size_t i,
             const struct ovsdb_datum *b, size_t k,
             const struct ovsdb_type *t)
{
    int c = ovsdb_atom_compare(&a->keys[i], &b->keys[k], t->key.type);
    if (!c && ovsdb_type_is_map(t)) {
        c = ovsdb_atom_compare(&a->values[i], &b->values[k], t->value.type);
    }
    return c;
}

int
ovsdb_datum_compare(const struct ovsdb_datum *a, const struct ovsdb_datum *b,
                    const struct ovsdb_type *t)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++) {
        int c = elem_compare(a, i, b, i, t);
        if (c) {
            return c;
        }
    }
    return a->n < b->n ? -1 : a->n > b->n;
}

bool
ovsdb_datum_equals(const struct ovsdb_datum *a, const struct ovsdb_datum *b,
                   const struct ovsdb_type *t)
{
    return a->n == b->n && !ovsdb_datum_compare(a, b, t);
}

uint32_t
ovsdb_datum_hash(const struct ovsdb_datum *d, const struct ovsdb_type *t,
                 uint32_t basis)
{
    uint32_t h = ovsdb_hash_add(basis, d->n);
    for (size_t i = 0; i < d->n; i++) {
        h = ovsdb_atom_hash(&d->keys[i], t->key.type, h);
        if (d->values) {
            h = ovsdb_atom_hash(&d->values[i], t->value.type, h);
        }
    }
    return h;
}

ptrdiff_t
ovsdb_datum_find_key(const struct ovsdb_datum *d, const union ovsdb_atom *key,
                     enum ovsdb_atomic_type kt)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = ovsdb_atom_compare(key, &d->keys[mid], kt);
        if (!c) {
            return mid;
        } else if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return -1;
}

/* Whether element 'i' of 'a' is present in 'b' (for maps with the same
 * value when 'match_value'). */
static bool
datum_contains(const struct ovsdb_datum *b, const struct ovsdb_datum *a,
               size_t i, const struct ovsdb_type *t, bool match_value)
{
    ptrdiff_t k = ovsdb_datum_find_key(b, &a->keys[i], t->key.type);
    if (k < 0) {
        return false;
    }
    return !match_value || !ovsdb_type_is_map(t)
           || !ovsdb_atom_compare(&a->values[i], &b->values[k],
                                  t->value.type);
}

bool
ovsdb_datum_includes_all(const struct ovsdb_datum *a,
                         const struct ovsdb_datum *b,
                         const struct ovsdb_type *t)
{
    for (size_t i = 0; i < a->n; i++) {
        if (!datum_contains(b, a, i, t, true)) {
            return false;
        }
    }
    return true;
}

bool
ovsdb_datum_excludes_all(const struct ovsdb_datum *a,
                         const struct ovsdb_datum *b,
                         const struct ovsdb_type *t)
{
    for (size_t i = 0; i < a->n; i++) {
        if (datum_contains(b, a, i, t, true)) {
            return false;
        }
    }
    return true;
}

/* ---- Sorting ---- */

struct sort_ctx {
    const struct ovsdb_datum *d;
    const struct ovsdb_type *t;
};

static int
sort_cmp(const void *a_, const void *b_, void *ctx_)
{
    const struct sort_ctx *ctx = ctx_;
    size_t a = *(const size_t *) a_, b = *(const size_t *) b_;
    int c = elem_compare(ctx->d, a, ctx->d, b, ctx->t);
    return c ? c : (a < b ? -1 : a > b);
}

static void
datum_permute(struct ovsdb_datum *d, const size_t *perm,
              const struct ovsdb_type *t)
{
    union ovsdb_atom *keys = ovsdb_xcalloc(d->n, sizeof *keys);
    union ovsdb_atom *values = NULL;
    if (ovsdb_type_is_map(t)) {
        values = ovsdb_xcalloc(d->n, sizeof *values);
    }
    for (size_t i = 0; i < d->n; i++) {
        keys[i] = d->keys[perm[i]];
        if (values) {
            values[i] = d->values[perm[i]];
        }
    }
    free(d->keys);
    free(d->values);
    d->keys = keys;
    d->values = values;
}

int
ovsdb_datum_sort(struct ovsdb_datum *d, const struct ovsdb_type *t,
                 bool dedup)
{
    if (d->n < 2) {
        return 0;
    }
    size_t *perm = ovsdb_xcalloc(d->n, sizeof *perm);
    struct sort_ctx ctx = { d, t };
    for (size_t i = 0; i < d->n; i++) {
        perm[i] = i;
    }
    qsort_r(perm, d->n, sizeof *perm, sort_cmp, &ctx);
    datum_permute(d, perm, t);
    free(perm);

    /* RFC 7047 §5.1: a set has no duplicate elements and a map no
     * duplicate keys. */
    size_t out = 1;
    for (size_t i = 1; i < d->n; i++) {
        if (ovsdb_atom_compare(&d->keys[out - 1], &d->keys[i], t->key.type)) {
            d->keys[out] = d->keys[i];
            if (d->values) {
                d->values[out] = d->values[i];
            }
            out++;
        } else if (dedup && !elem_compare(d, out - 1, d, i, t)) {
            ovsdb_atom_destroy(&d->keys[i], t->key.type);
            if (d->values) {
                ovsdb_atom_destroy(&d->values[i], t->value.type);
            }
        } else {
            /* Keep the tail owned by 'd' so destroy frees it. */
            for (size_t k = i; k < d->n; k++, out++) {
                d->keys[out] = d->keys[k];
                if (d->values) {
                    d->values[out] = d->values[k];
                }
            }
            d->n = out;
            return -EINVAL;
        }
    }
    d->n = out;
    return 0;
}

/* ---- JSON (RFC 7047 §5.1 <value>, <set>, <map>) ---- */

static bool
is_tagged(json_object *j, const char *tag)
{
    json_object *t = ovsdb_json_idx(j, 0);
    return json_object_is_type(j, json_type_array)
           && ovsdb_json_len(j) == 2
           && json_object_is_type(t, json_type_string)
           && !strcmp(json_object_get_string(t), tag);
}

static int
datum_parse_map(struct ovsdb_datum *d, const struct ovsdb_type *t,
                json_object *j, struct ovsdb_symtab *st,
                struct ovsdb_error *err)
{
    json_object *pairs = ovsdb_json_idx(j, 1);
    if (!is_tagged(j, "map") || !json_object_is_type(pairs, json_type_array)) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "expected [\"map\", [[key, value], ...]]");
    }
    size_t n = ovsdb_json_len(pairs);
    datum_alloc(d, n, t);
    for (size_t i = 0; i < n; i++) {
        json_object *p = ovsdb_json_idx(pairs, i);
        if (!json_object_is_type(p, json_type_array)
            || ovsdb_json_len(p) != 2) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                                   "map element must be [key, value]");
        }
        int error = ovsdb_atom_from_json(&d->keys[i], &t->key,
                                         ovsdb_json_idx(p, 0),
                                         st, err);
        if (error) {
            return error;
        }
        error = ovsdb_atom_from_json(&d->values[i], &t->value,
                                     ovsdb_json_idx(p, 1),
                                     st, err);
        d->n++;                 /* both atoms are now owned by 'd' */
        if (error) {
            return error;
        }
    }
    return 0;
}

static int
datum_parse_set(struct ovsdb_datum *d, const struct ovsdb_type *t,
                json_object *j, struct ovsdb_symtab *st,
                struct ovsdb_error *err)
{
    json_object *elems = j;
    size_t n = 1;
    if (is_tagged(j, "set")) {
        elems = ovsdb_json_idx(j, 1);
        if (!json_object_is_type(elems, json_type_array)) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                                   "expected [\"set\", [...]]");
        }
        n = ovsdb_json_len(elems);
    }
    datum_alloc(d, n, t);
    for (size_t i = 0; i < n; i++) {
        json_object *e = elems == j ? j : ovsdb_json_idx(elems, i);
        int error = ovsdb_atom_from_json(&d->keys[i], &t->key, e, st, err);
        if (error) {
            return error;
        }
        d->n++;
    }
    return 0;
}

int
ovsdb_datum_from_json(struct ovsdb_datum *d, const struct ovsdb_type *t,
                      json_object *j, struct ovsdb_symtab *st, bool relaxed,
                      struct ovsdb_error *err)
{
    int error;

    ovsdb_datum_init_empty(d);
    error = ovsdb_type_is_map(t) ? datum_parse_map(d, t, j, st, err)
                                 : datum_parse_set(d, t, j, st, err);
    if (!error && ovsdb_datum_sort(d, t, false)) {
        error = ovsdb_error_set(err, -EINVAL, OVSDB_E_CONSTRAINT,
                                ovsdb_type_is_map(t)
                                ? "map contains duplicate key"
                                : "set contains duplicate value");
    }
    if (!error && !relaxed) {
        error = ovsdb_datum_check_constraints(d, t, "value", err);
    }
    if (error) {
        ovsdb_datum_destroy(d, t);
    }
    return error;
}

json_object *
ovsdb_datum_to_json(const struct ovsdb_datum *d, const struct ovsdb_type *t)
{
    json_object *outer, *elems;

    /* RFC 7047 §5.1: a 1-element set may be written as its atom. */
    if (!ovsdb_type_is_map(t) && d->n == 1) {
        return ovsdb_atom_to_json(&d->keys[0], t->key.type);
    }
    outer = ovsdb_json_arr();
    elems = ovsdb_json_arr();
    ovsdb_json_push(outer, ovsdb_json_str(ovsdb_type_is_map(t) ? "map"
                                                               : "set"));
    for (size_t i = 0; i < d->n; i++) {
        json_object *k = ovsdb_atom_to_json(&d->keys[i], t->key.type);
        if (ovsdb_type_is_map(t)) {
            json_object *pair = ovsdb_json_arr();
            ovsdb_json_push(pair, k);
            ovsdb_json_push(pair, ovsdb_atom_to_json(&d->values[i],
                                                     t->value.type));
            k = pair;
        }
        ovsdb_json_push(elems, k);
    }
    ovsdb_json_push(outer, elems);
    return outer;
}

static int
datum_check_size(const struct ovsdb_datum *d, const struct ovsdb_type *t,
                 const char *what, struct ovsdb_error *err)
{
    if (d->n < t->n_min || d->n > t->n_max) {
        char max[16] = "unlimited";
        if (t->n_max != OVSDB_N_MAX_UNLIMITED) {
            snprintf(max, sizeof max, "%u", t->n_max);
        }
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_CONSTRAINT,
                               "%s: %zu value(s), but between %u and %s "
                               "are allowed", what, d->n, t->n_min, max);
    }
    return 0;
}

int
ovsdb_datum_check_constraints(const struct ovsdb_datum *d,
                              const struct ovsdb_type *t, const char *what,
                              struct ovsdb_error *err)
{
    struct ovsdb_error sub = { 0 };
    int error = datum_check_size(d, t, what, err);
    for (size_t i = 0; !error && i < d->n; i++) {
        error = ovsdb_atom_check_constraints(&d->keys[i], &t->key, &sub);
        if (!error && d->values) {
            error = ovsdb_atom_check_constraints(&d->values[i], &t->value,
                                                 &sub);
        }
        if (error) {
            ovsdb_error_set(err, error, sub.tag, "%s: %s", what,
                            sub.details);
        }
    }
    return error;
}

/* ---- Set algebra for RFC 7047 §5.1 mutations ---- */

static void
datum_append(struct ovsdb_datum *d, const struct ovsdb_datum *src, size_t i,
             const struct ovsdb_type *t)
{
    d->keys = ovsdb_xrealloc(d->keys, (d->n + 1) * sizeof *d->keys);
    ovsdb_atom_clone(&d->keys[d->n], &src->keys[i], t->key.type);
    if (ovsdb_type_is_map(t)) {
        d->values = ovsdb_xrealloc(d->values, (d->n + 1) * sizeof *d->values);
        ovsdb_atom_clone(&d->values[d->n], &src->values[i], t->value.type);
    }
    d->n++;
}

void
ovsdb_datum_union(struct ovsdb_datum *dst, const struct ovsdb_datum *src,
                  const struct ovsdb_type *t)
{
    size_t n0 = dst->n;
    for (size_t i = 0; i < src->n; i++) {
        struct ovsdb_datum old = { n0, dst->keys, dst->values };
        if (!datum_contains(&old, src, i, t, false)) {
            datum_append(dst, src, i, t);
        }
    }
    if (dst->n != n0) {
        /* Keys are distinct by construction, so sorting cannot fail. */
        if (ovsdb_datum_sort(dst, t, true)) {
            abort();
        }
    }
}

void
ovsdb_datum_remove_at(struct ovsdb_datum *d, size_t idx,
                      const struct ovsdb_type *t)
{
    ovsdb_atom_destroy(&d->keys[idx], t->key.type);
    memmove(&d->keys[idx], &d->keys[idx + 1],
            (d->n - idx - 1) * sizeof *d->keys);
    if (d->values) {
        ovsdb_atom_destroy(&d->values[idx], t->value.type);
        memmove(&d->values[idx], &d->values[idx + 1],
                (d->n - idx - 1) * sizeof *d->values);
    }
    d->n--;
}

void
ovsdb_datum_subtract(struct ovsdb_datum *dst,
                     const struct ovsdb_type *dst_type,
                     const struct ovsdb_datum *src,
                     const struct ovsdb_type *src_type)
{
    bool by_pair = ovsdb_type_is_map(src_type);
    for (size_t i = dst->n; i-- > 0;) {
        ptrdiff_t k = ovsdb_datum_find_key(src, &dst->keys[i],
                                           dst_type->key.type);
        if (k < 0) {
            continue;
        }
        if (by_pair && ovsdb_atom_compare(&dst->values[i], &src->values[k],
                                          dst_type->value.type)) {
            continue;
        }
        ovsdb_datum_remove_at(dst, i, dst_type);
    }
}

/* ---- Differences, for log records ---- */

/* Appends a copy of element 'i' of 'src' to 'd', which has room; with
 * 'value' (maps) as the element's value instead of src's own. */
static void
datum_push(struct ovsdb_datum *d, const struct ovsdb_datum *src, size_t i,
           const union ovsdb_atom *value, const struct ovsdb_type *t)
{
    ovsdb_atom_clone(&d->keys[d->n], &src->keys[i], t->key.type);
    if (d->values) {
        ovsdb_atom_clone(&d->values[d->n], value ? value : &src->values[i],
                         t->value.type);
    }
    d->n++;
}

/* One merge walk over two sorted datums: 'a' is the base, 'b' either the
 * new value (diff) or a diff (apply).  For keys in both, sets drop the
 * element; maps drop it when the values match, else take b's value. */
static void
datum_merge_toggle(struct ovsdb_datum *out, const struct ovsdb_datum *a,
                   const struct ovsdb_datum *b, const struct ovsdb_type *t)
{
    size_t i = 0, k = 0;
    datum_alloc(out, a->n + b->n ? a->n + b->n : 1, t);
    while (i < a->n || k < b->n) {
        int c = i == a->n ? 1 : k == b->n ? -1
                : ovsdb_atom_compare(&a->keys[i], &b->keys[k], t->key.type);
        if (c < 0) {
            datum_push(out, a, i++, NULL, t);
        } else if (c > 0) {
            datum_push(out, b, k++, NULL, t);
        } else {
            if (out->values && ovsdb_atom_compare(&a->values[i],
                                                  &b->values[k],
                                                  t->value.type)) {
                datum_push(out, a, i, &b->values[k], t);
            }
            i++;
            k++;
        }
    }
}

void
ovsdb_datum_diff(struct ovsdb_datum *diff, const struct ovsdb_datum *old,
                 const struct ovsdb_datum *new, const struct ovsdb_type *t)
{
    datum_merge_toggle(diff, old, new, t);
}

void
ovsdb_datum_apply_diff(struct ovsdb_datum *d, const struct ovsdb_datum *diff,
                       const struct ovsdb_type *t)
{
    struct ovsdb_datum out;
    datum_merge_toggle(&out, d, diff, t);
    ovsdb_datum_destroy(d, t);
    *d = out;
}
