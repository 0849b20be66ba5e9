#!/usr/bin/env bash
# build_peers.sh -- builds the scanners defuse scan is compared with from their
# sources (read-only git mirrors fetched by the session tooling, or any checkout):
#   logpresso/CVE-2021-44228-Scanner (needs Debian's libcommons-compress-java)
#   mergebase/log4j-detector
# Usage: build_peers.sh LOGPRESSO_SRC MERGEBASE_SRC OUTDIR
# Each SRC may be a checkout or a bare git mirror (then HEAD is exported).
set -euo pipefail
LP=${1:?logpresso source}; MB=${2:?mergebase source}; OUT=${3:?output dir}
mkdir -p "$OUT/lp" "$OUT/mb"
export_src() { # src dest
    if [ -d "$1/src" ]; then cp -r "$1/src" "$2/"; else git -C "$1" archive HEAD src/main/java | tar -x -C "$2"; fi
}
export_src "$LP" "$OUT/lp"; export_src "$MB" "$OUT/mb"
CC=/usr/share/java/commons-compress.jar
[ -f "$CC" ] || { echo "install libcommons-compress-java" >&2; exit 1; }
mkdir -p "$OUT/lp/out" "$OUT/mb/out"
javac -nowarn -cp "$CC" -d "$OUT/lp/out" $(find "$OUT/lp/src/main/java" -name '*.java') 2>&1 | grep -v '^Note:' || true
javac -nowarn -d "$OUT/mb/out" $(find "$OUT/mb/src/main/java" -name '*.java') 2>&1 | grep -v '^Note:' || true
cat >"$OUT/logpresso" <<EOS
#!/bin/sh
exec java -cp "$OUT/lp/out:$CC" com.logpresso.scanner.Log4j2Scanner "\$@"
EOS
cat >"$OUT/mergebase" <<EOS
#!/bin/sh
exec java -cp "$OUT/mb/out" com.mergebase.log4j.Log4JDetector "\$@"
EOS
chmod +x "$OUT/logpresso" "$OUT/mergebase"
echo "built $OUT/logpresso $OUT/mergebase"
