#!/usr/bin/env bash
# register_vex_import.sh -- `defuse register vex import FILE`: verdicts from
# CycloneDX VEX (analysis.state) and OpenVEX (status) recorded on the
# exposures they name (by the component's purl, or by the defuse:asset
# property of the register's own export): not_affected and false_positive
# -> false-positive, exploitable with will_not_fix/can_not_fix ->
# accepted; resolved, in_triage, exploitable (to be fixed), affected,
# fixed, under_investigation record nothing (a fix is seen by a rescan,
# never taken from a document).  A malformed or unknown-state document is
# refused with the file and the position, and writes nothing.
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
command -v jq >/dev/null || { echo "SKIP: no jq"; exit 77; }
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export DEFUSE_NOW=2021-12-14T12:00:00Z
DB="$T/reg.db"
R() { "$DEFUSE" register --db "$DB" --vulndb "$DEFUSE_SRC/data/vulndb.json" --by ci "$@"; }
rec() { printf '{"type":"component","path":"%s","product":"%s","version":"%s"}\n{"type":"summary","scan_time":"2021-12-14T10:00:00Z"}\n' "$@"; }
rec /a/log4j-core-2.14.1.jar log4j-core 2.14.1 >"$T/a.json"
rec /b/log4j-core-2.14.1.jar log4j-core 2.14.1 >"$T/b.json"
rec /c/log4j-1.2.17.jar log4j 1.2.17 >"$T/c.json"
R ingest --asset web-a --env prod "$T/a.json" >/dev/null
R ingest --asset web-b --env staging "$T/b.json" >/dev/null
R ingest --asset old-c --env dev "$T/c.json" >/dev/null
st() { R exposures --all --json --asset "$1" --cve "$2" | jq -r '.[0].state // "none"'; }
CORE=pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1
# a supplier's CycloneDX VEX, by purl: 44832 not affected (both assets),
# 45105 accepted, 44228 resolved (nothing recorded: only a rescan fixes)
cat >"$T/supplier.cdx.json" <<EOF2
{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,
 "components":[{"type":"library","bom-ref":"core","name":"log4j-core","version":"2.14.1","purl":"$CORE"}],
 "vulnerabilities":[
  {"id":"CVE-2021-44832","analysis":{"state":"not_affected","justification":"requires_configuration","detail":"no JDBC appender"},"affects":[{"ref":"core"}]},
  {"id":"CVE-2021-45105","analysis":{"state":"exploitable","response":["will_not_fix"],"detail":"internal only"},"affects":[{"ref":"core"}]},
  {"id":"CVE-2021-44228","analysis":{"state":"resolved"},"affects":[{"ref":"core"}]}]}
EOF2
R vex import "$T/supplier.cdx.json" >"$T/out" || fail "cyclonedx import: exit $?"
for a in web-a web-b; do
    [ "$(st $a CVE-2021-44832)" = false-positive ] || fail "$a 44832: $(st $a CVE-2021-44832)"
    [ "$(st $a CVE-2021-45105)" = accepted ] || fail "$a 45105: $(st $a CVE-2021-45105)"
    [ "$(st $a CVE-2021-44228)" = affected ] || fail "$a 44228 changed by 'resolved': $(st $a CVE-2021-44228)"
done
R history --asset web-a --json | jq -e '[.[] | select(.event == "false-positive" and (.detail | test("VEX")))] | length == 1' >/dev/null ||
    fail "history does not name the VEX document"
# OpenVEX naming one asset through the register's own export property
cat >"$T/ours.openvex.json" <<'EOF2'
{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1","author":"sec team","timestamp":"2021-12-14T11:00:00Z","version":1,
 "statements":[
  {"vulnerability":{"name":"CVE-2021-4104"},"products":[{"@id":"pkg:maven/log4j/log4j@1.2.17"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path","impact_statement":"JMSAppender not configured"},
  {"vulnerability":{"name":"CVE-2019-17571"},"products":[{"@id":"pkg:maven/log4j/log4j@1.2.17"}],"status":"under_investigation"}]}
EOF2
R vex import "$T/ours.openvex.json" >/dev/null || fail "openvex import: exit $?"
[ "$(st old-c CVE-2021-4104)" = false-positive ] || fail "old-c 4104: $(st old-c CVE-2021-4104)"
[ "$(st old-c CVE-2019-17571)" = affected ] || fail "old-c 17571 changed by under_investigation"
# the register's own export, imported into a second register, carries the verdicts
R vex --asset web-a >"$T/export.json"
DB2="$T/reg2.db"
"$DEFUSE" register --db "$DB2" --vulndb "$DEFUSE_SRC/data/vulndb.json" ingest --asset web-a --env prod "$T/a.json" >/dev/null
"$DEFUSE" register --db "$DB2" --vulndb "$DEFUSE_SRC/data/vulndb.json" vex import "$T/export.json" >/dev/null || fail "re-import of the export"
s=$("$DEFUSE" register --db "$DB2" exposures --json --all --asset web-a --cve CVE-2021-45105 | jq -r '.[0].state')
[ "$s" = accepted ] || fail "export -> import: 45105 $s"
# refused: malformed JSON, unknown state; nothing written
before=$(R history --asset web-a --json | jq length)
printf '{"bomFormat":"CycloneDX",\n "vulnerabilities": [\n' >"$T/broken.json"
jq '.vulnerabilities[0].analysis.state = "sort_of"' "$T/supplier.cdx.json" >"$T/badstate.json"
for f in broken.json badstate.json; do
    rc=0
    R vex import "$T/$f" >/dev/null 2>"$T/err" || rc=$?
    [ "$rc" = 2 ] || fail "$f: exit $rc"
    grep -q "$f" "$T/err" || { cat "$T/err"; fail "$f: error does not name the file"; }
done
grep -q "sort_of" "$T/err" || fail "unknown state not named"
[ "$(R history --asset web-a --json | jq length)" = "$before" ] || fail "a refused document wrote history"
echo "PASS: CycloneDX VEX and OpenVEX verdicts imported"
