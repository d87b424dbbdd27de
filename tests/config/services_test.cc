// [[services]] and [[services.checks]]: fields, defaults, kinds and cross-file rules.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "config/loader.h"
#include "tests/config/temp_dir.h"

namespace beacon::config {
namespace {

using namespace std::chrono_literals;
using test::TempDir;
using Kind = CheckConfig::Kind;

Config load_ok(std::string_view toml) {
  auto got = load_string(toml, "svc.toml");
  if (!got) FAIL(got.error().message);
  return *got;
}

std::string load_error(std::string_view toml) {
  auto got = load_string(toml, "svc.toml");
  if (got) FAIL("expected an error for:\n" << toml);
  return got.error().message;
}

TEST_CASE("service fields are read and the ID defaults to the name", "[config][services]") {
  Config c = load_ok(R"(
[[services]]
name = "web"
tags = ["v1", "primary"]
address = "10.0.0.5"
port = 8080
meta = { version = "1.2", team_a = "x" }
weights = { passing = 10, warning = 0 }
protect_threshold = 1

[[services]]
id = "web-2"
name = "web"
address = "2001:db8::5"
)");
  REQUIRE(c.services.size() == 2);
  const ServiceConfig& s = c.services[0];
  CHECK(s.id == "web");
  CHECK(s.name == "web");
  CHECK(s.tags == std::vector<std::string>{"v1", "primary"});
  CHECK(s.address == "10.0.0.5");
  CHECK(s.port == 8080);
  CHECK(s.meta == std::map<std::string, std::string>{{"version", "1.2"}, {"team_a", "x"}});
  CHECK(s.weights.passing == 10);
  CHECK(s.weights.warning == 0);
  REQUIRE(s.protect_threshold.has_value());
  CHECK(*s.protect_threshold == 1.0);
  CHECK(c.services[1].id == "web-2");
  CHECK(c.services[1].address == "2001:db8::5");
  CHECK(c.services[1].weights.passing == 1);
  CHECK(c.services[1].weights.warning == 1);
  CHECK_FALSE(c.services[1].protect_threshold.has_value());
}

TEST_CASE("check kind follows the target key", "[config][services][checks]") {
  Config c = load_ok(R"(
enable_local_script_checks = true
[[services]]
name = "api"
[[services.checks]]
http = "https://localhost:8443/health"
interval = "10s"
[[services.checks]]
tcp = "localhost:80"
interval = "5s"
[[services.checks]]
udp = "[::1]:53"
interval = "5s"
[[services.checks]]
args = ["/bin/check", "--fast"]
interval = "30s"
[[services.checks]]
ttl = "15s"
)");
  const auto& checks = c.services.at(0).checks;
  REQUIRE(checks.size() == 5);
  CHECK(checks[0].kind == Kind::http);
  CHECK(checks[0].http == "https://localhost:8443/health");
  CHECK(checks[1].kind == Kind::tcp);
  CHECK(checks[1].tcp == "localhost:80");
  CHECK(checks[2].kind == Kind::udp);
  CHECK(checks[3].kind == Kind::script);
  CHECK(checks[3].args == std::vector<std::string>{"/bin/check", "--fast"});
  CHECK(checks[4].kind == Kind::ttl);
  CHECK(checks[4].ttl == 15s);
  // Several checks: IDs get a 1-based suffix; names follow Consul.
  for (std::size_t i = 0; i < checks.size(); ++i) {
    CHECK(checks[i].id == "service:api:" + std::to_string(i + 1));
    CHECK(checks[i].name == "Service 'api' check");
  }
}

TEST_CASE("gRPC checks take a target with an optional service and TLS settings", "[config][services][checks]") {
  auto got = load_string(
      "[[services]]\nname = \"api\"\n[[services.checks]]\ngrpc = \"127.0.0.1:9000/pkg.Api\"\ninterval = \"5s\"\n"
      "grpc_use_tls = true\ntls_skip_verify = true\ntls_server_name = \"api.internal\"\n",
      "svc.toml");
  REQUIRE(got.has_value());
  const auto& check = got->services.at(0).checks.at(0);
  CHECK(check.kind == CheckConfig::Kind::grpc);
  CHECK(check.grpc == "127.0.0.1:9000/pkg.Api");
  CHECK(check.grpc_use_tls);
  CHECK(check.tls_skip_verify);
  CHECK(check.tls_server_name == "api.internal");

  auto bad = load_string("[[services]]\nname = \"api\"\n[[services.checks]]\ngrpc = \"127.0.0.1\"\ninterval = \"5s\"\n",
                         "svc.toml");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message == "svc.toml:4:8: services[0].checks[0].grpc: must be \"host:port\"");
}

TEST_CASE("a single check gets the plain service ID", "[config][services][checks]") {
  Config c = load_ok(R"(
[[services]]
id = "web-1"
name = "web"
checks = [{ ttl = "30s" }]
[[services]]
name = "db"
[[services.checks]]
id = "db-alive"
name = "DB alive"
tcp = "localhost:5432"
interval = "1s"
)");
  CHECK(c.services[0].checks.at(0).id == "service:web-1");
  CHECK(c.services[0].checks.at(0).name == "Service 'web' check");
  CHECK(c.services[1].checks.at(0).id == "db-alive");
  CHECK(c.services[1].checks.at(0).name == "DB alive");
}

TEST_CASE("every check field is read", "[config][services][checks]") {
  Config c = load_ok(R"(
[[services]]
name = "web"
[[services.checks]]
notes = "main page"
http = "http://localhost/"
method = "POST"
header = { "X-Token" = ["a", "b"], Accept = ["text/plain"] }
body = "{}"
tls_skip_verify = true
interval = "2s"
timeout = "1s"
status = "passing"
success_before_passing = 2
failures_before_warning = 1
failures_before_critical = 3
deregister_critical_service_after = "90m"
[[services.checks]]
tcp = "localhost:9000"
interval = "1s"
)");
  const CheckConfig& k = c.services.at(0).checks.at(0);
  CHECK(k.notes == "main page");
  CHECK(k.method == "POST");
  CHECK(k.header.at("X-Token") == std::vector<std::string>{"a", "b"});
  CHECK(k.header.at("Accept") == std::vector<std::string>{"text/plain"});
  CHECK(k.body == "{}");
  CHECK(k.tls_skip_verify);
  CHECK(k.interval == 2s);
  CHECK(k.timeout == 1s);
  CHECK(k.status == "passing");
  CHECK(k.success_before_passing == 2);
  CHECK(k.failures_before_warning == 1);
  CHECK(k.failures_before_critical == 3);
  CHECK(k.deregister_critical_service_after == 90min);
  // Defaults of a check.
  const CheckConfig& g = c.services.at(0).checks.at(1);
  CHECK(g.method == "GET");
  CHECK(g.status == "critical");
  CHECK(g.timeout == 0ms);
}

TEST_CASE("check rules", "[config][services][checks]") {
  CHECK(load_error("[[services]]\nname = \"a\"\n[[services.checks]]\nnotes = \"x\"\n") ==
        "svc.toml:3:1: services[0].checks[0]: a check needs one of http, tcp, udp, grpc, args "
        "or ttl");
  CHECK(load_error("[[services]]\nname = \"a\"\n[[services.checks]]\nttl = \"5s\"\n"
                   "tcp = \"h:1\"\n") ==
        "svc.toml:5:7: services[0].checks[0].tcp: a check has exactly one of http, tcp, udp, "
        "grpc, args or ttl, and this one already has ttl");
  CHECK(load_error("[[services]]\nname = \"a\"\n[[services.checks]]\ntcp = \"h:1\"\n") ==
        "svc.toml:3:1: services[0].checks[0].interval: is required for tcp checks");
  CHECK(load_error("[[services]]\nname = \"a\"\n[[services.checks]]\ntcp = \"h:1\"\n"
                   "interval = \"500ms\"\n") ==
        "svc.toml:5:12: services[0].checks[0].interval: must be at least 1s");
  CHECK(load_error("[[services]]\nname = \"a\"\n[[services.checks]]\nttl = \"0s\"\n") ==
        "svc.toml:4:7: services[0].checks[0].ttl: must be at least 1ms");
  CHECK(load_error("[[services]]\nname = \"a\"\n[[services.checks]]\nttl = \"1s\"\n"
                   "failures_before_warning = 5\nfailures_before_critical = 2\n") ==
        "svc.toml:5:27: services[0].checks[0].failures_before_warning: must not exceed "
        "failures_before_critical");
  CHECK_THAT(load_error("[[services]]\nname = \"a\"\n[[services.checks]]\nttl = \"1s\"\n"
                        "status = \"ok\"\n"),
             Catch::Contains("services[0].checks[0].status: \"ok\" is not one of"));
  CHECK_THAT(load_error("[[services]]\nname = \"a\"\n[[services.checks]]\n"
                        "http = \"localhost\"\ninterval = \"1s\"\n"),
             Catch::Contains("http: must be an http:// or https:// URL"));
  CHECK_THAT(load_error("[[services]]\nname = \"a\"\n[[services.checks]]\n"
                        "tcp = \"localhost\"\ninterval = \"1s\"\n"),
             Catch::Contains("tcp: must be \"host:port\""));
  CHECK_THAT(load_error("[[services]]\nname = \"a\"\n[[services.checks]]\n"
                        "udp = \"h:70000\"\ninterval = \"1s\"\n"),
             Catch::Contains("udp: port must be 1..65535"));
  CHECK_THAT(load_error("enable_local_script_checks = true\n[[services]]\nname = \"a\"\n"
                        "[[services.checks]]\nargs = []\ninterval = \"1s\"\n"),
             Catch::Contains("args: must name a program"));
  // failures_before_warning alone may exceed the default failures_before_critical.
  load_ok(
      "[[services]]\nname = \"a\"\n[[services.checks]]\nttl = \"1s\"\n"
      "failures_before_warning = 5\n");
}

TEST_CASE("script checks need enable_local_script_checks, which may come from another file",
          "[config][services][checks]") {
  const char* script =
      "[[services]]\nname = \"a\"\n[[services.checks]]\n"
      "args = [\"/bin/true\"]\ninterval = \"10s\"\n";
  CHECK(load_error(script) ==
        "svc.toml:4:8: services[0].checks[0].args: script checks need "
        "enable_local_script_checks = true");

  TempDir dir;
  auto checks = dir.write("checks.toml", script);
  auto enable = dir.write("enable.toml", "enable_local_script_checks = true\n");
  auto disable = dir.write("disable.toml", "enable_local_script_checks = false\n");
  CHECK(load_files({checks, enable}).has_value());
  auto got = load_files({enable, checks, disable});
  REQUIRE_FALSE(got.has_value());
  CHECK_THAT(got.error().message, Catch::StartsWith(checks + ":4:8: services[0].checks[0].args"));
}

TEST_CASE("duplicate service IDs are errors naming the second", "[config][services]") {
  CHECK(load_error("[[services]]\nname = \"web\"\n\n[[services]]\nid = \"web\"\nname = \"x\"\n") ==
        "svc.toml:5:6: services[1].id: duplicate service ID \"web\" (first defined at "
        "svc.toml:1:1)");

  TempDir dir;
  auto a = dir.write("a.toml", "[[services]]\nid = \"db\"\nname = \"db\"\n");
  auto b = dir.write("b.toml", "# second\n[[services]]\nname = \"db\"\n");
  auto got = load_files({a, b});
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().message == b +
                                   ":2:1: services[0].id: duplicate service ID \"db\" (first "
                                   "defined at " +
                                   a + ":2:6)");
}

TEST_CASE("duplicate check IDs are errors", "[config][services][checks]") {
  CHECK(load_error("[[services]]\nname = \"a\"\n[[services.checks]]\nid = \"c\"\nttl = \"1s\"\n"
                   "[[services]]\nname = \"b\"\n[[services.checks]]\nid = \"c\"\nttl = \"1s\"\n") ==
        "svc.toml:9:6: services[1].checks[0].id: duplicate check ID \"c\" (first defined at "
        "svc.toml:4:6)");
}

TEST_CASE("service value rules", "[config][services]") {
  CHECK(load_error("[[services]]\nport = 1\n") == "svc.toml:1:1: services[0].name: is required");
  CHECK(load_error("[[services]]\nname = \"\"\n") ==
        "svc.toml:2:8: services[0].name: must not be empty");
  CHECK(load_error("[[services]]\nname = \"a\"\naddress = \"db.local\"\n") ==
        "svc.toml:3:11: services[0].address: \"db.local\" is not an IP address");
  CHECK(load_error("[[services]]\nname = \"a\"\nport = 65536\n") ==
        "svc.toml:3:8: services[0].port: must be between 0 and 65535, got 65536");
  CHECK(load_error("[[services]]\nname = \"a\"\nweights = { passing = 0 }\n") ==
        "svc.toml:3:23: services[0].weights.passing: must be between 1 and 65535, got 0");
  CHECK(load_error("[[services]]\nname = \"a\"\nweights = { warning = 70000 }\n") ==
        "svc.toml:3:23: services[0].weights.warning: must be between 0 and 65535, got 70000");
  CHECK(load_error("[[services]]\nname = \"a\"\nprotect_threshold = 1.5\n") ==
        "svc.toml:3:21: services[0].protect_threshold: must be between 0 and 1");
  CHECK(load_error("[[services]]\nname = \"a\"\nmeta = { \"bad key\" = \"x\" }\n") ==
        "svc.toml:3:10: services[0].meta.bad key: meta key may only hold letters, digits, '-' "
        "and '_'");
  CHECK_THAT(load_error("[[services]]\nname = \"a\"\nmeta = { consul-x = \"x\" }\n"),
             Catch::Contains("reserved"));
  CHECK_THAT(
      load_error("[[services]]\nname = \"a\"\nmeta = { k = \"" + std::string(513, 'v') + "\" }\n"),
      Catch::Contains("meta value is longer than 512"));
  CHECK_THAT(
      load_error("[[services]]\nname = \"a\"\nmeta = { " + std::string(129, 'k') + " = \"v\" }\n"),
      Catch::Contains("meta key is longer than 128"));
  std::string many = "[[services]]\nname = \"a\"\n[services.meta]\n";
  for (int i = 0; i < 65; ++i) many += "k" + std::to_string(i) + " = \"v\"\n";
  CHECK_THAT(load_error(many), Catch::Contains("services[0].meta: has more than 64 pairs"));
  CHECK(load_error("services = { name = \"a\" }\n") ==
        "svc.toml:1:12: services: expected an array, got a table");
  CHECK(load_error("services = [\"a\"]\n") ==
        "svc.toml:1:13: services[0]: expected a table, got a string");
}

}  // namespace
}  // namespace beacon::config
