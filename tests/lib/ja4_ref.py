#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Reference JA4, JA4_r and JA3 of every TLS-over-TCP (or, with --quic,
QUIC) ClientHello in a capture, computed from tshark's dissection,
independently of hydrascope.

usage: ja4_ref.py [--ports LIST] [--all] [--quic] CAPTURE

tshark (4.0 or later) reassembles each ClientHello, however many TCP
segments it spans (in whatever order they came), and dissects it (`-T json -x`: the tree, with the raw
bytes of every field). From that tree this script computes JA4 and JA4_r
following the FoxIO JA4 specification (technical_details/JA4.md):

  JA4   = a "_" b "_" c
  a     = "t"                       TLS over TCP ("q": QUIC)
        + version                   highest non-GREASE supported_versions
                                    value, else the ClientHello's version:
                                    13 12 11 10 s3 s2 (d1 d2 d3), else 00
        + "d" | "i"                 server_name extension present or not
        + cipher count              2 digits, GREASE excluded, at most 99
        + extension count           2 digits, GREASE excluded, at most 99
        + ALPN                      first and last characters of the first
                                    ALPN value; "00" if none; the first and
                                    last hex digits of the value when its
                                    first or last byte is not [0-9A-Za-z]
  b     = sha256[:12] of the sorted, comma-joined 4-hex cipher suites
          ("000000000000" if none)
  c     = sha256[:12] of the sorted extensions without 0000 and 0010,
          comma-joined, then "_" and the signature algorithms in wire
          order when there are any ("000000000000" if that is empty)
  JA4_r = a "_" sorted ciphers "_" sorted extensions ["_" sig algs]

GREASE values (0x?a?a with equal bytes) are ignored everywhere, signature
algorithms included. Note: FoxIO's python reference prints "99" for the
ALPN part when the first ALPN byte is above 127; the specification (and
this script) prints hex digits.

JA3 and the JA3 string are tshark's own (tls.handshake.ja3,
tls.handshake.ja3_full).

Prints one JSON object per line: by default for the first ClientHello of
each TCP connection (tcp.stream), with --all for every ClientHello. Keys:
frame, stream, src, srcport, dst, dstport, segments (TCP segments the
hello's TLS record was reassembled from, 1 if one), ja4, ja4_r, ja3,
ja3_r, version, sni, alpn (the first ALPN value in hex, "" if none),
first_in_stream. --ports: TCP ports tshark should also decode as TLS
(tshark knows 443 already), or with --quic UDP ports to decode as QUIC.
Exit status 0, 1 when tshark fails.

--quic: the ClientHellos of QUIC Initials instead. tshark derives the
Initial keys from each Destination Connection ID, decrypts the Initials
and reassembles the CRYPTO frames of a connection however many Initials
they span and in whatever order; the hello is dissected in the packet
that completes it. A connection is the client's address and UDP port and
its hello's random (a Retry makes the client send the same hello again
with another DCID: one connection, two hellos, the first printed without
--all; a later connection from the same port, a new hello: another
connection), printed as client_random; time is the
packet's (frame.time_epoch: the one completing the hello); stream is
tshark's quic.connection.number; segments the Initials the hello's CRYPTO
frames came in (the frames of quic.crypto.fragment and
tls.handshake.fragment, 1 if none; after a Retry tshark takes the data of
either Destination Connection ID's Initials, so they may be more than the
client sent with one ID).

usage: ja4_ref.py --expect EXPECTED.json CAPTURE
       ja4_ref.py --expect-quic EXPECTED.jsonl DIR

Checks this reference against the expected values FoxIO's python reference
gives for a public capture (a list of connections with src, srcport,
dstport, JA4.1, JA4_r.1; only values for TLS over TCP, "t...", count):
prints one line per mismatch and a summary; exit status 1 on any mismatch
or missing connection. Where the first ALPN byte is above 127, FoxIO's
"99" is replaced by the specification's hex digits before comparing.
--expect-quic: the same for the QUIC connections of the public captures
in DIR (EXPECTED.jsonl: one object a line with pcap, src, sport, dport,
ja4), through --quic.
"""
import hashlib
import ipaddress
import json
import subprocess
import sys

VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
            0x0002: "s2", 0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3"}


def is_grease(v):
    """0x0a0a, 0x1a1a, ... 0xfafa: both bytes equal, low nibbles 0xa"""
    return (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)


# ---- the tshark JSON tree, kept as ordered (key, value) pairs ----------
# Without --no-duplicate-keys, tshark repeats a key for each occurrence of
# a field; object_pairs_hook keeps every one, in document order.

def pairs(node):
    return node if isinstance(node, list) and all(
        isinstance(p, tuple) and len(p) == 2 for p in node) else []


def children(node, key):
    """Values of KEY directly under NODE (repeated keys and lists flattened)."""
    out = []
    for k, v in pairs(node):
        if k == key:
            out.extend(v if isinstance(v, list) and not pairs(v) else [v])
    return out


def walk(node):
    """NODE and every object below it, depth first, in document order."""
    if pairs(node):
        yield node
        for _, v in node:
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


def raw_values(node, field):
    """Hex bytes of every FIELD below NODE, in document order (tshark -x adds
    FIELD_raw = [hex, offset, length, bitmask, type], or a list of them)."""
    out = []
    for obj in walk(node):
        for k, v in obj:
            if k != field + "_raw" or not isinstance(v, list):
                continue
            for r in (v if v and isinstance(v[0], list) else [v]):
                if r and isinstance(r[0], str):
                    out.append(r[0])
    return out


def first(node, key, default=""):
    for obj in walk(node):
        for k, v in obj:
            if k == key and isinstance(v, str):
                return v
    return default


# ---- one ClientHello -----------------------------------------------------

def u16(hexstr):
    return int(hexstr, 16)


def sha12(s):
    return hashlib.sha256(s.encode()).hexdigest()[:12] if s else "000000000000"


def alpn_code(raw):
    if not raw:
        return "00"
    a, b = raw[0], raw[-1]

    def alnum(c):
        return 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5a or 0x61 <= c <= 0x7a
    if alnum(a) and alnum(b):
        return chr(a) + chr(b)
    h = raw.hex()
    return h[0] + h[-1]


def hello(hs, proto="t"):
    """JA4 parts of one ClientHello handshake node (proto: "t" TCP, "q" QUIC)."""
    ciphers = [u16(h) for h in raw_values(children(hs, "tls.handshake.ciphersuites"),
                                          "tls.handshake.ciphersuite")]
    exts, sigalgs, versions, alpn = [], [], [], None
    sni = ""
    for k, v in pairs(hs):
        if not k.startswith("Extension:") or not pairs(v):
            continue
        t = [r for kk, r in v if kk == "tls.handshake.extension.type_raw"]
        if not t or not isinstance(t[0], list) or not t[0]:
            continue
        etype = u16(t[0][0])
        exts.append(etype)
        if etype == 0x000d:
            sigalgs = [u16(h) for h in raw_values(v, "tls.handshake.sig_hash_alg")]
        elif etype == 0x002b:
            versions = [u16(h) for h in raw_values(v, "tls.handshake.extensions.supported_version")]
        elif etype == 0x0010 and alpn is None:
            vals = raw_values(v, "tls.handshake.extensions_alpn_str")
            alpn = bytes.fromhex(vals[0]) if vals else b""
        elif etype == 0x0000 and not sni:
            sni = first(v, "tls.handshake.extensions_server_name")
    ciphers = [c for c in ciphers if not is_grease(c)]
    exts = [e for e in exts if not is_grease(e)]
    sigalgs = [s for s in sigalgs if not is_grease(s)]
    versions = [x for x in versions if not is_grease(x)]
    legacy = [v[0] for k, v in pairs(hs) if k == "tls.handshake.version_raw" and v]
    version = max(versions) if versions else (u16(legacy[0]) if legacy else 0)

    a = "%s%s%s%02d%02d%s" % (proto, VERSIONS.get(version, "00"), "d" if 0x0000 in exts else "i",
                             min(len(ciphers), 99), min(len(exts), 99), alpn_code(alpn or b""))
    cs = ",".join("%04x" % c for c in sorted(ciphers))
    es = ",".join("%04x" % e for e in sorted(exts) if e not in (0x0000, 0x0010))
    if sigalgs:
        es += "_" + ",".join("%04x" % s for s in sigalgs)
    return {
        "ja4": "%s_%s_%s" % (a, sha12(cs), sha12(es)),
        "ja4_r": "%s_%s_%s" % (a, cs, es),
        "ja3": first(hs, "tls.handshake.ja3"),
        "ja3_r": first(hs, "tls.handshake.ja3_full"),
        "version": "%04x" % version,
        "sni": sni,
        "alpn": (alpn or b"").hex(),
    }


# ---- the capture ---------------------------------------------------------

def layer(layers, name):
    """The innermost (last) layer NAME of a frame."""
    got = children(layers, name)
    return got[-1] if got else None


def segments(layers):
    """How many TCP segments the frame's reassembled PDU came from (1: none)."""
    for obj in walk(layers):
        for k, v in obj:
            if k == "tcp.segment.count" and isinstance(v, str):
                return int(v)
    return 1


def tshark_layers(cmd):
    """The layers of each frame tshark's JSON (CMD) prints."""
    out = subprocess.run(cmd, capture_output=True)
    if out.returncode != 0:
        raise RuntimeError("tshark failed (%d): %s" % (
            out.returncode, out.stderr.decode(errors="replace").strip()))
    text = out.stdout.decode("utf-8", errors="replace").strip()
    frames = json.loads(text, object_pairs_hook=list) if text else []
    return [children(children(f, "_source")[0], "layers")[0] for f in frames]


def hellos(capture, ports, every):
    """The ClientHellos of CAPTURE as dicts (see the module docstring)."""
    cmd = ["tshark", "-n", "-r", capture, "-Y", "tls.handshake.type == 1 && tcp",
           "-T", "json", "-x", "-o", "tcp.desegment_tcp_streams:TRUE",
           "-o", "tcp.reassemble_out_of_order:TRUE",
           "-o", "tls.desegment_ssl_records:TRUE"]
    for p in ports:
        cmd += ["-d", "tcp.port==%s,tls" % p]
    seen = set()
    for layers in tshark_layers(cmd):
        tcp, tls = layer(layers, "tcp"), children(layers, "tls")
        ip = layer(layers, "ip") or layer(layers, "ipv6")
        if tcp is None or ip is None or not tls:
            continue
        v6 = layer(layers, "ip") is None
        src = first(ip, "ipv6.src" if v6 else "ip.src")
        dst = first(ip, "ipv6.dst" if v6 else "ip.dst")
        stream = first(tcp, "tcp.stream")
        for hs in (o for o in walk(tls) if ("tls.handshake.type", "1") in o):
            is_first = stream not in seen
            seen.add(stream)
            if not is_first and not every:
                continue
            rec = {"frame": int(first(layers, "frame.number", "0")), "stream": int(stream),
                   "src": src, "srcport": int(first(tcp, "tcp.srcport")),
                   "dst": dst, "dstport": int(first(tcp, "tcp.dstport")),
                   "segments": segments(layers)}
            rec.update(hello(hs))
            rec["first_in_stream"] = is_first
            yield rec


def quic_hellos(capture, ports, every):
    """The ClientHellos of the QUIC Initials of CAPTURE (see the docstring)."""
    cmd = ["tshark", "-n", "-r", capture, "-Y", "quic && tls.handshake.type == 1",
           "-T", "json", "-x"]
    for p in ports:
        cmd += ["-d", "udp.port==%s,quic" % p]
    seen = set()
    for layers in tshark_layers(cmd):
        udp = layer(layers, "udp")
        ip = layer(layers, "ip") or layer(layers, "ipv6")
        if udp is None or ip is None:
            continue
        v6 = layer(layers, "ip") is None
        src = ipaddress.ip_address(first(ip, "ipv6.src" if v6 else "ip.src")).compressed
        dst = ipaddress.ip_address(first(ip, "ipv6.dst" if v6 else "ip.dst")).compressed
        sport = int(first(udp, "udp.srcport"))
        # every tls tree below the QUIC layers (a coalesced packet has its own)
        for tls in (v for q in children(layers, "quic") for o in walk(q)
                    for k, v in o if k == "tls"):
            for hs in (o for o in walk(tls) if ("tls.handshake.type", "1") in o):
                rnd = first(hs, "tls.handshake.random")
                key = (src, sport, rnd)
                is_first = key not in seen
                seen.add(key)
                if not is_first and not every:
                    continue
                # the frames tshark took the hello's CRYPTO data from
                frames_of = {int(v) for q in children(layers, "quic") for o in walk(q)
                             for k, v in o if k in ("quic.crypto.fragment",
                                                    "tls.handshake.fragment")
                             and isinstance(v, str)}
                rec = {"frame": int(first(layers, "frame.number", "0")),
                       "time": float(first(layers, "frame.time_epoch", "0")),
                       "stream": int(first(layers, "quic.connection.number", "-1")),
                       "src": src, "srcport": sport, "dst": dst,
                       "dstport": int(first(udp, "udp.dstport")),
                       "segments": max(1, len(frames_of))}
                rec.update(hello(hs, "q"))
                rec["client_random"] = rnd
                rec["first_in_stream"] = is_first
                yield rec


def expect_quic(expected, folder):
    """Compare --quic with expected-quic.jsonl for the captures in FOLDER."""
    want = {}
    for line in open(expected):
        if line.strip():
            e = json.loads(line)
            want.setdefault(e["pcap"], []).append(e)
    bad = total = 0
    for pcap, conns in sorted(want.items()):
        got = {}
        for r in quic_hellos("%s/%s" % (folder, pcap), [], False):
            got.setdefault((r["src"], r["srcport"], r["dstport"]), r["ja4"])
        n = 0
        for c in conns:
            total += 1
            key = (ipaddress.ip_address(c["src"]).compressed, int(c["sport"]), int(c["dport"]))
            if key not in got:
                print("MISSING %s %s port %d: expected %s" % (pcap, key[0], key[1], c["ja4"]))
            elif got[key] != c["ja4"]:
                print("MISMATCH %s %s port %d: expected %s, got %s" % (
                    pcap, key[0], key[1], c["ja4"], got[key]))
            else:
                n += 1
        bad += len(conns) - n
        print("%s: %d of %d QUIC JA4 equal the expected values" % (pcap, n, len(conns)))
    print("quic: %d of %d QUIC JA4 equal the expected values" % (total - bad, total))
    return 1 if bad or not total else 0


def expect(capture, expected):
    """Compare with FoxIO's expected-python JSON; 0 if all match."""
    want = [c for c in json.load(open(expected)) if str(c.get("JA4.1", "")).startswith("t")]
    ports = sorted({str(c["dstport"]) for c in want} - {"443"})
    got = {}
    for r in hellos(capture, ports, False):
        got.setdefault((ipaddress.ip_address(r["src"]).compressed, r["srcport"]), r)
    bad = 0
    for c in want:
        key = (ipaddress.ip_address(c["src"]).compressed, int(c["srcport"]))
        r = got.get(key)
        if r is None:
            bad += 1
            print("MISSING %s port %d: expected %s" % (key[0], key[1], c["JA4.1"]))
            continue
        ja4, ja4_r = c["JA4.1"], c["JA4_r.1"]
        if ja4[8:10] == "99" and r["alpn"][:2] >= "80":
            code = r["ja4"][8:10]
            print("note: %s port %d: first ALPN byte 0x%s > 0x7f: FoxIO's python says 99, "
                  "the specification %s" % (key[0], key[1], r["alpn"][:2], code))
            ja4, ja4_r = ja4[:8] + code + ja4[10:], ja4_r[:8] + code + ja4_r[10:]
        if (r["ja4"], r["ja4_r"]) != (ja4, ja4_r):
            bad += 1
            print("MISMATCH %s port %d:\n  expected %s\n           %s\n  got      %s\n"
                  "           %s" % (key[0], key[1], ja4, ja4_r, r["ja4"], r["ja4_r"]))
    print("%s: %d of %d JA4 and JA4_r equal FoxIO's expected values" % (
        capture.split("/")[-1], len(want) - bad, len(want)))
    return 1 if bad or not want else 0


def main(argv):
    ports, every, args, expected, quic, expected_quic = [], False, [], None, False, None
    i = 0
    while i < len(argv):
        if argv[i] == "--ports" and i + 1 < len(argv):
            ports += [p for p in argv[i + 1].split(",") if p]
            i += 1
        elif argv[i] == "--expect" and i + 1 < len(argv):
            expected = argv[i + 1]
            i += 1
        elif argv[i] == "--expect-quic" and i + 1 < len(argv):
            expected_quic = argv[i + 1]
            i += 1
        elif argv[i] == "--all":
            every = True
        elif argv[i] == "--quic":
            quic = True
        else:
            args.append(argv[i])
        i += 1
    if len(args) != 1:
        print("usage: ja4_ref.py [--ports LIST] [--all] [--quic] CAPTURE\n"
              "       ja4_ref.py --expect EXPECTED.json CAPTURE\n"
              "       ja4_ref.py --expect-quic EXPECTED.jsonl DIR", file=sys.stderr)
        return 2
    try:
        if expected:
            return expect(args[0], expected)
        if expected_quic:
            return expect_quic(expected_quic, args[0])
        for rec in (quic_hellos if quic else hellos)(args[0], ports, every):
            print(json.dumps(rec))
    except RuntimeError as e:
        print("ja4_ref.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
