/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-vsctl command line: global options, then commands joined by "--",
 * each with its own leading options (ovs-vsctl(8) syntax). */
#include "vsctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"

void
vsctl_usage(void)
{
    printf("rsw-vsctl: configure rsw-switchd through its database\n"
           "usage: rsw-vsctl [OPTIONS] COMMAND [ARG...] "
           "[-- [CMD-OPTIONS] COMMAND [ARG...]]...\n\n"
           "options:\n"
           "  --ctl SOCKET          the switch's control socket "
           "(default %s)\n"
           "  --format list|table|json  output of list/get "
           "(default list)\n"
           "  --timeout SECS        give up after SECS seconds "
           "(default: no limit)\n"
           "  --no-wait             do not wait for the switch to apply "
           "the change\n"
           "command options: --may-exist (add-br, add-port), "
           "--if-exists (del-br, del-port, get, remove)\n\ncommands:\n",
           CTL_DEFAULT_SOCKET);
    for (size_t i = 0; i < vsctl_n_commands; i++) {
        printf("  %s %s\n", vsctl_commands[i].name, vsctl_commands[i].usage);
    }
    printf("\nrecords: a name (Bridge, Port, Interface, VM), a UUID, or "
           "\".\" for the root row\n"
           "interface types: vhostuser (options:path=SOCK, the switch "
           "listens),\n"
           "  vhostuserclient (options:server-path=SOCK, the switch connects"
           " and reconnects),\n"
           "  dpdk (options:devargs=PCI address or vdev string, e.g. "
           "net_tap0,iface=tap0;\n"
           "  options:n_rxq, n_txq, n_rxq_desc, n_txq_desc, mtu_request)\n"
           "example: rsw-vsctl add-port br0 vhu1 -- set Interface vhu1 "
           "type=vhostuser options:path=/tmp/vhu1.sock\n");
}

const struct vsctl_command_syntax *
vsctl_find_command(const char *name)
{
    for (size_t i = 0; i < vsctl_n_commands; i++) {
        if (!strcmp(vsctl_commands[i].name, name)) {
            return &vsctl_commands[i];
        }
    }
    return NULL;
}

/* "--name VALUE" or "--name=VALUE": the value, advancing *i; NULL if
 * 'arg' is not option 'name'. */
static const char *
option_value(int argc, char *argv[], int *i, const char *name, bool *missing)
{
    size_t len = strlen(name);
    const char *arg = argv[*i];

    if (strncmp(arg, name, len) || (arg[len] && arg[len] != '=')) {
        return NULL;
    }
    if (arg[len] == '=') {
        return arg + len + 1;
    }
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

static int
set_format(struct vsctl_options *o, const char *v, char *err, size_t esz)
{
    if (!strcmp(v, "list") || !strcmp(v, "text")) {
        o->format = VSCTL_FORMAT_LIST;
    } else if (!strcmp(v, "table")) {
        o->format = VSCTL_FORMAT_TABLE;
    } else if (!strcmp(v, "json")) {
        o->format = VSCTL_FORMAT_JSON;
    } else {
        snprintf(err, esz, "--format must be list, table or json, not '%s'",
                 v);
        return -EINVAL;
    }
    return 0;
}

static int
set_timeout(struct vsctl_options *o, const char *v, char *err, size_t esz)
{
    char *end;
    long t = strtol(v, &end, 10);

    if (*end || end == v || t < 0 || t > 86400) {
        snprintf(err, esz, "--timeout must be a number of seconds "
                 "(0..86400), not '%s'", v);
        return -EINVAL;
    }
    o->timeout_s = (int) t;
    return 0;
}

/* One global option at argv[*i]: 0 handled, 1 not a global option. */
static int
parse_global(int argc, char *argv[], int *i, struct vsctl_options *o,
             char *err, size_t esz)
{
    bool missing = false;
    const char *v;

    if ((v = option_value(argc, argv, i, "--ctl", &missing))) {
        o->ctl = v;
        return 0;
    }
    if ((v = option_value(argc, argv, i, "--format", &missing))
        || (v = option_value(argc, argv, i, "-f", &missing))) {
        return set_format(o, v, err, esz);
    }
    if ((v = option_value(argc, argv, i, "--timeout", &missing))
        || (v = option_value(argc, argv, i, "-t", &missing))) {
        return set_timeout(o, v, err, esz);
    }
    if (missing) {
        snprintf(err, esz, "option %s needs a value", argv[*i]);
        return -EINVAL;
    }
    if (!strcmp(argv[*i], "--no-wait")) {
        o->no_wait = true;
        return 0;
    }
    return 1;
}

/* One command: [--may-exist|--if-exists]... NAME ARG... up to "--". */
static int
parse_command(int argc, char *argv[], int *i, struct vsctl_command *c,
              char *err, size_t esz)
{
    for (; *i < argc && !strncmp(argv[*i], "--", 2) && argv[*i][2]; (*i)++) {
        if (!strcmp(argv[*i], "--may-exist")) {
            c->may_exist = true;
        } else if (!strcmp(argv[*i], "--if-exists")) {
            c->if_exists = true;
        } else {
            snprintf(err, esz, "unknown option '%s' (see --help)", argv[*i]);
            return -EINVAL;
        }
    }
    if (*i >= argc || !strcmp(argv[*i], "--")) {
        snprintf(err, esz, "missing command name (see --help)");
        return -EINVAL;
    }
    c->syntax = vsctl_find_command(argv[*i]);
    if (!c->syntax) {
        snprintf(err, esz, "unknown command '%s' (see --help)", argv[*i]);
        return -EINVAL;
    }
    c->argv = &argv[++*i];
    while (*i < argc && strcmp(argv[*i], "--")) {
        (*i)++;
        c->argc++;
    }
    return 0;
}

static int
check_command(const struct vsctl_command *c, char *err, size_t esz)
{
    const struct vsctl_command_syntax *s = c->syntax;

    if (c->argc < s->min_args || (s->max_args >= 0 && c->argc > s->max_args)) {
        snprintf(err, esz, "'%s' takes %s arguments (usage: %s %s)", s->name,
                 c->argc < s->min_args ? "more" : "fewer", s->name, s->usage);
        return -EINVAL;
    }
    if ((c->may_exist && !strstr(s->options, "--may-exist"))
        || (c->if_exists && !strstr(s->options, "--if-exists"))) {
        snprintf(err, esz, "'%s' does not accept %s", s->name,
                 c->may_exist ? "--may-exist" : "--if-exists");
        return -EINVAL;
    }
    return 0;
}

int
vsctl_parse_args(int argc, char *argv[], struct vsctl_options *o,
                 char *err, size_t esz)
{
    int i = 1;

    memset(o, 0, sizeof *o);
    o->ctl = CTL_DEFAULT_SOCKET;
    for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            vsctl_usage();
            return 1;
        }
        int r = parse_global(argc, argv, &i, o, err, esz);
        if (r < 0) {
            return r;
        }
        if (r > 0) {
            break;              /* a command option: the first command's */
        }
    }
    o->cmds = calloc((size_t) argc, sizeof *o->cmds);
    if (!o->cmds) {
        return -ENOMEM;
    }
    while (i < argc) {
        if (!strcmp(argv[i], "--")) {
            i++;
            continue;           /* "--" separates (or leads) commands */
        }
        struct vsctl_command *c = &o->cmds[o->n_cmds++];
        int r = parse_command(argc, argv, &i, c, err, esz);
        r = r ? r : check_command(c, err, esz);
        if (r) {
            return r;
        }
    }
    if (!o->n_cmds) {
        snprintf(err, esz, "missing command (see --help)");
        return -EINVAL;
    }
    return 0;
}

void
vsctl_options_destroy(struct vsctl_options *o)
{
    free(o->cmds);
    o->cmds = NULL;
    o->n_cmds = 0;
}

/* End of a key: the first '=' outside double quotes. */
static const char *
key_end(const char *s)
{
    bool quoted = false;

    for (; *s; s++) {
        if (*s == '\\' && quoted && s[1]) {
            s++;
        } else if (*s == '"') {
            quoted = !quoted;
        } else if (*s == '=' && !quoted) {
            break;
        }
    }
    return s;
}

int
vsctl_parse_column_arg(const char *arg, int need_value,
                       struct vsctl_column_arg *ca, char *err, size_t esz)
{
    size_t n = strcspn(arg, ":=");
    const char *rest = arg + n;

    memset(ca, 0, sizeof *ca);
    if (!n) {
        snprintf(err, esz, "'%s': missing column name", arg);
        return -EINVAL;
    }
    ca->column = strndup(arg, n);
    if (*rest == ':') {
        const char *end = key_end(rest + 1);
        ca->key = strndup(rest + 1, (size_t) (end - rest - 1));
        rest = end;
        if (ca->key && !ca->key[0]) {
            snprintf(err, esz, "'%s': empty key after ':'", arg);
            goto err;
        }
    }
    if (*rest == '=') {
        ca->value = strdup(rest + 1);
    }
    if (need_value == 1 && !ca->value) {
        snprintf(err, esz, "'%s': expected COLUMN[:KEY]=VALUE", arg);
        goto err;
    }
    if (need_value == 0 && ca->value) {
        snprintf(err, esz, "'%s': expected COLUMN[:KEY] without a value",
                 arg);
        goto err;
    }
    if (!ca->column || (rest[0] == '=' && !ca->value)) {
        snprintf(err, esz, "out of memory");
        goto err;
    }
    return 0;

err:
    vsctl_column_arg_destroy(ca);
    return -EINVAL;
}

void
vsctl_column_arg_destroy(struct vsctl_column_arg *ca)
{
    free(ca->column);
    free(ca->key);
    free(ca->value);
    memset(ca, 0, sizeof *ca);
}
