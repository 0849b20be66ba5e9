#!/usr/bin/python3
"""oracle_check.py -- checks gen_attack.py's expected callbacks against real log4j.

Usage: oracle_check.py TRUTH.jsonl MAX -- ORACLE_COMMAND...

Takes the first MAX payloads of the truth file (the text before transport
encoding), feeds them as hex cases to the project's real-log4j oracle
(tests/diff/Log4jDiff.java "eval", on log4j-core 2.14.1), and compares the
JNDI names log4j requested with the expected callback. Prints a one-line
verdict; exit 0 when every payload made log4j request exactly its expected
name, 1 otherwise (the first differences are listed).
"""

import json
import subprocess
import sys


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.stderr.write(__doc__)
        return 2
    truth_path, limit, oracle = sys.argv[1], int(sys.argv[2]), sys.argv[4:]
    cases = []
    with open(truth_path) as f:
        for line in f:
            cases.append(json.loads(line))
            if len(cases) >= limit:
                break
    data = "".join(c["payload"].encode("utf-8").hex() + "\n" for c in cases)
    res = subprocess.run(oracle, input=data.encode(), stdout=subprocess.PIPE, check=True)
    results = res.stdout.decode().splitlines()
    if len(results) != len(cases):
        print("oracle: %d results for %d cases" % (len(results), len(cases)))
        return 1
    bad = []
    for c, r in zip(cases, results):
        fields = r.split(" ")
        names = [bytes.fromhex(x[1:]).decode("utf-8", "replace") for x in fields[1:]
                 if x.startswith("=")]
        if fields[0] != "ok" or names != [c["callback"]]:
            bad.append((c["line"], c["payload"], c["callback"], r[:200]))
    print("real log4j 2.14.1 requested the expected JNDI name for %d of %d generated payloads"
          % (len(cases) - len(bad), len(cases)))
    for b in bad[:10]:
        print("  line %d: %r expected %r, oracle: %s" % b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
