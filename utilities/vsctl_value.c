/* SPDX-License-Identifier: Apache-2.0 */
/* Values as rsw-vsctl users write them (ovs-vsctl(8) "Database Values"),
 * converted to and from RFC 7047 §5.1 JSON notation. */
#include "vsctl.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb-lite/util.h"

/* ---- Parsing ------------------------------------------------------- */

static char *
trim(const char *s, size_t len)
{
    while (len && isspace((unsigned char) *s)) {
        s++;
        len--;
    }
    while (len && isspace((unsigned char) s[len - 1])) {
        len--;
    }
    return strndup(s, len);
}

/* A double-quoted string with JSON escapes, or NULL if malformed. */
static json_object *
parse_quoted(const char *text)
{
    json_object *j = ovsdb_json_parse(text, strlen(text), 2);

    if (j && !json_object_is_type(j, json_type_string)) {
        json_object_put(j);
        j = NULL;
    }
    return j;
}

static int
parse_number(enum ovsdb_atomic_type type, const char *text, json_object **out)
{
    char *end;

    errno = 0;
    if (type == OVSDB_TYPE_INTEGER) {
        long long v = strtoll(text, &end, 10);
        if (*end || end == text || errno) {
            return -EINVAL;
        }
        *out = json_object_new_int64(v);
    } else {
        double v = strtod(text, &end);
        if (*end || end == text || errno || !isfinite(v)) {
            return -EINVAL;
        }
        *out = json_object_new_double(v);
    }
    return 0;
}

int
vsctl_parse_atom(const struct ovsdb_base_type *base, const char *text,
                 json_object **out, char *err, size_t esz)
{
    struct ovsdb_uuid uuid;
    int rc = 0;

    *out = NULL;
    switch (base->type) {
    case OVSDB_TYPE_INTEGER:
    case OVSDB_TYPE_REAL:
        rc = parse_number(base->type, text, out);
        break;
    case OVSDB_TYPE_BOOLEAN:
        if (strcmp(text, "true") && strcmp(text, "false")) {
            rc = -EINVAL;
        } else {
            *out = json_object_new_boolean(!strcmp(text, "true"));
        }
        break;
    case OVSDB_TYPE_STRING:
        *out = text[0] == '"' ? parse_quoted(text) : ovsdb_json_str(text);
        rc = *out ? 0 : -EINVAL;
        break;
    case OVSDB_TYPE_UUID:
        rc = ovsdb_uuid_from_string(&uuid, text);
        if (!rc) {
            *out = ovsdb_json_arr();
            ovsdb_json_push(*out, ovsdb_json_str("uuid"));
            ovsdb_json_push(*out, ovsdb_json_str(text));
        }
        break;
    case OVSDB_TYPE_VOID:
    default:
        rc = -EINVAL;
    }
    if (rc) {
        snprintf(err, esz, "\"%s\" is not %s", text,
                 base->type == OVSDB_TYPE_STRING
                 ? "a valid string (bad quoting)"
                 : base->type == OVSDB_TYPE_INTEGER ? "an integer"
                 : base->type == OVSDB_TYPE_REAL ? "a number"
                 : base->type == OVSDB_TYPE_BOOLEAN ? "true or false"
                 : "a UUID");
    }
    return rc ? -EINVAL : 0;
}

/* Splits 'text' at commas outside double quotes into trimmed items. */
static char **
split_items(const char *text, size_t *n)
{
    size_t cap = 4;
    char **items = ovsdb_xcalloc(cap, sizeof *items);
    const char *start = text;
    bool quoted = false;

    *n = 0;
    for (const char *s = text;; s++) {
        if (*s == '\\' && quoted && s[1]) {
            s++;
            continue;
        }
        if (*s == '"') {
            quoted = !quoted;
        }
        if (!*s || (*s == ',' && !quoted)) {
            if (*n + 1 >= cap) {
                cap *= 2;
                items = ovsdb_xrealloc(items, cap * sizeof *items);
            }
            items[(*n)++] = trim(start, (size_t) (s - start));
            if (!*s) {
                break;
            }
            start = s + 1;
        }
    }
    if (*n == 1 && !items[0][0]) {
        free(items[0]);
        *n = 0;                 /* "" or "[]": no elements */
    }
    return items;
}

static void
free_items(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(items[i]);
    }
    free(items);
}

/* Removes one pair of 'open'/'close' around 'text' if present. */
static char *
strip_brackets(const char *text, char open, char close, bool *had)
{
    char *t = trim(text, strlen(text));
    size_t len = strlen(t);

    *had = len >= 2 && t[0] == open && t[len - 1] == close;
    if (*had) {
        memmove(t, t + 1, len - 2);
        t[len - 2] = '\0';
    }
    return t;
}

/* Position of the first '=' outside double quotes, or of the NUL. */
static const char *
find_eq(const char *s)
{
    bool quoted = false;

    for (; *s && (quoted || *s != '='); s++) {
        if (*s == '\\' && quoted && s[1]) {
            s++;
        } else if (*s == '"') {
            quoted = !quoted;
        }
    }
    return s;
}

/* "k=v": the pair as [k, v]. */
static int
parse_pair(const struct ovsdb_type *type, const char *item,
           json_object **out, char *err, size_t esz)
{
    const char *eq = find_eq(item);

    if (!*eq) {
        snprintf(err, esz, "\"%s\" is not a KEY=VALUE pair", item);
        return -EINVAL;
    }
    char *k = trim(item, (size_t) (eq - item));
    char *v = trim(eq + 1, strlen(eq + 1));
    json_object *kj = NULL, *vj = NULL;
    int rc = vsctl_parse_atom(&type->key, k, &kj, err, esz);
    rc = rc ? rc : vsctl_parse_atom(&type->value, v, &vj, err, esz);
    if (!rc) {
        *out = ovsdb_json_arr();
        ovsdb_json_push(*out, kj);
        ovsdb_json_push(*out, vj);
    } else {
        json_object_put(kj);
    }
    free(k);
    free(v);
    return rc;
}

/* The elements of 'text' as ["set", [...]] or ["map", [...]].  For a map
 * with 'keys_only', items without '=' make a set of keys (remove). */
static int
parse_elements(const struct ovsdb_type *type, const char *text,
               bool keys_only, json_object **out, char *err, size_t esz)
{
    bool map = ovsdb_type_is_map(type), had;
    char *inner = strip_brackets(text, map ? '{' : '[', map ? '}' : ']',
                                 &had);
    size_t n;
    char **items = split_items(inner, &n);
    bool as_keys = map && keys_only && n && !*find_eq(items[0]);
    json_object *elems = ovsdb_json_arr();
    int rc = 0;

    for (size_t i = 0; i < n && !rc; i++) {
        json_object *e = NULL;
        if (as_keys && *find_eq(items[i])) {
            snprintf(err, esz, "\"%s\": give either keys or KEY=VALUE "
                     "pairs, not both", items[i]);
            rc = -EINVAL;
        } else if (map && !as_keys) {
            rc = parse_pair(type, items[i], &e, err, esz);
        } else {
            rc = vsctl_parse_atom(&type->key, items[i], &e, err, esz);
        }
        if (!rc) {
            ovsdb_json_push(elems, e);
        }
    }
    free_items(items, n);
    free(inner);
    if (rc) {
        json_object_put(elems);
        return rc;
    }
    *out = ovsdb_json_arr();
    ovsdb_json_push(*out, ovsdb_json_str(map && !as_keys ? "map" : "set"));
    ovsdb_json_push(*out, elems);
    return 0;
}

/* Validates RFC 7047 JSON against 'type' (sizes, enums, ranges). */
static int
check_datum(const struct ovsdb_type *type, json_object *j, bool relaxed,
            char *err, size_t esz)
{
    struct ovsdb_datum d;
    struct ovsdb_error oerr = {0};
    int rc = ovsdb_datum_from_json(&d, type, j, NULL, relaxed, &oerr);

    if (rc) {
        snprintf(err, esz, "%s", oerr.details);
        return -EINVAL;
    }
    ovsdb_datum_destroy(&d, type);
    return 0;
}

int
vsctl_parse_datum(const struct ovsdb_type *type, const char *text,
                  json_object **out, char *err, size_t esz)
{
    int rc;

    *out = NULL;
    if (type->n_max == 1 && !ovsdb_type_is_map(type)) {
        /* A scalar (or optional scalar): one atom, commas included; "[]"
         * empties an optional one. */
        char *t = trim(text, strlen(text));
        if (!strcmp(t, "[]")) {
            rc = parse_elements(type, t, false, out, err, esz);
        } else {
            rc = vsctl_parse_atom(&type->key, t, out, err, esz);
        }
        free(t);
    } else {
        rc = parse_elements(type, text, false, out, err, esz);
    }
    if (!rc && (rc = check_datum(type, *out, false, err, esz))) {
        json_object_put(*out);
        *out = NULL;
    }
    return rc;
}

int
vsctl_parse_elements(const struct ovsdb_type *type, const char *text,
                     bool keys_only, json_object **out, char *err,
                     size_t esz)
{
    int rc = parse_elements(type, text, keys_only, out, err, esz);

    if (rc) {
        return rc;
    }
    /* Constraints of each atom (not the size: add/remove change it). */
    struct ovsdb_type t = *type;
    t.n_min = 0;
    t.n_max = OVSDB_N_MAX_UNLIMITED;
    json_object *kind = ovsdb_json_idx(*out, 0);
    if (!strcmp(json_object_get_string(kind), "set")) {
        memset(&t.value, 0, sizeof t.value);    /* keys of a map */
        t.value.type = OVSDB_TYPE_VOID;
    }
    rc = check_datum(&t, *out, false, err, esz);
    if (rc) {
        json_object_put(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- Formatting ---------------------------------------------------- */

/* Bare if it reads back as this string: an identifier-like word that is
 * not a keyword. */
static bool
string_needs_quotes(const char *s)
{
    if (!s[0] || !(isalpha((unsigned char) s[0]) || s[0] == '_')
        || !strcmp(s, "true") || !strcmp(s, "false")) {
        return true;
    }
    for (; *s; s++) {
        if (!isalnum((unsigned char) *s) && !strchr("_-.", *s)) {
            return true;
        }
    }
    return false;
}

char *
vsctl_format_atom(const union ovsdb_atom *a, enum ovsdb_atomic_type type)
{
    char buf[OVSDB_UUID_LEN + 1], *s = NULL;

    switch (type) {
    case OVSDB_TYPE_INTEGER:
        return asprintf(&s, "%" PRId64, a->integer) < 0 ? NULL : s;
    case OVSDB_TYPE_REAL:
        return asprintf(&s, "%.17g", a->real) < 0 ? NULL : s;
    case OVSDB_TYPE_BOOLEAN:
        return strdup(a->boolean ? "true" : "false");
    case OVSDB_TYPE_UUID:
        ovsdb_uuid_format(&a->uuid, buf);
        return strdup(buf);
    case OVSDB_TYPE_STRING:
        if (!string_needs_quotes(a->string)) {
            return strdup(a->string);
        } else {
            json_object *j = ovsdb_json_str(a->string);
            s = strdup(json_object_to_json_string_ext(
                           j, JSON_C_TO_STRING_PLAIN
                           | JSON_C_TO_STRING_NOSLASHESCAPE));
            json_object_put(j);
            return s;
        }
    case OVSDB_TYPE_VOID:
    default:
        return strdup("");
    }
}

static void
append(char **buf, size_t *len, const char *s)
{
    size_t n = strlen(s);

    *buf = ovsdb_xrealloc(*buf, *len + n + 1);
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

char *
vsctl_format_datum(const struct ovsdb_datum *d, const struct ovsdb_type *t)
{
    bool map = ovsdb_type_is_map(t);
    bool bare = d->n == 1 && !map && t->n_max == 1;
    char *buf = NULL;
    size_t len = 0;

    append(&buf, &len, bare ? "" : map ? "{" : "[");
    for (size_t i = 0; i < d->n; i++) {
        char *k = vsctl_format_atom(&d->keys[i], t->key.type);
        append(&buf, &len, i ? ", " : "");
        append(&buf, &len, k ? k : "");
        free(k);
        if (map) {
            char *v = vsctl_format_atom(&d->values[i], t->value.type);
            append(&buf, &len, "=");
            append(&buf, &len, v ? v : "");
            free(v);
        }
    }
    append(&buf, &len, bare ? "" : map ? "}" : "]");
    return buf;
}
