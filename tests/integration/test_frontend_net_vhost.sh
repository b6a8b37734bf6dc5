#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The vhost library's FRONTEND role against DPDK's vhost-user backend.
#
# rsw-vhost-probe plays VMM and guest driver: it owns a memfd "guest
# memory", negotiates features, sends the memory table with its fd, sets up
# an RX and a TX ring, and sends sequence-numbered frames (60..1514 bytes)
# on TX.  dpdk-testpmd runs net_vhost io-forwarding the port to itself
# (--port-topology=loop), so every frame must come back on RX, intact and in
# order; testpmd's counters must agree exactly.
#   MODE client: testpmd listens (default net_vhost); the probe connects.
#   MODE server: the probe listens; testpmd connects (client=1).
set -u
source "$(dirname "$0")/lib.sh"
probe=$1 mode=$2
frames=20000
it_require_root
it_require_cmd dpdk-testpmd dpdk

sock=$IT_WORK/vh.sock
prefix=$(it_prefix fe)
vh_extra="" probe_extra=()
if [ "$mode" = server ]; then
    vh_extra=",client=1"
    probe_extra=(--server)
    it_start probe "$probe" frontend "${probe_extra[@]}" --frames $frames --timeout 20 "$sock"
    probe_pid=$IT_LAST_PID
    it_wait_for "[ -S $sock ]" 10 "the probe's socket"
fi
# The backend side needs no hugepages: testpmd copies into its own mbufs.
it_start testpmd dpdk-testpmd -l 0,1 --main-lcore 0 --no-pci --no-huge -m 512 \
    --file-prefix="$prefix" --vdev "net_vhost0,iface=$sock,queues=1$vh_extra" -- \
    --total-num-mbufs=16384 --forward-mode=io --port-topology=loop --nb-cores=1 \
    --stats-period 1
tp_pid=$IT_LAST_PID
if [ "$mode" = client ]; then
    it_wait_for "[ -S $sock ]" 20 "testpmd's vhost-user socket"
    it_start probe "$probe" frontend --frames $frames --timeout 20 "$sock"
    probe_pid=$IT_LAST_PID
fi
wait "$probe_pid"
rc=$?
it_stop "$tp_pid"
cat "$IT_WORK/probe.log" | grep RESULT
[ $rc -eq 0 ] || it_fail "probe exited with $rc"
grep -q "role=frontend .*status=ok" "$IT_WORK/probe.log" || it_fail "probe did not report ok"
warm=$(sed -n 's/^RESULT .*warmup=\([0-9]*\) .*/\1/p' "$IT_WORK/probe.log")
want=$((frames + warm))
rx=$(testpmd_port_stat "$IT_WORK/testpmd.log" 0 RX-packets)
tx=$(testpmd_port_stat "$IT_WORK/testpmd.log" 0 TX-packets)
drop=$(testpmd_port_stat "$IT_WORK/testpmd.log" 0 TX-dropped)
it_log "testpmd port 0: RX=$rx TX=$tx TX-dropped=$drop (want $want/$want/0: $frames frames + $warm warm-ups)"
[ "$rx" = "$want" ] && [ "$tx" = "$want" ] && [ "$drop" = 0 ] ||
    it_fail "testpmd counted RX=$rx TX=$tx dropped=$drop, want $want/$want/0"
echo "PASS: $frames frames through net_vhost and back, exact counts ($mode mode)"
