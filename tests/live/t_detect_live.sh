#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The hydra detector live: `hydrascope run --window 4 -j --alerts FILE`
# attached natively on the server's veth of the netns test bed, a TLS
# server, legitimate diverse clients (curl, openssl s_client, gnutls-cli,
# python3 ssl, each from its own client namespace and TCP stack) connecting
# steadily from the start. After the warm-up (3 windows) a hydra: one
# client stack (python3 ssl, one TLS configuration) making real TLS
# handshakes from 1,000+ source addresses of 198.19.0.0/16 over 120 /24s,
# spread over three client namespaces (three TCP stacks), 1-3 connections
# per address. Checks: a "new" alert for the hydra's JA4 within 2 windows
# of its start, with "new" or "widening" among its reasons, and ips >= 500
# in its widest window (the hydra may span windows: on a loaded machine,
# or under the sanitizer build, it takes 7 to 11 s);
# no alert for any other JA4; the handshakes complete (fail-open); the
# daemon detaches and removes its pins on SIGTERM. During the hydra,
# spoofed traffic (tests/lib/spoof.py, raw sockets): a SYN flood with a new
# TCP fingerprint per SYN, shed beyond the window's budget without filling
# the map, and ClientHellos from sources that never saw our SYN-ACK, never
# counted (their JA4 never appears).
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool python3 nsenter ps timeout openssl curl gnutls-cli
need_hs

WINDOW=4
WARMUP=3                   # the detector's default warm-up, in windows
TLS_PORT=443
BED_PORTS=(80 8080)        # the plain TCP server keeps off the TLS port
HYDRA_NS=(1 2 3)           # client namespaces (TCP stacks) the hydra uses
HYDRA_NETS_PER_NS=40       # /24s of 198.19.0.0/16 per namespace
HYDRA_HOSTS=9              # addresses per /24
ALERTS=$TMP/alerts.jsonl
T0=$SECONDS

if ! bed_net 4; then
	fail "test bed with 4 clients could not be built"
	done_testing
fi
ok "test bed: server $BED_SRV_IP, router, clients ${BED_CLIENT_IPS[*]}"
if ! bed_tls_server $TLS_PORT; then
	fail "TLS server on port $TLS_PORT in $BED_SRV"
	done_testing
fi

# ---- the hydra's addresses: 198.19.(64*(i-1) + k).h on client i ----
bed_hydra_addrs $HYDRA_NETS_PER_NS $HYDRA_HOSTS "${HYDRA_NS[@]}" ||
	{ fail "hydra addresses in the client namespaces ${HYDRA_NS[*]}"; done_testing; }
nhydra=$BED_HYDRA_N
ok "$nhydra hydra addresses over $((HYDRA_NETS_PER_NS * ${#HYDRA_NS[@]})) /24s of 198.19.0.0/16 in ${#HYDRA_NS[@]} client namespaces"

if ! hs_start HS_PID "$BED_PINS" "$TMP/run.log" --window $WINDOW -j --alerts "$ALERTS" -v; then
	fail "hydrascope run -i $BED_DEV -m native --window $WINDOW: attachment expected (log above)"
	done_testing
fi
case $(grep -m1 '^hydrascope: attached to ' "$TMP/run.log") in
*" in native mode"*) ok "hydrascope attached to $BED_DEV in native mode";;
*) fail "run: 'in native mode' expected, got: $(head -n 3 "$TMP/run.log" | tr '\n' '|')";;
esac
T_ATTACH=$SECONDS
windows() { grep -c 'judged' "$TMP/run.log"; }
windows_ge() { [ "$(windows)" -ge "$1" ]; }

# ---- legitimate clients, steadily, from the start ----
# legit NAME I: client NAME in client namespace I, once a second until
# $TMP/stop exists; one line per run in $TMP/legit-NAME.log (exit status)
legit() {
	local name=$1
	while [ ! -e "$TMP/stop" ]; do
		bed_tls_once "$name" "$2" $TLS_PORT
		echo $? >>"$TMP/legit-$name.log"
		sleep 1
	done
}
LEGIT=(curl:1 openssl:2 gnutls:3 python3:4)
for l in "${LEGIT[@]}"; do
	bg_job pid legit "${l%:*}" "${l#*:}" 2>/dev/null
done

# ---- warm-up: WARMUP windows judged. dump shows only the current window
# (and the finished one until run has read it): the legitimate JA4s are
# those of dumps taken every second meanwhile ----
end=$((SECONDS + WINDOW * (WARMUP + 2)))
: >"$TMP/dump-legit.json"
while ! windows_ge $WARMUP && ((SECONDS < end)); do
	"$HS" dump --pin-dir "$BED_PINS" -j >>"$TMP/dump-legit.json" 2>"$TMP/dump.err"
	sleep 1
done
if ! windows_ge $WARMUP; then
	fail "$WARMUP windows judged within $((WINDOW * (WARMUP + 2))) s: $(windows) ($(tail -n 3 "$TMP/run.log" | tr '\n' '|'))"
	done_testing
fi
ok "warm-up: $WARMUP windows judged $((SECONDS - T_ATTACH)) s after the attachment"
legit_ja4=$(sed -n 's/.*"kind":"tls","ja4":"\([^"]*\)".*/\1/p' "$TMP/dump-legit.json" | sort -u)
n_legit=$(echo "$legit_ja4" | grep -c .)
[ "$n_legit" -ge 4 ] && ok "dumps during the warm-up: $n_legit legitimate JA4s" ||
	fail "4 or more legitimate JA4s expected in the dumps, got: $legit_ja4 $(cat "$TMP/dump.err")"

# ---- the hydra: python3 ssl, one configuration, from every address ----
cat >"$TMP/hydra.py" <<'EOF'
import concurrent.futures, random, socket, ssl, sys
host, port, name, addrs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
addrs = open(addrs).read().split()
rnd = random.Random(addrs[0])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
ctx.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
ctx.set_alpn_protocols(["http/1.1"])
# every address once, then about half of them again, then a quarter:
# 1-3 connections per address
plan = list(addrs)
rnd.shuffle(plan)
second = rnd.sample(addrs, len(addrs) // 2)
plan += second + rnd.sample(second, len(second) // 2)
def one(src):
    try:
        with socket.create_connection((host, port), timeout=10, source_address=(src, 0)) as c:
            with ctx.wrap_socket(c, server_hostname=name):
                return True
    except OSError:
        return False
with concurrent.futures.ThreadPoolExecutor(24) as ex:
    res = list(ex.map(one, plan))
print(sum(res), len(res) - sum(res), len(plan))
EOF
# counters before the hydra and the spoofed traffic that comes with it
counters() {
	nsx "$BED_SRV" "$HS" status --pin-dir "$BED_PINS" -j 2>/dev/null |
		python3 -c 'import json, sys; c = json.load(sys.stdin)["counters"]; print(" ".join("%s=%d" % kv for kv in c.items()))'
}
C0=$(counters)
T_HYDRA=$SECONDS E_HYDRA=$(date +%s)
W_HYDRA=$(windows)         # windows judged before the hydra started
# with it, from client 4's namespace: a SYN flood with a new TCP
# fingerprint per SYN (random sources and options), and ClientHellos from
# spoofed sources that never saw our SYN-ACK (SYN_FLOOD, SPOOFED each)
SYN_FLOOD=30000 SPOOFED=300
bg_job fpid nsenter --net=/run/netns/"${BED_CLIENTS[3]}" "$BED_PY" "$ROOT/tests/lib/spoof.py" \
	"$BED_SRV_IP" 8080 flood $SYN_FLOOD >"$TMP/flood.out" 2>&1
bg_job spid nsenter --net=/run/netns/"${BED_CLIENTS[3]}" "$BED_PY" "$ROOT/tests/lib/spoof.py" \
	"$BED_SRV_IP" $TLS_PORT hellos $SPOOFED >"$TMP/spoof.out" 2>&1
hpids=()
for i in "${HYDRA_NS[@]}"; do
	bg_job pid nsenter --net=/run/netns/"${BED_CLIENTS[i - 1]}" "$BED_PY" "$TMP/hydra.py" \
		"$BED_SRV_IP" $TLS_PORT "$BED_TLS_NAME" "$TMP/addrs$i.txt" >"$TMP/hydra$i.out" 2>&1
	hpids+=("$pid")
done
echo "# hydra started $((T_HYDRA - T0)) s in, after window $W_HYDRA"
# dumps while it runs: the hydra's JA4 is the new one with the most ips
dump_while "$TMP/dump-hydra.json" "$BED_PINS" "${hpids[@]}"
# the hydra ended on its own; the others are stopped if they hang
for p in "${hpids[@]}" "$fpid" "$spid"; do
	wait_for 90 eval "! running $p"
	bg_stop "$p"
done
T_HYDRA_END=$SECONDS
read -r good bad total < <(cat "$TMP"/hydra?.out | awk '{g += $1; b += $2; t += $3} END {print g + 0, b + 0, t + 0}')
echo "# hydra: $total connections, $good handshakes completed, $bad failed, in $((T_HYDRA_END - T_HYDRA)) s"
[ "$total" -ge "$nhydra" ] && [ "$bad" -le $((total / 100)) ] &&
	ok "hydra: $good of $total handshakes completed from $nhydra addresses" ||
	fail "hydra: at least $nhydra connections, at most 1% failed expected, got $good ok, $bad failed ($(cat "$TMP"/hydra?.out | tr '\n' '|'))"
srv_ok=$(grep -c '^ok 198\.19\.' "$BED_TLS_LOG")
[ "$srv_ok" -ge "$good" ] && ok "the server completed $srv_ok handshakes from 198.19.0.0/16" ||
	fail "server: $good handshakes from 198.19.0.0/16 expected, got $srv_ok"

hydra_ja4=$(python3 -c '
import json, sys
legit = set(sys.argv[2].split())
best = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("kind") == "tls" and o["ja4"] not in legit:
        best[o["ja4"]] = max(best.get(o["ja4"], 0), o["ips"])
if best:
    print(max(best, key=best.get))' "$TMP/dump-hydra.json" "$legit_ja4")
[ -n "$hydra_ja4" ] && ok "the hydra's JA4 (from dump): $hydra_ja4" ||
	fail "a new JA4 in dump while the hydra ran expected"
# A spoofed ClientHello after a spoofed SYN guesses our SYN-ACK's number:
# the ACKs accepted are a window of 2^20 of 2^32, so each of the $SPOOFED
# counts with odds of 1 in 4,096 (0.07 expected in all; 3 or more, 1 run in
# 15,000). What else is new must be the hydra's, or at most 2 such guesses.
new_ja4=$(python3 -c '
import json, sys
legit, hydra = set(sys.argv[2].split()), sys.argv[3]
rows = [o for o in map(json.loads, open(sys.argv[1]))
        if o.get("kind") == "tls" and o["ja4"] not in legit]
seen = {}                       # the most of each in a dump (dumps repeat)
for o in rows:
    if o["ja4"] != hydra:
        seen[o["ja4"]] = max(seen.get(o["ja4"], 0), o["conns"])
lucky = sum(seen.values())
print(" ".join(sorted({o["ja4"] for o in rows if o["ja4"] == hydra or lucky > 2})))' \
	"$TMP/dump-hydra.json" "$legit_ja4" "$hydra_ja4")
expect_eq "the spoofed ClientHellos' JA4 not counted (but for at most 2 lucky guesses): the hydra's is the only new one" \
	"$hydra_ja4" "$new_ja4"

# ---- what the flood and the spoofed ClientHellos were counted as ----
C1=$(counters)
echo "# flood: $(cat "$TMP/flood.out"), spoof: $(cat "$TMP/spoof.out")"
delta() {
	local a b
	a=$(tr ' ' '\n' <<<"$C0" | sed -n "s/^$1=//p")
	b=$(tr ' ' '\n' <<<"$C1" | sed -n "s/^$1=//p")
	echo $((${b:-0} - ${a:-0}))
}
shed=$(delta tcp_fp_shed) new_tcp=$(delta tcp_fingerprints_new) full=$(delta map_full)
echo "# during the hydra: tcp_fingerprints_new $new_tcp, tcp_fp_shed $shed, map_full $full," \
	"hellos_no_syn $(delta hellos_no_syn), hellos_no_synack $(delta hellos_no_synack)," \
	"hellos_bad_ack $(delta hellos_bad_ack), synacks $(delta synacks)"
[ "$shed" -ge $((SYN_FLOOD / 2)) ] && [ "$full" -eq 0 ] &&
	ok "SYN flood: $shed of $SYN_FLOOD new TCP fingerprints shed, $new_tcp admitted, map never full" ||
	fail "SYN flood: at least $((SYN_FLOOD / 2)) shed and map_full 0 expected, got $shed shed, $full"
unacked=$(( $(delta hellos_no_synack) + $(delta hellos_bad_ack) ))
[ "$unacked" -ge $((SPOOFED * 9 / 10)) ] && [ "$(delta hellos_no_syn)" -ge $((SPOOFED * 9 / 10)) ] &&
	ok "spoofed ClientHellos left out: $unacked after a spoofed SYN, $(delta hellos_no_syn) without one" ||
	fail "spoofed ClientHellos: $SPOOFED after a SYN and $SPOOFED without, counted apart, expected; got $unacked and $(delta hellos_no_syn)"

# ---- the alert: within 2 windows of the hydra's start ----
want=$((W_HYDRA + 2))
wait_for $((WINDOW * 3)) windows_ge $want
touch "$TMP/stop"
alert=$(grep '"state":"new"' "$ALERTS" | grep -F "\"ja4\":\"$hydra_ja4\"" | head -n 1)
echo "# alert: $alert"
if [ -n "$alert" ]; then
	ok "a 'new' alert for the hydra's JA4"
else
	fail "a 'new' alert for $hydra_ja4 expected; alerts: $(head -c 600 "$ALERTS")"
fi
python3 - "$alert" <<'EOF' && ok "alert: reasons include new or widening, sample_ips from the hydra" ||
import json, sys
a = json.loads(sys.argv[1] or "{}")
ok = (("new" in a.get("reasons", []) or "widening" in a.get("reasons", [])) and
      a.get("window_s") == 4 and a.get("sample_ips") and
      all(s.startswith("198.19.") for s in a["sample_ips"]))
sys.exit(0 if ok else 1)
EOF
	fail "alert: reasons with new or widening, sample_ips in 198.19.0.0/16 expected: $alert"
widest=$(grep -E '"state":"(new|active)"' "$ALERTS" | grep -F "\"ja4\":\"$hydra_ja4\"" |
	sed -n 's/.*"ips":\([0-9]*\).*/\1/p' | sort -n | tail -n 1)
[ "${widest:-0}" -ge 500 ] && ok "the hydra's widest alerted window: $widest ips" ||
	fail "an alert of the hydra with ips >= 500 expected, the widest had ${widest:-none}"
# its window: the alert's ts is the end of the window judged
ts_alert=$(echo "$alert" | sed -n 's/.*"ts":"\([^"]*\)".*/\1/p')
dt=$(( $(date -d "${ts_alert:-1970-01-01T00:00:00Z}" +%s) - E_HYDRA ))
[ -n "$ts_alert" ] && [ $dt -le $((2 * WINDOW + 1)) ] &&
	ok "the alert closed a window $dt s after the hydra started (within 2 windows of $WINDOW s)" ||
	fail "alert within $((2 * WINDOW)) s of the hydra's start expected: ts '$ts_alert', $dt s"
# TLS alerts only: SYNs carry no proof of a handshake, so the spoofed
# SYNs' one TCP shape from 300 addresses may well raise a hydra_tcp alert
others=$(grep '"event":"hydra",' "$ALERTS" | grep -v -F "\"ja4\":\"$hydra_ja4\"")
expect_eq "no alert for any other JA4" "" "$others"

# ---- legit traffic flowed, the daemon stops cleanly ----
for l in "${LEGIT[@]}"; do
	n=${l%:*}
	runs=$(grep -c . "$TMP/legit-$n.log" 2>/dev/null)
	good=$(grep -c '^0$' "$TMP/legit-$n.log" 2>/dev/null)
	[ "${runs:-0}" -ge 5 ] && [ "$good" = "$runs" ] && ok "legitimate $n: $good runs, all succeeded" ||
		fail "legitimate $n: 5+ successful runs expected, got $good of ${runs:-0}"
done
bg_stop "$HS_PID" TERM 10
expect_eq "run exits 0 on SIGTERM" 0 $?
expect_eq "XDP program detached" "" "$(xdp_prog_id "$BED_SRV" "$BED_DEV")"
[ ! -e "$BED_PINS" ] && ok "pins removed" || fail "pins left in $BED_PINS: $(ls "$BED_PINS")"
echo "# total $((SECONDS - T0)) s"
done_testing
