/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OVSDB_SERVER_PRIVATE_H
#define OVSDB_SERVER_PRIVATE_H 1

/* Internals shared by server.c (connections, dispatch, transactions) and
 * server_monitor.c (RFC 7047 §4.1.5-§4.1.7 monitors). */

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include "jsonrpc.h"
#include "server.h"

struct server_client;
struct server_monitor;

/* Server state the monitor module needs. */
struct server_monitor_set {
    struct ovsdb *db;
    struct server_monitor *head, *tail; /* every monitor, creation order */
    unsigned *n_watch;          /* per table: monitors watching it */
    bool **all_cols;            /* per table: every column but _uuid */
    /* Row changes of the commit(s) not yet notified:
     * {"<table>": {"<uuid>": {"old": <row>, "new": <row>}}} with full
     * rows; "old" absent for an insert, "new" for a delete. */
    json_object *pending;
};

void server_monitors_init(struct server_monitor_set *, struct ovsdb *);
void server_monitors_destroy(struct server_monitor_set *);

/* The change callback's work: records one row change. */
void server_monitors_note_change(struct server_monitor_set *,
                                 const struct ovsdb_table *,
                                 const struct ovsdb_row *old,
                                 const struct ovsdb_row *new);

/* Sends each monitor its "update" for the pending changes (RFC 7047
 * §4.1.6) through 'send' and forgets them. */
typedef void server_send_fn(struct server_client *, json_object *msg);
void server_monitors_flush(struct server_monitor_set *, server_send_fn *,
                           uint64_t *n_sent);

/* RFC 7047 §4.1.5 "monitor" params for 'client': 0 with '*result' the
 * initial contents, or -EINVAL with '*result' the error object. */
int server_monitor_create(struct server_monitor_set *,
                          struct server_client *, json_object *params,
                          json_object **result) RSW_MUST_CHECK;
/* RFC 7047 §4.1.7: -ENOENT if 'client' has no monitor 'id'. */
int server_monitor_cancel(struct server_monitor_set *,
                          struct server_client *, json_object *id)
    RSW_MUST_CHECK;
/* Removes every monitor of 'client'. */
void server_monitors_drop_client(struct server_monitor_set *,
                                 struct server_client *);

/* The client a monitor belongs to must still be alive (server.c). */
bool server_client_alive(const struct server_client *);

#endif
