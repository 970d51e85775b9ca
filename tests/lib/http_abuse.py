#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Hostile HTTP clients for tests/live/t_exporter_load_live.sh.

usage: http_abuse.py probe HOST PORT
         one line per malformed or oversized request: NAME STATUS, the
         status the server answered, 'closed' when it closed without one,
         'open' when it neither answered nor closed within 5 s
       http_abuse.py hold HOST PORT N ADDRS TIMEOUT SECONDS PID
         N connections that send half a request line and no more, spread
         over source addresses 127.0.1.1..127.0.1.ADDRS, plus one from
         127.0.2.1 trickling a header a byte a second; once all are open,
         watches them for SECONDS and prints, with TIMEOUT the server's:
           opened N in S s      how long opening them took
           early E              closed by the server before TIMEOUT - 0.5 s
           late L MAX_S         closed later; the last MAX_S after it opened
           open O               not closed by the server at all
           trickle T_S          the trickler closed after T_S (or 'open')
           server_fds F         /proc/PID/fd entries at the end, while
                                every client socket here is still open
"""
import os
import selectors
import socket
import sys
import time


def status_of(data):
    if data.startswith(b"HTTP/1.") and len(data) >= 12:
        return data[9:12].decode("ascii", "replace")
    return "closed" if not data else "garbled"


def probe_one(host, port, data):
    s = socket.create_connection((host, port), timeout=5)
    try:
        try:
            s.sendall(data)
        except OSError:
            pass       # refused mid-way: what it answered still counts
        got = b""
        try:
            while b"\r\n" not in got:
                d = s.recv(4096)
                if not d:
                    break
                got += d
        except socket.timeout:
            return "open"
        except OSError:
            pass       # reset after the answer
        return status_of(got)
    finally:
        s.close()


def probe(host, port):
    big = b"a" * 100000
    cases = [
        ("header_100k", b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + big + b"\r\n\r\n"),
        ("url_100k", b"GET /" + big + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("headers_20000", b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 20000 + b"\r\n"),
        ("garbage", bytes(range(256)) * 8 + b"\r\n\r\n"),
        ("http_0.9", b"GET /metrics\r\n\r\n"),
        ("version_9.9", b"GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n"),
        ("method_FOO", b"FOO /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("post_100k_body", b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + big),
        ("content_length_absurd", b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
         b"Content-Length: 99999999999999999999999\r\n\r\n" + big),
        ("content_length_1g", b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n" + big),
        ("content_length_negative", b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"),
        ("chunked_body", b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"ffffffff\r\n" + big),
        ("nul_in_url", b"GET /met\0rics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        ("head", b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        ("get", b"GET /metrics HTTP/1.0\r\n\r\n"),
    ]
    for name, data in cases:
        print(name, probe_one(host, port, data), flush=True)


def hold(host, port, n, addrs, timeout, seconds, pid):
    sel = selectors.DefaultSelector()
    opened = {}
    t0 = time.monotonic()
    for i in range(n):
        s = socket.socket()
        s.bind(("127.0.1.%d" % (i % addrs + 1), 0))
        s.settimeout(5)
        s.connect((host, port))
        s.sendall(b"GET /metr")
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, "held")
        opened[s] = time.monotonic()
    trickle = socket.socket()
    trickle.bind(("127.0.2.1", 0))
    trickle.connect((host, port))
    trickle.setblocking(False)
    sel.register(trickle, selectors.EVENT_READ, "trickle")
    opened[trickle] = time.monotonic()
    print("opened %d in %.1f s" % (n + 1, time.monotonic() - t0), flush=True)
    closed, trickle_s = {}, None
    header = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
    sent, next_byte = 0, time.monotonic()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        now = time.monotonic()
        if trickle_s is None and now >= next_byte and sent < len(header):
            try:
                trickle.send(header[sent:sent + 1])
                sent += 1
            except OSError:
                pass
            next_byte += 1
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            try:
                d = s.recv(4096)
            except OSError:
                d = b""
            if d:
                continue
            sel.unregister(s)
            if key.data == "trickle":
                trickle_s = time.monotonic() - opened[s]
            else:
                closed[s] = time.monotonic() - opened[s]
    late = [t for t in closed.values() if t >= timeout - 0.5]
    print("early %d" % (len(closed) - len(late)))
    print("late %d %.1f" % (len(late), max(late) if late else 0))
    print("open %d" % (n - len(closed)))
    print("trickle %s" % ("%.1f" % trickle_s if trickle_s is not None else "open"))
    print("server_fds %d" % len(os.listdir("/proc/%d/fd" % pid)), flush=True)
    for s in opened:
        s.close()


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "probe":
        probe(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 9 and sys.argv[1] == "hold":
        hold(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
             float(sys.argv[6]), float(sys.argv[7]), int(sys.argv[8]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
