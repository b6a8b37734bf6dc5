/* SPDX-License-Identifier: Apache-2.0 */
#include "port_rules.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct port_rules {
    struct port_rule *rules;
    unsigned n, allocated;
};

static int RSW_PRINTF(3, 4)
parse_error(char *err, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* Strict decimal port number in 1..PORT_RULES_MAX_OFPORT. */
static bool
parse_ofport(const char *s, size_t len, uint32_t *port)
{
    uint32_t v = 0;

    if (!len || len > 5) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (uint32_t) (s[i] - '0');
    }
    *port = v;
    return v >= 1 && v <= PORT_RULES_MAX_OFPORT;
}

/* One action word [s, s+len); 'prev_output' allows a bare port number
 * continuing "output:M,M2". */
static int
parse_action(const char *s, size_t len, bool prev_output,
             struct port_rule *r, char *err, size_t esz)
{
    uint32_t port;

    if ((len == 6 && !strncasecmp(s, "normal", 6))
        || (len == 4 && !strncmp(s, "drop", 4))) {
        if (r->n_outputs || r->action != PORT_RULE_OUTPUT) {
            return parse_error(err, esz, "'%.*s' must be the only action",
                               (int) len, s);
        }
        r->action = s[0] == 'd' ? PORT_RULE_DROP : PORT_RULE_NORMAL;
        return 0;
    }
    if (len > 7 && !strncmp(s, "output:", 7)) {
        s += 7;
        len -= 7;
    } else if (!prev_output) {
        return parse_error(err, esz, "unknown action '%.*s' (supported: "
                           "output:N, normal, drop)", (int) len, s);
    }
    if (!parse_ofport(s, len, &port)) {
        return parse_error(err, esz, "bad output port '%.*s' (want 1..%u)",
                           (int) len, s, PORT_RULES_MAX_OFPORT);
    }
    if (r->action != PORT_RULE_OUTPUT) {
        return parse_error(err, esz, "output cannot follow drop or normal");
    }
    if (r->n_outputs >= PORT_RULES_MAX_OUTPUTS) {
        return parse_error(err, esz, "more than %d outputs",
                           PORT_RULES_MAX_OUTPUTS);
    }
    r->outputs[r->n_outputs++] = port;
    return 0;
}

static int
parse_actions(const char *s, struct port_rule *r, char *err, size_t esz)
{
    bool any = false;

    while (*s) {
        size_t len = strcspn(s, ",");
        if (!len) {
            return parse_error(err, esz, "empty action");
        }
        int e = parse_action(s, len, any && r->action == PORT_RULE_OUTPUT,
                             r, err, esz);
        if (e) {
            return e;
        }
        any = true;
        s += len;
        if (*s == ',') {
            if (!*++s) {
                return parse_error(err, esz, "trailing comma in actions");
            }
        }
    }
    if (!any) {
        return parse_error(err, esz, "actions= is empty (use actions=drop "
                           "to drop)");
    }
    return 0;
}

int
port_rule_parse(const char *s, struct port_rule *r, char *err, size_t esz)
{
    memset(r, 0, sizeof *r);
    r->any_in_port = true;
    r->action = PORT_RULE_OUTPUT;
    while (*s) {
        size_t len = strcspn(s, ",");
        if (!strncmp(s, "actions=", 8)) {
            return parse_actions(s + 8, r, err, esz);
        }
        if (len > 8 && !strncmp(s, "in_port=", 8)) {
            if (!r->any_in_port) {
                return parse_error(err, esz, "in_port given twice");
            }
            if (!parse_ofport(s + 8, len - 8, &r->in_port)) {
                return parse_error(err, esz, "bad in_port '%.*s' (want "
                                   "1..%u)", (int) (len - 8), s + 8,
                                   PORT_RULES_MAX_OFPORT);
            }
            r->any_in_port = false;
        } else {
            return parse_error(err, esz, "unknown field '%.*s' (supported: "
                               "in_port=N, actions=...)", (int) len, s);
        }
        s += len;
        s += *s == ',';
    }
    return parse_error(err, esz, "missing actions=");
}

char *
port_rule_format(const struct port_rule *r, char *buf, size_t size)
{
    size_t used = 0;
    int n = 0;

    if (!size) {
        return buf;
    }
    buf[0] = '\0';
    if (!r->any_in_port) {
        n = snprintf(buf, size, "in_port=%u,", r->in_port);
        used = n > 0 ? (size_t) n : 0;
    }
    if (used < size) {
        n = snprintf(buf + used, size - used, "actions=%s",
                     r->action == PORT_RULE_DROP ? "drop"
                     : r->action == PORT_RULE_NORMAL ? "NORMAL" : "");
        used += n > 0 ? (size_t) n : 0;
    }
    for (uint32_t i = 0; i < r->n_outputs && used < size; i++) {
        n = snprintf(buf + used, size - used, "%soutput:%u", i ? "," : "",
                     r->outputs[i]);
        used += n > 0 ? (size_t) n : 0;
    }
    return buf;
}

int
port_rules_create(struct port_rules **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : -ENOMEM;
}

void
port_rules_destroy(struct port_rules *t)
{
    if (t) {
        free(t->rules);
        free(t);
    }
}

static bool
same_match(const struct port_rule *a, const struct port_rule *b)
{
    return a->any_in_port == b->any_in_port
           && (a->any_in_port || a->in_port == b->in_port);
}

int
port_rules_add(struct port_rules *t, const struct port_rule *r)
{
    for (unsigned i = 0; i < t->n; i++) {
        if (same_match(&t->rules[i], r)) {
            t->rules[i] = *r;
            t->rules[i].n_packets = 0;
            return 0;
        }
    }
    if (t->n >= PORT_RULES_MAX_RULES) {
        return -ENOSPC;
    }
    if (t->n == t->allocated) {
        unsigned n = t->allocated ? t->allocated * 2 : 8;
        struct port_rule *p = realloc(t->rules, n * sizeof *p);
        if (!p) {
            return -ENOMEM;
        }
        t->rules = p;
        t->allocated = n;
    }
    t->rules[t->n] = *r;
    t->rules[t->n++].n_packets = 0;
    return 0;
}

void
port_rules_clear(struct port_rules *t)
{
    t->n = 0;
}

unsigned
port_rules_count(const struct port_rules *t)
{
    return t->n;
}

struct port_rule *
port_rules_lookup(struct port_rules *t, uint32_t in_port)
{
    struct port_rule *any = NULL;

    for (unsigned i = 0; i < t->n; i++) {
        struct port_rule *r = &t->rules[i];
        if (r->any_in_port) {
            any = r;
        } else if (r->in_port == in_port) {
            return r;
        }
    }
    return any;
}

const struct port_rule *
port_rules_at(const struct port_rules *t, unsigned i)
{
    return i < t->n ? &t->rules[i] : NULL;
}
