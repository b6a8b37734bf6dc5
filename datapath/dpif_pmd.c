/* SPDX-License-Identifier: Apache-2.0 */
/* Datapath, PMD side: the poll loop and the fast path (see dpif.h). */
#include "dpif_private.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "capture.h"
#include "dpcls.h"
#include "emc.h"
#include "vhost/vlog.h"

#define BATCH DP_PACKET_BATCH_MAX
/* Copies of packets that actions modify after an output (dp_actions.h);
 * when they run out, what is queued is sent early and they are reused. */
#define PMD_CLONES 64
/* Statistics attribution (upcall.h): megaflows whose counters moved are
 * handed to the slow path's credit callback PMD_CREDIT_BATCH at a time;
 * the periodic walk looks at no more than PMD_CREDIT_WALK megaflows per
 * poll-loop iteration, so a large table costs many short steps, never
 * one long stall. */
#define PMD_CREDIT_BATCH 64
#define PMD_CREDIT_WALK 1024

/* A megaflow, owned by one PMD. */
struct dp_flow {
    /* What every packet of a cache hit touches, first, so that it shares
     * the line the EMC's generation check fetches (emc_lookup_batch). */
    uint32_t gen;               /* EMC generation word (emc.h) */
    uint64_t hits;              /* packets that used it */
    uint64_t bytes;             /* their frame lengths, as received */
    struct dp_actions actions;
    uint64_t credited_hits;     /* the part of hits/bytes already given */
    uint64_t credited_bytes;    /* to the credit callback */
    struct flow key;            /* masked */
    struct flow_wc mask;
    struct dpcls_rule *rule;
    struct dp_flow *next;
    struct upcall_refs refs;    /* what translate named (upcall.h) */
};

/* Packets queued for one output port during a burst. */
struct pmd_out {
    unsigned n;
    struct dp_packet *pkts[BATCH];
};

/* Per-PMD working memory, allocated once. */
struct pmd_scratch {
    struct dpif *dp;                 /* captures[] (capture.h) */
    struct dp_packet_batch batch;
    struct flow keys[BATCH];
    const struct flow *key_ptrs[BATCH];
    uint32_t hashes[BATCH];
    void *flows[BATCH];
    void *cls_flows[BATCH];
    struct dp_flow uninstalled[BATCH]; /* flow table full: used once */
    /* Megaflows the burst's upcalls made (installed or not): credited
     * right after the burst, so the rules count an upcalled packet
     * without waiting for the periodic walk. */
    struct dp_flow *fresh[BATCH];
    unsigned n_fresh;
    struct upcall_credit credits[PMD_CREDIT_BATCH];
    unsigned n_credits;
    struct flow_parse_stats parse;
    uint16_t active[DP_MAX_PORTS];
    unsigned n_active;
    struct pmd_out outs[DP_MAX_PORTS];
    /* Actions that modify packets (not the outputs-only fast case). */
    struct dp_actions_sink sink;
    const struct dpif_snapshot *snap;  /* of the burst being executed */
    struct port *in;
    uint32_t modified;                 /* batch packets actions moved */
    unsigned n_clones;
    struct dp_packet clones[PMD_CLONES];
};

/* Single-writer counters read by the control thread. */
#define PMD_STAT_ADD(pmd, field, v)                                       \
    __atomic_store_n(&(pmd)->stats.field, (pmd)->stats.field + (v),       \
                     __ATOMIC_RELAXED)

/* Hands the queued increments to the slow path; false if it was busy
 * (only when !may_block: upcall.h) and they are still queued.  Their
 * 'refs' point into megaflows, which therefore stay allocated until this
 * succeeds: every path that frees megaflows flushes with may_block. */
static bool
pmd_credit_flush(struct dpif_pmd *pmd, bool may_block)
{
    struct pmd_scratch *s = pmd->scratch;
    const struct upcall_handler *up = &pmd->dp->upcall;

    if (s->n_credits) {
        if (up->credit(up->ctx, s->credits, s->n_credits, may_block)) {
            return false;
        }
        s->n_credits = 0;
    }
    return true;
}

/* Queues what 'f' counted since its last credit, if there is a callback
 * and anything to give; false if the queue is full and the slow path
 * busy ('f' then keeps its increments for a later try). */
static bool
pmd_credit_flow(struct dpif_pmd *pmd, struct dp_flow *f, bool may_block)
{
    struct pmd_scratch *s = pmd->scratch;

    if (f->hits == f->credited_hits || !f->refs.n
        || !pmd->dp->upcall.credit) {
        return true;
    }
    if (s->n_credits == PMD_CREDIT_BATCH
        && !pmd_credit_flush(pmd, may_block)) {
        return false;
    }
    s->credits[s->n_credits++] = (struct upcall_credit) {
        .refs = &f->refs,
        .packets = f->hits - f->credited_hits,
        .bytes = f->bytes - f->credited_bytes,
    };
    f->credited_hits = f->hits;
    f->credited_bytes = f->bytes;
    return true;
}

/* One step of the periodic credit walk (upcall.h: about once a second):
 * starts a walk of the megaflow list when 'now' passed the deadline, and
 * continues it for at most PMD_CREDIT_WALK megaflows.  Megaflows
 * installed at the head meanwhile wait for the next walk (their upcall
 * was credited at once); a flush ends the walk (pmd_flush_flows). */
static void
pmd_credit_step(struct dpif_pmd *pmd, uint64_t now)
{
    struct dp_flow *f;

    if (now - pmd->credit_next_tsc > INT64_MAX) {
        return;     /* 'now' is before the deadline (wrap-safe) */
    }
    if (!pmd->credit_walking) {
        pmd->credit_walking = true;
        pmd->credit_pos = pmd->flows;
    }
    f = pmd->credit_pos;
    for (unsigned i = 0; f && i < PMD_CREDIT_WALK; i++, f = f->next) {
        if (!pmd_credit_flow(pmd, f, false)) {
            goto busy;
        }
    }
    if (!pmd_credit_flush(pmd, false)) {
        goto busy;                  /* the queue waits for the next try */
    }
    pmd->credit_pos = f;
    if (!f) {
        pmd->credit_walking = false;
        pmd->credit_next_tsc = now + pmd->dp->credit_interval_tsc;
    }
    return;

busy:
    /* The slow path holds its lock (a long add-flows or dump): resume
     * here in a millisecond, not at every iteration. */
    pmd->credit_pos = f;
    pmd->credit_next_tsc = now + pmd->dp->tsc_hz / 1000;
}

/* Deletes the megaflows of list 'dead' (already unlinked from
 * pmd->flows, 'n_dead' of them), first giving the slow path what they
 * counted since their last credit, so no packet is lost from its
 * counters. */
static void
pmd_delete_flows(struct dpif_pmd *pmd, struct dp_flow *dead, uint32_t n_dead)
{
    if (pmd->scratch) {
        for (struct dp_flow *c = dead; c; c = c->next) {
            (void) pmd_credit_flow(pmd, c, true);
        }
        (void) pmd_credit_flush(pmd, true);
    }
    /* The periodic walk may have stood on one of them; it starts over. */
    pmd->credit_walking = false;
    pmd->credit_pos = NULL;
    /* The EMC holds pointers into the flows (emc.h, Lifetime). */
    emc_flush(pmd->emc);
    while (dead) {
        struct dp_flow *next = dead->next;
        dpcls_remove(pmd->cls, dead->rule);
        free(dead);
        dead = next;
    }
    pmd->n_flows -= n_dead;
    __atomic_store_n(&pmd->n_flows_pub, pmd->n_flows, __ATOMIC_RELAXED);
}

/* Deletes every megaflow. */
static void
pmd_flush_flows(struct dpif_pmd *pmd)
{
    struct dp_flow *all = pmd->flows;

    pmd->flows = NULL;
    pmd_delete_flows(pmd, all, pmd->n_flows);
}

/* Does megaflow 'f' match exactly on one of the 'n' MACs (dpif_mac48()
 * values)? */
static bool
flow_dl_dst_in(const struct dp_flow *f, const uint64_t *macs, unsigned n)
{
    static const struct flow_eth_addr exact = {
        .ea = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
    };

    if (memcmp(&f->mask.masks.dl_dst, &exact, sizeof exact)) {
        return false;
    }
    uint64_t v = dpif_mac48(&f->key.dl_dst);
    for (unsigned i = 0; i < n; i++) {
        if (macs[i] == v) {
            return true;
        }
    }
    return false;
}

/* Deletes the megaflows for the 'n' destination MACs. */
static void
pmd_drop_dl_dst_flows(struct dpif_pmd *pmd, const uint64_t *macs, unsigned n)
{
    struct dp_flow **link = &pmd->flows, *dead = NULL;
    uint32_t n_dead = 0;

    while (*link) {
        struct dp_flow *f = *link;

        if (!flow_dl_dst_in(f, macs, n)) {
            link = &f->next;
            continue;
        }
        *link = f->next;
        f->next = dead;
        dead = f;
        n_dead++;
    }
    if (n_dead) {
        pmd_delete_flows(pmd, dead, n_dead);
        PMD_STAT_ADD(pmd, flows_invalidated, n_dead);
    }
}

/* Serves dpif_flows_changed_dl_dst() requests claimed up to 'claimed'
 * (read before any flush this quiescent point made). */
static void
pmd_serve_dl_dst_requests(struct dpif_pmd *pmd, uint64_t claimed)
{
    uint64_t macs[DPIF_INVAL_RING];
    uint64_t i = pmd->inval_done;
    unsigned n = 0;

    if (claimed - i > DPIF_INVAL_RING) {
        goto flush;             /* fell behind: the ring was reused */
    }
    for (; i != claimed; i++) {
        uint64_t v = __atomic_load_n(
            &pmd->dp->inval_slots[i % DPIF_INVAL_RING], __ATOMIC_ACQUIRE);
        uint16_t age = (uint16_t) ((v >> 48) - ((i + 1) & 0xffff));

        if (!age) {
            macs[n++] = v & DPIF_INVAL_MAC_MASK;
        } else if (age < 0x8000) {
            goto flush;         /* newer: reused before we read it */
        } else {
            break;              /* claimed, not written yet: next time */
        }
    }
    pmd->inval_done = i;
    pmd_drop_dl_dst_flows(pmd, macs, n);
    return;

flush:
    pmd_flush_flows(pmd);
    PMD_STAT_ADD(pmd, flow_flushes, 1);
    pmd->inval_done = claimed;
}

/* Installs the slow path's answer for 'key'; returns the flow, or a
 * one-burst uninstalled copy when the table is full or insertion fails. */
static struct dp_flow *
pmd_install(struct dpif_pmd *pmd, const struct flow *key, uint32_t hash,
            const struct flow_wc *wc, const struct dp_actions *a,
            const struct upcall_refs *refs, struct dp_flow *fallback)
{
    struct dp_flow *f = NULL;

    if (pmd->n_flows < pmd->dp->max_flows) {
        /* Line-aligned: the hot fields above share one line. */
        f = aligned_alloc(64, (sizeof *f + 63) & ~(size_t) 63);
        if (f) {
            memset(f, 0, sizeof *f);
        }
    }
    if (!f) {
        f = fallback;
        memset(f, 0, sizeof *f);
    }
    f->key = *key;
    flow_zero_wildcards(&f->key, wc);
    f->mask = *wc;
    f->actions = *a;
    f->refs = *refs;
    if (f->refs.n > UPCALL_MAX_REFS) {
        f->refs.n = UPCALL_MAX_REFS;    /* more are dropped (upcall.h) */
    }
    if (f == fallback) {
        return f;
    }
    if (dpcls_insert(pmd->cls, &f->key, &f->mask, f, &f->rule)) {
        *fallback = *f;
        free(f);
        return fallback;
    }
    f->next = pmd->flows;
    pmd->flows = f;
    pmd->n_flows++;
    __atomic_store_n(&pmd->n_flows_pub, pmd->n_flows, __ATOMIC_RELAXED);
    /* The next packet of this microflow should not need the dpcls. */
    emc_insert(pmd->emc, key, hash, f, &f->gen);
    return f;
}

static struct dp_flow *
pmd_upcall(struct dpif_pmd *pmd, const struct flow *key, uint32_t hash,
           struct dp_flow *fallback)
{
    struct upcall_handler *up = &pmd->dp->upcall;
    struct dp_flow *f = dpcls_lookup(pmd->cls, key);
    struct dp_actions actions;
    struct upcall_refs refs = {.n = 0};
    struct flow_wc wc;

    if (f) {
        return f;   /* an earlier upcall of this burst covered it */
    }
    PMD_STAT_ADD(pmd, upcalls, 1);
    flow_wc_init_catchall(&wc);
    if (up->translate(up->ctx, key, &wc, &actions, &refs)) {
        PMD_STAT_ADD(pmd, lost, 1);
        return NULL;
    }
    f = pmd_install(pmd, key, hash, &wc, &actions, &refs, fallback);
    pmd->scratch->fresh[pmd->scratch->n_fresh++] = f;
    return f;
}

/* Credits the megaflows the burst's upcalls made: a fallback copy is
 * forgotten after the burst, an installed one would otherwise wait for
 * the periodic walk. */
static void
pmd_credit_fresh(struct dpif_pmd *pmd, struct pmd_scratch *s)
{
    for (unsigned i = 0; i < s->n_fresh; i++) {
        (void) pmd_credit_flow(pmd, s->fresh[i], true);
    }
    (void) pmd_credit_flush(pmd, true);
    s->n_fresh = 0;
}

/* EMC bypass.  The exact-match cache pays only when its hits are common.
 * With more live microflows than entries (100,000 or a million flows over
 * 8,192 entries) nearly every lookup misses, and each packet pays the
 * full-key hash, the entry prefetches, the probes and the insertions for
 * nothing before the megaflow classifier answers anyway.  So each PMD
 * samples: it uses the EMC for PMD_EMC_PROBE_BURSTS bursts, and if fewer
 * than one lookup in PMD_EMC_MIN_HIT_RATIO hit while most of the window's
 * insertions evicted a live entry -- the EMC is too small, not still
 * warming up: insertion is probabilistic (emc_maybe_insert), so filling
 * it for a thousand microflows takes many windows -- it leaves the EMC
 * (and the hash) out for the next PMD_EMC_SKIP_BURSTS bursts, then probes
 * again.  A traffic mix that became cache-friendly is back on the EMC
 * within one skip period (~32,000 packets, a few ms at line rate).
 * Packets classified during a skip count as emc_bypassed. */
#define PMD_EMC_PROBE_BURSTS 64
#define PMD_EMC_SKIP_BURSTS 1024
#define PMD_EMC_MIN_HIT_RATIO 8

static bool
pmd_emc_thrashing(const struct dpif_pmd *pmd)
{
    uint64_t ins = emc_insertions(pmd->emc) - pmd->emc_probe_insertions;
    uint64_t evi = emc_evictions(pmd->emc) - pmd->emc_probe_evictions;

    return pmd->emc_probe_hits * PMD_EMC_MIN_HIT_RATIO
               < pmd->emc_probe_lookups
           && ins && evi * 2 > ins;
}

static bool
pmd_emc_wanted(struct dpif_pmd *pmd)
{
    if (RSW_LIKELY(pmd->emc_bursts_left)) {
        pmd->emc_bursts_left--;
        return !pmd->emc_skipping;
    }
    if (!pmd->emc_skipping && pmd_emc_thrashing(pmd)) {
        pmd->emc_skipping = true;
        pmd->emc_bursts_left = PMD_EMC_SKIP_BURSTS - 1;
        return false;
    }
    pmd->emc_skipping = false;
    pmd->emc_probe_lookups = pmd->emc_probe_hits = 0;
    pmd->emc_probe_insertions = emc_insertions(pmd->emc);
    pmd->emc_probe_evictions = emc_evictions(pmd->emc);
    pmd->emc_bursts_left = PMD_EMC_PROBE_BURSTS - 1;
    return true;
}

/* Looks the burst up in the EMC; returns the hit bitmap. */
static uint32_t
pmd_emc_lookup(struct dpif_pmd *pmd, struct pmd_scratch *s, unsigned n)
{
    uint32_t hits;

    /* A separate pass: the parser writes a key field by field and the hash
     * reads it a word at a time; a word load that spans several pending
     * stores cannot be forwarded and waits for the store buffer to drain,
     * guest stores of the last burst included.  By now they have. */
    for (unsigned i = 0; i < n; i++) {
        s->hashes[i] = flow_hash(&s->keys[i], 0);
        s->key_ptrs[i] = &s->keys[i];
    }
    hits = emc_lookup_batch(pmd->emc, s->key_ptrs, s->hashes, n, s->flows);
    pmd->emc_probe_lookups += n;
    pmd->emc_probe_hits += (uint32_t) __builtin_popcount(hits);
    PMD_STAT_ADD(pmd, emc_hits, __builtin_popcount(hits));
    return hits;
}

static void
pmd_classify(struct dpif_pmd *pmd, struct pmd_scratch *s, unsigned n,
             uint32_t in_port)
{
    uint32_t hits = 0, cls_hits, all = n == 32 ? UINT32_MAX : (1u << n) - 1;
    bool use_emc = pmd_emc_wanted(pmd);

    for (unsigned i = 0; i < n; i++) {
        struct dp_packet *p = &s->batch.pkts[i];
        struct flow_parse_info info;
        /* Only the private header copy is parsed (dp_packet.h). */
        (void) flow_extract_prefix(p->hdr, p->copy_len, p->frame_len, in_port,
                                   &s->keys[i], &info);
        flow_parse_stats_count(&s->parse, &info);
    }
    if (use_emc) {
        hits = pmd_emc_lookup(pmd, s, n);
        if (hits == all) {
            return;
        }
    } else {
        PMD_STAT_ADD(pmd, emc_bypassed, n);
    }
    for (unsigned i = 0; i < n; i++) {
        s->key_ptrs[i] = hits & (1u << i) ? NULL : &s->keys[i];
    }
    cls_hits = dpcls_lookup_batch(pmd->cls, s->key_ptrs, n, s->cls_flows);
    PMD_STAT_ADD(pmd, dpcls_hits, __builtin_popcount(cls_hits));
    for (unsigned i = 0; i < n; i++) {
        struct dp_flow *f = s->cls_flows[i];
        if (hits & (1u << i)) {
            continue;
        }
        if (cls_hits & (1u << i)) {
            s->flows[i] = f;
            if (use_emc) {
                emc_maybe_insert(pmd->emc, &s->keys[i], s->hashes[i], f,
                                 &f->gen);
            }
        } else {
            /* Rare: the hash a bypassed burst skipped is made here. */
            uint32_t hash = use_emc ? s->hashes[i]
                                    : flow_hash(&s->keys[i], 0);
            s->flows[i] = pmd_upcall(pmd, &s->keys[i], hash,
                                     &s->uninstalled[i]);
        }
    }
}

static void
pmd_flush_outputs(struct pmd_scratch *s, const struct dpif_snapshot *snap,
                  struct port *in);

static void
out_add(struct pmd_scratch *s, uint32_t port_no, struct dp_packet *pkt)
{
    struct pmd_out *o = &s->outs[port_no];

    if (RSW_UNLIKELY(o->n == BATCH)) {
        /* Only modifying actions output one packet twice to a port. */
        pmd_flush_outputs(s, s->snap, s->in);
    }
    if (!o->n) {
        s->active[s->n_active++] = (uint16_t) port_no;
    }
    o->pkts[o->n++] = pkt;
}

static void
pmd_sink_output(void *s, uint32_t port_no, struct dp_packet *pkt)
{
    if (port_no < DP_MAX_PORTS) {
        out_add(s, port_no, pkt);
    }
}

static struct dp_packet *
pmd_sink_clone(void *s_)
{
    struct pmd_scratch *s = s_;

    if (s->n_clones == PMD_CLONES) {
        pmd_flush_outputs(s, s->snap, s->in);
        s->n_clones = 0;
    }
    return &s->clones[s->n_clones++];
}

/* Runs each packet's actions into per-port batches; counts drops on the
 * input port. */
static void
pmd_execute(struct pmd_scratch *s, unsigned n,
            const struct dpif_snapshot *snap, struct port *in)
{
    uint64_t no_route = 0, lost = 0;

    s->snap = snap;
    s->in = in;
    s->n_clones = 0;    /* the previous burst's are sent */
    for (unsigned i = 0; i < n; i++) {
        struct dp_flow *f = s->flows[i];
        if (!f) {
            lost++;
            continue;
        }
        /* Counted as received, before actions change the frame. */
        f->hits++;
        f->bytes += s->batch.pkts[i].frame_len;
        if (RSW_UNLIKELY(!dp_actions_outputs_only(&f->actions))) {
            s->modified |= 1u << i;
            no_route += !dp_actions_execute(&f->actions, &s->batch.pkts[i],
                                            &s->sink);
            continue;
        }
        if (!f->actions.n_outputs) {
            no_route++;
        }
        for (uint32_t k = 0; k < f->actions.n; k++) {
            uint32_t no = f->actions.list[k].port;
            if (no < DP_MAX_PORTS) {
                out_add(s, no, &s->batch.pkts[i]);
            }
        }
    }
    port_stat_add(&in->stats.drops[PORT_DROP_NO_ROUTE], no_route);
    port_stat_add(&in->stats.drops[PORT_DROP_UPCALL_FAIL], lost);
}

/* The capture on port 'port_no', almost always NULL: a capture that is
 * off costs one load per rx burst and per output batch. */
static inline struct capture *
pmd_capture(const struct pmd_scratch *s, uint32_t port_no)
{
    return __atomic_load_n(&s->dp->captures[port_no], __ATOMIC_ACQUIRE);
}

static void
pmd_flush_outputs(struct pmd_scratch *s, const struct dpif_snapshot *snap,
                  struct port *in)
{
    for (unsigned i = 0; i < s->n_active; i++) {
        uint16_t no = s->active[i];
        struct pmd_out *o = &s->outs[no];
        struct port *p = snap->ports[no];
        struct capture *cap = pmd_capture(s, no);

        if (RSW_UNLIKELY(cap != NULL) && p) {
            /* As sent: after the actions (dp_packet_data). */
            for (unsigned k = 0; k < o->n; k++) {
                capture_packet(cap, o->pkts[k], CAPTURE_DIR_TX);
            }
        }
        if (p) {
            p->class->tx_batch(p, o->pkts, o->n);
        } else {
            /* The port left since the flow was made. */
            port_stat_add(&in->stats.drops[PORT_DROP_NO_ROUTE], o->n);
        }
        o->n = 0;
    }
    s->n_active = 0;
}

/* Sends the burst's outputs; then the batch slots whose frame start
 * actions moved get it back, so every slot starts each rx burst with its
 * frame at 'hdr', where rx providers write it (dp_packet.h). */
static void
pmd_finish_burst(struct pmd_scratch *s, const struct dpif_snapshot *snap,
                 struct port *in)
{
    pmd_flush_outputs(s, snap, in);
    for (uint32_t m = s->modified; m; m &= m - 1) {
        dp_packet_reset_head(&s->batch.pkts[__builtin_ctz(m)]);
    }
    s->modified = 0;
}

static unsigned
pmd_process_rxq(struct dpif_pmd *pmd, const struct dpif_snapshot *snap,
                const struct dpif_rxq *q)
{
    struct pmd_scratch *s = pmd->scratch;
    struct port *in = q->port;
    unsigned n;

    s->batch.n = 0;
    n = in->class->rx_burst(in, q->qid, &s->batch);
    if (n) {
        struct capture *cap = pmd_capture(s, in->port_no);
        PMD_STAT_ADD(pmd, rx_batches, 1);
        if (RSW_UNLIKELY(cap != NULL)) {
            for (unsigned i = 0; i < n; i++) {
                capture_packet(cap, &s->batch.pkts[i], CAPTURE_DIR_RX);
            }
        }
        pmd_classify(pmd, s, n, in->port_no);
        pmd_execute(s, n, snap, in);
        pmd_finish_burst(s, snap, in);
        if (RSW_UNLIKELY(s->n_fresh)) {
            pmd_credit_fresh(pmd, s);
        }
    }
    /* Always: refused chains were staged too. */
    in->class->rx_release(in, q->qid);
    return n;
}

static void
pmd_answer_dump(struct dpif_pmd *pmd)
{
    struct dpif_dump_req *req = __atomic_load_n(&pmd->dump_req,
                                                __ATOMIC_ACQUIRE);
    unsigned n = 0;

    if (!req) {
        return;
    }
    for (struct dp_flow *f = pmd->flows; f; f = f->next, n++) {
        if (n < req->max) {
            req->out[n].key = f->key;
            req->out[n].mask = f->mask;
            req->out[n].actions = f->actions;
            req->out[n].hits = f->hits;
            req->out[n].bytes = f->bytes;
        }
    }
    req->n_total = n;
    __atomic_store_n(&pmd->dump_req, NULL, __ATOMIC_RELAXED);
    __atomic_store_n(&req->done, 1, __ATOMIC_RELEASE);
}

/* Keeps the longest iteration for pmd-stats-show; a clear request (a
 * counter the control thread bumps) restarts it from this iteration. */
static inline void
pmd_track_max_iter(struct dpif_pmd *pmd, uint64_t dt)
{
    uint64_t clear = __atomic_load_n(&pmd->max_iter_clear, __ATOMIC_RELAXED);

    if (RSW_UNLIKELY(clear != pmd->max_iter_clear_seen)) {
        pmd->max_iter_clear_seen = clear;
        __atomic_store_n(&pmd->max_iter_cycles, dt, __ATOMIC_RELAXED);
    } else if (RSW_UNLIKELY(dt > pmd->max_iter_cycles)) {
        __atomic_store_n(&pmd->max_iter_cycles, dt, __ATOMIC_RELAXED);
    }
}

/* One poll-loop iteration over this PMD's rx queues. */
static void
pmd_iterate(struct dpif_pmd *pmd)
{
    const struct dpif_snapshot *snap;
    uint64_t gen, t0, t, n = 0;

    /* Quiescent point: nothing from the previous iteration is held.
     * The generation is read after the sequence bump, both seq_cst, as
     * dpif_flows_changed() bumps the generation before dpif_synchronize()
     * reads the sequences (store-load on both sides): if the control
     * thread's read missed this bump, this read sees its generation: the
     * PMD flushes before its next packet, and publishes flow_gen_done,
     * which dpif_synchronize() waits for too (the guarantee dpif.h
     * documents).  On x86 a seq_cst load is a plain load.  With
     * membarrier the store-load fence is made by dpif_synchronize() on
     * this core when it is needed (dpif.c), so here a plain store and a
     * compiler barrier do. */
    if (RSW_LIKELY(pmd->dp->membarrier)) {
        __atomic_store_n(&pmd->seq, pmd->seq + 1, __ATOMIC_RELAXED);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
    } else {
        __atomic_fetch_add(&pmd->seq, 1, __ATOMIC_SEQ_CST);
    }
    snap = __atomic_load_n(&pmd->dp->snap, __ATOMIC_ACQUIRE);
    /* Requests claimed before a flush are served by it. */
    uint64_t claimed = __atomic_load_n(&pmd->dp->inval_claimed,
                                       __ATOMIC_ACQUIRE);
    gen = __atomic_load_n(&pmd->dp->flow_gen, __ATOMIC_SEQ_CST);
    if (gen != pmd->flow_gen) {
        pmd->flow_gen = gen;
        pmd_flush_flows(pmd);
        PMD_STAT_ADD(pmd, flow_flushes, 1);
        __atomic_store_n(&pmd->flow_gen_done, gen, __ATOMIC_RELEASE);
        pmd->inval_done = claimed;
    } else if (RSW_UNLIKELY(claimed != pmd->inval_done)) {
        pmd_serve_dl_dst_requests(pmd, claimed);
    }
    /* After the flush: a dump that follows a change shows no stale
     * megaflow. */
    pmd_answer_dump(pmd);
    /* The clock is read once per queue that brought packets and once
     * more if the iteration ends with an empty poll: rdtsc costs tens of
     * cycles, and most iterations of a loaded switch find one queue empty.
     * An iteration starts where the last one ended, so busy + idle is all
     * of the thread's time. */
    t0 = t = pmd->last_tsc;
    bool tail_idle = false;
    for (unsigned i = 0; i < snap->n_rxqs; i++) {
        if (snap->rxqs[i].pmd == pmd->index) {
            unsigned got = pmd_process_rxq(pmd, snap, &snap->rxqs[i]);
            if (got) {   /* busy cycles per queue, for rebalancing */
                uint64_t now = rte_rdtsc();
                dpif_rxq_cycles_add(&snap->ctrs[i], now - t);
                n += got;
                t = now;
            }
            tail_idle = !got;
        }
    }
    if (!n || tail_idle) {
        t = rte_rdtsc();
    }
    pmd->last_tsc = t;
    uint64_t dt = t - t0;
    if (n) {
        PMD_STAT_ADD(pmd, packets, n);
        PMD_STAT_ADD(pmd, busy_cycles, dt);
    } else {
        PMD_STAT_ADD(pmd, idle_cycles, dt);
    }
    PMD_STAT_ADD(pmd, iterations, 1);
    pmd_track_max_iter(pmd, dt);
    if (pmd->dp->upcall.credit) {
        pmd_credit_step(pmd, t);
    }
}

static void *
pmd_main(void *pmd_)
{
    struct dpif_pmd *pmd = pmd_;
    char name[16];

    snprintf(name, sizeof name, "pmd-c%02u", pmd->core);
    pthread_setname_np(pthread_self(), name);
    /* An lcore id, so DPDK per-lcore caches work here (ethdev ports). */
    if (rte_thread_register()) {
        RSW_LOG(RSW_LOG_WARN, "%s: rte_thread_register failed: DPDK "
                "mempool caches unavailable on this thread", name);
    }
    RSW_LOG(RSW_LOG_INFO, "%s: polling on core %u (NUMA %d)", name,
            pmd->core, pmd->numa);
    pmd->last_tsc = rte_rdtsc();
    while (!__atomic_load_n(&pmd->exit, __ATOMIC_ACQUIRE)) {
        pmd_iterate(pmd);
    }
    /* The last credits, from the thread the slow path expects them on. */
    pmd_flush_flows(pmd);
    pmd_answer_dump(pmd);
    __atomic_store_n(&pmd->running, 0, __ATOMIC_SEQ_CST);
    rte_thread_unregister();
    return NULL;
}

static int
pmd_alloc(struct dpif_pmd *pmd)
{
    int err = emc_create(0, &pmd->emc);

    if (err) {
        return err;
    }
    if (pmd->dp->emc_insert_inv_prob) {
        emc_set_insert_inv_prob(pmd->emc, pmd->dp->emc_insert_inv_prob);
    }
    err = dpcls_create(&pmd->cls);
    if (err) {
        return err;
    }
    if (posix_memalign((void **) &pmd->scratch, 64, sizeof *pmd->scratch)) {
        return -ENOMEM;
    }
    memset(pmd->scratch, 0, sizeof *pmd->scratch);
    pmd->scratch->dp = pmd->dp;
    pmd->scratch->sink = (struct dp_actions_sink) {
        .output = pmd_sink_output,
        .clone = pmd_sink_clone,
        .aux = pmd->scratch,
    };
    for (unsigned i = 0; i < BATCH; i++) {
        dp_packet_reset_head(&pmd->scratch->batch.pkts[i]);
    }
    return 0;
}

static void
pmd_free(struct dpif_pmd *pmd)
{
    if (pmd->cls) {
        pmd_flush_flows(pmd);
    }
    emc_destroy(pmd->emc);
    dpcls_destroy(pmd->cls);
    free(pmd->scratch);
    pmd->emc = NULL;
    pmd->cls = NULL;
    pmd->scratch = NULL;
}

int
dpif_pmd_start(struct dpif_pmd *pmd)
{
    cpu_set_t set;
    pthread_attr_t attr;
    int err = pmd_alloc(pmd);

    if (err) {
        goto err_free;
    }
    pmd->flow_gen = __atomic_load_n(&pmd->dp->flow_gen, __ATOMIC_ACQUIRE);
    pmd->flow_gen_done = pmd->flow_gen;
    pmd->inval_done = __atomic_load_n(&pmd->dp->inval_claimed,
                                      __ATOMIC_ACQUIRE);
    pmd->credit_next_tsc = rte_rdtsc() + pmd->dp->credit_interval_tsc;
    CPU_ZERO(&set);
    CPU_SET(pmd->core, &set);
    pthread_attr_init(&attr);
    /* Pinned from its first instruction. */
    pthread_attr_setaffinity_np(&attr, sizeof set, &set);
    __atomic_store_n(&pmd->running, 1, __ATOMIC_SEQ_CST);
    err = -pthread_create(&pmd->thread, &attr, pmd_main, pmd);
    pthread_attr_destroy(&attr);
    if (err) {
        __atomic_store_n(&pmd->running, 0, __ATOMIC_SEQ_CST);
        RSW_LOG(RSW_LOG_ERR, "cannot start PMD on core %u: %s", pmd->core,
                strerror(-err));
        goto err_free;
    }
    pmd->started = true;
    return 0;

err_free:
    pmd_free(pmd);
    return err;
}

void
dpif_pmd_stop(struct dpif_pmd *pmd)
{
    if (pmd->started) {
        __atomic_store_n(&pmd->exit, 1, __ATOMIC_RELEASE);
        pthread_join(pmd->thread, NULL);
        pmd->started = false;
    }
    pmd_free(pmd);
}
