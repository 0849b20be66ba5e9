#!/usr/bin/env bash
# register_scan.sh -- `defuse scan --register DB --asset NAME --env ENV PATH`:
# the scan's records go straight into the register (no JSON file handled
# by the user): a host with log4j 1.2.17 gets its exposures, with the
# scan's own time as the observation time; after the jar is removed, the
# next scan fixes them; the scan's exit status is kept (1: vulnerable);
# --register without --asset, or with --sarif/--cyclonedx, is refused.
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
command -v jq >/dev/null || { echo "SKIP: no jq"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir -p "$T/host/opt/app/lib"
# a log4j 1.2.17 jar as the scanner identifies it: its Maven metadata
python3 - "$T/host/opt/app/lib/log4j-1.2.17.jar" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("META-INF/maven/log4j/log4j/pom.properties",
               "version=1.2.17\ngroupId=log4j\nartifactId=log4j\n")
PY
DB="$T/reg.db"
# the register's clock after the scan's (a scan time later than now is taken as now)
export DEFUSE_NOW=2099-12-14T12:00:00Z
rc=0
"$DEFUSE" scan --no-progress --register "$DB" --asset host-1 --env prod --vulndb "$DEFUSE_SRC/data/vulndb.json" \
    "$T/host" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || { cat "$T/out" "$T/err"; fail "scan --register: exit $rc, expected 1 (vulnerable)"; }
grep -q "host-1: ingested" "$T/out" || { cat "$T/out"; fail "no ingest report"; }
R() { "$DEFUSE" register --db "$DB" "$@"; }
s=$(R exposures --json --asset host-1 --cve CVE-2021-4104 | jq -r '.[0].state // "none"')
[ "$s" = affected ] || fail "host-1 CVE-2021-4104: $s"
[ "$(R assets --json | jq -r '.[0].env')" = prod ] || fail "env not recorded"
# the observation time is the scan's (a real clock), not DEFUSE_NOW
seen=$(R history --asset host-1 --json | jq -r '[.[] | select(.event == "component-seen")][0].at')
[ "$seen" != 2099-12-14T12:00:00Z ] || fail "scan time not taken from the scan's summary"
# the jar removed: the next scan fixes the exposure
rm "$T/host/opt/app/lib/log4j-1.2.17.jar"
DEFUSE_NOW=2099-12-15T00:00:00Z "$DEFUSE" scan --no-progress --register "$DB" --asset host-1 --env prod \
    --vulndb "$DEFUSE_SRC/data/vulndb.json" "$T/host" >"$T/out2" 2>&1 || fail "clean rescan: exit $?"
s=$(R exposures --all --json --asset host-1 --cve CVE-2021-4104 | jq -r '.[0].state // "none"')
[ "$s" = fixed ] || fail "after the jar was removed: $s"
# refused combinations write nothing
for bad in "--register $DB" "--register $DB --asset h --sarif" "--register $DB --asset h --cyclonedx"; do
    rc=0
    # shellcheck disable=SC2086
    "$DEFUSE" scan --no-progress $bad "$T/host" >/dev/null 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "scan $bad: exit $rc, expected 2"
done
[ "$(R assets --json | jq length)" = 1 ] || fail "a refused scan wrote an asset"
echo "PASS: scan --register ingests directly; the rescan fixes"
