#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bad operator input to `run`, beside a running instance: an unknown
# interface, one without native XDP, missing privileges, a pin directory
# holding pins of another layout or not ours, a second run on the same
# interface or pin directory, a malformed config, an unwritable alert file,
# a metrics port in use. Each must give one line on stderr and its
# documented exit status, and leave the system as it was: no XDP program
# where there was none, the running instance's pins the same files (and
# still counting), no pin, state or alert file made, no process left.
# Then what happens to a run under way: its output closed (a pipe to head:
# it stops as on SIGTERM), its interface deleted (it stops, exit 1), moved
# to another network namespace and back (it goes on, and says each).
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool python3 nsenter timeout setpriv bpftool
need_hs

if ! bed_up 1; then
	fail "test bed with hydrascope attached (log above)"
	done_testing
fi
prog_id=$(xdp_prog_id "$BED_SRV" "$BED_DEV")
ok "running instance: program $prog_id on $BED_DEV, pins in $BED_PINS"
SYS=$TMP/sys                     # where refused runs put state and alerts
mkdir -p "$SYS"
ST=$SYS/state AL=$SYS/alerts.log P=/sys/fs/bpf/$TAG-x
cleanup_push "rm -rf '$P'"

# What a refused run could have changed: XDP programs on the interfaces of
# the test's namespaces, pins of this test (inode numbers: a pin replaced
# shows), state and alert files, hydrascope processes of this test.
snapshot() {
	local ns
	for ns in "$BED_SRV" "$BED_RTR" "${BED_CLIENTS[@]}"; do
		ip -n "$ns" -d link show | sed -n "s/^[0-9]*: \([^:@]*\).*/$ns \1/p; s/.*\(prog\/xdp[a-z]* id [0-9]*\).*/  \1/p"
	done
	find /sys/fs/bpf -maxdepth 1 -name "$TAG*" -exec find {} -printf '%p %i %m\n' \; | sort
	find "$SYS" -printf '%p %s %m\n' | sort
	ps -C hydrascope -o pid=,args= | grep -F -- "$TAG"
}
# refused NAME RC PATTERN CMD...: CMD exits RC with one stderr line that
# matches PATTERN and nothing on stdout, and the snapshot is unchanged
refused() {
	local name=$1 want=$2 pat=$3 before after; shift 3
	before=$(snapshot)
	expect_error "$name" "$want" "$@"
	after=$(snapshot)
	if ! grep -q -- "$pat" "$TMP/err"; then
		fail "$name: a message matching '$pat' expected, got: $(cat "$TMP/err")"
	elif [ "$before" != "$after" ]; then
		fail "$name: the system as before expected, changed: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | tr '\n' '|')"
	else
		ok "$name: names it, the system as before"
	fi
}
SRV=(nsenter --net=/run/netns/"$BED_SRV")
RUN=("${SRV[@]}" "$HS" run --state-dir "$ST" --alerts "$AL")

refused "unknown interface" 1 "No such interface '${TAG}none'" \
	"${RUN[@]}" -i "${TAG}none" --pin-dir "$P"

# a bridge has no native XDP: -m native must fail, not fall back to skb
ip -n "$BED_SRV" link add "${TAG}br" type bridge && ip -n "$BED_SRV" link set "${TAG}br" up
refused "-m native on a bridge (no native XDP)" 1 \
	"Couldn't attach XDP program on '${TAG}br': Operation not supported" \
	"${RUN[@]}" -i "${TAG}br" -m native --pin-dir "$P"

chmod 755 "$TMP"
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all)
# bpffs mounted mode 0700 (as run mounts it, and systemd does) keeps
# others out of /sys/fs/bpf itself: refused at the pin directory
if [ -n "$(find /sys/fs/bpf -maxdepth 0 -perm -o+x)" ]; then
	NOPRIV="Operation not permitted"
	NOPRIV_PINS="Couldn't open pin directory '$BED_PINS': Permission denied"
else
	NOPRIV="Couldn't create pin directory '$P': Permission denied"
	NOPRIV_PINS="Couldn't create pin directory '$BED_PINS': Permission denied"
fi
refused "unprivileged" 3 "$NOPRIV" \
	"${SRV[@]}" "${NOBODY[@]}" "$HS" run -i "${TAG}br" --pin-dir "$P" --state-dir "$ST"
refused "unprivileged, on the running instance's pin directory" 3 "$NOPRIV_PINS" \
	"${SRV[@]}" "${NOBODY[@]}" "$HS" run -i "${TAG}br" --pin-dir "$BED_PINS" --state-dir "$ST"
refused "root without CAP_NET_ADMIN" 3 "Operation not permitted" \
	"${SRV[@]}" setpriv --bounding-set=-net_admin,-sys_admin "$HS" run -i "${TAG}br" \
	--pin-dir "$P" --state-dir "$ST" --alerts "$AL"

refused "second run on the same interface (another pin directory)" 1 \
	"Couldn't attach XDP program on '$BED_DEV': another XDP program is attached (id $prog_id, name 'hs_xdp')" \
	"${RUN[@]}" -i "$BED_DEV" -m native --pin-dir "$P"
refused "second run on the same pin directory (another interface)" 1 \
	"Pin directory '$BED_PINS' is in use by another 'hydrascope run'" \
	"${RUN[@]}" -i "${TAG}br" --pin-dir "$BED_PINS"

printf '[detect]\nmin_ips = 200\ngrowth = 4x\n' >"$TMP/bad.ini"
refused "malformed config" 2 "$TMP/bad.ini:3: 'growth'" \
	"${RUN[@]}" -i "${TAG}br" --pin-dir "$P" --config "$TMP/bad.ini"
mkdir "$SYS/adir"
refused "alert file that is a directory" 1 "Couldn't open alert file '$SYS/adir': Is a directory" \
	"${RUN[@]}" -i "${TAG}br" --pin-dir "$P" --alerts "$SYS/adir"
refused "alert file in a missing directory" 1 "Couldn't open alert file '$SYS/none/a.log'" \
	"${RUN[@]}" -i "${TAG}br" --pin-dir "$P" --alerts "$SYS/none/a.log"

PORT=$((20000 + $$ % 20000))
bg_job HOLD_PID "${SRV[@]}" python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
open(sys.argv[2], "w").close()
time.sleep(600)' "$PORT" "$TMP/held"
wait_for 5 test -e "$TMP/held" || fail "a listener on port $PORT expected"
refused "--metrics on a port in use" 1 "couldn't listen on 127.0.0.1:$PORT: Address already in use" \
	"${RUN[@]}" -i "${TAG}br" --pin-dir "$P" --metrics "127.0.0.1:$PORT"
bg_stop "$HOLD_PID"

# ---- pin directories holding what is not this hydrascope's ----
# a stopped instance's kept pins (the bridge falls back to skb mode)
if hs_start KP_PID "$P" "$TMP/kept.log" -i "${TAG}br" -m skb --keep-maps; then
	bg_stop "$KP_PID"
	expect_eq "kept pins of a stopped instance" "accounts conns enforce flows meta names pairs quic_flows quic_user reasm seen stats tcp_fps tcp_known tls_fps" \
		"$(ls "$P" | tr '\n' ' ' | sed 's/ $//')"
else
	fail "run --keep-maps on ${TAG}br: attachment expected (log above)"
fi
meta=$(bpftool map dump pinned "$P/meta" 2>&1)
layout=$(bpftool -j map lookup pinned "$P/meta" key 0 0 0 0 | python3 -c '
import json, sys; print(int(json.load(sys.stdin)["value"][4], 16))')
bpftool map update pinned "$P/meta" key 0 0 0 0 value 0x48 0x4d 0x53 0x31 \
	$((layout + 1)) 0 0 0 0 0 0 0 0 0 0 0
refused "pins of another layout" 1 \
	"Pin directory '$P' holds maps of layout $((layout + 1)), this hydrascope's are layout $layout: left untouched" \
	"${RUN[@]}" -i "${TAG}br" --pin-dir "$P"
expect_eq "their marker untouched" \
	"$(echo "$meta" | sed "s/^\(key: 00 00 00 00  value: 48 4d 53 31\) [0-9a-f]*/\1 $(printf %02x $((layout + 1)))/")" \
	"$(bpftool map dump pinned "$P/meta" 2>&1)"
rm -rf "$P" && mkdir "$P"
bpftool map create "$P/tls_fps" type hash key 8 value 8 entries 16 name tls_fps
refused "a map without a layout marker" 1 "Pin directory '$P' holds pins without a layout marker" \
	"${RUN[@]}" -i "${TAG}br" --pin-dir "$P"
bpftool map create "$P/meta" type array key 4 value 16 entries 1 name hs_meta
bpftool map update pinned "$P/meta" key 0 0 0 0 value 0x48 0x4d 0x53 0x31 $layout 0 0 0 0 0 0 0 0 0 0 0
refused "a map of our name and another value size" 1 \
	"Pinned map '$P/tls_fps' is not this hydrascope's (value size 8, expected [0-9]*): left untouched" \
	"${RUN[@]}" -i "${TAG}br" --pin-dir "$P"
rm -rf "$P" && mkdir "$P"
bpftool map create "$P/foo" type array key 4 value 4 entries 1 name foo
refused "a pin that is not ours" 1 "Pin directory '$P' holds 'foo', which is not hydrascope's" \
	"${RUN[@]}" -i "${TAG}br" --pin-dir "$P"
rm -rf "$P"
# the pins of a run handed over (SIGUSR2) on the bridge, still attached
if hs_start HO_PID "$P" "$TMP/handed.log" -i "${TAG}br" -m skb; then
	bg_stop "$HO_PID" USR2
	ip -n "$BED_SRV" link add "${TAG}b2" type bridge && ip -n "$BED_SRV" link set "${TAG}b2" up
	refused "pins of a run handed over on another interface" 1 \
		"Pin directory '$P' belongs to a run on another interface" \
		"${RUN[@]}" -i "${TAG}b2" --pin-dir "$P"
	refused "taking that run over in another mode" 1 \
		"'${TAG}br' runs the program of an earlier run in skb mode: -m native needs it detached first" \
		"${RUN[@]}" -i "${TAG}br" -m native --pin-dir "$P"
	rm -rf "$P"
	expect_eq "its pins removed: its program detached" "" "$(xdp_prog_id "$BED_SRV" "${TAG}br")"
else
	fail "run on ${TAG}br: attachment expected (log above)"
fi

# ---- a run whose output closes (a pipe to head) stops as on SIGTERM ----
# -v --window 1: a debug line a second; head takes two and exits
timeout 20 "${SRV[@]}" "$HS" run -v -i "${TAG}br" --window 1 --pin-dir "$P" --state-dir "$ST" 2>&1 |
	head -n 2 >"$TMP/head.out"
rc=("${PIPESTATUS[@]}")
expect_eq "run with its stderr to head -n 2: exits 0 once head is gone (its exit, head's)" "0 0" "${rc[*]}"
expect_eq "its program detached from ${TAG}br" "" "$(xdp_prog_id "$BED_SRV" "${TAG}br")"
expect_eq "its pins removed" "" "$(ls -A "$P" 2>/dev/null)"
rm -rf "$P"

# ---- a run whose interface moves to another network namespace goes on,
# and says so; and when it comes back ----
AW=$TAG-aw
ns_add "$AW"
ip -n "$BED_SRV" link add "${TAG}m1" type veth peer name "${TAG}m2" &&
	ip -n "$BED_SRV" link set "${TAG}m1" up && ip -n "$BED_SRV" link set "${TAG}m2" up
bg_job AWAY_PID "${SRV[@]}" "$HS" run -i "${TAG}m1" --pin-dir "$P" --state-dir "$ST" 2>"$TMP/away.log"
if wait_for 10 grep -q '^hydrascope: attached to ' "$TMP/away.log"; then
	ip -n "$BED_SRV" link set "${TAG}m1" netns "$AW"
	wait_for 5 grep -q "^hydrascope: '${TAG}m1' left this network namespace: its XDP program went with it, and what it counts there is still read here$" \
		"$TMP/away.log" && ok "run says ${TAG}m1 left the namespace, within 5 s" ||
		fail "a 'left this network namespace' line expected: $(cat "$TMP/away.log")"
	[ -n "$(xdp_prog_id "$AW" "${TAG}m1")" ] && _bg_alive "$AWAY_PID" &&
		ok "its program went with it to $AW; run goes on" ||
		fail "its program on ${TAG}m1 in $AW and run running expected"
	ip -n "$AW" link set "${TAG}m1" netns "$BED_SRV"
	wait_for 5 grep -q "^hydrascope: '${TAG}m1' is back in this network namespace$" "$TMP/away.log" &&
		ok "and that it came back" || fail "an 'is back' line expected: $(cat "$TMP/away.log")"
	bg_stop "$AWAY_PID"
	expect_eq "run exits 0 on SIGTERM" 0 "$?"
	expect_eq "its program detached from ${TAG}m1" "" "$(xdp_prog_id "$BED_SRV" "${TAG}m1")"
else
	fail "run on ${TAG}m1: attachment expected: $(cat "$TMP/away.log")"
fi
ip -n "$BED_SRV" link del "${TAG}m1" 2>/dev/null
rm -rf "$P"

# ---- a run whose interface is deleted stops: one line, exit 1, no pins ----
ip -n "$BED_SRV" link add "${TAG}b4" type bridge && ip -n "$BED_SRV" link set "${TAG}b4" up
bg_job GONE_PID "${SRV[@]}" "$HS" run -i "${TAG}b4" --pin-dir "$P" --state-dir "$ST" 2>"$TMP/gone.log"
if wait_for 10 grep -q '^hydrascope: attached to ' "$TMP/gone.log"; then
	ip -n "$BED_SRV" link del "${TAG}b4"
	wait_for 5 sh -c "! ps -p $GONE_PID >/dev/null" && ok "run on ${TAG}b4 stopped within 5 s of its deletion" ||
		fail "run still running 5 s after ${TAG}b4 was deleted"
	bg_stop "$GONE_PID"
	expect_eq "its exit status" 1 "$?"
	grep -q "^hydrascope: '${TAG}b4' is gone (deleted): its XDP program went with it; stopping$" \
		"$TMP/gone.log" && ok "it says the interface is gone" || fail "gone message: $(cat "$TMP/gone.log")"
	expect_eq "its pins removed" "" "$(ls -A "$P" 2>/dev/null)"
else
	fail "run on ${TAG}b4: attachment expected: $(cat "$TMP/gone.log")"
fi
rm -rf "$P"

# ---- the running instance went on through all of it ----
_bg_alive "$BED_HS_PID" && ok "the running instance still runs" || fail "the running instance exited"
expect_eq "its program still on $BED_DEV" "$prog_id" "$(xdp_prog_id "$BED_SRV" "$BED_DEV")"
syns() {
	"$HS" status --pin-dir "$BED_PINS" -j | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["syns"])'
}
before=$(syns)
got=$(bed_connect 1 3 2>&1)
expect_eq "connections through it" 3 "$got"
after=$(syns)
[ "$after" -ge $((before + 3)) ] 2>/dev/null && ok "its pins still count: syns $before -> $after" ||
	fail "its syns counter up by 3 expected, got $before -> $after"
done_testing
