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
  using InstanceKey = std::pair<std::string, std::string>;  // (node, id)
  bool all = false;                 // everything may have changed (after reset)
  std::set<std::string> services;   // service names whose instances or health may differ
  std::set<std::string> nodes;      // node names whose record, meta or checks changed
  // Per name in `services`: the instances that changed under it (put, deleted, renamed, or
  // one of their own checks changed), each with the stamp it had before (0: none). Changes
  // that reach instances through their node (node record, node-level checks, liveness) are
  // in `nodes` only.
  std::map<std::string, std::map<InstanceKey, uint64_t>> instances;
  bool empty() const { return !all && services.empty() && nodes.empty(); }
  // Adds a later change to this one. Earlier stamps win: they are what views built before
  // both changes hold.
  void merge(Change&& later) {
    all = all || later.all;
    services.merge(later.services);
    nodes.merge(later.nodes);
    for (auto& [name, keys] : later.instances) instances[name].merge(keys);
  }
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
  // Calls f(const Service&, uint64_t stamp) for every instance of service `name`, ordered by
  // (node, id), without building a vector. The stamp is a number no other instance version
  // ever had: it changes whenever the instance, one of its checks, its node record, a
  // node-level check or the node's liveness changes, so a view that derived something from
  // an instance may keep it while the stamp is the same.
  template <typename F>
  void for_each_instance(const std::string& name, F&& f) const {
    auto named = by_name_.find(name);
    if (named == by_name_.end()) return;
    for (const auto& [key, ix] : named->second) f(*ix.service, ix.stamp);
  }
  // Names of every service with at least one instance, sorted.
  std::vector<std::string> service_names() const;
  // The stamp of instance (node, id) (see for_each_instance); 0 when there is no such instance.
  uint64_t stamp(const std::pair<std::string, std::string>& key) const;
  // The first instance of service `name` in (node, id) order, or null.
  const Service* first_instance(const std::string& name) const {
    auto named = by_name_.find(name);
    return named == by_name_.end() || named->second.empty() ? nullptr : named->second.begin()->second.service;
  }
  // How many instances service `name` has.
  size_t instance_count(const std::string& name) const {
    auto named = by_name_.find(name);
    return named == by_name_.end() ? 0 : named->second.size();
  }
  // The nodes that carry an instance of service `name`: one index step per node, however many
  // instances each has.
  std::set<std::string> nodes_of(const std::string& name) const;
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
  // Records the service (or, for a node-level check, the node) that `check` bears on, and
  // gives the instances it bears on new stamps.
  void touch(const Check& check, Change& change);
  // New stamps for instance `key` (recording the old one in `change`, when given), or for
  // every instance on `node`.
  void restamp(const Key& key, Change* change);
  void restamp_node(const std::string& node);
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
  // lives as long as the entry; both are erased together) and its stamp.
  struct Indexed {
    const Service* service;
    uint64_t stamp;
  };
  // The inner key points at the key in services_ (as stable as the pointer to the service), so
  // an instance's node and ID are stored once; a Key finds it as well (transparent compare).
  struct KeyPtrLess {
    using is_transparent = void;
    static const Key& key(const Key* k) { return *k; }
    static const Key& key(const Key& k) { return k; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return key(a) < key(b);
    }
  };
  std::map<std::string, std::map<const Key*, Indexed, KeyPtrLess>> by_name_;
  uint64_t last_stamp_ = 0;  // never reset, so a stamp is never reused
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
