/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_SWITCHD_DB_H
#define RSW_SWITCHD_DB_H 1

/* rsw-switchd's configuration database (ovsdb-lite, rsw.ovsschema) and the
 * reconciliation of the running switch from it.
 *
 * The database is embedded: its RFC 7047 JSON-RPC server listens on the
 * switch's control socket, and requests for methods RFC 7047 does not
 * define go to the switch's runtime method table (ctl_server.h), so
 * rsw-vsctl (transact, monitor...), rsw-appctl and rsw-ofctl share one
 * socket.  Everything runs on the control thread; PMDs never wait for it.
 *
 * Reconciliation, like ovs-vswitchd's bridge_reconfigure(): at start-up
 * and after every committed transaction the Bridge/Port/Interface rows
 * are compared with the running bridges and ports, which are added,
 * removed or re-created (a changed type, options or ofport_request) to
 * match.  Each Interface is one switch port named after it; port creation
 * is generic (port_create(type, options)).  NORMAL's settings follow too,
 * live: Port tag / trunks / vlan_mode (a bad combination is the
 * Interface's error) and Bridge other_config mac-aging-time /
 * mac-table-size.  The switch answers (cur_cfg) once the PMDs dropped the
 * cached flows the change made stale.  The switch then writes back
 * Interface ofport, error, status and link_state, and cur_cfg = next_cfg
 * in the root row, which is what "rsw-vsctl" waits for.  Statistics are
 * written every SWITCHD_DB_STATS_INTERVAL seconds.  OpenFlow numbers are
 * sticky: a port without ofport_request gets back the ofport it had, so
 * a restart restores the same numbering.
 *
 * Root settings the running switch cannot change (pmd_cores, eal_args,
 * socket_mem, other_config...) are read once at start; a later change is
 * logged as needing a restart. */

#include <stdbool.h>
#include "ctl_server.h"
#include "vhost/compiler.h"

/* With the default control socket; a switch given its own socket with
 * --ctl SOCKET defaults to SOCKET.db (switchd.c). */
#define SWITCHD_DB_DEFAULT "/var/lib/ringswitch/conf.db"
#define SWITCHD_DB_STATS_INTERVAL 5

struct switchd;
struct switchd_db;

/* Opens 'path', creating it (and its directory) with the built-in schema
 * if it does not exist.  A damaged, foreign or locked file is an error
 * explained in 'msg' (one line); the file is then left untouched. */
int switchd_db_open(const char *path, struct switchd_db **,
                    char *msg, size_t msg_size) RSW_MUST_CHECK;
/* Closes the server and the database.  NULL is a no-op.  The ports stay
 * in the datapath (dpif_destroy() frees them). */
void switchd_db_destroy(struct switchd_db *);

/* Start-up settings from the root row, or NULL when not set. */
const char *switchd_db_pmd_cores(const struct switchd_db *);
const char *switchd_db_eal_args(const struct switchd_db *);
const char *switchd_db_socket_mem(const struct switchd_db *);

/* Serves the database and 'methods' on unix socket 'ctl_path', then
 * reconciles 'sd' from the database for the first time. */
int switchd_db_serve(struct switchd_db *, struct switchd *sd,
                     const char *ctl_path, const struct ctl_method *methods,
                     unsigned n_methods) RSW_MUST_CHECK;
/* The fd to poll; call switchd_db_run() when it is readable. */
int switchd_db_fd(const struct switchd_db *);
/* Handles client requests, then reconciles if anything was committed. */
void switchd_db_run(struct switchd_db *);
/* Once a second: port status and link state; statistics every
 * SWITCHD_DB_STATS_INTERVAL calls. */
void switchd_db_tick(struct switchd_db *);

#endif
