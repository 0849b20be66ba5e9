#!/usr/bin/python3
"""recall.py -- the Sigma rules of rules/sigma beside `defuse logs`, on the same lines.

    recall.py DEFUSE ATTACK_LOG TRUTH_JSONL [CLEAN_LOG]
    recall.py --lists DEFUSE PAYLOAD_DIR -- ORACLE_COMMAND...

ATTACK_LOG and TRUTH_JSONL come from bench/logs/gen_attack.py (every payload
line makes real log4j 2.14.1 request a known name; bench/logs/run.sh checks
them with the oracle).  Prints, per transport encoding and in all, the share of
payload lines each flags (recall), and the benign lines each flags in the
attack file and in CLEAN_LOG (false positives).  The rules are applied with
tests/tools/sigma.py (the subset of Sigma they use; no Sigma tooling is
packaged in Debian).  Example (docs/sigma.md):

    python3 bench/logs/gen_attack.py /tmp/clean1.log /tmp/atk.log /tmp/atk.truth.jsonl 20000000
    python3 bench/sigma/recall.py build/defuse /tmp/atk.log /tmp/atk.truth.jsonl /tmp/clean1.log

With --lists, the public payload lists of ../shared/corpus/logs/payloads
instead (every line of them that holds a "$" or "%24", plus the rows of the
CSV): each is labelled by real log4j 2.14.1 (ORACLE_COMMAND is the project's
oracle, tests/diff/Log4jDiff.java "eval", as bench/logs/run.sh runs it), and
those that make it request a JNDI name are written into an application log
line and into the User-Agent of an access-log line; a tool finds the payload
when it flags either line.  These lists were not used to write the rules.
"""
import collections
import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "tools"))
import sigma  # noqa: E402


def sigma_lines(rules, path):
    hit = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            ev = sigma.event(line.rstrip("\n"))
            if any(sigma.applies(r, ev) and pred(ev) for r, pred in rules):
                hit.add(n)
    return hit


def defuse_lines(defuse, path):
    out = subprocess.run([defuse, "logs", "--json", "--fail-on=none", "-j1", path],
                         capture_output=True, check=True).stdout
    return {json.loads(l)["line"] for l in out.splitlines() if l.startswith(b"{")}


def list_entries(d):
    out = []
    for name in sorted(os.listdir(d)):
        if name in ("MANIFEST.txt",) or "negative" in name or "secret_names" in name:
            continue
        with open(os.path.join(d, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                if name.endswith(".tsv"):
                    if line.startswith("#"):
                        continue
                    line = line.split("\t")[1] if "\t" in line else line
                if ("$" in line or "%24" in line) and len(line) < 4096:
                    out.append(line)
    return sorted(set(out))


def main_lists(argv):
    defuse, d = argv[2], argv[3]
    oracle = argv[argv.index("--") + 1:]
    entries = list_entries(d)
    data = "".join(e.encode("utf-8").hex() + "\n" for e in entries)
    res = subprocess.run(oracle, input=data.encode(), stdout=subprocess.PIPE, check=True)
    fires = [any(x.startswith("=") for x in r.split(" ")[1:])
             for r in res.stdout.decode().splitlines()]
    pos = [e for e, f in zip(entries, fires) if f]
    rules = []
    for p in sorted(glob.glob(os.path.join(SRC, "rules", "sigma", "*.yml"))):
        r = sigma.load(p)
        rules.append((r, sigma.compile_rule(r)))
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "lists.log")
        with open(path, "w", encoding="utf-8") as f:
            for e in pos:
                f.write("2021-12-10 13:00:00,123 WARN  [main] c.e.Api - header: %s\n" % e)
                f.write('203.0.113.7 - - [10/Dec/2021:13:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "%s"\n'
                        % e.replace('"', "%22"))
        s_hit, d_hit = sigma_lines(rules, path), defuse_lines(defuse, path)
    sf = sum(1 for i in range(len(pos)) if 2 * i + 1 in s_hit or 2 * i + 2 in s_hit)
    df = sum(1 for i in range(len(pos)) if 2 * i + 1 in d_hit or 2 * i + 2 in d_hit)
    print("%d list entries, %d make log4j 2.14.1 request a JNDI name" % (len(entries), len(pos)))
    print("found: Sigma rules %d (%.1f%%), defuse logs %d (%.1f%%)"
          % (sf, 100.0 * sf / len(pos), df, 100.0 * df / len(pos)))
    missed = [e for i, e in enumerate(pos) if not (2 * i + 1 in s_hit or 2 * i + 2 in s_hit)]
    for e in missed[:20]:
        print("  Sigma misses: %s" % e[:160].replace("${", "$\\{"))
    return 0


def main(argv):
    if len(argv) > 1 and argv[1] == "--lists":
        return main_lists(argv)
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    defuse, attack, truth = argv[1:4]
    clean = argv[4] if len(argv) > 4 else None
    rules = []
    for p in sorted(glob.glob(os.path.join(SRC, "rules", "sigma", "*.yml"))):
        r = sigma.load(p)
        rules.append((r, sigma.compile_rule(r)))
    enc = {}
    with open(truth) as f:
        for l in f:
            o = json.loads(l)
            enc[o["line"]] = next((t[4:] for t in o["tags"] if t.startswith("enc:")), "?")
    s_hit, d_hit = sigma_lines(rules, attack), defuse_lines(defuse, attack)
    per = collections.defaultdict(lambda: [0, 0, 0])
    for n, e in enc.items():
        for key in (e, "all"):
            per[key][0] += 1
            per[key][1] += n in s_hit
            per[key][2] += n in d_hit
    print("| encoding | payload lines | Sigma rules | defuse logs |")
    print("|---|---|---|---|")
    for key in sorted(per, key=lambda k: (k == "all", k)):
        t, s, d = per[key]
        print("| %s | %d | %.1f%% | %.1f%% |" % (key, t, 100.0 * s / t, 100.0 * d / t))
    fp_s, fp_d = len(s_hit - set(enc)), len(d_hit - set(enc))
    print("\nbenign lines flagged in %s: Sigma %d, defuse %d" % (os.path.basename(attack), fp_s, fp_d))
    if clean:
        cs, cd = sigma_lines(rules, clean), defuse_lines(defuse, clean)
        nlines = sum(1 for _ in open(clean, "rb"))
        print("lines flagged in %s (%d lines, benign corpus): Sigma %d, defuse %d"
              % (os.path.basename(clean), nlines, len(cs), len(cd)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
