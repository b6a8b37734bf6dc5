/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OVSDB_TXN_H
#define OVSDB_TXN_H 1

/* RFC 7047 §4.1.3 "transact" against an in-memory database.
 *
 * Life of a transaction:
 *   ovsdb_txn_create()   -- private overlay on the committed rows
 *   ovsdb_txn_execute()  -- runs the operations and every commit-time
 *                           check (referential integrity, garbage
 *                           collection, unique indexes, maxRows); the
 *                           database is untouched
 *   ovsdb_txn_record()   -- the log record to make durable first
 *   ovsdb_txn_commit()   -- publishes the changes (cannot fail)
 *   ovsdb_txn_destroy()  -- frees it; without commit, that is an abort
 * so a storage layer can write the record before the change becomes
 * visible, and anything failing before commit leaves no trace. */

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include "db.h"
#include "vhost/compiler.h"

struct ovsdb_txn;

/* "elapsed" value meaning: evaluate every "wait" now and fail the ones
 * that are not satisfied (RFC 7047 §5.2.6 with timeout 0). */
#define OVSDB_WAIT_NOW INT64_MAX

struct ovsdb_txn *ovsdb_txn_create(struct ovsdb_db *);
void ovsdb_txn_destroy(struct ovsdb_txn *);

/* Executes the "params" of a transact request: [db-name, op, ...].
 *
 * '*results' always receives the RFC 7047 §4.1.3 result array (except on
 * -EAGAIN): one element per operation; on failure the failing operation's
 * element is an error object and the rest are null, or, when every
 * operation succeeded but the transaction cannot commit, one extra error
 * element is appended.  A params array that is not [<this db's name>, ...]
 * yields a one-element array with the error.
 *
 * 'wait_elapsed_ms' is how long a server has been re-evaluating this
 * request: a "wait" that is not satisfied fails with "timed out" once its
 * timeout has passed, and otherwise the call returns -EAGAIN with nothing
 * done so the server can retry after the next commit.  Use
 * OVSDB_WAIT_NOW to never block.
 *
 * Returns 0 if the transaction may be committed, -EAGAIN as above, or the
 * negative errno matching the first error (-EINVAL syntax/constraint,
 * -ERANGE, -EDOM, -ECANCELED for "abort", -ETIMEDOUT, ...). */
int ovsdb_txn_execute(struct ovsdb_txn *, json_object *params,
                      int64_t wait_elapsed_ms, json_object **results)
    RSW_MUST_CHECK;

/* Whether an RFC 7047 §5.2.8 "commit" operation asked for durability. */
bool ovsdb_txn_wants_durable(const struct ovsdb_txn *);

/* After a successful execute: a new reference to the commit record
 * {"<table>": {"<uuid>": <row diff> | null, ...}, "_date": <ms>,
 * "_comment": "..."} holding only durable columns, or NULL when nothing
 * durable changed (no log write needed). */
json_object *ovsdb_txn_record(struct ovsdb_txn *);

/* Called for each changed row with the committed state already updated;
 * 'old' is NULL for an insert, 'new' NULL for a delete.  Both stay valid
 * until the callback returns (for monitors, RFC 7047 §4.1.6). */
typedef void ovsdb_txn_change_cb(const struct ovsdb_table *,
                                 const struct ovsdb_row *old,
                                 const struct ovsdb_row *new, void *aux);

/* Publishes a successfully executed transaction into the database. */
void ovsdb_txn_commit(struct ovsdb_txn *, ovsdb_txn_change_cb *, void *aux);

/* Convenience for in-memory use (tests, fuzzing): execute and, on
 * success, commit.  Same return value and results as execute. */
int ovsdb_txn_run(struct ovsdb_db *, json_object *params,
                  json_object **results) RSW_MUST_CHECK;

#endif
