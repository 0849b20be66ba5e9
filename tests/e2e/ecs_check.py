#!/usr/bin/env python3
"""ecs_check.py -- checks JSON Lines documents against the Elastic Common
Schema fields defuse writes (tests/e2e/ecs_output.sh).

The table below is transcribed by hand from the ECS 8.11 field reference
(https://www.elastic.co/guide/en/ecs/8.11/ecs-field-reference.html: the
field name, its type, and for the categorization fields the allowed
values, ecs-allowed-values-event-*.html).  It lists the ECS fields defuse
uses, not all of ECS; a field that is neither here nor under the custom
namespace "defuse." fails the check, so a typo (source.ip_addr), a field
of the wrong type (url.port as a string) or a made-up top-level name is
caught.  Nothing is downloaded.

usage: ecs_check.py FILE [REQUIRED_FIELD...]
Exit 0 when every line is a valid document holding the required fields.
"""
import ipaddress
import json
import re
import sys

ECS_VERSION = "8.11.0"

# name -> type (ECS "type:"; keyword family: keyword, wildcard,
# match_only_text, constant_keyword; "array" marks "This field must be an
# array" / "should contain an array of values")
FIELDS = {
    "@timestamp": "date",
    "message": "match_only_text",
    "tags": "keyword[]",
    "ecs.version": "keyword",
    "agent.type": "keyword",
    "agent.version": "keyword",
    "agent.name": "keyword",
    "event.kind": "keyword",
    "event.category": "keyword[]",
    "event.type": "keyword[]",
    "event.action": "keyword",
    "event.id": "keyword",
    "event.module": "keyword",
    "event.dataset": "keyword",
    "event.severity": "long",
    "event.created": "date",
    "event.original": "keyword",
    "event.reason": "keyword",
    "host.hostname": "keyword",
    "host.name": "keyword",
    "observer.hostname": "keyword",
    "observer.name": "keyword",
    "observer.type": "keyword",
    "observer.vendor": "keyword",
    "observer.product": "keyword",
    "observer.version": "keyword",
    "source.ip": "ip",
    "source.port": "long",
    "destination.ip": "ip",
    "destination.port": "long",
    "related.ip": "ip[]",
    "network.transport": "keyword",
    "network.protocol": "keyword",
    "log.file.path": "keyword",
    "log.level": "keyword",
    "file.path": "keyword",
    "file.hash.sha256": "keyword",
    "error.message": "match_only_text",
    "url.original": "wildcard",
    "url.scheme": "keyword",
    "url.domain": "keyword",
    "url.port": "long",
    "url.path": "wildcard",
    "http.request.method": "keyword",
    "user_agent.original": "keyword",
    "dns.question.name": "keyword",
    "tls.established": "boolean",
    "tls.client.server_name": "keyword",
    "rule.name": "keyword",
    "rule.category": "keyword",
    "package.name": "keyword",
    "package.version": "keyword",
    "package.path": "keyword",
    "package.type": "keyword",
    "vulnerability.id": "keyword",
    "vulnerability.severity": "keyword",
    "vulnerability.classification": "keyword",
    "vulnerability.enumeration": "keyword",
    "vulnerability.reference": "keyword",
    "vulnerability.description": "keyword",
    "vulnerability.score.base": "float",
    "vulnerability.scanner.vendor": "keyword",
}

ALLOWED = {
    "event.kind": {"alert", "asset", "enrichment", "event", "metric", "state",
                   "pipeline_error", "signal"},
    "event.category": {"api", "authentication", "configuration", "database", "driver",
                       "email", "file", "host", "iam", "intrusion_detection", "library",
                       "malware", "network", "package", "process", "registry", "session",
                       "threat", "vulnerability", "web"},
    "event.type": {"access", "admin", "allowed", "change", "connection", "creation",
                   "deletion", "denied", "end", "error", "group", "indicator", "info",
                   "installation", "protocol", "start", "user"},
}

CUSTOM = "defuse"  # the custom field set (ECS: custom fields under one's own name)

DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def flatten(obj, prefix=""):
    """Yields (dotted name, value) for every leaf; arrays are leaves."""
    for k, v in obj.items():
        name = prefix + k
        if isinstance(v, dict):
            if not v:
                yield name, v
            yield from flatten(v, name + ".")
        else:
            yield name, v


def type_ok(t, v):
    if t.endswith("[]"):
        return isinstance(v, list) and all(type_ok(t[:-2], x) for x in v)
    if isinstance(v, list):  # every ECS field may hold an array of its type
        return all(type_ok(t, x) for x in v)
    if t in ("keyword", "wildcard", "match_only_text"):
        return isinstance(v, str)
    if t == "long":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "float":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t == "boolean":
        return isinstance(v, bool)
    if t == "date":
        return isinstance(v, str) and DATE.match(v) is not None
    if t == "ip":
        try:
            ipaddress.ip_address(v)
            return True
        except (ValueError, TypeError):
            return False
    raise AssertionError("unknown type " + t)


def check(doc):
    errs = []
    if not isinstance(doc, dict):
        return ["not an object"]
    for name, v in flatten(doc):
        if name == CUSTOM or name.startswith(CUSTOM + "."):
            continue
        t = FIELDS.get(name)
        if t is None:
            errs.append("%s: not an ECS field (nor under %s.)" % (name, CUSTOM))
        elif v is None:
            errs.append("%s: null (leave the field out)" % name)
        elif not type_ok(t, v):
            errs.append("%s: %r is not of ECS type %s" % (name, v, t))
        elif name in ALLOWED:
            vals = v if isinstance(v, list) else [v]
            bad = [x for x in vals if x not in ALLOWED[name]]
            if bad:
                errs.append("%s: %r not among the allowed values" % (name, bad))
    if doc.get("ecs", {}).get("version") != ECS_VERSION:
        errs.append("ecs.version is not %s" % ECS_VERSION)
    for need in ("@timestamp", "event.kind", "event.category", "event.type"):
        if need not in dict(flatten(doc)):
            errs.append("%s missing" % need)
    return errs


def main():
    path, required = sys.argv[1], sys.argv[2:]
    n = 0
    seen = set()
    bad = 0
    for i, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip():
            continue
        n += 1
        doc = json.loads(line)
        seen.update(name for name, _ in flatten(doc))
        for e in check(doc):
            print("%s:%d: %s" % (path, i, e))
            bad += 1
    missing = [r for r in required if r not in seen]
    for r in missing:
        print("%s: no document has %s" % (path, r))
    if n == 0:
        print("%s: no document" % path)
    sys.exit(1 if bad or missing or n == 0 else 0)


if __name__ == "__main__":
    main()
