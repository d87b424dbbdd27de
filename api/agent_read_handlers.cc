// /v1/agent/* reads: this agent's services, checks, identity and local health.
//
// Their X-Consul-Index is the local node's part index, so `?index=` blocking works on them
// too (Consul uses content hashes there; the index serves the same purpose).
#include "api/filter_query.h"
#include "api/handlers.h"

namespace beacon::api {
namespace {

std::vector<const catalog::Service*> local_services(const Env& env) {
  std::vector<const catalog::Service*> out;
  const std::string& node = env.local_node();
  const auto& all = env.ctx.replica().services();
  for (auto it = all.lower_bound({node, std::string()}); it != all.end() && it->first.first == node; ++it) {
    out.push_back(&it->second);
  }
  return out;
}

// `?filter=` (on each service).
Response agent_services(Env& env, const Request& req) {
  auto rf = read_filter(req);
  if (!rf) return text_error(400, rf.error());
  std::vector<const catalog::Service*> out;
  for (const catalog::Service* s : local_services(env)) {
    if (rf->has_expression() && !rf->element_matches(encode_agent_services({s}, env.datacenter(), false))) continue;
    out.push_back(s);
  }
  return json_body(encode_agent_services(out, env.datacenter(), req.has("pretty")));
}

Response agent_service(Env& env, const Request& req) {
  const std::string& id = req.param("id");
  const catalog::Service* s = env.ctx.replica().service(env.local_node(), id);
  if (s == nullptr) return text_error(404, "unknown service ID: " + id);
  return json_body(encode_agent_service(*s, env.datacenter(), req.has("pretty")));
}

// `?filter=` (on each check).
Response agent_checks(Env& env, const Request& req) {
  auto rf = read_filter(req);
  if (!rf) return text_error(400, rf.error());
  std::vector<CheckView> out;
  const std::string& node = env.local_node();
  const auto& checks = env.ctx.replica().checks();
  for (auto it = checks.lower_bound({node, std::string()}); it != checks.end() && it->first.first == node; ++it) {
    CheckView v = check_view(env, it->second);
    if (rf->has_expression() && !rf->element_matches(encode_agent_checks({v}, false))) continue;
    out.push_back(std::move(v));
  }
  return json_body(encode_agent_checks(out, req.has("pretty")));
}

Response agent_self(Env& env, const Request& req) {
  return json_body(encode_agent_self(env.config(), env.ctx.version, req.has("pretty")));
}

Response agent_members(Env& env, const Request& req) {
  return json_body(encode_agent_members(env.config(), env.ctx.version, req.has("pretty")));
}

// 200 passing, 429 warning, 503 critical or maintenance; `?format=text` gives the bare word.
Response agent_health(Env& env, const Request& req, std::vector<const catalog::Service*> services, bool as_list,
                      const std::string& not_found) {
  bool text = req.get("format").value_or("") == "text";
  if (services.empty()) return text_error(404, not_found);
  std::vector<InstanceView> views;
  int rank = 0;  // 0 passing, 1 warning, 2 critical/maintenance
  std::string worst = "passing";
  for (const catalog::Service* s : services) {
    InstanceView v;
    v.service = s;
    v.checks = instance_checks(env, *s);
    v.aggregated = aggregated_status(v.checks);
    int r = v.aggregated == "passing" ? 0 : v.aggregated == "warning" ? 1 : 2;
    if (r > rank || (r == 2 && v.aggregated == "maintenance")) {
      rank = r;
      worst = v.aggregated;
    }
    views.push_back(std::move(v));
  }
  int status = rank == 0 ? 200 : rank == 1 ? 429 : 503;
  if (text) {
    Response r = text_error(status, worst);
    return r;
  }
  return json_body(encode_agent_health(views, env.datacenter(), as_list, req.has("pretty")), status);
}

Response agent_health_by_name(Env& env, const Request& req) {
  const std::string& name = req.param("name");
  std::vector<const catalog::Service*> matching;
  for (const catalog::Service* s : local_services(env)) {
    if (s->name == name) matching.push_back(s);
  }
  return agent_health(env, req, std::move(matching), true, "ServiceName " + name + " Not Found");
}

Response agent_health_by_id(Env& env, const Request& req) {
  const std::string& id = req.param("id");
  std::vector<const catalog::Service*> matching;
  if (const catalog::Service* s = env.ctx.replica().service(env.local_node(), id)) matching.push_back(s);
  return agent_health(env, req, std::move(matching), false, "ServiceId " + id + " not found");
}

}  // namespace

void add_agent_read_routes(Router& router, Env& env) {
  auto local = [&env](const Request&) { return Part{Part::Kind::node, env.local_node()}; };
  auto add = [&](std::string pattern, Response (*fn)(Env&, const Request&), ReadAcl acl) {
    router.add(Route{"GET", std::move(pattern), [&env, fn](const Request& r) { return fn(env, r); }, local, acl, false});
  };
  add("/v1/agent/services", agent_services, ReadAcl::empty_object);
  add("/v1/agent/service/:id", agent_service, ReadAcl::forbidden);
  add("/v1/agent/checks", agent_checks, ReadAcl::empty_object);
  add("/v1/agent/self", agent_self, ReadAcl::forbidden);
  add("/v1/agent/members", agent_members, ReadAcl::empty_array);
  add("/v1/agent/health/service/name/:name", agent_health_by_name, ReadAcl::forbidden);
  add("/v1/agent/health/service/id/:id", agent_health_by_id, ReadAcl::forbidden);
}

}  // namespace beacon::api
