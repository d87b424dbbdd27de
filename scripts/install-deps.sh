#!/usr/bin/env bash
# Installs what beacon needs to build and test on Debian 12, and nothing that is already
# there. Safe to run again. Needs root or sudo for apt-get.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libldns-dev libc-ares-dev libboost-dev libtomlplusplus-dev catch2 libsqlite3-dev nlohmann-json3-dev
  libssl-dev libnghttp2-dev
  dnsutils knot-dnsutils ldnsutils curl
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
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
