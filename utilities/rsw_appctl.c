/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-appctl: runtime commands of rsw-switchd (any server method). */
#include "ctl_client.h"

static const struct ctl_client_cmd appctl_cmds[] = {
    {.name = "pmd-stats-show", .max_args = 0, .usage = ""},
    {.name = "pmd-stats-clear", .max_args = 0, .usage = ""},
    {.name = "pmd-rxq-show", .max_args = 0, .usage = ""},
    {.name = "dump-dp-flows", .max_args = 0, .usage = ""},
    {.name = "fdb-show", .min_args = 1, .max_args = 1, .usage = "BR"},
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
