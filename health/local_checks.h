// beacon::health::LocalChecks: the two-way link between this agent's health engine and the
// catalog.
//
// The catalog is the source of truth: a check belongs to this agent when it is on this
// agent's node and has a definition (API and config registrations store one; catalog-only
// and maintenance checks have none). sync(), run after every flushed change, starts checks
// that appeared, restarts those whose definition changed and stops those that left. The
// other way, record_status() writes a status change the engine saw, and reap() removes a
// service that stayed critical too long; both go through catalog::Writer's plans and the
// store's asynchronous group commit, so the control thread never waits on the store for
// them. Control thread only; not thread-safe.
#pragma once

#include <map>
#include <string>

#include "catalog/replica.h"
#include "catalog/writer.h"
#include "health/engine.h"

namespace beacon::health {

class LocalChecks {
 public:
  // All references must outlive this object. `node` is this agent's node name.
  LocalChecks(Engine& engine, const catalog::Replica& replica, catalog::Writer& writer, std::string node)
      : engine_(engine), replica_(replica), writer_(writer), node_(std::move(node)) {}

  // Brings the engine in line with the replica's checks on this node. Checks whose
  // definition cannot run here are logged once and skipped.
  void sync();

  // The engine saw a status change of check `check_id`: records it in the catalog (a check
  // deregistered meanwhile is left alone). A write that fails is logged.
  void record_status(const std::string& check_id, catalog::Health status, const std::string& output);
  // Service `service_id` stayed critical past deregister_critical_service_after: removes it
  // and its checks from the catalog.
  void reap(const std::string& service_id);
  // Writes again every running check whose live status differs from the stored one (after
  // the store came back: the writes made while it was away may have been lost).
  void rewrite_statuses();

 private:
  Engine& engine_;
  const catalog::Replica& replica_;
  catalog::Writer& writer_;
  std::string node_;
  std::map<std::string, std::string> running_;  // check id -> definition it runs with
};

}  // namespace beacon::health
