#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The scenario generator (tests/lib/scenario.py) and what hydrascope's replay
# makes of its pcaps, before any detector: a small seeded scenario (a few
# minutes, the legitimate populations scaled down, a hydra of a few hundred
# IPs starting at minute 1) must be a well-formed, time-ordered capture;
# replay must fingerprint every connection (conns per JA4 exact) and its
# sketches must match the ground truth: the hydra's ips and nets and the
# popular fingerprint's ips within 9.75% (3 sketch standard errors), the hydra behind more than 5 TCP
# signatures. Its PAIRS rows: each JA4 over as many TCP stacks as the truth
# says, every connection paired (each opens with its SYN), the hydra's
# sources split over its pairs (one stack per source). The same seed gives the same bytes, another seed others, and
# --no-hydra leaves the legitimate packets exactly as they were.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd python3 cmp
need_hs
PY=$(python3 -c 'import sys; print(sys.executable)')
GEN=(--minutes 5 --scale 0.1 --hydra-ips 500 --hydra-start 1)

# gen NAME ARGS...: generate $TMP/NAME.pcap (truth $TMP/NAME.json); ok/fail line
gen() {
	local name=$1 t0=$SECONDS rc; shift
	"$PY" "$ROOT/tests/lib/scenario.py" -q --out "$TMP/$name.pcap" "$@" 2>"$TMP/$name.err"
	rc=$?
	if [ $rc = 0 ] && [ -s "$TMP/$name.pcap" ] && [ -s "$TMP/$name.json" ]; then
		ok "scenario.py $* -> $name.pcap ($(stat -c %s "$TMP/$name.pcap") bytes, $((SECONDS - t0)) s)"
	else
		fail "scenario.py $*: exit 0 and a pcap with its .json expected, got exit $rc: $(head -c 400 "$TMP/$name.err")"
		return 1
	fi
}

gen a --seed 7 "${GEN[@]}" || done_testing
"$HS" replay -j "$TMP/a.pcap" >"$TMP/a.dump" 2>"$TMP/a.replay.err"
rc=$?
expect_eq "replay -j of the scenario exits 0" 0 "$rc$([ $rc != 0 ] && echo " ($(head -c 300 "$TMP/a.replay.err"))")"

gen b --seed 7 "${GEN[@]}" &&
	check "same seed: byte-identical pcap" cmp -s "$TMP/a.pcap" "$TMP/b.pcap"
if gen c --seed 8 "${GEN[@]}"; then
	if cmp -s "$TMP/a.pcap" "$TMP/c.pcap"; then
		fail "another seed: a different pcap expected, got the same bytes"
	else
		ok "another seed: a different pcap"
	fi
fi
gen d --seed 7 "${GEN[@]}" --no-hydra
"$HS" replay -j "$TMP/d.pcap" >"$TMP/d.dump" 2>"$TMP/d.replay.err"
rc=$?
expect_eq "replay -j of the legit-only scenario exits 0" 0 "$rc"

PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$ROOT/tests/lib "$PY" - "$TMP" >"$TMP/verdicts" 2>&1 <<'EOF'
import json, os, sys
import scenario as sc

tmp = sys.argv[1]


def verdict(good, msg):
    print(("ok " if good else "not ok ") + msg)


def near(got, want, tol=0.0975):  # 3 standard errors of a 1,024-register sketch
    return got is not None and abs(got - want) <= tol * max(want, 1)


def rows(name):
    return {r["ja4"]: r for r in map(json.loads, open(os.path.join(tmp, name + ".dump")))
            if r.get("kind") == "tls"}


truth = json.load(open(os.path.join(tmp, "a.json")))
dump = rows("a")
hy = truth["hydra"]

# the capture itself
lt, frames = sc.read_pcap(os.path.join(tmp, "a.pcap"))
ts = [t for t, _ in frames]
verdict(lt == 1 and len(frames) == truth["packets"],
        "pcap: Ethernet, %d packets as the truth says (got linktype %d, %d packets)" % (
            truth["packets"], lt, len(frames)))
verdict(all(a <= b for a, b in zip(ts, ts[1:])), "pcap: timestamps never go back")
span = (ts[-1] - ts[0]) / 60e6
verdict(truth["minutes"] - 1 < span <= truth["minutes"] + 0.1,
        "pcap: spans about %d minutes (%.2f)" % (truth["minutes"], span))
srcs, first, bad = set(), {}, []
for t, fr in frames:
    p = sc.parse_eth_ipv4_tcp(fr)
    if p is None or p["dst"] != sc.SERVER or p["dport"] != 443:
        bad.append("not IPv4/TCP to 198.18.0.2:443")
        continue
    if not (p["src"][0] == 198 and p["src"][1] in (18, 19)) or p["src"][:3] == b"\xc6\x12\x00":
        bad.append("source %s" % sc.ip_str(p["src"]))
    key = (p["src"], p["sport"])
    if key not in first:
        first[key] = p["flags"]
        if p["flags"] & 0x12 != 0x02:
            bad.append("connection %s:%d starts with flags %#x" % (sc.ip_str(p["src"]), p["sport"], p["flags"]))
    ip = bytearray(p["ip"])
    want = bytes(ip)
    sc.fix_checksums(ip)
    if bytes(ip) != want:
        bad.append("bad checksum from %s" % sc.ip_str(p["src"]))
verdict(not bad, "pcap: every packet IPv4/TCP from 198.18.0.0/15 (not the server's /24) to "
        "198.18.0.2:443, checksums right, each connection opens with a SYN%s" % (
            "" if not bad else ": %d problems, e.g. %s" % (len(bad), bad[:3])))
verdict(len(first) == truth["connections"], "pcap: %d connections as the truth says (got %d)" % (
    truth["connections"], len(first)))

# ground truth vs replay
verdict(hy and hy["ips"] == 500 and hy["start_minute"] == 1 and hy["ja4"] in dump,
        "truth: a hydra of 500 IPs from minute 1 whose JA4 replay shows (%s)" % (
            hy and "%s, %d IPs" % (hy["ja4"], hy["ips"])))
verdict(set(dump) == set(truth["ja4s"]), "replay shows exactly the truth's JA4s (%d)%s" % (
    len(truth["ja4s"]), "" if set(dump) == set(truth["ja4s"]) else ": truth only %s, replay only %s" % (
        sorted(set(truth["ja4s"]) - set(dump)), sorted(set(dump) - set(truth["ja4s"])))))
for j, a in sorted(truth["ja4s"].items()):
    d = dump.get(j, {})
    verdict(d.get("conns") == a["conns"], "%s (%s, %s): conns %d, replay says %s "
            "(ips %s of %d, tcp_sigs %s for %d stacks)" % (
                j, a["client"], a["role"], a["conns"], d.get("conns"), d.get("ips"), a["ips"],
                d.get("tcp_sigs"), a["tcp_stacks"]))
h = dump.get(hy["ja4"], {})
print("hydra %s: truth ips %d nets %d stacks %d conns %d; replay ips %s nets %s tcp_sigs %s" % (
    hy["ja4"], hy["ips"], hy["nets"], hy["tcp_stacks"], hy["conns"], h.get("ips"), h.get("nets"),
    h.get("tcp_sigs")))
verdict(near(h.get("ips"), hy["ips"]), "hydra: ips within 9.75%% of %d (got %s)" % (hy["ips"], h.get("ips")))
verdict(hy["nets"] >= 0.9 * min(hy["ips"], 511),
        "truth: the hydra's IPs spread over as many /24s as there are (%d of %d)" % (
            hy["nets"], min(hy["ips"], 511)))
verdict(near(h.get("nets"), hy["nets"]), "hydra: nets within 9.75%% of %d distinct /24s (got %s)" % (
    hy["nets"], h.get("nets")))
verdict((h.get("tcp_sigs") or 0) > 5 and hy["tcp_stacks"] > 5,
        "hydra: more than 5 TCP signatures (replay %s, truth %d stacks)" % (
            h.get("tcp_sigs"), hy["tcp_stacks"]))
verdict(h.get("first_seen", "") >= hy["start_ts"], "hydra: first seen at or after its start %s (got %s)"
        % (hy["start_ts"], h.get("first_seen")))
pop = max((a for a in truth["ja4s"].values() if a["role"] == "legit"), key=lambda a: a["ips"])
pj = next(j for j, a in truth["ja4s"].items() if a is pop)
p = dump.get(pj, {})
verdict(pop["client"] == "chromium", "truth: the most widespread legit JA4 is chromium's (%s)" % pop["client"])
verdict(near(p.get("ips"), pop["ips"]), "popular %s: ips within 9.75%% of %d (got %s)" % (
    pj, pop["ips"], p.get("ips")))
# (JA4, TCP stack) pairs
pairs = [r for r in map(json.loads, open(os.path.join(tmp, "a.dump"))) if r.get("kind") == "pair"]
by_ja4 = {}
for r in pairs:
    by_ja4.setdefault(r["ja4"], []).append(r)
verdict(set(by_ja4) == set(truth["ja4s"]), "pairs: of exactly the truth's JA4s (%s)" % sorted(by_ja4))
for j, a in sorted(truth["ja4s"].items()):
    ps = by_ja4.get(j, [])
    verdict(len(ps) == a["tcp_stacks"] and len({r["tcp_stack"] for r in ps}) == len(ps) and
            sum(r["conns"] for r in ps) == a["conns"],
            "pairs of %s (%s): %d stacks, their conns adding up to %d (got %d pairs, conns %d)" % (
                j, a["client"], a["tcp_stacks"], a["conns"], len(ps), sum(r["conns"] for r in ps)))
hp = by_ja4.get(hy["ja4"], [])
verdict(len(hp) > 5 and near(sum(r["ips"] for r in hp), hy["ips"]),
        "pairs: the hydra's over more than 5 stacks, their ips adding up to %d within 9.75%% (%d pairs, %s)"
        % (hy["ips"], len(hp), sum(r["ips"] for r in hp)))
hm = truth["ja4s"][hy["ja4"]]["per_minute"]
verdict(hm["ips"][0] == 0 and all(x > 0 for x in hm["ips"][1:]),
        "truth: no hydra traffic before minute 1, some in every minute after (%s)" % hm["ips"])
cpm = [c / i for c, i in zip(hm["conns"][1:], hm["ips"][1:]) if i]
verdict(cpm and all(1 <= x <= 3 for x in cpm),
        "truth: 1-3 hydra connections per IP per minute (%s)" % ", ".join("%.2f" % x for x in cpm))

# --no-hydra: the same legitimate traffic, no hydra
legit = json.load(open(os.path.join(tmp, "d.json")))
dd = rows("d")
verdict(legit["hydra"] is None and hy["ja4"] not in dd and hy["ja4"] not in legit["ja4s"],
        "--no-hydra: no hydra in the truth nor in replay")
same = all(legit["ja4s"].get(j, {}).get("conns") == a["conns"] and
           dd.get(j, {}).get("conns") == a["conns"]
           for j, a in truth["ja4s"].items() if a["role"] == "legit")
verdict(same and set(legit["ja4s"]) == set(truth["legit_ja4s"]),
        "--no-hydra: the legit JA4s and their conns are those of the same seed with a hydra")
_, dframes = sc.read_pcap(os.path.join(tmp, "d.pcap"))
dsrc = {fr[26:30] for _, fr in dframes}
kept = [(t, fr) for t, fr in frames if fr[26:30] in dsrc]
verdict(kept == dframes, "--no-hydra: its packets are byte for byte those of the same seed with a "
        "hydra, less the hydra's (%d of %d packets)" % (len(dframes), len(frames)))
EOF
rc=$?
tap_verdicts "$TMP/verdicts"
[ $rc = 0 ] || fail "the comparison script failed (exit $rc)"
done_testing
