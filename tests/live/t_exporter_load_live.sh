#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The HTTP server of the exporter and `run --metrics` under hostile
# clients, with real tools, against a real instance on the veth bed (real
# TLS handshakes in its maps): wrk with 500 parallel connections; 200
# connections that send half a request line and hold it, from 25
# addresses, and a client trickling a header byte a second; oversized and
# malformed requests. Throughout, scrapes from another address get valid
# metrics in under 2 s, and the server stays within its bounds: alive,
# resident memory, threads, file descriptors back to where they were, one
# read of the maps per --web.cache-ms however many scrapers. The figures
# (wrk's requests/s and latency percentiles, scrape latency, memory and
# threads before, during and after) are printed as TAP comments.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool python3 nsenter curl wrk promtool openssl
need_hs

TLS_PORTS=(443)
BED_PORTS=(80)
RUN_PORT=19744 EXP_PORT=19745
TIMEOUT=3            # --web.timeout for the exporter under test (seconds)
CACHE_MS=1000        # --web.cache-ms (the default)
WRK_S=8             # wrk's run
# peak resident memory over the idle one, at most: 32 KiB per connection
# held at once (libmicrohttpd's pool, its limit) and 8 MiB for the rest
CONN_KIB=32 REST_KIB=$((8 * 1024))
# under AddressSanitizer (make check SANITIZE=1) every allocation carries
# redzones: twice the allowance; and freed memory waits in a quarantine
# that grows with what was ever allocated (up to 256 MiB), not with what
# is held: kept small here, so that the peak measures what is held
if [ -n "${HS_BIN:-}" ] && nm -D "$HS" 2>/dev/null | grep -q __asan_init; then
	CONN_KIB=$((2 * CONN_KIB)) REST_KIB=$((2 * REST_KIB))
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
fi
SCRAPE_MAX_S=2       # a scrape from another address during any of it

# ---- bad values: one line, exit 2 ----
for bad in "--web.max-connections 0" "--web.max-connections 1025" "--web.max-connections x" \
	"--web.max-connections-per-ip 0" "--web.timeout 0" "--web.timeout 3601" \
	"--web.cache-ms 60001" "--web.cache-ms -1"; do
	# shellcheck disable=SC2086 # the flag and its value, split on purpose
	expect_error "exporter $bad" 2 "$HS" exporter $bad
done
expect_error "run --web.timeout without --metrics" 2 "$HS" run -i lo --web.timeout 5
expect_error "run --metrics with --web.cache-ms 99999" 2 "$HS" run -i lo \
	--metrics 127.0.0.1:$RUN_PORT --web.cache-ms 99999

# ---- a real instance with real handshakes in its maps ----
if ! bed_net 1 || ! bed_tls_server "${TLS_PORTS[@]}"; then
	fail "test bed could not be built"
	done_testing
fi
ip -n "$BED_SRV" link set lo up
# run with room for all of wrk's connections at once (the exporter: the
# default limits)
if ! hs_start HS_PID "$BED_PINS" "$TMP/run.log" --metrics 127.0.0.1:$RUN_PORT \
	--web.timeout $TIMEOUT --web.max-connections 1024 --web.max-connections-per-ip 1024; then
	fail "run --metrics 127.0.0.1:$RUN_PORT: attachment expected (log above)"
	done_testing
fi
for k in 1 2 3; do
	timeout 20 nsx "${BED_CLIENTS[0]}" curl -sS -k --max-time 10 -o /dev/null \
		"https://$BED_SRV_IP/" 2>>"$TMP/curl.err"
done
bg_job EXP_PID nsenter --net=/run/netns/"$BED_SRV" "$HS" exporter --pin-dir "$BED_PINS" \
	--web.listen-address 127.0.0.1:$EXP_PORT --web.timeout $TIMEOUT \
	--web.cache-ms $CACHE_MS 2>"$TMP/exp.log"
if ! wait_for 5 grep -q serving "$TMP/exp.log"; then
	fail "the exporter did not start: $(head -c 300 "$TMP/exp.log")"
	done_testing
fi

# status PID FIELD: a /proc/PID/status field's value (kB for memory)
status() { awk -v f="$2:" '$1 == f { print $2 }' /proc/"$1"/status 2>/dev/null; }
threads() { ls /proc/"$1"/task 2>/dev/null | wc -l; }
fds() { ls /proc/"$1"/fd 2>/dev/null | wc -l; }
# sampler PID FILE: "threads fds" every 0.1 s while PID lives
sampler() {
	while [ -d /proc/"$1" ]; do
		echo "$(threads "$1") $(fds "$1")" >>"$2"
		sleep 0.1
	done
}
# peak FILE COLUMN: the largest value in a sampler column
peak() { awk -v c="$2" '$c > m { m = $c } END { print m + 0 }' "$1"; }
# scrape PORT FILE: GET /metrics from 127.0.0.2, not the address of any
# load: "HTTP-status seconds"
scrape() {
	nsx "$BED_SRV" curl -sS --interface 127.0.0.2 --max-time 10 -o "$2" \
		-w '%{http_code} %{time_total}' "http://127.0.0.1:$1/metrics" 2>>"$TMP/scrape.err"
}
value() { awk -v s="$2" '$1 == s { print $2; exit }' "$1"; }
# scrapes_during PORT NAME SECONDS: a scrape every 0.5 s for SECONDS; ok
# if each got 200 and valid metrics (promtool) in under SCRAPE_MAX_S
scrapes_during() {
	local port=$1 name=$2 end=$((SECONDS + $3)) n=0 bad= worst=0 r
	while ((SECONDS < end)); do
		r=$(scrape "$port" "$TMP/during.prom")
		n=$((n + 1))
		worst=$(awk -v a="$worst" -v b="${r#* }" 'BEGIN { print (b + 0 > a + 0 ? b : a) }')
		if [ "${r% *}" != 200 ] ||
			awk -v t="${r#* }" -v m=$SCRAPE_MAX_S 'BEGIN { exit !(t >= m) }'; then
			bad="$bad [$r]"
		elif ! promtool check metrics <"$TMP/during.prom" >"$TMP/promtool.out" 2>&1; then
			bad="$bad [promtool: $(head -c 200 "$TMP/promtool.out")]"
		fi
		sleep 0.5
	done
	echo "# $name: scrape latency from another address, slowest of $n: ${worst} s"
	if [ -z "$bad" ] && [ $n -gt 0 ]; then
		ok "$name: $n scrapes from another address, each 200, valid, under ${SCRAPE_MAX_S} s"
	else
		fail "$name: scrapes answered 200 in under ${SCRAPE_MAX_S} s expected, $n done, failed:$bad"
	fi
}

# abuse PID PORT NAME WRK-SECONDS MAX-THREADS MAX-CONNECTIONS: every kind
# of hostile client in turn against the server of PID on PORT (with that
# --web.max-connections), its bounds checked
abuse() {
	local pid=$1 port=$2 name=$3 wrk_s=$4 max_threads=$5 max_conns=$6
	local rss0 rss_max fd0 r0 r1 reqs renders job samp have want c n early late last t
	rss0=$(status "$pid" VmRSS) fd0=$(fds "$pid")
	# wrk's 500 connections at most at once, the slow clients' 201 later
	c=$((max_conns < 501 ? max_conns : 501))
	rss_max=$((rss0 + c * CONN_KIB + REST_KIB))
	echo 5 >/proc/"$pid"/clear_refs      # VmHWM from here on
	echo "# $name idle: VmRSS $rss0 kB, $(threads "$pid") threads, $fd0 fds"
	: >"$TMP/samples.$name"
	bg_job samp sampler "$pid" "$TMP/samples.$name"

	# ---- wrk: 500 connections from one address ----
	scrape "$port" "$TMP/before.prom" >/dev/null
	r0=$(value "$TMP/before.prom" hydrascope_metrics_renders_total)
	bg_job job nsenter --net=/run/netns/"$BED_SRV" wrk -t 2 -c 500 -d "${wrk_s}s" \
		--timeout 5s --latency "http://127.0.0.1:$port/metrics" >"$TMP/wrk.$name" 2>&1
	sleep 1
	echo "# $name under wrk: VmRSS $(status "$pid" VmRSS) kB, $(threads "$pid") threads, $(fds "$pid") fds"
	scrapes_during "$port" "$name under wrk -t 2 -c 500" $((wrk_s - 2))
	wait "$job"
	sed -n '/Thread Stats/,$p' "$TMP/wrk.$name" | sed "s/^/# $name wrk: /"
	reqs=$(awk '/requests in/ { print $1 }' "$TMP/wrk.$name")
	# answers, not throughput: wrk's refused connections come back at once
	# and take the 2 cores from the server
	if [ "${reqs:-0}" -ge $((wrk_s * 10)) ] && ! grep -q 'Non-2xx' "$TMP/wrk.$name"; then
		ok "$name: wrk got $reqs answers, every one 200"
	else
		fail "$name: wrk: $((wrk_s * 10))+ answers, all 200, expected: $(tail -n 4 "$TMP/wrk.$name" | tr '\n' ' ')"
	fi
	scrape "$port" "$TMP/after.prom" >/dev/null
	r1=$(value "$TMP/after.prom" hydrascope_metrics_renders_total)
	renders=$((r1 - r0 - 1))            # the after scrape's own read
	want=$((wrk_s * 1000 / CACHE_MS + 3))
	if [ "${r0:-x}" != x ] && [ "$renders" -ge 1 ] && [ "$renders" -le $want ]; then
		ok "$name: $renders reads of the maps for $reqs scrapes in ${wrk_s} s (at most $want)"
	else
		fail "$name: 1 to $want reads of the maps for $reqs scrapes expected, got '$renders' ($r0 -> $r1)"
	fi

	# ---- slow clients: 200 half requests from 25 addresses, a trickler ----
	nsx "$BED_SRV" "$BED_PY" "$ROOT/tests/lib/http_abuse.py" hold 127.0.0.1 "$port" 200 25 \
		$TIMEOUT $((TIMEOUT + 2)) "$pid" >"$TMP/hold.$name" 2>&1 &
	job=$!
	sleep 0.5
	scrapes_during "$port" "$name with slow clients" $((TIMEOUT + 1))
	wait "$job"
	sed "s/^/# $name slow clients: /" "$TMP/hold.$name"
	early=$(awk '$1 == "early" { print $2 }' "$TMP/hold.$name")
	read -r late last <<<"$(awk '$1 == "late" { print $2, $3 }' "$TMP/hold.$name")"
	n=$(awk '$1 == "open" { print $2 }' "$TMP/hold.$name")
	if [ "$n" = 0 ] && [ "${late:-999}" -le "$max_conns" ] &&
		awk -v t="$last" -v m=$TIMEOUT 'BEGIN { exit !(t <= m + 1) }'; then
		ok "$name: of 200 half requests $early closed early to make room, $late held until the timeout ($TIMEOUT s; the last closed at $last s; limit $max_conns)"
	else
		fail "$name: 200 half requests closed, at most $max_conns at the $TIMEOUT s timeout, expected: $(tr '\n' ' ' <"$TMP/hold.$name")"
	fi
	# the trickler never outlives the timeout; where the connections are
	# over the limit it may be the one closed to make room, before it
	t=$(awk '$1 == "trickle" { print $2 }' "$TMP/hold.$name")
	if awk -v t="$t" -v m=$TIMEOUT -v e="${early:-0}" \
		'BEGIN { exit !(t != "open" && (t + 0 >= m - 0.5 || e > 0) && t + 0 <= m + 1) }'; then
		ok "$name: a header trickled a byte a second: closed at ${t} s (timeout $TIMEOUT s)"
	else
		fail "$name: the trickler closed by the $TIMEOUT s timeout expected, got '$t'"
	fi
	n=$(awk '$1 == "server_fds" { print $2 }' "$TMP/hold.$name")
	if [ -n "$n" ] && [ "$n" -le $((fd0 + 1)) ]; then
		ok "$name: $n fds with the slow clients still connected, $fd0 idle"
	else
		fail "$name: the slow clients' connections closed on the server's side expected: $n fds, $fd0 idle"
	fi

	# ---- oversized and malformed requests ----
	nsx "$BED_SRV" "$BED_PY" "$ROOT/tests/lib/http_abuse.py" probe 127.0.0.1 "$port" \
		>"$TMP/probe.$name" 2>&1
	have=$(tr '\n' ' ' <"$TMP/probe.$name")
	want="header_100k 431 url_100k 414 headers_20000 431 garbage 400 http_0.9 400 version_9.9 505 method_FOO 405 post_100k_body 405 content_length_absurd 413 content_length_1g 413 content_length_negative 400 chunked_body 413 nul_in_url 404 head 200 get 200 "
	expect_eq "$name: oversized and malformed requests refused" "$want" "$have"

	# ---- the bounds, over all of it ----
	bg_stop "$samp"
	c=$(peak "$TMP/samples.$name" 1)
	n=$(status "$pid" VmHWM)
	echo "# $name after: VmRSS $(status "$pid" VmRSS) kB, peak VmHWM $n kB, peak $c threads, $(fds "$pid") fds"
	check "$name: still running (pid $pid)" kill -0 "$pid"
	if [ -n "$n" ] && [ "$n" -le $rss_max ]; then
		ok "$name: peak resident memory $n kB, at most $rss_max kB (idle $rss0 kB)"
	else
		fail "$name: peak resident memory at most $rss_max kB expected, got '$n' (idle $rss0 kB)"
	fi
	if [ "$c" -ge 1 ] && [ "$c" -le "$max_threads" ]; then
		ok "$name: at most $c threads throughout (bound $max_threads)"
	else
		fail "$name: at most $max_threads threads expected, saw $c"
	fi
	for t in 1 2 3 4 5 6; do
		n=$(fds "$pid")
		[ "$n" -le $((fd0 + 1)) ] && break
		sleep 0.5
	done
	if [ "$n" -le $((fd0 + 1)) ]; then
		ok "$name: $n fds after it all, $fd0 before"
	else
		fail "$name: fds back to $fd0 (+1) expected, got $n"
	fi
}

abuse "$EXP_PID" $EXP_PORT exporter $WRK_S 3 32
abuse "$HS_PID" $RUN_PORT run 5 4 1024

bg_stop "$EXP_PID" TERM 5
expect_eq "exporter exits 0 on SIGTERM" 0 $?
bg_stop "$HS_PID" TERM 10
expect_eq "run --metrics exits 0 on SIGTERM" 0 $?
done_testing
