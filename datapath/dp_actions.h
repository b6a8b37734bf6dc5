/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_DP_ACTIONS_H
#define RSW_DP_ACTIONS_H 1

/* Datapath actions: what a megaflow does with the packets it matches.
 *
 * An ordered list, executed left to right on the packet's private header
 * copy (dp_packet.h): outputs, VLAN push/pop, and sets of Ethernet
 * addresses, the outer VLAN tag's VID/PCP, IPv4 addresses/DSCP/TTL and
 * TCP/UDP ports.  An empty list drops.  Like OVS's datapath actions they run
 * after classification: the flow key is not re-extracted, each output sees
 * the packet as the actions before it left it ("1,push_vlan(vid=10,pcp=0),2"
 * sends port 1 the frame as received and port 2 the tagged one).
 *
 * Robust by construction: a set action whose header is absent from the
 * packet (set(ipv4(..)) on ARP, set(vlan(..)) on an untagged frame, a
 * header cut off) does nothing; it never reads or writes outside the
 * private copy.  Translation emits such actions only for flows that have
 * the header, and un-wildcards the fields that decision depended on.
 *
 * Checksums: IPv4 header, TCP and UDP checksums (including the
 * pseudo-header part for address changes) are updated incrementally,
 * RFC 1624 eqn. 3; a zero UDP checksum (none, RFC 768) stays zero.  L4 is
 * left alone in non-first fragments (no L4 header there).
 *
 * Cost: the common case -- outputs only -- is flagged by last_mod < 0 and
 * runs the plain output loop in the PMD with no per-packet work beyond it.
 *
 * Text form (dump-dp-flows), OVS-like:
 *   drop | ACTION[,ACTION...]
 *   ACTION := PORT | push_vlan([tpid=0x88a8,]vid=V,pcp=P) | pop_vlan
 *           | set(eth(src=MAC)) | set(eth(dst=MAC))
 *           | set(vlan(vid=V)) | set(vlan(pcp=P))
 *           | set(ipv4(src=A)) | set(ipv4(dst=A)) | set(ipv4(ttl=N))
 *           | set(ipv4(tos=0xNN/0xfc))          (DSCP bits only, ECN kept)
 *           | set(tcp(src=N)) | set(tcp(dst=N)) | set(udp(src=N)) | ... */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dp_packet.h"
#include "flow.h"
#include "vhost/compiler.h"

#define DP_ACTIONS_MAX 64
#define DP_ACTIONS_MAX_OUTPUTS DP_ACTIONS_MAX
/* Pushes per list: what the packet headroom holds (dp_packet.h). */
#define DP_ACTIONS_MAX_PUSH (DP_PACKET_HEADROOM / 4)
#define DP_ACTIONS_FORMAT_SIZE 4096 /* enough for any list */

#define DP_ETH_TYPE_VLAN 0x8100   /* IEEE 802.1Q C-tag */
#define DP_ETH_TYPE_QINQ 0x88a8   /* IEEE 802.1ad S-tag */
#define DP_ETH_TYPE_IPV4 0x0800
#define DP_IPPROTO_TCP 6
#define DP_IPPROTO_UDP 17

enum dp_action_type {
    DP_ACTION_OUTPUT,         /* port */
    DP_ACTION_PUSH_VLAN,      /* vlan.tpid, vlan.tci (host byte order) */
    DP_ACTION_POP_VLAN,       /* outer tag, if any */
    DP_ACTION_SET_ETH_SRC,    /* mac */
    DP_ACTION_SET_ETH_DST,    /* mac */
    DP_ACTION_SET_VLAN_VID,   /* u16: 0..4095, outer tag */
    DP_ACTION_SET_VLAN_PCP,   /* u8: 0..7, outer tag */
    DP_ACTION_SET_IPV4_SRC,   /* ipv4 (network byte order) */
    DP_ACTION_SET_IPV4_DST,   /* ipv4 */
    DP_ACTION_SET_IPV4_DSCP,  /* u8: TOS byte with ECN bits 0 */
    DP_ACTION_SET_IPV4_TTL,   /* u8 */
    DP_ACTION_SET_TP_SRC,     /* u16 port (host order), proto TCP/UDP */
    DP_ACTION_SET_TP_DST,     /* u16, proto */
    DP_ACTION_N_TYPES
};

struct dp_action {
    uint8_t type;                   /* enum dp_action_type */
    uint8_t proto;                  /* SET_TP_*: DP_IPPROTO_TCP/UDP */
    union {
        uint32_t port;              /* datapath port number */
        struct {
            uint16_t tpid, tci;
        } vlan;
        uint8_t mac[FLOW_ETH_ALEN];
        rsw_be32 ipv4;
        uint16_t u16;
        uint8_t u8;
    };
};

struct dp_actions {
    uint16_t n;                     /* entries in 'list' */
    uint16_t n_outputs;
    uint16_t n_pushes;
    int16_t last_mod;               /* index of the last non-output, -1 */
    struct dp_action list[DP_ACTIONS_MAX];
};

static inline void
dp_actions_init(struct dp_actions *a)
{
    a->n = 0;
    a->n_outputs = 0;
    a->n_pushes = 0;
    a->last_mod = -1;
}

/* True if the list only outputs (or drops): the PMD's fast case. */
static inline bool
dp_actions_outputs_only(const struct dp_actions *a)
{
    return a->last_mod < 0;
}

/* Appends an output unless the same port is already an output since the
 * last modification (it would get the same frame twice); -ENOSPC. */
int dp_actions_add_output(struct dp_actions *, uint32_t port_no)
    RSW_MUST_CHECK;

/* Appends any action after checking its values: -EINVAL (bad type or
 * value), -ENOSPC (list full), -E2BIG (more than DP_ACTIONS_MAX_PUSH
 * push_vlan). */
int dp_actions_add(struct dp_actions *, const struct dp_action *)
    RSW_MUST_CHECK;

/* Text form (above) into buf, always NUL-terminated; returns buf. */
char *dp_actions_format(const struct dp_actions *, char *buf, size_t size);

/* Parses the text form; 0, or -EINVAL with a one-line reason in 'err'. */
int dp_actions_parse(const char *s, struct dp_actions *, char *err,
                     size_t err_size) RSW_MUST_CHECK;

/* Where execution sends packets. */
struct dp_actions_sink {
    /* Queues 'pkt' for 'port_no'; the pointer must stay valid until the
     * queued packets are sent. */
    void (*output)(void *aux, uint32_t port_no, struct dp_packet *pkt);
    /* A packet buffer that stays valid until it is sent (the PMD's clone
     * pool, which may send what is queued to make room); never NULL. */
    struct dp_packet *(*clone)(void *aux);
    void *aux;
};

/* Runs 'a' on 'pkt' (modified in place), sending it -- or, where actions
 * modify it after an output, a clone in the state of that moment -- to the
 * sink; returns how many outputs it made (0: dropped). */
unsigned dp_actions_execute(const struct dp_actions *, struct dp_packet *pkt,
                            const struct dp_actions_sink *);

/* One action on the frame in 'pkt' (exposed for tests). */
void dp_action_apply(const struct dp_action *, struct dp_packet *pkt);

#endif
