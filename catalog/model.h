// beacon::catalog model: nodes, service instances and checks, and how health is derived.
//
// Plain value types shared by the stores, the replica and the DNS zone builder. An instance's
// health is the worst status among its own checks and its node's node-level checks;
// maintenance is represented as a critical check (`_service_maintenance:<id>` or
// `_node_maintenance`), as Consul does. No thread affinity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace beacon::catalog {

// Ordered so that the worst of several statuses is the max.
enum class Health : uint8_t { passing = 0, warning = 1, critical = 2 };

// "passing", "warning" or "critical".
const char* health_name(Health h);
// Parses the three names above (exact, lower case). nullopt for anything else.
std::optional<Health> parse_health(std::string_view s);

// Avalanche protection: true when the healthy share of a service's instances is strictly
// below `threshold` (0 turns it off), like Envoy's panic threshold. Then every instance is
// answered, healthy or not.
inline bool below_protect_threshold(size_t healthy, size_t total, double threshold) {
  return threshold > 0 && total > 0 && static_cast<double>(healthy) < threshold * static_cast<double>(total);
}

struct Weights {
  uint32_t passing = 1;
  uint32_t warning = 1;
};

struct Node {
  std::string name;
  std::string address;     // IPv4 or IPv6 literal
  std::string datacenter;
  std::map<std::string, std::string> meta;
  uint64_t create_index = 0;  // set by the store
  uint64_t modify_index = 0;
  bool operator==(const Node&) const = default;
};

struct Service {
  std::string id;
  std::string name;
  std::string node;
  std::string address;  // empty: the node's address
  uint16_t port = 0;
  std::vector<std::string> tags;
  std::map<std::string, std::string> meta;
  Weights weights;
  std::optional<double> protect_threshold;
  bool enable_tag_override = false;  // Consul's flag, stored and echoed (beacon syncs no tags)
  std::string source;  // "config" for services from config files, "api" otherwise
  uint64_t create_index = 0;
  uint64_t modify_index = 0;
  bool operator==(const Service&) const = default;
};

struct Check {
  std::string id;
  std::string name;
  std::string node;
  std::string service_id;  // empty: a node-level check
  Health status = Health::critical;
  std::string output;
  std::string notes;
  // The check's definition (kind, target, interval, ...) as JSON text, for the health engine
  // of the agent that owns it. Opaque to the catalog.
  std::string definition;
  uint64_t create_index = 0;
  uint64_t modify_index = 0;
  bool operator==(const Check&) const = default;
};

inline bool operator==(const Weights& a, const Weights& b) {
  return a.passing == b.passing && a.warning == b.warning;
}

}  // namespace beacon::catalog
