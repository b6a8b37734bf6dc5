/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-switchd control-socket methods: configuration (bridges, ports,
 * rules) and introspection (counters, queues, megaflows).  Results are
 * JSON; the CLI tools render them. */
#include "switchd.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_version.h>

#include "ctl_server.h"
#include "datapath/dpif.h"
#include "datapath/l2br.h"
#include "datapath/port.h"

#define MAX_PORT_ARGS 8
#define MAX_DUMP_FLOWS 4096

#define JSON_ADD_U64(obj, key, v) \
    json_object_object_add(obj, key, json_object_new_uint64(v))
#define JSON_ADD_STR(obj, key, v) \
    json_object_object_add(obj, key, json_object_new_string(v))

static int
method_add_br(void *aux, int argc RSW_UNUSED, const char *const argv[],
              struct json_object **result RSW_UNUSED, char **error)
{
    struct switchd *sd = aux;
    int err = l2br_add_bridge(sd->l2, argv[0]);

    if (err) {
        *error = ctl_errorf("add-br %s: %s", argv[0], err == -EEXIST
                            ? "bridge exists" : err == -EINVAL
                            ? "invalid bridge name" : strerror(-err));
    }
    return err;
}

struct name_list {
    char names[DP_MAX_PORTS][L2BR_NAME_MAX];
    unsigned n;
};

static void
collect_port(void *aux, const char *name, uint32_t dp_port RSW_UNUSED,
             uint32_t ofport RSW_UNUSED)
{
    struct name_list *l = aux;

    if (l->n < DP_MAX_PORTS) {
        snprintf(l->names[l->n++], L2BR_NAME_MAX, "%s", name);
    }
}

/* Detaches port 'name' from the slow path, the main loop and the
 * datapath, in that order (so nothing forwards to it while it goes). */
static int
port_remove(struct switchd *sd, const char *name)
{
    uint32_t dp_port;
    int err = l2br_del_port(sd->l2, name, &dp_port);

    if (err) {
        return err;
    }
    struct port *p = dpif_port_get(sd->dp, dp_port);
    if (p) {
        switchd_unwatch_port(sd, p);
    }
    return dpif_port_del(sd->dp, dp_port);
}

static int
method_del_br(void *aux, int argc RSW_UNUSED, const char *const argv[],
              struct json_object **result RSW_UNUSED, char **error)
{
    struct switchd *sd = aux;
    struct name_list *l = calloc(1, sizeof *l);
    int err;

    if (!l) {
        return -ENOMEM;
    }
    err = l2br_for_each_port(sd->l2, argv[0], collect_port, l);
    for (unsigned i = 0; !err && i < l->n; i++) {
        err = port_remove(sd, l->names[i]);
    }
    if (!err) {
        err = l2br_del_bridge(sd->l2, argv[0]);
    }
    if (err) {
        *error = ctl_errorf("del-br %s: %s", argv[0], err == -ENOENT
                            ? "no such bridge" : strerror(-err));
    }
    free(l);
    return err;
}

struct add_port_req {
    const char *type;
    uint32_t ofport_request;
    struct port_arg args[MAX_PORT_ARGS];
    unsigned n_args;
};

/* "type=T", "options:K=V", "ofport_request=N". */
static int
parse_port_words(int argc, const char *const argv[], struct add_port_req *r,
                 char **error)
{
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i], *eq = strchr(w, '=');
        if (!eq || eq == w || !eq[1]) {
            *error = ctl_errorf("add-port: expected KEY=VALUE, got '%s'", w);
            return -EINVAL;
        }
        if (!strncmp(w, "type=", 5)) {
            r->type = eq + 1;
        } else if (!strncmp(w, "ofport_request=", 15)) {
            char *end;
            unsigned long v = strtoul(eq + 1, &end, 10);
            if (*end || !v || v > PORT_RULES_MAX_OFPORT) {
                *error = ctl_errorf("add-port: ofport_request must be "
                                    "1..%u", PORT_RULES_MAX_OFPORT);
                return -EINVAL;
            }
            r->ofport_request = (uint32_t) v;
        } else if (!strncmp(w, "options:", 8) && r->n_args < MAX_PORT_ARGS) {
            /* Keys point into argv: cut at '=' in a private copy. */
            char *key = strndup(w + 8, (size_t) (eq - (w + 8)));
            if (!key) {
                return -ENOMEM;
            }
            r->args[r->n_args].key = key;
            r->args[r->n_args++].value = eq + 1;
        } else {
            *error = ctl_errorf("add-port: unknown setting '%s' (supported: "
                                "type=, options:KEY=, ofport_request=)", w);
            return -EINVAL;
        }
    }
    if (!r->type) {
        *error = ctl_errorf("add-port: type=vhostuser|vhostuserclient is "
                            "required");
        return -EINVAL;
    }
    return 0;
}

static int
port_attach(struct switchd *sd, const char *br, const char *name,
            const struct add_port_req *r, char **error)
{
    struct port_args pa = {.args = r->args, .n = r->n_args};
    struct port_hooks hooks = dpif_port_hooks(sd->dp);
    struct port *port;
    uint32_t port_no, ofport;
    char msg[256] = "";
    int err;

    err = port_create(r->type, name, &pa, &hooks, &port, msg, sizeof msg);
    if (err) {
        *error = ctl_errorf("add-port %s: %s", name, msg);
        return err;
    }
    err = dpif_port_add(sd->dp, port, &port_no);
    if (err) {
        port_destroy(port);
        goto err_msg;
    }
    err = switchd_watch_port(sd, port);
    if (err) {
        goto err_del;
    }
    err = l2br_add_port(sd->l2, br, name, port_no, r->ofport_request, &ofport);
    if (err) {
        switchd_unwatch_port(sd, port);
        goto err_del;
    }
    return 0;

err_del:
    if (dpif_port_del(sd->dp, port_no)) {
        /* Only -ENOMEM for the new snapshot: the port stays attached
         * but unreachable (on no bridge); nothing better to do. */
        port_no = 0;
    }
err_msg:
    *error = ctl_errorf("add-port %s: %s", name, err == -EBUSY
                        ? "ofport_request already in use" : strerror(-err));
    return err;
}

static int
method_add_port(void *aux, int argc, const char *const argv[],
                struct json_object **result RSW_UNUSED, char **error)
{
    struct switchd *sd = aux;
    struct add_port_req r = {0};
    char br[L2BR_NAME_MAX];
    uint32_t a, b;
    int err;

    if (!l2br_has_bridge(sd->l2, argv[0])) {
        *error = ctl_errorf("add-port: no bridge named %s", argv[0]);
        return -ENOENT;
    }
    if (!l2br_find_port(sd->l2, argv[1], br, &a, &b)) {
        *error = ctl_errorf("add-port: %s already exists on %s", argv[1], br);
        return -EEXIST;
    }
    err = parse_port_words(argc - 2, argv + 2, &r, error);
    if (!err) {
        err = port_attach(sd, argv[0], argv[1], &r, error);
    }
    for (unsigned i = 0; i < r.n_args; i++) {
        free((char *) r.args[i].key);
    }
    return err;
}

static int
method_del_port(void *aux, int argc RSW_UNUSED, const char *const argv[],
                struct json_object **result RSW_UNUSED, char **error)
{
    struct switchd *sd = aux;
    char br[L2BR_NAME_MAX];
    uint32_t dp_port, ofport;
    int err = l2br_find_port(sd->l2, argv[1], br, &dp_port, &ofport);

    if (err || strcmp(br, argv[0])) {
        *error = ctl_errorf("del-port: bridge %s has no port %s", argv[0],
                            argv[1]);
        return -ENOENT;
    }
    err = port_remove(sd, argv[1]);
    if (err) {
        *error = ctl_errorf("del-port %s: %s", argv[1], strerror(-err));
    }
    return err;
}

struct port_json_ctx {
    struct switchd *sd;
    struct json_object *array;
    const char *only;          /* one port, or NULL */
};

static void
show_port(void *aux, const char *name, uint32_t dp_port, uint32_t ofport)
{
    struct port_json_ctx *c = aux;
    struct port *p = dpif_port_get(c->sd->dp, dp_port);
    struct json_object *o = json_object_new_object();
    char status[256] = "";

    if (p) {
        p->class->get_status(p, status, sizeof status);
    }
    JSON_ADD_STR(o, "port", name);
    JSON_ADD_U64(o, "ofport", ofport);
    JSON_ADD_U64(o, "dp_port", dp_port);
    JSON_ADD_STR(o, "type", p ? p->type : "?");
    JSON_ADD_STR(o, "status", status);
    json_object_array_add(c->array, o);
}

static void
show_bridge(void *aux, const char *br)
{
    struct port_json_ctx *c = aux;
    struct json_object *o = json_object_new_object();
    struct port_json_ctx pc = {.sd = c->sd, .array = json_object_new_array()};

    JSON_ADD_STR(o, "bridge", br);
    /* Called under l2br's lock: this nested walk must not lock again, so
     * ports are listed by a second pass below. */
    json_object_object_add(o, "ports", pc.array);
    json_object_array_add(c->array, o);
}

static int
method_show(void *aux, int argc RSW_UNUSED,
            const char *const argv[] RSW_UNUSED,
            struct json_object **result, char **error RSW_UNUSED)
{
    struct switchd *sd = aux;
    struct port_json_ctx c = {.sd = sd, .array = json_object_new_array()};

    l2br_for_each_bridge(sd->l2, show_bridge, &c);
    for (size_t i = 0; i < json_object_array_length(c.array); i++) {
        struct json_object *b = json_object_array_get_idx(c.array, i), *n, *p;
        json_object_object_get_ex(b, "bridge", &n);
        json_object_object_get_ex(b, "ports", &p);
        struct port_json_ctx pc = {.sd = sd, .array = p};
        if (l2br_for_each_port(sd->l2, json_object_get_string(n),
                               show_port, &pc)) {
            continue;   /* deleted meanwhile: nothing to list */
        }
    }
    *result = c.array;
    return 0;
}

static int
method_add_flow(void *aux, int argc RSW_UNUSED, const char *const argv[],
                struct json_object **result RSW_UNUSED, char **error)
{
    struct switchd *sd = aux;
    char msg[256];
    int err = l2br_add_rule(sd->l2, argv[0], argv[1], msg, sizeof msg);

    if (err) {
        *error = ctl_errorf("add-flow: %s", msg);
    }
    return err;
}

static int
method_del_flows(void *aux, int argc RSW_UNUSED, const char *const argv[],
                 struct json_object **result RSW_UNUSED, char **error)
{
    struct switchd *sd = aux;
    int err = l2br_del_rules(sd->l2, argv[0]);

    if (err) {
        *error = ctl_errorf("del-flows: no bridge named %s", argv[0]);
    }
    return err;
}

static void
dump_rule(void *aux, const struct port_rule *r)
{
    struct json_object *o = json_object_new_object();
    char buf[512];

    JSON_ADD_U64(o, "n_upcalls", r->n_packets);
    JSON_ADD_STR(o, "flow", port_rule_format(r, buf, sizeof buf));
    json_object_array_add(aux, o);
}

static int
method_dump_flows(void *aux, int argc RSW_UNUSED, const char *const argv[],
                  struct json_object **result, char **error)
{
    struct switchd *sd = aux;
    struct json_object *a = json_object_new_array();

    if (l2br_for_each_rule(sd->l2, argv[0], dump_rule, a)) {
        json_object_put(a);
        *error = ctl_errorf("dump-flows: no bridge named %s", argv[0]);
        return -ENOENT;
    }
    *result = a;
    return 0;
}

static void
dump_port(void *aux, const char *name, uint32_t dp_port, uint32_t ofport)
{
    struct port_json_ctx *c = aux;
    struct port *p = dpif_port_get(c->sd->dp, dp_port);
    struct json_object *o, *drops;
    struct port_stats s;

    if (!p || (c->only && strcmp(c->only, name))) {
        return;
    }
    port_get_stats(p, &s);
    o = json_object_new_object();
    drops = json_object_new_object();
    JSON_ADD_STR(o, "port", name);
    JSON_ADD_U64(o, "ofport", ofport);
    JSON_ADD_U64(o, "rx_packets", s.rx_packets);
    JSON_ADD_U64(o, "rx_bytes", s.rx_bytes);
    JSON_ADD_U64(o, "tx_packets", s.tx_packets);
    JSON_ADD_U64(o, "tx_bytes", s.tx_bytes);
    for (int r = 0; r < PORT_DROP_N; r++) {
        JSON_ADD_U64(drops, port_drop_reason_name(r), s.drops[r]);
    }
    json_object_object_add(o, "drops", drops);
    json_object_array_add(c->array, o);
}

static int
method_dump_ports(void *aux, int argc, const char *const argv[],
                  struct json_object **result, char **error)
{
    struct switchd *sd = aux;
    struct port_json_ctx c = {.sd = sd, .array = json_object_new_array(),
                              .only = argc > 1 ? argv[1] : NULL};

    if (l2br_for_each_port(sd->l2, argv[0], dump_port, &c)) {
        json_object_put(c.array);
        *error = ctl_errorf("dump-ports: no bridge named %s", argv[0]);
        return -ENOENT;
    }
    if (c.only && !json_object_array_length(c.array)) {
        json_object_put(c.array);
        *error = ctl_errorf("dump-ports: bridge %s has no port %s", argv[0],
                            c.only);
        return -ENOENT;
    }
    *result = c.array;
    return 0;
}

static int
method_pmd_stats_show(void *aux, int argc RSW_UNUSED,
                      const char *const argv[] RSW_UNUSED,
                      struct json_object **result, char **error RSW_UNUSED)
{
    struct switchd *sd = aux;
    struct json_object *a = json_object_new_array();

    for (unsigned i = 0; i < dpif_n_pmds(sd->dp); i++) {
        struct json_object *o = json_object_new_object();
        struct dpif_pmd_info info;
        dpif_pmd_info(sd->dp, i, &info);
        const struct dpif_pmd_stats *s = &info.stats;
        uint64_t total = s->busy_cycles + s->idle_cycles;
        JSON_ADD_U64(o, "pmd_core", info.core);
        json_object_object_add(o, "numa", json_object_new_int(info.numa));
        JSON_ADD_U64(o, "packets", s->packets);
        JSON_ADD_U64(o, "emc_hits", s->emc_hits);
        JSON_ADD_U64(o, "megaflow_hits", s->dpcls_hits);
        JSON_ADD_U64(o, "upcalls", s->upcalls);
        JSON_ADD_U64(o, "lost", s->lost);
        JSON_ADD_U64(o, "megaflows", info.n_flows);
        JSON_ADD_U64(o, "cache_flushes", s->flow_flushes);
        JSON_ADD_U64(o, "busy_cycles", s->busy_cycles);
        JSON_ADD_U64(o, "idle_cycles", s->idle_cycles);
        JSON_ADD_U64(o, "busy_pct", total ? s->busy_cycles * 100 / total : 0);
        JSON_ADD_U64(o, "cycles_per_packet",
                     s->packets ? s->busy_cycles / s->packets : 0);
        json_object_array_add(a, o);
    }
    *result = a;
    return 0;
}

static int
method_pmd_stats_clear(void *aux, int argc RSW_UNUSED,
                       const char *const argv[] RSW_UNUSED,
                       struct json_object **result RSW_UNUSED,
                       char **error RSW_UNUSED)
{
    struct switchd *sd = aux;

    dpif_pmd_stats_clear(sd->dp);
    return 0;
}

static void
rxq_show(void *aux, const struct dpif_rxq_info *q)
{
    struct json_object *o = json_object_new_object();

    JSON_ADD_U64(o, "pmd_core", q->pmd_core);
    json_object_object_add(o, "pmd_numa", json_object_new_int(q->pmd_numa));
    JSON_ADD_STR(o, "port", q->port);
    JSON_ADD_U64(o, "queue", q->qid);
    json_object_object_add(o, "rxq_numa", json_object_new_int(q->rxq_numa));
    json_object_object_add(o, "cross_numa",
                           json_object_new_boolean(q->cross_numa));
    json_object_array_add(aux, o);
}

static int
method_pmd_rxq_show(void *aux, int argc RSW_UNUSED,
                    const char *const argv[] RSW_UNUSED,
                    struct json_object **result, char **error RSW_UNUSED)
{
    struct switchd *sd = aux;

    *result = json_object_new_array();
    dpif_rxq_for_each(sd->dp, rxq_show, *result);
    return 0;
}

static struct json_object *
flow_json(const struct dpif_flow_info *f)
{
    struct json_object *o = json_object_new_object();
    char buf[FLOW_FORMAT_SIZE];
    char acts[DP_ACTIONS_MAX_OUTPUTS * 16];

    JSON_ADD_U64(o, "hits", f->hits);
    JSON_ADD_STR(o, "actions", dp_actions_format(&f->actions, acts,
                                                 sizeof acts));
    JSON_ADD_STR(o, "match", flow_format(&f->key, buf, sizeof buf));
    JSON_ADD_STR(o, "mask", flow_format(&f->mask.masks, buf, sizeof buf));
    return o;
}

static int
method_dump_dp_flows(void *aux, int argc RSW_UNUSED,
                     const char *const argv[] RSW_UNUSED,
                     struct json_object **result, char **error RSW_UNUSED)
{
    struct switchd *sd = aux;
    struct dpif_flow_info *buf = calloc(MAX_DUMP_FLOWS, sizeof *buf);
    struct json_object *a;

    if (!buf) {
        return -ENOMEM;
    }
    a = json_object_new_array();
    for (unsigned i = 0; i < dpif_n_pmds(sd->dp); i++) {
        struct json_object *o = json_object_new_object(), *fl;
        struct dpif_pmd_info info;
        unsigned n = dpif_pmd_dump_flows(sd->dp, i, buf, MAX_DUMP_FLOWS);
        dpif_pmd_info(sd->dp, i, &info);
        fl = json_object_new_array();
        for (unsigned k = 0; k < n && k < MAX_DUMP_FLOWS; k++) {
            json_object_array_add(fl, flow_json(&buf[k]));
        }
        JSON_ADD_U64(o, "pmd_core", info.core);
        JSON_ADD_U64(o, "megaflows", n);
        json_object_object_add(o, "flows", fl);
        json_object_array_add(a, o);
    }
    free(buf);
    *result = a;
    return 0;
}

static void
fdb_entry(void *aux, const uint8_t m[6], uint32_t ofport, uint64_t age)
{
    struct json_object *o = json_object_new_object();
    char mac[18];

    snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x",
             m[0], m[1], m[2], m[3], m[4], m[5]);
    JSON_ADD_U64(o, "port", ofport);
    JSON_ADD_STR(o, "mac", mac);
    JSON_ADD_U64(o, "age", age);
    json_object_array_add(aux, o);
}

static int
method_fdb_show(void *aux, int argc RSW_UNUSED, const char *const argv[],
                struct json_object **result, char **error)
{
    struct switchd *sd = aux;
    struct json_object *a = json_object_new_array();

    if (l2br_for_each_mac(sd->l2, argv[0], fdb_entry, a)) {
        json_object_put(a);
        *error = ctl_errorf("fdb-show: no bridge named %s", argv[0]);
        return -ENOENT;
    }
    *result = a;
    return 0;
}

static int
method_version(void *aux RSW_UNUSED, int argc RSW_UNUSED,
               const char *const argv[] RSW_UNUSED,
               struct json_object **result, char **error RSW_UNUSED)
{
    char buf[128];

    snprintf(buf, sizeof buf, "rsw-switchd (Ringswitch) %s, %s",
             RSW_VERSION, rte_version());
    *result = json_object_new_string(buf);
    return 0;
}

static int
method_exit(void *aux, int argc RSW_UNUSED,
            const char *const argv[] RSW_UNUSED,
            struct json_object **result RSW_UNUSED, char **error RSW_UNUSED)
{
    struct switchd *sd = aux;

    sd->exiting = true;
    return 0;
}

static int
method_list_commands(void *aux RSW_UNUSED, int argc RSW_UNUSED,
                     const char *const argv[] RSW_UNUSED,
                     struct json_object **result, char **error RSW_UNUSED)
{
    struct json_object *a = json_object_new_array();

    for (unsigned i = 0; i < switchd_n_methods; i++) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s %s", switchd_methods[i].name,
                 switchd_methods[i].usage);
        json_object_array_add(a, json_object_new_string(buf));
    }
    *result = a;
    return 0;
}

const struct ctl_method switchd_methods[] = {
    {"add-br", 1, 1, "BR", method_add_br},
    {"del-br", 1, 1, "BR", method_del_br},
    {"add-port", 3, 2 + MAX_PORT_ARGS + 2,
     "BR PORT type=vhostuser|vhostuserclient options:path=S|"
     "options:server-path=S [ofport_request=N]", method_add_port},
    {"del-port", 2, 2, "BR PORT", method_del_port},
    {"show", 0, 0, "", method_show},
    {"add-flow", 2, 2, "BR FLOW", method_add_flow},
    {"del-flows", 1, 1, "BR", method_del_flows},
    {"dump-flows", 1, 1, "BR", method_dump_flows},
    {"dump-ports", 1, 2, "BR [PORT]", method_dump_ports},
    {"pmd-stats-show", 0, 0, "", method_pmd_stats_show},
    {"pmd-stats-clear", 0, 0, "", method_pmd_stats_clear},
    {"pmd-rxq-show", 0, 0, "", method_pmd_rxq_show},
    {"dump-dp-flows", 0, 0, "", method_dump_dp_flows},
    {"fdb-show", 1, 1, "BR", method_fdb_show},
    {"version", 0, 0, "", method_version},
    {"list-commands", 0, 0, "", method_list_commands},
    {"exit", 0, 0, "", method_exit},
};
const unsigned switchd_n_methods = RSW_ARRAY_SIZE(switchd_methods);
