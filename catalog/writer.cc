// Writer (catalog/writer.h): each logical catalog change as one store transaction.
//
// Changes that depend on what is stored (which checks belong to a service, which config
// services disappeared) read the node's keys with range() first and then commit. The read
// and the commit are not one transaction: the Writer assumes it is the only writer of a
// node's keys, which holds for the embedded store (one thread) and for agents that write
// only their own node.
#include "catalog/writer.h"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace beacon::catalog {
namespace {

Error invalid(std::string message) { return Error{Error::Code::invalid, std::move(message)}; }

using StoredChecks = std::vector<std::pair<std::string, Check>>;  // (store key, check)

// The ops of one logical change. Deletes go first and skip keys the same change puts, so a
// check that moves from a removed service to a new one with the same ID is simply replaced.
class Batch {
 public:
  void put(std::string key, std::string value) {
    put_keys_.insert(key);
    puts_.push_back(Op{Op::Kind::put, std::move(key), std::move(value)});
  }
  void del(std::string key) { dels_.insert(std::move(key)); }
  std::vector<Op> ops() && {
    std::vector<Op> out;
    for (const std::string& key : dels_) {
      if (!put_keys_.contains(key)) out.push_back(Op{Op::Kind::del, key, {}});
    }
    for (Op& op : puts_) out.push_back(std::move(op));
    return out;
  }

 private:
  std::vector<Op> puts_;
  std::set<std::string> put_keys_;
  std::set<std::string> dels_;
};

// The stored checks of `node`. Values that do not decode are left out: nobody can tell which
// service they belong to, so they are left alone.
std::expected<StoredChecks, Error> stored_checks(Store& store, const Keyspace& keyspace, const std::string& node) {
  auto range = store.range(keyspace.checks_of_node_prefix(node));
  if (!range) return std::unexpected(range.error());
  StoredChecks out;
  for (const KeyValue& kv : range->kvs) {
    if (auto check = decode_check(kv)) out.emplace_back(kv.key, std::move(*check));
  }
  return out;
}

// Adds the puts for `service` and its `checks` to `batch`; with `replace` (the node's stored
// checks), also the deletes of the instance's stored checks that are not in `checks`.
std::expected<void, Error> add_service(const Keyspace& keyspace, const Service& service,
                                       const std::vector<Check>& checks, const StoredChecks* replace, Batch& batch) {
  if (service.node.empty() || service.id.empty() || service.name.empty()) {
    return std::unexpected(invalid("service needs node, id and name"));
  }
  batch.put(keyspace.service_key(service.node, service.id), encode_service(service));
  std::set<std::string> keep;
  for (Check check : checks) {
    if (check.id.empty()) return std::unexpected(invalid("check without an id on service " + service.id));
    check.node = service.node;
    check.service_id = service.id;
    keep.insert(check.id);
    batch.put(keyspace.check_key(check.node, check.id), encode_check(check));
  }
  if (replace == nullptr) return {};
  for (const auto& [key, check] : *replace) {
    if (check.service_id == service.id && !keep.contains(check.id)) batch.del(key);
  }
  return {};
}

Node with_datacenter(const Node& node, const Keyspace& keyspace) {
  Node out = node;
  if (out.datacenter.empty()) out.datacenter = keyspace.datacenter();
  return out;
}

}  // namespace

Writer::Writer(Store& store, Keyspace keyspace) : store_(store), keyspace_(std::move(keyspace)) {}

std::expected<uint64_t, Error> Writer::register_node(const Node& node) {
  if (node.name.empty()) return std::unexpected(invalid("node without a name"));
  Batch batch;
  batch.put(keyspace_.node_key(node.name), encode_node(with_datacenter(node, keyspace_)));
  return store_.commit(std::move(batch).ops());
}

std::expected<uint64_t, Error> Writer::deregister_node(const std::string& node) {
  if (node.empty()) return std::unexpected(invalid("node without a name"));
  return store_.commit({Op{Op::Kind::del, keyspace_.node_key(node), {}},
                        Op{Op::Kind::del_prefix, keyspace_.services_of_node_prefix(node), {}},
                        Op{Op::Kind::del_prefix, keyspace_.checks_of_node_prefix(node), {}}});
}

std::expected<std::vector<Op>, Error> Writer::plan_register_service(const Service& service,
                                                                     const std::vector<Check>& checks,
                                                                     bool replace_checks) {
  StoredChecks stored;
  if (replace_checks && !service.node.empty()) {
    auto read = stored_checks(store_, keyspace_, service.node);
    if (!read) return std::unexpected(read.error());
    stored = std::move(*read);
  }
  Batch batch;
  if (auto r = add_service(keyspace_, service, checks, replace_checks ? &stored : nullptr, batch); !r) {
    return std::unexpected(r.error());
  }
  return std::move(batch).ops();
}

std::vector<Op> Writer::plan_register_node(const Node& node) const {
  return {Op{Op::Kind::put, keyspace_.node_key(node.name), encode_node(with_datacenter(node, keyspace_))}};
}

std::expected<uint64_t, Error> Writer::register_service(const Service& service, const std::vector<Check>& checks,
                                                        bool replace_checks) {
  auto ops = plan_register_service(service, checks, replace_checks);
  if (!ops) return std::unexpected(ops.error());
  return store_.commit(*ops);
}

std::vector<Op> Writer::plan_deregister_service(const std::string& node, const std::string& service_id,
                                                const std::vector<const Check*>& checks) const {
  std::vector<Op> ops{Op{Op::Kind::del, keyspace_.service_key(node, service_id), {}}};
  for (const Check* c : checks) ops.push_back(Op{Op::Kind::del, keyspace_.check_key(node, c->id), {}});
  return ops;
}

std::vector<Op> Writer::plan_check_status(const Check& check, Health status, const std::string& output) const {
  Check updated = check;
  updated.status = status;
  updated.output = output;
  return {Op{Op::Kind::put, keyspace_.check_key(updated.node, updated.id), encode_check(updated)}};
}

std::expected<uint64_t, Error> Writer::deregister_service(const std::string& node, const std::string& service_id) {
  if (node.empty() || service_id.empty()) return std::unexpected(invalid("service needs node and id"));
  std::string key = keyspace_.service_key(node, service_id);
  auto range = store_.range(key);  // a prefix read: may also return IDs that extend service_id
  if (!range) return std::unexpected(range.error());
  bool found = false;
  for (const KeyValue& kv : range->kvs) found = found || kv.key == key;
  if (!found) return std::unexpected(Error{Error::Code::not_found, "no service " + service_id + " on node " + node});

  auto stored = stored_checks(store_, keyspace_, node);
  if (!stored) return std::unexpected(stored.error());
  Batch batch;
  batch.del(std::move(key));
  for (const auto& [check_key, check] : *stored) {
    if (check.service_id == service_id) batch.del(check_key);
  }
  return store_.commit(std::move(batch).ops());
}

std::expected<uint64_t, Error> Writer::register_catalog(const Node* node, const Service* service,
                                                        const std::vector<Check>& service_checks,
                                                        const std::vector<Check>& other_checks) {
  Batch batch;
  if (node) {
    if (node->name.empty()) return std::unexpected(invalid("node without a name"));
    batch.put(keyspace_.node_key(node->name), encode_node(with_datacenter(*node, keyspace_)));
  }
  if (service) {
    if (auto r = add_service(keyspace_, *service, service_checks, nullptr, batch); !r) return std::unexpected(r.error());
  }
  for (const Check& check : other_checks) {
    if (check.node.empty() || check.id.empty()) return std::unexpected(invalid("check needs node and id"));
    batch.put(keyspace_.check_key(check.node, check.id), encode_check(check));
  }
  return store_.commit(std::move(batch).ops());
}

std::expected<uint64_t, Error> Writer::register_check(const Check& check) {
  if (check.node.empty() || check.id.empty()) return std::unexpected(invalid("check needs node and id"));
  Batch batch;
  batch.put(keyspace_.check_key(check.node, check.id), encode_check(check));
  return store_.commit(std::move(batch).ops());
}

std::expected<uint64_t, Error> Writer::deregister_check(const std::string& node, const std::string& check_id) {
  if (node.empty() || check_id.empty()) return std::unexpected(invalid("check needs node and id"));
  return store_.commit({Op{Op::Kind::del, keyspace_.check_key(node, check_id), {}}});
}

std::expected<uint64_t, Error> Writer::sync_config_services(const Node& node, const std::vector<Service>& services,
                                                            const std::vector<std::vector<Check>>& checks) {
  if (node.name.empty()) return std::unexpected(invalid("node without a name"));
  if (!checks.empty() && checks.size() != services.size()) {
    return std::unexpected(invalid("checks must be empty or parallel to services"));
  }
  auto stored_services = store_.range(keyspace_.services_of_node_prefix(node.name));
  if (!stored_services) return std::unexpected(stored_services.error());
  auto stored = stored_checks(store_, keyspace_, node.name);
  if (!stored) return std::unexpected(stored.error());

  // This runs at every start with every config service, mostly to find that nothing changed:
  // so it leaves out the puts of services already stored as they are (found in the range it
  // just read, sorted by key) and looks stored checks up by service.
  auto stored_value = [&](const std::string& key) -> const std::string* {
    const auto& kvs = stored_services->kvs;
    auto it = std::lower_bound(kvs.begin(), kvs.end(), key,
                               [](const KeyValue& kv, const std::string& k) { return kv.key < k; });
    return it != kvs.end() && it->key == key ? &it->value : nullptr;
  };
  std::unordered_map<std::string, StoredChecks> checks_of;  // service ID -> its stored checks
  for (auto& entry : *stored) checks_of[entry.second.service_id].push_back(std::move(entry));

  Batch batch;
  batch.put(keyspace_.node_key(node.name), encode_node(with_datacenter(node, keyspace_)));
  std::unordered_set<std::string> wanted;
  wanted.reserve(services.size());
  static const std::vector<Check> kNoChecks;
  static const StoredChecks kNoStoredChecks;
  for (size_t i = 0; i < services.size(); ++i) {
    Service service = services[i];
    service.node = node.name;
    service.source = "config";
    wanted.insert(service.id);
    const std::vector<Check>& its_checks = checks.empty() ? kNoChecks : checks[i];
    auto its_stored = checks_of.find(service.id);
    if (auto r = add_service(keyspace_, service, its_checks,
                             its_stored == checks_of.end() ? &kNoStoredChecks : &its_stored->second, batch);
        !r) {
      return std::unexpected(r.error());
    }
  }

  // Config services of this node that are no longer configured go, with their checks. The
  // key, not the JSON, names the instance.
  for (const KeyValue& kv : stored_services->kvs) {
    auto parsed = keyspace_.parse(kv.key);
    if (!parsed || wanted.contains(parsed->id)) continue;
    auto service = decode_service(kv);
    if (!service || service->source != "config") continue;
    batch.del(kv.key);
    if (auto its = checks_of.find(parsed->id); its != checks_of.end())
      for (const auto& entry : its->second) batch.del(entry.first);
  }
  std::vector<Op> ops = std::move(batch).ops();
  std::erase_if(ops, [&](const Op& op) {
    const std::string* old = op.kind == Op::Kind::put ? stored_value(op.key) : nullptr;
    return old != nullptr && *old == op.value;
  });
  return store_.commit(ops);
}

}  // namespace beacon::catalog
