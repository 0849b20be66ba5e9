#!/usr/bin/env bash
# honeypot_ports.sh -- hundreds of ports: one tcp listener on a range of 300
# consecutive ports plus an IPv6 listen line; connections to the first, a
# middle and the last port are each recorded with their destination port.
source "$(dirname "$0")/honeypot/common.sh"
read -r BASE < <($PEERS freerange 300)
LAST=$((BASE + 299))
v6=""
python3 -c "import socket; s=socket.socket(socket.AF_INET6); s.bind(('::1', $BASE))" 2>/dev/null && v6="listen [::1]:$BASE"
cat >"$T/hp.conf" <<CONF
log_file $T/events.jsonl
dedup_window 0
[listener wide]
protocol tcp
listen 127.0.0.1:$BASE-$LAST
$v6
CONF
hp_start "$T/hp.conf"
want=300; [ -n "$v6" ] && want=301
grep -q "ready, $want sockets on 1 listeners" "$T/hp.err" || fail "not $want sockets: $(cat "$T/hp.err")"
for p in $BASE $((BASE + 150)) $LAST; do
    python3 -c "
import socket; s = socket.create_connection(('127.0.0.1', $p)); s.sendall(b'probe $p'); s.close()"
done
[ -n "$v6" ] && python3 -c "
import socket; s = socket.create_connection(('::1', $BASE)); s.sendall(b'probe v6'); s.close()"
wait_events "$T/events.jsonl" '"event":"tcp.session"' $((want - 297))
for p in $BASE $((BASE + 150)) $LAST; do
    ev_query "$T/events.jsonl" "e['first_bytes']['text'] if e['dst_port'] == $p else None" | grep -qx "probe $p" ||
        fail "no event for port $p"
done
[ -z "$v6" ] || ev_query "$T/events.jsonl" "e['src_ip'] if e['dst_ip'] == '::1' else None" | grep -qx "::1" ||
    fail "no IPv6 event"
hp_stop
ok "$want sockets bound; first, middle, last port (and IPv6) recorded"
echo "PASS"
