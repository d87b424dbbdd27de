// /v1/health/* handlers, and the check and instance views shared by the handler files.
#include <algorithm>
#include <cctype>

#include "api/filter_query.h"
#include "api/handlers.h"
#include "catalog/check_definition.h"
#include "log/log.h"

namespace beacon::api {
namespace {

const char* kind_name(config::CheckConfig::Kind kind) {
  switch (kind) {
    case config::CheckConfig::Kind::http: return "http";
    case config::CheckConfig::Kind::tcp: return "tcp";
    case config::CheckConfig::Kind::udp: return "udp";
    case config::CheckConfig::Kind::ttl: return "ttl";
    case config::CheckConfig::Kind::script: return "script";
    case config::CheckConfig::Kind::grpc: return "grpc";
  }
  return "";
}

bool is_maintenance(const catalog::Check& c) {
  return c.id == kNodeMaintenanceId || c.id.starts_with(kServiceMaintenancePrefix);
}

bool iequals(const std::string& a, const std::string& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

Part service_part(const Request& r) { return Part{Part::Kind::service, r.param("service")}; }
Part node_part(const Request& r) { return Part{Part::Kind::node, r.param("node")}; }
Part all_part(const Request&) { return Part{}; }

// GET /v1/health/service/:service
Response health_service(Env& env, const Request& req) {
  auto rf = read_filter(req);
  if (!rf) return text_error(400, rf.error());
  const std::string& name = req.param("service");
  const config::Config& config = env.config();
  bool passing_only = req.flag("passing");

  // Avalanche protection over every instance of the name, as the DNS zone computes it.
  auto all = env.ctx.replica().instances(name);
  bool protect = false;
  if (!all.empty()) {
    size_t healthy = 0;
    for (const catalog::Service* s : all) {
      catalog::Health h = env.ctx.replica().health(*s);
      healthy += h == catalog::Health::passing || (!config.dns_config.only_passing && h == catalog::Health::warning);
    }
    double threshold = all.front()->protect_threshold.value_or(config.dns_config.protect_threshold);
    protect = catalog::below_protect_threshold(healthy, all.size(), threshold);
  }

  std::vector<InstanceView> out;
  for (const catalog::Service* s : tagged_instances(env, name, req.all("tag"))) {
    InstanceView v;
    v.node = env.ctx.replica().node(s->node);
    v.service = s;
    if (!rf->node_matches(v.node)) continue;
    v.checks = instance_checks(env, *s);
    if (rf->has_expression() && !rf->element_matches(encode_health_service({v}, env.datacenter(), false))) continue;
    if (passing_only && !protect) {
      bool all_passing = v.node != nullptr;
      for (const CheckView& c : v.checks) all_passing = all_passing && c.check.status == catalog::Health::passing;
      if (!all_passing) continue;
    }
    out.push_back(std::move(v));
  }
  Response r = json_body(encode_health_service(out, env.datacenter(), req.has("pretty")));
  if (protect) r.set_header("X-Beacon-Protected", "true");
  return r;
}

// GET /v1/health/checks/:service: the service checks of every instance.
// `?node-meta=`, `?filter=` (on each check).
Response health_checks(Env& env, const Request& req) {
  auto rf = read_filter(req);
  if (!rf) return text_error(400, rf.error());
  std::vector<CheckView> out;
  for (const catalog::Service* s : env.ctx.replica().instances(req.param("service"))) {
    if (!rf->node_matches(env.ctx.replica().node(s->node))) continue;
    for (const catalog::Check* c : env.ctx.replica().service_checks(s->node, s->id)) {
      CheckView v = check_view(env, *c);
      if (rf->has_expression() && !rf->element_matches(encode_checks({v}, false))) continue;
      out.push_back(std::move(v));
    }
  }
  return json_body(encode_checks(out, req.has("pretty")));
}

// GET /v1/health/node/:node: every check on the node.
// `?filter=` (on each check).
Response health_node(Env& env, const Request& req) {
  auto rf = read_filter(req);
  if (!rf) return text_error(400, rf.error());
  std::vector<CheckView> out;
  const auto& checks = env.ctx.replica().checks();
  const std::string& node = req.param("node");
  for (auto it = checks.lower_bound({node, std::string()}); it != checks.end() && it->first.first == node; ++it) {
    CheckView v = check_view(env, it->second);
    if (rf->has_expression() && !rf->element_matches(encode_checks({v}, false))) continue;
    out.push_back(std::move(v));
  }
  return json_body(encode_checks(out, req.has("pretty")));
}

// GET /v1/health/state/:state: `?node-meta=`, `?filter=` (on each check).
Response health_state(Env& env, const Request& req) {
  auto rf = read_filter(req);
  if (!rf) return text_error(400, rf.error());
  const std::string& state = req.param("state");
  std::optional<catalog::Health> wanted;
  if (state != "any") {
    wanted = catalog::parse_health(state);
    if (!wanted) return text_error(400, "Invalid state: \"" + state + "\" (passing, warning, critical or any)");
  }
  std::vector<CheckView> out;
  for (const auto& [key, check] : env.ctx.replica().checks()) {
    if (!rf->node_matches(env.ctx.replica().node(check.node))) continue;
    CheckView v = check_view(env, check);
    if (wanted && v.check.status != *wanted) continue;
    if (rf->has_expression() && !rf->element_matches(encode_checks({v}, false))) continue;
    out.push_back(std::move(v));
  }
  return json_body(encode_checks(out, req.has("pretty")));
}

}  // namespace

CheckView check_view(const Env& env, const catalog::Check& check) {
  CheckView v;
  v.check = check;
  if (check.node == env.local_node()) {
    if (auto live = env.ctx.health.state(check.id)) {
      v.check.status = live->status;
      v.check.output = live->output;
    }
  }
  if (!check.service_id.empty()) {
    if (const catalog::Service* s = env.ctx.replica().service(check.node, check.service_id)) {
      v.service_name = s->name;
      v.service_tags = s->tags;
    }
  }
  if (is_maintenance(check)) {
    v.type = "maintenance";
  } else if (!check.definition.empty()) {
    if (auto def = catalog::decode_check_definition(check.definition)) v.type = kind_name(def->kind);
  }
  return v;
}

std::vector<CheckView> instance_checks(const Env& env, const catalog::Service& instance) {
  std::vector<CheckView> out;
  for (const catalog::Check* c : env.ctx.replica().node_checks(instance.node)) out.push_back(check_view(env, *c));
  for (const catalog::Check* c : env.ctx.replica().service_checks(instance.node, instance.id)) {
    out.push_back(check_view(env, *c));
  }
  return out;
}

std::string aggregated_status(const std::vector<CheckView>& checks) {
  catalog::Health worst = catalog::Health::passing;
  for (const CheckView& c : checks) {
    if (is_maintenance(c.check)) return "maintenance";
    worst = std::max(worst, c.check.status);
  }
  return catalog::health_name(worst);
}

std::vector<const catalog::Service*> tagged_instances(const Env& env, const std::string& name,
                                                      const std::vector<std::string>& tags) {
  std::vector<const catalog::Service*> out;
  for (const catalog::Service* s : env.ctx.replica().instances(name)) {
    bool all = true;
    for (const std::string& tag : tags) {
      all = all && std::any_of(s->tags.begin(), s->tags.end(), [&](const std::string& t) { return iequals(t, tag); });
    }
    if (all) out.push_back(s);
  }
  return out;
}

Response permission_denied(const Request& request, const std::string& what) {
  log::warn("http", "permission denied to ", request.identity.description(), ": ", what);
  return text_error(403, "Permission denied");
}

Response store_error(const catalog::Error& error) {
  switch (error.code) {
    case catalog::Error::Code::invalid: return text_error(400, error.message);
    case catalog::Error::Code::not_found: return text_error(404, error.message);
    case catalog::Error::Code::unavailable: return text_error(503, error.message);
    default: return text_error(500, error.message);
  }
}

// GET /v1/health/connect/:service and /v1/catalog/connect/:service: beacon has no service
// mesh, so no instance is Connect-capable; Consul answers an empty list for such a service,
// and clients that ask (Nomad, Spring, consul-template) expect that rather than a 404.
static Response no_connect_instances(Env&, const Request& req) { return json_body(req.has("pretty") ? "[]\n" : "[]"); }

void add_health_routes(Router& router, Env& env) {
  auto route = [&](std::string pattern, Response (*fn)(Env&, const Request&), Part (*part)(const Request&)) {
    router.add(Route{"GET", std::move(pattern), [&env, fn](const Request& r) { return fn(env, r); }, part,
                     ReadAcl::empty_array, true});
  };
  route("/v1/health/service/:service", health_service, service_part);
  route("/v1/health/checks/:service", health_checks, service_part);
  route("/v1/health/node/:node", health_node, node_part);
  route("/v1/health/state/:state", health_state, all_part);
  route("/v1/health/connect/:service", no_connect_instances, service_part);
  route("/v1/catalog/connect/:service", no_connect_instances, service_part);
}

}  // namespace beacon::api
