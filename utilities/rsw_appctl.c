/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-appctl: runtime commands of rsw-switchd (any server method). */
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ctl_client.h"

/* The switch writes the capture file from its own working directory:
 * make a relative FILE absolute here. */
static const char *
rewrite_capture(int *argc, const char **argv)
{
    static char path[PATH_MAX];
    char cwd[PATH_MAX];

    if (*argc < 2 || argv[1][0] == '/') {
        return NULL;
    }
    if (!getcwd(cwd, sizeof cwd)) {
        return "capture: cannot resolve a relative FILE (getcwd failed)";
    }
    if ((size_t) snprintf(path, sizeof path, "%s/%s", cwd, argv[1])
        >= sizeof path) {
        return "capture: FILE path too long";
    }
    argv[1] = path;
    return NULL;
}

/* ovs-appctl fdb/show's table. */
static void
render_fdb(struct json_object *r)
{
    printf(" port  VLAN  MAC                Age\n");
    for (size_t i = 0; i < json_object_array_length(r); i++) {
        struct json_object *e = json_object_array_get_idx(r, i), *v;
        long long port = 0, vlan = 0, age = 0;
        const char *mac = "";
        if (json_object_object_get_ex(e, "port", &v)) {
            port = json_object_get_int64(v);
        }
        if (json_object_object_get_ex(e, "vlan", &v)) {
            vlan = json_object_get_int64(v);
        }
        if (json_object_object_get_ex(e, "age", &v)) {
            age = json_object_get_int64(v);
        }
        if (json_object_object_get_ex(e, "mac", &v)) {
            mac = json_object_get_string(v);
        }
        printf("%5lld  %4lld  %s  %3lld\n", port, vlan, mac, age);
    }
}

static const struct ctl_client_cmd appctl_cmds[] = {
    {.name = "pmd-stats-show", .max_args = 0, .usage = ""},
    {.name = "pmd-stats-clear", .max_args = 0, .usage = ""},
    {.name = "pmd-rxq-show", .max_args = 0, .usage = ""},
    {.name = "pmd-rxq-rebalance", .max_args = 0, .usage = ""},
    {.name = "dump-dp-flows", .max_args = 0, .usage = ""},
    {.name = "fdb-show", .min_args = 1, .max_args = 1, .usage = "BR",
     .render = render_fdb},
    {.name = "trace", .min_args = 2, .max_args = 2,
     .usage = "BR PACKET   (e.g. \"in_port=1,dl_dst=02:00:00:00:00:02,tcp,"
              "tp_dst=80\")"},
    {.name = "capture", .min_args = 2, .max_args = 66,
     .usage = "PORT FILE [BPF FILTER] [--count N] [--duration S] "
              "[--snaplen N] [--rx|--tx]",
     .rewrite = rewrite_capture},
    {.name = "capture-stop", .min_args = 1, .max_args = 1, .usage = "PORT"},
    {.name = "capture-show", .max_args = 0, .usage = ""},
    {.name = "version", .max_args = 0, .usage = ""},
    {.name = "list-commands", .max_args = 0, .usage = ""},
    {.name = "exit", .max_args = 0, .usage = ""},
};

int
main(int argc, char *argv[])
{
    static const struct ctl_client_tool tool = {
        .prog = "rsw-appctl",
        .summary = "send a runtime command to rsw-switchd (list-commands "
                   "shows all)",
        .cmds = appctl_cmds,
        .n_cmds = RSW_ARRAY_SIZE(appctl_cmds),
        .passthrough = 1,
    };
    return ctl_client_main(&tool, argc, argv);
}
