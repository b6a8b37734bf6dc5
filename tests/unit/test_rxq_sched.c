/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "datapath/rxq_sched.h"

static void
test_round_robin_numa(void **state)
{
    const struct rxq_sched_pmd pmds[] = {{1, 0}, {2, 1}, {3, 0}};
    const struct rxq_sched_rxq rxqs[] = {{0, 0}, {0, 0}, {0, 0}, {1, 0},
                                         {-1, 0}, {5, 0}};
    unsigned assign[6];
    bool cross[6];
    (void) state;

    assert_int_equal(rxq_sched_assign(pmds, 3, rxqs, 6, assign, cross), 0);
    /* Node-0 queues alternate between the two node-0 PMDs. */
    assert_int_equal(assign[0], 0);
    assert_int_equal(assign[1], 2);
    assert_int_equal(assign[2], 0);
    assert_int_equal(assign[3], 1);
    assert_false(cross[0] || cross[1] || cross[2] || cross[3]);
    /* Unknown node, node without PMDs: any PMD, flagged. */
    assert_true(cross[4] && cross[5]);
    assert_int_equal(assign[4], 0);
    assert_int_equal(assign[5], 1);
    assert_int_equal(rxq_sched_assign(pmds, 0, rxqs, 1, assign, NULL), -22);
    assert_int_equal(rxq_sched_assign(pmds, 0, rxqs, 0, assign, NULL), 0);
}

/* Fake topology: two nodes, two PMDs on node 0, one on node 1. */
static void
test_cycles_greedy_numa(void **state)
{
    const struct rxq_sched_pmd pmds[] = {{1, 0}, {2, 0}, {3, 1}};
    const struct rxq_sched_rxq rxqs[] = {
        {0, 100}, {0, 60}, {0, 50}, {0, 10},    /* node 0 */
        {1, 30}, {1, 20},                       /* node 1: one PMD */
        {RXQ_SCHED_NUMA_ANY, 5}, {7, 1},        /* unknown / no PMD there */
    };
    unsigned assign[8];
    bool cross[8];
    (void) state;

    assert_int_equal(rxq_sched_assign_cycles(pmds, 3, rxqs, 8, assign, cross),
                     0);
    /* 100 -> pmd0; 60 -> pmd1; 50 -> pmd1 (60 < 100); 10 -> pmd0 (100 <
     * 110). */
    assert_int_equal(assign[0], 0);
    assert_int_equal(assign[1], 1);
    assert_int_equal(assign[2], 1);
    assert_int_equal(assign[3], 0);
    /* Node 1 queues stay on node 1 even though it is loaded. */
    assert_int_equal(assign[4], 2);
    assert_int_equal(assign[5], 2);
    for (unsigned i = 0; i < 6; i++) {
        assert_false(cross[i]);
    }
    /* Cross-node fallback: least-loaded of all (pmd2 at 50), flagged. */
    assert_true(cross[6] && cross[7]);
    assert_int_equal(assign[6], 2);
    assert_int_equal(assign[7], 2);
    assert_int_equal(rxq_sched_assign_cycles(pmds, 0, rxqs, 1, assign, NULL),
                     -22);
}

/* Unmeasured queues spread like round robin; the variance drops. */
static void
test_cycles_rebalance_variance(void **state)
{
    const struct rxq_sched_pmd pmds[] = {{1, 0}, {2, 1}};
    const struct rxq_sched_pmd node0[] = {{1, 0}, {2, 0}};
    const struct rxq_sched_rxq idle[] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}};
    const struct rxq_sched_rxq rxqs[] = {{0, 30}, {1, 30}, {0, 45}, {1, 45}};
    const unsigned before[] = {0, 0, 0, 1};     /* 105 vs 45 */
    unsigned assign[4];
    (void) state;

    assert_int_equal(rxq_sched_assign_cycles(node0, 2, idle, 4, assign, NULL),
                     0);
    assert_int_equal(assign[0], 0);
    assert_int_equal(assign[1], 1);
    assert_int_equal(assign[2], 0);
    assert_int_equal(assign[3], 1);
    assert_float_equal(rxq_sched_load_variance(2, idle, 4, assign), 0, 1e-9);
    /* 70% / 30%: each 20 points off the 50% mean. */
    assert_float_equal(rxq_sched_load_variance(2, rxqs, 4, before), 400,
                       1e-6);
    assert_int_equal(rxq_sched_assign_cycles(pmds, 2, rxqs, 4, assign, NULL),
                     0);
    assert_float_equal(rxq_sched_load_variance(2, rxqs, 4, assign), 0, 1e-6);
}

static void
test_parse_cores(void **state)
{
    unsigned cores[8], n;
    (void) state;

    assert_int_equal(rxq_sched_parse_cores("1", cores, 8, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(cores[0], 1);
    assert_int_equal(rxq_sched_parse_cores("0,2-4,7", cores, 8, &n), 0);
    assert_int_equal(n, 5);
    assert_int_equal(cores[3], 4);
    assert_int_equal(cores[4], 7);
    assert_int_equal(rxq_sched_parse_cores("", cores, 8, &n), -22);
    assert_int_equal(rxq_sched_parse_cores("3,1", cores, 8, &n), -22);
    assert_int_equal(rxq_sched_parse_cores("1,1", cores, 8, &n), -22);
    assert_int_equal(rxq_sched_parse_cores("4-2", cores, 8, &n), -22);
    assert_int_equal(rxq_sched_parse_cores("1,", cores, 8, &n), -22);
    assert_int_equal(rxq_sched_parse_cores("a", cores, 8, &n), -22);
    assert_int_equal(rxq_sched_parse_cores("0-8", cores, 8, &n), -7);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_robin_numa),
        cmocka_unit_test(test_cycles_greedy_numa),
        cmocka_unit_test(test_cycles_rebalance_variance),
        cmocka_unit_test(test_parse_cores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
