# SPDX-License-Identifier: Apache-2.0
# Helpers for integration tests: preconditions, process tracking by PID,
# cleanup of sockets and DPDK hugepage files.  Sourced by each test.

IT_PIDS=()
IT_PREFIXES=()
IT_WORK=$(mktemp -d /tmp/rsw-it.XXXXXX)

it_skip() { echo "SKIP: $*"; exit 77; }
it_fail() { echo "FAIL: $*"; it_dump_logs; exit 1; }
it_log() { echo "[$(date +%T)] $*"; }

it_dump_logs() {
    local f
    for f in "$IT_WORK"/*.log; do
        [ -f "$f" ] || continue
        echo "----- $(basename "$f") (last 25 lines)"
        tail -n 25 "$f"
    done
}

it_cleanup() {
    local pid p
    for pid in "${IT_PIDS[@]}"; do
        kill -INT "$pid" 2>/dev/null
    done
    sleep 0.3
    for pid in "${IT_PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    # Every prefix it_prefix hands out starts with rswit<our PID>_, also
    # when it was called in a subshell ($$ is the test shell's PID there).
    rm -rf /dev/hugepages/rswit$$_* /var/run/dpdk/rswit$$_*
    for p in "${IT_PREFIXES[@]}"; do
        rm -rf /dev/hugepages/"$p"* /var/run/dpdk/"$p"
    done
    rm -rf "$IT_WORK"
}
trap it_cleanup EXIT

it_require_root() {
    [ "$(id -u)" -eq 0 ] || it_skip "needs root (hugepages, DPDK)"
}

it_require_hugepages() {
    local free
    free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
    [ "${free:-0}" -ge 256 ] || it_skip "needs 256 free 2 MiB hugepages (utilities/run-tests prepares them)"
    mountpoint -q /dev/hugepages || it_skip "hugetlbfs not mounted on /dev/hugepages"
}

it_require_cmd() {
    command -v "$1" >/dev/null || it_skip "$1 not installed (apt-get install $2)"
}

# it_start NAME CMD...: runs CMD in the background with output in NAME.log;
# its PID is in IT_LAST_PID and stopped at exit.
it_start() {
    local name=$1; shift
    "$@" > "$IT_WORK/$name.log" 2>&1 &
    IT_LAST_PID=$!
    IT_PIDS+=("$IT_LAST_PID")
}

# it_stop PID: SIGINT, wait up to 10 s, then SIGKILL.
it_stop() {
    local pid=$1 i
    kill -INT "$pid" 2>/dev/null
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

# it_wait_for COND_CMD TIMEOUT_S WHAT
it_wait_for() {
    local cond=$1 t=$2 what=$3 i
    for i in $(seq 1 $((t * 10))); do
        eval "$cond" && return 0
        sleep 0.1
    done
    it_fail "timed out after ${t}s waiting for $what"
}

# A private DPDK file prefix, cleaned at exit (works in $(...) too).
it_prefix() {
    local p="rswit$$_$1"
    IT_PREFIXES+=("$p")
    echo "$p"
}

# testpmd_port_stat LOG PORT FIELD: from testpmd's final "Forward statistics
# for port N" block, the value after FIELD (RX-packets, TX-packets, ...).
testpmd_port_stat() {
    awk -v port="$2" -v field="$3:" '
        /Forward statistics for port/ { inblk = ($6 == port); next }
        /Accumulated forward statistics/ { inblk = 0 }
        inblk { for (i = 1; i < NF; i++) if ($i == field) v = $(i + 1) }
        END { print (v == "" ? "missing" : v) }' "$1"
}

# testpmd_nic_stat LOG PORT FIELD: from the last periodic "NIC statistics
# for port N" block (--stats-period), the value after FIELD (RX-packets,
# TX-packets, ...): readable while testpmd runs, and after a kill -9.
testpmd_nic_stat() {
    awk -v port="$2" -v field="$3:" '
        /NIC statistics for port/ { inblk = ($6 == port); next }
        /####/ { inblk = 0 }
        inblk { for (i = 1; i < NF; i++) if ($i == field) v = $(i + 1) }
        END { print (v == "" ? "missing" : v) }' "$1"
}

# Open file descriptors, memory mappings and resident memory (kB; hugetlbfs
# pages, such as a vhost-user peer's guest memory, count separately in
# HugetlbPages) of a process.
it_proc_fds() { ls "/proc/$1/fd" | wc -l; }
it_proc_maps() { wc -l < "/proc/$1/maps"; }
it_proc_rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
it_proc_hugetlb_kb() { awk '/^HugetlbPages:/ { print $2 }' "/proc/$1/status"; }

# ---- rsw-switchd with dpdk-testpmd peers ----------------------------------
# Set SW_BIN (the directory holding rsw-switchd and its CLIs) first.  One
# switch per test: control socket $SW_CTL; one DPDK file prefix kept across
# restarts, as on a real host.
SW_CTL=$IT_WORK/ctl
sw_vsctl() { "$SW_BIN/rsw-vsctl" --ctl "$SW_CTL" --timeout 20 "$@"; }
sw_ofctl() { "$SW_BIN/rsw-ofctl" --ctl "$SW_CTL" --timeout 20 "$@"; }
sw_appctl() { "$SW_BIN/rsw-appctl" --ctl "$SW_CTL" --timeout 20 "$@"; }

# sw_start NAME: rsw-switchd with its PMD on core 1, output in NAME.log,
# log file NAME-file.log; returns once the control socket answers (a stale
# socket file of a killed switch does not count).  PID in SW_PID.
sw_start() {
    if [ -z "${SW_PREFIX:-}" ]; then
        SW_PREFIX=$(it_prefix sw)
        IT_PREFIXES+=("$SW_PREFIX")   # it_prefix ran in a subshell
    fi
    it_start "$1" "$SW_BIN/rsw-switchd" --ctl "$SW_CTL" --pmd-cores 1 \
        --eal "--file-prefix=$SW_PREFIX" --log-file "$IT_WORK/$1-file.log"
    SW_PID=$IT_LAST_PID
    it_wait_for "sw_appctl version >/dev/null 2>&1" 30 "rsw-switchd ($1) to answer"
}

# sw_exit: 'rsw-appctl exit' must stop the switch with status 0.
sw_exit() {
    local out rc i
    out=$(sw_appctl exit 2>&1) || it_fail "exit method: $out"
    for i in $(seq 1 100); do kill -0 "$SW_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SW_PID" 2>/dev/null && it_fail "switch did not exit"
    wait "$SW_PID"; rc=$?
    [ $rc = 0 ] || it_fail "switch exited with $rc"
}

# sw_port_stat PORT FIELD: a counter of PORT on br0 (rsw-ofctl dump-ports):
# rx_packets, tx_bytes, ... or a drop reason (bad_descriptor, no_route...).
sw_port_stat() {
    sw_ofctl --format json dump-ports br0 "$1" |
        python3 -c "import json,sys; p=json.load(sys.stdin)[0]; f='$2'; print(p['drops'][f] if f in p['drops'] else p[f])"
}

# sw_port_counters PORT: every counter of PORT on br0 as NAME=VALUE lines
# (drop reasons by their own names), from one dump-ports.
sw_port_counters() {
    sw_ofctl --format json dump-ports br0 "$1" |
        python3 -c "
import json, sys
p = json.load(sys.stdin)[0]
for k, v in list(p.items()) + list(p['drops'].items()):
    if isinstance(v, int):
        print('%s=%d' % (k, v))"
}

# sw_port_drops PORT [REASON...]: the sum of PORT's drop counters, except
# the reasons named.
sw_port_drops() {
    local port=$1
    shift
    sw_ofctl --format json dump-ports br0 "$port" |
        python3 -c "import json,sys; d=json.load(sys.stdin)[0]['drops']; print(sum(v for k,v in d.items() if k not in sys.argv[1:]))" "$@"
}

# sw_wait_rx PORT MIN: until PORT has received MIN packets (30 s of wall
# time, however long each look takes on a loaded machine).
sw_wait_rx() {
    local end=$((SECONDS + 30))
    while [ "$(sw_port_stat "$1" rx_packets 2>/dev/null || echo 0)" -lt "$2" ]; do
        [ $SECONDS -lt $end ] || it_fail "timed out after 30s waiting for $2 packets received on $1"
        sleep 0.2
    done
}

# sw_testpmd NAME N_PORTS VDEV_EXTRA [testpmd args...]: dpdk-testpmd with
# N net_virtio_user ports on $IT_WORK/p<i>.sock (MAC 02:00:00:00:00:0<i+1>),
# forwarding on core 0, stats every second; the forwarding mode and the
# rest come from the arguments.  PID in TP_PID, output in NAME.log.
sw_testpmd() {
    local name=$1 nports=$2 extra=$3 prefix vdevs=() i
    shift 3
    prefix=$(it_prefix "$name")
    IT_PREFIXES+=("$prefix")
    for i in $(seq 0 $((nports - 1))); do
        vdevs+=(--vdev "net_virtio_user$i,path=$IT_WORK/p$i.sock,queues=1,mac=02:00:00:00:00:0$((i + 1))$extra")
    done
    it_start "$name" dpdk-testpmd -l 0,1 --main-lcore 1 --no-pci \
        --single-file-segments -m 256 --file-prefix="$prefix" "${vdevs[@]}" -- \
        --total-num-mbufs=16384 --nb-cores=1 --stats-period 1 "$@"
    TP_PID=$IT_LAST_PID
}
