/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_TEST_PRNG_H
#define RSW_TEST_PRNG_H 1

/* The property tests' PRNG: xorshift64*, so a seed gives the same
 * sequence on every machine.  A test defines TEST_PRNG_SEED (its default
 * seed) before including this; RSW_TEST_SEED=<n> in the environment
 * overrides it for tests that call rnd_seed(), and their failure messages
 * print 'test_seed' so a failing run can be replayed. */

#include <stdint.h>
#include <stdlib.h>

#ifndef TEST_PRNG_SEED
#error "define TEST_PRNG_SEED before including test_prng.h"
#endif

static uint64_t test_seed __attribute__((unused)) = TEST_PRNG_SEED;
static uint64_t prng_state = TEST_PRNG_SEED | 1;

/* Restarts the sequence from the seed (or RSW_TEST_SEED), mixed with
 * 'salt' so each test of a file draws its own sequence. */
static inline void
rnd_seed(uint64_t salt)
{
    const char *env = getenv("RSW_TEST_SEED");

    if (env && *env) {
        test_seed = strtoull(env, NULL, 0);
    }
    prng_state = (test_seed ^ (salt * 0x9e3779b97f4a7c15ULL)) | 1;
}

static inline uint32_t
rnd(void)
{
    prng_state ^= prng_state >> 12;
    prng_state ^= prng_state << 25;
    prng_state ^= prng_state >> 27;
    return (uint32_t) ((prng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

#endif
