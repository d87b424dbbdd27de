// One real `beacon` process under test, started from a config in a temp directory.
//
// The test gives the whole TOML config; the helper only replaces every "@DATA_DIR@" in it
// with <dir>/data, writes it to <dir>/beacon.toml and runs `beacon agent --config <file>`
// with <dir> as the working directory. stdout and stderr go to files in <dir>. start() waits
// (at most 10 s) for the "dns: listening on ADDR:PORT" line and parses the port, so configs
// should use `[ports] dns = 0`. The process is only ever signalled by its PID; the destructor
// stops it (SIGTERM, then SIGKILL after 10 s). Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace beacon::test {

// The path of the beacon binary under test (from the BEACON_BINARY compile definition).
const char* beacon_binary();

// Runs `beacon args...` to completion (at most `timeout`) and returns its output.
CommandResult run_beacon(const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

enum class ReloadResult { reloaded, failed, timeout };

class AgentProcess {
 public:
  // A fresh temp directory owned by this object (removed when it dies).
  AgentProcess();
  // Uses `dir`, which the caller owns and which must outlive this object. Lets several
  // agents run one after the other on the same data_dir.
  explicit AgentProcess(std::filesystem::path dir);
  ~AgentProcess();
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path data_dir() const { return dir_ / "data"; }
  std::filesystem::path config_path() const { return dir_ / "beacon.toml"; }

  // Writes `toml` (with "@DATA_DIR@" replaced) to `file` in dir(). Returns the file's path.
  std::filesystem::path write_config(std::string_view toml, std::string_view file = "beacon.toml") const;

  // write_config(toml), then start_args({"agent", "--config", config_path(), extra...}).
  bool start(std::string_view toml, const std::vector<std::string>& extra = {});
  // Starts `beacon args...` and waits for the listening line. Returns true with port() set;
  // false when the process exits first or the line does not come within 10 s (the process
  // is then stopped); failure() tells why, with the log.
  bool start_args(const std::vector<std::string>& args);

  uint16_t port() const { return port_; }
  // The HTTP API's port from the "http: listening on ADDR:PORT" line (waits up to 5 s for
  // it); 0 when HTTP is off or the line never came.
  uint16_t http_port() const;
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // Sends SIGHUP and waits (at most 10 s) for the agent to log "configuration reloaded"
  // (reloaded) or "reload failed" (failed) one more time than before.
  ReloadResult reload();

  // Sends SIGTERM and waits at most 10 s, then SIGKILL. Returns the exit code, or -1 when it
  // died from a signal. Returns the earlier exit code when it has already stopped.
  int stop();

  // Waits for the process to exit on its own (at most `timeout`). Returns its exit code
  // (-1 when it died from a signal), or nothing when it is still running.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  // Everything the process wrote to stderr so far (the log).
  std::string log() const;
  // Waits (at most `timeout`) until the log contains `needle` at least `count` times.
  bool wait_for_log(std::string_view needle, size_t count = 1,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // A description of the last start failure or of the process state, with the log.
  std::string failure() const;

 private:
  std::optional<TempDir> owned_;
  std::filesystem::path dir_;
  std::filesystem::path log_path_;
  std::filesystem::path out_path_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::optional<int> exit_code_;
  std::string failure_;
};

// How many times `needle` occurs in `text`.
size_t count_occurrences(std::string_view text, std::string_view needle);

}  // namespace beacon::test
