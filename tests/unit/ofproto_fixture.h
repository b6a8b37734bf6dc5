/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_TEST_OFPROTO_FIXTURE_H
#define RSW_TEST_OFPROTO_FIXTURE_H 1

/* What the ofproto and xlate unit tests share: a test clock, and an
 * invalidate callback that counts (ofproto.h, Invalidation).  Each test
 * file adds its own ports in its setup.  Include after cmocka.h. */

#include <stdint.h>
#include "ofproto/ofproto_private.h"

static uint64_t fake_now_ms;
static unsigned n_invalidations;
static unsigned n_dl_dst_invalidations;     /* of them, for one address */
static struct flow_eth_addr last_dl_dst;

static uint64_t
fake_clock(void)
{
    return fake_now_ms;
}

static void
count_invalidation(void *aux, const struct flow_eth_addr *dl_dst)
{
    (void) aux;
    n_invalidations++;
    n_dl_dst_invalidations += dl_dst != NULL;
    if (dl_dst) {
        last_dl_dst = *dl_dst;
    }
}

/* An ofproto with bridge "br0", counting invalidations, on the test
 * clock (at 1,000 s). */
static inline struct ofproto *
ofproto_fixture_create(void)
{
    struct ofproto *o;

    fake_now_ms = 1000000;
    ofproto_set_clock_for_testing(fake_clock);
    assert_int_equal(ofproto_create(count_invalidation, NULL, &o), 0);
    assert_int_equal(ofproto_add_bridge(o, "br0"), 0);
    return o;
}

static inline void
ofproto_fixture_reset_counts(void)
{
    n_invalidations = 0;
    n_dl_dst_invalidations = 0;
}

static int
teardown(void **state)
{
    ofproto_destroy(*state);
    ofproto_set_clock_for_testing(NULL);
    return 0;
}

#endif
