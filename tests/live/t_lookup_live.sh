#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `hydrascope lookup` and run's lookup socket, live. Real TLS clients
# (curl, python3 ssl with its defaults, python3 ssl held to TLS 1.2 with
# other ciphers) make connections from four client namespaces (three TCP
# stacks), each from a source port the test chose. Each client's JA4 is
# learned independently, from `dump -j`: the one JA4 whose connection count
# went up by its batch. Then for every connection, `lookup -j` and the
# socket must name that JA4 and the TCP signature dump shows for its
# namespace's stack, and agree with each other; with the server side, nat
# false for the NIC's and true for another; a connection whose SYN came
# but no ClientHello yet is found with its server side only. Tags through
# the socket show in lookup. The socket's bounds: an unknown tuple, a
# garbage line, a line over 512 bytes (told, closed), 70 clients at once
# (6 told, closed), a burst over the rate (told, not served), a client that
# writes without reading (closed, while another is served throughout).
# The socket file: 0660, removed on exit, a stale one replaced after a
# SIGKILL, a regular file or a served socket refused. run's threads have no
# capabilities; lookup without privileges exits 3.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool python3 nsenter ps timeout openssl curl setpriv
need_hs

NCLIENTS=4
PER=5                      # connections per client namespace and client kind
KINDS=(curl python3 python3-tls12)
BED_PORTS=(80 8080)        # the plain TCP server keeps off the TLS ports
SOCK=$TMP/lookup.sock
SRV=198.18.0.2:443
LK=$TMP/lk.py

# ---- the socket client the checks use ----
cat >"$LK" <<'EOF'
import json, socket, subprocess, sys, threading, time

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s

def lines(s):
    buf = b""
    while True:
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield line.decode()
        try:
            d = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            d = b""
        if not d:
            if buf:
                yield buf.decode()
            return
        buf += d

def ask(s, it, line):
    s.sendall(line.encode() + b"\n")
    return next(it)

def verdict(good, msg):
    print(("ok " if good else "not ok ") + msg)
    sys.stdout.flush()

def cmd_ask(path, *reqs):
    """each request on one connection, each answer printed"""
    s = connect(path)
    it = lines(s)
    for r in reqs:
        print(ask(s, it, r))

def cmd_check(path, hs, pins, expect):
    """every connection of expect (JSON lines: client, ja4, tcp_sig) by
    lookup -j and by the socket"""
    s = connect(path)
    it = lines(s)
    bad = 0
    n = 0
    for e in map(json.loads, open(expect)):
        n += 1
        c = e["client"]
        r = subprocess.run([hs, "lookup", "-j", "--pin-dir", pins, c],
                           capture_output=True, text=True)
        if r.returncode != 0 or r.stderr:
            verdict(False, "lookup %s: exit %d, %s" % (c, r.returncode, r.stderr.strip()))
            bad += 1
            continue
        cli = json.loads(r.stdout)
        sock = json.loads(ask(s, it, "lookup " + c))
        want = {"client": c, "server": e["server"], "state": "hello", "ja4": e["ja4"],
                "tcp_sig": e["tcp_sig"], "account": None, "nat": None}
        for k, v in want.items():
            for who, got in (("lookup -j", cli), ("socket", sock)):
                if got.get(k) != v:
                    verdict(False, "%s %s (%s): %s %r expected, got %r" %
                            (who, c, e["kind"], k, v, got.get(k)))
                    bad += 1
        for k in ("ja4_r", "tcp_stack", "tls_id", "tcp_id", "stack_id"):
            if not cli.get(k):
                verdict(False, "lookup -j %s: %s expected, got %r" % (c, k, cli.get(k)))
                bad += 1
        if {k: v for k, v in cli.items() if k != "hello_age_ms"} != \
           {k: v for k, v in sock.items() if k != "hello_age_ms"}:
            verdict(False, "%s: lookup -j and the socket differ: %s / %s" % (c, cli, sock))
            bad += 1
        age = cli.get("hello_age_ms")
        if not isinstance(age, int) or not 0 <= age < 600000:
            verdict(False, "%s: hello_age_ms %r" % (c, age))
            bad += 1
    verdict(bad == 0 and n > 0, "%d connections: lookup -j and the socket name the JA4 "
            "dump gave their client and the TCP signature of their stack, and agree" % n)

def cmd_toolong(path, client):
    s = connect(path)
    it = lines(s)
    a = ask(s, it, "lookup " + client + " " + "x" * 600)
    rest = list(it)
    verdict(json.loads(a).get("error", "").startswith("request line over 512 bytes") and not rest,
            "a 600-byte line: told (%s), then closed (%d more lines)" % (a, len(rest)))

def cmd_many(path, client, n):
    """n clients at once, each asks once"""
    n = int(n)
    socks = [connect(path) for _ in range(n)]
    time.sleep(0.5)
    answered = told = 0
    for s in socks:
        try:
            s.sendall(("lookup %s\n" % client).encode())
        except OSError:
            pass
    for s in socks:
        it = lines(s)
        try:
            j = json.loads(next(it))
        except StopIteration:
            j = {}
        if j.get("client") == client:
            answered += 1
        elif j.get("error") == "too many clients" and not list(it):
            told += 1
    for s in socks:
        s.close()
    print(answered, told)

def cmd_burst(path, client, n):
    """n requests in one write (of a tuple not known: short answers), then
    the answers: served, told; and a request after a pause"""
    n = int(n)
    s = connect(path)
    it = lines(s)
    s.sendall(b"lookup 198.18.9.9:9\n" * n)
    served = told = 0
    for _ in range(n):
        j = json.loads(next(it))
        if j.get("error") == "no record of 198.18.9.9:9":
            served += 1
        elif "requests a second: not served" in j.get("error", ""):
            told += 1
    time.sleep(0.3)
    again = json.loads(ask(s, it, "lookup " + client)).get("client") == client
    print(served, told, int(again))

def cmd_flood(path, client):
    """a client that writes and never reads, another asking meanwhile"""
    f = connect(path)
    f.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sent = [0, None]
    def writer():
        line = ("lookup %s\n" % client).encode()
        try:
            for _ in range(200000):
                f.sendall(line)
                sent[0] += 1
        except OSError as e:
            sent[1] = e
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    g = connect(path)
    it = lines(g)
    good = asked = 0
    end = time.time() + 20
    while (t.is_alive() or asked < 20) and time.time() < end:
        asked += 1
        good += json.loads(ask(g, it, "lookup " + client)).get("client") == client
        time.sleep(0.005)
    t.join(1)
    # what the flooder could still read, then its end
    f.settimeout(5)
    unread, closed = 0, False
    try:
        while True:
            d = f.recv(65536)
            if not d:
                closed = True
                break
            unread += len(d)
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        pass
    verdict(sent[1] is not None and closed,
            "a client that writes %d requests and never reads is closed (%s; %d bytes "
            "left to read, then its end: %s)" % (sent[0], sent[1], unread, closed))
    verdict(asked > 0 and good == asked and
            json.loads(ask(g, it, "lookup " + client)).get("client") == client,
            "another client is served meanwhile: %d of %d answered" % (good, asked))

globals()["cmd_" + sys.argv[1].replace("-", "_")](*sys.argv[2:])
EOF
lk() { "$BED_PY" "$LK" "$@"; }

# ---- bed, TLS server, run with the socket ----
if ! bed_net $NCLIENTS; then
	fail "test bed with $NCLIENTS clients could not be built"
	done_testing
fi
ok "test bed: server $BED_SRV_IP, clients ${BED_CLIENT_IPS[*]}"
if ! bed_tls_server 443 8443; then
	fail "TLS server on ports 443 and 8443 in $BED_SRV"
	done_testing
fi
if ! hs_start HS_PID "$BED_PINS" "$TMP/run.log" --window 3600 --lookup-socket "$SOCK"; then
	fail "hydrascope run --lookup-socket $SOCK: attachment expected (log above)"
	done_testing
fi
grep -q "^hydrascope: lookups on $SOCK\$" "$TMP/run.log" && ok "run says where it answers lookups" ||
	fail "run: 'lookups on $SOCK' expected: $(head -c 400 "$TMP/run.log")"
expect_eq "the socket file: a socket, 0660, root's" "srw-rw---- root root" \
	"$(stat -c '%A %U %G' "$SOCK" 2>&1)"

caps=$(for t in /proc/$HS_PID/task/*; do sed -n 's/^CapEff:\t//p' "$t/status"; done | sort | uniq -c |
	awk '{ printf "%s threads %s, ", $1, $2 }')
case $caps in
*" threads 0000000000000000, ") [ "$(echo "$caps" | grep -o threads | wc -l)" = 1 ] &&
	[ "${caps%% *}" -ge 2 ] && ok "run's threads (the window loop, the socket's) hold no capabilities: $caps" ||
	fail "run's threads: every one without capabilities expected, got $caps";;
*) fail "run's threads: every one without capabilities expected, got $caps";;
esac

# ---- connections from chosen source ports ----
# conn KIND I PORT: one connection of client KIND from namespace I (1-based)
# from source port PORT to the TLS server's port 443, a request, its answer
conn() {
	local ns=${BED_CLIENTS[$2 - 1]} ip=${BED_CLIENT_IPS[$2 - 1]}
	case $1 in
	curl)
		timeout 10 nsenter --net=/run/netns/"$ns" curl -sS -k --max-time 5 --local-port "$3" \
			--resolve "$BED_TLS_NAME:443:$BED_SRV_IP" -o /dev/null "https://$BED_TLS_NAME/";;
	python3*)
		timeout 10 nsenter --net=/run/netns/"$ns" "$BED_PY" -c '
import socket, ssl, sys
ip, port, srv, name, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
if kind == "python3-tls12":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305")
with socket.create_connection((srv, 443), timeout=5, source_address=(ip, port)) as c:
    with ctx.wrap_socket(c, server_hostname=name) as s:
        s.sendall(b"HEAD / HTTP/1.1\r\nHost: %s\r\n\r\n" % name.encode())
        while s.recv(4096):
            pass' "$ip" "$3" "$BED_SRV_IP" "$BED_TLS_NAME" "$1";;
	esac
}
# dump_conns: "JA4 CONNS" lines of dump -j
dump_conns() {
	echo "- 0"    # never empty: awk reads it as the first file
	"$HS" dump -j --pin-dir "$BED_PINS" | "$BED_PY" -c '
import json, sys
for l in sys.stdin:
    j = json.loads(l)
    if j["kind"] == "tls":
        print(j["ja4"], j["conns"])'
}
: >"$TMP/expect.jsonl"
declare -A JA4_OF
port=41000
dump_conns >"$TMP/before"
for kind in "${KINDS[@]}"; do
	failed=0
	: >"$TMP/batch"
	for ((i = 1; i <= NCLIENTS; i++)); do
		for ((k = 0; k < PER; k++)); do
			port=$((port + 1))
			conn "$kind" $i $port >/dev/null 2>>"$TMP/conn.err" || failed=$((failed + 1))
			echo "$i ${BED_CLIENT_IPS[i - 1]}:$port" >>"$TMP/batch"
		done
	done
	expect_eq "$kind: $((NCLIENTS * PER)) connections from chosen ports succeed" 0 \
		"$failed$([ -s "$TMP/conn.err" ] && echo " ($(tail -n 3 "$TMP/conn.err" | tr '\n' ' '))")"
	sleep 0.3
	dump_conns >"$TMP/after"
	# the JA4 whose count went up by the batch: this client's
	ja4=$(awk -v n=$((NCLIENTS * PER)) 'NR == FNR { b[$1] = $2; next }
		$2 - b[$1] == n { print $1 } $2 - b[$1] != n && $2 != b[$1] { print "other:" $1 }' \
		"$TMP/before" "$TMP/after" | tr '\n' ' ')
	case $ja4 in
	t*" ") ok "$kind: dump -j shows one JA4 up by $((NCLIENTS * PER)): $ja4"
		JA4_OF[$kind]=${ja4% };;
	*) fail "$kind: one JA4 up by $((NCLIENTS * PER)) in dump -j expected, got '$ja4'";;
	esac
	while read -r i c; do
		echo "{\"kind\":\"$kind\",\"ns\":$i,\"client\":\"$c\",\"server\":\"$SRV\",\"ja4\":\"${JA4_OF[$kind]:-?}\"}"
	done <"$TMP/batch" >>"$TMP/expect.jsonl"
	mv "$TMP/after" "$TMP/before"
done
[ "$(printf '%s\n' "${JA4_OF[@]}" | sort -u | wc -l)" = ${#KINDS[@]} ] &&
	ok "the ${#KINDS[@]} client kinds have ${#KINDS[@]} different JA4s" ||
	fail "${#KINDS[@]} different JA4s expected: ${JA4_OF[*]}"

# each namespace's TCP signature, from dump: the three stacks' rows, by
# their TTL as seen (64, 128, 255 less one hop) and MSS
"$HS" dump -j --pin-dir "$BED_PINS" >"$TMP/dump.json"
"$BED_PY" - "$TMP/dump.json" "$TMP/expect.jsonl" "${BED_CLIENT_PROFILES[@]}" \
	>"$TMP/expect2.jsonl" 2>"$TMP/sigs.err" <<'EOF'
import json, sys
dump, expect, profiles = sys.argv[1], sys.argv[2], sys.argv[3:]
sigs = [j["tcp_sig"] for j in map(json.loads, open(dump)) if j["kind"] == "tcp"]
def sig_of(profile):
    p = dict(kv.split("=") for kv in profile.split())
    m = [s for s in sigs if s.split(":")[1].split("+")[0] == str(int(p["ttl"]) - 1)
         and s.split(":")[3] == p["mss"]]
    if len(m) != 1:
        print("profile %s: one signature in dump expected, got %s" % (profile, m), file=sys.stderr)
        return "?"
    return m[0]
for e in map(json.loads, open(expect)):
    e["tcp_sig"] = sig_of(profiles[e["ns"] - 1])
    print(json.dumps(e))
EOF
[ -s "$TMP/sigs.err" ] && fail "TCP signatures from dump: $(cat "$TMP/sigs.err")" ||
	ok "dump -j has one TCP signature per client stack"

# ---- every connection, by lookup -j and by the socket ----
lk check "$SOCK" "$HS" "$BED_PINS" "$TMP/expect2.jsonl" >"$TMP/verdicts" 2>&1
tap_verdicts "$TMP/verdicts"
grep -q "^ok .* connections: lookup -j and the socket" "$TMP/verdicts" ||
	fail "the lookup checks ended early: $(tail -n 3 "$TMP/verdicts")"

first=$(head -n 1 "$TMP/expect2.jsonl" | "$BED_PY" -c 'import json,sys; print(json.load(sys.stdin)["client"])')
last=$(tail -n 1 "$TMP/expect2.jsonl" | "$BED_PY" -c 'import json,sys; print(json.load(sys.stdin)["client"])')
"$HS" lookup --pin-dir "$BED_PINS" "$first" >"$TMP/text" 2>&1
grep -q "^ja4 *${JA4_OF[curl]:-?}\$" "$TMP/text" && grep -q "^connection *$first -> $SRV\$" "$TMP/text" &&
	grep -q "^account *none\$" "$TMP/text" && ok "lookup (text) names the connection and its JA4" ||
	fail "lookup $first (text): $(tr '\n' '|' <"$TMP/text")"

# ---- the server side: nat ----
jq_of() { "$BED_PY" -c 'import json,sys; j=json.load(sys.stdin); print(json.dumps(j.get(sys.argv[1])))' "$1"; }
expect_eq "lookup with the NIC's server side: nat false" false \
	"$("$HS" lookup -j --pin-dir "$BED_PINS" "$first" $SRV | jq_of nat)"
expect_eq "lookup with another server side (a DNAT): nat true" true \
	"$("$HS" lookup -j --pin-dir "$BED_PINS" "$first" 198.18.0.2:8443 | jq_of nat)"
expect_eq "the socket, with another server side: nat true" true \
	"$(lk ask "$SOCK" "lookup $first 10.0.0.1:443" | jq_of nat)"

# ---- a connection whose ClientHello has not come yet ----
SYNPORT=45001
bg_job HOLD nsenter --net=/run/netns/"${BED_CLIENTS[1]}" "$BED_PY" -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 443), timeout=5, source_address=(sys.argv[2], int(sys.argv[3])))
open(sys.argv[4], "w").close()
time.sleep(8)' "$BED_SRV_IP" "${BED_CLIENT_IPS[1]}" $SYNPORT "$TMP/held"
wait_for 5 test -e "$TMP/held"
syn_client=${BED_CLIENT_IPS[1]}:$SYNPORT
expect_error "lookup of a connection without its ClientHello, no server side: no record" 1 \
	"$HS" lookup --pin-dir "$BED_PINS" "$syn_client"
"$HS" lookup -j --pin-dir "$BED_PINS" "$syn_client" $SRV >"$TMP/syn.json" 2>"$TMP/syn.err"
want_sig=$(grep -m1 "\"ns\": 2," "$TMP/expect2.jsonl" | jq_of tcp_sig)
got=$("$BED_PY" -c '
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit("no JSON")
print(j["state"], j["ja4"], json.dumps(j["tcp_sig"]), j["nat"], j["hello_age_ms"], bool(j["tcp_id"]))' \
	"$TMP/syn.json" 2>&1)
expect_eq "with the server side: found by its flow slot, its SYN only" \
	"syn None $want_sig False None True" "$got$([ -s "$TMP/syn.err" ] && echo " ($(cat "$TMP/syn.err"))")"
bg_stop "$HOLD"

# ---- tags ----
tags0=$("$HS" status -j --pin-dir "$BED_PINS" | jq_of counters | "$BED_PY" -c 'import json,sys; print(json.load(sys.stdin)["account_tags"])')
lk ask "$SOCK" "tag $first 00c0ffee00000001" "lookup $first" "tag $last 7" "tag 198.18.9.9:9 1" \
	>"$TMP/tag.out" 2>&1
"$BED_PY" - "$TMP/tag.out" "$first" "${JA4_OF[curl]:-?}" >"$TMP/verdicts" 2>&1 <<'EOF'
import json, sys
out, first, ja4 = sys.argv[1:4]
a = [json.loads(l) for l in open(out)]
def verdict(good, msg):
    print(("ok " if good else "not ok ") + msg)
verdict(len(a) == 4, "4 answers to 4 requests: %d" % len(a))
verdict(a[0].get("ok") is True and a[0].get("ja4") == ja4 and a[0].get("tls_id"),
        "tag: ok, with the connection's JA4 and ids: %s" % a[0])
verdict(a[1].get("account") == "00c0ffee00000001", "the socket's lookup shows the tag: %s" % a[1].get("account"))
verdict(a[2].get("ok") is True, "a second tag: ok")
verdict(a[3] == {"error": "no record of 198.18.9.9:9"}, "a tag of an unknown tuple: %s" % a[3])
EOF
tap_verdicts "$TMP/verdicts"
expect_eq "lookup -j shows the tag" '"00c0ffee00000001"' \
	"$("$HS" lookup -j --pin-dir "$BED_PINS" "$first" | jq_of account)"
"$HS" lookup --pin-dir "$BED_PINS" "$last" | grep -q '^account *0000000000000007$' &&
	ok "lookup (text) shows the other tag" || fail "lookup $last: account 0000000000000007 expected"
read -r tls tcp stack < <("$HS" lookup -j --pin-dir "$BED_PINS" "$last" | "$BED_PY" -c '
import json, sys; j = json.load(sys.stdin); print(j["tls_id"], j["tcp_id"], j["stack_id"])')
expect_eq "tag-ids with the ids lookup printed" "true" \
	"$(lk ask "$SOCK" "tag-ids $tls $tcp $stack abc" | jq_of ok)"
tags1=$("$HS" status -j --pin-dir "$BED_PINS" | jq_of counters | "$BED_PY" -c 'import json,sys; print(json.load(sys.stdin)["account_tags"])')
expect_eq "status counts the 3 tags that took (account_tags)" 3 $((tags1 - tags0))

# ---- what is not known, and what is not a request ----
expect_error "lookup of an unknown tuple: exit 1, one line" 1 \
	"$HS" lookup --pin-dir "$BED_PINS" 198.18.9.9:9
grep -qx "hydrascope: no record of 198.18.9.9:9" "$TMP/err" && ok "it says: no record of 198.18.9.9:9" ||
	fail "'no record of 198.18.9.9:9' expected: $(cat "$TMP/err")"
expect_error "lookup without a client: exit 2" 2 "$HS" lookup --pin-dir "$BED_PINS"
expect_error "lookup of a bad tuple: exit 2" 2 "$HS" lookup --pin-dir "$BED_PINS" 198.18.1.2
expect_error "lookup of another pin dir: exit 1" 1 "$HS" lookup --pin-dir "/sys/fs/bpf/$TAG-none" "$first"
chmod 755 "$TMP"
expect_error "lookup without privileges: exit 3" 3 setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all --bounding-set=-all "$HS" lookup --pin-dir "$BED_PINS" "$first"
setpriv --reuid=65534 --regid=65534 --clear-groups "$BED_PY" "$LK" ask "$SOCK" "lookup $first" \
	>/dev/null 2>"$TMP/perm.err" && fail "the socket (0660 root:root) let another user in" ||
	{ grep -q PermissionError "$TMP/perm.err" && ok "the socket (0660 root:root) refuses another user" ||
		fail "PermissionError expected: $(tail -n 1 "$TMP/perm.err")"; }
lk ask "$SOCK" "lookup 198.18.9.9:9" "GET / HTTP/1.1" "" "lookup $first extra words here" \
	"tag $first notanaccount" "lookup $first" >"$TMP/bad.out" 2>&1
"$BED_PY" - "$TMP/bad.out" "$first" >"$TMP/verdicts" 2>&1 <<'EOF'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
def verdict(good, msg):
    print(("ok " if good else "not ok ") + msg)
verdict(len(a) == 6, "6 answers to 6 lines: %d" % len(a))
want = [{"error": "no record of 198.18.9.9:9"}, {"error": "unknown request"},
        {"error": "unknown request"}, {"error": "usage: lookup CLIENT_IP:PORT [SERVER_IP:PORT]"},
        {"error": "invalid account (1-16 hex digits)"}]
for i, w in enumerate(want):
    verdict(a[i] == w, "line %d: %s expected, got %s" % (i + 1, w, a[i]))
verdict(a[5].get("client") == sys.argv[2], "the connection still answers after them")
EOF
tap_verdicts "$TMP/verdicts"
lk toolong "$SOCK" "$first" >"$TMP/verdicts" 2>&1
tap_verdicts "$TMP/verdicts"

# ---- bounds ----
read -r answered told < <(lk many "$SOCK" "$first" 70 2>&1)
expect_eq "70 clients at once: 64 answered, 6 told 'too many clients' and closed" "64 6" "$answered $told"
read -r served told again < <(lk burst "$SOCK" "$first" 1000 2>&1)
((served >= 200 && served < 700 && served + told == 1000)) &&
	ok "1,000 requests in one write: $served served (a burst of 200 and the rate), $told told" ||
	fail "1,000 requests at once: 200-700 served and the rest told expected, got $served served, $told told"
expect_eq "after a pause the same connection is served again" 1 "$again"
lk flood "$SOCK" "$first" >"$TMP/verdicts" 2>&1
tap_verdicts "$TMP/verdicts"
_bg_alive "$HS_PID" && ok "run still runs" || fail "run exited: $(tail -n 5 "$TMP/run.log")"

# ---- the socket file across runs ----
bg_stop "$HS_PID" KILL
[ -S "$SOCK" ] && ok "a killed run leaves its socket file" || fail "no socket file after SIGKILL"
if hs_start HS_PID "$BED_PINS" "$TMP/run2.log" --window 3600 --lookup-socket "$SOCK" \
	--lookup-socket-mode 0600; then
	ok "the next run replaces the stale socket file"
	expect_eq "its mode: 0600" "srw-------" "$(stat -c %A "$SOCK" 2>&1)"
	expect_eq "the next run answers for the connections the killed one recorded" \
		"\"${JA4_OF[curl]:-?}\"" "$(lk ask "$SOCK" "lookup $first" | jq_of ja4)"
	expect_error "a run on a served socket: refused in one line" 1 \
		nsenter --net=/run/netns/"$BED_SRV" "$HS" run -i lo --pin-dir "/sys/fs/bpf/$TAG-two" --state-dir "$TMP/s2" --lookup-socket "$SOCK"
	grep -q "is served by another process" "$TMP/err" && ok "it says the socket is served" ||
		fail "'is served by another process' expected: $(cat "$TMP/err")"
	[ -S "$SOCK" ] && [ ! -e "/sys/fs/bpf/$TAG-two" ] && ok "the served socket and no pins left" ||
		fail "the refused run touched the socket or left pins"
	rc=0; bg_stop "$HS_PID" || rc=$?
	expect_eq "run exits 0 on SIGTERM" 0 $rc
	[ ! -e "$SOCK" ] && ok "the socket file is removed on exit" || fail "$SOCK left after exit"
else
	fail "a run after SIGKILL with the same socket path: attachment expected (log above)"
fi
echo regular >"$TMP/file.sock"
expect_error "a run where a regular file is: refused in one line" 1 \
	nsenter --net=/run/netns/"$BED_SRV" "$HS" run -i lo --pin-dir "/sys/fs/bpf/$TAG-three" --state-dir "$TMP/s3" --lookup-socket "$TMP/file.sock"
expect_eq "the file left alone" regular "$(cat "$TMP/file.sock")"
[ ! -e "/sys/fs/bpf/$TAG-three" ] && ok "and no pins left" || fail "/sys/fs/bpf/$TAG-three left"
done_testing
