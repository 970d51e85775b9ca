#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Map sizes set at build time reach the BPF object alone (make BPF_EXTRA=
# -DHS_..._MAX=N): userspace must take every size from the maps, never from
# the macros. A build with bigger fingerprint maps must compile, and its
# replay must admit new TCP fingerprint ids up to half of *its* tcp_fps
# over the CPUs (the flood budget userspace sets from the map's size), not
# half of the default 4096. The build lives in $TMP, removed at exit.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd make clang bpftool python3
need_hs

TCP_MAX=16384 TLS_MAX=16384 NSYN=3000
BIG=$TMP/build/hydrascope
if make -C "$ROOT" -s -j2 BASE="$TMP/build" BIN="$BIG" \
	BPF_EXTRA="-DHS_TLS_FP_MAX=$TLS_MAX -DHS_TCP_FP_MAX=$TCP_MAX" all \
	>"$TMP/build.log" 2>&1 && [ -x "$BIG" ]; then
	ok "a build with -DHS_TLS_FP_MAX=$TLS_MAX -DHS_TCP_FP_MAX=$TCP_MAX compiles"
else
	fail "make with BPF_EXTRA='-DHS_TLS_FP_MAX=$TLS_MAX -DHS_TCP_FP_MAX=$TCP_MAX': a binary expected: $(grep -m 3 -i error "$TMP/build.log" | tr '\n' '|')"
	done_testing
fi

# NSYN client SYNs, each of another TCP signature (its window, odd: never
# rendered as a multiple of the MSS or MTU, so one report line each): a
# flood of new ids, all in one window of one CPU (replay runs on the caller's)
python3 - "$TMP/flood.pcap" "$NSYN" <<'PY'
import struct, sys

def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def syn(i):
    src, dst = bytes([198, 18, i >> 8 & 0xff, i & 0xff]), bytes([198, 19, 0, 1])
    opts = struct.pack("!BBH", 2, 4, 1460) + b"\x04\x02" + \
        struct.pack("!BBII", 8, 10, 1000 + i, 0) + b"\x01" + struct.pack("!BBB", 3, 3, 7)
    tcp = struct.pack("!HHIIBBHHH", 40000 + i, 443, 1 + i, 0, (20 + len(opts)) // 4 << 4,
                      0x02, 2 * i + 1, 0, 0) + opts
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xffff, 0x4000,
                     64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + ip + tcp

with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(int(sys.argv[2])):
        p = syn(i)
        f.write(struct.pack("<IIII", 1795430400, i, len(p), len(p)) + p)
PY

# possible CPUs, as libbpf counts them ("0-1,4-7")
ncpu=0
IFS=, read -ra ranges </sys/devices/system/cpu/possible
for r in "${ranges[@]}"; do
	ncpu=$((ncpu + ${r#*-} - ${r%-*} + 1))
done
# admitted: the flood's ids up to the budget, max_entries / 2 / ncpu
admitted() {
	local b=$(($1 / 2 / ncpu))
	echo $((NSYN < b ? NSYN : b))
}
tcp_entries() {
	"$1" replay -j "$TMP/flood.pcap" 2>"$TMP/replay.err" | grep -c '"kind":"tcp"'
}
expect_eq "default build: $NSYN new ids, budget 4096 / 2 / $ncpu CPUs" \
	"$(admitted 4096)" "$(tcp_entries "$HS")"
expect_eq "tcp_fps of $TCP_MAX: $NSYN new ids, budget $TCP_MAX / 2 / $ncpu CPUs" \
	"$(admitted $TCP_MAX)" "$(tcp_entries "$BIG")"
done_testing
