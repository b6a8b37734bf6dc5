#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# rsw-switchd end to end, driven by dpdk-testpmd (net_virtio_user ports).
#
#   MODE rules:  two vhostuser ports, in_port=1->2 and 2->1.  testpmd
#                io-forwards a --tx-first burst around the loop; then
#                del-flows stops the loop (the circulating frames are dropped
#                as no_route) and every counter must agree exactly: testpmd
#                TX on a port == switch rx on it, testpmd RX == switch tx,
#                switch rx == tx + no_route, no other drop; the EMC hit.
#   MODE normal: three vhostuser ports, the default NORMAL rule (MAC
#                learning).  testpmd forwards between ports 0 and 1 only;
#                after learning, nothing more reaches port 3, the FDB holds
#                both addresses on the right ports, megaflows match on
#                dl_src/dl_dst; then the same exact-count check.
#   MODE client: two vhostuserclient ports (testpmd listens, server=1).
#                Traffic flows; testpmd is killed (SIGKILL) and restarted;
#                the switch reconnects and traffic resumes.
# The switch runs its PMD on core 1, testpmd forwards on core 0.
set -u
source "$(dirname "$0")/lib.sh"
bindir=$1 mode=$2
it_require_root
it_require_hugepages
it_require_cmd dpdk-testpmd dpdk
it_require_cmd python3 python3

ctl=$IT_WORK/ctl
vsctl() { "$bindir/rsw-vsctl" --ctl "$ctl" "$@"; }
ofctl() { "$bindir/rsw-ofctl" --ctl "$ctl" "$@"; }
appctl() { "$bindir/rsw-appctl" --ctl "$ctl" "$@"; }

port_stat() { # PORT FIELD
    "$bindir/rsw-ofctl" --ctl "$ctl" --format json dump-ports br0 "$1" |
        python3 -c "import json,sys; p=json.load(sys.stdin)[0]; f='$2'; print(p['drops'][f] if f in p['drops'] else p[f])"
}
drops_other_than_no_route() { # PORT
    "$bindir/rsw-ofctl" --ctl "$ctl" --format json dump-ports br0 "$1" |
        python3 -c "import json,sys; d=json.load(sys.stdin)[0]['drops']; print(sum(v for k,v in d.items() if k!='no_route'))"
}
pmd_stat() { # FIELD
    "$bindir/rsw-appctl" --ctl "$ctl" --format json pmd-stats-show |
        python3 -c "import json,sys; print(sum(p['$1'] for p in json.load(sys.stdin)))"
}

start_switch() {
    local prefix
    prefix=$(it_prefix sw)
    IT_PREFIXES+=("$prefix")   # it_prefix ran in a subshell
    it_start switchd "$bindir/rsw-switchd" --ctl "$ctl" --db "$IT_WORK/conf.db" \
        --pmd-cores 1 --eal "--file-prefix=$prefix" --log-file "$IT_WORK/switchd-file.log"
    switch_pid=$IT_LAST_PID
    it_wait_for "[ -S $ctl ]" 20 "the switch's control socket"
    vsctl add-br br0 || it_fail "add-br"
}

# start_testpmd NAME N_PORTS "VDEV_EXTRA" [testpmd args...]
start_testpmd() {
    local name=$1 nports=$2 extra=$3 prefix vdevs=() i
    shift 3
    prefix=$(it_prefix "$name")
    IT_PREFIXES+=("$prefix")
    for i in $(seq 0 $((nports - 1))); do
        vdevs+=(--vdev "net_virtio_user$i,path=$IT_WORK/p$i.sock,queues=1,mac=02:00:00:00:00:0$((i + 1))$extra")
    done
    it_start "$name" dpdk-testpmd -l 0,1 --main-lcore 1 --no-pci \
        --single-file-segments -m 256 --file-prefix="$prefix" "${vdevs[@]}" -- \
        --total-num-mbufs=16384 --forward-mode=io --nb-cores=1 --tx-first \
        --stats-period 1 "$@"
    tp_pid=$IT_LAST_PID
}

wait_traffic() { # PORT MIN
    it_wait_for "[ \$(port_stat $1 rx_packets 2>/dev/null || echo 0) -ge $2 ]" 30 \
        "$2 packets received on $1"
}

# Stops the loop, then compares every counter of ports 1..N with testpmd.
# Sets TRX TTX TNR: switch totals of rx, tx and no_route drops.
exact_check() {
    local nports=$1 log=$IT_WORK/$2.log i tp_rx tp_tx
    local -a srx stx snr
    TRX=0 TTX=0 TNR=0
    ofctl del-flows br0 || it_fail "del-flows"
    sleep 1
    for i in $(seq 1 "$nports"); do
        srx[$i]=$(port_stat vhu$i rx_packets); stx[$i]=$(port_stat vhu$i tx_packets)
        snr[$i]=$(port_stat vhu$i no_route)
        [ "$(drops_other_than_no_route vhu$i)" = 0 ] || it_fail "vhu$i: drops other than no_route"
    done
    it_stop "$tp_pid"
    for i in $(seq 1 "$nports"); do
        tp_tx=$(testpmd_port_stat "$log" $((i - 1)) TX-packets)
        tp_rx=$(testpmd_port_stat "$log" $((i - 1)) RX-packets)
        it_log "vhu$i: switch rx=${srx[$i]} tx=${stx[$i]} no_route=${snr[$i]}; testpmd port $((i - 1)) TX=$tp_tx RX=$tp_rx"
        [ "$tp_tx" = "${srx[$i]}" ] || it_fail "vhu$i: switch rx ${srx[$i]} != testpmd TX $tp_tx"
        [ "$tp_rx" = "${stx[$i]}" ] || it_fail "vhu$i: switch tx ${stx[$i]} != testpmd RX $tp_rx"
        TRX=$((TRX + ${srx[$i]})); TTX=$((TTX + ${stx[$i]}))
        TNR=$((TNR + ${snr[$i]}))
    done
}

case $mode in
rules)
    start_switch
    vsctl add-port br0 vhu1 type=vhostuser options:path="$IT_WORK/p0.sock" || it_fail "add-port"
    vsctl add-port br0 vhu2 -- set Interface vhu2 type=vhostuser \
        options:path="$IT_WORK/p1.sock" ofport_request=2 || it_fail "add-port"
    ofctl del-flows br0
    ofctl add-flow br0 in_port=1,actions=output:2 || it_fail "add-flow"
    ofctl add-flow br0 in_port=2,actions=output:1 || it_fail "add-flow"
    ofctl add-flow br0 in_port=1,actions=bogus 2>/dev/null && it_fail "bad flow accepted"
    start_testpmd tp 2 ""
    wait_traffic vhu1 100000
    wait_traffic vhu2 100000
    appctl pmd-stats-show
    appctl pmd-rxq-show
    appctl dump-dp-flows
    [ "$(pmd_stat emc_hits)" -gt 0 ] || it_fail "no EMC hits"
    [ "$(pmd_stat upcalls)" -ge 2 ] || it_fail "no upcalls"
    exact_check 2 tp
    [ "$TRX" = $((TTX + TNR)) ] || it_fail "switch rx $TRX != tx $TTX + no_route $TNR"
    [ "$TNR" = 64 ] || it_fail "expected the 64 circulating frames dropped, got $TNR"
    ;;
normal)
    start_switch
    for i in 1 2 3; do
        vsctl add-port br0 vhu$i type=vhostuser options:path="$IT_WORK/p$((i - 1)).sock" ||
            it_fail "add-port vhu$i"
    done
    ofctl dump-flows br0 | grep -q "actions=NORMAL" || it_fail "no default NORMAL rule"
    start_testpmd tp 3 "" --portmask=0x3 \
        --eth-peer=0,02:00:00:00:00:02 --eth-peer=1,02:00:00:00:00:01
    wait_traffic vhu1 100000
    wait_traffic vhu2 100000
    appctl fdb-show br0
    # ovs-appctl fdb/show's columns: port, VLAN, MAC, age.
    appctl fdb-show br0 | grep -qE "^ +1 +0 +02:00:00:00:00:01 " || it_fail "02:..:01 not learned on port 1"
    appctl fdb-show br0 | grep -qE "^ +2 +0 +02:00:00:00:00:02 " || it_fail "02:..:02 not learned on port 2"
    flooded=$(port_stat vhu3 tx_packets)
    before=$(port_stat vhu1 rx_packets)
    sleep 1
    [ "$(port_stat vhu1 rx_packets)" -gt "$before" ] || it_fail "traffic stopped"
    [ "$(port_stat vhu3 tx_packets)" = "$flooded" ] || it_fail "vhu3 still receives after learning"
    [ "$flooded" -le 64 ] || it_fail "vhu3 got $flooded frames (only pre-learning floods expected)"
    appctl dump-dp-flows
    appctl dump-dp-flows | grep -q "mask=in_port=4294967295,dl_src=ff:ff:ff:ff:ff:ff,dl_dst=ff:ff:ff:ff:ff:ff" ||
        it_fail "megaflows do not match exactly in_port+dl_src+dl_dst"
    it_log "vhu3 received $flooded flooded frames before learning"
    exact_check 2 tp
    ;;
client)
    start_switch
    # The switch's client ports retry (backoff up to 1 s) until testpmd,
    # which listens (server=1), is up.
    for i in 1 2; do
        vsctl add-port br0 vhu$i type=vhostuserclient \
            options:server-path="$IT_WORK/p$((i - 1)).sock" || it_fail "add-port vhu$i"
    done
    ofctl del-flows br0
    ofctl add-flow br0 in_port=1,actions=output:2 || it_fail "add-flow"
    ofctl add-flow br0 in_port=2,actions=output:1 || it_fail "add-flow"
    start_testpmd tp1 2 ",server=1"
    wait_traffic vhu1 100000
    wait_traffic vhu2 100000
    vsctl show
    kill -KILL "$tp_pid"; wait "$tp_pid" 2>/dev/null
    it_wait_for "! vsctl show | grep -q 'connected, rings ready'" 20 "the switch to see testpmd die"
    vsctl show
    before=$(port_stat vhu1 rx_packets)
    rm -f "$IT_WORK/p0.sock" "$IT_WORK/p1.sock"
    start_testpmd tp2 2 ",server=1"
    wait_traffic vhu1 $((before + 100000))
    wait_traffic vhu2 100000
    vsctl show
    [ "$(pmd_stat emc_hits)" -gt 0 ] || it_fail "no EMC hits"
    it_stop "$tp_pid"
    ;;
*) it_fail "unknown mode $mode" ;;
esac

out=$(appctl exit 2>&1) || it_fail "exit method: $out"
for i in $(seq 1 100); do kill -0 "$switch_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$switch_pid" 2>/dev/null && it_fail "switch did not exit"
wait "$switch_pid"; rc=$?
[ $rc = 0 ] || it_fail "switch exited with $rc"
[ -e "$ctl" ] && it_fail "control socket not removed"
grep -q "exiting" "$IT_WORK/switchd-file.log" || it_fail "no exit in the log file"
echo "PASS: rsw-switchd $mode"
