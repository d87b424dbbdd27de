// beacon::dns zone options: everything the zone builder needs from the agent's configuration,
// as DNS's own types, converted from config::Config in one place (zone_options()).
//
// ZoneBuilder and ZonePublisher take these instead of the whole Config, so that DNS reads no
// setting it does not own and a SIGHUP reaches every zone through one value. Plain values:
// build on the control thread, copy freely.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "dns/zone.h"

namespace beacon::dns {

// How service entries are derived from instances.
struct ServicePolicy {
  std::vector<std::pair<std::string, uint32_t>> ttl_rules;  // lower-case name or prefix* -> seconds
  bool only_passing = false;
  double protect_threshold = 0;
};

struct ZoneOptions {
  ZoneSettings answer;     // what the query path reads (domains, TTLs, limits, SOA, recursion)
  ServicePolicy services;  // service TTLs and health policy
  std::string node_name;   // the agent's node (the NS target), kept to re-derive for other dcs

  // The same options for the zone of datacenter `name` (a followed datacenter answers as
  // itself: its label in SRV targets and the SOA/NS names).
  ZoneOptions for_datacenter(const std::string& name) const;
};

// Converts the agent config (after the loader validated it) into zone options.
ZoneOptions zone_options(const config::Config& config);

}  // namespace beacon::dns
