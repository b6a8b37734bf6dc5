/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the packet parser (datapath/flow_extract.c).
 *
 * The input is copied into a buffer of exactly its size, so AddressSanitizer
 * flags any read past the end.  Each input is parsed twice: as a whole
 * frame, and as a prefix of a longer frame (flow_extract_prefix), whose
 * length comes from the first input bytes.  The results are checked for
 * internal consistency: a parse must always yield a usable key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "datapath/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct flow *flow, const struct flow_parse_info *info,
      size_t len, int rc)
{
    char buf[FLOW_FORMAT_SIZE];

    if ((unsigned) info->status >= FLOW_PARSE_N_STATUS
        || (rc == 0) != (info->status == FLOW_PARSE_OK)
        || (info->l3_ofs != FLOW_OFS_NONE && info->l3_ofs > len)
        || (info->l4_ofs != FLOW_OFS_NONE && info->l4_ofs > len)
        || (info->l7_ofs != FLOW_OFS_NONE && info->l7_ofs > len)
        || info->n_ext_hdrs > FLOW_MAX_IPV6_EXT_HDRS
        || flow->pad[0] || flow->pad[1] || flow->metadata) {
        abort();
    }
    flow_format(flow, buf, sizeof buf);
    if (!memchr(buf, '\0', sizeof buf)) {
        abort();
    }
    (void) flow_hash(flow, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct flow_parse_info info;
    struct flow flow;
    uint8_t *pkt = malloc(size ? size : 1);
    int rc;

    if (!pkt) {
        return 0;
    }
    memcpy(pkt, data, size);
    rc = flow_extract(pkt, size, 1, &flow, &info);
    check(&flow, &info, size, rc);

    size_t frame_len = size + (size ? data[0] : 0);
    rc = flow_extract_prefix(pkt, size, frame_len, 2, &flow, &info);
    check(&flow, &info, size, rc);
    free(pkt);
    return 0;
}
