#include "cmd/cli.h"

#include "config/loader.h"

namespace beacon::cmd {

std::string usage(const std::string& subcommand) {
  if (subcommand == "agent")
    return "Usage: beacon agent [--config FILE]... [--config-dir DIR]... [--dev] [--data-dir DIR]\n"
           "\n"
           "Runs the agent: the service catalog, DNS on client_addr:ports.dns (default 127.0.0.1:8600).\n"
           "\n"
           "  --config FILE     load a TOML config file (repeatable; later files override earlier ones)\n"
           "  --config-dir DIR  load every *.toml in DIR, in name order (repeatable)\n"
           "  --dev             keep the catalog in memory; without any config, serve the built-in\n"
           "                    example services\n"
           "  --data-dir DIR    where the embedded store lives (overrides data_dir)\n"
           "\n"
           "Signals: SIGINT/SIGTERM stop; SIGHUP reloads services and DNS settings from the files.\n";
  if (subcommand == "validate")
    return "Usage: beacon validate FILE...\n"
           "\n"
           "Checks config files (merged in order as the agent would) and prints the first error as\n"
           "FILE:LINE:COL: KEY: reason. Exits 0 when valid, 1 otherwise.\n";
  if (subcommand == "version") return "Usage: beacon version\n\nPrints the version.\n";
  return "Usage: beacon <command> [options]\n"
         "\n"
         "Commands:\n"
         "  agent     run the DNS service-discovery agent\n"
         "  validate  check configuration files\n"
         "  version   print the version\n"
         "\n"
         "Run 'beacon <command> --help' for a command's options.\n";
}

bool parse_agent_flags(const std::vector<std::string>& args, AgentFlags& flags, std::string& error) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto take = [&](std::string& out) {
      if (has_value) { out = value; return true; }
      if (i + 1 >= args.size()) { error = arg + " needs a value"; return false; }
      out = args[++i];
      return true;
    };
    if (arg == "--config" || arg == "-config" || arg == "--config-file" || arg == "-config-file") {
      std::string file;
      if (!take(file)) return false;
      flags.config_files.push_back(file);
    } else if (arg == "--config-dir" || arg == "-config-dir") {
      std::string dir;
      if (!take(dir)) return false;
      auto files = config::list_config_dir(dir);
      if (!files) { error = files.error().message; return false; }
      flags.config_files.insert(flags.config_files.end(), files->begin(), files->end());
    } else if (arg == "--dev" || arg == "-dev") {
      flags.dev = true;
    } else if (arg == "--data-dir" || arg == "-data-dir") {
      if (!take(flags.data_dir)) return false;
    } else {
      error = "unknown flag: " + args[i];
      return false;
    }
  }
  return true;
}

}  // namespace beacon::cmd
