#!/usr/bin/env bash
# run.sh -- the exposure register benchmark: SQLite, then PostgreSQL.
#
# usage: bench/register/run.sh [ASSETS [COMPONENTS]]     (default 10000 x 200)
#
# Generates ASSETS scan files of COMPONENTS records (gen.py: a third each in
# prod, staging, dev), then, for each back end:
#   1. ingest with `ingest --batch` (a collector: one process per part of
#      the list, each asset its own transaction), JOBS processes at once
#      (default 2 for SQLite, one writer at a time anyway; 16 for
#      PostgreSQL), with vulnerability data that does not know
#      CVE-2021-45046 yet (day 1) -> assets/s; then every asset, component,
#      scan and ingest history row counted: nothing lost or duplicated;
#   2. one `ingest` process per asset, as hosts feed it over ssh, for the
#      first SINGLE assets (default 100) of a second register -> assets/s;
#   3. `evaluate` with the full data (one new CVE, 45046) -> seconds: it
#      reads only the components whose match changed; then `evaluate
#      --full` (every component, as after an SLA change) for comparison;
#   4. `exposures --cve CVE-2021-45046 --env prod` (text, and --json):
#      best of 5, process start included;
# and the alternative without a register: jq, and grep, over the same prod
# scan files for log4j-core versions 45046 affects, and the ratio.
# PostgreSQL: a server of Debian's postgresql package started on loopback
# in the temp dir (tests/e2e/register_pg_lib.bash), fsync off, as the
# tests do; BACKENDS="sqlite" skips it.
# Needs: python3, jq; DEFUSE (default build/defuse).  Writes into a temp dir
# (about 25 KiB per asset of scan files, ~2 KiB per component of register).
set -euo pipefail
N=${1:-10000}
M=${2:-200}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DEFUSE=${DEFUSE:-$SRC/build/defuse}
BACKENDS=${BACKENDS:-sqlite postgresql}
SINGLE=${SINGLE:-100}
T=$(mktemp -d)
PG_T=$T
# shellcheck source=../../tests/e2e/register_pg_lib.bash
. "$SRC/tests/e2e/register_pg_lib.bash"
trap 'pg_cleanup; rm -rf "$T"' EXIT
# bash's own clock: `$(date +%s.%N)` after a command counts a fork and an
# exec of date (2-4 ms here) into a 40 ms query
now() { echo "$EPOCHREALTIME"; }
# CPU seconds (user + system) of the finished children of a PostgreSQL
# server: its backends, which exit with their connections
pgcpu() {
    local pid
    pid=$(head -n 1 "$PG_T/data/postmaster.pid" 2>/dev/null) || { echo 0; return; }
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($14 + $15) / hz }' "/proc/$pid/stat"
}
cpusum() { awk '{ s += $1 + $2 } END { printf "%.2f", s }' "$@"; }
ms() { echo "($2 - $1) * 1000" | bc; }

echo "# $(date -u +%FT%TZ) $(uname -m) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $N assets x $M components"
t0=$(now)
python3 "$SRC/bench/register/gen.py" "$T/in" "$N" "$M"
echo "generated in $(echo "$(now) - $t0" | bc) s: $(du -sh "$T/in" | cut -f1) of scan files"
jq 'del(.vulnerabilities[] | select(.id == "CVE-2021-45046"))' "$SRC/data/vulndb.json" >"$T/day1.json"
for env in prod staging dev; do
    for f in "$T/in/$env"/*.json; do printf '%s\t%s\t%s\n' "$(basename "$f" .json)" "$env" "$f"; done
done >"$T/list"

count() { # DB TABLE [WHERE]
    if [ "$BE" = postgresql ]; then psql -qAt "$1" -c "SELECT COUNT(*) FROM $2 ${3:-}"
    else sqlite3 "$1" "SELECT COUNT(*) FROM $2 ${3:-}"; fi
}

for BE in $BACKENDS; do
    echo "## $BE"
    if [ "$BE" = postgresql ]; then
        pg_start
        DB=$REGISTER_URL
        jobs=${JOBS:-16}
        psql -qAt "$DB" -c "CREATE DATABASE single" >/dev/null
        DB2=${DB%/postgres}/single
    else
        DB=$T/reg.db
        DB2=$T/single.db
        jobs=${JOBS:-2}
    fi
    export DEFUSE_NOW=2021-12-10T12:00:00Z
    "$DEFUSE" register --db "$DB" assets >/dev/null  # created (migrated) before the timed part
    "$DEFUSE" register --db "$DB2" assets >/dev/null
    rm -f "$T"/part.*
    split -n r/"$jobs" "$T/list" "$T/part."
    s0=$([ "$BE" = postgresql ] && pgcpu || echo 0)
    t0=$(now)
    pids=()
    for p in "$T"/part.*; do
        /usr/bin/time -f "%U %S" -o "$p.cpu" \
            "$DEFUSE" register --db "$DB" --vulndb "$T/day1.json" ingest --batch "$p" >/dev/null 2>"$p.err" &
        pids+=($!)
    done
    bad=0
    for pid in "${pids[@]}"; do wait "$pid" || bad=$((bad + 1)); done
    t1=$(now)
    [ "$bad" = 0 ] || { cat "$T"/part.*.err | head; echo "$bad ingest processes FAILED"; }
    na=$(count "$DB" assets); nc=$(count "$DB" components); ns=$(count "$DB" scans)
    nh=$(count "$DB" history "WHERE event = 'ingest'")
    ok=yes
    [ "$na" = "$N" ] && [ "$ns" = "$N" ] && [ "$nh" = "$N" ] && [ "$nc" = $((N * M)) ] || ok=NO
    echo "ingest --batch, $jobs processes at once: $(echo "$t1 - $t0" | bc) s," \
         "$(echo "scale=1; $N / ($t1 - $t0)" | bc) assets/s," \
         "$(echo "scale=0; $N * $M / ($t1 - $t0)" | bc) components/s"
    echo "  CPU: $(cpusum "$T"/part.*.cpu) s in the ingest processes$([ "$BE" = postgresql ] &&
        echo ", $(echo "$(pgcpu) - $s0" | bc) s in the server") (load $(cut -d' ' -f1 /proc/loadavg))"
    echo "  counted: $na assets, $ns scans, $nh ingest rows, $nc components" \
         "(expected $N, $N, $N, $((N * M))): nothing lost or duplicated: $ok"
    [ "$BE" = sqlite ] && echo "  register size: $(du -ch "$DB"* | tail -n 1 | cut -f1)"
    k=$((SINGLE < N ? SINGLE : N))
    t0=$(now)
    head -n "$k" "$T/list" | while IFS=$'\t' read -r a e f; do
        "$DEFUSE" register --db "$DB2" --vulndb "$T/day1.json" ingest --asset "$a" --env "$e" "$f" >/dev/null
    done
    t1=$(now)
    echo "ingest, one process per asset (first $k assets, sequential):" \
         "$(echo "scale=1; $k / ($t1 - $t0)" | bc) assets/s"
    export DEFUSE_NOW=2021-12-14T12:00:00Z
    # the ingest left ~2 GB for the kernel to write back: timed on a register
    # at rest, not against that flush (which tripled the query's time)
    sync
    t0=$(now)
    /usr/bin/time -f "%U %S" -o "$T/ev.cpu" \
        "$DEFUSE" register --db "$DB" --vulndb "$SRC/data/vulndb.json" evaluate --json |
        jq -c '{full, assets, components, opened, changed}'
    t1=$(now)
    echo "evaluate (one new CVE): $(echo "$t1 - $t0" | bc) s wall, $(cpusum "$T/ev.cpu") s CPU (client)"
    sync
    for fmt in text json; do
        best=999999
        for i in 1 2 3 4 5; do
            t0=$EPOCHREALTIME
            if [ $fmt = json ]; then
                "$DEFUSE" register --db "$DB" exposures --cve CVE-2021-45046 --env prod --json >"$T/q"
            else
                "$DEFUSE" register --db "$DB" exposures --cve CVE-2021-45046 --env prod >"$T/q"
            fi
            t1=$EPOCHREALTIME
            d=$(ms "$t0" "$t1")
            best=$(echo "if ($d < $best) $d else $best" | bc)
        done
        rows=$([ $fmt = json ] && jq length "$T/q" || echo $(($(wc -l <"$T/q") - 1)))
        echo "exposures --cve CVE-2021-45046 --env prod ($fmt): $rows rows, best of 5: $best ms"
        [ $fmt = text ] && qbest=$best
    done
    # what an SLA change or a KEV file costs: every component read again
    t0=$(now)
    "$DEFUSE" register --db "$DB" --vulndb "$SRC/data/vulndb.json" evaluate --full --json |
        jq -c '{full, assets, components, opened, changed}'
    t1=$(now)
    echo "evaluate --full (nothing new): $(echo "$t1 - $t0" | bc) s wall"
    [ "$BE" = postgresql ] && pg_cleanup
done

# the alternative: the same question over the same JSON files
t0=$(now)
n2=$(cat "$T/in/prod"/*.json | jq -c 'select(.type == "component" and .product == "log4j-core" and (.version == null or (.version | test("^2\\.(1[0-5]|[0-9])\\.|^2\\.0"))) and .version != "2.12.2" and .version != "2.12.4" and .version != "2.3.1" and .version != "2.3.2")' | wc -l)
t1=$(now)
jqms=$(ms "$t0" "$t1")
echo "jq over the prod scan files (log4j-core versions 45046 affects, crude): $n2 rows in $jqms ms"
t0=$(now)
n3=$(grep -h '"product":"log4j-core"' "$T/in/prod"/*.json | grep -E '"version":(null|"2\.(1[0-5]|[0-9])\.|"2\.0)' | grep -c -v -E '"version":"2\.(12\.[24]|3\.[12])"' || true)
t1=$(now)
echo "grep over the prod scan files (the same, cruder): $n3 rows in $(ms "$t0" "$t1") ms"
echo "ratio jq / register exposures (last back end, text): $(echo "scale=1; $jqms / $qbest" | bc)"
