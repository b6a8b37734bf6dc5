/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-switchd's capture methods (datapath/capture.h does the work):
 *
 *   capture PORT FILE [BPF FILTER...] [--count N] [--duration S]
 *           [--snaplen N] [--rx | --tx]
 *   capture-stop PORT
 *   capture-show
 *
 * "capture" starts a capture and returns at once; it ends by itself after
 * --count packets or --duration seconds, or with capture-stop.  Finished
 * captures are reaped once a second (switchd_capture_run). */
#include "switchd.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_server.h"
#include "datapath/capture.h"
#include "datapath/dpif.h"
#include "ofproto/ofproto.h"
#include "vhost/vlog.h"

#define FILTER_MAX 1024

static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!s || *s < '0' || *s > '9') {
        return -EINVAL;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || v > max) {
        return -EINVAL;
    }
    *out = v;
    return 0;
}

/* One "--name VALUE" or "--rx"/"--tx" at argv[*i]; 1 if it was one. */
static int
parse_option(int argc, const char *const argv[], int *i,
             struct capture_options *o, char **error)
{
    const char *name = argv[*i], *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    uint64_t v;

    if (!strcmp(name, "--rx") || !strcmp(name, "--tx")) {
        *(name[2] == 'r' ? &o->rx : &o->tx) = true;
        return 1;
    }
    if (strcmp(name, "--count") && strcmp(name, "--duration")
        && strcmp(name, "--snaplen")) {
        return 0;
    }
    if (parse_u64(val, name[2] == 's' ? CAPTURE_SNAPLEN_MAX : 1ull << 40,
                  &v) || !v) {
        *error = ctl_errorf("capture: %s needs a whole number > 0%s, got "
                            "'%s'", name, name[2] == 's' ? " (<= 65535)" : "",
                            val ? val : "");
        return -EINVAL;
    }
    if (name[2] == 'c') {
        o->max_packets = v;
    } else if (name[2] == 'd') {
        o->max_seconds = (double) v;
    } else {
        o->snaplen = (uint32_t) v;
    }
    (*i)++;
    return 1;
}

/* argv[2..]: filter words and options; the filter goes to 'filter'. */
static int
parse_capture_args(int argc, const char *const argv[],
                   struct capture_options *o, char filter[FILTER_MAX],
                   char **error)
{
    size_t used = 0;

    filter[0] = '\0';
    for (int i = 2; i < argc; i++) {
        int r = parse_option(argc, argv, &i, o, error);
        if (r < 0) {
            return r;
        }
        if (r) {
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] == '-') {
            *error = ctl_errorf("capture: unknown option '%s' (options: "
                                "--count N, --duration S, --snaplen N, --rx,"
                                " --tx)", argv[i]);
            return -EINVAL;
        }
        int n = snprintf(filter + used, FILTER_MAX - used, "%s%s",
                         used ? " " : "", argv[i]);
        if (n < 0 || (size_t) n >= FILTER_MAX - used) {
            *error = ctl_errorf("capture: filter longer than %d bytes",
                                FILTER_MAX - 1);
            return -EINVAL;
        }
        used += (size_t) n;
    }
    o->filter = filter;
    return 0;
}

static int
find_port(struct switchd *sd, const char *name, uint32_t *dp_port,
          char **error)
{
    uint32_t ofport;

    if (ofproto_find_port(sd->ofp, name, NULL, dp_port, &ofport)) {
        *error = ctl_errorf("no port named %s", name);
        return -ENOENT;
    }
    return 0;
}

int
switchd_method_capture(void *aux, int argc, const char *const argv[],
                       struct json_object **result, char **error)
{
    struct switchd *sd = aux;
    struct capture_options o = {.file = argv[1]};
    char filter[FILTER_MAX], msg[512];
    struct capture *c;
    uint32_t dp_port;
    int err = find_port(sd, argv[0], &dp_port, error);

    if (err || (err = parse_capture_args(argc, argv, &o, filter, error))) {
        return err;
    }
    if (dpif_capture_get(sd->dp, dp_port)) {
        *error = ctl_errorf("capture: %s is already being captured (to %s); "
                            "capture-stop %s first", argv[0],
                            capture_file(dpif_capture_get(sd->dp, dp_port)),
                            argv[0]);
        return -EBUSY;
    }
    err = capture_create(&o, &c, msg, sizeof msg);
    if (err) {
        *error = ctl_errorf("capture: %s", msg);
        return err;
    }
    err = dpif_capture_attach(sd->dp, dp_port, c);
    if (err) {
        capture_destroy(c);
        *error = ctl_errorf("capture: %s: %s", argv[0], strerror(-err));
        return err;
    }
    RSW_LOG(RSW_LOG_INFO, "capture on %s to %s started (filter '%s')",
            argv[0], o.file, filter);
    snprintf(msg, sizeof msg, "capturing %s to %s", argv[0], o.file);
    *result = json_object_new_string(msg);
    return 0;
}

static struct json_object *
capture_json(const char *port, const struct capture *c)
{
    struct json_object *o = json_object_new_object();
    struct capture_stats s;

    capture_get_stats(c, &s);
    json_object_object_add(o, "port", json_object_new_string(port));
    json_object_object_add(o, "file", json_object_new_string(capture_file(c)));
    json_object_object_add(o, "written", json_object_new_uint64(s.written));
    json_object_object_add(o, "matched", json_object_new_uint64(s.matched));
    json_object_object_add(o, "filtered_out",
                           json_object_new_uint64(s.filtered));
    json_object_object_add(o, "dropped", json_object_new_uint64(s.dropped));
    json_object_object_add(o, "done", json_object_new_boolean(s.done));
    return o;
}

int
switchd_method_capture_stop(void *aux, int argc RSW_UNUSED,
                            const char *const argv[],
                            struct json_object **result, char **error)
{
    struct switchd *sd = aux;
    struct capture *c;
    uint32_t dp_port;
    int err = find_port(sd, argv[0], &dp_port, error);

    if (err) {
        return err;
    }
    c = dpif_capture_detach(sd->dp, dp_port);
    if (!c) {
        *error = ctl_errorf("capture-stop: %s is not being captured",
                            argv[0]);
        return -ENOENT;
    }
    /* Everything queued is written first: the stats are final. */
    capture_finish(c);
    *result = capture_json(argv[0], c);
    capture_destroy(c);
    return 0;
}

struct capture_visit {
    struct switchd *sd;
    struct json_object *array;
    uint32_t done[DP_MAX_PORTS];   /* finished captures to reap */
    unsigned n_done;
};

/* Runs on the control thread without any lock that PMDs take: detaching
 * waits for the PMDs. */
static void
visit_port(void *aux, struct port *p)
{
    struct capture_visit *v = aux;
    struct capture *c = dpif_capture_get(v->sd->dp, p->port_no);

    if (!c) {
        return;
    }
    if (v->array) {
        json_object_array_add(v->array, capture_json(p->name, c));
    } else if (capture_is_done(c)) {
        struct capture_stats s;
        capture_get_stats(c, &s);
        RSW_LOG(RSW_LOG_INFO, "capture on %s done: %llu packets in %s "
                "(%llu dropped: ring full)", p->name,
                (unsigned long long) s.written, capture_file(c),
                (unsigned long long) s.dropped);
        v->done[v->n_done++] = p->port_no;
    }
}

int
switchd_method_capture_show(void *aux, int argc RSW_UNUSED,
                            const char *const argv[] RSW_UNUSED,
                            struct json_object **result,
                            char **error RSW_UNUSED)
{
    struct capture_visit v = {.sd = aux, .array = json_object_new_array()};

    dpif_port_for_each(v.sd->dp, visit_port, &v);
    *result = v.array;
    return 0;
}

void
switchd_capture_run(struct switchd *sd)
{
    struct capture_visit v = {.sd = sd};

    dpif_port_for_each(sd->dp, visit_port, &v);
    for (unsigned i = 0; i < v.n_done; i++) {
        capture_destroy(dpif_capture_detach(sd->dp, v.done[i]));
    }
}
