#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `make bench`: every benchmark, one "name value unit" line per figure.
# Needs root (BPF). Not part of `make check`: timings are for reading, not
# for passing.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/.output/tests
if [ "$(id -u)" != 0 ]; then
	echo "make bench: needs root (BPF maps and programs): sudo make bench" >&2
	exit 1
fi
rc=0
for b in "$OUT"/bench_* "$ROOT"/tests/bench/bench_*.sh; do
	[ -x "$b" ] || continue
	# a program a script drives (bench_live) runs from its script
	[ "${b%.sh}" = "$b" ] && [ -f "$ROOT/tests/bench/$(basename "$b").sh" ] && continue
	echo "# $(basename "$b")"
	"$b" || { echo "# $(basename "$b") failed" >&2; rc=1; }
done
exit $rc
