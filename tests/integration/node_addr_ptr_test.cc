// Names that are not services: <node>.node, <hex>.addr, reverse lookups under in-addr.arpa
// and ip6.arpa, SOA and NS at the apex, and the same answers under alt_domain.
#include <catch2/catch.hpp>

#include <string>

#include "tests/integration/fixtures.h"

namespace beacon::test {
namespace {

const std::string kConfig = agent_toml(R"(
[node_meta]
rack = "r1"
env  = "example"

[dns_config.soa]
refresh = 1800
retry   = 300
expire  = 43200
min_ttl = 7

[[services]]
id      = "web-1"
name    = "web"
address = "127.0.0.11"
port    = 8080

[[services]]
name    = "ipv6"
address = "2001:db8::10"
port    = 7000
)",
                                       {.top = "datacenter  = \"dc1\"\nalt_domain  = \"beacon.test\"\n"});

const char* const kSoa = "consul. 7 SOA ns.consul. hostmaster.consul. * 1800 300 43200 7";
const char* const kAltSoa = "beacon.test. 7 SOA ns.beacon.test. hostmaster.beacon.test. * 1800 300 43200 7";
const char* const kIp6Ptr = "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.";

const std::vector<DnsCase>& cases() {
  static const std::vector<DnsCase> c = {
      {.qname = "demo.node.consul.", .qtype = "A", .answer = {"demo.node.consul. 0 A 127.0.0.1"}},
      {.qname = "demo.node.dc1.consul.", .qtype = "A", .answer = {"demo.node.dc1.consul. 0 A 127.0.0.1"}},
      {.qname = "demo.node.consul.",
       .qtype = "TXT",
       .answer = {"demo.node.consul. 0 TXT \"rack=r1\"", "demo.node.consul. 0 TXT \"env=example\""}},
      {.qname = "demo.node.consul.", .qtype = "AAAA", .authority = {kSoa}},
      {.qname = "other.node.consul.", .qtype = "A", .rcode = "NXDOMAIN", .authority = {kSoa}},
      {.qname = "7f00000b.addr.consul.", .qtype = "A", .answer = {"7f00000b.addr.consul. 0 A 127.0.0.11"}},
      {.qname = "7f00000b.addr.dc1.consul.", .qtype = "A", .answer = {"7f00000b.addr.dc1.consul. 0 A 127.0.0.11"}},
      {.qname = "20010db8000000000000000000000010.addr.consul.",
       .qtype = "AAAA",
       .answer = {"20010db8000000000000000000000010.addr.consul. 0 AAAA 2001:db8::10"}},
      {.qname = "zz00000b.addr.consul.", .qtype = "A", .rcode = "NXDOMAIN", .authority = {kSoa}},
      {.qname = "7f0000.addr.consul.", .qtype = "A", .rcode = "NXDOMAIN", .authority = {kSoa}},
      // A service address names the service; the node's bind_addr names the node.
      {.qname = "11.0.0.127.in-addr.arpa.",
       .qtype = "PTR",
       .answer = {"11.0.0.127.in-addr.arpa. 0 PTR web.service.dc1.consul."}},
      {.qname = "1.0.0.127.in-addr.arpa.",
       .qtype = "PTR",
       .answer = {"1.0.0.127.in-addr.arpa. 0 PTR demo.node.dc1.consul."}},
      {.qname = kIp6Ptr, .qtype = "PTR", .answer = {std::string(kIp6Ptr) + " 0 PTR ipv6.service.dc1.consul."}},
      {.qname = "9.9.9.10.in-addr.arpa.", .qtype = "PTR", .rcode = "NXDOMAIN", .authority = {kSoa}},
      {.qname = "consul.",
       .qtype = "SOA",
       .answer = {kSoa},
       .authority = {"consul. 0 NS demo.node.dc1.consul."},
       .additional = {"demo.node.dc1.consul. 0 A 127.0.0.1"}},
      {.qname = "consul.",
       .qtype = "NS",
       .answer = {"consul. 0 NS demo.node.dc1.consul."},
       .additional = {"demo.node.dc1.consul. 0 A 127.0.0.1"}},
      {.qname = "consul.", .qtype = "A", .authority = {kSoa}},
      // alt_domain: the same data under the other suffix, SRV targets included.
      {.qname = "web.service.beacon.test.", .qtype = "A", .answer = {"web.service.beacon.test. 0 A 127.0.0.11"}},
      {.qname = "web.service.beacon.test.",
       .qtype = "SRV",
       .answer = {"web.service.beacon.test. 0 SRV 1 1 8080 7f00000b.addr.dc1.beacon.test."},
       .additional = {"7f00000b.addr.dc1.beacon.test. 0 A 127.0.0.11"}},
      {.qname = "demo.node.beacon.test.", .qtype = "A", .answer = {"demo.node.beacon.test. 0 A 127.0.0.1"}},
      {.qname = "nope.service.beacon.test.", .qtype = "A", .rcode = "NXDOMAIN", .authority = {kAltSoa}},
      {.qname = "beacon.test.",
       .qtype = "NS",
       .answer = {"beacon.test. 0 NS demo.node.dc1.beacon.test."},
       .additional = {"demo.node.dc1.beacon.test. 0 A 127.0.0.1"}},
  };
  return c;
}

TEST_CASE("node addr and PTR names and the apex SOA and NS answer over udp and tcp", "[integration][node]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, kConfig);
  for (const Client& client : all_clients())
    for (const DnsCase& c : cases()) CHECK_CASE(client, agent.port(), c);
}

TEST_CASE("dig -x finds services and the node and the SOA serial is positive", "[integration][node]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, kConfig);
  DigResult svc = dig(agent.port(), {"-x", "127.0.0.11"});
  REQUIRE_ANSWERED(svc);
  CHECK(sorted_rdata(svc.answer) == std::vector<std::string>{"web.service.dc1.consul."});
  DigResult node = dig(agent.port(), {"-x", "127.0.0.1"});
  REQUIRE_ANSWERED(node);
  CHECK(sorted_rdata(node.answer) == std::vector<std::string>{"demo.node.dc1.consul."});

  DigResult soa = ask_dig(agent.port(), "consul.", "SOA");
  REQUIRE_ANSWERED(soa);
  REQUIRE(soa.answer.size() == 1);
  std::vector<std::string> f = soa.answer[0].fields();
  REQUIRE(f.size() == 7);
  CHECK(std::stoul(f[2]) > 0);
  CHECK(f[6] == "7");
}

}  // namespace
}  // namespace beacon::test
