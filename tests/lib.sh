# SPDX-License-Identifier: BSD-3-Clause
# Shared by tests/t_*.sh: TAP output, cleanup on any exit, netns helpers.
# Namespaces, links and processes a test creates are registered with
# `cleanup_push` and undone in reverse order when the test exits, however
# it exits. Processes are only ever killed by the pid the test started.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HS=$ROOT/hydrascope
VECTORS=${VECTORS:-$ROOT/../shared/vectors}
TAG=hs$$                     # unique per test run: names of netns, links, pins
TMP=$(mktemp -d /tmp/hydrascope-test.XXXXXX)
_tapn=0 _failed=0 _cleanup=()

ok()   { _tapn=$((_tapn + 1)); echo "ok $_tapn - $*"; }
fail() { _tapn=$((_tapn + 1)); _failed=1; echo "not ok $_tapn - $*"; }
skip() { _tapn=$((_tapn + 1)); echo "ok $_tapn - $1 # SKIP $2"; }
# check NAME CMD...: ok if CMD succeeds
check() { local n=$1; shift; if "$@"; then ok "$n"; else fail "$n"; fi; }
# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

cleanup_push() { _cleanup+=("$*"); }
_run_cleanup() {
	local i
	for ((i = ${#_cleanup[@]} - 1; i >= 0; i--)); do
		eval "${_cleanup[$i]}" >/dev/null 2>&1 || true
	done
	rm -rf "$TMP"
}
trap _run_cleanup EXIT
trap 'exit 130' INT TERM

# Skip the whole file (with a reason) unless root with BPF available.
need_root() {
	if [ "$(id -u)" != 0 ]; then
		skip "$(basename "$0")" "needs root (CAP_BPF, CAP_NET_ADMIN)"; exit 0
	fi
}
need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || { skip "$(basename "$0")" "needs $c"; exit 0; }
	done
}

# ns_add NAME: a network namespace removed at exit, loopback up
ns_add() {
	ip netns add "$1" && cleanup_push "ip netns del $1"
	ip -n "$1" link set lo up
}
# nsx NAME CMD...: run in a namespace's network only (keeps /sys/fs/bpf)
nsx() { local n=$1; shift; nsenter --net=/run/netns/"$n" "$@"; }

# veth_pair NS1 DEV1 ADDR1 NS2 DEV2 ADDR2: link two namespaces, offloads off
veth_pair() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" || return 1
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
	nsx "$1" ethtool -K "$2" tso off gso off gro off >/dev/null 2>&1
	nsx "$4" ethtool -K "$5" tso off gso off gro off >/dev/null 2>&1
	return 0
}

# bg_start VAR CMD...: start CMD in the background, pid in VAR, killed at exit
bg_start() {
	local var=$1; shift
	"$@" &
	local pid=$!
	cleanup_push "kill $pid; wait $pid"
	printf -v "$var" '%s' "$pid"
}

# wait_for SECONDS CMD...: poll until CMD succeeds
wait_for() {
	local t=$1 i; shift
	for ((i = 0; i < t * 10; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}

done_testing() {
	echo "1..$_tapn"
	exit $_failed
}
