#!/usr/bin/env bash
# Installs what beacon needs to build and test on Debian 12, and nothing that is already
# there. Safe to run again. Needs root or sudo for apt-get.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libldns-dev libc-ares-dev libboost-dev libtomlplusplus-dev catch2 libsqlite3-dev nlohmann-json3-dev
  libssl-dev libnghttp2-dev
  # The gRPC check tests start a Python gRPC health server (tests/support/grpc_health_server.py).
  python3-grpcio python3-grpc-tools
  dnsutils knot-dnsutils ldnsutils curl
  # The resolver integration tests (tests/integration/resolvers_test.cc) start their own
  # dnsmasq and Unbound on high loopback ports, and run getent/curl in a private network
  # namespace made with unshare and ip.
  dnsmasq-base unbound iproute2 util-linux python3
  # The replicated-catalog tests start their own etcd clusters on loopback high ports (the
  # package's system service is kept from starting by the policy-rc.d below).
  etcd-server etcd-client
  # The HAProxy integration test (tests/integration/haproxy_test.cc) starts its own haproxy on
  # loopback high ports; the package's system service is kept from starting as above.
  haproxy
  # bench/ (its smoke run is a ctest test): the reference servers, dnsperf and the profilers.
  knot nsd dnsperf valgrind linux-perf procps
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq

# The `unbound`, `etcd-server` and `haproxy` packages ship system services that their postinst would start (and
# that would take ports 53 and 2379, or run a system haproxy). The tests run their own Unbound, etcd and haproxy
# and must neither need nor disturb a system one, so while installing, invoke-rc.d is told to start nothing
# through a policy-rc.d that exits 101. The file is removed afterwards only when this script created it.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# Written by beacon scripts/install-deps.sh: start no services while installing.\nexit 101\n' \
    | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  created_policy=1
fi
remove_policy() {
  if [ "$created_policy" -eq 1 ]; then $sudo rm -f "$policy"; fi
}
trap remove_policy EXIT

$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
