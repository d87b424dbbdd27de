// TTLs: dns_config.service_ttl (exact name, prefix*, "*") and node_ttl in every record that
// carries them.
#include <catch2/catch.hpp>

#include "tests/integration/fixtures.h"

namespace beacon::test {
namespace {

const std::string kConfig = agent_toml(R"(
[dns_config]
node_ttl    = "30s"
service_ttl = { "*" = "5s", "web" = "10s", "db*" = "7s", "cache" = "1m" }

[[services]]
name    = "web"
address = "127.0.0.11"
port    = 80

[[services]]
name    = "api"
address = "127.0.0.12"
port    = 81

[[services]]
name    = "dbmain"
address = "127.0.0.13"
port    = 82

[[services]]
name = "cache"
port = 83
)");

TEST_CASE("service_ttl and node_ttl show up in the answers", "[integration][ttl]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, kConfig);
  const std::vector<DnsCase> cases = {
      {.qname = "web.service.consul.", .qtype = "A", .answer = {"web.service.consul. 10 A 127.0.0.11"}},
      {.qname = "web.service.consul.",
       .qtype = "SRV",
       .answer = {"web.service.consul. 10 SRV 1 1 80 7f00000b.addr.dc1.consul."},
       .additional = {"7f00000b.addr.dc1.consul. 10 A 127.0.0.11"}},
      {.qname = "api.service.consul.", .qtype = "A", .answer = {"api.service.consul. 5 A 127.0.0.12"}},
      {.qname = "dbmain.service.consul.", .qtype = "A", .answer = {"dbmain.service.consul. 7 A 127.0.0.13"}},
      {.qname = "cache.service.consul.",
       .qtype = "SRV",
       .answer = {"cache.service.consul. 60 SRV 1 1 83 demo.node.dc1.consul."},
       .additional = {"demo.node.dc1.consul. 60 A 127.0.0.1"}},
      {.qname = "demo.node.consul.", .qtype = "A", .answer = {"demo.node.consul. 30 A 127.0.0.1"}},
      {.qname = "7f00000b.addr.consul.", .qtype = "A", .answer = {"7f00000b.addr.consul. 30 A 127.0.0.11"}},
      {.qname = "11.0.0.127.in-addr.arpa.",
       .qtype = "PTR",
       .answer = {"11.0.0.127.in-addr.arpa. 30 PTR web.service.dc1.consul."}},
      {.qname = "consul.",
       .qtype = "NS",
       .answer = {"consul. 30 NS demo.node.dc1.consul."},
       .additional = {"demo.node.dc1.consul. 30 A 127.0.0.1"}},
  };
  for (const DnsCase& c : cases) CHECK_CASE(all_clients()[0], agent.port(), c);
}

}  // namespace
}  // namespace beacon::test
