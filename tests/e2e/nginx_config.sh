#!/usr/bin/env bash
# nginx_config.sh -- the nginx module builds, loads into Debian's nginx, and
# its directives are checked: `nginx -t` accepts every directive in http,
# server and location context and rejects bad values; a running nginx with
# the module serves benign requests and sets $defuse_verdict.
# Needs no detection (independent of the emulator).
. "$DEFUSE_SRC/nginx/e2e_lib.bash"
ngx_init

# The module is a loadable nginx module that exports its module symbol.
if nm -D --defined-only "$MODULE" | grep -q ' ngx_http_defuse_module$'; then
    pass "module exports ngx_http_defuse_module"
else
    fail "module does not export ngx_http_defuse_module"
fi

ngx_conf '
    defuse on;
    defuse_mode block;
    defuse_status 403;
    defuse_body on;
    defuse_body_limit 64k;
    defuse_log @T@/logs/defuse.jsonl;
    defuse_body_overflow pass;
    defuse_ignore_header X-Csrf-Token;
    defuse_ignore_arg token;
    defuse_allow 10.0.0.0/8 ::1;
    server {
        listen 127.0.0.1:@PORT@;
        root @T@/html;
        defuse_mode detect;
        defuse_status 451;
        defuse_body off;
        defuse_body_limit 1m;
        defuse_log off;
        defuse_body_overflow block;
        defuse_ignore_header X-Trace X-Span;
        defuse_ignore_arg sig;
        defuse_allow 192.168.1.7;
        location / { defuse on; defuse_mode block; defuse_status 444; defuse_body on;
                     defuse_body_limit 8k; defuse_log @T@/logs/loc.jsonl; }
        location /off/ { defuse off; }
    }'
if ngx_test_conf && grep -q 'test is successful' "$T/t.out"; then
    pass "nginx -t accepts all directives in http, server and location"
else
    fail "nginx -t rejected the configuration"; cat "$T/t.out"
fi

# Bad values must be rejected (so the test above can fail).
bad_values=(
    "defuse maybe;"
    "defuse_mode prevent;"
    "defuse_status 200;"
    "defuse_status 600;"
    "defuse_status abc;"
    "defuse_body_limit lots;"
    "defuse_log;"
    "defuse_mode block detect;"
    "defuse_log '';"
    "defuse_log \"\";"
    "defuse_body_limit 0;"
    "defuse_body_overflow maybe;"
    "defuse_ignore_header;"
    "defuse_ignore_header '';"
    "defuse_ignore_arg;"
    "defuse_allow;"
    "defuse_allow 10.0.0.300;"
    "defuse_allow not-an-address;"
)
for d in "${bad_values[@]}"; do
    ngx_conf "server { listen 127.0.0.1:@PORT@; location / { $d } }"
    if ngx_test_conf; then
        fail "nginx -t accepted: $d"
    else
        pass "nginx -t rejects: $d"
    fi
done

# A running nginx: benign requests pass; the access log shows the verdict.
echo hello >"$T/html/index.html"
mkdir -p "$T/html/off"; echo off >"$T/html/off/index.html"
ngx_conf '
    server {
        listen 127.0.0.1:@PORT@;
        root @T@/html;
        defuse on;
        location /off/ { defuse off; }
        location = /echo { return 200 "echo"; }
    }'
ngx_start || { fail "nginx did not start"; ngx_finish; exit 1; }
expect 200 "plain GET" /
if grep -q hello "$T/body.out"; then pass "static content served"; else fail "wrong body"; fi
expect 200 "GET with a query" "/?q=search+term&page=2"
expect 200 "POST form" /echo --data 'name=alice&city=Berlin'
expect 200 "location with defuse off" /off/
ngx_stop
if grep -q '^200 "/" verdict=pass' "$T/logs/access.log"; then
    pass "access log: \$defuse_verdict=pass for an inspected request"
else
    fail "access log lacks verdict=pass"; cat "$T/logs/access.log"
fi
if grep -q '^200 "/off/" verdict=- ' "$T/logs/access.log"; then
    pass "access log: \$defuse_verdict empty where defuse is off"
else
    fail "access log: verdict of /off/ not empty"; cat "$T/logs/access.log"
fi
if grep -q 'verdict=pass callback=-$' "$T/logs/access.log"; then
    pass "access log: \$defuse_callback empty for a clean request"
else
    fail "access log: callback of a clean request not empty"
fi
ngx_finish
