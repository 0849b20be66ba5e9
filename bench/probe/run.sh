#!/usr/bin/env bash
# bench/probe/run.sh -- `defuse probe` against 1,000 loopback endpoints
# (stub.py: every VULN-th one calls back like a vulnerable app logging the
# User-Agent).  Reports requests/s of the sending phase (wall time minus
# the wait window), the verdicts, and time-to-verdict (callback delay after
# the request, median and max).
# Usage: bench/probe/run.sh [path/to/defuse]
#   N=1000 VULN=10 POINTS=header HEADERS=User-Agent VARIANTS=plain RATE=50 CONC=2 WAIT=2 MAXCONN=256
set -euo pipefail
cd "$(dirname "$0")/../.."
DEFUSE=${1:-build/defuse}
N=${N:-1000} VULN=${VULN:-10} RATE=${RATE:-50} CONC=${CONC:-2} WAIT=${WAIT:-2} MAXCONN=${MAXCONN:-256}
POINTS=${POINTS:-header} HEADERS=${HEADERS:-User-Agent} VARIANTS=${VARIANTS:-plain}
T=$(mktemp -d /tmp/defuse-probe-bench.XXXXXX)
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
BASE=$(python3 -c 'import random; print(random.randint(10000, 20000))')  # below the ephemeral range
CB=$((BASE + N + 7))
python3 bench/probe/stub.py "$BASE" "$N" "$VULN" >"$T/stub.out" 2>&1 &
STUB=$!
trap 'kill $STUB 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 1200); do grep -qx ready "$T/stub.out" && break; sleep 0.05; done
grep -qx ready "$T/stub.out" || { echo "stub not ready after 60 s" >&2; exit 2; }
for i in $(seq 0 $((N - 1))); do echo "http://127.0.0.1:$((BASE + i))/app"; done >"$T/targets"
t0=$(date +%s.%N)
st=0
"$DEFUSE" probe --scope 127.0.0.1 --callback "127.0.0.1:$CB" --targets "$T/targets" \
    --points "$POINTS" --headers "$HEADERS" --params q --variants "$VARIANTS" \
    --rate "$RATE" --concurrency "$CONC" --max-connections "$MAXCONN" --wait "$WAIT" --json >"$T/out.json" 2>"$T/err" || st=$?
t1=$(date +%s.%N)
python3 - "$T/out.json" "$t0" "$t1" "$WAIT" "$N" "$VULN" "$st" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))
t0, t1, wait, n, vuln, st = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
reqs = sum(t["requests"] for t in r["targets"])
errs = sum(t["errors"] for t in r["targets"])
verd = {}
for t in r["targets"]:
    verd[t["verdict"]] = verd.get(t["verdict"], 0) + 1
delays = [c["delay_s"] for t in r["targets"] for p in t["points"] for c in p["callbacks"]]
send = t1 - t0 - wait
print("endpoints=%d requests=%d errors=%d send_phase=%.2fs requests_per_s=%.0f exit=%d" % (n, reqs, errs, send, reqs / send, st))
print("verdicts=%s (expected exploitable=%d)" % (verd, (n + vuln - 1) // vuln))
if delays:
    print("time_to_verdict: callbacks=%d median=%.3fs max=%.3fs" % (len(delays), statistics.median(delays), max(delays)))
PY
