#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A ClientHello cut to hide it, live (issue 17): a client of our own
# (tests/lib/frag_client.py, python3's ssl through memory BIOs) sends its
# ClientHello in 1 to 8 TLS records, in 1 to 8 TCP segments, in order or
# with the later segments sent first from a raw socket, and completes the
# handshake and a GET each time; the same client unfragmented (ssl's own
# socket wrapper) first. hydrascope, attached natively with the SYN-ACK
# check on, must give every connection the unfragmented client's JA4 (one
# fingerprint, all the connections counted, no walk given up, the
# reassembly counters moved), and so must `replay --events` of a capture
# of the very packets, connection by connection, with the capture's own
# reference (tshark's dissection, tests/lib/ja4_ref.py) agreeing.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool tcpdump tshark python3 nsenter timeout openssl
need_hs

BED_PORTS=(80 8080)        # the plain TCP server keeps off the TLS port
CAP=$TMP/reasm.pcap
# RECORDS SEGMENTS ORDER (frag_client.py); the first, unfragmented
CASES=("0 1 inorder" "1 1 inorder" "2 1 inorder" "3 1 inorder" "8 1 inorder"
       "1 2 inorder" "1 2 reversed" "1 4 reversed" "2 3 reversed" "3 3 inorder"
       "3 5 reversed" "8 8 reversed")

# client 2 of the bed: no TCP timestamps (the raw segments carry none)
if ! bed_net 2; then
	fail "test bed with 2 clients could not be built"
	done_testing
fi
NS=${BED_CLIENTS[1]} SRC=${BED_CLIENT_IPS[1]}
ok "test bed: server $BED_SRV_IP, the client $SRC (${BED_CLIENT_PROFILES[1]})"
if ! bed_tls_server 443; then
	fail "TLS server on port 443 in $BED_SRV"
	done_testing
fi
bed_capture TD_PID "$CAP"
if ! hs_start HS_PID "$BED_PINS" "$TMP/run.log"; then
	fail "hydrascope run -i $BED_DEV -m native: attachment expected (log above)"
	done_testing
fi
ok "hydrascope attached to $BED_DEV, the SYN-ACK check on"

: >"$TMP/conns.txt"
for c in "${CASES[@]}"; do
	got=$(timeout 20 nsenter --net=/run/netns/"$NS" "$BED_PY" "$ROOT/tests/lib/frag_client.py" \
		"$BED_SRV_IP" 443 "$BED_TLS_NAME" $c 2>"$TMP/client.err")
	rc=$?
	expect_eq "records/segments/order $c: the handshake and a GET" \
		"0 ok TLSv1.3 HTTP/1.1 200 OK" \
		"$rc $got$([ -s "$TMP/client.err" ] && echo " ($(tail -c 300 "$TMP/client.err" | tr '\n' ' '))")"
	echo "$c" >>"$TMP/conns.txt"
done
sleep 0.3   # last segments on the wire

bed_snapshot "$TD_PID"
_bg_alive "$HS_PID" && ok "hydrascope still running after the clients" ||
	fail "hydrascope run still running expected, it exited: $(tail -n 3 "$TMP/run.log" | tr '\n' '|')"
"$BED_PY" "$ROOT/tests/lib/ja4_ref.py" --ports 443 "$CAP" >"$TMP/ref.jsonl" 2>"$TMP/ref.err"
rc=$?
expect_eq "ja4_ref.py on the capture exits 0" 0 "$rc$([ $rc != 0 ] && echo " ($(head -c 300 "$TMP/ref.err"))")"
"$HS" replay --events -j "$CAP" >"$TMP/events.jsonl" 2>"$TMP/replay.err"
rc=$?
expect_eq "replay --events -j of the capture exits 0" 0 \
	"$rc$([ $rc != 0 ] && echo " ($(head -c 300 "$TMP/replay.err"))")"

"$BED_PY" - "$TMP/conns.txt" "$TMP/ref.jsonl" "$TMP/events.jsonl" "$TMP/dump.json" \
	"$TMP/status.json" "$SRC" >"$TMP/verdicts" 2>&1 <<'EOF'
import json, sys

conns_txt, ref_jsonl, events_jsonl, dump_json, status_json, src = sys.argv[1:7]


def verdict(good, msg):
    print(("ok " if good else "not ok ") + msg)


def jsonl(path):
    return [json.loads(l) for l in open(path) if l.strip()]


cases = [l.split() for l in open(conns_txt) if l.strip()]
n = len(cases)
records = sum(1 for r, s, o in cases if int(r) >= 2)
reordered = sum(1 for r, s, o in cases if o == "reversed" and int(s) >= 2)
multiseg = sum(1 for r, s, o in cases if int(s) >= 2)
ref = sorted((r for r in jsonl(ref_jsonl) if r["src"] == src), key=lambda r: r["frame"])
events = {e["sport"]: e for e in jsonl(events_jsonl)
          if e.get("event") == "tls_hello" and e["src"] == src}
dump = [r for r in jsonl(dump_json) if r.get("kind") == "tls"]
c = json.load(open(status_json))["counters"]

verdict(len(ref) == n, "the capture holds %d ClientHellos from %s (got %d)" % (n, src, len(ref)))
want = ref[0] if ref else {}
for (r, s, o), h in zip(cases, ref):
    what = "records %s, segments %s, %s (port %d)" % (r, s, o, h["srcport"])
    verdict(h["ja4"] == want["ja4"] and h["ja3"] == want["ja3"],
            "%s: the capture's reference is the unfragmented client's (%s %s)" % (what, h["ja4"], h["ja3"]))
    e = events.get(h["srcport"])
    if e is None:
        verdict(False, "%s: a tls_hello event from replay expected, got none" % what)
        continue
    for k in ("ja4", "ja4_r", "ja3", "ja3_r"):
        verdict(e[k] == want[k], "%s: replay's %s is the unfragmented client's%s" % (
            what, k, "" if e[k] == want[k] else ": expected %s, got %s" % (want[k], e[k])))
mine = [d for d in dump if d["ja4"] == want.get("ja4")]
verdict(len(mine) == 1 and mine[0]["conns"] == n,
        "live: one fingerprint %s with all %d connections (got %s)" % (
            want.get("ja4"), n, [(d["ja4"], d["conns"]) for d in dump]))
verdict(len(dump) == 1, "live: no other TLS fingerprint (got %d)" % len(dump))
for k, v in (("hellos", n), ("hellos_multi_record", records),
             ("hellos_reordered", reordered), ("hellos_multi_segment", multiseg)):
    verdict(c.get(k) == v, "live: %s %d (got %s)" % (k, v, c.get(k)))
for k in ("tls_not_hello", "tls_malformed", "tls_too_big", "tls_record_split",
          "tls_reasm_holes", "tls_reasm_timeout", "hellos_no_syn", "hellos_no_synack",
          "hellos_bad_ack"):
    verdict(c.get(k) == 0, "live: %s 0 (got %s)" % (k, c.get(k)))
EOF
tap_verdicts "$TMP/verdicts"
done_testing
