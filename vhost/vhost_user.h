/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VHOST_USER_H
#define RSW_VHOST_USER_H 1

/* vhost-user wire protocol (QEMU docs/interop/vhost-user.rst), shared by
 * both roles.
 *
 * A message is a 12-byte header {request, flags, size} followed by 'size'
 * payload bytes, on a unix stream socket; file descriptors travel as
 * SCM_RIGHTS ancillary data ("Message types", "Communication").  This module
 * frames messages and owns THE message table: one entry per request giving
 * its payload bounds, fd bounds, required protocol feature, whether it names
 * a vring, whether it has an explicit reply, a validator for variable
 * payloads and the backend handler.  vhost_user_check() validates every
 * received request against the table before any handler sees it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "compiler.h"

/* "Message types": flags field. */
#define VHOST_USER_VERSION 0x1u
#define VHOST_USER_VERSION_MASK 0x3u
#define VHOST_USER_REPLY_MASK (1u << 2)
#define VHOST_USER_NEED_REPLY_MASK (1u << 3)

#define VHOST_USER_HDR_SIZE 12u
/* Largest payload we accept on receive.  The largest message we understand
 * is SET_MEM_TABLE (264 bytes); a bigger bound lets requests we do not
 * support (e.g. SET_CONFIG, 268 bytes) be read and refused cleanly instead
 * of killing the connection. */
#define VHOST_USER_MAX_PAYLOAD 4096u
/* Most fds one message legitimately carries (SET_MEM_TABLE). */
#define VHOST_USER_MAX_FDS 8u
/* "Memory regions description": VHOST_MEMORY_BASELINE_NREGIONS. */
#define VHOST_USER_MEM_NREGIONS 8u

/* SET_VRING_KICK/CALL/ERR payload ("Front-end message types"). */
#define VHOST_USER_VRING_IDX_MASK 0xffu
#define VHOST_USER_VRING_NOFD_MASK (1u << 8)

/* SET_VRING_ADDR flags ("Vring address description"). */
#define VHOST_VRING_F_LOG 1u

/* Virtio / vhost feature bits (virtio 1.1 §5.1.3, §6; vhost-user spec). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_MQ 22
#define VIRTIO_F_NOTIFY_ON_EMPTY 24
#define VHOST_F_LOG_ALL 26
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29
#define VHOST_USER_F_PROTOCOL_FEATURES 30
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_RING_PACKED 34
#define VIRTIO_F_IN_ORDER 35

/* "Protocol features". */
#define VHOST_USER_PROTOCOL_F_MQ 0
#define VHOST_USER_PROTOCOL_F_LOG_SHMFD 1
#define VHOST_USER_PROTOCOL_F_RARP 2
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_PROTOCOL_F_NET_MTU 4
#define VHOST_USER_PROTOCOL_F_BACKEND_REQ 5
#define VHOST_USER_PROTOCOL_F_CROSS_ENDIAN 6
#define VHOST_USER_PROTOCOL_F_CRYPTO_SESSION 7
#define VHOST_USER_PROTOCOL_F_PAGEFAULT 8
#define VHOST_USER_PROTOCOL_F_CONFIG 9
#define VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD 10
#define VHOST_USER_PROTOCOL_F_HOST_NOTIFIER 11
#define VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD 12
#define VHOST_USER_PROTOCOL_F_RESET_DEVICE 13
#define VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS 14
#define VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS 15
#define VHOST_USER_PROTOCOL_F_STATUS 16

#define VHOST_BIT(b) (1ull << (b))

/* "Front-end message types" (requests sent by the frontend). */
enum vhost_user_request {
    VHOST_USER_NONE = 0,
    VHOST_USER_GET_FEATURES = 1,
    VHOST_USER_SET_FEATURES = 2,
    VHOST_USER_SET_OWNER = 3,
    VHOST_USER_RESET_OWNER = 4,
    VHOST_USER_SET_MEM_TABLE = 5,
    VHOST_USER_SET_LOG_BASE = 6,
    VHOST_USER_SET_LOG_FD = 7,
    VHOST_USER_SET_VRING_NUM = 8,
    VHOST_USER_SET_VRING_ADDR = 9,
    VHOST_USER_SET_VRING_BASE = 10,
    VHOST_USER_GET_VRING_BASE = 11,
    VHOST_USER_SET_VRING_KICK = 12,
    VHOST_USER_SET_VRING_CALL = 13,
    VHOST_USER_SET_VRING_ERR = 14,
    VHOST_USER_GET_PROTOCOL_FEATURES = 15,
    VHOST_USER_SET_PROTOCOL_FEATURES = 16,
    VHOST_USER_GET_QUEUE_NUM = 17,
    VHOST_USER_SET_VRING_ENABLE = 18,
    VHOST_USER_SEND_RARP = 19,
    VHOST_USER_NET_SET_MTU = 20,
    VHOST_USER_SET_BACKEND_REQ_FD = 21,
    VHOST_USER_IOTLB_MSG = 22,
    VHOST_USER_SET_VRING_ENDIAN = 23,
    VHOST_USER_GET_CONFIG = 24,
    VHOST_USER_SET_CONFIG = 25,
    VHOST_USER_CREATE_CRYPTO_SESSION = 26,
    VHOST_USER_CLOSE_CRYPTO_SESSION = 27,
    VHOST_USER_POSTCOPY_ADVISE = 28,
    VHOST_USER_POSTCOPY_LISTEN = 29,
    VHOST_USER_POSTCOPY_END = 30,
    VHOST_USER_GET_INFLIGHT_FD = 31,
    VHOST_USER_SET_INFLIGHT_FD = 32,
    VHOST_USER_GPU_SET_SOCKET = 33,
    VHOST_USER_RESET_DEVICE = 34,
    VHOST_USER_VRING_KICK = 35,
    VHOST_USER_GET_MAX_MEM_SLOTS = 36,
    VHOST_USER_ADD_MEM_REG = 37,
    VHOST_USER_REM_MEM_REG = 38,
    VHOST_USER_SET_STATUS = 39,
    VHOST_USER_GET_STATUS = 40,
    VHOST_USER_MAX
};

/* Payload layouts ("Message types"). */
struct vhost_user_hdr {
    uint32_t request;
    uint32_t flags;
    uint32_t size;
};

struct vhost_user_vring_state {
    uint32_t index;
    uint32_t num;
};

struct vhost_user_vring_addr {
    uint32_t index;
    uint32_t flags;
    uint64_t desc; /* frontend virtual addresses */
    uint64_t used;
    uint64_t avail;
    uint64_t log;  /* guest physical, used only with VHOST_VRING_F_LOG */
};

struct vhost_user_mem_region {
    uint64_t gpa;
    uint64_t size;
    uint64_t uva;
    uint64_t mmap_offset;
};

struct vhost_user_mem_table {
    uint32_t nregions;
    uint32_t padding;
    struct vhost_user_mem_region regions[VHOST_USER_MEM_NREGIONS];
};

/* ADD_MEM_REG / REM_MEM_REG ("Single memory region description"). */
struct vhost_user_mem_reg {
    uint64_t padding;
    struct vhost_user_mem_region region;
};

/* The header is kept apart from the 8-aligned payload in memory; on the wire
 * they are contiguous (framing sends/receives them as two pieces). */
struct vhost_user_msg {
    struct vhost_user_hdr hdr;
    union {
        uint64_t u64;
        struct vhost_user_vring_state state;
        struct vhost_user_vring_addr addr;
        struct vhost_user_mem_table mem;
        struct vhost_user_mem_reg mem_reg;
        uint8_t raw[VHOST_USER_MAX_PAYLOAD];
    } payload;
};

_Static_assert(sizeof(struct vhost_user_hdr) == VHOST_USER_HDR_SIZE, "hdr");
_Static_assert(sizeof(struct vhost_user_vring_addr) == 40, "vring addr");
_Static_assert(sizeof(struct vhost_user_mem_table) == 8 + 32 * 8, "mem");
_Static_assert(sizeof(struct vhost_user_mem_reg) == 40, "mem reg");

/* Fills a request header: version 1, optional NEED_REPLY. */
void vhost_user_msg_init(struct vhost_user_msg *, enum vhost_user_request,
                         uint32_t size, bool need_reply);
/* Turns 'reply' into the reply header for 'req' with 'size' payload bytes. */
void vhost_user_reply_init(struct vhost_user_msg *reply,
                           const struct vhost_user_msg *req, uint32_t size);

/* ---- Framing ---------------------------------------------------------- */

/* Sends header + payload with 'nfds' fds (SCM_RIGHTS, not consumed: the
 * caller still owns them).  Partial writes and EINTR are handled; on a
 * non-blocking socket waits at most 'timeout_ms' for buffer space.
 * 0, or -errno (-EPIPE/-ECONNRESET when the peer is gone). */
int vhost_user_send(int sock, const struct vhost_user_msg *, const int *fds,
                    unsigned nfds, int timeout_ms) RSW_MUST_CHECK;

/* Receives one message, collecting SCM_RIGHTS fds (close-on-exec) into
 * fds[0..*nfds).  Returns:
 *   0        message complete; the caller owns fds[0..*nfds)
 *   -EAGAIN  non-blocking socket and no byte of a new message available
 *   -E2BIG   message complete, but it carried more than VHOST_USER_MAX_FDS
 *            fds: all were closed, *nfds = 0 (the stream is still in sync)
 *   other    fatal, drop the connection: -ECONNRESET (peer closed),
 *            -EMSGSIZE (size > VHOST_USER_MAX_PAYLOAD: the stream cannot be
 *            resynchronised), -ETIMEDOUT (message incomplete after
 *            'timeout_ms'), -EPROTO, or a socket error.
 * On every error return no fd is left open. */
int vhost_user_recv(int sock, struct vhost_user_msg *, int fds[],
                    unsigned *nfds, int timeout_ms) RSW_MUST_CHECK;

void vhost_user_close_fds(int fds[], unsigned nfds);

/* ---- The message table ------------------------------------------------- */

/* Why a request was refused (each has a named counter). */
enum vhost_user_refusal {
    VHOST_USER_OK = 0,
    VHOST_USER_REFUSED_UNKNOWN,      /* request number not in the spec */
    VHOST_USER_REFUSED_UNSUPPORTED,  /* in the spec, not implemented */
    VHOST_USER_REFUSED_BAD_FLAGS,    /* wrong version / REPLY set */
    VHOST_USER_REFUSED_BAD_SIZE,     /* payload size out of bounds */
    VHOST_USER_REFUSED_BAD_FDS,      /* fd count out of bounds */
    VHOST_USER_REFUSED_NO_FEATURE,   /* protocol feature not negotiated */
    VHOST_USER_REFUSED_BAD_VRING,    /* vring index >= max vrings */
    VHOST_USER_REFUSED_INVALID,      /* payload fails the validator */
    VHOST_USER_REFUSED_HANDLER,      /* handler refused (state / values) */
    VHOST_USER_REFUSED_N
};
const char *vhost_user_refusal_name(enum vhost_user_refusal);

/* Where a request carries its vring index. */
enum vhost_user_vring_idx {
    VHOST_USER_IDX_NONE,
    VHOST_USER_IDX_STATE, /* u32 at payload offset 0 (state, addr) */
    VHOST_USER_IDX_FILE,  /* bits 0-7 of the u64 payload */
};

struct vhost_backend;
struct vhost_user_req;

/* Backend handler: runs only after vhost_user_check() passed. */
typedef int vhost_user_handler_fn(struct vhost_backend *,
                                  struct vhost_user_req *);
/* Returns VHOST_USER_OK or the refusal reason. */
typedef enum vhost_user_refusal
vhost_user_validator_fn(const struct vhost_user_msg *, unsigned nfds);

struct vhost_user_msg_info {
    const char *name;
    uint32_t min_size, max_size;   /* payload bytes */
    uint8_t min_fds, max_fds;
    uint64_t proto_feature;        /* VHOST_BIT(...) required, 0 = none */
    enum vhost_user_vring_idx vring_idx;
    bool has_reply;                /* explicit reply payload */
    uint32_t reply_size;           /* its size when has_reply */
    vhost_user_validator_fn *validate;
    vhost_user_handler_fn *handler; /* NULL: known but unsupported */
};

/* Table entry for 'request', or NULL if the number is not in the spec. */
const struct vhost_user_msg_info *vhost_user_msg_lookup(uint32_t request);
/* Name for logs ("VHOST_USER_SET_MEM_TABLE", or "UNKNOWN"). */
const char *vhost_user_msg_name(uint32_t request);

/* The central check: every received request passes through here before a
 * handler runs. 'proto_features' = negotiated protocol features,
 * 'max_vrings' = number of vrings the device has. */
enum vhost_user_refusal vhost_user_check(const struct vhost_user_msg *,
                                         unsigned nfds,
                                         uint64_t proto_features,
                                         unsigned max_vrings);

/* The vring index a request names (only for IDX_STATE / IDX_FILE). */
uint32_t vhost_user_msg_vring(const struct vhost_user_msg *);

/* Frontend side: a reply must answer 'request' with exactly 'size' payload
 * bytes, REPLY set, version 1 and no fds.  0 or -EPROTO. */
int vhost_user_check_reply(const struct vhost_user_msg *reply,
                           uint32_t request, uint32_t size,
                           unsigned nfds) RSW_MUST_CHECK;

/* Region table sanity ("Memory regions description"): non-zero sizes, no
 * 64-bit overflow, no overlapping gpa or uva ranges. */
bool vhost_user_regions_valid(const struct vhost_user_mem_region *,
                              unsigned n);

#endif
