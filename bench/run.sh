#!/usr/bin/env bash
# DNS throughput and latency of beacon on this machine (a first cut; the reference servers
# Knot and NSD join in the performance issue). Builds release binaries, generates a catalog
# of 1,000 services x 3 instances, starts beacon with one UDP worker pinned to CPU 0, and
# runs bench/blast pinned to CPU 1: closed loop (peak) and open loop at half the peak.
# Usage: bench/run.sh [seconds]     (BENCH_SERVICES, BENCH_INSTANCES override the catalog size)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
services=${BENCH_SERVICES:-1000}
instances=${BENCH_INSTANCES:-3}
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBEACON_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench --target beacon beacon_blast -j 2 >/dev/null
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
python3 bench/gen_catalog.py "$work" "$services" "$instances" 0
pin_server="" pin_client=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then pin_server="taskset -c 0"; pin_client="taskset -c 1"; fi
start=$(date +%s.%N)
$pin_server ./build-bench/cmd/beacon agent --config "$work/beacon.toml" 2>"$work/log" &
pid=$!
for _ in $(seq 1 200); do grep -q "listening on" "$work/log" && break; sleep 0.05; done
port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/log")
[ -n "$port" ] || { cat "$work/log"; exit 1; }
ready=$(date +%s.%N)
echo "catalog: $services services x $instances instances; start-up to listening: $(echo "$ready - $start" | bc) s"
echo "rss_kb $(awk '/VmRSS/{print $2}' /proc/$pid/status)"
dig @127.0.0.1 -p "$port" +short svc1.service.consul SRV | head -3
echo "== closed loop, 100 outstanding, ${secs}s"
$pin_client ./build-bench/bench/beacon_blast --server 127.0.0.1:"$port" --queries "$work/queries.txt" \
  --seconds "$secs" --outstanding 100 --sockets 4 | tee "$work/closed"
peak=$(awk '/^qps/{print $2}' "$work/closed")
half=$((peak / 2))
echo "== open loop at ${half} qps (half the peak), ${secs}s"
$pin_client ./build-bench/bench/beacon_blast --server 127.0.0.1:"$port" --queries "$work/queries.txt" \
  --seconds "$secs" --rate "$half" --outstanding 20000 --sockets 4
echo "rss_kb_after $(awk '/VmRSS/{print $2}' /proc/$pid/status)"
