/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VHOST_SOCKET_H
#define RSW_VHOST_SOCKET_H 1

/* vhost-user connection management ("Communication": a unix domain stream
 * socket; either side may be the listening one).
 *
 * An endpoint is one socket path in one of two modes:
 *  - server: a stale socket file is removed (unless something still
 *    listens on it), the path is bound and listened on, and one peer at a
 *    time is accepted; a second concurrent peer is accepted and closed at
 *    once (counted in refused_peers).
 *  - client: the path is connected to; on failure, or when the peer goes
 *    away, connecting is retried forever with exponential backoff from
 *    10 ms to 1 s (reset after a successful connection).
 * Whenever a connection ends the role's disconnected hook runs (for a
 * backend: vhost_backend_reset()), so the next connection starts from
 * scratch.
 *
 * Event loop integration: vhost_endpoint_fd() is an epoll fd that stays the
 * same for the endpoint's lifetime and becomes readable whenever the
 * endpoint has work (a peer to accept, a message, a reconnect due).  Add it
 * to any poll loop, or call vhost_endpoint_process() with a timeout from a
 * control thread.  Each endpoint is independent; one thread may drive many.
 * An endpoint is not thread-safe by itself: one thread at a time.
 */

#include <stdbool.h>
#include <stdint.h>
#include "compiler.h"

struct vhost_backend;
struct vhost_endpoint;

#define VHOST_ENDPOINT_BACKOFF_MIN_MS 10
#define VHOST_ENDPOINT_BACKOFF_MAX_MS 1000

/* What the endpoint calls for the protocol role sitting on top of it. */
struct vhost_endpoint_role {
    /* A peer connected on 'fd' (non-blocking).  Negative drops it. */
    int (*connected)(void *ctx, int fd);
    /* 'fd' is readable (or hung up).  Negative drops the connection. */
    int (*readable)(void *ctx, int fd);
    /* The connection ended; its fd is already closed. */
    void (*disconnected)(void *ctx);
};

struct vhost_endpoint_stats {
    uint64_t connections;     /* accepted / connected */
    uint64_t disconnections;
    uint64_t connect_failures; /* client: failed attempts */
    uint64_t refused_peers;   /* server: second concurrent peers closed */
};

int vhost_endpoint_create(const char *path, bool server,
                          const struct vhost_endpoint_role *, void *ctx,
                          struct vhost_endpoint **) RSW_MUST_CHECK;
/* An endpoint driving a backend: messages are dispatched with
 * vhost_backend_process_socket(), a lost connection resets the backend. */
int vhost_endpoint_create_backend(const char *path, bool server,
                                  struct vhost_backend *,
                                  struct vhost_endpoint **) RSW_MUST_CHECK;
/* Drops the connection (role's disconnected hook runs), closes everything
 * and, in server mode, unlinks the socket path.  NULL is a no-op. */
void vhost_endpoint_destroy(struct vhost_endpoint *);

/* The fd to poll for readability (constant). */
int vhost_endpoint_fd(const struct vhost_endpoint *);
/* Waits up to 'timeout_ms' (0 = just poll, -1 = forever) for work and does
 * it: accept, connect/retry, all readable messages.  0, or -errno if the
 * endpoint itself is broken (not for peer errors, which only drop the
 * connection). */
int vhost_endpoint_process(struct vhost_endpoint *, int timeout_ms)
    RSW_MUST_CHECK;
bool vhost_endpoint_is_connected(const struct vhost_endpoint *);
/* The connected socket, or -1. */
int vhost_endpoint_conn_fd(const struct vhost_endpoint *);
/* Drops the current connection now (server: wait for the next peer,
 * client: reconnect after the backoff). */
void vhost_endpoint_disconnect(struct vhost_endpoint *);
const char *vhost_endpoint_path(const struct vhost_endpoint *);
const struct vhost_endpoint_stats *
vhost_endpoint_get_stats(const struct vhost_endpoint *);

#endif
