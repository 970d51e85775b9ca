#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The lookup socket's rate (`make bench`): a `hydrascope run
# --lookup-socket` on the test bed with one recorded TLS connection (rate
# limit off), asked `lookup CLIENT` by one connection and by 8 at once,
# each waiting for its answer before the next request (bench_lookup.c).
# Against two baselines measured in the same run: an echo server of ours
# on a unix socket (the same transport: one thread, poll; a request line
# and its echo), and conn_get, the record read from the pinned conns map
# (the kernel's part). Also what one `hydrascope lookup`
# costs (a process, the pins opened, one query). A request and its answer
# is two task switches: run (every thread) and the clients share CPU 0,
# or the figures follow where the scheduler put them; each figure is the
# median of 3. Output: "name value unit".
. "$(dirname "$0")/../lib/lib.sh"
need_root
B=$ROOT/.output/tests/bench_lookup
S=${BENCH_LOOKUP_SECONDS:-2}
CPU=0
SOCK=$TMP/lookup.sock
BED_PORTS=(80 8080)
if ! bed_net 1 || ! bed_tls_server 443; then
	echo "bench_lookup: no test bed" >&2
	exit 1
fi
# one TLS connection from a known port: the record every request asks for
CLIENT=${BED_CLIENT_IPS[0]}:41001
nsx "${BED_CLIENTS[0]}" timeout 10 curl -sS -k --max-time 5 --local-port 41001 \
	--resolve "$BED_TLS_NAME:443:$BED_SRV_IP" -o /dev/null "https://$BED_TLS_NAME/" || {
	echo "bench_lookup: the TLS connection failed" >&2
	exit 1
}
if ! hs_start HS_PID "$BED_PINS" "$TMP/run.log" --window 3600 --lookup-socket "$SOCK" \
	--lookup-socket-rate 0 >"$TMP/start.log"; then
	cat "$TMP/start.log" >&2
	exit 1
fi
taskset -a -p -c $CPU "$HS_PID" >/dev/null
# the connection again, now that run is attached: recorded
nsx "${BED_CLIENTS[0]}" timeout 10 curl -sS -k --max-time 5 --local-port 41001 \
	--resolve "$BED_TLS_NAME:443:$BED_SRV_IP" -o /dev/null "https://$BED_TLS_NAME/"
"$HS" lookup --pin-dir "$BED_PINS" "$CLIENT" >/dev/null || {
	echo "bench_lookup: no record of $CLIENT" >&2
	exit 1
}
LINE="lookup $CLIENT"
# median3 ARGS...: bench_lookup ARGS three times on CPU 0, the median
median3() {
	local a b c
	a=$(taskset -c $CPU "$B" "$@") && b=$(taskset -c $CPU "$B" "$@") &&
		c=$(taskset -c $CPU "$B" "$@") || return 1
	printf '%s\n' "$a" "$b" "$c" | sort -n | sed -n 2p
}
map=$(median3 map "$BED_PINS" "$CLIENT" "$S") || exit 1
echo1=$(median3 echo 1 "$S" "$LINE") || exit 1
echo8=$(median3 echo 8 "$S" "$LINE") || exit 1
sock1=$(median3 socket "$SOCK" 1 "$S" "$LINE") || exit 1
sock8=$(median3 socket "$SOCK" 8 "$S" "$LINE") || exit 1
t0=$(date +%s%N)
for ((i = 0; i < 100; i++)); do
	"$HS" lookup -j --pin-dir "$BED_PINS" "$CLIENT" >/dev/null || exit 1
done
cli_us=$((($(date +%s%N) - t0) / 100 / 1000))
awk -v m="$map" -v e1="$echo1" -v e8="$echo8" -v s1="$sock1" -v s8="$sock8" -v c="$cli_us" 'BEGIN {
	printf "lookup_baseline_map_lookups_per_s %d lookups/s\n", m
	printf "lookup_baseline_echo_1conn_qps %d requests/s\n", e1
	printf "lookup_baseline_echo_8conn_qps %d requests/s\n", e8
	printf "lookup_socket_1conn_qps %d requests/s\n", s1
	printf "lookup_socket_8conn_qps %d requests/s\n", s8
	printf "lookup_socket_1conn_vs_echo %.2f ratio\n", s1 / e1
	printf "lookup_socket_8conn_vs_echo %.2f ratio\n", s8 / e8
	printf "lookup_socket_1conn_vs_map %.3f ratio\n", s1 / m
	printf "lookup_cli_us %d us/invocation\n", c
}'
bg_stop "$HS_PID"
