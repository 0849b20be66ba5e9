#!/usr/bin/python3
"""score.py -- turns bench/logs/run.sh measurements into the results tables.

Usage: score.py RESULTS.jsonl TRUTH.jsonl OUT.md OUT.json

RESULTS.jsonl has one object per measurement, written by run.sh:
  {"label": shown name, "tool": defuse|rg|wc|l4sd, "input": clean|attack,
   "path": file scanned, "bytes": its size, "lines": its line count,
   "parse": defuse-json|rg-count|rg-lines|wc|l4sd, "timing": timeit.py JSON,
   "out": stdout file, "err": stderr file, "ref": true for defuse --jobs 1}
TRUTH.jsonl (from gen_attack.py) lists each payload line of the attack file
with the JNDI name log4j would request and the techniques used.

For each row: best wall seconds, MB/s on wall time, CPU seconds (user+sys)
and MB/s on CPU time (MB = 10^6 bytes), how many times faster defuse
--jobs 1 is on the same input (CPU basis; wall basis in the JSON), and what
the tool reported. On the attack file, recall = payload lines the tool
flags / payload lines in the part of the file it read; for defuse also the
lines whose reported callback equals the expected JNDI name exactly.
"""

import collections
import json
import re
import sys

MB = 1e6
TEXT_RE = re.compile(r"^.+?:(\d+): (jndi|text4shell|recursion|lookup|inert) ")
L4SD_RE = re.compile(r"^\[!\] FILE: .* LINE_NUMBER: (\d+) DEOBFUSCATED_STRING: ")


def load_truth(path):
    truth = {}
    with open(path) as f:
        for line in f:
            o = json.loads(line)
            truth[o["line"]] = o
    return truth


def parse(row):
    """Returns (summary text, set of flagged line numbers or None, extra dict)."""
    kind = row["parse"]
    extra = {}
    if kind == "defuse-json":
        per_line = collections.defaultdict(list)
        n = 0
        with open(row["out"], encoding="utf-8") as f:
            for line in f:
                o = json.loads(line)
                if "line" not in o:      # a summary object, if any
                    continue
                n += 1
                per_line[o["line"]].append(o)
        kinds = collections.Counter(x["kind"] for v in per_line.values() for x in v)
        extra["per_line"] = per_line
        extra["kinds"] = dict(kinds)
        text = "%d findings on %d lines (%s)" % (
            n, len(per_line), ", ".join("%s %d" % kv for kv in sorted(kinds.items())) or "none")
        flagged = {ln for ln, v in per_line.items() if any(x["kind"] == "jndi" for x in v)}
        return text, flagged, extra
    if kind == "defuse-text":
        per_line = collections.defaultdict(list)
        n = 0
        with open(row["out"], encoding="utf-8", errors="replace") as f:
            for line in f:
                m = TEXT_RE.match(line)
                if m:
                    n += 1
                    per_line[int(m.group(1))].append(m.group(2))
        kinds = collections.Counter(k for v in per_line.values() for k in v)
        text = "%d findings on %d lines (%s)" % (
            n, len(per_line), ", ".join("%s %d" % kv for kv in sorted(kinds.items())) or "none")
        flagged = {ln for ln, v in per_line.items() if "jndi" in v}
        return text, flagged, extra
    if kind == "defuse-quiet":
        return "no output; exit status %s" % sorted(set(row["timing"]["exit"])), None, extra
    if kind == "rg-count":
        txt = open(row["out"]).read().strip() or "0"
        return "%s lines contain '${'" % txt, None, extra
    if kind == "rg-lines":
        flagged = set()
        with open(row["out"], "rb") as f:
            for line in f:
                flagged.add(int(line.split(b":", 1)[0]))
        return "%d lines contain '${'" % len(flagged), flagged, extra
    if kind == "wc":
        return "%s lines" % open(row["out"]).read().split()[0], None, extra
    if kind == "l4sd":
        flagged = set()
        with open(row["out"], encoding="utf-8", errors="replace") as f:
            for line in f:
                m = L4SD_RE.match(line)
                if m:
                    flagged.add(int(m.group(1)))
        err = open(row["err"], encoding="utf-8", errors="replace").read()
        text = "%d lines flagged" % len(flagged)
        if "Can't process" in err:
            text += " (STOPPED EARLY: %s)" % err.strip().splitlines()[-1][:120]
        return text, flagged, extra
    raise SystemExit("unknown parse kind " + kind)


def fmt_s(x):
    return "%.3f" % x if x < 10 else "%.1f" % x


def fmt_rate(x):
    return "%.2f" % x if x < 10 else "%.0f" % x


def fmt_ratio(x):
    if x is None:
        return "-"
    return "%.2f×" % x if x < 10 else "%.0f×" % x


def verdict(rows, out_rows):
    """The issue's three targets, judged on this run (CPU and wall)."""
    def find(inp, label):
        for r in rows:
            if r["input"] == inp and r["label"] == label:
                return r
        return None

    def rec(inp, label):
        for o in out_rows:
            if o["input"] == inp and o["label"] == label:
                return o["recall"]
        return None

    d = find("clean", "defuse logs --jobs=1")
    rg = find("clean", "rg -c -F '${'")
    l4 = find("clean", "log4shell-detector")
    da = find("attack", "defuse logs --jobs=1")
    dj = find("attack", "defuse logs --jobs=1 --json")
    d2 = find("attack", "defuse logs --jobs=2")
    out = ["### Verdict on the issue's targets\n",
           "| Target | Measured | Met? |", "|---|---|---|"]

    def yn(ok):
        return "yes" if ok else "**NO**"

    if d and rg:
        rc, rw = d["mbps_cpu"] / rg["mbps_cpu"], d["mbps_wall"] / rg["mbps_wall"]
        out.append("| clean, one thread ≥ `rg -c -F '${'` | defuse %.0f MB/s CPU (%.0f wall) vs rg "
                   "%.0f MB/s CPU (%.0f wall): %.2f× on CPU, %.2f× on wall | %s |"
                   % (d["mbps_cpu"], d["mbps_wall"], rg["mbps_cpu"], rg["mbps_wall"], rc, rw,
                      yn(rc >= 1 and rw >= 1) if (rc >= 1) == (rw >= 1) else
                      "CPU %s, wall %s" % (yn(rc >= 1), yn(rw >= 1))))
    if d and l4:
        rc, rw = d["mbps_cpu"] / l4["mbps_cpu"], d["mbps_wall"] / l4["mbps_wall"]
        out.append("| clean, one thread ≥ 1000× log4shell-detector | %.0f vs %.2f MB/s CPU: %.0f× "
                   "(%.0f× on wall) | %s |" % (d["mbps_cpu"], l4["mbps_cpu"], rc, rw,
                                               yn(rc >= 1000 and rw >= 1000)))
    if da:
        extra = ""
        if dj:
            extra += "; `--json` %.0f CPU / %.0f wall" % (dj["mbps_cpu"], dj["mbps_wall"])
        if d2:
            extra += "; `--jobs=2` %.0f wall" % d2["mbps_wall"]
        out.append("| attack-dense ≥ 50 MB/s | one thread, default output: %.0f MB/s CPU, %.0f "
                   "wall%s | %s |" % (da["mbps_cpu"], da["mbps_wall"], extra,
                                      yn(da["mbps_cpu"] >= 50 and da["mbps_wall"] >= 50)))
    parts = []
    for label, name in (("defuse logs --jobs=1 --json", "defuse"), ("rg -n -F '${'", "rg"),
                        ("log4shell-detector", "log4shell-detector")):
        r = rec("attack", label)
        if r:
            s = "%s %d/%d (%.1f%%)" % (name, r["flagged"], r["payload_lines"], 100 * r["recall"])
            if "exact_callback" in r:
                s += ", exact callback %d" % r["exact_callback"]
            s += ", %d other lines" % r["flagged_outside_payloads"]
            parts.append(s)
    if parts:
        out.append("| recall on the attack file (payload lines flagged) | %s | - |" % "; ".join(parts))
    out.append("")
    return out


def main():
    results_path, truth_path, md_path, json_path = sys.argv[1:5]
    rows = [json.loads(l) for l in open(results_path) if l.strip()]
    truth = load_truth(truth_path)
    ref = {}
    for r in rows:
        t = r["timing"]
        r["wall_s"] = t["best_wall"]
        r["cpu_s"] = t["best_cpu"]
        r["mbps_wall"] = r["bytes"] / MB / r["wall_s"]
        r["mbps_cpu"] = r["bytes"] / MB / r["cpu_s"] if r["cpu_s"] > 0 else float("inf")
        if r.get("ref"):
            ref[r["input"]] = r
    lines = []
    out_rows = []
    recall_rows = []
    tech = collections.defaultdict(lambda: collections.Counter())
    tech_total = collections.Counter()
    tech_total_slice = collections.defaultdict(collections.Counter)
    for inp in ("clean", "attack"):
        sel = [r for r in rows if r["input"] == inp]
        if not sel:
            continue
        title = {"clean": "Clean logs (benign corpus repeated)",
                 "attack": "Attack-dense logs (1 payload line in 10)"}[inp]
        lines.append("### %s\n" % title)
        lines.append("| Tool | Input read | Runs | Wall s (best) | MB/s (wall) | CPU s | MB/s (CPU) "
                     "| defuse --jobs=1 is … faster (CPU) | … faster (wall) | Peak RSS MB | Reported |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in sel:
            text, flagged, extra = parse(r)
            rf = ref.get(inp)
            ratio_cpu = rf["mbps_cpu"] / r["mbps_cpu"] if rf and r is not rf else None
            ratio_wall = rf["mbps_wall"] / r["mbps_wall"] if rf and r is not rf else None
            if r["tool"] == "defuse":
                ratio_cpu = ratio_wall = None   # ratios compare defuse with the others
            rec = None
            if inp == "attack" and flagged is not None:
                max_line = r["lines"]
                in_scope = [n for n in truth if n <= max_line]
                hit = [n for n in in_scope if n in flagged]
                other = [n for n in flagged if n not in truth]
                rec = {"payload_lines": len(in_scope), "flagged": len(hit),
                       "recall": len(hit) / len(in_scope) if in_scope else 0.0,
                       "flagged_outside_payloads": len(other)}
                if r["parse"] == "defuse-json":
                    per_line = extra["per_line"]
                    exact = [n for n in in_scope
                             if any(x["kind"] == "jndi" and x["callback"] == truth[n]["callback"]
                                    for x in per_line.get(n, []))]
                    rec["exact_callback"] = len(exact)
                text += "; recall %d/%d = %.1f%%" % (len(hit), len(in_scope), 100 * rec["recall"])
                if "exact_callback" in rec:
                    text += ", exact callback %d" % rec["exact_callback"]
                text += "; %d other lines flagged" % len(other)
                key = r["label"]
                if key not in recall_rows and "--jobs=2" not in key and "--summary" not in key:
                    recall_rows.append(key)
                for n in in_scope if key in recall_rows else ():
                    for tg in truth[n]["tags"]:
                        tech[key][tg] += 1 if n in flagged else 0
                        tech_total_slice[key][tg] += 1
            scope = "%.1f MB" % (r["bytes"] / MB)
            lines.append("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %.0f | %s |" % (
                r["label"], scope, r["timing"]["runs"], fmt_s(r["wall_s"]),
                fmt_rate(r["mbps_wall"]), fmt_s(r["cpu_s"]), fmt_rate(r["mbps_cpu"]),
                fmt_ratio(ratio_cpu), fmt_ratio(ratio_wall), r["timing"]["maxrss_kb"] / 1024.0,
                text))
            out_rows.append({k: r[k] for k in ("label", "tool", "input", "path", "bytes", "lines",
                                               "wall_s", "cpu_s", "mbps_wall", "mbps_cpu")}
                            | {"ratio_cpu": ratio_cpu, "ratio_wall": ratio_wall,
                               "reported": text, "recall": rec,
                               "exit": r["timing"]["exit"]})
        lines.append("")
    if tech:
        keys = recall_rows
        lines.append("### Recall per technique on the attack file (payload lines flagged / "
                     "payload lines read)\n")
        lines.append("| Technique | " + " | ".join(keys) + " |")
        lines.append("|---|" + "---|" * len(keys))
        all_tags = sorted({t for k in keys for t in tech_total_slice[k]})
        for tg in all_tags:
            cells = []
            for k in keys:
                tot = tech_total_slice[k][tg]
                cells.append("%d/%d" % (tech[k][tg], tot) if tot else "-")
            lines.append("| %s | %s |" % (tg, " | ".join(cells)))
        lines.append("")
    lines = verdict(rows, out_rows) + lines
    with open(md_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(json_path, "w") as f:
        json.dump(out_rows, f, indent=1)
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
