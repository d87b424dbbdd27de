// Server (api/server.h): wires the router, the ACL, blocking queries and the HTTP layer.
//
// Every request goes through dispatch(): route (404/405), resolve the token, refuse other
// datacenters, wait for a blocking query, apply read ACLs, run the handler, and add the
// headers every Consul response carries. The state dispatch needs lives in Core, shared
// with the request coroutines: a request suspended in a blocking query when the Server is
// destroyed wakes to `stopped` and touches nothing else.
#include "api/server.h"

#include <exception>

#include "api/acl.h"
#include "api/blocking.h"
#include "api/group_commit.h"
#include "api/handlers.h"
#include "api/router.h"
#include "log/log.h"

namespace beacon::api {

namespace asio = boost::asio;

namespace {

// A datacenter this agent follows read-only: its replica answers `?dc=<name>` reads, with
// blocking queries of its own.
struct Remote {
  Remote(asio::io_context& io, Context context, std::string dc_name)
      : name(std::move(dc_name)), ctx(std::move(context)), blocking(io, ctx.replica()), env{ctx, blocking, name} {
    add_catalog_routes(router, env);
    add_health_routes(router, env);
  }
  std::string name;
  Context ctx;  // the agent's configuration (reloads reach it), this datacenter's feed
  Blocking blocking;
  Env env;
  Router router;
};

struct Core {
  Core(asio::io_context& io, Context context)
      : io(io), ctx(std::move(context)), blocking(io, ctx.replica()), committer(io, ctx.writer.store()),
        env{ctx, blocking, {}} {}
  asio::io_context& io;
  Context ctx;
  Blocking blocking;
  GroupCommitter committer;
  Env env;
  Router router;
  std::vector<std::unique_ptr<Remote>> remotes;
  bool stopped = false;

  Remote* remote(std::string_view dc) {
    for (auto& r : remotes)
      if (r->name == dc) return r.get();
    return nullptr;
  }
};

// Staleness, as Consul reports it: whether the catalog store is reachable now and how long
// ago it last answered (always "true" and 0 with the embedded store).
void add_common_headers(Response& r, const catalog::Store& store) {
  catalog::Contact c = store.contact();
  r.set_header("X-Consul-KnownLeader", c.known_leader ? "true" : "false");
  r.set_header("X-Consul-LastContact", std::to_string(c.last_contact_ms));
  r.set_header("X-Consul-Effective-Consistency", "leader");
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Response run_handler(const Route& route, const Request& request) {
  try {
    return route.handler(request);
  } catch (const std::exception& e) {
    log::error("http", request.method, " ", request.path, ": ", e.what());
    return text_error(500, std::string("Internal error: ") + e.what());
  }
}

asio::awaitable<Response> serve(std::shared_ptr<Core> core, const Route& route, Blocking& waiters,
                                Request request);

// Everything between the parsed request and the response, for one request.
asio::awaitable<Response> respond(std::shared_ptr<Core> core, Request request) {
  if (core->stopped) co_return text_error(503, "Server is shutting down");
  Router::Match match = core->router.match(request.method, request.path);
  if (match.route == nullptr) {
    if (!match.path_known) co_return text_error(404, "Invalid URL path: not a recognized HTTP API endpoint");
    Response r = text_error(405, "method " + request.method + " not allowed");
    r.set_header("Allow", join(match.allowed_methods));
    co_return r;
  }
  const Route& route = *match.route;
  request.params = std::move(match.params);
  const config::Config& config = core->env.config();
  request.identity = resolve_identity(config.acl, request.token);

  Blocking* blocking_of = &core->blocking;
  const Route* chosen = &route;
  if (route.checks_datacenter) {
    auto dc = request.get("dc");
    if (dc && !dc->empty() && *dc != config.datacenter) {
      // Reads of a followed datacenter come from its replica; writes go to its own agents.
      Remote* remote = request.method == "GET" ? core->remote(*dc) : nullptr;
      if (remote == nullptr) co_return text_error(500, "No path to datacenter");
      Router::Match m = remote->router.match(request.method, request.path);
      if (m.route == nullptr) co_return text_error(500, "No path to datacenter");
      request.params = std::move(m.params);
      chosen = m.route;
      blocking_of = &remote->blocking;
    }
  }
  co_return co_await serve(core, *chosen, *blocking_of, std::move(request));
}

// The rest of respond(): ACL, blocking wait, handler, write, index header.
asio::awaitable<Response> serve(std::shared_ptr<Core> core, const Route& route, Blocking& waiters,
                                Request request) {
  bool hidden = route.read_acl != ReadAcl::none && !request.identity.can_read();
  if (hidden && route.read_acl == ReadAcl::forbidden) co_return permission_denied(request, "read " + request.path);

  std::optional<Part> part;
  if (route.part) {
    auto blocking = parse_blocking(request);
    if (!blocking) co_return text_error(400, blocking.error());
    part = route.part(request);
    if (blocking->index > 0) {
      co_await waiters.wait(*part, blocking->index, blocking->wait);
      if (core->stopped) co_return text_error(503, "Server is shutting down");
    }
  }

  Response r;
  if (hidden) {
    r = json_body(route.read_acl == ReadAcl::empty_array ? "[]" : "{}");
    r.set_header("X-Consul-Results-Filtered-By-ACLs", "true");
  } else {
    r = run_handler(route, request);
  }
  if (!r.commit.empty()) {
    auto written = co_await core->committer.commit(std::move(r.commit));
    r.commit.clear();
    if (!written) {
      log::error("http", request.method, " ", request.path, ": the write failed: ", written.error().message);
      r = text_error(written.error().code == catalog::Error::Code::unavailable ? 503 : 500,
                     "Storage error: " + written.error().message);
    }
  }
  if (part) r.set_header("X-Consul-Index", std::to_string(waiters.index(*part)));
  co_return r;
}

asio::awaitable<Response> dispatch(std::weak_ptr<Core> weak, Request request) {
  std::string method = request.method, path = request.path;
  std::shared_ptr<Core> core = weak.lock();
  Response r;
  if (core) {
    r = co_await respond(core, std::move(request));
    add_common_headers(r, core->ctx.writer.store());
  } else {
    r = text_error(503, "Server is shutting down");
  }
  log::debug("http", method, " ", path, " ", r.status);
  co_return r;
}

}  // namespace

struct Server::Impl {
  std::shared_ptr<Core> core;
  std::unique_ptr<HttpServer> http;
};

std::expected<std::unique_ptr<Server>, std::string> Server::bind(asio::io_context& io, const std::string& address,
                                                                 uint16_t port, Context context) {
  auto impl = std::make_unique<Impl>();
  impl->core = std::make_shared<Core>(io, std::move(context));
  Env& env = impl->core->env;
  add_agent_routes(impl->core->router, env);
  add_agent_read_routes(impl->core->router, env);
  add_catalog_routes(impl->core->router, env);
  add_health_routes(impl->core->router, env);
  add_status_routes(impl->core->router, env);

  std::weak_ptr<Core> weak = impl->core;
  impl->core->ctx.feed.subscribe([weak](uint64_t index, const catalog::Change& change) {
    if (auto core = weak.lock(); core && !change.empty()) core->blocking.notify(index, change);
  });
  auto http = HttpServer::bind(io, address, port,
                               [weak](Request request) { return dispatch(weak, std::move(request)); });
  if (!http) return std::unexpected(http.error());
  impl->http = std::move(*http);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { stop(); }

uint16_t Server::port() const { return impl_->http->port(); }

void Server::set_limits(const HttpLimits& limits) { impl_->http->set_limits(limits); }

void Server::start() { impl_->http->start(); }

void Server::stop() {
  impl_->core->stopped = true;
  impl_->core->blocking.stop();
  for (auto& r : impl_->core->remotes) r->blocking.stop();
  impl_->http->stop();
}

void Server::follow_datacenter(const std::string& name, catalog::ChangeFeed& feed) {
  Core& core = *impl_->core;
  Context ctx{core.ctx.config, feed, core.ctx.writer, core.ctx.health, core.ctx.version};
  core.remotes.push_back(std::make_unique<Remote>(core.io, std::move(ctx), name));
  // The feed may outlive the server: a weak reference, and the Remote found by name.
  std::weak_ptr<Core> weak = impl_->core;
  feed.subscribe([weak, name](uint64_t index, const catalog::Change& change) {
    auto core = weak.lock();
    if (!core || change.empty()) return;
    if (Remote* r = core->remote(name)) r->blocking.notify(index, change);
  });
}

size_t Server::blocking_waiters() const { return impl_->core->blocking.waiting(); }

}  // namespace beacon::api
