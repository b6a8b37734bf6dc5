/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OVSDB_TXN_PRIVATE_H
#define OVSDB_TXN_PRIVATE_H 1

/* Shared by txn.c (operations) and txn_commit.c (commit-time checks). */

#include "data.h"
#include "db.h"
#include "error.h"
#include "hmap.h"
#include "txn.h"

/* A row the transaction touched.  'new' is NULL when the row is deleted,
 * equal to 'old' when only its reference count is tracked, else a private
 * copy; 'old' is NULL for a row inserted by this transaction. */
struct txn_row {
    struct ovsdb_hmap_node node;    /* in txn->rows, by UUID */
    struct txn_row *next;           /* creation order */
    struct ovsdb_table *table;
    struct ovsdb_uuid uuid;
    struct ovsdb_row *old;
    struct ovsdb_row *new;
    long ref_delta;                 /* change in strong references */
};

struct ovsdb_txn {
    struct ovsdb_db *db;
    struct ovsdb_hmap rows;
    struct txn_row *head, **tail;
    struct ovsdb_symtab *symtab;
    char *comment;
    bool durable;
    bool executed;                  /* execute succeeded */
};

static inline bool
txn_row_changed(const struct txn_row *r)
{
    return r->new != r->old;
}

struct txn_row *txn_row_find(const struct ovsdb_txn *,
                             const struct ovsdb_table *,
                             const struct ovsdb_uuid *);
/* The row as this transaction sees it, or NULL. */
const struct ovsdb_row *txn_visible_row(const struct ovsdb_txn *,
                                        const struct ovsdb_table *,
                                        const struct ovsdb_uuid *);
/* Tracks a committed row (new == old) and returns its txn_row. */
struct txn_row *txn_row_track(struct ovsdb_txn *, struct ovsdb_table *,
                              struct ovsdb_row *committed);
/* Private writable copy of a visible row, or NULL if not visible. */
struct ovsdb_row *txn_row_for_write(struct ovsdb_txn *, struct ovsdb_table *,
                                    const struct ovsdb_uuid *);
void txn_row_delete(struct ovsdb_txn *, struct txn_row *);

/* Commit-time checks of RFC 7047 §4.1.3 (txn_commit.c). */
int txn_precommit(struct ovsdb_txn *, struct ovsdb_error *) RSW_MUST_CHECK;

#endif
