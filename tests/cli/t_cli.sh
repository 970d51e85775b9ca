#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The CLI as an operator meets it: help, bad flags, bad files, no privileges.
# Each failure must be one clear line on stderr and the documented exit code.
. "$(dirname "$0")/../lib/lib.sh"
need_cmd python3

# expect_exit NAME CODE CMD...: exit status CODE and at most one stderr line
expect_exit() {
	local name=$1 want=$2 rc lines; shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	lines=$(wc -l <"$TMP/err")
	if [ "$rc" != "$want" ]; then
		fail "$name: exit $want expected, got $rc ($(head -c 200 "$TMP/err"))"
	elif [ "$want" != 0 ] && [ "$lines" != 1 ]; then
		fail "$name: one error line expected, got $lines: $(head -c 300 "$TMP/err")"
	else
		ok "$name (exit $rc${lines:+, $(head -c 120 "$TMP/err" | tr -d '\n')})"
	fi
}

expect_exit "no command" 2 "$HS"
expect_exit "unknown command" 2 "$HS" frobnicate
expect_exit "top-level help" 0 "$HS" -h
grep -q '^Usage: hydrascope COMMAND' "$TMP/out" && ok "help names the usage" || fail "help text"
for c in run dump status replay top exporter lookup fleet; do
	expect_exit "$c -h" 0 "$HS" $c -h
	grep -q "^Usage: hydrascope $c" "$TMP/out" && ok "$c -h prints usage" || fail "$c -h usage"
	expect_exit "$c unknown flag" 2 "$HS" $c --no-such-flag
done

# help_opts CMD: the options `CMD -h` lists, one "NAME ARG" a line (ARG "-"
# for a flag): its lines "  -x, --NAME ARG  help" and "      --NAME  help";
# the value's name follows the option after one space, in capitals
help_opts() {
	"$HS" "$1" -h | sed -nE 's/^  (-[a-zA-Z], |    )--([a-z0-9.-]+)( ([A-Z][A-Z:]*))?( .*|$)/\2 \4/p' |
		awk '{ print $1, ($2 == "" ? "-" : $2) }'
}
man8=$ROOT/user/hydrascope.8
man_missing=
for c in run dump status replay top exporter lookup fleet; do
	help_opts $c >"$TMP/opts"
	n=$(wc -l <"$TMP/opts")
	dups=$(cut -d' ' -f1 "$TMP/opts" | sort | uniq -d | tr '\n' ' ')
	[ "$n" -gt 0 ] && [ -z "$dups" ] && ok "$c -h lists $n options, each once" ||
		fail "$c -h: options listed more than once: '$dups' ($n lines)"
	# each listed option is one the command takes: a value-taking option
	# given none is missing its value, a flag goes by to the unknown one
	taken=0
	while read -r name arg; do
		if [ "$arg" = - ]; then
			"$HS" $c --$name --no-such-flag >/dev/null 2>"$TMP/err"
			want="unknown option '--no-such-flag'"
		else
			"$HS" $c --$name >/dev/null 2>"$TMP/err"
			want="option '--$name' needs a value"
		fi
		grep -qF "$want" "$TMP/err" && taken=$((taken + 1)) ||
			fail "$c --$name: '$want' expected, got: $(cat "$TMP/err")"
	done <"$TMP/opts"
	[ "$taken" = "$n" ] && ok "$c takes every option its -h lists"
	# the synopsis names the same options
	"$HS" $c -h | sed -n '1,/^ *-/p' | sed '$d' | grep -oE '\[--[a-z0-9.-]+' | cut -c4- |
		sort >"$TMP/syn"
	"$HS" $c -h | grep -oE '\[-[a-zA-Z]\]' | cut -c3 | while read -r l; do
		"$HS" $c -h | sed -nE "s/^  -$l, --([a-z0-9.-]+).*/\1/p"
	done | sort - "$TMP/syn" -o "$TMP/syn"
	req=$("$HS" $c -h | head -1 | grep -oE "^Usage: hydrascope $c -[a-zA-Z]" | cut -c$((21 + ${#c}))-)
	[ -n "$req" ] && "$HS" $c -h | sed -nE "s/^  -$req, --([a-z0-9.-]+).*/\1/p" >>"$TMP/syn"
	# a required long option (fleet --db URL)
	"$HS" $c -h | head -1 | sed -nE "s/^Usage: hydrascope $c --([a-z0-9.-]+) .*/\1/p" >>"$TMP/syn"
	diff <(sort "$TMP/syn") <(cut -d' ' -f1 "$TMP/opts" | sort) >"$TMP/d" &&
		ok "$c -h: the synopsis names every option listed" ||
		fail "$c -h: synopsis and option lines differ: $(tr '\n' ' ' <"$TMP/d")"
	for name in $(cut -d' ' -f1 "$TMP/opts"); do
		grep -qF -- "\\-\\-${name//-/\\-}" "$man8" || man_missing+=" $c --$name"
	done
done
[ -z "$man_missing" ] && ok "every option of every -h is in the man page" ||
	fail "options -h lists and user/hydrascope.8 does not:$man_missing"
expect_exit "run without -i" 2 "$HS" run
expect_exit "run bad mode" 2 "$HS" run -i lo -m turbo
expect_exit "run missing interface" 1 "$HS" run -i hsnosuchdev0
grep -q "No such interface 'hsnosuchdev0'" "$TMP/err" && ok "names the interface" || fail "interface message: $(cat "$TMP/err")"
expect_exit "dump --top 0" 2 "$HS" dump --top 0
expect_exit "dump --top x" 2 "$HS" dump --top 12x
expect_exit "dump --top -1" 2 "$HS" dump --top -1
expect_exit "dump extra arg" 2 "$HS" dump extra
expect_exit "replay without file" 2 "$HS" replay
expect_exit "lookup without a client" 2 "$HS" lookup
for bad in 198.18.1.2 198.18.1.2:0 198.18.1.2:65536 host:80 "[198.18.1.2]:80" ""; do
	expect_exit "lookup '$bad'" 2 "$HS" lookup "$bad"
done
expect_exit "lookup with a bad server side" 2 "$HS" lookup 198.18.1.2:40000 198.18.0.2
expect_exit "lookup, client and server of two families" 2 "$HS" lookup 198.18.1.2:40000 "[::1]:443"
expect_exit "lookup with three sides" 2 "$HS" lookup 198.18.1.2:1 198.18.0.2:443 198.18.0.3:443
expect_exit "lookup --account (tags go through the socket)" 2 "$HS" lookup --account 12 198.18.1.2:1
expect_exit "run --lookup-socket-mode without --lookup-socket" 2 "$HS" run -i lo --lookup-socket-mode 0600
for bad in 0800 777x -1 01000 ""; do
	expect_exit "run --lookup-socket-mode '$bad'" 2 "$HS" run -i lo --lookup-socket /tmp/$TAG.sock \
		--lookup-socket-mode "$bad"
done
expect_exit "run --lookup-socket-group unknown" 2 "$HS" run -i lo --lookup-socket /tmp/$TAG.sock \
	--lookup-socket-group hsnosuchgroup$$
expect_exit "run --lookup-socket-rate x" 2 "$HS" run -i lo --lookup-socket /tmp/$TAG.sock \
	--lookup-socket-rate x
expect_exit "run --lookup-socket too long" 2 "$HS" run -i lo --lookup-socket "/tmp/$(printf 'x%.0s' {1..120})"
expect_exit "run --lookup-socket ''" 2 "$HS" run -i lo --lookup-socket ""
for bad in 0 65536 443,,80 x 1,2,3,4,5,6,7,8,9 ""; do
	expect_exit "run --ports '$bad'" 2 "$HS" run -i lo --ports "$bad"
done
expect_exit "replay --hello-bytes 63" 2 "$HS" replay --hello-bytes 63 x.pcap
expect_exit "replay --hello-bytes 16385" 2 "$HS" replay --hello-bytes 16385 x.pcap
expect_exit "replay --hello-segments 0" 2 "$HS" replay --hello-segments 0 x.pcap
expect_exit "replay --hello-segments 16385" 2 "$HS" replay --hello-segments 16385 x.pcap
expect_exit "run --ports without value" 2 "$HS" run -i lo --ports
expect_exit "replay --window 0" 2 "$HS" replay --window 0 x.pcap
expect_exit "replay --window 86401" 2 "$HS" replay --window 86401 x.pcap
expect_exit "replay --window abc" 2 "$HS" replay --window abc x.pcap
for bad in 0 86401 abc; do
	expect_exit "run --window $bad" 2 "$HS" run -i lo --window $bad
done
printf '[detect]\nmin_ips = 200\ngrowth = 4x\n' >"$TMP/bad.ini"
expect_exit "run --config with a bad value" 2 "$HS" run -i lo --config "$TMP/bad.ini"
grep -qF "hydrascope: $TMP/bad.ini:3: 'growth' must be" "$TMP/err" &&
	ok "names the file, the line and the key" || fail "config message: $(cat "$TMP/err")"
expect_exit "replay --config with a bad value" 2 "$HS" replay --config "$TMP/bad.ini" x.pcap
printf '[detect]\nmin_ips = 200\nfoo = 1\n' >"$TMP/bad.ini"
expect_exit "run --config with an unknown key" 2 "$HS" run -i lo --config "$TMP/bad.ini"
expect_exit "run --config missing" 2 "$HS" run -i lo --config "$TMP/none.ini"
for bad in 0 abc 1e3 -5 ""; do
	expect_exit "run --min-ips '$bad'" 2 "$HS" run -i lo --min-ips "$bad"
	expect_exit "replay --min-ips '$bad'" 2 "$HS" replay --min-ips "$bad" x.pcap
done

if [ "$(id -u)" != 0 ]; then
	skip "privileged cases" "needs root"
	done_testing
fi
pins=/sys/fs/bpf/$TAG-none
expect_exit "dump without instance" 1 "$HS" dump --pin-dir "$pins"
grep -q "is 'hydrascope run' running" "$TMP/err" && ok "dump says why" || fail "dump message: $(cat "$TMP/err")"
expect_exit "status without instance" 1 "$HS" status --pin-dir "$pins"
expect_exit "lookup without instance" 1 "$HS" lookup --pin-dir "$pins" 198.18.1.2:40000
grep -q "is 'hydrascope run' running" "$TMP/err" && ok "lookup says why" || fail "lookup message: $(cat "$TMP/err")"
expect_exit "run pin dir off bpffs" 1 "$HS" run -i lo --pin-dir /tmp/$TAG/x

python3 "$ROOT/tests/lib/mkpcap.py" "$TMP/syn.pcap" --count 50
expect_exit "replay missing file" 1 "$HS" replay "$TMP/nope.pcap"
expect_exit "replay missing among good" 1 "$HS" replay "$TMP/syn.pcap" "$TMP/nope.pcap"
[ ! -s "$TMP/out" ] && ok "nothing printed before the bad file is found" || fail "printed output"
head -c 1000 /dev/urandom >"$TMP/garbage.pcap"
expect_exit "replay garbage file" 1 "$HS" replay "$TMP/garbage.pcap"
python3 "$ROOT/tests/lib/mkpcap.py" "$TMP/wifi.pcap" --linktype 105
expect_exit "replay unsupported link type" 1 "$HS" replay "$TMP/wifi.pcap"
grep -q "not supported" "$TMP/err" && ok "names the link type problem" || fail "link type message: $(cat "$TMP/err")"

expect_exit "replay good file" 0 "$HS" replay -j "$TMP/syn.pcap"
syns=$(python3 -c 'import json,sys; print(sum(json.loads(l)["syns"] for l in open(sys.argv[1])))' "$TMP/out")
expect_eq "replay counts 50 SYNs" 50 "$syns"
# packets libpcap reads but no frame can be: counted, never copied
python3 "$ROOT/tests/lib/mkpcap.py" "$TMP/big.pcap" --count 3 --frame-bytes 100000
expect_exit "replay packets of 100,000 bytes" 0 "$HS" replay -j "$TMP/big.pcap"
grep -q "^hydrascope: 3 packets larger than a page were not inspected" "$TMP/err" &&
	ok "says they were not inspected" || fail "oversize message: $(cat "$TMP/err")"
# a capture of the first 128 bytes of each packet: the SYNs count, the
# ClientHellos cut short are said
if command -v editcap >/dev/null; then
	editcap -s 128 "$ROOT/tests/data/templates/curl.pcap" "$TMP/snap.pcap" >/dev/null 2>&1
	expect_exit "replay a capture cut at 128 bytes a packet" 0 "$HS" replay -j "$TMP/snap.pcap"
	syns=$(python3 -c 'import json,sys; print(sum(json.loads(l).get("syns", 0) for l in open(sys.argv[1])))' "$TMP/out")
	expect_eq "its 14 SYNs counted" 14 "$syns"
	n=$(tshark -r "$TMP/snap.pcap" -Y 'frame.cap_len < frame.len' 2>/dev/null | wc -l)
	grep -q "^hydrascope: $n packets cut short by the capture's snapshot length: .*ClientHello" "$TMP/err" &&
		[ "$n" -gt 0 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && ok "says the $n packets cut short" ||
		fail "snapshot length message for $n packets: $(cat "$TMP/err")"
else
	skip "snapshot length" "no editcap (wireshark-common)"
fi
# ClientHellos to a port --ports does not name: said, with the ports
expect_exit "replay with --ports other than the capture's" 0 "$HS" replay -j --ports 8443,9000 \
	"$ROOT/tests/data/templates/curl.pcap"
grep -q "^hydrascope: 14 ClientHellos to other ports than the TLS ports (8443,9000) not fingerprinted; --ports LIST names them$" \
	"$TMP/err" && [ "$(wc -l <"$TMP/err")" = 1 ] && ok "says 14 ClientHellos went to other ports" ||
	fail "other ports message: $(cat "$TMP/err")"
# curl's capture as traffic mirroring delivers it (each frame in VXLAN
# over UDP 4789, and the same in GRE): the inner packets not looked at, said
PYTHONPATH=$ROOT/tests/lib python3 - "$ROOT/tests/data/templates/curl.pcap" "$TMP/vxlan.pcap" \
	"$TMP/gre.pcap" <<'EOF'
import struct, sys
import scenario as sc
_, frames = sc.read_pcap(sys.argv[1])
def outer(proto, inner):
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(inner), 1, 0x4000, 64, proto, 0,
                               bytes([198, 18, 9, 1]), bytes([198, 18, 9, 2])))
    ip[10:12] = sc.csum(bytes(ip)).to_bytes(2, "big")
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + bytes(ip) + inner
for path, wrap in ((sys.argv[2], lambda f: outer(17, struct.pack("!HHHH", 40000, 4789, 16 + len(f), 0) +
                                                b"\x08\x00\x00\x00\x00\x00\x64\x00" + f)),
                   (sys.argv[3], lambda f: outer(47, b"\x00\x00\x65\x58" + f))):
    w = sc.PcapWriter(path)
    for t, f in frames:
        w.write(t, wrap(f))
    w.close()
EOF
n=$(tshark -r "$ROOT/tests/data/templates/curl.pcap" 2>/dev/null | wc -l)
for t in vxlan gre; do
	expect_exit "replay of curl's capture in $t" 0 "$HS" replay -j "$TMP/$t.pcap"
	grep -q "^hydrascope: $n packets of tunnels (GRE, IP in IP, VXLAN, Geneve) whose inner packets were not looked at" \
		"$TMP/err" && [ "$(wc -l <"$TMP/err")" = 1 ] && [ ! -s "$TMP/out" ] &&
		ok "$t: says its $n packets are a tunnel's, and counts nothing" ||
		fail "$t: a tunnel message for $n packets and no rows expected: $(cat "$TMP/err") $(head -c 200 "$TMP/out")"
done
# cut the capture in the middle of a packet: the packets before it count
size=$(stat -c %s "$TMP/syn.pcap")
head -c $((size - 30)) "$TMP/syn.pcap" >"$TMP/trunc.pcap"
expect_exit "replay truncated capture" 4 "$HS" replay -j "$TMP/trunc.pcap"
syns=$(python3 -c 'import json,sys; print(sum(json.loads(l)["syns"] for l in open(sys.argv[1])))' "$TMP/out")
expect_eq "truncated capture keeps the 49 whole SYNs" 49 "$syns"
grep -q "capture ends early after 49 packets" "$TMP/err" && ok "says where it ended" || fail "truncation message: $(cat "$TMP/err")"
# a capture that starts after the SYNs: the ClientHellos left out are said
if command -v tcpdump >/dev/null; then
	tcpdump -r "$ROOT/tests/data/templates/curl.pcap" -w "$TMP/nosyn.pcap" \
		'tcp[tcpflags] & tcp-syn == 0' 2>/dev/null
	expect_exit "replay without the SYNs" 0 "$HS" replay "$TMP/nosyn.pcap"
	grep -q '^hydrascope: 14 of 14 ClientHellos left out: .*hellos_no_syn 14.*--handshake none counts them$' \
		"$TMP/err" && [ "$(wc -l <"$TMP/err")" = 1 ] && ok "says 14 ClientHellos were left out, why" ||
		fail "one line on the 14 left out expected: $(head -c 300 "$TMP/err")"
	expect_exit "replay --handshake none without the SYNs" 0 "$HS" replay --handshake none "$TMP/nosyn.pcap"
	! grep -q 'left out' "$TMP/err" && grep -q '^t13d' "$TMP/out" &&
		ok "--handshake none: counted, nothing said" ||
		fail "--handshake none: $(head -c 200 "$TMP/err") / $(head -c 200 "$TMP/out")"
else
	skip "replay without the SYNs" "needs tcpdump"
fi
expect_exit "replay bad p0f db" 1 "$HS" replay --p0f-db "$TMP/nope.fp" "$TMP/syn.pcap"
if [ "$(id -u)" = 0 ]; then
	expect_exit "replay alerts to a missing directory" 1 "$HS" replay --alerts "$TMP/nodir/a.log" "$TMP/syn.pcap"
	expect_exit "run alerts to a missing directory" 1 "$HS" run -i lo --pin-dir /sys/fs/bpf/$TAG-na \
		--alerts "$TMP/nodir/a.log"
	[ ! -e /sys/fs/bpf/$TAG-na ] && ok "run with a bad alert file left no pin dir" ||
		{ rmdir /sys/fs/bpf/$TAG-na; fail "pin dir left behind"; }
fi

if command -v setpriv >/dev/null; then
	chmod 755 "$TMP"; chmod 644 "$TMP/syn.pcap"
	expect_exit "replay unprivileged" 3 setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$HS" replay "$TMP/syn.pcap"
	expect_exit "run unprivileged" 3 setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$HS" run -i lo --pin-dir /sys/fs/bpf/$TAG-np
	grep -q 'needs root' "$TMP/err" && ok "unprivileged run says root is needed" ||
		fail "unprivileged run's error names no privilege: $(head -c 200 "$TMP/err")"
	[ ! -e /sys/fs/bpf/$TAG-np ] && ok "unprivileged run left no pin dir" || { rmdir /sys/fs/bpf/$TAG-np; fail "pin dir left behind"; }
else
	skip "unprivileged cases" "needs setpriv (util-linux)"
fi

# the README's sockopt snippets are lines of the examples the live test runs
python3 - "$ROOT" >"$TMP/snippets.txt" 2>&1 <<'EOF'
import re, sys
root = sys.argv[1]
readme = open(root + "/README.md").read()
sec = readme.split("## The application joins in", 1)[1].split("\n## ", 1)[0]
blocks = re.findall(r"```(python|c)\n(.*?)```", sec, re.S)
files = {"python": "examples/sockopt_server.py", "c": "examples/sockopt_server.c"}
assert {b[0] for b in blocks} == {"python", "c"}, blocks
for lang, text in blocks:
    src = open(root + "/" + files[lang]).read().splitlines()
    for line in text.splitlines():
        assert line in src, (files[lang], line)
print(sum(len(t.splitlines()) for _, t in blocks), "lines")
EOF
[ $? -eq 0 ] && ok "README sockopt snippets: every line in the examples ($(cat "$TMP/snippets.txt"))" ||
	fail "README sockopt snippets not in the examples: $(tail -n 2 "$TMP/snippets.txt")"

# a user's CFLAGS and LDFLAGS on make's command line add to the project's
# flags (include paths, -MMD, -Werror), they do not replace them
if command -v make >/dev/null && command -v clang >/dev/null; then
	if make -C "$ROOT" -j2 V=1 CFLAGS=-O1 LDFLAGS=-Wl,-O1 BASE="$TMP/b" OUT="$TMP/b" \
		BIN="$TMP/b/hydrascope" "$TMP/b/hydrascope" >"$TMP/build.log" 2>&1 &&
		"$TMP/b/hydrascope" -h >/dev/null; then
		ok "make CFLAGS=-O1 LDFLAGS=-Wl,-O1 builds a working binary"
	else
		fail "make CFLAGS=-O1: $(grep -m3 'rror:\|Error' "$TMP/build.log" | tr '\n' '|')"
	fi
	grep -q -- '-Werror.*-O1 ' "$TMP/build.log" && grep -q -- '-Wl,-O1' "$TMP/build.log" &&
		ok "the user's flags come after the project's" || fail "flags: $(grep -m1 ' -c ' "$TMP/build.log")"
else
	skip "make CFLAGS=..." "needs make and clang"
fi
done_testing
