// Answer limits and truncation with a 40-instance service: udp_answer_limit for plain UDP,
// TC when the reply does not fit 512 bytes or the EDNS size, complete answers over TCP,
// a_record_limit, and SRV replies whose additional section matches their answer section.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "tests/integration/fixtures.h"

namespace beacon::test {
namespace {

constexpr int kInstances = 40;

// `dns_config` lines go into [dns_config]; "big" has 40 instances on 127.0.1.1..40.
std::string big_config(const std::string& dns_config) {
  std::string toml = agent_toml("[dns_config]\n" + dns_config + "\n");
  for (int i = 1; i <= kInstances; ++i)
    toml += "[[services]]\nid = \"big-" + std::to_string(i) + "\"\nname = \"big\"\naddress = \"127.0.1." +
            std::to_string(i) + "\"\nport = " + std::to_string(9000 + i) + "\n\n";
  return toml;
}

bool is_big_address(const std::string& a) {
  for (int i = 1; i <= kInstances; ++i)
    if (a == "127.0.1." + std::to_string(i)) return true;
  return false;
}

// The A records are distinct instances of "big".
void check_distinct_big(const DigResult& r) {
  std::set<std::string> seen;
  for (const Record& rec : r.answer) {
    CHECK(rec.type == "A");
    CHECK(is_big_address(rec.rdata));
    CHECK(seen.insert(rec.rdata).second);
  }
}

TEST_CASE("truncation: plain UDP answers are capped by udp_answer_limit without TC", "[integration][truncation]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, big_config(""));
  DigResult r = ask_dig(agent.port(), "big.service.consul.", "A", {"+noedns", "+ignore"});
  REQUIRE_ANSWERED(r);
  INFO(describe(r));
  CHECK(r.rcode == "NOERROR");
  CHECK(r.answer.size() == 3);
  CHECK_FALSE(r.tc);
  CHECK_FALSE(r.edns);
  check_distinct_big(r);

  DigResult srv = ask_dig(agent.port(), "big.service.consul.", "SRV", {"+noedns", "+ignore"});
  REQUIRE_ANSWERED(srv);
  INFO(describe(srv));
  CHECK(srv.answer.size() == 3);
  CHECK_FALSE(srv.tc);

  DigResult k = kdig(agent.port(), {"big.service.consul.", "A", "+ignore"});  // kdig sends no EDNS by default
  REQUIRE_ANSWERED(k);
  INFO(describe(k));
  CHECK(k.answer.size() == 3);
  CHECK_FALSE(k.tc);
}

TEST_CASE("truncation: without an answer limit a plain UDP reply fits 512 bytes and sets TC",
          "[integration][truncation]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, big_config("udp_answer_limit = 0"));
  DigResult r = ask_dig(agent.port(), "big.service.consul.", "A", {"+noedns", "+ignore"});
  REQUIRE_ANSWERED(r);
  INFO(describe(r));
  CHECK(r.rcode == "NOERROR");
  CHECK(r.tc);
  CHECK(r.size > 0);
  CHECK(r.size <= 512);
  CHECK(r.answer.size() > 3);
  CHECK(r.answer.size() < static_cast<size_t>(kInstances));
  check_distinct_big(r);

  // Without +ignore, dig retries over TCP on TC and gets everything.
  DigResult retried = ask_dig(agent.port(), "big.service.consul.", "A", {"+noedns"});
  REQUIRE_ANSWERED(retried);
  CHECK(retried.answer.size() == static_cast<size_t>(kInstances));
}

TEST_CASE("truncation: EDNS and TCP replies carry more answers", "[integration][truncation]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, big_config(""));
  DigResult edns = ask_dig(agent.port(), "big.service.consul.", "A", {"+bufsize=4096", "+ignore"});
  REQUIRE_ANSWERED(edns);
  INFO(describe(edns));
  // 40 A records (about 680 bytes) fit the server's EDNS size (1232): no cap, no TC.
  CHECK(edns.edns);
  CHECK(edns.edns_udp_size == 1232);
  CHECK(edns.answer.size() == static_cast<size_t>(kInstances));
  CHECK_FALSE(edns.tc);
  check_distinct_big(edns);

  for (Tool tool : {Tool::dig, Tool::kdig}) {
    DigResult tcp = query_with(tool, agent.port(), {"big.service.consul.", "A", "+tcp", "+noedns"});
    REQUIRE_ANSWERED(tcp);
    INFO(describe(tcp));
    CHECK(tcp.answer.size() == static_cast<size_t>(kInstances));
    CHECK_FALSE(tcp.tc);
    check_distinct_big(tcp);

    DigResult srv = query_with(tool, agent.port(), {"big.service.consul.", "SRV", "+tcp"});
    REQUIRE_ANSWERED(srv);
    INFO(describe(srv));
    CHECK(srv.answer.size() == static_cast<size_t>(kInstances));
    CHECK(of_type(srv.additional, "A").size() == static_cast<size_t>(kInstances));
  }
}

TEST_CASE("truncation: a_record_limit caps A answers on every transport", "[integration][truncation]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, big_config("a_record_limit = 2"));
  for (const Client& client : all_clients()) {
    DigResult r = ask(client, agent.port(), "big.service.consul.", "A", {"+ignore"});
    REQUIRE_ANSWERED(r);
    INFO(describe(r));
    CHECK(r.answer.size() == 2);
    CHECK_FALSE(r.tc);
    check_distinct_big(r);
  }
  // a_record_limit is about addresses: SRV over TCP is complete.
  DigResult srv = ask(all_clients()[1], agent.port(), "big.service.consul.", "SRV");
  REQUIRE_ANSWERED(srv);
  CHECK(srv.answer.size() == static_cast<size_t>(kInstances));
}

TEST_CASE("truncation: a cut SRV reply over EDNS UDP only has glue for its own targets",
          "[integration][truncation]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, big_config(""));
  DigResult r = ask_dig(agent.port(), "big.service.consul.", "SRV", {"+bufsize=1232", "+ignore"});
  REQUIRE_ANSWERED(r);
  INFO(describe(r));
  CHECK(r.rcode == "NOERROR");
  // 40 SRV records with their glue need about 2.4 KB: the reply is cut to 1232 bytes.
  CHECK(r.tc);
  CHECK(r.size <= 1232);
  REQUIRE(!r.answer.empty());
  CHECK(r.answer.size() < static_cast<size_t>(kInstances));
  std::set<std::string> targets;
  for (const Record& srv : r.answer) {
    REQUIRE(srv.type == "SRV");
    std::vector<std::string> f = srv.fields();
    REQUIRE(f.size() == 4);
    targets.insert(f[3]);
  }
  std::set<std::string> glued;
  for (const Record& a : r.additional) {
    CHECK(a.type == "A");
    INFO("additional record " << a.str());
    CHECK(targets.count(a.owner) == 1);
    CHECK(glued.insert(a.owner).second);
    // <hex>.addr.dc1.consul. names its own address.
    unsigned b1, b2, b3, b4;
    REQUIRE(std::sscanf(a.rdata.c_str(), "%u.%u.%u.%u", &b1, &b2, &b3, &b4) == 4);
    char hex[16];
    std::snprintf(hex, sizeof hex, "%02x%02x%02x%02x", b1, b2, b3, b4);
    CHECK(a.owner == std::string(hex) + ".addr.dc1.consul.");
  }
  // Every target in the answer has its address in the additional section.
  CHECK(glued == targets);
}

}  // namespace
}  // namespace beacon::test
