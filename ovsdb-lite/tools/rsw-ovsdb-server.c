/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-ovsdb-server: the ovsdb-lite database served alone over a unix
 * socket (RFC 7047 §4 JSON-RPC), for testing and benchmarking the
 * database without the switch.
 *
 *   rsw-ovsdb-server --db FILE [--remote punix:PATH] [--create]
 *                    [--pidfile F] [--detach] [--probe-interval MS]
 *                    [--log-level LEVEL]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "utilities/daemon.h"
#include "ovsdb-lite/ovsdb.h"
#include "ovsdb-lite/server.h"
#include "vhost/vlog.h"

struct opts {
    const char *db;
    const char *remote;
    const char *pidfile;
    bool create;
    bool detach;
    int probe_ms;
};

static volatile sig_atomic_t exiting;

static void
on_signal(int sig)
{
    exiting = sig;
}

static void
usage(FILE *f)
{
    fprintf(f,
"usage: rsw-ovsdb-server --db FILE [--remote punix:PATH] [--create]\n"
"                        [--pidfile FILE] [--detach] [--probe-interval MS]\n"
"                        [--log-level err|warn|info|dbg]\n"
"Serves the ovsdb-lite database FILE (schema: Ringswitch) over RFC 7047\n"
"JSON-RPC on a unix socket (default: FILE.sock).  Transactions are fsynced\n"
"before they are acknowledged unless they carry\n"
"{\"op\":\"commit\",\"durable\":false}.  SIGTERM/SIGINT exit cleanly.\n");
}

static int
parse_level(const char *s)
{
    static const char *const names[] = { "err", "warn", "info", "dbg" };
    for (int i = 0; i < 4; i++) {
        if (!strcmp(s, names[i])) {
            return i;
        }
    }
    return -1;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },
        { "remote", required_argument, NULL, 'r' },
        { "create", no_argument, NULL, 'c' },
        { "pidfile", required_argument, NULL, 'p' },
        { "detach", no_argument, NULL, 'D' },
        { "probe-interval", required_argument, NULL, 'P' },
        { "log-level", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c, level;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'r': o->remote = optarg; break;
        case 'c': o->create = true; break;
        case 'p': o->pidfile = optarg; break;
        case 'D': o->detach = true; break;
        case 'P': o->probe_ms = atoi(optarg); break;
        case 'l':
            level = parse_level(optarg);
            if (level < 0) {
                fprintf(stderr, "rsw-ovsdb-server: bad --log-level %s\n",
                        optarg);
                return -EINVAL;
            }
            rsw_log_set_level(level);
            break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -EINVAL;
        }
    }
    if (optind < argc || !o->db) {
        fprintf(stderr, "rsw-ovsdb-server: %s (try --help)\n",
                optind < argc ? "unexpected argument" : "--db FILE is "
                "required");
        return -EINVAL;
    }
    if (o->remote && strncmp(o->remote, "punix:", 6)) {
        fprintf(stderr, "rsw-ovsdb-server: --remote %s: only punix:PATH is "
                "supported\n", o->remote);
        return -EINVAL;
    }
    return 0;
}

/* Says what the database open found, in one line per fact. */
static void
report_open(const struct opts *o, int error, bool existed,
            const struct ovsdb_log_report *rep)
{
    if (error) {
        const char *hint =
            error == -ENOENT ? " (use --create to make a new database)"
            : error == -EBUSY ? " (another process has it open)"
            : error == -EUCLEAN ? " (damage in the middle of the log: "
                                  "nothing was changed; restore a backup)"
            : error == -EMEDIUMTYPE ? " (the file holds another schema)"
            : "";
        fprintf(stderr, "rsw-ovsdb-server: %s: cannot open: %s%s%s%s\n",
                o->db, strerror(-error), rep->error[0] ? ": " : "",
                rep->error, hint);
        return;
    }
    if (!existed) {
        rsw_log(RSW_LOG_INFO, "rsw-ovsdb-server: %s: created a new "
                "database", o->db);
    } else if (rep->bytes_truncated) {
        rsw_log(RSW_LOG_WARN, "rsw-ovsdb-server: %s: recovery removed a "
                "%llu-byte torn tail (%s); %zu records kept", o->db,
                (unsigned long long) rep->bytes_truncated, rep->reason,
                rep->n_records);
    } else {
        rsw_log(RSW_LOG_INFO, "rsw-ovsdb-server: %s: %zu records, "
                "%llu bytes", o->db, rep->n_records,
                (unsigned long long) rep->good_bytes);
    }
}

static int
serve(struct ovsdb_server *server)
{
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    while (!exiting) {
        int error = ovsdb_server_process(server, 1000);
        if (error) {
            rsw_log(RSW_LOG_ERR, "rsw-ovsdb-server: event loop: %s",
                    strerror(-error));
            return error;
        }
    }
    rsw_log(RSW_LOG_INFO, "rsw-ovsdb-server: exiting on signal %d",
            (int) exiting);
    return 0;
}

static int
run(const struct opts *o, const char *remote)
{
    struct ovsdb_log_report rep;
    struct ovsdb_schema *schema = NULL;
    struct ovsdb_server *server = NULL;
    struct ovsdb *db = NULL;
    int ready_fd = -1;
    int error = ovsdb_schema_rsw(&schema, NULL);

    if (!error && o->detach) {
        error = daemon_detach_start(&ready_fd);
    }
    if (error) {
        goto err_schema;
    }
    struct stat st;
    bool existed = !stat(o->db, &st);
    error = ovsdb_open(o->db, schema, o->create, &db, &rep);
    report_open(o, error, existed, &rep);
    if (error) {
        goto err_schema;
    }
    error = ovsdb_server_create(db, NULL, &server);
    if (!error) {
        error = ovsdb_server_listen(server, remote);
        if (error) {
            fprintf(stderr, "rsw-ovsdb-server: listen on %s: %s\n", remote,
                    strerror(-error));
        }
    }
    if (error) {
        goto err_server;
    }
    if (o->pidfile && (error = daemon_write_pidfile(o->pidfile))) {
        fprintf(stderr, "rsw-ovsdb-server: --pidfile %s: %s\n", o->pidfile,
                strerror(-error));
        goto err_server;
    }
    daemon_detach_finish(ready_fd, true);
    ready_fd = -1;
    error = serve(server);
    if (o->pidfile) {
        unlink(o->pidfile);
    }
err_server:
    ovsdb_server_destroy(server);
    ovsdb_close(db);
err_schema:
    ovsdb_schema_destroy(schema);
    daemon_detach_finish(ready_fd, false);
    return error;
}

int
main(int argc, char **argv)
{
    struct opts o = { 0 };
    char remote[4096];

    if (parse_args(argc, argv, &o)) {
        return 2;
    }
    if (o.remote) {
        snprintf(remote, sizeof remote, "%s", o.remote);
    } else {
        snprintf(remote, sizeof remote, "punix:%s.sock", o.db);
    }
    return run(&o, remote) ? 1 : 0;
}
