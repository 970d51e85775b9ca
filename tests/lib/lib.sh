# SPDX-License-Identifier: BSD-3-Clause
# Shared by the shell tests (tests/*/t_*.sh) and tools: TAP output, cleanup
# on any exit, netns helpers, the live test bed.
# Namespaces, links and processes a test creates are registered with
# `cleanup_push` and undone in reverse order when the test exits, however
# it exits. Processes are only ever killed by the pid the test started.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HS=${HS_BIN:-$ROOT/hydrascope}   # another build's binary: tests/run.sh
VECTORS=${VECTORS:-$ROOT/../shared/vectors}
TAG=hs$$                     # unique per test run: names of netns, links, pins
TMP=$(mktemp -d /tmp/hydrascope-test.XXXXXX)
_tapn=0 _failed=0 _cleanup=()

ok()   { _tapn=$((_tapn + 1)); echo "ok $_tapn - $*"; }
fail() { _tapn=$((_tapn + 1)); _failed=1; echo "not ok $_tapn - $*"; }
skip() { _tapn=$((_tapn + 1)); echo "ok $_tapn - $1 # SKIP $2"; }
# check NAME CMD...: ok if CMD succeeds
check() { local n=$1; shift; if "$@"; then ok "$n"; else fail "$n"; fi; }
# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

cleanup_push() { _cleanup+=("$*"); }
_run_cleanup() {
	local rc=$? i
	for ((i = ${#_cleanup[@]} - 1; i >= 0; i--)); do
		eval "${_cleanup[$i]}" >/dev/null 2>&1 || true
	done
	((_failed || rc)) && _keep_failed
	rm -rf "$TMP"
}

# keep_on_fail PATTERN...: when the test fails (a "not ok", or a non-zero
# exit: killed, timed out), the files PATTERN names (globs, expanded at
# exit; a folder copied whole) are copied to
# HS_OUT/test-logs/NAME.fail.YYYYmmdd-HHMMSS.PID/ (NAME: the test's file
# name, .sh dropped; HS_OUT as tests/run.sh takes it) and its path printed
# as a TAP comment. This runs after the cleanup (processes stopped, a
# capture flushed), before $TMP is removed.
case ${HS_OUT:-} in
"") HS_OUT_DIR=$ROOT/.output;;
/*) HS_OUT_DIR=$HS_OUT;;
*) HS_OUT_DIR=$PWD/$HS_OUT;;
esac
_keep=()
keep_on_fail() { _keep+=("$@"); }
_keep_failed() {
	local dir pat f n=0
	[ ${#_keep[@]} -gt 0 ] || return 0
	dir=$HS_OUT_DIR/test-logs/$(basename "$0" .sh).fail.$(date +%Y%m%d-%H%M%S).$$
	mkdir -p "$dir" || { echo "# keep_on_fail: cannot create $dir"; return 0; }
	for pat in "${_keep[@]}"; do
		for f in $pat; do
			[ -e "$f" ] || continue
			cp -a "$f" "$dir/" 2>/dev/null && n=$((n + 1))
		done
	done
	echo "# failed: $n of its files (captures, logs) kept in $dir"
}
trap _run_cleanup EXIT
trap 'exit 130' INT TERM

# Skip the whole file (with a reason) unless root with BPF available.
need_root() {
	if [ "$(id -u)" != 0 ]; then
		skip "$(basename "$0")" "needs root (CAP_BPF, CAP_NET_ADMIN)"; exit 0
	fi
}
# Fail the whole file unless ./hydrascope is built.
need_hs() {
	[ -x "$HS" ] && return 0
	fail "no $HS: build it first (make)"
	done_testing
}
need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || { skip "$(basename "$0")" "needs $c"; exit 0; }
	done
}

# ns_add NAME: a network namespace removed at exit, loopback up
ns_add() {
	ip netns add "$1" && cleanup_push "ip netns del $1"
	ip -n "$1" link set lo up
}
# nsx NAME CMD...: run in a namespace's network only (keeps /sys/fs/bpf)
nsx() { local n=$1; shift; nsenter --net=/run/netns/"$n" "$@"; }

# veth_pair NS1 DEV1 ADDR1 NS2 DEV2 ADDR2: link two namespaces, offloads off
veth_pair() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" || return 1
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
	nsx "$1" ethtool -K "$2" tso off gso off gro off >/dev/null 2>&1
	nsx "$4" ethtool -K "$5" tso off gso off gro off >/dev/null 2>&1
	return 0
}

# bg_start VAR CMD...: start CMD in the background, pid in VAR, killed at exit
bg_start() {
	local var=$1; shift
	"$@" &
	local pid=$!
	cleanup_push "kill $pid; wait $pid"
	printf -v "$var" '%s' "$pid"
}

# wait_for SECONDS CMD...: poll until CMD succeeds
wait_for() {
	local t=$1 i; shift
	for ((i = 0; i < t * 10; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}

# expect_error NAME WANT-RC CMD...: CMD exits WANT-RC with one line on
# stderr and nothing on stdout (a usage or operational error)
expect_error() {
	local name=$1 want=$2 rc lines; shift 2
	timeout 10 "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	lines=$(wc -l <"$TMP/err")
	if [ "$rc" != "$want" ]; then
		fail "$name: exit $want expected, got $rc: $(head -c 300 "$TMP/err")"
	elif [ "$lines" != 1 ] || [ -s "$TMP/out" ]; then
		fail "$name: one stderr line and no output expected, got $lines: $(head -c 300 "$TMP/err" | tr '\n' '|') / $(head -c 200 "$TMP/out")"
	else
		ok "$name (exit $rc: $(cat "$TMP/err"))"
	fi
}

# tap_verdicts FILE: lines "ok MSG" / "not ok MSG" (a checking script's
# output) as TAP results, other lines as comments
tap_verdicts() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok }";;
		"not ok "*) fail "${line#not ok }";;
		*) echo "# $line";;
		esac
	done <"$1"
}

done_testing() {
	echo "1..$_tapn"
	exit $_failed
}

# ---- background jobs that are safe to stop twice ----------------------
# bg_job VAR CMD...: like bg_start, but the exit cleanup is bg_stop, which
# signals the pid only while it is still this shell's child, so a job the
# test already stopped (and whose pid may have been reused) is left alone.
bg_job() {
	local var=$1; shift
	"$@" &
	printf -v "$var" '%s' $!
	cleanup_push "bg_stop $!"
}
_bg_alive() { [ "$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')" = "$$" ]; }
# bg_stop PID [SIGNAL [SECONDS]]: signal a bg_job (TERM by default), wait
# for it, SIGKILL after SECONDS (5); returns its exit status
bg_stop() {
	local pid=$1 sig=${2:-TERM} end=$((SECONDS + ${3:-5}))
	if _bg_alive "$pid"; then
		kill -s "$sig" "$pid" 2>/dev/null
		while ((SECONDS <= end)) && _bg_alive "$pid"; do
			sleep 0.1
		done
		_bg_alive "$pid" && kill -s KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
}

# running PID: PID is a process not yet ended (a zombie has ended)
running() { ps -o stat= -p "$1" 2>/dev/null | grep -q '^[^Z]'; }

# dump_while FILE PIN-DIR PID...: `hydrascope dump -j` appended to FILE
# every half second while any PID runs (90 s at most), and once after. A
# window's rows leave the maps when it closes, so dumps a few seconds
# apart can all miss a short burst.
dump_while() {
	local file=$1 pins=$2 end=$((SECONDS + 90)) p alive; shift 2
	while ((SECONDS < end)); do
		"$HS" dump --pin-dir "$pins" -j >>"$file" 2>/dev/null
		alive=0
		for p; do running "$p" && alive=1; done
		((alive)) || break
		sleep 0.5
	done
}

# ---- live test bed (t_live.sh, demo.sh) -------------------------------
# A server namespace, a router namespace forwarding, and N client
# namespaces, each client on its own veth pair to the router and with its
# own TCP stack. Addresses, all from 198.18.0.0/15:
#   server   198.18.0.2/24 ($BED_DEV)  -- router 198.18.0.1/24
#   client i 198.18.i.2/24             -- router 198.18.i.1/24  (i = 1..N)
# so each client is one source address and one /24 network. hydrascope
# runs in the server namespace on $BED_DEV, the veth facing the router.
BED_PORTS=(80 443 8080)   # the server accepts and closes on each
# Client TCP stacks (client i gets entry (i-1) mod 3):
#   ttl net.ipv4.ip_default_ttl    ts   net.ipv4.tcp_timestamps
#   ws  net.ipv4.tcp_window_scaling sack net.ipv4.tcp_sack
#   ecn net.ipv4.tcp_ecn           mss  advmss on the default route
BED_PROFILES=(
	"ttl=64 ts=1 sack=1 ws=1 ecn=0 mss=1460"
	"ttl=128 ts=0 sack=1 ws=1 ecn=1 mss=1360"
	"ttl=255 ts=1 sack=0 ws=0 ecn=0 mss=1200"
)

# _bed_ns NAME: ns_add, IPv6 off (no router solicitations or MLD noise)
_bed_ns() {
	ns_add "$1" || return 1
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
}

# bed_net [N]: namespaces, links, routes, client stacks and the TCP server
# (N clients, default 3). Sets BED_SRV BED_RTR BED_DEV BED_SRV_IP BED_PINS
# BED_PY, and arrays BED_CLIENTS BED_CLIENT_IPS BED_CLIENT_PROFILES (0-based).
bed_net() {
	local n=${1:-3} i c p ttl ts sack ws ecn mss
	if ! ((n >= 1 && n <= 250)); then
		echo "# bed_net: 1 to 250 clients, not '$n'"; return 1
	fi
	BED_SRV=$TAG-srv BED_RTR=$TAG-rtr BED_DEV=${TAG}s BED_SRV_IP=198.18.0.2
	BED_PINS=/sys/fs/bpf/$TAG
	BED_CLIENTS=() BED_CLIENT_IPS=() BED_CLIENT_PROFILES=()
	# the interpreter itself, not a version-manager shim (starts faster)
	BED_PY=$(python3 -c 'import sys; print(sys.executable)') || return 1

	_bed_ns "$BED_SRV" && _bed_ns "$BED_RTR" || return 1
	nsx "$BED_RTR" sysctl -qw net.ipv4.ip_forward=1 || return 1
	veth_pair "$BED_SRV" "$BED_DEV" $BED_SRV_IP/24 "$BED_RTR" "${TAG}r0" 198.18.0.1/24 ||
		return 1
	ip -n "$BED_SRV" route add default via 198.18.0.1 || return 1
	for ((i = 1; i <= n; i++)); do
		c=$TAG-c$i
		p=${BED_PROFILES[(i - 1) % ${#BED_PROFILES[@]}]}
		local $p
		_bed_ns "$c" || return 1
		veth_pair "$c" "${TAG}c$i" 198.18.$i.2/24 "$BED_RTR" "${TAG}r$i" 198.18.$i.1/24 ||
			return 1
		nsx "$c" sysctl -qw net.ipv4.ip_default_ttl="$ttl" net.ipv4.tcp_timestamps="$ts" \
			net.ipv4.tcp_sack="$sack" net.ipv4.tcp_window_scaling="$ws" \
			net.ipv4.tcp_ecn="$ecn" || return 1
		ip -n "$c" route add default via 198.18.$i.1 advmss "$mss" || return 1
		BED_CLIENTS+=("$c") BED_CLIENT_IPS+=(198.18.$i.2) BED_CLIENT_PROFILES+=("$p")
	done

	bg_job BED_SRV_PID nsenter --net=/run/netns/"$BED_SRV" "$BED_PY" -c '
import selectors, socket, sys
host, ready, ports = sys.argv[1], sys.argv[2], sys.argv[3:]
sel = selectors.DefaultSelector()
for p in ports:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(p)))
    s.listen(256)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
open(ready, "w").close()
while True:
    for key, _ in sel.select():
        try:
            key.fileobj.accept()[0].close()
        except OSError:
            pass' "$BED_SRV_IP" "$TMP/bed_server.ready" "${BED_PORTS[@]}"
	wait_for 5 test -e "$TMP/bed_server.ready" ||
		{ echo "# bed_net: the TCP server did not start"; return 1; }
}

# bed_ipv6: IPv6 on the bed of bed_net too (which turns it off), with
# addresses from 2001:2::/48 (IPv6's benchmarking range, RFC 5180):
#   server   2001:2::2/64 ($BED_DEV)  -- router 2001:2::1/64
#   client i 2001:2:0:i::2/64         -- router 2001:2:0:i::1/64
# without duplicate address detection (usable at once) or router
# advertisements. Sets BED_SRV_IP6 and the array BED_CLIENT_IP6S (0-based).
bed_ipv6() {
	local i ns dev
	BED_SRV_IP6=2001:2::2 BED_CLIENT_IP6S=()
	_bed_v6on "$BED_SRV" "$BED_DEV" 2001:2::2/64 &&
		_bed_v6on "$BED_RTR" "${TAG}r0" 2001:2::1/64 || return 1
	nsx "$BED_RTR" sysctl -qw net.ipv6.conf.all.forwarding=1 || return 1
	ip -n "$BED_SRV" -6 route add default via 2001:2::1 || return 1
	for ((i = 1; i <= ${#BED_CLIENTS[@]}; i++)); do
		ns=${BED_CLIENTS[i - 1]}
		_bed_v6on "$BED_RTR" "${TAG}r$i" 2001:2:0:$i::1/64 &&
			_bed_v6on "$ns" "${TAG}c$i" 2001:2:0:$i::2/64 &&
			ip -n "$ns" -6 route add default via 2001:2:0:$i::1 || return 1
		BED_CLIENT_IP6S+=(2001:2:0:$i::2)
	done
}
# _bed_v6on NS DEV ADDR/LEN: IPv6 on in NS and on DEV, ADDR on DEV
_bed_v6on() {
	nsx "$1" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf."$2".accept_dad=0 \
		net.ipv6.conf."$2".accept_ra=0 net.ipv6.conf."$2".router_solicitations=0 \
		net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf."$2".disable_ipv6=0 &&
		ip -n "$1" addr add "$3" dev "$2" nodad
}

# bed_connect I COUNT: COUNT TCP connections from client I (1-based) to the
# server's ports in turn, each read until the server closes. Prints how many
# succeeded (failures on stderr); fails unless all did.
bed_connect() {
	nsx "${BED_CLIENTS[$1 - 1]}" "$BED_PY" -c '
import socket, sys
host, n, ports = sys.argv[1], int(sys.argv[2]), [int(p) for p in sys.argv[3:]]
good = 0
for k in range(n):
    port = ports[k % len(ports)]
    try:
        with socket.create_connection((host, port), timeout=3) as s:
            while s.recv(4096):
                pass
        good += 1
    except OSError as e:
        print("connection %d to %s port %d: %s" % (k + 1, host, port, e), file=sys.stderr)
print(good)
sys.exit(0 if good == n else 1)' "$BED_SRV_IP" "$2" "${BED_PORTS[@]}"
}

# hs_start VAR PIN_DIR LOG [RUN-OPTION...]: `hydrascope run -m native` on
# $BED_DEV in the server namespace, in the background: pid in VAR, stderr
# in LOG, pins removed at exit, detector state in $TMP/state.VAR. Returns
# once it reports the attachment; on failure returns 1 after printing its
# log as TAP comments.
hs_start() {
	local var=$1 pins=$2 log=$3 pid end=$((SECONDS + 10)); shift 3
	cleanup_push "rm -rf '$pins'"
	# nsenter, not nsx: the pid must be hydrascope's own (nsenter execs)
	# the detector's state in $TMP unless the caller names a --state-dir
	# (the last one given wins): never the system's
	bg_job pid nsenter --net=/run/netns/"$BED_SRV" "$HS" run -i "$BED_DEV" -m native \
		--pin-dir "$pins" --state-dir "$TMP/state.$var" "$@" 2>"$log"
	printf -v "$var" '%s' "$pid"
	while ((SECONDS <= end)); do
		grep -q '^hydrascope: attached to ' "$log" && return 0
		_bg_alive "$pid" || break
		sleep 0.1
	done
	if _bg_alive "$pid"; then
		echo "# hydrascope run reported no attachment within 10 s; its stderr:"
	else
		wait "$pid"
		echo "# hydrascope run exited with status $? before attaching; its stderr:"
	fi
	sed 's/^/#   /' "$log"
	return 1
}

# bed_up [N]: bed_net N, then hydrascope attached on $BED_DEV with its maps
# in $BED_PINS (pid in BED_HS_PID, stderr in BED_HS_LOG)
bed_up() {
	BED_HS_LOG=$TMP/hydrascope-run.log
	bed_net "${1:-3}" && hs_start BED_HS_PID "$BED_PINS" "$BED_HS_LOG"
}

# xdp_prog_id NS DEV: id of the XDP program on DEV, empty if none
xdp_prog_id() {
	ip -n "$1" -d link show dev "$2" 2>/dev/null |
		sed -n 's/.*prog\/xdp[a-z]* id \([0-9]*\).*/\1/p' | head -n 1
}

# xdp_prog_name NS DEV: name of the XDP program on DEV (which of hs_xdp's
# entries run loaded), empty if none
xdp_prog_name() {
	local id
	id=$(xdp_prog_id "$1" "$2")
	[ -n "$id" ] && bpftool -j prog show id "$id" 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["name"])' 2>/dev/null
}

# bed_hydra_addrs NETS HOSTS CLIENT...: on each client i (1-based) of the
# bed, addresses 198.19.(64*(i-1) + k).h for k < NETS and h in 1..HOSTS on
# its veth, listed in $TMP/addrs$i.txt, the router sending
# 198.19.(64*(i-1)).0/18 back to it; their count in BED_HYDRA_N.
bed_hydra_addrs() {
	local nets=$1 hosts=$2 i k h a
	shift 2
	BED_HYDRA_N=0
	for i in "$@"; do
		: >"$TMP/addrs$i.batch" && : >"$TMP/addrs$i.txt" || return 1
		for ((k = 0; k < nets; k++)); do
			for ((h = 1; h <= hosts; h++)); do
				a=198.19.$((64 * (i - 1) + k)).$h
				echo "address add $a/32 dev ${TAG}c$i" >>"$TMP/addrs$i.batch"
				echo "$a" >>"$TMP/addrs$i.txt"
			done
		done
		ip -n "${BED_CLIENTS[i - 1]}" -b "$TMP/addrs$i.batch" &&
			ip -n "$BED_RTR" route add 198.19.$((64 * (i - 1))).0/18 via 198.18.$i.2 ||
			return 1
		BED_HYDRA_N=$((BED_HYDRA_N + $(wc -l <"$TMP/addrs$i.txt")))
	done
}

# ca_cert DIR NAME SAN: a CA of its own (DIR/ca.pem, its key DIR/ca.key)
# and a server certificate for NAME it signed (DIR/cert.pem, DIR/key.pem),
# subjectAltName SAN ("DNS:NAME,IP:..."): what a client that checks
# certificates (firefox, told to trust the CA) accepts. openssl's output
# in DIR/openssl.log.
ca_cert() {
	local d=$1
	printf '%s\n' "subjectAltName=$3" "basicConstraints=CA:FALSE" \
		"extendedKeyUsage=serverAuth" >"$d/leaf.ext"
	{ openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj "/CN=hydrascope test CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" &&
	  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/key.pem" -out "$d/leaf.csr" -subj "/CN=$2" &&
	  openssl x509 -req -in "$d/leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/leaf.ext" -out "$d/cert.pem"; } >"$d/openssl.log" 2>&1
}

# firefox_quic_profile DIR CA HOST PORT: a new firefox profile in DIR that
# trusts CA (NSS's certutil) and reaches HOST over QUIC on PORT (its
# testing pref maps the origin to h3 there; HTTP/3 with a CA not built in
# allowed by another: without it firefox closes the connection)
firefox_quic_profile() {
	certutil -N -d "sql:$1" --empty-password &&
		certutil -A -n hs-test-ca -t C,, -i "$2" -d "sql:$1" || return 1
	printf 'user_pref("%s", %s);\n' \
		network.http.http3.alt-svc-mapping-for-testing "\"$3;h3=:$4\"" \
		network.http.http3.disable_when_third_party_roots_found false >"$1/user.js"
}

# ---- TLS server for the test bed (t_tls_live.sh, demo.sh) --------------
# bed_tls_server PORT...: after bed_net, a TLS server in $BED_SRV on each
# PORT (keep them out of BED_PORTS, whose plain TCP server binds first):
# python3's ssl module with a certificate for hs.test and $BED_SRV_IP,
# signed by a CA of its own ($BED_TLS_CA, ca_cert), in $TMP/tls.
# It serves connections in
# parallel, offers ALPN http/1.1, answers an HTTP GET or HEAD with a small
# page and closes; clients that send nothing after the handshake are
# closed when they close. One line per connection in $BED_TLS_LOG:
#   ok SRC SPORT DPORT VERSION ALPN CIPHER     (handshake completed)
#   fail SRC SPORT DPORT ERROR...              (handshake failed)
# Sets BED_TLS_PID, BED_TLS_LOG, BED_TLS_NAME (hs.test), BED_TLS_CA.
bed_tls_server() {
	local d=$TMP/tls
	BED_TLS_LOG=$d/server.log BED_TLS_NAME=hs.test BED_TLS_CA=$d/ca.pem
	mkdir -p "$d" || return 1
	ca_cert "$d" "$BED_TLS_NAME" "DNS:$BED_TLS_NAME,IP:$BED_SRV_IP" ||
		{ echo "# bed_tls_server: openssl failed: $(cat "$d/openssl.log")"; return 1; }
	: >"$BED_TLS_LOG"
	bg_job BED_TLS_PID nsenter --net=/run/netns/"$BED_SRV" "$BED_PY" -c '
import selectors, socket, ssl, sys, threading
cert, key, log, ready, host = sys.argv[1:6]
ports = [int(p) for p in sys.argv[6:]]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.set_alpn_protocols(["http/1.1"])
out, lock = open(log, "a", buffering=1), threading.Lock()
body = (b"<!doctype html><html><head><title>hydrascope</title>"
        b"<link rel=icon href=\"data:,\"></head><body>hydrascope test server</body></html>\n")
def note(*f):
    with lock:
        out.write(" ".join(str(x) for x in f) + "\n")
def serve(conn, addr, port):
    conn.settimeout(15)
    try:
        s = ctx.wrap_socket(conn, server_side=True)
    except (OSError, ssl.SSLError) as e:
        note("fail", addr[0], addr[1], port, str(e).replace("\n", " "))
        conn.close()
        return
    note("ok", addr[0], addr[1], port, s.version(), s.selected_alpn_protocol() or "-",
         s.cipher()[0])
    try:
        req = b""
        while b"\r\n\r\n" not in req and len(req) < 65536:
            d = s.recv(4096)
            if not d:
                break
            req += d
        if req.startswith((b"GET ", b"HEAD ")):
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
                      b"Connection: close\r\n\r\n" % len(body) +
                      (body if req.startswith(b"GET ") else b""))
    except (OSError, ssl.SSLError):
        pass
    finally:
        s.close()
sel = selectors.DefaultSelector()
for p in ports:
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, p))
    ls.listen(256)
    sel.register(ls, selectors.EVENT_READ, p)
open(ready, "w").close()
while True:
    for k, _ in sel.select():
        try:
            c, a = k.fileobj.accept()
        except OSError:
            continue
        threading.Thread(target=serve, args=(c, a, k.data), daemon=True).start()' \
		"$d/cert.pem" "$d/key.pem" "$BED_TLS_LOG" "$d/ready" "$BED_SRV_IP" "$@"
	wait_for 5 test -e "$d/ready" ||
		{ echo "# bed_tls_server: the TLS server did not start on ports $*"; return 1; }
}

# bed_capture VAR FILE [FILTER...]: tcpdump on the server's side of the
# bed writing every TCP packet (or what FILTER selects) to FILE (its pid
# in VAR, its log $TMP/tcpdump.log); fails the test and ends it unless
# tcpdump is listening within 5 s. --immediate-mode: without it, packets
# still in the capture ring when SIGINT arrives are counted "received by
# filter" but never written.
bed_capture() {
	local var=$1 file=$2; shift 2
	bg_job "$var" nsenter --net=/run/netns/"$BED_SRV" tcpdump -i "$BED_DEV" -nn -U \
		--immediate-mode -Z root -w "$file" "${@:-tcp}" 2>"$TMP/tcpdump.log"
	if ! wait_for 5 grep -q 'listening on' "$TMP/tcpdump.log"; then
		fail "tcpdump on $BED_DEV: 'listening on' expected, got: $(cat "$TMP/tcpdump.log")"
		done_testing
	fi
}

# bed_snapshot TD_PID: what the running instance holds, as `dump -j` and
# `status -j` give it ($TMP/dump.json, $TMP/status.json), then the capture
# of bed_capture stopped and checked whole
bed_snapshot() {
	local rc td_cap td_rcv

	"$HS" dump --pin-dir "$BED_PINS" -j >"$TMP/dump.json" 2>"$TMP/dump.err"
	rc=$?
	expect_eq "dump -j exit status" "0" "$rc$([ $rc != 0 ] && echo " ($(cat "$TMP/dump.err"))")"
	nsx "$BED_SRV" "$HS" status --pin-dir "$BED_PINS" -j >"$TMP/status.json" 2>"$TMP/status.err"
	rc=$?
	expect_eq "status -j exit status" "0" "$rc$([ $rc != 0 ] && echo " ($(cat "$TMP/status.err"))")"
	rc=0; bg_stop "$1" INT || rc=$?
	expect_eq "tcpdump stops cleanly on SIGINT" 0 $rc
	td_cap=$(sed -n 's/^\([0-9]*\) packets captured$/\1/p' "$TMP/tcpdump.log")
	td_rcv=$(sed -n 's/^\([0-9]*\) packets received by filter$/\1/p' "$TMP/tcpdump.log")
	expect_eq "tcpdump wrote every packet its filter received" "$td_rcv" "$td_cap"
}

# bed_tls_once CLIENT I PORT: one TLS handshake (and for curl and python3 a
# request) from client namespace I (1-based) to the bed's TLS server on
# PORT: CLIENT is curl, openssl (s_client), gnutls (gnutls-cli) or python3
# (ssl), each offering ALPN h2 and http/1.1; 10 s at most. Returns the
# client's exit status.
bed_tls_once() {
	local ns=${BED_CLIENTS[$2 - 1]} ip=$BED_SRV_IP host=$BED_TLS_NAME port=$3
	case $1 in
	curl)
		timeout 10 nsenter --net=/run/netns/"$ns" curl -sS -k --max-time 5 \
			--resolve "$host:$port:$ip" -o /dev/null "https://$host/";;
	openssl)
		timeout 10 nsenter --net=/run/netns/"$ns" openssl s_client -brief \
			-connect "$ip:$port" -servername "$host" -alpn h2,http/1.1 \
			</dev/null >/dev/null 2>&1;;
	gnutls)
		timeout 10 nsenter --net=/run/netns/"$ns" gnutls-cli --insecure \
			--sni-hostname "$host" --alpn h2 --alpn http/1.1 --port $port "$ip" \
			</dev/null >/dev/null 2>&1;;
	python3)
		timeout 10 nsenter --net=/run/netns/"$ns" "$BED_PY" -c '
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
ctx.set_alpn_protocols(["h2", "http/1.1"])
with socket.create_connection((sys.argv[1], int(sys.argv[3])), timeout=5) as c:
    with ctx.wrap_socket(c, server_hostname=sys.argv[2]) as s:
        s.sendall(b"HEAD / HTTP/1.1\r\nHost: %s\r\n\r\n" % sys.argv[2].encode())
        while s.recv(4096):
            pass' "$ip" "$host" $port;;
	esac
}

# pg_start: a PostgreSQL 15 cluster of the test's own (a folder under $TMP,
# a free port, the socket only there, trust authentication, the hll
# extension available), stopped at exit. Sets PGDIR, PGPORT and PG_URL (a
# database "hydrascope", created empty). Skips the file without the
# packages; fails it if the cluster will not start.
PG_BIN=/usr/lib/postgresql/15/bin
pg_start() {
	if [ ! -x "$PG_BIN/initdb" ] || [ ! -f /usr/share/postgresql/15/extension/hll.control ]; then
		skip "$(basename "$0")" "needs postgresql-15 and postgresql-15-hll"; exit 0
	fi
	PGDIR=$TMP/pg
	mkdir -p "$PGDIR" && chown postgres "$PGDIR" && chmod 700 "$PGDIR" || return 1
	chmod 755 "$TMP"
	PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	su postgres -s /bin/sh -c "$PG_BIN/initdb -D '$PGDIR/data' -A trust -U postgres >'$PGDIR/initdb.log' 2>&1" ||
		{ fail "initdb: $(tail -3 "$PGDIR/initdb.log")"; return 1; }
	pg_ctl_start || return 1
	cleanup_push "su postgres -s /bin/sh -c \"$PG_BIN/pg_ctl -D '$PGDIR/data' -m immediate stop\""
	PG_URL="postgresql://postgres@/hydrascope?host=$PGDIR&port=$PGPORT"
	export PGDIR PGPORT
	pg_sql postgres "CREATE DATABASE hydrascope" >/dev/null
}
# pg_ctl_start / pg_ctl_stop: start or stop the test's cluster (a database
# outage in the middle of a test)
pg_ctl_start() {
	su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$PGDIR/data' -w -l '$PGDIR/log' \
		-o \"-p $PGPORT -k '$PGDIR' -c listen_addresses= -c fsync=off\" start >/dev/null" ||
		{ fail "pg_ctl start: $(tail -3 "$PGDIR/log")"; return 1; }
}
pg_ctl_stop() {
	su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$PGDIR/data' -w -m fast stop >/dev/null"
}
# pg_sql DB SQL: one statement's rows, unaligned, '|' between fields
pg_sql() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$PGDIR" -p "$PGPORT" -U postgres -d "$1" -c "$2"
}
