#!/usr/bin/env bash
# run.sh -- the exposure register benchmark (SQLite back end).
#
# usage: bench/register/run.sh [ASSETS [COMPONENTS]]     (default 10000 x 200)
#
# Generates ASSETS scan files of COMPONENTS records (gen.py), then measures:
#   1. ingest: one `defuse register ingest` process per asset, as hosts feed
#      it (vulnerability data without CVE-2021-45046, day 1) -> assets/s;
#   2. `exposures --cve CVE-2021-45046 --env prod --json` after (3): best of 5;
#   3. `evaluate` with the full data (one new CVE, 45046) -> seconds;
#   4. the alternative without a register: jq over the same JSON files of
#      the prod environment for log4j-core versions affected by 45046.
# Needs: python3, jq; DEFUSE (default build/defuse).  Writes into a temp dir.
# REGISTER_URL=postgresql://... measures that register instead (it must be
# empty); JOBS=16 runs 16 ingest processes at once (xargs -P) and then
# checks that nothing was lost or duplicated (assets, components, scans).
set -euo pipefail
N=${1:-10000}
M=${2:-200}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DEFUSE=${DEFUSE:-$SRC/build/defuse}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 "$SRC/bench/register/gen.py" "$T/in" "$N" "$M"
jq 'del(.vulnerabilities[] | select(.id == "CVE-2021-45046"))' "$SRC/data/vulndb.json" >"$T/day1.json"
export DEFUSE_NOW=2021-12-10T12:00:00Z
DB=${REGISTER_URL:-$T/reg.db}
JOBS=${JOBS:-1}
now() { date +%s.%N; }
# the register is created (migrated) once before the timed part
"$DEFUSE" register --db "$DB" assets >/dev/null
t0=$(now)
for env in prod staging dev; do
    for f in "$T/in/$env"/*.json; do printf '%s %s\n' "$env" "$f"; done
done | xargs -P "$JOBS" -n 2 sh -c '"$0" register --db "$1" --vulndb "$2" ingest --asset "$(basename "$4" .json)" --env "$3" "$4" >/dev/null' "$DEFUSE" "$DB" "$T/day1.json"
t1=$(now)
na=$("$DEFUSE" register --db "$DB" assets --json | jq length)
nc=$("$DEFUSE" register --db "$DB" assets --json | jq '[.[].components] | add')
[ "$na" = "$N" ] || echo "LOST OR DUPLICATED: $na assets of $N"
[ "$nc" = $((N * M)) ] || echo "LOST OR DUPLICATED: $nc components of $((N * M))"
echo "after $JOBS-way ingest: $na assets, $nc components (expected $N, $((N * M)))"
echo "ingest: $N assets x $M components in $(echo "$t1 - $t0" | bc) s:" \
     "$(echo "scale=1; $N / ($t1 - $t0)" | bc) assets/s; register $(du -h "$DB" | cut -f1)"
export DEFUSE_NOW=2021-12-14T12:00:00Z
t0=$(now)
"$DEFUSE" register --db "$DB" --vulndb "$SRC/data/vulndb.json" evaluate --json | jq -c '{assets, opened, changed}'
t1=$(now)
echo "evaluate (one new CVE): $(echo "$t1 - $t0" | bc) s"
best=999
for i in 1 2 3 4 5; do
    t0=$(now)
    n=$("$DEFUSE" register --db "$DB" exposures --cve CVE-2021-45046 --env prod --json | jq length)
    t1=$(now)
    d=$(echo "($t1 - $t0) * 1000" | bc)
    best=$(echo "if ($d < $best) $d else $best" | bc)
done
echo "exposures --cve CVE-2021-45046 --env prod: $n rows, best of 5: $best ms (process start included)"
t0=$(now)
n2=$(cat "$T/in/prod"/*.json | jq -c 'select(.type == "component" and .product == "log4j-core" and (.version == null or (.version | test("^2\\.(1[0-5]|[0-9])\\.|^2\\.0"))) and .version != "2.12.4" and .version != "2.12.2" and .version != "2.3.2")' | wc -l)
t1=$(now)
echo "jq over the prod scan files (log4j-core 2.x below 2.16, crude): $n2 rows in $(echo "($t1 - $t0) * 1000" | bc) ms"
