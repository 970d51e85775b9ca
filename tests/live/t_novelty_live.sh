#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Novelty live: a hydra inside the fingerprint of the legitimate clients.
# One "SDK" (sdk.py: python3 ssl, one TLS configuration, so one JA4) runs
# from legitimate namespaces and from a hydra namespace, through
# `hydrascope run --window 2 --enforce drop|dry-run`, each run attached
# natively on the server's veth of the netns test bed.
#   legit  50 addresses over 10 /24s (198.18.100-109.1-5) in clients 1 and
#          2 (two TCP stacks), 10 handshakes a second each, every address
#          once every 2.5 s, from before the first run to the end.
#   hydra  640 addresses over 128 /24s, 5 a /24 in turn, 25 handshakes a
#          second, each on an address it has not used yet (the pool lasts
#          25 s, past the end of a run), a 2 s handshake timeout. Started
#          once the detector can judge novelty (6 windows judged).
#          Case A "new stacks": client 3, a TCP stack the SDK never came
#          over (198.19.0-127.x); case B "same stack": client 4, the stack
#          of client 1 (198.19.128-255.x): only its addresses are new.
#   known  one more address (198.18.110.1), a customer's: the SDK uses it
#          from client 1 until the hydra starts; after the alert it moves
#          to the hydra's client and connects from there, 4 a second: an
#          address known to the JA4 over the hydra's stack. In case A that
#          stack is new to the JA4: the enforce entry of the pair drops it
#          (scope pair); in case B it is a known stack: it passes. A
#          connection whose SYN finds its flow slot held by another
#          handshake in progress is not tracked (counter flow_busy, about
#          one SYN in a thousand here): its stack is unknown, so the pair
#          entry cannot see it, and a known address passes. So >= 95% of
#          these handshakes dropped, and no more passing than flow_busy.
# The last run's traffic is captured, and `replay --window` of it with the
# same settings must alert the same JA4, shared, for its novelty.
# Each case runs twice, with --enforce drop and with --enforce dry-run:
#   drop:    the alert is "shared": true, "enforced": "drop", "scope":
#            "novel", its sample_ips in the hydra's range, new_tcp_sigs
#            listing the hydra's stack in case A only (and status a pair
#            entry); after it, >= 95% of the hydra's handshakes fail
#            (ClientHellos dropped) and every legitimate one completes;
#            enforce_dropped_novel moves, and in case A enforce_dropped_pair
#            (the known address over the new stack) too.
#   dry-run: every handshake completes; enforce_matched_novel + _pair about
#            the hydra's (and in case A the known address's) handshakes
#            since the alert, not the legit ones too; enforce_dropped 0.
# Detector settings, sized to the test:
#   warmup 2           windows 0-1 (4 s) learn: every legit address is seen
#                      in them (a 2.5 s cycle), so the legit population adds
#                      no novelty afterwards and the novelty baseline is 0
#   novel_windows 3    the span: 6 s. The baseline is fed from window
#                      warmup on, novel_windows behind, so `novel` can fire
#                      from window warmup + novel_windows + 1 = 6: the hydra
#                      starts then. Legit sources are first seen 5+ windows
#                      before any alert, outside the scope (novel_windows + 1
#                      windows back), so they keep passing
#   min_novel 40       the hydra brings 50 new addresses a window, 10 /24s:
#   min_nets 8         `novel` fires within its first two windows, and
#                      `new_stacks` (50 a window over its new pair) in case
#                      A. `novel` holds the alert while the hydra brings new
#                      addresses (its dropped ClientHellos count too), to the
#                      end of the measurement. The legit clients bring none
#                      once learned
#   min_ips 1000000    `wide` never fires, nor the width alerts (`new`,
#                      `widening`): only novelty can alert
#   alert_score 2      `novel` (or `new_stacks`) alone is enough
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool python3 nsenter timeout openssl
need_hs
keep_on_fail "$TMP/alerts-*.jsonl" "$TMP/run-*.log"

WINDOW=2
NOVEL_WINDOWS=3
WARMUP=2
TLS_PORT=443
BED_PORTS=(80 8080)        # the plain TCP server keeps off the TLS port
MEASURE=6                  # seconds measured after an alert
T0=$SECONDS

if ! bed_net 4; then
	fail "test bed with 4 clients could not be built"
	done_testing
fi
if ! bed_tls_server $TLS_PORT; then
	fail "TLS server on port $TLS_PORT in $BED_SRV"
	done_testing
fi

# add_addrs CLIENT FILE PREFIX FIRST LAST HOSTS: addresses PREFIX.N.1-HOSTS
# for N in FIRST..LAST on client CLIENT (1-based), listed in FILE in that
# order (a /24 after another), routed to it by the router
add_addrs() {
	local c=$1 file=$2 p=$3 n h
	: >"$file" && : >"$file.batch" && : >"$file.routes"
	for ((n = $4; n <= $5; n++)); do
		for ((h = 1; h <= $6; h++)); do
			echo "address add $p.$n.$h/32 dev ${TAG}c$c" >>"$file.batch"
			echo "$p.$n.$h" >>"$file"
		done
		echo "route add $p.$n.0/24 via 198.18.$c.2" >>"$file.routes"
	done
	ip -n "${BED_CLIENTS[c - 1]}" -b "$file.batch" && ip -n "$BED_RTR" -b "$file.routes"
}
if ! add_addrs 1 "$TMP/legit1.addrs" 198.18 100 104 5 ||
   ! add_addrs 2 "$TMP/legit2.addrs" 198.18 105 109 5 ||
   ! add_addrs 1 "$TMP/known.addrs" 198.18 110 110 1 ||
   ! add_addrs 3 "$TMP/hydraA.addrs" 198.19 0 127 5 ||
   ! add_addrs 4 "$TMP/hydraB.addrs" 198.19 128 255 5; then
	fail "client addresses and their routes"
	done_testing
fi
# bed_net gives client i stack (i - 1) mod 3 of BED_PROFILES: case B's
# hydra (client 4) on client 1's, case A's (client 3) on neither legit one
if [ "${BED_CLIENT_PROFILES[0]}" != "${BED_CLIENT_PROFILES[3]}" ] ||
   [ "${BED_CLIENT_PROFILES[2]}" = "${BED_CLIENT_PROFILES[0]}" ] ||
   [ "${BED_CLIENT_PROFILES[2]}" = "${BED_CLIENT_PROFILES[1]}" ]; then
	fail "client stacks: 4 as 1, 3 unlike 1 and 2 expected: ${BED_CLIENT_PROFILES[*]}"
	done_testing
fi
KNOWN=$(cat "$TMP/known.addrs") KNOWN_AT=1
# move_known CLIENT: the known address to client CLIENT (1-based)
move_known() {
	[ "$KNOWN_AT" = "$1" ] && return 0
	ip -n "${BED_CLIENTS[KNOWN_AT - 1]}" address del $KNOWN/32 dev ${TAG}c$KNOWN_AT &&
		ip -n "${BED_CLIENTS[$1 - 1]}" address add $KNOWN/32 dev ${TAG}c$1 &&
		ip -n "$BED_RTR" route replace ${KNOWN%.*}.0/24 via 198.18.$1.2 &&
		KNOWN_AT=$1
}
ok "test bed: legit 50 addresses in clients 1-2 and 1 known, hydra 640 in client 3 (new stack), 640 in client 4 (client 1's stack)"

cat >"$TMP/detect.ini" <<EOF
[detect]
warmup = $WARMUP
novel_windows = $NOVEL_WINDOWS
min_novel = 40
min_nets = 8
min_ips = 1000000
alert_score = 2
EOF

# The SDK: handshakes at RATE a second, each from the next address of
# ADDRS (in turn), TIMEOUT s each, until the file STOP exists; a line per
# handshake: "start end address 1|0" (completed or not).
cat >"$TMP/sdk.py" <<'EOF'
import concurrent.futures, os, socket, ssl, sys, threading, time
host, port, name, addrs, rate, timeout, stop = sys.argv[1:8]
port, rate, timeout = int(port), float(rate), float(timeout)
addrs = open(addrs).read().split()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
ctx.set_alpn_protocols(["http/1.1"])
lock = threading.Lock()
def one(a):
    t = time.time()
    try:
        with socket.create_connection((host, port), timeout=timeout,
                                      source_address=(a, 0)) as c:
            with ctx.wrap_socket(c, server_hostname=name):
                r = 1
    except OSError:
        r = 0
    with lock:
        sys.stdout.write("%.3f %.3f %s %d\n" % (t, time.time(), a, r))
        sys.stdout.flush()
ex = concurrent.futures.ThreadPoolExecutor(int(rate * timeout * 2) + 8)
t0, k = time.time(), 0
while not os.path.exists(stop):
    d = t0 + k / rate - time.time()
    if d > 0:
        time.sleep(d)
    ex.submit(one, addrs[k % len(addrs)])
    k += 1
ex.shutdown(wait=True, cancel_futures=True)
EOF

# sdk VAR CLIENT ADDRS RATE TIMEOUT STOP OUT: the SDK in the background
sdk() {
	bg_job "$1" nsenter --net=/run/netns/"${BED_CLIENTS[$2 - 1]}" "$BED_PY" "$TMP/sdk.py" \
		"$BED_SRV_IP" $TLS_PORT "$BED_TLS_NAME" "$3" "$4" "$5" "$6" >"$7" 2>"$7.err"
}
# fadd A B: A + B, to 0.1
fadd() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a + b }'; }
# count FROM TO FILE...: "handshakes completed" begun in (FROM, TO]
count() {
	local a=$1 b=$2; shift 2
	awk -v a="$a" -v b="$b" '$1 > a && $1 <= b { n++; g += $4 } END { print n + 0, g + 0 }' "$@"
}

# the legitimate clients, from start to end
sdk LEGIT1 1 "$TMP/legit1.addrs" 10 10 "$TMP/stop-legit" "$TMP/legit1.out"
sdk LEGIT2 2 "$TMP/legit2.addrs" 10 10 "$TMP/stop-legit" "$TMP/legit2.out"
if wait_for 10 eval '[ "$(grep -c " 1$" "$TMP/legit1.out" "$TMP/legit2.out" |
			   awk -F: "\$2 >= 10 { n++ } END { print n + 0 }")" = 2 ]'; then
	ok "legitimate SDK clients complete handshakes from clients 1 and 2"
else
	fail "legitimate SDK clients: 10 handshakes each expected within 10 s: $(tail -n 3 "$TMP"/legit*.out*)"
	done_testing
fi

# Linux draws a TCP connection's first IP ID at random: one SYN in 65,536
# has ID 0, so its p0f signature lacks the "id+" quirk (DF with a non-zero
# ID). Over case B's ~1,500 hydra handshakes a run sees one now and then:
# a (JA4, stack) pair that is new for real, of one address. Case B's
# checks allow exactly that variant of client 1's stack (ttl 64, mss 1460,
# quirks "df" alone), nothing else.
ID0_VARIANT='
def id0_variant(sig):
    f = sig.split(":")
    return len(f) == 8 and f[1] == "64" and f[3] == "1460" and f[6] == "df"
'

# check_alert CASE MODE LINE RANGE-FIRST RANGE-LAST ID0_VARIANT: the alert's fields
check_alert() {
	python3 - "$@" <<'EOF'
import ipaddress, json, sys
case, mode, line, lo, hi = sys.argv[1:6]
exec(sys.argv[6])
a = json.loads(line)
lo, hi = ipaddress.ip_address(lo), ipaddress.ip_address(hi)
bad = []
def want(name, cond, got):
    if not cond:
        bad.append("%s (got %r)" % (name, got))
want("shared true", a.get("shared") is True, a.get("shared"))
want("novel_ips > 0", (a.get("novel_ips") or 0) > 0, a.get("novel_ips"))
want("novel_nets > 0", (a.get("novel_nets") or 0) > 0, a.get("novel_nets"))
want("new_to_site > 0", (a.get("new_to_site") or 0) > 0, a.get("new_to_site"))
want("enforced " + mode, a.get("enforced") == mode, a.get("enforced"))
want("scope novel", a.get("scope") == "novel", a.get("scope"))
want("'novel' or 'new_stacks' among the reasons",
     {"novel", "new_stacks"} & set(a.get("reasons", [])), a.get("reasons"))
s = a.get("sample_ips") or []
want("sample_ips, all in %s-%s" % (lo, hi),
     s and all(lo <= ipaddress.ip_address(x) <= hi for x in s), s)
sigs = a.get("new_tcp_sigs")
if case == "A":
    want("new_tcp_sigs non-empty", isinstance(sigs, list) and sigs, sigs)
else:
    # client 1's stack only: its SYN without "id+" is the one variant (see ID0_VARIANT)
    want("new_tcp_sigs empty but for client 1's IP ID 0 variant",
         isinstance(sigs, list) and all(id0_variant(x) for x in sigs), sigs)
    want("new_stack_ips 0, or 1-2 per such variant",
         0 <= (a.get("new_stack_ips") or 0) <= 2 * len(sigs or []), a.get("new_stack_ips"))
print("# alert: ips=%s novel_ips=%s novel_nets=%s new_to_site=%s new_stack_ips=%s "
      "reasons=%s new_tcp_sigs=%s" % (a.get("ips"), a.get("novel_ips"), a.get("novel_nets"),
      a.get("new_to_site"), a.get("new_stack_ips"), ",".join(a.get("reasons", [])), sigs))
if bad:
    print("not ok: " + "; ".join(bad))
    sys.exit(1)
EOF
}

# check_status MODE CASE HYDRA-SINCE-ALERT JA4 JSON ALERTS ID0_VARIANT: counters after the
# measurement
check_status() {
	python3 - "$@" <<'EOF'
import json, sys
mode, case, n, ja4, st = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], json.loads(sys.argv[5])
exec(sys.argv[7])
# case B: one pair entry per IP ID 0 variant the run's alerts listed, no other
sigs = set()
for l in open(sys.argv[6]):
    a = json.loads(l) if l.strip() else {}
    if a.get("ja4") == ja4:
        sigs.update(a.get("new_tcp_sigs") or [])
variants = len(sigs) if all(id0_variant(x) for x in sigs) else 0
c = st["counters"]
e = [x for x in st.get("enforced", []) if x.get("ja4") == ja4]
print("# status: matched %d (novel %d, pair %d), dropped %d (novel %d, pair %d); "
      "hydra handshakes since the alert %d; SYNs %d, hellos %d (no SYN seen %d)" % (
      c["enforce_matched"], c["enforce_matched_novel"], c["enforce_matched_pair"],
      c["enforce_dropped"], c["enforce_dropped_novel"], c["enforce_dropped_pair"], n,
      c["syns"], c["hellos"], c["hellos_no_syn"]))
bad = []
if not e or any(x.get("mode") != mode for x in e):
    bad.append("%s enforced in %s mode in status -j" % (ja4, mode))
# entries grouped by scope: the pair entries of the hydra's new stack
pairs = [x for x in e if x.get("scope") == "pair"]
if case == "A" and not pairs:
    bad.append("pair entries listed in case A (got none)")
if case == "B" and len(pairs) > variants:
    bad.append("no pair entries in case B but for client 1's IP ID 0 variants (%d of the "
               "alerts' new_tcp_sigs %s; got %s)" % (variants, sorted(sigs), pairs))
if mode == "drop":
    if c["enforce_dropped_novel"] <= 0:
        bad.append("enforce_dropped_novel > 0")
    if case == "A" and c["enforce_dropped_pair"] <= 0:
        bad.append("enforce_dropped_pair > 0 (the known address over the new stack)")
else:
    m = c["enforce_matched_novel"] + c["enforce_matched_pair"]
    # about the hydra's: its handshakes since the alert (the legit ones,
    # as many again, would make it near twice that)
    if not (0.8 * n - 5 <= m <= 1.2 * n + 5):
        bad.append("enforce_matched_novel + _pair about %d" % n)
    if c["enforce_dropped"] != 0:
        bad.append("enforce_dropped 0")
    if case == "A" and c["enforce_matched_pair"] <= 0:
        bad.append("enforce_matched_pair > 0 (the known address over the new stack)")
if case == "B" and c["enforce_matched_pair"] != 0:
    bad.append("no pair matched on the legit stack (enforce_matched_pair 0)")
if bad:
    print("not ok: expected " + "; ".join(bad) + ": " + json.dumps(c))
    sys.exit(1)
EOF
}

# one_run CASE MODE: a run with --enforce MODE and case CASE's hydra,
# checked as the header says
one_run() {
	local case=$1 mode=$2 n=$1/$2 pins=$BED_PINS-$1-$2 alerts=$TMP/alerts-$1-$2.jsonl
	local log=$TMP/run-$1-$2.log hy=$TMP/hydra-$1-$2.out hs_pid hpid client lo hi
	local t_run t_hydra e_alert t_end alert ja4= st kpid k1=$TMP/known1-$1-$2.out
	local k2=$TMP/known2-$1-$2.out k_n k_g
	local n_after g_after n_before g_before l_n l_g l_all l_gall pct h_n busy
	if [ "$case" = A ]; then
		client=3 lo=198.19.0.1 hi=198.19.127.255
	else
		client=4 lo=198.19.128.1 hi=198.19.255.255
	fi
	local cap=
	# the last run's traffic, captured: replay must say what run said
	[ "$case$mode" = Bdry-run ] && bed_capture cap "$TMP/replay.pcap"
	t_run=$(date +%s.%N)
	if ! hs_start hs_pid "$pins" "$log" --window $WINDOW -j --alerts "$alerts" \
		-c "$TMP/detect.ini" --enforce "$mode" --state-dir "$TMP/state-$1-$2" -v; then
		fail "$n: hydrascope run --enforce $mode: attachment expected"
		return
	fi
	move_known 1 || fail "$n: the known address back to client 1"
	sdk kpid 1 "$TMP/known.addrs" 2 10 "$TMP/stop-known1-$case-$mode" "$k1"
	# the detector can judge novelty: then the hydra
	if ! wait_for $((WINDOW * 10)) eval \
		"[ \$(grep -c 'judged' '$log') -ge $((WARMUP + NOVEL_WINDOWS + 1)) ]"; then
		fail "$n: $((WARMUP + NOVEL_WINDOWS + 1)) windows judged within $((WINDOW * 10)) s expected"
	fi
	if grep -q '"event":"hydra"' "$alerts" 2>/dev/null; then
		fail "$n: no alert before the hydra expected: $(head -c 600 "$alerts")"
	else
		ok "$n: no alert while only the legitimate clients connect"
	fi
	touch "$TMP/stop-known1-$case-$mode"
	wait_for 15 eval "! _bg_alive $kpid"
	bg_stop $kpid
	read -r k_n k_g < <(count 0 1e12 "$k1")
	[ "$k_n" -ge 10 ] && [ "$k_g" = "$k_n" ] &&
		ok "$n: the known address connected from client 1 ($k_g of $k_n completed)" ||
		fail "$n: 10+ handshakes of the known address from client 1 expected to complete, got $k_g of $k_n"
	move_known $client || fail "$n: the known address to client $client"
	t_hydra=$(date +%s.%N)
	sdk hpid $client "$TMP/hydra$case.addrs" 25 2 "$TMP/stop-hydra-$case-$mode" "$hy"
	if wait_for $((WINDOW * 5)) grep -q "\"enforced\":\"$mode\"" "$alerts"; then
		e_alert=$(date +%s.%N)
		alert=$(grep -m1 "\"enforced\":\"$mode\"" "$alerts")
		ja4=$(echo "$alert" | sed -n 's/.*"ja4":"\([^"]*\)".*/\1/p')
		ok "$n: alert for $ja4, enforced $mode, $(fadd "$e_alert" "-$t_hydra") s after the hydra began"
		if check_alert "$case" "$mode" "$alert" $lo $hi "$ID0_VARIANT" >"$TMP/check.out"; then
			ok "$n: alert shared, scope novel, its novel part and samples the hydra's"
		else
			fail "$n: alert fields: $(grep '^not ok' "$TMP/check.out" | cut -c9-): $alert"
		fi
		sed -n 's|^# |# '"$n"': |p' "$TMP/check.out"
	else
		e_alert=$(date +%s.%N)
		fail "$n: an alert with \"enforced\":\"$mode\" expected within $((WINDOW * 5)) s; alerts: $(head -c 800 "$alerts")"
	fi
	# the known address, from the hydra's client now
	sdk kpid $client "$TMP/known.addrs" 4 2 "$TMP/stop-known2-$case-$mode" "$k2"
	sleep $MEASURE
	t_end=$(date +%s.%N)
	st=$("$HS" status --pin-dir "$pins" -j 2>&1)
	# the hydra ends the handshakes it began (a dropped one times out)
	touch "$TMP/stop-hydra-$case-$mode" "$TMP/stop-known2-$case-$mode"
	wait_for 10 eval "! _bg_alive $hpid && ! _bg_alive $kpid" ||
		echo "# $n: the hydra did not stop within 10 s"
	bg_stop "$hpid"
	bg_stop "$kpid"
	if [ "$case" = A ] && ! grep "\"ja4\":\"$ja4\"" "$alerts" | grep -q '"new_stacks"'; then
		fail "$n: 'new_stacks' among the reasons of an alert on $ja4 expected: $(grep -o '"reasons":[^]]*]' "$alerts" | tr '\n' ' ')"
	elif [ "$case" = A ]; then
		ok "$n: new_stacks fired for the hydra's stack"
	fi
	# the hydra's handshakes begun 0.5 s after the alert to the end, and
	# up to 0.5 s before it
	read -r n_after g_after < <(count "$(fadd "$e_alert" 0.5)" "$t_end" "$hy")
	read -r n_before g_before < <(count 0 "$(fadd "$e_alert" -0.5)" "$hy")
	read -r l_n l_g < <(count "$(fadd "$e_alert" 0.5)" "$t_end" "$TMP"/legit[12].out)
	read -r l_all l_gall < <(count "$t_run" "$t_end" "$TMP"/legit[12].out)
	if [ "$mode" = drop ]; then
		pct=$(awk -v n="$n_after" -v g="$g_after" 'BEGIN { printf "%.1f", n ? 100 * (n - g) / n : 0 }')
		echo "# $n: hydra after the alert: $((n_after - g_after)) of $n_after dropped ($pct%); legit: $l_g of $l_n completed"
		[ "$n_after" -ge 50 ] && [ $((g_after * 20)) -le "$n_after" ] &&
			ok "$n: >= 95% of the hydra's handshakes fail after the alert ($((n_after - g_after)) of $n_after, $pct%)" ||
			fail "$n: >= 95% of 50+ hydra handshakes after the alert expected to fail, got $((n_after - g_after)) of $n_after"
	else
		echo "# $n: hydra after the alert: $g_after of $n_after completed; legit: $l_g of $l_n completed"
		[ "$n_after" -ge 50 ] && [ "$g_after" = "$n_after" ] &&
			ok "$n: every hydra handshake completes after the alert ($g_after of $n_after)" ||
			fail "$n: all of 50+ hydra handshakes after the alert expected to complete, got $g_after of $n_after"
	fi
	if [ "$n_before" = 0 ]; then
		echo "# $n: no hydra handshake began 0.5 s before the alert"
	elif [ "$g_before" = "$n_before" ]; then
		ok "$n: before the alert the hydra's handshakes completed ($g_before of $n_before)"
	else
		fail "$n: all hydra handshakes before the alert expected to complete, got $g_before of $n_before"
	fi
	read -r k_n k_g < <(count "$(fadd "$e_alert" 0.5)" "$t_end" "$k2")
	if [ "$case$mode" = Adrop ]; then
		busy=$(echo "$st" | python3 -c 'import json, sys; print(json.load(sys.stdin)["counters"]["flow_busy"])' 2>/dev/null)
		echo "# $n: the known address over the new stack: $((k_n - k_g)) of $k_n dropped (flow_busy ${busy:-?})"
		[ "$k_n" -ge 10 ] && [ $((k_g * 20)) -le "$k_n" ] && [ "$k_g" -le "${busy:-0}" ] &&
			ok "$n: the known address over the hydra's new stack is dropped ($((k_n - k_g)) of $k_n)" ||
			fail "$n: >= 95% of 10+ handshakes of the known address over the new stack expected to fail, no more passing than flow_busy (${busy:-?}), got $k_g of $k_n completed: $(awk -v t="$e_alert" '$4 == 1 { printf "%+.1f s ", $1 - t }' "$k2")after the alert"
	else
		[ "$k_n" -ge 10 ] && [ "$k_g" = "$k_n" ] &&
			ok "$n: the known address from client $client completes ($k_g of $k_n)" ||
			fail "$n: all of 10+ handshakes of the known address from client $client expected to complete, got $k_g of $k_n"
	fi
	[ "$l_n" -ge 50 ] && [ "$l_g" = "$l_n" ] &&
		ok "$n: 100% of the legitimate handshakes after the alert complete ($l_g of $l_n)" ||
		fail "$n: all of 50+ legitimate handshakes after the alert expected to complete, got $l_g of $l_n"
	[ "$l_gall" = "$l_all" ] && ok "$n: every legitimate handshake of the run completed ($l_gall)" ||
		fail "$n: every legitimate handshake of the run expected to complete, got $l_gall of $l_all"
	# what enforcement matched since the alert: the hydra's, and the
	# known address's over a new stack
	read -r h_n _ < <(count "$e_alert" "$t_end" "$hy" $([ "$case" = A ] && echo "$k2"))
	check_status "$mode" "$case" "$h_n" "$ja4" \
		"$st" "$alerts" "$ID0_VARIANT" >"$TMP/check.out" && ok "$n: status -j: $ja4 enforced ($mode), scoped counters as expected" ||
		fail "$n: status -j counters: $(grep '^not ok' "$TMP/check.out" | cut -c9-)"
	sed -n 's|^# |# '"$n"': |p' "$TMP/check.out"
	bg_stop "$hs_pid" TERM 10
	expect_eq "$n: run exits 0 on SIGTERM" 0 $?
	[ ! -e "$pins" ] && ok "$n: pins removed" || fail "$n: pins left in $pins: $(ls "$pins")"
	[ -n "$cap" ] && replay_same "$n" "$cap" "$ja4"
}

# replay_same NAME TCPDUMP_PID JA4: the run's capture through `replay
# --window` with the run's settings gives the run's alert: JA4 shared,
# novel among its reasons, the same fields
replay_same() {
	local out=$TMP/replay.jsonl
	bg_stop "$2" INT
	if ! "$HS" replay --window $WINDOW -c "$TMP/detect.ini" --alerts - -j "$TMP/replay.pcap" \
		>"$out" 2>"$TMP/replay.err"; then
		fail "$1: replay of the run's capture: exit 0 expected: $(head -c 300 "$TMP/replay.err")"
		return
	fi
	python3 - "$out" "$3" "$ID0_VARIANT" >"$TMP/check.out" <<'PY'
import json, sys
exec(sys.argv[3])
alerts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
new = [a for a in alerts if a.get("event") == "hydra" and a["state"] == "new"]
ok = [a for a in new if a["ja4"] == sys.argv[2]]
print("# replay alerts: %d (%s)" % (len(new), " ".join(sorted({a["ja4"] for a in new}))))
if len(ok) != 1 or len(new) != 1:
    print("not ok one new alert, on the run's JA4, expected")
    sys.exit(1)
a = ok[0]
if not (a["shared"] and "novel" in a["reasons"] and a["novel_ips"] > 0 and a["new_to_site"] > 0
        and all(id0_variant(x) for x in a["new_tcp_sigs"])
        and a["new_stack_ips"] <= 2 * len(a["new_tcp_sigs"])):
    print("not ok shared, novel among the reasons, no new stack expected: %s" % json.dumps(a))
    sys.exit(1)
print("# replay: %s novel_ips %d novel_nets %d reasons %s" % (a["ja4"], a["novel_ips"],
      a["novel_nets"], ",".join(a["reasons"])))
PY
	if [ $? = 0 ]; then
		ok "$1: replay --window $WINDOW of the run's capture alerts the same JA4, shared, novel"
	else
		fail "$1: replay of the run's capture: $(grep '^not ok' "$TMP/check.out" | cut -c8-)"
	fi
	sed -n 's|^# |# '"$1"': |p' "$TMP/check.out"
}

one_run A drop
one_run A dry-run
one_run B drop
one_run B dry-run
touch "$TMP/stop-legit"
wait_for 15 eval "! _bg_alive $LEGIT1 && ! _bg_alive $LEGIT2" ||
	echo "# the legitimate clients did not stop within 15 s"
bg_stop "$LEGIT1"
bg_stop "$LEGIT2"
read -r l_all l_gall < <(count 0 1e12 "$TMP"/legit[12].out)
[ "$l_gall" = "$l_all" ] && ok "every legitimate handshake of the test completed ($l_gall)" ||
	fail "every legitimate handshake of the test expected to complete, got $l_gall of $l_all"
echo "# total $((SECONDS - T0)) s"
done_testing
