#!/usr/bin/env bash
# corpus_payloads.sh -- every public payload of the shared corpus through real
# log4j and through defuse (docs/differential-testing.md).
#
# Strings come from $DEFUSE_CORPUS/logs/payloads (each file of its
# MANIFEST.txt, extracted per layout by `Log4jDiff corpus-extract`) plus the
# corpus's hard negatives (logs/benign/issues_realworld_..._hard_negatives.log,
# logs/benign/neo23x0_detector_testcases_negative_decoded.txt).  For each:
#   - real log4j (the oracle) fires it as written: defuse in normal mode
#     (decoding on, not exact) must report kind jndi with exactly the same
#     callbacks, and exact mode must match log4j exactly;
#   - log4j ends in a cycle: defuse normal mode must report kind recursion;
#   - log4j fires it only after transport decoding (a reference decoder in
#     Log4jDiff: %XX, %uXXXX, \uXXXX, \xHH, octal, entities, Basic): defuse
#     normal mode must report jndi with the callbacks of the decoded form;
#   - log4j never fires it (labelled N, hard negatives, near misses): defuse
#     must report no jndi finding.
# Exit 77 when $DEFUSE_CORPUS or java/log4j are absent.
set -euo pipefail
SRC=${DEFUSE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -n "${DEFUSE_CORPUS:-}" ] && [ -r "$DEFUSE_CORPUS/logs/payloads/MANIFEST.txt" ] ||
    { echo "SKIP: no corpus (DEFUSE_CORPUS=${DEFUSE_CORPUS:-})"; exit 77; }
# shellcheck source=../diff/common.sh
. "$SRC/tests/diff/common.sh"
diff_setup
T=$DIFF_TMP

"${JAVA_TOOL[@]}" corpus-extract "$DEFUSE_CORPUS/logs" >"$T/strings.tsv"
cut -f3 "$T/strings.tsv" >"$T/raw.hex"
"${JAVA_TOOL[@]}" decode <"$T/raw.hex" >"$T/decoded.hex"
"${ORACLE[@]}" eval <"$T/raw.hex" >"$T/raw.out" &
p1=$!
"${ORACLE[@]}" eval <"$T/decoded.hex" >"$T/decoded.out" &
p2=$!
"$EVAL" -n <"$T/raw.hex" >"$T/normal.out"
"$EVAL" <"$T/raw.hex" >"$T/exact.out"
wait "$p1" "$p2"
echo "corpus: $(wc -l <"$T/strings.tsv") strings from $(cut -f2 "$T/strings.tsv" | cut -d: -f1 | sort -u | wc -l) files"
rc=0
"${JAVA_TOOL[@]}" corpus-check "$T/strings.tsv" "$T/raw.out" "$T/decoded.out" "$T/normal.out" "$T/exact.out" || rc=1

# The real front end: `defuse logs --json` over the single-line strings must
# report, line by line, the same jndi callbacks as defuse_scan() in normal mode.
if [ -n "${DEFUSE:-}" ] && [ -x "$DEFUSE" ] && command -v python3 >/dev/null 2>&1; then
    python3 "$SRC/tests/diff/logs_vs_scan.py" "$T/raw.hex" "$T/normal.out" "$DEFUSE" "$T" || rc=1
fi
exit $rc
