#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `sudo make demo`: a throwaway test bed (network namespaces, nothing on the
# host's own network), hydrascope attached in native XDP mode, real TCP
# connections from three differently tuned client stacks, then real TLS
# connections (curl from every client, plus openssl s_client and python3's
# ssl module) to a TLS server on 443 and 8443, then what `hydrascope dump`
# (TCP and TLS tables) and `hydrascope status` show. Everything is torn
# down on exit, however it exits.
if [ "$(id -u)" != 0 ]; then
	echo "demo.sh: needs root for network namespaces and XDP: run 'sudo make demo'" >&2
	exit 1
fi
. "$(dirname "$0")/../lib/lib.sh"
for c in ip ethtool python3 nsenter ps openssl curl timeout; do
	command -v "$c" >/dev/null ||
		{ echo "demo.sh: '$c' not found: run 'sudo make deps'" >&2; exit 1; }
done
[ -x "$HS" ] || { echo "demo.sh: $HS not built: run 'make'" >&2; exit 1; }

CLIENTS=3
CONNS=4
TLS_PORTS=(443 8443)
BED_PORTS=(80 8080)   # plain TCP; the TLS server has 443 and 8443
die() { echo "demo.sh: $*" >&2; exit 1; }
say() { printf '\n== %s\n' "$*"; }

say "Building a test bed in network namespaces (addresses from 198.18.0.0/15):"
echo "   a server listening on TCP ports ${BED_PORTS[*]} and with TLS on ${TLS_PORTS[*]}, a router,"
echo "   and $CLIENTS clients whose TCP stacks differ by sysctl (TTL, timestamps, SACK,"
echo "   window scaling, ECN, MSS)."
bed_net $CLIENTS >"$TMP/bed.log" || die "couldn't build the test bed: $(cat "$TMP/bed.log")"
bed_tls_server "${TLS_PORTS[@]}" >"$TMP/tls.log" ||
	die "couldn't start the TLS server: $(cat "$TMP/tls.log")"
for ((i = 1; i <= CLIENTS; i++)); do
	printf '   client %d  %-12s %s\n' $i "${BED_CLIENT_IPS[i - 1]}" "${BED_CLIENT_PROFILES[i - 1]}"
done

say "Attaching hydrascope to $BED_DEV, the server's interface facing the router:"
echo "   hydrascope run -i $BED_DEV -m native --pin-dir $BED_PINS"
BED_HS_LOG=$TMP/run.log
hs_start BED_HS_PID "$BED_PINS" "$BED_HS_LOG" || die "hydrascope run did not attach (its output is above)"
sed 's/^/   /' "$BED_HS_LOG"

say "Each client makes $CONNS TCP connections to the server:"
for ((i = 1; i <= CLIENTS; i++)); do
	n=$(bed_connect $i $CONNS 2>"$TMP/conn.err")
	printf '   client %d: %s of %d connections succeeded%s\n' $i "${n:-0}" $CONNS \
		"$([ -s "$TMP/conn.err" ] && echo " ($(head -n 1 "$TMP/conn.err"))")"
done

say "Then TLS: every client fetches https://$BED_TLS_NAME/ twice with curl (one client software"
echo "   stack seen from three addresses, networks and TCP stacks), client 2 also connects"
echo "   with openssl s_client and client 3 with python3's ssl module:"
# tls_client I KIND: one TLS connection from client I; prints what it got
tls_client() {
	local ns=/run/netns/${BED_CLIENTS[$1 - 1]} ip=$BED_SRV_IP host=$BED_TLS_NAME
	case $2 in
	curl)
		timeout 20 nsenter --net="$ns" curl -sS -k --max-time 10 --resolve "$host:443:$ip" \
			-o /dev/null -w 'HTTP %{http_code}' "https://$host/";;
	openssl)
		timeout 20 nsenter --net="$ns" openssl s_client -brief -connect "$ip:8443" \
			-servername "$host" -alpn h2,http/1.1 </dev/null 2>&1 | grep -m1 -o 'TLSv1\.[0-9]'
		return "${PIPESTATUS[0]}";;
	python3)
		timeout 20 nsenter --net="$ns" "$BED_PY" -c '
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
with socket.create_connection((sys.argv[1], 8443), timeout=10) as c:
    with ctx.wrap_socket(c, server_hostname=sys.argv[2]) as s:
        print(s.version())' "$ip" "$host";;
	esac
}
for ((i = 1; i <= CLIENTS; i++)); do
	kinds="curl curl"
	((i == 2)) && kinds+=" openssl"
	((i == 3)) && kinds+=" python3"
	for k in $kinds; do
		got=$(tls_client $i "$k" 2>"$TMP/tls.err") || got="failed${got:+: $got}"
		printf '   client %d  %-8s %s%s\n' $i "$k" "$got" \
			"$([ -s "$TMP/tls.err" ] && echo " ($(head -n 1 "$TMP/tls.err"))")"
	done
done

say "What the running instance logged (one line per new TCP or TLS fingerprint):"
sleep 0.2  # let it drain its ring buffer
sed 's/^/   /' "$BED_HS_LOG"

say "hydrascope dump --pin-dir $BED_PINS"
echo "   TCP: SYNs, distinct source IPs and /24 networks per p0f signature."
echo "   TLS: connections, distinct source IPs, /24 networks and TCP signatures per JA4;"
echo "   curl's JA4 comes from all three clients, each a different TCP stack."
echo
"$HS" dump --pin-dir "$BED_PINS" || die "dump failed"

say "hydrascope status --pin-dir $BED_PINS   (run inside the server's namespace)"
nsx "$BED_SRV" "$HS" status --pin-dir "$BED_PINS" || die "status failed"

say "Stopping hydrascope (SIGTERM detaches and removes the pins) and tearing the test bed down."
bg_stop "$BED_HS_PID" TERM || echo "demo.sh: hydrascope exited with status $?" >&2
exit 0
