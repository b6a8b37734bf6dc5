/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OVSDB_UTIL_H
#define OVSDB_UTIL_H 1

/* Small helpers shared by the ovsdb-lite modules.
 *
 * Memory policy: like OVS's xmalloc(), running out of heap aborts the
 * process with a log line.  A config database that cannot allocate a few
 * bytes cannot make progress, and threading ENOMEM through every JSON
 * constructor would triple the code for no recoverable case.  Everything a
 * peer or a file can get wrong is reported as a negative errno instead. */

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "vhost/compiler.h"

#define OVSDB_CONTAINER_OF(ptr, type, member) \
    ((type *) (void *) ((char *) (ptr) - offsetof(type, member)))

void ovsdb_oom(void) __attribute__((noreturn));
void *ovsdb_xmalloc(size_t);
void *ovsdb_xzalloc(size_t);
void *ovsdb_xcalloc(size_t n, size_t size);
void *ovsdb_xrealloc(void *, size_t);
void *ovsdb_xmemdup(const void *, size_t);
char *ovsdb_xstrdup(const char *);

/* json-c constructors that never return NULL (see the memory policy). */
json_object *ovsdb_json_obj(void);
json_object *ovsdb_json_arr(void);
json_object *ovsdb_json_str(const char *);
json_object *ovsdb_json_int(int64_t);
void ovsdb_json_add(json_object *obj, const char *key, json_object *val);
void ovsdb_json_push(json_object *arr, json_object *val);
/* Compact serialisation; the string is owned by 'obj'. */
const char *ovsdb_json_plain(json_object *obj, size_t *lenp);
/* Strict parse of a whole buffer (trailing bytes other than whitespace are
 * an error), nesting limited to 'depth'.  NULL on error. */
json_object *ovsdb_json_parse(const char *buf, size_t len, int depth);

/* Fixed 32-bit mixing of a 64-bit value, for hash maps. */
uint32_t ovsdb_hash_bytes(const void *, size_t, uint32_t basis);
static inline uint32_t
ovsdb_hash_add(uint32_t hash, uint32_t data)
{
    hash ^= data + 0x9e3779b9u + (hash << 6) + (hash >> 2);
    return hash;
}



/* json-c asserts when array accessors see a non-array; input is never
 * trusted, so these return NULL / 0 instead. */
static inline json_object *
ovsdb_json_idx(json_object *j, size_t i)
{
    return json_object_is_type(j, json_type_array)
           ? json_object_array_get_idx(j, i) : NULL;
}
static inline size_t
ovsdb_json_len(json_object *j)
{
    return json_object_is_type(j, json_type_array)
           ? json_object_array_length(j) : 0;
}

#endif
