#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A QUIC capture taken on the client's own host, replayed. Firefox (neqo)
# sends its long post-quantum hello's two Initials with UDP GSO, so that
# tcpdump on the sending host records them as one frame of two datagrams
# (~2,500 bytes), as a capture taken where UDP GRO merged them holds them.
# In a namespace of its own, over loopback: ngtcp2's server (gtlsserver)
# on UDP 9443, one page load of headless firefox forced onto QUIC, tcpdump
# on lo. Checked: the capture holds such a frame; replay counts each hello
# tshark decrypts from it (tests/lib/quic_ref.py), with the JA4 of those
# bytes (quicgen.ja4_of), and the page loaded.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd python3 tshark tcpdump gtlsserver firefox-esr certutil openssl
need_hs
PY=$(python3 -c 'import sys; print(sys.executable)')
PORT=9443
NS=$TAG-gso
D=$TMP/gso
mkdir -p "$D/html" "$D/prof"
echo "hydrascope quic test server" >"$D/html/index.html"
keep_on_fail "$D/lo.pcap" "$D/ff.log" "$D/server.log"

ns_add "$NS"
if ! ca_cert "$D" hs.test "DNS:hs.test,IP:127.0.0.1"; then
	fail "openssl: $(cat "$D/openssl.log")"
	done_testing
fi
bg_job SRV_PID nsenter --net=/run/netns/"$NS" gtlsserver -q -d "$D/html" 127.0.0.1 $PORT "$D/key.pem" "$D/cert.pem" \
	>"$D/server.log" 2>&1
bg_job DUMP_PID nsenter --net=/run/netns/"$NS" tcpdump -i lo -U --immediate-mode -w "$D/lo.pcap" udp port $PORT 2>"$D/tcpdump.log"
if wait_for 10 grep -q 'listening on' "$D/tcpdump.log" &&
	wait_for 10 sh -c "nsenter --net=/run/netns/$NS ss -Hlun | grep -q ':$PORT '"; then
	ok "ngtcp2's server on 127.0.0.1:$PORT and tcpdump on lo, in namespace $NS"
else
	fail "server and capture expected: $(head -c 300 "$D/server.log" "$D/tcpdump.log" | tr '\n' '|')"
	done_testing
fi

firefox_quic_profile "$D/prof" "$D/ca.pem" 127.0.0.1 $PORT >/dev/null 2>&1 ||
	fail "certutil: a firefox profile trusting the test CA"
for attempt in 1 2; do
	HOME=$D/prof timeout -k 5 30 nsenter --net=/run/netns/"$NS" firefox-esr --headless --no-remote --profile "$D/prof" \
		--screenshot "$D/page.png" "https://127.0.0.1:$PORT/" >"$D/ff.log" 2>&1
	[ -s "$D/page.png" ] && break
done
check "firefox loaded the page over QUIC (screenshot saved)" test -s "$D/page.png"
sleep 0.5
bg_stop "$DUMP_PID" INT 5

big=$(tshark -r "$D/lo.pcap" -Y "udp.dstport == $PORT && udp.length > 1500" -T fields \
	-e udp.length 2>/dev/null | head -1)
if [ -n "$big" ]; then
	ok "the capture holds the client's GSO send as one frame (UDP length $big)"
else
	fail "a client frame over 1,500 bytes (a GSO send) expected in the capture, got: $(tshark -r "$D/lo.pcap" -T fields -e udp.length 2>/dev/null | head -5 | tr '\n' ' ')"
fi
"$HS" replay --quic-ports $PORT --events -j "$D/lo.pcap" >"$D/ev" 2>"$D/replay.err"
expect_eq "replay --events of the capture exits 0" 0 "$?"
"$PY" "$ROOT/tests/lib/quic_ref.py" "$D/lo.pcap" >"$D/ref" 2>"$D/ref.err"
expect_eq "quic_ref.py (tshark) exits 0" 0 "$?"
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$ROOT/tests/lib "$PY" - "$D" >"$TMP/verdicts" 2>&1 <<'EOF'
import json, os, sys
import quicgen
d = sys.argv[1]
ref = {}
for line in open(os.path.join(d, "ref")):
    src, sport, hx = line.split()[:3]
    ref[(src, int(sport))] = quicgen.ja4_of(bytes.fromhex(hx))[0]
got = {(e["src"], e["sport"]): e["ja4"] for e in map(json.loads, open(os.path.join(d, "ev")))
       if e.get("event") == "tls_hello"}
print(("ok" if ref and got == ref else "not ok") +
      " each hello tshark decrypts counted by replay with its JA4: tshark %s, replay %s" % (
          sorted(ref.items()), sorted(got.items())))
EOF
[ $? = 0 ] || grep -q '^not ok' "$TMP/verdicts" || echo "not ok the check itself failed" >>"$TMP/verdicts"
tap_verdicts "$TMP/verdicts"
done_testing
