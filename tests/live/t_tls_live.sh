#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# TLS ClientHello fingerprints of real TLS clients, live, on a veth in
# native XDP mode, checked against an independent reference: tshark
# dissects a capture of the very same packets and tests/lib/ja4_ref.py computes
# JA4, JA4_r and JA3 from that dissection. Each client runs in its own
# client namespace (so its source address names it) against a TLS server in
# the server namespace on ports 443 and 8443: curl (OpenSSL), openssl
# s_client, gnutls-cli, python3 ssl, node, wget (GnuTLS), Go's crypto/tls
# and Java's JSSE (tests/lib/tls_client.go, .java), headless chromium and
# firefox (NSS; their post-quantum ClientHellos are ~1.9 KB: two segments
# with offloads off),
# and a client whose ClientHello the server's small advertised MSS cuts into
# 4 or more segments. Checks: dump's JA4 set, per-connection JA4/JA4_r/JA3
# and segment counts of `replay --events` of the capture, the live hello
# counters, conns/ips/tcp_sigs per JA4, and that every connection got a
# ServerHello (fail-open: traffic flows).
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool tcpdump tshark python3 nsenter ps timeout openssl curl gnutls-cli node wget chromium \
	firefox-esr certutil go java
need_hs

TLS_PORTS=(443 8443)
BED_PORTS=(80 8080)        # the plain TCP server keeps off the TLS ports
SMALL_MSS=120              # advertised by the server to the small-MSS client
CAP=$TMP/tls.pcap
T0=$SECONDS

# One client namespace each; the last one gets the small MSS.
CLIENTS=(curl curl-ip openssl-s_client gnutls-cli python3-ssl node wget go java chromium firefox
	small-mss)
# How often each client runs (each run is one connection, the browsers may open more).
declare -A RUNS=([curl]=2)

# ---- the oracle first: ja4_ref.py against FoxIO's expected values ----
# Every public capture with TLS-over-TCP JA4s, in the background while the
# live part runs; one "PASS name"/"FAIL name" line per capture, the details
# in between.
check_ref_vectors() {
	local e f
	for e in "$VECTORS"/foxio-ja4/expected-python/*.json; do
		f=$VECTORS/foxio-ja4/$(basename "$e" .json)
		[ -f "$f" ] && grep -q '"JA4.1": *"t' "$e" || continue
		if "$BED_PY" "$ROOT/tests/lib/ja4_ref.py" --expect "$e" "$f"; then
			echo "PASS $(basename "$f")"
		else
			echo "FAIL $(basename "$f")"
		fi
	done
}

# ---- bed, TLS server, capture, attach ----
if ! bed_net ${#CLIENTS[@]}; then
	fail "test bed with ${#CLIENTS[@]} clients could not be built"
	done_testing
fi
ok "test bed: server $BED_SRV_IP, router, clients ${BED_CLIENT_IPS[*]}"
REF_PID=
[ -d "$VECTORS/foxio-ja4/expected-python" ] &&
	bg_job REF_PID check_ref_vectors >"$TMP/refcheck.txt" 2>&1
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

SMALL=${#CLIENTS[@]}       # 1-based client number of small-mss
ip -n "$BED_SRV" route add 198.18.$SMALL.0/24 via 198.18.0.1 advmss $SMALL_MSS &&
	ok "server advertises MSS $SMALL_MSS to ${BED_CLIENT_IPS[SMALL - 1]} (small-mss)" ||
	fail "route with advmss $SMALL_MSS to 198.18.$SMALL.0/24 in $BED_SRV"

if ! bed_tls_server "${TLS_PORTS[@]}"; then
	fail "TLS server on ports ${TLS_PORTS[*]} in $BED_SRV"
	done_testing
fi
ok "TLS server (python3 ssl, ALPN http/1.1) on $BED_SRV_IP ports ${TLS_PORTS[*]}"

bed_capture TD_PID "$CAP"

if ! hs_start HS_PID "$BED_PINS" "$TMP/run.log"; then
	fail "hydrascope run -i $BED_DEV -m native: attachment expected (log above)"
	done_testing
fi
case $(grep -m1 '^hydrascope: attached to ' "$TMP/run.log") in
*" in native mode"*) ok "hydrascope attached to $BED_DEV in native mode";;
*) fail "run: 'in native mode' expected, got: $(head -n 3 "$TMP/run.log" | tr '\n' '|')";;
esac

# ---- the clients ----
# run_client NAME NS: one run of client NAME in namespace NS; prints what it
# got (checked by the caller), exit status of the client
run_client() {
	local name=$1 ns=$2 ip=$BED_SRV_IP host=$BED_TLS_NAME
	case $name in
	curl)
		timeout 20 nsenter --net=/run/netns/"$ns" curl -sS -k --max-time 10 \
			--resolve "$host:443:$ip" -o /dev/null -w '%{http_code}' "https://$host/";;
	curl-ip)
		timeout 20 nsenter --net=/run/netns/"$ns" curl -sS -k --max-time 10 \
			-o /dev/null -w '%{http_code}' "https://$ip:8443/";;
	openssl-s_client)
		timeout 20 nsenter --net=/run/netns/"$ns" openssl s_client -brief \
			-connect "$ip:443" -servername "$host" -alpn h2,http/1.1 </dev/null 2>&1 |
			grep -m1 -o 'Protocol version: .*'
		return "${PIPESTATUS[0]}";;
	gnutls-cli)
		timeout 20 nsenter --net=/run/netns/"$ns" gnutls-cli --insecure --sni-hostname "$host" \
			--alpn h2 --alpn http/1.1 --port 8443 "$ip" </dev/null 2>&1 |
			grep -m1 -o 'Handshake was completed'
		return "${PIPESTATUS[0]}";;
	python3-ssl)
		timeout 20 nsenter --net=/run/netns/"$ns" "$BED_PY" -c '
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
ctx.set_alpn_protocols(["h2", "http/1.1"])
with socket.create_connection((sys.argv[1], 443), timeout=10) as c:
    with ctx.wrap_socket(c, server_hostname=sys.argv[2]) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % sys.argv[2].encode())
        data = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            data += d
print(data.split(b"\r\n", 1)[0].decode())' "$ip" "$host";;
	node)
		timeout 20 nsenter --net=/run/netns/"$ns" node -e '
const https = require("https");
const [ip, host] = process.argv.slice(1);
https.get({ host: ip, port: 8443, path: "/", servername: host, rejectUnauthorized: false,
            headers: { Host: host }, timeout: 10000 }, (res) => {
	res.resume();
	res.on("end", () => console.log(res.statusCode));
}).on("error", (e) => { console.log(e.message); process.exit(1); });' "$ip" "$host";;
	wget)
		timeout 20 nsenter --net=/run/netns/"$ns" wget -q --no-check-certificate --tries 1 \
			--timeout 10 -O - "https://$ip:8443/" | grep -o 'hydrascope test server';;
	go)
		GOCACHE=$TMP/gocache timeout 30 nsenter --net=/run/netns/"$ns" go run \
			"$ROOT/tests/lib/tls_client.go" "$ip:8443" "$host";;
	java)
		timeout 30 nsenter --net=/run/netns/"$ns" java "$ROOT/tests/lib/tls_client.java" \
			"$ip" 443 "$host";;
	chromium)
		# a new empty profile each attempt; timeout kills its whole process group
		local dir
		dir=$(mktemp -d "$TMP/chromium.XXXXXX")
		timeout -k 5 45 nsenter --net=/run/netns/"$ns" chromium --headless --no-sandbox \
			--disable-gpu --no-first-run --disable-background-networking \
			--disable-component-update --disable-sync --disable-quic \
			--ignore-certificate-errors --user-data-dir="$dir" \
			--dump-dom "https://$ip/" 2>"$dir.log" | grep -o 'hydrascope test server'
		return "${PIPESTATUS[0]}";;
	firefox)
		# a new profile each attempt that trusts the server's CA (NSS's
		# certutil): the page loads, the screenshot is taken, firefox exits
		local dir
		dir=$(mktemp -d "$TMP/firefox.XXXXXX")
		certutil -N -d "sql:$dir" --empty-password &&
			certutil -A -n hs-test-ca -t C,, -i "$BED_TLS_CA" -d "sql:$dir" || return 1
		HOME=$dir timeout -k 5 45 nsenter --net=/run/netns/"$ns" firefox-esr --headless \
			--no-remote --profile "$dir" --screenshot "$dir/page.png" "https://$ip/" \
			>"$dir.log" 2>&1 || return
		[ -s "$dir/page.png" ] && echo "page saved";;
	small-mss)
		timeout 20 nsenter --net=/run/netns/"$ns" curl -sS -k --max-time 10 \
			--resolve "$host:443:$ip" -o /dev/null -w '%{http_code}' "https://$host/";;
	esac
}
want_out() {
	case $1 in
	curl | curl-ip | node | small-mss) echo "200";;
	python3-ssl | go | java) echo "HTTP/1.1 200 OK";;
	openssl-s_client) echo "Protocol version: TLSv1.3";;
	gnutls-cli) echo "Handshake was completed";;
	wget | chromium) echo "hydrascope test server";;
	firefox) echo "page saved";;
	esac
}

: >"$TMP/clients.txt"
for ((i = 1; i <= ${#CLIENTS[@]}; i++)); do
	name=${CLIENTS[i - 1]} ns=${BED_CLIENTS[i - 1]}
	echo "$name ${BED_CLIENT_IPS[i - 1]} ${BED_CLIENT_PROFILES[i - 1]// /,}" >>"$TMP/clients.txt"
	for ((r = 1; r <= ${RUNS[$name]:-1}; r++)); do
		t=$SECONDS
		# the browsers (slow to start, many processes) get a second chance
		for attempt in 1 2; do
			got=$(run_client "$name" "$ns" 2>"$TMP/client.err")
			rc=$?
			[ "$got" = "$(want_out "$name")" ] && [ $rc = 0 ] && break
			case $name in chromium | firefox) [ $attempt = 1 ] || break;; *) break;; esac
			echo "# $name attempt 1 failed (exit $rc, output '$got'); retrying"
			sed 's/^/#   /' "$TMP/$name".*.log | tail -n 5
		done
		expect_eq "$name (${BED_CLIENT_IPS[i - 1]}) run $r: exit 0 and '$(want_out "$name")' ($((SECONDS - t)) s)" \
			"0 $(want_out "$name")" \
			"$rc $got$([ -s "$TMP/client.err" ] && echo " ($(head -c 300 "$TMP/client.err" | tr '\n' ' '))")"
	done
done
echo "# clients done after $((SECONDS - T0)) s"
sleep 0.3   # last segments on the wire

bed_snapshot "$TD_PID"
_bg_alive "$HS_PID" && ok "hydrascope still running after the clients" ||
	fail "hydrascope run still running expected, it exited: $(tail -n 3 "$TMP/run.log" | tr '\n' '|')"

# ---- the references and the replay of the capture ----
decode=()
for p in "${TLS_PORTS[@]}"; do decode+=(-d "tcp.port==$p,tls"); done
"$BED_PY" "$ROOT/tests/lib/ja4_ref.py" --ports "$(IFS=,; echo "${TLS_PORTS[*]}")" "$CAP" \
	>"$TMP/ref.jsonl" 2>"$TMP/ref.err"
rc=$?
expect_eq "ja4_ref.py on the capture exits 0" 0 "$rc$([ $rc != 0 ] && echo " ($(head -c 300 "$TMP/ref.err"))")"
"$BED_PY" "$ROOT/tests/lib/ja4_ref.py" --all --ports "$(IFS=,; echo "${TLS_PORTS[*]}")" "$CAP" \
	>"$TMP/ref_all.jsonl" 2>/dev/null
tshark -n -r "$CAP" "${decode[@]}" -Y 'tls.handshake.type == 2' -T fields \
	-e ip.dst -e tcp.dstport >"$TMP/server_hellos.txt" 2>/dev/null
"$HS" replay --events -j "$CAP" >"$TMP/events.jsonl" 2>"$TMP/replay.err"
rc=$?
expect_eq "replay --events -j of the capture exits 0" 0 \
	"$rc$([ $rc != 0 ] && echo " ($(head -c 300 "$TMP/replay.err"))")"

# ---- compare (python prints "ok ..."/"not ok ..."/"# ...") ----
"$BED_PY" - "$TMP/clients.txt" "$TMP/ref.jsonl" "$TMP/ref_all.jsonl" "$TMP/events.jsonl" \
	"$TMP/dump.json" "$TMP/status.json" "$TMP/server_hellos.txt" "$BED_TLS_LOG" \
	>"$TMP/verdicts" 2>&1 <<'EOF'
import collections, json, sys

(clients_txt, ref_jsonl, ref_all_jsonl, events_jsonl, dump_json, status_json,
 server_hellos_txt, tls_log) = sys.argv[1:9]


def verdict(good, msg):
    print(("ok " if good else "not ok ") + msg)


def jsonl(path):
    return [json.loads(l) for l in open(path) if l.strip()]


clients = {}                    # ip -> (name, TCP profile)
order = []
for line in open(clients_txt):
    name, ip, prof = line.split()
    clients[ip] = (name, prof)
    order.append(ip)
ref = jsonl(ref_jsonl)
ref_all = jsonl(ref_all_jsonl)
events = [e for e in jsonl(events_jsonl) if e["event"] == "tls_hello"]
dump = [r for r in jsonl(dump_json) if r.get("kind") == "tls"]
status = json.load(open(status_json))
counters = status.get("counters", {})
ev = {(e["src"], e["sport"]): e for e in events}

# per client: its connections, what the reference and hydrascope say
for ip in order:
    name = clients[ip][0]
    mine = [r for r in ref if r["src"] == ip]
    verdict(len(mine) >= 1, "%s: at least one ClientHello in the capture (got %d)" % (name, len(mine)))
    for r in mine:
        conn = "%s port %d -> %d" % (name, r["srcport"], r["dstport"])
        print("# %-34s %s segments=%d ja3=%s sni=%s alpn=%s" % (
            conn, r["ja4"], r["segments"], r["ja3"], r["sni"] or "-",
            bytes.fromhex(r["alpn"]).decode("latin-1") or "-"))
        e = ev.get((ip, r["srcport"]))
        if e is None:
            verdict(False, "%s: a tls_hello event from replay expected, got none" % conn)
            continue
        for k in ("ja4", "ja4_r", "ja3", "ja3_r"):
            verdict(e[k] == r[k], "%s: %s equals the reference%s" % (
                conn, k, "" if e[k] == r[k] else ": expected %s, got %s" % (r[k], e[k])))
        verdict(e["segments"] == r["segments"],
                "%s: segments %d expected (tshark reassembly), replay says %s" % (
                    conn, r["segments"], e["segments"]))
    segs = [r["segments"] for r in mine]
    if name in ("chromium", "firefox"):
        verdict(mine and all(s >= 2 for s in segs),
                "%s: every ClientHello spans >= 2 segments (tshark: %s)" % (name, segs))
        verdict(mine and all(ev.get((ip, r["srcport"]), {}).get("segments", 0) >= 2 for r in mine),
                "%s: replay events say segments >= 2 (got %s)" % (name,
                [ev.get((ip, r["srcport"]), {}).get("segments") for r in mine]))
    if name == "small-mss":
        verdict(mine and all(s >= 4 for s in segs),
                "small-mss: every ClientHello spans >= 4 segments (tshark: %s)" % segs)
        verdict(mine and all(ev.get((ip, r["srcport"]), {}).get("segments", 0) >= 4 for r in mine),
                "small-mss: replay events say segments >= 4 (got %s)" %
                [ev.get((ip, r["srcport"]), {}).get("segments") for r in mine])

stray = [r for r in ref if r["src"] not in clients]
verdict(not stray, "every ClientHello comes from a test client (others: %s)" %
        [(r["src"], r["srcport"]) for r in stray])
verdict(len(ref_all) == len(ref),
        "one ClientHello per connection: %d hellos in %d connections" % (len(ref_all), len(ref)))
verdict(len(events) == len(ref),
        "replay: one tls_hello event per connection with a ClientHello (%d expected, got %d)" % (
            len(ref), len(events)))

# dump: the set of JA4, and per JA4 conns, ips, tcp_sigs
want = collections.defaultdict(list)
for r in ref:
    want[r["ja4"]].append(r)
got = {r["ja4"]: r for r in dump}
for j in sorted(set(want) | set(got)):
    users = sorted({clients.get(r["src"], ("?",))[0] for r in want.get(j, [])})
    print("# %-10s %s %s" % ("both" if j in want and j in got else
                             "only-ref" if j in want else "only-dump", j, ",".join(users)))
verdict(set(got) == set(want), "dump -j JA4 set equals the reference's (%d JA4s)%s" % (
    len(want), "" if set(got) == set(want) else ": reference only %s, dump only %s" % (
        sorted(set(want) - set(got)), sorted(set(got) - set(want)))))
for j, rs in sorted(want.items()):
    d = got.get(j)
    if d is None:
        continue
    users = sorted({clients[r["src"]][0] for r in rs if r["src"] in clients})
    ips = {r["src"] for r in rs}
    stacks = {clients[i][1] for i in ips if i in clients}
    verdict(d["ja4_r"] == rs[0]["ja4_r"], "dump %s (%s): ja4_r equals the reference" % (j, ",".join(users)))
    verdict(d["conns"] == len(rs) and d["ips"] == len(ips) and d["nets"] == len(ips),
            "dump %s (%s): conns/ips/nets %d/%d/%d expected, got %s/%s/%s" % (
                j, ",".join(users), len(rs), len(ips), len(ips), d["conns"], d["ips"], d["nets"]))
    verdict(d["tcp_sigs"] >= 1 and d["tcp_sigs"] == len(stacks),
            "dump %s (%s): tcp_sigs %d expected (distinct client TCP stacks), got %s" % (
                j, ",".join(users), len(stacks), d["tcp_sigs"]))

# live counters
multi = sum(1 for r in ref if r["segments"] >= 2)
verdict(counters.get("hellos") == len(ref_all),
        "status: hellos counter equals the ClientHellos in the capture (%d expected, got %s)" % (
            len(ref_all), counters.get("hellos")))
verdict(counters.get("hellos_multi_segment", 0) > 0 and counters.get("hellos_multi_segment") == multi,
        "status: hellos_multi_segment > 0 and equal to the multi-segment hellos in the "
        "capture (%d expected, got %s)" % (multi, counters.get("hellos_multi_segment")))
bad = {k: v for k, v in counters.items()
       if k.startswith("tls_") and k not in ("tls_not_hello", "tls_fingerprints_new") and v}
verdict(not bad, "status: no TLS error counters expected, got %s" % bad)
ids = len(got)
verdict(counters.get("tls_fingerprints_new", 0) >= ids,
        "status: tls_fingerprints_new counts at least the %d JA4 rows (got %s)"
        % (ids, counters.get("tls_fingerprints_new")))
print("# counters: %s" % " ".join("%s=%s" % kv for kv in sorted(counters.items()) if kv[1]))

# fail-open: every connection got a ServerHello, the server completed each handshake
sh = set()
for line in open(server_hellos_txt):
    f = line.split()
    if len(f) == 2:
        sh.add((f[0], int(f[1])))
no_sh = [(clients.get(r["src"], ("?",))[0], r["srcport"]) for r in ref if (r["src"], r["srcport"]) not in sh]
verdict(not no_sh, "every connection with a ClientHello got a ServerHello (%d connections)%s" % (
    len(ref), "" if not no_sh else ": none for %s" % no_sh))
# The server's own log: every handshake completed, except that a browser
# may drop a spare (preconnected) connection when it exits
srv = {}
for line in open(tls_log):
    f = line.split()
    srv[(f[1], int(f[2]))] = " ".join(f[:1] + f[4:])
for ip in order:
    name = clients[ip][0]
    res = [srv.get((r["src"], r["srcport"]), "no log line") for r in ref if r["src"] == ip]
    good = sum(1 for x in res if x.startswith("ok "))
    browser = name in ("chromium", "firefox")
    verdict(good >= 1 and (good == len(res) or browser),
            "%s: the server completed the TLS handshake of %d of %d connections%s (%s)" % (
                name, good, len(res), "" if not browser else
                " (1 needed: a browser may drop a spare connection)", "; ".join(sorted(set(res)))))
EOF
rc=$?
tap_verdicts "$TMP/verdicts"
[ $rc = 0 ] || fail "the comparison script failed (exit $rc)"

# ---- the oracle's own check (started at the beginning) ----
if [ -n "$REF_PID" ]; then
	wait "$REF_PID"
	npass=$(grep -c '^PASS ' "$TMP/refcheck.txt")
	nconn=$(awk '/ JA4 and JA4_r equal / { n += $2 } END { print n + 0 }' "$TMP/refcheck.txt")
	grep '^note: ' "$TMP/refcheck.txt" | sed 's/^/# /'
	if grep -q '^FAIL ' "$TMP/refcheck.txt" || [ "$npass" = 0 ]; then
		fail "ja4_ref.py reproduces FoxIO's expected JA4/JA4_r on the public captures: $(grep -v '^PASS ' "$TMP/refcheck.txt" | head -c 600)"
	else
		ok "ja4_ref.py reproduces FoxIO's expected JA4/JA4_r on $npass public captures ($nconn connections)"
	fi
else
	skip "ja4_ref.py against FoxIO's expected values" "no public captures in $VECTORS/foxio-ja4"
fi

# ---- hydrascope leaves cleanly ----
rc=0; bg_stop "$HS_PID" TERM || rc=$?
expect_eq "run exits 0 on SIGTERM" 0 $rc
[ ! -e "$BED_PINS" ] && ok "pin dir $BED_PINS removed on exit" ||
	fail "pin dir removed on exit expected, got: $(ls -A "$BED_PINS")"
echo "# done after $((SECONDS - T0)) s"
done_testing
