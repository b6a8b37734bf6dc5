/* SPDX-License-Identifier: Apache-2.0 */
/* The text of field values: ofp_field_parse() and ofp_field_format()
 * (ofp_field.h), in ovs-fields(7)'s notation. */
#include "ofp_field.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ofp_actions.h"

/* Longest piece of user text quoted back in a message. */
#define QUOTE_MAX 64

int
ofp_error_vformat(char *err, size_t size, const char *fmt, va_list args)
{
    if (size) {
        vsnprintf(err, size, fmt, args);
        for (char *p = err; *p; p++) {
            if ((unsigned char) *p < 0x20 || *p == 0x7f) {
                *p = '?';
            }
        }
    }
    return -EINVAL;
}

static int RSW_PRINTF(3, 4)
fail(char *err, size_t size, const char *fmt, ...)
{
    va_list args;
    int e;

    va_start(args, fmt);
    e = ofp_error_vformat(err, size, fmt, args);
    va_end(args);
    return e;
}

static int
quote_len(size_t len)
{
    return len > QUOTE_MAX ? QUOTE_MAX : (int) len;
}

/* ---- Integers --------------------------------------------------------- */

static int
hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    } else if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decimal, or hex after "0x": the whole token, no sign, no blanks. */
static bool
parse_u64(const char *s, size_t len, uint64_t *out)
{
    unsigned base = 10;
    uint64_t x = 0;
    size_t i = 0;

    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i >= len) {
        return false;
    }
    for (; i < len; i++) {
        int d = hex_digit(s[i]);
        if (d < 0 || (unsigned) d >= base
            || x > (UINT64_MAX - (unsigned) d) / base) {
            return false;
        }
        x = x * base + (unsigned) d;
    }
    *out = x;
    return true;
}

/* ---- Ports (OpenFlow 1.0 §5.2.1 reserved numbers) --------------------- */

struct port_name {
    const char *name;
    uint32_t port;
};

static const struct port_name port_names[] = {
    { "IN_PORT", OFPP_IN_PORT }, { "TABLE", OFPP_TABLE },
    { "NORMAL", OFPP_NORMAL }, { "FLOOD", OFPP_FLOOD },
    { "ALL", OFPP_ALL }, { "CONTROLLER", OFPP_CONTROLLER },
    { "LOCAL", OFPP_LOCAL }, { "ANY", OFPP_ANY }, { "NONE", OFPP_ANY },
};

bool
ofp_field_port_from_text(const char *s, size_t len, uint32_t *port)
{
    uint64_t x;

    for (size_t i = 0; i < RSW_ARRAY_SIZE(port_names); i++) {
        if (strlen(port_names[i].name) == len
            && !strncasecmp(port_names[i].name, s, len)) {
            *port = port_names[i].port;
            return true;
        }
    }
    if (!parse_u64(s, len, &x) || x > 0xffff) {
        return false;
    }
    *port = (uint32_t) x;
    return true;
}

const char *
ofp_field_port_name(uint32_t port)
{
    for (size_t i = 0; i < RSW_ARRAY_SIZE(port_names); i++) {
        if (port_names[i].port == port) {
            return port_names[i].name;
        }
    }
    return NULL;
}

/* ---- Addresses -------------------------------------------------------- */

/* xx:xx:xx:xx:xx:xx, one or two hex digits per byte. */
static bool
parse_mac(const char *s, size_t len, uint8_t mac[6])
{
    size_t i = 0;

    for (int b = 0; b < 6; b++) {
        int n = 0, v = 0, d;
        while (i < len && n < 2 && (d = hex_digit(s[i])) >= 0) {
            v = v * 16 + d;
            n++;
            i++;
        }
        if (!n || (b < 5 && (i >= len || s[i++] != ':'))) {
            return false;
        }
        mac[b] = (uint8_t) v;
    }
    return i == len;
}

static bool
parse_inet(int af, const char *s, size_t len, uint8_t *addr)
{
    char tmp[INET6_ADDRSTRLEN + 1];

    if (!len || len >= sizeof tmp) {
        return false;
    }
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    return inet_pton(af, tmp, addr) == 1;
}

/* "/N" prefix length or a dotted/colon mask, into 'bytes' bytes. */
static bool
parse_inet_mask(int af, const char *s, size_t len, uint8_t *mask,
                unsigned bytes)
{
    uint64_t n;

    if (len <= 3 && parse_u64(s, len, &n)) {
        if (n > bytes * 8 || (len > 1 && s[0] == '0')) {
            return false;
        }
        memset(mask, 0, bytes);
        for (unsigned i = 0; i < n; i++) {
            mask[i / 8] |= (uint8_t) (0x80 >> (i % 8));
        }
        return true;
    }
    return parse_inet(af, s, len, mask);
}

int
ofp_mask_prefix_len(const uint8_t *mask, unsigned bytes)
{
    unsigned n = 0;

    while (n < bytes * 8 && (mask[n / 8] & (0x80 >> (n % 8)))) {
        n++;
    }
    for (unsigned i = n; i < bytes * 8; i++) {
        if (mask[i / 8] & (0x80 >> (i % 8))) {
            return -1;
        }
    }
    return (int) n;
}

/* ---- Named values ------------------------------------------------------ */

/* ip_frag (ovs-fields(7), "IP fragments"): value/mask over nw_frag. */
struct frag_name {
    const char *name;
    uint8_t value, mask;
};

static const struct frag_name frag_names[] = {
    { "no", 0, FLOW_NW_FRAG_ANY },
    { "yes", FLOW_NW_FRAG_ANY, FLOW_NW_FRAG_ANY },
    { "first", FLOW_NW_FRAG_ANY, FLOW_NW_FRAG_MASK },
    { "later", FLOW_NW_FRAG_MASK, FLOW_NW_FRAG_MASK },
    { "not_later", 0, FLOW_NW_FRAG_LATER },
};

static const char *const tcp_flag_names[] = {
    "fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns",
};
#define TCP_NAMED_FLAGS 0x1ffu

/* "+syn-ack": '+' flags must be set, '-' flags clear, others wild. */
static bool
parse_tcp_flag_list(const char *s, size_t len, uint64_t *value,
                    uint64_t *mask)
{
    size_t i = 0;

    *value = *mask = 0;
    while (i < len) {
        char sign = s[i++];
        size_t start = i, j;
        while (i < len && s[i] != '+' && s[i] != '-') {
            i++;
        }
        for (j = 0; j < RSW_ARRAY_SIZE(tcp_flag_names); j++) {
            const char *name = tcp_flag_names[j];
            if (strlen(name) == i - start
                && !strncmp(name, s + start, i - start)) {
                break;
            }
        }
        if ((sign != '+' && sign != '-') || j == RSW_ARRAY_SIZE(tcp_flag_names)
            || (*mask & (1u << j))) {
            return false;
        }
        *mask |= 1u << j;
        *value |= sign == '+' ? 1u << j : 0;
    }
    return *mask != 0;
}

/* ---- ofp_field_parse ---------------------------------------------------- */

struct value_text {
    const char *s;
    size_t len;
};

static int
parse_int_value(const struct ofp_field *f, struct value_text v,
                struct value_text m, bool has_mask, union ofp_value *value,
                union ofp_value *mask, char *err, size_t err_size)
{
    uint64_t max = f->n_bits >= 64 ? UINT64_MAX
                   : (UINT64_C(1) << f->n_bits) - 1;
    uint64_t x, xm = max;

    if (!parse_u64(v.s, v.len, &x)) {
        return fail(err, err_size, "%s: \"%.*s\" is not a number", f->name,
                    quote_len(v.len), v.s);
    }
    if (x > max) {
        return fail(err, err_size, "%s: %.*s is out of range (max %llu)",
                    f->name, quote_len(v.len), v.s, (unsigned long long) max);
    }
    if (has_mask && (!parse_u64(m.s, m.len, &xm) || xm > max)) {
        return fail(err, err_size, "%s: \"%.*s\" is not a %u-bit mask",
                    f->name, quote_len(m.len), m.s, f->n_bits);
    }
    if (f->id == OFPF_NW_TOS) {
        /* ovs-ofctl keeps the DSCP bits of nw_tos and drops the ECN bits. */
        x &= 0xfc;
        xm &= 0xfc;
    }
    ofp_value_from_u64(value, x);
    ofp_value_from_u64(mask, xm);
    return 0;
}

static int
parse_port_value(const struct ofp_field *f, struct value_text v,
                 union ofp_value *value, char *err, size_t err_size)
{
    uint32_t port;

    if (!ofp_field_port_from_text(v.s, v.len, &port)) {
        return fail(err, err_size, "%s: \"%.*s\" is not a port number or "
                    "name", f->name, quote_len(v.len), v.s);
    }
    ofp_value_from_u64(value, port);
    return 0;
}

static int
parse_mac_value(const struct ofp_field *f, struct value_text v,
                struct value_text m, bool has_mask, union ofp_value *value,
                union ofp_value *mask, char *err, size_t err_size)
{
    if (!parse_mac(v.s, v.len, &value->u8[10])) {
        return fail(err, err_size, "%s: \"%.*s\" is not an Ethernet address",
                    f->name, quote_len(v.len), v.s);
    }
    if (has_mask && !parse_mac(m.s, m.len, &mask->u8[10])) {
        return fail(err, err_size, "%s: \"%.*s\" is not an Ethernet mask",
                    f->name, quote_len(m.len), m.s);
    }
    return 0;
}

static int
parse_inet_value(const struct ofp_field *f, struct value_text v,
                 struct value_text m, bool has_mask, union ofp_value *value,
                 union ofp_value *mask, char *err, size_t err_size)
{
    bool v6 = f->format == OFPFMT_IPV6;
    int af = v6 ? AF_INET6 : AF_INET;
    unsigned bytes = v6 ? 16 : 4;
    uint8_t *vp = &value->u8[16 - bytes], *mp = &mask->u8[16 - bytes];

    if (!parse_inet(af, v.s, v.len, vp)) {
        return fail(err, err_size, "%s: \"%.*s\" is not an IPv%c address",
                    f->name, quote_len(v.len), v.s, v6 ? '6' : '4');
    }
    if (has_mask && !parse_inet_mask(af, m.s, m.len, mp, bytes)) {
        return fail(err, err_size, "%s: \"%.*s\" is not a prefix length "
                    "(0..%u) or an IPv%c mask", f->name, quote_len(m.len),
                    m.s, bytes * 8, v6 ? '6' : '4');
    }
    return 0;
}

static int
parse_named_value(const struct ofp_field *f, struct value_text v,
                  struct value_text m, bool has_mask, union ofp_value *value,
                  union ofp_value *mask, char *err, size_t err_size)
{
    uint64_t x, xm;

    if (f->format == OFPFMT_FRAG && !has_mask) {
        for (size_t i = 0; i < RSW_ARRAY_SIZE(frag_names); i++) {
            if (strlen(frag_names[i].name) == v.len
                && !memcmp(frag_names[i].name, v.s, v.len)) {
                ofp_value_from_u64(value, frag_names[i].value);
                ofp_value_from_u64(mask, frag_names[i].mask);
                return 0;
            }
        }
    }
    if (f->format == OFPFMT_TCP_FLAGS && !has_mask && v.len
        && (v.s[0] == '+' || v.s[0] == '-')) {
        if (!parse_tcp_flag_list(v.s, v.len, &x, &xm)) {
            return fail(err, err_size, "%s: \"%.*s\" is not a list of "
                        "+flag/-flag (fin syn rst psh ack urg ece cwr ns)",
                        f->name, quote_len(v.len), v.s);
        }
        ofp_value_from_u64(value, x);
        ofp_value_from_u64(mask, xm);
        return 0;
    }
    if (f->format == OFPFMT_FRAG && (!v.len || hex_digit(v.s[0]) < 0
                                     || v.s[0] > '9')) {
        return fail(err, err_size, "%s: \"%.*s\" is not one of no, yes, "
                    "first, later, not_later", f->name, quote_len(v.len),
                    v.s);
    }
    return parse_int_value(f, v, m, has_mask, value, mask, err, err_size);
}

int
ofp_field_parse(const struct ofp_field *f, const char *text,
                union ofp_value *value, union ofp_value *mask,
                char *err, size_t err_size)
{
    const char *slash = strchr(text, '/');
    struct value_text v = { text, slash ? (size_t) (slash - text)
                                        : strlen(text) };
    struct value_text m = { slash ? slash + 1 : "", slash
                            ? strlen(slash + 1) : 0 };
    bool has_mask = slash != NULL;

    memset(value, 0, sizeof *value);
    ofp_value_all_ones(f, mask);
    if (has_mask && !f->maskable) {
        return fail(err, err_size, "%s: \"%.*s\": this field takes no mask",
                    f->name, quote_len(strlen(text)), text);
    }
    switch (f->format) {
    case OFPFMT_DECIMAL:
    case OFPFMT_HEX:
        return parse_int_value(f, v, m, has_mask, value, mask, err,
                               err_size);
    case OFPFMT_OFPORT:
        return parse_port_value(f, v, value, err, err_size);
    case OFPFMT_MAC:
        return parse_mac_value(f, v, m, has_mask, value, mask, err,
                               err_size);
    case OFPFMT_IPV4:
    case OFPFMT_IPV6:
        return parse_inet_value(f, v, m, has_mask, value, mask, err,
                                err_size);
    case OFPFMT_FRAG:
    case OFPFMT_TCP_FLAGS:
        return parse_named_value(f, v, m, has_mask, value, mask, err,
                                 err_size);
    }
    return fail(err, err_size, "%s: no text form", f->name);
}

/* ---- ofp_field_format ---------------------------------------------------- */

static void
format_mac(const uint8_t *mac, char *buf, size_t size)
{
    snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x",
             mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static void
format_inet(const struct ofp_field *f, const union ofp_value *value,
            const union ofp_value *mask, char *buf, size_t size)
{
    bool v6 = f->format == OFPFMT_IPV6;
    unsigned bytes = v6 ? 16 : 4;
    int af = v6 ? AF_INET6 : AF_INET, plen;
    char a[INET6_ADDRSTRLEN], m[INET6_ADDRSTRLEN];

    inet_ntop(af, &value->u8[16 - bytes], a, sizeof a);
    plen = mask ? ofp_mask_prefix_len(&mask->u8[16 - bytes], bytes) : (int) bytes * 8;
    if (plen == (int) bytes * 8) {
        snprintf(buf, size, "%s", a);
    } else if (plen >= 0) {
        snprintf(buf, size, "%s/%d", a, plen);
    } else {
        inet_ntop(af, &mask->u8[16 - bytes], m, sizeof m);
        snprintf(buf, size, "%s/%s", a, m);
    }
}

static void
format_int(const struct ofp_field *f, uint64_t x, uint64_t xm, bool exact,
           char *buf, size_t size)
{
    unsigned width = f->format == OFPFMT_TCP_FLAGS ? 3
                     : f->n_bits == 16 && f->format == OFPFMT_HEX ? 4 : 1;

    if (!exact) {
        snprintf(buf, size, "0x%0*llx/0x%0*llx", (int) width,
                 (unsigned long long) x, (int) width,
                 (unsigned long long) xm);
    } else if (f->format != OFPFMT_DECIMAL && f->format != OFPFMT_OFPORT) {
        snprintf(buf, size, "0x%0*llx", (int) width, (unsigned long long) x);
    } else {
        snprintf(buf, size, "%llu", (unsigned long long) x);
    }
}

static bool
format_named(const struct ofp_field *f, uint64_t x, uint64_t xm, char *buf,
             size_t size)
{
    if (f->format == OFPFMT_FRAG) {
        for (size_t i = 0; i < RSW_ARRAY_SIZE(frag_names); i++) {
            if (frag_names[i].value == x && frag_names[i].mask == xm) {
                snprintf(buf, size, "%s", frag_names[i].name);
                return true;
            }
        }
    } else if (f->format == OFPFMT_TCP_FLAGS && xm
               && !(xm & ~(uint64_t) TCP_NAMED_FLAGS)) {
        size_t n = 0;
        buf[0] = '\0';
        for (unsigned j = 0; j < RSW_ARRAY_SIZE(tcp_flag_names); j++) {
            if ((xm & (1u << j)) && n < size) {
                n += (size_t) snprintf(buf + n, size - n, "%c%s",
                                       x & (1u << j) ? '+' : '-',
                                       tcp_flag_names[j]);
            }
        }
        return true;
    }
    return false;
}

char *
ofp_field_format(const struct ofp_field *f, const union ofp_value *value,
                 const union ofp_value *mask, char *buf, size_t size)
{
    bool exact = !mask || ofp_value_is_all_ones(f, mask);
    uint64_t x = ofp_value_to_u64(value);
    uint64_t xm = mask ? ofp_value_to_u64(mask) : 0;
    const char *name;

    if (!size) {
        return buf;
    }
    switch (f->format) {
    case OFPFMT_MAC: {
        char a[18], m[18];
        format_mac(&value->u8[10], a, sizeof a);
        if (exact) {
            snprintf(buf, size, "%s", a);
        } else {
            format_mac(&mask->u8[10], m, sizeof m);
            snprintf(buf, size, "%s/%s", a, m);
        }
        return buf;
    }
    case OFPFMT_IPV4:
    case OFPFMT_IPV6:
        format_inet(f, value, exact ? NULL : mask, buf, size);
        return buf;
    case OFPFMT_OFPORT:
        name = ofp_field_port_name((uint32_t) x);
        if (exact && name) {
            snprintf(buf, size, "%s", name);
            return buf;
        }
        break;
    case OFPFMT_FRAG:
    case OFPFMT_TCP_FLAGS:
        if (!mask) {
            xm = (UINT64_C(1) << f->n_bits) - 1;   /* n_bits < 64 here */
        }
        if ((f->format == OFPFMT_FRAG || !exact)
            && format_named(f, x, xm, buf, size)) {
            return buf;
        }
        break;
    case OFPFMT_DECIMAL:
    case OFPFMT_HEX:
        break;
    }
    format_int(f, x, xm, exact, buf, size);
    return buf;
}
