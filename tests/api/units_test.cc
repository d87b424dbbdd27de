// Pieces without sockets: router, query parsing, ACL resolution, JSON input, node IDs.
#include <catch2/catch.hpp>

#include "api/acl.h"
#include "api/json_codec.h"
#include "api/json_input.h"
#include "api/request.h"
#include "api/router.h"

namespace beacon::api {
namespace {

Response fixed(int status) { return text_error(status, ""); }

TEST_CASE("router matches methods, literal segments and parameters", "[api][router]") {
  Router r;
  r.add(Route{"GET", "/v1/catalog/service/:service", [](const Request&) { return fixed(1); }, {}, ReadAcl::none, false});
  r.add(Route{"PUT", "/v1/catalog/register", [](const Request&) { return fixed(2); }, {}, ReadAcl::none, false});
  r.add(Route{"GET", "/v1/health/node/:node/x", [](const Request&) { return fixed(3); }, {}, ReadAcl::none, false});

  auto m = r.match("GET", "/v1/catalog/service/web");
  REQUIRE(m.route);
  CHECK(m.params["service"] == "web");
  m = r.match("GET", "/v1/catalog/service/a/b");  // a last parameter takes the rest
  REQUIRE(m.route);
  CHECK(m.params["service"] == "a/b");
  m = r.match("GET", "/v1/catalog/register");
  CHECK_FALSE(m.route);
  CHECK(m.path_known);
  CHECK(m.allowed_methods == std::vector<std::string>{"PUT"});
  m = r.match("GET", "/v1/catalog/registerx");
  CHECK_FALSE(m.path_known);
  m = r.match("GET", "/v1/health/node/n1/x");
  REQUIRE(m.route);
  CHECK(m.params["node"] == "n1");
  CHECK_FALSE(r.match("GET", "/v1/health/node//x").route);
  CHECK_FALSE(r.match("GET", "/v1/catalog").path_known);
}

TEST_CASE("query strings decode and flags read like Consul's", "[api][request]") {
  Request req;
  req.query = parse_query("pretty&tag=a&tag=b%20c&passing=false&note=x+y&index=12&wait=2s");
  CHECK(req.has("pretty"));
  CHECK(req.flag("pretty"));
  CHECK_FALSE(req.flag("passing"));
  CHECK_FALSE(req.flag("absent"));
  CHECK(req.all("tag") == std::vector<std::string>{"a", "b c"});
  CHECK(req.get("note") == "x y");
  auto b = parse_blocking(req);
  REQUIRE(b);
  CHECK(b->index == 12);
  CHECK(b->wait == std::chrono::seconds(2));
  req.query = parse_query("wait=1h");
  CHECK(parse_blocking(req)->wait == std::chrono::minutes(10));
  req.query = {};
  CHECK(parse_blocking(req)->wait == std::chrono::minutes(5));
  CHECK(percent_decode("/v1/a%2Fb%zz", false) == "/v1/a/b%zz");
}

TEST_CASE("identities from tokens", "[api][acl]") {
  config::AclConfig acl;
  CHECK(resolve_identity(acl, "").can_write_node());  // disabled
  acl.enabled = true;
  acl.default_policy = "deny";
  acl.tokens = {{"s1", "web team", "write", {"web", "api-"}}, {"s2", "", "read", {}}};
  Identity anon = resolve_identity(acl, "");
  CHECK_FALSE(anon.can_read());
  CHECK_FALSE(anon.can_write_service("web"));
  CHECK(anon.description() == "anonymous");
  Identity w = resolve_identity(acl, "s1");
  CHECK(w.can_read());
  CHECK(w.can_write_service("web"));
  CHECK(w.can_write_service("webshop"));
  CHECK(w.can_write_service("api-gw"));
  CHECK_FALSE(w.can_write_service("db"));
  CHECK_FALSE(w.can_write_node());
  CHECK(w.description().find("s1") == std::string::npos);
  Identity r = resolve_identity(acl, "s2");
  CHECK(r.can_read());
  CHECK_FALSE(r.can_write_service("web"));
  CHECK_FALSE(resolve_identity(acl, "s3").can_read());
  acl.default_policy = "allow";
  CHECK(resolve_identity(acl, "s3").can_write_node());
}

TEST_CASE("registration bodies decode in either key style", "[api][json]") {
  auto a = decode_service_registration(
      R"({"Name":"web","ID":"w1","Tags":["a"],"Port":80,"Weights":{"Passing":2,"Warning":0},"Check":{"TTL":"5s"}})");
  auto b = decode_service_registration(
      R"({"name":"web","id":"w1","tags":["a"],"port":80,"weights":{"passing":2,"warning":0},"check":{"ttl":"5s"}})");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->service == b->service);
  CHECK(a->service.weights.passing == 2);
  CHECK(a->checks.size() == 1);
  CHECK_FALSE(a->checks[0].status_given);
  auto c = decode_check_registration(R"({"Name":"c","CheckID":"c1","service_id":"w1","Status":"passing"})");
  REQUIRE(c);
  CHECK(c->id == "c1");
  CHECK(c->service_id == "w1");
  CHECK(c->status_given);
  CHECK(decode_service_registration(R"({"Name":"x","Weights":{"Passing":70000}})").error().find("Weights") !=
        std::string::npos);
  auto u = decode_check_update(R"({"status":"warning","output":"o"})");
  REQUIRE(u);
  CHECK(u->status == catalog::Health::warning);
  CHECK(u->output == "o");
}

TEST_CASE("node IDs are stable and UUID-shaped", "[api][json]") {
  std::string a = node_uuid("agent1");
  CHECK(a == node_uuid("agent1"));
  CHECK(a != node_uuid("agent2"));
  REQUIRE(a.size() == 36);
  CHECK(a[8] == '-');
  CHECK(a[14] == '5');
}

}  // namespace
}  // namespace beacon::api
