# victim.bash -- a real log4j-core 2.14.1 application behind nginx, for
# tests/e2e/nginx_victim_*.sh (sourced after nginx/e2e_lib.bash and
# ngx_init; not a test).
#
# victim_start starts a loopback LDAP listener (ldap_listener.py, records the
# DN of every JNDI search) and NginxVictim.java (decodes requests as a
# typical Servlet/Spring application does, then logs them with log4j
# 2.14.1), both stopped by ngx_init's EXIT trap through victim_stop.  Skips
# (exit 77) when java/javac or the corpus jars are missing.
#
# Then, with $OFF_PORT an nginx server that proxies to the victim without
# the module and $PORT one with it:
#   victim_case CODE DESC FN [ARGS...]
#       FN BASE_URL PAYLOAD [ARGS...] sends one request.  Through $OFF_PORT
#       (no module) the victim must call back (the payload is live after the
#       application's decoding: the "before"); through $PORT it must answer
#       CODE and the victim must not call back.
#   $LDAP_PORT, $VICTIM_PORT; victim_payload TOKEN

VICTIM_DIR=$DEFUSE_SRC/tests/e2e/nginx
VICTIM_PIDS=()
VICTIM_N=0

victim_init() {
    local jars=${DEFUSE_CORPUS:-$DEFUSE_SRC/../shared/corpus}/jars/mergebase-log4j-samples
    VICTIM_CP=$jars/false-hits/log4j-api-2.14.1.jar:$jars/true-hits/log4j-core-2.14.1.jar
    if ! command -v java >/dev/null || ! command -v javac >/dev/null; then
        echo "SKIP: no JDK (java, javac)"; exit 77
    fi
    if [ ! -f "$jars/true-hits/log4j-core-2.14.1.jar" ] || [ ! -f "$jars/false-hits/log4j-api-2.14.1.jar" ]; then
        echo "SKIP: corpus log4j 2.14.1 jars missing under $jars"; exit 77
    fi
    trap 'victim_stop; ngx_cleanup' EXIT
}

victim_stop() {
    local p
    for p in "${VICTIM_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${VICTIM_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    VICTIM_PIDS=()
}

victim_start() {
    CALLBACKS=$T/callbacks.txt
    python3 "$VICTIM_DIR/ldap_listener.py" "$T/ldap.port" "$CALLBACKS" &
    VICTIM_PIDS+=($!)
    javac -nowarn -cp "$VICTIM_CP" -d "$T" "$VICTIM_DIR/NginxVictim.java" || return 1
    VICTIM_PORT=$(ngx_free_port)
    java -cp "$VICTIM_CP:$T" NginxVictim "$VICTIM_PORT" "$T/victim.ready" >"$T/logs/victim.log" 2>&1 &
    VICTIM_PIDS+=($!)
    local i
    for i in $(seq 1 300); do
        [ -s "$T/victim.ready" ] && [ -s "$T/ldap.port" ] && break
        sleep 0.05
    done
    [ -s "$T/victim.ready" ] || { echo "victim did not start:"; cat "$T/logs/victim.log"; return 1; }
    LDAP_PORT=$(cat "$T/ldap.port")
}

victim_payload() { printf '${jndi:ldap://127.0.0.1:%s/%s}' "$LDAP_PORT" "$1"; }

# Whether the victim called back with TOKEN in the DN.
victim_called() { grep -qF -- "$1" "$CALLBACKS"; }

# victim_send PORT FN [ARGS...] -- runs FN and prints the status code.
victim_case() {
    local want=$1 desc=$2 fn=$3 got tok; shift 3
    VICTIM_N=$((VICTIM_N + 1))
    tok="cb-$VICTIM_N-off"
    got=$("$fn" "http://127.0.0.1:$OFF_PORT" "$(victim_payload "$tok")" "$@")
    if victim_called "$tok"; then
        pass "$desc: without the module log4j 2.14.1 calls back ($got)"
    else
        fail "$desc: the victim did not call back without the module ($got): the case proves nothing"
    fi
    tok="cb-$VICTIM_N-on"
    got=$("$fn" "http://127.0.0.1:$PORT" "$(victim_payload "$tok")" "$@")
    if [ "$got" = "$want" ] && ! victim_called "$tok"; then
        pass "$desc: with the module $got, no callback"
    elif victim_called "$tok"; then
        fail "$desc: with the module status $got and log4j CALLED BACK"
    else
        fail "$desc: with the module status $got, want $want"
    fi
}

# curl with the common options; prints the status code.
vcurl() {
    curl -g -s -o /dev/null -w '%{http_code}' --max-time 15 "$@" 2>/dev/null
}
