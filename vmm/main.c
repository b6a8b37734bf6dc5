/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-vmm: options, VM assembly, the main event loop and teardown. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "acpi.h"
#include "api.h"
#include "boot.h"
#include "mptable.h"
#include "pci.h"
#include "test_guest.h"
#include "virtio_net.h"
#include "vmm.h"
#include "vhost/vlog.h"

struct options {
    const char *test_guest, *kernel, *initrd, *cmdline;
    uint64_t mem;
    bool hugepages, verbose, have_net;
    struct vm_hugepages huge;    /* with 'hugepages' */
    unsigned cpus;
    int numa_node;               /* -1: no binding */
    struct virtio_net_config net;
    const char *serial, *api;
};

static void
usage(void)
{
    printf("usage: rsw-vmm (--test-guest MODE | --kernel BZIMAGE [--initrd F]"
           " [--cmdline S])\n"
           "               [--mem SIZE] [--hugepages[=2M|1G|DIR]]"
           " [--numa-node N] [--cpus N]\n"
           "               [--net vhost-user,path=SOCK[,mac=M][,server]"
           "[,mtu=N][,queues=N]]\n"
           "               [--serial stdout|file:PATH] [--api SOCK]"
           " [--connect-timeout S] [-v]\n"
           "Runs a KVM guest whose virtio-net device is served by a "
           "vhost-user backend.\n"
           "  --test-guest MODE  built-in test guest: hello, speed:N, send:N,"
           " recv:N,\n"
           "                     recv-irq:N (MSI-X), echo[:N], pingpong:N "
           "(one RESULT line),\n"
           "                     mq-pingpong:N (queue pair 2; needs "
           "--net ...,queues=2)\n"
           "  --kernel BZIMAGE   Linux bzImage (boot protocol >= 2.06, "
           "64-bit entry)\n"
           "  --mem SIZE         guest RAM, e.g. 256M, 1G (default 256M); "
           "always a shared memfd\n"
           "  --hugepages[=2M|1G|DIR]  back RAM with 2 MiB (default) or "
           "1 GiB hugepages\n"
           "                     (memfd MFD_HUGETLB), or a file in the "
           "hugetlbfs mount DIR\n"
           "  --numa-node N      allocate RAM on NUMA node N (libnuma "
           "MPOL_BIND)\n"
           "  --cpus N           vCPUs (default 1), described to the "
           "guest by ACPI (MADT)\n"
           "                     and an MP table\n"
           "  --net ...          virtio-net over vhost-user; 'server' makes "
           "rsw-vmm listen;\n"
           "                     queues=N: N queue pairs (multiqueue, "
           "1..7, default 1)\n"
           "  --serial stdout    COM1 on stdout, input from stdin (a "
           "terminal goes raw;\n"
           "                     Ctrl-A x quits, Ctrl-A Ctrl-A sends "
           "Ctrl-A); or file:PATH\n"
           "  --api SOCK         JSON control socket: status, stats, pause,"
           " resume, shutdown\n"
           "Exit status: 0 guest powered off (or API shutdown), 1 setup "
           "error, 2 guest reset,\n"
           "  3 triple fault, 4 KVM internal error, 5 guest powered off "
           "reporting failure.\n");
}

static int die(const char *fmt, ...) RSW_PRINTF(1, 2);

static int
die(const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    fprintf(stderr, "rsw-vmm: ");
    vfprintf(stderr, fmt, args);
    fprintf(stderr, "\n");
    va_end(args);
    return VMM_EXIT_SETUP;
}

static int
parse_size(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-') {
        return -EINVAL;
    }
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case '\0': shift = 20; break;           /* plain number: MiB */
    default: return -EINVAL;
    }
    if (*end || !v || v > (UINT64_MAX >> shift)) {
        return -EINVAL;
    }
    *out = (uint64_t) v << shift;
    return 0;
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
    unsigned b[6];
    char tail;

    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
               &b[4], &b[5], &tail) != 6) {
        return -EINVAL;
    }
    for (int i = 0; i < 6; i++) {
        mac[i] = (uint8_t) b[i];
    }
    /* A unicast, non-zero address. */
    return (mac[0] & 1) || !(b[0] | b[1] | b[2] | b[3] | b[4] | b[5])
           ? -EINVAL : 0;
}

/* queues=N: queue pairs, 1..VIRTIO_NET_MAX_PAIRS (virtio 1.1 §5.1.4:
 * max_virtqueue_pairs). */
static int
parse_net_queues(struct virtio_net_config *n, const char *s)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || errno || v < 1
        || v > VIRTIO_NET_MAX_PAIRS) {
        return die("--net: queues must be 1..%u (queue pairs), got '%s'",
                   VIRTIO_NET_MAX_PAIRS, s);
    }
    n->queues = (unsigned) v;
    return 0;
}

static int
parse_net_opt(struct virtio_net_config *n, const char *kv)
{
    if (!strncmp(kv, "path=", 5) && kv[5]) {
        n->path = kv + 5;
    } else if (!strncmp(kv, "mac=", 4)) {
        return parse_mac(kv + 4, n->mac) ? die("--net: bad mac '%s' (want "
                                               "a unicast xx:xx:xx:xx:xx:xx)",
                                               kv + 4) : 0;
    } else if (!strcmp(kv, "server")) {
        n->server = true;
    } else if (!strncmp(kv, "mtu=", 4)) {
        long v = strtol(kv + 4, NULL, 10);
        if (v < 68 || v > 65535) {
            return die("--net: mtu must be 68..65535, got '%s'", kv + 4);
        }
        n->mtu = (uint16_t) v;
    } else if (!strncmp(kv, "queues=", 7)) {
        return parse_net_queues(n, kv + 7);
    } else {
        return die("--net: unknown option '%s' (path=, mac=, server, mtu=, "
                   "queues=)", kv);
    }
    return 0;
}

/* --net vhost-user,path=SOCK[,mac=M][,server][,mtu=N][,queues=N]; 'spec'
 * is ours. */
static int
parse_net(struct options *o, char *spec)
{
    char *save, *tok = strtok_r(spec, ",", &save);

    if (o->have_net) {
        return die("%s", "only one --net device is supported");
    }
    if (!tok || strcmp(tok, "vhost-user")) {
        return die("--net: unsupported type '%s' (only vhost-user)",
                   tok ? tok : "");
    }
    while ((tok = strtok_r(NULL, ",", &save))) {
        if (parse_net_opt(&o->net, tok)) {
            return VMM_EXIT_SETUP;
        }
    }
    if (!o->net.path) {
        return die("%s", "--net vhost-user needs path=SOCK");
    }
    o->have_net = true;
    return 0;
}

enum { OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_TEST, OPT_MEM,
       OPT_HUGE, OPT_CPUS, OPT_NET, OPT_SERIAL, OPT_API, OPT_TIMEOUT,
       OPT_NUMA };

static const struct option long_opts[] = {
    { "kernel", required_argument, NULL, OPT_KERNEL },
    { "initrd", required_argument, NULL, OPT_INITRD },
    { "cmdline", required_argument, NULL, OPT_CMDLINE },
    { "test-guest", required_argument, NULL, OPT_TEST },
    { "mem", required_argument, NULL, OPT_MEM },
    { "hugepages", optional_argument, NULL, OPT_HUGE },
    { "numa-node", required_argument, NULL, OPT_NUMA },
    { "cpus", required_argument, NULL, OPT_CPUS },
    { "net", required_argument, NULL, OPT_NET },
    { "serial", required_argument, NULL, OPT_SERIAL },
    { "api", required_argument, NULL, OPT_API },
    { "connect-timeout", required_argument, NULL, OPT_TIMEOUT },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static int
parse_one(struct options *o, int c, char *arg)
{
    char *end, err[512];
    long v;

    switch (c) {
    case OPT_KERNEL: o->kernel = arg; break;
    case OPT_INITRD: o->initrd = arg; break;
    case OPT_CMDLINE: o->cmdline = arg; break;
    case OPT_TEST: o->test_guest = arg; break;
    case OPT_SERIAL: o->serial = arg; break;
    case OPT_API: o->api = arg; break;
    case OPT_NET: return parse_net(o, arg);
    case 'v': o->verbose = true; break;
    case OPT_HUGE:
        o->hugepages = true;
        return vm_hugepages_parse(arg, &o->huge, err, sizeof err)
            ? die("%s", err) : 0;
    case OPT_MEM:
        return parse_size(arg, &o->mem) ? die("--mem: bad size '%s' (e.g. "
                                              "256M, 1G)", arg) : 0;
    case OPT_CPUS:
        v = strtol(arg, NULL, 10);
        if (v < 1 || v > VMM_MAX_VCPUS) {
            return die("--cpus: want 1..64, got '%s'", arg);
        }
        o->cpus = (unsigned) v;
        break;
    case OPT_NUMA:
        v = strtol(arg, &end, 10);
        if (end == arg || *end || v < 0 || v > 1023) {
            return die("--numa-node: want a node number 0..1023, got '%s'",
                       arg);
        }
        o->numa_node = (int) v;
        break;
    case OPT_TIMEOUT:
        v = strtol(arg, NULL, 10);
        if (v < 1 || v > 3600) {
            return die("--connect-timeout: want 1..3600 s, got '%s'", arg);
        }
        o->net.connect_timeout_ms = (int) v * 1000;
        break;
    default:
        return die("%s", "bad option (see --help)");
    }
    return 0;
}

static int
check_options(const struct options *o)
{
    if (!o->test_guest == !o->kernel) {
        return die("%s", "give exactly one of --test-guest MODE and "
                   "--kernel BZIMAGE (see --help)");
    }
    if (!o->kernel && (o->initrd || o->cmdline)) {
        return die("%s", "--initrd and --cmdline need --kernel");
    }
    if (o->test_guest && !test_guest_mode_valid(o->test_guest)) {
        return die("--test-guest: unknown mode '%s' (hello, speed:N, "
                   "send:N, recv:N, recv-irq:N, echo[:N], pingpong:N, "
                   "mq-pingpong:N)",
                   o->test_guest);
    }
    if (o->serial && strcmp(o->serial, "stdout")
        && (strncmp(o->serial, "file:", 5) || !o->serial[5])) {
        return die("--serial: want stdout or file:PATH, got '%s'", o->serial);
    }
    return 0;
}

static int
parse_options(int argc, char **argv, struct options *o)
{
    int c, rc;

    memset(o, 0, sizeof *o);
    o->mem = 256ull << 20;
    o->cpus = 1;
    o->numa_node = -1;
    o->net.connect_timeout_ms = 30000;
    o->net.mac[0] = 0x02;                    /* locally administered */
    o->net.mac[3] = (uint8_t) (getpid() >> 16);
    o->net.mac[4] = (uint8_t) (getpid() >> 8);
    o->net.mac[5] = (uint8_t) getpid();
    opterr = 0;
    while ((c = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
        if (c == 'h') {
            usage();
            exit(0);
        }
        if (c == '?') {
            return die("unknown or incomplete option '%s' (see --help)",
                       argv[optind - 1]);
        }
        rc = parse_one(o, c, optarg);
        if (rc) {
            return rc;
        }
    }
    if (optind < argc) {
        return die("unexpected argument '%s' (see --help)", argv[optind]);
    }
    return check_options(o);
}

/* ---- VM assembly ---------------------------------------------------------- */

static struct vmm *signal_vmm;
static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
    uint64_t one = 1;

    got_signal = sig;
    if (signal_vmm && signal_vmm->wake_fd >= 0
        && write(signal_vmm->wake_fd, &one, sizeof one) < 0) {
        /* Nothing more can be done in a signal handler. */
    }
}

static void
vmm_init(struct vmm *vmm)
{
    memset(vmm, 0, sizeof *vmm);
    vmm->kvm_fd = vmm->vm_fd = vmm->wake_fd = -1;
    vmm->mem.fd = -1;
    pthread_mutex_init(&vmm->lock, NULL);
    pthread_mutex_init(&vmm->run_lock, NULL);
    pthread_cond_init(&vmm->run_cond, NULL);
    vmm->timing.start_ns = vmm_now_ns();
}

static int
setup_devices(struct vmm *vmm, struct options *o, char *err, size_t errlen)
{
    int rc = serial_create(vmm, o->serial, &vmm->serial);

    if (rc) {
        snprintf(err, errlen, "--serial %s: %s", o->serial ? o->serial
                 : "stdout", strerror(-rc));
        return rc;
    }
    /* --serial stdout is the console: stdin is its input. */
    if ((!o->serial || !strcmp(o->serial, "stdout"))
        && (rc = serial_attach_stdin(vmm->serial))) {
        snprintf(err, errlen, "--serial stdout: terminal input: %s",
                 strerror(-rc));
        return rc;
    }
    rc = legacy_devices_create(vmm);
    if (!rc) {
        rc = pci_bus_create(vmm, &vmm->pci);
    }
    if (rc) {
        snprintf(err, errlen, "devices: %s", strerror(-rc));
        return rc;
    }
    if (o->have_net) {
        rc = virtio_net_create(vmm, vmm->pci, &o->net, &vmm->net, err,
                               errlen);
    }
    return rc;
}

static int
setup_vcpus(struct vmm *vmm, const struct options *o, char *err,
            size_t errlen)
{
    int rc = 0, khz;

    vmm->n_vcpus = o->cpus;
    for (unsigned i = 0; i < o->cpus && !rc; i++) {
        rc = vcpu_create(vmm, i, &vmm->vcpus[i]);
    }
    if (rc) {
        snprintf(err, errlen, "creating vCPUs: %s", strerror(-rc));
        return rc;
    }
    khz = ioctl(vcpu_fd(vmm->vcpus[0]), KVM_GET_TSC_KHZ, 0);
    vmm->tsc_khz = khz > 0 ? (uint64_t) khz : 0;
    return 0;
}

/* The SMP description in the reserved BIOS area, twice: ACPI (RSDP at
 * 0xE0000, MADT) and an MP spec 1.4 table at 0xF0000 for kernels without
 * ACPI.  The application processors wait in KVM for the BSP's INIT/SIPI. */
static int
setup_firmware_tables(struct vmm *vmm, char *err, size_t errlen)
{
    struct mptable_pci_irq irqs[MPTABLE_MAX_PCI];
    unsigned n = pci_bus_intx(vmm->pci, irqs, MPTABLE_MAX_PCI);
    struct acpi_config acpi = { .n_cpus = vmm->n_vcpus, .pci = irqs,
                                .n_pci = n };
    size_t len = 0x10000;
    uint8_t *dst = vm_gpa_to_hva(&vmm->mem, MPTABLE_ADDR, len);
    int rc = dst ? mptable_build(dst, len, MPTABLE_ADDR, vmm->n_vcpus, irqs,
                                 n) : -ENOMEM;

    if (rc < 0) {
        snprintf(err, errlen, "MP table: %s", strerror(-rc));
        return rc;
    }
    dst = vm_gpa_to_hva(&vmm->mem, ACPI_RSDP_ADDR, ACPI_AREA_SIZE);
    rc = dst ? acpi_build(dst, ACPI_AREA_SIZE, ACPI_RSDP_ADDR, &acpi)
             : -ENOMEM;
    if (rc < 0) {
        snprintf(err, errlen, "ACPI tables: %s", strerror(-rc));
        return rc;
    }
    return 0;
}

static int
setup_payload(struct vmm *vmm, const struct options *o, char *err,
              size_t errlen)
{
    struct vcpu_boot entry;
    int rc = boot_write_tables(&vmm->mem);

    if (rc) {
        snprintf(err, errlen, "boot page tables: %s", strerror(-rc));
        return rc;
    }
    rc = setup_firmware_tables(vmm, err, errlen);
    if (rc) {
        return rc;
    }
    rc = o->kernel ? linux_load(&vmm->mem, o->kernel, o->initrd, o->cmdline,
                                ACPI_RSDP_ADDR, &entry, err, errlen)
                   : test_guest_load(&vmm->mem, o->test_guest, vmm->tsc_khz,
                                     &entry, err, errlen);
    if (!rc) {
        rc = vcpu_setup_long_mode(vmm, vmm->vcpus[0], &entry);
        if (rc) {
            snprintf(err, errlen, "vCPU entry state: %s", strerror(-rc));
        }
    }
    return rc;
}

static int
setup_vm(struct vmm *vmm, struct options *o, char *err, size_t errlen)
{
    int rc = vm_memory_create(&vmm->mem, o->mem,
                              o->hugepages ? &o->huge : NULL,
                              o->numa_node, err, errlen);

    if (rc) {
        return rc;
    }
    rc = vmm_kvm_open(vmm);
    if (!rc) {
        rc = vmm_kvm_add_memory(vmm);
    }
    if (rc) {
        snprintf(err, errlen, "/dev/kvm: %s", strerror(-rc));
        return rc;
    }
    rc = setup_devices(vmm, o, err, errlen);
    if (!rc) {
        rc = setup_vcpus(vmm, o, err, errlen);
    }
    if (!rc) {
        rc = setup_payload(vmm, o, err, errlen);
    }
    if (!rc && o->api && (rc = vmm_api_create(vmm, o->api, &vmm->api))) {
        snprintf(err, errlen, "--api %s: %s", o->api, strerror(-rc));
    }
    return rc;
}

/* ---- Main loop -------------------------------------------------------------- */

static void
main_loop(struct vmm *vmm)
{
    struct pollfd p[2 + 16 + 16];    /* wake, serial, net, api */
    uint64_t v;

    while (!atomic_load(&vmm->stop) && !got_signal) {
        unsigned n = 0, n_net = 0, n_api = 0;

        p[n++] = (struct pollfd) { .fd = vmm->wake_fd, .events = POLLIN };
        /* -1 (no input, or the UART's FIFO is full) is skipped by poll. */
        p[n++] = (struct pollfd) { .fd = serial_input_fd(vmm->serial),
                                   .events = POLLIN };
        if (vmm->net) {
            n_net = virtio_net_poll_fill(vmm->net, p + n, 16);
            n += n_net;
        }
        if (vmm->api) {
            n_api = vmm_api_poll_fill(vmm->api, p + n, 16);
            n += n_api;
        }
        if (poll(p, n, 100) < 0 && errno != EINTR) {
            break;
        }
        if (p[0].revents & POLLIN && read(vmm->wake_fd, &v, sizeof v) < 0) {
            /* Spurious wakeup: the counter was already drained. */
        }
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            serial_input_ready(vmm->serial);
        }
        if (vmm->net) {
            virtio_net_poll_done(vmm->net, p + 2, n_net);
        }
        if (vmm->api) {
            vmm_api_poll_done(vmm->api, p + 2 + n_net, n_api);
        }
    }
}

/* CPU time (user + sys) the process has used so far. */
static uint64_t
process_cpu_ns(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru)) {
        return 0;
    }
    return ((uint64_t) ru.ru_utime.tv_sec + (uint64_t) ru.ru_stime.tv_sec)
           * 1000000000ull
           + ((uint64_t) ru.ru_utime.tv_usec + (uint64_t) ru.ru_stime.tv_usec)
           * 1000ull;
}

static int
run_vm(struct vmm *vmm)
{
    int rc = 0;

    vmm->timing.ready_cpu_ns = process_cpu_ns();   /* "VMM ready" */
    for (unsigned i = 0; i < vmm->n_vcpus && !rc; i++) {
        rc = vcpu_start(vmm->vcpus[i]);
    }
    if (rc) {
        vmm_request_exit(vmm, VMM_EXIT_SETUP, "starting vCPU threads: %s",
                         strerror(-rc));
    } else {
        main_loop(vmm);
    }
    /* Without a reason yet, a signal ended the loop: record it. */
    vmm_request_exit(vmm, VMM_EXIT_POWEROFF, "stopped by signal %d",
                     (int) got_signal);
    for (unsigned i = 0; i < vmm->n_vcpus; i++) {
        vcpu_join(vmm->vcpus[i]);
    }
    return vmm->exit_code;
}

static void
report(const struct vmm *vmm, bool verbose)
{
    uint64_t e = atomic_load(&vmm->timing.first_entry_ns);
    uint64_t p = atomic_load(&vmm->timing.first_post_ns);
    uint64_t s = vmm->timing.start_ns;

    fprintf(stderr, "rsw-vmm: %s (exit %d)\n", vmm->exit_reason,
            vmm->exit_code);
    if (verbose) {
        fprintf(stderr, "rsw-vmm: ready after %.2f CPU-ms, first KVM_RUN "
                "%.1f ms after start, first guest POST write %.1f ms, exits "
                "pio=%llu mmio=%llu\n",
                (double) vmm->timing.ready_cpu_ns / 1e6,
                e ? (double) (e - s) / 1e6 : -1.0,
                p ? (double) (p - s) / 1e6 : -1.0,
                (unsigned long long) atomic_load(&vmm->exits_pio),
                (unsigned long long) atomic_load(&vmm->exits_mmio));
        if (vmm->net) {
            struct json_object *st = virtio_net_stats_json(vmm->net);
            fprintf(stderr, "rsw-vmm: net %s\n", json_object_to_json_string_ext(
                    st, JSON_C_TO_STRING_PLAIN));
            json_object_put(st);
        }
    }
}

static void
teardown(struct vmm *vmm)
{
    vmm_api_destroy(vmm->api);
    virtio_net_destroy(vmm->net);
    for (unsigned i = 0; i < vmm->n_vcpus; i++) {
        vcpu_destroy(vmm->vcpus[i]);
    }
    serial_destroy(vmm->serial);
    pci_bus_destroy(vmm->pci);
    vmm_kvm_close(vmm);
    vm_memory_destroy(&vmm->mem);
}

int
main(int argc, char **argv)
{
    static struct vmm vmm;
    struct sigaction sa = { .sa_handler = on_signal };
    struct options o;
    char err[512] = "";          /* hugepage errors carry paths and hints */
    int rc = parse_options(argc, argv, &o);

    if (rc) {
        return rc;
    }
    vmm_init(&vmm);
    if (!o.verbose) {
        rsw_log_set_level(RSW_LOG_WARN);
    }
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&sa.sa_mask);
    signal_vmm = &vmm;
    /* Each of these ends in teardown(), which restores the terminal. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    if (setup_vm(&vmm, &o, err, sizeof err)) {
        fprintf(stderr, "rsw-vmm: %s\n", err[0] ? err : "setup failed");
        teardown(&vmm);
        return VMM_EXIT_SETUP;
    }
    rc = run_vm(&vmm);
    serial_flush(vmm.serial);
    report(&vmm, o.verbose);
    teardown(&vmm);
    return rc;
}
