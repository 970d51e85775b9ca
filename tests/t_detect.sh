#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The detector offline, short form of `make eval`: seeded captures with a
# hydra (3,000 / 500 IPs, and one behind a stack with legitimate users) and
# legit-only traffic; every hydra alerted within 2 windows, no false alert.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd python3
out=$(python3 "$ROOT/tests/eval.py" "$HS" --seeds 7 --minutes 20 --scale 0.3 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
while read -r name _ seed json; do
	case $name in hydra-*|legit-*) ;; *) continue;; esac
	if [[ $name == legit-* ]]; then
		[[ $json == *'"false_alerts": []'* ]] && ok "$name: no alert" || fail "$name: no alert expected, got $json"
	else
		[[ $json == *'"alerted": true'* && $json =~ \"delay_windows\":\ [12], && $json == *'"false_alerts": []'* ]] &&
			ok "$name: alerted within 2 windows, nothing else alerted" ||
			fail "$name: alert within 2 windows and no false alert expected, got $json"
	fi
done <<<"$out"
expect_eq "eval verdict" 0 $rc
# the same replay, redacted: sample_ips are keyed hashes, never addresses
python3 "$ROOT/tests/scenario.py" --out "$TMP/s.pcap" --seed 7 --minutes 6 --scale 0.2 \
	--hydra-ips 600 --hydra-start 3 --quiet
"$HS" replay --window 60 -j --redact-ips "$TMP/s.pcap" >"$TMP/a.jsonl"
grep -q '"state":"new"' "$TMP/a.jsonl" && ok "an alert in the short capture" || fail "no alert in the short capture"
if grep -q '"sample_ips":\["h:' "$TMP/a.jsonl" && ! grep -qE '"sample_ips":\[[^]]*198\.1[89]\.' "$TMP/a.jsonl"; then
	ok "--redact-ips: sample_ips are keyed hashes"
else
	fail "--redact-ips: hashed sample_ips expected, got $(head -c 300 "$TMP/a.jsonl")"
fi
"$HS" replay --window 60 --alerts "$TMP/alerts.log" "$TMP/s.pcap" >/dev/null
expect_eq "--alerts FILE is created 0600" 600 "$(stat -c %a "$TMP/alerts.log")"
grep -q ' hydra new ' "$TMP/alerts.log" && ok "human-readable alert in the file" || fail "alert file: $(head -c 300 "$TMP/alerts.log")"
done_testing
