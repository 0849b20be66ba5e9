#!/usr/bin/env bash
# register_postgres.sh -- register_basic.sh, unchanged, against a real
# PostgreSQL server: initdb into a temp dir (as the postgres user when run
# as root: initdb refuses root), listening on 127.0.0.1 and a socket in the
# temp dir only, trust authentication, C locale; stopped on exit.
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || { echo "SKIP: no PostgreSQL server (Debian package postgresql)"; exit 77; }
command -v psql >/dev/null || { echo "SKIP: no psql"; exit 77; }
T=$(mktemp -d)
AS=()
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "SKIP: root without a postgres user"; exit 77; }
    chown postgres "$T"
    AS=(runuser -u postgres --)
fi
PORT=""
cleanup() {
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$T/data" -m immediate stop >/dev/null 2>&1 || true
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
"${AS[@]}" "$PGBIN/initdb" -D "$T/data" -U postgres --auth=trust --locale=C -E UTF8 >"$T/initdb.log" 2>&1 ||
    { cat "$T/initdb.log"; echo "FAIL: initdb"; exit 1; }
for try in 1 2 3 4 5; do
    PORT=$((20000 + RANDOM % 20000))
    if "${AS[@]}" "$PGBIN/pg_ctl" -D "$T/data" -l "$T/pg.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $T -c fsync=off" start >/dev/null 2>&1; then
        break
    fi
    PORT=""
done
[ -n "$PORT" ] || { cat "$T/pg.log"; echo "FAIL: PostgreSQL did not start"; exit 1; }
REGISTER_URL="postgresql://postgres@127.0.0.1:$PORT/postgres" bash "$DEFUSE_SRC/tests/e2e/register_basic.sh"
