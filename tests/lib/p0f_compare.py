#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compare hydrascope SYN signatures with p0f's raw_sig for the same capture.

usage: p0f_compare.py CAPTURE EVENTS.jsonl
  EVENTS.jsonl holds `hydrascope replay --events -j` (or any tcp_syn lines).
Every SYN p0f fingerprints must appear in our events with the same
raw_sig, and vice versa (p0f skips retransmitted SYNs of a flow it tracks,
so comparison is per client address/port as a set). Prints a summary and
exits non-zero on any difference.
"""
import json
import re
import subprocess
import sys


def p0f_sigs(capture):
    out = subprocess.run(["p0f", "-r", capture], capture_output=True, text=True,
                         check=False).stdout
    sigs, kind, client = {}, None, None
    for line in out.splitlines():
        m = re.match(r"^\.-\[ (\S+) -> (\S+) \((.+)\) \]-", line)
        if m:
            kind, client = m.group(3), m.group(1)
            continue
        m = re.match(r"^\| raw_sig\s+= (.*)$", line)
        if m and kind == "syn":
            sigs.setdefault(client, set()).add(m.group(1))
    return sigs


def our_sigs(path):
    sigs = {}
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            if e.get("event") != "tcp_syn":
                continue
            client = "%s/%d" % (e["src"], e["sport"])
            sigs.setdefault(client, set()).add(e["tcp_sig"])
    return sigs


def norm(client):
    # p0f prints IPv6 addresses uncompressed without leading zeros
    addr, port = client.rsplit("/", 1)
    if ":" in addr:
        import ipaddress
        addr = ipaddress.ip_address(addr).exploded
        addr = ":".join(g.lstrip("0") or "0" for g in addr.split(":"))
    return addr + "/" + port


def main():
    capture, events = sys.argv[1], sys.argv[2]
    theirs = {norm(k): v for k, v in p0f_sigs(capture).items()}
    ours = {norm(k): v for k, v in our_sigs(events).items()}
    bad = 0
    for client in sorted(set(theirs) | set(ours)):
        t, o = theirs.get(client, set()), ours.get(client, set())
        if not t <= o or (t and o != t):
            bad += 1
            print("MISMATCH %s: p0f %s, hydrascope %s" % (client, sorted(t), sorted(o)))
        elif not t and o:
            # a SYN p0f did not fingerprint (e.g. IPv6 extension headers)
            print("note %s: only hydrascope: %s" % (client, sorted(o)))
    n = sum(len(v) for v in theirs.values())
    print("%s: %d p0f SYN signatures, %d clients differ" % (capture, n, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
