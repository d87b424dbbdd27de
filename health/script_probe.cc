// Script checks: `args` run with posix_spawnp in a new process group, stdin from /dev/null,
// stdout and stderr into one pipe that is read asynchronously. Only the last output_max bytes
// are kept, as Consul's ring buffer does. On timeout or cancel the whole group gets SIGKILL,
// so children the script started die with it. The child is reaped with waitpid(WNOHANG)
// after its pipe closes (polled on a short timer in case it closed stdout early and kept
// running), so nothing here blocks the io thread, and no SIGCHLD handler is needed.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>

#include "health/probe.h"

extern char** environ;

namespace beacon::health {

namespace asio = boost::asio;

namespace {

// The child and whether it may still be signalled: once reaped, its pid (and group id) may
// belong to someone else.
struct Child {
  pid_t pid = -1;
  bool reaped = false;
  bool killed = false;
  void kill_group() {
    if (reaped || killed) return;
    killed = true;
    ::kill(-pid, SIGKILL);
  }
};

// Starts args[0] (searched in PATH) with stdout and stderr on `out_fd`. Returns 0 or an errno.
int spawn(const std::vector<std::string>& args, int out_fd, int read_fd, pid_t& pid) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 2);
  posix_spawn_file_actions_addclose(&actions, read_fd);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group, named by its pid
  sigset_t none, defaults;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  // A server usually ignores SIGPIPE; a script must not inherit that.
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return rc;
}

}  // namespace

asio::awaitable<ProbeResult> probe_script(std::vector<std::string> args, Duration timeout, size_t output_max,
                                          std::shared_ptr<ProbeCancel> cancel) {
  using catalog::Health;
  if (args.empty()) co_return ProbeResult{Health::critical, "Failed to invoke: no program"};
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) co_return ProbeResult{Health::critical, std::string("Failed to invoke: ") + std::strerror(errno)};
  auto child = std::make_shared<Child>();
  int rc = spawn(args, fds[1], fds[0], child->pid);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    co_return ProbeResult{Health::critical, std::string("Failed to invoke: ") + std::strerror(rc)};
  }

  auto ex = co_await asio::this_coro::executor;
  asio::posix::stream_descriptor pipe(ex, fds[0]);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer deadline(ex);
  deadline.expires_after(timeout);
  deadline.async_wait([child, timed_out](const boost::system::error_code& ec) {
    if (ec) return;
    *timed_out = true;
    child->kill_group();
  });
  if (cancel) cancel->set([child] { child->kill_group(); });

  // Read to EOF, keeping a tail of at most 2 * output_max bytes while reading.
  std::string out;
  uint64_t total = 0;
  char buf[4096];
  boost::system::error_code ec;
  while (!ec) {
    size_t n = co_await pipe.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    out.append(buf, n);
    total += n;
    if (out.size() > 2 * output_max) out.erase(0, out.size() - output_max);
  }

  // Reap. After a kill the child is dying, so a blocking waitpid returns at once.
  int status = 0;
  bool exited = false;
  asio::steady_timer poll(ex);
  while (true) {
    pid_t r = ::waitpid(child->pid, &status, child->killed ? 0 : WNOHANG);
    if (r == child->pid) {
      exited = true;
      break;
    }
    if (r < 0 && errno != EINTR) break;  // ECHILD: someone else reaped it (SIGCHLD ignored)
    if (r == 0) {
      poll.expires_after(std::chrono::milliseconds(20));
      co_await poll.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  child->reaped = true;
  deadline.cancel();
  if (cancel) cancel->clear();

  if (*timed_out) co_return ProbeResult{Health::critical, "Timed out (" + go_duration(timeout) + ") running check"};
  if (out.size() > output_max) out.erase(0, out.size() - output_max);
  if (total > out.size()) {
    out = "Captured " + std::to_string(out.size()) + " of " + std::to_string(total) + " bytes\n...\n" + out;
  }
  if (!exited) co_return ProbeResult{Health::critical, out.empty() ? "exit status unknown" : out};
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) co_return ProbeResult{Health::passing, out};
  if (WIFEXITED(status) && WEXITSTATUS(status) == 1) co_return ProbeResult{Health::warning, out};
  co_return ProbeResult{Health::critical, out};
}

}  // namespace beacon::health
