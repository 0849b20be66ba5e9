#!/usr/bin/env bash
# scan_fix_host.sh -- `defuse scan --fix` and `--restore` on a real host's
# layouts (issue 10, items 6 and 8-11).  With the corpus's log4j-core 2.14.1
# and a JDK, a JVM loads the jar through a symbolic link and logs a
# ${jndi:ldap://127.0.0.1:PORT/...} payload: the loopback listener sees the
# callback before the fix and none after.  Without the corpus a small
# stand-in jar of our own is fixed and the JVM runs are skipped.
#   6 Debian layout: two links to one versioned jar; the target is fixed
#     once, the links stay links, --restore puts the target back
#   8 xattrs and the POSIX ACL kept by --fix and --restore; a hard-linked
#     jar refused with a message; --dry-run creates no backup directory
#   9 an immutable jar (chattr +i): one failure, no "removed" line, no
#     manifest record
#  10 --restore goes on past a missing and a tampered backup (each named,
#     exit 2) and does not re-create a deleted file unless --force
#  11 --backup-dir inside the scanned tree is excluded from the walk
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
command -v python3 >/dev/null && command -v jq >/dev/null && command -v unzip >/dev/null ||
    { echo "SKIP: python3/jq/unzip"; exit 77; }
T=$(mktemp -d)
LP=""
cleanup() {
    [ -z "$LP" ] || kill "$LP" 2>/dev/null || true
    chattr -i "$T"/imm/*.jar 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
M="${DEFUSE_CORPUS:-}/jars/mergebase-log4j-samples"
CORE="$M/true-hits/log4j-core-2.14.1.jar"
API="$M/false-hits/log4j-api-2.14.1.jar"
JNDI=org/apache/logging/log4j/core/lookup/JndiLookup.class
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
    echo "note: corpus jars or JDK absent: a stand-in jar is fixed, the JVM runs are skipped"
    CORE="$T/stand-in-log4j-core-2.14.1.jar"
    python3 "$DEFUSE_SRC/tests/e2e/scan_adversarial.py" synth "$CORE"
fi

# number of callbacks the JVM makes with $1 on its class path
jvm_callbacks() { # classpath-entry label
    local before after
    before=$(wc -l <"$T/conns")
    timeout 60 java -cp "$API:$1:$T/cls" Log4jVictim "\${jndi:ldap://127.0.0.1:$PORT/$2}" \
        >"$T/jvm.out" 2>&1 || true
    after=$(wc -l <"$T/conns")
    echo $((after - before))
}
has_jndi() { unzip -l "$1" 2>/dev/null | grep -q "$JNDI"; }
fix() { # backup-dir args...  -> exit status in $r, stderr in $T/err
    local b=$1
    shift
    r=0
    "$DEFUSE" scan --no-progress --json --fix --backup-dir "$b" "$@" >"$T/out.json" 2>"$T/err" || r=$?
}

# ---- 6. Debian layout: links to a versioned jar ---------------------------------------------
J="$T/java"
mkdir "$J"
cp "$CORE" "$J/log4j-core-2.14.1.jar"
ln -s log4j-core-2.14.1.jar "$J/log4j-core.jar"
ln -s log4j-core-2.14.1.jar "$J/log4j-core-2.jar"
cp "$CORE" "$T/orig6.jar"
if [ "$JVM" = 1 ]; then
    [ "$(jvm_callbacks "$J/log4j-core.jar" link-before)" -ge 1 ] ||
        fail "6: the JVM did not call back through the link before the fix: $(tail -3 "$T/jvm.out")"
fi
fix "$T/bk6" "$J/log4j-core.jar" "$J/log4j-core-2.jar"
[ -L "$J/log4j-core.jar" ] && [ -L "$J/log4j-core-2.jar" ] || fail "6: a link was replaced by a file"
! has_jndi "$J/log4j-core-2.14.1.jar" || fail "6: the link target still holds JndiLookup: $(cat "$T/err")"
[ "$(wc -l <"$T/bk6/manifest.jsonl")" = 1 ] || fail "6: target not fixed exactly once: $(cat "$T/bk6/manifest.jsonl")"
[ "$(jq -r .path "$T/bk6/manifest.jsonl")" = "$(readlink -f "$J/log4j-core-2.14.1.jar")" ] ||
    fail "6: manifest does not name the target"
if [ "$JVM" = 1 ]; then
    [ "$(jvm_callbacks "$J/log4j-core.jar" link-after)" = 0 ] || fail "6: the JVM still calls back through the link after --fix"
    grep -q 'logged\|ERROR' "$T/jvm.out" || true
fi
# a walk that follows links reports the link too: still one fix
cp "$T/orig6.jar" "$J/log4j-core-2.14.1.jar"
fix "$T/bk6b" --follow-symlinks "$J"
[ -L "$J/log4j-core.jar" ] || fail "6: --follow-symlinks walk replaced the link"
[ "$(wc -l <"$T/bk6b/manifest.jsonl")" = 1 ] || fail "6: fixed more than once through links"
"$DEFUSE" scan --restore "$T/bk6b" 2>"$T/err" || fail "6: restore: $(cat "$T/err")"
[ -L "$J/log4j-core.jar" ] && cmp -s "$J/log4j-core-2.14.1.jar" "$T/orig6.jar" || fail "6: restore did not give the target back"
ok "6: links kept, their target fixed once (JVM through the link: no callback), restored"

# ---- 8. xattrs, ACL, hard links, dry run ---------------------------------------------------
X="$T/x8"
mkdir "$X"
cp "$CORE" "$X/core.jar"
cp "$CORE" "$X/orig.jar"
python3 - "$X/core.jar" <<'EOF'
import os, struct, sys
p = sys.argv[1]
os.setxattr(p, "user.defuse.test", b"kept")
# POSIX ACL (v2): user::rw- user:1234:r-- group::r-- mask::r-- other::---
acl = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", t, perm, i) for t, perm, i in
      [(1, 6, 0xFFFFFFFF), (2, 4, 1234), (4, 4, 0xFFFFFFFF), (0x10, 4, 0xFFFFFFFF), (0x20, 0, 0xFFFFFFFF)])
try:
    os.setxattr(p, "system.posix_acl_access", acl)
except OSError as e:
    print("note: no POSIX ACL on this file system:", e)
EOF
xa() { python3 -c 'import os,sys; print(sorted((n, os.getxattr(sys.argv[1], n).hex()) for n in os.listxattr(sys.argv[1])))' "$1"; }
before=$(xa "$X/core.jar")
fix "$T/bk8" "$X/core.jar"
! has_jndi "$X/core.jar" || fail "8: not fixed: $(cat "$T/err")"
[ "$(xa "$X/core.jar")" = "$before" ] || fail "8: xattrs/ACL lost by --fix: $(xa "$X/core.jar") vs $before"
"$DEFUSE" scan --restore "$T/bk8" 2>"$T/err" || fail "8: restore: $(cat "$T/err")"
cmp -s "$X/core.jar" "$X/orig.jar" || fail "8: restore"
[ "$(xa "$X/core.jar")" = "$before" ] || fail "8: xattrs/ACL lost by --restore"
# hard links: refused, both names still the same file
mkdir "$T/h8"
cp "$CORE" "$T/h8/a.jar"
ln "$T/h8/a.jar" "$T/h8/b.jar"
fix "$T/bk8h" "$T/h8/a.jar"
[ "$r" = 3 ] || [ "$r" = 2 ] || fail "8: hard link: exit $r, want 2 or 3"
grep -q 'hard link' "$T/err" || fail "8: hard link: no message: $(cat "$T/err")"
[ "$(stat -c %h "$T/h8/a.jar")" = 2 ] || fail "8: hard link split"
# dry run: no backup directory
r=0
"$DEFUSE" scan --no-progress --fix --dry-run --backup-dir "$T/bk8d" "$T/h8" >/dev/null 2>"$T/err" || r=$?
[ ! -e "$T/bk8d" ] || fail "8: --dry-run created the backup directory"
ok "8: xattrs and ACL kept and restored; hard link refused; --dry-run creates nothing"

# ---- 9. immutable file -----------------------------------------------------------------------
mkdir "$T/imm"
cp "$CORE" "$T/imm/core.jar"
if chattr +i "$T/imm/core.jar" 2>/dev/null; then
    fix "$T/bk9" "$T/imm/core.jar"
    [ "$r" = 3 ] || fail "9: immutable: exit $r, want 3 (vulnerable and an error): $(cat "$T/err")"
    ! grep -q 'removed' "$T/err" || fail "9: immutable: a false 'removed' line: $(cat "$T/err")"
    [ "$(grep -c 'core.jar' "$T/err")" = 1 ] || fail "9: immutable: failure not reported exactly once: $(cat "$T/err")"
    grep -q 'NOT FIXED' "$T/err" || fail "9: immutable: no NOT FIXED line: $(cat "$T/err")"
    [ ! -s "$T/bk9/manifest.jsonl" ] || fail "9: immutable: manifest record: $(cat "$T/bk9/manifest.jsonl")"
    [ -z "$(ls -A "$T/bk9")" ] || fail "9: immutable: backup left: $(ls "$T/bk9")"
    chattr -i "$T/imm/core.jar"
    ok "9: immutable file: one NOT FIXED line, no removed line, no manifest record"
else
    echo "note: chattr +i not supported here: immutable sub-case skipped"
fi

# a path longer than PATH_MAX: fixed or reported NOT FIXED, never skipped in silence
python3 - "$T/long" "$CORE" <<'PYEOF'
import os, shutil, sys
os.makedirs(sys.argv[1]); os.chdir(sys.argv[1])
for i in range(24):
    d = "d%02d" % i + "x" * 200
    os.mkdir(d); os.chdir(d)
shutil.copy(sys.argv[2], "core.jar")
PYEOF
fix "$T/bk9l" "$T/long"
grep -q 'NOT FIXED: .*core.jar: path longer than PATH_MAX' "$T/err" || grep -q '^defuse scan: fixed .*core.jar' "$T/err" ||
    fail "9: long path neither fixed nor reported: $(head -c 400 "$T/err")"
[ "$r" = 3 ] || grep -q '^defuse scan: fixed' "$T/err" || fail "9: long path not fixed, exit $r, want 3"
# a copy whose JndiLookup is stored under another name (relocated, obfuscated)
python3 "$DEFUSE_SRC/tests/e2e/scan_adversarial.py" renamed "$CORE" "$T/renamed.jar"
fix "$T/bk9o" "$T/renamed.jar"
grep -q 'NOT FIXED: .*renamed.jar: ' "$T/err" || fail "9: obfuscated copy not reported NOT FIXED: $(cat "$T/err")"
[ "$r" = 3 ] || fail "9: obfuscated copy: exit $r, want 3"
ok "9: a path past PATH_MAX and a relocated JndiLookup: NOT FIXED with the reason"

# ---- 10. restore past missing/tampered backups; deleted files stay deleted -------------------
mkdir "$T/r10"
for n in a b c d; do cp "$CORE" "$T/r10/$n.jar"; done
fix "$T/bk10" "$T/r10"
[ "$(wc -l <"$T/bk10/manifest.jsonl")" = 4 ] || fail "10: setup: $(cat "$T/err")"
bk() { jq -r --arg p "$(readlink -f "$T/r10/$1.jar")" 'select(.path == $p) | .backup' "$T/bk10/manifest.jsonl"; }
rm "$T/bk10/$(bk a)"
printf 'tampered' >>"$T/bk10/$(bk b)"
rm "$T/r10/c.jar"
r=0
"$DEFUSE" scan --restore "$T/bk10" 2>"$T/err" || r=$?
[ "$r" = 2 ] || fail "10: restore exit $r, want 2: $(cat "$T/err")"
grep -q "$(bk a)" "$T/err" && grep -q "$(bk b)" "$T/err" || fail "10: not every failure named: $(cat "$T/err")"
[ ! -e "$T/r10/c.jar" ] || fail "10: a deleted file was re-created without --force"
grep -q 'c.jar.*deleted' "$T/err" || fail "10: the deleted file is not mentioned: $(cat "$T/err")"
cmp -s "$T/r10/d.jar" "$CORE" || fail "10: d.jar not restored after the failures"
"$DEFUSE" scan --restore "$T/bk10" --force 2>"$T/err" || true
cmp -s "$T/r10/c.jar" "$CORE" || fail "10: --force did not re-create the deleted file: $(cat "$T/err")"
ok "10: restore continues past a missing and a tampered backup (exit 2); deleted stays deleted unless --force"

# ---- 11. backup dir inside the scanned tree ------------------------------------------------
mkdir -p "$T/h11/srv" "$T/h11/var/backups"
cp "$CORE" "$T/h11/srv/core.jar"
fix "$T/h11/var/backups/defuse" "$T/h11"
[ "$r" = 1 ] || fail "11: exit $r, want 1 (45105/44832 remain): $(cat "$T/err")"
! has_jndi "$T/h11/srv/core.jar" || fail "11: not fixed"
! grep -q 'var/backups' "$T/out.json" || fail "11: the backup directory was walked: $(grep var/backups "$T/out.json" | head -2)"
# a second run: the originals kept in the backup dir are still not walked
fix "$T/h11/var/backups/defuse" "$T/h11"
[ "$r" = 1 ] && ! grep -q 'var/backups' "$T/out.json" || fail "11: second run walked the backups: $r"
[ "$(wc -l <"$T/h11/var/backups/defuse/manifest.jsonl")" = 1 ] || fail "11: backups fixed or recorded again"
ok "11: --backup-dir inside the tree is excluded from the walk"

# ---- 12. what the fix changed, per component, for people and scripts ------------------------
mkdir "$T/r12"
cp "$CORE" "$T/r12/core.jar"
fix "$T/bk12" "$T/r12"
grep -q 'core.jar: CVE-2021-44228, CVE-2021-45046 mitigated' "$T/err" || fail "12: mitigated CVEs not named: $(cat "$T/err")"
grep -q 'core.jar: .*still affected by .*CVE-2021-45105.*CVE-2021-44832\|core.jar: .*still affected by .*CVE-2021-44832.*CVE-2021-45105' "$T/err" ||
    fail "12: remaining CVEs not named: $(cat "$T/err")"
grep -q '1 fixed, 0 not fixed' "$T/err" || fail "12: no summary: $(cat "$T/err")"
jq -e -s '[.[] | select(.type == "fix" and .status == "rce-mitigated-upgrade-due" and
          (.mitigated | index("CVE-2021-44228")) and (.remaining | index("CVE-2021-45105")))] | length == 1' \
    "$T/out.json" >/dev/null || fail "12: no fix record in the JSON output: $(grep fix "$T/out.json")"
ok "12: per component: mitigated and remaining CVEs, a summary, a status in JSON"
echo PASS
