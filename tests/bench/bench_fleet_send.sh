#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The fleet sink into PostgreSQL (`make bench`): a cluster of its own
# (pg_start; then restarted with fsync and synchronous_commit on, the
# defaults a real one runs with), `fleet --init`, and bench_fleet_send.c: rows
# a second of one host through the sink's real send path (spool, COPY,
# upsert) against plain INSERTs of the same rows in the same run, and the
# database's bytes per row and per host and day. The client and the
# server share this machine's CPUs. Output: "name value unit".
#   BENCH_FLEET_ROWS     fingerprint rows a window (default 2000)
#   BENCH_FLEET_WINDOWS  windows (default 10)
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd psql
B=$ROOT/.output/tests/bench_fleet_send
ROWS=${BENCH_FLEET_ROWS:-2000}
WINDOWS=${BENCH_FLEET_WINDOWS:-10}
WINDOW_S=60
[ -x "$B" ] || { echo "bench_fleet_send: no $B (make bench builds it)" >&2; exit 1; }
exec 3>&1 >&2              # lib.sh's TAP lines (a skip) are not figures
pg_start || { echo "bench_fleet_send: no PostgreSQL cluster" >&2; exit 1; }
pg_ctl_stop
su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$PGDIR/data' -w -l '$PGDIR/log' \
	-o \"-p $PGPORT -k '$PGDIR' -c listen_addresses=\" start >/dev/null" ||
	{ echo "bench_fleet_send: the cluster did not start again: $(tail -3 "$PGDIR/log")" >&2; exit 1; }
"$HS" fleet --db "$PG_URL" --init >"$TMP/init.log" 2>&1 ||
	{ echo "bench_fleet_send: fleet --init: $(cat "$TMP/init.log")" >&2; exit 1; }
exec 1>&3
echo "# $ROWS rows a window (half JA4s, a quarter TCP stacks, a quarter pairs), $WINDOWS windows, one host; PostgreSQL $(pg_sql postgres 'SHOW server_version' | cut -d' ' -f1), fsync $(pg_sql postgres 'SHOW fsync'), on $(nproc) CPUs shared with the client"
"$B" "$PG_URL" "$TMP/spool" "$ROWS" "$WINDOWS" "$WINDOW_S"
