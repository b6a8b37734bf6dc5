/* SPDX-License-Identifier: Apache-2.0 */
/* A small RFC 7047 client for the ovsdb-lite integration tests and the
 * benchmark; speaks plain JSON-RPC so it works against Open vSwitch's
 * ovsdb-server too.
 *
 *   ovsdb_client SOCK stream START COUNT ACKFILE SENTFILE
 *       one transaction per change i in [START, START+COUNT): insert
 *       Interface i-N, Port p-N, Bridge br-N and add it to the root row;
 *       "N" goes to SENTFILE before sending and to ACKFILE when the
 *       reply says committed.  Exit 3 if the connection is lost.
 *   ovsdb_client SOCK verify ACKFILE SENTFILE MAXEXTRA
 *       the database holds every acknowledged change, whole, and at most
 *       MAXEXTRA unacknowledged (in-flight) ones, all whole.
 *   ovsdb_client SOCK concurrent TAG COUNT OUTFILE
 *       COUNT transactions each inserting bridge TAG-i and incrementing
 *       Ringswitch next_cfg; writes "CFG NAME" for each.
 *   ovsdb_client SOCK monitor COUNT OUTFILE
 *       monitors Bridge and Ringswitch; for each update writes "CFG NAME"
 *       and checks it holds exactly one new bridge and next_cfg + 1.
 *   ovsdb_client SOCK bench DB N DURABLE
 *       N add-port and N del-port transactions on bridge br0 of database
 *       DB (Ringswitch or Open_vSwitch), with a second connection
 *       monitoring Port; prints txn/s and monitor latency.  Every
 *       transaction carries {"op":"commit","durable":DURABLE}. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ovsdb-lite/jsonrpc.h"
#include "ovsdb-lite/util.h"

#define TIMEOUT_MS 30000

static int next_id = 1;

static json_object *
parse(const char *text)
{
    json_object *j = json_tokener_parse(text);
    if (!j) {
        fprintf(stderr, "ovsdb_client: bad JSON: %s\n", text);
        exit(2);
    }
    return j;
}

/* Sends a request and returns its reply (notifications are dropped);
 * NULL if the connection failed. */
static json_object *
call(struct jsonrpc *rpc, const char *method, json_object *params)
{
    int id = next_id++;
    if (jsonrpc_send_block(rpc, jsonrpc_create_request(method, params,
                           json_object_new_int(id)), TIMEOUT_MS)) {
        return NULL;
    }
    for (;;) {
        json_object *msg, *jid;
        if (jsonrpc_recv_block(rpc, &msg, TIMEOUT_MS)) {
            return NULL;
        }
        if (json_object_object_get_ex(msg, "id", &jid) && jid
            && json_object_get_int(jid) == id) {
            return msg;
        }
        json_object_put(msg);
    }
}

static json_object *
get(json_object *obj, const char *name)
{
    json_object *v = NULL;
    json_object_object_get_ex(obj, name, &v);
    return v;
}

/* Whether a transact reply committed: no "error" anywhere. */
static bool
committed(json_object *reply)
{
    json_object *res = get(reply, "result");
    if (!res || get(reply, "error")) {
        return false;
    }
    for (size_t i = 0; i < ovsdb_json_len(res); i++) {
        if (get(ovsdb_json_idx(res, i), "error")) {
            return false;
        }
    }
    return true;
}

static struct jsonrpc *
connect_or_die(const char *sock)
{
    struct jsonrpc *rpc;
    int error = jsonrpc_connect_unix(sock, &rpc);
    if (error) {
        fprintf(stderr, "ovsdb_client: connect %s: %s\n", sock,
                strerror(-error));
        exit(3);
    }
    return rpc;
}

static json_object *
add_bridge_params(const char *br, const char *port, const char *iface,
                  const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text, "[\"Ringswitch\","
        "{\"op\":\"insert\",\"table\":\"Interface\",\"uuid-name\":\"i\","
        "\"row\":{\"name\":\"%s\",\"type\":\"vhostuser\"}},"
        "{\"op\":\"insert\",\"table\":\"Port\",\"uuid-name\":\"p\","
        "\"row\":{\"name\":\"%s\",\"interfaces\":[\"named-uuid\",\"i\"]}},"
        "{\"op\":\"insert\",\"table\":\"Bridge\",\"uuid-name\":\"b\","
        "\"row\":{\"name\":\"%s\",\"ports\":[\"named-uuid\",\"p\"]}},"
        "{\"op\":\"mutate\",\"table\":\"Ringswitch\",\"where\":[],"
        "\"mutations\":[[\"bridges\",\"insert\",[\"named-uuid\",\"b\"]]]}"
        "%s]", iface, port, br, extra);
    return parse(text);
}

static void
append_line(FILE *f, const char *line)
{
    fprintf(f, "%s\n", line);
    fflush(f);
}

/* One change: 0 acknowledged, 3 connection lost, 1 refused. */
static int
stream_one(struct jsonrpc *rpc, long i, FILE *ack, FILE *sent)
{
    char br[32], p[32], in[32], n[32];
    snprintf(br, sizeof br, "br-%ld", i);
    snprintf(p, sizeof p, "p-%ld", i);
    snprintf(in, sizeof in, "i-%ld", i);
    snprintf(n, sizeof n, "%ld", i);
    append_line(sent, n);
    json_object *r = call(rpc, "transact", add_bridge_params(br, p, in, ""));
    if (!r) {
        fprintf(stderr, "ovsdb_client: connection lost at %ld\n", i);
        return 3;
    }
    int rc = committed(r) ? 0 : 1;
    if (rc) {
        fprintf(stderr, "ovsdb_client: change %ld refused: %s\n", i,
                json_object_to_json_string(r));
    } else {
        append_line(ack, n);
    }
    json_object_put(r);
    return rc;
}

static int
cmd_stream(struct jsonrpc *rpc, char **argv)
{
    long start = atol(argv[0]), count = atol(argv[1]);
    FILE *ack = fopen(argv[2], "a"), *sent = fopen(argv[3], "a");
    int rc = 0;
    if (!ack || !sent) {
        perror("ovsdb_client: stream files");
        rc = 2;
    }
    for (long i = start; !rc && i < start + count; i++) {
        rc = stream_one(rpc, i, ack, sent);
    }
    if (ack) {
        fclose(ack);
    }
    if (sent) {
        fclose(sent);
    }
    return rc;
}

/* Reads a file of one number per line into a 0/1 map. */
static int
read_set(const char *path, unsigned char *set, long max)
{
    FILE *f = fopen(path, "r");
    long v, n = 0;
    if (!f) {
        return 0;
    }
    while (fscanf(f, "%ld", &v) == 1) {
        if (v >= 0 && v < max) {
            set[v] = 1;
            n++;
        }
    }
    fclose(f);
    return n;
}

static json_object *
select_all(struct jsonrpc *rpc)
{
    json_object *r = call(rpc, "transact", parse("[\"Ringswitch\","
        "{\"op\":\"select\",\"table\":\"Bridge\",\"where\":[],"
        " \"columns\":[\"_uuid\",\"name\",\"ports\"]},"
        "{\"op\":\"select\",\"table\":\"Port\",\"where\":[],"
        " \"columns\":[\"name\",\"interfaces\"]},"
        "{\"op\":\"select\",\"table\":\"Interface\",\"where\":[],"
        " \"columns\":[\"name\"]},"
        "{\"op\":\"select\",\"table\":\"Ringswitch\",\"where\":[],"
        " \"columns\":[\"bridges\"]}]"));
    if (!r || !committed(r)) {
        fprintf(stderr, "ovsdb_client: verify select failed\n");
        exit(1);
    }
    return r;
}

static size_t
n_rows(json_object *res, size_t op)
{
    return json_object_array_length(get(ovsdb_json_idx(res, op), "rows"));
}

#define MAXN 1000000

static int
cmd_verify(struct jsonrpc *rpc, char **argv)
{
    unsigned char *acked = calloc(MAXN, 1), *sent = calloc(MAXN, 1);
    unsigned char *have = calloc(MAXN, 1);
    long max_extra = atol(argv[2]), n_acked, extra = 0, missing = 0;
    n_acked = read_set(argv[0], acked, MAXN);
    read_set(argv[1], sent, MAXN);
    json_object *r = select_all(rpc), *res = get(r, "result");
    json_object *brs = get(ovsdb_json_idx(res, 0), "rows");
    size_t nb = json_object_array_length(brs);
    for (size_t i = 0; i < nb; i++) {
        json_object *row = json_object_array_get_idx(brs, i);
        long n;
        if (sscanf(json_object_get_string(get(row, "name")), "br-%ld", &n)
            != 1 || n < 0 || n >= MAXN || !sent[n]) {
            fprintf(stderr, "FAIL: unexpected bridge %s\n",
                    json_object_get_string(get(row, "name")));
            return 1;
        }
        have[n] = 1;
        extra += !acked[n];
    }
    for (long n = 0; n < MAXN; n++) {
        missing += acked[n] && !have[n];
    }
    /* Whole transactions only: one port and interface per bridge, and
     * the root references every bridge. */
    json_object *root = get(json_object_array_get_idx(
        get(ovsdb_json_idx(res, 3), "rows"), 0), "bridges");
    size_t n_root = json_object_is_type(ovsdb_json_idx(root, 1),
                                        json_type_array)
                    ? json_object_array_length(ovsdb_json_idx(root, 1))
                    : nb == 1;
    size_t np = n_rows(res, 1), ni = n_rows(res, 2);
    json_object_put(r);
    printf("verify: %zu bridges, %zu ports, %zu interfaces, root refs "
           "%zu; acked %ld, missing %ld, unacked present %ld (max %ld)\n",
           nb, np, ni, n_root, n_acked, missing, extra, max_extra);
    free(acked);
    free(sent);
    free(have);
    if (missing || extra > max_extra || np != nb || ni != nb
        || n_root != nb) {
        printf("FAIL: database does not match the acknowledged changes\n");
        return 1;
    }
    return 0;
}

static int
cmd_concurrent(struct jsonrpc *rpc, char **argv)
{
    const char *tag = argv[0];
    long count = atol(argv[1]);
    FILE *out = fopen(argv[2], "w");
    if (!out) {
        perror(argv[2]);
        return 2;
    }
    for (long i = 0; i < count; i++) {
        char br[32], p[32], in[32], line[64];
        snprintf(br, sizeof br, "%s-%ld", tag, i);
        snprintf(p, sizeof p, "p%s-%ld", tag, i);
        snprintf(in, sizeof in, "i%s-%ld", tag, i);
        json_object *r = call(rpc, "transact", add_bridge_params(br, p, in,
            ",{\"op\":\"mutate\",\"table\":\"Ringswitch\",\"where\":[],"
            "\"mutations\":[[\"next_cfg\",\"+=\",1]]},"
            "{\"op\":\"select\",\"table\":\"Ringswitch\",\"where\":[],"
            "\"columns\":[\"next_cfg\"]}"));
        if (!r || !committed(r)) {
            fprintf(stderr, "ovsdb_client: %s failed\n", br);
            return 1;
        }
        json_object *rows = get(ovsdb_json_idx(get(r, "result"), 5), "rows");
        snprintf(line, sizeof line, "%ld %s", (long) json_object_get_int64(
                 get(json_object_array_get_idx(rows, 0), "next_cfg")), br);
        append_line(out, line);
        json_object_put(r);
    }
    fclose(out);
    return 0;
}

/* One "update": exactly one new bridge and next_cfg one higher. */
static int
check_update(json_object *upd, long *cfg, FILE *out)
{
    json_object *br = get(upd, "Bridge"), *rs = get(upd, "Ringswitch");
    const char *name = NULL;
    int n_new = 0;
    long new_cfg = -1;
    json_object_object_foreach (br ? br : upd, uuid, ru) {
        (void) uuid;
        if (br && !get(ru, "old") && get(ru, "new")) {
            name = json_object_get_string(get(get(ru, "new"), "name"));
            n_new++;
        }
    }
    if (rs) {
        json_object_object_foreach (rs, u2, ru2) {
            (void) u2;
            new_cfg = json_object_get_int64(get(get(ru2, "new"),
                                                "next_cfg"));
        }
    }
    if (n_new != 1 || new_cfg != *cfg + 1) {
        fprintf(stderr, "FAIL: update with %d new bridges, next_cfg %ld "
                "after %ld: %s\n", n_new, new_cfg, *cfg,
                json_object_to_json_string(upd));
        return 1;
    }
    *cfg = new_cfg;
    fprintf(out, "%ld %s\n", new_cfg, name);
    fflush(out);
    return 0;
}

static int
cmd_monitor(struct jsonrpc *rpc, char **argv)
{
    long count = atol(argv[0]), seen = 0, cfg = 0;
    FILE *out = fopen(argv[1], "w");
    json_object *r = call(rpc, "monitor", parse("[\"Ringswitch\",\"m\","
        "{\"Bridge\":{\"columns\":[\"name\"],\"select\":{\"initial\":false,"
        "\"modify\":false,\"delete\":false}},"
        "\"Ringswitch\":{\"columns\":[\"next_cfg\"]}}]"));
    if (!r || !out || get(r, "error")) {
        fprintf(stderr, "ovsdb_client: monitor failed\n");
        return 1;
    }
    json_object *rs = get(get(r, "result"), "Ringswitch");
    json_object_object_foreach (rs, uuid, ru) {
        (void) uuid;
        cfg = json_object_get_int64(get(get(ru, "new"), "next_cfg"));
    }
    json_object_put(r);
    printf("ready\n");
    fflush(stdout);
    while (seen < count) {
        json_object *msg;
        if (jsonrpc_recv_block(rpc, &msg, TIMEOUT_MS)) {
            fprintf(stderr, "FAIL: only %ld of %ld updates\n", seen, count);
            return 1;
        }
        json_object *m = get(msg, "method");
        if (m && !strcmp(json_object_get_string(m), "update")) {
            if (check_update(ovsdb_json_idx(get(msg, "params"), 1), &cfg,
                             out)) {
                return 1;
            }
            seen++;
        }
        json_object_put(msg);
    }
    fclose(out);
    return 0;
}

/* ---- bench ---- */

struct bench {
    struct jsonrpc *a, *b;      /* transactions; monitor */
    const char *db;
    bool durable;
    double *lat_reply, *lat_send;   /* ms: update after reply / send */
    size_t n_lat;
};

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Takes what is readable on 'rpc': the reply 'id' (kept in '*reply') or
 * an update whose text contains 'key'. */
static int
take(struct jsonrpc *rpc, int id, const char *key, json_object **reply,
     bool *got_update)
{
    for (;;) {
        json_object *msg, *jid, *m;
        int error = jsonrpc_recv(rpc, &msg, NULL);
        if (error) {
            return error == -EAGAIN ? 0 : error;
        }
        if (json_object_object_get_ex(msg, "id", &jid) && jid
            && json_object_get_int(jid) == id) {
            *reply = msg;
            continue;
        }
        m = get(msg, "method");
        if (m && !strcmp(json_object_get_string(m), "update")
            && strstr(json_object_to_json_string(msg), key)) {
            *got_update = true;
        }
        json_object_put(msg);
    }
}

/* One transaction: its reply on 'a', its update (containing 'key') on
 * 'b'; records the monitor latencies. */
static json_object *
bench_txn(struct bench *bn, json_object *params, const char *key)
{
    int id = next_id++;
    double t_send = now_ms(), t_reply = 0, t_update = 0;
    json_object *reply = NULL;
    bool upd = false;
    if (jsonrpc_send_block(bn->a, jsonrpc_create_request("transact", params,
                           json_object_new_int(id)), TIMEOUT_MS)) {
        return NULL;
    }
    while (!reply || !upd) {
        struct pollfd pfd[2] = {
            { .fd = jsonrpc_get_fd(bn->a), .events = POLLIN },
            { .fd = jsonrpc_get_fd(bn->b), .events = POLLIN },
        };
        if (poll(pfd, 2, TIMEOUT_MS) <= 0
            || take(bn->a, id, "\x01", &reply, &upd)
            || take(bn->b, -1, key, &reply, &upd)) {
            fprintf(stderr, "ovsdb_client: bench: no reply/update\n");
            return NULL;
        }
        t_reply = reply && !t_reply ? now_ms() : t_reply;
        t_update = upd && !t_update ? now_ms() : t_update;
    }
    bn->lat_reply[bn->n_lat] = t_update - t_reply;
    bn->lat_send[bn->n_lat++] = t_update - t_send;
    return reply;
}

static json_object *
bench_params(struct bench *bn, const char *ops)
{
    char text[2048];
    /* RFC 7047 §5.2.7: both servers honour an explicit commit op. */
    snprintf(text, sizeof text, "[\"%s\",%s,{\"op\":\"commit\","
             "\"durable\":%s}]", bn->db, ops, bn->durable ? "true" : "false");
    return parse(text);
}

/* A root row (Open_vSwitch needs one: "ovs-vsctl init") and bridge br0. */
static int
bench_setup(struct bench *bn)
{
    char ops[1024];
    snprintf(ops, sizeof ops, "{\"op\":\"select\",\"table\":\"%s\","
             "\"where\":[]}", bn->db);
    json_object *r = call(bn->a, "transact", bench_params(bn, ops));
    if (!r || !committed(r)) {
        return 1;
    }
    if (!json_object_array_length(get(ovsdb_json_idx(get(r, "result"), 0),
                                      "rows"))) {
        json_object_put(r);
        snprintf(ops, sizeof ops, "{\"op\":\"insert\",\"table\":\"%s\","
                 "\"row\":{}}", bn->db);
        r = call(bn->a, "transact", bench_params(bn, ops));
        if (!r || !committed(r)) {
            return 1;
        }
    }
    json_object_put(r);
    snprintf(ops, sizeof ops, "{\"op\":\"insert\",\"table\":\"Bridge\","
             "\"uuid-name\":\"b\",\"row\":{\"name\":\"br0\"}},"
             "{\"op\":\"mutate\",\"table\":\"%s\",\"where\":[],"
             "\"mutations\":[[\"bridges\",\"insert\",[\"named-uuid\","
             "\"b\"]]]}", bn->db);
    r = call(bn->a, "transact", bench_params(bn, ops));
    int rc = !r || !committed(r);
    json_object_put(r);
    char mon[256];
    snprintf(mon, sizeof mon, "[\"%s\",\"bench\",{\"Port\":{\"columns\":"
             "[\"name\"]}}]", bn->db);
    r = call(bn->b, "monitor", parse(mon));
    rc |= !r || get(r, "error") != NULL;
    json_object_put(r);
    return rc;
}

static int
cmp_double(const void *a_, const void *b_)
{
    double a = *(const double *) a_, b = *(const double *) b_;
    return a < b ? -1 : a > b;
}

static double
pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, cmp_double);
    return v[(size_t) (p * (n - 1))];
}

/* add-port (insert Interface+Port, mutate Bridge ports), then del-port
 * (mutate Bridge ports; garbage collection removes Port+Interface). */
static int
bench_phase(struct bench *bn, long n, bool add, char (*uuids)[40])
{
    for (long i = 0; i < n; i++) {
        char ops[1024], key[64];
        if (add) {
            snprintf(ops, sizeof ops, "{\"op\":\"insert\",\"table\":"
                "\"Interface\",\"uuid-name\":\"i\",\"row\":{\"name\":"
                "\"bp-%ld\"}},{\"op\":\"insert\",\"table\":\"Port\","
                "\"uuid-name\":\"p\",\"row\":{\"name\":\"bp-%ld\","
                "\"interfaces\":[\"named-uuid\",\"i\"]}},{\"op\":\"mutate\","
                "\"table\":\"Bridge\",\"where\":[[\"name\",\"==\",\"br0\"]],"
                "\"mutations\":[[\"ports\",\"insert\",[\"named-uuid\","
                "\"p\"]]]}", i, i);
            snprintf(key, sizeof key, "\"bp-%ld\"", i);
        } else {
            snprintf(ops, sizeof ops, "{\"op\":\"mutate\",\"table\":"
                "\"Bridge\",\"where\":[[\"name\",\"==\",\"br0\"]],"
                "\"mutations\":[[\"ports\",\"delete\",[\"uuid\",\"%s\"]]]}",
                uuids[i]);
            snprintf(key, sizeof key, "\"%s\"", uuids[i]);
        }
        json_object *r = bench_txn(bn, bench_params(bn, ops), key);
        if (!r || !committed(r)) {
            fprintf(stderr, "ovsdb_client: bench txn %ld failed: %s\n", i,
                    r ? json_object_to_json_string(r) : "(no reply)");
            return 1;
        }
        if (add) {
            snprintf(uuids[i], 40, "%s", json_object_get_string(
                ovsdb_json_idx(get(ovsdb_json_idx(get(r, "result"), 1),
                                   "uuid"), 1)));
        }
        json_object_put(r);
    }
    return 0;
}

static int
cmd_bench(struct jsonrpc *rpc, const char *sock, char **argv)
{
    struct bench bn = { .a = rpc, .db = argv[0],
                        .durable = atoi(argv[2]) != 0 };
    long n = atol(argv[1]);
    if (n <= 0) {
        return 2;
    }
    char (*uuids)[40] = calloc(n, sizeof *uuids);
    bn.b = connect_or_die(sock);
    bn.lat_reply = calloc(2 * n, sizeof *bn.lat_reply);
    bn.lat_send = calloc(2 * n, sizeof *bn.lat_send);
    if (bench_setup(&bn)) {
        fprintf(stderr, "ovsdb_client: bench setup failed\n");
        return 1;
    }
    double t0 = now_ms();
    if (bench_phase(&bn, n, true, uuids)) {
        return 1;
    }
    double t1 = now_ms();
    if (bench_phase(&bn, n, false, uuids)) {
        return 1;
    }
    double t2 = now_ms();
    printf("%-12s durable=%d add-port %7.1f txn/s  del-port %7.1f txn/s  "
           "all %7.1f txn/s | update after reply: median %.3f ms p99 %.3f "
           "ms; after send: median %.3f ms p99 %.3f ms\n", bn.db, bn.durable,
           n / (t1 - t0) * 1e3, n / (t2 - t1) * 1e3, 2 * n / (t2 - t0) * 1e3,
           pct(bn.lat_reply, bn.n_lat, 0.5), pct(bn.lat_reply, bn.n_lat, 0.99),
           pct(bn.lat_send, bn.n_lat, 0.5), pct(bn.lat_send, bn.n_lat, 0.99));
    printf("RESULT txn_per_s=%.1f\n", 2 * n / (t2 - t0) * 1e3);
    jsonrpc_close(bn.b);
    free(uuids);
    free(bn.lat_reply);
    free(bn.lat_send);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: ovsdb_client SOCK stream|verify|concurrent"
                "|monitor|bench ARGS...\n");
        return 2;
    }
    struct jsonrpc *rpc = connect_or_die(argv[1]);
    const char *cmd = argv[2];
    int rc = 2;
    if (!strcmp(cmd, "stream") && argc == 7) {
        rc = cmd_stream(rpc, argv + 3);
    } else if (!strcmp(cmd, "verify") && argc == 6) {
        rc = cmd_verify(rpc, argv + 3);
    } else if (!strcmp(cmd, "concurrent") && argc == 6) {
        rc = cmd_concurrent(rpc, argv + 3);
    } else if (!strcmp(cmd, "monitor") && argc == 5) {
        rc = cmd_monitor(rpc, argv + 3);
    } else if (!strcmp(cmd, "bench") && argc == 6) {
        rc = cmd_bench(rpc, argv[1], argv + 3);
    } else {
        fprintf(stderr, "ovsdb_client: bad arguments for %s\n", cmd);
    }
    jsonrpc_close(rpc);
    return rc;
}
