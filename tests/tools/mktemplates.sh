#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Regenerate tests/data/templates/ (the packets tests/lib/scenario.py rewrites):
#   sudo tests/tools/mktemplates.sh [DIR]      (needs `make` first; then review
#                                         and commit tests/data/templates/;
#                                         KEEP_RAW=FILE keeps the capture)
# Real TLS clients (curl, openssl s_client, gnutls-cli, python3 ssl, node,
# wget, headless chromium) each connect once from each of 14 client
# namespaces of the netns test bed, every namespace a differently tuned
# Linux TCP stack (TTL, timestamps, SACK, window scaling, ECN, MSS by MTU,
# receive buffer, initial receive window). tcpdump on the server's veth
# (offloads off: wire-sized segments) records the client-to-server packets;
# per client and stack the first connection's SYN, the ACK completing its
# handshake and the segments carrying its ClientHello are kept, the
# destination port set to 443 (each client used its own server port so its
# connections are told apart), and written as tests/data/templates/CLIENT.pcap
# with fixed MAC addresses. tests/data/templates/index.json names the clients,
# the stacks (source 198.18.N.2 = stack N) and what hydrascope and tshark
# (tests/lib/ja4_ref.py) say of them; the script fails if they disagree with
# tests/lib/scenario.py's own JA4 of a template. Only 198.18.0.0/15 addresses.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool tcpdump tshark python3 nsenter unshare timeout openssl curl gnutls-cli node wget chromium
[ -x "$HS" ] || { echo "mktemplates.sh: $HS not built: run make" >&2; exit 1; }
OUT=${1:-$ROOT/tests/data/templates}

# The stacks: lib.sh's keys (ttl ts sack ws ecn mss) plus name, rmem
# (net.ipv4.tcp_rmem, commas; its max sets the window scale, its default
# the SYN's window) and iw (initrwnd on the default route, in segments).
# The client's veth MTU is mss + 40, so it also sends segments of that size.
BED_PROFILES=(
	"name=lin64    ttl=64  ts=1 sack=1 ws=1 ecn=0 mss=1460 rmem=- iw=-"
	"name=lin64ecn ttl=64  ts=1 sack=1 ws=1 ecn=1 mss=1460 rmem=- iw=-"
	"name=win      ttl=128 ts=0 sack=1 ws=1 ecn=0 mss=1460 rmem=4096,262144,12582912 iw=-"
	"name=mac      ttl=64  ts=1 sack=1 ws=1 ecn=0 mss=1460 rmem=4096,262144,3145728 iw=-"
	"name=android  ttl=64  ts=1 sack=1 ws=1 ecn=0 mss=1400 rmem=4096,131072,12582912 iw=-"
	"name=pppoe    ttl=64  ts=1 sack=1 ws=1 ecn=0 mss=1452 rmem=- iw=-"
	"name=iw10     ttl=64  ts=1 sack=1 ws=1 ecn=0 mss=1460 rmem=- iw=10"
	"name=winvpn   ttl=128 ts=0 sack=1 ws=1 ecn=1 mss=1360 rmem=- iw=-"
	"name=ttl255   ttl=255 ts=1 sack=0 ws=0 ecn=0 mss=1200 rmem=- iw=-"
	"name=nots     ttl=64  ts=0 sack=0 ws=1 ecn=0 mss=1440 rmem=- iw=-"
	"name=win1380  ttl=128 ts=1 sack=1 ws=1 ecn=0 mss=1380 rmem=4096,262144,12582912 iw=-"
	"name=nosack   ttl=64  ts=1 sack=0 ws=1 ecn=0 mss=1412 rmem=4096,131072,16777216 iw=-"
	"name=ttl255w  ttl=255 ts=0 sack=1 ws=1 ecn=0 mss=1460 rmem=4096,262144,3145728 iw=-"
	"name=lowmss   ttl=64  ts=1 sack=1 ws=1 ecn=0 mss=1260 rmem=- iw=20"
)
CLIENTS=(curl openssl gnutls-cli python3 node wget chromium)
# shellcheck disable=SC2034 # read by lib.sh's bed_net
BED_PORTS=(80)
PORT0=4431                 # client k (0-based) connects to port PORT0 + k
HOST=hs.test
T0=$SECONDS
say() { echo "# $*"; }
die() { echo "mktemplates.sh: $* failed" >&2; exit 1; }

bed_net ${#BED_PROFILES[@]} || die "test bed"
for ((i = 1; i <= ${#BED_PROFILES[@]}; i++)); do
	ns=${BED_CLIENTS[i - 1]}
	# shellcheck disable=SC2086 # one word per key=value: name= ttl= ... mss= rmem= iw=
	declare ${BED_CLIENT_PROFILES[i - 1]}
	ip -n "$ns" link set "${TAG}c$i" mtu $((mss + 40)) || die "mtu on $ns"
	[ "$rmem" = - ] || nsx "$ns" sysctl -qw net.ipv4.tcp_rmem="${rmem//,/ }" || die "tcp_rmem in $ns"
	[ "$iw" = - ] || ip -n "$ns" route change default via 198.18.$i.1 advmss "$mss" initrwnd "$iw" ||
		die "initrwnd in $ns"
done
say "test bed: ${#BED_PROFILES[@]} client stacks, server $BED_SRV_IP"
ports=()
for ((k = 0; k < ${#CLIENTS[@]}; k++)); do ports+=($((PORT0 + k))); done
bed_tls_server "${ports[@]}" || die "TLS server"
printf '127.0.0.1 localhost\n%s %s\n' "$BED_SRV_IP" "$HOST" >"$TMP/hosts"

RAW=$TMP/raw.pcap
bg_job TD_PID nsenter --net=/run/netns/"$BED_SRV" tcpdump -i "$BED_DEV" -nn -U --immediate-mode \
	-Z root -w "$RAW" "tcp and dst host $BED_SRV_IP" 2>"$TMP/tcpdump.log"
wait_for 5 grep -q 'listening on' "$TMP/tcpdump.log" || die "tcpdump: $(cat "$TMP/tcpdump.log")"

# client NAME NS PORT: one run; every client resolves hs.test from a
# private /etc/hosts (a mount namespace of its own) and sends SNI hs.test
client() {
	local name=$1 ns=$2 port=$3 url=https://$HOST:$3/
	# shellcheck disable=SC2016 # expanded by the inner sh
	local run=(timeout -k 5 40 nsenter --net=/run/netns/"$ns" unshare -m sh -c
		'mount --bind "$0" /etc/hosts && exec "$@"' "$TMP/hosts")
	case $name in
	curl) "${run[@]}" curl -sS -k --max-time 10 -o /dev/null "$url";;
	openssl) "${run[@]}" openssl s_client -brief -connect "$HOST:$port" -servername "$HOST" \
		-alpn h2,http/1.1 </dev/null >/dev/null 2>&1;;
	gnutls-cli) "${run[@]}" gnutls-cli --insecure --alpn h2 --alpn http/1.1 --port "$port" \
		"$HOST" </dev/null >/dev/null 2>&1;;
	python3) "${run[@]}" "$BED_PY" -c '
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
ctx.set_alpn_protocols(["http/1.1"])
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10) as c:
    with ctx.wrap_socket(c, server_hostname=sys.argv[1]) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % sys.argv[1].encode())
        while s.recv(4096):
            pass' "$HOST" "$port";;
	node) "${run[@]}" node -e '
const https = require("https");
https.get(process.argv[1], { rejectUnauthorized: false, timeout: 10000 }, (res) => {
	res.resume();
}).on("error", (e) => { console.error(e.message); process.exit(1); });' "$url";;
	wget) "${run[@]}" wget -q --no-check-certificate --tries 1 --timeout 10 -O /dev/null "$url";;
	chromium)
		local dir
		dir=$(mktemp -d "$TMP/chromium.XXXXXX")
		"${run[@]}" chromium --headless --no-sandbox --disable-gpu --no-first-run \
			--disable-background-networking --disable-component-update --disable-sync \
			--disable-quic --ignore-certificate-errors --user-data-dir="$dir" \
			--dump-dom "$url" >/dev/null 2>"$dir.log";;
	esac
}

# every stack runs the clients in turn; stacks run 4 at a time
failed=$TMP/failed
: >"$failed"
run_stack() {
	local i=$1 k
	for ((k = 0; k < ${#CLIENTS[@]}; k++)); do
		client "${CLIENTS[k]}" "${BED_CLIENTS[i - 1]}" $((PORT0 + k)) ||
			echo "${CLIENTS[k]} stack $i exit $?" >>"$failed"
	done
}
for ((i = 1; i <= ${#BED_PROFILES[@]}; i += 4)); do
	pids=()
	for ((j = i; j < i + 4 && j <= ${#BED_PROFILES[@]}; j++)); do
		run_stack "$j" &
		pids+=($!)
	done
	wait "${pids[@]}"
done
sleep 0.5
bg_stop "$TD_PID" INT
say "clients done after $((SECONDS - T0)) s$([ -s "$failed" ] && echo "; failed runs: $(tr '\n' ';' <"$failed")")"

# ---- extract, write, check ----
mkdir -p "$OUT"
profiles=$TMP/profiles
for ((i = 1; i <= ${#BED_PROFILES[@]}; i++)); do
	echo "${BED_CLIENT_IPS[i - 1]} ${BED_CLIENT_PROFILES[i - 1]}"
done >"$profiles"
[ -n "${KEEP_RAW:-}" ] && cp "$RAW" "$KEEP_RAW" && cp "$profiles" "$KEEP_RAW.profiles"
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$ROOT/tests/lib "$BED_PY" - "$RAW" "$OUT" "$profiles" "$PORT0" "${CLIENTS[@]}" <<'EOF' || die "extraction"
import os, sys
import scenario as sc

raw, out, profiles, port0, clients = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
lt, frames = sc.read_pcap(raw)
conns = {}
for ts, fr in frames:
    p = sc.parse_eth_ipv4_tcp(fr, lt)
    if p is None:
        continue
    p["ts"], p["frame"] = ts, fr
    conns.setdefault((bytes(p["src"]), p["sport"], p["dport"]), []).append(p)
stacks = []
for line in open(profiles):
    ip, *kv = line.split()
    d = dict(x.split("=", 1) for x in kv)
    stacks.append({"name": d.pop("name"), "src": ip, "profile": " ".join("%s=%s" % x for x in d.items())})
by_src = {bytes(int(x) for x in s["src"].split(".")): s for s in stacks}
missing = []
for k, client in enumerate(clients):
    port = port0 + k
    chosen = {}
    for key in sorted(conns, key=lambda c: conns[c][0]["ts"]):
        src, sport, dport = key
        pk = conns[key]
        if dport != port or src not in by_src or src in chosen:
            continue
        if not (pk[0]["flags"] & 0x12) == 0x02:
            continue
        keep, stream = [pk[0]], b""
        for p in pk[1:]:
            if p["flags"] & 0x07:     # SYN, RST, FIN
                break
            if not p["payload"]:
                if len(keep) == 1:
                    keep.append(p)    # the ACK completing the handshake
                continue
            keep.append(p)
            stream += p["payload"]
            if sc.hello_length(stream) is not None:
                break
        if sc.hello_length(stream) is None:
            continue
        chosen[src] = keep
    for s in stacks:
        if bytes(int(x) for x in s["src"].split(".")) not in chosen:
            missing.append("%s on %s" % (client, s["name"]))
    w = sc.PcapWriter(os.path.join(out, client + ".pcap"))
    for src in sorted(chosen, key=lambda x: chosen[x][0]["ts"]):
        for p in chosen[src]:
            ip = bytearray(p["ip"])
            ip[22:24] = (443).to_bytes(2, "big")
            sc.fix_checksums(ip)
            w.write(p["ts"], sc.ETH + ip)
    w.close()
if missing:
    print("missing connections: " + ", ".join(missing), file=sys.stderr)
import json
json.dump({"clients": clients, "stacks": stacks}, open(os.path.join(out, "index.json"), "w"), indent=1)
EOF

# what hydrascope, tshark (ja4_ref.py) and scenario.py say of each template
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$ROOT/tests/lib "$BED_PY" - "$OUT" "$HS" "$ROOT/tests/lib/ja4_ref.py" <<'EOF' || die "template check"
import collections, json, os, subprocess, sys
import scenario as sc
out, hs, ref = sys.argv[1:4]
index = json.load(open(os.path.join(out, "index.json")))
templates, _ = sc.load_templates(out)
stack_of = {s["src"]: s for s in index["stacks"]}
bad, sigs = 0, collections.defaultdict(set)
index["templates"] = {}
for c in index["clients"]:
    pcap = os.path.join(out, c + ".pcap")
    ev = [json.loads(l) for l in subprocess.run([hs, "replay", "--events", "-j", pcap],
          capture_output=True, text=True, check=True).stdout.splitlines() if l.strip()]
    hellos = {e["src"]: e for e in ev if e["event"] == "tls_hello"}
    for e in ev:
        if e["event"] == "tcp_syn":
            sigs[e["src"]].add(e["tcp_sig"])
    refs = {r["src"]: r for r in map(json.loads, subprocess.run(
        [sys.executable, ref, pcap], capture_output=True, text=True, check=True).stdout.splitlines())}
    ja4s = set()
    for name, tm in sorted(templates[c].items()):
        src = next(s["src"] for s in index["stacks"] if s["name"] == name)
        h, r = hellos.get(src, {}), refs.get(src, {})
        for k in ("ja4", "ja4_r", "ja3"):
            if not (tm.fp[k] == h.get(k) == r.get(k)):
                bad += 1
                print("MISMATCH %s/%s %s: scenario.py %s, hydrascope %s, ja4_ref %s" % (
                    c, name, k, tm.fp[k], h.get(k), r.get(k)), file=sys.stderr)
        ja4s.add(tm.fp["ja4"])
    tm = next(iter(templates[c].values()))
    index["templates"][c] = {"ja4": sorted(ja4s)[0] if len(ja4s) == 1 else sorted(ja4s),
                             "ja4_r": tm.fp["ja4_r"], "hello_bytes": tm.hello_len,
                             "sni": tm.hello["sni"],
                             "segments": {n: t.segments for n, t in sorted(templates[c].items())}}
    if len(ja4s) != 1:
        bad += 1
        print("%s: JA4 differs by stack: %s" % (c, sorted(ja4s)), file=sys.stderr)
for s in index["stacks"]:
    s["tcp_sig"] = sorted(sigs[s["src"]])[0] if len(sigs[s["src"]]) == 1 else sorted(sigs[s["src"]])
json.dump(index, open(os.path.join(out, "index.json"), "w"), indent=1)
open(os.path.join(out, "index.json"), "a").write("\n")
sys.exit(1 if bad else 0)
EOF
"$BED_PY" "$ROOT/tests/lib/scenario.py" --list-templates --templates "$OUT" | sed 's/^/# /'
say "wrote $OUT ($(du -sh "$OUT" | cut -f1)) in $((SECONDS - T0)) s"
