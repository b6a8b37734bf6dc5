/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-ofctl: the OpenFlow tables and ports of rsw-switchd's bridges, with
 * ovs-ofctl(8)'s commands, flow syntax and output.
 *
 * add-flows / replace-flows read FILE here ("-": standard input) and send
 * its text: the switch parses every line before changing anything.
 * "--strict" may stand before the command, as ovs-ofctl has it, or after
 * its arguments; it travels as the last argument. */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl_client.h"

#define STRICT_OPT "--strict"
#define FLOWS_FILE_MAX (16u << 20)   /* the control socket's message limit */

static char *flows_text;            /* add-flows/replace-flows FILE */

static void
free_flows_text(void)
{
    free(flows_text);
    flows_text = NULL;
}

static int
read_stream(FILE *f, char **out, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);

    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (ferror(f)) {
            free(buf);
            return -EIO;
        }
        if (feof(f)) {
            buf[n] = '\0';
            *out = buf;
            *len = n;
            return 0;
        }
        if (cap >= FLOWS_FILE_MAX) {
            free(buf);
            return -EFBIG;
        }
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
        }
        buf = bigger;
        cap *= 2;
    }
    return -ENOMEM;
}

/* argv[1] FILE -> its text. */
static const char *
rewrite_flows_file(int *argc, const char **argv)
{
    static char msg[512];
    size_t len;
    FILE *f;
    int err;

    if (*argc != 2) {
        return NULL;                /* the argument count check says it */
    }
    f = strcmp(argv[1], "-") ? fopen(argv[1], "r") : stdin;
    if (!f) {
        snprintf(msg, sizeof msg, "cannot open %s: %s", argv[1],
                 strerror(errno));
        return msg;
    }
    err = read_stream(f, &flows_text, &len);
    if (f != stdin) {
        fclose(f);
    }
    if (!err && strlen(flows_text) != len) {
        free_flows_text();
        err = -EILSEQ;
    }
    if (err) {
        snprintf(msg, sizeof msg, "cannot read %s: %s", argv[1],
                 err == -EFBIG ? "larger than 16 MiB"
                 : err == -EILSEQ ? "it contains a NUL byte (not text)"
                 : strerror(-err));
        return msg;
    }
    atexit(free_flows_text);
    argv[1] = flows_text;
    return NULL;
}

static const char *
str_of(struct json_object *o, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(o, key, &v) && v
           ? json_object_get_string(v) : "";
}

static unsigned long long
u64_of(struct json_object *o, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(o, key, &v) && v
           ? (unsigned long long) json_object_get_uint64(v) : 0;
}

/* ovs-ofctl dump-flows: one line per flow. */
static void
render_flows(struct json_object *r)
{
    for (size_t i = 0; i < json_object_array_length(r); i++) {
        printf("%s\n", str_of(json_object_array_get_idx(r, i), "text"));
    }
}

static void
render_tables(struct json_object *r)
{
    for (size_t i = 0; i < json_object_array_length(r); i++) {
        struct json_object *t = json_object_array_get_idx(r, i);
        printf("  table %llu: active=%llu, lookup=%llu, matched=%llu\n",
               u64_of(t, "table"), u64_of(t, "active"), u64_of(t, "lookup"),
               u64_of(t, "matched"));
    }
}

/* ovs-ofctl show: the bridge, then " OFPORT(NAME): ..." per port. */
static void
render_show(struct json_object *r)
{
    struct json_object *ports;

    printf("%s: n_tables:%llu, n_flows:%llu\n", str_of(r, "bridge"),
           u64_of(r, "n_tables"), u64_of(r, "n_flows"));
    if (!json_object_object_get_ex(r, "ports", &ports)) {
        return;
    }
    for (size_t i = 0; i < json_object_array_length(ports); i++) {
        struct json_object *p = json_object_array_get_idx(ports, i);
        printf(" %llu(%s): type:%s\n", u64_of(p, "ofport"), str_of(p, "name"),
               str_of(p, "type"));
        printf("     state:      %s\n", str_of(p, "state"));
        printf("     status:     %s\n", str_of(p, "status"));
    }
}

static const struct ctl_client_cmd ofctl_cmds[] = {
    {.name = "add-flow", .min_args = 2, .max_args = 2, .usage = "BR FLOW"},
    {.name = "add-flows", .min_args = 2, .max_args = 2,
     .usage = "BR FILE   (one flow per line; - reads stdin)",
     .rewrite = rewrite_flows_file},
    {.name = "mod-flows", .min_args = 2, .max_args = 3,
     .usage = "BR FLOW [--strict]"},
    {.name = "del-flows", .min_args = 1, .max_args = 3,
     .usage = "BR [MATCH] [--strict]"},
    {.name = "replace-flows", .min_args = 2, .max_args = 2,
     .usage = "BR FILE", .rewrite = rewrite_flows_file},
    {.name = "dump-flows", .min_args = 1, .max_args = 2,
     .usage = "BR [MATCH]", .render = render_flows},
    {.name = "dump-tables", .min_args = 1, .max_args = 1, .usage = "BR",
     .render = render_tables},
    {.name = "show", .min_args = 1, .max_args = 1, .usage = "BR",
     .render = render_show},
    {.name = "dump-ports", .min_args = 1, .max_args = 2, .usage = "BR [PORT]"},
};

int
main(int argc, char *argv[])
{
    static const struct ctl_client_tool tool = {
        .prog = "rsw-ofctl",
        .summary = "manage the OpenFlow tables of rsw-switchd bridges "
                   "(ovs-ofctl flow syntax)",
        .cmds = ofctl_cmds,
        .n_cmds = RSW_ARRAY_SIZE(ofctl_cmds),
    };
    char **args = calloc((size_t) argc + 2, sizeof *args);
    int n = 0, rc;
    bool strict = false;

    if (!args) {
        fprintf(stderr, "rsw-ofctl: out of memory\n");
        return 1;
    }
    for (int i = 0; i < argc; i++) {
        if (i && !strcmp(argv[i], STRICT_OPT)) {
            strict = true;
        } else {
            args[n++] = argv[i];
        }
    }
    if (strict) {
        args[n++] = (char *) STRICT_OPT;
    }
    rc = ctl_client_main(&tool, n, args);
    free(args);
    return rc;
}
