/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VHOST_FRONTEND_H
#define RSW_VHOST_FRONTEND_H 1

/* vhost-user frontend ("front-end", formerly "master") role: the VMM side
 * that sets up a vhost-user backend for a virtio-net device.
 *
 * The frontend remembers the device state it established -- acked features,
 * MTU, memory table, vring setup and enable state -- and replays all of it
 * whenever a new connection comes up (client mode reconnects with backoff,
 * server mode waits for the backend to come back).  On every connection it
 * first runs the handshake: GET_FEATURES, GET/SET_PROTOCOL_FEATURES (if the
 * backend offers VHOST_USER_F_PROTOCOL_FEATURES), SET_OWNER, GET_QUEUE_NUM
 * (with MQ), then SET_FEATURES and the replay.
 *
 * Requests are synchronous: a request with an explicit reply waits for it,
 * and with REPLY_ACK negotiated every other request is sent with NEED_REPLY
 * and waits for the ack, so errors surface at the call.  A reply that is
 * malformed (wrong request, size, flags, or carrying fds) or late drops the
 * connection (the stream can no longer be trusted); a nack only fails the
 * call (-EIO).
 *
 * File descriptors: the frontend dup()s every fd it is given (memory region
 * fds, kick and call eventfds) and closes its duplicates when they are
 * replaced or on destroy; the caller keeps ownership of its own fds.
 */

#include <stdbool.h>
#include <stdint.h>
#include "compiler.h"
#include "vhost_user.h"

struct vhost_frontend;

#define VHOST_FRONTEND_MAX_VRINGS 16

struct vhost_frontend_ops {
    /* Handshake and replay succeeded on a new connection (optional). */
    void (*connected)(void *ctx);
    /* The connection is gone (optional). */
    void (*disconnected)(void *ctx);
};

struct vhost_frontend_config {
    const char *path;
    bool server;                 /* listen instead of connecting */
    uint64_t features;           /* wanted; acked = wanted & offered */
    uint64_t protocol_features;  /* wanted; used = wanted & offered */
    unsigned n_queue_pairs;      /* needed (checked with GET_QUEUE_NUM) */
    int reply_timeout_ms;        /* 0 = 2000 */
};

struct vhost_frontend_region {
    uint64_t gpa, size, uva, mmap_offset;
    int fd;                      /* borrowed: the frontend dups it */
};

struct vhost_frontend_vring {
    uint16_t num;                /* queue size */
    uint16_t base;               /* next avail index */
    /* Our (the frontend's) addresses of the ring parts: the used ring
     * must stay readable while the ring is configured. */
    uint64_t desc_uva, avail_uva, used_uva;
    int kick_fd;                 /* -1: no fd (backend polls) */
    int call_fd;                 /* -1: no fd (no interrupts) */
};

struct vhost_frontend_stats {
    uint64_t requests, replies, nacks;
    uint64_t bad_replies;        /* malformed reply: connection dropped */
    uint64_t timeouts;           /* no reply in time: connection dropped */
    uint64_t handshakes, replays, replay_failures;
};

int vhost_frontend_create(const struct vhost_frontend_config *,
                          const struct vhost_frontend_ops *, void *ctx,
                          struct vhost_frontend **) RSW_MUST_CHECK;
void vhost_frontend_destroy(struct vhost_frontend *);

/* Event loop integration, as for struct vhost_endpoint. */
int vhost_frontend_fd(const struct vhost_frontend *);
int vhost_frontend_process(struct vhost_frontend *, int timeout_ms)
    RSW_MUST_CHECK;
/* Connected and handshake/replay done. */
bool vhost_frontend_is_ready(const struct vhost_frontend *);
/* Processes until ready; 0 or -ETIMEDOUT. */
int vhost_frontend_wait_ready(struct vhost_frontend *, int timeout_ms)
    RSW_MUST_CHECK;

/* Negotiated values (valid while ready). */
uint64_t vhost_frontend_backend_features(const struct vhost_frontend *);
uint64_t vhost_frontend_features(const struct vhost_frontend *);
uint64_t vhost_frontend_protocol_features(const struct vhost_frontend *);
uint64_t vhost_frontend_queue_num(const struct vhost_frontend *);

/* Device setup.  Each records the state (replayed after a reconnect) and,
 * when ready, sends it at once: 0, -ENOTCONN (recorded, sent on the next
 * connection), -EIO (nacked), -EPROTO/-ETIMEDOUT (connection dropped),
 * -EINVAL / -ENOTSUP (refused locally). */
int vhost_frontend_set_features(struct vhost_frontend *, uint64_t features)
    RSW_MUST_CHECK;
int vhost_frontend_set_mtu(struct vhost_frontend *, uint16_t mtu)
    RSW_MUST_CHECK;
int vhost_frontend_set_mem_table(struct vhost_frontend *,
                                 const struct vhost_frontend_region *,
                                 unsigned n) RSW_MUST_CHECK;
/* SET_VRING_NUM, SET_VRING_BASE, SET_VRING_ADDR, SET_VRING_KICK,
 * SET_VRING_CALL for ring 'idx'.  The ring starts at v->base; when it is
 * replayed to a new backend after having run on an earlier connection,
 * it restarts at the used index the driver's memory holds (the old
 * backend's progress), read at v->used_uva.  -EINVAL for a size that is
 * not a power of two <= 32768 or misaligned ring addresses. */
int vhost_frontend_set_vring(struct vhost_frontend *, unsigned idx,
                             const struct vhost_frontend_vring *)
    RSW_MUST_CHECK;
int vhost_frontend_set_vring_enable(struct vhost_frontend *, unsigned idx,
                                    bool enable) RSW_MUST_CHECK;
/* Stops ring 'idx' at the backend and returns its next avail index; the
 * ring is not replayed until vhost_frontend_set_vring() again. */
int vhost_frontend_get_vring_base(struct vhost_frontend *, unsigned idx,
                                  uint16_t *base) RSW_MUST_CHECK;
int vhost_frontend_get_queue_num(struct vhost_frontend *, uint64_t *n)
    RSW_MUST_CHECK;
/* RESET_DEVICE (needs the protocol feature): forgets memory, MTU and rings,
 * then re-sends the acked features. */
int vhost_frontend_reset_device(struct vhost_frontend *) RSW_MUST_CHECK;
/* Re-sends everything recorded (done automatically on each connection). */
int vhost_frontend_replay(struct vhost_frontend *) RSW_MUST_CHECK;

const struct vhost_frontend_stats *
vhost_frontend_get_stats(const struct vhost_frontend *);

#endif
