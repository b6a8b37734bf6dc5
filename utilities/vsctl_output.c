/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-vsctl output: "show" and the list/table/json renderings of rows. */
#include "vsctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb-lite/util.h"

/* ---- show ---------------------------------------------------------- */

static const char *
name_of(const struct ovsdb_row *row)
{
    const struct ovsdb_datum *d = ovsdb_row_get(row, "name");
    return d && d->n ? d->keys[0].string : "";
}

static int
compare_by_name(const void *a, const void *b)
{
    return strcmp(name_of(*(const struct ovsdb_row *const *) a),
                  name_of(*(const struct ovsdb_row *const *) b));
}

/* The rows 'refs' points to in 'table', sorted by name; '*n' of them. */
static const struct ovsdb_row **
sorted_refs(struct vsctl_ctx *ctx, const char *table,
            const struct ovsdb_datum *refs, size_t *n)
{
    const struct ovsdb_table *t = ovsdb_db_get_table(ctx->db, table);
    const struct ovsdb_row **rows = ovsdb_xcalloc(refs->n + 1, sizeof *rows);

    *n = 0;
    for (size_t i = 0; i < refs->n; i++) {
        const struct ovsdb_row *r = ovsdb_table_find(t, &refs->keys[i].uuid);
        if (r) {
            rows[(*n)++] = r;
        }
    }
    qsort(rows, *n, sizeof *rows, compare_by_name);
    return rows;
}

/* "column: value" lines for the non-empty ones of 'columns'. */
static void
show_columns(struct vsctl_ctx *ctx, const struct ovsdb_row *row,
             const char *const *columns, int indent)
{
    for (size_t i = 0; columns[i]; i++) {
        const struct ovsdb_column_schema *c =
            ovsdb_schema_find_column(row->table->schema, columns[i]);
        const struct ovsdb_datum *d = c ? &row->fields[c->index] : NULL;
        if (!d || !d->n || (c->type.key.type == OVSDB_TYPE_STRING
                            && d->n == 1 && !ovsdb_type_is_map(&c->type)
                            && !d->keys[0].string[0])) {
            continue;           /* empty, or the empty default string */
        }
        char *s = vsctl_format_datum(d, &c->type);
        vsctl_out(ctx, "%*s%s: %s\n", indent, "", columns[i], s);
        free(s);
    }
}

static void
show_port(struct vsctl_ctx *ctx, const struct ovsdb_row *port)
{
    static const char *const port_cols[] = {"tag", "trunks", "vlan_mode",
                                            NULL};
    static const char *const iface_cols[] = {
        "type", "options", "ofport_request", "ofport", "link_state",
        "status", "error", NULL,
    };
    size_t n;
    const struct ovsdb_row **ifs = sorted_refs(
        ctx, "Interface", ovsdb_row_get(port, "interfaces"), &n);

    vsctl_out(ctx, "        Port %s\n", name_of(port));
    show_columns(ctx, port, port_cols, 12);
    for (size_t i = 0; i < n; i++) {
        vsctl_out(ctx, "            Interface %s\n", name_of(ifs[i]));
        show_columns(ctx, ifs[i], iface_cols, 16);
    }
    free(ifs);
}

void
vsctl_output_show(struct vsctl_ctx *ctx)
{
    static const char *const root_cols[] = {"pmd_cores", "eal_args",
                                            "other_config", NULL};
    const struct ovsdb_table *rt = ovsdb_db_get_table(ctx->db, "Ringswitch");
    const struct ovsdb_row *root = ovsdb_table_first(rt);
    char uuid[OVSDB_UUID_LEN + 1];
    size_t n_br, n_port;

    if (!root) {
        return;
    }
    ovsdb_uuid_format(ovsdb_row_uuid(root), uuid);
    vsctl_out(ctx, "%s\n", uuid);
    show_columns(ctx, root, root_cols, 4);
    const struct ovsdb_row **brs = sorted_refs(
        ctx, "Bridge", ovsdb_row_get(root, "bridges"), &n_br);
    for (size_t b = 0; b < n_br; b++) {
        vsctl_out(ctx, "    Bridge %s\n", name_of(brs[b]));
        const struct ovsdb_row **ports = sorted_refs(
            ctx, "Port", ovsdb_row_get(brs[b], "ports"), &n_port);
        for (size_t p = 0; p < n_port; p++) {
            show_port(ctx, ports[p]);
        }
        free(ports);
    }
    free(brs);
}

/* ---- list / table / json ------------------------------------------- */

/* Columns to print: the given names, or _uuid then every schema column
 * but _version. */
static size_t
pick_columns(const struct ovsdb_table_schema *ts, const char *const *names,
             size_t n_names, const struct ovsdb_column_schema **cols)
{
    size_t n = 0;

    if (n_names) {
        for (size_t i = 0; i < n_names; i++) {
            const struct ovsdb_column_schema *c =
                ovsdb_schema_find_column(ts, names[i]);
            if (c) {
                cols[n++] = c;
            }
        }
        return n;
    }
    for (unsigned i = 0; i < ts->n_columns; i++) {
        if (i != OVSDB_COL_VERSION) {
            cols[n++] = &ts->columns[i];
        }
    }
    return n;
}

static char *
cell(const struct ovsdb_row *row, const struct ovsdb_column_schema *c)
{
    return vsctl_format_datum(&row->fields[c->index], &c->type);
}

static void
output_list(struct vsctl_ctx *ctx, const struct ovsdb_row *const *rows,
            size_t n_rows, const struct ovsdb_column_schema **cols,
            size_t n_cols)
{
    int width = 0;

    for (size_t c = 0; c < n_cols; c++) {
        int w = (int) strlen(cols[c]->name);
        width = w > width ? w : width;
    }
    for (size_t r = 0; r < n_rows; r++) {
        vsctl_out(ctx, "%s", r ? "\n" : "");
        for (size_t c = 0; c < n_cols; c++) {
            char *s = cell(rows[r], cols[c]);
            vsctl_out(ctx, "%-*s: %s\n", width, cols[c]->name, s);
            free(s);
        }
    }
}

static void
output_table(struct vsctl_ctx *ctx, const struct ovsdb_row *const *rows,
             size_t n_rows, const struct ovsdb_column_schema **cols,
             size_t n_cols)
{
    char **cells = ovsdb_xcalloc(n_rows * n_cols + 1, sizeof *cells);
    int *width = ovsdb_xcalloc(n_cols + 1, sizeof *width);

    for (size_t c = 0; c < n_cols; c++) {
        width[c] = (int) strlen(cols[c]->name);
        for (size_t r = 0; r < n_rows; r++) {
            char *s = cells[r * n_cols + c] = cell(rows[r], cols[c]);
            width[c] = (int) strlen(s) > width[c] ? (int) strlen(s)
                                                  : width[c];
        }
    }
    for (size_t c = 0; c < n_cols; c++) {
        vsctl_out(ctx, "%-*s%s", width[c], cols[c]->name,
                  c + 1 < n_cols ? " " : "\n");
    }
    for (size_t c = 0; c < n_cols; c++) {
        vsctl_out(ctx, "%.*s%s", width[c], "----------------------------"
                  "----------------------------------------------------",
                  c + 1 < n_cols ? " " : "\n");
    }
    for (size_t r = 0; r < n_rows; r++) {
        for (size_t c = 0; c < n_cols; c++) {
            vsctl_out(ctx, "%-*s%s", width[c], cells[r * n_cols + c],
                      c + 1 < n_cols ? " " : "\n");
            free(cells[r * n_cols + c]);
        }
    }
    free(cells);
    free(width);
}

/* ovs-vsctl's --format=json: {"headings": [...], "data": [[...]...]}
 * with cells in RFC 7047 notation. */
static void
output_json(struct vsctl_ctx *ctx, const struct ovsdb_row *const *rows,
            size_t n_rows, const struct ovsdb_column_schema **cols,
            size_t n_cols)
{
    json_object *o = ovsdb_json_obj(), *head = ovsdb_json_arr();
    json_object *data = ovsdb_json_arr();

    for (size_t c = 0; c < n_cols; c++) {
        ovsdb_json_push(head, ovsdb_json_str(cols[c]->name));
    }
    for (size_t r = 0; r < n_rows; r++) {
        json_object *line = ovsdb_json_arr();
        for (size_t c = 0; c < n_cols; c++) {
            ovsdb_json_push(line, ovsdb_datum_to_json(
                                &rows[r]->fields[cols[c]->index],
                                &cols[c]->type));
        }
        ovsdb_json_push(data, line);
    }
    ovsdb_json_add(o, "data", data);
    ovsdb_json_add(o, "headings", head);
    vsctl_out(ctx, "%s\n", json_object_to_json_string_ext(
                  o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

void
vsctl_output_rows(struct vsctl_ctx *ctx, const struct ovsdb_table_schema *ts,
                  const struct ovsdb_row *const *rows, size_t n_rows,
                  const char *const *columns, size_t n_columns)
{
    const struct ovsdb_column_schema **cols =
        ovsdb_xcalloc(ts->n_columns + n_columns + 1, sizeof *cols);
    size_t n_cols = pick_columns(ts, columns, n_columns, cols);

    switch (ctx->opts->format) {
    case VSCTL_FORMAT_TABLE:
        output_table(ctx, rows, n_rows, cols, n_cols);
        break;
    case VSCTL_FORMAT_JSON:
        output_json(ctx, rows, n_rows, cols, n_cols);
        break;
    case VSCTL_FORMAT_LIST:
    default:
        output_list(ctx, rows, n_rows, cols, n_cols);
        break;
    }
    free(cols);
}
