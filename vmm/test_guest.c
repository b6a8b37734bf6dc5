/* SPDX-License-Identifier: Apache-2.0 */
/* Loads the embedded test guest; see test_guest.h and guest/boot_info.h. */
#include "test_guest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/boot_info.h"

static bool
count_valid(const char *s)
{
    char *end;
    unsigned long v;

    if (!*s || *s < '0' || *s > '9') {
        return false;
    }
    errno = 0;
    v = strtoul(s, &end, 10);
    return !errno && !*end && v >= 1 && v <= 100000000;
}

bool
test_guest_mode_valid(const char *mode)
{
    static const char *const with_n[] = { "speed:", "send:", "recv:",
                                          "recv-irq:", "echo:",
                                          "pingpong:", "mq-pingpong:" };

    if (!strcmp(mode, "hello") || !strcmp(mode, "echo")) {
        return true;
    }
    for (size_t i = 0; i < RSW_ARRAY_SIZE(with_n); i++) {
        size_t n = strlen(with_n[i]);
        if (!strncmp(mode, with_n[i], n)) {
            return count_valid(mode + n);
        }
    }
    return false;
}

int
test_guest_load(struct vm_memory *m, const char *mode, uint64_t tsc_khz,
                struct vcpu_boot *entry, char *err, size_t errlen)
{
    size_t len = (size_t) (rsw_test_guest_end - rsw_test_guest_start);
    struct rsw_boot_info *bi = vm_gpa_to_hva(m, BOOT_INFO_ADDR, sizeof *bi);
    void *dst = vm_gpa_to_hva(m, RSW_GUEST_LOAD_ADDR, len);

    if (strlen(mode) >= sizeof bi->mode || !test_guest_mode_valid(mode)) {
        snprintf(err, errlen, "--test-guest: unknown mode '%s' (hello, "
                 "speed:N, send:N, recv:N, recv-irq:N, echo[:N], pingpong:N, "
                 "mq-pingpong:N)",
                 mode);
        return -EINVAL;
    }
    if (m->size < TEST_GUEST_MIN_MEM || !bi || !dst) {
        snprintf(err, errlen, "--test-guest needs --mem of at least 16M");
        return -ENOMEM;
    }
    memcpy(dst, rsw_test_guest_start, len);
    memset(bi, 0, sizeof *bi);
    bi->magic = RSW_BOOT_INFO_MAGIC;
    bi->version = RSW_BOOT_INFO_VERSION;
    bi->mem_size = m->regions[0].size;
    bi->tsc_khz = tsc_khz;
    snprintf(bi->mode, sizeof bi->mode, "%s", mode);
    *entry = (struct vcpu_boot) {
        .rip = RSW_GUEST_LOAD_ADDR, .rsp = BOOT_STACK_TOP,
        .rdi = BOOT_INFO_ADDR, .rsi = BOOT_INFO_ADDR,
    };
    return 0;
}
