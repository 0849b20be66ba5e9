#!/usr/bin/env bash
# run.sh -- the `defuse logs` benchmark, in one run on the same files:
# throughput (seconds, MB/s) and findings of
#   defuse logs --jobs=1 and --jobs=2 (built here from the tree, Release;
#   default output, and with --jobs=1 also --json, --summary and -q),
#   rg -c -F '${' and rg -n -F '${' (Debian's ripgrep),
#   wc -l,
#   Neo23x0/log4shell-detector (Debian's python3; on a slice: it runs at
#   well under 1 MB/s),
# on two inputs made in a work directory outside git:
#   clean.log   the benign corpus (../shared/corpus/logs/benign, every file
#               in sorted order) concatenated repeatedly to >= CLEAN_MB
#   attack.log  benign lines with one obfuscated payload line every RATE
#               lines (gen_attack.py), ATTACK_MB; every payload's expected
#               JNDI name is checked against real log4j 2.14.1 (the
#               project's oracle, tests/diff/Log4jDiff.java) before timing.
# Then score.py writes the tables (MB/s on wall and on CPU time, ratios to
# defuse --jobs=1, recall on the attack file) to $WORK/results.md and
# $WORK/results.json; docs/benchmarks-logs.md records a run.
#
# Usage: bench/logs/run.sh [--write-docs]
#   --write-docs  also put the results into docs/benchmarks-logs.md (between
#                 its results markers)
# Environment (defaults in brackets):
#   BENCH_WORK  work directory [bench/work/logs, git-ignored]
#   BENCH_BUILD build directory [build-bench]; DEFUSE=path skips the build
#   L4SD_DIR    log4shell-detector tree [/work/bench-peers/log4shell-detector]
#               (extracted from github:Neo23x0/log4shell-detector; never
#               copied into this repository); rows skipped if absent
#   CLEAN_MB [250]  ATTACK_MB [100]  RATE [10]  SEED [44228]
#   L4SD_CLEAN_MB [25]  L4SD_ATTACK_MB [10]  slices given to the detector
#   RUNS [5]    runs per fast tool (best wall and best CPU reported);
#               the detector runs once
#   ORACLE [1]  0 skips the real-log4j check of the generated payloads
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
corpus=${DEFUSE_CORPUS:-$src/../shared/corpus}
WORK=${BENCH_WORK:-$src/bench/work/logs}
BUILD=${BENCH_BUILD:-$src/build-bench}
L4SD_DIR=${L4SD_DIR:-/work/bench-peers/log4shell-detector}
CLEAN_MB=${CLEAN_MB:-250} ATTACK_MB=${ATTACK_MB:-100} RATE=${RATE:-10} SEED=${SEED:-44228}
L4SD_CLEAN_MB=${L4SD_CLEAN_MB:-25} L4SD_ATTACK_MB=${L4SD_ATTACK_MB:-10}
RUNS=${RUNS:-5} ORACLE=${ORACLE:-1}
PY=/usr/bin/python3          # Debian's python3, as the detector's README asks
write_docs=0
case "${1:-}" in
    --write-docs) write_docs=1 ;;
    "") ;;
    *) echo "usage: bench/logs/run.sh [--write-docs]" >&2; exit 2 ;;
esac

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

[ -d "$corpus/logs/benign" ] || die "benign corpus missing: $corpus/logs/benign"
for t in rg wc "$PY"; do command -v "$t" >/dev/null || die "$t not installed"; done
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

# ---- build ---------------------------------------------------------------
build_note=""
if [ -n "${DEFUSE:-}" ]; then
    build_note="prebuilt $DEFUSE"
else
    say "building defuse (Release) in $BUILD"
    if cmake -S "$src" -B "$BUILD" -G Ninja -DDEFUSE_NGINX=OFF -DCMAKE_BUILD_TYPE=Release \
            >"$WORK/build.log" 2>&1 && ninja -C "$BUILD" defuse >>"$WORK/build.log" 2>&1; then
        build_note="built from the tree"
    elif [ -x "$BUILD/defuse" ]; then
        say "build FAILED (see $WORK/build.log); using the previous $BUILD/defuse"
        build_note="BUILD FAILED, previous binary used"
    else
        die "build failed, see $WORK/build.log"
    fi
    DEFUSE=$BUILD/defuse
fi
help=$("$DEFUSE" logs --help 2>&1) || true
for opt in --jobs --json --summary --quiet; do
    grep -q -- "$opt" <<<"$help" || die "defuse logs --help has no $opt; adapt run.sh"
done

# ---- inputs ----------------------------------------------------------------
# Each input is rebuilt only when its parameters (or the generator) change.
stamp() { printf '%s\n' "$@" | sha256sum | cut -c1-16; }
clean_key=$(stamp "$CLEAN_MB" "$(cd "$corpus/logs/benign" && find . -type f -printf '%p %s\n' | sort)")
if [ "$(cat "$WORK/clean.key" 2>/dev/null)" != "$clean_key" ] || [ ! -s "$WORK/clean.log" ]; then
    say "making clean.log (>= $CLEAN_MB MB of the benign corpus, repeated)"
    mapfile -d '' files < <(find "$corpus/logs/benign" -type f -print0 | sort -z)
    : >"$WORK/clean.log"
    while [ "$(stat -c %s "$WORK/clean.log")" -lt $((CLEAN_MB * 1000000)) ]; do
        awk 1 "${files[@]}" >>"$WORK/clean.log"     # awk 1: a newline after each file
    done
    echo "$clean_key" >"$WORK/clean.key"
fi
attack_key=$(stamp "$clean_key" "$ATTACK_MB" "$RATE" "$SEED" "$(sha256sum "$here/gen_attack.py")")
if [ "$(cat "$WORK/attack.key" 2>/dev/null)" != "$attack_key" ] || [ ! -s "$WORK/attack.log" ]; then
    say "making attack.log ($ATTACK_MB MB, a payload line every $RATE lines)"
    "$PY" "$here/gen_attack.py" "$WORK/clean.log" "$WORK/attack.log" "$WORK/attack.truth.jsonl" \
        $((ATTACK_MB * 1000000)) "$RATE" "$SEED"
    echo "$attack_key" >"$WORK/attack.key"
fi

# The detector's slices: the first N MB of the same files, cut at a line end,
# with each byte that is not part of valid UTF-8 replaced by '?' (same size,
# same line numbers). The detector opens files as text and silently stops
# reading a file at its first invalid UTF-8 byte; the corpus's honeynet logs
# have such bytes.
slice() { # slice IN OUT MB
    "$PY" - "$1" "$2" "$3" <<'PY'
import codecs, sys
codecs.register_error("qmark", lambda e: ("?", e.start + 1))
src, dst, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, "rb") as f:
    d = f.read(mb * 1000000)
d = d[:d.rfind(b"\n") + 1]
with open(dst, "wb") as f:
    f.write(d.decode("utf-8", "qmark").encode("utf-8"))
if not d[:2048].isascii():   # the detector would skip the whole file, silently
    sys.exit("run.sh: %s starts with non-ASCII bytes: log4shell-detector would skip it" % dst)
PY
}
have_l4sd=0
if [ -f "$L4SD_DIR/log4shell-detector.py" ]; then
    have_l4sd=1
    slice "$WORK/clean.log" "$WORK/l4sd-clean.log" "$L4SD_CLEAN_MB"
    slice "$WORK/attack.log" "$WORK/l4sd-attack.log" "$L4SD_ATTACK_MB"
else
    say "log4shell-detector not found in $L4SD_DIR: its rows are skipped"
fi

# ---- the payloads are real: check them against real log4j 2.14.1 ------------
oracle_note="not checked (ORACLE=0 or java/jars missing)"
api=$corpus/jars/mergebase-log4j-samples/false-hits/log4j-api-2.14.1.jar
core=$corpus/jars/mergebase-log4j-samples/true-hits/log4j-core-2.14.1.jar
if [ "$ORACLE" = 1 ] && command -v javac >/dev/null && [ -r "$api" ] && [ -r "$core" ] \
        && [ -r /usr/share/java/log4j-core.jar ]; then
    say "checking every generated payload against real log4j 2.14.1"
    rm -rf "$WORK/oracle" && mkdir -p "$WORK/oracle"
    # Compiled against Debian's jars (Sub219.java needs 2.19), run on 2.14.1.
    javac -nowarn -encoding UTF-8 -cp /usr/share/java/log4j-api.jar:/usr/share/java/log4j-core.jar \
        -d "$WORK/oracle" "$src"/tests/diff/*.java
    if oracle_note=$("$PY" "$here/oracle_check.py" "$WORK/attack.truth.jsonl" 100000000 -- \
            java -Duser.language=en -Duser.country=US -Duser.timezone=UTC -Xss8m -XX:+UseSerialGC \
            -XX:TieredStopAtLevel=1 -cp "$WORK/oracle:$api:$core" Log4jDiff eval); then :; else
        say "some generated payloads do not fire as expected:"; printf '%s\n' "$oracle_note" >&2
        oracle_note=$(head -1 <<<"$oracle_note")
    fi
    say "$oracle_note"
fi

# ---- measurements ------------------------------------------------------------
results=$WORK/results.jsonl
: >"$results"
rm -f "$WORK"/out.* "$WORK"/err.*
warm() { cat "$@" >/dev/null; }
# measure LABEL TOOL INPUT FILE PARSE RUNS REF -- COMMAND...
measure() {
    local label=$1 tool=$2 input=$3 file=$4 parse=$5 runs=$6 ref=$7 n
    shift 8
    n=$(wc -l <"$file")
    local tag; tag=$(tr -c 'A-Za-z0-9\n' _ <<<"$label-$input")
    say "$label on $(basename "$file") ($runs run(s))"
    warm "$file"
    local timing
    timing=$("$PY" "$here/timeit.py" "$runs" "$WORK/out.$tag" "$WORK/err.$tag" -- "$@")
    "$PY" - "$label" "$tool" "$input" "$file" "$parse" "$ref" "$n" "$WORK/out.$tag" \
        "$WORK/err.$tag" "$timing" >>"$results" <<'PY'
import json, os, sys
label, tool, inp, path, parse, ref, n, out, err, timing = sys.argv[1:]
t = json.loads(timing)
bad = [c for c in t["exit"] if c not in (0, 1)]
if bad:
    sys.stderr.write("run.sh: %s exited %s; see %s\n" % (label, bad, err))
print(json.dumps({"label": label, "tool": tool, "input": inp, "path": path,
                  "bytes": os.path.getsize(path), "lines": int(n), "parse": parse,
                  "timing": t, "out": out, "err": err, "ref": ref == "ref"}))
PY
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for input in clean attack; do
    f=$WORK/$input.log
    # The reference row: default output (for people), one thread.
    measure "defuse logs --jobs=1" defuse "$input" "$f" defuse-text "$RUNS" ref -- \
        "$DEFUSE" logs --jobs=1 "$f"
    measure "defuse logs --jobs=2" defuse "$input" "$f" defuse-text "$RUNS" - -- \
        "$DEFUSE" logs --jobs=2 "$f"
    measure "defuse logs --jobs=1 --json" defuse "$input" "$f" defuse-json "$RUNS" - -- \
        "$DEFUSE" logs --jobs=1 --json "$f"
    measure "defuse logs --jobs=1 --summary" defuse "$input" "$f" defuse-text "$RUNS" - -- \
        "$DEFUSE" logs --jobs=1 --summary "$f"
    measure "defuse logs --jobs=1 -q" defuse "$input" "$f" defuse-quiet "$RUNS" - -- \
        "$DEFUSE" logs --jobs=1 -q "$f"
    # shellcheck disable=SC2016  # the literal ${ is the pattern
    measure "rg -c -F '\${'" rg "$input" "$f" rg-count "$RUNS" - -- rg -c -F '${' "$f"
    # shellcheck disable=SC2016
    measure "rg -n -F '\${'" rg "$input" "$f" rg-lines "$RUNS" - -- rg -n -F '${' "$f"
    measure "wc -l" wc "$input" "$f" wc "$RUNS" - -- wc -l "$f"
    if [ "$have_l4sd" = 1 ]; then
        # -f FILE: scan one file; --silent: no banner; --debug: makes it
        # name a file it gave up on (otherwise silent), checked by score.py.
        ( cd "$L4SD_DIR" && measure "log4shell-detector" l4sd "$input" "$WORK/l4sd-$input.log" \
            l4sd 1 - -- "$PY" log4shell-detector.py -f "$WORK/l4sd-$input.log" --silent --debug )
    fi
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ------------------------------------------------------------------
{
    echo "## Run of $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- Command: \`bench/logs/run.sh\` (RUNS=$RUNS, CLEAN_MB=$CLEAN_MB, ATTACK_MB=$ATTACK_MB," \
         "RATE=$RATE, SEED=$SEED, L4SD_CLEAN_MB=$L4SD_CLEAN_MB, L4SD_ATTACK_MB=$L4SD_ATTACK_MB)"
    # shellcheck disable=SC1091
    echo "- Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
         "$(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM," \
         "Linux $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME");" \
         "load average before/after: $load_before / $load_after (shared machine)"
    dirty=""
    [ -n "$(git -C "$src" status --porcelain -- lib cli include 2>/dev/null)" ] &&
        dirty=" + uncommitted changes in lib/ cli/ include/"
    echo "- defuse: $("$DEFUSE" --version 2>&1 | sed -n 1p), tree $(git -C "$src" rev-parse --short HEAD)$dirty," \
         "$build_note"
    l4sd_ver=""
    [ "$have_l4sd" = 1 ] && l4sd_ver="; log4shell-detector $(sed -n 's/^__version__ = "\(.*\)"/\1/p' \
        "$L4SD_DIR/log4shell-detector.py") at $(cat "$L4SD_DIR/.commit" 2>/dev/null || echo '?')"
    echo "- $(rg --version | sed -n 1p); $(wc --version | sed -n 1p); $("$PY" --version)$l4sd_ver"
    echo "- Inputs: clean.log $(stat -c %s "$WORK/clean.log") bytes, $(wc -l <"$WORK/clean.log") lines;" \
         "attack.log $(stat -c %s "$WORK/attack.log") bytes, $(wc -l <"$WORK/attack.log") lines," \
         "$(wc -l <"$WORK/attack.truth.jsonl") payload lines"
    echo "- Payload check: $oracle_note"
    echo
} >"$WORK/results.md"
"$PY" "$here/score.py" "$results" "$WORK/attack.truth.jsonl" "$WORK/tables.md" "$WORK/results.json" >/dev/null
cat "$WORK/tables.md" >>"$WORK/results.md"
cat "$WORK/results.md"
if [ "$write_docs" = 1 ]; then
    # Replace the part of docs/benchmarks-logs.md between the markers.
    "$PY" - "$src/docs/benchmarks-logs.md" "$WORK/results.md" <<'PY'
import sys
doc, res = sys.argv[1], sys.argv[2]
text = open(doc).read()
a, b = "<!-- results:begin -->", "<!-- results:end -->"
i, j = text.index(a) + len(a), text.index(b)
open(doc, "w").write(text[:i] + "\n" + open(res).read() + "\n" + text[j:])
PY
    say "results written into docs/benchmarks-logs.md"
fi
