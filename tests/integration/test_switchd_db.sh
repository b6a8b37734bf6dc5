#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# rsw-switchd configured only through its database (rsw-vsctl).
#
#   MODE restart: a bridge and two vhostuser ports made with rsw-vsctl (one
#                 with ofport_request, one numbered automatically after a
#                 port that was then deleted, so a renumbering would show);
#                 dpdk-testpmd (net_virtio_user) forwards through them
#                 (port-to-port rules by OpenFlow number).
#                 Then kill -9 the switch, restart it with the same --db:
#                 the configuration (rsw-vsctl show), the OpenFlow numbers
#                 and the traffic (a new testpmd) must all come back, and
#                 the switch must write statistics and cur_cfg back.
#   MODE corrupt: a damaged database file, and one locked by a running
#                 switch, each stop rsw-switchd with a clear one-line error
#                 and a non-zero exit; the files are left byte for byte.
# The switch runs its PMD on core 1, testpmd forwards on core 0.
set -u
source "$(dirname "$0")/lib.sh"
bindir=$1 mode=$2

ctl=$IT_WORK/ctl db=$IT_WORK/conf.db
vsctl() { "$bindir/rsw-vsctl" --ctl "$ctl" --timeout 20 "$@"; }
ofctl() { "$bindir/rsw-ofctl" --ctl "$ctl" "$@"; }
# Flow rules are runtime state (as in OVS): installed after each start.
add_flows() {
    ofctl del-flows br0 &&
    ofctl add-flow br0 in_port=2,actions=output:7 &&
    ofctl add-flow br0 in_port=7,actions=output:2 || it_fail "add-flow"
}
port_stat() { # PORT FIELD
    "$bindir/rsw-ofctl" --ctl "$ctl" --format json dump-ports br0 "$1" |
        python3 -c "import json,sys; print(json.load(sys.stdin)[0]['$2'])"
}

start_switch() { # NAME [extra args]: sets switch_pid
    local name=$1 prefix
    shift
    prefix=$(it_prefix "$name")
    IT_PREFIXES+=("$prefix")   # it_prefix ran in a subshell
    it_start "$name" "$bindir/rsw-switchd" --ctl "$ctl" --db "$db" \
        --pmd-cores 1 --eal "--file-prefix=$prefix" "$@"
    switch_pid=$IT_LAST_PID
}

start_testpmd() { # NAME: two virtio-user ports on p0.sock and p1.sock
    local prefix
    prefix=$(it_prefix "$1")
    IT_PREFIXES+=("$prefix")
    it_start "$1" dpdk-testpmd -l 0,1 --main-lcore 1 --no-pci \
        --single-file-segments -m 256 --file-prefix="$prefix" \
        --vdev "net_virtio_user0,path=$IT_WORK/p0.sock,queues=1,mac=02:00:00:00:00:01" \
        --vdev "net_virtio_user1,path=$IT_WORK/p1.sock,queues=1,mac=02:00:00:00:00:02" -- \
        --total-num-mbufs=16384 --forward-mode=io --nb-cores=1 --tx-first \
        --stats-period 1
    tp_pid=$IT_LAST_PID
}

wait_traffic() { # PORT MIN
    it_wait_for "[ \$(port_stat $1 rx_packets 2>/dev/null || echo 0) -ge $2 ]" 30 \
        "$2 packets received on $1"
}

# The configuration as rsw-vsctl shows it, without what the switch
# reports about the running ports (their state differs across restarts).
config_view() {
    vsctl show | grep -v -e 'status:' -e 'link_state:'
}

expect_error() { # WHAT ARGS...: rsw-vsctl must fail with one line
    local what=$1 out
    shift
    out=$(vsctl "$@" 2>&1) && it_fail "$what: accepted: rsw-vsctl $*"
    [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || it_fail "$what: not one line: $out"
    it_log "$what: $out"
}

restart_mode() {
    it_require_root
    it_require_hugepages
    it_require_cmd dpdk-testpmd dpdk
    it_require_cmd python3 python3
    start_switch sw1 --log-file "$IT_WORK/switchd1-file.log"
    it_wait_for "[ -S $ctl ]" 20 "the switch's control socket"
    vsctl add-br br0 || it_fail "add-br"
    vsctl add-port br0 tmp -- set Interface tmp type=vhostuser \
        options:path="$IT_WORK/tmp.sock" || it_fail "add-port tmp"
    vsctl add-port br0 vhu1 -- set Interface vhu1 type=vhostuser \
        options:path="$IT_WORK/p0.sock" || it_fail "add-port vhu1"
    vsctl add-port br0 vhu2 type=vhostuser options:path="$IT_WORK/p1.sock" \
        ofport_request=7 -- set Port vhu2 external_ids:role=uplink ||
        it_fail "add-port vhu2"
    vsctl del-port br0 tmp || it_fail "del-port"
    [ "$(vsctl get Interface vhu1 ofport)" = 2 ] || it_fail "vhu1 ofport $(vsctl get Interface vhu1 ofport), want 2"
    [ "$(vsctl get Interface vhu2 ofport)" = 7 ] || it_fail "vhu2 ofport, want 7"
    [ "$(vsctl list-ports br0 | tr '\n' ' ')" = "vhu1 vhu2 " ] || it_fail "list-ports: $(vsctl list-ports br0)"
    expect_error "bad integer" set Interface vhu1 ofport_request=abc
    expect_error "missing bridge" add-port nobr x type=vhostuser
    expect_error "unknown column" set Interface vhu1 colour=red
    expect_error "unknown table" list Nope
    expect_error "duplicate bridge" add-br br0
    expect_error "bad enum" set Interface vhu1 type=tap
    before=$(config_view)
    echo "$before"
    add_flows
    start_testpmd tp1
    wait_traffic vhu1 20000
    wait_traffic vhu2 20000
    it_wait_for "[ \$(vsctl get Interface vhu1 statistics:rx_packets 2>/dev/null || echo 0) -gt 0 ]" 15 \
        "statistics in the database"
    vsctl get Interface vhu1 link_state status

    it_log "kill -9 the switch"
    kill -KILL "$switch_pid"; wait "$switch_pid" 2>/dev/null
    it_stop "$tp_pid"
    rm -f "$ctl"
    start_switch sw2 --log-file "$IT_WORK/switchd2-file.log"
    it_wait_for "[ -S $ctl ] && vsctl show >/dev/null 2>&1" 20 "the restarted switch"
    after=$(config_view)
    [ "$after" = "$before" ] || it_fail "configuration changed across the restart:
$after"
    [ "$(vsctl get Interface vhu1 ofport)" = 2 ] || it_fail "vhu1 renumbered"
    [ "$(vsctl get Interface vhu2 ofport)" = 7 ] || it_fail "vhu2 renumbered"
    [ "$(port_stat vhu1 ofport)" = 2 ] && [ "$(port_stat vhu2 ofport)" = 7 ] ||
        it_fail "the datapath numbers differ from the database's"
    grep -q "added port vhu2 (vhostuser) to br0 as ofport 7" "$IT_WORK/switchd2-file.log" ||
        it_fail "no restore in the log"
    add_flows
    start_testpmd tp2
    wait_traffic vhu1 20000
    wait_traffic vhu2 20000
    cfg=$(vsctl get Ringswitch . cur_cfg next_cfg | tr '\n' ' ')
    set -- $cfg
    [ "$1" = "$2" ] && [ "$1" -ge 4 ] || it_fail "cur_cfg/next_cfg: $cfg"
    it_stop "$tp_pid"
    out=$("$bindir/rsw-appctl" --ctl "$ctl" exit 2>&1) || it_fail "exit: $out"
    for _ in $(seq 1 100); do kill -0 "$switch_pid" 2>/dev/null || break; sleep 0.1; done
    wait "$switch_pid"; rc=$?
    [ $rc = 0 ] || it_fail "switch exited with $rc"
    echo "PASS: configuration, ofports and traffic restored after kill -9"
}

# expect_refused NAME WHAT: the switch must exit non-zero at once, saying
# WHAT, and leave $db as it was.
expect_refused() {
    local name=$1 what=$2 sum rc
    sum=$(md5sum < "$db")
    start_switch "$name"
    for _ in $(seq 1 100); do kill -0 "$switch_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$switch_pid" 2>/dev/null && it_fail "$name: the switch started"
    wait "$switch_pid"; rc=$?
    [ "$rc" != 0 ] || it_fail "$name: exit status 0"
    grep -q "$what" "$IT_WORK/$name.log" || it_fail "$name: no '$what' in: $(cat "$IT_WORK/$name.log")"
    [ "$(md5sum < "$db")" = "$sum" ] || it_fail "$name: the database file changed"
    it_log "$name: exit $rc: $(grep "$what" "$IT_WORK/$name.log" | tail -n 1)"
}

corrupt_mode() {
    # Not an ovsdb-lite file at all.
    printf 'this is not a database\n' > "$db"
    expect_refused garbage "cannot use database $db"
    # A real database whose schema record is damaged in the middle.
    rm -f "$db"
    python3 - "$db" <<'EOF'
import sys
payload = b'{"name":"Ringswitch"}\n'
with open(sys.argv[1], "wb") as f:
    f.write(b"RSWDB1 %d 00000000\n" % len(payload) + payload)
EOF
    expect_refused bad-checksum "cannot use database $db"
    # Locked by a running switch.
    it_require_root
    it_require_hugepages
    rm -f "$db"
    start_switch holder
    holder=$switch_pid
    it_wait_for "[ -S $ctl ]" 20 "the first switch"
    "$bindir/rsw-vsctl" --ctl "$ctl" add-br br0 || it_fail "add-br"
    ctl=$IT_WORK/ctl2
    expect_refused locked "in use by another process"
    ctl=$IT_WORK/ctl
    "$bindir/rsw-vsctl" --ctl "$ctl" list-br | grep -q br0 || it_fail "the first switch lost br0"
    it_stop "$holder"
    echo "PASS: damaged and locked databases refused, files untouched"
}

case $mode in
restart) restart_mode ;;
corrupt) corrupt_mode ;;
*) it_fail "unknown mode $mode" ;;
esac
