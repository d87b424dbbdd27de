#!/usr/bin/env bash
# beacon at catalog scale: 1k, 10k and 100k instances (10 instances per service, loaded from
# the config at start), one agent at a time on free 127.0.0.1 ports, its data in a temp dir.
#
#   bench/scale.sh [sizes...]     default: 1000 10000 100000 (instances)
#   bench/scale.sh --smoke        1000 and 10000 only, short runs
#
# For each size:
#   start-up, first (empty data_dir: config parsed and written to the store) and again (same
#     data_dir: the store is read, the config compared with it, nothing to write), timed from
#     exec to the "dns: listening" log line, with the phases from the log's timestamps;
#   RSS after start and at the end; UDP throughput (blast closed loop, server on CPU 0);
#   check result -> DNS answer: health_bench probe (20 services with HTTP checks against a
#     target that flips between 200 and 503; from the probe's response to the first changed
#     DNS answer), p50/p99;
#   TTL update -> DNS answer: health_bench latency (a TTL check flipped through the HTTP API,
#     durable before the reply; DNS polled after the reply until the answer changes), p50/p99;
#   registration throughput: 64 keep-alive clients registering distinct IDs, each write
#     durable (fsync'd) before its reply.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
smoke=0
if [ "${1-}" = "--smoke" ]; then smoke=1; shift; fi
sizes=("$@")
if [ ${#sizes[@]} -eq 0 ]; then
  if [ $smoke = 1 ]; then sizes=(1000 10000); else sizes=(1000 10000 100000); fi
fi
rounds=100 reg_secs=5 secs=3
[ $smoke = 1 ] && rounds=10 reg_secs=1 secs=1
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
build_bench

# ms_of "2026-11-21T10:20:05.363Z": milliseconds since the epoch
ms_of() { date -d "$1" +%s%3N; }

# timed_start DIR: starts beacon, sets start_ms (exec time) and ready_ms (dns listening seen)
timed_start() {
  local dir=$1
  : >"$dir/log"
  start_ms=$(date +%s%3N)
  $pin_server "$bin/cmd/beacon" agent --config "$dir/beacon.toml" 2>>"$dir/log" &
  beacon_pid=$!
  pids+=("$beacon_pid")
  for _ in $(seq 1 6000); do grep -q "dns: listening" "$dir/log" && break; sleep 0.005; done
  ready_ms=$(date +%s%3N)
  for _ in $(seq 1 1000); do grep -q "http: listening" "$dir/log" && break; sleep 0.01; done
  beacon_port=$(sed -n 's/.*dns: listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$dir/log" | tail -1)
  http_port=$(sed -n 's/.*http: listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$dir/log" | tail -1)
  [ -n "$beacon_port" ] && [ -n "$http_port" ] || { echo "beacon did not start:" >&2; cat "$dir/log" >&2; exit 1; }
}

# phases DIR: log timestamps of the start-up steps, relative to start_ms
phases() {
  local dir=$1 t_store t_sync t_dns
  t_store=$(ms_of "$(grep -m1 "catalog: embedded store" "$dir/log" | cut -d' ' -f1)")
  t_sync=$(ms_of "$(grep -m1 "services from config registered" "$dir/log" | cut -d' ' -f1)")
  t_dns=$(ms_of "$(grep -m1 "dns: listening" "$dir/log" | cut -d' ' -f1)")
  echo "store opened and read +$((t_store - start_ms)) ms, config synced +$((t_sync - start_ms)) ms, dns listening +$((t_dns - start_ms)) ms"
}

echo "# beacon at scale, $(date -u +%Y-%m-%d\ %H:%M) UTC"
echo "machine: $(machine)"
declare -A cold warm rss0 rss1 p50 p99 h50 h99 w50 w99 regs reg50 reg99 qps
for n in "${sizes[@]}"; do
  dir="$work/n$n"
  svc=$((n / 10))
  python3 "$here/gen_catalog.py" "$dir" "$svc" 10 0 1
  echo
  echo "## $n instances ($svc services x 10), config $(du -h "$dir/beacon.toml" | cut -f1)"
  timed_start "$dir"
  cold[$n]=$((ready_ms - start_ms))
  echo "first start (empty data_dir): ${cold[$n]} ms to dns listening; $(phases "$dir")"
  echo "  RSS $(rss_mb "$beacon_pid") MB, store $(du -sh "$dir/data" | cut -f1)"
  stop_pid "$beacon_pid"
  timed_start "$dir"
  warm[$n]=$((ready_ms - start_ms))
  rss0[$n]=$(rss_mb "$beacon_pid")
  echo "second start (same data_dir): ${warm[$n]} ms to dns listening; $(phases "$dir")"
  echo "  RSS ${rss0[$n]} MB"
  dig @127.0.0.1 -p "$beacon_port" "svc$((svc - 1)).service.consul" SRV +norec +noall +answer | awk 'NR <= 2 { print "  dig: " $0 }'
  blast_to "$beacon_port" --queries "$dir/queries.txt" --seconds "$secs" --outstanding 100 --sockets 4 >"$dir/tp"
  qps[$n]=$(key "$dir/tp" qps)
  echo "  UDP closed loop: ${qps[$n]} answered/s (lost $(key "$dir/tp" lost))"
  "$bin/bench/beacon_health_bench" probe --http "$http_port" --dns "$beacon_port" --rounds "$rounds" >"$dir/probe"
  sed 's/^/  /' "$dir/probe"
  p50[$n]=$(key "$dir/probe" probe_to_dns_ms 3)
  p99[$n]=$(key "$dir/probe" probe_to_dns_ms 5)
  "$bin/bench/beacon_health_bench" latency --http "$http_port" --dns "$beacon_port" --rounds "$rounds" >"$dir/health"
  sed 's/^/  /' "$dir/health"
  h50[$n]=$(key "$dir/health" check_result_to_dns_ms 3)
  h99[$n]=$(key "$dir/health" check_result_to_dns_ms 5)
  w50[$n]=$(key "$dir/health" api_write_ms 3)
  w99[$n]=$(key "$dir/health" api_write_ms 5)
  "$bin/bench/beacon_health_bench" register --http "$http_port" --clients 64 --seconds "$reg_secs" >"$dir/reg" || true
  sed 's/^/  register: /' "$dir/reg"
  regs[$n]=$(key "$dir/reg" writes_per_s)
  reg50[$n]=$(key "$dir/reg" write_ms 3)
  reg99[$n]=$(key "$dir/reg" write_ms 5)
  rss1[$n]=$(rss_mb "$beacon_pid")
  echo "  RSS at the end ${rss1[$n]} MB"
  stop_pid "$beacon_pid"
done

echo
echo "| instances | first start ms | start from the store ms (goal < 2000) | RSS MB (goal < 200) | RSS after the writes MB | UDP answered/s | check result → DNS p50 / p99 ms (goal < 1) | TTL update → DNS p50 / p99 ms | TTL API write p50 / p99 ms | registrations/s, 64 clients (goal 10,000) | registration p50 / p99 ms |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  echo "| $n | ${cold[$n]} | ${warm[$n]} | ${rss0[$n]} | ${rss1[$n]} | ${qps[$n]} | ${p50[$n]} / ${p99[$n]} | ${h50[$n]} / ${h99[$n]} | ${w50[$n]} / ${w99[$n]} | ${regs[$n]} | ${reg50[$n]} / ${reg99[$n]} |"
done
