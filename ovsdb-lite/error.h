/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OVSDB_ERROR_H
#define OVSDB_ERROR_H 1

/* RFC 7047 error objects.
 *
 * Functions return 0 or a negative errno; when the caller passes a
 * 'struct ovsdb_error', it also receives the RFC 7047 §3.1/§4.1.3 error
 * string ("constraint violation", "referential integrity violation", ...)
 * and a human-readable "details" text naming the table/column at fault. */

#include <json-c/json.h>
#include "vhost/compiler.h"

/* RFC 7047 error strings (§4.1.3 and the per-operation lists in §5.2). */
#define OVSDB_E_SYNTAX "syntax error"          /* OVS: malformed request */
#define OVSDB_E_CONSTRAINT "constraint violation"
#define OVSDB_E_REFINT "referential integrity violation"
#define OVSDB_E_RESOURCES "resources exhausted"
#define OVSDB_E_IO "I/O error"
#define OVSDB_E_DUP_NAME "duplicate uuid-name"
#define OVSDB_E_DOMAIN "domain error"
#define OVSDB_E_RANGE "range error"
#define OVSDB_E_TIMEDOUT "timed out"
#define OVSDB_E_NOT_SUPPORTED "not supported"
#define OVSDB_E_ABORTED "aborted"
#define OVSDB_E_UNKNOWN_DB "unknown database"

struct ovsdb_error {
    const char *tag;    /* one of OVSDB_E_*; NULL while no error is set */
    char details[512];  /* human-readable, truncated if longer */
};

/* Records 'tag' and the formatted details into 'err' (if non-NULL) and
 * returns 'code' (a negative errno) so callers can 'return ovsdb_error_set'.
 * An error already recorded is kept: the first failure is the cause. */
int ovsdb_error_set(struct ovsdb_error *err, int code, const char *tag,
                    const char *fmt, ...) RSW_PRINTF(4, 5);
void ovsdb_error_clear(struct ovsdb_error *);
/* {"error": tag, "details": details} */
json_object *ovsdb_error_to_json(const struct ovsdb_error *);

#endif
