/* SPDX-License-Identifier: Apache-2.0 */
#include "upcall.h"

#include <errno.h>
#include <stdio.h>

int
dp_actions_add_output(struct dp_actions *a, uint32_t port_no)
{
    for (uint32_t i = 0; i < a->n_outputs; i++) {
        if (a->outputs[i] == port_no) {
            return 0;
        }
    }
    if (a->n_outputs >= DP_ACTIONS_MAX_OUTPUTS) {
        return -ENOSPC;
    }
    a->outputs[a->n_outputs++] = port_no;
    return 0;
}

char *
dp_actions_format(const struct dp_actions *a, char *buf, size_t size)
{
    size_t used = 0;

    if (!size) {
        return buf;
    }
    buf[0] = '\0';
    if (!a->n_outputs) {
        snprintf(buf, size, "drop");
        return buf;
    }
    for (uint32_t i = 0; i < a->n_outputs && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%soutput:%u",
                         i ? "," : "", a->outputs[i]);
        if (n < 0) {
            break;
        }
        used += (size_t) n;
    }
    return buf;
}
