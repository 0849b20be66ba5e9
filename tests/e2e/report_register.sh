#!/usr/bin/env bash
# report_register.sh -- the Exposure section of `defuse report --db` (issue
# 14): a register built by `defuse register` from real `defuse scan` output
# of three small hosts (as register_basic.sh builds them), read through the
# register's query interface; the open exposures, SLA clocks (breached / due
# soon / on track), states and vendors read back from the page in Chromium
# must equal `defuse register status/exposures/vendors --json` at the same
# time.  Without --db there is no Exposure section; a missing database file
# is an error, not an empty register.
source "$(dirname "$0")/report_lib.bash"
command -v javac >/dev/null && command -v jar >/dev/null || { echo "SKIP: no javac/jar"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: no jq"; exit 77; }
FX="$DEFUSE_SRC/tests/fixtures/scan"
DB=$T/reg.db
R() { "$DEFUSE" register --db "$DB" --by alice "$@"; }

mkdir -p "$T/cls" "$T/j"
javac -d "$T/cls" $(find "$FX/core" -name '*.java')
pom() { mkdir -p "$1/META-INF/maven/$2/$3"
        printf 'version=%s\ngroupId=%s\nartifactId=%s\n' "$4" "$2" "$3" >"$1/META-INF/maven/$2/$3/pom.properties"; }
mkdir -p "$T/j/core" && cp -r "$T/cls/." "$T/j/core/" && pom "$T/j/core" org.apache.logging.log4j log4j-core 2.14.1
mkdir -p "$T/j/mit" && cp -r "$T/j/core/." "$T/j/mit/" && rm "$T/j/mit/org/apache/logging/log4j/core/lookup/JndiLookup.class"
pom "$T/j/l1" log4j log4j 1.2.17
mkdir -p "$T/web1" "$T/stage1" "$T/build1"
(cd "$T/j/core" && jar cf "$T/web1/log4j-core-2.14.1.jar" .)
(cd "$T/j/mit" && jar cf "$T/stage1/app-core.jar" .)
(cd "$T/j/l1" && jar cf "$T/build1/log4j-1.2.17.jar" .)
scan() { "$DEFUSE" scan --no-progress --json "$1" 2>/dev/null || [ $? -le 1 ]; }
for h in web1 stage1 build1; do scan "$T/$h" >"$T/$h.json"; done
export DEFUSE_NOW=2021-12-10T12:00:00Z
R ingest --asset web-1 --env prod --exposure public "$T/web1.json" >/dev/null
R ingest --asset stage-1 --env staging "$T/stage1.json" >/dev/null
R ingest --asset '<b>build-1</b>' --env dev --kind image "$T/build1.json" >/dev/null
R vendors --vendor "Acme Payroll" --status affected --contacted 2021-12-10 --follow-up 2021-12-12 >/dev/null
R vendors --vendor "Beta CRM" --status not-affected --answered 2021-12-11 >/dev/null

NOW=2021-12-12T13:00:00Z # past the 48 h of the critical ones
export DEFUSE_NOW=$NOW
"$DEFUSE" report -o "$T/exp.html" --db "$DB" --now "$NOW" || fail "defuse report --db exited $?"
st=$(R status --json)
all=$(R exposures --json)
"$PY" - "$st" "$all" "$(R vendors --overdue --json)" >"$T/expect.json" <<'EOF'
import collections, json, sys
st, allx, overdue = (json.loads(a) for a in sys.argv[1:4])
t = st["total"]
states = collections.Counter(e["state"] for e in allx)
open_ = sum(1 for e in allx if e["state"] in ("affected", "review"))
ids = {"n-exp-open": open_, "n-exp-closed": len(allx) - open_}
if t.get("breached"):
    ids["n-sla-breached"] = t["breached"]
if t.get("due_soon"):
    ids["n-sla-due-soon"] = t["due_soon"]
json.dump({"ids": ids, "rows": {"exp-states": dict(states),
                                "vendor-overdue": {v["name"]: 1 for v in overdue}},
           "present": ["exposure", "next"], "absent": ["spike", "who", "what", "edge"]}, sys.stdout)
EOF
cat "$T/expect.json"; echo
browser "$T/exp.html" "$T/expect.json" register || fail "browser checks"
ok "exposures, SLA clocks, states and overdue vendors equal the register's own answers"
grep -q '&lt;b&gt;build-1&lt;/b&gt;' "$T/exp.html" || fail "an asset name is not escaped"
grep -q 'Past their SLA' "$T/exp.html" || fail "no overdue list"

set +e
"$DEFUSE" report -o "$T/none.html" --db "$T/missing.db" 2>"$T/err"; rc=$?
set -e
[ $rc = 2 ] && grep -q "missing.db" "$T/err" || fail "missing database: exit $rc $(cat "$T/err")"
[ ! -e "$T/missing.db" ] || fail "a missing database was created"
ok "a missing database is an error naming it, and is not created"
