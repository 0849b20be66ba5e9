#!/usr/bin/env bash
# casemap_jdk.sh -- lib/casemap.c against the real JDK, byte for byte
# (docs/decoding.md, "Case mapping").
#
# tests/tools/casemap_eval (lib/casemap.c) and tests/tools/CaseMapOracle.java
# (String.toLowerCase/toUpperCase(Locale.US) after new String(bytes, UTF_8))
# map:
#   1. every code point 0..0x10FFFF but the surrogates, lower and upper;
#   2. hand-picked inputs (final-sigma contexts, Turkish i, expansions,
#      Unicode 14/15 letters, malformed UTF-8) and CASEMAP_CASES (default
#      5000) random strings of seed CASEMAP_SEED mixing ASCII, Greek with
#      sigma, Turkish i, Deseret, Cherokee, Georgian, fullwidth, ligatures,
#      Unicode 14/15 letters, marks, word punctuation and invalid UTF-8.
# Fails on the first differing output.  Exit 77 (skipped) without java and
# javac, or when the java on PATH is not the JDK major version the tables
# were generated from (lib/casemap_jdk17.c; scripts/gen-casemap.sh).
set -euo pipefail
SRC=${DEFUSE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${DEFUSE_BUILD:-$SRC/build}
N=${CASEMAP_CASES:-5000}
SEED=${CASEMAP_SEED:-20211210}
EVAL=$BUILD/casemap_eval

for t in java javac; do
    command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ -x "$EVAL" ] || { echo "casemap_eval not built: $EVAL" >&2; exit 1; }
tables=$("$EVAL" jdk)
running=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p')
tmajor=$(printf '%s\n' "$tables" | sed -n 's/^OpenJDK \([0-9]*\).*/\1/p')
if [ "${running%%.*}" != "$tmajor" ]; then
    echo "SKIP: tables are from $tables, java here is $running"
    exit 77
fi
echo "tables: $tables; oracle: java $running"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
javac -d "$T" "$SRC/tests/tools/CaseMapOracle.java"
ORACLE=(java -Xshare:auto -cp "$T" CaseMapOracle)

fail=0
# compare NAME INPUTS JDK DEFUSE: the first few differing lines.
compare() {
    if cmp -s "$3" "$4"; then
        echo "ok: $1 ($(wc -l <"$3") lines)"
        return
    fi
    echo "FAIL: $1 differs from the JDK (input | JDK lower upper | defuse lower upper):"
    paste -d'|' "$2" "$3" "$4" | awk -F'|' '$2 != $3' | head -10
    fail=1
}

"${ORACLE[@]}" all >"$T/all.jdk"
"$EVAL" all >"$T/all.defuse"
compare "every code point" "$T/all.jdk" "$T/all.jdk" "$T/all.defuse"

# Hand-picked inputs, hex of their UTF-8 bytes.
cat >"$T/cases.hex" <<'HEX'
cea3
41cea3
41cea320
41cea342
4131cea3
41cea32d42
412dcea3
41cea32e42
41cea3cd85
e284aacea3cd85
e1ba9ecea3cd85
7af0909080cea3
f0909080cea3
e18ea0f0909080cea3
cc87f09d9081cea3
41e2808dcea3
41cea3e0a5a430ceb1
c8a1efbcbfcea3
c4b0
c4b049
c4b1
49cc87
c39f
c589
ce90
efac80efac83
e1be80
e2b0af
e2b19f
ea9f80ea9f81
ea9f90
f09e80b0
f0909db0
c0af
e080af
eda080
eda080edb080
f0808080
f4908080
e282
e28241
f09f98
f09f9841
f09f41
80
bf80
ff
c2
c241
e0a0
edbf
f5
f8888080
f08f
f090
HEX
"${ORACLE[@]}" gen "$SEED" "$N" >>"$T/cases.hex"
"${ORACLE[@]}" map <"$T/cases.hex" >"$T/cases.jdk"
"$EVAL" map <"$T/cases.hex" >"$T/cases.defuse"
compare "hand-picked + $N random strings (seed $SEED)" "$T/cases.hex" "$T/cases.jdk" "$T/cases.defuse"
exit $fail
