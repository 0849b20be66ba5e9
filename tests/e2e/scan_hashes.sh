#!/usr/bin/env bash
# scan_hashes.sh -- every component record carries its status and the SHA-256
# of its own file, nested ones included (issue 10, item 17: "file hashes of
# the outermost file and of the nested entry"): a log4j-core jar inside a war
# inside a tar.gz gets the SHA-256 of the jar itself in JSON ("sha256"),
# CycloneDX ("hashes") and SARIF (properties.sha256), besides the outer
# file's; JSON and the table say VULNERABLE / mitigated / ok alike.
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
for t in python3 jq zip unzip sha256sum; do
    command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir -p "$T/w/WEB-INF/lib" "$T/tree"
python3 "$DEFUSE_SRC/tests/e2e/scan_adversarial.py" synth "$T/w/WEB-INF/lib/log4j-core-2.14.1.jar"
# log4j-core 2.17.1 with JndiLookup removed: no CVE left, "mitigated"
python3 - "$DEFUSE_SRC/tests/e2e" "$T/mit.jar" <<'PY'
import sys, zipfile
sys.path.insert(0, sys.argv[1])
from scan_adversarial import minimal_class
base = "org/apache/logging/log4j/core/"
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as zo:
    zo.writestr("META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
                "groupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.17.1\n")
    zo.writestr(base + "LoggerContext.class", minimal_class(base + "LoggerContext"))
PY
inner=$(sha256sum "$T/w/WEB-INF/lib/log4j-core-2.14.1.jar" | cut -d' ' -f1)
(cd "$T/w" && zip -q -0 -r "$T/app.war" WEB-INF)
tar -C "$T" -czf "$T/tree/image.tar.gz" app.war
outer=$(sha256sum "$T/tree/image.tar.gz" | cut -d' ' -f1)
cp "$T/mit.jar" "$T/tree/"
mit=$(sha256sum "$T/mit.jar" | cut -d' ' -f1)

r=0
"$DEFUSE" scan --no-progress --json "$T/tree" >"$T/out.json" 2>"$T/err" || r=$?
[ "$r" = 1 ] || fail "exit $r: $(cat "$T/err")"
nested="$T/tree/image.tar.gz!/app.war!/WEB-INF/lib/log4j-core-2.14.1.jar"
jq -s -e --arg p "$nested" --arg h "$inner" --arg o "$outer" \
    'any(.[]; .type == "component" and .path == $p and .sha256 == $h and .sha256_outer == $o
              and .status == "vulnerable")' "$T/out.json" >/dev/null ||
    fail "JSON: nested jar without its own sha256/status: $(jq -c 'select(.type == "component") |
          {path, sha256, sha256_outer, status}' "$T/out.json")"
jq -s -e --arg h "$mit" 'any(.[]; .type == "component" and (.path | endswith("/mit.jar")) and
                              .sha256 == $h and .status == "mitigated")' "$T/out.json" >/dev/null ||
    fail "JSON: top-level mitigated jar: $(jq -c 'select(.type == "component") | {path, sha256, status}' "$T/out.json")"
echo "ok: JSON: nested jar has its own sha256 and a status"

"$DEFUSE" scan --no-progress --cyclonedx "$T/tree" >"$T/out.cdx" 2>/dev/null || true
jq -e --arg h "$inner" --arg p "$nested" \
    'any(.components[]; .evidence.occurrences[0].location == $p and
         any(.hashes[]?; .alg == "SHA-256" and .content == $h))' "$T/out.cdx" >/dev/null ||
    fail "CycloneDX: nested jar has no hash of its own"
"$DEFUSE" scan --no-progress --sarif "$T/tree" >"$T/out.sarif" 2>/dev/null || true
jq -e --arg h "$inner" 'any(.runs[0].results[]; .properties.sha256 == $h)' "$T/out.sarif" >/dev/null ||
    fail "SARIF: no properties.sha256 of the nested jar"
echo "ok: CycloneDX hashes and SARIF properties carry the nested jar's SHA-256"

"$DEFUSE" scan --no-progress "$T/tree" >"$T/table" 2>/dev/null || true
grep -q '^VULNERABLE .*log4j-core-2.14.1.jar$' "$T/table" && grep -q '^mitigated .*mit.jar$' "$T/table" ||
    fail "table status column: $(cat "$T/table")"
echo "ok: the table's STATUS column matches"

# --no-hashes: the same findings, no file hash in any machine format (the
# SHA-256 of class evidence stays: it is how versions are told apart)
r=0
"$DEFUSE" scan --no-progress --json --no-hashes "$T/tree" >"$T/nh.json" 2>"$T/err" || r=$?
[ "$r" = 1 ] || fail "--no-hashes: exit $r: $(cat "$T/err")"
jq -s -e 'all(.[]; has("sha256") == false and has("sha256_outer") == false)' "$T/nh.json" >/dev/null ||
    fail "--no-hashes: JSON still has file hashes"
[ "$(jq -c 'select(.type == "component") | [.path, .status, .version]' "$T/nh.json")" = \
  "$(jq -c 'select(.type == "component") | [.path, .status, .version]' "$T/out.json")" ] ||
    fail "--no-hashes changed the findings"
"$DEFUSE" scan --no-progress --cyclonedx --no-hashes "$T/tree" >"$T/nh.cdx" 2>/dev/null || true
jq -e '[.components[] | select(has("hashes"))] | length == 0' "$T/nh.cdx" >/dev/null ||
    fail "--no-hashes: CycloneDX still has hashes"
echo "ok: --no-hashes drops file hashes, keeps the findings"

# CVSS scores as published (one decimal), not a binary float's 17 digits
jq -s -e '[.[] | .vulnerabilities[]?.cvss | tostring | select(test("^[0-9]+([.][0-9])?$") | not)] | length == 0' \
    "$T/out.json" >/dev/null || fail "CVSS printed with spurious digits: $(grep -o '"cvss":[0-9.]*' "$T/out.json" | sort -u)"
grep -q '"cvss":[0-9.]*[0-9]\{4\}' "$T/out.json" && fail "CVSS printed with spurious digits"
echo "ok: CVSS scores printed as published"
echo PASS
