// ACLs: default allow/deny, read, write with service prefixes, management, filtered reads.
#include <catch2/catch.hpp>

#include "tests/api/fixture.h"

namespace beacon::api::test {
namespace {

config::Config acl_config(const std::string& default_policy) {
  config::Config c = test_config();
  c.acl.enabled = true;
  c.acl.default_policy = default_policy;
  c.acl.tokens = {
      {"mgmt-secret", "ops", "management", {}},
      {"read-secret", "dashboards", "read", {}},
      {"web-secret", "web team", "write", {"web"}},
      {"all-secret", "deployer", "write", {""}},
  };
  return c;
}

const std::map<std::string, std::string> kMgmt{{"X-Consul-Token", "mgmt-secret"}};
const std::map<std::string, std::string> kRead{{"X-Consul-Token", "read-secret"}};
const std::map<std::string, std::string> kWeb{{"Authorization", "Bearer web-secret"}};
const std::map<std::string, std::string> kAll{{"X-Consul-Token", "all-secret"}};

TEST_CASE("acl deny: anonymous writes are refused and reads are filtered", "[api][acl]") {
  Stack s(acl_config("deny"));
  REQUIRE(s.put("/v1/agent/service/register", R"({"Name":"web"})", kMgmt).status == 200);
  uint64_t before = s.store_index();

  auto denied = s.put("/v1/agent/service/register", R"({"Name":"api"})");
  CHECK(denied.status == 403);
  CHECK(denied.body == "Permission denied");
  CHECK(s.put("/v1/agent/service/deregister/web").status == 403);
  CHECK(s.put("/v1/agent/maintenance?enable=true").status == 403);
  CHECK(s.put("/v1/catalog/register", R"({"Node":"x","Address":"10.0.0.1"})").status == 403);
  CHECK(s.put("/v1/agent/service/register", R"({"Name":"api"})", {{"X-Consul-Token", "wrong"}}).status == 403);
  CHECK(s.store_index() == before);

  auto list = s.get("/v1/catalog/services");
  CHECK(list.status == 200);
  CHECK(list.body == "{}");
  CHECK(list.header("X-Consul-Results-Filtered-By-ACLs") == "true");
  CHECK(s.get("/v1/health/service/web").body == "[]");
  CHECK(s.get("/v1/catalog/service/web").body == "[]");
  CHECK(s.get("/v1/agent/services").body == "{}");
  CHECK(s.get("/v1/agent/self").status == 403);
  CHECK(s.get("/v1/agent/service/web").status == 403);
  CHECK(s.get("/v1/catalog/node/agent1").status == 403);
  CHECK(s.get("/v1/status/leader").status == 200);

  // Any known token reads everything.
  auto read = s.get("/v1/catalog/services", kRead);
  CHECK(read.json().contains("web"));
  CHECK(read.header("X-Consul-Results-Filtered-By-ACLs").empty());
  CHECK(s.get("/v1/catalog/services?token=read-secret").json().contains("web"));
}

TEST_CASE("acl tokens: read writes nothing, write is limited to its prefixes, management does all", "[api][acl]") {
  Stack s(acl_config("deny"));
  uint64_t before = s.store_index();
  CHECK(s.put("/v1/agent/service/register", R"({"Name":"web"})", kRead).status == 403);
  CHECK(s.store_index() == before);

  CHECK(s.put("/v1/agent/service/register", R"({"Name":"web-api","Check":{"TTL":"30s"}})", kWeb).status == 200);
  before = s.store_index();
  CHECK(s.put("/v1/agent/service/register", R"({"Name":"db"})", kWeb).status == 403);
  CHECK(s.put("/v1/agent/maintenance?enable=true", "", kWeb).status == 403);
  CHECK(s.put("/v1/agent/check/register", R"({"Name":"node-check","TTL":"30s"})", kWeb).status == 403);
  CHECK(s.store_index() == before);
  CHECK(s.put("/v1/agent/check/pass/service:web-api", "", kWeb).status == 200);
  CHECK(s.put("/v1/agent/service/maintenance/web-api?enable=true", "", kWeb).status == 200);

  CHECK(s.put("/v1/agent/service/register", R"({"Name":"db"})", kMgmt).status == 200);
  before = s.store_index();
  CHECK(s.put("/v1/agent/service/deregister/db", "", kWeb).status == 403);
  CHECK(s.put("/v1/agent/service/deregister/db", "", kRead).status == 403);
  CHECK(s.store_index() == before);

  CHECK(s.put("/v1/agent/maintenance?enable=true", "", kAll).status == 200);
  CHECK(s.put("/v1/catalog/register", R"({"Node":"x","Address":"10.0.0.1"})", kAll).status == 200);
  CHECK(s.put("/v1/catalog/deregister", R"({"Node":"x"})", kWeb).status == 403);
  CHECK(s.put("/v1/catalog/deregister", R"({"Node":"x"})", {{"X-Consul-Token", "mgmt-secret"}}).status == 200);
  CHECK(s.put("/v1/agent/service/deregister/db?token=mgmt-secret").status == 200);
}

TEST_CASE("acl allow: anonymous may do everything; acl disabled ignores tokens", "[api][acl]") {
  Stack allow(acl_config("allow"));
  CHECK(allow.put("/v1/agent/service/register", R"({"Name":"web"})").status == 200);
  CHECK(allow.get("/v1/catalog/services").json().contains("web"));
  CHECK(allow.put("/v1/agent/service/register", R"({"Name":"db"})", kRead).status == 403);

  config::Config off = acl_config("deny");
  off.acl.enabled = false;
  Stack open(off);
  CHECK(open.put("/v1/agent/service/register", R"({"Name":"web"})", {{"X-Consul-Token", "nobody"}}).status == 200);
  CHECK(open.get("/v1/agent/self").status == 200);
}

}  // namespace
}  // namespace beacon::api::test
