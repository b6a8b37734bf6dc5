#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# rsw-switchd "dpdk" ports (DPDK ethdevs by devargs) against Linux network
# stacks in network namespaces the test creates.
#
#   MODE tap:      two ports net_tap0/net_tap1; each tap's kernel end is
#                  moved into its own namespace (10.77.0.1 and .2).
#   MODE afpacket: two ports net_af_packet on the root ends of two veth
#                  pairs whose other ends sit in the namespaces.
#   Both:          ping 5/5 across the switch with NORMAL (MAC learning),
#                  then with in_port rules; each time the switch's per-port
#                  rx/tx counters must equal the kernel interfaces' tx/rx
#                  counters exactly (IPv6 is off in the namespaces, so the
#                  kernels send nothing but ARP and ICMP).  A third port is
#                  added and removed while a ping runs (no loss).  Port B
#                  has mtu_request=1000: 1400-byte pings are counted as
#                  too_big drops on it.  Bad options are refused.
#   MODE mixed:    a net_tap port (namespace A) and a vhostuser port whose
#                  peer is dpdk-testpmd (net_virtio_user) in icmpecho mode:
#                  the kernel pings the testpmd port through the switch.
# The switch's PMD runs on core 1 (testpmd forwards on core 0).
set -u
source "$(dirname "$0")/lib.sh"
bindir=$1 mode=$2
it_require_root
it_require_hugepages
it_require_cmd ip iproute2
it_require_cmd busybox busybox-static
it_require_cmd python3 python3
[ -c /dev/net/tun ] || it_skip "no /dev/net/tun (tun module) for net_tap"

ctl=$IT_WORK/ctl
nsA=rswdA$$ nsB=rswdB$$
ifA=rswdA$$ ifB=rswdB$$          # kernel interfaces inside the namespaces
vethA=rswvA$$ vethB=rswvB$$      # root ends of the veth pairs (afpacket)
# (A bounded wait: a switch that never applies a change fails the test.)
vsctl() { timeout 60 "$bindir/rsw-vsctl" --ctl "$ctl" "$@"; }
ofctl() { timeout 60 "$bindir/rsw-ofctl" --ctl "$ctl" "$@"; }
appctl() { timeout 60 "$bindir/rsw-appctl" --ctl "$ctl" "$@"; }

cleanup() {
    # Processes first: closing the taps deletes them.
    it_cleanup
    ip netns del "$nsA" 2>/dev/null
    ip netns del "$nsB" 2>/dev/null
    ip link del "$vethA" 2>/dev/null
    ip link del "$vethB" 2>/dev/null
    return 0
}
trap cleanup EXIT

port_stat() { # PORT FIELD (a counter or a drop reason)
    ofctl --format json dump-ports br0 "$1" |
        python3 -c "import json,sys; p=json.load(sys.stdin)[0]; f='$2'; print(p['drops'][f] if f in p['drops'] else p[f])"
}
drops_other_than_no_route() { # PORT (no_route: frames in a rule-less window)
    ofctl --format json dump-ports br0 "$1" |
        python3 -c "import json,sys; d=json.load(sys.stdin)[0]['drops']; print(sum(v for k,v in d.items() if k!='no_route'))"
}
kstat() { # NS IFACE FIELD: the kernel's counter
    ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}

start_switch() {
    local prefix
    prefix=$(it_prefix sw)
    IT_PREFIXES+=("$prefix")   # it_prefix ran in a subshell
    it_start switchd "$bindir/rsw-switchd" --ctl "$ctl" --pmd-cores 1 \
        --eal "--file-prefix=$prefix" --log-file "$IT_WORK/switchd-file.log"
    switch_pid=$IT_LAST_PID
    it_wait_for "[ -S $ctl ]" 20 "the switch's control socket"
    vsctl add-br br0 || it_fail "add-br"
}

add_dpdk_port() { # NAME DEVARGS [k=v...]
    local name=$1 devargs=$2
    shift 2
    # Quoted (ovs-vsctl syntax): devargs contain commas and '='.
    vsctl add-port br0 "$name" -- set Interface "$name" type=dpdk \
        options:devargs="\"$devargs\"" "$@" || it_fail "add-port $name ($devargs)"
}

# ns_setup NS IFACE ADDR: IPv6 off (no background traffic), address, up.
ns_setup() {
    local ns=$1 dev=$2 addr=$3
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 || it_fail "sysctl in $ns"
    # (No IPv6 state at all on a link with an MTU under 1280.)
    if ip netns exec "$ns" test -e "/proc/sys/net/ipv6/conf/$dev"; then
        ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1" ||
            it_fail "sysctl $dev in $ns"
    fi
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$addr/24" dev "$dev" || it_fail "address on $dev"
    ip -n "$ns" link set "$dev" up || it_fail "link up $dev"
}

make_namespaces() {
    ip netns add "$nsA" || it_fail "netns add"
    ip netns add "$nsB" || it_fail "netns add"
}

setup_tap() { # PORT-B-OPTIONS...
    make_namespaces
    devA="net_tap0,iface=$ifA"
    add_dpdk_port dpA "$devA"
    add_dpdk_port dpB "net_tap1,iface=$ifB" "$@"
    # The PMD created the taps here; their kernel ends go to the namespaces.
    ip link set "$ifA" netns "$nsA" || it_fail "move $ifA"
    ip link set "$ifB" netns "$nsB" || it_fail "move $ifB"
    ns_setup "$nsA" "$ifA" 10.77.0.1
    ns_setup "$nsB" "$ifB" 10.77.0.2
}

setup_afpacket() {
    make_namespaces
    ip link add "$vethA" type veth peer name "$ifA" netns "$nsA" || it_fail "veth A"
    ip link add "$vethB" type veth peer name "$ifB" netns "$nsB" || it_fail "veth B"
    for v in "$vethA" "$vethB"; do
        sysctl -qw "net.ipv6.conf.$v.disable_ipv6=1"
        ip link set "$v" up || it_fail "link up $v"
    done
    devA="net_af_packet0,iface=$vethA"
    add_dpdk_port dpA "$devA"
    add_dpdk_port dpB "net_af_packet1,iface=$vethB" options:mtu_request=1000
    ns_setup "$nsA" "$ifA" 10.77.0.1
    ns_setup "$nsB" "$ifB" 10.77.0.2
}

ping_ok() { # NS DST COUNT [busybox ping args]: all COUNT echoes answered
    local ns=$1 dst=$2 n=$3 out
    shift 3
    out=$(ip netns exec "$ns" busybox ping -c "$n" -i 0.2 -W 3 "$@" "$dst" 2>&1)
    echo "$out" | tail -n 2
    echo "$out" | grep -q "$n packets transmitted, $n packets received"
}

# Counters of both sides in one line: switch dpA rx tx, dpB rx tx, kernel
# A tx rx, kernel B tx rx.
snap() {
    local f=/sys/class/net
    ofctl --format json dump-ports br0 | python3 -c "
import json, sys
p = {x['port']: x for x in json.load(sys.stdin)}
print(*[p[n][c] for n in ('dpA', 'dpB') for c in ('rx_packets', 'tx_packets')])"
    ip netns exec "$nsA" cat $f/$ifA/statistics/tx_packets $f/$ifA/statistics/rx_packets
    ip netns exec "$nsB" cat $f/$ifB/statistics/tx_packets $f/$ifB/statistics/rx_packets
}

# snap once nothing moves any more (late ARP exchanges, frames in flight).
snap_quiet() {
    local x y i
    for i in $(seq 1 20); do
        x=$(snap | xargs)
        sleep 0.3
        y=$(snap | xargs)
        [ "$x" = "$y" ] && { echo "$x"; return 0; }
    done
    it_fail "counters never settled"
}

# exact_ping WHAT: 5/5 pings A -> B; every switch counter moved exactly as
# much as the kernel counter on the other side of the same wire.
exact_ping() {
    local what=$1 b a d i
    b=($(snap_quiet))
    ping_ok "$nsA" 10.77.0.2 5 || it_fail "$what: ping A -> B lost packets"
    a=($(snap_quiet))
    for i in 0 1 2 3 4 5 6 7; do d[$i]=$((a[i] - b[i])); done
    it_log "$what: switch dpA rx=${d[0]} tx=${d[1]} dpB rx=${d[2]} tx=${d[3]};" \
        "kernel A tx=${d[4]} rx=${d[5]} B tx=${d[6]} rx=${d[7]}"
    [ "${d[0]}" -ge 5 ] && [ "${d[2]}" -ge 5 ] || it_fail "$what: fewer than 5 frames each way"
    [ "${d[0]}" = "${d[4]}" ] || it_fail "$what: dpA rx ${d[0]} != kernel A tx ${d[4]}"
    [ "${d[1]}" = "${d[5]}" ] || it_fail "$what: dpA tx ${d[1]} != kernel A rx ${d[5]}"
    [ "${d[2]}" = "${d[6]}" ] || it_fail "$what: dpB rx ${d[2]} != kernel B tx ${d[6]}"
    [ "${d[3]}" = "${d[7]}" ] || it_fail "$what: dpB tx ${d[3]} != kernel B rx ${d[7]}"
    [ "${d[0]}" = "${d[3]}" ] && [ "${d[2]}" = "${d[1]}" ] ||
        it_fail "$what: the switch did not forward every frame"
}

# expect_port_error NAME PATTERN SETTINGS...: the Interface is created in
# the database but the switch refuses it, with PATTERN in its error column.
expect_port_error() {
    ename=$1 epat=$2
    shift 2
    vsctl add-port br0 "$ename" -- set Interface "$ename" type=dpdk "$@" ||
        it_fail "add-port $ename"
    it_wait_for 'vsctl get Interface "$ename" error 2>/dev/null | grep -qF -- "$epat"' \
        10 "error '$epat' on $ename"
    it_log "$ename refused: $(vsctl get Interface "$ename" error)"
    vsctl del-port br0 "$ename" || it_fail "del-port $ename"
}

bad_options() {
    expect_port_error bad1 "needs options:devargs"
    expect_port_error bad2 "unknown option 'colour'" options:devargs=net_null9 \
        options:colour=red
    expect_port_error bad3 "options:n_rxq must be 1..64" options:devargs=net_null9 \
        options:n_rxq=0
    expect_port_error bad4 "cannot probe 'no_such_driver0'" \
        options:devargs=no_such_driver0
    expect_port_error bad5 "belongs to another port" options:devargs="\"$devA\""
}

two_port_test() {
    local out
    vsctl show
    vsctl show | grep -q "net_tap ethdev\|net_af_packet ethdev" || it_fail "no ethdev status"
    bad_options
    ofctl dump-flows br0 | grep -q "actions=NORMAL" || it_fail "no default NORMAL rule"
    exact_ping normal
    appctl fdb-show br0
    ofctl del-flows br0 || it_fail "del-flows"
    ofctl add-flow br0 in_port=1,actions=output:2 || it_fail "add-flow"
    ofctl add-flow br0 in_port=2,actions=output:1 || it_fail "add-flow"
    exact_ping rules

    # Ports come and go while traffic flows on the others.
    ip netns exec "$nsA" busybox ping -c 20 -i 0.1 -W 3 10.77.0.2 \
        > "$IT_WORK/ping-hotplug.log" 2>&1 &
    local ping_pid=$!
    sleep 0.3
    add_dpdk_port dpN net_null0
    appctl pmd-rxq-show | grep -q "port=dpN" || it_fail "dpN not polled"
    sleep 0.5
    [ "$(port_stat dpN rx_packets)" -gt 0 ] || it_fail "net_null port received nothing"
    vsctl del-port br0 dpN || it_fail "del-port dpN"
    wait "$ping_pid"
    tail -n 2 "$IT_WORK/ping-hotplug.log"
    grep -q "20 packets transmitted, 20 packets received" "$IT_WORK/ping-hotplug.log" ||
        it_fail "pings lost while a port was added and removed"

    # dpB's MTU is 1000: 1442-byte frames are too big for it.
    local big=$(port_stat dpB too_big)
    ping_ok "$nsA" 10.77.0.2 3 -s 1400 && it_fail "1400-byte pings crossed an MTU of 1000"
    [ $(($(port_stat dpB too_big) - big)) = 3 ] ||
        it_fail "expected 3 too_big drops on dpB, got $(($(port_stat dpB too_big) - big))"
    [ "$(drops_other_than_no_route dpA)" = 0 ] ||
        it_fail "unexpected drops on dpA: $(ofctl dump-ports br0 dpA)"
    ofctl dump-ports br0
}

case $mode in
tap)
    start_switch
    setup_tap options:mtu_request=1000
    two_port_test
    ;;
afpacket)
    start_switch
    setup_afpacket
    two_port_test
    ;;
mixed)
    it_require_cmd dpdk-testpmd dpdk
    start_switch
    make_namespaces
    add_dpdk_port dpA "net_tap0,iface=$ifA"
    vsctl add-port br0 vhu1 type=vhostuser options:path="$IT_WORK/p0.sock" ||
        it_fail "add-port vhu1"
    ip link set "$ifA" netns "$nsA" || it_fail "move $ifA"
    ns_setup "$nsA" "$ifA" 10.77.0.1
    prefix=$(it_prefix tp)
    IT_PREFIXES+=("$prefix")
    it_start tp dpdk-testpmd -l 0,1 --main-lcore 1 --no-pci \
        --single-file-segments -m 256 --file-prefix="$prefix" \
        --vdev "net_virtio_user0,path=$IT_WORK/p0.sock,queues=1,mac=02:00:00:00:00:02" -- \
        --total-num-mbufs=16384 --forward-mode=icmpecho --nb-cores=1 --stats-period 1
    tp_pid=$IT_LAST_PID
    it_wait_for "vsctl show | grep -q 'connected, rings ready'" 30 "testpmd to connect"
    sleep 1
    b_rx=$(port_stat vhu1 rx_packets) b_tx=$(port_stat vhu1 tx_packets)
    a_rx=$(port_stat dpA rx_packets) k_tx=$(kstat "$nsA" "$ifA" tx_packets)
    ping_ok "$nsA" 10.77.0.2 5 || it_fail "ping tap -> virtio-user lost packets"
    sleep 0.5
    d_a=$(($(port_stat dpA rx_packets) - a_rx)) d_k=$(($(kstat "$nsA" "$ifA" tx_packets) - k_tx))
    d_brx=$(($(port_stat vhu1 rx_packets) - b_rx)) d_btx=$(($(port_stat vhu1 tx_packets) - b_tx))
    it_log "dpA rx=$d_a (kernel tx $d_k); vhu1 tx=$d_btx rx=$d_brx"
    [ "$d_a" = "$d_k" ] || it_fail "dpA rx $d_a != kernel tx $d_k"
    [ "$d_btx" = "$d_a" ] || it_fail "vhu1 tx $d_btx != dpA rx $d_a"
    [ "$d_brx" = "$d_btx" ] || it_fail "testpmd answered $d_brx of $d_btx requests"
    it_stop "$tp_pid"
    ;;
*) it_fail "unknown mode $mode" ;;
esac

out=$(appctl exit 2>&1) || it_fail "exit method: $out"
for i in $(seq 1 100); do kill -0 "$switch_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$switch_pid" 2>/dev/null && it_fail "switch did not exit"
wait "$switch_pid"; rc=$?
[ $rc = 0 ] || it_fail "switch exited with $rc"
echo "PASS: rsw-switchd dpdk $mode"
