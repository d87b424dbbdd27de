// The etcd-backed replicated catalog, end to end: real etcd clusters (EtcdCluster) and several
// real agents in `[store] backend = "etcd"` mode sharing them, queried over DNS and HTTP.
//
// What these cases hold the implementation to (the contract of the etcd store):
// - one shared catalog: every agent answers for every agent's services; an HTTP write is
//   answered after etcd committed it; the keyspace is beacon/<dc>/{nodes,services,checks,alive}/;
// - liveness: a SIGKILLed agent's lease expires after lease_ttl and its instances leave every
//   other agent's answers; a restart brings them back;
// - etcd failures: one member of three lost changes nothing; all members lost leaves DNS and
//   reads answering from the last catalog (X-Consul-KnownLeader: false) and writes failing
//   with 503 that change nothing; "etcd unreachable" / "etcd reachable again" in the log;
// - a watch that fell behind a compaction re-reads the catalog;
// - [[datacenters]] follows another datacenter's etcd cluster for <svc>.service.<dc>.consul;
// - propagation from a write on A to B's DNS answer: p99 under a second.
//
// Every agent uses lease_ttl = "2s" and request_timeout = "1s", every wait is bounded, and
// everything talks to 127.0.0.1 only.

// The failure listener below needs Catch's external interfaces (catch_main.cc compiles them).
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/fixtures.h"
#include "tests/support/curl.h"
#include "tests/support/dns_message.h"
#include "tests/support/etcd_catch.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/raw_dns.h"

namespace beacon::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeSrv = 33;

// Whether an assertion of the running test case failed; the agents print their logs when
// they go away after one (their temp dirs are removed with them).
std::atomic<bool> g_test_failed{false};

struct FailureListener : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseStarting(Catch::TestCaseInfo const& info) override {
    TestEventListenerBase::testCaseStarting(info);
    g_test_failed = false;
  }
  bool assertionEnded(Catch::AssertionStats const& stats) override {
    if (!stats.assertionResult.isOk()) g_test_failed = true;
    return TestEventListenerBase::assertionEnded(stats);
  }
};
CATCH_REGISTER_LISTENER(FailureListener)


long ms_since(Clock::time_point t) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

// Polls `probe` every `every` until it returns true or `limit` passes; one last try at the end.
bool eventually(const std::function<bool()>& probe, std::chrono::milliseconds limit = 5000ms,
                std::chrono::milliseconds every = 20ms) {
  auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (probe()) return true;
    std::this_thread::sleep_for(every);
  }
  return probe();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// --- DNS over raw UDP (a dig process per poll would be far too slow for the polling loops) ---

struct Lookup {
  bool answered = false;
  std::string rcode;               // "NOERROR", "NXDOMAIN", "SERVFAIL", ...
  std::vector<std::string> rdata;  // rdata of the answer records of the asked type, sorted

  std::string str() const {
    if (!answered) return "<no reply>";
    std::string s = rcode + " [";
    for (size_t i = 0; i < rdata.size(); ++i) s += (i ? ", " : "") + rdata[i];
    return s + "]";
  }
};

Lookup lookup(uint16_t port, const std::string& qname, uint16_t qtype = kTypeA) {
  static std::atomic<uint16_t> next_id{1};
  const uint16_t id = next_id++;
  Bytes query = build_query({.id = id, .qname = qname, .qtype = qtype});
  Lookup out;
  std::optional<Bytes> reply = send_raw(port, query, false, 1000ms);
  if (!reply) return out;
  std::optional<Message> msg = decode_wire(reply->data(), reply->size());
  if (!msg || msg->id != id) return out;
  out.answered = true;
  out.rcode = msg->rcode;
  out.rdata = sorted_rdata(of_type(msg->answer, qtype == kTypeSrv ? "SRV" : "A"));
  return out;
}

// The port field of SRV rdata ("priority weight port target"), or "" when malformed.
std::string srv_port(const std::string& rdata) {
  std::vector<std::string> fields;
  size_t at = 0;
  while (at < rdata.size()) {
    size_t end = rdata.find(' ', at);
    if (end == std::string::npos) end = rdata.size();
    if (end > at) fields.push_back(rdata.substr(at, end - at));
    at = end + 1;
  }
  return fields.size() == 4 ? fields[2] : "";
}

// Waits until `qname` A answers NOERROR with exactly `addresses`.
bool eventually_a(uint16_t port, const std::string& qname, std::vector<std::string> addresses,
                  std::chrono::milliseconds limit = 5000ms) {
  std::sort(addresses.begin(), addresses.end());
  return eventually([&] {
    Lookup l = lookup(port, qname);
    return l.answered && l.rcode == "NOERROR" && l.rdata == addresses;
  }, limit);
}

bool eventually_nxdomain(uint16_t port, const std::string& qname, std::chrono::milliseconds limit = 5000ms) {
  return eventually([&] {
    Lookup l = lookup(port, qname);
    return l.answered && l.rcode == "NXDOMAIN";
  }, limit);
}

// --- HTTP on a raw socket, for the propagation measurement (no curl process per change) ---

// Sends one HTTP/1.1 request on a new connection to 127.0.0.1:port and reads the reply's
// head and its Content-Length body. Returns the status, or 0 when no complete reply arrived
// within `timeout`. The reply's text goes to `raw` when given.
int http_request(uint16_t port, const std::string& method, const std::string& path, const std::string& body,
                 std::chrono::milliseconds timeout, std::string* raw = nullptr) {
  auto deadline = Clock::now() + timeout;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* p) { ::close(*p); });
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return 0;
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\nConnection: close\r\n\r\n" + body;
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    sent += static_cast<size_t>(n);
  }
  std::string in;
  char buf[4096];
  size_t head_end = std::string::npos;
  size_t need = std::string::npos;  // total bytes of head + body, once known
  while (true) {
    if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
      std::string head = lower(in.substr(0, head_end));
      size_t cl = head.find("\r\ncontent-length:");
      need = cl == std::string::npos ? head_end + 4
                                     : head_end + 4 + std::strtoul(head.c_str() + cl + 17, nullptr, 10);
    }
    if (need != std::string::npos && in.size() >= need) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return 0;
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (head_end != std::string::npos) break;  // closed after the head: take what came
      return 0;
    }
    in.append(buf, static_cast<size_t>(n));
  }
  if (raw) *raw = in;
  if (in.rfind("HTTP/1.", 0) != 0 || in.size() < 12) return 0;
  return std::atoi(in.c_str() + 9);
}

// --- etcd ---

// The keys under `prefix` (etcdctl get --prefix --keys-only), sorted.
std::vector<std::string> etcd_keys(const EtcdCluster& etcd, const std::string& prefix) {
  CommandResult r = etcd.etcdctl({"get", "--prefix", "--keys-only", prefix});
  std::vector<std::string> keys;
  size_t at = 0;
  while (at < r.out.size()) {
    size_t end = r.out.find('\n', at);
    if (end == std::string::npos) end = r.out.size();
    if (end > at) keys.push_back(r.out.substr(at, end - at));
    at = end + 1;
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

// The value of `key`, or nothing when it does not exist (or etcd did not answer).
std::optional<std::string> etcd_value(const EtcdCluster& etcd, const std::string& key) {
  CommandResult r = etcd.etcdctl({"get", key, "--print-value-only"});
  if (r.exit_code != 0 || r.out.empty()) return std::nullopt;
  if (r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// --- agents ---

// The whole config of an agent in etcd mode; `extra` holds [[services]] / [[datacenters]]
// tables (it goes last, after [store]).
std::string etcd_config(const std::string& node, const std::string& datacenter, const std::string& toml_endpoints,
                        const std::string& extra = "") {
  return agent_toml("[store]\n"
                    "backend         = \"etcd\"\n"
                    "etcd_endpoints  = " + toml_endpoints + "\n" +
                    "lease_ttl       = \"2s\"\n"
                    "request_timeout = \"1s\"\n" + extra,
                    {.node_name = node, .top = "datacenter  = \"" + datacenter + "\"\n"});
}

std::string service_toml(const std::string& id, const std::string& name, const std::string& address, int port) {
  return "[[services]]\nid      = \"" + id + "\"\nname    = \"" + name + "\"\naddress = \"" + address +
         "\"\nport    = " + std::to_string(port) + "\n";
}

std::string register_json(const std::string& name, const std::string& id, const std::string& address, int port) {
  return json{{"Name", name}, {"ID", id}, {"Address", address}, {"Port", port}}.dump();
}

// One agent process in etcd mode, started at construction.
struct Agent {
  std::string name;
  std::string config;
  AgentProcess process;
  uint16_t dns = 0, http = 0;

  Agent(std::string node, std::string toml) : name(std::move(node)), config(std::move(toml)) { start(); }
  ~Agent() {
    if (!g_test_failed) return;
    std::string text = process.log();
    if (text.size() > 30000) text = "...\n" + text.substr(text.size() - 30000);
    std::cerr << "--- agent " << name << " (" << process.dir().string() << "), current log ---\n" << text
              << "--- end of agent " << name << " ---" << std::endl;
  }

  // Starts (or restarts, on the same dir and data dir) with the same config.
  void start() {
    if (!process.start(config)) FAIL("agent " << name << " did not start: " << process.failure());
    dns = process.port();
    http = process.http_port();
    if (http == 0) FAIL("agent " << name << " has no HTTP port: " << process.failure());
  }
  // SIGKILL by PID, and reap it.
  void kill9() {
    REQUIRE(process.running());
    ::kill(process.pid(), SIGKILL);
    CHECK(process.wait_exit(10s).has_value());
  }
  HttpReply put(const std::string& path, const std::string& body = "") { return curl("PUT", http, path, body); }
  HttpReply get(const std::string& path) { return curl("GET", http, path); }
  std::string log() const { return process.log(); }
};

// The addresses of the instances in a /v1/health/service/<name> reply, sorted.
std::vector<std::string> health_addresses(const HttpReply& r) {
  std::vector<std::string> out;
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_array()) return {"<not a JSON array: " + r.body + ">"};
  for (const json& e : j) {
    if (e.is_object() && e.contains("Service") && e["Service"].is_object() && e["Service"].contains("Address") &&
        e["Service"]["Address"].is_string())
      out.push_back(e["Service"]["Address"].get<std::string>());
    else
      out.push_back("<entry without Service.Address: " + e.dump() + ">");
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The keys of a /v1/catalog/services reply (service names), sorted.
std::vector<std::string> catalog_service_names(const HttpReply& r) {
  std::vector<std::string> out;
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_object()) return {"<not a JSON object: " + r.body + ">"};
  for (auto it = j.begin(); it != j.end(); ++it) out.push_back(it.key());
  return out;
}

std::string header(const HttpReply& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "<absent>" : it->second;
}

// ------------------------------------------------------------------------------------------

TEST_CASE("etcd: agents share one catalog, a write on A is committed before its reply and answered by B",
          "[integration][etcd][etcd_catalog]") {
  EtcdCluster etcd(3);
  REQUIRE_ETCD_STARTED(etcd);
  Agent a("a", etcd_config("a", "dc1", etcd.toml_endpoints(), service_toml("web-a", "web", "127.0.0.11", 80)));
  Agent b("b", etcd_config("b", "dc1", etcd.toml_endpoints()));

  // A's service from its config file: answered by A and by B.
  CHECK(eventually_a(a.dns, "web.service.consul", {"127.0.0.11"}));
  CHECK(eventually_a(b.dns, "web.service.consul", {"127.0.0.11"}));

  // The keyspace: nodes, services, checks (serfHealth "Agent Alive") and liveness keys.
  const std::vector<std::string> expected_keys{
      "beacon/dc1/alive/a",           "beacon/dc1/alive/b",           "beacon/dc1/checks/a/serfHealth",
      "beacon/dc1/checks/b/serfHealth", "beacon/dc1/nodes/a",         "beacon/dc1/nodes/b",
      "beacon/dc1/services/a/web-a"};
  CHECK(eventually([&] {
    std::vector<std::string> keys = etcd_keys(etcd, "beacon/");
    return std::all_of(expected_keys.begin(), expected_keys.end(), [&](const std::string& k) { return contains(keys, k); });
  }));
  INFO("keys under beacon/:\n" << join_lines(etcd_keys(etcd, "beacon/")));
  for (const char* key : {"beacon/dc1/nodes/a", "beacon/dc1/services/a/web-a", "beacon/dc1/checks/a/serfHealth"}) {
    std::optional<std::string> value = etcd_value(etcd, key);
    INFO(key << " = " << value.value_or("<missing>"));
    REQUIRE(value);
    CHECK(json::parse(*value, nullptr, false).is_object());
  }
  CHECK(etcd_value(etcd, "beacon/dc1/services/a/web-a").value_or("").find("127.0.0.11") != std::string::npos);
  CHECK(etcd_value(etcd, "beacon/dc1/checks/a/serfHealth").value_or("").find("Agent Alive") != std::string::npos);
  // The liveness key is attached to a lease.
  CommandResult alive = etcd.etcdctl({"get", "beacon/dc1/alive/a", "-w", "json"});
  json alive_json = json::parse(alive.out, nullptr, false);
  INFO("alive/a: " << alive.out);
  REQUIRE(alive_json.is_object());
  REQUIRE(alive_json.contains("kvs"));
  REQUIRE(alive_json["kvs"].size() == 1);
  CHECK(alive_json["kvs"][0].value("lease", int64_t{0}) != 0);

  // A registration through A's HTTP API: in etcd as soon as A replies, then answered by B.
  HttpReply reg = a.put("/v1/agent/service/register", R"({"Name":"api","ID":"api1","Port":8080,"Address":"127.0.0.2"})");
  INFO(reg.raw);
  REQUIRE(reg.status == 200);
  std::optional<std::string> committed = etcd_value(etcd, "beacon/dc1/services/a/api1");
  INFO("beacon/dc1/services/a/api1 = " << committed.value_or("<missing>"));
  REQUIRE(committed);
  CHECK(committed->find("127.0.0.2") != std::string::npos);
  CHECK(committed->find("8080") != std::string::npos);
  CHECK(eventually_a(b.dns, "api.service.consul", {"127.0.0.2"}));
  CHECK(eventually([&] {
    Lookup srv = lookup(b.dns, "api.service.consul", kTypeSrv);
    return srv.rcode == "NOERROR" && srv.rdata.size() == 1 && srv_port(srv.rdata[0]) == "8080";
  }));
  // The same with dig, as a user would ask B.
  DigResult dug = ask_dig(b.dns, "api.service.consul.", "A");
  REQUIRE_ANSWERED(dug);
  CHECK(sorted_rdata(of_type(dug.answer, "A")) == std::vector<std::string>{"127.0.0.2"});
  DigResult dug_srv = ask_dig(b.dns, "api.service.consul.", "SRV");
  REQUIRE_ANSWERED(dug_srv);
  REQUIRE(of_type(dug_srv.answer, "SRV").size() == 1);
  CHECK(of_type(dug_srv.answer, "SRV")[0].fields().at(2) == "8080");

  // B's HTTP API reads the shared catalog, with a known leader.
  HttpReply services = b.get("/v1/catalog/services");
  INFO(services.raw);
  CHECK(services.status == 200);
  std::vector<std::string> names = catalog_service_names(services);
  CHECK(contains(names, "api"));
  CHECK(contains(names, "web"));
  CHECK(header(services, "x-consul-knownleader") == "true");
  HttpReply api = b.get("/v1/catalog/service/api");
  INFO(api.raw);
  json api_json = json::parse(api.body, nullptr, false);
  REQUIRE(api_json.is_array());
  REQUIRE(api_json.size() == 1);
  CHECK(api_json[0].value("Node", "") == "a");
  CHECK(api_json[0].value("ServiceAddress", "") == "127.0.0.2");
  CHECK(api_json[0].value("ServicePort", 0) == 8080);
  CHECK(health_addresses(b.get("/v1/health/service/api?passing")) == std::vector<std::string>{"127.0.0.2"});

  // A deregistration through A: gone from etcd when A replies, then from B's answers.
  HttpReply dereg = a.put("/v1/agent/service/deregister/api1");
  INFO(dereg.raw);
  REQUIRE(dereg.status == 200);
  CHECK_FALSE(etcd_value(etcd, "beacon/dc1/services/a/api1"));
  CHECK(eventually_nxdomain(b.dns, "api.service.consul"));
  CHECK(eventually_a(b.dns, "web.service.consul", {"127.0.0.11"}));
}

TEST_CASE("etcd: a killed agent's instances leave the other agents' answers after its lease expires",
          "[integration][etcd][etcd_liveness]") {
  EtcdCluster etcd(1);
  REQUIRE_ETCD_STARTED(etcd);
  Agent a("a", etcd_config("a", "dc1", etcd.toml_endpoints(), service_toml("web-a", "web", "127.0.0.11", 80)));
  Agent b("b", etcd_config("b", "dc1", etcd.toml_endpoints(), service_toml("web-b", "web", "127.0.0.12", 80)));
  REQUIRE(a.put("/v1/agent/service/register", register_json("api", "api1", "127.0.0.21", 8080)).status == 200);

  REQUIRE(eventually_a(b.dns, "web.service.consul", {"127.0.0.11", "127.0.0.12"}));
  REQUIRE(eventually_a(b.dns, "api.service.consul", {"127.0.0.21"}));
  CHECK(eventually([&] {
    return health_addresses(b.get("/v1/health/service/web?passing")) ==
           std::vector<std::string>{"127.0.0.11", "127.0.0.12"};
  }));
  REQUIRE(eventually([&] { return etcd_value(etcd, "beacon/dc1/alive/a").has_value(); }));

  // SIGKILL: A cannot say goodbye; its lease runs out after lease_ttl (2 s).
  a.kill9();
  auto killed = Clock::now();
  CHECK(eventually_a(b.dns, "web.service.consul", {"127.0.0.12"}, 10s));
  const long gone_after = ms_since(killed);
  CHECK(eventually_nxdomain(b.dns, "api.service.consul", 2s));
  std::cout << "etcd liveness: a SIGKILLed agent's instances left B's answers after " << gone_after
            << " ms (lease_ttl 2000 ms)" << std::endl;
  CHECK(gone_after <= 8000);
  CHECK(health_addresses(b.get("/v1/health/service/web?passing")) == std::vector<std::string>{"127.0.0.12"});
  CHECK(health_addresses(b.get("/v1/health/service/api?passing")).empty());
  // Without ?passing the instances are still listed (critical), not deleted.
  CHECK(health_addresses(b.get("/v1/health/service/web")) == std::vector<std::string>{"127.0.0.11", "127.0.0.12"});
  // The liveness key went with the lease.
  CHECK(eventually([&] { return !etcd_value(etcd, "beacon/dc1/alive/a").has_value(); }, 3s));
  // B keeps its own.
  CHECK(etcd_value(etcd, "beacon/dc1/alive/b").has_value());

  // The same agent again (same config, same data dir): its instances come back.
  auto restarted = Clock::now();
  a.start();
  CHECK(eventually_a(b.dns, "web.service.consul", {"127.0.0.11", "127.0.0.12"}, 5s));
  CHECK(eventually_a(b.dns, "api.service.consul", {"127.0.0.21"}, 5s));
  std::cout << "etcd liveness: back in B's answers " << ms_since(restarted) << " ms after the restart began"
            << std::endl;
  CHECK(eventually([&] {
    return health_addresses(b.get("/v1/health/service/web?passing")) ==
           std::vector<std::string>{"127.0.0.11", "127.0.0.12"};
  }));
  CHECK(etcd_value(etcd, "beacon/dc1/alive/a").has_value());
}

// Registers on `agent`, retrying every 200 ms for at most `limit` (while an election runs
// after a member was lost, a write may fail). Returns the last reply; appends a line per
// failed attempt to `failures`.
HttpReply register_with_retries(Agent& agent, const std::string& body, std::vector<std::string>& failures,
                                std::chrono::milliseconds limit = 5000ms) {
  auto start = Clock::now();
  HttpReply r;
  while (true) {
    r = agent.put("/v1/agent/service/register", body);
    if (r.status == 200 || Clock::now() >= start + limit) return r;
    std::string text = r.body.substr(0, 200);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    failures.push_back("after " + std::to_string(ms_since(start)) + " ms: " + std::to_string(r.status) + " " + text);
    std::this_thread::sleep_for(200ms);
  }
}

TEST_CASE("etcd: losing one member of three changes nothing for registrations and DNS",
          "[integration][etcd][etcd_member_loss]") {
  EtcdCluster etcd(3);
  REQUIRE_ETCD_STARTED(etcd);
  Agent a("a", etcd_config("a", "dc1", etcd.toml_endpoints(), service_toml("web-a", "web", "127.0.0.11", 80)));
  Agent b("b", etcd_config("b", "dc1", etcd.toml_endpoints()));
  REQUIRE(eventually_a(b.dns, "web.service.consul", {"127.0.0.11"}));

  // Round 1: the first endpoint of every agent's list goes (likely the one they talk to).
  // Round 2: the raft leader goes (an election happens).
  for (int round = 1; round <= 2; ++round) {
    size_t victim = 0;
    if (round == 2) {
      std::optional<size_t> leader = etcd.leader_index();
      REQUIRE(leader);
      victim = *leader;
    }
    INFO("round " << round << ": member m" << victim << " killed");
    etcd.kill_member(victim);
    auto lost = Clock::now();
    // DNS does not even blink.
    Lookup web = lookup(b.dns, "web.service.consul");
    CHECK(web.str() == "NOERROR [127.0.0.11]");

    const std::string svc = "svc" + std::to_string(round);
    const std::string addr = "127.0.0.3" + std::to_string(round);
    std::vector<std::string> failures;
    HttpReply reg = register_with_retries(a, register_json(svc, svc + "-1", addr, 1000 + round), failures);
    INFO(reg.raw);
    INFO("failed attempts:\n" << join_lines(failures));
    REQUIRE(reg.status == 200);
    std::cout << "etcd member loss (round " << round << ", m" << victim << (round == 2 ? ", the leader" : "")
              << "): registration accepted " << ms_since(lost) << " ms after the loss, " << failures.size()
              << " failed attempts before" << std::endl;
    for (const std::string& f : failures) std::cout << "  failed attempt " << f << std::endl;
    CHECK(eventually_a(b.dns, svc + ".service.consul", {addr}));
    CHECK(eventually_a(a.dns, svc + ".service.consul", {addr}));
    // Earlier registrations are all still there.
    CHECK(lookup(b.dns, "web.service.consul").str() == "NOERROR [127.0.0.11]");
    if (round == 2) CHECK(lookup(b.dns, "svc1.service.consul").str() == "NOERROR [127.0.0.31]");
    // A deregistration works as well.
    const std::string tmp = "tmp" + std::to_string(round);
    std::vector<std::string> later_failures;
    REQUIRE(register_with_retries(a, register_json(tmp, tmp, "127.0.0.40", 1), later_failures).status == 200);
    CHECK(later_failures.empty());
    CHECK(eventually_a(b.dns, tmp + ".service.consul", {"127.0.0.40"}));
    REQUIRE(a.put("/v1/agent/service/deregister/" + tmp).status == 200);
    CHECK(eventually_nxdomain(b.dns, tmp + ".service.consul"));

    REQUIRE_ETCD_OK(etcd, etcd.start_member(victim));
  }
  CHECK(etcd.running_members() == 3);
  CHECK_FALSE(etcd_keys(etcd, "beacon/dc1/services/a/").empty());
}

TEST_CASE("etcd: a member that hangs (SIGSTOP) does not stall writes or the other agents' watches",
          "[integration][etcd][etcd_member_hang]") {
  EtcdCluster etcd(3);
  REQUIRE_ETCD_STARTED(etcd);
  Agent a("a", etcd_config("a", "dc1", etcd.toml_endpoints(), service_toml("web-a", "web", "127.0.0.11", 80)));
  Agent b("b", etcd_config("b", "dc1", etcd.toml_endpoints()));
  REQUIRE(eventually_a(b.dns, "web.service.consul", {"127.0.0.11"}));

  // Member 0 is first in every agent's list, so their watches and writes use it. Stopped, it
  // still accepts TCP connections (the kernel does) but never answers.
  pid_t hung = etcd.pid(0);
  REQUIRE(hung > 0);
  REQUIRE(::kill(hung, SIGSTOP) == 0);
  struct Resume {
    pid_t pid;
    ~Resume() { ::kill(pid, SIGCONT); }
  } resume{hung};
  auto stopped = Clock::now();

  std::vector<std::string> failures;
  HttpReply reg = register_with_retries(a, register_json("late", "late-1", "127.0.0.51", 1), failures);
  INFO(reg.raw);
  INFO("failed attempts:\n" << join_lines(failures));
  REQUIRE(reg.status == 200);
  long accepted = ms_since(stopped);
  // B's watch on the hung member is silent; the probe of the member it watches moves it.
  CHECK(eventually_a(b.dns, "late.service.consul", {"127.0.0.51"}, 10000ms));
  std::cout << "etcd member hang: registration accepted after " << accepted << " ms (" << failures.size()
            << " failed attempts), answered by B after " << ms_since(stopped) << " ms" << std::endl;
  CHECK(eventually_a(a.dns, "late.service.consul", {"127.0.0.51"}));
  CHECK(lookup(b.dns, "web.service.consul").str() == "NOERROR [127.0.0.11]");
  INFO(b.process.log());
  CHECK(b.process.log().find("does not answer") != std::string::npos);
}

TEST_CASE("etcd: with every etcd member down, agents answer from the last catalog and refuse writes",
          "[integration][etcd][etcd_outage]") {
  EtcdCluster etcd(3);
  REQUIRE_ETCD_STARTED(etcd);
  Agent a("a", etcd_config("a", "dc1", etcd.toml_endpoints(), service_toml("web-a", "web", "127.0.0.11", 80)));
  Agent b("b", etcd_config("b", "dc1", etcd.toml_endpoints()));
  REQUIRE(a.put("/v1/agent/service/register", register_json("api", "api1", "127.0.0.21", 8080)).status == 200);
  REQUIRE(eventually_a(b.dns, "web.service.consul", {"127.0.0.11"}));
  REQUIRE(eventually_a(b.dns, "api.service.consul", {"127.0.0.21"}));
  HttpReply before = b.get("/v1/catalog/services");
  CHECK(header(before, "x-consul-knownleader") == "true");
  CHECK(count_occurrences(a.log(), "etcd unreachable") == 0);

  etcd.kill_all();
  auto down = Clock::now();

  // From the first moment and for longer than lease_ttl + request_timeout, DNS keeps
  // answering from the last catalog: never SERVFAIL, never a missing instance.
  std::vector<std::string> bad;
  int asked = 0;
  long a_noticed = -1, b_noticed = -1;  // ms after the loss when the log said "etcd unreachable"
  while (ms_since(down) < 4000) {
    if (a_noticed < 0 && a.log().find("etcd unreachable") != std::string::npos) a_noticed = ms_since(down);
    if (b_noticed < 0 && b.log().find("etcd unreachable") != std::string::npos) b_noticed = ms_since(down);
    for (Agent* agent : {&a, &b}) {
      for (auto [qname, want] : {std::pair<std::string, std::string>{"web.service.consul", "NOERROR [127.0.0.11]"},
                                 std::pair<std::string, std::string>{"api.service.consul", "NOERROR [127.0.0.21]"}}) {
        Lookup l = lookup(agent->dns, qname);
        ++asked;
        if (l.str() != want)
          bad.push_back(agent->name + " " + qname + " after " + std::to_string(ms_since(down)) + " ms: " + l.str());
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  INFO(join_lines(bad));
  CHECK(asked > 0);
  CHECK(bad.empty());
  CHECK(a.process.wait_for_log("etcd unreachable", 1, 10s));
  CHECK(b.process.wait_for_log("etcd unreachable", 1, 10s));
  if (a_noticed < 0) a_noticed = ms_since(down);
  if (b_noticed < 0) b_noticed = ms_since(down);
  std::cout << "etcd outage: \"etcd unreachable\" in A's log " << a_noticed << " ms, in B's " << b_noticed
            << " ms after every member was killed; " << asked << " DNS queries answered from the last catalog"
            << std::endl;

  // Writes fail with 503 within request_timeout (1 s) plus a margin, and change nothing.
  auto t0 = Clock::now();
  HttpReply reg = a.put("/v1/agent/service/register", register_json("new", "new1", "127.0.0.51", 1));
  const long reg_ms = ms_since(t0);
  INFO(reg.raw);
  CHECK(reg.status >= 500);
  CHECK(reg.status < 600);
  CHECK(reg.status == 503);
  CHECK(lower(reg.body).find("etcd") != std::string::npos);
  CHECK(reg_ms < 3000);
  t0 = Clock::now();
  HttpReply dereg = a.put("/v1/agent/service/deregister/api1");
  const long dereg_ms = ms_since(t0);
  INFO(dereg.raw);
  CHECK(dereg.status == 503);
  CHECK(lower(dereg.body).find("etcd") != std::string::npos);
  CHECK(dereg_ms < 3000);
  std::cout << "etcd outage: register refused in " << reg_ms << " ms, deregister in " << dereg_ms
            << " ms (request_timeout 1000 ms)" << std::endl;
  CHECK(lookup(a.dns, "api.service.consul").str() == "NOERROR [127.0.0.21]");
  CHECK(lookup(b.dns, "api.service.consul").str() == "NOERROR [127.0.0.21]");
  CHECK(lookup(a.dns, "new.service.consul").rcode == "NXDOMAIN");
  CHECK(a.get("/v1/agent/services").body.find("new1") == std::string::npos);

  // Reads answer from the last catalog, saying that there is no leader and since when.
  const long since_down = ms_since(down);
  HttpReply read = b.get("/v1/catalog/services");
  INFO(read.raw);
  CHECK(read.status == 200);
  std::vector<std::string> names = catalog_service_names(read);
  CHECK(contains(names, "web"));
  CHECK(contains(names, "api"));
  CHECK(header(read, "x-consul-knownleader") == "false");
  std::string contact = header(read, "x-consul-lastcontact");
  REQUIRE(contact != "<absent>");
  REQUIRE(!contact.empty());
  REQUIRE(std::all_of(contact.begin(), contact.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }));
  const long last_contact = std::stol(contact);
  // The last contact was before the members died.
  CHECK(last_contact >= since_down - 250);
  std::this_thread::sleep_for(300ms);
  HttpReply later = b.get("/v1/health/service/web");
  INFO(later.raw);
  CHECK(later.status == 200);
  CHECK(health_addresses(later) == std::vector<std::string>{"127.0.0.11"});
  CHECK(header(later, "x-consul-knownleader") == "false");
  std::string contact2 = header(later, "x-consul-lastcontact");
  CHECK(std::atol(contact2.c_str()) >= last_contact + 250);

  // etcd comes back: both agents notice, reads know the leader again, and writes work.
  REQUIRE_ETCD_OK(etcd, etcd.start_all());
  auto up = Clock::now();
  CHECK(a.process.wait_for_log("etcd reachable again", 1, 15s));
  CHECK(b.process.wait_for_log("etcd reachable again", 1, 15s));
  std::cout << "etcd outage: both agents logged \"etcd reachable again\" within " << ms_since(up)
            << " ms of a healthy cluster" << std::endl;
  CHECK(eventually([&] { return header(b.get("/v1/catalog/services"), "x-consul-knownleader") == "true"; }, 5s, 100ms));
  // The refused writes left no trace, also after the agents re-synced. An agent runs its
  // re-sync (anti-entropy: synchronous writes) on its control thread as soon as it is
  // reachable again, so once each has answered a request sent after that, it is done.
  CHECK(a.get("/v1/agent/services").status == 200);
  CHECK(b.get("/v1/agent/services").status == 200);
  CHECK_FALSE(etcd_value(etcd, "beacon/dc1/services/a/new1"));
  CHECK(etcd_value(etcd, "beacon/dc1/services/a/api1").has_value());
  CHECK(lookup(b.dns, "new.service.consul").rcode == "NXDOMAIN");
  CHECK(eventually_a(b.dns, "web.service.consul", {"127.0.0.11"}));
  CHECK(eventually_a(b.dns, "api.service.consul", {"127.0.0.21"}));
  HttpReply again = a.put("/v1/agent/service/register", register_json("new", "new1", "127.0.0.51", 1));
  INFO(again.raw);
  CHECK(again.status == 200);
  CHECK(eventually_a(b.dns, "new.service.consul", {"127.0.0.51"}));
}

TEST_CASE("etcd: an agent whose watch fell behind a compaction re-reads the catalog",
          "[integration][etcd][etcd_compaction]") {
  EtcdCluster etcd(3);
  REQUIRE_ETCD_STARTED(etcd);
  Agent a("a", etcd_config("a", "dc1", etcd.toml_endpoints()));
  Agent b("b", etcd_config("b", "dc1", etcd.toml_endpoints()));
  REQUIRE(a.put("/v1/agent/service/register", register_json("old", "old1", "127.0.0.31", 1)).status == 200);
  REQUIRE(eventually_a(b.dns, "old.service.consul", {"127.0.0.31"}));

  // B sleeps through the changes, the compaction and the restarts of etcd.
  const pid_t b_pid = b.process.pid();
  REQUIRE(b_pid > 0);
  REQUIRE(::kill(b_pid, SIGSTOP) == 0);
  struct Continue {  // B must not stay stopped whatever happens below
    pid_t pid;
    bool done = false;
    void now() {
      if (!done) ::kill(pid, SIGCONT);
      done = true;
    }
    ~Continue() { now(); }
  } resume{b_pid};

  // First a restart of etcd that cuts B's watch connection before anything changes: events
  // sent on it while B is stopped would otherwise wait in B's socket buffer, and B would
  // read them on SIGCONT instead of falling behind the compaction.
  etcd.kill_all();
  REQUIRE_ETCD_OK(etcd, etcd.start_all());
  std::vector<std::string> failures;  // A may need a moment to reconnect
  HttpReply late = register_with_retries(a, register_json("late", "late1", "127.0.0.32", 1), failures);
  INFO(late.raw);
  REQUIRE(late.status == 200);
  REQUIRE(a.put("/v1/agent/service/deregister/old1").status == 200);
  // A few more revisions that B never sees either.
  for (int i = 0; i <= 10; ++i) {
    std::string raw;
    int status = http_request(a.http, "PUT", "/v1/agent/service/register",
                              register_json("churn", "churn1", "127.0.0.33", 1000 + i), 5000ms, &raw);
    INFO("churn " << i << ": " << raw);
    REQUIRE(status == 200);
  }
  std::optional<int64_t> rev = etcd.revision();
  REQUIRE(rev);
  REQUIRE(etcd.compact(*rev));
  // Then, as an agent may meet it: every member dies and comes back after the compaction.
  etcd.kill_all();
  REQUIRE_ETCD_OK(etcd, etcd.start_all());

  resume.now();
  auto resumed = Clock::now();
  CHECK(eventually_a(b.dns, "late.service.consul", {"127.0.0.32"}, 10s));
  CHECK(eventually_nxdomain(b.dns, "old.service.consul", 10s));
  CHECK(eventually_a(b.dns, "churn.service.consul", {"127.0.0.33"}, 10s));
  std::cout << "etcd compaction: B caught up " << ms_since(resumed) << " ms after SIGCONT" << std::endl;
  CHECK(eventually([&] {
    Lookup srv = lookup(b.dns, "churn.service.consul", kTypeSrv);
    return srv.rdata.size() == 1 && srv_port(srv.rdata[0]) == "1010";
  }, 10s));
  // B's own liveness key is there too (its lease may have run out while it was stopped).
  CHECK(eventually([&] { return etcd_value(etcd, "beacon/dc1/alive/b").has_value(); }, 10s, 100ms));
  const bool compacted = b.log().find("compacted") != std::string::npos;
  std::cout << "etcd compaction: B's log " << (compacted ? "mentions" : "does not mention") << " \"compacted\""
            << std::endl;
  INFO("B's log mentions the compaction: " << (compacted ? "yes" : "no"));
  CHECK(b.process.running());
}

TEST_CASE("etcd: [[datacenters]] follows another datacenter's etcd cluster",
          "[integration][etcd][etcd_datacenters]") {
  EtcdCluster dc1(1), dc2(1);
  REQUIRE_ETCD_STARTED(dc1);
  REQUIRE_ETCD_STARTED(dc2);
  Agent d("d", etcd_config("d", "dc2", dc2.toml_endpoints(), service_toml("db-d", "db", "127.0.0.41", 5432)));
  Agent a("a", etcd_config("a", "dc1", dc1.toml_endpoints(),
                           service_toml("web-a", "web", "127.0.0.11", 80) +
                               "[[datacenters]]\nname = \"dc2\"\netcd_endpoints = " + dc2.toml_endpoints() + "\n"));

  CHECK(eventually_a(d.dns, "db.service.consul", {"127.0.0.41"}));
  CHECK(eventually_a(a.dns, "db.service.dc2.consul", {"127.0.0.41"}));
  CHECK(eventually_a(a.dns, "web.service.consul", {"127.0.0.11"}));
  CHECK(eventually_a(a.dns, "web.service.dc1.consul", {"127.0.0.11"}));
  // Its own datacenter has no db, and dc3 is unknown.
  CHECK(lookup(a.dns, "db.service.consul").str() == "NXDOMAIN []");
  CHECK(lookup(a.dns, "db.service.dc1.consul").str() == "NXDOMAIN []");
  CHECK(lookup(a.dns, "web.service.dc3.consul").str() == "NXDOMAIN []");
  CHECK(lookup(a.dns, "web.service.dc2.consul").str() == "NXDOMAIN []");
  DigResult dug = ask_dig(a.dns, "db.service.dc2.consul.", "A");
  REQUIRE_ANSWERED(dug);
  CHECK(sorted_rdata(of_type(dug.answer, "A")) == std::vector<std::string>{"127.0.0.41"});

  HttpReply dcs = a.get("/v1/catalog/datacenters");
  INFO(dcs.raw);
  CHECK(dcs.status == 200);
  json list = json::parse(dcs.body, nullptr, false);
  REQUIRE(list.is_array());
  std::set<std::string> names;
  for (const json& n : list)
    if (n.is_string()) names.insert(n.get<std::string>());
  CHECK(names.count("dc1") == 1);
  CHECK(names.count("dc2") == 1);

  // HTTP reads with ?dc=dc2 come from A's copy of dc2; writes there are not A's to make.
  HttpReply remote = a.get("/v1/health/service/db?dc=dc2&passing");
  INFO(remote.raw);
  CHECK(remote.status == 200);
  CHECK(health_addresses(remote) == std::vector<std::string>{"127.0.0.41"});
  CHECK(remote.body.find("\"Datacenter\":\"dc2\"") != std::string::npos);
  CHECK_FALSE(header(remote, "X-Consul-Index").empty());
  HttpReply remote_services = a.get("/v1/catalog/services?dc=dc2");
  CHECK(remote_services.status == 200);
  CHECK(contains(catalog_service_names(remote_services), "db"));
  CHECK_FALSE(contains(catalog_service_names(remote_services), "web"));
  CHECK(health_addresses(a.get("/v1/health/service/db?passing")).empty());  // dc1 has no db
  CHECK(a.get("/v1/health/service/db?dc=dc3").status == 500);
  CHECK(a.put("/v1/catalog/register?dc=dc2", "{\"Node\":\"x\",\"Address\":\"127.0.0.9\"}").status == 500);

  // A follows dc2 live, not once.
  REQUIRE(d.put("/v1/agent/service/register", register_json("db", "db-2", "127.0.0.42", 5432)).status == 200);
  CHECK(eventually_a(a.dns, "db.service.dc2.consul", {"127.0.0.41", "127.0.0.42"}));
  REQUIRE(d.put("/v1/agent/service/deregister/db-2").status == 200);
  CHECK(eventually_a(a.dns, "db.service.dc2.consul", {"127.0.0.41"}));
  // ... and read-only: nothing of dc1 lands in dc2's cluster.
  INFO("dc2 keys:\n" << join_lines(etcd_keys(dc2, "beacon/")));
  CHECK(etcd_keys(dc2, "beacon/dc1/").empty());
  CHECK_FALSE(etcd_keys(dc2, "beacon/dc2/").empty());
  CHECK(etcd_keys(dc1, "beacon/dc2/").empty());
}

TEST_CASE("etcd: propagation from a write on A to B's DNS answer, 200 changes",
          "[integration][etcd][etcd_propagation]") {
  EtcdCluster etcd(3);
  REQUIRE_ETCD_STARTED(etcd);
  Agent a("a", etcd_config("a", "dc1", etcd.toml_endpoints()));
  Agent b("b", etcd_config("b", "dc1", etcd.toml_endpoints()));
  Agent c("c", etcd_config("c", "dc1", etcd.toml_endpoints()));

  const std::string qname = "prop.service.consul";
  auto change = [&](const std::string& address) {
    std::string raw;
    int status = http_request(a.http, "PUT", "/v1/agent/service/register", register_json("prop", "prop1", address, 9000),
                              5000ms, &raw);
    INFO("register " << address << " on A: " << raw);
    REQUIRE(status == 200);
  };
  // Warm-up (not measured): the service exists and B sees it.
  change("127.0.2.1");
  REQUIRE(eventually_a(b.dns, qname, {"127.0.2.1"}, 10s));

  constexpr int kChanges = 200;
  std::vector<double> latencies_ms;
  for (int i = 0; i < kChanges; ++i) {
    // Every change moves the one instance to a new address: 127.0.1.1 .. 127.0.1.200.
    const std::string address = "127.0.1." + std::to_string(i + 1);
    change(address);
    const auto replied = Clock::now();
    const auto give_up = replied + 5s;
    Lookup last;
    bool seen = false;
    while (Clock::now() < give_up) {
      last = lookup(b.dns, qname);
      if (last.answered && last.rcode == "NOERROR" && last.rdata == std::vector<std::string>{address}) {
        seen = true;
        break;
      }
      std::this_thread::sleep_for(1ms);
    }
    const auto seen_at = Clock::now();
    if (!seen) FAIL("change " << i << " (" << address << ") not answered by B within 5 s; B says " << last.str());
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(seen_at - replied).count());
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto rank = [&](double q) {  // nearest-rank percentile
    size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(latencies_ms.size())));
    return latencies_ms[std::min(latencies_ms.size() - 1, k == 0 ? 0 : k - 1)];
  };
  const double p50 = rank(0.50), p99 = rank(0.99), max = latencies_ms.back();
  std::cout << std::fixed;
  std::cout.precision(1);
  std::cout << "etcd propagation A->B over " << kChanges << " changes: p50 " << p50 << " ms, p99 " << p99
            << " ms, max " << max << " ms" << std::endl;
  INFO("p50 " << p50 << " ms, p99 " << p99 << " ms, max " << max << " ms");
  CHECK(p99 < 1000.0);
  // The third agent ends up with the last change too.
  CHECK(eventually_a(c.dns, qname, {"127.0.1." + std::to_string(kChanges)}));
  CHECK(eventually_a(a.dns, qname, {"127.0.1." + std::to_string(kChanges)}));
}

}  // namespace
}  // namespace beacon::test
