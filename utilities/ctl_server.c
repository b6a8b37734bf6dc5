/* SPDX-License-Identifier: Apache-2.0 */
#include "ctl_server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_MAX_PARAMS 32

char *
ctl_errorf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) {
        s = NULL;
    }
    va_end(ap);
    return s;
}

static const struct ctl_method *
find_method(const struct ctl_method *methods, unsigned n, const char *name)
{
    for (unsigned i = 0; i < n; i++) {
        if (!strcmp(methods[i].name, name)) {
            return &methods[i];
        }
    }
    return NULL;
}

/* The params array as argv (borrowed strings). */
static int
params_to_argv(json_object *params, const char *argv[], int *argc,
               char **error)
{
    size_t n = params && json_object_is_type(params, json_type_array)
               ? json_object_array_length(params) : 0;

    *argc = 0;
    if (params && !json_object_is_type(params, json_type_array)) {
        *error = ctl_errorf("params must be an array");
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *a = json_object_array_get_idx(params, i);
        if (!json_object_is_type(a, json_type_string)
            || *argc >= CTL_MAX_PARAMS) {
            *error = ctl_errorf("params must be at most %d strings",
                                CTL_MAX_PARAMS);
            return -EINVAL;
        }
        argv[(*argc)++] = json_object_get_string(a);
    }
    argv[*argc] = NULL;
    return 0;
}

int
ctl_server_call(const struct ctl_method *methods, unsigned n_methods,
                void *aux, const char *method, json_object *params,
                json_object **result, char **error)
{
    const char *argv[CTL_MAX_PARAMS + 1];
    const struct ctl_method *m = find_method(methods, n_methods, method);
    int argc, err;

    *result = NULL;
    *error = NULL;
    if (!m) {
        *error = ctl_errorf("unknown command '%s'; use list-commands",
                            method);
        return -ENOENT;
    }
    err = params_to_argv(params, argv, &argc, error);
    if (err) {
        return err;
    }
    if (argc < m->min_args || argc > m->max_args) {
        *error = ctl_errorf("%s: wrong number of arguments (usage: %s %s)",
                            m->name, m->name, m->usage);
        return -EINVAL;
    }
    err = m->fn(aux, argc, argv, result, error);
    if (err && !*error) {
        *error = ctl_errorf("%s failed", m->name);
    }
    if (err) {
        json_object_put(*result);
        *result = NULL;
    }
    return err;
}
