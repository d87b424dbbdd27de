#!/usr/bin/env bash
# Quick start: installs what is missing, builds beacon, and runs the agent with the example
# config (examples/beacon.toml): DNS on 127.0.0.1:8600. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release >/dev/null
echo
echo "beacon is starting with examples/beacon.toml; DNS listens on 127.0.0.1:8600 (UDP and TCP)."
echo "In another terminal, try:"
echo "  dig @127.0.0.1 -p 8600 web.service.consul SRV"
echo "  dig @127.0.0.1 -p 8600 v2.web.service.consul A"
echo "  dig @127.0.0.1 -p 8600 demo.node.consul TXT"
echo
exec ./build/cmd/beacon agent --config examples/beacon.toml
