#!/usr/bin/env bash
# bench/probe/vs_log4j_scan.sh -- request rate of `defuse probe` beside
# fullhunt/log4j-scan against the same N loopback endpoints (stub.py), as
# counted by the endpoints themselves (stub.py's SIGUSR1 report).
# log4j-scan cannot verify a callback offline (it polls interact.sh or
# dnslog.cn): it runs with --custom-dns-callback-host, so only the sending
# side compares.  Its source is read from a checkout or a bare git mirror
# (HEAD) at run time and never kept.  Python: Debian's python3 with
# python3-requests, python3-termcolor and python3-pycryptodome (its
# Cryptodome package is offered under the name log4j-scan imports, Crypto,
# by a symbolic link in the temp dir).
# Each tool sends one payload per request kind it has by default:
#   log4j-scan: GET ?v=PAYLOAD with every header of its headers.txt carrying
#               the same payload (one request per URL; it cannot tell which
#               header fired), sequentially;
#   defuse:     one request per header (the same header list), so a
#               callback names its header; --rate/--concurrency per host.
# Usage: vs_log4j_scan.sh DEFUSE LOG4J_SCAN_SRC    (N=1000 RATE=1000 CONC=4)
set -euo pipefail
DEFUSE=${1:?defuse binary}; SRC=${2:?log4j-scan checkout or mirror}
HERE=$(cd "$(dirname "$0")" && pwd)
N=${N:-1000} RATE=${RATE:-1000} CONC=${CONC:-4}
PY=/usr/bin/python3
$PY -c 'import requests, termcolor, Cryptodome' 2>/dev/null ||
    { echo "install python3-requests python3-termcolor python3-pycryptodome (scripts/deps.sh --bench)" >&2; exit 2; }
T=$(mktemp -d /tmp/defuse-vs-l4s.XXXXXX)
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
mkdir -p "$T/l4s" "$T/py"
if [ -f "$SRC/log4j-scan.py" ]; then cp "$SRC/log4j-scan.py" "$SRC/headers.txt" "$T/l4s/"
else git -C "$SRC" archive HEAD log4j-scan.py headers.txt | tar -x -C "$T/l4s"; fi
ln -s "$($PY -c 'import Cryptodome, os; print(os.path.dirname(Cryptodome.__file__))')" "$T/py/Crypto"
BASE=$($PY -c 'import random; print(random.randint(10000, 20000))')
CB=$((BASE + N + 7))
$PY "$HERE/stub.py" "$BASE" "$N" 0 >"$T/stub.out" 2>&1 &   # VULN=0: no endpoint calls back
STUB=$!
trap 'kill $STUB 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 1200); do grep -qx ready "$T/stub.out" && break; sleep 0.05; done
grep -qx ready "$T/stub.out" || { echo "stub not ready" >&2; exit 2; }
for i in $(seq 0 $((N - 1))); do echo "http://127.0.0.1:$((BASE + i))/app"; done >"$T/targets"
# log4j-scan's header list, for defuse too (without blank lines and comments)
grep -v -e '^#' -e '^[[:space:]]*$' "$T/l4s/headers.txt" | tr -d '\r' | paste -sd, >"$T/headers"
nh=$(tr ',' '\n' <"$T/headers" | wc -l)
stub_report() { # label
    local before
    before=$(grep -c '^requests ' "$T/stub.out" || true)
    kill -USR1 "$STUB"
    for _ in $(seq 1 100); do
        [ "$(grep -c '^requests ' "$T/stub.out" || true)" -gt "$before" ] && break; sleep 0.05
    done
    grep '^requests ' "$T/stub.out" | tail -n 1 | {
        read -r _ n first last
        awk -v l="$1" -v n="$n" -v f="$first" -v z="$last" \
            'BEGIN { d = z - f; printf "%-11s %7d requests received in %7.2f s: %8.0f requests/s\n", l, n, d, (d > 0 ? n / d : 0) }'
    }
}
stub_report reset >/dev/null
echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg); $N endpoints, $nh headers (log4j-scan's headers.txt)"
t0=$(date +%s.%N)
(cd "$T/l4s" && PYTHONPATH="$T/py" $PY log4j-scan.py -l "$T/targets" --custom-dns-callback-host "127.0.0.1:$CB" \
    --headers-file headers.txt >"$T/l4s.out" 2>&1) || echo "log4j-scan exited $?" >&2
t1=$(date +%s.%N)
stub_report log4j-scan
echo "            wall $(echo "$t1 - $t0" | bc) s; $(grep -c 'PAYLOAD' "$T/l4s.out") payload lines printed; one request per URL holding all $nh headers"
t0=$(date +%s.%N)
"$DEFUSE" probe --scope 127.0.0.1 --callback "127.0.0.1:$CB" --targets "$T/targets" --points header \
    --headers "$(cat "$T/headers")" --variants plain --rate "$RATE" --concurrency "$CONC" --wait 0 \
    --json >"$T/d.json" 2>"$T/d.err" || true
t1=$(date +%s.%N)
stub_report defuse
echo "            wall $(echo "$t1 - $t0" | bc) s; one request per (URL, header): $((N * nh)) expected"
