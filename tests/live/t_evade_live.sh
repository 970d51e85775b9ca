#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A hydra that hides its ClientHello, live (issue 17): `hydrascope run
# --window 4 -j --alerts FILE` on the server's veth of the netns test bed,
# a TLS server, legitimate clients (curl, openssl s_client, gnutls-cli,
# python3 ssl) from the start. After the warm-up (3 windows), a hydra of
# our own: python3's ssl through memory BIOs, completing real TLS
# handshakes from 600 addresses of 198.19.0.0/16 over 120 /24s (three
# client namespaces, three TCP stacks), 1-2 connections each, that hides
# its ClientHello where reassembly gives up: it sends every other one of
# 24 small segments of it first, from a raw socket with the connection's
# own sequence numbers (12 holes, more than the 8 ranges a collection
# keeps), then the whole hello in order (legal TCP: the server's stack
# takes the early ones as duplicates). Checks: the handshakes complete
# (fail-open); each of its connections is counted in the population
# unfingerprinted:reasm_holes; the hydra is alerted as that population
# (hydra_unfingerprinted) within 2 windows of its start, with half its
# addresses or more in its widest window (the hydra may straddle a
# window's end: on a loaded machine it takes 5 s and more);
# no other alert of either event; the daemon stops cleanly.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool python3 nsenter ps timeout openssl curl gnutls-cli
need_hs

WINDOW=4
WARMUP=3
TLS_PORT=443
BED_PORTS=(80 8080)        # the plain TCP server keeps off the TLS port
HYDRA_NS=(1 2 3)
HYDRA_NETS_PER_NS=40
HYDRA_HOSTS=5
ALERTS=$TMP/alerts.jsonl
T0=$SECONDS

if ! bed_net 4; then
	fail "test bed with 4 clients could not be built"
	done_testing
fi
ok "test bed: server $BED_SRV_IP, router, clients ${BED_CLIENT_IPS[*]}"
if ! bed_tls_server $TLS_PORT; then
	fail "TLS server on port $TLS_PORT in $BED_SRV"
	done_testing
fi

# ---- the hydra's addresses: 198.19.(64*(i-1) + k).h on client i ----
bed_hydra_addrs $HYDRA_NETS_PER_NS $HYDRA_HOSTS "${HYDRA_NS[@]}" ||
	{ fail "hydra addresses in the client namespaces ${HYDRA_NS[*]}"; done_testing; }
nhydra=$BED_HYDRA_N
ok "$nhydra hydra addresses over $((HYDRA_NETS_PER_NS * ${#HYDRA_NS[@]})) /24s in ${#HYDRA_NS[@]} client namespaces"

if ! hs_start HS_PID "$BED_PINS" "$TMP/run.log" --window $WINDOW -j --alerts "$ALERTS" -v; then
	fail "hydrascope run -i $BED_DEV --window $WINDOW: attachment expected (log above)"
	done_testing
fi
T_ATTACH=$SECONDS
windows() { grep -c 'judged' "$TMP/run.log"; }
windows_ge() { [ "$(windows)" -ge "$1" ]; }

legit() {
	local name=$1
	while [ ! -e "$TMP/stop" ]; do
		bed_tls_once "$name" "$2" $TLS_PORT
		echo $? >>"$TMP/legit-$name.log"
		sleep 1
	done
}
LEGIT=(curl:1 openssl:2 gnutls:3 python3:4)
for l in "${LEGIT[@]}"; do
	bg_job pid legit "${l%:*}" "${l#*:}" 2>/dev/null
done
end=$((SECONDS + WINDOW * (WARMUP + 2)))
: >"$TMP/dump-legit.json"
while ! windows_ge $WARMUP && ((SECONDS < end)); do
	"$HS" dump --pin-dir "$BED_PINS" -j >>"$TMP/dump-legit.json" 2>/dev/null
	sleep 1
done
if ! windows_ge $WARMUP; then
	fail "$WARMUP windows judged within $((WINDOW * (WARMUP + 2))) s: $(windows)"
	done_testing
fi
ok "warm-up: $WARMUP windows judged $((SECONDS - T_ATTACH)) s after the attachment"
legit_ja4=$(sed -n 's/.*"kind":"tls","ja4":"\([^"]*\)".*/\1/p' "$TMP/dump-legit.json" | sort -u)

# ---- the hydra: python3 ssl, its ClientHello sent with holes first ----
cat >"$TMP/hydra.py" <<'EOF'
import concurrent.futures, random, socket, ssl, sys, time
host, port, name, addrs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
sys.path.insert(0, sys.argv[5])
from frag_client import seqs
from spoof import packet
addrs = open(addrs).read().split()
rnd = random.Random(addrs[0])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
ctx.set_ciphers("ECDHE+AESGCM")
ctx.set_alpn_protocols(["http/1.1", "evade/1"])

HOLES = 12

def holes(s, data):
    """Every other one of 2 * HOLES segments of data first, from a raw
    socket with the connection's sequence numbers; then data in order."""
    snd, rcv = seqs(s)
    (src, sport), (dst, dport) = s.getsockname(), s.getpeername()
    step = len(data) // (2 * HOLES)
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    try:
        for i in range(1, 2 * HOLES, 2):
            off = i * step
            raw.sendto(packet(src, dst, sport, dport, (snd + off) & 0xffffffff, rcv, 0x18,
                              data=data[off:off + step]), (dst, 0))
    finally:
        raw.close()
    time.sleep(0.002)
    s.sendall(data)

def one(src):
    try:
        with socket.create_connection((host, port), timeout=10, source_address=(src, 0)) as s:
            inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls, first = ctx.wrap_bio(inc, out, server_hostname=name), True
            while True:
                try:
                    tls.do_handshake()
                    done = True
                except ssl.SSLWantReadError:
                    done = False
                data = out.read()
                if data:
                    holes(s, data) if first else s.sendall(data)
                    first = False
                if done:
                    return True
                chunk = s.recv(65536)
                if not chunk:
                    return False
                inc.write(chunk)
    except (OSError, ssl.SSLError):
        return False

plan = list(addrs)
rnd.shuffle(plan)
plan += rnd.sample(addrs, len(addrs) // 3)
with concurrent.futures.ThreadPoolExecutor(24) as ex:
    res = list(ex.map(one, plan))
print(sum(res), len(res) - sum(res), len(plan))
EOF
status_counter() {
	"$HS" status --pin-dir "$BED_PINS" -j 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["counters"].get(sys.argv[1], 0))' "$1"
}
U0=$(status_counter hellos_unfingerprinted)
T_HYDRA=$SECONDS E_HYDRA=$(date +%s)
W_HYDRA=$(windows)
hpids=()
for i in "${HYDRA_NS[@]}"; do
	bg_job pid nsenter --net=/run/netns/"${BED_CLIENTS[i - 1]}" "$BED_PY" "$TMP/hydra.py" \
		"$BED_SRV_IP" $TLS_PORT "$BED_TLS_NAME" "$TMP/addrs$i.txt" "$ROOT/tests/lib" \
		>"$TMP/hydra$i.out" 2>&1
	hpids+=("$pid")
done
echo "# hydra started $((T_HYDRA - T0)) s in, after window $W_HYDRA"
: >"$TMP/dump-hydra.json"
dump_while "$TMP/dump-hydra.json" "$BED_PINS" "${hpids[@]}"
for p in "${hpids[@]}"; do
	wait_for 90 eval "! running $p"
	bg_stop "$p"
done
read -r good bad total < <(cat "$TMP"/hydra?.out | awk '{g += $1; b += $2; t += $3} END {print g + 0, b + 0, t + 0}')
echo "# hydra: $total connections, $good handshakes completed, $bad failed, in $((SECONDS - T_HYDRA)) s"
[ "$total" -ge "$nhydra" ] && [ "$bad" -le $((total / 100)) ] &&
	ok "hydra: $good of $total handshakes completed with holed ClientHellos from $nhydra addresses" ||
	fail "hydra: at least $nhydra connections, at most 1% failed expected, got $good ok, $bad failed ($(cat "$TMP"/hydra?.out | tr '\n' '|'))"
U1=$(status_counter hellos_unfingerprinted)
echo "# hellos_unfingerprinted: $((U1 - U0)) during the hydra"
# each of its connections is in the population of its reason
pop=$(python3 -c '
import json, sys
best = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("kind") == "unfingerprinted" and o["reason"] == "reasm_holes":
        best = max(best, o["ips"])
print(best)' "$TMP/dump-hydra.json")
[ $((U1 - U0)) -ge $((good * 9 / 10)) ] && [ "$pop" -gt 0 ] &&
	ok "holed ClientHellos counted as unfingerprinted: $((U1 - U0)) connections, dump's reasm_holes population up to $pop ips" ||
	fail "hellos_unfingerprinted: $good expected, got $((U1 - U0)); reasm_holes population $pop ips"
want_name=unfingerprinted:reasm_holes

# ---- the alert: within 2 windows of the hydra's start ----
wait_for $((WINDOW * 3)) windows_ge $((W_HYDRA + 2))
touch "$TMP/stop"
python3 - "$ALERTS" "$want_name" "$E_HYDRA" $WINDOW >"$TMP/verdict" <<'EOF'
import calendar, json, sys, time
alerts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
want, e0, w = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def name(a):
    if a["event"] == "hydra_unfingerprinted":
        return "unfingerprinted:" + a["unfingerprinted"]
    return a.get("ja4")
tls = [a for a in alerts if a["event"] in ("hydra", "hydra_unfingerprinted")]
mine = [a for a in tls if name(a) == want]
new = [a for a in mine if a["state"] == "new"]
others = sorted({name(a) for a in tls if name(a) != want})
widest = max((a["ips"] for a in mine if a["state"] != "ended"), default=0)
dt = (calendar.timegm(time.strptime(new[0]["ts"], "%Y-%m-%dT%H:%M:%SZ")) - e0) if new else None
print(len(new), widest, dt if dt is not None else -1, ",".join(others) or "-",
      new[0]["event"] if new else "-", ",".join(new[0]["reasons"]) if new else "-")
EOF
read -r nnew widest dt others event reasons <"$TMP/verdict"
echo "# alert: $event $want_name widest $widest ips, $dt s after the start, reasons $reasons"
[ "$nnew" -ge 1 ] && ok "a 'new' $event alert for $want_name (reasons $reasons)" ||
	fail "a 'new' alert for $want_name expected; alerts: $(head -c 600 "$ALERTS")"
[ "$widest" -ge $((nhydra / 2)) ] && ok "its widest alerted window: $widest ips (of $nhydra)" ||
	fail "an alert with ips >= $((nhydra / 2)) expected, the widest had $widest"
[ "$dt" -ge 0 ] && [ "$dt" -le $((2 * WINDOW + 1)) ] &&
	ok "the alert closed a window $dt s after the hydra started (within 2 windows of $WINDOW s)" ||
	fail "alert within $((2 * WINDOW)) s of the hydra's start expected: $dt s"
expect_eq "no other hydra or hydra_unfingerprinted alert" "-" "$others"

for l in "${LEGIT[@]}"; do
	n=${l%:*}
	runs=$(grep -c . "$TMP/legit-$n.log" 2>/dev/null)
	good=$(grep -c '^0$' "$TMP/legit-$n.log" 2>/dev/null)
	[ "${runs:-0}" -ge 5 ] && [ "$good" = "$runs" ] && ok "legitimate $n: $good runs, all succeeded" ||
		fail "legitimate $n: 5+ successful runs expected, got $good of ${runs:-0}"
done
bg_stop "$HS_PID" TERM 10
expect_eq "run exits 0 on SIGTERM" 0 $?
expect_eq "XDP program detached" "" "$(xdp_prog_id "$BED_SRV" "$BED_DEV")"
echo "# total $((SECONDS - T0)) s"
done_testing
