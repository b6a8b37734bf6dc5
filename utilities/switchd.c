/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-switchd: the poll-mode switch daemon.
 *
 * The main thread is the control thread: after start-up it sits in one
 * epoll loop over the control socket (the configuration database's RFC
 * 7047 JSON-RPC and the runtime methods of switchd_methods.c, see
 * switchd_db.h), every port's control fd (vhost-user endpoints), a
 * signalfd and a 1 s tick (MAC aging and flow timeouts in ofproto, port
 * status in the database).  PMD
 * threads (datapath/dpif.h) do the forwarding.
 *
 * The database is opened first: its root row may name the PMD cores and
 * EAL arguments (the command line wins), and a damaged or locked file
 * must stop the start before anything else happens.
 *
 * Start-up order matters: fork for --detach before DPDK starts threads;
 * block SIGINT/SIGTERM before any thread exists so only the signalfd sees
 * them; report readiness to the waiting parent only once the control
 * socket listens, so "rsw-switchd --detach && rsw-vsctl ..." works. */
#include "switchd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "ctl_client.h"
#include "ctl_server.h"
#include "daemon.h"
#include "switchd_db.h"
#include "datapath/dpif.h"
#include "datapath/port.h"
#include "datapath/port_dpdk.h"
#include "datapath/rxq_sched.h"
#include "ofproto/ofproto.h"
#include "vhost/vlog.h"

#define HUGETLBFS_MAGIC_NUMBER 0x958458f6
#define TAG_CTL 1ull
#define TAG_SIGNAL 2ull
#define TAG_PORT (1ull << 32)
#define MAX_EAL_ARGS 64

struct switchd_opts {
    const char *db;
    char db_buf[4096];          /* the default --db next to --ctl */
    const char *ctl;
    const char *pmd_cores;
    const char *eal;
    const char *log_file;
    const char *pidfile;
    bool detach;
};

static FILE *log_file;

static void
log_to_file(enum rsw_log_level level, const char *line, void *aux)
{
    FILE *f = aux;
    struct timespec ts;
    struct tm tm;
    char when[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(f, "%s.%03ld|%s|%s\n", when, ts.tv_nsec / 1000000,
            rsw_log_level_name(level), line);
    fflush(f);
}

static void
usage(void)
{
    printf("rsw-switchd: the Ringswitch poll-mode switch daemon\n"
           "usage: rsw-switchd [--db FILE] [--ctl SOCKET] [--pmd-cores LIST] "
           "[--eal \"EAL ARGS\"]\n"
           "                   [--detach] [--log-file F] [--pidfile F]\n"
           "  --db FILE         configuration database, created if missing "
           "(default %s;\n"
           "                    with --ctl SOCKET: SOCKET.db, so a switch "
           "with its own\n"
           "                    socket keeps its own configuration)\n"
           "  --ctl SOCKET      control socket (default %s)\n"
           "  --pmd-cores LIST  cores for PMD threads, e.g. 1 or 2-3 "
           "(default: the\n"
           "                    database's pmd_cores, else the last core)\n"
           "  --eal ARGS        extra DPDK EAL arguments (space separated;"
           " default: the\n"
           "                    database's eal_args); they replace the "
           "defaults they\n"
           "                    overlap (-l, --file-prefix, memory, "
           "-a/--no-pci)\n"
           "  --detach          run in the background once the control "
           "socket is up\n"
           "  --log-file F      log here (default stderr)\n"
           "  --pidfile F       write the daemon's pid here\n",
           SWITCHD_DB_DEFAULT, CTL_DEFAULT_SOCKET);
}

static int
parse_opts(int argc, char *argv[], struct switchd_opts *o)
{
    static const struct option opts[] = {
        {"ctl", required_argument, NULL, 'c'},
        {"pmd-cores", required_argument, NULL, 'p'},
        {"eal", required_argument, NULL, 'e'},
        {"detach", no_argument, NULL, 'd'},
        {"log-file", required_argument, NULL, 'l'},
        {"pidfile", required_argument, NULL, 'P'},
        {"db", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    o->ctl = CTL_DEFAULT_SOCKET;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'c': o->ctl = optarg; break;
        case 'p': o->pmd_cores = optarg; break;
        case 'e': o->eal = optarg; break;
        case 'd': o->detach = true; break;
        case 'l': o->log_file = optarg; break;
        case 'P': o->pidfile = optarg; break;
        case 'D': o->db = optarg; break;
        case 'h':
            usage();
            exit(0);
        default:
            fprintf(stderr, "rsw-switchd: see --help\n");
            return -EINVAL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "rsw-switchd: unexpected argument '%s'\n",
                argv[optind]);
        return -EINVAL;
    }
    if (!o->db && strcmp(o->ctl, CTL_DEFAULT_SOCKET)) {
        if ((size_t) snprintf(o->db_buf, sizeof o->db_buf, "%s.db", o->ctl)
            >= sizeof o->db_buf) {
            fprintf(stderr, "rsw-switchd: --ctl path too long\n");
            return -ENAMETOOLONG;
        }
        o->db = o->db_buf;
    }
    o->db = o->db ? o->db : SWITCHD_DB_DEFAULT;
    return 0;
}

/* PMD cores from --pmd-cores, or the last core we may run on. */
static int
pick_pmd_cores(const char *list, unsigned *cores, unsigned *n)
{
    cpu_set_t set;
    int last = -1;

    if (list) {
        int err = rxq_sched_parse_cores(list, cores, DPIF_MAX_PMDS, n);
        if (err) {
            fprintf(stderr, "rsw-switchd: bad --pmd-cores '%s' (want e.g. "
                    "1 or 1,3-4, at most %d cores)\n", list, DPIF_MAX_PMDS);
        }
        return err;
    }
    if (sched_getaffinity(0, sizeof set, &set)) {
        return -errno;
    }
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, &set)) {
            last = c;
        }
    }
    cores[0] = last < 0 ? 0 : (unsigned) last;
    *n = 1;
    return 0;
}

/* The control thread's core: the first allowed one that is not a PMD's. */
static unsigned
pick_main_core(const unsigned *pmd, unsigned n_pmd)
{
    cpu_set_t set;
    int first = -1;

    if (!sched_getaffinity(0, sizeof set, &set)) {
        for (int c = 0; c < CPU_SETSIZE; c++) {
            bool is_pmd = false;
            for (unsigned i = 0; i < n_pmd; i++) {
                is_pmd |= pmd[i] == (unsigned) c;
            }
            if (CPU_ISSET(c, &set) && !is_pmd) {
                return (unsigned) c;
            }
            if (CPU_ISSET(c, &set) && first < 0) {
                first = c;
            }
        }
    }
    return first < 0 ? 0 : (unsigned) first;
}

static bool
hugepages_usable(void)
{
    struct statfs fs;
    char line[128];
    long free_pages = 0;
    FILE *f = fopen("/proc/meminfo", "r");

    if (f) {
        while (fgets(line, sizeof line, f)) {
            sscanf(line, "HugePages_Free: %ld", &free_pages);
        }
        fclose(f);
    }
    return free_pages > 0 && !statfs("/dev/hugepages", &fs)
           && (unsigned long) fs.f_type == HUGETLBFS_MAGIC_NUMBER;
}

static bool
user_has(const char *eal, const char *const *opts)
{
    for (; eal && *opts; opts++) {
        if (strstr(eal, *opts)) {
            return true;
        }
    }
    return false;
}

static int RSW_PRINTF(3, 4)
add_arg(char **argv, int *argc, const char *fmt, ...)
{
    va_list ap;
    int r;

    if (*argc >= MAX_EAL_ARGS - 1) {
        return -E2BIG;
    }
    va_start(ap, fmt);
    r = vasprintf(&argv[*argc], fmt, ap);
    va_end(ap);
    if (r < 0) {
        return -ENOMEM;
    }
    (*argc)++;
    return 0;
}

/* Defaults that work on a plain host, minus what the user overrides. */
static int
build_eal_args(const struct switchd_opts *o, unsigned main_core,
               char **argv, int *argc)
{
    static const char *const core_opts[] = {"-l", "-c ", "--lcores", NULL};
    static const char *const prefix_opts[] = {"--file-prefix", NULL};
    static const char *const mem_opts[] = {"--no-huge", "-m ", "--socket-mem",
                                           NULL};
    static const char *const pci_opts[] = {"--no-pci", "-a ", "--allow",
                                           "-b ", "--block", NULL};
    uint32_t h = 2166136261u;
    int err = add_arg(argv, argc, "rsw-switchd");

    for (const char *s = o->ctl; *s; s++) {
        h = (h ^ (uint8_t) *s) * 16777619u;     /* FNV-1a of the socket */
    }
    if (!err && !user_has(o->eal, core_opts)) {
        err = add_arg(argv, argc, "-l%u", main_core);
    }
    if (!err && !user_has(o->eal, prefix_opts)) {
        err = add_arg(argv, argc, "--file-prefix=rsw%08x", h);
    }
    if (!err && !user_has(o->eal, mem_opts)) {
        if (hugepages_usable()) {
            err = add_arg(argv, argc, "--huge-unlink");
        } else {
            RSW_LOG(RSW_LOG_WARN, "no free hugepages on a hugetlbfs mount at "
                    "/dev/hugepages: running DPDK with --no-huge -m 512");
            err = add_arg(argv, argc, "--no-huge");
            err = err ? err : add_arg(argv, argc, "-m512");
        }
    }
    if (!err && !user_has(o->eal, pci_opts)) {
        /* A dpdk port hot-plugs its PCI device by devargs (rte_dev_probe),
         * which --no-pci would make unfindable; but probing every device
         * at start would grab NICs nobody gave us.  DPDK has no "probe
         * nothing" switch: allow-list one address no machine has, so the
         * bus is scanned on demand only.  --eal -a/-b/--no-pci override. */
        err = add_arg(argv, argc, "-a");
        err = err ? err : add_arg(argv, argc, "ffff:ff:1f.7");
    }
    if (o->eal) {
        char *copy = strdup(o->eal), *save = NULL;
        for (char *t = copy ? strtok_r(copy, " \t", &save) : NULL;
             t && !err; t = strtok_r(NULL, " \t", &save)) {
            err = add_arg(argv, argc, "%s", t);
        }
        free(copy);
    }
    argv[*argc] = NULL;
    return err;
}

static int
eal_init(const struct switchd_opts *o, unsigned main_core)
{
    char *argv[MAX_EAL_ARGS] = {NULL}, *copy[MAX_EAL_ARGS];
    char line[1024] = "";
    int argc = 0, err = build_eal_args(o, main_core, argv, &argc);

    for (int i = 0; !err && i < argc; i++) {
        size_t used = strlen(line);
        snprintf(line + used, sizeof line - used, " %s", argv[i]);
    }
    if (!err) {
        RSW_LOG(RSW_LOG_INFO, "DPDK EAL arguments:%s", line);
        /* rte_eal_init permutes argv: give it a copy, free ours. */
        memcpy(copy, argv, sizeof copy);
        if (rte_eal_init(argc, copy) < 0) {
            RSW_LOG(RSW_LOG_ERR, "DPDK EAL initialisation failed: %s",
                    strerror(rte_errno));
            err = rte_errno ? -rte_errno : -EINVAL;
        } else {
            /* The ethdev provider needs the EAL: registered only now. */
            err = port_class_register(&port_dpdk_class);
        }
    }
    for (int i = 0; i < argc; i++) {
        free(argv[i]);
    }
    return err;
}

int
switchd_watch_port(struct switchd *sd, struct port *p)
{
    struct epoll_event ev = {.events = EPOLLIN,
                             .data.u64 = TAG_PORT | p->port_no};
    int fd = p->class->control_fd(p);

    if (fd >= 0 && epoll_ctl(sd->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
        return -errno;
    }
    /* Work may be due already (a client port connects at once). */
    p->class->run(p);
    return 0;
}

void
switchd_unwatch_port(struct switchd *sd, struct port *p)
{
    int fd = p->class->control_fd(p);

    if (fd >= 0) {
        epoll_ctl(sd->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
    }
}

static void
invalidate_cb(void *aux, const struct flow_eth_addr *dl_dst)
{
    struct switchd *sd = aux;

    if (!sd->dp) {
        return;
    }
    if (dl_dst) {
        dpif_flows_changed_dl_dst(sd->dp, dl_dst);
    } else {
        dpif_flows_changed(sd->dp);
    }
}

void
switchd_flows_sync(struct switchd *sd)
{
    if (sd->dp) {
        dpif_synchronize(sd->dp);
    }
}

static void
handle_event(struct switchd *sd, struct switchd_db *db, int sig_fd,
             uint64_t tag)
{
    if (tag == TAG_CTL) {
        switchd_db_run(db);
    } else if (tag == TAG_SIGNAL) {
        struct signalfd_siginfo si;
        if (read(sig_fd, &si, sizeof si) == sizeof si) {
            RSW_LOG(RSW_LOG_INFO, "signal %u: exiting", si.ssi_signo);
            sd->exiting = true;
        }
    } else if (tag & TAG_PORT) {
        struct port *p = dpif_port_get(sd->dp, (uint32_t) tag);
        if (p) {
            p->class->run(p);
        }
    }
}

static void
main_loop(struct switchd *sd, struct switchd_db *db, int sig_fd)
{
    time_t last_tick = time(NULL);

    while (!sd->exiting) {
        struct epoll_event evs[32];
        int n = epoll_wait(sd->epoll_fd, evs, 32, 1000);
        for (int i = 0; i < n && !sd->exiting; i++) {
            handle_event(sd, db, sig_fd, evs[i].data.u64);
        }
        if (time(NULL) != last_tick) {
            last_tick = time(NULL);
            ofproto_run(sd->ofp);
            switchd_capture_run(sd);
            switchd_db_tick(db);
        }
    }
}

static int
watch_fd(int epfd, int fd, uint64_t tag)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* EAL arguments: --eal, else the database's eal_args and socket_mem. */
static char *
effective_eal(const struct switchd_opts *o, const struct switchd_db *db)
{
    const char *args = switchd_db_eal_args(db);
    const char *mem = switchd_db_socket_mem(db);
    char *s = NULL;

    if (o->eal || (!args && !mem)) {
        return o->eal ? strdup(o->eal) : NULL;
    }
    if (asprintf(&s, "%s%s%s", args ? args : "", mem ? " --socket-mem=" : "",
                 mem ? mem : "") < 0) {
        s = NULL;
    }
    return s;
}

/* Datapath, slow path and control socket: 0, or the exit path's error. */
static int
start_switch(const struct switchd_opts *o, struct switchd *sd,
             struct switchd_db *db, int sig_fd, const unsigned *cores,
             unsigned n_cores)
{
    int err = ofproto_create(invalidate_cb, sd, &sd->ofp);

    if (err) {
        return err;
    }
    struct dpif_config cfg = {
        .pmd_cores = cores,
        .n_pmds = n_cores,
        .upcall = {.translate = ofproto_translate,
                   .credit = ofproto_credit, .ctx = sd->ofp},
    };
    err = dpif_create(&cfg, &sd->dp);
    if (err) {
        RSW_LOG(RSW_LOG_ERR, "cannot start PMD threads: %s", strerror(-err));
        return err;
    }
    sd->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (sd->epoll_fd < 0 || watch_fd(sd->epoll_fd, sig_fd, TAG_SIGNAL)) {
        return -errno;
    }
    err = switchd_db_serve(db, sd, o->ctl, switchd_methods,
                           switchd_n_methods);
    if (err) {
        RSW_LOG(RSW_LOG_ERR, "control socket %s: %s", o->ctl, strerror(-err));
        return err;
    }
    return watch_fd(sd->epoll_fd, switchd_db_fd(db), TAG_CTL);
}

static void
stop_switch(struct switchd *sd, struct switchd_db *db)
{
    /* Clients first, then the datapath: no request sees half a switch. */
    switchd_db_destroy(db);
    if (sd->epoll_fd >= 0) {
        close(sd->epoll_fd);
    }
    dpif_destroy(sd->dp);
    sd->dp = NULL;
    ofproto_destroy(sd->ofp);
}

/* Everything after option parsing: returns the exit status. */
static int
run(const struct switchd_opts *o, int ready_fd, int sig_fd)
{
    struct switchd sd = {.epoll_fd = -1};
    struct switchd_opts eff = *o;
    struct switchd_db *db = NULL;
    unsigned cores[DPIF_MAX_PMDS], n_cores = 0;
    char msg[768], *eal = NULL;
    int err = switchd_db_open(o->db, &db, msg, sizeof msg);

    if (err) {
        RSW_LOG(RSW_LOG_ERR, "%s", msg);
        if (log_file) {
            fprintf(stderr, "rsw-switchd: %s\n", msg);   /* log is elsewhere */
        }
        goto out;
    }
    eff.pmd_cores = o->pmd_cores ? o->pmd_cores : switchd_db_pmd_cores(db);
    eff.eal = eal = effective_eal(o, db);
    err = pick_pmd_cores(eff.pmd_cores, cores, &n_cores);
    err = err ? err : eal_init(&eff, pick_main_core(cores, n_cores));
    if (err) {
        goto out_db;
    }
    err = start_switch(o, &sd, db, sig_fd, cores, n_cores);
    if (!err && o->pidfile && (err = daemon_write_pidfile(o->pidfile))) {
        RSW_LOG(RSW_LOG_ERR, "pidfile %s: %s", o->pidfile, strerror(-err));
    }
    if (!err) {
        RSW_LOG(RSW_LOG_INFO, "rsw-switchd %s ready, control socket %s, "
                "database %s", RSW_VERSION, o->ctl, o->db);
        daemon_detach_finish(ready_fd, true);
        ready_fd = -1;
        main_loop(&sd, db, sig_fd);
    }
    stop_switch(&sd, db);
    db = NULL;
    rte_eal_cleanup();
out_db:
    switchd_db_destroy(db);
out:
    free(eal);
    if (o->pidfile && !err) {
        unlink(o->pidfile);
    }
    daemon_detach_finish(ready_fd, false);
    RSW_LOG(RSW_LOG_INFO, "rsw-switchd exiting%s", err ? " on error" : "");
    return err ? 1 : 0;
}

int
main(int argc, char *argv[])
{
    struct switchd_opts o = {0};
    int ready_fd = -1, sig_fd;
    sigset_t mask;

    if (parse_opts(argc, argv, &o)) {
        return 1;
    }
    if (o.log_file) {
        log_file = fopen(o.log_file, "a");
        if (!log_file) {
            fprintf(stderr, "rsw-switchd: %s: %s\n", o.log_file,
                    strerror(errno));
            return 1;
        }
        rsw_log_set_sink(log_to_file, log_file);
    }
    if (o.detach) {
        int err = daemon_detach_start(&ready_fd);
        if (err) {
            fprintf(stderr, "rsw-switchd: cannot detach: %s\n",
                    strerror(-err));
            return 1;
        }
    }
    /* Before any thread: only the signalfd receives these. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sig_fd < 0) {
        fprintf(stderr, "rsw-switchd: signalfd: %s\n", strerror(errno));
        daemon_detach_finish(ready_fd, false);
        return 1;
    }
    int rc = run(&o, ready_fd, sig_fd);
    close(sig_fd);
    if (log_file) {
        rsw_log_set_sink(NULL, NULL);
        fclose(log_file);
    }
    return rc;
}
