/* SPDX-License-Identifier: Apache-2.0 */
#include "port_rules.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_parse.h"

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

/* The "NAME:VALUE" actions: name, type, what the value is, its maximum. */
enum arg_kind { ARG_NUM, ARG_MAC, ARG_IPV4, ARG_NONE };

struct act_word {
    const char *name;
    enum port_rule_act_type type;
    enum arg_kind arg;
    uint32_t max;
    const char *want;
};

static const struct act_word act_words[] = {
    {"mod_dl_src", PORT_RULE_ACT_MOD_DL_SRC, ARG_MAC, 0, "a MAC address"},
    {"mod_dl_dst", PORT_RULE_ACT_MOD_DL_DST, ARG_MAC, 0, "a MAC address"},
    {"mod_vlan_vid", PORT_RULE_ACT_MOD_VLAN_VID, ARG_NUM, 4095, "0..4095"},
    {"mod_vlan_pcp", PORT_RULE_ACT_MOD_VLAN_PCP, ARG_NUM, 7, "0..7"},
    {"strip_vlan", PORT_RULE_ACT_STRIP_VLAN, ARG_NONE, 0, ""},
    {"pop_vlan", PORT_RULE_ACT_STRIP_VLAN, ARG_NONE, 0, ""},
    {"push_vlan", PORT_RULE_ACT_PUSH_VLAN, ARG_NUM, 0xffff,
     "0x8100 or 0x88a8"},
    {"mod_nw_src", PORT_RULE_ACT_MOD_NW_SRC, ARG_IPV4, 0, "an IPv4 address"},
    {"mod_nw_dst", PORT_RULE_ACT_MOD_NW_DST, ARG_IPV4, 0, "an IPv4 address"},
    {"mod_nw_tos", PORT_RULE_ACT_MOD_NW_TOS, ARG_NUM, 252,
     "a multiple of 4 in 0..252"},
    {"mod_nw_ttl", PORT_RULE_ACT_MOD_NW_TTL, ARG_NUM, 255, "0..255"},
    {"mod_tp_src", PORT_RULE_ACT_MOD_TP_SRC, ARG_NUM, 65535, "0..65535"},
    {"mod_tp_dst", PORT_RULE_ACT_MOD_TP_DST, ARG_NUM, 65535, "0..65535"},
};

static const struct act_word *
find_act_word(const char *s, size_t len)
{
    for (size_t i = 0; i < RSW_ARRAY_SIZE(act_words); i++) {
        size_t n = strlen(act_words[i].name);
        if (!strncmp(s, act_words[i].name, n)
            && (len == n || (len > n && s[n] == ':'))) {
            return &act_words[i];
        }
    }
    return NULL;
}

/* A "NAME[:VALUE]" modification action. */
static int
parse_mod(const struct act_word *w, const char *s, size_t len,
          struct port_rule_act *act, char *err, size_t esz)
{
    size_t n = strlen(w->name);
    const char *v = s + n + 1;
    size_t vlen = len > n ? len - n - 1 : 0;
    bool ok;

    memset(act, 0, sizeof *act);
    act->type = (uint8_t) w->type;
    if (w->arg == ARG_NONE) {
        ok = len == n;
    } else if (w->arg == ARG_MAC) {
        ok = dp_parse_mac(v, vlen, act->mac);
    } else if (w->arg == ARG_IPV4) {
        ok = dp_parse_ipv4(v, vlen, &act->u32);
    } else {
        ok = dp_parse_uint(v, vlen, w->max, &act->u32);
        if (w->type == PORT_RULE_ACT_PUSH_VLAN) {
            ok = ok && (act->u32 == 0x8100 || act->u32 == 0x88a8);
        } else if (w->type == PORT_RULE_ACT_MOD_NW_TOS) {
            ok = ok && !(act->u32 & 3);  /* ECN bits are not set by it */
        }
    }
    if (!ok) {
        return parse_error(err, esz, w->arg == ARG_NONE
                           ? "'%.*s': %s takes no value"
                           : "bad value in '%.*s' (want %s)", (int) len, s,
                           w->arg == ARG_NONE ? w->name : w->want);
    }
    return 0;
}

/* One action word [s, s+len).  A bare port number is an output (as in
 * ovs-ofctl: "output:2,3" and "2,3" both output to 2 and 3). */
static int
parse_action(const char *s, size_t len, struct port_rule *r, char *err,
             size_t esz)
{
    const struct act_word *w = find_act_word(s, len);
    struct port_rule_act act = {.type = PORT_RULE_ACT_OUTPUT};

    if ((len == 6 && !strncasecmp(s, "normal", 6))
        || (len == 4 && !strncmp(s, "drop", 4))) {
        if (r->n_acts || r->action != PORT_RULE_OUTPUT) {
            return parse_error(err, esz, "'%.*s' must be the only action",
                               (int) len, s);
        }
        r->action = s[0] == 'd' ? PORT_RULE_DROP : PORT_RULE_NORMAL;
        return 0;
    }
    if (r->action != PORT_RULE_OUTPUT) {
        return parse_error(err, esz, "'%.*s' cannot follow drop or normal",
                           (int) len, s);
    }
    if (w) {
        int e = parse_mod(w, s, len, &act, err, esz);
        if (e) {
            return e;
        }
    } else {
        bool named = len > 7 && !strncmp(s, "output:", 7);
        const char *p = named ? s + 7 : s;
        size_t plen = named ? len - 7 : len;
        if (!named && (!len || s[0] < '0' || s[0] > '9')) {
            return parse_error(err, esz, "unknown action '%.*s' (supported: "
                               "output:N, normal, drop, mod_dl_src/dst, "
                               "mod_vlan_vid/pcp, strip_vlan, push_vlan, "
                               "mod_nw_src/dst/tos/ttl, mod_tp_src/dst)",
                               (int) len, s);
        }
        if (!parse_ofport(p, plen, &act.u32)) {
            return parse_error(err, esz, "bad output port '%.*s' (want "
                               "1..%u)", (int) plen, p,
                               PORT_RULES_MAX_OFPORT);
        }
    }
    if (r->n_acts >= PORT_RULES_MAX_ACTIONS) {
        return parse_error(err, esz, "more than %d actions",
                           PORT_RULES_MAX_ACTIONS);
    }
    r->acts[r->n_acts++] = act;
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
        int e = parse_action(s, len, r, err, esz);
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

/* One match word "name=value" [s, s+len). */
static int
parse_match(const char *s, size_t len, struct port_rule *r, char *err,
            size_t esz)
{
    uint32_t v;

    if (len >= 8 && !strncmp(s, "in_port=", 8)) {
        if (!r->any_in_port) {
            return parse_error(err, esz, "in_port given twice");
        }
        if (!parse_ofport(s + 8, len - 8, &r->in_port)) {
            return parse_error(err, esz, "bad in_port '%.*s' (want 1..%u)",
                               (int) (len - 8), s + 8, PORT_RULES_MAX_OFPORT);
        }
        r->any_in_port = false;
    } else if (len >= 8 && !strncmp(s, "dl_vlan=", 8)) {
        if (r->match_vlan) {
            return parse_error(err, esz, "dl_vlan given twice");
        }
        if (!dp_parse_uint(s + 8, len - 8, 0xffff, &v)
            || (v > 4095 && v != PORT_RULE_VLAN_NONE)) {
            return parse_error(err, esz, "bad dl_vlan '%.*s' (want 0..4095, "
                               "or 0xffff for no tag)", (int) (len - 8),
                               s + 8);
        }
        r->dl_vlan = (uint16_t) v;
        r->match_vlan = true;
    } else {
        return parse_error(err, esz, "unknown field '%.*s' (supported: "
                           "in_port=N, dl_vlan=V, actions=...)", (int) len,
                           s);
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
        int e = parse_match(s, len, r, err, esz);
        if (e) {
            return e;
        }
        s += len;
        s += *s == ',';
    }
    return parse_error(err, esz, "missing actions=");
}

struct fmt {
    char *buf;
    size_t size, used;
};

static void RSW_PRINTF(2, 3)
fmt_put(struct fmt *f, const char *format, ...)
{
    va_list ap;
    int n;

    if (f->used >= f->size) {
        return;
    }
    va_start(ap, format);
    n = vsnprintf(f->buf + f->used, f->size - f->used, format, ap);
    va_end(ap);
    if (n > 0) {
        f->used += (size_t) n;
    }
}

static void
fmt_act(struct fmt *f, const struct port_rule_act *a)
{
    const struct act_word *w = NULL;
    const uint8_t *b = (const uint8_t *) &a->u32;

    if (a->type == PORT_RULE_ACT_OUTPUT) {
        fmt_put(f, "output:%u", a->u32);
        return;
    }
    for (size_t i = 0; i < RSW_ARRAY_SIZE(act_words) && !w; i++) {
        w = act_words[i].type == a->type ? &act_words[i] : NULL;
    }
    if (!w) {
        return;
    }
    fmt_put(f, "%s", w->name);
    if (w->arg == ARG_MAC) {
        fmt_put(f, ":%02x:%02x:%02x:%02x:%02x:%02x", a->mac[0], a->mac[1],
                a->mac[2], a->mac[3], a->mac[4], a->mac[5]);
    } else if (w->arg == ARG_IPV4) {
        fmt_put(f, ":%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    } else if (a->type == PORT_RULE_ACT_PUSH_VLAN) {
        fmt_put(f, ":0x%04x", a->u32);
    } else if (w->arg == ARG_NUM) {
        fmt_put(f, ":%u", a->u32);
    }
}

char *
port_rule_format(const struct port_rule *r, char *buf, size_t size)
{
    struct fmt f = {.buf = buf, .size = size};

    if (!size) {
        return buf;
    }
    buf[0] = '\0';
    if (!r->any_in_port) {
        fmt_put(&f, "in_port=%u,", r->in_port);
    }
    if (r->match_vlan) {
        fmt_put(&f, r->dl_vlan == PORT_RULE_VLAN_NONE ? "dl_vlan=0x%04x,"
                : "dl_vlan=%u,", r->dl_vlan);
    }
    fmt_put(&f, "actions=%s", r->action == PORT_RULE_DROP ? "drop"
            : r->action == PORT_RULE_NORMAL ? "NORMAL" : "");
    for (uint32_t i = 0; i < r->n_acts; i++) {
        if (i) {
            fmt_put(&f, ",");
        }
        fmt_act(&f, &r->acts[i]);
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
           && (a->any_in_port || a->in_port == b->in_port)
           && a->match_vlan == b->match_vlan
           && (!a->match_vlan || a->dl_vlan == b->dl_vlan);
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

/* Precedence rank of a rule that matches (higher wins), see the header. */
static int
match_rank(const struct port_rule *r, uint32_t in_port, uint16_t vlan)
{
    if ((!r->any_in_port && r->in_port != in_port)
        || (r->match_vlan && r->dl_vlan != vlan)) {
        return -1;
    }
    return (r->any_in_port ? 0 : 2) + (r->match_vlan ? 1 : 0);
}

struct port_rule *
port_rules_lookup(struct port_rules *t, uint32_t in_port, uint16_t vlan)
{
    struct port_rule *best = NULL;
    int best_rank = -1;

    for (unsigned i = 0; i < t->n; i++) {
        int rank = match_rank(&t->rules[i], in_port, vlan);
        if (rank > best_rank) {
            best = &t->rules[i];
            best_rank = rank;
        }
    }
    return best;
}

bool
port_rules_match_vlan(const struct port_rules *t)
{
    for (unsigned i = 0; i < t->n; i++) {
        if (t->rules[i].match_vlan) {
            return true;
        }
    }
    return false;
}

const struct port_rule *
port_rules_at(const struct port_rules *t, unsigned i)
{
    return i < t->n ? &t->rules[i] : NULL;
}
