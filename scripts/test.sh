#!/usr/bin/env bash
# Installs what is missing, builds beacon and its tests, and runs the whole suite with ctest.
# Usage: scripts/test.sh [release|debug|sanitize]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
mode="${1:-release}"
dir=$(bash scripts/build.sh "$mode")
cd "$dir"
ctest --output-on-failure -j "${BEACON_JOBS:-2}" --timeout 600
