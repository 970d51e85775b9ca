#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# An interface without a link header: a tun device (as WireGuard, PPP and
# IP tunnels, its packets start with the IP header). `hydrascope run` on
# it reads packets from the IP header, attaches in skb mode (tun refuses
# native XDP but on a TAP device) and says so; `-m native` is refused in
# one line. (Before: skb mode too, after native was refused, and every
# packet counted as not IP.) A Python client on the tun's other end (its file descriptor) opens
# TCP connections to an OpenSSL server behind it, IPv4 and IPv6, each a
# SYN of its own options, the server's SYN-ACK read back, then an ACK with
# a ClientHello of Python's ssl: run counts the SYNs under the p0f
# signature they make, and the ClientHellos under the JA4 computed from
# their bytes (tests/lib/scenario.py), validated by the SYN-ACKs its
# egress program saw leave through the tun (its counter says 6); no packet
# is counted as malformed or not IP.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip openssl python3 nsenter timeout
need_hs
PY=$(python3 -c 'import sys; print(sys.executable)')
N=$TAG-tun DEV=${TAG}t P=/sys/fs/bpf/$TAG-t
D=$TMP/t
mkdir -p "$D"
keep_on_fail "$D/run.log" "$D/client.out"
cleanup_push "rm -rf '$P'"
ns_add "$N"
if ! ip -n "$N" tuntap add mode tun name "$DEV" || ! ip -n "$N" link set lo up ||
	! ip -n "$N" addr add 198.18.77.1/24 dev "$DEV" ||
	! ip -n "$N" -6 addr add 2001:2:77::1/64 dev "$DEV" nodad ||
	! ip -n "$N" link set "$DEV" up; then
	fail "a tun device $DEV with 198.18.77.1/24 and 2001:2:77::1/64 in $N"
	done_testing
fi
ok "a tun device $DEV in $N"
if ! ca_cert "$D" hs.test "DNS:hs.test"; then
	fail "openssl: $(cat "$D/openssl.log")"
	done_testing
fi
bg_job SRV4_PID nsenter --net=/run/netns/"$N" openssl s_server -www -accept 198.18.77.1:443 \
	-cert "$D/cert.pem" -key "$D/key.pem" >"$D/server4.log" 2>&1
bg_job SRV6_PID nsenter --net=/run/netns/"$N" openssl s_server -www -accept "[2001:2:77::1]:443" \
	-cert "$D/cert.pem" -key "$D/key.pem" >"$D/server6.log" 2>&1

# -m native: refused, nothing attached
expect_error "run -m native on a device without a link header: refused in one line" 1 \
	nsenter --net=/run/netns/"$N" "$HS" run -i "$DEV" -m native --pin-dir "$P" \
	--state-dir "$TMP/state"
grep -q "no link header" "$TMP/err" && ok "the refusal says why: $(cat "$TMP/err")" ||
	fail "'no link header' expected in the refusal: $(cat "$TMP/err")"
expect_eq "no XDP program on $DEV after it" "" \
	"$(ip -n "$N" -d link show "$DEV" | grep -o 'prog/xdp id [0-9]*')"

bg_job HS_PID nsenter --net=/run/netns/"$N" "$HS" run -i "$DEV" --pin-dir "$P" \
	--state-dir "$TMP/state" 2>"$D/run.log"
if wait_for 10 grep -q "^hydrascope: attached to $DEV .* in skb mode" "$D/run.log" &&
	wait_for 10 sh -c "nsenter --net=/run/netns/$N ss -Hltn | grep -q '198.18.77.1:443 ' &&
		nsenter --net=/run/netns/$N ss -Hltn | grep -q '2001:2:77::1\]:443 '"; then
	ok "run without -m attached to $DEV in skb mode; the servers listen, IPv4 and IPv6"
else
	fail "an skb attachment and a server expected: $(head -c 400 "$D/run.log" | tr '\n' '|')"
	done_testing
fi
grep -q "^hydrascope: $DEV has no link header: packets read from their IP header" "$D/run.log" &&
	ok "run says the device has no link header" ||
	fail "'$DEV has no link header' expected in the log: $(head -c 400 "$D/run.log" | tr '\n' '|')"
expect_eq "the program on $DEV is the entry that reads from the IP header" hs_xdp_l3 \
	"$(xdp_prog_name "$N" "$DEV")"

# The client: the tun's file descriptor, raw IP packets both ways. Prints
# per connection "family sport ja4" once the server's SYN-ACK came back
# and the ClientHello went out.
cat >"$D/client.py" <<'EOF'
import fcntl, os, random, select, socket, ssl, struct, sys, time
sys.path.insert(0, sys.argv[2])
import scenario as sc
dev, conns = sys.argv[1], int(sys.argv[3])
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", dev.encode(), 0x0001 | 0x1000))  # TUNSETIFF: TUN, NO_PI
ADDR = {4: (socket.inet_aton("198.18.77.2"), socket.inet_aton("198.18.77.1")),
        6: (socket.inet_pton(socket.AF_INET6, "2001:2:77::2"),
            socket.inet_pton(socket.AF_INET6, "2001:2:77::1"))}
# MSS, SACK permitted, timestamps, NOP, window scale 7: Linux's layout
OPTS = struct.pack("!BBH", 2, 4, 1460) + b"\x04\x02" + struct.pack("!BBII", 8, 10, 12345, 0) + \
    b"\x01" + struct.pack("!BBB", 3, 3, 7)

def tcp(fam, sport, seq, ack, flags, opts=b"", payload=b""):
    src, dst = ADDR[fam]
    hl = 20 + len(opts)
    t = bytearray(struct.pack("!HHIIBBHHH", sport, 443, seq, ack, (hl // 4) << 4, flags, 64240, 0, 0)
                  + opts + payload)
    ln = len(t)
    if fam == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, 6, ln)
    else:
        pseudo = src + dst + struct.pack("!IxxxB", ln, 6)
    t[16:18] = sc.csum(pseudo + bytes(t)).to_bytes(2, "big")
    if fam == 4:
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ln, random.randrange(65536), 0x4000,
                                   64, 6, 0, src, dst))
        ip[10:12] = sc.csum(bytes(ip)).to_bytes(2, "big")
    else:
        ip = bytearray(struct.pack("!IHBB16s16s", 6 << 28, ln, 6, 64, src, dst))
    os.write(fd, bytes(ip) + bytes(t))

def synack(fam, sport):
    """The server's SYN-ACK to sport: its sequence number."""
    end = time.time() + 5
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if not r:
            continue
        b = os.read(fd, 65536)
        v = b[0] >> 4
        off = (b[0] & 15) * 4 if v == 4 else 40
        proto = b[9] if v == 4 else b[6]
        if v != fam or proto != 6:
            continue
        sp, dp, seq, _, _, flags = struct.unpack("!HHIIBB", b[off:off + 14])
        if sp == 443 and dp == sport and flags & 0x12 == 0x12:
            return seq
    raise SystemExit("no SYN-ACK to port %d" % sport)

ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
for k in range(conns):
    for fam in (4, 6):
        sport, isn = random.randrange(20000, 60000), random.randrange(1 << 32)
        tcp(fam, sport, isn, 0, 0x02, OPTS)
        srv = synack(fam, sport)
        inc, outc = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(inc, outc, server_hostname="hs.test")
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        hello = outc.read()
        tcp(fam, sport, isn + 1, srv + 1, 0x18, b"", hello)
        tcp(fam, sport, isn + 1 + len(hello), 0, 0x04)   # RST: done
        print(fam, sport, sc.fingerprints(sc.parse_hello(hello))["ja4"], flush=True)
EOF
timeout 60 nsenter --net=/run/netns/"$N" "$PY" "$D/client.py" "$DEV" "$ROOT/tests/lib" 3 \
	>"$D/client.out" 2>&1
expect_eq "the client's 6 connections (3 IPv4, 3 IPv6) each had the server's SYN-ACK" "0 6" \
	"$? $(grep -c '^[46] ' "$D/client.out")"
ja4=$(awk '{print $3}' "$D/client.out" | sort -u)
sleep 1
"$HS" dump --pin-dir "$P" -j >"$D/dump.json" 2>"$D/dump.err"
expect_eq "dump -j exits 0" 0 "$?"
"$PY" - "$D/dump.json" "$ja4" >"$TMP/verdicts" 2>&1 <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
tls = [(r["ja4"], r["conns"]) for r in rows if r["kind"] == "tls"]
tcp = [(r["tcp_sig"], r["syns"]) for r in rows if r["kind"] == "tcp"]
want = sys.argv[2]
print(("ok" if tls == [(want, 6)] else "not ok") +
      " the 6 ClientHellos counted, validated, under the JA4 of their bytes (%s): %s" % (want, tls))
sigs = sorted(s for s, _ in tcp)
ok = (sum(n for _, n in tcp) == 6 and len(tcp) == 2 and sigs[0].startswith("4:64+0:0:1460:") and
      sigs[1].startswith("6:64+0:0:1460:") and all(":mss,sok,ts,nop,ws:" in s for s in sigs))
print(("ok" if ok else "not ok") +
      " the 6 SYNs counted under their p0f signatures, IPv4 and IPv6: %s" % tcp)
EOF
tap_verdicts "$TMP/verdicts"
"$HS" status --pin-dir "$P" -j >"$D/status.json" 2>&1
expect_eq "no packet counted as malformed or not IP; the egress program saw the 6 SYN-ACKs leave" \
	"0 0 0 0 6" "$("$PY" -c '
import json, sys
c = json.load(open(sys.argv[1]))["counters"]
print(c.get("err_eth"), c.get("non_ip"), c.get("err_ipv4"), c.get("err_ipv6"), c.get("synacks"))' \
	"$D/status.json" 2>&1)"

bg_stop "$HS_PID" TERM 10
expect_eq "run exits 0 on SIGTERM" 0 "$?"
expect_eq "no XDP program on $DEV after it" "" \
	"$(ip -n "$N" -d link show "$DEV" | grep -o 'prog/xdp id [0-9]*')"

# in drop mode, the entry of both: it loads and attaches
bg_job HS_PID nsenter --net=/run/netns/"$N" "$HS" run -i "$DEV" --pin-dir "$P" \
	--state-dir "$TMP/state" --enforce drop 2>"$D/run-drop.log"
wait_for 10 grep -q "^hydrascope: attached to $DEV .* in skb mode" "$D/run-drop.log" ||
	fail "run --enforce drop: an skb attachment expected: $(head -c 400 "$D/run-drop.log" | tr '\n' '|')"
expect_eq "run --enforce drop: the program on $DEV reads from the IP header, in drop mode" \
	hs_xdp_l3_drop "$(xdp_prog_name "$N" "$DEV")"
bg_stop "$HS_PID" TERM 10
expect_eq "run --enforce drop exits 0 on SIGTERM" 0 "$?"
done_testing
