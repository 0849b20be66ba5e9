#!/usr/bin/env bash
# install_layout.sh -- `cmake --install` of this build into a DESTDIR: the
# programs, vulndb, man pages, completions, docs, example config, systemd
# unit and (when built) the nginx module land in GNUInstallDirs paths; every
# path the unit, the installed config and the --help texts name exists
# there; every option of every --help appears in its man page; the
# installed programs run from the DESTDIR (defuse finds its siblings, scan
# its vulndb); bash completion offers the options of --help.
set -u
: "${DEFUSE_BUILD:?}" "${DEFUSE_SRC:?}"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok:   $*"; }
D=$(mktemp -d /tmp/defuse-install.XXXXXX)
trap 'rm -rf "$D"' EXIT
cache() { sed -n "s/^$1:[A-Z]*=//p" "$DEFUSE_BUILD/CMakeCache.txt"; }
prefix=$(cache CMAKE_INSTALL_PREFIX)
if ! DESTDIR=$D cmake --install "$DEFUSE_BUILD" >"$D.log" 2>&1; then
    cat "$D.log"; rm -f "$D.log"; echo "FAIL: cmake --install"; exit 1
fi
rm -f "$D.log"
# the sysconfdir of /usr is /etc (GNUInstallDirs), else PREFIX/etc
if [ "$prefix" = /usr ]; then etc=/etc; else etc=$prefix/etc; fi
R=$D$prefix
must() { # DESC FILE
    if [ -e "$2" ]; then pass "$1"; else fail "$1: ${2#"$D"} missing"; fi
}
for p in defuse defuse-scan defuse-honeypot defuse-register defuse-report defuse-probe; do must "bin/$p" "$R/bin/$p"; done
must "vulndb" "$R/share/defuse/vulndb.json"
for m in man1/defuse.1 man1/defuse-logs.1 man1/defuse-explain.1 man1/defuse-scan.1 man1/defuse-register.1 man1/defuse-report.1 man1/defuse-probe.1 \
         man1/defuse-honeypot.1 man5/defuse-honeypot.conf.5 man8/ngx_http_defuse_module.8; do
    must "man page $m" "$R/share/man/$m"
done
must "bash completion" "$R/share/bash-completion/completions/defuse"
must "zsh completion" "$R/share/zsh/vendor-completions/_defuse"
must "fish completion" "$R/share/fish/vendor_completions.d/defuse.fish"
must "README" "$R/share/doc/defuse/README.md"
must "docs/honeypot.md" "$R/share/doc/defuse/honeypot.md"
must "example config" "$D$etc/defuse/honeypot.conf"
ex=$R/share/doc/defuse/examples/rsyslog-defuse.conf
must "rsyslog example (docs/logs.md, Live pipeline)" "$ex"
grep -q "binary=\"$prefix/bin/defuse logs --omprog " "$ex" 2>/dev/null ||
    fail "the rsyslog example does not run $prefix/bin/defuse"
must "log directory" "$D/var/log/defuse"
unit=$R/lib/systemd/system/defuse-honeypot.service
must "systemd unit" "$unit"
if [ -f "$DEFUSE_BUILD/ngx_http_defuse_module.so" ]; then
    must "nginx module" "$R/lib/nginx/modules/ngx_http_defuse_module.so"
    conf=$R/share/nginx/modules-available/mod-http-defuse.conf
    must "nginx load_module file" "$conf"
    grep -qx 'load_module modules/ngx_http_defuse_module.so;' "$conf" 2>/dev/null ||
        fail "mod-http-defuse.conf: no load_module line"
fi

# Every absolute path the unit and the config name exists in the DESTDIR
# (except what the running system provides).
if [ -f "$unit" ]; then
    for path in $(grep -v '^#' "$unit" | grep -oE '(^|[ =])/[A-Za-z0-9_./-]+' | sed 's/^[ =]//' | sort -u); do
        case $path in /bin/kill) continue ;; esac
        must "unit path $path" "$D$path"
    done
    grep -q "^ExecStart=$prefix/bin/defuse honeypot -c $etc/defuse/honeypot.conf\$" "$unit" ||
        fail "unit ExecStart does not run $prefix/bin/defuse with $etc/defuse/honeypot.conf"
    grep -q "^Documentation=file://$prefix/share/doc/defuse/honeypot.md" "$unit" ||
        fail "unit Documentation= is not the installed honeypot.md"
fi
logf=$(awk '$1 == "log_file" {print $2}' "$D$etc/defuse/honeypot.conf" 2>/dev/null)
[ -n "$logf" ] && must "config log_file directory $(dirname "$logf")" "$D$(dirname "$logf")"
# the help texts name /usr/share/defuse (scan's vulndb) and docs/*.md pages
"$R/bin/defuse" scan --help | grep -q vulndb.json && must "scan --help's vulndb.json" "$R/share/defuse/vulndb.json"
for doc in $("$R/bin/defuse-honeypot" --help | grep -oE 'docs/[a-z-]+\.md' | sort -u); do
    must "honeypot --help names $doc" "$R/share/doc/defuse/${doc#docs/}"
done

# The installed programs work from where they were installed.
out=$("$R/bin/defuse" scan --version 2>&1) && grep -q '^defuse-scan ' <<<"$out" &&
    pass "installed defuse runs its sibling defuse-scan" || fail "installed defuse scan: $out"
out=$("$R/bin/defuse" honeypot -c "$D$etc/defuse/honeypot.conf" --check 2>&1)
# (the config names the user defuse/nobody and privileged ports: --check
# validates syntax and ranges; a missing user, or the log directory the
# unit's LogsDirectory= or the package creates, are the acceptable errors)
if [ $? = 0 ] || grep -q "user\|log_file: the directory /var/log/defuse does not exist" <<<"$out"; then
    pass "installed config passes --check"
else fail "installed config: $out"; fi

# Every option of every --help is in its man page.
man_has() { # PAGE HELP-TEXT
    local page=$1 opt missing=
    for opt in $(grep -oE '(^|[[:space:],])--[a-z0-9][a-z0-9-]*' <<<"$2" | sed 's/^[[:space:],]*//' | sort -u); do
        # roff escapes '-' as '\-'
        grep -qF -- "$(sed 's/-/\\-/g' <<<"$opt")" "$page" || missing="$missing $opt"
    done
    if [ -z "$missing" ]; then pass "every option of its --help in ${page##*/}"
    else fail "${page##*/} lacks:$missing"; fi
}
man_has "$R/share/man/man1/defuse.1" "$("$R/bin/defuse" --help)"
for sub in logs explain scan honeypot; do
    man_has "$R/share/man/man1/defuse-$sub.1" "$("$R/bin/defuse" "$sub" --help)"
done
# Every key of the example config is in defuse-honeypot.conf(5); every
# directive the module registers is in ngx_http_defuse_module(8).
missing=
for key in $(grep -E '^[a-z_]+[[:space:]]' "$DEFUSE_SRC/etc/honeypot.conf.example" | awk '{print $1}' | sort -u); do
    grep -qF -- "$(sed 's/-/\\-/g' <<<"$key")" "$R/share/man/man5/defuse-honeypot.conf.5" || missing="$missing $key"
done
[ -z "$missing" ] && pass "every key of the example config in defuse-honeypot.conf(5)" ||
    fail "defuse-honeypot.conf(5) lacks:$missing"
missing=
for d in $(grep -oE 'ngx_string\("defuse[a-z_]*"\)' "$DEFUSE_SRC/nginx/ngx_http_defuse_module.c" | sed 's/.*("\(.*\)")/\1/' | sort -u); do
    # a directive has its entry; a variable is named as $NAME
    grep -qE "^\\.B $d\$|^\\\\fB$d |\\\$$d" "$R/share/man/man8/ngx_http_defuse_module.8" || missing="$missing $d"
done
[ -z "$missing" ] && pass "every directive and variable of the module in ngx_http_defuse_module(8)" ||
    fail "ngx_http_defuse_module(8) lacks:$missing"
if command -v man >/dev/null; then
    for page in "$R"/share/man/man*/*; do
        err=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$page" 2>&1 >/dev/null | grep -v "cannot adjust\|can't break" | head -3)
        [ -z "$err" ] && pass "man ${page##*/} renders without warnings" || fail "man ${page##*/}: $err"
    done
fi

# bash completion: options come from the installed program's --help.
if [ -f /usr/share/bash-completion/bash_completion ] || true; then
    got=$(PATH="$R/bin:$PATH" bash -c '
        . "$1"
        COMP_WORDS=(defuse logs --fo); COMP_CWORD=2; COMP_LINE="defuse logs --fo"; COMP_POINT=${#COMP_LINE}
        _defuse defuse --fo logs; printf "%s\n" "${COMPREPLY[@]}"' _ "$R/share/bash-completion/completions/defuse" 2>&1)
    if grep -qx -- --follow <<<"$got" && grep -qx -- --follow-symlinks <<<"$got"; then
        pass "bash completion: defuse logs --fo<TAB> offers --follow, --follow-symlinks"
    else fail "bash completion of 'defuse logs --fo': $got"; fi
    got=$(PATH="$R/bin:$PATH" bash -c '
        . "$1"; COMP_WORDS=(defuse sc); COMP_CWORD=1; _defuse defuse sc defuse; printf "%s\n" "${COMPREPLY[@]}"' \
        _ "$R/share/bash-completion/completions/defuse" 2>&1)
    [ "$got" = scan ] && pass "bash completion: defuse sc<TAB> -> scan" || fail "bash completion of 'defuse sc': $got"
fi
if command -v zsh >/dev/null; then
    zsh -n "$R/share/zsh/vendor-completions/_defuse" && pass "zsh completion parses" || fail "zsh completion syntax"
fi
if command -v fish >/dev/null; then
    fish -n "$R/share/fish/vendor_completions.d/defuse.fish" && pass "fish completion parses" || fail "fish completion syntax"
fi
echo "$fails failed"
[ "$fails" = 0 ]
