#!/usr/bin/env bash
# scan_distro_patched.sh -- Debian's patched log4j 1.2.17 (liblog4j1.2-java
# 1.2.17-11) is recognised by its hardening classes (issue 10, item 13): the
# CVEs its changelog fixes (CVE-2019-17571, -2021-4104, -2022-23302, -23305,
# -23307) are not reported, the others are, and the evidence names the
# classes.  The same jar with those classes deleted gets the CVEs back, so the
# verdict follows the classes, not the file name or the manifest.
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
JAR=/usr/share/java/log4j-1.2-1.2.17.jar
[ -f "$JAR" ] || { echo "SKIP: $JAR missing (apt-get install liblog4j1.2-java)"; exit 77; }
command -v jq >/dev/null && command -v zip >/dev/null || { echo "SKIP: jq/zip"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cves() { jq -r 'select(.type == "component") | .vulnerabilities[].id' "$1" | sort | tr '\n' ' '; }
r=0
"$DEFUSE" scan --no-progress --json "$JAR" >"$T/deb.json" 2>/dev/null || r=$?
[ "$r" = 1 ] || fail "Debian jar: exit $r (CVE-2020-9493, -26464, -9488 remain: want 1)"
got=$(cves "$T/deb.json")
for c in CVE-2019-17571 CVE-2021-4104 CVE-2022-23302 CVE-2022-23305 CVE-2022-23307; do
    case " $got" in *" $c "*) fail "Debian jar: $c reported although patched: $got" ;; esac
done
for c in CVE-2020-9493 CVE-2023-26464; do
    case " $got" in *" $c "*) ;; *) fail "Debian jar: $c missing: $got" ;; esac
done
jq -e -s 'any(.[]; .type == "component" and
          (.evidence_text | test("CVE-2019-17571 fixed by a distribution patch \\(HardenedObjectInputStream")))' \
    "$T/deb.json" >/dev/null || fail "evidence: $(jq -r '.evidence_text // empty' "$T/deb.json")"
echo "ok: Debian 1.2.17-11 reported with its remaining CVEs only: $got"

cp "$JAR" "$T/stripped.jar"
zip -q -d "$T/stripped.jar" 'org/apache/log4j/net/HardenedObjectInputStream.class' \
    'org/apache/log4j/jdbc/JdbcPatternParser.class' 'org/apache/log4j/FilteredObjectInputStream.class'
"$DEFUSE" scan --no-progress --json "$T/stripped.jar" >"$T/str.json" 2>/dev/null || true
got=$(cves "$T/str.json")
for c in CVE-2019-17571 CVE-2022-23305 CVE-2022-23307; do
    case " $got" in *" $c "*) ;; *) fail "without the hardening classes $c missing: $got" ;; esac
done
echo "ok: without the hardening classes the CVEs are back"
