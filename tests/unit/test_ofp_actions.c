/* SPDX-License-Identifier: Apache-2.0 */
/* ofp_actions: every action's parse/format round trip, the ovs-ofctl
 * synonyms reduced to one canonical action, malformed input refused with
 * a message naming the word, limits, check, equal, output_to. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ofproto/ofp_actions.h"

struct parsed {
    struct ofp_action acts[OFP_ACTIONS_MAX];
    unsigned n;
    char err[256];
};

/* Resolves "vm1" -> 5, "vm2" -> 6; anything else is unknown. */
static int
resolve_vm(void *aux, const char *name, uint32_t *port)
{
    (void) aux;
    if (!strcmp(name, "vm1") || !strcmp(name, "vm2")) {
        *port = name[2] == '1' ? 5 : 6;
        return 0;
    }
    return -ENOENT;
}

static int
parse(const char *s, struct parsed *p)
{
    memset(p, 0xa5, sizeof p->acts);       /* no reliance on zeroed input */
    p->err[0] = '\0';
    return ofp_actions_parse(s, resolve_vm, NULL, p->acts, OFP_ACTIONS_MAX,
                             &p->n, p->err, sizeof p->err);
}

static void
parse_ok(const char *s, struct parsed *p)
{
    int error = parse(s, p);

    if (error) {
        fail_msg("'%s' refused: %s", s, p->err);
    }
}

/* ---- Round trips -------------------------------------------------------- */

struct round_trip {
    const char *in;
    const char *canonical;
};

static const struct round_trip round_trips[] = {
    {"output:2", "output:2"},
    {"output=65279", "output:65279"},
    {"normal", "NORMAL"},
    {"flood", "FLOOD"},
    {"all", "ALL"},
    {"local", "LOCAL"},
    {"in_port", "IN_PORT"},
    {"output:LOCAL", "LOCAL"},
    {"mod_vlan_vid:10", "mod_vlan_vid:10"},
    {"mod_vlan_vid:0", "mod_vlan_vid:0"},
    {"mod_vlan_vid:4095", "mod_vlan_vid:4095"},
    {"mod_vlan_pcp:3", "mod_vlan_pcp:3"},
    {"mod_vlan_pcp:7", "mod_vlan_pcp:7"},
    {"strip_vlan", "strip_vlan"},
    {"push_vlan:0x8100", "push_vlan:0x8100"},
    {"push_vlan:0x88a8", "push_vlan:0x88a8"},
    {"dec_ttl", "dec_ttl"},
    {"set_field:00:11:22:33:44:55->eth_src",
     "set_field:00:11:22:33:44:55->eth_src"},
    {"set_field:aa:bb:cc:dd:ee:ff->dl_dst",
     "set_field:aa:bb:cc:dd:ee:ff->eth_dst"},
    {"set_field:10.1.2.3->ip_dst", "set_field:10.1.2.3->ip_dst"},
    {"set_field:10.0.0.0/8->nw_src", "set_field:10.0.0.0/8->ip_src"},
    {"set_field:443->tp_dst", "set_field:443->tp_dst"},
    {"set_field:0x5->reg0", "set_field:0x5->reg0"},
    {"set_field:0x5/0xf->reg7", "set_field:0x5/0xf->reg7"},
    {"set_field:0x10/0xff->metadata", "set_field:0x10/0xff->metadata"},
    {"set_field:4196->vlan_vid", "set_field:4196->vlan_vid"},
    {"set_field:0x1064->vlan_vid", "set_field:4196->vlan_vid"},
    {"set_field:100->dl_vlan", "set_field:100->dl_vlan"},
    {"set_field:5->vlan_pcp", "set_field:5->vlan_pcp"},
    {"set_field:46->ip_dscp", "set_field:46->ip_dscp"},
    {"set_field:7->in_port", "set_field:7->in_port"},
    {"load:0x1->NXM_NX_REG0[0..15]", "load:0x1->NXM_NX_REG0[0..15]"},
    {"load:1->reg0[]", "load:0x1->NXM_NX_REG0[]"},
    {"load:1->reg3[5]", "load:0x1->NXM_NX_REG3[5]"},
    {"load:0xffffffffffffffff->metadata[]",
     "load:0xffffffffffffffff->OXM_OF_METADATA[]"},
    {"load:0x0a000001->NXM_OF_IP_SRC[]", "load:0xa000001->NXM_OF_IP_SRC[]"},
    {"load:0x001122334455->NXM_OF_ETH_DST[]",
     "load:0x1122334455->NXM_OF_ETH_DST[]"},
    {"load:0->NXM_OF_VLAN_TCI[]", "load:0x0->NXM_OF_VLAN_TCI[]"},
    {"move:NXM_OF_IN_PORT[]->NXM_NX_REG1[0..15]",
     "move:NXM_OF_IN_PORT[]->NXM_NX_REG1[0..15]"},
    {"move:reg0[0..7]->reg1[8..15]",
     "move:NXM_NX_REG0[0..7]->NXM_NX_REG1[8..15]"},
    {"move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]",
     "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]"},
    {"move:reg2[31]->reg2[0]", "move:NXM_NX_REG2[31]->NXM_NX_REG2[0]"},
    {"resubmit:3", "resubmit:3"},
    {"resubmit(,2)", "resubmit(,2)"},
    {"resubmit(3,2)", "resubmit(3,2)"},
    {"resubmit(3,)", "resubmit:3"},
    {"resubmit(in_port,)", "resubmit:IN_PORT"},
    {"resubmit:local", "resubmit:LOCAL"},
    {"resubmit(LOCAL,0)", "resubmit(LOCAL,0)"},
    {"goto_table:2", "goto_table:2"},
    {"goto_table:254", "goto_table:254"},
    {"write_metadata:0x1/0xff", "write_metadata:0x1/0xff"},
    {"write_metadata:5", "write_metadata:0x5"},
    {"write_metadata:0x3/0x1", "write_metadata:0x1/0x1"},
    {"drop", "drop"},
    {"", "drop"},
    {"DROP", "drop"},
    {"output:1 output:2", "output:1,output:2"},
    {" output:1 , output:2 ,", "output:1,output:2"},
    {"mod_vlan_vid:10,resubmit(,2),output:1,write_metadata:0x1/0xff,"
     "goto_table:3", "mod_vlan_vid:10,resubmit(,2),output:1,"
     "write_metadata:0x1/0xff,goto_table:3"},
    {"push_vlan:0x8100,mod_vlan_vid:20,set_field:5->vlan_pcp,output:4",
     "push_vlan:0x8100,mod_vlan_vid:20,set_field:5->vlan_pcp,output:4"},
};

static void
test_round_trips(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof round_trips / sizeof round_trips[0]; i++) {
        const struct round_trip *rt = &round_trips[i];
        char text[OFP_ACTIONS_FORMAT_SIZE], again[OFP_ACTIONS_FORMAT_SIZE];
        struct parsed a, b;

        parse_ok(rt->in, &a);
        ofp_actions_format(a.acts, a.n, text, sizeof text);
        if (strcmp(text, rt->canonical)) {
            fail_msg("'%s' printed as '%s', want '%s'", rt->in, text,
                     rt->canonical);
        }
        parse_ok(text, &b);
        assert_true(ofp_actions_equal(a.acts, a.n, b.acts, b.n));
        ofp_actions_format(b.acts, b.n, again, sizeof again);
        assert_string_equal(again, text);
        assert_int_equal(ofp_actions_check(a.acts, a.n, 0, a.err,
                                           sizeof a.err), 0);
    }
}

/* ---- Synonyms ----------------------------------------------------------- */

static const struct round_trip synonyms[] = {
    {"2", "output:2"},
    {"2,3", "output:2,output:3"},
    {"NORMAL", "output:normal"},
    {"In_Port", "output:IN_PORT"},
    {"pop_vlan", "strip_vlan"},
    {"mod_dl_src:00:11:22:33:44:55", "set_field:00:11:22:33:44:55->eth_src"},
    {"mod_dl_dst:00:11:22:33:44:55", "set_field:00:11:22:33:44:55->dl_dst"},
    {"mod_nw_src:10.0.0.1", "set_field:10.0.0.1->ip_src"},
    {"mod_nw_dst:192.168.0.1", "set_field:192.168.0.1->nw_dst"},
    {"mod_tp_src:80", "set_field:80->tp_src"},
    {"mod_tp_dst:0x50", "set_field:80->tcp_dst"},
    {"mod_nw_ttl:9", "set_field:9->nw_ttl"},
    {"mod_nw_tos:16", "set_field:4->ip_dscp"},
    {"mod_nw_tos:252", "set_field:63->ip_dscp"},
    {"push_vlan:33024", "push_vlan:0x8100"},
    {"resubmit(3,)", "resubmit:3"},
    {"resubmit(in_port,4)", "resubmit(,4)"},
    {"load:1->reg0[]", "load:0x1->NXM_NX_REG0[0..31]"},
    {"load:1->reg0", "load:0x1->reg0[]"},
    {"move:NXM_OF_IN_PORT[]->reg1[0..15]",
     "move:in_port[0..15]->NXM_NX_REG1[0..15]"},
    {"output:vm1", "output:5"},
    {"vm2", "output:6"},
    {"resubmit(vm1,1)", "resubmit(5,1)"},
    {"", "drop"},
};

static void
test_synonyms(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof synonyms / sizeof synonyms[0]; i++) {
        char ta[OFP_ACTIONS_FORMAT_SIZE], tb[OFP_ACTIONS_FORMAT_SIZE];
        struct parsed a, b;

        parse_ok(synonyms[i].in, &a);
        parse_ok(synonyms[i].canonical, &b);
        ofp_actions_format(a.acts, a.n, ta, sizeof ta);
        ofp_actions_format(b.acts, b.n, tb, sizeof tb);
        if (!ofp_actions_equal(a.acts, a.n, b.acts, b.n) || strcmp(ta, tb)) {
            fail_msg("'%s' (%s) != '%s' (%s)", synonyms[i].in, ta,
                     synonyms[i].canonical, tb);
        }
    }
}

/* The canonical action behind each synonym, field by field. */
static void
test_synonym_contents(void **state)
{
    struct parsed p;

    (void) state;
    parse_ok("mod_nw_tos:184", &p);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.acts[0].type, OFPACT_SET_FIELD);
    assert_ptr_equal(p.acts[0].set.field, ofp_field_by_id(OFPF_IP_DSCP));
    assert_int_equal(p.acts[0].set.value.u8[15], 46);    /* EF, ECN kept */

    parse_ok("mod_dl_src:00:11:22:33:44:55", &p);
    assert_ptr_equal(p.acts[0].set.field, ofp_field_by_id(OFPF_DL_SRC));
    assert_memory_equal(&p.acts[0].set.value.u8[10],
                        "\x00\x11\x22\x33\x44\x55", 6);

    parse_ok("normal,flood,all,local,in_port,7", &p);
    assert_int_equal(p.n, 6);
    uint32_t want[] = {OFPP_NORMAL, OFPP_FLOOD, OFPP_ALL, OFPP_LOCAL,
                       OFPP_IN_PORT, 7};
    for (unsigned i = 0; i < 6; i++) {
        assert_int_equal(p.acts[i].type, OFPACT_OUTPUT);
        assert_int_equal(p.acts[i].port, want[i]);
    }

    parse_ok("resubmit(,2),resubmit:4", &p);
    assert_int_equal(p.acts[0].resubmit.port, OFPP_IN_PORT);
    assert_int_equal(p.acts[0].resubmit.table, 2);
    assert_int_equal(p.acts[1].resubmit.port, 4);
    assert_int_equal(p.acts[1].resubmit.table, OFP_TABLE_CURRENT);

    parse_ok("load:0xabc->reg1[4..15],move:reg1[0..7]->reg2[8..15]", &p);
    assert_ptr_equal(p.acts[0].load.dst.field, ofp_field_by_id(OFPF_REG1));
    assert_int_equal(p.acts[0].load.dst.ofs, 4);
    assert_int_equal(p.acts[0].load.dst.n_bits, 12);
    assert_int_equal(p.acts[0].load.value.u8[14], 0x0a);
    assert_int_equal(p.acts[0].load.value.u8[15], 0xbc);
    assert_int_equal(p.acts[1].move.src.ofs, 0);
    assert_int_equal(p.acts[1].move.dst.ofs, 8);
    assert_int_equal(p.acts[1].move.dst.n_bits, 8);

    parse_ok("write_metadata:0xf0/0xff", &p);
    assert_int_equal(p.acts[0].metadata.value, 0xf0);
    assert_int_equal(p.acts[0].metadata.mask, 0xff);
}

/* ---- Malformed input ---------------------------------------------------- */

struct bad {
    const char *in;
    const char *msg;            /* substring of the message */
};

static const struct bad bads[] = {
    {"foo", "unknown action 'foo'"},
    {"learn(table=1,NXM_OF_VLAN_TCI[0..11])", "unknown action 'learn'"},
    {"output:1,bogus:3", "unknown action 'bogus'"},
    {"controller", "'controller': there is no controller"},
    {"controller:100", "no controller"},
    {"controller(reason=no_match)", "no controller"},
    {"output:CONTROLLER", "'output:CONTROLLER': there is no controller"},
    {"output:0", "'output:0': port 0 is not 1..65279"},
    {"output:65280", "port 65280 is not 1..65279"},
    {"output:99999999999", "is not 1..65279"},
    {"output:", "'output:': want output:PORT"},
    {"output", "'output': want output:PORT"},
    {"output:TABLE", "port TABLE is not allowed here"},
    {"output:ANY", "port ANY is not allowed here"},
    {"output:vm9", "unknown port 'vm9'"},
    {"vm9", "unknown action 'vm9'"},
    {"output(port=1,max_len=100)", "want output:PORT"},
    {"normal:1", "'normal:1': want normal"},
    {"strip_vlan:1", "want strip_vlan"},
    {"dec_ttl(1,2)", "'dec_ttl(1,2)': want dec_ttl"},
    {"mod_vlan_vid:4096", "'mod_vlan_vid:4096': VLAN VID must be 0..4095"},
    {"mod_vlan_vid:-1", "VLAN VID must be 0..4095"},
    {"mod_vlan_vid", "want mod_vlan_vid:VID"},
    {"mod_vlan_pcp:8", "'mod_vlan_pcp:8': VLAN PCP must be 0..7"},
    {"set_field:100->vlan_vid", "'set_field:100->vlan_vid': a vlan_vid value "
     "needs the OFPVID_PRESENT bit 0x1000 (set_field:4196->vlan_vid sets VID "
     "100; strip_vlan removes a tag)"},
    {"set_field:0x2000->vlan_vid", "vlan_vid: 0x2000 is out of range (max 8191)"},
    {"mod_nw_tos:17", "'mod_nw_tos:17': not a valid TOS"},
    {"mod_nw_tos:256", "not a valid TOS"},
    {"push_vlan:0x8847", "'push_vlan:0x8847': TPID must be 0x8100 or 0x88a8"},
    {"mod_dl_src:00:11:22:33:44", "'mod_dl_src:00:11:22:33:44': dl_src"},
    {"mod_nw_src:10.0.0.300", "'mod_nw_src:10.0.0.300': nw_src"},
    {"mod_nw_src:10.0.0.0/8", "want mod_nw_src:IP"},
    {"mod_tp_dst:65536", "'mod_tp_dst:65536': tp_dst"},
    {"mod_nw_ttl:256", "'mod_nw_ttl:256': nw_ttl"},
    {"set_field:1->nw_proto", "field nw_proto cannot be written"},
    {"set_field:6->ip_proto", "field nw_proto cannot be written"},
    {"set_field:0x800->dl_type", "field dl_type cannot be written"},
    {"set_field:1->bogus", "unknown field 'bogus'"},
    {"set_field:1", "want set_field:VALUE[/MASK]->FIELD"},
    {"set_field:->reg0", "'set_field:->reg0': missing or overlong value"},
    {"set_field:0x100000000->reg0", "'set_field:0x100000000->reg0': reg0"},
    {"set_field:1/1->nw_ttl", "nw_ttl"},
    {"load:1->reg0[0..32]", "bits 0..32 are outside reg0 (32 bits)"},
    {"load:1->reg0[5..3]", "bits 5..3 are outside reg0"},
    {"load:1->reg0[32]", "bits 32..32 are outside reg0"},
    {"load:0x10000->reg0[0..15]", "value does not fit in 16 bits"},
    {"load:2->reg0[3]", "value does not fit in 1 bits"},
    {"load:1->ipv6_src[]", "field ipv6_src cannot be written"},
    {"load:x->reg0[]", "'x' is not a number"},
    {"load:-1->reg0[]", "'-1' is not a number"},
    {"load:1->reg0[a]", "want reg0[], reg0[BIT] or reg0[START..END]"},
    {"load:1->reg0[0..1", "want reg0[]"},
    {"load:1->nosuch[]", "unknown field 'nosuch'"},
    {"load:1", "want load:VALUE->FIELD[START..END]"},
    {"move:reg0[0..7]->reg1[0..15]", "source has 8 bits, destination 16"},
    {"move:reg0[]->nw_proto[]", "field nw_proto cannot be written"},
    {"move:reg0[]", "want move:SRC[A..B]->DST[C..D]"},
    {"drop,output:1", "'drop' must be the only action (also 'output:1')"},
    {"output:1,drop", "'drop' must be the only action"},
    {"resubmit(,2),drop", "(also 'resubmit(,2)')"},
    {"drop:1", "'drop:1': drop takes no argument"},
    {"resubmit(,)", "'resubmit(,)': give a port, a table or both"},
    {"resubmit(,255)", "'resubmit(,255)': table must be 0..254"},
    {"resubmit(1,2,3)", "want resubmit:PORT or resubmit([PORT],[TABLE])"},
    {"resubmit(2)", "want resubmit:PORT"},
    {"resubmit", "want resubmit:PORT"},
    {"resubmit:NORMAL", "port NORMAL is not allowed here"},
    {"resubmit(,2", "unbalanced parentheses"},
    {"resubmit(,2)x", "'resubmit(,2)x': want ',' after ')'"},
    {"set_field:0x3->nw_tos", "value has bits outside nw_tos"},
    {"set_field:4->nw_tos,output:1,resubmit(,2", "'resubmit(,2': unbalanced"},
    {"output:1)", "unbalanced parentheses"},
    {"goto_table:255", "'goto_table:255': table must be 0..254"},
    {"goto_table:x", "table must be 0..254"},
    {"goto_table:1,output:2", "'output:2': goto_table must be the last"},
    {"goto_table:1,goto_table:2", "goto_table must be the last action"},
    {"write_metadata:1,output:2", "write_metadata may only be followed by "
     "goto_table"},
    {"write_metadata:1,write_metadata:2", "write_metadata may only"},
    {"write_metadata:0x10000000000000000", "want 64-bit VALUE[/MASK]"},
    {"write_metadata:1/", "want 64-bit VALUE[/MASK]"},
    {":2", "missing action name"},
    {"(1)", "missing action name"},
};

static void
test_malformed(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        struct parsed p;
        int error = parse(bads[i].in, &p);

        if (error != -EINVAL || !strstr(p.err, bads[i].msg)
            || strchr(p.err, '\n') || p.n) {
            fail_msg("'%s': error %d n %u message '%s', want '%s'",
                     bads[i].in, error, p.n, p.err, bads[i].msg);
        }
    }
}

/* A tiny message buffer truncates, never overflows; none at all works. */
static void
test_small_error_buffer(void **state)
{
    struct ofp_action acts[4];
    char err[8];
    unsigned n = 7;

    (void) state;
    memset(err, 'x', sizeof err);
    assert_int_equal(ofp_actions_parse("bogus_action_name", NULL, NULL, acts,
                                       4, &n, err, sizeof err), -EINVAL);
    assert_int_equal(strlen(err), sizeof err - 1);
    assert_int_equal(n, 0);
    assert_int_equal(ofp_actions_parse("output:0", NULL, NULL, acts, 4, &n,
                                       NULL, 0), -EINVAL);
    /* No resolver: names are refused. */
    assert_int_equal(ofp_actions_parse("output:vm1", NULL, NULL, acts, 4, &n,
                                       err, sizeof err), -EINVAL);
}

/* ---- Limits ------------------------------------------------------------- */

static void
test_limits(void **state)
{
    char text[OFP_ACTIONS_FORMAT_SIZE], err[128];
    struct ofp_action acts[OFP_ACTIONS_MAX + 1];
    size_t used = 0;
    unsigned n;

    (void) state;
    for (unsigned i = 1; i <= OFP_ACTIONS_MAX; i++) {
        used += (size_t) snprintf(text + used, sizeof text - used, "%s%u",
                                  i > 1 ? "," : "", i);
    }
    assert_int_equal(ofp_actions_parse(text, NULL, NULL, acts,
                                       OFP_ACTIONS_MAX, &n, err, sizeof err),
                     0);
    assert_int_equal(n, OFP_ACTIONS_MAX);
    assert_int_equal(acts[OFP_ACTIONS_MAX - 1].port, OFP_ACTIONS_MAX);

    snprintf(text + used, sizeof text - used, ",65");
    assert_int_equal(ofp_actions_parse(text, NULL, NULL, acts,
                                       OFP_ACTIONS_MAX, &n, err, sizeof err),
                     -E2BIG);
    assert_non_null(strstr(err, "'65': more than 64 actions"));
    assert_int_equal(n, 0);

    assert_int_equal(ofp_actions_parse("1,2,3", NULL, NULL, acts, 2, &n, err,
                                       sizeof err), -E2BIG);
    assert_non_null(strstr(err, "more than 2 actions"));
    assert_int_equal(ofp_actions_parse("1,2", NULL, NULL, acts, 2, &n, err,
                                       sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ofp_actions_parse("drop", NULL, NULL, acts, 0, &n, err,
                                       sizeof err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(ofp_actions_parse("1", NULL, NULL, acts, 0, &n, err,
                                       sizeof err), -E2BIG);

    /* The widest values: 128-bit hex is refused only for width. */
    assert_int_equal(ofp_actions_parse(
        "load:0xffffffffffffffffffffffffffffffffff->reg0[]", NULL, NULL,
        acts, 4, &n, err, sizeof err), -EINVAL);
    assert_int_equal(ofp_actions_parse(
        "load:18446744073709551616->metadata[]", NULL, NULL, acts, 4, &n,
        err, sizeof err), -EINVAL);
    assert_int_equal(ofp_actions_parse(
        "load:18446744073709551615->metadata[]", NULL, NULL, acts, 4, &n,
        err, sizeof err), 0);
}

/* Formatting into short buffers truncates and stays terminated. */
static void
test_format_truncation(void **state)
{
    struct parsed p;
    char small[10], full[OFP_ACTIONS_FORMAT_SIZE];

    (void) state;
    parse_ok("set_field:00:11:22:33:44:55->eth_src,output:1", &p);
    ofp_actions_format(p.acts, p.n, full, sizeof full);
    for (size_t size = 1; size <= sizeof small; size++) {
        memset(small, 'x', sizeof small);
        ofp_actions_format(p.acts, p.n, small, size);
        assert_int_equal(strlen(small), size - 1);
        assert_memory_equal(small, full, size - 1);
    }
    assert_ptr_equal(ofp_actions_format(p.acts, 0, small, sizeof small),
                     small);
    assert_string_equal(small, "drop");

    /* 64 of the longest actions still fit the documented buffer. */
    char text[8192];
    size_t used = 0;
    for (unsigned i = 0; i < OFP_ACTIONS_MAX; i++) {
        used += (size_t) snprintf(text + used, sizeof text - used,
                                  "%sset_field:0x%x/0xffffff->metadata",
                                  i ? "," : "", i);
    }
    parse_ok(text, &p);
    ofp_actions_format(p.acts, p.n, full, sizeof full);
    assert_true(strlen(full) < sizeof full - 1);
}

/* ---- check, equal, output_to -------------------------------------------- */

static void
test_check(void **state)
{
    struct parsed p;
    char err[256];

    (void) state;
    parse_ok("output:1,goto_table:3", &p);
    assert_int_equal(ofp_actions_check(p.acts, p.n, 0, err, sizeof err), 0);
    assert_int_equal(ofp_actions_check(p.acts, p.n, 2, err, sizeof err), 0);
    assert_int_equal(ofp_actions_check(p.acts, p.n, 3, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "'goto_table:3' in table 3: the pipeline "
                           "only moves forward"));
    assert_int_equal(ofp_actions_check(p.acts, p.n, 200, err, sizeof err),
                     -EINVAL);

    /* resubmit goes anywhere: back, same table, current. */
    parse_ok("resubmit(,0),resubmit(,5),resubmit:2", &p);
    assert_int_equal(ofp_actions_check(p.acts, p.n, 5, err, sizeof err), 0);

    /* Lists built by code: goto_table not last, bad values. */
    struct ofp_action acts[3];
    memset(acts, 0, sizeof acts);
    acts[0].type = OFPACT_GOTO_TABLE;
    acts[0].table = 4;
    acts[1].type = OFPACT_OUTPUT;
    acts[1].port = 1;
    assert_int_equal(ofp_actions_check(acts, 2, 0, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "action 2 'output:1': goto_table must be "
                           "the last action"));
    acts[0].type = OFPACT_SET_VLAN_VID;
    acts[0].vid = 5000;
    assert_int_equal(ofp_actions_check(acts, 2, 0, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "action 1 'mod_vlan_vid:5000': invalid"));
    acts[0].vid = 10;
    acts[1].port = 0;
    assert_int_equal(ofp_actions_check(acts, 2, 0, err, sizeof err),
                     -EINVAL);
    acts[1].port = OFPP_CONTROLLER;
    assert_int_equal(ofp_actions_check(acts, 2, 0, err, sizeof err),
                     -EINVAL);
    acts[1].port = OFPP_FLOOD;
    assert_int_equal(ofp_actions_check(acts, 2, 0, err, sizeof err), 0);
    acts[2].type = OFPACT_N_TYPES;
    assert_int_equal(ofp_actions_check(acts, 3, 0, err, sizeof err),
                     -EINVAL);
    assert_int_equal(ofp_actions_check(acts, 0, 0, err, sizeof err), 0);
}

static void
test_equal(void **state)
{
    struct parsed a, b;

    (void) state;
    parse_ok("output:1,output:2", &a);
    parse_ok("output:1", &b);
    assert_false(ofp_actions_equal(a.acts, a.n, b.acts, b.n));
    parse_ok("output:2,output:1", &b);
    assert_false(ofp_actions_equal(a.acts, a.n, b.acts, b.n));
    assert_true(ofp_actions_equal(a.acts, 0, b.acts, 0));

    static const char *const distinct[] = {
        "set_field:1->reg0", "set_field:2->reg0", "set_field:1->reg1",
        "set_field:1/0x1->reg0", "load:1->reg0[]", "load:1->reg0[0..15]",
        "load:1->reg0[1..16]", "move:reg0[]->reg1[]", "move:reg1[]->reg0[]",
        "resubmit:1", "resubmit(1,1)", "resubmit(,1)", "goto_table:1",
        "write_metadata:1", "write_metadata:1/0x1", "mod_vlan_vid:1",
        "mod_vlan_pcp:1", "push_vlan:0x8100", "push_vlan:0x88a8",
        "strip_vlan", "dec_ttl", "output:1", "IN_PORT",
    };
    size_t n = sizeof distinct / sizeof distinct[0];
    for (size_t i = 0; i < n; i++) {
        parse_ok(distinct[i], &a);
        for (size_t j = 0; j < n; j++) {
            parse_ok(distinct[j], &b);
            if (ofp_actions_equal(a.acts, a.n, b.acts, b.n) != (i == j)) {
                fail_msg("equal('%s', '%s') wrong", distinct[i],
                         distinct[j]);
            }
        }
    }
}

static void
test_output_to(void **state)
{
    struct parsed p;

    (void) state;
    parse_ok("mod_vlan_vid:3,output:2,NORMAL,resubmit:7", &p);
    assert_true(ofp_actions_output_to(p.acts, p.n, 2));
    assert_true(ofp_actions_output_to(p.acts, p.n, OFPP_NORMAL));
    assert_false(ofp_actions_output_to(p.acts, p.n, 7));   /* resubmit */
    assert_false(ofp_actions_output_to(p.acts, p.n, 3));   /* a VID */
    assert_true(ofp_actions_output_to(p.acts, p.n, OFPP_ANY));
    assert_false(ofp_actions_output_to(p.acts, 0, 2));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_synonyms),
        cmocka_unit_test(test_synonym_contents),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_small_error_buffer),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_format_truncation),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_output_to),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
