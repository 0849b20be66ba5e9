# report_lib.bash -- shared helpers of tests/e2e/report_*.sh (sourced, not a test).
# Checks the browser prerequisites (Debian's chromium, chromium-driver and
# python3-selenium; exit 77 with a message when one is missing), makes $T
# (removed on exit) and $SHOTS (screenshots kept under the build dir).
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}" "${DEFUSE_BUILD:?}"
PY=/usr/bin/python3
for need in /usr/bin/chromium /usr/bin/chromedriver; do
    [ -x "$need" ] || { echo "SKIP: $need missing (apt-get install chromium chromium-driver)"; exit 77; }
done
"$PY" -c "import selenium" 2>/dev/null || { echo "SKIP: python3-selenium missing"; exit 77; }
T=$(mktemp -d /tmp/defuse-report-test.XXXXXX)
BG_PIDS=()
cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
SHOTS="$DEFUSE_BUILD/test-artifacts/report"
mkdir -p "$SHOTS"
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
# browser PAGE EXPECT.json NAME [PAGE EXPECT.json NAME]...: the checks of
# report_browser.py, all pages in one browser
browser() { HOME="$T" "$PY" "$DEFUSE_SRC/tests/e2e/report_browser.py" "$SHOTS" "$@"; }

# honeypot_events OUT PAYLOAD...: runs the real honeypot on a loopback port,
# sends each payload in a User-Agent with curl, writes its events to OUT.
# Returns 1 when the honeypot cannot run here.
honeypot_events() {
    local out=$1 port i
    shift
    port=$("$PY" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
    printf 'node report-test\nlog_file %s\ndedup_window 0\n[listener web]\nprotocol http\nlisten 127.0.0.1:%s\n' \
        "$out" "$port" >"$T/hp.conf"
    "$DEFUSE" honeypot -c "$T/hp.conf" >"$T/hp.out" 2>"$T/hp.err" &
    local pid=$!
    BG_PIDS+=("$pid")
    for i in $(seq 1 200); do
        grep -q ready "$T/hp.err" && break
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.05
    done
    grep -q ready "$T/hp.err" || return 1
    for p in "$@"; do
        curl -sS -o /dev/null -A "$p" "http://127.0.0.1:$port/login" || true
    done
    for i in $(seq 1 100); do
        [ "$(grep -c '"http.request"' "$out" 2>/dev/null)" -ge "$#" ] && break
        sleep 0.05
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 0
}
