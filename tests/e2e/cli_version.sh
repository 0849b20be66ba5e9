#!/usr/bin/env bash
# cli_version.sh -- `--version` (and -V) of defuse, after every subcommand,
# and of the sibling programs defuse-scan and defuse-honeypot: exit 0, the
# program's version, and the vulnerability data built in, named by the
# sha256 of data/vulndb.json (computed here, independently) and a date.
set -u
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
dir=$(dirname "$DEFUSE")
fails=0
want_sha=$(sha256sum "$DEFUSE_SRC/data/vulndb.json" | cut -c1-12)
want_ver=$(sed -n 's/^project(defuse VERSION \([0-9.]*\).*/\1/p' "$DEFUSE_SRC/CMakeLists.txt")
check() { # DESC PROGNAME CMD...
    local desc=$1 name=$2; shift 2
    local out rc
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" != 0 ]; then echo "FAIL: $desc: exit $rc: $out"; fails=$((fails + 1)); return; fi
    if ! grep -qx "$name $want_ver" <<<"$out"; then
        echo "FAIL: $desc: no line '$name $want_ver' in: $out"; fails=$((fails + 1)); return
    fi
    if ! grep -Eq "^vulndb defuse-vulndb/1 sha256:$want_sha of [0-9]{4}-[0-9]{2}-[0-9]{2} \([0-9]+ vulnerabilities\)$" <<<"$out"; then
        echo "FAIL: $desc: no vulndb line with sha256:$want_sha and a date in: $out"
        fails=$((fails + 1)); return
    fi
    echo "ok:   $desc"
}
check "defuse --version" defuse "$DEFUSE" --version
check "defuse -V" defuse "$DEFUSE" -V
check "defuse logs --version" defuse "$DEFUSE" logs --version
check "defuse explain --version" defuse "$DEFUSE" explain --version
# (defuse scan and defuse honeypot run the sibling programs, which name themselves)
check "defuse scan --version" defuse-scan "$DEFUSE" scan --version
check "defuse honeypot --version" defuse-honeypot "$DEFUSE" honeypot --version
check "defuse logs -V" defuse "$DEFUSE" logs -V
check "defuse-scan --version" defuse-scan "$dir/defuse-scan" --version
check "defuse-honeypot --version" defuse-honeypot "$dir/defuse-honeypot" --version
check "defuse-scan -V" defuse-scan "$dir/defuse-scan" -V
# `--` ends the options: a payload spelled --version is explained, not eaten.
out=$("$DEFUSE" explain -- --version 2>&1)
if grep -q "^vulndb" <<<"$out"; then echo "FAIL: explain -- --version printed the version"; fails=$((fails + 1))
else echo "ok:   explain -- --version is a payload"; fi
[ "$fails" = 0 ]
