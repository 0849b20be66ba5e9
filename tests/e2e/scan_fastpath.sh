#!/usr/bin/env bash
# scan_fastpath.sh -- the walk's per-file fast path (openat relative to the
# directory, one read of the head, no fstat for a short file) keeps every
# guarantee of the slow path: archives shorter than the head buffer are found
# by content whatever their name (zip, a zip behind a "#!" script, tar.gz
# whose reader must start at offset 0), files of exactly and just over the
# head size are counted with their true size, a directory of many archives
# (several batches) is scanned completely, and the scan does not update the
# files' access times.
set -euo pipefail
: "${DEFUSE:?}"
command -v jq >/dev/null && command -v python3 >/dev/null || exit 77
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
W="$T/w"
mkdir -p "$W/small" "$W/many" "$T/tmp"
# a pom-only log4j-core 2.14.1 jar (a few hundred bytes), under names that
# say nothing about zips
python3 - "$T/tmp/pom.jar" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties',
               'version=2.14.1\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\n')
EOF
[ "$(stat -c %s "$T/tmp/pom.jar")" -lt 1024 ] || fail "fixture jar unexpectedly large"
cp "$T/tmp/pom.jar" "$W/small/notes.txt"
{ printf '#!/bin/sh\nexec java -jar "$0" "$@"\n'; cat "$T/tmp/pom.jar"; } >"$W/small/runme"
mkdir -p "$T/tmp/layer" && cp "$T/tmp/pom.jar" "$T/tmp/layer/app.jar"
tar -C "$T/tmp/layer" -czf "$W/small/layer.dat" app.jar
[ "$(stat -c %s "$W/small/layer.dat")" -lt 4096 ] || fail "fixture tar.gz unexpectedly large"
# ordinary files around the head size
head -c 4095 /dev/zero | tr '\0' a >"$W/small/a4095.txt"
head -c 4096 /dev/zero | tr '\0' b >"$W/small/b4096.txt"
head -c 4097 /dev/zero | tr '\0' c >"$W/small/c4097.txt"
: >"$W/small/empty.txt"
# many archives in one directory: more than one batch
for i in $(seq 1 100); do cp "$T/tmp/pom.jar" "$W/many/lib$i.bin"; done
# access times: old atime, newer mtime (relatime would update it on a read)
touch -m -d '2001-01-01 00:00:00' "$W/small/a4095.txt" "$W/small/c4097.txt"
touch -a -d '2000-01-01 00:00:00' "$W/small/a4095.txt" "$W/small/c4097.txt"
before=$(stat -c %X "$W/small/a4095.txt" "$W/small/c4097.txt")

set +e
"$DEFUSE" scan --no-progress --json "$W" >"$T/r.json" 2>"$T/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "exit status $rc, expected 1 (vulnerable found): $(cat "$T/err")"
has() { jq -s -e --arg p "$1" 'any(.[]; .type=="component" and .path==$p and .product=="log4j-core" and .version=="2.14.1")' "$T/r.json" >/dev/null || fail "not found: $1"; }
has "$W/small/notes.txt"
has "$W/small/runme"
has "$W/small/layer.dat!/app.jar"
for i in $(seq 1 100); do has "$W/many/lib$i.bin"; done
n=$(jq -s '[.[]|select(.type=="component")]|length' "$T/r.json")
[ "$n" = 103 ] || fail "$n components, expected 103"
files=$(find "$W" -type f | wc -l)
bytes=$(find "$W" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
jq -s -e --argjson f "$files" --argjson b "$bytes" \
    '[.[]|select(.type=="summary")][0] | .files==$f and .bytes==$b and .errors==0' "$T/r.json" >/dev/null ||
    fail "summary $(jq -c 'select(.type=="summary")' "$T/r.json") != files $files bytes $bytes"
# atime: only meaningful where a plain read would have changed it
after=$(stat -c %X "$W/small/a4095.txt" "$W/small/c4097.txt")
cp -p "$W/small/a4095.txt" "$T/tmp/ctl" && touch -m -d '2001-01-01 00:00:00' "$T/tmp/ctl" &&
    touch -a -d '2000-01-01 00:00:00' "$T/tmp/ctl"
c0=$(stat -c %X "$T/tmp/ctl"); cat "$T/tmp/ctl" >/dev/null; c1=$(stat -c %X "$T/tmp/ctl")
if [ "$c0" != "$c1" ] && [ "$(id -u)" = 0 ]; then
    [ "$before" = "$after" ] || fail "the scan changed access times ($before -> $after)"
fi
echo "scan_fastpath: ok"
