// SIGHUP edge cases: after a reload the agent must answer exactly as a fresh start with the
// same config would.
#include <catch2/catch.hpp>

#include <string>

#include "tests/integration/fixtures.h"

namespace beacon::test {
namespace {

std::string config(const std::string& bind_addr, const std::string& api_name) {
  return agent_toml("[[services]]\nname = \"" + api_name + "\"\nport = 9090\n", {.bind_addr = bind_addr});
}

const char* const kSoa = "consul. 0 SOA ns.consul. hostmaster.consul. * 3600 600 86400 0";

TEST_CASE("reload: a new bind_addr moves the node's PTR record", "[integration][reload]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, config("127.0.0.1", "api"));
  const Client& udp = all_clients()[0];
  CHECK_CASE(udp, agent.port(),
             (DnsCase{.qname = "1.0.0.127.in-addr.arpa.",
                      .qtype = "PTR",
                      .answer = {"1.0.0.127.in-addr.arpa. 0 PTR demo.node.dc1.consul."}}));

  agent.write_config(config("127.0.0.2", "api"));
  REQUIRE(agent.reload() == ReloadResult::reloaded);
  // The node's A record follows (so do instances that use the node's address)...
  CHECK_CASE(udp, agent.port(), (DnsCase{.qname = "demo.node.consul.", .answer = {"demo.node.consul. 0 A 127.0.0.2"}}));
  CHECK_CASE(udp, agent.port(), (DnsCase{.qname = "api.service.consul.", .answer = {"api.service.consul. 0 A 127.0.0.2"}}));
  // ...and so must the reverse records: the new address names the node, the old one nothing.
  CHECK_CASE(udp, agent.port(),
             (DnsCase{.qname = "2.0.0.127.in-addr.arpa.",
                      .qtype = "PTR",
                      .answer = {"2.0.0.127.in-addr.arpa. 0 PTR demo.node.dc1.consul."}}));
  CHECK_CASE(udp, agent.port(),
             (DnsCase{.qname = "1.0.0.127.in-addr.arpa.", .qtype = "PTR", .rcode = "NXDOMAIN", .authority = {kSoa}}));
}

TEST_CASE("reload: a service renamed to another letter case stays answered", "[integration][reload]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, config("127.0.0.1", "api"));
  const DnsCase api{.qname = "api.service.consul.",
                    .qtype = "SRV",
                    .answer = {"api.service.consul. 0 SRV 1 1 9090 demo.node.dc1.consul."},
                    .additional = {"demo.node.dc1.consul. 0 A 127.0.0.1"}};
  const Client& udp = all_clients()[0];
  CHECK_CASE(udp, agent.port(), api);

  // DNS names are case-insensitive: "Api" is the same DNS name as "api". A fresh start with
  // this config answers it; a reload to it must too.
  agent.write_config(config("127.0.0.1", "Api"));
  REQUIRE(agent.reload() == ReloadResult::reloaded);
  CHECK_CASE(udp, agent.port(), api);

  REQUIRE(agent.stop() == 0);
  REQUIRE_STARTED(agent, config("127.0.0.1", "Api"));
  CHECK_CASE(udp, agent.port(), api);
}

}  // namespace
}  // namespace beacon::test
