#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Replay throughput against userspace peers, side by side in one run (`make
# bench`): `hydrascope replay` beside `p0f -r` on a SYN-heavy capture and
# beside `tshark -T fields -e tls.handshake.ja3` on a ClientHello-heavy
# one. The ClientHello-heavy capture is a 10-minute scenario
# (tests/lib/scenario.py: every connection a SYN, an ACK and its ClientHello
# segments, as real clients sent them); the SYN-heavy one is its SYNs and
# SYN-ACKs alone. Wall time of each tool, best of 3, over the whole
# capture: packets per second and hydrascope's ratio to the peer. Each
# tool also has a fixed cost (hydrascope: loading and verifying the XDP
# program; tshark: its dissectors), timed on the capture's first packet:
# the *_steady figures leave it out (packets per second of the rest).
# Output: "name value unit".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HS=$ROOT/hydrascope
TMP=$(mktemp -d /tmp/hs-bench-replay.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
for c in p0f tshark tcpdump capinfos python3; do
	command -v "$c" >/dev/null || { echo "bench_replay: $c missing (make deps)" >&2; exit 1; }
done
hello=$TMP/hello.pcap syn=$TMP/syn.pcap
python3 "$ROOT/tests/lib/scenario.py" --out "$hello" --minutes 10 --seed 7 -q || exit 1
tcpdump -r "$hello" -w "$syn" 'tcp[13] & 2 != 0' 2>/dev/null || exit 1
for c in hello syn; do
	tcpdump -r "$TMP/$c.pcap" -w "$TMP/$c-1.pcap" -c 1 2>/dev/null || exit 1
done
packets() { capinfos -M -c "$1" | awk -F': *' '/Number of packets/ { print $2 }'; }
n_hello=$(packets "$hello")
n_syn=$(packets "$syn")
hellos=$(tshark -r "$hello" -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)
echo "replay_syn_capture_packets $n_syn packets"
echo "replay_hello_capture_packets $n_hello packets"
echo "replay_hello_capture_hellos $hellos packets"

# best CMD...: the best of 3 wall times of CMD, in seconds
best() {
	local i b=9999 t TIMEFORMAT=%R
	for i in 1 2 3; do
		t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
		b=$(awk -v a="$t" -v b="$b" 'BEGIN { print (a < b ? a : b) }')
	done
	echo "$b"
}
# side CAPTURE N PEER NAME CMD...: hydrascope and the peer CMD (the
# capture appended) on CAPTURE of N packets, whole and steady
side() {
	local cap=$1 n=$2 peer=$3 name=$4 hs hs1 p p1; shift 4
	hs=$(best "$HS" replay "$TMP/$cap.pcap")
	hs1=$(best "$HS" replay "$TMP/$cap-1.pcap")
	p=$(best "$@" "$TMP/$cap.pcap")
	p1=$(best "$@" "$TMP/$cap-1.pcap")
	awk -v n="$n" -v hs="$hs" -v hs1="$hs1" -v p="$p" -v p1="$p1" -v c="$cap" \
		-v peer="$peer" -v name="$name" 'BEGIN {
		sh = hs - hs1; sp = p - p1
		if (sh <= 0) sh = 0.001
		if (sp <= 0) sp = 0.001
		printf "replay_%s_hydrascope_pps %.0f packets/s\n", c, n / hs
		printf "replay_%s_%s_pps %.0f packets/s\n", c, name, n / p
		printf "replay_vs_%s %.1f ratio\n", peer, p / hs
		printf "replay_%s_hydrascope_fixed %.3f s\n", c, hs1
		printf "replay_%s_%s_fixed %.3f s\n", c, name, p1
		printf "replay_%s_hydrascope_steady_pps %.0f packets/s\n", c, (n - 1) / sh
		printf "replay_%s_%s_steady_pps %.0f packets/s\n", c, name, (n - 1) / sp
		printf "replay_vs_%s_steady %.1f ratio\n", peer, sp / sh
	}'
}
side syn "$n_syn" p0f p0f p0f -r
side hello "$n_hello" tshark tshark_ja3 tshark -T fields -e tls.handshake.ja3 -r
