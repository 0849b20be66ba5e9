#!/usr/bin/env bash
# scan_exit.sh -- the exit status keeps both facts visible (issue 10, items 15
# and 16): 1 vulnerable, 2 errors, 3 vulnerable and errors; a file that
# vanishes during the walk is a warning; --max-depth above the compiled
# limit is an error, not a silent clamp.
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
command -v python3 >/dev/null && command -v jq >/dev/null || { echo "SKIP: python3/jq"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
st() { local r=0; "$DEFUSE" scan --no-progress --json "$@" >"$T/out.json" 2>"$T/err" || r=$?; echo "$r"; }
mkdir -p "$T/vuln" "$T/bad" "$T/both"
python3 "$DEFUSE_SRC/tests/e2e/scan_adversarial.py" synth "$T/vuln/core.jar"
printf 'PK\003\004this is no zip at all, only its first four bytes' >"$T/bad/corrupt.jar"
cp "$T/vuln/core.jar" "$T/bad/corrupt.jar" "$T/both/"
[ "$(st "$T/vuln")" = 1 ] || fail "vulnerable only: want 1"
[ "$(st "$T/bad")" = 2 ] || fail "errors only: want 2: $(cat "$T/err")"
[ "$(st "$T/both")" = 3 ] || fail "vulnerable and errors: want 3"
jq -s -e 'any(.[]; .type == "summary" and .exit == 3 and .vulnerable == 1 and .errors == 1)' \
    "$T/out.json" >/dev/null || fail "summary: $(tail -1 "$T/out.json")"
"$DEFUSE" scan --help 2>&1 | grep -q '3 something vulnerable and errors' || fail "--help does not document 3"
echo "ok: exit 0/1/2/3"

r=0
"$DEFUSE" scan --no-progress --max-depth 17 "$T/vuln" >/dev/null 2>"$T/err" || r=$?
[ "$r" = 2 ] && grep -q 'above the compiled limit' "$T/err" || fail "--max-depth 17: exit $r: $(cat "$T/err")"
[ "$(st --max-depth 16 "$T/vuln")" = 1 ] || fail "--max-depth 16 refused"
echo "ok: --max-depth above the limit refused"

# files deleted while the walk runs: warnings ("vanished"), never errors
mkdir -p "$T/churn"
python3 - "$T/churn" <<'PY'
import os, sys
for d in range(40):
    os.makedirs("%s/d%d" % (sys.argv[1], d))
    for i in range(500):
        open("%s/d%d/f%d.tmp" % (sys.argv[1], d, i), "w").write("x" * 5000)
PY
cp "$T/vuln/core.jar" "$T/churn/"
( sleep 0.05; rm -rf "$T/churn"/d* ) &
r=$(st -j 1 "$T/churn")
wait
[ "$r" = 1 ] || fail "churn: exit $r, want 1 (vanished files are warnings): $(grep '"type":"error"' "$T/out.json" | head -3)"
n=$(jq -s '[.[] | select(.type == "warning" and .reason == "vanished during the scan")] | length' "$T/out.json")
echo "ok: files deleted during the walk: exit 1, $n reported as vanished (warnings)"
echo PASS
