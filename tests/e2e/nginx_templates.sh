#!/usr/bin/env bash
# nginx_templates.sh -- benign ${...} templates are cheap and recall is
# kept around them (issue 12 item 10): a 4 KB header full of templates
# passes, and the same header with one payload in it -- plain, obfuscated,
# percent-, \u-, HTML- or Base64-encoded, at the start, middle or end -- is
# still refused.  The per-request cost is measured by
# bench/nginx/templates.sh.
. "$DEFUSE_SRC/nginx/e2e_lib.bash"
ngx_init
ngx_conf '
    server {
        listen 127.0.0.1:@PORT@;
        defuse on;
        location / { return 200 "ok"; }
    }'
ngx_start || { fail "nginx did not start"; ngx_finish; exit 1; }

TPL=$(python3 -c "import sys; s = '\${user.name} \${HOME}/x \${a.b-c_d} \$5 {x} \$\${y} '; print((s * 100)[:4000])")
B64=$(printf 'u:${jndi:ldap://127.0.0.1:1389/b}' | base64 -w0)
expect 200 "4 KB header of templates" / -H "X-Tpl: $TPL"
expect 200 "4 KB query of templates" "/?q=$(python3 -c "print('%24%7Buser.name%7D+' * 200)")"
expect 200 "4 KB body of templates" / --data-binary "$TPL"
n=0
for p in '${jndi:ldap://127.0.0.1:1389/a}' '${${lower:j}ndi:ldap://127.0.0.1:1389/a}' \
         '${${::-j}ndi:rmi://127.0.0.1:1099/a}' '%24%7Bjndi:ldap://127.0.0.1:1389/a%7D' \
         '\u0024{jndi:ldap://127.0.0.1:1389/a}' '&#36;{jndi:ldap://127.0.0.1:1389/a}' \
         '${jnd${upper:ı}:ldap://127.0.0.1:1389/a}' "Basic $B64"; do
    n=$((n + 1))
    expect 403 "payload $n at the start of the templates" / -H "X-Tpl: $p $TPL"
    expect 403 "payload $n in the middle of the templates" / -H "X-Tpl: ${TPL:0:2000} $p ${TPL:2000}"
    expect 403 "payload $n at the end of the templates" / -H "X-Tpl: $TPL $p"
done
# A template that needs the emulator (a ':' in it) is still judged: a
# lookup alone passes, a JNDI name assembled from templates does not.
expect 200 "templates with \${x:-y} defaults" / -H "X-Tpl: $TPL \${x:-y} \${env:NOPE:-z}"
expect 403 "JNDI assembled from defaults among templates" / -H "X-Tpl: $TPL \${\${x:-j}ndi:ldap://127.0.0.1:1389/d}"
expect 403 "Basic credentials holding a payload among templates" / -H "Authorization: Basic $B64" -H "X-Tpl: $TPL"
ngx_finish
