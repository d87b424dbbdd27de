// beacon::health::Engine: runs the checks of the services registered on this agent.
//
// Every check runs on Asio timers on the io_context it is given (the control thread): HTTP
// and HTTPS (Beast, Asio SSL), TCP connect, UDP send, gRPC health (HTTP/2 by nghttp2, h2c or
// TLS), TTL, script (a child process in its own process group, killed as a group on
// timeout). The first run of a periodic check happens at a random moment within its interval. Results pass
// through the thresholds (success_before_passing, failures_before_warning,
// failures_before_critical); the engine calls StatusFn only when a check's status actually
// changes, so the store sees status changes, never repeats. Nothing here blocks: DNS lookups
// of check targets are asynchronous and every probe has a timeout. Intervals, TTLs and the
// reaper run on the Clock the engine is given (health/clock.h: the real one by default, a
// ManualClock in tests). Not thread-safe: call from the io_context's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/model.h"
#include "config/config.h"
#include "health/clock.h"

namespace beacon::health {

struct Error {
  enum class Code {
    not_found,    // no such check on this agent
    invalid,      // e.g. update_ttl on a check that is not a TTL check
    unsupported,  // a kind this build cannot run, or a script check while they are disabled
  };
  Code code = Code::invalid;
  std::string message;
};

class Engine {
 public:
  struct Options {
    bool enable_script_checks = false;  // `enable_local_script_checks`
    // Where TTL checks' last status and deadline are kept across restarts (one small file,
    // replaced atomically on each TTL update). Empty: not kept (dev mode).
    std::string ttl_state_file;
    size_t output_max_size = 4096;  // captured output is cut to this many bytes
  };
  // A check's status changed (and its output at that moment).
  using StatusFn = std::function<void(const std::string& check_id, catalog::Health status, const std::string& output)>;
  // A check stayed critical longer than its deregister_critical_service_after: remove the
  // service `service_id` (the engine stops that check itself). Called once per check. Unlike
  // Consul there is no 1-minute minimum: the timer fires at the configured duration.
  using ReapFn = std::function<void(const std::string& service_id)>;

  // `clock` must outlive the engine.
  Engine(boost::asio::io_context& io, Options options, StatusFn on_status, ReapFn on_reap,
         Clock& clock = Clock::system());
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts running `check` (its id, service_id and current status) as `def` says, replacing
  // a running check with the same id. A TTL check restores its persisted status and
  // remaining TTL when the state file has one that has not run out. Error{unsupported} for a
  // kind that cannot run here (script while disabled), Error{invalid} for a definition
  // it cannot use (no ID, no interval, no TTL); the check is then not running. Intervals
  // below 1s are raised to 1s. Never calls StatusFn or ReapFn before it returns: a restored
  // TTL status that differs from check.status is reported from the io_context afterwards.
  std::expected<void, Error> add(const catalog::Check& check, const config::CheckConfig& def);
  // Stops a check (cancels its timers, SIGKILLs a running script's process group) and drops
  // its TTL record; no callback for it runs afterwards. Unknown ids are ignored.
  void remove(const std::string& check_id);
  bool has(const std::string& check_id) const;
  std::vector<std::string> check_ids() const;

  // pass/warn/fail/update of a TTL check: sets its status and output and restarts its TTL.
  // Error{not_found} for an unknown id, Error{invalid} when it is not a TTL check. Calls
  // StatusFn before returning when the status changed; an output-only change is visible
  // through state() only.
  std::expected<void, Error> update_ttl(const std::string& check_id, catalog::Health status, std::string output);

  // The live state of a running check (the output may be newer than the store's).
  struct State {
    catalog::Health status = catalog::Health::critical;
    std::string output;
  };
  std::optional<State> state(const std::string& check_id) const;

  // On reload. Applies to checks added later and to the next run of running ones; running
  // script checks are not stopped when enable_script_checks turns false.
  void set_options(const Options& options);
  size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace beacon::health
