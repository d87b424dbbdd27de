// health::Clock: the real clock's timers behave as Asio's, and the ManualClock fires due
// timers in order, only when advanced, with Asio's completion rules.
#include "health/clock.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/health/loopback.h"

namespace beacon::health {

using namespace test;
using boost::system::error_code;

TEST_CASE("the system clock's timers complete, and cancel with operation_aborted", "[clock]") {
  asio::io_context io;
  Clock& clock = Clock::system();
  auto timer = clock.timer(io);
  auto start = clock.now();
  std::optional<error_code> fired;
  timer->expires_after(std::chrono::milliseconds(20));
  timer->wait([&](const error_code& ec) { fired = ec; });
  REQUIRE(run_until(io, [&] { return fired.has_value(); }, 2000ms));
  CHECK_FALSE(*fired);
  CHECK(clock.now() - start >= 20ms);

  fired.reset();
  timer->expires_after(std::chrono::milliseconds(60000));
  timer->wait([&](const error_code& ec) { fired = ec; });
  timer->cancel();
  REQUIRE(run_until(io, [&] { return fired.has_value(); }, 2000ms));
  CHECK(*fired == asio::error::operation_aborted);

  // As an awaitable.
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        timer->expires_after(std::chrono::milliseconds(1));
        co_await timer->async_wait(asio::use_awaitable);
        done = true;
      },
      asio::detached);
  CHECK(run_until(io, [&] { return done; }, 2000ms));
  CHECK(clock.unix_ms() > 1'600'000'000'000);
}

TEST_CASE("a ManualClock fires due timers in order, only when advanced", "[clock]") {
  asio::io_context io;
  ManualClock clock;
  const auto start = clock.now();
  const int64_t start_unix = clock.unix_ms();
  std::vector<std::string> fired;
  auto a = clock.timer(io), b = clock.timer(io), c = clock.timer(io);
  a->expires_after(300ms);
  a->wait([&](const error_code& ec) { fired.push_back("a " + ec.message()); });
  b->expires_after(100ms);
  b->wait([&](const error_code& ec) { fired.push_back("b " + ec.message()); });
  c->expires_after(100ms);  // ties go in arming order
  c->wait([&](const error_code& ec) {
    fired.push_back("c " + ec.message());
    // A timer armed by a handler fires in the same advance() when it is due within it.
    b->expires_after(50ms);
    b->wait([&](const error_code& e) {
      fired.push_back("b again at " + std::to_string((clock.now() - start) / 1ms) + " " + e.message());
    });
  });
  CHECK(clock.waiting() == 3);
  CHECK(clock.next_expiry() == start + 100ms);
  io.poll();
  CHECK(fired.empty());  // time stands still

  clock.advance(99ms);
  CHECK(fired.empty());
  clock.advance(100ms);
  CHECK(fired == std::vector<std::string>{"b Success", "c Success", "b again at 150 Success"});
  CHECK(clock.now() == start + 199ms);
  CHECK(clock.unix_ms() == start_unix + 199);
  CHECK(clock.waiting() == 1);
  clock.advance(101ms);
  CHECK(fired.back() == "a Success");
  CHECK(clock.waiting() == 0);
}

TEST_CASE("a ManualClock completes cancelled, re-armed and destroyed timers as aborted", "[clock]") {
  asio::io_context io;
  ManualClock clock;
  std::vector<std::string> fired;
  auto record = [&](std::string name) {
    return [&fired, name](const error_code& ec) {
      fired.push_back(name + (ec == asio::error::operation_aborted ? " aborted" : ec ? " error" : " fired"));
    };
  };
  auto cancelled = clock.timer(io), rearmed = clock.timer(io), due = clock.timer(io);
  auto destroyed = clock.timer(io);
  cancelled->expires_after(10ms);
  cancelled->wait(record("cancelled"));
  rearmed->expires_after(10ms);
  rearmed->wait(record("rearmed"));
  destroyed->expires_after(10ms);
  destroyed->wait(record("destroyed"));
  cancelled->cancel();
  rearmed->expires_after(20ms);
  destroyed.reset();
  CHECK(fired.empty());  // never inline: from the io_context, as Asio does
  due->wait(record("already due"));  // its expiry (now, when made) has come
  CHECK(clock.waiting() == 0);
  io.poll();
  CHECK(fired ==
        std::vector<std::string>{"cancelled aborted", "rearmed aborted", "destroyed aborted", "already due fired"});
  clock.advance(1h);
  io.poll();
  CHECK(fired.size() == 4);  // nobody waits on them any more
}

TEST_CASE("timers outliving their ManualClock never fire", "[clock]") {
  asio::io_context io;
  auto clock = std::make_unique<ManualClock>();
  auto timer = clock->timer(io);
  bool called = false;
  timer->expires_after(10ms);
  timer->wait([&](const error_code&) { called = true; });
  clock.reset();
  timer->cancel();
  timer->expires_after(0ms);
  timer->wait([&](const error_code&) { called = true; });
  io.poll();
  CHECK_FALSE(called);
}

}  // namespace beacon::health
