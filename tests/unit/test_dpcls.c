/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the megaflow classifier (datapath/dpcls.c), checked
 * against a brute-force reference, plus a lookup-rate printout. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "datapath/dpcls.h"

#define TEST_PRNG_SEED 0x853c49e6748fea9bULL
#include "test_prng.h"

/* A random key from small value domains, so random packets hit random
 * rules often enough to matter. */
static void
random_key(struct flow *k)
{
    memset(k, 0, sizeof *k);
    k->in_port = rnd() % 4;
    k->regs[0] = rnd() % 3;
    k->dl_src.ea[5] = (uint8_t) (rnd() % 4);
    k->dl_dst.ea[5] = (uint8_t) (rnd() % 4);
    k->dl_type = htons(rnd() % 2 ? 0x0800 : 0x86dd);
    k->vlans[0].tci = htons((uint16_t) (rnd() % 3));
    k->nw_proto = rnd() % 2 ? 6 : 17;
    k->nw_src = htonl(0x0a000000 | (rnd() % 32));
    k->nw_dst = htonl(0x0a000000 | (rnd() % 32));
    k->ipv6_dst.s6[15] = (uint8_t) (rnd() % 4);
    k->tp_src = htons((uint16_t) (rnd() % 4));
    k->tp_dst = htons((uint16_t) (rnd() % 4));
    k->tcp_flags = htons((uint16_t) (rnd() % 4));
}

/* A random mask over a random subset of those fields (with prefixes for
 * the IPv4 addresses). */
static void
random_mask(struct flow_wc *wc)
{
    struct flow *m = &wc->masks;

    flow_wc_init_catchall(wc);
    if (rnd() % 2) { m->in_port = UINT32_MAX; }
    if (rnd() % 4 == 0) { m->regs[0] = UINT32_MAX; }
    if (rnd() % 3 == 0) { memset(m->dl_src.ea, 0xff, 6); }
    if (rnd() % 3 == 0) { memset(m->dl_dst.ea, 0xff, 6); }
    if (rnd() % 2) { m->dl_type = 0xffff; }
    if (rnd() % 4 == 0) { m->vlans[0].tci = htons(0x0fff); }
    if (rnd() % 2) { m->nw_proto = 0xff; }
    if (rnd() % 2) { m->nw_src = htonl(UINT32_MAX << (rnd() % 6)); }
    if (rnd() % 2) { m->nw_dst = htonl(UINT32_MAX << (rnd() % 6)); }
    if (rnd() % 5 == 0) { memset(m->ipv6_dst.s6, 0xff, 16); }
    if (rnd() % 3 == 0) { m->tp_src = 0xffff; }
    if (rnd() % 3 == 0) { m->tp_dst = 0xffff; }
    if (rnd() % 6 == 0) { m->tcp_flags = htons(0x0fff); }
}

struct ref_rule {
    struct flow key;
    struct flow_wc mask;
    struct dpcls_rule *handle;
    int id;
    bool live;
};

/* Is 'data' a correct answer for 'pkt'?  The classifier may return any
 * matching rule when rules overlap, and must return NULL iff none does. */
static void
check_answer(const struct ref_rule *rules, int n, const struct flow *pkt,
             const struct ref_rule *got)
{
    bool any = false;

    for (int i = 0; i < n; i++) {
        if (rules[i].live
            && flow_equal_masked(pkt, &rules[i].key, &rules[i].mask)) {
            any = true;
            break;
        }
    }
    if (got) {
        assert_true(got->live);
        assert_true(flow_equal_masked(pkt, &got->key, &got->mask));
    } else {
        assert_false(any);
    }
}

/* A packet that matches rule 'r', with random bits where it wildcards. */
static void
packet_for(const struct ref_rule *r, struct flow *pkt)
{
    const flow_u64 *k = flow_u64s(&r->key);
    const flow_u64 *m = flow_u64s(&r->mask.masks);
    flow_u64 *p = flow_u64s_rw(pkt);

    random_key(pkt);
    for (size_t i = 0; i < FLOW_U64S; i++) {
        p[i] = (p[i] & ~m[i]) | k[i];
    }
}

static void
check_random_packets(struct dpcls *cls, const struct ref_rule *rules, int n,
                     int n_pkts)
{
    for (int i = 0; i < n_pkts; i += DPCLS_MAX_BATCH) {
        struct flow pkts[DPCLS_MAX_BATCH];
        const struct flow *keys[DPCLS_MAX_BATCH];
        void *results[DPCLS_MAX_BATCH];

        for (int j = 0; j < DPCLS_MAX_BATCH; j++) {
            const struct ref_rule *r = &rules[rnd() % n];
            if (j % 2 && r->live) {
                packet_for(r, &pkts[j]);
            } else {
                random_key(&pkts[j]);
            }
            keys[j] = j % 7 == 3 ? NULL : &pkts[j];  /* "EMC hits" */
        }
        uint32_t hits = dpcls_lookup_batch(cls, keys, DPCLS_MAX_BATCH,
                                           results);
        for (int j = 0; j < DPCLS_MAX_BATCH; j++) {
            assert_int_equal(!!(hits & (1u << j)), results[j] != NULL);
            if (!keys[j]) {
                assert_null(results[j]);
                continue;
            }
            check_answer(rules, n, keys[j], results[j]);
            /* The single-key path agrees on hit/miss; with overlapping
             * rules and a re-sort in between it may pick another match. */
            const struct ref_rule *one = dpcls_lookup(cls, keys[j]);
            assert_int_equal(one != NULL, results[j] != NULL);
            check_answer(rules, n, keys[j], one);
        }
    }
}

static void
test_random_vs_reference(void **state)
{
    enum { N_MASKS = 24, N_RULES = 600 };
    struct flow_wc masks[N_MASKS];
    struct ref_rule *rules = calloc(N_RULES, sizeof *rules);
    struct dpcls *cls;
    int n_live = 0;

    (void) state;
    assert_non_null(rules);
    assert_int_equal(dpcls_create(&cls), 0);
    dpcls_set_sort_interval(cls, 256);
    for (int i = 0; i < N_MASKS; i++) {
        random_mask(&masks[i]);
    }
    for (int i = 0; i < N_RULES; i++) {
        struct ref_rule *r = &rules[i];

        r->id = i;
        r->mask = masks[rnd() % N_MASKS];
        random_key(&r->key);
        flow_zero_wildcards(&r->key, &r->mask);
        int error = dpcls_insert(cls, &r->key, &r->mask, r, &r->handle);
        if (error == -EEXIST) {
            continue;
        }
        assert_int_equal(error, 0);
        r->live = true;
        n_live++;
    }
    assert_int_equal(dpcls_count(cls), n_live);
    assert_true(dpcls_n_subtables(cls) <= N_MASKS);
    check_random_packets(cls, rules, N_RULES, 20000);

    /* Remove about half, lookups in between, then check again. */
    for (int i = 0; i < N_RULES; i++) {
        if (rules[i].live && rnd() % 2) {
            dpcls_remove(cls, rules[i].handle);
            rules[i].live = false;
            n_live--;
            if (i % 50 == 0) {
                check_random_packets(cls, rules, N_RULES, 64);
            }
        }
    }
    assert_int_equal(dpcls_count(cls), n_live);
    dpcls_sort_subtables(cls);
    check_random_packets(cls, rules, N_RULES, 20000);

    struct dpcls_stats st;
    dpcls_get_stats(cls, &st);
    assert_true(st.n_lookups > 0 && st.n_hits > 0);
    assert_true(st.n_hits <= st.n_lookups);
    dpcls_destroy(cls);
    free(rules);
}

static void
test_basic_api(void **state)
{
    struct dpcls *cls;
    struct dpcls_rule *r1, *r2, *r3;
    struct flow key, pkt, got;
    struct flow_wc wc;
    int d1, d2, d3;

    (void) state;
    dpcls_destroy(NULL);
    dpcls_remove(NULL, NULL);
    assert_int_equal(dpcls_create(&cls), 0);
    assert_null(dpcls_lookup(cls, &key));
    assert_null(dpcls_first(cls));

    memset(&key, 0, sizeof key);
    key.in_port = 3;
    key.nw_dst = htonl(0x0a0000ff);     /* host bits beyond the /24 */
    flow_wc_init_catchall(&wc);
    wc.masks.in_port = UINT32_MAX;
    wc.masks.nw_dst = htonl(0xffffff00);
    assert_int_equal(dpcls_insert(cls, &key, &wc, NULL, &r1), -EINVAL);
    assert_int_equal(dpcls_insert(cls, &key, &wc, &d1, &r1), 0);
    key.nw_dst = htonl(0x0a000001);     /* same masked key */
    assert_int_equal(dpcls_insert(cls, &key, &wc, &d2, &r2), -EEXIST);
    assert_int_equal(dpcls_count(cls), 1);

    dpcls_rule_get_key(r1, &got);
    assert_int_equal(got.nw_dst, htonl(0x0a000000));
    assert_int_equal(got.in_port, 3);
    assert_true(flow_equal(&dpcls_rule_mask(r1)->masks, &wc.masks));
    assert_ptr_equal(dpcls_rule_data(r1), &d1);

    memset(&pkt, 0, sizeof pkt);
    pkt.in_port = 3;
    pkt.nw_dst = htonl(0x0a000077);
    pkt.tp_src = htons(99);
    assert_ptr_equal(dpcls_lookup(cls, &pkt), &d1);
    pkt.in_port = 4;
    assert_null(dpcls_lookup(cls, &pkt));

    /* A catch-all rule in its own subtable. */
    flow_wc_init_catchall(&wc);
    assert_int_equal(dpcls_insert(cls, &key, &wc, &d2, &r2), 0);
    assert_ptr_equal(dpcls_lookup(cls, &pkt), &d2);
    assert_int_equal(dpcls_n_subtables(cls), 2);

    flow_wc_init_exact(&wc);
    assert_int_equal(dpcls_insert(cls, &pkt, &wc, &d3, &r3), 0);
    assert_int_equal(dpcls_n_subtables(cls), 3);

    dpcls_destroy(cls);
}

static void
test_iteration(void **state)
{
    struct dpcls *cls;
    struct flow_wc wc;
    struct flow key;
    int d1, d2, d3;

    (void) state;
    assert_int_equal(dpcls_create(&cls), 0);
    flow_wc_init_catchall(&wc);
    memset(&key, 0, sizeof key);
    assert_int_equal(dpcls_insert(cls, &key, &wc, &d1, NULL), 0);
    wc.masks.in_port = UINT32_MAX;
    assert_int_equal(dpcls_insert(cls, &key, &wc, &d2, NULL), 0);
    key.in_port = 1;
    assert_int_equal(dpcls_insert(cls, &key, &wc, &d3, NULL), 0);
    assert_int_equal(dpcls_n_subtables(cls), 2);

    /* Iteration in insertion order; safe removal while iterating. */
    struct dpcls_rule *r, *next;
    int n = 0;
    DPCLS_FOR_EACH (r, cls) {
        assert_ptr_equal(dpcls_rule_data(r), n == 0 ? (void *) &d1
                                             : n == 1 ? (void *) &d2
                                                      : (void *) &d3);
        n++;
    }
    assert_int_equal(n, 3);
    DPCLS_FOR_EACH_SAFE (r, next, cls) {
        dpcls_remove(cls, r);
    }
    assert_int_equal(dpcls_count(cls), 0);
    assert_int_equal(dpcls_n_subtables(cls), 0);
    assert_null(dpcls_lookup(cls, &key));
    dpcls_destroy(cls);
}

/* Rules in subtable s carry dl_type 0x1000 + s, so they never overlap and
 * a packet's subtable is known. */
static struct flow_wc
subtable_mask(int s)
{
    struct flow_wc wc;

    flow_wc_init_catchall(&wc);
    wc.masks.dl_type = 0xffff;
    wc.masks.nw_dst = UINT32_MAX;
    if (s >= 1) {
        wc.masks.in_port = UINT32_MAX;
    }
    if (s >= 2) {
        wc.masks.tp_dst = 0xffff;
    }
    if (s >= 3) {
        memset(wc.masks.dl_dst.ea, 0xff, 6);
    }
    return wc;
}

static void
subtable_key(int s, uint32_t j, struct flow *key)
{
    memset(key, 0, sizeof *key);
    key->dl_type = htons((uint16_t) (0x1000 + s));
    key->nw_dst = htonl(j);
    key->in_port = 1;
    key->tp_dst = htons(80);
    key->dl_dst.ea[0] = 2;
}

static void
test_rerank(void **state)
{
    struct dpcls *cls;
    struct dpcls_stats st;
    static int data[4][10];
    struct flow key;

    (void) state;
    assert_int_equal(dpcls_create(&cls), 0);
    dpcls_set_sort_interval(cls, 0);
    for (int s = 0; s < 4; s++) {
        struct flow_wc wc = subtable_mask(s);
        for (uint32_t j = 0; j < 10; j++) {
            subtable_key(s, j, &key);
            assert_int_equal(dpcls_insert(cls, &key, &wc, &data[s][j],
                                          NULL), 0);
        }
    }
    assert_int_equal(dpcls_n_subtables(cls), 4);

    /* Traffic for the last subtable probes all four... */
    subtable_key(3, 5, &key);
    key.tp_src = htons(1234);
    for (int i = 0; i < 100; i++) {
        assert_ptr_equal(dpcls_lookup(cls, &key), &data[3][5]);
    }
    dpcls_get_stats(cls, &st);
    assert_int_equal(st.n_subtable_probes, 400);

    /* ...and after re-ranking only one. */
    dpcls_sort_subtables(cls);
    dpcls_clear_stats(cls);
    for (int i = 0; i < 100; i++) {
        assert_ptr_equal(dpcls_lookup(cls, &key), &data[3][5]);
    }
    dpcls_get_stats(cls, &st);
    assert_int_equal(st.n_subtable_probes, 100);
    assert_int_equal(st.n_hits, 100);

    /* Automatic re-ranking: traffic moves to subtable 1. */
    dpcls_set_sort_interval(cls, 64);
    subtable_key(1, 7, &key);
    for (int i = 0; i < 200; i++) {
        assert_ptr_equal(dpcls_lookup(cls, &key), &data[1][7]);
    }
    dpcls_clear_stats(cls);
    for (int i = 0; i < 10; i++) {
        assert_ptr_equal(dpcls_lookup(cls, &key), &data[1][7]);
    }
    dpcls_get_stats(cls, &st);
    assert_int_equal(st.n_subtable_probes, 10);

    dpcls_destroy(cls);
}

static void
test_remove_subtable_between_lookups(void **state)
{
    struct dpcls *cls;
    static int data[4][10];
    struct flow key;

    (void) state;
    assert_int_equal(dpcls_create(&cls), 0);
    for (int s = 0; s < 4; s++) {
        struct flow_wc wc = subtable_mask(s);
        for (uint32_t j = 0; j < 10; j++) {
            subtable_key(s, j, &key);
            assert_int_equal(dpcls_insert(cls, &key, &wc, &data[s][j],
                                          NULL), 0);
        }
    }
    subtable_key(1, 7, &key);
    assert_ptr_equal(dpcls_lookup(cls, &key), &data[1][7]);

    /* Removing a whole subtable between lookups. */
    struct dpcls_rule *r, *next;
    DPCLS_FOR_EACH_SAFE (r, next, cls) {
        if ((int *) dpcls_rule_data(r) >= data[1]
            && (int *) dpcls_rule_data(r) < data[2]) {
            dpcls_remove(cls, r);
        }
    }
    assert_int_equal(dpcls_n_subtables(cls), 3);
    assert_null(dpcls_lookup(cls, &key));
    subtable_key(2, 9, &key);
    assert_ptr_equal(dpcls_lookup(cls, &key), &data[2][9]);
    dpcls_destroy(cls);
}

static void
test_grow_shrink(void **state)
{
    enum { N = 20000 };
    struct dpcls *cls;
    struct dpcls_rule **h = calloc(N, sizeof *h);
    struct flow_wc wc = subtable_mask(0);
    struct flow key;

    (void) state;
    assert_non_null(h);
    assert_int_equal(dpcls_create(&cls), 0);
    for (uint32_t j = 0; j < N; j++) {
        subtable_key(0, j, &key);
        assert_int_equal(dpcls_insert(cls, &key, &wc, &h[j], &h[j]), 0);
    }
    for (uint32_t j = 0; j < N; j++) {
        subtable_key(0, j, &key);
        assert_ptr_equal(dpcls_lookup(cls, &key), &h[j]);
    }
    /* Remove all but every 1000th: the table shrinks, survivors stay. */
    for (uint32_t j = 0; j < N; j++) {
        if (j % 1000) {
            dpcls_remove(cls, h[j]);
        }
    }
    assert_int_equal(dpcls_count(cls), N / 1000);
    for (uint32_t j = 0; j < N; j++) {
        subtable_key(0, j, &key);
        assert_ptr_equal(dpcls_lookup(cls, &key),
                         j % 1000 ? NULL : (void *) &h[j]);
    }
    dpcls_destroy(cls);
    free(h);
}

/* ----------------------------------------------------------------------
 * Lookup rate (printed, not asserted). */

static double
now_sec(void)
{
    struct timespec ts;

    /* Thread CPU time: the build machines are shared and noisy. */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static double
measure_rate(uint32_t n_rules, int n_subtables)
{
    /* 256 keys (38 KB) stay in L1/L2 like a PMD's freshly parsed batch. */
    enum { N_PKTS = 256 };
    static struct flow pkts[N_PKTS];
    static int dummy;
    uint32_t per = n_rules / (uint32_t) n_subtables;
    struct dpcls *cls;
    struct flow key;

    per = per ? per : 1;
    assert_int_equal(dpcls_create(&cls), 0);
    for (int s = 0; s < n_subtables; s++) {
        struct flow_wc wc = subtable_mask(s);
        for (uint32_t j = 0; j < per; j++) {
            subtable_key(s, j, &key);
            assert_int_equal(dpcls_insert(cls, &key, &wc, &dummy, NULL), 0);
        }
    }
    /* Traffic spread evenly over all rules of all subtables. */
    for (int i = 0; i < N_PKTS; i++) {
        subtable_key((int) (rnd() % (uint32_t) n_subtables), rnd() % per,
                     &pkts[i]);
        pkts[i].tp_src = htons((uint16_t) rnd());
    }
    const struct flow *keys[DPCLS_MAX_BATCH];
    void *results[DPCLS_MAX_BATCH];
    uint64_t n = 0;
    double t0 = now_sec(), t;
    do {
        for (int i = 0; i < N_PKTS; i += DPCLS_MAX_BATCH) {
            for (int j = 0; j < DPCLS_MAX_BATCH; j++) {
                keys[j] = &pkts[i + j];
            }
            uint32_t hits = dpcls_lookup_batch(cls, keys, DPCLS_MAX_BATCH,
                                               results);
            assert_int_equal(hits, UINT32_MAX);
        }
        n += N_PKTS;
        t = now_sec();
    } while (t - t0 < 0.15);
    dpcls_destroy(cls);
    return (double) n / (t - t0);
}

static void
test_print_lookup_rate(void **state)
{
    static const uint32_t sizes[] = { 1, 1000, 100000 };

    (void) state;
    printf("dpcls batch lookup rate (Mlookups per CPU-second, 32-key "
           "batches, hits spread evenly over all subtables, no re-ranking "
           "benefit):\n");
    printf("%10s %12s %12s %12s %12s\n", "rules", "1 subtable", "2", "3",
           "4");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        printf("%10u", sizes[i]);
        for (int s = 1; s <= 4; s++) {
            printf(" %12.2f", measure_rate(sizes[i], s) / 1e6);
        }
        printf("\n");
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_api),
        cmocka_unit_test(test_iteration),
        cmocka_unit_test(test_random_vs_reference),
        cmocka_unit_test(test_rerank),
        cmocka_unit_test(test_remove_subtable_between_lookups),
        cmocka_unit_test(test_grow_shrink),
        cmocka_unit_test(test_print_lookup_rate),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
