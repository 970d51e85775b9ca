#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compare `hydrascope replay --events -j` QUIC ClientHellos of the public
captures with the expected JA4 values (expected-quic.jsonl: one object per
connection with pcap, src, sport, dport, ja4).

    quic_compare.py HYDRASCOPE DIR EXPECTED.jsonl [REPLAY OPTION...]

One line per capture, then "quic: N/M JA4 match". Exit 1 on any mismatch
or missing connection."""
import collections
import json
import subprocess
import sys


def main():
    hs, d, expected = sys.argv[1:4]
    extra = sys.argv[4:]
    want = collections.defaultdict(list)
    for line in open(expected):
        if line.strip():
            e = json.loads(line)
            want[e["pcap"]].append(e)
    total = good = 0
    for pcap in sorted(want):
        p = subprocess.run([hs, "replay", "--events", "-j", *extra, f"{d}/{pcap}"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print(f"FAILED {pcap}: replay exited {p.returncode}: {p.stderr[:200]}")
            total += len(want[pcap])
            continue
        got = {}
        for line in p.stdout.splitlines():
            ev = json.loads(line)
            if ev.get("event") == "tls_hello" and ev.get("ja4", "").startswith("q"):
                got[(ev["src"], ev["sport"], ev["dport"])] = ev["ja4"]
        n = 0
        for e in want[pcap]:
            total += 1
            k = (e["src"], e["sport"], e["dport"])
            if k not in got:
                print(f"MISSING {pcap} {k}: expected {e['ja4']}")
            elif got[k] != e["ja4"]:
                print(f"MISMATCH {pcap} {k}: {got[k]} expected {e['ja4']}")
            else:
                n += 1
        good += n
        print(f"{pcap}: {n}/{len(want[pcap])} QUIC JA4 match")
    print(f"quic: {good}/{total} JA4 match")
    return 0 if good == total and total else 1


if __name__ == "__main__":
    sys.exit(main())
