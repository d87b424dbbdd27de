#include "cmd/local_checks.h"

#include <set>

#include "catalog/check_definition.h"
#include "log/log.h"

namespace beacon::cmd {

void LocalChecks::sync(const std::string& node) {
  std::set<std::string> present;
  const auto& checks = replica_.checks();
  for (auto it = checks.lower_bound({node, std::string()}); it != checks.end() && it->first.first == node; ++it) {
    const catalog::Check& check = it->second;
    if (check.definition.empty()) continue;
    present.insert(check.id);
    auto running = running_.find(check.id);
    if (running != running_.end() && running->second == check.definition) continue;
    running_[check.id] = check.definition;  // also remembers definitions that failed, to log once
    auto def = catalog::decode_check_definition(check.definition);
    if (!def) {
      log::error("health", "check ", check.id, " has a definition that does not decode: ", def.error().message);
      engine_.remove(check.id);
      continue;
    }
    if (auto added = engine_.add(check, *def); !added) {
      log::error("health", "check ", check.id, " is not running: ", added.error().message);
      continue;
    }
    log::debug("health", "running check ", check.id);
  }
  for (auto it = running_.begin(); it != running_.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    engine_.remove(it->first);
    it = running_.erase(it);
  }
}

}  // namespace beacon::cmd
