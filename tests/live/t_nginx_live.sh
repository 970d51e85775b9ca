#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The proxy recipe of docs/operations.md, run: nginx terminates TLS in the
# server namespace of the netns test bed (hydrascope run --lookup-socket
# attached natively on its veth) and passes `$remote_addr:$remote_port` to
# an application behind it (examples/lookup_app.py), which looks each
# connection up on the lookup socket and tags it with a keyed hash of its
# account. Real clients (curl, python3 ssl) from two client namespaces.
# Checks: every answer's JA4 and TCP signature are those `dump -j` shows
# for the client; every tag taken; 3 accounts read 3 in `dump -j`.
. "$(dirname "$0")/../lib/lib.sh"
need_root
need_cmd ip python3 nsenter timeout openssl curl nginx
need_hs

# a window longer than the test: the 3 accounts are tagged over rounds of
# a few tenths of a second each, many more under the sanitizers (2 s
# windows split them: the last CI run saw 2 in one)
WINDOW=60
BED_PORTS=(80 8080)
if ! bed_net 2; then
	fail "test bed with 2 clients could not be built"
	done_testing
fi
N=$TMP/nginx
mkdir -p "$N/logs" "$N/tmp" && chmod 755 "$TMP"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$N/key.pem" -out "$N/cert.pem" -days 2 -subj "/CN=hs.test" \
	-addext "subjectAltName=DNS:hs.test,IP:$BED_SRV_IP" >"$N/openssl.log" 2>&1 ||
	fail "certificate: $(cat "$N/openssl.log")"
head -c 32 /dev/urandom >"$TMP/hmac.key"
cat >"$N/nginx.conf" <<EOF
user root;
worker_processes 1;
error_log $N/logs/error.log;
pid $N/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $N/tmp/body;
    proxy_temp_path $N/tmp/proxy;
    fastcgi_temp_path $N/tmp/fastcgi;
    uwsgi_temp_path $N/tmp/uwsgi;
    scgi_temp_path $N/tmp/scgi;
    server {
        listen $BED_SRV_IP:443 ssl;
        ssl_certificate $N/cert.pem;
        ssl_certificate_key $N/key.pem;
        location / {
            proxy_set_header X-Client-Conn \$remote_addr:\$remote_port;
            proxy_pass http://127.0.0.1:8000;
        }
    }
}
EOF
if ! hs_start hs_pid "$BED_PINS" "$TMP/run.log" --window $WINDOW --lookup-socket "$TMP/lookup.sock"; then
	fail "hydrascope run --lookup-socket: attachment expected"
	done_testing
fi
nsx "$BED_SRV" ip link set lo up
bg_job app_pid nsenter --net=/run/netns/"$BED_SRV" "$BED_PY" "$ROOT/examples/lookup_app.py" \
	"$TMP/lookup.sock" 127.0.0.1 8000 "$TMP/app.log" "$TMP/hmac.key"
bg_job ngx_pid nsenter --net=/run/netns/"$BED_SRV" nginx -p "$N" -c "$N/nginx.conf" \
	-g "daemon off;"
wait_for 10 grep -qs listening "$TMP/app.log" &&
	wait_for 10 nsx "$BED_SRV" "$BED_PY" -c "import socket; socket.create_connection(('$BED_SRV_IP', 443), 1)" ||
	fail "nginx and the app listening expected: $(cat "$N/logs/error.log" "$TMP/app.log" 2>/dev/null | head -c 400)"
ok "nginx on $BED_SRV_IP:443 in front of examples/lookup_app.py"

# once CLIENT I ACCOUNT: one request through nginx
once() {
	local ns=${BED_CLIENTS[$2 - 1]}
	case $1 in
	curl)
		timeout 10 nsenter --net=/run/netns/"$ns" curl -sS -k --max-time 5 \
			-H "X-Account: $3" --resolve "hs.test:443:$BED_SRV_IP" -o /dev/null \
			"https://hs.test/";;
	python3)
		timeout 10 nsenter --net=/run/netns/"$ns" "$BED_PY" -c '
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
with socket.create_connection((sys.argv[1], 443), timeout=5) as c:
    with ctx.wrap_socket(c, server_hostname="hs.test") as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: hs.test\r\nX-Account: %s\r\nConnection: close\r\n\r\n"
                  % sys.argv[2].encode())
        while s.recv(4096):
            pass' "$BED_SRV_IP" "$3";;
	esac
}

: >"$TMP/dump.json"
for ((r = 0; r < 20; r++)); do
	once curl 1 "acct-$((r % 3))"
	once python3 2 "acct-$((r % 3))"
	"$HS" dump --pin-dir "$BED_PINS" -j >>"$TMP/dump.json" 2>/dev/null
done
python3 - "$TMP/app.log" "$TMP/dump.json" >"$TMP/check.out" 2>&1 <<'EOF'
import json, sys
logs = [json.loads(l) for l in open(sys.argv[1]) if '"conn"' in l]
dump = [json.loads(l) for l in open(sys.argv[2])]
ja4s = {d["ja4"] for d in dump if d["kind"] == "tls"}
sigs = {d["tcp_sig"] for d in dump if d["kind"] == "tcp"}
by = {}
bad = [l for l in logs if l["error"] or l["ja4"] not in ja4s or l["tcp_sig"] not in sigs
       or not (l.get("tagged") or {}).get("ok")]
for l in logs:
    by.setdefault(l["conn"].rsplit(":", 1)[0], set()).add(l["ja4"])
print("requests", len(logs), "bad", len(bad), "clients", {k: sorted(v) for k, v in by.items()})
for b in bad[:3]:
    print("bad:", b)
sys.exit(0 if len(logs) == 40 and not bad and len(by) == 2 and
         all(len(v) == 1 for v in by.values()) and len({next(iter(v)) for v in by.values()}) == 2
         else 1)
EOF
[ $? -eq 0 ] && ok "behind nginx: each request's JA4 and TCP signature are dump's, every tag taken ($(head -n 1 "$TMP/check.out"))" ||
	fail "lookups behind nginx matching dump expected: $(head -c 1200 "$TMP/check.out")"
acc=$(python3 -c '
import json, sys
print(max((o.get("accounts") or 0 for o in map(json.loads, open(sys.argv[1]))
           if o["kind"] == "tls"), default=-1))' "$TMP/dump.json")
[ "$acc" = 3 ] && ok "3 accounts tagged through the socket: dump reads 3 ($acc)" ||
	fail "dump accounts 3 expected, got $acc"
bg_stop "$ngx_pid"
bg_stop "$app_pid"
echo "# total $SECONDS s"
done_testing
