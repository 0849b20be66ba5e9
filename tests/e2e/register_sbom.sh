#!/usr/bin/env bash
# register_sbom.sh -- SBOMs (written here: CycloneDX 1.5 JSON with nested
# components, CycloneDX 1.4 XML, SPDX 2.3 JSON, SPDX 2.2 tag-value) ingested
# into the register as four assets in three environments, and the
# exposures each must give: identification by purl, by CPE alone, by group
# and name alone; lookalikes (log4j-api, log4j-to-slf4j, log4j-over-slf4j)
# clean; a component without a version is "review", never clean; a later
# SBOM without a component fixes its exposures at the SBOM's time; a
# malformed SBOM is refused with FILE:LINE:COL and writes nothing.  On
# SQLite, then on a real PostgreSQL server on loopback when one is installed.
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
command -v jq >/dev/null || { echo "SKIP: no jq"; exit 77; }
PG_T=$(mktemp -d)
T=$PG_T
# shellcheck source=register_pg_lib.bash
. "$DEFUSE_SRC/tests/e2e/register_pg_lib.bash"
trap 'pg_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
VDB="$DEFUSE_SRC/data/vulndb.json"
"$DEFUSE" register --db "$T/probe.db" --vulndb "$VDB" ingest --asset p --env dev /dev/null >/dev/null 2>"$T/probe" || true
grep -q "SBOM support is not built in" "$T/probe" && { echo "SKIP: SBOM readers not built"; exit 77; }

cat >"$T/app-a.cdx.json" <<'EOF'
{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
 "metadata": {"timestamp": "2021-12-13T08:00:00Z", "component": {"type": "application", "name": "app-a"}},
 "components": [
  {"type": "library", "bom-ref": "core", "group": "org.apache.logging.log4j", "name": "log4j-core",
   "version": "2.14.1", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
  {"type": "library", "bom-ref": "api", "group": "org.apache.logging.log4j", "name": "log4j-api",
   "version": "2.14.1", "purl": "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1"},
  {"type": "application", "bom-ref": "plugin", "name": "plugin", "version": "3",
   "components": [
    {"type": "library", "bom-ref": "shaded", "group": "org.apache.logging.log4j", "name": "log4j-core",
     "version": "2.16.0", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.16.0?type=jar"},
    {"type": "library", "bom-ref": "bridge", "group": "org.apache.logging.log4j", "name": "log4j-to-slf4j",
     "version": "2.14.1", "purl": "pkg:maven/org.apache.logging.log4j/log4j-to-slf4j@2.14.1"}]}
 ]}
EOF
cat >"$T/img-b.cdx.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1">
  <metadata><timestamp>2021-12-13T09:00:00Z</timestamp></metadata>
  <components>
    <component type="library" bom-ref="l1">
      <name>legacy-logging</name>
      <version>1.2.17</version>
      <cpe>cpe:2.3:a:apache:log4j:1.2.17:*:*:*:*:*:*:*</cpe>
    </component>
    <component type="library" bom-ref="nover">
      <group>org.apache.logging.log4j</group>
      <name>log4j-core</name>
    </component>
  </components>
</bom>
EOF
cat >"$T/svc-c.spdx.json" <<'EOF'
{"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
 "name": "svc-c", "documentNamespace": "https://example.com/svc-c",
 "creationInfo": {"created": "2021-12-13T10:00:00Z", "creators": ["Tool: hand"]},
 "packages": [
  {"SPDXID": "SPDXRef-text", "name": "commons-text", "versionInfo": "1.9", "downloadLocation": "NOASSERTION",
   "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                     "referenceLocator": "pkg:maven/org.apache.commons/commons-text@1.9"}]},
  {"SPDXID": "SPDXRef-bridge", "name": "log4j-over-slf4j", "versionInfo": "1.7.30", "downloadLocation": "NOASSERTION",
   "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                     "referenceLocator": "pkg:maven/org.slf4j/log4j-over-slf4j@1.7.30"}]}
 ]}
EOF
cat >"$T/svc-d.spdx" <<'EOF'
SPDXVersion: SPDX-2.2
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: svc-d
DocumentNamespace: https://example.com/svc-d
Creator: Tool: hand
Created: 2021-12-13T11:00:00Z

PackageName: log4j-core
SPDXID: SPDXRef-core
PackageVersion: 2.15.0
ExternalRef: PACKAGE-MANAGER purl pkg:maven/org.apache.logging.log4j/log4j-core@2.15.0
EOF
# a later SBOM of app-a: the 2.14.1 jar was replaced by 2.17.1
jq '.metadata.timestamp = "2021-12-15T08:00:00Z" | .components[0].version = "2.17.1"
    | .components[0].purl = "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1"' \
    "$T/app-a.cdx.json" >"$T/app-a-2.cdx.json"
# malformed: the XML breaks on line 4
printf '<?xml version="1.0"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.4">\n<components>\n<component><name>x</name></componen>\n</components></bom>\n' >"$T/bad.cdx.xml"

run_suite() { # DB
    local DB=$1
    R() { "$DEFUSE" register --db "$DB" --vulndb "$VDB" --by ci "$@"; }
    # every exposure, read once after each change (process starts are the
    # test's time); st ASSET CVE VERSION -> the state, or none
    snap() { R exposures --all --json >"$T/all.json"; }
    st() { jq -r --arg a "$1" --arg c "$2" --arg v "$3" '[.[] | select(.asset == $a and .cve == $c
           and .version == (if $v == "" then null else $v end))][0].state // "none"' "$T/all.json"; }
    export DEFUSE_NOW=2021-12-14T12:00:00Z
    R ingest --asset app-a --env prod --exposure public "$T/app-a.cdx.json" >/dev/null
    R ingest --asset img-b --env staging --kind image "$T/img-b.cdx.xml" >/dev/null
    R ingest --asset svc-c --env dev "$T/svc-c.spdx.json" >/dev/null
    R ingest --asset svc-d --env prod "$T/svc-d.spdx" >/dev/null
    [ "$(R assets --json | jq length)" = 4 ] || fail "$DB: assets"
    snap
    # CycloneDX JSON: purl; nested 2.16.0 has 45105 and 44832 but not 44228/45046
    for c in CVE-2021-44228 CVE-2021-45046 CVE-2021-45105 CVE-2021-44832; do
        [ "$(st app-a $c 2.14.1)" = affected ] || fail "$DB: app-a 2.14.1 $c: $(st app-a $c 2.14.1)"
    done
    [ "$(st app-a CVE-2021-45105 2.16.0)" = affected ] || fail "$DB: nested 2.16.0 45105"
    [ "$(st app-a CVE-2021-44228 2.16.0)" = none ] || fail "$DB: nested 2.16.0 has 44228"
    n=$(jq '[.[] | select(.asset == "app-a" and (.product == null or (.purl // "" | test("log4j-(api|to-slf4j)"))))] | length' "$T/all.json")
    [ "$n" = 0 ] || fail "$DB: a lookalike has exposures"
    # CycloneDX XML: CPE only (log4j 1.x), and a log4j-core without a version -> review
    [ "$(st img-b CVE-2021-4104 1.2.17)" = affected ] || fail "$DB: img-b log4j 1.2.17 by CPE: $(st img-b CVE-2021-4104 1.2.17)"
    [ "$(st img-b CVE-2021-44228 '')" = review ] || fail "$DB: img-b versionless log4j-core: $(st img-b CVE-2021-44228 '')"
    # SPDX JSON: purl in externalRefs; the slf4j bridge clean
    [ "$(st svc-c CVE-2022-42889 1.9)" = affected ] || fail "$DB: svc-c commons-text 1.9"
    [ "$(jq '[.[] | select(.asset == "svc-c")] | length' "$T/all.json")" = 1 ] || fail "$DB: svc-c: log4j-over-slf4j has exposures"
    # SPDX tag-value: 2.15.0 fixes 44228, not 45046
    [ "$(st svc-d CVE-2021-45046 2.15.0)" = affected ] || fail "$DB: svc-d 45046"
    [ "$(st svc-d CVE-2021-44228 2.15.0)" = none ] || fail "$DB: svc-d 2.15.0 has 44228"
    # queries across assets: by CVE and environment, by component
    n=$(R exposures --json --cve CVE-2021-45046 --env prod | jq length)
    [ "$n" = 2 ] || fail "$DB: 45046 in prod: $n (app-a 2.14.1, svc-d 2.15.0)"
    n=$(R exposures --json --component pkg:maven/org.apache.commons/commons-text | jq length)
    [ "$n" = 1 ] || fail "$DB: by component purl: $n"
    # a later SBOM without 2.14.1: fixed at the SBOM's time
    export DEFUSE_NOW=2021-12-16T12:00:00Z
    R ingest --asset app-a "$T/app-a-2.cdx.json" >/dev/null
    snap
    [ "$(st app-a CVE-2021-44228 2.14.1)" = fixed ] || fail "$DB: 2.14.1 not fixed after the new SBOM"
    t=$(jq -r '[.[] | select(.asset == "app-a" and .cve == "CVE-2021-44228")][0].closed_at' "$T/all.json")
    [ "$t" = 2021-12-15T08:00:00Z ] || fail "$DB: fixed at $t, not at the SBOM's time"
    [ "$(st app-a CVE-2021-45105 2.16.0)" = affected ] || fail "$DB: nested 2.16.0 lost on re-ingest"
    # the same SBOM twice changes nothing
    R ingest --asset app-a "$T/app-a-2.cdx.json" | grep -q "nothing changed" || fail "$DB: re-ingest not idempotent"
    # malformed: named with its position, nothing written
    before=$(R history --asset img-b --json | jq length)
    rc=0
    R ingest --asset img-b "$T/bad.cdx.xml" >/dev/null 2>"$T/err" || rc=$?
    [ "$rc" = 2 ] || fail "$DB: malformed SBOM: exit $rc"
    grep -q "bad.cdx.xml:4" "$T/err" || { cat "$T/err"; fail "$DB: malformed SBOM error without FILE:LINE"; }
    [ "$(R history --asset img-b --json | jq length)" = "$before" ] || fail "$DB: malformed SBOM wrote history"
    snap
    [ "$(st img-b CVE-2021-4104 1.2.17)" = affected ] || fail "$DB: malformed SBOM changed img-b"
}

run_suite "$T/reg.db"
echo "sqlite: ok"
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v psql >/dev/null; then
    pg_start
    run_suite "$REGISTER_URL"
    echo "postgresql: ok"
else
    echo "postgresql: not installed, SQLite only"
fi
echo "PASS: CycloneDX JSON/XML and SPDX JSON/tag-value SBOMs give the expected exposures"
