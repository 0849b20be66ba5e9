# e2e_lib.bash -- shared helpers of tests/e2e/nginx_*.sh (sourced, not a test).
#
# Starts Debian's real nginx (/usr/sbin/nginx) with ngx_http_defuse_module.so
# from $DEFUSE_BUILD on a free loopback port, in a private prefix under a
# temp dir (master_process on, 1 worker, daemon off, in the background,
# stopped by an EXIT trap), and offers curl-based assertions.
#
# When the module was built with sanitizers (cmake -DDEFUSE_SANITIZE=ON) it
# needs the ASan/UBSan runtimes loaded first into the uninstrumented nginx
# binary: ngx_start LD_PRELOADs the runtimes the module links (read by ldd).
#
# Functions:
#   ngx_init                 checks prerequisites (exit 77 when absent), makes $T
#   ngx_conf HTTP_BODY       writes $T/nginx.conf; HTTP_BODY goes in http {}
#                            and may use @PORT@, @T@ (replaced)
#   ngx_start / ngx_stop     run / stop the configured nginx
#   ngx_test_conf            nginx -t on $T/nginx.conf (output in $T/t.out)
#   expect CODE DESC PATH [CURL-ARGS...]   request http://127.0.0.1:$PORT$PATH
#   fail MSG / pass MSG      record a result; ngx_finish exits accordingly
set -u

NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
FAILS=0
PASSES=0

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok:   $*"; PASSES=$((PASSES + 1)); }

ngx_init() {
    : "${DEFUSE_BUILD:?DEFUSE_BUILD not set}"
    MODULE=$DEFUSE_BUILD/ngx_http_defuse_module.so
    if [ ! -f "$MODULE" ]; then
        echo "SKIP: $MODULE not built (DEFUSE_NGINX=OFF or nginx-dev missing)"
        exit 77
    fi
    if [ ! -x "$NGINX_BIN" ] || ! command -v curl >/dev/null; then
        echo "SKIP: $NGINX_BIN or curl missing"
        exit 77
    fi
    T=$(mktemp -d /tmp/defuse-nginx.XXXXXX)
    chmod 755 "$T"
    mkdir -p "$T/html" "$T/logs" "$T/tmp"
    NGX_PID=
    trap ngx_cleanup EXIT
    NGX_PRELOAD=
    local lib
    for lib in $(ldd "$MODULE" | awk '/lib(asan|ubsan)\.so/ {print $3}'); do
        NGX_PRELOAD="$NGX_PRELOAD${NGX_PRELOAD:+:}$lib"
    done
    PORT=$(ngx_free_port)
}

ngx_cleanup() {
    ngx_stop
    if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}

# A free TCP port on 127.0.0.1, picked by the kernel.
ngx_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

ngx_conf() {
    local body=$1 user=
    [ "$(id -u)" = 0 ] && user="user root;"
    body=${body//@PORT@/$PORT}
    body=${body//@T@/$T}
    cat >"$T/nginx.conf" <<EOF
load_module $MODULE;
$user
worker_processes 1;
master_process on;
daemon off;
pid $T/nginx.pid;
error_log $T/logs/error.log info;
events { worker_connections 128; }
http {
    default_type text/plain;
    client_body_temp_path $T/tmp/body;
    proxy_temp_path $T/tmp/proxy;
    fastcgi_temp_path $T/tmp/fastcgi;
    uwsgi_temp_path $T/tmp/uwsgi;
    scgi_temp_path $T/tmp/scgi;
    log_format defuse '\$status "\$request_uri" verdict=\$defuse_verdict callback=\$defuse_callback';
    access_log $T/logs/access.log defuse;
$body
}
EOF
}

# The environment nginx runs with: the sanitizer runtimes first when the
# module needs them (exported only into nginx's own environment).
ngx_env_vars() {
    if [ -n "$NGX_PRELOAD" ]; then
        echo "LD_PRELOAD=$NGX_PRELOAD ASAN_OPTIONS=detect_leaks=0:abort_on_error=1"
        echo "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
    fi
}

ngx_test_conf() {
    # shellcheck disable=SC2046
    env $(ngx_env_vars) "$NGINX_BIN" -t -p "$T" -c "$T/nginx.conf" -e "$T/logs/error.log" \
        >"$T/t.out" 2>&1
}

ngx_start() {
    # A simple command in the background: $! is nginx's master itself (env
    # execs it), not a subshell that a signal would kill instead of nginx.
    # shellcheck disable=SC2046
    env $(ngx_env_vars) "$NGINX_BIN" -p "$T" -c "$T/nginx.conf" -e "$T/logs/error.log" \
        >"$T/logs/stdout.log" 2>&1 &
    NGX_PID=$!
    local i
    for i in $(seq 1 100); do
        if curl -s -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$NGX_PID" 2>/dev/null; then
            echo "nginx exited at start:"; cat "$T/logs/error.log" "$T/logs/stdout.log"
            NGX_PID=
            return 1
        fi
        sleep 0.1
    done
    echo "nginx did not answer on port $PORT"; cat "$T/logs/error.log"
    return 1
}

ngx_stop() {
    if [ -n "${NGX_PID:-}" ]; then
        # nginx's own pid file names the master too (belt and braces).
        local m
        m=$(cat "$T/nginx.pid" 2>/dev/null || true)
        if [ -n "$m" ] && [ "$m" != "$NGX_PID" ]; then
            echo "warning: master $m is not the started process $NGX_PID"
            kill -QUIT "$m" 2>/dev/null
        fi
        kill -QUIT "$NGX_PID" 2>/dev/null
        local i
        for i in $(seq 1 50); do
            kill -0 "$NGX_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$NGX_PID" 2>/dev/null
        wait "$NGX_PID" 2>/dev/null
        NGX_PID=
    fi
}

# expect CODE DESC PATH [CURL-ARGS...]: a request for PATH (sent as is)
# must answer with status CODE (000: the connection was closed).
expect() {
    local want=$1 desc=$2 path=$3; shift 3
    local got
    got=$(curl -g -s -o "$T/body.out" -w '%{http_code}' --max-time 10 --path-as-is \
        "$@" "http://127.0.0.1:$PORT$path" 2>"$T/curl.err")
    if [ "$got" = "$want" ]; then
        pass "$desc ($got)"
    else
        fail "$desc: status $got, want $want"
    fi
}

# Fails when nginx logged an ASan/UBSan report or a worker crash.
ngx_check_errors() {
    if grep -Eq 'AddressSanitizer|runtime error:|exited on signal|LeakSanitizer' \
        "$T/logs/error.log" "$T/logs/stdout.log" 2>/dev/null; then
        fail "nginx error log holds a sanitizer report or a crash"
        grep -E -A20 'AddressSanitizer|runtime error:|exited on signal' "$T/logs/error.log" \
            "$T/logs/stdout.log" | head -60
    else
        pass "no crash or sanitizer report in the nginx logs"
    fi
}

ngx_finish() {
    ngx_check_errors
    echo "$PASSES passed, $FAILS failed"
    [ "$FAILS" = 0 ]
}
