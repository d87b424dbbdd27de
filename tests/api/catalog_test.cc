// Catalog endpoints: external nodes and services, and every catalog read's shape.
#include <catch2/catch.hpp>

#include "tests/api/fixture.h"

namespace beacon::api::test {
namespace {

constexpr const char* kExternal = R"({
  "Datacenter": "dc1", "Node": "ext1", "Address": "192.168.1.10", "NodeMeta": {"rack": "r1"},
  "Service": {"ID": "redis1", "Service": "redis", "Tags": ["primary"], "Address": "192.168.1.11",
              "Port": 6379, "Meta": {"v": "7"}, "Weights": {"Passing": 5, "Warning": 1}},
  "Check": {"CheckID": "redis-alive", "Name": "Redis alive", "Status": "passing", "ServiceID": "redis1",
            "Output": "PONG"},
  "Checks": [{"CheckID": "ext-ping", "Name": "ping", "Status": "passing"}]
})";

TEST_CASE("catalog register of an external node and service, and deregister", "[api][catalog]") {
  Stack s;
  auto r = s.put("/v1/catalog/register", kExternal);
  REQUIRE(r.status == 200);
  CHECK(r.body == "true");

  auto nodes = s.get("/v1/catalog/nodes");
  REQUIRE(nodes.status == 200);
  REQUIRE(nodes.json().size() == 1);
  auto n = nodes.json()[0];
  CHECK(n["Node"] == "ext1");
  CHECK(n["Address"] == "192.168.1.10");
  CHECK(n["Datacenter"] == "dc1");
  CHECK(n["Meta"]["rack"] == "r1");
  CHECK(n["TaggedAddresses"]["lan"] == "192.168.1.10");
  CHECK(n["ID"].get<std::string>().size() == 36);
  CHECK(n["CreateIndex"].get<uint64_t>() >= 1);

  auto svc = s.get("/v1/catalog/service/redis").json();
  REQUIRE(svc.size() == 1);
  CHECK(svc[0]["Node"] == "ext1");
  CHECK(svc[0]["Address"] == "192.168.1.10");
  CHECK(svc[0]["NodeMeta"]["rack"] == "r1");
  CHECK(svc[0]["ServiceID"] == "redis1");
  CHECK(svc[0]["ServiceName"] == "redis");
  CHECK(svc[0]["ServiceTags"] == nlohmann::json({"primary"}));
  CHECK(svc[0]["ServiceAddress"] == "192.168.1.11");
  CHECK(svc[0]["ServicePort"] == 6379);
  CHECK(svc[0]["ServiceMeta"]["v"] == "7");
  CHECK(svc[0]["ServiceWeights"]["Passing"] == 5);
  CHECK(svc[0]["ModifyIndex"].get<uint64_t>() >= svc[0]["CreateIndex"].get<uint64_t>());

  auto node = s.get("/v1/catalog/node/ext1").json();
  CHECK(node["Node"]["Node"] == "ext1");
  CHECK(node["Services"]["redis1"]["Service"] == "redis");
  CHECK(node["Services"]["redis1"]["Port"] == 6379);

  auto health = s.get("/v1/health/service/redis").json();
  REQUIRE(health.size() == 1);
  CHECK(health[0]["Node"]["Node"] == "ext1");
  CHECK(health[0]["Service"]["ID"] == "redis1");
  REQUIRE(health[0]["Checks"].size() == 2);  // the node check, then the service check
  CHECK(health[0]["Checks"][0]["CheckID"] == "ext-ping");
  CHECK(health[0]["Checks"][1]["CheckID"] == "redis-alive");
  CHECK(health[0]["Checks"][1]["Output"] == "PONG");
  CHECK(health[0]["Checks"][1]["ServiceName"] == "redis");

  // Catalog checks are status-only: the agent does not run them.
  CHECK(s.get("/v1/agent/checks").json().empty());

  REQUIRE(s.put("/v1/catalog/deregister", R"({"Node":"ext1","ServiceID":"redis1"})").body == "true");
  CHECK(s.get("/v1/catalog/service/redis").json().empty());
  CHECK(s.get("/v1/catalog/nodes").json().size() == 1);
  REQUIRE(s.put("/v1/catalog/deregister", R"({"Node":"ext1","CheckID":"ext-ping"})").status == 200);
  CHECK(s.get("/v1/health/node/ext1").json().empty());
  REQUIRE(s.put("/v1/catalog/deregister", R"({"Node":"ext1"})").status == 200);
  CHECK(s.get("/v1/catalog/nodes").json().empty());

  auto missing = s.get("/v1/catalog/node/ext1");
  CHECK(missing.status == 200);
  CHECK(missing.body == "null");
}

TEST_CASE("catalog and health reads on a small catalog", "[api][catalog][health]") {
  Stack s;
  REQUIRE(s.put("/v1/agent/service/register",
                R"({"Name":"web","ID":"web1","Tags":["v1"],"Port":80,"Check":{"TTL":"60s","Status":"passing"}})")
              .status == 200);
  REQUIRE(s.put("/v1/agent/service/register",
                R"({"Name":"web","ID":"web2","Tags":["v2","Canary"],"Port":81,"Check":{"TTL":"60s"}})")
              .status == 200);
  REQUIRE(s.put("/v1/catalog/register", kExternal).status == 200);

  auto services = s.get("/v1/catalog/services").json();
  CHECK(services["web"] == nlohmann::json({"v1", "v2", "Canary"}));
  CHECK(services["redis"] == nlohmann::json({"primary"}));
  CHECK(s.get("/v1/catalog/datacenters").json() == nlohmann::json({"dc1"}));
  CHECK(s.get("/v1/catalog/nodes").json().size() == 2);

  // ?tag (repeatable, case-insensitive) and ?passing.
  CHECK(s.get("/v1/catalog/service/web").json().size() == 2);
  auto v2 = s.get("/v1/catalog/service/web?tag=v2").json();
  REQUIRE(v2.size() == 1);
  CHECK(v2[0]["ServiceID"] == "web2");
  CHECK(s.get("/v1/catalog/service/web?tag=v2&tag=canary").json().size() == 1);
  CHECK(s.get("/v1/catalog/service/web?tag=v1&tag=v2").json().empty());
  CHECK(s.get("/v1/health/service/web").json().size() == 2);
  auto passing = s.get("/v1/health/service/web?passing").json();
  REQUIRE(passing.size() == 1);
  CHECK(passing[0]["Service"]["ID"] == "web1");
  CHECK(s.get("/v1/health/service/web?passing=false").json().size() == 2);
  CHECK(s.get("/v1/health/service/web?passing&tag=v2").json().empty());
  CHECK(s.get("/v1/health/service/nope").json().empty());

  auto checks = s.get("/v1/health/checks/web").json();
  REQUIRE(checks.size() == 2);
  CHECK(checks[0]["ServiceName"] == "web");
  CHECK(s.get("/v1/health/node/ext1").json().size() == 2);
  CHECK(s.get("/v1/health/node/agent1").json().size() == 2);
  CHECK(s.get("/v1/health/state/passing").json().size() == 3);
  auto critical = s.get("/v1/health/state/critical").json();
  REQUIRE(critical.size() == 1);
  CHECK(critical[0]["CheckID"] == "service:web2");
  CHECK(s.get("/v1/health/state/warning").json().empty());
  CHECK(s.get("/v1/health/state/any").json().size() == 4);
  CHECK(s.get("/v1/health/state/bogus").status == 400);

  CHECK(s.get("/v1/status/leader").json() == "127.0.0.1:8300");
  CHECK(s.get("/v1/status/peers").json() == nlohmann::json({"127.0.0.1:8300"}));

  // ?pretty indents with four spaces; without it the output is compact.
  CHECK(s.get("/v1/catalog/datacenters?pretty").body == "[\n    \"dc1\"\n]");
  CHECK(s.get("/v1/catalog/datacenters").body == "[\"dc1\"]");
  // Another datacenter is not reachable.
  CHECK(s.get("/v1/catalog/services?dc=dc2").status == 500);
  CHECK(s.get("/v1/catalog/services?dc=dc1").status == 200);
}

TEST_CASE("X-Consul-Index grows with each change of the part read", "[api][catalog]") {
  Stack s;
  // A first write, so that the index is past Consul's floor of 1 (an empty store is at 0).
  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"seed"})").status == 200);
  uint64_t i0 = s.get("/v1/catalog/services").index();
  CHECK(i0 >= 1);
  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"web"})").status == 200);
  uint64_t i1 = s.get("/v1/catalog/services").index();
  CHECK(i1 > i0);
  uint64_t web1 = s.get("/v1/health/service/web").index();
  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"db"})").status == 200);
  CHECK(s.get("/v1/catalog/services").index() > i1);
  CHECK(s.get("/v1/health/service/web").index() == web1);  // db's change is not web's
  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"web","Tags":["t"]})").status == 200);
  CHECK(s.get("/v1/health/service/web").index() > web1);
  CHECK(s.get("/v1/catalog/node/agent1").index() == s.store_index());
}

}  // namespace
}  // namespace beacon::api::test
