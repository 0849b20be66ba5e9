#!/usr/bin/env bash
# nginx_victim_join.sh -- what an application re-assembles is scanned
# (issue 12, items 1 and 2), proven against a real log4j-core 2.14.1
# application behind nginx (tests/e2e/nginx/NginxVictim.java) and a loopback
# LDAP listener: each payload below is split so that no single header or
# parameter holds it, and calls back without the module; with the module in
# block mode the request is refused and log4j never calls back.
#   1. a header repeated: nginx ($proxy_add_x_forwarded_for) and the
#      application join the values with ", " (HTTP/1.1 and HTTP/2);
#   2. a parameter repeated in the query, in a urlencoded or multipart body,
#      or in both: Spring's @RequestParam String joins the values with ",".
. "$DEFUSE_SRC/nginx/e2e_lib.bash"
. "$DEFUSE_SRC/tests/e2e/nginx/victim.bash"
ngx_init
victim_init
victim_start || { fail "the victim did not start"; ngx_finish; exit 1; }

OFF_PORT=$(ngx_free_port)
H2=$(ngx_free_port)
H2_OFF=$(ngx_free_port)
proxy="proxy_pass http://127.0.0.1:$VICTIM_PORT;
       proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;"
ngx_conf "
    server {
        listen 127.0.0.1:@PORT@;
        listen 127.0.0.1:$H2 http2;
        defuse on;
        defuse_log @T@/logs/defuse.jsonl;
        location / { $proxy }
    }
    server {
        listen 127.0.0.1:$OFF_PORT;
        listen 127.0.0.1:$H2_OFF http2;
        location / { $proxy }
    }"
ngx_start || { fail "nginx did not start"; ngx_finish; exit 1; }

enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
# Splits a payload ${jndi:ldap://host:port/TOKEN} after its TOKEN: the
# first part holds an unclosed "${", the second the closing "}".
head_of() { printf '%s' "${1%\}}"; }

# ---- 1. repeated headers
xff_split() { vcurl "$1/" -H "X-Forwarded-For: $(head_of "$2")" -H "X-Forwarded-For: x}"; }
api_split() { vcurl "$1/" -H "X-Api-Version: $(head_of "$2")" -H "X-Api-Version: 1}"; }
three_split() { vcurl "$1/" -H "X-Trace: $(head_of "$2")" -H "X-Trace: m" -H "X-Trace: z}"; }
h2_split() {
    local port=$H2
    [ "$1" = "http://127.0.0.1:$OFF_PORT" ] && port=$H2_OFF
    vcurl --http2-prior-knowledge "http://127.0.0.1:$port/" \
          -H "X-Api-Version: $(head_of "$2")" -H "X-Api-Version: 2}"
}
victim_case 403 "X-Forwarded-For split over two headers (joined by \$proxy_add_x_forwarded_for)" xff_split
victim_case 403 "X-Api-Version split over two headers (joined ', ' by the application)" api_split
victim_case 403 "a header split over three lines" three_split
victim_case 403 "HTTP/2: X-Api-Version split over two header fields" h2_split

# ---- 2. parameters joined with ","
q_q() { vcurl "$1/search?q=$(enc "$(head_of "$2")")&q=$(enc "x}")"; }
q_body() { vcurl "$1/search?q=$(enc "$(head_of "$2")")" --data "q=$(enc "x}")"; }
body_body() { vcurl "$1/form" --data "a=1&q=$(enc "$(head_of "$2")")&b=2&q=$(enc "y}")"; }
plus_body() { vcurl "$1/search?q=$(enc "$(head_of "$2")")" --data "q=a+b}"; }
victim_case 403 "q= twice in the query" q_q
victim_case 403 "q= in the query and in a urlencoded body" q_body
victim_case 403 "q= twice in a urlencoded body" body_body
victim_case 403 "q= in the query and in a body with '+' for a space" plus_body
q_multipart() { vcurl "$1/upload?q=$(enc "$(head_of "$2")")" -F "q=m}" -F "file=@$DEFUSE_SRC/nginx/config"; }
victim_case 403 "q= in the query and in a multipart/form-data field" q_multipart

# benign: repeated headers and parameters with templates pass
got=$(vcurl "http://127.0.0.1:$PORT/search?q=$(enc '${user.name}')&q=b" -H 'X-Forwarded-For: 10.0.0.1' \
      -H 'X-Forwarded-For: 10.0.0.2' --data 'q=${HOME}&page=2')
[ "$got" = 200 ] && pass "benign repeated headers and parameters pass ($got)" ||
    fail "benign repeated headers and parameters: status $got, want 200"

ngx_stop
victim_stop
LOG=$T/logs/defuse.jsonl
python3 - "$LOG" <<'PY' && pass "defuse_log names the joined parts" || fail "defuse_log parts of the joined findings"
import json, sys
parts = {json.loads(l)["part"] for l in open(sys.argv[1])}
for p in ("header:X-Forwarded-For", "header:X-Api-Version", "args:q"):
    assert p in parts, "no finding for part %s (have %s)" % (p, sorted(parts))
PY
ngx_finish
