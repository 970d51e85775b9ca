#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `replay --fleet` into a PostgreSQL of the test's own (pg_start, `fleet
# --init`): a seeded scenario capture replayed as host h1 and as host h2.
# Every window arrives as one batch; each JA4's connections over the
# windows add up to replay -j's for the whole capture, and the TCP stacks'
# and pairs' totals to its SYNs and hellos; rows are per host. The same
# capture replayed again adds nothing (a replay's batch is named by its
# content). A database that does not answer: replay exits 1 after its
# bounded wait, with one line, its batches left in --fleet-spool; that
# spool sent later (a replay of an empty capture) arrives once, and a copy
# of it sent again adds nothing. Names and details with quotes,
# backslashes, tabs, newlines, CRs and bytes that are not UTF-8 (the batch
# tests/unit/test_fleet.c writes) come back from the database as they
# went in. Bad input, one line each: a password in the URL, an invalid
# URL, a database without the hll extension, a schema of another version,
# a --fleet-* option without --fleet.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd python3 psql
need_hs
PY=$(python3 -c 'import sys; print(sys.executable)')
UNIT=${HS_OUT:-$ROOT/.output}/tests/test_fleetsend
[ -x "$UNIT" ] || { fail "no $UNIT: build it first (make tests)"; done_testing; }
T0=$SECONDS

pg_start || done_testing
out=$("$HS" fleet --db "$PG_URL" --init 2>&1)
rc=$?
expect_eq "fleet --init exits 0" 0 "$rc$([ $rc != 0 ] && echo " ($out)")"

# a capture of 3 minutes, and one without packets
"$PY" "$ROOT/tests/lib/scenario.py" -q --out "$TMP/sc.pcap" --seed 11 --minutes 3 \
	--scale 0.05 --hydra-ips 200 --hydra-start 1 2>"$TMP/gen.err" ||
	{ fail "scenario.py: $(head -c 300 "$TMP/gen.err")"; done_testing; }
"$PY" -c 'import struct, sys; open(sys.argv[1], "wb").write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))' \
	"$TMP/empty.pcap"
"$HS" replay -j "$TMP/sc.pcap" >"$TMP/dump.json" 2>"$TMP/dump.err" ||
	{ fail "replay -j: $(head -c 300 "$TMP/dump.err")"; done_testing; }

sql() { pg_sql hydrascope "$1"; }
# fleet_replay NAME ARGS...: replay --fleet into the database; exit status
# in RC, stderr in $TMP/NAME.err, stdout in $TMP/NAME.out
fleet_replay() {
	local name=$1; shift
	TMPDIR=$TMP timeout 60 "$HS" replay --fleet "$PG_URL" --window 60 --alerts /dev/null "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err"
	RC=$?
}

# ---- two hosts ----
fleet_replay h1 --fleet-host h1 "$TMP/sc.pcap"
expect_eq "replay --fleet as h1: exit 0, nothing said" "0:" "$RC:$(head -c 300 "$TMP/h1.err")"
fleet_replay h2 --fleet-host h2 "$TMP/sc.pcap"
expect_eq "replay --fleet as h2: exit 0, nothing said" "0:" "$RC:$(head -c 300 "$TMP/h2.err")"
expect_eq "replay's temporary spools (in TMPDIR) gone once sent" "" \
	"$(ls -d "$TMP"/hydrascope-fleet.* 2>/dev/null)"

# the windows the capture spans: from its first packet's window to its last's
# pcap_span FILE: the seconds of its first and last packet
pcap_span() {
	"$PY" - "$1" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
off, ts = 24, []
while off + 16 <= len(d):
    s, us, incl, _ = struct.unpack_from("<IIII", d, off)
    ts.append(s)
    off += 16 + incl
print(min(ts), max(ts))
EOF
}
read -r first last < <(pcap_span "$TMP/sc.pcap")
first=$((first / 60 * 60)) last=$((last / 60 * 60))
want_windows=$(((last - first) / 60 + 1))
expect_eq "h1: one batch per window of the capture ($want_windows)" \
	"$want_windows $want_windows $first $last" \
	"$(sql "SELECT count(*), count(DISTINCT window_start), min(extract(epoch FROM window_start))::bigint, max(extract(epoch FROM window_start))::bigint FROM hydrascope.batches WHERE host = 'h1'" | tr '|' ' ')"
expect_eq "h1: every batch's nrows are its rows" "0" \
	"$(sql "SELECT count(*) FROM hydrascope.batches b WHERE host = 'h1' AND nrows <> (SELECT count(*) FROM hydrascope.rows r WHERE r.host = b.host AND r.window_start = b.window_start)")"
expect_eq "both hosts: the same rows, per host" "t" \
	"$(sql "SELECT (SELECT count(*) FROM hydrascope.rows WHERE host = 'h1') = (SELECT count(*) FROM hydrascope.rows WHERE host = 'h2') AND (SELECT count(*) FROM hydrascope.rows WHERE host = 'h1') > 0")"

# conns: the database's per JA4 (and totals per kind) against replay -j's
sql "SELECT kind, name, sum(conns) FROM hydrascope.rows WHERE host = 'h1' GROUP BY kind, name" >"$TMP/db.txt"
PYTHONDONTWRITEBYTECODE=1 "$PY" - "$TMP/dump.json" "$TMP/db.txt" >"$TMP/verdicts" 2>&1 <<'EOF'
import json, sys
dump = [json.loads(l) for l in open(sys.argv[1])]
db = {}
for line in open(sys.argv[2]):
    kind, name, conns = line.rstrip("\n").split("|")
    db[(kind, name)] = int(conns)
def verdict(good, msg):
    print(("ok " if good else "not ok ") + msg)
tls = {r["ja4"]: r["conns"] for r in dump if r["kind"] == "tls"}
got = {n: c for (k, n), c in db.items() if k == "ja4"}
bad = ["%s: replay -j %s, database %s" % (j, tls.get(j), got.get(j))
       for j in sorted(set(tls) | set(got)) if tls.get(j) != got.get(j)]
verdict(not bad and tls, "conns of each of the %d JA4s over the windows = replay -j's for the capture%s"
        % (len(tls), (": " + "; ".join(bad[:5])) if bad else ""))
syns = sum(r["syns"] for r in dump if r["kind"] == "tcp")
tcp = sum(c for (k, n), c in db.items() if k == "tcp")
verdict(syns == tcp and syns > 0, "TCP stacks: %d SYNs in the database, replay -j %d" % (tcp, syns))
pairs = sum(r["conns"] for r in dump if r["kind"] == "pair")
pr = sum(c for (k, n), c in db.items() if k == "pair")
verdict(pairs == pr and pr > 0, "pairs: %d connections in the database, replay -j %d" % (pr, pairs))
EOF
tap_verdicts "$TMP/verdicts"

# the fleet view: both hosts behind each fingerprint, the sketches unioned
# (the same addresses twice: the union's estimate is one host's)
expect_eq "fleet view: every fingerprint on 2 hosts, conns doubled, ips those of one host" "0" \
	"$(sql "SELECT count(*) FROM hydrascope.fleet f WHERE f.hosts <> 2 OR f.conns <> 2 * (SELECT conns FROM hydrascope.rows r WHERE r.host = 'h1' AND r.window_start = f.window_start AND r.kind = f.kind AND r.name = f.name) OR f.ips <> (SELECT hll_cardinality(ips) FROM hydrascope.rows r WHERE r.host = 'h1' AND r.window_start = f.window_start AND r.kind = f.kind AND r.name = f.name)")"

# ---- the same capture again: nothing added ----
before=$(sql "SELECT count(*), sum(conns) FROM hydrascope.rows")
nb=$(sql "SELECT count(*) FROM hydrascope.batches")
fleet_replay h1again --fleet-host h1 "$TMP/sc.pcap"
expect_eq "h1's capture replayed again: exit 0, nothing added" "0 $nb $before" \
	"$RC $(sql "SELECT count(*) FROM hydrascope.batches") $(sql "SELECT count(*), sum(conns) FROM hydrascope.rows")"

# ---- a database that does not answer, then its spool sent (twice) ----
SP=$TMP/spool
BAD_URL="postgresql://postgres@/hydrascope?host=$TMP/nowhere&port=$PGPORT"
t0=$SECONDS
timeout 60 "$HS" replay --fleet "$BAD_URL" --fleet-host h3 --fleet-spool "$SP" --window 60 \
	--alerts /dev/null "$TMP/sc.pcap" >"$TMP/down.out" 2>"$TMP/down.err"
rc=$? took=$((SECONDS - t0))
nfiles=$(find "$SP" -name '*.batch' 2>/dev/null | wc -l)
if [ $rc = 1 ] && [ "$(wc -l <"$TMP/down.err")" = 1 ] && [ ! -s "$TMP/down.out" ] &&
	grep -q "$want_windows windows not sent.*left in $SP" "$TMP/down.err" && ((took >= 9 && took <= 20)); then
	ok "database not answering: exit 1 after ${took} s, one line ($(cat "$TMP/down.err"))"
else
	fail "database not answering: exit 1 after 10-20 s with one line naming $want_windows windows left in $SP expected, got exit $rc after ${took} s: $(head -c 400 "$TMP/down.err") / $(head -c 200 "$TMP/down.out")"
fi
expect_eq "its batches wait in --fleet-spool (0700)" "$want_windows 700" "$nfiles $(stat -c %a "$SP")"
cp -a "$SP" "$TMP/spool-copy"
fleet_replay sendspool --fleet-host h3 --fleet-spool "$SP" "$TMP/empty.pcap"
expect_eq "the spool sent by the next replay (of an empty capture): exit 0, spool empty" \
	"0::0" "$RC:$(head -c 300 "$TMP/sendspool.err"):$(find "$SP" -name '*.batch' | wc -l)"
expect_eq "h3's windows arrived once, rows as h1's" \
	"$want_windows $(sql "SELECT count(*), sum(conns) FROM hydrascope.rows WHERE host = 'h1'")" \
	"$(sql "SELECT count(*) FROM hydrascope.batches WHERE host = 'h3'") $(sql "SELECT count(*), sum(conns) FROM hydrascope.rows WHERE host = 'h3'")"
before=$(sql "SELECT count(*), sum(conns) FROM hydrascope.rows")
nb=$(sql "SELECT count(*) FROM hydrascope.batches")
fleet_replay again --fleet-host h3 --fleet-spool "$TMP/spool-copy" "$TMP/empty.pcap"
expect_eq "a copy of the same spool sent again: exit 0, nothing added, the copy emptied" \
	"0 $nb $before 0" \
	"$RC $(sql "SELECT count(*) FROM hydrascope.batches") $(sql "SELECT count(*), sum(conns) FROM hydrascope.rows") $(find "$TMP/spool-copy" -name '*.batch' | wc -l)"

# ---- the spool's bound: the oldest windows go ----
# 1-second windows of a busier capture: 181 batches, some 1.6 MiB in all
# (small sketches are SPARSE: a few bytes), over a bound of 1 MiB
"$PY" "$ROOT/tests/lib/scenario.py" -q --out "$TMP/big.pcap" --seed 12 --minutes 3 \
	--scale 0.5 --hydra-ips 1000 --hydra-start 1 2>"$TMP/gen.err" ||
	{ fail "scenario.py: $(head -c 300 "$TMP/gen.err")"; done_testing; }
read -r bfirst blast < <(pcap_span "$TMP/big.pcap")
SB=$TMP/spool-bound
timeout 60 "$HS" replay --fleet "$BAD_URL" --fleet-host h4 --fleet-spool "$SB" --fleet-spool-max 1 \
	--window 1 --alerts /dev/null "$TMP/big.pcap" >"$TMP/bound.out" 2>"$TMP/bound.err"
rc=$?
kept=$(find "$SB" -name '*.batch' | wc -l)
bytes=$(find "$SB" -name "*.batch" -printf "%s\n" | awk "{ n += \$1 } END { print n + 0 }")
newest=$(ls "$SB" | sort | tail -1 | cut -c1-12)
lost=$(sed -n 's/.*; \([0-9]*\) windows lost (\([0-9]*\) past --fleet-spool-max.*/\1 \2/p' "$TMP/bound.err")
if [ $rc = 1 ] && [ "$bytes" -le $((1 << 20)) ] && [ "$kept" -ge 2 ] &&
	[ "$lost" = "$((blast - bfirst + 1 - kept)) $((blast - bfirst + 1 - kept))" ] &&
	[ "$((10#$newest))" -ge "$blast" ] &&
	[ "$(grep -c 'is full (--fleet-spool-max)' "$TMP/bound.err")" = 1 ]; then
	ok "--fleet-spool-max 1: $kept newest windows kept ($bytes bytes), the oldest dropped and said once: $(tail -1 "$TMP/bound.err")"
else
	fail "--fleet-spool-max 1: exit 1, at most 1 MiB of the newest windows kept, the others counted lost, said once; got exit $rc, $kept files, $bytes bytes, newest $newest, lost '$lost': $(head -c 600 "$TMP/bound.err" | tr '\n' '|')"
fi

# ---- a full disk: windows dropped, said once ----
mkdir "$TMP/tiny" && mount -t tmpfs -o size=64k,mode=0700 tmpfs "$TMP/tiny" &&
	cleanup_push "umount '$TMP/tiny'"
timeout 60 "$HS" replay --fleet "$BAD_URL" --fleet-host h5 --fleet-spool "$TMP/tiny/spool" \
	--window 10 --alerts /dev/null "$TMP/sc.pcap" >"$TMP/disk.out" 2>"$TMP/disk.err"
rc=$?
if [ $rc = 1 ] && [ "$(grep -c "Couldn't write a window into the spool.*No space left on device" "$TMP/disk.err")" = 1 ] &&
	grep -q "[0-9]* windows lost (0 past --fleet-spool-max, [1-9][0-9]* not written" "$TMP/disk.err"; then
	ok "a full disk: exit 1, said once: $(head -1 "$TMP/disk.err" | cut -c1-150)... $(tail -1 "$TMP/disk.err" | sed 's/.*; //')"
else
	fail "a full disk: exit 1, one line on the first window not written and the count at the end expected, got exit $rc: $(head -c 600 "$TMP/disk.err" | tr '\n' '|')"
fi
expect_eq "a full disk: no half-written file left" "" "$(ls -A "$TMP/tiny/spool" | grep -v '\.batch$')"

# ---- names with quotes, backslashes and control characters ----
mkdir -m 700 "$TMP/names"
HS_TEST_SPOOL=$TMP/names "$UNIT" >"$TMP/unit.log" 2>&1 ||
	fail "test_fleetsend (writing the batch of awkward names): $(tail -5 "$TMP/unit.log")"
fleet_replay names --fleet-spool "$TMP/names" "$TMP/empty.pcap"
expect_eq "the batch of awkward names sent: exit 0" "0:" "$RC:$(head -c 300 "$TMP/names.err")"
sql "SELECT kind, encode(convert_to(name, 'UTF8'), 'hex'), encode(convert_to(coalesce(detail, '-'), 'UTF8'), 'hex'), conns, tags, accounts IS NULL FROM hydrascope.rows WHERE host = 'host \"one\"' ORDER BY conns" >"$TMP/names.txt"
"$PY" - "$TMP/names.txt" >"$TMP/verdicts2" <<'EOF'
import sys
# what tests/unit/test_fleet.c put in, as the database must give it back
# (a byte that is not UTF-8 went as '?')
want = [("ja4", "it's \"quoted\"", "detail \"with\" \\ and\ttab", 10, 4, "f"),
        ("tcp", "back\\slash \\N \\.", "-", 11, 0, "t"),
        ("pair", "tab\there", "-", 12, 0, "t"),
        ("ja4", "new\nline", "-", 13, 0, "t"),
        ("tcp", "cr\rhere", "-", 14, 0, "t"),
        ("pair", "caf\u00e9 caf?", "-", 15, 0, "t")]
got = []
for line in open(sys.argv[1]):
    k, n, d, c, t, a = line.rstrip("\n").split("|")
    got.append((k, bytes.fromhex(n).decode(), bytes.fromhex(d).decode(), int(c), int(t), a))
for w in want:
    print(("ok " if w in got else "not ok ") + "round trip of %r (%s): %s" % (
        w[1], w[0], "as it went in" if w in got else "got %r" % [g for g in got if g[3] == w[3]]))
print(("ok " if len(got) == len(want) else "not ok ") + "%d rows of awkward names, %d expected" % (len(got), len(want)))
EOF
tap_verdicts "$TMP/verdicts2"

# ---- bad input: one line each ----
expect_error "a password in the URL" 2 "$HS" replay \
	--fleet "postgresql://postgres:secret@/hydrascope?host=$PGDIR&port=$PGPORT" "$TMP/empty.pcap"
expect_error "an invalid URL" 2 "$HS" replay --fleet "postgresql://[::1" "$TMP/empty.pcap"
expect_error "--fleet-host without --fleet" 2 "$HS" replay --fleet-host x "$TMP/empty.pcap"
expect_error "--fleet-host with a newline" 2 "$HS" replay --fleet "$PG_URL" \
	--fleet-host "$(printf 'a\nb')" "$TMP/empty.pcap"
pg_sql postgres "CREATE DATABASE bare" >/dev/null
BARE="postgresql://postgres@/bare?host=$PGDIR&port=$PGPORT"
expect_error "a database without the hll extension" 1 "$HS" replay --fleet "$BARE" "$TMP/sc.pcap"
grep -q "no hll extension" "$TMP/err" || fail "no extension: 'no hll extension' expected: $(cat "$TMP/err")"
pg_sql bare "CREATE EXTENSION hll" >/dev/null
expect_error "a database without the schema" 1 "$HS" replay --fleet "$BARE" "$TMP/sc.pcap"
"$HS" fleet --db "$BARE" --init >/dev/null 2>&1
pg_sql bare "UPDATE hydrascope.meta SET value = '99' WHERE key = 'schema_version'" >/dev/null
expect_error "a schema of another version" 1 "$HS" replay --fleet "$BARE" "$TMP/sc.pcap"
grep -q "version 99" "$TMP/err" || fail "another version: 'version 99' expected: $(cat "$TMP/err")"

echo "# $((SECONDS - T0)) s"
done_testing
