#!/usr/bin/env bash
# run.sh -- `defuse report` over SIZE_MB of generated `defuse logs --json`
# lines (gen.py) against `jq -c .` merely parsing the same file; prints both
# times, the ratio, the report's peak memory (RSS) and the page's size.
# usage: bench/report/run.sh [SIZE_MB=1024] [BUILD=build]
# Needs jq and /usr/bin/time (scripts/deps.sh --bench).
set -euo pipefail
SIZE=${1:-1024}
B=${2:-build}
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
/usr/bin/python3 bench/report/gen.py "$SIZE" >"$T/in.jsonl"
bytes=$(stat -c %s "$T/in.jsonl")
lines=$(wc -l <"$T/in.jsonl")
cat "$T/in.jsonl" >/dev/null # page cache: both read the same warm file
/usr/bin/time -f "%e %M" -o "$T/jq.t" jq -c . "$T/in.jsonl" >/dev/null
/usr/bin/time -f "%e %M" -o "$T/rep.t" "$B/defuse" report -o "$T/out.html" "$T/in.jsonl" 2>/dev/null
read -r jq_s jq_kb <"$T/jq.t"
read -r rep_s rep_kb <"$T/rep.t"
html=$(stat -c %s "$T/out.html")
echo "input: $bytes bytes, $lines lines"
echo "jq -c .:       ${jq_s} s, peak RSS ${jq_kb} KiB"
echo "defuse report: ${rep_s} s, peak RSS ${rep_kb} KiB, page ${html} bytes"
awk -v a="$rep_s" -v b="$jq_s" 'BEGIN { printf "ratio report/jq: %.2f (target <= 2)\n", a / b }'
[ "$html" -le 2097152 ] || { echo "FAIL: page over 2 MB"; exit 1; }
