#include "tests/support/dns_daemon.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/loopback_port.h"
#include "tests/support/raw_dns.h"
#include "tests/support/subprocess.h"

namespace beacon::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kReadyTimeout = std::chrono::seconds(5);
constexpr auto kStopTimeout = std::chrono::seconds(5);
constexpr int kAttempts = 3;
constexpr uint16_t kSoa = 6;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string join(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

std::string missing_program(const char* program, const char* package) {
  if (::access(program, X_OK) == 0) return "";
  return std::string(program) + " is not installed (Debian package " + package +
         "); run scripts/install-deps.sh, which CI runs too";
}

DnsDaemon::DnsDaemon(std::string name) : name_(std::move(name)) {}

DnsDaemon::~DnsDaemon() {
  if (running()) stop();
}

bool DnsDaemon::start(const MakeArgv& make_argv, std::string_view probe_qname) {
  if (running()) stop();
  failure_.clear();
  const Bytes probe = build_query({.id = 0x5151, .qname = std::string(probe_qname), .qtype = kSoa});
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    port_ = pick_free_port();
    if (port_ == 0) {
      failure_ = "no free port on 127.0.0.1";
      return false;
    }
    std::vector<std::string> argv = make_argv(port_);
    command_ = join(argv);
    log_path_ = dir() / (name_ + "-" + std::to_string(attempt) + ".log");
    std::string error;
    auto pid = spawn_background(argv, dir(), log_path_, log_path_, error);
    if (!pid) {
      failure_ = name_ + ": " + error;
      return false;
    }
    pid_ = *pid;
    // Ready once it answers anything over UDP; a server that dies (a taken port) is retried.
    auto deadline = Clock::now() + kReadyTimeout;
    bool exited = false;
    while (Clock::now() < deadline) {
      if (send_raw(port_, probe, false, std::chrono::milliseconds(200))) return true;
      if (auto status = wait_pid(pid_, std::chrono::milliseconds(0))) {
        pid_ = -1;
        exited = true;
        failure_ = name_ + " exited with code " + std::to_string(exit_code_of(*status)) +
                   " before answering (attempt " + std::to_string(attempt) + ")\n$ " + command_ + "\n" + log();
        break;
      }
      // A refused probe returns at once; do not spin.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!exited) {
      failure_ = name_ + " did not answer " + std::string(probe_qname) + " SOA on 127.0.0.1:" +
                 std::to_string(port_) + " within 5 s\n$ " + command_ + "\n" + log();
      stop();
      return false;
    }
  }
  return false;
}

int DnsDaemon::stop() {
  if (!running()) return -1;
  ::kill(pid_, SIGTERM);
  std::optional<int> status = wait_pid(pid_, kStopTimeout);
  if (!status) {
    ::kill(pid_, SIGKILL);
    status = wait_pid(pid_, kStopTimeout);
  }
  pid_ = -1;
  return status ? exit_code_of(*status) : -1;
}

std::string DnsDaemon::log() const { return log_path_.empty() ? "" : read_file(log_path_); }

std::vector<std::string> dnsmasq_argv(const std::filesystem::path& dir, uint16_t port,
                                      const std::vector<std::string>& extra) {
  std::vector<std::string> argv{kDnsmasqPath,
                                "--keep-in-foreground",
                                "--conf-file=/dev/null",  // not /etc/dnsmasq.conf
                                "--no-resolv",            // no upstreams from /etc/resolv.conf
                                "--no-hosts",             // no /etc/hosts
                                "--no-poll",
                                "--listen-address=127.0.0.1",
                                "--bind-interfaces",
                                "--port=" + std::to_string(port),
                                // Stay root when started as root (dropping to "nobody" works too, but
                                // then the pid file must be writable by it).
                                "--user=root",
                                "--pid-file=" + (dir / "dnsmasq.pid").string(),
                                "--log-facility=-",
                                "--log-queries"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

std::vector<std::string> unbound_argv(const std::filesystem::path& dir, uint16_t port, std::string_view server_extra,
                                      std::string_view zones) {
  std::filesystem::path conf = dir / "unbound.conf";
  std::ofstream out(conf, std::ios::binary | std::ios::trunc);
  out << "server:\n"
      << "  interface: 127.0.0.1\n"
      << "  port: " << port << "\n"
      << "  do-ip6: no\n"
      << "  username: \"\"\n"
      << "  chroot: \"\"\n"
      << "  directory: \"" << dir.string() << "\"\n"
      << "  pidfile: \"" << (dir / "unbound.pid").string() << "\"\n"
      << "  use-syslog: no\n"
      << "  logfile: \"\"\n"
      << "  verbosity: 1\n"
      << "  log-queries: yes\n"
      << "  num-threads: 1\n"
      << "  so-reuseport: no\n"
      << "  outgoing-range: 64\n"
      << "  incoming-num-tcp: 16\n"
      << "  outgoing-num-tcp: 16\n"
      << "  msg-cache-size: 1m\n"
      << "  rrset-cache-size: 1m\n"
      << server_extra << "\n"
      << "remote-control:\n"
      << "  control-enable: no\n"
      << zones << "\n";
  return {kUnboundPath, "-d", "-c", conf.string()};
}

}  // namespace beacon::test
