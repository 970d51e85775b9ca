#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seeded QUIC captures: client Initials sealed as a client seals them
(RFC 9001, section 5), the server's answer and the client's Handshake, for
hydrascope's replay and its detector; the ground truth beside the pcap.

usage: quicgen.py --out FILE.pcap [--seed N] [--start-epoch S] [-q]
                  --pop SPEC [--pop SPEC...]
       quicgen.py --self-test

A SPEC is comma-separated key=value (each optional but ips):
  name=NAME        the population's name in the truth (default popN)
  client=NAME      whose ClientHello (a template of tests/data/templates:
                   curl, openssl, gnutls-cli, python3, node, wget,
                   chromium; default chromium)
  ips=N            distinct source addresses (198.18.0.0/15, never the
                   server's /24; no address in two populations)
  conns=N          connections (default ips; at least ips: every address
                   opens one, the rest go to addresses drawn at random)
  nets=N           /24 networks the addresses are spread over (default:
                   as many as there are, up to 511)
  start=S dur=S    connections start uniformly within [start, start+dur)
                   seconds of the capture (default 0 and 60)
  handshake=MODE   the client's answer to the server: valid (a Handshake
                   packet whose DCID is the server's connection ID: the
                   flow validates), wrong (a Handshake to a random DCID:
                   a spoofed source that never saw the server's answer),
                   none (no answer at all); default valid
  coalesce=F       the share of connections whose second flight is an
                   Initial (an ACK, padded) with the Handshake coalesced
                   after it in one datagram, as browsers send it; the
                   rest send the Handshake alone (default 0.5)
  gro=F            the share of connections whose Initials (two, for a
                   long hello) the capture holds as one frame, the second
                   datagram right after the first, as tcpdump records
                   them on a host whose UDP GRO merged them (or whose GSO
                   had yet to split them); default 0
  zrtt=N           0-RTT datagrams (1,200 bytes, random bytes behind the
                   header: read by their header only) each connection
                   sends right after its Initials, as a resuming client
                   does; with gro, in the same frame (default 0)
  port=N           the server's UDP port (default 443)
  zpad=F           the share of connections whose Initial datagrams are
                   padded to 1,200 bytes with zeros after the packet (RFC
                   9000, 14.1: coalesced with invalid packets) rather than
                   with PADDING frames in it; default 0

Per connection, in time order, as the server's NIC sees them (Ethernet,
IPv4, UDP to and from 198.18.0.2 port 443 or port=N, microsecond timestamps):
  1. the client's Initial datagram(s): version 1, a random 8-byte DCID and
     SCID, the ClientHello in CRYPTO frames (a hello over ~1,100 bytes
     takes two Initials, each its own datagram, its second half first as
     Chromium sends it), PADDING to 1,200 bytes; sealed with the keys of
     the DCID (AES-128-GCM, header protection with AES-128-ECB);
  2. the server's Initial: DCID the client's SCID, a random 8-byte SCID
     (the connection ID the server chose), a payload of random bytes (not
     sealed: hydrascope reads only its header);
  3. the client's Handshake (handshake=valid|wrong), alone or coalesced.

The ClientHello is the template client's, made a QUIC one: the session id
emptied (RFC 9001, 8.4), ALPN "h3", the quic_transport_parameters
extension (0x39) added after the others (the padding extension dropped),
and per connection a fresh client random and key shares. Its JA4 (FoxIO's
specification, with "q" for QUIC) is computed here from the hello bytes,
as scenario.py computes a TCP one.

The truth goes to FILE.json: per population its name, client, JA4, ips,
nets, conns, handshake; and every connection: [src, sport, start us, pop
index, validated].

--self-test derives the RFC 9001 (appendix A) client Initial keys and
seals its sample packet, comparing with the RFC's bytes; exit 0 if equal.
"""
import argparse
import hashlib
import hmac
import json
import os
import random
import re
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenario as sc  # noqa: E402  (templates, pcap writer, JA4, addresses)

QUIC_V1 = 0x00000001
SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")
T_INITIAL, T_0RTT, T_HANDSHAKE = 0, 1, 2
DGRAM_MIN = 1200
UDP_PAYLOAD = 14 + 20 + 8          # a client frame's headers: Ethernet, IPv4, UDP
CRYPTO_PER_PACKET = 1100        # hello bytes per Initial before it takes another
SERVER_CID_LEN = 8

# ---- keys and sealing (RFC 9001, 5) -----------------------------------------


def hkdf_extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand_label(secret, label, length):
    full = b"tls13 " + label
    info = struct.pack("!HB", length, len(full)) + full + b"\x00"
    return HKDFExpand(hashes.SHA256(), length, info).derive(secret)


class Keys:
    """A client's Initial keys for a DCID: AEAD key and IV, header protection."""

    def __init__(self, dcid):
        secret = hkdf_expand_label(hkdf_extract(SALT_V1, dcid), b"client in", 32)
        self.key = hkdf_expand_label(secret, b"quic key", 16)
        self.iv = hkdf_expand_label(secret, b"quic iv", 12)
        self.hp = hkdf_expand_label(secret, b"quic hp", 16)
        self.aead = AESGCM(self.key)

    def mask(self, sample):
        e = Cipher(algorithms.AES(self.hp), modes.ECB()).encryptor()
        return e.update(sample) + e.finalize()


def varint(v, size=0):
    if not size:
        size = 1 if v < 64 else 2 if v < 16384 else 4 if v < 1 << 30 else 8
    code = {1: 0, 2: 1, 4: 2, 8: 3}[size]
    b = bytearray(v.to_bytes(size, "big"))
    b[0] |= code << 6
    return bytes(b)


def long_header(ptype, dcid, scid, pn_len, length, token=b""):
    """A version 1 long header up to the packet number (Length in 2 bytes)."""
    h = bytes([0xc0 | ptype << 4 | (pn_len - 1)]) + struct.pack("!I", QUIC_V1)
    h += bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid
    if ptype == T_INITIAL:
        h += varint(len(token)) + token
    return h + varint(length, 2)


def seal(keys, ptype, dcid, scid, pn, payload, pad_to=0, pn_len=2):
    """A protected packet of PAYLOAD (PADDING appended so the packet is
    PAD_TO bytes long at least)."""
    hlen = len(long_header(ptype, dcid, scid, pn_len, 0))
    pad = max(0, pad_to - (hlen + pn_len + len(payload) + 16))
    payload = payload + bytes(pad)
    if len(payload) + pn_len < 4:
        payload += bytes(4 - pn_len - len(payload))   # the sample needs them
    header = long_header(ptype, dcid, scid, pn_len, pn_len + len(payload) + 16)
    pnb = pn.to_bytes(pn_len, "big")
    nonce = bytes(a ^ b for a, b in zip(keys.iv, pn.to_bytes(12, "big")))
    ct = keys.aead.encrypt(nonce, payload, header + pnb)
    pn_at = len(header)
    m = keys.mask(ct[4 - pn_len:4 - pn_len + 16])
    first = bytes([header[0] ^ (m[0] & 0x0f)])
    pnp = bytes(a ^ b for a, b in zip(pnb, m[1:1 + pn_len]))
    return first + header[1:pn_at] + pnp + ct


def unsealed(ptype, dcid, scid, body_len, rng, pn_len=2):
    """A long-header packet whose protected part is random bytes (a server's
    Initial or any Handshake: hydrascope reads only their headers)."""
    return long_header(ptype, dcid, scid, pn_len, pn_len + body_len) + rng.randbytes(pn_len + body_len)


def crypto_frame(off, data):
    return b"\x06" + varint(off) + varint(len(data)) + data


ACK_FRAME = b"\x02\x00\x00\x00\x00"     # ACK of packet 0, no delay, no more ranges

# ---- the ClientHello ----------------------------------------------------------


def ext(t, body):
    return struct.pack("!HH", t, len(body)) + body


def transport_params(scid):
    def tp(i, v):
        return varint(i) + varint(len(v)) + v
    return (tp(0x01, varint(30000)) + tp(0x03, varint(1472)) + tp(0x04, varint(15728640)) +
            tp(0x05, varint(6291456)) + tp(0x06, varint(6291456)) + tp(0x07, varint(6291456)) +
            tp(0x08, varint(100)) + tp(0x09, varint(103)) + tp(0x0f, scid))


def quic_hello(tm, rng, scid):
    """The handshake message (type, length, body) of template TM's ClientHello
    made a QUIC one: see the module's help."""
    msg = bytes(tm.stream[5:tm.hello_len])
    if tm.stream[0] != 0x16 or len(msg) != 4 + int.from_bytes(msg[1:4], "big"):
        raise ValueError("%s: the template's hello is not one TLS record" % tm.client)
    p = 4
    legacy = msg[p:p + 2]
    p += 2 + 32
    p += 1 + msg[p]                                     # session id: dropped
    n = struct.unpack("!H", msg[p:p + 2])[0]
    ciphers = msg[p:p + 2 + n]
    p += 2 + n
    comp = msg[p:p + 1 + msg[p]]
    p += 1 + msg[p]
    end = p + 2 + struct.unpack("!H", msg[p:p + 2])[0]
    p += 2
    exts = []
    while p + 4 <= end:
        t, k = struct.unpack("!HH", msg[p:p + 4])
        d = msg[p + 4:p + 4 + k]
        p += 4 + k
        if t in (0x0015, 0x0039):
            continue
        if t == 0x0010:
            d = struct.pack("!H", 3) + b"\x02h3"
        elif t == 0x0033:                               # key shares: fresh bytes
            out, q = bytearray(d[:2]), 2
            while q + 4 <= len(d):
                g, kl = struct.unpack("!HH", d[q:q + 4])
                out += d[q:q + 4] + (d[q + 4:q + 4 + kl] if sc.is_grease(g) else rng.randbytes(kl))
                q += 4 + kl
            d = bytes(out)
        exts.append(ext(t, d))
    if not any(e[:2] == b"\x00\x10" for e in exts):
        exts.append(ext(0x0010, struct.pack("!H", 3) + b"\x02h3"))
    exts.append(ext(0x0039, transport_params(scid)))
    e = b"".join(exts)
    body = legacy + rng.randbytes(32) + b"\x00" + ciphers + comp + struct.pack("!H", len(e)) + e
    return b"\x01" + len(body).to_bytes(3, "big") + body


def ja4_of(hello):
    """JA4 and JA4_r of a QUIC ClientHello message (FoxIO, "q" for QUIC)."""
    rec = b"\x16\x03\x01" + struct.pack("!H", len(hello)) + hello
    fp = sc.fingerprints(sc.parse_hello(rec))
    return "q" + fp["ja4"][1:], "q" + fp["ja4_r"][1:]

# ---- frames ----------------------------------------------------------------


def udp_frame(src, sport, dst, dport, payload, ip_id, ttl=64, from_server=False):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ip_id, 0x4000, ttl, 17, 0,
                               src, dst))
    ip[10:12] = sc.csum(bytes(ip)).to_bytes(2, "big")
    pseudo = src + dst + struct.pack("!BBH", 0, 17, len(udp))
    c = sc.csum(pseudo + udp) or 0xffff
    udp = udp[:6] + c.to_bytes(2, "big") + udp[8:]
    eth = (sc.ETH_SRC + sc.ETH_DST) if from_server else (sc.ETH_DST + sc.ETH_SRC)
    return eth + b"\x08\x00" + bytes(ip) + udp


def connection(tm, src, sport, t_us, handshake, coalesce, gro, zpad, rng, zrtt=0, port=sc.SERVER_PORT):
    """[(ts_us, frame)] of one connection; its JA4."""
    dcid, scid, srv = rng.randbytes(8), rng.randbytes(8), rng.randbytes(SERVER_CID_LEN)
    keys = Keys(dcid)
    hello = quic_hello(tm, rng, scid)
    pieces = [(0, hello)]
    if len(hello) > CRYPTO_PER_PACKET:
        cut = len(hello) // 2
        pieces = [(cut, hello[cut:]), (0, hello[:cut])]  # the second half first
    ip_id = rng.randrange(1, 65536)
    rtt = rng.randrange(20000, 80000)
    out, t, pn = [], t_us, 0
    merged = gro > 0 and rng.random() < gro     # no draw otherwise: seeds keep their captures
    zeros = zpad > 0 and rng.random() < zpad    # the same
    sent = 0
    for off, data in pieces + [(0, None)] * zrtt:
        if data is None:
            d = unsealed(T_0RTT, dcid, scid, DGRAM_MIN - len(long_header(T_0RTT, dcid, scid, 2, 0)) - 2, rng)
        elif zeros:
            d = seal(keys, T_INITIAL, dcid, scid, pn, crypto_frame(off, data))
            d += bytes(max(0, DGRAM_MIN - len(d)))
        else:
            d = seal(keys, T_INITIAL, dcid, scid, pn, crypto_frame(off, data), pad_to=DGRAM_MIN)
        if merged and sent:
            t0, f = out.pop()
            out.append((t0, udp_frame(src, sport, sc.SERVER, port,
                                      f[UDP_PAYLOAD:] + d, (ip_id - sent) & 0xffff)))
        else:
            out.append((t, udp_frame(src, sport, sc.SERVER, port, d, ip_id)))
        t, sent, ip_id = t + 30, sent + 1, (ip_id + 1) & 0xffff
        if data is not None:
            pn += 1
    # the server's Initial (its connection ID in the SCID), a Handshake too
    d = unsealed(T_INITIAL, scid, srv, 120, rng) + unsealed(T_HANDSHAKE, scid, srv, 900, rng)
    out.append((t + 400, udp_frame(sc.SERVER, port, src, sport, d, 0, from_server=True)))
    if handshake != "none":
        to = srv if handshake == "valid" else rng.randbytes(SERVER_CID_LEN)
        hs = unsealed(T_HANDSHAKE, to, scid, 60, rng)
        if rng.random() < coalesce:
            ini = seal(keys, T_INITIAL, to, scid, pn, ACK_FRAME, pad_to=DGRAM_MIN - len(hs))
            d = ini + hs
        else:
            d = hs
        out.append((t + rtt, udp_frame(src, sport, sc.SERVER, port, d, ip_id)))
    return out, ja4_of(hello)

# ---- populations --------------------------------------------------------------


def parse_pop(s, i):
    p = {"name": "pop%d" % i, "client": "chromium", "conns": None, "nets": 511, "start": 0.0,
         "dur": 60.0, "handshake": "valid", "coalesce": 0.5, "gro": 0.0,
         "zpad": 0.0, "zrtt": 0, "port": sc.SERVER_PORT}
    for kv in s.split(","):
        k, _, v = kv.partition("=")
        if k not in p and k != "ips":
            raise ValueError("--pop: no key %r" % k)
        p[k] = v if k in ("name", "client", "handshake") else float(v) if k in (
            "start", "dur", "coalesce", "gro", "zpad") else int(v)
    if "ips" not in p or p["ips"] < 1:
        raise ValueError("--pop %s: ips=N (N >= 1) needed" % s)
    p["conns"] = p["conns"] or p["ips"]
    if p["conns"] < p["ips"] or p["handshake"] not in ("valid", "wrong", "none") or \
            not 1 <= p["nets"] <= 511 or p["dur"] <= 0:
        raise ValueError("--pop %s: conns >= ips, handshake valid|wrong|none, nets 1-511, dur > 0" % s)
    return p


def addresses(addrs, n, nets, rng):
    """N free addresses spread round-robin over NETS /24s that have room."""
    pool = [k for k in range(1, 512) if addrs.left(k) > 0]
    rng.shuffle(pool)
    pool = pool[:nets]
    out, i = [], 0
    while len(out) < n:
        if not pool:
            raise ValueError("out of addresses in 198.18.0.0/15")
        k = pool[i % len(pool)]
        a = addrs.take(k, rng)
        if a is None:
            pool.remove(k)
            continue
        out.append(a)
        i += 1
    return out


def generate(args):
    templates, _ = sc.load_templates(args.templates)
    addrs, frames, conns, pops = sc.Addresses(), [], [], []
    for i, s in enumerate(args.pop):
        p = parse_pop(s, i)
        if p["client"] not in templates:
            raise ValueError("--pop: no template client %r (%s)" % (p["client"], ", ".join(templates)))
        tm = next(iter(templates[p["client"]].values()))
        prng = random.Random("%d/%d" % (args.seed, i))
        ips = addresses(addrs, p["ips"], p["nets"], prng)
        who = ips + [prng.choice(ips) for _ in range(p["conns"] - p["ips"])]
        ports = {}
        ja4 = None
        for src in who:
            sport = prng.randrange(1024, 65536)
            while sport in ports.setdefault(src, set()):
                sport = prng.randrange(1024, 65536)
            ports[src].add(sport)
            t = args.start_epoch * 1000000 + int((p["start"] + prng.random() * p["dur"]) * 1e6)
            fr, (j, jr) = connection(tm, src, sport, t, p["handshake"], p["coalesce"],
                                     p["gro"], p["zpad"], prng, p["zrtt"], p["port"])
            if ja4 not in (None, j):
                raise ValueError("%s: the hellos' JA4 varies (%s, %s)" % (p["client"], ja4, j))
            ja4 = j
            frames += fr
            conns.append([sc.ip_str(src), sport, t, i, p["handshake"] == "valid"])
        pops.append({"name": p["name"], "client": p["client"], "ja4": ja4, "ja4_r": jr,
                     "ips": p["ips"], "nets": len({a[:3] for a in ips}), "conns": p["conns"],
                     "handshake": p["handshake"], "start": p["start"], "dur": p["dur"]})
    frames.sort(key=lambda f: f[0])
    w = sc.PcapWriter(args.out)
    for t, f in frames:
        w.write(t, f)
    w.close()
    conns.sort(key=lambda c: c[2])
    truth = {"seed": args.seed, "start_epoch": args.start_epoch, "packets": len(frames),
             "connections": len(conns), "pops": pops, "conns": conns}
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(truth, f)
    return truth

# ---- self-test: RFC 9001, appendix A ----------------------------------------


def self_test():
    k = Keys(bytes.fromhex("8394c8f03e515708"))
    good = (k.key.hex() == "1f369613dd76d5467730efcbe3b1a22d" and
            k.iv.hex() == "fa044b2f42a3fd3b46fb255c" and
            k.hp.hex() == "9f50449e04a0e810283a1e9933adedd2")
    print("%s RFC 9001 A.1 client Initial keys" % ("ok" if good else "not ok"))
    # A.2: the sample packet, as tests/lib/quic_rfc.h holds the RFC's hex:
    # its CRYPTO frame, PADDING to 1,162 bytes, packet number 2 in 4 bytes
    rfc = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "quic_rfc.h")).read()

    def macro(name):
        m = re.search(r"#define %s \\\n((?:\t\"[0-9a-f ]*\"(?: \\)?\n)+)" % name, rfc)
        return bytes.fromhex("".join(re.findall(r'"([0-9a-f ]*)"', m.group(1))).replace(" ", ""))
    payload = macro("RFC_CRYPTO_FRAME")
    payload += bytes(1162 - len(payload))
    dcid = bytes.fromhex("8394c8f03e515708")
    d = seal(k, T_INITIAL, dcid, b"", 2, payload, pn_len=4)
    want = macro("V1_PACKET").hex()
    ok2 = d.hex() == want
    print("%s RFC 9001 A.2 client Initial sealed" % ("ok" if ok2 else "not ok"))
    return 0 if good and ok2 else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start-epoch", type=int, default=sc.START_EPOCH)
    ap.add_argument("--pop", action="append", default=[])
    ap.add_argument("--templates", default=sc.TEMPLATES)
    ap.add_argument("-q", "--quiet", action="store_true")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args(argv)
    if a.self_test:
        return self_test()
    if not a.out or not a.pop:
        ap.error("--out FILE.pcap and at least one --pop SPEC")
    try:
        t = generate(a)
    except ValueError as e:
        print("quicgen: %s" % e, file=sys.stderr)
        return 2
    if not a.quiet:
        for p in t["pops"]:
            print("%-10s %-10s %s ips=%d nets=%d conns=%d handshake=%s" % (
                p["name"], p["client"], p["ja4"], p["ips"], p["nets"], p["conns"], p["handshake"]))
        print("%d connections, %d packets -> %s" % (t["connections"], t["packets"], a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
