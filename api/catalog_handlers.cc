// /v1/catalog/* handlers: external nodes and services, and the catalog reads.
//
// Catalog registration writes what it is given: checks here have a status and no definition,
// so no agent runs them. A registration may take up to three commits (node, service with its
// checks, other checks); everything is validated and authorised before the first.
#include <optional>
#include <set>

#include "api/filter_query.h"
#include "api/handlers.h"
#include "api/json_input.h"
#include "log/log.h"

namespace beacon::api {
namespace {

Part service_part(const Request& r) { return Part{Part::Kind::service, r.param("service")}; }
Part node_part(const Request& r) { return Part{Part::Kind::node, r.param("node")}; }
Part all_part(const Request&) { return Part{}; }

bool node_differs(const catalog::Node* stored, const catalog::Node& wanted, const std::string& our_dc) {
  if (stored == nullptr) return true;
  std::string dc = wanted.datacenter.empty() ? our_dc : wanted.datacenter;
  return stored->address != wanted.address || stored->meta != wanted.meta || stored->datacenter != dc;
}

// PUT /v1/catalog/register
Response catalog_register(Env& env, const Request& req) {
  auto reg = decode_catalog_registration(req.body);
  if (!reg) return text_error(400, reg.error());
  const config::Config& config = env.config();
  if (!reg->node.datacenter.empty() && reg->node.datacenter != config.datacenter) {
    return text_error(500, "No path to datacenter");
  }
  const catalog::Replica& replica = env.ctx.replica();
  const catalog::Node* stored = replica.node(reg->node.name);
  if (stored == nullptr && reg->skip_node_update) {
    return text_error(400, "Must provide address if SkipNodeUpdate is not set");
  }
  bool write_node = !reg->skip_node_update && node_differs(stored, reg->node, config.datacenter);
  // Like Consul, re-posting unchanged node information needs no node rights.
  if (write_node && !req.identity.can_write_node()) return permission_denied(req, "register node " + reg->node.name);

  std::vector<catalog::Check> service_checks, other_checks;
  for (const CheckInput& in : reg->checks) {
    catalog::Check c;
    c.id = in.id.empty() ? in.name : in.id;
    if (c.id.empty()) return text_error(400, "Missing check ID");
    c.name = in.name.empty() ? c.id : in.name;
    c.node = reg->node.name;
    c.service_id = in.service_id;
    c.notes = in.notes;
    c.output = in.output;
    if (in.status_given) {
      auto status = catalog::parse_health(in.status);
      if (!status) return text_error(400, "Invalid check status: '" + in.status + "'");
      c.status = *status;
    }
    if (c.service_id.empty()) {
      if (!req.identity.can_write_node()) return permission_denied(req, "register node check " + c.id);
      other_checks.push_back(std::move(c));
      continue;
    }
    if (reg->service && reg->service->id == c.service_id) {
      service_checks.push_back(std::move(c));
      continue;
    }
    const catalog::Service* owner = replica.service(reg->node.name, c.service_id);
    if (owner == nullptr) return text_error(400, "ServiceID \"" + c.service_id + "\" does not exist");
    if (!req.identity.can_write_service(owner->name)) return permission_denied(req, "register check " + c.id);
    other_checks.push_back(std::move(c));
  }
  if (reg->service && !req.identity.can_write_service(reg->service->name)) {
    return permission_denied(req, "register service " + reg->service->name);
  }

  std::optional<catalog::Service> service;
  if (reg->service) {
    service = *reg->service;
    service->node = reg->node.name;
    service->source = "api";
  }
  // One transaction: the node, the service and every check, or nothing.
  if (auto r = env.ctx.writer.register_catalog(write_node ? &reg->node : nullptr, service ? &*service : nullptr,
                                               service_checks, other_checks);
      !r)
    return store_error(r.error());
  log::info("http", "catalog register of node ", reg->node.name,
            reg->service ? " service " + reg->service->id : std::string(), " by ", req.identity.description());
  return json_body(encode_bool(true));
}

// PUT /v1/catalog/deregister
Response catalog_deregister(Env& env, const Request& req) {
  auto dereg = decode_catalog_deregistration(req.body);
  if (!dereg) return text_error(400, dereg.error());
  const catalog::Replica& replica = env.ctx.replica();
  const Identity& who = req.identity;

  if (dereg->service_id.empty() && dereg->check_id.empty()) {
    if (!who.can_write_node()) return permission_denied(req, "deregister node " + dereg->node);
    if (auto r = env.ctx.writer.deregister_node(dereg->node); !r) return store_error(r.error());
    return json_body(encode_bool(true));
  }
  // Authorise both parts before writing either.
  const catalog::Service* service =
      dereg->service_id.empty() ? nullptr : replica.service(dereg->node, dereg->service_id);
  if (!dereg->service_id.empty()) {
    bool ok = service ? who.can_write_service(service->name) : who.can_write_node();
    if (!ok) return permission_denied(req, "deregister service " + dereg->service_id);
  }
  if (!dereg->check_id.empty()) {
    const catalog::Check* check = replica.check(dereg->node, dereg->check_id);
    const catalog::Service* owner =
        check && !check->service_id.empty() ? replica.service(dereg->node, check->service_id) : nullptr;
    bool ok = owner ? who.can_write_service(owner->name) : who.can_write_node();
    if (!ok) return permission_denied(req, "deregister check " + dereg->check_id);
  }
  if (service) {
    if (auto r = env.ctx.writer.deregister_service(dereg->node, dereg->service_id); !r) return store_error(r.error());
  }
  if (!dereg->check_id.empty()) {
    if (auto r = env.ctx.writer.deregister_check(dereg->node, dereg->check_id); !r) return store_error(r.error());
  }
  return json_body(encode_bool(true));
}

// GET /v1/catalog/services: every name with the union of its instances' tags. With
// `?node-meta=` or `?filter=` (on each instance, as /v1/catalog/service/:name shows it),
// only the names of the instances that pass, with their tags.
Response catalog_services(Env& env, const Request& req) {
  auto rf = read_filter(req);
  if (!rf) return text_error(400, rf.error());
  const catalog::Replica& replica = env.ctx.replica();
  std::map<std::string, std::vector<std::string>> out;
  for (const std::string& name : replica.service_names()) {
    std::vector<std::string> tags;
    std::set<std::string> seen;
    bool any = false;
    for (const catalog::Service* s : replica.instances(name)) {
      InstanceView v;
      v.node = replica.node(s->node);
      v.service = s;
      if (!rf->node_matches(v.node)) continue;
      if (rf->has_expression() && !rf->element_matches(encode_catalog_service({v}, env.datacenter(), false))) continue;
      any = true;
      for (const std::string& t : s->tags) {
        if (seen.insert(t).second) tags.push_back(t);
      }
    }
    bool filtered = rf->has_expression() || !rf->node_meta.empty();
    if (any || !filtered) out[name] = std::move(tags);
  }
  return json_body(encode_catalog_services(out, req.has("pretty")));
}

// GET /v1/catalog/service/:service: `?tag=` (repeatable: every tag), `?node-meta=`, `?filter=`.
Response catalog_service(Env& env, const Request& req) {
  auto rf = read_filter(req);
  if (!rf) return text_error(400, rf.error());
  std::vector<InstanceView> out;
  for (const catalog::Service* s : tagged_instances(env, req.param("service"), req.all("tag"))) {
    InstanceView v;
    v.node = env.ctx.replica().node(s->node);
    v.service = s;
    if (!rf->node_matches(v.node)) continue;
    if (rf->has_expression() && !rf->element_matches(encode_catalog_service({v}, env.datacenter(), false))) continue;
    out.push_back(std::move(v));
  }
  return json_body(encode_catalog_service(out, env.datacenter(), req.has("pretty")));
}

// GET /v1/catalog/nodes: `?node-meta=`, `?filter=`.
Response catalog_nodes(Env& env, const Request& req) {
  auto rf = read_filter(req);
  if (!rf) return text_error(400, rf.error());
  std::vector<const catalog::Node*> out;
  for (const auto& [name, node] : env.ctx.replica().nodes()) {
    if (!rf->node_matches(&node)) continue;
    if (rf->has_expression() && !rf->element_matches(encode_nodes({&node}, false))) continue;
    out.push_back(&node);
  }
  return json_body(encode_nodes(out, req.has("pretty")));
}

// GET /v1/catalog/node/:node: 200 with `null` for an unknown node, as Consul answers.
// `?filter=` applies to the node's services.
Response catalog_node(Env& env, const Request& req) {
  auto rf = read_filter(req);
  if (!rf) return text_error(400, rf.error());
  const std::string& name = req.param("node");
  const catalog::Node* node = env.ctx.replica().node(name);
  std::vector<const catalog::Service*> services;
  const auto& all = env.ctx.replica().services();
  for (auto it = all.lower_bound({name, std::string()}); it != all.end() && it->first.first == name; ++it) {
    if (node && rf->has_expression() && !rf->element_matches(encode_catalog_node(node, {&it->second}, false), "Services"))
      continue;
    services.push_back(&it->second);
  }
  return json_body(encode_catalog_node(node, services, req.has("pretty")));
}

Response catalog_datacenters(Env& env, const Request& req) {
  std::vector<std::string> names{env.datacenter()};
  for (const auto& dc : env.config().datacenters) names.push_back(dc.name);
  return json_body(encode_strings(names, req.has("pretty")));
}

}  // namespace

void add_catalog_routes(Router& router, Env& env) {
  auto bind = [&env](Response (*fn)(Env&, const Request&)) {
    return [&env, fn](const Request& r) { return fn(env, r); };
  };
  router.add(Route{"PUT", "/v1/catalog/register", bind(catalog_register), {}, ReadAcl::none, true});
  router.add(Route{"PUT", "/v1/catalog/deregister", bind(catalog_deregister), {}, ReadAcl::none, true});
  router.add(Route{"GET", "/v1/catalog/services", bind(catalog_services), all_part, ReadAcl::empty_object, true});
  router.add(Route{"GET", "/v1/catalog/service/:service", bind(catalog_service), service_part, ReadAcl::empty_array,
                   true});
  router.add(Route{"GET", "/v1/catalog/nodes", bind(catalog_nodes), all_part, ReadAcl::empty_array, true});
  router.add(Route{"GET", "/v1/catalog/node/:node", bind(catalog_node), node_part, ReadAcl::forbidden, true});
  router.add(Route{"GET", "/v1/catalog/datacenters", bind(catalog_datacenters), {}, ReadAcl::none, false});
}

}  // namespace beacon::api
