#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# hydrascope on a live veth in native XDP mode, checked against p0f reading
# a capture of the very same SYNs. Three client namespaces with different
# TCP stacks connect through a router to a server namespace; hydrascope
# runs on the server's veth. Then the lifecycle: SIGTERM detaches and
# unpins, --keep-maps keeps the pins (t_refuse_live.sh: runs refused).
# Traffic must flow the whole time (fail-open).
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool tcpdump p0f python3 nsenter ps timeout
need_hs

CLIENTS=3
CONNS=5                    # connections per client while attached
CAP=$TMP/live.pcap

# ---- bed, capture, attach ----
if ! bed_net $CLIENTS; then
	fail "test bed with $CLIENTS clients could not be built"
	done_testing
fi
ok "test bed: server $BED_SRV_IP, router, clients ${BED_CLIENT_IPS[*]}"
offl=$(nsx "$BED_SRV" ethtool -k "$BED_DEV" 2>&1 |
	grep -E '^(tcp-segmentation|generic-segmentation|generic-receive)-offload:' | tr '\n' ' ')
expect_eq "offloads off on $BED_DEV" \
	"tcp-segmentation-offload: off generic-segmentation-offload: off generic-receive-offload: off " "$offl"

bed_capture TD_PID "$CAP"

HS_LOG=$TMP/run.log
if ! hs_start HS_PID "$BED_PINS" "$HS_LOG"; then
	fail "hydrascope run -i $BED_DEV -m native: attachment expected (log above)"
	done_testing
fi
attach_line=$(grep -m1 '^hydrascope: attached to ' "$HS_LOG")
case $attach_line in
*" in native mode"*) ok "run reports: ${attach_line#hydrascope: }";;
*) fail "run: 'in native mode' expected, got: $attach_line";;
esac
prog_id=$(xdp_prog_id "$BED_SRV" "$BED_DEV")
[ -n "$prog_id" ] && ok "XDP program $prog_id on $BED_DEV" ||
	fail "an XDP program on $BED_DEV expected, got none: $(ip -n "$BED_SRV" link show dev "$BED_DEV")"

# ---- traffic while attached ----
for ((i = 1; i <= CLIENTS; i++)); do
	got=$(bed_connect $i $CONNS 2>"$TMP/conn.err")
	expect_eq "client $i (${BED_CLIENT_PROFILES[i - 1]}): connections that succeed while attached" \
		"$CONNS" "$got$([ -s "$TMP/conn.err" ] && echo " ($(head -n 3 "$TMP/conn.err" | tr '\n' ' '))")"
done

bed_snapshot "$TD_PID"
p0f -r "$CAP" >"$TMP/p0f.out" 2>&1
tcpdump -r "$CAP" -nn 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn' >"$TMP/syns.txt" 2>/dev/null

# ---- compare with p0f and the capture (python prints "ok ..."/"not ok ...") ----
"$BED_PY" - "$TMP/p0f.out" "$TMP/syns.txt" "$TMP/dump.json" "$TMP/status.json" \
	"$BED_DEV" "$prog_id" $((CLIENTS * CONNS)) "${BED_CLIENT_IPS[@]}" >"$TMP/verdicts" 2>&1 <<'EOF'
import collections, json, re, sys

p0f_out, syns_txt, dump_json, status_json, dev, prog_id, conns = sys.argv[1:8]
clients = sys.argv[8:]

def verdict(good, msg):
    print(("ok " if good else "not ok ") + msg)

# p0f: one record per SYN it fingerprinted -> (client ip, port) -> raw_sig
# and raw_sig -> the OS label p0f printed for it ("???": none)
p0f, p0f_os, kind, cli, os_ = {}, {}, None, None, None
for line in open(p0f_out):
    m = re.match(r"^\.-\[ (\S+)/(\d+) -> \S+ \((.+)\) \]-", line)
    if m:
        cli, kind = (m.group(1), int(m.group(2))), m.group(3)
        continue
    m = re.match(r"^\| (os|raw_sig)\s+= (.*)$", line.rstrip("\n"))
    if m and kind == "syn":
        if m.group(1) == "os":
            os_ = m.group(2)
        else:
            p0f[cli] = m.group(2)
            p0f_os.setdefault(m.group(2), set()).add(os_)
# the capture: every SYN packet (retransmissions included) per client port
wire = collections.Counter()
for line in open(syns_txt):
    m = re.search(r" IP (\d+\.\d+\.\d+\.\d+)\.(\d+) > ", line)
    if m:
        wire[(m.group(1), int(m.group(2)))] += 1
ours = {}
for line in open(dump_json):
    r = json.loads(line)
    ours[r["tcp_sig"]] = r

p0f_sigs = set(p0f.values())
for s in sorted(p0f_sigs | set(ours)):
    print("# %-9s %s" % ("both" if s in ours and s in p0f_sigs else
                         "only-p0f" if s in p0f_sigs else "only-ours", s))
verdict(set(ours) == p0f_sigs,
        "dump -j tcp_sig set equals p0f raw_sig set (%d signatures)%s" % (
            len(p0f_sigs), "" if set(ours) == p0f_sigs else
            ": p0f only %s, hydrascope only %s" % (sorted(p0f_sigs - set(ours)),
                                                   sorted(set(ours) - p0f_sigs))))
verdict(len(ours) >= 3, "at least 3 distinct signatures expected, got %d" % len(ours))

n_wire = sum(wire.values())
verdict(n_wire >= int(conns), "the capture holds at least one SYN per connection made "
        "(%s expected, got %d)" % (conns, n_wire))
unseen = sum(n for k, n in wire.items() if k not in p0f)
verdict(unseen == 0, "every SYN in the capture belongs to a connection p0f fingerprinted "
        "(expected 0 others, got %d)" % unseen)

for ip in clients:
    sigs = {s for (a, _), s in p0f.items() if a == ip}
    verdict(len(sigs) == 1, "client %s: one signature expected, p0f saw %s" % (ip, sorted(sigs)))

for s in sorted(p0f_sigs):
    ports = [k for k, v in p0f.items() if v == s]
    n_p0f, n_wire = len(ports), sum(wire[k] for k in ports)
    ips = {a for a, _ in ports}
    nets = {a.rsplit(".", 1)[0] for a in ips}
    r = ours.get(s)
    if r is None:
        continue  # already reported above
    note = ("" if n_wire == n_p0f else
            " (%d retransmitted SYNs: on the wire and counted by hydrascope, "
            "skipped by p0f)" % (n_wire - n_p0f))
    verdict(r["syns"] == n_wire, "%s: syns %d expected (p0f fingerprinted %d%s), got %d" % (
        s, n_wire, n_p0f, note, r["syns"]))
    want_os = sorted(p0f_os[s])
    got_os = r["os"] or "???"
    verdict(want_os == [got_os], "%s: OS label %s expected (p0f), got '%s'" % (
        s, " or ".join("'%s'" % o for o in want_os), got_os))
    verdict(r["ips"] == len(ips) and r["nets"] == len(nets),
            "%s: ips/nets %d/%d expected, got %d/%d" % (
                s, len(ips), len(nets), r["ips"], r["nets"]))

st = json.load(open(status_json))
att = [a for a in st.get("attached", []) if a.get("interface") == dev]
verdict(len(att) == 1 and att[0].get("mode") == "native" and str(att[0].get("prog_id")) == prog_id,
        "status -j: %s attached in native mode as program %s expected, got %s" % (
            dev, prog_id, json.dumps(st.get("attached"))))
c = st.get("counters", {})
verdict(c.get("packets", 0) > 0 and c.get("syns", 0) > 0,
        "status -j: packets and syns > 0 expected, got packets=%s syns=%s" % (
            c.get("packets"), c.get("syns")))
total = sum(r["syns"] for r in ours.values())
verdict(c.get("syns") == total,
        "status -j: syns counter %d (sum over dump rows) expected, got %s" % (total, c.get("syns")))
verdict(st.get("maps", {}).get("tcp_fps", {}).get("entries") == len(ours),
        "status -j: tcp_fps entries %d expected, got %s" % (
            len(ours), st.get("maps", {}).get("tcp_fps", {}).get("entries")))
EOF
rc=$?
tap_verdicts "$TMP/verdicts"
[ $rc = 0 ] || fail "the comparison script failed (exit $rc)"

# ---- SIGTERM detaches and unpins ----
rc=0; bg_stop "$HS_PID" TERM || rc=$?
expect_eq "run exits 0 on SIGTERM" 0 $rc
grep -q 'detaching from' "$HS_LOG" && ok "run says it is detaching" ||
	fail "a 'detaching from' line expected, got: $(tail -n 2 "$HS_LOG" | tr '\n' '|')"
line=$(ip -n "$BED_SRV" link show dev "$BED_DEV" | head -n 1)
case $line in
*" xdp"*) fail "no XDP on $BED_DEV after SIGTERM expected, got: $line";;
*) ok "no XDP program on $BED_DEV after SIGTERM";;
esac
[ ! -e "$BED_PINS" ] && ok "pin dir $BED_PINS removed on exit" ||
	fail "pin dir removed on exit expected, got: $(ls -A "$BED_PINS")"
got=$(bed_connect 1 2 2>&1)
expect_eq "connections still succeed after detaching" 2 "$got"

# ---- --keep-maps ----
KEEP=/sys/fs/bpf/$TAG-keep
if hs_start HK_PID "$KEEP" "$TMP/keep.log" --keep-maps; then
	got=$(bed_connect 2 2 2>&1)
	expect_eq "connections while a --keep-maps run is attached" 2 "$got"
	rc=0; bg_stop "$HK_PID" TERM || rc=$?
	expect_eq "--keep-maps run exits 0 on SIGTERM" 0 $rc
	expect_eq "--keep-maps: pins left after SIGTERM" "accounts conns enforce flows meta names pairs quic_flows quic_user reasm seen stats tcp_fps tcp_known tls_fps" \
		"$(ls "$KEEP" 2>&1 | sort | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "--keep-maps: no XDP program left on $BED_DEV" "" "$(xdp_prog_id "$BED_SRV" "$BED_DEV")"
	got=$("$HS" dump --pin-dir "$KEEP" -j 2>&1 |
		"$BED_PY" -c 'import json,sys; print(sum(json.loads(l)["syns"] for l in sys.stdin))' 2>&1)
	expect_eq "--keep-maps: dump of the kept pins counts the 2 SYNs" 2 "$got"
	rm -rf "$KEEP"
	[ ! -e "$KEEP" ] && ok "kept pins removed by the test" || fail "rm -rf $KEEP failed"
else
	fail "run --keep-maps: attachment expected (log above)"
fi

# ---- under ip netns exec: a mount namespace, a bpffs of its own, said ----
NX=/sys/fs/bpf/$TAG-nx
bg_job NX_PID ip netns exec "$BED_SRV" "$HS" run -i "$BED_DEV" -m native --pin-dir "$NX" \
	--state-dir "$TMP/state-nx" 2>"$TMP/nx.log"
if wait_for 10 grep -q '^hydrascope: attached to ' "$TMP/nx.log"; then
	grep -q "^hydrascope: mounted bpffs on /sys/fs/bpf in this mount namespace only .*dump, status, top and exporter see these maps only from inside it (nsenter -t $NX_PID -m -n" \
		"$TMP/nx.log" && ok "ip netns exec: run says its bpffs is its mount namespace's only" ||
		fail "ip netns exec: a warning on its own bpffs expected: $(head -n 3 "$TMP/nx.log" | tr '\n' '|')"
	[ ! -e "$NX" ] && ok "its pins are not in the host's /sys/fs/bpf" || fail "$NX on the host"
else
	fail "run under ip netns exec: attachment expected: $(head -c 400 "$TMP/nx.log")"
fi
rc=0; bg_stop "$NX_PID" TERM || rc=$?
expect_eq "run under ip netns exec exits 0 on SIGTERM" 0 $rc

done_testing
