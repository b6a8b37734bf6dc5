/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OVSDB_JSONRPC_H
#define OVSDB_JSONRPC_H 1

/* JSON-RPC 1.0 over a stream socket, as OVSDB uses it (RFC 7047 §4).
 *
 * Messages are JSON objects sent back to back with no framing (RFC 7047
 * §4: "the JSON-RPC ... over a stream transport ... each message is a
 * JSON object").  The receive side parses incrementally with json-c's
 * tokener, so a message may arrive in any number of pieces and several
 * messages may share one read; a message larger than the configured
 * maximum, nested deeper than the depth limit, or not a JSON object is a
 * protocol error for the connection.
 *
 * The send side never blocks: messages are serialised into a per-
 * connection output buffer that is written as the socket accepts it.  A
 * peer that lets more than 'max_backlog' bytes pile up is cut off
 * (jsonrpc_send() returns -ENOBUFS) so one slow reader cannot hold the
 * server's memory hostage.
 *
 * Message kinds (JSON-RPC 1.0, RFC 7047 §4):
 *   request       {"method": S, "params": [...], "id": non-null}
 *   notification  {"method": S, "params": [...], "id": null}
 *   reply         {"result": X, "error": null, "id": I}
 *   error reply   {"result": null, "error": E, "id": I}
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "vhost/compiler.h"

#define JSONRPC_DEFAULT_MAX_MSG (16u << 20)     /* bytes per message in */
#define JSONRPC_DEFAULT_MAX_BACKLOG (64u << 20) /* bytes queued out */
#define JSONRPC_MAX_DEPTH 64

/* ---- Incremental parser (also the fuzzing entry point). ---- */

struct jsonrpc_parser;

struct jsonrpc_parser *jsonrpc_parser_create(size_t max_msg, int max_depth);
void jsonrpc_parser_destroy(struct jsonrpc_parser *);
/* Consumes bytes from 'buf' ('len' of them) until one message is
 * complete or the bytes run out; '*consumed' says how many were used.
 * Returns 0 with '*msgp' the message (caller owns) or NULL if more bytes
 * are needed, or: -EPROTO (not JSON, or a top-level value other than an
 * object), -EMSGSIZE (message over the size limit), -ELOOP (nested too
 * deeply).  After an error the parser is unusable (the stream is out of
 * sync, so the connection must be dropped). */
int jsonrpc_parser_feed(struct jsonrpc_parser *, const char *buf,
                        size_t len, size_t *consumed, json_object **msgp)
    RSW_MUST_CHECK;
/* Whether part of a message has been received. */
bool jsonrpc_parser_mid_message(const struct jsonrpc_parser *);

/* ---- Messages. ---- */

enum jsonrpc_msg_type {
    JSONRPC_REQUEST,
    JSONRPC_NOTIFY,
    JSONRPC_REPLY,
    JSONRPC_ERROR,
};

/* Borrowed views into a message object. */
struct jsonrpc_msg {
    enum jsonrpc_msg_type type;
    const char *method;         /* REQUEST, NOTIFY */
    json_object *params;        /* REQUEST, NOTIFY: an array */
    json_object *result;        /* REPLY */
    json_object *error;         /* ERROR */
    json_object *id;            /* NULL for NOTIFY */
};

/* Classifies 'obj' per JSON-RPC 1.0.  -EPROTO with 'why' (a static
 * string) describing the defect if it is not a valid message. */
int jsonrpc_msg_parse(json_object *obj, struct jsonrpc_msg *,
                      const char **why) RSW_MUST_CHECK;

/* Constructors; each takes ownership of its json arguments ('id' is
 * taken too: pass json_object_get(id) to keep yours). */
json_object *jsonrpc_create_request(const char *method, json_object *params,
                                    json_object *id);
json_object *jsonrpc_create_notify(const char *method, json_object *params);
json_object *jsonrpc_create_reply(json_object *result, json_object *id);
json_object *jsonrpc_create_error(json_object *error, json_object *id);
/* {"error": tag, "details": details} for error replies. */
json_object *jsonrpc_error_obj(const char *tag, const char *fmt, ...)
    RSW_PRINTF(2, 3);

/* ---- Connections. ---- */

struct jsonrpc;

/* Wraps connected stream socket 'fd' (taken over: closed by
 * jsonrpc_close(); made non-blocking). 0 for a limit means its default. */
struct jsonrpc *jsonrpc_open(int fd, size_t max_msg, size_t max_backlog);
void jsonrpc_close(struct jsonrpc *);
int jsonrpc_get_fd(const struct jsonrpc *);

/* Queues 'msg' (taken over) and writes what the socket accepts now.
 * Returns 0, -ENOBUFS if the backlog now exceeds the limit, or the
 * socket error (-EPIPE, -ECONNRESET, ...).  Any error means the
 * connection is finished. */
int jsonrpc_send(struct jsonrpc *, json_object *msg) RSW_MUST_CHECK;
/* Writes queued output; 0 (possibly with output left), or an error. */
int jsonrpc_flush(struct jsonrpc *) RSW_MUST_CHECK;
size_t jsonrpc_backlog(const struct jsonrpc *);

/* Returns 0 with '*msgp' the next received message, -EAGAIN if none is
 * complete and the socket has nothing more now, -EPIPE at end of stream
 * (-ECONNABORTED if that cut a message short), or a parser/socket error.
 * With 'budget' non-NULL, reads at most '*budget' bytes from the socket
 * (decremented) so one busy peer cannot starve the others; bytes already
 * read are always parsed. */
int jsonrpc_recv(struct jsonrpc *, json_object **msgp, size_t *budget)
    RSW_MUST_CHECK;

/* Blocking helpers for clients and tests: wait up to 'timeout_ms' (-1:
 * forever) for a message / for the output to drain.  -ETIMEDOUT if it
 * did not happen in time. */
int jsonrpc_recv_block(struct jsonrpc *, json_object **msgp, int timeout_ms)
    RSW_MUST_CHECK;
int jsonrpc_send_block(struct jsonrpc *, json_object *msg, int timeout_ms)
    RSW_MUST_CHECK;

/* Connects to unix socket 'path' (blocking connect). */
int jsonrpc_connect_unix(const char *path, struct jsonrpc **) RSW_MUST_CHECK;

/* Monotonic milliseconds. */
int64_t jsonrpc_time_msec(void);

#endif
