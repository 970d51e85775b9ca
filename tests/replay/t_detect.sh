#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The detector offline, short form of `make eval`: seeded captures with a
# hydra (3,000 / 500 IPs, one behind a stack with legitimate users, one on a
# single TCP stack) and legit-only traffic; every hydra alerted within 2
# windows, the single-stack one also as a TCP stack, no false alert.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd python3 tshark
out=$(python3 "$ROOT/tests/tools/eval.py" "$HS" --seeds 7 --minutes 20 --scale 0.3 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
while read -r name _ seed json; do
	case $name in hydra-*|legit-*) ;; *) continue;; esac
	if [[ $name == hydra-one-stack ]]; then
		[[ $json =~ \"tcp_delay_windows\":\ [12], && $json == *'"tcp_false_alerts": []'* ]] &&
			ok "$name: its TCP stack alerted (hydra_tcp) within 2 windows, no other stack" ||
			fail "$name: a hydra_tcp alert for its stack within 2 windows expected, got $json"
	else
		[[ $json == *'"tcp_alerted": []'* && $json == *'"tcp_false_alerts": []'* ]] &&
			ok "$name: no TCP stack alerted" || fail "$name: no hydra_tcp alert expected, got $json"
	fi
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
python3 "$ROOT/tests/lib/scenario.py" --out "$TMP/s.pcap" --seed 7 --minutes 6 --scale 0.2 \
	--hydra-ips 600 --hydra-start 3 --quiet
"$HS" replay --window 60 -j --redact-ips "$TMP/s.pcap" >"$TMP/a.jsonl"
grep -q '"state":"new"' "$TMP/a.jsonl" && ok "an alert in the short capture" || fail "no alert in the short capture"
if grep -q '"sample_ips":\["h:' "$TMP/a.jsonl" && ! grep -qE '"sample_ips":\[[^]]*198\.1[89]\.' "$TMP/a.jsonl"; then
	ok "--redact-ips: sample_ips are keyed hashes"
else
	fail "--redact-ips: hashed sample_ips expected, got $(head -c 300 "$TMP/a.jsonl")"
fi
# the hydra's JA4 allowlisted in a config file: no alert for it any more;
# with its own min_ips below the hydra's size, it alerts again
hydra=$(sed -n 's/.*"state":"new".*"ja4":"\([^"]*\)".*/\1/p' "$TMP/a.jsonl" | head -n 1)
printf '[detect]\nwindow = 60\n[allow]\nja4 = %s\n' "$hydra" >"$TMP/allow.ini"
"$HS" replay --config "$TMP/allow.ini" -j --alerts - "$TMP/s.pcap" >"$TMP/b.jsonl"
[ -n "$hydra" ] && ! grep -qF "\"ja4\":\"$hydra\"" "$TMP/b.jsonl" &&
	ok "--config: the allowlisted hydra JA4 $hydra does not alert" ||
	fail "--config: no alert for allowlisted '$hydra' expected: $(head -c 300 "$TMP/b.jsonl")"
printf '[detect]\nwindow = 60\n[allow "%s"]\nmin_ips = 300\n' "$hydra" >"$TMP/allow.ini"
"$HS" replay --config "$TMP/allow.ini" -j --alerts - "$TMP/s.pcap" >"$TMP/b.jsonl"
grep -qF "\"ja4\":\"$hydra\"" "$TMP/b.jsonl" &&
	ok "--config: allowlisted with its own min_ips 300, the hydra alerts past it" ||
	fail "--config: an alert for '$hydra' past its own min_ips expected: $(head -c 300 "$TMP/b.jsonl")"
"$HS" replay --config "$TMP/allow.ini" --min-ips 100000 -j --alerts - "$TMP/s.pcap" >"$TMP/b.jsonl"
expect_eq "--min-ips 100000 overrides the file: no alert" "" "$(cat "$TMP/b.jsonl")"
# the same hydra ten years later (2036): the empty windows between are
# counted once all is forgotten, not closed one by one (5 million of them
# took most of an hour); the hydra alerts in both
python3 "$ROOT/tests/lib/scenario.py" --out "$TMP/later.pcap" --seed 7 --minutes 6 --scale 0.2 \
	--hydra-ips 600 --hydra-start 3 --start-epoch 2082758400 --quiet
start=$SECONDS
timeout 120 "$HS" replay --window 60 -j "$TMP/s.pcap" "$TMP/later.pcap" >"$TMP/gap.jsonl"
expect_eq "two captures ten years apart: replay ends (in $((SECONDS - start)) s)" 0 $?
n2026=$(grep '"state":"new"' "$TMP/gap.jsonl" | grep -c '"ts":"2026-')
n2036=$(grep '"state":"new"' "$TMP/gap.jsonl" | grep -c '"ts":"2036-')
[ "$n2026" -gt 0 ] && [ "$n2036" -gt 0 ] && ok "alerts in both: $n2026 and $n2036" ||
	fail "alerts in both captures expected, got $n2026 and $n2036"
# windows end inside a batch of frames (one test run holds up to 256):
# every window's ClientHellos are its own, as tshark counts them by time
printf '[detect]\nwarmup = 0\nmin_ips = 1\nmin_nets = 1\nalert_score = 1\n' >"$TMP/all.ini"
"$HS" replay -j --window 5 -c "$TMP/all.ini" "$ROOT/tests/data/templates/curl.pcap" >"$TMP/w.jsonl"
tshark -r "$ROOT/tests/data/templates/curl.pcap" -Y 'tls.handshake.type == 1' -T fields \
	-e frame.time_epoch 2>/dev/null >"$TMP/w.times"
python3 - "$TMP/w.jsonl" "$TMP/w.times" <<'PY' && ok "--window 5 on 42 packets: each window's ClientHellos in its own alert" ||
import calendar, collections, json, sys, time
want = collections.Counter(int(float(t)) // 5 * 5 + 5 for t in open(sys.argv[2]).read().split())
got = {}
for line in open(sys.argv[1]):
    a = json.loads(line)
    if a["event"] == "hydra" and a["state"] != "ended":
        got[calendar.timegm(time.strptime(a["ts"], "%Y-%m-%dT%H:%M:%SZ"))] = a["conns"]
bad = {t: (got[t], want.get(t, 0)) for t in got if got[t] != want.get(t, 0)}
print("# windows alerted %d, ClientHellos by window %s" % (len(got), sorted(want.items())))
sys.exit(0 if len(got) >= 2 and not bad else 1)
PY
	fail "--window 5: an alert's conns the ClientHellos of its window expected: $(cut -c1-200 "$TMP/w.jsonl" | head -n 3)"
"$HS" replay --window 60 --alerts "$TMP/alerts.log" "$TMP/s.pcap" >/dev/null
expect_eq "--alerts FILE is created 0600" 600 "$(stat -c %a "$TMP/alerts.log")"
grep -q ' hydra new ' "$TMP/alerts.log" && ok "human-readable alert in the file" || fail "alert file: $(head -c 300 "$TMP/alerts.log")"
done_testing
