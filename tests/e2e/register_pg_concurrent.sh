#!/usr/bin/env bash
# register_pg_concurrent.sh -- many writers at once on one PostgreSQL
# register (a real server on loopback, register_pg_lib.bash), as a team's
# hosts and people use it: 16 ingest processes at once (every asset,
# component and scan counted after: nothing lost or duplicated), then
# 12 mitigate/accept/false-positive commands on the same asset and 10
# vendor updates, all at once.  Every write transaction is SERIALIZABLE;
# one that the server cancels (serialization failure, deadlock) must be run
# again by the register, never reported to the user as a failure.
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
command -v jq >/dev/null || { echo "SKIP: no jq"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
PG_T=$(mktemp -d)
# shellcheck source=register_pg_lib.bash
. "$DEFUSE_SRC/tests/e2e/register_pg_lib.bash"
trap 'pg_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$PG_T"' EXIT
pg_start
T=$PG_T
fail() { echo "FAIL: $*" >&2; exit 1; }
export DEFUSE_NOW=2021-12-14T12:00:00Z
VDB="$DEFUSE_SRC/data/vulndb.json"
R() { "$DEFUSE" register --db "$REGISTER_URL" --vulndb "$VDB" "$@"; }
sql() { psql -qAt "$REGISTER_URL" -c "$1"; }
R assets >/dev/null # migrate once

# ---- 16 ingest processes at once ----------------------------------------------
N=32 M=30
python3 "$DEFUSE_SRC/bench/register/gen.py" "$T/in" $N $M 3
for env in prod staging dev; do
    for f in "$T/in/$env"/*.json; do printf '%s\t%s\t%s\n' "$(basename "$f" .json)" "$env" "$f"; done
done | split -n r/16 - "$T/part."
pids=()
for p in "$T"/part.*; do
    R ingest --batch "$p" >/dev/null 2>"$p.err" &
    pids+=($!)
done
bad=0
for pid in "${pids[@]}"; do wait "$pid" || bad=$((bad + 1)); done
[ "$bad" = 0 ] || { cat "$T"/part.*.err; fail "$bad of 16 concurrent ingests failed"; }
[ "$(sql 'SELECT COUNT(*) FROM assets')" = $N ] || fail "assets: $(sql 'SELECT COUNT(*) FROM assets'), expected $N"
[ "$(sql 'SELECT COUNT(*) FROM scans')" = $N ] || fail "scans: $(sql 'SELECT COUNT(*) FROM scans')"
[ "$(sql 'SELECT COUNT(*) FROM components')" = $((N * M)) ] || fail "components: $(sql 'SELECT COUNT(*) FROM components'), expected $((N * M))"
[ "$(sql "SELECT COUNT(*) FROM history WHERE event = 'ingest'")" = $N ] || fail "ingest history rows"

# ---- controls on one asset and vendor updates, all at once --------------------------
a=$(sql "SELECT asset FROM exposures GROUP BY asset ORDER BY COUNT(DISTINCT cve) DESC, asset LIMIT 1")
mapfile -t cves < <(sql "SELECT DISTINCT cve FROM exposures WHERE asset = '$a' ORDER BY cve")
[ "${#cves[@]}" -ge 3 ] || fail "fixture: $a has ${#cves[@]} CVEs"
pids=()
i=0
for k in $(seq 1 12); do
    c=${cves[$((k % ${#cves[@]}))]}
    case $((k % 3)) in
    0) R --by "u$k" accept --asset "$a" --cve "$c" --reason "r$k" >/dev/null 2>"$T/c$k.err" & ;;
    1) R --by "u$k" false-positive --asset "$a" --cve "$c" --reason "r$k" >/dev/null 2>"$T/c$k.err" & ;;
    2) R --by "u$k" accept --asset "$a" --cve "$c" --reason "again $k" --expires 2022-01-01 >/dev/null 2>"$T/c$k.err" & ;;
    esac
    pids+=($!)
done
for k in $(seq 1 10); do
    R vendors --vendor "vendor $k" --status affected --follow-up 2021-12-20 >/dev/null 2>"$T/v$k.err" &
    pids+=($!)
done
bad=0
for pid in "${pids[@]}"; do wait "$pid" || bad=$((bad + 1)); done
[ "$bad" = 0 ] || { cat "$T"/c*.err "$T"/v*.err | sort | uniq -c; fail "$bad of 22 concurrent commands failed"; }
[ "$(sql 'SELECT COUNT(*) FROM vendors')" = 10 ] || fail "vendors: $(sql 'SELECT COUNT(*) FROM vendors')"
[ "$(sql "SELECT COUNT(*) FROM history WHERE event IN ('accepted', 'false-positive')")" = 12 ] || fail "control history rows"
n=$(R vendors --overdue --json | jq length)
[ "$n" = 0 ] || fail "overdue before the follow-up date: $n"
DEFUSE_NOW=2021-12-21T00:00:00Z R vendors --overdue --json | jq -e 'length == 10' >/dev/null || fail "overdue after"
echo "PASS: 16 concurrent ingests, 22 concurrent controls and vendor updates on PostgreSQL"
