#!/usr/bin/env bash
# report_xss.sh -- hostile input ends up inert in `defuse report`'s page
# (issue 14): payloads with <script>, </svg>, </title>, </style>, quotes,
# event handlers and control bytes in every field of every input kind (logs
# findings, nginx defuse_log, honeypot events, raw log lines, the title).
# In headless Chromium nothing runs (window.__pwned stays undefined), no
# element or attribute that acts exists, no console error (a script the CSP
# blocked would log one), no request; the hostile text is shown as text.
source "$(dirname "$0")/report_lib.bash"

"$PY" - "$T" <<'EOF'
import json, sys
T = sys.argv[1]
H = ['<script>window.__pwned=1</script>',
     '</svg><img src=x onerror="window.__pwned=1">',
     '"\'><svg onload=window.__pwned=1><a href="javascript:window.__pwned=1">x</a>',
     '</title></style><script>window.__pwned=1</script>\u0001\u001b[31m\u0000\u007f\u202e',
     '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>']
with open(T + "/logs.jsonl", "w") as f:
    for i, h in enumerate(H):
        f.write(json.dumps({"file": h, "line": i, "src_ip": h, "time": "2021-12-10T13:0%d:00Z" % i,
                            "kind": "jndi", "payload": "\u0024{jndi:ldap://%s/a}" % h, "decoded": h,
                            "layers": [h], "techniques": [h, "lower"], "callback": h, "scheme": h,
                            "host": h + ".example", "port": 1389, "path": h, "exfil": [h, "env:" + h],
                            "command": h}) + "\n")
with open(T + "/nginx.jsonl", "w") as f:
    for i, h in enumerate(H):
        f.write(json.dumps({"time": "2021-12-10T13:1%d:00+00:00" % i, "request": {"client": h, "method": h, "uri": h, "host": h},
                            "part": h, "action": "block", "status": 403, "kind": "jndi", "payload": h,
                            "host": h, "port": 389, "scheme": h, "exfil": [h], "techniques": [h], "command": h}) + "\n")
        f.write(json.dumps({"time": "2021-12-10T13:2%d:00Z" % i, "request": {"src_ip": h}, "action": "pass",
                            "event": h, "status": 0}) + "\n")
with open(T + "/hp.jsonl", "w") as f:
    for i, h in enumerate(H):
        f.write(json.dumps({"time": "2021-12-10T13:3%d:00.000001Z" % i, "event_id": h, "conn_id": h, "node": h,
                            "event": h, "listener": h, "protocol": h, "src_ip": h, "src_port": 1,
                            "dst_ip": h, "dst_port": 2, "summary": h, "kind": "jndi",
                            "findings": [{"kind": "jndi", "host": h, "port": 1, "scheme": h, "exfil": [h],
                                          "techniques": [h], "command": h, "where": h}]}) + "\n")
with open(T + "/raw.log", "w") as f:
    for i, h in enumerate(H):
        f.write('2021-12-10T13:4%d:00Z %s GET /${jndi:ldap://%s/x} "%s"\n' % (i, h, h.replace(" ", ""), h))
EOF
TITLE='</title><script>window.__pwned=1</script>'
"$DEFUSE" report -o "$T/xss.html" --title "$TITLE" --now 2021-12-11T00:00:00Z \
    "$T/logs.jsonl" "$T/nginx.jsonl" "$T/hp.jsonl" "$T/raw.log" || fail "defuse report exited $?"

# The text: none of the markup survives; the CSP is the first thing in <head>.
H=$T/xss.html
! grep -qi '<script' "$H" || fail "a <script tag in the page"
! grep -qiE '<(img|iframe|a |object|embed|link|base|form|foreignobject)' "$H" || fail "an active tag in the page"
! grep -qP '[\x00-\x08\x0b-\x1f\x7f]' "$H" || fail "control bytes in the page"
[ "$(grep -o '<svg' "$H" | wc -l)" = "$(grep -o '</svg>' "$H" | wc -l)" ] || fail "<svg> and </svg> differ in number"
head -c 400 "$H" | grep -q "Content-Security-Policy\" content=\"default-src 'none';" || fail "no CSP at the top"
grep -q '&lt;script&gt;window.__pwned=1&lt;/script&gt;' "$H" || fail "the hostile text is not shown escaped"
ok "the page's text holds the payloads as text only"

cat >"$T/expect.json" <<'EOF'
{"hostile": true, "present": ["spike", "who", "what", "edge"]}
EOF
browser "$H" "$T/expect.json" xss || fail "browser checks"
ok "nothing ran in Chromium; no console error, no request"
