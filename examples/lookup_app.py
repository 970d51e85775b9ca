#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""An application behind nginx that asks hydrascope's lookup socket.

nginx terminates TLS and passes the client's side of the connection in a
header (docs/operations.md, "nginx in front of the application"):

    proxy_set_header X-Client-Conn $remote_addr:$remote_port;

For each request this app looks the connection up (its JA4 and TCP
signature), tags it with a keyed hash of the account (the X-Account
header here; your application knows its own) and answers both as JSON.
One JSON line per request goes to the log.

  lookup_app.py SOCKET HOST PORT LOG [HMAC_KEY_FILE]
"""
import hashlib
import hmac
import http.server
import json
import socket
import sys
import threading


class Lookup:
    """One connection to the lookup socket (per worker: here, per thread)."""

    def __init__(self, path):
        self.path = path
        self.local = threading.local()

    def ask(self, line):
        if not hasattr(self.local, "sock"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.path)
            self.local.sock, self.local.rd = s, s.makefile("rb")
        self.local.sock.sendall(line.encode() + b"\n")
        return json.loads(self.local.rd.readline())


def main():
    path, host, port, log = sys.argv[1:5]
    key = open(sys.argv[5], "rb").read() if len(sys.argv) > 5 else b"example key"
    lookup = Lookup(path)
    out, lock = open(log, "a", buffering=1), threading.Lock()

    def account_hash(account):
        return hmac.new(key, account.encode(), hashlib.sha256).digest()[:8].hex()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            conn = self.headers.get("X-Client-Conn", "")
            account = self.headers.get("X-Account")
            info = lookup.ask("lookup " + conn)
            res = {"conn": conn, "ja4": info.get("ja4"), "tcp_sig": info.get("tcp_sig"),
                   "error": info.get("error"), "account": account}
            if account and not info.get("error"):
                res["tagged"] = lookup.ask("tag %s %s" % (conn, account_hash(account)))
            body = json.dumps(res).encode() + b"\n"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            with lock:
                out.write(json.dumps(res) + "\n")

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer((host, int(port)), Handler)
    with lock:
        out.write(json.dumps({"listening": "%s:%s" % (host, port)}) + "\n")
    srv.serve_forever()


if __name__ == "__main__":
    main()
