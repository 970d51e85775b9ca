#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Live throughput (`make bench`): a generator of our own (bench_live gen:
# BPF_PROG_TEST_RUN in live-frames mode, XDP_TX) sends frames out of a
# veth in one namespace; its peer in another runs the program under test
# natively: the count-and-pass baseline (bench_live count), then a real
# `hydrascope run`. Per class (syn, hello, flood, flood_opts, quic: see
# bench_live.c; flood_opts also says how many of its new TCP fingerprints
# were shed and how full the map got; hello is a spoofed-ClientHello flood,
# no SYN before any of them: past the window's sample each costs a
# counter (issue 17: >= 0.8 of the baseline); hello_counted is the hello class
# through a run without the handshake check, every ClientHello counted) the
# packets the receiver saw per second of the generator's run, and
# hydrascope's rate as a ratio of the baseline's. Frames the receiver could
# not take in time are dropped by veth and not counted: what is measured is
# what the receiving side sustains. quic (issue 18) is a spoofed Initial
# flood (each a sealed version 1 Initial from a new address and port):
# besides its rate, what the program handed to userspace (within the
# budget, HS_QUIC_BUDGET Initials per CPU per window) and shed, what
# userspace decrypted and assembled; then, in a run of its own, a paced
# flood of BENCH_LIVE_QUIC_BUDGETED (4000) Initials that stays within one
# CPU's budget: how many userspace decrypted, and how fast (per second of
# the run's CPU time). Output: "name value unit".
# BENCH_LIVE_CLASSES="hello syn": only these classes.
. "$(dirname "$0")/../lib/lib.sh"
need_root
N=${BENCH_LIVE_FRAMES:-2000000}
GEN=$ROOT/.output/tests/bench_live
[ -x "$GEN" ] || { echo "bench_live: no $GEN (make bench builds it)" >&2; exit 1; }
G=$TAG-g R=$TAG-r PINS=/sys/fs/bpf/$TAG-live
ns_add "$G" && ns_add "$R" &&
	veth_pair "$G" "${TAG}g" 198.18.0.1/24 "$R" "${TAG}r" 198.18.0.2/24 || {
	echo "bench_live: no test bed" >&2
	exit 1
}
# gen CLASS [COUNT [PPS]]: COUNT (N) frames of CLASS out of the generator's
# veth (at most PPS a second); the seconds taken
gen() { nsenter --net=/run/netns/"$G" "$GEN" gen "${TAG}g" "$1" "${2:-$N}" ${3:+"$3"}; }

declare -A base
CLASSES=(${BENCH_LIVE_CLASSES:-syn hello flood flood_opts quic})
for cls in "${CLASSES[@]}"; do
	bg_job pid nsenter --net=/run/netns/"$R" "$GEN" count "${TAG}r" >"$TMP/count.out" 2>&1
	wait_for 5 grep -q attached "$TMP/count.out"
	s=$(gen "$cls")
	bg_stop "$pid"
	got=$(tail -n 1 "$TMP/count.out")
	base[$cls]=$(awk -v n="$got" -v s="$s" 'BEGIN { printf "%.0f", n / s }')
	echo "live_baseline_${cls}_pps ${base[$cls]} packets/s"
done

# status_of KEY...: the values, from status -j (counters, or maps' entries)
status_of() {
	"$HS" status -j --pin-dir "$PINS" 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
for k in sys.argv[1:]:
    print(s["maps"][k[:-8]]["entries"] if k.endswith("_entries") else s["counters"][k])' "$@"
}
packets() { status_of packets; }
cleanup_push "rm -rf $PINS"
# hs_run NAME ARGS...: a `hydrascope run` on the receiver, attached
hs_run() {
	local name=$1; shift
	bg_job hs nsenter --net=/run/netns/"$R" "$HS" run -i "${TAG}r" -m native --pin-dir "$PINS" \
		--state-dir "$TMP/state-$name" --alerts /dev/null "$@" 2>"$TMP/run-$name.log"
	if ! wait_for 10 grep -q attached "$TMP/run-$name.log"; then
		echo "bench_live: hydrascope run did not attach: $(head -c 300 "$TMP/run-$name.log")" >&2
		exit 1
	fi
}
# measure CLASS NAME: CLASS through the running instance, reported as NAME
measure() {
	local cls=$1 name=$2 before shed0 full0 after shed1 full1 tcp_n s
	read -r before shed0 full0 < <(status_of packets tcp_fp_shed map_full | tr '\n' ' ')
	s=$(gen "$cls")
	read -r after shed1 full1 tcp_n < <(status_of packets tcp_fp_shed map_full tcp_fps_entries |
		tr '\n' ' ')
	awk -v n="$((after - before))" -v s="$s" -v b="${base[$cls]}" -v c="$name" 'BEGIN {
		printf "live_hydrascope_%s_pps %.0f packets/s\n", c, n / s
		printf "live_%s_vs_baseline %.2f ratio\n", c, n / s / b
	}'
	if [ "$cls" = flood_opts ]; then
		# every SYN a new TCP fingerprint: what the maps took and shed
		echo "live_flood_opts_syns $((after - before)) packets"
		echo "live_flood_opts_tcp_fp_shed $((shed1 - shed0)) packets"
		echo "live_flood_opts_map_full $((full1 - full0)) packets"
		echo "live_flood_opts_tcp_fps_entries $tcp_n entries"
	fi
	if [ "$cls" = quic ]; then
		quic_counts "$QUIC_BEFORE" "$(quic_settled)" quic
	fi
}
# what the program handed over and shed, and what userspace made of it
QUIC_KEYS="quic_initials quic_initials_shed_budget quic_initials_shed_busy ringbuf_drops
	quic_datagrams_decrypted quic_hellos_assembled"
quic_now() { status_of $QUIC_KEYS | tr '\n' ' '; }
# quic_settled: the counts once userspace has caught up (decrypted still for
# half a second; 10 s at most)
quic_settled() {
	local prev="" cur i
	for ((i = 0; i < 100; i++)); do
		cur=$(quic_now)
		[ "$cur" = "$prev" ] && break
		prev=$cur
		sleep 0.5
	done
	echo "$cur"
}
# quic_counts BEFORE AFTER PREFIX: the differences, one figure each
quic_counts() {
	local k b a
	read -ra b <<<"$1"
	read -ra a <<<"$2"
	k=($QUIC_KEYS)
	for i in "${!k[@]}"; do
		echo "live_${3}_${k[$i]} $((a[i] - b[i])) packets"
	done
}
hs_run default
for cls in "${CLASSES[@]}"; do
	[ "$cls" = quic ] && QUIC_BEFORE=$(quic_now)
	measure "$cls" "$cls"
done
bg_stop "$hs"
# quic within the budget: a fresh run (a whole budget), a paced flood under
# it; the run's CPU time (its threads' schedstat, in ns) from before the
# flood to userspace having decrypted what it was handed
cpu_s() { cat /proc/"$1"/task/*/schedstat | awk '{ t += $1 } END { printf "%.6f", t / 1e9 }'; }
if [[ " ${CLASSES[*]} " == *" quic "* ]]; then
	B=${BENCH_LIVE_QUIC_BUDGETED:-4000}
	hs_run quic_budgeted
	sleep 1
	before=$(quic_now)
	c0=$(cpu_s "$hs")
	s=$(gen quic "$B" "${BENCH_LIVE_QUIC_PPS:-20000}")
	after=$(quic_settled)
	c1=$(cpu_s "$hs")
	quic_counts "$before" "$after" quic_budgeted
	read -ra b <<<"$before"
	read -ra a <<<"$after"
	dec=$((a[4] - b[4]))
	awk -v n="$dec" -v c="$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" -v s="$s" -v sent="$B" 'BEGIN {
		printf "live_quic_budgeted_sent %d packets\n", sent
		printf "live_quic_budgeted_gen_s %.3f s\n", s
		if (s > 0)
			printf "live_quic_budgeted_sent_pps %.0f packets/s\n", sent / s
		printf "live_quic_budgeted_user_cpu_s %.4f s\n", c
		if (c > 0)
			printf "live_quic_budgeted_decrypted_per_cpu_s %.0f Initials/s\n", n / c
	}'
	bg_stop "$hs"
fi
# the hello class's ClientHellos have no SYN before them: left out by the
# handshake check, walked only within the window's sample. Counted in
# full (walk, entry, sketches, samples), as a real connection's are,
# without the check (when hello is among the classes: its baseline):
if [ -n "${base[hello]:-}" ]; then
	hs_run counted --handshake none
	measure hello hello_counted
	bg_stop "$hs"
fi
