#!/usr/bin/env bash
# probe_nginx.sh -- `defuse probe` against the log4j 2.14.1 service behind
# Debian's nginx with the defuse module in block mode: every request is
# answered 403 by nginx, the probe reports the target `blocked` with no
# callback and exits 0; the same probe straight at the service (bypassing
# nginx) finds it exploitable, so the block is what made the difference.
. "$DEFUSE_SRC/nginx/e2e_lib.bash"
ngx_init
command -v javac >/dev/null && command -v java >/dev/null || { echo "SKIP: no JDK"; exit 77; }
BG_PIDS=()
bg_start() { "$@" & BG_PIDS+=($!); }
trap 'for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; ngx_cleanup' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
source "$DEFUSE_SRC/tests/e2e/probe/common.sh"
VULN=$(victim_jars 2.14.1) || { echo "SKIP: no log4j-core 2.14.1 in the corpus"; exit 77; }

PV=$(ngx_free_port)
PC=$(ngx_free_port)
victim_start "$VULN" "$PV" vuln
ngx_conf "
    server {
        listen 127.0.0.1:@PORT@;
        defuse on;
        defuse_mode block;
        location / { proxy_pass http://127.0.0.1:$PV; }
    }"
ngx_start
OPTS=(--scope 127.0.0.1 --callback "127.0.0.1:$PC" --rate 500 --concurrency 8 --wait 3
      --headers User-Agent,X-Api-Version,Cookie --params q,user)

st=0
"$DEFUSE" probe "${OPTS[@]}" --json "http://127.0.0.1:$PORT/app" >"$T/ngx.json" 2>"$T/ngx.err" || st=$?
[ "$st" -eq 0 ] || fail "behind nginx: exit $st, want 0: $(cat "$T/ngx.err")"
v=$(python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["targets"][0]
cbs = sum(len(p["callbacks"]) for p in t["points"])
codes = sorted({c for p in t["points"] for c in p["status"].values()}, key=str)
print(t["verdict"], t["requests"], t["blocked"], cbs, codes)' "$T/ngx.json")
case "$v" in "blocked "*" 0 [403]") ;; *) fail "behind nginx (block): $v" ;; esac
n=${v#blocked }; n=${n%% *}
[ "$(grep -c ' 403 \| 403$\|^403 ' "$T/logs/access.log")" -ge "$n" ] ||
    fail "nginx did not log $n refusals: $(head -3 "$T/logs/access.log")"
ok "behind nginx in block mode: $v (verdict, requests, 403s, callbacks, status codes)"

st=0
"$DEFUSE" probe "${OPTS[@]}" --json "http://127.0.0.1:$PV/app" >"$T/direct.json" 2>/dev/null || st=$?
[ "$st" -eq 1 ] || fail "straight at the service: exit $st, want 1"
got=$(exploitable_points "$T/direct.json")
[ "$got" = "form:user header:User-Agent header:X-Api-Version multipart:user query:q xml:user" ] || fail "direct: $got"
ok "straight at the service (no nginx): exploitable at $got"
