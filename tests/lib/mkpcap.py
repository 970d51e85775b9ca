#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write small Ethernet pcaps of TCP SYNs for tests.

usage: mkpcap.py OUT.pcap [--count N] [--linktype N] [--frame-bytes N]
Sources are 198.18.x.y (one per SYN), destination 198.19.0.1:443, Linux-like
options (mss, sok, ts, nop, ws). --linktype writes that link type in the
header (to test unsupported ones); the frames stay Ethernet. --frame-bytes
pads each frame to N bytes (up to 262144, libpcap's limit) after the IP
packet.
"""
import argparse
import struct


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def syn(i):
    src = bytes([198, 18, (i >> 8) & 0xff, i & 0xff])
    dst = bytes([198, 19, 0, 1])
    opts = struct.pack("!BBH", 2, 4, 1460) + b"\x04\x02" + \
        struct.pack("!BBII", 8, 10, 1000 + i, 0) + b"\x01" + struct.pack("!BBB", 3, 3, 7)
    tcp = struct.pack("!HHIIBBHHH", 40000 + (i % 20000), 443, 1 + i, 0,
                      (20 + len(opts)) // 4 << 4, 0x02, 64240, 0, 0) + opts
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xffff, 0x4000,
                     64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x08\x00"
    return eth + ip + tcp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--linktype", type=int, default=1)
    ap.add_argument("--frame-bytes", type=int, default=0)
    a = ap.parse_args()
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0,
                            max(65535, a.frame_bytes), a.linktype))
        for i in range(a.count):
            p = syn(i)
            p += b"\0" * max(0, a.frame_bytes - len(p))
            f.write(struct.pack("<IIII", 1795430400 + i, 0, len(p), len(p)) + p)


if __name__ == "__main__":
    main()
