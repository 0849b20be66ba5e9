#!/usr/bin/env bash
# run.sh -- benchmark of `defuse scan` beside logpresso/CVE-2021-44228-Scanner and
# mergebase/log4j-detector (built from source by build_peers.sh) on the same trees
# in the same run: the jar corpus and a synthetic 200k-file tree (make_tree.py).
# Reports wall time, CPU time, files/s, MB/s, peak RSS, and whether defuse covers
# every finding of the other two (compare.py).
# Each tool runs RUNS (default 3) times in turn; the best wall time and the
# best CPU time (user+sys) are reported, since the machine may be shared.
# defuse runs twice per tree: `--json` (every component file hashed with
# SHA-256, for CycloneDX/SARIF/JSON consumers) and `--json --no-hashes` (the
# same walk and findings, jars read only where needed).  With OLD=BINARY an
# earlier build of defuse runs beside it (no --no-hashes: it has none) to show
# whether the walk got slower.
# Usage: [RUNS=N] [OLD=BINARY] run.sh DEFUSE PEERS_DIR CORPUS_JARS [WORKDIR]
set -euo pipefail
DEFUSE=${1:?defuse binary}; PEERS=${2:?dir with logpresso/mergebase wrappers}
CORPUS=${3:?corpus jars dir}; W=${4:-/tmp/defuse-scan-bench}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$W"
[ -d "$W/tree" ] || python3 "$HERE/make_tree.py" "$CORPUS" "$W/tree"
RUNS=${RUNS:-3}   # each tool runs RUNS times per tree; the best wall and best CPU are kept
measure() { # name outfile cmd...
    local name=$1 out=$2; shift 2
    local bw="" bc="" rss=0 i wall usr sys r cpu
    for i in $(seq 1 "$RUNS"); do
        /usr/bin/time -f "%e %U %S %M" -o "$W/$name.time" "$@" >"$out" 2>"$W/$name.err" || true
        read -r wall usr sys r < <(tail -1 "$W/$name.time")
        cpu=$(echo "$usr + $sys" | bc)
        [ -z "$bw" ] || [ "$(echo "$wall < $bw" | bc)" = 1 ] && bw=$wall
        [ -z "$bc" ] || [ "$(echo "$cpu < $bc" | bc)" = 1 ] && bc=$cpu
        [ "$r" -gt "$rss" ] && rss=$r
    done
    echo "$bw $bc $rss" >"$W/$name.best"
    printf '%-10s %-8s wall %6.2f s  cpu %6.2f s  peak %7.1f MiB  (best of %d)\n' "$name" "$T" "$bw" \
        "$bc" "$(echo "scale=1; $rss / 1024" | bc)" "$RUNS"
}
for T in corpus tree; do
    dir=$([ $T = corpus ] && echo "$CORPUS" || echo "$W/tree")
    files=$(find "$dir" -type f | wc -l); bytes=$(du -sb "$dir" | cut -f1)
    echo "== $T: $files files, $((bytes / 1000000)) MB"
    cat "$dir" >/dev/null 2>&1 || true
    find "$dir" -type f -print0 | xargs -0 cat >/dev/null   # warm the page cache
    (cd "$dir" && measure defuse "$W/d_$T.json" "$DEFUSE" scan --no-progress --json .)
    (cd "$dir" && measure defuse-nh "$W/dnh_$T.json" "$DEFUSE" scan --no-progress --json --no-hashes .)
    [ -z "${OLD:-}" ] || (cd "$dir" && measure old "$W/old_$T.json" "$OLD" scan --no-progress --json .)
    (cd "$dir" && measure logpresso "$W/lp_$T.txt" "$PEERS/logpresso" .)
    (cd "$dir" && measure mergebase "$W/mb_$T.txt" "$PEERS/mergebase" .)
    read -r wall cpu _ <"$W/defuse.best"
    read -r lw lc _ <"$W/logpresso.best"
    read -r mw mc _ <"$W/mergebase.best"
    echo "defuse: $(echo "scale=0; $files / $wall" | bc) files/s, $(echo "scale=1; $bytes / 1000000 / $wall" | bc) MB/s;" \
        "speed-up wall ${lw}/${wall} = $(echo "scale=1; $lw / $wall" | bc)x (logpresso)," \
        "$(echo "scale=1; $mw / $wall" | bc)x (mergebase); CPU $(echo "scale=1; $lc / $cpu" | bc)x," \
        "$(echo "scale=1; $mc / $cpu" | bc)x"
    read -r nw nc _ <"$W/defuse-nh.best"
    echo "defuse --no-hashes: speed-up wall $(echo "scale=1; $lw / $nw" | bc)x (logpresso)," \
        "CPU $(echo "scale=1; $lc / $nc" | bc)x; hashing costs $(echo "scale=0; ($wall - $nw) * 1000 / 1" | bc) ms wall"
    if [ -n "${OLD:-}" ]; then
        read -r ow oc _ <"$W/old.best"
        echo "old build: speed-up wall $(echo "scale=1; $lw / $ow" | bc)x (logpresso); this build / old:" \
            "wall $(echo "scale=2; $wall / $ow" | bc) (--no-hashes $(echo "scale=2; $nw / $ow" | bc))," \
            "CPU $(echo "scale=2; $cpu / $oc" | bc) (--no-hashes $(echo "scale=2; $nc / $oc" | bc))"
    fi
    python3 "$HERE/compare.py" "$dir" "$W/d_$T.json" "$W/lp_$T.txt" "$W/mb_$T.txt" || true
done
