#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# An interface with jumbo frames (MTU 9000). veth's native XDP takes no
# program for frames past ~3,500 bytes unless it reads multi-buffer frames,
# so: `run -m native` is refused in one line that says why, no program
# left; `run` without -m attaches in skb mode and says so. Then a Python
# TLS client uploads 4 MiB in 9,000-byte frames through it: every byte
# reaches the server (sha256 of both ends), and the connection's SYN and
# ClientHello are fingerprinted (dump -j).
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool openssl python3 nsenter timeout
need_hs
PY=$(python3 -c 'import sys; print(sys.executable)')
S=$TAG-js C=$TAG-jc DEV=${TAG}s P=/sys/fs/bpf/$TAG-j
mkdir -p "$TMP/j"
cleanup_push "rm -rf '$P'"
ns_add "$S"
ns_add "$C"
if ! veth_pair "$S" "$DEV" 198.18.0.2/24 "$C" "${TAG}c" 198.18.0.1/24 ||
	! ip -n "$S" link set "$DEV" mtu 9000 || ! ip -n "$C" link set "${TAG}c" mtu 9000; then
	fail "a veth pair of MTU 9000 between $S and $C"
	done_testing
fi
ok "a veth pair of MTU 9000 between $S and $C"
if ! ca_cert "$TMP/j" hs.test "IP:198.18.0.2"; then
	fail "openssl: $(cat "$TMP/j/openssl.log")"
	done_testing
fi

expect_error "run -m native on a jumbo-frame veth: refused" 1 \
	nsenter --net=/run/netns/"$S" "$HS" run -i "$DEV" -m native --pin-dir "$P" --state-dir "$TMP/state"
grep -q "^hydrascope: Couldn't attach XDP program on '$DEV': .*its MTU is larger than the driver's XDP takes" \
	"$TMP/err" && ok "the refusal names the MTU" || fail "MTU message expected: $(cat "$TMP/err")"
expect_eq "no XDP program on $DEV after it" "" "$(ip -n "$S" -d link show "$DEV" | grep -o 'prog/xdp.*')"

bg_job HS_PID nsenter --net=/run/netns/"$S" "$HS" run -i "$DEV" --pin-dir "$P" \
	--state-dir "$TMP/state" 2>"$TMP/run.log"
if wait_for 10 grep -q '^hydrascope: attached to ' "$TMP/run.log"; then
	ok "run without -m attached"
else
	fail "run attached expected: $(head -c 400 "$TMP/run.log")"
	done_testing
fi
grep -q "^hydrascope: native XDP refused on '$DEV' (.*its MTU is larger than the driver's XDP takes): attached in skb mode, slower$" \
	"$TMP/run.log" && grep -q "^hydrascope: attached to $DEV .* in skb mode" "$TMP/run.log" &&
	ok "it says native XDP was refused and it attached in skb mode" ||
	fail "skb fallback lines expected: $(head -c 400 "$TMP/run.log" | tr '\n' '|')"

# the server: every byte of one TLS connection hashed
cat >"$TMP/j/srv.py" <<'EOF'
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
bg_job SRV_PID nsenter --net=/run/netns/"$S" "$PY" "$TMP/j/srv.py" "$TMP/j" >"$TMP/j/srv.out" 2>"$TMP/j/srv.err"
wait_for 10 test -e "$TMP/j/ready" || fail "the TLS server did not start: $(head -c 300 "$TMP/j/srv.err")"
head -c 4194304 /dev/urandom >"$TMP/j/data"
rx0=$(ip -n "$S" -s -j link show "$DEV" | "$PY" -c 'import json,sys; s=json.load(sys.stdin)[0]["stats64"]["rx"]; print(s["bytes"], s["packets"])')
timeout 20 nsenter --net=/run/netns/"$C" "$PY" - "$TMP/j" >"$TMP/j/cli.err" 2>&1 <<'EOF'
import socket, ssl, sys
d = sys.argv[1]
ctx = ssl.create_default_context(cafile=d + "/ca.pem")
with socket.create_connection(("198.18.0.2", 443)) as s:
    with ctx.wrap_socket(s, server_hostname="198.18.0.2") as t:
        t.sendall(open(d + "/data", "rb").read())
EOF
expect_eq "the client's upload of 4 MiB over TLS exits 0" 0 "$?$(head -c 200 "$TMP/j/cli.err")"
bg_stop "$SRV_PID" TERM 10
want="4194304 $(sha256sum <"$TMP/j/data" | cut -d' ' -f1)"
expect_eq "every byte reached the server (length and sha256)" "$want" "$(cat "$TMP/j/srv.out")"
avg=$(ip -n "$S" -s -j link show "$DEV" | "$PY" -c 'import json,sys
s=json.load(sys.stdin)[0]["stats64"]["rx"]; b0, p0 = map(int, sys.argv[1:])
print((s["bytes"] - b0) // max(1, s["packets"] - p0))' $rx0)
[ "$avg" -gt 4000 ] && ok "the upload came in jumbo frames ($avg bytes a frame on average)" ||
	fail "frames of more than 4,000 bytes on average expected, got $avg"
dump_has() {
	"$HS" dump --pin-dir "$P" -j >"$TMP/dump.json" 2>"$TMP/dump.err" &&
		grep -q '"kind":"tls"' "$TMP/dump.json" && grep -q '"kind":"tcp"' "$TMP/dump.json"
}
wait_for 3 dump_has && ok "its SYN and ClientHello fingerprinted (dump -j)" ||
	fail "a TCP and a TLS row expected: $(head -c 400 "$TMP/dump.json") $(head -c 200 "$TMP/dump.err")"
bg_stop "$HS_PID" TERM 10
expect_eq "run exits 0 on SIGTERM" 0 "$?"
expect_eq "no XDP program on $DEV after it" "" "$(ip -n "$S" -d link show "$DEV" | grep -o 'prog/xdp.*')"
done_testing
