#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `run --fleet` live, through a database outage. run on the bed's veth
# with 2-second windows sends each window to a PostgreSQL of the test's
# own while curl makes TLS connections from one client. The database is
# stopped (pg_ctl stop) for two windows and more: run keeps fingerprinting
# (a local dump has curl's JA4), says once that the database went, its
# spool fills and the metrics say so; the database started again, run
# says once that it is back and the spool empties. Then every window from
# the first to the last arrived exactly once (one batch each, their starts
# on multiples of 2 s), and the connections the database counts are the
# ClientHellos the TLS server saw, no more and no less. Last, the database
# stopped again and run stopped (SIGTERM): it exits within its flush
# bound, leaving the windows in the spool, which its next start sends.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool python3 nsenter ps timeout openssl curl psql
need_hs

WINDOW=2
TLS_PORT=443
BED_PORTS=(80 8080)        # the plain TCP server keeps off the TLS port
MPORT=19751
STATE=$TMP/state
T0=$SECONDS

if ! bed_net 1 || ! bed_tls_server $TLS_PORT; then
	fail "test bed with a client and a TLS server could not be built"
	done_testing
fi
pg_start || done_testing
# run drops its capabilities: the socket's directory must be searchable by
# others, as Debian's /var/run/postgresql is
chmod 711 "$PGDIR"
"$HS" fleet --db "$PG_URL" --init >"$TMP/init.log" 2>&1 ||
	{ fail "fleet --init: $(cat "$TMP/init.log")"; done_testing; }
SPOOL=$STATE/fleet-$BED_DEV
sql() { pg_sql hydrascope "$1"; }
spooled() { find "$SPOOL" -name '*.batch' 2>/dev/null | wc -l; }
spool_empty() { [ "$(spooled)" = 0 ]; }
batches() { sql "SELECT count(*) FROM hydrascope.batches WHERE host = 'live1'"; }
batches_ge() { [ "$(batches 2>/dev/null || echo 0)" -ge "$1" ]; }
metric() { nsx "$BED_SRV" curl -sS --max-time 5 http://127.0.0.1:$MPORT/metrics 2>/dev/null |
	awk -v s="$1" '$1 == s { print $2; exit }'; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }
hellos() { grep -cE '^(ok|fail) ' "$BED_TLS_LOG"; }

if ! hs_start HS_PID "$BED_PINS" "$TMP/run.log" --window $WINDOW --fleet "$PG_URL" \
	--fleet-host live1 --state-dir "$STATE" --alerts "$TMP/alerts" \
	--metrics 127.0.0.1:$MPORT; then
	fail "run --fleet: attachment expected (log above)"
	done_testing
fi
line=$(grep -m1 'fleet: windows go to' "$TMP/run.log")
[[ $line == *"host 'live1'"*"$SPOOL"* ]] && ok "run says where windows go: $line" ||
	fail "run: 'fleet: windows go to ... host 'live1' ... $SPOOL' expected: $(head -c 400 "$TMP/run.log")"
expect_eq "the spool beside the state file, 0700" 700 "$(stat -c %a "$SPOOL" 2>&1)"

# curl every 0.3 s until $TMP/stop
client() {
	while [ ! -e "$TMP/stop" ]; do
		bed_tls_once curl 1 $TLS_PORT >/dev/null 2>&1
		sleep 0.3
	done
}
bg_job CLIENT_PID client

# ---- the database up ----
wait_for 15 batches_ge 2 && ok "windows arrive: $(batches) batches" ||
	fail "2 batches within 15 s expected, got $(batches): $(tail -n 3 "$TMP/run.log" | tr '\n' '|')"
wait_for 5 metric_is hydrascope_fleet_database_up 1 &&
	ok "hydrascope_fleet_database_up 1" || fail "hydrascope_fleet_database_up 1 expected, got '$(metric hydrascope_fleet_database_up)'"

if command -v promtool >/dev/null; then
	nsx "$BED_SRV" curl -sS --max-time 5 -o "$TMP/run.prom" http://127.0.0.1:$MPORT/metrics
	promtool check metrics <"$TMP/run.prom" >"$TMP/promtool.out" 2>&1 &&
		ok "promtool check metrics: clean, with the fleet series ($(grep -c '^hydrascope_fleet_' "$TMP/run.prom"))" ||
		fail "promtool check metrics: $(head -c 600 "$TMP/promtool.out")"
fi

# ---- the database stopped for two windows and more ----
n_before=$(batches)
pg_ctl_stop
t_down=$SECONDS
sleep $((2 * WINDOW + 1))
# a window's close takes its fingerprints out of the maps: until the
# client's next hello, a dump made just after one finds none
dump_has_tls() {
	"$HS" dump --pin-dir "$BED_PINS" -j >"$TMP/dump.json" 2>"$TMP/dump.err" &&
		grep -q '"kind":"tls"' "$TMP/dump.json"
}
wait_for 3 dump_has_tls &&
	ok "database down: run still fingerprints (dump -j has a TLS fingerprint)" ||
	fail "database down: dump -j with a TLS row expected, got: $(head -c 300 "$TMP/dump.json") $(head -c 200 "$TMP/dump.err")"
n=$(spooled)
[ "$n" -ge 2 ] && ok "database down: $n windows wait in the spool" ||
	fail "database down: 2+ windows in $SPOOL expected, got $n"
# a window may close between two reads: the spool read before and after
# the scrape, until the three agree
spool_scraped() {
	local a
	a=$(spooled)
	SCRAPED="$(metric hydrascope_fleet_database_up) $(metric hydrascope_fleet_windows_spooled)"
	SPOOL_N=$(spooled)
	[ "$SCRAPED" = "0 $a" ] && [ "$SPOOL_N" = "$a" ]
}
wait_for 5 spool_scraped
expect_eq "metrics: database down, the windows spooled" "0 $SPOOL_N" "$SCRAPED"
[ "$(metric hydrascope_fleet_send_errors_total)" -ge 1 ] 2>/dev/null &&
	ok "metrics: send errors $(metric hydrascope_fleet_send_errors_total)" ||
	fail "metrics: hydrascope_fleet_send_errors_total >= 1 expected, got '$(metric hydrascope_fleet_send_errors_total)'"
pg_ctl_start || done_testing
echo "# database down for $((SECONDS - t_down)) s"
wait_for 20 spool_empty && ok "database back: the spool emptied" ||
	fail "database back: an empty spool within 20 s expected, $(spooled) left: $(tail -n 3 "$TMP/run.log" | tr '\n' '|')"
[ "$(batches)" -gt $((n_before + n - 1)) ] && ok "the spooled windows arrived ($n_before + $n <= $(batches))" ||
	fail "$n_before + $n batches expected, got $(batches)"
expect_eq "run said once that the database went" 1 "$(grep -c 'fleet: .*windows wait in' "$TMP/run.log")"
expect_eq "run said once that it came back" 1 "$(grep -c 'fleet: the database takes windows again' "$TMP/run.log")"

# ---- every window once, every ClientHello counted ----
touch "$TMP/stop"
bg_stop "$CLIENT_PID"
made=$(hellos)
# the last connections' window closed and sent
sleep $((WINDOW + 1))
wait_for 10 spool_empty
wait_for 5 metric_is hydrascope_fleet_windows_spooled 0
# run sends a batch every window, empty or not: the database and the
# metrics read again until no window was sent during the read
db_read() {
	local s0
	s0=$(metric hydrascope_fleet_windows_sent_total)
	read -r nb nw lo hi odd < <(sql "SELECT count(*), count(DISTINCT window_start), extract(epoch FROM min(window_start))::bigint, extract(epoch FROM max(window_start))::bigint, count(*) FILTER (WHERE extract(epoch FROM window_start)::bigint % $WINDOW <> 0) FROM hydrascope.batches WHERE host = 'live1'" | tr '|' ' ')
	DB="$nb $(sql "SELECT sum(nrows) FROM hydrascope.batches WHERE host = 'live1'")"
	SENT="$(metric hydrascope_fleet_windows_sent_total) $(metric hydrascope_fleet_rows_sent_total)"
	[ "${SENT%% *}" = "$s0" ] && [ "$SENT" = "$DB" ]
}
wait_for 10 db_read
expect_eq "every window from the first to the last once ($nb batches)" \
	"$nb $(((hi - lo) / WINDOW + 1)) 0" "$nw $nb $odd"
got=$(sql "SELECT coalesce(sum(conns), 0) FROM hydrascope.rows WHERE host = 'live1' AND kind = 'ja4'")
[ "$made" -gt 10 ] && [ "$got" = "$made" ] &&
	ok "the database counts $got ClientHellos, the TLS server saw $made" ||
	fail "the database's ClientHellos ($got) = the TLS server's ($made), more than 10, expected"
expect_eq "metrics: windows and rows sent = the database's" "$DB" "$SENT"

# ---- stopped while the database is down: the next start sends the spool ----
pg_ctl_stop
sleep $((2 * WINDOW))
left=$(spooled)
t0=$(date +%s%N)
bg_stop "$HS_PID" TERM 10
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc = 0 ] && [ $ms -lt 4000 ] && ok "run stops in $ms ms with the database down" ||
	fail "run: exit 0 within 4 s of SIGTERM expected, got $rc after $ms ms"
grep -q "fleet: [0-9]* windows .* left in $SPOOL for the next start" "$TMP/run.log" &&
	ok "$(grep -o 'fleet: [0-9]* windows .* for the next start' "$TMP/run.log")" ||
	fail "run: 'left in $SPOOL for the next start' expected: $(tail -n 3 "$TMP/run.log" | tr '\n' '|')"
left=$(spooled)
[ "$left" -ge 1 ] && ok "$left windows left in the spool" || fail "windows left in the spool expected"
pg_ctl_start || done_testing
nb=$(batches)
if hs_start HS_PID2 "$BED_PINS" "$TMP/run2.log" --window $WINDOW --fleet "$PG_URL" \
	--fleet-host live1 --state-dir "$STATE" --alerts "$TMP/alerts"; then
	wait_for 15 spool_empty && ok "the next start sent them: the spool emptied" ||
		fail "the next start: an empty spool within 15 s expected, $(spooled) left: $(tail -n 3 "$TMP/run2.log" | tr '\n' '|')"
	[ "$(batches)" -ge $((nb + left)) ] && ok "$left more batches ($(batches))" ||
		fail "$nb + $left batches expected, got $(batches)"
	expect_eq "still one batch per window" 0 \
		"$(sql "SELECT count(*) FROM (SELECT window_start FROM hydrascope.batches WHERE host = 'live1' GROUP BY 1 HAVING count(*) > 1) d")"
	bg_stop "$HS_PID2" TERM 10
	expect_eq "second run exits 0" 0 $?
else
	fail "second run --fleet: attachment expected (log above)"
fi
grep -h 'fleet' "$TMP/run.log" "$TMP/run2.log" 2>/dev/null | sed 's/^/# /'
echo "# $((SECONDS - T0)) s"
done_testing
