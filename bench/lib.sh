# Shared helpers for the bench scripts (sourced, not run). Every server is started here with
# its own config and data in $work (a temp dir), on a free 127.0.0.1 port, and is stopped by
# PID from the EXIT trap; nothing is ever stopped by name.
# shellcheck shell=bash

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The binaries: build_bench builds them in build-bench/ (release), or, with BEACON_BUILD_DIR set
# (as ctest sets it for bench.smoke: the build tree it runs in), takes that tree's as they are.
bin="$bench_root/build-bench"
bench_targets=(cmd/beacon bench/beacon_blast bench/beacon_reflector bench/beacon_health_bench)
work=$(mktemp -d /tmp/beacon-bench.XXXXXX)
pids=()

# descendants PID: the PIDs of a process's children, grandchildren, ... (by parent PID).
descendants() {
  local c
  for c in $(pgrep -P "$1" 2>/dev/null); do
    echo "$c"
    descendants "$c"
  done
}

bench_cleanup() {
  local p kids=()
  for p in "${pids[@]}"; do mapfile -t -O "${#kids[@]}" kids < <(descendants "$p"); done
  for p in "${pids[@]}" "${kids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${kids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# Stops one server we started (by PID) and forgets it.
stop_pid() {
  local p=$1 q keep=() kids
  kids=$(descendants "$p")
  # shellcheck disable=SC2086
  kill "$p" $kids 2>/dev/null || true
  for q in $kids; do
    for _ in $(seq 1 100); do kill -0 "$q" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$q" 2>/dev/null || true
  done
  for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  for q in "${pids[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
  pids=("${keep[@]}")
}

build_bench() {
  if [ -n "${BEACON_BUILD_DIR-}" ]; then
    bin=$(cd "$BEACON_BUILD_DIR" 2>/dev/null && pwd) || {
      echo "bench: BEACON_BUILD_DIR=$BEACON_BUILD_DIR: no such directory" >&2
      exit 1
    }
    local t missing=() type
    for t in "${bench_targets[@]}"; do [ -x "$bin/$t" ] || missing+=("$t"); done
    if [ ${#missing[@]} -gt 0 ]; then
      echo "bench: $bin has no ${missing[*]}: build it first (cmake --build $bin), or unset BEACON_BUILD_DIR" >&2
      exit 1
    fi
    # profile.sh runs beacon under valgrind, which cannot run AddressSanitizer binaries.
    if grep -q '^BEACON_SANITIZE:BOOL=ON' "$bin/CMakeCache.txt" 2>/dev/null; then
      echo "bench: $bin is a sanitizer build; unset BEACON_BUILD_DIR to build release binaries in build-bench/" >&2
      exit 1
    fi
    type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$bin/CMakeCache.txt" 2>/dev/null)
    echo "note: binaries from $bin (BEACON_BUILD_DIR; build type ${type:-unknown}), not built here"
    return 0
  fi
  (cd "$bench_root" && cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBEACON_BUILD_TESTS=OFF >/dev/null &&
    cmake --build build-bench --target "${bench_targets[@]##*/}" -j 2 >/dev/null) || {
    echo "bench: build failed" >&2
    exit 1
  }
}

# A port free for both UDP and TCP on 127.0.0.1.
free_port() {
  python3 - <<'PY'
import socket
for _ in range(100):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        u.close(); t.close()
PY
}

pin_server="" pin_client=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then pin_server="taskset -c 0"; pin_client="taskset -c 1"; fi

# wait_dns PORT: until the server answers the SOA over UDP (at most 10 s).
wait_dns() {
  for _ in $(seq 1 200); do
    dig @127.0.0.1 -p "$1" consul SOA +norec +time=1 +tries=1 2>/dev/null | grep -q "status: NOERROR" && return 0
    sleep 0.05
  done
  return 1
}

# start_beacon DIR [pin]: starts beacon on DIR/beacon.toml; sets beacon_pid, beacon_port, http_port.
start_beacon() {
  local dir=$1 pin=${2-$pin_server}
  : >"$dir/log"
  $pin "$bin/cmd/beacon" agent --config "$dir/beacon.toml" 2>>"$dir/log" &
  beacon_pid=$!
  pids+=("$beacon_pid")
  for _ in $(seq 1 1200); do grep -q "http: listening on" "$dir/log" && break; sleep 0.01; done
  beacon_port=$(sed -n 's/.*dns: listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$dir/log" | tail -1)
  http_port=$(sed -n 's/.*http: listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$dir/log" | tail -1)
  [ -n "$beacon_port" ] || { echo "beacon did not start:" >&2; cat "$dir/log" >&2; exit 1; }
}

# start_knot DIR WORKERS [pin]: Knot DNS on DIR/consul.zone; sets knot_pid, knot_port.
start_knot() {
  local dir=$1 workers=$2 pin=${3-$pin_server}
  knot_port=$(free_port)
  mkdir -p "$dir/knot"
  cat >"$dir/knot/knot.conf" <<EOF
server:
    listen: 127.0.0.1@$knot_port
    rundir: $dir/knot
    udp-workers: $workers
    tcp-workers: $workers
    background-workers: 1
log:
  - target: stderr
    any: warning
database:
    storage: $dir/knot
template:
  - id: default
    storage: $dir/knot
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: consul
    file: $dir/consul.zone
EOF
  $pin knotd -c "$dir/knot/knot.conf" 2>"$dir/knot/log" &
  knot_pid=$!
  pids+=("$knot_pid")
  wait_dns "$knot_port" || { echo "knotd did not start:" >&2; cat "$dir/knot/log" >&2; exit 1; }
}

# start_nsd DIR WORKERS [pin]: NSD on DIR/consul.zone; sets nsd_pid, nsd_port.
start_nsd() {
  local dir=$1 workers=$2 pin=${3-$pin_server}
  nsd_port=$(free_port)
  mkdir -p "$dir/nsd"
  local reuse=no
  [ "$workers" -gt 1 ] && reuse=yes
  cat >"$dir/nsd/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$nsd_port
    server-count: $workers
    reuseport: $reuse
    username: ""
    chroot: ""
    zonesdir: "$dir"
    database: ""
    pidfile: "$dir/nsd/nsd.pid"
    xfrdfile: "$dir/nsd/xfrd.state"
    zonelistfile: "$dir/nsd/zone.list"
    logfile: "$dir/nsd/log"
    verbosity: 0
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
    minimal-responses: no
    tcp-count: 256
remote-control:
    control-enable: no
zone:
    name: consul
    zonefile: "$dir/consul.zone"
EOF
  $pin nsd -d -c "$dir/nsd/nsd.conf" 2>>"$dir/nsd/log" &
  nsd_pid=$!
  pids+=("$nsd_pid")
  wait_dns "$nsd_port" || { echo "nsd did not start:" >&2; cat "$dir/nsd/log" >&2; exit 1; }
}

# start_reflector [pin]: the UDP echo ceiling; sets reflector_pid, reflector_port.
start_reflector() {
  local pin=${1-$pin_server}
  $pin "$bin/bench/beacon_reflector" --seconds 3600 2>"$work/reflector.log" &
  reflector_pid=$!
  pids+=("$reflector_pid")
  for _ in $(seq 1 100); do grep -q "listening on" "$work/reflector.log" && break; sleep 0.02; done
  reflector_port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/reflector.log")
  [ -n "$reflector_port" ] || { echo "reflector did not start" >&2; exit 1; }
}

# blast_to PORT ARGS...: runs blast (pinned to the client core) against 127.0.0.1:PORT.
blast_to() {
  local port=$1
  shift
  $pin_client "$bin/bench/beacon_blast" --server 127.0.0.1:"$port" "$@"
}

# key FILE NAME [FIELD]: the value after NAME in blast's output (FIELD counts from 2).
key() { awk -v k="$2" -v f="${3:-2}" '$1 == k { print $f; exit }' "$1"; }

# median of the numbers on stdin
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2 ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)) }'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# rss_tree_mb PID: RSS of a process and its children (NSD forks its workers).
rss_tree_mb() {
  local total=0 p
  for p in $1 $(descendants "$1"); do
    total=$((total + $(awk '/VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
  done
  awk -v t="$total" 'BEGIN { printf "%.1f", t / 1024 }'
}

machine() {
  echo "$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r); load: $(cut -d' ' -f1-3 /proc/loadavg)"
}
