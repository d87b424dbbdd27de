// JSON output (api/json_codec.h): Consul's response shapes.
#include "api/json_codec.h"

#include <cstdio>
#include <nlohmann/json.hpp>


namespace beacon::api {
namespace {

using nlohmann::json;

constexpr int kSerfPort = 8301;
constexpr int kServerPort = 8300;

std::string dump(const json& j, bool pretty) {
  return j.dump(pretty ? 4 : -1, ' ', false, json::error_handler_t::replace);
}

json string_map(const std::map<std::string, std::string>& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

json string_list(const std::vector<std::string>& v) {
  json j = json::array();
  for (const std::string& s : v) j.push_back(s);
  return j;
}

json weights(const catalog::Weights& w) { return json{{"Passing", w.passing}, {"Warning", w.warning}}; }

// Consul's lan/wan tagged addresses, all the node's one address here.
json tagged_addresses(const std::string& address) {
  json j = json::object();
  if (address.empty()) return j;
  bool v6 = address.find(':') != std::string::npos;
  j["lan"] = address;
  j[v6 ? "lan_ipv6" : "lan_ipv4"] = address;
  j["wan"] = address;
  j[v6 ? "wan_ipv6" : "wan_ipv4"] = address;
  return j;
}

json node_json(const catalog::Node& n) {
  return json{{"ID", node_uuid(n.name)},
              {"Node", n.name},
              {"Address", n.address},
              {"Datacenter", n.datacenter},
              {"TaggedAddresses", tagged_addresses(n.address)},
              {"Meta", string_map(n.meta)},
              {"CreateIndex", n.create_index},
              {"ModifyIndex", n.modify_index}};
}

// The service object of the agent and health endpoints. `datacenter` only on agent reads,
// indexes only on catalog reads (as Consul does).
json service_json(const catalog::Service& s, const std::string* datacenter, bool indexes) {
  json j{{"ID", s.id},
         {"Service", s.name},
         {"Tags", string_list(s.tags)},
         {"Meta", string_map(s.meta)},
         {"Port", s.port},
         {"Address", s.address},
         {"Weights", weights(s.weights)},
         {"EnableTagOverride", s.enable_tag_override}};
  if (s.protect_threshold) j["ProtectThreshold"] = *s.protect_threshold;
  if (datacenter) j["Datacenter"] = *datacenter;
  if (indexes) {
    j["CreateIndex"] = s.create_index;
    j["ModifyIndex"] = s.modify_index;
  }
  return j;
}

json check_json(const CheckView& v) {
  const catalog::Check& c = v.check;
  return json{{"Node", c.node},
              {"CheckID", c.id},
              {"Name", c.name},
              {"Status", catalog::health_name(c.status)},
              {"Notes", c.notes},
              {"Output", c.output},
              {"ServiceID", c.service_id},
              {"ServiceName", v.service_name},
              {"ServiceTags", string_list(v.service_tags)},
              {"Type", v.type},
              {"CreateIndex", c.create_index},
              {"ModifyIndex", c.modify_index}};
}

json member_json(const config::Config& config, const std::string& version) {
  return json{{"Name", config.node_name},
              {"Addr", config.bind_addr},
              {"Port", kSerfPort},
              {"Tags",
               {{"dc", config.datacenter},
                {"role", "consul"},
                {"id", node_uuid(config.node_name)},
                {"build", config.consul_version + ":beacon-" + version},
                {"port", std::to_string(kServerPort)},
                {"vsn", "2"},
                {"vsn_min", "2"},
                {"vsn_max", "3"}}},
              {"Status", 1},
              {"ProtocolMin", 1},
              {"ProtocolMax", 5},
              {"ProtocolCur", 2},
              {"DelegateMin", 2},
              {"DelegateMax", 5},
              {"DelegateCur", 4}};
}

uint64_t fnv1a(std::string_view text, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

std::string node_uuid(std::string_view node_name) {
  uint64_t hi = fnv1a(node_name, 0xcbf29ce484222325ull);
  uint64_t lo = fnv1a(node_name, hi ^ 0x9e3779b97f4a7c15ull);
  hi = (hi & ~0xf000ull) | 0x5000ull;                     // version 5 (name-based)
  lo = (lo & ~(0xc0ull << 56)) | (0x80ull << 56);         // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xffffffffffffull));
  return buf;
}

std::string encode_agent_services(const std::vector<const catalog::Service*>& services, const std::string& datacenter,
                                  bool pretty) {
  json j = json::object();
  for (const catalog::Service* s : services) j[s->id] = service_json(*s, &datacenter, false);
  return dump(j, pretty);
}

std::string encode_agent_service(const catalog::Service& service, const std::string& datacenter, bool pretty) {
  json j = service_json(service, &datacenter, false);
  j["ContentHash"] = [&] {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%016llx",
                  static_cast<unsigned long long>(fnv1a(dump(j, false), 0xcbf29ce484222325ull)));
    return std::string(buf);
  }();
  return dump(j, pretty);
}

std::string encode_agent_checks(const std::vector<CheckView>& checks, bool pretty) {
  json j = json::object();
  for (const CheckView& v : checks) j[v.check.id] = check_json(v);
  return dump(j, pretty);
}

std::string encode_checks(const std::vector<CheckView>& checks, bool pretty) {
  json j = json::array();
  for (const CheckView& v : checks) j.push_back(check_json(v));
  return dump(j, pretty);
}

std::string encode_agent_self(const config::Config& config, const std::string& version, bool pretty) {
  json j{{"Config",
          {{"Datacenter", config.datacenter},
           {"PrimaryDatacenter", config.datacenter},
           {"NodeName", config.node_name},
           {"NodeID", node_uuid(config.node_name)},
           {"Revision", "beacon"},
           {"Server", true},
           {"Version", config.consul_version},
           {"BeaconVersion", version},
           {"BuildDate", ""}}},
         {"DebugConfig",
          {{"Datacenter", config.datacenter},
           {"PrimaryDatacenter", config.datacenter},
           {"NodeName", config.node_name},
           {"ServerMode", true},
           {"BindAddr", config.bind_addr},
           {"ClientAddrs", json::array({config.client_addr})},
           {"DNSDomain", config.domain + "."},
           {"DNSPort", config.ports.dns},
           {"HTTPPort", config.ports.http},
           {"Version", config.consul_version}}},
         {"Coord", nullptr},
         {"Member", member_json(config, version)},
         {"Meta", string_map(config.node_meta)}};
  return dump(j, pretty);
}

std::string encode_agent_members(const config::Config& config, const std::string& version, bool pretty) {
  return dump(json::array({member_json(config, version)}), pretty);
}

std::string encode_agent_health(const std::vector<InstanceView>& instances, const std::string& datacenter,
                                bool as_list, bool pretty) {
  json list = json::array();
  for (const InstanceView& v : instances) {
    json checks = json::array();
    for (const CheckView& c : v.checks) checks.push_back(check_json(c));
    list.push_back(json{{"AggregatedStatus", v.aggregated},
                        {"Service", service_json(*v.service, &datacenter, false)},
                        {"Checks", std::move(checks)}});
  }
  if (as_list) return dump(list, pretty);
  return dump(list.empty() ? json(nullptr) : list.front(), pretty);
}

std::string encode_catalog_services(const std::map<std::string, std::vector<std::string>>& services, bool pretty) {
  json j = json::object();
  for (const auto& [name, tags] : services) j[name] = string_list(tags);
  return dump(j, pretty);
}

std::string encode_catalog_service(const std::vector<InstanceView>& instances, const std::string& datacenter,
                                   bool pretty) {
  json list = json::array();
  for (const InstanceView& v : instances) {
    const catalog::Service& s = *v.service;
    std::string address = v.node ? v.node->address : "";
    json j{{"ID", node_uuid(s.node)},
           {"Node", s.node},
           {"Address", address},
           {"Datacenter", v.node && !v.node->datacenter.empty() ? v.node->datacenter : datacenter},
           {"TaggedAddresses", tagged_addresses(address)},
           {"NodeMeta", v.node ? string_map(v.node->meta) : json::object()},
           {"ServiceKind", ""},
           {"ServiceID", s.id},
           {"ServiceName", s.name},
           {"ServiceTags", string_list(s.tags)},
           {"ServiceAddress", s.address},
           {"ServiceWeights", weights(s.weights)},
           {"ServiceMeta", string_map(s.meta)},
           {"ServicePort", s.port},
           {"ServiceEnableTagOverride", s.enable_tag_override},
           {"CreateIndex", s.create_index},
           {"ModifyIndex", s.modify_index}};
    if (s.protect_threshold) j["ServiceProtectThreshold"] = *s.protect_threshold;
    list.push_back(std::move(j));
  }
  return dump(list, pretty);
}

std::string encode_nodes(const std::vector<const catalog::Node*>& nodes, bool pretty) {
  json list = json::array();
  for (const catalog::Node* n : nodes) list.push_back(node_json(*n));
  return dump(list, pretty);
}

std::string encode_catalog_node(const catalog::Node* node, const std::vector<const catalog::Service*>& services,
                                bool pretty) {
  if (node == nullptr) return dump(json(nullptr), pretty);
  json map = json::object();
  for (const catalog::Service* s : services) map[s->id] = service_json(*s, nullptr, true);
  return dump(json{{"Node", node_json(*node)}, {"Services", std::move(map)}}, pretty);
}

std::string encode_health_service(const std::vector<InstanceView>& instances, const std::string& datacenter,
                                  bool pretty) {
  json list = json::array();
  for (const InstanceView& v : instances) {
    json node = v.node ? node_json(*v.node)
                       : json{{"ID", node_uuid(v.service->node)},
                              {"Node", v.service->node},
                              {"Address", ""},
                              {"Datacenter", datacenter},
                              {"TaggedAddresses", json::object()},
                              {"Meta", json::object()}};
    json checks = json::array();
    for (const CheckView& c : v.checks) checks.push_back(check_json(c));
    list.push_back(json{{"Node", std::move(node)},
                        {"Service", service_json(*v.service, nullptr, true)},
                        {"Checks", std::move(checks)}});
  }
  return dump(list, pretty);
}

std::string encode_string(const std::string& value, bool pretty) { return dump(json(value), pretty); }

std::string encode_strings(const std::vector<std::string>& values, bool pretty) {
  return dump(string_list(values), pretty);
}

std::string encode_bool(bool value) { return value ? "true" : "false"; }

}  // namespace beacon::api
