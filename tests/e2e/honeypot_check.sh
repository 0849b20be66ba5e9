#!/usr/bin/env bash
# honeypot_check.sh -- `defuse honeypot --check`: the shipped example and a
# good config validate; each kind of error is reported with its line number
# and a non-zero exit; a port already in use is reported by the daemon.
source "$(dirname "$0")/honeypot/common.sh"

# the example shipped in etc/ must validate; its log directory
# (/var/log/defuse, made by the package or the unit's LogsDirectory=) is
# checked too, so the copy validated here logs into $T
sed "s|^log_file .*|log_file $T/honeypot.jsonl|" "$DEFUSE_SRC/etc/honeypot.conf.example" >"$T/example.conf"
out=$("$DEFUSE" honeypot -c "$T/example.conf" --check) ||
    fail "etc/honeypot.conf.example does not validate"
echo "$out" | grep -q "OK" || fail "no OK line: $out"
ok "etc/honeypot.conf.example validates"
if [ -d /var/log/defuse ]; then
    "$DEFUSE" honeypot -c "$DEFUSE_SRC/etc/honeypot.conf.example" --check >/dev/null ||
        fail "etc/honeypot.conf.example does not validate with /var/log/defuse present"
else
    msg=$("$DEFUSE" honeypot -c "$DEFUSE_SRC/etc/honeypot.conf.example" --check 2>&1 >/dev/null) &&
        fail "--check of the example passes without /var/log/defuse"
    echo "$msg" | grep -q "log_file: the directory /var/log/defuse does not exist" ||
        fail "--check of the example does not name the missing /var/log/defuse"
    ok "--check of the example names the missing /var/log/defuse"
fi

printf '<html>hello</html>\n' >"$T/index.html"
cat >"$T/good.conf" <<'EOF'
# a comment
node  test-node
log_file hp.jsonl
max_body 128K
idle_timeout 5s
header_timeout 1500ms
ignore 10.0.0.0/8
ignore 2001:db8::/32
syslog_udp 127.0.0.1:514
webhook http://127.0.0.1:9/hook

[listener web]
protocol http
listen 127.0.0.1:8080
listen [::1]:8080-8089

[listener banners]
protocol tcp
listen 127.0.0.1:20000-20299

[response /index.html]
status 200
content_type text/html
body_file index.html
header X-Powered-By: PHP/7.4.3
EOF
out=$("$DEFUSE" honeypot -c "$T/good.conf" --check) || fail "good config rejected"
echo "$out" | grep -q "2 listeners, 311 sockets, 1 responses" || fail "unexpected summary: $out"
ok "good config: $out"

# check_bad LINE MESSAGE-REGEX: config text on stdin must fail at LINE
check_bad() {
    local line=$1 re=$2 st=0 msg
    cat >"$T/bad.conf"
    msg=$("$DEFUSE" honeypot -c "$T/bad.conf" --check 2>&1 >/dev/null) || st=$?
    [ "$st" -eq 2 ] || fail "bad config ($re) exited $st, want 2"
    local where="bad\.conf:$line: "
    [ "$line" = - ] && where="bad\.conf: " # the whole file: no line (never line 0)
    echo "$msg" | grep -qE "$where.*$re" || fail "want '$where...$re', got: $msg"
    ok "line $line: $msg"
}

printf '[listener a]\nprotocol http\nlisten 127.0.0.1:80\nbogus_key 1\n' | check_bad 4 "unknown key 'bogus_key'"
printf 'max_connections lots\n[listener a]\nprotocol tcp\nlisten 127.0.0.1:1\n' | check_bad 1 "max_connections"
printf '[listener a]\nprotocol gopher\n' | check_bad 2 "protocol: expected http, https, ldap, ldaps, rmi, dns or tcp"
printf '[listener a]\nprotocol http\nlisten 127.0.0.1:70000\n' | check_bad 3 "listen: expected"
printf '[listener a]\nprotocol http\nlisten 127.0.0.1:90-80\n' | check_bad 3 "listen: expected"
printf '[listener a]\nprotocol http\n\n\nlisten 127.0.0.1:80\n[listener a]\n' | check_bad 6 "already defined on line 1"
printf '[listener a]\nlisten 127.0.0.1:80\n' | check_bad 1 "has no protocol"
printf '[listener a]\nprotocol http\nlisten 127.0.0.1:80\n[response /x]\nbody_file /nonexistent/file\n' | check_bad 5 "body_file: cannot open"
printf 'ignore 10.0.0.0/33\n' | check_bad 1 "ignore: expected an address or CIDR"
printf '[listener a]\nprotocol http\nzone x.example\nlisten 127.0.0.1:1\n' | check_bad 1 "zone and answer_a apply to protocol dns only"
printf '[listener a]\nprotocol dns\nanswer_a 300.1.1.1\n' | check_bad 3 "answer_a: expected an IPv4 address or 'self'"
printf '[frobnicate]\n' | check_bad 1 "unknown section"
printf 'protocol http\n' | check_bad 1 "not allowed in a \\[global\\] section"
printf 'webhook ftp://x/\n' | check_bad 1 "webhook: expected an http"
printf '# nothing\n' | check_bad - "no \\[listener\\] section"
printf '[listener a]\nprotocol tcp\nlisten 127.0.0.1:1-5000\n' | check_bad 1 "more than 4096"

st=0
"$DEFUSE" honeypot -c "$T/does-not-exist.conf" --check 2>"$T/err" || st=$?
[ "$st" -eq 2 ] && grep -q "cannot open" "$T/err" || fail "missing config file not reported"
ok "missing file reported"

# a port already in use: the daemon names the listener and the address
read -r P < <(freeports 1)
python3 -c "import socket,time,sys; s=socket.socket(); s.bind(('127.0.0.1',$P)); s.listen(); open(sys.argv[1],'w').write('x'); time.sleep(30)" "$T/busy" &
BG_PIDS+=($!)
wait_file "$T/busy"
printf '[listener web]\nprotocol http\nlisten 127.0.0.1:%s\n' "$P" >"$T/busy.conf"
st=0
timeout 10 "$DEFUSE" honeypot -c "$T/busy.conf" >/dev/null 2>"$T/err" || st=$?
[ "$st" -eq 2 ] || fail "busy port: exit $st, want 2"
grep -q "listener 'web' (line 3): cannot listen on 127.0.0.1:$P" "$T/err" || fail "busy port message: $(cat "$T/err")"
ok "port in use reported: $(cat "$T/err")"
# the systemd unit in etc/ is valid (when systemd-analyze exists here)
if command -v systemd-analyze >/dev/null; then
    sed -e "s#/usr/local/bin/defuse#$(readlink -f "$DEFUSE")#g" -e "s#/etc/defuse/honeypot.conf#$T/good.conf#g" \
        "$DEFUSE_SRC/etc/defuse-honeypot.service" >"$T/defuse-honeypot.service"
    msg=$(systemd-analyze verify "$T/defuse-honeypot.service" 2>&1 || true)
    [ -z "$msg" ] || fail "systemd-analyze verify: $msg"
    ok "etc/defuse-honeypot.service verifies"
fi
echo "PASS"
