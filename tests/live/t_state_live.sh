#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The detector's state across a restart of `run`, and --config live. A
# config file with thresholds low enough for one client (window 2 s, warm-up
# 3 windows; its min_ips = 500 overridden by --min-ips 1) and a TLS client
# (curl) connecting steadily. First run: the warm-up passes with no alert;
# SIGTERM; the state file is there, 0600 in a 0700 directory, with curl's
# JA4 and the windows closed, and the seen history (state-IFACE.seen, 0600)
# with curl's source. Second run on the same --state-dir: it says the
# state was restored; the warm-up is not repeated, so a client stack first
# seen after the restart (gnutls-cli) is "new" in the first windows and
# curl's known JA4 is not; its seen map (a cold start: the first run's
# pins went with it) holds the saved entries again (status -j, the log,
# hydrascope_seen_entries). Truncated state and seen files: one line each,
# the run starts fresh and exits 0.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool python3 nsenter ps timeout openssl curl gnutls-cli
need_hs

WINDOW=2
WARMUP=3
TLS_PORT=443
BED_PORTS=(80 8080)        # the plain TCP server keeps off the TLS port
STATE=$TMP/state
ALERTS=$TMP/alerts.jsonl
T0=$SECONDS

cat >"$TMP/hs.ini" <<EOF
; one client is "wide" here: a test, not a deployment
[detect]
min_ips = 500              ; --min-ips 1 on the command line wins
min_nets = 1
max_conns_per_ip = 1000
min_stacks = 1
warmup = $WARMUP
window = $WINDOW

[allow]
ja4 = t13d0000h2_000000000000_000000000000
EOF

if ! bed_net 2 || ! bed_tls_server $TLS_PORT; then
	fail "test bed with 2 clients and a TLS server could not be built"
	done_testing
fi
ok "test bed: server $BED_SRV_IP with TLS on port $TLS_PORT"

# client NAME: a TLS client twice a second, until $TMP/stop-NAME exists:
# curl from client namespace 1, gnutls-cli from namespace 2 (an address the
# site has not seen: from curl's, known to the site, a new JA4 would be its
# users moving to another client, not a new population)
client() {
	local ns=${BED_CLIENTS[0]} ip=$BED_SRV_IP host=$BED_TLS_NAME
	[ "$1" = gnutls ] && ns=${BED_CLIENTS[1]}
	while [ ! -e "$TMP/stop-$1" ]; do
		case $1 in
		curl)
			timeout 10 nsenter --net=/run/netns/"$ns" curl -sS -k --max-time 5 \
				--resolve "$host:$TLS_PORT:$ip" -o /dev/null "https://$host/";;
		gnutls)
			timeout 10 nsenter --net=/run/netns/"$ns" gnutls-cli --insecure \
				--sni-hostname "$host" --port $TLS_PORT "$ip" </dev/null >/dev/null 2>&1;;
		esac
		sleep 0.5
	done
}
windows() { grep -c 'judged' "$1"; }
windows_ge() { [ "$(windows "$1")" -ge "$2" ]; }

# ---- first run: the warm-up, then SIGTERM ----
if ! hs_start HS_PID "$BED_PINS" "$TMP/run1.log" --config "$TMP/hs.ini" --min-ips 1 \
	-j --alerts "$ALERTS" --state-dir "$STATE" -v; then
	fail "first run with --config and --state-dir: attachment expected (log above)"
	done_testing
fi
grep -q 'detector state restored' "$TMP/run1.log" &&
	fail "first run: nothing to restore expected: $(grep restored "$TMP/run1.log")" ||
	ok "first run: no state to restore"
[ "$(stat -c %a "$STATE" 2>/dev/null)" = 700 ] && ok "--state-dir created 0700" ||
	fail "--state-dir: a 0700 directory expected, got $(stat -c %a "$STATE" 2>&1)"
bg_job CURL_PID client curl
wait_for $((WINDOW * (WARMUP + 4))) windows_ge "$TMP/run1.log" $((WARMUP + 1))
n1=$(windows "$TMP/run1.log")
[ "$n1" -gt $WARMUP ] && ok "first run: $n1 windows judged" ||
	fail "first run: more than $WARMUP windows expected, got $n1: $(tail -n 3 "$TMP/run1.log" | tr '\n' '|')"
bg_stop "$HS_PID" TERM 10
expect_eq "first run exits 0 on SIGTERM" 0 $?
expect_eq "first run: no alert (warm-up, then a known client)" "" "$(cat "$ALERTS" 2>/dev/null)"

F=$STATE/state-$BED_DEV.json
expect_eq "state file $F is 0600" 600 "$(stat -c %a "$F" 2>&1)"
expect_eq "TCP stacks' state file is 0600" 600 "$(stat -c %a "${F%.json}-tcp.json" 2>&1)"
expect_eq "TCP stacks' state file kind" tcp \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kind"])' "${F%.json}-tcp.json" 2>&1)"
read -r w1 curl_ja4 curl_w1 < <(python3 - "$F" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["format"] == "hydrascope-detector-state" and s["version"] == 3 and s["window_s"] == 2
assert s["kind"] == "tls"
assert len(s["history"]) == min(s["windows"], 60)
assert all(o[0] < len(s["fingerprints"]) for h in s["history"] for o in h["obs"])
best = max(s["fingerprints"], key=lambda f: f["windows"])
print(s["windows"], best["name"], best["windows"])
EOF
)
SEEN=$STATE/state-$BED_DEV.seen
expect_eq "seen history $SEEN is 0600" 600 "$(stat -c %a "$SEEN" 2>&1)"
# 64-byte header, 40 bytes an entry: curl's source with its JA4, its /24
# with it, the source with the site (and any other JA4 of the client)
seen1=$(( ($(stat -c %s "$SEEN" 2>/dev/null || echo 0) - 64) / 40 ))
[ "$seen1" -ge 3 ] && [ $(( ($(stat -c %s "$SEEN") - 64) % 40 )) = 0 ] &&
	ok "seen history: $seen1 entries" ||
	fail "seen history: 64 + 40 x N bytes, N >= 3 expected, got $(stat -c %s "$SEEN" 2>&1) bytes"
[ -n "$curl_ja4" ] && [ "$w1" -ge "$n1" ] && [ "$curl_w1" -ge 2 ] &&
	ok "state file: format version 3, $w1 windows closed, curl's JA4 $curl_ja4 seen in $curl_w1" ||
	fail "state file: version, windows >= $n1 and a JA4 seen in 2+ windows expected: $(head -c 400 "$F")"

# ---- second run: the state restored, no second warm-up ----
: >"$ALERTS"
if ! hs_start HS_PID2 "$BED_PINS" "$TMP/run2.log" --config "$TMP/hs.ini" --min-ips 1 \
	-j --alerts "$ALERTS" --state-dir "$STATE" -v --metrics 127.0.0.1:19746; then
	fail "second run: attachment expected (log above)"
	done_testing
fi
line=$(grep -m1 'detector state restored from' "$TMP/run2.log")
[[ $line == *"$F: $w1 windows closed"* ]] && ok "second run: $line" ||
	fail "second run: 'detector state restored from $F: $w1 windows closed' expected, got: $(head -n 3 "$TMP/run2.log" | tr '\n' '|')"
line=$(grep -m1 'TCP stack state restored from' "$TMP/run2.log")
[[ $line == *"${F%.json}-tcp.json: $w1 windows closed"* ]] && ok "second run: $line" ||
	fail "second run: 'TCP stack state restored from ${F%.json}-tcp.json: $w1 windows closed' expected, got: $(head -n 3 "$TMP/run2.log" | tr '\n' '|')"
# the windows restored are published at once, not after the next window
# (one closing meanwhile may or may not be in the scrape)
wait_for 5 grep -q 'TCP stack state restored' "$TMP/run2.log"
j0=$(windows "$TMP/run2.log")
got=$(nsx "$BED_SRV" curl -sS --max-time 5 http://127.0.0.1:19746/metrics |
	awk '$1 == "hydrascope_detector_windows_total" { print $2 }')
j1=$(windows "$TMP/run2.log")
[ "$got" = $((w1 + j0)) ] || [ "$got" = $((w1 + j1)) ] &&
	ok "second run: hydrascope_detector_windows_total $got at once ($w1 restored, $j1 judged)" ||
	fail "second run: hydrascope_detector_windows_total $((w1 + j0)) expected ($w1 restored, $j0 judged), got '$got'"
line=$(grep -m1 'seen history restored from' "$TMP/run2.log")
[[ $line == *"$SEEN: $seen1 entries, 0 older than the history left out"* ]] &&
	ok "second run: $line" ||
	fail "second run: 'seen history restored from $SEEN: $seen1 entries, 0 older ...' expected, got: $(grep seen "$TMP/run2.log" | tr '\n' '|')"
got=$("$HS" status --pin-dir "$BED_PINS" -j 2>&1 | python3 -c '
import json, sys
s = json.load(sys.stdin)["maps"]["seen"]
print(s["entries"], s["max_entries"], s["complete"])' 2>&1)
read -r seen2 seen_max seen_complete <<<"$got"
[ "${seen2:-0}" -ge "$seen1" ] && [ "$seen_complete" = True ] && [ "${seen_max:-0}" -gt 0 ] &&
	ok "second run: status -j counts $seen2 seen entries of $seen_max (the $seen1 restored)" ||
	fail "second run: status -j: maps.seen with >= $seen1 entries, complete, expected: $got"
got=$(nsx "$BED_SRV" curl -sS --max-time 5 http://127.0.0.1:19746/metrics |
	awk '$1 == "hydrascope_seen_entries" { print $2 }')
expect_eq "second run: hydrascope_seen_entries (restored, before any save)" "$seen1" "$got"
bg_job GNUTLS_PID client gnutls
wait_for $((WINDOW * 5)) windows_ge "$TMP/run2.log" 2
touch "$TMP/stop-curl" "$TMP/stop-gnutls"
bg_stop "$HS_PID2" TERM 10
expect_eq "second run exits 0 on SIGTERM" 0 $?
python3 - "$ALERTS" "$curl_ja4" <<'EOF' && ok "second run: a 'new' alert for the stack first seen after the restart, none for curl's" ||
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
alerts = [a for a in alerts if a["event"] == "hydra"]
new = [a for a in alerts if a["state"] == "new" and a["ja4"] != sys.argv[2] and "new" in a["reasons"]]
sys.exit(0 if new and not any(a["ja4"] == sys.argv[2] for a in alerts) else 1)
EOF
	fail "second run: a 'new' alert for gnutls-cli's JA4 and none for $curl_ja4 expected: $(head -c 600 "$ALERTS")"
python3 - "$F" "$w1" "$curl_ja4" "$curl_w1" <<'EOF' && ok "state file after the second run: windows and curl's history continued" ||
import json, sys
s = json.load(open(sys.argv[1]))
f = [f for f in s["fingerprints"] if f["name"] == sys.argv[3]]
sys.exit(0 if s["windows"] > int(sys.argv[2]) and f and f[0]["windows"] > int(sys.argv[4]) else 1)
EOF
	fail "state file: windows > $w1 and $curl_ja4 seen in more than $curl_w1 windows expected: $(head -c 400 "$F")"
ls "$STATE" | grep -v "^state-$BED_DEV\(-tcp\.json\|\.json\|\.seen\)\$" | grep -q . &&
	fail "state dir: only the state files expected, got $(ls "$STATE")" || ok "no temporary file left in the state dir"

# ---- corrupt state files: reported in one line each, run starts fresh ----
printf '{"format":"hydrascope-detector-state","version":1,"win' >"$F"
size=$(stat -c %s "$SEEN")
truncate -s $((size - 17)) "$SEEN"
if hs_start HS_PID3 "$BED_PINS" "$TMP/run3.log" --window $WINDOW --state-dir "$STATE"; then
	n=$(grep -c 'Ignoring detector state.*starting fresh' "$TMP/run3.log")
	expect_eq "truncated state file: one line, starting fresh" 1 "$n"
	n=$(grep -c "Ignoring seen history $SEEN: truncated or padded: $((size - 17)) bytes .*; starting with an empty seen map\$" "$TMP/run3.log")
	expect_eq "truncated seen history: one line, starting with an empty map" 1 "$n"
	got=$("$HS" status --pin-dir "$BED_PINS" -j 2>&1 |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["maps"]["seen"]["entries"])' 2>&1)
	expect_eq "truncated seen history: the seen map empty" 0 "$got"
	bg_stop "$HS_PID3" TERM 10
	expect_eq "run with truncated state files exits 0 on SIGTERM" 0 $?
	n=$(stat -c %s "$SEEN" 2>&1)
	[ $(( (n - 64) % 40 )) = 0 ] && ok "seen history saved whole again at exit ($n bytes)" ||
		fail "seen history after the third run: 64 + 40 x N bytes expected, got $n"
else
	fail "run with truncated state files: attachment expected (log above)"
fi
echo "# total $((SECONDS - T0)) s"
done_testing
