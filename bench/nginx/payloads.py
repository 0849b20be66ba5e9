#!/usr/bin/env python3
"""payloads.py -- builds the payload set of the nginx benchmark's recall test.

Usage: payloads.py CORPUS_PAYLOADS_DIR OUT.tsv [SEED]

Collects every candidate string of ../shared/corpus/logs/payloads (the lists
of payloads seen in the wild, the detector test strings, the hard cases and
the constructed edge cases, positives and negatives alike) and adds
generated obfuscations of the JNDI prefix (per-character lower/upper,
":-" defaults with empty, env and junk keys, date literals, case mixing,
dotless i) over the schemes log4j 2.14.1 hands to JNDI.  Writes one case per
line: "source<TAB>hex(UTF-8 text)".  Which cases real log4j fires on is
decided afterwards by the oracle (tests/diff/Log4jDiff.java, real
log4j-core), not here.
"""
import os
import random
import sys


def corpus_cases(d):
    out = []

    def add(src, s):
        s = s.strip()
        if s and ("$" in s or "%24" in s.lower() or "\\u" in s or "&#" in s or "Basic " in s):
            out.append((src, s))

    for name in sorted(os.listdir(d)):
        path = os.path.join(d, name)
        if name == "MANIFEST.txt" or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().split("\n")
        src = os.path.splitext(name)[0]
        for line in lines:
            if name.endswith(".md"):
                if line.startswith(("#", "*", "[")):
                    continue
                line = line.strip().strip("`")
            elif name.endswith(".tsv"):
                if line.startswith("#") or "\t" not in line:
                    continue
                line = line.split("\t")[1]
                if line.startswith("Authorization: "):
                    line = line[len("Authorization: "):]
            add(src, line)
    return out


STEPS = [
    lambda c, r: c,
    lambda c, r: c.upper() if r.random() < 0.5 else c,
    lambda c, r: "${lower:%s}" % c,
    lambda c, r: "${upper:%s}" % c,
    lambda c, r: "${::-%s}" % c,
    lambda c, r: "${env:NaN:-%s}" % c,
    lambda c, r: "${%s:%s:-%s}" % (junk(r), junk(r), c),
    lambda c, r: "${date:'%s'}" % c,
    lambda c, r: "${upper:\u0131}" if c == "i" else c,
    lambda c, r: "${lower:${upper:%s}}" % c,
]


def junk(r):
    return "".join(r.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(r.randint(1, 6)))


def obfuscate(r, text, rate):
    return "".join(r.choice(STEPS)(c, r) if r.random() < rate else c for c in text)


def generated(seed, n):
    r = random.Random(seed)
    schemes = ["ldap", "ldaps", "rmi", "dns", "iiop", "nis", "nds", "corba", "http"]
    out = []
    for i in range(n):
        scheme = r.choice(schemes)
        host = r.choice(["127.0.0.1:1389", "203.0.113.7", "cb%d.example.net" % i])
        rate = r.choice([0.2, 0.5, 1.0])
        prefix = obfuscate(r, "jndi", rate) + obfuscate(r, ":", rate / 2)
        url = obfuscate(r, scheme + "://", rate / 2) + host + "/g%d" % i
        out.append(("generated", "${" + prefix + url + "}"))
    return out


def main():
    d, out = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    cases = corpus_cases(d) + generated(seed, 120)
    seen = set()
    with open(out, "w") as f:
        for src, s in cases:
            b = s.encode("utf-8", errors="surrogateescape")
            if b in seen:
                continue
            seen.add(b)
            f.write("%s\t%s\n" % (src, b.hex()))


if __name__ == "__main__":
    main()
