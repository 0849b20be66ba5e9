#!/usr/bin/env python3
"""logs_vs_scan.py -- does `defuse logs --json` report what defuse_scan() does?

Part of the differential tests (docs/differential-testing.md).  Usage:

    logs_vs_scan.py CASES.hex NORMAL.out DEFUSE WORKDIR

CASES.hex holds one case per line (hex of its bytes), NORMAL.out the
matching `defuse_eval -n` lines ("STATUS =HEX ...").  The cases without a
CR or LF are written one per line to WORKDIR/lines.log and scanned with
`DEFUSE logs --json`; for every line the set of jndi callbacks must equal
defuse_eval's.  Cases are separated by JOIN_LINES empty lines: a case that
leaves a "${" open is joined with the following lines (multi-line events,
docs/logs.md), and after that many lines without a "}" the window ends and
the case is scanned alone, as defuse_eval does.  This checks the front end (line reading, encodings, the
defuse_candidate() pre-filter, JSON) against the library on many inputs.
Exit 0 if all agree, 1 otherwise (the first differences are printed).
"""
import binascii
import json
import os
import subprocess
import sys

# LOGS_JOIN_LINES of cli/logs.h: the most lines a window of joined lines holds
JOIN_LINES = 8


def main():
    cases_path, normal_path, defuse, work = sys.argv[1:5]
    raw = [binascii.unhexlify(l.strip()) for l in open(cases_path)]
    normal = [l.split() for l in open(normal_path)]
    keep = [i for i, s in enumerate(raw) if b"\n" not in s and b"\r" not in s]
    log = os.path.join(work, "lines.log")
    with open(log, "wb") as f:
        f.write(b"".join(raw[i] + b"\n" * (1 + JOIN_LINES) for i in keep))
    out = subprocess.run([defuse, "logs", "--json", log], stdout=subprocess.PIPE, check=False)
    if out.returncode not in (0, 1):
        print("FAIL: defuse logs exited %d" % out.returncode)
        return 1
    found = {}
    for l in out.stdout.decode("utf-8").splitlines():
        o = json.loads(l)
        if o["kind"] == "jndi":
            cb = o["callback"]
            found.setdefault(o["line"], set()).add("-" if cb is None else cb)
    bad = 0
    for n, i in enumerate(keep, 1):
        # JSON text is UTF-8: invalid bytes of a callback (e.g. from %ff)
        # come out as U+FFFD, so compare in that representation.
        want = set("-" if x[1:] == "-" else binascii.unhexlify(x[1:]).decode("utf-8", "replace")
                   for x in normal[i][1:] if x[:1] in "=+~^@")
        got = found.get(1 + (n - 1) * (1 + JOIN_LINES), set())
        if want != got:
            bad += 1
            if bad <= 5:
                print("FAIL: defuse logs line %d %r\n  defuse logs: %r\n  defuse_scan: %r"
                      % (n, raw[i][:160], sorted(got), sorted(want)))
    print("defuse logs --json: %d single-line cases, %d differ from defuse_scan in normal mode"
          % (len(keep), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
