/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_DAEMON_H
#define RSW_DAEMON_H 1

/* Daemon start-up shared by rsw-switchd and rsw-ovsdb-server.
 *
 * --detach, like OVS: the command returns only once the daemon is usable.
 * daemon_detach_start() forks; the parent waits on a pipe for one byte from
 * the child and exits 0 if the child reported ready, 1 if it reported a
 * failure or died first.  The child calls daemon_detach_finish() once its
 * sockets listen (ok) or on its error path (!ok). */

#include <stdbool.h>
#include "vhost/compiler.h"

/* In the child: 0 with *ready_fd set, or -errno (no fork happened). */
int daemon_detach_start(int *ready_fd) RSW_MUST_CHECK;
/* ok: stdio to /dev/null, then report ready; !ok: report failure.  Closes
 * ready_fd; a negative ready_fd (not detached) is a no-op. */
void daemon_detach_finish(int ready_fd, bool ok);

/* Writes our pid to 'path' atomically (temporary file, then rename), so a
 * reader never sees a partial file.  0 or -errno. */
int daemon_write_pidfile(const char *path) RSW_MUST_CHECK;

#endif
