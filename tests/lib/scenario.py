#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seeded scenario generator: a pcap of a realistic mix of TLS clients
reaching one API server, with or without a hydra, plus its ground truth.

usage: scenario.py --out FILE.pcap [--seed N] [--minutes M] [--scale F]
                   [--hydra-ips N] [--hydra-start MIN] [--hydra-rate LO-HI]
                   [--hydra-dwell MIN] [--hydra-client NAME]
                   [--hydra-baseline N] [--no-hydra] [--legit-ips N]
                   [--popular-ips N] [--popular-client NAME] [--sdk-ips N]
                   [--sdk-client NAME] [--start-epoch S] [--templates DIR] [-q]
       scenario.py --list-templates [--templates DIR]

The default (60 minutes, about 144,000 connections, 183 MB) takes about
8 s. The stacks are all Linux kernels, tuned by sysctl to look like other
systems (TTL 128 and 65535,8 windows, no timestamps...); real Windows or
macOS option layouts are not among them.

Every packet is rewritten from real captures of real clients in the netns
test bed (tests/data/templates/, made by tests/tools/mktemplates.sh): for each TLS
client (curl, openssl s_client, gnutls-cli, python3 ssl, node, wget,
headless chromium) one connection from each of 14 differently tuned Linux
TCP stacks: its SYN, the ACK that completes the handshake, and its
ClientHello segment(s) exactly as they were on the wire. A generated
connection is one such template with a new source address and port, new
sequence numbers (client and server ISN), IP IDs, TCP timestamps, a TTL
lowered by the source's hop distance, a fresh client random, session id
and key shares, and correct checksums. Only client-to-server packets are
written (what hydrascope sees on the server's ingress); all go to
198.18.0.2 port 443 in Ethernet frames with microsecond timestamps, in
time order.

Populations (addresses from 198.18.0.0/15, 511 /24 networks after the
server's; every address belongs to one population only; each population
draws from its own random stream, and so does each connection, so
--no-hydra or other hydra options leave the legitimate packets byte for
byte the same):

  legit    400 IPs, each with one TCP stack and one or two of curl, wget,
           openssl, node (and a few python3/chromium users; never the
           hydra's client), active the whole capture at a steady per-IP
           rate (median 0.4 conn/min).
  popular  12,000 IPs of headless chromium, on the four stacks a browser
           population has (Windows-, macOS-, Linux-, Android-like), each
           IP one browsing session (mean 5 min, opening with a
           connection, then a median 0.6 conn/min); session starts are
           uniform over time, so the population is steady (about 600 IPs
           in each minute). Networks Zipf-weighted, as users cluster in
           ISPs.
  sdk      2,000 IPs of python3's ssl module (the API's SDK), servers on
           three Linux stacks in 48 cloud /24s, active the whole capture
           (median 0.15 conn/min).
  hydra    --hydra-ips (3,000) IPs of one client (--hydra-client,
           gnutls-cli), spread over as many /24s as possible, on all 14
           TCP stacks; starts at --hydra-start (default a third into the
           capture: minute 20 of 60) and runs to the end; each IP is used
           for --hydra-dwell (10) minutes, with --hydra-rate (1-3)
           connections in each minute window it is used in. Sources that
           were in use before the start are all cut to the start, so the
           hydra is at full width from its first minute (about ips * dwell
           / (minutes - start + dwell) IPs per minute: 650 by default).

--scale F multiplies the legitimate populations' IP counts (0.1 gives a
pcap of about a tenth of their traffic); the hydra keeps --hydra-ips.
--hydra-baseline N adds N legitimate IPs using the hydra's client, steady
over the whole capture (the hydra's JA4 then has a baseline instead of
being new); not scaled by --scale.

Issue 14's cases (all off by default; each from its own random stream):
--hydra-aligned starts exits at minute boundaries, the same number new in
every window; --hydra-growth N is the slow hydra (N new IPs each minute,
kept to the end at --hydra-persist-rate conn/min); --sdk-rate and
--sdk-churn F (the SDK's IPs replaced at F per hour, the newcomers half in
its cloud /24s, half elsewhere); --release-ips N (app users, residential
/24s and browser-like stacks, moving from --release-from to --release-to
over --release-minutes from --release-start); --mobile-users N (a new
address every --mobile-change minutes on average, from a carrier pool of
--mobile-nets /24s, addresses recycled between users); --cgnat-users N
(behind --cgnat-ips addresses from --cgnat-start, 40% SDK, 60% browser).
The legit population leaves out the release's and mobile clients. The
hydra's truth adds per minute its novel IPs, /24s and most connections
of one IP, and whether its JA4 is shared with legitimate users.

The ground truth goes to FILE.json next to the pcap (FILE.pcap ->
FILE.json): the hydra's JA4, client, start, IPs, networks, TCP stacks and
connections; the legitimate JA4s; per JA4 the same counts over the whole
capture and per minute window (conns, ips, nets). "tcp_stacks" counts
distinct SYN shapes with the TTL taken as its initial value (hop distance
left out), which is what hydrascope's tcp_sigs per TLS fingerprint
estimates. JA4 and JA3 are computed here from the ClientHello bytes
(FoxIO's JA4 specification, as tests/lib/ja4_ref.py does from tshark).

--list-templates prints each template client's JA4, ClientHello size and
segment counts, and the TCP stacks with their p0f signatures.
"""
import argparse
import hashlib
import heapq
import json
import math
import os
import random
import struct
import sys
import time

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "templates")
SERVER = bytes([198, 18, 0, 2])
SERVER_PORT = 443
ETH_DST = bytes.fromhex("020000000002")      # the server's NIC
ETH_SRC = bytes.fromhex("020000000001")      # the upstream router
START_EPOCH = 1767225600                     # 2026-01-01T00:00:00Z, a minute boundary

# ---- pcap ----------------------------------------------------------------


def read_pcap(path):
    """(linktype, [(ts_us, frame), ...]) of a classic pcap (us or ns)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError("%s: not a classic pcap file" % path)
    nsec = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0xffff
    hdr = struct.Struct(end + "IIII")
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = hdr.unpack_from(data, off)
        off += 16
        out.append((sec * 1000000 + (frac // 1000 if nsec else frac), data[off:off + incl]))
        off += incl
    return linktype, out


class PcapWriter:
    """Classic pcap, Ethernet, microsecond timestamps, buffered."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        self.buf, self.nbuf, self.packets, self.bytes = [], 0, 0, 24
        self.hdr = struct.Struct("<IIII")

    def write(self, ts_us, frame):
        n = len(frame)
        self.buf.append(self.hdr.pack(ts_us // 1000000, ts_us % 1000000, n, n))
        self.buf.append(frame)
        self.packets += 1
        self.bytes += 16 + n
        self.nbuf += 1
        if self.nbuf >= 8192:
            self.flush()

    def flush(self):
        self.f.write(b"".join(self.buf))
        self.buf, self.nbuf = [], 0

    def close(self):
        self.flush()
        self.f.close()


# ---- checksums -------------------------------------------------------------
# The one's-complement sum of big-endian 16-bit words equals the whole
# byte string read as one big integer, modulo 0xffff (2^16 = 1 mod 0xffff);
# a non-zero sum that is a multiple of 0xffff folds to 0xffff.

def csum(b):
    if len(b) & 1:
        b = bytes(b) + b"\0"
    x = int.from_bytes(b, "big")
    s = x % 0xffff
    if s == 0 and x:
        s = 0xffff
    return 0xffff ^ s


def fix_checksums(ip):
    """Recompute the IPv4 header and TCP checksums of IP (bytearray, IHL 5)."""
    ip[10:12] = b"\0\0"
    ip[10:12] = csum(ip[:20]).to_bytes(2, "big")
    ip[36:38] = b"\0\0"
    tl = len(ip) - 20
    pseudo = bytes(ip[12:20]) + b"\x00\x06" + tl.to_bytes(2, "big")
    ip[36:38] = csum(pseudo + bytes(ip[20:])).to_bytes(2, "big")


# ---- packets ---------------------------------------------------------------

def parse_eth_ipv4_tcp(frame, linktype=1):
    """dict for an Ethernet (or Linux cooked) IPv4 TCP frame, else None."""
    if linktype == 1:
        off, et = 14, frame[12:14]
        while et in (b"\x81\x00", b"\x88\xa8"):
            et, off = frame[off + 2:off + 4], off + 4
    elif linktype == 113:
        off, et = 16, frame[14:16]
    else:
        return None
    if et != b"\x08\x00" or len(frame) < off + 40:
        return None
    ip = frame[off:]
    ihl = (ip[0] & 15) * 4
    if ip[0] >> 4 != 4 or ip[9] != 6:
        return None
    tot = struct.unpack("!H", ip[2:4])[0]
    ip = ip[:tot]
    tcp = ip[ihl:]
    doff = (tcp[12] >> 4) * 4
    sport, dport, seq, ack = struct.unpack("!HHII", tcp[:12])
    return {"ip": bytes(ip), "ihl": ihl, "src": ip[12:16], "dst": ip[16:20], "ttl": ip[8],
            "id": struct.unpack("!H", ip[4:6])[0], "sport": sport, "dport": dport, "seq": seq,
            "ack": ack, "flags": tcp[13], "win": struct.unpack("!H", tcp[14:16])[0],
            "opts": tcp[20:doff], "doff": doff, "payload": tcp[doff:]}


def tcp_options(opts):
    """[(kind, offset, data)] of a TCP option block (offset from its start)."""
    out, i = [], 0
    while i < len(opts):
        k = opts[i]
        if k == 0:
            out.append((0, i, b""))
            break
        if k == 1:
            out.append((1, i, b""))
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        n = opts[i + 1]
        out.append((k, i, opts[i + 2:i + n]))
        i += n
    return out


def ttl_initial(ttl):
    return 32 if ttl <= 32 else 64 if ttl <= 64 else 128 if ttl <= 128 else 255


def stack_sig(raw_sig):
    """p0f raw_sig -> the stack form hydrascope judges: the TTL as its
    initial value, no hop distance ("4:63+1:..." -> "4:64:...")."""
    f = raw_sig.split(":")
    f[1] = str(ttl_initial(int(f[1].split("+")[0])))
    return ":".join(f)


def syn_key(p):
    """The SYN's shape with the TTL as its initial value: what tells one TCP
    stack from another (a hop distance does not)."""
    layout = []
    for k, _, d in tcp_options(p["opts"]):
        if k == 2 and len(d) == 2:
            layout.append("mss=%d" % struct.unpack("!H", d)[0])
        elif k == 3 and len(d) == 1:
            layout.append("ws=%d" % d[0])
        elif k == 8:
            layout.append("ts")
        else:
            layout.append(str(k))
    ip = p["ip"]
    return "%d:%d:%d:%d:%s:%02x" % (ttl_initial(p["ttl"]), ip[1] & 3, (ip[6] >> 6) & 1,
                                    p["win"], ",".join(layout), p["flags"])


# ---- ClientHello -------------------------------------------------------------

VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
            0x0002: "s2", 0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3"}


def is_grease(v):
    return (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)


def hello_length(stream):
    """Bytes of STREAM up to the end of the ClientHello handshake message
    (it may span several TLS records), or None if it is not complete yet."""
    msg, off = b"", 0
    while off + 5 <= len(stream):
        if stream[off] != 0x16:
            return None
        n = struct.unpack("!H", stream[off + 3:off + 5])[0]
        if off + 5 + n > len(stream):
            return None
        msg += stream[off + 5:off + 5 + n]
        off += 5 + n
        if len(msg) >= 4 and len(msg) >= 4 + int.from_bytes(msg[1:4], "big"):
            return off
    return None


def parse_hello(stream):
    """The fields JA4/JA3 need from a ClientHello at the start of STREAM
    (TLS records), and the byte ranges of STREAM that are random per
    connection (client random, session id, key shares)."""
    msg, rec_map, off = bytearray(), [], 0
    while off + 5 <= len(stream) and stream[off] == 0x16:
        n = struct.unpack("!H", stream[off + 3:off + 5])[0]
        rec_map.append((len(msg), off + 5, n))
        msg += stream[off + 5:off + 5 + n]
        off += 5 + n
        if len(msg) >= 4 and len(msg) >= 4 + int.from_bytes(msg[1:4], "big"):
            break
    if not msg or msg[0] != 1:
        raise ValueError("not a ClientHello")

    rand = []

    def rnd(m, n):
        # split a message range at record boundaries
        while n > 0:
            for mo, so, rn in rec_map:
                if mo <= m < mo + rn:
                    k = min(n, mo + rn - m)
                    rand.append((so + m - mo, k))
                    m, n = m + k, n - k
                    break
            else:
                raise ValueError("range beyond the hello")

    p = 4
    legacy = struct.unpack("!H", msg[p:p + 2])[0]
    p += 2
    rnd(p, 32)
    p += 32
    sid = msg[p]
    if sid:
        rnd(p + 1, sid)
    p += 1 + sid
    n = struct.unpack("!H", msg[p:p + 2])[0]
    ciphers = list(struct.unpack("!%dH" % (n // 2), msg[p + 2:p + 2 + n]))
    p += 2 + n
    p += 1 + msg[p]
    exts, sigalgs, versions, groups, ecpf = [], [], [], [], []
    sni, alpn = "", None
    if p + 2 <= len(msg):
        end = p + 2 + struct.unpack("!H", msg[p:p + 2])[0]
        p += 2
        while p + 4 <= end:
            t, n = struct.unpack("!HH", msg[p:p + 4])
            d = bytes(msg[p + 4:p + 4 + n])
            exts.append(t)
            if t == 0 and len(d) >= 5:
                sni = d[5:5 + struct.unpack("!H", d[3:5])[0]].decode("latin-1")
            elif t == 16 and alpn is None and len(d) >= 3:
                alpn = d[3:3 + d[2]]
            elif t == 13 and len(d) >= 2:
                k = struct.unpack("!H", d[:2])[0]
                sigalgs = list(struct.unpack("!%dH" % (k // 2), d[2:2 + k]))
            elif t == 43 and len(d) >= 1:
                versions = list(struct.unpack("!%dH" % (d[0] // 2), d[1:1 + d[0]]))
            elif t == 10 and len(d) >= 2:
                k = struct.unpack("!H", d[:2])[0]
                groups = list(struct.unpack("!%dH" % (k // 2), d[2:2 + k]))
            elif t == 11 and len(d) >= 1:
                ecpf = list(d[1:1 + d[0]])
            elif t == 51 and len(d) >= 2:
                q, qe = p + 6, p + 4 + n
                while q + 4 <= qe:
                    g, k = struct.unpack("!HH", msg[q:q + 4])
                    if not is_grease(g) and k:
                        rnd(q + 4, k)
                    q += 4 + k
            p += 4 + n
    return {"legacy": legacy, "ciphers": ciphers, "exts": exts, "sigalgs": sigalgs,
            "versions": versions, "groups": groups, "ecpf": ecpf, "sni": sni,
            "alpn": alpn, "rand": rand}


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


def fingerprints(h):
    """JA4, JA4_r (FoxIO specification), JA3 and the JA3 string."""
    ciphers = [c for c in h["ciphers"] if not is_grease(c)]
    exts = [e for e in h["exts"] if not is_grease(e)]
    sigalgs = [s for s in h["sigalgs"] if not is_grease(s)]
    versions = [v for v in h["versions"] if not is_grease(v)]
    version = max(versions) if versions else h["legacy"]
    a = "t%s%s%02d%02d%s" % (VERSIONS.get(version, "00"), "d" if 0 in exts else "i",
                             min(len(ciphers), 99), min(len(exts), 99), alpn_code(h["alpn"]))
    cs = ",".join("%04x" % c for c in sorted(ciphers))
    es = ",".join("%04x" % e for e in sorted(exts) if e not in (0, 16))
    if sigalgs:
        es += "_" + ",".join("%04x" % s for s in sigalgs)

    def sha12(s):
        return hashlib.sha256(s.encode()).hexdigest()[:12] if s else "000000000000"
    ja3_r = "%d,%s,%s,%s,%s" % (
        h["legacy"], "-".join(str(c) for c in ciphers), "-".join(str(e) for e in exts),
        "-".join(str(g) for g in h["groups"] if not is_grease(g)),
        "-".join(str(x) for x in h["ecpf"]))
    return {"ja4": "%s_%s_%s" % (a, sha12(cs), sha12(es)), "ja4_r": "%s_%s_%s" % (a, cs, es),
            "ja3": hashlib.md5(ja3_r.encode()).hexdigest(), "ja3_r": ja3_r}


# ---- templates ---------------------------------------------------------------

class Template:
    """One captured connection (client, stack), ready to be rewritten."""

    def __init__(self, client, stack, pkts):
        syn = pkts[0]
        self.client, self.stack = client, stack
        self.ittl = ttl_initial(syn["ttl"])
        self.syn_key = syn_key(syn)
        isn, id0 = syn["seq"], syn["id"]
        ack0 = next((p["ack"] for p in pkts[1:] if p["flags"] & 0x10), 0)
        stream = b"".join(p["payload"] for p in pkts[1:])
        n = hello_length(stream)
        if n is None:
            raise ValueError("%s/%s: incomplete ClientHello" % (client, stack))
        self.stream = stream           # the hello, and anything after it in its segments
        self.hello_len = n
        self.hello = parse_hello(self.stream)
        self.fp = fingerprints(self.hello)
        self.segments = sum(1 for p in pkts[1:] if p["payload"])
        # (ip bytes with IHL 5, rel seq, rel ack, rel id, ts option offset,
        #  stream offset, payload length, gap before it in us)
        self.pkts, so, prev = [], 0, None
        for i, p in enumerate(pkts):
            ip = bytearray(p["ip"])
            if p["ihl"] != 20:
                raise ValueError("%s/%s: IP options" % (client, stack))
            tso = -1
            for k, o, d in tcp_options(p["opts"]):
                if k == 8 and len(d) == 8:
                    tso = 20 + 20 + o + 2
            plen = len(p["payload"])
            if i == 0:
                kind = "syn"
            elif plen == 0:
                kind = "ack"
            else:
                kind = "data"
            gap = 0 if prev is None else max(0, p["ts"] - prev)
            self.pkts.append((ip, (p["seq"] - isn) & 0xffffffff,
                              (p["ack"] - ack0) & 0xffffffff if p["flags"] & 0x10 else None,
                              (p["id"] - id0) & 0xffff, tso, so, plen, kind, gap))
            so += plen
            prev = p["ts"]
        if so < n:  # pragma: no cover (hello_length checked it)
            raise ValueError("%s/%s: hello longer than the segments" % (client, stack))


def load_templates(d=TEMPLATES):
    """{client: {stack: Template}}, and the index (index.json)."""
    with open(os.path.join(d, "index.json")) as f:
        index = json.load(f)
    stack_of = {s["src"]: s["name"] for s in index["stacks"]}
    out = {}
    for client in index["clients"]:
        lt, frames = read_pcap(os.path.join(d, client + ".pcap"))
        conns = {}
        for ts, fr in frames:
            p = parse_eth_ipv4_tcp(fr, lt)
            if p is None:
                continue
            p["ts"] = ts
            key = (bytes(p["src"]), p["sport"])
            conns.setdefault(key, []).append(p)
        for (src, _), pkts in conns.items():
            stack = stack_of.get(".".join(str(b) for b in src))
            if stack is None or not pkts[0]["flags"] & 0x02:
                continue
            out.setdefault(client, {})[stack] = Template(client, stack, pkts)
    return out, index


# ---- connection synthesis ------------------------------------------------------

ETH = ETH_DST + ETH_SRC + b"\x08\x00"


# ---- ClientHellos that cannot be fingerprinted (issue 17) ----------------------
# split:  the ClientHello message in two TLS handshake records, cut in its
#         cipher list (legal TLS: "record fragmentation", a stock option of
#         proxy clients); the stream grows by the second record's header
# garble: the cipher list's length made odd, so the hello does not parse
#         (what a broken client or a scanner sends; a hydra that garbles on
#         purpose to be turned away after the handshake)
EVADE = {"split": "record_split", "garble": "malformed"}
UNFP_PREFIX = "unfingerprinted:"


def evade_stream(stream, hello_len, mode):
    """STREAM (a single-record ClientHello at its start, HELLO_LEN bytes,
    then whatever followed in its segments) as MODE sends it."""
    if stream[0] != 0x16 or struct.unpack("!H", stream[3:5])[0] + 5 != hello_len:
        raise ValueError("evade: the template's hello is not one TLS record")
    sid = stream[5 + 4 + 2 + 32]
    cl = 5 + 4 + 2 + 32 + 1 + sid              # the cipher list's length
    if mode == "garble":
        out = bytearray(stream)
        struct.pack_into("!H", out, cl, struct.unpack("!H", out[cl:cl + 2])[0] + 1)
        return out
    if mode == "split":
        msg = stream[5:hello_len]
        k = cl - 5 + 4                          # two ciphers into the list
        r1 = bytes(stream[:3]) + struct.pack("!H", k) + msg[:k]
        r2 = bytes(stream[:3]) + struct.pack("!H", len(msg) - k) + msg[k:]
        return bytearray(r1 + r2 + stream[hello_len:])
    raise ValueError("evade: no mode %s" % mode)


def conn_frames(tm, src4, sport, ttl, t_us, rtt_us, tsoff, rng, evade=None):
    """[(ts_us, frame)] of one connection from template TM. TSOFF: the
    source's timestamp clock offset (Linux keeps one per address pair).
    EVADE: its ClientHello sent so that it cannot be fingerprinted (a mode
    of EVADE); bytes it adds go in the last segment."""
    isn, sisn = rng.getrandbits(32), rng.getrandbits(32)
    id0 = rng.randrange(1, 65536)
    stsoff = rng.getrandbits(32)
    stream = bytearray(tm.stream)
    for o, n in tm.hello["rand"]:
        stream[o:o + n] = rng.randbytes(n)
    grow = 0
    if evade:
        stream = evade_stream(stream, tm.hello_len, evade)
        grow = len(stream) - len(tm.stream)
    last = max(i for i, x in enumerate(tm.pkts) if x[6])
    out, t = [], t_us
    synack_ms = (t_us + rtt_us // 2) // 1000
    for i, (ip, rseq, rack, rid, tso, so, plen, kind, gap) in enumerate(tm.pkts):
        if kind == "ack":
            t = t_us + rtt_us
        elif kind == "data":
            # the client's think time before its hello, capped; then back to back
            t += int(min(gap, 3000) * (0.3 + rng.random())) + 20 if so == 0 else 20
        b = bytearray(ip)
        b[8] = ttl
        pid = (id0 + rid) & 0xffff
        b[4:6] = pid.to_bytes(2, "big")
        b[12:16] = src4
        b[16:20] = SERVER
        struct.pack_into("!HHII", b, 20, sport, SERVER_PORT, (isn + rseq) & 0xffffffff,
                         0 if rack is None else (sisn + 1 + rack) & 0xffffffff)
        if tso >= 0:
            tsval = (tsoff + t // 1000) & 0xffffffff or 1
            tsecr = 0 if kind == "syn" else (stsoff + synack_ms) & 0xffffffff
            struct.pack_into("!II", b, tso, tsval, tsecr)
        if plen:
            if grow and i == last:
                # the bytes the evasion added, in the last segment
                b = b + bytearray(grow)
                plen += grow
                b[2:4] = len(b).to_bytes(2, "big")
            b[len(b) - plen:] = stream[so:so + plen]
        fix_checksums(b)
        out.append((t, ETH + b))
    return out


# ---- address space -------------------------------------------------------------

class Addresses:
    """198.18.0.0/15 without the server's /24: 511 networks of 254 hosts."""

    def __init__(self):
        self.nets = [n for n in range(512) if n != 0]      # index = third+fourth octet / 256
        self.free = {}

    def _free(self, net, rng):
        f = self.free.get(net)
        if f is None:
            f = list(range(1, 255))
            rng.shuffle(f)
            self.free[net] = f
        return f

    def take(self, net, rng):
        """A free address in /24 number NET (0-511), or None."""
        f = self._free(net, rng)
        if not f:
            return None
        h = f.pop()
        return bytes([198, 18 + (net >> 8), net & 255, h])

    def left(self, net):
        f = self.free.get(net)
        return 254 if f is None else len(f)


def ip_str(b):
    return "%d.%d.%d.%d" % tuple(b)


def net_of(b):
    return b[:3]


# ---- populations ---------------------------------------------------------------

class Source:
    __slots__ = ("addr", "pop", "stack", "clients", "ttl_hops", "rtt_us", "tsoff", "port",
                 "times", "switch", "evade")

    def __init__(self, addr, pop, stack, clients, hops, rtt_us):
        self.addr, self.pop, self.stack, self.clients = addr, pop, stack, clients
        self.ttl_hops, self.rtt_us, self.times = hops, rtt_us, []
        self.switch = None     # (time s, client): from then on, that client (a release)
        self.evade = None      # EVADE mode of its ClientHellos (None: sent as captured)
        h = hashlib.sha256(addr).digest()
        self.tsoff = int.from_bytes(h[:4], "big")
        self.port = int.from_bytes(h[4:6], "big")   # ephemeral ports go up from here


def lognormal(rng, median, sigma, lo, hi):
    return min(hi, max(lo, median * math.exp(rng.gauss(0, sigma))))


def poisson_times(rng, rate_per_min, a, b):
    """Poisson arrivals (seconds) at RATE per minute in [a, b)."""
    out, t = [], a
    lam = rate_per_min / 60.0
    while True:
        t += rng.expovariate(lam)
        if t >= b:
            return out
        out.append(t)


def weighted(rng, table):
    """table: [(item, weight)] -> item"""
    items = [x for x, _ in table]
    return rng.choices(items, weights=[w for _, w in table])[0]


POPULAR_STACKS = [("win", 50), ("mac", 20), ("lin64", 12), ("android", 18)]
SDK_STACKS = [("lin64", 70), ("lin64ecn", 15), ("iw10", 15)]
LEGIT_CLIENTS = [("curl", 30), ("wget", 15), ("openssl", 10), ("node", 25),
                 ("python3", 10), ("chromium", 10)]


def make_sources(args, index, seed):
    stacks = [s["name"] for s in index["stacks"]]
    addrs = Addresses()
    minutes = args.minutes
    dur = minutes * 60.0
    sources = []

    def stream(name):
        return random.Random("%s:%s" % (seed, name))

    def count(n):
        return max(1, int(round(n * args.scale))) if n else 0

    # legit: steady, many stacks (mostly the common ones), one or two clients
    rng = stream("legit")
    legit_clients = [(c, w) for c, w in LEGIT_CLIENTS if c != args.hydra_client and
                     c not in special_clients(args)]
    stack_w = [(s, 1.0 / (i + 1)) for i, s in enumerate(stacks)]
    nets = addrs.nets[:]
    rng.shuffle(nets)

    def legit_ip(rng, nets):
        while True:
            a = addrs.take(rng.choice(nets), rng)
            if a:
                return a
    for i in range(count(args.legit_ips)):
        k = 1 if rng.random() < 0.7 else 2
        cl = []
        while len(cl) < k:
            c = weighted(rng, legit_clients)
            if c not in cl:
                cl.append(c)
        s = Source(legit_ip(rng, nets), "legit", weighted(rng, stack_w), cl,
                   rng.randint(3, 22), int(lognormal(rng, 40000, 0.8, 3000, 400000)))
        s.times = poisson_times(rng, lognormal(rng, 0.4, 0.9, 0.03, 6), 0, dur)
        sources.append(s)

    # sdk: cloud servers in 48 /24s, steady
    rng = stream("sdk")
    cloud = rng.sample(addrs.nets, 48)
    for i in range(count(args.sdk_ips)):
        a = None
        while a is None:
            a = addrs.take(rng.choice(cloud), rng)
            if a is None and all(addrs.left(n) == 0 for n in cloud):
                cloud.append(rng.choice(addrs.nets))
        s = Source(a, "sdk", weighted(rng, SDK_STACKS), [args.sdk_client],
                   rng.randint(6, 20), int(lognormal(rng, 25000, 0.7, 2000, 300000)))
        s.times = poisson_times(rng, lognormal(rng, args.sdk_rate, 0.8, 0.02, 3), 0, dur)
        sources.append(s)
    if args.sdk_churn:
        sources += sdk_churn(args, addrs, cloud, [s for s in sources if s.pop == "sdk"], dur)

    # popular: browser sessions, Zipf over networks, steady arrivals
    rng = stream("popular")
    zipf_nets = addrs.nets[:]
    rng.shuffle(zipf_nets)
    cum, acc = [], 0.0
    for r in range(len(zipf_nets)):
        acc += 1.0 / (r + 1) ** 0.8
        cum.append(acc)
    mean_session = 5.0
    for i in range(count(args.popular_ips)):
        a = None
        while a is None:
            a = addrs.take(rng.choices(zipf_nets, cum_weights=cum)[0], rng)
        length = min(30.0, max(0.5, rng.expovariate(1 / mean_session))) * 60
        start = rng.uniform(-length, dur)
        lo, hi = max(0.0, start), min(dur, start + length)
        s = Source(a, "popular", weighted(rng, POPULAR_STACKS), [args.popular_client],
                   rng.randint(4, 24), int(lognormal(rng, 50000, 0.7, 5000, 500000)))
        # a session opens with a connection (if that is in the capture), then
        # connects at its own steady rate
        s.times = ([start] if start >= 0 else []) + \
            poisson_times(rng, lognormal(rng, 0.6, 0.7, 0.1, 5), lo, hi)
        sources.append(s)

    # a steady baseline of legitimate users of the hydra's client
    if not args.no_hydra and args.hydra_baseline:
        rng = stream("baseline")
        for i in range(args.hydra_baseline):
            s = Source(legit_ip(rng, nets), "baseline", weighted(rng, stack_w),
                       [args.hydra_client], rng.randint(3, 22),
                       int(lognormal(rng, 40000, 0.8, 3000, 400000)))
            s.times = poisson_times(rng, lognormal(rng, 0.4, 0.9, 0.03, 6), 0, dur)
            sources.append(s)

    # hydra: one client, every stack, as many /24s as possible, rotation
    if not args.no_hydra:
        rng = stream("hydra")
        hydra_stacks = args.hydra_stacks or stacks
        unknown = sorted(set(hydra_stacks) - set(stacks))
        if unknown:
            raise SystemExit("scenario.py: no TCP stack %s (there are: %s)"
                             % (",".join(unknown), ",".join(stacks)))
        lo_r, hi_r = args.hydra_rate
        h0 = args.hydra_start * 60.0
        dwell = args.hydra_dwell * 60.0
        hnets = addrs.nets[:]
        rng.shuffle(hnets)
        n = args.hydra_ips
        if args.hydra_growth:
            n = args.hydra_growth * (minutes - args.hydra_start)
        got, k, misses = 0, 0, 0
        if args.hydra_aligned:
            slots = [i % (minutes - args.hydra_start) for i in range(n)]
            rng.shuffle(slots)
        while got < n:
            a = addrs.take(hnets[k % len(hnets)], rng)
            k += 1
            if a is None:
                misses += 1
                if misses >= len(hnets):
                    raise SystemExit("scenario.py: 198.18.0.0/15 has no room for %d more "
                                     "IPs" % (n - got))
                continue
            got, misses = got + 1, 0
            if args.hydra_growth:
                # the slow hydra: GROWTH new addresses in each minute window
                # from the start, each kept to the end of the capture
                m = int(h0 // 60) + (got - 1) // args.hydra_growth
                s = Source(a, "hydra", rng.choice(hydra_stacks), [args.hydra_client],
                           rng.randint(5, 25), int(lognormal(rng, 120000, 0.6, 20000, 800000)))
                s.times = sorted(rng.uniform(m * 60.0, m * 60.0 + 60)
                                 for _ in range(rng.randint(lo_r, hi_r)))
                s.times += poisson_times(rng, args.hydra_persist_rate, m * 60.0 + 60, dur)
                sources.append(s)
                continue
            if args.hydra_aligned:
                # exits taken in turn for each minute window from the start:
                # the same number new in every window, each used from the
                # window's start for DWELL (one window each with 1)
                m0 = args.hydra_start + slots[got - 1]
                start, end = m0 * 60.0, min(dur, m0 * 60.0 + dwell)
            else:
                # in use from a uniform time over [start - dwell, end), cut to the capture
                t0 = rng.uniform(h0 - dwell, dur)
                start, end = max(h0, t0), min(dur, max(t0 + dwell, h0 + 1))
            s = Source(a, "hydra", rng.choice(hydra_stacks), [args.hydra_client],
                       rng.randint(5, 25), int(lognormal(rng, 120000, 0.6, 20000, 800000)))
            # 1-3 connections in every minute window the source is used in
            m = int(start // 60)
            while m * 60 < end:
                w0, w1 = max(start, m * 60.0), min(end, m * 60.0 + 60)
                if w1 > w0:
                    s.times += sorted(rng.uniform(w0, w1) for _ in range(rng.randint(lo_r, hi_r)))
                m += 1
            if not s.times:
                s.times = [start]
            sources.append(s)
    if not args.no_hydra and args.hydra_evade:
        for s in sources:
            if s.pop == "hydra":
                s.evade = args.hydra_evade
    sources += special_populations(args, addrs, dur)
    return sources


def special_clients(args):
    """Clients of the special legitimate populations: the legit population
    leaves them out, so that each such population is its JA4's only user."""
    out = set()
    if args.release_ips:
        out |= {args.release_from, args.release_to}
    if args.mobile_users:
        out.add(args.mobile_client)
    return out


def sdk_churn(args, addrs, cloud, sdk, dur):
    """The SDK's customers come and go: each address leaves at a rate of
    CHURN per hour (exponential lifetimes) and a new customer takes its
    place at that moment, half of them in the SDK's cloud /24s (a new VM),
    half in a /24 the SDK never had. Returns the newcomers; cuts the
    leavers' connections at their departure."""
    rng = random.Random("%s:sdk-churn" % args.seed)
    lam = args.sdk_churn / 3600.0
    out, queue = [], list(sdk)
    while queue:
        s = queue.pop()
        t0 = s.times[0] if s.pop == "sdk-new" and s.times else 0.0
        leave = t0 + rng.expovariate(lam)
        if leave >= dur:
            continue
        s.times = [t for t in s.times if t < leave]
        a = None
        while a is None:
            a = addrs.take(rng.choice(cloud) if rng.random() < 0.5 else rng.choice(addrs.nets),
                           rng)
        n = Source(a, "sdk-new", weighted(rng, SDK_STACKS), [args.sdk_client], rng.randint(6, 20),
                   int(lognormal(rng, 25000, 0.7, 2000, 300000)))
        n.times = [leave] + poisson_times(rng, lognormal(rng, args.sdk_rate, 0.8, 0.02, 3),
                                          leave, dur)
        out.append(n)
        queue.append(n)
    return out


def special_populations(args, addrs, dur):
    """The legitimate populations of issue 14's cases, each from its own
    random stream (absent by default: the default capture is unchanged)."""
    out = []

    def stream(name):
        return random.Random("%s:%s" % (args.seed, name))

    def any_ip(rng):
        while True:
            a = addrs.take(rng.choice(addrs.nets), rng)
            if a:
                return a

    # release: an app's users, on residential networks and browser-like
    # stacks, move from one client to another (an app update) each at a
    # uniform time over [release start, + release minutes)
    if args.release_ips:
        rng = stream("release")
        r0 = args.release_start * 60.0
        for i in range(args.release_ips):
            s = Source(any_ip(rng), "release", weighted(rng, POPULAR_STACKS),
                       [args.release_from], rng.randint(4, 24),
                       int(lognormal(rng, 50000, 0.7, 5000, 500000)))
            s.times = poisson_times(rng, lognormal(rng, 0.5, 0.7, 0.1, 4), 0, dur)
            s.switch = (rng.uniform(r0, r0 + args.release_minutes * 60.0), args.release_to)
            out.append(s)

    # mobile: users whose address changes every few minutes (exponential,
    # mean --mobile-change), each new one drawn from the carriers' pool of
    # addresses in --mobile-nets /24s (addresses recycle between users)
    if args.mobile_users:
        rng = stream("mobile")
        pool_nets = rng.sample(addrs.nets, args.mobile_nets)
        pool = []
        for n in pool_nets:
            while len(pool) < 200 * (pool_nets.index(n) + 1):
                a = addrs.take(n, rng)
                if a is None:
                    break
                pool.append(a)
        for u in range(args.mobile_users):
            stack = "android" if rng.random() < 0.7 else "mac"
            rate = lognormal(rng, args.mobile_rate, 0.6, 0.1, 6)
            rtt = int(lognormal(rng, 80000, 0.5, 20000, 600000))
            t = 0.0
            while t < dur:
                end = min(dur, t + rng.expovariate(1.0 / (args.mobile_change * 60.0)))
                s = Source(rng.choice(pool), "mobile", stack, [args.mobile_client],
                           rng.randint(8, 20), rtt)
                s.port = rng.getrandbits(16)    # users sharing an address over time
                s.times = poisson_times(rng, rate, t, end)
                if s.times:
                    out.append(s)
                t = end

    # noise: broken clients and scanners whose ClientHellos do not parse
    # (issue 17), steady over the capture: the usual of the site's
    # unfingerprinted population
    if args.noise_ips:
        rng = stream("noise")
        for i in range(args.noise_ips):
            s = Source(any_ip(rng), "noise", weighted(rng, POPULAR_STACKS),
                       [args.popular_client], rng.randint(4, 24),
                       int(lognormal(rng, 60000, 0.7, 5000, 500000)))
            s.times = poisson_times(rng, lognormal(rng, 0.2, 0.7, 0.02, 2), 0, dur)
            s.evade = args.noise_evade
            out.append(s)

    # cgnat: thousands of users behind a few addresses (each user kept on
    # one), appearing at --cgnat-start, on browser-like stacks, with the
    # SDK or the browser
    if args.cgnat_users:
        rng = stream("cgnat")
        ips = [any_ip(rng) for _ in range(args.cgnat_ips)]
        c0 = args.cgnat_start * 60.0
        for u in range(args.cgnat_users):
            client = args.sdk_client if rng.random() < 0.4 else args.popular_client
            s = Source(rng.choice(ips), "cgnat", weighted(rng, POPULAR_STACKS), [client],
                       rng.randint(6, 14), int(lognormal(rng, 60000, 0.5, 10000, 400000)))
            s.port = rng.getrandbits(16)        # the NAT's port block of this user
            s.times = poisson_times(rng, lognormal(rng, 0.3, 0.7, 0.05, 3), c0, dur)
            out.append(s)
    return out


# ---- the scenario ------------------------------------------------------------------

def parse_rate(s):
    try:
        lo, _, hi = s.partition("-")
        lo, hi = int(lo), int(hi or lo)
    except ValueError:
        raise argparse.ArgumentTypeError("LO-HI expected, e.g. 1-3")
    if not 1 <= lo <= hi <= 60:
        raise argparse.ArgumentTypeError("1 <= LO <= HI <= 60 expected")
    return lo, hi


def generate(args):
    t_start = time.monotonic()
    templates, index = load_templates(args.templates)
    for c in (args.hydra_client, args.popular_client, args.sdk_client, args.release_from,
              args.release_to, args.mobile_client):
        if c not in templates:
            raise SystemExit("scenario.py: no template client '%s' (have: %s)" % (
                c, ", ".join(sorted(templates))))
    if not args.no_hydra and not 0 <= args.hydra_start < args.minutes:
        raise SystemExit("scenario.py: --hydra-start must be within the capture (0-%d)"
                         % (args.minutes - 1))
    sources = make_sources(args, index, args.seed)
    stack_sigs = {x["name"]: x["tcp_sig"] for x in index["stacks"]}

    # every connection as (time us, source number, connection number)
    conns = []
    for i, s in enumerate(sources):
        for t in s.times:
            conns.append((int(t * 1e6), i))
    conns.sort()

    # each connection's own random stream, from the seed, its source and its
    # time: a connection's bytes do not depend on any other population
    rng = random.Random()
    seed_key = (args.seed & 0xffffffff) << 72
    w = PcapWriter(args.out)
    base = args.start_epoch * 1000000
    heap, seq = [], 0
    minutes = args.minutes
    truth = {}             # ja4 -> aggregate

    def agg(ja4, tm):
        a = truth.get(ja4)
        if a is None:
            a = truth[ja4] = {"client": tm.client, "ja4_r": tm.fp["ja4_r"], "conns": 0,
                              "ips": set(), "nets": set(), "stacks": set(), "pops": {},
                              "min": [[0, set(), set()] for _ in range(minutes)]}
        return a

    for t_us, i in conns:
        s = sources[i]
        rng.seed(seed_key | int.from_bytes(s.addr, "big") << 40 | t_us)
        client = s.clients[0] if len(s.clients) == 1 else rng.choice(s.clients)
        if s.switch is not None and t_us >= s.switch[0] * 1e6:
            client = s.switch[1]
        # Linux walks the ephemeral range from a per-destination offset in
        # steps of two, skipping ports taken meanwhile
        s.port += 2 * rng.randint(1, 6)
        sport = 32768 + s.port % 28232
        tm = templates[client][s.stack]
        while heap and heap[0][0] <= t_us:
            ts, _, fr = heapq.heappop(heap)
            w.write(base + ts, fr)
        for ts, fr in conn_frames(tm, s.addr, sport, tm.ittl - s.ttl_hops, t_us, s.rtt_us,
                                  s.tsoff, rng, s.evade):
            heapq.heappush(heap, (ts, seq, fr))
            seq += 1
        # a ClientHello that cannot be fingerprinted counts in its reason's
        # population (what hydrascope names it)
        a = agg(UNFP_PREFIX + EVADE[s.evade] if s.evade else tm.fp["ja4"], tm)
        a["conns"] += 1
        a["ips"].add(s.addr)
        a["nets"].add(net_of(s.addr))
        a["stacks"].add(tm.syn_key)
        a["pops"].setdefault(s.pop, set()).add(s.addr)
        m = min(minutes - 1, t_us // 60000000)
        pm = a["min"][m]
        pm[0] += 1
        pm[1].add(s.addr)
        pm[2].add(net_of(s.addr))
    while heap:
        ts, _, fr = heapq.heappop(heap)
        w.write(base + ts, fr)
    w.close()
    elapsed = time.monotonic() - t_start

    hydra_ja4 = None if args.no_hydra else \
        next(iter(templates[args.hydra_client].values())).fp["ja4"]
    hydra_fp_ja4 = hydra_ja4
    if hydra_ja4 and args.hydra_evade:
        hydra_ja4 = UNFP_PREFIX + EVADE[args.hydra_evade]
    ja4s = {}
    for j, a in sorted(truth.items()):
        ja4s[j] = {
            "client": a["client"], "role": "hydra" if j == hydra_ja4 else "legit",
            "ja4_r": a["ja4_r"], "conns": a["conns"], "ips": len(a["ips"]),
            "nets": len(a["nets"]), "tcp_stacks": len(a["stacks"]),
            "populations": {p: len(v) for p, v in sorted(a["pops"].items())},
            "per_minute": {"conns": [x[0] for x in a["min"]], "ips": [len(x[1]) for x in a["min"]],
                           "nets": [len(x[2]) for x in a["min"]]}}
    hydra = None
    if hydra_ja4:
        hs = [s for s in sources if s.pop == "hydra"]
        hips = {s.addr for s in hs}
        per_min = [set() for _ in range(minutes)]
        for s in hs:
            for t in s.times:
                per_min[min(minutes - 1, int(t // 60))].add(s.addr)
        active = [len(x) for x in per_min[args.hydra_start:]]
        hydra = {"ja4": hydra_ja4, "client": args.hydra_client,
                 # evading: its population's name is "ja4", its client's own JA4 here
                 "evade": args.hydra_evade, "client_ja4": hydra_fp_ja4,
                 "start_minute": args.hydra_start,
                 "start_epoch": args.start_epoch + args.hydra_start * 60,
                 "start_ts": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                           time.gmtime(args.start_epoch + args.hydra_start * 60)),
                 "ips": len(hips), "nets": len({net_of(a) for a in hips}),
                 "tcp_stacks": len({templates[args.hydra_client][s.stack].syn_key for s in hs}),
                 "stacks": sorted({s.stack for s in hs}),
                 "stack_sigs": sorted({stack_sig(stack_sigs[s.stack]) for s in hs}),
                 "conns": sum(len(s.times) for s in hs),
                 "rate_per_ip_per_minute": list(args.hydra_rate),
                 "dwell_minutes": args.hydra_dwell,
                 "baseline_ips": ja4s[hydra_ja4]["populations"].get("baseline", 0),
                 "ips_per_minute": [len(x) for x in per_min],
                 "ips_per_minute_mean": round(sum(active) / max(1, len(active)), 1)}
        # what separates a hydra inside a shared fingerprint: per minute,
        # addresses never seen with the JA4 before (hydra addresses belong to
        # the hydra only, so: first used in that minute), their /24s, and
        # the most connections one hydra address made in a minute
        first = {}
        for s in hs:
            if s.times:
                m = min(minutes - 1, int(s.times[0] // 60))
                first[s.addr] = min(first.get(s.addr, m), m)
        novel = [0] * minutes
        for m in first.values():
            novel[m] += 1
        nets_min = [set() for _ in range(minutes)]
        cmax = [0] * minutes
        for s in hs:
            cnt = {}
            for t in s.times:
                m = min(minutes - 1, int(t // 60))
                nets_min[m].add(net_of(s.addr))
                cnt[m] = cnt.get(m, 0) + 1
            for m, c in cnt.items():
                cmax[m] = max(cmax[m], c)
        run = slice(args.hydra_start, minutes)
        others = {p for p in ja4s[hydra_ja4]["populations"] if p != "hydra"}
        hydra.update({
            "growth_per_minute": args.hydra_growth,
            "shared": bool(others), "shared_with": sorted(others),
            "novel_ips_per_minute": novel,
            "nets_per_minute": [len(x) for x in nets_min],
            "conns_per_ip_per_minute_max": cmax,
            "novel_ips_per_minute_min": min(novel[run]) if novel[run] else 0,
            "nets_per_minute_min": min(len(x) for x in nets_min[run]) if nets_min[run] else 0,
            "ips_per_minute_max": max(active) if active else 0})
    pops = {}
    for s in sources:
        if not s.times:
            continue
        p = pops.setdefault(s.pop, {"ips": 0, "conns": 0, "nets": set(), "clients": set()})
        p["ips"] += 1
        p["conns"] += len(s.times)
        p["nets"].add(net_of(s.addr))
        p["clients"].update(s.clients)
    gt = {
        "generator": "tests/lib/scenario.py", "format": 1,
        "args": {k: (list(v) if isinstance(v, tuple) else v) for k, v in sorted(vars(args).items())
                 if k not in ("out", "templates", "list_templates")},
        "pcap": os.path.basename(args.out),
        "start_epoch": args.start_epoch,
        "start_ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(args.start_epoch)),
        "minutes": minutes, "window_s": 60,
        "server": "%s:%d" % (ip_str(SERVER), SERVER_PORT),
        "connections": len(conns), "packets": w.packets, "bytes": w.bytes,
        "seconds": round(elapsed, 2),
        "hydra": hydra,
        "legit_ja4s": sorted(j for j, a in ja4s.items() if a["role"] == "legit"),
        "release": None if not args.release_ips else {
            "from_ja4": next(iter(templates[args.release_from].values())).fp["ja4"],
            "to_ja4": next(iter(templates[args.release_to].values())).fp["ja4"],
            "start_minute": args.release_start, "minutes": args.release_minutes,
            "ips": args.release_ips},
        "populations": {k: {"ips": v["ips"], "conns": v["conns"], "nets": len(v["nets"]),
                            "clients": sorted(v["clients"])} for k, v in sorted(pops.items())},
        "ja4s": ja4s,
    }
    out_json = os.path.splitext(args.out)[0] + ".json"
    with open(out_json, "w") as f:
        json.dump(gt, f, indent=1, sort_keys=True)
        f.write("\n")
    if not args.quiet:
        print("scenario.py: %s: %d connections, %d packets, %.1f MB in %.1f s; truth in %s" % (
            args.out, len(conns), w.packets, w.bytes / 1e6, elapsed, out_json), file=sys.stderr)
        if hydra:
            print("scenario.py: hydra %s (%s) from minute %d: %d IPs, %d /24s, %d TCP stacks, "
                  "%.0f IPs per minute" % (hydra["ja4"], hydra["client"], hydra["start_minute"],
                                           hydra["ips"], hydra["nets"], hydra["tcp_stacks"],
                                           hydra["ips_per_minute_mean"]), file=sys.stderr)
    return gt


def list_templates(d):
    templates, index = load_templates(d)
    for c in index["clients"]:
        tms = templates.get(c, {})
        fps = {tm.fp["ja4"] for tm in tms.values()}
        tm = next(iter(tms.values()))
        segs = sorted({t.segments for t in tms.values()})
        print("%-10s %s  stacks=%d segments=%s hello=%dB%s" % (
            c, tm.fp["ja4"], len(tms), ",".join(map(str, segs)), len(tm.stream),
            "" if len(fps) == 1 else "  JA4 DIFFERS BY STACK: %s" % sorted(fps)))
    print()
    for s in index["stacks"]:
        print("%-10s %-12s %s  %s" % (s["name"], s["src"], s.get("tcp_sig", "-"),
                                      s.get("profile", "")))


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Seeded pcap of TLS clients reaching an API, with a hydra; "
                    "ground truth in OUT.json (see the module docstring).")
    ap.add_argument("--out", help="pcap to write (the truth goes to the same name .json)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply the legitimate populations' IP counts (default 1)")
    ap.add_argument("--hydra-ips", type=int, default=3000)
    ap.add_argument("--hydra-start", type=int,
                    help="minute the hydra starts (default: a third in, 20 of 60)")
    ap.add_argument("--hydra-rate", type=parse_rate, default=(1, 3),
                    help="connections per IP per minute window, LO-HI (default 1-3)")
    ap.add_argument("--hydra-dwell", type=float, default=10.0,
                    help="minutes each hydra IP stays in use (default 10)")
    ap.add_argument("--hydra-client", default="gnutls-cli")
    ap.add_argument("--hydra-stacks", type=lambda v: v.split(","), default=None,
                    help="TCP stacks the hydra uses, comma-separated (default: all 14)")
    ap.add_argument("--hydra-baseline", type=int, default=0,
                    help="steady legitimate IPs using the hydra's client (default 0)")
    ap.add_argument("--hydra-aligned", action="store_true",
                    help="exits start at minute boundaries, --hydra-ips / (minutes - start) new "
                         "in each minute window (default: uniform start times)")
    ap.add_argument("--hydra-growth", type=int, default=0,
                    help="the slow hydra: N new IPs in each minute from the start, each kept "
                         "to the end (replaces --hydra-ips and --hydra-dwell; default 0: off)")
    ap.add_argument("--hydra-persist-rate", type=float, default=0.3,
                    help="with --hydra-growth: conn/min of an IP after its first minute (0.3)")
    ap.add_argument("--hydra-evade", choices=sorted(EVADE), default=None,
                    help="the hydra's ClientHellos cannot be fingerprinted: split over two "
                         "TLS records, or garbled (default: sent as captured)")
    ap.add_argument("--noise-ips", type=int, default=0,
                    help="legitimate sources whose ClientHellos cannot be fingerprinted "
                         "(broken clients, scanners), steady (default 0)")
    ap.add_argument("--noise-evade", choices=sorted(EVADE), default="garble",
                    help="how the noise's ClientHellos fail (default garble)")
    ap.add_argument("--no-hydra", action="store_true", help="legitimate traffic only")
    ap.add_argument("--legit-ips", type=int, default=400)
    ap.add_argument("--popular-ips", type=int, default=12000)
    ap.add_argument("--popular-client", default="chromium")
    ap.add_argument("--sdk-ips", type=int, default=2000)
    ap.add_argument("--sdk-client", default="python3")
    ap.add_argument("--sdk-rate", type=float, default=0.15,
                    help="median conn/min of an SDK IP (default 0.15)")
    ap.add_argument("--sdk-churn", type=float, default=0.0,
                    help="fraction of the SDK's IPs replaced per hour (default 0)")
    ap.add_argument("--release-ips", type=int, default=0,
                    help="an app's users moving from --release-from to --release-to (default 0)")
    ap.add_argument("--release-from", default="python3")
    ap.add_argument("--release-to", default="gnutls-cli")
    ap.add_argument("--release-start", type=int,
                    help="minute the release starts (default: as --hydra-start)")
    ap.add_argument("--release-minutes", type=float, default=10.0,
                    help="minutes over which all users move (default 10)")
    ap.add_argument("--mobile-users", type=int, default=0,
                    help="mobile users whose address changes every few minutes (default 0)")
    ap.add_argument("--mobile-client", default="node")
    ap.add_argument("--mobile-change", type=float, default=3.0,
                    help="mean minutes a mobile user keeps an address (default 3)")
    ap.add_argument("--mobile-nets", type=int, default=40,
                    help="carrier /24s the mobile addresses come from (default 40)")
    ap.add_argument("--mobile-rate", type=float, default=1.0,
                    help="median conn/min of a mobile user (default 1)")
    ap.add_argument("--cgnat-users", type=int, default=0,
                    help="users behind a CGNAT block, 40%% SDK, 60%% browser (default 0)")
    ap.add_argument("--cgnat-ips", type=int, default=16,
                    help="the CGNAT block's addresses (default 16)")
    ap.add_argument("--cgnat-start", type=int,
                    help="minute the CGNAT block appears (default: as --hydra-start)")
    ap.add_argument("--start-epoch", type=int, default=START_EPOCH,
                    help="capture start, seconds since 1970 (default 2026-01-01T00:00:00Z)")
    ap.add_argument("--templates", default=TEMPLATES)
    ap.add_argument("--list-templates", action="store_true")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.list_templates:
        list_templates(args.templates)
        return 0
    if not args.out:
        ap.error("--out FILE.pcap is required")
    if args.hydra_start is None:
        args.hydra_start = args.minutes // 3
    if args.release_start is None:
        args.release_start = args.hydra_start
    if args.cgnat_start is None:
        args.cgnat_start = args.hydra_start
    if args.minutes < 1 or args.scale <= 0 or args.hydra_ips < 0 or args.hydra_dwell <= 0:
        ap.error("--minutes >= 1, --scale > 0, --hydra-ips >= 0, --hydra-dwell > 0")
    generate(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
