#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The application asks its sockets: `hydrascope run --sockopt-cgroup CG`
# attached natively on the server's veth of the netns test bed; an API
# server in cgroup CG (examples/sockopt_server.py, Python ssl; and
# examples/sockopt_server.c, OpenSSL) reads each accepted connection's JA4
# and TCP signature by getsockopt(SOL_HYDRASCOPE) and tags it with a keyed
# hash of its account by setsockopt. Real clients (curl, python3 ssl,
# openssl s_client) from three client namespaces (three TCP stacks).
# Checks: every connection's answer is the JA4 and TCP signature that
# `dump -j` shows for its client; 3 accounts over 300 connections from 200
# addresses give an estimate of 3 for their JA4 (dump -j "accounts");
# errors (ENOENT, EINVAL) as hydrascope/sockopt.h says; a process outside
# the cgroup gets the kernel's ENOPROTOOPT; unrelated options (SO_RCVBUF,
# TCP_NODELAY, TCP_INFO, a buffer over a page) answer the same inside and
# outside the cgroup; the links are gone when run exits.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip python3 nsenter timeout openssl curl
need_hs

# the cgroup v2 hierarchy: where the system mounts it (/sys/fs/cgroup, or
# /sys/fs/cgroup/unified on a hybrid layout), else mounted here
CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -z "$CGROOT" ]; then
	CGROOT=$TMP/cgroup2
	mkdir -p "$CGROOT" && mount -t cgroup2 none "$CGROOT" &&
		cleanup_push "umount $CGROOT" || { fail "no cgroup v2 mount, and none could be made"; done_testing; }
fi
EX=$ROOT/examples
CSRV=${HS_OUT:-$ROOT/.output}/examples/sockopt_server
[ -x "$CSRV" ] || CSRV=$ROOT/.output/examples/sockopt_server

# usage errors, before anything is loaded
"$HS" run -i lo --sockopt-cgroup /nonexistent-$TAG >/dev/null 2>"$TMP/u1"
expect_eq "--sockopt-cgroup of a missing path: exit 2" 2 $?
[ "$(wc -l <"$TMP/u1")" = 1 ] && grep -q "nonexistent-$TAG" "$TMP/u1" &&
	ok "... one line naming it: $(cat "$TMP/u1")" || fail "one line expected: $(cat "$TMP/u1")"
"$HS" run -i lo --sockopt-cgroup "$TMP" >/dev/null 2>"$TMP/u2"
expect_eq "--sockopt-cgroup of a directory not in cgroup v2: exit 2" 2 $?
grep -q "not a cgroup v2" "$TMP/u2" && ok "... says so: $(cat "$TMP/u2")" ||
	fail "'not a cgroup v2' expected: $(cat "$TMP/u2")"

WINDOW=2
TLS_PORTS=(443 8443)
BED_PORTS=(80 8080)
CG=$CGROOT/$TAG-api
if ! mkdir "$CG"; then
	fail "cgroup $CG"
	done_testing
fi
# the last cleanup (first pushed): the cgroup, once its processes are gone
cleanup_push "rmdir $CG 2>/dev/null || { sleep 1; rmdir $CG; }"
if ! bed_net 3; then
	fail "test bed with 3 clients could not be built"
	done_testing
fi
# 400 more addresses in client 1's namespace, 200 over 20 /24s for the
# 3 accounts, 200 over 20 others for many accounts
: >"$TMP/addrs.batch" && : >"$TMP/addrs.txt" && : >"$TMP/addrs2.txt"
for ((k = 0; k < 20; k++)); do
	for ((h = 1; h <= 10; h++)); do
		echo "address add 198.19.$k.$h/32 dev ${TAG}c1" >>"$TMP/addrs.batch"
		echo "address add 198.19.$((k + 64)).$h/32 dev ${TAG}c1" >>"$TMP/addrs.batch"
		echo "198.19.$k.$h" >>"$TMP/addrs.txt"
		echo "198.19.$((k + 64)).$h" >>"$TMP/addrs2.txt"
	done
done
if ! ip -n "${BED_CLIENTS[0]}" -b "$TMP/addrs.batch" ||
   ! ip -n "$BED_RTR" route add 198.19.0.0/17 via 198.18.1.2; then
	fail "400 addresses in ${BED_CLIENTS[0]}"
	done_testing
fi
ok "test bed: server $BED_SRV_IP, cgroup $CG, 400 more addresses in ${BED_CLIENTS[0]}"

# the certificate (bed_tls_server's way), the HMAC key of the accounts
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 -subj "/CN=hs.test" \
	-addext "subjectAltName=DNS:hs.test,IP:$BED_SRV_IP" >"$TMP/openssl.log" 2>&1 ||
	fail "certificate: $(cat "$TMP/openssl.log")"
# A random key, but one whose tags of the 3 accounts of part 3 fall in 3
# registers of the accounts sketch (the kernel's hs_mix64 of the tag and
# HS_SEED_ACCOUNT, its low HS_HLL_P bits): 3 accounts sharing a register,
# about 1 key in 340, truly estimate 2, and that is the sketch, not a bug.
python3 - "$TMP/hmac.key" \
	"$(awk '$2 == "HS_SEED_ACCOUNT" { sub(/ULL$/, "", $3); print $3 }' "$ROOT/headers/hs_hash.h")" \
	"$(awk '$2 == "HS_HLL_P" { print $3 }' "$ROOT/headers/hydrascope.h")" <<'EOF' ||
import hashlib, hmac, os, sys
M64 = (1 << 64) - 1
seed, p = int(sys.argv[2], 16), int(sys.argv[3])
def mix64(h):
    h ^= h >> 33
    h = h * 0xff51afd7ed558ccd & M64
    h ^= h >> 33
    h = h * 0xc4ceb9fe1a85ec53 & M64
    return h ^ h >> 33
def reg(key, acct):     # examples/sockopt_server.py's tag, into the sketch
    tag = hmac.new(key, acct.encode(), hashlib.sha256).digest()[:8]
    return mix64(int.from_bytes(tag, "little") ^ seed) & ((1 << p) - 1)
while True:
    key = os.urandom(32)
    if len({reg(key, "acct-%d" % i) for i in range(3)}) == 3:
        break
open(sys.argv[1], "wb").write(key)
EOF
	fail "the HMAC key: HS_SEED_ACCOUNT and HS_HLL_P expected in headers/"

# accounts judged early: one window of warm-up, 12 accounts a window (the
# 3 accounts of part 3 stay under it; part 4's 400 take 10-30 s here, 2 s
# windows: 25-80 accounts each)
cat >"$TMP/detect.ini" <<'EOF2'
[detect]
warmup = 1
min_accounts = 12
min_nets = 10
alert_score = 3
EOF2
MPORT=$((20000 + $$ % 20000))
if ! hs_start hs_pid "$BED_PINS" "$TMP/run.log" --window $WINDOW -v --sockopt-cgroup "$CG" \
	-c "$TMP/detect.ini" -j --alerts "$TMP/alerts.jsonl" --metrics "127.0.0.1:$MPORT"; then
	fail "hydrascope run --sockopt-cgroup: attachment expected"
	done_testing
fi
grep -q "sockopt: the processes of cgroup $CG may ask" "$TMP/run.log" &&
	ok "run says the cgroup may ask" || fail "the sockopt line expected in the log"

# "${IN_CG[@]}" CMD...: CMD in the server namespace, in the cgroup (the
# shell's pid is CMD's: exec all the way)
IN_CG=(sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec nsenter --net=/run/netns/"$0" "$@"'
	"$BED_SRV" "$CG")
bg_job py_pid "${IN_CG[@]}" "$BED_PY" "$EX/sockopt_server.py" "$TMP/cert.pem" "$TMP/key.pem" \
	"$BED_SRV_IP" 443 "$TMP/py.log" "$TMP/hmac.key"
bg_job c_pid "${IN_CG[@]}" "$CSRV" "$TMP/cert.pem" "$TMP/key.pem" "$BED_SRV_IP" 8443 "$TMP/c.log" \
	"$TMP/hmac.key"
wait_for 10 grep -qs listening "$TMP/py.log" && wait_for 10 grep -qs listening "$TMP/c.log" ||
	fail "the two API servers listening expected: $(cat "$TMP/py.log" "$TMP/c.log" | head -c 400)"
grep -qx "$py_pid" "$CG/cgroup.procs" && grep -qx "$c_pid" "$CG/cgroup.procs" &&
	ok "both servers run in $CG" || fail "servers $py_pid $c_pid in $CG expected: $(cat "$CG/cgroup.procs")"

# once CLIENT I PORT ACCOUNT [SRC]: one HTTPS request with X-Account
once() {
	local ns=${BED_CLIENTS[$2 - 1]} src=${5:-}
	case $1 in
	curl)
		timeout 10 nsenter --net=/run/netns/"$ns" curl -sS -k --max-time 5 \
			${src:+--interface $src} -H "X-Account: $4" \
			--resolve "hs.test:$3:$BED_SRV_IP" -o /dev/null "https://hs.test:$3/";;
	openssl)
		printf 'GET / HTTP/1.1\r\nHost: hs.test\r\nX-Account: %s\r\n\r\n' "$4" |
			timeout 10 nsenter --net=/run/netns/"$ns" openssl s_client -quiet \
			-connect "$BED_SRV_IP:$3" -servername hs.test >/dev/null 2>&1;;
	python3)
		timeout 10 nsenter --net=/run/netns/"$ns" "$BED_PY" -c '
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5) as c:
    with ctx.wrap_socket(c, server_hostname="hs.test") as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: hs.test\r\nX-Account: %s\r\n\r\n" % sys.argv[3].encode())
        while s.recv(4096):
            pass' "$BED_SRV_IP" "$3" "$4";;
	esac
}

# ---- 1. every connection's fingerprint, from both servers ----
# dump reads the current windows (a window's entries go at its close):
# dumps taken all along, their union compared
: >"$TMP/dump1.json"
for ((r = 0; r < 40; r++)); do
	for c in curl:1 python3:2 openssl:3; do
		for port in "${TLS_PORTS[@]}"; do
			once "${c%:*}" "${c#*:}" $port "user-${c%:*}-$((r % 7))"
		done
	done
	"$HS" dump --pin-dir "$BED_PINS" -j >>"$TMP/dump1.json" 2>"$TMP/dump1.err" ||
		fail "dump -j: $(cat "$TMP/dump1.err")"
done
N=$(cat "$TMP/py.log" "$TMP/c.log" | grep -c '"peer"')
[ $N -ge 200 ] && ok "$N connections served" || fail "at least 200 of 240 connections served expected, got $N"
python3 - "$TMP/py.log" "$TMP/c.log" "$TMP/dump1.json" >"$TMP/check1.out" 2>&1 <<'EOF'
import json, sys
logs = [json.loads(l) for f in sys.argv[1:3] for l in open(f) if '"peer"' in l]
dump = [json.loads(l) for l in open(sys.argv[3])]
ja4s = {d["ja4"] for d in dump if d["kind"] == "tls"}
sigs = {d["tcp_sig"] for d in dump if d["kind"] == "tcp"}
pairs = {(d["ja4"], d["tcp_stack"]) for d in dump if d["kind"] == "pair"}
by_client = {}
bad = []
for l in logs:
    ip = l["peer"].split(":")[0]
    if l.get("fail") or l.get("error") or l["ja4"] not in ja4s or l["tcp_sig"] not in sigs \
            or l["flags"] & 3 != 3 or l.get("tagged") is not True:
        bad.append(l)
    by_client.setdefault(ip, set()).add((l["ja4"], l["tcp_sig"]))
print("connections", len(logs), "bad", len(bad), "clients", {k: len(v) for k, v in by_client.items()})
for b in bad[:5]:
    print("bad:", b)
# one client program per namespace: one (JA4, TCP signature) each, all apart
fps = [next(iter(v)) for v in by_client.values() if len(v) == 1]
ok = not bad and len(logs) >= 200 and len(by_client) == 3 and len(fps) == 3 and \
    len({f[0] for f in fps}) == 3
sys.exit(0 if ok else 1)
EOF
[ $? -eq 0 ] && ok "getsockopt: every connection's JA4 and TCP signature are dump's, one per client ($(head -n 1 "$TMP/check1.out"))" ||
	fail "getsockopt answers matching dump expected: $(head -c 1500 "$TMP/check1.out"); dump: $(head -c 1500 "$TMP/dump1.json")"

# ---- 2. errors and unrelated options, inside and outside the cgroup ----
cat >"$TMP/opts.py" <<'EOF'
import ctypes, errno, socket, struct, sys
SOL_HYDRASCOPE, HS_OPT_FP, HS_OPT_JA4, HS_OPT_ACCOUNT = 0x4853, 1, 2, 4
host = sys.argv[1]
out = []
c = socket.create_connection((host, 80), timeout=5)   # a plain TCP port: no record
def err(f):
    try:
        f()
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
out.append("fp " + err(lambda: c.getsockopt(SOL_HYDRASCOPE, HS_OPT_FP, 48)))
out.append("ja4 " + err(lambda: c.getsockopt(SOL_HYDRASCOPE, HS_OPT_JA4, 256)))
out.append("fp-short " + err(lambda: c.getsockopt(SOL_HYDRASCOPE, HS_OPT_FP, 8)))
out.append("account " + err(lambda: c.setsockopt(SOL_HYDRASCOPE, HS_OPT_ACCOUNT, b"12345678")))
out.append("account-len " + err(lambda: c.setsockopt(SOL_HYDRASCOPE, HS_OPT_ACCOUNT, b"1234")))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
out.append("rcvbuf %d" % s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
out.append("nodelay %d" % c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
ti = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1024)
out.append("tcp_info len %d" % len(ti))
# a buffer over a page (python's getsockopt stops at 1024: libc's own)
libc = ctypes.CDLL(None, use_errno=True)
buf, n = ctypes.create_string_buffer(8192), ctypes.c_uint32(8192)
rc = libc.getsockopt(c.fileno(), socket.IPPROTO_TCP, socket.TCP_INFO, buf, ctypes.byref(n))
out.append("tcp_info-8k rc %d len %d" % (rc, n.value))
out.append("bad-opt " + err(lambda: c.getsockopt(socket.IPPROTO_TCP, 9999, 4)))
print("\n".join(out))
EOF
"${IN_CG[@]}" "$BED_PY" "$TMP/opts.py" "$BED_SRV_IP" >"$TMP/in.txt" 2>&1
nsx "$BED_SRV" "$BED_PY" "$TMP/opts.py" "$BED_SRV_IP" >"$TMP/out.txt" 2>&1
expect_eq "inside the cgroup: ENOENT without a record, EINVAL for a short buffer or length" \
	"fp ENOENT|ja4 ENOENT|fp-short ENOENT|account ENOENT|account-len EINVAL" \
	"$(head -n 5 "$TMP/in.txt" | tr '\n' '|' | sed 's/|$//')"
# the kernel's own answer for a level it does not know (TCP: EOPNOTSUPP
# for getsockopt, ENOPROTOOPT for setsockopt)
KERNEL_ERR=$(head -n 5 "$TMP/out.txt" | tr '\n' '|' | sed 's/|$//')
[[ $KERNEL_ERR == "fp E"*"|account-len E"* && $KERNEL_ERR != *ENOENT* && $KERNEL_ERR != *EINVAL* ]] &&
	ok "outside the cgroup: the kernel's error for an unknown level ($KERNEL_ERR)" ||
	fail "outside: the kernel's errors expected, got '$KERNEL_ERR'"
expect_eq "unrelated options answer the same inside the cgroup as outside" \
	"$(tail -n +6 "$TMP/out.txt")" "$(tail -n +6 "$TMP/in.txt")"
grep -q "^tcp_info-8k rc 0 len [1-9]" "$TMP/in.txt" && ok "TCP_INFO with a buffer over a page: $(grep 8k "$TMP/in.txt")" ||
	fail "TCP_INFO with an 8 KiB buffer expected to answer: $(cat "$TMP/in.txt")"

# ---- 3. accounts: 3 accounts, 300 connections, 200 addresses ----
# (dump, top and the metrics read the current windows: read after each
# batch, the best of them compared)
sleep $((WINDOW * 2 + 1))       # the earlier tags out of the current windows
mapfile -t ADDRS <"$TMP/addrs.txt"
: >"$TMP/dump2.json" && : >"$TMP/top.txt" && : >"$TMP/metrics.txt"
pids=()
for ((i = 0; i < 300; i++)); do
	once curl 1 443 "acct-$((i % 3))" "${ADDRS[i % 200]}" &
	pids+=($!)
	if ((${#pids[@]} == 20)) || ((i == 299)); then
		wait "${pids[@]}"
		pids=()
		"$HS" dump --pin-dir "$BED_PINS" -j >>"$TMP/dump2.json" 2>/dev/null
		"$HS" top --pin-dir "$BED_PINS" --once >>"$TMP/top.txt" 2>&1
		nsx "$BED_SRV" curl -s "http://127.0.0.1:$MPORT/metrics" >>"$TMP/metrics.txt"
	fi
done
curl_ja4=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o.get("peer", "").startswith("198.18.1.2:") and o.get("ja4"):
        print(o["ja4"]); break' "$TMP/py.log")
# the most of the reads' estimates, then each read's (in the log)
read -r acc reads < <(python3 -c '
import json, sys
a = [o.get("accounts") for o in map(json.loads, open(sys.argv[1]))
     if o["kind"] == "tls" and o["ja4"] == sys.argv[2]]
print(max((x or 0 for x in a), default=-1), " ".join(map(str, a)))' "$TMP/dump2.json" "$curl_ja4")
echo "# dump's accounts for $curl_ja4, read by read: $reads"
tagged=$(grep -c '"account": "acct-' "$TMP/py.log")
[ "$acc" = 3 ] && ok "3 accounts over 300 connections from 200 addresses: dump says accounts 3 for $curl_ja4" ||
	fail "dump -j accounts 3 for $curl_ja4 expected, got '$acc' ($tagged tagged; $(grep -c . "$TMP/dump2.json") rows)"

# (JA4 CONNS IPS NETS CONNS/IP TCP-SIGS SCORE ACCOUNTS SIGNALS)
grep -q "ACCOUNTS" "$TMP/top.txt" && awk -v j="$curl_ja4" '$1 == j && $8 == 3 { f = 1 } END { exit !f }' "$TMP/top.txt" &&
	ok "top: an ACCOUNTS column, 3 for $curl_ja4" ||
	fail "top with ACCOUNTS 3 for $curl_ja4 expected: $(head -c 800 "$TMP/top.txt")"
grep -q "^hydrascope_fingerprint_accounts{ja4=\"$curl_ja4\"} 3$" "$TMP/metrics.txt" &&
	ok "metrics: hydrascope_fingerprint_accounts 3 for $curl_ja4" ||
	fail "hydrascope_fingerprint_accounts 3 expected: $(grep accounts "$TMP/metrics.txt" | head -c 600)"

# ---- 4. many accounts behind one fingerprint: an alert ----
# 400 connections, each its own account, from 200 addresses new to the
# site, over a few windows: each window close reads the tags beside the
# rows, the detector's account signal fires
mapfile -t ADDRS2 <"$TMP/addrs2.txt"
pids=()
for ((i = 0; i < 400; i++)); do
	once curl 1 443 "many-$i" "${ADDRS2[i % 200]}" &
	pids+=($!)
	if ((${#pids[@]} == 40)); then
		wait "${pids[@]}"
		pids=()
	fi
done
((${#pids[@]})) && wait "${pids[@]}"
# (an alert with accounts among its reasons: every alert has an accounts
# field, those of the 3 accounts above too)
wait_for $((WINDOW * 4)) grep -Eqs '"reasons": ?\[[^]]*"accounts"' "$TMP/alerts.jsonl"
python3 - "$TMP/alerts.jsonl" "$curl_ja4" >"$TMP/acct-alert.txt" 2>&1 <<'EOF2'
import json, sys
best = None
for l in open(sys.argv[1]):
    a = json.loads(l)
    if a.get("ja4") == sys.argv[2] and "accounts" in a.get("reasons", []) and \
            (best is None or a["accounts"] > best["accounts"]):
        best = a
if best:
    print("accounts=%s accounts_per_ip=%s reasons=%s" % (best["accounts"],
          best["accounts_per_ip"], ",".join(best["reasons"])))
else:
    # what the alerts of the JA4 said instead
    for l in open(sys.argv[1]):
        a = json.loads(l)
        if a.get("ja4") == sys.argv[2]:
            print("%s %s: accounts=%s baseline_accounts=%s accounts_per_ip=%s "
                  "reasons=%s;" % (a.get("ts"), a.get("state"), a.get("accounts"),
                  a.get("baseline_accounts"), a.get("accounts_per_ip"),
                  ",".join(a.get("reasons") or [])), end=" ")
# at least the configured min_accounts (12): the 400 accounts span windows
sys.exit(0 if best and best["accounts"] >= 12 else 1)
EOF2
[ $? -eq 0 ] && ok "alert for $curl_ja4 with accounts among its reasons ($(cat "$TMP/acct-alert.txt"))" ||
	fail "an alert with 'accounts' for $curl_ja4 expected: $(cat "$TMP/acct-alert.txt")"

# ---- 5. the links go with run ----
bg_stop "$hs_pid"
n_after=$(bpftool cgroup show "$CG" 2>/dev/null | grep -c sockopt)
expect_eq "run stopped: no sockopt program left on $CG" 0 "$n_after"
"${IN_CG[@]}" "$BED_PY" "$TMP/opts.py" "$BED_SRV_IP" >"$TMP/in2.txt" 2>&1
expect_eq "after run: the kernel's errors inside the cgroup too" \
	"$KERNEL_ERR" "$(head -n 5 "$TMP/in2.txt" | tr '\n' '|' | sed 's/|$//')"
echo "# total $SECONDS s"
done_testing
