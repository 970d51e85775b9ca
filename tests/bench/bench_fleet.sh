#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The fleet detector's window (`make bench`): a test cluster (pg_start)
# filled by SQL with one window of BENCH_FLEET_HOSTS (100) hosts x
# BENCH_FLEET_FPS (10,000) fingerprints each: 60% JA4s (address, network
# and stack sketches), 10% TCP stacks, 30% pairs (address and network
# sketches), every host with every fingerprint (the union's worst case).
# The sketches come from a pool of 1,000 built with hll_add_agg over 3 to
# 300 addresses each (log-uniform), so each row's are a realistic size.
# bench_fleet.c times the window; here the storage: the window's rows on
# disk (table, TOAST, indexes) per host and window, and per host-day at
# 60 s windows. Output: "name value unit".
. "$(dirname "$0")/../lib/lib.sh"
need_root
B=$ROOT/.output/tests/bench_fleet
HOSTS=${BENCH_FLEET_HOSTS:-100}
FPS=${BENCH_FLEET_FPS:-10000}
WS=60
T=$(( $(date +%s) / 86400 * 86400 - 86400 ))   # yesterday, 00:00
[ -x "$B" ] || { echo "bench_fleet: no $B (make bench builds it)" >&2; exit 1; }
pg_start >/dev/null || { echo "bench_fleet: no cluster" >&2; exit 1; }
"$HS" fleet --db "$PG_URL" --init >/dev/null || exit 1
SECONDS=0
pg_sql hydrascope "
SELECT hydrascope.partition_for(to_timestamp($T));
CREATE TABLE pool AS
	SELECT k, hll_add_agg(hll_hash_bytea(int4send((k * 1000 + i)::int4)), 10, 5, 0, 1) AS s
	FROM generate_series(0, 999) k, generate_series(1, 300) i
	WHERE i <= round(3 * power(100, k / 999.0)) GROUP BY k;
INSERT INTO hydrascope.rows (window_start, window_s, host, kind, name, conns, novel_ips,
	novel_site, novel_nets, ips, nets, stacks)
SELECT to_timestamp($T), $WS, 'host-' || h, kind, name, 10 + f % 90, f % 7, f % 5, f % 3,
	a.s, b.s, CASE kind WHEN 'ja4' THEN c.s END
FROM generate_series(1, $HOSTS) h, generate_series(0, $FPS - 1) f,
	LATERAL (SELECT CASE WHEN f % 10 < 6 THEN 'ja4' WHEN f % 10 = 6 THEN 'tcp' ELSE 'pair' END AS kind) k,
	LATERAL (SELECT CASE kind WHEN 'ja4' THEN 't13d1516h2_8daaf6152771_' || lpad(f::text, 12, '0')
		WHEN 'tcp' THEN '4:64:0:*:mss*' || f || ',7:mss,sok,ts,nop,ws:df,id+:0'
		ELSE 't13d1516h2_8daaf6152771_' || lpad((f / 10)::text, 12, '0') || ' 4:64:0:*:mss*' || f % 10 || ',7:mss,sok,ts,nop,ws:df,id+:0' END AS name) n,
	pool a, pool b, pool c
WHERE a.k = (f * 7 + h * 13) % 1000 AND b.k = (f * 11 + h * 3) % 1000 / 2 AND c.k = (f + h) % 100;
INSERT INTO hydrascope.batches (host, batch, window_start, window_s, nrows)
	SELECT 'host-' || h, 'b', to_timestamp($T), $WS, $FPS FROM generate_series(1, $HOSTS) h;" \
	>/dev/null && pg_sql hydrascope "VACUUM ANALYZE hydrascope.rows" >/dev/null ||
	{ echo "bench_fleet: filling failed" >&2; exit 1; }
echo "fleet_fill_s $SECONDS s"
part=rows_$(date -u -d @$T +%Y%m%d)
bytes=$(pg_sql hydrascope "SELECT pg_total_relation_size('hydrascope.$part')")
echo "fleet_rows $(pg_sql hydrascope "SELECT count(*) FROM hydrascope.rows") rows"
echo "fleet_window_size $((bytes / 1048576)) MiB"
echo "fleet_host_window_size $((bytes / HOSTS / 1024)) KiB"
echo "fleet_host_day_size_60s $((bytes / HOSTS * 1440 / 1048576)) MiB"
"$B" "$PG_URL" "$T" "$WS" "$HOSTS"
