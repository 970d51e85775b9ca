#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs the tests and ends with one line: "N passed, N failed, N skipped".
# The tests live by kind (tests/README.md), run in this order:
#   tests/KIND/test_*.c   C tests (cmocka), run as HS_OUT/tests/test_*
#   tests/KIND/t_*.sh     shell tests
# for KIND in unit cli bpf replay fuzz live; then any tests/t_*.sh not
# sorted into a kind yet. Each prints TAP lines. Under CI=true a skipped
# test counts as failed. unit, cli, bpf and replay run HS_JOBS at a time
# (default: the CPUs), their summary lines printed in order at the end.
# Usage: tests/run.sh [FILTER...]: only the tests whose source path
# contains one of the FILTERs (tests/run.sh unit/ cli/, tests/run.sh tls).
# Another build (make check SANITIZE=1 sets both): HS_OUT its output folder
# (C tests in HS_OUT/tests, logs in HS_OUT/test-logs), HS_BIN its binary
# (the shell tests' $HS, tests/lib/lib.sh). t_fuzz.sh is left out there:
# the fuzz targets it runs are sanitizer builds whatever the build; and
# test_reasm runs its quick form there (HS_REASM_QUICK=1: every kind of
# cut, a sixteenth of the positions): the cuts test the XDP program, the
# same object in both builds, run in full in the first pass; the
# sanitizers check the test's own C, which the quick form runs the same.
set -u
cd "$(dirname "$0")/.."
filters=("$@")
pass=0 fail=0 skip=0
out=${HS_OUT:-.output}
logdir=$out/test-logs
mkdir -p "$logdir"
# For a sanitizer build; the others ignore them. Any report fails the
# test: ASan and UBSan stop the process, LeakSanitizer fails its exit
# status; the leaks of libraries, not ours, are in tests/lib/lsan.supp.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lib/lsan.supp:print_suppressions=0}
[ "$out" != .output ] && export HS_REASM_QUICK=${HS_REASM_QUICK:-1}

run_one() {
	local t=$1 name log rc line p=0 f=0 s=0 start
	name=$(basename "$t")
	log=$logdir/$name.log
	start=$(date +%s)
	CMOCKA_MESSAGE_OUTPUT=TAP timeout --kill-after=10 900 "$t" >"$log" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"* | "not ok "*"# SKIP"*)
			s=$((s + 1)); echo "SKIP  $name: ${line#*# SKIP}";;
		"ok "*) p=$((p + 1));;
		"not ok "*) f=$((f + 1)); echo "FAIL  $name: ${line#not ok }";;
		esac
	done <"$log"
	if [ $rc -ne 0 ] && [ $f -eq 0 ]; then
		f=1; echo "FAIL  $name: exited with status $rc"
	fi
	if [ $((p + f + s)) -eq 0 ]; then
		f=1; echo "FAIL  $name: reported no test result"
	fi
	if [ $f -gt 0 ]; then
		echo "----- $log (last 40 lines) -----"; tail -n 40 "$log"; echo "-----"
	fi
	if [ "${CI:-}" = true ] && [ $s -gt 0 ]; then
		echo "FAIL  $name: $s skipped under CI=true"; f=$((f + s)); s=0
	fi
	printf '%-5s %-28s %3d passed, %d failed, %d skipped (%ds)\n' \
		"$([ $f -eq 0 ] && echo ok || echo FAIL)" "$name" $p $f $s $(( $(date +%s) - start ))
	echo "$p $f $s" >"$logdir/$name.counts"
}

# done_one T: T's lines printed, its counts added
done_one() {
	local name p f s
	name=$(basename "$1")
	cat "$logdir/$name.out"
	read -r p f s <"$logdir/$name.counts" 2>/dev/null || { p=0 f=1 s=0; }
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	rm -f "$logdir/$name.out" "$logdir/$name.counts"
}

# run_group T...: up to $jobs of them at a time, their lines in order
run_group() {
	local t n=0
	for t in "$@"; do
		if ((n == jobs)); then
			wait -n
			n=$((n - 1))
		fi
		rm -f "$logdir/$(basename "$t").counts"
		run_one "$t" >"$logdir/$(basename "$t").out" &
		n=$((n + 1))
	done
	wait
	for t in "$@"; do
		done_one "$t"
	done
}

# wanted SRC: no FILTER given, or SRC contains one of them
wanted() {
	local f
	[ ${#filters[@]} -eq 0 ] && return 0
	for f in "${filters[@]}"; do [[ $1 == *"$f"* ]] && return 0; done
	return 1
}

# The tests of a kind that needs no network (unit, cli, bpf, replay) run
# HS_JOBS at a time (default: the CPUs), each on its own files, pins and
# PostgreSQL; fuzz (its targets take every CPU) and live (timed traffic
# on namespaces) one at a time.
jobs=${HS_JOBS:-$(nproc 2>/dev/null || echo 1)}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || jobs=1
group=()
for src in tests/{unit,cli,bpf,replay,fuzz,live}/{test_*.c,t_*.sh} tests/t_*.sh; do
	[ -f "$src" ] || continue
	wanted "$src" || continue
	# the fuzz targets are sanitizer builds already: not run twice
	[ "$out" != .output ] && [ "$src" = tests/fuzz/t_fuzz.sh ] && continue
	t=$src
	if [[ $src == *.c ]]; then
		t=$out/tests/$(basename "$src" .c)
		if [ ! -x "$t" ]; then
			echo "FAIL  $(basename "$t"): $t not built (make tests)"
			fail=$((fail + 1)); continue
		fi
	fi
	case $src in
	tests/unit/* | tests/cli/* | tests/bpf/* | tests/replay/*) group+=("$t");;
	*)
		((${#group[@]})) && run_group "${group[@]}"
		group=()
		run_group "$t";;
	esac
done
((${#group[@]})) && run_group "${group[@]}"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
