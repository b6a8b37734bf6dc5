/* SPDX-License-Identifier: Apache-2.0 */
/* Datapath actions: building, text form, execution (see dp_actions.h). */
#include "dp_actions.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_fmt.h"
#include "dp_parse.h"

#define ETH_ADDRS_LEN 12   /* dst + src */
#define ETH_HDR_LEN 14
#define VLAN_HDR_LEN 4
#define VLAN_VID_MASK 0x0fff
#define VLAN_PCP_SHIFT 13
#define VLAN_PCP_MASK 0xe000
#define IPV4_HDR_MIN 20
#define IPV4_FRAG_OFS_MASK 0x1fff
#define IPV4_ECN_MASK 0x03
#define TCP_CSUM_OFS 16
#define UDP_CSUM_OFS 6
#define MAX_TAGS_WALKED 4  /* two parsed + up to two pushed */

/* ---- Building --------------------------------------------------------- */

static bool
is_output(const struct dp_action *a)
{
    return a->type == DP_ACTION_OUTPUT;
}

int
dp_actions_add_output(struct dp_actions *a, uint32_t port_no)
{
    for (int i = (int) a->n - 1; i >= 0 && is_output(&a->list[i]); i--) {
        if (a->list[i].port == port_no) {
            return 0;
        }
    }
    if (a->n >= DP_ACTIONS_MAX) {
        return -ENOSPC;
    }
    a->list[a->n++] = (struct dp_action) {.type = DP_ACTION_OUTPUT,
                                          .port = port_no};
    a->n_outputs++;
    return 0;
}

static bool
action_valid(const struct dp_action *x)
{
    switch ((enum dp_action_type) x->type) {
    case DP_ACTION_PUSH_VLAN:
        return x->vlan.tpid == DP_ETH_TYPE_VLAN
               || x->vlan.tpid == DP_ETH_TYPE_QINQ;
    case DP_ACTION_SET_VLAN_VID:
        return x->u16 <= VLAN_VID_MASK;
    case DP_ACTION_SET_VLAN_PCP:
        return x->u8 <= 7;
    case DP_ACTION_SET_IPV4_DSCP:
        return !(x->u8 & IPV4_ECN_MASK);
    case DP_ACTION_SET_TP_SRC:
    case DP_ACTION_SET_TP_DST:
        return x->proto == DP_IPPROTO_TCP || x->proto == DP_IPPROTO_UDP;
    case DP_ACTION_OUTPUT:
    case DP_ACTION_POP_VLAN:
    case DP_ACTION_SET_ETH_SRC:
    case DP_ACTION_SET_ETH_DST:
    case DP_ACTION_SET_IPV4_SRC:
    case DP_ACTION_SET_IPV4_DST:
    case DP_ACTION_SET_IPV4_TTL:
        return true;
    case DP_ACTION_N_TYPES:
    default:
        return false;
    }
}

int
dp_actions_add(struct dp_actions *a, const struct dp_action *x)
{
    if (!action_valid(x)) {
        return -EINVAL;
    }
    if (is_output(x)) {
        return dp_actions_add_output(a, x->port);
    }
    if (a->n >= DP_ACTIONS_MAX) {
        return -ENOSPC;
    }
    if (x->type == DP_ACTION_PUSH_VLAN) {
        /* Each push may use 4 bytes of headroom; pops only give room back,
         * so bounding pushes bounds the headroom used. */
        if (a->n_pushes >= DP_ACTIONS_MAX_PUSH) {
            return -E2BIG;
        }
        a->n_pushes++;
    }
    a->last_mod = (int16_t) a->n;
    a->list[a->n++] = *x;
    return 0;
}

/* ---- Text form -------------------------------------------------------- */

static void
fmt_mac(struct dp_fmt *f, const char *what, const uint8_t m[6])
{
    dp_fmt_put(f, "set(eth(%s=%02x:%02x:%02x:%02x:%02x:%02x))", what,
            m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void
fmt_ipv4(struct dp_fmt *f, const char *what, rsw_be32 addr)
{
    const uint8_t *b = (const uint8_t *) &addr;

    dp_fmt_put(f, "set(ipv4(%s=%u.%u.%u.%u))", what, b[0], b[1], b[2], b[3]);
}

static void
fmt_action(struct dp_fmt *f, const struct dp_action *x)
{
    const char *l4 = x->proto == DP_IPPROTO_TCP ? "tcp" : "udp";

    switch ((enum dp_action_type) x->type) {
    case DP_ACTION_OUTPUT:
        dp_fmt_put(f, "%" PRIu32, x->port);
        break;
    case DP_ACTION_PUSH_VLAN:
        dp_fmt_put(f, "push_vlan(");
        if (x->vlan.tpid != DP_ETH_TYPE_VLAN) {
            dp_fmt_put(f, "tpid=0x%04x,", x->vlan.tpid);
        }
        dp_fmt_put(f, "vid=%u,pcp=%u)", x->vlan.tci & VLAN_VID_MASK,
                x->vlan.tci >> VLAN_PCP_SHIFT);
        break;
    case DP_ACTION_POP_VLAN:
        dp_fmt_put(f, "pop_vlan");
        break;
    case DP_ACTION_SET_ETH_SRC:
    case DP_ACTION_SET_ETH_DST:
        fmt_mac(f, x->type == DP_ACTION_SET_ETH_SRC ? "src" : "dst", x->mac);
        break;
    case DP_ACTION_SET_VLAN_VID:
        dp_fmt_put(f, "set(vlan(vid=%u))", x->u16);
        break;
    case DP_ACTION_SET_VLAN_PCP:
        dp_fmt_put(f, "set(vlan(pcp=%u))", x->u8);
        break;
    case DP_ACTION_SET_IPV4_SRC:
    case DP_ACTION_SET_IPV4_DST:
        fmt_ipv4(f, x->type == DP_ACTION_SET_IPV4_SRC ? "src" : "dst",
                 x->ipv4);
        break;
    case DP_ACTION_SET_IPV4_DSCP:
        dp_fmt_put(f, "set(ipv4(tos=0x%02x/0xfc))", x->u8);
        break;
    case DP_ACTION_SET_IPV4_TTL:
        dp_fmt_put(f, "set(ipv4(ttl=%u))", x->u8);
        break;
    case DP_ACTION_SET_TP_SRC:
    case DP_ACTION_SET_TP_DST:
        dp_fmt_put(f, "set(%s(%s=%u))", l4,
                x->type == DP_ACTION_SET_TP_SRC ? "src" : "dst", x->u16);
        break;
    case DP_ACTION_N_TYPES:
    default:
        dp_fmt_put(f, "unknown(%u)", x->type);
        break;
    }
}

char *
dp_actions_format(const struct dp_actions *a, char *buf, size_t size)
{
    struct dp_fmt f = dp_fmt_init(buf, size);

    if (!a->n) {
        dp_fmt_put(&f, "drop");
        return buf;
    }
    for (unsigned i = 0; i < a->n; i++) {
        if (i) {
            dp_fmt_put(&f, ",");
        }
        fmt_action(&f, &a->list[i]);
    }
    return buf;
}

static int RSW_PRINTF(3, 4)
parse_error(char *err, size_t size, const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    vsnprintf(err, size, format, ap);
    va_end(ap);
    return -EINVAL;
}

/* "push_vlan([tpid=T,]vid=V,pcp=P)" arguments, without the parentheses. */
static bool
parse_push_args(const char *s, size_t len, struct dp_action *x)
{
    uint32_t tpid = DP_ETH_TYPE_VLAN, vid, pcp;
    char tmp[64];

    if (len >= sizeof tmp) {
        return false;
    }
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (!strncmp(tmp, "tpid=", 5)) {
        size_t n = strcspn(tmp + 5, ",");
        if (!dp_parse_uint(tmp + 5, n, 0xffff, &tpid) || !tmp[5 + n]) {
            return false;
        }
        memmove(tmp, tmp + 6 + n, strlen(tmp + 6 + n) + 1);
    }
    size_t vlen = strcspn(tmp, ",");
    if (strncmp(tmp, "vid=", 4) || !tmp[vlen]
        || !dp_parse_uint(tmp + 4, vlen - 4, VLAN_VID_MASK, &vid)
        || strncmp(tmp + vlen + 1, "pcp=", 4)
        || !dp_parse_uint(tmp + vlen + 5, strlen(tmp + vlen + 5), 7, &pcp)) {
        return false;
    }
    x->type = DP_ACTION_PUSH_VLAN;
    x->vlan.tpid = (uint16_t) tpid;
    x->vlan.tci = (uint16_t) (vid | pcp << VLAN_PCP_SHIFT);
    return true;
}

/* The pieces of "HDR(FIELD=VALUE)" inside set(...). */
struct set_arg {
    const char *hdr, *field, *val;
    size_t hlen, flen, vlen;
};

static bool
set_arg_is(const struct set_arg *s, const char *hdr, const char *field)
{
    return s->hlen == strlen(hdr) && !strncmp(s->hdr, hdr, s->hlen)
           && s->flen == strlen(field) && !strncmp(s->field, field, s->flen);
}

static bool
parse_set_l2(const struct set_arg *s, struct dp_action *x)
{
    uint32_t v;

    if (set_arg_is(s, "eth", "src") || set_arg_is(s, "eth", "dst")) {
        x->type = s->field[0] == 's' ? DP_ACTION_SET_ETH_SRC
                                     : DP_ACTION_SET_ETH_DST;
        return dp_parse_mac(s->val, s->vlen, x->mac);
    }
    if (set_arg_is(s, "vlan", "vid")) {
        x->type = DP_ACTION_SET_VLAN_VID;
        if (!dp_parse_uint(s->val, s->vlen, VLAN_VID_MASK, &v)) {
            return false;
        }
        x->u16 = (uint16_t) v;
        return true;
    }
    if (set_arg_is(s, "vlan", "pcp")) {
        x->type = DP_ACTION_SET_VLAN_PCP;
        if (!dp_parse_uint(s->val, s->vlen, 7, &v)) {
            return false;
        }
        x->u8 = (uint8_t) v;
        return true;
    }
    return false;
}

static bool
parse_set_l3l4(const struct set_arg *s, struct dp_action *x)
{
    size_t vlen = s->vlen;
    uint32_t v;

    if (set_arg_is(s, "ipv4", "src") || set_arg_is(s, "ipv4", "dst")) {
        x->type = s->field[0] == 's' ? DP_ACTION_SET_IPV4_SRC
                                     : DP_ACTION_SET_IPV4_DST;
        return dp_parse_ipv4(s->val, vlen, &x->ipv4);
    }
    if (set_arg_is(s, "ipv4", "ttl") || set_arg_is(s, "ipv4", "tos")) {
        bool ttl = s->field[1] == 't';
        if (!ttl) {
            /* Only the DSCP bits are set: "/0xfc" is required. */
            if (vlen < 5 || strncmp(s->val + vlen - 5, "/0xfc", 5)) {
                return false;
            }
            vlen -= 5;
        }
        x->type = ttl ? DP_ACTION_SET_IPV4_TTL : DP_ACTION_SET_IPV4_DSCP;
        if (!dp_parse_uint(s->val, vlen, 255, &v)) {
            return false;
        }
        x->u8 = (uint8_t) v;
        return true;
    }
    if (set_arg_is(s, "tcp", "src") || set_arg_is(s, "tcp", "dst")
        || set_arg_is(s, "udp", "src") || set_arg_is(s, "udp", "dst")) {
        x->proto = s->hdr[0] == 't' ? DP_IPPROTO_TCP : DP_IPPROTO_UDP;
        x->type = s->field[0] == 's' ? DP_ACTION_SET_TP_SRC
                                     : DP_ACTION_SET_TP_DST;
        if (!dp_parse_uint(s->val, vlen, 0xffff, &v)) {
            return false;
        }
        x->u16 = (uint16_t) v;
        return true;
    }
    return false;
}

/* "HDR(FIELD=VALUE)" inside set(...). */
static bool
parse_set_args(const char *str, size_t len, struct dp_action *x)
{
    struct set_arg s = {.hdr = str, .hlen = strcspn(str, "(")};

    if (s.hlen + 3 > len || str[len - 1] != ')') {
        return false;
    }
    s.field = str + s.hlen + 1;
    s.flen = strcspn(s.field, "=");
    if (s.field + s.flen >= str + len - 1) {
        return false;
    }
    s.val = s.field + s.flen + 1;
    s.vlen = (size_t) (str + len - 1 - s.val);
    return parse_set_l2(&s, x) || parse_set_l3l4(&s, x);
}

static int
parse_one(const char *s, size_t len, struct dp_action *x)
{
    uint32_t port;

    memset(x, 0, sizeof *x);
    if (len == 8 && !strncmp(s, "pop_vlan", 8)) {
        x->type = DP_ACTION_POP_VLAN;
        return 0;
    }
    if (len > 11 && !strncmp(s, "push_vlan(", 10) && s[len - 1] == ')') {
        return parse_push_args(s + 10, len - 11, x) ? 0 : -EINVAL;
    }
    if (len > 5 && !strncmp(s, "set(", 4) && s[len - 1] == ')') {
        return parse_set_args(s + 4, len - 5, x) ? 0 : -EINVAL;
    }
    if (dp_parse_uint(s, len, UINT32_MAX, &port)) {
        x->type = DP_ACTION_OUTPUT;
        x->port = port;
        return 0;
    }
    return -EINVAL;
}

/* Length of the next action: up to a comma outside parentheses. */
static size_t
action_len(const char *s)
{
    int depth = 0;
    size_t i;

    for (i = 0; s[i] && (depth || s[i] != ','); i++) {
        depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
    }
    return i;
}

int
dp_actions_parse(const char *s, struct dp_actions *a, char *err, size_t esz)
{
    dp_actions_init(a);
    if (!strcmp(s, "drop")) {
        return 0;
    }
    if (!*s) {
        return parse_error(err, esz, "empty actions (use \"drop\")");
    }
    while (*s) {
        size_t len = action_len(s);
        struct dp_action x;
        int e;

        if (!len || parse_one(s, len, &x)) {
            return parse_error(err, esz, "bad datapath action '%.*s'",
                               (int) len, s);
        }
        e = dp_actions_add(a, &x);
        if (e) {
            return parse_error(err, esz, "cannot add '%.*s': %s", (int) len,
                               s, e == -E2BIG ? "too many push_vlan"
                               : e == -ENOSPC ? "too many actions"
                               : "bad value");
        }
        s += len;
        if (*s == ',' && !*++s) {
            return parse_error(err, esz, "trailing comma");
        }
    }
    return 0;
}

/* ---- Execution -------------------------------------------------------- */

static inline uint16_t
get16(const uint8_t *p)
{
    return (uint16_t) (p[0] << 8 | p[1]);
}

static inline void
put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t) (v >> 8);
    p[1] = (uint8_t) v;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), on host-order 16-bit words
 * (one's complement sums are byte-order independent, RFC 1071 §2(B)). */
static uint16_t
csum_update16(uint16_t csum, uint16_t old, uint16_t new)
{
    uint32_t sum = (uint16_t) ~csum + (uint32_t) (uint16_t) ~old + new;

    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t) ~sum;
}

static uint16_t
csum_update32(uint16_t csum, uint32_t old, uint32_t new)
{
    csum = csum_update16(csum, (uint16_t) (old >> 16), (uint16_t) (new >> 16));
    return csum_update16(csum, (uint16_t) old, (uint16_t) new);
}

/* The outer tag's TPID position (12) holds 802.1Q/802.1ad? */
static bool
has_outer_tag(const uint8_t *d, uint32_t len)
{
    uint16_t type;

    if (len < ETH_HDR_LEN + VLAN_HDR_LEN) {
        return false;
    }
    type = get16(d + ETH_ADDRS_LEN);
    return type == DP_ETH_TYPE_VLAN || type == DP_ETH_TYPE_QINQ;
}

static void
push_vlan(struct dp_packet *p, uint16_t tpid, uint16_t tci)
{
    uint8_t *d;

    /* dp_actions_add() bounds pushes by the headroom; a runt has no
     * address bytes to move. */
    if (p->data_ofs < VLAN_HDR_LEN || p->copy_len < ETH_HDR_LEN) {
        return;
    }
    d = dp_packet_data_rw(p);
    memmove(d - VLAN_HDR_LEN, d, ETH_ADDRS_LEN);
    p->data_ofs -= VLAN_HDR_LEN;
    p->copy_len += VLAN_HDR_LEN;
    p->frame_len += VLAN_HDR_LEN;
    d = dp_packet_data_rw(p);
    put16(d + ETH_ADDRS_LEN, tpid);
    put16(d + ETH_ADDRS_LEN + 2, tci);
}

static void
pop_vlan(struct dp_packet *p)
{
    uint8_t *d = dp_packet_data_rw(p);

    if (!has_outer_tag(d, p->copy_len)) {
        return;
    }
    memmove(d + VLAN_HDR_LEN, d, ETH_ADDRS_LEN);
    p->data_ofs += VLAN_HDR_LEN;
    p->copy_len -= VLAN_HDR_LEN;
    p->frame_len -= VLAN_HDR_LEN;
}

static void
set_outer_tci(struct dp_packet *p, uint16_t keep_mask, uint16_t bits)
{
    uint8_t *d = dp_packet_data_rw(p);

    if (has_outer_tag(d, p->copy_len)) {
        uint8_t *tci = d + ETH_ADDRS_LEN + 2;
        put16(tci, (uint16_t) ((get16(tci) & keep_mask) | bits));
    }
}

/* Where an IPv4 packet's headers are in the private copy. */
struct ipv4_loc {
    uint8_t *ip;        /* IPv4 header */
    uint8_t *l4;        /* TCP/UDP header, NULL if absent/not in the copy */
    uint8_t proto;
};

/* Finds the IPv4 header (after any tags) and, for the first or only
 * fragment of TCP/UDP, the L4 header with its checksum field; false if
 * this is not a well-formed IPv4 packet whose header is in the copy. */
static bool
find_ipv4(struct dp_packet *p, struct ipv4_loc *loc)
{
    uint8_t *d = dp_packet_data_rw(p);
    uint32_t len = p->copy_len, ofs = ETH_ADDRS_LEN, ihl, tot, need;
    uint16_t type;

    for (int i = 0; ofs + 2 <= len; i++, ofs += VLAN_HDR_LEN) {
        type = get16(d + ofs);
        if ((type != DP_ETH_TYPE_VLAN && type != DP_ETH_TYPE_QINQ)
            || i == MAX_TAGS_WALKED) {
            break;
        }
    }
    if (ofs + 2 > len || get16(d + ofs) != DP_ETH_TYPE_IPV4) {
        return false;
    }
    ofs += 2;
    if (ofs + IPV4_HDR_MIN > len || d[ofs] >> 4 != 4) {
        return false;
    }
    ihl = (d[ofs] & 0x0f) * 4u;
    tot = get16(d + ofs + 2);
    /* RFC 791: IHL >= 5 words, total length covers the header. */
    if (ihl < IPV4_HDR_MIN || ofs + ihl > len || tot < ihl) {
        return false;
    }
    loc->ip = d + ofs;
    loc->proto = d[ofs + 9];
    loc->l4 = NULL;
    need = loc->proto == DP_IPPROTO_TCP ? TCP_CSUM_OFS + 2
           : loc->proto == DP_IPPROTO_UDP ? UDP_CSUM_OFS + 2 : 0;
    if (need && !(get16(d + ofs + 6) & IPV4_FRAG_OFS_MASK)
        && ofs + ihl + need <= len && ihl + need <= tot) {
        loc->l4 = d + ofs + ihl;
    }
    return true;
}

/* Fixes the L4 checksum for a 16-bit word change (pseudo-header or
 * header). */
static void
l4_csum_update(const struct ipv4_loc *loc, uint32_t old, uint32_t new,
               bool wide)
{
    uint8_t *c;
    uint16_t sum;

    if (!loc->l4) {
        return;
    }
    c = loc->l4 + (loc->proto == DP_IPPROTO_TCP ? TCP_CSUM_OFS
                                                : UDP_CSUM_OFS);
    sum = get16(c);
    if (loc->proto == DP_IPPROTO_UDP && !sum) {
        return;     /* RFC 768: no checksum was computed */
    }
    sum = wide ? csum_update32(sum, old, new)
               : csum_update16(sum, (uint16_t) old, (uint16_t) new);
    if (loc->proto == DP_IPPROTO_UDP && !sum) {
        sum = 0xffff;   /* RFC 768: a computed zero is sent as all ones */
    }
    put16(c, sum);
}

/* Replaces the 16-bit IPv4 header word at 'ofs' (even). */
static void
ipv4_set_word(const struct ipv4_loc *loc, unsigned ofs, uint16_t new)
{
    uint16_t old = get16(loc->ip + ofs);

    put16(loc->ip + ofs, new);
    put16(loc->ip + 10, csum_update16(get16(loc->ip + 10), old, new));
}

static void
set_ipv4_addr(struct dp_packet *p, unsigned ofs, rsw_be32 addr)
{
    struct ipv4_loc loc;
    uint32_t old, new;

    if (!find_ipv4(p, &loc)) {
        return;
    }
    old = (uint32_t) get16(loc.ip + ofs) << 16 | get16(loc.ip + ofs + 2);
    new = ntohl(addr);
    ipv4_set_word(&loc, ofs, (uint16_t) (new >> 16));
    ipv4_set_word(&loc, ofs + 2, (uint16_t) new);
    /* The addresses are part of the TCP/UDP pseudo-header (RFC 793 §3.1,
     * RFC 768). */
    l4_csum_update(&loc, old, new, true);
}

static void
set_ipv4_byte(struct dp_packet *p, unsigned ofs, uint8_t keep, uint8_t val)
{
    struct ipv4_loc loc;
    unsigned word = ofs & ~1u;
    uint16_t w;

    if (!find_ipv4(p, &loc)) {
        return;
    }
    w = get16(loc.ip + word);
    if (ofs & 1) {
        w = (uint16_t) ((w & ~0xffu) | (uint8_t) ((w & keep) | val));
    } else {
        w = (uint16_t) ((w & 0xff) | ((w >> 8 & keep) | val) << 8);
    }
    ipv4_set_word(&loc, word, w);
}

static void
set_tp_port(struct dp_packet *p, unsigned ofs, uint8_t proto, uint16_t port)
{
    struct ipv4_loc loc;
    uint16_t old;

    if (!find_ipv4(p, &loc) || !loc.l4 || loc.proto != proto) {
        return;
    }
    old = get16(loc.l4 + ofs);
    put16(loc.l4 + ofs, port);
    l4_csum_update(&loc, old, port, false);
}

void
dp_action_apply(const struct dp_action *x, struct dp_packet *p)
{
    uint8_t *d = dp_packet_data_rw(p);

    switch ((enum dp_action_type) x->type) {
    case DP_ACTION_PUSH_VLAN:
        push_vlan(p, x->vlan.tpid, x->vlan.tci);
        break;
    case DP_ACTION_POP_VLAN:
        pop_vlan(p);
        break;
    case DP_ACTION_SET_ETH_SRC:
    case DP_ACTION_SET_ETH_DST:
        if (p->copy_len >= ETH_ADDRS_LEN) {
            memcpy(d + (x->type == DP_ACTION_SET_ETH_SRC ? 6 : 0), x->mac, 6);
        }
        break;
    case DP_ACTION_SET_VLAN_VID:
        set_outer_tci(p, (uint16_t) ~VLAN_VID_MASK, x->u16 & VLAN_VID_MASK);
        break;
    case DP_ACTION_SET_VLAN_PCP:
        set_outer_tci(p, (uint16_t) ~VLAN_PCP_MASK,
                      (uint16_t) ((x->u8 & 7) << VLAN_PCP_SHIFT));
        break;
    case DP_ACTION_SET_IPV4_SRC:
    case DP_ACTION_SET_IPV4_DST:
        set_ipv4_addr(p, x->type == DP_ACTION_SET_IPV4_SRC ? 12 : 16,
                      x->ipv4);
        break;
    case DP_ACTION_SET_IPV4_DSCP:
        set_ipv4_byte(p, 1, IPV4_ECN_MASK, x->u8 & (uint8_t) ~IPV4_ECN_MASK);
        break;
    case DP_ACTION_SET_IPV4_TTL:
        set_ipv4_byte(p, 8, 0, x->u8);
        break;
    case DP_ACTION_SET_TP_SRC:
    case DP_ACTION_SET_TP_DST:
        set_tp_port(p, x->type == DP_ACTION_SET_TP_SRC ? 0 : 2, x->proto,
                    x->u16);
        break;
    case DP_ACTION_OUTPUT:
    case DP_ACTION_N_TYPES:
    default:
        break;
    }
}

unsigned
dp_actions_execute(const struct dp_actions *a, struct dp_packet *pkt,
                   const struct dp_actions_sink *sink)
{
    unsigned n_out = 0;

    for (int i = 0; i < (int) a->n; i++) {
        const struct dp_action *x = &a->list[i];

        if (!is_output(x)) {
            dp_action_apply(x, pkt);
            continue;
        }
        if (i < a->last_mod) {
            /* Later actions modify the packet: this output keeps a copy of
             * its state now.  The tail (source memory) is shared, it is
             * never written. */
            struct dp_packet *c = sink->clone(sink->aux);
            *c = *pkt;
            sink->output(sink->aux, x->port, c);
        } else {
            sink->output(sink->aux, x->port, pkt);
        }
        n_out++;
    }
    return n_out;
}
