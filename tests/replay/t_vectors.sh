#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Replay the public captures through the real XDP program:
#  - every SYN's signature equals p0f's raw_sig;
#  - every listed TLS-over-TCP JA4 / JA4_r equals the expected value, and
#    JA3 equals tshark's tls.handshake.ja3;
#  - every listed QUIC JA4 (expected-quic.jsonl) equals the expected value
#    (--handshake none: most of these captures hold only the first
#    flights), and by default exactly the connections whose capture holds
#    the client's Handshake to the server's connection ID count.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd p0f python3 tshark
dir=$VECTORS/foxio-ja4
if [ ! -d "$dir" ]; then
	skip vectors "no public captures in $dir"
	done_testing
fi
syns=0 ja4=0 ja3=0
for f in "$dir"/*.pcap "$dir"/*.pcapng; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	# several captures start mid-connection (no SYN): every ClientHello
	# counts here, this test is about the fingerprints themselves
	"$HS" replay --events -j --handshake none "$f" >"$TMP/ev.jsonl" 2>"$TMP/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "$name: replay exited $rc: $(head -c 300 "$TMP/err")"
		continue
	fi
	if out=$(python3 "$ROOT/tests/lib/p0f_compare.py" "$f" "$TMP/ev.jsonl"); then
		n=$(tail -n1 <<<"$out" | awk '{print $2}')
		syns=$((syns + n))
		ok "$name: $n SYN signatures equal p0f raw_sig"
	else
		fail "$name: $(grep MISMATCH <<<"$out" | head -3 | tr '\n' ' ')"
	fi
	exp=$dir/expected-python/$name.json
	python3 -c 'import json,sys; sys.exit(not any(str(c.get("JA4.1","")).startswith("t") for c in json.load(open(sys.argv[1]))))' "$exp" 2>/dev/null || continue
	if out=$(python3 "$ROOT/tests/lib/ja4_compare.py" "$HS" "$f" "$exp" --tshark); then
		line=$(tail -n1 <<<"$out")
		ja4=$((ja4 + $(sed -E 's/.*: ([0-9]+)\/.*/\1/' <<<"$line")))
		ja3=$((ja3 + $(sed -E 's/.*JA4 match, ([0-9]+)\/.*/\1/' <<<"$line")))
		ok "$line"
		grep '^note' <<<"$out" | sed 's/^/# /'
	else
		fail "$name: $(grep -E 'MISMATCH|MISSING|failed' <<<"$out" | head -4 | tr '\n' ' ')"
	fi
done
qexp=$dir/expected-quic.jsonl
if [ -f "$qexp" ]; then
	if out=$(python3 "$ROOT/tests/lib/quic_compare.py" "$HS" "$dir" "$qexp" --handshake none); then
		ok "$(tail -n1 <<<"$out") (QUIC, every listed connection)"
	else
		fail "QUIC: $(grep -E 'MISMATCH|MISSING|FAILED' <<<"$out" | head -4 | tr '\n' ' ')"
	fi
	# validated by the capture itself: a client Handshake packet whose DCID
	# is the SCID of a server's long-header packet of that flow (tshark)
	want=0 got=0
	for f in $(python3 -c 'import json,sys; print(" ".join(sorted({json.loads(l)["pcap"] for l in open(sys.argv[1]) if l.strip()})))' "$qexp"); do
		n=$(python3 "$ROOT/tests/lib/refcache.py" "$dir/$f" tshark -r "$dir/$f" -Y 'quic.long.packet_type' -T fields -E separator='|' \
			-e udp.srcport -e udp.dstport -e quic.long.packet_type -e quic.dcid -e quic.scid 2>/dev/null |
			python3 -c '
import sys
srv, valid = {}, set()
for line in sys.stdin:
    sp, dp, types, dcids, scids = (line.rstrip("\n").split("|") + [""] * 5)[:5]
    types, dcids, scids = types.split(","), dcids.split(","), scids.split(",")
    for i, t in enumerate(types):
        if sp == "443" and i < len(scids) and scids[i]:
            srv.setdefault(dp, set()).add(scids[i])
        if dp == "443" and t == "2" and i < len(dcids) and dcids[i] in srv.get(sp, ()):
            valid.add(sp)
print(len(valid))')
		m=$("$HS" replay --events -j "$dir/$f" 2>/dev/null | grep -c '"ja4":"q')
		want=$((want + n)) got=$((got + m))
		[ "$n" = "$m" ] || fail "$f: $m QUIC hellos counted validated, the capture validates $n"
	done
	[ "$want" -gt 0 ] && [ "$want" = "$got" ] &&
		ok "QUIC: the $got connections the captures validate counted, no other" ||
		fail "QUIC: $got counted validated, $want validated by the captures"
fi
echo "# $syns SYN signatures equal p0f; $ja4 JA4 values equal the expected ones; $ja3 JA3 equal tshark"
[ $syns -gt 0 ] && ok "compared $syns SYN signatures with p0f" || fail "no SYN compared"
[ $ja4 -ge 150 ] && ok "$ja4 expected JA4 values matched" || fail "only $ja4 JA4 values matched (150 expected)"
[ $ja3 -ge 150 ] && ok "$ja3 JA3 values matched tshark" || fail "only $ja3 JA3 values matched tshark"
done_testing
