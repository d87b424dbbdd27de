#include "tests/support/etcd_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "tests/support/loopback_port.h"

namespace beacon::test {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kAttempts = 3;
constexpr auto kStopTimeout = 10s;
constexpr auto kStartTimeout = 30s;
constexpr auto kMemberListenTimeout = 10s;
constexpr auto kEtcdctlTimeout = 10s;
constexpr size_t kLogTailBytes = 3000;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string url(uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); }

// True when a TCP connection to 127.0.0.1:port is accepted (the kernel's backlog is enough:
// etcd binds its listeners before it serves).
bool port_accepts(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

// `etcdctl endpoint health` for `endpoints`, with short timeouts (a member that is not up
// yet costs at most the 2 s command timeout).
CommandResult health(const std::vector<std::string>& endpoints) {
  return run_command({"env", "ETCDCTL_API=3", kEtcdctlPath, "--endpoints=" + join(endpoints, ","),
                      "--dial-timeout=1s", "--command-timeout=2s", "endpoint", "health"},
                     kEtcdctlTimeout);
}

std::string describe(const CommandResult& r) {
  if (!r.started) return "etcdctl did not run: " + r.err;
  std::string s = r.timed_out ? "timed out" : "exit code " + std::to_string(r.exit_code);
  return s + "\n" + r.out + r.err;
}

// A token no other cluster started by any process on this machine uses.
std::string unique_token() {
  static std::atomic<int> counter{0};
  return "beacon-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(Clock::now().time_since_epoch().count());
}

}  // namespace

std::string missing_etcd() {
  for (const char* program : {kEtcdPath, kEtcdctlPath})
    if (::access(program, X_OK) != 0)
      return std::string(program) + " is not installed (Debian packages etcd-server and etcd-client)";
  return "";
}

EtcdCluster::EtcdCluster(size_t members) : members_(members == 0 ? 1 : members) {
  for (size_t i = 0; i < members_.size(); ++i) {
    members_[i].name = "m" + std::to_string(i);
    members_[i].dir = dir_.path() / members_[i].name;
  }
}

EtcdCluster::~EtcdCluster() { stop_all(); }

bool EtcdCluster::start() {
  kill_all();
  failure_.clear();
  std::string earlier;  // what went wrong in the attempts before
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    token_ = unique_token();
    // Fresh ports, all different from each other.
    std::set<uint16_t> used;
    for (Member& m : members_) {
      for (uint16_t* port : {&m.client_port, &m.peer_port}) {
        *port = 0;
        for (int tries = 0; tries < 20 && *port == 0; ++tries) {
          uint16_t p = pick_free_port();
          if (p != 0 && used.insert(p).second) *port = p;
        }
        if (*port == 0) {
          failure_ = "no free port on 127.0.0.1";
          return false;
        }
      }
    }
    std::vector<std::string> peers;
    for (const Member& m : members_) peers.push_back(m.name + "=" + url(m.peer_port));
    const std::string initial_cluster = join(peers, ",");
    for (Member& m : members_) {
      std::error_code ec;
      std::filesystem::remove_all(m.dir, ec);
      std::filesystem::create_directories(m.dir, ec);
      m.argv = {kEtcdPath,
                "--name", m.name,
                "--data-dir", (m.dir / "data").string(),
                "--listen-client-urls", url(m.client_port),
                "--advertise-client-urls", url(m.client_port),
                "--listen-peer-urls", url(m.peer_port),
                "--initial-advertise-peer-urls", url(m.peer_port),
                "--initial-cluster", initial_cluster,
                "--initial-cluster-state", "new",
                "--initial-cluster-token", token_,
                "--heartbeat-interval", "50",
                "--election-timeout", "500",
                "--logger", "zap",
                "--log-outputs", "stderr"};
    }
    for (size_t i = 0; i < members_.size(); ++i) {
      if (!spawn_member(i)) {
        kill_all();
        return false;
      }
    }
    auto deadline = Clock::now() + kStartTimeout;
    std::string last;
    while (true) {
      if (std::optional<size_t> dead = reap_exited()) {
        earlier += "attempt " + std::to_string(attempt) + ": member " + members_[*dead].name +
                   " exited before the cluster was healthy\n" + logs_tail();
        kill_all();
        break;  // most likely a port taken in the meantime: retry with new ports
      }
      CommandResult r = health(endpoints());
      if (r.exit_code == 0) return true;
      last = describe(r);
      if (Clock::now() >= deadline) {
        failure_ = earlier + "the cluster was not healthy within 30 s\n" + describe_members() + "last health check: " +
                   last + "\n" + logs_tail();
        kill_all();
        return false;
      }
      std::this_thread::sleep_for(100ms);
    }
  }
  failure_ = earlier + "etcd did not start in " + std::to_string(kAttempts) + " attempts";
  return false;
}

bool EtcdCluster::spawn_member(size_t i) {
  Member& m = members_.at(i);
  std::string error;
  const std::filesystem::path log_path = m.dir / "etcd.log";
  std::ofstream(log_path, std::ios::binary | std::ios::app)
      << "--- beacon test: $ " << join(m.argv, " ") << "\n";
  auto pid = spawn_background(m.argv, m.dir, log_path, log_path, error);
  if (!pid) {
    failure_ = "member " + m.name + ": " + error;
    return false;
  }
  m.pid = *pid;
  return true;
}

std::optional<size_t> EtcdCluster::reap_exited() {
  std::optional<size_t> dead;
  for (size_t i = 0; i < members_.size(); ++i) {
    Member& m = members_[i];
    if (m.pid <= 0) continue;
    if (wait_pid(m.pid, 0ms)) {
      m.pid = -1;
      if (!dead) dead = i;
    }
  }
  return dead;
}

std::vector<std::string> EtcdCluster::endpoints() const {
  std::vector<std::string> out;
  for (const Member& m : members_) out.push_back(url(m.client_port));
  return out;
}

std::string EtcdCluster::endpoints_csv() const { return join(endpoints(), ","); }

std::string EtcdCluster::toml_endpoints() const {
  std::vector<std::string> quoted;
  for (const std::string& e : endpoints()) quoted.push_back("\"" + e + "\"");
  return "[" + join(quoted, ", ") + "]";
}

std::vector<std::string> EtcdCluster::live_endpoints() const {
  std::vector<std::string> out;
  for (const Member& m : members_)
    if (m.pid > 0) out.push_back(url(m.client_port));
  return out;
}

std::string EtcdCluster::endpoint(size_t i) const { return url(members_.at(i).client_port); }
uint16_t EtcdCluster::client_port(size_t i) const { return members_.at(i).client_port; }
uint16_t EtcdCluster::peer_port(size_t i) const { return members_.at(i).peer_port; }
pid_t EtcdCluster::pid(size_t i) const { return members_.at(i).pid; }
bool EtcdCluster::member_running(size_t i) const { return members_.at(i).pid > 0; }

size_t EtcdCluster::running_members() const {
  size_t n = 0;
  for (const Member& m : members_) n += m.pid > 0 ? 1 : 0;
  return n;
}

void EtcdCluster::kill_member(size_t i) {
  Member& m = members_.at(i);
  if (m.pid <= 0) return;
  ::kill(m.pid, SIGKILL);
  wait_pid(m.pid, kStopTimeout);
  m.pid = -1;
}

void EtcdCluster::stop_member(size_t i) {
  Member& m = members_.at(i);
  if (m.pid <= 0) return;
  ::kill(m.pid, SIGTERM);
  if (!wait_pid(m.pid, kStopTimeout)) {
    ::kill(m.pid, SIGKILL);
    wait_pid(m.pid, kStopTimeout);
  }
  m.pid = -1;
}

bool EtcdCluster::start_member(size_t i) {
  Member& m = members_.at(i);
  if (m.pid > 0) return true;
  if (m.argv.empty()) {
    failure_ = "member " + m.name + " was never started (call start() first)";
    return false;
  }
  failure_.clear();
  if (!spawn_member(i)) return false;
  auto deadline = Clock::now() + kMemberListenTimeout;
  while (!port_accepts(m.client_port)) {
    if (wait_pid(m.pid, 0ms)) {
      m.pid = -1;
      failure_ = "member " + m.name + " exited after a restart (its ports may be taken)\n" + logs_tail();
      return false;
    }
    if (Clock::now() >= deadline) {
      failure_ = "member " + m.name + " did not listen on 127.0.0.1:" + std::to_string(m.client_port) +
                 " within 10 s of a restart\n" + logs_tail();
      return false;
    }
    std::this_thread::sleep_for(20ms);
  }
  if (running_members() * 2 > members_.size()) return wait_healthy(kStartTimeout);
  return true;
}

void EtcdCluster::stop_all() {
  // A leader that gets SIGTERM first tries to hand its leadership over, and waits for that
  // up to 6 s when its followers are shutting down too. So the followers go first; a leader
  // without connected followers skips the hand-over and exits at once.
  // (A plain index, not an optional: GCC 12 -O2 warns maybe-uninitialized on the optional.)
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t leader = kNone;
  if (running_members() > 1) leader = leader_index().value_or(kNone);
  auto stop_group = [this](const std::vector<size_t>& group) {
    for (size_t i : group) ::kill(members_[i].pid, SIGTERM);
    auto deadline = Clock::now() + kStopTimeout;
    for (size_t i : group) {
      Member& m = members_[i];
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (!wait_pid(m.pid, std::max(left, std::chrono::milliseconds(0)))) {
        ::kill(m.pid, SIGKILL);
        wait_pid(m.pid, kStopTimeout);
      }
      m.pid = -1;
    }
  };
  std::vector<size_t> first;
  for (size_t i = 0; i < members_.size(); ++i)
    if (members_[i].pid > 0 && i != leader) first.push_back(i);
  stop_group(first);
  if (leader != kNone && members_[leader].pid > 0) stop_group({leader});
}

std::optional<size_t> EtcdCluster::leader_index() const {
  std::vector<std::string> live = live_endpoints();
  if (live.empty()) return std::nullopt;
  CommandResult r = run_command({"env", "ETCDCTL_API=3", kEtcdctlPath, "--endpoints=" + join(live, ","),
                                 "--dial-timeout=1s", "--command-timeout=2s", "endpoint", "status", "-w", "json"},
                                kEtcdctlTimeout);
  // With a member down etcdctl exits 1 but still prints the status of the others.
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_array()) return std::nullopt;
  for (const nlohmann::json& e : j) {
    if (!e.is_object() || !e.contains("Endpoint") || !e.contains("Status")) continue;
    const nlohmann::json& status = e["Status"];
    if (!status.is_object() || !status.contains("header") || !status.contains("leader")) continue;
    const nlohmann::json& header = status["header"];
    if (!header.contains("member_id") || header["member_id"] != status["leader"]) continue;
    for (size_t i = 0; i < members_.size(); ++i)
      if (e["Endpoint"] == url(members_[i].client_port)) return i;
  }
  return std::nullopt;
}

void EtcdCluster::kill_all() {
  for (Member& m : members_)
    if (m.pid > 0) ::kill(m.pid, SIGKILL);
  for (Member& m : members_) {
    if (m.pid <= 0) continue;
    wait_pid(m.pid, kStopTimeout);
    m.pid = -1;
  }
}

bool EtcdCluster::start_all() {
  failure_.clear();
  for (size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].pid > 0) continue;
    if (members_[i].argv.empty()) {
      failure_ = "the cluster was never started (call start() first)";
      return false;
    }
    if (!spawn_member(i)) return false;
  }
  if (!wait_healthy(kStartTimeout)) return false;
  if (running_members() != members_.size()) {
    failure_ = "a member exited after the restart\n" + describe_members() + logs_tail();
    return false;
  }
  return true;
}

bool EtcdCluster::wait_healthy(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string last;
  while (true) {
    reap_exited();
    std::vector<std::string> live = live_endpoints();
    if (live.empty()) {
      failure_ = "no etcd member is running\n" + logs_tail();
      return false;
    }
    CommandResult r = health(live);
    if (r.exit_code == 0) return true;
    last = describe(r);
    if (Clock::now() >= deadline) {
      failure_ = "etcd was not healthy within " + std::to_string(timeout.count()) + " ms\n" + describe_members() +
                 "last health check: " + last + "\n" + logs_tail();
      return false;
    }
    std::this_thread::sleep_for(100ms);
  }
}

CommandResult EtcdCluster::etcdctl(const std::vector<std::string>& args) const {
  std::vector<std::string> live = live_endpoints();
  if (live.empty()) live = endpoints();  // fails, as it should, with etcdctl's own message
  std::vector<std::string> argv{"env", "ETCDCTL_API=3", kEtcdctlPath, "--endpoints=" + join(live, ","),
                                "--dial-timeout=2s", "--command-timeout=5s"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, kEtcdctlTimeout);
}

std::optional<int64_t> EtcdCluster::revision() const {
  // A linearizable read of a key nobody writes: its header carries the current revision.
  CommandResult r = etcdctl({"get", "beacon-test-etcd-cluster-revision-probe", "-w", "json"});
  if (r.exit_code != 0) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("header") || !j["header"].contains("revision"))
    return std::nullopt;
  const nlohmann::json& rev = j["header"]["revision"];
  if (!rev.is_number_integer()) return std::nullopt;
  return rev.get<int64_t>();
}

bool EtcdCluster::compact(int64_t rev) const {
  return etcdctl({"compaction", "--physical", std::to_string(rev)}).exit_code == 0;
}

std::string EtcdCluster::log(size_t i) const { return read_file(members_.at(i).dir / "etcd.log"); }

std::string EtcdCluster::describe_members() const {
  std::string out;
  for (const Member& m : members_)
    out += m.name + ": client " + url(m.client_port) + ", peer " + url(m.peer_port) + ", " +
           (m.pid > 0 ? "pid " + std::to_string(m.pid) : std::string("not running")) + "\n";
  return out;
}

std::string EtcdCluster::logs_tail() const {
  std::string out;
  for (size_t i = 0; i < members_.size(); ++i) {
    std::string text = log(i);
    if (text.size() > kLogTailBytes) text = "..." + text.substr(text.size() - kLogTailBytes);
    out += "--- " + members_[i].name + " (" + (members_[i].dir / "etcd.log").string() + ") ---\n" + text + "\n";
  }
  return out;
}

}  // namespace beacon::test
