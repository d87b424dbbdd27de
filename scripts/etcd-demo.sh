#!/usr/bin/env bash
# Tries the replicated catalog on one machine: a 3-member etcd cluster and two beacon agents
# (nodes "a" and "b") sharing it, all on 127.0.0.1, in a temporary directory. Ctrl-C stops
# everything it started (by PID) and removes the directory.
#
#   etcd clients   127.0.0.1:23791, 23792, 23793 (peers on 23801-23803)
#   agent a        DNS 127.0.0.1:8611, HTTP 127.0.0.1:8511, serves "web"
#   agent b        DNS 127.0.0.1:8612, HTTP 127.0.0.1:8512, serves "api"
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release >/dev/null

for port in 23791 23792 23793 23801 23802 23803 8611 8612 8511 8512; do
  if ss -Hltn "sport = :$port" | grep -q .; then
    echo "etcd-demo: port $port is in use on this machine; stop what uses it first" >&2
    exit 1
  fi
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

cluster="m1=http://127.0.0.1:23801,m2=http://127.0.0.1:23802,m3=http://127.0.0.1:23803"
for i in 1 2 3; do
  etcd --name "m$i" --data-dir "$work/m$i" \
    --listen-client-urls "http://127.0.0.1:2379$i" --advertise-client-urls "http://127.0.0.1:2379$i" \
    --listen-peer-urls "http://127.0.0.1:2380$i" --initial-advertise-peer-urls "http://127.0.0.1:2380$i" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token "beacon-demo-$$" \
    >"$work/etcd-m$i.log" 2>&1 &
  pids+=($!)
done
endpoints="http://127.0.0.1:23791,http://127.0.0.1:23792,http://127.0.0.1:23793"
for _ in $(seq 1 100); do
  ETCDCTL_API=3 etcdctl --endpoints="$endpoints" endpoint health >/dev/null 2>&1 && break
  sleep 0.2
done
ETCDCTL_API=3 etcdctl --endpoints="$endpoints" endpoint health >/dev/null 2>&1 || {
  echo "etcd-demo: the etcd cluster did not become healthy; its logs:" >&2
  tail -n 5 "$work"/etcd-m*.log >&2
  exit 1
}

agent() {  # agent NODE DNS_PORT HTTP_PORT SERVICE
  cat >"$work/$1.toml" <<EOF
node_name = "$1"
data_dir = "$work/data-$1"
[ports]
dns = $2
http = $3
[store]
backend = "etcd"
etcd_endpoints = ["http://127.0.0.1:23791", "http://127.0.0.1:23792", "http://127.0.0.1:23793"]
[[services]]
name = "$4"
port = 80
EOF
  ./build/cmd/beacon agent --config "$work/$1.toml" 2>"$work/$1.log" &
  pids+=($!)
  echo "$!" >"$work/$1.pid"
}
agent a 8611 8511 web
agent b 8612 8512 api
sleep 1

cat <<EOF

Three etcd members and two agents are running (logs in $work). In another terminal:

  dig @127.0.0.1 -p 8612 web.service.consul SRV      # agent b answers agent a's service
  curl -X PUT -d '{"Name":"db","Port":5432,"Address":"127.0.0.5"}' \\
       http://127.0.0.1:8511/v1/agent/service/register
  dig @127.0.0.1 -p 8612 db.service.consul +short     # registered on a, answered by b
  ETCDCTL_API=3 etcdctl --endpoints=$endpoints get --prefix beacon/ --keys-only
  kill -9 $(cat "$work/a.pid")                               # agent a dies: after its 10 s lease,
  dig @127.0.0.1 -p 8612 web.service.consul           # b answers NXDOMAIN for a's services

Ctrl-C stops everything.
EOF
wait
