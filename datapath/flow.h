/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_FLOW_H
#define RSW_FLOW_H 1

/* Flow keys: the parsed headers of one packet, in a fixed layout.
 *
 * A 'struct flow' is what the exact-match cache, the megaflow classifier and
 * ofproto all match on.  Its layout is fixed and has no compiler-inserted
 * holes (every pad is an explicit, always-zero member), and its size is a
 * multiple of 8 bytes, so the whole key can be hashed, compared and masked
 * as an array of FLOW_U64S 64-bit words.  That is what makes the caches
 * cheap: equality is a word loop, a wildcard mask ('struct flow_wc') has the
 * same layout, and a classifier subtable can precompute which words its
 * mask touches and look at only those.
 *
 * Byte order: every field copied from the packet is kept in NETWORK byte
 * order (the 'rsw_be16'/'rsw_be32' members, addresses as raw bytes), so the
 * parser never swaps and masks built from packets stay comparable.  The
 * datapath metadata (in_port, metadata, regs) is in HOST byte order: it never
 * comes from the wire.
 *
 * Field conventions (as in Open vSwitch's lib/flow.h):
 *  - vlans[i].tpid == 0 means "no i-th tag"; vlans[0] is the outermost.
 *    tci is the tag's raw TCI (PCP, DEI, VID).
 *  - dl_type is the Ethertype after the (at most two) parsed VLAN tags; an
 *    802.3 frame (length field < 0x600) gets FLOW_DL_TYPE_NONE.
 *  - ARP: nw_src/nw_dst hold the sender/target protocol addresses, arp_op
 *    the opcode, arp_sha/arp_tha the hardware addresses.
 *  - ICMP and ICMPv6: tp_src = type, tp_dst = code (each in the low byte of
 *    the big-endian 16-bit field, i.e. htons(type)).
 *  - IPv6 Neighbor Discovery: nd_target, and the source / target link-layer
 *    address options in arp_sha / arp_tha.
 *  - nw_frag: FLOW_NW_FRAG_ANY for any fragment, plus FLOW_NW_FRAG_LATER for
 *    a non-first fragment (whose L4 header is not parsed).
 *  - tcp_flags: the low 12 bits of TCP header word 6 (NS, CWR, ECE, URG, ACK,
 *    PSH, RST, SYN, FIN, reserved), network byte order.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vhost/compiler.h"

/* Big-endian ("network byte order") integers: plain integers, the typedefs
 * only document the byte order. */
typedef uint16_t rsw_be16;
typedef uint32_t rsw_be32;

#define FLOW_ETH_ALEN 6

struct flow_eth_addr {
    uint8_t ea[FLOW_ETH_ALEN];
};

struct flow_in6_addr {
    uint8_t s6[16];
};

/* One 802.1Q / 802.1ad tag: tpid == 0 when absent. */
struct flow_vlan {
    rsw_be16 tpid;
    rsw_be16 tci;
};

#define FLOW_MAX_VLANS 2

/* nw_frag bits. */
#define FLOW_NW_FRAG_ANY   0x01 /* any fragment, first or later */
#define FLOW_NW_FRAG_LATER 0x02 /* offset != 0: no L4 header here */
#define FLOW_NW_FRAG_MASK  (FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER)

/* dl_type of frames whose type/length field is a length (IEEE 802.3). */
#define FLOW_DL_TYPE_NONE 0x05ff

/* TCP flag bits inside ntohs(tcp_flags). */
#define FLOW_TCP_FIN 0x001
#define FLOW_TCP_SYN 0x002
#define FLOW_TCP_RST 0x004
#define FLOW_TCP_PSH 0x008
#define FLOW_TCP_ACK 0x010
#define FLOW_TCP_URG 0x020
#define FLOW_TCP_ECE 0x040
#define FLOW_TCP_CWR 0x080
#define FLOW_TCP_NS  0x100
#define FLOW_TCP_FLAGS_MASK 0x0fff

struct flow {
    /* Datapath metadata, host byte order; the parser zeroes metadata and
     * regs (the OpenFlow pipeline sets them) and fills in_port. */
    uint64_t metadata;
    uint32_t regs[8];
    uint32_t in_port;

    /* L2 and the L3 summary (word 5). */
    rsw_be16 dl_type;
    uint8_t nw_frag;             /* FLOW_NW_FRAG_* */
    uint8_t nw_proto;            /* IP protocol / IPv6 final next header */
    struct flow_eth_addr dl_dst;
    struct flow_eth_addr dl_src;
    uint8_t nw_tos;              /* DSCP (high 6 bits) + ECN (low 2) */
    uint8_t nw_ttl;              /* IPv4 TTL / IPv6 hop limit */
    rsw_be16 tcp_flags;
    struct flow_vlan vlans[FLOW_MAX_VLANS];

    /* L3. */
    rsw_be32 nw_src;             /* IPv4 source / ARP SPA */
    rsw_be32 nw_dst;             /* IPv4 destination / ARP TPA */
    struct flow_in6_addr ipv6_src;
    struct flow_in6_addr ipv6_dst;
    rsw_be32 ipv6_label;         /* low 20 bits */

    /* L4. */
    rsw_be16 tp_src;             /* port, or ICMP type */
    rsw_be16 tp_dst;             /* port, or ICMP code */
    struct flow_in6_addr nd_target;
    struct flow_eth_addr arp_sha; /* ARP SHA / ND source link-layer addr */
    struct flow_eth_addr arp_tha; /* ARP THA / ND target link-layer addr */
    rsw_be16 arp_op;
    uint8_t pad[2];              /* always zero */
} __attribute__((aligned(8)));

#define FLOW_U64S (sizeof(struct flow) / sizeof(uint64_t))

_Static_assert(sizeof(struct flow) % sizeof(uint64_t) == 0,
               "struct flow must be a whole number of 64-bit words");
_Static_assert(sizeof(struct flow) == 152,
               "struct flow has a hole or an unexpected member");
_Static_assert(offsetof(struct flow, vlans) == 64
               && offsetof(struct flow, ipv6_label) == 112
               && offsetof(struct flow, pad) == 150,
               "struct flow layout changed: update the offsets on purpose");

/* A wildcard mask: a 1 bit means "this bit of the key matters". */
struct flow_wc {
    struct flow masks;
};

/* Word views of keys and masks.  'may_alias' makes the word access defined
 * whatever the compiler's aliasing rules. */
typedef uint64_t __attribute__((may_alias)) flow_u64;

static inline const flow_u64 *
flow_u64s(const struct flow *flow)
{
    return (const flow_u64 *) flow;
}

static inline flow_u64 *
flow_u64s_rw(struct flow *flow)
{
    return (flow_u64 *) flow;
}

/* Zeroes a key with nine 16-byte stores and one 8-byte store.  memset()
 * of 152 bytes compiles to 'rep stos', whose start-up cost was a third
 * of the per-packet parse. */
typedef uint64_t flow_u64x2
    __attribute__((vector_size(16), may_alias, aligned(8)));

static inline void
flow_zero(struct flow *flow)
{
    flow_u64x2 *v = (flow_u64x2 *) flow;
    const flow_u64x2 z = { 0, 0 };

    _Static_assert(sizeof(struct flow) == 9 * 16 + 8,
                   "flow_zero() covers exactly struct flow");
    v[0] = z; v[1] = z; v[2] = z; v[3] = z; v[4] = z;
    v[5] = z; v[6] = z; v[7] = z; v[8] = z;
    flow_u64s_rw(flow)[18] = 0;
}

/* Hashing: murmur3 (x64) style mixing of 64-bit words.  Exposed so that the
 * classifier can hash a subset of a key's words exactly like
 * flow_hash_masked() does. */
static inline uint64_t
flow_hash_rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t
flow_hash_add64(uint64_t hash, uint64_t word)
{
    word *= 0x87c37b91114253d5ULL;
    word = flow_hash_rotl64(word, 31);
    word *= 0x4cf5ad432745937fULL;
    hash ^= word;
    return flow_hash_rotl64(hash, 27) * 5 + 0x52dce729;
}

static inline uint32_t
flow_hash_finish(uint64_t hash, uint32_t n_words)
{
    hash ^= n_words;
    hash ^= hash >> 33;
    hash *= 0xff51afd7ed558ccdULL;
    hash ^= hash >> 33;
    hash *= 0xc4ceb9fe1a85ec53ULL;
    hash ^= hash >> 33;
    return (uint32_t) hash;
}

/* Hash of the whole key. */
uint32_t flow_hash(const struct flow *, uint32_t basis);

/* Hash of 'flow & mask', over only the words whose mask is non-zero: equal
 * to the hash the classifier computes for a subtable with that mask.  Two
 * keys equal under 'mask' hash the same. */
uint32_t flow_hash_masked(const struct flow *, const struct flow_wc *,
                          uint32_t basis);

/* Inline: the EMC compares a full key on every hit. */
static inline bool
flow_equal(const struct flow *a, const struct flow *b)
{
    const flow_u64 *wa = flow_u64s(a);
    const flow_u64 *wb = flow_u64s(b);
    uint64_t diff = 0;

    /* Unrolled: -O2 kept a 19-trip loop, a counter and a branch per word. */
#pragma GCC unroll 32
    for (size_t i = 0; i < FLOW_U64S; i++) {
        diff |= wa[i] ^ wb[i];
    }
    return !diff;
}

bool flow_equal_masked(const struct flow *, const struct flow *,
                       const struct flow_wc *);

/* flow &= mask. */
void flow_zero_wildcards(struct flow *, const struct flow_wc *);

void flow_wc_init_catchall(struct flow_wc *); /* matches everything */
void flow_wc_init_exact(struct flow_wc *);    /* matches every bit */
bool flow_wc_is_catchall(const struct flow_wc *);

/* Formats 'flow' OVS-style ("in_port=1,dl_src=..,dl_type=0x0800,...") into
 * 'buf' (always NUL-terminated, truncated to 'size'); returns 'buf'.  Only
 * the fields meaningful for the key's dl_type / nw_proto are printed;
 * metadata and registers only when non-zero. */
char *flow_format(const struct flow *, char *buf, size_t size);
#define FLOW_FORMAT_SIZE 640 /* enough for any key */

/* ----------------------------------------------------------------------
 * Parsing (flow_extract.c). */

/* Why parsing stopped.  Parsing stops at the first layer that is truncated
 * or malformed; the fields of every layer before it are filled in, the bad
 * layer's and all later ones are zero. */
enum flow_parse_status {
    FLOW_PARSE_OK,
    FLOW_PARSE_TRUNCATED_L2,      /* Ethernet header or VLAN tag cut off */
    FLOW_PARSE_TRUNCATED_L3,      /* ARP/IPv4/IPv6 header or ext hdr cut off */
    FLOW_PARSE_BAD_IP_VERSION,    /* version field != Ethertype's */
    FLOW_PARSE_BAD_IPV4_IHL,      /* IHL < 5 or options past the packet */
    FLOW_PARSE_BAD_IPV4_LEN,      /* total length < IHL or > packet */
    FLOW_PARSE_BAD_IPV6_LEN,      /* payload length > packet */
    FLOW_PARSE_BAD_IPV6_EXT_HDR,  /* hop-by-hop not first */
    FLOW_PARSE_TOO_MANY_EXT_HDRS, /* more than FLOW_MAX_IPV6_EXT_HDRS */
    FLOW_PARSE_TRUNCATED_L4,      /* L4 header (or ND target) cut off */
    FLOW_PARSE_BAD_TCP_OFF,       /* TCP data offset < 5 or past the packet */
    FLOW_PARSE_BAD_ND_OPTION,     /* ND option of length 0 or cut off */
    FLOW_PARSE_N_STATUS
};

#define FLOW_MAX_IPV6_EXT_HDRS 8
#define FLOW_OFS_NONE UINT32_MAX

struct flow_parse_info {
    enum flow_parse_status status;
    uint32_t l3_ofs;   /* offset of the L3 header, or FLOW_OFS_NONE */
    uint32_t l4_ofs;   /* offset of the L4 header, or FLOW_OFS_NONE */
    uint32_t l7_ofs;   /* offset of the L4 payload, or FLOW_OFS_NONE */
    uint8_t n_ext_hdrs; /* IPv6 extension headers walked */
};

/* One counter per parse status, for the PMD to bump and report. */
struct flow_parse_stats {
    uint64_t n[FLOW_PARSE_N_STATUS];
};

static inline void
flow_parse_stats_count(struct flow_parse_stats *stats,
                       const struct flow_parse_info *info)
{
    if (RSW_LIKELY((unsigned) info->status < FLOW_PARSE_N_STATUS)) {
        stats->n[info->status]++;
    }
}

/* "ok", "truncated-l2", ... (stable names for stats output). */
const char *flow_parse_status_name(enum flow_parse_status);

/* Parses the 'len'-byte frame at 'pkt' (starting with the Ethernet header)
 * into 'flow'.  Never reads outside [pkt, pkt + len).  'info' may be NULL.
 * Returns 0 if every layer parsed, otherwise -EINVAL with the reason in
 * info->status; 'flow' is valid (usable as a key) in both cases. */
int flow_extract(const void *pkt, size_t len, uint32_t in_port,
                 struct flow *flow, struct flow_parse_info *info);

/* The same for a caller that copied only the first 'len' bytes of a
 * 'frame_len'-byte frame: reads stay within 'len', while the IPv4/IPv6
 * length checks compare against 'frame_len'.  A header that does not fit in
 * the copied prefix is reported as truncated. */
int flow_extract_prefix(const void *pkt, size_t len, size_t frame_len,
                        uint32_t in_port, struct flow *flow,
                        struct flow_parse_info *info);

#endif
