#!/usr/bin/env bash
# logs_samples.sh -- the README's main job, `defuse logs --summary samples/`,
# on the bundled samples: every line that carries one of the generator's
# attack payloads (raw, percent-encoded or JSON-quoted) is reported as jndi
# at its line, no line with a legitimate ${...} template is reported, and
# the summary shows the spike hour, the attackers and the sections.
source "$(dirname "$0")/logs_lib.bash"
S="$DEFUSE_SRC/samples"
[ -d "$S" ] || { echo "no samples/"; exit 77; }
"$DEFUSE" logs --json "$S" > "$T/out.json"; rc=$?
expect_rc 1 "$rc" "samples have findings"
python3 - "$DEFUSE_SRC" "$T/out.json" <<'PY' || fail "sample findings"
import gzip, json, os, sys
src, out = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(src, "tests", "e2e"))
import logs_make_samples as g
samples = os.path.join(src, "samples")
forms = []
for p in g.ATTACKS:
    forms += [p, g.pct(p), p.replace(" ", "%20"), json.dumps(p, ensure_ascii=False)[1:-1]]
want, benign = set(), set()
for name in sorted(os.listdir(samples)):
    path = os.path.join(samples, name)
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if any(x in line for x in forms):
                want.add((name, i))
            if any(t in line for t in g.BENIGN_TEMPLATES) or "${db.pool.size}" in line or "${order.id}" in line:
                benign.add((name, i))
rows = [json.loads(l) for l in open(out)]
got = {(os.path.basename(r["file"]), r["line"]) for r in rows if r["kind"] == "jndi"}
anyk = {(os.path.basename(r["file"]), r["line"]) for r in rows}
missed, extra = want - got, got - want
assert not missed, ("jndi payload lines not reported", sorted(missed)[:10], len(missed))
assert not extra, ("jndi reported on lines without an attack payload", sorted(extra)[:10])
assert not (anyk & benign), ("template lines reported", sorted(anyk & benign)[:10])
assert len(want) > 80 and len(benign) > 10, (len(want), len(benign))
print("ok: %d attack lines found, %d template lines quiet" % (len(want), len(benign)))
PY
"$DEFUSE" logs --summary "$S" > "$T/sum.txt"; rc=$?
expect_rc 1 "$rc" "--summary exit status"
for h in "Findings per kind" "Attempts per hour" "Top source addresses" "Top callback hosts" \
         "Exfiltration keys tried" "Decoded commands"; do
    expect_grep "$h" "$T/sum.txt" "summary section '$h'"
done
expect_grep "198.51.100.23" "$T/sum.txt" "attacker address listed"
expect_grep "env:AWS_SECRET_ACCESS_KEY" "$T/sum.txt" "exfiltration key listed"
expect_nogrep '${' "$T/sum.txt" "summary defanged"
# the busiest hour is in the afternoon spike of 2021-12-10, not before 13:00
python3 - "$T/sum.txt" <<'PY' || fail "spike hour"
import re, sys
bars = re.findall(r"^  (2021-12-\d\dT\d\d):00 +(\d+)", open(sys.argv[1]).read(), re.M)
top = max(bars, key=lambda b: int(b[1]))
assert "2021-12-10T13" <= top[0] <= "2021-12-10T17", top
print("ok: spike at", top[0])
PY
finish
