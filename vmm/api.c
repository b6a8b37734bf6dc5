/* SPDX-License-Identifier: Apache-2.0 */
/* Control socket (--api SOCK): newline-delimited JSON over a unix stream
 * socket.  A request is {"command": "status" | "stats" | "pause" |
 * "resume" | "shutdown"}; each gets one reply line {"ok": true, ...} or
 * {"ok": false, "error": "..."}. */
#include "api.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "virtio_net.h"

#define API_MAX_CLIENTS 8
#define API_LINE_MAX 1024

struct api_client {
    int fd;
    char buf[API_LINE_MAX];
    size_t len;
};

struct vmm_api {
    struct vmm *vmm;
    int listen_fd;
    char path[108];
    struct api_client c[API_MAX_CLIENTS];
};

typedef void api_cmd_fn(struct vmm_api *, struct json_object *reply);

static struct json_object *
ms_since_start(const struct vmm *vmm, uint64_t t)
{
    return t ? json_object_new_double((double) (t - vmm->timing.start_ns)
                                      / 1e6)
             : json_object_new_null();
}

static void
cmd_status(struct vmm_api *api, struct json_object *r)
{
    struct vmm *vmm = api->vmm;
    const char *state;

    pthread_mutex_lock(&vmm->run_lock);
    state = atomic_load(&vmm->stop) ? "stopping"
            : vmm->paused ? "paused" : "running";
    pthread_mutex_unlock(&vmm->run_lock);
    json_object_object_add(r, "state", json_object_new_string(state));
    json_object_object_add(r, "uptime_ms",
                           ms_since_start(vmm, vmm_now_ns()));
    json_object_object_add(r, "mem_bytes", json_object_new_int64(
                               (int64_t) vmm->mem.size));
    json_object_object_add(r, "hugepages",
                           json_object_new_boolean(vmm->mem.hugepages));
    json_object_object_add(r, "cpus", json_object_new_int((int) vmm->n_vcpus));
    json_object_object_add(r, "first_entry_ms", ms_since_start(
                               vmm, atomic_load(&vmm->timing.first_entry_ns)));
    json_object_object_add(r, "first_exit_ms", ms_since_start(
                               vmm, atomic_load(&vmm->timing.first_exit_ns)));
    json_object_object_add(r, "first_post_ms", ms_since_start(
                               vmm, atomic_load(&vmm->timing.first_post_ns)));
    json_object_object_add(r, "net", vmm->net ? virtio_net_stats_json(vmm->net)
                                              : json_object_new_null());
}

static void
cmd_stats(struct vmm_api *api, struct json_object *r)
{
    struct vmm *vmm = api->vmm;
    struct json_object *exits = json_object_new_object();

    json_object_object_add(exits, "pio", json_object_new_int64(
                               (int64_t) atomic_load(&vmm->exits_pio)));
    json_object_object_add(exits, "mmio", json_object_new_int64(
                               (int64_t) atomic_load(&vmm->exits_mmio)));
    json_object_object_add(exits, "other", json_object_new_int64(
                               (int64_t) atomic_load(&vmm->exits_other)));
    json_object_object_add(r, "exits", exits);
    json_object_object_add(r, "net", vmm->net ? virtio_net_stats_json(vmm->net)
                                              : json_object_new_null());
}

static void
cmd_pause(struct vmm_api *api, struct json_object *r RSW_UNUSED)
{
    vmm_pause(api->vmm);
}

static void
cmd_resume(struct vmm_api *api, struct json_object *r RSW_UNUSED)
{
    vmm_resume(api->vmm);
}

static void
cmd_shutdown(struct vmm_api *api, struct json_object *r RSW_UNUSED)
{
    vmm_request_exit(api->vmm, VMM_EXIT_POWEROFF,
                     "shutdown requested through the API");
}

static const struct {
    const char *name;
    api_cmd_fn *fn;
} api_cmds[] = {
    { "status", cmd_status },
    { "stats", cmd_stats },
    { "pause", cmd_pause },
    { "resume", cmd_resume },
    { "shutdown", cmd_shutdown },
};

static struct json_object *
api_execute(struct vmm_api *api, const char *line)
{
    struct json_object *req = json_tokener_parse(line), *cmd;
    struct json_object *reply = json_object_new_object();
    const char *name = NULL;

    if (req && json_object_object_get_ex(req, "command", &cmd)
        && json_object_is_type(cmd, json_type_string)) {
        name = json_object_get_string(cmd);
    }
    for (size_t i = 0; name && i < RSW_ARRAY_SIZE(api_cmds); i++) {
        if (!strcmp(name, api_cmds[i].name)) {
            json_object_object_add(reply, "ok", json_object_new_boolean(1));
            api_cmds[i].fn(api, reply);
            json_object_put(req);
            return reply;
        }
    }
    json_object_object_add(reply, "ok", json_object_new_boolean(0));
    json_object_object_add(reply, "error", json_object_new_string(
        !req ? "request is not JSON"
        : !name ? "request needs a \"command\" string"
        : "unknown command (status, stats, pause, resume, shutdown)"));
    json_object_put(req);
    return reply;
}

static void
api_close_client(struct api_client *c)
{
    close(c->fd);
    c->fd = -1;
    c->len = 0;
}

static void
api_reply(struct api_client *c, struct json_object *reply)
{
    const char *s = json_object_to_json_string_ext(reply,
                                                   JSON_C_TO_STRING_PLAIN);
    size_t n = strlen(s);

    if (send(c->fd, s, n, MSG_NOSIGNAL) != (ssize_t) n
        || send(c->fd, "\n", 1, MSG_NOSIGNAL) != 1) {
        api_close_client(c);
    }
    json_object_put(reply);
}

static void
api_client_input(struct vmm_api *api, struct api_client *c)
{
    ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len,
                     MSG_DONTWAIT);
    char *nl;

    if (r <= 0) {
        if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
            api_close_client(c);
        }
        return;
    }
    c->len += (size_t) r;
    c->buf[c->len] = '\0';
    while (c->fd >= 0 && (nl = strchr(c->buf, '\n'))) {
        *nl = '\0';
        api_reply(c, api_execute(api, c->buf));
        if (c->fd < 0) {
            return;
        }
        c->len -= (size_t) (nl + 1 - c->buf);
        memmove(c->buf, nl + 1, c->len + 1);
    }
    if (c->len == sizeof c->buf - 1) {
        api_close_client(c);             /* a line too long: drop */
    }
}

static void
api_accept(struct vmm_api *api)
{
    int fd = accept4(api->listen_fd, NULL, NULL, SOCK_CLOEXEC);

    if (fd < 0) {
        return;
    }
    for (unsigned i = 0; i < API_MAX_CLIENTS; i++) {
        if (api->c[i].fd < 0) {
            api->c[i].fd = fd;
            api->c[i].len = 0;
            return;
        }
    }
    close(fd);                           /* too many clients */
}

int
vmm_api_create(struct vmm *vmm, const char *path, struct vmm_api **out)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct vmm_api *api;
    int err;

    if (strlen(path) >= sizeof sa.sun_path) {
        return -ENAMETOOLONG;
    }
    api = calloc(1, sizeof *api);
    if (!api) {
        return -ENOMEM;
    }
    api->vmm = vmm;
    for (unsigned i = 0; i < API_MAX_CLIENTS; i++) {
        api->c[i].fd = -1;
    }
    snprintf(api->path, sizeof api->path, "%s", path);
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    api->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (api->listen_fd < 0) {
        err = -errno;
        goto err_free;
    }
    unlink(path);
    if (bind(api->listen_fd, (struct sockaddr *) &sa, sizeof sa) < 0
        || listen(api->listen_fd, 8) < 0) {
        err = -errno;
        goto err_close;
    }
    *out = api;
    return 0;

err_close:
    close(api->listen_fd);
err_free:
    free(api);
    return err;
}

void
vmm_api_destroy(struct vmm_api *api)
{
    if (!api) {
        return;
    }
    for (unsigned i = 0; i < API_MAX_CLIENTS; i++) {
        if (api->c[i].fd >= 0) {
            close(api->c[i].fd);
        }
    }
    close(api->listen_fd);
    unlink(api->path);
    free(api);
}

unsigned
vmm_api_poll_fill(struct vmm_api *api, struct pollfd *p, unsigned max)
{
    unsigned k = 0;

    if (max < 1 + API_MAX_CLIENTS) {
        return 0;
    }
    p[k++] = (struct pollfd) { .fd = api->listen_fd, .events = POLLIN };
    for (unsigned i = 0; i < API_MAX_CLIENTS; i++) {
        p[k++] = (struct pollfd) { .fd = api->c[i].fd, .events = POLLIN };
    }
    return k;
}

void
vmm_api_poll_done(struct vmm_api *api, const struct pollfd *p, unsigned n)
{
    for (unsigned i = 1; i < n && i <= API_MAX_CLIENTS; i++) {
        if (p[i].fd >= 0 && p[i].revents && api->c[i - 1].fd == p[i].fd) {
            api_client_input(api, &api->c[i - 1]);
        }
    }
    if (n && (p[0].revents & POLLIN)) {
        api_accept(api);
    }
}
