#include "dns/zone_builder.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "dns/name.h"

namespace beacon::dns {
namespace {

uint32_t seconds(config::Duration d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return s < 0 ? 0 : static_cast<uint32_t>(std::min<int64_t>(s, INT32_MAX));
}

// Labels for a name that may contain dots (node names); falls back to one escaped label.
std::string name_labels(const std::string& name) {
  if (auto l = text_to_labels(name)) return *l;
  return make_label(ascii_lower(name.substr(0, 63))).value_or(std::string("\1_"));
}

// Appends one TXT character-string (at most 255 bytes; longer text is cut).
void append_char_string(std::string& rdata, std::string_view s) {
  size_t n = std::min<size_t>(s.size(), 255);
  rdata.push_back(static_cast<char>(n));
  rdata.append(s.substr(0, n));
}

// Collects a View while de-duplicating by a key per record kind. The keys view the records'
// own bytes (ServiceEntry::instances is reserved up front, so they do not move), and SRV
// records de-duplicate by (target id, port): no allocation per instance beyond the sets' nodes.
struct ViewBuilder {
  View view;
  std::unordered_set<std::string_view> a_seen, aaaa_seen, txt_seen;
  std::unordered_set<uint64_t> srv_seen;
  void add(uint32_t idx, const InstanceRecord& r) {
    std::string_view addr(reinterpret_cast<const char*>(r.addr), r.family == 4 ? 4 : 16);
    if (r.family == 4 ? a_seen.insert(addr).second : aaaa_seen.insert(addr).second)
      (r.family == 4 ? view.a : view.aaaa).push_back(idx);
    if (srv_seen.insert((uint64_t{r.target_id} << 16) | r.port).second) view.srv.push_back(idx);
    if (!r.txt.empty() && txt_seen.insert(r.txt).second) view.txt.push_back(idx);
  }
};

}  // namespace

bool ZoneSettings::allows_recursion(const void* peer) const noexcept {
  const auto* sa = static_cast<const sockaddr*>(peer);
  const uint8_t* addr = nullptr;
  uint8_t family = 0;
  if (sa->sa_family == AF_INET) {
    addr = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
    family = 4;
  } else if (sa->sa_family == AF_INET6) {
    addr = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
    family = 6;
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (std::memcmp(addr, kMapped, 12) == 0) {
      addr += 12;
      family = 4;
    }
  }
  if (!addr) return false;
  for (const Cidr& c : recursion_allowed_from)
    if (c.contains(family, addr)) return true;
  return false;
}

std::string meta_txt_rdata(const std::string& key, const std::string& value) {
  std::string text;
  if (ascii_lower(key).rfind("rfc1035-", 0) == 0) {
    text = value;
  } else {
    for (size_t i = 0; i < key.size(); ++i) {
      char c = key[i];
      bool edge_space = c == ' ' && (i == 0 || i + 1 == key.size());
      if (c == '`' || c == '=' || edge_space) text.push_back('`');
      text.push_back(c);
    }
    text.push_back('=');
    for (char c : value) {
      if (c == '`') text.push_back('`');
      text.push_back(c);
    }
  }
  std::string rdata;
  append_char_string(rdata, text);
  return rdata;
}

ZoneSettings make_zone_settings(const config::Config& c) {
  ZoneSettings s;
  s.domain = text_to_labels(c.domain).value_or("") + std::string(1, '\0');
  if (!c.alt_domain.empty()) s.alt_domain = text_to_labels(c.alt_domain).value_or("") + std::string(1, '\0');
  s.datacenter = ascii_lower(c.datacenter);
  s.dc_label = make_label(s.datacenter).value_or("");
  s.ns_target = name_labels(c.node_name) + "\4node" + s.dc_label;
  if (auto ip = parse_ip(c.bind_addr)) {
    s.ns_family = ip->size() == 4 ? 4 : 6;
    std::memcpy(s.ns_addr, ip->data(), ip->size());
  }
  const auto& d = c.dns_config;
  s.node_ttl = seconds(d.node_ttl);
  s.soa_refresh = d.soa.refresh;
  s.soa_retry = d.soa.retry;
  s.soa_expire = d.soa.expire;
  s.soa_min_ttl = d.soa.min_ttl;
  s.udp_answer_limit = d.udp_answer_limit;
  s.a_record_limit = d.a_record_limit;
  s.enable_truncate = d.enable_truncate;
  s.edns_udp_size = d.edns_udp_size;
  s.recursion_available = !c.recursors.empty();
  for (const std::string& block : d.recursion_allowed_from) {
    size_t slash = block.find('/');
    auto ip = parse_ip(block.substr(0, slash));
    if (!ip) continue;  // the config loader has validated these
    Cidr cidr;
    cidr.family = ip->size() == 4 ? 4 : 6;
    std::memcpy(cidr.bytes, ip->data(), ip->size());
    int max = cidr.family == 4 ? 32 : 128;
    cidr.prefix = static_cast<uint8_t>(slash == std::string::npos ? max : std::min(max, std::atoi(block.c_str() + slash + 1)));
    s.recursion_allowed_from.push_back(cidr);
  }
  return s;
}

ZoneBuilder::ZoneBuilder(const config::Config& config) {
  configure(config);
  auto empty = std::make_shared<Zone>();
  empty->settings = settings_;
  current_ = std::move(empty);
}

void ZoneBuilder::configure(const config::Config& config) {
  settings_ = std::make_shared<const ZoneSettings>(make_zone_settings(config));
  ttl_rules_.clear();
  for (const auto& [key, ttl] : config.dns_config.service_ttl) ttl_rules_.emplace_back(ascii_lower(key), seconds(ttl));
  only_passing_ = config.dns_config.only_passing;
  protect_threshold_ = config.dns_config.protect_threshold;
  full_next_ = true;
}

uint32_t ZoneBuilder::service_ttl(const std::string& service) const {
  std::string name = ascii_lower(service);
  const std::pair<std::string, uint32_t>* best = nullptr;
  size_t best_len = 0;
  const std::pair<std::string, uint32_t>* star = nullptr;
  for (const auto& rule : ttl_rules_) {
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

std::shared_ptr<const ServiceEntry> ZoneBuilder::build_service(const catalog::Replica& replica, const std::string& key,
                                                               const std::set<std::string>& names) const {
  std::vector<const catalog::Service*> instances;
  auto e = std::make_shared<ServiceEntry>();
  for (const std::string& name : names) {
    auto some = replica.instances(name);
    if (!some.empty()) e->source_names.push_back(name);
    instances.insert(instances.end(), some.begin(), some.end());
  }
  if (instances.empty()) return nullptr;
  e->name = key;
  e->ttl = service_ttl(key);

  struct Candidate {
    const catalog::Service* svc;
    catalog::Health health;
  };
  std::vector<Candidate> all;
  size_t healthy = 0;
  for (const catalog::Service* svc : instances) {
    catalog::Health h = replica.health(*svc);
    bool ok = h == catalog::Health::passing || (!only_passing_ && h == catalog::Health::warning);
    healthy += ok;
    all.push_back({svc, h});
    if (!svc->address.empty())
      if (auto ip = parse_ip(svc->address)) e->own_addresses.push_back(*ip);
  }
  std::sort(e->own_addresses.begin(), e->own_addresses.end());
  double threshold = instances.front()->protect_threshold.value_or(protect_threshold_);
  e->protected_mode = catalog::below_protect_threshold(healthy, all.size(), threshold);

  std::unordered_map<std::string_view, uint32_t> target_ids;  // views of records' targets
  ViewBuilder all_view;
  std::unordered_map<std::string, ViewBuilder> tag_views;
  std::vector<std::string> tags;
  e->instances.reserve(all.size());  // records never move: the views above point into them
  for (const Candidate& c : all) {
    bool ok = c.health == catalog::Health::passing || (!only_passing_ && c.health == catalog::Health::warning);
    if (!ok && !e->protected_mode) continue;
    const catalog::Service& svc = *c.svc;
    const catalog::Node* node = replica.node(svc.node);
    const std::string& address = svc.address.empty() ? (node ? node->address : svc.address) : svc.address;
    auto ip = parse_ip(address);
    if (!ip) continue;  // hostnames (CNAME answers) are not served yet
    InstanceRecord r;
    r.family = ip->size() == 4 ? 4 : 6;
    std::memcpy(r.addr, ip->data(), ip->size());
    r.port = svc.port;
    uint32_t w = c.health == catalog::Health::warning ? svc.weights.warning : svc.weights.passing;
    r.weight = static_cast<uint16_t>(std::min<uint32_t>(w, 65535));
    if (svc.address.empty()) r.target = name_labels(svc.node) + "\4node" + settings_->dc_label;
    else r.target = make_label(hex_address(*ip)).value_or("") + "\4addr" + settings_->dc_label;
    for (const auto& [k, v] : svc.meta) {
      std::string s = meta_txt_rdata(k, v);
      if (r.txt.size() + s.size() > 4096) break;
      r.txt += s;
    }
    uint32_t idx = static_cast<uint32_t>(e->instances.size());
    e->instances.push_back(std::move(r));
    InstanceRecord& rec = e->instances.back();
    rec.target_id = target_ids.emplace(rec.target, static_cast<uint32_t>(target_ids.size())).first->second;
    all_view.add(idx, rec);
    tags.clear();
    for (const std::string& t : svc.tags) tags.push_back(ascii_lower(t));
    std::sort(tags.begin(), tags.end());
    tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
    for (const std::string& t : tags) tag_views[t].add(idx, rec);
  }
  e->all = std::move(all_view.view);
  for (auto& [tag, vb] : tag_views) e->by_tag.emplace(tag, std::move(vb.view));
  return e;
}

std::shared_ptr<const NodeEntry> ZoneBuilder::build_node(const catalog::Node& node) const {
  auto n = std::make_shared<NodeEntry>();
  n->name = node.name;
  if (auto ip = parse_ip(node.address)) {
    n->family = ip->size() == 4 ? 4 : 6;
    std::memcpy(n->addr, ip->data(), ip->size());
  }
  for (const auto& [k, v] : node.meta) n->txt.push_back(meta_txt_rdata(k, v));
  return n;
}

void ZoneBuilder::claim(const std::string& addr, bool node, const std::string& name, int delta) {
  AddressOwners& o = owners_[addr];
  auto& counts = node ? o.nodes : o.services;
  if ((counts[name] += delta) <= 0) counts.erase(name);
  if (o.nodes.empty() && o.services.empty()) owners_.erase(addr);
}

void ZoneBuilder::refresh_ptr(Zone& zone, const std::set<std::string>& addresses) {
  for (const std::string& addr : addresses) {
    auto it = owners_.find(addr);
    if (it == owners_.end()) {
      zone.ptr.set(addr, nullptr);
      continue;
    }
    const AddressOwners& o = it->second;
    std::string target = !o.nodes.empty()
                             ? name_labels(o.nodes.begin()->first) + "\4node" + settings_->dc_label
                             : name_labels(o.services.begin()->first) + "\7service" + settings_->dc_label;
    const PtrEntry* before = zone.ptr.find(addr);
    if (!before || before->target != target) zone.ptr.set(addr, std::make_shared<const PtrEntry>(PtrEntry{target}));
  }
}

std::shared_ptr<const Zone> ZoneBuilder::build(const catalog::Replica& replica, const catalog::Change& change) {
  transitions_.clear();
  bool full = full_next_ || change.all;
  full_next_ = false;
  auto z = std::make_shared<Zone>(*current_);
  z->settings = settings_;
  z->remote = remote_;
  z->serial = static_cast<uint32_t>(std::max<uint64_t>(replica.index(), 1));

  std::set<std::string> services;
  std::set<std::string> moved;  // addresses whose reverse entry may have changed
  auto set_node_address = [&](const std::string& name, const catalog::Node* node) {
    auto old = node_address_.find(name);
    if (old != node_address_.end()) {
      moved.insert(old->second);
      claim(old->second, true, name, -1);
      node_address_.erase(old);
    }
    if (node) {
      if (auto ip = parse_ip(node->address)) {
        node_address_[name] = *ip;
        claim(*ip, true, name, +1);
        moved.insert(*ip);
      }
    }
  };
  if (full) {
    z->services.clear();
    z->nodes.clear();
    z->ptr.clear();
    owners_.clear();
    node_address_.clear();
    for (const std::string& name : replica.service_names()) services.insert(name);
    for (const auto& [name, node] : replica.nodes()) {
      z->nodes.set(ascii_lower(name), build_node(node));
      set_node_address(name, &node);
    }
  } else {
    services = change.services;
    for (const std::string& node_name : change.nodes) {
      for (const std::string& s : replica.services_on_node(node_name)) services.insert(s);
      const catalog::Node* node = replica.node(node_name);
      z->nodes.set(ascii_lower(node_name), node ? build_node(*node) : nullptr);
      set_node_address(node_name, node);
    }
  }
  // Group by DNS name: catalog names that differ only in case answer together.
  std::map<std::string, std::set<std::string>> by_key;
  for (const std::string& name : services) by_key[ascii_lower(name)].insert(name);
  for (auto& [key, names] : by_key) {
    const ServiceEntry* prev = current_->services.find(key);  // for transitions
    const ServiceEntry* before = full ? nullptr : prev;        // what this zone still holds
    if (before) names.insert(before->source_names.begin(), before->source_names.end());
    auto after = build_service(replica, key, names);
    // Reverse entries: drop the old entry's own addresses, claim the new ones.
    static const std::vector<std::string> kNone;
    const auto& old_addrs = before ? before->own_addresses : kNone;
    const auto& new_addrs = after ? after->own_addresses : kNone;
    if (old_addrs != new_addrs) {
      // Both lists are sorted (with repeats, one per instance) and belong to the same name:
      // only the difference changes owners, so one new instance costs one claim, not one per
      // instance of its service.
      size_t i = 0, j = 0;
      while (i < old_addrs.size() || j < new_addrs.size()) {
        if (j == new_addrs.size() || (i < old_addrs.size() && old_addrs[i] < new_addrs[j])) {
          claim(old_addrs[i], false, before->name, -1);
          moved.insert(old_addrs[i++]);
        } else if (i == old_addrs.size() || new_addrs[j] < old_addrs[i]) {
          claim(new_addrs[j], false, after->name, +1);
          moved.insert(new_addrs[j++]);
        } else {
          ++i;
          ++j;
        }
      }
    }
    bool was = prev && prev->protected_mode, now = after && after->protected_mode;
    if (was != now) transitions_.emplace_back(key, now);
    z->services.set(key, std::move(after));
  }
  refresh_ptr(*z, moved);
  z->services.seal();
  z->nodes.seal();
  z->ptr.seal();
  current_ = z;
  return current_;
}

}  // namespace beacon::dns
