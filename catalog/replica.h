// beacon::catalog::Replica: the in-memory copy of one datacenter's catalog.
//
// Fed by a Store's range (reset) and change feed (apply). It keeps nodes, services and
// checks by key and answers the questions the DNS zone builder and the API ask: which
// instances a service has, what an instance's health is, which services a node carries.
// Used from the control thread only; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog/keyspace.h"
#include "catalog/model.h"
#include "catalog/store.h"

namespace beacon::catalog {

// What a reset or an apply touched, so that views rebuild only that.
struct Change {
  bool all = false;                 // everything may have changed (after reset)
  std::set<std::string> services;   // service names whose instances or health may differ
  std::set<std::string> nodes;      // node names whose record, meta or checks changed
  bool empty() const { return !all && services.empty() && nodes.empty(); }
};

// The ID of the node-level check an agent in etcd mode keeps for its own node (Consul's name).
inline constexpr std::string_view kAgentCheckId = "serfHealth";

class Replica {
 public:
  explicit Replica(Keyspace keyspace);

  // Node liveness (etcd mode): when on, a node's `serfHealth` check reads critical while the
  // node has no alive key (its agent's lease expired), whatever status is stored, so the
  // node's instances leave DNS answers; they return with the key. Nodes without that check
  // (registered through /v1/catalog/register, with no agent) are not affected. Off by default.
  void set_liveness(bool on);
  bool alive(const std::string& node) const { return alive_.contains(node); }

  // Replaces the whole state with `range`. Keys outside the keyspace are ignored; values that
  // do not decode are skipped and counted in decode_errors(). Returns Change{all = true}.
  Change reset(const Range& range);

  // Applies one commit's events. Returns the services and nodes it touched: for a service
  // put or delete, its name (both names if it was renamed); for a check, its service's name,
  // or for a node-level check the node; for a node, the node. Services of a touched node are
  // NOT expanded here; use services_on_node(). A put that does not decode removes the object
  // and counts in decode_errors(), so apply and reset agree. Identity comes from the key: an
  // object's node and ID are the parsed key's, whatever its JSON says.
  Change apply(uint64_t index, const std::vector<Event>& events);

  uint64_t index() const { return index_; }
  // Values skipped because they did not decode, counted over the replica's life.
  size_t decode_errors() const { return decode_errors_; }
  const Keyspace& keyspace() const { return keyspace_; }

  // Lookups. Returned pointers stay valid until the next reset() or apply().
  const Node* node(const std::string& name) const;
  const std::map<std::string, Node>& nodes() const { return nodes_; }
  const Service* service(const std::string& node, const std::string& id) const;
  const Check* check(const std::string& node, const std::string& id) const;

  // All instances of service `name` (any health), ordered by (node, id).
  std::vector<const Service*> instances(const std::string& name) const;
  // Names of every service with at least one instance, sorted.
  std::vector<std::string> service_names() const;
  // Names of the services that have an instance on `node`.
  std::set<std::string> services_on_node(const std::string& node) const;

  // The checks of instance (node, service_id), and the node-level checks of `node`.
  std::vector<const Check*> service_checks(const std::string& node, const std::string& service_id) const;
  std::vector<const Check*> node_checks(const std::string& node) const;

  // Worst status of the instance's own checks and its node's checks; passing when it has
  // none. An instance whose node is not in the catalog is critical.
  Health health(const Service& instance) const;

  // Every service, and every check, keyed by (node, id).
  const std::map<std::pair<std::string, std::string>, Service>& services() const { return services_; }
  const std::map<std::pair<std::string, std::string>, Check>& checks() const { return checks_; }

 private:
  using Key = std::pair<std::string, std::string>;  // (node, id)
  // Applies one event, recording what it touched in `change`. A put that does not decode
  // removes the object (as reset() would skip it) and counts a decode error.
  void apply_event(const Event& event, Change& change);
  void put_service(const Key& key, Service service, Change& change);
  void erase_service(const Key& key, Change& change);
  void put_check(const Key& key, Check check, Change& change);
  void erase_check(const Key& key, Change& change);
  // Records the service (or, for a node-level check, the node) that `check` bears on.
  void touch(const Check& check, Change& change) const;
  // Sets the node's serfHealth check to its stored status, or critical when it is not alive.
  void refresh_agent_check(const std::string& node);

  Keyspace keyspace_;
  uint64_t index_ = 0;
  size_t decode_errors_ = 0;
  std::map<std::string, Node> nodes_;
  std::map<std::pair<std::string, std::string>, Service> services_;
  std::map<std::pair<std::string, std::string>, Check> checks_;
  // Secondary indexes kept in step with the maps above.
  // name -> (node, id) -> the instance in services_ (map nodes are stable, so the pointer
  // lives as long as the entry; both are erased together).
  std::map<std::string, std::map<std::pair<std::string, std::string>, const Service*>> by_name_;
  // (node, service_id) -> check id -> the check in checks_; service_id "" holds the node's
  // node-level checks. Keeps an instance's health lookup independent of how many checks its
  // node has.
  std::map<std::pair<std::string, std::string>, std::map<std::string, const Check*>> by_owner_;
  bool liveness_ = false;
  std::set<std::string> alive_;  // nodes with an alive key
  // node -> the stored status and output of its serfHealth check (checks_ holds the effective one)
  std::map<std::string, std::pair<Health, std::string>> agent_checks_;
};

}  // namespace beacon::catalog
