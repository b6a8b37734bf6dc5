/* SPDX-License-Identifier: Apache-2.0 */
/* OpenFlow actions: ovs-ofctl text <-> 'struct ofp_action' lists
 * (ofp_actions.h).  Syntax and meaning follow ovs-actions(7) and
 * ovs-ofctl(8) "Flow Syntax"; field values go through ofp_field.h so a
 * field's text is the same in a match, a set_field and a load. */
#include "ofp_actions.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "datapath/dp_fmt.h"
#include "datapath/dp_parse.h"

/* ---- Errors and text output ------------------------------------------- */

struct act_parse {
    ofp_port_resolve_fn *resolve;
    void *aux;
    char *err;
    size_t err_size;
};

static int RSW_PRINTF(2, 3)
act_error(struct act_parse *ap, const char *fmt, ...)
{
    va_list ap_list;
    int e;

    va_start(ap_list, fmt);
    e = ofp_error_vformat(ap->err, ap->err ? ap->err_size : 0, fmt, ap_list);
    va_end(ap_list);
    return e;
}

/* ---- Values ----------------------------------------------------------- */

/* The low 'n_bits' bits set. */
static void
value_ones(union ofp_value *v, unsigned n_bits)
{
    memset(v, 0, sizeof *v);
    for (unsigned i = 0; i < 16 && n_bits; i++) {
        unsigned b = n_bits < 8 ? n_bits : 8;
        v->u8[15 - i] = (uint8_t) ((1u << b) - 1);
        n_bits -= b;
    }
}

/* Bits needed to hold 'v' (0 for zero). */
static unsigned
value_width(const union ofp_value *v)
{
    for (unsigned i = 0; i < 16; i++) {
        if (v->u8[i]) {
            unsigned w = (15 - i) * 8;
            for (uint8_t b = v->u8[i]; b; b >>= 1) {
                w++;
            }
            return w;
        }
    }
    return 0;
}

/* a == b in every bit of 'mask'. */
static bool
value_equal_under(const union ofp_value *a, const union ofp_value *b,
                  const union ofp_value *mask)
{
    for (unsigned i = 0; i < 16; i++) {
        if ((a->u8[i] ^ b->u8[i]) & mask->u8[i]) {
            return false;
        }
    }
    return true;
}

static int
hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Hex digits [s, s+len), at most 128 bits of them, right-aligned. */
static bool
parse_hex128(const char *s, size_t len, union ofp_value *v)
{
    size_t nib = 0;

    while (len > 1 && *s == '0') {
        s++;                                    /* leading zeros */
        len--;
    }
    if (!len || len > 32) {
        return false;
    }
    for (size_t k = len; k > 0; k--, nib++) {
        int d = hex_digit(s[k - 1]);
        if (d < 0) {
            return false;
        }
        v->u8[15 - nib / 2] |= (uint8_t) (d << (4 * (nib % 2)));
    }
    return true;
}

/* Decimal (up to 2^64-1) or 0x-hex (up to 128 bits), starting with a
 * digit, the whole of [s, s+len). */
static bool
parse_value128(const char *s, size_t len, union ofp_value *v)
{
    uint64_t x = 0;

    memset(v, 0, sizeof *v);
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        return parse_hex128(s + 2, len - 2, v);
    }
    if (!len) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned) (s[i] - '0');
        if (d > 9 || x > (UINT64_MAX - d) / 10) {
            return false;
        }
        x = x * 10 + d;
    }
    ofp_value_from_u64(v, x);
    return true;
}

/* True if 'v' has no bit outside the field's (nw_tos: the ECN bits). */
static bool
value_within(const struct ofp_field *f, const union ofp_value *v)
{
    union ofp_value ones;

    ofp_value_all_ones(f, &ones);
    for (unsigned i = 0; i < 16; i++) {
        if (v->u8[i] & ~ones.u8[i]) {
            return false;
        }
    }
    return true;
}

/* ofp_field_parse() drops nw_tos's ECN bits, as a match in ovs-ofctl does;
 * ovs-ofctl's set_field refuses them ("not a valid value"), so the number
 * as written is checked too. */
static bool
number_within(const struct ofp_field *f, const char *s, size_t len)
{
    union ofp_value v;

    return !parse_value128(s, len, &v) || value_within(f, &v);
}

/* mask &= the field's bits, value &= mask: one representation per meaning,
 * so equal actions compare and print equal. */
static void
value_canonicalize(const struct ofp_field *f, union ofp_value *value,
                   union ofp_value *mask)
{
    union ofp_value ones;

    ofp_value_all_ones(f, &ones);
    for (unsigned i = 0; i < 16; i++) {
        mask->u8[i] &= ones.u8[i];
        value->u8[i] &= mask->u8[i];
    }
}

static void
fmt_value_hex(struct dp_fmt *f, const union ofp_value *v)
{
    unsigned i = 0;

    while (i < 15 && !v->u8[i]) {
        i++;
    }
    dp_fmt_put(f, "0x%x", v->u8[i]);
    for (i++; i < 16; i++) {
        dp_fmt_put(f, "%02x", v->u8[i]);
    }
}

static bool
parse_u64(const char *s, size_t len, uint64_t *x)
{
    union ofp_value v;

    if (!parse_value128(s, len, &v) || value_width(&v) > 64) {
        return false;
    }
    *x = 0;
    for (unsigned i = 8; i < 16; i++) {
        *x = *x << 8 | v.u8[i];
    }
    return true;
}

/* ---- Ports ------------------------------------------------------------ */

static void
fmt_port(struct dp_fmt *f, uint32_t port)
{
    const char *name = port < OFPP_MAX ? NULL : ofp_field_port_name(port);

    if (name) {
        dp_fmt_put(f, "%s", name);
    } else {
        dp_fmt_put(f, "%" PRIu32, port);
    }
}

/* Output ports: physical, or these reserved ones. */
static bool
output_port_ok(uint32_t port)
{
    return (port >= 1 && port < OFPP_MAX) || port == OFPP_IN_PORT
           || port == OFPP_NORMAL || port == OFPP_FLOOD || port == OFPP_ALL
           || port == OFPP_LOCAL;
}

/* Resubmit replaces in_port: a port a packet can come in on. */
static bool
resubmit_port_ok(uint32_t port)
{
    return (port >= 1 && port < OFPP_MAX) || port == OFPP_IN_PORT
           || port == OFPP_LOCAL;
}

/* A port from text: number 1..65279, reserved name (ofp_field.h), or
 * (with a resolver) a port name.  't' is the whole action, for messages. */
static int
parse_port(struct act_parse *ap, const char *t, size_t t_len, const char *s,
           size_t len, bool (*allowed)(uint32_t), uint32_t *port)
{
    bool number = len && s[0] >= '0' && s[0] <= '9';
    char name[64];
    uint32_t v = 0;
    bool known = ofp_field_port_from_text(s, len, &v);

    if (number && (!known || !v || v >= OFPP_MAX)) {
        return act_error(ap, "'%.*s': port %.*s is not 1..%u (reserved "
                         "ports go by name)", (int) t_len, t, (int) len, s,
                         OFPP_MAX - 1);
    }
    if (known) {
        if (v == OFPP_CONTROLLER) {
            return act_error(ap, "'%.*s': there is no controller",
                             (int) t_len, t);
        }
        if (!allowed(v)) {
            return act_error(ap, "'%.*s': port %.*s is not allowed here",
                             (int) t_len, t, (int) len, s);
        }
        *port = v;
        return 0;
    }
    if (!number && len && len < sizeof name && ap->resolve) {
        memcpy(name, s, len);
        name[len] = '\0';
        if (!ap->resolve(ap->aux, name, &v) && allowed(v)) {
            *port = v;
            return 0;
        }
    }
    return act_error(ap, "'%.*s': unknown port '%.*s'", (int) t_len, t,
                     (int) len, s);
}

/* ---- Subfields -------------------------------------------------------- */

static const char *
subfield_name(const struct ofp_field *f)
{
    const char *nxm = ofp_field_nxm_name(f);

    return nxm ? nxm : f->name;
}

/* ovs-ofctl prints FIELD[] for the whole field, FIELD[N] for one bit. */
static void
fmt_subfield(struct dp_fmt *f, const struct ofp_subfield *sf)
{
    dp_fmt_put(f, "%s", subfield_name(sf->field));
    if (sf->ofs == 0 && sf->n_bits == sf->field->n_bits) {
        dp_fmt_put(f, "[]");
    } else if (sf->n_bits == 1) {
        dp_fmt_put(f, "[%u]", sf->ofs);
    } else {
        dp_fmt_put(f, "[%u..%u]", sf->ofs, sf->ofs + sf->n_bits - 1);
    }
}

static bool
subfield_ok(const struct ofp_subfield *sf)
{
    return sf->field && sf->n_bits
           && (unsigned) sf->ofs + sf->n_bits <= sf->field->n_bits;
}

/* "[]", "[N]" or "[A..B]" (the brackets included) into bits [*a, *b]. */
static bool
parse_bit_range(const char *s, size_t len, uint32_t *a, uint32_t *b)
{
    const char *dots;

    if (len < 2 || s[0] != '[' || s[len - 1] != ']') {
        return false;
    }
    s++;
    len -= 2;
    if (!len) {
        return true;                             /* whole field */
    }
    dots = memmem(s, len, "..", 2);
    if (!dots) {
        if (!dp_parse_uint(s, len, 0xffff, a)) {
            return false;
        }
        *b = *a;                                 /* one bit */
        return true;
    }
    return dp_parse_uint(s, (size_t) (dots - s), 0xffff, a)
           && dp_parse_uint(dots + 2, len - (size_t) (dots + 2 - s), 0xffff,
                            b);
}

/* FIELD, FIELD[], FIELD[N], FIELD[A..B] (ovs-actions(7), "Fields and
 * subfields").  'write': the action writes it. */
static int
parse_subfield(struct act_parse *ap, const char *t, size_t t_len,
               const char *s, size_t len, bool write, struct ofp_subfield *sf)
{
    const char *br = memchr(s, '[', len);
    size_t n_len = br ? (size_t) (br - s) : len;
    const struct ofp_field *f = ofp_field_by_name_len(s, n_len);
    uint32_t a, b;

    if (!f) {
        return act_error(ap, "'%.*s': unknown field '%.*s'", (int) t_len, t,
                         (int) n_len, s);
    }
    a = 0;
    b = f->n_bits - 1u;
    if (br && !parse_bit_range(br, len - n_len, &a, &b)) {
        return act_error(ap, "'%.*s': want %s[], %s[BIT] or %s[START..END] "
                         "in '%.*s'", (int) t_len, t, f->name, f->name,
                         f->name, (int) len, s);
    }
    if (a > b || b >= f->n_bits) {
        return act_error(ap, "'%.*s': bits %" PRIu32 "..%" PRIu32 " are "
                         "outside %s (%u bits)", (int) t_len, t, a, b,
                         f->name, f->n_bits);
    }
    if (write && !f->writable) {
        return act_error(ap, "'%.*s': field %s cannot be written",
                         (int) t_len, t, f->name);
    }
    sf->field = f;
    sf->ofs = (uint16_t) a;
    sf->n_bits = (uint16_t) (b - a + 1);
    return 0;
}

/* ---- Tokens ----------------------------------------------------------- */

#define ACT_SEPARATORS ", \t\r\n"

/* One action as written: KEY, KEY:VALUE (or KEY=VALUE), KEY(VALUE). */
struct act_token {
    const char *text;           /* the whole action, quoted in messages */
    size_t len;                 /* 0: no more actions */
    size_t key_len;             /* key = text */
    const char *val;            /* NULL: none */
    size_t val_len;
    bool parens;
};

/* Length of a value: up to the next separator outside parentheses, or
 * with 'parens' up to the ')' closing the one before 's'.  SIZE_MAX when
 * the parentheses do not balance. */
static size_t
value_span(const char *s, bool parens)
{
    int depth = 0;
    size_t i;

    for (i = 0; s[i]; i++) {
        if (s[i] == '(') {
            depth++;
        } else if (s[i] == ')' && depth) {
            depth--;
        } else if (s[i] == ')') {
            return parens ? i : SIZE_MAX;
        } else if (!depth && !parens && strchr(ACT_SEPARATORS, s[i])) {
            return i;
        }
    }
    return parens || depth ? SIZE_MAX : i;
}

/* Splits off the next action at *pp as ovs-ofctl does: actions are
 * separated by commas or blanks, except inside parentheses. */
static int
next_token(struct act_parse *ap, const char **pp, struct act_token *t)
{
    const char *s = *pp + strspn(*pp, ACT_SEPARATORS);
    size_t key_len = strcspn(s, ":=(" ACT_SEPARATORS);
    char delim = s[key_len];

    memset(t, 0, sizeof *t);
    t->text = s;
    t->key_len = t->len = key_len;
    if (delim == ':' || delim == '=' || delim == '(') {
        t->parens = delim == '(';
        t->val = s + key_len + 1;
        t->val_len = value_span(t->val, t->parens);
        if (t->val_len == SIZE_MAX) {
            return act_error(ap, "'%.*s': unbalanced parentheses",
                             (int) strcspn(s, "\r\n"), s);
        }
        t->len = key_len + 1 + t->val_len + t->parens;
        if (t->parens && s[t->len] && !strchr(ACT_SEPARATORS, s[t->len])) {
            return act_error(ap, "'%.*s': want ',' after ')'",
                             (int) (t->len + strcspn(s + t->len,
                                                     ACT_SEPARATORS)), s);
        }
    }
    if (t->len && !key_len) {
        return act_error(ap, "'%.*s': missing action name", (int) t->len, s);
    }
    *pp = s + t->len;
    return 0;
}

static bool
token_is(const struct act_token *t, const char *word)
{
    return strlen(word) == t->key_len && !strncasecmp(t->text, word,
                                                      t->key_len);
}

/* KEY:VALUE or KEY=VALUE with a non-empty value. */
static bool
has_value(const struct act_token *t)
{
    return t->val && !t->parens && t->val_len;
}

/* "->" in a value (set_field, load, move). */
static const char *
find_arrow(const struct act_token *t)
{
    return has_value(t) ? memmem(t->val, t->val_len, "->", 2) : NULL;
}

/* ---- Parsing one action ----------------------------------------------- */

struct act_word;
typedef int act_parse_fn(struct act_parse *, const struct act_word *,
                         const struct act_token *, struct ofp_action *);

struct act_word {
    const char *name;
    const char *syntax;         /* quoted when the shape is wrong */
    const char *bad;            /* quoted when the value is wrong */
    enum ofp_action_type type;
    act_parse_fn *parse;
    uint32_t arg;               /* port, field id or maximum */
};

static int
want_syntax(struct act_parse *ap, const struct act_word *w,
            const struct act_token *t)
{
    return act_error(ap, "'%.*s': want %s", (int) t->len, t->text,
                     w->syntax);
}

static int
bad_value(struct act_parse *ap, const struct act_word *w,
          const struct act_token *t)
{
    return act_error(ap, "'%.*s': %s", (int) t->len, t->text, w->bad);
}

/* ACTION:N with N <= 'max': 0 with *v set, or the error for a missing
 * value (w->syntax) or a bad number (w->bad). */
static int
parse_uint_arg(struct act_parse *ap, const struct act_word *w,
               const struct act_token *t, uint32_t max, uint32_t *v)
{
    if (!has_value(t)) {
        return want_syntax(ap, w, t);
    }
    if (!dp_parse_uint(t->val, t->val_len, max, v)) {
        return bad_value(ap, w, t);
    }
    return 0;
}

/* strip_vlan, pop_vlan, dec_ttl: no argument. */
static int
parse_bare(struct act_parse *ap, const struct act_word *w,
           const struct act_token *t, struct ofp_action *a)
{
    (void) a;
    return t->val ? want_syntax(ap, w, t) : 0;
}

/* normal, flood, all, local, in_port. */
static int
parse_reserved_output(struct act_parse *ap, const struct act_word *w,
                      const struct act_token *t, struct ofp_action *a)
{
    a->port = w->arg;
    return t->val ? want_syntax(ap, w, t) : 0;
}

static int
parse_output(struct act_parse *ap, const struct act_word *w,
             const struct act_token *t, struct ofp_action *a)
{
    if (!has_value(t)) {
        return want_syntax(ap, w, t);
    }
    return parse_port(ap, t->text, t->len, t->val, t->val_len,
                      output_port_ok, &a->port);
}

static int
parse_controller(struct act_parse *ap, const struct act_word *w,
                 const struct act_token *t, struct ofp_action *a)
{
    (void) w;
    (void) a;
    return act_error(ap, "'%.*s': there is no controller (rsw-switchd "
                     "speaks no OpenFlow channel)", (int) t->len, t->text);
}

/* mod_vlan_vid:VID, mod_vlan_pcp:PCP (OpenFlow 1.0 §5.2.4). */
static int
parse_vlan_arg(struct act_parse *ap, const struct act_word *w,
               const struct act_token *t, struct ofp_action *a)
{
    uint32_t v;
    int err = parse_uint_arg(ap, w, t, w->arg, &v);

    if (err) {
        return err;
    }
    if (w->type == OFPACT_SET_VLAN_VID) {
        a->vid = (uint16_t) v;
    } else {
        a->pcp = (uint8_t) v;
    }
    return 0;
}

static int
parse_push_vlan(struct act_parse *ap, const struct act_word *w,
                const struct act_token *t, struct ofp_action *a)
{
    uint32_t v;
    int err = parse_uint_arg(ap, w, t, 0xffff, &v);

    if (err) {
        return err;
    }
    /* 802.1Q customer tag or 802.1ad service tag (OpenFlow 1.3 §5.12). */
    if (v != 0x8100 && v != 0x88a8) {
        return bad_value(ap, w, t);
    }
    a->tpid = (uint16_t) v;
    return 0;
}

static int
parse_goto_table(struct act_parse *ap, const struct act_word *w,
                 const struct act_token *t, struct ofp_action *a)
{
    uint32_t v;
    int err = parse_uint_arg(ap, w, t, OFP_TABLE_CURRENT - 1, &v);

    if (err) {
        return err;
    }
    a->table = (uint8_t) v;
    return 0;
}

static int
parse_write_metadata(struct act_parse *ap, const struct act_word *w,
                     const struct act_token *t, struct ofp_action *a)
{
    const char *slash;
    size_t v_len;

    if (!has_value(t)) {
        return want_syntax(ap, w, t);
    }
    slash = memchr(t->val, '/', t->val_len);
    v_len = slash ? (size_t) (slash - t->val) : t->val_len;
    a->metadata.mask = UINT64_MAX;
    if (!parse_u64(t->val, v_len, &a->metadata.value)
        || (slash && !parse_u64(slash + 1, t->val_len - v_len - 1,
                                &a->metadata.mask))) {
        return bad_value(ap, w, t);
    }
    a->metadata.value &= a->metadata.mask;
    return 0;
}

/* resubmit:PORT, resubmit([PORT],[TABLE]): an empty port keeps in_port,
 * an empty table stays in this one (ovs-actions(7), "resubmit"). */
static int
parse_resubmit(struct act_parse *ap, const struct act_word *w,
               const struct act_token *t, struct ofp_action *a)
{
    /* No value at all ('resubmit'): val is NULL, and NULL + 0 is UB. */
    const char *comma, *end = t->val ? t->val + t->val_len : NULL;
    uint32_t table;
    size_t p_len;
    int error;

    a->resubmit.port = OFPP_IN_PORT;
    a->resubmit.table = OFP_TABLE_CURRENT;
    if (has_value(t)) {
        return parse_port(ap, t->text, t->len, t->val, t->val_len,
                          resubmit_port_ok, &a->resubmit.port);
    }
    comma = t->parens ? memchr(t->val, ',', t->val_len) : NULL;
    if (!comma || memchr(comma + 1, ',', (size_t) (end - comma - 1))) {
        return want_syntax(ap, w, t);
    }
    p_len = (size_t) (comma - t->val);
    if (!p_len && comma + 1 == end) {
        return act_error(ap, "'%.*s': give a port, a table or both",
                         (int) t->len, t->text);
    }
    if (p_len) {
        error = parse_port(ap, t->text, t->len, t->val, p_len,
                           resubmit_port_ok, &a->resubmit.port);
        if (error) {
            return error;
        }
    }
    if (comma + 1 < end) {
        if (!dp_parse_uint(comma + 1, (size_t) (end - comma - 1),
                           OFP_TABLE_CURRENT - 1, &table)) {
            return bad_value(ap, w, t);
        }
        a->resubmit.table = (uint8_t) table;
    }
    return 0;
}

/* OpenFlow 1.3 requires OFPVID_PRESENT in a VLAN_VID set-field value
 * (spec 1.3.3, "Set-Field" action).  Without it the write would clear the
 * pipeline's CFI bit and so remove the tag, which is never what
 * "set_field:100->vlan_vid" means to its author: refused, with the
 * spelling that sets VID 100. */
static int
check_vid_present(struct act_parse *ap, const struct act_token *t,
                  const struct ofp_action *a)
{
    uint64_t value = ofp_value_to_u64(&a->set.value);
    uint64_t mask = ofp_value_to_u64(&a->set.mask);

    if (a->set.field->id != OFPF_VLAN_VID || !(mask & OFP_VLAN_CFI)
        || (value & OFP_VLAN_CFI)) {
        return 0;
    }
    return act_error(ap, "'%.*s': a vlan_vid value needs the OFPVID_PRESENT "
                     "bit 0x1000 (set_field:%llu->vlan_vid sets VID %llu; "
                     "strip_vlan removes a tag)", (int) t->len, t->text,
                     (unsigned long long) ((value & 0xfff) | OFP_VLAN_CFI),
                     (unsigned long long) (value & 0xfff));
}

/* SET_FIELD of 'f' from "VALUE[/MASK]" text, through the field table. */
static int
set_field_from_text(struct act_parse *ap, const struct act_token *t,
                    const struct ofp_field *f, const char *s, size_t len,
                    struct ofp_action *a)
{
    char text[128], msg[160];

    if (!f->writable) {
        return act_error(ap, "'%.*s': field %s cannot be written",
                         (int) t->len, t->text, f->name);
    }
    if (!len || len >= sizeof text) {
        return act_error(ap, "'%.*s': missing or overlong value",
                         (int) t->len, t->text);
    }
    memcpy(text, s, len);
    text[len] = '\0';
    msg[0] = '\0';
    if (ofp_field_parse(f, text, &a->set.value, &a->set.mask, msg,
                        sizeof msg)) {
        return act_error(ap, "'%.*s': %s", (int) t->len, t->text, msg);
    }
    if (!number_within(f, text, strcspn(text, "/"))) {
        return act_error(ap, "'%.*s': value has bits outside %s",
                         (int) t->len, t->text, f->name);
    }
    a->type = OFPACT_SET_FIELD;
    a->set.field = f;
    value_canonicalize(f, &a->set.value, &a->set.mask);
    return check_vid_present(ap, t, a);
}

/* set_field:VALUE[/MASK]->FIELD (OpenFlow 1.2 set-field). */
static int
parse_set_field(struct act_parse *ap, const struct act_word *w,
                const struct act_token *t, struct ofp_action *a)
{
    const char *arrow = find_arrow(t), *name;
    const struct ofp_field *f;
    size_t n_len;

    if (!arrow) {
        return want_syntax(ap, w, t);
    }
    name = arrow + 2;
    n_len = (size_t) (t->val + t->val_len - name);
    f = ofp_field_by_name_len(name, n_len);
    if (!f) {
        return act_error(ap, "'%.*s': unknown field '%.*s'", (int) t->len,
                         t->text, (int) n_len, name);
    }
    return set_field_from_text(ap, t, f, t->val, (size_t) (arrow - t->val),
                               a);
}

/* mod_dl_src:MAC, mod_nw_dst:IP, mod_tp_src:PORT, mod_nw_ttl:TTL...: the
 * OpenFlow 1.0 spellings of an unmasked set_field. */
static int
parse_mod_field(struct act_parse *ap, const struct act_word *w,
                const struct act_token *t, struct ofp_action *a)
{
    if (!has_value(t) || memchr(t->val, '/', t->val_len)) {
        return want_syntax(ap, w, t);
    }
    return set_field_from_text(ap, t, ofp_field_by_id(w->arg), t->val,
                               t->val_len, a);
}

/* mod_nw_tos:TOS sets the DSCP bits and keeps ECN (OpenFlow 1.0 §5.2.4:
 * "IP ToS (DSCP field, 6 bits)"), so it is set_field on ip_dscp. */
static int
parse_mod_nw_tos(struct act_parse *ap, const struct act_word *w,
                 const struct act_token *t, struct ofp_action *a)
{
    char dscp[16];
    uint32_t tos;
    int err = parse_uint_arg(ap, w, t, 255, &tos);

    if (err) {
        return err;
    }
    if (tos & 3) {
        return bad_value(ap, w, t);
    }
    snprintf(dscp, sizeof dscp, "%" PRIu32, tos >> 2);
    return set_field_from_text(ap, t, ofp_field_by_id(w->arg), dscp,
                               strlen(dscp), a);
}

/* load:VALUE->DST[A..B]: VALUE must fit in the subfield. */
static int
parse_load(struct act_parse *ap, const struct act_word *w,
           const struct act_token *t, struct ofp_action *a)
{
    const char *arrow = find_arrow(t), *dst;
    int error;

    if (!arrow) {
        return want_syntax(ap, w, t);
    }
    dst = arrow + 2;
    error = parse_subfield(ap, t->text, t->len, dst,
                           (size_t) (t->val + t->val_len - dst), true,
                           &a->load.dst);
    if (error) {
        return error;
    }
    if (!parse_value128(t->val, (size_t) (arrow - t->val), &a->load.value)) {
        return act_error(ap, "'%.*s': '%.*s' is not a number", (int) t->len,
                         t->text, (int) (arrow - t->val), t->val);
    }
    if (value_width(&a->load.value) > a->load.dst.n_bits) {
        return act_error(ap, "'%.*s': value does not fit in %u bits",
                         (int) t->len, t->text, a->load.dst.n_bits);
    }
    return 0;
}

/* move:SRC[A..B]->DST[C..D]: equal widths, DST writable. */
static int
parse_move(struct act_parse *ap, const struct act_word *w,
           const struct act_token *t, struct ofp_action *a)
{
    const char *arrow = find_arrow(t), *dst;
    int error;

    if (!arrow) {
        return want_syntax(ap, w, t);
    }
    dst = arrow + 2;
    error = parse_subfield(ap, t->text, t->len, t->val,
                           (size_t) (arrow - t->val), false, &a->move.src);
    if (!error) {
        error = parse_subfield(ap, t->text, t->len, dst,
                               (size_t) (t->val + t->val_len - dst), true,
                               &a->move.dst);
    }
    if (!error && a->move.src.n_bits != a->move.dst.n_bits) {
        return act_error(ap, "'%.*s': source has %u bits, destination %u",
                         (int) t->len, t->text, a->move.src.n_bits,
                         a->move.dst.n_bits);
    }
    return error;
}

static const struct act_word act_words[] = {
    {"output", "output:PORT", NULL, OFPACT_OUTPUT, parse_output, 0},
    {"normal", "normal", NULL, OFPACT_OUTPUT, parse_reserved_output,
     OFPP_NORMAL},
    {"flood", "flood", NULL, OFPACT_OUTPUT, parse_reserved_output,
     OFPP_FLOOD},
    {"all", "all", NULL, OFPACT_OUTPUT, parse_reserved_output, OFPP_ALL},
    {"local", "local", NULL, OFPACT_OUTPUT, parse_reserved_output,
     OFPP_LOCAL},
    {"in_port", "in_port", NULL, OFPACT_OUTPUT, parse_reserved_output,
     OFPP_IN_PORT},
    {"controller", "", NULL, OFPACT_OUTPUT, parse_controller, 0},
    {"mod_dl_src", "mod_dl_src:MAC", NULL, OFPACT_SET_FIELD,
     parse_mod_field, OFPF_DL_SRC},
    {"mod_dl_dst", "mod_dl_dst:MAC", NULL, OFPACT_SET_FIELD,
     parse_mod_field, OFPF_DL_DST},
    {"mod_nw_src", "mod_nw_src:IP", NULL, OFPACT_SET_FIELD,
     parse_mod_field, OFPF_NW_SRC},
    {"mod_nw_dst", "mod_nw_dst:IP", NULL, OFPACT_SET_FIELD,
     parse_mod_field, OFPF_NW_DST},
    {"mod_tp_src", "mod_tp_src:PORT", NULL, OFPACT_SET_FIELD,
     parse_mod_field, OFPF_TP_SRC},
    {"mod_tp_dst", "mod_tp_dst:PORT", NULL, OFPACT_SET_FIELD,
     parse_mod_field, OFPF_TP_DST},
    {"mod_nw_ttl", "mod_nw_ttl:TTL", NULL, OFPACT_SET_FIELD,
     parse_mod_field, OFPF_NW_TTL},
    {"mod_nw_tos", "mod_nw_tos:TOS", "not a valid TOS (want a multiple of 4 "
     "in 0..252)", OFPACT_SET_FIELD, parse_mod_nw_tos, OFPF_IP_DSCP},
    {"mod_vlan_vid", "mod_vlan_vid:VID", "VLAN VID must be 0..4095",
     OFPACT_SET_VLAN_VID, parse_vlan_arg, 4095},
    {"mod_vlan_pcp", "mod_vlan_pcp:PCP", "VLAN PCP must be 0..7",
     OFPACT_SET_VLAN_PCP, parse_vlan_arg, 7},
    {"strip_vlan", "strip_vlan", NULL, OFPACT_STRIP_VLAN, parse_bare, 0},
    {"pop_vlan", "pop_vlan", NULL, OFPACT_STRIP_VLAN, parse_bare, 0},
    {"push_vlan", "push_vlan:TPID", "TPID must be 0x8100 or 0x88a8",
     OFPACT_PUSH_VLAN, parse_push_vlan, 0},
    {"dec_ttl", "dec_ttl (no controller ids: there is no controller)", NULL,
     OFPACT_DEC_TTL, parse_bare, 0},
    {"set_field", "set_field:VALUE[/MASK]->FIELD", NULL, OFPACT_SET_FIELD,
     parse_set_field, 0},
    {"load", "load:VALUE->FIELD[START..END]", NULL, OFPACT_LOAD, parse_load,
     0},
    {"move", "move:SRC[A..B]->DST[C..D]", NULL, OFPACT_MOVE, parse_move, 0},
    {"resubmit", "resubmit:PORT or resubmit([PORT],[TABLE])",
     "table must be 0..254", OFPACT_RESUBMIT, parse_resubmit, 0},
    {"goto_table", "goto_table:TABLE", "table must be 0..254",
     OFPACT_GOTO_TABLE, parse_goto_table, 0},
    {"write_metadata", "write_metadata:VALUE[/MASK]",
     "want 64-bit VALUE[/MASK]", OFPACT_WRITE_METADATA, parse_write_metadata,
     0},
};

/* One action other than "drop"; a bare number or port name is an output
 * (ovs-ofctl: "2,3" is "output:2,output:3"). */
static int
parse_one(struct act_parse *ap, const struct act_token *t,
          struct ofp_action *a)
{
    uint32_t port;

    memset(a, 0, sizeof *a);
    for (size_t i = 0; i < RSW_ARRAY_SIZE(act_words); i++) {
        if (token_is(t, act_words[i].name)) {
            a->type = (uint8_t) act_words[i].type;
            return act_words[i].parse(ap, &act_words[i], t, a);
        }
    }
    a->type = OFPACT_OUTPUT;
    if (!t->val && t->text[0] >= '0' && t->text[0] <= '9') {
        return parse_port(ap, t->text, t->len, t->text, t->len,
                          output_port_ok, &a->port);
    }
    if (!t->val && ap->resolve
        && !parse_port(ap, t->text, t->len, t->text, t->len, output_port_ok,
                       &port)) {
        a->port = port;
        return 0;
    }
    return act_error(ap, "unknown action '%.*s'", (int) t->key_len,
                     t->text);
}

/* ---- Lists ------------------------------------------------------------ */

/* OpenFlow 1.3 §5.9: write-metadata and goto-table are instructions,
 * executed after the action list, in that order, each at most once.  A
 * flat list keeps that meaning only with them last, in that order.  NULL
 * if 'next' may follow 'prev[0..n)'. */
static const char *
sequence_error(const struct ofp_action *prev, unsigned n,
               const struct ofp_action *next)
{
    if (n && prev[n - 1].type == OFPACT_GOTO_TABLE) {
        return "goto_table must be the last action";
    }
    if (n && prev[n - 1].type == OFPACT_WRITE_METADATA
        && next->type != OFPACT_GOTO_TABLE) {
        return "write_metadata may only be followed by goto_table";
    }
    return NULL;
}

/* Appends 'a', parsed from 't', to out[0..*n). */
static int
append_action(struct act_parse *ap, const struct act_token *t,
              const struct ofp_action *a, struct ofp_action *out,
              unsigned max, unsigned *n)
{
    const char *why = sequence_error(out, *n, a);

    if (why) {
        return act_error(ap, "'%.*s': %s", (int) t->len, t->text, why);
    }
    if (*n >= max) {
        act_error(ap, "'%.*s': more than %u actions", (int) t->len, t->text,
                  max);
        return -E2BIG;
    }
    out[(*n)++] = *a;
    return 0;
}

int
ofp_actions_parse(const char *s, ofp_port_resolve_fn *resolve, void *aux,
                  struct ofp_action *out, unsigned max, unsigned *n,
                  char *err, size_t err_size)
{
    struct act_parse ap = {resolve, aux, err, err_size};
    const char *other = NULL;           /* the first action but drop */
    unsigned count = 0;
    int other_len = 0;
    bool drop = false;
    struct act_token t;
    int error;

    *n = 0;
    if (err && err_size) {
        err[0] = '\0';
    }
    while (!(error = next_token(&ap, &s, &t)) && t.len) {
        struct ofp_action a;

        if (token_is(&t, "drop")) {
            if (t.val) {
                return act_error(&ap, "'%.*s': drop takes no argument",
                                 (int) t.len, t.text);
            }
            drop = true;
        } else {
            error = parse_one(&ap, &t, &a);
            error = error ? error : append_action(&ap, &t, &a, out, max,
                                                  &count);
            if (error) {
                return error;
            }
            if (!other) {
                other = t.text;
                other_len = (int) t.len;
            }
        }
        if (drop && other) {
            return act_error(&ap, "'drop' must be the only action (also "
                             "'%.*s')", other_len, other);
        }
    }
    if (!error) {
        *n = count;
    }
    return error;
}

/* ---- Checking a list against its table -------------------------------- */

/* The invariants a parsed action has, for lists built by other code. */
static bool
action_valid(const struct ofp_action *a)
{
    switch ((enum ofp_action_type) a->type) {
    case OFPACT_OUTPUT:
        return output_port_ok(a->port);
    case OFPACT_SET_FIELD:
        return a->set.field && a->set.field->writable;
    case OFPACT_SET_VLAN_VID:
        return a->vid <= 4095;
    case OFPACT_SET_VLAN_PCP:
        return a->pcp <= 7;
    case OFPACT_PUSH_VLAN:
        return a->tpid == 0x8100 || a->tpid == 0x88a8;
    case OFPACT_LOAD:
        return subfield_ok(&a->load.dst) && a->load.dst.field->writable
               && value_width(&a->load.value) <= a->load.dst.n_bits;
    case OFPACT_MOVE:
        return subfield_ok(&a->move.src) && subfield_ok(&a->move.dst)
               && a->move.dst.field->writable
               && a->move.src.n_bits == a->move.dst.n_bits;
    case OFPACT_RESUBMIT:
        /* Any table: 0..254, or OFP_TABLE_CURRENT (255). */
        return resubmit_port_ok(a->resubmit.port);
    case OFPACT_STRIP_VLAN:
    case OFPACT_DEC_TTL:
    case OFPACT_GOTO_TABLE:
    case OFPACT_WRITE_METADATA:
        return true;
    case OFPACT_N_TYPES:
        break;
    }
    return false;
}

static void fmt_action(struct dp_fmt *, const struct ofp_action *);

int
ofp_actions_check(const struct ofp_action *acts, unsigned n,
                  uint8_t table_id, char *err, size_t err_size)
{
    struct act_parse ap = {.err = err, .err_size = err_size};
    char text[256];

    for (unsigned i = 0; i < n; i++) {
        const struct ofp_action *a = &acts[i];
        struct dp_fmt f = dp_fmt_init(text, sizeof text);
        const char *why = NULL;

        if (a->type < OFPACT_N_TYPES) {
            fmt_action(&f, a);
        }
        if (!action_valid(a)) {
            why = "invalid action";
        } else if (!(why = sequence_error(acts, i, a))
                   && a->type == OFPACT_GOTO_TABLE
                   && (a->table <= table_id
                       || a->table == OFP_TABLE_CURRENT)) {
            /* OpenFlow 1.3 §5.1: "the Goto-Table instruction can only
             * direct a packet to a flow table with a number greater than
             * its own"; there is no table 255. */
            return act_error(&ap, "'%s' in table %u: the pipeline only "
                             "moves forward", text, table_id);
        }
        if (why) {
            return act_error(&ap, "action %u '%s': %s", i + 1, text, why);
        }
    }
    return 0;
}

/* ---- Formatting ------------------------------------------------------- */

static void
fmt_set_field(struct dp_fmt *f, const struct ofp_action *a)
{
    const struct ofp_field *fld = a->set.field;
    char value[OFP_FIELD_FORMAT_SIZE];
    bool exact = ofp_value_is_all_ones(fld, &a->set.mask);

    ofp_field_format(fld, &a->set.value, exact ? NULL : &a->set.mask, value,
                     sizeof value);
    dp_fmt_put(f, "set_field:%s->%s", value,
            fld->oxm_name ? fld->oxm_name : fld->name);
}

/* ovs-ofctl's resubmit text, except that resubmit(IN_PORT,) -- which
 * ovs-ofctl prints as the unparsable "resubmit(,)" -- stays explicit. */
static void
fmt_resubmit(struct dp_fmt *f, const struct ofp_action *a)
{
    uint32_t port = a->resubmit.port;
    uint8_t table = a->resubmit.table;

    if (table == OFP_TABLE_CURRENT) {
        dp_fmt_put(f, "resubmit:");
        fmt_port(f, port);
        return;
    }
    dp_fmt_put(f, "resubmit(");
    if (port != OFPP_IN_PORT) {
        fmt_port(f, port);
    }
    dp_fmt_put(f, ",%u)", table);
}

static void
fmt_action(struct dp_fmt *f, const struct ofp_action *a)
{
    switch ((enum ofp_action_type) a->type) {
    case OFPACT_OUTPUT:
        if (a->port < OFPP_MAX) {
            dp_fmt_put(f, "output:");
        }
        fmt_port(f, a->port);
        break;
    case OFPACT_SET_FIELD:
        fmt_set_field(f, a);
        break;
    case OFPACT_SET_VLAN_VID:
        dp_fmt_put(f, "mod_vlan_vid:%u", a->vid);
        break;
    case OFPACT_SET_VLAN_PCP:
        dp_fmt_put(f, "mod_vlan_pcp:%u", a->pcp);
        break;
    case OFPACT_STRIP_VLAN:
        dp_fmt_put(f, "strip_vlan");
        break;
    case OFPACT_PUSH_VLAN:
        dp_fmt_put(f, "push_vlan:0x%04x", a->tpid);
        break;
    case OFPACT_DEC_TTL:
        dp_fmt_put(f, "dec_ttl");
        break;
    case OFPACT_LOAD:
        dp_fmt_put(f, "load:");
        fmt_value_hex(f, &a->load.value);
        dp_fmt_put(f, "->");
        fmt_subfield(f, &a->load.dst);
        break;
    case OFPACT_MOVE:
        dp_fmt_put(f, "move:");
        fmt_subfield(f, &a->move.src);
        dp_fmt_put(f, "->");
        fmt_subfield(f, &a->move.dst);
        break;
    case OFPACT_RESUBMIT:
        fmt_resubmit(f, a);
        break;
    case OFPACT_GOTO_TABLE:
        dp_fmt_put(f, "goto_table:%u", a->table);
        break;
    case OFPACT_WRITE_METADATA:
        dp_fmt_put(f, "write_metadata:0x%" PRIx64, a->metadata.value);
        if (a->metadata.mask != UINT64_MAX) {
            dp_fmt_put(f, "/0x%" PRIx64, a->metadata.mask);
        }
        break;
    case OFPACT_N_TYPES:
        break;
    }
}

char *
ofp_actions_format(const struct ofp_action *acts, unsigned n, char *buf,
                   size_t size)
{
    struct dp_fmt f = dp_fmt_init(buf, size);

    if (!n) {
        dp_fmt_put(&f, "drop");
    }
    for (unsigned i = 0; i < n; i++) {
        if (i) {
            dp_fmt_put(&f, ",");
        }
        fmt_action(&f, &acts[i]);
    }
    return buf;
}

/* ---- Comparisons ------------------------------------------------------ */

static bool
subfield_equal(const struct ofp_subfield *a, const struct ofp_subfield *b)
{
    return a->field == b->field && a->ofs == b->ofs && a->n_bits == b->n_bits;
}

static bool
set_field_equal(const struct ofp_action *a, const struct ofp_action *b)
{
    union ofp_value ones;

    if (a->set.field != b->set.field) {
        return false;
    }
    ofp_value_all_ones(a->set.field, &ones);
    return value_equal_under(&a->set.mask, &b->set.mask, &ones)
           && value_equal_under(&a->set.value, &b->set.value, &a->set.mask);
}

static bool
action_equal(const struct ofp_action *a, const struct ofp_action *b)
{
    union ofp_value ones;

    if (a->type != b->type) {
        return false;
    }
    switch ((enum ofp_action_type) a->type) {
    case OFPACT_OUTPUT:
        return a->port == b->port;
    case OFPACT_SET_FIELD:
        return set_field_equal(a, b);
    case OFPACT_SET_VLAN_VID:
        return a->vid == b->vid;
    case OFPACT_SET_VLAN_PCP:
        return a->pcp == b->pcp;
    case OFPACT_PUSH_VLAN:
        return a->tpid == b->tpid;
    case OFPACT_LOAD:
        value_ones(&ones, a->load.dst.n_bits);
        return subfield_equal(&a->load.dst, &b->load.dst)
               && value_equal_under(&a->load.value, &b->load.value, &ones);
    case OFPACT_MOVE:
        return subfield_equal(&a->move.src, &b->move.src)
               && subfield_equal(&a->move.dst, &b->move.dst);
    case OFPACT_RESUBMIT:
        return a->resubmit.port == b->resubmit.port
               && a->resubmit.table == b->resubmit.table;
    case OFPACT_GOTO_TABLE:
        return a->table == b->table;
    case OFPACT_WRITE_METADATA:
        return a->metadata.mask == b->metadata.mask
               && !((a->metadata.value ^ b->metadata.value)
                    & a->metadata.mask);
    case OFPACT_STRIP_VLAN:
    case OFPACT_DEC_TTL:
        return true;
    case OFPACT_N_TYPES:
        break;
    }
    return false;
}

bool
ofp_actions_equal(const struct ofp_action *a, unsigned n_a,
                  const struct ofp_action *b, unsigned n_b)
{
    if (n_a != n_b) {
        return false;
    }
    for (unsigned i = 0; i < n_a; i++) {
        if (!action_equal(&a[i], &b[i])) {
            return false;
        }
    }
    return true;
}

bool
ofp_actions_output_to(const struct ofp_action *acts, unsigned n,
                      uint32_t port)
{
    if (port == OFPP_ANY) {
        return true;                    /* no out_port filter */
    }
    for (unsigned i = 0; i < n; i++) {
        if (acts[i].type == OFPACT_OUTPUT && acts[i].port == port) {
            return true;
        }
    }
    return false;
}
