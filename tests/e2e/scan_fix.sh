#!/usr/bin/env bash
# scan_fix.sh -- the --fix round trip: fix a real log4j-core 2.14.1 (corpus),
# a nested war and a signed jar; rescan (no 44228/45046 left); the fixed jar
# still logs in a JVM; signatures are gone; --dry-run changes nothing; a
# backup dir inside the tree is left out of the walk; --restore gives back identical
# bytes, mode and mtime.
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
M="${DEFUSE_CORPUS:-}/jars/mergebase-log4j-samples"
CORE="$M/true-hits/log4j-core-2.14.1.jar"
API="$M/false-hits/log4j-api-2.14.1.jar"
[ -f "$CORE" ] && [ -f "$API" ] || exit 77
command -v javac >/dev/null && command -v jq >/dev/null || exit 77
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
S="$T/srv"; B="$T/backup"
mkdir -p "$S/lib" "$T/w/WEB-INF/lib"
cp "$CORE" "$API" "$S/lib/"
chmod 640 "$S/lib/log4j-core-2.14.1.jar"
touch -d '2021-12-09 12:00:00' "$S/lib/log4j-core-2.14.1.jar"
cp "$CORE" "$T/w/WEB-INF/lib/" && (cd "$T/w" && jar cf "$S/app.war" .)
if command -v keytool >/dev/null && command -v jarsigner >/dev/null; then
    keytool -genkeypair -keystore "$T/ks" -storepass changeit -keypass changeit -alias t \
        -dname CN=defuse-test -keyalg RSA -keysize 2048 -validity 2 >/dev/null 2>&1
    cp "$CORE" "$S/signed.jar" && chmod 644 "$S/signed.jar" && jarsigner -keystore "$T/ks" -storepass changeit "$S/signed.jar" t >/dev/null 2>&1
fi
# an exploded class tree
mkdir -p "$S/exploded" && (cd "$S/exploded" && unzip -q "$CORE")
# an image layer: tar.gz holding the war and an exploded tree
mkdir -p "$T/layer/srv" && cp "$S/app.war" "$T/layer/srv/" && (cd "$T/layer/srv" && mkdir x && cd x && unzip -q "$CORE")
tar -C "$T/layer" -czf "$S/layer.tar.gz" srv
cp -a "$S" "$T/orig"
javac -cp "$API" -d "$T/app" "$DEFUSE_SRC/tests/fixtures/scan/app/Hello.java"
run_jvm() { java -cp "$S/lib/log4j-core-2.14.1.jar:$S/lib/log4j-api-2.14.1.jar:$T/app" Hello plain-text 2>&1; }
run_jvm | grep -c '^logged$' >/dev/null || fail "JVM does not run before the fix"

set +e
"$DEFUSE" scan --no-progress --fix --dry-run --backup-dir "$S/bk" "$S" >/dev/null 2>"$T/dry"; r2=$?
set -e
[ "$r2" = 1 ] && grep -q 'would remove' "$T/dry" || fail "dry run"
[ ! -e "$S/bk" ] || fail "dry run created the backup directory"
diff -r "$S" "$T/orig" >/dev/null || fail "dry run changed files"
# a backup dir inside the tree is left out of the walk (not refused)
set +e
"$DEFUSE" scan --no-progress --json --fix --backup-dir "$S/bk" "$S" >"$T/in.json" 2>"$T/in.log"; r=$?
set -e
[ "$r" = 1 ] || fail "backup dir inside the tree: exit $r (want 1): $(cat "$T/in.log")"
# the rescan after the fix ran with the originals in $S/bk: not reported
! grep -q '/bk/' "$T/in.json" || fail "backup dir inside the tree walked"
"$DEFUSE" scan --restore "$S/bk" 2>"$T/in.log" || fail "restore of the in-tree backup: $(cat "$T/in.log")"
rm -rf "$S/bk"
diff -r "$S" "$T/orig" >/dev/null || fail "restore from the in-tree backup"

set +e
"$DEFUSE" scan --no-progress --json --fix --backup-dir "$B" "$S" >"$T/after.json" 2>"$T/fix.log"; r=$?
set -e
[ "$r" = 1 ] || fail "exit after fix $r (45105/44832 remain, so 1)"
grep -q 'removed .*app.war!/WEB-INF/lib/log4j-core-2.14.1.jar!/org/apache/logging/log4j/core/lookup/JndiLookup.class' "$T/fix.log" || fail "nested not fixed"
[ ! -e "$S/exploded/org/apache/logging/log4j/core/lookup/JndiLookup.class" ] || fail "exploded tree not fixed"
grep -c 'removed .*layer.tar.gz!/srv/x/org/apache/logging/log4j/core/lookup/JndiLookup.class' "$T/fix.log" >/dev/null || fail "tar layer not fixed"
tar tzf "$S/layer.tar.gz" >"$T/layer.lst" || fail "fixed layer unreadable by tar"
grep -c 'srv/app.war' "$T/layer.lst" >/dev/null || fail "fixed layer lost entries"
! jq -c 'select(.type == "component")' "$T/after.json" | grep -q 'CVE-2021-44228\|CVE-2021-45046' || fail "44228/45046 left after fix"
jq -e -s '[.[] | select(.type == "fix" and .status == "rce-mitigated-upgrade-due")] | length >= 3' "$T/after.json" >/dev/null || fail "no fix records"
[ "$(jq -s '[.[]|select(.type=="component" and .jndilookup=="removed")]|length' "$T/after.json")" -ge 3 ] || fail "not mitigated"
# rescan separately: same verdict
"$DEFUSE" scan --no-progress --json "$S" 2>/dev/null | grep -c CVE-2021-44228 >/dev/null && fail "rescan finds 44228"
[ "$(stat -c %a "$S/lib/log4j-core-2.14.1.jar")" = 640 ] || fail "mode not kept"
[ "$(stat -c %Y "$S/lib/log4j-core-2.14.1.jar")" = "$(stat -c %Y "$T/orig/lib/log4j-core-2.14.1.jar")" ] || fail "mtime not kept"
if [ -f "$S/signed.jar" ]; then
    unzip -l "$S/signed.jar" | grep -Ec 'META-INF/.*\.(SF|RSA|DSA|EC)$' >/dev/null && fail "signature files left"
    unzip -l "$T/orig/signed.jar" | grep -c 'META-INF/T.SF' >/dev/null || fail "original was not signed"
    grep -q 'removed .*signed.jar!/META-INF/T.SF' "$T/fix.log" || fail "signature removal not announced on stderr"
fi
run_jvm | grep -c '^logged$' >/dev/null || fail "fixed jar does not run in the JVM: $(run_jvm | tail -3)"
ls "$S"/.*defuse* >/dev/null 2>&1 && fail "temp files left"

"$DEFUSE" scan --restore "$B" 2>"$T/restore.log" || fail "restore failed: $(cat "$T/restore.log")"
for f in lib/log4j-core-2.14.1.jar app.war signed.jar layer.tar.gz exploded/org/apache/logging/log4j/core/lookup/JndiLookup.class; do
    [ -f "$T/orig/$f" ] || continue
    cmp "$S/$f" "$T/orig/$f" || fail "$f not identical after restore"
done
[ "$(stat -c %a.%Y "$S/lib/log4j-core-2.14.1.jar")" = "$(stat -c %a.%Y "$T/orig/lib/log4j-core-2.14.1.jar")" ] || fail "mode/mtime after restore"
# restoring twice is harmless
"$DEFUSE" scan --restore "$B" 2>/dev/null || fail "second restore"
echo "scan_fix: ok"
