#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The fuzzers (`make fuzz`; briefly in `make check` through t_fuzz.sh): each
# libFuzzer target tests/fuzz/fuzz_*.c (ASan and UBSan; built by `make tests`)
# runs for SECONDS from seed corpora made here of real inputs, as many
# targets at a time as there are CPUs. TAP output,
# one line per fuzzer: executions, corpus size, seconds, or what crashed and
# where the input that did it was saved. Exit status 0 when all ran clean.
#
# Usage: tests/fuzz/fuzz.sh [-t SECONDS] [-r MIN_RUNS] [-n] [-p] [NAME...]
#   -t  seconds per fuzzer (default $FUZZ_SECONDS, else 600)
#   -r  a fuzzer that executes fewer inputs fails (default 1000)
#   -n  a fresh corpus in a temporary folder, not .output/fuzz/corpus/NAME
#       (which grows from run to run)
#   -p  the XDP program's packet fuzzer too (test_pktfuzz, below)
#   NAME  only the fuzzers whose name contains one of these
#
# Seeds, remade at each run in .output/fuzz/seeds/NAME (the public captures
# in $VECTORS are read where they are, never copied into the repository):
#   fuzz_pcap    tests/data/templates' real client captures, mkpcap.py SYNs under
#                each link type and in a frame of 70,000 bytes, a short
#                scenario.py capture, public captures of up to 64 KB
#   fuzz_event, fuzz_ja4, fuzz_p0f, fuzz_state
#                what the code makes of all those captures (tests/fuzz/mkseeds.c:
#                the real XDP program's ring-buffer records, hellos and SYN
#                signatures, the detector's saved state; needs root)
#   fuzz_config  dist/hydrascope.conf, with its allowlist lines uncommented,
#                and the README's example
#   fuzz_p0fdb   p0f's own database (/etc/p0f/p0f.fp) and its first part
#   fuzz_quic    client datagrams and Initials' frames (tests/fuzz/mkseeds_quic.c:
#                the RFC 9001 and RFC 9369 sample Initials, a Chromium-like hello
#                split over two Initials, coalesced packets, a Retry, frames)
#   fuzz_seen    tests/fuzz/seeds/fuzz_seen/ alone: seen history files
#   fuzz_hllpg   tests/fuzz/seeds/fuzz_hllpg/ alone: sketches PostgreSQL's hll
#                extension made (EMPTY, EXPLICIT, SPARSE, FULL)
# plus what tests/fuzz/seeds/NAME/ holds (small seeds, and inputs that once
# crashed a target: kept so that every run replays them).
#
# Another kind of fuzzer is one more step at the end.
. "$(dirname "$0")/../lib/lib.sh"
cd "$ROOT" || exit 1
OUT=${HS_OUT:-.output}
FUZZ=.output/fuzz
seconds=${FUZZ_SECONDS:-600} min_runs=1000 corpus=$FUZZ/corpus pkt=
while getopts t:r:np o; do
	case $o in
	p) pkt=1;;
	t) seconds=$OPTARG;;
	r) min_runs=$OPTARG;;
	n) corpus=$TMP/corpus;;
	*) echo "usage: tests/fuzz/fuzz.sh [-t SECONDS] [-r MIN_RUNS] [-n] [-p] [NAME...]" >&2; exit 2;;
	esac
done
shift $((OPTIND - 1))
names=("$@")
mkdir -p "$FUZZ/logs" "$FUZZ/crashes"

wanted() {
	local n
	[ ${#names[@]} -eq 0 ] && return 0
	for n in "${names[@]}"; do [[ $1 == *"$n"* ]] && return 0; done
	return 1
}

# pcap_head IN OUT BYTES: the packets of a little-endian pcap that fit
pcap_head() {
	python3 - "$@" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
o = 24
while o + 16 <= len(d):
    n = struct.unpack_from("<I", d, o + 8)[0]
    if o + 16 + n > int(sys.argv[3]):
        break
    o += 16 + n
open(sys.argv[2], "wb").write(d[:o])
EOF
}

make_seeds() {
	local s=$FUZZ/seeds t f lt caps=() rc
	rm -rf "$s"
	for t in "$FUZZ"/fuzz_*; do
		[ -x "$t" ] && mkdir -p "$s/$(basename "$t")"
	done
	mkdir -p "$s/fuzz_pcap" "$s/fuzz_config" "$s/fuzz_p0fdb"
	# captures
	cp tests/data/templates/*.pcap "$s/fuzz_pcap/"
	for lt in 1 0 101 108 113 228 229 276; do
		python3 tests/lib/mkpcap.py "$s/fuzz_pcap/mkpcap-$lt.pcap" --count 3 --linktype $lt
	done
	python3 tests/lib/mkpcap.py "$s/fuzz_pcap/mkpcap-big.pcap" --count 1 --frame-bytes 70000
	python3 tests/lib/scenario.py --out "$TMP/scenario.pcap" --minutes 1 --scale 0.002 \
		--no-hydra -q && pcap_head "$TMP/scenario.pcap" "$s/fuzz_pcap/scenario.pcap" 65536
	caps=("$s"/fuzz_pcap/*.pcap)
	for f in "$VECTORS"/foxio-ja4/*.pcap "$VECTORS"/foxio-ja4/*.pcapng; do
		[ -f "$f" ] || continue
		caps+=("$f")
		[ "$(stat -c %s "$f")" -le 65536 ] && ln -s "$(realpath "$f")" "$s/fuzz_pcap/"
	done
	[ -d "$VECTORS" ] || echo "# no public captures in $VECTORS: seeds without them"
	# what the code makes of them
	"$OUT/tests/mkseeds" "$s" "${caps[@]}" | sed 's/^/# /'
	rc=${PIPESTATUS[0]}
	[ "$rc" = 3 ] && echo "# no seeds from the XDP program (it needs root)"
	[ "$rc" = 0 ] || [ "$rc" = 3 ] || { echo "# mkseeds failed ($rc)"; return 1; }
	if [ -d "$s/fuzz_quic" ]; then
		"$OUT/tests/mkseeds_quic" "$s/fuzz_quic" || { echo "# mkseeds_quic failed"; return 1; }
	fi
	# configuration files
	cp dist/hydrascope.conf "$s/fuzz_config/dist.conf"
	sed -E 's/^;(\[allow|ja4 =|min_ips =|growth =)/\1/' dist/hydrascope.conf \
		>"$s/fuzz_config/dist-allow.conf"
	sed -n '/^```ini/,/^```/p' README.md | sed '1d;$d' >"$s/fuzz_config/readme.conf"
	# p0f's database
	if [ -f /etc/p0f/p0f.fp ]; then
		cp /etc/p0f/p0f.fp "$s/fuzz_p0fdb/"
		head -n 200 /etc/p0f/p0f.fp >"$s/fuzz_p0fdb/head.fp"
	fi
	for t in "$s"/*; do
		[ -d "tests/fuzz/seeds/$(basename "$t")" ] && cp tests/fuzz/seeds/"$(basename "$t")"/* "$t/"
	done
	for t in "$s"/*; do echo "# seeds of $(basename "$t"): $(ls "$t" | wc -l)"; done
}

# libfuzzer NAME: one target for $seconds; its result into
# $FUZZ/results/NAME: "ok MESSAGE" or "fail MESSAGE", then "# " lines
libfuzzer() {
	local name=$1 bin=$FUZZ/$1 log=$FUZZ/logs/$1.log res=$FUZZ/results/$1 rc runs corp crash start secs
	mkdir -p "$corpus/$name"
	start=$(date +%s)
	# -close_fd_mask=3: what the code prints goes; libFuzzer's and the
	# sanitizers' reports stay
	"$bin" "$corpus/$name" "$FUZZ/seeds/$name" -max_total_time="$seconds" -timeout=10 \
		-close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$FUZZ/crashes/$name-" \
		>"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' "$log" | tail -n 1)
	if [ $rc -ne 0 ]; then
		crash=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
		{
			echo "fail $name: exit $rc after ${runs:-?} runs in $secs s: $(grep -m1 -E 'check failed|ERROR:' "$log")${crash:+; input saved as $crash}"
			grep -E 'check failed|ERROR:|^SUMMARY|^    #[0-9]+ .* in [a-z_0-9]+ /.*/(user|tests)/' "$log" |
				head -n 12 | sed 's/^/# /'
		} >"$res"
	elif [ "${runs:-0}" -lt "$min_runs" ]; then
		echo "fail $name: only ${runs:-0} runs in $secs s (at least $min_runs expected; log $log)" >"$res"
	else
		echo "ok $name: $runs runs in $secs s, corpus $corp inputs, no crash" >"$res"
	fi
}

make_seeds || { fail "seed corpora"; done_testing; }
# the targets as many at a time as there are CPUs (each is one process),
# their TAP lines in name order once all are done
rm -rf "$FUZZ/results"
mkdir -p "$FUZZ/results"
targets=()
for t in "$FUZZ"/fuzz_*; do
	[ -x "$t" ] && wanted "$(basename "$t")" || continue
	targets+=("$(basename "$t")")
	while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n; done
	libfuzzer "$(basename "$t")" &
done
wait
for name in "${targets[@]}"; do
	if [ ! -s "$FUZZ/results/$name" ]; then
		fail "$name: no result (log $FUZZ/logs/$name.log)"
		continue
	fi
	read -r st msg <"$FUZZ/results/$name"
	if [ "$st" = ok ]; then ok "$msg"; else fail "$msg"; fi
	tail -n +2 "$FUZZ/results/$name"
done
# -p: the packet fuzzer of the XDP program too (test_pktfuzz,
# BPF_PROG_TEST_RUN, needs root), as long, without a packet limit (make
# check runs it on its own, 300,000 packets)
if [ -n "$pkt" ] && wanted test_pktfuzz; then
	log=$FUZZ/logs/test_pktfuzz.log
	if [ "$(id -u)" != 0 ]; then
		skip test_pktfuzz "not root: BPF_PROG_TEST_RUN of XDP needs root"
	elif HS_FUZZ_PACKETS=$((1 << 62)) HS_FUZZ_SECONDS=$seconds CMOCKA_MESSAGE_OUTPUT=TAP \
		"$OUT/tests/test_pktfuzz" >"$log" 2>&1; then
		ok "test_pktfuzz: $(sed -n 's/^# \([0-9]* packets in [0-9.]* s\).*/\1/p' "$log"), all XDP_PASS, counters and map entries consistent"
	else
		fail "test_pktfuzz: $(grep -m1 -E '^# packet|problems' "$log") (log $log)"
	fi
fi
done_testing
