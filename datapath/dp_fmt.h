/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_DP_FMT_H
#define RSW_DP_FMT_H 1

/* Bounded text building for the *_format() functions (flow keys, datapath
 * actions, OpenFlow matches, actions and flow mods): printf-style appends
 * into the caller's buffer, which always stays NUL-terminated; what does
 * not fit is cut, the truncation those functions document. */

#include <stdarg.h>
#include <stddef.h>
#include "vhost/compiler.h"

struct dp_fmt {
    char *buf;
    size_t size;
    size_t len;         /* characters appended so far, counting the ones
                           cut off (so len >= size means truncated) */
};

/* Starts empty text in 'buf' (nothing is written when 'size' is 0). */
static inline struct dp_fmt
dp_fmt_init(char *buf, size_t size)
{
    if (size) {
        buf[0] = '\0';
    }
    return (struct dp_fmt) {.buf = buf, .size = size, .len = 0};
}

void dp_fmt_put(struct dp_fmt *, const char *format, ...) RSW_PRINTF(2, 3);
void dp_fmt_vput(struct dp_fmt *, const char *format, va_list) RSW_PRINTF(2, 0);

#endif
