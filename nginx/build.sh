#!/usr/bin/env bash
# build.sh -- builds ngx_http_defuse_module.so against Debian 12's nginx-dev.
#
# Usage: build.sh OUTDIR LIBDEFUSE INCLUDE_DIR SANITIZE "LINK_LIBS"
#   OUTDIR       where ngx_http_defuse_module.so is written; the nginx build
#                tree lives in OUTDIR/nginx-build
#   LIBDEFUSE    path of libdefuse.a (built PIC)
#   INCLUDE_DIR  directory of defuse.h
#   SANITIZE     1 when libdefuse is built with -fsanitize=address,undefined:
#                the module is then compiled and linked the same way and must
#                be loaded into nginx with LD_PRELOAD of libasan/libubsan
#                (tests/e2e/nginx_lib.sh does that by reading `ldd`)
#   LINK_LIBS    libdefuse's link dependencies (-larchive -ljansson ...)
#
# Follows the recipe of ../shared/docs/PROTOCOLS.md, but configures nginx in
# a private tree of symlinks so /usr/share/nginx/src is never written to and
# several build directories can build at once.  ./configure (slow) re-runs
# only when its inputs change; the module is always relinked so that a new
# libdefuse.a is picked up.
set -euo pipefail
out=$1 lib=$2 inc=$3 san=$4 libs=$5
here=$(cd "$(dirname "$0")" && pwd)
ngx=/usr/share/nginx/src
work=$out/nginx-build

if [ ! -f "$ngx/conf_flags" ] || [ ! -x "$ngx/configure" ]; then
    echo "build.sh: $ngx not found: install nginx-dev (scripts/deps.sh)" >&2
    exit 1
fi
mkdir -p "$work"
for f in "$ngx"/*; do
    b=$(basename "$f")
    [ -e "$work/$b" ] || ln -s "$f" "$work/$b"
done

cc_opt="$(dpkg-buildflags --get CFLAGS) -fPIC $(dpkg-buildflags --get CPPFLAGS)"
ld_opt="$(dpkg-buildflags --get LDFLAGS) -fPIC"
if [ "$san" = 1 ]; then
    cc_opt="$cc_opt -fsanitize=address,undefined -fno-omit-frame-pointer"
    ld_opt="$ld_opt -fsanitize=address,undefined"
fi

# shellcheck disable=SC1091
. "$ngx/conf_flags"
export DEFUSE_INCLUDE_DIR=$inc DEFUSE_LIBRARY=$lib DEFUSE_LINK_LIBS=$libs
stamp_text="$cc_opt|$ld_opt|$inc|$lib|$libs|${NGX_CONF_FLAGS[*]}|$(cat "$here/config")"
stamp=$(printf '%s' "$stamp_text" | sha256sum | cut -d' ' -f1)

cd "$work"
if [ ! -f objs/Makefile ] || [ "$(cat .defuse-stamp 2>/dev/null)" != "$stamp" ]; then
    rm -f .defuse-stamp
    ./configure --with-cc-opt="$cc_opt" --with-ld-opt="$ld_opt" "${NGX_CONF_FLAGS[@]}" \
        --add-dynamic-module="$here" >configure.log 2>&1 || {
        tail -40 configure.log >&2
        echo "build.sh: nginx configure failed, see $work/configure.log" >&2
        exit 1
    }
    echo "$stamp" >.defuse-stamp
fi
rm -f objs/ngx_http_defuse_module.so
make -s -f objs/Makefile modules
cp objs/ngx_http_defuse_module.so "$out/ngx_http_defuse_module.so.tmp"
mv "$out/ngx_http_defuse_module.so.tmp" "$out/ngx_http_defuse_module.so"
