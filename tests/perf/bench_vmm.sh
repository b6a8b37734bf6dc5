#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark (not a test): rsw-vmm start-up time and memory overhead, quoted
# against Firecracker's published targets (VMM ready within 8 CPU-ms, at
# most 5 MiB of VMM memory overhead).  1 vCPU, 128 MiB, as Firecracker
# measures.
#   boot   --test-guest hello, no devices: wall time from rsw-vmm start to
#          the guest's first instruction (its first write to POST port
#          0x80, timed by rsw-vmm -v against its own start); "VMM ready"
#          CPU time = getrusage(RUSAGE_SELF) of rsw-vmm (from exec, with
#          ld.so) just before its vCPU threads start, as rsw-vmm -v
#          reports it; and the CPU time of the whole process (user + sys,
#          guest execution included: Linux counts guest time as user).
#   frame  --test-guest send:1 with a vhost-user net device served by
#          dpdk-testpmd (net_vhost, rxonly): wall time from exec to exit,
#          which includes the backend handshake, the guest's driver set-up,
#          its first frame consumed by the backend and teardown (an upper
#          bound of start -> first frame), and the same CPU time.
#          Most of that wall time is the backend's: testpmd answers
#          VHOST_USER_SET_MEM_TABLE for 128 MiB in ~0.7-1.2 s here.
#   memory --test-guest echo with the net device, idle after READY: VmRSS
#          minus RssShmem (the guest RAM the memfd mapping has touched),
#          i.e. the VMM's own anonymous + file-backed resident memory.
# Note: guests here run under nested, software-assisted KVM (DESIGN.md §4),
# so guest-side times are far above what real hardware gives; the VMM's
# own CPU time and memory are what compare with Firecracker.
#
# Usage: tests/perf/bench_vmm.sh [--build DIR] [--reps N]   (root, dpdk)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build reps=5
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--reps N]" >&2; exit 2 ;;
    esac
done
vmm=$build/vmm/rsw-vmm
[ -x "$vmm" ] || { echo "bench_vmm: no $vmm (build first)" >&2; exit 1; }
[ -c /dev/kvm ] || { echo "bench_vmm: no /dev/kvm" >&2; exit 1; }
command -v dpdk-testpmd > /dev/null || { echo "bench_vmm: needs dpdk-testpmd" >&2; exit 1; }
work=$(mktemp -d /tmp/rsw-bench-vmm.XXXXXX)
prefix=rswbenchvmm$$
tp_pid=
cleanup() {
    [ -n "$tp_pid" ] && kill -INT "$tp_pid" 2>/dev/null && wait "$tp_pid" 2>/dev/null
    rm -rf "$work" /dev/hugepages/"$prefix"* /var/run/dpdk/"$prefix"
}
trap cleanup EXIT

# run_timed LOG CMD...: runs CMD; prints "wall_ms cpu_ms exit".
run_timed() {
    python3 - "$@" <<'PY'
import resource, subprocess, sys, time
log = open(sys.argv[1], "w")
t0 = time.monotonic()
rc = subprocess.call(sys.argv[2:], stdout=log, stderr=subprocess.STDOUT)
wall = (time.monotonic() - t0) * 1e3
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.1f %.1f %d" % (wall, (ru.ru_utime + ru.ru_stime) * 1e3, rc))
PY
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "n/a") }'; }
post_ms() { sed -n 's/.*first guest POST write \([0-9.]*\) ms.*/\1/p' "$1"; }
ready_ms() { sed -n 's/.*ready after \([0-9.]*\) CPU-ms.*/\1/p' "$1"; }

echo "rsw-vmm start-up and overhead, 1 vCPU / 128 MiB, $reps runs each (medians)"
echo "guest speed here: $(bash -c "source $root/tests/integration/lib.sh; source $root/tests/integration/vmm_lib.sh; vmm_speed $vmm" 2>/dev/null) instructions/us (nested KVM)"

# ---- boot: no devices -------------------------------------------------------
: > "$work/boot.txt"
for i in $(seq 1 "$reps"); do
    read -r wall cpu rc < <(run_timed "$work/boot$i.log" "$vmm" --test-guest hello --mem 128M -v)
    [ "$rc" = 0 ] || { echo "bench_vmm: hello run exited $rc" >&2; cat "$work/boot$i.log" >&2; exit 1; }
    echo "$(post_ms "$work/boot$i.log") $wall $cpu $(ready_ms "$work/boot$i.log")" >> "$work/boot.txt"
done
b_post=$(cut -d' ' -f1 "$work/boot.txt" | median)
b_wall=$(cut -d' ' -f2 "$work/boot.txt" | median)
b_cpu=$(cut -d' ' -f3 "$work/boot.txt" | median)
b_ready=$(cut -d' ' -f4 "$work/boot.txt" | median)

# ---- frame: vhost-user net device served by testpmd ---------------------------
sock=$work/vhost.sock
dpdk-testpmd -l 0,1 --main-lcore 0 --no-pci --no-huge -m 512 --file-prefix="$prefix" \
    --vdev "net_vhost0,iface=$sock,queues=1" -- --total-num-mbufs=16384 \
    --forward-mode=rxonly --nb-cores=1 --stats-period 1 > "$work/testpmd.log" 2>&1 &
tp_pid=$!
for _ in $(seq 1 300); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "bench_vmm: testpmd did not start" >&2; tail "$work/testpmd.log" >&2; exit 1; }
: > "$work/frame.txt"
for i in $(seq 1 "$reps"); do
    read -r wall cpu rc < <(run_timed "$work/frame$i.log" "$vmm" --test-guest send:1 --mem 128M \
        --net "vhost-user,path=$sock" --serial "file:$work/frame$i.serial" -v)
    grep -q 'sent=1 completed=1' "$work/frame$i.serial" ||
        { echo "bench_vmm: send:1 failed (exit $rc)" >&2; cat "$work/frame$i.log" >&2; exit 1; }
    echo "$(post_ms "$work/frame$i.log") $wall $cpu $(ready_ms "$work/frame$i.log")" >> "$work/frame.txt"
done
f_post=$(cut -d' ' -f1 "$work/frame.txt" | median)
f_wall=$(cut -d' ' -f2 "$work/frame.txt" | median)
f_cpu=$(cut -d' ' -f3 "$work/frame.txt" | median)
f_ready=$(cut -d' ' -f4 "$work/frame.txt" | median)

# ---- memory: idle echo guest ----------------------------------------------------
"$vmm" --test-guest echo --mem 128M --net "vhost-user,path=$sock" \
    --serial "file:$work/mem.serial" > "$work/mem.log" 2>&1 &
m_pid=$!
for _ in $(seq 1 600); do grep -q READY "$work/mem.serial" 2>/dev/null && break; sleep 0.1; done
sleep 1
read -r rss anon file shmem < <(awk '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} /^RssFile/ {f=$2}
    /^RssShmem/ {s=$2} END {print r, a, f, s}' "/proc/$m_pid/status")
kill -INT "$m_pid"; wait "$m_pid" 2>/dev/null

mib() { awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'; }
overhead=$((rss - shmem))
printf '\n%-44s %10s %12s\n' "measure" "rsw-vmm" "Firecracker"
printf '%-44s %7s ms %12s\n' "VMM ready (CPU until vCPUs start)" "$b_ready" "8 CPU-ms"
printf '%-44s %7s ms\n' "start -> first guest instruction (wall)" "$b_post"
printf '%-44s %7s ms\n' "hello run, whole process CPU (user+sys)" "$b_cpu"
printf '%-44s %7s ms\n' "hello run, exec -> exit (wall)" "$b_wall"
printf '%-44s %7s ms\n' "net: VMM ready (CPU until vCPUs start)" "$f_ready"
printf '%-44s %7s ms\n' "net: start -> first guest instruction" "$f_post"
printf '%-44s %7s ms\n' "net: exec -> first frame sent + exit (wall)" "$f_wall"
printf '%-44s %7s ms\n' "net: whole process CPU (user+sys)" "$f_cpu"
printf '%-44s %7s MiB %11s\n' "memory overhead (VmRSS - guest RAM touched)" "$(mib $overhead)" "5 MiB"
printf '%-44s %7s MiB\n' "  of which anonymous" "$(mib "$anon")"
printf '%-44s %7s MiB\n' "  of which file-backed (binary, libraries)" "$(mib "$file")"
printf '%-44s %7s MiB\n' "guest RAM touched (RssShmem)" "$(mib "$shmem")"
