# register_pg_lib.bash -- sourced by the register's PostgreSQL tests:
# pg_start starts a real PostgreSQL server (Debian's postgresql package)
# in a temp dir: initdb (as the postgres user when run as root: initdb
# refuses root), listening on 127.0.0.1 and a socket in the temp dir only,
# trust authentication, C locale, fsync off; stopped on exit.  Sets
# REGISTER_URL.  Exits 77 (skip) when no server or psql is installed.
# Needs PG_T (a temp dir the caller removes) set before the call.
pg_cleanup() {
    [ -z "${PGBIN:-}" ] || "${PG_AS[@]}" "$PGBIN/pg_ctl" -D "$PG_T/data" -m immediate stop >/dev/null 2>&1 || true
}
pg_start() {
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || { echo "SKIP: no PostgreSQL server (Debian package postgresql)"; exit 77; }
    command -v psql >/dev/null || { echo "SKIP: no psql"; exit 77; }
    PG_AS=()
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || { echo "SKIP: root without a postgres user"; exit 77; }
        chown postgres "$PG_T"
        PG_AS=(runuser -u postgres --)
    fi
    "${PG_AS[@]}" "$PGBIN/initdb" -D "$PG_T/data" -U postgres --auth=trust --locale=C -E UTF8 >"$PG_T/initdb.log" 2>&1 ||
        { cat "$PG_T/initdb.log"; echo "FAIL: initdb"; exit 1; }
    local port="" try
    for try in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 20000))
        if "${PG_AS[@]}" "$PGBIN/pg_ctl" -D "$PG_T/data" -l "$PG_T/pg.log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_T -c fsync=off ${PG_EXTRA:-}" start >/dev/null 2>&1; then
            break
        fi
        port=""
    done
    [ -n "$port" ] || { cat "$PG_T/pg.log"; echo "FAIL: PostgreSQL did not start"; exit 1; }
    REGISTER_URL="postgresql://postgres@127.0.0.1:$port/postgres"
    export REGISTER_URL
}
