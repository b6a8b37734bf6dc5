/* SPDX-License-Identifier: Apache-2.0 */
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include "vhost/vlog.h"

void
ovsdb_oom(void)
{
    rsw_log(RSW_LOG_ERR, "ovsdb-lite: out of memory");
    abort();
}

void *
ovsdb_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        ovsdb_oom();
    }
    return p;
}

void *
ovsdb_xzalloc(size_t n)
{
    return ovsdb_xcalloc(1, n);
}

void *
ovsdb_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        ovsdb_oom();
    }
    return p;
}

void *
ovsdb_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        ovsdb_oom();
    }
    return p;
}

void *
ovsdb_xmemdup(const void *src, size_t n)
{
    void *p = ovsdb_xmalloc(n);
    memcpy(p, src, n);
    return p;
}

char *
ovsdb_xstrdup(const char *s)
{
    return ovsdb_xmemdup(s, strlen(s) + 1);
}

static json_object *
json_nonnull(json_object *o)
{
    if (!o) {
        ovsdb_oom();
    }
    return o;
}

json_object *
ovsdb_json_obj(void)
{
    return json_nonnull(json_object_new_object());
}

json_object *
ovsdb_json_arr(void)
{
    return json_nonnull(json_object_new_array());
}

json_object *
ovsdb_json_str(const char *s)
{
    return json_nonnull(json_object_new_string(s));
}

json_object *
ovsdb_json_int(int64_t v)
{
    return json_nonnull(json_object_new_int64(v));
}

void
ovsdb_json_add(json_object *obj, const char *key, json_object *val)
{
    if (json_object_object_add(obj, key, val)) {
        ovsdb_oom();
    }
}

void
ovsdb_json_push(json_object *arr, json_object *val)
{
    if (json_object_array_add(arr, val)) {
        ovsdb_oom();
    }
}

const char *
ovsdb_json_plain(json_object *obj, size_t *lenp)
{
    size_t len = 0;
    const char *s = json_object_to_json_string_length(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    if (!s) {
        ovsdb_oom();
    }
    if (lenp) {
        *lenp = len;
    }
    return s;
}

json_object *
ovsdb_json_parse(const char *buf, size_t len, int depth)
{
    if (len > INT32_MAX) {
        return NULL;
    }
    struct json_tokener *tok = json_tokener_new_ex(depth);
    if (!tok) {
        ovsdb_oom();
    }
    /* Strict mode refuses NaN/Infinity literals and other json-c
     * extensions: RFC 7047 §3.1 is plain RFC 4627 JSON. */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *obj = json_tokener_parse_ex(tok, buf, (int) len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t off = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (jerr != json_tokener_success || !obj) {
        json_object_put(obj);
        return NULL;
    }
    for (; off < len; off++) {
        if (!strchr(" \t\r\n", buf[off]) || !buf[off]) {
            json_object_put(obj);
            return NULL;
        }
    }
    return obj;
}

uint32_t
ovsdb_hash_bytes(const void *p_, size_t n, uint32_t basis)
{
    /* FNV-1a: plenty for hash tables keyed by random UUIDs and names. */
    const uint8_t *p = p_;
    uint32_t h = 2166136261u ^ basis;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}
