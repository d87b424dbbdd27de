// beacon::catalog::Writer: catalog changes as atomic store transactions.
//
// Every method builds the key/value ops for one logical change with the keyspace codec and
// commits them in one transaction, so a change is either wholly in the store or not at all.
// Returns the new catalog index, or the store's Error (nothing written); a change that
// leaves the store as it was returns the current index. Missing identifying fields (node
// name, IDs, service name) are Error{invalid}. Methods that depend on stored data read it
// with range() before committing, so the Writer must be the only writer of the node's keys.
// Not thread-safe: call from the thread that owns the Store.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "catalog/keyspace.h"
#include "catalog/model.h"
#include "catalog/store.h"

namespace beacon::catalog {

class Writer {
 public:
  Writer(Store& store, Keyspace keyspace);

  // Creates or replaces a node record. An empty datacenter is stored as the keyspace's.
  std::expected<uint64_t, Error> register_node(const Node& node);

  // Removes a node with all its services and checks. Removing a missing node is no change.
  std::expected<uint64_t, Error> deregister_node(const std::string& node);

  // Creates or replaces an instance and puts `checks` (their node/service_id are set to the
  // instance's). With replace_checks, the instance's other existing checks are removed.
  // REQUIRES: service.node, service.id and service.name are set.
  std::expected<uint64_t, Error> register_service(const Service& service, const std::vector<Check>& checks,
                                                  bool replace_checks = false);

  // The ops register_service() would commit, for a caller that commits them itself (group
  // commit). Reads the store when replace_checks is set.
  std::expected<std::vector<Op>, Error> plan_register_service(const Service& service, const std::vector<Check>& checks,
                                                              bool replace_checks = false);
  // The op register_node() would commit.
  std::vector<Op> plan_register_node(const Node& node) const;

  // The ops that remove instance (node, service_id) and `checks` (its checks, as the caller's
  // replica holds them: for a node whose only writer is this agent, so no store read).
  std::vector<Op> plan_deregister_service(const std::string& node, const std::string& service_id,
                                          const std::vector<const Check*>& checks) const;
  // The op that records a new status and output for `check` (a health result).
  std::vector<Op> plan_check_status(const Check& check, Health status, const std::string& output) const;

  // Removes an instance and its checks. Error{not_found} when it does not exist.
  std::expected<uint64_t, Error> deregister_service(const std::string& node, const std::string& service_id);

  // `PUT /v1/catalog/register` in one transaction: the node record when `node` is set, the
  // service with `service_checks` when `service` is set, and `other_checks` (node checks or
  // checks of other services on that node).
  std::expected<uint64_t, Error> register_catalog(const Node* node, const Service* service,
                                                  const std::vector<Check>& service_checks,
                                                  const std::vector<Check>& other_checks);

  // Creates or replaces a check. REQUIRES: check.node and check.id are set.
  std::expected<uint64_t, Error> register_check(const Check& check);
  // Removes a check. Removing a missing check is no change (not an error).
  std::expected<uint64_t, Error> deregister_check(const std::string& node, const std::string& check_id);

  // Makes the store's config-sourced services of `node.name` exactly `services` (with their
  // checks, parallel vector): registers the node, puts each service, and removes instances
  // with source "config" that are not in the list, with their checks. API-registered
  // services are untouched. One transaction. Each listed service is stored with node
  // `node.name` and source "config", and its stored checks not in its list are removed.
  // `checks` is parallel to `services` or empty (no checks); otherwise Error{invalid}.
  std::expected<uint64_t, Error> sync_config_services(const Node& node, const std::vector<Service>& services,
                                                      const std::vector<std::vector<Check>>& checks);

  const Keyspace& keyspace() const { return keyspace_; }
  Store& store() { return store_; }

 private:
  Store& store_;
  Keyspace keyspace_;
};

}  // namespace beacon::catalog
