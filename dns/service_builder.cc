#include "dns/service_builder.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "base/address.h"
#include "dns/name.h"
#include "dns/wire/name.h"
#include "dns/zone_builder.h"  // meta_txt_rdata

namespace beacon::dns {
namespace {

size_t mix(uint64_t x) noexcept { return static_cast<size_t>((x * 0x9E3779B97F4A7C15ULL) >> 17); }
std::string address_bytes(const InstanceRecord& r) {
  return std::string(reinterpret_cast<const char*>(r.addr), r.family == 4 ? 4 : 16);
}
// Whether two records have the same address (the unused bytes of an IPv4 address are zero).
bool same_address(const InstanceRecord& a, const InstanceRecord& b) noexcept {
  uint64_t a0, a1, b0, b1;
  std::memcpy(&a0, a.addr, 8);
  std::memcpy(&a1, a.addr + 8, 8);
  std::memcpy(&b0, b.addr, 8);
  std::memcpy(&b1, b.addr + 8, 8);
  return a.family == b.family && a0 == b0 && a1 == b1;
}
size_t address_hash(const InstanceRecord& r) noexcept {
  uint64_t lo, hi;  // the unused bytes of an IPv4 address are zero
  std::memcpy(&lo, r.addr, 8);
  std::memcpy(&hi, r.addr + 8, 8);
  return mix(lo ^ (hi * 0xC2B2AE3D27D4EB4FULL) ^ r.family);
}

}  // namespace

void ServiceBuilder::configure(std::shared_ptr<const ZoneSettings> settings, ServicePolicy policy) {
  settings_ = std::move(settings);
  policy_ = std::move(policy);
}

uint32_t ServiceBuilder::service_ttl(const std::string& service) const {
  std::string name = ascii_lower(service);
  const std::pair<std::string, uint32_t>* best = nullptr;
  size_t best_len = 0;
  const std::pair<std::string, uint32_t>* star = nullptr;
  for (const auto& rule : policy_.ttl_rules) {
    if (rule.first == name) return rule.second;
    if (rule.first == "*") {
      star = &rule;
    } else if (!rule.first.empty() && rule.first.back() == '*') {
      std::string_view prefix(rule.first.data(), rule.first.size() - 1);
      if (name.compare(0, prefix.size(), prefix) == 0 && (!best || prefix.size() > best_len)) {
        best = &rule;
        best_len = prefix.size();
      }
    }
  }
  if (best) return best->second;
  return star ? star->second : 0;
}

InstanceRecord ServiceBuilder::make_record(const catalog::Replica& replica, const catalog::Service& svc,
                                          catalog::Health health, TextArena& arena) const {
  InstanceRecord r;
  r.healthy = usable(health);
  const catalog::Node* node = svc.address.empty() ? replica.node(svc.node) : nullptr;
  const std::string& address = node ? node->address : svc.address;
  auto ip = base::parse_ip(address);
  if (!ip) {  // hostnames (CNAME answers) are not served yet
    r.family = 0;
    return r;
  }
  r.family = ip->size() == 4 ? 4 : 6;
  std::memcpy(r.addr, ip->data(), ip->size());
  r.port = svc.port;
  uint32_t w = health == catalog::Health::warning ? svc.weights.warning : svc.weights.passing;
  r.weight = static_cast<uint16_t>(std::min<uint32_t>(w, 65535));
  r.own_address = !svc.address.empty();
  InstanceText text;
  if (svc.address.empty()) text.target = name_labels(svc.node) + "\4node" + settings_->dc_label;
  else text.target = make_label(hex_address(*ip)).value_or("") + "\4addr" + settings_->dc_label;
  text.target_hash = std::hash<std::string>{}(text.target);
  for (const auto& [k, v] : svc.meta) {
    std::string rdata = meta_txt_rdata(k, v);
    if (text.txt.size() + rdata.size() > 4096) break;
    text.txt += rdata;
  }
  for (const std::string& tag : svc.tags) text.tags.push_back(ascii_lower(tag));
  std::sort(text.tags.begin(), text.tags.end());
  text.tags.erase(std::unique(text.tags.begin(), text.tags.end()), text.tags.end());
  r.target_hash = text.target_hash;
  r.has_tags = !text.tags.empty();
  r.text = arena.add(std::move(text));
  return r;
}

void ServiceBuilder::make_view(const std::vector<InstanceRecord>& records, const std::vector<uint32_t>& members,
                               bool distinct, View& view) {
  if (distinct) {
    // Every member has its own address and its own SRV target: nothing to de-duplicate but TXT.
    for (uint32_t idx : members) (records[idx].family == 4 ? view.a : view.aaaa).push_back(idx);
    view.srv = members;
  } else {
    seen_addr_.reset(members.size());
    seen_srv_.reset(members.size());
    for (uint32_t idx : members) {
      const InstanceRecord& r = records[idx];
      if (seen_addr_.find_or_insert(address_hash(r), idx, [&](uint32_t o) { return same_address(records[o], r); }) == idx)
        (r.family == 4 ? view.a : view.aaaa).push_back(idx);
      if (seen_srv_.find_or_insert(mix((uint64_t{r.target_id} << 16) | r.port), idx, [&](uint32_t o) {
            return records[o].target_id == r.target_id && records[o].port == r.port;
          }) == idx)
        view.srv.push_back(idx);
    }
  }
  bool any_txt = false;
  for (uint32_t idx : members) any_txt = any_txt || !records[idx].txt().empty();
  if (!any_txt) return;
  seen_txt_.reset(members.size());
  for (uint32_t idx : members) {
    const InstanceRecord& r = records[idx];
    if (!r.txt().empty() && seen_txt_.find_or_insert(std::hash<std::string>{}(r.txt()), idx, [&](uint32_t o) {
          return records[o].txt() == r.txt();
        }) == idx)
      view.txt.push_back(idx);
  }
}

std::shared_ptr<ServiceEntry> ServiceBuilder::collect_all(const catalog::Replica& replica,
                                                         const std::set<std::string>& names, const ServiceEntry* prev,
                                                         std::vector<std::string>& fresh_addrs) {
  auto e = std::make_shared<ServiceEntry>();
  size_t expected = 0;
  for (const std::string& name : names) expected += replica.instance_count(name);
  e->instances.reserve(expected);  // exactly: entries live until their service changes
  e->stamps.reserve(expected);
  if (prev) {
    prev_stamps_.reset(prev->stamps.size());
    for (uint32_t i = 0; i < prev->stamps.size(); ++i) {
      uint64_t stamp = prev->stamps[i];
      prev_stamps_.find_or_insert(mix(stamp), i, [&](uint32_t o) { return prev->stamps[o] == stamp; });
    }
    e->arena = prev->arena;
  } else {
    e->arena = std::make_shared<TextArena>(expected);
  }
  for (const std::string& name : names) {
    replica.for_each_instance(name, [&](const catalog::Service& svc, uint64_t stamp) {
      if (prev) {  // unchanged since the previous zone: keep its record
        uint32_t j = prev_stamps_.find(mix(stamp), [&](uint32_t o) { return prev->stamps[o] == stamp; });
        if (j != IndexSet::kEmpty) {
          reused_[j] = 1;
          e->instances.push_back(prev->instances[j]);
          e->stamps.push_back(stamp);
          return;
        }
      }
      e->instances.push_back(make_record(replica, svc, replica.health(svc), *e->arena));
      e->stamps.push_back(stamp);
      if (e->instances.back().own_address) fresh_addrs.push_back(address_bytes(e->instances.back()));
    });
  }
  return e;
}

std::shared_ptr<ServiceEntry> ServiceBuilder::collect_patch(const catalog::Replica& replica, const std::string& key,
                                                           const ServiceEntry& prev,
                                                           const std::vector<const InstanceChanges*>& changed,
                                                           std::vector<std::string>& fresh_addrs) {
  auto e = std::make_shared<ServiceEntry>();
  e->arena = prev.arena;
  // The records whose instance changed or left, by the stamp they were built from.
  std::vector<uint64_t> gone;
  std::set<catalog::Change::InstanceKey> keys;
  for (const InstanceChanges* c : changed)
    for (const auto& [k, old_stamp] : *c) {
      keys.insert(k);
      if (old_stamp) gone.push_back(old_stamp);
    }
  prev_stamps_.reset(gone.size());
  for (uint32_t i = 0; i < gone.size(); ++i)
    prev_stamps_.find_or_insert(mix(gone[i]), i, [&](uint32_t o) { return gone[o] == gone[i]; });
  e->instances.reserve(prev.instances.size() + keys.size());
  e->stamps.reserve(prev.instances.size() + keys.size());
  for (uint32_t j = 0; j < prev.instances.size(); ++j) {
    uint64_t stamp = prev.stamps[j];
    if (!gone.empty() && prev_stamps_.find(mix(stamp), [&](uint32_t o) { return gone[o] == stamp; }) != IndexSet::kEmpty)
      continue;
    reused_[j] = 1;
    e->instances.push_back(prev.instances[j]);
    e->stamps.push_back(stamp);
  }
  // The changed instances that are (still) under this DNS name, as they are now.
  for (const auto& k : keys) {
    const catalog::Service* svc = replica.service(k.first, k.second);
    if (!svc || ascii_lower(svc->name) != key) continue;
    e->instances.push_back(make_record(replica, *svc, replica.health(*svc), *e->arena));
    e->stamps.push_back(replica.stamp(k));
    if (e->instances.back().own_address) fresh_addrs.push_back(address_bytes(e->instances.back()));
  }
  return e;
}

std::shared_ptr<const ServiceEntry> ServiceBuilder::build(const catalog::Replica& replica, const std::string& key,
                                                          const std::set<std::string>& names, const ServiceEntry* prev,
                                                          const std::vector<const InstanceChanges*>* changed) {
  size_t total = 0;
  const catalog::Service* first = nullptr;
  std::vector<std::string> sources;
  for (const std::string& name : names) {
    size_t n = replica.instance_count(name);
    if (n == 0) continue;
    total += n;
    sources.push_back(name);
    if (!first) first = replica.first_instance(name);
  }
  fresh_addrs_.clear();
  gone_addrs_.clear();
  if (total == 0) {
    if (prev)
      for (const InstanceRecord& r : prev->instances)
        if (r.own_address) gone_addrs_.push_back(address_bytes(r));
    return nullptr;
  }

  std::vector<std::string>& fresh_addrs = fresh_addrs_;
  if (prev) reused_.assign(prev->instances.size(), 0);
  std::shared_ptr<ServiceEntry> e;
  if (prev && changed) {
    e = collect_patch(replica, key, *prev, *changed, fresh_addrs);
    if (e->instances.size() != total) {  // the change did not account for everything: rebuild
      fresh_addrs.clear();
      reused_.assign(prev->instances.size(), 0);
      e.reset();
    }
  }
  if (!e) e = collect_all(replica, names, prev, fresh_addrs);
  e->source_names = std::move(sources);
  if (e->arena->size() > 2 * e->instances.size() + 16) {
    // Mostly texts of records that left: move the live ones to a fresh arena (amortised over
    // the additions that filled the old one; versions still published keep the old one).
    auto fresh = std::make_shared<TextArena>(e->instances.size());
    for (InstanceRecord& r : e->instances)
      if (r.text) r.text = fresh->add(*r.text);
    e->arena = std::move(fresh);
  }
  e->name = key;
  e->ttl = service_ttl(key);
  size_t healthy = 0;
  for (const InstanceRecord& r : e->instances) healthy += r.healthy;
  double threshold = first->protect_threshold.value_or(policy_.protect_threshold);
  e->protected_mode = catalog::below_protect_threshold(healthy, total, threshold);

  // Instances with the same SRV target share a target id: the first one's index.
  seen_target_.reset(e->instances.size());
  std::vector<uint32_t> members;
  members.reserve(e->instances.size());
  std::unordered_map<std::string_view, std::vector<uint32_t>> tag_members;
  // Own addresses give targets named after them ("<hex>.addr."): when every record has its
  // own address and no two share a target, no two share an address either.
  bool distinct = true;
  for (uint32_t i = 0; i < e->instances.size(); ++i) {
    InstanceRecord& r = e->instances[i];
    if (r.family == 0) continue;  // no address to answer with
    distinct = distinct && r.own_address;
    const std::string& target = r.target();  // read only when hashes are equal
    r.target_id = seen_target_.find_or_insert(r.target_hash, i, [&](uint32_t o) {
      const InstanceRecord& other = e->instances[o];
      return other.target_hash == r.target_hash && other.target() == target;
    });
    distinct = distinct && r.target_id == i;
    if (!r.healthy && !e->protected_mode) continue;
    members.push_back(i);
    if (r.has_tags)
      for (const std::string& t : r.text->tags) tag_members[t].push_back(i);
  }
  // The reverse map's input: own addresses of the records that left (those that came are in
  // fresh_addrs_ already).
  if (prev)
    for (uint32_t j = 0; j < prev->instances.size(); ++j)
      if (!reused_[j] && prev->instances[j].own_address) gone_addrs_.push_back(address_bytes(prev->instances[j]));
  make_view(e->instances, members, distinct, e->all);
  for (const auto& [tag, list] : tag_members) make_view(e->instances, list, distinct, e->by_tag[std::string(tag)]);
  return e;
}

}  // namespace beacon::dns
