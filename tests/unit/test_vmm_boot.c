/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the bzImage parser and zero-page builder (vmm/boot_linux.c)
 * on synthetic images, plus loading through a real memfd guest memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include "vmm/boot.h"

#define IMG_SETUP_SECTS 4
#define IMG_SETUP_SIZE ((IMG_SETUP_SECTS + 1) * 512)
#define IMG_KERNEL_SIZE 0x2000
#define IMG_SIZE (IMG_SETUP_SIZE + IMG_KERNEL_SIZE)

static void
put(uint8_t *img, size_t off, uint32_t v, unsigned len)
{
    for (unsigned i = 0; i < len; i++) {
        img[off + i] = (uint8_t) (v >> (8 * i));
    }
}

/* A minimal bzImage: boot sector flag, setup header 2.15, 64-bit entry. */
static uint8_t *
make_image(void)
{
    uint8_t *img = calloc(1, IMG_SIZE);

    assert_non_null(img);
    img[0x1f1] = IMG_SETUP_SECTS;
    put(img, 0x1f4, IMG_KERNEL_SIZE / 16, 4);      /* syssize */
    put(img, 0x1fe, 0xaa55, 2);
    img[0x200] = 0xeb;
    img[0x201] = 0x6a;                             /* header ends 0x26c */
    memcpy(img + 0x202, "HdrS", 4);
    put(img, 0x206, 0x020f, 2);
    img[0x211] = 0x01;                             /* LOADED_HIGH */
    put(img, 0x22c, 0x7fffffff, 4);                /* initrd_addr_max */
    put(img, 0x236, 0x0001, 2);                    /* XLF_KERNEL_64 */
    put(img, 0x238, 2048, 4);                      /* cmdline_size */
    put(img, 0x260, 0x400000, 4);                  /* init_size */
    for (size_t i = IMG_SETUP_SIZE; i < IMG_SIZE; i++) {
        img[i] = (uint8_t) (i * 13);
    }
    return img;
}

static int
parse(const uint8_t *img, size_t len, struct bzimage_info *bi, char *err)
{
    return bzimage_parse(img, len, bi, err, 256);
}

static void
test_parse_valid(void **state)
{
    uint8_t *img = make_image();
    struct bzimage_info bi;
    char err[256] = "";

    (void) state;
    assert_int_equal(parse(img, IMG_SIZE, &bi, err), 0);
    assert_int_equal(bi.version, 0x020f);
    assert_int_equal(bi.setup_size, IMG_SETUP_SIZE);
    assert_int_equal(bi.kernel_size, IMG_KERNEL_SIZE);
    assert_int_equal(bi.hdr_end, 0x26c);
    assert_int_equal(bi.initrd_addr_max, 0x7fffffff);
    assert_int_equal(bi.cmdline_size, 2048);
    assert_int_equal(bi.init_size, 0x400000);
    /* setup_sects 0 means 4 (boot.rst). */
    img[0x1f1] = 0;
    assert_int_equal(parse(img, IMG_SIZE, &bi, err), 0);
    assert_int_equal(bi.setup_size, IMG_SETUP_SIZE);
    free(img);
}

static void
expect_error(uint8_t *img, size_t len, const char *what)
{
    struct bzimage_info bi;
    char err[256] = "";

    assert_int_equal(parse(img, len, &bi, err), -EINVAL);
    if (!strstr(err, what)) {
        fail_msg("error '%s' lacks '%s'", err, what);
    }
}

static void
test_parse_bad_magic(void **state)
{
    uint8_t *img = make_image();

    (void) state;
    memcpy(img + 0x202, "HdrX", 4);
    expect_error(img, IMG_SIZE, "not a bzImage");
    memcpy(img + 0x202, "HdrS", 4);
    put(img, 0x1fe, 0x55aa, 2);
    expect_error(img, IMG_SIZE, "not a bzImage");
    free(img);
}

static void
test_parse_old_version(void **state)
{
    uint8_t *img = make_image();

    (void) state;
    put(img, 0x206, 0x0205, 2);
    expect_error(img, IMG_SIZE, "too old");
    put(img, 0x206, 0x020f, 2);
    img[0x211] = 0;                                /* zImage */
    expect_error(img, IMG_SIZE, "zImage");
    img[0x211] = 1;
    put(img, 0x236, 0, 2);                         /* no 64-bit entry */
    expect_error(img, IMG_SIZE, "64-bit");
    free(img);
}

static void
test_parse_truncated(void **state)
{
    uint8_t *img = make_image();

    (void) state;
    expect_error(img, 0x100, "not a bzImage");     /* no header at all */
    expect_error(img, IMG_SETUP_SIZE, "truncated"); /* setup only */
    expect_error(img, IMG_SIZE - 0x100, "truncated"); /* < syssize */
    img[0x1f1] = 60;                               /* setup > file */
    expect_error(img, IMG_SIZE, "truncated");
    free(img);
}

static void
test_e820(void **state)
{
    struct vm_mem_region one[] = { { .gpa = 0, .size = 256 << 20 } };
    struct vm_mem_region two[] = {
        { .gpa = 0, .size = LOW_MEM_MAX },
        { .gpa = HIGH_RAM_START, .size = 1ull << 30, .offset = LOW_MEM_MAX },
    };
    struct boot_e820_entry t[8];

    (void) state;
    assert_int_equal(e820_build(t, 8, one, 1), 3);
    assert_true(t[0].addr == 0 && t[0].size == EBDA_START && t[0].type == 1);
    assert_true(t[1].addr == EBDA_START && t[1].type == 2);
    assert_true(t[1].addr + t[1].size == HIGH_MEM_START);
    assert_true(t[2].addr == HIGH_MEM_START && t[2].type == 1);
    assert_true(t[2].size == (256u << 20) - HIGH_MEM_START);
    assert_int_equal(e820_build(t, 8, two, 2), 4);
    assert_true(t[3].addr == HIGH_RAM_START && t[3].size == 1ull << 30);
    assert_int_equal(e820_build(t, 3, two, 2), -E2BIG);
}

static void
test_initrd_place(void **state)
{
    uint64_t a = 0;

    (void) state;
    /* Top of low memory, page aligned. */
    assert_int_equal(initrd_place(0x1234, 0x7fffffff, 256 << 20, 0x500000,
                                  &a), 0);
    assert_true(a == (((256u << 20) - 0x1234) & ~0xfffull));
    /* initrd_addr_max lower than memory: below it. */
    assert_int_equal(initrd_place(0x1000, 0x0fffffff, 1ull << 30, 0, &a), 0);
    assert_true(a + 0x1000 <= 0x10000000);
    /* Does not fit above the kernel. */
    assert_int_equal(initrd_place(200 << 20, 0x7fffffff, 256 << 20, 0x6000000,
                                  &a), -ENOSPC);
    assert_int_equal(initrd_place(0, 0x7fffffff, 256 << 20, 0, &a), -ENOSPC);
}

static void
test_boot_params(void **state)
{
    uint8_t *img = make_image();
    struct vm_mem_region one[] = { { .gpa = 0, .size = 128 << 20 } };
    struct boot_params_args a = {
        .cmdline_addr = BOOT_CMDLINE_ADDR, .initrd_addr = 0x7000000,
        .initrd_size = 0x12345, .regions = one, .n_regions = 1,
        .acpi_rsdp_addr = 0xe0000,
    };
    struct boot_params *bp = malloc(sizeof *bp);
    struct bzimage_info bi;
    char err[256];

    (void) state;
    assert_int_equal(parse(img, IMG_SIZE, &bi, err), 0);
    memset(bp, 0xaa, sizeof *bp);
    assert_int_equal(boot_params_build(bp, img, &bi, &a), 0);
    assert_int_equal(bp->hdr.header, 0x53726448);
    assert_int_equal(bp->hdr.version, 0x020f);
    assert_int_equal(bp->hdr.boot_flag, 0xaa55);
    assert_int_equal(bp->hdr.type_of_loader, 0xff);
    assert_int_equal(bp->hdr.cmd_line_ptr, BOOT_CMDLINE_ADDR);
    assert_int_equal(bp->hdr.ramdisk_image, 0x7000000);
    assert_int_equal(bp->hdr.ramdisk_size, 0x12345);
    assert_int_equal(bp->hdr.vid_mode, 0xffff);
    assert_int_equal(bp->e820_entries, 3);
    assert_int_equal(bp->ext_cmd_line_ptr, 0);
    assert_int_equal(bp->acpi_rsdp_addr, 0xe0000);
    assert_int_equal(bp->screen_info.orig_x, 0);   /* rest zeroed */
    free(bp);
    free(img);
}

/* linux_load through a memfd: kernel copied to 1 MiB, zero page, cmdline;
 * too little memory and an oversized cmdline are clear errors. */
static void
test_linux_load(void **state)
{
    uint8_t *img = make_image();
    char path[] = "/tmp/rsw-bz-XXXXXX", err[256] = "";
    struct vm_memory m;
    struct vcpu_boot e;
    int fd = mkstemp(path);

    (void) state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, img, IMG_SIZE), IMG_SIZE);
    close(fd);
    assert_int_equal(vm_memory_create(&m, 64 << 20, NULL, -1, err,
                                      sizeof err), 0);
    assert_int_equal(linux_load(&m, path, NULL, "console=ttyS0", 0, &e, err,
                                sizeof err), 0);
    assert_true(e.rip == BZ_LOAD_ADDR + 0x200 && e.rsi == BOOT_PARAMS_ADDR);
    assert_memory_equal(m.host + BZ_LOAD_ADDR, img + IMG_SETUP_SIZE,
                        IMG_KERNEL_SIZE);
    assert_string_equal((char *) m.host + BOOT_CMDLINE_ADDR, "console=ttyS0");
    put(img, 0x238, 4, 4);                         /* cmdline_size 4 */
    fd = open(path, O_WRONLY);
    assert_int_equal(write(fd, img, IMG_SIZE), IMG_SIZE);
    close(fd);
    assert_int_equal(linux_load(&m, path, NULL, "console=ttyS0", 0, &e, err,
                                sizeof err), -EINVAL);
    assert_non_null(strstr(err, "--cmdline"));
    put(img, 0x260, 0x10000000, 4);                /* init_size 256 MiB */
    put(img, 0x238, 2048, 4);
    fd = open(path, O_WRONLY);
    assert_int_equal(write(fd, img, IMG_SIZE), IMG_SIZE);
    close(fd);
    assert_int_equal(linux_load(&m, path, NULL, "", 0, &e, err, sizeof err),
                     -ENOMEM);
    assert_non_null(strstr(err, "--mem too small"));
    assert_int_equal(linux_load(&m, "/nonexistent/bz", NULL, "", 0, &e, err,
                                sizeof err), -ENOENT);
    vm_memory_destroy(&m);
    unlink(path);
    free(img);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_bad_magic),
        cmocka_unit_test(test_parse_old_version),
        cmocka_unit_test(test_parse_truncated),
        cmocka_unit_test(test_e820),
        cmocka_unit_test(test_initrd_place),
        cmocka_unit_test(test_boot_params),
        cmocka_unit_test(test_linux_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
