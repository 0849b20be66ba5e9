#!/usr/bin/env bash
# scan_output.sh -- what the exposure register and CI consumers need from each
# scan record (issue 10, item 17): CycloneDX purls on every component (an
# inexact version in a property), SHA-256 of the outermost file,
# metadata.component naming the host, scan time and vulndb version; SARIF
# partialFingerprints per nested component, the nested path as a location
# and relative URIs with originalUriBaseIds; the JSON summary with host,
# scan time, defuse and vulndb versions.  Validates against the official
# schemas when python3-jsonschema and a stored schema are present.
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
command -v python3 >/dev/null && command -v jq >/dev/null || { echo "SKIP: python3/jq"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir -p "$T/root"
python3 - "$T/root" <<'PY'
import sys, zipfile, os
d = sys.argv[1]
def jar(p, g, a, v, extra=()):
    with zipfile.ZipFile(p, 'w') as z:
        z.writestr('META-INF/maven/%s/%s/pom.properties' % (g, a),
                   'version=%s\ngroupId=%s\nartifactId=%s\n' % (v, g, a))
        for e in extra:
            z.writestr(e, b'\xca\xfe\xba\xbe')
jar(d + '/core.jar', 'org.apache.logging.log4j', 'log4j-core', '2.14.1',
    ['org/apache/logging/log4j/core/lookup/JndiLookup.class'])
with zipfile.ZipFile(d + '/app.war', 'w') as z:
    z.write(d + '/core.jar', 'WEB-INF/lib/core.jar')
jar(d + '/text.jar', 'org.apache.commons', 'commons-text', '1.9')
PY
scan() { local r=0; "$DEFUSE" scan --no-progress "$@" 2>"$T/err" || r=$?; [ "$r" = 1 ] || fail "exit $r: $(cat "$T/err")"; }
host=$(hostname)
outer=$(sha256sum "$T/root/app.war" | cut -d' ' -f1)
inner=$(sha256sum "$T/root/core.jar" | cut -d' ' -f1)

# ---- CycloneDX -------------------------------------------------------------
scan --cyclonedx "$T/root" >"$T/bom.json"
jq -e '[.components[] | select(.purl | not)] | length == 0' "$T/bom.json" >/dev/null ||
    fail "a component without purl"
jq -e '.components[] | select(.name == "log4j-core") | .purl == "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"' \
    "$T/bom.json" >/dev/null || fail "log4j-core purl"
jq -e --arg h "$host" '.metadata.component.name == $h and (.metadata.component.type | test("device|container|operating-system"))' \
    "$T/bom.json" >/dev/null || fail "metadata.component is not the host"
jq -e '.metadata.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' "$T/bom.json" >/dev/null || fail "timestamp"
jq -e '[.metadata.properties[] | select(.name == "defuse:vulndb_version" and (.value | length) > 0)] | length == 1' \
    "$T/bom.json" >/dev/null || fail "vulndb version in metadata"
jq -e --arg o "$outer" '[.components[] | select(.properties[] | .name == "defuse:path" and (.value | endswith("app.war!/WEB-INF/lib/core.jar")))
    | .properties[] | select(.name == "defuse:sha256_outer" and .value == $o)] | length == 1' "$T/bom.json" >/dev/null ||
    fail "SHA-256 of the outermost file on the nested component"
jq -e --arg i "$inner" '[.components[] | select(.properties[] | .name == "defuse:path" and (.value | endswith("/root/core.jar")))
    | .hashes[] | select(.alg == "SHA-256" and .content == $i)] | length == 1' "$T/bom.json" >/dev/null ||
    fail "SHA-256 of a top-level jar in hashes"

# ---- SARIF -----------------------------------------------------------------
scan --sarif "$T/root" >"$T/sarif.json"
jq -e '.runs[0].originalUriBaseIds | length >= 1' "$T/sarif.json" >/dev/null || fail "no originalUriBaseIds"
jq -e '[.runs[0].results[].locations[0].physicalLocation.artifactLocation
        | select((.uri | startswith("file:") or startswith("/")) or (.uriBaseId | not))] | length == 0' \
    "$T/sarif.json" >/dev/null || fail "absolute URI or no uriBaseId in a result"
jq -e '.runs[0].results | all(.partialFingerprints | length >= 1)' \
    "$T/sarif.json" >/dev/null || fail "a result without partialFingerprints"
# two nested components (core.jar, app.war!/.../core.jar) with the same CVE differ
jq -e '[.runs[0].results[] | select(.ruleId == "CVE-2021-44228") | .partialFingerprints | tostring] | unique | length == 2' \
    "$T/sarif.json" >/dev/null || fail "fingerprints do not tell nested components apart"
jq -e '[.runs[0].results[].locations[] | .. | strings | select(endswith("app.war!/WEB-INF/lib/core.jar"))] | length >= 1' \
    "$T/sarif.json" >/dev/null || fail "no location names the nested path"

# ---- JSON ------------------------------------------------------------------
scan --json "$T/root" >"$T/out.json"
jq -s -e --arg h "$host" '.[-1] | .type == "summary" and .host == $h and (.scan_time | test("^[0-9]{4}-"))
    and (.defuse_version | length) > 0 and (.vulndb_version | length) > 0 and (.vulndb_date | length) > 0' \
    "$T/out.json" >/dev/null || fail "JSON summary lacks host/scan_time/versions: $(tail -1 "$T/out.json")"

# ---- schemas (offline only) ------------------------------------------------
# DEFUSE_SCHEMAS: a directory holding sarif-2.1.0.json (oasis-tcs/sarif-spec,
# sarif-2.1/schema/sarif-schema-2.1.0.json) and bom-1.5.schema.json with its
# spdx.schema.json and jsf-0.82.schema.json (CycloneDX/specification, schema/).
# The schemas are not part of defuse; without them (or python3-jsonschema)
# this step is skipped with a note.
S=${DEFUSE_SCHEMAS:-/usr/share/defuse/schemas}
if python3 -c 'import jsonschema, referencing' 2>/dev/null && [ -f "$S/sarif-2.1.0.json" ] &&
    [ -f "$S/bom-1.5.schema.json" ]; then
    python3 - "$S" "$T/sarif.json" "$T/bom.json" <<'PY' || fail "schema validation"
import json, sys, jsonschema
from referencing import Registry, Resource
d, sarif, bom = sys.argv[1:4]
s = json.load(open(d + '/sarif-2.1.0.json'))
errs = list(jsonschema.validators.validator_for(s)(s).iter_errors(json.load(open(sarif))))
reg = Registry()
for f in ('spdx.schema.json', 'jsf-0.82.schema.json'):
    reg = reg.with_resource(f, Resource.from_contents(json.load(open(d + '/' + f))))
b = json.load(open(d + '/bom-1.5.schema.json'))
errs += list(jsonschema.Draft7Validator(b, registry=reg).iter_errors(json.load(open(bom))))
for e in errs[:10]:
    print('schema:', list(e.path), e.message[:200], file=sys.stderr)
sys.exit(1 if errs else 0)
PY
else
    echo "note: no schemas in $S (or no python3-jsonschema); schema validation skipped" >&2
fi
echo "PASS scan_output"
