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
struct l2br;
struct port;

struct switchd {
    struct dpif *dp;
    struct l2br *l2;
    int epoll_fd;
    bool exiting;
};

/* The main loop polls a port's control fd from attach to detach. */
int switchd_watch_port(struct switchd *, struct port *) RSW_MUST_CHECK;
void switchd_unwatch_port(struct switchd *, struct port *);

extern const struct ctl_method switchd_methods[];
extern const unsigned switchd_n_methods;

/* Packet capture methods and their once-a-second reaping
 * (switchd_capture.c). */
ctl_method_fn switchd_method_capture, switchd_method_capture_stop,
    switchd_method_capture_show;
void switchd_capture_run(struct switchd *);

#endif
