#!/usr/bin/env bash
# Health-check figures: the time from a check result to the changed DNS answer (HTTP checks
# whose target flips between 200 and 503, and TTL pass/fail through the HTTP API), and the agent's CPU cost of 1,000 HTTP checks
# at a 1 s interval. Builds release binaries (build-bench/; with BEACON_BUILD_DIR set, uses
# that build tree's binaries instead) and starts its own agent on free loopback ports.
# Usage: bench/health.sh [rounds] [checks] [seconds]
set -euo pipefail
bin=""
if [ -n "${BEACON_BUILD_DIR-}" ]; then bin=$(cd "$BEACON_BUILD_DIR" && pwd); fi
cd "$(dirname "$0")/.."
rounds=${1:-200}
checks=${2:-1000}
secs=${3:-20}
if [ -z "$bin" ]; then
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBEACON_BUILD_TESTS=OFF >/dev/null
  cmake --build build-bench --target beacon beacon_health_bench -j 2 >/dev/null
  bin=build-bench
fi
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cat > "$work/beacon.toml" <<TOML
node_name = "bench"
data_dir = "$work/data"
[ports]
dns = 0
http = 0
TOML
"$bin"/cmd/beacon agent --config "$work/beacon.toml" 2>"$work/log" &
pid=$!
for _ in $(seq 1 200); do grep -q "http: listening on" "$work/log" && break; sleep 0.05; done
dns=$(sed -n 's/.*dns: listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/log")
http=$(sed -n 's/.*http: listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/log")
[ -n "$dns" ] && [ -n "$http" ] || { cat "$work/log"; exit 1; }
echo "== check result -> DNS answer ($rounds flips of HTTP checks, from the probe's response)"
"$bin"/bench/beacon_health_bench probe --http "$http" --dns "$dns" --rounds "$rounds"
echo "== TTL update -> DNS answer ($rounds flips of a TTL check through the API)"
"$bin"/bench/beacon_health_bench latency --http "$http" --dns "$dns" --rounds "$rounds"
echo "== $checks HTTP checks at 1s, agent CPU over ${secs}s"
"$bin"/bench/beacon_health_bench cpu --http "$http" --pid "$pid" --checks "$checks" --seconds "$secs"
