// /v1/agent/* writes: services and checks of this agent's node, maintenance, TTL updates.
//
// Registrations store each check's definition (catalog::encode_check_definition) in the
// catalog; the agent's wiring starts and stops the health engine's checks from there. TTL
// updates go to the engine, which writes status changes to the catalog itself. Every
// handler validates and authorises before its one write, so a refused request changes
// nothing.
#include "api/handlers.h"
#include "api/json_input.h"
#include "catalog/check_definition.h"
#include "log/log.h"

namespace beacon::api {
namespace {

constexpr const char* kScriptsDisabled =
    "Scripts are disabled on this agent; to enable, configure 'enable_script_checks' or "
    "'enable_local_script_checks' to true";
constexpr const char* kServiceMaintenanceReason =
    "Maintenance mode is enabled for this service, but no reason was provided. This is a default message.";
constexpr const char* kNodeMaintenanceReason =
    "Maintenance mode is enabled for this node, but no reason was provided. This is a default message.";

Response ok() { return json_body(""); }

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// The agent's node must exist for its services to be healthy; write it when it does not.
std::expected<void, catalog::Error> ensure_local_node(Env& env) {
  const config::Config& config = env.config();
  if (env.ctx.replica().node(config.node_name) != nullptr) return {};
  catalog::Node node{config.node_name, config.bind_addr, config.datacenter, config.node_meta, 0, 0};
  if (auto r = env.ctx.writer.register_node(node); !r) return std::unexpected(r.error());
  return {};
}

// A check definition from the API, with its ID and name filled in, ready to store. The
// status is the definition's unless the check exists and the request gave none.
std::expected<catalog::Check, Response> build_check(Env& env, const CheckInput& in, const std::string& default_id,
                                                    const std::string& default_name, const std::string& service_id) {
  auto def = catalog::decode_check_definition(in.json);
  if (!def) return std::unexpected(text_error(400, "Invalid check: " + def.error().message));
  if (def->kind == config::CheckConfig::Kind::script && !env.config().enable_local_script_checks) {
    return std::unexpected(text_error(400, kScriptsDisabled));
  }
  if (def->id.empty()) def->id = default_id;
  if (def->name.empty()) def->name = default_name;
  catalog::Check c;
  c.id = def->id;
  c.name = def->name;
  c.node = env.local_node();
  c.service_id = service_id;
  c.notes = def->notes;
  c.status = catalog::parse_health(def->status).value_or(catalog::Health::critical);
  c.definition = catalog::encode_check_definition(*def);
  const catalog::Check* existing = env.ctx.replica().check(c.node, c.id);
  if (!in.status_given && existing != nullptr && existing->service_id == service_id) {
    c.status = existing->status;
    c.output = existing->output;
    if (auto live = env.ctx.health.state(c.id)) {
      c.status = live->status;
      c.output = live->output;
    }
  }
  return c;
}

// PUT /v1/agent/service/register[?replace-existing-checks]
Response register_service(Env& env, const Request& req) {
  auto reg = decode_service_registration(req.body);
  if (!reg) return text_error(400, reg.error());
  catalog::Service& service = reg->service;
  if (!req.identity.can_write_service(service.name)) return permission_denied(req, "register service " + service.name);
  service.node = env.local_node();
  service.source = "api";

  std::vector<catalog::Check> checks;
  size_t n = reg->checks.size();
  for (size_t i = 0; i < n; ++i) {
    std::string id = "service:" + service.id + (n > 1 ? ":" + std::to_string(i + 1) : "");
    auto check = build_check(env, reg->checks[i], id, "Service '" + service.name + "' check", service.id);
    if (!check) return check.error();
    checks.push_back(std::move(*check));
  }
  bool replace = req.flag("replace-existing-checks");
  if (replace) {
    // Maintenance is not a registered check: replacing the checks does not end it.
    if (const catalog::Check* m = env.ctx.replica().check(service.node, kServiceMaintenancePrefix + service.id)) {
      checks.push_back(*m);
    }
  }
  // One write (the node record first when it is missing), group-committed before the reply.
  std::vector<catalog::Op> ops;
  const config::Config& config = env.config();
  if (env.ctx.replica().node(config.node_name) == nullptr)
    ops = env.ctx.writer.plan_register_node({config.node_name, config.bind_addr, config.datacenter, config.node_meta, 0, 0});
  auto service_ops = env.ctx.writer.plan_register_service(service, checks, replace);
  if (!service_ops) return store_error(service_ops.error());
  ops.insert(ops.end(), std::make_move_iterator(service_ops->begin()), std::make_move_iterator(service_ops->end()));
  log::info("http", "registering service ", service.id, " (", checks.size(), " checks) by ",
            req.identity.description());
  Response r = ok();
  r.commit = std::move(ops);
  return r;
}

// PUT /v1/agent/service/deregister/:id
Response deregister_service(Env& env, const Request& req) {
  const std::string& id = req.param("id");
  if (id.empty()) return text_error(400, "Missing service ID");
  const catalog::Service* s = env.ctx.replica().service(env.local_node(), id);
  if (s == nullptr) return text_error(404, "Unknown service ID " + quoted(id));
  if (!req.identity.can_write_service(s->name)) return permission_denied(req, "deregister service " + id);
  // The instance and its checks, as this agent's replica holds them (its own node: it is the
  // only writer), in one write that is group-committed before the reply like registrations.
  Response r = ok();
  r.commit = env.ctx.writer.plan_deregister_service(env.local_node(), id,
                                                   env.ctx.replica().service_checks(env.local_node(), id));
  log::info("http", "deregistering service ", id, " by ", req.identity.description());
  return r;
}

// `enable` of the maintenance endpoints: required, true or false.
std::expected<bool, Response> enable_param(const Request& req) {
  auto enable = req.get("enable");
  if (!enable || enable->empty()) return std::unexpected(text_error(400, "Missing value for enable"));
  if (*enable == "true") return true;
  if (*enable == "false") return false;
  return std::unexpected(text_error(400, "Invalid value for enable: " + quoted(*enable)));
}

// PUT /v1/agent/service/maintenance/:id?enable=&reason=
Response service_maintenance(Env& env, const Request& req) {
  const std::string& id = req.param("id");
  if (id.empty()) return text_error(400, "Missing service ID");
  auto enable = enable_param(req);
  if (!enable) return enable.error();
  const catalog::Service* s = env.ctx.replica().service(env.local_node(), id);
  if (s == nullptr) return text_error(404, "Unknown service ID " + quoted(id));
  if (!req.identity.can_write_service(s->name)) return permission_denied(req, "maintenance of service " + id);
  std::string check_id = kServiceMaintenancePrefix + id;
  if (*enable) {
    catalog::Check c;
    c.id = check_id;
    c.name = "Service Maintenance Mode";
    c.node = env.local_node();
    c.service_id = id;
    c.status = catalog::Health::critical;
    c.notes = req.get("reason").value_or("");
    if (c.notes.empty()) c.notes = kServiceMaintenanceReason;
    if (auto r = env.ctx.writer.register_check(c); !r) return store_error(r.error());
  } else if (auto r = env.ctx.writer.deregister_check(env.local_node(), check_id); !r) {
    return store_error(r.error());
  }
  log::info("http", "service ", id, " maintenance ", *enable ? "on" : "off", " by ", req.identity.description());
  return ok();
}

// PUT /v1/agent/maintenance?enable=&reason=
Response node_maintenance(Env& env, const Request& req) {
  auto enable = enable_param(req);
  if (!enable) return enable.error();
  if (!req.identity.can_write_node()) return permission_denied(req, "node maintenance");
  if (*enable) {
    if (auto r = ensure_local_node(env); !r) return store_error(r.error());
    catalog::Check c;
    c.id = kNodeMaintenanceId;
    c.name = "Node Maintenance Mode";
    c.node = env.local_node();
    c.status = catalog::Health::critical;
    c.notes = req.get("reason").value_or("");
    if (c.notes.empty()) c.notes = kNodeMaintenanceReason;
    if (auto r = env.ctx.writer.register_check(c); !r) return store_error(r.error());
  } else if (auto r = env.ctx.writer.deregister_check(env.local_node(), kNodeMaintenanceId); !r) {
    return store_error(r.error());
  }
  log::info("http", "node maintenance ", *enable ? "on" : "off", " by ", req.identity.description());
  return ok();
}

// PUT /v1/agent/check/register
Response register_check(Env& env, const Request& req) {
  auto in = decode_check_registration(req.body);
  if (!in) return text_error(400, in.error());
  if (in->name.empty()) return text_error(400, "Missing check name");
  if (!in->service_id.empty()) {
    const catalog::Service* s = env.ctx.replica().service(env.local_node(), in->service_id);
    if (s == nullptr) return text_error(400, "ServiceID " + quoted(in->service_id) + " does not exist");
    if (!req.identity.can_write_service(s->name)) return permission_denied(req, "register check " + in->name);
  } else if (!req.identity.can_write_node()) {
    return permission_denied(req, "register node check " + in->name);
  }
  auto check = build_check(env, *in, in->name, in->name, in->service_id);
  if (!check) return check.error();
  if (auto r = ensure_local_node(env); !r) return store_error(r.error());
  if (auto r = env.ctx.writer.register_check(*check); !r) return store_error(r.error());
  log::info("http", "registered check ", check->id, " by ", req.identity.description());
  return ok();
}

// The stored check `id` on this node and whether the caller may change it.
std::expected<const catalog::Check*, Response> writable_check(Env& env, const Request& req, const std::string& id) {
  if (id.empty()) return std::unexpected(text_error(400, "Missing check ID"));
  const catalog::Check* c = env.ctx.replica().check(env.local_node(), id);
  if (c == nullptr) return std::unexpected(text_error(404, "Unknown check ID " + quoted(id)));
  const catalog::Service* owner = c->service_id.empty() ? nullptr : env.ctx.replica().service(c->node, c->service_id);
  bool allowed = owner ? req.identity.can_write_service(owner->name) : req.identity.can_write_node();
  if (!allowed) return std::unexpected(permission_denied(req, "change check " + id));
  return c;
}

// PUT /v1/agent/check/deregister/:id
Response deregister_check(Env& env, const Request& req) {
  auto c = writable_check(env, req, req.param("id"));
  if (!c) return c.error();
  if (auto r = env.ctx.writer.deregister_check(env.local_node(), (*c)->id); !r) return store_error(r.error());
  log::info("http", "deregistered check ", req.param("id"), " by ", req.identity.description());
  return ok();
}

Response update_ttl(Env& env, const Request& req, catalog::Health status, std::string output) {
  const std::string& id = req.param("id");
  auto c = writable_check(env, req, id);
  if (!c) return c.error();
  auto r = env.ctx.health.update_ttl(id, status, std::move(output));
  if (!r) {
    if (r.error().code == health::Error::Code::not_found) return text_error(404, "Unknown check ID " + quoted(id));
    return text_error(500, r.error().message);
  }
  return ok();
}

Response check_pass(Env& env, const Request& req) {
  return update_ttl(env, req, catalog::Health::passing, req.get("note").value_or(""));
}
Response check_warn(Env& env, const Request& req) {
  return update_ttl(env, req, catalog::Health::warning, req.get("note").value_or(""));
}
Response check_fail(Env& env, const Request& req) {
  return update_ttl(env, req, catalog::Health::critical, req.get("note").value_or(""));
}
Response check_update(Env& env, const Request& req) {
  auto update = decode_check_update(req.body);
  if (!update) return text_error(400, update.error());
  return update_ttl(env, req, update->status, std::move(update->output));
}

}  // namespace

void add_agent_routes(Router& router, Env& env) {
  auto add = [&](std::string pattern, Response (*fn)(Env&, const Request&)) {
    router.add(Route{"PUT", std::move(pattern), [&env, fn](const Request& r) { return fn(env, r); }, {},
                     ReadAcl::none, false});
  };
  add("/v1/agent/service/register", register_service);
  add("/v1/agent/service/deregister/:id", deregister_service);
  add("/v1/agent/service/maintenance/:id", service_maintenance);
  add("/v1/agent/maintenance", node_maintenance);
  add("/v1/agent/check/register", register_check);
  add("/v1/agent/check/deregister/:id", deregister_check);
  add("/v1/agent/check/pass/:id", check_pass);
  add("/v1/agent/check/warn/:id", check_warn);
  add("/v1/agent/check/fail/:id", check_fail);
  add("/v1/agent/check/update/:id", check_update);
}

}  // namespace beacon::api
