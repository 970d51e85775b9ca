#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Enforcement live: `hydrascope run --window 2 --enforce MODE` attached
# natively on the server's veth of the netns test bed, with a detector
# config that alerts early (warm-up 1 window, 40 source addresses). Legit
# clients (curl, openssl s_client) connect once a second from the start;
# after the warm-up a hydra (python3 ssl, one TLS configuration) connects
# in a loop from 120 addresses over 24 /24s, a 2 s handshake timeout. Its
# path MTU is 400 bytes: each of its ClientHellos comes in two segments,
# and a dropped one's retransmission is its last segment alone (the
# server acknowledged the first), which must be dropped again.
#   drop:    once the alert says "enforced":"drop", the hydra's handshakes
#            fail (its ClientHellos are dropped), the legit ones complete;
#            status shows the JA4 enforced and enforce_dropped moving;
#            the hydra stopped, its alert ends and the JA4 stays enforced
#            (its handshakes still fail) until the entries expire.
#   dry-run: every handshake completes; enforce_matched moves,
#            enforce_dropped stays 0; entries of each scope put in the map
#            by bpftool are listed by status grouped by scope, a pair the
#            pairs map holds by its p0f stack, one of an older window by
#            a SYN of its stack.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool python3 nsenter timeout openssl curl
need_hs

# usage errors, before anything is loaded
"$HS" run -i lo --enforce block >/dev/null 2>"$TMP/u1"
expect_eq "--enforce block: exit 2" 2 $?
"$HS" run -i lo --enforce-ttl 30 >/dev/null 2>"$TMP/u2"
expect_eq "--enforce-ttl without --enforce: exit 2" 2 $?
"$HS" run -i lo --enforce drop --enforce-ttl 0 >/dev/null 2>"$TMP/u3"
expect_eq "--enforce-ttl 0: exit 2" 2 $?

WINDOW=2
TLS_PORT=443
BED_PORTS=(80 8080)        # the plain TCP server keeps off the TLS port
HYDRA_NS=3                 # client namespace of the hydra
T0=$SECONDS

if ! bed_net 3; then
	fail "test bed with 3 clients could not be built"
	done_testing
fi
if ! bed_tls_server $TLS_PORT; then
	fail "TLS server on port $TLS_PORT in $BED_SRV"
	done_testing
fi
: >"$TMP/addrs.batch" && : >"$TMP/addrs.txt"
for ((k = 0; k < 24; k++)); do
	for ((h = 1; h <= 5; h++)); do
		echo "address add 198.19.$k.$h/32 dev ${TAG}c$HYDRA_NS" >>"$TMP/addrs.batch"
		echo "198.19.$k.$h" >>"$TMP/addrs.txt"
	done
done
if ! ip -n "${BED_CLIENTS[HYDRA_NS - 1]}" -b "$TMP/addrs.batch" ||
   ! ip -n "$BED_RTR" route add 198.19.0.0/18 via 198.18.$HYDRA_NS.2 ||
   ! ip -n "${BED_CLIENTS[HYDRA_NS - 1]}" route change default via 198.18.$HYDRA_NS.1 \
	advmss "$(sed -n 's/.*mss=\([0-9]*\).*/\1/p' <<<"${BED_CLIENT_PROFILES[HYDRA_NS - 1]}")" \
	mtu lock 400; then
	fail "hydra addresses in ${BED_CLIENTS[HYDRA_NS - 1]}"
	done_testing
fi
ok "test bed: server $BED_SRV_IP, 120 hydra addresses in ${BED_CLIENTS[HYDRA_NS - 1]}"
cat >"$TMP/detect.ini" <<'EOF'
[detect]
warmup = 1
min_ips = 40
min_nets = 10
alert_score = 3
growth = 1.5
EOF

# the hydra: every address in turn, until $TMP/stop-hydra; a line per
# connection: "start_time 1|0"
cat >"$TMP/hydra.py" <<'EOF'
import concurrent.futures, os, socket, ssl, sys, threading, time
host, port, name, addrs, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
addrs = open(addrs).read().split()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
ctx.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
ctx.set_alpn_protocols(["http/1.1"])
lock = threading.Lock()
def one(i):
    t = time.time()
    try:
        with socket.create_connection((host, port), timeout=2,
                                      source_address=(addrs[i % len(addrs)], 0)) as c:
            with ctx.wrap_socket(c, server_hostname=name):
                r = 1
    except OSError:
        r = 0
    with lock:
        sys.stdout.write("%.3f %d\n" % (t, r))
        sys.stdout.flush()
def worker(k):
    i = k
    while not os.path.exists(stop):
        one(i)
        i += 48
with concurrent.futures.ThreadPoolExecutor(48) as ex:
    list(ex.map(worker, range(48)))
EOF

legit() {
	local name=$1 stop=$3
	while [ ! -e "$stop" ]; do
		bed_tls_once "$name" "$2" $TLS_PORT
		echo $? >>"$TMP/legit-$name.$4.log"
		sleep 1
	done
}

# scoped_status PINS: enforce entries of each scope for a JA4 of no alert,
# put in the running instance's map (dry-run mode) by bpftool, as status
# lists them: all, novel (two ids, one group) since 95 s ago, a pair over
# a stack no longer in the pairs map (named by its id)
scoped_status() {
	local pins=$1 sja4=t13d0000h2_000000000000_00000000scop got
	python3 - "$sja4" >"$TMP/scoped.batch" <<'EOF2'
import struct, sys, time
ja4 = sys.argv[1].encode()
now = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
def entry(key, scope, arg):
    v = struct.pack("<QBB6xQ64s", now + 60 * 10**9, 1, scope, arg, ja4)
    hexs = lambda b: " ".join("%02x" % x for x in b)
    print("map update pinned %s key hex %s value hex %s" % ("{pins}/enforce",
          hexs(struct.pack("<Q", key)), hexs(v)))
entry(0x4444444444444440, 0, 0)
entry(0x1111111111111110, 1, now - 95 * 10**9)
entry(0x2222222222222220, 1, now - 95 * 10**9)
entry(0x3333333333333331, 2, 0x0123456789abcdef)
EOF2
	sed -i "s|{pins}|$pins|" "$TMP/scoped.batch"
	if ! bpftool batch file "$TMP/scoped.batch" >/dev/null 2>"$TMP/scoped.err"; then
		fail "dry-run: enforce entries of each scope by bpftool: $(head -c 300 "$TMP/scoped.err")"
		return
	fi
	"$HS" status --pin-dir "$pins" >"$TMP/scoped.txt" 2>&1
	got=$(grep "^  $sja4 " "$TMP/scoped.txt" | sed -E 's/ [0-9]+s left$/ Ns left/; s/since [0-9]+m[0-9]+s ago/since MmSs ago/')
	expect_eq "status: a JA4's entries grouped by scope" "  $sja4 dry-run all ids 4444444444444440 Ns left
  $sja4 dry-run novel since MmSs ago ids 1111111111111110,2222222222222220 Ns left
  $sja4 dry-run pair stack-0123456789abcdef ids 3333333333333331 Ns left" "$got"
	grep -q "^  $sja4 dry-run novel since 1m3[5-9]s ago ids" "$TMP/scoped.txt" &&
		ok "status: novel since 1m35s ago (or a few seconds more)" ||
		fail "status: 'novel since 1m35s ago' expected: $(grep novel "$TMP/scoped.txt")"
	"$HS" status --pin-dir "$pins" -j 2>&1 | python3 -c '
import json, sys
e = [x for x in json.load(sys.stdin)["enforced"] if x["ja4"] == sys.argv[1]]
want = [("all", ["4444444444444440"]), ("novel", ["1111111111111110", "2222222222222220"]),
        ("pair", ["3333333333333331"])]
assert [(x["scope"], x["ids"]) for x in e] == want, e
assert 95 <= e[1]["since_seconds_ago"] <= 100 and e[1]["since"].endswith("Z"), e[1]
assert e[2]["stack_id"] == "0123456789abcdef" and e[2]["tcp_stack"] is None, e[2]
assert all(x["mode"] == "dry-run" and 55 <= x["seconds_left"] <= 60 for x in e), e
' "$sja4" >"$TMP/scoped-j.err" 2>&1 &&
		ok "status -j: scope, since, stack_id of each group" ||
		fail "status -j: the scoped groups expected: $(tail -c 600 "$TMP/scoped-j.err")"
	# a pair entry for a pair the pairs map holds (the legit clients'; a
	# window close may take it between the two steps: tried again)
	local try key line=
	for try in 1 2 3 4 5 6 7 8 9 10; do
		key=$(bpftool -j map getnext pinned "$pins/pairs" 2>/dev/null | python3 -c '
import json, sys
k = [int(x, 16) for x in json.load(sys.stdin)["next_key"]]
k[0] |= 1   # the enforce key of a pair: its pairs key, generation bit set
print(" ".join("%02x" % x for x in k))' 2>/dev/null)
		[ -n "$key" ] || { sleep 0.3; continue; }
		python3 - "$sja4" "$pins" "$key" >"$TMP/pair.batch" <<'EOF2'
import struct, sys, time
now = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
v = struct.pack("<QBB6xQ64s", now + 60 * 10**9, 1, 2, 0x42, sys.argv[1].encode())
print("map update pinned %s/enforce key hex %s value hex %s" % (sys.argv[2], sys.argv[3],
      " ".join("%02x" % x for x in v)))
EOF2
		bpftool batch file "$TMP/pair.batch" >/dev/null 2>&1 || continue
		line=$("$HS" status --pin-dir "$pins" | grep "^  $sja4 dry-run pair [^s]")
		[ -n "$line" ] && break
		bpftool map delete pinned "$pins/enforce" key hex $key >/dev/null 2>&1
	done
	[[ $line == *" pair "[46]:* ]] &&
		ok "status: a pair entry's TCP stack as p0f renders it ($line)" ||
		fail "status: a pair entry named by its p0f stack expected: $(grep pair "$TMP/scoped.txt")"
	# a pair entry whose pair the pairs map no longer holds (an older
	# window's), over the stack of a pair it holds: named by a SYN of that
	# stack in tcp_fps
	line=
	for try in 1 2 3 4 5 6 7 8 9 10; do
		key=$(bpftool -j map getnext pinned "$pins/pairs" 2>/dev/null | python3 -c '
import json, sys
print(" ".join("%02x" % int(x, 16) for x in json.load(sys.stdin)["next_key"]))' 2>/dev/null)
		[ -n "$key" ] || { sleep 0.3; continue; }
		bpftool -j map lookup pinned "$pins/pairs" key hex $key >"$TMP/pair.json" 2>/dev/null ||
			continue
		python3 - "$sja4" "$pins" "$TMP/pair.json" >"$TMP/pair.batch" <<'EOF2'
import json, struct, sys, time
now = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
pv = bytes(int(x, 16) for x in json.load(open(sys.argv[3]))["value"])
stack_id = struct.unpack_from("<Q", pv, 16)[0]     # struct hs_pair's stack_id
v = struct.pack("<QBB6xQ64s", now + 60 * 10**9, 1, 2, stack_id, sys.argv[1].encode())
print("map update pinned %s/enforce key hex %s value hex %s" % (sys.argv[2],
      " ".join("%02x" % x for x in struct.pack("<Q", 0x5555555555555551)),
      " ".join("%02x" % x for x in v)))
EOF2
		bpftool batch file "$TMP/pair.batch" >/dev/null 2>&1 || continue
		line=$("$HS" status --pin-dir "$pins" | grep "^  $sja4 dry-run pair .* ids 5555555555555551 ")
		[[ $line == *" pair "[46]:* ]] && break
		sleep 0.3
	done
	[[ $line == *" pair "[46]:* ]] &&
		ok "status: a pair entry of an older window named by its stack's SYNs ($line)" ||
		fail "status: a pair entry of an older window named by its p0f stack expected: '$line'"
}

# status_brief STATUS-JSON JA4: what says whether the JA4's ClientHellos
# were walked and matched (a failure's message)
status_brief() {
	python3 -c '
import json, sys
st, ja4 = json.loads(sys.argv[1]), sys.argv[2]
c = st["counters"]
keys = ("hellos", "hellos_no_syn", "hellos_no_synack", "hellos_bad_ack", "flow_busy",
        "hellos_unvalidated_sampled", "enforce_matched", "enforce_dropped")
print(" ".join("%s %s" % (k, c.get(k)) for k in keys),
      [(x["mode"], x["scope"], x["ids"], x["seconds_left"]) for x in st["enforced"] if x["ja4"] == ja4])
' "$1" "$2" 2>&1 | head -c 600
}

# drop_story ALERTS JA4 HYDRA_OUT T: for a failure, what came when: the
# JA4's alerts (their window's end, state, enforcement, sources) and the
# hydra's handshakes a second at a time from 3 s before T (completed/begun)
drop_story() {
	python3 -c '
import json, sys
alerts, ja4, out, t = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
a = []
for line in open(alerts):
    try:
        x = json.loads(line)
    except ValueError:
        continue
    if x.get("ja4") == ja4:
        a.append((x.get("ts"), x.get("state"), x.get("enforced"), x.get("ips")))
b = {}
for line in open(out):
    f = line.split()
    if len(f) == 2:
        k = int(float(f[0]) - t + 3) - 3
        g = b.setdefault(k, [0, 0])
        g[0] += int(f[1])
        g[1] += 1
print("alerts", a[:8], "hydra by second from the alert",
      " ".join("%+d:%d/%d" % (k, g[0], g[1]) for k, g in sorted(b.items()) if k >= -3))
' "$@" 2>&1 | head -c 1200
}

# held_after_end PINS ALERTS JA4: the hydra stopped, its alert ends; the
# JA4 stays enforced until its entries expire (a hydra held off tries
# less, and its alert may end for that alone): a handshake of the hydra's
# TLS configuration from one of its addresses still fails
held_after_end() {
	local pins=$1 alerts=$2 ja4=$3 st
	ended() {
		python3 -c '
import json, sys
def alerts(path):
    for line in open(path):
        try:
            yield json.loads(line)
        except ValueError:
            pass
sys.exit(0 if any(x.get("ja4") == sys.argv[2] and x.get("state") == "ended"
                  for x in alerts(sys.argv[1])) else 1)' "$alerts" "$ja4" 2>/dev/null
	}
	if ! wait_for $((WINDOW * 5)) ended; then
		fail "drop: the alert for $ja4 expected to end within $((WINDOW * 5)) s of the hydra's stop"
		return
	fi
	st=$("$HS" status --pin-dir "$pins" -j 2>&1)
	python3 -c '
import json, sys
e = [x for x in json.loads(sys.argv[1])["enforced"] if x["ja4"] == sys.argv[2]]
sys.exit(0 if e and e[0]["mode"] == "drop" and e[0]["seconds_left"] > 0 else 1)' "$st" "$ja4" &&
		ok "drop: $ja4 still enforced after its alert ended" ||
		fail "drop: $ja4 enforced until its entries expire expected after the alert ended: $(echo "$st" | head -c 400)"
	echo 198.19.0.1 >"$TMP/one-addr.txt"
	rm -f "$TMP/stop-one"
	( sleep 3; touch "$TMP/stop-one" ) &
	local sp=$!
	timeout 20 nsenter --net=/run/netns/"${BED_CLIENTS[HYDRA_NS - 1]}" "$BED_PY" \
		"$TMP/hydra.py" "$BED_SRV_IP" $TLS_PORT "$BED_TLS_NAME" "$TMP/one-addr.txt" \
		"$TMP/stop-one" >"$TMP/one.out" 2>&1
	wait "$sp"
	read -r n good < <(awk '{ n++; g += $2 } END { print n + 0, g + 0 }' "$TMP/one.out")
	if [ "$n" -gt 0 ] && [ "$good" = 0 ]; then
		ok "drop: after the alert ended, the hydra's handshakes still fail (0 of $n)"
	else
		# when the completed ones came (s from the first), and what the
		# program counted of the JA4's hellos and the window's sample
		fail "drop: the hydra's handshakes after the alert ended expected to fail, $good of $n completed" \
			"(completed at: $(awk 'NR == 1 { t = $1 } NF == 2 && $2 > 0 { printf "+%.2fs ", $1 - t }' "$TMP/one.out" | head -c 200);" \
			"$(status_brief "$("$HS" status --pin-dir "$pins" -j 2>&1)" "$ja4"))"
	fi
}

# one_mode MODE: a run with --enforce MODE, checked as the header says
one_mode() {
	local mode=$1 pins=$BED_PINS-$1 alerts=$TMP/alerts-$1.jsonl hs_pid pid hpid
	local e_alert alert ja4= st multi nb
	windows() { grep -c 'judged' "$TMP/run-$mode.log"; }
	if ! hs_start hs_pid "$pins" "$TMP/run-$mode.log" --window $WINDOW -j --alerts "$alerts" \
		-c "$TMP/detect.ini" --enforce "$mode" --state-dir "$TMP/state-$mode" -v; then
		fail "$mode: hydrascope run --enforce $mode: attachment expected"
		return
	fi
	grep -q "enforcement: $mode" "$TMP/run-$mode.log" && ok "$mode: run reports enforcement: $mode" ||
		fail "$mode: 'enforcement: $mode' expected in the log: $(head -n 3 "$TMP/run-$mode.log" | tr '\n' '|')"
	expect_eq "$mode: the program on $BED_DEV is the entry of its mode" \
		"$([ "$mode" = drop ] && echo hs_xdp_drop || echo hs_xdp)" "$(xdp_prog_name "$BED_SRV" "$BED_DEV")"
	for l in curl:1 openssl:2; do
		bg_job pid legit "${l%:*}" "${l#*:}" "$TMP/stop-legit-$mode" "$mode" 2>/dev/null
	done
	# warm-up: one window judged, then the hydra
	wait_for $((WINDOW * 3)) eval '[ "$(windows)" -ge 1 ]' ||
		fail "$mode: a window judged within $((WINDOW * 3)) s expected"
	bg_job hpid nsenter --net=/run/netns/"${BED_CLIENTS[HYDRA_NS - 1]}" "$BED_PY" \
		"$TMP/hydra.py" "$BED_SRV_IP" $TLS_PORT "$BED_TLS_NAME" "$TMP/addrs.txt" \
		"$TMP/stop-hydra-$mode" >"$TMP/hydra-$mode.out" 2>"$TMP/hydra-$mode.err"
	# the alert, enforced
	if wait_for $((WINDOW * 4)) grep -q "\"enforced\":\"$mode\"" "$alerts"; then
		e_alert=$(date +%s.%N)
		alert=$(grep -m1 "\"enforced\":\"$mode\"" "$alerts")
		ja4=$(echo "$alert" | sed -n 's/.*"ja4":"\([^"]*\)".*/\1/p')
		ok "$mode: alert for $ja4 with \"enforced\":\"$mode\""
	else
		e_alert=$(date +%s.%N)
		fail "$mode: an alert with \"enforced\":\"$mode\" expected within $((WINDOW * 4)) s; alerts: $(head -c 600 "$alerts")"
	fi
	sleep 5
	st=$("$HS" status --pin-dir "$pins" -j 2>&1)
	"$HS" status --pin-dir "$pins" >"$TMP/status-$mode.txt" 2>&1
	# (while the clients connect: pairs in the pairs map)
	[ "$mode" = dry-run ] && scoped_status "$pins"
	touch "$TMP/stop-hydra-$mode" "$TMP/stop-legit-$mode"
	bg_stop "$hpid" TERM 10
	python3 - "$mode" "$ja4" "$st" <<'EOF' && ok "$mode: status -j lists $ja4 enforced ($mode), counters move" ||
import json, sys
mode, ja4, st = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
e = [x for x in st["enforced"] if x["ja4"] == ja4]
c = st["counters"]
ok = (e and e[0]["mode"] == mode and e[0]["ids"] and 0 < e[0]["seconds_left"] <= 20 and
      c["enforce_matched"] > 0 and
      (c["enforce_dropped"] > 0 if mode == "drop" else c["enforce_dropped"] == 0))
sys.exit(0 if ok else 1)
EOF
		fail "$mode: status -j: $ja4 enforced in $mode mode, counters moving expected: $st"
	# the hydra's hellos, in two segments: as many of those as hydra
	# handshakes before the alert at least (the legit clients' are whole)
	read -r multi < <(echo "$st" | python3 -c \
		'import json, sys; print(json.load(sys.stdin)["counters"]["hellos_multi_segment"])')
	nb=$(awk -v t="$e_alert" '$1 <= t' "$TMP/hydra-$mode.out" | wc -l)
	[ "${multi:-0}" -ge "$nb" ] && [ "$nb" -gt 0 ] &&
		ok "$mode: the hydra's ClientHellos came in two segments ($multi, $nb hydra handshakes before the alert)" ||
		fail "$mode: hellos_multi_segment >= the $nb hydra handshakes before the alert expected, got '${multi:-}'"
	grep -q "^  $ja4 $mode all ids [0-9a-f]" "$TMP/status-$mode.txt" &&
		ok "$mode: status shows $ja4 $mode (scope all) with its ids" ||
		fail "$mode: status: '$ja4 $mode all ids ...' expected: $(cat "$TMP/status-$mode.txt")"
	# the hydra's handshakes begun 0.5 s after the alert, and up to 0.5 s before it
	read -r n_after ok_after n_before ok_before < <(awk -v t="$e_alert" '
		$1 > t + 0.5 { n++; g += $2 } $1 <= t - 0.5 { nb++; gb += $2 }
		END { print n + 0, g + 0, nb + 0, gb + 0 }' "$TMP/hydra-$mode.out")
	echo "# $mode: hydra before the alert $ok_before/$n_before ok, after it $ok_after/$n_after ok"
	if [ "$mode" = drop ]; then
		[ "$n_after" -ge 20 ] && [ $((ok_after * 10)) -le "$n_after" ] &&
			ok "drop: the hydra's handshakes fail after the alert ($ok_after of $n_after completed)" ||
			fail "drop: at most 10% of 20+ hydra handshakes after the alert expected to complete, got $ok_after of $n_after; 5 s after the alert: $(status_brief "$st" "$ja4"); $(drop_story "$alerts" "$ja4" "$TMP/hydra-$mode.out" "$e_alert")"
	else
		[ "$n_after" -ge 20 ] && [ "$ok_after" = "$n_after" ] &&
			ok "dry-run: the hydra's handshakes complete after the alert ($ok_after of $n_after)" ||
			fail "dry-run: all of 20+ hydra handshakes after the alert expected to complete, got $ok_after of $n_after"
	fi
	# (under load the first handshakes may only begin as the alert comes)
	if [ "$n_before" = 0 ]; then
		echo "# $mode: no hydra handshake began 0.5 s before the alert"
	elif [ $((ok_before * 10)) -ge $((n_before * 9)) ]; then
		ok "$mode: before the alert the hydra's handshakes completed ($ok_before of $n_before)"
	else
		fail "$mode: 90% of hydra handshakes before the alert expected to complete, got $ok_before of $n_before"
	fi
	sleep 1.2
	for n in curl openssl; do
		local runs good
		runs=$(grep -c . "$TMP/legit-$n.$mode.log" 2>/dev/null)
		good=$(grep -c '^0$' "$TMP/legit-$n.$mode.log" 2>/dev/null)
		[ "${runs:-0}" -ge 4 ] && [ "$good" = "$runs" ] &&
			ok "$mode: legitimate $n: $good runs, all succeeded" ||
			fail "$mode: legitimate $n: 4+ successful runs expected, got $good of ${runs:-0}"
	done
	[ "$mode" = drop ] && [ -n "$ja4" ] && held_after_end "$pins" "$alerts" "$ja4"
	bg_stop "$hs_pid" TERM 10
	expect_eq "$mode: run exits 0 on SIGTERM" 0 $?
	[ ! -e "$pins" ] && ok "$mode: pins removed (enforce included)" ||
		fail "$mode: pins left in $pins: $(ls "$pins")"
}

one_mode drop
one_mode dry-run
echo "# total $((SECONDS - T0)) s"
done_testing
