#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# rsw-switchd with a hostile vhost-user frontend on one of three ports.
#
#   vhu1, vhu2: dpdk-testpmd (net_virtio_user) io-forwards a --tx-first
#               burst around the loop in_port=1 -> 2, in_port=2 -> 1, as in
#               it_switchd_rules.
#   vhu3:       hostile_frontend (tests/integration/hostile_frontend.c):
#               bad descriptors, loops, bad indirect tables, bad indices and
#               avail jumps on its TX ring, garbage on its RX ring, broken
#               queues re-initialised and a reconnection.  What it sends is
#               dropped by rule (in_port=3,actions=drop); vhu1's stream is
#               copied to it (in_port=1,actions=output:2,output:3) so its RX
#               ring is in use throughout.
#
# Checks: the switch stays up and exits cleanly; vhu3's counters are what
# the frontend predicts (exactly for what it sent; lower bounds for what
# hit its RX garbage), and every frame copied to vhu3 is accounted for
# (tx + drops); the testpmd pair's counters stay exact (testpmd TX on a
# port == switch rx, RX == tx, no drop but the final no_route); peer-
# triggered log lines are rate-limited (far fewer lines than drops).
#
# What the switch does with a queue the frontend broke (virtio 1.1 §2.6.6
# violations): it marks that queue broken and never touches it again -- no
# used entries, no interrupts -- counts it (queue_broken: once per break on
# the receive side, once per frame it could not send on the transmit side),
# logs once (rate-limited), and keeps the connection and the other queue.
# virtio 1.1 §2.1.2 would have a device set DEVICE_NEEDS_RESET; in
# vhost-user the device status belongs to the frontend (the VMM), so the
# switch just stops using the queue and the frontend recovers it by
# re-initialising the ring (GET_VRING_BASE, then SET_VRING_NUM/BASE/ADDR/
# KICK), by RESET_DEVICE, or by reconnecting.  The frontend exercises the
# first and the last.
set -u
source "$(dirname "$0")/lib.sh"
SW_BIN=$1 hostile=$2
it_require_root
it_require_hugepages
it_require_cmd dpdk-testpmd dpdk
it_require_cmd python3 python3

sw_start switchd
sw_vsctl add-br br0 || it_fail "add-br"
for i in 1 2 3; do
    sw_vsctl add-port br0 vhu$i -- set Interface vhu$i type=vhostuser \
        options:path="$IT_WORK/p$((i - 1)).sock" ofport_request=$i ||
        it_fail "add-port vhu$i"
done
sw_ofctl del-flows br0
sw_ofctl add-flow br0 in_port=1,actions=output:2,output:3 || it_fail "add-flow"
sw_ofctl add-flow br0 in_port=2,actions=output:1 || it_fail "add-flow"
sw_ofctl add-flow br0 in_port=3,actions=drop || it_fail "add-flow"
sw_testpmd tp 2 "" --forward-mode=io --tx-first
sw_wait_rx vhu1 20000
sw_wait_rx vhu2 20000

# The attack, while the loop runs.
rx_before=$(sw_port_stat vhu1 rx_packets)
t0=$(date +%s.%N)
it_start hostile timeout 150 "$hostile" "$IT_WORK/p2.sock"
wait "$IT_LAST_PID"
rc=$?
secs=$(python3 -c "import time; print(round(time.time() - $t0, 1))")
cat "$IT_WORK/hostile.log"
[ $rc = 0 ] || it_fail "hostile_frontend failed ($rc)"
kill -0 "$SW_PID" 2>/dev/null || it_fail "the switch died"
rx_during=$(( $(sw_port_stat vhu1 rx_packets) - rx_before ))
it_log "attack took ${secs}s; vhu1 received $rx_during packets meanwhile"
[ "$rx_during" -gt 1000 ] || it_fail "the testpmd loop stalled during the attack"

# Stop the loop; everything is quiet from here on.
sw_ofctl del-flows br0 || it_fail "del-flows"
sleep 1
declare -A E
for kv in $(grep '^EXPECT ' "$IT_WORK/hostile.log" | cut -d' ' -f2-); do
    E[${kv%%=*}]=${kv#*=}
done
[ -n "${E[rx_packets]:-}" ] || it_fail "no EXPECT line from hostile_frontend"
declare -A S V1
while IFS== read -r k v; do S[$k]=$v; done < <(sw_port_counters vhu3)
while IFS== read -r k v; do V1[$k]=$v; done < <(sw_port_counters vhu1)
sw_ofctl dump-ports br0 vhu3
exact() { # FIELD EXPECTED
    it_log "vhu3 $1: switch ${S[$1]}, expected $2"
    [ "${S[$1]}" = "$2" ] || it_fail "vhu3 $1 ${S[$1]} != $2"
}
exact rx_packets "${E[rx_packets]}"
exact rx_bytes "${E[rx_bytes]}"
exact no_route "${E[no_route]}"
exact runt "${E[runt]}"
exact bad_descriptor $(( E[bad_descriptor_rx] + E[bad_descriptor_tx] ))
broken_tx=$(( S[queue_broken] - E[queue_broken_rx] ))
it_log "vhu3 queue_broken: ${S[queue_broken]} = ${E[queue_broken_rx]} breaks of its TX ring + $broken_tx frames for its broken RX ring"
[ "$broken_tx" -ge "${E[queue_broken_tx_min]}" ] || it_fail "RX ring breaks not counted"
[ "${S[too_big]}" -ge "${E[too_big_min]}" ] || it_fail "too_big ${S[too_big]} < ${E[too_big_min]}"
[ "${S[tx_packets]}" -ge "${E[frames_received]}" ] ||
    it_fail "vhu3 tx_packets ${S[tx_packets]} < ${E[frames_received]} frames the frontend got"
# Every frame vhu1 forwarded was copied to vhu3: sent or dropped for a reason.
copies=$(( V1[rx_packets] - V1[no_route] ))
fate=$(( S[tx_packets] + S[tx_no_room] + S[tx_not_ready] + S[too_big] + E[bad_descriptor_tx] + broken_tx ))
it_log "copies to vhu3: $copies = tx ${S[tx_packets]} + no_room ${S[tx_no_room]} + not_ready ${S[tx_not_ready]} + too_big ${S[too_big]} + bad_descriptor ${E[bad_descriptor_tx]} + queue_broken $broken_tx"
[ "$copies" = "$fate" ] || it_fail "copies to vhu3 $copies != accounted $fate"

# The testpmd pair: exact against testpmd's own counters.
for i in 1 2; do
    declare -A C=()
    while IFS== read -r k v; do C[$k]=$v; done < <(sw_port_counters vhu$i)
    srx[$i]=${C[rx_packets]} stx[$i]=${C[tx_packets]} snr[$i]=${C[no_route]}
    [ "$(sw_port_drops vhu$i no_route)" = 0 ] || it_fail "vhu$i: drops other than no_route"
done
it_stop "$TP_PID"
for i in 1 2; do
    tp_tx=$(testpmd_port_stat "$IT_WORK/tp.log" $((i - 1)) TX-packets)
    tp_rx=$(testpmd_port_stat "$IT_WORK/tp.log" $((i - 1)) RX-packets)
    it_log "vhu$i: switch rx=${srx[$i]} tx=${stx[$i]} no_route=${snr[$i]}; testpmd port $((i - 1)) TX=$tp_tx RX=$tp_rx"
    [ "$tp_tx" = "${srx[$i]}" ] || it_fail "vhu$i: switch rx ${srx[$i]} != testpmd TX $tp_tx"
    [ "$tp_rx" = "${stx[$i]}" ] || it_fail "vhu$i: switch tx ${stx[$i]} != testpmd RX $tp_rx"
done
[ "${srx[1]}" = $(( stx[2] + snr[1] )) ] || it_fail "vhu1 rx != vhu2 tx + no_route"
[ "${srx[2]}" = $(( stx[1] + snr[2] )) ] || it_fail "vhu2 rx != vhu1 tx + no_route"
[ $(( snr[1] + snr[2] )) = 64 ] || it_fail "expected the 64 circulating frames dropped"

# Rate-limited logging: per call site at most RSW_LOG_RL_PER_SEC (10)
# lines a second, the rest summed up as "similar suppressed".
log=$IT_WORK/switchd-file.log
limit=$(python3 -c "import math; print(10 * (math.ceil($secs) + 2))")
for site in "bad tx descriptor chain" "rx buffer refused" "tx chain "; do
    n=$(grep -c "$site" "$log")
    it_log "log lines '$site': $n (limit $limit)"
    [ "$n" -le "$limit" ] || it_fail "'$site' logged $n times in ${secs}s"
done
# Every refusal of a chain walk is either a line or summed up in a later
# line's "(N similar suppressed)".
logged=$(python3 -c "
import re, sys
n = 0
for line in open(sys.argv[1]):
    if 'bad tx descriptor chain' in line:
        m = re.search(r'\((\d+) similar suppressed\)', line)
        n += 1 + (int(m.group(1)) if m else 0)
print(n)" "$log")
it_log "'bad tx descriptor chain': lines + suppressed = $logged, chain refusals ${E[chain_errors]}"
[ "$logged" = "${E[chain_errors]}" ] || it_fail "log accounts for $logged chain refusals, not ${E[chain_errors]}"
lines=$(grep -c "vhu3" "$log")
it_log "vhu3: $lines log lines for $(( S[bad_descriptor] + S[queue_broken] + S[runt] )) refused chains/frames"
sw_exit
echo "PASS: rsw-switchd hostile frontend"
