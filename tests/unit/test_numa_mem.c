/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "datapath/numa_mem.h"
#include "vhost/vlog.h"

static unsigned n_warnings;
static char last_line[512];

static void
count_sink(enum rsw_log_level level, const char *line, void *aux)
{
    (void) aux;
    if (level == RSW_LOG_WARN) {
        n_warnings++;
        snprintf(last_line, sizeof last_line, "%s", line);
    }
}

/* Asks the real kernel: a touched anonymous page is on a node (node 0 on
 * this one-node machine, some valid node on any other); an untouched one
 * is not present; an unmapped address is refused. */
static void
test_node_of_pages(void **state)
{
    long page = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, (size_t) page * 2, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int node;
    (void) state;

    assert_true(m != MAP_FAILED);
    memset(m, 1, (size_t) page);
    node = numa_mem_node(m + 100);
    if (node == -ENOSYS) {
        skip();     /* kernel without CONFIG_NUMA */
    }
    assert_true(node >= 0);
    if (access("/sys/devices/system/node/node1", F_OK)) {
        assert_int_equal(node, 0);      /* single-node host */
    }
    assert_int_equal(numa_mem_node(m + page), -ENOENT);
    munmap(m, (size_t) page * 2);
    assert_int_equal(numa_mem_node(m), -EFAULT);
    assert_int_equal(numa_mem_node(NULL), -EFAULT);
}

/* A fake memory node (1) against a PMD on node 0: one warning naming all
 * four facts, not repeated; a new pair warns again; same or unknown nodes
 * never warn. */
static void
test_cross_node_warning(void **state)
{
    struct numa_mem_warn w = NUMA_MEM_WARN_INIT;
    (void) state;

    rsw_log_set_sink(count_sink, NULL);
    n_warnings = 0;
    assert_false(numa_mem_check_queue(&w, "vm1", 0, 0, 0));
    assert_false(numa_mem_check_queue(&w, "vm1", 0, -1, 0));
    assert_false(numa_mem_check_queue(&w, "vm1", 0, 1, -1));
    assert_int_equal(n_warnings, 0);
    assert_true(numa_mem_check_queue(&w, "vm1", 3, 1, 0));
    assert_int_equal(n_warnings, 1);
    assert_non_null(strstr(last_line, "vm1: rx queue 3"));
    assert_non_null(strstr(last_line, "memory on NUMA node 1"));
    assert_non_null(strstr(last_line, "PMD on node 0"));
    assert_true(numa_mem_check_queue(&w, "vm1", 3, 1, 0));
    assert_int_equal(n_warnings, 1);
    assert_true(numa_mem_check_queue(&w, "vm1", 3, 0, 1));
    assert_int_equal(n_warnings, 2);
    rsw_log_set_sink(NULL, NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_of_pages),
        cmocka_unit_test(test_cross_node_warning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
