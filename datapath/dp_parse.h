/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_DP_PARSE_H
#define RSW_DP_PARSE_H 1

/* Strict parsers for the values of flow and action text (the rule table's
 * ovs-ofctl syntax and the datapath actions' text form).  Each takes a
 * token [s, s+len) that need not be NUL-terminated and accepts it whole or
 * not at all. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decimal, or hex with 0x, starting with a digit (no sign, no blanks),
 * <= max. */
bool dp_parse_uint(const char *s, size_t len, uint32_t max, uint32_t *out);
/* xx:xx:xx:xx:xx:xx */
bool dp_parse_mac(const char *s, size_t len, uint8_t mac[6]);
/* Dotted quad; *addr in network byte order. */
bool dp_parse_ipv4(const char *s, size_t len, uint32_t *addr);

#endif
