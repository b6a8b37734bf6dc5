/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the RFC 7047 §4 JSON-RPC server with a client byte stream: the
 * input is written into one end of a socketpair whose other end is a
 * server connection (ovsdb-lite/jsonrpc.c parser, server.c dispatch,
 * server_monitor.c, transactions below), in pieces whose sizes the first
 * input byte chooses, so messages split across reads are covered too.
 *
 * One database file on /dev/shm (tmpfs: fsync is cheap) is reused; every 256 inputs
 * it is recreated to bound its size.  A second, well-behaved client must
 * still get an answer after every input (the server keeps serving). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ovsdb-lite/jsonrpc.h"
#include "ovsdb-lite/server.h"
#include "ovsdb-lite/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ovsdb_schema *schema;
static struct ovsdb *db;
static struct ovsdb_server *server;
static struct jsonrpc *probe;
static unsigned runs;
static char path[64];

static void
reset(void)
{
    struct ovsdb_server_options o = { .max_msg = 64 * 1024,
                                      .max_backlog = 1 << 20 };
    int sv[2];
    jsonrpc_close(probe);
    ovsdb_server_destroy(server);
    ovsdb_close(db);
    unlink(path);
    if (ovsdb_open(path, schema, true, &db, NULL)
        || ovsdb_server_create(db, &o, &server)
        || socketpair(AF_UNIX, SOCK_STREAM, 0, sv)
        || ovsdb_server_add_client(server, sv[0])) {
        abort();
    }
    ovsdb_set_compaction(db, 0, 0);
    probe = jsonrpc_open(sv[1], 0, 0);
}

static void
serve(void)
{
    for (int i = 0; i < 4; i++) {
        if (ovsdb_server_process(server, 0)) {
            abort();
        }
    }
}

/* The well-behaved client must get its echo back. */
static void
check_alive(void)
{
    json_object *msg = NULL;
    if (jsonrpc_send(probe, jsonrpc_create_request(
            "echo", ovsdb_json_arr(), json_object_new_int(1)))) {
        abort();
    }
    for (int i = 0; i < 1000 && !msg; i++) {
        serve();
        int error = jsonrpc_recv(probe, &msg, NULL);
        if (error && error != -EAGAIN) {
            abort();
        }
    }
    if (!msg) {
        abort();
    }
    json_object_put(msg);
}

static void
feed(int fd, const uint8_t *data, size_t size, size_t chunk)
{
    size_t off = 0;
    while (off < size) {
        size_t n = size - off < chunk ? size - off : chunk;
        ssize_t w = send(fd, data + off, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w <= 0) {
            break;      /* server closed it or buffers full */
        }
        off += w;
        serve();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int sv[2];
    if (!schema) {
        signal(SIGPIPE, SIG_IGN);
        snprintf(path, sizeof path, "/dev/shm/fuzz-ovsdb-jsonrpc-%d.db",
                 (int) getpid());
        if (ovsdb_schema_rsw(&schema, NULL)) {
            abort();
        }
    }
    if (!server || ++runs % 256 == 0) {
        reset();
    }
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)
        || ovsdb_server_add_client(server, sv[0])) {
        abort();
    }
    size_t chunk = size ? (data[0] % 64) * 37 + 1 : 1;
    feed(sv[1], size ? data + 1 : data, size ? size - 1 : 0, chunk);
    shutdown(sv[1], SHUT_WR);
    serve();
    close(sv[1]);
    serve();
    check_alive();
    return 0;
}
