#!/usr/bin/env bash
# templates.sh -- the cost of benign template-heavy traffic (issue 12 item
# 10): plain nginx against nginx + each given defuse module, every request
# a GET with a 4 KB header full of ${...} templates (${user.name}, ${HOME},
# ...) plus the benign headers of run.sh.  Short on purpose (the machine is
# shared): DUR seconds per wrk run (default 3), ROUNDS rounds (default 3,
# median reported); cpu = the worker's user+system CPU time per request
# (from /proc, steadier than req/s under load).  TPL_BYTES=0 sends the
# same request with a plain 1-byte X-Tpl header instead (the benign-request
# cost of run.sh, in a few seconds).
#
# Usage: bench/nginx/templates.sh MODULE.so [MODULE.so...]
#   e.g. bench/nginx/templates.sh /tmp/old/build/ngx_http_defuse_module.so build/ngx_http_defuse_module.so
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,12p' "$0"; exit 2; }
DUR=${DUR:-3} ROUNDS=${ROUNDS:-3}
command -v wrk >/dev/null || { echo "templates.sh: wrk missing" >&2; exit 1; }
if [ "$(nproc)" -ge 2 ]; then NGX_CPU=10; WRK_PIN="taskset -c 0"; else NGX_CPU=auto; WRK_PIN=; fi
T=$(mktemp -d /tmp/defuse-bench-tpl.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -QUIT "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/html"
echo '<html><body>static page</body></html>' >"$T/html/index.html"
TPL=$(python3 -c "s = '\${user.name} \${HOME}/x \${app.title} \${a.b-c_d} '; print((s * 100)[:${TPL_BYTES:-4096}] or 'x')")

names=(plain) ports=()
start() { # NAME LOAD_LINE HTTP_LINE
    local name=$1 port user=
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    [ "$(id -u)" = 0 ] && user="user root;"
    mkdir -p "$T/$name"
    cat >"$T/$name/nginx.conf" <<CONF
$2
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
    large_client_header_buffers 4 16k;
    $3
    server { listen 127.0.0.1:$port; root $T/html; location / { } }
}
CONF
    nginx -p "$T/$name" -c "$T/$name/nginx.conf" -e "$T/$name/error.log" &
    pids+=($!)
    for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Tpl: $TPL" "http://127.0.0.1:$port/index.html")
    [ "$code" = 200 ] || { echo "templates.sh: $name answers $code to the template header" >&2; exit 1; }
    ports+=("$port")
}
start plain "" ""
i=0
for m in "$@"; do
    i=$((i + 1)); names+=("defuse$i")
    start "defuse$i" "load_module $(readlink -f "$m");" "defuse on;"
done

worker_cpu() { awk '{print $14 + $15}' "/proc/$(pgrep -P "$(cat "$T/$1/nginx.pid")" | head -1)/stat"; }
hz=$(getconf CLK_TCK)
declare -A rps cpu
echo "== wrk -t1 -c16 -d${DUR}s, GET with a ${#TPL}-byte header of \${...} templates; median of $ROUNDS; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
    for k in "${!names[@]}"; do
        s=${names[$k]} p=${ports[$k]}
        c0=$(worker_cpu "$s")
        out=$($WRK_PIN wrk -t1 -c16 -d"${DUR}s" -H "X-Tpl: $TPL" \
              -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0' \
              -H 'Cookie: session=3f1b2c9d8e7a6b5c4d3e2f1a; theme=dark' \
              "http://127.0.0.1:$p/index.html?q=search%20term&page=2")
        c1=$(worker_cpu "$s")
        n=$(echo "$out" | awk '/requests in/ {print $1}')
        rps[$s]="${rps[$s]:-} $(echo "$out" | awk '/^Requests\/sec:/ {print $2}')"
        cpu[$s]="${cpu[$s]:-} $(python3 -c "print('%.2f' % (($c1 - $c0) * 1e6 / $hz / $n))")"
    done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
p_r=$(echo "${rps[plain]}" | median) p_c=$(echo "${cpu[plain]}" | median)
for k in "${!names[@]}"; do
    s=${names[$k]}
    r=$(echo "${rps[$s]}" | median) c=$(echo "${cpu[$s]}" | median)
    what=plain
    [ "$k" -gt 0 ] && what=$(readlink -f "${@:$k:1}")
    python3 -c "
p_r, p_c, r, c = $p_r, $p_c, $r, $c
print('   %-9s %8.0f req/s %7.1f us/req cpu   cost %5.1f%% req/s, %5.1f%% cpu  (%s)' % (
    '$s', r, c, (p_r - r) / p_r * 100, (1 - p_c / c) * 100, '$what'))"
done
