/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded text building (see dp_fmt.h). */
#include "dp_fmt.h"

#include <stdio.h>

void
dp_fmt_vput(struct dp_fmt *f, const char *format, va_list args)
{
    size_t avail = f->len < f->size ? f->size - f->len : 0;
    int n = vsnprintf(avail ? f->buf + f->len : NULL, avail, format, args);

    if (n > 0) {
        f->len += (size_t) n;
    }
}

void
dp_fmt_put(struct dp_fmt *f, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    dp_fmt_vput(f, format, args);
    va_end(args);
}
