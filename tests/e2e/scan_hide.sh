#!/usr/bin/env bash
# scan_hide.sh -- no file the JVM would load may hide from `defuse scan`
# (issue 10, items 1-5).  Each adversarial input is built here from the real
# log4j-core 2.14.1 of the corpus (read at test time; a small stand-in of our
# own when the corpus is absent, then the JVM runs are skipped): a JVM with
# the file on its class path logs a ${jndi:ldap://127.0.0.1:PORT/...} payload
# and a loopback listener must see the callback, and `defuse scan` must
# report log4j-core with JndiLookup present and CVE-2021-44228 (exit 1).
#   1 a jar whose comment holds a fake directory and a fake EOCD, with one
#     non-ASCII entry name
#   2 a jar named library.class; a JndiLookup stored as X.classrenamed or as
#     Foo.class; a jar stored as lib/library.class inside a jar
#   3 300 MB of zeros (tar.zst) or a 300 MB sparse file (tar.gz) before the jar
#   4 JndiLookup.class with a wrong CRC-32
#   5 the jar as a FIFO, /dev/stdin (a pipe) or <(process substitution); a
#     character device refused with an error
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
command -v python3 >/dev/null && command -v jq >/dev/null || { echo "SKIP: python3/jq"; exit 77; }
T=$(mktemp -d)
LP="" WP=""
cleanup() {
    for p in $LP $WP; do kill "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
ADV="$DEFUSE_SRC/tests/e2e/scan_adversarial.py"
M="${DEFUSE_CORPUS:-}/jars/mergebase-log4j-samples"
CORE="$M/true-hits/log4j-core-2.14.1.jar"
API="$M/false-hits/log4j-api-2.14.1.jar"
JVM=0
if [ -f "$CORE" ] && [ -f "$API" ] && command -v javac >/dev/null && command -v java >/dev/null; then
    JVM=1
    mkdir "$T/cls"
    javac -cp "$API:$CORE" -d "$T/cls" "$DEFUSE_SRC/tests/e2e/honeypot/Log4jVictim.java"
    python3 "$DEFUSE_SRC/tests/e2e/scan_listener.py" "$T/port" "$T/conns" &
    LP=$!
    for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
    PORT=$(cat "$T/port")
    touch "$T/conns"
else
    echo "note: corpus jars or JDK absent: a stand-in jar is scanned, the JVM runs are skipped"
    CORE="$T/stand-in-log4j-core-2.14.1.jar"
    python3 "$ADV" synth "$CORE"
fi

# the JVM, with $1 on its class path, logs the payload: the listener must see
# the connection (the premise of each case)
jvm_calls_back() { # classpath-entry label
    [ "$JVM" = 1 ] || return 0
    local before after
    before=$(wc -l <"$T/conns")
    timeout 60 java -cp "$API:$1:$T/cls" Log4jVictim "\${jndi:ldap://127.0.0.1:$PORT/$2}" \
        >"$T/jvm.out" 2>&1 || true
    after=$(wc -l <"$T/conns")
    [ "$after" -gt "$before" ] || fail "$2: the JVM did not call back: $(tail -3 "$T/jvm.out")"
    echo "   JVM with $2 on its class path called back to 127.0.0.1:$PORT"
}

# defuse scan must report log4j-core with JndiLookup present and 44228 (exit 1)
scan_finds() { # label defuse-args...
    local label=$1 r=0
    shift
    "$DEFUSE" scan --no-progress --json "$@" >"$T/out.json" 2>"$T/err" || r=$?
    [ "$r" = 1 ] || fail "$label: exit $r, want 1: $(head -c 600 "$T/err")"
    jq -e -s '[.[] | select(.type == "component" and .product == "log4j-core" and
               .jndilookup != "removed" and
               ([.vulnerabilities[].id] | index("CVE-2021-44228")))] | length >= 1' \
        "$T/out.json" >/dev/null || fail "$label: log4j-core with CVE-2021-44228 not reported: $(cat "$T/out.json")"
}

[ "$JVM" = 0 ] || jvm_calls_back "$CORE" baseline

# ---- 1. zip structure as the JVM reads it ----------------------------------------
python3 "$ADV" comment "$CORE" "$T/comment.jar"
jvm_calls_back "$T/comment.jar" comment
scan_finds comment "$T/comment.jar"
jq -e -s '[.[] | select(.type == "warning" and (.reason | test("second central directory")))] | length == 1' "$T/out.json" >/dev/null ||
    fail "comment: the second (fake) directory is not reported as a warning: $(cat "$T/out.json")"
# nested in a war, too (the nested path)
mkdir -p "$T/w/WEB-INF/lib" && cp "$T/comment.jar" "$T/w/WEB-INF/lib/"
(cd "$T/w" && python3 -c 'import shutil; shutil.make_archive("../app", "zip", ".")')
scan_finds comment-in-war "$T/app.zip"
ok "1: fake directory in the zip comment + non-ASCII name: read as the JVM reads it"

# ---- 2. names are not content ------------------------------------------------------
mkdir "$T/d2"
cp "$CORE" "$T/d2/library.class"
jvm_calls_back "$T/d2/library.class" library.class
scan_finds library.class-in-dir "$T/d2"
scan_finds library.class "$T/d2/library.class"
python3 "$ADV" renamed "$CORE" "$T/renamed.jar"
scan_finds X.classrenamed "$T/renamed.jar"
scan_finds nested-library.class "$T/renamed-nested.jar"
mkdir -p "$T/d3/opt" && python3 -c '
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
n = [x for x in z.namelist() if x.endswith("lookup/JndiLookup.class")][0]
open(sys.argv[2], "wb").write(z.read(n))' "$CORE" "$T/d3/opt/Foo.class"
scan_finds Foo.class-in-dir "$T/d3"
ok "2: library.class, X.classrenamed, Foo.class, a jar as lib/library.class: found by content"

# ---- 3. zeros and sparse data are not bombs -----------------------------------------
if command -v zstd >/dev/null; then
    python3 "$ADV" zerotar "$CORE" $((300 << 20)) | zstd -q -1 -T2 >"$T/zeros.tar.zst"
    mkdir "$T/x3" && tar --zstd -xf "$T/zeros.tar.zst" -C "$T/x3" app/log4j-core.jar
    jvm_calls_back "$T/x3/app/log4j-core.jar" zeros.tar.zst-member
    scan_finds zeros.tar.zst "$T/zeros.tar.zst"
    ! grep -q 'bomb' "$T/err" || fail "zeros.tar.zst: called a bomb: $(cat "$T/err")"
fi
mkdir -p "$T/s3/app" && truncate -s 300M "$T/s3/lastlog" && cp "$CORE" "$T/s3/app/log4j-core.jar"
tar -C "$T/s3" -S -czf "$T/sparse.tar.gz" lastlog app
rm -f "$T/s3/lastlog"
scan_finds sparse.tar.gz "$T/sparse.tar.gz"
! grep -q 'bomb' "$T/err" || fail "sparse.tar.gz: called a bomb: $(cat "$T/err")"
ok "3: 300 MB of zeros / a sparse file before the jar: not a bomb, jar found"

# ---- 4. a bad CRC is not a mitigation -------------------------------------------------
python3 "$ADV" badcrc "$CORE" "$T/badcrc.jar"
jvm_calls_back "$T/badcrc.jar" badcrc
scan_finds badcrc "$T/badcrc.jar"
jq -e -s '[.[] | select(.type == "component" and .jndilookup == "present")] | length >= 1' \
    "$T/out.json" >/dev/null || fail "badcrc: JndiLookup not present"
r=0
"$DEFUSE" scan --no-progress --fix --dry-run "$T/badcrc.jar" >/dev/null 2>"$T/dry" || r=$?
grep -q 'would remove' "$T/dry" || fail "badcrc: --fix would skip it: $(cat "$T/dry")"
ok "4: JndiLookup.class with a wrong CRC is present, and --fix would remove it"

# ---- 5. FIFO, /dev/stdin, process substitution, character device ----------------------
mkfifo "$T/fifo"
timeout 120 cp "$CORE" "$T/fifo" </dev/null >/dev/null 2>&1 &
WP=$!
scan_finds fifo "$T/fifo"
wait "$WP"
WP=""
cat "$CORE" | scan_finds /dev/stdin /dev/stdin
scan_finds process-substitution <(cat "$CORE")
tar -C "$(dirname "$CORE")" -czf "$T/core.tgz" "$(basename "$CORE")"
scan_finds tar.gz-through-a-pipe <(cat "$T/core.tgz")
r=0
"$DEFUSE" scan --no-progress /dev/null >"$T/out" 2>"$T/err" || r=$?
[ "$r" = 2 ] && grep -q '/dev/null' "$T/err" || fail "/dev/null: exit $r, want 2 with an error: $(cat "$T/err")"
ok "5: FIFO, /dev/stdin, <(...) read as streams; a character device refused (exit 2)"
echo PASS
