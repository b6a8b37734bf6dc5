/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: ovs-ofctl flow lines (ofproto/ofp_parse.c).
 *
 * The input, as a NUL-terminated copy, is parsed in each mode (add,
 * modify, match).  Whatever parses must format, and the text must parse
 * again to an equal flow mod (parse(format(x)) == x); the error message of
 * a refused line must be one terminated line.  Any other outcome aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ofproto/ofp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Two port names, so that the resolver paths are exercised too. */
static int
resolve(void *aux, const char *name, uint32_t *port)
{
    (void) aux;
    if (!strcmp(name, "vm1") || !strcmp(name, "p2")) {
        *port = name[0] == 'v' ? 1 : 2;
        return 0;
    }
    return -1;
}

static void
check_one(const char *text, enum ofp_parse_mode mode,
          struct ofp_flow_mod *a, struct ofp_flow_mod *b, char *buf)
{
    char err[256];

    memset(err, 'x', sizeof err);
    if (ofp_flow_mod_parse(text, mode, resolve, NULL, a, err, sizeof err)) {
        if (!memchr(err, '\0', sizeof err) || strchr(err, '\n') || !err[0]) {
            abort();
        }
        return;
    }
    ofp_flow_mod_format(a, buf, OFP_FLOW_MOD_FORMAT_SIZE);
    if (!memchr(buf, '\0', OFP_FLOW_MOD_FORMAT_SIZE)
        || ofp_flow_mod_parse(buf, mode, resolve, NULL, b, err, sizeof err)
        || !ofp_flow_mod_equal(a, b)) {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum ofp_parse_mode modes[] = {
        OFP_PARSE_ADD, OFP_PARSE_MODIFY, OFP_PARSE_MATCH,
    };
    struct ofp_flow_mod *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    char *buf = malloc(OFP_FLOW_MOD_FORMAT_SIZE);
    char *text = malloc(size + 1);

    if (!a || !b || !buf || !text) {
        abort();
    }
    memcpy(text, data, size);
    text[size] = '\0';
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        check_one(text, modes[i], a, b, buf);
    }
    free(text);
    free(buf);
    free(b);
    free(a);
    return 0;
}
