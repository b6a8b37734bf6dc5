#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# rsw-switchd with multiqueue vhost-user ports (virtio-net MQ, two queue
# pairs per port), driven by dpdk-testpmd net_virtio_user peers with
# queues=2 and --rxq=2 --txq=2, through two PMD threads (cores 0 and 1).
#
#   - bad queue counts (options:n_rxq=0, 65, x) are refused with a clear
#     error, and a port offering one pair refuses a frontend that needs two;
#   - both ports report "2/2 queue pairs ready"; pmd-rxq-show lists queues
#     0 and 1 of both ports, spread over both PMDs, each with busy cycles
#     (a queue's cycles are counted only when it received something);
#   - testpmd's per-stream statistics show frames received on both queues
#     of both ports (the switch transmitted on both pairs);
#   - after del-flows stops the loop, every counter agrees exactly: testpmd
#     TX on a port == switch rx on it, testpmd RX == switch tx, no drops
#     other than no_route.
set -u
source "$(dirname "$0")/lib.sh"
bindir=$1
it_require_root
it_require_hugepages
it_require_cmd dpdk-testpmd dpdk
it_require_cmd python3 python3
SW_BIN=$bindir
ctl=$SW_CTL

pmd_cores=0,1
[ "$(nproc)" -ge 2 ] || pmd_cores=0

start_switch() {
    local prefix
    prefix=$(it_prefix sw)
    IT_PREFIXES+=("$prefix")   # it_prefix ran in a subshell
    it_start switchd "$bindir/rsw-switchd" --ctl "$ctl" --db "$IT_WORK/conf.db" \
        --pmd-cores "$pmd_cores" --eal "--file-prefix=$prefix" \
        --log-file "$IT_WORK/switchd-file.log"
    switch_pid=$IT_LAST_PID
    it_wait_for "sw_appctl version >/dev/null 2>&1" 30 "rsw-switchd to answer"
    sw_vsctl add-br br0 || it_fail "add-br"
}

# mq_testpmd NAME N_PORTS QUEUES [testpmd args...]: N net_virtio_user ports
# with QUEUES queue pairs each on p<i>.sock, io forwarding on core 0
# (testpmd's main lcore is 1).
mq_testpmd() {
    local name=$1 nports=$2 queues=$3 prefix vdevs=() i
    shift 3
    prefix=$(it_prefix "$name")
    IT_PREFIXES+=("$prefix")
    for i in $(seq 0 $((nports - 1))); do
        vdevs+=(--vdev "net_virtio_user$i,path=$IT_WORK/p$i.sock,queues=$queues,mac=02:00:00:00:00:0$((i + 1))")
    done
    it_start "$name" dpdk-testpmd -l 0,1 --main-lcore 1 --no-pci \
        --single-file-segments -m 256 --file-prefix="$prefix" "${vdevs[@]}" -- \
        --total-num-mbufs=16384 --nb-cores=1 --stats-period 1 \
        --rxq="$queues" --txq="$queues" "$@"
    tp_pid=$IT_LAST_PID
}

# stream_rx LOG PORT QUEUE: RX-packets of testpmd's final per-stream block
# "Forward Stats for RX Port= P/Queue= Q -> ...".
stream_rx() {
    awk -v port="$2" -v q="$3" '
        /Forward Stats for RX Port=/ {
            line = $0; gsub(/[=\/]/, " ", line); split(line, w, " ")
            inblk = 0
            # The first "Port P Queue Q" is the RX side.
            for (i = 1; i < length(w); i++)
                if (w[i] == "Port" && w[i + 2] == "Queue") {
                    inblk = (w[i + 1] == port && w[i + 3] == q)
                    break
                }
            next
        }
        /Forward statistics for port|Accumulated/ { inblk = 0 }
        inblk { for (i = 1; i < NF; i++) if ($i == "RX-packets:") v = $(i + 1) }
        END { print (v == "" ? "missing" : v) }' "$1"
}

# rxq_check MIN_CYCLES N_PMDS: pmd-rxq-show (one call) lists queues 0 and 1
# of vhu1 and vhu2, each with more than MIN_CYCLES busy cycles, on N_PMDS
# different PMDs in all.
rxq_check() {
    sw_appctl --format json pmd-rxq-show | python3 -c "
import json, sys
qs = {(q['port'], q['queue']): q for q in json.load(sys.stdin)}
cores = set()
for port in ('vhu1', 'vhu2'):
    for qid in (0, 1):
        q = qs.get((port, qid))
        if q is None:
            sys.exit('pmd-rxq-show lacks %s queue %d' % (port, qid))
        if q['cycles'] <= $1:
            sys.exit('%s queue %d: %d busy cycles (nothing received on it?)'
                     % (port, qid, q['cycles']))
        cores.add(q['pmd_core'])
if len(cores) != $2:
    sys.exit('rx queues on PMD cores %s, expected %d PMDs' % (sorted(cores), $2))
"
}

start_switch

# ---- Bad input --------------------------------------------------------------
# (rsw-vsctl commits the row; the switch puts its refusal in the
# Interface's error column, like ovs-vswitchd.)
for bad in 0 65 x; do
    sw_vsctl add-port br0 bad -- set Interface bad type=vhostuser \
        options:path="$IT_WORK/bad.sock" options:n_rxq=$bad || it_fail "add-port bad"
    it_wait_for "sw_vsctl show | grep -q \"error: .*options:n_rxq (queue pairs) must be 1..64, got '$bad'\"" 10 \
        "the error for n_rxq=$bad"
    sw_vsctl show | grep "error:"
    sw_vsctl del-port br0 bad || it_fail "del-port bad"
done

# A port offering one pair (the default) and a frontend that sets up two
# regardless (DPDK virtio-user does not check GET_QUEUE_NUM): its requests
# for vrings 2 and 3 are refused and counted, pair 0 works, the switch
# keeps running.
sw_vsctl add-port br0 one -- set Interface one type=vhostuser \
    options:path="$IT_WORK/p0.sock" || it_fail "add-port one"
mq_testpmd tpbad 1 2 --forward-mode=io
it_wait_for "sw_vsctl show | grep -q 'requests for vring indices >= 2'" 30 \
    "the refusals of vrings 2 and 3 to show in the status"
sw_vsctl show | grep "status:"
sw_vsctl show | grep -q "connected, rings ready" || it_fail "pair 0 did not come up"
# (testpmd would wait for GET_VRING_BASE replies on the refused vrings.)
kill -KILL "$tp_pid"; wait "$tp_pid" 2>/dev/null
it_wait_for "! sw_vsctl show | grep -q 'connected, rings ready'" 20 "the switch to see testpmd go"
sw_appctl version >/dev/null || it_fail "switch died"
sw_vsctl del-port br0 one || it_fail "del-port one"
rm -f "$IT_WORK/p0.sock"

# ---- Two queue pairs per port ---------------------------------------------
for i in 1 2; do
    sw_vsctl add-port br0 vhu$i -- set Interface vhu$i type=vhostuser \
        options:path="$IT_WORK/p$((i - 1)).sock" options:n_rxq=2 \
        ofport_request=$i || it_fail "add-port vhu$i"
done
sw_ofctl del-flows br0
sw_ofctl add-flow br0 in_port=1,actions=output:2 || it_fail "add-flow"
sw_ofctl add-flow br0 in_port=2,actions=output:1 || it_fail "add-flow"
n_pmds=$(echo $pmd_cores | tr ',' '\n' | wc -l)
sw_appctl pmd-rxq-show
out=$(rxq_check -1 "$n_pmds" 2>&1) || it_fail "$out"

it_log "starting testpmd with two 2-queue ports"
mq_testpmd tp 2 2 --forward-mode=io --tx-first
it_wait_for "[ \$(sw_vsctl show | grep -c '2/2 queue pairs ready') = 2 ]" 30 \
    "both ports' two queue pairs"
sw_vsctl show
it_log "waiting for traffic"
sw_wait_rx vhu1 20000
sw_wait_rx vhu2 20000
it_log "traffic flows"
sw_appctl pmd-rxq-show
sw_appctl pmd-stats-show
out=$(rxq_check 0 "$n_pmds" 2>&1) || it_fail "$out"

# Exact counters once the loop is stopped.
sw_ofctl del-flows br0 || it_fail "del-flows"
sleep 1
for i in 1 2; do
    srx[$i]=$(sw_port_stat vhu$i rx_packets); stx[$i]=$(sw_port_stat vhu$i tx_packets)
    [ "$(sw_port_drops vhu$i no_route)" = 0 ] || it_fail "vhu$i: drops other than no_route"
done
it_stop "$tp_pid"
log=$IT_WORK/tp.log
for i in 1 2; do
    p=$((i - 1))
    tp_tx=$(testpmd_port_stat "$log" $p TX-packets)
    tp_rx=$(testpmd_port_stat "$log" $p RX-packets)
    q0=$(stream_rx "$log" $p 0); q1=$(stream_rx "$log" $p 1)
    it_log "vhu$i: switch rx=${srx[$i]} tx=${stx[$i]}; testpmd port $p TX=$tp_tx RX=$tp_rx (queue 0: $q0, queue 1: $q1)"
    [ "$tp_tx" = "${srx[$i]}" ] || it_fail "vhu$i: switch rx ${srx[$i]} != testpmd TX $tp_tx"
    [ "$tp_rx" = "${stx[$i]}" ] || it_fail "vhu$i: switch tx ${stx[$i]} != testpmd RX $tp_rx"
    for q in "$q0" "$q1"; do
        [ "$q" != missing ] && [ "$q" -gt 0 ] || it_fail "testpmd port $p: a queue received nothing ($q0 / $q1)"
    done
done

out=$(sw_appctl exit 2>&1) || it_fail "exit method: $out"
for i in $(seq 1 100); do kill -0 "$switch_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$switch_pid" 2>/dev/null && it_fail "switch did not exit"
wait "$switch_pid"; rc=$?
[ $rc = 0 ] || it_fail "switch exited with $rc"
echo "PASS: rsw-switchd multiqueue vhost-user ports"
