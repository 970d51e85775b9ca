#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check hydrascope's JA4 (and JA3) against expected values for a capture.

usage: ja4_compare.py HYDRASCOPE CAPTURE EXPECTED.json [--tshark]
Runs `HYDRASCOPE replay --events -j --handshake none --ports P,...` with
the capture's TLS destination ports (several captures start mid-connection), then compares per client (src, srcport) the ja4 and
ja4_r of its first ClientHello with the expected JA4.1 / JA4_r.1 (values
starting with "t": TLS over TCP). With --tshark, also compares ja3 with
`tshark -e tls.handshake.ja3` per client. Prints a summary line; exits
non-zero on any mismatch.
"""
import ipaddress
import json
import subprocess
import sys

import refcache


def norm(addr):
    return ipaddress.ip_address(addr).compressed


def spec_alpn(alpn):
    """JA4's ALPN code from our event's alpn text (\\xNN for non-printables)."""
    raw = alpn.encode().decode("unicode_escape").encode("latin-1")
    if not raw:
        return "00"
    a, b = chr(raw[0]), chr(raw[-1])
    if a.isascii() and a.isalnum() and b.isascii() and b.isalnum():
        return a + b
    h = raw.hex()
    return h[0] + h[-1]


def expected_per_spec(c, e):
    """The python reference prints "99" for a first ALPN byte above 127; the
    JA4 specification (which we follow) prints hex characters instead."""
    ja4, ja4_r = c["JA4.1"], c["JA4_r.1"]
    if ja4[8:10] == "99" and e["alpn"].startswith("\\x"):
        code = spec_alpn(e["alpn"])
        print("note: %s:%s first ALPN byte > 127: python reference says 99, the spec %s" %
              (c["src"], c["srcport"], code))
        ja4, ja4_r = ja4[:8] + code + ja4[10:], ja4_r[:8] + code + ja4_r[10:]
    return ja4, ja4_r


def main():
    hs, capture, expected = sys.argv[1:4]
    use_tshark = "--tshark" in sys.argv[4:]
    want = [c for c in json.load(open(expected)) if str(c.get("JA4.1", "")).startswith("t")]
    ports = sorted({int(c["dstport"]) for c in want}) or [443]
    if len(ports) > 8:
        print("too many ports: %s" % ports)
        return 2
    out = subprocess.run([hs, "replay", "--events", "-j", "--handshake", "none", "--ports",
                          ",".join(map(str, ports)), capture],
                         capture_output=True, text=True)
    if out.returncode not in (0, 4):
        print("replay failed (%d): %s" % (out.returncode, out.stderr.strip()))
        return 1
    got = {}
    for line in out.stdout.splitlines():
        e = json.loads(line)
        if e["event"] == "tls_hello":
            got.setdefault((norm(e["src"]), e["sport"]), e)
    bad = 0
    for c in want:
        key = (norm(c["src"]), int(c["srcport"]))
        e = got.get(key)
        if not e:
            bad += 1
            print("MISSING %s:%s expected %s" % (key[0], key[1], c["JA4.1"]))
        elif (e["ja4"], e["ja4_r"]) != expected_per_spec(c, e):
            bad += 1
            print("MISMATCH %s:%s\n  expected %s\n           %s\n  got      %s\n           %s" %
                  (key[0], key[1], c["JA4.1"], c["JA4_r.1"], e["ja4"], e["ja4_r"]))
    ja3_checked = ja3_bad = 0
    if use_tshark:
        _, tshark = refcache.cached_output(capture, [
            "tshark", "-n", "-r", capture, "-Y", "tls.handshake.type == 1", "-T", "fields",
            "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
            "-e", "tls.handshake.ja3", "-e", "tls.handshake.ja3_full"])
        seen = set()
        for line in tshark.splitlines():
            f = line.split("\t")
            if len(f) < 5 or not f[3] or not f[2]:
                continue
            key = (norm((f[0] or f[1]).split(",")[0]), int(f[2]))
            if key in seen or key not in got:
                continue
            seen.add(key)
            ja3_checked += 1
            if got[key]["ja3"] != f[3].split(",")[0]:
                ja3_bad += 1
                print("JA3 MISMATCH %s:%s tshark %s (%s) got %s (%s)" %
                      (key[0], key[1], f[3], f[4], got[key]["ja3"], got[key]["ja3_r"]))
    print("%s: %d/%d JA4 match, %d/%d JA3 match tshark" %
          (capture.split("/")[-1], len(want) - bad, len(want), ja3_checked - ja3_bad, ja3_checked))
    return 1 if bad or ja3_bad else 0


if __name__ == "__main__":
    sys.exit(main())
