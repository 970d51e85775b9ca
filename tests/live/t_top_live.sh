#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `hydrascope top` against a live instance: three clients with different
# TCP stacks make TLS handshakes (curl twice each, openssl s_client twice
# from one client) to the bed's TLS server; `top --once` in the server
# namespace must show one row per JA4 with the numbers `dump` has for it
# and the score the default thresholds give; on a terminal it refreshes
# and restores the cursor on SIGTERM; bad flags exit 2, no instance 1.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool python3 nsenter ps timeout openssl curl
need_hs

TLS_PORTS=(443 8443)
BED_PORTS=(80 8080)        # the plain TCP server keeps off the TLS ports
CLIENTS=3
CURLS=2                    # curl connections per client
SCLIENTS=2                 # openssl s_client connections from client 1


# ---- usage errors need no instance ----
expect_error "top --bogus" 2 "$HS" top --bogus
expect_error "top -n 0" 2 "$HS" top -n 0
expect_error "top --interval 0" 2 "$HS" top --interval 0
expect_error "top --interval (no value)" 2 "$HS" top --interval
expect_error "top stray argument" 2 "$HS" top extra
expect_error "top without an instance" 1 "$HS" top --once --pin-dir "$TMP/none"
"$HS" top -h >"$TMP/help" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q -- '--once' "$TMP/help" && grep -q 'not a terminal' "$TMP/help"; then
	ok "top -h: usage with --once and the not-a-terminal rule"
else
	fail "top -h: exit 0 and usage expected, got $rc: $(head -c 300 "$TMP/help")"
fi

# ---- bed, TLS server, attach ----
if ! bed_net $CLIENTS; then
	fail "test bed with $CLIENTS clients could not be built"
	done_testing
fi
if ! bed_tls_server "${TLS_PORTS[@]}"; then
	fail "TLS server on ports ${TLS_PORTS[*]} in $BED_SRV"
	done_testing
fi
# a long window: nothing is closed (and cleared) while the test reads
if ! hs_start HS_PID "$BED_PINS" "$TMP/run.log" --window 3600; then
	fail "hydrascope run -i $BED_DEV --window 3600: attachment expected (log above)"
	done_testing
fi
ok "bed: clients ${BED_CLIENT_IPS[*]}, TLS server, hydrascope attached to $BED_DEV"

"$HS" top --once --pin-dir "$BED_PINS" >"$TMP/empty.txt" 2>"$TMP/empty.err"
rc=$?
if [ $rc = 0 ] && grep -q '^(no TLS fingerprints' "$TMP/empty.txt"; then
	ok "top --once before any handshake: exit 0, no rows"
else
	fail "top --once before any handshake: exit 0 and '(no TLS fingerprints' expected, got $rc: $(cat "$TMP/empty.txt" "$TMP/empty.err" | head -c 400)"
fi

# ---- TLS handshakes ----
good=0
for ((i = 1; i <= CLIENTS; i++)); do
	for ((k = 0; k < CURLS; k++)); do
		code=$(timeout 20 nsenter --net=/run/netns/"${BED_CLIENTS[i - 1]}" curl -sS -k \
			--max-time 10 -o /dev/null -w '%{http_code}' "https://$BED_SRV_IP/" 2>>"$TMP/curl.err")
		[ "$code" = 200 ] && good=$((good + 1))
	done
done
expect_eq "curl: HTTPS requests that succeed" $((CLIENTS * CURLS)) "$good"
good=0
for ((k = 0; k < SCLIENTS; k++)); do
	timeout 20 nsenter --net=/run/netns/"${BED_CLIENTS[0]}" openssl s_client -brief \
		-connect "$BED_SRV_IP:8443" </dev/null 2>&1 | grep -q 'Protocol version' &&
		good=$((good + 1))
done
expect_eq "openssl s_client: handshakes that succeed" $SCLIENTS "$good"

# ---- top --once, checked against dump ----
nsx "$BED_SRV" "$HS" top --once --pin-dir "$BED_PINS" >"$TMP/top.txt" 2>"$TMP/top.err"
rc=$?
expect_eq "top --once exit status" 0 "$rc$([ $rc != 0 ] && echo " ($(cat "$TMP/top.err"))")"
sed 's/^/#   /' "$TMP/top.txt"
if grep -q $'\033' "$TMP/top.txt"; then
	fail "top --once: no escape sequences expected"
else
	ok "top --once: plain text, no escape sequences"
fi
nsx "$BED_SRV" timeout 10 "$HS" top --pin-dir "$BED_PINS" >"$TMP/notty.txt" 2>&1
rc=$?
if [ $rc = 0 ] && [ "$(grep -c '^JA4 ' "$TMP/notty.txt")" = 1 ] && ! grep -q $'\033' "$TMP/notty.txt"; then
	ok "top with stdout not a terminal: one plain frame, exit 0"
else
	fail "top with stdout not a terminal: one plain frame and exit 0 expected, got $rc: $(head -c 300 "$TMP/notty.txt")"
fi
"$HS" dump --pin-dir "$BED_PINS" -j >"$TMP/dump.json" 2>"$TMP/dump.err" ||
	fail "dump -j: $(cat "$TMP/dump.err")"

"$BED_PY" - "$TMP/top.txt" "$TMP/dump.json" $((CLIENTS * CURLS)) $CLIENTS $SCLIENTS \
	>"$TMP/verdicts" 2>&1 <<'PY'
import json, sys
top_txt, dump_json = sys.argv[1:3]
curl_conns, clients, sclients = map(int, sys.argv[3:6])
def verdict(good, msg):
    print(("ok " if good else "not ok ") + msg)

lines = open(top_txt).read().split("\n")
head = {}
for tok in (lines[1] + "  " + lines[2]).split("  "):
    p = tok.split()
    if len(p) >= 2 and p[1].isdigit():
        head[p[0]] = int(p[1])
verdict(head.get("hellos", 0) >= curl_conns + sclients,
        "header: hellos >= %d (%s)" % (curl_conns + sclients, lines[1]))
verdict(head.get("packets", 0) > head.get("hellos", 0) and head.get("syns", 0) >= curl_conns + sclients,
        "header: packets and syns counted (%s)" % lines[1])
verdict("tls_map_full" in head and "ringbuf_drops" in head,
        "header: alert-relevant counters shown (%s)" % lines[2])

rows, hdr = [], None
for l in lines:
    if l.startswith("JA4 "):
        hdr = l.split()
        continue
    if hdr and l and not l.startswith(("(", "...")):
        f = l.split()
        rows.append(dict(ja4=f[0], conns=int(f[1]), ips=int(f[2]), nets=int(f[3]),
                         cpi=float(f[4]), tcp=int(f[5]), score=int(f[6]), sig=f[7]))
verdict(hdr == ["JA4", "CONNS", "IPS", "NETS", "CONNS/IP", "TCP", "SIGS", "SCORE", "SIGNALS"],
        "column header (%s)" % hdr)

dump = {}
for l in open(dump_json):
    j = json.loads(l)
    if j.get("kind") == "tls":
        d = dump.setdefault(j["ja4"], dict(conns=0, ips=0, nets=0, tcp=0))
        d["conns"] += j["conns"]; d["ips"] = j["ips"]; d["nets"] = j["nets"]; d["tcp"] = j["tcp_sigs"]
verdict(sorted(r["ja4"] for r in rows) == sorted(dump),
        "one row per JA4, the JA4s dump shows: %s" % ", ".join(sorted(dump)))
for r in rows:
    d = dump.get(r["ja4"], {})
    got = (r["conns"], r["ips"], r["nets"], r["tcp"])
    verdict(d and got == (d["conns"], d["ips"], d["nets"], d["tcp"]),
            "%s: conns/ips/nets/tcp_sigs %s as dump has them %s" %
            (r["ja4"], got, d and (d["conns"], d["ips"], d["nets"], d["tcp"])))

# curl: every client, each its own /24 and TCP stack
curl = [r for r in rows if r["ips"] == clients]
verdict(len(curl) == 1 and (curl[0]["conns"], curl[0]["nets"], curl[0]["tcp"]) ==
        (curl_conns, clients, clients),
        "curl row: %d conns from %d ips, %d nets, %d tcp sigs (%s)" %
        (curl_conns, clients, clients, clients, curl))
if curl:
    c = curl[0]
    verdict(abs(c["cpi"] - curl_conns / clients) < 0.01, "curl row: conns/ip %.2f" % c["cpi"])
    # default thresholds: min_ips 200, min_nets 50, max_conns_per_ip 3,
    # min_stacks 6 -> only low_rate (weight 1)
    verdict((c["score"], c["sig"]) == (1, "low_rate"),
            "curl row: score 1 (low_rate) under the default config, got %d (%s)" % (c["score"], c["sig"]))
oss = [r for r in rows if r["ips"] == 1]
verdict(len(oss) == 1 and (oss[0]["conns"], oss[0]["nets"], oss[0]["tcp"], oss[0]["score"]) ==
        (sclients, 1, 1, 1),
        "openssl row: %d conns from 1 ip, 1 net, 1 tcp sig, score 1 (%s)" % (sclients, oss))
order = [(-r["score"], -r["ips"]) for r in rows]
verdict(order == sorted(order), "rows sorted by score, then ips")
PY
tap_verdicts "$TMP/verdicts"

# --config: the scores under run's thresholds and allowlist, not the defaults
# (all four signals at 1; openssl's JA4 allowlisted with min_ips 1000: not wide)
ossl=$(awk '$3 == 1 && $1 ~ /^t/ { print $1; exit }' "$TMP/top.txt")
printf '[detect]\nmin_ips = 1\nmin_nets = 1\nmin_stacks = 1\n[allow "%s"]\nmin_ips = 1000\n' \
	"$ossl" >"$TMP/det.ini"
nsx "$BED_SRV" "$HS" top --once --pin-dir "$BED_PINS" --config "$TMP/det.ini" >"$TMP/topc.txt" 2>&1
got=$(awk '$1 ~ /^t[0-9]/ { print ($1 == o ? "openssl" : "curl") "=" $7 }' o="$ossl" "$TMP/topc.txt" |
	sort | tr '\n' ' ')
expect_eq "top --config: curl's score 4, allowlisted openssl's 3" "curl=4 openssl=3 " "$got"

# -n limits the rows
nsx "$BED_SRV" "$HS" top --once -n 1 --pin-dir "$BED_PINS" >"$TMP/top1.txt" 2>&1
rows=$(sed -n '/^JA4 /,$p' "$TMP/top1.txt" | grep -vc -e '^JA4 ' -e '^\.\.\. ')
if [ "$rows" = 1 ] && grep -q '^\.\.\. 1 more$' "$TMP/top1.txt"; then
	ok "top -n 1: one row and '... 1 more'"
else
	fail "top -n 1: one row expected, got $rows: $(head -c 400 "$TMP/top1.txt")"
fi

# ---- on a terminal: refreshes, restores the cursor, exit status ----
# pty_top MODE [RUN-PID]: `top --interval 0.5` on a pseudo-terminal for
# 2.6 s, then MODE "term" sends it SIGTERM, "gone" stops `run` (by its pid)
# instead; prints frames, hidden, restored, exit and the last text line
pty_top() {
	nsenter --net=/run/netns/"$BED_SRV" "$BED_PY" - "$HS" "$BED_PINS" "$@" <<'PY'
import os, pty, select, signal, sys, time
hs, pins, mode = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(hs, [hs, "top", "--interval", "0.5", "--pin-dir", pins])
def pump(out, secs, stop_at_eof):
    end = time.time() + secs
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                d = os.read(fd, 65536)
            except OSError:
                d = b""
            if not d:
                if stop_at_eof:
                    break
                continue
            out += d
    return out
out = pump(b"", 2.6, False)
if mode == "term":
    os.kill(pid, signal.SIGTERM)
else:
    os.kill(int(sys.argv[4]), signal.SIGTERM)
out = pump(out, 8, True)
_, st = os.waitpid(pid, 0)
print("frames", out.count(b"\033[H\033[2J"))
print("hidden", int(b"\033[?25l" in out))
tail = out.rstrip(b"\r\n")
print("restored", int(b"\033[?25h" in out[-300:]))
print("exit", os.waitstatus_to_exitcode(st))
print("last", tail.split(b"\n")[-1].decode(errors="replace").strip())
PY
}
pty_top term >"$TMP/pty.txt" 2>&1
frames=$(sed -n 's/^frames //p' "$TMP/pty.txt")
if [ "${frames:-0}" -ge 3 ] && grep -q '^hidden 1$' "$TMP/pty.txt" &&
	grep -q '^restored 1$' "$TMP/pty.txt" && grep -q '^exit 0$' "$TMP/pty.txt"; then
	ok "top on a terminal: $frames frames in 2.6 s at --interval 0.5, cursor hidden, restored on SIGTERM, exit 0"
else
	fail "top on a terminal: >= 3 frames, cursor restored, exit 0 expected: $(tr '\n' ' ' <"$TMP/pty.txt")"
fi

# ---- the instance stops under a running top, then top has nothing to read ----
pty_top gone "$HS_PID" >"$TMP/pty2.txt" 2>&1
if grep -q '^restored 1$' "$TMP/pty2.txt" && grep -q '^exit 1$' "$TMP/pty2.txt" &&
	grep -q "^last hydrascope: No hydrascope maps in " "$TMP/pty2.txt"; then
	ok "run stops under top: cursor restored, one line, exit 1"
else
	fail "run stops under top: cursor restored, 'No hydrascope maps' and exit 1 expected: $(tr '\n' ' ' <"$TMP/pty2.txt")"
fi
bg_stop "$HS_PID"
expect_error "top --once after run stopped" 1 nsenter --net=/run/netns/"$BED_SRV" "$HS" top --once --pin-dir "$BED_PINS"

done_testing
