// LocalChecks (health/local_checks.h): engine <-> catalog for this agent's own checks.
#include "health/local_checks.h"

#include <set>

#include "catalog/check_definition.h"
#include "log/log.h"

namespace beacon::health {

void LocalChecks::sync() {
  const std::string& node = node_;
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

void LocalChecks::record_status(const std::string& check_id, catalog::Health status, const std::string& output) {
  const catalog::Check* current = replica_.check(node_, check_id);
  if (!current) return;  // deregistered meanwhile
  // Through the store's asynchronous group commit: with etcd a network write on the store's
  // writer thread (as Consul's agents sync check results to the servers in the background),
  // with the embedded store committed at once, so DNS answers follow before the disk sync,
  // which runs on the store's own thread. Either way checks, DNS over TCP and the API go on
  // meanwhile. In etcd mode rewrite_statuses() makes a lost write again when etcd is back.
  writer_.store().commit_group_async({writer_.plan_check_status(*current, status, output)}, [check_id](auto results) {
    if (!results.front())
      log::error("health", "cannot record the status of check ", check_id, ": ", results.front().error().message);
  });
}

void LocalChecks::reap(const std::string& service_id) {
  log::warn("health", "service ", service_id, " stayed critical past deregister_critical_service_after: removing it");
  if (!replica_.service(node_, service_id)) return;  // already gone
  auto ops = writer_.plan_deregister_service(node_, service_id, replica_.service_checks(node_, service_id));
  writer_.store().commit_group_async({std::move(ops)}, [service_id](auto results) {
    if (!results.front())
      log::error("health", "cannot deregister ", service_id, ": ", results.front().error().message);
  });
}

void LocalChecks::rewrite_statuses() {
  for (const std::string& id : engine_.check_ids()) {
    auto state = engine_.state(id);
    const catalog::Check* stored = replica_.check(node_, id);
    if (!state || !stored || stored->status == state->status) continue;
    record_status(id, state->status, state->output);
  }
}

}  // namespace beacon::health
