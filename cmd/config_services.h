// beacon::cmd: the agent's own node and config-file services as catalog objects.
//
// Converts config structs to catalog model values for Writer::sync_config_services. Checks
// that already exist in the replica keep their current status and output (a reload must not
// reset health); new ones start with their configured initial status. Pure functions but for
// ensure_alive_check, which writes (control thread).
#pragma once

#include <vector>

#include "catalog/model.h"
#include "catalog/replica.h"
#include "catalog/writer.h"
#include "config/config.h"

namespace beacon::cmd {

catalog::Node agent_node(const config::Config& config);
// Consul's serfHealth check of the agent's own node (etcd mode): "Agent Alive", passing.
catalog::Check agent_alive_check(const config::Config& config);
// Registers agent_alive_check() through `writer` unless the replica has it already; a failure
// is logged (the next anti-entropy pass tries again).
void ensure_alive_check(const config::Config& config, const catalog::Replica& replica, catalog::Writer& writer);

struct ConfigServices {
  std::vector<catalog::Service> services;
  std::vector<std::vector<catalog::Check>> checks;  // parallel to services
};
ConfigServices config_services(const config::Config& config, const catalog::Replica& replica);

}  // namespace beacon::cmd
