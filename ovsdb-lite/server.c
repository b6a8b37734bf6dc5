/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 7047 §4 JSON-RPC server: connections, event loop, dispatch,
 * transactions and blocked "wait"s.  Monitors are in server_monitor.c. */
#include "server_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>
#include "util.h"
#include "vhost/vlog.h"

/* What an epoll event's data.ptr points at. */
enum ep_kind { EP_LISTENER, EP_TIMER, EP_CLIENT };
struct ep_tag {
    enum ep_kind kind;
};

struct server_listener {
    struct ep_tag tag;          /* first: epoll data points here */
    struct server_listener *next;
    int fd;
    char *path;
};

struct server_client {
    struct ep_tag tag;
    struct ovsdb_server *server;
    struct server_client *prev, *next;
    struct jsonrpc *rpc;
    bool dead;                  /* dropped; freed by reap_clients() */
    bool want_out;              /* EPOLLOUT is registered */
    bool probe_sent;            /* an inactivity "echo" is outstanding */
    int64_t last_rx;            /* ms of the last message received */
};

/* A transact request blocked on a "wait" (RFC 7047 §5.2.6). */
struct blocked_txn {
    struct blocked_txn *next;
    struct server_client *client;
    json_object *id, *params;
    bool durable;
    int64_t start, deadline;    /* ms; deadline INT64_MAX: none */
};

/* Output held back while commits wait for the log's fdatasync (group
 * commit), released in order once it is done. */
enum held_kind {
    HELD_OTHER,
    HELD_UPDATE,                /* a monitor "update" */
    HELD_TXN_REPLY,             /* a "transact" reply */
};

struct held_msg {
    struct held_msg *next;
    struct server_client *client;   /* freed only after release */
    json_object *msg;
    json_object *id;            /* HELD_TXN_REPLY: the request's id */
    enum held_kind kind;
};

struct ovsdb_server {
    struct ovsdb *db;
    struct ovsdb_server_options opts;
    int epfd, timerfd;
    struct ep_tag timer_tag;
    struct server_listener *listeners;
    struct server_client *clients;     /* live ones */
    struct server_client *graveyard;   /* dropped, not yet freed */
    size_t n_clients;
    struct blocked_txn *blocked;       /* FIFO */
    struct server_monitor_set monitors;
    ovsdb_txn_change_cb *host_cb;
    void *host_aux;
    ovsdb_server_host_method_fn *host_method;
    void *host_method_aux;
    bool changed;                      /* rows changed since after_commit */
    bool sync_owed;                    /* commits wait for ovsdb_sync() */
    struct held_msg *held, **held_tail; /* output waiting for the sync */
    bool in_run_blocked;
    struct ovsdb_server_stats stats;
};

static void server_change_cb(const struct ovsdb_table *,
                             const struct ovsdb_row *old,
                             const struct ovsdb_row *new, void *server_);

/* ---- Lifecycle. ---- */

static int
ep_add(struct ovsdb_server *s, int fd, uint32_t events, struct ep_tag *tag)
{
    struct epoll_event ev = { .events = events, .data.ptr = tag };
    return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int
ovsdb_server_create(struct ovsdb *db, const struct ovsdb_server_options *o,
                    struct ovsdb_server **sp)
{
    struct ovsdb_server *s = ovsdb_xzalloc(sizeof *s);
    int error;

    *sp = NULL;
    s->db = db;
    s->opts = o ? *o : (struct ovsdb_server_options) { 0 };
    s->opts.max_msg = s->opts.max_msg ? s->opts.max_msg
                      : JSONRPC_DEFAULT_MAX_MSG;
    s->opts.max_backlog = s->opts.max_backlog ? s->opts.max_backlog
                          : JSONRPC_DEFAULT_MAX_BACKLOG;
    s->opts.max_clients = s->opts.max_clients ? s->opts.max_clients : 1024;
    s->opts.read_budget = s->opts.read_budget ? s->opts.read_budget
                          : 256 * 1024;
    s->timerfd = -1;
    s->held_tail = &s->held;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0) {
        error = -errno;
        goto err_free;
    }
    s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (s->timerfd < 0) {
        error = -errno;
        goto err_epoll;
    }
    s->timer_tag.kind = EP_TIMER;
    error = ep_add(s, s->timerfd, EPOLLIN, &s->timer_tag);
    if (error) {
        goto err_timer;
    }
    server_monitors_init(&s->monitors, db);
    ovsdb_set_change_cb(db, server_change_cb, s);
    *sp = s;
    return 0;

err_timer:
    close(s->timerfd);
err_epoll:
    close(s->epfd);
err_free:
    free(s);
    return error;
}

static void
client_free(struct server_client *c)
{
    jsonrpc_close(c->rpc);
    free(c);
}

static void
blocked_free(struct blocked_txn *b)
{
    json_object_put(b->id);
    json_object_put(b->params);
    free(b);
}

static void client_drop(struct server_client *, int error);
static void reap_clients(struct ovsdb_server *);
static void server_sync(struct ovsdb_server *);

void
ovsdb_server_destroy(struct ovsdb_server *s)
{
    if (!s) {
        return;
    }
    server_sync(s);
    ovsdb_set_change_cb(s->db, NULL, NULL);
    while (s->clients) {
        client_drop(s->clients, -EPIPE);
    }
    reap_clients(s);
    while (s->listeners) {
        struct server_listener *l = s->listeners;
        s->listeners = l->next;
        close(l->fd);
        unlink(l->path);
        free(l->path);
        free(l);
    }
    server_monitors_destroy(&s->monitors);
    close(s->timerfd);
    close(s->epfd);
    free(s);
}

int
ovsdb_server_get_fd(const struct ovsdb_server *s)
{
    return s->epfd;
}

void
ovsdb_server_get_stats(const struct ovsdb_server *s,
                       struct ovsdb_server_stats *stats)
{
    *stats = s->stats;
}

size_t
ovsdb_server_n_clients(const struct ovsdb_server *s)
{
    return s->n_clients;
}

void
ovsdb_server_set_change_cb(struct ovsdb_server *s, ovsdb_txn_change_cb *cb,
                           void *aux)
{
    s->host_cb = cb;
    s->host_aux = aux;
}

void
ovsdb_server_set_host_methods(struct ovsdb_server *s,
                              ovsdb_server_host_method_fn *fn, void *aux)
{
    s->host_method = fn;
    s->host_method_aux = aux;
}

static void
server_change_cb(const struct ovsdb_table *table, const struct ovsdb_row *old,
                 const struct ovsdb_row *new, void *s_)
{
    struct ovsdb_server *s = s_;
    s->changed = true;
    server_monitors_note_change(&s->monitors, table, old, new);
    if (s->host_cb) {
        s->host_cb(table, old, new, s->host_aux);
    }
}

/* ---- Listening and accepting. ---- */

/* A socket file nobody accepts on is stale; a live one is in use. */
static int
remove_stale_socket(const struct sockaddr_un *sun)
{
    struct stat st;
    if (lstat(sun->sun_path, &st)) {
        return errno == ENOENT ? 0 : -errno;
    }
    if (!S_ISSOCK(st.st_mode)) {
        return -EEXIST;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    int error = connect(fd, (const struct sockaddr *) sun, sizeof *sun)
                ? -errno : -EADDRINUSE;
    close(fd);
    if (error == -ECONNREFUSED) {
        return unlink(sun->sun_path) ? -errno : 0;
    }
    return error;
}

int
ovsdb_server_listen(struct ovsdb_server *s, const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd, error;

    if (!strncmp(path, "punix:", 6)) {
        path += 6;
    }
    if (!*path || strlen(path) >= sizeof sun.sun_path) {
        return -ENAMETOOLONG;
    }
    strcpy(sun.sun_path, path);
    error = remove_stale_socket(&sun);
    if (error) {
        return error;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (bind(fd, (struct sockaddr *) &sun, sizeof sun)
        || listen(fd, 128)) {
        error = -errno;
        goto err_close;
    }
    struct server_listener *l = ovsdb_xzalloc(sizeof *l);
    l->tag.kind = EP_LISTENER;
    l->fd = fd;
    l->path = ovsdb_xstrdup(path);
    error = ep_add(s, fd, EPOLLIN, &l->tag);
    if (error) {
        free(l->path);
        free(l);
        unlink(path);
        goto err_close;
    }
    l->next = s->listeners;
    s->listeners = l;
    return 0;

err_close:
    close(fd);
    return error;
}

int
ovsdb_server_add_client(struct ovsdb_server *s, int fd)
{
    if (s->n_clients >= s->opts.max_clients) {
        s->stats.n_refused_max_clients++;
        close(fd);
        return -EMFILE;
    }
    struct server_client *c = ovsdb_xzalloc(sizeof *c);
    c->tag.kind = EP_CLIENT;
    c->server = s;
    c->rpc = jsonrpc_open(fd, s->opts.max_msg, s->opts.max_backlog);
    c->last_rx = jsonrpc_time_msec();
    int error = ep_add(s, fd, EPOLLIN, &c->tag);
    if (error) {
        client_free(c);
        return error;
    }
    c->next = s->clients;
    if (s->clients) {
        s->clients->prev = c;
    }
    s->clients = c;
    s->n_clients++;
    s->stats.n_accepted++;
    return 0;
}

static void
accept_clients(struct ovsdb_server *s, struct server_listener *l)
{
    for (int i = 0; i < 64; i++) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                RSW_LOG_RL(RSW_LOG_WARN, "ovsdb-server: accept on %s: %s",
                           l->path, strerror(errno));
            }
            return;
        }
        if (ovsdb_server_add_client(s, fd)) {
            RSW_LOG_RL(RSW_LOG_WARN, "ovsdb-server: refused a connection "
                       "on %s (%zu clients)", l->path, s->n_clients);
        }
    }
}

/* ---- Dropping clients. ---- */

bool
server_client_alive(const struct server_client *c)
{
    return !c->dead;
}

static void
count_drop(struct ovsdb_server_stats *st, int error)
{
    switch (error) {
    case -EPIPE: case -ECONNRESET: break;
    case -EPROTO: st->n_drop_bad_json++; break;
    case -EMSGSIZE: st->n_drop_oversize++; break;
    case -ELOOP: st->n_drop_too_deep++; break;
    case -ECONNABORTED: st->n_drop_truncated++; break;
    case -ENOBUFS: st->n_drop_backlog++; break;
    case -ETIMEDOUT: st->n_drop_probe++; break;
    default: st->n_drop_io++; break;
    }
    st->n_disconnects++;
}

static const char *
drop_reason(int error)
{
    switch (error) {
    case -EPROTO: return "invalid JSON or a non-object message";
    case -EMSGSIZE: return "message over the size limit";
    case -ELOOP: return "JSON nested over the depth limit";
    case -ECONNABORTED: return "connection closed inside a message";
    case -ENOBUFS: return "output backlog over the limit";
    case -ETIMEDOUT: return "no answer to the inactivity probe";
    default: return strerror(-error);
    }
}

/* Marks 'c' dead: it gets nothing more (monitor flushes and blocked
 * transactions skip it); its monitors, blocked transactions and memory
 * go in reap_clients(), so loops holding pointers to them stay safe. */
static void
client_drop(struct server_client *c, int error)
{
    struct ovsdb_server *s = c->server;
    if (c->dead) {
        return;
    }
    c->dead = true;
    count_drop(&s->stats, error);
    if (error != -EPIPE && error != -ECONNRESET) {
        RSW_LOG_RL(RSW_LOG_INFO, "ovsdb-server: dropping client: %s",
                   drop_reason(error));
    }
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, jsonrpc_get_fd(c->rpc), NULL);
    *(c->prev ? &c->prev->next : &s->clients) = c->next;
    if (c->next) {
        c->next->prev = c->prev;
    }
    c->next = s->graveyard;
    s->graveyard = c;
    s->n_clients--;
}

/* Frees dropped clients and the transactions they left blocked. */
static void
reap_clients(struct ovsdb_server *s)
{
    for (struct blocked_txn **bp = &s->blocked; *bp;) {
        struct blocked_txn *b = *bp;
        if (b->client->dead) {
            *bp = b->next;
            s->stats.n_txn_canceled++;
            blocked_free(b);
        } else {
            bp = &b->next;
        }
    }
    while (s->graveyard) {
        struct server_client *c = s->graveyard;
        s->graveyard = c->next;
        server_monitors_drop_client(&s->monitors, c);
        client_free(c);
    }
}

/* Sends 'msg' now, or holds it while a sync is owed: nobody hears of a
 * commit, directly or through anything that saw it, before it is
 * durable. */
static void
queue_send(struct server_client *c, json_object *msg, enum held_kind kind,
           json_object *id)
{
    struct ovsdb_server *s = c->server;
    if (c->dead) {
        json_object_put(msg);
        return;
    }
    if (s->sync_owed) {
        struct held_msg *h = ovsdb_xzalloc(sizeof *h);
        h->client = c;
        h->msg = msg;
        h->id = json_object_get(id);
        h->kind = kind;
        *s->held_tail = h;
        s->held_tail = &h->next;
        return;
    }
    int error = jsonrpc_send(c->rpc, msg);
    if (error) {
        client_drop(c, error);
    }
}

static void
client_send(struct server_client *c, json_object *msg)
{
    queue_send(c, msg, HELD_OTHER, NULL);
}

static void
send_update(struct server_client *c, json_object *msg)
{
    queue_send(c, msg, HELD_UPDATE, NULL);
}

/* A held transaction whose fdatasync failed is not acknowledged: its
 * client gets an I/O error instead of its result. */
static json_object *
sync_failed_reply(json_object *id)
{
    struct ovsdb_error err = { 0 };
    json_object *result = ovsdb_json_arr();
    ovsdb_error_set(&err, -EIO, OVSDB_E_IO, "fdatasync of the log failed: "
                    "the commit may not be on disk; the database refuses "
                    "further writes");
    ovsdb_json_push(result, ovsdb_error_to_json(&err));
    return jsonrpc_create_reply(result, json_object_get(id));
}

/* Group commit: one fdatasync for every commit since the last one, then
 * the replies and updates that waited for it, in order.  Called at the
 * end of each round, before dead clients are freed. */
static void
server_sync(struct ovsdb_server *s)
{
    struct held_msg *h, *next;
    int error = 0;
    if (s->sync_owed) {
        s->sync_owed = false;
        s->stats.n_log_syncs++;
        error = ovsdb_sync(s->db);
    }
    for (h = s->held; h; h = next) {
        next = h->next;
        if (error && h->kind != HELD_OTHER) {
            json_object_put(h->msg);
            h->msg = NULL;
            if (h->kind == HELD_TXN_REPLY) {
                s->stats.n_txn_sync_failed++;
                h->msg = sync_failed_reply(h->id);
            }
        }
        if (h->msg) {
            client_send(h->client, h->msg);
        }
        json_object_put(h->id);
        free(h);
    }
    s->held = NULL;
    s->held_tail = &s->held;
}

/* A protocol error ends the connection: tell the peer why first (best
 * effort, RFC 7047 §4 has no resynchronisation). */
static void
client_fail(struct server_client *c, int error)
{
    const char *why = error == -EMSGSIZE ? "message too long"
                      : error == -ELOOP ? "JSON nested too deeply"
                      : error == -EPROTO ? "invalid JSON or not an object"
                      : NULL;
    if (why && !c->dead) {
        json_object *e = jsonrpc_error_obj(OVSDB_E_SYNTAX, "%s: closing the "
                                           "connection", why);
        /* jsonrpc_send() already wrote what the socket takes; the
         * connection closes either way. */
        int ignored = jsonrpc_send(c->rpc, jsonrpc_create_error(e, NULL));
        (void) ignored;
    }
    client_drop(c, error);
}

/* ---- Requests. ---- */

static void
reply(struct server_client *c, json_object *id, json_object *result)
{
    client_send(c, jsonrpc_create_reply(result, json_object_get(id)));
}

static void
reply_error(struct server_client *c, json_object *id, json_object *error)
{
    client_send(c, jsonrpc_create_error(error, json_object_get(id)));
}

static bool
check_db_name(struct ovsdb_server *s, struct server_client *c,
              const struct jsonrpc_msg *m)
{
    json_object *name = ovsdb_json_idx(m->params, 0);
    if (json_object_is_type(name, json_type_string)
        && !strcmp(json_object_get_string(name),
                   ovsdb_get_schema(s->db)->name)) {
        return true;
    }
    s->stats.n_bad_params++;
    if (m->id) {
        reply_error(c, m->id, jsonrpc_error_obj(
            OVSDB_E_UNKNOWN_DB, "%s: params must start with the database "
            "name \"%s\"", m->method, ovsdb_get_schema(s->db)->name));
    }
    return false;
}

/* Changes were committed: notify monitors, then re-run blocked
 * transactions (each of which may commit in turn). */
static void run_blocked(struct ovsdb_server *, int64_t now, bool on_commit);

static void
after_commit(struct ovsdb_server *s)
{
    bool changed = s->changed;
    s->changed = false;
    server_monitors_flush(&s->monitors, send_update,
                          &s->stats.n_updates_sent);
    if (changed && s->blocked) {
        run_blocked(s, jsonrpc_time_msec(), true);
    }
}

/* Durable unless a commit op says "durable": false and none says true
 * (see server.h). */
static bool
txn_durable(json_object *params)
{
    bool opt_out = false;
    for (size_t i = 1; i < ovsdb_json_len(params); i++) {
        json_object *op = ovsdb_json_idx(params, i), *v, *d;
        if (json_object_object_get_ex(op, "op", &v)
            && json_object_is_type(v, json_type_string)
            && !strcmp(json_object_get_string(v), "commit")
            && json_object_object_get_ex(op, "durable", &d)
            && json_object_is_type(d, json_type_boolean)) {
            if (json_object_get_boolean(d)) {
                return true;
            }
            opt_out = true;
        }
    }
    return !opt_out;
}

/* Earliest time after 'elapsed' at which a "wait" in 'params' times out
 * (RFC 7047 §5.2.6 "timeout"), relative to 'start'; INT64_MAX if none. */
static int64_t
wait_deadline(json_object *params, int64_t start, int64_t elapsed)
{
    int64_t best = INT64_MAX;
    for (size_t i = 1; i < ovsdb_json_len(params); i++) {
        json_object *op = ovsdb_json_idx(params, i), *v, *t;
        if (json_object_object_get_ex(op, "op", &v)
            && json_object_is_type(v, json_type_string)
            && !strcmp(json_object_get_string(v), "wait")
            && json_object_object_get_ex(op, "timeout", &t)
            && json_object_is_type(t, json_type_int)) {
            int64_t to = json_object_get_int64(t);
            if (to > elapsed && to < best) {
                best = to;
            }
        }
    }
    return best == INT64_MAX || best > INT64_MAX - start ? INT64_MAX
                                                         : start + best;
}

/* Runs a transaction; returns false if it is blocked (-EAGAIN). */
static bool
try_transact(struct ovsdb_server *s, struct server_client *c,
             json_object *id, json_object *params, bool durable,
             int64_t elapsed)
{
    json_object *result = NULL;
    bool owed = false;
    int error = ovsdb_transact_deferred(s->db, params, durable, elapsed,
                                        &owed, &result);
    if (error == -EAGAIN) {
        return false;
    }
    s->sync_owed |= owed;
    if (!error) {
        s->stats.n_txn_committed++;
        after_commit(s);
    } else {
        s->stats.n_txn_failed++;
    }
    /* RFC 7047 §4.1.3: operation errors are in the result array. */
    queue_send(c, jsonrpc_create_reply(result, json_object_get(id)),
               HELD_TXN_REPLY, id);
    return true;
}

static void
handle_transact(struct ovsdb_server *s, struct server_client *c,
                const struct jsonrpc_msg *m)
{
    if (!check_db_name(s, c, m)) {
        return;
    }
    bool durable = txn_durable(m->params);
    int64_t now = jsonrpc_time_msec();
    if (try_transact(s, c, m->id, m->params, durable, 0)) {
        return;
    }
    struct blocked_txn *b = ovsdb_xzalloc(sizeof *b), **bp = &s->blocked;
    b->client = c;
    b->id = json_object_get(m->id);
    b->params = json_object_get(m->params);
    b->durable = durable;
    b->start = now;
    b->deadline = wait_deadline(m->params, now, 0);
    while (*bp) {
        bp = &(*bp)->next;
    }
    *bp = b;
    s->stats.n_txn_blocked++;
}

/* Re-runs one blocked transaction; true if it finished. */
static bool
retry_blocked(struct ovsdb_server *s, struct blocked_txn *b, int64_t now)
{
    if (b->client->dead) {
        s->stats.n_txn_canceled++;
        blocked_free(b);
        return true;
    }
    if (try_transact(s, b->client, b->id, b->params, b->durable,
                     now - b->start)) {
        blocked_free(b);
        return true;
    }
    b->deadline = wait_deadline(b->params, b->start, now - b->start);
    return false;
}

/* Re-runs blocked transactions: all of them after a commit, the ones
 * whose deadline passed otherwise, in arrival order, and again while
 * they commit.  The list is detached while it runs, so drops and nested
 * commits (which only set flags) cannot change it under us. */
static void
run_blocked(struct ovsdb_server *s, int64_t now, bool on_commit)
{
    bool again = true;
    if (s->in_run_blocked) {
        return;                 /* the outer loop sees the commit */
    }
    s->in_run_blocked = true;
    while (again && s->blocked) {
        struct blocked_txn *list = s->blocked, *keep = NULL, **tail = &keep;
        s->blocked = NULL;
        again = false;
        while (list) {
            struct blocked_txn *b = list;
            list = b->next;
            b->next = NULL;
            uint64_t before = s->stats.n_txn_committed;
            if ((on_commit || b->deadline <= now || b->client->dead)
                && retry_blocked(s, b, now)) {
                if (s->stats.n_txn_committed != before) {
                    again = on_commit = true;
                }
                continue;
            }
            *tail = b;
            tail = &b->next;
        }
        *tail = s->blocked;     /* none are added meanwhile; be safe */
        s->blocked = keep;
    }
    s->in_run_blocked = false;
}

static void
handle_cancel(struct ovsdb_server *s, struct server_client *c,
              const struct jsonrpc_msg *m)
{
    json_object *target = ovsdb_json_idx(m->params, 0);
    for (struct blocked_txn **bp = &s->blocked; *bp; bp = &(*bp)->next) {
        struct blocked_txn *b = *bp;
        if (b->client == c && json_object_equal(b->id, target)) {
            /* RFC 7047 §4.1.4: the canceled request gets an error. */
            *bp = b->next;
            reply_error(c, b->id, jsonrpc_error_obj("canceled", "request "
                        "canceled by the client"));
            s->stats.n_txn_canceled++;
            blocked_free(b);
            break;
        }
    }
    if (m->id) {
        reply(c, m->id, ovsdb_json_obj());
    }
}

static void
handle_monitor(struct ovsdb_server *s, struct server_client *c,
               const struct jsonrpc_msg *m)
{
    json_object *result = NULL;
    if (!m->id) {
        s->stats.n_monitor_refused++;
        return;
    }
    if (server_monitor_create(&s->monitors, c, m->params, &result)) {
        s->stats.n_monitor_refused++;
        reply_error(c, m->id, result);
        return;
    }
    s->stats.n_monitors++;
    reply(c, m->id, result);
}

static void
handle_monitor_cancel(struct ovsdb_server *s, struct server_client *c,
                      const struct jsonrpc_msg *m)
{
    if (ovsdb_json_len(m->params) != 1
        || server_monitor_cancel(&s->monitors, c,
                                 ovsdb_json_idx(m->params, 0))) {
        s->stats.n_bad_params++;
        if (m->id) {
            reply_error(c, m->id, jsonrpc_error_obj("unknown monitor",
                        "no monitor %s on this connection",
                        ovsdb_json_plain(m->params, NULL)));
        }
        return;
    }
    if (m->id) {
        reply(c, m->id, ovsdb_json_obj());
    }
}

static void
handle_simple(struct ovsdb_server *s, struct server_client *c,
              const struct jsonrpc_msg *m)
{
    const struct ovsdb_schema *schema = ovsdb_get_schema(s->db);
    if (!m->id) {
        return;                 /* nothing to answer */
    }
    if (!strcmp(m->method, "echo")) {
        /* RFC 7047 §4.1.11: the reply's result is the params. */
        reply(c, m->id, json_object_get(m->params));
    } else if (!strcmp(m->method, "list_dbs")) {
        json_object *dbs = ovsdb_json_arr();
        ovsdb_json_push(dbs, ovsdb_json_str(schema->name));
        reply(c, m->id, dbs);
    } else if (check_db_name(s, c, m)) {
        reply(c, m->id, ovsdb_schema_to_json(schema));  /* get_schema */
    }
}

/* A method RFC 7047 does not define: the host's, or unknown. */
static void
handle_other(struct ovsdb_server *s, struct server_client *c,
             const struct jsonrpc_msg *m)
{
    json_object *result = NULL, *error = NULL;
    if (s->host_method
        && s->host_method(s->host_method_aux, m->method, m->params,
                          m->id ? &result : NULL, m->id ? &error : NULL)) {
        if (error) {
            json_object_put(result);
            reply_error(c, m->id, error);
        } else if (m->id) {
            reply(c, m->id, result);
        }
        return;
    }
    s->stats.n_unknown_method++;
    if (m->id) {
        reply_error(c, m->id, jsonrpc_error_obj("unknown method", "%.100s",
                                                m->method));
    }
}

/* RFC 7047 §4.1: method table. */
static void
handle_request(struct ovsdb_server *s, struct server_client *c,
               const struct jsonrpc_msg *m)
{
    const char *name = m->method;
    s->stats.n_requests++;
    if (!strcmp(name, "transact") && m->id) {
        handle_transact(s, c, m);
    } else if (!strcmp(name, "cancel")) {
        handle_cancel(s, c, m);
    } else if (!strcmp(name, "monitor")) {
        handle_monitor(s, c, m);
    } else if (!strcmp(name, "monitor_cancel")) {
        handle_monitor_cancel(s, c, m);
    } else if (!strcmp(name, "echo") || !strcmp(name, "list_dbs")
               || !strcmp(name, "get_schema")) {
        handle_simple(s, c, m);
    } else if (!strcmp(name, "lock") || !strcmp(name, "steal")
               || !strcmp(name, "unlock")) {
        s->stats.n_refused_lock++;
        if (m->id) {
            reply_error(c, m->id, jsonrpc_error_obj(OVSDB_E_NOT_SUPPORTED,
                        "RFC 7047 §4.1.8-§4.1.10 locks are not implemented "
                        "by ovsdb-lite"));
        }
    } else {
        handle_other(s, c, m);
    }
}

static void
handle_message(struct ovsdb_server *s, struct server_client *c,
               json_object *obj)
{
    struct jsonrpc_msg m;
    const char *why;
    c->last_rx = jsonrpc_time_msec();
    c->probe_sent = false;
    if (jsonrpc_msg_parse(obj, &m, &why)) {
        json_object *id = NULL;
        s->stats.n_bad_msg++;
        json_object_object_get_ex(obj, "id", &id);
        reply_error(c, id, jsonrpc_error_obj(OVSDB_E_SYNTAX, "%s", why));
        return;
    }
    if (m.type == JSONRPC_REPLY || m.type == JSONRPC_ERROR) {
        /* Only our inactivity probes expect an answer. */
        if (!json_object_is_type(m.id, json_type_string)
            || strcmp(json_object_get_string(m.id), "echo")) {
            s->stats.n_unexpected_reply++;
        }
        return;
    }
    handle_request(s, c, &m);
}

/* ---- Event loop. ---- */

static void
client_readable(struct ovsdb_server *s, struct server_client *c)
{
    size_t budget = s->opts.read_budget;
    while (!c->dead) {
        json_object *msg;
        int error = jsonrpc_recv(c->rpc, &msg, &budget);
        if (error) {
            if (error != -EAGAIN) {
                client_fail(c, error);
            }
            return;
        }
        handle_message(s, c, msg);
        json_object_put(msg);
    }
}

static void
client_writable(struct server_client *c)
{
    int error = jsonrpc_flush(c->rpc);
    if (error) {
        client_drop(c, error);
    }
}

/* Registers EPOLLOUT exactly while a client has output queued. */
static void
update_out_interest(struct ovsdb_server *s)
{
    for (struct server_client *c = s->clients; c; c = c->next) {
        bool want = jsonrpc_backlog(c->rpc) > 0;
        if (want != c->want_out) {
            struct epoll_event ev = {
                .events = EPOLLIN | (want ? EPOLLOUT : 0),
                .data.ptr = &c->tag,
            };
            if (!epoll_ctl(s->epfd, EPOLL_CTL_MOD, jsonrpc_get_fd(c->rpc),
                           &ev)) {
                c->want_out = want;
            }
        }
    }
}

/* Inactivity probes: "echo" after an idle interval, drop after another
 * one without any message (RFC 7047 §4.1.11 echo). */
static int64_t
run_probes(struct ovsdb_server *s, int64_t now)
{
    int64_t next = INT64_MAX, iv = s->opts.probe_interval_ms;
    if (iv <= 0) {
        return next;
    }
    for (struct server_client *c = s->clients; c; c = c->next) {
        if (c->probe_sent && now - c->last_rx >= 2 * iv) {
            client_drop(c, -ETIMEDOUT);
            continue;
        }
        if (!c->probe_sent && now - c->last_rx >= iv) {
            c->probe_sent = true;
            client_send(c, jsonrpc_create_request("echo", ovsdb_json_arr(),
                                                  ovsdb_json_str("echo")));
        }
        int64_t due = c->last_rx + (c->probe_sent ? 2 : 1) * iv;
        next = due < next ? due : next;
    }
    return next;
}

static void
run_timers(struct ovsdb_server *s)
{
    int64_t now = jsonrpc_time_msec(), next;
    uint64_t expirations;
    (void) !read(s->timerfd, &expirations, sizeof expirations);
    run_blocked(s, now, false);
    next = run_probes(s, now);
    for (struct blocked_txn *b = s->blocked; b; b = b->next) {
        next = b->deadline < next ? b->deadline : next;
    }
    struct itimerspec its = { { 0, 0 }, { 0, 0 } };
    if (next != INT64_MAX) {
        its.it_value.tv_sec = next / 1000;
        its.it_value.tv_nsec = (next % 1000) * 1000000;
    }
    timerfd_settime(s->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void
dispatch(struct ovsdb_server *s, const struct epoll_event *ev)
{
    struct ep_tag *tag = ev->data.ptr;
    if (tag->kind == EP_LISTENER) {
        accept_clients(s, OVSDB_CONTAINER_OF(tag, struct server_listener,
                                             tag));
    } else if (tag->kind == EP_CLIENT) {
        struct server_client *c = OVSDB_CONTAINER_OF(tag,
                                                     struct server_client,
                                                     tag);
        if (!c->dead && (ev->events & EPOLLOUT)) {
            client_writable(c);
        }
        if (!c->dead && (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
            client_readable(s, c);
        }
    }
}

int
ovsdb_server_process(struct ovsdb_server *s, int timeout_ms)
{
    struct epoll_event events[64];
    int n, error = 0;

    /* Host commits made straight on the handle are notified now. */
    after_commit(s);
    update_out_interest(s);
    n = epoll_wait(s->epfd, events, RSW_ARRAY_SIZE(events), timeout_ms);
    if (n < 0) {
        error = errno == EINTR ? 0 : -errno;
        n = 0;
    }
    for (int i = 0; i < n; i++) {
        dispatch(s, &events[i]);
    }
    run_timers(s);
    server_sync(s);
    update_out_interest(s);
    reap_clients(s);
    return error;
}

int
ovsdb_server_transact(struct ovsdb_server *s, json_object *params,
                      bool durable, json_object **result)
{
    after_commit(s);
    int error = ovsdb_transact(s->db, params, durable, result);
    if (!error) {
        after_commit(s);
    }
    run_timers(s);
    server_sync(s);
    update_out_interest(s);
    reap_clients(s);
    return error;
}
