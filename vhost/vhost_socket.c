/* SPDX-License-Identifier: Apache-2.0 */
/* vhost-user endpoints: server / client sockets with reconnection. */
#include "vhost_socket.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhost_backend.h"
#include "vlog.h"

/* epoll tags */
enum { EP_LISTEN = 1, EP_CONN, EP_TIMER };

struct vhost_endpoint {
    char *path;
    bool server;
    struct vhost_endpoint_role role;
    void *ctx;
    int epfd;
    int listen_fd;  /* server */
    int timer_fd;   /* client: reconnect timer */
    int conn_fd;
    unsigned backoff_ms;
    bool in_hook;   /* a role hook is running: defer drops */
    bool drop_pending;
    struct vhost_endpoint_stats stats;
};

static int
epoll_add(struct vhost_endpoint *ep, int fd, uint32_t tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

    return epoll_ctl(ep->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int
fill_addr(const char *path, struct sockaddr_un *sun)
{
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sun->sun_path) {
        return -ENAMETOOLONG;
    }
    strcpy(sun->sun_path, path);
    return 0;
}

static void
arm_timer(struct vhost_endpoint *ep, unsigned ms)
{
    struct itimerspec its = {
        .it_value.tv_sec = ms / 1000,
        .it_value.tv_nsec = (ms % 1000) * 1000000L + 1, /* never 0: disarm */
    };

    (void) timerfd_settime(ep->timer_fd, 0, &its, NULL);
}

/* Client: next connection attempt after the current backoff, which doubles
 * up to the maximum until a connection is set up successfully. */
static void
schedule_retry(struct vhost_endpoint *ep)
{
    arm_timer(ep, ep->backoff_ms);
    ep->backoff_ms = ep->backoff_ms * 2 > VHOST_ENDPOINT_BACKOFF_MAX_MS
                     ? VHOST_ENDPOINT_BACKOFF_MAX_MS : ep->backoff_ms * 2;
}

/* ---- Connection state -------------------------------------------------- */

static void
conn_close(struct vhost_endpoint *ep)
{
    if (ep->conn_fd < 0) {
        return;
    }
    epoll_ctl(ep->epfd, EPOLL_CTL_DEL, ep->conn_fd, NULL);
    close(ep->conn_fd);
    ep->conn_fd = -1;
    ep->stats.disconnections++;
    if (ep->role.disconnected) {
        ep->role.disconnected(ep->ctx);
    }
    if (!ep->server) {
        schedule_retry(ep);
    }
}

void
vhost_endpoint_disconnect(struct vhost_endpoint *ep)
{
    /* A hook (e.g. a frontend's replay) may ask for a drop while the
     * endpoint is inside its own processing: do it when the hook returns. */
    if (ep->in_hook) {
        ep->drop_pending = true;
        return;
    }
    conn_close(ep);
}

static int
run_hook(struct vhost_endpoint *ep, int (*hook)(void *, int))
{
    int err;

    ep->in_hook = true;
    err = hook(ep->ctx, ep->conn_fd);
    ep->in_hook = false;
    if (err < 0 || ep->drop_pending) {
        ep->drop_pending = false;
        conn_close(ep);
    }
    return err;
}

static void
conn_open(struct vhost_endpoint *ep, int fd)
{
    int err;

    ep->conn_fd = fd;
    err = epoll_add(ep, fd, EP_CONN);
    if (err) {
        close(fd);
        ep->conn_fd = -1;
        return;
    }
    ep->stats.connections++;
    /* Only a connection the role accepted resets the backoff: a peer that
     * fails the handshake every time is retried ever more slowly. */
    if (!ep->role.connected || run_hook(ep, ep->role.connected) >= 0) {
        if (ep->conn_fd >= 0) {
            ep->backoff_ms = VHOST_ENDPOINT_BACKOFF_MIN_MS;
        }
    }
}

/* ---- Server ------------------------------------------------------------ */

/* A socket file left by a dead process is removed; one with a live
 * listener is not ours to take. */
static int
remove_stale(const struct sockaddr_un *sun)
{
    struct stat st;
    int fd, err;

    if (lstat(sun->sun_path, &st)) {
        return errno == ENOENT ? 0 : -errno;
    }
    if (!S_ISSOCK(st.st_mode)) {
        return -EEXIST;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    err = connect(fd, (const struct sockaddr *) sun, sizeof *sun) ? 0
                                                                  : -EADDRINUSE;
    close(fd);
    if (!err && unlink(sun->sun_path) && errno != ENOENT) {
        err = -errno;
    }
    return err;
}

static int
server_listen(struct vhost_endpoint *ep)
{
    struct sockaddr_un sun;
    int err = fill_addr(ep->path, &sun);

    if (err || (err = remove_stale(&sun))) {
        return err;
    }
    ep->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK
                           | SOCK_CLOEXEC, 0);
    if (ep->listen_fd < 0) {
        return -errno;
    }
    if (bind(ep->listen_fd, (struct sockaddr *) &sun, sizeof sun)
        || listen(ep->listen_fd, 8)) {
        return -errno;
    }
    return epoll_add(ep, ep->listen_fd, EP_LISTEN);
}

static void
server_accept(struct vhost_endpoint *ep)
{
    for (;;) {
        int fd = accept4(ep->listen_fd, NULL, NULL,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            return;
        }
        if (ep->conn_fd >= 0) {
            /* One frontend per device: a second peer would fight the
             * first over the same rings. */
            ep->stats.refused_peers++;
            RSW_LOG_RL(RSW_LOG_WARN, "%s: refusing a second vhost-user "
                       "peer", ep->path);
            close(fd);
            continue;
        }
        conn_open(ep, fd);
    }
}

/* ---- Client ------------------------------------------------------------ */

static void
client_connect(struct vhost_endpoint *ep)
{
    struct sockaddr_un sun;
    int fd;

    if (ep->conn_fd >= 0 || fill_addr(ep->path, &sun)) {
        return;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && !connect(fd, (struct sockaddr *) &sun, sizeof sun)) {
        conn_open(ep, fd);
        return;
    }
    /* Unix sockets connect at once or fail (EAGAIN = backlog full): retry
     * later either way. */
    if (fd >= 0) {
        close(fd);
    }
    ep->stats.connect_failures++;
    schedule_retry(ep);
}

static void
client_timer(struct vhost_endpoint *ep)
{
    uint64_t expirations;

    if (read(ep->timer_fd, &expirations, sizeof expirations) < 0) {
        return; /* spurious wakeup: the timer has not fired */
    }
    client_connect(ep);
}

/* ---- Endpoint ---------------------------------------------------------- */

int
vhost_endpoint_create(const char *path, bool server,
                      const struct vhost_endpoint_role *role, void *ctx,
                      struct vhost_endpoint **out)
{
    struct vhost_endpoint *ep = calloc(1, sizeof *ep);
    int err = -ENOMEM;

    *out = NULL;
    if (!ep) {
        return -ENOMEM;
    }
    ep->listen_fd = ep->timer_fd = ep->conn_fd = -1;
    ep->server = server;
    ep->role = *role;
    ep->ctx = ctx;
    ep->backoff_ms = VHOST_ENDPOINT_BACKOFF_MIN_MS;
    ep->path = strdup(path);
    ep->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!ep->path || ep->epfd < 0) {
        err = ep->path ? -errno : -ENOMEM;
        goto err_free;
    }
    if (server) {
        err = server_listen(ep);
    } else {
        ep->timer_fd = timerfd_create(CLOCK_MONOTONIC,
                                      TFD_NONBLOCK | TFD_CLOEXEC);
        err = ep->timer_fd < 0 ? -errno : epoll_add(ep, ep->timer_fd,
                                                     EP_TIMER);
        if (!err) {
            arm_timer(ep, 0); /* first attempt at the next process() */
        }
    }
    if (err) {
        goto err_free;
    }
    *out = ep;
    return 0;

err_free:
    if (ep->listen_fd >= 0) {
        close(ep->listen_fd);
    }
    if (ep->timer_fd >= 0) {
        close(ep->timer_fd);
    }
    if (ep->epfd >= 0) {
        close(ep->epfd);
    }
    free(ep->path);
    free(ep);
    return err;
}

void
vhost_endpoint_destroy(struct vhost_endpoint *ep)
{
    if (!ep) {
        return;
    }
    conn_close(ep);
    if (ep->listen_fd >= 0) {
        close(ep->listen_fd);
        unlink(ep->path);
    }
    if (ep->timer_fd >= 0) {
        close(ep->timer_fd);
    }
    close(ep->epfd);
    free(ep->path);
    free(ep);
}

int
vhost_endpoint_fd(const struct vhost_endpoint *ep)
{
    return ep->epfd;
}

int
vhost_endpoint_process(struct vhost_endpoint *ep, int timeout_ms)
{
    struct epoll_event evs[4];
    int n = epoll_wait(ep->epfd, evs, RSW_ARRAY_SIZE(evs), timeout_ms);

    if (n < 0) {
        return errno == EINTR ? 0 : -errno;
    }
    for (int i = 0; i < n; i++) {
        switch (evs[i].data.u32) {
        case EP_LISTEN:
            server_accept(ep);
            break;
        case EP_TIMER:
            client_timer(ep);
            break;
        case EP_CONN:
            /* The connection may have been replaced by an earlier event
             * of this batch; readable() on a quiet socket is harmless. */
            if (ep->conn_fd >= 0) {
                (void) run_hook(ep, ep->role.readable);
            }
            break;
        }
    }
    return 0;
}

bool
vhost_endpoint_is_connected(const struct vhost_endpoint *ep)
{
    return ep->conn_fd >= 0;
}

int
vhost_endpoint_conn_fd(const struct vhost_endpoint *ep)
{
    return ep->conn_fd;
}

const char *
vhost_endpoint_path(const struct vhost_endpoint *ep)
{
    return ep->path;
}

const struct vhost_endpoint_stats *
vhost_endpoint_get_stats(const struct vhost_endpoint *ep)
{
    return &ep->stats;
}

/* ---- Backend role ------------------------------------------------------ */

/* Messages handled per readable event before giving the loop back. */
#define BACKEND_BUDGET 256

static int
backend_connected(void *ctx, int fd RSW_UNUSED)
{
    vhost_backend_connected(ctx);
    return 0;
}

static int
backend_readable(void *ctx, int fd)
{
    int n = vhost_backend_process_socket(ctx, fd, BACKEND_BUDGET);

    if (n < 0 && n != -ECONNRESET) {
        RSW_LOG_RL(RSW_LOG_WARN, "%s: dropping vhost-user connection: %s",
                   vhost_backend_name(ctx), strerror(-n));
    }
    return n < 0 ? n : 0;
}

static void
backend_disconnected(void *ctx)
{
    vhost_backend_reset(ctx);
}

static const struct vhost_endpoint_role backend_role = {
    .connected = backend_connected,
    .readable = backend_readable,
    .disconnected = backend_disconnected,
};

int
vhost_endpoint_create_backend(const char *path, bool server,
                              struct vhost_backend *b,
                              struct vhost_endpoint **out)
{
    return vhost_endpoint_create(path, server, &backend_role, b, out);
}
