/* SPDX-License-Identifier: Apache-2.0 */
/* Strict value parsers for flow and action text (see dp_parse.h). */
#include "dp_parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
dp_parse_uint(const char *s, size_t len, uint32_t max, uint32_t *out)
{
    char tmp[16], *end;
    unsigned long v;

    if (!len || len >= sizeof tmp || s[0] < '0' || s[0] > '9') {
        return false;
    }
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    errno = 0;
    v = strtoul(tmp, &end, 0);
    if (errno || *end || v > max) {
        return false;
    }
    *out = (uint32_t) v;
    return true;
}

bool
dp_parse_mac(const char *s, size_t len, uint8_t mac[6])
{
    unsigned b[6];
    char tmp[18];
    int n = 0;

    if (len != 17) {
        return false;
    }
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (sscanf(tmp, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3],
               &b[4], &b[5], &n) != 6 || n != 17) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        mac[i] = (uint8_t) b[i];
    }
    return true;
}

bool
dp_parse_ipv4(const char *s, size_t len, uint32_t *addr)
{
    char tmp[16];
    struct in_addr in;

    if (!len || len >= sizeof tmp) {
        return false;
    }
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (inet_pton(AF_INET, tmp, &in) != 1) {
        return false;
    }
    *addr = in.s_addr;
    return true;
}
