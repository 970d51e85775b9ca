#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# QUIC ClientHello fingerprints of real QUIC clients, live (issue 18), on a
# veth in native XDP mode, checked against an independent reference:
# tshark decrypts the Initials of a capture of the very same packets and
# tests/lib/ja4_ref.py --quic computes JA4, JA4_r and JA3 from its
# dissection. Servers: ngtcp2's (gtlsserver) on port 443 without and on
# 8443 with address validation (Retry), IPv4 and IPv6 (run --quic-ports).
# Clients, each in its own client namespace (its source addresses name
# it): ngtcp2's (gtlsclient) and headless chromium forced onto QUIC (its
# post-quantum hello spans two Initials; no TCP server on those ports),
# each to both ports over both families, and headless firefox (neqo, its
# hello in two Initials too) forced onto QUIC, to both ports over IPv4.
# Checks: every handshake completed and the page came (fail-open), every
# connection fingerprinted and validated (dump's conns and ips per JA4,
# the live counters in status and in run --metrics), per connection
# JA4/JA4_r/JA3 of `replay --events` of the capture against the reference,
# a Retry counted once.
# Then a flood of spoofed Initials (tests/tools/quicflood: the real
# clients' own hellos, sealed under a new DCID each, from random sources of
# 198.19.0.0/16 and 2001:2:0:ff00::/56) while the real clients go on:
# nothing of it validated or counted in the fingerprint tables (its hellos
# have the real clients' JA4s: only their conns_unvalidated grows), all of
# it unvalidated once its 10 s are up; the real clients complete during it
# and are counted after it. Then a server sending with UDP GSO (its skb's
# payload in pages): its connection ID recorded, its flow validated. Last,
# QUIC to a port run is not told of: counted (quic_initials_other_port),
# not fingerprinted, the handshakes complete.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool tcpdump tshark python3 nsenter ps timeout openssl ss curl gtlsclient gtlsserver chromium \
	firefox-esr certutil
need_hs
FLOOD=${HS_OUT:-$ROOT/.output}/tests/quicflood
[ -x "$FLOOD" ] || { fail "no $FLOOD: build it first (make tests)"; done_testing; }

NORETRY=443 RETRY=8443     # the QUIC servers' ports: without and with Retry
GSO=4433                   # a server answering with UDP GSO (python3)
OTHER=9443                 # a QUIC server on a port run is not told of
METRICS=127.0.0.1:9742     # run --metrics, in the server namespace
BED_PORTS=(80 8080)        # the plain TCP server keeps off the QUIC ports
NAME=hs.test
NG_RUNS=2                  # ngtcp2 connections per port and family
FLOOD_NET=198.19.0.0/16    # the spoofed sources: within 198.18.0.0/15, no bed address,
FLOOD_NET6=2001:2:0:ff00::/56   # and within the bed's 2001:2::/48
FLOOD_NG=1200              # spoofed hellos: ngtcp2's (one Initial each) to 443,
FLOOD_NG6=300              # the same over IPv6,
FLOOD_CHR=600              # chromium's (two Initials each) to 8443: 2,700 Initials
                           # (under the 4,096 a CPU hands over per window), in ~3 s
CAP=$TMP/quic.pcap
T0=$SECONDS
D=$TMP/quic
# on a failure: the capture, what was made of it, the logs (not chromium's
# profiles)
keep_on_fail "$TMP/*.pcap" "$TMP/*.jsonl" "$TMP/*.json" "$TMP/*.log" "$TMP/*.txt" \
	"$TMP/*.err" "$TMP/verdicts" "$TMP/metrics.prom" "$D/*.log" "$D/*.hex" "$D/dl"

CLIENTS=(ngtcp2 chromium flood firefox)
NG=1 CHR=2 FL=3 FF=4       # their client numbers (1-based)

# ---- bed: IPv4 and IPv6, offloads off, the flood's sources routed nowhere ----
if ! bed_net ${#CLIENTS[@]} || ! bed_ipv6; then
	fail "test bed with ${#CLIENTS[@]} clients, IPv4 and IPv6, could not be built"
	done_testing
fi
ok "test bed: server $BED_SRV_IP and $BED_SRV_IP6, clients ${BED_CLIENT_IPS[*]} and ${BED_CLIENT_IP6S[*]}"
veths=("$BED_SRV $BED_DEV" "$BED_RTR ${TAG}r0")
for ((i = 1; i <= ${#CLIENTS[@]}; i++)); do
	veths+=("${BED_CLIENTS[i - 1]} ${TAG}c$i" "$BED_RTR ${TAG}r$i")
done
offl_on=()
for v in "${veths[@]}"; do
	[ "$(nsx "${v% *}" ethtool -k "${v#* }" 2>&1 |
		grep -cE '^(tcp-segmentation|generic-segmentation|generic-receive)-offload: off')" = 3 ] ||
		offl_on+=("${v#* }")
done
expect_eq "TSO, GSO and GRO off on all ${#veths[@]} veths" "" "${offl_on[*]}"
# the router forwards spoofed sources (no reverse-path filter) and drops
# the server's answers to them
nsx "$BED_RTR" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
	net.ipv4.conf."${TAG}r$FL".rp_filter=0 &&
	ip -n "$BED_RTR" route add blackhole "$FLOOD_NET" &&
	ip -n "$BED_RTR" -6 route add blackhole "$FLOOD_NET6" &&
	ok "router: no reverse-path filter, $FLOOD_NET and $FLOOD_NET6 blackholed" ||
	fail "router: rp_filter 0 and blackhole routes for $FLOOD_NET and $FLOOD_NET6"

# ---- certificate, the two ngtcp2 servers, capture, attach ----
mkdir -p "$D/html" "$D/dl"
echo "hydrascope quic test server" >"$D/html/index.html"
# the server's certificate, signed by a CA of our own that firefox trusts
if ! ca_cert "$D" "$NAME" "DNS:$NAME,IP:$BED_SRV_IP,IP:$BED_SRV_IP6"; then
	fail "openssl: $(cat "$D/openssl.log")"
	done_testing
fi
# chromium trusts the certificate by the SHA-256 of its public key
SPKI=$(openssl x509 -in "$D/cert.pem" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)
# '*': one socket per family
bg_job SRV1_PID nsenter --net=/run/netns/"$BED_SRV" gtlsserver -q -d "$D/html" \
	'*' $NORETRY "$D/key.pem" "$D/cert.pem" >"$D/server-$NORETRY.log" 2>&1
bg_job SRV2_PID nsenter --net=/run/netns/"$BED_SRV" gtlsserver -q -V -d "$D/html" \
	'*' $RETRY "$D/key.pem" "$D/cert.pem" >"$D/server-$RETRY.log" 2>&1
listening() {
	local n
	n=$(nsx "$BED_SRV" ss -Hlun "( sport = :$NORETRY or sport = :$RETRY )" | wc -l)
	[ "$n" = 4 ]
}
if wait_for 5 listening; then
	ok "ngtcp2 servers on UDP $NORETRY and $RETRY (-V: Retry), IPv4 and IPv6"
else
	fail "ngtcp2 servers on UDP $NORETRY and $RETRY, both families expected, got: $(nsx "$BED_SRV" ss -Hlun | tr '\n' '|') $(cat "$D"/server-*.log | head -c 300)"
	done_testing
fi

bed_capture TD_PID "$CAP" udp
if ! hs_start HS_PID "$BED_PINS" "$TMP/run.log" --quic-ports $NORETRY,$RETRY,$GSO \
	--metrics $METRICS; then
	fail "hydrascope run -i $BED_DEV -m native --quic-ports $NORETRY,$RETRY,$GSO: attachment expected (log above)"
	done_testing
fi
case $(grep -m1 '^hydrascope: attached to ' "$TMP/run.log") in
*" in native mode"*) ok "hydrascope attached to $BED_DEV in native mode";;
*) fail "run: 'in native mode' expected, got: $(head -n 3 "$TMP/run.log" | tr '\n' '|')";;
esac

# ---- the clients ----
# ngtcp2 FAMILY PORT: one connection of ngtcp2's client (client NG) with a
# request for the page: prints it (checked by the caller); its exit status.
# (To a numeric host it sends the SNI "localhost".)
ngtcp2() {
	local dst=$BED_SRV_IP dir
	[ "$1" = 6 ] && dst=$BED_SRV_IP6
	dir=$(mktemp -d "$D/dl/XXXXXX")
	timeout 15 nsenter --net=/run/netns/"${BED_CLIENTS[NG - 1]}" gtlsclient -q \
		--exit-on-all-streams-close --download="$dir" \
		"$dst" "$2" "https://$NAME:$2/index.html" >"$dir.log" 2>&1
	local rc=$?
	cat "$dir/index.html" 2>/dev/null
	return $rc
}
# chromium FAMILY PORT: one page load of headless chromium (client CHR)
# forced onto QUIC, a new empty profile; prints what it got
chromium_get() {
	local dst=$BED_SRV_IP dir
	[ "$1" = 6 ] && dst="[$BED_SRV_IP6]"
	dir=$(mktemp -d "$D/chromium.XXXXXX")
	# timeout kills its whole process group
	timeout -k 5 30 nsenter --net=/run/netns/"${BED_CLIENTS[CHR - 1]}" chromium --headless=new \
		--no-sandbox --disable-gpu --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$dir" \
		--enable-quic --origin-to-force-quic-on=$NAME:"$2" \
		--ignore-certificate-errors-spki-list="$SPKI" \
		--host-resolver-rules="MAP $NAME $dst" \
		--dump-dom "https://$NAME:$2/" 2>"$dir.log" | grep -o 'hydrascope quic test server'
	return "${PIPESTATUS[0]}"
}
# firefox_get 4 PORT: one page load of headless firefox (client FF)
# forced onto QUIC to PORT, a new profile trusting our CA
# (firefox_quic_profile); prints "page saved" once it saved the screenshot.
# IPv4 only: an IPv6 literal origin did not take the mapping.
firefox_get() {
	local dir
	dir=$(mktemp -d "$D/firefox.XXXXXX")
	firefox_quic_profile "$dir" "$D/ca.pem" "$BED_SRV_IP" "$2" >/dev/null 2>&1 || return 1
	HOME=$dir timeout -k 5 30 nsenter --net=/run/netns/"${BED_CLIENTS[FF - 1]}" firefox-esr \
		--headless --no-remote --profile "$dir" --screenshot "$dir/page.png" \
		"https://$BED_SRV_IP:$2/" >"$dir.log" 2>&1 || return
	[ -s "$dir/page.png" ] && echo "page saved"
}
WANT="hydrascope quic test server"
# run CLIENT FAMILY PORT PHASE: one run, checked; the browsers get a second
# chance (slow to start, many processes)
run() {
	local got rc t=$SECONDS attempt want=$WANT
	[ "$1" = firefox ] && want="page saved"
	for attempt in 1 2; do
		case $1 in
		ngtcp2) got=$(ngtcp2 "$2" "$3");;
		chromium) got=$(chromium_get "$2" "$3");;
		firefox) got=$(firefox_get "$2" "$3");;
		esac
		rc=$?
		[ "$got" = "$want" ] && [ $rc = 0 ] && break
		[ "$1" != ngtcp2 ] && [ $attempt = 1 ] || break
		echo "# $1 attempt 1 failed (exit $rc, output '$got'); retrying"
	done
	expect_eq "$4: $1 IPv$2 to $3$([ "$3" = $RETRY ] && echo " (Retry)"): exit 0 and the page ($((SECONDS - t)) s)" \
		"0 $want" "$rc $got"
}

for fam in 4 6; do
	for port in $NORETRY $RETRY; do
		for ((r = 1; r <= NG_RUNS; r++)); do
			run ngtcp2 $fam $port "before the flood"
		done
		run chromium $fam $port "before the flood"
		[ $fam = 4 ] && run firefox $fam $port "before the flood"
	done
done
echo "# clients done after $((SECONDS - T0)) s"
sleep 0.3       # the last packets on the wire
nsx "$BED_SRV" "$HS" status --pin-dir "$BED_PINS" -j >"$TMP/status1.json" 2>"$TMP/status.err" ||
	fail "status -j before the flood: $(cat "$TMP/status.err")"

# ---- the flood: the real clients' own hellos from spoofed sources ----
cp "$CAP" "$TMP/before.pcap"
"$BED_PY" "$ROOT/tests/lib/quic_ref.py" "$TMP/before.pcap" >"$TMP/hellos.txt" 2>"$TMP/quic_ref.err"
awk -v ip="${BED_CLIENT_IPS[NG - 1]}" '$1 == ip { print $3; exit }' "$TMP/hellos.txt" >"$D/ng.hex"
awk -v ip="${BED_CLIENT_IPS[CHR - 1]}" '$1 == ip { print $3; exit }' "$TMP/hellos.txt" >"$D/chr.hex"
sed 's/^/# /' "$TMP/quic_ref.err"
if [ -s "$D/ng.hex" ] && [ -s "$D/chr.hex" ]; then
	ok "the flood's hellos: ngtcp2's ($(($(wc -c <"$D/ng.hex") / 2)) bytes) and chromium's ($(($(wc -c <"$D/chr.hex") / 2)) bytes) as tshark decrypted them"
else
	fail "a hello of ngtcp2 and of chromium from quic_ref.py expected, got: $(cut -c1-60 "$TMP/hellos.txt" | tr '\n' '|') $(head -c 300 "$TMP/quic_ref.err")"
fi
flood() {
	local ns=${BED_CLIENTS[FL - 1]}
	nsx "$ns" "$FLOOD" "$BED_SRV_IP" $NORETRY $FLOOD_NG $FLOOD_NET "$D/ng.hex" 1000 &&
		nsx "$ns" "$FLOOD" "$BED_SRV_IP6" $NORETRY $FLOOD_NG6 $FLOOD_NET6 "$D/ng.hex" 1000 &&
		nsx "$ns" "$FLOOD" "$BED_SRV_IP" $RETRY $FLOOD_CHR $FLOOD_NET "$D/chr.hex" 500
}
tf=$SECONDS
bg_job FLOOD_PID flood >"$TMP/flood.log" 2>&1
# the real clients while it lasts
run ngtcp2 4 $NORETRY "during the flood"
run ngtcp2 6 $RETRY "during the flood"
run chromium 4 $NORETRY "during the flood"
rc=0; wait "$FLOOD_PID" || rc=$?
flood_end=$SECONDS
expect_eq "the flood was sent whole ($((FLOOD_NG + FLOOD_NG6 + 2 * FLOOD_CHR)) Initials, $((SECONDS - tf)) s): $(tr '\n' ' ' <"$TMP/flood.log")" 0 $rc
# and after it
run ngtcp2 4 $RETRY "after the flood"
run ngtcp2 6 $NORETRY "after the flood"
run chromium 6 $RETRY "after the flood"
# the flood's hellos wait 10 s for a validation that never comes
while ((SECONDS < flood_end + 12)); do sleep 0.5; done
echo "# clients and flood done after $((SECONDS - T0)) s"

bed_snapshot "$TD_PID"
rc=0
nsx "$BED_SRV" curl -sS --max-time 5 -o "$TMP/metrics.prom" "http://$METRICS/metrics" 2>"$TMP/curl.err" ||
	rc=$?
expect_eq "run --metrics: GET /metrics" 0 "$rc$([ $rc != 0 ] && echo " ($(cat "$TMP/curl.err"))")"
_bg_alive "$HS_PID" && ok "hydrascope still running after the clients and the flood" ||
	fail "hydrascope run still running expected, it exited: $(tail -n 3 "$TMP/run.log" | tr '\n' '|')"

# ---- the references and the replay of the real clients' packets ----
tcpdump -r "$CAP" -w "$TMP/real.pcap" "not net $FLOOD_NET and not net $FLOOD_NET6" 2>/dev/null
tcpdump -r "$CAP" -nn -tt "src net $FLOOD_NET or src net $FLOOD_NET6" 2>/dev/null |
	awk '{ print $1 }' >"$TMP/flood_times.txt"
nflood=$(wc -l <"$TMP/flood_times.txt")
flood_span="$(head -n 1 "$TMP/flood_times.txt") $(tail -n 1 "$TMP/flood_times.txt")"
"$BED_PY" "$ROOT/tests/lib/ja4_ref.py" --quic --ports $RETRY "$TMP/real.pcap" \
	>"$TMP/ref.jsonl" 2>"$TMP/ref.err"
rc=$?
expect_eq "ja4_ref.py --quic on the capture exits 0" 0 "$rc$([ $rc != 0 ] && echo " ($(head -c 300 "$TMP/ref.err"))")"
"$BED_PY" "$ROOT/tests/lib/ja4_ref.py" --quic --all --ports $RETRY "$TMP/real.pcap" \
	>"$TMP/ref_all.jsonl" 2>/dev/null
"$HS" replay --events -j --quic-ports $NORETRY,$RETRY "$TMP/real.pcap" >"$TMP/events.jsonl" 2>"$TMP/replay.err"
rc=$?
expect_eq "replay --events -j of the real clients' packets exits 0" 0 \
	"$rc$([ $rc != 0 ] && echo " ($(head -c 300 "$TMP/replay.err"))")"
sed 's/^/# replay: /' "$TMP/replay.err"

# ---- compare (python prints "ok ..."/"not ok ..."/"# ...") ----
"$BED_PY" - "$TMP/ref.jsonl" "$TMP/ref_all.jsonl" "$TMP/events.jsonl" "$TMP/dump.json" \
	"$TMP/status1.json" "$TMP/status.json" "$nflood" \
	"${BED_CLIENT_IPS[NG - 1]},${BED_CLIENT_IP6S[NG - 1]}" \
	"${BED_CLIENT_IPS[CHR - 1]},${BED_CLIENT_IP6S[CHR - 1]}" "${BED_CLIENT_IPS[FF - 1]}" \
	"$RETRY" "$NG_RUNS" "$((FLOOD_NG + FLOOD_NG6))" "$FLOOD_CHR" "$flood_span" "$TMP/metrics.prom" \
	>"$TMP/verdicts" 2>&1 <<'EOF'
import collections, datetime, json, sys

(ref_jsonl, ref_all_jsonl, events_jsonl, dump_json, status1_json, status_json, nflood,
 ng_ips, chr_ips, ff_ips, retry, ng_runs, flood_ng, flood_chr, flood_span, metrics) = sys.argv[1:17]
nflood, retry, ng_runs = int(nflood), int(retry), int(ng_runs)
flood_ng, flood_chr = int(flood_ng), int(flood_chr)
flood_hellos = flood_ng + flood_chr
names = {ip: "ngtcp2" for ip in ng_ips.split(",")}
names.update({ip: "chromium" for ip in chr_ips.split(",")})
names.update({ip: "firefox" for ip in ff_ips.split(",")})


def verdict(good, msg):
    print(("ok " if good else "not ok ") + msg)


def jsonl(path):
    return [json.loads(l) for l in open(path) if l.strip()]


ref = jsonl(ref_jsonl)
ref_all = jsonl(ref_all_jsonl)
events = [e for e in jsonl(events_jsonl) if e["event"] == "tls_hello"]
dump = [r for r in jsonl(dump_json) if r.get("kind") == "tls"]
c1 = json.load(open(status1_json)).get("counters", {})
c2 = json.load(open(status_json)).get("counters", {})
# a client may use a port again for a later connection: an event is
# the one of its address and port nearest in time to the reference's hello
by_port = collections.defaultdict(list)
for e in events:
    t = datetime.datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ")
    by_port[(e["src"], e["sport"])].append((t.replace(tzinfo=datetime.timezone.utc).timestamp(), e))


def event_of(r):
    near = sorted(by_port.get((r["src"], r["srcport"]), []), key=lambda te: abs(te[0] - r["time"]))
    return near[0][1] if near else None


# how many connections each client made: before the flood 2 families x 2
# ports x (ng_runs ngtcp2, 1 chromium), and IPv4 x 2 ports firefox; during
# and after it 2 + 2 ngtcp2, 1 + 1 chromium
made = {"ngtcp2": 4 * ng_runs + 4, "chromium": 4 + 2, "firefox": 2}
made_before = {"ngtcp2": 4 * ng_runs, "chromium": 4, "firefox": 2}
families = {"ngtcp2": (4, 6), "chromium": (4, 6), "firefox": (4,)}
made_during = {"ngtcp2": 2, "chromium": 1}

# ---- per connection: the reference against replay's events ----
for who in ("ngtcp2", "chromium", "firefox"):
    mine = [r for r in ref if names.get(r["src"]) == who]
    verdict(len(mine) == made[who], "%s: %d connections with a ClientHello in the capture "
            "(tshark), got %d" % (who, made[who], len(mine)))
    for fam in families[who]:
        for port in (443, retry):
            n = sum(1 for r in mine if (":" in r["src"]) == (fam == 6) and r["dstport"] == port)
            verdict(n >= 1, "%s: IPv%d to %d%s: connections in the capture (got %d)" % (
                who, fam, port, " (Retry)" if port == retry else "", n))
    for r in mine:
        conn = "%s [%s]:%d -> %d%s" % (who, r["src"], r["srcport"], r["dstport"],
                                        " (Retry)" if r["dstport"] == retry else "")
        print("# %-44s %s initials=%d ja3=%s sni=%s" % (conn, r["ja4"], r["segments"],
                                                         r["ja3"], r["sni"] or "-"))
        e = event_of(r)
        if e is None:
            verdict(False, "%s: a tls_hello event from replay expected, got none" % conn)
            continue
        for k in ("ja4", "ja4_r", "ja3", "ja3_r"):
            verdict(e[k] == r[k], "%s: %s equals the reference%s" % (
                conn, k, "" if e[k] == r[k] else ": expected %s, got %s" % (r[k], e[k])))
        if r["dstport"] != retry:
            # after a Retry tshark mixes both DCIDs' Initials: compared without one only
            verdict(e["segments"] == r["segments"],
                    "%s: Initials %d expected (tshark's reassembly), replay says %s" % (
                        conn, r["segments"], e["segments"]))
        if who in ("chromium", "firefox"):
            verdict(e["segments"] >= 2, "%s: the hello spans >= 2 Initials (replay: %s)" % (
                conn, e["segments"]))
    # every hello a client sent again (after a Retry) is the same hello
    for r in mine:
        again = [a for a in ref_all if (a["src"], a["srcport"], a["client_random"]) ==
                 (r["src"], r["srcport"], r["client_random"])]
        if len(again) > 1:
            verdict(all(a["ja4_r"] == r["ja4_r"] for a in again),
                    "%s [%s]:%d: its %d hellos (a Retry) have one JA4_r" % (
                        who, r["src"], r["srcport"], len(again)))
stray = [r for r in ref if r["src"] not in names]
verdict(not stray, "every QUIC ClientHello of the real capture comes from a test client "
        "(others: %s)" % [(r["src"], r["srcport"]) for r in stray])
verdict(len(events) == len(ref), "replay: one tls_hello event per connection, a Retry's "
        "counted once (%d expected, got %d)" % (len(ref), len(events)))
verdict(all(e["ja4"].startswith("q") for e in events), "replay: every event's JA4 starts with q")

# ---- dump: each client's JA4, conns and ips; nothing of the flood ----
want = collections.defaultdict(list)
for r in ref:
    want[r["ja4"]].append(r)
got = {r["ja4"]: r for r in dump}
verdict(set(got) == set(want), "dump -j: the JA4 set equals the reference's (%s)%s" % (
    " ".join("%s=%s" % (j, ",".join(sorted({names.get(r["src"], "?") for r in rs})))
             for j, rs in sorted(want.items())),
    "" if set(got) == set(want) else ": reference only %s, dump only %s (the flood?)" % (
        sorted(set(want) - set(got)), sorted(set(got) - set(want)))))
for j, rs in sorted(want.items()):
    d = got.get(j)
    if d is None:
        continue
    who = ",".join(sorted({names.get(r["src"], "?") for r in rs}))
    ips = {r["src"] for r in rs}
    # during the flood a real Initial may find its flow slot held by a
    # spoofed one (shed: quic_initials_shed_busy): its hello is not seen
    during = sum(made_during[w] for w in {names.get(r["src"]) for r in rs} if w in made_during)
    lo, hi = len(rs) - during, len(rs)
    verdict(d["ja4_r"] == rs[0]["ja4_r"], "dump %s (%s): ja4_r equals the reference" % (j, who))
    verdict(lo <= d["conns"] <= hi, "dump %s (%s): conns %d expected (the connections made, "
            "up to %d during the flood may be shed), got %s" % (j, who, hi, during, d["conns"]))
    verdict(d["ips"] == len(ips), "dump %s (%s): ips %d expected (IPv4 and IPv6), got %s" % (
        j, who, len(ips), d["ips"]))
    verdict(d.get("tcp_sigs") == 0, "dump %s (%s): no TCP stack (got %s)" % (j, who, d.get("tcp_sigs")))

# the connections made "during the flood" were: their hellos between its
# first and its last datagram
t0, t1 = (float(x) for x in flood_span.split()) if flood_span.strip() else (0.0, 0.0)
inside = sorted("%s:%d" % (names.get(r["src"], "?"), r["srcport"]) for r in ref if t0 <= r["time"] <= t1)
verdict(len(inside) >= 1, "real hellos amid the flood's datagrams (%.3f s of them): %s" % (
    t1 - t0, " ".join(inside) or "none"))

# ---- the live counters ----
before = sum(made_before.values())
real = sum(made.values())
for k, want_v in (("quic_flows_validated", before), ("hellos_quic", before),
                  ("hellos_quic_unvalidated", 0), ("hellos", before)):
    verdict(c1.get(k, 0) == want_v, "status before the flood: %s %d expected (the connections "
            "made), got %s" % (k, want_v, c1.get(k, 0)))
shed = sum(c2.get(k, 0) for k in ("quic_initials_shed_busy", "quic_initials_shed_budget",
                                   "quic_initials_shed_flow"))
during = sum(made_during.values())
verdict(real - during <= c2.get("quic_flows_validated", 0) <= real,
        "status: quic_flows_validated %d expected (the real connections; up to %d during the "
        "flood may be shed), got %s: the flood validated nothing" % (
            real, during, c2.get("quic_flows_validated")))
valid = c2.get("hellos_quic", 0) - c2.get("hellos_quic_unvalidated", 0)
# why hellos were not walked, to say beside a count that is off
lost = " ".join("%s=%d" % (k, v) for k, v in sorted(c2.items())
                if v and k.startswith("tls_") and k != "tls_fingerprints_new")
verdict(valid == c2.get("quic_flows_validated", 0),
        "status: the validated QUIC hellos (hellos_quic - hellos_quic_unvalidated) are the "
        "validated flows (%s), got %d (hellos not walked: %s)" % (
            c2.get("quic_flows_validated"), valid, lost or "none"))
unval = c2.get("hellos_quic_unvalidated", 0)
verdict(flood_hellos // 2 <= unval <= flood_hellos,
        "status: hellos_quic_unvalidated rose from 0 by at least half the flood's %d hellos "
        "(%d datagrams seen), at most all of them: got %d" % (flood_hellos, nflood, unval))
# at least: a CI run once saw 150 more lines than were sent (2,850 of
# 2,700), not understood; the point is that the capture lost none
verdict(nflood >= flood_ng + 2 * flood_chr,
        "the capture holds every spoofed datagram (%d expected, got %d)" % (
            flood_ng + 2 * flood_chr, nflood))
# the flood's hellos are the real clients' own: fingerprinted as their JA4s,
# each left out of conns and counted in the row's conns_unvalidated
left = {}
for j, rs in want.items():
    who = names.get(rs[0]["src"], "?")
    left[who] = got.get(j, {}).get("conns_unvalidated_sampled", 0)
    cap = {"ngtcp2": flood_ng, "chromium": flood_chr}.get(who, 0)
    verdict(cap // 2 <= left[who] <= cap, "dump %s (%s): conns_unvalidated_sampled counts the "
            "flood's %d hellos of its stack (at least half), got %s (hellos not walked: %s)" % (
                j, who, cap, left[who], lost or "none"))
verdict(sum(left.values()) == unval, "dump: the rows' conns_unvalidated_sampled add up to "
        "hellos_quic_unvalidated (%d), got %d" % (unval, sum(left.values())))
# the same counts as Prometheus series
prom = {}
for line in open(metrics):
    if line.startswith("hydrascope_") and " " in line:
        k, v = line.rsplit(" ", 1)
        prom[k] = float(v)
for series, k in (("hydrascope_quic_flows_validated_total", "quic_flows_validated"),
                  ("hydrascope_tls_hellos_quic_total", "hellos_quic"),
                  ('hydrascope_tls_hellos_unvalidated_total{reason="quic_unvalidated"}',
                   "hellos_quic_unvalidated")):
    verdict(prom.get(series) == c2.get(k, 0), "metrics: %s equals status's %s (%s), got %s" % (
        series, k, c2.get(k, 0), prom.get(series)))
print("# counters after: " + " ".join("%s=%s" % (k, v) for k, v in sorted(c2.items())
                                      if v and ("quic" in k or "hello" in k)))
EOF
rc=$?
tap_verdicts "$TMP/verdicts"
[ $rc = 0 ] || fail "the comparison script failed (exit $rc)"

# ---- the oracle's own check: ja4_ref.py --quic against the public captures ----
if [ -f "$VECTORS/foxio-ja4/expected-quic.jsonl" ]; then
	"$BED_PY" "$ROOT/tests/lib/ja4_ref.py" --expect-quic "$VECTORS/foxio-ja4/expected-quic.jsonl" \
		"$VECTORS/foxio-ja4" >"$TMP/refcheck.txt" 2>&1
	rc=$?
	expect_eq "ja4_ref.py --quic reproduces the expected QUIC JA4s of the public captures: $(tail -n 1 "$TMP/refcheck.txt")" \
		0 "$rc$([ $rc != 0 ] && grep -v ' equal ' "$TMP/refcheck.txt" | head -c 400)"
else
	skip "ja4_ref.py --quic against the expected QUIC JA4s" "no $VECTORS/foxio-ja4/expected-quic.jsonl"
fi

# ---- a server sending with UDP GSO: its connection ID read all the same ----
# The egress program sees a GSO send as one skb with its payload in pages,
# past the linear data (BPF_PROG_TEST_RUN cannot make one). A python3
# server on $GSO answers each datagram with a server Initial choosing an
# 8-byte connection ID, sent with UDP_SEGMENT (103); the client (client FL,
# its own address) sends an Initial (not decryptable: validation only),
# then a Handshake carrying that ID.
gso_counts() {
	nsx "$BED_SRV" "$HS" status --pin-dir "$BED_PINS" -j | "$BED_PY" -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(c.get("quic_server_cids", 0), c.get("quic_flows_validated", 0))'
}
bg_job GSRV_PID nsenter --net=/run/netns/"$BED_SRV" "$BED_PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
open(sys.argv[3], "w").close()
cid = bytes.fromhex("5e57c1d001020304")
while True:
    d, a = s.recvfrom(4096)
    if d[0] & 0xf0 != 0xc0:
        continue                # an Initial answered, nothing else
    dcid = d[6:6 + d[5]]
    pkt = bytes([0xc1, 0, 0, 0, 1, len(dcid)]) + dcid + bytes([len(cid)]) + cid + b"\0"
    pkt += bytes([0x44, 0x00]) + bytes(1024)
    s.sendmsg([pkt], [(socket.SOL_UDP, 103, len(pkt).to_bytes(2, "little"))], 0, a)' \
	"$BED_SRV_IP" $GSO "$TMP/gso.ready"
wait_for 5 test -e "$TMP/gso.ready" || fail "the python3 GSO server did not start"
before=$(gso_counts)
got=$(nsx "${BED_CLIENTS[FL - 1]}" timeout 10 "$BED_PY" -c '
import socket, sys
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.settimeout(3)
dcid = bytes(range(0xd0, 0xd8))
c.sendto(bytes([0xc3, 0, 0, 0, 1, 8]) + dcid + b"\0\0" + bytes([0x44, 0xb0]) + bytes(1200),
         (sys.argv[1], int(sys.argv[2])))
r = c.recv(4096)
cid = r[7 + r[5]:7 + r[5] + r[6 + r[5]]]
c.sendto(bytes([0xe1, 0, 0, 0, 1, len(cid)]) + cid + b"\0" + bytes([0x40, 0x20]) + bytes(32),
         (sys.argv[1], int(sys.argv[2])))
print(len(r), cid.hex())' "$BED_SRV_IP" $GSO 2>&1)
sleep 0.2
after=$(gso_counts)
expect_eq "UDP GSO server: its Initial answered ($got), its connection ID recorded and the flow validated (quic_server_cids, quic_flows_validated: $before before)" \
	"$((${before% *} + 1)) $((${before#* } + 1))" "$after"

# ---- QUIC on a port --quic-ports does not name: counted, not fingerprinted ----
# An ngtcp2 server on $OTHER, one connection of ngtcp2's client (two of
# chromium's): it completes (fail-open), and quic_initials_other_port
# moves by the client's datagrams to $OTHER that start with an Initial, as
# tshark reads them in a capture of its own; no QUIC hello is walked.
other_counts() {
	nsx "$BED_SRV" "$HS" status --pin-dir "$BED_PINS" -j | "$BED_PY" -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(c.get("quic_initials_other_port", -1), c.get("hellos_quic", -1))'
}
bg_job SRV3_PID nsenter --net=/run/netns/"$BED_SRV" gtlsserver -q -d "$D/html" \
	'*' $OTHER "$D/key.pem" "$D/cert.pem" >"$D/server-$OTHER.log" 2>&1
wait_for 5 eval '[ "$(nsx "$BED_SRV" ss -Hlun "( sport = :$OTHER )" | wc -l)" = 2 ]' ||
	fail "ngtcp2 server on UDP $OTHER expected: $(head -c 300 "$D/server-$OTHER.log")"
bed_capture OCAP_PID "$TMP/other.pcap" udp port $OTHER
before=$(other_counts)
run ngtcp2 4 $OTHER "another port"
run chromium 4 $OTHER "another port"
sleep 0.3
after=$(other_counts)
bg_stop "$OCAP_PID" INT
bg_stop "$SRV3_PID"
initials=$(tshark -r "$TMP/other.pcap" -d udp.port==$OTHER,quic \
	-Y "udp.dstport == $OTHER && quic.long.packet_type == 0" -T fields -e frame.number \
	2>/dev/null | sort -u | wc -l)
[ "$initials" -ge 2 ] && [ "${after% *}" = "$((${before% *} + initials))" ] &&
	[ "${after#* }" = "${before#* }" ] &&
	ok "QUIC to UDP $OTHER: quic_initials_other_port moved by the $initials client datagrams starting with an Initial (tshark), no QUIC hello walked" ||
	fail "QUIC to UDP $OTHER: quic_initials_other_port +$initials (tshark's Initial datagrams, 2 or more) and hellos_quic unchanged expected: before '$before', after '$after'"

# ---- hydrascope leaves cleanly ----
rc=0; bg_stop "$HS_PID" TERM || rc=$?
expect_eq "run exits 0 on SIGTERM" 0 $rc
[ ! -e "$BED_PINS" ] && ok "pin dir $BED_PINS removed on exit" ||
	fail "pin dir removed on exit expected, got: $(ls -A "$BED_PINS")"
echo "# done after $((SECONDS - T0)) s"
done_testing
