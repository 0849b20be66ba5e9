#!/usr/bin/env bash
# cli_errors.sh -- the first-run and error messages of issue 13 (items 3, 10):
# each names what is wrong (the option, the path and the reason, the config
# line) and exits 2.
#  - `honeypot -c` without a value says the option needs a value;
#  - `honeypot -c DIR` gives the reason (a directory) and the path;
#  - config errors about the whole file carry no line 0;
#  - `--check` catches a log_file whose directory does not exist (the
#    shipped example's /var/log/defuse on a fresh machine);
#  - a bad number names its option (scan, logs, register);
#  - `defuse scan` with only `defuse` installed says where it looked.
set -u
: "${DEFUSE:?DEFUSE must name the defuse binary}"
: "${DEFUSE_SRC:?DEFUSE_SRC must name the source tree}"
T=$(mktemp -d /tmp/defuse-clierr.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# expect WHAT REGEX CMD...: CMD must exit 2 with stderr matching REGEX
expect() {
    local what=$1 re=$2 st=0
    shift 2
    "$@" >"$T/out" 2>"$T/err" </dev/null || st=$?
    if [ "$st" -ne 2 ]; then
        fail "$what: exit $st, want 2 (stderr: $(head -c 300 "$T/err"))"
    elif ! grep -qE -- "$re" "$T/err"; then
        fail "$what: stderr does not match /$re/: $(head -c 300 "$T/err")"
    else
        ok "$what: $(head -1 "$T/err")"
    fi
}

# ---- honeypot -c ------------------------------------------------------------
expect "honeypot -c without a value" "^defuse honeypot: option '-c' needs a value" \
    "$DEFUSE" honeypot -c
expect "honeypot --config without a value" "^defuse honeypot: option '--config' needs a value" \
    "$DEFUSE" honeypot --config
expect "honeypot -c DIR" "^defuse honeypot: $T: .*[Ii]s a directory" \
    "$DEFUSE" honeypot -c "$T" --check

# ---- config errors without line 0 ----------------------------------------------
printf 'node x\n' >"$T/nolistener.conf"
expect "no listener" "nolistener\.conf: no \[listener\]" \
    "$DEFUSE" honeypot -c "$T/nolistener.conf" --check
grep -q ':0:' "$T/err" && fail "an error with line 0: $(cat "$T/err")"
{
    printf 'log_file %s/hp.jsonl\n' "$T"
    for i in $(seq 1 5); do printf '[listener l%d]\nprotocol tcp\nlisten 127.0.0.1:%d-%d\n' \
        "$i" $((10000 + i * 1000)) $((10000 + i * 1000 + 999)); done
} >"$T/many.conf"
# 5 x 1000 ports > 4096: the listener that passes the limit is named (l5, line 14)
expect "too many ports" "many\.conf:14: .*ports" "$DEFUSE" honeypot -c "$T/many.conf" --check
grep -q ':0:' "$T/err" && fail "an error with line 0: $(cat "$T/err")"

# ---- --check and the log directory (first run) -----------------------------------
printf 'log_file %s/missing/dir/hp.jsonl\n[listener a]\nprotocol tcp\nlisten 127.0.0.1:1\n' \
    "$T" >"$T/nodir.conf"
expect "--check with a missing log directory" \
    "nodir\.conf:1: log_file: .*$T/missing/dir.*(does not exist|No such file)" \
    "$DEFUSE" honeypot -c "$T/nodir.conf" --check
: >"$T/afile"
printf 'log_file %s/afile/hp.jsonl\n[listener a]\nprotocol tcp\nlisten 127.0.0.1:1\n' \
    "$T" >"$T/notdir.conf"
expect "--check with a log directory that is a file" "notdir\.conf:1: log_file: .*afile" \
    "$DEFUSE" honeypot -c "$T/notdir.conf" --check
if [ ! -e /var/log/defuse ]; then
    expect "the shipped example on a fresh machine" \
        "honeypot\.conf\.example:[0-9]+: log_file: .*/var/log/defuse" \
        "$DEFUSE" honeypot -c "$DEFUSE_SRC/etc/honeypot.conf.example" --check
fi

# ---- bad numbers name their option -----------------------------------------------
expect "scan --max-depth abc" "^defuse scan: --max-depth: .*'abc'" \
    "$DEFUSE" scan --max-depth abc "$T"
expect "scan -j abc" "^defuse scan: (-j|--jobs): .*'abc'" "$DEFUSE" scan -j abc "$T"
expect "scan --timeout 0" "^defuse scan: --timeout: .*'0'" "$DEFUSE" scan --timeout 0 "$T"
expect "logs -j abc" "^defuse logs: (-j|--jobs): .*'abc'" "$DEFUSE" logs -j abc "$T"
expect "logs --max-line x" "^defuse logs: --max-line: .*'x'" "$DEFUSE" logs --max-line x "$T"

# ---- sibling programs --------------------------------------------------------------
# `defuse` copied alone: scan and honeypot say which program they looked for, where.
mkdir "$T/alone"
cp "$DEFUSE" "$T/alone/defuse"
expect "scan with defuse alone" "^defuse scan: .*defuse-scan.*$T/alone" \
    "$T/alone/defuse" scan "$T"
expect "honeypot with defuse alone" "^defuse honeypot: .*defuse-honeypot.*$T/alone" \
    "$T/alone/defuse" honeypot -c x --check
grep -q "cmake --install\|install" "$T/err" || fail "the sibling error gives no remedy: $(cat "$T/err")"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)" >&2; exit 1; }
echo "all passed"
