// beacon: the command-line entry point. Parses the subcommand and hands over to cmd/.
#include <iostream>
#include <string>
#include <vector>

#include "cmd/agent.h"
#include "cmd/options.h"
#include "cmd/cli.h"

#ifndef BEACON_VERSION
#define BEACON_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << beacon::cmd::usage("");
    return args.empty() ? 1 : 0;
  }
  std::string sub = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  for (const std::string& a : rest)
    if (a == "--help" || a == "-h") {
      std::cout << beacon::cmd::usage(sub);
      return 0;
    }
  if (sub == "version" || sub == "--version") {
    std::cout << "beacon " << BEACON_VERSION << "\n";
    return 0;
  }
  if (sub == "validate") return beacon::cmd::run_validate(rest);
  if (sub == "agent") {
    beacon::cmd::AgentFlags flags;
    std::string error;
    if (!beacon::cmd::parse_agent_flags(rest, flags, error)) {
      std::cerr << "beacon agent: " << error << "\n\n" << beacon::cmd::usage("agent");
      return 1;
    }
    return beacon::cmd::run_agent(flags);
  }
  std::cerr << "beacon: unknown command '" << sub << "'\n\n" << beacon::cmd::usage("");
  return 1;
}
