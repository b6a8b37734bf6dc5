/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-vsctl commands (ovs-vsctl(8) semantics): what each one checks in
 * the replica and the RFC 7047 §5.2 operations it adds. */
#include "vsctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ovsdb-lite/util.h"

#define ROOT "Ringswitch"

/* ---- Lookups ------------------------------------------------------- */

const struct ovsdb_table_schema *
vsctl_find_table(struct vsctl_ctx *ctx, const char *name)
{
    const struct ovsdb_table_schema *match = NULL;
    size_t len = strlen(name);
    int n = 0;

    for (unsigned i = 0; i < ctx->schema->n_tables; i++) {
        const struct ovsdb_table_schema *ts = &ctx->schema->tables[i];
        if (!strcasecmp(ts->name, name)) {
            return ts;
        }
        if (len && !strncasecmp(ts->name, name, len)) {
            match = ts;
            n++;
        }
    }
    if (n == 1) {
        return match;
    }
    vsctl_fail(ctx, -ENOENT, "%s table \"%s\" (tables: Ringswitch, Bridge, "
               "Port, Interface, VM)", n ? "ambiguous" : "unknown", name);
    return NULL;
}

static const struct ovsdb_table *
table_of(struct vsctl_ctx *ctx, const struct ovsdb_table_schema *ts)
{
    return &ctx->db->tables[ts->index];
}

const struct ovsdb_row *
vsctl_find_record(struct vsctl_ctx *ctx, const struct ovsdb_table_schema *ts,
                  const char *name, bool quiet)
{
    const struct ovsdb_table *t = table_of(ctx, ts);
    const struct ovsdb_row *row, *found = NULL;
    struct ovsdb_uuid uuid;

    if (!strcmp(name, ".") && ts->max_rows == 1) {
        found = ovsdb_table_first(t);
    } else if (!ovsdb_uuid_from_string(&uuid, name)) {
        found = ovsdb_table_find(t, &uuid);
    } else if (ovsdb_schema_find_column(ts, "name")) {
        OVSDB_TABLE_FOR_EACH (row, t) {
            const struct ovsdb_datum *d = ovsdb_row_get(row, "name");
            if (d->n && !strcmp(d->keys[0].string, name)) {
                found = row;
            }
        }
    }
    if (!found && !quiet) {
        vsctl_fail(ctx, -ENOENT, "no row \"%s\" in table %s", name,
                   ts->name);
    }
    return found;
}

static const struct ovsdb_column_schema *
find_column(struct vsctl_ctx *ctx, const struct ovsdb_table_schema *ts,
            const char *name)
{
    const struct ovsdb_column_schema *c = ovsdb_schema_find_column(ts, name);

    if (!c) {
        vsctl_fail(ctx, -ENOENT, "table %s has no column \"%s\"", ts->name,
                   name);
    }
    return c;
}

static const char *
row_name(const struct ovsdb_row *row)
{
    const struct ovsdb_datum *d = ovsdb_row_get(row, "name");
    return d && d->n ? d->keys[0].string : "";
}

static json_object *
uuid_json(const struct ovsdb_row *row)
{
    json_object *j = ovsdb_json_arr();
    char buf[OVSDB_UUID_LEN + 1];

    ovsdb_uuid_format(ovsdb_row_uuid(row), buf);
    ovsdb_json_push(j, ovsdb_json_str("uuid"));
    ovsdb_json_push(j, ovsdb_json_str(buf));
    return j;
}

/* ["set", [ELEM]] */
static json_object *
set_of(json_object *elem)
{
    json_object *s = ovsdb_json_arr(), *a = ovsdb_json_arr();

    ovsdb_json_push(a, elem);
    ovsdb_json_push(s, ovsdb_json_str("set"));
    ovsdb_json_push(s, a);
    return s;
}

static json_object *
named_uuid(const char *name)
{
    json_object *j = ovsdb_json_arr();

    ovsdb_json_push(j, ovsdb_json_str("named-uuid"));
    ovsdb_json_push(j, ovsdb_json_str(name));
    return j;
}

/* Where clause for one record.  By name where the table has one (rows
 * inserted earlier in this transaction have another UUID on the server),
 * [] for the root singleton, else by UUID (translated if inserted). */
static json_object *
record_where(const struct ovsdb_row *row)
{
    const struct ovsdb_table_schema *ts = row->table->schema;
    json_object *where = ovsdb_json_arr(), *cond = ovsdb_json_arr();
    bool by_name = ovsdb_schema_find_column(ts, "name") != NULL;

    if (ts->max_rows == 1) {
        json_object_put(cond);
        return where;
    }
    ovsdb_json_push(cond, ovsdb_json_str(by_name ? "name" : "_uuid"));
    ovsdb_json_push(cond, ovsdb_json_str("=="));
    ovsdb_json_push(cond, by_name ? ovsdb_json_str(row_name(row))
                                  : uuid_json(row));
    ovsdb_json_push(where, cond);
    return where;
}

static json_object *
op_new(const char *op, const char *table)
{
    json_object *o = ovsdb_json_obj();

    ovsdb_json_add(o, "op", ovsdb_json_str(op));
    ovsdb_json_add(o, "table", ovsdb_json_str(table));
    return o;
}

static json_object *
op_insert(const char *table, json_object *row, const char *uuid_name)
{
    json_object *o = op_new("insert", table);

    ovsdb_json_add(o, "row", row);
    ovsdb_json_add(o, "uuid-name", ovsdb_json_str(uuid_name));
    return o;
}

static json_object *
op_update(const struct ovsdb_row *rec, const char *column, json_object *v)
{
    json_object *o = op_new("update", rec->table->schema->name);
    json_object *row = ovsdb_json_obj();

    ovsdb_json_add(row, column, v);
    ovsdb_json_add(o, "where", record_where(rec));
    ovsdb_json_add(o, "row", row);
    return o;
}

static json_object *
op_mutate(const struct ovsdb_row *rec, const char *column,
          const char *mutator, json_object *v)
{
    json_object *o = op_new("mutate", rec->table->schema->name);
    json_object *muts = ovsdb_json_arr(), *m = ovsdb_json_arr();

    ovsdb_json_push(m, ovsdb_json_str(column));
    ovsdb_json_push(m, ovsdb_json_str(mutator));
    ovsdb_json_push(m, v);
    ovsdb_json_push(muts, m);
    ovsdb_json_add(o, "where", record_where(rec));
    ovsdb_json_add(o, "mutations", muts);
    return o;
}

/* Runs one or two operations as the command's transaction step. */
static int
apply(struct vsctl_ctx *ctx, json_object *op1, json_object *op2)
{
    json_object *ops = ovsdb_json_arr();

    ovsdb_json_push(ops, op1);
    if (op2) {
        ovsdb_json_push(ops, op2);
    }
    return vsctl_ctx_apply(ctx, ops);
}

static const struct ovsdb_table_schema *
table_named(struct vsctl_ctx *ctx, const char *name)
{
    return ovsdb_schema_find_table(ctx->schema, name);
}

static const struct ovsdb_row *
root_row(struct vsctl_ctx *ctx)
{
    return ovsdb_table_first(table_of(ctx, table_named(ctx, ROOT)));
}

/* The Bridge whose "ports" hold 'port', or NULL. */
static const struct ovsdb_row *
bridge_of_port(struct vsctl_ctx *ctx, const struct ovsdb_row *port)
{
    const struct ovsdb_table *bt = table_of(ctx, table_named(ctx, "Bridge"));
    const struct ovsdb_row *br;

    OVSDB_TABLE_FOR_EACH (br, bt) {
        const struct ovsdb_datum *ports = ovsdb_row_get(br, "ports");
        for (size_t i = 0; i < ports->n; i++) {
            if (ovsdb_uuid_equals(&ports->keys[i].uuid, ovsdb_row_uuid(port))) {
                return br;
            }
        }
    }
    return NULL;
}

/* ---- Generic column edits ------------------------------------------ */

static int
prefix_error(struct vsctl_ctx *ctx, int rc, const struct ovsdb_row *rec,
             const char *column, const char *msg)
{
    return vsctl_fail(ctx, rc, "%s %s column %s: %s",
                      rec->table->schema->name, row_name(rec)[0]
                      ? row_name(rec) : ".", column, msg);
}

/* COLUMN:KEY=VALUE on a map: replaces that one key. */
static int
set_map_key(struct vsctl_ctx *ctx, const struct ovsdb_row *rec,
            const struct ovsdb_column_schema *c,
            const struct vsctl_column_arg *ca)
{
    char msg[VSCTL_ERR_SIZE];
    json_object *kj = NULL, *vj = NULL, *pair, *map;
    int rc;

    if (!ovsdb_type_is_map(&c->type)) {
        return prefix_error(ctx, -EINVAL, rec, c->name,
                            "not a map: COLUMN:KEY=VALUE needs one");
    }
    /* As ovs-vsctl: the whole VALUE is one atom, commas included
     * (options:devargs=net_tap0,iface=tap0). */
    rc = vsctl_parse_atom(&c->type.key, ca->key, &kj, msg, sizeof msg);
    rc = rc ? rc : vsctl_parse_atom(&c->type.value, ca->value, &vj, msg,
                                    sizeof msg);
    if (rc) {
        json_object_put(kj);
        return prefix_error(ctx, rc, rec, c->name, msg);
    }
    pair = ovsdb_json_arr();
    ovsdb_json_push(pair, json_object_get(kj));
    ovsdb_json_push(pair, vj);
    map = ovsdb_json_arr();
    ovsdb_json_push(map, ovsdb_json_str("map"));
    ovsdb_json_push(map, ovsdb_json_arr());
    ovsdb_json_push(ovsdb_json_idx(map, 1), pair);
    return apply(ctx, op_mutate(rec, c->name, "delete", set_of(kj)),
                 op_mutate(rec, c->name, "insert", map));
}

/* COLUMN[:KEY]=VALUE on record 'rec'. */
static int
set_column(struct vsctl_ctx *ctx, const struct ovsdb_row *rec,
           const struct vsctl_column_arg *ca)
{
    const struct ovsdb_column_schema *c =
        find_column(ctx, rec->table->schema, ca->column);
    char msg[VSCTL_ERR_SIZE];
    json_object *v = NULL;
    int rc;

    if (!c) {
        return -ENOENT;
    }
    if (c->index <= OVSDB_COL_VERSION) {
        return prefix_error(ctx, -EINVAL, rec, c->name, "cannot be set");
    }
    if (ca->key) {
        return set_map_key(ctx, rec, c, ca);
    }
    rc = vsctl_parse_datum(&c->type, ca->value, &v, msg, sizeof msg);
    if (rc) {
        return prefix_error(ctx, rc, rec, c->name, msg);
    }
    return apply(ctx, op_update(rec, c->name, v), NULL);
}

/* TABLE REC from the first two arguments. */
static const struct ovsdb_row *
table_record(struct vsctl_ctx *ctx, const struct vsctl_command *c,
             bool quiet)
{
    const struct ovsdb_table_schema *ts = vsctl_find_table(ctx, c->argv[0]);

    return ts ? vsctl_find_record(ctx, ts, c->argv[1], quiet) : NULL;
}

/* ---- Commands ------------------------------------------------------- */

static int
cmd_show(struct vsctl_ctx *ctx, const struct vsctl_command *c RSW_UNUSED)
{
    vsctl_output_show(ctx);
    return 0;
}

static int
cmd_add_br(struct vsctl_ctx *ctx, const struct vsctl_command *c)
{
    const char *br = c->argv[0];
    char sym[32];

    if (vsctl_find_record(ctx, table_named(ctx, "Bridge"), br, true)) {
        return c->may_exist ? 0 : vsctl_fail(ctx, -EEXIST, "cannot create "
                                             "a bridge named %s because a "
                                             "bridge named %s already exists",
                                             br, br);
    }
    json_object *row = ovsdb_json_obj();
    ovsdb_json_add(row, "name", ovsdb_json_str(br));
    vsctl_ctx_symbol(ctx, sym);
    return apply(ctx, op_insert("Bridge", row, sym),
                 op_mutate(root_row(ctx), "bridges", "insert",
                           set_of(named_uuid(sym))));
}

static int
cmd_del_br(struct vsctl_ctx *ctx, const struct vsctl_command *c)
{
    const struct ovsdb_row *br = vsctl_find_record(
        ctx, table_named(ctx, "Bridge"), c->argv[0], true);

    if (!br) {
        return c->if_exists ? 0 : vsctl_fail(ctx, -ENOENT, "no bridge named "
                                             "%s", c->argv[0]);
    }
    /* RFC 7047 §2.1 garbage collection removes its ports and
     * interfaces with it. */
    return apply(ctx, op_mutate(root_row(ctx), "bridges", "delete",
                                set_of(uuid_json(br))), NULL);
}

static int
compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Prints the "name" of each row of 'uuids' (a set of references into
 * 'table'), sorted. */
static void
print_names(struct vsctl_ctx *ctx, const char *table,
            const struct ovsdb_datum *uuids)
{
    const struct ovsdb_table *t = table_of(ctx, table_named(ctx, table));
    const char **names = ovsdb_xcalloc(uuids->n + 1, sizeof *names);
    size_t n = 0;

    for (size_t i = 0; i < uuids->n; i++) {
        const struct ovsdb_row *row = ovsdb_table_find(t,
                                                       &uuids->keys[i].uuid);
        if (row) {
            names[n++] = row_name(row);
        }
    }
    qsort(names, n, sizeof *names, compare_strings);
    for (size_t i = 0; i < n; i++) {
        vsctl_out(ctx, "%s\n", names[i]);
    }
    free(names);
}

static int
cmd_list_br(struct vsctl_ctx *ctx, const struct vsctl_command *c RSW_UNUSED)
{
    const struct ovsdb_row *root = root_row(ctx);

    if (root) {
        print_names(ctx, "Bridge", ovsdb_row_get(root, "bridges"));
    }
    return 0;
}

static int
cmd_list_ports(struct vsctl_ctx *ctx, const struct vsctl_command *c)
{
    const struct ovsdb_row *br = vsctl_find_record(
        ctx, table_named(ctx, "Bridge"), c->argv[0], true);

    if (!br) {
        return vsctl_fail(ctx, -ENOENT, "no bridge named %s", c->argv[0]);
    }
    print_names(ctx, "Port", ovsdb_row_get(br, "ports"));
    return 0;
}

/* add-port's existing-port check; 1: nothing to do (--may-exist). */
static int
check_new_port(struct vsctl_ctx *ctx, const struct vsctl_command *c,
               const struct ovsdb_row *br)
{
    const char *name = c->argv[1];
    const struct ovsdb_row *port = vsctl_find_record(
        ctx, table_named(ctx, "Port"), name, true);

    if (port) {
        const struct ovsdb_row *on = bridge_of_port(ctx, port);
        if (c->may_exist && on == br) {
            return 1;
        }
        return vsctl_fail(ctx, -EEXIST, "cannot create a port named %s "
                          "because a port named %s already exists on "
                          "bridge %s", name, name, on ? row_name(on) : "?");
    }
    if (vsctl_find_record(ctx, table_named(ctx, "Interface"), name, true)) {
        return vsctl_fail(ctx, -EEXIST, "cannot create an interface named "
                          "%s because one already exists", name);
    }
    return 0;
}

/* add-port's trailing COLUMN[:KEY]=VALUE: on the Port if it has that
 * column, else on the Interface (type=, options:K=, ofport_request=). */
static int
set_port_extra(struct vsctl_ctx *ctx, const char *port, const char *arg)
{
    struct vsctl_column_arg ca;
    int rc = vsctl_parse_column_arg(arg, 1, &ca, ctx->err, VSCTL_ERR_SIZE);

    if (rc) {
        return rc;
    }
    const struct ovsdb_table_schema *ts = table_named(ctx, "Port");
    if (!ovsdb_schema_find_column(ts, ca.column)) {
        ts = table_named(ctx, "Interface");
    }
    if (!ovsdb_schema_find_column(ts, ca.column)) {
        rc = vsctl_fail(ctx, -ENOENT, "add-port: neither Port nor Interface "
                        "has a column \"%s\"", ca.column);
    } else {
        rc = set_column(ctx, vsctl_find_record(ctx, ts, port, false), &ca);
    }
    vsctl_column_arg_destroy(&ca);
    return rc;
}

static int
cmd_add_port(struct vsctl_ctx *ctx, const struct vsctl_command *c)
{
    const char *name = c->argv[1];
    const struct ovsdb_row *br = vsctl_find_record(
        ctx, table_named(ctx, "Bridge"), c->argv[0], true);
    char isym[32], psym[32];
    int rc;

    if (!br) {
        return vsctl_fail(ctx, -ENOENT, "no bridge named %s", c->argv[0]);
    }
    rc = check_new_port(ctx, c, br);
    if (rc) {
        return rc > 0 ? 0 : rc;
    }
    json_object *irow = ovsdb_json_obj(), *prow = ovsdb_json_obj();
    json_object *ops = ovsdb_json_arr();
    ovsdb_json_add(irow, "name", ovsdb_json_str(name));
    ovsdb_json_add(prow, "name", ovsdb_json_str(name));
    ovsdb_json_add(prow, "interfaces",
                   named_uuid(vsctl_ctx_symbol(ctx, isym)));
    ovsdb_json_push(ops, op_insert("Interface", irow, isym));
    ovsdb_json_push(ops, op_insert("Port", prow,
                                   vsctl_ctx_symbol(ctx, psym)));
    ovsdb_json_push(ops, op_mutate(br, "ports", "insert",
                                   set_of(named_uuid(psym))));
    rc = vsctl_ctx_apply(ctx, ops);
    for (int i = 2; !rc && i < c->argc; i++) {
        rc = set_port_extra(ctx, name, c->argv[i]);
    }
    return rc;
}

static int
cmd_del_port(struct vsctl_ctx *ctx, const struct vsctl_command *c)
{
    const char *name = c->argv[c->argc - 1];
    const struct ovsdb_row *port = vsctl_find_record(
        ctx, table_named(ctx, "Port"), name, true);
    const struct ovsdb_row *br = port ? bridge_of_port(ctx, port) : NULL;

    if (!port || !br) {
        return c->if_exists ? 0 : vsctl_fail(ctx, -ENOENT, "no port named "
                                             "%s", name);
    }
    if (c->argc == 2 && strcmp(row_name(br), c->argv[0])) {
        return vsctl_fail(ctx, -ENOENT, "bridge %s does not have a port %s "
                          "(it is on bridge %s)", c->argv[0], name,
                          row_name(br));
    }
    return apply(ctx, op_mutate(br, "ports", "delete",
                                set_of(uuid_json(port))), NULL);
}

static int
cmd_list(struct vsctl_ctx *ctx, const struct vsctl_command *c)
{
    const struct ovsdb_table_schema *ts = vsctl_find_table(ctx, c->argv[0]);
    const struct ovsdb_table *t;
    const struct ovsdb_row **rows, *row;
    size_t n = 0;

    if (!ts) {
        return -ENOENT;
    }
    t = table_of(ctx, ts);
    rows = ovsdb_xcalloc(ovsdb_table_count(t) + (size_t) c->argc,
                         sizeof *rows);
    if (c->argc > 1) {
        for (int i = 1; i < c->argc; i++) {
            rows[n] = vsctl_find_record(ctx, ts, c->argv[i], false);
            if (!rows[n++]) {
                free(rows);
                return -ENOENT;
            }
        }
    } else {
        OVSDB_TABLE_FOR_EACH (row, t) {
            rows[n++] = row;
        }
    }
    vsctl_output_rows(ctx, ts, rows, n, NULL, 0);
    free(rows);
    return 0;
}

/* One COLUMN[:KEY] of get. */
static int
get_one(struct vsctl_ctx *ctx, const struct vsctl_command *c,
        const struct ovsdb_row *rec, const char *arg)
{
    struct vsctl_column_arg ca;
    int rc = vsctl_parse_column_arg(arg, 0, &ca, ctx->err, VSCTL_ERR_SIZE);
    const struct ovsdb_column_schema *col = rc ? NULL
        : find_column(ctx, rec->table->schema, ca.column);
    char msg[VSCTL_ERR_SIZE], *s = NULL;

    if (!col) {
        rc = rc ? rc : -ENOENT;
    } else if (!ca.key) {
        s = vsctl_format_datum(&rec->fields[col->index], &col->type);
    } else if (!ovsdb_type_is_map(&col->type)) {
        rc = prefix_error(ctx, -EINVAL, rec, col->name, "not a map");
    } else {
        json_object *kj = NULL;
        rc = vsctl_parse_atom(&col->type.key, ca.key, &kj, msg, sizeof msg);
        union ovsdb_atom atom;
        struct ovsdb_error oerr = {0};
        rc = rc ? prefix_error(ctx, rc, rec, col->name, msg)
                : ovsdb_atom_from_json(&atom, &col->type.key, kj, NULL,
                                       &oerr);
        ptrdiff_t idx = rc ? -1 : ovsdb_datum_find_key(
            &rec->fields[col->index], &atom, col->type.key.type);
        if (!rc) {
            ovsdb_atom_destroy(&atom, col->type.key.type);
        }
        if (idx >= 0) {
            s = vsctl_format_atom(&rec->fields[col->index].values[idx],
                                  col->type.value.type);
        } else if (!rc && !c->if_exists) {
            rc = prefix_error(ctx, -ENOENT, rec, col->name, "no such key");
        }
        json_object_put(kj);
    }
    if (s) {
        vsctl_out(ctx, "%s\n", s);
        free(s);
    }
    vsctl_column_arg_destroy(&ca);
    return rc;
}

static int
cmd_get(struct vsctl_ctx *ctx, const struct vsctl_command *c)
{
    const struct ovsdb_row *rec = table_record(ctx, c, c->if_exists);

    if (!rec) {
        return c->if_exists && !ctx->err[0] ? 0 : -ENOENT;
    }
    for (int i = 2; i < c->argc; i++) {
        int rc = get_one(ctx, c, rec, c->argv[i]);
        if (rc) {
            return rc;
        }
    }
    return 0;
}

static int
cmd_set(struct vsctl_ctx *ctx, const struct vsctl_command *c)
{
    const struct ovsdb_table_schema *ts = vsctl_find_table(ctx, c->argv[0]);
    int rc = ts ? 0 : -ENOENT;

    for (int i = 2; !rc && i < c->argc; i++) {
        /* Looked up again each time: applying changes the replica. */
        const struct ovsdb_row *rec = vsctl_find_record(ctx, ts, c->argv[1],
                                                        false);
        struct vsctl_column_arg ca;
        rc = rec ? vsctl_parse_column_arg(c->argv[i], 1, &ca, ctx->err,
                                          VSCTL_ERR_SIZE) : -ENOENT;
        if (!rc) {
            rc = set_column(ctx, rec, &ca);
            vsctl_column_arg_destroy(&ca);
        }
    }
    return rc;
}

/* add/remove TABLE REC COLUMN VALUE...: one mutation per value. */
static int
mutate_elements(struct vsctl_ctx *ctx, const struct vsctl_command *c,
                const char *mutator)
{
    const struct ovsdb_table_schema *ts = vsctl_find_table(ctx, c->argv[0]);
    const struct ovsdb_column_schema *col = ts
        ? find_column(ctx, ts, c->argv[2]) : NULL;
    bool remove = !strcmp(mutator, "delete");
    char msg[VSCTL_ERR_SIZE];
    int rc = col ? 0 : -ENOENT;

    for (int i = 3; !rc && i < c->argc; i++) {
        const struct ovsdb_row *rec = vsctl_find_record(ctx, ts, c->argv[1],
                                                        false);
        json_object *v = NULL;
        if (!rec) {
            return -ENOENT;
        }
        rc = vsctl_parse_elements(&col->type, c->argv[i], remove, &v, msg,
                                  sizeof msg);
        rc = rc ? prefix_error(ctx, rc, rec, col->name, msg)
                : apply(ctx, op_mutate(rec, col->name, mutator, v), NULL);
    }
    return rc;
}

static int
cmd_add(struct vsctl_ctx *ctx, const struct vsctl_command *c)
{
    return mutate_elements(ctx, c, "insert");
}

static int
cmd_remove(struct vsctl_ctx *ctx, const struct vsctl_command *c)
{
    return mutate_elements(ctx, c, "delete");
}

static int
cmd_clear(struct vsctl_ctx *ctx, const struct vsctl_command *c)
{
    const struct ovsdb_table_schema *ts = vsctl_find_table(ctx, c->argv[0]);
    int rc = ts ? 0 : -ENOENT;

    for (int i = 2; !rc && i < c->argc; i++) {
        const struct ovsdb_row *rec = vsctl_find_record(ctx, ts, c->argv[1],
                                                        false);
        const struct ovsdb_column_schema *col = rec
            ? find_column(ctx, ts, c->argv[i]) : NULL;
        if (!col) {
            return -ENOENT;
        }
        if (col->type.n_min > 0 || col->index <= OVSDB_COL_VERSION) {
            return prefix_error(ctx, -EINVAL, rec, col->name, "cannot be "
                                "cleared (it must hold a value)");
        }
        json_object *empty = ovsdb_json_arr();
        ovsdb_json_push(empty, ovsdb_json_str(ovsdb_type_is_map(&col->type)
                                              ? "map" : "set"));
        ovsdb_json_push(empty, ovsdb_json_arr());
        rc = apply(ctx, op_update(rec, col->name, empty), NULL);
    }
    return rc;
}

const struct vsctl_command_syntax vsctl_commands[] = {
    {"show", 0, 0, "", "", false, cmd_show},
    {"add-br", 1, 1, "BRIDGE", "--may-exist", true, cmd_add_br},
    {"del-br", 1, 1, "BRIDGE", "--if-exists", true, cmd_del_br},
    {"list-br", 0, 0, "", "", false, cmd_list_br},
    {"add-port", 2, -1, "BRIDGE PORT [COLUMN[:KEY]=VALUE]... "
     "(or: -- set Interface PORT type=T options:K=V...)", "--may-exist",
     true, cmd_add_port},
    {"del-port", 1, 2, "[BRIDGE] PORT", "--if-exists", true, cmd_del_port},
    {"list-ports", 1, 1, "BRIDGE", "", false, cmd_list_ports},
    {"list", 1, -1, "TABLE [RECORD]...", "", false, cmd_list},
    {"get", 3, -1, "TABLE RECORD COLUMN[:KEY]...", "--if-exists", false,
     cmd_get},
    {"set", 3, -1, "TABLE RECORD COLUMN[:KEY]=VALUE...", "", true, cmd_set},
    {"add", 4, -1, "TABLE RECORD COLUMN VALUE...", "", true, cmd_add},
    {"remove", 4, -1, "TABLE RECORD COLUMN VALUE|KEY|KEY=VALUE...", "",
     true, cmd_remove},
    {"clear", 3, -1, "TABLE RECORD COLUMN...", "", true, cmd_clear},
};
const size_t vsctl_n_commands = RSW_ARRAY_SIZE(vsctl_commands);
