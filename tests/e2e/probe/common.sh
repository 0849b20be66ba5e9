# common.sh -- shared helpers of the `defuse probe` end-to-end tests
# (sourced after honeypot/common.sh: $T, bg_start, freeports, fail, ok).
# Provides: victim_jars 2.14.1|fixed (prints a classpath or returns 1),
# victim_start CP PORT (compiles ProbeVictim.java once, waits for "ready"),
# exploitable_points JSON (the sorted injection points that called back).
PROBE_DIR="$DEFUSE_SRC/tests/e2e/probe"
CORPUS_JARS="${DEFUSE_CORPUS:-/nonexistent}/jars/mergebase-log4j-samples"

victim_jars() {
    case "$1" in
    2.14.1)
        local a="$CORPUS_JARS/false-hits/log4j-api-2.14.1.jar" c="$CORPUS_JARS/true-hits/log4j-core-2.14.1.jar"
        [ -f "$a" ] && [ -f "$c" ] && echo "$a:$c" ;;
    fixed) # Debian's liblog4j2-java (2.19.0 on bookworm; JNDI lookups off by default)
        local a c
        a=$(ls /usr/share/java/log4j-api-2.*.jar 2>/dev/null | head -1)
        c=$(ls /usr/share/java/log4j-core-2.*.jar 2>/dev/null | head -1)
        [ -n "$a" ] && [ -n "$c" ] && echo "$a:$c" ;;
    esac
}

victim_start() { # CP PORT [name]
    local cp=$1 port=$2 name=${3:-victim}
    [ -f "$T/ProbeVictim.class" ] || javac -cp "$cp" -d "$T" "$PROBE_DIR/ProbeVictim.java" ||
        fail "javac ProbeVictim"
    bg_start java -cp "$cp:$T" ProbeVictim "$port" >"$T/$name.out" 2>&1
    local i
    for i in $(seq 1 200); do
        grep -q ready "$T/$name.out" && return 0
        sleep 0.05
    done
    fail "$name did not start: $(tail -5 "$T/$name.out")"
}

exploitable_points() { # probe JSON file -> "point point ..." sorted
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(" ".join(sorted(p["point"] for t in r["targets"] for p in t["points"] if p["exploitable"])))' "$1"
}
