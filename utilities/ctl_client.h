/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_CTL_CLIENT_H
#define RSW_CTL_CLIENT_H 1

/* Client side of the control socket's runtime methods (ctl_server.h) and
 * the shared main of rsw-appctl and rsw-ofctl (rsw-vsctl speaks RFC 7047
 * to the database instead, vsctl.h).
 *
 * A tool is a table of commands, each mapped to a server method with an
 * argument count.  Common options: --ctl SOCKET, --format text|json,
 * --timeout SECS, --help.  Results print as text (a generic rendering of
 * the JSON reply: records one per line) or, with --format json, as the
 * JSON itself.  Errors: one line "TOOL: message" on stderr, exit 1. */

#include "vhost/compiler.h"

#define CTL_DEFAULT_SOCKET "/var/run/ringswitch/rsw-switchd.ctl"

struct json_object;

struct ctl_client_cmd {
    const char *name;          /* command word ("add-br") */
    const char *method;        /* server method; NULL = same as name */
    int min_args, max_args;
    const char *usage;
    /* Optional rewrite of the arguments before sending; returns NULL or
     * an error message. */
    const char *(*rewrite)(int *argc, const char **argv);
    /* Optional text rendering of the result (not used with --format
     * json); NULL: the generic one. */
    void (*render)(struct json_object *result);
};

struct ctl_client_tool {
    const char *prog;
    const char *summary;
    const struct ctl_client_cmd *cmds;
    unsigned n_cmds;
    int passthrough;           /* unknown commands go to the server as-is */
};

int ctl_client_main(const struct ctl_client_tool *, int argc, char *argv[]);

/* Sends one request and waits for the reply (timeout in ms, <= 0 none).
 * 0 with *result (caller frees), or -errno with *error (caller frees). */
int ctl_client_call(const char *path, const char *method, int argc,
                    const char *const argv[], int timeout_ms,
                    struct json_object **result, char **error)
    RSW_MUST_CHECK;

#endif
