#!/usr/bin/env python3
"""gen.py -- synthetic `defuse scan --json` files for the register benchmark.

usage: gen.py OUTDIR ASSETS COMPONENTS [SEED]

Writes OUTDIR/<env>/<asset>.json for ASSETS assets spread over prod, staging
and dev (a third each), COMPONENTS component records each: about 2% are
log4j-core at a vulnerable version, 1% log4j 1.2.17, 1% commons-text 1.9,
1% log4j-core without a version (review), the rest fixed versions of the
four products (they are stored and evaluated but open nothing).  Paths are
unique per asset.  Deterministic for a given SEED.
"""
import json
import os
import random
import sys

VULN_CORE = ["2.14.1", "2.12.1", "2.15.0", "2.16.0", "2.0-beta9", "2.11.2"]
SAFE = [("log4j-core", "2.17.1"), ("log4j-core", "2.20.0"), ("reload4j", "1.2.25"),
        ("commons-text", "1.10.0"), ("log4j-core", "2.12.4"), ("log4j-core", "2.3.2")]


def main():
    out, nassets, ncomp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rnd = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    envs = ["prod", "staging", "dev"]
    for e in envs:
        os.makedirs(os.path.join(out, e), exist_ok=True)
    for a in range(nassets):
        env = envs[a % 3]
        with open(os.path.join(out, env, "asset%05d.json" % a), "w") as f:
            for c in range(ncomp):
                r = rnd.random()
                if r < 0.02:
                    prod, ver = "log4j-core", rnd.choice(VULN_CORE)
                elif r < 0.03:
                    prod, ver = "log4j", "1.2.17"
                elif r < 0.04:
                    prod, ver = "commons-text", "1.9"
                elif r < 0.05:
                    prod, ver = "log4j-core", None
                else:
                    prod, ver = rnd.choice(SAFE)
                f.write(json.dumps({"type": "component",
                                    "path": "/srv/app%03d/lib/%s-%d.jar" % (c % 50, prod, c),
                                    "product": prod, "version": ver, "jndilookup": "present"},
                                   separators=(",", ":")) + "\n")
            f.write(json.dumps({"type": "summary", "components": ncomp, "errors": 0}) + "\n")


if __name__ == "__main__":
    main()
