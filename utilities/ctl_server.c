/* SPDX-License-Identifier: Apache-2.0 */
#include "ctl_server.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhost/vlog.h"

#define CTL_MAX_CONNS 64
#define CTL_MAX_PARAMS 32
#define CTL_MAX_REQUEST (1 << 20)   /* a request larger than this is abuse */

struct ctl_conn {
    int fd;
    struct json_tokener *tok;
    size_t pending;            /* bytes fed into 'tok' for this request */
};

struct ctl_server {
    int listen_fd, epoll_fd;
    char *path;
    const struct ctl_method *methods;
    unsigned n_methods;
    void *aux;
    struct ctl_conn conns[CTL_MAX_CONNS];
};

char *
ctl_errorf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) {
        s = NULL;
    }
    va_end(ap);
    return s;
}

static int
listen_unix(const char *path, int *fdp)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(path) >= sizeof sun.sun_path) {
        return -ENAMETOOLONG;
    }
    strcpy(sun.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -errno;
    }
    /* A socket file nobody listens on is left over from a crash. */
    if (connect(fd, (struct sockaddr *) &sun, sizeof sun) == 0) {
        close(fd);
        return -EADDRINUSE;
    }
    unlink(path);
    if (bind(fd, (struct sockaddr *) &sun, sizeof sun) || listen(fd, 16)) {
        int err = -errno;
        close(fd);
        return err;
    }
    *fdp = fd;
    return 0;
}

int
ctl_server_create(const char *path, const struct ctl_method *methods,
                  unsigned n, void *aux, struct ctl_server **out)
{
    struct ctl_server *s = calloc(1, sizeof *s);
    struct epoll_event ev = {.events = EPOLLIN};
    int err = -ENOMEM;

    if (!s) {
        return err;
    }
    s->listen_fd = s->epoll_fd = -1;
    for (unsigned i = 0; i < CTL_MAX_CONNS; i++) {
        s->conns[i].fd = -1;
    }
    s->methods = methods;
    s->n_methods = n;
    s->aux = aux;
    s->path = strdup(path);
    if (!s->path) {
        goto err_free;
    }
    err = listen_unix(path, &s->listen_fd);
    if (err) {
        goto err_free;
    }
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    ev.data.u32 = CTL_MAX_CONNS;
    if (s->epoll_fd < 0
        || epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->listen_fd, &ev)) {
        err = -errno;
        goto err_close;
    }
    *out = s;
    return 0;

err_close:
    if (s->epoll_fd >= 0) {
        close(s->epoll_fd);
    }
    close(s->listen_fd);
    unlink(path);
err_free:
    free(s->path);
    free(s);
    return err;
}

static void
conn_close(struct ctl_server *s, struct ctl_conn *c)
{
    epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    json_tokener_free(c->tok);
    c->fd = -1;
    c->tok = NULL;
}

void
ctl_server_destroy(struct ctl_server *s)
{
    if (!s) {
        return;
    }
    for (unsigned i = 0; i < CTL_MAX_CONNS; i++) {
        if (s->conns[i].fd >= 0) {
            conn_close(s, &s->conns[i]);
        }
    }
    close(s->epoll_fd);
    close(s->listen_fd);
    unlink(s->path);
    free(s->path);
    free(s);
}

int
ctl_server_fd(const struct ctl_server *s)
{
    return s->epoll_fd;
}

static void
accept_conns(struct ctl_server *s)
{
    for (;;) {
        int fd = accept4(s->listen_fd, NULL, NULL,
                         SOCK_CLOEXEC | SOCK_NONBLOCK);
        unsigned i = 0;
        if (fd < 0) {
            return;
        }
        while (i < CTL_MAX_CONNS && s->conns[i].fd >= 0) {
            i++;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        if (i == CTL_MAX_CONNS
            || !(s->conns[i].tok = json_tokener_new())
            || epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
            RSW_LOG_RL(RSW_LOG_WARN, "control socket: refusing a client "
                       "(%s)", i == CTL_MAX_CONNS ? "too many" : "no memory");
            if (i < CTL_MAX_CONNS) {
                json_tokener_free(s->conns[i].tok);
                s->conns[i].tok = NULL;
            }
            close(fd);
            continue;
        }
        s->conns[i].fd = fd;
        s->conns[i].pending = 0;
    }
}

static int
send_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN) {
            /* Replies are small; a client that does not read is waited
             * for briefly rather than buffered for. */
            usleep(1000);
            continue;
        }
        if (n <= 0) {
            return -errno;
        }
        buf += n;
        len -= (size_t) n;
    }
    return 0;
}

static const struct ctl_method *
find_method(const struct ctl_server *s, const char *name)
{
    for (unsigned i = 0; i < s->n_methods; i++) {
        if (!strcmp(s->methods[i].name, name)) {
            return &s->methods[i];
        }
    }
    return NULL;
}

/* Validates and runs one request; fills result or error. */
static void
dispatch(struct ctl_server *s, struct json_object *req,
         struct json_object **result, char **error)
{
    struct json_object *jm, *jp = NULL;
    const char *argv[CTL_MAX_PARAMS + 1];
    const struct ctl_method *m;
    int argc = 0;

    if (!json_object_is_type(req, json_type_object)
        || !json_object_object_get_ex(req, "method", &jm)
        || !json_object_is_type(jm, json_type_string)) {
        *error = ctl_errorf("request is not a JSON-RPC object with a method");
        return;
    }
    json_object_object_get_ex(req, "params", &jp);
    if (jp && !json_object_is_type(jp, json_type_array)) {
        *error = ctl_errorf("params must be an array");
        return;
    }
    for (size_t i = 0; jp && i < json_object_array_length(jp); i++) {
        struct json_object *a = json_object_array_get_idx(jp, i);
        if (!json_object_is_type(a, json_type_string)
            || argc >= CTL_MAX_PARAMS) {
            *error = ctl_errorf("params must be at most %d strings",
                                CTL_MAX_PARAMS);
            return;
        }
        argv[argc++] = json_object_get_string(a);
    }
    argv[argc] = NULL;
    m = find_method(s, json_object_get_string(jm));
    if (!m) {
        *error = ctl_errorf("unknown command '%s'; use list-commands",
                            json_object_get_string(jm));
    } else if (argc < m->min_args || argc > m->max_args) {
        *error = ctl_errorf("%s: wrong number of arguments (usage: %s %s)",
                            m->name, m->name, m->usage);
    } else if (m->fn(s->aux, argc, argv, result, error) && !*error) {
        *error = ctl_errorf("%s failed", m->name);
    }
}

static int
handle_request(struct ctl_server *s, struct ctl_conn *c,
               struct json_object *req)
{
    struct json_object *result = NULL, *reply = json_object_new_object();
    struct json_object *id = NULL;
    char *error = NULL;
    int err;

    dispatch(s, req, &result, &error);
    if (json_object_is_type(req, json_type_object)) {
        json_object_object_get_ex(req, "id", &id);
    }
    if (error) {
        json_object_put(result);
        result = NULL;
    }
    json_object_object_add(reply, "result", result);
    json_object_object_add(reply, "error",
                           error ? json_object_new_string(error) : NULL);
    json_object_object_add(reply, "id", id ? json_object_get(id) : NULL);
    const char *text = json_object_to_json_string_ext(reply,
                                                      JSON_C_TO_STRING_PLAIN);
    err = send_all(c->fd, text, strlen(text));
    if (!err) {
        err = send_all(c->fd, "\n", 1);
    }
    json_object_put(reply);
    free(error);
    return err;
}

/* Feeds what arrived to the tokenizer; every complete object is a
 * request.  Negative: drop the connection. */
static int
conn_read(struct ctl_server *s, struct ctl_conn *c)
{
    char buf[4096];
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    size_t off = 0;

    if (n <= 0) {
        return n < 0 && errno == EAGAIN ? 0 : -1;
    }
    while (off < (size_t) n) {
        while (off < (size_t) n && !c->pending
               && strchr(" \t\r\n", buf[off])) {
            off++;      /* delimiters between objects */
        }
        if (off == (size_t) n) {
            break;
        }
        struct json_object *req = json_tokener_parse_ex(
            c->tok, buf + off, (int) ((size_t) n - off));
        size_t used = json_tokener_get_parse_end(c->tok);
        enum json_tokener_error e = json_tokener_get_error(c->tok);
        off += used;
        c->pending += used;
        if (!req && e == json_tokener_continue) {
            return c->pending > CTL_MAX_REQUEST ? -1 : 0;
        }
        if (!req) {
            return -1;  /* malformed JSON: nothing sane to reply to */
        }
        json_tokener_reset(c->tok);
        c->pending = 0;
        int err = handle_request(s, c, req);
        json_object_put(req);
        if (err) {
            return err;
        }
    }
    return 0;
}

void
ctl_server_run(struct ctl_server *s)
{
    struct epoll_event evs[16];
    int n = epoll_wait(s->epoll_fd, evs, 16, 0);

    for (int i = 0; i < n; i++) {
        uint32_t idx = evs[i].data.u32;
        if (idx == CTL_MAX_CONNS) {
            accept_conns(s);
        } else if (s->conns[idx].fd >= 0 && conn_read(s, &s->conns[idx])) {
            conn_close(s, &s->conns[idx]);
        }
    }
}
