#!/usr/bin/python3
"""sigma.py -- checks the project's Sigma rules and applies them to log lines.

No Sigma tooling is packaged in Debian, so this reads the subset of the
Sigma specification (https://github.com/SigmaHQ/sigma-specification) that
the rules in rules/sigma use, and refuses anything else rather than
guessing: search identifiers that are a list of keywords, a map of
field|modifiers -> value(s), or a list of such maps (OR); the modifiers
contains, startswith, endswith, re and all; conditions "NAME",
"1 of PREFIX*", "all of PREFIX*", and NAME or NAME.  Plain values match
case-insensitively (the Sigma default); |re is a Python regular
expression, case-sensitive unless it says (?i).

    sigma.py check RULE.yml...      rule fields and patterns; exit 1 on error
    sigma.py match RULE.yml... < lines   prints the lines any rule matches

A log line is an event: its text ("keywords" match anywhere in it) and,
for lines in the combined access-log format, the web server fields
cs-method, cs-uri-stem, cs-uri-query, cs-referer, c-useragent.
"""
import re
import sys
import uuid

import yaml

REQUIRED = ("title", "id", "status", "description", "author", "date", "logsource",
            "detection", "level")
STATUSES = {"stable", "test", "experimental", "deprecated", "unsupported"}
LEVELS = {"informational", "low", "medium", "high", "critical"}
MODIFIERS = {"contains", "startswith", "endswith", "re", "all"}
ACCESS = re.compile(r'^\S+ \S+ \S+ \[[^\]]*\] "(\S+) ([^ "?]*)(?:\?([^ "]*))?[^"]*" \d+ \S+'
                    r'(?: "([^"]*)" "([^"]*)")?')


class RuleError(Exception):
    pass


def _matcher(mods, value):
    if not isinstance(value, (str, int)):
        raise RuleError("value %r is not a string" % (value,))
    value = str(value)
    if "re" in mods:
        try:
            rx = re.compile(value)
        except re.error as e:
            raise RuleError("regex %r does not compile: %s" % (value, e))
        return lambda s: rx.search(s) is not None
    v = value.lower()
    if "contains" in mods:
        return lambda s: v in s.lower()
    if "startswith" in mods:
        return lambda s: s.lower().startswith(v)
    if "endswith" in mods:
        return lambda s: s.lower().endswith(v)
    return lambda s: s.lower() == v


def _field_map(m):
    tests = []
    for key, values in m.items():
        field, *mods = str(key).split("|")
        bad = set(mods) - MODIFIERS
        if bad:
            raise RuleError("unsupported modifier(s) %s on %s" % (sorted(bad), key))
        values = values if isinstance(values, list) else [values]
        ms = [_matcher(mods, v) for v in values]
        every = "all" in mods

        def test(ev, field=field, ms=ms, every=every):
            s = ev.get(field)
            if s is None:
                return False
            return all(m(s) for m in ms) if every else any(m(s) for m in ms)
        tests.append(test)
    return lambda ev: all(t(ev) for t in tests)


def _search(body):
    if isinstance(body, dict):
        return _field_map(body)
    if isinstance(body, list) and body and all(isinstance(x, dict) for x in body):
        maps = [_field_map(x) for x in body]
        return lambda ev: any(m(ev) for m in maps)
    if isinstance(body, list) and body and all(isinstance(x, str) for x in body):
        kw = [_matcher(["contains"], x) for x in body]
        return lambda ev: any(k(ev["_raw"]) for k in kw)
    raise RuleError("search identifier of an unsupported shape: %r" % (body,))


def compile_rule(rule):
    """Returns a predicate over events, or raises RuleError."""
    for k in REQUIRED:
        if k not in rule:
            raise RuleError("missing required field '%s'" % k)
    try:
        uuid.UUID(str(rule["id"]))
    except ValueError:
        raise RuleError("id %r is not a UUID" % rule["id"])
    if rule["status"] not in STATUSES:
        raise RuleError("status %r not one of %s" % (rule["status"], sorted(STATUSES)))
    if rule["level"] not in LEVELS:
        raise RuleError("level %r not one of %s" % (rule["level"], sorted(LEVELS)))
    if not isinstance(rule["logsource"], dict) or not (
            set(rule["logsource"]) & {"category", "product", "service"}):
        raise RuleError("logsource needs category, product or service")
    if not re.fullmatch(r"\d{4}[-/]\d{2}[-/]\d{2}", str(rule["date"])):
        raise RuleError("date %r is not YYYY-MM-DD" % rule["date"])
    det = rule["detection"]
    if not isinstance(det, dict) or "condition" not in det:
        raise RuleError("detection needs a condition")
    searches = {k: _search(v) for k, v in det.items() if k != "condition"}
    cond = str(det["condition"]).strip()
    m = re.fullmatch(r"(1|all) of (\w+)\*", cond)
    if m:
        picked = [f for k, f in searches.items() if k.startswith(m.group(2))]
        if not picked:
            raise RuleError("condition %r names no search identifier" % cond)
        quant = any if m.group(1) == "1" else all
        return lambda ev: quant(f(ev) for f in picked)
    names = [n.strip() for n in cond.split(" or ")]
    for n in names:
        if n not in searches:
            raise RuleError("condition %r: unknown or unsupported %r" % (cond, n))
    return lambda ev: any(searches[n](ev) for n in names)


def load(path):
    with open(path, encoding="utf-8") as f:
        rule = yaml.safe_load(f)
    if not isinstance(rule, dict):
        raise RuleError("not a YAML mapping")
    return rule


def event(line):
    """The event of one log line (str)."""
    ev = {"_raw": line}
    m = ACCESS.match(line)
    if m:
        ev.update({"cs-method": m.group(1), "cs-uri-stem": m.group(2),
                   "cs-uri-query": m.group(3) or "", "cs-referer": m.group(4) or "",
                   "c-useragent": m.group(5) or ""})
    return ev


def applies(rule, ev):
    """A webserver rule applies to access-log events only."""
    return rule["logsource"].get("category") != "webserver" or "cs-uri-stem" in ev


def main(argv):
    if len(argv) < 3 or argv[1] not in ("check", "match"):
        sys.stderr.write(__doc__)
        return 2
    rules, bad = [], 0
    for p in argv[2:]:
        try:
            r = load(p)
            rules.append((r, compile_rule(r)))
            if argv[1] == "check":
                print("ok: %s: %s" % (p, r["title"]))
        except (RuleError, yaml.YAMLError, OSError) as e:
            print("FAIL: %s: %s" % (p, e))
            bad += 1
    if argv[1] == "check" or bad:
        return 1 if bad else 0
    for line in sys.stdin:
        line = line.rstrip("\n")
        ev = event(line)
        if any(applies(r, ev) and f(ev) for r, f in rules):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
