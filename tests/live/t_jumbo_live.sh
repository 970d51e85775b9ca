#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Jumbo frames, and a driver that refuses native XDP.
#  1. A veth pair of MTU 9000: veth's native XDP takes a program past
#     ~3,500 bytes only if it reads frames of several buffers (xdp.frags),
#     which ours does: `run -m native` attaches. A Python TLS client uploads
#     4 MiB in 9,000-byte frames: every byte reaches the server (sha256 of
#     both ends). OpenSSL's client sends ClientHellos of ~4,400 bytes (a
#     long ALPN list), each one frame past the first buffer: run counts the
#     JA4 tshark computes from the server's capture (tests/lib/ja4_ref.py).
#  2. A veth whose peer has more TX queues than it has RX queues: its
#     native XDP refuses any program (ENOSPC). `run -m native` is refused in
#     one line, no program left; `run` without -m attaches in skb mode and
#     says why.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool openssl python3 nsenter timeout tcpdump tshark
need_hs
PY=$(python3 -c 'import sys; print(sys.executable)')
S=$TAG-js C=$TAG-jc DEV=${TAG}s P=/sys/fs/bpf/$TAG-j
D=$TMP/j
mkdir -p "$D"
keep_on_fail "$D/srv.pcap" "$D/run.log"
cleanup_push "rm -rf '$P'"
ns_add "$S"
ns_add "$C"
if ! veth_pair "$S" "$DEV" 198.18.0.2/24 "$C" "${TAG}c" 198.18.0.1/24 ||
	! ip -n "$S" link set "$DEV" mtu 9000 || ! ip -n "$C" link set "${TAG}c" mtu 9000; then
	fail "a veth pair of MTU 9000 between $S and $C"
	done_testing
fi
ok "a veth pair of MTU 9000 between $S and $C"
if ! ca_cert "$D" hs.test "IP:198.18.0.2"; then
	fail "openssl: $(cat "$D/openssl.log")"
	done_testing
fi

# ---- 1. native XDP on jumbo frames ----
bg_job HS_PID nsenter --net=/run/netns/"$S" "$HS" run -i "$DEV" -m native --pin-dir "$P" \
	--state-dir "$TMP/state" 2>"$D/run.log"
if wait_for 10 grep -q "^hydrascope: attached to $DEV .* in native mode" "$D/run.log"; then
	ok "run -m native attached to the MTU 9000 veth"
else
	fail "a native attachment expected: $(head -c 400 "$D/run.log" | tr '\n' '|')"
	done_testing
fi
# the TLS handshake records only (not the upload's 4 MiB)
bg_job DUMP_PID nsenter --net=/run/netns/"$S" tcpdump -i "$DEV" -U --immediate-mode -w "$D/srv.pcap" \
	'tcp port 443 and tcp[((tcp[12] & 0xf0) >> 2)] = 0x16' 2>"$D/tcpdump.log"
wait_for 10 grep -q 'listening on' "$D/tcpdump.log" || fail "tcpdump did not start: $(cat "$D/tcpdump.log")"

# the server: every byte of one TLS connection hashed
cat >"$D/srv.py" <<'EOF'
import hashlib, socket, ssl, sys
d = sys.argv[1]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(d + "/cert.pem", d + "/key.pem")
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.0.2", 443))
s.listen(1)
open(d + "/ready", "w").close()
c, _ = s.accept()
t = ctx.wrap_socket(c, server_side=True)
h, n = hashlib.sha256(), 0
while True:
    b = t.recv(65536)
    if not b:
        break
    h.update(b)
    n += len(b)
print(n, h.hexdigest(), flush=True)
EOF
bg_job SRV_PID nsenter --net=/run/netns/"$S" "$PY" "$D/srv.py" "$D" >"$D/srv.out" 2>"$D/srv.err"
wait_for 10 test -e "$D/ready" || fail "the TLS server did not start: $(head -c 300 "$D/srv.err")"
head -c 4194304 /dev/urandom >"$D/data"
rx() { ip -n "$S" -s -j link show "$DEV" | "$PY" -c 'import json,sys
s = json.load(sys.stdin)[0]["stats64"]["rx"]; print(s["bytes"], s["packets"])'; }
rx0=$(rx)
timeout 20 nsenter --net=/run/netns/"$C" "$PY" - "$D" >"$D/cli.err" 2>&1 <<'EOF'
import socket, ssl, sys
d = sys.argv[1]
ctx = ssl.create_default_context(cafile=d + "/ca.pem")
with socket.create_connection(("198.18.0.2", 443)) as s:
    with ctx.wrap_socket(s, server_hostname="198.18.0.2") as t:
        t.sendall(open(d + "/data", "rb").read())
        # a FIN after the last record, then what the server sent (its
        # session tickets) read until it closes, having read every byte:
        # a close with those unread would be a reset, which can take
        # the last bytes from the server before it reads them
        t.shutdown(socket.SHUT_WR)
        while t.recv(65536):
            pass
EOF
expect_eq "the client's upload of 4 MiB over TLS exits 0" 0 "$?$(head -c 200 "$D/cli.err")"
bg_stop "$SRV_PID" TERM 10
expect_eq "every byte reached the server (length and sha256)" \
	"4194304 $(sha256sum <"$D/data" | cut -d' ' -f1)" "$(cat "$D/srv.out")"
avg=$(echo "$rx0 $(rx)" | awk '{ print int(($3 - $1) / ($4 - $2 > 0 ? $4 - $2 : 1)) }')
[ "$avg" -gt 4000 ] && ok "the upload came in jumbo frames ($avg bytes a frame on average)" ||
	fail "frames of more than 4,000 bytes on average expected, got $avg"

# OpenSSL's long hellos: 90 protocol names of 44 bytes, ~4,400 bytes a hello
bg_job OSRV_PID nsenter --net=/run/netns/"$S" openssl s_server -www -accept 198.18.0.2:443 \
	-cert "$D/cert.pem" -key "$D/key.pem" >"$D/osrv.log" 2>&1
wait_for 10 sh -c "nsenter --net=/run/netns/$S ss -Hltn | grep -q '198.18.0.2:443 '" ||
	fail "openssl s_server did not start: $(head -c 300 "$D/osrv.log")"
long=$("$PY" -c 'print(",".join(["h2"] + ["p%03d" % i + "x" * 40 for i in range(90)] + ["http/1.1"]))')
n=0
for i in 1 2 3; do
	echo | timeout -k 2 10 nsenter --net=/run/netns/"$C" openssl s_client -connect 198.18.0.2:443 \
		-alpn "$long" >"$D/ocli.log" 2>&1 && n=$((n + 1))
done
expect_eq "three OpenSSL handshakes with a long ALPN list" 3 "$n"
bg_stop "$OSRV_PID"
four_hellos() { [ "$(tshark -r "$D/srv.pcap" -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)" -ge 4 ]; }
wait_for 10 four_hellos
bg_stop "$DUMP_PID" INT 5
big=$(tshark -r "$D/srv.pcap" -Y 'tls.handshake.type == 1 && frame.len > 4000' -T fields -e frame.len \
	2>/dev/null | sort -u | paste -sd' ')
[ -n "$big" ] && ok "the server's capture holds the long hellos each in one frame ($big bytes)" ||
	fail "ClientHello frames over 4,000 bytes expected in the capture"
"$PY" "$ROOT/tests/lib/ja4_ref.py" "$D/srv.pcap" >"$D/ref" 2>"$D/ref.err"
expect_eq "ja4_ref.py (tshark) exits 0" 0 "$?"
want=$("$PY" -c 'import json,sys; print(" ".join(sorted({json.loads(l)["ja4"] for l in open(sys.argv[1])})))' "$D/ref")
dump_ja4() {
	"$HS" dump --pin-dir "$P" -j 2>"$D/dump.err" | "$PY" -c 'import json,sys
print(" ".join(sorted({j["ja4"] for j in map(json.loads, sys.stdin) if j.get("kind") == "tls"})))'
}
got=$(dump_ja4)
[ -n "$want" ] && [ "$(echo "$want" | wc -w)" = 2 ] && [ "$got" = "$want" ] &&
	ok "run counted the JA4s tshark finds, the long hellos' and Python's: $got" ||
	fail "JA4s: tshark '$want', run '$got' $(head -c 200 "$D/dump.err")"
bg_stop "$HS_PID" TERM 10
expect_eq "run exits 0 on SIGTERM" 0 "$?"
expect_eq "no XDP program on $DEV after it" "" "$(xdp_prog_id "$S" "$DEV")"

# ---- 2. a driver that refuses native XDP: run falls back to skb mode ----
Q=${TAG}q
if ! ip -n "$S" link add "$Q" numrxqueues 1 numtxqueues 1 type veth peer name "${Q}p" \
	numrxqueues 4 numtxqueues 4 || ! ip -n "$S" link set "$Q" up || ! ip -n "$S" link set "${Q}p" up; then
	fail "a veth of 1 RX queue whose peer has 4 TX queues"
	done_testing
fi
rm -rf "$P"
expect_error "run -m native where veth refuses XDP (fewer RX queues than its peer's TX): refused" 1 \
	nsenter --net=/run/netns/"$S" "$HS" run -i "$Q" -m native --pin-dir "$P" --state-dir "$TMP/state"
grep -q "^hydrascope: Couldn't attach XDP program on '$Q': No space left on device" "$TMP/err" &&
	ok "the refusal says the driver's error" || fail "refusal message: $(cat "$TMP/err")"
expect_eq "no XDP program on $Q after it" "" "$(xdp_prog_id "$S" "$Q")"
bg_job HS2_PID nsenter --net=/run/netns/"$S" "$HS" run -i "$Q" --pin-dir "$P" \
	--state-dir "$TMP/state" 2>"$D/run2.log"
if wait_for 10 grep -q '^hydrascope: attached to ' "$D/run2.log" &&
	grep -q "^hydrascope: native XDP refused on '$Q' (No space left on device): attached in skb mode, slower$" \
		"$D/run2.log" && grep -q "^hydrascope: attached to $Q .* in skb mode" "$D/run2.log"; then
	ok "run without -m: native XDP refused, attached in skb mode, and says so"
else
	fail "the skb fallback's lines expected: $(head -c 400 "$D/run2.log" | tr '\n' '|')"
fi
bg_stop "$HS2_PID" TERM 10
expect_eq "that run exits 0 on SIGTERM" 0 "$?"
expect_eq "no XDP program on $Q after it" "" "$(xdp_prog_id "$S" "$Q")"
done_testing
