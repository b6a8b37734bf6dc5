/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VHOST_BACKEND_H
#define RSW_VHOST_BACKEND_H 1

/* vhost-user device ("back-end", formerly "slave") role for virtio-net.
 *
 * The backend holds everything one frontend connection negotiated: features,
 * protocol features, the guest memory table, and per vring its size,
 * addresses, base, kick/call/err fds and enable state.  Nothing survives a
 * connection: vhost_backend_reset() (called by the endpoint when the peer
 * goes away) stops every ring, closes every fd and unmaps all memory.
 *
 * Ring lifecycle ("Starting and stopping rings"): a ring is started once it
 * has a size, addresses, memory and a kick (an fd, or "no fd" = polling).
 * If VHOST_USER_F_PROTOCOL_FEATURES was negotiated a started ring is still
 * disabled until SET_VRING_ENABLE(1), otherwise it is enabled at once.  A
 * ring that is started and enabled is "ready": the backend then calls
 * ops->vring_state(ready = true) with a struct virtq the datapath may poll.
 * Before the backend changes or destroys that virtq (GET_VRING_BASE,
 * SET_VRING_ENABLE(0), new memory table, new call fd, reset) it calls
 * ops->vring_state(ready = false); when that returns no thread may touch the
 * virtq any more.
 *
 * Threading: all functions here run on one control thread; only the virtq
 * handed out by vring_state() is used by data-path threads.
 */

#include <stdbool.h>
#include <stdint.h>
#include "compiler.h"
#include "vhost_user.h"

struct virtq;
struct guest_mem;

/* Virtio feature bits a backend may offer. */
#define VHOST_BACKEND_SUPPORTED_FEATURES                                  \
    (VHOST_BIT(VIRTIO_NET_F_MTU) | VHOST_BIT(VIRTIO_NET_F_MAC)            \
     | VHOST_BIT(VIRTIO_NET_F_MRG_RXBUF) | VHOST_BIT(VIRTIO_NET_F_STATUS) \
     | VHOST_BIT(VIRTIO_NET_F_CTRL_VQ) | VHOST_BIT(VIRTIO_NET_F_MQ)       \
     | VHOST_BIT(VIRTIO_F_NOTIFY_ON_EMPTY)                                \
     | VHOST_BIT(VIRTIO_RING_F_INDIRECT_DESC)                             \
     | VHOST_BIT(VIRTIO_RING_F_EVENT_IDX)                                 \
     | VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES)                          \
     | VHOST_BIT(VIRTIO_F_VERSION_1) | VHOST_BIT(VIRTIO_F_IN_ORDER))
/* A sensible default offer (CTRL_VQ off: the VMM would have to serve it). */
#define VHOST_BACKEND_DEFAULT_FEATURES                                    \
    (VHOST_BIT(VIRTIO_F_VERSION_1) | VHOST_BIT(VIRTIO_NET_F_MRG_RXBUF)    \
     | VHOST_BIT(VIRTIO_NET_F_MQ) | VHOST_BIT(VIRTIO_NET_F_MTU)           \
     | VHOST_BIT(VIRTIO_RING_F_EVENT_IDX)                                 \
     | VHOST_BIT(VIRTIO_RING_F_INDIRECT_DESC)                             \
     | VHOST_BIT(VIRTIO_F_IN_ORDER)                                       \
     | VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES))

/* Protocol features a backend may offer / offers by default. */
#define VHOST_BACKEND_SUPPORTED_PROTOCOL_FEATURES                          \
    (VHOST_BIT(VHOST_USER_PROTOCOL_F_MQ)                                   \
     | VHOST_BIT(VHOST_USER_PROTOCOL_F_RARP)                               \
     | VHOST_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK)                          \
     | VHOST_BIT(VHOST_USER_PROTOCOL_F_NET_MTU)                            \
     | VHOST_BIT(VHOST_USER_PROTOCOL_F_RESET_DEVICE)                       \
     | VHOST_BIT(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS))
#define VHOST_BACKEND_DEFAULT_PROTOCOL_FEATURES                            \
    (VHOST_BIT(VHOST_USER_PROTOCOL_F_MQ)                                   \
     | VHOST_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK)                          \
     | VHOST_BIT(VHOST_USER_PROTOCOL_F_NET_MTU)                            \
     | VHOST_BIT(VHOST_USER_PROTOCOL_F_RESET_DEVICE)                       \
     | VHOST_BIT(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS))

#define VHOST_BACKEND_MAX_QUEUE_PAIRS 64 /* 128 vrings, index fits 8 bits */

struct vhost_backend_ops {
    /* A frontend connected (optional). */
    void (*connected)(void *ctx);
    /* The connection is gone and all state was dropped (optional).  Every
     * ready ring got vring_state(false) before this. */
    void (*disconnected)(void *ctx);
    /* Ring 'qidx' (even = guest RX, odd = guest TX for virtio-net) became
     * ready / stops being ready.  See the lifecycle above (optional). */
    void (*vring_state)(void *ctx, unsigned qidx, struct virtq *vq,
                        bool ready);
    /* NET_SET_MTU; nonzero return refuses it (optional: accepted). */
    int (*set_mtu)(void *ctx, uint16_t mtu);
};

struct vhost_backend_config {
    const char *name;            /* for logs; copied */
    uint64_t features;           /* offered virtio features (0 = default) */
    uint64_t protocol_features;  /* offered protocol features (0 = default) */
    unsigned max_queue_pairs;    /* 1..VHOST_BACKEND_MAX_QUEUE_PAIRS */
    unsigned max_mem_slots;      /* GET_MAX_MEM_SLOTS (0 = 32) */
};

struct vhost_backend_stats {
    uint64_t msgs;                              /* requests received */
    uint64_t msgs_ok;                           /* handled successfully */
    uint64_t refused[VHOST_USER_REFUSED_N];     /* by reason */
    uint64_t failed[VHOST_USER_MAX];            /* handler refusals by req */
    uint64_t replies, acks, nacks;              /* sent */
    uint64_t ring_start_failed;                 /* virtq_create refused */
    uint64_t ring_remap_failed;                 /* virtq_remap refused */
    uint64_t ring_resumed_at_used;              /* base != used->idx */
    uint64_t resets;                            /* connection resets */
};

struct vhost_backend;

int vhost_backend_create(const struct vhost_backend_config *,
                         const struct vhost_backend_ops *, void *ctx,
                         struct vhost_backend **) RSW_MUST_CHECK;
/* Resets (stops rings, closes fds) then frees.  NULL is a no-op. */
void vhost_backend_destroy(struct vhost_backend *);

/* Handles one received request.  Takes ownership of fds[0..nfds) (kept or
 * closed, whatever happens).  The request is checked against the message
 * table first (vhost_user_check()).  On return *send_reply says whether
 * 'reply' must be sent: an explicit reply, or a REPLY_ACK ack/nack when
 * NEED_REPLY was set and REPLY_ACK negotiated.  Returns 0 if handled, or
 * -errno if refused (counted; the connection stays usable). */
int vhost_backend_handle_msg(struct vhost_backend *,
                             const struct vhost_user_msg *msg, int *fds,
                             unsigned nfds, struct vhost_user_msg *reply,
                             bool *send_reply);

/* Receives and handles every complete message readable on 'sock' (at most
 * 'budget'), sending replies.  Returns the number handled (>= 0), or a
 * fatal -errno: the connection must be dropped (peer closed, oversized
 * message, broken socket). */
int vhost_backend_process_socket(struct vhost_backend *, int sock,
                                 unsigned budget) RSW_MUST_CHECK;

/* A frontend connected: calls ops->connected. */
void vhost_backend_connected(struct vhost_backend *);
/* The connection is gone: stops every ring (callbacks), closes every fd,
 * unmaps memory, forgets features; calls ops->disconnected if a connection
 * was announced. */
void vhost_backend_reset(struct vhost_backend *);

/* Accessors. */
const char *vhost_backend_name(const struct vhost_backend *);
uint64_t vhost_backend_features(const struct vhost_backend *);
uint64_t vhost_backend_protocol_features(const struct vhost_backend *);
/* virtio_net_hdr length for the negotiated features (10 or 12). */
size_t vhost_backend_hdr_len(const struct vhost_backend *);
unsigned vhost_backend_max_vrings(const struct vhost_backend *);
/* The ready virtq for ring 'qidx', or NULL. */
struct virtq *vhost_backend_virtq(const struct vhost_backend *, unsigned qidx);
bool vhost_backend_vring_ready(const struct vhost_backend *, unsigned qidx);
/* Current guest memory (NULL before SET_MEM_TABLE). */
const struct guest_mem *vhost_backend_mem(const struct vhost_backend *);
uint16_t vhost_backend_mtu(const struct vhost_backend *);
/* The call eventfd of ring 'qidx', or -1. */
int vhost_backend_call_fd(const struct vhost_backend *, unsigned qidx);
/* Number of fds the backend currently holds (kick/call/err + region dups):
 * for tests and leak checks. */
unsigned vhost_backend_n_fds(const struct vhost_backend *);
const struct vhost_backend_stats *
vhost_backend_get_stats(const struct vhost_backend *);

#endif
