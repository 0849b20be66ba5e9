# logs_lib.bash -- shared set-up for the logs_*.sh and explain_*.sh
# end-to-end tests (sourced, not a test itself): a temp dir removed on exit,
# the defuse binary, and small assertion helpers that name what failed.
set -u
: "${DEFUSE:?DEFUSE must name the defuse binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/defuse-e2e.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
    chmod -R u+rwx "$T" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
# expect_rc WANT GOT WHAT
expect_rc() { if [ "$1" = "$2" ]; then ok "$3 (exit $2)"; else fail "$3: exit $2, want $1"; fi; }
# expect_grep PATTERN FILE WHAT  (fixed string)
expect_grep() { if grep -qF -- "$1" "$2"; then ok "$3"; else fail "$3: '$1' not in $2:"; sed 's/^/    /' "$2" | head -20 >&2; fi; }
expect_nogrep() { if grep -qF -- "$1" "$2"; then fail "$3: '$1' found in $2"; grep -nF -- "$1" "$2" | head -5 >&2; else ok "$3"; fi; }
# stop_follow SIG PID: sends SIG to the defuse process that
# `timeout N "$DEFUSE" ... &` started (PID: timeout's) and waits; returns
# its exit status.  Not through timeout: after forwarding a signal it sends
# SIGCONT, and a SIGCONT that arrives while LeakSanitizer stops the exiting
# process's threads (the SIGSTOP of its PTRACE_ATTACH still pending)
# discards that SIGSTOP: the leak checker then waits for it forever.  Seen
# in ASan builds under load (a 600 s ctest timeout; 1 run in 5 with three
# busy loops beside it).
stop_follow() {
    local child
    child=$(pgrep -P "$2" | head -n 1)
    kill -"$1" "${child:-$2}"
    wait "$2"
}
finish() { if [ "$FAILS" -ne 0 ]; then echo "$FAILS check(s) failed" >&2; exit 1; fi; echo "all checks passed"; exit 0; }
