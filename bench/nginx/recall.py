#!/usr/bin/env python3
"""recall.py -- sends the payload set to running nginx servers and reports
which requests each one blocked (status 403).

Usage: recall.py CASES.tsv ORACLE.txt NAME=PORT [NAME=PORT ...]

CASES.tsv is payloads.py's output, ORACLE.txt the real-log4j oracle's
result line for each case (tests/diff/Log4jDiff.java eval: a case fires when
its line names a JNDI lookup, "=HEX", or reports a runaway recursion).  Every case is sent three ways, each
delivering exactly the case text to the application: URL-encoded in the
query (q=...), raw in a header (X-Api-Version), URL-encoded in a form body.
Prints per server and position: recall over the cases log4j fires on, and
blocks among the cases it does not fire on; then every firing case a server
missed (as hex, so no live payload reaches a terminal).
"""
import http.client
import sys
import urllib.parse


def send(port, pos, raw):
    """Sends raw (bytes) at position pos; returns the status, 0 if the
    connection was closed."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    q = urllib.parse.quote(raw, safe="")
    try:
        if pos == "query":
            c.request("GET", "/index.html?q=" + q)
        elif pos == "header":
            c.putrequest("GET", "/index.html")
            c.putheader("X-Api-Version", raw)
            c.endheaders()
        else:
            c.request("POST", "/index.html", body="q=" + q,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        r.read()
        return r.status
    except (ConnectionError, http.client.HTTPException):
        return 0
    finally:
        c.close()


def main():
    cases = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
    oracle = [l.split() for l in open(sys.argv[2])]
    servers = [a.split("=") for a in sys.argv[3:]]
    positions = ["query", "header", "body"]
    # A case fires when log4j requests a JNDI name, or when its evaluation
    # runs away (2.14.1 "cycle"/stack overflow: the CVE-2021-45105 DoS).
    fires = [o[0] in ("cycle", "overflow") or any(f.startswith("=") for f in o[1:])
             for o in oracle]
    missed = {}
    extra = {}
    print("%-10s %-7s %18s %20s" % ("server", "where", "recall (log4j fires)", "blocked (does not)"))
    for name, port in servers:
        for pos in positions:
            tp = pos_n = fp = neg_n = 0
            for (src, hx), fire in zip(cases, fires):
                raw = bytes.fromhex(hx)
                if pos == "header" and (b"\r" in raw or b"\n" in raw):
                    continue
                blocked = send(int(port), pos, raw) in (403, 0)
                if fire:
                    pos_n += 1
                    tp += blocked
                    if not blocked:
                        missed.setdefault("%s (%s)" % (name, pos), set()).add((src, hx))
                else:
                    neg_n += 1
                    fp += blocked
                    if blocked:
                        extra.setdefault("%s (%s)" % (name, pos), set()).add((src, hx))
            print("%-10s %-7s %10d/%-3d %5.1f%% %10d/%-3d" % (name, pos, tp, pos_n,
                  100.0 * tp / max(pos_n, 1), fp, neg_n))
    for what, table in (("missed", missed), ("blocked", extra)):
        for name, ms in table.items():
            print("\n%s %s %d %s cases (hex, first 20):" % (
                name, what, len(ms), "firing" if what == "missed" else "non-firing"))
            for src, hx in sorted(ms)[:20]:
                print("  %-28s %s" % (src, hx[:120]))


if __name__ == "__main__":
    main()
