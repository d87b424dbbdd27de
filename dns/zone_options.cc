// zone_options(): the agent config as the zone builder's own options.
#include "dns/zone_options.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "base/address.h"
#include "dns/name.h"
#include "dns/wire/name.h"

namespace beacon::dns {
namespace {

uint32_t seconds(config::Duration d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return s < 0 ? 0 : static_cast<uint32_t>(std::min<int64_t>(s, INT32_MAX));
}

ZoneSettings answer_settings(const config::Config& c, const std::string& datacenter) {
  ZoneSettings s;
  s.domain = text_to_labels(c.domain).value_or("") + std::string(1, '\0');
  if (!c.alt_domain.empty()) s.alt_domain = text_to_labels(c.alt_domain).value_or("") + std::string(1, '\0');
  s.datacenter = ascii_lower(datacenter);
  s.dc_label = make_label(s.datacenter).value_or("");
  s.ns_target = name_labels(c.node_name) + "\4node" + s.dc_label;
  if (auto ip = base::parse_ip(c.bind_addr)) {
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
    auto ip = base::parse_ip(block.substr(0, slash));
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

}  // namespace

ZoneOptions zone_options(const config::Config& config) {
  ZoneOptions o;
  o.answer = answer_settings(config, config.datacenter);
  for (const auto& [key, ttl] : config.dns_config.service_ttl)
    o.services.ttl_rules.emplace_back(ascii_lower(key), seconds(ttl));
  o.services.only_passing = config.dns_config.only_passing;
  o.services.protect_threshold = config.dns_config.protect_threshold;
  o.node_name = config.node_name;
  return o;
}

ZoneOptions ZoneOptions::for_datacenter(const std::string& name) const {
  ZoneOptions o = *this;
  o.answer.datacenter = ascii_lower(name);
  o.answer.dc_label = make_label(o.answer.datacenter).value_or("");
  o.answer.ns_target = name_labels(node_name) + "\4node" + o.answer.dc_label;
  return o;
}

}  // namespace beacon::dns
