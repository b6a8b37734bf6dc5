# SPDX-License-Identifier: Apache-2.0
# Helpers of the it_ofproto_* tests (sourced after lib.sh, with SW_BIN set).
#
# Traffic comes from pcap files: one dpdk-testpmd in io forwarding pairs
# net_pcap port 2i (reads $IT_WORK/in<i>.pcap, writes out<i>.pcap) with
# net_virtio_user port 2i+1 on $IT_WORK/p<i>.sock, the switch's vhu<i+1>.
# So what in<i>.pcap holds enters the switch on vhu<i+1> (once), and what
# the switch sends out of vhu<i+1> lands in out<i>.pcap, exactly.

OFP_FRAMES="python3 $(dirname "${BASH_SOURCE[0]}")/ofproto_frames.py"

# ofp_frames_make PORT_INDEX [SPEC...]: in<i>.pcap (see ofproto_frames.py)
ofp_frames_make() {
    local i=$1
    shift
    $OFP_FRAMES make "$IT_WORK/in$i.pcap" "$@" || it_fail "cannot write in$i.pcap"
}

# ofp_expect PORT_INDEX N [K=V...]: out<i>.pcap holds exactly N such frames.
ofp_expect() {
    local i=$1
    shift
    $OFP_FRAMES expect "$IT_WORK/out$i.pcap" "$@" || it_fail "port vhu$((i + 1)) got the wrong frames"
}

# ofp_port_column FIELD: FIELD (rx_packets, tx_packets...) of vhu1, vhu2,
# ... on one line, from one dump-ports (awk, not python: the machine is
# shared and a python start costs up to a second under load).
ofp_port_column() {
    sw_ofctl dump-ports br0 | awk -v f="$1" '
        /^port=/ { for (i = 1; i <= NF; i++) { split($i, kv, "=");
                       v[kv[1]] = kv[2] }
                   n = substr(v["port"], 4) + 0; val[n] = v[f]; if (n > max) max = n }
        END { for (i = 1; i <= max; i++) printf "%s%s", (i > 1 ? " " : ""), val[i]; print "" }'
}

# ofp_rx_total NPORTS: frames received by the switch on vhu1..vhuN.
ofp_rx_total() {
    local n=0 v
    for v in $(ofp_port_column rx_packets); do
        n=$((n + v))
    done
    echo $n
}

# ofp_phase NAME NPORTS: replays in0..in<N-1>.pcap through the switch (a
# port without in<i>.pcap sends nothing), waits until the switch received
# all of them and its outputs settled, stops testpmd; out<i>.pcap then
# hold what each port sent.
ofp_phase() {
    local name=$1 nports=$2 prefix vdevs=() i sent=0 before end
    prefix=$(it_prefix "$name")
    IT_PREFIXES+=("$prefix")
    for i in $(seq 0 $((nports - 1))); do
        [ -f "$IT_WORK/in$i.pcap" ] || ofp_frames_make "$i"
        sent=$((sent + $($OFP_FRAMES count "$IT_WORK/in$i.pcap")))
        rm -f "$IT_WORK/out$i.pcap"
        vdevs+=(--vdev "net_pcap$((2 * i)),rx_pcap=$IT_WORK/in$i.pcap,tx_pcap=$IT_WORK/out$i.pcap"
                --vdev "net_virtio_user$((2 * i + 1)),path=$IT_WORK/p$i.sock,queues=1")
    done
    before=$(ofp_rx_total "$nports")
    # --no-flush-rx: testpmd would otherwise read the pcap files away
    # before forwarding starts.
    it_start "$name" dpdk-testpmd -l 0,1 --main-lcore 1 --no-pci \
        --single-file-segments -m 256 --file-prefix="$prefix" "${vdevs[@]}" -- \
        --total-num-mbufs=16384 --forward-mode=io --nb-cores=1 --no-flush-rx \
        --stats-period 1
    local pid=$IT_LAST_PID
    end=$((SECONDS + 30))
    while [ $(($(ofp_rx_total "$nports") - before)) -lt "$sent" ]; do
        kill -0 "$pid" 2>/dev/null || it_fail "testpmd ($name) died"
        [ $SECONDS -lt $end ] || it_fail "$name: the switch received $(($(ofp_rx_total "$nports") - before)) of $sent frames in 30 s"
        sleep 0.2
    done
    it_log "$name: the switch received all $sent frames"
    sleep 1         # the switch's outputs reach testpmd and the pcap files
    it_stop "$pid"
    it_log "$name: testpmd stopped"
    [ $(($(ofp_rx_total "$nports") - before)) = "$sent" ] ||
        it_fail "$name: the switch received more than the $sent frames sent"
    for i in $(seq 0 $((nports - 1))); do
        rm -f "$IT_WORK/in$i.pcap"
    done
    it_log "$name: $sent frames in"
}

# ofp_tx_counts NPORTS: the switch's tx_packets of vhu1..vhuN, one line.
ofp_tx_counts() {
    ofp_port_column tx_packets
}

# ofp_expect_tx_delta "BEFORE" "AFTER" "EXPECTED": per-port differences.
ofp_expect_tx_delta() {
    local -a b=($1) a=($2) e=($3)
    local i
    for i in "${!e[@]}"; do
        [ $((a[i] - b[i])) = "${e[i]}" ] ||
            it_fail "vhu$((i + 1)): switch sent $((a[i] - b[i])) frames, expected ${e[i]} (all ports: sent $(for i in "${!e[@]}"; do echo -n "$((a[i] - b[i])) "; done)expected $3)"
    done
}

# ofp_expect_packets "TABLE PRIORITY N ...": each flow's n_packets becomes
# N (the PMDs credit megaflow hits about once a second) within 10 s, and
# each such flow is the only one with its table and priority.
ofp_expect_packets() {
    local end=$((SECONDS + 10)) out
    while :; do
        out=$(sw_ofctl --format json dump-flows br0 | python3 -c '
import json, sys
w = sys.argv[1].split()
fl = json.load(sys.stdin)
bad = []
for t, p, n in zip(w[0::3], w[1::3], w[2::3]):
    hits = [f for f in fl if (f["table"], f["priority"]) == (int(t), int(p))]
    if len(hits) != 1:
        bad.append("%d flows with table=%s,priority=%s" % (len(hits), t, p))
    elif hits[0]["n_packets"] != int(n):
        bad.append("table=%s,priority=%s: n_packets=%d, expected %s"
                   % (t, p, hits[0]["n_packets"], n))
print("; ".join(bad))' "$1") || it_fail "dump-flows"
        [ -z "$out" ] && return 0
        [ $SECONDS -lt $end ] || it_fail "flow counters: $out"
        sleep 0.5
    done
}
