// Error messages: "FILE:LINE:COL: KEY: reason" for unknown keys, wrong types, bad values and
// TOML syntax errors.
#include <catch2/catch.hpp>
#include <string>

#include "config/loader.h"
#include "tests/config/temp_dir.h"

namespace beacon::config {
namespace {

std::string load_error(std::string_view toml) {
  auto got = load_string(toml, "bad.toml");
  if (got) FAIL("expected an error for:\n" << toml);
  return got.error().message;
}

TEST_CASE("unknown keys are reported at their file:line:col at every level", "[config][errors]") {
  struct Case {
    const char* toml;
    const char* want;
  };
  const Case cases[] = {
      {"datacenter = \"dc1\"\nnode = \"x\"\n", "bad.toml:2:1: node: unknown key"},
      {"[ports]\ndns = 53\n  grpc = 1\n", "bad.toml:3:3: ports.grpc: unknown key"},
      {"[dns_config]\nallow_stale = true\n", "bad.toml:2:1: dns_config.allow_stale: unknown key"},
      {"[dns_config.soa]\nserial = 1\n", "bad.toml:2:1: dns_config.soa.serial: unknown key"},
      {"[[services]]\nname = \"a\"\nkind = \"x\"\n", "bad.toml:3:1: services[0].kind: unknown key"},
      {"[[services]]\nname = \"a\"\n[[services]]\nname = \"b\"\nweights = { critical = 1 }\n",
       "bad.toml:5:13: services[1].weights.critical: unknown key"},
      {"[[services]]\nname = \"a\"\n[[services.checks]]\nttl = \"1s\"\nscript = \"x\"\n",
       "bad.toml:5:1: services[0].checks[0].script: unknown key"},
      {"dev = true\n", "bad.toml:1:1: dev: unknown key"},
      // The first unknown key in file order is reported, not the first by name.
      {"zzz = 1\naaa = 2\n", "bad.toml:1:1: zzz: unknown key"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.toml);
    CHECK(load_error(c.toml) == c.want);
  }
}

TEST_CASE("wrong TOML types are reported with the key path", "[config][errors]") {
  struct Case {
    const char* toml;
    const char* want;
  };
  const Case cases[] = {
      {"node_name = 1", "bad.toml:1:13: node_name: expected a string, got an integer"},
      {"datacenter = true", "bad.toml:1:14: datacenter: expected a string, got a boolean"},
      {"domain = 1.5", "bad.toml:1:10: domain: expected a string, got a float"},
      {"alt_domain = []", "bad.toml:1:14: alt_domain: expected a string, got an array"},
      {"data_dir = 1979-05-27", "bad.toml:1:12: data_dir: expected a string, got a date"},
      {"bind_addr = {}", "bad.toml:1:13: bind_addr: expected a string, got a table"},
      {"client_addr = 1", "bad.toml:1:15: client_addr: expected a string, got an integer"},
      {"ports = 1", "bad.toml:1:9: ports: expected a table, got an integer"},
      {"ports = { dns = \"53\" }", "bad.toml:1:17: ports.dns: expected an integer, got a string"},
      {"ports = { http = 1.0 }", "bad.toml:1:18: ports.http: expected an integer, got a float"},
      {"node_meta = [\"a\"]", "bad.toml:1:13: node_meta: expected a table, got an array"},
      {"node_meta = { a = 1 }", "bad.toml:1:19: node_meta.a: expected a string, got an integer"},
      {"log_level = 1", "bad.toml:1:13: log_level: expected a string, got an integer"},
      {"recursors = \"8.8.8.8\"",
       "bad.toml:1:13: recursors: expected an array of strings, got a string"},
      {"recursors = [\"8.8.8.8\", 1]",
       "bad.toml:1:25: recursors[1]: expected a string, got an integer"},
      {"enable_local_script_checks = \"yes\"",
       "bad.toml:1:30: enable_local_script_checks: expected a boolean, got a string"},
      {"dns_config = 5", "bad.toml:1:14: dns_config: expected a table, got an integer"},
      {"[dns_config]\nnode_ttl = 10",
       "bad.toml:2:12: dns_config.node_ttl: expected a duration string such as \"10s\", got an "
       "integer"},
      {"[dns_config]\nservice_ttl = \"5s\"",
       "bad.toml:2:15: dns_config.service_ttl: expected a table, got a string"},
      {"[dns_config]\nservice_ttl = { web = 5 }",
       "bad.toml:2:23: dns_config.service_ttl.web: expected a duration string such as \"10s\", "
       "got an integer"},
      {"[dns_config]\nudp_answer_limit = \"3\"",
       "bad.toml:2:20: dns_config.udp_answer_limit: expected an integer, got a string"},
      {"[dns_config]\na_record_limit = 1.0",
       "bad.toml:2:18: dns_config.a_record_limit: expected an integer, got a float"},
      {"[dns_config]\nonly_passing = 1",
       "bad.toml:2:16: dns_config.only_passing: expected a boolean, got an integer"},
      {"[dns_config]\nenable_truncate = \"true\"",
       "bad.toml:2:19: dns_config.enable_truncate: expected a boolean, got a string"},
      {"[dns_config]\nedns_udp_size = \"4096\"",
       "bad.toml:2:17: dns_config.edns_udp_size: expected an integer, got a string"},
      {"[dns_config]\nprotect_threshold = \"0.5\"",
       "bad.toml:2:21: dns_config.protect_threshold: expected a number, got a string"},
      {"[dns_config]\nrecursor_timeout = 2",
       "bad.toml:2:20: dns_config.recursor_timeout: expected a duration string such as \"10s\", "
       "got an integer"},
      {"[dns_config]\nrecursor_strategy = 1",
       "bad.toml:2:21: dns_config.recursor_strategy: expected a string, got an integer"},
      {"[dns_config]\nrecursion_allowed_from = \"10.0.0.0/8\"",
       "bad.toml:2:26: dns_config.recursion_allowed_from: expected an array of strings, got a "
       "string"},
      {"[dns_config]\ntcp_idle_timeout = 10",
       "bad.toml:2:20: dns_config.tcp_idle_timeout: expected a duration string such as \"10s\", "
       "got an integer"},
      {"[dns_config]\ntcp_max_connections = true",
       "bad.toml:2:23: dns_config.tcp_max_connections: expected an integer, got a boolean"},
      {"[dns_config]\nudp_workers = \"4\"",
       "bad.toml:2:15: dns_config.udp_workers: expected an integer, got a string"},
      {"[dns_config]\nsoa = 1", "bad.toml:2:7: dns_config.soa: expected a table, got an integer"},
      {"[dns_config.soa]\nmin_ttl = \"0\"",
       "bad.toml:2:11: dns_config.soa.min_ttl: expected an integer, got a string"},
      {"[[services]]\nname = \"a\"\ntags = \"x\"",
       "bad.toml:3:8: services[0].tags: expected an array of strings, got a string"},
      {"[[services]]\nname = \"a\"\nport = \"80\"",
       "bad.toml:3:8: services[0].port: expected an integer, got a string"},
      {"[[services]]\nname = \"a\"\nmeta = { v = 1 }",
       "bad.toml:3:14: services[0].meta.v: expected a string, got an integer"},
      {"[[services]]\nname = \"a\"\nchecks = { ttl = \"1s\" }",
       "bad.toml:3:10: services[0].checks: expected an array, got a table"},
      {"[[services]]\nname = \"a\"\n[[services.checks]]\nttl = \"1s\"\nheader = { A = \"b\" }",
       "bad.toml:5:16: services[0].checks[0].header.A: expected an array of strings, got a "
       "string"},
      {"[[services]]\nname = \"a\"\n[[services.checks]]\nttl = \"1s\"\ntls_skip_verify = 0",
       "bad.toml:5:19: services[0].checks[0].tls_skip_verify: expected a boolean, got an "
       "integer"},
      {"[[services]]\nname = \"a\"\n[[services.checks]]\nttl = \"1s\"\nsuccess_before_passing = -1",
       "bad.toml:5:26: services[0].checks[0].success_before_passing: must be between 0 and "
       "4294967295, got -1"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.toml);
    CHECK(load_error(c.toml) == c.want);
  }
}

TEST_CASE("bad values are reported with the key path", "[config][errors]") {
  struct Case {
    const char* toml;
    const char* want;  // a substring when `exact` is false
    bool exact;
  };
  const Case cases[] = {
      {"node_name = \"a.b\"",
       "bad.toml:1:13: node_name: \"a.b\" must be 1..63 characters of "
       "[A-Za-z0-9-]",
       true},
      {"node_name = \"\"", "node_name: \"\" must be 1..63", false},
      {"datacenter = \"dc_1\"", "datacenter: \"dc_1\" must be 1..63", false},
      {"domain = \"\"", "bad.toml:1:10: domain: must not be empty", true},
      {"domain = \"a..b\"", "domain: has an empty label", false},
      {"domain = \"a b\"", "domain: label \"a b\" may only hold", false},
      {"alt_domain = \"consul.\"", "bad.toml:1:14: alt_domain: must differ from domain", true},
      {"bind_addr = \"localhost\"",
       "bad.toml:1:13: bind_addr: \"localhost\" is not an IP "
       "address",
       true},
      {"client_addr = \"10.0.0.256\"", "client_addr: \"10.0.0.256\" is not an IP", false},
      {"ports = { dns = -2 }", "bad.toml:1:17: ports.dns: must be between -1 and 65535, got -2", true},
      {"ports = { http = 65536 }", "ports.http: must be between -1 and 65535", false},
      {"node_meta = { \"a.b\" = \"x\" }", "bad.toml:1:15: node_meta.a.b: meta key may only", false},
      {"log_level = \"verbose\"", "log_level: \"verbose\" is not one of trace", false},
      {"consul_version = \"1.17\"", "consul_version: \"1.17\" is not a version like \"1.17.0\"", false},
      {"consul_version = \"v1.17.0\"", "consul_version: \"v1.17.0\" is not a version", false},
      {"consul_version = \"1..0\"", "consul_version: \"1..0\" is not a version", false},
      {"recursors = [\"8.8.8\"]", "bad.toml:1:14: recursors[0]: \"8.8.8\" is not an IP", false},
      {"recursors = [\"8.8.8.8:0\"]", "recursors[0]: port must be 1..65535", false},
      {"recursors = [\"[::1]\"]", "recursors[0]: must be \"ip\", \"ip:port\"", false},
      {"recursors = [\"::1:53:x\"]", "recursors[0]:", false},
      {"[dns_config]\nnode_ttl = \"-1s\"",
       "bad.toml:2:12: dns_config.node_ttl: negative value "
       "in duration \"-1s\"",
       true},
      {"[dns_config]\nnode_ttl = \"10\"", "dns_config.node_ttl: missing unit", false},
      {"[dns_config]\nservice_ttl = { \"a*b\" = \"1s\" }",
       "bad.toml:2:17: dns_config.service_ttl.a*b: must be a service name, \"prefix*\" or \"*\"", true},
      {"[dns_config]\nservice_ttl = { \"\" = \"1s\" }", "must be a service name", false},
      {"[dns_config]\nudp_answer_limit = -1", "dns_config.udp_answer_limit: must be between 0", false},
      {"[dns_config]\na_record_limit = -1", "dns_config.a_record_limit: must be between 0", false},
      {"[dns_config]\nedns_udp_size = 511",
       "dns_config.edns_udp_size: must be between 512 and "
       "65535, got 511",
       false},
      {"[dns_config]\nedns_udp_size = 65536", "must be between 512 and 65535, got 65536", false},
      {"[dns_config]\nprotect_threshold = -0.1",
       "dns_config.protect_threshold: must be between "
       "0 and 1",
       false},
      {"[dns_config]\nprotect_threshold = 2", "must be between 0 and 1", false},
      {"[dns_config]\nprotect_threshold = nan", "must be between 0 and 1", false},
      {"[dns_config]\nrecursor_timeout = \"0s\"",
       "dns_config.recursor_timeout: must be at "
       "least 1ms",
       false},
      {"[dns_config]\nrecursor_strategy = \"fastest\"",
       "dns_config.recursor_strategy: \"fastest\" is not one of sequential, random", false},
      {"[dns_config]\nrecursion_allowed_from = [\"10.0.0.0\"]",
       "bad.toml:2:27: dns_config.recursion_allowed_from[0]: must be a CIDR block", false},
      {"[dns_config]\nrecursion_allowed_from = [\"10.0.0.0/33\"]", "prefix length 33", false},
      {"[dns_config]\nrecursion_allowed_from = [\"::/129\"]", "prefix length 129", false},
      {"[dns_config]\nrecursion_allowed_from = [\"x/8\"]", "\"x\" is not an IP", false},
      {"[dns_config]\ntcp_idle_timeout = \"0\"", "dns_config.tcp_idle_timeout: must be at least", false},
      {"[dns_config]\ntcp_max_connections = 0",
       "dns_config.tcp_max_connections: must be "
       "between 1",
       false},
      {"[dns_config]\nudp_workers = 257", "dns_config.udp_workers: must be between 0 and 256", false},
      {"[dns_config.soa]\nrefresh = -1",
       "bad.toml:2:11: dns_config.soa.refresh: must be between "
       "0 and 4294967295, got -1",
       true},
      {"[dns_config.soa]\nmin_ttl = 4294967296", "dns_config.soa.min_ttl: must be between", false},
      {"[[services]]\nname = \"a\"\n[[services.checks]]\nttl = \"1s\"\ninterval = \"1x\"",
       "bad.toml:5:12: services[0].checks[0].interval: unknown unit \"x\" in duration \"1x\"", true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.toml);
    if (c.exact) {
      CHECK(load_error(c.toml) == c.want);
    } else {
      CHECK_THAT(load_error(c.toml), Catch::Contains(c.want));
    }
  }
}

TEST_CASE("TOML syntax errors carry toml++'s position", "[config][errors]") {
  CHECK_THAT(load_error("datacenter = \"dc1\"\nnode_name = \n"),
             Catch::StartsWith("bad.toml:2:") && Catch::Contains("TOML syntax error: "));
  CHECK_THAT(load_error("a = 1\na = 2\n"),
             Catch::StartsWith("bad.toml:2:") && Catch::Contains("TOML syntax error"));
  CHECK_THAT(load_error("[dns_config\n"), Catch::StartsWith("bad.toml:1:"));

  test::TempDir dir;
  auto file = dir.write("broken.toml", "\n\n[ports]\ndns = = 1\n");
  auto got = load_files({file});
  REQUIRE_FALSE(got.has_value());
  CHECK_THAT(got.error().message, Catch::StartsWith(file + ":4:"));
}

TEST_CASE("errors in a later file name that file", "[config][errors]") {
  test::TempDir dir;
  auto good = dir.write("a.toml", "datacenter = \"dc1\"\n");
  auto bad = dir.write("b.toml", "# comment\n\n[dns_config]\n  unknown_thing = 1\n");
  auto got = load_files({good, bad});
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().message == bad + ":4:3: dns_config.unknown_thing: unknown key");
}

}  // namespace
}  // namespace beacon::config
