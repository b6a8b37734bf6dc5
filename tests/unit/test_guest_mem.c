/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the guest memory table (vhost/guest_mem.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "vhost/guest_mem.h"

static int
count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    assert_non_null(d);
    while (readdir(d)) {
        n++;
    }
    closedir(d);
    return n;
}

static struct guest_mem_region_desc
host_region(uint64_t gpa, uint64_t size, uint64_t uva, void *host)
{
    return (struct guest_mem_region_desc) {
        .gpa = gpa, .size = size, .uva = uva, .fd = -1, .host = host,
    };
}

/* A memfd of 'size' bytes whose byte i is (uint8_t) (i * 7 + seed). */
static int
make_memfd(size_t size, unsigned seed)
{
    int fd = memfd_create("rsw-test", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t) size), 0);
    uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(p != MAP_FAILED);
    for (size_t i = 0; i < size; i++) {
        p[i] = (uint8_t) (i * 7 + seed);
    }
    munmap(p, size);
    return fd;
}

static void
test_translate_basic(void **state)
{
    (void) state;
    static uint8_t a[4096], b[4096], c[4096];
    struct guest_mem_region_desc d[3] = {
        /* deliberately unsorted: the table sorts by gpa */
        host_region(0x3000, 4096, 0x900000, c),
        host_region(0x1000, 4096, 0x700000, a),
        host_region(0x2000, 4096, 0x800000, b),   /* adjacent to a */
    };
    struct guest_mem *m;
    assert_int_equal(guest_mem_create(d, 3, 8, &m), 0);
    assert_int_equal(guest_mem_n_regions(m), 3);

    struct guest_mem_region_desc r;
    guest_mem_region(m, 0, &r);
    assert_int_equal(r.gpa, 0x1000);
    assert_int_equal(r.fd, -1);
    assert_ptr_equal(r.host, a);

    assert_ptr_equal(guest_mem_gpa_to_hva(m, 0x1000, 4096), a);
    assert_ptr_equal(guest_mem_gpa_to_hva(m, 0x1ffc, 4), a + 0xffc);
    assert_ptr_equal(guest_mem_gpa_to_hva(m, 0x2000, 0), b);
    /* The whole range must be in ONE region, even if the next is adjacent. */
    assert_null(guest_mem_gpa_to_hva(m, 0x1ffc, 5));
    assert_null(guest_mem_gpa_to_hva(m, 0x0fff, 1));
    assert_null(guest_mem_gpa_to_hva(m, 0x4000, 0));
    /* Overflow-safe: a huge length must not wrap back inside. */
    assert_null(guest_mem_gpa_to_hva(m, 0x1000, UINT64_MAX));
    assert_null(guest_mem_gpa_to_hva(m, UINT64_MAX, 2));

    assert_ptr_equal(guest_mem_uva_to_hva(m, 0x800010, 16), b + 16);
    assert_null(guest_mem_uva_to_hva(m, 0x800ff0, 0x20));
    assert_null(guest_mem_uva_to_hva(m, 0x700000, UINT64_MAX));
    uint64_t gpa = 0;
    assert_int_equal(guest_mem_uva_to_gpa(m, 0x900100, 8, &gpa), 0);
    assert_int_equal(gpa, 0x3100);
    assert_int_equal(guest_mem_uva_to_gpa(m, 0xa00000, 8, &gpa), -EFAULT);
    guest_mem_destroy(m);
}

static void
test_span_and_copy(void **state)
{
    (void) state;
    static uint8_t a[4096], b[4096], c[4096];
    struct guest_mem_region_desc d[3] = {
        host_region(0x1000, 4096, 0x10000, a),
        host_region(0x2000, 4096, 0x20000, b),
        host_region(0x5000, 4096, 0x50000, c),    /* gap before it */
    };
    struct guest_mem *m;
    assert_int_equal(guest_mem_create(d, 3, 8, &m), 0);

    void *hva;
    assert_int_equal(guest_mem_gpa_span(m, 0x1ff0, 100, &hva), 16);
    assert_ptr_equal(hva, a + 0xff0);
    assert_int_equal(guest_mem_gpa_span(m, 0x2000, 84, &hva), 84);
    assert_ptr_equal(hva, b);
    assert_int_equal(guest_mem_gpa_span(m, 0x3000, 1, &hva), 0);

    uint8_t src[64], dst[64];
    for (unsigned i = 0; i < sizeof src; i++) {
        src[i] = (uint8_t) (i + 1);
    }
    /* Across the A/B border: split copy. */
    assert_int_equal(guest_mem_write(m, 0x1fe0, src, sizeof src), 0);
    assert_memory_equal(a + 0xfe0, src, 32);
    assert_memory_equal(b, src + 32, 32);
    memset(dst, 0, sizeof dst);
    assert_int_equal(guest_mem_read(m, 0x1fe0, dst, sizeof dst), 0);
    assert_memory_equal(dst, src, sizeof src);
    /* Across B's end into the gap. */
    assert_int_equal(guest_mem_read(m, 0x2fe0, dst, sizeof dst), -EFAULT);
    assert_int_equal(guest_mem_write(m, 0x2fe0, src, sizeof src), -EFAULT);
    /* Overflowing range. */
    assert_int_equal(guest_mem_read(m, UINT64_MAX - 8, dst, 16), -EFAULT);
    assert_int_equal(guest_mem_read(m, 0x5000, dst, 0), 0);
    guest_mem_destroy(m);
}

static void
expect_refused(const struct guest_mem_region_desc *d, unsigned n,
               unsigned max, int err)
{
    struct guest_mem *m = (struct guest_mem *) (uintptr_t) 1;
    assert_int_equal(guest_mem_create(d, n, max, &m), err);
    assert_null(m);
}

static void
test_refuse_bad_tables(void **state)
{
    (void) state;
    static uint8_t a[4096], b[4096];
    struct guest_mem_region_desc d[2];

    expect_refused(NULL, 0, 8, -EINVAL);
    d[0] = host_region(0x1000, 4096, 0x1000, a);
    expect_refused(d, 0, 8, -EINVAL);
    /* zero size */
    d[0] = host_region(0x1000, 0, 0x1000, a);
    expect_refused(d, 1, 8, -EINVAL);
    /* gpa + size overflows */
    d[0] = host_region(UINT64_MAX - 100, 4096, 0x1000, a);
    expect_refused(d, 1, 8, -EINVAL);
    /* uva + size overflows */
    d[0] = host_region(0x1000, 4096, UINT64_MAX - 4095, a);
    expect_refused(d, 1, 8, -EINVAL);
    /* no memory at all */
    d[0] = host_region(0x1000, 4096, 0x1000, NULL);
    expect_refused(d, 1, 8, -EINVAL);
    /* overlapping gpa, distinct uva */
    d[0] = host_region(0x1000, 4096, 0x10000, a);
    d[1] = host_region(0x1fff, 4096, 0x20000, b);
    expect_refused(d, 2, 8, -EINVAL);
    /* distinct gpa, overlapping uva */
    d[1] = host_region(0x2000, 4096, 0x10800, b);
    expect_refused(d, 2, 8, -EINVAL);
    /* adjacency is fine */
    d[1] = host_region(0x2000, 4096, 0x11000, b);
    struct guest_mem *m;
    assert_int_equal(guest_mem_create(d, 2, 8, &m), 0);
    guest_mem_destroy(m);
    /* too many regions for the caller's limit and for ours */
    expect_refused(d, 2, 1, -E2BIG);
    struct guest_mem_region_desc many[GUEST_MEM_MAX_REGIONS + 1];
    for (unsigned i = 0; i < RSW_ARRAY_SIZE(many); i++) {
        many[i] = host_region(0x1000 * (i + 1), 16, 0x1000 * (i + 1), a);
    }
    expect_refused(many, GUEST_MEM_MAX_REGIONS + 1, 1000, -E2BIG);
    assert_int_equal(guest_mem_create(many, GUEST_MEM_MAX_REGIONS,
                                      GUEST_MEM_MAX_REGIONS, &m), 0);
    assert_int_equal(guest_mem_n_regions(m), GUEST_MEM_MAX_REGIONS);
    assert_ptr_equal(guest_mem_gpa_to_hva(m, 0x1000 * GUEST_MEM_MAX_REGIONS,
                                          16), a);
    guest_mem_destroy(m);
    guest_mem_destroy(NULL);
}

static void
test_memfd_regions(void **state)
{
    (void) state;
    int before = count_fds();
    int fd0 = make_memfd(3 * 4096, 1);
    int fd1 = make_memfd(2 * 4096, 2);
    struct guest_mem_region_desc d[2] = {
        /* gpa 0x100000 is byte 4096 of fd0 */
        { .gpa = 0x100000, .size = 8192, .uva = 0x7000000, .mmap_offset = 4096,
          .fd = fd0 },
        { .gpa = 0x102000, .size = 8192, .uva = 0x9000000, .fd = fd1 },
    };
    struct guest_mem *m;
    assert_int_equal(guest_mem_create(d, 2, 8, &m), 0);
    /* The fds were consumed (closed after mmap); mappings stay valid. */
    assert_int_equal(count_fds(), before);
    uint8_t *p = guest_mem_gpa_to_hva(m, 0x100000, 8192);
    assert_non_null(p);
    assert_int_equal(p[0], (uint8_t) (4096 * 7 + 1));
    assert_int_equal(p[10], (uint8_t) (4106 * 7 + 1));
    uint8_t buf[8];
    assert_int_equal(guest_mem_read(m, 0x101ffc, buf, 8), 0);
    assert_int_equal(buf[3], (uint8_t) (12287 * 7 + 1));
    assert_int_equal(buf[4], (uint8_t) (0 * 7 + 2));
    /* Writes go to the shared file. */
    assert_int_equal(guest_mem_write(m, 0x102000, "xy", 2), 0);
    guest_mem_destroy(m);
    assert_int_equal(count_fds(), before);
}

static void
test_memfd_no_leak_on_error(void **state)
{
    (void) state;
    int before = count_fds();
    uint8_t host[64];
    struct guest_mem *m;

    /* Overlap refused: both fds closed anyway. */
    struct guest_mem_region_desc d[2] = {
        { .gpa = 0, .size = 4096, .uva = 0, .fd = make_memfd(4096, 0) },
        { .gpa = 0x800, .size = 4096, .uva = 0x10000, .fd = make_memfd(4096, 0) },
    };
    assert_int_equal(guest_mem_create(d, 2, 8, &m), -EINVAL);
    assert_int_equal(count_fds(), before);

    /* mmap_offset + size overflows. */
    d[0].mmap_offset = UINT64_MAX - 10;
    d[0].fd = make_memfd(4096, 0);
    assert_int_equal(guest_mem_create(d, 1, 8, &m), -EINVAL);
    assert_int_equal(count_fds(), before);

    /* File shorter than the region claims (would SIGBUS on access). */
    d[0] = (struct guest_mem_region_desc) { .gpa = 0, .size = 8192,
                                            .fd = make_memfd(4096, 0) };
    assert_int_equal(guest_mem_create(d, 1, 8, &m), -EINVAL);
    assert_int_equal(count_fds(), before);

    /* Second region fails after the first was mapped: unwound. */
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    close(pipefd[1]);
    d[0] = (struct guest_mem_region_desc) { .gpa = 0, .size = 4096,
                                            .fd = make_memfd(4096, 0) };
    d[1] = (struct guest_mem_region_desc) { .gpa = 0x10000, .size = 4096,
                                            .uva = 0x10000, .fd = pipefd[0] };
    assert_true(guest_mem_create(d, 2, 8, &m) < 0);
    assert_null(m);
    assert_int_equal(count_fds(), before);

    /* Too many regions: fds still owned and closed. */
    d[0].fd = make_memfd(4096, 0);
    d[1] = host_region(0x10000, 64, 0x10000, host);
    assert_int_equal(guest_mem_create(d, 2, 1, &m), -E2BIG);
    assert_int_equal(count_fds(), before);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_translate_basic),
        cmocka_unit_test(test_span_and_copy),
        cmocka_unit_test(test_refuse_bad_tables),
        cmocka_unit_test(test_memfd_regions),
        cmocka_unit_test(test_memfd_no_leak_on_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
