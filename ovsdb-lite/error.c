/* SPDX-License-Identifier: Apache-2.0 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include "util.h"

int
ovsdb_error_set(struct ovsdb_error *err, int code, const char *tag,
                const char *fmt, ...)
{
    if (err && !err->tag) {
        va_list args;
        err->tag = tag;
        va_start(args, fmt);
        vsnprintf(err->details, sizeof err->details, fmt, args);
        va_end(args);
    }
    return code;
}

void
ovsdb_error_clear(struct ovsdb_error *err)
{
    if (err) {
        err->tag = NULL;
        err->details[0] = '\0';
    }
}

json_object *
ovsdb_error_to_json(const struct ovsdb_error *err)
{
    json_object *obj = ovsdb_json_obj();
    ovsdb_json_add(obj, "error",
                   ovsdb_json_str(err->tag ? err->tag : OVSDB_E_SYNTAX));
    if (err->details[0]) {
        ovsdb_json_add(obj, "details", ovsdb_json_str(err->details));
    }
    return obj;
}
