// Health in DNS: the initial status of a service's checks decides whether an instance is
// answered (critical: never; warning: unless only_passing) and which SRV weight it gets.
#include <catch2/catch.hpp>

#include <string>

#include "tests/integration/fixtures.h"

namespace beacon::test {
namespace {

// `only_passing` is substituted into [dns_config].
std::string health_config(bool only_passing) {
  return agent_toml(std::string(R"(
[dns_config]
only_passing = )") + (only_passing ? "true" : "false") + R"(

# The only instance is critical: the service is not answered at all.
[[services]]
id      = "pay-1"
name    = "pay"
address = "127.0.0.31"
port    = 7001
  [[services.checks]]
  ttl    = "30s"
  status = "critical"

# The only instance is warning.
[[services]]
id      = "db-1"
name    = "db"
address = "127.0.0.21"
port    = 5432
weights = { passing = 5, warning = 1 }
  [[services.checks]]
  ttl    = "30s"
  status = "warning"

# passing, critical and warning instances of one service.
[[services]]
id      = "web-1"
name    = "web"
address = "127.0.0.11"
port    = 8080
weights = { passing = 5, warning = 1 }
  [[services.checks]]
  ttl    = "30s"
  status = "passing"

[[services]]
id      = "web-2"
name    = "web"
address = "127.0.0.12"
port    = 8080
weights = { passing = 5, warning = 1 }
  [[services.checks]]
  ttl    = "30s"
  status = "critical"

[[services]]
id      = "web-3"
name    = "web"
address = "127.0.0.13"
port    = 8080
weights = { passing = 7, warning = 2 }
  [[services.checks]]
  ttl    = "30s"
  status = "warning"

# One passing and one critical check on the same instance: critical wins.
[[services]]
id      = "cache-1"
name    = "cache"
address = "127.0.0.41"
port    = 6379
  [[services.checks]]
  id     = "cache-ttl"
  ttl    = "30s"
  status = "passing"
  [[services.checks]]
  id     = "cache-other"
  ttl    = "30s"
  status = "critical"

# No checks at all: passing.
[[services]]
name    = "plain"
address = "127.0.0.51"
port    = 80
weights = { passing = 3, warning = 1 }
)");
}

const char* const kSoa = "consul. 0 SOA ns.consul. hostmaster.consul. * 3600 600 86400 0";

TEST_CASE("health: critical instances are left out and warning ones get the warning weight",
          "[integration][health]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, health_config(false));
  const std::vector<DnsCase> cases = {
      {.qname = "pay.service.consul.", .qtype = "A", .rcode = "NXDOMAIN", .authority = {kSoa}},
      {.qname = "pay.service.consul.", .qtype = "SRV", .rcode = "NXDOMAIN", .authority = {kSoa}},
      {.qname = "cache.service.consul.", .qtype = "A", .rcode = "NXDOMAIN", .authority = {kSoa}},
      {.qname = "db.service.consul.",
       .qtype = "SRV",
       .answer = {"db.service.consul. 0 SRV 1 1 5432 7f000015.addr.dc1.consul."},
       .additional = {"7f000015.addr.dc1.consul. 0 A 127.0.0.21"}},
      {.qname = "web.service.consul.",
       .qtype = "A",
       .answer = {"web.service.consul. 0 A 127.0.0.11", "web.service.consul. 0 A 127.0.0.13"}},
      {.qname = "web.service.consul.",
       .qtype = "SRV",
       .answer = {"web.service.consul. 0 SRV 1 5 8080 7f00000b.addr.dc1.consul.",
                  "web.service.consul. 0 SRV 1 2 8080 7f00000d.addr.dc1.consul."},
       .additional = {"7f00000b.addr.dc1.consul. 0 A 127.0.0.11", "7f00000d.addr.dc1.consul. 0 A 127.0.0.13"}},
      {.qname = "plain.service.consul.",
       .qtype = "SRV",
       .answer = {"plain.service.consul. 0 SRV 1 3 80 7f000033.addr.dc1.consul."},
       .additional = {"7f000033.addr.dc1.consul. 0 A 127.0.0.51"}},
  };
  for (const DnsCase& c : cases) CHECK_CASE(all_clients()[0], agent.port(), c);
  CHECK(agent.stop() == 0);
}

TEST_CASE("health: only_passing leaves warning instances out", "[integration][health]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, health_config(true));
  const std::vector<DnsCase> cases = {
      {.qname = "db.service.consul.", .qtype = "A", .rcode = "NXDOMAIN", .authority = {kSoa}},
      {.qname = "db.service.consul.", .qtype = "SRV", .rcode = "NXDOMAIN", .authority = {kSoa}},
      {.qname = "pay.service.consul.", .qtype = "A", .rcode = "NXDOMAIN", .authority = {kSoa}},
      {.qname = "web.service.consul.", .qtype = "A", .answer = {"web.service.consul. 0 A 127.0.0.11"}},
      {.qname = "web.service.consul.",
       .qtype = "SRV",
       .answer = {"web.service.consul. 0 SRV 1 5 8080 7f00000b.addr.dc1.consul."},
       .additional = {"7f00000b.addr.dc1.consul. 0 A 127.0.0.11"}},
      {.qname = "plain.service.consul.", .qtype = "A", .answer = {"plain.service.consul. 0 A 127.0.0.51"}},
  };
  for (const DnsCase& c : cases) CHECK_CASE(all_clients()[0], agent.port(), c);
}

}  // namespace
}  // namespace beacon::test
