/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the ovsdb-lite unit tests (include after cmocka.h). */
#ifndef OVSDB_FIXTURE_H
#define OVSDB_FIXTURE_H 1

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "ovsdb-lite/ovsdb.h"

static inline json_object *
fx_json(const char *text)
{
    json_object *j = json_tokener_parse(text);
    if (!j) {
        fail_msg("bad test JSON: %s", text);
    }
    return j;
}

static inline struct ovsdb_schema *
fx_rsw_schema(void)
{
    struct ovsdb_schema *s = NULL;
    struct ovsdb_error err = { 0 };
    if (ovsdb_schema_rsw(&s, &err)) {
        fail_msg("rsw schema: %s", err.details);
    }
    return s;
}

/* Runs a transaction given as printf-formatted JSON text against an
 * in-memory db; returns the error and the results (caller puts). */
static inline int
fx_run(struct ovsdb_db *db, json_object **results, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline int
fx_run(struct ovsdb_db *db, json_object **results, const char *fmt, ...)
{
    char *text = NULL;
    va_list args;
    va_start(args, fmt);
    if (vasprintf(&text, fmt, args) < 0) {
        fail();
    }
    va_end(args);
    json_object *params = fx_json(text);
    int error = ovsdb_txn_run(db, params, results);
    json_object_put(params);
    free(text);
    return error;
}

/* The string form of results[i].member, e.g. the "error" of an op. */
static inline const char *
fx_member(json_object *results, size_t i, const char *member)
{
    json_object *o = json_object_array_get_idx(results, i), *v;
    if (!o || !json_object_object_get_ex(o, member, &v)) {
        return "";
    }
    return json_object_get_string(v);
}

/* "uuid" string of an insert result. */
static inline const char *
fx_uuid(json_object *results, size_t i)
{
    json_object *o = json_object_array_get_idx(results, i), *u;
    if (!json_object_object_get_ex(o, "uuid", &u)) {
        fail_msg("no uuid in result %zu: %s", i,
                 json_object_to_json_string(results));
    }
    return json_object_get_string(json_object_array_get_idx(u, 1));
}

static inline size_t
fx_count(const struct ovsdb_db *db, const char *table)
{
    return ovsdb_table_count(ovsdb_db_get_table(db, table));
}

#endif
