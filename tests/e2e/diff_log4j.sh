#!/usr/bin/env bash
# diff_log4j.sh -- differential test of libdefuse's log4j emulator against
# real log4j (docs/differential-testing.md).
#
# Runs the hand-written cases of tests/diff/worked_examples.tsv plus
# DEFUSE_DIFF_CASES (default 2500) random cases of seed DEFUSE_DIFF_SEED
# (default 20211209) through
#   - the oracle: Debian's log4j 2.19 jars, patched and configured to behave
#     as log4j-core 2.14.1 (tests/diff/Log4jDiff.java, Sub219.java), and
#   - defuse_eval (defuse_scan with DEFUSE_SCAN_EXACT | DEFUSE_SCAN_NO_DECODE),
# and fails on any difference in the set of JNDI names requested or in
# whether evaluation ends in an error (cycle / stack overflow = kind
# "recursion").  It also checks that the oracle gives the names LOG4J.md
# states for its worked examples and, when the corpus holds the real
# log4j-core 2.14.1 jar, that the patched 2.19 oracle and real 2.14.1 agree
# byte for byte.  More than 20000 cases: runs tests/diff/stress.sh instead.
# Exit 77 (skipped) when java, javac or the log4j jars are missing.
set -euo pipefail
SRC=${DEFUSE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
N=${DEFUSE_DIFF_CASES:-2500}
SEED=${DEFUSE_DIFF_SEED:-20211209}
if [ "$N" -gt 20000 ]; then
    exec bash "$SRC/tests/diff/stress.sh"
fi
# shellcheck source=../diff/common.sh
. "$SRC/tests/diff/common.sh"
diff_setup

T=$DIFF_TMP
grep -v '^#' "$SRC/tests/diff/worked_examples.tsv" | grep . >"$T/worked.tsv"
cut -f1 "$T/worked.tsv" | "${JAVA_TOOL[@]}" tohex >"$T/worked.hex"
"${JAVA_TOOL[@]}" gen "$SEED" "$N" >"$T/gen.hex"
cat "$T/worked.hex" "$T/gen.hex" >"$T/cases.hex"
nworked=$(wc -l <"$T/worked.hex")
echo "cases: $nworked hand-written + $N generated (seed $SEED); oracle log4j-core $("${ORACLE[@]}" version)"

"${ORACLE[@]}" eval <"$T/cases.hex" >"$T/log4j.out" &
pid_oracle=$!
pid_2141=
if [ ${#ORACLE_2141[@]} -gt 0 ] && [ "${DEFUSE_DIFF_LOG4J:-}" != 2.14.1 ]; then
    "${ORACLE_2141[@]}" eval <"$T/cases.hex" >"$T/log4j-2.14.1.out" &
    pid_2141=$!
fi
"$EVAL" -T <"$T/cases.hex" >"$T/defuse.out"
"$EVAL" -T -n <"$T/cases.hex" >"$T/defuse-normal.out"
wait "$pid_oracle"

fail=0

# 1. The oracle itself against LOG4J.md's statements.
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
i=0
while IFS=$'\t' read -r input expected; do
    i=$((i + 1))
    got=$(sed -n "${i}p" "$T/log4j.out")
    status=${got%% *}
    names=$(printf '%s\n' "$got" | tr ' ' '\n' | grep '^=' | tr '\n' ' ' || true)
    case $expected in
    '?') continue ;;
    -) want_status=ok want_names= ;;
    cycle) want_status=cycle want_names= ;;
    *) want_status=ok want_names="=$(hex "$expected") " ;;
    esac
    if [ "$status" != "$want_status" ] || [ "$names" != "$want_names" ]; then
        echo "ORACLE DISAGREES WITH LOG4J.md on line $i: $input"
        echo "  expected: $expected   oracle: $got"
        fail=1
    fi
done <"$T/worked.tsv"

# 2. The patched Debian 2.19 oracle against the real 2.14.1 jar.
if [ -n "$pid_2141" ]; then
    wait "$pid_2141"
    if cmp -s "$T/log4j.out" "$T/log4j-2.14.1.out"; then
        echo "oracle check: patched 2.19 and real 2.14.1 agree on all cases (names, errors, output text)"
    else
        echo "ORACLE CHECK FAILED: patched 2.19 differs from real 2.14.1:"
        "${JAVA_TOOL[@]}" compare "$T/cases.hex" "$T/log4j-2.14.1.out" "$T/log4j.out" 5 || true
        fail=1
    fi
elif [ "${DEFUSE_DIFF_LOG4J:-}" = 2.14.1 ]; then
    echo "oracle check not needed: the oracle is the real log4j-core 2.14.1 jar"
else
    echo "oracle check skipped (no log4j-core-2.14.1.jar in \$DEFUSE_CORPUS)"
fi

# 3. Normal mode (decoding on, fields judged on their own) is not log4j's
# exact model; how far it is from log4j is printed, not failed.
if ! "${JAVA_TOOL[@]}" compare-normal "$T/cases.hex" "$T/log4j.out" "$T/defuse-normal.out" 5; then
    echo "FAIL: defuse normal mode differs from real log4j (replay: DEFUSE_DIFF_SEED=$SEED DEFUSE_DIFF_CASES=$N)"
    fail=1
fi

# 4. The front end: `defuse logs --json` must report what defuse_scan() does
# in normal mode, line by line (line reading, the candidate pre-filter, JSON).
if [ -n "${DEFUSE:-}" ] && [ -x "$DEFUSE" ] && command -v python3 >/dev/null 2>&1; then
    # defuse logs has no event time for these lines: compare it with the
    # library without one too.
    "$EVAL" -n <"$T/cases.hex" >"$T/defuse-anytime.out"
    python3 "$SRC/tests/diff/logs_vs_scan.py" "$T/cases.hex" "$T/defuse-anytime.out" "$DEFUSE" "$T" || fail=1
fi

# 5. defuse (exact mode) against the oracle.
if ! "${JAVA_TOOL[@]}" compare "$T/cases.hex" "$T/log4j.out" "$T/defuse.out" 10; then
    echo "FAIL: defuse differs from real log4j (replay: DEFUSE_DIFF_SEED=$SEED DEFUSE_DIFF_CASES=$N)"
    fail=1
fi

# The families (tests/diff/Families.java): each built to produce one class
# of shapes on purpose.  Exact mode must agree with log4j on every case,
# normal mode must report exactly log4j's names (plus conditional ones).
FAM_N=${DEFUSE_DIFF_FAMILY_CASES:-300}
echo "families: $FAM_N cases each (seed $SEED)"
for fam in $("${JAVA_TOOL[@]}" families); do
    F=$T/fam-$fam
    "${JAVA_TOOL[@]}" family "$fam" "$SEED" "$FAM_N" >"$F.hex"
    "${ORACLE[@]}" eval <"$F.hex" >"$F.log4j"
    "$EVAL" -T <"$F.hex" >"$F.exact"
    "$EVAL" -T -n <"$F.hex" >"$F.normal"
    "$EVAL" -n <"$F.hex" >"$F.normal-anytime"
    echo "--- family $fam"
    if ! "${JAVA_TOOL[@]}" compare "$F.hex" "$F.log4j" "$F.exact" 5; then
        echo "FAIL: family $fam: exact mode differs from real log4j (replay: DEFUSE_DIFF_SEED=$SEED DEFUSE_DIFF_FAMILY_CASES=$FAM_N)"
        fail=1
    fi
    if ! "${JAVA_TOOL[@]}" compare-normal "$F.hex" "$F.log4j" "$F.normal" 5; then
        echo "FAIL: family $fam: normal mode differs from real log4j (replay: DEFUSE_DIFF_SEED=$SEED DEFUSE_DIFF_FAMILY_CASES=$FAM_N)"
        fail=1
    fi
    # Without the event's time (what defuse logs does on a line with no
    # timestamp): every name log4j requests must still be reported.
    if ! "${JAVA_TOOL[@]}" compare-normal "$F.hex" "$F.log4j" "$F.normal-anytime" 5 --unknown-time; then
        echo "FAIL: family $fam: normal mode without the event time misses what log4j requests"
        fail=1
    fi
done
exit $fail
