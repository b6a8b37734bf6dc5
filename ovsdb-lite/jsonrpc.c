/* SPDX-License-Identifier: Apache-2.0 */
/* JSON-RPC 1.0 over stream sockets (RFC 7047 §4). */
#include "jsonrpc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "util.h"

/* ---- Parser. ---- */

struct jsonrpc_parser {
    struct json_tokener *tok;
    size_t max_msg;
    size_t msg_bytes;       /* bytes of the current message so far */
    bool in_msg;            /* the current message has started */
    bool broken;            /* an error was returned */
};

struct jsonrpc_parser *
jsonrpc_parser_create(size_t max_msg, int max_depth)
{
    struct jsonrpc_parser *p = ovsdb_xzalloc(sizeof *p);
    p->tok = json_tokener_new_ex(max_depth > 0 ? max_depth
                                 : JSONRPC_MAX_DEPTH);
    if (!p->tok) {
        ovsdb_oom();
    }
    /* RFC 7047 §3.1: plain RFC 4627 JSON, so json-c's extensions (NaN,
     * single quotes, ...) are refused; trailing bytes are the next
     * message, not an error. */
    json_tokener_set_flags(p->tok, JSON_TOKENER_STRICT
                           | JSON_TOKENER_ALLOW_TRAILING_CHARS
                           | JSON_TOKENER_VALIDATE_UTF8);
    p->max_msg = max_msg ? max_msg : JSONRPC_DEFAULT_MAX_MSG;
    return p;
}

void
jsonrpc_parser_destroy(struct jsonrpc_parser *p)
{
    if (p) {
        json_tokener_free(p->tok);
        free(p);
    }
}

bool
jsonrpc_parser_mid_message(const struct jsonrpc_parser *p)
{
    return p->in_msg;
}

static int
parser_fail(struct jsonrpc_parser *p, int error)
{
    p->broken = true;
    return error;
}

/* Skips inter-message whitespace; a message must start with '{'. */
static int
parser_start(struct jsonrpc_parser *p, const char *buf, size_t len,
             size_t *skipped)
{
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", buf[i]) && buf[i]) {
        i++;
    }
    *skipped = i;
    if (i < len) {
        if (buf[i] != '{') {
            return parser_fail(p, -EPROTO);
        }
        p->in_msg = true;
        p->msg_bytes = 0;
    }
    return 0;
}

int
jsonrpc_parser_feed(struct jsonrpc_parser *p, const char *buf, size_t len,
                    size_t *consumed, json_object **msgp)
{
    size_t skip = 0;
    *msgp = NULL;
    *consumed = 0;
    if (p->broken) {
        return -EPROTO;
    }
    if (!p->in_msg) {
        int error = parser_start(p, buf, len, &skip);
        if (error || !p->in_msg) {
            *consumed = skip;
            return error;
        }
    }
    size_t room = p->max_msg - p->msg_bytes;
    size_t n = len - skip < room ? len - skip : room;
    if (n > INT32_MAX) {
        n = INT32_MAX;
    }
    if (!n) {
        *consumed = skip;
        return 0;
    }
    json_object *obj = json_tokener_parse_ex(p->tok, buf + skip, (int) n);
    enum json_tokener_error jerr = json_tokener_get_error(p->tok);
    if (obj) {
        size_t used = json_tokener_get_parse_end(p->tok);
        json_tokener_reset(p->tok);
        p->in_msg = false;
        *consumed = skip + used;
        *msgp = obj;
        return 0;
    }
    if (jerr != json_tokener_continue) {
        return parser_fail(p, jerr == json_tokener_error_depth ? -ELOOP
                           : -EPROTO);
    }
    p->msg_bytes += n;
    *consumed = skip + n;
    if (p->msg_bytes >= p->max_msg) {
        return parser_fail(p, -EMSGSIZE);
    }
    return 0;
}

/* ---- Messages. ---- */

static json_object *
member(json_object *obj, const char *name, bool *present)
{
    json_object *v = NULL;
    *present = json_object_object_get_ex(obj, name, &v);
    return v;
}

int
jsonrpc_msg_parse(json_object *obj, struct jsonrpc_msg *m, const char **why)
{
    bool has_method, has_params, has_result, has_error, has_id;
    memset(m, 0, sizeof *m);
    *why = NULL;
    if (!json_object_is_type(obj, json_type_object)) {
        *why = "message is not a JSON object";
        return -EPROTO;
    }
    json_object *method = member(obj, "method", &has_method);
    m->params = member(obj, "params", &has_params);
    m->result = member(obj, "result", &has_result);
    m->error = member(obj, "error", &has_error);
    m->id = member(obj, "id", &has_id);
    if (has_method) {
        if (!json_object_is_type(method, json_type_string)
            || !json_object_is_type(m->params, json_type_array)
            || !has_id || has_result || has_error) {
            *why = "request needs a string \"method\", an array \"params\" "
                   "and an \"id\" (JSON-RPC 1.0)";
            return -EPROTO;
        }
        m->method = json_object_get_string(method);
        m->type = m->id ? JSONRPC_REQUEST : JSONRPC_NOTIFY;
        return 0;
    }
    if (!has_result || !has_error || !m->id) {
        *why = "message has neither \"method\" nor \"result\", \"error\" "
               "and a non-null \"id\"";
        return -EPROTO;
    }
    if ((m->result != NULL) == (m->error != NULL)) {
        *why = "a reply needs exactly one of \"result\" and \"error\" "
               "non-null";
        return -EPROTO;
    }
    m->type = m->error ? JSONRPC_ERROR : JSONRPC_REPLY;
    return 0;
}

static json_object *
create_msg(const char *k1, json_object *v1, const char *k2, json_object *v2,
           json_object *id)
{
    json_object *msg = ovsdb_json_obj();
    ovsdb_json_add(msg, k1, v1);
    ovsdb_json_add(msg, k2, v2);
    ovsdb_json_add(msg, "id", id);
    return msg;
}

json_object *
jsonrpc_create_request(const char *method, json_object *params,
                       json_object *id)
{
    return create_msg("method", ovsdb_json_str(method), "params", params, id);
}

json_object *
jsonrpc_create_notify(const char *method, json_object *params)
{
    return create_msg("method", ovsdb_json_str(method), "params", params,
                      NULL);
}

json_object *
jsonrpc_create_reply(json_object *result, json_object *id)
{
    return create_msg("result", result, "error", NULL, id);
}

json_object *
jsonrpc_create_error(json_object *error, json_object *id)
{
    return create_msg("result", NULL, "error", error, id);
}

json_object *
jsonrpc_error_obj(const char *tag, const char *fmt, ...)
{
    char details[512];
    va_list args;
    va_start(args, fmt);
    vsnprintf(details, sizeof details, fmt, args);
    va_end(args);
    json_object *e = ovsdb_json_obj();
    ovsdb_json_add(e, "error", ovsdb_json_str(tag));
    ovsdb_json_add(e, "details", ovsdb_json_str(details));
    return e;
}

/* ---- Connections. ---- */

struct jsonrpc {
    int fd;
    struct jsonrpc_parser *parser;
    size_t max_backlog;
    char *out;              /* queued output: out[out_head..out_len) */
    size_t out_head, out_len, out_cap;
    char *in;               /* received, not yet parsed: in[in_head..in_len) */
    size_t in_head, in_len;
    bool eof;
};

#define JSONRPC_READ_SIZE 65536

struct jsonrpc *
jsonrpc_open(int fd, size_t max_msg, size_t max_backlog)
{
    struct jsonrpc *rpc = ovsdb_xzalloc(sizeof *rpc);
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) {
        (void) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    }
    rpc->fd = fd;
    rpc->parser = jsonrpc_parser_create(max_msg, JSONRPC_MAX_DEPTH);
    rpc->max_backlog = max_backlog ? max_backlog
                       : JSONRPC_DEFAULT_MAX_BACKLOG;
    rpc->in = ovsdb_xmalloc(JSONRPC_READ_SIZE);
    return rpc;
}

void
jsonrpc_close(struct jsonrpc *rpc)
{
    if (!rpc) {
        return;
    }
    if (rpc->fd >= 0) {
        close(rpc->fd);
    }
    jsonrpc_parser_destroy(rpc->parser);
    free(rpc->out);
    free(rpc->in);
    free(rpc);
}

int
jsonrpc_get_fd(const struct jsonrpc *rpc)
{
    return rpc->fd;
}

size_t
jsonrpc_backlog(const struct jsonrpc *rpc)
{
    return rpc->out_len - rpc->out_head;
}

int
jsonrpc_flush(struct jsonrpc *rpc)
{
    while (rpc->out_head < rpc->out_len) {
        ssize_t n = send(rpc->fd, rpc->out + rpc->out_head,
                         rpc->out_len - rpc->out_head,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
        }
        rpc->out_head += n;
    }
    rpc->out_head = rpc->out_len = 0;
    return 0;
}

static void
out_append(struct jsonrpc *rpc, const char *s, size_t len)
{
    if (rpc->out_head && rpc->out_head >= rpc->out_len / 2) {
        memmove(rpc->out, rpc->out + rpc->out_head,
                rpc->out_len - rpc->out_head);
        rpc->out_len -= rpc->out_head;
        rpc->out_head = 0;
    }
    if (rpc->out_cap - rpc->out_len < len) {
        size_t cap = rpc->out_cap ? rpc->out_cap : 4096;
        while (cap - rpc->out_len < len) {
            cap *= 2;
        }
        rpc->out = ovsdb_xrealloc(rpc->out, cap);
        rpc->out_cap = cap;
    }
    memcpy(rpc->out + rpc->out_len, s, len);
    rpc->out_len += len;
}

int
jsonrpc_send(struct jsonrpc *rpc, json_object *msg)
{
    size_t len;
    const char *s = ovsdb_json_plain(msg, &len);
    out_append(rpc, s, len);
    json_object_put(msg);
    int error = jsonrpc_flush(rpc);
    if (!error && jsonrpc_backlog(rpc) > rpc->max_backlog) {
        error = -ENOBUFS;
    }
    return error;
}

/* Reads once into the (empty) input buffer. */
static int
fill_input(struct jsonrpc *rpc, size_t want)
{
    if (!want || want > JSONRPC_READ_SIZE) {
        want = JSONRPC_READ_SIZE;
    }
    for (;;) {
        ssize_t n = recv(rpc->fd, rpc->in, want, MSG_DONTWAIT);
        if (n > 0) {
            rpc->in_head = 0;
            rpc->in_len = n;
            return 0;
        }
        if (n == 0) {
            rpc->eof = true;
            return 0;
        }
        if (errno != EINTR) {
            return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        }
    }
}

int
jsonrpc_recv(struct jsonrpc *rpc, json_object **msgp, size_t *budget)
{
    *msgp = NULL;
    for (;;) {
        if (rpc->in_head < rpc->in_len) {
            size_t used;
            int error = jsonrpc_parser_feed(rpc->parser,
                                            rpc->in + rpc->in_head,
                                            rpc->in_len - rpc->in_head,
                                            &used, msgp);
            rpc->in_head += used;
            if (error || *msgp) {
                return error;
            }
            continue;
        }
        if (rpc->eof) {
            /* RFC 7047 §4: a message cut short is not a message. */
            return jsonrpc_parser_mid_message(rpc->parser) ? -ECONNABORTED
                                                           : -EPIPE;
        }
        if (budget && !*budget) {
            return -EAGAIN;
        }
        int error = fill_input(rpc, budget ? *budget : 0);
        if (error) {
            return error;
        }
        if (budget) {
            *budget -= rpc->in_len < *budget ? rpc->in_len : *budget;
        }
    }
}

int64_t
jsonrpc_time_msec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
wait_fd(int fd, short events, int64_t deadline)
{
    int64_t left = deadline < 0 ? -1 : deadline - jsonrpc_time_msec();
    if (deadline >= 0 && left <= 0) {
        return -ETIMEDOUT;
    }
    struct pollfd pfd = { .fd = fd, .events = events };
    int n = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int) left);
    if (n < 0) {
        return errno == EINTR ? 0 : -errno;
    }
    return n == 0 ? -ETIMEDOUT : 0;
}

int
jsonrpc_recv_block(struct jsonrpc *rpc, json_object **msgp, int timeout_ms)
{
    int64_t deadline = timeout_ms < 0 ? -1
                       : jsonrpc_time_msec() + timeout_ms;
    for (;;) {
        int error = jsonrpc_recv(rpc, msgp, NULL);
        if (error != -EAGAIN) {
            return error;
        }
        error = wait_fd(rpc->fd, POLLIN, deadline);
        if (error) {
            return error;
        }
    }
}

int
jsonrpc_send_block(struct jsonrpc *rpc, json_object *msg, int timeout_ms)
{
    int64_t deadline = timeout_ms < 0 ? -1
                       : jsonrpc_time_msec() + timeout_ms;
    int error = jsonrpc_send(rpc, msg);
    while (!error && jsonrpc_backlog(rpc)) {
        error = wait_fd(rpc->fd, POLLOUT, deadline);
        if (!error) {
            error = jsonrpc_flush(rpc);
        }
    }
    return error;
}

int
jsonrpc_connect_unix(const char *path, struct jsonrpc **rpcp)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    *rpcp = NULL;
    if (strlen(path) >= sizeof sun.sun_path) {
        return -ENAMETOOLONG;
    }
    strcpy(sun.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (connect(fd, (struct sockaddr *) &sun, sizeof sun) < 0) {
        int error = -errno;
        close(fd);
        return error;
    }
    *rpcp = jsonrpc_open(fd, 0, 0);
    return 0;
}
