#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two Linux guests in QEMU (TCG, DESIGN.md §4) ping each other through
# rsw-switchd: one bridge with the default NORMAL rule (MAC learning), two
# ports of type MODE:
#   vhostuser        the switch listens, QEMU connects (chardev client)
#   vhostuserclient  QEMU listens (server=on,wait=off), the switch connects
# Guest B waits; guest A waits for B to answer, then pings it 10 times and
# must get 10/10; the switch's counters must show the traffic both ways.
# Then the cut-off check: A keeps pinging once a second and reports when the
# pings stop and when they come back.  vhostuser: a port-to-port drop rule
# for A's port stops them (frames from A counted in, none out to B); NORMAL
# again restores them.  vhostuserclient: deleting B's port stops them;
# adding it again (the switch reconnects to QEMU, the guest is not
# restarted) restores them.  A then powers off by itself.
#
# Images come from utilities/rsw-guest-image (kernel via apt, cached in
# CACHE, shared with it_vmm_linux_banner); SKIP if apt cannot get the kernel.
#   test_switchd_qemu.sh BINDIR MODE CACHE
set -u
source "$(dirname "$0")/lib.sh"
bindir=$1 mode=$2 cache=$3
guest_image=$(cd "$(dirname "$0")/../../utilities" && pwd)/rsw-guest-image
it_require_root
it_require_hugepages
it_require_cmd qemu-system-x86_64 qemu-system-x86
it_require_cmd python3 python3
case $mode in vhostuser|vhostuserclient) ;; *) it_fail "unknown mode $mode" ;; esac

t0=$(date +%s.%N)
elapsed() { awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

images=$(bash "$guest_image" --no-install "$cache" 2>"$IT_WORK/guest-image.log")
case $? in
    0) eval "$images" ;;
    3) it_skip "$(tail -n 1 "$IT_WORK/guest-image.log")" ;;
    *) it_fail "rsw-guest-image: $(tail -n 3 "$IT_WORK/guest-image.log")" ;;
esac
it_log "guest image ready after $(elapsed)s: $RSW_GUEST_KERNEL"

ctl=$IT_WORK/ctl
vsctl() { "$bindir/rsw-vsctl" --ctl "$ctl" "$@"; }
ofctl() { "$bindir/rsw-ofctl" --ctl "$ctl" "$@"; }
appctl() { "$bindir/rsw-appctl" --ctl "$ctl" "$@"; }
port_stat() { # PORT FIELD
    ofctl --format json dump-ports br0 "$1" |
        python3 -c "import json,sys; print(json.load(sys.stdin)[0]['$2'])"
}

# add_port NAME SOCK
add_port() {
    if [ "$mode" = vhostuser ]; then
        vsctl add-port br0 "$1" type=vhostuser options:path="$2" || it_fail "add-port $1"
    else
        vsctl add-port br0 "$1" type=vhostuserclient options:server-path="$2" ||
            it_fail "add-port $1"
    fi
}

# start_guest NAME SOCK MAC CMDLINE...: QEMU with the flags of DESIGN.md §4.
# Sets GUEST_PID.
start_guest() {
    local name=$1 mac=$3 chardev="socket,id=c0,path=$2"
    shift 3
    [ "$mode" = vhostuserclient ] && chardev+=",server=on,wait=off"
    it_start "qemu-$name" qemu-system-x86_64 -accel tcg -m 256M -smp 1 \
        -nodefaults -nographic -no-reboot -serial "file:$IT_WORK/serial-$name.log" \
        -object memory-backend-memfd,id=m,size=256M,share=on -numa node,memdev=m \
        -chardev "$chardev" -netdev vhost-user,id=n0,chardev=c0 \
        -device "virtio-net-pci,netdev=n0,mac=$mac,vectors=0,romfile=" \
        -kernel "$RSW_GUEST_KERNEL" -initrd "$RSW_GUEST_INITRD" \
        -append "$RSW_GUEST_CMDLINE $*"
    GUEST_PID=$IT_LAST_PID
}

# The switch's view, printed before failing on a guest.
switch_diag() {
    [ -S "$ctl" ] || return 0
    echo "----- switch ports, PMDs and datapath flows"
    ofctl dump-ports br0
    appctl pmd-stats-show
    appctl dump-dp-flows
} 2>&1

# wait_serial NAME PATTERN TIMEOUT WHAT: fails early if the guest reported
# an error.
wait_serial() {
    local f=$IT_WORK/serial-$1.log
    for _ in $(seq 1 $(($3 * 10))); do
        grep -aq "$2" "$f" 2>/dev/null && return 0
        if grep -aq "RSW-ERROR" "$f" 2>/dev/null; then
            switch_diag
            it_fail "guest $1: $(grep -a -m1 -o 'RSW-ERROR.*' "$f")"
        fi
        sleep 0.1
    done
    switch_diag
    it_fail "guest $1: no '$2' ($4) within $3 s"
}
serial_line() { grep -a -o "$2.*" "$IT_WORK/serial-$1.log" | tail -n 1; }

# 1. The switch: one PMD on core 1, a bridge with NORMAL, a port per guest.
prefix=$(it_prefix sw)
IT_PREFIXES+=("$prefix")   # it_prefix ran in a subshell
it_start switchd "$bindir/rsw-switchd" --ctl "$ctl" --db "$IT_WORK/conf.db" --pmd-cores 1 \
    --eal "--file-prefix=$prefix" --log-file "$IT_WORK/switchd-file.log"
switch_pid=$IT_LAST_PID
it_wait_for "[ -S $ctl ]" 20 "the switch's control socket"
vsctl add-br br0 || it_fail "add-br"
add_port vhu1 "$IT_WORK/a.sock"
add_port vhu2 "$IT_WORK/b.sock"
ofctl dump-flows br0 | grep -q "actions=NORMAL" || it_fail "no default NORMAL rule"
if [ "$mode" = vhostuser ]; then
    it_wait_for "[ -S $IT_WORK/a.sock ] && [ -S $IT_WORK/b.sock ]" 10 "the switch's sockets"
fi
ofport_a=$(port_stat vhu1 ofport) || it_fail "dump-ports vhu1"

# 2. Guest B waits; guest A pings it (0.2 s apart), then watches the pings.
boot_t0=$(date +%s.%N)
start_guest b "$IT_WORK/b.sock" 52:54:00:00:00:02 rsw.ip=10.0.0.2/24
b_pid=$GUEST_PID
start_guest a "$IT_WORK/a.sock" 52:54:00:00:00:01 rsw.ip=10.0.0.1/24 \
    rsw.ping=10.0.0.2:10:0.2 rsw.watch=2 rsw.watchmax=40
a_pid=$GUEST_PID
wait_serial a "RSW-READY" 60 "eth0 configured"
wait_serial b "RSW-READY" 60 "eth0 configured"
it_wait_for "vsctl show | grep -c 'connected, rings ready' | grep -qx 2" 20 "both ports' rings ready"
vsctl show
wait_serial a "RSW-PING " 60 "the result of ping -c 10"
boot_to_ping=$(awk -v s="$boot_t0" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
result=$(serial_line a "RSW-PING ")
it_log "guest A: $(serial_line a RSW-READY); $(serial_line a RSW-PEER-UP)"
it_log "guest A: $result (QEMU start to result: ${boot_to_ping}s)"
[[ "$result" == "RSW-PING sent=10 received=10 "* ]] || it_fail "expected 10/10 pings: $result"

# Both directions crossed the switch: requests A->B, replies B->A.
for p in vhu1 vhu2; do
    rx=$(port_stat $p rx_packets) tx=$(port_stat $p tx_packets)
    it_log "$p: rx_packets=$rx tx_packets=$tx"
    [ "$rx" -ge 10 ] && [ "$tx" -ge 10 ] || it_fail "$p: expected >= 10 packets each way"
done
appctl fdb-show br0
appctl fdb-show br0 | grep -q " 52:54:00:00:00:01 " || it_fail "A's MAC not learned"
appctl fdb-show br0 | grep -q " 52:54:00:00:00:02 " || it_fail "B's MAC not learned"

# 3. Cut off, check, restore.
if [ "$mode" = vhostuser ]; then
    ofctl add-flow br0 "in_port=$ofport_a,actions=drop" || it_fail "add-flow drop"
    wait_serial a "RSW-WATCH down" 20 "pings stopped by the drop rule"
    a_rx=$(port_stat vhu1 rx_packets) b_tx=$(port_stat vhu2 tx_packets)
    sleep 2
    it_log "with the drop rule: vhu1 rx $a_rx -> $(port_stat vhu1 rx_packets), vhu2 tx $b_tx -> $(port_stat vhu2 tx_packets)"
    [ "$(port_stat vhu1 rx_packets)" -gt "$a_rx" ] || it_fail "A stopped sending?"
    [ "$(port_stat vhu2 tx_packets)" = "$b_tx" ] || it_fail "frames from A still reach B"
    ofctl add-flow br0 "in_port=$ofport_a,actions=normal" || it_fail "add-flow normal"
else
    vsctl del-port br0 vhu2 || it_fail "del-port"
    wait_serial a "RSW-WATCH down" 20 "pings stopped by deleting B's port"
    add_port vhu2 "$IT_WORK/b.sock"
fi
wait_serial a "RSW-WATCH up" 30 "pings back"
it_log "cut-off check: pings stopped and resumed"

# 4. A powers off by itself; B and the switch are stopped.
wait_serial a "RSW-DONE" 20 "guest A done"
for _ in $(seq 1 100); do kill -0 "$a_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$a_pid" 2>/dev/null && it_fail "QEMU of guest A did not exit after poweroff"
wait "$a_pid"; rc=$?
[ $rc = 0 ] || it_fail "QEMU of guest A exited with $rc"
it_stop "$b_pid"
out=$(appctl exit 2>&1) || it_fail "exit method: $out"
for _ in $(seq 1 100); do kill -0 "$switch_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$switch_pid" 2>/dev/null && it_fail "switch did not exit"
wait "$switch_pid"; rc=$?
[ $rc = 0 ] || it_fail "switch exited with $rc"
echo "PASS: two QEMU guests, $mode ports: $result; QEMU start to ping result ${boot_to_ping}s; total $(elapsed)s"
