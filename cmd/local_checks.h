// beacon::cmd::LocalChecks: keeps the health engine running exactly this agent's checks.
//
// The catalog is the source of truth: a check belongs to this agent when it is on this
// agent's node and has a definition (API and config registrations store one; catalog-only
// and maintenance checks have none). After every commit, sync() starts checks that appeared,
// restarts those whose definition changed and stops those that left. Control thread only.
#pragma once

#include <map>
#include <string>

#include "catalog/replica.h"
#include "health/engine.h"

namespace beacon::cmd {

class LocalChecks {
 public:
  LocalChecks(health::Engine& engine, const catalog::Replica& replica) : engine_(engine), replica_(replica) {}

  // Brings the engine in line with the replica's checks on `node`. Checks whose definition
  // cannot run here are logged once and skipped.
  void sync(const std::string& node);

 private:
  health::Engine& engine_;
  const catalog::Replica& replica_;
  std::map<std::string, std::string> running_;  // check id -> definition it runs with
};

}  // namespace beacon::cmd
