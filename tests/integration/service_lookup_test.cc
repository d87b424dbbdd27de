// Service lookups against the real binary, asked with dig and kdig over UDP and TCP:
// A, AAAA and SRV, tag filters, RFC 2782 names, the datacenter label, case, NXDOMAIN and
// NODATA. Every case runs through every client.
#include <catch2/catch.hpp>

#include <set>

#include "tests/integration/fixtures.h"

namespace beacon::test {
namespace {

const std::string kConfig = agent_toml(R"(
[dns_config]
service_ttl = { "*" = "5s" }

[[services]]
id      = "web-1"
name    = "web"
tags    = ["v1", "primary"]
address = "127.0.0.11"
port    = 8080

[[services]]
id      = "web-2"
name    = "web"
tags    = ["v1"]
address = "127.0.0.12"
port    = 8080

[[services]]
id      = "web-3"
name    = "web"
tags    = ["v2"]
address = "127.0.0.13"
port    = 8081
weights = { passing = 10, warning = 1 }

[[services]]
name = "api"
tags = ["http"]
port = 9090

[[services]]
name    = "ipv6"
address = "2001:db8::10"
port    = 7000
)",
                                       {.top = "datacenter  = \"dc1\"\n"});

const char* const kSoa = "consul. 0 SOA ns.consul. hostmaster.consul. * 3600 600 86400 0";

const std::vector<DnsCase>& cases() {
  static const std::vector<DnsCase> c = {
      {.qname = "web.service.consul.",
       .qtype = "A",
       .answer = {"web.service.consul. 5 A 127.0.0.11", "web.service.consul. 5 A 127.0.0.12",
                  "web.service.consul. 5 A 127.0.0.13"}},
      {.qname = "web.service.consul.",
       .qtype = "SRV",
       .answer = {"web.service.consul. 5 SRV 1 1 8080 7f00000b.addr.dc1.consul.",
                  "web.service.consul. 5 SRV 1 1 8080 7f00000c.addr.dc1.consul.",
                  "web.service.consul. 5 SRV 1 10 8081 7f00000d.addr.dc1.consul."},
       .additional = {"7f00000b.addr.dc1.consul. 5 A 127.0.0.11", "7f00000c.addr.dc1.consul. 5 A 127.0.0.12",
                      "7f00000d.addr.dc1.consul. 5 A 127.0.0.13"}},
      {.qname = "v2.web.service.consul.", .qtype = "A", .answer = {"v2.web.service.consul. 5 A 127.0.0.13"}},
      {.qname = "v1.web.service.consul.",
       .qtype = "SRV",
       .answer = {"v1.web.service.consul. 5 SRV 1 1 8080 7f00000b.addr.dc1.consul.",
                  "v1.web.service.consul. 5 SRV 1 1 8080 7f00000c.addr.dc1.consul."},
       .additional = {"7f00000b.addr.dc1.consul. 5 A 127.0.0.11", "7f00000c.addr.dc1.consul. 5 A 127.0.0.12"}},
      {.qname = "_web._v1.service.consul.",
       .qtype = "SRV",
       .answer = {"_web._v1.service.consul. 5 SRV 1 1 8080 7f00000b.addr.dc1.consul.",
                  "_web._v1.service.consul. 5 SRV 1 1 8080 7f00000c.addr.dc1.consul."},
       .additional = {"7f00000b.addr.dc1.consul. 5 A 127.0.0.11", "7f00000c.addr.dc1.consul. 5 A 127.0.0.12"}},
      {.qname = "_web._tcp.service.consul.",
       .qtype = "SRV",
       .answer = {"_web._tcp.service.consul. 5 SRV 1 1 8080 7f00000b.addr.dc1.consul.",
                  "_web._tcp.service.consul. 5 SRV 1 1 8080 7f00000c.addr.dc1.consul.",
                  "_web._tcp.service.consul. 5 SRV 1 10 8081 7f00000d.addr.dc1.consul."},
       .additional = {"7f00000b.addr.dc1.consul. 5 A 127.0.0.11", "7f00000c.addr.dc1.consul. 5 A 127.0.0.12",
                      "7f00000d.addr.dc1.consul. 5 A 127.0.0.13"}},
      {.qname = "web.service.dc1.consul.",
       .qtype = "A",
       .answer = {"web.service.dc1.consul. 5 A 127.0.0.11", "web.service.dc1.consul. 5 A 127.0.0.12",
                  "web.service.dc1.consul. 5 A 127.0.0.13"}},
      {.qname = "web.service.dc2.consul.", .qtype = "A", .rcode = "NXDOMAIN", .authority = {kSoa}},
      // An instance without its own address uses the node's: target <node>.node.<dc>.
      {.qname = "api.service.consul.",
       .qtype = "SRV",
       .answer = {"api.service.consul. 5 SRV 1 1 9090 demo.node.dc1.consul."},
       .additional = {"demo.node.dc1.consul. 5 A 127.0.0.1"}},
      {.qname = "api.service.consul.", .qtype = "A", .answer = {"api.service.consul. 5 A 127.0.0.1"}},
      {.qname = "ipv6.service.consul.", .qtype = "AAAA", .answer = {"ipv6.service.consul. 5 AAAA 2001:db8::10"}},
      {.qname = "ipv6.service.consul.",
       .qtype = "SRV",
       .answer = {"ipv6.service.consul. 5 SRV 1 1 7000 20010db8000000000000000000000010.addr.dc1.consul."},
       .additional = {"20010db8000000000000000000000010.addr.dc1.consul. 5 AAAA 2001:db8::10"}},
      // The service exists but has no IPv4 address: NODATA.
      {.qname = "ipv6.service.consul.", .qtype = "A", .authority = {kSoa}},
      {.qname = "nope.service.consul.", .qtype = "A", .rcode = "NXDOMAIN", .authority = {kSoa}},
      {.qname = "nope.service.consul.", .qtype = "SRV", .rcode = "NXDOMAIN", .authority = {kSoa}},
      {.qname = "v9.web.service.consul.", .qtype = "A", .rcode = "NXDOMAIN", .authority = {kSoa}},
      {.qname = "web.service.consul.", .qtype = "MX", .authority = {kSoa}},
  };
  return c;
}

TEST_CASE("service lookups answer A AAAA and SRV with dig and kdig over udp and tcp", "[integration][service]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, kConfig);
  for (const Client& client : all_clients())
    for (const DnsCase& c : cases()) CHECK_CASE(client, agent.port(), c);
  CHECK(agent.stop() == 0);
}

TEST_CASE("service lookups are case-insensitive and echo the question's case", "[integration][service]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, kConfig);
  for (const Client& client : all_clients()) {
    // kdig prints names in lower case, so only dig can show that the case is echoed.
    bool keeps_case = client.tool == Tool::dig;
    std::string qname = "WeB.SeRvIcE.CoNsUl.";
    std::string echoed = keeps_case ? qname : "web.service.consul.";
    DigResult r = ask(client, agent.port(), qname, "A");
    INFO(client.name << "\n" << describe(r));
    REQUIRE(r.answered);
    CHECK(r.rcode == "NOERROR");
    CHECK(r.qname == echoed);
    REQUIRE(r.answer.size() == 3);
    for (const Record& rec : r.answer) CHECK(rec.owner == echoed);
    CHECK(sorted_rdata(r.answer) == std::vector<std::string>{"127.0.0.11", "127.0.0.12", "127.0.0.13"});

    DigResult tagged = ask(client, agent.port(), "V2.WEB.Service.DC1.Consul.", "SRV");
    INFO(describe(tagged));
    REQUIRE(tagged.answered);
    if (keeps_case) CHECK(tagged.qname == "V2.WEB.Service.DC1.Consul.");
    CHECK(sorted_rdata(tagged.answer) == std::vector<std::string>{"1 10 8081 7f00000d.addr.dc1.consul."});
  }
}

TEST_CASE("service answers are shuffled across queries", "[integration][service]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, kConfig);
  std::set<std::string> firsts;
  for (int i = 0; i < 30 && firsts.size() < 2; ++i) {
    DigResult r = ask_dig(agent.port(), "web.service.consul.", "A");
    REQUIRE_ANSWERED(r);
    REQUIRE(r.answer.size() == 3);
    firsts.insert(r.answer.front().rdata);
  }
  // Three instances in random order: 30 queries all starting with the same one has a
  // probability of (1/3)^29.
  CHECK(firsts.size() >= 2);
}

}  // namespace
}  // namespace beacon::test
