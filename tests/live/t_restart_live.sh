#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Restarts and upgrades of `run` lose nothing. Two clients connect without
# pause (TCP, and TLS handshakes) while run is:
#   A -> B  handed over (SIGUSR2) and started again, same build;
#   B -> C  handed over to a new build of the BPF object (-DHS_VLAN_MAX=3);
#   C -> D  SIGKILLed: the program stays attached and counting, D recovers;
#   D -> E  handed over to pins whose marker says another layout: E is
#           refused in one line, the program and the pins left as they were;
#   D -> F  the marker put back: F takes over.
# Checked: no connection fails; an XDP program is attached at every
# instant sampled (ip link in a loop), its id changing at each takeover
# and its tag with the new build; counters only grow, also while no run
# is there; the window generation goes on across each handover; the
# detector's history carries on, the seen map is taken over (not reloaded
# from the saved history), and every SYN and ClientHello counted is in
# exactly one judged window or still in the maps at the end.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool python3 nsenter timeout openssl bpftool make clang
need_hs

WINDOW=2
STATE=$TMP/state
NEW=$TMP/build/hydrascope
# the new build first, before any traffic (it keeps both CPUs busy)
if make -C "$ROOT" -s BASE="$TMP/build" BIN="$NEW" BPF_EXTRA=-DHS_VLAN_MAX=3 all \
	>"$TMP/build.log" 2>&1 && [ -x "$NEW" ]; then
	ok "a new build with another BPF object: $NEW"
else
	fail "make with BPF_EXTRA=-DHS_VLAN_MAX=3: a binary expected: $(tail -n 5 "$TMP/build.log" | tr '\n' '|')"
	done_testing
fi

if ! bed_net 2 || ! bed_tls_server 8443; then
	fail "test bed with 2 clients and a TLS server (log above)"
	done_testing
fi
PINS=$BED_PINS
SRV=(nsenter --net=/run/netns/"$BED_SRV")

# start NAME [BINARY]: run as NAME (its pid in NAME, log $TMP/NAME.log)
start() {
	HS=${2:-$HS} hs_start "$1" "$PINS" "$TMP/$1.log" --window $WINDOW --state-dir "$STATE" -v
}
# handover NAME: SIGUSR2; it must exit 0 leaving the program attached
handover() {
	local rc=0
	bg_stop "${!1}" USR2 || rc=$?
	expect_eq "$1: exits 0 on SIGUSR2" 0 $rc
	grep -q "^hydrascope: SIGUSR2: leaving the program attached to $BED_DEV" "$TMP/$1.log" &&
		ok "$1: says it leaves the program attached" ||
		fail "$1: a 'leaving the program attached' line expected: $(tail -n 2 "$TMP/$1.log" | tr '\n' '|')"
}
# took_over NAME OLD-ID: NAME's program replaced program OLD-ID
took_over() {
	local id
	id=$(xdp_prog_id "$BED_SRV" "$BED_DEV")
	if grep -q "^hydrascope: attached to $BED_DEV .* program id $id in place of $2; maps of the earlier run reused" "$TMP/$1.log"; then
		ok "$1: program $id in place of $2, maps reused"
	else
		fail "$1: 'program id $id in place of $2' expected: $(grep 'attached to' "$TMP/$1.log")"
	fi
	# the seen map too: reused as it is, not reloaded from the saved history
	wait_for 5 grep -q 'seen map of the earlier run reused' "$TMP/$1.log"
	grep -q '^hydrascope: debug: seen map of the earlier run reused$' "$TMP/$1.log" &&
		! grep -q 'seen history restored' "$TMP/$1.log" &&
		ok "$1: the seen map reused, no history loaded" ||
		fail "$1: 'seen map of the earlier run reused' and no restore expected: $(grep seen "$TMP/$1.log" | tr '\n' '|')"
}
# takeover NAME OLD-ID [BINARY]: start NAME, which must take over program
# OLD-ID with the counters carried on
takeover() {
	local c
	c=$(counters)
	if start "$1" "${3:-}"; then
		took_over "$1" "$2"
		grew "$1: counters carried on" "$c" "$(counters)"
	else
		fail "run $1: attachment expected (log above)"
	fi
}
# counters: packets syns hellos of the pinned stats map
counters() {
	"$HS" status --pin-dir "$PINS" -j 2>&1 | python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(c["packets"], c["syns"], c["hellos"])'
}
# grew NAME BEFORE AFTER: every counter of AFTER >= BEFORE, packets more
grew() {
	local b=($2) a=($3)
	if [ ${#a[@]} = 3 ] && [ "${a[0]}" -gt "${b[0]}" ] && [ "${a[1]}" -ge "${b[1]}" ] &&
		[ "${a[2]}" -ge "${b[2]}" ]; then
		ok "$1: packets/syns/hellos ${b[*]// //} -> ${a[*]// //}"
	else
		fail "$1: packets up, syns and hellos not down expected: '$2' -> '$3'"
	fi
}
# made: connections the clients completed so far (TCP + TLS), failures
made() {
	python3 -c '
import json, sys
t = [json.load(open(f)) for f in sys.argv[1:]]
print(sum(x["tcp"] + x["tls"] for x in t), sum(x["fail"] for x in t))' "$TMP"/gen?.json
}
tag() { bpftool prog show id "$1" -j 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["tag"])'; }
# gens NAME: the first and last window generation NAME judged
gens() {
	sed -n 's/^hydrascope: debug: window of generation \([01]\) judged.*/\1/p' "$TMP/$1.log" |
		sed -n '1p;$p' | tr '\n' ' '
}
# gen_goes_on OLD NEW: NEW's first window is the generation after OLD's last
gen_goes_on() {
	local o=($(gens "$1")) n=($(gens "$2"))
	if [ -n "${o[1]:-}" ] && [ -n "${n[0]:-}" ] && [ "${n[0]}" = $((1 - o[1])) ]; then
		ok "window generation goes on: $1 judged ${o[1]} last, $2 ${n[0]} first"
	else
		fail "$2's first window judged: generation $((1 - ${o[1]:-0})) expected (after $1's last), got '${n[0]:-none}'"
	fi
}
# two_windows NAME: wait until NAME has judged two more windows
judged() { grep -c 'window of generation' "$TMP/$1.log"; }
more_judged() { [ "$(judged "$1")" -ge "$2" ]; }
two_windows() {
	wait_for $((WINDOW * 4)) more_judged "$1" $(($(judged "$1") + 2)) ||
		fail "$1: two windows judged within $((WINDOW * 4)) s expected"
}

# ---- A, then traffic and the sampler ----
if ! start A; then
	fail "run A: attachment expected (log above)"
	done_testing
fi
idA=$(xdp_prog_id "$BED_SRV" "$BED_DEV")
cat >"$TMP/gen.py" <<'EOF'
import json, os, socket, ssl, sys, time
host, out, stop = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
n = {"tcp": 0, "tls": 0, "fail": 0, "errors": []}
def save():
    with open(out + ".tmp", "w") as f:
        json.dump(n, f)
    os.replace(out + ".tmp", out)
k = 0
while not os.path.exists(stop):
    k += 1
    tls = k % 2 == 0
    try:
        with socket.create_connection((host, 8443 if tls else 80), timeout=3) as s:
            if tls:
                ctx.wrap_socket(s, server_hostname="hs.test").close()
            else:
                while s.recv(4096):
                    pass
        n["tls" if tls else "tcp"] += 1
    except OSError as e:
        n["fail"] += 1
        n["errors"] = (n["errors"] + [str(e)])[:5]
    if k % 20 == 0:
        save()
    time.sleep(0.005)
save()
EOF
GEN_PIDS=()
for i in 1 2; do
	bg_job pid nsenter --net=/run/netns/"${BED_CLIENTS[i - 1]}" "$BED_PY" "$TMP/gen.py" \
		"$BED_SRV_IP" "$TMP/gen$i.json" "$TMP/stop-gen" 2>"$TMP/gen$i.err"
	GEN_PIDS+=("$pid")
done
# the XDP program id on the interface, asked of the kernel (RTM_GETLINK)
# in a tight loop; one line "ID SAMPLES" per run of equal ids (0: none)
cat >"$TMP/sampler.py" <<'EOF'
import os, socket, struct, sys
dev, out, stop = sys.argv[1:4]
ifindex = socket.if_nametoindex(dev)
nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
nl.bind((0, 0))
IFLA_XDP, IFLA_XDP_PROG_ID, RTM_GETLINK, NLM_F_REQUEST = 43, 4, 18, 1
def prog_id(seq):
    nl.send(struct.pack("=IHHII", 32, RTM_GETLINK, NLM_F_REQUEST, seq, 0) +
            struct.pack("=BxHiII", 0, 0, ifindex, 0, 0))
    data, off = nl.recv(65536), 32
    while off + 4 <= len(data):
        alen, atype = struct.unpack_from("=HH", data, off)
        if alen < 4:
            break
        if atype & 0x7fff == IFLA_XDP:
            o = off + 4
            while o + 4 <= off + alen:
                l, t = struct.unpack_from("=HH", data, o)
                if t == IFLA_XDP_PROG_ID:
                    return struct.unpack_from("=I", data, o + 4)[0]
                o += max(4, (l + 3) & ~3)
        off += (alen + 3) & ~3
    return 0
runs, seq = [], 0
while not os.path.exists(stop):
    seq += 1
    i = prog_id(seq)
    if runs and runs[-1][0] == i:
        runs[-1][1] += 1
    else:
        runs.append([i, 1])
with open(out, "w") as f:
    for i, n in runs:
        f.write("%d %d\n" % (i, n))
EOF
bg_job SAMPLER_PID nsenter --net=/run/netns/"$BED_SRV" "$BED_PY" "$TMP/sampler.py" "$BED_DEV" \
	"$TMP/samples" "$TMP/stop-sampler"
wait_for 10 test -s "$TMP/gen1.json" && wait_for 10 test -s "$TMP/gen2.json" ||
	fail "the clients report connections"
two_windows A

# ---- A -> B: handed over, the same build ----
c0=$(counters)
handover A
expect_eq "after A: the program still attached" "$idA" "$(xdp_prog_id "$BED_SRV" "$BED_DEV")"
m0=$(made)
sleep 1
grew "no run: the program counts on" "$c0" "$(counters)"
m1=$(made)
[ "${m1% *}" -gt "${m0% *}" ] && ok "no run: connections go on (${m0% *} -> ${m1% *})" ||
	fail "connections while no run expected: ${m0% *} -> ${m1% *}"
takeover B "$idA"
idB=$(xdp_prog_id "$BED_SRV" "$BED_DEV")
tagB=$(tag "$idB")
grep -q "^hydrascope: detector state restored from $STATE/state-$BED_DEV.json: [1-9][0-9]* windows closed" "$TMP/B.log" &&
	ok "B: $(grep -o 'detector state restored.*' "$TMP/B.log")" ||
	fail "B: the detector state of A restored expected: $(grep 'state' "$TMP/B.log" | tr '\n' '|')"
two_windows B
gen_goes_on A B

# ---- B -> C: a new build ----
handover B
takeover C "$idB" "$NEW"
idC=$(xdp_prog_id "$BED_SRV" "$BED_DEV")
tagC=$(tag "$idC")
[ -n "$tagB" ] && [ -n "$tagC" ] && [ "$tagB" != "$tagC" ] &&
	ok "the new build's program differs: tag $tagB -> $tagC" ||
	fail "another program tag expected from the new build, got '$tagB' -> '$tagC'"
two_windows C
gen_goes_on B C

# ---- C SIGKILLed (mid-window), D recovers ----
sleep 0.5
bg_stop "$C" KILL
expect_eq "after SIGKILL: the program still attached" "$idC" "$(xdp_prog_id "$BED_SRV" "$BED_DEV")"
c0=$(counters) m0=$(made)
sleep 1
grew "killed: the program counts on" "$c0" "$(counters)"
m1=$(made)
[ "${m1% *}" -gt "${m0% *}" ] && [ "${m1#* }" = 0 ] &&
	ok "killed: connections go on (${m0% *} -> ${m1% *}), none failed" ||
	fail "connections after the SIGKILL expected: ${m0% *} -> ${m1% *}, failed ${m1#* }"
takeover D "$idC"
idD=$(xdp_prog_id "$BED_SRV" "$BED_DEV")
two_windows D

# ---- D -> E: pins of another layout are refused, left as they were ----
handover D
c0=$(counters)
meta=$(bpftool -j map lookup pinned "$PINS/meta" key 0 0 0 0 |
	python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["value"]))')
set -- $meta
bpftool map update pinned "$PINS/meta" key 0 0 0 0 value $1 $2 $3 $4 $(($5 + 1)) ${@:6}
before=$(find "$PINS" -printf '%p %i\n' | sort)
expect_error "E: pins of layout $(($5 + 1)) refused" 1 "${SRV[@]}" "$HS" run -i "$BED_DEV" \
	--pin-dir "$PINS" --window $WINDOW --state-dir "$STATE"
grep -q "holds maps of layout $(($5 + 1)), this hydrascope's are layout $(($5)): left untouched" "$TMP/err" &&
	ok "E: says which layouts" || fail "E: the layouts named expected: $(cat "$TMP/err")"
expect_eq "E: the pins the same files" "$before" "$(find "$PINS" -printf '%p %i\n' | sort)"
expect_eq "E: D's program still attached" "$idD" "$(xdp_prog_id "$BED_SRV" "$BED_DEV")"
bpftool map update pinned "$PINS/meta" key 0 0 0 0 value $meta
grew "E refused: the program counts on" "$c0" "$(counters)"
takeover F "$idD"
two_windows F
gen_goes_on D F

# ---- the end: nothing failed, nothing lost ----
# both stop by themselves (and write their counts) once told
touch "$TMP/stop-gen" "$TMP/stop-sampler"
wait "${GEN_PIDS[@]}" "$SAMPLER_PID"
read -r total failed < <(made)
[ "${total:-0}" -ge 500 ] && [ "$failed" = 0 ] &&
	ok "clients: $total connections, none failed" ||
	fail "clients: 500+ connections and none failed expected, got ${total:-0}, $failed failed: $(cat "$TMP"/gen?.json | tr '\n' ' ')"
nsamples=$(awk '{n += $2} END {print n + 0}' "$TMP/samples")
none=$(awk '$1 == 0 {n += $2} END {print n + 0}' "$TMP/samples")
ids=$(awk '{print $1}' "$TMP/samples" | tr '\n' ' ')
[ "$nsamples" -ge 1000 ] && [ "$none" = 0 ] &&
	ok "$nsamples samples of $BED_DEV, every one with a program attached (ids in turn: $ids)" ||
	fail "a program attached at every sample expected: $none of $nsamples without (ids in turn: $ids)"
expect_eq "the sampled ids: A B C D F in turn" "$idA $idB $idC $idD $(xdp_prog_id "$BED_SRV" "$BED_DEV") " "$ids"
# F hands over too: its maps stay, no window closes while they are read
handover F
"$HS" dump --pin-dir "$PINS" -j >"$TMP/dump.json" 2>&1
read -r _ syns hellos < <(counters)
python3 - "$STATE/state-$BED_DEV.json" "$STATE/state-$BED_DEV-tcp.json" "$TMP/dump.json" \
	"$syns" "$hellos" "$total" >"$TMP/verdicts" 2>&1 <<'EOF'
import json, sys
tls, tcp, dump, syns, hellos, total = sys.argv[1:4] + [int(x) for x in sys.argv[4:7]]
def judged(path):
    s = json.load(open(path))
    return s["windows"], sum(o[1] for w in s["history"] for o in w["obs"])
w, tls_judged = judged(tls)
_, tcp_judged = judged(tcp)
rows = [json.loads(l) for l in open(dump)]
tcp_now = sum(r["syns"] for r in rows if r["kind"] == "tcp")
tls_now = sum(r["conns"] for r in rows if r["kind"] == "tls")
def verdict(good, msg):
    print(("ok " if good else "not ok ") + msg)
verdict(w >= 10, "the detector's history carried on: %d windows judged by A-F" % w)
verdict(syns >= total, "every connection's SYN counted: syns %d >= %d connections" % (syns, total))
verdict(tcp_judged + tcp_now == syns,
        "SYNs judged in windows (%d) + in the maps (%d) == syns counted (%d)" % (
            tcp_judged, tcp_now, syns))
verdict(tls_judged + tls_now == hellos,
        "ClientHellos judged in windows (%d) + in the maps (%d) == hellos counted (%d)" % (
            tls_judged, tls_now, hellos))
EOF
rc=$?
tap_verdicts "$TMP/verdicts"
[ $rc = 0 ] || fail "the final check failed (exit $rc)"
# the SYN-ACK check went on through every hand-over and the kill: the
# egress program's link is pinned and taken over like the XDP one
read -r synacks unchecked < <("$HS" status --pin-dir "$PINS" -j 2>&1 | python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(c["synacks"], c["hellos_no_syn"] + c["hellos_no_synack"] + c["hellos_bad_ack"])')
[ -e "$PINS/egress" ] && [ "${synacks:-0}" -ge "$hellos" ] && [ "${unchecked:-1}" = 0 ] &&
	ok "egress link pinned, $synacks SYN-ACKs recorded for $hellos ClientHellos, none left uncounted" ||
	fail "an egress pin, synacks >= $hellos and 0 ClientHellos left uncounted expected: $(ls "$PINS"), synacks '$synacks', uncounted '$unchecked'"

# ---- and a real stop: SIGTERM detaches and removes the pins ----
if start G; then
	rc=0; bg_stop "$G" TERM || rc=$?
	expect_eq "G: exits 0 on SIGTERM" 0 $rc
	expect_eq "G: no XDP program left" "" "$(xdp_prog_id "$BED_SRV" "$BED_DEV")"
	[ ! -e "$PINS" ] && ok "G: pins removed" || fail "G: pins left: $(ls "$PINS")"
else
	fail "run G: attachment expected (log above)"
fi
done_testing
