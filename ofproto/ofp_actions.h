/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RSW_OFP_ACTIONS_H
#define RSW_OFP_ACTIONS_H 1

/* OpenFlow actions and instructions, as ovs-ofctl writes them.
 *
 *   actions=drop | ACTION[,ACTION...]
 *   ACTION := output:PORT | PORT | in_port | normal | flood | all | local
 *           | mod_dl_src:MAC | mod_dl_dst:MAC | mod_vlan_vid:VID
 *           | mod_vlan_pcp:PCP | strip_vlan | pop_vlan | push_vlan:TPID
 *           | mod_nw_src:IP | mod_nw_dst:IP | mod_nw_tos:TOS
 *           | mod_nw_ttl:TTL | mod_tp_src:PORT | mod_tp_dst:PORT | dec_ttl
 *           | set_field:VALUE[/MASK]->FIELD
 *           | load:VALUE->DST[START..END] | move:SRC[A..B]->DST[C..D]
 *           | resubmit:PORT | resubmit([PORT],[TABLE]) | goto_table:T
 *           | write_metadata:VALUE[/MASK]
 *
 * (ovs-actions(7).)  Parsed into a flat list of 'struct ofp_action'; the
 * ovs-ofctl spellings that are synonyms become one canonical action
 * (mod_dl_src:M is set_field:M->eth_src, "2" is output:2, pop_vlan is
 * strip_vlan) so the formatter prints the canonical form, as ovs-ofctl's
 * dump-flows does.  Semantics (applied in order, to the packet as the
 * actions before left it; OpenFlow 1.0 meaning for mod_vlan_*):
 *   - mod_vlan_vid / mod_vlan_pcp rewrite the outer tag, or push an 802.1Q
 *     tag (VID 0 / PCP 0 for the other part) on an untagged packet;
 *   - set_field on a VLAN field of an untagged packet does nothing
 *     (OpenFlow 1.3 prerequisites);
 *   - goto_table must be the last action and go to a higher table
 *     (OpenFlow 1.3 §5.1: the pipeline only moves forward); resubmit may
 *     go anywhere, bounded by the translation's depth limit;
 *   - write_metadata and goto_table are OpenFlow instructions, run after
 *     the action list in that order (OpenFlow 1.3 §5.9), so the parser
 *     takes each at most once and only at the end ("...,write_metadata:1,
 *     goto_table:2"), where applying the list in order means the same;
 *   - an empty list, or "drop", drops.
 * Refused with a one-line reason quoting the word: unknown actions,
 * "controller" (there is no controller), bad values, set_field/load/move on
 * a field the datapath cannot write, a bit range outside the field,
 * move with different widths, drop mixed with other actions. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ofp_field.h"
#include "vhost/compiler.h"

#define OFP_ACTIONS_MAX 64
#define OFP_ACTIONS_FORMAT_SIZE 4096

/* Reserved OpenFlow port numbers (OpenFlow 1.0 §5.2.1, 16-bit). */
#define OFPP_MAX        0xff00u  /* last physical port is 0xfeff = 65279 */
#define OFPP_IN_PORT    0xfff8u
#define OFPP_TABLE      0xfff9u
#define OFPP_NORMAL     0xfffau
#define OFPP_FLOOD      0xfffbu
#define OFPP_ALL        0xfffcu
#define OFPP_CONTROLLER 0xfffdu
#define OFPP_LOCAL      0xfffeu
#define OFPP_ANY        0xffffu  /* "none": out_port filter unset */
#define OFP_TABLE_CURRENT 0xff   /* resubmit(port,) stays in the table */

enum ofp_action_type {
    OFPACT_OUTPUT,          /* port: 1..65279 or OFPP_IN_PORT/NORMAL/FLOOD/
                               ALL/LOCAL */
    OFPACT_SET_FIELD,       /* field, value, mask (also mod_dl_src...) */
    OFPACT_SET_VLAN_VID,    /* u16 vid: OF 1.0, pushes a tag if none */
    OFPACT_SET_VLAN_PCP,    /* u8 pcp: likewise */
    OFPACT_STRIP_VLAN,      /* pop the outer tag, if any */
    OFPACT_PUSH_VLAN,       /* u16 tpid (0x8100 or 0x88a8) */
    OFPACT_DEC_TTL,         /* IPv4 TTL / IPv6 hop limit; drop at 0 */
    OFPACT_LOAD,            /* dst subfield = value */
    OFPACT_MOVE,            /* dst subfield = src subfield */
    OFPACT_RESUBMIT,        /* port (OFPP_IN_PORT: unchanged), table
                               (OFP_TABLE_CURRENT: this one) */
    OFPACT_GOTO_TABLE,      /* table */
    OFPACT_WRITE_METADATA,  /* value, mask (u64) */
    OFPACT_N_TYPES
};

/* Bits [ofs, ofs + n_bits) of a field; bit 0 is the least significant. */
struct ofp_subfield {
    const struct ofp_field *field;
    uint16_t ofs, n_bits;
};

struct ofp_action {
    uint8_t type;           /* enum ofp_action_type */
    union {
        uint32_t port;                        /* OUTPUT */
        struct {                              /* SET_FIELD */
            const struct ofp_field *field;
            union ofp_value value, mask;
        } set;
        uint16_t vid;                         /* SET_VLAN_VID */
        uint8_t pcp;                          /* SET_VLAN_PCP */
        uint16_t tpid;                        /* PUSH_VLAN */
        struct {                              /* LOAD */
            struct ofp_subfield dst;
            union ofp_value value;            /* right-aligned, n_bits */
        } load;
        struct {                              /* MOVE */
            struct ofp_subfield src, dst;
        } move;
        struct {                              /* RESUBMIT */
            uint32_t port;
            uint8_t table;
        } resubmit;
        uint8_t table;                        /* GOTO_TABLE */
        struct {                              /* WRITE_METADATA */
            uint64_t value, mask;
        } metadata;
    };
};

/* Parses the text after "actions=" (up to the end of 's').  Port names are
 * resolved by 'resolve' (NULL: refused).  0, or -EINVAL with a one-line
 * reason; -E2BIG over 'max' actions. */
typedef int ofp_port_resolve_fn(void *aux, const char *name,
                                uint32_t *ofport);
int ofp_actions_parse(const char *s, ofp_port_resolve_fn *resolve,
                      void *aux, struct ofp_action *out, unsigned max,
                      unsigned *n, char *err, size_t err_size)
    RSW_MUST_CHECK;

/* Checks a parsed list against the table it goes into: goto_table to a
 * higher table and last.  0 or -EINVAL with a reason. */
int ofp_actions_check(const struct ofp_action *, unsigned n,
                      uint8_t table_id, char *err, size_t err_size)
    RSW_MUST_CHECK;

/* Canonical text, as ovs-ofctl dump-flows prints it ("drop" when empty):
 * output:2, NORMAL, FLOOD, ALL, IN_PORT, LOCAL, mod_vlan_vid:10,
 * mod_vlan_pcp:3, strip_vlan, push_vlan:0x8100, dec_ttl,
 * set_field:00:11:22:33:44:55->eth_src, load:0x1->NXM_NX_REG0[0..15],
 * move:NXM_OF_IN_PORT[]->NXM_NX_REG1[0..15], resubmit(,2), resubmit:3,
 * goto_table:2, write_metadata:0x1/0xff.  mod_nw_tos:184 prints as
 * set_field:46->ip_dscp, resubmit(in_port,) as resubmit:IN_PORT.  Too
 * small a buffer truncates (always NUL-terminated).  Returns buf. */
char *ofp_actions_format(const struct ofp_action *, unsigned n, char *buf,
                         size_t size);

bool ofp_actions_equal(const struct ofp_action *, unsigned n_a,
                       const struct ofp_action *, unsigned n_b);
/* True if some action outputs to 'port' (out_port filters, OF 1.3 §6.4);
 * always true for OFPP_ANY (no filter). */
bool ofp_actions_output_to(const struct ofp_action *, unsigned n,
                           uint32_t port);

#endif
