// beacon::health::Clock: the time the health engine reads and the timers it arms.
//
// The engine reads no std::chrono clock and arms no Asio timer of its own: check intervals,
// TTL expiry (and the wall-clock deadlines kept in the TTL state file) and the reaper's
// deregister_critical_service_after all go through the Clock it is given.
//
// - Clock::system() is what the agent runs: steady_clock, system_clock and Asio
//   steady_timers, unchanged.
// - ManualClock is for tests: time stands still until the test calls advance(), and the
//   timers that come due on the way fire then, in order, on their io_context. A test of a
//   60 s TTL takes microseconds and does not depend on how busy the machine is.
//
// Probes keep their own I/O deadlines on real time (they wait on sockets and processes).
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

namespace beacon::health {

// A one-shot timer, as asio::steady_timer: expires_after() sets the expiry (and cancels a
// pending wait), wait() calls its handler once, from the io_context, with no error at the
// expiry or with asio::error::operation_aborted when cancel(), expires_after() or the
// timer's destruction comes first. Not thread-safe: use it from the io_context's thread.
class Timer {
 public:
  using Handler = std::move_only_function<void(const boost::system::error_code&)>;

  virtual ~Timer() = default;
  virtual void expires_after(std::chrono::milliseconds after) = 0;
  virtual void wait(Handler handler) = 0;
  virtual void cancel() = 0;

  // wait() for any Asio completion token: `co_await timer.async_wait(asio::use_awaitable)`.
  template <typename Token>
  auto async_wait(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) { wait(Handler(std::move(handler))); }, token);
  }
};

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  // Monotonic time, for intervals and timers.
  virtual time_point now() const = 0;
  // Wall-clock time in unix milliseconds, for deadlines that outlive the process.
  virtual int64_t unix_ms() const = 0;
  // A timer whose handlers run on `io`.
  virtual std::unique_ptr<Timer> timer(boost::asio::io_context& io) = 0;

  // The real clocks (one shared, stateless instance).
  static Clock& system();
};

// A clock that moves only when told to. Starts at the real clocks' readings (so unix_ms()
// is a plausible date) and then stands still. Not thread-safe: call it from the thread that
// runs the timers' io_contexts, outside their handlers. Waits still pending when it is
// destroyed never complete (their handlers are destroyed): destroy it before those
// io_contexts.
class ManualClock final : public Clock {
 public:
  ManualClock();
  ~ManualClock() override;
  ManualClock(const ManualClock&) = delete;
  ManualClock& operator=(const ManualClock&) = delete;

  time_point now() const override;
  int64_t unix_ms() const override;
  std::unique_ptr<Timer> timer(boost::asio::io_context& io) override;

  // Moves time forward by `d`. Every wait that comes due on the way completes in expiry
  // order (earliest armed first on a tie): now() is set to its expiry, its handler is posted
  // to its io_context and that io_context is polled, so a handler that arms a timer due
  // within `d` sees it fire in the same advance(). Work left waiting on real I/O (a probe
  // in flight) goes on when the test runs the io_context, at the time advance() ended: to
  // make a periodic check's next run independent of how fast its probe was, advance to
  // next_expiry() exactly.
  void advance(std::chrono::steady_clock::duration d);
  // Waits not completed yet (armed timers someone waits on).
  size_t waiting() const;
  // When the earliest of them is due, if any.
  std::optional<time_point> next_expiry() const;

  struct State;

 private:
  std::shared_ptr<State> state_;  // timers hold a weak_ptr: either may outlive the other
};

}  // namespace beacon::health
