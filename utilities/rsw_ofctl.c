/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-ofctl: flow rules and port counters of rsw-switchd's bridges. */
#include "ctl_client.h"

static const struct ctl_client_cmd ofctl_cmds[] = {
    {.name = "add-flow", .min_args = 2, .max_args = 2,
     .usage = "BR \"[in_port=N,][dl_vlan=V,]actions=ACTIONS\"\n"
              "      ACTIONS: normal | drop | output:M | M | mod_dl_src:MAC |"
              " mod_dl_dst:MAC |\n"
              "      mod_vlan_vid:V | mod_vlan_pcp:P | strip_vlan | "
              "push_vlan:0x8100 |\n"
              "      mod_nw_src:IP | mod_nw_dst:IP | mod_nw_tos:T | "
              "mod_nw_ttl:T | mod_tp_src:N | mod_tp_dst:N"},
    {.name = "del-flows", .min_args = 1, .max_args = 1, .usage = "BR"},
    {.name = "dump-flows", .min_args = 1, .max_args = 1, .usage = "BR"},
    {.name = "dump-ports", .min_args = 1, .max_args = 2, .usage = "BR [PORT]"},
};

int
main(int argc, char *argv[])
{
    static const struct ctl_client_tool tool = {
        .prog = "rsw-ofctl",
        .summary = "manage the flow rules of rsw-switchd bridges",
        .cmds = ofctl_cmds,
        .n_cmds = RSW_ARRAY_SIZE(ofctl_cmds),
    };
    return ctl_client_main(&tool, argc, argv);
}
