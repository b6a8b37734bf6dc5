/* SPDX-License-Identifier: Apache-2.0 */
#include "ctl_client.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int
connect_unix(const char *path, int *fdp)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(path) >= sizeof sun.sun_path) {
        return -ENAMETOOLONG;
    }
    strcpy(sun.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (connect(fd, (struct sockaddr *) &sun, sizeof sun)) {
        int err = -errno;
        close(fd);
        return err;
    }
    *fdp = fd;
    return 0;
}

static int
send_request(int fd, const char *method, int argc, const char *const argv[])
{
    struct json_object *req = json_object_new_object();
    struct json_object *params = json_object_new_array();
    int err = 0;

    for (int i = 0; i < argc; i++) {
        json_object_array_add(params, json_object_new_string(argv[i]));
    }
    json_object_object_add(req, "method", json_object_new_string(method));
    json_object_object_add(req, "params", params);
    json_object_object_add(req, "id", json_object_new_int(0));
    char *msg = NULL;
    /* One write: a server that exits on this request may close the
     * connection right after reading it. */
    int len = asprintf(&msg, "%s\n", json_object_to_json_string_ext(
                           req, JSON_C_TO_STRING_PLAIN));
    if (len < 0) {
        err = -ENOMEM;
    } else if (send(fd, msg, (size_t) len, MSG_NOSIGNAL) != len) {
        err = -errno;
    }
    free(len < 0 ? NULL : msg);
    json_object_put(req);
    return err;
}

static int
read_reply(int fd, int timeout_ms, struct json_object **reply)
{
    struct json_tokener *tok = json_tokener_new();
    char buf[65536];
    int err = -ETIMEDOUT;

    if (!tok) {
        return -ENOMEM;
    }
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, timeout_ms > 0 ? timeout_ms : -1) <= 0) {
            break;
        }
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            err = n ? -errno : -ECONNRESET;
            break;
        }
        *reply = json_tokener_parse_ex(tok, buf, (int) n);
        if (*reply) {
            err = 0;
            break;
        }
        if (json_tokener_get_error(tok) != json_tokener_continue) {
            err = -EPROTO;
            break;
        }
    }
    json_tokener_free(tok);
    return err;
}

int
ctl_client_call(const char *path, const char *method, int argc,
                const char *const argv[], int timeout_ms,
                struct json_object **result, char **error)
{
    struct json_object *reply = NULL, *jr, *je;
    int fd = -1, err;

    *result = NULL;
    *error = NULL;
    err = connect_unix(path, &fd);
    if (err) {
        if (asprintf(error, "cannot connect to %s: %s", path,
                     strerror(-err)) < 0) {
            *error = NULL;
        }
        return err;
    }
    err = send_request(fd, method, argc, argv);
    if (!err) {
        err = read_reply(fd, timeout_ms, &reply);
    }
    close(fd);
    if (err) {
        if (asprintf(error, "%s: %s", path, err == -ETIMEDOUT
                     ? "no reply (timed out)" : strerror(-err)) < 0) {
            *error = NULL;
        }
        return err;
    }
    if (json_object_object_get_ex(reply, "error", &je) && je) {
        *error = strdup(json_object_get_string(je));
        err = -EINVAL;
    } else if (json_object_object_get_ex(reply, "result", &jr)) {
        *result = json_object_get(jr);
    }
    json_object_put(reply);
    return err;
}

/* ---- Text rendering of results ---------------------------------------- */

static bool
is_scalar(struct json_object *o)
{
    return !json_object_is_type(o, json_type_object)
           && !json_object_is_type(o, json_type_array);
}

static void render(struct json_object *, int indent);

/* An object as one line "k=v k=v" (scalars), then its nested members. */
static void
render_record(struct json_object *o, int indent)
{
    bool any = false;

    printf("%*s", indent, "");
    json_object_object_foreach(o, key, val) {
        if (is_scalar(val)) {
            const char *s = val ? json_object_get_string(val) : "null";
            printf("%s%s=%s", any ? " " : "", key, s);
            any = true;
        }
    }
    printf("\n");
    json_object_object_foreach(o, key2, val2) {
        if (!is_scalar(val2)) {
            printf("%*s%s:\n", indent + 2, "", key2);
            render(val2, indent + 4);
        }
    }
}

static void
render(struct json_object *o, int indent)
{
    if (!o) {
        return;
    }
    if (json_object_is_type(o, json_type_string)) {
        const char *s = json_object_get_string(o);
        size_t len = strlen(s);
        printf("%*s%s%s", indent, "", s, len && s[len - 1] == '\n' ? "" : "\n");
    } else if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++) {
            struct json_object *e = json_object_array_get_idx(o, i);
            if (json_object_is_type(e, json_type_object)) {
                render_record(e, indent);
            } else {
                render(e, indent);
            }
        }
    } else if (json_object_is_type(o, json_type_object)) {
        render_record(o, indent);
    } else {
        printf("%*s%s\n", indent, "", json_object_get_string(o));
    }
}

/* ---- Shared main ------------------------------------------------------ */

static void
usage(const struct ctl_client_tool *t)
{
    printf("%s: %s\nusage: %s [--ctl SOCKET] [--format text|json] "
           "[--timeout SECS] COMMAND [ARG...]\n\ncommands:\n",
           t->prog, t->summary, t->prog);
    for (unsigned i = 0; i < t->n_cmds; i++) {
        printf("  %s %s\n", t->cmds[i].name, t->cmds[i].usage);
    }
    printf("\ndefault socket: %s\n", CTL_DEFAULT_SOCKET);
}

static int
fail(const struct ctl_client_tool *t, const char *msg)
{
    fprintf(stderr, "%s: %s\n", t->prog, msg ? msg : "failed");
    return 1;
}

static const struct ctl_client_cmd *
find_cmd(const struct ctl_client_tool *t, const char *name)
{
    for (unsigned i = 0; i < t->n_cmds; i++) {
        if (!strcmp(t->cmds[i].name, name)) {
            return &t->cmds[i];
        }
    }
    return NULL;
}

static int
run_cmd(const struct ctl_client_tool *t, const char *ctl, bool json,
        int timeout_ms, int argc, char *argv[])
{
    const struct ctl_client_cmd *c = find_cmd(t, argv[0]);
    const char *method = argv[0];
    const char *args[64];
    int n = argc - 1;
    struct json_object *result;
    char *error, msg[256];

    if (!c && !t->passthrough) {
        snprintf(msg, sizeof msg, "unknown command '%s' (see --help)",
                 argv[0]);
        return fail(t, msg);
    }
    if (n > 63) {
        return fail(t, "too many arguments");
    }
    for (int i = 0; i < n; i++) {
        args[i] = argv[i + 1];
    }
    if (c) {
        const char *e = c->rewrite ? c->rewrite(&n, args) : NULL;
        if (e) {
            return fail(t, e);
        }
        if (n < c->min_args || n > c->max_args) {
            snprintf(msg, sizeof msg, "%s: wrong number of arguments "
                     "(usage: %s %s)", c->name, c->name, c->usage);
            return fail(t, msg);
        }
        method = c->method ? c->method : c->name;
    }
    if (ctl_client_call(ctl, method, n, args, timeout_ms, &result, &error)) {
        int rc = fail(t, error);
        free(error);
        return rc;
    }
    if (json) {
        printf("%s\n", json_object_to_json_string_ext(
                   result, JSON_C_TO_STRING_PRETTY));
    } else if (c && c->render) {
        c->render(result);
    } else {
        render(result, 0);
    }
    json_object_put(result);
    return 0;
}

int
ctl_client_main(const struct ctl_client_tool *t, int argc, char *argv[])
{
    static const struct option opts[] = {
        {"ctl", required_argument, NULL, 'c'},
        {"format", required_argument, NULL, 'f'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *ctl = CTL_DEFAULT_SOCKET;
    int timeout_ms = 30000, opt;
    bool json = false;

    /* '+': stop at the command, whose own arguments may start with '-'. */
    while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            ctl = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
                return fail(t, "--format must be text or json");
            }
            json = !strcmp(optarg, "json");
            break;
        case 't':
            timeout_ms = atoi(optarg) * 1000;
            if (timeout_ms <= 0) {
                return fail(t, "--timeout must be a positive number of "
                            "seconds");
            }
            break;
        case 'h':
            usage(t);
            return 0;
        default:
            fprintf(stderr, "%s: see --help\n", t->prog);
            return 1;
        }
    }
    if (optind >= argc) {
        return fail(t, "missing command (see --help)");
    }
    return run_cmd(t, ctl, json, timeout_ms, argc - optind, argv + optind);
}
