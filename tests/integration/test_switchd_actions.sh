#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# rsw-switchd datapath actions end to end: VLAN push/strip and an IPv4
# rewrite, checked frame by frame on the receiving side.
#
# One dpdk-testpmd (io forwarding, ports paired 0<->1 and 2<->3):
#   port 0  net_pcap  reads a.pcap (N untagged IPv4/UDP frames), writes
#                     a_out.pcap
#   port 1  net_virtio_user  <-> switch vhu1 (ofport 1)
#   port 2  net_pcap  reads b.pcap (N frames tagged VID 20), writes b_out.pcap
#   port 3  net_virtio_user  <-> switch vhu2 (ofport 2)
# Switch rules:
#   in_port=1: mod_vlan_vid:10 (untagged: pushes a tag), mod_nw_src, output:2
#   in_port=2,dl_vlan=20: strip_vlan, output:1 (in_port=2 alone: drop)
# So a.pcap's frames come back in b_out.pcap tagged VID 10 with the new
# source address (IPv4 and UDP checksums must be valid), b.pcap's in
# a_out.pcap without their tag; python compares every frame byte for byte
# with the expected one, computed from scratch.  Frame sizes run from 60 to
# 1400 bytes, so headers in the switch's private copy and payload read from
# the source buffers both matter.  Counters exact on both sides.
#
# MODE fanout: in_port=1 outputs each frame four times to port 2, changing
# it in between (as is, tag 10, tag 11, stripped again): the switch clones
# packets and sends batches early (more than 32 frames per port per burst,
# more than its 64 clones), and port 2 must still get 4N frames in order.
set -u
source "$(dirname "$0")/lib.sh"
bindir=$1
N=${2:-100}
MODE=${3:-vlan}
case $MODE in vlan) COPIES=1 ;; fanout) COPIES=4 ;; *) echo "bad mode $MODE"; exit 1 ;; esac
it_require_root
it_require_hugepages
it_require_cmd dpdk-testpmd dpdk
it_require_cmd python3 python3

ctl=$IT_WORK/ctl
vsctl() { "$bindir/rsw-vsctl" --ctl "$ctl" "$@"; }
ofctl() { "$bindir/rsw-ofctl" --ctl "$ctl" "$@"; }
appctl() { "$bindir/rsw-appctl" --ctl "$ctl" "$@"; }
port_stat() { # PORT FIELD
    ofctl --format json dump-ports br0 "$1" |
        python3 -c "import json,sys; p=json.load(sys.stdin)[0]; f='$2'; print(p['drops'][f] if f in p['drops'] else p[f])"
}
all_drops() { # PORT
    ofctl --format json dump-ports br0 "$1" |
        python3 -c "import json,sys; print(sum(json.load(sys.stdin)[0]['drops'].values()))"
}

frames_py=$IT_WORK/frames.py
cat > "$frames_py" <<'EOF'
import struct, sys

def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ip_udp(src, dst, sport, dport, payload, ttl=64):
    udp_len = 8 + len(payload)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + udp_len, 7, 0, ttl, 17,
                     0, bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    pseudo = bytes(src) + bytes(dst) + struct.pack('!BBH', 0, 17, udp_len)
    udp = struct.pack('!HHHH', sport, dport, udp_len, 0) + payload
    c = csum(pseudo + udp) or 0xffff
    return ip + udp[:6] + struct.pack('!H', c) + udp[8:]

M1, M2 = bytes.fromhex('020000000001'), bytes.fromhex('020000000002')
A_SRC, A_DST, NEW_SRC = [10, 0, 0, 1], [10, 0, 0, 2], [10, 9, 9, 9]

def vlan(tci):
    return struct.pack('!HH', 0x8100, tci)

def payload(i):
    n = 18 + (i * 137) % 1340          # frames of 60..1400 bytes
    return bytes((i + k) & 0xff for k in range(n))

def a_frame(i):     # port 1 -> 2, untagged
    return M2 + M1 + b'\x08\x00' + ip_udp(A_SRC, A_DST, 1000 + i, 2000,
                                          payload(i))

def b_frame(i):     # port 2 -> 1, tagged VID 20 PCP 3
    return M1 + M2 + vlan(3 << 13 | 20) + b'\x08\x00' + \
        ip_udp(A_DST, A_SRC, 3000 + i, 4000, payload(i + 7))

def a_expected(i):  # what vhu2's peer must get
    return M2 + M1 + vlan(10) + b'\x08\x00' + ip_udp(NEW_SRC, A_DST,
                                                     1000 + i, 2000,
                                                     payload(i))

def b_expected(i):  # what vhu1's peer must get: the tag stripped
    f = b_frame(i)
    return f[:12] + f[16:]

def write_pcap(path, frames):
    with open(path, 'wb') as out:
        out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for f in frames:
            out.write(struct.pack('<IIII', 0, 0, len(f), len(f)) + f)

def read_pcap(path):
    data, frames, ofs = open(path, 'rb').read(), [], 24
    magic = struct.unpack('<I', data[:4])[0]
    if magic not in (0xa1b2c3d4, 0xa1b23c4d):
        sys.exit('%s: not a little-endian pcap file' % path)
    while ofs + 16 <= len(data):
        incl = struct.unpack('<IIII', data[ofs:ofs + 16])[2]
        frames.append(data[ofs + 16:ofs + 16 + incl])
        ofs += 16 + incl
    return frames

def check(path, expected, what):
    got = read_pcap(path)
    if len(got) != len(expected):
        sys.exit('%s: %d frames, expected %d' % (what, len(got), len(expected)))
    for i, (g, e) in enumerate(zip(got, expected)):
        if g != e:
            at = next(k for k in range(min(len(g), len(e)) + 1)
                      if k >= min(len(g), len(e)) or g[k] != e[k])
            sys.exit('%s: frame %d differs at byte %d (len %d, expected %d)'
                     % (what, i, at, len(g), len(e)))
    print('%s: %d frames as expected' % (what, len(got)))

def a_fanout(i):     # as is, tagged 10, tagged 11, stripped again
    f = a_frame(i)
    return [f, f[:12] + vlan(10) + f[12:], f[:12] + vlan(11) + f[12:], f]

cmd, d, n, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if cmd == 'make':
    write_pcap(d + '/a.pcap', [a_frame(i) for i in range(n)])
    write_pcap(d + '/b.pcap', [b_frame(i) for i in range(n)])
else:
    if mode == 'fanout':
        check(d + '/b_out.pcap', [f for i in range(n) for f in a_fanout(i)],
              'port 1 -> 2 (4 differently modified copies each)')
    else:
        check(d + '/b_out.pcap', [a_expected(i) for i in range(n)],
              'port 1 -> 2 (tag pushed, nw_src rewritten)')
    check(d + '/a_out.pcap', [b_expected(i) for i in range(n)],
          'port 2 -> 1 (tag stripped)')
EOF
python3 "$frames_py" make "$IT_WORK" "$N" "$MODE" || it_fail "cannot write the pcap files"

prefix=$(it_prefix sw)
IT_PREFIXES+=("$prefix")
it_start switchd "$bindir/rsw-switchd" --ctl "$ctl" --pmd-cores 1 \
    --eal "--file-prefix=$prefix" --log-file "$IT_WORK/switchd-file.log"
switch_pid=$IT_LAST_PID
it_wait_for "[ -S $ctl ]" 20 "the switch's control socket"
vsctl add-br br0 || it_fail "add-br"
vsctl add-port br0 vhu1 type=vhostuser options:path="$IT_WORK/p0.sock" || it_fail "add-port"
vsctl add-port br0 vhu2 type=vhostuser options:path="$IT_WORK/p1.sock" || it_fail "add-port"
ofctl del-flows br0 || it_fail "del-flows"
if [ "$MODE" = fanout ]; then
    ofctl add-flow br0 in_port=1,actions=output:2,mod_vlan_vid:10,output:2,mod_vlan_vid:11,output:2,strip_vlan,output:2 ||
        it_fail "add-flow (fanout)"
else
    ofctl add-flow br0 in_port=1,actions=mod_vlan_vid:10,mod_nw_src:10.9.9.9,output:2 ||
        it_fail "add-flow (push)"
fi
# dl_vlan=20 (what b.pcap carries) takes precedence over in_port alone:
# a higher priority, as in OpenFlow.
ofctl add-flow br0 priority=100,in_port=2,actions=drop || it_fail "add-flow (drop)"
ofctl add-flow br0 priority=200,in_port=2,dl_vlan=20,actions=strip_vlan,output:1 ||
    it_fail "add-flow (strip)"
# Bad values are refused with the word at fault.
out=$(ofctl add-flow br0 in_port=1,actions=mod_vlan_vid:4096,output:2 2>&1) &&
    it_fail "mod_vlan_vid:4096 accepted"
echo "$out" | grep -q "mod_vlan_vid:4096" || it_fail "unclear error: $out"
out=$(ofctl add-flow br0 in_port=1,actions=push_vlan:0x0800,output:2 2>&1) &&
    it_fail "push_vlan:0x0800 accepted"
echo "$out" | grep -q "0x8100 or 0x88a8" || it_fail "unclear error: $out"
ofctl dump-flows br0

tp_prefix=$(it_prefix tp)
IT_PREFIXES+=("$tp_prefix")
# --no-flush-rx: testpmd would otherwise read the pcap files away before
# forwarding starts.
it_start tp dpdk-testpmd -l 0,1 --main-lcore 1 --no-pci --single-file-segments \
    -m 256 --file-prefix="$tp_prefix" \
    --vdev "net_pcap0,rx_pcap=$IT_WORK/a.pcap,tx_pcap=$IT_WORK/a_out.pcap" \
    --vdev "net_virtio_user1,path=$IT_WORK/p0.sock,queues=1" \
    --vdev "net_pcap2,rx_pcap=$IT_WORK/b.pcap,tx_pcap=$IT_WORK/b_out.pcap" \
    --vdev "net_virtio_user3,path=$IT_WORK/p1.sock,queues=1" -- \
    --total-num-mbufs=16384 --forward-mode=io --nb-cores=1 --no-flush-rx \
    --stats-period 1
tp_pid=$IT_LAST_PID
it_wait_for "[ \$(port_stat vhu2 tx_packets 2>/dev/null || echo 0) -ge $((COPIES * N)) ] &&
             [ \$(port_stat vhu1 tx_packets 2>/dev/null || echo 0) -ge $N ]" 30 \
    "$N frames through the switch each way"
sleep 1     # anything extra would show up in the exact counts below
appctl dump-dp-flows
[ "$MODE" = vlan ] && { flows=$(appctl --format json dump-dp-flows)
echo "$flows" | python3 -c '
import json, re, sys
fl = [f for p in json.load(sys.stdin) for f in p["flows"]]
acts = sorted(f["actions"] for f in fl)
# (datapath port numbers: the other port of the two, whatever its number)
want = [r"pop_vlan,(\d+)", r"push_vlan\(vid=10,pcp=0\),set\(ipv4\(src=10\.9\.9\.9\)\),(\d+)"]
m = [re.fullmatch(w, a) for w, a in zip(want, acts)]
if len(acts) != 2 or not all(m) or m[0].group(1) == m[1].group(1):
    sys.exit("megaflow actions %s, expected %s" % (acts, want))
push = next(f for f in fl if f["actions"].startswith("push_vlan"))
pop = next(f for f in fl if f["actions"].startswith("pop_vlan"))
# What translation looked at must be in the masks: the rule lookup saw the
# outer VID (dl_vlan rules exist), the VLAN actions whether tags exist,
# mod_nw_src the Ethertype.
for f, fields in ((push, ("vlan0(tpid=0xffff,vid=4095", "vlan1(tpid=0xffff",
                          "dl_type=0xffff")),
                  (pop, ("vlan0(tpid=0xffff,vid=4095", "vlan1(tpid=0xffff"))):
    for field in fields:
        if field not in f["mask"]:
            sys.exit("mask lacks %s: %s" % (field, f["mask"]))
' || it_fail "megaflows"; }

# want PORT RX TX: exact switch counters, no drops.
want() {
    [ "$(port_stat $1 rx_packets)" = "$2" ] || it_fail "$1 rx $(port_stat $1 rx_packets) != $2"
    [ "$(port_stat $1 tx_packets)" = "$3" ] || it_fail "$1 tx $(port_stat $1 tx_packets) != $3"
    [ "$(all_drops $1)" = 0 ] || it_fail "$1 dropped frames"
}
want vhu1 "$N" "$N"
want vhu2 "$N" $((COPIES * N))
it_stop "$tp_pid"
# testpmd port: RX and TX expected (pcap port 2 sends what port 3 got).
for spec in "0 $N $N" "1 $N $N" "2 $N $((COPIES * N))" "3 $((COPIES * N)) $N"; do
    set -- $spec
    rx=$(testpmd_port_stat "$IT_WORK/tp.log" $1 RX-packets)
    tx=$(testpmd_port_stat "$IT_WORK/tp.log" $1 TX-packets)
    it_log "testpmd port $1: RX=$rx TX=$tx"
    [ "$rx" = "$2" ] && [ "$tx" = "$3" ] || it_fail "testpmd port $1: RX=$rx TX=$tx, expected $2 $3"
done
python3 "$frames_py" check "$IT_WORK" "$N" "$MODE" || it_fail "frames differ"

out=$(appctl exit 2>&1) || it_fail "exit method: $out"
for i in $(seq 1 100); do kill -0 "$switch_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$switch_pid" 2>/dev/null && it_fail "switch did not exit"
wait "$switch_pid" || it_fail "switch exited with $?"
echo "PASS: rsw-switchd actions ($MODE), $N frames each way"
