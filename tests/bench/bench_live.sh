#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Live throughput (`make bench`): a generator of our own (bench_live gen:
# BPF_PROG_TEST_RUN in live-frames mode, XDP_TX) sends frames out of a
# veth; its peer, in a namespace of its own, runs the program under test
# natively. One test bed (a pair of namespaces, a veth between them) per
# program, all attached at once: the count-and-pass baseline (bench_live
# count), a real `hydrascope run` of today's program, and BENCH_LIVE_OLD
# (BASE_REV's binary, which `make bench` builds: .output/base/hydrascope;
# "" leaves it out), the program at issue 19's start; each of the two also
# without the handshake check ("counted", the hello class only). The generator sends
# each class to each bed in turn, BENCH_LIVE_CHUNKS (10) runs of N/CHUNKS
# frames a bed, their order turning, so that the VM's slow and fast phases
# (seconds long, up to +-30% here) fall on every program alike; rounds
# (BENCH_LIVE_ROUNDS, 3) repeat that, and a figure is the median of the
# rounds' (_min, _max: their range). The generator and the receiving side's
# XDP run on CPU 0, the runs' userspace on CPU 1.
# Per class (syn, hello, flood, flood_opts, quic: see bench_live.c;
# flood_opts also says how many of its new TCP fingerprints were shed and
# how full the map got; hello is a spoofed-ClientHello flood, no SYN before
# any of them: past the window's sample each costs a counter (issue 17: >=
# 0.8 of the baseline); hello_counted is the hello class through the run
# without the handshake check, every ClientHello counted) the packets the
# receiver saw per second of the generator's runs, each program's rate as
# a ratio of the baseline's, and today's over the old one's. Frames the
# receiver could not take in time are dropped by veth and not counted:
# what is measured is what the receiving side sustains. quic (issue 18) is
# a spoofed Initial flood (each a sealed version 1 Initial from a new
# address and port): besides its rate, what the program handed to
# userspace (within the budget, HS_QUIC_BUDGET Initials per CPU per
# window) and shed, what userspace decrypted and assembled; then, in a run
# of its own, a paced flood of BENCH_LIVE_QUIC_BUDGETED (4000) Initials
# that stays within one CPU's budget: how many userspace decrypted, and
# how fast (per second of the run's CPU time). Output: "name value unit".
# BENCH_LIVE_CLASSES="hello syn": only these classes.
. "$(dirname "$0")/../lib/lib.sh"
need_root
N=${BENCH_LIVE_FRAMES:-2000000}
CHUNKS=${BENCH_LIVE_CHUNKS:-10}
ROUNDS=${BENCH_LIVE_ROUNDS:-3}
GEN=$ROOT/.output/tests/bench_live
[ -x "$GEN" ] || { echo "bench_live: no $GEN (make bench builds it)" >&2; exit 1; }
OLD=${BENCH_LIVE_OLD-$ROOT/.output/base/hydrascope}
[ -n "$OLD" ] && [ ! -x "$OLD" ] && { echo "# bench_live: no $OLD: the old program left out"; OLD=; }
CLASSES=(${BENCH_LIVE_CLASSES:-syn hello flood flood_opts quic})
BEDS=(baseline new ${OLD:+old})
[[ " ${CLASSES[*]} " == *" hello "* ]] && BEDS+=(counted ${OLD:+old_counted})
# bed k: namespaces $TAG-gk (generator) and $TAG-rk (receiver), the same
# addresses in each
declare -A IDX BIN
for k in "${!BEDS[@]}"; do
	IDX[${BEDS[$k]}]=$k
	ns_add "$TAG-g$k" && ns_add "$TAG-r$k" &&
		veth_pair "$TAG-g$k" "${TAG}g$k" 198.18.0.1/24 "$TAG-r$k" "${TAG}r$k" 198.18.0.2/24 || {
		echo "bench_live: no test bed" >&2
		exit 1
	}
done
BIN[new]=$HS BIN[counted]=$HS BIN[old]=$OLD BIN[old_counted]=$OLD
PINS=/sys/fs/bpf/$TAG-live
cleanup_push "rm -rf $PINS-*"
# gen BED CLASS [COUNT [PPS]]: COUNT (N) frames of CLASS out of BED's
# generator veth (at most PPS a second); the seconds taken
gen() {
	local k=${IDX[$1]}
	nsenter --net=/run/netns/"$TAG-g$k" taskset -c 0 "$GEN" gen "${TAG}g$k" "$2" "${3:-$N}" ${4:+"$4"}
}

# status_of BED KEY...: the values, from BED's run's status -j (counters,
# or maps' entries)
status_of() {
	local b=$1; shift
	"${BIN[$b]}" status -j --pin-dir "$PINS-$b" 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
for k in sys.argv[1:]:
    print(s["maps"][k[:-8]]["entries"] if k.endswith("_entries") else s["counters"][k])' "$@"
}
# hs_run BED NAME ARGS...: BED's binary's `hydrascope run` on its receiver,
# attached, its userspace on CPU 1; its pid in HSPID[BED]
declare -A HSPID
hs_run() {
	local b=$1 name=$2 k=${IDX[$1]} pid; shift 2
	bg_job pid nsenter --net=/run/netns/"$TAG-r$k" taskset -c 1 "${BIN[$b]}" run -i "${TAG}r$k" \
		-m native --pin-dir "$PINS-$b" --state-dir "$TMP/state-$name" --alerts /dev/null "$@" \
		2>"$TMP/run-$name.log"
	HSPID[$b]=$pid
	if ! wait_for 10 grep -q attached "$TMP/run-$name.log"; then
		echo "bench_live: hydrascope run did not attach: $(head -c 300 "$TMP/run-$name.log")" >&2
		exit 1
	fi
}
# the count-and-pass program; count_now: what it has counted
bg_job CPID nsenter --net=/run/netns/"$TAG-r0" "$GEN" count "${TAG}r0" >"$TMP/count.out" 2>&1
wait_for 5 grep -q attached "$TMP/count.out" || { echo "bench_live: count did not attach" >&2; exit 1; }
count_now() {
	local n
	n=$(wc -l <"$TMP/count.out")
	kill -USR1 "$CPID"
	wait_for 5 test "$(wc -l <"$TMP/count.out")" -gt "$n"
	tail -n 1 "$TMP/count.out"
}
# packets_of BED: the packets BED's receiver has seen
packets_of() { if [ "$1" = baseline ]; then count_now; else status_of "$1" packets; fi; }
hs_run new new
[ -n "$OLD" ] && hs_run old old
[ -n "${IDX[counted]:-}" ] && hs_run counted counted --handshake none
[ -n "${IDX[old_counted]:-}" ] && hs_run old_counted old_counted --handshake none

# what the program handed over and shed, and what userspace made of it
QUIC_KEYS="quic_initials quic_initials_shed_budget quic_initials_shed_busy ringbuf_drops
	quic_datagrams_decrypted quic_hellos_assembled"
quic_now() { status_of new $QUIC_KEYS | tr '\n' ' '; }
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

# measure CLASS ROUND: CLASS to every bed that takes it, CHUNKS turns; a
# "BED CLASS ROUND packets/s" line each into RATES. In the first round,
# today's program also says what it made of a flood_opts or quic flood.
RATES=$TMP/rates
measure() {
	local cls=$1 r=$2 beds=() b c k s qb shed0 full0 shed1 full1 tcp_n
	declare -A before secs
	for b in "${BEDS[@]}"; do
		[[ "$b" = *counted ]] && [ "$cls" != hello ] && continue
		beds+=("$b")
	done
	# a tenth of N first, not measured: caches, queues and clocks settle
	for b in "${beds[@]}"; do
		gen "$b" "$cls" $((N / 10)) >/dev/null
	done
	[ "$cls" = quic ] && qb=$(quic_now)
	read -r shed0 full0 < <(status_of new tcp_fp_shed map_full | tr '\n' ' ')
	for b in "${beds[@]}"; do
		before[$b]=$(packets_of "$b")
		secs[$b]=0
	done
	for ((c = 0; c < CHUNKS; c++)); do
		for ((k = 0; k < ${#beds[@]}; k++)); do
			b=${beds[$(((k + c) % ${#beds[@]}))]}
			s=$(gen "$b" "$cls" $((N / CHUNKS)))
			secs[$b]=$(awk -v a="${secs[$b]}" -v s="$s" 'BEGIN { print a + s }')
		done
	done
	for b in "${beds[@]}"; do
		awk -v n="$(($(packets_of "$b") - before[$b]))" -v s="${secs[$b]}" -v b="$b" \
			-v c="$cls" -v r="$r" 'BEGIN { printf "%s %s %d %.0f\n", b, c, r, n / s }' >>"$RATES"
	done
	[ "$r" = 1 ] || return 0
	if [ "$cls" = flood_opts ]; then
		# every SYN a new TCP fingerprint: what the maps took and shed
		read -r shed1 full1 tcp_n < <(status_of new tcp_fp_shed map_full tcp_fps_entries |
			tr '\n' ' ')
		echo "live_flood_opts_tcp_fp_shed $((shed1 - shed0)) packets"
		echo "live_flood_opts_map_full $((full1 - full0)) packets"
		echo "live_flood_opts_tcp_fps_entries $tcp_n entries"
	fi
	if [ "$cls" = quic ]; then
		quic_counts "$qb" "$(quic_settled)" quic
	fi
}
for ((r = 1; r <= ROUNDS; r++)); do
	for cls in "${CLASSES[@]}"; do
		measure "$cls" "$r"
	done
done
sed 's/^/# round: /' "$RATES"
# medians over the rounds: of each rate, and of each round's ratios
python3 - "$RATES" <<'PY'
import collections, statistics, sys
rate = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    b, c, r, v = line.split()
    rate[(b, c)][int(r)] = float(v)
def ratio(name, a, b):
    rs = [rate[a][r] / rate[b][r] for r in rate[a] if rate[b].get(r)]
    if rs:
        print(f"live_{name} {statistics.median(rs):.2f} ratio")
        print(f"live_{name}_min {min(rs):.2f} ratio")
        print(f"live_{name}_max {max(rs):.2f} ratio")
for c in dict.fromkeys(c for b, c in rate):
    for b, label in (("baseline", "baseline_" + c), ("new", "hydrascope_" + c),
                     ("old", "old_" + c), ("counted", "hydrascope_" + c + "_counted"),
                     ("old_counted", "old_" + c + "_counted")):
        if (b, c) in rate:
            print(f"live_{label}_pps {statistics.median(rate[(b, c)].values()):.0f} packets/s")
    ratio(c + "_vs_baseline", ("new", c), ("baseline", c))
    if ("old", c) in rate:
        ratio("old_" + c + "_vs_baseline", ("old", c), ("baseline", c))
        ratio(c + "_new_vs_old", ("new", c), ("old", c))
    if ("counted", c) in rate:
        ratio(c + "_counted_vs_baseline", ("counted", c), ("baseline", c))
    if ("old_counted", c) in rate:
        ratio("old_" + c + "_counted_vs_baseline", ("old_counted", c), ("baseline", c))
        ratio(c + "_counted_new_vs_old", ("counted", c), ("old_counted", c))
PY
# quic within the budget: a fresh run (a whole budget), a paced flood under
# it; the run's CPU time (its threads' schedstat, in ns) from before the
# flood to userspace having decrypted what it was handed
cpu_s() { cat /proc/"$1"/task/*/schedstat | awk '{ t += $1 } END { printf "%.6f", t / 1e9 }'; }
if [[ " ${CLASSES[*]} " == *" quic "* ]]; then
	B=${BENCH_LIVE_QUIC_BUDGETED:-4000}
	bg_stop "${HSPID[new]}"
	hs_run new quic_budgeted
	sleep 1
	before=$(quic_now)
	c0=$(cpu_s "${HSPID[new]}")
	s=$(gen new quic "$B" "${BENCH_LIVE_QUIC_PPS:-20000}")
	after=$(quic_settled)
	c1=$(cpu_s "${HSPID[new]}")
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
fi
