#!/usr/bin/env bash
# bench/honeypot/cpu_per_req.sh PID URL [DURATION] [wrk args...] -- runs wrk
# against URL and reports the CPU time the process PID used per request
# (user + system, from /proc/PID/stat).  Unlike requests/s this figure does
# not depend on what else the machine is running; 1e6 / (us per request) is
# the rate one dedicated core would sustain.
set -euo pipefail
pid=$1 url=$2 dur=${3:-5}
shift 3 || shift $#
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
c0=$(cpu)
out=$(taskset -c 1 wrk -t1 -c32 -d"${dur}s" "$@" "$url")
c1=$(cpu)
reqs=$(echo "$out" | awk '/requests in/ {print $1}')
rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
python3 -c "
t = ($c1 - $c0) / $tck
print('requests=%d wall_rps=%s cpu=%.2fs us_per_request=%.1f one_core_rps=%.0f' % ($reqs, '$rps', t, t * 1e6 / $reqs, $reqs / t if t else 0))"
