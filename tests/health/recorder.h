// An Engine wired to a recorder of its StatusFn and ReapFn calls, and a ManualClock driver,
// for the engine tests.
#pragma once

#include <string>
#include <vector>

#include "health/clock.h"
#include "health/engine.h"
#include "tests/health/loopback.h"

namespace beacon::health::test {

struct StatusCall {
  std::string check_id;
  catalog::Health status;
  std::string output;
};

struct Recorder {
  std::vector<StatusCall> calls;
  std::vector<std::string> reaped;

  Engine::StatusFn status_fn() {
    return [this](const std::string& id, catalog::Health s, const std::string& out) { calls.push_back({id, s, out}); };
  }
  Engine::ReapFn reap_fn() {
    return [this](const std::string& service_id) { reaped.push_back(service_id); };
  }
  size_t count(const std::string& id) const {
    size_t n = 0;
    for (const auto& c : calls) n += c.check_id == id;
    return n;
  }
};

// Runs `io` until `n` waits are pending on `clock` again: the runs that clock.advance()
// started have finished their probes (real I/O, so `limit` is real time) and armed their
// next run.
inline bool settle(asio::io_context& io, const ManualClock& clock, size_t n,
                   std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  return run_until(io, [&] { return clock.waiting() == n; }, limit);
}

// Moves `clock` to the earliest pending expiry (the next run of a check), then settle()s.
// False when nothing is pending or the runs do not finish.
inline bool next_run(asio::io_context& io, ManualClock& clock, size_t n) {
  auto due = clock.next_expiry();
  if (!due) return false;
  clock.advance(*due - clock.now());
  return settle(io, clock, n);
}

// Starts the `n` checks just added and runs until their first runs are done: their
// coroutines arm the first run at a random moment within the interval, or run at once when
// that moment is now (as on a real clock). `ran()` tells whether they have run.
inline bool first_run(asio::io_context& io, ManualClock& clock, size_t n, const std::function<bool()>& ran) {
  if (!settle(io, clock, n)) return false;
  return ran() || next_run(io, clock, n);
}

inline catalog::Check make_check(const std::string& id, catalog::Health status = catalog::Health::critical,
                                 const std::string& service_id = "web") {
  catalog::Check c;
  c.id = id;
  c.service_id = service_id;
  c.status = status;
  return c;
}

// Options with script checks on (designated initializers would trip -Wmissing-field-initializers).
inline Engine::Options script_options(size_t output_max = 4096) {
  Engine::Options o;
  o.enable_script_checks = true;
  o.output_max_size = output_max;
  return o;
}

inline config::CheckConfig periodic(config::CheckConfig::Kind kind) {
  config::CheckConfig def;
  def.kind = kind;
  def.interval = config::Duration{1000};
  return def;
}

}  // namespace beacon::health::test
