// Protocol errors on the live server, with hand-built packets over UDP and TCP: every
// malformed query gets the right rcode (or no reply at all), and the server keeps answering.
#include <catch2/catch.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/fixtures.h"
#include "tests/support/raw_dns.h"

namespace beacon::test {
namespace {

const std::string kConfig = agent_toml(R"(
[[services]]
name    = "web"
address = "127.0.0.11"
port    = 80
)");

Bytes header_only(uint16_t id, uint16_t flags) {
  Bytes msg(12, 0);
  put_u16(msg, 0, id);
  put_u16(msg, 2, flags);
  return msg;
}

// Sends `msg` and decodes the reply; REQUIREs one.
Message exchange(uint16_t port, const Bytes& msg, bool tcp) {
  std::optional<Bytes> reply = send_raw(port, msg, tcp);
  REQUIRE(reply.has_value());
  std::optional<Message> m = decode_wire(reply->data(), reply->size());
  REQUIRE(m.has_value());
  return *m;
}

// A normal query still gets its answer.
void check_still_serving(uint16_t port, bool tcp) {
  Message m = exchange(port, build_query({.id = 7, .qname = "web.service.consul"}), tcp);
  CHECK(m.id == 7);
  CHECK(m.rcode == "NOERROR");
  REQUIRE(m.answer.size() == 1);
  CHECK(m.answer[0].rdata == "127.0.0.11");
}

// One malformed (or unsupported) query and what the reply must say.
struct RawCase {
  const char* name;
  Bytes query;
  std::string rcode;
  bool echoes_id = true;
};

std::vector<RawCase> raw_cases() {
  std::vector<RawCase> cases;
  cases.push_back({"header only (QDCOUNT 0)", header_only(0x1111, kRd), "FORMERR"});

  Bytes two = build_query({.id = 0x2222, .qname = "web.service.consul"});
  Bytes second = encode_name("web.service.consul");
  two.insert(two.end(), second.begin(), second.end());
  put_u16(two, two.size(), 1);
  put_u16(two, two.size(), 1);
  put_u16(two, 4, 2);
  cases.push_back({"QDCOUNT 2", two, "FORMERR"});

  Bytes pointer = header_only(0x3333, kRd);
  put_u16(pointer, 4, 1);
  pointer.insert(pointer.end(), {0xC0, 0x0C});  // a compression pointer (to itself) as the qname
  put_u16(pointer, pointer.size(), 1);
  put_u16(pointer, pointer.size(), 1);
  cases.push_back({"compression pointer in the question", pointer, "FORMERR"});

  cases.push_back({"label of 64 bytes", build_query({.id = 0x4444, .qname = std::string(64, 'a') + ".service.consul"}),
                   "FORMERR"});

  Bytes cut = build_query({.id = 0x4545, .qname = "web.service.consul"});
  cut.resize(cut.size() - 3);  // QTYPE/QCLASS incomplete
  cases.push_back({"question cut short", cut, "FORMERR"});

  cases.push_back({"opcode STATUS", build_query({.id = 0x5555, .flags = 2 << kOpcodeShift, .qname = "web.service.consul"}),
                   "NOTIMP"});
  cases.push_back({"AXFR", build_query({.id = 0x6666, .qname = "consul", .qtype = 252}), "NOTIMP"});
  cases.push_back({"IXFR", build_query({.id = 0x6767, .qname = "consul", .qtype = 251}), "NOTIMP"});
  cases.push_back({"EDNS version 1", build_query({.id = 0x7777, .qname = "web.service.consul", .edns_version = 1}),
                   "BADVERS"});
  cases.push_back({"name outside the domain", build_query({.id = 0x8888, .qname = "example.com"}), "REFUSED"});
  cases.push_back({"class CHAOS", build_query({.id = 0x9999, .qname = "version.bind", .qtype = 16, .qclass = 3}),
                   "REFUSED"});
  return cases;
}

TEST_CASE("protocol: malformed queries get FORMERR NOTIMP BADVERS or REFUSED", "[integration][protocol]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, kConfig);
  const uint16_t port = agent.port();
  for (bool tcp : {false, true}) {
    for (const RawCase& c : raw_cases()) {
      INFO((tcp ? "tcp: " : "udp: ") << c.name);
      Message m = exchange(port, c.query, tcp);
      CHECK(m.qr);
      CHECK(m.id == (static_cast<uint16_t>(c.query[0] << 8 | c.query[1])));
      CHECK(m.rcode == c.rcode);
      CHECK(m.answer.empty());
      if (c.rcode == "BADVERS") {
        // RFC 6891: the upper bits of rcode 16 travel in the OPT record, which says version 0.
        REQUIRE(m.edns);
        CHECK(m.edns_ext_rcode == 1);
        CHECK(m.edns_version == 0);
      }
      if (c.rcode == "REFUSED") {
        CHECK_FALSE(m.aa);
        CHECK(m.authority.empty());
      }
      if (std::string(c.name) == "opcode STATUS") CHECK(m.opcode == "STATUS");
    }
    check_still_serving(port, tcp);
  }
  check_still_serving(port, false);
}

TEST_CASE("protocol: packets shorter than a header and responses get no reply", "[integration][protocol]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, kConfig);
  const uint16_t port = agent.port();
  const auto wait = std::chrono::milliseconds(700);

  Bytes short_packet{0x12, 0x34, 0x01, 0x00, 0x00};
  CHECK_FALSE(send_raw(port, short_packet, false, wait).has_value());
  CHECK_FALSE(send_raw(port, short_packet, true, wait).has_value());

  Bytes response = build_query({.id = 0x0102, .flags = kQr | kRd, .qname = "web.service.consul"});
  CHECK_FALSE(send_raw(port, response, false, wait).has_value());
  CHECK_FALSE(send_raw(port, response, true, wait).has_value());

  check_still_serving(port, false);
  check_still_serving(port, true);
}

TEST_CASE("protocol: pipelined TCP queries and oversized UDP datagrams", "[integration][protocol]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, kConfig);
  const uint16_t port = agent.port();

  // Three queries in one TCP segment get three replies on the same connection.
  std::vector<Bytes> queries;
  for (uint16_t id = 1; id <= 3; ++id) queries.push_back(build_query({.id = id, .qname = "web.service.consul"}));
  queries.push_back(build_query({.id = 4, .qname = "nope.service.consul"}));
  std::vector<Bytes> replies = send_raw_tcp_pipelined(port, queries);
  REQUIRE(replies.size() == queries.size());
  std::set<uint16_t> ids;
  for (const Bytes& reply : replies) {
    std::optional<Message> m = decode_wire(reply.data(), reply.size());
    REQUIRE(m.has_value());
    ids.insert(m->id);
    CHECK(m->rcode == (m->id == 4 ? "NXDOMAIN" : "NOERROR"));
  }
  CHECK(ids == std::set<uint16_t>{1, 2, 3, 4});

  // A datagram larger than any sane query (a valid question plus 5000 bytes) is FORMERR.
  Bytes big = build_query({.id = 0x0B16, .qname = "web.service.consul"});
  big.resize(big.size() + 5000, 0);
  Message m = exchange(port, big, false);
  CHECK(m.id == 0x0B16);
  CHECK(m.rcode == "FORMERR");
  check_still_serving(port, false);
}

TEST_CASE("protocol: out-of-zone names are REFUSED for dig", "[integration][protocol]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, kConfig);
  DnsCase refused{.qname = "example.com.", .qtype = "A", .rcode = "REFUSED", .aa = false};
  for (const Client& client : all_clients()) CHECK_CASE(client, agent.port(), refused);
}

}  // namespace
}  // namespace beacon::test
