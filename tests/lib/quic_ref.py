#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The ClientHello of every QUIC connection in a capture as tshark decrypts
and reassembles it, independently of hydrascope.

usage: quic_ref.py CAPTURE

tshark (4.0 or later) derives the Initial keys, removes header protection,
decrypts each Initial and reassembles the CRYPTO frames of a connection
across packets; `-T json -x` gives the raw bytes of every field it
dissects. In the packet that completes a ClientHello, one of the
tls.handshake_raw values is the whole handshake message: type 1 and as
many bytes as its 3-byte length says, plus 4 (tshark also lists the parts
it saw on the way; those are shorter), whose own lengths add up; one that
does not is left out and said on stderr.

Prints one line per connection (the client's address and UDP port), for
its first complete ClientHello in frame order: "SRC SPORT HEX". Exit
status 0, 1 when tshark fails.
"""
import json
import subprocess
import sys


def raws(node, out):
    """Every tls.handshake_raw hex string below node."""
    if isinstance(node, dict):
        for key, val in node.items():
            if key == "tls.handshake_raw":
                flat(val, out)
            else:
                raws(val, out)
    elif isinstance(node, list):
        for val in node:
            raws(val, out)


def flat(val, out):
    # a raw field is [hex, offset, length, bitmask, type]; duplicates of
    # the key make a list of them
    if isinstance(val, list) and val and isinstance(val[0], str):
        out.append(val[0])
    elif isinstance(val, list):
        for v in val:
            flat(v, out)
    elif isinstance(val, str):
        out.append(val)


def well_formed(b):
    """Do the ClientHello message b's own lengths (session ID, cipher
    suites, compression methods, extensions, each extension) add up to
    its end, exactly?"""
    def vec(p, size):
        if p + size > len(b):
            return None
        return p + size + int.from_bytes(b[p:p + size], "big")
    p = 4 + 2 + 32
    for size in (1, 2, 1):
        p = vec(p, size) if p is not None else None
    if p is None or p + 2 > len(b) or vec(p, 2) != len(b):
        return False
    p += 2
    while p is not None and p + 4 <= len(b):
        p = vec(p + 2, 2)
    return p == len(b)


def whole_hello(hexes):
    """The first whole ClientHello message of hexes: type 1, as many bytes
    as its length says, and well formed: a reassembly gone wrong (CRYPTO
    frames sent out of order, as Chromium does) can give one of the right
    length whose contents are not the client's. Also how many of the right
    length were not well formed."""
    bad = 0
    for h in hexes:
        if len(h) >= 8 and h.startswith("01") and len(h) // 2 == 4 + int(h[2:8], 16):
            if well_formed(bytes.fromhex(h)):
                return h, bad
            bad += 1
    return None, bad


def last(v):
    return v[-1] if isinstance(v, list) else v


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    cmd = ["tshark", "-n", "-r", sys.argv[1], "-Y", "quic && tls.handshake.type == 1",
           "-T", "json", "-x", "--no-duplicate-keys", "-J", "ip ipv6 udp quic tls"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print("tshark failed (%d): %s" % (r.returncode, r.stderr.strip()), file=sys.stderr)
        return 1
    seen = set()
    for pkt in json.loads(r.stdout or "[]"):
        layers = pkt["_source"]["layers"]
        ip = last(layers.get("ipv6") or layers.get("ip") or {})
        src = ip.get("ipv6.src") or ip.get("ip.src")
        sport = last(layers.get("udp", {})).get("udp.srcport")
        hexes = []
        raws(layers.get("quic", {}), hexes)
        hello, bad = whole_hello(hexes)
        if bad and src and sport:
            print("quic_ref.py: %s %s: %d ClientHello(s) of the right length but not well "
                  "formed, left out" % (src, sport, bad), file=sys.stderr)
        if not src or not sport or not hello or (src, sport) in seen:
            continue
        seen.add((src, sport))
        print(src, sport, hello)
    return 0


if __name__ == "__main__":
    sys.exit(main())
