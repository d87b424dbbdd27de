// beacon::cmd command line: subcommands and their flags.
//
// `beacon agent [--config FILE]... [--config-dir DIR]... [--dev] [--data-dir DIR]`,
// `beacon validate FILE...`, `beacon version`, and `--help` on each. Parsing is pure;
// running is in agent.h.
#pragma once

#include <string>
#include <vector>

namespace beacon::cmd {

struct AgentFlags {
  std::vector<std::string> config_files;  // in the order given; --config-dir expands in place
  bool dev = false;
  std::string data_dir;  // overrides data_dir from the files when set
};

// The usage text for `beacon` or for one subcommand ("agent", "validate", "version").
std::string usage(const std::string& subcommand);

// Parses `beacon agent`'s arguments (argv after "agent"). Returns false and sets `error`
// for an unknown flag, a missing value or an unreadable --config-dir.
bool parse_agent_flags(const std::vector<std::string>& args, AgentFlags& flags, std::string& error);

}  // namespace beacon::cmd
