#!/usr/bin/env bash
# scan_policy.sh -- policy for CI and cron (issue 10, item 18): --fail-on and
# --severity, --ignore FILE (rules with reason and expiry; an expired rule
# suppresses nothing and is warned about), VEX input (CycloneDX and OpenVEX)
# that suppresses with the reason shown, --exclude GLOB and --skip-dirs that
# prune the walk.  Suppressed findings do not fail; the exit statuses are
# those of docs/scan.md.
set -euo pipefail; [ -n "${KEEP:-}" ] && set -x
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
command -v python3 >/dev/null && command -v jq >/dev/null || { echo "SKIP: python3/jq"; exit 77; }
T=$(mktemp -d)
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir -p "$T/root/app" "$T/root/cache/deep" "$T/root/node_modules"
python3 - "$T/root" <<'PY'
import sys, zipfile
d = sys.argv[1]
def jar(p, g, a, v, extra=()):
    with zipfile.ZipFile(p, 'w') as z:
        z.writestr('META-INF/maven/%s/%s/pom.properties' % (g, a),
                   'version=%s\ngroupId=%s\nartifactId=%s\n' % (v, g, a))
        for e in extra:
            z.writestr(e, b'\xca\xfe\xba\xbe')
jar(d + '/app/core.jar', 'org.apache.logging.log4j', 'log4j-core', '2.14.1',
    ['org/apache/logging/log4j/core/lookup/JndiLookup.class'])
jar(d + '/app/text.jar', 'org.apache.commons', 'commons-text', '1.9')
jar(d + '/app/core216.jar', 'org.apache.logging.log4j', 'log4j-core', '2.16.0')
jar(d + '/cache/deep/old.jar', 'org.apache.logging.log4j', 'log4j-core', '2.14.1')
jar(d + '/node_modules/x.jar', 'org.apache.logging.log4j', 'log4j-core', '2.14.1')
PY
# an unreadable directory under cache: pruning means it is never opened
mkdir -p "$T/root/cache/locked" && chmod 000 "$T/root/cache/locked"
st() { local r=0; "$DEFUSE" scan --no-progress --json "$@" >"$T/out.json" 2>"$T/err" || r=$?; echo "$r"; }
# jc FILTER: FILTER on the array of component records is true
jc() { jq -s -e "[.[] | select(.type == \"component\")] | $1" "$T/out.json" >/dev/null; }
paths() { jq -r 'select(.type == "component") | .path' "$T/out.json" | sed "s#^$T/root/##" | sort | tr '\n' ' '; }

# ---- --exclude / --skip-dirs prune the walk ----------------------------------
r=$(st --exclude 'cache' --exclude '*/node_modules' "$T/root")
[ "$(paths)" = "app/core.jar app/core216.jar app/text.jar " ] || fail "--exclude: $(paths)"
[ "$r" = 1 ] || fail "--exclude: exit $r (the unreadable cache/locked was opened?): $(cat "$T/err")"
r=$(st --skip-dirs "$T/root/cache" --skip-dirs "$T/root/node_modules" "$T/root")
[ "$(paths)" = "app/core.jar app/core216.jar app/text.jar " ] || fail "--skip-dirs: $(paths)"
[ "$r" = 1 ] || fail "--skip-dirs: exit $r"
r=$(st --exclude '*.jar' "$T/root/app")
[ "$r" = 0 ] && [ -z "$(paths)" ] || fail "--exclude '*.jar': exit $r, $(paths)"

# ---- --fail-on / --severity ----------------------------------------------------
# core216.jar has only CVE-2021-45105 (high) and CVE-2021-44832 (medium)
[ "$(st --fail-on critical "$T/root/app/core216.jar")" = 0 ] || fail "--fail-on critical: 2.16.0 has no critical"
[ "$(st --fail-on high "$T/root/app/core216.jar")" = 1 ] || fail "--fail-on high"
[ "$(st --fail-on rce "$T/root/app/core216.jar")" = 1 ] || fail "--fail-on rce: 44832 is an RCE"
[ "$(st --fail-on CVE-2021-44228 "$T/root/app/core216.jar")" = 0 ] || fail "--fail-on CVE list"
[ "$(st --fail-on CVE-2021-44228 "$T/root/app/core.jar")" = 1 ] || fail "--fail-on CVE list (core)"
[ "$(st --severity critical "$T/root/app/core216.jar")" = 0 ] || fail "--severity critical"
jc 'all(.vulnerabilities | length == 0)' ||
    fail "--severity critical still lists lower findings"
[ "$(st --fail-on bogus "$T/root/app")" = 2 ] || fail "--fail-on bogus must be a usage error"

# ---- --ignore ---------------------------------------------------------------------
cat >"$T/ignore.json" <<'J'
{"ignore": [
  {"id": "CVE-2022-42889", "path": "*/app/text.jar", "reason": "StringSubstitutor never sees input (ticket 42)"},
  {"id": "CVE-2021-44228", "path": "*/app/core.jar", "reason": "old waiver", "expires": "2020-01-01"}
]}
J
r=$(st --ignore "$T/ignore.json" "$T/root/app/text.jar")
[ "$r" = 0 ] || fail "--ignore: a suppressed finding failed (exit $r): $(cat "$T/err")"
jc '.[0].vulnerabilities[0].suppressed.reason | test("ticket 42")' ||
    fail "--ignore: reason not shown"
r=$(st --ignore "$T/ignore.json" "$T/root/app/core.jar")
[ "$r" = 1 ] || fail "--ignore: an expired rule suppressed (exit $r)"
grep -q 'expired' "$T/err" || fail "--ignore: no warning about the expired rule"
printf '{"ignore": [{"id": "CVE-2022-42889"}]}' >"$T/noreason.json"
[ "$(st --ignore "$T/noreason.json" "$T/root/app")" = 2 ] || fail "--ignore: a rule without a reason is accepted"
grep -q 'reason' "$T/err" || fail "--ignore: error does not name the field"

# ---- VEX --------------------------------------------------------------------------
cat >"$T/cdx-vex.json" <<'J'
{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
 "vulnerabilities": [{"id": "CVE-2022-42889",
   "analysis": {"state": "not_affected", "justification": "code_not_reachable", "detail": "no lookups enabled"},
   "affects": [{"ref": "pkg:maven/org.apache.commons/commons-text@1.9"}]}]}
J
r=$(st --vex "$T/cdx-vex.json" "$T/root/app/text.jar")
[ "$r" = 0 ] || fail "CycloneDX VEX did not suppress (exit $r): $(cat "$T/err")"
jc '.[0].vulnerabilities[0].suppressed.reason | test("code_not_reachable")' ||
    fail "CycloneDX VEX reason not shown"
cat >"$T/openvex.json" <<'J'
{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.invalid/vex-1", "author": "ops",
 "timestamp": "2026-01-01T00:00:00Z", "version": 1,
 "statements": [{"vulnerability": {"name": "CVE-2021-45105"},
   "products": [{"@id": "pkg:maven/org.apache.logging.log4j/log4j-core"}],
   "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
  {"vulnerability": {"name": "CVE-2021-44832"},
   "products": [{"@id": "pkg:maven/org.apache.logging.log4j/log4j-core@2.16.0"}],
   "status": "affected"}]}
J
r=$(st --vex "$T/openvex.json" "$T/root/app/core216.jar")
[ "$r" = 1 ] || fail "OpenVEX: 'affected' must not suppress (exit $r)"
jc '[.[0].vulnerabilities[] | select(.suppressed) | .id] == ["CVE-2021-45105"]' ||
    fail "OpenVEX: want exactly 45105 suppressed"
printf '{"statements": 3}' >"$T/badvex.json"
[ "$(st --vex "$T/badvex.json" "$T/root/app")" = 2 ] || fail "a malformed VEX file is accepted"
echo "PASS scan_policy"
