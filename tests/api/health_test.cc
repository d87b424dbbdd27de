// Avalanche protection on /v1/health/service (beacon extension).
#include <catch2/catch.hpp>

#include "tests/api/fixture.h"

namespace beacon::api::test {
namespace {

std::string instance(const std::string& node, const std::string& status, const std::string& extra = "") {
  return R"({"Node":")" + node + R"(","Address":"10.1.0.)" + std::to_string(node.back() - '0') +
         R"(","Service":{"Service":"pay","Port":80)" + extra + R"(},"Check":{"CheckID":"alive","Status":")" + status +
         R"(","ServiceID":"pay"}})";
}

TEST_CASE("protect threshold sets X-Beacon-Protected and keeps every instance", "[api][health][protect]") {
  config::Config c = test_config();
  c.dns_config.protect_threshold = 0.5;
  Stack s(c);
  REQUIRE(s.put("/v1/catalog/register", instance("n1", "passing")).status == 200);
  REQUIRE(s.put("/v1/catalog/register", instance("n2", "passing")).status == 200);
  REQUIRE(s.put("/v1/catalog/register", instance("n3", "critical")).status == 200);

  // 2 of 3 healthy: not below 0.5.
  auto r = s.get("/v1/health/service/pay?passing");
  CHECK(r.header("X-Beacon-Protected").empty());
  CHECK(r.json().size() == 2);

  REQUIRE(s.put("/v1/catalog/register", instance("n2", "critical")).status == 200);
  r = s.get("/v1/health/service/pay?passing");
  CHECK(r.header("X-Beacon-Protected") == "true");
  auto j = r.json();
  REQUIRE(j.size() == 3);  // protected: every instance, with its true status
  CHECK(j[1]["Checks"][0]["Status"] == "critical");
}

TEST_CASE("an instance's ProtectThreshold overrides dns_config", "[api][health][protect]") {
  Stack s;  // dns_config.protect_threshold is 0 (off)
  REQUIRE(s.put("/v1/catalog/register", instance("n1", "passing", R"(,"ProtectThreshold":0.9)")).status == 200);
  REQUIRE(s.put("/v1/catalog/register", instance("n2", "critical", R"(,"ProtectThreshold":0.9)")).status == 200);
  CHECK(s.get("/v1/health/service/pay").header("X-Beacon-Protected") == "true");

  Stack off;
  REQUIRE(off.put("/v1/catalog/register", instance("n1", "passing")).status == 200);
  REQUIRE(off.put("/v1/catalog/register", instance("n2", "critical")).status == 200);
  auto r = off.get("/v1/health/service/pay?passing");
  CHECK(r.header("X-Beacon-Protected").empty());
  CHECK(r.json().size() == 1);
}

}  // namespace
}  // namespace beacon::api::test
