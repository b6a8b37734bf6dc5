# SPDX-License-Identifier: Apache-2.0
"""Frames for the ofproto integration tests, as pcap files testpmd's
net_pcap replays, and checks of what came out.

  make OUT.pcap [SPEC...]     writes the frames (no SPEC: an empty file)
  expect IN.pcap N [K=V...]   exactly N frames, each with K=V
  count IN.pcap               prints the number of frames

SPEC is COUNT,KIND[,K=V...] with KIND tcp, udp or arp, and keys dl_src,
dl_dst, vlan (an 802.1Q tag's VID), nw_src, nw_dst, tp_src, tp_dst.  Each
frame of a SPEC carries its sequence number in the payload, so copies are
distinct.  expect knows the keys dl_src, dl_dst, vlan ("none": untagged),
proto (tcp/udp/arp), nw_src, nw_dst, tp_dst.
"""
import socket
import struct
import sys


def mac(s):
    return bytes(int(x, 16) for x in s.split(':'))


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(kind, f, seq):
    src = socket.inet_aton(f.get('nw_src', '10.0.0.1'))
    dst = socket.inet_aton(f.get('nw_dst', '10.0.0.2'))
    eth = mac(f.get('dl_dst', '02:00:00:00:00:02')) \
        + mac(f.get('dl_src', '02:00:00:00:00:01'))
    if 'vlan' in f:
        eth += struct.pack('!HH', 0x8100, int(f['vlan']))
    if kind == 'arp':
        body = struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) \
            + mac(f.get('dl_src', '02:00:00:00:00:01')) + src \
            + b'\0' * 6 + dst
        return (eth + struct.pack('!H', 0x0806) + body).ljust(60, b'\0')
    payload = struct.pack('!I', seq) + b'ofproto-it' * 2
    sport, dport = int(f.get('tp_src', 1024)), int(f.get('tp_dst', 80))
    if kind == 'tcp':
        proto = 6
        l4 = struct.pack('!HHIIBBHHH', sport, dport, seq, 0, 5 << 4, 0x18,
                         8192, 0, 0) + payload
        ck = 16
    else:
        proto = 17
        l4 = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) \
            + payload
        ck = 6
    pseudo = src + dst + struct.pack('!BBH', 0, proto, len(l4))
    c = csum(pseudo + l4)
    l4 = l4[:ck] + struct.pack('!H', c) + l4[ck + 2:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), seq & 0xffff, 0,
                     64, proto, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return (eth + struct.pack('!H', 0x0800) + ip + l4).ljust(60, b'\0')


def write_pcap(path, frames):
    with open(path, 'wb') as out:
        out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            out.write(struct.pack('<IIII', i, 0, len(fr), len(fr)) + fr)


def read_pcap(path):
    frames = []
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<I', data[:4])[0]
    if magic not in (0xa1b2c3d4, 0xa1b23c4d):
        raise SystemExit('%s: not a pcap file' % path)
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack('<IIII', data[off:off + 16])
        frames.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return frames


def fmt_mac(b):
    return ':'.join('%02x' % x for x in b)


def fields(fr):
    f = {'dl_dst': fmt_mac(fr[0:6]), 'dl_src': fmt_mac(fr[6:12]),
         'vlan': 'none'}
    off = 12
    etype = struct.unpack('!H', fr[off:off + 2])[0]
    if etype == 0x8100:
        f['vlan'] = str(struct.unpack('!H', fr[14:16])[0] & 0xfff)
        off = 16
        etype = struct.unpack('!H', fr[off:off + 2])[0]
    off += 2
    if etype == 0x0806:
        f['proto'] = 'arp'
    elif etype == 0x0800:
        ihl = (fr[off] & 15) * 4
        f['proto'] = {6: 'tcp', 17: 'udp'}.get(fr[off + 9], str(fr[off + 9]))
        f['nw_src'] = socket.inet_ntoa(fr[off + 12:off + 16])
        f['nw_dst'] = socket.inet_ntoa(fr[off + 16:off + 20])
        f['tp_dst'] = str(struct.unpack('!H', fr[off + ihl + 2:
                                                 off + ihl + 4])[0])
    return f


def main(argv):
    if argv[1] == 'make':
        frames = []
        for spec in argv[3:]:
            parts = spec.split(',')
            n, kind = int(parts[0]), parts[1]
            f = dict(p.split('=', 1) for p in parts[2:])
            frames += [frame(kind, f, len(frames) + i) for i in range(n)]
        write_pcap(argv[2], frames)
    elif argv[1] == 'count':
        print(len(read_pcap(argv[2])))
    elif argv[1] == 'expect':
        frames = read_pcap(argv[2])
        want = dict(p.split('=', 1) for p in argv[4:])
        if len(frames) != int(argv[3]):
            raise SystemExit('%s: %d frames, expected %s: %s' % (
                argv[2], len(frames), argv[3],
                [fields(fr) for fr in frames[:4]]))
        for fr in frames:
            got = fields(fr)
            for k, v in want.items():
                if got.get(k) != v:
                    raise SystemExit('%s: frame with %s=%s, expected %s (%s)'
                                     % (argv[2], k, got.get(k), v, got))
    else:
        raise SystemExit('usage: make|count|expect')


if __name__ == '__main__':
    main(sys.argv)
