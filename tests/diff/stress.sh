#!/usr/bin/env bash
# stress.sh -- the differential test at scale: DEFUSE_DIFF_CASES (default
# 1,000,000) random cases against real log4j, in chunks of
# DEFUSE_DIFF_CHUNK (default 100,000), one oracle JVM per core.
#
#   DEFUSE_BUILD=build DEFUSE_SRC=. bash tests/diff/stress.sh
#   DEFUSE_DIFF_SEED=123 ...            replay a seed (printed at the start)
#   DEFUSE_DIFF_MINIMIZE=N ...          also minimize one mismatch per class among the first N
#                                       (Markdown, for tests/diff/MISMATCHES.md)
#   DEFUSE_DIFF_KEEP=DIR ...            keep the failing chunks' files in DIR
#   DEFUSE_DIFF_FAMILY=NAME ...         cases of one family of tests/diff/Families.java
#                                       (default: nested, Log4jDiff's own generator)
#
# Exact mode (defuse_eval -T) must agree with log4j on every case, and
# normal mode (defuse_eval -T -n) must report exactly log4j's names
# without a condition (Log4jDiff compare-normal).
#
# With $DEFUSE set, each chunk also goes through `defuse logs --json`, which
# must report what defuse_scan() does in normal mode (tests/diff/logs_vs_scan.py).
# Chunk k uses seed SEED+k, so a failing chunk replays alone with
# DEFUSE_DIFF_SEED=SEED+k DEFUSE_DIFF_CASES=CHUNK tests/e2e/diff_log4j.sh.
# Exit 1 if any case differs, 77 if java/javac/log4j are missing.
set -euo pipefail
SRC=${DEFUSE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=common.sh
. "$SRC/tests/diff/common.sh"
diff_setup

N=${DEFUSE_DIFF_CASES:-1000000}
CHUNK=${DEFUSE_DIFF_CHUNK:-100000}
SEED=${DEFUSE_DIFF_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
MIN=${DEFUSE_DIFF_MINIMIZE:-0}
FAMILY=${DEFUSE_DIFF_FAMILY:-nested}
JOBS=${DEFUSE_DIFF_JOBS:-$(nproc)}
echo "stress: $N cases of family $FAMILY, seed $SEED, chunks of $CHUNK, $JOBS oracle JVMs, log4j-core $("${ORACLE[@]}" version)"

T=$DIFF_TMP
total=0
bad=0
fired=0
k=0
start=$(date +%s)
while [ "$total" -lt "$N" ]; do
    n=$((N - total < CHUNK ? N - total : CHUNK))
    s=$((SEED + k))
    if [ "$FAMILY" = nested ]; then
        "${JAVA_TOOL[@]}" gen "$s" "$n" >"$T/cases.hex"
    else
        "${JAVA_TOOL[@]}" family "$FAMILY" "$s" "$n" >"$T/cases.hex"
    fi
    # One oracle JVM per core on interleaved slices, then re-merge in order.
    per=$(((n + JOBS - 1) / JOBS))
    split -d -a 3 -l "$per" "$T/cases.hex" "$T/part."
    pids=()
    for p in "$T"/part.[0-9][0-9][0-9]; do
        "${ORACLE[@]}" eval <"$p" >"$p.out" &
        pids+=($!)
    done
    "$EVAL" -T <"$T/cases.hex" >"$T/defuse.out"
    "$EVAL" -T -n <"$T/cases.hex" >"$T/defuse-normal.out"
    # The front end (`defuse logs`, its candidate pre-filter) against the
    # library, both without the event's time (the cases carry none).
    if [ -n "${DEFUSE:-}" ] && [ -x "$DEFUSE" ] && command -v python3 >/dev/null 2>&1; then
        "$EVAL" -n <"$T/cases.hex" >"$T/defuse-anytime.out"
        python3 "$SRC/tests/diff/logs_vs_scan.py" "$T/cases.hex" "$T/defuse-anytime.out" "$DEFUSE" "$T" ||
            bad=$((bad + 1))
    fi
    for pid in "${pids[@]}"; do wait "$pid"; done
    cat "$T"/part.[0-9][0-9][0-9].out >"$T/log4j.out"
    rm -f "$T"/part.*
    if ! "${JAVA_TOOL[@]}" compare "$T/cases.hex" "$T/log4j.out" "$T/defuse.out" 5 >"$T/report"; then
        cat "$T/report"
        nb=$(tail -1 "$T/report" | sed -n 's/.*; \([0-9]*\) mismatches$/\1/p')
        bad=$((bad + ${nb:-1}))
        echo "  (chunk seed $s: replay with DEFUSE_DIFF_SEED=$s DEFUSE_DIFF_CASES=$n)"
        if [ -n "${DEFUSE_DIFF_KEEP:-}" ]; then
            mkdir -p "$DEFUSE_DIFF_KEEP"
            cp "$T/cases.hex" "$DEFUSE_DIFF_KEEP/cases.$s.hex"
            cp "$T/log4j.out" "$DEFUSE_DIFF_KEEP/log4j.$s.out"
            cp "$T/defuse.out" "$DEFUSE_DIFF_KEEP/defuse.$s.out"
        fi
        if [ "$MIN" -gt 0 ]; then
            # The cases whose results differ (names or error flag), first MIN of them.
            paste -d '\t' "$T/cases.hex" "$T/log4j.out" "$T/defuse.out" |
                awk -F'\t' -v max="$MIN" '
                    function key(r,   a, n, i, e, s) {
                        n = split(r, a, " "); e = (a[1] != "ok" && a[1] != "clock" && a[1] != "limit"); s = ""
                        for (i = 2; i <= n; i++) if (a[i] ~ /^=/) s = s " " a[i]
                        return e s
                    }
                    $2 !~ /^clock/ && key($2) != key($3) && c++ < max { print $1 }' >"$T/bad.hex"
            "${ORACLE[@]}" minimize "$EVAL" <"$T/bad.hex" || true
        fi
    fi
    if ! "${JAVA_TOOL[@]}" compare-normal "$T/cases.hex" "$T/log4j.out" "$T/defuse-normal.out" 5 >"$T/report-n"; then
        nb=$(tail -1 "$T/report-n" | sed -n 's/.* fire JNDI in log4j, \([0-9]*\) mismatches.*/\1/p')
        bad=$((bad + ${nb:-1}))
        echo "  (normal mode; chunk seed $s: replay with DEFUSE_DIFF_SEED=$s DEFUSE_DIFF_CASES=$n)"
    fi
    cat "$T/report-n" >>"$T/normal-all"
    tail -1 "$T/report-n"
    f=$(tail -1 "$T/report" | sed -n 's/^[0-9]* cases, \([0-9]*\) fire.*/\1/p')
    fired=$((fired + ${f:-0}))
    total=$((total + n))
    k=$((k + 1))
    echo "  $total cases done, $fired fire in log4j, $bad mismatches, $(($(date +%s) - start)) s"
done
echo "stress: $total cases (seed $SEED), $fired fire JNDI in log4j, $bad mismatches, $(($(date +%s) - start)) s"
[ "$bad" -eq 0 ]
