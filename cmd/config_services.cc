#include "cmd/config_services.h"

#include "catalog/check_definition.h"
#include "log/log.h"

namespace beacon::cmd {

catalog::Node agent_node(const config::Config& config) {
  catalog::Node node;
  node.name = config.node_name;
  node.address = config.bind_addr;
  node.datacenter = config.datacenter;
  node.meta = config.node_meta;
  return node;
}

catalog::Check agent_alive_check(const config::Config& config) {
  catalog::Check alive;
  alive.node = config.node_name;
  alive.id = std::string(catalog::kAgentCheckId);
  alive.name = "Agent Alive";
  alive.status = catalog::Health::passing;
  alive.output = "Agent alive and reachable";
  return alive;
}

ConfigServices config_services(const config::Config& config, const catalog::Replica& replica) {
  ConfigServices out;
  out.services.reserve(config.services.size());
  out.checks.reserve(config.services.size());
  for (const config::ServiceConfig& sc : config.services) {
    catalog::Service s;
    s.id = sc.id;
    s.name = sc.name;
    s.node = config.node_name;
    s.address = sc.address;
    s.port = sc.port;
    s.tags = sc.tags;
    s.meta = sc.meta;
    s.weights = {sc.weights.passing, sc.weights.warning};
    s.protect_threshold = sc.protect_threshold;
    s.source = "config";
    std::vector<catalog::Check> checks;
    for (const config::CheckConfig& cc : sc.checks) {
      catalog::Check c;
      c.id = cc.id;
      c.name = cc.name;
      c.node = config.node_name;
      c.service_id = sc.id;
      c.notes = cc.notes;
      c.status = catalog::parse_health(cc.status).value_or(catalog::Health::critical);
      c.definition = catalog::encode_check_definition(cc);
      if (const catalog::Check* existing = replica.check(config.node_name, cc.id)) {
        c.status = existing->status;
        c.output = existing->output;
      }
      checks.push_back(std::move(c));
    }
    out.services.push_back(std::move(s));
    out.checks.push_back(std::move(checks));
  }
  return out;
}

void ensure_alive_check(const config::Config& config, const catalog::Replica& replica, catalog::Writer& writer) {
  catalog::Check alive = agent_alive_check(config);
  const catalog::Check* stored = replica.check(alive.node, alive.id);
  if (stored && stored->name == alive.name) return;
  if (auto w = writer.register_check(alive); !w)
    log::warn("catalog", "cannot register the agent's serfHealth check: ", w.error().message);
}

}  // namespace beacon::cmd
