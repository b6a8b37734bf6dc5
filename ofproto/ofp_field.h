/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_OFP_FIELD_H
#define RSW_OFP_FIELD_H 1

/* The fields the OpenFlow pipeline can match, set, load and move.
 *
 * One table describes every field once: its names (ovs-ofctl's and the
 * OXM/NXM name, "nw_src" and "ip_src"), where it lives in 'struct flow'
 * (byte offset and size, and for sub-byte or sub-word fields a shift and a
 * bit width), whether OpenFlow lets a match mask it arbitrarily, its
 * prerequisites, and how its values are written.  The match parser, the
 * formatter, set_field/load/move, and translation's un-wildcarding all go
 * through this table, so a field behaves the same everywhere.
 *
 * Values: a 'union ofp_value' holds a value in NETWORK byte order,
 * right-aligned in its 16 bytes' last ofp_field_n_bytes() bytes (a 12-bit
 * VID is the last two bytes, 0x0VVV).  Host-order fields of struct flow
 * (in_port, metadata, regs) are converted on get/set, so callers see every
 * field the same way.
 *
 * The pipeline's view of VLANs (OpenFlow 1.0 / OVS "vlan_tci"): the
 * vlan_tci field is the outer tag's TCI with the CFI bit (0x1000) set when
 * the packet HAS a tag, and all zero when it has none.  The datapath key
 * (flow.h) keeps the raw TCI and marks presence with vlans[0].tpid != 0
 * instead; ofp_flow_from_dp() converts a datapath key to the pipeline view
 * and ofp_wc_to_dp() maps a pipeline mask back (a mask on any vlan_tci bit
 * becomes an exact mask on vlans[0].tpid too, since presence came from it).
 * The price is OVS's: the DEI bit cannot be matched.
 *
 * Prerequisites (OpenFlow 1.3 §7.2.3.6, "OXM prerequisites"): tp_src needs
 * nw_proto in {6, 17, 132} (and an IP dl_type), nw_src needs dl_type IPv4
 * or ARP, and so on.  ofp_field_prereqs_ok() checks a match satisfies a
 * field's prerequisites; the parser refuses a field whose prerequisites
 * the flow does not state ("tp_dst=80" alone), with that message, where
 * OVS would also refuse. */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "datapath/flow.h"
#include "vhost/compiler.h"

enum ofp_field_id {
    OFPF_IN_PORT,         /* u16 OpenFlow port (host order in flow) */
    OFPF_METADATA,        /* u64 */
    OFPF_REG0, OFPF_REG1, OFPF_REG2, OFPF_REG3,
    OFPF_REG4, OFPF_REG5, OFPF_REG6, OFPF_REG7,
    OFPF_DL_SRC, OFPF_DL_DST,            /* MAC, maskable */
    OFPF_DL_TYPE,                        /* u16 */
    OFPF_VLAN_TCI,                       /* u16, maskable, CFI = present */
    OFPF_DL_VLAN,                        /* 12-bit VID (OF 1.0 dl_vlan) */
    OFPF_DL_VLAN_PCP,                    /* 3 bits */
    OFPF_VLAN_VID,                       /* OXM: VID | 0x1000 if tagged */
    OFPF_NW_SRC, OFPF_NW_DST,            /* IPv4 / ARP SPA, TPA; maskable */
    OFPF_IPV6_SRC, OFPF_IPV6_DST,        /* maskable */
    OFPF_IPV6_LABEL,                     /* 20 bits, maskable */
    OFPF_NW_PROTO,                       /* u8 (ARP: low byte of opcode) */
    OFPF_NW_TOS,                         /* u8, DSCP << 2 (ECN bits 0) */
    OFPF_IP_DSCP,                        /* 6 bits */
    OFPF_NW_ECN,                         /* 2 bits */
    OFPF_NW_TTL,                         /* u8 */
    OFPF_IP_FRAG,                        /* nw_frag: no/yes/first/later */
    OFPF_TP_SRC, OFPF_TP_DST,            /* u16 TCP/UDP/SCTP, maskable */
    OFPF_TCP_FLAGS,                      /* 12 bits, maskable */
    OFPF_ICMP_TYPE, OFPF_ICMP_CODE,      /* ICMPv4: u8 */
    OFPF_ICMPV6_TYPE, OFPF_ICMPV6_CODE,  /* ICMPv6: u8 */
    OFPF_ARP_OP,                         /* u16 */
    OFPF_ARP_SPA, OFPF_ARP_TPA,          /* = nw_src / nw_dst under ARP */
    OFPF_ARP_SHA, OFPF_ARP_THA,          /* MAC, maskable */
    OFPF_ND_TARGET,                      /* IPv6, maskable */
    OFPF_ND_SLL, OFPF_ND_TLL,            /* MAC */
    OFPF_N_FIELDS
};

/* What a field needs the flow to be (OpenFlow 1.3 §7.2.3.6). */
enum ofp_prereq {
    OFPP_NONE,
    OFPP_VLAN,       /* a VLAN tag present (vlan_tci & 0x1000) */
    OFPP_IP_ANY,     /* dl_type 0x0800 or 0x86dd */
    OFPP_IPV4,
    OFPP_IPV6,
    OFPP_ARP,        /* dl_type 0x0806 */
    OFPP_IPV4_ARP,   /* nw_src/nw_dst: IPv4 or ARP */
    OFPP_TCP_UDP_SCTP, /* IP and nw_proto in {6,17,132} */
    OFPP_TCP,
    OFPP_ICMPV4,     /* IPv4 and nw_proto 1 */
    OFPP_ICMPV6,     /* IPv6 and nw_proto 58 */
    OFPP_ND,         /* ICMPv6 type 135 or 136 */
    OFPP_ND_NS,      /* ICMPv6 type 135 (nd_sll) */
    OFPP_ND_NA,      /* ICMPv6 type 136 (nd_tll) */
};

/* How values are written and read as text. */
enum ofp_field_format {
    OFPFMT_DECIMAL,  /* 80, or 0x50 on input; hex with a mask */
    OFPFMT_HEX,      /* 0x0800 */
    OFPFMT_MAC,      /* 00:11:22:33:44:55 */
    OFPFMT_IPV4,     /* 10.0.0.1, 10.0.0.0/8, 10.0.0.0/255.0.0.0 */
    OFPFMT_IPV6,     /* 2001:db8::1, 2001:db8::/32 */
    OFPFMT_OFPORT,   /* 1..65279, or LOCAL/IN_PORT/... names */
    OFPFMT_FRAG,     /* no, yes, first, later, not_later */
    OFPFMT_TCP_FLAGS,/* +syn-ack, or 0x012/0x0fff */
};

struct ofp_field {
    enum ofp_field_id id;
    const char *name;        /* ovs-ofctl name: "nw_src" */
    const char *oxm_name;    /* OXM/NXM name: "ip_src"; NULL if the same */
    uint16_t flow_ofs;       /* byte offset in struct flow */
    uint8_t flow_bytes;      /* bytes it occupies there (1, 2, 4, 6, 8, 16) */
    uint8_t shift;           /* bits of the stored word below the field */
    uint16_t n_bits;         /* field width */
    bool host_order;         /* stored in host byte order (metadata) */
    bool maskable;           /* OpenFlow allows an arbitrary mask */
    bool writable;           /* set_field / load may write it */
    enum ofp_prereq prereq;
    enum ofp_field_format format;
};

/* Right-aligned, network byte order (see above). */
union ofp_value {
    uint8_t u8[16];
    rsw_be16 be16[8];
    rsw_be32 be32[4];
    uint64_t be64[2];
};

/* Lookups: NULL if unknown.  Names are matched case-sensitively, both the
 * ovs-ofctl and the OXM spelling, and "NXM_OF_IP_SRC[]"-style NXM names
 * for load/move ("NXM_NX_REG0", "OXM_OF_METADATA"...). */
const struct ofp_field *ofp_field_by_id(enum ofp_field_id);
const struct ofp_field *ofp_field_by_name(const char *name);
const struct ofp_field *ofp_field_by_name_len(const char *name, size_t len);

/* The NXM/OXM name load/move print for the field ("NXM_OF_IP_SRC",
 * "NXM_NX_REG0", "OXM_OF_METADATA"), or NULL if it has none (then its
 * ovs-ofctl name serves: ofp_field_by_name() takes both). */
const char *ofp_field_nxm_name(const struct ofp_field *);

/* Values of fields up to 64 bits wide as integers (the last 8 bytes). */
uint64_t ofp_value_to_u64(const union ofp_value *);
void ofp_value_from_u64(union ofp_value *, uint64_t);
/* The field's exact mask / "is 'v' the field's exact mask?". */
void ofp_value_all_ones(const struct ofp_field *, union ofp_value *);
bool ofp_value_is_all_ones(const struct ofp_field *, const union ofp_value *);

/* Bytes of a value (ceil(n_bits / 8)). */
static inline unsigned
ofp_field_n_bytes(const struct ofp_field *f)
{
    return (f->n_bits + 7u) / 8u;
}

/* value = the field of 'flow' (pipeline view). */
void ofp_field_get(const struct ofp_field *, const struct flow *,
                   union ofp_value *);
/* flow.field = (flow.field & ~mask) | (value & mask).  NULL mask: all
 * ones.  Bits outside the field's width are ignored. */
void ofp_field_set(const struct ofp_field *, struct flow *,
                   const union ofp_value *value, const union ofp_value *mask);
/* wc.field |= mask (NULL: the whole field): "the decision looked at it". */
void ofp_field_unwildcard(const struct ofp_field *, struct flow_wc *,
                          const union ofp_value *mask);
/* True if the field's mask in 'wc' is all ones / all zeros. */
bool ofp_field_is_exact(const struct ofp_field *, const struct flow_wc *);
bool ofp_field_is_wild(const struct ofp_field *, const struct flow_wc *);

/* Parses a value, optionally "VALUE/MASK" (or CIDR "/N" for addresses):
 * 0, -EINVAL with a reason naming the field ("nw_src: 10.0.0.300 is not an
 * IPv4 address") in 'err'.  'mask' gets all ones without a mask; a mask on
 * a non-maskable field, or a value wider than the field, is refused. */
int ofp_field_parse(const struct ofp_field *, const char *text,
                    union ofp_value *value, union ofp_value *mask,
                    char *err, size_t err_size) RSW_MUST_CHECK;
/* The length of a big-endian bit mask of 'n_bytes' bytes that is a prefix
 * (leading ones, then zeros: CIDR), or -1 if it is not one. */
int ofp_mask_prefix_len(const uint8_t *mask, unsigned n_bytes);

/* "VALUE" or "VALUE/MASK" (CIDR where the mask is a prefix, as ovs-ofctl
 * prints) into buf; returns buf.  NULL mask: exact. */
char *ofp_field_format(const struct ofp_field *, const union ofp_value *value,
                       const union ofp_value *mask, char *buf, size_t size);
#define OFP_FIELD_FORMAT_SIZE 96

/* OpenFlow port text: a number 0..65535 or a reserved name (LOCAL,
 * IN_PORT, TABLE, NORMAL, FLOOD, ALL, CONTROLLER, ANY, NONE; any case),
 * the token [s, s+len).  The reserved name of 'port', or NULL. */
bool ofp_field_port_from_text(const char *s, size_t len, uint32_t *port);
const char *ofp_field_port_name(uint32_t port);

/* A message for the user, printf-formatted into 'err' when 'size' > 0.
 * Messages quote the user's words, which may hold any byte: each control
 * character of the result (a newline, a tab, ...) is shown as '?', so a
 * message is always one line.  The parsers' error path; returns -EINVAL. */
int ofp_error_vformat(char *err, size_t size, const char *fmt, va_list)
    RSW_PRINTF(3, 0);

/* ---- Pipeline view <-> datapath key (see "VLANs" above) ---------------- */

/* The pipeline's "has a tag" bit in vlan_tci: the TCI's CFI position, and
 * OXM vlan_vid's OFPVID_PRESENT. */
#define OFP_VLAN_CFI 0x1000u

/* 'of' = 'dp' with vlans[0].tci's CFI bit set when a tag is present. */
void ofp_flow_from_dp(const struct flow *dp, struct flow *of);
/* ORs the datapath equivalent of pipeline mask 'of' into 'dp'. */
void ofp_wc_to_dp(const struct flow_wc *of, struct flow_wc *dp);

/* ---- Prerequisites ---------------------------------------------------- */

/* True if every packet matching (flow, wc) satisfies the field's
 * prerequisites: e.g. for tp_dst, wc un-wildcards dl_type and nw_proto
 * and their values are IP / TCP, UDP or SCTP. */
bool ofp_field_prereqs_ok(const struct ofp_field *, const struct flow *flow,
                          const struct flow_wc *wc);
/* The same question about one packet (translation: may set_field touch
 * this packet?), un-wildcarding in 'wc' (may be NULL) what it looked at. */
bool ofp_field_prereqs_hold(const struct ofp_field *, const struct flow *flow,
                            struct flow_wc *wc);

#endif
