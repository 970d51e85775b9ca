#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Spoofed traffic for the live tests, from raw sockets (root).

usage: spoof.py SERVER PORT flood N       N SYNs, each from a random source of
                                          198.19.128.0/17 with random options
                                          (a new TCP fingerprint each)
       spoof.py SERVER PORT hellos N      N connections from spoofed sources
                                          that never saw our SYN-ACK: a SYN
                                          then a real ClientHello acking a
                                          guess; and N ClientHellos with no
                                          SYN at all
Prints what it sent: "sent KIND N in S s (R packets/s)".
"""
import random
import socket
import ssl
import struct
import sys
import time

from scenario import fix_checksums


def packet(src, dst, sport, dport, seq, ack, flags, opts=b"", data=b"", ttl=64):
    opts += b"\0" * (-len(opts) % 4)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (5 + len(opts) // 4) << 4,
                      flags, 64240, 0, 0) + opts + data
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.getrandbits(16),
                               0x4000, ttl, 6, 0, socket.inet_aton(src),
                               socket.inet_aton(dst)) + tcp)
    fix_checksums(ip)
    return bytes(ip)


def random_opts(rnd):
    kinds = [struct.pack("!BBH", 2, 4, rnd.randrange(500, 1461)), b"\x04\x02",
             struct.pack("!BBB", 3, 3, rnd.randrange(15)), b"\x01",
             b"\x08\x0a" + struct.pack("!II", rnd.getrandbits(32), 0)]
    rnd.shuffle(kinds)
    return b"".join(kinds[:rnd.randrange(1, 6)])


def client_hello():
    """A real ClientHello record of a TLS stack no test client uses."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    ctx.set_ciphers("ECDHE-RSA-AES256-GCM-SHA384")
    ctx.set_alpn_protocols(["spoof/1"])
    out = ssl.MemoryBIO()
    obj = ctx.wrap_bio(ssl.MemoryBIO(), out, server_hostname="spoof.example")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def main():
    server, port, kind, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    rnd = random.Random(port)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)

    def src():
        return "198.19.%d.%d" % (128 + rnd.randrange(127), 1 + rnd.randrange(254))

    t0 = time.monotonic()
    if kind == "flood":
        for _ in range(n):
            s.sendto(packet(src(), server, rnd.randrange(1024, 65536), port,
                            rnd.getrandbits(32), 0, 0x02, random_opts(rnd),
                            ttl=rnd.choice((64, 128, 255))), (server, 0))
    else:
        hello = client_hello()
        for i in range(2 * n):
            a, sp, isn = src(), rnd.randrange(1024, 65536), rnd.getrandbits(32)
            if i < n:           # a SYN first: the SYN-ACK goes to the real owner
                s.sendto(packet(a, server, sp, port, isn, 0, 0x02,
                                b"\x02\x04\x05\xb4\x01\x03\x03\x07"), (server, 0))
            s.sendto(packet(a, server, sp, port, isn + 1, rnd.getrandbits(32), 0x18,
                            data=hello), (server, 0))
    dt = time.monotonic() - t0
    print("sent %s %d in %.1f s (%.0f packets/s)" % (kind, n, dt, (n if kind == "flood" else 3 * n) / dt))


if __name__ == "__main__":
    main()
