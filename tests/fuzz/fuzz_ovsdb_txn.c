/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes RFC 7047 "transact" params against an in-memory database built
 * from the switch's schema (ovsdb-lite/txn.c and everything below it).
 *
 * One database is reused across inputs, so sequences of transactions are
 * explored; it is rebuilt every 64 inputs to bound its size.  After each
 * input the reference counts the transaction layer maintains are checked
 * against a recount from scratch. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ovsdb-lite/ovsdb.h"
#include "ovsdb-lite/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ovsdb_schema *schema;
static struct ovsdb_db *db;
static unsigned runs;

static void
check_refs(void)
{
    /* Compare incremental counts with a full recount. */
    size_t n = 0;
    unsigned *counts;
    const struct ovsdb_row *row;
    for (unsigned i = 0; i < schema->n_tables; i++) {
        n += ovsdb_table_count(&db->tables[i]);
    }
    counts = calloc(n + 1, sizeof *counts);
    n = 0;
    for (unsigned i = 0; i < schema->n_tables; i++) {
        OVSDB_TABLE_FOR_EACH (row, &db->tables[i]) {
            counts[n++] = row->n_refs;
        }
    }
    ovsdb_db_count_refs(db);
    n = 0;
    for (unsigned i = 0; i < schema->n_tables; i++) {
        OVSDB_TABLE_FOR_EACH (row, &db->tables[i]) {
            if (counts[n++] != row->n_refs) {
                fprintf(stderr, "reference count mismatch in %s\n",
                        schema->tables[i].name);
                abort();
            }
            if (!schema->tables[i].is_root && !row->n_refs) {
                fprintf(stderr, "unreferenced row left in %s\n",
                        schema->tables[i].name);
                abort();
            }
        }
    }
    free(counts);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!schema && ovsdb_schema_rsw(&schema, NULL)) {
        abort();
    }
    if (!db || ++runs % 64 == 0) {
        json_object *res = NULL, *p;
        ovsdb_db_destroy(db);
        db = ovsdb_db_create(schema);
        p = json_tokener_parse("[\"Ringswitch\",{\"op\":\"insert\","
                               "\"table\":\"Ringswitch\",\"row\":{}}]");
        if (ovsdb_txn_run(db, p, &res)) {
            abort();
        }
        json_object_put(res);
        json_object_put(p);
    }
    json_object *params = ovsdb_json_parse((const char *) data, size, 32);
    if (!params) {
        return 0;
    }
    json_object *results = NULL;
    int error = ovsdb_txn_run(db, params, &results);
    /* Results must always be an array (RFC 7047 §4.1.3). */
    if (error != -EAGAIN && !json_object_is_type(results, json_type_array)) {
        abort();
    }
    json_object_put(results);
    json_object_put(params);
    check_refs();
    return 0;
}
