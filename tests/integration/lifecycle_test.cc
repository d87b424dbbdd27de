// The agent's life as an operator sees it: SIGHUP reloads (good and broken files), config
// errors at startup, `beacon validate`, `version`, `--help`, SIGTERM/SIGINT, and `--dev`.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "tests/integration/fixtures.h"
#include "tests/support/raw_dns.h"

namespace beacon::test {
namespace {

// The 1-based number of the first line of `toml` that holds `needle` (0: none).
size_t line_of(std::string_view toml, std::string_view needle) {
  size_t at = toml.find(needle);
  if (at == std::string_view::npos) return 0;
  return 1 + static_cast<size_t>(std::count(toml.begin(), toml.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

// Version 1: web (one instance, TTL 10s) and api.
constexpr const char* kServicesV1 = R"(
[dns_config]
service_ttl = { "web" = "10s" }

[[services]]
id      = "web-1"
name    = "web"
address = "127.0.0.11"
port    = 80

[[services]]
name    = "api"
address = "127.0.0.12"
port    = 81
)";

// Version 2: web-1 moves, a second web instance, cache added, api removed, new web TTL and
// SOA min_ttl.
constexpr const char* kServicesV2 = R"(
[dns_config]
service_ttl = { "web" = "20s" }

[dns_config.soa]
min_ttl = 9

[[services]]
id      = "web-1"
name    = "web"
address = "127.0.0.15"
port    = 80

[[services]]
id      = "web-2"
name    = "web"
address = "127.0.0.13"
port    = 80

[[services]]
name    = "cache"
address = "127.0.0.14"
port    = 82
)";

const char* const kSoaV1 = "consul. 0 SOA ns.consul. hostmaster.consul. * 3600 600 86400 0";
const char* const kSoaV2 = "consul. 9 SOA ns.consul. hostmaster.consul. * 3600 600 86400 9";

uint32_t soa_serial(uint16_t port) {
  DigResult r = ask_dig(port, "consul.", "SOA");
  REQUIRE_ANSWERED(r);
  REQUIRE(r.answer.size() == 1);
  std::vector<std::string> f = r.answer[0].fields();
  REQUIRE(f.size() == 7);
  return static_cast<uint32_t>(std::stoul(f[2]));
}

bool has_catalog_db(const std::filesystem::path& dir) {
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.path().filename() == "catalog.db") return true;
  return false;
}

// Whether both UDP and TCP port `port` on 127.0.0.1 can be bound right now.
bool port_free(uint16_t port) {
  for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
    int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    ::close(fd);
    if (!ok) return false;
  }
  return true;
}

TEST_CASE("lifecycle: SIGHUP applies added removed and changed services and DNS settings",
          "[integration][lifecycle]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, agent_toml(kServicesV1));
  const Client& udp = all_clients()[0];
  CHECK_CASE(udp, agent.port(), (DnsCase{.qname = "web.service.consul.", .answer = {"web.service.consul. 10 A 127.0.0.11"}}));
  CHECK_CASE(udp, agent.port(), (DnsCase{.qname = "api.service.consul.", .answer = {"api.service.consul. 0 A 127.0.0.12"}}));
  CHECK_CASE(udp, agent.port(), (DnsCase{.qname = "cache.service.consul.", .rcode = "NXDOMAIN", .authority = {kSoaV1}}));
  uint32_t serial_before = soa_serial(agent.port());

  agent.write_config(agent_toml(kServicesV2));
  REQUIRE(agent.reload() == ReloadResult::reloaded);

  CHECK_CASE(udp, agent.port(),
             (DnsCase{.qname = "web.service.consul.",
                      .answer = {"web.service.consul. 20 A 127.0.0.15", "web.service.consul. 20 A 127.0.0.13"}}));
  CHECK_CASE(udp, agent.port(),
             (DnsCase{.qname = "11.0.0.127.in-addr.arpa.", .qtype = "PTR", .rcode = "NXDOMAIN", .authority = {kSoaV2}}));
  CHECK_CASE(udp, agent.port(),
             (DnsCase{.qname = "15.0.0.127.in-addr.arpa.",
                      .qtype = "PTR",
                      .answer = {"15.0.0.127.in-addr.arpa. 0 PTR web.service.dc1.consul."}}));
  CHECK_CASE(udp, agent.port(), (DnsCase{.qname = "cache.service.consul.", .answer = {"cache.service.consul. 0 A 127.0.0.14"}}));
  CHECK_CASE(udp, agent.port(), (DnsCase{.qname = "api.service.consul.", .rcode = "NXDOMAIN", .authority = {kSoaV2}}));
  CHECK_CASE(udp, agent.port(),
             (DnsCase{.qname = "12.0.0.127.in-addr.arpa.", .qtype = "PTR", .rcode = "NXDOMAIN", .authority = {kSoaV2}}));
  CHECK_CASE(udp, agent.port(),
             (DnsCase{.qname = "14.0.0.127.in-addr.arpa.",
                      .qtype = "PTR",
                      .answer = {"14.0.0.127.in-addr.arpa. 0 PTR cache.service.dc1.consul."}}));
  CHECK(soa_serial(agent.port()) > serial_before);
  CHECK(agent.running());
  CHECK(agent.stop() == 0);
}

TEST_CASE("lifecycle: SIGHUP with a broken config keeps serving the old one and logs the error",
          "[integration][lifecycle]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, agent_toml(kServicesV1));
  const Client& udp = all_clients()[0];
  const DnsCase web_v1{.qname = "web.service.consul.", .answer = {"web.service.consul. 10 A 127.0.0.11"}};
  const DnsCase api_v1{.qname = "api.service.consul.", .answer = {"api.service.consul. 0 A 127.0.0.12"}};

  // A table defined twice (a TOML error), then a value of the wrong type.
  const std::string wrong_type = agent_toml("[dns_config]\nudp_answer_limit = \"many\"\n");
  for (const std::string& broken : {agent_toml(std::string(kServicesV2) + "\n[dns_config]\n"), wrong_type}) {
    agent.write_config(broken);
    REQUIRE(agent.reload() == ReloadResult::failed);
    std::string log = agent.log();
    INFO(log);
    CHECK(log.find("reload failed") != std::string::npos);
    CHECK(log.find("beacon.toml:") != std::string::npos);
    CHECK(agent.running());
    CHECK_CASE(udp, agent.port(), web_v1);
    CHECK_CASE(udp, agent.port(), api_v1);
  }
  const std::string where = "beacon.toml:" + std::to_string(line_of(wrong_type, "udp_answer_limit")) + ":";
  CHECK(agent.log().find(where) != std::string::npos);

  // Fixed again: the next SIGHUP applies it.
  agent.write_config(agent_toml(kServicesV2));
  REQUIRE(agent.reload() == ReloadResult::reloaded);
  CHECK_CASE(udp, agent.port(), (DnsCase{.qname = "cache.service.consul.", .answer = {"cache.service.consul. 0 A 127.0.0.14"}}));
}

TEST_CASE("lifecycle: a broken config makes the agent exit 1 with file:line", "[integration][lifecycle]") {
  TempDir dir;
  std::filesystem::path bad = dir.path() / "bad.toml";
  SECTION("a value of the wrong type") {
    std::ofstream(bad) << "node_name = \"demo\"\ndata_dir = \"" << (dir.path() / "data").string()
                       << "\"\n[ports]\ndns = 0\nhttp = 0\n[dns_config]\nudp_answer_limit = \"x\"\n";
    CommandResult r = run_beacon({"agent", "--config", bad.string()});
    INFO(r.err);
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(bad.string() + ":7:") != std::string::npos);
    CHECK(r.err.find("udp_answer_limit") != std::string::npos);
  }
  SECTION("an unknown key") {
    std::ofstream(bad) << "node_name = \"demo\"\n[ports]\ndns = 0\n\ncolour = \"red\"\n";
    CommandResult r = run_beacon({"agent", "--config", bad.string()});
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(bad.string() + ":5:") != std::string::npos);
    CHECK(r.err.find("colour") != std::string::npos);
  }
  SECTION("a TOML syntax error") {
    std::ofstream(bad) << "node_name = \"demo\"\n[ports\ndns = 0\n";
    CommandResult r = run_beacon({"agent", "--config", bad.string()});
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(bad.string() + ":2:") != std::string::npos);
  }
  SECTION("a missing file") {
    CommandResult r = run_beacon({"agent", "--config", (dir.path() / "absent.toml").string()});
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("absent.toml") != std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(dir.path() / "data" / "catalog.db"));
}

TEST_CASE("lifecycle: beacon validate exits 0 for a good config and 1 for a bad one", "[integration][lifecycle]") {
  AgentProcess files;  // only for its temp dir
  std::filesystem::path good = files.write_config(agent_toml(kServicesV2), "good.toml");
  const std::string bad_toml = agent_toml("[dns_config]\nonly_passing = 3\n");
  std::filesystem::path bad = files.write_config(bad_toml, "bad.toml");

  CommandResult ok = run_beacon({"validate", good.string()});
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("valid") != std::string::npos);

  CommandResult fail = run_beacon({"validate", bad.string()});
  INFO(fail.out << fail.err);
  CHECK(fail.exit_code == 1);
  const std::string where = bad.string() + ":" + std::to_string(line_of(bad_toml, "only_passing")) + ":";
  CHECK(fail.err.find(where) != std::string::npos);
  CHECK(fail.err.find("only_passing") != std::string::npos);

  // Files merge in order, so a good file does not hide a bad one.
  CHECK(run_beacon({"validate", good.string(), bad.string()}).exit_code == 1);
  CHECK(run_beacon({"validate"}).exit_code == 1);
  CHECK(run_beacon({"validate", (files.dir() / "absent.toml").string()}).exit_code == 1);
}

TEST_CASE("lifecycle: beacon version and agent --help exit 0", "[integration][lifecycle]") {
  CommandResult version = run_beacon({"version"});
  INFO(version.out << version.err);
  CHECK(version.exit_code == 0);
  CHECK(version.out.rfind("beacon ", 0) == 0);
  CHECK(version.out.find_first_of("0123456789") != std::string::npos);

  CommandResult help = run_beacon({"agent", "--help"});
  INFO(help.out << help.err);
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("Usage: beacon agent") != std::string::npos);
  CHECK(help.out.find("--config") != std::string::npos);

  CommandResult unknown = run_beacon({"frobnicate"});
  CHECK(unknown.exit_code == 1);
  CommandResult bad_flag = run_beacon({"agent", "--no-such-flag"});
  CHECK(bad_flag.exit_code == 1);
  CHECK(bad_flag.err.find("--no-such-flag") != std::string::npos);
}

TEST_CASE("lifecycle: SIGTERM and SIGINT stop the agent with exit code 0", "[integration][lifecycle]") {
  for (int signo : {SIGTERM, SIGINT}) {
    AgentProcess agent;
    REQUIRE_STARTED(agent, agent_toml(kServicesV1));
    uint16_t port = agent.port();
    REQUIRE(send_raw(port, build_query({.qname = "web.service.consul"}), false).has_value());
    REQUIRE(::kill(agent.pid(), signo) == 0);
    std::optional<int> code = agent.wait_exit(std::chrono::seconds(10));
    INFO(agent.failure());
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    // Nobody answers on the port any more.
    CHECK_FALSE(send_raw(port, build_query({.qname = "web.service.consul"}), false,
                         std::chrono::milliseconds(300)).has_value());
    CHECK_FALSE(send_raw(port, build_query({.qname = "web.service.consul"}), true,
                         std::chrono::milliseconds(300)).has_value());
  }
}

TEST_CASE("lifecycle: --dev keeps the catalog in memory and needs no data_dir", "[integration][lifecycle]") {
  const std::string kDevConfig = agent_toml(R"(
[[services]]
name    = "web"
address = "127.0.0.11"
port    = 80
)", {.bind_addr = "", .data_dir = false});
  AgentProcess agent;
  // Without --dev the agent refuses to run without a data_dir.
  CommandResult refused = run_beacon({"agent", "--config", agent.write_config(kDevConfig).string()});
  INFO(refused.err);
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("data_dir") != std::string::npos);

  REQUIRE(agent.start_args({"agent", "--dev", "--config", agent.config_path().string()}));
  CHECK_CASE(all_clients()[0], agent.port(),
             (DnsCase{.qname = "web.service.consul.", .answer = {"web.service.consul. 0 A 127.0.0.11"}}));
  CHECK(agent.stop() == 0);
  CHECK_FALSE(has_catalog_db(agent.dir()));
}

TEST_CASE("lifecycle: --dev without a config serves the built-in example on port 8600", "[integration][dev]") {
  if (!port_free(8600) || !port_free(8500)) {
    WARN("port 8600 or 8500 is busy: skipping the --dev default-port check");
    return;
  }
  AgentProcess agent;
  if (!agent.start_args({"agent", "--dev"})) {
    if (agent.log().find("8600") != std::string::npos && agent.log().find("bind") != std::string::npos) {
      WARN("port 8600 was taken meanwhile: skipping\n" << agent.failure());
      return;
    }
    FAIL("agent --dev did not start: " << agent.failure());
  }
  CHECK(agent.port() == 8600);
  DigResult r = ask_dig(agent.port(), "web.service.consul.", "SRV");
  REQUIRE_ANSWERED(r);
  INFO(describe(r));
  CHECK(r.rcode == "NOERROR");
  CHECK(r.answer.size() == 3);
  CHECK(agent.stop() == 0);
  CHECK_FALSE(has_catalog_db(agent.dir()));
}

}  // namespace
}  // namespace beacon::test
