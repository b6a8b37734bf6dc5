/* SPDX-License-Identifier: Apache-2.0 */
/* Datapath, control side: ports, snapshots, synchronisation, stats (see
 * the design notes in dpif.h). */
#include "dpif_private.h"

#include <errno.h>
#include <numa.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "rxq_sched.h"
#include "vhost/vlog.h"

#define DPIF_DEFAULT_MAX_FLOWS 65536

static int
core_numa(unsigned core)
{
    if (numa_available() < 0) {
        return RXQ_SCHED_NUMA_ANY;
    }
    int node = numa_node_of_cpu((int) core);
    return node < 0 ? RXQ_SCHED_NUMA_ANY : node;
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
    dp->snap = calloc(1, sizeof *dp->snap);
    if (!dp->snap) {
        err = -ENOMEM;
        goto err_free;
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
    free(dp->snap);
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
        port_destroy(dp->ports[i]);
        dp->ports[i] = NULL;
    }
    free(dp->snap);
    free(dp);
}

void
dpif_synchronize(struct dpif *dp)
{
    uint64_t seen[DPIF_MAX_PMDS];

    for (unsigned i = 0; i < dp->n_pmds; i++) {
        seen[i] = __atomic_load_n(&dp->pmds[i].seq, __ATOMIC_SEQ_CST);
    }
    for (unsigned i = 0; i < dp->n_pmds; i++) {
        struct dpif_pmd *pmd = &dp->pmds[i];
        while (__atomic_load_n(&pmd->running, __ATOMIC_SEQ_CST)
               && __atomic_load_n(&pmd->seq, __ATOMIC_SEQ_CST) == seen[i]) {
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
    __atomic_fetch_add(&dp->flow_gen, 1, __ATOMIC_RELEASE);
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
            q[n].numa = s->rxqs[n].numa;
            n++;
        }
    }
    err = rxq_sched_assign(pmds, dp->n_pmds, q, n, assign, cross);
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
    err = build_rxqs(dp, s);
    if (err) {
        free(s);
        return err;
    }
    old = dp->snap;
    __atomic_store_n(&dp->snap, s, __ATOMIC_RELEASE);
    /* Port numbers may be reused: cached flows must not outlive this. */
    dpif_flows_changed(dp);
    dpif_synchronize(dp);
    free(old);
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
    port_destroy(port);
    return 0;
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
    }
}

void
dpif_rxq_for_each(struct dpif *dp,
                  void (*cb)(void *, const struct dpif_rxq_info *), void *aux)
{
    /* The control thread is the only writer of dp->snap. */
    const struct dpif_snapshot *s = dp->snap;

    for (unsigned i = 0; i < s->n_rxqs; i++) {
        const struct dpif_rxq *q = &s->rxqs[i];
        struct dpif_rxq_info info = {
            .port = q->port->name,
            .qid = q->qid,
            .pmd_core = dp->pmds[q->pmd].core,
            .pmd_numa = dp->pmds[q->pmd].numa,
            .rxq_numa = q->numa,
            .cross_numa = q->cross_numa,
        };
        cb(aux, &info);
    }
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
