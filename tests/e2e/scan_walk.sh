#!/usr/bin/env bash
# scan_walk.sh -- directory walking of `defuse scan`: -x stays on one file
# system, proc/sysfs mounts are skipped unless --all-fs, symlinks are not
# followed by default.  Needs root for mount(8); otherwise skipped.
set -euo pipefail
: "${DEFUSE:?}"
C="${DEFUSE_CORPUS:-}/jars/mergebase-log4j-samples/true-hits/log4j-core-2.14.1.jar"
[ -f "$C" ] || exit 77
command -v jq >/dev/null || exit 77
T=$(mktemp -d)
cleanup() { umount "$T/w/m" 2>/dev/null || true; umount "$T/w/p" 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir -p "$T/w/a" "$T/w/m" "$T/w/p" "$T/out"
cp "$C" "$T/w/a/"
mount -t tmpfs none "$T/w/m" 2>/dev/null || exit 77
cp "$C" "$T/w/m/"
ncomp() { jq -s '[.[]|select(.type=="component")]|length' "$1"; }
set +e
"$DEFUSE" scan --no-progress --json "$T/w" >"$T/all.json" 2>/dev/null
"$DEFUSE" scan --no-progress --json -x "$T/w" >"$T/x.json" 2>/dev/null
set -e
[ "$(ncomp "$T/all.json")" = 2 ] || fail "tmpfs mount not walked by default"
[ "$(ncomp "$T/x.json")" = 1 ] || fail "-x crossed into another file system"
if mount -t proc proc "$T/w/p" 2>/dev/null; then
    set +e
    timeout 60 "$DEFUSE" scan --no-progress --json "$T/w" >"$T/p.json" 2>/dev/null
    set -e
    [ "$(jq -s '[.[]|select(.type=="summary")][0].files' "$T/p.json")" -lt 10 ] || fail "walked into a proc mount"
fi
# symlinks: not followed by default, followed with --follow-symlinks
ln -s "$T/w/a" "$T/out/link"
set +e
"$DEFUSE" scan --no-progress --json "$T/out" >"$T/s1.json" 2>/dev/null
"$DEFUSE" scan --no-progress --json --follow-symlinks "$T/out" >"$T/s2.json" 2>/dev/null
set -e
[ "$(ncomp "$T/s1.json")" = 0 ] || fail "followed a symlink by default"
[ "$(ncomp "$T/s2.json")" = 1 ] || fail "--follow-symlinks did not follow"
echo "scan_walk: ok"
