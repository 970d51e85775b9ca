#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Replay the public captures through the real XDP program:
#  - every SYN's signature equals p0f's raw_sig;
#  - every listed TLS-over-TCP JA4 / JA4_r equals the expected value, and
#    JA3 equals tshark's tls.handshake.ja3.
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
echo "# $syns SYN signatures equal p0f; $ja4 JA4 values equal the expected ones; $ja3 JA3 equal tshark"
[ $syns -gt 0 ] && ok "compared $syns SYN signatures with p0f" || fail "no SYN compared"
[ $ja4 -ge 150 ] && ok "$ja4 expected JA4 values matched" || fail "only $ja4 JA4 values matched (150 expected)"
[ $ja3 -ge 150 ] && ok "$ja3 JA3 values matched tshark" || fail "only $ja3 JA3 values matched tshark"
done_testing
