// load_files / load_string / list_config_dir / dev_defaults: defaults, every key, merging.
#include "config/loader.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "tests/config/temp_dir.h"

namespace beacon::config {
namespace {

using namespace std::chrono_literals;
using test::fixture;
using test::TempDir;

Config load_ok(std::string_view toml) {
  auto got = load_string(toml, "test.toml");
  if (!got) FAIL(got.error().message);
  return *got;
}

TEST_CASE("an empty file gives the documented defaults", "[config][loader]") {
  Config c = load_ok("");
  CHECK(c.node_name == default_node_name());
  CHECK_FALSE(c.node_name.empty());
  CHECK(c.datacenter == "dc1");
  CHECK(c.domain == "consul");
  CHECK(c.alt_domain.empty());
  CHECK(c.data_dir.empty());
  CHECK(c.bind_addr == "127.0.0.1");
  CHECK(c.client_addr == "127.0.0.1");
  CHECK(c.ports.dns == 8600);
  CHECK(c.ports.http == 8500);
  CHECK(c.node_meta.empty());
  CHECK(c.log_level == "info");
  CHECK(c.consul_version == "1.17.0");
  CHECK(c.recursors.empty());
  CHECK_FALSE(c.enable_local_script_checks);
  CHECK(c.services.empty());
  CHECK_FALSE(c.dev);
  const DnsConfig& d = c.dns_config;
  CHECK(d.node_ttl == 0ms);
  CHECK(d.service_ttl.empty());
  CHECK(d.udp_answer_limit == 3);
  CHECK(d.a_record_limit == 0);
  CHECK_FALSE(d.only_passing);
  CHECK(d.enable_truncate);
  CHECK(d.edns_udp_size == 1232);
  CHECK(d.protect_threshold == 0.0);
  CHECK(d.recursor_timeout == 2s);
  CHECK(d.recursor_strategy == "sequential");
  CHECK(d.recursion_allowed_from == std::vector<std::string>{"127.0.0.0/8", "::1/128"});
  CHECK(d.tcp_idle_timeout == 10s);
  CHECK(d.tcp_max_connections == 1024);
  CHECK(d.udp_workers == 0);
  CHECK(d.soa.refresh == 3600);
  CHECK(d.soa.retry == 600);
  CHECK(d.soa.expire == 86400);
  CHECK(d.soa.min_ttl == 0);
}

TEST_CASE("every agent and dns_config key is read", "[config][loader]") {
  Config c = load_ok(R"(
node_name = "Node-1"
datacenter = "East-1"
domain = "Beacon.Example."
alt_domain = "alt.test"
data_dir = "/tmp/beacon"
bind_addr = "10.1.2.3"
client_addr = "::"
node_meta = { rack = "r7", "rfc1035-x" = "y" }
log_level = "DEBUG"
consul_version = "1.20.3"
recursors = ["8.8.8.8", "1.1.1.1:53", "[2001:db8::1]:5353", "2001:db8::2", "8.8.8.8"]
enable_local_script_checks = true

[ports]
dns = 0
http = -1

[dns_config]
node_ttl = "30s"
service_ttl = { "zeta" = "1s", "alpha-*" = "2s", "*" = "3s" }
udp_answer_limit = 0
a_record_limit = 5
only_passing = true
enable_truncate = false
edns_udp_size = 4096
protect_threshold = 0.5
recursor_timeout = "500ms"
recursor_strategy = "random"
recursion_allowed_from = ["10.1.2.3/8", "2001:db8::1/32"]
tcp_idle_timeout = "1m"
tcp_max_connections = 7
udp_workers = 256

[dns_config.soa]
refresh = 1
retry = 2
expire = 3
min_ttl = 4
)");
  CHECK(c.node_name == "Node-1");
  CHECK(c.datacenter == "east-1");
  CHECK(c.domain == "beacon.example");
  CHECK(c.alt_domain == "alt.test");
  CHECK(c.data_dir == "/tmp/beacon");
  CHECK(c.bind_addr == "10.1.2.3");
  CHECK(c.client_addr == "::");
  CHECK(c.node_meta == std::map<std::string, std::string>{{"rack", "r7"}, {"rfc1035-x", "y"}});
  CHECK(c.log_level == "debug");
  CHECK(c.consul_version == "1.20.3");
  CHECK(c.recursors ==
        std::vector<std::string>{"8.8.8.8", "1.1.1.1:53", "[2001:db8::1]:5353", "2001:db8::2"});
  CHECK(c.enable_local_script_checks);
  CHECK(c.ports.dns == 0);
  CHECK(c.ports.http == -1);
  const DnsConfig& d = c.dns_config;
  CHECK(d.node_ttl == 30s);
  // service_ttl keeps file order, not name order.
  REQUIRE(d.service_ttl.size() == 3);
  CHECK(d.service_ttl[0] == std::pair<std::string, Duration>{"zeta", 1s});
  CHECK(d.service_ttl[1] == std::pair<std::string, Duration>{"alpha-*", 2s});
  CHECK(d.service_ttl[2] == std::pair<std::string, Duration>{"*", 3s});
  CHECK(d.udp_answer_limit == 0);
  CHECK(d.a_record_limit == 5);
  CHECK(d.only_passing);
  CHECK_FALSE(d.enable_truncate);
  CHECK(d.edns_udp_size == 4096);
  CHECK(d.protect_threshold == 0.5);
  CHECK(d.recursor_timeout == 500ms);
  CHECK(d.recursor_strategy == "random");
  CHECK(d.recursion_allowed_from == std::vector<std::string>{"10.0.0.0/8", "2001:db8::/32"});
  CHECK(d.tcp_idle_timeout == 1min);
  CHECK(d.tcp_max_connections == 7);
  CHECK(d.udp_workers == 256);
  CHECK(d.soa.refresh == 1);
  CHECK(d.soa.retry == 2);
  CHECK(d.soa.expire == 3);
  CHECK(d.soa.min_ttl == 4);
}

TEST_CASE("service_ttl order follows the file even with dotted and multi-line keys",
          "[config][loader]") {
  Config c = load_ok(R"(
[dns_config.service_ttl]
"z*" = "1s"
"m" = "2s"
"a" = "3s"
"*" = "4s"
)");
  std::vector<std::string> names;
  for (const auto& [name, ttl] : c.dns_config.service_ttl) names.push_back(name);
  CHECK(names == std::vector<std::string>{"z*", "m", "a", "*"});
}

TEST_CASE("domain and alt_domain are normalised", "[config][loader]") {
  CHECK(load_ok("domain = \"CONSUL.\"").domain == "consul");
  CHECK(load_ok("domain = \"my_zone.Example.COM\"").domain == "my_zone.example.com");
  CHECK(load_ok("alt_domain = \"Alt.Domain.\"").alt_domain == "alt.domain");
  // An explicit empty alt_domain means none.
  CHECK(load_ok("alt_domain = \"\"").alt_domain.empty());
}

TEST_CASE("two files merge: scalars override, tables merge, services append",
          "[config][loader][merge]") {
  auto got = load_files({fixture("base.toml"), fixture("override.toml")});
  if (!got) FAIL(got.error().message);
  const Config& c = *got;
  CHECK(c.node_name == "node-a");  // only in base
  CHECK(c.datacenter == "dc2");    // overridden (and lower-cased)
  CHECK(c.data_dir == "/var/lib/beacon");
  CHECK(c.recursors == std::vector<std::string>{"10.0.0.9"});  // arrays are replaced
  CHECK(c.node_meta ==
        std::map<std::string, std::string>{{"rack", "r1"}, {"zone", "b"}, {"owner", "ops"}});
  CHECK(c.dns_config.node_ttl == 30s);
  CHECK(c.dns_config.only_passing);  // kept from base: [dns_config] merges key by key
  CHECK(c.dns_config.soa.min_ttl == 60);
  CHECK(c.dns_config.soa.refresh == 3600);
  // A repeated service_ttl name keeps its place and takes the later value.
  REQUIRE(c.dns_config.service_ttl.size() == 3);
  CHECK(c.dns_config.service_ttl[0] == std::pair<std::string, Duration>{"web", 6s});
  CHECK(c.dns_config.service_ttl[1] == std::pair<std::string, Duration>{"api-*", 7s});
  CHECK(c.dns_config.service_ttl[2] == std::pair<std::string, Duration>{"*", 1s});
  REQUIRE(c.services.size() == 2);
  CHECK(c.services[0].id == "web");
  CHECK(c.services[0].tags == std::vector<std::string>{"v1"});
  CHECK(c.services[1].id == "db-1");
  CHECK(c.services[1].port == 5432);
}

TEST_CASE("alt_domain must differ from domain after merging", "[config][loader][merge]") {
  TempDir dir;
  auto a = dir.write("a.toml", "alt_domain = \"example.org\"\n");
  auto b = dir.write("b.toml", "domain = \"Example.ORG.\"\n");
  auto got = load_files({a, b});
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().message == a + ":1:14: alt_domain: must differ from domain");
}

TEST_CASE("list_config_dir lists *.toml files in name order", "[config][loader][dir]") {
  TempDir dir;
  dir.write("20-b.toml", "");
  dir.write("10-a.toml", "");
  dir.write("9-c.toml", "");
  dir.write("notes.txt", "");
  dir.write("x.toml.bak", "");
  std::filesystem::create_directory(dir.path() / "sub.toml");
  auto got = list_config_dir(dir.path().string());
  REQUIRE(got.has_value());
  std::string base = dir.path().string() + "/";
  CHECK(*got ==
        std::vector<std::string>{base + "10-a.toml", base + "20-b.toml", base + "9-c.toml"});

  TempDir empty;
  auto none = list_config_dir(empty.path().string());
  REQUIRE(none.has_value());
  CHECK(none->empty());

  auto missing = list_config_dir(dir.path().string() + "/nope");
  REQUIRE_FALSE(missing.has_value());
  CHECK_THAT(missing.error().message, Catch::StartsWith(base + "nope: cannot read directory"));
}

TEST_CASE("files from a config dir load in name order", "[config][loader][dir]") {
  TempDir dir;
  dir.write("b.toml", "log_level = \"warn\"\n[[services]]\nname = \"second\"\n");
  dir.write("a.toml", "log_level = \"error\"\n[[services]]\nname = \"first\"\n");
  auto files = list_config_dir(dir.path().string());
  REQUIRE(files.has_value());
  auto got = load_files(*files);
  if (!got) FAIL(got.error().message);
  CHECK(got->log_level == "warn");
  REQUIRE(got->services.size() == 2);
  CHECK(got->services[0].name == "first");
  CHECK(got->services[1].name == "second");
}

TEST_CASE("a missing or unreadable file is an error naming it", "[config][loader]") {
  TempDir dir;
  std::string missing = dir.path().string() + "/missing.toml";
  auto got = load_files({missing});
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().message == missing + ": cannot read: No such file or directory");

  auto as_dir = load_files({dir.path().string()});
  REQUIRE_FALSE(as_dir.has_value());
  CHECK(as_dir.error().message == dir.path().string() + ": cannot read: is a directory");
}

TEST_CASE("dev_defaults and check_data_dir", "[config][loader]") {
  Config dev = dev_defaults();
  CHECK(dev.dev);
  CHECK(dev.node_name == default_node_name());
  CHECK(dev.data_dir.empty());
  CHECK(dev.ports.dns == 8600);
  CHECK(check_data_dir(dev).has_value());

  Config plain = load_ok("");
  auto missing = check_data_dir(plain);
  REQUIRE_FALSE(missing.has_value());
  CHECK_THAT(missing.error().message, Catch::StartsWith("data_dir: required"));
  CHECK(check_data_dir(load_ok("data_dir = \"/x\"")).has_value());
}

TEST_CASE("the shipped example config loads", "[config][loader]") {
  auto got = load_files({BEACON_EXAMPLE_CONFIG});
  if (!got) FAIL(got.error().message);
  CHECK(got->node_name == "demo");
  CHECK_FALSE(got->services.empty());
  CHECK(check_data_dir(*got).has_value());
}

TEST_CASE("default_node_name is one DNS label", "[config][loader]") {
  std::string name = default_node_name();
  CHECK(!name.empty());
  CHECK(name.size() <= 63);
  CHECK(name.find('.') == std::string::npos);
}

}  // namespace
}  // namespace beacon::config
