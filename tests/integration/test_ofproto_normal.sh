#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# NORMAL (the default "priority=0,actions=NORMAL" of a new bridge) with
# VLANs, configured only with rsw-vsctl like OVS's Port table:
#   vhu1, vhu2: access ports, tag=10;  vhu3, vhu4: access ports, tag=20.
# Frames from pcap files (ofproto_lib.sh); every port's output checked
# frame by frame, the switch's counters exact:
#   1. unknown unicast floods its own VLAN only; a broadcast too; an
#      address learned in VLAN 10 is still unknown in VLAN 20;
#   2. learned addresses go to their port only, per VLAN; fdb-show lists
#      each MAC with its VLAN and port;
#   3. live changes: vhu2 moves to VLAN 20 (tag=20), vhu4 becomes a trunk
#      for VLAN 20 (trunks=20): it gets VLAN 20 tagged, its tagged VLAN 20
#      frames reach access ports untagged, its VLAN 10 frames are dropped.
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ofproto_lib.sh"
SW_BIN=$1
it_require_root
it_require_hugepages
it_require_cmd dpdk-testpmd dpdk
it_require_cmd python3 python3

M1=02:00:00:00:01:01 M2=02:00:00:00:01:02 M3=02:00:00:00:02:03 M4=02:00:00:00:02:04
BC=ff:ff:ff:ff:ff:ff

sw_start switchd
sw_vsctl add-br br0 || it_fail "add-br"
for i in 1 2 3 4; do
    sw_vsctl add-port br0 vhu$i type=vhostuser options:path="$IT_WORK/p$((i - 1)).sock" ||
        it_fail "add-port vhu$i"
done
sw_vsctl set Port vhu1 tag=10 -- set Port vhu2 tag=10 -- set Port vhu3 tag=20 \
    -- set Port vhu4 tag=20 || it_fail "set Port tag"
sw_vsctl set Bridge br0 other_config:mac-aging-time=600 || it_fail "mac-aging-time"
sw_ofctl dump-flows br0 | grep -q "priority=0 actions=NORMAL" ||
    it_fail "no default 'priority=0 actions=NORMAL' flow: $(sw_ofctl dump-flows br0)"

# ---- 1: flooding within the VLAN ------------------------------------------
ofp_frames_make 0 3,udp,dl_src=$M1,dl_dst=$M2       # unknown: vhu2
ofp_frames_make 2 4,udp,dl_src=$M3,dl_dst=$BC       # broadcast: vhu4
ofp_frames_make 3 5,udp,dl_src=$M4,dl_dst=$M1       # M1 unknown in VLAN 20: vhu3
tx0=$(ofp_tx_counts 4)
ofp_phase tp1 4
tx1=$(ofp_tx_counts 4)
ofp_expect_tx_delta "$tx0" "$tx1" "0 3 5 4"
ofp_expect 0 0
ofp_expect 1 3 dl_src=$M1 vlan=none
ofp_expect 2 5 dl_src=$M4 vlan=none
ofp_expect 3 4 dl_src=$M3 vlan=none

# ---- 2: learned addresses ---------------------------------------------------
ofp_frames_make 1 6,udp,dl_src=$M2,dl_dst=$M1       # learned: vhu1
ofp_frames_make 2 7,udp,dl_src=$M3,dl_dst=$M2       # M2 is VLAN 10's: flood 20
ofp_frames_make 3 8,udp,dl_src=$M4,dl_dst=$M3       # learned: vhu3
ofp_phase tp2 4
tx2=$(ofp_tx_counts 4)
ofp_expect_tx_delta "$tx1" "$tx2" "6 0 8 7"
ofp_expect 0 6 dl_src=$M2 vlan=none
ofp_expect 1 0
ofp_expect 2 8 dl_src=$M4 vlan=none
ofp_expect 3 7 dl_src=$M3 vlan=none
sw_appctl fdb-show br0
fdb=$(sw_appctl fdb-show br0)
echo "$fdb" | head -1 | grep -qE "^ port +VLAN +MAC +Age$" || it_fail "fdb-show header: $fdb"
for e in "1 10 $M1" "2 10 $M2" "3 20 $M3" "4 20 $M4"; do
    set -- $e
    echo "$fdb" | grep -qE "^ +$1 +$2 +$3 +[0-9]+$" || it_fail "fdb-show lacks port $1 VLAN $2 $3"
done
[ "$(echo "$fdb" | wc -l)" = 5 ] || it_fail "fdb-show: expected 4 entries"

# ---- 3: live VLAN changes, a trunk port -------------------------------------
sw_vsctl set Port vhu2 tag=20 -- clear Port vhu4 tag -- set Port vhu4 trunks=20 ||
    it_fail "changing the VLANs"
ofp_frames_make 2 4,udp,dl_src=$M3,dl_dst=$BC       # VLAN 20: vhu2, vhu4 tagged
ofp_frames_make 3 5,udp,vlan=20,dl_src=$M4,dl_dst=$M3 \
                  2,udp,vlan=10,dl_src=$M4,dl_dst=$BC  # 20: vhu3; 10: not allowed
ofp_phase tp3 4
tx3=$(ofp_tx_counts 4)
ofp_expect_tx_delta "$tx2" "$tx3" "0 4 5 4"
ofp_expect 0 0
ofp_expect 1 4 dl_src=$M3 vlan=none
ofp_expect 2 5 dl_src=$M4 vlan=none
ofp_expect 3 4 dl_src=$M3 vlan=20
sw_appctl fdb-show br0

# A bad VLAN setting is an error on the Interface, not a crash.
sw_vsctl set Port vhu1 vlan_mode=access -- clear Port vhu1 tag || it_fail "vlan_mode"
it_wait_for "sw_vsctl get Interface vhu1 error | grep -q tag" 10 "an error for access without a tag"
sw_vsctl get Interface vhu1 error

sw_exit
echo "PASS: ofproto NORMAL with VLANs"
