/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_SWITCHD_H
#define RSW_SWITCHD_H 1

/* rsw-switchd internals shared by its main loop (switchd.c) and its
 * control-socket methods (switchd_methods.c). */

#include <stdbool.h>
#include <stdint.h>
#include "ctl_server.h"
#include "vhost/compiler.h"

struct dpif;
struct ofproto;
struct port;

struct switchd {
    struct dpif *dp;
    struct ofproto *ofp;
    int epoll_fd;
    bool exiting;
};

/* The main loop polls a port's control fd from attach to detach. */
int switchd_watch_port(struct switchd *, struct port *) RSW_MUST_CHECK;
void switchd_unwatch_port(struct switchd *, struct port *);

extern const struct ctl_method switchd_methods[];
extern const unsigned switchd_n_methods;

/* After a change to flows, ports or their VLANs: ofproto's invalidate
 * callback already bumped the datapath's flow generation; this waits
 * until every PMD has passed a quiescent point, so the very next packet
 * is translated against the new tables (dpif.h).  Control thread, outside
 * ofproto's mutex, before the change is acknowledged to the client. */
void switchd_flows_sync(struct switchd *);

/* OpenFlow methods: rsw-ofctl's flow commands, show, dump-tables, and
 * rsw-appctl's trace and fdb-show (switchd_flows.c). */
ctl_method_fn switchd_method_add_flow, switchd_method_add_flows,
    switchd_method_mod_flows, switchd_method_del_flows,
    switchd_method_replace_flows, switchd_method_dump_flows,
    switchd_method_dump_tables, switchd_method_show, switchd_method_trace,
    switchd_method_fdb_show;

/* Packet capture methods and their once-a-second reaping
 * (switchd_capture.c). */
ctl_method_fn switchd_method_capture, switchd_method_capture_stop,
    switchd_method_capture_show;
void switchd_capture_run(struct switchd *);

#endif
