#!/usr/bin/env bash
# beacon's DNS benchmarks against the reference servers, in one run on this machine.
#
#   bench/run.sh [seconds] [rounds]   full run (default 5 s per measurement, 3 rounds; ~6 min)
#   bench/run.sh --smoke              every benchmark of run.sh, scale.sh and profile.sh for
#                                     about a second each, so the scripts keep working (< 90 s)
#
# Builds release binaries (build-bench/; with BEACON_BUILD_DIR set, as ctest's bench.smoke sets
# it, takes that build tree's binaries as they are and builds nothing), generates a catalog
# (1,000 services x 3 instances; BENCH_SERVICES, BENCH_INSTANCES change it) and the
# equivalent zone for Knot DNS and NSD, and starts beacon, Knot, NSD and a bare UDP reflector,
# each with one worker pinned to CPU 0, on free 127.0.0.1 ports. bench/blast (pinned to CPU 1)
# drives them in turn, round after round, so every server sees the same disturbances; figures
# are medians over the rounds and ratios come from this run only. Sections:
#   1. dig spot-check: the records each server gives for a few names
#   2. UDP throughput, closed loop, 100 outstanding: 50/50 A/SRV, and with 10 % NXDOMAIN;
#      with the server's CPU use over the run (100 % = its core was saturated)
#   3. dnsperf against blast (at dnsperf's own maximum, and both at one fixed rate)
#   4. latency, open loop at 50 % of beacon's peak (kernel receive timestamps)
#   5. TCP: 100 persistent connections, 10 queries pipelined on each
#   6. two workers on two cores, the load generator sharing them, against one worker
# Reference servers are skipped (with a note) if knotd / nsd / dnsperf are not installed.
# BENCH_ONLY="4 5" runs only those sections (section 2 always runs: it gives the peak).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1-}" = "--smoke" ]; then
  start=$(date +%s)
  "$here/run.sh" 1 1
  "$here/scale.sh" --smoke
  "$here/profile.sh" --smoke
  echo "smoke: all benchmarks ran in $(($(date +%s) - start)) s"
  exit 0
fi

secs=${1:-5}
rounds=${2:-3}
services=${BENCH_SERVICES:-1000}
instances=${BENCH_INSTANCES:-3}
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
build_bench

have_knot=0 have_nsd=0 have_dnsperf=0
command -v knotd >/dev/null && have_knot=1
command -v nsd >/dev/null && have_nsd=1
command -v dnsperf >/dev/null && have_dnsperf=1
[ $have_knot = 1 ] || echo "note: knotd not installed (Debian package knot): Knot skipped"
[ $have_nsd = 1 ] || echo "note: nsd not installed (Debian package nsd): NSD skipped"
[ $have_dnsperf = 1 ] || echo "note: dnsperf not installed (Debian package dnsperf): cross-check skipped"

echo "# beacon DNS benchmark, $(date -u +%Y-%m-%d\ %H:%M) UTC"
echo "machine: $(machine)"
echo "catalog: $services services x $instances instances; ${secs}s per measurement, $rounds round(s)"
python3 "$here/gen_catalog.py" "$work" "$services" "$instances" 0 1
servers=(reflector beacon)
start_reflector
start_beacon "$work"
port_reflector=$reflector_port port_beacon=$beacon_port pid_reflector=$reflector_pid pid_beacon=$beacon_pid
if [ $have_knot = 1 ]; then
  start_knot "$work" 1
  servers+=(knot)
  port_knot=$knot_port pid_knot=$knot_pid
fi
if [ $have_nsd = 1 ]; then
  start_nsd "$work" 1
  servers+=(nsd)
  port_nsd=$nsd_port pid_nsd=$nsd_pid
fi
port_of() { local v="port_$1"; echo "${!v}"; }
pid_of() { local v="pid_$1"; echo "${!v}"; }
version_of() {
  case $1 in
    reflector) echo "bench/reflector.cc" ;;
    beacon) "$bin/cmd/beacon" version 2>/dev/null | head -1 ;;
    knot) knotd -V 2>&1 | head -1 | sed 's/.*version //' ;;
    nsd) nsd -v 2>&1 | head -1 | sed 's/NSD version //' ;;
  esac
}
# CPU seconds used by a process and its children (NSD answers from a forked child).
cpu_of() {
  local total=0 p
  for p in $1 $(descendants "$1"); do
    total=$((total + $(awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
clk=$(getconf CLK_TCK)

want() { [ -z "${BENCH_ONLY-}" ] || [[ " $BENCH_ONLY " == *" $1 "* ]]; }

if want 1; then
echo
echo "## 1. dig spot-check (answer and additional sections, sorted; NSD also adds NS + glue)"
for q in "svc1.service.consul A" "svc1.service.consul SRV" "svc$((services - 1)).service.consul SRV" "nx7.service.consul A"; do
  ref=""
  for s in beacon knot nsd; do
    hv="have_$s"
    [ "$s" = beacon ] || [ "${!hv}" = 1 ] || continue
    # shellcheck disable=SC2086
    out=$(dig @127.0.0.1 -p "$(port_of $s)" $q +norec +noedns +noall +answer +additional +comments |
      awk '/status:/ { sub(/.*status: /, ""); sub(/,.*/, ""); print "status " $0; next } /^[^;]/ && NF' |
      grep -v "^bench.node.dc1.consul" | sort)
    echo "-- $s: $q"
    echo "$out" | sed 's/^/   /'
    if [ -z "$ref" ]; then ref=$out; elif [ "$out" = "$ref" ]; then echo "   (same records as beacon)"; else echo "   DIFFERENT from beacon"; fi
  done
done
fi

run_blast() {  # run_blast SERVER OUTFILE ARGS...: blast with the server's CPU use appended
  local s=$1 out=$2 c0 c1 t0 t1
  shift 2
  c0=$(cpu_of "$(pid_of "$s")")
  t0=$(date +%s.%N)
  blast_to "$(port_of "$s")" "$@" >"$out"
  t1=$(date +%s.%N)
  c1=$(cpu_of "$(pid_of "$s")")
  echo "server_cpu_pct $(awk -v c="$((c1 - c0))" -v k="$clk" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", 100 * c / k / (b - a) }')" >>"$out"
}

echo
echo "## 2. UDP throughput, closed loop (blast: 100 outstanding over 4 sockets), ${secs}s x $rounds rounds"
for r in $(seq 1 "$rounds"); do
  for mix in mix nx10; do
    qf="$work/queries.txt"
    [ $mix = nx10 ] && qf="$work/queries-nx10.txt"
    for s in "${servers[@]}"; do
      [ $mix = nx10 ] && [ $s = reflector ] && continue
      run_blast "$s" "$work/tp.$s.$mix.$r" --queries "$qf" --seconds "$secs" --outstanding 100 --sockets 4
      printf "round %d %-5s %-9s %8s answered/s  lost %s  server cpu %s%%  blast cpu %s%%  latency p50 %s us\n" "$r" "$mix" "$s" \
        "$(key "$work/tp.$s.$mix.$r" qps)" "$(key "$work/tp.$s.$mix.$r" lost)" \
        "$(key "$work/tp.$s.$mix.$r" server_cpu_pct)" "$(key "$work/tp.$s.$mix.$r" client_cpu_pct)" "$(key "$work/tp.$s.$mix.$r" latency_us 3)"
    done
  done
done
med() { for r in $(seq 1 "$rounds"); do key "$work/tp.$1.$2.$r" qps; done | median; }
declare -A peak nxpeak
for s in "${servers[@]}"; do
  peak[$s]=$(med "$s" mix)
  [ $s = reflector ] || nxpeak[$s]=$(med "$s" nx10)
done
echo
echo "| server | version | answered/s, 50/50 A/SRV | answered/s, 10 % NXDOMAIN | % of reflector | beacon / server (mix, nx10) | server CPU | µs CPU/query |"
echo "|---|---|---|---|---|---|---|---|"
for s in "${servers[@]}"; do
  cpu=$(for r in $(seq 1 "$rounds"); do key "$work/tp.$s.mix.$r" server_cpu_pct; done | median)
  us=$(awk -v q="${peak[$s]}" -v c="$cpu" 'BEGIN { if (q > 0) printf "%.2f", 1e6 * c / 100 / q }')
  echo "| $s | $(version_of $s) | ${peak[$s]} | ${nxpeak[$s]:-—} | $(awk -v a="${peak[$s]}" -v b="${peak[reflector]}" 'BEGIN { printf "%.0f %%", 100 * a / b }') | $(ratio "${peak[beacon]}" "${peak[$s]}"), $( [ $s = reflector ] && echo — || ratio "${nxpeak[beacon]}" "${nxpeak[$s]}") | ${cpu} % | $us |"
done

if [ $have_dnsperf = 1 ] && want 3; then
  echo
  echo "## 3. dnsperf cross-check against beacon (dnsperf pinned to CPU 1, 1 thread, 100 outstanding)"
  $pin_client dnsperf -s 127.0.0.1 -p "$port_beacon" -d "$work/queries.txt" -l "$secs" -c 1 -T 1 -q 100 >"$work/dp.max" 2>&1 || true
  echo "dnsperf at its maximum: $(awk '/Queries per second/ { printf "%.0f", $4 }' "$work/dp.max") q/s, avg latency $(awk '/Average Latency/ { print $4 * 1e6 }' "$work/dp.max") us, lost $(awk '/Queries lost/ { print $3 }' "$work/dp.max")  (blast: ${peak[beacon]} q/s)"
  fixed=$((peak[beacon] / 4))
  [ "$fixed" -gt 50000 ] && fixed=50000
  $pin_client dnsperf -s 127.0.0.1 -p "$port_beacon" -d "$work/queries.txt" -l "$secs" -c 1 -T 1 -q 1000 -Q "$fixed" >"$work/dp.fixed" 2>&1 || true
  blast_to "$port_beacon" --queries "$work/queries.txt" --seconds "$secs" --rate "$fixed" >"$work/bl.fixed"
  echo "both at $fixed q/s: dnsperf $(awk '/Queries per second/ { printf "%.0f", $4 }' "$work/dp.fixed") q/s, avg latency $(awk '/Average Latency/ { print $4 * 1e6 }' "$work/dp.fixed") us, lost $(awk '/Queries lost/ { print $3 }' "$work/dp.fixed");" \
    "blast $(key "$work/bl.fixed" qps) q/s, avg latency $(key "$work/bl.fixed" latency_us 11) us (p50 $(key "$work/bl.fixed" latency_us 3)), lost $(key "$work/bl.fixed" lost)"
fi

half=$((peak[beacon] / 2))
if want 4; then
echo
echo "## 4. Latency, open loop at $half q/s (50 % of beacon's peak), ${secs}s each"
echo "| server | sent/s | answered/s | lost | p50 µs | p90 µs | p99 µs | p99.9 µs | p99 from schedule µs | send lag p99 µs |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for s in "${servers[@]}"; do
  blast_to "$(port_of "$s")" --queries "$work/queries.txt" --seconds "$secs" --rate "$half" >"$work/lat.$s"
  f="$work/lat.$s"
  echo "| $s | $(key "$f" target_rate 4) | $(key "$f" qps) | $(key "$f" lost) | $(key "$f" latency_us 3) | $(key "$f" latency_us 5) | $(key "$f" latency_us 7) | $(key "$f" latency_us 9) | $(key "$f" latency_from_schedule_us 7) | $(key "$f" send_lag_us 7) |"
done

fi

if want 5; then
echo
echo "## 5. TCP: 100 persistent connections x 10 pipelined queries, ${secs}s"
echo "| server | answered/s | p50 µs | p99 µs | lost | connections closed by server |"
echo "|---|---|---|---|---|---|"
for s in "${servers[@]}"; do
  [ $s = reflector ] && continue
  blast_to "$(port_of "$s")" --queries "$work/queries.txt" --seconds "$secs" --tcp 1 --connections 100 --pipeline 10 >"$work/tcp.$s"
  f="$work/tcp.$s"
  echo "| $s | $(key "$f" qps) | $(key "$f" latency_us 3) | $(key "$f" latency_us 7) | $(key "$f" lost) | $(key "$f" connections 6) |"
done
fi
echo "rss_mb beacon $(rss_mb "$pid_beacon")$([ $have_knot = 1 ] && echo " knot $(rss_mb "$pid_knot")")$([ $have_nsd = 1 ] && echo " nsd(all processes) $(rss_tree_mb "$pid_nsd")")"

if want 6; then
echo
echo "## 6. Two workers on two cores (server and load generator share both cores), ${secs}s x $rounds rounds"
# Two blast processes (4 sockets, 50 outstanding each), unpinned like the servers.
pair() {  # pair PORT TAG: runs two blasts at once and prints the summed answered/s
  local port=$1 tag=$2
  "$bin/bench/beacon_blast" --server 127.0.0.1:"$port" --queries "$work/queries.txt" --seconds "$secs" --outstanding 50 --sockets 4 >"$work/$tag.a" &
  local a=$!
  "$bin/bench/beacon_blast" --server 127.0.0.1:"$port" --queries "$work/queries.txt" --seconds "$secs" --outstanding 50 --sockets 4 >"$work/$tag.b"
  wait $a
  echo $(($(key "$work/$tag.a" qps) + $(key "$work/$tag.b" qps)))
}
stop_pid "$pid_beacon"
[ $have_knot = 1 ] && stop_pid "$pid_knot"
[ $have_nsd = 1 ] && stop_pid "$pid_nsd"
stop_pid "$pid_reflector"
scale_servers=(beacon)
[ $have_knot = 1 ] && scale_servers+=(knot)
declare -A w1 w2 u1 u2
for s in "${scale_servers[@]}"; do
  for w in 1 2; do
    if [ $s = beacon ]; then
      sed -i "s/^udp_workers = .*/udp_workers = $w/" "$work/beacon.toml"
      start_beacon "$work" ""
      p=$beacon_port pid=$beacon_pid
    else
      start_knot "$work" $w ""
      p=$knot_port pid=$knot_pid
    fi
    for r in $(seq 1 "$rounds"); do
      c0=$(cpu_of "$pid")
      pair "$p" "sc.$s.$w.$r" >"$work/sc.$s.$w.$r.sum"
      c1=$(cpu_of "$pid")
      # the server's CPU time per answered query, in µs
      awk -v c="$((c1 - c0))" -v k="$clk" -v q="$(cat "$work/sc.$s.$w.$r.sum")" -v t="$secs" \
        'BEGIN { if (q > 0) printf "%.2f\n", 1e6 * c / k / (q * t) }' >"$work/sc.$s.$w.$r.cpu"
    done
    v=$(cat "$work"/sc.$s.$w.*.sum | median)
    u=$(cat "$work"/sc.$s.$w.*.cpu | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    if [ $w = 1 ]; then w1[$s]=$v u1[$s]=$u; else w2[$s]=$v u2[$s]=$u; fi
    stop_pid "$pid"
  done
done
echo "| server | 1 worker, shared cores | 2 workers, shared cores | 2 workers / 1 worker (shared) | 2 workers shared / 1 worker pinned (section 2) | server CPU µs/query, 1 worker / 2 workers |"
echo "|---|---|---|---|---|---|"
for s in "${scale_servers[@]}"; do
  echo "| $s | ${w1[$s]} | ${w2[$s]} | $(ratio "${w2[$s]}" "${w1[$s]}") | $(ratio "${w2[$s]}" "${peak[$s]}") | ${u1[$s]} / ${u2[$s]} |"
done
fi
echo
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
