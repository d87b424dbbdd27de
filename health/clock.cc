// The real clock (Asio steady_timers) and the manual one for tests (health/clock.h).
#include "health/clock.h"

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <tuple>

namespace beacon::health {

namespace asio = boost::asio;

namespace {

class SystemTimer final : public Timer {
 public:
  explicit SystemTimer(asio::io_context& io) : timer_(io) {}
  void expires_after(std::chrono::milliseconds after) override { timer_.expires_after(after); }
  void wait(Handler handler) override { timer_.async_wait(std::move(handler)); }
  void cancel() override { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

class SystemClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  int64_t unix_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::unique_ptr<Timer> timer(asio::io_context& io) override { return std::make_unique<SystemTimer>(io); }
};

// Completes `handler` with `ec` from `io`, never inline (as Asio does).
void post_completion(asio::io_context& io, Timer::Handler handler, boost::system::error_code ec) {
  asio::post(io, [handler = std::move(handler), ec]() mutable { handler(ec); });
}

}  // namespace

Clock& Clock::system() {
  static SystemClock clock;
  return clock;
}

// The pending waits, keyed by (expiry, arming order): the map's order is the firing order.
struct ManualClock::State {
  struct Wait {
    uint64_t timer = 0;
    asio::io_context* io = nullptr;
    Timer::Handler handler;
  };
  using Key = std::tuple<time_point, uint64_t>;

  time_point start, now;
  int64_t start_unix_ms = 0;
  uint64_t next_timer = 0, next_wait = 0;
  std::map<Key, Wait> waits;

  // Completes every pending wait of `timer` with operation_aborted.
  void abort(uint64_t timer) {
    for (auto it = waits.begin(); it != waits.end();) {
      if (it->second.timer != timer) {
        ++it;
        continue;
      }
      post_completion(*it->second.io, std::move(it->second.handler), asio::error::operation_aborted);
      it = waits.erase(it);
    }
  }
};

namespace {

class ManualTimer final : public Timer {
 public:
  ManualTimer(const std::shared_ptr<ManualClock::State>& state, asio::io_context& io)
      : state_(state), io_(io), id_(++state->next_timer), expiry_(state->now) {}
  ~ManualTimer() override { cancel(); }

  void expires_after(std::chrono::milliseconds after) override {
    auto state = state_.lock();
    if (!state) return;
    state->abort(id_);
    expiry_ = state->now + after;
  }

  void wait(Handler handler) override {
    auto state = state_.lock();
    if (!state) return;  // the clock is gone: time never comes
    if (expiry_ <= state->now) {
      post_completion(io_, std::move(handler), {});
      return;
    }
    state->waits.emplace(ManualClock::State::Key{expiry_, ++state->next_wait},
                         ManualClock::State::Wait{id_, &io_, std::move(handler)});
  }

  void cancel() override {
    if (auto state = state_.lock()) state->abort(id_);
  }

 private:
  std::weak_ptr<ManualClock::State> state_;
  asio::io_context& io_;
  uint64_t id_;
  Clock::time_point expiry_;
};

}  // namespace

ManualClock::ManualClock() : state_(std::make_shared<State>()) {
  state_->start = state_->now = std::chrono::steady_clock::now();
  state_->start_unix_ms = Clock::system().unix_ms();
}

// Waits still pending never complete; their handlers are destroyed with the state.
ManualClock::~ManualClock() = default;

Clock::time_point ManualClock::now() const { return state_->now; }

int64_t ManualClock::unix_ms() const {
  return state_->start_unix_ms +
         std::chrono::duration_cast<std::chrono::milliseconds>(state_->now - state_->start).count();
}

std::unique_ptr<Timer> ManualClock::timer(asio::io_context& io) { return std::make_unique<ManualTimer>(state_, io); }

void ManualClock::advance(std::chrono::steady_clock::duration d) {
  const time_point target = state_->now + d;
  while (!state_->waits.empty() && std::get<0>(state_->waits.begin()->first) <= target) {
    auto node = state_->waits.extract(state_->waits.begin());
    state_->now = std::max(state_->now, std::get<0>(node.key()));
    asio::io_context& io = *node.mapped().io;
    post_completion(io, std::move(node.mapped().handler), {});
    if (io.stopped()) io.restart();
    io.poll();
  }
  state_->now = target;
}

size_t ManualClock::waiting() const { return state_->waits.size(); }

std::optional<Clock::time_point> ManualClock::next_expiry() const {
  if (state_->waits.empty()) return std::nullopt;
  return std::get<0>(state_->waits.begin()->first);
}

}  // namespace beacon::health
