#!/usr/bin/env bash
# register_basic.sh -- end-to-end test of `defuse register` on the SQLite
# back end: fixture jars (built here with javac/jar as scan_fixtures.sh
# does) scanned by the real `defuse scan --json` as three assets in three
# environments; ingest (idempotent, atomic, malformed input refused with
# FILE:LINE:COL and nothing written, kill -9 mid-ingest leaves the old
# state); a CVE added to a copy of data/vulndb.json and `evaluate` (new
# exposures, clock from when the register learned of the CVE); SLA clocks
# at injected times (DEFUSE_NOW); mitigations (covered and refused); accept;
# a fix seen by a rescan; history; --json everywhere.
set -euo pipefail
: "${DEFUSE:?}" "${DEFUSE_SRC:?}"
command -v javac >/dev/null && command -v jar >/dev/null || { echo "SKIP: no javac/jar"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: no jq"; exit 77; }
# REGISTER_URL (set by register_postgres.sh): run the same test on PostgreSQL.
if [ -n "${REGISTER_URL:-}" ]; then
    command -v psql >/dev/null || { echo "SKIP: no psql"; exit 77; }
else
    command -v sqlite3 >/dev/null || { echo "SKIP: no sqlite3 shell"; exit 77; }
fi
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
FX="$DEFUSE_SRC/tests/fixtures/scan"
fail() { echo "FAIL: $*" >&2; exit 1; }
DB=${REGISTER_URL:-$T/reg.db}
R() { "$DEFUSE" register --db "$DB" --by alice "$@"; }
VDB="$T/vulndb.json"
sql() { if [ -n "${REGISTER_URL:-}" ]; then psql -qAt "$DB" -c "$1"; else sqlite3 "$DB" "$1"; fi; }
# every row that an ingest or evaluation could write or change
dump() {
    for t in assets scans components cves controls history sla_policy vendors; do
        sql "SELECT COUNT(*) FROM $t"
    done
    sql "SELECT asset || ckey || cve || state || due_at || updated_at || evidence FROM exposures ORDER BY 1"
    sql "SELECT asset || ckey || last_seen || COALESCE(gone_at, 0) FROM components ORDER BY 1"
}

# every exposure column, each row
xdump() {
    sql "SELECT asset, ckey, cve, env, state, certain, opened_at, due_at, COALESCE(closed_at, 0),
                evidence, COALESCE(product, '-'), COALESCE(version, '-'), COALESCE(purl, '-'),
                COALESCE(path, '-'), owner, exposure, kind, updated_at FROM exposures ORDER BY 1, 2, 3"
}
# An evaluation that read only what changed must leave what reading
# everything would: `evaluate --full` afterwards changes no row (VDB: $1).
full_agrees() {
    xdump >"$T/inc.rows"
    local h0 h1 out
    h0=$(sql "SELECT COUNT(*) FROM history")
    out=$(R --vulndb "$1" evaluate --full --json)
    [ "$(echo "$out" | jq '.full')" = true ] || fail "evaluate --full did not read everything: $out"
    xdump >"$T/full.rows"
    h1=$(sql "SELECT COUNT(*) FROM history")
    cmp -s "$T/inc.rows" "$T/full.rows" ||
        fail "$2: a full evaluation differs: $(diff "$T/inc.rows" "$T/full.rows" | head -5)"
    [ "$h0" = "$h1" ] || fail "$2: a full evaluation wrote $((h1 - h0)) history rows"
    echo "ok: $2: evaluate --full agrees ($(wc -l <"$T/inc.rows") exposures)"
}

# ---- fixtures: three hosts --------------------------------------------------
mkdir -p "$T/cls" "$T/j"
javac -d "$T/cls" $(find "$FX/core" -name '*.java')
pom() { mkdir -p "$1/META-INF/maven/$2/$3"
        printf 'version=%s\ngroupId=%s\nartifactId=%s\n' "$4" "$2" "$3" >"$1/META-INF/maven/$2/$3/pom.properties"; }
mkdir -p "$T/j/core" && cp -r "$T/cls/." "$T/j/core/" && pom "$T/j/core" org.apache.logging.log4j log4j-core 2.14.1
mkdir -p "$T/j/mit" && cp -r "$T/j/core/." "$T/j/mit/" && rm "$T/j/mit/org/apache/logging/log4j/core/lookup/JndiLookup.class"
pom "$T/j/api" org.apache.logging.log4j log4j-api 2.14.1
pom "$T/j/l1" log4j log4j 1.2.17
mkdir -p "$T/web1" "$T/stage1" "$T/build1"
(cd "$T/j/core" && jar cf "$T/web1/log4j-core-2.14.1.jar" .)
(cd "$T/j/api" && jar cf "$T/web1/log4j-api-2.14.1.jar" .)
(cd "$T/j/mit" && jar cf "$T/stage1/app-core.jar" .)
(cd "$T/j/l1" && jar cf "$T/build1/log4j-1.2.17.jar" .)
scan() { "$DEFUSE" scan --no-progress --json "$1" 2>/dev/null || [ $? -le 1 ]; }
scan "$T/web1" >"$T/web1.json"
scan "$T/stage1" >"$T/stage1.json"
scan "$T/build1" >"$T/build1.json"
grep -q '"jndilookup":"removed"' "$T/stage1.json" || fail "fixture: stage1 not mitigated"

# Day 1 (2021-12-10): vulnerability data that does not know CVE-2021-45046 yet.
jq 'del(.vulnerabilities[] | select(.id == "CVE-2021-45046"))' "$DEFUSE_SRC/data/vulndb.json" >"$VDB"
export DEFUSE_NOW=2021-12-10T12:00:00Z
R --vulndb "$VDB" ingest --asset web-1 --env prod --owner payments --exposure public "$T/web1.json" >/dev/null
R --vulndb "$VDB" ingest --asset stage-1 --env staging --owner payments "$T/stage1.json" >/dev/null
R --vulndb "$VDB" ingest --asset build-1 --env dev --owner platform --kind image "$T/build1.json" >/dev/null

n=$(R assets --json | jq length); [ "$n" = 3 ] || fail "assets: $n"
# each ingest stored what its components matched: evaluating with the same
# data reads nothing
out=$(R --vulndb "$VDB" evaluate --json)
[ "$(echo "$out" | jq -c '[.full, .assets, .components, .opened, .changed]')" = '[false,0,0,0,0]' ] ||
    fail "evaluate with the data of the ingests: $out"
ex() { R exposures --json "$@"; }
st() { ex --asset "$1" --cve "$2" | jq -r '.[0].state // "none"'; }
[ "$(st web-1 CVE-2021-44228)" = affected ] || fail "web-1 44228: $(st web-1 CVE-2021-44228)"
[ "$(st web-1 CVE-2021-45046)" = none ] || fail "45046 known before it was added"
[ "$(st stage-1 CVE-2021-44228)" = mitigated ] || fail "stage-1 44228 (JndiLookup removed): $(st stage-1 CVE-2021-44228)"
[ "$(st stage-1 CVE-2021-45105)" = affected ] || fail "stage-1 45105 must stay open"
[ "$(st build-1 CVE-2021-4104)" = affected ] || fail "build-1 log4j 1.x"
# the lookalike stays clean
n=$(ex --component pkg:maven/org.apache.logging.log4j/log4j-api | jq length)
[ "$n" = 0 ] || fail "log4j-api has exposures"
n=$(ex --component pkg:maven/org.apache.logging.log4j/log4j-core | jq length)
[ "$n" = 6 ] || fail "log4j-core purl query: $n (web-1 and stage-1: 44228 45105 44832 each)"
# clocks: critical 48 h from ingest, others 7 days
due=$(ex --asset web-1 --cve CVE-2021-44228 | jq -r '.[0].due_at')
[ "$due" = 2021-12-12T12:00:00Z ] || fail "44228 due $due"
due=$(ex --asset web-1 --cve CVE-2021-44832 | jq -r '.[0].due_at')
[ "$due" = 2021-12-17T12:00:00Z ] || fail "44832 due $due"

# ---- idempotent: the same file twice changes nothing -------------------------
dump >"$T/before.sql"
out=$(R --vulndb "$VDB" ingest --asset web-1 --env prod "$T/web1.json")
case "$out" in *"nothing changed"*) ;; *) fail "second ingest: $out";; esac
dump >"$T/after.sql"
cmp -s "$T/before.sql" "$T/after.sql" || fail "second ingest changed the register"
# a scan whose first records are not components (`scan --fix --json` writes its
# fix records first, SBOM notes come as sbom records) is still a scan
{ echo '{"type":"fix","path":"/x/a.jar","action":"removed"}'
  echo '{"type":"sbom","path":"/x/bom.json","format":"CycloneDX"}'; cat "$T/web1.json"; } >"$T/fixfirst.json"
out=$(R --vulndb "$VDB" ingest --asset web-1 --env prod "$T/fixfirst.json" 2>&1) ||
    fail "a scan starting with a fix record refused: $out"
case "$out" in *"nothing changed"*|*"1 components; 0 exposures opened, 0 changed"*) ;; *) fail "the same scan after fix records: $out";; esac
dump >"$T/before.sql"   # (a new scan row: the malformed checks compare with this)

# ---- malformed input: FILE:LINE:COL, exit 2, nothing written ------------------
{ head -n 1 "$T/web1.json"; echo '{"type":"component","path":'; } >"$T/bad.json"
set +e; R --vulndb "$VDB" ingest --asset web-1 --env prod "$T/bad.json" 2>"$T/err"; rc=$?; set -e
[ $rc = 2 ] || fail "malformed: exit $rc"
grep -q "bad.json:2:" "$T/err" || fail "malformed: no position: $(cat "$T/err")"
echo '["not","a","scan"]' >"$T/bad2.json"
set +e; R --vulndb "$VDB" ingest --asset new-1 --env prod "$T/bad2.json" 2>"$T/err"; rc=$?; set -e
[ $rc = 2 ] && grep -q "bad2.json:1:1" "$T/err" || fail "not a scan: exit $rc $(cat "$T/err")"
dump >"$T/after.sql"
cmp -s "$T/before.sql" "$T/after.sql" || fail "a malformed file changed the register"

# ---- SLA clocks at injected times ---------------------------------------------
s() { DEFUSE_NOW=$1 R status --json | jq -r ".total.$2"; }
# five critical ones open (web-1 44228; build-1 17571, 23305, 23307, 2020-9493), due
# 2021-12-12T12:00Z; 13 open in all (web-1 3, stage-1 2, build-1 8: the five, 4104,
# 23302, 2023-26464, 2020-9488 -- a pom without classes rules none out)
[ "$(s 2021-12-11T11:59:59Z due_soon)" = 0 ] || fail "due soon 24 h + 1 s before"
[ "$(s 2021-12-11T13:00:00Z due_soon)" = 5 ] || fail "due soon at day 2: $(s 2021-12-11T13:00:00Z due_soon)"
[ "$(s 2021-12-11T13:00:00Z breached)" = 0 ] || fail "breached too early"
[ "$(s 2021-12-12T12:00:01Z breached)" = 5 ] || fail "critical ones not breached after 48 h"
[ "$(s 2021-12-17T12:00:01Z breached)" = 13 ] || fail "all open ones breached after 7 days"
set +e; DEFUSE_NOW=2021-12-12T12:00:01Z R status --fail-on-breach >/dev/null; rc=$?; set -e
[ $rc = 1 ] || fail "status --fail-on-breach: exit $rc"
set +e; R status --fail-on-breach >/dev/null; rc=$?; set -e
[ $rc = 0 ] || fail "status --fail-on-breach before the deadline: exit $rc"

# ---- day 5: CVE-2021-45046 arrives; evaluate without rescanning ---------------
export DEFUSE_NOW=2021-12-14T12:00:00Z
out=$(R --vulndb "$DEFUSE_SRC/data/vulndb.json" evaluate --json)
opened=$(echo "$out" | jq '[.changes[] | select(.cve == "CVE-2021-45046" and .old_state == null)] | length')
[ "$opened" = 2 ] || fail "evaluate: 45046 opened $opened (web-1 and stage-1)"
# only the two log4j-core 2.14.1 components match differently: build-1 is not read
[ "$(echo "$out" | jq -c '[.full, .assets, .components]')" = '[false,2,2]' ] ||
    fail "evaluate of one new CVE read more than what it changes: $out"
full_agrees "$DEFUSE_SRC/data/vulndb.json" "one new CVE"
[ "$(st web-1 CVE-2021-45046)" = affected ] || fail "web-1 45046"
[ "$(st stage-1 CVE-2021-45046)" = mitigated ] || fail "stage-1 45046: JndiLookup removal covers it"
due=$(ex --asset web-1 --cve CVE-2021-45046 | jq -r '.[0].due_at')
[ "$due" = 2021-12-16T12:00:00Z ] || fail "45046 clock must start when learned: due $due"
# evaluating again opens nothing
n=$(R --vulndb "$DEFUSE_SRC/data/vulndb.json" evaluate --json | jq '.opened + .changed')
[ "$n" = 0 ] || fail "second evaluate changed $n"
# exposures --cve --env
n=$(ex --cve CVE-2021-45046 --env prod | jq length); [ "$n" = 1 ] || fail "45046 in prod: $n"

# ---- mitigations: covered, refused ---------------------------------------------
export DEFUSE_NOW=2021-12-14T13:00:00Z
R mitigate --asset web-1 --cve CVE-2021-44228 --control formatMsgNoLookups \
  --evidence "JAVA_TOOL_OPTIONS set on web-1 (change 4711)" --expires 2022-01-31 >/dev/null
[ "$(st web-1 CVE-2021-44228)" = mitigated ] || fail "mitigate 44228"
set +e; R mitigate --asset web-1 --cve CVE-2021-45046 --control formatMsgNoLookups --evidence x 2>"$T/err"; rc=$?; set -e
[ $rc = 2 ] && grep -q "does not cover CVE-2021-45046" "$T/err" || fail "formatMsgNoLookups closed 45046 (exit $rc)"
[ "$(st web-1 CVE-2021-45046)" = affected ] || fail "45046 after a refused mitigation"
R accept --asset build-1 --cve CVE-2021-4104 --reason "no JMS configured" --expires 2021-12-20 >/dev/null
[ "$(st build-1 CVE-2021-4104)" = accepted ] || fail "accept"
# the acceptance expires: open again at the next evaluation after its date
out=$(DEFUSE_NOW=2021-12-21T00:00:00Z R --vulndb "$DEFUSE_SRC/data/vulndb.json" evaluate --json)
[ "$(st build-1 CVE-2021-4104)" = affected ] || fail "expired acceptance still closes 4104"
[ "$(echo "$out" | jq -c '[.full, .assets]')" = '[false,1]' ] ||
    fail "an expired control: only its asset is read: $out"
DEFUSE_NOW=2021-12-21T00:00:00Z full_agrees "$DEFUSE_SRC/data/vulndb.json" "an expired acceptance"

# ---- the fix: a rescan without the jar -----------------------------------------
rm "$T/web1/log4j-core-2.14.1.jar"
scan "$T/web1" >"$T/web1-fixed.json"
export DEFUSE_NOW=2021-12-22T08:00:00Z
R ingest --asset web-1 "$T/web1-fixed.json" >/dev/null
n=$(ex --asset web-1 --all | jq '[.[] | select(.state != "fixed")] | length')
[ "$n" = 0 ] || fail "web-1 after the fix: $n not fixed"
closed=$(ex --asset web-1 --all | jq -r '[.[].closed_at] | unique | join(",")')
[ "$closed" = 2021-12-22T08:00:00Z ] || fail "fixed at $closed"
ex --asset web-1 --all | jq -e 'all(.[]; .evidence | test("component gone in scan"))' >/dev/null || fail "no scan evidence"
n=$(ex --asset web-1 | jq length); [ "$n" = 0 ] || fail "open list shows fixed ones"
R history --asset web-1 --json | jq -e 'any(.[]; .event == "mitigation" and .by == "alice")' >/dev/null || fail "history: mitigation by alice"
R history --asset web-1 --json | jq -e 'any(.[]; .event == "state" and .new_state == "fixed")' >/dev/null || fail "history: fixed"

# ---- unknown version: review, never clean ----------------------------------------
printf '{"type":"component","path":"/opt/x/shaded.jar","product":"log4j-core","version":null,"jndilookup":"unknown"}\n' >"$T/unk.json"
R ingest --asset odd-1 --env dev "$T/unk.json" >/dev/null
[ "$(st odd-1 CVE-2021-44228)" = review ] || fail "unknown version: $(st odd-1 CVE-2021-44228)"

# ---- older data at ingest: the next evaluate corrects that asset --------------------
# app-2 is ingested with day-1 data (no 45046) while the register was evaluated
# with the full data: its log4j-core 2.14.1 is marked stale, and the next
# evaluate, reading only what changed, opens 45046 on it
cp "$T/stage1.json" "$T/app2.json"
R --vulndb "$VDB" ingest --asset app-2 --env staging "$T/app2.json" >/dev/null
[ "$(st app-2 CVE-2021-45046)" = none ] || fail "app-2 evaluated with day-1 data has 45046"
out=$(R --vulndb "$DEFUSE_SRC/data/vulndb.json" evaluate --json)
[ "$(st app-2 CVE-2021-45046)" = mitigated ] || fail "stale match not re-evaluated: $out"
[ "$(echo "$out" | jq '.full')" = false ] || fail "a stale match needs no full pass: $out"
full_agrees "$DEFUSE_SRC/data/vulndb.json" "a match evaluated with older data"

# ---- an SLA change moves every clock: the next evaluate reads everything ----------
R sla --set critical@dev=24 >/dev/null
out=$(R --vulndb "$DEFUSE_SRC/data/vulndb.json" evaluate --json)
[ "$(echo "$out" | jq '.full')" = true ] || fail "evaluate after sla --set: $out"
due=$(ex --asset build-1 --cve CVE-2022-23305 | jq -r '.[0].due_at')
[ "$due" = 2021-12-11T12:00:00Z ] || fail "critical@dev=24: 23305 due $due"
out=$(R --vulndb "$DEFUSE_SRC/data/vulndb.json" evaluate --json)
[ "$(echo "$out" | jq -c '[.full, .components]')" = '[false,0]' ] || fail "nothing changed: $out"

# ---- migration 3 fills the exposure rows from components and assets ----------------
R exposures --all --json >"$T/x3.json"
if [ -n "${REGISTER_URL:-}" ]; then psql -q "$DB" -f "$DEFUSE_SRC/tests/e2e/register_schema2.sql" >/dev/null
else sqlite3 "$DB" <"$DEFUSE_SRC/tests/e2e/register_schema2.sql"; fi
R exposures --all --json >"$T/x2.json"   # opened by this build: migrated to 3
[ "$(sql 'SELECT MAX(version) FROM reg_migrations')" = 3 ] || fail "not migrated to 3"
cmp -s "$T/x3.json" "$T/x2.json" || fail "migration 3: exposures differ: $(diff "$T/x3.json" "$T/x2.json" | head -5)"
out=$(R --vulndb "$DEFUSE_SRC/data/vulndb.json" evaluate --json)
[ "$(echo "$out" | jq -c '[.full, .opened, .changed]')" = '[true,0,0]' ] || fail "after migration 3: $out"
echo "ok: migration 3 kept $(jq length "$T/x3.json") exposures as they were"

# ---- VEX export: CycloneDX 1.5 and OpenVEX 0.2.0 -----------------------------------
R vex >"$T/cdx.json"
jq -e '.bomFormat == "CycloneDX" and .specVersion == "1.5"' "$T/cdx.json" >/dev/null || fail "cdx header"
a=$(jq -r '[.vulnerabilities[] | select(.id == "CVE-2021-45046") | .affects[0].ref as $r |
      .analysis.state + ":" + (.analysis.justification // "-") + ":" + ($r | split("/")[0])] | sort | join(" ")' "$T/cdx.json")
[ "$a" = "in_triage:-:odd-1 not_affected:protected_by_mitigating_control:app-2 not_affected:protected_by_mitigating_control:stage-1 resolved:-:web-1" ] || fail "cdx 45046: $a"
jq -e '[.vulnerabilities[].affects[].ref] - [.components[]."bom-ref"] == []' "$T/cdx.json" >/dev/null || fail "cdx dangling refs"
R vex --format openvex --asset build-1 >"$T/ovx.json"
a=$(jq -r '.statements[] | select(.vulnerability.name == "CVE-2021-4104") | .status + ":" + .products[0]["@id"] + ":" + .products[0].subcomponents[0]["@id"]' "$T/ovx.json")
[ "$a" = "affected:urn:defuse:asset:build-1:pkg:maven/log4j/log4j@1.2.17" ] || fail "openvex 4104: $a"
set +e; R vex --format spdx >/dev/null 2>&1; rc=$?; set -e; [ $rc = 2 ] || fail "vex --format spdx: exit $rc"

# ---- vendors: follow-ups, access limits, --overdue -------------------------------
export DEFUSE_NOW=2021-12-13T10:00:00Z
R vendors --vendor "Acme Payroll" --products "payroll SaaS" --data-access "employee PII" \
  --status unknown --contacted 2021-12-11 --follow-up 2021-12-13T09:00:00Z \
  --access-limit "site-to-site VPN closed" >/dev/null
R vendors --vendor "Beta CRM" --status not-affected --answered 2021-12-12 \
  --statement https://beta.example/security/log4j >/dev/null
n=$(R vendors --overdue --json | jq -r '[.[].name] | join(",")')
[ "$n" = "Acme Payroll" ] || fail "vendors --overdue: $n"
R vendors --vendor "Acme Payroll" --status fixed --answered 2021-12-13 --follow-up 2021-12-20 >/dev/null
n=$(R vendors --overdue --json | jq length); [ "$n" = 0 ] || fail "overdue after the answer: $n"
v=$(R vendors --json | jq -c '.[] | select(.name == "Acme Payroll") | [.status, .data_access, .access_limit, .contacted_at]')
[ "$v" = '["fixed","employee PII","site-to-site VPN closed","2021-12-11T00:00:00Z"]' ] || fail "vendor update lost fields: $v"
set +e; R vendors --vendor X --status maybe 2>/dev/null; rc=$?; set -e
[ $rc = 2 ] || fail "bad vendor status: exit $rc"
[ "$(R vendors --json | jq length)" = 2 ] || fail "a refused vendor was written"

# ---- a field too long for the match cache: evaluate falls back to reading everything --
# (a supplier's SBOM can carry any version string; such a match has no signature to
# compare, so a partial evaluate could miss it)
lv=$(printf 'v%.0s' $(seq 300))
printf '{"type":"component","path":"/opt/l/x.jar","product":"log4j-core","version":"%s","jndilookup":"present"}\n' "$lv" >"$T/long.json"
R ingest --asset long-1 --env dev "$T/long.json" >/dev/null
[ "$(st long-1 CVE-2021-44228)" = review ] || fail "300-byte version: $(st long-1 CVE-2021-44228)"
for i in 1 2; do
    out=$(DEFUSE_NOW=2021-12-23T00:00:00Z R evaluate --json)
    [ "$(echo "$out" | jq -c '[.full, .opened, .changed]')" = '[true,0,0]' ] ||
        fail "evaluate with an uncacheable match ($i): $out"
done
echo "ok: a 300-byte version: review, and every evaluate reads everything"

# ---- kill -9 mid-ingest leaves the old state or the new one, never half ---------
python3 - "$T/big.json" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(40000):
        f.write(json.dumps({"type": "component", "path": "/srv/app%05d/log4j-core.jar" % i,
                            "product": "log4j-core", "version": "2.14.1", "jndilookup": "present"}) + "\n")
PY
before=$(sql "SELECT COUNT(*) FROM components WHERE asset = 'web-1'")
"$DEFUSE" register --db "$DB" ingest --asset web-1 "$T/big.json" >/dev/null 2>&1 &
pid=$!
sleep 1.5
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
after=$(sql "SELECT COUNT(*) FROM components WHERE asset = 'web-1'")
[ "$after" = "$before" ] || [ "$after" = $((before + 40000)) ] || fail "kill -9: $before -> $after components"
[ -n "${REGISTER_URL:-}" ] || [ "$(sql 'PRAGMA integrity_check')" = ok ] || fail "integrity"
echo "kill -9 mid-ingest ($([ -n "${REGISTER_URL:-}" ] && echo postgresql || echo sqlite)): components $before -> $after"
echo OK
