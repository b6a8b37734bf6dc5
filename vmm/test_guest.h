/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VMM_TEST_GUEST_H
#define RSW_VMM_TEST_GUEST_H 1

/* Loading the embedded freestanding test guest (vmm/guest/). */

#include <stddef.h>
#include <stdint.h>
#include "vmm.h"

extern const uint8_t rsw_test_guest_start[], rsw_test_guest_end[];

#define TEST_GUEST_MIN_MEM (16ull << 20)

/* true if 'mode' is one the guest understands: hello, speed:N, send:N,
 * recv:N, echo, echo:N, pingpong:N (N a decimal 1..100000000). */
bool test_guest_mode_valid(const char *mode);
/* Copies the guest to 1 MiB, writes struct rsw_boot_info and the entry
 * state. */
int test_guest_load(struct vm_memory *, const char *mode, uint64_t tsc_khz,
                    struct vcpu_boot *, char *err, size_t errlen)
    RSW_MUST_CHECK;

#endif
