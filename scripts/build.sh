#!/usr/bin/env bash
# Configures and builds beacon. Usage: scripts/build.sh [release|debug|sanitize]
#   release   -> build/         (RelWithDebInfo, the default)
#   debug     -> build-debug/
#   sanitize  -> build-asan/    (AddressSanitizer + UndefinedBehaviorSanitizer)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-release}"
case "$mode" in
  release) dir=build; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  debug) dir=build-debug; args=(-DCMAKE_BUILD_TYPE=Debug) ;;
  sanitize) dir=build-asan; args=(-DCMAKE_BUILD_TYPE=Debug -DBEACON_SANITIZE=ON) ;;
  *) echo "usage: $0 [release|debug|sanitize]" >&2; exit 2 ;;
esac
# A compiler cache, when installed, makes rebuilds in other worktrees and after a clean cheap.
if command -v ccache >/dev/null 2>&1; then
  args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
# Progress and errors go to stderr; stdout is only the build directory, for scripts.
cmake -S . -B "$dir" -G Ninja "${args[@]}" >&2
cmake --build "$dir" -j "${BEACON_JOBS:-2}" >&2
echo "$dir"
