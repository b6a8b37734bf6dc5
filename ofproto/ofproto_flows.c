/* SPDX-License-Identifier: Apache-2.0 */
/* Flow programming (see ofproto.h): flow mods as all-or-nothing batches,
 * replace-flows, rule timeouts, counters and dumps.
 *
 * A batch runs in two phases.  Checking: every mod is validated (table
 * range, ofp_actions_check, the per-bridge rule limit) and everything the
 * change needs is allocated -- the new rules, new action lists, the list
 * of rules a modify/delete touches, room in the id hash.  Applying: only
 * steps that cannot fail (pointer swaps, removals), except the classifier
 * inserts of add and replace-flows, which are undone in reverse order if
 * one fails.  So an error leaves the tables as they were.
 *
 * Locking: what needs no table (table ranges, actions against an explicit
 * table, building the new rules) is done before the mutex is taken; the
 * rest, and the whole apply, under one hold, so no translation ever sees
 * half a batch.  The price: a batch of N adds holds off upcalls for N
 * classifier inserts.
 *
 * OpenFlow 1.3 §6.4 semantics, with ovs-ofctl's conventions: add replaces
 * a rule with the same table, match and priority (counters reset);
 * modify changes only the actions of the rules it selects, and their
 * cookie if it names a new one (cookie=C without a mask; timeouts,
 * counters and age stay), and never adds one; modify and delete
 * select, non-strict, every rule whose match the mod's match covers, or,
 * strict, the rule with exactly that match and priority, in one table or
 * all (OFP_TABLE_ALL), then filter by cookie/mask (when given) and
 * out_port (when not OFPP_ANY). */
#include "ofproto_private.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vhost/vlog.h"

/* ofproto_rule.batch_mark while a batch runs. */
enum {
    MARK_NONE,
    MARK_PLANNED,       /* already selected by an earlier mod (delete) */
    MARK_NEW,           /* inserted by this batch */
    MARK_KEEP,          /* replace-flows: unchanged, keeps its counters */
    MARK_REPLACED,      /* taken out by an insert of this batch */
};

static struct ofproto_rule *
rule_of(const struct ofp_cls_rule *cr)
{
    /* 'cr' is the first member of struct ofproto_rule. */
    return (struct ofproto_rule *) cr;
}

static void
set_err(char *err, size_t size, const char *fmt, ...) RSW_PRINTF(3, 4);

static void
set_err(char *err, size_t size, const char *fmt, ...)
{
    va_list ap;

    if (!err || !size) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
}

/* ---- Rules ------------------------------------------------------------ */

static void
rule_free(struct ofproto_rule *r)
{
    if (r) {
        free(r->actions);
        free(r);
    }
}

static int
actions_dup(const struct ofp_action *a, unsigned n, struct ofp_action **out)
{
    *out = NULL;
    if (n) {
        *out = malloc(n * sizeof **out);
        if (!*out) {
            return -ENOMEM;
        }
        memcpy(*out, a, n * sizeof **out);
    }
    return 0;
}

static int
rule_new(const struct ofp_flow_mod *fm, struct ofproto_rule **out)
{
    struct ofproto_rule *r = calloc(1, sizeof *r);

    if (!r || actions_dup(fm->actions, fm->n_actions, &r->actions)) {
        free(r);
        return -ENOMEM;
    }
    ofp_cls_rule_init(&r->cr, &fm->match, fm->priority);
    r->n_actions = fm->n_actions;
    r->table_id = fm->table_id;
    r->cookie = fm->cookie;
    r->idle_timeout = fm->idle_timeout;
    r->hard_timeout = fm->hard_timeout;
    *out = r;
    return 0;
}

/* Makes an inserted rule known: id, count, timeout list. */
static void
rule_attach(struct ofproto *o, struct ofproto_bridge *b,
            struct ofproto_rule *r, uint64_t now)
{
    r->bridge = b;
    r->created_ms = r->used_ms = now;
    ofproto_rule_id_insert(o, r);
    b->n_rules++;
    if (r->idle_timeout || r->hard_timeout) {
        r->exp_prev = NULL;
        r->exp_next = b->expirable;
        if (b->expirable) {
            b->expirable->exp_prev = r;
        }
        b->expirable = r;
    }
}

/* Undoes rule_attach (the caller takes it out of its classifier). */
static void
rule_detach(struct ofproto *o, struct ofproto_rule *r)
{
    struct ofproto_bridge *b = r->bridge;

    ofproto_rule_id_remove(o, r);
    b->n_rules--;
    if (r->idle_timeout || r->hard_timeout) {
        if (r->exp_prev) {
            r->exp_prev->exp_next = r->exp_next;
        } else {
            b->expirable = r->exp_next;
        }
        if (r->exp_next) {
            r->exp_next->exp_prev = r->exp_prev;
        }
        r->exp_prev = r->exp_next = NULL;
    }
}

static void
rule_delete(struct ofproto *o, struct ofproto_rule *r)
{
    ofp_cls_remove(r->bridge->tables[r->table_id].cls, &r->cr);
    rule_detach(o, r);
    rule_free(r);
}

int
ofproto_bridge_add_default_rule(struct ofproto *o, struct ofproto_bridge *b)
{
    struct ofproto_rule *r = calloc(1, sizeof *r);
    struct ofp_cls_rule *replaced;
    struct ofp_match catchall;
    int err = -ENOMEM;

    if (!r) {
        return err;
    }
    r->actions = calloc(1, sizeof *r->actions);
    if (!r->actions) {
        goto err_free;
    }
    /* "table=0,priority=0,actions=NORMAL", as ovs-vsctl add-br gives. */
    r->actions[0].type = OFPACT_OUTPUT;
    r->actions[0].port = OFPP_NORMAL;
    r->n_actions = 1;
    ofp_match_init_catchall(&catchall);
    ofp_cls_rule_init(&r->cr, &catchall, 0);
    err = ofproto_rule_ids_reserve(o, 1);
    if (err) {
        goto err_free;
    }
    err = ofp_cls_insert(b->tables[0].cls, &r->cr, &replaced);
    if (err) {
        goto err_free;
    }
    rule_attach(o, b, r, ofproto_now_ms());
    return 0;

err_free:
    rule_free(r);
    return err;
}

void
ofproto_bridge_remove_rules(struct ofproto *o, struct ofproto_bridge *b)
{
    /* Through the id hash: it holds every rule and needs no allocation
     * to walk (this runs on teardown and error paths). */
    for (size_t i = 0; i <= o->by_id_mask; i++) {
        struct ofproto_rule **pp = &o->by_id[i];
        while (*pp) {
            struct ofproto_rule *r = *pp;
            if (r->bridge != b) {
                pp = &r->id_next;
                continue;
            }
            rule_delete(o, r);  /* unlinks *pp */
        }
    }
}

/* ---- Selection (modify, delete, dump) --------------------------------- */

struct rule_vec {
    struct ofproto_rule **r;
    size_t n, cap;
};

static int
rule_vec_push(struct rule_vec *v, struct ofproto_rule *r)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        struct ofproto_rule **nr = realloc(v->r, cap * sizeof *nr);
        if (!nr) {
            return -ENOMEM;
        }
        v->r = nr;
        v->cap = cap;
    }
    v->r[v->n++] = r;
    return 0;
}

/* The cookie and out_port filters (OF 1.3 §6.4, A.3.4.1). */
static bool
rule_passes(const struct ofproto_rule *r, const struct ofp_flow_mod *fm)
{
    if (fm->has_cookie && ((r->cookie ^ fm->cookie) & fm->cookie_mask)) {
        return false;
    }
    return fm->out_port == OFPP_ANY
           || ofp_actions_output_to(r->actions, r->n_actions, fm->out_port);
}

static void
table_range(uint8_t table_id, unsigned *lo, unsigned *hi)
{
    bool all = table_id == OFP_TABLE_ALL;

    *lo = all ? 0 : table_id;
    *hi = all ? OFP_N_TABLES - 1 : table_id;
}

static int
select_in_table(const struct ofp_cls *cls, const struct ofp_flow_mod *fm,
                bool strict, struct rule_vec *out)
{
    struct ofp_cls_rule **found = NULL;
    size_t n = 0;
    int err;

    if (strict) {
        struct ofp_cls_rule *cr = ofp_cls_find_exact(cls, &fm->match,
                                                     fm->priority);
        if (cr && rule_passes(rule_of(cr), fm)) {
            return rule_vec_push(out, rule_of(cr));
        }
        return 0;
    }
    err = ofp_cls_collect(cls, &fm->match, &found, &n);
    for (size_t i = 0; !err && i < n; i++) {
        if (rule_passes(rule_of(found[i]), fm)) {
            err = rule_vec_push(out, rule_of(found[i]));
        }
    }
    free(found);
    return err;
}

/* Appends the rules 'fm' selects to 'out', table by table. */
static int
select_rules(const struct ofproto_bridge *b, const struct ofp_flow_mod *fm,
             bool strict, struct rule_vec *out)
{
    unsigned lo, hi;

    table_range(fm->table_id, &lo, &hi);
    for (unsigned t = lo; t <= hi; t++) {
        const struct ofp_cls *cls = b->tables[t].cls;
        if (ofp_cls_count(cls)) {
            int err = select_in_table(cls, fm, strict, out);
            if (err) {
                return err;
            }
        }
    }
    return 0;
}

/* ---- Checks that need no table ---------------------------------------- */

static int
check_mod(const struct ofp_flow_mod *fm, bool add, bool has_actions,
          size_t i, char *err, size_t err_size)
{
    char why[256];

    if (add && fm->table_id >= OFP_N_TABLES) {
        set_err(err, err_size, "flow %zu: table %u is not a table (0..%u)",
                i + 1, fm->table_id, OFP_N_TABLES - 1);
        return -EINVAL;
    }
    if (!has_actions) {
        return 0;
    }
    if (fm->n_actions > OFP_ACTIONS_MAX) {
        set_err(err, err_size, "flow %zu: more than %u actions", i + 1,
                OFP_ACTIONS_MAX);
        return -EINVAL;
    }
    /* Against every selected rule's table later, when not known here. */
    if (fm->table_id != OFP_TABLE_ALL
        && ofp_actions_check(fm->actions, fm->n_actions, fm->table_id, why,
                             sizeof why)) {
        set_err(err, err_size, "flow %zu: %s", i + 1, why);
        return -EINVAL;
    }
    return 0;
}

static int
check_mods(const struct ofp_flow_mod *fms, size_t n,
           enum ofproto_fm_command cmd, char *err, size_t err_size)
{
    bool add = cmd == OFPROTO_FM_ADD;
    bool has_actions = add || cmd == OFPROTO_FM_MODIFY
                       || cmd == OFPROTO_FM_MODIFY_STRICT;

    for (size_t i = 0; i < n; i++) {
        int e = check_mod(&fms[i], add, has_actions, i, err, err_size);
        if (e) {
            return e;
        }
    }
    return 0;
}

static struct ofproto_bridge *
find_bridge_err(struct ofproto *o, const char *br, char *err, size_t size)
{
    struct ofproto_bridge *b = ofproto_bridge_find(o, br);

    if (!b) {
        set_err(err, size, "no bridge named %s", br);
    }
    return b;
}

/* ---- Inserts (add, replace-flows) ------------------------------------- */

struct insert_op {
    struct ofproto_rule *rule;      /* NULL: nothing to insert */
    struct ofproto_rule *replaced;  /* what the insert took out */
};

static void
free_ops(struct insert_op *ops, size_t n)
{
    for (size_t i = 0; ops && i < n; i++) {
        rule_free(ops[i].rule);
    }
    free(ops);
}

/* The new rules of 'n' checked mods, built without the lock. */
static int
build_ops(const struct ofp_flow_mod *fms, size_t n, struct insert_op **out)
{
    struct insert_op *ops = calloc(n ? n : 1, sizeof *ops);

    if (!ops) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (rule_new(&fms[i], &ops[i].rule)) {
            free_ops(ops, i);
            return -ENOMEM;
        }
    }
    *out = ops;
    return 0;
}

static bool
rule_same(const struct ofproto_rule *a, const struct ofproto_rule *b)
{
    return a->cookie == b->cookie && a->idle_timeout == b->idle_timeout
           && a->hard_timeout == b->hard_timeout
           && ofp_actions_equal(a->actions, a->n_actions, b->actions,
                                b->n_actions);
}

/* Takes back ops[0..n) in reverse order: each old rule goes back in place
 * of the new one.  Putting back a rule with the same match and priority
 * as one present cannot need memory in practice; if it fails anyway the
 * new rule stays (and the old one is dropped), which is logged. */
static void
undo_inserts(struct ofproto *o, struct insert_op *ops, size_t n)
{
    while (n--) {
        struct ofproto_rule *r = ops[n].rule, *old = ops[n].replaced;
        struct ofp_cls *cls;
        struct ofp_cls_rule *back;

        if (!r) {
            continue;
        }
        cls = r->bridge->tables[r->table_id].cls;
        ops[n].replaced = NULL;
        if (!old) {
            ofp_cls_remove(cls, &r->cr);
        } else if (ofp_cls_insert(cls, &old->cr, &back)) {
            RSW_LOG(RSW_LOG_ERR, "ofproto: cannot restore a replaced rule "
                    "of bridge %s after a failed batch", r->bridge->name);
            r->batch_mark = MARK_NONE;
            ops[n].rule = NULL;             /* stays in the table */
            for (size_t k = 0; k < (size_t) n; k++) {
                if (ops[k].rule == old) {   /* an earlier op of this batch */
                    ops[k].rule = NULL;
                }
            }
            rule_detach(o, old);
            rule_free(old);
            continue;
        } else {
            old->batch_mark = MARK_NONE;
        }
        rule_detach(o, r);
        r->batch_mark = MARK_NONE;
    }
}

/* With 'keep_same' (replace-flows) a mod identical to the rule present
 * is dropped and that rule marked MARK_KEEP instead. */
static int
insert_all(struct ofproto *o, struct ofproto_bridge *b,
           struct insert_op *ops, size_t n, bool keep_same)
{
    uint64_t now = ofproto_now_ms();

    for (size_t i = 0; i < n; i++) {
        struct ofproto_rule *r = ops[i].rule;
        struct ofp_cls *cls = b->tables[r->table_id].cls;
        struct ofp_cls_rule *old;
        int err;

        if (keep_same) {
            old = ofp_cls_find_exact(cls, &r->cr.match, r->cr.priority);
            if (old && rule_same(rule_of(old), r)) {
                if (rule_of(old)->batch_mark == MARK_NONE) {
                    rule_of(old)->batch_mark = MARK_KEEP;
                }
                rule_free(r);
                ops[i].rule = NULL;
                continue;
            }
        }
        err = ofp_cls_insert(cls, &r->cr, &old);
        if (err) {
            undo_inserts(o, ops, i);
            return err;
        }
        rule_attach(o, b, r, now);
        r->batch_mark = MARK_NEW;
        ops[i].replaced = old ? rule_of(old) : NULL;
        if (old) {
            rule_of(old)->batch_mark = MARK_REPLACED;
        }
    }
    return 0;
}

/* Deletes (replace-flows) the rules of 'old' not kept or replaced, then
 * frees the replaced ones; clears every mark.  Returns whether anything
 * changed. */
static bool
commit_inserts(struct ofproto *o, struct insert_op *ops, size_t n,
               const struct rule_vec *old)
{
    bool changed = false;

    for (size_t i = 0; i < n; i++) {
        if (ops[i].rule) {
            ops[i].rule->batch_mark = MARK_NONE;
            changed = true;
        }
    }
    for (size_t i = 0; old && i < old->n; i++) {
        struct ofproto_rule *r = old->r[i];
        if (r->batch_mark == MARK_NONE) {
            rule_delete(o, r);
            changed = true;
        } else if (r->batch_mark == MARK_KEEP) {
            r->batch_mark = MARK_NONE;
        }   /* MARK_REPLACED: freed below */
    }
    for (size_t i = 0; i < n; i++) {
        if (ops[i].replaced) {
            rule_detach(o, ops[i].replaced);
            rule_free(ops[i].replaced);
        }
        ops[i].rule = NULL;         /* owned by the tables now */
    }
    return changed;
}

/* ADD may take the bridge past the rule limit only by rules whose match
 * and priority are not there yet (duplicates within the batch count
 * twice: the check errs on the safe side). */
static int
check_room(const struct ofproto *o, const struct ofproto_bridge *b,
           const struct insert_op *ops, size_t n, char *err, size_t size)
{
    size_t total = b->n_rules;

    for (size_t i = 0; i < n; i++) {
        const struct ofproto_rule *r = ops[i].rule;
        if (!ofp_cls_find_exact(b->tables[r->table_id].cls, &r->cr.match,
                                r->cr.priority)
            && ++total > o->max_rules) {
            set_err(err, size, "flow %zu: bridge %s would have more than "
                    "%u rules", i + 1, b->name, o->max_rules);
            return -ENOSPC;
        }
    }
    return 0;
}

static int
add_locked(struct ofproto *o, const char *br, struct insert_op *ops,
           size_t n, char *err, size_t size)
{
    struct ofproto_bridge *b = find_bridge_err(o, br, err, size);
    int e;

    if (!b) {
        return -ENOENT;
    }
    e = check_room(o, b, ops, n, err, size);
    if (!e) {
        e = ofproto_rule_ids_reserve(o, n);
    }
    if (!e) {
        e = insert_all(o, b, ops, n, false);
    }
    if (e) {
        if (e == -ENOMEM) {
            set_err(err, size, "out of memory adding %zu flows", n);
        }
        return e;
    }
    if (commit_inserts(o, ops, n, NULL)) {
        ofproto_invalidate(o);
    }
    return 0;
}

static int
add_flows(struct ofproto *o, const char *br, const struct ofp_flow_mod *fms,
          size_t n, char *err, size_t size)
{
    struct insert_op *ops;
    int e = build_ops(fms, n, &ops);

    if (e) {
        set_err(err, size, "out of memory building %zu flows", n);
        return e;
    }
    pthread_mutex_lock(&o->mutex);
    e = add_locked(o, br, ops, n, err, size);
    pthread_mutex_unlock(&o->mutex);
    free_ops(ops, n);
    return e;
}

/* ---- Modify and delete ------------------------------------------------ */

struct mod_change {
    struct ofproto_rule *rule;
    struct ofp_action *actions;
    unsigned n_actions;
    bool set_cookie;            /* mod-flows gave cookie=C, no mask */
    uint64_t cookie;
};

struct mod_plan {
    struct mod_change *c;
    size_t n, cap;
};

static void
mod_plan_free(struct mod_plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->c[i].actions);
    }
    free(p->c);
}

static int
mod_plan_add(struct mod_plan *p, struct ofproto_rule *r,
             const struct ofp_flow_mod *fm)
{
    struct mod_change *c;

    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        c = realloc(p->c, cap * sizeof *c);
        if (!c) {
            return -ENOMEM;
        }
        p->c = c;
        p->cap = cap;
    }
    c = &p->c[p->n];
    c->rule = r;
    c->n_actions = fm->n_actions;
    c->set_cookie = fm->modify_cookie;
    c->cookie = fm->new_cookie;
    if (actions_dup(fm->actions, fm->n_actions, &c->actions)) {
        return -ENOMEM;
    }
    p->n++;
    return 0;
}

/* The changes of mod 'i': one new action list per selected rule, each
 * checked against that rule's table when the mod named none. */
static int
plan_modify_one(const struct ofproto_bridge *b, const struct ofp_flow_mod *fm,
                size_t i, bool strict, struct mod_plan *plan,
                struct rule_vec *sel, char *err, size_t size)
{
    char why[256];
    int e;

    sel->n = 0;
    e = select_rules(b, fm, strict, sel);
    for (size_t k = 0; !e && k < sel->n; k++) {
        struct ofproto_rule *r = sel->r[k];
        if (fm->table_id == OFP_TABLE_ALL
            && ofp_actions_check(fm->actions, fm->n_actions, r->table_id,
                                 why, sizeof why)) {
            set_err(err, size, "flow %zu: table %u: %s", i + 1,
                    r->table_id, why);
            return -EINVAL;
        }
        e = mod_plan_add(plan, r, fm);
    }
    if (e) {
        set_err(err, size, "flow %zu: out of memory", i + 1);
    }
    return e;
}

static int
modify_locked(struct ofproto *o, struct ofproto_bridge *b,
              const struct ofp_flow_mod *fms, size_t n, bool strict,
              char *err, size_t size)
{
    struct mod_plan plan = {0};
    struct rule_vec sel = {0};
    int e = 0;

    for (size_t i = 0; !e && i < n; i++) {
        e = plan_modify_one(b, &fms[i], i, strict, &plan, &sel, err, size);
    }
    free(sel.r);
    if (!e) {
        /* In batch order, so a later mod of the same rule wins. */
        for (size_t k = 0; k < plan.n; k++) {
            struct mod_change *c = &plan.c[k];
            free(c->rule->actions);
            c->rule->actions = c->actions;
            c->rule->n_actions = c->n_actions;
            if (c->set_cookie) {
                c->rule->cookie = c->cookie;
            }
            c->actions = NULL;
        }
        if (plan.n) {
            ofproto_invalidate(o);
        }
    }
    mod_plan_free(&plan);
    return e;
}

static int
delete_locked(struct ofproto *o, struct ofproto_bridge *b,
              const struct ofp_flow_mod *fms, size_t n, bool strict,
              char *err, size_t size)
{
    struct rule_vec sel = {0}, del = {0};
    int e = 0;

    for (size_t i = 0; !e && i < n; i++) {
        sel.n = 0;
        e = select_rules(b, &fms[i], strict, &sel);
        for (size_t k = 0; !e && k < sel.n; k++) {
            if (sel.r[k]->batch_mark == MARK_NONE) {
                sel.r[k]->batch_mark = MARK_PLANNED;
                e = rule_vec_push(&del, sel.r[k]);
            }
        }
        if (e) {
            set_err(err, size, "flow %zu: out of memory", i + 1);
        }
    }
    for (size_t k = 0; k < del.n; k++) {
        if (e) {
            del.r[k]->batch_mark = MARK_NONE;
        } else {
            rule_delete(o, del.r[k]);
        }
    }
    if (!e && del.n) {
        ofproto_invalidate(o);
    }
    free(sel.r);
    free(del.r);
    return e;
}

int
ofproto_flow_mods(struct ofproto *o, const char *br,
                  enum ofproto_fm_command cmd,
                  const struct ofp_flow_mod *fms, size_t n, char *err,
                  size_t size)
{
    struct ofproto_bridge *b;
    int e = check_mods(fms, n, cmd, err, size);

    if (e) {
        return e;
    }
    if (cmd == OFPROTO_FM_ADD) {
        return add_flows(o, br, fms, n, err, size);
    }
    pthread_mutex_lock(&o->mutex);
    b = find_bridge_err(o, br, err, size);
    if (!b) {
        e = -ENOENT;
    } else if (cmd == OFPROTO_FM_MODIFY || cmd == OFPROTO_FM_MODIFY_STRICT) {
        e = modify_locked(o, b, fms, n, cmd == OFPROTO_FM_MODIFY_STRICT, err,
                          size);
    } else if (cmd == OFPROTO_FM_DELETE || cmd == OFPROTO_FM_DELETE_STRICT) {
        e = delete_locked(o, b, fms, n, cmd == OFPROTO_FM_DELETE_STRICT, err,
                          size);
    } else {
        set_err(err, size, "unknown flow mod command %d", (int) cmd);
        e = -EINVAL;
    }
    pthread_mutex_unlock(&o->mutex);
    return e;
}

/* ---- replace-flows ---------------------------------------------------- */

static int
collect_all(const struct ofproto_bridge *b, struct rule_vec *out)
{
    for (unsigned t = 0; t < OFP_N_TABLES; t++) {
        struct ofp_cls_rule **found = NULL;
        size_t n = 0;
        int err;

        if (!ofp_cls_count(b->tables[t].cls)) {
            continue;
        }
        err = ofp_cls_collect(b->tables[t].cls, NULL, &found, &n);
        for (size_t i = 0; !err && i < n; i++) {
            err = rule_vec_push(out, rule_of(found[i]));
        }
        free(found);
        if (err) {
            return err;
        }
    }
    return 0;
}

static int
replace_locked(struct ofproto *o, const char *br, struct insert_op *ops,
               size_t n, char *err, size_t size)
{
    struct ofproto_bridge *b = find_bridge_err(o, br, err, size);
    struct rule_vec old = {0};
    int e;

    if (!b) {
        return -ENOENT;
    }
    if (n > o->max_rules) {
        set_err(err, size, "flow %u: bridge %s would have more than %u rules",
                o->max_rules + 1, b->name, o->max_rules);
        return -ENOSPC;
    }
    e = collect_all(b, &old);
    if (!e) {
        e = ofproto_rule_ids_reserve(o, n);
    }
    if (!e) {
        e = insert_all(o, b, ops, n, true);
    }
    if (e) {
        for (size_t i = 0; i < old.n; i++) {
            old.r[i]->batch_mark = MARK_NONE;
        }
        set_err(err, size, "out of memory replacing flows");
    } else if (commit_inserts(o, ops, n, &old)) {
        ofproto_invalidate(o);
    }
    free(old.r);
    return e;
}

int
ofproto_replace_flows(struct ofproto *o, const char *br,
                      const struct ofp_flow_mod *fms, size_t n, char *err,
                      size_t size)
{
    struct insert_op *ops;
    int e = check_mods(fms, n, OFPROTO_FM_ADD, err, size);

    if (e) {
        return e;
    }
    e = build_ops(fms, n, &ops);
    if (e) {
        set_err(err, size, "out of memory building %zu flows", n);
        return e;
    }
    pthread_mutex_lock(&o->mutex);
    e = replace_locked(o, br, ops, n, err, size);
    pthread_mutex_unlock(&o->mutex);
    free_ops(ops, n);
    return e;
}

/* ---- Timeouts and counters -------------------------------------------- */

/* OpenFlow 1.3 §5.5: idle_timeout seconds without a packet, hard_timeout
 * seconds after the rule was added. */
#define OFPROTO_IDLE_SLACK_MS 500

static bool
rule_expired(const struct ofproto_rule *r, uint64_t now)
{
    if (r->hard_timeout && now >= r->created_ms
        && now - r->created_ms >= r->hard_timeout * UINT64_C(1000)) {
        return true;
    }
    /* used_ms moves when the PMDs credit the rule (every ~500 ms, later
     * if the lock was busy): allow that much before calling it idle, or a
     * rule with idle_timeout=1 in constant use would flap. */
    return r->idle_timeout && now >= r->used_ms
           && now - r->used_ms >= r->idle_timeout * UINT64_C(1000)
                                  + OFPROTO_IDLE_SLACK_MS;
}

unsigned
ofproto_bridge_expire_rules(struct ofproto *o, struct ofproto_bridge *b,
                            uint64_t now)
{
    struct ofproto_rule *r, *next;
    unsigned n = 0;

    for (r = b->expirable; r; r = next) {
        next = r->exp_next;
        if (rule_expired(r, now)) {
            rule_delete(o, r);
            n++;
        }
    }
    return n;
}

/* A megaflow carrying a learned source was hit: refresh the address in
 * whichever bridge's table has that entry id (ids are process-unique). */
static void
credit_mac(struct ofproto *o, uint64_t id, uint64_t now_ms)
{
    for (struct ofproto_bridge *b = o->bridges; b; b = b->next) {
        if (mac_learning_touch(b->ml, id, now_ms / 1000u)) {
            return;
        }
    }
}

int
ofproto_credit(void *ctx, const struct upcall_credit *credits, unsigned n,
               bool may_block)
{
    struct ofproto *o = ctx;
    uint64_t now;

    /* The periodic walk must not stall a PMD behind a long control-thread
     * operation (a big add-flows batch, a dump): it retries later. */
    if (!may_block) {
        if (pthread_mutex_trylock(&o->mutex)) {
            return -EBUSY;
        }
    } else {
        ofproto_lock_for_pmd(o);
    }
    now = ofproto_now_ms();     /* a refused try costs no clock read */
    for (unsigned i = 0; i < n; i++) {
        const struct upcall_refs *refs = credits[i].refs;
        unsigned n_ids = refs ? refs->n : 0;

        for (unsigned k = 0; k < n_ids && k < UPCALL_MAX_REFS; k++) {
            if (refs->ids[k] & OFPROTO_REF_MAC) {
                if (credits[i].packets) {
                    credit_mac(o, refs->ids[k] & ~OFPROTO_REF_MAC, now);
                }
                continue;
            }
            /* Rules deleted since the megaflow was made are gone. */
            struct ofproto_rule *r = ofproto_rule_by_id(o, refs->ids[k]);
            if (r) {
                r->n_packets += credits[i].packets;
                r->n_bytes += credits[i].bytes;
                if (credits[i].packets) {
                    r->used_ms = now;
                }
            }
        }
    }
    pthread_mutex_unlock(&o->mutex);
    return 0;
}

/* ---- Dumps ------------------------------------------------------------ */

static void
rule_info(const struct ofproto_rule *r, uint64_t now,
          struct ofproto_flow_info *fi)
{
    fi->table_id = r->table_id;
    fi->priority = (uint16_t) r->cr.priority;
    fi->cookie = r->cookie;
    fi->idle_timeout = r->idle_timeout;
    fi->hard_timeout = r->hard_timeout;
    fi->n_packets = r->n_packets;
    fi->n_bytes = r->n_bytes;
    fi->duration_ms = now > r->created_ms ? now - r->created_ms : 0;
    fi->idle_ms = now > r->used_ms ? now - r->used_ms : 0;
    fi->match = &r->cr.match;
    fi->actions = r->actions;
    fi->n_actions = r->n_actions;
}

/* The ids of the rules 'filter' selects (select_rules, non-strict), in
 * dump order, into a malloc'd array. */
static int
dump_collect_locked(const struct ofproto_bridge *b,
                    const struct ofp_flow_mod *filter, uint64_t **ids,
                    size_t *n)
{
    struct rule_vec v = {0};
    int err = select_rules(b, filter, false, &v);

    *ids = NULL;
    *n = 0;
    if (!err && v.n) {
        *ids = malloc(v.n * sizeof **ids);
        if (!*ids) {
            err = -ENOMEM;
        }
    }
    for (size_t i = 0; !err && i < v.n; i++) {
        (*ids)[i] = v.r[i]->id;
    }
    if (!err) {
        *n = v.n;
    }
    free(v.r);
    return err;
}

/* dump-flows without a MATCH: every table, any cookie and output. */
static struct ofp_flow_mod *
dump_filter_all(void)
{
    struct ofp_flow_mod *fm = calloc(1, sizeof *fm);

    if (fm) {
        fm->table_id = OFP_TABLE_ALL;
        fm->out_port = OFPP_ANY;
        ofp_match_init_catchall(&fm->match);
    }
    return fm;
}

int
ofproto_dump_flows(struct ofproto *o, const char *br,
                   const struct ofp_flow_mod *filter,
                   ofproto_flow_visit_fn *cb, void *aux)
{
    struct ofp_flow_mod *all = filter ? NULL : dump_filter_all();
    struct ofproto_bridge *b;
    uint64_t *ids = NULL;
    size_t n_ids = 0;
    int err = -ENOENT;

    if (!filter && !all) {
        return -ENOMEM;
    }
    pthread_mutex_lock(&o->mutex);
    b = ofproto_bridge_find(o, br);
    if (b) {
        err = dump_collect_locked(b, filter ? filter : all, &ids, &n_ids);
    }
    pthread_mutex_unlock(&o->mutex);
    free(all);
    /* Rules are found again by id (ofproto_rule_by_id): one deleted while
     * the lock was free is simply gone. */
    for (size_t i = 0; !err && i < n_ids; i += OFPROTO_DUMP_CHUNK) {
        size_t end = n_ids - i < OFPROTO_DUMP_CHUNK ? n_ids
                                                    : i + OFPROTO_DUMP_CHUNK;
        struct ofproto_flow_info fi;

        pthread_mutex_lock(&o->mutex);
        uint64_t now = ofproto_now_ms();
        for (size_t k = i; k < end; k++) {
            const struct ofproto_rule *r = ofproto_rule_by_id(o, ids[k]);
            if (r) {
                rule_info(r, now, &fi);
                cb(aux, &fi);
            }
        }
        pthread_mutex_unlock(&o->mutex);
        ofproto_yield_to_pmds(o);
    }
    free(ids);
    return err;
}

int
ofproto_dump_tables(struct ofproto *o, const char *br,
                    ofproto_table_visit_fn *cb, void *aux)
{
    struct ofproto_bridge *b;

    pthread_mutex_lock(&o->mutex);
    b = ofproto_bridge_find(o, br);
    for (unsigned t = 0; b && t < OFP_N_TABLES; t++) {
        const struct ofproto_table *tab = &b->tables[t];
        struct ofproto_table_info ti = {
            .table_id = (uint8_t) t,
            .n_rules = ofp_cls_count(tab->cls),
            .n_lookups = tab->n_lookups,
            .n_matched = tab->n_matched,
        };
        if (ti.n_rules || ti.n_lookups) {
            cb(aux, &ti);
        }
    }
    pthread_mutex_unlock(&o->mutex);
    return b ? 0 : -ENOENT;
}

/* ---- dump-flows text -------------------------------------------------- */

struct line {
    char *buf;
    size_t size, len;
};

static void
line_printf(struct line *l, const char *fmt, ...) RSW_PRINTF(2, 3);

static void
line_printf(struct line *l, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (l->len + 1 >= l->size) {
        return;                     /* full: the line is cut */
    }
    va_start(ap, fmt);
    n = vsnprintf(l->buf + l->len, l->size - l->len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        l->len += (size_t) n;
        if (l->len >= l->size) {
            l->len = l->size - 1;
        }
    }
}

/* ovs-ofctl prints durations in seconds with milliseconds when there are
 * any ("1.234s", "5s"), as ofp_print_duration() does. */
static void
line_duration(struct line *l, uint64_t ms)
{
    line_printf(l, "%" PRIu64, ms / 1000u);
    if (ms % 1000u) {
        line_printf(l, ".%03u", (unsigned) (ms % 1000u));
    }
    line_printf(l, "s");
}

/* The field order and omissions of ovs-ofctl's ofputil_flow_stats_format
 * (OpenFlow 1.0 + NXM, its default): hard_age is not tracked, so not
 * shown. */
char *
ofproto_flow_info_format(const struct ofproto_flow_info *fi, char *buf,
                         size_t size)
{
    struct line l = {.buf = buf, .size = size};
    char match[OFP_MATCH_FORMAT_SIZE], actions[OFP_ACTIONS_FORMAT_SIZE];

    if (!size) {
        return buf;
    }
    buf[0] = '\0';
    line_printf(&l, " cookie=0x%" PRIx64 ", duration=", fi->cookie);
    line_duration(&l, fi->duration_ms);
    line_printf(&l, ", table=%u, n_packets=%" PRIu64 ", n_bytes=%" PRIu64
                ", ", fi->table_id, fi->n_packets, fi->n_bytes);
    if (fi->idle_timeout) {
        line_printf(&l, "idle_timeout=%u, ", fi->idle_timeout);
    }
    if (fi->hard_timeout) {
        line_printf(&l, "hard_timeout=%u, ", fi->hard_timeout);
    }
    line_printf(&l, "idle_age=%" PRIu64 ", ", fi->idle_ms / 1000u);
    ofp_match_format(fi->match, match, sizeof match);
    if (fi->priority != OFP_DEFAULT_PRIORITY) {
        line_printf(&l, "priority=%u%s", fi->priority, match[0] ? "," : "");
    }
    line_printf(&l, "%s", match);
    if (l.len && buf[l.len - 1] != ' ') {
        line_printf(&l, " ");
    }
    line_printf(&l, "actions=%s",
                ofp_actions_format(fi->actions, fi->n_actions, actions,
                                   sizeof actions));
    return buf;
}
