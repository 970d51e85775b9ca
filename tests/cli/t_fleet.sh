#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `hydrascope fleet` on a PostgreSQL of the test's own (pg_start: root for
# su postgres, no namespace), its rows written by SQL as addresses from
# any other source would be: hll_add_agg(hll_hash_bytea(ADDRESS BYTES),
# 10, 5, 0, 1) over generated IPv4 addresses, and a batch per host and
# window. Three hosts, edge-a, edge-b and edge-c, each with steady
# fingerprints of its own (legitimate traffic, never wide fleet-wide);
# from window 6 a hydra on all three, each host seeing 150 of its
# addresses (below min_ips 300), the fleet 350 (hosts overlap: 450 in
# sum). `fleet --from --to`: the hydra alerted within 2 windows of its
# start, scope fleet, the three hosts, ips within 3 standard errors of
# 350 (and of the extension's own estimate), nothing else alerted;
# `fleet top`; follow mode judging a window once every host's batch came
# in, hydrascope.alerts open then ended, the database restarted (one line
# down, one back), SIGTERM with the state saved; a row whose sketch does
# not decode skipped with one warning; bad input one line each.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd python3 psql su timeout
need_hs

pg_start || done_testing
"$HS" fleet --db "$PG_URL" --init >"$TMP/init" 2>&1
check "fleet --init" grep -q "created the hydrascope schema" "$TMP/init"

WS=60
T0=$(date -u -d 2026-11-30T00:00:00Z +%s)
HYDRA=t13d1516h2_8daaf6152771_hydra0000000
STACK="4:64:0:*:mss*44,7:mss,sok,ts,nop,ws:df,id+:0"
HOSTS=(edge-a edge-b edge-c)
cat >"$TMP/fleet.ini" <<EOF
[detect]
window = $WS
min_ips = 300
min_nets = 100
warmup = 3
EOF

# rows_sql START H HYDRA: host H's (0-2) rows of the window at START, the
# hydra's too when HYDRA is 1
rows_sql() {
	local t=$1 h=$2 hy=$3 host=${HOSTS[$2]}
	# legitimate: five JA4s of 40 addresses each in one /24 of the host's
	# (198.18.H*16+F.0/24), the same every window, 5 connections each;
	# their TCP stack and pairs
	cat <<EOF
INSERT INTO hydrascope.rows (window_start, window_s, host, kind, name, detail, conns,
	ips, nets, stacks)
SELECT to_timestamp($t), $WS, '$host', 'ja4', 't13d1516h2_8daaf6152771_legit00000' || f, 't13d1516h2_0a0a', 200,
	hll_add_agg(hll_hash_bytea(int4send((-971898880 + $h * 4096 + f * 256 + i)::int4)), 10, 5, 0, 1),
	hll_add_agg(hll_hash_bytea(int4send((-971898880 + $h * 4096 + f * 256)::int4)), 10, 5, 0, 1),
	hll_add_agg(hll_hash_bytea(int4send(7)), 10, 5, 0, 1)
FROM generate_series(1, 5) f, generate_series(0, 39) i GROUP BY f;
INSERT INTO hydrascope.rows (window_start, window_s, host, kind, name, conns, ips, nets)
SELECT to_timestamp($t), $WS, '$host', k, CASE k WHEN 'tcp' THEN '$STACK'
	ELSE 't13d1516h2_8daaf6152771_legit00000' || f || ' $STACK' END, 200,
	hll_add_agg(hll_hash_bytea(int4send((-971898880 + $h * 4096 + f * 256 + i)::int4)), 10, 5, 0, 1),
	hll_add_agg(hll_hash_bytea(int4send((-971898880 + $h * 4096 + f * 256)::int4)), 10, 5, 0, 1)
FROM unnest(ARRAY['tcp', 'pair']) k, generate_series(1, 5) f, generate_series(0, 39) i
GROUP BY 4, 5;
EOF
	# the hydra: addresses 198.19.I.0, I = H*100 .. H*100+149, each its
	# own /24, one connection each, over 8 TCP stacks
	[ "$hy" = 1 ] && cat <<EOF
INSERT INTO hydrascope.rows (window_start, window_s, host, kind, name, detail, conns,
	novel_ips, novel_site, novel_nets, ips, nets, stacks)
SELECT to_timestamp($t), $WS, '$host', 'ja4', '$HYDRA', 't13d1516h2_0b0b', 150, 150, 150, 150,
	hll_add_agg(hll_hash_bytea(int4send((-971833344 + i * 256)::int4)), 10, 5, 0, 1),
	hll_add_agg(hll_hash_bytea(int4send((-971833344 + i * 256)::int4)), 10, 5, 0, 1),
	hll_add_agg(hll_hash_bytea(int4send(100 + i % 8)), 10, 5, 0, 1)
FROM generate_series($h * 100, $h * 100 + 149) i;
EOF
	echo "INSERT INTO hydrascope.batches (host, batch, window_start, window_s, nrows)
VALUES ('$host', '$host-$t', to_timestamp($t), $WS, 11);"
}

# ten windows from T0, the hydra in windows 6 and 7
{
	echo "SELECT hydrascope.partition_for(to_timestamp($T0));"
	for ((w = 0; w < 10; w++)); do
		for h in 0 1 2; do
			rows_sql $((T0 + w * WS)) $h $((w == 6 || w == 7))
		done
	done
} >"$TMP/fill.sql"
psql -X -q -v ON_ERROR_STOP=1 -h "$PGDIR" -p "$PGPORT" -U postgres -d hydrascope \
	-f "$TMP/fill.sql" >/dev/null 2>"$TMP/fill.err"
expect_eq "rows written by SQL (3 hosts x 10 windows x 11, the hydra's 6)" 336 \
	"$(pg_sql hydrascope "SELECT count(*) FROM hydrascope.rows")"
expect_eq "each host sees the hydra below min_ips" "t" \
	"$(pg_sql hydrascope "SELECT bool_and(hll_cardinality(ips) < 300) FROM hydrascope.rows WHERE name = '$HYDRA'")"
EXT=$(pg_sql hydrascope "SELECT round(hll_cardinality(hll_union_agg(ips))) FROM hydrascope.rows
	WHERE name = '$HYDRA' AND window_start = to_timestamp($((T0 + 6 * WS)))")

# ---- the stored windows, judged ------------------------------------------
timeout 60 "$HS" fleet --db "$PG_URL" --config "$TMP/fleet.ini" -j -v \
	--from 2026-11-30T00:00:00Z --to $((T0 + 10 * WS)) >"$TMP/range.jsonl" 2>"$TMP/range.err"
expect_eq "fleet --from --to exits 0" 0 $?
expect_eq "every window judged" 10 "$(grep -c 'judged' "$TMP/range.err")"
python3 - "$TMP/range.jsonl" "$HYDRA" $((T0 + 6 * WS)) "$EXT" >"$TMP/range.check" <<'EOF'
import datetime, json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
hydra, start, ext = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
def ts(s):
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=datetime.timezone.utc).timestamp())
new = [a for a in lines if a.get("ja4") == hydra and a["state"] == "new"]
other = [a for a in lines if a.get("ja4") != hydra]
print(("ok" if len(new) == 1 else "not ok") + " the hydra alerted once as new (%d)" % len(new))
if not new:
    sys.exit(0)
a = new[0]
late = (ts(a["ts"]) - start) // 60
print(("ok" if late <= 2 else "not ok") + " within 2 windows of its start (window end +%d)" % late)
print(("ok" if a.get("scope") == "fleet" else "not ok") + " scope fleet: %s" % a.get("scope"))
print(("ok" if a.get("hosts") == ["edge-a", "edge-b", "edge-c"] else "not ok")
      + " the three hosts: %s" % a.get("hosts"))
print(("ok" if "sample_ips" not in a else "not ok") + " no sample_ips fleet-wide")
se = 1.04 / 32
print(("ok" if abs(a["ips"] - 350) <= 3 * se * 350 else "not ok")
      + " ips %d within 3 standard errors of the true 350 (unioned, not summed: 450)" % a["ips"])
print(("ok" if abs(a["ips"] - ext) <= 3 * se * ext else "not ok")
      + " ips %d within 3 standard errors of the extension's own estimate %d" % (a["ips"], ext))
print(("ok" if "wide" in a["reasons"] and "new" in a["reasons"] else "not ok")
      + " reasons %s" % a["reasons"])
print(("ok" if not other else "not ok")
      + " legitimate traffic raised nothing (%s)" % [o.get("ja4") or o.get("tcp_sig") for o in other])
ended = [l for l in lines if l.get("ja4") == hydra and l["state"] == "ended"]
print(("ok" if ended else "not ok") + " the hydra's alert ended once it was gone")
EOF
tap_verdicts "$TMP/range.check"

# one window judged twice gives the same alert (a state with --state)
timeout 30 "$HS" fleet --db "$PG_URL" --config "$TMP/fleet.ini" --state "$TMP/r.json" \
	--from $T0 --to $((T0 + 7 * WS)) >"$TMP/range.txt" 2>&1
check "text alerts: scope=fleet hosts=edge-a,edge-b,edge-c" \
	grep -q "hydra new .*$HYDRA .*scope=fleet hosts=edge-a,edge-b,edge-c" "$TMP/range.txt"
check "--state saved with --from/--to" test -s "$TMP/r.json" -a -s "$TMP/r.json.last"
expect_eq "range mode leaves hydrascope.alerts alone" 0 \
	"$(pg_sql hydrascope "SELECT count(*) FROM hydrascope.alerts")"

# ---- fleet top ------------------------------------------------------------
"$HS" fleet top --db "$PG_URL" --config "$TMP/fleet.ini" --at $((T0 + 6 * WS + 5)) \
	>"$TMP/top.txt" 2>&1
check "fleet top: the hydra's row, 3 hosts, its signals" \
	grep -Eq "^ja4 +$HYDRA +450 +[0-9]+ +[0-9]+ +8 +3 +[0-9]+ +wide,many_nets,low_rate,many_stacks" "$TMP/top.txt"
check "fleet top: header" grep -q "window 2026-11-30T00:06:00Z (60 s)  3 hosts  6 JA4, 1 TCP stacks, 5 pairs" "$TMP/top.txt"
"$HS" fleet top --db "$PG_URL" --config "$TMP/fleet.ini" --at $((T0 + 6 * WS)) -j -n 3 \
	>"$TMP/top.json" 2>&1
check "fleet top -j: one object, 3 rows, the busiest first" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
r = j["rows"]
assert j["hosts"] == 3 and j["fingerprints"] == 12 and len(r) == 3, j
assert r[0]["conns"] >= r[1]["conns"] >= r[2]["conns"], r
' "$TMP/top.json"

# ---- a sketch that does not decode ----------------------------------------
pg_sql hydrascope "INSERT INTO hydrascope.rows (window_start, window_s, host, kind, name, conns, ips, nets)
	SELECT to_timestamp($((T0 + 2 * WS))), $WS, 'edge-d', 'ja4', 'odd_' || k, 1,
	hll_add_agg(hll_hash_bytea(int4send(i)), 11, 5, 0, 1), hll_add_agg(hll_hash_bytea(int4send(i)), 10, 5, 0, 1)
	FROM generate_series(1, 2) k, generate_series(1, 5) i GROUP BY k;
	INSERT INTO hydrascope.rows (window_start, window_s, host, kind, name, conns, ips, nets)
	SELECT to_timestamp($((T0 + 2 * WS))), $WS, 'edge-e', 'ja4', 'odd_1', 1,
	hll_add_agg(hll_hash_bytea(int4send(i)), 10, 5, 0, 1), hll_add_agg(hll_hash_bytea(int4send(i)), 10, 5, 0, 1)
	FROM generate_series(1, 5) i" >/dev/null
timeout 30 "$HS" fleet --db "$PG_URL" --config "$TMP/fleet.ini" -j --from $T0 --to $((T0 + 4 * WS)) \
	>"$TMP/bad.jsonl" 2>"$TMP/bad.err"
expect_eq "rows of other sketch parameters: judged on without them" 0 $?
expect_eq "... warned once, and counted at the end" 2 "$(wc -l <"$TMP/bad.err")"
check "... the warning names them: $(head -1 "$TMP/bad.err")" grep -q "2 rows skipped: sketches not log2m 10" "$TMP/bad.err"
pg_sql hydrascope "DELETE FROM hydrascope.rows WHERE host IN ('edge-d', 'edge-e')" >/dev/null

# ---- follow mode ------------------------------------------------------------
# windows of 4 s: the hydra's rows for the window under way, all hosts'
# batches; then the next window's batches of two hosts only: not judged
# until the third's came; then an empty window all hosts report
FWS=4
cat >"$TMP/follow.ini" <<EOF
[detect]
min_ips = 300
min_nets = 100
warmup = 0
EOF
fill_follow() {   # START HOSTS... (hydra rows and batches)
	local t=$1 h; shift
	for h in "$@"; do rows_sql "$t" "$h" 1; done | sed "s/, $WS, '/, $FWS, '/; s/, $WS, 11)/, $FWS, 11)/" |
		psql -X -q -v ON_ERROR_STOP=1 -h "$PGDIR" -p "$PGPORT" -U postgres -d hydrascope >/dev/null
}
# start early in a window, so that the first window's rows are in before it ends
while (( $(date +%s%N) / 1000000 % (FWS * 1000) > 1000 )); do sleep 0.1; done
W=$(( $(date +%s) / FWS * FWS ))
pg_sql hydrascope "SELECT hydrascope.partition_for(to_timestamp($W + 86400))" >/dev/null
fill_follow $W 0 1 2
bg_job FPID "$HS" fleet --db "$PG_URL" --config "$TMP/follow.ini" --window $FWS --grace 60 -j -v \
	--state "$TMP/f.json" --alerts "$TMP/follow.jsonl" 2>"$TMP/follow.err"
fill_follow $((W + FWS)) 0 1
wait_for 10 grep -q '"state":"new"' "$TMP/follow.jsonl"
check "follow: the window judged once all its hosts reported" grep -q '"hosts":\["edge-a","edge-b","edge-c"\]' "$TMP/follow.jsonl"
expect_eq "follow: hydrascope.alerts open, with the hosts" "open|{edge-a,edge-b,edge-c}" \
	"$(pg_sql hydrascope "SELECT state, hosts FROM hydrascope.alerts WHERE name = '$HYDRA'")"
while (( $(date +%s) < W + 2 * FWS + 2 )); do sleep 0.2; done
expect_eq "follow: the next window waits for edge-c's batch" 0 "$(grep -c '"state":"active"' "$TMP/follow.jsonl")"
fill_follow $((W + FWS)) 2
wait_for 5 grep -q '"state":"active"' "$TMP/follow.jsonl"
check "follow: judged as soon as edge-c's batch came" grep -q '"state":"active"' "$TMP/follow.jsonl"
pg_sql hydrascope "INSERT INTO hydrascope.batches (host, batch, window_start, window_s, nrows)
	SELECT h, h || '-empty', to_timestamp($((W + 2 * FWS))), $FWS, 0 FROM unnest(ARRAY['edge-a','edge-b','edge-c']) h" >/dev/null
wait_for 10 grep -q '"state":"ended"' "$TMP/follow.jsonl"
check "follow: the hydra gone, its alert ended" grep -q '"state":"ended"' "$TMP/follow.jsonl"
wait_for 5 test "$(pg_sql hydrascope "SELECT state FROM hydrascope.alerts WHERE name = '$HYDRA'")" = ended
expect_eq "follow: hydrascope.alerts ended" ended \
	"$(pg_sql hydrascope "SELECT state FROM hydrascope.alerts WHERE name = '$HYDRA'")"
# the database restarted under it
pg_ctl_stop
wait_for 10 grep -q "fleet database lost" "$TMP/follow.err"
sleep 2
pg_ctl_start
wait_for 40 grep -q "fleet database back" "$TMP/follow.err"
expect_eq "database down and back: one line each" "1 1" \
	"$(grep -c 'fleet database lost' "$TMP/follow.err") $(grep -c 'fleet database back' "$TMP/follow.err")"
bg_stop "$FPID"
expect_eq "SIGTERM: exit 0" 0 $?
check "follow: state saved" test -s "$TMP/f.json" -a -s "$TMP/f.json.last"
expect_eq "follow: no warning" "" "$(grep -v 'judged\|database lost\|database back\|upkeep\|stopped' "$TMP/follow.err")"

# ---- bad input: one line each -------------------------------------------
R="--from $T0 --to $((T0 + WS))"
expect_error "unreachable database" 1 "$HS" fleet --db "postgresql://postgres@/hydrascope?host=$TMP/none&port=1" $R
pg_sql postgres "CREATE DATABASE plain" >/dev/null
expect_error "a database without the extension" 1 "$HS" fleet --db "${PG_URL/\/hydrascope?//plain?}" $R
pg_sql postgres "CREATE DATABASE v99" >/dev/null
"$HS" fleet --db "${PG_URL/\/hydrascope?//v99?}" --init >/dev/null
pg_sql v99 "UPDATE hydrascope.meta SET value = '99' WHERE key = 'schema_version'" >/dev/null
expect_error "a schema of another version" 1 "$HS" fleet --db "${PG_URL/\/hydrascope?//v99?}" $R
expect_error "a password in the URL" 1 "$HS" fleet --db "postgresql://postgres:secret@/hydrascope?host=$PGDIR&port=$PGPORT" $R
expect_error "--from after --to" 2 "$HS" fleet --db "$PG_URL" --from $((T0 + WS)) --to $T0
expect_error "a bad TIME" 2 "$HS" fleet --db "$PG_URL" --from 2026-13-01T00:00:00Z --to $T0
expect_error "a TIME without its zone" 2 "$HS" fleet --db "$PG_URL" --from 2026-11-30T00:00:00 --to $T0
expect_error "--from without --to" 2 "$HS" fleet --db "$PG_URL" --from $T0
expect_error "an unknown option" 2 "$HS" fleet --db "$PG_URL" --bogus
expect_error "no --db" 2 "$HS" fleet $R
expect_error "rows of another window" 2 "$HS" fleet --db "$PG_URL" --window 30 $R
expect_error "fleet top: bad --at" 2 "$HS" fleet top --db "$PG_URL" --at yesterday
done_testing
