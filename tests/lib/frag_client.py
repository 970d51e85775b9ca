#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A TLS client that cuts its ClientHello as evasive proxy clients do (root).

usage: frag_client.py HOST PORT SNI RECORDS SEGMENTS ORDER

python3's ssl (OpenSSL) makes the handshake through memory BIOs; the
ClientHello it writes is sent as RECORDS TLS records (the handshake message
cut at equal parts, the first cut 2 bytes in: inside the handshake length),
in SEGMENTS TCP segments (TCP_NODELAY, one write each). ORDER "reversed"
sends segments SEGMENTS..2 first from a raw socket, with the connection's
own sequence numbers (read with TCP_REPAIR), so they arrive out of order;
the kernel then sends every segment in order (the server's TCP takes the
early ones as duplicates), and the handshake goes on as usual. RECORDS 0:
ssl's own socket wrapper, nothing cut (the unfragmented client). Then an
HTTP GET; prints "ok VERSION STATUS-LINE", exits 0.
"""
import socket
import ssl
import struct
import sys
import time

from spoof import packet

TCP_REPAIR, TCP_REPAIR_QUEUE, TCP_QUEUE_SEQ = 19, 20, 21
TCP_RECV_QUEUE, TCP_SEND_QUEUE = 1, 2


def context():
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    return ctx


def records(rec, n):
    """The one-record hello rec as n records."""
    msg = rec[5:]
    cuts = [2] + [len(msg) * i // n for i in range(2, n)] if n > 1 else []
    out, start = b"", 0
    for c in cuts + [len(msg)]:
        out += rec[:3] + struct.pack("!H", c - start) + msg[start:c]
        start = c
    return out


def seqs(s):
    """The connection's next sequence numbers: to send, to receive."""
    s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
    try:
        s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE)
        snd = s.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ)
        s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE)
        rcv = s.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ)
    finally:
        s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 0)
    return snd & 0xffffffff, rcv & 0xffffffff


def send_hello(s, stream, nseg, order):
    cuts = [len(stream) * i // nseg for i in range(nseg + 1)]
    segs = [(cuts[i], stream[cuts[i]:cuts[i + 1]]) for i in range(nseg)]
    if order == "reversed" and nseg > 1:
        snd, rcv = seqs(s)
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        raw.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
        (src, sport), (dst, dport) = s.getsockname(), s.getpeername()
        for off, data in reversed(segs[1:]):
            raw.sendto(packet(src, dst, sport, dport, (snd + off) & 0xffffffff, rcv, 0x18,
                              data=data), (dst, 0))
            time.sleep(0.01)
        raw.close()
    for _, data in segs:
        s.sendall(data)
        time.sleep(0.01)


def main():
    host, port, sni = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    nrec, nseg, order = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    req = b"GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % sni.encode()
    s = socket.create_connection((host, port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if nrec == 0:
        t = context().wrap_socket(s, server_hostname=sni)
        version = t.version()
        t.sendall(req)
        data = b""
        while True:
            d = t.recv(4096)
            if not d:
                break
            data += d
        print("ok", version, data.split(b"\r\n", 1)[0].decode())
        return
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    t = context().wrap_bio(inc, out, server_hostname=sni)
    try:
        t.do_handshake()
    except ssl.SSLWantReadError:
        pass
    send_hello(s, records(out.read(), nrec), nseg, order)
    while True:
        try:
            t.do_handshake()
            break
        except ssl.SSLWantReadError:
            pending = out.read()
            if pending:
                s.sendall(pending)
            d = s.recv(16384)
            if not d:
                raise SystemExit("the server closed during the handshake")
            inc.write(d)
    s.sendall(out.read())
    version = t.version()
    t.write(req)
    s.sendall(out.read())
    data = b""
    while True:
        try:
            data += t.read(4096)
        except ssl.SSLWantReadError:
            d = s.recv(16384)
            if not d:
                break
            inc.write(d)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            break
    print("ok", version, data.split(b"\r\n", 1)[0].decode())


if __name__ == "__main__":
    main()
