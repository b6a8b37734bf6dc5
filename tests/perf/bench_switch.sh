#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark (not a test): rsw-switchd against OVS-DPDK and testpmd, same run.
#
# Topology (DESIGN.md §3): two vhost-user ports, the system under test
# polls them on core 1; the generator, dpdk-testpmd with two virtio-user
# ports, forwards/generates on core 0.
#   rsw      rsw-switchd, vhostuser ports, port rules 1->2, 2->1 (or NORMAL,
#            or the rules10k table)
#   ovs      Debian's ovs-vswitchd-dpdk, dpdkvhostuser ports, the same
#            OpenFlow rules (or actions=NORMAL, or the same rules10k file)
#   testpmd  dpdk-testpmd with two net_vhost ports in io forwarding: rte_vhost
#            with no lookup at all, the ceiling
#   rswcap   rsw with a capture on in both directions of vhu1 whose BPF
#            filter matches none of the traffic (icmp): the per-packet cost
#            of a capture that is on (filter run on every packet); not in
#            the default list (--systems rsw,rswcap,...)
# Cases (CASE=MODE-SIZE[-FLOWS]):
#   p2p-64, p2p-1518       io loop (--tx-first, burst 64), port rules
#   flows-64-N             testpmd flowgen with --flowgen-flows=N, port rules
#   normal-64, normal-64-N the same with L2 learning (NORMAL: rsw's default
#                          rule, OVS's default actions=NORMAL).  flowgen
#                          sends the same MACs (00:01:02:03:04:00 ->
#                          :01) from both generator ports, so with N
#                          flows the source MAC moves between the switch
#                          ports and the destination is never learned
#                          (flooded): a MAC-move stress; normal-64 (io
#                          loop, one MAC per port) is steady learning
#   flood-64               NORMAL, io loop, with the generator sending to
#                          MACs no port owns (02:00:00:00:00:10, :11), as
#                          the generator of DESIGN.md §3 does with
#                          testpmd's default peers: every frame is unknown
#                          unicast, flooded; its sources stay put
#   rules10k-1k, rules10k-1m  flowgen 1,000 / 1,000,000 flows (64 B) through
#                          a 10,000-rule 5-tuple table, loaded from one
#                          file with ovs-ofctl / rsw-ofctl add-flows (also
#                          spelled rules10k-64-N).  flowgen varies only
#                          nw_dst (10.253.0.0 + flow index; UDP
#                          10.254.0.0:1000 -> :1001).  Per input port,
#                          2,500 rules match generated flows exactly
#                          (nw_dst = 10.253.0.0 + 4k, k < 2,500: a quarter
#                          of the 1k flows, 0.25% of the 1m), 2,500 differ
#                          in tp_dst or nw_src; a priority=1 rule per port
#                          forwards the rest.  "rules" in the log: the share
#                          of packets the specific rules counted (the same
#                          for every system when they classify alike)
# Systems are interleaved case by case and repetition by repetition, so
# the machine's drift hits all of them alike.  Mpps is what the generator
# receives back (both directions summed), averaged over the measuring window
# after a warm-up.  "cyc/pkt" is the switch core's TSC cycles per forwarded
# packet (TSC Hz / pps: the core is busy-polling whatever the load) -- the
# same formula for every system; "own" is what the system itself reports
# as processing cycles per packet (rsw pmd-stats-show, OVS pmd-stats-show).
# With --reps N the table gives medians over the reps, of Mpps and of own
# cycles each (cyc/pkt follows from the median Mpps).
#
# Usage: tests/perf/bench_switch.sh [--build DIR] [--duration S] [--warmup S]
#          [--reps N] [--cases LIST] [--systems LIST]
#   defaults: build/, 6 s, 3 s, 1 rep, every case, rsw,ovs,testpmd.
#   BENCH_KEEP=1 keeps the logs; BENCH_PERF=1 also records a perf profile
#   of the system under test during the window (in the kept directory);
#   BENCH_PERF=gen profiles the generator instead.  Needs root, ~1.6 GiB of 2 MiB hugepages, dpdk and openvswitch-switch-dpdk.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/utilities/rsw-setup.sh"

BUILD=$ROOT/build DURATION=6 WARMUP=3 REPS=1
CASES="p2p-64 p2p-1518 flows-64-1 flows-64-1000 flows-64-100000 flows-64-1000000 normal-64 flood-64 normal-64-1000 normal-64-1000000 rules10k-1k rules10k-1m"
SYSTEMS="rsw ovs testpmd"
usage() { sed -n '3,/^[^#]/p' "$0" | sed -n 's/^# \{0,1\}//p'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case $1 in
        --build) BUILD=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --reps) REPS=$2; shift 2 ;;
        --cases) CASES=${2//,/ }; shift 2 ;;
        --systems) SYSTEMS=${2//,/ }; shift 2 ;;
        -h|--help) usage 0 ;;
        *) echo "bench_switch: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
for n in "$DURATION" "$WARMUP" "$REPS"; do
    [[ $n =~ ^[0-9]+$ ]] && [ "$n" -gt 0 ] || rsw_die "--duration/--warmup/--reps take whole numbers > 0"
done
rsw_need_root "$0" --build "$BUILD" --duration "$DURATION" --warmup "$WARMUP" \
    --reps "$REPS" --cases "${CASES// /,}" --systems "${SYSTEMS// /,}"
[ -x "$BUILD/utilities/rsw-switchd" ] || rsw_die "no $BUILD/utilities/rsw-switchd: build first (utilities/run-tests, or cmake --build $BUILD)"
case " $SYSTEMS " in *" ovs "*)
    rsw_install_packages openvswitch-switch-dpdk ;;
esac
rsw_install_packages dpdk
rsw_prepare_hugepages 1600

OVS_VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
TSC_HZ=$(awk -F: '/^cpu MHz/ {printf "%d", $2 * 1e6; exit}' /proc/cpuinfo)
D=$(mktemp -d /tmp/rsw-bench.XXXXXX)
PFX=rswbench$$
PIDS=()

stop_pid() {    # SIGINT, up to 10 s, SIGKILL
    local pid=$1 i
    kill -INT "$pid" 2>/dev/null
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}
stop_ovs() {
    local f
    for f in vswitchd ovsdb; do
        [ -s "$D/ovs/$f.pid" ] && stop_pid "$(cat "$D/ovs/$f.pid")"
    done
    rm -rf "$D/ovs"
}
cleanup() {
    local p
    for p in "${PIDS[@]}"; do stop_pid "$p"; done
    stop_ovs
    if [ -n "${BENCH_KEEP:-}" ]; then echo "# logs kept in $D" >&2; else rm -rf "$D"; fi
    rm -rf /dev/hugepages/"$PFX"* /var/run/dpdk/"$PFX"* /dev/hugepages/ovs$$* /var/run/dpdk/ovs$$*
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_file() {   # PATH SECONDS
    local i
    for i in $(seq 1 $(($2 * 10))); do [ -e "$1" ] && return 0; sleep 0.1; done
    return 1
}

# The rules10k table (see the header), one file for every system.
RULES=$D/rules10k.flows
gen_rules10k() {
    awk 'function ip(a) {
             return sprintf("%d.%d.%d.%d", int(a / 16777216) % 256,
                            int(a / 65536) % 256, int(a / 256) % 256, a % 256)
         }
         BEGIN {
             dst0 = 10 * 16777216 + 253 * 65536    # flowgen: 10.253.0.0 + flow
             for (j = 0; j < 5000; j++) {
                 src = "10.254.0.0"; tpd = 1001      # j even: the traffic tuple
                 if (j % 4 == 1) tpd = 53
                 if (j % 4 == 3) src = ip(10 * 16777216 + 254 * 65536 + 256 + j % 256)
                 for (p = 1; p <= 2; p++)
                     printf "priority=100,in_port=%d,udp,nw_src=%s,nw_dst=%s,tp_src=1000,tp_dst=%d,actions=output:%d\n",
                            p, src, ip(dst0 + 2 * j), tpd, 3 - p
             }
             print "priority=1,in_port=1,actions=output:2"
             print "priority=1,in_port=2,actions=output:1"
         }' > "$RULES"
}
# dump-flows output (ovs-ofctl's format) -> share of packets counted by
# the priority=100 rules, or "-".
rules_share() {
    awk '{ n = 0; p = -1
           if (match($0, /n_packets=[0-9]+/)) n = substr($0, RSTART + 10, RLENGTH - 10)
           if (match($0, /priority=[0-9]+/)) p = substr($0, RSTART + 9, RLENGTH - 9)
           tot += n; if (p == 100) spec += n }
         END { printf "%s\n", (tot > 0 ? sprintf("%.2f%%", 100 * spec / tot) : "-") }'
}
# FLOW-TABLE-DUMP-COMMAND... : every line of $RULES is in the table.
check_rules_loaded() {
    local n
    n=$("$@" | grep -c 'actions=')
    [ "$n" = "$(wc -l < "$RULES")" ] ||
        { echo "bench_switch: $n flows in the table, $(wc -l < "$RULES") in $RULES" >&2; return 1; }
}

# --- systems under test: start_<sys> MODE sets SOCK0 SOCK1 and SUT_PID ----
start_rsw() {
    local ctl=$D/rsw.ctl bin=$BUILD/utilities
    rm -f "$D"/rsw.db*      # a fresh configuration every run
    "$bin/rsw-switchd" --db "$D/rsw.db" --ctl "$ctl" --pmd-cores 1 \
        --eal "--file-prefix=${PFX}sw" \
        --log-file "$D/rsw.log" > "$D/rsw.out" 2>&1 &
    SUT_PID=$!; PIDS+=("$SUT_PID")
    wait_file "$ctl" 30 || return 1
    SOCK0=$D/rsw0.sock SOCK1=$D/rsw1.sock
    RSW=("$bin/rsw-vsctl" --ctl "$ctl")
    "${RSW[@]}" add-br br0 &&
    "${RSW[@]}" add-port br0 vhu1 type=vhostuser options:path="$SOCK0" ofport_request=1 &&
    "${RSW[@]}" add-port br0 vhu2 type=vhostuser options:path="$SOCK1" ofport_request=2 || return 1
    if [ "$1" = p2p ]; then
        "$bin/rsw-ofctl" --ctl "$ctl" del-flows br0 &&
        "$bin/rsw-ofctl" --ctl "$ctl" add-flow br0 in_port=1,actions=output:2 &&
        "$bin/rsw-ofctl" --ctl "$ctl" add-flow br0 in_port=2,actions=output:1 || return 1
    elif [ "$1" = rules10k ]; then
        "$bin/rsw-ofctl" --ctl "$ctl" del-flows br0 &&
        "$bin/rsw-ofctl" --ctl "$ctl" add-flows br0 "$RULES" &&
        check_rules_loaded "$bin/rsw-ofctl" --ctl "$ctl" dump-flows br0 || return 1
    fi
}
rules_share_rsw() { "$BUILD/utilities/rsw-ofctl" --ctl "$D/rsw.ctl" dump-flows br0 | rules_share; }
own_cycles_rsw() {
    "$BUILD/utilities/rsw-appctl" --ctl "$D/rsw.ctl" --format json pmd-stats-show |
        python3 -c 'import json,sys
p=[x for x in json.load(sys.stdin)]
pk=sum(x.get("packets",0) for x in p); b=sum(x.get("busy_cycles",0) for x in p)
print("%.0f" % (b/pk) if pk else "-")' 2>/dev/null || echo -
}
clear_rsw() { "$BUILD/utilities/rsw-appctl" --ctl "$D/rsw.ctl" pmd-stats-clear >/dev/null 2>&1; }

start_rswcap() {
    start_rsw "$@" &&
    "$BUILD/utilities/rsw-appctl" --ctl "$D/rsw.ctl" capture vhu1 "$D/cap.pcap" icmp >/dev/null
}
own_cycles_rswcap() { own_cycles_rsw; }
rules_share_rswcap() { rules_share_rsw; }
clear_rswcap() { clear_rsw; }

start_ovs() {
    local o=$D/ovs
    mkdir -p "$o" /var/run/openvswitch
    export OVS_RUNDIR=$o OVS_DBDIR=$o OVS_LOGDIR=$o
    OVSCTL=(ovs-vsctl --db="unix:$o/db.sock")
    ovsdb-tool create "$o/conf.db" /usr/share/openvswitch/vswitch.ovsschema &&
    ovsdb-server --remote="punix:$o/db.sock" --pidfile="$o/ovsdb.pid" \
        --unixctl="$o/ovsdb.ctl" -vconsole:off --log-file="$o/ovsdb.log" --detach "$o/conf.db" &&
    "${OVSCTL[@]}" --no-wait init &&
    "${OVSCTL[@]}" --no-wait set Open_vSwitch . other_config:dpdk-init=true \
        other_config:dpdk-lcore-mask=0x1 other_config:pmd-cpu-mask=0x2 \
        other_config:dpdk-socket-mem=1024 \
        other_config:dpdk-extra="--no-pci --file-prefix=ovs$$" \
        other_config:vhost-sock-dir=. &&
    "$OVS_VSWITCHD" "unix:$o/db.sock" --pidfile="$o/vswitchd.pid" \
        --unixctl="$o/vswitchd.ctl" -vconsole:off --log-file="$o/vswitchd.log" --detach || return 1
    SUT_PID=$(cat "$o/vswitchd.pid")
    "${OVSCTL[@]}" add-br br0 -- set bridge br0 datapath_type=netdev &&
    "${OVSCTL[@]}" add-port br0 vhu1 -- set Interface vhu1 type=dpdkvhostuser ofport_request=1 &&
    "${OVSCTL[@]}" add-port br0 vhu2 -- set Interface vhu2 type=dpdkvhostuser ofport_request=2 || return 1
    SOCK0=$o/vhu1 SOCK1=$o/vhu2
    wait_file "$SOCK1" 20 || return 1
    if [ "$1" = p2p ]; then
        ovs-ofctl del-flows br0 &&
        ovs-ofctl add-flow br0 in_port=1,actions=output:2 &&
        ovs-ofctl add-flow br0 in_port=2,actions=output:1 || return 1
    elif [ "$1" = rules10k ]; then
        ovs-ofctl del-flows br0 &&
        ovs-ofctl add-flows br0 "$RULES" &&
        check_rules_loaded ovs-ofctl dump-flows br0 || return 1
    fi
}
rules_share_ovs() { ovs-ofctl dump-flows br0 | rules_share; }
own_cycles_ovs() {
    ovs-appctl -t "$D/ovs/vswitchd.ctl" dpif-netdev/pmd-stats-show 2>/dev/null |
        awk '/avg processing cycles per packet:/ { sub(/.*packet: */, ""); v = $1 }
             END { print (v == "" ? "-" : int(v)) }'
}
clear_ovs() { ovs-appctl -t "$D/ovs/vswitchd.ctl" dpif-netdev/pmd-stats-clear >/dev/null 2>&1; }

start_testpmd() {
    [ "$1" = p2p ] || return 2     # no lookup: no NORMAL
    SOCK0=$D/tp0.sock SOCK1=$D/tp1.sock
    dpdk-testpmd -l 0,1 --main-lcore 0 --no-pci --file-prefix="${PFX}tp" -m 512 \
        --vdev "net_vhost0,iface=$SOCK0,queues=1" --vdev "net_vhost1,iface=$SOCK1,queues=1" -- \
        --forward-mode=io --nb-cores=1 --stats-period 1 --total-num-mbufs=32768 \
        > "$D/tp.out" 2>&1 &
    SUT_PID=$!; PIDS+=("$SUT_PID")
    wait_file "$SOCK1" 30
}
own_cycles_testpmd() { echo -; }
rules_share_testpmd() { echo -; }
clear_testpmd() { :; }

stop_sut() {
    case $1 in
        ovs) stop_ovs ;;
        *) stop_pid "$SUT_PID" ;;
    esac
    rm -rf /dev/hugepages/"$PFX"sw* /dev/hugepages/"$PFX"tp* /var/run/dpdk/"$PFX"sw /var/run/dpdk/"$PFX"tp
    rm -rf /dev/hugepages/ovs$$* /var/run/dpdk/ovs$$
}

# --- the generator -------------------------------------------------------
# start_gen SIZE FLOWS(0 = io loop)
start_gen() {    # SIZE FLOWS [PEER0 PEER1]
    local args=(--burst=64 --nb-cores=1 --stats-period 1 --total-num-mbufs=32768
                --eth-peer=0,"${3:-02:00:00:00:00:02}" --eth-peer=1,"${4:-02:00:00:00:00:01}")
    if [ "$2" = 0 ]; then
        args+=(--forward-mode=io --tx-first)
    else
        args+=(--forward-mode=flowgen --flowgen-flows="$2")
    fi
    [ "$1" = 64 ] || args+=(--txpkts="$1")
    dpdk-testpmd -l 0,1 --main-lcore 1 --no-pci --single-file-segments -m 512 \
        --file-prefix="${PFX}gen" \
        --vdev "net_virtio_user0,path=$SOCK0,queues=1,mac=02:00:00:00:00:01" \
        --vdev "net_virtio_user1,path=$SOCK1,queues=1,mac=02:00:00:00:00:02" -- \
        "${args[@]}" > "$D/gen.out" 2>&1 &
    GEN_PID=$!; PIDS+=("$GEN_PID")
}

# Mean of the summed per-port Rx-pps over the periodic stats after WARMUP.
gen_rx_pps() {
    awk -v skip="$WARMUP" '
        /NIC statistics for port/ { port = $(NF - 1) + 0 }
        /Rx-pps:/ { if (port == 0) n++; if (n > skip) { sum += $2 } }
        END { m = n - skip; printf "%.0f", (m > 0 ? sum / m : 0) }' "$D/gen.out"
}

# run_one SYS CASE -> prints "Mpps cyc/pkt own rules-share"
run_one() {
    local sys=$1 case=$2 mode size flows pps own share=- peers=()
    case $case in
        rules10k-1k) case=rules10k-64-1000 ;;
        rules10k-1m) case=rules10k-64-1000000 ;;
    esac
    IFS=- read -r mode size flows <<< "$case"
    [ "$mode" = flows ] && mode=p2p
    [ "$mode" = flood ] && { mode=normal; peers=(02:00:00:00:00:10 02:00:00:00:00:11); }
    flows=${flows:-0}
    "start_$sys" "$mode" || { stop_sut "$sys"; echo "failed - - -"; return; }
    start_gen "$size" "$flows" "${peers[@]}"
    sleep 1; "clear_$sys"
    if [ -n "${BENCH_PERF:-}" ]; then
        sleep "$WARMUP"
        local who=$SUT_PID
        [ "$BENCH_PERF" = gen ] && who=$GEN_PID
        perf record -q -e cpu-clock -g -o "$D/perf-$sys-$case.data" -p "$who" \
            -- sleep "$DURATION" >/dev/null 2>&1
    else
        sleep $((WARMUP + DURATION))
    fi
    own=$("own_cycles_$sys")
    [ "$mode" = rules10k ] && share=$("rules_share_$sys")
    stop_pid "$GEN_PID"
    pps=$(gen_rx_pps)
    stop_sut "$sys"
    rm -rf /dev/hugepages/"$PFX"gen* /var/run/dpdk/"$PFX"gen
    if [ "${pps:-0}" -gt 0 ]; then
        awk -v p="$pps" -v hz="$TSC_HZ" -v own="$own" -v r="$share" 'BEGIN { printf "%.2f %.0f %s %s\n", p / 1e6, hz / p, own, r }'
    else
        echo "0 - $own $share"
        cp "$D/gen.out" "$D/gen-$sys-$case.failed"
    fi
}

echo "# bench_switch: $(date -u +%F\ %T) UTC, $(nproc) cores, TSC $((TSC_HZ / 1000000)) MHz, ${DURATION}s after ${WARMUP}s warm-up, $REPS rep(s)"
echo "# rsw: $(git -C "$ROOT" describe --always --dirty 2>/dev/null), ovs: $($OVS_VSWITCHD --version 2>/dev/null | head -1 | awk '{print $NF}'), dpdk: $(dpkg-query -W -f='${Version}' dpdk 2>/dev/null)"
case " $CASES " in *" rules10k"*) gen_rules10k ;; esac
declare -A MPPS OWN SHARE
for rep in $(seq 1 "$REPS"); do
    for case in $CASES; do
        for sys in $SYSTEMS; do
            case $case in normal*|flood*|rules10k*) [ "$sys" = testpmd ] && continue ;; esac
            read -r m c o r < <(run_one "$sys" "$case")
            info=; [ "${r:--}" = - ] || info=", rules $r"
            echo "# rep $rep $case $sys: $m Mpps, $c cyc/pkt (own $o)$info" >&2
            MPPS[$case,$sys]="${MPPS[$case,$sys]:-} $m"
            [ "${o:--}" = - ] || OWN[$case,$sys]="${OWN[$case,$sys]:-} $o"
            SHARE[$case,$sys]=$r
        done
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }
printf "\n%-18s %-8s %8s %8s %6s %9s %10s %7s\n" case system Mpps cyc/pkt own "vs ovs" "vs testpmd" rules
for case in $CASES; do
    ovs=$(echo "${MPPS[$case,ovs]:-}" | median) tp=$(echo "${MPPS[$case,testpmd]:-}" | median)
    for sys in $SYSTEMS; do
        [ -n "${MPPS[$case,$sys]:-}" ] || continue
        m=$(echo "${MPPS[$case,$sys]}" | median)
        r1=$(awk -v a="$m" -v b="$ovs" 'BEGIN { print (b > 0 ? sprintf("%.2fx", a / b) : "-") }')
        r2=$(awk -v a="$m" -v b="$tp" 'BEGIN { print (b > 0 ? sprintf("%.2fx", a / b) : "-") }')
        c=$(awk -v p="$m" -v hz="$TSC_HZ" 'BEGIN { print (p > 0 ? sprintf("%.0f", hz / (p * 1e6)) : "-") }')
        o=-; [ -n "${OWN[$case,$sys]:-}" ] && o=$(echo "${OWN[$case,$sys]}" | median)
        printf "%-18s %-8s %8s %8s %6s %9s %10s %7s\n" "$case" "$sys" "$m" "$c" "$o" "$r1" "$r2" "${SHARE[$case,$sys]:--}"
    done
done
