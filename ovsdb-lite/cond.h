/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OVSDB_COND_H
#define OVSDB_COND_H 1

/* RFC 7047 §5.1 conditions (<condition>: [column, function, value]) and
 * mutations (<mutation>: [column, mutator, value]). */

#include <stdbool.h>
#include <json-c/json.h>
#include "data.h"
#include "db.h"
#include "error.h"
#include "schema.h"
#include "vhost/compiler.h"

/* A parsed "where" array: the conjunction of its conditions. */
struct ovsdb_condition;

int ovsdb_condition_from_json(const struct ovsdb_table_schema *,
                              json_object *where, struct ovsdb_symtab *,
                              struct ovsdb_condition **,
                              struct ovsdb_error *) RSW_MUST_CHECK;
void ovsdb_condition_destroy(struct ovsdb_condition *);
bool ovsdb_condition_evaluate(const struct ovsdb_condition *,
                              const struct ovsdb_row *);
/* The UUID if some clause is ["_uuid", "==", uuid], so a caller can look
 * the row up instead of scanning the table; else NULL. */
const struct ovsdb_uuid *ovsdb_condition_pinned_uuid(
    const struct ovsdb_condition *);

/* A parsed "mutations" array, applied in order. */
struct ovsdb_mutation_set;

int ovsdb_mutation_set_from_json(const struct ovsdb_table_schema *,
                                 json_object *mutations,
                                 struct ovsdb_symtab *,
                                 struct ovsdb_mutation_set **,
                                 struct ovsdb_error *) RSW_MUST_CHECK;
void ovsdb_mutation_set_destroy(struct ovsdb_mutation_set *);
/* Applies the mutations to 'row' (a transaction's private copy).  Errors:
 * -ERANGE "range error" (overflow), -EDOM "domain error" (division by
 * zero), -EINVAL "constraint violation" (result outside the column type);
 * 'row' may then be partially modified and must be discarded. */
int ovsdb_mutation_set_apply(const struct ovsdb_mutation_set *,
                             struct ovsdb_row *,
                             struct ovsdb_error *) RSW_MUST_CHECK;

#endif
