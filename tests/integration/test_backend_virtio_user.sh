#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The vhost library's BACKEND role against DPDK's virtio-user frontend.
#
# rsw-vhost-probe serves two vhost-user ports; dpdk-testpmd attaches a
# net_virtio_user device to each and io-forwards between them.  The probe
# writes sequence-numbered frames into each port's RX ring and must receive
# every one, intact and in order, from the other port's TX ring (frames in
# both directions, lengths 60..1514).  testpmd's own counters must agree
# exactly.  The frontend is then restarted twice (rounds 2 and 3): state is
# rebuilt from scratch on each connection and traffic resumes.
#   MODE server: the probe listens; testpmd connects.
#   MODE client: testpmd listens (server=1); the probe connects and
#                reconnects after each restart.
set -u
source "$(dirname "$0")/lib.sh"
probe=$1 mode=$2
frames=20000 rounds=3
it_require_root
it_require_hugepages
it_require_cmd dpdk-testpmd dpdk

s0=$IT_WORK/p0.sock s1=$IT_WORK/p1.sock
probe_args=(--frames $frames --rounds $rounds --timeout 20)
vu_extra=""
if [ "$mode" = client ]; then
    probe_args+=(--client)
    vu_extra=",server=1"
fi

it_start probe "$probe" backend "${probe_args[@]}" "$s0" "$s1"
probe_pid=$IT_LAST_PID

# probe_warmups ROUND STREAM: warm-up frames of that stream that came back.
probe_warmups() {
    sed -n "s/^RESULT .*round=$1 stream=$2 .*warmup=\([0-9]*\) .*/\1/p" "$IT_WORK/probe.log"
}

for round in $(seq 1 $rounds); do
    prefix=$(it_prefix "r$round")
    if [ "$mode" = server ]; then
        it_wait_for "[ -S $s0 ] && [ -S $s1 ]" 10 "the probe's sockets"
    fi
    it_log "round $round: starting testpmd ($mode mode)"
    it_start testpmd$round dpdk-testpmd -l 0,1 --main-lcore 0 --no-pci \
        --single-file-segments -m 256 --file-prefix="$prefix" \
        --vdev "net_virtio_user0,path=$s0,queues=1$vu_extra" \
        --vdev "net_virtio_user1,path=$s1,queues=1$vu_extra" -- \
        --total-num-mbufs=16384 --forward-mode=io --nb-cores=1 --stats-period 1
    tp_pid=$IT_LAST_PID
    it_wait_for "[ \$(grep -c '^RESULT' $IT_WORK/probe.log) -ge $((round * 2)) ] || ! kill -0 $probe_pid 2>/dev/null" 60 \
        "round $round results"
    it_stop "$tp_pid"
    log=$IT_WORK/testpmd$round.log
    grep "round=$round " "$IT_WORK/probe.log"
    [ "$(grep -c "^RESULT .*round=$round .*status=ok" "$IT_WORK/probe.log")" -eq 2 ] ||
        it_fail "round $round: probe reported loss or corruption"
    # testpmd port p receives stream p (plus the warm-up frames of stream p
    # that came back: those it flushed before forwarding are never counted)
    # and transmits the other stream.
    for port in 0 1; do
        other=$((1 - port))
        want_rx=$((frames + $(probe_warmups "$round" $port)))
        want_tx=$((frames + $(probe_warmups "$round" $other)))
        rx=$(testpmd_port_stat "$log" $port RX-packets)
        tx=$(testpmd_port_stat "$log" $port TX-packets)
        drop=$(testpmd_port_stat "$log" $port TX-dropped)
        it_log "round $round: testpmd port $port RX=$rx TX=$tx TX-dropped=$drop (want $want_rx/$want_tx/0)"
        [ "$rx" = "$want_rx" ] && [ "$tx" = "$want_tx" ] && [ "$drop" = 0 ] ||
            it_fail "round $round: testpmd port $port counted RX=$rx TX=$tx dropped=$drop, want $want_rx/$want_tx/0"
    done
    rm -rf /dev/hugepages/"$prefix"*
done
wait "$probe_pid"
rc=$?
[ $rc -eq 0 ] || it_fail "probe exited with $rc"
# No fd or mapping from a dead connection survives it: the probe checks its
# own fd count after each round (see FDS in its log).
echo "PASS: $rounds rounds x 2 directions x $frames frames, exact counts ($mode mode)"
