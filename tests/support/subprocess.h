// Running helper programs (dig, kdig, the beacon binary) from tests.
//
// Programs are started with posix_spawn from an argv vector (never through a shell), with
// stdin on /dev/null, and every wait is bounded: a program that outlives its deadline is
// killed by its own PID. Not thread-safe (it reaps children with waitpid on their PID only).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace beacon::test {

struct CommandResult {
  bool started = false;    // false when the program could not be spawned (see err)
  bool timed_out = false;  // the deadline passed; the program was killed with SIGKILL
  int exit_code = -1;      // the exit status; -1 when it died from a signal or never ran
  std::string out;         // everything written to stdout
  std::string err;         // everything written to stderr
};

// Runs argv[0] (looked up in PATH unless it contains a '/') with the given arguments and
// waits for it to exit, at most `timeout`. Returns its output and exit status.
// REQUIRES: argv is not empty.
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// Starts argv in the background with stdin on /dev/null, stdout appended to `out_file`,
// stderr to `err_file` and `cwd` as working directory. Returns the PID, or nothing (with a
// reason in `error`) when spawning failed. The caller owns the child and must reap it.
std::optional<pid_t> spawn_background(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                                      const std::filesystem::path& out_file,
                                      const std::filesystem::path& err_file, std::string& error);

// Waits for `pid` to exit, at most `timeout`. Returns the raw waitpid status, or nothing
// when it is still running at the deadline.
std::optional<int> wait_pid(pid_t pid, std::chrono::milliseconds timeout);

// The exit code in a raw waitpid status, or -1 when the process died from a signal.
int exit_code_of(int status);

}  // namespace beacon::test
