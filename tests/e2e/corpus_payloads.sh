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
    python3 - "$T" <<'PY' || rc=1
import binascii, json, subprocess, sys, os
t = sys.argv[1]
raw = [binascii.unhexlify(l.strip()) for l in open(os.path.join(t, "raw.hex"))]
normal = [l.split() for l in open(os.path.join(t, "normal.out"))]
keep = [i for i, s in enumerate(raw) if b"\n" not in s and b"\r" not in s]
with open(os.path.join(t, "lines.log"), "wb") as f:
    f.write(b"".join(raw[i] + b"\n" for i in keep))
out = subprocess.run([os.environ["DEFUSE"], "logs", "--json", os.path.join(t, "lines.log")],
                     stdout=subprocess.PIPE, check=False)
if out.returncode not in (0, 1):
    sys.exit("FAIL: defuse logs exited %d" % out.returncode)
found = {}
for l in out.stdout.decode("utf-8").splitlines():
    o = json.loads(l)
    if o["kind"] == "jndi":
        found.setdefault(o["line"], set()).add(o["callback"].encode("utf-8", "surrogateescape")
                                               if o["callback"] is not None else b"-")
bad = 0
for n, i in enumerate(keep, 1):
    want = set(binascii.unhexlify(x[1:]) if x != "=-" else b"-" for x in normal[i][1:] if x.startswith("="))
    if want != found.get(n, set()):
        bad += 1
        if bad <= 5:
            print("FAIL: defuse logs line %d %r: %r, defuse_scan: %r" % (n, raw[i][:120], found.get(n), want))
print("defuse logs --json: %d single-line strings, %d differ from defuse_scan in normal mode" % (len(keep), bad))
sys.exit(1 if bad else 0)
PY
fi
exit $rc
