#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark (not a test): rsw-ovsdb-server against Open vSwitch's
# ovsdb-server, same client (tests/integration/ovsdb_client.c), same run.
# N add-port transactions (insert Interface + Port, mutate Bridge ports)
# then N del-port ones (mutate Bridge ports; garbage collection deletes
# Port + Interface), each waited for, with a second connection
# monitoring Port to time update delivery.
#
# Durability: every transaction carries {"op":"commit","durable":D}.
#   D=true : OVS ovsdb-server (3.1, standalone storage, ovsdb/storage.c
#            ovsdb_storage_write -> ovsdb/log.c): per commit it serialises
#            the change record (sets and maps as differences, "_is_diff"),
#            writes "OVSDB JSON <len> <sha1>\n<json>\n" with one write(2),
#            then fdatasync()s the file on its main thread before the
#            reply (ovsdb_log_commit_block).  No preallocation, no group
#            commit in standalone mode (each durable commit syncs on its
#            own).  strace of this run's OVS: 1 write + 1 fdatasync per
#            transaction.
#            rsw-ovsdb-server: the same guarantee (the reply only after
#            fdatasync covered the record): one pwrite of "RSWDB1 <len>
#            <crc32c>\n<json>\n" (sets and maps as differences, "_diff")
#            into zeros preallocated ahead of the log end (ovsdb-lite/
#            log.h), and one fdatasync per server round for every commit
#            of that round (group commit, ovsdb-lite/server.h).  With this
#            bench's one client a round holds one transaction, so both
#            servers do one fdatasync per transaction.
#   D=false: OVS writes the record without fsync (its default for every
#            transaction); rsw-ovsdb-server writes without fsync (the
#            opt-out) -- both leave flushing to the kernel.
# The fsync counts of a short strace'd run are printed as evidence.
# Disk latency on a shared machine varies 10x between seconds: compare
# only the rates of one run (the servers are interleaved), and re-run
# when the two halves of a pair disagree wildly.
#
# Usage: tests/perf/bench_ovsdb.sh [BUILD_DIR] [N]
#   needs: apt-get install -y openvswitch-common openvswitch-switch
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}    # an optimised build (RelWithDebInfo, as utilities/run-tests makes)
N=${2:-1000}
SERVER=$BUILD/ovsdb-lite/rsw-ovsdb-server
CLIENT=$BUILD/tests/integration/ovsdb_client
SCHEMA=/usr/share/openvswitch/vswitch.ovsschema
for f in "$SERVER" "$CLIENT"; do
    [ -x "$f" ] || { echo "missing $f: cmake --build $BUILD"; exit 1; }
done
command -v ovsdb-server >/dev/null && [ -f "$SCHEMA" ] || {
    echo "needs Open vSwitch: apt-get install -y openvswitch-common openvswitch-switch"; exit 1; }

D=$(mktemp -d /tmp/bench-ovsdb.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.2
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$D"
}
trap cleanup EXIT
export OVS_RUNDIR=$D OVS_DBDIR=$D OVS_LOGDIR=$D

wait_sock() {   # and the pidfile
    local i
    for i in $(seq 1 100); do [ -S "$1" ] && [ -s "$D/$SNAME.pid" ] && return 0; sleep 0.05; done
    echo "no socket $1"; exit 1
}

# start_rsw NAME [strace]: fresh database, sets SOCK and the pid
start_rsw() {
    SOCK=$D/$1.sock
    local pre=()
    [ "${2:-}" = strace ] && pre=(strace -f -c -o "$D/$1.strace" -e trace=fsync,fdatasync)
    "${pre[@]}" "$SERVER" --db "$D/$1.db" --create --remote "punix:$SOCK" \
        --pidfile "$D/$1.pid" --log-level warn > "$D/$1.log" 2>&1 &
    PIDS+=($!); SPID=$!
    wait_sock "$SOCK"
}

start_ovs() {
    SOCK=$D/$1.sock
    local pre=()
    [ "${2:-}" = strace ] && pre=(strace -f -c -o "$D/$1.strace" -e trace=fsync,fdatasync)
    ovsdb-tool create "$D/$1.db" "$SCHEMA"
    "${pre[@]}" ovsdb-server --remote="punix:$SOCK" --unixctl="$D/$1.ctl" \
        --pidfile="$D/$1.pid" \
        --no-chdir --log-file="$D/$1.log" -vconsole:off "$D/$1.db" 2>> "$D/$1.err" &
    PIDS+=($!); SPID=$!
    wait_sock "$SOCK"
}

# The server itself (under strace, $SPID is strace), then its parent.
stop() { kill "$(cat "$D/$SNAME.pid")"; wait "$SPID" 2>/dev/null; }

run() { # KIND NAME DB DURABLE N [strace]
    SNAME=$2
    "start_$1" "$2" "${6:-}"
    "$CLIENT" "$SOCK" bench "$3" "$5" "$4" > "$D/$2.out" || { cat "$D/$2.out"; exit 1; }
    stop
    if [ "${6:-}" = strace ]; then
        echo "  $2: $(awk '/fsync|fdatasync/ {print $4, $NF}' "$D/$2.strace" | tr '\n' ' ') for $((2 * $5 + 3)) transactions"
    else
        grep -v RESULT "$D/$2.out"
    fi
}

rate() { awk -F= '/RESULT/ {print $2}' "$D/$1.out"; }

echo "== ovsdb bench: $N add-port + $N del-port, 1 client + 1 monitor, $(nproc) cores, $(date -u +%FT%TZ)"
echo "   rsw-ovsdb-server ($BUILD, $(grep -m1 CMAKE_BUILD_TYPE: "$BUILD/CMakeCache.txt" | cut -d= -f2)), $(ovsdb-server --version | head -1)"
echo "   database files on: $(df -T "$D" | awk 'NR==2 {print $2, $1}')"
for durable in 1 0; do
    echo "-- durable=$durable"
    # Interleave the two servers so machine noise hits both alike.
    run rsw "rsw$durable" Ringswitch "$durable" "$N"
    run ovs "ovs$durable" Open_vSwitch "$durable" "$N"
    run rsw "rsw${durable}b" Ringswitch "$durable" "$N"
    run ovs "ovs${durable}b" Open_vSwitch "$durable" "$N"
    r=$(echo "$(rate rsw$durable) $(rate rsw${durable}b)" | awk '{print ($1 + $2) / 2}')
    o=$(echo "$(rate ovs$durable) $(rate ovs${durable}b)" | awk '{print ($1 + $2) / 2}')
    echo "   mean: rsw-ovsdb-server $r txn/s, OVS ovsdb-server $o txn/s, ratio rsw/ovs $(awk -v a="$r" -v b="$o" 'BEGIN {printf "%.2f", a / b}')"
done
if command -v strace >/dev/null; then
    echo "-- fsync evidence (strace -c, 100 + 100 transactions each; calls, syscall)"
    for durable in 1 0; do
        run rsw "st-rsw$durable" Ringswitch "$durable" 100 strace
        run ovs "st-ovs$durable" Open_vSwitch "$durable" 100 strace
    done
fi
