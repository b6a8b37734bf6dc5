#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two rsw-vmm test guests talking through rsw-switchd.
#
# The switch services both guests' virtqueues directly in their memfd
# memory (no copy through the VMMs); flows in_port=1->2 and 2->1.
#   sendrecv: vhostuser ports (the switch listens).  Guest B recv:N, then
#             guest A send:N: B must get all N frames in order, none
#             corrupt; the switch counts rx=N on vhu1, tx=N on vhu2 and no
#             drop anywhere.
#   pingpong: vhostuserclient ports (rsw-vmm --net ...,server listens, the
#             switch connects).  Guest A pingpong:N, guest B echo:N; every
#             round trip comes back intact; each port counts rx=tx=N.
# Usage: test_vmm_switchd.sh RSW_VMM SWITCHD_BINDIR MODE [N]
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vmm_lib.sh"
vmm=$1 bindir=$2 mode=$3 n=${4:-200}
it_require_root
it_require_hugepages
it_require_cmd python3 python3
[ -c /dev/kvm ] || it_skip "no /dev/kvm"
it_log "guest speed: $(vmm_speed "$vmm") instructions/us"

ctl=$IT_WORK/ctl
vsctl() { "$bindir/rsw-vsctl" --ctl "$ctl" "$@"; }
ofctl() { "$bindir/rsw-ofctl" --ctl "$ctl" "$@"; }
port_json() { "$bindir/rsw-ofctl" --ctl "$ctl" --format json dump-ports br0 "$1"; }
port_stat() { # PORT FIELD
    port_json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['$2'])"
}
port_drops() { # PORT: sum of every drop counter
    port_json "$1" | python3 -c "import json,sys; print(sum(json.load(sys.stdin)[0]['drops'].values()))"
}

prefix=$(it_prefix sw)
IT_PREFIXES+=("$prefix")   # it_prefix ran in a subshell: register here
it_start switchd "$bindir/rsw-switchd" --ctl "$ctl" --pmd-cores 1 \
    --eal "--file-prefix=$prefix" --log-file "$IT_WORK/switchd-file.log"
switch_pid=$IT_LAST_PID
it_wait_for "[ -S $ctl ]" 20 "the switch's control socket"
vsctl add-br br0 || it_fail "add-br"

# start_vm NAME SOCK MODE [net options]: rsw-vmm in the background.
start_vm() {
    local name=$1 sock=$2 gmode=$3 netopt=${4:-}
    it_start "$name" "$vmm" --test-guest "$gmode" --mem 32M \
        --net "vhost-user,path=$sock$netopt" --serial "file:$IT_WORK/$name.serial" \
        --connect-timeout 30 -v
}

add_ports() { # TYPE OPTION
    local i
    for i in 1 2; do
        vsctl add-port br0 vhu$i -- set Interface vhu$i type="$1" \
            options:"$2"="$IT_WORK/p$i.sock" ofport_request=$i ||
            it_fail "add-port vhu$i"
    done
    ofctl del-flows br0
    ofctl add-flow br0 in_port=1,actions=output:2 || it_fail "add-flow"
    ofctl add-flow br0 in_port=2,actions=output:1 || it_fail "add-flow"
}

check_port() { # PORT RX TX
    local rx tx drops
    rx=$(port_stat "$1" rx_packets) tx=$(port_stat "$1" tx_packets)
    drops=$(port_drops "$1")
    it_log "switch $1: rx=$rx tx=$tx drops=$drops (want $2/$3/0)"
    [ "$rx" = "$2" ] && [ "$tx" = "$3" ] && [ "$drops" = 0 ] ||
        it_fail "switch $1 counted rx=$rx tx=$tx drops=$drops: $(port_json "$1")"
}

case $mode in
sendrecv)
    add_ports vhostuser path
    it_wait_for "[ -S $IT_WORK/p1.sock ] && [ -S $IT_WORK/p2.sock ]" 20 "the switch's sockets"
    start_vm b "$IT_WORK/p2.sock" "recv:$n"
    b_pid=$IT_LAST_PID
    it_wait_for "grep -q READY $IT_WORK/b.serial 2>/dev/null" 60 "guest B ready"
    start_vm a "$IT_WORK/p1.sock" "send:$n"
    a_pid=$IT_LAST_PID
    vmm_wait_exit "$a_pid" 120
    a_rc=$VMM_RC
    vmm_wait_exit "$b_pid" 120
    ra=$(vmm_result "$IT_WORK/a.serial") rb=$(vmm_result "$IT_WORK/b.serial")
    it_log "A: $ra (exit $a_rc)"
    it_log "B: $rb (exit $VMM_RC)"
    [ "$a_rc" = 0 ] && [ "$VMM_RC" = 0 ] || it_fail "rsw-vmm exits A=$a_rc B=$VMM_RC"
    [ "$(vmm_field "$ra" sent)" = "$n" ] && [ "$(vmm_field "$ra" completed)" = 1 ] ||
        it_fail "sender: $ra"
    for k in lost reordered corrupt foreign; do
        [ "$(vmm_field "$rb" $k)" = 0 ] || it_fail "receiver $k != 0: $rb"
    done
    [ "$(vmm_field "$rb" received)" = "$n" ] || it_fail "receiver got $(vmm_field "$rb" received)/$n"
    check_port vhu1 "$n" 0
    check_port vhu2 0 "$n"
    ;;
pingpong)
    # rsw-vmm listens (server); the switch's client ports retry until the
    # sockets exist.  B must be echoing before A's first ping.
    start_vm b "$IT_WORK/p2.sock" "echo:$n" ",server"
    b_pid=$IT_LAST_PID
    it_wait_for "[ -S $IT_WORK/p2.sock ]" 20 "B's socket"
    add_ports vhostuserclient server-path
    it_wait_for "grep -q READY $IT_WORK/b.serial 2>/dev/null" 60 "guest B ready"
    start_vm a "$IT_WORK/p1.sock" "pingpong:$n" ",server"
    a_pid=$IT_LAST_PID
    vmm_wait_exit "$a_pid" 120
    a_rc=$VMM_RC
    vmm_wait_exit "$b_pid" 60
    ra=$(vmm_result "$IT_WORK/a.serial") rb=$(vmm_result "$IT_WORK/b.serial")
    it_log "A: $ra (exit $a_rc)"
    it_log "B: $rb (exit $VMM_RC)"
    vsctl show
    [ "$a_rc" = 0 ] && [ "$VMM_RC" = 0 ] || it_fail "rsw-vmm exits A=$a_rc B=$VMM_RC"
    for k in lost corrupt foreign; do
        [ "$(vmm_field "$ra" $k)" = 0 ] || it_fail "pinger $k != 0: $ra"
    done
    [ "$(vmm_field "$ra" ok)" = "$n" ] || it_fail "pingpong ok $(vmm_field "$ra" ok)/$n"
    [ "$(vmm_field "$rb" echoed)" = "$n" ] && [ "$(vmm_field "$rb" dropped)" = 0 ] ||
        it_fail "echo: $rb"
    check_port vhu1 "$n" "$n"
    check_port vhu2 "$n" "$n"
    ;;
*)
    it_fail "unknown mode $mode"
    ;;
esac

"$bindir/rsw-appctl" --ctl "$ctl" exit > /dev/null 2>&1 || it_fail "switch exit method"
for i in $(seq 1 100); do kill -0 "$switch_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$switch_pid" 2>/dev/null && it_fail "switch did not exit"
wait "$switch_pid"; rc=$?
[ $rc = 0 ] || it_fail "switch exited with $rc"
echo "PASS: two rsw-vmm guests $mode n=$n through rsw-switchd, exact counts"
