/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: a hostile vhost-user frontend.
 *
 * The input is a sequence of chunks, each [ctl:1][len:2 LE][bytes:len];
 * the bytes are written to one end of a socketpair with (ctl % 10) memfd
 * fds attached (9 exceeds what any request may carry).  Message boundaries
 * are whatever the bytes say, so chunks may split or join messages.  The
 * write side is then shut down and the backend's receive/validate/dispatch
 * loop runs over the other end until the stream ends, its replies drained.
 * After vhost_backend_reset() no fd and no guest mapping may remain:
 * otherwise we abort. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost/vhost_backend.h"
#include "vhost/vhost_user.h"
#include "vhost/virtq.h"
#include "vhost/vlog.h"
#include "tests/unit/vhost_test_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_MEMFDS 9
#define MEMFD_SIZE 0x10000
#define MAX_STREAM (64 * 1024) /* stays below the socket buffer */

static struct vhost_backend *backend;
static int memfds[N_MEMFDS];

/* Open fds of the kinds this code handles (memfds, sockets, eventfds).
 * Others are left out: libFuzzer itself opens pipes to a symbolizer when it
 * reports new functions. */
static unsigned
count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    unsigned n = 0;

    if (!d) {
        abort();
    }
    while ((e = readdir(d)) != NULL) {
        char path[300], target[256];
        ssize_t len;

        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        len = readlink(path, target, sizeof target - 1);
        if (len <= 0) {
            continue;
        }
        target[len] = 0;
        n += !strncmp(target, "/memfd:", 7) || !strncmp(target, "socket:", 7)
             || !strncmp(target, "anon_inode:", 11);
    }
    closedir(d);
    return n;
}

static unsigned
count_guest_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    unsigned n = 0;

    if (!f) {
        abort();
    }
    while (fgets(line, sizeof line, f)) {
        n += strstr(line, "/memfd:rsw-fuzz") != NULL;
    }
    fclose(f);
    return n;
}

/* On failure: what is open, to tell a leak from the harness's own fds. */
static void
dump_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;

    while (d && (e = readdir(d)) != NULL) {
        char path[300], target[256];
        ssize_t n;

        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        n = readlink(path, target, sizeof target - 1);
        if (n > 0) {
            target[n] = 0;
            fprintf(stderr, "  fd %s -> %s\n", e->d_name, target);
        }
    }
    if (d) {
        closedir(d);
    }
}

static void
null_sink(enum rsw_log_level l RSW_UNUSED, const char *s RSW_UNUSED,
          void *aux RSW_UNUSED)
{
}

/* A ring coming up is used a little, as a datapath would: whatever the
 * (fuzzer-written) guest memory holds must be handled safely. */
static void
vring_state(void *ctx RSW_UNUSED, unsigned qidx RSW_UNUSED, struct virtq *vq,
            bool ready)
{
    static struct virtq_chain chain;

    for (int i = 0; ready && i < 4 && virtq_pop(vq, &chain) == 1; i++) {
        virtq_push_used(vq, chain.head, 0);
    }
    if (ready) {
        virtq_flush_and_notify(vq);
    }
}

static const struct vhost_backend_ops fuzz_ops = {
    .vring_state = vring_state,
};

static void
init_once(void)
{
    struct vhost_backend_config cfg = {
        .name = "fuzz",
        .max_queue_pairs = 2,
        .protocol_features = VHOST_BACKEND_SUPPORTED_PROTOCOL_FEATURES,
    };

    rsw_log_set_sink(null_sink, NULL);
    if (vhost_backend_create(&cfg, &fuzz_ops, NULL, &backend)) {
        abort();
    }
    for (int i = 0; i < N_MEMFDS; i++) {
        memfds[i] = memfd_create("rsw-fuzz", MFD_CLOEXEC);
        if (memfds[i] < 0 || ftruncate(memfds[i], MEMFD_SIZE)) {
            abort();
        }
    }
}

static void
write_stream(int sock, const uint8_t *data, size_t size)
{
    size_t total = 0;

    while (size >= 3 && total < MAX_STREAM) {
        unsigned nfds = data[0] % 10;
        size_t len = data[1] | (size_t) data[2] << 8;

        data += 3;
        size -= 3;
        len = len < size ? len : size;
        if (len) {
            (void) tu_send_raw_flags(sock, data, len, memfds, nfds,
                                     MSG_DONTWAIT);
        }
        data += len;
        size -= len;
        total += len;
    }
}

/* Reads and discards replies (they carry no fds; close any anyway). */
static void
drain(int sock)
{
    char buf[4096], control[CMSG_SPACE(16 * sizeof(int))];

    for (;;) {
        struct iovec iov = { buf, sizeof buf };
        struct msghdr mh = {
            .msg_iov = &iov, .msg_iovlen = 1,
            .msg_control = control, .msg_controllen = sizeof control,
        };

        if (recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0) {
            return;
        }
        if (mh.msg_controllen) {
            abort(); /* the backend never sends fds */
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned baseline;
    int sv[2];

    if (!backend) {
        init_once();
        baseline = count_fds();
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   sv)) {
        abort();
    }
    vhost_backend_connected(backend);
    write_stream(sv[0], data, size);
    shutdown(sv[0], SHUT_WR); /* a cut-off message ends at once */
    for (;;) {
        int n = vhost_backend_process_socket(backend, sv[1], 1);

        drain(sv[0]);
        if (n <= 0) {
            break;
        }
    }
    vhost_backend_reset(backend);
    close(sv[0]);
    close(sv[1]);
    if (vhost_backend_n_fds(backend) || vhost_backend_mem(backend)
        || count_fds() > baseline || count_guest_maps()) {
        fprintf(stderr, "fuzz_vhost_msg: state survived reset: backend "
                "fds %u, fds %u (baseline %u), guest maps %u\n",
                vhost_backend_n_fds(backend), count_fds(), baseline,
                count_guest_maps());
        dump_fds();
        abort();
    }
    return 0;
}
