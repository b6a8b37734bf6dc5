/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "datapath/mac_learning.h"

static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t mac_b[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void
test_learn_lookup_move(void **state)
{
    struct mac_learning *ml;
    (void) state;

    assert_int_equal(mac_learning_create(0, 0, &ml), 0);
    assert_int_equal(mac_learning_lookup(ml, mac_a, 0, 0), MAC_LEARNING_NO_PORT);
    assert_int_equal(mac_learning_learn(ml, mac_a, 0, 1, 0), MAC_LEARNING_NEW);
    assert_int_equal(mac_learning_learn(ml, mac_a, 0, 1, 1), MAC_LEARNING_UNCHANGED);
    assert_int_equal(mac_learning_lookup(ml, mac_a, 0, 1), 1);
    assert_int_equal(mac_learning_learn(ml, mac_a, 0, 3, 2), MAC_LEARNING_MOVED);
    assert_int_equal(mac_learning_lookup(ml, mac_a, 0, 2), 3);
    /* Group addresses are never learned. */
    assert_int_equal(mac_learning_learn(ml, bcast, 0, 1, 2), MAC_LEARNING_IGNORED);
    assert_int_equal(mac_learning_count(ml), 1);
    mac_learning_destroy(ml);
    mac_learning_destroy(NULL);
}

static void
test_aging(void **state)
{
    struct mac_learning *ml;
    (void) state;

    assert_int_equal(mac_learning_create(0, 300, &ml), 0);
    mac_learning_learn(ml, mac_a, 0, 1, 100);
    mac_learning_learn(ml, mac_b, 0, 2, 350);
    assert_int_equal(mac_learning_lookup(ml, mac_a, 0, 400), 1);
    /* Idle 301 s: gone from lookups, then removed by expiry. */
    assert_int_equal(mac_learning_lookup(ml, mac_a, 0, 401), MAC_LEARNING_NO_PORT);
    assert_int_equal(mac_learning_expire(ml, 401), 1);
    assert_int_equal(mac_learning_count(ml), 1);
    assert_int_equal(mac_learning_lookup(ml, mac_b, 0, 401), 2);
    /* Re-learning refreshes. */
    mac_learning_learn(ml, mac_b, 0, 2, 600);
    assert_int_equal(mac_learning_expire(ml, 800), 0);
    mac_learning_destroy(ml);
}

static void
test_size_limit_evicts_lru(void **state)
{
    struct mac_learning *ml;
    uint8_t mac[6] = {2, 0, 0, 0, 0, 0};
    (void) state;

    assert_int_equal(mac_learning_create(4, 0, &ml), 0);
    for (uint8_t i = 0; i < 6; i++) {
        mac[5] = i;
        mac_learning_learn(ml, mac, 0, i, i);
    }
    assert_int_equal(mac_learning_count(ml), 4);
    assert_int_equal(mac_learning_evictions(ml), 2);
    mac[5] = 0;
    assert_int_equal(mac_learning_lookup(ml, mac, 0, 6), MAC_LEARNING_NO_PORT);
    mac[5] = 5;
    assert_int_equal(mac_learning_lookup(ml, mac, 0, 6), 5);
    assert_int_equal(mac_learning_flush_port(ml, 5), 1);
    assert_int_equal(mac_learning_count(ml), 3);
    mac_learning_destroy(ml);
}

/* (MAC, VLAN) is the key: one MAC in two VLANs is two entries. */
static void
test_vlan_key(void **state)
{
    struct mac_learning *ml;
    (void) state;

    assert_int_equal(mac_learning_create(0, 0, &ml), 0);
    assert_int_equal(mac_learning_learn(ml, mac_a, 10, 1, 0), MAC_LEARNING_NEW);
    assert_int_equal(mac_learning_learn(ml, mac_a, 20, 2, 0), MAC_LEARNING_NEW);
    assert_int_equal(mac_learning_lookup(ml, mac_a, 10, 0), 1);
    assert_int_equal(mac_learning_lookup(ml, mac_a, 20, 0), 2);
    assert_int_equal(mac_learning_lookup(ml, mac_a, 0, 0), MAC_LEARNING_NO_PORT);
    assert_int_equal(mac_learning_learn(ml, mac_a, 10, 3, 1), MAC_LEARNING_MOVED);
    assert_int_equal(mac_learning_lookup(ml, mac_a, 20, 1), 2);
    assert_int_equal(mac_learning_count(ml), 2);
    mac_learning_destroy(ml);
}

static void
test_set_limits_shrinks(void **state)
{
    struct mac_learning *ml;
    uint8_t mac[6] = {2, 0, 0, 0, 0, 0};
    (void) state;

    assert_int_equal(mac_learning_create(0, 0, &ml), 0);
    for (uint8_t i = 0; i < 8; i++) {
        mac[5] = i;
        mac_learning_learn(ml, mac, 1, i, 0);
    }
    mac_learning_set_limits(ml, 3, 10);
    assert_int_equal(mac_learning_count(ml), 3);
    mac[5] = 7;     /* the most recent ones stay */
    assert_int_equal(mac_learning_lookup(ml, mac, 1, 5), 7);
    assert_int_equal(mac_learning_lookup(ml, mac, 1, 11), MAC_LEARNING_NO_PORT);
    mac_learning_destroy(ml);
}

/* Entry ids: unique across tables, never reused, kept across refreshes
 * and moves; touching by id keeps an entry young and first in LRU order. */
static void
test_entry_id_and_touch(void **state)
{
    struct mac_learning *ml, *other;
    (void) state;

    assert_int_equal(mac_learning_create(2, 10, &ml), 0);
    assert_int_equal(mac_learning_create(0, 10, &other), 0);
    assert_int_equal(mac_learning_entry_id(ml, mac_a, 0), 0);
    assert_int_equal(mac_learning_learn(ml, mac_a, 0, 1, 100), MAC_LEARNING_NEW);
    assert_int_equal(mac_learning_learn(other, mac_a, 0, 1, 100),
                     MAC_LEARNING_NEW);
    uint64_t id = mac_learning_entry_id(ml, mac_a, 0);
    assert_true(id != 0);
    assert_true(id != mac_learning_entry_id(other, mac_a, 0));
    assert_false(mac_learning_touch(other, id, 105));
    assert_int_equal(mac_learning_learn(ml, mac_a, 0, 2, 101), MAC_LEARNING_MOVED);
    assert_int_equal(mac_learning_entry_id(ml, mac_a, 0), id);

    /* Refreshed at 108: alive at 118, gone at 119. */
    assert_true(mac_learning_touch(ml, id, 108));
    assert_int_equal(mac_learning_expire(ml, 118), 0);
    assert_int_equal(mac_learning_lookup(ml, mac_a, 0, 118), 2);
    /* Touched last, so b (learned later) is the older one: evicted first. */
    assert_int_equal(mac_learning_learn(ml, mac_b, 0, 1, 107), MAC_LEARNING_NEW);
    assert_true(mac_learning_touch(ml, id, 109));
    assert_int_equal(mac_learning_learn(ml, mac_b, 5, 1, 109), MAC_LEARNING_NEW);
    assert_int_equal(mac_learning_lookup(ml, mac_b, 0, 109), MAC_LEARNING_NO_PORT);
    assert_int_equal(mac_learning_lookup(ml, mac_a, 0, 109), 2);
    assert_int_equal(mac_learning_expire(ml, 120), 2);    /* a and b/5 */
    assert_false(mac_learning_touch(ml, id, 121));
    /* A new entry for the same address gets a new id. */
    assert_int_equal(mac_learning_learn(ml, mac_a, 0, 2, 122), MAC_LEARNING_NEW);
    assert_true(mac_learning_entry_id(ml, mac_a, 0) > id);
    mac_learning_flush(ml);
    assert_false(mac_learning_touch(ml, id, 123));
    mac_learning_destroy(ml);
    mac_learning_destroy(other);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learn_lookup_move),
        cmocka_unit_test(test_aging),
        cmocka_unit_test(test_size_limit_evicts_lru),
        cmocka_unit_test(test_vlan_key),
        cmocka_unit_test(test_set_limits_shrinks),
        cmocka_unit_test(test_entry_id_and_touch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
