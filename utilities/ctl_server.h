/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_CTL_SERVER_H
#define RSW_CTL_SERVER_H 1

/* JSON-RPC 1.0 control socket (unix stream), as OVS's unixctl speaks it:
 * requests {"method": M, "params": [strings...], "id": I}, one reply each
 * {"result": R, "error": null|"message", "id": I}, objects delimited by
 * their own syntax (a newline after each is accepted and sent).
 *
 * Methods take string parameters and return a JSON value (clients render
 * it as text or print it as JSON).  Runs on one thread: ctl_server_fd() is
 * an epoll fd that is readable when ctl_server_run() has work. */

#include <stdbool.h>
#include "vhost/compiler.h"

struct json_object;
struct ctl_server;

/* Returns 0 with *result set (ownership passes), or -errno with *error
 * set to a one-line malloc'd message. */
typedef int ctl_method_fn(void *aux, int argc, const char *const argv[],
                          struct json_object **result, char **error);

struct ctl_method {
    const char *name;
    int min_args, max_args;
    const char *usage;         /* "BR PORT [k=v...]" */
    ctl_method_fn *fn;
};

/* Listens on 'path' (a stale socket file is replaced; a live one is
 * -EADDRINUSE).  'methods' must outlive the server. */
int ctl_server_create(const char *path, const struct ctl_method *methods,
                      unsigned n_methods, void *aux, struct ctl_server **)
    RSW_MUST_CHECK;
/* Closes every connection and unlinks the socket.  NULL is a no-op. */
void ctl_server_destroy(struct ctl_server *);
int ctl_server_fd(const struct ctl_server *);
void ctl_server_run(struct ctl_server *);

/* Helper for methods: a malloc'd printf-formatted message. */
char *ctl_errorf(const char *fmt, ...) RSW_PRINTF(1, 2);

#endif
