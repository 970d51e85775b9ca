#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Where the XDP program's time goes, function by function and instruction
# by instruction of its JIT's machine code, for one of bench_pkt's
# comparison classes (`make profile CLASS=hello_chrome_steady$`; CLASS as
# BENCH_PKT_VERSUS_ONLY takes it: part of a class's name, or its end with
# a trailing $). bench_pkt runs the class again and again through the new
# program alone (BENCH_PKT_SPIN), perf samples its CPU (cpu-clock: no PMU
# counters needed, as on a VM), jitprof reads the JIT's code, and the
# samples are placed in it. Steady and batched classes only (the fresh
# connections' single runs are mostly system calls).
#
# Usage: profile.sh CLASS [SECONDS]   (root; perf: Debian's linux-perf)
set -u
class=${1:-}
secs=${2:-5}
out=${HS_OUT:-.output}
if [ -z "$class" ]; then
	echo "usage: profile.sh CLASS [SECONDS] (a bench_pkt comparison class, e.g. hello_chrome_steady\$)" >&2
	exit 2
fi
case $secs in ''|*[!0-9]*|0) echo "profile.sh: SECONDS: not a positive number: $secs" >&2; exit 2;; esac
[ "$(id -u)" = 0 ] || { echo "profile.sh: needs root (perf on a CPU, the programs' code)" >&2; exit 1; }
for t in perf objdump python3 bpftool; do
	command -v $t >/dev/null || { echo "profile.sh: $t not found (perf: apt-get install linux-perf)" >&2; exit 1; }
done
for f in "$out/tests/bench_pkt" "$out/tests/jitprof"; do
	[ -x "$f" ] || { echo "profile.sh: $f not built (make profile builds it)" >&2; exit 1; }
done

tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

BENCH_PKT_VERSUS_ONLY="$class" BENCH_PKT_SPIN=1000000 "$out/tests/bench_pkt" \
	>"$tmp/bench.out" 2>"$tmp/bench.err" &
pid=$!
# the bench says when it spins, on which CPU
for _ in $(seq 600); do
	grep -q "spinning" "$tmp/bench.err" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.2
done
line=$(grep -m1 "spinning" "$tmp/bench.err")
if [ -z "$line" ]; then
	why=$(tail -1 "$tmp/bench.err")
	echo "profile.sh: bench_pkt spun no steady or batched class matching '$class'${why:+ ($why)}" >&2
	exit 1
fi
cpu=$(sed -n 's/.* on CPU \([0-9]*\),.*/\1/p' <<<"$line")
echo "profile: $line; sampling CPU $cpu for $secs s"

# every XDP program named hs_xdp (the old and the new, and the bench's
# other loads): the samples tell which one ran
n=0
for id in $(bpftool prog show | sed -n 's/^\([0-9]*\): xdp  *name hs_xdp .*/\1/p'); do
	"$out/tests/jitprof" "$id" "$tmp/img.$id" >"$tmp/funcs.$id" 2>/dev/null && n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "profile.sh: no hs_xdp program's code could be read" >&2; exit 1; }
cp /proc/kallsyms "$tmp/kallsyms"
perf record -q -e cpu-clock -F 20000 -C "$cpu" -o "$tmp/perf.data" -- sleep "$secs" >/dev/null 2>&1 ||
	{ echo "profile.sh: perf record failed" >&2; exit 1; }
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
perf script -i "$tmp/perf.data" -F ip,sym 2>/dev/null >"$tmp/samples" ||
	{ echo "profile.sh: perf script failed" >&2; exit 1; }

# objdump's name of this host's machine code, which the JIT writes
case $(uname -m) in
x86_64) arch=i386:x86-64;;
aarch64) arch=aarch64;;
*) echo "profile.sh: $(uname -m): no objdump machine name for it here" >&2; exit 1;;
esac

python3 - "$tmp" "$arch" <<'EOF'
import bisect, collections, glob, os, re, subprocess, sys

tmp, arch = sys.argv[1], sys.argv[2]
names = {}
for l in open(os.path.join(tmp, "kallsyms")):
    p = l.split()
    if len(p) >= 3 and p[2].startswith("bpf_prog_"):
        names[int(p[0], 16)] = re.sub(r"^bpf_prog_[0-9a-f]+_", "", p[2])
progs = []     # (start, length, offset in image, function name, image file)
for f in glob.glob(os.path.join(tmp, "funcs.*")):
    img, off = f.replace("funcs.", "img."), 0
    for l in open(f):
        a, n = l.split()
        a, n = int(a, 16), int(n)
        progs.append((a, n, off, names.get(a, "?"), img))
        off += n
progs.sort()
starts = [p[0] for p in progs]

total, by_sym, at = 0, collections.Counter(), collections.Counter()
for l in open(os.path.join(tmp, "samples")):
    p = l.split()
    if not p:
        continue
    total += 1
    ip = int(p[0], 16)
    i = bisect.bisect_right(starts, ip) - 1
    if i >= 0 and ip < progs[i][0] + progs[i][1]:
        by_sym[progs[i][3]] += 1
        at[(i, ip - progs[i][0])] += 1
    else:
        by_sym[re.sub(r"\+0x[0-9a-f]+$", "", p[1]) if len(p) > 1 else "?"] += 1
if not total:
    sys.exit("profile.sh: no samples")
print("\n%d samples; by function (the program's, and the kernel's it calls):" % total)
for s, n in by_sym.most_common(20):
    print("  %5.1f%%  %s" % (100.0 * n / total, s))

per_fn = collections.Counter()
for (i, o), n in at.items():
    per_fn[i] += n
for i, _ in per_fn.most_common(3):
    a, n, off, name, img = progs[i]
    with open(img, "rb") as f:
        f.seek(off)
        code = f.read(n)
    bin_ = os.path.join(tmp, "fn.bin")
    open(bin_, "wb").write(code)
    dis = subprocess.run(["objdump", "-D", "-b", "binary", "-m" + arch, bin_],
                         capture_output=True, text=True).stdout
    text = {}
    for l in dis.splitlines():
        # an instruction's line (a long one's bytes go on without one)
        m = re.match(r"\s*([0-9a-f]+):\s*(?:[0-9a-f]{2} ?)+\s+(\S.*)$", l)
        if m:
            text[int(m.group(1), 16)] = m.group(2).strip()
    offs = sorted(text)
    print("\n%s: %.1f%% of the samples; its hottest instructions, each after the "
          "one before it (a sample falls on the instruction after the one that "
          "waited):" % (name, 100.0 * per_fn[i] / total))
    hot = sorted(((c, o) for (j, o), c in at.items() if j == i), reverse=True)[:12]
    for c, o in sorted(hot, key=lambda x: x[1]):
        k = bisect.bisect_left(offs, o)
        before = text[offs[k - 1]] if 0 < k <= len(offs) else ""
        print("  %5.1f%%  +0x%04x  %-36s (after: %s)" % (100.0 * c / total, o, text.get(o, "?"), before))
EOF
