#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Live throughput (`make bench`): a generator of our own (bench_live gen:
# BPF_PROG_TEST_RUN in live-frames mode, XDP_TX) sends frames out of a
# veth in one namespace; its peer in another runs the program under test
# natively: the count-and-pass baseline (bench_live count), then a real
# `hydrascope run`. Per class (syn, hello, flood: see bench_live.c) the
# packets the receiver saw per second of the generator's run, and
# hydrascope's rate as a ratio of the baseline's. Frames the receiver could
# not take in time are dropped by veth and not counted: what is measured is
# what the receiving side sustains. Output: "name value unit".
. "$(dirname "$0")/lib.sh"
need_root
N=${BENCH_LIVE_FRAMES:-2000000}
GEN=$ROOT/.output/tests/bench_live
G=$TAG-g R=$TAG-r PINS=/sys/fs/bpf/$TAG-live
ns_add "$G" && ns_add "$R" &&
	veth_pair "$G" "${TAG}g" 198.18.0.1/24 "$R" "${TAG}r" 198.18.0.2/24 || {
	echo "bench_live: no test bed" >&2
	exit 1
}
# gen CLASS: N frames of CLASS out of the generator's veth; the seconds taken
gen() { nsenter --net=/run/netns/"$G" "$GEN" gen "${TAG}g" "$1" "$N"; }

declare -A base
for cls in syn hello flood; do
	bg_job pid nsenter --net=/run/netns/"$R" "$GEN" count "${TAG}r" >"$TMP/count.out" 2>&1
	wait_for 5 grep -q attached "$TMP/count.out"
	s=$(gen "$cls")
	bg_stop "$pid"
	got=$(tail -n 1 "$TMP/count.out")
	base[$cls]=$(awk -v n="$got" -v s="$s" 'BEGIN { printf "%.0f", n / s }')
	echo "live_baseline_${cls}_pps ${base[$cls]} packets/s"
done

packets() {
	"$HS" status -j --pin-dir "$PINS" 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["counters"]["packets"])'
}
cleanup_push "rm -rf $PINS"
bg_job hs nsenter --net=/run/netns/"$R" "$HS" run -i "${TAG}r" -m native --pin-dir "$PINS" \
	--state-dir "$TMP/state" --alerts /dev/null 2>"$TMP/run.log"
if ! wait_for 10 grep -q attached "$TMP/run.log"; then
	echo "bench_live: hydrascope run did not attach: $(head -c 300 "$TMP/run.log")" >&2
	exit 1
fi
for cls in syn hello flood; do
	before=$(packets)
	s=$(gen "$cls")
	after=$(packets)
	awk -v n="$((after - before))" -v s="$s" -v b="${base[$cls]}" -v c="$cls" 'BEGIN {
		printf "live_hydrascope_%s_pps %.0f packets/s\n", c, n / s
		printf "live_%s_vs_baseline %.2f ratio\n", c, n / s / b
	}'
done
bg_stop "$hs"
