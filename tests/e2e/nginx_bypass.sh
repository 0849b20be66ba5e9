#!/usr/bin/env bash
# nginx_bypass.sh -- the module cannot be bypassed by the ways WAF modules
# usually are: an SSI subrequest carrying the payload into a protected
# location, auth_request, `satisfy any` (an access module's OK), the
# rewrite module's `return` in the same location, and an error_page
# internal redirect after a block (the context is recovered, no loop).
. "$DEFUSE_SRC/nginx/e2e_lib.bash"
ngx_init

printf 'top <!--# include virtual="/secret/?$args" --> bottom\n' >"$T/html/page.shtml"
echo "BLOCKED-PAGE" >"$T/html/blocked.html"
printf 'bob:%s\n' "$(openssl passwd -apr1 pw 2>/dev/null || echo '$apr1$x$y')" >"$T/htpasswd"
ngx_conf '
    server {
        listen 127.0.0.1:@PORT@;
        root @T@/html;
        defuse on;
        location = /page.shtml { defuse off; ssi on; ssi_types *; }
        location /secret/ { return 200 "SECRET"; }
        location /authd/ { auth_request /auth; return 200 "PROTECTED"; }
        location = /auth { return 204; }
        location /any/ { satisfy any; allow 127.0.0.1; deny all;
                         auth_basic "x"; auth_basic_user_file @T@/htpasswd;
                         return 200 "ANY"; }
        location /ep/ { error_page 403 /blocked.html; return 200 "EP"; }
        location = /blocked.html { }
    }'
ngx_start || { fail "nginx did not start"; ngx_finish; exit 1; }

P='${jndi:ldap://127.0.0.1:1389/bypass}'

expect 200 "SSI page, benign arguments" "/page.shtml?q=hello"
if grep -q SECRET "$T/body.out"; then pass "control: SSI includes the protected location"; else
    fail "control: SSI did not include the protected location: $(cat "$T/body.out")"; fi
expect 200 "SSI page with the payload in its arguments" "/page.shtml?q=$P"
if grep -q SECRET "$T/body.out"; then
    fail "SSI subrequest carried the payload into the protected location"
else
    pass "the SSI subrequest with the payload was blocked"
fi
grep -q 'defuse: blocked jndi finding in args' "$T/logs/error.log" \
    && pass "the block was in the subrequest's arguments" \
    || fail "no block logged for the subrequest's arguments"

expect 200 "auth_request location, benign" /authd/
expect 403 "auth_request location with the payload" /authd/ -A "$P"
expect 200 "satisfy any, benign" /any/
expect 403 "satisfy any + allow cannot override the block" /any/ -A "$P"
expect 200 "'return' location, benign" /ep/
expect 403 "error_page after a block" /ep/ -A "$P"
if grep -q BLOCKED-PAGE "$T/body.out"; then pass "error_page served after the internal redirect"; else
    fail "error_page not served: $(cat "$T/body.out")"; fi
ngx_stop
if grep -q 'rewrite or internal redirection cycle' "$T/logs/error.log"; then
    fail "internal redirection cycle"
else
    pass "no internal redirection cycle"
fi
ngx_finish
