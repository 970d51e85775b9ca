#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Fleet mode end to end: a seeded scenario (tests/lib/scenario.py) split over
# three edge hosts the way a per-connection balancer spreads it (each
# connection to one host by its flow), each host's capture replayed with
# --fleet into a PostgreSQL 15 of the test's own, then `hydrascope fleet`
# judging the stored windows. The hydra is below min_ips on every host and
# above it fleet-wide: alerted by the fleet within 2 windows of its start,
# with scope "fleet" and all three hosts, and by no single host; the same
# scenario without the hydra raises nothing. The union of the hosts'
# sketches is within 3 standard errors of the true distinct addresses per
# window, and each host's sketch of its sources is byte for byte the one
# SQL builds with hll_add_agg(hll_hash_bytea(...)) from the capture's
# addresses. The shipped dashboard's queries run on what was stored.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd python3 psql
need_hs
pg_start || done_testing
PY=$(python3 -c 'import sys; print(sys.executable)')
GEN=(--seed 11 --minutes 10 --scale 0.1 --hydra-ips 440 --hydra-start 4)
# the width signals on: novelty is judged per host (a new fingerprint's
# sources are all new on each host), which is not what this test is about
cat >"$TMP/conf" <<'EOF'
[detect]
novelty = no
EOF

"$HS" fleet --db "$PG_URL" --init >"$TMP/init.out" 2>&1
expect_eq "fleet --init exits 0" "0" "$?"
pg_sql postgres "CREATE DATABASE legit" >/dev/null
LEGIT_URL="postgresql://postgres@/legit?host=$PGDIR&port=$PGPORT"
"$HS" fleet --db "$LEGIT_URL" --init >/dev/null 2>&1

# gen NAME ARGS: the scenario, split into NAME.h1.pcap .. NAME.h3.pcap by
# flow, and per host and minute the sources of its ClientHellos (NAME.hK.src)
gen() {
	local name=$1; shift
	"$PY" "$ROOT/tests/lib/scenario.py" -q --out "$TMP/$name.pcap" "$@" 2>"$TMP/$name.err" ||
		{ fail "scenario.py $*: $(head -c 300 "$TMP/$name.err")"; return 1; }
	PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$ROOT/tests/lib "$PY" - "$TMP/$name" <<'EOF'
import hashlib, sys
import scenario as sc
base = sys.argv[1]
_, pkts = sc.read_pcap(base + ".pcap")
out = [sc.PcapWriter("%s.h%d.pcap" % (base, k + 1)) for k in range(3)]
src = [dict() for _ in range(3)]
for ts, fr in pkts:
    ip = fr[14:]
    ihl = (ip[0] & 15) * 4
    tcp = ip[ihl:]
    k = hashlib.sha1(ip[12:16] + tcp[0:2]).digest()[0] % 3    # the flow's host
    out[k].write(ts, fr)
    pay = tcp[(tcp[12] >> 4) * 4:]
    if len(pay) > 5 and pay[0] == 0x16 and pay[5] == 0x01:      # a ClientHello starts
        src[k].setdefault(ts // 60000000, set()).add(ip[12:16].hex())
for k in range(3):
    out[k].close()
    with open("%s.h%d.src" % (base, k + 1), "w") as f:
        for m, s in sorted(src[k].items()):
            f.write("%d %s\n" % (m * 60, " ".join(sorted(s))))
EOF
}

# replay_hosts NAME URL: each host's capture replayed with --fleet
replay_hosts() {
	local name=$1 url=$2 k rc
	for k in 1 2 3; do
		"$HS" replay -c "$TMP/conf" -j --alerts "$TMP/$name.h$k.alerts" --fleet "$url" \
			--fleet-host "h$k" --fleet-spool "$TMP/$name.spool$k" \
			"$TMP/$name.h$k.pcap" >"$TMP/$name.h$k.dump" 2>"$TMP/$name.h$k.err"
		rc=$?
		expect_eq "replay --fleet --fleet-host h$k ($name) exits 0" 0 \
			"$rc$([ $rc != 0 ] && echo " ($(head -c 300 "$TMP/$name.h$k.err"))")"
	done
}

gen a "${GEN[@]}" || done_testing
gen d "${GEN[@]}" --no-hydra || done_testing
replay_hosts a "$PG_URL"
replay_hosts d "$LEGIT_URL"
FROM=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["start_epoch"])' "$TMP/a.json")
TO=$((FROM + 600))
"$HS" fleet --db "$PG_URL" -c "$TMP/conf" --from "$FROM" --to "$TO" -j --alerts "$TMP/a.fleet" \
	>"$TMP/a.fleet.out" 2>&1
expect_eq "fleet --from --to over the hydra's windows exits 0" 0 "$?"
"$HS" fleet --db "$LEGIT_URL" -c "$TMP/conf" --from "$FROM" --to "$TO" -j --alerts "$TMP/d.fleet" \
	>"$TMP/d.fleet.out" 2>&1
expect_eq "fleet --from --to over the legitimate windows exits 0" 0 "$?"

# per window and host: our sketch of the sources against SQL's
for k in 1 2 3; do
	while read -r t addrs; do
		vals=$(printf "('%s')," $addrs)
		got=$(pg_sql hydrascope "SELECT (SELECT hll_union_agg(ips) FROM hydrascope.rows
			WHERE host = 'h$k' AND kind = 'ja4' AND window_start = to_timestamp($t))
			= hll_add_agg(hll_hash_bytea(decode(a, 'hex')), 10, 5, 0, 1)
			FROM (VALUES ${vals%,}) v(a)")
		echo "$k $t $got"
	done <"$TMP/a.h$k.src"
done >"$TMP/bytes"
expect_eq "hosts' address sketches byte-identical to SQL's hll_add_agg(hll_hash_bytea(addr)) ($(wc -l <"$TMP/bytes") host-windows)" \
	"" "$(grep -v ' t$' "$TMP/bytes" | head -3)"

PYTHONDONTWRITEBYTECODE=1 "$PY" - "$TMP" >"$TMP/verdicts" 2>&1 <<'EOF'
import json, math, subprocess, sys, os
tmp = sys.argv[1]
truth = json.load(open(tmp + "/a.json"))
hydra = truth["hydra"]
ja4, start = hydra["ja4"], hydra["start_epoch"]

def verdict(good, msg):
    print(("ok" if good else "not ok") + " " + msg)

def lines(path):
    out = []
    try:
        for l in open(path):
            l = l.strip()
            if l.startswith("{"):
                out.append(json.loads(l))
    except FileNotFoundError:
        pass
    return out

def ts_epoch(s):
    import calendar, time
    return calendar.timegm(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S"))

fleet = lines(tmp + "/a.fleet")
hyd = [a for a in fleet if a.get("ja4") == ja4 and a.get("state") != "ended"]
verdict(len(hyd) > 0, "the fleet alerts on the hydra %s (%d alert lines; %d lines in all)" % (ja4, len(hyd), len(fleet)))
if hyd:
    first = min(ts_epoch(a["ts"]) for a in hyd)
    verdict(first <= start + 2 * 60, "... within 2 windows of its start (first alert at +%d s)" % (first - start))
    a = hyd[0]
    verdict(a.get("scope") == "fleet", "... with scope fleet (%r)" % a.get("scope"))
    verdict(sorted(a.get("hosts") or []) == ["h1", "h2", "h3"], "... and the three hosts (%r)" % a.get("hosts"))
others = sorted({a.get("ja4") or a.get("tcp_sig") for a in fleet if a.get("ja4") != ja4})
verdict(not others, "the fleet alerts on nothing else (%s)" % others[:3])
for k in (1, 2, 3):
    host = [a for a in lines("%s/a.h%d.alerts" % (tmp, k)) if a.get("ja4") == ja4]
    verdict(not host, "host h%d alone does not alert on the hydra (%d lines)" % (k, len(host)))
legit = lines(tmp + "/d.fleet")
verdict(not legit, "legitimate traffic alone: no fleet alert (%s)" % [a.get("ja4") or a.get("tcp_sig") for a in legit][:3])

# union estimates against the true distinct counts, per window of the hydra
se = 1.04 / math.sqrt(1024)
for m in range(hydra["start_minute"], truth["minutes"]):
    want = hydra["ips_per_minute"][m]
    q = ("SELECT hll_cardinality(hll_union_agg(ips)), max(hll_cardinality(ips)), count(*) FROM hydrascope.rows "
         "WHERE kind = 'ja4' AND name = '%s' AND window_start = to_timestamp(%d)" % (ja4, truth["start_epoch"] + 60 * m))
    r = subprocess.run(["psql", "-X", "-A", "-t", "-h", os.environ["PGDIR"], "-p", os.environ["PGPORT"],
                        "-U", "postgres", "-d", "hydrascope", "-c", q], capture_output=True, text=True)
    try:
        fleet_ips, best, hosts = r.stdout.strip().split("|")
        fleet_ips, best = float(fleet_ips), float(best)
    except ValueError:
        verdict(False, "minute %d: union query: %s" % (m, (r.stdout + r.stderr)[:200]))
        continue
    verdict(abs(fleet_ips - want) <= 3 * se * want,
            "minute %d: the fleet's union %.0f addresses, truth %d (within 3 SE), best single host %.0f, %s hosts"
            % (m, fleet_ips, want, best, hosts))
EOF
tap_verdicts "$TMP/verdicts"

# the dashboard's queries on what was stored (Grafana's macros filled in)
PYTHONDONTWRITEBYTECODE=1 "$PY" - "$ROOT/dist/grafana-fleet.json" "$FROM" "$TO" >"$TMP/dash" 2>&1 <<'EOF'
import json, os, re, subprocess, sys
d = json.load(open(sys.argv[1]))
frm, to = int(sys.argv[2]), int(sys.argv[3])
for p in d["panels"]:
    for t in p.get("targets", []):
        sql = t["rawSql"]
        sql = re.sub(r"\$__timeFilter\((\w+)\)", r"\1 BETWEEN to_timestamp(%d) AND to_timestamp(%d)" % (frm, to), sql)
        sql = sql.replace("$kind", "ja4").replace("$top", "10")
        r = subprocess.run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", os.environ["PGDIR"],
                            "-p", os.environ["PGPORT"], "-U", "postgres", "-d", "hydrascope", "-c", sql],
                           capture_output=True, text=True)
        rows = [l for l in r.stdout.splitlines() if l.strip()]
        good = r.returncode == 0 and (rows or p["title"].startswith("Open fleet alerts"))
        print(("ok" if good else "not ok") + " dashboard panel '%s': %d rows%s" % (
            p["title"], len(rows), "" if good else ": " + r.stderr.strip()[:200]))
EOF
tap_verdicts "$TMP/dash"
done_testing
