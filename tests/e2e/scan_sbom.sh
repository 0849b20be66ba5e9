#!/usr/bin/env bash
# scan_sbom.sh -- an SBOM given to `defuse scan` is recognised by its content
# (CycloneDX JSON and XML, SPDX JSON and tag-value) and named as such -- on
# stderr, as a JSON "sbom" record, a SARIF notification and a CycloneDX
# property -- never reported as a clean "0 components" (issue 10, item 19).
# Exit status: an SBOM named as PATH, or a scan that met nothing but SBOMs,
# is not "clean" (2; 3 with a finding elsewhere); an SBOM met in a directory
# among other files is a note only.  A JSON file that is no SBOM stays an
# ordinary file, and a jar hidden behind an SBOM's first bytes is still found.
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
command -v python3 >/dev/null && command -v jq >/dev/null || { echo "SKIP: python3/jq"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# st ARGS...: exit status of a JSON scan; records in $T/out.json, stderr in $T/err
st() { local r=0; "$DEFUSE" scan --no-progress --json "$@" >"$T/out.json" 2>"$T/err" || r=$?; echo "$r"; }

mkdir -p "$T/s" "$T/only" "$T/mixed" "$T/plain"
# Small SBOMs, each listing log4j-core 2.14.1 (key order as tools write it,
# big.cdx.json: over 64 KiB, the long-file path).
cat >"$T/s/bom.cdx.json" <<'EOF'
{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
 "components": [{"type": "library", "group": "org.apache.logging.log4j", "name": "log4j-core",
   "version": "2.14.1", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}]}
EOF
cat >"$T/s/bom.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1">
  <components>
    <component type="library"><group>org.apache.logging.log4j</group><name>log4j-core</name>
      <version>2.14.1</version><purl>pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1</purl></component>
  </components>
</bom>
EOF
cat >"$T/s/app.spdx.json" <<'EOF'
{"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "app",
 "documentNamespace": "https://example.org/app", "creationInfo": {"created": "2026-01-01T00:00:00Z",
 "creators": ["Tool: hand"]},
 "packages": [{"SPDXID": "SPDXRef-log4j", "name": "log4j-core", "versionInfo": "2.14.1",
   "downloadLocation": "NOASSERTION", "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
   "referenceType": "purl", "referenceLocator": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}]}]}
EOF
cat >"$T/s/app.spdx" <<'EOF'
SPDXVersion: SPDX-2.2
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: app

PackageName: log4j-core
SPDXID: SPDXRef-log4j
PackageVersion: 2.14.1
PackageDownloadLocation: NOASSERTION
ExternalRef: PACKAGE-MANAGER purl pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1
EOF
python3 - "$T/s/big.cdx.json" <<'PY'
import json, sys
comps = [{"type": "library", "group": "org.example", "name": "lib%d" % i, "version": "1.%d" % i,
          "purl": "pkg:maven/org.example/lib%d@1.%d" % (i, i)} for i in range(1000)]
comps.append({"type": "library", "group": "org.apache.logging.log4j", "name": "log4j-core",
              "version": "2.14.1", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"})
json.dump({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": comps},
          open(sys.argv[1], "w"), indent=2)
PY
[ "$(stat -c %s "$T/s/big.cdx.json")" -gt 65536 ] || fail "big.cdx.json too small for the long path"

for f in bom.cdx.json bom.xml app.spdx.json app.spdx big.cdx.json; do
    case $f in
    *.xml) want=cyclonedx-xml ;; *cdx.json) want=cyclonedx-json ;;
    *.spdx.json) want=spdx-json ;; *) want=spdx-tag-value ;;
    esac
    r=$(st "$T/s/$f")
    [ "$r" = 2 ] || fail "$f: exit $r, want 2 (an SBOM as PATH is not scanned, so not clean)"
    grep -q "SBOM" "$T/err" && grep -q "defuse register ingest" "$T/err" ||
        fail "$f: stderr does not name the SBOM and the register: $(cat "$T/err")"
    jq -s -e --arg f "$want" --arg p "$T/s/$f" \
        'any(.[]; .type == "sbom" and .format == $f and .path == $p) and
         any(.[]; .type == "summary" and .sboms == 1 and .exit == 2)' "$T/out.json" >/dev/null ||
        fail "$f: JSON has no sbom record of format $want: $(cat "$T/out.json")"
    # the table says it too, and never "0 components" alone
    r=0; "$DEFUSE" scan --no-progress "$T/s/$f" >"$T/tab" 2>"$T/err" || r=$?
    [ "$r" = 2 ] && grep -q "1 SBOM" "$T/err" || fail "$f: table run: exit $r: $(cat "$T/err")"
    echo "ok: $f is a $want SBOM: exit 2, named on stderr and in JSON"
done

r=0; "$DEFUSE" scan --no-progress --sarif "$T/s/bom.cdx.json" >"$T/out.sarif" 2>/dev/null || r=$?
[ "$r" = 2 ] || fail "SARIF: exit $r"
jq -e '.runs[0].invocations[0].toolExecutionNotifications |
       any(.[]; .level == "note" and (.message.text | test("SBOM.*defuse register ingest")))' \
    "$T/out.sarif" >/dev/null || fail "SARIF: no note: $(jq -c '.runs[0].invocations' "$T/out.sarif")"
r=0; "$DEFUSE" scan --no-progress --cyclonedx "$T/s/app.spdx" >"$T/out.cdx" 2>/dev/null || r=$?
[ "$r" = 2 ] || fail "CycloneDX: exit $r"
jq -e '.metadata.properties | any(.[]; .name == "defuse:sbom_not_scanned")' "$T/out.cdx" >/dev/null ||
    fail "CycloneDX: no defuse:sbom_not_scanned property"
echo "ok: SARIF note and CycloneDX property"

# a directory holding only SBOMs: nothing was scanned, so not clean either
cp "$T/s/bom.cdx.json" "$T/s/app.spdx" "$T/only/"
r=$(st "$T/only")
[ "$r" = 2 ] || fail "SBOM-only directory: exit $r, want 2"
jq -s -e 'any(.[]; .type == "summary" and .sboms == 2)' "$T/out.json" >/dev/null || fail "only: sboms != 2"
echo "ok: a directory of SBOMs only: exit 2"

# among other files an SBOM is a note: the status is the other files'
python3 "$DEFUSE_SRC/tests/e2e/scan_adversarial.py" synth "$T/mixed/core.jar"
cp "$T/s/bom.xml" "$T/mixed/"
echo '{"name": "app", "version": "1.0.0", "dependencies": {"left-pad": "^1.3.0"}}' >"$T/mixed/package.json"
r=$(st "$T/mixed")
[ "$r" = 1 ] || fail "mixed directory: exit $r, want 1 (the jar): $(cat "$T/err")"
jq -s -e 'any(.[]; .type == "sbom") and any(.[]; .type == "summary" and .sboms == 1 and .errors == 0)' \
    "$T/out.json" >/dev/null || fail "mixed: sbom record or summary wrong"
grep -q "bom.xml" "$T/err" || fail "mixed: the SBOM is not named on stderr"
cp "$T/s/app.spdx.json" "$T/plain/"
echo 'plain text' >"$T/plain/readme.txt"
r=$(st "$T/plain")
[ "$r" = 0 ] || fail "SBOM beside a clean file: exit $r, want 0"
echo "ok: an SBOM among other files is a note (status of the other files)"

# named as PATH next to a vulnerable jar: both facts (3)
r=$(st "$T/s/bom.cdx.json" "$T/mixed/core.jar")
[ "$r" = 3 ] || fail "SBOM and a vulnerable jar as PATHs: exit $r, want 3"
echo "ok: an SBOM as PATH with a vulnerable jar: exit 3"

# not SBOMs: package.json, a text that mentions the words
r=$(st "$T/mixed/package.json")
[ "$r" = 0 ] || fail "package.json: exit $r"
printf 'notes: "bomFormat": "CycloneDX", SPDXVersion: SPDX-2.3\n' >"$T/notes.txt"
r=$(st "$T/notes.txt")
[ "$r" = 0 ] && ! jq -s -e 'any(.[]; .type == "sbom")' "$T/out.json" >/dev/null ||
    fail "notes.txt taken for an SBOM (exit $r)"
echo "ok: JSON and text that are no SBOM are ordinary files"

# a jar behind an SBOM's first bytes: the JVM reads the zip from its end
cat "$T/s/bom.cdx.json" "$T/mixed/core.jar" >"$T/hidden.json"
r=$(st "$T/hidden.json")
[ "$r" = 1 ] || fail "jar behind an SBOM head: exit $r, want 1: $(cat "$T/out.json")"
jq -s -e 'any(.[]; .type == "component" and .product == "log4j-core")' "$T/out.json" >/dev/null ||
    fail "jar behind an SBOM head not found"
echo "ok: a jar behind an SBOM head is found"

# the real SBOMs of the corpus (tools' output), when it is there: each named
S="${DEFUSE_CORPUS:-}/sboms"
if [ -d "$S" ]; then
    want=$(find "$S" -type f ! -name MANIFEST.txt | wc -l)
    r=$(st "$S")
    n=$(jq -s '[.[] | select(.type == "sbom")] | length' "$T/out.json")
    # MANIFEST.txt beside them is an ordinary file, examined: the SBOMs are notes
    [ "$n" = "$want" ] && [ "$r" = 0 ] || fail "corpus SBOMs: $n of $want named, exit $r"
    echo "ok: the corpus's $n SBOMs are named"
fi
echo PASS
