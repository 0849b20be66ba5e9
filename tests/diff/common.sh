# common.sh -- shared set-up of the differential tests against real log4j
# (sourced by tests/e2e/diff_log4j.sh, tests/e2e/corpus_*.sh and
# tests/diff/stress.sh; see docs/differential-testing.md).
#
# Needs DEFUSE_BUILD (the build directory holding defuse_eval).  Exits 77
# (skip) when java/javac or Debian's log4j jars are missing.  After
# diff_setup:
#   ORACLE       command prefix of the real-log4j oracle (Debian 2.19 jars,
#                patched and configured to behave as 2.14.1); run as
#                "$ORACLE eval < cases > results"
#   ORACLE_2141  the same oracle on the real 2.14.1 jars of the corpus, or
#                empty when $DEFUSE_CORPUS does not have them
#   EVAL         path of defuse_eval
#   DIFF_TMP     a scratch directory removed on exit
# Environment:
#   DEFUSE_DIFF_LOG4J=2.14.1  use the corpus's real 2.14.1 jars as ORACLE

DIFF_SRC=${DEFUSE_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LOG4J_API=${DEFUSE_LOG4J_API:-/usr/share/java/log4j-api.jar}
LOG4J_CORE=${DEFUSE_LOG4J_CORE:-/usr/share/java/log4j-core.jar}
CORPUS_2141_API=${DEFUSE_CORPUS:-/nonexistent}/jars/mergebase-log4j-samples/false-hits/log4j-api-2.14.1.jar
CORPUS_2141_CORE=${DEFUSE_CORPUS:-/nonexistent}/jars/mergebase-log4j-samples/true-hits/log4j-core-2.14.1.jar

diff_skip() {
    echo "SKIP: $*"
    exit 77
}

diff_setup() {
    : "${DEFUSE_BUILD:?DEFUSE_BUILD must name the build directory}"
    command -v java >/dev/null 2>&1 || diff_skip "java not installed"
    command -v javac >/dev/null 2>&1 || diff_skip "javac not installed"
    [ -r "$LOG4J_API" ] && [ -r "$LOG4J_CORE" ] || diff_skip "log4j jars missing ($LOG4J_API, $LOG4J_CORE)"
    EVAL=$DEFUSE_BUILD/defuse_eval
    [ -x "$EVAL" ] || { echo "FAIL: $EVAL not built"; exit 1; }

    DIFF_TMP=$(mktemp -d "${TMPDIR:-/tmp}/defuse-diff.XXXXXX")
    trap 'rm -rf "$DIFF_TMP"' EXIT

    # Compile (once per source change) under a lock: ctest runs tests in
    # parallel and they share the class directory.
    local classes=$DEFUSE_BUILD/diff-classes
    mkdir -p "$classes"
    (
        flock 9
        local stamp=$classes/.stamp newest
        newest=$(ls -t "$DIFF_SRC"/tests/diff/*.java "$LOG4J_CORE" "$stamp" 2>/dev/null | head -1)
        if [ "$newest" != "$stamp" ]; then
            rm -rf "$classes/bin" "$classes/patched"
            mkdir -p "$classes/bin" "$classes/patched"
            javac -nowarn -encoding UTF-8 -cp "$LOG4J_API:$LOG4J_CORE" -d "$classes/bin" \
                "$DIFF_SRC"/tests/diff/*.java || exit 1
            java -cp "$classes/bin:$LOG4J_API:$LOG4J_CORE" Log4jDiff patch "$LOG4J_CORE" \
                "$classes/patched" || exit 1
            touch "$stamp"
        fi
    ) 9>"$classes.lock" || { echo "FAIL: could not build the Java oracle"; exit 1; }

    # lower/upper use the default locale; dates are formatted in UTC.
    local jopts=(-Duser.language=en -Duser.country=US -Duser.timezone=UTC -Xss8m -XX:+UseSerialGC
                 -XX:TieredStopAtLevel=1)
    JAVA_TOOL=(java -cp "$classes/bin:$LOG4J_API:$LOG4J_CORE" Log4jDiff)
    ORACLE_DEBIAN=(java "${jopts[@]}" -cp "$classes/bin:$classes/patched:$LOG4J_API:$LOG4J_CORE" Log4jDiff)
    ORACLE_2141=()
    if [ -r "$CORPUS_2141_API" ] && [ -r "$CORPUS_2141_CORE" ]; then
        ORACLE_2141=(java "${jopts[@]}" -cp "$classes/bin:$CORPUS_2141_API:$CORPUS_2141_CORE" Log4jDiff)
    fi
    if [ "${DEFUSE_DIFF_LOG4J:-}" = 2.14.1 ]; then
        [ ${#ORACLE_2141[@]} -gt 0 ] || diff_skip "DEFUSE_DIFF_LOG4J=2.14.1 but the corpus jars are missing"
        ORACLE=("${ORACLE_2141[@]}")
    else
        ORACLE=("${ORACLE_DEBIAN[@]}")
    fi
}
