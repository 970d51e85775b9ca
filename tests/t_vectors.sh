#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Replay the public captures: every SYN's signature equals p0f's raw_sig.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd p0f python3
dir=$VECTORS/foxio-ja4
if [ ! -d "$dir" ]; then
	skip vectors "no public captures in $dir"
	done_testing
fi
total=0
for f in "$dir"/*.pcap "$dir"/*.pcapng; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	"$HS" replay --events -j "$f" >"$TMP/ev.jsonl" 2>"$TMP/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "$name: replay exited $rc: $(head -c 300 "$TMP/err")"
		continue
	fi
	if out=$(python3 "$ROOT/tests/p0f_compare.py" "$f" "$TMP/ev.jsonl"); then
		n=$(tail -n1 <<<"$out" | awk '{print $2}')
		total=$((total + n))
		ok "$name: $n SYN signatures equal p0f raw_sig"
	else
		fail "$name: $(grep MISMATCH <<<"$out" | head -3 | tr '\n' ' ')"
	fi
done
echo "# $total SYN signatures compared with p0f"
[ $total -gt 0 ] && ok "compared $total SYN signatures in all" || fail "no SYN compared"
done_testing
