// beacon::api JSON output: Consul's response shapes, built from the catalog model.
//
// Each encode_* returns the whole response body: compact JSON, or indented by four spaces
// (Go's MarshalIndent, what Consul's `?pretty` gives) when `pretty` is set. Field names and
// shapes follow Consul's API so that its clients decode them unchanged; fields Consul has
// and beacon does not model are given their empty values (TaggedAddresses, Proxy, ...).
// Invalid UTF-8 in names is replaced, never thrown. Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/model.h"
#include "config/config.h"

namespace beacon::api {

// A check as the API shows it: the stored check with its live status and output (from the
// health engine when it runs the check) and its service's name and tags.
struct CheckView {
  catalog::Check check;
  std::string service_name;
  std::vector<std::string> service_tags;
  std::string type;  // "ttl", "http", "tcp", "udp", "script", "grpc", "maintenance" or ""
};

// One instance with its node and checks (/v1/health/service, /v1/agent/health/service).
struct InstanceView {
  const catalog::Node* node = nullptr;  // nullptr when the node has no record
  const catalog::Service* service = nullptr;
  std::vector<CheckView> checks;
  std::string aggregated;  // worst status, or "maintenance"; agent health endpoints only
};

// A stable, UUID-shaped ID for a node name (beacon nodes have no IDs of their own).
std::string node_uuid(std::string_view node_name);

// GET /v1/agent/services: {"<id>": {ID, Service, Tags, Meta, Port, Address, Weights, ...}}.
std::string encode_agent_services(const std::vector<const catalog::Service*>& services, const std::string& datacenter,
                                  bool pretty);
// GET /v1/agent/service/:id: one such object, with ContentHash.
std::string encode_agent_service(const catalog::Service& service, const std::string& datacenter, bool pretty);
// GET /v1/agent/checks: {"<check id>": {Node, CheckID, Name, Status, ...}}.
std::string encode_agent_checks(const std::vector<CheckView>& checks, bool pretty);
// /v1/health/checks, /node, /state: [{Node, CheckID, Name, Status, ...}].
std::string encode_checks(const std::vector<CheckView>& checks, bool pretty);
// GET /v1/agent/self.
std::string encode_agent_self(const config::Config& config, const std::string& version, bool pretty);
// GET /v1/agent/members: this node alone, alive.
std::string encode_agent_members(const config::Config& config, const std::string& version, bool pretty);
// GET /v1/agent/health/service/name/:name (`as_list`) or /id/:id (one object):
// {AggregatedStatus, Service, Checks}.
std::string encode_agent_health(const std::vector<InstanceView>& instances, const std::string& datacenter,
                                bool as_list, bool pretty);
// GET /v1/catalog/services: {"<name>": ["tag", ...]}.
std::string encode_catalog_services(const std::map<std::string, std::vector<std::string>>& services, bool pretty);
// GET /v1/catalog/service/:name: Consul's flat CatalogService list.
std::string encode_catalog_service(const std::vector<InstanceView>& instances, const std::string& datacenter,
                                   bool pretty);
// GET /v1/catalog/nodes: [{ID, Node, Address, Datacenter, TaggedAddresses, Meta, ...}].
std::string encode_nodes(const std::vector<const catalog::Node*>& nodes, bool pretty);
// GET /v1/catalog/node/:node: {"Node": {...}, "Services": {"<id>": {...}}}, or null.
std::string encode_catalog_node(const catalog::Node* node, const std::vector<const catalog::Service*>& services,
                                bool pretty);
// GET /v1/health/service/:name: [{Node, Service, Checks}].
std::string encode_health_service(const std::vector<InstanceView>& instances, const std::string& datacenter,
                                  bool pretty);
// A JSON string, a list of strings, or `true`/`false`.
std::string encode_string(const std::string& value, bool pretty);
std::string encode_strings(const std::vector<std::string>& values, bool pretty);
std::string encode_bool(bool value);

}  // namespace beacon::api
