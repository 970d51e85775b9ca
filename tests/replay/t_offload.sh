#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A capture whose frames hold more than one of the wire's segments, as
# tcpdump records them on loopback (MTU 65,536) or on a host with
# segmentation offloads on (GRO, TSO), replayed. In a namespace of its own,
# over loopback: OpenSSL's server on 127.0.0.1 and ::1, tcpdump on lo, and
# OpenSSL's client with a long ALPN list (a ClientHello of ~4,400 bytes, one
# frame, larger than any frame the kernel's test run takes) and a short
# one. Checked: the capture holds such a frame; replay counts every hello
# tshark finds, with tshark's JA4, JA4_r and JA3 (tests/lib/ja4_ref.py), the
# long ones cut back into segments, and says nothing was left out.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd python3 tshark tcpdump openssl
need_hs
PY=$(python3 -c 'import sys; print(sys.executable)')
PORT=8443
NS=$TAG-offl
D=$TMP/offl
mkdir -p "$D"
keep_on_fail "$D/lo.pcap" "$D/server4.log" "$D/server6.log"

ns_add "$NS"
if ! ca_cert "$D" hs.test "DNS:hs.test,IP:127.0.0.1,IP:::1"; then
	fail "openssl: $(cat "$D/openssl.log")"
	done_testing
fi
bg_job DUMP_PID nsenter --net=/run/netns/"$NS" tcpdump -i lo -U --immediate-mode -w "$D/lo.pcap" tcp port $PORT \
	2>"$D/tcpdump.log"
bg_job SRV4_PID nsenter --net=/run/netns/"$NS" openssl s_server -www -accept 127.0.0.1:$PORT \
	-cert "$D/cert.pem" -key "$D/key.pem" >"$D/server4.log" 2>&1
bg_job SRV6_PID nsenter --net=/run/netns/"$NS" openssl s_server -www -accept "[::1]:$PORT" \
	-cert "$D/cert.pem" -key "$D/key.pem" >"$D/server6.log" 2>&1
if wait_for 10 grep -q 'listening on' "$D/tcpdump.log" &&
	wait_for 10 sh -c "nsenter --net=/run/netns/$NS ss -Hltn | grep -q '127.0.0.1:$PORT ' &&
		nsenter --net=/run/netns/$NS ss -Hltn | grep -q '\[::1\]:$PORT '"; then
	ok "OpenSSL's servers on 127.0.0.1 and ::1 port $PORT and tcpdump on lo, in namespace $NS"
else
	fail "servers and capture expected: $(head -c 300 "$D/server4.log" "$D/server6.log" "$D/tcpdump.log" | tr '\n' '|')"
	done_testing
fi

# 90 protocol names of 44 bytes: a ~4,100-byte ALPN extension
long=$("$PY" -c 'print(",".join(["h2"] + ["p%03d" % i + "x" * 40 for i in range(90)] + ["http/1.1"]))')
n=0
for host in 127.0.0.1 "[::1]"; do
	for alpn in "$long" h2 "$long"; do
		echo | timeout -k 2 10 nsenter --net=/run/netns/"$NS" openssl s_client \
			-connect "$host:$PORT" -alpn "$alpn" >"$D/client.log" 2>&1 && n=$((n + 1))
	done
done
expect_eq "six OpenSSL clients' handshakes over loopback, IPv4 and IPv6" 6 "$n"
sleep 0.5
bg_stop "$DUMP_PID" INT 5

big=$(tshark -r "$D/lo.pcap" -Y "tcp.dstport == $PORT && tls.handshake.type == 1 && frame.len > 3520" \
	-T fields -e frame.len 2>/dev/null | sort -u | tr '\n' ' ')
if [ "$(echo "$big" | wc -w)" -ge 2 ]; then
	ok "the capture holds the long hellos each in one frame (frame lengths $big)"
else
	fail "ClientHello frames over 3,520 bytes expected, got: '$big'"
fi
"$HS" replay --ports $PORT --events -j "$D/lo.pcap" >"$D/ev" 2>"$D/replay.err"
expect_eq "replay --events of the capture exits 0" 0 "$?"
expect_eq "replay says nothing was left out" "" "$(cat "$D/replay.err")"
"$PY" "$ROOT/tests/lib/ja4_ref.py" --ports $PORT "$D/lo.pcap" >"$D/ref" 2>"$D/ref.err"
expect_eq "ja4_ref.py (tshark) exits 0" 0 "$?"
PYTHONDONTWRITEBYTECODE=1 "$PY" - "$D" >"$TMP/verdicts" 2>&1 <<'EOF'
import ipaddress, json, os, sys
d = sys.argv[1]
key = lambda e: (ipaddress.ip_address(e["src"]).compressed, e.get("sport", e.get("srcport")))
ref = {key(e): (e["ja4"], e["ja4_r"], e["ja3"]) for e in map(json.loads, open(os.path.join(d, "ref")))}
ev = [e for e in map(json.loads, open(os.path.join(d, "ev"))) if e.get("event") == "tls_hello"]
got = {key(e): (e["ja4"], e["ja4_r"], e["ja3"]) for e in ev}
fams = {ipaddress.ip_address(k[0]).version for k in ref}
print(("ok" if len(ref) == 6 and fams == {4, 6} else "not ok") +
      " tshark finds six hellos, IPv4 and IPv6: %d, %s" % (len(ref), sorted(fams)))
bad = {k: (ref.get(k), got.get(k)) for k in set(ref) | set(got) if ref.get(k) != got.get(k)}
print(("ok" if ref and not bad else "not ok") +
      " each hello counted by replay with tshark's JA4, JA4_r and JA3 (%d of %d; differing: %s)" % (
          len(got), len(ref), bad))
cut = sorted(e["segments"] for e in ev)
print(("ok" if cut.count(1) == 2 and all(s >= 2 for s in cut[2:]) and len(cut) == 6 else "not ok") +
      " the four long hellos came to the program as segments, the two short ones whole: %s" % cut)
EOF
[ $? = 0 ] || grep -q '^not ok' "$TMP/verdicts" || echo "not ok the check itself failed" >>"$TMP/verdicts"
tap_verdicts "$TMP/verdicts"
done_testing
