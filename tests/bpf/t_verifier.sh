#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Guard against verifier-cost regressions: the kernel stops at 1,000,000
# processed instructions, and a program close to that breaks on the next
# small change. Deterministic numbers, unlike timings.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd bpftool
# Limits, raised only on purpose (and with the reason in the commit):
MAX_PROCESSED=99000      # the most of any program (replay's, hs_replay): measured 96,424 on
                         # kernel 6.18 (2026-12-07, a new source's record set read
                         # ahead, hs_xdp 93,777); 96,671 (2026-12-07, the extensions' next position
                         # from the length's two bytes, bounded by a test: hs_xdp
                         # 94,023); 95,311 (2026-12-06, a recall marking its misses
                         # only, hs_xdp 92,663); 95,570 (a known fingerprint's hello
                         # walked without its list of types, strings and groups:
                         # hs_tls_fill, its two loops ~1,400 each; the versions
                         # read in one word, hs_xdp 92,922); 91,117 (2026-12-06,
                         # the extensions' header read as one word, hs_xdp 88,469);
                         # 91,542 (2026-12-06, the option walk's position and
                         # count in registers, its signature the caller's, hs_xdp
                         # 88,894); 90,789
                         # (2026-12-06, list_memo's entries in one value,
                         # compared under masks, hs_xdp 88,141); 91,086 (2026-12-06,
                         # built for BPF v3, -mcpu=v3, hs_xdp 88,438); 96,632 (2026-12-06, a SYN's locked add
                         # after its sketches, hs_xdp 91,955); 96,644 (2026-12-06, the
                         # extensions' walk in one loop and the clock from the
                         # jiffies, hs_xdp 91,967); 98,075
                         # (2026-12-05, the flow slots' tags, hs_xdp 93,398);
                         # 97,798 (2026-12-05, issue 19: the ClientHello's lists
                         # remembered per CPU, list_memo: two global subprograms, their
                         # word loops ~800 each, hs_xdp 93,121; was 95,855; issue 19's
                         # bound is 100,000 a program: the next change must find room);
                         # 83,662 on
                         # kernel 6.18 (2026-12-03, issue 19: the walks in plain bounded loops,
                         # verified step by step: the ClientHello's fast walk ~29,000 (its
                         # extensions, lists and cipher suites, one per iteration), the SYN's
                         # general option walk ~11,000; hs_xdp 78,997, hs_egress 6,845,
                         # hs_quic_hello 11,867, which keeps the bpf_loop walk; the issue's
                         # bound: 100,000 a program), +15%; 30,763 on
                         # kernel 6.18 (2026-12-02, issue 18: QUIC, the datagram path in
                         # global subprograms; hs_xdp 26,098, hs_egress 6,845, the
                         # hs_quic_hello syscall program 11,914); 26,366 on
                         # kernel 6.18 (2026-12-02, issue 17: the reassembly's collection,
                         # its one-record fast path and the count of a hello each a global
                         # subprogram, verified once for the scratch and the map; the
                         # counting shared with the unfingerprinted populations; hs_xdp
                         # 21,726); 45,273 on
                         # kernel 6.18 (2026-12-02, the sketches' hashing in a global
                         # subprogram, issue 16; hs_xdp 40,633; was 47,866 and 43,226);
                         # 48,144 (2026-12-02, with the connection records, issue 15;
                         # hs_xdp 43,504, hs_getsockopt 5,960; 43,908 after the pairs map: was 42,927 after the
                         # BPF side's split by role; hs_xdp 39,268, hs_egress 3,178;
                         # everything past the parse and the IPv6 extension chain in global
                         # subprograms: was 354,459), +15%
MAX_XLATED=11500         # hs_xdp's instructions after the verifier's rewrites: measured
                         # 10,973 with the lists remembered (issue 19, list_memo; was 10,520);
                         # 9,281 with issue 19 (the fast walks beside the bpf_loop ones they
                         # fall back to, the option templates; +15%); 8,002 with issue 18 (raised from 7,750: QUIC's datagram path,
                         # hs_quic 619, its header parse 303, the Handshake check 77, the
                         # UDP parse and port check in handle; +15%); 6,870 with issue 17 (the reassembly: the count of a hello inlined
                         # once, not twice; the unvalidated sample, the populations);
                         # 7,194 with PostgreSQL hll's sketches (issue 16; was 7,325);
                         # 7,317 with the connection records (6,741 with the pairs map, was 6,497; hs_replay 6,815, hs_egress
                         # 542), +15%
obj=$ROOT/.output/hydrascope.bpf.o
pins=/sys/fs/bpf/$TAG-verifier
cleanup_push "rm -rf $pins"
[ -d /sys/fs/bpf ] && mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
# every program of the object, each of its section's type (XDP, tc egress)
bpftool -d prog loadall "$obj" "$pins" >"$TMP/log" 2>&1
rc=$?
expect_eq "the programs load" 0 $rc
# one count per program; the XDP program's is by far the largest
n=$(grep -o 'processed [0-9]* insns' "$TMP/log" | awk '{print $2}' | sort -n | tail -1)
if [ -n "$n" ] && [ "$n" -le $MAX_PROCESSED ]; then
	ok "verifier processed $n instructions (limit $MAX_PROCESSED)"
else
	fail "verifier processed instructions: at most $MAX_PROCESSED expected, got '${n:-none}'"
fi
x=$(bpftool prog show pinned "$pins/hs_xdp" 2>/dev/null | grep -o 'xlated [0-9]*B' | grep -o '[0-9]*')
if [ -n "$x" ] && [ $((x / 8)) -le $MAX_XLATED ]; then
	ok "program is $((x / 8)) instructions (limit $MAX_XLATED)"
else
	fail "program size: at most $MAX_XLATED instructions expected, got '${x:-none}' bytes"
fi
# the whole object's load (every program verified, no log asked), the
# fastest of three: measured 0.23 s (2026-12-03, issue 19); under a second
best=
for i in 1 2 3; do
	rm -rf "$pins"
	t0=$(date +%s%N)
	bpftool prog loadall "$obj" "$pins" >/dev/null 2>&1
	t=$((($(date +%s%N) - t0) / 1000000))
	[ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
done
if [ "$best" -lt 1000 ]; then
	ok "the object loads in $best ms (limit 1000)"
else
	fail "the object's load: under 1000 ms expected, the fastest of three took $best ms"
fi
done_testing
