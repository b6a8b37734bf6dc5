/* SPDX-License-Identifier: Apache-2.0 */
/* The freestanding test guest (vmm/guest/, built by CMake into a flat
 * binary) embedded in rsw-vmm's read-only data. */
#include "test_guest.h"

#ifndef RSW_TEST_GUEST_BIN
#error "RSW_TEST_GUEST_BIN must name the test guest's flat binary"
#endif

__asm__(".section .rodata\n"
        ".balign 16\n"
        ".global rsw_test_guest_start\n"
        "rsw_test_guest_start:\n"
        ".incbin \"" RSW_TEST_GUEST_BIN "\"\n"
        ".global rsw_test_guest_end\n"
        "rsw_test_guest_end:\n"
        ".previous\n");
