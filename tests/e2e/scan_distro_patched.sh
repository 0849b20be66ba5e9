#!/usr/bin/env bash
# scan_distro_patched.sh -- Debian's patched log4j 1.2.17 (liblog4j1.2-java
# 1.2.17-11) is recognised by its hardening classes (issue 10, item 13): the
# CVEs its changelog fixes (CVE-2019-17571, -2021-4104, -2022-23302, -23305,
# -23307) are not reported, the others are, and the evidence names the
# classes.  The same jar with those classes deleted gets the CVEs back, so the
# verdict follows the classes, not the file name or the manifest.  The classes
# must be Debian's bytes (SHA-256 in the vulnerability data): a forged
# hardening class, or Debian's genuine hardening classes added to the
# upstream jar (whose SocketNode, JDBCAppender and chainsaw are unpatched),
# leave the CVEs reported, with a note.
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
          (.evidence_text | test("CVE-2019-17571 fixed by a distribution patch \\(Debian.*SocketNode.class.*FilteredObjectInputStream.class")))' \
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

# A forged FilteredObjectInputStream (a class of that name that filters
# nothing) in Debian's jar: CVE-2019-17571 is back, the other two patches
# (genuine classes) still count.
if command -v javac >/dev/null; then
    mkdir -p "$T/src/org/apache/log4j" "$T/cls"
    cat >"$T/src/org/apache/log4j/FilteredObjectInputStream.java" <<'JAVA'
package org.apache.log4j;
public class FilteredObjectInputStream extends java.io.ObjectInputStream {
    public FilteredObjectInputStream(java.io.InputStream in, java.util.Collection<String> allowed)
            throws java.io.IOException { super(in); }
}
JAVA
    javac -nowarn -d "$T/cls" "$T/src/org/apache/log4j/FilteredObjectInputStream.java" 2>/dev/null
else
    # no compiler: other bytes under that name (the verdict is by the bytes)
    mkdir -p "$T/cls/org/apache/log4j"
    unzip -p "$JAR" org/apache/log4j/FilteredObjectInputStream.class >"$T/cls/org/apache/log4j/FilteredObjectInputStream.class"
    printf '\0' >>"$T/cls/org/apache/log4j/FilteredObjectInputStream.class"
fi
cp "$JAR" "$T/forged.jar"
(cd "$T/cls" && zip -q "$T/forged.jar" org/apache/log4j/FilteredObjectInputStream.class)
r=0
"$DEFUSE" scan --no-progress --json "$T/forged.jar" >"$T/forged.json" 2>/dev/null || r=$?
got=$(cves "$T/forged.json")
[ "$r" = 1 ] || fail "forged: exit $r"
case " $got" in *" CVE-2019-17571 "*) ;; *) fail "forged FilteredObjectInputStream: CVE-2019-17571 hidden: $got" ;; esac
for c in CVE-2022-23305 CVE-2022-23307; do
    case " $got" in *" $c "*) fail "forged: $c reported although its patch classes are Debian's: $got" ;; esac
done
jq -e -s 'any(.[]; .type == "component" and
          (.evidence_text | test("CVE-2019-17571 still applies: FilteredObjectInputStream.class present but")))' \
    "$T/forged.json" >/dev/null || fail "forged: no note: $(jq -r '.evidence_text // empty' "$T/forged.json")"
echo "ok: a forged hardening class does not hide CVE-2019-17571 (noted in the evidence)"

# Two entries of one name, Debian's and another: which one a class loader
# takes is not the scanner's to guess, so nothing is proven.
if command -v python3 >/dev/null; then
    python3 - "$JAR" "$T/dup.jar" <<'PY'
import sys, warnings, zipfile
warnings.simplefilter("ignore")  # the duplicate name is the point
src = zipfile.ZipFile(sys.argv[1])
with zipfile.ZipFile(sys.argv[2], "w") as z:
    for i in src.infolist():
        z.writestr(i, src.read(i))
    z.writestr("org/apache/log4j/FilteredObjectInputStream.class", b"\xca\xfe\xba\xbe forged")
PY
    "$DEFUSE" scan --no-progress --json "$T/dup.jar" >"$T/dup.json" 2>/dev/null || true
    got=$(cves "$T/dup.json")
    case " $got" in *" CVE-2019-17571 "*) ;; *) fail "duplicate FilteredObjectInputStream: CVE-2019-17571 hidden: $got" ;; esac
    jq -e -s 'any(.[]; .type == "component" and (.evidence_text | test("twice, different bytes")))' \
        "$T/dup.json" >/dev/null || fail "duplicate: no note"
    echo "ok: a hardening class present twice with different bytes proves nothing"
fi

# Debian's genuine hardening classes added to the upstream 1.2.17 jar: its
# SocketNode, JDBCAppender and chainsaw receiver are the unpatched ones.
UP=${DEFUSE_CORPUS:-/work/shared/corpus}/jars/mergebase-log4j-samples/old-hits/log4j-1.2.17.jar
if [ -f "$UP" ]; then
    mkdir -p "$T/x" && (cd "$T/x" && unzip -q "$JAR" 'org/apache/log4j/FilteredObjectInputStream.class' \
        'org/apache/log4j/net/Hardened*.class' 'org/apache/log4j/jdbc/JdbcPatternParser*.class')
    cp "$UP" "$T/upplus.jar"
    (cd "$T/x" && zip -q -r "$T/upplus.jar" org)
    "$DEFUSE" scan --no-progress --json "$T/upplus.jar" >"$T/up.json" 2>/dev/null || true
    got=$(cves "$T/up.json")
    for c in CVE-2019-17571 CVE-2022-23305 CVE-2022-23307; do
        case " $got" in *" $c "*) ;; *) fail "upstream jar + Debian hardening classes: $c hidden: $got" ;; esac
    done
    echo "ok: Debian's hardening classes added to the upstream jar hide nothing"
else
    echo "note: $UP missing: upstream-jar case skipped"
fi
echo PASS
