#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Every fuzz target briefly (FUZZ_CHECK_SECONDS each, default 10) from its
# seed corpus into a fresh corpus: a crash, or fewer than 1,000 inputs run,
# fails. `make fuzz` runs them for longer (tests/fuzz/fuzz.sh).
exec "$(dirname "$0")/fuzz.sh" -t "${FUZZ_CHECK_SECONDS:-10}" -n
