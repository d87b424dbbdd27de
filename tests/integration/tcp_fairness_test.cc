// Fair DNS-over-TCP admission on the live server: one client address that opens and holds
// many idle connections neither locks other clients out (the longest-idle connection makes
// room) nor holds more than its own share (tcp_max_connections_per_client).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/fixtures.h"
#include "tests/support/raw_dns.h"

namespace beacon::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string config(int max_total, int per_client) {
  return R"(
node_name   = "demo"
data_dir    = "@DATA_DIR@"
bind_addr   = "127.0.0.1"
client_addr = "127.0.0.1"
[ports]
dns  = 0
http = -1
[dns_config]
tcp_idle_timeout = "60s"
tcp_max_connections = )" + std::to_string(max_total) + R"(
tcp_max_connections_per_client = )" + std::to_string(per_client) + R"(
[[services]]
name    = "web"
address = "127.0.0.11"
port    = 80
)";
}

// A TCP connection to 127.0.0.1:port from `source` (another loopback address); -1 on failure.
int connect_from(const char* source, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Whether the server closed `fd` within `wait` (EOF or reset).
bool closed_by_server(int fd, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
  char c;
  return ::recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

// One query on a fresh connection from `source`; the time until the whole reply arrived,
// or nothing when there was none within 2 s.
std::optional<std::chrono::microseconds> timed_query(const char* source, uint16_t port) {
  auto start = Clock::now();
  int fd = connect_from(source, port);
  if (fd < 0) return std::nullopt;
  Bytes q = build_query({.id = 9, .qname = "web.service.consul"});
  Bytes framed{static_cast<uint8_t>(q.size() >> 8), static_cast<uint8_t>(q.size())};
  framed.insert(framed.end(), q.begin(), q.end());
  std::optional<std::chrono::microseconds> took;
  if (::send(fd, framed.data(), framed.size(), 0) == static_cast<ssize_t>(framed.size())) {
    std::vector<uint8_t> in;
    auto end = start + 2s;
    while (Clock::now() < end) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      uint8_t buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.insert(in.end(), buf, buf + n);
      if (in.size() >= 2 && in.size() >= 2u + ((in[0] << 8) | in[1])) {
        took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
        break;
      }
    }
  }
  ::close(fd);
  return took;
}

void raise_fd_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
}

TEST_CASE("tcp: 2,000 idle connections from one client do not lock out another", "[integration][tcp][fairness]") {
  raise_fd_limit();
  AgentProcess agent;
  REQUIRE_STARTED(agent, config(512, 100000));
  const uint16_t port = agent.port();
  std::vector<int> held;
  for (int i = 0; i < 2000; ++i) {
    int fd = connect_from("127.0.0.2", port);
    if (fd < 0) break;
    held.push_back(fd);
  }
  INFO("connections opened by the flooding client: " << held.size());
  REQUIRE(held.size() >= 1000);
  std::chrono::microseconds worst{0};
  int answered = 0;
  for (int i = 0; i < 20; ++i) {
    auto took = timed_query("127.0.0.3", port);
    if (took) {
      ++answered;
      worst = std::max(worst, *took);
    }
  }
  WARN("tcp fairness: " << held.size() << " idle connections held by 127.0.0.2; 127.0.0.3 answered " << answered
                        << "/20, slowest " << worst.count() / 1000.0 << " ms");
  CHECK(answered == 20);
  CHECK(worst < 2s);  // the goal is 1 s (met when the machine is not loaded); 2 s keeps a loaded CI honest
  // A real client over TCP too.
  DigResult r = ask_dig(port, "web.service.consul", "A", {"+tcp", "-b", "127.0.0.3"});
  REQUIRE_ANSWERED(r);
  CHECK(r.answer.size() == 1);
  for (int fd : held) ::close(fd);
}

TEST_CASE("tcp: a client past tcp_max_connections_per_client is closed at once, others are not",
          "[integration][tcp][fairness]") {
  AgentProcess agent;
  REQUIRE_STARTED(agent, config(1024, 8));
  const uint16_t port = agent.port();
  std::vector<int> held;
  for (int i = 0; i < 8; ++i) {
    int fd = connect_from("127.0.0.2", port);
    REQUIRE(fd >= 0);
    held.push_back(fd);
  }
  // The ninth from the same address is closed without an answer; its eight stay open.
  int extra = connect_from("127.0.0.2", port);
  REQUIRE(extra >= 0);
  CHECK(closed_by_server(extra, 2000ms));
  ::close(extra);
  for (int fd : held) CHECK_FALSE(closed_by_server(fd, 0ms));
  // Another address is answered.
  CHECK(timed_query("127.0.0.3", port).has_value());
  for (int fd : held) ::close(fd);
}

}  // namespace
}  // namespace beacon::test
