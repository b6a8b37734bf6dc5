#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The OpenFlow pipeline end to end, programmed only with rsw-ofctl in
# ovs-ofctl syntax: priorities, tcp/udp matches with nw_src CIDR, a port
# given by name, mod_dl_dst + output, resubmit(,1) into a second table,
# goto_table, drop.  Frames from pcap files enter on vhu1 (ofproto_lib.sh:
# testpmd net_pcap <-> net_virtio_user pairs); every frame each port sends
# is checked, with the switch's per-port counters and every rule's
# n_packets exact.  Then mod-flows / del-flows / add-flow change the
# tables and the same frames go where the new tables say (the PMDs' cached
# megaflows of the first run must not survive the change); add-flows with
# one bad line changes nothing and names the line; replace-flows keeps the
# counters of unchanged rules; trace names the tables and rules a packet
# goes through.
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ofproto_lib.sh"
SW_BIN=$1
it_require_root
it_require_hugepages
it_require_cmd dpdk-testpmd dpdk
it_require_cmd python3 python3

sw_start switchd
sw_vsctl add-br br0 || it_fail "add-br"
for i in 1 2 3; do
    sw_vsctl add-port br0 vhu$i type=vhostuser options:path="$IT_WORK/p$((i - 1)).sock" ||
        it_fail "add-port vhu$i"
done
sw_ofctl show br0
sw_ofctl show br0 | grep -q "^ 3(vhu3): " || it_fail "show: no ' 3(vhu3): ' line"

# ---- Programming ----------------------------------------------------------
sw_ofctl del-flows br0 || it_fail "del-flows"
[ -z "$(sw_ofctl dump-flows br0)" ] || it_fail "del-flows left flows"
cat > "$IT_WORK/flows.txt" <<'EOF'
# table 0: classification
priority=300,tcp,nw_src=10.1.0.0/16,tp_dst=80,actions=mod_dl_dst:02:00:00:00:00:aa,output:2
priority=200,udp,nw_src=10.2.0.0/16,actions=resubmit(,1)

priority=100,ip,actions=goto_table:2
# table 1: UDP from 10.2/16
table=1,priority=50,udp,tp_dst=53,actions=output:3
table=1,priority=40,actions=drop
EOF
out=$(sw_ofctl add-flows br0 "$IT_WORK/flows.txt") || it_fail "add-flows: $out"
# A port by name, and from stdin.
echo "table=2,priority=20,ip,nw_dst=192.168.0.0/24,actions=output:vhu3" |
    sw_ofctl add-flows br0 - || it_fail "add-flows from stdin"
sw_ofctl add-flow br0 "table=2,priority=10,actions=drop" || it_fail "add-flow"
sw_ofctl add-flow br0 "priority=0,in_port=vhu1,actions=drop" || it_fail "add-flow by port name"
sw_ofctl dump-flows br0
sw_ofctl dump-flows br0 | grep -q "actions=output:3" || it_fail "output:vhu3 not shown as output:3"
sw_ofctl --format json dump-flows br0 | python3 -c '
import json, sys
fl = json.load(sys.stdin)
keys = [(f["table"], -f["priority"]) for f in fl]
assert len(fl) == 8, "%d flows, expected 8" % len(fl)
assert keys == sorted(keys), "dump-flows not sorted by table, priority: %s" % keys
assert all(f["text"].startswith(" cookie=0x0, duration=") for f in fl), fl[0]["text"]
' || it_fail "dump-flows output"
[ "$(sw_ofctl dump-flows br0 table=2 | wc -l)" = 2 ] || it_fail "dump-flows table=2"
# Non-strict: the rules the MATCH covers, table 0's and table 1's udp ones.
[ "$(sw_ofctl dump-flows br0 udp | wc -l)" = 2 ] || it_fail "dump-flows udp (covered flows only)"
sw_ofctl dump-tables br0

# Errors: one line naming the word, exit status 1, nothing changed.
check_error() { # WHAT EXPECTED_SUBSTRING CMD...
    local what=$1 want=$2 out
    shift 2
    out=$("$@" 2>&1) && it_fail "$what accepted"
    [ "$(echo "$out" | wc -l)" = 1 ] || it_fail "$what: error not one line: $out"
    echo "$out" | grep -qF -- "$want" || it_fail "$what: unclear error: $out"
    it_log "$what refused: $out"
}
check_error "an unknown field" "bogus_field" sw_ofctl add-flow br0 "bogus_field=1,actions=drop"
check_error "an unknown action" "frobnicate" sw_ofctl add-flow br0 "ip,actions=frobnicate"
check_error "an unknown port name" "nosuchport" sw_ofctl add-flow br0 "in_port=nosuchport,actions=drop"
check_error "a missing bridge" "br9" sw_ofctl add-flow br9 "actions=drop"
check_error "a missing file" "nosuchfile" sw_ofctl add-flows br0 "$IT_WORK/nosuchfile"
cat > "$IT_WORK/bad.txt" <<'EOF'
priority=7,ip,actions=drop
# a comment
priority=8,ip,nw_src=10.0.0.0/8,actions=output:2,bogus_action
priority=9,ip,actions=drop
EOF
before=$(sw_ofctl --format json dump-flows br0 | python3 -c 'import json,sys; print(sorted((f["table"],f["priority"],f["match"],f["actions"]) for f in json.load(sys.stdin)))')
check_error "add-flows with a bad line 3" "line 3" sw_ofctl add-flows br0 "$IT_WORK/bad.txt"
after=$(sw_ofctl --format json dump-flows br0 | python3 -c 'import json,sys; print(sorted((f["table"],f["priority"],f["match"],f["actions"]) for f in json.load(sys.stdin)))')
[ "$before" = "$after" ] || it_fail "add-flows with a bad line changed the tables"

# ---- Phase 1: the frames and where they go ---------------------------------
# From vhu1:
#  A 10 tcp 10.1.2.3->192.168.0.5:80   prio 300: dl_dst:=aa, output:2
#  B  7 tcp 10.1.2.3->192.168.0.5:443  prio 100 goto 2, 192.168/24: output:3
#  C  5 udp 10.2.0.9->10.3.0.1:53      prio 200 resubmit(,1), tp_dst 53: out 3
#  D  4 udp 10.2.0.9->10.3.0.1:54      prio 200 resubmit(,1): drop
#  E  3 tcp 10.9.0.1->172.16.0.1:80    prio 100 goto 2: drop (prio 10)
#  F  2 arp                            prio 0 in_port=vhu1: drop
make_frames() {
    ofp_frames_make 0 \
        10,tcp,nw_src=10.1.2.3,nw_dst=192.168.0.5,tp_dst=80 \
        7,tcp,nw_src=10.1.2.3,nw_dst=192.168.0.5,tp_dst=443 \
        5,udp,nw_src=10.2.0.9,nw_dst=10.3.0.1,tp_dst=53 \
        4,udp,nw_src=10.2.0.9,nw_dst=10.3.0.1,tp_dst=54 \
        3,tcp,nw_src=10.9.0.1,nw_dst=172.16.0.1,tp_dst=80 \
        2,arp
}
make_frames
tx0=$(ofp_tx_counts 3)
ofp_phase tp1 3
tx1=$(ofp_tx_counts 3)
ofp_expect_tx_delta "$tx0" "$tx1" "0 10 12"
ofp_expect 0 0
ofp_expect 1 10 proto=tcp tp_dst=80 dl_dst=02:00:00:00:00:aa vlan=none
ofp_expect 2 12 dl_dst=02:00:00:00:00:02 vlan=none
ofp_expect_packets "0 300 10  0 200 9  0 100 10  0 0 2  1 50 5  1 40 4  2 20 7  2 10 3"
sw_ofctl dump-flows br0
[ "$(sw_port_drops vhu1 no_route)" = 0 ] || it_fail "vhu1: unexpected drops"

# ---- Phase 2: changes take effect on the next packets ----------------------
# mod-flows: A now goes to port 3 unmodified (counters kept, as OVS);
# del-flows: C and D now take prio 100 -> table 2; add-flow: table 2 sends
# udp:53 (C) to port 2; del-flows --strict removes table 2's prio-10 drop,
# so D and E miss table 2 (dropped, counted by nobody).
sw_ofctl mod-flows br0 "tcp,nw_src=10.1.0.0/16,tp_dst=80,actions=output:3" || it_fail "mod-flows"
sw_ofctl del-flows br0 "udp,nw_src=10.2.0.0/16" || it_fail "del-flows MATCH"
sw_ofctl add-flow br0 "table=2,priority=30,udp,tp_dst=53,actions=output:2" || it_fail "add-flow (table 2)"
sw_ofctl del-flows --strict br0 "table=2,priority=10" || it_fail "del-flows --strict"
sw_ofctl dump-flows br0
[ "$(sw_ofctl dump-flows br0 | wc -l)" = 7 ] || it_fail "expected 7 flows after the changes"
make_frames
ofp_phase tp2 3
tx2=$(ofp_tx_counts 3)
ofp_expect_tx_delta "$tx1" "$tx2" "0 5 17"
ofp_expect 1 5 proto=udp tp_dst=53 dl_dst=02:00:00:00:00:02
ofp_expect 2 17 proto=tcp dl_dst=02:00:00:00:00:02
ofp_expect_packets "0 300 20  0 100 29  0 0 4  1 50 5  1 40 4  2 30 5  2 20 14"

# ---- replace-flows: unchanged rules keep their counters --------------------
sw_ofctl --format json dump-flows br0 | python3 -c '
import json, sys
for f in json.load(sys.stdin):
    if (f["table"], f["priority"]) != (2, 30):
        m = f["match"]
        print("table=%d,priority=%d,%s%sactions=%s" % (f["table"], f["priority"], m, "," if m else "", f["actions"]))
' > "$IT_WORK/replace.txt"
cat "$IT_WORK/replace.txt"
sw_ofctl replace-flows br0 "$IT_WORK/replace.txt" || it_fail "replace-flows"
[ "$(sw_ofctl dump-flows br0 | wc -l)" = 6 ] || it_fail "replace-flows: expected 6 flows"
ofp_expect_packets "0 300 20  2 20 14  0 100 29"

# ---- trace -----------------------------------------------------------------
out=$(sw_appctl trace br0 "in_port=1,tcp,nw_src=10.1.2.3,nw_dst=192.168.0.5,tp_dst=443") ||
    it_fail "trace: $out"
echo "$out"
# As ovs-appctl ofproto/trace: " T. MATCH, priority P", then the actions.
echo "$out" | grep -qE "^ *0\. ip, priority 100" || it_fail "trace does not name table 0's rule"
echo "$out" | grep -q "goto_table:2" || it_fail "trace does not show table 0's actions"
echo "$out" | grep -qE "^ *2\. ip,nw_dst=192.168.0.0/24, priority 20" ||
    it_fail "trace does not name table 2's rule"
echo "$out" | grep -qE "^Datapath actions: 3$" || it_fail "trace: datapath actions are not 3"
check_error "trace of a bad packet" "bogus" sw_appctl trace br0 "in_port=1,bogus=1"
# trace changes nothing.
ofp_expect_packets "0 100 29  2 20 14"

sw_exit
echo "PASS: ofproto flows"
