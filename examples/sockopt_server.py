#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""An HTTPS API server that asks hydrascope about each connection.

Run it in the cgroup given to `hydrascope run --sockopt-cgroup`. For each
request it reads the client's JA4 and TCP signature from its socket, tags
the connection with a keyed hash of the account (the X-Account header
here; your application knows its own), and answers them as JSON. One JSON
line per connection goes to the log.

  sockopt_server.py CERT KEY HOST PORT LOG [HMAC_KEY_FILE]
"""
import errno
import hashlib
import hmac
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time

# hydrascope/sockopt.h
SOL_HYDRASCOPE = 0x4853
HS_OPT_FP, HS_OPT_JA4, HS_OPT_TCP_SIG, HS_OPT_ACCOUNT = 1, 2, 3, 4
HS_OPT_STR_MAX = 256
FP = struct.Struct("=HHIQQQQQ")   # struct hs_conn_fp, version 1


def fingerprint(sock, tries=50):
    """The connection's fingerprint: a dict, values None where unknown.
    EAGAIN (a fingerprint seen for the first time, its name not rendered
    yet) is asked again, for up to a quarter of a second."""
    fp = {"ja4": None, "tcp_sig": None, "flags": None, "error": None}
    try:
        raw = sock.getsockopt(SOL_HYDRASCOPE, HS_OPT_FP, FP.size)
        _, _, flags, tcp_id, stack_id, tls_id, _, _ = FP.unpack(raw)
        fp.update(flags=flags, tcp_id="%016x" % tcp_id, stack_id="%016x" % stack_id,
                  tls_id="%016x" % tls_id)
        fp["ja4"] = sock.getsockopt(SOL_HYDRASCOPE, HS_OPT_JA4,
                                    HS_OPT_STR_MAX).rstrip(b"\0").decode()
        fp["tcp_sig"] = sock.getsockopt(SOL_HYDRASCOPE, HS_OPT_TCP_SIG,
                                        HS_OPT_STR_MAX).rstrip(b"\0").decode()
    except OSError as e:      # ENOENT: no record; EAGAIN: name not rendered yet
        if e.errno == errno.EAGAIN and tries > 1:
            time.sleep(0.005)
            return fingerprint(sock, tries - 1)
        fp["error"] = os.strerror(e.errno)
    return fp


def tag(sock, account, key):
    """Tag the connection with a keyed 64-bit hash of the account."""
    h = hmac.new(key, account.encode(), hashlib.sha256).digest()[:8]
    sock.setsockopt(SOL_HYDRASCOPE, HS_OPT_ACCOUNT, h)


def serve(ctx, conn, peer, key, note):
    conn.settimeout(10)
    try:
        with ctx.wrap_socket(conn, server_side=True) as s:
            req = b""
            while b"\r\n\r\n" not in req and len(req) < 65536:
                d = s.recv(4096)
                if not d:
                    break
                req += d
            fp = fingerprint(s)
            account = None
            for line in req.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"x-account":
                    account = value.strip().decode()
            if account:
                try:
                    tag(s, account, key)
                    fp["tagged"] = True
                except OSError as e:
                    fp["tagged"] = os.strerror(e.errno)
            body = json.dumps(fp).encode() + b"\n"
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
            note(dict(fp, peer="%s:%d" % peer[:2], account=account))
    except (OSError, ssl.SSLError) as e:
        note({"peer": "%s:%d" % peer[:2], "fail": str(e)})


def main():
    cert, keyfile, host, port, log = sys.argv[1:6]
    key = open(sys.argv[6], "rb").read() if len(sys.argv) > 6 else b"example key"
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, keyfile)
    out, lock = open(log, "a", buffering=1), threading.Lock()

    def note(o):
        with lock:
            out.write(json.dumps(o) + "\n")

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(port)))
    ls.listen(512)
    note({"listening": "%s:%s" % (host, port)})
    while True:
        conn, peer = ls.accept()
        threading.Thread(target=serve, args=(ctx, conn, peer, key, note), daemon=True).start()


if __name__ == "__main__":
    main()
