#include "dns/zone_builder.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string_view>

#include "dns/name.h"
#include "dns/reverse_map.h"
#include "dns/service_builder.h"
#include "dns/wire/name.h"

namespace beacon::dns {
namespace {

uint32_t seconds(config::Duration d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return s < 0 ? 0 : static_cast<uint32_t>(std::min<int64_t>(s, INT32_MAX));
}

// Appends one TXT character-string (at most 255 bytes; longer text is cut).
void append_char_string(std::string& rdata, std::string_view s) {
  size_t n = std::min<size_t>(s.size(), 255);
  rdata.push_back(static_cast<char>(n));
  rdata.append(s.substr(0, n));
}

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
  s.max_udp_size = d.max_udp_size;
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

ZoneBuilder::ZoneBuilder(const config::Config& config)
    : services_(std::make_unique<ServiceBuilder>()), reverse_(std::make_unique<ReverseMap>()) {
  configure(config);
  auto empty = std::make_shared<Zone>();
  empty->settings = settings_;
  current_ = std::move(empty);
}

ZoneBuilder::~ZoneBuilder() = default;
ZoneBuilder::ZoneBuilder(ZoneBuilder&&) noexcept = default;
ZoneBuilder& ZoneBuilder::operator=(ZoneBuilder&&) noexcept = default;

void ZoneBuilder::configure(const config::Config& config) {
  settings_ = std::make_shared<const ZoneSettings>(make_zone_settings(config));
  ServicePolicy policy;
  for (const auto& [key, ttl] : config.dns_config.service_ttl)
    policy.ttl_rules.emplace_back(ascii_lower(key), seconds(ttl));
  policy.only_passing = config.dns_config.only_passing;
  policy.protect_threshold = config.dns_config.protect_threshold;
  services_->configure(settings_, std::move(policy));
  full_next_ = true;
}

uint32_t ZoneBuilder::service_ttl(const std::string& service) const { return services_->service_ttl(service); }

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

std::shared_ptr<const Zone> ZoneBuilder::build(const catalog::Replica& replica, const catalog::Change& change) {
  transitions_.clear();
  bool full = full_next_ || change.all;
  full_next_ = false;
  auto z = std::make_shared<Zone>(*current_);
  z->settings = settings_;
  z->remote = remote_;
  z->serial = static_cast<uint32_t>(std::max<uint64_t>(replica.index(), 1));

  std::set<std::string> services;
  std::set<std::string> via_node;  // DNS names of services on changed nodes: rebuilt whole
  if (full) {
    z->services.clear();
    z->nodes.clear();
    z->ptr.clear();
    reverse_->clear();
    for (const std::string& name : replica.service_names()) services.insert(name);
    for (const auto& [name, node] : replica.nodes()) {
      z->nodes.set(ascii_lower(name), build_node(node));
      reverse_->set_node(name, &node);
    }
  } else {
    services = change.services;
    for (const std::string& node_name : change.nodes) {
      for (const std::string& s : replica.services_on_node(node_name)) {
        services.insert(s);
        via_node.insert(ascii_lower(s));
      }
      const catalog::Node* node = replica.node(node_name);
      z->nodes.set(ascii_lower(node_name), node ? build_node(*node) : nullptr);
      reverse_->set_node(node_name, node);
    }
  }
  // Group by DNS name: catalog names that differ only in case answer together.
  std::map<std::string, std::set<std::string>> by_key;
  for (const std::string& name : services) by_key[ascii_lower(name)].insert(name);
  for (auto& [key, names] : by_key) {
    const ServiceEntry* prev = current_->services.find(key);  // for transitions
    const ServiceEntry* before = full ? nullptr : prev;        // what this zone still holds
    // Patch the previous entry when the change names every instance that changed under it.
    std::vector<const ServiceBuilder::InstanceChanges*> changed;
    bool patch = before && !via_node.contains(key);
    for (const std::string& name : names) {
      if (!patch) break;
      auto it = change.instances.find(name);
      if (it == change.instances.end()) patch = false;
      else changed.push_back(&it->second);
    }
    if (before) names.insert(before->source_names.begin(), before->source_names.end());
    auto after = services_->build(replica, key, names, before, patch ? &changed : nullptr);
    // Reverse entries: only the records that left or came change owners, so one new instance
    // costs one claim, not one per instance of its service.
    for (const std::string& addr : services_->gone_addrs()) reverse_->claim_service(addr, key, -1);
    for (const std::string& addr : services_->fresh_addrs()) reverse_->claim_service(addr, key, +1);
    bool was = prev && prev->protected_mode, now = after && after->protected_mode;
    if (was != now) transitions_.emplace_back(key, now);
    z->services.set(key, std::move(after));
  }
  reverse_->refresh(*z, settings_->dc_label);
  z->services.seal();
  z->nodes.seal();
  z->ptr.seal();
  current_ = z;
  return current_;
}

}  // namespace beacon::dns
