/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for rsw-vmm's guest RAM (vmm/memory.c): the --hugepages
 * values (2M, 1G, a hugetlbfs mount), the size checks, and the one-line
 * errors for a page size with no free pages (the 1 GiB case on hosts that
 * reserved none), a path that is not on hugetlbfs and a missing path.
 * The cases that need hugepages the host has not reserved, or root for
 * /dev/hugepages, check the error instead or are skipped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "vmm/vmm.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* A sysfs hugepage counter; -1 if the pool does not exist. */
static long
pool_count(const char *size_kb, const char *name)
{
    char path[160];
    long n = -1;
    FILE *f;

    snprintf(path, sizeof path, "/sys/kernel/mm/hugepages/hugepages-%skB/%s",
             size_kb, name);
    f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%ld", &n) != 1) {
            n = -1;
        }
        fclose(f);
    }
    return n;
}

static void
test_parse(void **state)
{
    struct vm_hugepages hp;
    char err[256] = "";

    (void) state;
    assert_int_equal(vm_hugepages_parse(NULL, &hp, err, sizeof err), 0);
    assert_true(hp.page_size == 2 * MiB && !hp.dir);
    assert_int_equal(vm_hugepages_parse("2M", &hp, err, sizeof err), 0);
    assert_true(hp.page_size == 2 * MiB);
    assert_int_equal(vm_hugepages_parse("1g", &hp, err, sizeof err), 0);
    assert_true(hp.page_size == GiB && !hp.dir);
    assert_int_equal(vm_hugepages_parse("1GB", &hp, err, sizeof err), 0);
    assert_true(hp.page_size == GiB);
    assert_int_equal(vm_hugepages_parse("/dev/hugepages1G", &hp, err,
                                        sizeof err), 0);
    assert_true(hp.page_size == 0);
    assert_string_equal(hp.dir, "/dev/hugepages1G");
    assert_int_equal(vm_hugepages_parse("4M", &hp, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "want 2M, 1G or the path of a hugetlbfs "
                                "mount, got '4M'"));
    assert_int_equal(vm_hugepages_parse("dev/hugepages", &hp, err,
                                        sizeof err), -EINVAL);
}

static void
test_sizes(void **state)
{
    struct vm_hugepages hp = { .page_size = GiB };
    struct vm_memory m;
    char err[256] = "";

    (void) state;
    assert_int_equal(vm_memory_create(&m, 512 * MiB, &hp, -1, err,
                                      sizeof err), -EINVAL);
    assert_string_equal(err, "--mem must be a multiple of 1G with "
                             "--hugepages=1G");
    assert_true(m.fd == -1 && !m.host);
    hp.page_size = 2 * MiB;
    assert_int_equal(vm_memory_create(&m, 3 * MiB, &hp, -1, err, sizeof err),
                     -EINVAL);
    assert_string_equal(err, "--mem must be at least 4M");
    assert_int_equal(vm_memory_create(&m, 5 * MiB, &hp, -1, err, sizeof err),
                     -EINVAL);
    assert_string_equal(err, "--mem must be a multiple of 2M with "
                             "--hugepages");
    /* Without hugepages: a 4 KiB memfd, split around the PCI hole. */
    assert_int_equal(vm_memory_create(&m, 64 * MiB, NULL, -1, err,
                                      sizeof err), 0);
    assert_true(m.fd >= 0 && m.host && !m.hugepages && m.page_size == 4096);
    assert_int_equal(m.n_regions, 1);
    vm_memory_destroy(&m);
    vm_memory_destroy(NULL);
}

/* 1 GiB pages: with none free (this CI machine) a clear error that says
 * how to reserve them, and nothing allocated; with some, the real thing. */
static void
test_1g(void **state)
{
    struct vm_hugepages hp = { .page_size = GiB };
    long free_1g = pool_count("1048576", "free_hugepages");
    struct vm_memory m;
    char err[512] = "";
    int rc;

    (void) state;
    rc = vm_memory_create(&m, GiB, &hp, -1, err, sizeof err);
    if (free_1g < 0) {
        assert_int_equal(rc, -ENOTSUP);
        assert_non_null(strstr(err, "--hugepages=1G: this host has no "
                                    "1 GiB hugepages"));
    } else if (free_1g == 0) {
        assert_int_equal(rc, -ENOMEM);
        assert_non_null(strstr(err, "--hugepages=1G: 1024 MiB needs 1 free "
                                    "1 GiB hugepages, 0 are free"));
        assert_non_null(strstr(err, "echo N > /sys/kernel/mm/hugepages/"
                                    "hugepages-1048576kB/nr_hugepages"));
        assert_non_null(strstr(err, "hugepagesz=1G hugepages=N"));
        assert_true(m.fd == -1 && !m.host);
    } else {
        assert_int_equal(rc, 0);
        assert_true(m.hugepages && m.page_size == GiB);
        vm_memory_destroy(&m);
    }
}

static void
test_dir_errors(void **state)
{
    struct vm_hugepages hp;
    struct vm_memory m;
    char err[512] = "";

    (void) state;
    assert_int_equal(vm_hugepages_parse("/proc", &hp, err, sizeof err), 0);
    assert_int_equal(vm_memory_create(&m, 64 * MiB, &hp, -1, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "--hugepages=/proc: not on a hugetlbfs "
                                "mount (hugetlbfs here: "));
    assert_non_null(strstr(err, "mount -t hugetlbfs -o pagesize=1G"));
    assert_int_equal(vm_hugepages_parse("/nonexistent/huge", &hp, err,
                                        sizeof err), 0);
    assert_int_equal(vm_memory_create(&m, 64 * MiB, &hp, -1, err, sizeof err),
                     -ENOENT);
    assert_string_equal(err, "--hugepages=/nonexistent/huge: No such file or "
                             "directory");
    assert_true(m.fd == -1 && !m.host);
}

/* The number of entries in DIR whose name starts with "rsw-vmm-ram.". */
static int
ram_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d))) {
        n += !strncmp(e->d_name, "rsw-vmm-ram.", 12);
    }
    closedir(d);
    return n;
}

/* --hugepages=/dev/hugepages (2 MiB mount): the RAM is an unlinked file
 * there, on 2 MiB pages, all reserved; needs root and 8 free pages. */
static void
test_dir_2m(void **state)
{
    const char *dir = "/dev/hugepages";
    struct vm_hugepages hp;
    struct vm_memory m;
    char err[512] = "";
    struct statfs fs;
    struct stat st;

    (void) state;
    if (statfs(dir, &fs) || fs.f_bsize != (long) (2 * MiB)
        || access(dir, W_OK) || pool_count("2048", "free_hugepages") < 8) {
        skip();
    }
    assert_int_equal(vm_hugepages_parse(dir, &hp, err, sizeof err), 0);
    assert_int_equal(vm_memory_create(&m, 16 * MiB, &hp, -1, err,
                                      sizeof err), 0);
    assert_true(m.hugepages && m.page_size == 2 * MiB);
    assert_int_equal(fstat(m.fd, &st), 0);
    assert_int_equal(st.st_blksize, 2 * MiB);
    assert_int_equal(st.st_nlink, 0);              /* unlinked at once */
    assert_int_equal(ram_files(dir), 0);
    /* fallocate allocated every page up front: the file holds all 8. */
    assert_int_equal(st.st_blocks, 16 * MiB / 512);
    m.host[16 * MiB - 1] = 1;
    vm_memory_destroy(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_1g),
        cmocka_unit_test(test_dir_errors),
        cmocka_unit_test(test_dir_2m),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
