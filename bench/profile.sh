#!/usr/bin/env bash
# Where beacon's query path spends its time.
#
#   bench/profile.sh [queries] [seconds]   default 20000 queries under callgrind, 5 s of perf
#   bench/profile.sh --smoke               2000 queries, 1 s
#
# 1. valgrind --tool=callgrind: beacon (and Knot DNS, for comparison) answer a fixed number of
#    queries (the 50/50 A/SRV mix, 1,000 services x 3 instances) with instrumentation switched
#    on only while blast sends them (callgrind_control -i on/off); instructions per query =
#    the instructions counted in that window / the queries answered. User space only: the
#    kernel's UDP path is not in these counts. Prints the top functions (self and inclusive).
# 2. perf: `perf stat -e instructions` (hardware counters; often "not supported" in a VM),
#    then `perf record -e cpu-clock -g` on the beacon process (pinned to CPU 0) during a
#    closed-loop blast run: the share of the server core by function, kernel included.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
queries=20000 secs=5
if [ "${1-}" = "--smoke" ]; then queries=2000 secs=1; else queries=${1:-20000}; secs=${2:-5}; fi
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
build_bench
python3 "$here/gen_catalog.py" "$work" 1000 3 0 1
echo "# beacon query-path profile, $(date -u +%Y-%m-%d\ %H:%M) UTC"
echo "machine: $(machine)"

top_functions() {  # top_functions FILE: self and inclusive top 15 (file:function as callgrind_annotate groups them)
  local mode
  for mode in no yes; do
    [ $mode = no ] && echo "top by own instructions (Ir, % of the window):" || echo "top inclusive (Ir, % of the window):"
    callgrind_annotate --inclusive=$mode "$1" 2>/dev/null |
      awk '/file:function/ { on = 1; getline; next } on && NF && n < 15 { print; n++ }' |
      sed 's/beacon::dns::(anonymous namespace):://g; s/beacon::dns:://g; s/std::__cxx11:://g' | cut -c1-180 | sed 's/^/  /'
  done
}

# callgrind_run NAME PORT PID: counts the window around `queries` queries
callgrind_run() {
  local name=$1 port=$2 pid=$3 out ir answered
  out="$work/cg.$name.out"
  callgrind_control -i on "$pid" >/dev/null
  blast_to "$port" --queries "$work/queries.txt" --count "$queries" --outstanding 20 --sockets 1 --seconds 300 >"$work/cg.$name.blast"
  callgrind_control -i off "$pid" >/dev/null
  callgrind_control -d "$pid" >/dev/null
  sleep 0.5
  stop_pid "$pid"
  answered=$(key "$work/cg.$name.blast" answered)
  # the dump of the window is the file with the highest part number, or the final one
  local f
  f=$(ls -1 "$out"* 2>/dev/null | sort -V | tail -1)
  ir=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ && !done { gsub(",", "", $1); print $1; done = 1 }')
  [ -n "$ir" ] || ir=$(awk '/^summary:/ { print $2 }' "$f")
  echo
  echo "## callgrind: $name, $answered queries answered (lost $(key "$work/cg.$name.blast" lost))"
  echo "instructions in the window: $ir; per query: $(awk -v i="$ir" -v q="$answered" 'BEGIN { if (q > 0) printf "%.0f", i / q }')"
  top_functions "$f"
  eval "ipq_$name=$(awk -v i="$ir" -v q="$answered" 'BEGIN { if (q > 0) printf "%.0f", i / q; else print 0 }')"
}

if command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
  : >"$work/log"
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/cg.beacon.out" \
    "$bin/cmd/beacon" agent --config "$work/beacon.toml" 2>>"$work/log" &
  vpid=$!
  pids+=("$vpid")
  for _ in $(seq 1 600); do grep -q "dns: listening" "$work/log" && break; sleep 0.1; done
  port=$(sed -n 's/.*dns: listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/log" | tail -1)
  [ -n "$port" ] || { echo "beacon under valgrind did not start" >&2; cat "$work/log" >&2; exit 1; }
  sleep 1
  callgrind_run beacon "$port" "$vpid"
  if command -v knotd >/dev/null; then
    # Knot under callgrind: the same zone, one UDP worker.
    start_knot "$work" 1 ""  # writes the config; restarted below under valgrind
    stop_pid "$knot_pid"
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/cg.knot.out" \
      knotd -c "$work/knot/knot.conf" 2>"$work/knot/vg.log" &
    vpid=$!
    pids+=("$vpid")
    if wait_dns "$knot_port" || wait_dns "$knot_port"; then
      sleep 1
      callgrind_run knot "$knot_port" "$vpid"
      echo
      echo "beacon / Knot user-space instructions per query: $(ratio "$ipq_beacon" "$ipq_knot")"
    else
      echo "knotd under valgrind did not answer; skipped"
      stop_pid "$vpid"
    fi
  fi
else
  echo "valgrind not installed (Debian package valgrind): callgrind skipped"
fi

echo
echo "## perf"
if ! command -v perf >/dev/null; then
  echo "perf not installed (Debian package linux-perf): skipped"
  exit 0
fi
echo "\$ perf stat -e instructions true"
perf stat -e instructions true 2>&1 | grep -E "instructions|not supported" | sed 's/^ */  /' || true
start_beacon "$work"
perf record -e cpu-clock -F 4999 -g -p "$beacon_pid" -o "$work/perf.data" -- sleep "$((secs + 1))" >/dev/null 2>&1 &
ppid=$!
sleep 0.5
blast_to "$beacon_port" --queries "$work/queries.txt" --seconds "$secs" --outstanding 100 --sockets 4 >"$work/perf.blast"
wait $ppid || true
echo "beacon pinned to CPU 0 under blast: $(key "$work/perf.blast" qps) answered/s while sampled"
echo "share of samples by function (cpu-clock, self; [k] kernel, [.] user):"
perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
  grep -E "^ +[0-9.]+%" | sed 's/ *$//' | cut -c1-160 | awk 'NR <= 25' || true
echo "user space vs kernel:"
perf report -i "$work/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E "^ +[0-9.]+%" | sed 's/ *$//' | awk 'NR <= 6' || true
