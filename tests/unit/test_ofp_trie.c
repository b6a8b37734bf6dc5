/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for the prefix tries (ofproto/ofp_trie.c): a churn of inserts and
 * removes against a brute-force list of prefixes, checking every lookup's
 * matched lengths, the 'checkbits' contract (values equal on that many
 * leading bits get the same answer), and the node bound (fewer than two
 * nodes per prefix, plus the root).  RSW_TEST_SEED=<n> changes the seed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ofproto/ofp_trie.h"

#define TEST_PRNG_SEED 0x7a1e5eedULL
#include "test_prng.h"

static unsigned
bit_at(const uint8_t *v, unsigned i)
{
    return (v[i / 8] >> (7 - i % 8)) & 1;
}

static bool
prefix_equal(const uint8_t *a, const uint8_t *b, unsigned plen)
{
    for (unsigned i = 0; i < plen; i++) {
        if (bit_at(a, i) != bit_at(b, i)) {
            return false;
        }
    }
    return true;
}

/* Values from a small space, so prefixes share paths and collide: a few
 * leading patterns, then a few bits varied near the end. */
static void
random_value(uint8_t *v, unsigned n_bytes)
{
    static const uint8_t heads[] = { 0x0a, 0x0a, 0x0b, 0xc0, 0x80, 0x00 };

    memset(v, 0, n_bytes);
    v[0] = heads[rnd() % sizeof heads];
    v[1] = (uint8_t) (rnd() % 4 ? 0xfd : rnd());
    v[n_bytes - 1] = (uint8_t) (rnd() % 8);
    if (rnd() % 4 == 0) {
        v[n_bytes / 2] = (uint8_t) rnd();
    }
}

struct ref_prefix {
    uint8_t value[16];
    unsigned plen;
    bool live;
};

#define N_SLOTS 64

static void
ref_lookup(const struct ref_prefix *ref, const uint8_t *v,
           struct ofp_trie_result *want)
{
    memset(want, 0, sizeof *want);
    for (size_t i = 0; i < N_SLOTS; i++) {
        if (ref[i].live && prefix_equal(ref[i].value, v, ref[i].plen)) {
            want->plens[ref[i].plen / 64] |= 1ull << (ref[i].plen % 64);
        }
    }
}

static void
check_value(const struct ofp_trie *t, const struct ref_prefix *ref,
            const uint8_t *v, unsigned n_bytes, unsigned round)
{
    struct ofp_trie_result got, want, other;
    uint8_t w[16];

    ofp_trie_lookup(t, v, &got);
    ref_lookup(ref, v, &want);
    if (memcmp(got.plens, want.plens, sizeof got.plens)) {
        fail_msg("round %u (RSW_TEST_SEED=%#" PRIx64 "): matched lengths "
                 "differ", round, test_seed);
    }
    assert_true(got.checkbits <= n_bytes * 8);
    /* Any value equal on the first checkbits bits gets the same answer. */
    for (int k = 0; k < 4; k++) {
        random_value(w, n_bytes);
        for (unsigned i = 0; i < got.checkbits; i++) {
            unsigned m = 0x80u >> (i % 8);
            w[i / 8] = (uint8_t) ((w[i / 8] & ~m) | (v[i / 8] & m));
        }
        ofp_trie_lookup(t, w, &other);
        if (memcmp(other.plens, got.plens, sizeof got.plens)) {
            fail_msg("round %u (RSW_TEST_SEED=%#" PRIx64 "): checkbits %u "
                     "too few", round, test_seed, got.checkbits);
        }
    }
}

static void
check_shape(const struct ofp_trie *t, const struct ref_prefix *ref)
{
    unsigned n_prefixes, n_nodes, n_distinct = 0;

    for (size_t i = 0; i < N_SLOTS; i++) {
        bool dup = false;

        for (size_t j = 0; ref[i].live && j < i && !dup; j++) {
            dup = ref[j].live && ref[j].plen == ref[i].plen
                  && prefix_equal(ref[i].value, ref[j].value, ref[i].plen);
        }
        n_distinct += ref[i].live && !dup;
    }
    ofp_trie_stats(t, &n_prefixes, &n_nodes);
    assert_int_equal(n_prefixes, n_distinct);
    assert_true(n_nodes <= 2 * n_prefixes + 1);
}

static void
churn(unsigned n_bytes, uint64_t salt)
{
    struct ref_prefix ref[N_SLOTS];
    struct ofp_trie t;

    memset(ref, 0, sizeof ref);
    rnd_seed(salt);
    ofp_trie_init(&t, n_bytes * 8);
    for (unsigned round = 0; round < 6000; round++) {
        struct ref_prefix *r = &ref[rnd() % N_SLOTS];

        if (r->live) {
            ofp_trie_remove(&t, r->value, r->plen);
            r->live = false;
        } else {
            random_value(r->value, n_bytes);
            r->plen = rnd() % 4 ? n_bytes * 8 - rnd() % 6
                                : rnd() % (n_bytes * 8 + 1);
            assert_int_equal(ofp_trie_insert(&t, r->value, r->plen), 0);
            r->live = true;
        }
        if (round % 20 == 0) {
            uint8_t v[16];

            check_shape(&t, ref);
            for (int k = 0; k < 20; k++) {
                random_value(v, n_bytes);
                check_value(&t, ref, v, n_bytes, round);
            }
        }
    }
    for (size_t i = 0; i < N_SLOTS; i++) {
        if (ref[i].live) {
            ofp_trie_remove(&t, ref[i].value, ref[i].plen);
        }
    }
    unsigned n_prefixes, n_nodes;
    ofp_trie_stats(&t, &n_prefixes, &n_nodes);
    assert_int_equal(n_prefixes, 0);
    assert_true(n_nodes <= 1);
    ofp_trie_destroy(&t);
}

static void
test_churn_ipv4(void **state)
{
    (void) state;
    churn(4, 1);
}

static void
test_churn_ipv6(void **state)
{
    (void) state;
    churn(16, 2);
}

/* The header's example, by hand: how many bits each answer needed. */
static void
test_checkbits(void **state)
{
    static const uint8_t r0[4] = { 10, 253, 0, 0 }, r1[4] = { 10, 253, 0, 2 };
    static const uint8_t far[4] = { 10, 254, 1, 1 };
    static const uint8_t near[4] = { 10, 253, 0, 1 };
    static const uint8_t net[4] = { 10, 0, 0, 0 };
    struct ofp_trie_result res;
    struct ofp_trie t;

    (void) state;
    ofp_trie_init(&t, 32);
    ofp_trie_lookup(&t, far, &res);
    assert_int_equal(res.checkbits, 0);         /* empty: nothing read */
    assert_int_equal(ofp_trie_insert(&t, r0, 32), 0);
    assert_int_equal(ofp_trie_insert(&t, r1, 32), 0);
    assert_int_equal(ofp_trie_insert(&t, r1, 32), 0);
    ofp_trie_lookup(&t, far, &res);
    assert_false(ofp_trie_result_has(&res, 32));
    assert_int_equal(res.checkbits, 15);        /* 253 vs 254: bit 14 */
    ofp_trie_lookup(&t, near, &res);
    assert_false(ofp_trie_result_has(&res, 32));
    assert_int_equal(res.checkbits, 32);
    ofp_trie_lookup(&t, r1, &res);
    assert_true(ofp_trie_result_has(&res, 32));
    assert_int_equal(ofp_trie_insert(&t, net, 8), 0);
    ofp_trie_lookup(&t, far, &res);
    assert_true(ofp_trie_result_has(&res, 8));
    assert_false(ofp_trie_result_has(&res, 32));
    /* One of two r1 rules goes: the prefix stays. */
    ofp_trie_remove(&t, r1, 32);
    ofp_trie_lookup(&t, r1, &res);
    assert_true(ofp_trie_result_has(&res, 32));
    ofp_trie_remove(&t, r1, 32);
    ofp_trie_lookup(&t, r1, &res);
    assert_false(ofp_trie_result_has(&res, 32));
    assert_int_equal(ofp_trie_insert(&t, net, 33), -EINVAL);
    ofp_trie_destroy(&t);
    ofp_trie_destroy(&t);                       /* twice: a no-op */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkbits),
        cmocka_unit_test(test_churn_ipv4),
        cmocka_unit_test(test_churn_ipv6),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
