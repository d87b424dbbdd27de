// beacon::api handlers: the endpoints, grouped by Consul's API sections.
//
// Each add_*_routes() adds its routes to the router; the handlers read the Replica, write
// through the Writer, and drive TTL checks through the health Engine found in Env. They run
// on the server's io_context thread and never block: blocking queries wait before the
// handler runs (server.cc), so a handler always answers from the current replica. Shared
// helpers for the views of checks and instances live here too. Not thread-safe.
#pragma once

#include <string>
#include <vector>

#include "api/blocking.h"
#include "api/json_codec.h"
#include "api/request.h"
#include "api/router.h"
#include "api/server.h"

namespace beacon::api {

// What every handler works with. References outlive the router.
struct Env {
  Context& ctx;
  Blocking& blocking;
  // The datacenter these handlers answer for: empty for the agent's own (config's
  // `datacenter`), else a followed datacenter's name. The rest of the configuration is the
  // agent's, current after every reload.
  std::string followed_dc;

  const config::Config& config() const { return ctx.config(); }
  const std::string& datacenter() const { return followed_dc.empty() ? config().datacenter : followed_dc; }
  const std::string& local_node() const { return config().node_name; }
};

void add_agent_routes(Router& router, Env& env);       // agent writes (agent_handlers.cc)
void add_agent_read_routes(Router& router, Env& env);  // agent reads (agent_read_handlers.cc)
void add_catalog_routes(Router& router, Env& env);
void add_health_routes(Router& router, Env& env);
void add_status_routes(Router& router, Env& env);

// --- shared by the handler files (defined in health_handlers.cc) ---

// The check as the API shows it: status and output from the engine when it runs the check
// on this node, the service's name and tags, and the check's type.
CheckView check_view(const Env& env, const catalog::Check& check);
// The node-level checks of `node`, then the checks of the instance.
std::vector<CheckView> instance_checks(const Env& env, const catalog::Service& instance);
// Worst status of `checks` ("passing" when none), or "maintenance" when one is a
// maintenance check.
std::string aggregated_status(const std::vector<CheckView>& checks);
// Instances of `name` that carry every tag in `tags` (case-insensitively), by (node, id).
std::vector<const catalog::Service*> tagged_instances(const Env& env, const std::string& name,
                                                      const std::vector<std::string>& tags);

// 403 "Permission denied", logged with the identity's description (never the token).
Response permission_denied(const Request& request, const std::string& what);
// A catalog store failure: 400 for Error{invalid}, 404 for not_found, else 500.
Response store_error(const catalog::Error& error);

inline constexpr const char* kServiceMaintenancePrefix = "_service_maintenance:";
inline constexpr const char* kNodeMaintenanceId = "_node_maintenance";

}  // namespace beacon::api
