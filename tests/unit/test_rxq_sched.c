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
    const struct rxq_sched_rxq rxqs[] = {{0}, {0}, {0}, {1}, {-1}, {5}};
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
        cmocka_unit_test(test_parse_cores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
