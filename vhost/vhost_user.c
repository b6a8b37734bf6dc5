/* SPDX-License-Identifier: Apache-2.0 */
/* vhost-user framing, message table and central validation.  Section names
 * in comments refer to QEMU docs/interop/vhost-user.rst. */
#include "vhost_user.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vhost_user_handlers.h"

/* Kernel limit of fds in one SCM_RIGHTS message (SCM_MAX_FD): a cmsg buffer
 * this big can never be truncated, so every fd a peer sends reaches us and
 * is closed by us, rather than some silently dropped by the kernel. */
#define RECV_CMSG_FDS 253
/* Most fds vhost_user_send() attaches (tests send more than a request may
 * carry, to exercise refusal). */
#define SEND_MAX_FDS 64

void
vhost_user_msg_init(struct vhost_user_msg *msg, enum vhost_user_request req,
                    uint32_t size, bool need_reply)
{
    msg->hdr.request = req;
    msg->hdr.flags = VHOST_USER_VERSION
                     | (need_reply ? VHOST_USER_NEED_REPLY_MASK : 0);
    msg->hdr.size = size;
}

void
vhost_user_reply_init(struct vhost_user_msg *reply,
                      const struct vhost_user_msg *req, uint32_t size)
{
    /* "Message types": a reply has the request's number, version 1 and the
     * REPLY bit; NEED_REPLY is never set in replies. */
    reply->hdr.request = req->hdr.request;
    reply->hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
    reply->hdr.size = size;
}

void
vhost_user_close_fds(int fds[], unsigned nfds)
{
    for (unsigned i = 0; i < nfds; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
}

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until 'sock' is ready for 'events' or 'deadline' passes. */
static int
wait_fd(int sock, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        struct pollfd pfd = { .fd = sock, .events = events };

        if (left <= 0) {
            return -ETIMEDOUT;
        }
        int n = poll(&pfd, 1, left > 60000 ? 60000 : (int) left);
        if (n > 0) {
            return 0;
        }
        if (n < 0 && errno != EINTR) {
            return -errno;
        }
    }
}

/* ---- Sending ---------------------------------------------------------- */

int
vhost_user_send(int sock, const struct vhost_user_msg *msg, const int *fds,
                unsigned nfds, int timeout_ms)
{
    union {
        char buf[CMSG_SPACE(SEND_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } control;
    uint8_t wire[VHOST_USER_HDR_SIZE + VHOST_USER_MAX_PAYLOAD];
    size_t total = VHOST_USER_HDR_SIZE + msg->hdr.size, off = 0;
    int64_t deadline = now_ms() + timeout_ms;

    if (msg->hdr.size > VHOST_USER_MAX_PAYLOAD || nfds > SEND_MAX_FDS) {
        return -EINVAL;
    }
    memcpy(wire, &msg->hdr, VHOST_USER_HDR_SIZE);
    memcpy(wire + VHOST_USER_HDR_SIZE, &msg->payload, msg->hdr.size);
    while (off < total) {
        struct iovec iov = { .iov_base = wire + off, .iov_len = total - off };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        /* fds ride on the first byte only ("Communication"). */
        if (off == 0 && nfds) {
            struct cmsghdr *cmsg;

            mh.msg_control = control.buf;
            mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
            cmsg = CMSG_FIRSTHDR(&mh);
            cmsg->cmsg_level = SOL_SOCKET;
            cmsg->cmsg_type = SCM_RIGHTS;
            cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
            memcpy(CMSG_DATA(cmsg), fds, nfds * sizeof(int));
        }
        ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
        if (n > 0) {
            off += n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int err = wait_fd(sock, POLLOUT, deadline);
            if (err) {
                return err;
            }
        } else {
            return n < 0 ? -errno : -EIO;
        }
    }
    return 0;
}

/* ---- Receiving -------------------------------------------------------- */

struct rx_fds {
    int *fds;
    unsigned n;
    bool overflow; /* more than VHOST_USER_MAX_FDS arrived */
};

static void
rx_collect_fds(struct msghdr *mh, struct rx_fds *rx)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        unsigned n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (unsigned i = 0; i < n; i++) {
            int fd;

            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (rx->n < VHOST_USER_MAX_FDS) {
                rx->fds[rx->n++] = fd;
            } else {
                close(fd);
                rx->overflow = true;
            }
        }
    }
    if (mh->msg_flags & MSG_CTRUNC) {
        rx->overflow = true;
    }
}

/* Reads exactly 'len' bytes.  With 'first' and nothing read yet, a
 * would-block returns -EAGAIN instead of waiting. */
static int
recv_exact(int sock, uint8_t *buf, size_t len, struct rx_fds *rx,
           bool first, int64_t deadline)
{
    union {
        char buf[CMSG_SPACE(RECV_CMSG_FDS * sizeof(int))];
        struct cmsghdr align;
    } control;
    size_t off = 0;

    while (off < len) {
        struct iovec iov = { .iov_base = buf + off, .iov_len = len - off };
        struct msghdr mh = {
            .msg_iov = &iov, .msg_iovlen = 1,
            .msg_control = control.buf, .msg_controllen = sizeof control.buf,
        };
        ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);

        if (n > 0 || (n == 0 && mh.msg_controllen)) {
            rx_collect_fds(&mh, rx);
        }
        if (n > 0) {
            off += n;
        } else if (n == 0) {
            return -ECONNRESET;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (first && off == 0) {
                return -EAGAIN;
            }
            int err = wait_fd(sock, POLLIN, deadline);
            if (err) {
                return err;
            }
        } else {
            return -errno;
        }
    }
    return 0;
}

int
vhost_user_recv(int sock, struct vhost_user_msg *msg, int fds[],
                unsigned *nfds, int timeout_ms)
{
    struct rx_fds rx = { .fds = fds };
    int64_t deadline = now_ms() + timeout_ms;
    int err;

    *nfds = 0;
    err = recv_exact(sock, (uint8_t *) &msg->hdr, VHOST_USER_HDR_SIZE, &rx,
                     true, deadline);
    if (err) {
        goto err_close;
    }
    /* "Message types": 'size' is the payload length.  A larger value than
     * any message can have means we cannot find the next header: the only
     * safe reaction is to drop the connection. */
    if (msg->hdr.size > VHOST_USER_MAX_PAYLOAD) {
        err = -EMSGSIZE;
        goto err_close;
    }
    err = recv_exact(sock, msg->payload.raw, msg->hdr.size, &rx, false,
                     deadline);
    if (err) {
        goto err_close;
    }
    if (rx.overflow) {
        err = -E2BIG;
        goto err_close;
    }
    *nfds = rx.n;
    return 0;

err_close:
    vhost_user_close_fds(fds, rx.n);
    return err;
}

/* ---- Validators for variable payloads --------------------------------- */

bool
vhost_user_regions_valid(const struct vhost_user_mem_region *r, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        /* "Memory regions description": a region maps 'size' bytes at
         * gpa/uva; zero or wrapping ranges describe nothing mappable. */
        if (!r[i].size || r[i].gpa + r[i].size < r[i].gpa
            || r[i].uva + r[i].size < r[i].uva
            || r[i].mmap_offset + r[i].size < r[i].mmap_offset) {
            return false;
        }
        for (unsigned j = 0; j < i; j++) {
            /* Overlapping regions would make translation ambiguous. */
            if (r[i].gpa < r[j].gpa + r[j].size
                && r[j].gpa < r[i].gpa + r[i].size) {
                return false;
            }
            if (r[i].uva < r[j].uva + r[j].size
                && r[j].uva < r[i].uva + r[i].size) {
                return false;
            }
        }
    }
    return true;
}

#define OK_IF(cond, reason) ((cond) ? VHOST_USER_OK : (reason))

static enum vhost_user_refusal
validate_mem_table(const struct vhost_user_msg *msg, unsigned nfds)
{
    uint32_t n = msg->payload.mem.nregions;

    /* SET_MEM_TABLE: "nregions" entries follow the 8-byte prefix, each with
     * its own fd in the ancillary data, at most
     * VHOST_MEMORY_BASELINE_NREGIONS of them. */
    if (n < 1 || n > VHOST_USER_MEM_NREGIONS) {
        return VHOST_USER_REFUSED_INVALID;
    }
    if (msg->hdr.size != 8 + n * sizeof(struct vhost_user_mem_region)) {
        return VHOST_USER_REFUSED_BAD_SIZE;
    }
    if (nfds != n) {
        return VHOST_USER_REFUSED_BAD_FDS;
    }
    return OK_IF(vhost_user_regions_valid(msg->payload.mem.regions, n),
                 VHOST_USER_REFUSED_INVALID);
}

static enum vhost_user_refusal
validate_vring_file(const struct vhost_user_msg *msg, unsigned nfds)
{
    uint64_t v = msg->payload.u64;

    /* SET_VRING_KICK/CALL/ERR: bits 0-7 index, bit 8 "invalid FD" flag set
     * exactly when no fd is passed; other bits are not defined. */
    if (v & ~(uint64_t) (VHOST_USER_VRING_IDX_MASK
                         | VHOST_USER_VRING_NOFD_MASK)) {
        return VHOST_USER_REFUSED_INVALID;
    }
    return OK_IF((v & VHOST_USER_VRING_NOFD_MASK) ? nfds == 0 : nfds == 1,
                 VHOST_USER_REFUSED_BAD_FDS);
}

static enum vhost_user_refusal
validate_vring_num(const struct vhost_user_msg *msg, unsigned nfds RSW_UNUSED)
{
    uint32_t num = msg->payload.state.num;

    /* Virtio 1.1 §2.6: split queue size is a power of 2, at most 32768. */
    return OK_IF(num && num <= 32768 && !(num & (num - 1)),
                 VHOST_USER_REFUSED_INVALID);
}

static enum vhost_user_refusal
validate_vring_base(const struct vhost_user_msg *msg, unsigned nfds RSW_UNUSED)
{
    /* SET_VRING_BASE: for a split ring 'num' is the 16-bit next avail
     * index; we do not offer packed rings (wrap counters in bits 15/31). */
    return OK_IF(msg->payload.state.num <= UINT16_MAX,
                 VHOST_USER_REFUSED_INVALID);
}

static enum vhost_user_refusal
validate_vring_addr(const struct vhost_user_msg *msg, unsigned nfds RSW_UNUSED)
{
    /* "Vring address description": only VHOST_VRING_F_LOG is defined. */
    return OK_IF(!(msg->payload.addr.flags & ~VHOST_VRING_F_LOG),
                 VHOST_USER_REFUSED_INVALID);
}

static enum vhost_user_refusal
validate_vring_enable(const struct vhost_user_msg *msg,
                      unsigned nfds RSW_UNUSED)
{
    /* SET_VRING_ENABLE: "num" is 1 to enable, 0 to disable. */
    return OK_IF(msg->payload.state.num <= 1, VHOST_USER_REFUSED_INVALID);
}

static enum vhost_user_refusal
validate_mem_reg(const struct vhost_user_msg *msg, unsigned nfds RSW_UNUSED)
{
    return OK_IF(vhost_user_regions_valid(&msg->payload.mem_reg.region, 1),
                 VHOST_USER_REFUSED_INVALID);
}

/* ---- The table -------------------------------------------------------- */

#define U64 sizeof(uint64_t)
#define STATE sizeof(struct vhost_user_vring_state)
#define PF(f) VHOST_BIT(VHOST_USER_PROTOCOL_F_##f)

#define NO_PAYLOAD(n, h) \
    [VHOST_USER_##n] = { .name = "VHOST_USER_" #n, .handler = h }
#define GET_U64(n, h, pf)                                              \
    [VHOST_USER_##n] = { .name = "VHOST_USER_" #n, .proto_feature = pf, \
                         .has_reply = true, .reply_size = U64,          \
                         .handler = h }
#define SET_U64(n, h, pf)                                               \
    [VHOST_USER_##n] = { .name = "VHOST_USER_" #n, .min_size = U64,      \
                         .max_size = U64, .proto_feature = pf,           \
                         .handler = h }
#define VRING_FILE(n)                                                   \
    [VHOST_USER_##n] = { .name = "VHOST_USER_" #n, .min_size = U64,      \
                         .max_size = U64, .max_fds = 1,                 \
                         .vring_idx = VHOST_USER_IDX_FILE,               \
                         .validate = validate_vring_file,                \
                         .handler = vhost_backend_set_vring_fd }
/* Known, not implemented: any size and fds are read, then refused. */
#define UNSUPPORTED(n)                                                  \
    [VHOST_USER_##n] = { .name = "VHOST_USER_" #n,                       \
                         .max_size = VHOST_USER_MAX_PAYLOAD,             \
                         .max_fds = VHOST_USER_MAX_FDS }

static const struct vhost_user_msg_info msg_table[VHOST_USER_MAX] = {
    GET_U64(GET_FEATURES, vhost_backend_get_features, 0),
    SET_U64(SET_FEATURES, vhost_backend_set_features, 0),
    NO_PAYLOAD(SET_OWNER, vhost_backend_set_owner),
    NO_PAYLOAD(RESET_OWNER, vhost_backend_reset_owner),
    [VHOST_USER_SET_MEM_TABLE] = {
        .name = "VHOST_USER_SET_MEM_TABLE",
        .min_size = 8,
        .max_size = sizeof(struct vhost_user_mem_table),
        .min_fds = 1, .max_fds = VHOST_USER_MEM_NREGIONS,
        .validate = validate_mem_table,
        .handler = vhost_backend_set_mem_table,
    },
    UNSUPPORTED(SET_LOG_BASE),
    UNSUPPORTED(SET_LOG_FD),
    [VHOST_USER_SET_VRING_NUM] = {
        .name = "VHOST_USER_SET_VRING_NUM",
        .min_size = STATE, .max_size = STATE,
        .vring_idx = VHOST_USER_IDX_STATE,
        .validate = validate_vring_num,
        .handler = vhost_backend_set_vring_num,
    },
    [VHOST_USER_SET_VRING_ADDR] = {
        .name = "VHOST_USER_SET_VRING_ADDR",
        .min_size = sizeof(struct vhost_user_vring_addr),
        .max_size = sizeof(struct vhost_user_vring_addr),
        .vring_idx = VHOST_USER_IDX_STATE,
        .validate = validate_vring_addr,
        .handler = vhost_backend_set_vring_addr,
    },
    [VHOST_USER_SET_VRING_BASE] = {
        .name = "VHOST_USER_SET_VRING_BASE",
        .min_size = STATE, .max_size = STATE,
        .vring_idx = VHOST_USER_IDX_STATE,
        .validate = validate_vring_base,
        .handler = vhost_backend_set_vring_base,
    },
    [VHOST_USER_GET_VRING_BASE] = {
        .name = "VHOST_USER_GET_VRING_BASE",
        .min_size = STATE, .max_size = STATE,
        .vring_idx = VHOST_USER_IDX_STATE,
        .has_reply = true, .reply_size = STATE,
        .handler = vhost_backend_get_vring_base,
    },
    VRING_FILE(SET_VRING_KICK),
    VRING_FILE(SET_VRING_CALL),
    VRING_FILE(SET_VRING_ERR),
    GET_U64(GET_PROTOCOL_FEATURES, vhost_backend_get_protocol_features, 0),
    SET_U64(SET_PROTOCOL_FEATURES, vhost_backend_set_protocol_features, 0),
    GET_U64(GET_QUEUE_NUM, vhost_backend_get_queue_num, PF(MQ)),
    [VHOST_USER_SET_VRING_ENABLE] = {
        .name = "VHOST_USER_SET_VRING_ENABLE",
        .min_size = STATE, .max_size = STATE,
        .vring_idx = VHOST_USER_IDX_STATE,
        .validate = validate_vring_enable,
        .handler = vhost_backend_set_vring_enable,
    },
    SET_U64(SEND_RARP, vhost_backend_send_rarp, PF(RARP)),
    SET_U64(NET_SET_MTU, vhost_backend_net_set_mtu, PF(NET_MTU)),
    UNSUPPORTED(SET_BACKEND_REQ_FD),
    UNSUPPORTED(IOTLB_MSG),
    UNSUPPORTED(SET_VRING_ENDIAN),
    UNSUPPORTED(GET_CONFIG),
    UNSUPPORTED(SET_CONFIG),
    UNSUPPORTED(CREATE_CRYPTO_SESSION),
    UNSUPPORTED(CLOSE_CRYPTO_SESSION),
    UNSUPPORTED(POSTCOPY_ADVISE),
    UNSUPPORTED(POSTCOPY_LISTEN),
    UNSUPPORTED(POSTCOPY_END),
    UNSUPPORTED(GET_INFLIGHT_FD),
    UNSUPPORTED(SET_INFLIGHT_FD),
    UNSUPPORTED(GPU_SET_SOCKET),
    [VHOST_USER_RESET_DEVICE] = {
        .name = "VHOST_USER_RESET_DEVICE",
        .proto_feature = PF(RESET_DEVICE),
        .handler = vhost_backend_reset_device,
    },
    UNSUPPORTED(VRING_KICK),
    GET_U64(GET_MAX_MEM_SLOTS, vhost_backend_get_max_mem_slots,
            PF(CONFIGURE_MEM_SLOTS)),
    [VHOST_USER_ADD_MEM_REG] = {
        .name = "VHOST_USER_ADD_MEM_REG",
        .min_size = sizeof(struct vhost_user_mem_reg),
        .max_size = sizeof(struct vhost_user_mem_reg),
        .min_fds = 1, .max_fds = 1,
        .proto_feature = PF(CONFIGURE_MEM_SLOTS),
        .validate = validate_mem_reg,
        .handler = vhost_backend_add_mem_reg,
    },
    /* REM_MEM_REG: "No file descriptors SHOULD be passed ... the back-end
     * MAY accept a single file descriptor ... MUST close it". */
    [VHOST_USER_REM_MEM_REG] = {
        .name = "VHOST_USER_REM_MEM_REG",
        .min_size = sizeof(struct vhost_user_mem_reg),
        .max_size = sizeof(struct vhost_user_mem_reg),
        .max_fds = 1,
        .proto_feature = PF(CONFIGURE_MEM_SLOTS),
        .handler = vhost_backend_rem_mem_reg,
    },
    UNSUPPORTED(SET_STATUS),
    UNSUPPORTED(GET_STATUS),
};

const struct vhost_user_msg_info *
vhost_user_msg_lookup(uint32_t request)
{
    if (request >= VHOST_USER_MAX || !msg_table[request].name) {
        return NULL;
    }
    return &msg_table[request];
}

const char *
vhost_user_msg_name(uint32_t request)
{
    const struct vhost_user_msg_info *info = vhost_user_msg_lookup(request);

    return info ? info->name : "VHOST_USER_UNKNOWN";
}

const char *
vhost_user_refusal_name(enum vhost_user_refusal r)
{
    static const char *const names[VHOST_USER_REFUSED_N] = {
        [VHOST_USER_OK] = "ok",
        [VHOST_USER_REFUSED_UNKNOWN] = "unknown_request",
        [VHOST_USER_REFUSED_UNSUPPORTED] = "unsupported_request",
        [VHOST_USER_REFUSED_BAD_FLAGS] = "bad_flags",
        [VHOST_USER_REFUSED_BAD_SIZE] = "bad_size",
        [VHOST_USER_REFUSED_BAD_FDS] = "bad_fd_count",
        [VHOST_USER_REFUSED_NO_FEATURE] = "feature_not_negotiated",
        [VHOST_USER_REFUSED_BAD_VRING] = "bad_vring_index",
        [VHOST_USER_REFUSED_INVALID] = "invalid_payload",
        [VHOST_USER_REFUSED_HANDLER] = "handler_refused",
    };

    return (unsigned) r < VHOST_USER_REFUSED_N ? names[r] : "?";
}

uint32_t
vhost_user_msg_vring(const struct vhost_user_msg *msg)
{
    const struct vhost_user_msg_info *info =
        vhost_user_msg_lookup(msg->hdr.request);

    if (!info || info->vring_idx == VHOST_USER_IDX_NONE) {
        return 0;
    }
    if (info->vring_idx == VHOST_USER_IDX_FILE) {
        return msg->payload.u64 & VHOST_USER_VRING_IDX_MASK;
    }
    return msg->payload.state.index;
}

enum vhost_user_refusal
vhost_user_check(const struct vhost_user_msg *msg, unsigned nfds,
                 uint64_t proto_features, unsigned max_vrings)
{
    const struct vhost_user_msg_info *info =
        vhost_user_msg_lookup(msg->hdr.request);

    if (!info) {
        return VHOST_USER_REFUSED_UNKNOWN;
    }
    /* "Message types": version must be 0x1; REPLY is only set by the
     * back-end on replies, never in a request. */
    if ((msg->hdr.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION
        || (msg->hdr.flags & VHOST_USER_REPLY_MASK)) {
        return VHOST_USER_REFUSED_BAD_FLAGS;
    }
    if (!info->handler) {
        return VHOST_USER_REFUSED_UNSUPPORTED;
    }
    /* Each request's payload layout is fixed by "Front-end message types";
     * the variable SET_MEM_TABLE is bounded here, checked exactly by its
     * validator. */
    if (msg->hdr.size < info->min_size || msg->hdr.size > info->max_size) {
        return VHOST_USER_REFUSED_BAD_SIZE;
    }
    if (nfds < info->min_fds || nfds > info->max_fds) {
        return VHOST_USER_REFUSED_BAD_FDS;
    }
    /* "Protocol features": a request guarded by a protocol feature may only
     * be sent once the feature was negotiated. */
    if (info->proto_feature && !(proto_features & info->proto_feature)) {
        return VHOST_USER_REFUSED_NO_FEATURE;
    }
    /* "Multiple queue support": the index must name an existing vring. */
    if (info->vring_idx != VHOST_USER_IDX_NONE
        && vhost_user_msg_vring(msg) >= max_vrings) {
        return VHOST_USER_REFUSED_BAD_VRING;
    }
    return info->validate ? info->validate(msg, nfds) : VHOST_USER_OK;
}

int
vhost_user_check_reply(const struct vhost_user_msg *reply, uint32_t request,
                       uint32_t size, unsigned nfds)
{
    /* "Message types": a reply carries the request's number, version 1 and
     * the REPLY bit; no reply we ask for carries fds. */
    if (reply->hdr.request != request
        || (reply->hdr.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION
        || !(reply->hdr.flags & VHOST_USER_REPLY_MASK)
        || reply->hdr.size != size || nfds) {
        return -EPROTO;
    }
    return 0;
}
