// Agent endpoints: service and check registration, maintenance, TTL updates, local health.
#include <catch2/catch.hpp>

#include "tests/api/fixture.h"

namespace beacon::api::test {
namespace {

TEST_CASE("agent service register and deregister round trip (PascalCase)", "[api][agent]") {
  Stack s;
  auto r = s.put("/v1/agent/service/register",
                 R"({"Name":"web","ID":"web1","Tags":["v1","primary"],"Address":"10.0.0.5","Port":8080,
                     "Meta":{"version":"1"},"Weights":{"Passing":3,"Warning":1},
                     "TaggedAddresses":{"lan":{"Address":"10.0.0.5","Port":8080}},"EnableTagOverride":true})");
  REQUIRE(r.status == 200);
  CHECK(r.header("X-Consul-KnownLeader") == "true");

  auto services = s.get("/v1/agent/services");
  REQUIRE(services.status == 200);
  CHECK(services.header("Content-Type") == "application/json");
  CHECK(services.index() >= 1);
  auto j = services.json();
  REQUIRE(j.contains("web1"));
  CHECK(j["web1"]["ID"] == "web1");
  CHECK(j["web1"]["Service"] == "web");
  CHECK(j["web1"]["Tags"] == nlohmann::json({"v1", "primary"}));
  CHECK(j["web1"]["Address"] == "10.0.0.5");
  CHECK(j["web1"]["Port"] == 8080);
  CHECK(j["web1"]["Meta"]["version"] == "1");
  CHECK(j["web1"]["Weights"]["Passing"] == 3);
  // Stored and echoed, as Nomad compares it with what it registered on every sync.
  CHECK(j["web1"]["EnableTagOverride"] == true);
  CHECK(s.get("/v1/catalog/service/web").json()[0]["ServiceEnableTagOverride"] == true);
  CHECK(j["web1"]["Datacenter"] == "dc1");

  auto one = s.get("/v1/agent/service/web1");
  REQUIRE(one.status == 200);
  CHECK(one.json()["Service"] == "web");
  CHECK(one.json().contains("ContentHash"));
  CHECK(s.get("/v1/agent/service/nope").status == 404);

  // The agent's node was written too, with bind_addr.
  auto node = s.get("/v1/catalog/node/agent1").json();
  CHECK(node["Node"]["Address"] == "127.0.0.1");
  CHECK(node["Services"].contains("web1"));

  REQUIRE(s.put("/v1/agent/service/deregister/web1").status == 200);
  CHECK(s.get("/v1/agent/services").json().empty());
  auto again = s.put("/v1/agent/service/deregister/web1");
  CHECK(again.status == 404);
  CHECK(again.body.find("Unknown service ID") != std::string::npos);
}

TEST_CASE("agent service register accepts snake_case and fills default check ID and name", "[api][agent]") {
  Stack s;
  REQUIRE(s.put("/v1/agent/service/register",
                R"({"name":"api","id":"api-1","tags":["x"],"port":9000,"meta":{"k":"v"},
                    "weights":{"passing":2,"warning":0},"protect_threshold":0.5,
                    "check":{"ttl":"30s","notes":"n1"}})")
              .status == 200);
  auto svc = s.get("/v1/agent/service/api-1").json();
  CHECK(svc["Service"] == "api");
  CHECK(svc["Port"] == 9000);
  CHECK(svc["Weights"]["Warning"] == 0);
  CHECK(svc["ProtectThreshold"] == 0.5);
  auto checks = s.get("/v1/agent/checks").json();
  REQUIRE(checks.contains("service:api-1"));
  auto c = checks["service:api-1"];
  CHECK(c["Name"] == "Service 'api' check");
  CHECK(c["Status"] == "critical");
  CHECK(c["Notes"] == "n1");
  CHECK(c["ServiceID"] == "api-1");
  CHECK(c["ServiceName"] == "api");
  CHECK(c["Type"] == "ttl");
  CHECK(c["Node"] == "agent1");

  // ID defaults to Name.
  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"solo"})").status == 200);
  CHECK(s.get("/v1/agent/services").json().contains("solo"));
}

TEST_CASE("several checks get numbered IDs; replace-existing-checks removes the others", "[api][agent]") {
  Stack s;
  REQUIRE(s.put("/v1/agent/service/register",
                R"({"Name":"web","Checks":[{"TTL":"30s"},{"TTL":"30s","Status":"passing"}]})")
              .status == 200);
  auto checks = s.get("/v1/agent/checks").json();
  REQUIRE(checks.contains("service:web:1"));
  REQUIRE(checks.contains("service:web:2"));
  CHECK(checks["service:web:1"]["Status"] == "critical");
  CHECK(checks["service:web:2"]["Status"] == "passing");

  // Without replace: the old checks stay and the new one is added.
  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"web","Check":{"CheckID":"c3","TTL":"30s"}})").status ==
          200);
  CHECK(s.get("/v1/agent/checks").json().size() == 3);

  // A re-registration without Status keeps the current status and output.
  REQUIRE(s.put("/v1/agent/check/pass/c3?note=fine").status == 200);
  REQUIRE(s.put("/v1/agent/service/register?replace-existing-checks",
                R"({"Name":"web","Check":{"CheckID":"c3","TTL":"30s"}})")
              .status == 200);
  checks = s.get("/v1/agent/checks").json();
  REQUIRE(checks.size() == 1);
  CHECK(checks["c3"]["Status"] == "passing");
  CHECK(checks["c3"]["Output"] == "fine");
}

TEST_CASE("service and node maintenance on and off", "[api][agent]") {
  Stack s;
  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"web","Port":80})").status == 200);
  CHECK(s.get("/v1/agent/health/service/name/web").status == 200);

  REQUIRE(s.put("/v1/agent/service/maintenance/web?enable=true&reason=upgrading").status == 200);
  auto checks = s.get("/v1/agent/checks").json();
  REQUIRE(checks.contains("_service_maintenance:web"));
  auto m = checks["_service_maintenance:web"];
  CHECK(m["Status"] == "critical");
  CHECK(m["Name"] == "Service Maintenance Mode");
  CHECK(m["Notes"] == "upgrading");
  CHECK(m["ServiceID"] == "web");
  auto text = s.get("/v1/agent/health/service/name/web?format=text");
  CHECK(text.status == 503);
  CHECK(text.body == "maintenance");
  CHECK(s.get("/v1/health/service/web?passing").json().empty());

  REQUIRE(s.put("/v1/agent/service/maintenance/web?enable=false").status == 200);
  CHECK_FALSE(s.get("/v1/agent/checks").json().contains("_service_maintenance:web"));
  CHECK(s.get("/v1/health/service/web?passing").json().size() == 1);

  CHECK(s.put("/v1/agent/service/maintenance/web").status == 400);
  CHECK(s.put("/v1/agent/service/maintenance/web?enable=maybe").status == 400);
  CHECK(s.put("/v1/agent/service/maintenance/nope?enable=true").status == 404);

  REQUIRE(s.put("/v1/agent/maintenance?enable=true").status == 200);
  auto node = s.get("/v1/agent/checks").json()["_node_maintenance"];
  CHECK(node["Name"] == "Node Maintenance Mode");
  CHECK(node["ServiceID"] == "");
  CHECK(node["Notes"].get<std::string>().find("no reason was provided") != std::string::npos);
  CHECK(s.get("/v1/agent/health/service/id/web").status == 503);
  CHECK(s.get("/v1/health/service/web?passing").json().empty());
  REQUIRE(s.put("/v1/agent/maintenance?enable=false").status == 200);
  CHECK(s.get("/v1/agent/checks").json().empty());
  CHECK(s.put("/v1/agent/maintenance").status == 400);
}

TEST_CASE("TTL pass, warn, fail and update reach the agent and health endpoints", "[api][agent][ttl]") {
  Stack s;
  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"web","Port":80,"Check":{"TTL":"60s"}})").status == 200);
  CHECK(s.get("/v1/agent/health/service/name/web").status == 503);

  REQUIRE(s.put("/v1/agent/check/pass/service:web?note=all%20good").status == 200);
  auto c = s.get("/v1/agent/checks").json()["service:web"];
  CHECK(c["Status"] == "passing");
  CHECK(c["Output"] == "all good");
  auto health = s.get("/v1/agent/health/service/name/web");
  CHECK(health.status == 200);
  REQUIRE(health.json().size() == 1);
  CHECK(health.json()[0]["AggregatedStatus"] == "passing");
  CHECK(health.json()[0]["Service"]["ID"] == "web");
  CHECK(s.get("/v1/health/service/web").json()[0]["Checks"][0]["Status"] == "passing");

  REQUIRE(s.put("/v1/agent/check/warn/service:web?note=slow").status == 200);
  CHECK(s.get("/v1/agent/health/service/name/web").status == 429);
  CHECK(s.get("/v1/agent/health/service/id/web?format=text").body == "warning");
  CHECK(s.get("/v1/health/service/web").json()[0]["Checks"][0]["Status"] == "warning");

  REQUIRE(s.put("/v1/agent/check/fail/service:web").status == 200);
  CHECK(s.get("/v1/agent/health/service/name/web").status == 503);

  REQUIRE(s.put("/v1/agent/check/update/service:web", R"({"Status":"passing","Output":"back"})").status == 200);
  c = s.get("/v1/agent/checks").json()["service:web"];
  CHECK(c["Status"] == "passing");
  CHECK(c["Output"] == "back");
  auto hs = s.get("/v1/health/service/web").json();
  CHECK(hs[0]["Checks"][0]["Output"] == "back");

  CHECK(s.put("/v1/agent/check/update/service:web", R"({"Status":"bogus"})").status == 400);
  CHECK(s.put("/v1/agent/check/pass/nope").status == 404);
  CHECK(s.get("/v1/agent/health/service/name/nope").status == 404);
  CHECK(s.get("/v1/agent/health/service/id/nope").status == 404);
}

TEST_CASE("agent check register and deregister", "[api][agent]") {
  Stack s;
  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"web"})").status == 200);
  REQUIRE(s.put("/v1/agent/check/register", R"({"Name":"mem","TTL":"30s","ServiceID":"web"})").status == 200);
  REQUIRE(s.put("/v1/agent/check/register", R"({"name":"disk","id":"disk1","ttl":"30s","status":"warning"})")
              .status == 200);
  auto checks = s.get("/v1/agent/checks").json();
  CHECK(checks["mem"]["ServiceID"] == "web");
  CHECK(checks["disk1"]["Status"] == "warning");
  CHECK(checks["disk1"]["ServiceID"] == "");
  auto missing = s.put("/v1/agent/check/register", R"({"Name":"x","TTL":"30s","ServiceID":"nope"})");
  CHECK(missing.status == 400);
  CHECK(missing.body.find("does not exist") != std::string::npos);
  CHECK(s.put("/v1/agent/check/register", R"({"TTL":"30s"})").status == 400);

  // A node-level warning check makes every local instance warn.
  CHECK(s.get("/v1/agent/health/service/name/web").status == 503);  // mem is critical
  REQUIRE(s.put("/v1/agent/check/deregister/mem").status == 200);
  CHECK(s.get("/v1/agent/health/service/name/web").status == 429);
  CHECK(s.put("/v1/agent/check/deregister/mem").status == 404);
  REQUIRE(s.put("/v1/agent/check/deregister/disk1").status == 200);
  CHECK(s.get("/v1/agent/checks").json().empty());
}

TEST_CASE("agent self and members describe this node", "[api][agent]") {
  Stack s;
  auto self = s.get("/v1/agent/self").json();
  CHECK(self["Config"]["Datacenter"] == "dc1");
  CHECK(self["Config"]["NodeName"] == "agent1");
  CHECK(self["Config"]["Server"] == true);
  // Consul's version (what Nomad gates on), and beacon's own beside it.
  CHECK(self["Config"]["Version"] == "1.17.0");
  CHECK(self["Config"]["BeaconVersion"] == "1.2.3-test");
  CHECK(self["DebugConfig"]["Datacenter"] == "dc1");
  CHECK(self["Member"]["Tags"]["build"] == "1.17.0:beacon-1.2.3-test");
  CHECK(self["Config"]["NodeID"].get<std::string>().size() == 36);
  CHECK(self["Member"]["Name"] == "agent1");
  auto members = s.get("/v1/agent/members").json();
  REQUIRE(members.size() == 1);
  CHECK(members[0]["Name"] == "agent1");
  CHECK(members[0]["Addr"] == "127.0.0.1");
  CHECK(members[0]["Status"] == 1);
}

TEST_CASE("Config.Version follows consul_version", "[api][agent]") {
  config::Config cfg = test_config();
  cfg.consul_version = "1.20.1";
  Stack s(cfg);
  CHECK(s.get("/v1/agent/self").json()["Config"]["Version"] == "1.20.1");
}

TEST_CASE("a wrong method on a known path is 405, connect lists are empty", "[api][agent]") {
  Stack s;
  // "register" is a path of its own, not a service ID under /v1/agent/service/:id.
  auto r = s.get("/v1/agent/service/register");
  CHECK(r.status == 405);
  CHECK(s.get("/v1/agent/check/register").status == 405);
  CHECK(s.get("/v1/agent/service/deregister/x").status == 405);
  CHECK(s.get("/v1/agent/service/nope").status == 404);
  auto connect = s.get("/v1/health/connect/web");
  CHECK(connect.status == 200);
  CHECK(connect.json() == nlohmann::json::array());
  CHECK(s.get("/v1/catalog/connect/web").json() == nlohmann::json::array());
}

}  // namespace
}  // namespace beacon::api::test
