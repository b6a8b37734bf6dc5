/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-vsctl: bridges and ports of rsw-switchd.  Until the database exists
 * (ovsdb-lite) this talks to the switch's runtime methods directly. */
#include <string.h>
#include "ctl_client.h"

/* Accepts OVS's "add-port BR PORT -- set Interface PORT k=v ..." as well
 * as "add-port BR PORT k=v ...": drops the "-- set Interface PORT". */
static const char *
rewrite_add_port(int *argc, const char **argv)
{
    int n = *argc;

    for (int i = 2; i < n; i++) {
        if (strcmp(argv[i], "--")) {
            continue;
        }
        if (n - i < 4 || strcmp(argv[i + 1], "set")
            || strcmp(argv[i + 2], "Interface")
            || strcmp(argv[i + 3], argv[1])) {
            return "add-port: expected '-- set Interface PORT k=v...' with "
                   "the same PORT";
        }
        memmove(&argv[i], &argv[i + 4], (size_t) (n - i - 4) * sizeof *argv);
        *argc = n - 4;
        return NULL;
    }
    return NULL;
}

static const struct ctl_client_cmd vsctl_cmds[] = {
    {.name = "show", .max_args = 0, .usage = ""},
    {.name = "add-br", .min_args = 1, .max_args = 1, .usage = "BR"},
    {.name = "del-br", .min_args = 1, .max_args = 1, .usage = "BR"},
    {.name = "add-port", .min_args = 2, .max_args = 8,
     .usage = "BR PORT [-- set Interface PORT] type=vhostuser|vhostuserclient"
              " options:path=SOCK|options:server-path=SOCK [ofport_request=N]",
     .rewrite = rewrite_add_port},
    {.name = "del-port", .min_args = 2, .max_args = 2, .usage = "BR PORT"},
};

int
main(int argc, char *argv[])
{
    static const struct ctl_client_tool tool = {
        .prog = "rsw-vsctl",
        .summary = "configure rsw-switchd bridges and ports",
        .cmds = vsctl_cmds,
        .n_cmds = RSW_ARRAY_SIZE(vsctl_cmds),
    };
    return ctl_client_main(&tool, argc, argv);
}
