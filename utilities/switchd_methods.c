/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-switchd's runtime control-socket methods: the method table and
 * introspection (port counters, PMDs, queues, megaflows).  The OpenFlow
 * methods live in switchd_flows.c, capture in switchd_capture.c.  Bridges
 * and ports are configured through the database (switchd_db.h).  Results
 * are JSON; the CLI tools render them. */
#include "switchd.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_version.h>

#include "ctl_server.h"
#include "datapath/dpif.h"
#include "datapath/port.h"
#include "ofproto/ofproto.h"

#define MAX_DUMP_FLOWS 4096

#define JSON_ADD_U64(obj, key, v) \
    json_object_object_add(obj, key, json_object_new_uint64(v))
#define JSON_ADD_STR(obj, key, v) \
    json_object_object_add(obj, key, json_object_new_string(v))

struct port_json_ctx {
    struct switchd *sd;
    struct json_object *array;
    const char *only;          /* one port, or NULL */
};

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

    if (ofproto_for_each_port(sd->ofp, argv[0], dump_port, &c)) {
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
        JSON_ADD_U64(o, "emc_bypassed", s->emc_bypassed);
        JSON_ADD_U64(o, "megaflow_hits", s->dpcls_hits);
        JSON_ADD_U64(o, "upcalls", s->upcalls);
        JSON_ADD_U64(o, "lost", s->lost);
        JSON_ADD_U64(o, "megaflows", info.n_flows);
        JSON_ADD_U64(o, "cache_flushes", s->flow_flushes);
        JSON_ADD_U64(o, "megaflows_invalidated", s->flows_invalidated);
        JSON_ADD_U64(o, "busy_cycles", s->busy_cycles);
        JSON_ADD_U64(o, "idle_cycles", s->idle_cycles);
        JSON_ADD_U64(o, "busy_pct", total ? s->busy_cycles * 100 / total : 0);
        JSON_ADD_U64(o, "cycles_per_packet",
                     s->packets ? s->busy_cycles / s->packets : 0);
        JSON_ADD_U64(o, "iterations", s->iterations);
        JSON_ADD_U64(o, "max_iter_cycles", info.max_iter_cycles);
        JSON_ADD_U64(o, "max_iter_us", info.max_iter_us);
        /* Packets per non-empty rx burst: per-burst costs (ring index
         * reads, output flushes, notifications) are shared by this many. */
        json_object_object_add(o, "avg_rx_batch", json_object_new_double(
            s->rx_batches ? (double)s->packets / s->rx_batches : 0));
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
    JSON_ADD_U64(o, "cycles", q->cycles);
    JSON_ADD_U64(o, "pmd_pct", q->pmd_pct);
    json_object_array_add(aux, o);
}

static void
rxq_moved(void *aux, const struct dpif_rxq_info *q, unsigned from_core)
{
    struct json_object *o = json_object_new_object();

    JSON_ADD_STR(o, "port", q->port);
    JSON_ADD_U64(o, "queue", q->qid);
    JSON_ADD_U64(o, "cycles", q->cycles);
    JSON_ADD_U64(o, "from_pmd_core", from_core);
    JSON_ADD_U64(o, "to_pmd_core", q->pmd_core);
    json_object_object_add(o, "cross_numa",
                           json_object_new_boolean(q->cross_numa));
    json_object_array_add(aux, o);
}

static int
method_pmd_rxq_rebalance(void *aux, int argc RSW_UNUSED,
                         const char *const argv[] RSW_UNUSED,
                         struct json_object **result, char **error)
{
    struct switchd *sd = aux;
    struct json_object *o, *moved = json_object_new_array();
    double before = 0, after = 0;
    int err = dpif_rxq_rebalance(sd->dp, rxq_moved, moved, &before, &after);

    if (err) {
        json_object_put(moved);
        *error = ctl_errorf("pmd-rxq-rebalance: %s", strerror(-err));
        return err;
    }
    o = json_object_new_object();
    JSON_ADD_U64(o, "n_moved", json_object_array_length(moved));
    json_object_object_add(o, "moved", moved);
    /* Of the PMDs' loads in percent of all measured queue cycles. */
    json_object_object_add(o, "variance_before",
                           json_object_new_double(before));
    json_object_object_add(o, "variance_after",
                           json_object_new_double(after));
    *result = o;
    return 0;
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
    char acts[DP_ACTIONS_FORMAT_SIZE];

    /* OVS's dpctl/dump-flows names: packets, bytes. */
    JSON_ADD_U64(o, "packets", f->hits);
    JSON_ADD_U64(o, "bytes", f->bytes);
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
    {"add-flow", 2, 2, "BR FLOW", switchd_method_add_flow},
    {"add-flows", 2, 2, "BR FLOWS-TEXT", switchd_method_add_flows},
    {"mod-flows", 2, 3, "BR FLOW [--strict]", switchd_method_mod_flows},
    {"del-flows", 1, 3, "BR [MATCH] [--strict]", switchd_method_del_flows},
    {"replace-flows", 2, 2, "BR FLOWS-TEXT", switchd_method_replace_flows},
    {"dump-flows", 1, 2, "BR [MATCH]", switchd_method_dump_flows},
    {"dump-tables", 1, 1, "BR", switchd_method_dump_tables},
    {"show", 1, 1, "BR", switchd_method_show},
    {"dump-ports", 1, 2, "BR [PORT]", method_dump_ports},
    {"pmd-stats-show", 0, 0, "", method_pmd_stats_show},
    {"pmd-stats-clear", 0, 0, "", method_pmd_stats_clear},
    {"pmd-rxq-show", 0, 0, "", method_pmd_rxq_show},
    {"pmd-rxq-rebalance", 0, 0, "", method_pmd_rxq_rebalance},
    {"dump-dp-flows", 0, 0, "", method_dump_dp_flows},
    {"fdb-show", 1, 1, "BR", switchd_method_fdb_show},
    {"trace", 2, 2, "BR PACKET", switchd_method_trace},
    {"capture", 2, 2 + 64, "PORT FILE [BPF FILTER] [--count N] [--duration S]"
     " [--snaplen N] [--rx|--tx]", switchd_method_capture},
    {"capture-stop", 1, 1, "PORT", switchd_method_capture_stop},
    {"capture-show", 0, 0, "", switchd_method_capture_show},
    {"version", 0, 0, "", method_version},
    {"list-commands", 0, 0, "", method_list_commands},
    {"exit", 0, 0, "", method_exit},
};
const unsigned switchd_n_methods = RSW_ARRAY_SIZE(switchd_methods);
