/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VHOST_TEST_UTIL_H
#define RSW_VHOST_TEST_UTIL_H 1

/* Helpers shared by the vhost-user unit tests (header only: every test is
 * its own executable). */

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vhost/vhost_user.h"

/* Monotonic seconds, for the tests' deadlines. */
static inline double
tu_now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Open fds of this process. */
static inline unsigned
tu_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    unsigned n = 0;
    struct dirent *e;

    if (!d) {
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        n += e->d_name[0] != '.';
    }
    closedir(d);
    return n - 1; /* the DIR's own fd */
}

/* Lines of /proc/self/maps naming a memfd (our guest memory). */
static inline unsigned
tu_count_memfd_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    unsigned n = 0;

    if (!f) {
        return 0;
    }
    while (fgets(line, sizeof line, f)) {
        n += strstr(line, "/memfd:") != NULL;
    }
    fclose(f);
    return n;
}

static inline long
tu_rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;

    if (!f) {
        return 0;
    }
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2) {
        rss = 0;
    }
    fclose(f);
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static inline int
tu_memfd(size_t size)
{
    int fd = memfd_create("rsw-test-guest", MFD_CLOEXEC);

    if (fd >= 0 && ftruncate(fd, size)) {
        close(fd);
        return -1;
    }
    return fd;
}

static inline int
tu_socketpair(int sv[2])
{
    return socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                      sv);
}

static inline void
tu_msg(struct vhost_user_msg *m, uint32_t req, uint32_t size)
{
    memset(m, 0, sizeof *m);
    vhost_user_msg_init(m, req, size, false);
}

/* Writes raw bytes with SCM_RIGHTS fds (for malformed messages). */
static inline ssize_t
tu_send_raw_flags(int sock, const void *buf, size_t len, const int *fds,
                  unsigned nfds, int flags)
{
    union {
        char buf[CMSG_SPACE(64 * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = { (void *) buf, len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

    if (nfds) {
        struct cmsghdr *c;

        mh.msg_control = control.buf;
        mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    return sendmsg(sock, &mh, MSG_NOSIGNAL | flags);
}

static inline ssize_t
tu_send_raw(int sock, const void *buf, size_t len, const int *fds,
            unsigned nfds)
{
    return tu_send_raw_flags(sock, buf, len, fds, nfds, 0);
}

#endif
