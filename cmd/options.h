// beacon::cmd options: each module's option struct, built from the agent's configuration in
// this one place, at start-up and again on every reload (SIGHUP).
//
// Modules take their own options rather than config::Config, so that what a module reads is
// visible in its own header and a reload reaches it the same way as start-up. Pure
// functions.
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "cmd/cli.h"
#include "config/config.h"
#include "dns/recursor.h"
#include "dns/tcp_server.h"
#include "health/engine.h"

namespace beacon::cmd {

health::Engine::Options health_options(const config::Config& config);
dns::Recursor::Options recursor_options(const config::Config& config);
dns::TcpServer::Options tcp_options(const config::Config& config);
// UDP workers: dns_config.udp_workers, or one per CPU when 0.
unsigned udp_workers(const config::Config& config);

// The configuration `flags` name: the files (merged in order), or the built-in example for
// --dev without files; --dev and --data-dir applied. The reason, as one line, when it is
// not valid.
std::expected<config::Config, std::string> load_config(const AgentFlags& flags);

// `beacon validate FILE...`: 0 when the merged files are valid, 1 otherwise.
int run_validate(const std::vector<std::string>& files);

}  // namespace beacon::cmd
