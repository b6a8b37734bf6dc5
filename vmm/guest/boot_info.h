/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_GUEST_BOOT_INFO_H
#define RSW_GUEST_BOOT_INFO_H 1

/* What rsw-vmm hands the freestanding test guest, at guest-physical
 * BOOT_INFO_ADDR (0x8000); RDI and RSI also point at it on entry.  Shared
 * by the VMM and the guest, so it uses only fixed-size types. */

#include <stdint.h>

#define RSW_BOOT_INFO_MAGIC 0x47575352u   /* "RSWG" */
#define RSW_BOOT_INFO_VERSION 1
#define RSW_GUEST_LOAD_ADDR 0x100000u     /* linked here, entered here */
#define RSW_GUEST_MODE_MAX 64
#define RSW_GUEST_POWEROFF_PORT 0xf4      /* write status: 0 = success */

struct rsw_boot_info {
    uint32_t magic;
    uint32_t version;
    uint64_t mem_size;                    /* bytes of RAM from 0 */
    uint64_t tsc_khz;                     /* 0 if unknown */
    char mode[RSW_GUEST_MODE_MAX];        /* NUL-terminated */
};

#endif
