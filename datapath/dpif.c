/* SPDX-License-Identifier: Apache-2.0 */
/* Datapath, control side: ports, snapshots, synchronisation, stats (see
 * the design notes in dpif.h). */
#include "dpif_private.h"

#include <errno.h>
#include <numa.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>

#include <rte_cycles.h>

#include "capture.h"
#include "rxq_sched.h"
#include "vhost/vlog.h"

#define DPIF_DEFAULT_MAX_FLOWS 65536
#define DPIF_DEFAULT_CREDIT_INTERVAL_MS 500   /* < the shortest idle_timeout */

static int
core_numa(unsigned core)
{
    if (numa_available() < 0) {
        return RXQ_SCHED_NUMA_ANY;
    }
    int node = numa_node_of_cpu((int) core);
    return node < 0 ? RXQ_SCHED_NUMA_ANY : node;
}

/* TSC ticks per second: the EAL's figure, or (EAL not initialised, as in
 * unit tests) measured against CLOCK_MONOTONIC over 10 ms. */
static uint64_t
tsc_hz(void)
{
    struct timespec a, b, d = {.tv_nsec = 10 * 1000 * 1000};
    uint64_t hz = rte_get_tsc_hz(), t0, t1, ns;

    if (hz) {
        return hz;
    }
    clock_gettime(CLOCK_MONOTONIC, &a);
    t0 = rte_rdtsc();
    nanosleep(&d, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    t1 = rte_rdtsc();
    ns = (uint64_t) (b.tv_sec - a.tv_sec) * 1000000000u
         + (uint64_t) b.tv_nsec - (uint64_t) a.tv_nsec;
    return ns ? (t1 - t0) * 1000000000u / ns : 1000000000u;
}

static void
snapshot_free(struct dpif_snapshot *s)
{
    if (s) {
        free(s->ctrs);
        free(s);
    }
}

/* Busy cycles rx queue slot 'i' of 's' has used since it first appeared. */
static uint64_t
snapshot_cycles(const struct dpif_snapshot *s, unsigned i)
{
    return s->rxqs[i].cycles_base
           + __atomic_load_n(&s->ctrs[i].cycles, __ATOMIC_RELAXED);
}

/* Asymmetric fences.  A PMD's quiescent point is "store seq, then load
 * the snapshot and the flow generation"; dpif_synchronize() is "(caller
 * stored the snapshot or generation), then load each seq".  Each side
 * needs a store-load fence, and on the PMD that is a locked instruction
 * per poll iteration, which waits for every store the last burst made
 * into guest memory.  With membarrier(2) the control thread makes that
 * fence on every core running this process instead, once per
 * synchronize: after it, either the PMD's seq store is visible here or
 * its later loads see the new snapshot/generation (the pairing liburcu's
 * "memb" flavour relies on).  Without it (old kernel, seccomp) the PMDs
 * keep the locked increment. */
static bool
membarrier_register(void)
{
    long cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

    if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) {
        return false;
    }
    return syscall(__NR_membarrier,
                   MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

static void
membarrier_all_cores(struct dpif *dp)
{
    if (dp->membarrier
        && syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED,
                   0, 0) != 0) {
        /* Once registered it cannot fail (membarrier(2) lists no error
         * for this command then); if it ever did, the PMDs' light
         * quiescent points would be unfenced for this call: say so. */
        RSW_LOG_RL(RSW_LOG_ERR, "membarrier failed: %s", strerror(errno));
    }
}

int
dpif_create(const struct dpif_config *cfg, struct dpif **out)
{
    struct dpif *dp;
    int err;

    if (!cfg->n_pmds || cfg->n_pmds > DPIF_MAX_PMDS) {
        return -EINVAL;
    }
    dp = calloc(1, sizeof *dp);
    if (!dp) {
        return -ENOMEM;
    }
    dp->upcall = cfg->upcall;
    dp->emc_insert_inv_prob = cfg->emc_insert_inv_prob;
    dp->max_flows = cfg->max_flows_per_pmd ? cfg->max_flows_per_pmd
                                           : DPIF_DEFAULT_MAX_FLOWS;
    dp->tsc_hz = tsc_hz();
    dp->credit_interval_tsc = dp->tsc_hz / 1000
                              * (cfg->credit_interval_ms
                                 ? cfg->credit_interval_ms
                                 : DPIF_DEFAULT_CREDIT_INTERVAL_MS);
    dp->snap = calloc(1, sizeof *dp->snap);
    if (!dp->snap) {
        err = -ENOMEM;
        goto err_free;
    }
    dp->membarrier = membarrier_register();
    if (!dp->membarrier) {
        RSW_LOG(RSW_LOG_INFO, "membarrier(2) unavailable: PMDs use a "
                "locked increment at each quiescent point");
    }
    for (unsigned i = 0; i < cfg->n_pmds; i++) {
        struct dpif_pmd *pmd = &dp->pmds[i];
        pmd->dp = dp;
        pmd->index = i;
        pmd->core = cfg->pmd_cores[i];
        pmd->numa = core_numa(pmd->core);
        dp->n_pmds = i + 1;
        err = dpif_pmd_start(pmd);
        if (err) {
            goto err_stop;
        }
    }
    *out = dp;
    return 0;

err_stop:
    for (unsigned i = 0; i < dp->n_pmds; i++) {
        dpif_pmd_stop(&dp->pmds[i]);
    }
    snapshot_free(dp->snap);
err_free:
    free(dp);
    return err;
}

void
dpif_destroy(struct dpif *dp)
{
    if (!dp) {
        return;
    }
    for (unsigned i = 0; i < dp->n_pmds; i++) {
        dpif_pmd_stop(&dp->pmds[i]);
    }
    /* No PMD runs any more: ports can go without publishing. */
    for (unsigned i = 0; i < DP_MAX_PORTS; i++) {
        capture_destroy(dp->captures[i]);
        dp->captures[i] = NULL;
        port_destroy(dp->ports[i]);
        dp->ports[i] = NULL;
    }
    snapshot_free(dp->snap);
    free(dp);
}

/* Waits for every running PMD's next quiescent point, and for its flush
 * of every flow generation bumped before the call (the PMD sees it right
 * after that quiescent point: pmd_iterate()), so that megaflows deleted
 * for a change have also been credited (upcall.h) on return. */
void
dpif_synchronize(struct dpif *dp)
{
    uint64_t seen[DPIF_MAX_PMDS];

    /* After the caller's publication, before reading the sequences (see
     * membarrier_all_cores()). */
    membarrier_all_cores(dp);
    uint64_t gen = __atomic_load_n(&dp->flow_gen, __ATOMIC_SEQ_CST);

    for (unsigned i = 0; i < dp->n_pmds; i++) {
        seen[i] = __atomic_load_n(&dp->pmds[i].seq, __ATOMIC_SEQ_CST);
    }
    for (unsigned i = 0; i < dp->n_pmds; i++) {
        struct dpif_pmd *pmd = &dp->pmds[i];
        while (__atomic_load_n(&pmd->running, __ATOMIC_SEQ_CST)
               && (__atomic_load_n(&pmd->seq, __ATOMIC_SEQ_CST) == seen[i]
                   || __atomic_load_n(&pmd->flow_gen_done, __ATOMIC_ACQUIRE)
                      < gen)) {
            sched_yield();
        }
    }
}

static void
hook_synchronize(void *aux)
{
    dpif_synchronize(aux);
}

struct port_hooks
dpif_port_hooks(struct dpif *dp)
{
    return (struct port_hooks) {.synchronize = hook_synchronize, .aux = dp};
}

void
dpif_flows_changed(struct dpif *dp)
{
    /* seq_cst: ordered before dpif_synchronize()'s reads of the PMDs'
     * sequences (pmd_iterate() explains the pairing). */
    __atomic_fetch_add(&dp->flow_gen, 1, __ATOMIC_SEQ_CST);
}

void
dpif_flows_changed_dl_dst(struct dpif *dp, const struct flow_eth_addr *mac)
{
    uint64_t v = dpif_mac48(mac);

    /* Claim a slot, then fill it: a PMD that reaches the slot first sees
     * the old tag and comes back to it at its next quiescent point. */
    uint64_t i = __atomic_fetch_add(&dp->inval_claimed, 1, __ATOMIC_ACQ_REL);
    v |= ((i + 1) & 0xffff) << 48;
    __atomic_store_n(&dp->inval_slots[i % DPIF_INVAL_RING], v,
                     __ATOMIC_RELEASE);
}

static unsigned
count_rxqs(const struct dpif *dp)
{
    unsigned n = 0;

    for (unsigned i = 0; i < DP_MAX_PORTS; i++) {
        if (dp->ports[i]) {
            n += dp->ports[i]->class->n_rxq(dp->ports[i]);
        }
    }
    return n;
}

/* Carries each queue's measured cycles and warning state over from 'old'
 * (both lists are in port number, then queue order: one merge walk). */
static void
carry_over(const struct dpif_snapshot *old, struct dpif_snapshot *s)
{
    unsigned j = 0;

    for (unsigned i = 0; i < s->n_rxqs; i++) {
        struct dpif_rxq *q = &s->rxqs[i];
        q->warned = NUMA_MEM_WARN_INIT;
        while (j < old->n_rxqs
               && (old->rxqs[j].port->port_no < q->port->port_no
                   || (old->rxqs[j].port->port_no == q->port->port_no
                       && old->rxqs[j].qid < q->qid))) {
            j++;
        }
        if (j < old->n_rxqs && old->rxqs[j].port == q->port
            && old->rxqs[j].qid == q->qid) {
            q->cycles_base = snapshot_cycles(old, j);
            q->warned = old->rxqs[j].warned;
        }
    }
}

/* The rx queue list, in port number order, with a PMD for each. */
static int
build_rxqs(const struct dpif *dp, struct dpif_snapshot *s)
{
    struct rxq_sched_pmd pmds[DPIF_MAX_PMDS];
    struct rxq_sched_rxq *q = calloc(s->n_rxqs + 1, sizeof *q);
    unsigned *assign = calloc(s->n_rxqs + 1, sizeof *assign);
    bool *cross = calloc(s->n_rxqs + 1, sizeof *cross);
    unsigned n = 0;
    int err = -ENOMEM;

    if (!q || !assign || !cross) {
        goto out;
    }
    for (unsigned i = 0; i < dp->n_pmds; i++) {
        pmds[i].core = dp->pmds[i].core;
        pmds[i].numa = dp->pmds[i].numa;
    }
    for (unsigned i = 0; i < DP_MAX_PORTS; i++) {
        struct port *p = dp->ports[i];
        for (unsigned qid = 0; p && qid < p->class->n_rxq(p); qid++) {
            s->rxqs[n].port = p;
            s->rxqs[n].qid = qid;
            s->rxqs[n].numa = p->class->rxq_numa(p, qid);
            n++;
        }
    }
    carry_over(dp->snap, s);
    for (unsigned i = 0; i < n; i++) {
        q[i].numa = s->rxqs[i].numa;
        q[i].cycles = s->rxqs[i].cycles_base;
    }
    err = dp->sched_by_cycles
          ? rxq_sched_assign_cycles(pmds, dp->n_pmds, q, n, assign, cross)
          : rxq_sched_assign(pmds, dp->n_pmds, q, n, assign, cross);
    for (unsigned i = 0; !err && i < n; i++) {
        s->rxqs[i].pmd = assign[i];
        s->rxqs[i].cross_numa = cross[i];
    }
out:
    free(q);
    free(assign);
    free(cross);
    return err;
}

/* Warns (once per queue and node pair) about queues whose memory is on
 * another node than their PMD; returns whether slot 'i' is such a queue. */
static bool
check_numa_rxq(struct dpif *dp, unsigned i)
{
    struct dpif_rxq *q = &dp->snap->rxqs[i];
    int node = q->port->class->rxq_numa(q->port, q->qid);

    return numa_mem_check_queue(&q->warned, q->port->name, q->qid, node,
                                dp->pmds[q->pmd].numa);
}

static void
check_numa(struct dpif *dp)
{
    for (unsigned i = 0; i < dp->snap->n_rxqs; i++) {
        (void) check_numa_rxq(dp, i);
    }
}

/* Builds a snapshot of dp->ports, publishes it, waits, frees the old. */
static int
publish(struct dpif *dp)
{
    unsigned n = count_rxqs(dp);
    struct dpif_snapshot *s = calloc(1, sizeof *s + n * sizeof s->rxqs[0]);
    struct dpif_snapshot *old;
    int err;

    if (!s) {
        return -ENOMEM;
    }
    memcpy(s->ports, dp->ports, sizeof s->ports);
    s->n_rxqs = n;
    s->ctrs = aligned_alloc(64, (n + 1) * sizeof *s->ctrs);
    err = s->ctrs ? build_rxqs(dp, s) : -ENOMEM;
    if (err) {
        snapshot_free(s);
        return err;
    }
    memset(s->ctrs, 0, (n + 1) * sizeof *s->ctrs);
    old = dp->snap;
    __atomic_store_n(&dp->snap, s, __ATOMIC_RELEASE);
    /* Port numbers may be reused: cached flows must not outlive this. */
    dpif_flows_changed(dp);
    dpif_synchronize(dp);
    /* (Cycles a PMD counted into 'old' since carry_over are lost: at most
     * one iteration's.) */
    snapshot_free(old);
    check_numa(dp);
    return 0;
}

int
dpif_port_add(struct dpif *dp, struct port *port, uint32_t *port_no)
{
    int err;

    for (uint32_t i = 1; i < DP_MAX_PORTS; i++) {
        if (!dp->ports[i]) {
            dp->ports[i] = port;
            port->port_no = i;
            err = publish(dp);
            if (err) {
                dp->ports[i] = NULL;
                return err;
            }
            *port_no = i;
            return 0;
        }
    }
    return -ENOSPC;
}

int
dpif_port_del(struct dpif *dp, uint32_t port_no)
{
    struct port *port;
    int err;

    if (port_no >= DP_MAX_PORTS || !dp->ports[port_no]) {
        return -ENOENT;
    }
    port = dp->ports[port_no];
    dp->ports[port_no] = NULL;
    err = publish(dp);
    if (err) {
        dp->ports[port_no] = port;
        return err;
    }
    /* publish() synchronized: no PMD can reach the port or its capture. */
    capture_destroy(dpif_capture_detach(dp, port_no));
    port_destroy(port);
    return 0;
}

int
dpif_capture_attach(struct dpif *dp, uint32_t port_no, struct capture *c)
{
    if (port_no >= DP_MAX_PORTS || !dp->ports[port_no]) {
        return -ENOENT;
    }
    if (dp->captures[port_no]) {
        return -EBUSY;
    }
    __atomic_store_n(&dp->captures[port_no], c, __ATOMIC_RELEASE);
    return 0;
}

struct capture *
dpif_capture_detach(struct dpif *dp, uint32_t port_no)
{
    struct capture *c;

    if (port_no >= DP_MAX_PORTS || !dp->captures[port_no]) {
        return NULL;
    }
    c = dp->captures[port_no];
    __atomic_store_n(&dp->captures[port_no], NULL, __ATOMIC_RELEASE);
    dpif_synchronize(dp);
    return c;
}

struct capture *
dpif_capture_get(const struct dpif *dp, uint32_t port_no)
{
    return port_no < DP_MAX_PORTS ? dp->captures[port_no] : NULL;
}

struct port *
dpif_port_get(struct dpif *dp, uint32_t port_no)
{
    return port_no < DP_MAX_PORTS ? dp->ports[port_no] : NULL;
}

void
dpif_port_for_each(struct dpif *dp, void (*cb)(void *, struct port *),
                   void *aux)
{
    for (unsigned i = 0; i < DP_MAX_PORTS; i++) {
        if (dp->ports[i]) {
            cb(aux, dp->ports[i]);
        }
    }
}

unsigned
dpif_n_pmds(const struct dpif *dp)
{
    return dp->n_pmds;
}

static void
pmd_stats_read(const struct dpif_pmd *pmd, struct dpif_pmd_stats *s)
{
    const uint64_t *src = (const uint64_t *) &pmd->stats;
    uint64_t *dst = (uint64_t *) s;

    for (size_t i = 0; i < sizeof *s / sizeof(uint64_t); i++) {
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
    }
}

void
dpif_pmd_info(struct dpif *dp, unsigned i, struct dpif_pmd_info *info)
{
    const struct dpif_pmd *pmd = &dp->pmds[i];
    const uint64_t *base = (const uint64_t *) &dp->base[i];
    uint64_t *s = (uint64_t *) &info->stats;

    memset(info, 0, sizeof *info);
    info->core = pmd->core;
    info->numa = pmd->numa;
    info->n_flows = __atomic_load_n(&pmd->n_flows_pub, __ATOMIC_RELAXED);
    info->max_iter_cycles = __atomic_load_n(&pmd->max_iter_cycles,
                                            __ATOMIC_RELAXED);
    info->max_iter_us = dp->tsc_hz ? info->max_iter_cycles * 1000000u
                                     / dp->tsc_hz : 0;
    pmd_stats_read(pmd, &info->stats);
    for (size_t k = 0; k < sizeof info->stats / sizeof(uint64_t); k++) {
        s[k] -= base[k];
    }
}

void
dpif_pmd_stats_clear(struct dpif *dp)
{
    for (unsigned i = 0; i < dp->n_pmds; i++) {
        pmd_stats_read(&dp->pmds[i], &dp->base[i]);
        __atomic_fetch_add(&dp->pmds[i].max_iter_clear, 1, __ATOMIC_RELAXED);
    }
}

static void
rxq_info(const struct dpif *dp, unsigned i, struct dpif_rxq_info *info)
{
    const struct dpif_rxq *q = &dp->snap->rxqs[i];

    *info = (struct dpif_rxq_info) {
        .port = q->port->name,
        .qid = q->qid,
        .pmd_core = dp->pmds[q->pmd].core,
        .pmd_numa = dp->pmds[q->pmd].numa,
        .rxq_numa = q->port->class->rxq_numa(q->port, q->qid),
        .cross_numa = q->cross_numa,
        .cycles = snapshot_cycles(dp->snap, i),
    };
}

void
dpif_rxq_for_each(struct dpif *dp,
                  void (*cb)(void *, const struct dpif_rxq_info *), void *aux)
{
    /* The control thread is the only writer of dp->snap. */
    const struct dpif_snapshot *s = dp->snap;
    uint64_t pmd_total[DPIF_MAX_PMDS] = {0};

    for (unsigned i = 0; i < s->n_rxqs; i++) {
        pmd_total[s->rxqs[i].pmd] += snapshot_cycles(s, i);
    }
    for (unsigned i = 0; i < s->n_rxqs; i++) {
        struct dpif_rxq_info info;
        bool cross = check_numa_rxq(dp, i);
        rxq_info(dp, i, &info);
        if (info.rxq_numa >= 0 && info.pmd_numa >= 0) {
            /* The node became known after placement (vhost rings). */
            info.cross_numa = cross;
        }
        info.pmd_pct = pmd_total[s->rxqs[i].pmd]
                       ? (unsigned) (info.cycles * 100
                                     / pmd_total[s->rxqs[i].pmd])
                       : 0;
        cb(aux, &info);
    }
}

/* Variance of the PMD loads of snapshot 's' (rxq_sched_load_variance). */
static int
snapshot_variance(const struct dpif *dp, const struct dpif_snapshot *s,
                  double *var)
{
    struct rxq_sched_rxq *q = calloc(s->n_rxqs + 1, sizeof *q);
    unsigned *assign = calloc(s->n_rxqs + 1, sizeof *assign);

    if (!q || !assign) {
        free(q);
        free(assign);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < s->n_rxqs; i++) {
        q[i].cycles = snapshot_cycles(s, i);
        assign[i] = s->rxqs[i].pmd;
    }
    *var = rxq_sched_load_variance(dp->n_pmds, q, s->n_rxqs, assign);
    free(q);
    free(assign);
    return 0;
}

int
dpif_rxq_rebalance(struct dpif *dp,
                   void (*moved)(void *, const struct dpif_rxq_info *,
                                 unsigned from_core),
                   void *aux, double *var_before, double *var_after)
{
    unsigned n = dp->snap->n_rxqs;
    unsigned *was = calloc(n + 1, sizeof *was);
    bool by_cycles = dp->sched_by_cycles;
    int err;

    if (!was) {
        return -ENOMEM;
    }
    for (unsigned i = 0; i < n; i++) {
        was[i] = dp->snap->rxqs[i].pmd;
    }
    err = snapshot_variance(dp, dp->snap, var_before);
    if (!err) {
        dp->sched_by_cycles = true;
        err = publish(dp);
    }
    if (err) {
        dp->sched_by_cycles = by_cycles;
        goto out;
    }
    err = snapshot_variance(dp, dp->snap, var_after);
    /* Same ports, so the same slots: compare slot by slot. */
    for (unsigned i = 0; !err && moved && i < n && i < dp->snap->n_rxqs;
         i++) {
        if (dp->snap->rxqs[i].pmd != was[i]) {
            struct dpif_rxq_info info;
            rxq_info(dp, i, &info);
            moved(aux, &info, dp->pmds[was[i]].core);
        }
    }
out:
    free(was);
    return err;
}

unsigned
dpif_pmd_dump_flows(struct dpif *dp, unsigned i, struct dpif_flow_info *out,
                    unsigned max)
{
    struct dpif_pmd *pmd = &dp->pmds[i];
    struct dpif_dump_req req = {.out = out, .max = max};

    if (!__atomic_load_n(&pmd->running, __ATOMIC_ACQUIRE)) {
        return 0;
    }
    __atomic_store_n(&pmd->dump_req, &req, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&req.done, __ATOMIC_ACQUIRE)) {
        if (!__atomic_load_n(&pmd->running, __ATOMIC_ACQUIRE)
            && __atomic_load_n(&pmd->dump_req, __ATOMIC_ACQUIRE)) {
            /* The PMD left before answering: nothing will. */
            __atomic_store_n(&pmd->dump_req, NULL, __ATOMIC_RELEASE);
            return 0;
        }
        sched_yield();
    }
    return req.n_total;
}
