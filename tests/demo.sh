#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `sudo make demo`: a throwaway test bed (network namespaces, nothing on the
# host's own network), hydrascope attached in native XDP mode, real TCP
# connections from three differently tuned client stacks, then what
# `hydrascope dump` and `hydrascope status` show. Everything is torn down
# on exit, however it exits.
if [ "$(id -u)" != 0 ]; then
	echo "demo.sh: needs root for network namespaces and XDP: run 'sudo make demo'" >&2
	exit 1
fi
. "$(dirname "$0")/lib.sh"
for c in ip ethtool python3 nsenter ps; do
	command -v "$c" >/dev/null ||
		{ echo "demo.sh: '$c' not found: run 'sudo make deps'" >&2; exit 1; }
done
[ -x "$HS" ] || { echo "demo.sh: $HS not built: run 'make'" >&2; exit 1; }

CLIENTS=3
CONNS=4
die() { echo "demo.sh: $*" >&2; exit 1; }
say() { printf '\n== %s\n' "$*"; }

say "Building a test bed in network namespaces (addresses from 198.18.0.0/15):"
echo "   a server listening on TCP ports ${BED_PORTS[*]}, a router, and $CLIENTS clients"
echo "   whose TCP stacks differ by sysctl (TTL, timestamps, SACK, window scaling, ECN, MSS)."
bed_net $CLIENTS >"$TMP/bed.log" || die "couldn't build the test bed: $(cat "$TMP/bed.log")"
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

say "What the running instance logged (one line per new TCP fingerprint):"
sleep 0.2  # let it drain its ring buffer
sed 's/^/   /' "$BED_HS_LOG"

say "hydrascope dump --pin-dir $BED_PINS   (SYNs, distinct source IPs and /24 networks per p0f signature)"
"$HS" dump --pin-dir "$BED_PINS" || die "dump failed"

say "hydrascope status --pin-dir $BED_PINS   (run inside the server's namespace)"
nsx "$BED_SRV" "$HS" status --pin-dir "$BED_PINS" || die "status failed"

say "Stopping hydrascope (SIGTERM detaches and removes the pins) and tearing the test bed down."
bg_stop "$BED_HS_PID" TERM || echo "demo.sh: hydrascope exited with status $?" >&2
exit 0
