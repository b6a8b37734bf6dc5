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
