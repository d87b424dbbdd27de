// beacon as HAProxy's service discovery: the real haproxy (Debian package `haproxy`, from
// scripts/install-deps.sh) resolves `_web._tcp.service.consul` SRV records from the real
// beacon with `server-template`, as HAProxy's Consul guide sets it up, on 127.0.0.1 high
// ports with its own config in a temp dir, stopped by PID (tests/support/haproxy_process.h).
//
// HAProxy takes a truncated SRV answer as it is and never retries over TCP, so what it holds
// is exactly what one UDP reply carries:
//   - with `accepted_payload_size 8192` a 100-instance service arrives whole: 100 servers;
//   - with a smaller size the reply is cut, and the cut must be the same subset every time,
//     or HAProxy removes and re-adds servers at every resolution.
// Both hold for 10 s with no catalog change (the observation window is the requirement).
// The configuration is the one docs/integrations.md documents.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "tests/integration/fixtures.h"
#include "tests/support/haproxy_process.h"
#include "tests/support/subprocess.h"

namespace beacon::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kInstances = 100;
constexpr int kSlots = 120;  // server-template slots: more than the instances
constexpr auto kFillTimeout = std::chrono::seconds(20);
constexpr auto kWindow = std::chrono::seconds(10);

// "web" with 100 instances on 127.0.1.1..100, ports 9001..9100.
std::string web_config() {
  std::string toml = agent_toml("", {.http = -1, .top = "datacenter  = \"dc1\"\n"});
  for (int i = 1; i <= kInstances; ++i)
    toml += "[[services]]\nid = \"web-" + std::to_string(i) + "\"\nname = \"web\"\naddress = \"127.0.1." +
            std::to_string(i) + "\"\nport = " + std::to_string(9000 + i) + "\n\n";
  return toml;
}

// HAProxy's Consul setup (docs/integrations.md), resolving every 200 ms so that 10 s see
// about 50 resolutions. `hold obsolete 0s` removes a server the first time an answer lacks
// it, so any change between answers shows.
std::string haproxy_config(uint16_t dns_port, int payload_size, uint16_t frontend_port, const std::string& socket) {
  return "global\n"
         "  stats socket " + socket + " mode 600 level admin\n"
         "\n"
         "defaults\n"
         "  mode http\n"
         "  timeout connect 1s\n"
         "  timeout client 10s\n"
         "  timeout server 10s\n"
         "\n"
         "resolvers beacon\n"
         "  nameserver beacon 127.0.0.1:" + std::to_string(dns_port) + "\n"
         "  accepted_payload_size " + std::to_string(payload_size) + "\n"
         "  resolve_retries 3\n"
         "  timeout resolve 200ms\n"
         "  timeout retry 200ms\n"
         "  hold valid 10s\n"
         "  hold obsolete 0s\n"
         "\n"
         "frontend fe\n"
         "  bind 127.0.0.1:" + std::to_string(frontend_port) + "\n"
         "  default_backend web\n"
         "\n"
         "backend web\n"
         "  balance roundrobin\n"
         "  server-template web " + std::to_string(kSlots) +
         " _web._tcp.service.consul resolvers beacon resolve-prefer ipv4 resolve-opts allow-dup-ip init-addr none\n";
}

// The resolved servers as "addr:port" by slot name.
std::map<std::string, std::string> resolved(const std::map<std::string, HaproxyServer>& servers) {
  std::map<std::string, std::string> out;
  for (const auto& [name, s] : servers)
    if (s.resolved()) out[name] = s.addr + ":" + std::to_string(s.port);
  return out;
}

std::string show(const std::map<std::string, std::string>& m) {
  std::string out;
  for (const auto& [name, addr] : m) out += name + "=" + addr + " ";
  return out;
}

// Starts beacon and haproxy, waits until haproxy holds `expect` servers (exactly, or at
// least when `expect` < 0: -expect) and keeps them for 10 s. Returns the servers it held.
std::map<std::string, std::string> run_case(int payload_size, int expect) {
  AgentProcess agent;
  REQUIRE_STARTED(agent, web_config());
  HaproxyProcess haproxy;
  if (!haproxy.start([&](uint16_t port, const std::string& socket) {
        return haproxy_config(agent.port(), payload_size, port, socket);
      }))
    FAIL(haproxy.failure());

  // Fill: haproxy resolves at start and every 200 ms.
  std::map<std::string, std::string> held;
  auto deadline = Clock::now() + kFillTimeout;
  auto full = [&](size_t n) { return expect > 0 ? n == static_cast<size_t>(expect) : n >= static_cast<size_t>(-expect); };
  while (Clock::now() < deadline) {
    held = resolved(haproxy.servers("web"));
    if (full(held.size())) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // poll interval
  }
  INFO("haproxy log:\n" << haproxy.log() << "\nheld: " << show(held));
  REQUIRE(full(held.size()));

  // The window: the same servers at the same addresses at every look, and none of them
  // changed state in between (srv_time_since_last_change also counts changes the polls miss).
  auto window_start = Clock::now();
  int looks = 0, changed = 0;
  std::string first_change;
  while (Clock::now() - window_start < kWindow) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // poll interval
    std::map<std::string, std::string> now = resolved(haproxy.servers("web"));
    ++looks;
    if (now != held) {
      if (changed++ == 0) first_change = show(now);
    }
  }
  INFO("looks: " << looks << ", changed: " << changed << "\nfirst change: " << first_change);
  CHECK(changed == 0);
  CHECK(looks > 20);
  std::map<std::string, HaproxyServer> last = haproxy.servers("web");
  long window_s = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - window_start).count();
  int recent = 0;
  for (const auto& [name, s] : last)
    if (held.count(name) && s.since_change < window_s) ++recent;
  CHECK(recent == 0);
  haproxy.stop();
  return held;
}

TEST_CASE("haproxy: accepted_payload_size 8192 holds all 100 instances, steady for 10 s",
          "[integration][haproxy]") {
  if (::access(kHaproxyPath, X_OK) != 0) {
    WARN("skipping: haproxy is not installed (Debian package haproxy); scripts/install-deps.sh installs it");
    return;
  }
  std::map<std::string, std::string> held = run_case(8192, kInstances);
  std::set<std::string> want, got;
  for (int i = 1; i <= kInstances; ++i) want.insert("127.0.1." + std::to_string(i) + ":" + std::to_string(9000 + i));
  for (const auto& [name, addr] : held) got.insert(addr);
  CHECK(got == want);
}

TEST_CASE("haproxy: a cut answer (accepted_payload_size 1232) holds the same servers for 10 s",
          "[integration][haproxy]") {
  if (::access(kHaproxyPath, X_OK) != 0) {
    WARN("skipping: haproxy is not installed (Debian package haproxy); scripts/install-deps.sh installs it");
    return;
  }
  std::map<std::string, std::string> held = run_case(1232, -10);
  CHECK(held.size() < static_cast<size_t>(kInstances));  // the answer was cut
}

}  // namespace
}  // namespace beacon::test
