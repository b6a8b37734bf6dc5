/* SPDX-License-Identifier: Apache-2.0 */
/* Unit and property tests for one OpenFlow table's classifier
 * (ofproto/ofp_cls.c) and the match comparisons (ofproto/ofp_match.c).
 *
 * The property tests draw rule sets and packets from a PRNG and compare
 * every lookup with a brute-force reference (highest priority wins, then
 * the earliest inserted; a replacement keeps the replaced rule's place).
 * They also check the un-wildcarding contract: any packet that agrees
 * with the looked-up one on the returned wildcard bits gets the same rule.
 * The seed is fixed; RSW_TEST_SEED=<n> overrides it, and every failure
 * prints the seed and the round that failed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ofproto/ofp_cls.h"

/* ----------------------------------------------------------------------
 * PRNG with a printed seed. */

#define TEST_PRNG_SEED 0x5eed0f0c15c0ffeeULL
#include "test_prng.h"

static const char *fail_where = "";
static unsigned fail_round;

#define CHECK(COND, ...)                                                   \
    do {                                                                   \
        if (!(COND)) {                                                     \
            fprintf(stderr, "%s round %u (RSW_TEST_SEED=%#" PRIx64 "): ",  \
                    fail_where, fail_round, test_seed);                    \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, "\n");                                         \
            fail();                                                        \
        }                                                                  \
    } while (0)

/* ----------------------------------------------------------------------
 * Building matches without the field table (ofp_match_set is tested
 * elsewhere): set mask bits, then mask the key. */

#define EXACT(WC, FIELD) memset(&(WC)->masks.FIELD, 0xff, \
                                sizeof (WC)->masks.FIELD)

static void
match_from(struct ofp_match *m, const struct flow *key,
           const struct flow_wc *mask)
{
    m->flow = *key;
    m->wc = *mask;
    flow_zero_wildcards(&m->flow, &m->wc);
}

/* A packet from small value domains, so rules hit often. */
static void
random_packet(struct flow *f)
{
    static const uint16_t types[] = { 0x0800, 0x0800, 0x86dd, 0x0806 };
    static const uint8_t protos[] = { 6, 6, 17, 1 };

    memset(f, 0, sizeof *f);
    f->in_port = 1 + rnd() % 4;
    f->metadata = rnd() % 3;
    f->regs[0] = rnd() % 3;
    f->dl_dst.ea[5] = (uint8_t) (rnd() % 4);
    f->dl_src.ea[5] = (uint8_t) (rnd() % 4);
    f->vlans[0].tci = rnd() % 2 ? htons((uint16_t) (0x1000 | rnd() % 3)) : 0;
    f->dl_type = htons(types[rnd() % 4]);
    f->nw_proto = protos[rnd() % 4];
    f->nw_frag = rnd() % 4 ? 0 : FLOW_NW_FRAG_ANY;
    f->nw_tos = (uint8_t) (rnd() % 2 << 2);
    f->nw_ttl = (uint8_t) (63 + rnd() % 2);
    /* A few far-apart networks, so the prefix tries part early and late. */
    static const uint32_t nets[] = { 0x0a000000, 0x0a000000, 0x0a010000,
                                     0xc0a80000 };
    f->nw_src = htonl(nets[rnd() % 4] | (rnd() % 2) << 16 | (rnd() % 3) << 8
                      | rnd() % 4);
    f->nw_dst = htonl(nets[rnd() % 4] | (rnd() % 3) << 8 | rnd() % 4);
    f->ipv6_src.s6[0] = (uint8_t) (rnd() % 2 ? 0xfe : 0x20);
    f->ipv6_src.s6[6] = (uint8_t) (rnd() % 3);
    f->ipv6_src.s6[15] = (uint8_t) (rnd() % 3);
    f->ipv6_dst.s6[7] = (uint8_t) (rnd() % 3);
    f->ipv6_dst.s6[15] = (uint8_t) (rnd() % 3);
    f->tp_src = htons((uint16_t) (1000 + rnd() % 3));
    f->tp_dst = htons((uint16_t) (16 * (rnd() % 3) + rnd() % 3));
    f->tcp_flags = htons((uint16_t) (rnd() % 4));
    f->arp_op = htons((uint16_t) (1 + rnd() % 2));
    f->arp_sha.ea[5] = (uint8_t) (rnd() % 2);
}

#define N_MASK_KINDS 20

/* Masks of the kind real flow tables use. */
static void
realistic_mask(unsigned kind, struct flow_wc *wc)
{
    flow_wc_init_catchall(wc);
    switch (kind) {
    case 0: break;                                       /* catch-all */
    case 1: EXACT(wc, in_port); break;
    case 2: EXACT(wc, in_port); EXACT(wc, dl_dst); break;
    case 3: EXACT(wc, dl_dst); break;
    case 4: wc->masks.vlans[0].tci = htons(0x1fff); EXACT(wc, dl_dst); break;
    case 5: EXACT(wc, dl_type); wc->masks.nw_dst = htonl(0xffffff00); break;
    case 6: EXACT(wc, dl_type); wc->masks.nw_src = htonl(0xfffffffc); break;
    case 7:                                              /* 5-tuple */
        EXACT(wc, dl_type); EXACT(wc, nw_proto); EXACT(wc, nw_src);
        EXACT(wc, nw_dst); EXACT(wc, tp_src); EXACT(wc, tp_dst);
        break;
    case 8: EXACT(wc, dl_type); EXACT(wc, nw_proto); EXACT(wc, tp_dst); break;
    case 9:
        EXACT(wc, dl_type); EXACT(wc, nw_proto);
        wc->masks.tp_dst = htons(0xfff0);
        break;
    case 10: EXACT(wc, metadata); EXACT(wc, regs[0]); break;
    case 11:
        EXACT(wc, dl_type); EXACT(wc, nw_proto);
        wc->masks.tcp_flags = htons(FLOW_TCP_SYN | FLOW_TCP_FIN);
        break;
    case 12: EXACT(wc, dl_type); memset(wc->masks.ipv6_dst.s6, 0xff, 8); break;
    case 13: EXACT(wc, dl_type); EXACT(wc, arp_op); EXACT(wc, nw_dst); break;
    case 14: EXACT(wc, dl_type); wc->masks.nw_frag = FLOW_NW_FRAG_MASK; break;
    case 15:
        EXACT(wc, in_port); EXACT(wc, dl_type); EXACT(wc, nw_proto);
        EXACT(wc, tp_dst); EXACT(wc, arp_sha);
        break;
    /* Prefix lengths the tries must tell apart. */
    case 16: EXACT(wc, dl_type); wc->masks.nw_dst = htonl(0xffff0000); break;
    case 17:
        EXACT(wc, in_port); wc->masks.nw_src = htonl(0xff000000);
        wc->masks.nw_dst = htonl(0xfffffffc);
        break;
    case 18: EXACT(wc, dl_type); memset(wc->masks.ipv6_src.s6, 0xff, 7); break;
    default:
        memset(wc->masks.ipv6_src.s6, 0xff, 15);
        wc->masks.ipv6_src.s6[15] = 0xfe;
        wc->masks.nw_dst = htonl(0xff00ff00);       /* not a prefix */
        break;
    }
}

/* ----------------------------------------------------------------------
 * Brute-force reference. */

struct ref_rule {
    struct ofp_cls_rule cr;      /* first: cast from ofp_cls_rule */
    uint64_t seq;                /* the reference's insertion order */
    bool live;
};

static bool
ref_before(const struct ref_rule *a, const struct ref_rule *b)
{
    return a->cr.priority > b->cr.priority
           || (a->cr.priority == b->cr.priority && a->seq < b->seq);
}

static const struct ofp_cls_rule *
ref_lookup(const struct ref_rule *rules, size_t n, const struct flow *pkt)
{
    const struct ref_rule *best = NULL;

    for (size_t i = 0; i < n; i++) {
        const struct ref_rule *r = &rules[i];

        if (r->live && ofp_match_matches(&r->cr.match, pkt)
            && (!best || ref_before(r, best))) {
            best = r;
        }
    }
    return best ? &best->cr : NULL;
}

/* Inserts rules[i] and keeps the reference in step (a replacement takes
 * over the replaced rule's place). */
static void
ref_insert(struct ofp_cls *cls, struct ref_rule *rules, size_t i,
           uint64_t *seq)
{
    struct ofp_cls_rule *replaced;

    CHECK(ofp_cls_insert(cls, &rules[i].cr, &replaced) == 0, "insert");
    rules[i].live = true;
    rules[i].seq = (*seq)++;
    if (replaced) {
        struct ref_rule *old = (struct ref_rule *) replaced;

        CHECK(old->live && old != &rules[i], "replaced a dead rule");
        CHECK(ofp_match_equal(&old->cr.match, &rules[i].cr.match)
              && old->cr.priority == rules[i].cr.priority, "bad replace");
        rules[i].seq = old->seq;
        old->live = false;
    }
}

static void
ref_remove(struct ofp_cls *cls, struct ref_rule *r)
{
    ofp_cls_remove(cls, &r->cr);
    r->live = false;
}

static const char *
rule_name(const struct ofp_cls_rule *r, const struct ref_rule *rules)
{
    static char bufs[2][32];    /* two per message */
    static unsigned next;
    char *buf = bufs[next++ % 2];

    if (!r) {
        return "none";
    }
    snprintf(buf, sizeof bufs[0], "#%td/p%" PRIu32,
             (const struct ref_rule *) r - rules, r->priority);
    return buf;
}

/* A packet equal to 'pkt' on the bits of 'wc', random elsewhere. */
static void
agreeing_packet(const struct flow *pkt, const struct flow_wc *wc,
                struct flow *out)
{
    const flow_u64 *p = flow_u64s(pkt);
    const flow_u64 *m = flow_u64s(&wc->masks);
    flow_u64 *o = flow_u64s_rw(out);

    random_packet(out);
    for (size_t i = 0; i < FLOW_U64S; i++) {
        o[i] = (o[i] & ~m[i]) | (p[i] & m[i]);
    }
}

/* One lookup checked against the reference, then 'n_agree' packets that
 * agree with it under the returned wildcards. */
static void
check_lookup(const struct ofp_cls *cls, const struct ref_rule *rules,
             size_t n, const struct flow *pkt, unsigned n_agree)
{
    struct flow_wc wc;
    const struct ofp_cls_rule *got, *want;

    flow_wc_init_catchall(&wc);
    got = ofp_cls_lookup(cls, pkt, &wc);
    want = ref_lookup(rules, n, pkt);
    CHECK(got == want, "lookup gave %s, reference %s",
          rule_name(got, rules), rule_name(want, rules));
    CHECK(ofp_cls_lookup(cls, pkt, NULL) == got, "lookup without wc");
    for (unsigned k = 0; k < n_agree; k++) {
        struct flow other;

        agreeing_packet(pkt, &wc, &other);
        want = ref_lookup(rules, n, &other);
        CHECK(want == got, "wildcards too wide: packet agreeing on them "
              "gets %s, not %s", rule_name(want, rules),
              rule_name(got, rules));
    }
}

/* A random rule: a realistic mask (among 'kinds') over a random packet,
 * with priorities from a small set so ties are common. */
static void
random_rule(struct ref_rule *r, const unsigned *kinds, unsigned n_kinds)
{
    static const uint32_t prios[] = { 0, 1, 5, 10, 10, 100, 32768, 32768 };
    struct ofp_match m;
    struct flow_wc wc;
    struct flow key;

    realistic_mask(kinds[rnd() % n_kinds], &wc);
    random_packet(&key);
    match_from(&m, &key, &wc);
    ofp_cls_rule_init(&r->cr, &m, prios[rnd() % RSW_ARRAY_SIZE(prios)]);
    r->live = false;
}

static void
pick_kinds(unsigned *kinds, unsigned *n_kinds)
{
    *n_kinds = 1 + rnd() % 6;
    for (unsigned i = 0; i < *n_kinds; i++) {
        kinds[i] = rnd() % N_MASK_KINDS;
    }
}

/* ----------------------------------------------------------------------
 * Match comparisons. */

static void
test_match_ops(void **state)
{
    struct ofp_match all, tcp, tcp80, net8, net16, other16;
    struct flow_wc wc;
    struct flow key;

    (void) state;
    memset(&key, 0, sizeof key);
    key.dl_type = htons(0x0800);
    key.nw_proto = 6;
    key.tp_dst = htons(80);
    key.nw_src = htonl(0x0a010000);
    ofp_match_init_catchall(&all);
    assert_true(flow_wc_is_catchall(&all.wc));

    flow_wc_init_catchall(&wc);
    EXACT(&wc, dl_type);
    EXACT(&wc, nw_proto);
    match_from(&tcp, &key, &wc);
    EXACT(&wc, tp_dst);
    match_from(&tcp80, &key, &wc);
    flow_wc_init_catchall(&wc);
    EXACT(&wc, dl_type);
    wc.masks.nw_src = htonl(0xff000000);
    match_from(&net8, &key, &wc);
    wc.masks.nw_src = htonl(0xffff0000);
    match_from(&net16, &key, &wc);
    key.nw_src = htonl(0x0b010000);
    match_from(&other16, &key, &wc);

    assert_true(ofp_match_equal(&tcp, &tcp));
    assert_false(ofp_match_equal(&tcp, &tcp80));
    assert_true(ofp_match_matches(&all, &key));
    assert_true(ofp_match_matches(&tcp80, &key));
    key.tp_dst = htons(81);
    assert_false(ofp_match_matches(&tcp80, &key));
    assert_true(ofp_match_matches(&tcp, &key));

    /* covers(filter, rule): every packet of 'rule' is one of 'filter'. */
    assert_true(ofp_match_covers(&all, &tcp80));
    assert_true(ofp_match_covers(&tcp, &tcp80));
    assert_true(ofp_match_covers(&tcp80, &tcp80));
    assert_false(ofp_match_covers(&tcp80, &tcp));
    assert_false(ofp_match_covers(&tcp, &all));
    assert_true(ofp_match_covers(&net8, &net16));
    assert_false(ofp_match_covers(&net16, &net8));
    assert_false(ofp_match_covers(&net8, &other16));
    assert_false(ofp_match_covers(&tcp, &net16));   /* no nw_proto in it */
}

/* ----------------------------------------------------------------------
 * Unit cases. */

struct fixture {
    struct ofp_cls *cls;
    struct ref_rule rules[256];
};

static int
setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);

    if (!fx || ofp_cls_create(&fx->cls)) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;

    ofp_cls_destroy(fx->cls);
    free(fx);
    return 0;
}

/* rules[i] := 'mask kind' over a fixed packet with extra tp_dst. */
static void
fx_rule(struct fixture *fx, size_t i, unsigned kind, uint32_t prio,
        uint16_t tp_dst)
{
    struct ofp_match m;
    struct flow_wc wc;
    struct flow key;

    memset(&key, 0, sizeof key);
    key.in_port = 1;
    key.dl_type = htons(0x0800);
    key.nw_proto = 6;
    key.nw_src = htonl(0x0a000001);
    key.nw_dst = htonl(0x0a000102);
    key.tp_src = htons(1000);
    key.tp_dst = htons(tp_dst);
    realistic_mask(kind, &wc);
    match_from(&m, &key, &wc);
    ofp_cls_rule_init(&fx->rules[i].cr, &m, prio);
}

static void
fx_insert(struct fixture *fx, size_t i, struct ofp_cls_rule **replaced)
{
    assert_int_equal(ofp_cls_insert(fx->cls, &fx->rules[i].cr, replaced), 0);
}

/* A lookup with a fresh all-wildcard mask, which then says what it
 * looked at. */
static const struct ofp_cls_rule *
fx_lookup(struct fixture *fx, const struct flow *pkt, struct flow_wc *wc)
{
    flow_wc_init_catchall(wc);
    return ofp_cls_lookup(fx->cls, pkt, wc);
}

static struct flow
fx_packet(uint16_t tp_dst)
{
    struct flow f;

    memset(&f, 0, sizeof f);
    f.in_port = 1;
    f.dl_type = htons(0x0800);
    f.nw_proto = 6;
    f.nw_src = htonl(0x0a000001);
    f.nw_dst = htonl(0x0a000102);
    f.tp_src = htons(1000);
    f.tp_dst = htons(tp_dst);
    return f;
}

static void
test_empty(void **state)
{
    struct fixture *fx = *state;
    struct flow pkt = fx_packet(80);
    struct ofp_cls_rule **v;
    struct flow_wc wc;
    size_t n;

    assert_null(fx_lookup(fx, &pkt, &wc));
    assert_true(flow_wc_is_catchall(&wc));
    assert_int_equal(ofp_cls_count(fx->cls), 0);
    assert_int_equal(ofp_cls_n_subtables(fx->cls), 0);
    assert_int_equal(ofp_cls_collect(fx->cls, NULL, &v, &n), 0);
    assert_int_equal(n, 0);
    free(v);
    ofp_cls_destroy(NULL);
    fx_rule(fx, 0, 1, 5, 80);
    ofp_cls_remove(fx->cls, &fx->rules[0].cr);    /* not inserted: no-op */
    assert_int_equal(ofp_cls_count(fx->cls), 0);
}

static void
test_priorities(void **state)
{
    struct fixture *fx = *state;
    struct flow pkt = fx_packet(80);

    fx_rule(fx, 0, 0, 0, 0);      /* catch-all */
    fx_rule(fx, 1, 8, 10, 80);    /* tcp,tp_dst=80 */
    fx_rule(fx, 2, 7, 20, 80);    /* the exact 5-tuple */
    fx_rule(fx, 3, 8, 30, 443);   /* tcp,tp_dst=443 */
    for (size_t i = 0; i < 4; i++) {
        fx_insert(fx, i, NULL);
    }
    assert_int_equal(ofp_cls_count(fx->cls), 4);
    assert_int_equal(ofp_cls_n_subtables(fx->cls), 3);
    assert_ptr_equal(ofp_cls_lookup(fx->cls, &pkt, NULL), &fx->rules[2].cr);
    pkt.tp_src = htons(1001);
    assert_ptr_equal(ofp_cls_lookup(fx->cls, &pkt, NULL), &fx->rules[1].cr);
    pkt.tp_dst = htons(443);
    assert_ptr_equal(ofp_cls_lookup(fx->cls, &pkt, NULL), &fx->rules[3].cr);
    pkt.tp_dst = htons(22);
    assert_ptr_equal(ofp_cls_lookup(fx->cls, &pkt, NULL), &fx->rules[0].cr);

    ofp_cls_remove(fx->cls, &fx->rules[3].cr);
    pkt.tp_dst = htons(443);
    assert_ptr_equal(ofp_cls_lookup(fx->cls, &pkt, NULL), &fx->rules[0].cr);
    ofp_cls_remove(fx->cls, &fx->rules[2].cr);
    pkt = fx_packet(80);
    assert_ptr_equal(ofp_cls_lookup(fx->cls, &pkt, NULL), &fx->rules[1].cr);
    assert_int_equal(ofp_cls_count(fx->cls), 2);
    assert_int_equal(ofp_cls_n_subtables(fx->cls), 2);
}

/* Equal priorities, overlapping matches in different subtables: the
 * earlier insertion wins, whichever subtable it is in. */
static void
test_ties(void **state)
{
    struct fixture *fx = *state;
    struct flow pkt = fx_packet(80);

    fx_rule(fx, 0, 8, 10, 80);    /* tcp,tp_dst=80 */
    fx_rule(fx, 1, 1, 10, 0);     /* in_port=1 */
    fx_rule(fx, 2, 7, 10, 80);    /* 5-tuple */
    fx_insert(fx, 0, NULL);
    fx_insert(fx, 1, NULL);
    fx_insert(fx, 2, NULL);
    assert_ptr_equal(ofp_cls_lookup(fx->cls, &pkt, NULL), &fx->rules[0].cr);
    ofp_cls_remove(fx->cls, &fx->rules[0].cr);
    assert_ptr_equal(ofp_cls_lookup(fx->cls, &pkt, NULL), &fx->rules[1].cr);
    fx_insert(fx, 0, NULL);       /* now the latest */
    assert_ptr_equal(ofp_cls_lookup(fx->cls, &pkt, NULL), &fx->rules[1].cr);
    ofp_cls_remove(fx->cls, &fx->rules[1].cr);
    assert_ptr_equal(ofp_cls_lookup(fx->cls, &pkt, NULL), &fx->rules[2].cr);
    pkt.tp_src = htons(7);
    assert_ptr_equal(ofp_cls_lookup(fx->cls, &pkt, NULL), &fx->rules[0].cr);
}

static void
test_replace(void **state)
{
    struct fixture *fx = *state;
    struct flow pkt = fx_packet(80);
    struct ofp_cls_rule *replaced;

    fx_rule(fx, 0, 8, 10, 80);    /* tcp,tp_dst=80 */
    fx_rule(fx, 1, 1, 10, 0);     /* in_port=1, same priority, later */
    fx_rule(fx, 2, 8, 10, 80);    /* identical to 0 */
    fx_rule(fx, 3, 8, 11, 80);    /* same match, other priority */
    fx_insert(fx, 0, &replaced);
    assert_null(replaced);
    fx_insert(fx, 1, &replaced);
    assert_null(replaced);
    fx_insert(fx, 2, &replaced);
    assert_ptr_equal(replaced, &fx->rules[0].cr);
    assert_int_equal(ofp_cls_count(fx->cls), 2);
    /* The replacement keeps rule 0's place: still ahead of rule 1. */
    assert_ptr_equal(ofp_cls_lookup(fx->cls, &pkt, NULL), &fx->rules[2].cr);
    assert_ptr_equal(ofp_cls_find_exact(fx->cls, &fx->rules[0].cr.match, 10),
                     &fx->rules[2].cr);
    ofp_cls_remove(fx->cls, &fx->rules[0].cr);    /* gone already: no-op */
    assert_int_equal(ofp_cls_count(fx->cls), 2);

    fx_insert(fx, 3, &replaced);
    assert_null(replaced);
    assert_int_equal(ofp_cls_count(fx->cls), 3);
    assert_ptr_equal(ofp_cls_lookup(fx->cls, &pkt, NULL), &fx->rules[3].cr);
    ofp_cls_remove(fx->cls, &fx->rules[3].cr);
    assert_ptr_equal(ofp_cls_lookup(fx->cls, &pkt, NULL), &fx->rules[2].cr);
}

static void
test_find_exact_remove(void **state)
{
    struct fixture *fx = *state;
    struct ofp_match m;

    fx_rule(fx, 0, 8, 10, 80);
    fx_rule(fx, 1, 8, 20, 80);    /* same key, higher priority */
    fx_rule(fx, 2, 8, 5, 80);     /* same key, lower priority */
    fx_rule(fx, 3, 8, 10, 443);
    for (size_t i = 0; i < 4; i++) {
        fx_insert(fx, i, NULL);
    }
    for (size_t i = 0; i < 4; i++) {
        assert_ptr_equal(ofp_cls_find_exact(fx->cls, &fx->rules[i].cr.match,
                                            fx->rules[i].cr.priority),
                         &fx->rules[i].cr);
    }
    assert_null(ofp_cls_find_exact(fx->cls, &fx->rules[0].cr.match, 7));
    m = fx->rules[0].cr.match;
    m.wc.masks.tp_src = 0xffff;   /* same key, other mask */
    assert_null(ofp_cls_find_exact(fx->cls, &m, 10));

    /* Remove from the middle, the head and the tail of one key's list. */
    struct flow pkt = fx_packet(80);
    ofp_cls_remove(fx->cls, &fx->rules[0].cr);
    assert_null(ofp_cls_find_exact(fx->cls, &fx->rules[0].cr.match, 10));
    assert_ptr_equal(ofp_cls_lookup(fx->cls, &pkt, NULL), &fx->rules[1].cr);
    ofp_cls_remove(fx->cls, &fx->rules[1].cr);
    assert_ptr_equal(ofp_cls_lookup(fx->cls, &pkt, NULL), &fx->rules[2].cr);
    ofp_cls_remove(fx->cls, &fx->rules[2].cr);
    assert_null(ofp_cls_lookup(fx->cls, &pkt, NULL));
    assert_int_equal(ofp_cls_count(fx->cls), 1);
    ofp_cls_remove(fx->cls, &fx->rules[3].cr);
    assert_int_equal(ofp_cls_count(fx->cls), 0);
    assert_int_equal(ofp_cls_n_subtables(fx->cls), 0);
}

static void
test_collect(void **state)
{
    struct fixture *fx = *state;
    struct ofp_cls_rule **v;
    struct ofp_match filter;
    struct flow_wc wc;
    size_t n;

    fx_rule(fx, 0, 8, 10, 80);    /* tcp,tp_dst=80 */
    fx_rule(fx, 1, 1, 10, 0);     /* in_port=1 */
    fx_rule(fx, 2, 7, 30, 80);    /* 5-tuple */
    fx_rule(fx, 3, 0, 0, 0);      /* catch-all */
    fx_rule(fx, 4, 8, 10, 443);   /* tcp,tp_dst=443 */
    for (size_t i = 0; i < 5; i++) {
        fx_insert(fx, i, NULL);
    }
    assert_int_equal(ofp_cls_collect(fx->cls, NULL, &v, &n), 0);
    assert_int_equal(n, 5);
    assert_ptr_equal(v[0], &fx->rules[2].cr);
    assert_ptr_equal(v[1], &fx->rules[0].cr);
    assert_ptr_equal(v[2], &fx->rules[1].cr);
    assert_ptr_equal(v[3], &fx->rules[4].cr);
    assert_ptr_equal(v[4], &fx->rules[3].cr);
    free(v);

    /* "tcp": covers both tp_dst rules and the 5-tuple. */
    realistic_mask(8, &wc);
    wc.masks.tp_dst = 0;
    struct flow key = fx_packet(0);
    match_from(&filter, &key, &wc);
    assert_int_equal(ofp_cls_collect(fx->cls, &filter, &v, &n), 0);
    assert_int_equal(n, 3);
    assert_ptr_equal(v[0], &fx->rules[2].cr);
    assert_ptr_equal(v[1], &fx->rules[0].cr);
    assert_ptr_equal(v[2], &fx->rules[4].cr);
    for (size_t i = 0; i < n; i++) {   /* callers may remove what they got */
        ofp_cls_remove(fx->cls, v[i]);
    }
    free(v);
    assert_int_equal(ofp_cls_count(fx->cls), 2);
}

/* The header's example: a miss in the L3 stage of 5-tuple rules leaves
 * the L4 bits wildcarded; a miss in L4 does not. */
static void
test_staged_wildcards(void **state)
{
    struct fixture *fx = *state;
    struct flow pkt = fx_packet(80);
    struct flow_wc wc;

    fx_rule(fx, 0, 7, 10, 80);
    fx_rule(fx, 1, 7, 10, 443);
    fx_rule(fx, 2, 0, 0, 0);
    for (size_t i = 0; i < 3; i++) {
        fx_insert(fx, i, NULL);
    }
    pkt.nw_src = htonl(0xc0a80101);
    assert_ptr_equal(fx_lookup(fx, &pkt, &wc), &fx->rules[2].cr);
    assert_int_equal(wc.masks.dl_type, 0xffff);
    /* The nw_src trie: 192.168.1.1 parts from every rule's 10.x address
     * at the first bit, so one bit says no /32 rule can match. */
    assert_int_equal(wc.masks.nw_src, htonl(0x80000000));
    assert_int_equal(wc.masks.nw_proto, 0);
    assert_int_equal(wc.masks.tp_src, 0);
    assert_int_equal(wc.masks.tp_dst, 0);
    assert_int_equal(wc.masks.in_port, 0);

    pkt = fx_packet(22);
    assert_ptr_equal(fx_lookup(fx, &pkt, &wc), &fx->rules[2].cr);
    assert_int_equal(wc.masks.tp_dst, 0xffff);

    /* A dl_type miss: only L2 (of this mask: dl_type) is looked at. */
    pkt.dl_type = htons(0x86dd);
    assert_ptr_equal(fx_lookup(fx, &pkt, &wc), &fx->rules[2].cr);
    assert_int_equal(wc.masks.dl_type, 0xffff);
    assert_int_equal(wc.masks.nw_src, 0);
    assert_int_equal(wc.masks.nw_proto, 0);
}

/* Prefix tracking (ofp_trie.h), on the benchmark's kind of table: exact
 * 5-tuple rules for 10.253.0.0 + 2j and a low-priority catch-all.  A
 * packet for elsewhere gets a megaflow on the leading nw_dst bits that
 * part it from every rule, not on its whole address. */
static void
test_prefix_wildcards(void **state)
{
    struct fixture *fx = *state;
    struct flow pkt = fx_packet(80);
    struct flow_wc wc;
    enum { N = 200 };

    fx_rule(fx, 0, 1, 1, 0);                    /* in_port=1, priority 1 */
    fx_insert(fx, 0, NULL);
    for (size_t j = 1; j <= N; j++) {
        fx_rule(fx, j, 7, 100, 80);
        fx->rules[j].cr.match.flow.nw_dst = htonl(0x0afd0000 + 2 * (j - 1));
        fx_insert(fx, j, NULL);
    }

    /* 10.254.1.1 parts from 10.253.0.0/18 at bit 14: a /15 says it. */
    pkt.nw_dst = htonl(0x0afe0101);
    assert_ptr_equal(fx_lookup(fx, &pkt, &wc), &fx->rules[0].cr);
    assert_int_equal(wc.masks.nw_dst, htonl(0xfffe0000));
    assert_int_equal(wc.masks.dl_type, 0xffff);   /* the stage before */
    assert_int_equal(wc.masks.nw_src, 0);
    assert_int_equal(wc.masks.tp_dst, 0);

    /* 10.253.0.1 differs from a rule's address in the last bit only. */
    pkt.nw_dst = htonl(0x0afd0001);
    assert_ptr_equal(fx_lookup(fx, &pkt, &wc), &fx->rules[0].cr);
    assert_int_equal(wc.masks.nw_dst, 0xffffffff);
    assert_int_equal(wc.masks.tp_dst, 0);

    /* A rule's own address: the whole 5-tuple was looked at. */
    pkt.nw_dst = htonl(0x0afd0004);
    assert_ptr_equal(fx_lookup(fx, &pkt, &wc), &fx->rules[3].cr);
    assert_int_equal(wc.masks.tp_dst, 0xffff);

    /* A /16 rule: packets in 10.254.0.0/16 now reach its subtable, and
     * the /32 subtable is still ruled out by the trie. */
    fx_rule(fx, N + 1, 16, 50, 80);
    fx->rules[N + 1].cr.match.flow.nw_dst = htonl(0x0afe0000);
    fx_insert(fx, N + 1, NULL);
    pkt.nw_dst = htonl(0x0afe0101);
    assert_ptr_equal(fx_lookup(fx, &pkt, &wc), &fx->rules[N + 1].cr);
    assert_int_equal(wc.masks.nw_dst, htonl(0xffff0000));

    /* Removing the rules removes their prefixes. */
    for (size_t j = 1; j <= N + 1; j++) {
        ofp_cls_remove(fx->cls, &fx->rules[j].cr);
    }
    assert_ptr_equal(fx_lookup(fx, &pkt, &wc), &fx->rules[0].cr);
    assert_int_equal(wc.masks.nw_dst, 0);
}

/* Subtables that cannot beat the rule found are not probed, so their
 * fields stay wildcarded. */
static void
test_priority_skip_wildcards(void **state)
{
    struct fixture *fx = *state;
    struct flow pkt = fx_packet(80);
    struct flow_wc wc;

    fx_rule(fx, 0, 1, 100, 0);    /* in_port=1 */
    fx_rule(fx, 1, 8, 10, 80);    /* tcp,tp_dst=80 */
    fx_insert(fx, 0, NULL);
    fx_insert(fx, 1, NULL);
    assert_ptr_equal(fx_lookup(fx, &pkt, &wc), &fx->rules[0].cr);
    assert_int_equal(wc.masks.in_port, UINT32_MAX);
    assert_int_equal(wc.masks.tp_dst, 0);
    assert_int_equal(wc.masks.dl_type, 0);
}

/* Removing a subtable's best rule lowers its rank, so it stops being
 * probed (and un-wildcarded) for packets a better rule elsewhere takes. */
static void
test_rank_after_remove(void **state)
{
    struct fixture *fx = *state;
    struct flow pkt = fx_packet(80);
    struct flow_wc wc;

    fx_rule(fx, 0, 1, 100, 0);    /* in_port=1 */
    fx_rule(fx, 1, 1, 5, 0);      /* in_port=2 */
    fx->rules[1].cr.match.flow.in_port = 2;
    fx_rule(fx, 2, 8, 50, 80);    /* tcp,tp_dst=80 */
    for (size_t i = 0; i < 3; i++) {
        fx_insert(fx, i, NULL);
    }
    assert_ptr_equal(fx_lookup(fx, &pkt, &wc), &fx->rules[0].cr);
    assert_int_equal(wc.masks.tp_dst, 0);
    ofp_cls_remove(fx->cls, &fx->rules[0].cr);
    assert_ptr_equal(fx_lookup(fx, &pkt, &wc), &fx->rules[2].cr);
    assert_int_equal(wc.masks.tp_dst, 0xffff);
    assert_int_equal(wc.masks.in_port, 0);
}

/* ----------------------------------------------------------------------
 * Properties. */

#define PROP_ROUNDS 40
#define PROP_MAX_RULES 160

static void
test_random_vs_reference(void **state)
{
    struct ref_rule *rules = calloc(PROP_MAX_RULES, sizeof *rules);

    (void) state;
    assert_non_null(rules);
    rnd_seed(1);
    fail_where = "random_vs_reference";
    for (fail_round = 0; fail_round < PROP_ROUNDS; fail_round++) {
        struct ofp_cls *cls;
        unsigned kinds[8], n_kinds;
        size_t n = 1 + rnd() % PROP_MAX_RULES;
        uint64_t seq = 0;

        assert_int_equal(ofp_cls_create(&cls), 0);
        pick_kinds(kinds, &n_kinds);
        for (size_t i = 0; i < n; i++) {
            random_rule(&rules[i], kinds, n_kinds);
            ref_insert(cls, rules, i, &seq);
        }
        for (unsigned p = 0; p < 150; p++) {
            struct flow pkt;

            random_packet(&pkt);
            check_lookup(cls, rules, n, &pkt, 6);
        }
        ofp_cls_destroy(cls);
    }
    free(rules);
}

/* Every live rule is found by find_exact, collect lists exactly the live
 * rules in (priority, insertion) order, the counts add up. */
static void
check_consistent(const struct ofp_cls *cls, const struct ref_rule *rules,
                 size_t n)
{
    struct ofp_cls_rule **v;
    size_t n_live = 0, n_got;

    for (size_t i = 0; i < n; i++) {
        const struct ref_rule *r = &rules[i];

        if (r->live) {
            n_live++;
            CHECK(ofp_cls_find_exact(cls, &r->cr.match, r->cr.priority)
                  == &r->cr, "find_exact misses live rule #%zu", i);
        }
    }
    CHECK(ofp_cls_count(cls) == n_live, "count %u, live %zu",
          ofp_cls_count(cls), n_live);
    CHECK(ofp_cls_collect(cls, NULL, &v, &n_got) == 0, "collect");
    CHECK(n_got == n_live, "collect gave %zu of %zu", n_got, n_live);
    for (size_t i = 0; i < n_got; i++) {
        const struct ref_rule *r = (const struct ref_rule *) v[i];

        CHECK(r->live, "collect gave a dead rule");
        CHECK(!i || ref_before((const struct ref_rule *) v[i - 1], r),
              "collect out of order at %zu", i);
    }
    free(v);
}

static unsigned
count_masks(const struct ref_rule *rules, size_t n)
{
    unsigned n_masks = 0;

    for (size_t i = 0; i < n; i++) {
        bool seen = false;

        for (size_t j = 0; rules[i].live && j < i && !seen; j++) {
            seen = rules[j].live && flow_equal(&rules[i].cr.match.wc.masks,
                                               &rules[j].cr.match.wc.masks);
        }
        n_masks += rules[i].live && !seen;
    }
    return n_masks;
}

#define CHURN_SLOTS 300
#define CHURN_OPS 4000

static void
churn_step(struct ofp_cls *cls, struct ref_rule *rules, uint64_t *seq,
           const unsigned *kinds, unsigned n_kinds)
{
    size_t i = rnd() % CHURN_SLOTS;

    if (rules[i].live) {
        ref_remove(cls, &rules[i]);
    } else if (rnd() % 4 == 0 && rules[i].cr.priority) {
        /* Re-insert the same rule (its old place is gone). */
        ref_insert(cls, rules, i, seq);
    } else {
        random_rule(&rules[i], kinds, n_kinds);
        ref_insert(cls, rules, i, seq);
    }
}

static void
test_churn(void **state)
{
    struct ref_rule *rules = calloc(CHURN_SLOTS, sizeof *rules);
    unsigned kinds[8], n_kinds;
    struct ofp_cls *cls;
    uint64_t seq = 0;

    (void) state;
    assert_non_null(rules);
    rnd_seed(2);
    fail_where = "churn";
    assert_int_equal(ofp_cls_create(&cls), 0);
    pick_kinds(kinds, &n_kinds);
    for (fail_round = 0; fail_round < CHURN_OPS; fail_round++) {
        if (fail_round % 1000 == 999) {
            pick_kinds(kinds, &n_kinds);
        }
        churn_step(cls, rules, &seq, kinds, n_kinds);
        if (fail_round % 100 == 0) {
            check_consistent(cls, rules, CHURN_SLOTS);
            CHECK(ofp_cls_n_subtables(cls) == count_masks(rules, CHURN_SLOTS),
                  "%u subtables", ofp_cls_n_subtables(cls));
            for (unsigned p = 0; p < 40; p++) {
                struct flow pkt;

                random_packet(&pkt);
                check_lookup(cls, rules, CHURN_SLOTS, &pkt, 3);
            }
        }
    }
    for (size_t i = 0; i < CHURN_SLOTS; i++) {
        if (rules[i].live) {
            ref_remove(cls, &rules[i]);
        }
    }
    assert_int_equal(ofp_cls_count(cls), 0);
    assert_int_equal(ofp_cls_n_subtables(cls), 0);
    ofp_cls_destroy(cls);
    free(rules);
}

/* Many keys in one subtable: the tables grow and shrink, lookups stay
 * right throughout. */
static void
test_grow_shrink(void **state)
{
    enum { N = 5000 };
    struct ref_rule *rules = calloc(N, sizeof *rules);
    struct ofp_cls *cls;
    struct flow_wc wc;

    (void) state;
    assert_non_null(rules);
    assert_int_equal(ofp_cls_create(&cls), 0);
    realistic_mask(7, &wc);
    for (size_t i = 0; i < N; i++) {
        struct flow key = fx_packet((uint16_t) i);
        struct ofp_match m;

        key.nw_src = htonl(0x0a000000u + (uint32_t) (i % 97));
        match_from(&m, &key, &wc);
        ofp_cls_rule_init(&rules[i].cr, &m, 100);
        assert_int_equal(ofp_cls_insert(cls, &rules[i].cr, NULL), 0);
    }
    assert_int_equal(ofp_cls_n_subtables(cls), 1);
    for (size_t i = 0; i < N; i++) {
        struct flow pkt = rules[i].cr.match.flow;

        assert_ptr_equal(ofp_cls_lookup(cls, &pkt, NULL), &rules[i].cr);
        if (i % 2) {
            ofp_cls_remove(cls, &rules[i].cr);
        }
    }
    for (size_t i = 0; i < N; i++) {
        struct flow pkt = rules[i].cr.match.flow;

        assert_ptr_equal(ofp_cls_lookup(cls, &pkt, NULL),
                         i % 2 ? NULL : &rules[i].cr);
        ofp_cls_remove(cls, &rules[i].cr);
    }
    assert_int_equal(ofp_cls_count(cls), 0);
    ofp_cls_destroy(cls);
    free(rules);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_ops),
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_priorities, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ties, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_exact_remove, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_collect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_staged_wildcards, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_prefix_wildcards, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_priority_skip_wildcards, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rank_after_remove, setup,
                                        teardown),
        cmocka_unit_test(test_random_vs_reference),
        cmocka_unit_test(test_churn),
        cmocka_unit_test(test_grow_shrink),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
