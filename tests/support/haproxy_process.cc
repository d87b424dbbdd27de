#include "tests/support/haproxy_process.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/support/loopback_port.h"
#include "tests/support/subprocess.h"

namespace beacon::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kReadyTimeout = std::chrono::seconds(5);
constexpr auto kStopTimeout = std::chrono::seconds(5);
constexpr int kSocketTimeoutMs = 2000;
constexpr int kAttempts = 3;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

HaproxyProcess::HaproxyProcess()
    : socket_path_(dir_.path() / "admin.sock"), config_path_(dir_.path() / "haproxy.cfg") {}

HaproxyProcess::~HaproxyProcess() {
  if (running()) stop();
}

bool HaproxyProcess::start(const MakeConfig& make_config) {
  if (running()) stop();
  failure_.clear();
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    uint16_t port = pick_free_port();
    if (port == 0) {
      failure_ = "no free port on 127.0.0.1";
      return false;
    }
    std::filesystem::remove(socket_path_);
    dir_.write("haproxy.cfg", make_config(port, socket_path_.string()));
    log_path_ = dir_.path() / ("haproxy-" + std::to_string(attempt) + ".log");
    std::string error;
    auto pid = spawn_background({kHaproxyPath, "-db", "-f", config_path_.string()}, dir_.path(), log_path_,
                                log_path_, error);
    if (!pid) {
      failure_ = "haproxy: " + error;
      return false;
    }
    pid_ = *pid;
    auto deadline = Clock::now() + kReadyTimeout;
    bool exited = false;
    while (Clock::now() < deadline) {
      if (command("show info").find("Name: HAProxy") != std::string::npos) return true;
      if (auto status = wait_pid(pid_, std::chrono::milliseconds(0))) {
        pid_ = -1;
        exited = true;
        failure_ = "haproxy exited with code " + std::to_string(exit_code_of(*status)) + " (attempt " +
                   std::to_string(attempt) + ")\n" + log() + "\nconfig:\n" + config();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the socket is not there yet
    }
    if (!exited) {
      failure_ = "haproxy's admin socket did not answer within 5 s\n" + log() + "\nconfig:\n" + config();
      stop();
      return false;
    }
  }
  return false;
}

int HaproxyProcess::stop() {
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

std::string HaproxyProcess::command(const std::string& line) const {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = socket_path_.string();
  if (path.size() >= sizeof addr.sun_path) {
    ::close(fd);
    return "";
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string req = line + "\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      // Without "prompt" mode haproxy answers one command and closes the connection.
      auto deadline = Clock::now() + std::chrono::milliseconds(kSocketTimeoutMs);
      char buf[16384];
      while (Clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        int left = static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
        if (::poll(&p, 1, left > 0 ? left : 0) <= 0) break;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        reply.append(buf, static_cast<size_t>(n));
      }
    }
  }
  ::close(fd);
  return reply;
}

std::map<std::string, HaproxyServer> HaproxyProcess::servers(const std::string& backend) const {
  // "1", then "# be_id be_name srv_id srv_name srv_addr ...", then one line per server.
  std::istringstream in(command("show servers state " + backend));
  std::map<std::string, HaproxyServer> out;
  std::map<std::string, size_t> col;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> w = split_words(line);
    if (w.empty()) continue;
    if (w[0] == "#") {
      for (size_t i = 1; i < w.size(); ++i) col[w[i]] = i - 1;
      continue;
    }
    if (col.empty() || w.size() < col.size()) continue;
    auto at = [&](const char* name) -> std::string {
      auto it = col.find(name);
      return it == col.end() || it->second >= w.size() ? "" : w[it->second];
    };
    auto num = [&](const char* name) -> long {
      std::string v = at(name);
      return v.empty() ? -1 : std::strtol(v.c_str(), nullptr, 10);
    };
    HaproxyServer s;
    s.addr = at("srv_addr");
    s.port = static_cast<int>(num("srv_port"));
    s.op_state = static_cast<int>(num("srv_op_state"));
    s.admin_state = static_cast<int>(num("srv_admin_state"));
    s.since_change = num("srv_time_since_last_change");
    out[at("srv_name")] = s;
  }
  return out;
}

std::string HaproxyProcess::config() const { return read_file(config_path_); }

std::string HaproxyProcess::log() const { return log_path_.empty() ? "" : read_file(log_path_); }

}  // namespace beacon::test
