// Restarts on the same data_dir: the catalog (and with it the SOA serial) persists, and a
// service removed from the config while the agent was down is deregistered on the next start.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "tests/integration/fixtures.h"

namespace beacon::test {
namespace {

const std::string kBase = agent_toml(R"(
[[services]]
id      = "web-1"
name    = "web"
address = "127.0.0.11"
port    = 80

[[services]]
id      = "web-2"
name    = "web"
address = "127.0.0.12"
port    = 80
)");

constexpr const char* kApi = R"(
[[services]]
name    = "api"
address = "127.0.0.21"
port    = 81
)";

struct Snapshot {
  std::vector<std::string> web_a, web_srv, api_a;
  std::string api_rcode;
  uint32_t serial = 0;
};

Snapshot snapshot(uint16_t port) {
  Snapshot s;
  DigResult web = ask_dig(port, "web.service.consul.", "A");
  REQUIRE_ANSWERED(web);
  s.web_a = sorted_str(web.answer);
  DigResult srv = ask_dig(port, "web.service.consul.", "SRV", {"+tcp"});
  REQUIRE_ANSWERED(srv);
  s.web_srv = sorted_str(srv.answer);
  DigResult api = ask_dig(port, "api.service.consul.", "A");
  REQUIRE_ANSWERED(api);
  s.api_a = sorted_str(api.answer);
  s.api_rcode = api.rcode;
  DigResult soa = ask_dig(port, "consul.", "SOA");
  REQUIRE_ANSWERED(soa);
  REQUIRE(soa.answer.size() == 1);
  s.serial = static_cast<uint32_t>(std::stoul(soa.answer[0].fields().at(2)));
  return s;
}

TEST_CASE("restart: the catalog and SOA serial persist in data_dir and removed services are deregistered",
          "[integration][restart]") {
  TempDir dir;
  const std::string with_api = kBase + kApi;

  Snapshot first;
  {
    AgentProcess agent(dir.path());
    REQUIRE_STARTED(agent, with_api);
    first = snapshot(agent.port());
    CHECK(agent.stop() == 0);
    CHECK(std::filesystem::exists(agent.data_dir() / "catalog.db"));
  }
  CHECK(first.web_a == std::vector<std::string>{"web.service.consul. 0 A 127.0.0.11", "web.service.consul. 0 A 127.0.0.12"});
  CHECK(first.api_a == std::vector<std::string>{"api.service.consul. 0 A 127.0.0.21"});
  CHECK(first.serial > 0);

  Snapshot second;
  {
    AgentProcess agent(dir.path());
    REQUIRE_STARTED(agent, with_api);
    second = snapshot(agent.port());
    CHECK(agent.stop() == 0);
  }
  CHECK(second.web_a == first.web_a);
  CHECK(second.web_srv == first.web_srv);
  CHECK(second.api_a == first.api_a);
  CHECK(second.serial >= first.serial);

  // api is removed from the config while the agent is down.
  Snapshot third;
  {
    AgentProcess agent(dir.path());
    REQUIRE_STARTED(agent, kBase);
    third = snapshot(agent.port());
    DigResult ptr = ask_dig(agent.port(), "21.0.0.127.in-addr.arpa.", "PTR");
    REQUIRE_ANSWERED(ptr);
    CHECK(ptr.rcode == "NXDOMAIN");
    CHECK(agent.stop() == 0);
  }
  CHECK(third.api_rcode == "NXDOMAIN");
  CHECK(third.api_a.empty());
  CHECK(third.web_a == first.web_a);
  CHECK(third.serial > second.serial);

  // And it comes back when the config has it again.
  {
    AgentProcess agent(dir.path());
    REQUIRE_STARTED(agent, with_api);
    Snapshot fourth = snapshot(agent.port());
    CHECK(fourth.api_a == first.api_a);
    CHECK(fourth.serial > third.serial);
  }
}

TEST_CASE("restart: --data-dir overrides data_dir from the config", "[integration][restart]") {
  TempDir dir;
  std::filesystem::path other = dir.path() / "elsewhere";
  AgentProcess agent(dir.path());
  REQUIRE(agent.start(kBase, {"--data-dir", other.string()}));
  CHECK_CASE(all_clients()[0], agent.port(),
             (DnsCase{.qname = "web.service.consul.",
                      .answer = {"web.service.consul. 0 A 127.0.0.11", "web.service.consul. 0 A 127.0.0.12"}}));
  CHECK(agent.stop() == 0);
  CHECK(std::filesystem::exists(other / "catalog.db"));
  CHECK_FALSE(std::filesystem::exists(agent.data_dir()));
}

}  // namespace
}  // namespace beacon::test
