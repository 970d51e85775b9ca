#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Replay throughput against userspace peers, one capture, one run (`make
# bench`): `hydrascope replay` beside `p0f -r` (the SYN side) and `tshark
# -T fields -e tls.handshake.ja3` (the ClientHello side). The capture is
# a 10-minute scenario (tests/scenario.py: every connection a SYN, an ACK
# and its ClientHello segments, as real clients sent them), so it is both
# SYN- and ClientHello-heavy. Wall time of each tool, best of 3; packets
# per second and hydrascope's ratio to each. Output: "name value unit".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HS=$ROOT/hydrascope
TMP=$(mktemp -d /tmp/hs-bench-replay.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
for c in p0f tshark capinfos python3; do
	command -v "$c" >/dev/null || { echo "bench_replay: $c missing (make deps)" >&2; exit 1; }
done
cap=$TMP/scenario.pcap
python3 "$ROOT/tests/scenario.py" --out "$cap" --minutes 10 --seed 7 -q || exit 1
pkts=$(capinfos -M -c "$cap" | awk -F': *' '/Number of packets/ { print $2 }')
syns=$(tshark -r "$cap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' 2>/dev/null | wc -l)
hellos=$(tshark -r "$cap" -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)
echo "replay_capture_packets $pkts packets"
echo "replay_capture_syns $syns packets"
echo "replay_capture_hellos $hellos packets"

# best CMD...: the best of 3 wall times of CMD, in seconds
best() {
	local i b=9999 t TIMEFORMAT=%R
	for i in 1 2 3; do
		t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
		b=$(awk -v a="$t" -v b="$b" 'BEGIN { print (a < b ? a : b) }')
	done
	echo "$b"
}
hs=$(best "$HS" replay "$cap")
p0f=$(best p0f -r "$cap")
tsh=$(best tshark -r "$cap" -T fields -e tls.handshake.ja3)
awk -v n="$pkts" -v hs="$hs" -v p="$p0f" -v t="$tsh" 'BEGIN {
	printf "replay_hydrascope_pps %.0f packets/s\n", n / hs
	printf "replay_p0f_pps %.0f packets/s\n", n / p
	printf "replay_tshark_ja3_pps %.0f packets/s\n", n / t
	printf "replay_vs_p0f %.1f ratio\n", p / hs
	printf "replay_vs_tshark %.1f ratio\n", t / hs
}'
