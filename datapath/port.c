/* SPDX-License-Identifier: Apache-2.0 */
#include "port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Built in: serve "T" and "Tclient" (vhostuser, vhostuserclient). */
static const struct port_class *const port_classes[] = {
    &port_vhost_class,
};

/* Registered at run time (port_class_register): serve exactly "T". */
#define PORT_MAX_REGISTERED 8
static const struct port_class *registered[PORT_MAX_REGISTERED];
static unsigned n_registered;

static const char *const drop_names[PORT_DROP_N] = {
    [PORT_DROP_TX_NO_ROOM] = "tx_no_room",
    [PORT_DROP_TX_NOT_READY] = "tx_not_ready",
    [PORT_DROP_NO_MBUF] = "no_mbuf",
    [PORT_DROP_BAD_DESC] = "bad_descriptor",
    [PORT_DROP_RUNT] = "runt",
    [PORT_DROP_TOO_BIG] = "too_big",
    [PORT_DROP_QUEUE_BROKEN] = "queue_broken",
    [PORT_DROP_NO_ROUTE] = "no_route",
    [PORT_DROP_UPCALL_FAIL] = "upcall_fail",
};

const char *
port_drop_reason_name(enum port_drop_reason r)
{
    return (unsigned) r < PORT_DROP_N ? drop_names[r] : "unknown";
}

const char *
port_args_get(const struct port_args *a, const char *key)
{
    for (unsigned i = 0; a && i < a->n; i++) {
        if (!strcmp(a->args[i].key, key)) {
            return a->args[i].value;
        }
    }
    return NULL;
}

int
port_args_get_uint(const struct port_args *a, const char *type,
                   const struct port_uint_option *o, unsigned *out,
                   char *err, size_t err_size)
{
    const char *v = port_args_get(a, o->key);
    unsigned long n;
    char *end;

    if (!v) {
        *out = o->def;
        return 0;
    }
    errno = 0;
    n = strtoul(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || errno || n < o->min || n > o->max) {
        snprintf(err, err_size, "%s: options:%s%s%s%s must be %u..%u, "
                 "got '%s'", type, o->key, o->what ? " (" : "",
                 o->what ? o->what : "", o->what ? ")" : "", o->min, o->max,
                 v);
        return -EINVAL;
    }
    *out = (unsigned) n;
    return 0;
}

static const struct port_class *
port_class_find(const char *type)
{
    for (size_t i = 0; i < RSW_ARRAY_SIZE(port_classes); i++) {
        const struct port_class *c = port_classes[i];
        size_t len = strlen(c->type);
        if (!strncmp(type, c->type, len)
            && (!type[len] || !strcmp(type + len, "client"))) {
            return c;
        }
    }
    for (unsigned i = 0; i < n_registered; i++) {
        if (!strcmp(type, registered[i]->type)) {
            return registered[i];
        }
    }
    return NULL;
}

int
port_class_register(const struct port_class *c)
{
    if (port_class_find(c->type)) {
        return -EEXIST;
    }
    if (n_registered >= PORT_MAX_REGISTERED) {
        return -ENOSPC;
    }
    registered[n_registered++] = c;
    return 0;
}

/* "vhostuser, vhostuserclient, dpdk": what port_class_find() accepts. */
static void
port_types_format(char *buf, size_t size)
{
    size_t n;

    buf[0] = '\0';
    for (size_t i = 0; i < RSW_ARRAY_SIZE(port_classes); i++) {
        n = strlen(buf);
        snprintf(buf + n, size - n, "%s%s, %sclient", n ? ", " : "",
                 port_classes[i]->type, port_classes[i]->type);
    }
    for (unsigned i = 0; i < n_registered; i++) {
        n = strlen(buf);
        snprintf(buf + n, size - n, ", %s", registered[i]->type);
    }
}

int
port_create(const char *type, const char *name, const struct port_args *args,
            const struct port_hooks *hooks, struct port **out, char *err,
            size_t esz)
{
    const struct port_class *c = port_class_find(type);
    char types[128];

    if (!c) {
        port_types_format(types, sizeof types);
        snprintf(err, esz, "unknown interface type '%s' (supported: %s)",
                 type, types);
        return -EINVAL;
    }
    if (strlen(name) >= PORT_NAME_MAX) {
        snprintf(err, esz, "port name too long");
        return -EINVAL;
    }
    return c->construct(type, name, args, hooks, out, err, esz);
}

void
port_destroy(struct port *p)
{
    if (p) {
        p->class->destruct(p);
    }
}

void
port_get_stats(const struct port *p, struct port_stats *s)
{
    const uint64_t *src = (const uint64_t *) &p->stats;
    uint64_t *dst = (uint64_t *) s;

    for (size_t i = 0; i < sizeof *s / sizeof(uint64_t); i++) {
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
    }
}
