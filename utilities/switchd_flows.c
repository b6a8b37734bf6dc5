/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-switchd's OpenFlow methods, with ovs-ofctl(8)'s names and meaning
 * (ofproto/ofproto.h does the work):
 *
 *   add-flow BR FLOW             add-flows BR TEXT     replace-flows BR TEXT
 *   mod-flows BR FLOW [--strict] del-flows BR [MATCH] [--strict]
 *   dump-flows BR [MATCH]        dump-tables BR        show BR
 *   trace BR PACKET              fdb-show BR
 *
 * add-flows / replace-flows take the file's text (rsw-ofctl reads the
 * file): every line is parsed before anything changes, then ofproto
 * applies the batch all or nothing; errors name the line.  Port names in
 * flows resolve to the bridge's OpenFlow numbers.
 *
 * A change is acknowledged only once every PMD has dropped the megaflows
 * it made stale (switchd_flows_sync), so a client that sends a packet
 * right after "add-flow" sees it forwarded by the new rule. */
#include "switchd.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_server.h"
#include "datapath/dpif.h"
#include "datapath/port.h"
#include "ofproto/ofproto.h"

#define STRICT_OPT "--strict"
/* A parsed flow mod takes ~3.4 kB: bound what one file may make the
 * control thread allocate (a bigger table is loaded in several files). */
#define MAX_BATCH_FLOWS 100000
#define FLOW_TEXT_SIZE (OFP_MATCH_FORMAT_SIZE + OFP_ACTIONS_FORMAT_SIZE + 256)

#define JSON_ADD_U64(obj, key, v) \
    json_object_object_add(obj, key, json_object_new_uint64(v))
#define JSON_ADD_STR(obj, key, v) \
    json_object_object_add(obj, key, json_object_new_string(v))

/* ---- Parsing and applying flow mods ------------------------------------ */

/* A trailing "--strict" (rsw-ofctl moves it there from anywhere). */
static bool
take_strict(int *argc, const char *const argv[])
{
    if (*argc > 1 && !strcmp(argv[*argc - 1], STRICT_OPT)) {
        (*argc)--;
        return true;
    }
    return false;
}

static int
no_bridge(const char *cmd, const char *br, char **error)
{
    *error = ctl_errorf("%s: no bridge named %s", cmd, br);
    return -ENOENT;
}

/* One flow of 'br' in 'mode' into a malloc'd flow mod. */
static int
parse_flow(struct switchd *sd, const char *cmd, const char *br,
           const char *text, enum ofp_parse_mode mode,
           struct ofp_flow_mod **fmp, char **error)
{
    struct ofproto_resolver r = {.ofproto = sd->ofp, .br = br};
    struct ofp_flow_mod *fm;
    char msg[512];
    int err;

    if (!ofproto_has_bridge(sd->ofp, br)) {
        return no_bridge(cmd, br, error);
    }
    fm = malloc(sizeof *fm);
    if (!fm) {
        *error = ctl_errorf("%s: out of memory", cmd);
        return -ENOMEM;
    }
    err = ofp_flow_mod_parse(text, mode, ofproto_resolve_port, &r, fm, msg,
                             sizeof msg);
    if (err) {
        free(fm);
        *error = ctl_errorf("%s: %s", cmd, msg);
        return err;
    }
    *fmp = fm;
    return 0;
}

/* ofproto numbers a batch's flows in its messages ("flow N: reason",
 * from 1); 'text''s line of flow N, counted as ofp_parse.c counts: a line
 * holds no flow if it has only spaces, tabs and CRs before its end or a
 * '#'.  0 if there is no such flow. */
static unsigned
flow_line(const char *text, unsigned flow_no)
{
    unsigned line = 0, flows = 0;

    for (const char *s = text; *s;) {
        const char *eol = strchr(s, '\n');
        const char *end = eol ? eol : s + strlen(s);
        const char *p = s;
        line++;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) {
            p++;
        }
        if (p < end && *p != '#' && ++flows == flow_no) {
            return line;
        }
        if (!eol) {
            break;
        }
        s = eol + 1;
    }
    return 0;
}

/* ofproto's error for a batch from 'text' as the client's error. */
static int
batch_error(const char *cmd, int err, const char *br, const char *msg,
            const char *text, char **error)
{
    unsigned n, line;
    int used = 0;

    if (err == -ENOENT) {
        return no_bridge(cmd, br, error);
    }
    if (!msg[0]) {
        *error = ctl_errorf("%s: %s", cmd, strerror(-err));
    } else if (text && sscanf(msg, "flow %u: %n", &n, &used) == 1 && used
               && (line = flow_line(text, n))) {
        *error = ctl_errorf("%s: line %u: %s", cmd, line, msg + used);
    } else {
        *error = ctl_errorf("%s: %s", cmd, msg);
    }
    return err;
}

static int
apply_mods(struct switchd *sd, const char *cmd, const char *br,
           enum ofproto_fm_command command, const struct ofp_flow_mod *fms,
           size_t n, const char *text, char **error)
{
    char msg[512] = "";
    int err = ofproto_flow_mods(sd->ofp, br, command, fms, n, msg,
                                sizeof msg);

    if (err) {
        return batch_error(cmd, err, br, msg, text, error);
    }
    switchd_flows_sync(sd);
    return 0;
}

/* One flow argument, one mod: add-flow, mod-flows, del-flows. */
static int
one_mod(struct switchd *sd, const char *cmd, const char *br,
        const char *text, enum ofp_parse_mode mode,
        enum ofproto_fm_command command, char **error)
{
    struct ofp_flow_mod *fm;
    int err = parse_flow(sd, cmd, br, text, mode, &fm, error);

    if (!err) {
        err = apply_mods(sd, cmd, br, command, fm, 1, NULL, error);
        free(fm);
    }
    return err;
}

int
switchd_method_add_flow(void *aux, int argc RSW_UNUSED,
                        const char *const argv[],
                        struct json_object **result RSW_UNUSED, char **error)
{
    return one_mod(aux, "add-flow", argv[0], argv[1], OFP_PARSE_ADD,
                   OFPROTO_FM_ADD, error);
}

int
switchd_method_mod_flows(void *aux, int argc, const char *const argv[],
                         struct json_object **result RSW_UNUSED,
                         char **error)
{
    bool strict = take_strict(&argc, argv);

    if (argc != 2) {
        *error = ctl_errorf("mod-flows: usage: mod-flows BR FLOW "
                            "[--strict]");
        return -EINVAL;
    }
    return one_mod(aux, "mod-flows", argv[0], argv[1], OFP_PARSE_MODIFY,
                   strict ? OFPROTO_FM_MODIFY_STRICT : OFPROTO_FM_MODIFY,
                   error);
}

int
switchd_method_del_flows(void *aux, int argc, const char *const argv[],
                         struct json_object **result RSW_UNUSED,
                         char **error)
{
    bool strict = take_strict(&argc, argv);

    if (argc > 2) {
        *error = ctl_errorf("del-flows: usage: del-flows BR [MATCH] "
                            "[--strict]");
        return -EINVAL;
    }
    /* No MATCH: the catch-all, which covers every rule. */
    return one_mod(aux, "del-flows", argv[0], argc > 1 ? argv[1] : "",
                   OFP_PARSE_MATCH,
                   strict ? OFPROTO_FM_DELETE_STRICT : OFPROTO_FM_DELETE,
                   error);
}

/* ---- Batches: add-flows, replace-flows --------------------------------- */

struct fm_batch {
    struct ofp_flow_mod *fms;
    size_t n, cap;
};

static int
batch_add(void *aux, const struct ofp_flow_mod *fm)
{
    struct fm_batch *b = aux;

    if (b->n == MAX_BATCH_FLOWS) {
        return -E2BIG;
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        struct ofp_flow_mod *fms = realloc(b->fms, cap * sizeof *fms);
        if (!fms) {
            return -ENOMEM;
        }
        b->fms = fms;
        b->cap = cap;
    }
    b->fms[b->n++] = *fm;
    return 0;
}

/* Parses all of 'text' (add-flows file syntax) into 'b'. */
static int
parse_batch(struct switchd *sd, const char *cmd, const char *br,
            const char *text, struct fm_batch *b, char **error)
{
    struct ofproto_resolver r = {.ofproto = sd->ofp, .br = br};
    char msg[512] = "";
    int err;

    if (!ofproto_has_bridge(sd->ofp, br)) {
        return no_bridge(cmd, br, error);
    }
    err = ofp_flow_mods_parse_text(text, OFP_PARSE_ADD, ofproto_resolve_port,
                                   &r, batch_add, b, msg, sizeof msg);
    if (err == -E2BIG) {
        *error = ctl_errorf("%s: more than %d flows in one file (load them "
                            "with several add-flows)", cmd, MAX_BATCH_FLOWS);
    } else if (err) {
        *error = msg[0] ? ctl_errorf("%s: %s", cmd, msg)
                        : ctl_errorf("%s: %s", cmd, strerror(-err));
    }
    return err;
}

int
switchd_method_add_flows(void *aux, int argc RSW_UNUSED,
                         const char *const argv[],
                         struct json_object **result RSW_UNUSED,
                         char **error)
{
    struct switchd *sd = aux;
    struct fm_batch b = {0};
    int err = parse_batch(sd, "add-flows", argv[0], argv[1], &b, error);

    if (!err && b.n) {
        err = apply_mods(sd, "add-flows", argv[0], OFPROTO_FM_ADD, b.fms,
                         b.n, argv[1], error);
    }
    free(b.fms);
    return err;
}

int
switchd_method_replace_flows(void *aux, int argc RSW_UNUSED,
                             const char *const argv[],
                             struct json_object **result RSW_UNUSED,
                             char **error)
{
    struct switchd *sd = aux;
    struct fm_batch b = {0};
    char msg[512] = "";
    int err = parse_batch(sd, "replace-flows", argv[0], argv[1], &b, error);

    if (!err) {
        err = ofproto_replace_flows(sd->ofp, argv[0], b.fms, b.n, msg,
                                    sizeof msg);
        if (err) {
            batch_error("replace-flows", err, argv[0], msg, argv[1], error);
        } else {
            switchd_flows_sync(sd);
        }
    }
    free(b.fms);
    return err;
}

/* ---- dump-flows, dump-tables ------------------------------------------- */

struct dumped_flow {
    uint8_t table_id;
    uint16_t priority;
    size_t seq;
    struct json_object *json;
};

struct flow_dump {
    struct dumped_flow *flows;
    size_t n, cap;
    bool nomem;
};

static struct json_object *
flow_info_json(const struct ofproto_flow_info *f)
{
    struct json_object *o = json_object_new_object();
    char *buf = malloc(FLOW_TEXT_SIZE);
    char cookie[24], duration[32];

    if (!buf) {
        return o;
    }
    snprintf(cookie, sizeof cookie, "0x%llx", (unsigned long long) f->cookie);
    JSON_ADD_U64(o, "table", f->table_id);
    JSON_ADD_U64(o, "priority", f->priority);
    JSON_ADD_STR(o, "cookie", cookie);
    snprintf(duration, sizeof duration, "%llu.%03llu",
             (unsigned long long) f->duration_ms / 1000,
             (unsigned long long) f->duration_ms % 1000);
    json_object_object_add(o, "duration", json_object_new_double_s(
                               (double) f->duration_ms / 1000.0, duration));
    JSON_ADD_U64(o, "n_packets", f->n_packets);
    JSON_ADD_U64(o, "n_bytes", f->n_bytes);
    JSON_ADD_U64(o, "idle_timeout", f->idle_timeout);
    JSON_ADD_U64(o, "hard_timeout", f->hard_timeout);
    JSON_ADD_U64(o, "idle_age", f->idle_ms / 1000);
    JSON_ADD_STR(o, "match", ofp_match_format(f->match, buf, FLOW_TEXT_SIZE));
    JSON_ADD_STR(o, "actions", ofp_actions_format(f->actions, f->n_actions,
                                                  buf, FLOW_TEXT_SIZE));
    JSON_ADD_STR(o, "text", ofproto_flow_info_format(f, buf, FLOW_TEXT_SIZE));
    free(buf);
    return o;
}

/* Runs under ofproto's lock: only builds JSON. */
static void
dump_flow(void *aux, const struct ofproto_flow_info *f)
{
    struct flow_dump *d = aux;

    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        struct dumped_flow *flows = realloc(d->flows, cap * sizeof *flows);
        if (!flows) {
            d->nomem = true;
            return;
        }
        d->flows = flows;
        d->cap = cap;
    }
    d->flows[d->n] = (struct dumped_flow) {
        .table_id = f->table_id, .priority = f->priority, .seq = d->n,
        .json = flow_info_json(f),
    };
    d->n++;
}

/* ovs-ofctl's order: by table, then priority (highest first). */
static int
compare_dumped(const void *a_, const void *b_)
{
    const struct dumped_flow *a = a_, *b = b_;

    if (a->table_id != b->table_id) {
        return a->table_id < b->table_id ? -1 : 1;
    }
    if (a->priority != b->priority) {
        return a->priority > b->priority ? -1 : 1;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int
switchd_method_dump_flows(void *aux, int argc, const char *const argv[],
                          struct json_object **result, char **error)
{
    struct switchd *sd = aux;
    struct ofp_flow_mod *filter = NULL;
    struct flow_dump d = {0};
    int err = 0;

    if (argc > 1) {
        err = parse_flow(sd, "dump-flows", argv[0], argv[1], OFP_PARSE_MATCH,
                         &filter, error);
        if (err) {
            return err;
        }
    }
    err = ofproto_dump_flows(sd->ofp, argv[0], filter, dump_flow, &d);
    free(filter);
    if (!err && d.nomem) {
        err = -ENOMEM;
        *error = ctl_errorf("dump-flows: out of memory");
    } else if (err) {
        no_bridge("dump-flows", argv[0], error);
    }
    if (!err) {
        if (d.n) {
            qsort(d.flows, d.n, sizeof *d.flows, compare_dumped);
        }
        *result = json_object_new_array();
    }
    for (size_t i = 0; i < d.n; i++) {
        if (err) {
            json_object_put(d.flows[i].json);
        } else {
            json_object_array_add(*result, d.flows[i].json);
        }
    }
    free(d.flows);
    return err;
}

static void
dump_table(void *aux, const struct ofproto_table_info *t)
{
    struct json_object *o = json_object_new_object();

    JSON_ADD_U64(o, "table", t->table_id);
    JSON_ADD_U64(o, "active", t->n_rules);
    JSON_ADD_U64(o, "lookup", t->n_lookups);
    JSON_ADD_U64(o, "matched", t->n_matched);
    json_object_array_add(aux, o);
}

int
switchd_method_dump_tables(void *aux, int argc RSW_UNUSED,
                           const char *const argv[],
                           struct json_object **result, char **error)
{
    struct switchd *sd = aux;
    struct json_object *a = json_object_new_array();

    if (ofproto_dump_tables(sd->ofp, argv[0], dump_table, a)) {
        json_object_put(a);
        return no_bridge("dump-tables", argv[0], error);
    }
    *result = a;
    return 0;
}

/* ---- show -------------------------------------------------------------- */

struct show_ctx {
    struct switchd *sd;
    struct json_object *ports;
};

static void
count_rules(void *aux, const struct ofproto_table_info *t)
{
    *(uint64_t *) aux += t->n_rules;
}

static void
show_port(void *aux, const char *name, uint32_t dp_port, uint32_t ofport)
{
    struct show_ctx *c = aux;
    struct port *p = dpif_port_get(c->sd->dp, dp_port);
    struct json_object *o = json_object_new_object();
    char status[256] = "";

    if (p) {
        p->class->get_status(p, status, sizeof status);
    }
    JSON_ADD_U64(o, "ofport", ofport);
    JSON_ADD_STR(o, "name", name);
    JSON_ADD_STR(o, "type", p ? p->type : "");
    /* As switchd_db's link_state: virtio-net has no other link signal. */
    JSON_ADD_STR(o, "state", strstr(status, "rings ready")
                 || strstr(status, "link up") ? "LIVE" : "LINK_DOWN");
    JSON_ADD_STR(o, "status", status);
    json_object_array_add(c->ports, o);
}

static int
compare_ofport(const void *a_, const void *b_)
{
    struct json_object *const *a = a_, *const *b = b_;
    struct json_object *x, *y;

    json_object_object_get_ex(*a, "ofport", &x);
    json_object_object_get_ex(*b, "ofport", &y);
    uint64_t u = json_object_get_uint64(x), v = json_object_get_uint64(y);
    return u < v ? -1 : u > v;
}

int
switchd_method_show(void *aux, int argc RSW_UNUSED, const char *const argv[],
                    struct json_object **result, char **error)
{
    struct switchd *sd = aux;
    struct show_ctx c = {.sd = sd, .ports = json_object_new_array()};
    uint64_t n_flows = 0;

    if (ofproto_dump_tables(sd->ofp, argv[0], count_rules, &n_flows)
        || ofproto_for_each_port(sd->ofp, argv[0], show_port, &c)) {
        json_object_put(c.ports);
        return no_bridge("show", argv[0], error);
    }
    json_object_array_sort(c.ports, compare_ofport);
    *result = json_object_new_object();
    JSON_ADD_STR(*result, "bridge", argv[0]);
    JSON_ADD_U64(*result, "n_tables", OFP_N_TABLES);
    JSON_ADD_U64(*result, "n_flows", n_flows);
    json_object_object_add(*result, "ports", c.ports);
    return 0;
}

/* ---- rsw-appctl: trace, fdb-show --------------------------------------- */

int
switchd_method_trace(void *aux, int argc RSW_UNUSED, const char *const argv[],
                     struct json_object **result, char **error)
{
    struct switchd *sd = aux;
    char msg[512] = "", *report = NULL;
    int err = ofproto_trace(sd->ofp, argv[0], argv[1], &report, msg,
                            sizeof msg);

    if (err == -ENOENT) {
        return no_bridge("trace", argv[0], error);
    }
    if (err) {
        *error = ctl_errorf("trace: %s", msg[0] ? msg : strerror(-err));
        return err;
    }
    *result = json_object_new_string(report ? report : "");
    free(report);
    return 0;
}

static void
fdb_entry(void *aux, const uint8_t m[6], uint16_t vlan, uint32_t ofport,
          uint64_t age)
{
    struct json_object *o = json_object_new_object();
    char mac[18];

    snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x",
             m[0], m[1], m[2], m[3], m[4], m[5]);
    JSON_ADD_U64(o, "port", ofport);
    JSON_ADD_U64(o, "vlan", vlan);
    JSON_ADD_STR(o, "mac", mac);
    JSON_ADD_U64(o, "age", age);
    json_object_array_add(aux, o);
}

int
switchd_method_fdb_show(void *aux, int argc RSW_UNUSED,
                        const char *const argv[],
                        struct json_object **result, char **error)
{
    struct switchd *sd = aux;
    struct json_object *a = json_object_new_array();

    if (ofproto_for_each_mac(sd->ofp, argv[0], fdb_entry, a)) {
        json_object_put(a);
        return no_bridge("fdb-show", argv[0], error);
    }
    *result = a;
    return 0;
}
