/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_CTL_SERVER_H
#define RSW_CTL_SERVER_H 1

/* The switch's runtime methods (rsw-appctl, rsw-ofctl), as OVS's unixctl
 * speaks them: JSON-RPC 1.0 requests {"method": M, "params": [strings...],
 * "id": I}, replied to with {"result": R, "error": null|"message", "id": I}.
 * They are served on the switch's control socket next to the database's
 * RFC 7047 methods: the database server (ovsdb-lite/server.h) owns the
 * connections and hands every other method to ctl_server_call()
 * (switchd_db.c).
 *
 * Methods take string parameters and return a JSON value (clients render
 * it as text or print it as JSON). */

#include <stdbool.h>
#include <json-c/json.h>
#include "vhost/compiler.h"

/* Returns 0 with *result set (ownership passes; may stay NULL), or
 * -errno with *error set to a one-line malloc'd message. */
typedef int ctl_method_fn(void *aux, int argc, const char *const argv[],
                          struct json_object **result, char **error);

struct ctl_method {
    const char *name;
    int min_args, max_args;
    const char *usage;         /* "BR PORT [k=v...]" */
    ctl_method_fn *fn;
};

/* Runs 'method' of 'methods' with 'params' (a JSON array of strings, or
 * NULL for none).  0 with '*result' (may be NULL), or a negative errno
 * with '*error' set: -ENOENT for an unknown method, -EINVAL for bad
 * parameters, else the method's own error. */
int ctl_server_call(const struct ctl_method *methods, unsigned n_methods,
                    void *aux, const char *method, json_object *params,
                    json_object **result, char **error) RSW_MUST_CHECK;

/* Helper for methods: a malloc'd printf-formatted message. */
char *ctl_errorf(const char *fmt, ...) RSW_PRINTF(1, 2);

#endif
