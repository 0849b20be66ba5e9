#!/usr/bin/env bash
# probe_jvm.sh -- `defuse probe` against a real JVM: a com.sun.net.httpserver
# service that logs seven chosen request parts through log4j-core 2.14.1
# (User-Agent, X-Api-Version and Host headers, query q, form user, multipart
# part user, XML element user).  The probe, with its own
# LDAP/RMI/DNS listener, must report exactly those injection points and no
# others, exit 1, and name the variants that fired; the same service on a
# fixed log4j (Debian's liblog4j2-java) must report nothing exploitable
# (exit 0).  Also: SARIF output, the banner reaches the service.
source "$(dirname "$0")/honeypot/common.sh"
source "$(dirname "$0")/probe/common.sh"
command -v javac >/dev/null && command -v java >/dev/null || { echo "SKIP: no JDK"; exit 77; }
VULN=$(victim_jars 2.14.1) || { echo "SKIP: no log4j-core 2.14.1 in the corpus"; exit 77; }

read -r PV PF PC < <(freeports 3)
victim_start "$VULN" "$PV" vuln
OPTS=(--scope 127.0.0.0/8 --callback "127.0.0.1:$PC" --rate 500 --concurrency 8 --timeout 10
      --wait 4 --headers User-Agent,Referer,X-Api-Version,Cookie,X-Forwarded-For,X-Forwarded-Host,Host
      --params q,user,id --contact "e2e test")

st=0
"$DEFUSE" probe "${OPTS[@]}" --json "http://127.0.0.1:$PV/app" >"$T/vuln.json" 2>"$T/vuln.err" || st=$?
[ "$st" -eq 1 ] || fail "vulnerable service: exit $st, want 1: $(cat "$T/vuln.err")"
got=$(exploitable_points "$T/vuln.json")
want="form:user header:Host header:User-Agent header:X-Api-Version multipart:user query:q xml:user"
[ "$got" = "$want" ] || fail "exploitable points '$got', want '$want'"
ok "log4j 2.14.1: exactly the logged points are exploitable: $got"

# every variant (ldap plain/obfuscated, rmi, dns) fires through a logged point
fired=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
p = [p for p in r["targets"][0]["points"] if p["point"] == "query:q"][0]
print(" ".join(sorted(p["variants_fired"])), sorted({c["protocol"] for c in p["callbacks"]}))' "$T/vuln.json")
[ "$fired" = "default dns lower nested plain rmi upper ['dns', 'ldap', 'rmi']" ] ||
    fail "variants fired through query:q: $fired"
ok "every variant fired, over LDAP, RMI and DNS: $fired"
grep -q 'defuse-probe/.*(+e2e test)' "$T/vuln.out" ||
    fail "the banner (User-Agent suffix) did not reach the service's log"
ok "the banner reached the service's log"

# SARIF: one result per exploitable (point, variant), all on the target URL
st=0
"$DEFUSE" probe "${OPTS[@]}" --format sarif --variants plain "http://127.0.0.1:$PV/app" \
    >"$T/vuln.sarif" 2>/dev/null || st=$?
[ "$st" -eq 1 ] || fail "SARIF run: exit $st"
n=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
r = s["runs"][0]["results"]
assert s["version"] == "2.1.0"
print(len(r), sorted(x["properties"]["injectionPoint"] for x in r))' "$T/vuln.sarif")
[ "$n" = "7 ['form:user', 'header:Host', 'header:User-Agent', 'header:X-Api-Version', 'multipart:user', 'query:q', 'xml:user']" ] ||
    fail "SARIF results: $n"
ok "SARIF: $n"

# ---- the same service on a fixed log4j --------------------------------------------
FIXED=$(victim_jars fixed) || { echo "ok: (no fixed log4j installed; that half skipped)"; exit 0; }
rm -f "$T"/*.class
victim_start "$FIXED" "$PF" fixed
st=0
"$DEFUSE" probe "${OPTS[@]}" --json "http://127.0.0.1:$PF/app" >"$T/fixed.json" 2>"$T/fixed.err" || st=$?
[ "$st" -eq 0 ] || fail "fixed service: exit $st, want 0: $(cat "$T/fixed.err")"
got=$(exploitable_points "$T/fixed.json")
[ -z "$got" ] || fail "fixed log4j reported exploitable at: $got"
v=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["targets"][0]; print(t["verdict"], t["errors"])' "$T/fixed.json")
[ "$v" = "no-callback 0" ] || fail "fixed service verdict/errors: $v"
for m in "search" "upload by" "xml request by" "virtual host"; do
    grep -q "$m .*jndi" "$T/fixed.out" || fail "the fixed service did not log '$m' payloads (test not meaningful)"
done
ok "fixed log4j ($(basename "${FIXED##*:}")): logged the payloads, nothing exploitable"
