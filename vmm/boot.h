/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_VMM_BOOT_H
#define RSW_VMM_BOOT_H 1

/* Linux x86 boot protocol 2.x (Documentation/arch/x86/boot.rst), 64-bit
 * entry: the protected-mode kernel of a bzImage is loaded at 1 MiB, a zero
 * page (struct boot_params) carries the setup header, e820 map, command
 * line and initrd location, and the vCPU starts at startup_64 (load address
 * + 0x200) in long mode with RSI pointing at the zero page.
 *
 * The parsing and zero-page helpers take plain buffers so they can be unit
 * tested on synthetic images. */

#include <asm/bootparam.h>
#include <stddef.h>
#include <stdint.h>
#include "vmm.h"

#define BZ_MIN_VERSION 0x0206    /* 64-bit entry needs protocol >= 2.06 */
#define BZ_LOAD_ADDR HIGH_MEM_START
#define BZ_ENTRY_64_OFFSET 0x200

struct bzimage_info {
    uint16_t version;
    uint8_t loadflags;
    uint16_t xloadflags;
    size_t setup_size;           /* (setup_sects + 1) * 512 */
    size_t kernel_size;          /* protected-mode part */
    size_t hdr_end;              /* end of the setup header in the file */
    uint32_t initrd_addr_max, cmdline_size, init_size;
};

/* Validates a bzImage: boot_flag 0xAA55, "HdrS", version >= 2.06,
 * LOADED_HIGH, XLF_KERNEL_64 (2.12+), sizes consistent with 'len'.
 * -EINVAL with a one-line reason in 'err'. */
int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *,
                  char *err, size_t errlen) RSW_MUST_CHECK;

/* Fills an e820 table from RAM regions: low memory up to the EBDA, the
 * EBDA/VGA/BIOS area reserved, the rest of each region as RAM.  Returns
 * the number of entries or -E2BIG. */
int e820_build(struct boot_e820_entry *, unsigned max,
               const struct vm_mem_region *, unsigned n) RSW_MUST_CHECK;

/* Highest page-aligned initrd address with the whole initrd below
 * min(initrd_addr_max + 1, low_end) and above 'floor'.  -ENOSPC. */
int initrd_place(uint64_t size, uint32_t initrd_addr_max, uint64_t low_end,
                 uint64_t floor, uint64_t *addr) RSW_MUST_CHECK;

struct boot_params_args {
    uint64_t cmdline_addr;
    uint64_t initrd_addr, initrd_size;
    const struct vm_mem_region *regions;
    unsigned n_regions;
    uint64_t acpi_rsdp_addr;     /* 0: none (the kernel scans for it) */
};

/* Builds the zero page: copies the image's setup header, then sets
 * type_of_loader, cmd_line_ptr, ramdisk, vid_mode, acpi_rsdp_addr and the
 * e820 map. */
int boot_params_build(struct boot_params *, const uint8_t *img,
                      const struct bzimage_info *,
                      const struct boot_params_args *) RSW_MUST_CHECK;

/* Loads kernel (+ initrd, cmdline) into guest memory and fills the entry
 * state; 'acpi_rsdp' (0: none) goes to boot_params.acpi_rsdp_addr.
 * Errors are one line in 'err'. */
int linux_load(struct vm_memory *, const char *kernel, const char *initrd,
               const char *cmdline, uint64_t acpi_rsdp, struct vcpu_boot *,
               char *err, size_t errlen) RSW_MUST_CHECK;

#endif
