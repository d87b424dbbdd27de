// A real HAProxy run by a test, next to beacon, on 127.0.0.1 high ports.
//
// HaproxyProcess owns a temp directory with the config, the log and the admin socket (a Unix
// socket in that directory, so reading the servers' state needs no port). It starts
// `haproxy -db -f <dir>/haproxy.cfg` in the foreground as a child of the test and stops it by
// its PID only (SIGTERM, then SIGKILL after 5 s), also from the destructor. It never touches a
// system instance: no system config, no default ports, no service manager.
//
// start() picks a free port for the one frontend (HAProxy needs a listener to run), writes
// the config the caller builds for it and waits (at most 5 s) until the admin socket answers;
// when haproxy exits first (another process took the port) it retries with a new port, three
// times in all. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "tests/support/temp_dir.h"

namespace beacon::test {

// Where Debian's haproxy package puts the program.
inline constexpr const char* kHaproxyPath = "/usr/sbin/haproxy";

// One server of a backend, from `show servers state`.
struct HaproxyServer {
  std::string addr;          // "0.0.0.0" while the slot has no address
  int port = 0;
  int op_state = 0;          // 0 stopped, 2 running
  int admin_state = 0;       // bit flags; 0x20: maintenance because resolution gave nothing
  long since_change = 0;     // seconds since its state last changed
  // Holds an address from resolution and takes traffic.
  bool resolved() const { return addr != "0.0.0.0" && addr != "-" && (admin_state & 0x20) == 0; }
};

class HaproxyProcess {
 public:
  // Builds the config for a frontend port and the admin socket's path.
  using MakeConfig = std::function<std::string(uint16_t frontend_port, const std::string& socket_path)>;

  HaproxyProcess();
  ~HaproxyProcess();
  HaproxyProcess(const HaproxyProcess&) = delete;
  HaproxyProcess& operator=(const HaproxyProcess&) = delete;

  // Starts haproxy as described at the top. Returns false, with failure() set, when no
  // attempt got the admin socket to answer.
  bool start(const MakeConfig& make_config);
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // SIGTERM, at most 5 s, then SIGKILL. Returns the exit code, -1 when it died from a signal.
  int stop();

  // Sends one command line to the admin socket and returns the reply (empty when the socket
  // does not answer within 2 s).
  std::string command(const std::string& line) const;
  // The servers of `backend` by name ("web1", ...), from `show servers state <backend>`;
  // empty when the reply could not be read.
  std::map<std::string, HaproxyServer> servers(const std::string& backend) const;

  std::string config() const;  // the config of the last attempt
  std::string log() const;     // what haproxy wrote to stdout and stderr
  const std::string& failure() const { return failure_; }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  std::filesystem::path socket_path_;
  std::filesystem::path config_path_;
  std::filesystem::path log_path_;
  std::string failure_;
};

}  // namespace beacon::test
