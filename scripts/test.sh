#!/usr/bin/env bash
# Runs every test of defuse on a fresh Debian 12 machine (as root):
#   1. installs the Debian packages it needs (scripts/deps.sh),
#   2. builds with warnings as errors and runs the whole suite (ctest),
#   3. builds again under AddressSanitizer + UndefinedBehaviorSanitizer and
#      runs the whole suite again,
#   4. builds the libFuzzer targets with clang and runs each briefly.
# Extended tests over ../shared/corpus run when that folder is present.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
JOBS=$(nproc)
status=0
summary=()

run_suite() { # name builddir cmake-args...
  local name=$1 dir=$2; shift 2
  echo "=== [$name] configure + build ($dir)"
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  ninja -C "$dir"
  echo "=== [$name] tests"
  local log="$dir/ctest.log"
  if ctest --test-dir "$dir" --output-on-failure -j"$JOBS" 2>&1 | tee "$log"; then :; else status=1; fi
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of' "$log" | tail -1 || true)
  summary+=("$name: ${line:-no ctest summary}")
}

run_suite release build -DDEFUSE_WERROR=ON
run_suite asan+ubsan build-asan -DDEFUSE_WERROR=ON -DDEFUSE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug

echo "=== [fuzz] libFuzzer targets (clang), 10 s each"
CC=clang-14 cmake -S . -B build-fuzz -G Ninja -DDEFUSE_FUZZ=ON -DDEFUSE_NGINX=OFF \
  -DCMAKE_BUILD_TYPE=Debug -DDEFUSE_SANITIZE=ON >/dev/null
ninja -C build-fuzz
for t in build-fuzz/fuzz_*; do
  [ -x "$t" ] || continue
  short=$(basename "$t"); short=${short#fuzz_}
  mkdir -p "build-fuzz/corpus-$short"
  dict=(); [ -f "tests/fuzz/$short.dict" ] && dict=(-dict="tests/fuzz/$short.dict")
  if ! "$t" "${dict[@]}" -max_total_time=10 -timeout=5 -rss_limit_mb=2048 -artifact_prefix="build-fuzz/" \
       "build-fuzz/corpus-$short" tests/fuzz/corpus/"$short" >"build-fuzz/$short.log" 2>&1; then
    echo "fuzz target $short failed: see build-fuzz/$short.log (crash input saved in build-fuzz/)"
    tail -30 "build-fuzz/$short.log"
    status=1
  fi
done

echo "=== summary"
for s in "${summary[@]}"; do echo "$s"; done
# One plain closing line over both suites.
passed=0; failed=0
for s in "${summary[@]}"; do
  if [[ $s =~ ([0-9]+)%\ tests\ passed,\ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]]; then
    failed=$((failed + BASH_REMATCH[2])); passed=$((passed + BASH_REMATCH[3] - BASH_REMATCH[2]))
  fi
done
echo "${passed} passed, ${failed} failed"
exit $status
