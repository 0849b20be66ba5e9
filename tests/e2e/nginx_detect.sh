#!/usr/bin/env bash
# nginx_detect.sh -- `defuse_mode detect` logs findings (defuse_log JSON
# Lines, error log, $defuse_verdict) without blocking; in block mode,
# findings log4j would not act on (recon lookups, escaped $${...}) are
# logged but not blocked.
. "$DEFUSE_SRC/nginx/e2e_lib.bash"
ngx_init

echo hello >"$T/html/index.html"
ngx_conf '
    server {
        listen 127.0.0.1:@PORT@;
        root @T@/html;
        defuse on;
        defuse_mode detect;
        defuse_log @T@/logs/defuse.jsonl;
        location = /api { return 200 "api-ok"; }
        location /block/ { defuse_mode block; return 200 "block-ok"; }
        location = /small { defuse_body_limit 16; return 200 "small-ok"; }
        location = /many { defuse_body_limit 4k; return 200 "many-ok"; }
        location = /small-block { defuse_body_limit 16; defuse_body_overflow block;
                                  return 200 "small-ok"; }
    }'
ngx_start || { fail "nginx did not start"; ngx_finish; exit 1; }

P1='${jndi:ldap://127.0.0.1:1389/detect-ua}'
P2='${jndi:rmi://127.0.0.1:1099/detect-body}'
expect 200 "detect mode: payload in User-Agent passes" / -A "$P1"
if grep -q hello "$T/body.out"; then pass "content served in detect mode"; else fail "content not served"; fi
expect 200 "detect mode: payload in a body passes" /api --data-binary "x=$P2"
expect 200 "block mode: a recon lookup alone is not blocked" "/block/" -A '${env:USER}'
expect 200 "block mode: an escaped \$\${jndi:...} is not blocked" "/block/" -A '$${jndi:ldap://127.0.0.1:1389/esc}'
expect 403 "block mode still blocks a JNDI payload" "/block/" -A "$P1"
# Unicode case mapping inside the worker, with JDK 17's tables (lib/casemap.c):
# upper(U+0131 dotless i) is "I", so the prefix reads jndi.
expect 403 "block mode blocks a payload needing Unicode case mapping" \
    "/block/?q=%24%7Bjnd%24%7Bupper:%C4%B1%7D:ldap://127.0.0.1:1389/ucase%7D"
expect 200 "block mode: Unicode case mapping that spells no jndi passes" \
    "/block/?q=%24%7Bjnd%24%7Bupper:%C5%BF%7D:ldap://127.0.0.1:1389/ucase%7D"
# JDK 17 (Unicode 13) leaves U+2C2F (Unicode 14) as it is; ICU 72 lower-cased
# it to U+2C5F.  The logged callback must be JDK 17's (checked below).
expect 200 "detect mode: lower-casing of a Unicode 14 letter" \
    "/?q=%24%7Bjndi:ldap://127.0.0.1:1389/u14-%24%7Blower:%E2%B0%AFA%7D%7D"
# defuse_body_overflow: pass by default in detect mode, block when set.
expect 200 "detect mode: a body past defuse_body_limit passes" /small --data-binary 'x=0123456789abcdef0123456789'
expect 413 "detect mode + defuse_body_overflow block: refused" /small-block --data-binary 'x=0123456789abcdef0123456789'
expect 200 "a body within defuse_body_limit" /small --data-binary 'x=0123'
python3 -c "import sys; sys.stdout.write(''.join('\${jndi:ldap://127.0.0.1:1389/m%d} ' % i for i in range(40)) + 'P' * 4000)" >"$T/many.txt"
expect 200 "detect mode: 40 findings in a body past defuse_body_limit" /many --data-binary "@$T/many.txt"
ngx_stop

LOG=$T/logs/defuse.jsonl
python3 - "$LOG" <<'PY' && pass "detect-mode findings logged with action=detect" || fail "defuse_log content in detect mode"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ua = [l for l in lines if l.get("part") == "header:User-Agent" and "detect-ua" in (l.get("callback") or "")]
assert ua and ua[0]["action"] == "detect" and ua[0]["kind"] == "jndi" and ua[0]["status"] == 0, lines
body = [l for l in lines if l.get("part") == "body"]
assert body and body[0]["action"] == "detect" and "1099" in (body[0]["callback"] or ""), lines
assert body[0]["request"]["method"] == "POST" and body[0]["request"]["uri"] == "/api", body[0]
u14 = [l["callback"] for l in lines if "u14-" in (l.get("callback") or "")]
assert u14 == ["ldap://127.0.0.1:1389/u14-\u2c2fa"], (u14, lines)
PY
ACC=$T/logs/access.log
if grep -q '^200 "/" verdict=detect callback=.*1389' "$ACC"; then
    pass "access log: verdict=detect with the callback"
else
    fail "access log lacks verdict=detect"; cat "$ACC"
fi
if grep -q '^200 "/small" verdict=pass-partial' "$ACC" && grep -q '^413 "/small-block" verdict=block-partial' "$ACC" \
    && grep -q '^200 "/small" verdict=pass callback' "$ACC"; then
    pass "access log: verdict=pass-partial / block-partial past the limit, pass within"
else
    fail "access log: partial verdicts"; grep small "$ACC"
fi
if [ "$(grep -c '"uri":"/many"' "$LOG")" -gt 32 ] && grep '"uri":"/many"' "$LOG" | grep -q '"event":"body_limit"'; then
    pass "defuse_log: the body_limit line is written after 32 finding lines"
else
    fail "defuse_log: no body_limit line for /many ($(grep -c '"uri":"/many"' "$LOG") lines)"
fi
if grep '"event":"body_limit"' "$LOG" | grep -q '"action":"pass","status":0,"partial":true'; then
    pass "defuse_log: a body_limit line with action pass"
else
    fail "defuse_log lacks the body_limit line"; cat "$LOG"
fi
if grep -q '^200 "/block/" verdict=detect' "$ACC"; then
    pass "access log: non-blocking findings in block mode give verdict=detect"
else
    fail "no verdict=detect for the non-blocking findings"; cat "$ACC"
fi
if grep -q 'defuse: detected jndi finding in header:User-Agent' "$T/logs/error.log"; then
    pass "error log names the finding"
else
    fail "error log lacks the detection line"
fi
if grep 'defuse:' "$T/logs/error.log" | grep -qF '${'; then
    fail "error log holds a live \${"
else
    pass "error log lines are defanged"
fi
ngx_finish
