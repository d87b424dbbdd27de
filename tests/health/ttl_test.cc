// TTL checks: updates, expiry, and the state file that carries them across restarts. Time is
// a ManualClock, so expiry is checked to the millisecond.
#include <catch2/catch.hpp>

#include "health/engine.h"
#include "health/ttl_state.h"
#include "tests/health/recorder.h"

namespace beacon::health {

using catalog::Health;
using Kind = config::CheckConfig::Kind;
using namespace test;

namespace {

config::CheckConfig ttl_def(int ms) {
  config::CheckConfig def;
  def.kind = Kind::ttl;
  def.ttl = config::Duration{ms};
  return def;
}

}  // namespace

TEST_CASE("TTL checks take pass, warn, fail and update, and expire", "[engine][ttl]") {
  asio::io_context io;
  ManualClock clock;
  Recorder rec;
  Engine engine(io, {}, rec.status_fn(), rec.reap_fn(), clock);
  REQUIRE(engine.add(make_check("ttl"), ttl_def(1000)));
  CHECK(engine.state("ttl")->status == Health::critical);

  REQUIRE(engine.update_ttl("ttl", Health::passing, "all good"));
  REQUIRE(rec.calls.size() == 1);  // reported before update_ttl returns
  CHECK(rec.calls[0].status == Health::passing);
  CHECK(rec.calls[0].output == "all good");

  REQUIRE(engine.update_ttl("ttl", Health::passing, "still good"));
  CHECK(rec.calls.size() == 1);  // same status: no call, but the live output moves on
  CHECK(engine.state("ttl")->output == "still good");

  REQUIRE(engine.update_ttl("ttl", Health::warning, "slow"));
  REQUIRE(engine.update_ttl("ttl", Health::critical, "broken"));
  REQUIRE(engine.update_ttl("ttl", Health::passing, "fixed"));
  REQUIRE(rec.calls.size() == 4);
  CHECK(rec.calls[1].status == Health::warning);
  CHECK(rec.calls[2].status == Health::critical);
  CHECK(rec.calls[3].status == Health::passing);

  // Updates restart the TTL: 700ms later it has not run out, and the new one runs 1000ms.
  clock.advance(700ms);
  REQUIRE(engine.update_ttl("ttl", Health::passing, "fixed"));
  clock.advance(999ms);
  CHECK(engine.state("ttl")->status == Health::passing);
  CHECK(rec.calls.size() == 4);
  clock.advance(1ms);
  REQUIRE(rec.calls.size() == 5);
  CHECK(rec.calls[4].status == Health::critical);
  CHECK(rec.calls[4].output == "TTL expired (last output before timeout follows): fixed");
}

TEST_CASE("TTL state survives a restart until the TTL runs out", "[engine][ttl]") {
  TempDir dir;
  Engine::Options options;
  options.ttl_state_file = dir.file("ttl-state");
  ManualClock clock;
  {
    asio::io_context io;
    Recorder rec;
    Engine first(io, options, rec.status_fn(), rec.reap_fn(), clock);
    REQUIRE(first.add(make_check("kept"), ttl_def(1500)));
    REQUIRE(first.update_ttl("kept", Health::passing, "alive"));
  }
  auto records = load_ttl_state(options.ttl_state_file);
  REQUIRE(records.count("kept") == 1);
  CHECK(records["kept"].status == Health::passing);
  CHECK(records["kept"].output == "alive");
  CHECK(records["kept"].deadline_ms == clock.unix_ms() + 1500);

  clock.advance(500ms);  // the agent was down for half a second
  asio::io_context io;
  Recorder rec;
  Engine second(io, options, rec.status_fn(), rec.reap_fn(), clock);
  REQUIRE(second.add(make_check("kept", Health::critical), ttl_def(1500)));
  CHECK(second.state("kept")->status == Health::passing);
  CHECK(second.state("kept")->output == "alive");
  CHECK(rec.calls.empty());  // reported after add() returns
  io.poll();
  REQUIRE(rec.calls.size() == 1);
  CHECK(rec.calls[0].status == Health::passing);

  // The restored check keeps the old deadline (1000ms left), not a fresh TTL.
  clock.advance(999ms);
  CHECK(rec.calls.size() == 1);
  clock.advance(1ms);
  REQUIRE(rec.calls.size() == 2);
  CHECK(rec.calls[1].status == Health::critical);
  CHECK(rec.calls[1].output == "TTL expired (last output before timeout follows): alive");
  CHECK(load_ttl_state(options.ttl_state_file)["kept"].status == Health::critical);

  second.remove("kept");
  CHECK(load_ttl_state(options.ttl_state_file).count("kept") == 0);
}

TEST_CASE("a TTL record past its deadline restores as critical", "[engine][ttl]") {
  TempDir dir;
  Engine::Options options;
  options.ttl_state_file = dir.file("ttl-state");
  ManualClock clock;
  TtlRecords records;
  records["late"] = TtlRecord{Health::passing, "was fine\twith a tab", clock.unix_ms() - 1};
  records["other"] = TtlRecord{Health::warning, "line\nbreak", clock.unix_ms() + 60000};
  REQUIRE(save_ttl_state(options.ttl_state_file, records).empty());
  auto loaded = load_ttl_state(options.ttl_state_file);
  CHECK(loaded["other"].output == "line\nbreak");

  asio::io_context io;
  Recorder rec;
  Engine engine(io, options, rec.status_fn(), rec.reap_fn(), clock);
  REQUIRE(engine.add(make_check("late", Health::passing), ttl_def(60000)));
  CHECK(engine.state("late")->status == Health::critical);
  CHECK(engine.state("late")->output == "TTL expired (last output before timeout follows): was fine\twith a tab");
  CHECK(rec.calls.empty());  // reported after add() returns
  io.poll();
  REQUIRE(rec.calls.size() == 1);
  CHECK(rec.calls[0].status == Health::critical);
  CHECK(load_ttl_state(options.ttl_state_file)["other"].status == Health::warning);  // untouched
}

}  // namespace beacon::health
