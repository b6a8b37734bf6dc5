/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-vsctl and the database: the connection, the local replica the
 * commands run against, the commit and the wait for the switch. */
#include "vsctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb-lite/jsonrpc.h"
#include "ovsdb-lite/util.h"

#define DB_NAME(ctx) ((ctx)->schema->name)

int
vsctl_fail(struct vsctl_ctx *ctx, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ctx->err, VSCTL_ERR_SIZE, fmt, ap);
    va_end(ap);
    return code;
}

void
vsctl_out(struct vsctl_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        ovsdb_oom();
    }
    if (ctx->out_len + (size_t) n + 1 > ctx->out_cap) {
        ctx->out_cap = (ctx->out_len + (size_t) n + 1) * 2;
        ctx->out = ovsdb_xrealloc(ctx->out, ctx->out_cap);
    }
    memcpy(ctx->out + ctx->out_len, s, (size_t) n + 1);
    ctx->out_len += (size_t) n;
    free(s);
}

const char *
vsctl_ctx_symbol(struct vsctl_ctx *ctx, char buf[32])
{
    snprintf(buf, 32, "row%d", ++ctx->n_symbols);
    return buf;
}

/* "error: details" of the first error in a transact result. */
static void
txn_error(json_object *results, char *buf, size_t size)
{
    snprintf(buf, size, "transaction failed");
    for (size_t i = 0; i < ovsdb_json_len(results); i++) {
        json_object *r = ovsdb_json_idx(results, i), *e, *d;
        if (json_object_object_get_ex(r, "error", &e) && e) {
            bool has_d = json_object_object_get_ex(r, "details", &d) && d;
            snprintf(buf, size, "%s%s%s", json_object_get_string(e),
                     has_d ? ": " : "", has_d ? json_object_get_string(d)
                                              : "");
            return;
        }
    }
}

/* ---- Replica ------------------------------------------------------- */

int
vsctl_ctx_init(struct vsctl_ctx *ctx, const struct vsctl_options *opts,
               struct ovsdb_schema *schema, json_object *rows)
{
    struct ovsdb_error oerr = {0};

    memset(ctx, 0, sizeof *ctx);
    ctx->opts = opts;
    ctx->schema = schema;
    ctx->err = ovsdb_xzalloc(VSCTL_ERR_SIZE);
    ctx->db = ovsdb_db_create(schema);
    ctx->ops = ovsdb_json_arr();
    ctx->symbols = ovsdb_json_obj();
    ovsdb_json_push(ctx->ops, ovsdb_json_str(schema->name));
    if (ovsdb_db_load_rows(ctx->db, rows, &oerr)) {
        return vsctl_fail(ctx, -EPROTO, "the switch sent rows that do not "
                          "fit its schema: %s", oerr.details);
    }
    return 0;
}

void
vsctl_ctx_destroy(struct vsctl_ctx *ctx)
{
    ovsdb_db_destroy(ctx->db);
    json_object_put(ctx->ops);
    json_object_put(ctx->symbols);
    free(ctx->err);
    free(ctx->out);
    memset(ctx, 0, sizeof *ctx);
}

/* Rows inserted by an earlier command exist in the replica under a local
 * UUID; the server only knows them by their uuid-name. */
static void
translate_uuids(struct vsctl_ctx *ctx, json_object *j)
{
    json_object *name;

    if (json_object_is_type(j, json_type_object)) {
        json_object_object_foreach(j, k, v) {
            (void) k;
            translate_uuids(ctx, v);
        }
        return;
    }
    if (!json_object_is_type(j, json_type_array)) {
        return;
    }
    if (json_object_array_length(j) == 2
        && json_object_is_type(ovsdb_json_idx(j, 0), json_type_string)
        && !strcmp(json_object_get_string(ovsdb_json_idx(j, 0)), "uuid")
        && json_object_object_get_ex(
            ctx->symbols, json_object_get_string(ovsdb_json_idx(j, 1)),
            &name)) {
        json_object_array_put_idx(j, 0, ovsdb_json_str("named-uuid"));
        json_object_array_put_idx(j, 1, json_object_get(name));
        return;
    }
    for (size_t i = 0; i < json_object_array_length(j); i++) {
        translate_uuids(ctx, ovsdb_json_idx(j, i));
    }
}

/* Remembers the local UUID of every row 'ops' inserted with a name. */
static void
note_symbols(struct vsctl_ctx *ctx, json_object *params, json_object *results)
{
    for (size_t i = 1; i < ovsdb_json_len(params); i++) {
        json_object *op = ovsdb_json_idx(params, i), *name, *uuid;
        json_object *res = ovsdb_json_idx(results, i - 1);
        if (json_object_object_get_ex(op, "uuid-name", &name)
            && json_object_object_get_ex(res, "uuid", &uuid)) {
            ovsdb_json_add(ctx->symbols,
                           json_object_get_string(ovsdb_json_idx(uuid, 1)),
                           json_object_get(name));
        }
    }
}

int
vsctl_ctx_apply(struct vsctl_ctx *ctx, json_object *ops)
{
    json_object *params = ovsdb_json_arr(), *results = NULL;
    int rc;

    ovsdb_json_push(params, ovsdb_json_str(DB_NAME(ctx)));
    for (size_t i = 0; i < ovsdb_json_len(ops); i++) {
        ovsdb_json_push(params, json_object_get(ovsdb_json_idx(ops, i)));
    }
    rc = ovsdb_txn_run(ctx->db, params, &results);
    if (rc) {
        char msg[VSCTL_ERR_SIZE];
        txn_error(results, msg, sizeof msg);
        rc = vsctl_fail(ctx, rc, "%s", msg);
    } else {
        /* Translate with the names known before this command's inserts:
         * its own references are named-uuids already. */
        for (size_t i = 0; i < ovsdb_json_len(ops); i++) {
            json_object *op = ovsdb_json_idx(ops, i);
            translate_uuids(ctx, op);
            ovsdb_json_push(ctx->ops, json_object_get(op));
        }
        note_symbols(ctx, params, results);
        ctx->changed = true;
    }
    json_object_put(results);
    json_object_put(params);
    json_object_put(ops);
    return rc;
}

int
vsctl_run_commands(struct vsctl_ctx *ctx)
{
    const struct vsctl_options *o = ctx->opts;

    for (size_t i = 0; i < o->n_cmds; i++) {
        const struct vsctl_command *c = &o->cmds[i];
        int rc = c->syntax->run(ctx, c);
        if (rc) {
            if (!ctx->err[0]) {
                vsctl_fail(ctx, rc, "%s failed", c->syntax->name);
            }
            return rc;
        }
    }
    return 0;
}

/* ---- Talking to the switch ----------------------------------------- */

struct vsctl_conn {
    struct jsonrpc *rpc;
    int64_t deadline;           /* ms, INT64_MAX: none */
    int next_id;
};

static int
remaining_ms(const struct vsctl_conn *c)
{
    int64_t left;

    if (c->deadline == INT64_MAX) {
        return -1;
    }
    left = c->deadline - jsonrpc_time_msec();
    return left > 0 ? (int) left : 0;
}

/* One request; '*result' is the reply's result (caller frees). */
static int
call(struct vsctl_conn *c, const char *method, json_object *params,
     json_object **result, char *err, size_t esz)
{
    json_object *id = json_object_new_int(++c->next_id);
    int rc = jsonrpc_send_block(c->rpc, jsonrpc_create_request(
                                    method, params, json_object_get(id)),
                                remaining_ms(c));

    *result = NULL;
    while (!rc) {
        json_object *msg = NULL, *mid, *r, *e;
        rc = jsonrpc_recv_block(c->rpc, &msg, remaining_ms(c));
        if (rc || !json_object_object_get_ex(msg, "id", &mid)
            || !json_object_equal(mid, id)) {
            json_object_put(msg);
            continue;           /* a notification, or an error below */
        }
        if (json_object_object_get_ex(msg, "error", &e) && e) {
            snprintf(err, esz, "%s: %s", method,
                     json_object_to_json_string(e));
            rc = -EPROTO;
        } else if (json_object_object_get_ex(msg, "result", &r)) {
            *result = json_object_get(r);
        }
        json_object_put(msg);
        break;
    }
    json_object_put(id);
    if (rc == -ETIMEDOUT) {
        snprintf(err, esz, "timed out waiting for the switch (--timeout)");
    } else if (rc && rc != -EPROTO) {
        snprintf(err, esz, "%s: connection to the switch lost: %s", method,
                 strerror(-rc));
    }
    return rc;
}

/* get_schema, then every row of every table. */
static int
fetch(struct vsctl_conn *c, struct ovsdb_schema **schema, json_object **rows,
      char *err, size_t esz)
{
    json_object *params = ovsdb_json_arr(), *sj = NULL, *res = NULL;
    struct ovsdb_error oerr = {0};

    ovsdb_json_push(params, ovsdb_json_str("Ringswitch"));
    int rc = call(c, "get_schema", params, &sj, err, esz);
    if (!rc && ovsdb_schema_from_json(sj, schema, &oerr)) {
        snprintf(err, esz, "the switch's schema is invalid: %.400s",
                 oerr.details);
        rc = -EPROTO;
    }
    json_object_put(sj);
    if (rc) {
        return rc;
    }
    params = ovsdb_json_arr();
    ovsdb_json_push(params, ovsdb_json_str((*schema)->name));
    for (unsigned i = 0; i < (*schema)->n_tables; i++) {
        json_object *op = ovsdb_json_obj();
        ovsdb_json_add(op, "op", ovsdb_json_str("select"));
        ovsdb_json_add(op, "table", ovsdb_json_str((*schema)->tables[i].name));
        ovsdb_json_add(op, "where", ovsdb_json_arr());
        ovsdb_json_push(params, op);
    }
    rc = call(c, "transact", params, &res, err, esz);
    *rows = ovsdb_json_obj();
    for (unsigned i = 0; !rc && i < (*schema)->n_tables; i++) {
        json_object *tj = ovsdb_json_obj(), *rj = NULL;
        json_object_object_get_ex(ovsdb_json_idx(res, i), "rows", &rj);
        for (size_t k = 0; k < ovsdb_json_len(rj); k++) {
            json_object *row = json_object_get(ovsdb_json_idx(rj, k)), *u;
            if (json_object_object_get_ex(row, "_uuid", &u)) {
                const char *us = json_object_get_string(ovsdb_json_idx(u, 1));
                ovsdb_json_add(tj, us ? us : "", row);
                json_object_object_del(row, "_version");
                json_object_object_del(row, "_uuid");
            } else {
                json_object_put(row);
            }
        }
        ovsdb_json_add(*rows, (*schema)->tables[i].name, tj);
    }
    json_object_put(res);
    return rc;
}

/* Adds the next_cfg increment (and reads it back) to the transaction. */
static void
add_next_cfg(struct vsctl_ctx *ctx)
{
    json_object *inc = ovsdb_json_obj(), *sel = ovsdb_json_obj();
    json_object *muts = ovsdb_json_arr(), *m = ovsdb_json_arr();
    json_object *cols = ovsdb_json_arr();

    ovsdb_json_push(m, ovsdb_json_str("next_cfg"));
    ovsdb_json_push(m, ovsdb_json_str("+="));
    ovsdb_json_push(m, ovsdb_json_int(1));
    ovsdb_json_push(muts, m);
    ovsdb_json_add(inc, "op", ovsdb_json_str("mutate"));
    ovsdb_json_add(inc, "table", ovsdb_json_str(DB_NAME(ctx)));
    ovsdb_json_add(inc, "where", ovsdb_json_arr());
    ovsdb_json_add(inc, "mutations", muts);
    ovsdb_json_push(ctx->ops, inc);
    ovsdb_json_push(cols, ovsdb_json_str("next_cfg"));
    ovsdb_json_add(sel, "op", ovsdb_json_str("select"));
    ovsdb_json_add(sel, "table", ovsdb_json_str(DB_NAME(ctx)));
    ovsdb_json_add(sel, "where", ovsdb_json_arr());
    ovsdb_json_add(sel, "columns", cols);
    ovsdb_json_push(ctx->ops, sel);
}

/* Sends the transaction; '*next_cfg' gets the value it set. */
static int
commit(struct vsctl_conn *c, struct vsctl_ctx *ctx, int64_t *next_cfg)
{
    json_object *res = NULL, *rows, *v;
    size_t n_ops = ovsdb_json_len(ctx->ops) - 1;
    int rc;

    add_next_cfg(ctx);
    rc = call(c, "transact", json_object_get(ctx->ops), &res, ctx->err,
              VSCTL_ERR_SIZE);
    if (!rc && ovsdb_json_len(res) != n_ops + 2) {
        char msg[VSCTL_ERR_SIZE];
        txn_error(res, msg, sizeof msg);
        rc = vsctl_fail(ctx, -EPROTO, "the switch refused the change: %s",
                        msg);
    }
    if (!rc) {
        json_object *sel = ovsdb_json_idx(res, n_ops + 1);
        if (json_object_object_get_ex(sel, "rows", &rows)
            && json_object_object_get_ex(ovsdb_json_idx(rows, 0), "next_cfg",
                                         &v)) {
            *next_cfg = json_object_get_int64(v);
        } else {
            char msg[VSCTL_ERR_SIZE];
            txn_error(res, msg, sizeof msg);
            rc = vsctl_fail(ctx, -EPROTO, "the switch refused the change: "
                            "%s", msg);
        }
    }
    json_object_put(res);
    return rc;
}

/* RFC 7047 §5.2.6: blocks in the server until cur_cfg >= next_cfg, i.e.
 * until the rows with cur_cfg >= N are no longer none. */
static int
wait_applied(struct vsctl_conn *c, struct vsctl_ctx *ctx, int64_t next_cfg)
{
    json_object *params = ovsdb_json_arr(), *op = ovsdb_json_obj();
    json_object *where = ovsdb_json_arr(), *cond = ovsdb_json_arr();
    json_object *cols = ovsdb_json_arr(), *res = NULL;

    ovsdb_json_push(cond, ovsdb_json_str("cur_cfg"));
    ovsdb_json_push(cond, ovsdb_json_str(">="));
    ovsdb_json_push(cond, ovsdb_json_int(next_cfg));
    ovsdb_json_push(where, cond);
    ovsdb_json_push(cols, ovsdb_json_str("cur_cfg"));
    ovsdb_json_add(op, "op", ovsdb_json_str("wait"));
    ovsdb_json_add(op, "table", ovsdb_json_str(DB_NAME(ctx)));
    ovsdb_json_add(op, "where", where);
    ovsdb_json_add(op, "columns", cols);
    ovsdb_json_add(op, "until", ovsdb_json_str("!="));
    ovsdb_json_add(op, "rows", ovsdb_json_arr());
    ovsdb_json_push(params, ovsdb_json_str(DB_NAME(ctx)));
    ovsdb_json_push(params, op);
    int rc = call(c, "transact", params, &res, ctx->err, VSCTL_ERR_SIZE);
    json_object_put(res);
    return rc;
}

static int
connect_switch(const struct vsctl_options *o, struct vsctl_conn *c,
               char *err, size_t esz)
{
    int rc = jsonrpc_connect_unix(o->ctl, &c->rpc);

    c->deadline = o->timeout_s ? jsonrpc_time_msec() + o->timeout_s * 1000LL
                               : INT64_MAX;
    if (rc) {
        snprintf(err, esz, "cannot connect to %s: %s (is rsw-switchd "
                 "running? --ctl names its socket)", o->ctl, strerror(-rc));
    }
    return rc;
}

static int
run_session(const struct vsctl_options *o, struct vsctl_conn *c,
            struct vsctl_ctx *ctx, char *err, size_t esz)
{
    struct ovsdb_schema *schema = NULL;
    json_object *rows = NULL;
    int64_t next_cfg = 0;
    int rc = fetch(c, &schema, &rows, err, esz);

    if (rc) {
        ovsdb_schema_destroy(schema);
        json_object_put(rows);
        return rc;
    }
    rc = vsctl_ctx_init(ctx, o, schema, rows);
    json_object_put(rows);
    rc = rc ? rc : vsctl_run_commands(ctx);
    if (!rc && ctx->changed) {
        rc = commit(c, ctx, &next_cfg);
        if (!rc && !o->no_wait) {
            rc = wait_applied(c, ctx, next_cfg);
        }
    }
    if (rc && !err[0]) {
        snprintf(err, esz, "%s", ctx->err);
    }
    return rc;
}

int
vsctl_run(const struct vsctl_options *o)
{
    struct vsctl_conn c = {0};
    struct vsctl_ctx ctx = {0};
    char err[VSCTL_ERR_SIZE] = "";
    int rc = connect_switch(o, &c, err, sizeof err);

    if (!rc) {
        rc = run_session(o, &c, &ctx, err, sizeof err);
    }
    if (!rc && ctx.out) {
        fputs(ctx.out, stdout);
    }
    if (rc) {
        fprintf(stderr, "rsw-vsctl: %s\n", err);
    }
    struct ovsdb_schema *schema = ctx.schema;
    vsctl_ctx_destroy(&ctx);
    ovsdb_schema_destroy(schema);
    jsonrpc_close(c.rpc);
    return rc ? 1 : 0;
}
