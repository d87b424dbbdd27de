// beacon::cmd::Agent: wires config, store, replica, zone builder and DNS listeners.
//
// Owns every long-lived object of `beacon agent` and runs the control thread's io_context:
// the store's change feed updates the replica and publishes a new zone; the UDP workers and
// the TCP listener answer from the published zone; signals stop (INT, TERM) or reload (HUP).
#pragma once

#include <string>
#include <vector>

#include "cmd/cli.h"

namespace beacon::cmd {

// Runs the agent until SIGINT/SIGTERM. Returns the process exit code: 0 after a clean stop,
// 1 when the config is invalid or a listener or the store cannot be opened (the reason is
// printed to stderr as one line).
int run_agent(const AgentFlags& flags);

// The example config compiled into the binary (examples/beacon.toml), used by `--dev`
// without config files.
extern const char* const kEmbeddedExampleConfig;

}  // namespace beacon::cmd
