// Replica (catalog/replica.h): the in-memory catalog, kept in step with a Store's feed.
//
// The store key is authoritative for identity: a node's name and an instance's or check's
// (node, id) come from the parsed key, not from the JSON, so a value can never place an
// object somewhere other than where its key says.
#include "catalog/replica.h"

#include <algorithm>
#include <utility>

namespace beacon::catalog {

namespace {
const std::string kNoService;  // the owner key of node-level checks
}  // namespace

Replica::Replica(Keyspace keyspace) : keyspace_(std::move(keyspace)) {}

Change Replica::reset(const Range& range) {
  nodes_.clear();
  services_.clear();
  checks_.clear();
  by_name_.clear();
  by_owner_.clear();
  alive_.clear();
  agent_checks_.clear();
  Change ignored;
  for (const KeyValue& kv : range.kvs) apply_event(Event{Event::Kind::put, kv}, ignored);
  index_ = range.index;
  Change all;
  all.all = true;
  return all;
}

Change Replica::apply(uint64_t index, const std::vector<Event>& events) {
  Change change;
  for (const Event& event : events) apply_event(event, change);
  index_ = index;
  return change;
}

void Replica::apply_event(const Event& event, Change& change) {
  auto parsed = keyspace_.parse(event.kv.key);
  if (!parsed) return;  // another datacenter, or not a catalog key
  const bool put = event.kind == Event::Kind::put;
  Key key{parsed->node, parsed->id};
  switch (parsed->kind) {
    case Keyspace::Parsed::Kind::node: {
      change.nodes.insert(parsed->node);
      restamp_node(parsed->node);
      std::expected<Node, Error> node;
      if (put && (node = decode_node(event.kv))) {
        node->name = parsed->node;
        nodes_.insert_or_assign(parsed->node, std::move(*node));
      } else {
        decode_errors_ += put ? 1 : 0;
        nodes_.erase(parsed->node);
      }
      return;
    }
    case Keyspace::Parsed::Kind::service: {
      std::expected<Service, Error> service;
      if (put && (service = decode_service(event.kv))) {
        service->node = parsed->node;
        service->id = parsed->id;
        put_service(key, std::move(*service), change);
      } else {
        decode_errors_ += put ? 1 : 0;
        erase_service(key, change);
      }
      return;
    }
    case Keyspace::Parsed::Kind::check: {
      std::expected<Check, Error> check;
      if (put && (check = decode_check(event.kv))) {
        check->node = parsed->node;
        check->id = parsed->id;
        put_check(key, std::move(*check), change);
      } else {
        decode_errors_ += put ? 1 : 0;
        erase_check(key, change);
      }
      return;
    }
    case Keyspace::Parsed::Kind::alive: {
      bool was = alive_.contains(parsed->node);
      if (put) {
        alive_.insert(parsed->node);
      } else {
        alive_.erase(parsed->node);
      }
      if (was != put) {
        change.nodes.insert(parsed->node);
        refresh_agent_check(parsed->node);
        restamp_node(parsed->node);
      }
      return;
    }
  }
}

void Replica::refresh_agent_check(const std::string& node) {
  auto it = checks_.find(Key{node, std::string(kAgentCheckId)});
  if (it == checks_.end()) return;
  auto stored = agent_checks_.find(node);
  if (stored == agent_checks_.end()) return;
  if (!liveness_ || alive_.contains(node)) {
    it->second.status = stored->second.first;
    it->second.output = stored->second.second;
  } else {
    it->second.status = Health::critical;
    it->second.output = "Agent not alive: its etcd lease expired (the agent stopped or lost etcd)";
  }
}

void Replica::set_liveness(bool on) {
  liveness_ = on;
  for (const auto& [node, stored] : agent_checks_) {
    refresh_agent_check(node);
    restamp_node(node);
  }
}

void Replica::put_service(const Key& key, Service service, Change& change) {
  // Drop the old name's index entry first: a rename touches both names.
  erase_service(key, change);
  change.services.insert(service.name);
  change.instances[service.name].try_emplace(key, 0);  // new under this name (unless it was there)
  auto stored = services_.insert_or_assign(key, std::move(service)).first;
  by_name_[stored->second.name][&stored->first] = Indexed{&stored->second, ++last_stamp_};
}

void Replica::restamp(const Key& key, Change* change) {
  auto it = services_.find(key);
  if (it == services_.end()) return;
  auto named = by_name_.find(it->second.name);
  if (named == by_name_.end()) return;
  auto ix = named->second.find(key);
  if (ix == named->second.end()) return;
  if (change) change->instances[it->second.name].try_emplace(key, ix->second.stamp);
  ix->second.stamp = ++last_stamp_;
}

void Replica::restamp_node(const std::string& node) {
  for (auto it = services_.lower_bound(Key{node, ""}); it != services_.end() && it->first.first == node; ++it)
    restamp(it->first, nullptr);
}

uint64_t Replica::stamp(const Key& key) const {
  auto it = services_.find(key);
  if (it == services_.end()) return 0;
  auto named = by_name_.find(it->second.name);
  if (named == by_name_.end()) return 0;
  auto ix = named->second.find(key);
  return ix == named->second.end() ? 0 : ix->second.stamp;
}

void Replica::erase_service(const Key& key, Change& change) {
  auto it = services_.find(key);
  if (it == services_.end()) return;
  const std::string& name = it->second.name;
  change.services.insert(name);
  auto named = by_name_.find(name);
  if (named != by_name_.end()) {
    if (auto ix = named->second.find(key); ix != named->second.end())
      change.instances[name].try_emplace(key, ix->second.stamp);
    named->second.erase(&it->first);
    if (named->second.empty()) by_name_.erase(named);
  }
  services_.erase(it);
}

void Replica::put_check(const Key& key, Check check, Change& change) {
  // The old version may have belonged to another service (or been node-level).
  erase_check(key, change);
  touch(check, change);
  auto stored = checks_.insert_or_assign(key, std::move(check)).first;
  by_owner_[Key{stored->second.node, stored->second.service_id}][stored->second.id] = &stored->second;
  if (key.second == kAgentCheckId && stored->second.service_id.empty()) {
    agent_checks_[key.first] = {stored->second.status, stored->second.output};
    refresh_agent_check(key.first);
  }
}

void Replica::erase_check(const Key& key, Change& change) {
  auto it = checks_.find(key);
  if (it == checks_.end()) return;
  touch(it->second, change);
  auto owner = by_owner_.find(Key{it->second.node, it->second.service_id});
  if (owner != by_owner_.end()) {
    owner->second.erase(it->second.id);
    if (owner->second.empty()) by_owner_.erase(owner);
  }
  if (key.second == kAgentCheckId) agent_checks_.erase(key.first);
  checks_.erase(it);
}

void Replica::touch(const Check& check, Change& change) {
  if (check.service_id.empty()) {
    change.nodes.insert(check.node);
    restamp_node(check.node);
  } else if (const Service* s = service(check.node, check.service_id)) {
    change.services.insert(s->name);
    restamp(Key{check.node, check.service_id}, &change);
  }
  // A check of an instance that is not (or no longer) in the catalog affects no service.
}

const Node* Replica::node(const std::string& name) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : &it->second;
}

const Service* Replica::service(const std::string& node, const std::string& id) const {
  auto it = services_.find(Key{node, id});
  return it == services_.end() ? nullptr : &it->second;
}

const Check* Replica::check(const std::string& node, const std::string& id) const {
  auto it = checks_.find(Key{node, id});
  return it == checks_.end() ? nullptr : &it->second;
}

std::vector<const Service*> Replica::instances(const std::string& name) const {
  std::vector<const Service*> out;
  auto named = by_name_.find(name);
  if (named == by_name_.end()) return out;
  out.reserve(named->second.size());
  for (const auto& [key, ix] : named->second) out.push_back(ix.service);
  return out;
}

std::vector<std::string> Replica::service_names() const {
  std::vector<std::string> out;
  out.reserve(by_name_.size());
  for (const auto& [name, keys] : by_name_) out.push_back(name);
  return out;
}

std::set<std::string> Replica::nodes_of(const std::string& name) const {
  std::set<std::string> out;
  auto named = by_name_.find(name);
  if (named == by_name_.end()) return out;
  const auto& instances = named->second;
  for (auto it = instances.begin(); it != instances.end();) {
    const std::string& node = it->first->first;
    out.insert(node);
    // node + '\0' is the smallest name after `node`: skip the rest of its instances.
    it = instances.lower_bound(Key{node + '\0', std::string()});
  }
  return out;
}

std::set<std::string> Replica::services_on_node(const std::string& node) const {
  std::set<std::string> out;
  for (auto it = services_.lower_bound(Key{node, ""}); it != services_.end() && it->first.first == node; ++it) {
    out.insert(it->second.name);
  }
  return out;
}

std::vector<const Check*> Replica::service_checks(const std::string& node, const std::string& service_id) const {
  std::vector<const Check*> out;
  if (service_id.empty()) return out;  // node-level checks are node_checks()
  auto owner = by_owner_.find(Key{node, service_id});
  if (owner == by_owner_.end()) return out;
  for (const auto& [id, check] : owner->second) out.push_back(check);
  return out;
}

std::vector<const Check*> Replica::node_checks(const std::string& node) const {
  std::vector<const Check*> out;
  auto owner = by_owner_.find(Key{node, std::string()});
  if (owner == by_owner_.end()) return out;
  for (const auto& [id, check] : owner->second) out.push_back(check);
  return out;
}

Health Replica::health(const Service& instance) const {
  if (node(instance.node) == nullptr) return Health::critical;
  // Straight from the owner index (no vectors): this runs for every instance of every
  // service a zone build touches.
  Health worst = Health::passing;
  for (const std::string* owner : {&instance.id, &kNoService}) {
    auto it = by_owner_.find(Key{instance.node, *owner});
    if (it == by_owner_.end()) continue;
    for (const auto& [id, check] : it->second) worst = std::max(worst, check->status);
  }
  return worst;
}

}  // namespace beacon::catalog
