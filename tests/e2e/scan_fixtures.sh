#!/usr/bin/env bash
# scan_fixtures.sh -- end-to-end tests of `defuse scan` on fixtures built here:
# tiny Java classes (tests/fixtures/scan) compiled with javac and packed as
# pom-only, class-only, mitigated, nested, shaded, corrupt, script-prefixed,
# tar-wrapped (gz, zst), signed, exploded and lone-class variants, plus the
# real Debian jars in /usr/share/java (log4j-core 2.19: clean; log4j-api and
# log4j-1.2-api: not findings).  Checks JSON, SARIF, CycloneDX and exit codes.
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
command -v javac >/dev/null && command -v jar >/dev/null || exit 77
command -v jq >/dev/null || exit 77
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
FX="$DEFUSE_SRC/tests/fixtures/scan"
fail() { echo "FAIL: $*" >&2; exit 1; }
scan() { "$DEFUSE" scan --no-progress --json "$@" 2>"$T/stderr"; }

# ---- build ---------------------------------------------------------------
mkdir -p "$T/cls/core" "$T/cls/l1" "$T/cls/text" "$T/out"
javac -d "$T/cls/core" $(find "$FX/core" -name '*.java')
javac -d "$T/cls/l1" $(find "$FX/log4j1" -name '*.java')
javac -d "$T/cls/text" $(find "$FX/text" -name '*.java')
pom() { # dir group artifact version
    mkdir -p "$1/META-INF/maven/$2/$3"
    printf 'version=%s\ngroupId=%s\nartifactId=%s\n' "$4" "$2" "$3" >"$1/META-INF/maven/$2/$3/pom.properties"
}
O="$T/out"
# core 2.14.1 with classes and pom
mkdir -p "$T/j/core" && cp -r "$T/cls/core/." "$T/j/core/" && pom "$T/j/core" org.apache.logging.log4j log4j-core 2.14.1
(cd "$T/j/core" && jar cf "$O/core.jar" .)
# pom only
mkdir -p "$T/j/pomonly" && pom "$T/j/pomonly" org.apache.logging.log4j log4j-core 2.12.1
(cd "$T/j/pomonly" && jar cf "$O/pomonly.jar" .)
# classes only
(cd "$T/cls/core" && jar cf "$O/classonly.jar" .)
# mitigated: JndiLookup removed
mkdir -p "$T/j/mit" && cp -r "$T/j/core/." "$T/j/mit/" && rm "$T/j/mit/org/apache/logging/log4j/core/lookup/JndiLookup.class"
(cd "$T/j/mit" && jar cf "$O/mitigated.jar" .)
# shaded: relocated under com/acme/shaded/, no pom
mkdir -p "$T/j/sh/com/acme/shaded" && cp -r "$T/cls/core/org" "$T/j/sh/com/acme/shaded/"
(cd "$T/j/sh" && jar cf "$O/shaded.jar" .)
# nested: app.war!/WEB-INF/lib/core.jar, ear around it
mkdir -p "$T/j/war/WEB-INF/lib" && cp "$O/core.jar" "$T/j/war/WEB-INF/lib/" && (cd "$T/j/war" && jar cf "$T/app.war" .)
mkdir -p "$T/j/ear" && cp "$T/app.war" "$T/j/ear/" && (cd "$T/j/ear" && jar cf "$O/app.ear" .)
# corrupt: truncated
head -c 700 "$O/core.jar" >"$O/corrupt.jar"
# script prefix
{ printf '#!/bin/sh\nexec java -jar "$0" "$@"\n'; cat "$O/core.jar"; } >"$O/selfexec"
# ... nested in a war next to a plain script (which is no archive and no error)
mkdir -p "$T/j/sx/bin" && cp "$O/selfexec" "$T/j/sx/bin/" && printf '#!/bin/sh\necho hi\n' >"$T/j/sx/bin/run.sh"
(cd "$T/j/sx" && jar cf "$O/selfexec.war" .)
# tar-wrapped (gzip and zstd)
mkdir -p "$T/j/layer" && cp "$T/app.war" "$T/j/layer/"
tar -C "$T/j/layer" -czf "$O/layer.tar.gz" app.war
if command -v zstd >/dev/null; then
    tar -C "$T/j/layer" --zstd -cf "$O/layer.tar.zst" app.war
    # 256 MiB of zeros in a few KiB of zstd: a bomb only with a small --max-expanded
    mkdir -p "$T/j/bomb" && truncate -s 256M "$T/j/bomb/zeros"
    tar -C "$T/j/bomb" --zstd -cf "$O/bomb.tar.zst" zeros && rm -f "$T/j/bomb/zeros"
fi
# log4j 1.x with pom; commons-text 1.9 and 1.10.0
mkdir -p "$T/j/l1" && cp -r "$T/cls/l1/." "$T/j/l1/" && pom "$T/j/l1" log4j log4j 1.2.17 && (cd "$T/j/l1" && jar cf "$O/log4j1.jar" .)
mkdir -p "$T/j/r4" && cp -r "$T/cls/l1/." "$T/j/r4/" && pom "$T/j/r4" ch.qos.reload4j reload4j 1.2.25 && (cd "$T/j/r4" && jar cf "$O/reload4j.jar" .)
mkdir -p "$T/j/t9" && cp -r "$T/cls/text/." "$T/j/t9/" && pom "$T/j/t9" org.apache.commons commons-text 1.9 && (cd "$T/j/t9" && jar cf "$O/text19.jar" .)
mkdir -p "$T/j/t10" && cp -r "$T/cls/text/." "$T/j/t10/" && pom "$T/j/t10" org.apache.commons commons-text 1.10.0 && (cd "$T/j/t10" && jar cf "$O/text110.jar" .)
# exploded tree and a lone class file with a foreign name
mkdir -p "$O/exploded/webapp" && cp -r "$T/j/core/." "$O/exploded/webapp/"
cp "$T/cls/core/org/apache/logging/log4j/core/lookup/JndiLookup.class" "$O/lone.bin"
# signed jar
if command -v keytool >/dev/null && command -v jarsigner >/dev/null; then
    keytool -genkeypair -keystore "$T/ks" -storepass changeit -keypass changeit -alias t \
        -dname CN=defuse-test -keyalg RSA -keysize 2048 -validity 2 >/dev/null 2>&1
    cp "$O/core.jar" "$O/signed.jar"
    jarsigner -keystore "$T/ks" -storepass changeit "$O/signed.jar" t >/dev/null 2>&1
    unzip -l "$O/signed.jar" | grep -c 'META-INF/T.SF' >/dev/null || fail "jarsigner did not sign"
fi
# a file name that is not UTF-8
cp "$O/core.jar" "$O/"$'caf\xe9'".jar"
# real Debian jars
cp /usr/share/java/log4j-core-2.19.0.jar /usr/share/java/log4j-api-2.19.0.jar \
   /usr/share/java/log4j-1.2-api-2.19.0.jar "$O/" 2>/dev/null || true

# ---- scan ----------------------------------------------------------------
set +e
scan "$O" >"$T/r.json"
rc=$?
set -e
[ "$rc" = 3 ] || fail "exit $rc, want 3 (vulnerable components, and corrupt.jar is an error)"
R="$T/r.json"
comp() { jq -c --arg p "$O/$1" 'select(.type=="component" and .path==$p)' "$R"; }
has_cve() { comp "$1" | jq -e --arg c "$2" '.vulnerabilities | map(.id) | index($c)' >/dev/null || fail "$1: no $2: $(comp "$1")"; }
no_cve() { ! comp "$1" | jq -e --arg c "$2" '.vulnerabilities | map(.id) | index($c)' >/dev/null || fail "$1: unexpected $2"; }
field() { comp "$1" | jq -r "$2" | head -1; }

[ "$(field core.jar .version)" = 2.14.1 ] || fail "core.jar version"
[ "$(field core.jar .decided_by)" = pom ] || fail "core.jar decided_by"
[ "$(field core.jar .jndilookup)" = present ] || fail "core.jar jndilookup"
has_cve core.jar CVE-2021-44228; has_cve core.jar CVE-2021-45046; has_cve core.jar CVE-2021-45105; has_cve core.jar CVE-2021-44832
[ "$(field pomonly.jar .version)" = 2.12.1 ] || fail "pom-only version"; has_cve pomonly.jar CVE-2021-44228
[ "$(field classonly.jar .decided_by)" = marker ] || fail "class-only: $(comp classonly.jar)"; has_cve classonly.jar CVE-2021-44228
[ "$(field mitigated.jar .jndilookup)" = removed ] || fail "mitigated"
no_cve mitigated.jar CVE-2021-44228; no_cve mitigated.jar CVE-2021-45046; has_cve mitigated.jar CVE-2021-45105
[ "$(field shaded.jar .shaded)" = true ] || fail "shaded flag"; has_cve shaded.jar CVE-2021-44228
[ "$(field shaded.jar .class_path)" = "$O/shaded.jar!/com/acme/shaded/org/apache/logging/log4j/core/lookup/JndiLookup.class" ] || fail "shaded class path"
has_cve 'app.ear!/app.war!/WEB-INF/lib/core.jar' CVE-2021-44228
has_cve 'selfexec' CVE-2021-44228
has_cve 'selfexec.war!/bin/selfexec' CVE-2021-44228
! jq -s -e --arg p "$O/selfexec.war!/bin/run.sh" 'any(.[]; .path==$p)' "$R" >/dev/null || fail "plain script reported"
has_cve 'layer.tar.gz!/app.war!/WEB-INF/lib/core.jar' CVE-2021-44228
if [ -f "$O/layer.tar.zst" ]; then has_cve 'layer.tar.zst!/app.war!/WEB-INF/lib/core.jar' CVE-2021-44228; fi
has_cve log4j1.jar CVE-2021-4104; no_cve log4j1.jar CVE-2019-17571
[ "$(field log4j1.jar .product)" = log4j ] || fail "log4j1 product"
[ "$(field reload4j.jar .product)" = reload4j ] || fail "reload4j product: $(comp reload4j.jar)"
[ "$(comp reload4j.jar | jq '.vulnerabilities|length')" = 0 ] || fail "reload4j flagged"
has_cve text19.jar CVE-2022-42889
[ "$(comp text110.jar | jq '.vulnerabilities|length')" = 0 ] || fail "commons-text 1.10.0 flagged"
has_cve exploded/webapp CVE-2021-44228
has_cve lone.bin CVE-2021-44228
[ "$(field log4j-core-2.19.0.jar .version)" = 2.19.0 ] || fail "debian 2.19 not found"
[ "$(comp log4j-core-2.19.0.jar | jq '.vulnerabilities|length')" = 0 ] || fail "2.19 flagged"
[ -z "$(comp log4j-api-2.19.0.jar)" ] || fail "log4j-api is a finding"
[ -z "$(comp log4j-1.2-api-2.19.0.jar)" ] || fail "log4j-1.2-api is a finding"
if [ -f "$O/bomb.tar.zst" ]; then
    # 256 MiB of zeros are ordinary (a lastlog, a preallocated file): no
    # error; past 16 x --max-expanded of zeros the stream is a bomb
    ! jq -s -e --arg p "$O/bomb.tar.zst" 'any(.[]; .type=="error" and .path==$p)' "$R" >/dev/null || fail "256 MiB of zeros called an error"
    "$DEFUSE" scan --no-progress --json --max-expanded 4000000 "$O/bomb.tar.zst" >"$T/bomb.json" 2>/dev/null || true
    jq -s -e --arg p "$O/bomb.tar.zst" 'any(.[]; .type=="error" and .path==$p and (.reason|test("bomb")))' "$T/bomb.json" >/dev/null || fail "tar.zst bomb not reported"
fi
jq -s -e --arg p "$O/corrupt.jar" 'any(.[]; .type=="error" and .path==$p and (.reason|test("corrupt")))' "$R" >/dev/null || fail "corrupt.jar not reported"
 jq -s -e 'any(.[]; .type=="summary" and .exit == 3 and .errors >= 1)' "$R" >/dev/null || fail "summary"
jq -s -e --arg p "$O/caf\\xe9.jar" 'any(.[]; .type=="component" and .path==$p)' "$R" >/dev/null || fail "non-UTF-8 name"
# JSON never carries a live "${"
! grep -q '\${' "$R" || fail 'live ${ in JSON'

# ---- exit codes ----------------------------------------------------------
set +e
"$DEFUSE" scan --no-progress "$O/log4j-core-2.19.0.jar" >/dev/null 2>&1; [ $? = 0 ] || fail "clean exit"
"$DEFUSE" scan --no-progress "$O/core.jar" >"$T/table" 2>/dev/null; [ $? = 1 ] || fail "vulnerable exit"
"$DEFUSE" scan --no-progress --vulndb /nonexistent "$O/core.jar" >/dev/null 2>&1; [ $? = 2 ] || fail "bad vulndb exit"
set -e
grep -q 'VULNERABLE log4j-core' "$T/table" || fail "table output"

# ---- SARIF and CycloneDX --------------------------------------------------
set +e
"$DEFUSE" scan --no-progress --sarif "$O/core.jar" "$O/text19.jar" >"$T/s.json" 2>/dev/null
"$DEFUSE" scan --no-progress --cyclonedx "$O/core.jar" "$O/text19.jar" >"$T/c.json" 2>/dev/null
set -e
jq -e '.version=="2.1.0" and (.runs[0].results|length)==5 and (.runs[0].tool.driver.rules|map(.id)|index("CVE-2021-44228"))' "$T/s.json" >/dev/null || fail "sarif"
jq -e '.bomFormat=="CycloneDX" and .specVersion=="1.5" and (.components|map(.purl)|index("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")) and (.vulnerabilities|map(.id)|index("CVE-2022-42889"))' "$T/c.json" >/dev/null || fail "cyclonedx"

# ---- --fix-log4j1 on a copy --------------------------------------------------
mkdir -p "$T/f1" "$T/f1b" && cp "$O/log4j1.jar" "$T/f1/"
set +e
"$DEFUSE" scan --no-progress --fix --no-backup "$T/f1" >/dev/null 2>&1; a=$?
"$DEFUSE" scan --no-progress --json --fix --fix-log4j1 --backup-dir "$T/f1b" "$T/f1" >"$T/f1.json" 2>"$T/f1.log"; b=$?
set -e
[ "$a" = 1 ] || fail "--fix without --fix-log4j1 should leave log4j 1.x (exit $a)"
grep -c 'removed .*log4j1.jar!/org/apache/log4j/net/JMSAppender.class' "$T/f1.log" >/dev/null || fail "JMSAppender not removed"
[ "$b" = 0 ] || fail "log4j 1.x still vulnerable after --fix-log4j1 (exit $b)"
"$DEFUSE" scan --restore "$T/f1b" 2>/dev/null && cmp "$T/f1/log4j1.jar" "$O/log4j1.jar" || fail "log4j1 restore"

# ---- walking: symlink loops ----------------------------------------------
mkdir -p "$T/loop/a" && ln -s .. "$T/loop/a/up" && cp "$O/core.jar" "$T/loop/a/"
set +e
timeout 20 "$DEFUSE" scan --no-progress --json --follow-symlinks "$T/loop" >"$T/l.json" 2>/dev/null; rl=$?
timeout 20 "$DEFUSE" scan --no-progress --json "$T/loop" >"$T/l2.json" 2>/dev/null; rl2=$?
set -e
[ "$rl" = 1 ] && [ "$rl2" = 1 ] || fail "symlink loop walk: $rl $rl2"
[ "$(jq -s 'map(select(.type=="component"))|length' "$T/l2.json")" = 1 ] || fail "no-follow found twice"
echo "scan_fixtures: ok"
