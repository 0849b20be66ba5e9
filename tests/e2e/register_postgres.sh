#!/usr/bin/env bash
# register_postgres.sh -- register_basic.sh, unchanged, against a real
# PostgreSQL server started on loopback (register_pg_lib.bash).
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
PG_T=$(mktemp -d)
# shellcheck source=register_pg_lib.bash
. "$DEFUSE_SRC/tests/e2e/register_pg_lib.bash"
trap 'pg_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$PG_T"' EXIT
pg_start
bash "$DEFUSE_SRC/tests/e2e/register_basic.sh"
