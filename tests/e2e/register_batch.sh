#!/usr/bin/env bash
# register_batch.sh -- `defuse register ingest --batch LIST`: many assets in
# one process (a collector's spool directory) gives exactly the register
# that one `ingest` process per asset gives (every exposure, clock and
# component compared); each asset is its own transaction, so a bad line
# (missing or malformed file, too few fields) is reported with LIST:LINE
# and the file's own position, writes nothing of that asset, and does not
# stop the other lines; the exit status is then 2.  Runs on SQLite, and on
# PostgreSQL when REGISTER_URL is set.
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
command -v jq >/dev/null || { echo "SKIP: no jq"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export DEFUSE_NOW=2021-12-10T12:00:00Z
# 9 assets of 40 components each (2% vulnerable log4j-core, 1% log4j 1.x, ...)
python3 "$DEFUSE_SRC/bench/register/gen.py" "$T/in" 9 40 7
VDB="$DEFUSE_SRC/data/vulndb.json"
A="$T/one.db"
B="$T/batch.db"
: >"$T/list"
for env in prod staging dev; do
    for f in "$T/in/$env"/*.json; do
        a=$(basename "$f" .json)
        "$DEFUSE" register --db "$A" --vulndb "$VDB" --by ci ingest --asset "$a" --env "$env" \
            --owner ops "$f" >/dev/null
        printf '%s\t%s\t%s\n' "$a" "$env" "$f" >>"$T/list"
    done
done
printf '# a comment and a blank line are skipped\n\n' >>"$T/list"
"$DEFUSE" register --db "$B" --vulndb "$VDB" --by ci ingest --owner ops --batch "$T/list" >"$T/out" ||
    fail "batch ingest exit $?"
[ "$(grep -c ingested "$T/out")" = 9 ] || { cat "$T/out"; fail "batch: not one line per asset"; }
q() { "$DEFUSE" register --db "$1" "${@:2}"; }
for what in "exposures --all --json" "assets --json" "status --json"; do
    # shellcheck disable=SC2086
    diff <(q "$A" $what | jq -S .) <(q "$B" $what | jq -S .) >/dev/null ||
        fail "batch register differs from one process per asset: $what"
done
n=$(q "$B" exposures --json | jq length)
[ "$n" -gt 0 ] || fail "no exposures opened"
# the same list again changes nothing
"$DEFUSE" register --db "$B" --vulndb "$VDB" --by ci ingest --owner ops --batch "$T/list" >"$T/out2"
[ "$(grep -c 'nothing changed' "$T/out2")" = 9 ] || fail "re-ingest of the same batch changed something"
# --json: one JSON object per asset (JSON Lines)
"$DEFUSE" register --db "$B" --vulndb "$VDB" ingest --json --batch "$T/list" >"$T/out3"
[ "$(jq -s 'map(select(.unchanged)) | length' "$T/out3")" = 9 ] || fail "--json --batch"

# bad lines: the others are ingested, the bad ones are named and write nothing
C="$T/bad.db"
printf '{"type":"component","path":"/x.jar","product":"log4j-core","version":"2.14.1"}\n{"type":\n' >"$T/broken.json"
f1=$(ls "$T"/in/prod/*.json | head -n 1)
f2=$(ls "$T"/in/dev/*.json | head -n 1)
printf 'good-1\tprod\t%s\nbroken\tprod\t%s\nmissing\tdev\t%s/nope.json\nshort\tdev\ngood-2\tdev\t%s\nstdin\tdev\t-\n' \
    "$f1" "$T/broken.json" "$T" "$f2" >"$T/badlist"
rc=0
"$DEFUSE" register --db "$C" --vulndb "$VDB" ingest --batch "$T/badlist" >"$T/bout" 2>"$T/berr" || rc=$?
[ "$rc" = 2 ] || fail "bad batch: exit $rc, expected 2"
grep -q "badlist:2: .*broken.json:2:" "$T/berr" || { cat "$T/berr"; fail "malformed file not named with its position"; }
grep -q "badlist:3: .*nope.json" "$T/berr" || { cat "$T/berr"; fail "missing file not named"; }
grep -q "badlist:4: " "$T/berr" || { cat "$T/berr"; fail "short line not named"; }
grep -q "badlist:6: .*'-'" "$T/berr" || { cat "$T/berr"; fail "'-' as a batch FILE not refused"; }
got=$(q "$C" assets --json | jq -r '[.[].name] | sort | join(",")')
[ "$got" = good-1,good-2 ] || fail "bad batch: assets $got"
# --asset and --batch together are refused
rc=0
"$DEFUSE" register --db "$C" --vulndb "$VDB" ingest --asset x --batch "$T/list" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "--asset with --batch accepted"
echo "PASS: batch ingest equals per-process ingest; bad lines named and skipped"
