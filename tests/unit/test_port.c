/* SPDX-License-Identifier: Apache-2.0 */
/* port.c: the class table, run-time registration (how the DPDK ethdev
 * provider joins without the core library depending on DPDK). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "datapath/port.h"

static const struct port_class fake_class;
static struct port fake_port;
static unsigned fake_constructed;

static int
fake_construct(const char *type, const char *name,
               const struct port_args *args, const struct port_hooks *hooks,
               struct port **out, char *err, size_t esz)
{
    (void) hooks;
    (void) err;
    (void) esz;
    assert_string_equal(port_args_get(args, "k"), "v");
    fake_port.class = &fake_class;
    snprintf(fake_port.name, sizeof fake_port.name, "%s", name);
    snprintf(fake_port.type, sizeof fake_port.type, "%s", type);
    fake_constructed++;
    *out = &fake_port;
    return 0;
}

static void
fake_destruct(struct port *p)
{
    assert_ptr_equal(p, &fake_port);
    fake_constructed--;
}

static const struct port_class fake_class = {
    .type = "fake",
    .construct = fake_construct,
    .destruct = fake_destruct,
};

static const struct port_class dup_class = {
    .type = "vhostuser",
    .construct = fake_construct,
    .destruct = fake_destruct,
};

static void
test_register_and_create(void **state)
{
    const struct port_arg kv[] = {{"k", "v"}};
    const struct port_args args = {kv, 1};
    struct port_hooks hooks = {0};
    struct port *p = NULL;
    char err[256] = "";
    (void) state;

    /* Before registration the type is unknown, and the message lists
     * what is. */
    assert_int_equal(port_create("fake", "p0", &args, &hooks, &p, err,
                                 sizeof err), -EINVAL);
    assert_non_null(strstr(err, "unknown interface type 'fake'"));
    assert_non_null(strstr(err, "vhostuser, vhostuserclient"));
    assert_null(strstr(err, "fake)"));

    assert_int_equal(port_class_register(&fake_class), 0);
    assert_int_equal(port_class_register(&fake_class), -EEXIST);
    assert_int_equal(port_class_register(&dup_class), -EEXIST);

    assert_int_equal(port_create("fake", "p0", &args, &hooks, &p, err,
                                 sizeof err), 0);
    assert_ptr_equal(p, &fake_port);
    assert_string_equal(p->type, "fake");
    assert_int_equal(fake_constructed, 1);
    port_destroy(p);
    assert_int_equal(fake_constructed, 0);
    port_destroy(NULL);

    /* Registered classes serve exactly their type (no "client" twin). */
    assert_int_equal(port_create("fakeclient", "p1", &args, &hooks, &p, err,
                                 sizeof err), -EINVAL);
    assert_non_null(strstr(err, "supported: vhostuser, vhostuserclient, "
                                "fake)"));
}

static void
test_register_full(void **state)
{
    static struct port_class many[16];
    static char names[16][16];
    int last = 0;
    (void) state;

    for (int i = 0; i < 16; i++) {
        snprintf(names[i], sizeof names[i], "extra%d", i);
        many[i] = fake_class;
        many[i].type = names[i];
        last = port_class_register(&many[i]);
        if (last) {
            break;
        }
    }
    assert_int_equal(last, -ENOSPC);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_and_create),
        cmocka_unit_test(test_register_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
