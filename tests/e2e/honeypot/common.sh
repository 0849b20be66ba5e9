# common.sh -- shared helpers of the honeypot end-to-end tests (sourced).
# Provides: a temporary directory $T removed on exit, every background
# process started with bg_start killed on exit (trap), free ports, starting
# and stopping the honeypot, and polling an event file.
set -euo pipefail
: "${DEFUSE:?DEFUSE must name the defuse binary}"
: "${DEFUSE_SRC:?DEFUSE_SRC must name the source tree}"
HP_DIR="$DEFUSE_SRC/tests/e2e/honeypot"
PEERS="python3 $HP_DIR/peers.py"
T=$(mktemp -d /tmp/defuse-hp-test.XXXXXX)
BG_PIDS=()
HP_PID=

cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -n "$HP_PID" ]; then kill -KILL "$HP_PID" 2>/dev/null || true; fi
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    if [ -f "$T/hp.err" ]; then echo "--- honeypot stderr" >&2; tail -20 "$T/hp.err" >&2; fi
    exit 1
}
ok() { echo "ok: $*"; }

bg_start() { # command... ; the pid is appended to BG_PIDS
    "$@" &
    BG_PIDS+=($!)
}

freeports() { $PEERS freeports "$1"; }

wait_file() { # file [seconds]
    local i
    for i in $(seq 1 $((${2:-10} * 20))); do
        [ -s "$1" ] && return 0
        sleep 0.05
    done
    fail "timed out waiting for $1"
}

# hp_start CONFIG: runs the honeypot with stdout to $T/hp.out, stderr to
# $T/hp.err, and waits until it says it is ready.
hp_start() {
    : >"$T/hp.err"
    "$DEFUSE" honeypot -c "$1" >"$T/hp.out" 2>"$T/hp.err" &
    HP_PID=$!
    local i
    for i in $(seq 1 200); do
        grep -q "ready" "$T/hp.err" && return 0
        kill -0 "$HP_PID" 2>/dev/null || fail "honeypot exited during startup"
        sleep 0.05
    done
    fail "honeypot not ready after 10 s"
}

# hp_stop: SIGTERM, and the exit status must be 0 (under ASan this also
# checks that nothing leaked).
hp_stop() {
    kill -TERM "$HP_PID"
    local st=0
    wait "$HP_PID" || st=$?
    HP_PID=
    [ "$st" -eq 0 ] || fail "honeypot exited with status $st after SIGTERM"
}

# wait_events FILE PATTERN [COUNT] [SECONDS]: waits until FILE has at least
# COUNT lines matching the extended regex PATTERN.
wait_events() {
    local f=$1 pat=$2 n=${3:-1} secs=${4:-10} i c
    for i in $(seq 1 $((secs * 20))); do
        c=$(grep -cE -- "$pat" "$f" 2>/dev/null || true)
        [ "${c:-0}" -ge "$n" ] && return 0
        sleep 0.05
    done
    fail "expected $n line(s) matching '$pat' in $(basename "$f"), found ${c:-0}"
}

# jq-free JSON assertions through python: ev_query FILE PYEXPR prints the
# value of PYEXPR (with `e` bound to each event) for every event where it is
# truthy, one per line.
ev_query() {
    python3 - "$1" "$2" <<'EOF'
import json, os, sys
try:
    for line in open(sys.argv[1], encoding="utf-8"):
        line = line.strip()
        if not line:
            continue
        e = json.loads(line)
        try:
            v = eval(sys.argv[2], {"e": e})
        except (KeyError, IndexError, TypeError):
            v = None
        if v:
            print(v if isinstance(v, str) else json.dumps(v), flush=True)
except BrokenPipeError:  # the reader (grep -q) had enough: not an error
    os._exit(0)
EOF
}
