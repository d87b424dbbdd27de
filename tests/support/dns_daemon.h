// Third-party DNS servers (dnsmasq, Unbound) run by a test, next to beacon, on 127.0.0.1.
//
// A DnsDaemon owns a temp directory for the server's config, pid file and logs, starts the
// server in the foreground as a child of the test, and stops it by its PID only (SIGTERM,
// then SIGKILL after 5 s), also from the destructor, so a failing test leaves nothing behind.
// It never touches a system instance: no system config, no default ports, no service manager.
//
// start() picks a free port, builds the command line for it, starts the server and waits (at
// most 5 s) until a UDP query for the probe name gets any reply. When the server exits first
// (typically because another process took the port in the meantime) it retries with a new
// port, three times in all. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/temp_dir.h"

namespace beacon::test {

// Where Debian's dnsmasq-base and unbound packages put the servers.
inline constexpr const char* kDnsmasqPath = "/usr/sbin/dnsmasq";
inline constexpr const char* kUnboundPath = "/usr/sbin/unbound";

// Empty when `program` exists and is executable; otherwise a message naming the missing
// program and saying to run scripts/install-deps.sh (which installs `package`).
std::string missing_program(const char* program, const char* package);

class DnsDaemon {
 public:
  // Builds the server's argv for a given port. May write files (a config) into dir().
  using MakeArgv = std::function<std::vector<std::string>(uint16_t port)>;

  // `name` is used for log file names and failure messages ("dnsmasq", "unbound").
  explicit DnsDaemon(std::string name);
  ~DnsDaemon();
  DnsDaemon(const DnsDaemon&) = delete;
  DnsDaemon& operator=(const DnsDaemon&) = delete;

  const std::filesystem::path& dir() const { return dir_.path(); }

  // Starts the server as described at the top. `probe_qname` (asked as SOA) must be a name
  // the server answers without leaving 127.0.0.1, e.g. a name it forwards to beacon or one it
  // serves itself. Returns false, with failure() set, when no attempt got a reply.
  bool start(const MakeArgv& make_argv, std::string_view probe_qname);

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // SIGTERM, at most 5 s, then SIGKILL. Returns the exit code, -1 when it died from a signal.
  int stop();

  // What the server wrote to stdout and stderr in the last attempt (its log: both servers
  // are run with logging to stderr).
  std::string log() const;
  // Why start() failed, with the command line and the log.
  const std::string& failure() const { return failure_; }

 private:
  std::string name_;
  TempDir dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::filesystem::path log_path_;
  std::string command_;
  std::string failure_;
};

// The argv of a dnsmasq that runs in the foreground with no system configuration: no
// /etc/dnsmasq.conf, /etc/hosts or /etc/resolv.conf, only 127.0.0.1:port, logging queries to
// stderr, its pid file in `dir`, and `extra` options (e.g. "--server=/consul/127.0.0.1#8600").
std::vector<std::string> dnsmasq_argv(const std::filesystem::path& dir, uint16_t port,
                                      const std::vector<std::string>& extra);

// Writes <dir>/unbound.conf and returns the argv of `unbound -d -c` for it. The config runs
// Unbound as the current user, without chroot, syslog, remote control or IPv6, on
// 127.0.0.1:port only, with `server_extra` lines appended to the server: clause (indented by
// the caller) and `zones` (forward-zone:/stub-zone:/... clauses) after it.
std::vector<std::string> unbound_argv(const std::filesystem::path& dir, uint16_t port, std::string_view server_extra,
                                      std::string_view zones);

}  // namespace beacon::test
