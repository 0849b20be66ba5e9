#!/usr/bin/env bash
# honeypot_sinkfail.sh -- every event is delivered or accounted for when a
# sink fails: a full disk (a small tmpfs mounted here, as root; else a file
# size limit), a stalled stdout pipe, a webhook that stalls, a syslog
# collector that is down.  The honeypot keeps serving, never leaves a
# partial JSON line, says so on stderr once per condition, reports counters
# in sink.status events and the shutdown summary, retries when space
# returns, and stops within shutdown_timeout.
source "$(dirname "$0")/honeypot/common.sh"

# many requests over one keep-alive connection; prints the number answered
hammer() { # URL_BASE COUNT [TIMEOUT]
    python3 - "$1" "$2" "${3:-3}" <<'PY'
import http.client, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); n = int(sys.argv[2]); ok = 0
c = http.client.HTTPConnection(u.hostname, u.port, timeout=float(sys.argv[3]))
try:
    for i in range(n):
        c.request("GET", "%s%d" % (u.path, i), headers={"X-Pad": "p" * 200})
        r = c.getresponse(); r.read(); ok += r.status in (200, 404)
except Exception as e:
    print("client stopped after", ok, ":", e, file=sys.stderr)
print(ok)
PY
}

# summary_line SINK: the shutdown summary's line of one sink, as "D A DR F L"
summary_nums() {
    grep -E "defuse honeypot: $1: " "$T/hp.err" | tail -1 |
        sed -E 's/.*: ([0-9]+) of ([0-9]+) events delivered, ([0-9]+) dropped \(queue full\), ([0-9]+) failed, ([0-9]+) lost at exit.*/\1 \2 \3 \4 \5/'
}

all_lines_json() { # FILE: every line parses
    python3 - "$1" <<'PY'
import json, sys
data = open(sys.argv[1], "rb").read()
assert not data or data.endswith(b"\n"), "last line incomplete: %r" % data[-80:]
for i, l in enumerate(data.split(b"\n")[:-1]):
    try:
        json.loads(l)
    except Exception as e:
        raise SystemExit("line %d is not JSON (%s): %r" % (i + 1, e, l[:120]))
PY
}

# ---- 1. disk full -----------------------------------------------------------------
read -r PW PW2 PW3 < <(freeports 3)
D=$T/disk
mkdir -p "$D"
LIMIT_MODE=
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=256k tmpfs "$D" 2>/dev/null; then
    LIMIT_MODE=tmpfs
    unmount_disk() {
        if [ -n "$HP_PID" ]; then kill -KILL "$HP_PID" 2>/dev/null || true; wait "$HP_PID" 2>/dev/null || true; HP_PID=; fi
        umount "$D" 2>/dev/null || true
        cleanup
    }
    trap unmount_disk EXIT
elif command -v prlimit >/dev/null; then
    LIMIT_MODE=fsize
else
    echo "SKIP: neither a tmpfs mount nor prlimit available"
    exit 77
fi
cat >"$T/hp.conf" <<CONF
node sinkfail-test
log_file $D/events.jsonl
log_buffer 64K
status_interval 1s
dedup_window 0
rate_per_source 1000000
rate_burst 1000000
rate_global 0
[listener web]
protocol http
listen 127.0.0.1:$PW
CONF
EV=$D/events.jsonl
if [ "$LIMIT_MODE" = tmpfs ]; then
    hp_start "$T/hp.conf"
    # leave about 8 KiB free
    free=$(df -B1 --output=avail "$D" | tail -1)
    head -c $((free - 8192)) /dev/zero >"$D/filler" 2>/dev/null || true
else
    : >"$EV"
    hp_start "$T/hp.conf"
    size=$(stat -c %s "$EV")
    prlimit --pid "$HP_PID" --fsize=$((size + 8192)): # soft limit only
fi
U=http://127.0.0.1:$PW
served=$(hammer "$U/full" 400 2>>"$T/client.err")
[ "$served" -eq 400 ] || fail "disk full: only $served of 400 requests answered: $(cat "$T/client.err")"
sleep 1.5
all_lines_json "$EV" || fail "disk full: the log holds a partial or broken line"
grep -q "log_file: cannot write: " "$T/hp.err" || fail "disk full: nothing said on stderr"
[ "$(grep -c 'log_file: cannot write' "$T/hp.err")" -eq 1 ] || fail "disk full: reported more than once"
grep -q "log_file: queue full: events are being dropped" "$T/hp.err" || fail "disk full: drops not reported"
before=$(grep -c '"uri":"/full' "$EV" || true)
ok "disk full ($LIMIT_MODE): 400 requests answered, $before events written, only whole lines, reported once"
# space returns
if [ "$LIMIT_MODE" = tmpfs ]; then rm -f "$D/filler"; else prlimit --pid "$HP_PID" --fsize=unlimited:; fi
wait_events "$T/hp.err" "log_file: delivering again" 1 5
served=$(hammer "$U/after" 5)
wait_events "$EV" '"uri":"/after4"' 1 5
after=$(grep -c '"uri":"/full' "$EV" || true)
[ "$after" -gt "$before" ] || fail "space returned: queued events were not retried ($before -> $after)"
wait_events "$EV" '"event":"sink.status".*"dropped":[1-9]' 1 5
all_lines_json "$EV" || fail "after recovery: a broken line"
hp_stop
read -r dl acc dr fa lo < <(summary_nums log_file)
[ -n "$acc" ] || fail "no log_file line in the shutdown summary"
[ $((dl + dr + fa + lo)) -eq "$acc" ] || fail "summary does not add up: $dl+$dr+$fa+$lo != $acc"
[ "$dr" -gt 0 ] || fail "a 64K buffer cannot hold 400 events: drops expected, summary says $dr"
inlog=$(grep -c . "$EV")
[ "$inlog" -eq "$dl" ] || fail "summary says $dl delivered, the log holds $inlog lines"
ok "space returned: queued events retried ($before -> $after of 400), summary adds up ($dl delivered + $dr dropped = $acc)"
if [ "$LIMIT_MODE" = tmpfs ]; then umount "$D"; fi

# ---- 2. stalled stdout pipe, stalled webhook, dead syslog ------------------------
mkfifo "$T/out.fifo"
exec 7<>"$T/out.fifo" # a reader that never reads: the pipe fills and stalls
python3 - "$T/wh.port" <<'PY' &
import socket, sys, os, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1])); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
conns = []
while True:  # accept, read nothing, answer nothing: a stalled collector
    c, _ = s.accept(); conns.append(c)
PY
BG_PIDS+=($!)
wait_file "$T/wh.port"
bg_start $PEERS syslog-udp "$T/su.port" "$T/sysudp.out"
wait_file "$T/su.port"
cat >"$T/hp2.conf" <<CONF
node sinkfail-test
log_stdout yes
log_buffer 64K
queue_size 200
status_interval 1s
dedup_window 0
rate_per_source 1000000
rate_burst 1000000
rate_global 0
webhook http://127.0.0.1:$(cat "$T/wh.port")/hook
webhook_timeout 30s
webhook_retries 2
syslog_udp 127.0.0.1:$(cat "$T/su.port")
syslog_tcp 127.0.0.1:$PW3
[listener web]
protocol http
listen 127.0.0.1:$PW2
CONF
: >"$T/hp.err"
"$DEFUSE" honeypot -c "$T/hp2.conf" >"$T/out.fifo" 2>"$T/hp.err" &
HP_PID=$!
wait_events "$T/hp.err" ready 1 10
served=$(hammer "http://127.0.0.1:$PW2/stall" 300 5)
[ "$served" -eq 300 ] || fail "stalled stdout/webhook: only $served of 300 requests answered"
ok "stalled stdout pipe and webhook: 300 of 300 requests answered"
wait_events "$T/sysudp.out" '/stall299' 1 10
nudp=$(grep -c 'http\.request' "$T/sysudp.out" || true)
[ "$nudp" -ge 250 ] || fail "a stalled webhook throttled syslog over UDP: $nudp of 300"
wait_events "$T/hp.err" "syslog_tcp: cannot connect" 1 5
[ "$(grep -c 'syslog_tcp: cannot connect' "$T/hp.err")" -eq 1 ] || fail "syslog_tcp: reported more than once"
wait_events "$T/hp.err" "webhook: queue full" 1 5
[ "$(grep -c 'webhook: queue full' "$T/hp.err")" -eq 1 ] || fail "webhook: 'queue full' reported more than once"
ok "syslog over UDP unaffected by the stalled webhook ($nudp of 300), failures reported once"
t0=$(date +%s.%N)
kill -TERM "$HP_PID"
st=0
for i in $(seq 1 300); do kill -0 "$HP_PID" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$HP_PID" 2>/dev/null; then fail "not stopped 25 s after SIGTERM"; fi
wait "$HP_PID" || st=$?
HP_PID=
t1=$(date +%s.%N)
[ "$st" -eq 0 ] || fail "exit status $st"
secs=$(python3 -c "print(round($t1 - $t0, 1))")
# the default shutdown_timeout must fit in the systemd unit's stop timeout
stop=$(sed -nE 's/^TimeoutStopSec=([0-9]+)s?$/\1/p' "$DEFUSE_SRC/etc/defuse-honeypot.service")
[ -n "$stop" ] || fail "no TimeoutStopSec in etc/defuse-honeypot.service"
python3 -c "import sys; sys.exit(0 if $secs < $stop - 1 else 1)" ||
    fail "stopping with stalled sinks took $secs s, the unit allows $stop s"
for sk in stdout webhook syslog_udp syslog_tcp; do
    read -r dl acc dr fa lo < <(summary_nums $sk)
    [ -n "$acc" ] || fail "no $sk line in the summary"
    [ $((dl + dr + fa + lo)) -eq "$acc" ] || fail "$sk: summary does not add up: $dl+$dr+$fa+$lo != $acc"
done
read -r dl acc dr fa lo < <(summary_nums stdout)
[ $((dr + lo)) -gt 0 ] || fail "stdout stalled: losses expected, summary says none"
read -r wdl wacc wdr wfa wlo < <(summary_nums webhook)
[ "$wdl" -eq 0 ] && [ $((wdr + wfa + wlo)) -eq "$wacc" ] || fail "webhook stalled: nothing can be delivered"
read -r tdl tacc tdr tfa tlo < <(summary_nums syslog_tcp)
[ "$tfa" -gt 0 ] || fail "syslog_tcp down: failures not counted"
# what reached the pipe is whole lines
timeout 2 cat <&7 >"$T/stdout.got" || true
exec 7<&-
python3 - "$T/stdout.got" <<'PY' || fail "stdout: a partial line in the pipe"
import json, sys
data = open(sys.argv[1], "rb").read()
lines = data.split(b"\n")
assert lines[-1] == b"", "partial last line %r" % lines[-1][:80]
for l in lines[:-1]:
    json.loads(l)
PY
ok "SIGTERM with stalled sinks: stopped in $secs s, stdout $dl delivered/$dr dropped/$lo lost, webhook $wdr dropped/$wfa failed/$wlo lost, syslog_tcp $tfa failed"
echo "PASS"
