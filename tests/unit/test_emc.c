/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the exact-match cache (datapath/emc.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "datapath/emc.h"

/* A stand-in for the datapath's flow: the EMC only needs the generation
 * word. */
struct fake_dp_flow {
    uint32_t gen;
    int id;
};

static struct flow
make_key(uint32_t i)
{
    struct flow key;

    memset(&key, 0, sizeof key);
    key.in_port = 1;
    key.dl_type = htons(0x0800);
    key.nw_proto = 17;
    key.nw_src = htonl(0x0a000000 | i);
    key.nw_dst = htonl(0x0a000001);
    key.tp_src = htons((uint16_t) (i >> 8));
    key.tp_dst = htons(53);
    return key;
}

static void
test_create_sizes(void **state)
{
    struct emc *emc;

    (void) state;
    assert_int_equal(emc_create(3, &emc), -EINVAL);
    assert_null(emc);
    assert_int_equal(emc_create(1, &emc), -EINVAL);
    assert_int_equal(emc_create(EMC_MAX_ENTRIES * 2, &emc), -EINVAL);
    assert_int_equal(emc_create(0, &emc), 0);
    assert_int_equal(emc_n_entries(emc), EMC_DEFAULT_ENTRIES);
    assert_int_equal(emc_get_insert_inv_prob(emc),
                     EMC_DEFAULT_INSERT_INV_PROB);
    assert_int_equal(emc_count(emc), 0);
    emc_destroy(emc);
    assert_int_equal(emc_create(64, &emc), 0);
    assert_int_equal(emc_n_entries(emc), 64);
    emc_destroy(emc);
    emc_destroy(NULL);
}

static void
test_insert_lookup(void **state)
{
    struct fake_dp_flow a = { .gen = 0, .id = 1 }, b = { .gen = 4, .id = 2 };
    struct flow k1 = make_key(1), k2 = make_key(2);
    uint32_t h1 = flow_hash(&k1, 0), h2 = flow_hash(&k2, 0);
    struct emc *emc;

    (void) state;
    assert_int_equal(emc_create(1024, &emc), 0);
    assert_null(emc_lookup(emc, &k1, h1));
    emc_insert(emc, &k1, h1, &a, &a.gen);
    emc_insert(emc, &k2, h2, &b, &b.gen);
    assert_ptr_equal(emc_lookup(emc, &k1, h1), &a);
    assert_ptr_equal(emc_lookup(emc, &k2, h2), &b);
    assert_int_equal(emc_count(emc), 2);

    /* Same hash, different key: a miss, not a false hit. */
    struct flow k1x = k1;
    k1x.regs[2] = 1;
    assert_null(emc_lookup(emc, &k1x, h1));

    /* Re-inserting a key replaces its entry rather than adding one. */
    emc_insert(emc, &k1, h1, &b, &b.gen);
    assert_ptr_equal(emc_lookup(emc, &k1, h1), &b);
    assert_int_equal(emc_count(emc), 2);

    emc_flush(emc);
    assert_null(emc_lookup(emc, &k1, h1));
    assert_null(emc_lookup(emc, &k2, h2));
    assert_int_equal(emc_count(emc), 0);
    emc_destroy(emc);
}

static void
test_invalidation_without_scan(void **state)
{
    enum { N = 200 };
    struct fake_dp_flow flows[2] = { { .gen = 0 }, { .gen = 0 } };
    struct emc *emc;
    struct flow keys[N];

    (void) state;
    assert_int_equal(emc_create(1024, &emc), 0);
    for (uint32_t i = 0; i < N; i++) {
        keys[i] = make_key(i);
        emc_insert(emc, &keys[i], flow_hash(&keys[i], 0), &flows[i & 1],
                   &flows[i & 1].gen);
    }
    uint32_t cached = emc_count(emc);
    assert_true(cached > N * 3 / 4);

    /* Killing flow 0 makes all its entries miss at once. */
    emc_gen_kill(&flows[0].gen);
    for (uint32_t i = 0; i < N; i++) {
        void *hit = emc_lookup(emc, &keys[i], flow_hash(&keys[i], 0));
        if (i & 1) {
            assert_true(hit == NULL || hit == &flows[1]);
        } else {
            assert_null(hit);
        }
    }

    /* A dead flow is never inserted (the insert/kill race). */
    emc_insert(emc, &keys[0], flow_hash(&keys[0], 0), &flows[0],
               &flows[0].gen);
    assert_null(emc_lookup(emc, &keys[0], flow_hash(&keys[0], 0)));

    /* Recycled memory: a revived word does not resurrect old entries. */
    emc_gen_revive(&flows[0].gen);
    assert_true(emc_gen_is_live(flows[0].gen));
    for (uint32_t i = 2; i < N; i += 2) {
        assert_null(emc_lookup(emc, &keys[i], flow_hash(&keys[i], 0)));
    }
    emc_insert(emc, &keys[2], flow_hash(&keys[2], 0), &flows[0],
               &flows[0].gen);
    assert_ptr_equal(emc_lookup(emc, &keys[2], flow_hash(&keys[2], 0)),
                     &flows[0]);
    emc_destroy(emc);
}

static void
test_sweep(void **state)
{
    struct fake_dp_flow live = { .gen = 0 }, dead = { .gen = 0 };
    struct emc *emc;

    (void) state;
    assert_int_equal(emc_create(256, &emc), 0);
    for (uint32_t i = 0; i < 100; i++) {
        struct flow k = make_key(i);
        struct fake_dp_flow *f = i % 4 ? &live : &dead;
        emc_insert(emc, &k, flow_hash(&k, 0), f, &f->gen);
    }
    uint32_t before = emc_count(emc);
    emc_gen_kill(&dead.gen);
    uint32_t n_dead = before - emc_count(emc);
    assert_true(n_dead > 0);

    uint64_t passes = emc_sweep_passes(emc);
    size_t cleared = 0;
    for (int i = 0; i < 256 / 16; i++) {
        cleared += emc_sweep(emc, 16);
    }
    assert_int_equal(emc_sweep_passes(emc), passes + 1);
    assert_int_equal(cleared, n_dead);
    assert_int_equal(emc_sweep(emc, 256), 0);
    assert_int_equal(emc_count(emc), before - n_dead);
    emc_destroy(emc);
}

static void
test_two_way_collisions(void **state)
{
    struct fake_dp_flow f = { .gen = 2 };
    struct emc *emc;
    struct flow k[3];

    (void) state;
    assert_int_equal(emc_create(16, &emc), 0);
    /* Three keys forced onto the same two slots (same hash): two fit,
     * the third evicts one of them. */
    for (int i = 0; i < 3; i++) {
        k[i] = make_key((uint32_t) i);
        emc_insert(emc, &k[i], 0x12345678, &f, &f.gen);
        if (i < 2) {
            assert_ptr_equal(emc_lookup(emc, &k[i], 0x12345678), &f);
        }
    }
    int hits = 0;
    for (int i = 0; i < 3; i++) {
        hits += emc_lookup(emc, &k[i], 0x12345678) != NULL;
    }
    assert_int_equal(hits, 2);
    assert_ptr_equal(emc_lookup(emc, &k[2], 0x12345678), &f);
    emc_destroy(emc);
}

static void
test_insert_probability(void **state)
{
    struct fake_dp_flow f = { .gen = 0 };
    struct emc *emc;
    int inserted = 0;

    (void) state;
    assert_int_equal(emc_create(0, &emc), 0);
    for (uint32_t i = 0; i < 100000; i++) {
        struct flow k = make_key(i);
        inserted += emc_maybe_insert(emc, &k, flow_hash(&k, 0), &f, &f.gen);
    }
    /* Expect ~1000 (1/100); allow a wide margin. */
    assert_true(inserted > 700 && inserted < 1300);

    emc_set_insert_inv_prob(emc, 1);
    struct flow k = make_key(999999);
    assert_true(emc_maybe_insert(emc, &k, flow_hash(&k, 0), &f, &f.gen));
    assert_ptr_equal(emc_lookup(emc, &k, flow_hash(&k, 0)), &f);

    emc_set_insert_inv_prob(emc, 0);
    emc_flush(emc);
    for (uint32_t i = 0; i < 1000; i++) {
        k = make_key(i);
        assert_false(emc_maybe_insert(emc, &k, flow_hash(&k, 0), &f,
                                      &f.gen));
    }
    assert_int_equal(emc_count(emc), 0);
    emc_destroy(emc);
}

static void
test_lookup_batch(void **state)
{
    struct fake_dp_flow f[32];
    const struct flow *keys[32];
    struct flow k[32];
    uint32_t hashes[32];
    void *results[32];
    struct emc *emc;

    (void) state;
    assert_int_equal(emc_create(4096, &emc), 0);
    for (uint32_t i = 0; i < 32; i++) {
        f[i].gen = 0;
        f[i].id = (int) i;
        k[i] = make_key(i);
        hashes[i] = flow_hash(&k[i], 0);
        keys[i] = i % 5 == 4 ? NULL : &k[i];
        if (i % 3) {
            emc_insert(emc, &k[i], hashes[i], &f[i], &f[i].gen);
        }
    }
    emc_gen_kill(&f[1].gen);
    uint32_t hits = emc_lookup_batch(emc, keys, hashes, 32, results);
    for (uint32_t i = 0; i < 32; i++) {
        bool want = i % 3 && i % 5 != 4 && i != 1;
        assert_int_equal(!!(hits & (1u << i)), want);
        assert_ptr_equal(results[i], want ? &f[i] : NULL);
    }
    emc_destroy(emc);
}

/* Batch lookups that must go past the first slot: two keys with one hash
 * (the first slot's tag agrees for both, only one key is there), a third
 * with that hash that is in neither slot, and a dead first-slot entry. */
static void
test_lookup_batch_second_slot(void **state)
{
    const uint32_t h = 0x00010002;      /* slot 2, second slot 1 (of 16) */
    struct fake_dp_flow fa = {.gen = 0, .id = 1}, fb = {.gen = 0, .id = 2};
    struct flow a = make_key(1), b = make_key(2), c = make_key(3);
    const struct flow *keys[4] = {&a, &b, &c, &b};
    uint32_t hashes[4] = {h, h, h, h ^ 0x100};
    void *results[4];
    struct emc *emc;

    (void) state;
    assert_int_equal(emc_create(16, &emc), 0);
    emc_insert(emc, &a, h, &fa, &fa.gen);
    emc_insert(emc, &b, h, &fb, &fb.gen);
    emc_insert(emc, &b, h, &fb, &fb.gen);       /* same key: no eviction */
    assert_int_equal(emc_insertions(emc), 3);
    assert_int_equal(emc_evictions(emc), 0);
    assert_int_equal(emc_lookup_batch(emc, keys, hashes, 4, results), 0x3);
    assert_ptr_equal(results[0], &fa);
    assert_ptr_equal(results[1], &fb);
    assert_null(results[2]);
    assert_null(results[3]);
    emc_gen_kill(&fa.gen);
    assert_int_equal(emc_lookup_batch(emc, keys, hashes, 4, results), 0x2);
    assert_null(results[0]);
    assert_ptr_equal(results[1], &fb);
    /* c takes a's dead slot; then a live one must go. */
    struct fake_dp_flow fc = {.gen = 0, .id = 3};
    emc_insert(emc, &c, h, &fc, &fc.gen);
    assert_int_equal(emc_evictions(emc), 0);
    emc_gen_revive(&fa.gen);
    emc_insert(emc, &a, h, &fa, &fa.gen);
    assert_int_equal(emc_insertions(emc), 5);
    assert_int_equal(emc_evictions(emc), 1);
    emc_destroy(emc);
}

/* Many flows through a small cache: every hit must be the right flow. */
static void
test_thrash_consistency(void **state)
{
    enum { N = 5000 };
    static struct fake_dp_flow flows[N];
    struct emc *emc;
    uint32_t x = 7;

    (void) state;
    assert_int_equal(emc_create(512, &emc), 0);
    for (int i = 0; i < N; i++) {
        flows[i].gen = 0;
        flows[i].id = i;
    }
    for (int iter = 0; iter < 200000; iter++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        uint32_t i = x % N;
        struct flow k = make_key(i);
        uint32_t h = flow_hash(&k, 0);
        struct fake_dp_flow *hit = emc_lookup(emc, &k, h);

        if (hit) {
            assert_int_equal(hit->id, (int) i);
        } else {
            emc_insert(emc, &k, h, &flows[i], &flows[i].gen);
        }
    }
    emc_destroy(emc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_sizes),
        cmocka_unit_test(test_insert_lookup),
        cmocka_unit_test(test_invalidation_without_scan),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_two_way_collisions),
        cmocka_unit_test(test_insert_probability),
        cmocka_unit_test(test_lookup_batch),
        cmocka_unit_test(test_lookup_batch_second_slot),
        cmocka_unit_test(test_thrash_consistency),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
