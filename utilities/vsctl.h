/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VSCTL_H
#define RSW_VSCTL_H 1

/* rsw-vsctl: configures rsw-switchd through its database, as ovs-vsctl
 * does Open vSwitch's (RFC 7047 "transact" on the switch's control
 * socket, then a wait until the switch has applied it).
 *
 *   vsctl_parse.c   the command line: global options, commands joined by
 *                   "--", per-command options, COLUMN[:KEY][=VALUE]
 *   vsctl_value.c   values as users write them <-> RFC 7047 JSON, typed
 *                   by the schema
 *   vsctl_cmds.c    what each command reads and the operations it adds
 *   vsctl_output.c  show, list/get rendering (list, table, json formats)
 *   vsctl_db.c      the connection, a local replica of the rows, commit
 *                   and the wait for cur_cfg
 *
 * Commands run against a local replica of the database, in order, each
 * seeing the effect of the ones before; their RFC 7047 operations are
 * collected into one transaction that is sent at the end (together with
 * a next_cfg increment when anything changes).  Errors are one line in a
 * caller-supplied buffer; functions return 0 or a negative errno. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "ovsdb-lite/ovsdb.h"
#include "vhost/compiler.h"

#define VSCTL_MAX_ARGS 64
#define VSCTL_ERR_SIZE 512

enum vsctl_format {
    VSCTL_FORMAT_LIST,          /* "key : value" records (the default) */
    VSCTL_FORMAT_TABLE,         /* columns with headings */
    VSCTL_FORMAT_JSON,          /* {"headings": [...], "data": [[...]]} */
};

/* One command of the command line. */
struct vsctl_command {
    const struct vsctl_command_syntax *syntax;
    bool may_exist, if_exists;
    int argc;                   /* arguments after the command name */
    char **argv;                /* borrowed from the process argv */
};

/* Global options and the commands. */
struct vsctl_options {
    const char *ctl;
    enum vsctl_format format;
    int timeout_s;              /* 0: no limit */
    bool no_wait;
    struct vsctl_command *cmds;
    size_t n_cmds;
};

struct vsctl_ctx;

struct vsctl_command_syntax {
    const char *name;
    int min_args, max_args;     /* max -1: unlimited */
    const char *usage;
    const char *options;        /* allowed: "--may-exist", "--if-exists" */
    bool writes;                /* changes the database */
    int (*run)(struct vsctl_ctx *, const struct vsctl_command *);
};

/* ---- vsctl_parse.c ---- */

/* Every command rsw-vsctl knows (vsctl_cmds.c). */
extern const struct vsctl_command_syntax vsctl_commands[];
extern const size_t vsctl_n_commands;
const struct vsctl_command_syntax *vsctl_find_command(const char *name);

/* Parses argv (argv[0] is the program).  Returns 0, 1 when --help was
 * shown, or -EINVAL with 'err' set.  opts->cmds must be freed with
 * vsctl_options_destroy(). */
int vsctl_parse_args(int argc, char *argv[], struct vsctl_options *,
                     char *err, size_t err_size) RSW_MUST_CHECK;
void vsctl_options_destroy(struct vsctl_options *);
void vsctl_usage(void);

/* "COLUMN[:KEY][=VALUE]": splits into malloc'd parts (key/value NULL
 * when absent).  'need_value': "=VALUE" is required (set), forbidden
 * (get, clear) or, with -1, optional. */
struct vsctl_column_arg {
    char *column, *key, *value;
};
int vsctl_parse_column_arg(const char *arg, int need_value,
                           struct vsctl_column_arg *, char *err,
                           size_t err_size) RSW_MUST_CHECK;
void vsctl_column_arg_destroy(struct vsctl_column_arg *);

/* ---- vsctl_value.c ---- */

/* Parses an atom of 'base' as users write it: integers, reals,
 * true/false, UUIDs, strings bare or in double quotes (JSON escapes).
 * '*out' is its RFC 7047 JSON (["uuid", ...] for UUIDs). */
int vsctl_parse_atom(const struct ovsdb_base_type *, const char *text,
                     json_object **out, char *err, size_t err_size)
    RSW_MUST_CHECK;
/* A whole column value: "a,b", "[a, b]", "{k=v, k2=v2}", "[]", "{}" or a
 * single atom; returns RFC 7047 JSON checked against 'type' (size range,
 * enums, ranges). */
int vsctl_parse_datum(const struct ovsdb_type *, const char *text,
                      json_object **out, char *err, size_t err_size)
    RSW_MUST_CHECK;
/* Elements for add/remove: like vsctl_parse_datum but without the size
 * check, and for maps 'keys_only' accepts bare keys (remove). */
int vsctl_parse_elements(const struct ovsdb_type *, const char *text,
                         bool keys_only, json_object **out, char *err,
                         size_t err_size) RSW_MUST_CHECK;
/* Formats a datum the way vsctl_parse_datum reads it back: sets in
 * [ ], maps in { }, strings quoted only when needed. */
char *vsctl_format_datum(const struct ovsdb_datum *, const struct ovsdb_type *);
char *vsctl_format_atom(const union ovsdb_atom *, enum ovsdb_atomic_type);

/* ---- vsctl_db.c ---- */

struct vsctl_ctx {
    const struct vsctl_options *opts;
    struct ovsdb_schema *schema;
    json_object *base;          /* rows as fetched: {"T": {"uuid": row}} */
    struct ovsdb_db *db;        /* replica: base + ops so far */
    json_object *ops;           /* [db-name, op, ...] to send */
    json_object *symbols;       /* replica UUID -> uuid-name of rows the
                                 * transaction inserts */
    bool changed;               /* a command wrote something */
    int n_symbols;              /* for unique uuid-names */
    char *err;                  /* VSCTL_ERR_SIZE bytes */
    /* Output of read commands, printed after the commit. */
    char *out;
    size_t out_len, out_cap;
};

/* Runs 'ops' (a JSON array of operations, taken over) on the replica as
 * one transaction, so later commands see the effect, and appends them
 * to the transaction to send.  A failure is the command's error, taken
 * from the operation's result ("constraint violation: ..."). */
int vsctl_ctx_apply(struct vsctl_ctx *, json_object *ops) RSW_MUST_CHECK;
/* A fresh name for an "insert" uuid-name. */
const char *vsctl_ctx_symbol(struct vsctl_ctx *, char buf[32]);
/* Appends printf-formatted output. */
void vsctl_out(struct vsctl_ctx *, const char *fmt, ...) RSW_PRINTF(2, 3);
/* Sets the one-line error and returns 'code'. */
int vsctl_fail(struct vsctl_ctx *, int code, const char *fmt, ...)
    RSW_PRINTF(3, 4);

/* Runs everything: connect, fetch, commands, commit, wait.  Returns the
 * process exit status (0 or 1) after printing output or the error. */
int vsctl_run(const struct vsctl_options *);

/* Builds a replica from 'schema' and rows ({"T": {"uuid": row}} with
 * any columns); for vsctl_run() and tests. */
int vsctl_ctx_init(struct vsctl_ctx *, const struct vsctl_options *,
                   struct ovsdb_schema *, json_object *rows)
    RSW_MUST_CHECK;
void vsctl_ctx_destroy(struct vsctl_ctx *);
/* Runs every command of the options against the context. */
int vsctl_run_commands(struct vsctl_ctx *) RSW_MUST_CHECK;

/* ---- vsctl_cmds.c: record lookup ---- */

/* Finds a record of table 'ts' named 'name' (its "name" column, "." for
 * the root singleton) or by UUID.  NULL with ctx->err set if none (or
 * several) match; with 'quiet' no error is set. */
const struct ovsdb_row *vsctl_find_record(struct vsctl_ctx *,
                                          const struct ovsdb_table_schema *,
                                          const char *name, bool quiet);
/* Table by name (case-insensitive, unique prefix accepted), else NULL
 * with ctx->err set. */
const struct ovsdb_table_schema *vsctl_find_table(struct vsctl_ctx *,
                                                  const char *name);

/* ---- vsctl_output.c ---- */

void vsctl_output_show(struct vsctl_ctx *);
/* Prints rows of 'ts' ('rows' NULL-terminated) with 'columns' (NULL: all
 * but _version) in the chosen format. */
void vsctl_output_rows(struct vsctl_ctx *, const struct ovsdb_table_schema *,
                       const struct ovsdb_row *const *rows, size_t n_rows,
                       const char *const *columns, size_t n_columns);

#endif
