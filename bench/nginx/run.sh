#!/usr/bin/env bash
# run.sh -- the nginx benchmark of defuse, in one run:
#   1. throughput (wrk on loopback, benign traffic) of the same static
#      location served by plain nginx, nginx + defuse (block mode), and
#      nginx + ModSecurity v3 + OWASP CRS (Debian's
#      libnginx-mod-http-modsecurity and modsecurity-crs, SecRuleEngine On);
#   2. recall of defuse and of CRS on one payload set (payloads.py: the
#      corpus payload lists plus generated obfuscations), labelled by real
#      log4j (tests/diff/Log4jDiff.java on Debian's log4j-core), sent in the
#      query, a header and a form body (recall.py).
#
# Usage: bench/nginx/run.sh [BUILD_DIR] (default: build); env DUR (seconds
# per wrk run, default 10), ROUNDS (default 3; the median is reported),
# CONNS (default 32).  Needs scripts/deps.sh --bench.  Prints a report.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
DUR=${DUR:-10} ROUNDS=${ROUNDS:-3} CONNS=${CONNS:-32}
# With 2+ cores, nginx's worker and wrk get a core each (less noise).
if [ "$(nproc)" -ge 2 ]; then NGX_CPU=10; WRK_PIN="taskset -c 0"; else NGX_CPU=auto; WRK_PIN=; fi
corpus=${DEFUSE_CORPUS:-$src/../shared/corpus}
module=$build/ngx_http_defuse_module.so
modsec=/usr/lib/nginx/modules/ngx_http_modsecurity_module.so
jars=/usr/share/java/log4j-api.jar:/usr/share/java/log4j-core.jar
for need in "$module" "$modsec" /usr/share/modsecurity-crs/owasp-crs.load /etc/nginx/modsecurity.conf \
            /usr/share/java/log4j-core.jar "$corpus/logs/payloads"; do
    [ -e "$need" ] || { echo "run.sh: missing $need (build first; scripts/deps.sh --bench)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "run.sh: wrk missing" >&2; exit 1; }

T=$(mktemp -d /tmp/defuse-bench.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -QUIT "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

mkdir -p "$T/html"
python3 -c "print('<!DOCTYPE html><html><head><title>Welcome</title></head><body>' + 'static page ' * 40 + '</body></html>')" \
    >"$T/html/index.html"

# owasp-crs.load's own IncludeOptional is not understood by libmodsecurity 3.0.9.
cat >"$T/modsec.conf" <<MODSEC
Include /etc/nginx/modsecurity.conf
SecRuleEngine On
SecAuditLog $T/modsec_audit.log
Include /etc/modsecurity/crs/crs-setup.conf
Include /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf
Include /usr/share/modsecurity-crs/rules/*.conf
Include /etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf
MODSEC

# start NAME LOAD_LINE HTTP_LINES: one nginx, 1 worker, on a free port.
start() {
    local name=$1 load=$2 http=$3 port user=
    port=$(free_port)
    [ "$(id -u)" = 0 ] && user="user root;"
    mkdir -p "$T/$name"
    cat >"$T/$name/nginx.conf" <<CONF
$load
$user
worker_processes 1;
worker_cpu_affinity $NGX_CPU;
master_process on;
daemon off;
pid $T/$name/nginx.pid;
error_log $T/$name/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $T/$name/body;
    $http
    server {
        listen 127.0.0.1:$port;
        root $T/html;
        location / { }
    }
}
CONF
    nginx -p "$T/$name" -c "$T/$name/nginx.conf" -e "$T/$name/error.log" &
    pids+=($!)
    local i
    for i in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/index.html" && break
        sleep 0.1
    done
    eval "port_$name=$port"
}

start plain "" ""
start defuse "load_module $module;" "defuse on; defuse_log $T/defuse.jsonl;"
start crs "load_module $modsec;" "modsecurity on; modsecurity_rules_file $T/modsec.conf;"
for s in plain defuse crs; do
    p=port_$s
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${!p}/index.html")
    [ "$code" = 200 ] || { echo "run.sh: $s server answers $code"; cat "$T/$s/error.log"; exit 1; }
done

echo "== throughput: wrk -t1 -c$CONNS -d${DUR}s, benign GET with a percent-encoded query, cookie, referer"
echo "   (nginx: 1 worker on CPU 1, wrk on CPU 0; median of $ROUNDS rounds; cpu = the"
echo "   worker's user+system CPU time per request, from /proc, robust to other load)"
# worker_cpu NAME: utime+stime (clock ticks) of the server's worker process.
worker_cpu() {
    local m w
    m=$(cat "$T/$1/nginx.pid")
    w=$(pgrep -P "$m" | head -1)
    awk '{print $14 + $15}' "/proc/$w/stat"
}
worker_utime() {
    awk '{print $14}' "/proc/$(pgrep -P "$(cat "$T/$1/nginx.pid")" | head -1)/stat"
}
hz=$(getconf CLK_TCK)
declare -A rps cpu
du=0 dt=0 # user and total CPU ticks of the defuse worker
for s in plain defuse crs; do rps[$s]=""; cpu[$s]=""; done
for r in $(seq 1 "$ROUNDS"); do
    for s in plain defuse crs; do
        p=port_$s
        c0=$(worker_cpu "$s"); u0=$(worker_utime "$s")
        out=$($WRK_PIN wrk -t1 -c"$CONNS" -d"${DUR}s" \
              -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0' \
              -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' \
              -H 'Host: www.example.com' -H 'Accept-Language: en-US,en;q=0.5' \
              -H 'Cookie: session=3f1b2c9d8e7a6b5c4d3e2f1a; theme=dark; consent=yes' \
              -H 'Referer: https://www.example.com/search?q=nginx+waf' \
              "http://127.0.0.1:${!p}/index.html?q=search%20term&page=2&sort=desc")
        c1=$(worker_cpu "$s"); u1=$(worker_utime "$s")
        [ "$s" = defuse ] && { du=$((du + u1 - u0)); dt=$((dt + c1 - c0)); }
        v=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
        n=$(echo "$out" | awk '/requests in/ {print $1}')
        if echo "$out" | grep -q 'Non-2xx'; then echo "run.sh: $s answered non-2xx to benign traffic"; echo "$out"; fi
        us=$(python3 -c "print('%.2f' % (($c1 - $c0) * 1e6 / $hz / $n))")
        rps[$s]="${rps[$s]} $v"
        cpu[$s]="${cpu[$s]} $us"
        echo "   round $r $s: $v req/s, $us us cpu/request"
    done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
python3 - "$(echo "${rps[plain]}" | median)" "$(echo "${rps[defuse]}" | median)" "$(echo "${rps[crs]}" | median)" \
    "$(echo "${cpu[plain]}" | median)" "$(echo "${cpu[defuse]}" | median)" "$(echo "${cpu[crs]}" | median)" <<'PY'
import sys
p, d, c, up, ud, uc = map(float, sys.argv[1:])
cd, cc = (p - d) / p * 100, (p - c) / p * 100
# A CPU-bound worker's throughput is 1/cpu-per-request: the cost in
# requests/s implied by the CPU time.
kd, kc = (1 - up / ud) * 100, (1 - up / uc) * 100
print("   %-24s %9.0f req/s %8.1f us/req" % ("plain nginx", p, up))
print("   %-24s %9.0f req/s %8.1f us/req   cost: %5.1f%% req/s, %5.1f%% from cpu" % ("nginx + defuse", d, ud, cd, kd))
print("   %-24s %9.0f req/s %8.1f us/req   cost: %5.1f%% req/s, %5.1f%% from cpu" % ("nginx + ModSecurity+CRS", c, uc, cc, kc))
print("   defuse cost / CRS cost: %.3f (req/s), %.3f (cpu); targets: defuse <= 5%%, ratio <= 0.1"
      % (cd / cc if cc > 0 else float("nan"), kd / kc if kc > 0 else float("nan")))
PY

if [ "${PROFILE:-1}" = 1 ] && command -v valgrind >/dev/null; then
    # Load-independent figure: instructions (callgrind) of the module's
    # phase handler per request against all of nginx's user-space work.
    echo "== instructions per request (callgrind, nginx single process, same benign request)"
    mkdir -p "$T/vg"
    sed -e 's/^master_process on;/master_process off;/' -e "s#$T/defuse/#$T/vg/#g" \
        "$T/defuse/nginx.conf" >"$T/vg/nginx.conf"
    vport=$(free_port)
    sed -i "s/listen 127.0.0.1:[0-9]*;/listen 127.0.0.1:$vport;/" "$T/vg/nginx.conf"
    valgrind --tool=callgrind --callgrind-out-file="$T/vg/cg.out" \
        nginx -p "$T/vg" -c "$T/vg/nginx.conf" -e "$T/vg/error.log" >"$T/vg/valgrind.log" 2>&1 &
    vpid=$!
    for i in $(seq 1 150); do curl -s -o /dev/null "http://127.0.0.1:$vport/index.html" && break; sleep 0.2; done
    # Instructions before the measured requests (start-up, warm-up).
    callgrind_control -z "$vpid" >/dev/null 2>&1 || true
    nreq=$($WRK_PIN wrk -t1 -c4 -d10s \
          -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0' \
          -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' \
          -H 'Host: www.example.com' -H 'Accept-Language: en-US,en;q=0.5' \
          -H 'Cookie: session=3f1b2c9d8e7a6b5c4d3e2f1a; theme=dark; consent=yes' \
          -H 'Referer: https://www.example.com/search?q=nginx+waf' \
          "http://127.0.0.1:$vport/index.html?q=search%20term&page=2&sort=desc" | awk '/requests in/ {print $1}')
    kill -QUIT "$vpid"; wait "$vpid" || true
    callgrind_annotate --inclusive=yes "$T"/vg/cg.out* 2>/dev/null >"$T/vg/annotate.txt" || true
    python3 - "$T/vg/annotate.txt" "$nreq" "$du" "$dt" <<'PY'
import re, sys
tot = hand = 0
for line in open(sys.argv[1]):
    m = re.match(r"\s*([\d,]+) \(.*?\)\s+(\S+)", line)
    if not m:
        continue
    n, what = int(m.group(1).replace(",", "")), m.group(2)
    if "PROGRAM" in line and "TOTALS" in line:
        tot = max(tot, n)
    elif what.endswith(":ngx_http_defuse_handler"):
        hand = max(hand, n)
req = int(sys.argv[2])
print("   %d requests: nginx %.0f instructions/request in user space, of which the defuse"
      " handler %.0f (%.1f%%)" % (req, tot / req, hand / req, 100.0 * hand / tot))
du, dt = int(sys.argv[3]), int(sys.argv[4])
if dt:
    print("   the worker spent %.1f%% of its CPU time in user space (the rest: kernel network"
          " and file I/O), so the handler is ~%.1f%% of its CPU time" % (
              100.0 * du / dt, 100.0 * hand / tot * du / dt))
PY
fi

echo "== recall: payload set labelled by real log4j (Debian's log4j-core with the 2.14.1 substitution patch)"
python3 "$here/payloads.py" "$corpus/logs/payloads" "$T/cases.tsv"
mkdir -p "$T/oracle/patched"
javac -nowarn -cp "$jars" -d "$T/oracle" "$src"/tests/diff/*.java 2>/dev/null
java -cp "$T/oracle:$jars" Log4jDiff patch /usr/share/java/log4j-core.jar "$T/oracle/patched" >/dev/null
cut -f2 "$T/cases.tsv" | java -cp "$T/oracle/patched:$T/oracle:$jars" Log4jDiff eval >"$T/oracle.txt"
echo "   $(wc -l <"$T/cases.tsv") cases: $(grep -c ' =' "$T/oracle.txt") make log4j request a JNDI name," \
     "$(grep -Ec '^(cycle|overflow)' "$T/oracle.txt") make it recurse away"
python3 "$here/recall.py" "$T/cases.tsv" "$T/oracle.txt" defuse="$port_defuse" crs="$port_crs"
