#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The Prometheus endpoint, both forms: `run --metrics ADDR:PORT` (with the
# detector's results) and `hydrascope exporter` on the same pins. Real TLS
# handshakes from the bed's clients; every scrape passes `promtool check
# metrics`; the series carry the counts the traffic made; a real Prometheus
# server (Debian's) scrapes both and reports up == 1 and our series through
# its HTTP API. Bad flags, a port in use: one line, non-zero exit. run
# shares its pins read-only with a group (--pin-group): the exporter and
# status run as an unprivileged member of it. The alerting rules of dist/:
# promtool checks them, and the Prometheus server, loaded with them, fires
# the hydra rule while run (thresholds lowered) holds an alert open, and
# the detached rule once the program's link is detached.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip ethtool python3 nsenter curl promtool prometheus openssl setpriv groupadd groupdel bpftool
need_hs

TLS_PORTS=(443)
BED_PORTS=(80)
RUN_PORT=19742 EXP_PORT=19743 PROM_PORT=19790
RULES=$ROOT/dist/hydrascope-alerts.yml

if promtool check rules "$RULES" >"$TMP/rules.out" 2>&1; then
	ok "promtool check rules: $(grep -o '[0-9]* rules found' "$TMP/rules.out")"
else
	fail "promtool check rules $RULES: $(head -c 600 "$TMP/rules.out")"
fi
# the test's copy: every rule's for: shortened to 2 s, evaluated each second
sed 's/^\( *for:\).*/\1 2s/' "$RULES" >"$TMP/alerts.yml"
nfor=$(grep -c '^ *for: 2s$' "$TMP/alerts.yml")
[ "$nfor" -ge 2 ] && [ "$nfor" = "$(grep -c '^ *- alert:' "$RULES")" ] &&
	ok "the rules' copy: for: 2s on all $nfor rules" ||
	fail "the rules' copy: for: 2s on every rule expected, $nfor of $(grep -c '^ *- alert:' "$RULES")"
# thresholds low enough for the bed's clients to open a hydra alert: one
# address is wide, a JA4 is new from the first window, and an open alert
# holds while the JA4 is seen in each window (growth 1 over a baseline of
# 0); run and the exporter score with them instead of the defaults
printf '[detect]\nmin_ips = 1\nmin_nets = 1\nmin_stacks = 1\ngrowth = 1\nwarmup = 0\nalert_score = 3\ntcp_stacks = no\n' \
	>"$TMP/hydra.conf"
chmod 0644 "$TMP/hydra.conf"


expect_error "exporter --web.listen-address nonsense" 2 "$HS" exporter --web.listen-address nonsense
expect_error "exporter --web.listen-address 127.0.0.1:0" 2 "$HS" exporter --web.listen-address 127.0.0.1:0
expect_error "exporter --web.telemetry-path without /" 2 "$HS" exporter --web.telemetry-path metrics
expect_error "exporter --top 0" 2 "$HS" exporter --top 0
expect_error "exporter without an instance" 1 "$HS" exporter --pin-dir "$TMP/none"
expect_error "run --metrics bad address" 2 "$HS" run -i lo --metrics 127.0.0.1:99999

if ! bed_net 2; then
	fail "test bed could not be built"
	done_testing
fi
ip -n "$BED_SRV" link set lo up
if ! bed_tls_server "${TLS_PORTS[@]}"; then
	fail "TLS server in $BED_SRV"
	done_testing
fi
PIN_GROUP=hs-test-$$
if groupadd "$PIN_GROUP"; then
	cleanup_push "groupdel $PIN_GROUP"
else
	fail "groupadd $PIN_GROUP"
fi
# scores_ok FILE: every hydrascope_fingerprint_score the one hydra.conf gives
# (wide, many_nets, low_rate (conns/ip <= 3), many_stacks: 1 each), not the
# default thresholds' (200 ips, 50 nets, 6 stacks)
scores_ok() {
	python3 - "$1" <<'PY'
import re, sys
m = {}
for l in open(sys.argv[1]):
    r = re.match(r'hydrascope_fingerprint_(\w+)\{ja4="([^"]+)"\} (\S+)', l)
    if r:
        m.setdefault(r[2], {})[r[1]] = float(r[3])
def score(v, ips, nets, stacks):
    return ((v["ips"] >= ips) + (v["networks"] >= nets) + (v["tcp_stacks"] >= stacks) +
            (v["ips"] > 0 and v["connections"] / v["ips"] <= 3))
bad = ["%s: %g, %d expected" % (k, v["score"], score(v, 1, 1, 1)) for k, v in m.items()
       if v["score"] != score(v, 1, 1, 1)]
same = [k for k, v in m.items() if score(v, 1, 1, 1) == score(v, 200, 50, 6)]
print("; ".join(bad) or "%d JA4s scored with the config, not the defaults" % len(m))
sys.exit(1 if bad or not m or same else 0)
PY
}
if ! hs_start HS_PID "$BED_PINS" "$TMP/run.log" --window 2 --metrics 127.0.0.1:$RUN_PORT \
	--pin-group "$PIN_GROUP" --config "$TMP/hydra.conf" -j --alerts "$TMP/alerts.jsonl"; then
	fail "run --metrics 127.0.0.1:$RUN_PORT: attachment expected (log above)"
	done_testing
fi
grep -q "metrics on http://127.0.0.1:$RUN_PORT/metrics" "$TMP/run.log" &&
	ok "run says where the metrics are" || fail "run: no 'metrics on' line: $(head -c 300 "$TMP/run.log")"

good=0
for c in 0 1; do
	for k in 1 2 3; do
		code=$(timeout 20 nsenter --net=/run/netns/"${BED_CLIENTS[c]}" curl -sS -k \
			--max-time 10 -o /dev/null -w '%{http_code}' "https://$BED_SRV_IP/" 2>>"$TMP/curl.err")
		[ "$code" = 200 ] && good=$((good + 1))
	done
done
expect_eq "curl: HTTPS requests that succeed" 6 "$good"

# scrape URL FILE: GET into FILE, the HTTP status printed
scrape() { nsx "$BED_SRV" curl -sS --max-time 10 -o "$2" -w '%{http_code}' "$1" 2>>"$TMP/scrape.err"; }
# value FILE SERIES: the value of one exact series
value() { awk -v s="$2" '$1 == s { print $2; exit }' "$1"; }

# ---- run --metrics ----
expect_eq "run --metrics: GET /metrics" 200 "$(scrape http://127.0.0.1:$RUN_PORT/metrics "$TMP/run.prom")"
if promtool check metrics <"$TMP/run.prom" >"$TMP/promtool.out" 2>&1; then
	ok "promtool check metrics: run's scrape is clean"
else
	fail "promtool check metrics on run's scrape: $(head -c 600 "$TMP/promtool.out")"
fi
cp "$TMP/run.prom" "$ROOT/.output/test-logs/t_exporter.sample.prom" 2>/dev/null
pk=$(value "$TMP/run.prom" hydrascope_packets_total)
[ "${pk:-0}" -gt 0 ] 2>/dev/null && ok "hydrascope_packets_total $pk" || fail "hydrascope_packets_total > 0 expected, got '$pk'"
he=$(value "$TMP/run.prom" hydrascope_tls_hellos_total)
[ "${he:-0}" -ge 6 ] 2>/dev/null && ok "hydrascope_tls_hellos_total $he (6 handshakes)" ||
	fail "hydrascope_tls_hellos_total >= 6 expected, got '$he'"
expect_eq "program attached natively to $BED_DEV" 1 \
	"$(value "$TMP/run.prom" "hydrascope_program_attached{interface=\"$BED_DEV\",mode=\"native\"}")"
grep -q '^hydrascope_build_info{version="[^"]*",libbpf="[0-9.]*",layout="[0-9]*"} 1$' "$TMP/run.prom" &&
	ok "hydrascope_build_info" || fail "hydrascope_build_info missing: $(grep build_info "$TMP/run.prom")"
grep -q '^hydrascope_detector_windows_total [0-9]' "$TMP/run.prom" &&
	grep -q '^hydrascope_alerts_total{kind="tls",state="new"} [0-9]' "$TMP/run.prom" &&
	ok "run's scrape has the detector's series" || fail "detector series missing in run's scrape"
out=$(scores_ok "$TMP/run.prom") && ok "run --metrics --config: $out" ||
	fail "run --metrics --config: scores of the config expected: $out"
expect_eq "map capacity of tls_fps" 8192 "$(value "$TMP/run.prom" 'hydrascope_map_capacity_entries{map="tls_fps"}')"
if grep -qE '198\.1[89]\.' "$TMP/run.prom"; then
	fail "an address in the metrics: $(grep -E '198\.1[89]\.' "$TMP/run.prom" | head -n 2)"
else
	ok "no address anywhere in the metrics"
fi
# the dashboard: valid JSON, and every metric it names is one run emits
if python3 - "$ROOT/dist/grafana-dashboard.json" "$TMP/run.prom" >"$TMP/dash.out" 2>&1 <<'EOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in d["panels"] for t in p.get("targets", [])]
exprs += [v["query"] for v in d["templating"]["list"] if v["type"] == "query"]
used = set(re.findall(r"hydrascope_[a-z_]+", " ".join(exprs)))
emitted = set(re.findall(r"^# TYPE (hydrascope_[a-z_]+) ", open(sys.argv[2]).read(), re.M))
missing = sorted(used - emitted)
print("%d panels, %d metric names%s" % (len(d["panels"]), len(used),
      ", not emitted: " + " ".join(missing) if missing else ""))
sys.exit(1 if missing or not used else 0)
EOF
then
	ok "grafana dashboard: $(cat "$TMP/dash.out"), all emitted"
else
	fail "grafana dashboard: $(head -c 400 "$TMP/dash.out")"
fi
# the capabilities run keeps once attached: none
capeff=$(for t in /proc/"$HS_PID"/task/*; do awk '/^CapEff:/ { print $2 }' "$t/status"; done 2>/dev/null |
	sort -u | tr '\n' ' ')
expect_eq "run drops every capability once attached, in every thread (the HTTP one too: CapEff)" \
	"0000000000000000 " "$capeff"
for code_url in "404 /nope" "200 /"; do
	expect_eq "GET ${code_url#* }" "${code_url%% *}" "$(scrape "http://127.0.0.1:$RUN_PORT${code_url#* }" "$TMP/page")"
done
grep -q 'href="/metrics"' "$TMP/page" && ok "landing page links /metrics" || fail "landing page: $(head -c 200 "$TMP/page")"
expect_eq "POST /metrics" 405 "$(nsx "$BED_SRV" curl -sS -o /dev/null -w '%{http_code}' -X POST \
	"http://127.0.0.1:$RUN_PORT/metrics" 2>/dev/null)"

# ---- the pins, shared read-only with the group ----
modes=$(cd "$BED_PINS" && stat -c '%n=%a:%G' . prog stats tcp_fps tls_fps enforce 2>&1 | tr '\n' ' ')
g=$PIN_GROUP
expect_eq "--pin-group: the pins 0440, the directory 0750, group $g" \
	".=750:$g prog=440:$g stats=440:$g tcp_fps=440:$g tls_fps=440:$g enforce=440:$g " "$modes"
# the bpffs above them must be searchable for the group (run says so when not)
bpffs_mode=$(stat -c %a /sys/fs/bpf)
if [ $((0$bpffs_mode & 011)) = 0 ]; then
	grep -q "is not searchable by the group" "$TMP/run.log" &&
		ok "run warns: /sys/fs/bpf ($bpffs_mode) not searchable by the group" ||
		fail "run: no warning for /sys/fs/bpf mode $bpffs_mode"
	chmod o+x /sys/fs/bpf && cleanup_push "chmod $bpffs_mode /sys/fs/bpf"
fi
# the binary where nobody can reach it (the clone may be under /root)
chmod 0711 "$TMP"
cp "$HS" "$TMP/hydrascope" && chmod 0755 "$TMP/hydrascope"
# in the server's namespace as nobody, member of the group, no capability
# (an array, not a function: bg_job's pid must be the exporter's own)
AS_MEMBER=(nsenter --net=/run/netns/"$BED_SRV" setpriv --reuid=nobody --regid=nogroup
	--groups="$PIN_GROUP" --inh-caps=-all --bounding-set=-all)
"${AS_MEMBER[@]}" "$TMP/hydrascope" status --pin-dir "$BED_PINS" >"$TMP/status.out" 2>&1
grep -q "^  $BED_DEV " "$TMP/status.out" &&
	ok "status as an unprivileged member of the group: attached to $BED_DEV" ||
	fail "status as a member: $(head -c 300 "$TMP/status.out")"
expect_error "exporter as a user outside the group" 3 nsenter --net=/run/netns/"$BED_SRV" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$TMP/hydrascope" \
	exporter --pin-dir "$BED_PINS" --web.listen-address 127.0.0.1:$((EXP_PORT + 1))
grep -q -- "--pin-group" "$TMP/err" && ok "its error names --pin-group" ||
	fail "the error of a user outside the group names no way in: $(head -c 200 "$TMP/err")"

# ---- the exporter on the same pins, unprivileged ----
bg_job EXP_PID "${AS_MEMBER[@]}" "$TMP/hydrascope" exporter --pin-dir "$BED_PINS" \
	--web.listen-address 127.0.0.1:$EXP_PORT --top 1 --config "$TMP/hydra.conf" 2>"$TMP/exp.log"
wait_for 5 grep -q 'serving' "$TMP/exp.log"
ids=$(awk '/^Uid:/ { u = $2 } /^CapEff:/ { c = $2 } END { print u ":" c }' \
	/proc/"$EXP_PID"/status 2>/dev/null)
expect_eq "the exporter runs as nobody with no capability (Uid:CapEff)" \
	"$(id -u nobody):0000000000000000" "$ids"
# handshakes of two TLS stacks in the current windows (curl and openssl
# s_client: two JA4s, side by side), so the scrape has fingerprints to
# leave out; run closes a 2 s window (and forgets it) at each flip, so a
# flip between the handshakes and the scrape takes one away (likely on a
# slow build, the sanitizers'): up to ten tries
for try in 1 2 3 4 5 6 7 8 9 10; do
	for c in 0 1; do
		timeout 20 nsenter --net=/run/netns/"${BED_CLIENTS[c]}" curl -sS -k --max-time 10 \
			-o /dev/null "https://$BED_SRV_IP/" 2>>"$TMP/curl.err" &
		p1=$!
		timeout 20 nsenter --net=/run/netns/"${BED_CLIENTS[c]}" openssl s_client -brief \
			-connect "$BED_SRV_IP:443" </dev/null >/dev/null 2>&1 &
		wait "$p1" $!    # these two only: the exporter and run are children too
	done
	code=$(scrape http://127.0.0.1:$EXP_PORT/metrics "$TMP/exp.prom")
	[ "$(awk '$1 == "hydrascope_fingerprints" { print $2 }' "$TMP/exp.prom")" -ge 2 ] 2>/dev/null && break
done
expect_eq "exporter: GET /metrics" 200 "$code"
if promtool check metrics <"$TMP/exp.prom" >"$TMP/promtool.out" 2>&1; then
	ok "promtool check metrics: the exporter's scrape is clean"
else
	fail "promtool check metrics on the exporter's scrape: $(head -c 600 "$TMP/promtool.out")"
fi
expect_eq "the unprivileged exporter: program attached natively to $BED_DEV" 1 \
	"$(value "$TMP/exp.prom" "hydrascope_program_attached{interface=\"$BED_DEV\",mode=\"native\"}")"
he=$(value "$TMP/exp.prom" hydrascope_tls_hellos_total)
[ "${he:-0}" -ge 10 ] 2>/dev/null && ok "the unprivileged exporter: hydrascope_tls_hellos_total $he" ||
	fail "the unprivileged exporter: hydrascope_tls_hellos_total >= 10 expected, got '$he'"
grep -q '^hydrascope_detector_windows_total' "$TMP/exp.prom" &&
	fail "the exporter has no detector: no detector series expected" ||
	ok "the exporter: no detector series"
out=$(scores_ok "$TMP/exp.prom") && ok "exporter --config: $out" ||
	fail "exporter --config: scores of the config expected: $out"
nfp=$(value "$TMP/exp.prom" hydrascope_fingerprints)
nser=$(grep -c '^hydrascope_fingerprint_ips{ja4="t' "$TMP/exp.prom")
omitted=$(value "$TMP/exp.prom" hydrascope_fingerprints_omitted)
if [ "${nfp:-0}" -ge 2 ] && [ "$nser" = 1 ] && [ "$omitted" = $((nfp - 1)) ]; then
	ok "--top 1: one JA4 series of $nfp, $omitted counted as omitted"
else
	fail "--top 1: 1 series and omitted = fingerprints - 1 expected, got $nser series, $nfp fingerprints, $omitted omitted"
fi
expect_error "a second exporter on the same port" 1 nsenter --net=/run/netns/"$BED_SRV" "$HS" \
	exporter --pin-dir "$BED_PINS" --web.listen-address 127.0.0.1:$EXP_PORT

# ---- a real Prometheus scrapes both ----
mkdir -p "$TMP/prom"
cat >"$TMP/prom.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: ['$TMP/alerts.yml']
scrape_configs:
  - job_name: run
    static_configs: [{targets: ['127.0.0.1:$RUN_PORT']}]
  - job_name: exporter
    static_configs: [{targets: ['127.0.0.1:$EXP_PORT']}]
EOF
bg_job PROM_PID nsenter --net=/run/netns/"$BED_SRV" prometheus --config.file "$TMP/prom.yml" \
	--storage.tsdb.path "$TMP/prom" --web.listen-address 127.0.0.1:$PROM_PORT 2>"$TMP/prom.log"
# query Q: Prometheus's instant query result as "job=value" lines
query() {
	nsx "$BED_SRV" curl -sS --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/query" \
		--data-urlencode "query=$1" 2>/dev/null | python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
except Exception:
    sys.exit(1)
for x in sorted(r, key=lambda x: x["metric"].get("job", "")):
    print("%s=%s" % (x["metric"].get("job", ""), x["value"][1]))'
}
both_up() { [ "$(query 'up' | tr '\n' ' ')" = "exporter=1 run=1 " ]; }
if wait_for 30 both_up; then
	ok "Prometheus: up == 1 for both targets"
else
	fail "Prometheus: up == 1 for run and exporter expected, got '$(query up | tr '\n' ' ')': $(tail -n 5 "$TMP/prom.log")"
fi
has_series() { [ "$(query 'hydrascope_tls_hellos_total > 0' | wc -l)" = 2 ]; }
wait_for 10 has_series && ok "Prometheus: hydrascope_tls_hellos_total > 0 from both" ||
	fail "Prometheus: hydrascope_tls_hellos_total from both expected, got '$(query hydrascope_tls_hellos_total | tr '\n' ' ')'"
q=$(query 'hydrascope_detector_windows_total')
[[ $q == run=* ]] && ok "Prometheus: hydrascope_detector_windows_total ($q)" ||
	fail "Prometheus: hydrascope_detector_windows_total from run expected, got '$q'"

# ---- the alerting rules, loaded in that Prometheus ----
# alerts: the rules' alerts Prometheus holds, as "NAME:STATE:JOB" lines
alerts() {
	nsx "$BED_SRV" curl -sS --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/alerts" 2>/dev/null |
		python3 -c '
import json, sys
try:
    a = json.load(sys.stdin)["data"]["alerts"]
except Exception:
    sys.exit(1)
for x in a:
    print("%s:%s:%s" % (x["labels"]["alertname"], x["state"], x["labels"].get("job", "")))' | sort -u
}
# firing NAME JOB: Prometheus holds NAME firing for JOB
firing() { alerts | grep -qx "$1:firing:$2"; }
nrules=$(nsx "$BED_SRV" curl -sS --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/rules" 2>/dev/null |
	grep -o '"type":"alerting"' | wc -l)
expect_eq "Prometheus loaded every rule of the file" "$(grep -c '^ *- alert:' "$RULES")" "$nrules"
# a client's handshakes in every window, so the JA4's alert stays open
( while :; do
	timeout 10 nsenter --net=/run/netns/"${BED_CLIENTS[0]}" curl -sS -k --max-time 5 \
		-o /dev/null "https://$BED_SRV_IP/" 2>/dev/null
	sleep 0.3
done ) &
TRAFFIC_PID=$!
cleanup_push "kill $TRAFFIC_PID"
if wait_for 30 firing HydrascopeHydraAlert run; then
	ok "Prometheus: HydrascopeHydraAlert firing while run holds an alert open"
else
	fail "Prometheus: HydrascopeHydraAlert firing for run expected, alerts: '$(alerts | tr '\n' ' ')'; alerts_open: $(query hydrascope_alerts_open | tr '\n' ' ')"
fi
grep -q '"event":"hydra","state":"new"' "$TMP/alerts.jsonl" 2>/dev/null &&
	ok "run's alert file has the hydra alert that opened" ||
	fail "run's alert file: a new hydra alert expected: $(head -c 300 "$TMP/alerts.jsonl" 2>&1)"
if alerts | grep -q '^HydrascopeDetached:'; then
	fail "Prometheus: HydrascopeDetached while the program is attached: $(alerts | tr '\n' ' ')"
else
	ok "Prometheus: HydrascopeDetached neither pending nor firing while attached"
fi
kill "$TRAFFIC_PID" 2>/dev/null
wait "$TRAFFIC_PID" 2>/dev/null
# detach the program (its pinned link): run and the exporter keep serving
if bpftool link detach pinned "$BED_PINS/link" 2>"$TMP/detach.err"; then
	ok "bpftool link detach: the program detached from $BED_DEV"
else
	fail "bpftool link detach pinned $BED_PINS/link: $(cat "$TMP/detach.err")"
fi
both_detached() { firing HydrascopeDetached run && firing HydrascopeDetached exporter; }
if wait_for 30 both_detached; then
	ok "Prometheus: HydrascopeDetached firing for run and the exporter once detached"
else
	fail "Prometheus: HydrascopeDetached firing for both expected, alerts: '$(alerts | tr '\n' ' ')'; attachments: $(query hydrascope_program_attachments | tr '\n' ' ')"
fi

bg_stop "$PROM_PID"
# ---- make install DESTDIR=... lays it all out ----
if make -s -C "$ROOT" install DESTDIR="$TMP/root" PREFIX=/usr >"$TMP/install.log" 2>&1; then
	missing=
	for f in usr/sbin/hydrascope usr/share/man/man8/hydrascope.8 lib/systemd/system/hydrascope@.service \
		etc/hydrascope/hydrascope.conf usr/share/doc/hydrascope/hydrascope.conf.example \
		usr/share/doc/hydrascope/grafana-dashboard.json usr/share/doc/hydrascope/hydrascope-alerts.yml; do
		[ -f "$TMP/root/$f" ] || missing="$missing $f"
	done
	[ -z "$missing" ] && ok "make install DESTDIR: binary, man page, unit, config, dashboard, alerting rules" ||
		fail "make install DESTDIR: missing$missing"
	grep -q '^ExecStart=/usr/sbin/hydrascope run -i %I --config /etc/hydrascope/hydrascope.conf' \
		"$TMP/root/lib/systemd/system/hydrascope@.service" &&
		! grep -q '^ProtectKernelTunables' "$TMP/root/lib/systemd/system/hydrascope@.service" &&
		ok "unit: ExecStart with the installed paths, /sys/fs/bpf left writable" ||
		fail "unit: $(grep -E '^(ExecStart|Protect)' "$TMP/root/lib/systemd/system/hydrascope@.service")"
	"$TMP/root/usr/sbin/hydrascope" replay --config "$TMP/root/etc/hydrascope/hydrascope.conf" \
		--window 60 /dev/null >/dev/null 2>"$TMP/cfg.err"
	! grep -q 'hydrascope.conf:' "$TMP/cfg.err" && ok "installed config parses" ||
		fail "installed config: $(cat "$TMP/cfg.err")"
	echo "; changed" >>"$TMP/root/etc/hydrascope/hydrascope.conf"
	make -s -C "$ROOT" install DESTDIR="$TMP/root" PREFIX=/usr >>"$TMP/install.log" 2>&1
	tail -n 1 "$TMP/root/etc/hydrascope/hydrascope.conf" | grep -q '^; changed$' &&
		ok "make install again: an existing config is left alone" ||
		fail "make install overwrote the config"
else
	fail "make install DESTDIR=$TMP/root: $(tail -n 5 "$TMP/install.log")"
fi
bg_stop "$EXP_PID" TERM 5
expect_eq "exporter exits 0 on SIGTERM" 0 $?
bg_stop "$HS_PID" TERM 10
expect_eq "run --metrics exits 0 on SIGTERM" 0 $?
done_testing
