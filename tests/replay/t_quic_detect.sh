#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# QUIC through the detector, offline: captures of sealed client Initials,
# the server's answer and the client's Handshake (tests/lib/quicgen.py).
#  - the generator: RFC 9001's keys and sample packet; every connection of
#    every template client decoded by replay to the JA4 of the ClientHello
#    tshark decrypts (an independent decryption), which is the generator's;
#    the same with each connection's Initials in one frame, as a capture
#    holds the datagrams UDP GRO merged;
#  - (a) a QUIC hydra (one ClientHello from 1,300 addresses over 511 /24s in
#    two windows, each flow validated) beside legitimate QUIC clients:
#    alerted on its q JA4 within 2 windows, nothing else alerted;
#  - (b) the legitimate clients alone (four hellos, 8-40 addresses each,
#    every one counted): no alert;
#  - (c) the same hydra spoofed (Handshakes to a wrong connection ID, or
#    none): its JA4 never counted (dump, events), every one of its hellos
#    counted unvalidated (replay's "left out" line), no alert;
#  - (d) --quic-ports none: nothing QUIC counted, no alert;
#  - (e) more Initials than a window's budget, over ten minutes, replayed
#    without the detector: the budget renews every 60 s of packet time (as
#    run's windows renew it), so every hello is counted but those whose
#    flow found its slot held (replay says how many), none shed by budget;
#  - (f) the hydra behind a flood of 9,000 spoofed Initials in the first
#    second of each of its windows: the budget is a second's, so the flood
#    sheds its own second's Initials and the hydra is still alerted.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd python3 tshark
need_hs
PY=$(python3 -c 'import sys; print(sys.executable)')
"$PY" -c 'import cryptography' 2>/dev/null ||
	{ skip "$(basename "$0")" "needs python3-cryptography"; exit 0; }
GEN=$ROOT/tests/lib/quicgen.py
W=60
# legitimate QUIC clients over 8 windows; the hydra in windows 5 and 6
LEGIT=(--pop name=chromium,client=chromium,ips=40,conns=240,dur=480
	--pop name=curl,client=curl,ips=20,conns=100,dur=480
	--pop name=node,client=node,ips=12,conns=60,dur=480
	--pop name=python3,client=python3,ips=8,conns=40,dur=480)
HYDRA=client=gnutls-cli,start=240,dur=120

# gen NAME ARGS...: $TMP/NAME.pcap and its truth $TMP/NAME.json
gen() {
	local name=$1; shift
	if "$PY" "$GEN" -q --seed 5 --out "$TMP/$name.pcap" "$@" 2>"$TMP/$name.gen.err"; then
		ok "quicgen.py -> $name.pcap ($(stat -c %s "$TMP/$name.pcap") bytes)"
	else
		fail "quicgen.py $*: $(head -c 300 "$TMP/$name.gen.err")"
		done_testing
	fi
}
# verdicts: a python check (stdin) over $TMP, its ok/not ok lines as TAP
verdicts() {
	PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$ROOT/tests/lib "$PY" - "$TMP" "$@" >"$TMP/verdicts" 2>&1
	[ $? = 0 ] || grep -q '^not ok' "$TMP/verdicts" || echo "not ok the check itself failed" >>"$TMP/verdicts"
	tap_verdicts "$TMP/verdicts"
}

"$PY" "$GEN" --self-test >"$TMP/self" 2>&1
tap_verdicts "$TMP/self"

# ---- the generator against the decoder and tshark ----------------------------
EVERY=() EVERY_GRO=()
for c in chromium curl openssl gnutls-cli node python3 wget; do
	EVERY+=(--pop "name=$c,client=$c,ips=3,conns=4,dur=20")
	EVERY_GRO+=(--pop "name=$c,client=$c,ips=3,conns=4,dur=20,gro=1")
done
# each_client NAME: replay's JA4 of every connection of $TMP/NAME.pcap
# against tshark's decryption and the generator's
each_client() {
	"$HS" replay --events -j "$TMP/$1.pcap" >"$TMP/$1.ev" 2>"$TMP/$1.err"
	expect_eq "$1: replay --events of every client exits 0" 0 "$?"
	"$PY" "$ROOT/tests/lib/quic_ref.py" "$TMP/$1.pcap" >"$TMP/$1.ref" 2>"$TMP/$1.ref.err"
	local rc=$?
	expect_eq "$1: quic_ref.py (tshark) exits 0 $(head -c 300 "$TMP/$1.ref.err")" 0 "$rc"
	verdicts "$1" <<'EOF'
import json, os, sys
import quicgen
tmp, name = sys.argv[1], sys.argv[2]
truth = json.load(open(os.path.join(tmp, name + ".json")))
ja4 = [p["ja4"] for p in truth["pops"]]
ref = {}
for line in open(os.path.join(tmp, name + ".ref")):
    src, sport, hx = line.split()
    ref[(src, int(sport))] = quicgen.ja4_of(bytes.fromhex(hx))[0]
got = {(e["src"], e["sport"]): e["ja4"] for e in map(json.loads, open(os.path.join(tmp, name + ".ev")))
       if e.get("event") == "tls_hello"}
bad = []
for src, sport, _, pop, _ in truth["conns"]:
    k = (src, sport)
    if not (got.get(k) == ref.get(k) == ja4[pop]):
        bad.append("%s:%d replay %s tshark %s generator %s" % (src, sport, got.get(k), ref.get(k), ja4[pop]))
n = len(truth["conns"])
print(("ok" if not bad and len(got) == len(ref) == n else "not ok") +
      " %s: each of %d connections (%d clients): replay's JA4 = tshark's hello's = the generator's; "
      "replay %d, tshark %d%s" % (name, n, len(ja4), len(got), len(ref),
                                  "; " + "; ".join(bad[:3]) if bad else ""))
print(("ok" if all(j.startswith("q13d") and "h3_" in j for j in ja4) and len(set(ja4)) == len(ja4)
       else "not ok") + " %s: the clients' JA4s are QUIC ones (q13d...h3), all distinct: %s" % (
           name, " ".join(ja4)))
EOF
}
# truth_hellos NAME HOW: each connection of $TMP/NAME.pcap (its hello
# coming HOW) counted by replay (NAME.ev) with the generator's JA4
truth_hellos() {
	verdicts "$1" "$2" <<'EOF'
import json, os, sys
tmp, name, how = sys.argv[1], sys.argv[2], sys.argv[3]
truth = json.load(open(os.path.join(tmp, name + ".json")))
got = {(e["src"], e["sport"]): e["ja4"] for e in map(json.loads, open(os.path.join(tmp, name + ".ev")))
       if e.get("event") == "tls_hello"}
want = {(src, sport): truth["pops"][pop]["ja4"] for src, sport, _, pop, _ in truth["conns"]}
print(("ok" if got == want else "not ok") +
      " %s: each of %d connections' hello, %s, counted with the generator's JA4: replay %s" % (
          name, len(want), how, sorted(got.items())))
EOF
}
gen every "${EVERY[@]}"
each_client every
# the same, each connection's Initials one frame, as a capture taken where
# UDP GRO merged them holds them (a long hello's two: 2,400 bytes)
gen every-gro "${EVERY_GRO[@]}"
each_client every-gro
expect_eq "every-gro: frames of two Initials in the capture" 4 \
	"$(tshark -r "$TMP/every-gro.pcap" -Y 'udp.length > 2400' -T fields -e frame.number 2>/dev/null |
		wc -l)"
# the same, the Initials padded with zeros after the packet (RFC 9000
# 14.1), so that the merged frame's second Initial follows the first
# datagram's zeros: tshark stops at them, the generator's hello is the truth
gen gro-zeros --pop name=chromium,client=chromium,ips=3,conns=4,dur=20,gro=1,zpad=1
"$HS" replay --events -j "$TMP/gro-zeros.pcap" >"$TMP/gro-zeros.ev" 2>"$TMP/gro-zeros.err"
expect_eq "gro-zeros: replay --events exits 0" 0 "$?"
truth_hellos gro-zeros "its two Initials one frame with zeros between"
expect_eq "gro-zeros: frames of two zero-padded Initials in the capture" 4 \
	"$(tshark -r "$TMP/gro-zeros.pcap" -Y 'udp.length > 2400' -T fields -e frame.number 2>/dev/null |
		wc -l)"

# every client's Initials and two 0-RTT datagrams in one frame (a GSO
# send, four datagrams: over a replayed frame's 3,520 bytes, cut back into
# datagrams by their packets' lengths), to UDP port 8443
EVERY_GSO=()
for c in chromium curl openssl gnutls-cli node python3 wget; do
	EVERY_GSO+=(--pop "name=$c,client=$c,ips=2,conns=2,dur=20,gro=1,zrtt=2,port=8443")
done
gen gso-8443 "${EVERY_GSO[@]}"
"$HS" replay --quic-ports 8443 --events -j "$TMP/gso-8443.pcap" >"$TMP/gso-8443.ev" 2>"$TMP/gso-8443.err"
expect_eq "gso-8443: replay --quic-ports 8443 --events exits 0, nothing said" "0 " \
	"$? $(cat "$TMP/gso-8443.err")"
truth_hellos gso-8443 "its Initials and 0-RTT datagrams one frame"
expect_eq "gso-8443: frames over 3,520 bytes (three or four datagrams) in the capture, one a connection" 14 \
	"$(tshark -r "$TMP/gso-8443.pcap" -Y 'frame.len > 3520' -T fields -e frame.number 2>/dev/null |
		wc -l)"
# the same with the QUIC ports left at 443: each client Initial to 8443 said
"$HS" replay "$TMP/gso-8443.pcap" >/dev/null 2>"$TMP/gso-443.err"
n=$(tshark -r "$TMP/gso-8443.pcap" -d udp.port==8443,quic -Y 'udp.dstport == 8443' \
	-T fields -e quic.long.packet_type 2>/dev/null | tr ',' '\n' | grep -c '^0$')
expect_eq "gso-8443: replay with the QUIC ports at 443 says how many client Initials went to other ports (tshark's count)" \
	"hydrascope: $n QUIC Initials to other UDP ports than the QUIC ports (443) not fingerprinted; --quic-ports LIST names them" \
	"$(cat "$TMP/gso-443.err")"

# ---- (a) a QUIC hydra ----------------------------------------------------------
gen hydra "${LEGIT[@]}" --pop "name=hydra,$HYDRA,ips=1300,conns=1700"
"$HS" replay --window $W --alerts - -j "$TMP/hydra.pcap" >"$TMP/hydra.alerts" 2>"$TMP/hydra.err"
expect_eq "(a) replay --alerts exits 0" 0 "$?"
"$HS" replay --window $W --alerts - "$TMP/hydra.pcap" 2>/dev/null | sed 's/^/# /'
verdicts $W <<'EOF'
import json, os, sys
tmp, w = sys.argv[1], int(sys.argv[2])
truth = json.load(open(os.path.join(tmp, "hydra.json")))
hy = truth["pops"][-1]
start = truth["start_epoch"] + hy["start"]
al = [json.loads(l) for l in open(os.path.join(tmp, "hydra.alerts"))]
import calendar, time
ts = lambda a: calendar.timegm(time.strptime(a["ts"], "%Y-%m-%dT%H:%M:%SZ"))
new = [a for a in al if a.get("ja4") == hy["ja4"] and a["state"] == "new"]
first = min(new, key=ts) if new else None
print(("ok" if first and ts(first) <= start + 2 * w else "not ok") +
      " (a) the hydra's %s alerted within 2 windows of its start (%s): %s" % (
          hy["ja4"], time.strftime("%H:%M:%S", time.gmtime(start)),
          first and "%s, ips %d nets %d conns %d tcp_sigs %d score %d reasons %s" % (
              first["ts"], first["ips"], first["nets"], first["conns"], first["tcp_sigs"],
              first["score"], ",".join(first["reasons"]))))
print(("ok" if first and first["tcp_sigs"] == 0 and "many_stacks" not in first["reasons"]
       and "new_stacks" not in first["reasons"] else "not ok") +
      " (a) a QUIC fingerprint has no TCP stack: tcp_sigs 0, no many_stacks or new_stacks")
other = sorted({a.get("ja4") or a.get("tcp_sig") or a.get("unfingerprinted") for a in al
                if a.get("ja4") != hy["ja4"]})
print(("ok" if not other else "not ok") + " (a) nothing else alerted%s" % (
    ": " + " ".join(map(str, other)) if other else ""))
EOF

# ---- (b) legitimate QUIC traffic alone ------------------------------------------
gen legit "${LEGIT[@]}"
"$HS" replay --window $W --alerts - -j "$TMP/legit.pcap" >"$TMP/legit.alerts" 2>"$TMP/legit.err"
expect_eq "(b) replay --alerts exits 0" 0 "$?"
expect_eq "(b) legitimate QUIC clients: no alert" "" "$(cut -c1-300 "$TMP/legit.alerts")"
"$HS" replay --events -j "$TMP/legit.pcap" >"$TMP/legit.ev" 2>/dev/null
verdicts <<'EOF'
import collections, json, os, sys
tmp = sys.argv[1]
truth = json.load(open(os.path.join(tmp, "legit.json")))
n = collections.Counter(e["ja4"] for e in map(json.loads, open(os.path.join(tmp, "legit.ev")))
                        if e.get("event") == "tls_hello")
for p in truth["pops"]:
    # a few may find every slot of their flow's set held: by validated flows
    # (10 s) or new ones (1 s)
    print(("ok" if p["conns"] * 0.98 <= n[p["ja4"]] <= p["conns"] else "not ok") +
          " (b) %s (%s, %d addresses): %d of its %d connections counted" % (
              p["name"], p["ja4"], p["ips"], n[p["ja4"]], p["conns"]))
EOF

# ---- (c) the hydra spoofed: Handshakes to a wrong ID, or none --------------------
gen spoof "${LEGIT[@]}" --pop "name=wrong,$HYDRA,ips=650,conns=850,handshake=wrong" \
	--pop "name=none,$HYDRA,ips=650,conns=850,handshake=none"
"$HS" replay -j "$TMP/spoof.pcap" >"$TMP/spoof.dump" 2>"$TMP/spoof.err"
expect_eq "(c) replay -j exits 0" 0 "$?"
"$HS" replay --events -j "$TMP/spoof.pcap" >"$TMP/spoof.ev" 2>/dev/null
# with nothing waiting for validation, every hello whose Initial was
# handed is counted: the hydra's hellos that reached userspace
"$HS" replay --events -j --handshake none "$TMP/spoof.pcap" >"$TMP/spoof.none.ev" 2>/dev/null
"$HS" replay --window $W --alerts - -j "$TMP/spoof.pcap" >"$TMP/spoof.alerts" 2>/dev/null
expect_eq "(c) the spoofed hydra: no alert" "" "$(cut -c1-300 "$TMP/spoof.alerts")"
sed 's/^/# /' "$TMP/spoof.err"
verdicts <<'EOF'
import json, os, re, sys
tmp = sys.argv[1]
truth = json.load(open(os.path.join(tmp, "spoof.json")))
pops = truth["pops"]
hj = pops[-1]["ja4"]
spoofed = sum(p["conns"] for p in pops if p["handshake"] != "valid")
rows = [json.loads(l) for l in open(os.path.join(tmp, "spoof.dump"))]
ev = [e for e in map(json.loads, open(os.path.join(tmp, "spoof.ev"))) if e.get("event") == "tls_hello"]
evn = [e for e in map(json.loads, open(os.path.join(tmp, "spoof.none.ev"))) if e.get("event") == "tls_hello"]
legit = {p["ja4"] for p in pops if p["handshake"] == "valid"}
print(("ok" if not [r for r in rows if r.get("ja4") == hj] else "not ok") +
      " (c) dump: no row for the spoofed hydra's %s" % hj)
print(("ok" if legit <= {r.get("ja4") for r in rows} else "not ok") +
      " (c) dump: the legitimate clients' JA4s counted beside it")
print(("ok" if not [e for e in ev if e["ja4"] == hj] else "not ok") + " (c) events: none of the hydra's")
handed = sum(1 for e in evn if e["ja4"] == hj)
counted = sum(1 for e in ev if e["ja4"] in legit)
print(("ok" if handed >= 0.99 * spoofed else "not ok") +
      " (c) --handshake none counts %d of the %d spoofed hellos (the rest found their flow's "
      "slot held by another flow)" % (handed, spoofed))
m = re.search(r"(\d+) of (\d+) QUIC ClientHellos left out", open(os.path.join(tmp, "spoof.err")).read())
print(("ok" if m and int(m.group(1)) == handed and int(m.group(2)) == handed + counted else "not ok") +
      " (c) hellos_quic_unvalidated = the spoofed hellos (%d), of %d QUIC hellos (%d counted): "
      "replay says %s" % (handed, handed + counted, counted, m and m.group(0)))
EOF

# ---- (d) --quic-ports none ----------------------------------------------------------
"$HS" replay -j --quic-ports none "$TMP/hydra.pcap" >"$TMP/none.dump" 2>"$TMP/none.err"
expect_eq "(d) replay --quic-ports none exits 0" 0 "$?"
"$HS" replay -j "$TMP/hydra.pcap" >"$TMP/quic.dump" 2>/dev/null
n_q=$(grep -c '"ja4":"q' "$TMP/quic.dump")
n_none=$(grep -c '"ja4":"q' "$TMP/none.dump")
[ "$n_q" -ge 5 ] && [ "$n_none" = 0 ] &&
	ok "(d) --quic-ports none: no QUIC fingerprint ($n_q without it)" ||
	fail "(d) --quic-ports none: no q JA4 expected (and 5 without it), got $n_none ($n_q without it)"
if grep -q QUIC "$TMP/none.err"; then
	fail "(d) --quic-ports none: nothing said of QUIC expected, got $(cat "$TMP/none.err")"
else
	ok "(d) --quic-ports none: no QUIC hello left out either"
fi
"$HS" replay --window $W --alerts - -j --quic-ports none "$TMP/hydra.pcap" >"$TMP/none.alerts" 2>/dev/null
expect_eq "(d) --quic-ports none: no alert" "" "$(cut -c1-300 "$TMP/none.alerts")"

# ---- (e) past one window's budget, without the detector ----------------------------
gen long --pop name=long,client=curl,ips=5000,dur=600,coalesce=0
"$HS" replay -j "$TMP/long.pcap" >"$TMP/long.dump" 2>"$TMP/long.err"
expect_eq "(e) replay -j exits 0" 0 "$?"
sed 's/^/# /' "$TMP/long.err"
verdicts <<'EOF2'
import json, os, re, sys
tmp = sys.argv[1]
truth = json.load(open(os.path.join(tmp, "long.json")))
p = truth["pops"][0]
row = next((r for r in map(json.loads, open(os.path.join(tmp, "long.dump"))) if r.get("ja4") == p["ja4"]), {})
err = open(os.path.join(tmp, "long.err")).read()
m = re.search(r"quic_initials_shed_budget (\d+)\), .* \(quic_initials_shed_busy (\d+)\)", err)
budget, busy = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
print(("ok" if budget == 0 else "not ok") + " (e) %d Initials over 10 minutes: none shed by the budget "
      "(got %d)" % (p["conns"], budget))
print(("ok" if row.get("conns", 0) + busy == p["conns"] and busy <= p["conns"] // 100 else "not ok") +
      " (e) every hello counted (%s) but those whose slot was held (%d): %d" % (
          row.get("conns"), busy, p["conns"]))
EOF2
# ---- (f) the hydra behind a flood spending the budget ----------------------------------
gen flood "${LEGIT[@]}" --pop "name=hydra,$HYDRA,ips=1300,conns=1700" \
	--pop name=f1,client=curl,ips=9000,conns=9000,start=240,dur=1,handshake=none \
	--pop name=f2,client=curl,ips=9000,conns=9000,start=300,dur=1,handshake=none
"$HS" replay --window $W --alerts - -j "$TMP/flood.pcap" >"$TMP/flood.alerts" 2>"$TMP/flood.err"
expect_eq "(f) replay --alerts exits 0" 0 "$?"
sed 's/^/# /' "$TMP/flood.err"
verdicts $W <<'EOF3'
import json, os, re, sys
tmp, w = sys.argv[1], int(sys.argv[2])
truth = json.load(open(os.path.join(tmp, "flood.json")))
hy = next(p for p in truth["pops"] if p["name"] == "hydra")
al = [json.loads(l) for l in open(os.path.join(tmp, "flood.alerts"))]
new = [a for a in al if a.get("ja4") == hy["ja4"] and a["state"] == "new"]
err = open(os.path.join(tmp, "flood.err")).read()
m = re.search(r"quic_initials_shed_budget (\d+)\)", err)
print(("ok" if m and int(m.group(1)) > 0 else "not ok") +
      " (f) the flood spent the budget: %s Initials shed by it" % (m and m.group(1)))
print(("ok" if new else "not ok") + " (f) the hydra behind the flood alerted: %s" % (
    new and "%s ips %d score %d reasons %s" % (new[0]["ts"], new[0]["ips"], new[0]["score"],
                                            ",".join(new[0]["reasons"]))))
EOF3
done_testing
