#!/usr/bin/env bash
# Installs every Debian 12 package defuse needs to build, test and benchmark.
# Idempotent; run as root. Only Debian's own archive is used.
set -euo pipefail
PKGS=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-14 llvm-14 libclang-rt-14-dev
  # libraries libdefuse and its front ends use
  libarchive-dev libjansson-dev libuv1-dev libldap-dev libcurl4-openssl-dev
  libcmocka-dev libsqlite3-dev libpq-dev libxml2-dev libhyperscan-dev zlib1g-dev libbz2-dev liblzma-dev libzstd-dev
  # real peers for end-to-end tests
  default-jdk-headless liblog4j2-java liblog4j1.2-java nginx nginx-dev libpcre2-dev libssl-dev postgresql
  ldap-utils curl python3 python3-yaml file zstd xz-utils bzip2 lz4 zip unzip
  python3-jsonschema  # scan_output.sh: SARIF/CycloneDX schema check (with DEFUSE_SCHEMAS)
  chromium chromium-driver python3-selenium  # report_*.sh: the report page in a headless browser
  # Debian packages of defuse (debian/, tests/e2e/deb_package.sh)
  dpkg-dev debhelper lintian fakeroot
  # the live pipeline test runs its own rsyslogd (never the system's)
  rsyslog
)
if [ "${1:-}" = "--bench" ]; then
  PKGS+=(ripgrep wrk hyperfine libnginx-mod-http-modsecurity modsecurity-crs time valgrind linux-perf libcommons-compress-java
        python3-requests python3-termcolor python3-pycryptodome)  # the last three: bench/probe/vs_log4j_scan.sh
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian's nginx starts itself on port 80 when installed; the tests run their own instances.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now nginx >/dev/null 2>&1 || true; fi
if [ -f /run/nginx.pid ]; then nginx -s stop >/dev/null 2>&1 || true; fi
exit 0
