/* SPDX-License-Identifier: Apache-2.0 */
/* ovs-ofctl flow lines (ofp_parse.h): ovs-ofctl(8) "Flow Syntax" and
 * ovs-fields(7) for the match words. */
#include "ofp_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/dp_fmt.h"

#define QUOTE_MAX 64
#define VALUE_MAX 128           /* longest value text of a match word */

/* One word of the line: "key" or "key=value". */
struct word {
    const char *key, *value;
    size_t key_len, value_len;
    bool has_value;
};

/* Key words other than match fields, each allowed once. */
enum key_word {
    KW_TABLE, KW_PRIORITY, KW_COOKIE, KW_IDLE, KW_HARD, KW_OUT_PORT,
    KW_N
};

static const char *const key_words[KW_N] = {
    [KW_TABLE] = "table", [KW_PRIORITY] = "priority",
    [KW_COOKIE] = "cookie", [KW_IDLE] = "idle_timeout",
    [KW_HARD] = "hard_timeout", [KW_OUT_PORT] = "out_port",
};

struct parse_ctx {
    enum ofp_parse_mode mode;
    ofp_port_resolve_fn *resolve;
    void *aux;
    struct ofp_flow_mod *fm;
    char *err;
    size_t err_size;
    unsigned kw_seen;               /* bit per enum key_word */
    struct flow_wc given;           /* bits set by field words */
    struct word field_word[OFPF_N_FIELDS];  /* for prerequisite checks */
    bool field_given[OFPF_N_FIELDS];
};

static int RSW_PRINTF(2, 3)
fail(struct parse_ctx *ctx, const char *fmt, ...)
{
    va_list args;
    int e;

    va_start(args, fmt);
    e = ofp_error_vformat(ctx->err, ctx->err_size, fmt, args);
    va_end(args);
    return e;
}

static int
qlen(size_t len)
{
    return len > QUOTE_MAX ? QUOTE_MAX : (int) len;
}

static bool
is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
word_is(const struct word *w, const char *name)
{
    return strlen(name) == w->key_len && !memcmp(w->key, name, w->key_len);
}

/* Reads the next word at *pp; false at the end of the text. */
static bool
next_word(const char **pp, struct word *w)
{
    const char *p = *pp;

    while (is_sep(*p)) {
        p++;
    }
    if (!*p) {
        return false;
    }
    memset(w, 0, sizeof *w);
    w->key = p;
    while (*p && *p != '=' && !is_sep(*p)) {
        p++;
    }
    w->key_len = (size_t) (p - w->key);
    if (*p == '=') {
        w->has_value = true;
        w->value = ++p;
        while (*p && !is_sep(*p)) {
            p++;
        }
        w->value_len = (size_t) (p - w->value);
    }
    *pp = p;
    return true;
}

static bool
parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    char tmp[24], *end;
    unsigned long long v;

    if (!len || len >= sizeof tmp || s[0] < '0' || s[0] > '9') {
        return false;
    }
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    errno = 0;
    v = strtoull(tmp, &end, 0);
    if (errno || *end || v > max) {
        return false;
    }
    *out = v;
    return true;
}

/* A port: number, reserved name, or (with a resolver) a port name. */
static int
parse_port(struct parse_ctx *ctx, const struct word *w, uint32_t *port)
{
    char name[VALUE_MAX];

    if (ofp_field_port_from_text(w->value, w->value_len, port)) {
        return 0;
    }
    if (!ctx->resolve || w->value_len >= sizeof name) {
        return fail(ctx, "%.*s: \"%.*s\" is not a port number",
                    qlen(w->key_len), w->key, qlen(w->value_len), w->value);
    }
    memcpy(name, w->value, w->value_len);
    name[w->value_len] = '\0';
    if (ctx->resolve(ctx->aux, name, port) || *port > 0xffff) {
        return fail(ctx, "%.*s: no port named \"%s\"", qlen(w->key_len),
                    w->key, name);
    }
    return 0;
}

/* ---- table=, priority=, cookie=, timeouts, out_port= ------------------ */

static int
parse_cookie(struct parse_ctx *ctx, const struct word *w)
{
    const char *slash = memchr(w->value, '/', w->value_len);
    size_t vlen = slash ? (size_t) (slash - w->value) : w->value_len;
    uint64_t cookie, mask = UINT64_MAX;

    /* ovs-ofctl(8): a mask of -1 means "exactly this cookie". */
    bool minus_one = slash && w->value_len - vlen - 1 == 2
                     && !memcmp(slash + 1, "-1", 2);

    if (!parse_u64(w->value, vlen, UINT64_MAX, &cookie)
        || (slash && !minus_one
            && !parse_u64(slash + 1, w->value_len - vlen - 1, UINT64_MAX,
                          &mask))) {
        return fail(ctx, "cookie: \"%.*s\" is not a 64-bit number "
                    "[/mask]", qlen(w->value_len), w->value);
    }
    if (slash && ctx->mode == OFP_PARSE_ADD) {
        return fail(ctx, "cookie: \"%.*s\": flow additions cannot use a "
                    "cookie mask", qlen(w->value_len), w->value);
    }
    /* ovs-ofctl(8): without a mask the cookie is a value to set (add,
     * mod-flows); with one it selects flows (mod-flows, del-flows,
     * dump-flows).  mod-flows may give both. */
    if (!slash && ctx->mode == OFP_PARSE_MATCH) {
        return fail(ctx, "cookie: \"%.*s\" without a mask sets a cookie, "
                    "which del-flows and dump-flows cannot; to select "
                    "flows by cookie write cookie=%.*s/-1",
                    qlen(w->value_len), w->value, qlen(w->value_len),
                    w->value);
    }
    if (!slash && ctx->mode == OFP_PARSE_MODIFY) {
        if (ctx->fm->modify_cookie) {
            return fail(ctx, "cookie: a new cookie given twice");
        }
        ctx->fm->new_cookie = cookie;
        ctx->fm->modify_cookie = true;
        return 0;
    }
    if (ctx->fm->has_cookie) {
        return fail(ctx, "cookie: given twice");
    }
    ctx->fm->cookie = cookie & mask;
    ctx->fm->cookie_mask = mask;
    ctx->fm->has_cookie = true;
    return 0;
}

static int
parse_number_kw(struct parse_ctx *ctx, const struct word *w, enum key_word kw)
{
    uint64_t max = kw == KW_TABLE ? (ctx->mode != OFP_PARSE_ADD
                                     ? OFP_TABLE_ALL : OFP_N_TABLES - 1)
                                  : 65535;
    uint64_t x;

    if (!parse_u64(w->value, w->value_len, max, &x)) {
        return fail(ctx, "%s: \"%.*s\" is not a number 0..%llu",
                    key_words[kw], qlen(w->value_len), w->value,
                    (unsigned long long) max);
    }
    switch (kw) {
    case KW_TABLE:
        ctx->fm->table_id = (uint8_t) x;
        break;
    case KW_PRIORITY:
        ctx->fm->priority = (uint16_t) x;
        ctx->fm->has_priority = true;
        break;
    case KW_IDLE:
        ctx->fm->idle_timeout = (uint16_t) x;
        break;
    default:
        ctx->fm->hard_timeout = (uint16_t) x;
        break;
    }
    return 0;
}

static int
parse_key_word(struct parse_ctx *ctx, const struct word *w, enum key_word kw)
{
    /* cookie= may come twice in mod-flows (parse_cookie checks). */
    if ((ctx->kw_seen & (1u << kw)) && kw != KW_COOKIE) {
        return fail(ctx, "%s: given twice", key_words[kw]);
    }
    ctx->kw_seen |= 1u << kw;
    if (!w->has_value || !w->value_len) {
        return fail(ctx, "%s: needs a value (%s=...)", key_words[kw],
                    key_words[kw]);
    }
    if ((kw == KW_IDLE || kw == KW_HARD) && ctx->mode == OFP_PARSE_MATCH) {
        return fail(ctx, "%s: not allowed when matching flows "
                    "(del-flows, dump-flows)", key_words[kw]);
    }
    if (kw == KW_OUT_PORT && ctx->mode != OFP_PARSE_MATCH) {
        return fail(ctx, "out_port: only del-flows and dump-flows take an "
                    "out_port filter");
    }
    if (kw == KW_COOKIE) {
        return parse_cookie(ctx, w);
    } else if (kw == KW_OUT_PORT) {
        return parse_port(ctx, w, &ctx->fm->out_port);
    }
    return parse_number_kw(ctx, w, kw);
}

/* ---- Match words ------------------------------------------------------- */

struct shorthand {
    const char *name;
    uint16_t dl_type;
    int nw_proto;               /* -1: none */
};

/* ovs-fields(7), "Protocol shorthands". */
static const struct shorthand shorthands[] = {
    { "eth", 0, -1 }, { "ip", 0x0800, -1 }, { "ipv6", 0x86dd, -1 },
    { "icmp", 0x0800, 1 }, { "icmp6", 0x86dd, 58 }, { "tcp", 0x0800, 6 },
    { "tcp6", 0x86dd, 6 }, { "udp", 0x0800, 17 }, { "udp6", 0x86dd, 17 },
    { "sctp", 0x0800, 132 }, { "sctp6", 0x86dd, 132 },
    { "igmp", 0x0800, 2 }, { "arp", 0x0806, -1 }, { "rarp", 0x8035, -1 },
};

/* Sets an exact value that a shorthand implies, refusing a contradiction
 * with what an earlier word said. */
static int
imply_exact(struct parse_ctx *ctx, const struct word *w, enum ofp_field_id id,
            uint64_t x)
{
    const struct ofp_field *f = ofp_field_by_id(id);
    struct ofp_match *m = &ctx->fm->match;
    union ofp_value v, cur;

    ofp_field_get(f, &m->flow, &cur);
    if (!ofp_field_is_wild(f, &m->wc) && ofp_value_to_u64(&cur) != x) {
        return fail(ctx, "\"%.*s\" contradicts an earlier %s",
                    qlen(w->key_len), w->key, f->name);
    }
    ofp_value_from_u64(&v, x);
    ofp_match_set(m, f, &v, NULL);
    return 0;
}

static int
parse_shorthand(struct parse_ctx *ctx, const struct word *w,
                const struct shorthand *sh)
{
    int error = 0;

    if (w->has_value) {
        return fail(ctx, "%.*s: a protocol shorthand takes no value",
                    qlen(w->key_len), w->key);
    }
    if (sh->dl_type) {
        error = imply_exact(ctx, w, OFPF_DL_TYPE, sh->dl_type);
    }
    if (!error && sh->nw_proto >= 0) {
        error = imply_exact(ctx, w, OFPF_NW_PROTO, (uint64_t) sh->nw_proto);
    }
    return error;
}

/* ORs 'value'/'mask' into the field, keeping bits it does not cover. */
static void
match_merge(struct ofp_match *m, enum ofp_field_id id, uint64_t value,
            uint64_t mask)
{
    const struct ofp_field *f = ofp_field_by_id(id);
    union ofp_value v, vm;

    ofp_field_get(f, &m->flow, &v);
    ofp_field_get(f, &m->wc.masks, &vm);
    ofp_value_from_u64(&v, (ofp_value_to_u64(&v) & ~mask) | (value & mask));
    ofp_value_from_u64(&vm, ofp_value_to_u64(&vm) | mask);
    ofp_match_set(m, f, &v, &vm);
}

/* Refuses a word whose bits an earlier word matched already ("nw_src=..,
 * nw_src=..", "nw_tos=..,ip_dscp=..", "dl_vlan=..,vlan_tci=.."). */
static int
claim_bits(struct parse_ctx *ctx, const struct word *w, enum ofp_field_id id)
{
    struct flow_wc bits;
    const flow_u64 *a, *b;

    memset(&bits, 0, sizeof bits);
    ofp_field_unwildcard(ofp_field_by_id(id), &bits, NULL);
    a = flow_u64s(&bits.masks);
    b = flow_u64s(&ctx->given.masks);
    for (size_t i = 0; i < FLOW_U64S; i++) {
        if (a[i] & b[i]) {
            return fail(ctx, "%.*s: this field is already matched by an "
                        "earlier word", qlen(w->key_len), w->key);
        }
    }
    ofp_field_unwildcard(ofp_field_by_id(id), &ctx->given, NULL);
    return 0;
}

/* OpenFlow 1.0 dl_vlan / dl_vlan_pcp: a tag with this VID / PCP, and
 * dl_vlan=0xffff: no tag (ovs-fields(7), "VLAN fields"). */
static int
parse_vlan_word(struct parse_ctx *ctx, const struct word *w, bool pcp)
{
    struct ofp_match *m = &ctx->fm->match;
    uint64_t x;
    int error;

    if (!parse_u64(w->value, w->value_len, pcp ? 7 : 0xffff, &x)
        || (!pcp && x > 4095 && x != 0xffff)) {
        return fail(ctx, "%.*s: \"%.*s\" is not %s", qlen(w->key_len),
                    w->key, qlen(w->value_len), w->value,
                    pcp ? "a priority 0..7" : "a VLAN ID 0..4095 (or 0xffff "
                    "for untagged)");
    }
    if (!pcp && x == 0xffff) {
        error = claim_bits(ctx, w, OFPF_VLAN_TCI);
        if (!error) {
            match_merge(m, OFPF_VLAN_TCI, 0, 0xffff);
        }
        return error;
    }
    error = claim_bits(ctx, w, pcp ? OFPF_DL_VLAN_PCP : OFPF_DL_VLAN);
    if (!error) {
        match_merge(m, OFPF_VLAN_TCI, OFP_VLAN_CFI | (pcp ? x << 13 : x),
                    OFP_VLAN_CFI | (pcp ? 0xe000u : 0x0fffu));
    }
    return error;
}

/* Whether an explicit field word agrees with a shorthand's implied value:
 * "tcp,nw_proto=6" is fine, "tcp,nw_proto=17" is not. */
static int
check_implied(struct parse_ctx *ctx, const struct word *w,
              const struct ofp_field *f, const union ofp_value *v,
              const union ofp_value *mask)
{
    struct ofp_match *m = &ctx->fm->match;
    union ofp_value cur, cur_mask;

    if (ofp_field_is_wild(f, &m->wc)) {
        return 0;
    }
    ofp_field_get(f, &m->flow, &cur);
    ofp_field_get(f, &m->wc.masks, &cur_mask);
    if (memcmp(&cur, v, sizeof cur) || memcmp(&cur_mask, mask, sizeof cur)) {
        return fail(ctx, "%.*s=%.*s contradicts an earlier protocol word",
                    qlen(w->key_len), w->key, qlen(w->value_len), w->value);
    }
    return 0;
}

static int
parse_field_value(struct parse_ctx *ctx, const struct word *w,
                  const struct ofp_field *f, union ofp_value *v,
                  union ofp_value *mask)
{
    char text[VALUE_MAX];
    uint32_t port;
    int error;

    if (w->value_len >= sizeof text) {
        return fail(ctx, "%.*s: value \"%.*s...\" too long (%zu characters, "
                    "at most %d)", qlen(w->key_len), w->key, 16, w->value,
                    w->value_len, VALUE_MAX - 1);
    }
    if (f->format == OFPFMT_OFPORT) {
        error = parse_port(ctx, w, &port);
        ofp_value_from_u64(v, port);
        ofp_value_all_ones(f, mask);
        return error;
    }
    memcpy(text, w->value, w->value_len);
    text[w->value_len] = '\0';
    error = ofp_field_parse(f, text, v, mask, ctx->err, ctx->err_size);
    if (error) {
        return error;
    }
    for (unsigned i = 0; i < sizeof v->u8; i++) {
        v->u8[i] &= mask->u8[i];
    }
    return 0;
}

/* OXM vlan_vid (ovs-fields(7)): a tagged packet's value always has
 * OFPVID_PRESENT (0x1000), an untagged one's is 0.  "vlan_vid=5" matches
 * neither, so it is refused as the mistake it is, with the spelling that
 * matches VID 5. */
static int
check_vlan_vid(struct parse_ctx *ctx, const struct word *w,
               const union ofp_value *v, const union ofp_value *mask)
{
    uint64_t x = ofp_value_to_u64(v), m = ofp_value_to_u64(mask);

    if (!(m & OFP_VLAN_CFI) || (x & OFP_VLAN_CFI) || !x) {
        return 0;
    }
    return fail(ctx, "%.*s=%.*s matches no packet: a tagged packet's "
                "vlan_vid has the OFPVID_PRESENT bit 0x1000 (vlan_vid=%llu "
                "or dl_vlan=%llu for VID %llu; vlan_vid=0 for no tag)",
                qlen(w->key_len), w->key, qlen(w->value_len), w->value,
                (unsigned long long) (x | OFP_VLAN_CFI),
                (unsigned long long) (x & 0xfff),
                (unsigned long long) (x & 0xfff));
}

static int
parse_field_word(struct parse_ctx *ctx, const struct word *w,
                 const struct ofp_field *f)
{
    union ofp_value v, mask;
    int error;

    if (!w->has_value || !w->value_len) {
        return fail(ctx, "%.*s: needs a value (%.*s=...)", qlen(w->key_len),
                    w->key, qlen(w->key_len), w->key);
    }
    if (f->id == OFPF_DL_VLAN || f->id == OFPF_DL_VLAN_PCP) {
        return parse_vlan_word(ctx, w, f->id == OFPF_DL_VLAN_PCP);
    }
    error = parse_field_value(ctx, w, f, &v, &mask);
    if (!error && f->id == OFPF_VLAN_VID) {
        error = check_vlan_vid(ctx, w, &v, &mask);
    }
    if (!error) {
        error = claim_bits(ctx, w, f->id);
    }
    if (!error) {
        error = check_implied(ctx, w, f, &v, &mask);
    }
    if (!error) {
        ofp_match_set(&ctx->fm->match, f, &v, &mask);
        ctx->field_given[f->id] = true;
        ctx->field_word[f->id] = *w;
    }
    return error;
}

/* A field name as a match word: the ovs-ofctl or OXM name, not the
 * NXM_* spellings of load/move.  OXM vlan_vid is its own 13-bit field
 * (vlan_vid=0: no tag; 0x1000/0x1000: any tag; 0x1005: VID 5), and
 * vlan_pcp means dl_vlan_pcp (a tag with that PCP), as in ovs-fields(7). */
static const struct ofp_field *
match_field(const struct word *w)
{
    if (w->key_len >= 4 && (!memcmp(w->key, "NXM_", 4)
                            || !memcmp(w->key, "OXM_", 4))) {
        return NULL;
    }
    if (memchr(w->key, '[', w->key_len)) {
        return NULL;
    }
    return ofp_field_by_name_len(w->key, w->key_len);
}

static int
parse_match_word(struct parse_ctx *ctx, const struct word *w)
{
    const struct ofp_field *f;

    for (size_t i = 0; i < RSW_ARRAY_SIZE(shorthands); i++) {
        if (word_is(w, shorthands[i].name)) {
            return parse_shorthand(ctx, w, &shorthands[i]);
        }
    }
    for (int kw = 0; kw < KW_N; kw++) {
        if (word_is(w, key_words[kw])) {
            return parse_key_word(ctx, w, (enum key_word) kw);
        }
    }
    f = match_field(w);
    if (!f) {
        return fail(ctx, "unknown word \"%.*s\"", qlen(w->key_len), w->key);
    }
    return parse_field_word(ctx, w, f);
}

/* ---- Prerequisites ------------------------------------------------------ */

static const char *
prereq_text(enum ofp_prereq pre)
{
    switch (pre) {
    case OFPP_NONE: return "nothing";
    case OFPP_VLAN: return "a VLAN tag (dl_vlan=VID or "
                           "vlan_tci=0x1000/0x1000)";
    case OFPP_IP_ANY: return "ip or ipv6";
    case OFPP_IPV4: return "ip";
    case OFPP_IPV6: return "ipv6";
    case OFPP_ARP: return "arp";
    case OFPP_IPV4_ARP: return "ip or arp";
    case OFPP_TCP_UDP_SCTP: return "tcp, udp or sctp (or tcp6, udp6, sctp6)";
    case OFPP_TCP: return "tcp or tcp6";
    case OFPP_ICMPV4: return "icmp";
    case OFPP_ICMPV6: return "icmp6";
    case OFPP_ND: return "icmp6 with icmp_type=135 or 136";
    case OFPP_ND_NS: return "icmp6,icmp_type=135";
    case OFPP_ND_NA: return "icmp6,icmp_type=136";
    }
    return "?";
}

/* OpenFlow 1.3 §7.2.3.6: checked once the whole line is read, so that
 * "tp_dst=80,tcp" is as good as "tcp,tp_dst=80". */
static int
check_prereqs(struct parse_ctx *ctx)
{
    const struct ofp_match *m = &ctx->fm->match;

    for (int id = 0; id < OFPF_N_FIELDS; id++) {
        const struct ofp_field *f = ofp_field_by_id((enum ofp_field_id) id);
        const struct word *w = &ctx->field_word[id];

        if (!ctx->field_given[id]
            || ofp_field_prereqs_ok(f, &m->flow, &m->wc)) {
            continue;
        }
        /* ovs-ofctl reads icmp_type/icmp_code as ICMPv6's under icmp6. */
        if ((id == OFPF_ICMP_TYPE || id == OFPF_ICMP_CODE)
            && ofp_field_prereqs_ok(ofp_field_by_id(id + 2), &m->flow,
                                    &m->wc)) {
            continue;
        }
        return fail(ctx, "%.*s: needs %s in the same flow",
                    qlen(w->key_len), w->key, prereq_text(f->prereq));
    }
    return 0;
}

/* ---- The line ----------------------------------------------------------- */

static void
flow_mod_init(struct ofp_flow_mod *fm, enum ofp_parse_mode mode)
{
    memset(fm, 0, sizeof *fm);
    /* ovs-ofctl: mod-flows, del-flows and dump-flows without table= apply
     * to every table; add-flow adds to table 0. */
    fm->table_id = mode == OFP_PARSE_ADD ? 0 : OFP_TABLE_ALL;
    fm->modify_mode = mode == OFP_PARSE_MODIFY;
    fm->priority = OFP_DEFAULT_PRIORITY;
    fm->cookie_mask = UINT64_MAX;
    fm->out_port = OFPP_ANY;
    fm->match_only = mode == OFP_PARSE_MATCH;
    ofp_match_init_catchall(&fm->match);
}

static int
parse_actions(struct parse_ctx *ctx, const char *text)
{
    struct ofp_flow_mod *fm = ctx->fm;
    int error;

    if (ctx->mode == OFP_PARSE_MATCH) {
        return fail(ctx, "actions: not allowed when matching flows "
                    "(del-flows, dump-flows)");
    }
    error = ofp_actions_parse(text, ctx->resolve, ctx->aux, fm->actions,
                              OFP_ACTIONS_MAX, &fm->n_actions, ctx->err,
                              ctx->err_size);
    /* For every table (mod-flows without table=), ofproto checks the
     * actions against each selected rule's own table. */
    if (!error && fm->table_id != OFP_TABLE_ALL) {
        error = ofp_actions_check(fm->actions, fm->n_actions, fm->table_id,
                                  ctx->err, ctx->err_size);
    }
    return error;
}

int
ofp_flow_mod_parse(const char *text, enum ofp_parse_mode mode,
                   ofp_port_resolve_fn *resolve, void *aux,
                   struct ofp_flow_mod *fm, char *err, size_t err_size)
{
    struct parse_ctx ctx_ = { .mode = mode, .resolve = resolve, .aux = aux,
                              .fm = fm, .err = err, .err_size = err_size };
    struct parse_ctx *ctx = &ctx_;
    const char *p = text;
    bool has_actions = false;
    struct word w;
    int error = 0;

    flow_mod_init(fm, mode);
    while (!error && next_word(&p, &w)) {
        if (word_is(&w, "actions") && w.has_value) {
            /* ovs-ofctl(8): actions= is last; the rest is its text. */
            error = check_prereqs(ctx);
            error = error ? error : parse_actions(ctx, w.value);
            has_actions = true;
            break;
        }
        error = parse_match_word(ctx, &w);
    }
    if (!error && !has_actions) {
        error = check_prereqs(ctx);
        if (!error && mode != OFP_PARSE_MATCH) {
            error = fail(ctx, "missing actions= (the flow's last word, e.g. "
                         "\"actions=drop\")");
        }
    }
    return error;
}

/* ---- Files -------------------------------------------------------------- */

static bool
line_is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '#') {
            return true;
        }
        if (!is_sep(s[i]) || s[i] == ',') {
            return false;
        }
    }
    return true;
}

static int
parse_one_line(const char *s, size_t len, unsigned line_no,
               enum ofp_parse_mode mode, ofp_port_resolve_fn *resolve,
               void *resolve_aux, struct ofp_flow_mod *fm, char *err,
               size_t err_size)
{
    char *line = malloc(len + 1);
    char reason[256];
    int error;

    if (!line) {
        return -ENOMEM;
    }
    memcpy(line, s, len);
    line[len] = '\0';
    reason[0] = '\0';
    error = ofp_flow_mod_parse(line, mode, resolve, resolve_aux, fm, reason,
                               sizeof reason);
    if (error && err_size) {
        snprintf(err, err_size, "line %u: %s", line_no, reason);
    }
    free(line);
    return error;
}

int
ofp_flow_mods_parse_text(const char *text, enum ofp_parse_mode mode,
                         ofp_port_resolve_fn *resolve, void *resolve_aux,
                         ofp_flow_mod_cb *cb, void *cb_aux,
                         char *err, size_t err_size)
{
    struct ofp_flow_mod *fm = malloc(sizeof *fm);
    unsigned line_no = 0;
    int error = 0;

    if (!fm) {
        return -ENOMEM;
    }
    for (const char *s = text; !error && *s;) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t) (nl - s) : strlen(s);

        line_no++;
        if (!line_is_blank(s, len)) {
            error = parse_one_line(s, len, line_no, mode, resolve,
                                   resolve_aux, fm, err, err_size);
            if (!error) {
                error = cb(cb_aux, fm);
                if (error && err_size) {
                    snprintf(err, err_size, "line %u: %s", line_no,
                             strerror(-error));
                }
            }
        }
        s += len + (nl != NULL);
    }
    free(fm);
    return error;
}

/* ---- Formatting ------------------------------------------------------- */

char *
ofp_flow_mod_format(const struct ofp_flow_mod *fm, char *buf, size_t size)
{
    struct dp_fmt o = dp_fmt_init(buf, size);
    char match[OFP_MATCH_FORMAT_SIZE];
    const char *port = ofp_field_port_name(fm->out_port);

    if (fm->match_only || fm->modify_mode ? fm->table_id != OFP_TABLE_ALL
                                          : fm->table_id != 0) {
        dp_fmt_put(&o, "table=%u,", fm->table_id);
    }
    if (fm->has_priority) {
        dp_fmt_put(&o, "priority=%u,", fm->priority);
    }
    if (fm->has_cookie) {
        /* Outside add a cookie is a filter: always with its mask. */
        dp_fmt_put(&o, "cookie=0x%llx", (unsigned long long) fm->cookie);
        if (fm->cookie_mask == UINT64_MAX && (fm->match_only
                                              || fm->modify_mode)) {
            dp_fmt_put(&o, "/-1");
        } else if (fm->cookie_mask != UINT64_MAX) {
            dp_fmt_put(&o, "/0x%llx", (unsigned long long) fm->cookie_mask);
        }
        dp_fmt_put(&o, ",");
    }
    if (fm->modify_cookie) {
        dp_fmt_put(&o, "cookie=0x%llx,", (unsigned long long) fm->new_cookie);
    }
    if (fm->idle_timeout) {
        dp_fmt_put(&o, "idle_timeout=%u,", fm->idle_timeout);
    }
    if (fm->hard_timeout) {
        dp_fmt_put(&o, "hard_timeout=%u,", fm->hard_timeout);
    }
    if (fm->out_port != OFPP_ANY) {
        if (port) {
            dp_fmt_put(&o, "out_port=%s,", port);
        } else {
            dp_fmt_put(&o, "out_port=%u,", (unsigned) fm->out_port);
        }
    }
    ofp_match_format(&fm->match, match, sizeof match);
    dp_fmt_put(&o, "%s%s", match, match[0] ? "," : "");
    if (!fm->match_only) {
        char *actions = malloc(OFP_ACTIONS_FORMAT_SIZE);
        if (actions) {
            ofp_actions_format(fm->actions, fm->n_actions, actions,
                               OFP_ACTIONS_FORMAT_SIZE);
            dp_fmt_put(&o, "actions=%s", actions);
            free(actions);
        }
    } else if (o.len && o.len < size && buf[o.len - 1] == ',') {
        buf[o.len - 1] = '\0';
    }
    return buf;
}

bool
ofp_flow_mod_equal(const struct ofp_flow_mod *a, const struct ofp_flow_mod *b)
{
    return a->table_id == b->table_id && a->priority == b->priority
           && a->has_priority == b->has_priority && a->cookie == b->cookie
           && a->cookie_mask == b->cookie_mask
           && a->has_cookie == b->has_cookie
           && a->modify_cookie == b->modify_cookie
           && a->new_cookie == b->new_cookie
           && a->idle_timeout == b->idle_timeout
           && a->hard_timeout == b->hard_timeout
           && a->out_port == b->out_port && a->match_only == b->match_only
           && !memcmp(&a->match, &b->match, sizeof a->match)
           && ofp_actions_equal(a->actions, a->n_actions,
                                b->actions, b->n_actions);
}
