/* SPDX-License-Identifier: Apache-2.0 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int
daemon_detach_start(int *ready_fd)
{
    int fds[2];

    if (pipe(fds)) {
        return -errno;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int err = -errno;
        close(fds[0]);
        close(fds[1]);
        return err;
    }
    if (pid > 0) {
        char c;
        close(fds[1]);
        /* EOF: the child died before reporting. */
        _exit(read(fds[0], &c, 1) == 1 && c == 0 ? 0 : 1);
    }
    close(fds[0]);
    setsid();
    *ready_fd = fds[1];
    return 0;
}

void
daemon_detach_finish(int ready_fd, bool ok)
{
    char c = ok ? 0 : 1;

    if (ready_fd < 0) {
        return;
    }
    if (ok) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
            if (null > STDERR_FILENO) {
                close(null);
            }
        }
    }
    /* Nothing to do if the parent is gone: it only waits for this byte. */
    (void) !write(ready_fd, &c, 1);
    close(ready_fd);
}

int
daemon_write_pidfile(const char *path)
{
    char tmp[4096];

    if ((size_t) snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        return -ENAMETOOLONG;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        return -errno;
    }
    fprintf(f, "%ld\n", (long) getpid());
    if (fclose(f) || rename(tmp, path)) {
        int err = -errno;
        unlink(tmp);
        return err;
    }
    return 0;
}
