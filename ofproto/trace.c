/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-appctl trace: one packet's walk explained, as ovs-appctl
 * ofproto/trace prints it (ofproto.h). */
#include "xlate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofp_parse.h"

/* A packet is a match with every field it gives; the flow-mod words that
 * are not packet fields would be silently meaningless, so they are
 * refused. */
static int
trace_check_packet(const struct ofp_flow_mod *fm, char *err, size_t size)
{
    const char *word = NULL;

    if (fm->table_id != OFP_TABLE_ALL) {
        word = "table";
    } else if (fm->has_priority) {
        word = "priority";
    } else if (fm->has_cookie) {
        word = "cookie";
    } else if (fm->out_port != OFPP_ANY) {
        word = "out_port";
    }
    if (word) {
        snprintf(err, size, "trace: %s= is not a packet field", word);
        return -EINVAL;
    }
    if (fm->match.wc.masks.in_port != UINT16_MAX
        && fm->match.wc.masks.in_port != UINT32_MAX) {
        snprintf(err, size, "trace: the packet needs in_port=");
        return -EINVAL;
    }
    return 0;
}

/* The datapath key of the described packet (fields not given are 0): the
 * pipeline's "tagged" CFI bit becomes an 802.1Q tag. */
static void
trace_dp_flow(const struct flow *of, uint32_t dp_port, struct flow *dp)
{
    uint16_t tci = ntohs(of->vlans[0].tci);

    *dp = *of;
    dp->in_port = dp_port;
    memset(dp->vlans, 0, sizeof dp->vlans);
    if (tci & OFP_VLAN_CFI) {
        dp->vlans[0].tpid = htons(DP_ETH_TYPE_VLAN);
        dp->vlans[0].tci = htons((uint16_t) (tci & ~OFP_VLAN_CFI));
    }
}

/* "Megaflow: ..." in match syntax (key and mask, pipeline view). */
static void
trace_megaflow(struct ofp_text *t, const struct flow *dp, uint32_t ofport,
               const struct flow_wc *wc)
{
    char *buf = malloc(OFP_MATCH_FORMAT_SIZE);
    struct ofp_match m;

    ofp_flow_from_dp(dp, &m.flow);
    m.flow.in_port = ofport;
    m.wc = *wc;
    m.wc.masks.in_port = UINT16_MAX;
    if (wc->masks.vlans[0].tpid) {
        m.wc.masks.vlans[0].tci |= htons(OFP_VLAN_CFI);
    }
    flow_zero_wildcards(&m.flow, &m.wc);
    if (buf) {
        ofp_match_format(&m, buf, OFP_MATCH_FORMAT_SIZE);
        ofp_text_printf(t, "Megaflow: %s\n", buf[0] ? buf : "(any)");
    }
    free(buf);
}

static void
trace_walk(struct ofproto *ofproto, struct ofproto_bridge *b,
           const struct ofproto_port *in, const struct flow *dp,
           struct ofp_text *t)
{
    char buf[DP_ACTIONS_FORMAT_SIZE];
    struct xlate_out out;
    struct flow shown = *dp;
    int err;

    shown.in_port = in->ofport;
    ofp_text_printf(t, "Flow: %s\n\nbridge(\"%s\")\n-------------\n",
                    flow_format(&shown, buf, sizeof buf), b->name);
    err = xlate_packet(ofproto, b, dp, in->ofport, false, t, &out);

    if (err) {
        ofp_text_printf(t, "Translation failed: %s: the packet is dropped\n",
                        xlate_strerror(err));
    }
    trace_megaflow(t, dp, in->ofport, &out.wc);
    ofp_text_printf(t, "Datapath actions: %s\n",
                    dp_actions_format(&out.actions, buf, sizeof buf));
}

int
ofproto_trace(struct ofproto *ofproto, const char *br, const char *packet,
              char **report, char *err, size_t err_size)
{
    struct ofproto_resolver res = {.ofproto = ofproto, .br = br};
    struct ofp_text text = {.buf = NULL};
    const struct ofproto_port *in;
    struct ofproto_bridge *b;
    struct ofp_flow_mod *fm;
    struct flow dp;
    int e;

    *report = NULL;
    if (!ofproto_has_bridge(ofproto, br)) {
        snprintf(err, err_size, "no bridge named %s", br);
        return -ENOENT;
    }
    fm = malloc(sizeof *fm);
    if (!fm) {
        return -ENOMEM;
    }
    /* Parsed before locking: the port-name resolver takes the mutex. */
    e = ofp_flow_mod_parse(packet, OFP_PARSE_MATCH, ofproto_resolve_port,
                           &res, fm, err, err_size);
    if (!e) {
        e = trace_check_packet(fm, err, err_size);
    }
    if (e) {
        free(fm);
        return e;
    }
    pthread_mutex_lock(&ofproto->mutex);
    b = ofproto_bridge_find(ofproto, br);
    in = b ? ofproto_port_by_ofport(b, fm->match.flow.in_port) : NULL;
    if (!b) {
        snprintf(err, err_size, "no bridge named %s", br);
        e = -ENOENT;
    } else if (!in) {
        snprintf(err, err_size, "trace: in_port=%" PRIu32 " is not a port "
                 "of bridge %s", fm->match.flow.in_port, br);
        e = -EINVAL;
    } else {
        trace_dp_flow(&fm->match.flow, in->dp_port, &dp);
        trace_walk(ofproto, b, in, &dp, &text);
    }
    pthread_mutex_unlock(&ofproto->mutex);
    free(fm);
    if (!e && text.truncated) {
        snprintf(err, err_size, "trace: out of memory");
        e = -ENOMEM;
    }
    if (e) {
        ofp_text_free(&text);
        return e;
    }
    *report = text.buf;
    return 0;
}
