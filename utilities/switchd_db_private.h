/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_SWITCHD_DB_PRIVATE_H
#define RSW_SWITCHD_DB_PRIVATE_H 1

/* Internals shared by switchd_db.c (database, server, write-back) and
 * switchd_db_reconcile.c (bridges and ports from the rows). */

#include <stdbool.h>
#include <stdint.h>
#include "ovsdb-lite/ovsdb.h"
#include "ovsdb-lite/server.h"
#include "switchd_db.h"

/* One Interface row the switch runs as a port, or tried to. */
struct switchd_db_port {
    struct switchd_db_port *next;
    struct ovsdb_uuid uuid;     /* of the Interface row */
    char *name;                 /* Interface (and switch port) name */
    char *bridge;
    char *config;               /* type, options, ofport_request (JSON) */
    bool attached;
    uint32_t dp_port, ofport;
    char *error;                /* why it is not attached, or NULL */
    char *vlan;                 /* Port tag/trunks/vlan_mode applied (JSON) */
};

struct switchd_db {
    struct ovsdb *db;
    struct ovsdb_server *server;
    struct switchd *sd;
    const struct ctl_method *methods;
    unsigned n_methods;
    struct switchd_db_port *ports;
    char *pmd_cores, *eal_args, *socket_mem;    /* as read at start */
    char *boot_settings;        /* restart-only root settings at start */
    char *warned_settings;      /* last value we warned about */
    char *mac_limits;           /* Bridge MAC limits applied (all bridges) */
    bool dirty;                 /* a client committed since reconcile */
    bool writing;               /* our own write-back is committing */
    unsigned ticks;
};

/* Brings the running bridges and ports in line with the rows. */
void switchd_db_reconcile(struct switchd_db *);
/* Frees a port entry (not the port: see switchd_db_destroy()). */
void switchd_db_port_free(struct switchd_db_port *);
struct switchd_db_port *switchd_db_find_port(struct switchd_db *,
                                             const char *name);

/* Column helpers: a scalar string column's value ("" if empty), an
 * optional integer column's value (or 'dflt'). */
const char *switchd_db_str(const struct ovsdb_row *, const char *column);
int64_t switchd_db_int(const struct ovsdb_row *, const char *column,
                       int64_t dflt);

#endif
