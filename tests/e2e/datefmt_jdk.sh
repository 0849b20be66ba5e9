#!/usr/bin/env bash
# datefmt_jdk.sh -- differential test of lib/datefmt.c against the real
# java.text.SimpleDateFormat of the installed JDK (en_US): random patterns
# (every letter, counts 1..6 and large, quotes, '', unterminated quotes,
# illegal letters, non-ASCII, punctuation) over edge times and zones must
# format byte-identically.  Skips (77) without java/javac.
set -euo pipefail
: "${DEFUSE_SRC:?}" "${DEFUSE_BUILD:?}"
for t in java javac; do
    command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
EVAL="$DEFUSE_BUILD/datefmt_eval"
[ -x "$EVAL" ] || { echo "FAIL: $EVAL not built"; exit 1; }
COUNT=${DATEFMT_COUNT:-4000}
SEED=${DATEFMT_SEED:-20211210}

cls="$DEFUSE_BUILD/datefmt-java"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$cls"
if [ ! -f "$cls/DateFmtOracle.class" ] ||
   [ "$DEFUSE_SRC/tests/tools/DateFmtOracle.java" -nt "$cls/DateFmtOracle.class" ]; then
    javac -d "$cls" "$DEFUSE_SRC/tests/tools/DateFmtOracle.java"
fi
JAVA=(java -Xshare:auto -XX:TieredStopAtLevel=1 -Duser.language=en -Duser.country=US -cp "$cls" DateFmtOracle)

"${JAVA[@]}" gen "$COUNT" "$SEED" >"$work/in.tsv"
"${JAVA[@]}" <"$work/in.tsv" >"$work/java.out"
"$EVAL" <"$work/in.tsv" >"$work/c.out"

total=$(wc -l <"$work/in.tsv")
if ! cmp -s "$work/java.out" "$work/c.out"; then
    paste "$work/in.tsv" "$work/java.out" "$work/c.out" |
        awk -F'\t' '$4 != $5 { n++; if (n <= 10) print "MISMATCH ms=" $1 " tz=" $2 " pattern=" $3 "\n  java=" $4 "\n  C   =" $5 } END { print n " of " NR " differ" }'
    exit 1
fi
echo "datefmt: $total patterns byte-identical to the JDK's SimpleDateFormat (seed $SEED)"
