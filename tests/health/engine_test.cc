// The engine with periodic checks: status reported only on changes, thresholds, removal,
// refusals, and the critical-service reaper. Time is a ManualClock: the tests move it, and
// wait in real time only for probes (real HTTP on loopback) to finish.
#include "health/engine.h"

#include <catch2/catch.hpp>

#include "tests/health/recorder.h"

namespace beacon::health {

using catalog::Health;
using Kind = config::CheckConfig::Kind;
using namespace test;

TEST_CASE("engine calls StatusFn only when the status changes", "[engine]") {
  asio::io_context io;
  ManualClock clock;
  HttpServer server(io);
  Recorder rec;
  Engine engine(io, {}, rec.status_fn(), rec.reap_fn(), clock);
  auto def = periodic(Kind::http);
  def.http = server.url();
  REQUIRE(engine.add(make_check("web-http"), def));
  CHECK(engine.has("web-http"));
  CHECK(engine.size() == 1);
  CHECK(engine.check_ids() == std::vector<std::string>{"web-http"});

  // The first run comes at a random moment within the interval, then one an interval after
  // each run finished.
  const auto added = clock.now();
  REQUIRE(first_run(io, clock, 1, [&] { return server.state().requests > 0; }));
  CHECK(clock.now() - added < 1000ms);
  for (int run = 1; run <= 3; ++run) {
    if (run > 1) REQUIRE(next_run(io, clock, 1));
    CHECK(server.state().requests == run);
    CHECK(clock.next_expiry() == clock.now() + 1000ms);
  }
  REQUIRE(rec.calls.size() == 1);
  CHECK(rec.calls[0].check_id == "web-http");
  CHECK(rec.calls[0].status == Health::passing);
  CHECK(rec.calls[0].output == "HTTP GET " + server.url() + ": 200 OK Output: ok");
  CHECK(engine.state("web-http")->status == Health::passing);

  server.state().status = 503;
  REQUIRE(next_run(io, clock, 1));
  REQUIRE(rec.calls.size() == 2);
  CHECK(rec.calls[1].status == Health::critical);
}

TEST_CASE("engine applies thresholds before reporting", "[engine]") {
  asio::io_context io;
  ManualClock clock;
  HttpServer server(io);
  server.state().status = 500;
  Recorder rec;
  Engine engine(io, {}, rec.status_fn(), rec.reap_fn(), clock);
  auto def = periodic(Kind::http);
  def.http = server.url();
  def.failures_before_critical = 2;
  REQUIRE(engine.add(make_check("damped", Health::passing), def));
  REQUIRE(first_run(io, clock, 1, [&] { return server.state().requests > 0; }));
  CHECK(server.state().requests == 1);
  CHECK(rec.calls.empty());  // one failure is held back
  REQUIRE(next_run(io, clock, 1));
  CHECK(server.state().requests == 2);
  REQUIRE(rec.calls.size() == 1);
  CHECK(rec.calls[0].status == Health::critical);
}

TEST_CASE("removing a check stops it and its callbacks", "[engine]") {
  asio::io_context io;
  ManualClock clock;
  HttpServer server(io);
  Recorder rec;
  Engine engine(io, {}, rec.status_fn(), rec.reap_fn(), clock);
  auto def = periodic(Kind::http);
  def.http = server.url();
  REQUIRE(engine.add(make_check("gone"), def));
  engine.remove("gone");
  engine.remove("never-there");
  CHECK_FALSE(engine.has("gone"));
  CHECK_FALSE(engine.state("gone"));
  io.poll();
  CHECK(clock.waiting() == 0);  // nothing will ever run it
  clock.advance(5000ms);
  CHECK(server.state().requests == 0);
  CHECK(rec.calls.empty());

  SECTION("replacing a check keeps one running") {
    REQUIRE(engine.add(make_check("twice"), def));
    REQUIRE(engine.add(make_check("twice"), def));
    CHECK(engine.size() == 1);
    REQUIRE(first_run(io, clock, 1, [&] { return server.state().requests > 0; }));
    CHECK(server.state().requests == 1);
    CHECK(rec.count("twice") == 1);
    CHECK(clock.next_expiry() == clock.now() + 1000ms);  // the next run is a whole interval away
  }
  SECTION("destroying the engine with checks running is safe") {
    auto other = std::make_unique<Engine>(io, Engine::Options{}, rec.status_fn(), rec.reap_fn(), clock);
    REQUIRE(other->add(make_check("orphan"), def));
    REQUIRE(settle(io, clock, 1));
    other.reset();
    CHECK(clock.waiting() == 0);
    clock.advance(5000ms);
    io.poll();
    CHECK(server.state().requests == 0);
    CHECK(rec.calls.empty());
  }
}

TEST_CASE("engine runs gRPC checks and reports their failures", "[engine][grpc]") {
  asio::io_context io;
  ManualClock clock;
  Recorder rec;
  Engine engine(io, {}, rec.status_fn(), rec.reap_fn(), clock);
  auto grpc = periodic(Kind::grpc);
  const std::string target = "127.0.0.1:" + std::to_string(closed_tcp_port(io));
  grpc.grpc = target + "/api";
  auto added = engine.add(make_check("g", Health::passing), grpc);
  INFO((added ? std::string() : added.error().message));
  REQUIRE(added);
  REQUIRE(first_run(io, clock, 1, [&] { return !rec.calls.empty(); }));
  REQUIRE(rec.calls.size() == 1);
  CHECK(rec.calls[0].status == Health::critical);
  CHECK(rec.calls[0].output == "rpc error: code = Unavailable desc = connection error: dial tcp " + target +
                                   ": Connection refused");
}

TEST_CASE("engine refuses what it cannot run", "[engine]") {
  asio::io_context io;
  ManualClock clock;
  Recorder rec;
  Engine engine(io, {}, rec.status_fn(), rec.reap_fn(), clock);
  auto script = periodic(Kind::script);
  script.args = {"true"};
  auto r = engine.add(make_check("s"), script);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Error::Code::unsupported);
  CHECK_FALSE(engine.has("s"));

  engine.set_options(script_options());
  CHECK(engine.add(make_check("s"), script));

  auto tcp = periodic(Kind::tcp);
  tcp.tcp = "127.0.0.1:1";
  tcp.interval = config::Duration{0};
  r = engine.add(make_check("t"), tcp);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Error::Code::invalid);

  auto u = engine.update_ttl("s", Health::passing, "");
  REQUIRE_FALSE(u);
  CHECK(u.error().code == Error::Code::invalid);
  u = engine.update_ttl("nope", Health::passing, "");
  REQUIRE_FALSE(u);
  CHECK(u.error().code == Error::Code::not_found);
}

TEST_CASE("a check critical for deregister_critical_service_after reaps its service", "[engine][reaper]") {
  asio::io_context io;
  ManualClock clock;
  Recorder rec;
  Engine engine(io, {}, rec.status_fn(), rec.reap_fn(), clock);
  config::CheckConfig def;
  def.kind = Kind::ttl;
  def.ttl = config::Duration{60000};
  def.deregister_critical_service_after = config::Duration{1000};
  REQUIRE(engine.add(make_check("doomed", Health::passing, "web"), def));
  REQUIRE(engine.add(make_check("flapping", Health::passing, "api"), def));
  REQUIRE(engine.add(make_check("node-level", Health::passing, ""), def));
  REQUIRE(engine.update_ttl("doomed", Health::critical, "down"));
  REQUIRE(engine.update_ttl("flapping", Health::critical, "down"));
  REQUIRE(engine.update_ttl("node-level", Health::critical, "down"));
  clock.advance(500ms);
  REQUIRE(engine.update_ttl("flapping", Health::passing, "back"));  // disarms its reaper
  clock.advance(499ms);
  CHECK(rec.reaped.empty());  // critical for 999 ms
  clock.advance(1ms);
  CHECK(rec.reaped == std::vector<std::string>{"web"});
  clock.advance(10000ms);
  CHECK(rec.reaped == std::vector<std::string>{"web"});
  CHECK_FALSE(engine.has("doomed"));
  CHECK(engine.has("flapping"));
  CHECK(engine.has("node-level"));  // no service to remove
}

}  // namespace beacon::health
