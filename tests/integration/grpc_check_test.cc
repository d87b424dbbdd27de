// gRPC health checks end to end: the real beacon binary probes a real gRPC server (Python
// grpcio, tests/support/grpc_health_server.py) over h2c and TLS, and the results show in
// /v1/health/service/<name> and in DNS. The server's status is switched through its status
// file; every wait is on observable state with a deadline.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/integration/fixtures.h"
#include "tests/support/curl.h"
#include "tests/support/loopback_port.h"

namespace beacon::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

bool eventually(const std::function<bool()>& probe, std::chrono::milliseconds limit = 15000ms) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (probe()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return probe();
}

void write_file(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  std::ofstream(tmp) << text;
  std::filesystem::rename(tmp, path);  // the server never reads half a word
}

// The Python gRPC health server, on h2c and TLS ports, stopped by its PID.
class GrpcHealthServer {
 public:
  GrpcHealthServer() {
    write_file(dir_.file("status"), "SERVING\n");
    CommandResult cert = run_command(
        {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir_.file("key.pem"), "-out",
         dir_.file("cert.pem"), "-days", "1", "-subj", "/CN=localhost", "-addext",
         "subjectAltName=DNS:localhost,IP:127.0.0.1"},
        30s);
    if (cert.exit_code != 0) {
      error_ = "openssl: " + cert.err;
      return;
    }
    auto pid = spawn_background({"/usr/bin/python3", GRPC_HEALTH_SERVER, "--proto", GRPC_HEALTH_PROTO, "--stub-dir",
                                 dir_.path().string(), "--status-file", dir_.file("status"), "--port-file",
                                 dir_.file("ports"), "--service", "api", "--tls-cert", dir_.file("cert.pem"),
                                 "--tls-key", dir_.file("key.pem")},
                                dir_.path(), dir_.file("server.out"), dir_.file("server.err"), error_);
    if (!pid) return;
    pid_ = *pid;
    if (!eventually([&] { return std::filesystem::exists(dir_.file("ports")); }, 30000ms)) {
      error_ = "the gRPC server did not start: " + read(dir_.file("server.err"));
      return;
    }
    std::istringstream(read(dir_.file("ports"))) >> plain_ >> tls_;
  }
  ~GrpcHealthServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait_pid(pid_, 10s);
    }
  }
  GrpcHealthServer(const GrpcHealthServer&) = delete;
  GrpcHealthServer& operator=(const GrpcHealthServer&) = delete;

  bool ok() const { return plain_ != 0 && tls_ != 0; }
  const std::string& error() const { return error_; }
  std::string plain(const std::string& service = "") const { return target(plain_, service); }
  std::string tls(const std::string& service = "") const { return target(tls_, service); }
  void set_status(const std::string& word) { write_file(dir_.file("status"), word + "\n"); }

 private:
  static std::string target(int port, const std::string& service) {
    return "127.0.0.1:" + std::to_string(port) + (service.empty() ? "" : "/" + service);
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  TempDir dir_;
  pid_t pid_ = -1;
  int plain_ = 0, tls_ = 0;
  std::string error_;
};

// A service with one gRPC check, registered from the config file.
std::string grpc_service(const std::string& name, const std::string& address, const std::string& target,
                         const std::string& more = "") {
  return "[[services]]\nname = \"" + name + "\"\naddress = \"" + address + "\"\nport = 9000\n"
         "  [[services.checks]]\n  grpc = \"" + target + "\"\n  interval = \"1s\"\n  timeout = \"3s\"\n" + more + "\n";
}

// The status and output of the first check of `service`'s first instance, or nothing.
std::optional<std::pair<std::string, std::string>> check_of(uint16_t http, const std::string& service) {
  HttpReply r = curl("GET", http, "/v1/health/service/" + service);
  if (!r.ok || r.status != 200) return std::nullopt;
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_array() || j.empty() || !j[0].contains("Checks")) return std::nullopt;
  for (const json& c : j[0]["Checks"]) {
    if (c.value("ServiceID", "").empty()) continue;  // skip node checks
    return std::pair{c.value("Status", ""), c.value("Output", "")};
  }
  return std::nullopt;
}

bool check_becomes(uint16_t http, const std::string& service, const std::string& status, const std::string& output,
                   std::string& last) {
  return eventually([&] {
    auto c = check_of(http, service);
    last = c ? c->first + ": " + c->second : "(no check)";
    return c && c->first == status && c->second == output;
  });
}

std::vector<std::string> addresses(uint16_t dns, const std::string& service) {
  return sorted_rdata(of_type(ask_dig(dns, service + ".service.consul", "A").answer, "A"));
}

}  // namespace

TEST_CASE("grpc check follows the server's serving status in HTTP and DNS", "[integration][grpc]") {
  GrpcHealthServer server;
  if (!server.ok()) FAIL(server.error());
  AgentProcess agent;
  REQUIRE_STARTED(agent, agent_toml(grpc_service("grpc-api", "127.0.0.51", server.plain("api"))));
  const uint16_t http = agent.http_port();
  std::string last;

  CHECK(check_becomes(http, "grpc-api", "passing", "gRPC check " + server.plain("api") + ": success", last));
  INFO("last: " << last);
  CHECK(addresses(agent.port(), "grpc-api") == std::vector<std::string>{"127.0.0.51"});

  server.set_status("NOT_SERVING");
  REQUIRE(check_becomes(http, "grpc-api", "critical",
                        "gRPC " + server.plain("api") + " serving status: NOT_SERVING", last));
  CHECK(eventually([&] { return addresses(agent.port(), "grpc-api").empty(); }));

  server.set_status("SERVING");
  REQUIRE(check_becomes(http, "grpc-api", "passing", "gRPC check " + server.plain("api") + ": success", last));
  CHECK(eventually([&] { return addresses(agent.port(), "grpc-api") == std::vector<std::string>{"127.0.0.51"}; }));
}

TEST_CASE("grpc check is critical for an unknown service and a refused connection", "[integration][grpc]") {
  GrpcHealthServer server;
  if (!server.ok()) FAIL(server.error());
  const std::string refused = "127.0.0.1:" + std::to_string(pick_free_port());
  AgentProcess agent;
  REQUIRE_STARTED(agent, agent_toml(grpc_service("grpc-unknown", "127.0.0.52", server.plain("nosuch"),
                                                 "  status = \"passing\"\n") +
                                    grpc_service("grpc-refused", "127.0.0.53", refused, "  status = \"passing\"\n")));
  const uint16_t http = agent.http_port();
  std::string last;
  CHECK(check_becomes(http, "grpc-unknown", "critical", "rpc error: code = NotFound desc = unknown service", last));
  INFO("last: " << last);
  CHECK(check_becomes(http, "grpc-refused", "critical",
                      "rpc error: code = Unavailable desc = connection error: dial tcp " + refused +
                          ": Connection refused",
                      last));
  CHECK(addresses(agent.port(), "grpc-unknown").empty());
}

TEST_CASE("grpc check over TLS: skip-verify passes, an untrusted certificate is critical", "[integration][grpc]") {
  GrpcHealthServer server;
  if (!server.ok()) FAIL(server.error());
  AgentProcess agent;
  REQUIRE_STARTED(agent, agent_toml(grpc_service("grpc-tls", "127.0.0.54", server.tls("api"),
                                                 "  grpc_use_tls = true\n  tls_skip_verify = true\n") +
                                    grpc_service("grpc-tls-verify", "127.0.0.55", server.tls("api"),
                                                 "  grpc_use_tls = true\n  status = \"passing\"\n")));
  const uint16_t http = agent.http_port();
  std::string last;
  CHECK(check_becomes(http, "grpc-tls", "passing", "gRPC check " + server.tls("api") + ": success", last));
  INFO("last: " << last);
  CHECK(eventually([&] {
    auto c = check_of(http, "grpc-tls-verify");
    last = c ? c->first + ": " + c->second : "(no check)";
    return c && c->first == "critical" &&
           c->second.starts_with("rpc error: code = Unavailable desc = connection error: TLS handshake failed: ");
  }));
  INFO("last: " << last);
  CHECK(addresses(agent.port(), "grpc-tls") == std::vector<std::string>{"127.0.0.54"});
}

TEST_CASE("grpc check registered through the HTTP API runs and is echoed as type grpc", "[integration][grpc]") {
  GrpcHealthServer server;
  if (!server.ok()) FAIL(server.error());
  AgentProcess agent;
  REQUIRE_STARTED(agent, agent_toml());
  const uint16_t http = agent.http_port();
  json body = {{"Name", "grpc-reg"},
               {"Address", "127.0.0.56"},
               {"Port", 9000},
               {"Check",
                {{"GRPC", server.tls("api")}, {"GRPCUseTLS", true}, {"TLSSkipVerify", true},
                 {"TLSServerName", "localhost"}, {"Interval", "1s"}, {"Timeout", "3s"}}}};
  HttpReply reg = curl("PUT", http, "/v1/agent/service/register", body.dump());
  REQUIRE(reg.status == 200);
  std::string last;
  CHECK(check_becomes(http, "grpc-reg", "passing", "gRPC check " + server.tls("api") + ": success", last));
  INFO("last: " << last);

  json check = {{"Name", "plain"}, {"ServiceID", "grpc-reg"}, {"GRPC", server.plain()}, {"Interval", "1s"}};
  REQUIRE(curl("PUT", http, "/v1/agent/check/register", check.dump()).status == 200);
  HttpReply checks = curl("GET", http, "/v1/agent/checks");
  REQUIRE(checks.status == 200);
  json j = json::parse(checks.body, nullptr, false);
  REQUIRE(j.contains("plain"));
  CHECK(j["plain"]["Type"] == "grpc");
  CHECK(eventually([&] {
    json now = json::parse(curl("GET", http, "/v1/agent/checks").body, nullptr, false);
    return now.contains("plain") && now["plain"]["Status"] == "passing" &&
           now["plain"]["Output"] == "gRPC check " + server.plain() + ": success";
  }));
}

}  // namespace beacon::test
