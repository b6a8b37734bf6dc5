/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 7047 §3.1/§5.1 values: UUIDs, atoms, datums and their JSON forms. */
#include "data.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "hmap.h"
#include "util.h"

/* ---- UUIDs (RFC 7047 §3.1 <uuid>, RFC 4122 version 4) ---- */

static void
random_fallback(uint8_t *buf, size_t n)
{
    /* Only reached when getrandom() is unavailable; UUIDs must merely be
     * unique, not secret. */
    static uint64_t state;
    if (!state) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        state = ((uint64_t) ts.tv_nsec << 20) ^ ts.tv_sec ^ getpid() ^ 1;
    }
    for (size_t i = 0; i < n; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        buf[i] = state >> 24;
    }
}

void
ovsdb_uuid_generate(struct ovsdb_uuid *u)
{
    size_t got = 0;
    while (got < sizeof u->b) {
        ssize_t n = getrandom(u->b + got, sizeof u->b - got, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        } else if (n <= 0) {
            random_fallback(u->b + got, sizeof u->b - got);
            break;
        }
        got += n;
    }
    u->b[6] = (u->b[6] & 0x0f) | 0x40;      /* version 4 */
    u->b[8] = (u->b[8] & 0x3f) | 0x80;      /* RFC 4122 variant */
}

void
ovsdb_uuid_zero(struct ovsdb_uuid *u)
{
    memset(u, 0, sizeof *u);
}

bool
ovsdb_uuid_is_zero(const struct ovsdb_uuid *u)
{
    static const struct ovsdb_uuid zero;
    return !memcmp(u, &zero, sizeof zero);
}

int
ovsdb_uuid_compare(const struct ovsdb_uuid *a, const struct ovsdb_uuid *b)
{
    return memcmp(a->b, b->b, sizeof a->b);
}

bool
ovsdb_uuid_equals(const struct ovsdb_uuid *a, const struct ovsdb_uuid *b)
{
    return !ovsdb_uuid_compare(a, b);
}

uint32_t
ovsdb_uuid_hash(const struct ovsdb_uuid *u)
{
    /* Random UUIDs: any 32 bits are a good hash.  Bytes 12..15 carry no
     * version/variant bits. */
    uint32_t h;
    memcpy(&h, &u->b[12], sizeof h);
    return h;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    } else if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int
ovsdb_uuid_from_string(struct ovsdb_uuid *u, const char *s)
{
    size_t bi = 0;
    for (size_t i = 0; i < OVSDB_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return -EINVAL;
            }
            continue;
        }
        int hi = hexval(s[i]);
        int lo = hi < 0 ? -1 : hexval(s[i + 1]);
        if (lo < 0) {
            return -EINVAL;
        }
        u->b[bi++] = (hi << 4) | lo;
        i++;
    }
    return s[OVSDB_UUID_LEN] ? -EINVAL : 0;
}

void
ovsdb_uuid_format(const struct ovsdb_uuid *u, char buf[OVSDB_UUID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    char *p = buf;
    for (size_t i = 0; i < sizeof u->b; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            *p++ = '-';
        }
        *p++ = hex[u->b[i] >> 4];
        *p++ = hex[u->b[i] & 15];
    }
    *p = '\0';
}

/* ---- Atoms ---- */

void
ovsdb_atom_init_default(union ovsdb_atom *a, enum ovsdb_atomic_type t)
{
    memset(a, 0, sizeof *a);
    if (t == OVSDB_TYPE_STRING) {
        a->string = ovsdb_xstrdup("");
    }
}

void
ovsdb_atom_clone(union ovsdb_atom *dst, const union ovsdb_atom *src,
                 enum ovsdb_atomic_type t)
{
    *dst = *src;
    if (t == OVSDB_TYPE_STRING) {
        dst->string = ovsdb_xstrdup(src->string);
    }
}

void
ovsdb_atom_destroy(union ovsdb_atom *a, enum ovsdb_atomic_type t)
{
    if (t == OVSDB_TYPE_STRING) {
        free(a->string);
        a->string = NULL;
    }
}

int
ovsdb_atom_compare(const union ovsdb_atom *a, const union ovsdb_atom *b,
                   enum ovsdb_atomic_type t)
{
    switch (t) {
    case OVSDB_TYPE_INTEGER:
        return a->integer < b->integer ? -1 : a->integer > b->integer;
    case OVSDB_TYPE_REAL:
        return a->real < b->real ? -1 : a->real > b->real;
    case OVSDB_TYPE_BOOLEAN:
        return (int) a->boolean - (int) b->boolean;
    case OVSDB_TYPE_STRING:
        return strcmp(a->string, b->string);
    case OVSDB_TYPE_UUID:
        return ovsdb_uuid_compare(&a->uuid, &b->uuid);
    case OVSDB_TYPE_VOID:
        break;
    }
    return 0;
}

uint32_t
ovsdb_atom_hash(const union ovsdb_atom *a, enum ovsdb_atomic_type t,
                uint32_t basis)
{
    switch (t) {
    case OVSDB_TYPE_INTEGER:
        return ovsdb_hash_bytes(&a->integer, sizeof a->integer, basis);
    case OVSDB_TYPE_REAL: {
        double d = a->real == 0 ? 0 : a->real;      /* -0.0 == 0.0 */
        return ovsdb_hash_bytes(&d, sizeof d, basis);
    }
    case OVSDB_TYPE_BOOLEAN:
        return ovsdb_hash_add(basis, a->boolean);
    case OVSDB_TYPE_STRING:
        return ovsdb_hash_bytes(a->string, strlen(a->string), basis);
    case OVSDB_TYPE_UUID:
        return ovsdb_hash_add(basis, ovsdb_uuid_hash(&a->uuid));
    case OVSDB_TYPE_VOID:
        break;
    }
    return basis;
}

/* Number of UTF-8 characters in 's', or -1 if 's' is not valid UTF-8
 * (RFC 7047 §3.1: strings are Unicode; RFC 3629 forbids overlongs and
 * surrogates). */
static long
utf8_length(const char *s_, size_t len)
{
    const uint8_t *s = (const uint8_t *) s_, *end = s + len;
    long n = 0;
    while (s < end) {
        uint8_t c = *s;
        size_t k = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2
                   : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4
                   : 0;
        if (!k || c == 0 || (size_t) (end - s) < k) {
            return -1;
        }
        for (size_t i = 1; i < k; i++) {
            if ((s[i] & 0xc0) != 0x80) {
                return -1;
            }
        }
        if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0)
            || (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90)) {
            return -1;
        }
        s += k;
        n++;
    }
    return n;
}

static void
atom_describe(const union ovsdb_atom *a, enum ovsdb_atomic_type t,
              char *buf, size_t size)
{
    json_object *j = ovsdb_atom_to_json(a, t);
    snprintf(buf, size, "%s", ovsdb_json_plain(j, NULL));
    json_object_put(j);
}

static int
atom_check_range(const union ovsdb_atom *a, const struct ovsdb_base_type *b,
                 struct ovsdb_error *err)
{
    if (b->type == OVSDB_TYPE_INTEGER
        && (a->integer < b->min_int || a->integer > b->max_int)) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_CONSTRAINT,
                               "%"PRId64" is not in the valid range "
                               "%"PRId64" to %"PRId64" (inclusive)",
                               a->integer, b->min_int, b->max_int);
    }
    if (b->type == OVSDB_TYPE_REAL
        && (a->real < b->min_real || a->real > b->max_real)) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_CONSTRAINT,
                               "%.17g is not in the valid range %.17g to "
                               "%.17g (inclusive)", a->real, b->min_real,
                               b->max_real);
    }
    if (b->type == OVSDB_TYPE_STRING) {
        long n = utf8_length(a->string, strlen(a->string));
        if (n < 0) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_CONSTRAINT,
                                   "string is not valid UTF-8");
        }
        if (n < b->min_len || (unsigned long) n > b->max_len) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_CONSTRAINT,
                                   "\"%.64s\" length %ld is not in the "
                                   "valid range %u to %u (inclusive)",
                                   a->string, n, b->min_len, b->max_len);
        }
    }
    return 0;
}

int
ovsdb_atom_check_constraints(const union ovsdb_atom *a,
                             const struct ovsdb_base_type *b,
                             struct ovsdb_error *err)
{
    if (b->enum_ && ovsdb_datum_find_key(b->enum_, a, b->type) < 0) {
        char desc[128];
        atom_describe(a, b->type, desc, sizeof desc);
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_CONSTRAINT,
                               "%s is not one of the allowed values", desc);
    }
    return atom_check_range(a, b, err);
}

json_object *
ovsdb_atom_to_json(const union ovsdb_atom *a, enum ovsdb_atomic_type t)
{
    json_object *j = NULL;
    char buf[OVSDB_UUID_LEN + 1];

    switch (t) {
    case OVSDB_TYPE_INTEGER:
        return ovsdb_json_int(a->integer);
    case OVSDB_TYPE_REAL:
        j = json_object_new_double(a->real);
        break;
    case OVSDB_TYPE_BOOLEAN:
        j = json_object_new_boolean(a->boolean);
        break;
    case OVSDB_TYPE_STRING:
        return ovsdb_json_str(a->string);
    case OVSDB_TYPE_UUID:
        j = ovsdb_json_arr();
        ovsdb_uuid_format(&a->uuid, buf);
        ovsdb_json_push(j, ovsdb_json_str("uuid"));
        ovsdb_json_push(j, ovsdb_json_str(buf));
        return j;
    case OVSDB_TYPE_VOID:
        break;
    }
    if (!j && t != OVSDB_TYPE_VOID) {
        ovsdb_oom();
    }
    return j;
}

/* ---- Named-UUID symbol table ---- */

struct symbol {
    struct ovsdb_hmap_node node;
    char *name;
    struct ovsdb_uuid uuid;
    bool defined;
};

struct ovsdb_symtab {
    struct ovsdb_hmap map;
};

struct ovsdb_symtab *
ovsdb_symtab_create(void)
{
    struct ovsdb_symtab *st = ovsdb_xzalloc(sizeof *st);
    ovsdb_hmap_init(&st->map);
    return st;
}

void
ovsdb_symtab_destroy(struct ovsdb_symtab *st)
{
    if (!st) {
        return;
    }
    struct ovsdb_hmap_node *n, *next;
    for (n = ovsdb_hmap_first(&st->map); n; n = next) {
        struct symbol *s = OVSDB_CONTAINER_OF(n, struct symbol, node);
        next = ovsdb_hmap_next(&st->map, n);
        free(s->name);
        free(s);
    }
    ovsdb_hmap_destroy(&st->map);
    free(st);
}

static struct symbol *
symtab_get(struct ovsdb_symtab *st, const char *name)
{
    uint32_t h = ovsdb_hash_bytes(name, strlen(name), 0);
    struct ovsdb_hmap_node *n;
    for (n = ovsdb_hmap_first_with_hash(&st->map, h); n;
         n = ovsdb_hmap_next_with_hash(n)) {
        struct symbol *s = OVSDB_CONTAINER_OF(n, struct symbol, node);
        if (!strcmp(s->name, name)) {
            return s;
        }
    }
    struct symbol *s = ovsdb_xzalloc(sizeof *s);
    s->name = ovsdb_xstrdup(name);
    ovsdb_uuid_generate(&s->uuid);
    ovsdb_hmap_insert(&st->map, &s->node, h);
    return s;
}

const struct ovsdb_uuid *
ovsdb_symtab_use(struct ovsdb_symtab *st, const char *name)
{
    return &symtab_get(st, name)->uuid;
}

int
ovsdb_symtab_define(struct ovsdb_symtab *st, const char *name,
                    struct ovsdb_uuid *uuid)
{
    struct symbol *s = symtab_get(st, name);
    if (s->defined) {
        return -EEXIST;
    }
    s->defined = true;
    *uuid = s->uuid;
    return 0;
}

const char *
ovsdb_symtab_first_undefined(const struct ovsdb_symtab *st)
{
    struct ovsdb_hmap_node *n;
    for (n = ovsdb_hmap_first(&st->map); n; n = ovsdb_hmap_next(&st->map, n)) {
        struct symbol *s = OVSDB_CONTAINER_OF(n, struct symbol, node);
        if (!s->defined) {
            return s->name;
        }
    }
    return NULL;
}

/* ---- Atom parsing (RFC 7047 §5.1 <atom>) ---- */

static int
atom_uuid_from_json(union ovsdb_atom *a, json_object *j,
                    struct ovsdb_symtab *st, struct ovsdb_error *err)
{
    json_object *tag = ovsdb_json_idx(j, 0);
    json_object *val = ovsdb_json_idx(j, 1);
    const char *ts = json_object_get_string(tag);
    const char *vs = json_object_get_string(val);

    if (ovsdb_json_len(j) != 2
        || !json_object_is_type(tag, json_type_string)
        || !json_object_is_type(val, json_type_string)) {
        goto err_syntax;
    }
    if (!strcmp(ts, "uuid")) {
        if (ovsdb_uuid_from_string(&a->uuid, vs)) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                                   "\"%.64s\" is not a valid UUID", vs);
        }
        return 0;
    } else if (!strcmp(ts, "named-uuid")) {
        if (!st) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                                   "named-uuid \"%.64s\" is not allowed "
                                   "here", vs);
        }
        a->uuid = *ovsdb_symtab_use(st, vs);
        return 0;
    }
err_syntax:
    return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                           "expected [\"uuid\", <uuid>] or "
                           "[\"named-uuid\", <id>]");
}

static int
atom_integer_from_json(union ovsdb_atom *a, json_object *j,
                       struct ovsdb_error *err)
{
    if (!json_object_is_type(j, json_type_int)) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "expected an integer");
    }
    a->integer = json_object_get_int64(j);
    /* json-c keeps values above INT64_MAX as uint64 and clamps them. */
    if (a->integer == INT64_MAX && json_object_get_uint64(j) != INT64_MAX) {
        return ovsdb_error_set(err, -ERANGE, OVSDB_E_SYNTAX,
                               "integer out of range");
    }
    return 0;
}

static int
atom_string_from_json(union ovsdb_atom *a, json_object *j,
                      struct ovsdb_error *err)
{
    if (!json_object_is_type(j, json_type_string)) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "expected a string");
    }
    const char *s = json_object_get_string(j);
    size_t len = json_object_get_string_len(j);
    if (strlen(s) != len || utf8_length(s, len) < 0) {
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "string is not valid UTF-8 or contains NUL");
    }
    a->string = ovsdb_xstrdup(s);
    return 0;
}

int
ovsdb_atom_from_json(union ovsdb_atom *a, const struct ovsdb_base_type *b,
                     json_object *j, struct ovsdb_symtab *st,
                     struct ovsdb_error *err)
{
    memset(a, 0, sizeof *a);
    switch (b->type) {
    case OVSDB_TYPE_INTEGER:
        return atom_integer_from_json(a, j, err);
    case OVSDB_TYPE_REAL:
        if (json_object_is_type(j, json_type_int)
            || json_object_is_type(j, json_type_double)) {
            a->real = json_object_get_double(j);
            if (isfinite(a->real)) {
                return 0;
            }
        }
        return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                               "expected a finite real number");
    case OVSDB_TYPE_BOOLEAN:
        if (!json_object_is_type(j, json_type_boolean)) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                                   "expected a boolean");
        }
        a->boolean = json_object_get_boolean(j);
        return 0;
    case OVSDB_TYPE_STRING:
        return atom_string_from_json(a, j, err);
    case OVSDB_TYPE_UUID:
        if (!json_object_is_type(j, json_type_array)) {
            return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX,
                                   "expected [\"uuid\", <uuid>]");
        }
        return atom_uuid_from_json(a, j, st, err);
    case OVSDB_TYPE_VOID:
        break;
    }
    return ovsdb_error_set(err, -EINVAL, OVSDB_E_SYNTAX, "void atom");
}
