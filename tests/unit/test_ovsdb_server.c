/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the RFC 7047 §4 JSON-RPC server (ovsdb-lite/server.c,
 * server_monitor.c, jsonrpc.c): several clients on socketpairs and on a
 * real socket path, served by an in-process event loop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "ovsdb_fixture.h"
#include "ovsdb-lite/jsonrpc.h"
#include "ovsdb-lite/server.h"
#include "ovsdb-lite/util.h"

struct fx {
    char dir[64], path[128];
    struct ovsdb_schema *schema;
    struct ovsdb *db;
    struct ovsdb_server *server;
};

/* A test client: its end of the connection and the notifications that
 * arrived while it waited for replies. */
struct tc {
    struct jsonrpc *rpc;
    json_object *notes[512];
    size_t n_notes;
    int next_id;
};

static void
fx_open(struct fx *fx, const struct ovsdb_server_options *opts)
{
    struct ovsdb_log_report rep;
    assert_int_equal(ovsdb_open(fx->path, fx->schema, true, &fx->db, &rep),
                     0);
    assert_int_equal(ovsdb_server_create(fx->db, opts, &fx->server), 0);
}

static void
fx_close(struct fx *fx)
{
    ovsdb_server_destroy(fx->server);
    ovsdb_close(fx->db);
    fx->server = NULL;
    fx->db = NULL;
}

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/rsw-srv-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof fx->path, "%s/conf.db", fx->dir);
    fx->schema = fx_rsw_schema();
    signal(SIGPIPE, SIG_IGN);
    fx_open(fx, NULL);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;
    char cmd[200];
    fx_close(fx);
    ovsdb_schema_destroy(fx->schema);
    snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx);
    return 0;
}

static void
fx_restart(struct fx *fx, const struct ovsdb_server_options *opts)
{
    fx_close(fx);
    fx_open(fx, opts);
}

static struct tc *
tc_new(struct fx *fx)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(ovsdb_server_add_client(fx->server, sv[0]), 0);
    struct tc *tc = calloc(1, sizeof *tc);
    tc->rpc = jsonrpc_open(sv[1], 0, 0);
    return tc;
}

static void
tc_free(struct tc *tc)
{
    for (size_t i = 0; i < tc->n_notes; i++) {
        json_object_put(tc->notes[i]);
    }
    jsonrpc_close(tc->rpc);
    free(tc);
}

static void
pump(struct fx *fx)
{
    assert_int_equal(ovsdb_server_process(fx->server, 0), 0);
}

/* Next message for 'tc' within 'ms', serving meanwhile; NULL if none, or
 * (with 'eof') if the server closed the connection. */
static json_object *
tc_recv(struct fx *fx, struct tc *tc, int ms, bool *eof)
{
    int64_t deadline = jsonrpc_time_msec() + ms;
    if (eof) {
        *eof = false;
    }
    for (;;) {
        json_object *msg;
        pump(fx);
        int error = jsonrpc_recv(tc->rpc, &msg, NULL);
        if (!error) {
            return msg;
        }
        if (error != -EAGAIN) {
            if (eof) {
                *eof = true;
            }
            return NULL;
        }
        if (jsonrpc_time_msec() > deadline) {
            return NULL;
        }
        assert_int_equal(ovsdb_server_process(fx->server, 2), 0);
    }
}

static void
tc_send_text(struct fx *fx, struct tc *tc, const char *text)
{
    json_object *msg = fx_json(text);
    assert_int_equal(jsonrpc_send(tc->rpc, msg), 0);
    pump(fx);
}

/* Sends request 'method' with params 'params' (JSON text) and returns
 * the reply, keeping notifications that arrive first. */
static json_object *
tc_call(struct fx *fx, struct tc *tc, const char *method,
        const char *params)
{
    int id = ++tc->next_id;
    json_object *req = jsonrpc_create_request(method, fx_json(params),
                                              json_object_new_int(id));
    assert_int_equal(jsonrpc_send(tc->rpc, req), 0);
    for (;;) {
        json_object *msg = tc_recv(fx, tc, 5000, NULL), *jid;
        if (!msg) {
            fail_msg("no reply to %s %s", method, params);
        }
        if (json_object_object_get_ex(msg, "id", &jid) && jid
            && json_object_get_int(jid) == id) {
            return msg;
        }
        assert_true(tc->n_notes < RSW_ARRAY_SIZE(tc->notes));
        tc->notes[tc->n_notes++] = msg;
    }
}

static json_object *
member(json_object *obj, const char *name)
{
    json_object *v = NULL;
    json_object_object_get_ex(obj, name, &v);
    return v;
}

/* "error" tag of an error reply, or "" */
static const char *
err_tag(json_object *reply)
{
    json_object *e = member(member(reply, "error"), "error");
    return e ? json_object_get_string(e) : "";
}

static struct ovsdb_server_stats
stats(struct fx *fx)
{
    struct ovsdb_server_stats st;
    ovsdb_server_get_stats(fx->server, &st);
    return st;
}

#define ADD_BR(NAME)                                                      \
    "[\"Ringswitch\",{\"op\":\"insert\",\"table\":\"Bridge\","            \
    "\"uuid-name\":\"b\",\"row\":{\"name\":\"" NAME "\"}},"               \
    "{\"op\":\"mutate\",\"table\":\"Ringswitch\",\"where\":[],"           \
    "\"mutations\":[[\"bridges\",\"insert\",[\"named-uuid\",\"b\"]]]}]"

static void
add_bridge(struct fx *fx, struct tc *tc, const char *name)
{
    char params[512];
    snprintf(params, sizeof params, ADD_BR("%s"), name);
    json_object *r = tc_call(fx, tc, "transact", params);
    json_object *res = member(r, "result");
    if (ovsdb_json_len(res) != 2 || member(ovsdb_json_idx(res, 0),
                                           "error")) {
        fail_msg("add_bridge %s: %s", name, json_object_to_json_string(r));
    }
    json_object_put(r);
}

static void
test_basic_methods(void **state)
{
    struct fx *fx = *state;
    struct tc *c = tc_new(fx);
    json_object *r = tc_call(fx, c, "list_dbs", "[]");
    assert_string_equal(json_object_to_json_string_ext(member(r, "result"),
                        JSON_C_TO_STRING_PLAIN), "[\"Ringswitch\"]");
    json_object_put(r);
    r = tc_call(fx, c, "get_schema", "[\"Ringswitch\"]");
    assert_string_equal(json_object_get_string(member(member(r, "result"),
                                                      "name")), "Ringswitch");
    json_object_put(r);
    r = tc_call(fx, c, "get_schema", "[\"Open_vSwitch\"]");
    assert_string_equal(err_tag(r), "unknown database");
    json_object_put(r);
    r = tc_call(fx, c, "echo", "[\"hi\",42]");
    assert_string_equal(json_object_to_json_string_ext(member(r, "result"),
                        JSON_C_TO_STRING_PLAIN), "[\"hi\",42]");
    json_object_put(r);
    r = tc_call(fx, c, "frobnicate", "[]");
    assert_string_equal(err_tag(r), "unknown method");
    json_object_put(r);
    r = tc_call(fx, c, "lock", "[\"l\"]");
    assert_string_equal(err_tag(r), "not supported");
    json_object_put(r);
    /* A message that is JSON but not JSON-RPC: error, connection kept. */
    tc_send_text(fx, c, "{\"method\":\"echo\",\"id\":3}");
    r = tc_recv(fx, c, 2000, NULL);
    assert_string_equal(err_tag(r), "syntax error");
    json_object_put(r);
    r = tc_call(fx, c, "echo", "[]");
    assert_null(member(r, "error"));
    json_object_put(r);
    struct ovsdb_server_stats st = stats(fx);
    assert_int_equal(st.n_unknown_method, 1);
    assert_int_equal(st.n_refused_lock, 1);
    assert_int_equal(st.n_bad_msg, 1);
    assert_int_equal(st.n_bad_params, 1);
    tc_free(c);
}

static void
test_transact_durable(void **state)
{
    struct fx *fx = *state;
    struct tc *c = tc_new(fx);
    add_bridge(fx, c, "br0");
    /* Opt-out of fsync (server.h) still commits. */
    json_object *r = tc_call(fx, c, "transact", "[\"Ringswitch\","
        "{\"op\":\"insert\",\"table\":\"VM\",\"row\":{\"name\":\"vm1\"}},"
        "{\"op\":\"commit\",\"durable\":false}]");
    assert_null(member(ovsdb_json_idx(member(r, "result"), 0), "error"));
    json_object_put(r);
    /* A type error commits nothing. */
    r = tc_call(fx, c, "transact", "[\"Ringswitch\",{\"op\":\"insert\","
                "\"table\":\"VM\",\"row\":{\"name\":\"vm2\"}},"
                "{\"op\":\"insert\",\"table\":\"VM\",\"row\":{\"name\":7}}]");
    assert_string_equal(json_object_get_string(member(ovsdb_json_idx(
        member(r, "result"), 1), "error")), "syntax error");
    json_object_put(r);
    r = tc_call(fx, c, "transact", "[\"nodb\",{\"op\":\"comment\"}]");
    assert_string_equal(err_tag(r), "unknown database");
    json_object_put(r);
    tc_free(c);
    fx_restart(fx, NULL);
    assert_int_equal(ovsdb_table_count(ovsdb_get_table(fx->db, "Bridge")), 1);
    assert_int_equal(ovsdb_table_count(ovsdb_get_table(fx->db, "VM")), 1);
    assert_int_equal(stats(fx).n_txn_committed, 0);
}

/* The bridge names, in order, of the inserts in a list of updates. */
static void
update_names(struct tc *tc, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = 0; i < tc->n_notes; i++) {
        json_object *params = member(tc->notes[i], "params");
        json_object *br = member(ovsdb_json_idx(params, 1), "Bridge");
        assert_string_equal(json_object_get_string(member(tc->notes[i],
                                                          "method")),
                            "update");
        if (!br) {
            continue;
        }
        json_object_object_foreach (br, uuid, upd) {
            (void) uuid;
            json_object *n = member(member(upd, "new"), "name");
            if (n && !member(upd, "old")) {
                size_t len = strlen(out);
                snprintf(out + len, size - len, "%s,",
                         json_object_get_string(n));
            }
        }
    }
}

/* Group commit (server.h): transactions from several clients ready in
 * one round share one fdatasync; each reply and update goes out only
 * after it, and each transaction saw the ones before it. */
static void
test_group_commit(void **state)
{
    struct fx *fx = *state;
    struct tc *c[4], *mon = tc_new(fx);
    char params[512];
    json_object *r = tc_call(fx, mon, "monitor", "[\"Ringswitch\",\"m\","
                             "{\"Bridge\":{\"columns\":[\"name\"]}}]");
    json_object_put(r);
    for (int i = 0; i < 4; i++) {
        c[i] = tc_new(fx);
    }
    uint64_t syncs = stats(fx).n_log_syncs;
    uint64_t size = ovsdb_log_size(ovsdb_get_log(fx->db));
    for (int i = 0; i < 4; i++) {
        snprintf(params, sizeof params, ADD_BR("g%d"), i);
        json_object *req = jsonrpc_create_request(
            "transact", fx_json(params), json_object_new_int(100 + i));
        assert_int_equal(jsonrpc_send(c[i]->rpc, req), 0);
    }
    /* One round serves all four (their requests are all queued): four
     * records, one sync. */
    assert_int_equal(ovsdb_server_process(fx->server, 1000), 0);
    assert_int_equal(stats(fx).n_txn_committed, 4);
    assert_true(ovsdb_log_size(ovsdb_get_log(fx->db)) > size);
    assert_false(ovsdb_log_needs_sync(ovsdb_get_log(fx->db)));
    assert_int_equal(stats(fx).n_log_syncs - syncs, 1);
    for (int i = 0; i < 4; i++) {
        r = tc_recv(fx, c[i], 2000, NULL);
        assert_non_null(r);
        assert_int_equal(json_object_get_int(member(r, "id")), 100 + i);
        assert_null(member(ovsdb_json_idx(member(r, "result"), 0), "error"));
        json_object_put(r);
        tc_free(c[i]);
    }
    /* The monitor saw the four commits, one update each, in order. */
    r = tc_call(fx, mon, "echo", "[]");
    json_object_put(r);
    char names[128];
    update_names(mon, names, sizeof names);
    assert_string_equal(names, "g0,g1,g2,g3,");
    tc_free(mon);
    /* Everything acknowledged is on disk. */
    fx_restart(fx, NULL);
    assert_int_equal(ovsdb_table_count(ovsdb_get_table(fx->db, "Bridge")), 4);
}

/* A non-durable transaction alone owes no sync: its reply is not held. */
static void
test_nondurable_not_held(void **state)
{
    struct fx *fx = *state;
    struct tc *c = tc_new(fx);
    uint64_t syncs = stats(fx).n_log_syncs;
    json_object *r = tc_call(fx, c, "transact", "[\"Ringswitch\","
        "{\"op\":\"insert\",\"table\":\"VM\",\"row\":{\"name\":\"v\"}},"
        "{\"op\":\"commit\",\"durable\":false}]");
    assert_null(member(ovsdb_json_idx(member(r, "result"), 0), "error"));
    json_object_put(r);
    assert_int_equal(stats(fx).n_log_syncs, syncs);
    assert_true(ovsdb_log_needs_sync(ovsdb_get_log(fx->db)));
    add_bridge(fx, c, "br0");           /* durable: syncs both */
    assert_int_equal(stats(fx).n_log_syncs, syncs + 1);
    assert_false(ovsdb_log_needs_sync(ovsdb_get_log(fx->db)));
    tc_free(c);
}

static void
drain(struct fx *fx, struct tc *tc)
{
    json_object *msg;
    while ((msg = tc_recv(fx, tc, 50, NULL)) != NULL) {
        assert_true(tc->n_notes < RSW_ARRAY_SIZE(tc->notes));
        tc->notes[tc->n_notes++] = msg;
    }
}

static void
test_monitor_order(void **state)
{
    struct fx *fx = *state;
    struct tc *w1 = tc_new(fx), *w2 = tc_new(fx);
    struct tc *m1 = tc_new(fx), *m2 = tc_new(fx);
    char expect[4096] = "", got1[4096], got2[4096], name[16];

    add_bridge(fx, w1, "br-pre");
    json_object *r = tc_call(fx, m1, "monitor", "[\"Ringswitch\",\"a\","
                             "{\"Bridge\":{\"columns\":[\"name\"]}}]");
    json_object *init = member(member(r, "result"), "Bridge");
    assert_int_equal(json_object_object_length(init), 1);
    json_object_put(r);
    r = tc_call(fx, m2, "monitor", "[\"Ringswitch\",[1,2],"
                "{\"Bridge\":[{\"columns\":[\"name\"]}],"
                "\"Ringswitch\":{\"select\":{\"initial\":false}}}]");
    assert_null(member(member(r, "result"), "Ringswitch"));
    json_object_put(r);
    r = tc_call(fx, m2, "monitor", "[\"Ringswitch\",[1,2],{\"VM\":{}}]");
    assert_string_equal(err_tag(r), "syntax error");    /* duplicate id */
    json_object_put(r);
    /* Two writers pipelining interleaved commits. */
    for (int i = 0; i < 40; i++) {
        struct tc *w = i % 2 ? w2 : w1;
        char params[512];
        snprintf(name, sizeof name, "br%d", i);
        snprintf(params, sizeof params, ADD_BR("%s"), name);
        assert_int_equal(jsonrpc_send(w->rpc, jsonrpc_create_request(
            "transact", fx_json(params), json_object_new_int(i))), 0);
        pump(fx);
        snprintf(expect + strlen(expect), sizeof expect - strlen(expect),
                 "%s,", name);
    }
    drain(fx, w1);
    drain(fx, w2);
    assert_int_equal(w1->n_notes + w2->n_notes, 40);
    drain(fx, m1);
    drain(fx, m2);
    update_names(m1, got1, sizeof got1);
    update_names(m2, got2, sizeof got2);
    assert_string_equal(got1, expect);
    assert_string_equal(got2, expect);
    assert_int_equal(m1->n_notes, 40);
    /* m2 also watches Ringswitch: its "old" holds only what changed
     * ("bridges" and the implicit "_version"). */
    json_object *rs = member(ovsdb_json_idx(member(m2->notes[0], "params"),
                                            1), "Ringswitch");
    json_object_object_foreach (rs, uuid, upd) {
        (void) uuid;
        assert_int_equal(json_object_object_length(member(upd, "old")), 2);
        assert_non_null(member(member(upd, "old"), "_version"));
        assert_non_null(member(member(upd, "old"), "bridges"));
        assert_non_null(member(member(upd, "new"), "next_cfg"));
    }
    r = tc_call(fx, m1, "monitor_cancel", "[\"a\"]");
    assert_null(member(r, "error"));
    json_object_put(r);
    r = tc_call(fx, m1, "monitor_cancel", "[\"a\"]");
    assert_string_equal(err_tag(r), "unknown monitor");
    json_object_put(r);
    tc_free(w1);
    tc_free(w2);
    tc_free(m1);
    tc_free(m2);
}

static void
test_monitor_select(void **state)
{
    struct fx *fx = *state;
    struct tc *w = tc_new(fx), *m = tc_new(fx);
    json_object *r = tc_call(fx, m, "monitor", "[\"Ringswitch\",null,"
        "{\"Bridge\":{\"columns\":[\"name\",\"datapath_type\"],"
        "\"select\":{\"insert\":false,\"delete\":true,\"modify\":true}}}]");
    assert_null(member(r, "error"));
    json_object_put(r);
    add_bridge(fx, w, "brx");
    /* Change an unmonitored column: no update. */
    r = tc_call(fx, w, "transact", "[\"Ringswitch\",{\"op\":\"update\","
                "\"table\":\"Bridge\",\"where\":[[\"name\",\"==\",\"brx\"]],"
                "\"row\":{\"external_ids\":[\"map\",[[\"a\",\"b\"]]]}}]");
    json_object_put(r);
    r = tc_call(fx, w, "transact", "[\"Ringswitch\",{\"op\":\"update\","
                "\"table\":\"Bridge\",\"where\":[[\"name\",\"==\",\"brx\"]],"
                "\"row\":{\"datapath_type\":\"netdev\"}}]");
    json_object_put(r);
    r = tc_call(fx, w, "transact", "[\"Ringswitch\",{\"op\":\"mutate\","
                "\"table\":\"Ringswitch\",\"where\":[],\"mutations\":"
                "[[\"bridges\",\"delete\",[\"set\",[]]]]},"
                "{\"op\":\"update\",\"table\":\"Ringswitch\",\"where\":[],"
                "\"row\":{\"bridges\":[\"set\",[]]}}]");
    json_object_put(r);
    drain(fx, m);
    assert_int_equal(m->n_notes, 2);
    json_object *u0 = member(ovsdb_json_idx(member(m->notes[0], "params"),
                                            1), "Bridge");
    json_object_object_foreach (u0, k0, upd0) {
        (void) k0;
        assert_string_equal(json_object_to_json_string_ext(upd0,
            JSON_C_TO_STRING_PLAIN), "{\"old\":{\"datapath_type\":\"\"},"
            "\"new\":{\"name\":\"brx\",\"datapath_type\":\"netdev\"}}");
    }
    json_object *u1 = member(ovsdb_json_idx(member(m->notes[1], "params"),
                                            1), "Bridge");
    json_object_object_foreach (u1, k1, upd1) {
        (void) k1;
        assert_null(member(upd1, "new"));           /* GC'd: a delete */
        assert_non_null(member(member(upd1, "old"), "name"));
    }
    /* Bad monitor requests. */
    static const char *const bad[] = {
        "[\"Ringswitch\",1,{\"Nope\":{}}]",
        "[\"Ringswitch\",2,{\"Bridge\":{\"columns\":[\"nope\"]}}]",
        "[\"Ringswitch\",3,{\"Bridge\":{\"select\":{\"insert\":1}}}]",
        ("[\"Ringswitch\",4,{\"Bridge\":[{\"columns\":[\"name\"]},"
         "{\"columns\":[\"name\"]}]}]"),
        "[\"Ringswitch\",5]",
        "[\"Ringswitch\",6,{\"Bridge\":{\"where\":[]}}]",
    };
    for (size_t i = 0; i < RSW_ARRAY_SIZE(bad); i++) {
        r = tc_call(fx, m, "monitor", bad[i]);
        assert_string_equal(err_tag(r), "syntax error");
        json_object_put(r);
    }
    assert_int_equal(stats(fx).n_monitor_refused, RSW_ARRAY_SIZE(bad));
    tc_free(w);
    tc_free(m);
}

/* Host methods (rsw-switchd's runtime commands on the same socket). */
static bool
host_method(void *aux, const char *method, json_object *params,
            json_object **result, json_object **error)
{
    int *calls = aux;
    (*calls)++;
    if (!strcmp(method, "add")) {
        int64_t sum = 0;
        for (size_t i = 0; i < ovsdb_json_len(params); i++) {
            sum += json_object_get_int64(ovsdb_json_idx(params, i));
        }
        if (result) {
            *result = json_object_new_int64(sum);
        }
        return true;
    }
    if (!strcmp(method, "fail")) {
        if (error) {
            *error = json_object_new_string("it failed");
        }
        return true;
    }
    return false;
}

static void
test_host_methods(void **state)
{
    struct fx *fx = *state;
    struct tc *c = tc_new(fx);
    int calls = 0;

    ovsdb_server_set_host_methods(fx->server, host_method, &calls);
    json_object *r = tc_call(fx, c, "add", "[1,2,39]");
    assert_int_equal(json_object_get_int64(member(r, "result")), 42);
    assert_null(member(r, "error"));
    json_object_put(r);
    r = tc_call(fx, c, "fail", "[]");
    assert_string_equal(json_object_get_string(member(r, "error")),
                        "it failed");
    assert_null(member(r, "result"));
    json_object_put(r);
    /* Unknown to the host too: the server's own error. */
    r = tc_call(fx, c, "frobnicate", "[]");
    assert_string_equal(err_tag(r), "unknown method");
    json_object_put(r);
    /* RFC 7047 methods never reach the host. */
    r = tc_call(fx, c, "echo", "[1]");
    assert_null(member(r, "error"));
    json_object_put(r);
    /* A notification is run without a reply; the next call still works. */
    tc_send_text(fx, c, "{\"method\":\"add\",\"params\":[1],\"id\":null}");
    r = tc_call(fx, c, "add", "[5]");
    assert_int_equal(json_object_get_int64(member(r, "result")), 5);
    json_object_put(r);
    assert_int_equal(calls, 5);
    assert_int_equal(stats(fx).n_unknown_method, 1);
    tc_free(c);
}

static void
test_malformed_and_others_served(void **state)
{
    struct fx *fx = *state;
    struct tc *bad = tc_new(fx), *good = tc_new(fx);
    bool eof;
    tc_send_text(fx, good, "{\"method\":\"echo\",\"params\":[],\"id\":1}");
    json_object_put(tc_recv(fx, good, 1000, NULL));
    /* Invalid JSON: an error reply, then the connection is closed. */
    assert_int_equal(send(jsonrpc_get_fd(bad->rpc), "{\"a\":]", 6, 0), 6);
    json_object *r = tc_recv(fx, bad, 2000, &eof);
    assert_string_equal(err_tag(r), "syntax error");
    json_object_put(r);
    assert_null(tc_recv(fx, bad, 2000, &eof));
    assert_true(eof);
    add_bridge(fx, good, "br1");
    assert_int_equal(stats(fx).n_drop_bad_json, 1);
    /* A top-level value that is not an object. */
    tc_free(bad);
    bad = tc_new(fx);
    assert_int_equal(send(jsonrpc_get_fd(bad->rpc), "[1]", 3, 0), 3);
    json_object_put(tc_recv(fx, bad, 2000, &eof));
    assert_null(tc_recv(fx, bad, 2000, &eof));
    assert_true(eof);
    assert_int_equal(stats(fx).n_drop_bad_json, 2);
    tc_free(bad);
    tc_free(good);
}

static void
test_oversize_and_truncated(void **state)
{
    struct fx *fx = *state;
    struct ovsdb_server_options o = { .max_msg = 1024 };
    fx_restart(fx, &o);
    struct tc *big = tc_new(fx), *cut = tc_new(fx), *good = tc_new(fx);
    char msg[4096];
    bool eof;
    int n = snprintf(msg, sizeof msg, "{\"method\":\"echo\",\"id\":1,"
                     "\"params\":[\"%03000d\"]}", 0);
    assert_int_equal(send(jsonrpc_get_fd(big->rpc), msg, n, 0), n);
    json_object *r = tc_recv(fx, big, 2000, &eof);
    assert_string_equal(json_object_get_string(member(member(r, "error"),
                        "details")), "message too long: closing the "
                        "connection");
    json_object_put(r);
    assert_null(tc_recv(fx, big, 2000, &eof));
    assert_true(eof);
    assert_int_equal(stats(fx).n_drop_oversize, 1);
    /* Half a transaction, then the client goes away: nothing commits. */
    n = snprintf(msg, sizeof msg, "{\"method\":\"transact\",\"id\":1,"
                 "\"params\":" ADD_BR("half") "}");
    assert_int_equal(send(jsonrpc_get_fd(cut->rpc), msg, n / 2, 0), n / 2);
    pump(fx);
    tc_free(cut);
    for (int i = 0; i < 5; i++) {
        pump(fx);
    }
    assert_int_equal(stats(fx).n_drop_truncated, 1);
    assert_int_equal(ovsdb_table_count(ovsdb_get_table(fx->db, "Bridge")), 0);
    add_bridge(fx, good, "br-ok");
    assert_int_equal(ovsdb_server_n_clients(fx->server), 1);
    tc_free(big);
    tc_free(good);
}

#define WAIT_BR(NAME, TIMEOUT)                                            \
    "[\"Ringswitch\",{\"op\":\"wait\",\"table\":\"Bridge\",\"timeout\":"  \
    TIMEOUT ",\"where\":[[\"name\",\"==\",\"" NAME "\"]],"                \
    "\"columns\":[\"name\"],\"until\":\"==\","                            \
    "\"rows\":[{\"name\":\"" NAME "\"}]},"                                \
    "{\"op\":\"insert\",\"table\":\"VM\",\"row\":{\"name\":\"" NAME "\"}}]"

static void
test_wait(void **state)
{
    struct fx *fx = *state;
    struct tc *a = tc_new(fx), *b = tc_new(fx);
    /* Blocks until b's commit satisfies it, then commits its insert. */
    assert_int_equal(jsonrpc_send(a->rpc, jsonrpc_create_request("transact",
        fx_json(WAIT_BR("brw", "10000")), json_object_new_int(1))), 0);
    assert_null(tc_recv(fx, a, 100, NULL));
    assert_int_equal(stats(fx).n_txn_blocked, 1);
    add_bridge(fx, b, "brw");
    json_object *r = tc_recv(fx, a, 2000, NULL);
    assert_non_null(r);
    assert_null(member(ovsdb_json_idx(member(r, "result"), 1), "error"));
    json_object_put(r);
    assert_int_equal(ovsdb_table_count(ovsdb_get_table(fx->db, "VM")), 1);
    /* Times out: "timed out" after ~150 ms, not before. */
    int64_t t0 = jsonrpc_time_msec();
    r = tc_call(fx, a, "transact", WAIT_BR("never", "150"));
    assert_true(jsonrpc_time_msec() - t0 >= 150);
    assert_string_equal(json_object_get_string(member(ovsdb_json_idx(
        member(r, "result"), 0), "error")), "timed out");
    json_object_put(r);
    /* Canceled (RFC 7047 §4.1.4). */
    assert_int_equal(jsonrpc_send(a->rpc, jsonrpc_create_request("transact",
        fx_json(WAIT_BR("never2", "100000")), json_object_new_int(99))), 0);
    pump(fx);
    assert_int_equal(jsonrpc_send(a->rpc, jsonrpc_create_notify("cancel",
        fx_json("[99]"))), 0);
    r = tc_recv(fx, a, 2000, NULL);
    assert_string_equal(err_tag(r), "canceled");
    json_object_put(r);
    /* The client disconnects while blocked: dropped, nothing commits. */
    assert_int_equal(jsonrpc_send(b->rpc, jsonrpc_create_request("transact",
        fx_json(WAIT_BR("never3", "100000")), json_object_new_int(5))), 0);
    pump(fx);
    tc_free(b);
    pump(fx);
    add_bridge(fx, a, "br-after");
    assert_int_equal(stats(fx).n_txn_canceled, 2);
    assert_int_equal(ovsdb_table_count(ovsdb_get_table(fx->db, "VM")), 1);
    tc_free(a);
}

static void
test_slow_client_dropped(void **state)
{
    struct fx *fx = *state;
    struct ovsdb_server_options o = { .max_backlog = 8192 };
    fx_restart(fx, &o);
    int sv[2], small = 4096;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    assert_int_equal(ovsdb_server_add_client(fx->server, sv[0]), 0);
    const char *mon = "{\"method\":\"monitor\",\"id\":1,\"params\":"
                      "[\"Ringswitch\",1,{\"Bridge\":{}}]}";
    assert_int_equal(send(sv[1], mon, strlen(mon), 0), (ssize_t) strlen(mon));
    pump(fx);
    struct tc *w = tc_new(fx);
    char name[16];
    for (int i = 0; i < 300 && !stats(fx).n_drop_backlog; i++) {
        snprintf(name, sizeof name, "b%d", i);
        add_bridge(fx, w, name);        /* never blocks on the reader */
    }
    assert_int_equal(stats(fx).n_drop_backlog, 1);
    add_bridge(fx, w, "b-last");
    close(sv[1]);
    tc_free(w);
}

static void
test_host_transact_and_socket(void **state)
{
    struct fx *fx = *state;
    char sock[160];
    snprintf(sock, sizeof sock, "%s/db.sock", fx->dir);
    assert_int_equal(ovsdb_server_listen(fx->server, sock), 0);
    struct jsonrpc *rpc;
    assert_int_equal(jsonrpc_connect_unix(sock, &rpc), 0);
    struct tc *m = calloc(1, sizeof *m);
    m->rpc = rpc;
    json_object *r = tc_call(fx, m, "monitor", "[\"Ringswitch\",0,"
                             "{\"VM\":{\"columns\":[\"name\"]}}]");
    json_object_put(r);
    /* The host program's own transaction reaches the monitor. */
    json_object *params = fx_json("[\"Ringswitch\",{\"op\":\"insert\","
        "\"table\":\"VM\",\"row\":{\"name\":\"host\"}}]"), *res;
    assert_int_equal(ovsdb_server_transact(fx->server, params, true, &res),
                     0);
    json_object_put(params);
    json_object_put(res);
    drain(fx, m);
    assert_int_equal(m->n_notes, 1);
    /* A second server cannot take over a live socket. */
    struct ovsdb_server *s2;
    assert_int_equal(ovsdb_server_create(fx->db, NULL, &s2), 0);
    assert_int_equal(ovsdb_server_listen(s2, sock), -EADDRINUSE);
    ovsdb_server_destroy(s2);
    ovsdb_set_change_cb(fx->db, NULL, NULL);
    tc_free(m);
    fx_restart(fx, NULL);
    /* The first server removed its socket; a stale file is replaced. */
    assert_int_equal(access(sock, F_OK), -1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    assert_true(strlen(sock) < sizeof sun.sun_path);
    memcpy(sun.sun_path, sock, strlen(sock) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *) &sun, sizeof sun), 0);
    close(fd);
    assert_int_equal(ovsdb_server_listen(fx->server, sock), 0);
}

static void
test_probe(void **state)
{
    struct fx *fx = *state;
    struct ovsdb_server_options o = { .probe_interval_ms = 50 };
    fx_restart(fx, &o);
    struct tc *quiet = tc_new(fx), *answers = tc_new(fx);
    bool eof = false;
    json_object *echo = tc_recv(fx, answers, 1000, NULL);
    assert_string_equal(json_object_get_string(member(echo, "method")),
                        "echo");
    assert_int_equal(jsonrpc_send(answers->rpc, jsonrpc_create_reply(
        ovsdb_json_arr(), json_object_get(member(echo, "id")))), 0);
    json_object_put(echo);
    int64_t t0 = jsonrpc_time_msec();
    json_object *msg;
    while ((msg = tc_recv(fx, quiet, 1000, &eof)) != NULL) {
        json_object_put(msg);       /* the probe, left unanswered */
    }
    assert_true(eof);
    assert_true(jsonrpc_time_msec() - t0 < 1000);
    assert_true(stats(fx).n_drop_probe >= 1);
    assert_int_equal(stats(fx).n_unexpected_reply, 0);
    tc_free(quiet);
    tc_free(answers);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_basic_methods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_methods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transact_durable, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_monitor_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nondurable_not_held, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_monitor_select, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_and_others_served,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversize_and_truncated, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_client_dropped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_host_transact_and_socket, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
