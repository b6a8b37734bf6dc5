#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# rsw-switchd across restarts of its peers and of itself (dpdk-testpmd
# net_virtio_user frontends, port rules in_port=1 -> 2, 2 -> 1).
#
#   MODE frontend_restart: vhostuser ports (the switch listens).  Five
#       times: testpmd io-forwards a --tx-first burst around the loop, then
#       is killed with SIGKILL mid-traffic.  After each death the switch's
#       counters must balance exactly (rx = tx + drops, only tx_not_ready /
#       tx_no_room drops, nothing refused as a bad descriptor or broken
#       queue), and its open fds and RSS must not grow from cycle to cycle.
#       A sixth testpmd then runs and stops cleanly: the switch's counters
#       for it equal testpmd's own, as in it_switchd_rules.
#       (it_switchd_client restarts a listening testpmd once under client
#       ports; this is the server side, repeated, with the leak check.)
#   MODE kill9_client: vhostuserclient ports; testpmd listens (server=1)
#       and runs flowgen for the whole test, never restarted.  The switch is
#       killed with SIGKILL mid-traffic and started again, twice, over its
#       stale control socket and DPDK runtime directory.  Bridge and ports
#       come back from the switch's database if it has one; the test re-adds
#       them with --may-exist either way, and the flows (runtime state).
#       testpmd replays its rings with SET_VRING_BASE 0 although they are in
#       use: the switch must resume them at their used index rather than
#       mark them broken.  Traffic resumes; per port, testpmd's RX since the
#       switch died equals the new switch's tx exactly, the new switch's rx
#       exceeds testpmd's TX by at most the ring's backlog (frames queued
#       while the switch was down), and its counters balance.
#       (flowgen, not io --tx-first: testpmd turns link-state interrupts off
#       with --tx-first, and a listening virtio-user only notices the
#       backend's death and accepts it back through them.)
# The switch runs its PMD on core 1, testpmd forwards on core 0.
set -u
source "$(dirname "$0")/lib.sh"
SW_BIN=$1 mode=$2
it_require_root
it_require_hugepages
it_require_cmd dpdk-testpmd dpdk
it_require_cmd python3 python3

PORTS="vhu1 vhu2"
REFUSALS="bad_descriptor queue_broken runt too_big"

flows() {
    sw_ofctl del-flows br0 || it_fail "del-flows"
    sw_ofctl add-flow br0 in_port=1,actions=output:2 || it_fail "add-flow"
    sw_ofctl add-flow br0 in_port=2,actions=output:1 || it_fail "add-flow"
}

# Reads every counter of vhu1 and vhu2 into C[port.name].
declare -A C
read_counters() {
    local p k v
    C=()
    for p in $PORTS; do
        while IFS== read -r k v; do C[$p.$k]=$v; done < <(sw_port_counters $p)
    done
}

# Until no counter of the switch moves for a second.
wait_quiet() {
    local a b i
    for i in $(seq 1 30); do
        a=$(sw_ofctl --format json dump-ports br0)
        sleep 1
        b=$(sw_ofctl --format json dump-ports br0)
        [ "$a" = "$b" ] && return 0
    done
    it_fail "the switch's counters never settled"
}

# Checks, over counters C against the previous ones P: rx = tx + drops, no
# refusal.  Prints the deltas.
declare -A P
balance() { # WHAT
    local p d rx=0 tx=0 drops=0 r
    for p in $PORTS; do
        rx=$(( rx + C[$p.rx_packets] - ${P[$p.rx_packets]:-0} ))
        tx=$(( tx + C[$p.tx_packets] - ${P[$p.tx_packets]:-0} ))
        for r in tx_no_room tx_not_ready no_mbuf no_route upcall_fail $REFUSALS; do
            d=$(( ${C[$p.$r]:-0} - ${P[$p.$r]:-0} ))
            drops=$(( drops + d ))
            case " $REFUSALS " in *" $r "*)
                [ "$d" = 0 ] || it_fail "$1: $p refused $d ($r)";;
            esac
        done
    done
    it_log "$1: rx $rx = tx $tx + drops $drops"
    [ "$rx" = $(( tx + drops )) ] || it_fail "$1: rx $rx != tx $tx + drops $drops"
}

frontend_restart() {
    local c fds=() rss=() maps=() huge=()
    sw_start switchd
    sw_vsctl add-br br0 || it_fail "add-br"
    for i in 1 2; do
        sw_vsctl add-port br0 vhu$i -- set Interface vhu$i type=vhostuser \
            options:path="$IT_WORK/p$((i - 1)).sock" ofport_request=$i ||
            it_fail "add-port vhu$i"
    done
    flows
    P=()
    for c in 1 2 3 4 5; do
        sw_testpmd tp$c 2 "" --forward-mode=io --tx-first
        sw_wait_rx vhu1 $(( ${P[vhu1.rx_packets]:-0} + 20000 ))
        sw_wait_rx vhu2 $(( ${P[vhu2.rx_packets]:-0} + 20000 ))
        kill -KILL "$TP_PID"
        wait "$TP_PID" 2>/dev/null
        it_wait_for "[ \$(grep -c 'vhu2: vhost-user frontend disconnected' $IT_WORK/switchd-file.log) -ge $c ]" \
            20 "the switch to see testpmd $c die"
        wait_quiet
        read_counters
        balance "cycle $c"
        for k in "${!C[@]}"; do P[$k]=${C[$k]}; done
        fds[$c]=$(it_proc_fds "$SW_PID")
        maps[$c]=$(it_proc_maps "$SW_PID")
        rss[$c]=$(it_proc_rss_kb "$SW_PID")
        huge[$c]=$(it_proc_hugetlb_kb "$SW_PID")
        it_log "cycle $c: switch fds ${fds[$c]}, mappings ${maps[$c]}, RSS ${rss[$c]} kB, hugetlb ${huge[$c]} kB"
    done
    # Cycle 1 warms up what stays (caches, first-use allocations); after
    # it nothing may grow but by a little heap (1 MiB).  The peer's guest
    # memory must be unmapped: mappings and hugetlb back to where they were.
    [ "${fds[5]}" -le "${fds[1]}" ] || it_fail "fds grew: ${fds[1]} -> ${fds[5]}"
    [ "${maps[5]}" -le "${maps[1]}" ] || it_fail "mappings grew: ${maps[1]} -> ${maps[5]}"
    [ "${huge[5]}" -le "${huge[1]}" ] || it_fail "hugetlb grew: ${huge[1]} -> ${huge[5]} kB"
    [ $(( rss[5] - rss[1] )) -le 1024 ] || it_fail "RSS grew: ${rss[1]} -> ${rss[5]} kB"
    # A last testpmd, stopped cleanly: exact against its own counters.
    sw_testpmd tp6 2 "" --forward-mode=io --tx-first
    sw_wait_rx vhu1 $(( P[vhu1.rx_packets] + 20000 ))
    sw_wait_rx vhu2 $(( P[vhu2.rx_packets] + 20000 ))
    sw_ofctl del-flows br0 || it_fail "del-flows"
    wait_quiet
    read_counters
    it_stop "$TP_PID"
    local i p tp_tx tp_rx rx tx nr=0
    for i in 1 2; do
        p=vhu$i
        rx=$(( C[$p.rx_packets] - P[$p.rx_packets] ))
        tx=$(( C[$p.tx_packets] - P[$p.tx_packets] ))
        nr=$(( nr + C[$p.no_route] - ${P[$p.no_route]:-0} ))
        tp_tx=$(testpmd_port_stat "$IT_WORK/tp6.log" $((i - 1)) TX-packets)
        tp_rx=$(testpmd_port_stat "$IT_WORK/tp6.log" $((i - 1)) RX-packets)
        it_log "testpmd 6, $p: switch rx=$rx tx=$tx; testpmd TX=$tp_tx RX=$tp_rx"
        [ "$tp_tx" = "$rx" ] || it_fail "$p: switch rx $rx != testpmd TX $tp_tx"
        [ "$tp_rx" = "$tx" ] || it_fail "$p: switch tx $tx != testpmd RX $tp_rx"
    done
    [ "$nr" = 64 ] || it_fail "expected the 64 circulating frames dropped, got $nr"
    balance "testpmd 6"
}

# Bridge, ports and flows, whatever the restarted switch already has.
client_config() {
    sw_vsctl --may-exist add-br br0 || it_fail "add-br"
    for i in 1 2; do
        sw_vsctl --may-exist add-port br0 vhu$i -- set Interface vhu$i \
            type=vhostuserclient options:server-path="$IT_WORK/p$((i - 1)).sock" \
            ofport_request=$i || it_fail "add-port vhu$i"
    done
    flows
}

# testpmd's NIC counters once they stop moving (the switch is dead):
# sets T[port.field].
declare -A T
testpmd_settled() {
    local log=$IT_WORK/tp.log a b i p
    for i in $(seq 1 20); do
        a=$(grep -c "NIC statistics for port" "$log")
        sleep 2.5
        b=""
        for p in 0 1; do
            b+="$(testpmd_nic_stat "$log" $p TX-packets) $(testpmd_nic_stat "$log" $p RX-packets) "
        done
        sleep 1.2
        c=""
        for p in 0 1; do
            c+="$(testpmd_nic_stat "$log" $p TX-packets) $(testpmd_nic_stat "$log" $p RX-packets) "
        done
        if [ "$b" = "$c" ]; then
            read -r T[0.tx] T[0.rx] T[1.tx] T[1.rx] <<< "$b"
            return 0
        fi
    done
    it_fail "testpmd's counters never settled"
}

kill9_client() {
    local k i tp0 hp
    sw_start switchd1
    client_config
    sw_testpmd tp 2 ",server=1" --forward-mode=flowgen
    tp0=$TP_PID
    sw_wait_rx vhu1 50000
    sw_wait_rx vhu2 50000
    for k in 1 2; do
        kill -KILL "$SW_PID"
        wait "$SW_PID" 2>/dev/null
        [ -S "$SW_CTL" ] || it_fail "expected a stale control socket after kill -9"
        hp=$(ls /dev/hugepages | grep -c "^$SW_PREFIX" || true)
        it_log "switch $k killed; stale: control socket, /var/run/dpdk/$SW_PREFIX ($(ls /var/run/dpdk/$SW_PREFIX 2>/dev/null | wc -l) files), $hp hugepage files"
        testpmd_settled
        it_log "testpmd while the switch is down: port 0 TX=${T[0.tx]} RX=${T[0.rx]}, port 1 TX=${T[1.tx]} RX=${T[1.rx]}"
        sw_start switchd$((k + 1))
        it_log "the restarted switch has: $(sw_vsctl show | tr -s ' \n' ' ')"
        client_config
        sw_wait_rx vhu1 50000
        sw_wait_rx vhu2 50000
        kill -0 "$tp0" 2>/dev/null || it_fail "testpmd died"
        # A quiet moment: the switch stops forwarding, testpmd is paused.
        sw_ofctl del-flows br0 || it_fail "del-flows"
        sleep 0.5
        kill -STOP "$tp0"
        wait_quiet
        read_counters
        P=()
        balance "switch $((k + 1))"
        kill -CONT "$tp0"
        sleep 2.5    # a periodic testpmd report; its RX stopped with the flows
        for i in 0 1; do
            local p=vhu$((i + 1))
            local rx_tp=$(( $(testpmd_nic_stat "$IT_WORK/tp.log" $i RX-packets) - T[$i.rx] ))
            local tx_tp=$(( $(testpmd_nic_stat "$IT_WORK/tp.log" $i TX-packets) - T[$i.tx] ))
            it_log "testpmd port $i since switch $k died: RX=$rx_tp, TX=$tx_tp (goes on); switch $p tx=${C[$p.tx_packets]} rx=${C[$p.rx_packets]}"
            [ "$rx_tp" = "${C[$p.tx_packets]}" ] || it_fail "$p: switch tx ${C[$p.tx_packets]} != testpmd RX $rx_tp"
            [ "${C[$p.rx_packets]}" -ge 50000 ] || it_fail "$p: traffic did not resume"
            # Frames testpmd queued while the switch was down (or the dead
            # switch took without completing) reach the new one: at most a
            # ring (256) more than testpmd sent since.
            [ "${C[$p.rx_packets]}" -le $(( tx_tp + 256 )) ] ||
                it_fail "$p: switch rx ${C[$p.rx_packets]} > testpmd TX $tx_tp + 256"
        done
        flows
        sw_wait_rx vhu1 $(( C[vhu1.rx_packets] + 20000 ))
    done
    sw_exit
    kill -0 "$tp0" 2>/dev/null || it_fail "testpmd died"
    it_stop "$tp0"
}

case $mode in
frontend_restart) frontend_restart ;;
kill9_client) kill9_client ;;
*) it_fail "unknown mode $mode" ;;
esac
[ "$mode" = frontend_restart ] && sw_exit
echo "PASS: rsw-switchd $mode"
