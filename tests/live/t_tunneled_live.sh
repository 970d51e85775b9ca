#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Traffic still wrapped in a tunnel: an interface that receives a load
# balancer's IP in IP or GRE, or VXLAN or Geneve. The program does not read
# the inner packets; it counts them (`tunneled`, not in `non_tcp`), and
# `run` says so in one line, once, when most of a window's packets were
# such. A Python sender in the peer namespace sends TCP SYNs of a client
# wrapped each way, over IPv4 and IPv6 (raw sockets: the kernel writes the
# outer IP header; UDP sockets for VXLAN and Geneve, each with an inner
# Ethernet frame): `status -j` counts every one as tunneled, no SYN is
# fingerprinted, plain UDP to another port is not counted, and run's line
# names the interface and the numbers. The next run, after a hand-over,
# judges only its own windows: the earlier packets in the maps it reuses
# are not said again.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip python3 nsenter timeout
need_hs
S=$TAG-us C=$TAG-uc DEV=${TAG}u P=/sys/fs/bpf/$TAG-u WINDOW=2
D=$TMP/u
mkdir -p "$D"
keep_on_fail "$D/run.log" "$D/run2.log" "$D/send.log"
cleanup_push "rm -rf '$P'"
ns_add "$S"
ns_add "$C"
if ! veth_pair "$S" "$DEV" 198.18.0.2/24 "$C" "${TAG}v" 198.18.0.1/24 ||
	! ip -n "$S" -6 addr add 2001:2:78::2/64 dev "$DEV" nodad ||
	! ip -n "$C" -6 addr add 2001:2:78::1/64 dev "${TAG}v" nodad; then
	fail "a veth pair between $S and $C, IPv4 and IPv6"
	done_testing
fi
ok "a veth pair between $S and $C, IPv4 and IPv6"

bg_job HS_PID nsenter --net=/run/netns/"$S" "$HS" run -i "$DEV" --pin-dir "$P" \
	--state-dir "$TMP/state" --window $WINDOW 2>"$D/run.log"
if wait_for 10 grep -q "^hydrascope: attached to $DEV" "$D/run.log"; then
	ok "run attached to $DEV"
else
	fail "an attachment expected: $(head -c 400 "$D/run.log" | tr '\n' '|')"
	done_testing
fi

# each of the six ways N times, IPv4 and IPv6 outer headers: 6 * N tunnel
# packets; then 20 plain UDP datagrams to port 5000 (not a tunnel's)
N=200
nsx "$C" python3 - "$N" "$ROOT/tests/lib" >"$D/send.log" 2>&1 <<'EOF'
import socket, struct, sys

n = int(sys.argv[1])
sys.path.insert(0, sys.argv[2])
from mkpcap import csum, syn        # a Linux-like SYN to 198.19.0.1:443, with Ethernet

def syn4(i):
    return syn(i)[14:]

def syn6(i):
    src = socket.inet_pton(socket.AF_INET6, "2001:2:79::%x" % (1 + i))
    dst = socket.inet_pton(socket.AF_INET6, "2001:2:79::ffff")
    opts = bytes.fromhex("020405a00402080a000000010000000001030307")
    tcp = struct.pack("!HHIIBBHHH", 40000 + i, 443, 1000 + i, 0, (5 + len(opts) // 4) << 4, 0x02,
                      64800, 0, 0) + opts
    ph = src + dst + struct.pack("!I3xB", len(tcp), 6)
    tcp = tcp[:16] + struct.pack("!H", csum(ph + tcp)) + tcp[18:]
    return struct.pack("!IHBB", 6 << 28, len(tcp), 6, 64) + src + dst + tcp

eth = lambda t: b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01" + struct.pack("!H", t)
sent = 0
for fam, dst in ((socket.AF_INET, "198.18.0.2"), (socket.AF_INET6, "2001:2:78::2")):
    ipip = socket.socket(fam, socket.SOCK_RAW, 4)        # IPv4 in IP
    ip6ip = socket.socket(fam, socket.SOCK_RAW, 41)      # IPv6 in IP
    gre = socket.socket(fam, socket.SOCK_RAW, 47)
    udp = socket.socket(fam, socket.SOCK_DGRAM)
    for i in range(n):
        ipip.sendto(syn4(i), (dst, 0))
        ip6ip.sendto(syn6(i), (dst, 0))
        gre.sendto(struct.pack("!HH", 0, 0x0800) + syn4(i), (dst, 0))
        # VXLAN: flags (I), VNI 7; Geneve: version 0, no options, Ethernet
        udp.sendto(struct.pack("!II", 0x08000000, 7 << 8) + eth(0x0800) + syn4(i), (dst, 4789))
        udp.sendto(struct.pack("!HHI", 0, 0x6558, 7 << 8) + eth(0x86dd) + syn6(i), (dst, 6081))
        sent += 5
    for i in range(10):
        udp.sendto(b"not a tunnel", (dst, 5000))
print("sent", sent)
EOF
rc=$?
[ $rc -eq 0 ] && ok "the sender: $(tail -n1 "$D/send.log")" ||
	fail "the sender exited $rc: $(tail -c 300 "$D/send.log")"
want=$((2 * 5 * N))

# run's line, once a window has closed
if wait_for $((WINDOW * 4)) grep -q "tunnel packets" "$D/run.log"; then
	line=$(grep "tunnel packets" "$D/run.log")
	[[ "$line" =~ ^hydrascope:\ ([0-9]+)\ of\ the\ ([0-9]+)\ packets\ on\ $DEV\ in\ the\ last\ window\ were\ tunnel\ packets ]] &&
		[ "${BASH_REMATCH[1]}" -ge 100 ] && [ "${BASH_REMATCH[1]}" -le "$want" ] &&
		ok "run says so: $line" ||
		fail "a line naming $DEV and the window's numbers expected: $line"
else
	fail "run's line on tunnel packets expected within $((WINDOW * 4)) s: $(tail -c 400 "$D/run.log" | tr '\n' '|')"
fi
sleep $((WINDOW + 1))
expect_eq "run said it once" 1 "$(grep -c "tunnel packets" "$D/run.log")"

st=$("$HS" status --pin-dir "$P" -j 2>&1)
python3 - "$want" "$st" <<'EOF' && ok "status -j: $want tunneled, the 20 plain UDP datagrams in non_tcp, no SYN" ||
import json, sys
want, c = int(sys.argv[1]), json.loads(sys.argv[2])["counters"]
print(c["tunneled"], c["non_tcp"], c["syns"], file=sys.stderr)
sys.exit(0 if c["tunneled"] == want and 20 <= c["non_tcp"] < want and c["syns"] == 0 else 1)
EOF
	fail "status -j: tunneled $want, non_tcp 20 (and ICMPv6), syns 0 expected: $(echo "$st" | head -c 600)"
# a hand-over: the next run reuses the maps and their counts, and judges
# only the windows it sees (no tunnel packet now): it says nothing
bg_stop "$HS_PID" USR2 10
bg_job HS2_PID nsenter --net=/run/netns/"$S" "$HS" run -i "$DEV" --pin-dir "$P" \
	--state-dir "$TMP/state" --window $WINDOW 2>"$D/run2.log"
if wait_for 10 grep -q "^hydrascope: attached to $DEV .* in place of" "$D/run2.log"; then
	sleep $((2 * WINDOW + 1))
	expect_eq "the next run, after a hand-over: no line on the earlier run's tunnel packets" 0 \
		"$(grep -c "tunnel packets" "$D/run2.log")"
else
	fail "a hand-over expected: $(head -c 400 "$D/run2.log" | tr '\n' '|')"
fi
bg_stop "$HS2_PID" TERM 10
done_testing
