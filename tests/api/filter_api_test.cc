// `?filter=`, `?node-meta=` and several `?tag=` on every read endpoint that takes them.
#include <catch2/catch.hpp>
#include <set>

#include "tests/api/fixture.h"

namespace beacon::api::test {
namespace {

// Percent-encodes a query value as Go's url.QueryEscape does (space as '+').
std::string enc(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string external(const std::string& node, const std::string& rack, const std::string& id, const std::string& tags,
                     int port, const std::string& status) {
  return R"({"Node":")" + node + R"(","Address":"10.2.0.1","NodeMeta":{"rack":")" + rack +
         R"(","os":"linux"},"Service":{"ID":")" + id + R"(","Service":"web","Tags":)" + tags +
         R"(,"Port":)" + std::to_string(port) + R"(,"Meta":{"team":"a"}},"Check":{"CheckID":"chk-)" + id +
         R"(","Name":"alive","Status":")" + status + R"(","ServiceID":")" + id + R"("}})";
}

// web1 on n1 (rack r1, prod+v1, 8080, passing), web2 on n2 (rack r2, prod, 9090, critical),
// db1 on n2 (rack r2, no tags), and one local agent service (api, tag v1) with a TTL check.
void populate(Stack& s) {
  REQUIRE(s.put("/v1/catalog/register", external("n1", "r1", "web1", R"(["prod","v1"])", 8080, "passing")).status == 200);
  REQUIRE(s.put("/v1/catalog/register", external("n2", "r2", "web2", R"(["prod"])", 9090, "critical")).status == 200);
  REQUIRE(s.put("/v1/catalog/register",
                R"({"Node":"n2","Address":"10.2.0.1","NodeMeta":{"rack":"r2","os":"linux"},
                    "Service":{"ID":"db1","Service":"db","Port":5432}})")
              .status == 200);
  REQUIRE(s.put("/v1/agent/service/register",
                R"({"Name":"api","ID":"api1","Tags":["v1"],"Port":7000,"Check":{"TTL":"60s","Status":"passing"}})")
              .status == 200);
}

std::set<std::string> field(const nlohmann::json& list, const std::string& name) {
  std::set<std::string> out;
  for (const auto& item : list) out.insert(item[name].get<std::string>());
  return out;
}

TEST_CASE("filter on /v1/catalog/service and /v1/health/service", "[api][filter]") {
  Stack s;
  populate(s);
  using S = std::set<std::string>;
  auto ids = [&](const std::string& target) { return field(s.get(target).json(), "ServiceID"); };
  CHECK(ids("/v1/catalog/service/web?filter=" + enc("ServicePort == 8080")) == S{"web1"});
  CHECK(ids("/v1/catalog/service/web?filter=" + enc(R"(NodeMeta["rack"] == "r2")")) == S{"web2"});
  CHECK(ids("/v1/catalog/service/web?filter=" + enc("v1 in ServiceTags or ServicePort == 9090")) == S{"web1", "web2"});
  CHECK(ids("/v1/catalog/service/web?filter=" + enc("ServiceMeta.team != a")).empty());

  auto health = [&](const std::string& query) {
    std::set<std::string> out;
    for (const auto& e : s.get("/v1/health/service/web?" + query).json()) out.insert(e["Service"]["ID"].get<std::string>());
    return out;
  };
  CHECK(health("filter=" + enc("Node.Meta.rack == r1")) == S{"web1"});
  CHECK(health("filter=" + enc("Checks.Status == critical")) == S{"web2"});
  CHECK(health("filter=" + enc(R"(Service.Tags contains "v1" and Node.Node matches "^n[0-9]$")")) == S{"web1"});
  CHECK(health("filter=" + enc("not Service.Port == 8080")) == S{"web2"});
  // With ?passing the filter and the health filter both apply.
  CHECK(health("passing&filter=" + enc("Service.Tags contains prod")) == S{"web1"});
}

TEST_CASE("several ?tag= and ?node-meta= must all match", "[api][filter]") {
  Stack s;
  populate(s);
  using S = std::set<std::string>;
  CHECK(field(s.get("/v1/catalog/service/web?tag=prod&tag=v1").json(), "ServiceID") == S{"web1"});
  CHECK(field(s.get("/v1/catalog/service/web?tag=prod").json(), "ServiceID") == S{"web1", "web2"});
  CHECK(s.get("/v1/health/service/web?tag=prod&tag=v1").json().size() == 1);
  CHECK(s.get("/v1/health/service/web?tag=prod&tag=nope").json().empty());

  CHECK(field(s.get("/v1/catalog/service/web?node-meta=rack:r2").json(), "ServiceID") == S{"web2"});
  CHECK(field(s.get("/v1/catalog/service/web?node-meta=rack:r2&node-meta=os:linux").json(), "ServiceID") == S{"web2"});
  CHECK(s.get("/v1/catalog/service/web?node-meta=rack:r2&node-meta=os:bsd").json().empty());
  CHECK(s.get("/v1/catalog/service/web?node-meta=rack").json().empty());  // wants rack with an empty value
  CHECK(s.get("/v1/health/service/web?node-meta=rack:r1").json().size() == 1);
  CHECK(field(s.get("/v1/catalog/nodes?node-meta=rack:r1").json(), "Node") == S{"n1"});
  CHECK(field(s.get("/v1/health/checks/web?node-meta=rack:r1").json(), "CheckID") == S{"chk-web1"});
  CHECK(field(s.get("/v1/health/state/any?node-meta=rack:r2").json(), "CheckID") == S{"chk-web2"});
  auto services = s.get("/v1/catalog/services?node-meta=rack:r2").json();
  CHECK(services == nlohmann::json{{"web", {"prod"}}, {"db", nlohmann::json::array()}});
}

TEST_CASE("filter on /v1/catalog/services keeps the names of matching instances", "[api][filter]") {
  Stack s;
  populate(s);
  auto all = s.get("/v1/catalog/services").json();
  CHECK(all.size() == 3);
  auto v1 = s.get("/v1/catalog/services?filter=" + enc("ServiceTags contains v1")).json();
  // web keeps only web1's tags; db has no v1 instance.
  CHECK(v1 == nlohmann::json{{"web", {"prod", "v1"}}, {"api", {"v1"}}});
  auto r2 = s.get("/v1/catalog/services?filter=" + enc("NodeMeta.rack == r2") + "&node-meta=os:linux").json();
  CHECK(r2 == nlohmann::json{{"web", {"prod"}}, {"db", nlohmann::json::array()}});
  CHECK(s.get("/v1/catalog/services?filter=" + enc("ServiceName == nope")).body == "{}");
}

TEST_CASE("filter on the node, check and agent endpoints", "[api][filter]") {
  Stack s;
  populate(s);
  using S = std::set<std::string>;
  CHECK(field(s.get("/v1/catalog/nodes?filter=" + enc("Meta.rack == r2")).json(), "Node") == S{"n2"});
  CHECK(field(s.get("/v1/catalog/nodes?filter=" + enc("Node matches \"^n\"")).json(), "Node") == S{"n1", "n2"});

  auto node = s.get("/v1/catalog/node/n2?filter=" + enc("Service == db")).json();
  CHECK(node["Node"]["Node"] == "n2");
  REQUIRE(node["Services"].size() == 1);
  CHECK(node["Services"].contains("db1"));
  CHECK(s.get("/v1/catalog/node/n2?filter=" + enc("Port > 1")).status == 400);  // no such operator

  CHECK(field(s.get("/v1/health/checks/web?filter=" + enc("Status == passing")).json(), "CheckID") == S{"chk-web1"});
  CHECK(field(s.get("/v1/health/node/n2?filter=" + enc("ServiceName == web")).json(), "CheckID") == S{"chk-web2"});
  CHECK(field(s.get("/v1/health/state/any?filter=" + enc("Node == n1 or Status == critical")).json(), "CheckID") ==
        S{"chk-web1", "chk-web2"});
  CHECK(s.get("/v1/health/state/passing?filter=" + enc("ServiceTags contains v1")).json().size() == 2);

  auto services = s.get("/v1/agent/services?filter=" + enc("Port == 7000")).json();
  CHECK(services.size() == 1);
  CHECK(services.contains("api1"));
  CHECK(s.get("/v1/agent/services?filter=" + enc("Service == web")).body == "{}");
  auto checks = s.get("/v1/agent/checks?filter=" + enc("ServiceID == api1")).json();
  CHECK(checks.size() == 1);
  CHECK(s.get("/v1/agent/checks?filter=" + enc("ServiceID == other")).body == "{}");
}

TEST_CASE("a bad filter is 400 with its position, at once even on a blocking query", "[api][filter]") {
  Stack s;
  populate(s);
  auto bad = s.get("/v1/health/service/web?filter=" + enc("Service.Tags contians x"));
  CHECK(bad.status == 400);
  CHECK(bad.body == "Failed to create boolean expression evaluator: 1:14 (13): expected an operator: ==, !=, in, "
                    "not in, contains, not contains, matches, not matches, is empty or is not empty");
  // Far ahead of the catalog, with a 10 minute wait: answered without waiting.
  auto blocking = s.get("/v1/catalog/services?index=999999&wait=10m&filter=" + enc("(a == b"));
  CHECK(blocking.status == 400);
  CHECK(blocking.body.find("1:1 (0): unmatched parenthesis") != std::string::npos);
  CHECK(s.waiters() == 0);
  for (std::string path : {"/v1/catalog/service/web", "/v1/catalog/nodes", "/v1/catalog/node/n1",
                           "/v1/health/checks/web", "/v1/health/node/n1", "/v1/health/state/any",
                           "/v1/agent/services", "/v1/agent/checks"}) {
    INFO(path);
    CHECK(s.get(path + "?filter=" + enc("==")).status == 400);
  }
  // An empty filter is no filter.
  CHECK(s.get("/v1/catalog/service/web?filter=").json().size() == 2);
}

TEST_CASE("the filter does not change X-Consul-Index", "[api][filter]") {
  Stack s;
  populate(s);
  auto plain = s.get("/v1/health/service/web");
  auto filtered = s.get("/v1/health/service/web?filter=" + enc("Service.Port == 1"));
  CHECK(filtered.json().empty());
  CHECK(filtered.index() == plain.index());
  CHECK(filtered.index() > 0);
  // A blocking query at the current index with a filter waits like one without.
  auto at_once = s.get("/v1/catalog/services?index=" + std::to_string(plain.index() - 1) + "&filter=" +
                       enc("ServiceName == api"));
  CHECK(at_once.status == 200);
  CHECK(at_once.json() == nlohmann::json{{"api", {"v1"}}});
}

}  // namespace
}  // namespace beacon::api::test
