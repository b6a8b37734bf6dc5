#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# rsw-appctl capture, read back with tshark and tcpdump.
#
# Two vhostuser ports with port rules 1<->2; dpdk-testpmd (virtio-user)
# sends UDP in txonly mode on both ports (port 0 from 02:..:01 and
# 198.18.0.1, the default txonly frame: 64 bytes, UDP 9 -> 9).
#   1. vhu1, --rx, filter "udp and dst port 9", --count 500: the
#      file holds exactly 500 frames, all from testpmd port 0, 64 bytes.
#   2. vhu2, both directions, --count 2000: frames of both sources.
#   3. vhu1 with a filter nothing matches, stopped by capture-stop: an
#      empty but valid file, "filtered_out" counted.
#   4. errors: bad filter, unknown port, second capture on a port, bad
#      option value -- one-line errors, non-zero exit, nothing started.
set -u
source "$(dirname "$0")/lib.sh"
bindir=$1
it_require_root
it_require_hugepages
it_require_cmd dpdk-testpmd dpdk
it_require_cmd tshark tshark
it_require_cmd tcpdump tcpdump
it_require_cmd python3 python3

ctl=$IT_WORK/ctl
vsctl() { "$bindir/rsw-vsctl" --ctl "$ctl" "$@"; }
ofctl() { "$bindir/rsw-ofctl" --ctl "$ctl" "$@"; }
appctl() { "$bindir/rsw-appctl" --ctl "$ctl" "$@"; }
# capture_field PORT FIELD: from capture-show (empty when not capturing)
capture_field() {
    appctl --format json capture-show |
        python3 -c "import json,sys; print(''.join(str(c['$2']) for c in json.load(sys.stdin) if c['port']=='$1'))"
}
tshark_fields() { # FILE FIELDS...
    local f=$1; shift
    tshark -n -r "$f" -T fields $(printf -- '-e %s ' "$@") 2>/dev/null
}

prefix=$(it_prefix sw)
IT_PREFIXES+=("$prefix")
it_start switchd "$bindir/rsw-switchd" --ctl "$ctl" --pmd-cores 1 \
    --eal "--file-prefix=$prefix" --log-file "$IT_WORK/switchd-file.log"
switch_pid=$IT_LAST_PID
it_wait_for "[ -S $ctl ]" 20 "the switch's control socket"
vsctl add-br br0 || it_fail "add-br"
for i in 1 2; do
    vsctl add-port br0 vhu$i type=vhostuser options:path="$IT_WORK/p$i.sock" \
        ofport_request=$i || it_fail "add-port vhu$i"
done
ofctl del-flows br0
ofctl add-flow br0 in_port=1,actions=output:2 || it_fail "add-flow"
ofctl add-flow br0 in_port=2,actions=output:1 || it_fail "add-flow"

# 1: counted, filtered, rx only -- started before the traffic.
appctl capture vhu1 "$IT_WORK/rx.pcap" udp and dst port 9 --count 500 --rx ||
    it_fail "capture vhu1"
[ "$(capture_field vhu1 done)" = False ] || it_fail "capture-show does not list the capture"

tp_prefix=$(it_prefix tp)
IT_PREFIXES+=("$tp_prefix")
it_start tp dpdk-testpmd -l 0,1 --main-lcore 1 --no-pci --single-file-segments -m 256 \
    --file-prefix="$tp_prefix" \
    --vdev "net_virtio_user0,path=$IT_WORK/p1.sock,queues=1,mac=02:00:00:00:00:01" \
    --vdev "net_virtio_user1,path=$IT_WORK/p2.sock,queues=1,mac=02:00:00:00:00:02" -- \
    --total-num-mbufs=16384 --forward-mode=txonly --nb-cores=1 --stats-period 1 \
    --eth-peer=0,02:00:00:00:00:02 --eth-peer=1,02:00:00:00:00:01
tp_pid=$IT_LAST_PID

# The switch reaps a finished capture within a second: it leaves the list.
it_wait_for "[ -z \"\$(capture_field vhu1 port)\" ]" 30 "the --count 500 capture to end"
n=$(tshark_fields "$IT_WORK/rx.pcap" frame.number | wc -l)
[ "$n" = 500 ] || it_fail "rx.pcap holds $n frames, expected 500"
bad=$(tshark_fields "$IT_WORK/rx.pcap" eth.src ip.src udp.dstport frame.len |
      grep -cv $'^02:00:00:00:00:01\t198.18.0.1\t9\t64$')
[ "$bad" = 0 ] || { tshark_fields "$IT_WORK/rx.pcap" eth.src ip.src udp.dstport frame.len | head -3
    it_fail "$bad frames in rx.pcap are not testpmd port 0's UDP frames"; }
n=$(tcpdump -n -r "$IT_WORK/rx.pcap" 2>/dev/null | wc -l)
[ "$n" = 500 ] || it_fail "tcpdump reads $n frames from rx.pcap"
grep -q "capture on vhu1 done: 500 packets" "$IT_WORK/switchd-file.log" ||
    it_fail "no 'capture done' log line"

# 2: both directions (the --duration limit is in the unit tests; a few
# seconds at full rate would make a file tshark takes minutes to read).
appctl capture vhu2 "$IT_WORK/both.pcap" --count 2000 --duration 60 || it_fail "capture vhu2"
it_wait_for "[ -z \"\$(capture_field vhu2 port)\" ]" 30 "the --count 2000 capture to end"
n=$(tshark_fields "$IT_WORK/both.pcap" frame.number | wc -l)
[ "$n" = 2000 ] || it_fail "both.pcap holds $n frames, expected 2000"
srcs=$(tshark_fields "$IT_WORK/both.pcap" eth.src | sort | uniq -c)
it_log "both.pcap sources: $(echo $srcs)"
echo "$srcs" | grep -q "02:00:00:00:00:01" || it_fail "both.pcap lacks frames sent on vhu2"
echo "$srcs" | grep -q "02:00:00:00:00:02" || it_fail "both.pcap lacks frames received on vhu2"

# 3: nothing matches; stopped by hand.
appctl capture vhu1 "$IT_WORK/none.pcap" tcp port 80 || it_fail "capture tcp"
sleep 1
out=$(appctl --format json capture-stop vhu1) || it_fail "capture-stop"
python3 -c "import json,sys; c=json.loads(sys.argv[1]); assert c['written']==0 and c['filtered_out']>0, c" "$out" ||
    it_fail "capture-stop stats: $out"
n=$(tshark_fields "$IT_WORK/none.pcap" frame.number | wc -l)
[ "$n" = 0 ] || it_fail "none.pcap holds $n frames"
tshark -r "$IT_WORK/none.pcap" >/dev/null 2>&1 || it_fail "none.pcap is not a valid capture file"

# 4: errors.
expect_error() { # PATTERN ARGS...
    local pat=$1 out; shift
    out=$(appctl "$@" 2>&1) && it_fail "accepted: capture $*"
    echo "$out" | grep -q -- "$pat" || it_fail "error for '$*' was: $out"
    it_log "refused as expected: $out"
}
expect_error "bad filter" capture vhu1 "$IT_WORK/x.pcap" udp and
expect_error "no port named nope" capture nope "$IT_WORK/x.pcap"
expect_error "needs a whole number" capture vhu1 "$IT_WORK/x.pcap" --count -5
expect_error "cannot create" capture vhu1 /nonexistent-dir/x.pcap
appctl capture vhu1 "$IT_WORK/long.pcap" || it_fail "capture long"
expect_error "already being captured" capture vhu1 "$IT_WORK/y.pcap"
expect_error "not being captured" capture-stop vhu2
appctl capture-stop vhu1 >/dev/null || it_fail "capture-stop long"
[ -e "$IT_WORK/x.pcap" ] && it_fail "a refused capture created its file"

# Traffic kept flowing through all of it (txonly: testpmd does not
# receive, so the switch counts what it could not deliver as tx drops).
rx=$(ofctl --format json dump-ports br0 vhu1 | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['rx_packets'])")
[ "$rx" -gt 10000 ] 2>/dev/null || it_fail "the switch received only $rx frames on vhu1"
it_stop "$tp_pid"
appctl exit >/dev/null || it_fail "exit"
it_wait_for "! kill -0 $switch_pid 2>/dev/null" 10 "the switch to exit"
echo "PASS: rsw-switchd capture"
