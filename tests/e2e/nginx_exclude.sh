#!/usr/bin/env bash
# nginx_exclude.sh -- exclusions as ModSecurity users expect them (issue 12
# item 8): defuse_ignore_header skips a header by name (any case, repeated
# or not), defuse_ignore_arg a query or urlencoded-body parameter by name
# (the rest of the request line and the other parameters are still
# scanned), defuse_allow the clients of an address or CIDR list.  Each
# exclusion is checked to be narrow: the same payload elsewhere is blocked.
. "$DEFUSE_SRC/nginx/e2e_lib.bash"
ngx_init

ngx_conf '
    server {
        listen 127.0.0.1:@PORT@;
        listen 127.0.0.2:@PORT@;
        defuse on;
        defuse_log @T@/logs/defuse.jsonl;
        location /hdr/ { defuse_ignore_header X-Template x-other; return 200 "hdr-ok"; }
        location /arg/ { defuse_ignore_arg tpl; defuse_ignore_arg t2; return 200 "arg-ok"; }
        location /allow/ { defuse_allow 127.0.0.2 10.1.0.0/16; return 200 "allow-ok"; }
        location /none/ { return 200 "none-ok"; }
    }'
ngx_start || { fail "nginx did not start"; ngx_finish; exit 1; }
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
P='${jndi:ldap://127.0.0.1:1389/x}'
E=$(enc "$P")

echo "--- defuse_ignore_header"
expect 200 "ignored header" /hdr/ -H "X-Template: $P"
expect 200 "ignored header, other case, repeated" /hdr/ -H "x-template: $P" -H "X-TEMPLATE: b}"
expect 200 "second ignored name" /hdr/ -H "X-Other: $P"
expect 403 "another header is still scanned" /hdr/ -H "X-Api-Version: $P"
expect 403 "the query is still scanned" "/hdr/?q=$E" -H "X-Template: ok"
expect 403 "same header where it is not ignored" /none/ -H "X-Template: $P"

echo "--- defuse_ignore_arg"
expect 200 "ignored query parameter" "/arg/?tpl=$E&page=2"
expect 200 "ignored parameter repeated, query and body" "/arg/?tpl=$E" --data "tpl=$E&t2=$E&x=1"
expect 200 "ignored body parameter" /arg/ --data "a=1&tpl=$E"
expect 403 "another query parameter" "/arg/?tpl=ok&q=$E"
expect 403 "another body parameter" /arg/ --data "tpl=ok&q=$E"
expect 403 "the path is still scanned" "/arg/$E/?tpl=ok"
expect 403 "a header is still scanned" "/arg/?tpl=ok" -A "$P"
expect 403 "the name is exact: Tpl is not tpl" "/arg/?Tpl=$E"
expect 403 "a non-form body is still scanned whole" /arg/ -H 'Content-Type: text/plain' --data "tpl=$E"
H=$(enc '${jndi:ldap://127.0.0.1:1389/x')
expect 200 "an ignored name split over the query and a multipart field" "/arg/?tpl=$H" -F 'tpl=y}'
expect 403 "the same split under another name" "/arg/?q=$H" -F 'q=y}'
expect 403 "a multipart body is still scanned whole" /arg/ -F "tpl=$P"
expect 403 "same parameter where it is not ignored" "/none/?tpl=$E"

echo "--- defuse_allow"
expect 200 "allowed client 127.0.0.2" /allow/ -A "$P" --interface 127.0.0.2
expect 403 "client 127.0.0.1 is not allowed" /allow/ -A "$P"
expect 403 "127.0.0.2 where defuse_allow is not set" /none/ -A "$P" --interface 127.0.0.2
ngx_stop
if grep -q '^200 "/allow/" verdict=- ' "$T/logs/access.log"; then
    pass "an allowed client is not inspected (\$defuse_verdict empty)"
else
    fail "verdict of the allowed client"; grep allow "$T/logs/access.log"
fi
ngx_finish
