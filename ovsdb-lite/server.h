/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OVSDB_SERVER_H
#define OVSDB_SERVER_H 1

/* The RFC 7047 §4 JSON-RPC server for one ovsdb-lite database.
 *
 * Embeddable: the server owns one epoll file descriptor (listening
 * sockets, clients and its timer are all behind it), so a host program
 * adds ovsdb_server_get_fd() to its own poll set and calls
 * ovsdb_server_process(server, 0) whenever it is readable; a standalone
 * daemon just calls ovsdb_server_process(server, -1) in a loop.  It is
 * single-threaded and never blocks on a client: output is buffered per
 * connection and a client whose backlog passes the limit is dropped.
 *
 * Methods (RFC 7047 §4.1): list_dbs, get_schema, transact, cancel,
 * monitor, monitor_cancel, echo.  lock, steal and unlock are refused with
 * {"error": "not supported"}.  Notifications sent: update (§4.1.6).
 *
 * Durability: every "transact" is fsynced before its reply unless it
 * opts out with an RFC 7047 §5.2.7 commit operation
 *     {"op": "commit", "durable": false}
 * (and has no commit operation with "durable": true).  This is stricter
 * than RFC 7047, where durability is opt-in: a configuration change that
 * was acknowledged survives a crash.
 *
 * Group commit: the transactions of one ovsdb_server_process() round
 * (every request ready on every connection) are executed in order, each
 * seeing the ones before, and their records written; one fdatasync then
 * covers them all, and only after it do their replies and monitor
 * updates go out -- with everything else sent in that round, in order,
 * since any of it may reflect those commits.  A failed fdatasync turns
 * the held transact replies into "I/O error" results, drops the held
 * updates, and the database refuses writes from then on (ovsdb_sync()).
 * The host's change callback runs at commit, before the sync.
 *
 * Monitors (§4.1.5): the reply carries the initial contents, then each
 * commit produces at most one "update" notification per monitor, with
 * "old"/"new" restricted to the monitor's columns and "select" flags.
 * Notifications are queued to every client in commit order while the
 * commit's effects are being published, so all clients see one order.
 *
 * "wait" operations (§5.2.6) with a timeout block the transaction: it is
 * re-run after every commit and when its timeout expires, until it
 * succeeds or fails with "timed out".  A "cancel" (§4.1.4) or the
 * client's disconnection drops it; nothing is ever partly committed. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ovsdb.h"
#include "vhost/compiler.h"

struct ovsdb_server;

struct ovsdb_server_options {
    size_t max_msg;             /* bytes per received message; 0: 16 MiB */
    size_t max_backlog;         /* queued output per client; 0: 64 MiB */
    unsigned max_clients;       /* 0: 1024 */
    int probe_interval_ms;      /* idle time before an "echo" probe, then
                                 * as long again before disconnecting;
                                 * 0: no probes */
    size_t read_budget;         /* bytes read per client per round;
                                 * 0: 256 KiB */
};

/* Every refusal and disconnection, by cause. */
struct ovsdb_server_stats {
    uint64_t n_accepted;            /* connections accepted */
    uint64_t n_refused_max_clients; /* closed at once: too many clients */
    uint64_t n_disconnects;         /* clients gone, any reason */
    uint64_t n_drop_backlog;        /* dropped: output backlog over limit */
    uint64_t n_drop_bad_json;       /* dropped: not JSON / not an object */
    uint64_t n_drop_oversize;       /* dropped: message over max_msg */
    uint64_t n_drop_too_deep;       /* dropped: nesting over the limit */
    uint64_t n_drop_truncated;      /* dropped: EOF inside a message */
    uint64_t n_drop_probe;          /* dropped: no answer to an echo */
    uint64_t n_drop_io;             /* dropped: socket error */
    uint64_t n_bad_msg;             /* not a JSON-RPC 1.0 message */
    uint64_t n_unknown_method;
    uint64_t n_bad_params;          /* malformed params, unknown db, ... */
    uint64_t n_refused_lock;        /* lock/steal/unlock refused */
    uint64_t n_requests;            /* requests and notifications handled */
    uint64_t n_txn_committed;       /* transact requests that committed */
    uint64_t n_txn_failed;          /* transact requests that failed */
    uint64_t n_txn_blocked;         /* requests that had to wait */
    uint64_t n_txn_canceled;        /* blocked ones canceled or orphaned */
    uint64_t n_log_syncs;           /* group commits: one fdatasync each */
    uint64_t n_txn_sync_failed;     /* committed, but their fdatasync
                                     * failed: answered with an error */
    uint64_t n_monitors;            /* monitors created */
    uint64_t n_monitor_refused;     /* bad monitor requests */
    uint64_t n_updates_sent;        /* update notifications queued */
    uint64_t n_unexpected_reply;    /* replies to nothing we sent */
};

/* Creates a server for the open database 'db' (not owned; it must
 * outlive the server).  The server installs itself as the database's
 * change callback (see ovsdb_server_set_change_cb()). */
int ovsdb_server_create(struct ovsdb *db,
                        const struct ovsdb_server_options *opts,
                        struct ovsdb_server **) RSW_MUST_CHECK;
/* Closes every connection and listener (unlinking socket files). */
void ovsdb_server_destroy(struct ovsdb_server *);

/* Listens on unix socket 'path' ("punix:" prefix optional); a stale
 * socket file nobody answers on is replaced, a live one is -EADDRINUSE. */
int ovsdb_server_listen(struct ovsdb_server *, const char *path)
    RSW_MUST_CHECK;
/* Serves an already connected stream socket (taken over), e.g. one end
 * of a socketpair. */
int ovsdb_server_add_client(struct ovsdb_server *, int fd) RSW_MUST_CHECK;

/* The one file descriptor to poll for input (an epoll fd). */
int ovsdb_server_get_fd(const struct ovsdb_server *);
/* Waits up to 'timeout_ms' (-1: forever, 0: not at all) for activity and
 * handles everything ready: new connections, requests, output, timers.
 * Returns 0, or a negative errno if the event loop itself failed. */
int ovsdb_server_process(struct ovsdb_server *, int timeout_ms)
    RSW_MUST_CHECK;

/* For the host program's own changes: ovsdb_transact() through the
 * server, so that monitors are notified and blocked waits re-run at once.
 * Same contract as ovsdb_transact(). */
int ovsdb_server_transact(struct ovsdb_server *, json_object *params,
                          bool durable, json_object **result)
    RSW_MUST_CHECK;
/* The host's own change callback, called for every row change after the
 * server's bookkeeping (the database handle has room for one). */
void ovsdb_server_set_change_cb(struct ovsdb_server *,
                                ovsdb_txn_change_cb *, void *aux);

/* The host's own JSON-RPC methods, served on the same connections next
 * to RFC 7047's (rsw-switchd's runtime commands share its control
 * socket with the database).  Called for every request whose method the
 * server does not implement; returns false if 'method' is unknown to the
 * host too (the client then gets "unknown method").  Otherwise exactly
 * one of '*result' and '*error' is set (ownership passes) and becomes
 * the reply.  Notifications (no id) are passed with both pointers NULL
 * and nothing is sent back. */
typedef bool ovsdb_server_host_method_fn(void *aux, const char *method,
                                         json_object *params,
                                         json_object **result,
                                         json_object **error);
void ovsdb_server_set_host_methods(struct ovsdb_server *,
                                   ovsdb_server_host_method_fn *, void *aux);

void ovsdb_server_get_stats(const struct ovsdb_server *,
                            struct ovsdb_server_stats *);
size_t ovsdb_server_n_clients(const struct ovsdb_server *);

#endif
