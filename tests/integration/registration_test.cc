// Registration through the HTTP API with curl, and DNS following health: the real binary,
// real checks against small targets on loopback, and dig.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "tests/integration/fixtures.h"
#include "tests/support/curl.h"
#include "tests/support/http_target.h"

namespace beacon::test {
namespace {

using namespace std::chrono_literals;

// The agent of these cases: script checks on unless `scripts` is false.
std::string base_toml(std::string_view tables = "", bool scripts = true) {
  return agent_toml(tables, {.top = std::string("enable_local_script_checks = ") + (scripts ? "true" : "false")});
}

// Polls `probe` every 50 ms until it returns true or `limit` passes.
bool eventually(const std::function<bool()>& probe, std::chrono::milliseconds limit = 8000ms) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (probe()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return probe();
}

// The unsent and the unread bytes of the TCP connection from 127.0.0.1:`local` to
// 127.0.0.1:`remote`, as /proc/net/tcp shows them (the agent runs in our network namespace).
struct TcpQueues {
  unsigned long unacked = 0;  // sent, not yet acknowledged by the peer's kernel
  unsigned long unread = 0;   // received, not yet read by the owning process
};
std::optional<TcpQueues> tcp_queues(uint16_t local, uint16_t remote) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // the column names
  auto port_of = [](const std::string& address) {
    size_t colon = address.find(':');
    return colon == std::string::npos ? 0ul : std::stoul(address.substr(colon + 1), nullptr, 16);
  };
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, from, to, state, queues;
    fields >> slot >> from >> to >> state >> queues;
    if (state != "01" || port_of(from) != local || port_of(to) != remote) continue;  // 01: ESTABLISHED
    size_t colon = queues.find(':');
    if (colon == std::string::npos) continue;
    return TcpQueues{std::stoul(queues.substr(0, colon), nullptr, 16),
                     std::stoul(queues.substr(colon + 1), nullptr, 16)};
  }
  return std::nullopt;
}

// A GET the test sends on a connection of its own (curl would hide when the request is
// out), so that it can see when the agent has taken the request in: our bytes are
// acknowledged and the agent's end of the connection holds none unread. The agent reads,
// parses and parks a blocking query in one go on its control thread, before it reads any
// request sent after that moment.
class SentGet {
 public:
  SentGet(uint16_t port, const std::string& path) : port_(port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    local_port_ = ntohs(addr.sin_port);
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    REQUIRE(::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  }
  ~SentGet() { ::close(fd_); }
  SentGet(const SentGet&) = delete;
  SentGet& operator=(const SentGet&) = delete;

  // Polls until the agent has read the whole request (at most `limit`).
  bool wait_taken_in(std::chrono::milliseconds limit = 5000ms) const {
    return eventually([&] {
      auto ours = tcp_queues(local_port_, port_), agents = tcp_queues(port_, local_port_);
      return ours && agents && ours->unacked == 0 && agents->unread == 0;
    }, limit);
  }

  // True when some of the reply has come.
  bool answered() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

  // The reply (the agent closes the connection after it), read for at most `limit`.
  HttpReply reply(std::chrono::milliseconds limit) {
    std::string raw;
    auto end = std::chrono::steady_clock::now() + limit;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      raw.append(buf, static_cast<size_t>(n));
    }
    return parse(raw);
  }

 private:
  static HttpReply parse(const std::string& raw) {
    HttpReply r;
    r.raw = raw;
    size_t head_end = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/", 0) != 0 || head_end == std::string::npos) return r;
    r.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
    std::istringstream head(raw.substr(0, head_end));
    std::string line;
    std::getline(head, line);  // the status line
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = line.find_first_not_of(' ', colon + 1);
      r.headers[name] = v == std::string::npos ? "" : line.substr(v);
    }
    r.body = raw.substr(head_end + 4);
    r.ok = true;
    return r;
  }

  uint16_t port_;
  uint16_t local_port_ = 0;
  int fd_ = -1;
};

size_t a_records(uint16_t dns_port, const std::string& name) {
  DigResult r = ask_dig(dns_port, name, "A");
  return r.rcode == "NOERROR" ? r.answer.size() : 0;
}

struct Agent {
  AgentProcess process;
  uint16_t dns = 0, http = 0;
  explicit Agent(const std::string& extra = "") {
    REQUIRE_STARTED(process, base_toml(extra));
    dns = process.port();
    http = process.http_port();
    REQUIRE(http != 0);
  }
  HttpReply put(const std::string& path, const std::string& body = "", std::vector<std::string> headers = {}) {
    return curl("PUT", http, path, body, headers);
  }
  HttpReply get(const std::string& path, std::vector<std::string> headers = {}) {
    return curl("GET", http, path, "", headers);
  }
};

TEST_CASE("api: a service registered with curl is answered by DNS and leaves on deregister",
          "[integration][api]") {
  Agent a;
  HttpReply r = a.put("/v1/agent/service/register",
                      R"({"Name":"web","ID":"web-1","Address":"127.0.0.31","Port":8080,"Tags":["v1"]})");
  INFO(r.raw);
  REQUIRE(r.status == 200);
  CHECK(a_records(a.dns, "web.service.consul") == 1);
  CHECK(a_records(a.dns, "v1.web.service.consul") == 1);
  // snake_case works too.
  REQUIRE(a.put("/v1/agent/service/register", R"({"name":"web","id":"web-2","address":"127.0.0.32","port":8080})")
              .status == 200);
  CHECK(a_records(a.dns, "web.service.consul") == 2);
  HttpReply services = a.get("/v1/agent/services");
  CHECK(services.status == 200);
  CHECK(services.body.find("\"web-2\"") != std::string::npos);
  REQUIRE(a.put("/v1/agent/service/deregister/web-1").status == 200);
  CHECK(a_records(a.dns, "web.service.consul") == 1);
  CHECK(a.put("/v1/agent/service/deregister/nope").status == 404);
}

TEST_CASE("api: an HTTP check takes an instance out of DNS and back", "[integration][api][health]") {
  HttpTarget target;
  Agent a;
  std::string body = R"({"Name":"web","ID":"web-1","Address":"127.0.0.31","Port":80,
      "Check":{"HTTP":")" + target.url() + R"(","Interval":"1s","Timeout":"1s"}})";
  REQUIRE(a.put("/v1/agent/service/register", body).status == 200);
  // New checks start critical; the first run (within the interval) makes it passing.
  CHECK(eventually([&] { return a_records(a.dns, "web.service.consul") == 1; }));
  target.set_status(500);
  CHECK(eventually([&] { return a_records(a.dns, "web.service.consul") == 0; }));
  HttpReply checks = a.get("/v1/agent/checks");
  CHECK(checks.body.find("500") != std::string::npos);
  target.set_status(200);
  CHECK(eventually([&] { return a_records(a.dns, "web.service.consul") == 1; }));
  target.set_status(429);  // warning: still answered, with the warning weight
  REQUIRE(a.put("/v1/agent/service/register",
                R"({"Name":"web","ID":"web-1","Address":"127.0.0.31","Port":80,"Weights":{"Passing":10,"Warning":2},
                    "Check":{"HTTP":")" + target.url() + R"(","Interval":"1s"}})")
              .status == 200);
  CHECK(eventually([&] {
    DigResult r = ask_dig(a.dns, "web.service.consul", "SRV");
    return r.answer.size() == 1 && r.answer[0].rdata.rfind("1 2 80 ", 0) == 0;
  }));
}

TEST_CASE("api: TTL checks pass, fail and expire", "[integration][api][health]") {
  Agent a;
  REQUIRE(a.put("/v1/agent/service/register",
                R"({"Name":"job","ID":"job-1","Address":"127.0.0.41","Port":1,"Check":{"TTL":"2s"}})")
              .status == 200);
  CHECK(a_records(a.dns, "job.service.consul") == 0);  // critical until the first pass
  REQUIRE(a.put("/v1/agent/check/pass/service:job-1?note=all%20good").status == 200);
  CHECK(eventually([&] { return a_records(a.dns, "job.service.consul") == 1; }, 2000ms));
  CHECK(a.get("/v1/agent/checks").body.find("all good") != std::string::npos);
  REQUIRE(a.put("/v1/agent/check/fail/service:job-1").status == 200);
  CHECK(eventually([&] { return a_records(a.dns, "job.service.consul") == 0; }, 2000ms));
  REQUIRE(a.put("/v1/agent/check/update/service:job-1", R"({"Status":"passing","Output":"back"})").status == 200);
  CHECK(eventually([&] { return a_records(a.dns, "job.service.consul") == 1; }, 2000ms));
  // No update for longer than the TTL: critical, "TTL expired".
  CHECK(eventually([&] { return a_records(a.dns, "job.service.consul") == 0; }, 5000ms));
  CHECK(a.get("/v1/agent/checks").body.find("TTL expired") != std::string::npos);
  CHECK(a.put("/v1/agent/check/pass/unknown-check").status == 404);
}

TEST_CASE("api: script checks map exit codes and time out", "[integration][api][health]") {
  Agent a;
  auto reg = [&](const std::string& id, const std::string& script, const std::string& timeout = "5s") {
    return a.put("/v1/agent/service/register",
                 R"({"Name":")" + id + R"(","Address":"127.0.0.51","Port":1,"Weights":{"Passing":5,"Warning":1},
                     "Check":{"Args":["sh","-c",")" + script + R"("],"Interval":"1s","Timeout":")" + timeout + R"("}})");
  };
  REQUIRE(reg("s0", "exit 0").status == 200);
  REQUIRE(reg("s1", "echo degraded; exit 1").status == 200);
  REQUIRE(reg("s2", "echo broken; exit 2").status == 200);
  REQUIRE(reg("slow", "sleep 30", "1s").status == 200);
  CHECK(eventually([&] { return a_records(a.dns, "s0.service.consul") == 1; }));
  CHECK(eventually([&] {
    DigResult r = ask_dig(a.dns, "s1.service.consul", "SRV");
    return r.answer.size() == 1 && r.answer[0].rdata.rfind("1 1 ", 0) == 0;
  }));
  CHECK(eventually([&] { return a.get("/v1/agent/checks").body.find("degraded") != std::string::npos; }));
  // New checks start critical; once s2 and slow have run (their live output says so), they
  // are still critical: exit 2, and killed after its 1s timeout.
  CHECK(eventually([&] {
    std::string checks = a.get("/v1/agent/checks").body;
    return checks.find("broken") != std::string::npos &&
           checks.find("Timed out (1s) running check") != std::string::npos;
  }));
  CHECK(a_records(a.dns, "s2.service.consul") == 0);
  CHECK(a_records(a.dns, "slow.service.consul") == 0);
}

TEST_CASE("api: script checks are refused unless enabled", "[integration][api][health]") {
  AgentProcess p;
  REQUIRE_STARTED(p, base_toml("", false));
  uint16_t http = p.http_port();
  HttpReply r = curl("PUT", http, "/v1/agent/service/register",
                     R"({"Name":"x","Check":{"Args":["true"],"Interval":"1s"}})");
  CHECK(r.status == 400);
  CHECK(curl("GET", http, "/v1/agent/services").body.find("\"x\"") == std::string::npos);
}

TEST_CASE("api: failures_before_critical delays the change", "[integration][api][health]") {
  HttpTarget target;
  Agent a;
  REQUIRE(a.put("/v1/agent/service/register",
                R"({"Name":"damp","Address":"127.0.0.61","Port":1,"Check":{"HTTP":")" + target.url() +
                    R"(","Interval":"1s","FailuresBeforeCritical":3,"Status":"passing"}})")
              .status == 200);
  CHECK(a_records(a.dns, "damp.service.consul") == 1);
  target.set_status(500);
  int before = target.requests();
  // Two failures are not enough.
  CHECK(eventually([&] { return target.requests() >= before + 2; }, 4000ms));
  CHECK(a_records(a.dns, "damp.service.consul") == 1);
  CHECK(eventually([&] { return a_records(a.dns, "damp.service.consul") == 0; }, 4000ms));
}

TEST_CASE("api: service and node maintenance take instances out and back", "[integration][api]") {
  Agent a;
  REQUIRE(a.put("/v1/agent/service/register", R"({"Name":"m","ID":"m-1","Address":"127.0.0.71","Port":1})").status ==
          200);
  CHECK(a_records(a.dns, "m.service.consul") == 1);
  REQUIRE(a.put("/v1/agent/service/maintenance/m-1?enable=true&reason=upgrade").status == 200);
  CHECK(a_records(a.dns, "m.service.consul") == 0);
  CHECK(a.get("/v1/agent/checks").body.find("_service_maintenance:m-1") != std::string::npos);
  REQUIRE(a.put("/v1/agent/service/maintenance/m-1?enable=false").status == 200);
  CHECK(a_records(a.dns, "m.service.consul") == 1);
  REQUIRE(a.put("/v1/agent/maintenance?enable=true").status == 200);
  CHECK(a_records(a.dns, "m.service.consul") == 0);
  REQUIRE(a.put("/v1/agent/maintenance?enable=false").status == 200);
  CHECK(a_records(a.dns, "m.service.consul") == 1);
  CHECK(a.put("/v1/agent/service/maintenance/m-1").status == 400);  // enable is required
}

TEST_CASE("api: deregister_critical_service_after removes the service", "[integration][api][health]") {
  Agent a;
  REQUIRE(a.put("/v1/agent/service/register",
                R"({"Name":"reap","ID":"reap-1","Port":1,"Check":{"TTL":"10s","DeregisterCriticalServiceAfter":"2s"}})")
              .status == 200);
  CHECK(a.get("/v1/agent/services").body.find("reap-1") != std::string::npos);
  CHECK(eventually([&] { return a.get("/v1/agent/services").body.find("reap-1") == std::string::npos; }, 8000ms));
}

TEST_CASE("api: a blocking query returns on a change and times out otherwise", "[integration][api][blocking]") {
  Agent a;
  REQUIRE(a.put("/v1/agent/service/register", R"({"Name":"b","ID":"b-1","Address":"127.0.0.81","Port":1})").status ==
          200);
  HttpReply first = a.get("/v1/health/service/b");
  REQUIRE(first.status == 200);
  std::string index = first.headers["x-consul-index"];
  REQUIRE(!index.empty());
  // Nothing changes: the query waits the full second and returns the same index.
  auto t0 = std::chrono::steady_clock::now();
  HttpReply idle = a.get("/v1/health/service/b?index=" + index + "&wait=1s");
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(idle.status == 200);
  CHECK(waited >= 900ms);
  CHECK(idle.headers["x-consul-index"] == index);
  // A change to b wakes it early, and one to another service does not.
  SentGet waiter(a.http, "/v1/health/service/b?index=" + index + "&wait=20s");
  REQUIRE(waiter.wait_taken_in());
  REQUIRE(a.put("/v1/agent/service/register", R"({"Name":"other","Address":"127.0.0.82","Port":1})").status == 200);
  // Once DNS answers for it, the agent has applied that change and woken the queries it
  // concerns; b's query, woken by mistake, would answer before the next request is read.
  REQUIRE(eventually([&] { return a_records(a.dns, "other.service.consul") == 1; }));
  CHECK_FALSE(waiter.answered());
  t0 = std::chrono::steady_clock::now();
  REQUIRE(a.put("/v1/agent/service/register", R"({"Name":"b","ID":"b-2","Address":"127.0.0.83","Port":1})").status ==
          200);
  HttpReply woken = waiter.reply(5s);
  INFO(woken.raw);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(woken.status == 200);
  CHECK(std::stoull(woken.headers["x-consul-index"]) > std::stoull(index));
  CHECK(woken.body.find("b-2") != std::string::npos);
}

TEST_CASE("api: ACLs with default deny", "[integration][api][acl]") {
  Agent a(R"(
[acl]
enabled = true
default_policy = "deny"
[[acl.tokens]]
secret = "s3cret-management"
description = "ops"
policy = "management"
[[acl.tokens]]
secret = "web-writer-token"
description = "web deployer"
policy = "write"
service_prefixes = ["web"]
[[acl.tokens]]
secret = "read-only-token"
policy = "read"
)");
  const std::string body = R"({"Name":"web","Address":"127.0.0.91","Port":1})";
  HttpReply anon = a.put("/v1/agent/service/register", body);
  CHECK(anon.status == 403);
  CHECK(a.put("/v1/agent/service/register", body, {"X-Consul-Token: read-only-token"}).status == 403);
  CHECK(a.put("/v1/agent/service/register", R"({"Name":"db","Port":1})", {"X-Consul-Token: web-writer-token"}).status ==
        403);
  CHECK(a_records(a.dns, "web.service.consul") == 0);
  CHECK(a.put("/v1/agent/service/register", body, {"X-Consul-Token: web-writer-token"}).status == 200);
  CHECK(a_records(a.dns, "web.service.consul") == 1);
  CHECK(a.put("/v1/agent/service/register", R"({"Name":"db","Address":"127.0.0.92","Port":1})",
              {"Authorization: Bearer s3cret-management"})
            .status == 200);
  // Reads: the anonymous caller sees nothing, a reader sees everything.
  HttpReply anon_read = a.get("/v1/catalog/services");
  CHECK(anon_read.body.find("web") == std::string::npos);
  HttpReply reader = a.get("/v1/catalog/services", {"X-Consul-Token: read-only-token"});
  CHECK(reader.body.find("web") != std::string::npos);
  CHECK(reader.body.find("db") != std::string::npos);
  // Token secrets never reach the log.
  CHECK(a.process.log().find("web-writer-token") == std::string::npos);
  CHECK(a.process.log().find("s3cret-management") == std::string::npos);
}

TEST_CASE("api: bad requests get errors and change nothing", "[integration][api]") {
  Agent a;
  std::string before = a.get("/v1/catalog/services").headers["x-consul-index"];
  CHECK(a.put("/v1/agent/service/register", "{not json").status == 400);
  CHECK(a.put("/v1/agent/service/register", R"({"Port":80})").status == 400);
  CHECK(a.put("/v1/agent/service/register", R"({"Name":"x","Check":{"TTL":"ten seconds"}})").status == 400);
  CHECK(a.put("/v1/agent/service/register", R"({"Name":"x","Check":{"HTTP":"http://127.0.0.1:1/","Interval":"1x"}})")
            .status == 400);
  CHECK(a.put("/v1/agent/check/deregister/nope").status == 404);
  CHECK(a.put("/v1/agent/service/register", std::string(1100 * 1024, ' ')).status == 413);
  CHECK(a.get("/v1/no/such/path").status == 404);
  CHECK(curl("DELETE", a.http, "/v1/agent/service/register").status == 405);
  CHECK(a.get("/v1/catalog/services").headers["x-consul-index"] == before);
  CHECK(a.get("/v1/agent/services").body == "{}");
}

TEST_CASE("api: deeply nested bodies get 400 before any token check, and DNS keeps answering",
          "[integration][api][hardening]") {
  Agent a("[acl]\nenabled = true\ndefault_policy = \"deny\"\n[[services]]\nname = \"up\"\naddress = \"127.0.0.93\"\n");
  const size_t depth = 100000;  // about 600 KB: under the body limit, so it reaches the decoder
  std::string deep_object;
  for (size_t i = 0; i < depth; ++i) deep_object += "{\"a\":";
  deep_object += "1" + std::string(depth, '}');
  const std::string deep_array = std::string(depth, '[') + std::string(depth, ']');
  const std::vector<std::pair<std::string, std::string>> attacks{
      {"/v1/agent/service/register", R"({"Name":"x","Check":)" + deep_object + "}"},
      {"/v1/agent/service/register", R"({"Name":"x","Checks":[{"Name":"c","Args":)" + deep_array + "}]}"},
      {"/v1/agent/check/register", R"({"Name":"c","TTL":"10s","Header":)" + deep_object + "}"},
      {"/v1/catalog/register", R"({"Node":"n","Address":"127.0.0.94","Check":)" + deep_object + "}"},
      {"/v1/catalog/deregister", R"({"Node":)" + deep_array + "}"},
      {"/v1/agent/check/update/x", R"({"Status":)" + deep_object + "}"},
  };
  for (const auto& [path, body] : attacks) {
    INFO(path << " with a " << body.size() << "-byte body");
    HttpReply r = a.put(path, body);
    CHECK(r.status == 400);
    CHECK(r.body.find("nested deeper than 64 levels") != std::string::npos);
    REQUIRE(a.process.running());
    REQUIRE(a.process.wait_exit(std::chrono::milliseconds(0)) == std::nullopt);
  }
  CHECK(a_records(a.dns, "up.service.consul") == 1);
  CHECK(a.get("/v1/agent/services", {"X-Consul-Token: none"}).status == 200);
}

TEST_CASE("api: protect_threshold fails open when most instances fail", "[integration][api][protect]") {
  Agent a("[dns_config]\nprotect_threshold = 0.5\n");
  for (int i = 1; i <= 4; ++i) {
    std::string n = std::to_string(i);
    REQUIRE(a.put("/v1/agent/service/register", R"({"Name":"p","ID":"p-)" + n + R"(","Address":"127.0.0.11)" + n +
                                                    R"(","Port":1,"Check":{"TTL":"60s","Status":"passing"}})")
                .status == 200);
  }
  CHECK(a_records(a.dns, "p.service.consul") == 4);
  // 2 of 4 healthy is not below 0.5: only the healthy two are answered.
  REQUIRE(a.put("/v1/agent/check/fail/service:p-1").status == 200);
  REQUIRE(a.put("/v1/agent/check/fail/service:p-2").status == 200);
  CHECK(eventually([&] { return a_records(a.dns, "p.service.consul") == 2; }, 2000ms));
  CHECK(a.get("/v1/health/service/p").headers.count("x-beacon-protected") == 0);
  // 1 of 4 is below: every instance is answered, and the API says so.
  REQUIRE(a.put("/v1/agent/check/fail/service:p-3").status == 200);
  CHECK(eventually([&] { return a_records(a.dns, "p.service.consul") == 4; }, 2000ms));
  HttpReply health = a.get("/v1/health/service/p");
  CHECK(health.headers["x-beacon-protected"] == "true");
  CHECK(count_occurrences(a.process.log(), "below its protect_threshold") == 1);
  // Back above: healthy ones only again, and the transition is logged.
  REQUIRE(a.put("/v1/agent/check/pass/service:p-1").status == 200);
  CHECK(eventually([&] { return a_records(a.dns, "p.service.consul") == 2; }, 2000ms));
  CHECK(a.process.wait_for_log("back above its protect_threshold", 1, 2000ms));
}

TEST_CASE("api: registrations and TTL statuses survive a restart", "[integration][api][restart]") {
  TempDir dir;
  const std::string cfg = base_toml();
  {
    AgentProcess p(dir.path());
    REQUIRE_STARTED(p, cfg);
    uint16_t http = p.http_port();
    REQUIRE(curl("PUT", http, "/v1/agent/service/register",
                 R"({"Name":"keep","ID":"keep-1","Address":"127.0.0.101","Port":7,"Check":{"TTL":"60s"}})")
                .status == 200);
    REQUIRE(curl("PUT", http, "/v1/agent/check/pass/service:keep-1").status == 200);
    CHECK(eventually([&] { return a_records(p.port(), "keep.service.consul") == 1; }, 2000ms));
    CHECK(p.stop() == 0);
  }
  AgentProcess p(dir.path());
  REQUIRE_STARTED(p, cfg);
  // Answered at once: the registration and the passing TTL status came back from disk.
  CHECK(a_records(p.port(), "keep.service.consul") == 1);
  CHECK(curl("GET", p.http_port(), "/v1/agent/checks").body.find("passing") != std::string::npos);
}

}  // namespace
}  // namespace beacon::test
