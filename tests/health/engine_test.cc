// The engine with periodic checks: status reported only on changes, thresholds, removal,
// refusals, and the critical-service reaper.
#include "health/engine.h"

#include <catch2/catch.hpp>

#include "tests/health/recorder.h"

namespace beacon::health {

using catalog::Health;
using Kind = config::CheckConfig::Kind;
using namespace test;

TEST_CASE("engine calls StatusFn only when the status changes", "[engine]") {
  asio::io_context io;
  HttpServer server(io);
  Recorder rec;
  Engine engine(io, {}, rec.status_fn(), rec.reap_fn());
  auto def = periodic(Kind::http);
  def.http = server.url();
  REQUIRE(engine.add(make_check("web-http"), def));
  CHECK(engine.has("web-http"));
  CHECK(engine.size() == 1);
  CHECK(engine.check_ids() == std::vector<std::string>{"web-http"});

  // The first run is within 1s, then one every second: three runs in about 2.2s at most.
  REQUIRE(run_until(io, [&] { return server.state().requests >= 3; }, 4000ms));
  REQUIRE(rec.calls.size() == 1);
  CHECK(rec.calls[0].check_id == "web-http");
  CHECK(rec.calls[0].status == Health::passing);
  CHECK(rec.calls[0].output == "HTTP GET " + server.url() + ": 200 OK Output: ok");
  CHECK(engine.state("web-http")->status == Health::passing);

  server.state().status = 503;
  REQUIRE(run_until(io, [&] { return rec.calls.size() == 2; }, 3000ms));
  CHECK(rec.calls[1].status == Health::critical);
}

TEST_CASE("engine applies thresholds before reporting", "[engine]") {
  asio::io_context io;
  HttpServer server(io);
  server.state().status = 500;
  Recorder rec;
  Engine engine(io, {}, rec.status_fn(), rec.reap_fn());
  auto def = periodic(Kind::http);
  def.http = server.url();
  def.failures_before_critical = 2;
  REQUIRE(engine.add(make_check("damped", Health::passing), def));
  REQUIRE(run_until(io, [&] { return server.state().requests >= 1; }, 2000ms));
  run_for(io, 100ms);
  CHECK(rec.calls.empty());  // one failure is held back
  REQUIRE(run_until(io, [&] { return !rec.calls.empty(); }, 2500ms));
  CHECK(server.state().requests == 2);
  CHECK(rec.calls[0].status == Health::critical);
}

TEST_CASE("removing a check stops it and its callbacks", "[engine]") {
  asio::io_context io;
  HttpServer server(io);
  Recorder rec;
  Engine engine(io, {}, rec.status_fn(), rec.reap_fn());
  auto def = periodic(Kind::http);
  def.http = server.url();
  REQUIRE(engine.add(make_check("gone"), def));
  engine.remove("gone");
  engine.remove("never-there");
  CHECK_FALSE(engine.has("gone"));
  CHECK_FALSE(engine.state("gone"));
  run_for(io, 1500ms);
  CHECK(server.state().requests == 0);
  CHECK(rec.calls.empty());

  SECTION("replacing a check keeps one running") {
    REQUIRE(engine.add(make_check("twice"), def));
    REQUIRE(engine.add(make_check("twice"), def));
    CHECK(engine.size() == 1);
    REQUIRE(run_until(io, [&] { return rec.count("twice") == 1; }, 3000ms));
    run_for(io, 100ms);
    CHECK(server.state().requests == 1);  // the next run is a whole interval away
    CHECK(rec.count("twice") == 1);
  }
  SECTION("destroying the engine with checks running is safe") {
    auto other = std::make_unique<Engine>(io, Engine::Options{}, rec.status_fn(), rec.reap_fn());
    REQUIRE(other->add(make_check("orphan"), def));
    run_for(io, 50ms);  // its first run may come in these 50ms: only later calls matter
    size_t before = rec.calls.size();
    other.reset();
    run_for(io, 1500ms);
    CHECK(rec.calls.size() == before);
  }
}

TEST_CASE("engine refuses what it cannot run", "[engine]") {
  asio::io_context io;
  Recorder rec;
  Engine engine(io, {}, rec.status_fn(), rec.reap_fn());
  auto grpc = periodic(Kind::grpc);
  grpc.grpc = "127.0.0.1:1";
  auto r = engine.add(make_check("g"), grpc);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Error::Code::unsupported);
  CHECK(r.error().message == "gRPC checks are not supported by this build");

  auto script = periodic(Kind::script);
  script.args = {"true"};
  r = engine.add(make_check("s"), script);
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
  Recorder rec;
  Engine engine(io, {}, rec.status_fn(), rec.reap_fn());
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
  run_for(io, 500ms);
  REQUIRE(engine.update_ttl("flapping", Health::passing, "back"));  // disarms its reaper
  REQUIRE(run_until(io, [&] { return !rec.reaped.empty(); }, 2000ms));
  run_for(io, 800ms);
  CHECK(rec.reaped == std::vector<std::string>{"web"});
  CHECK_FALSE(engine.has("doomed"));
  CHECK(engine.has("flapping"));
  CHECK(engine.has("node-level"));  // no service to remove
}

}  // namespace beacon::health
