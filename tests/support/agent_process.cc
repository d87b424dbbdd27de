#include "tests/support/agent_process.h"

#include <signal.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#ifndef BEACON_BINARY
#error "BEACON_BINARY must name the beacon executable"
#endif

namespace beacon::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr auto kStopTimeout = std::chrono::seconds(10);
constexpr std::string_view kListening = "dns: listening on ";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The port in "... dns: listening on 127.0.0.1:PORT (udp, tcp) ...", or 0. `marker` picks
// the listener ("dns: listening on " or "http: listening on ").
uint16_t parse_listening_port(const std::string& log, std::string_view marker = kListening) {
  size_t at = log.find(marker);
  if (at == std::string::npos) return 0;
  size_t end = log.find_first_of(" \n", at + marker.size());
  if (end == std::string::npos) return 0;
  std::string addr = log.substr(at + marker.size(), end - at - marker.size());
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos) return 0;
  try {
    int port = std::stoi(addr.substr(colon + 1));
    return port > 0 && port < 65536 ? static_cast<uint16_t>(port) : 0;
  } catch (...) {
    return 0;
  }
}

}  // namespace

const char* beacon_binary() { return BEACON_BINARY; }

uint16_t AgentProcess::http_port() const {
  if (!wait_for_log("http: listening on ", 1, std::chrono::seconds(5))) return 0;
  return parse_listening_port(log(), "http: listening on ");
}

CommandResult run_beacon(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{beacon_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, timeout);
}

size_t count_occurrences(std::string_view text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

AgentProcess::AgentProcess() : owned_(std::in_place), dir_(owned_->path()) {}

AgentProcess::AgentProcess(std::filesystem::path dir) : dir_(std::move(dir)) {}

AgentProcess::~AgentProcess() {
  if (running()) stop();
}

std::filesystem::path AgentProcess::write_config(std::string_view toml, std::string_view file) const {
  std::string text(toml);
  const std::string placeholder = "@DATA_DIR@";
  const std::string data = data_dir().string();
  for (size_t at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + data.size()))
    text.replace(at, placeholder.size(), data);
  std::filesystem::path path = dir_ / std::string(file);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  return path;
}

bool AgentProcess::start(std::string_view toml, const std::vector<std::string>& extra) {
  std::vector<std::string> args{"agent", "--config", write_config(toml).string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return start_args(args);
}

bool AgentProcess::start_args(const std::vector<std::string>& args) {
  if (running()) stop();
  // Each start gets its own log file, so a restarted agent's log starts empty.
  static std::atomic<int> counter{0};
  int n = counter++;
  log_path_ = dir_ / ("agent-" + std::to_string(n) + ".log");
  out_path_ = dir_ / ("agent-" + std::to_string(n) + ".out");
  port_ = 0;
  exit_code_.reset();
  failure_.clear();
  std::vector<std::string> argv{beacon_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string error;
  auto pid = spawn_background(argv, dir_, out_path_, log_path_, error);
  if (!pid) {
    failure_ = error;
    return false;
  }
  pid_ = *pid;
  auto deadline = Clock::now() + kStartTimeout;
  while (Clock::now() < deadline) {
    if ((port_ = parse_listening_port(log())) != 0) return true;
    if (auto code = wait_exit(std::chrono::milliseconds(0))) {
      failure_ = "beacon exited with code " + std::to_string(*code) + " before listening";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop();
  failure_ = "beacon did not log \"dns: listening on\" within 10 s";
  return false;
}

ReloadResult AgentProcess::reload() {
  const std::string ok = "configuration reloaded", bad = "reload failed";
  std::string before = log();
  size_t oks = count_occurrences(before, ok), bads = count_occurrences(before, bad);
  if (!running() || ::kill(pid_, SIGHUP) != 0) return ReloadResult::timeout;
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    std::string now = log();
    if (count_occurrences(now, bad) > bads) return ReloadResult::failed;
    if (count_occurrences(now, ok) > oks) return ReloadResult::reloaded;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ReloadResult::timeout;
}

int AgentProcess::stop() {
  if (!running()) return exit_code_.value_or(-1);
  ::kill(pid_, SIGTERM);
  std::optional<int> status = wait_pid(pid_, kStopTimeout);
  if (!status) {
    ::kill(pid_, SIGKILL);
    status = wait_pid(pid_, kStopTimeout);
    failure_ = "beacon did not stop within 10 s of SIGTERM and was killed";
  }
  exit_code_ = status ? exit_code_of(*status) : -1;
  pid_ = -1;
  return *exit_code_;
}

std::optional<int> AgentProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (!running()) return exit_code_;
  std::optional<int> status = wait_pid(pid_, timeout);
  if (!status) return std::nullopt;
  exit_code_ = exit_code_of(*status);
  pid_ = -1;
  return exit_code_;
}

std::string AgentProcess::log() const { return log_path_.empty() ? std::string() : read_file(log_path_); }

bool AgentProcess::wait_for_log(std::string_view needle, size_t count, std::chrono::milliseconds timeout) const {
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (count_occurrences(log(), needle) >= count) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string AgentProcess::failure() const {
  std::string state = failure_.empty() ? (running() ? "running, pid " + std::to_string(pid_) : "not running")
                                       : failure_;
  return state + "\n--- beacon stderr (" + log_path_.string() + ") ---\n" + log();
}

}  // namespace beacon::test
