// Module options from the configuration (cmd/options.h).
#include "cmd/options.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cmd/agent.h"
#include "config/loader.h"

namespace beacon::cmd {

health::Engine::Options health_options(const config::Config& config) {
  health::Engine::Options o;
  o.enable_script_checks = config.enable_local_script_checks;
  if (!config.dev) o.ttl_state_file = (std::filesystem::path(config.data_dir) / "ttl-checks.json").string();
  return o;
}

dns::Recursor::Options recursor_options(const config::Config& config) {
  dns::Recursor::Options o;
  o.servers = config.recursors;
  o.timeout = config.dns_config.recursor_timeout;
  o.random = config.dns_config.recursor_strategy == "random";
  o.max_inflight = config.dns_config.recursor_max_inflight;
  return o;
}

dns::TcpServer::Options tcp_options(const config::Config& config) {
  return {config.dns_config.tcp_idle_timeout, config.dns_config.tcp_max_connections,
          config.dns_config.tcp_max_connections_per_client};
}

unsigned udp_workers(const config::Config& config) {
  return config.dns_config.udp_workers ? config.dns_config.udp_workers
                                       : std::max(1u, std::thread::hardware_concurrency());
}

std::expected<config::Config, std::string> load_config(const AgentFlags& flags) {
  std::expected<config::Config, config::Error> cfg;
  if (flags.config_files.empty()) {
    if (!flags.dev) return std::unexpected("no configuration: give --config FILE, --config-dir DIR or --dev");
    cfg = config::load_string(kEmbeddedExampleConfig, "<built-in example>");
  } else {
    cfg = config::load_files(flags.config_files);
  }
  if (!cfg) return std::unexpected(cfg.error().message);
  if (flags.dev) cfg->dev = true;
  if (!flags.data_dir.empty()) cfg->data_dir = flags.data_dir;
  if (!cfg->dev && cfg->data_dir.empty())
    return std::unexpected("data_dir is required (set it in the config, pass --data-dir, or use --dev)");
  return std::move(*cfg);
}

int run_validate(const std::vector<std::string>& files) {
  if (files.empty()) {
    std::cerr << "beacon validate: give at least one config file\n";
    return 1;
  }
  auto cfg = config::load_files(files);
  if (!cfg) {
    std::cerr << cfg.error().message << "\n";
    return 1;
  }
  std::cout << "configuration is valid (" << files.size() << " file" << (files.size() == 1 ? "" : "s") << ", "
            << cfg->services.size() << " services)\n";
  return 0;
}

}  // namespace beacon::cmd
