#!/usr/bin/env bash
# gen-casemap.sh -- regenerate lib/casemap_jdk17.c (the JDK's case-mapping
# tables that lib/casemap.c reads) with the JDK on PATH, or $JAVA_HOME's.
# The tables mirror the victim's JDK: run it with the JDK 17 whose
# String.toLowerCase/toUpperCase defuse should reproduce.
#   Usage: bash scripts/gen-casemap.sh [OUTPUT]   (default lib/casemap_jdk17.c)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$src/lib/casemap_jdk17.c}
bin=${JAVA_HOME:+$JAVA_HOME/bin/}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${bin}javac" -d "$tmp" "$src/tests/tools/GenCaseMap.java"
"${bin}java" --add-opens java.base/java.lang=ALL-UNNAMED -cp "$tmp" GenCaseMap >"$tmp/out.c"
mv "$tmp/out.c" "$out"
echo "wrote $out from $(${bin}java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p')"
